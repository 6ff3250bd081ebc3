// SPDX-License-Identifier: GPL-2.0-only
/* The sockets of the BGP sessions (addresses, TTL, TCP-MD5) and what an announcement carries (internal.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "anycast/internal.h"
#include "model/addr.h"

void bgp_sockaddr(const struct shoal_addr *a, int family, __u16 port, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, &a->u32[3], 4);
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, a->u8, 16);
		*len = sizeof(*s);
	}
}

/* A socket address as family and shoal_addr (v4-mapped IPv6 taken as IPv4). */
int bgp_addr_of(const struct sockaddr_storage *ss, struct shoal_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		shoal_addr_from_v4(a, ((const struct sockaddr_in *)ss)->sin_addr.s_addr);
		return AF_INET;
	}
	const struct in6_addr *v6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (IN6_IS_ADDR_V4MAPPED(v6)) {
		memcpy(a->u8, v6, 16); /* shoal_addr keeps IPv4 v4-mapped too */
		return AF_INET;
	}
	memcpy(a->u8, v6, 16);
	return AF_INET6;
}

void bgp_sock_opts(const struct shoal_bgp_peer_conf *p, int fd)
{
	int ttl = p->ttl, one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (p->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
}

/* RFC 2385: the key for the peer's address on fd (a listener holds one per peer). */
int bgp_md5_key(int fd, int fd_family, const struct shoal_bgp_peer_conf *p)
{
	struct tcp_md5sig sig = { 0 };
	socklen_t len;

	if (!p->password[0])
		return 0;
	if (fd_family == AF_INET6 && p->family == AF_INET) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&sig.tcpm_addr;

		s->sin6_family = AF_INET6;
		s->sin6_addr.s6_addr[10] = s->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s->sin6_addr.s6_addr[12], &p->addr.u32[3], 4);
	} else {
		bgp_sockaddr(&p->addr, p->family, 0, &sig.tcpm_addr, &len);
	}
	sig.tcpm_keylen = (__u16)strlen(p->password);
	memcpy(sig.tcpm_key, p->password, sig.tcpm_keylen);
	return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig)) ? -errno : 0;
}

void bgp_attrs_of(const struct shoal_anycast_conf *k, const struct shoal_bgp_peer_conf *pc,
		  const struct sockaddr_storage *local_sa, bool as4, const struct want *w,
		  struct bgp_attrs *a)
{
	struct shoal_addr local;
	int fam = bgp_addr_of(local_sa, &local);
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->local_as = pc->local_as ? pc->local_as : k->local_as;
	a->ibgp = pc->peer_as == a->local_as;
	a->as4 = as4;
	a->local_pref = 100;
	/* next hop self: the session's own address unless one is configured */
	if (k->have_nh4)
		memcpy(&a->nh4, &k->nh4.u32[3], 4);
	else if (fam == AF_INET)
		memcpy(&a->nh4, &local.u32[3], 4);
	if (k->have_nh6)
		memcpy(&a->nh6, k->nh6.u8, 16);
	else if (fam == AF_INET6)
		memcpy(&a->nh6, local.u8, 16);
	a->have_med = w->attrs.have_med;
	a->med = w->attrs.med;
	for (i = 0; i < w->attrs.ncomms && i < BGP_MAX_COMMS; i++)
		a->comms[a->ncomms++] = w->attrs.comms[i];
	for (i = 0; i < w->attrs.nlarge && i < BGP_MAX_COMMS; i++)
		a->large[a->nlarge++] =
			(struct bgp_large_comm){ w->attrs.large[i][0], w->attrs.large[i][1],
						 w->attrs.large[i][2] };
}

void bgp_prefix_of(const struct want *w, struct bgp_prefix *bp)
{
	memset(bp, 0, sizeof(*bp));
	bp->family = w->family;
	bp->len = w->family == AF_INET ? 32 : 128;
	if (w->family == AF_INET)
		memcpy(&bp->v4, &w->addr.u32[3], 4);
	else
		memcpy(&bp->v6, w->addr.u8, 16);
}
