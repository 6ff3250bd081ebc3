// SPDX-License-Identifier: GPL-2.0-only
/* See netlink.h: thin libmnl requests, each answered by a dump or a get. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "model/addr.h"
#include "net/netlink.h"

/* Sends req and runs cb over every answer; returns 0 or -errno. */
static int nl_request(struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int portid, seq;
	int ret;

	/* non-blocking: a get is answered while it is sent, a dump on each read */
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto close_sock;
	}
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		ret = -errno;
		goto close_sock;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (ret <= MNL_CB_STOP) {
			ret = ret < 0 ? -errno : 0;
			break;
		}
		/* a plain get is answered by one message, a dump ends with NLMSG_DONE */
		if (!(req->nlmsg_flags & NLM_F_DUMP)) {
			ret = 0;
			break;
		}
	}
close_sock:
	mnl_socket_close(nl);
	return ret;
}

struct link_req {
	struct shoal_link_info *info;
	bool found;
};

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link_req *r = data;

	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, tb);
	r->info->ifindex = ifm->ifi_index;
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(r->info->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_MTU])
		r->info->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	r->found = true;
	return MNL_CB_OK;
}

int shoal_nl_link(const char *ifname, struct shoal_link_info *ret)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct link_req r = { .info = ret };
	struct ifinfomsg *ifm;
	int err;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	memset(ret, 0, sizeof(*ret));
	err = nl_request(nlh, link_cb, &r);
	if (err)
		return err;
	return r.found ? 0 : -ENODEV;
}

struct route_req {
	int ifindex;
	int family;
	struct shoal_addr *gw;
	bool found;
};

static int rt_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, RTA_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_req *r = data;

	if (r->found || rtm->rtm_dst_len != 0 || rtm->rtm_table != RT_TABLE_MAIN ||
	    rtm->rtm_family != r->family)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), rt_attr_cb, tb);
	if (!tb[RTA_GATEWAY] || (tb[RTA_OIF] && (int)mnl_attr_get_u32(tb[RTA_OIF]) != r->ifindex))
		return MNL_CB_OK;
	if (r->family == AF_INET)
		shoal_addr_from_v4(r->gw, mnl_attr_get_u32(tb[RTA_GATEWAY]));
	else
		memcpy(r->gw, mnl_attr_get_payload(tb[RTA_GATEWAY]), 16);
	r->found = true;
	return MNL_CB_OK;
}

int shoal_nl_gateway(int ifindex, int family, struct shoal_addr *ret)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct route_req r = { .ifindex = ifindex, .family = family, .gw = ret };
	struct rtmsg *rtm;
	int err;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	err = nl_request(nlh, route_cb, &r);
	if (err)
		return err;
	return r.found ? 0 : -ENETUNREACH;
}

struct neigh_req {
	int ifindex;
	const struct shoal_addr *gw;
	__u8 *mac;
	bool found;
};

static int nd_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NDA_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NDA_MAX + 1] = {};
	struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct neigh_req *r = data;
	struct shoal_addr dst;

	if (ndm->ndm_ifindex != r->ifindex ||
	    !(ndm->ndm_state &
	      (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ndm), nd_attr_cb, tb);
	if (!tb[NDA_DST] || !tb[NDA_LLADDR] || mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6)
		return MNL_CB_OK;
	if (ndm->ndm_family == AF_INET)
		shoal_addr_from_v4(&dst, mnl_attr_get_u32(tb[NDA_DST]));
	else
		memcpy(&dst, mnl_attr_get_payload(tb[NDA_DST]), 16);
	if (memcmp(&dst, r->gw, sizeof(dst)))
		return MNL_CB_OK;
	memcpy(r->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
	r->found = true;
	return MNL_CB_OK;
}

/* A datagram to the discard port makes the kernel resolve the next hop. */
static void provoke_resolution(int ifindex, const struct shoal_addr *gw)
{
	char ifname[IF_NAMESIZE];
	int fd;

	if (shoal_addr_is_v4(gw)) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };

		sin.sin_addr.s_addr = gw->u32[3];
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return;
		if (if_indextoname((unsigned int)ifindex, ifname))
			setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				   (socklen_t)strlen(ifname));
		sendto(fd, "", 0, 0, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };

		memcpy(&sin6.sin6_addr, gw, 16);
		sin6.sin6_scope_id = (unsigned int)ifindex;
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return;
		sendto(fd, "", 0, 0, (struct sockaddr *)&sin6, sizeof(sin6));
	}
	close(fd);
}

int shoal_nl_neigh(int ifindex, const struct shoal_addr *gw, __u8 ret_mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct neigh_req r = { .ifindex = ifindex, .gw = gw, .mac = ret_mac };
	struct ndmsg *ndm;
	int err;

	/* one entry asked for by address, not a dump of the whole table */
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = shoal_addr_is_v4(gw) ? AF_INET : AF_INET6;
	ndm->ndm_ifindex = ifindex;
	if (shoal_addr_is_v4(gw))
		mnl_attr_put_u32(nlh, NDA_DST, gw->u32[3]);
	else
		mnl_attr_put(nlh, NDA_DST, 16, gw);
	err = nl_request(nlh, neigh_cb, &r);
	if (err && err != -ENOENT)
		return err;
	if (r.found)
		return 0;
	provoke_resolution(ifindex, gw);
	return -EAGAIN;
}

int shoal_nl_events_open(void **ret_sock, int *ret_fd)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	unsigned int groups = (1U << (RTNLGRP_LINK - 1)) | (1U << (RTNLGRP_NEIGH - 1)) |
			      (1U << (RTNLGRP_IPV4_ROUTE - 1)) | (1U << (RTNLGRP_IPV6_ROUTE - 1));

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(nl);
		return err;
	}
	*ret_sock = nl;
	*ret_fd = mnl_socket_get_fd(nl);
	return 0;
}

/* Classifies one event message for shoal_nl_events_read. */
static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct shoal_nl_events *e = data;

	e->messages++;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
			break;
		if (ifm->ifi_index == e->ifindex)
			e->what |= SHOAL_NL_EV_LINK;
		break;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
			break;
		if (rtm->rtm_dst_len == 0 && rtm->rtm_table == RT_TABLE_MAIN)
			e->what |= SHOAL_NL_EV_ROUTE;
		break;
	}
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH: {
		const struct nlattr *tb[NDA_MAX + 1] = {};
		struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
		struct shoal_addr dst;

		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm) ||
		    ndm->ndm_ifindex != e->ifindex || !e->gw)
			break;
		if (mnl_attr_parse(nlh, sizeof(*ndm), nd_attr_cb, tb) < 0)
			break;
		if (!tb[NDA_DST])
			break;
		if (ndm->ndm_family == AF_INET && mnl_attr_get_payload_len(tb[NDA_DST]) == 4)
			shoal_addr_from_v4(&dst, mnl_attr_get_u32(tb[NDA_DST]));
		else if (ndm->ndm_family == AF_INET6 && mnl_attr_get_payload_len(tb[NDA_DST]) == 16)
			memcpy(&dst, mnl_attr_get_payload(tb[NDA_DST]), 16);
		else
			break;
		if (!memcmp(&dst, e->gw, sizeof(dst)))
			e->what |= SHOAL_NL_EV_NEIGH;
		break;
	}
	}
	return MNL_CB_OK;
}

int shoal_nl_events_read(void *sock, struct shoal_nl_events *e, unsigned int max_reads)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int i;

	for (i = 0; i < max_reads; i++) {
		ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS) {
				/* events were lost: only a full look tells what changed */
				e->what |= SHOAL_NL_EV_LOST;
				continue;
			}
			return -errno;
		}
		shoal_nl_events_parse(buf, (size_t)n, e);
	}
	return 1;
}

void shoal_nl_events_parse(const void *buf, size_t len, struct shoal_nl_events *e)
{
	const char *p = buf;

	/*
	 * Walked here rather than with mnl_cb_run: libmnl compares nlmsg_len as
	 * an int, so a length of 2^31 or more would pass its check (found by
	 * tests/fuzz/fuzz_netlink.c).
	 */
	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
			break;
		event_cb(nlh, e);
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
}

void shoal_nl_events_close(void *sock)
{
	if (sock)
		mnl_socket_close(sock);
}

int shoal_nl_route(bool add, int family, const struct shoal_addr *dst, __u32 table, __u8 protocol)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (__u8)family;
	rtm->rtm_dst_len = family == AF_INET ? 32 : 128;
	rtm->rtm_table = table < 256 ? (__u8)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = protocol;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	/* the host does not own the VIP: what reaches the stack goes nowhere */
	rtm->rtm_type = RTN_BLACKHOLE;
	mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16,
		     family == AF_INET ? (const void *)&dst->u32[3] : (const void *)dst->u8);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	return nl_request(nlh, NULL, NULL);
}

struct own_req {
	__u32 table;
	__u8 protocol;
	void (*fn)(int family, const struct shoal_addr *dst, void *arg);
	void *arg;
};

static int own_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct own_req *r = data;
	struct shoal_addr dst = { 0 };
	__u32 table;

	if (rtm->rtm_protocol != r->protocol || rtm->rtm_type != RTN_BLACKHOLE ||
	    rtm->rtm_dst_len != (rtm->rtm_family == AF_INET ? 32 : 128))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), rt_attr_cb, tb);
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != r->table || !tb[RTA_DST])
		return MNL_CB_OK;
	if (rtm->rtm_family == AF_INET)
		shoal_addr_from_v4(&dst, mnl_attr_get_u32(tb[RTA_DST]));
	else if (mnl_attr_get_payload_len(tb[RTA_DST]) == 16)
		memcpy(dst.u8, mnl_attr_get_payload(tb[RTA_DST]), 16);
	else
		return MNL_CB_OK;
	r->fn(rtm->rtm_family, &dst, r->arg);
	return MNL_CB_OK;
}

int shoal_nl_routes_own(int family, __u32 table, __u8 protocol,
			void (*fn)(int family, const struct shoal_addr *dst, void *arg), void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct own_req r = { .table = table, .protocol = protocol, .fn = fn, .arg = arg };
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	return nl_request(nlh, own_cb, &r);
}
