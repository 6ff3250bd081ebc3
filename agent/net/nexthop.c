// SPDX-License-Identifier: GPL-2.0-only
/* See nexthop.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "core/log.h"
#include "core/loop.h"
#include "model/addr.h"
#include "model/state.h"
#include "net/nexthop.h"

#define READS_PER_RUN 64 /* datagrams read per handler run before yielding */

struct shoal_nexthop {
	struct shoal_loop *loop;
	const struct shoal_state *state;
	void (*changed)(void *arg);
	void *arg;
	struct shoal_link_info link;
	bool have_link;
	struct shoal_addr gw;
	bool have_gw;
	__u8 gw_mac[6];
	bool gw_resolved;
	void *sock;
	struct event *ev;
	struct shoal_timer *coalesce; /* one look-up for a burst of events */
	struct shoal_timer *retry;    /* while the next hop is unknown */
	struct shoal_nexthop_stats st;
};

int shoal_nexthop_refresh(struct shoal_nexthop *nh)
{
	const struct shoal_host_conf *h = &nh->state->host;
	struct shoal_link_info li;
	struct shoal_addr gw;
	bool changed = false;
	__u8 mac[6];
	int ret;

	nh->st.lookups++;
	ret = shoal_nl_link(h->interface, &li);
	if (ret) {
		log_warn("interface %s: %s", h->interface, strerror(-ret));
		return ret;
	}
	if (!nh->have_link || memcmp(&li, &nh->link, sizeof(li))) {
		nh->link = li;
		nh->have_link = true;
		changed = true;
	}
	if (!h->have_gateway_mac) {
		ret = shoal_nl_gateway(li.ifindex, h->have_src_v4 ? AF_INET : AF_INET6, &gw);
		if (!ret) {
			nh->gw = gw;
			nh->have_gw = true;
			ret = shoal_nl_neigh(li.ifindex, &gw, mac);
		}
		if (!ret && (!nh->gw_resolved || memcmp(mac, nh->gw_mac, 6))) {
			char s[SHOAL_ADDR_STRLEN];

			memcpy(nh->gw_mac, mac, 6);
			nh->gw_resolved = true;
			changed = true;
			log_info("next hop %s is %02x:%02x:%02x:%02x:%02x:%02x",
				 shoal_addr_format(&gw, s, sizeof(s)), mac[0], mac[1], mac[2],
				 mac[3], mac[4], mac[5]);
		} else if (ret && ret != -EAGAIN && nh->gw_resolved) {
			log_warn("next hop lost: %s", strerror(-ret));
		}
	}
	if (!h->have_gateway_mac && !nh->gw_resolved)
		shoal_timer_arm_once(nh->retry, 1000000);
	if (changed && nh->changed)
		nh->changed(nh->arg);
	return 0;
}

static void on_coalesced(void *arg)
{
	shoal_nexthop_refresh(arg);
}

static void on_retry(void *arg)
{
	struct shoal_nexthop *nh = arg;

	if (!nh->gw_resolved)
		shoal_nexthop_refresh(nh);
}

static void on_events(evutil_socket_t fd, short what, void *arg)
{
	struct shoal_nexthop *nh = arg;
	struct shoal_nl_events e = { .ifindex = nh->link.ifindex,
				     .gw = nh->have_gw ? &nh->gw : NULL };
	__u64 start = shoal_loop_enter();
	int ret;

	(void)fd;
	(void)what;
	ret = shoal_nl_events_read(nh->sock, &e, READS_PER_RUN);
	nh->st.messages += e.messages;
	if (ret < 0)
		log_warn("netlink events: %s", strerror(-ret));
	/* the socket stays readable while more is pending: the loop calls again */
	if (e.what)
		shoal_timer_arm_once(nh->coalesce, SHOAL_NEXTHOP_COALESCE_MS * 1000);
	shoal_loop_leave(nh->loop, "netlink", start);
}

void shoal_nexthop_on_change(struct shoal_nexthop *nh, void (*changed)(void *arg), void *arg)
{
	nh->changed = changed;
	nh->arg = arg;
}

int shoal_nexthop_open(struct shoal_loop *l, const struct shoal_state *state,
		       struct shoal_nexthop **ret)
{
	struct shoal_nexthop *nh = calloc(1, sizeof(*nh));
	int fd, err;

	if (!nh)
		return -ENOMEM;
	nh->loop = l;
	nh->state = state;
	nh->coalesce = shoal_timer_new(l, "netlink-lookup", on_coalesced, nh);
	nh->retry = shoal_timer_new(l, "nexthop-retry", on_retry, nh);
	if (!nh->coalesce || !nh->retry) {
		err = -ENOMEM;
		goto close_nh;
	}
	err = shoal_nexthop_refresh(nh);
	if (err)
		goto close_nh;
	/* without the event socket the retry timer still follows a missing next hop */
	if (!shoal_nl_events_open(&nh->sock, &fd)) {
		nh->ev = event_new(shoal_loop_base(l), fd, EV_READ | EV_PERSIST, on_events, nh);
		if (nh->ev)
			event_add(nh->ev, NULL);
	}
	*ret = nh;
	return 0;
close_nh:
	shoal_nexthop_close(nh);
	return err;
}

void shoal_nexthop_close(struct shoal_nexthop *nh)
{
	if (!nh)
		return;
	if (nh->ev)
		event_free(nh->ev);
	shoal_nl_events_close(nh->sock);
	shoal_timer_free(nh->coalesce);
	shoal_timer_free(nh->retry);
	free(nh);
}

const struct shoal_link_info *shoal_nexthop_link(const struct shoal_nexthop *nh)
{
	return &nh->link;
}

bool shoal_nexthop_mac(const struct shoal_nexthop *nh, __u8 ret_mac[6])
{
	const struct shoal_host_conf *h = &nh->state->host;

	if (h->have_gateway_mac) {
		memcpy(ret_mac, h->gateway_mac, 6);
		return true;
	}
	if (!nh->gw_resolved)
		return false;
	memcpy(ret_mac, nh->gw_mac, 6);
	return true;
}

const struct shoal_nexthop_stats *shoal_nexthop_stats(const struct shoal_nexthop *nh)
{
	return &nh->st;
}
