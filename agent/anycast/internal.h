/* SPDX-License-Identifier: GPL-2.0-only */
/* What the anycast room's files share: the prefixes to announce and the speakers. */
#ifndef SHOAL_ANYCAST_INTERNAL_H
#define SHOAL_ANYCAST_INTERNAL_H

#include "anycast/anycast.h"
#include <sys/socket.h>
#include "model/bgpwire.h"

struct shoal_loop;
struct bgp_speaker;
struct bfd_room;

/* One prefix the host wants announced, with its path attributes (sorted by family, addr). */
struct want {
	int family;
	struct shoal_addr addr;
	struct shoal_route_attrs attrs;
};

/* bgp.c: the sessions of the bgp block. */
int bgp_open(struct shoal_loop *l, const struct shoal_anycast_conf *c, bool restarted,
	     struct bgp_speaker **ret);
void bgp_close(struct bgp_speaker *s, bool quiet);
/* The prefixes each established session should carry now (want[], sorted). */
void bgp_set_wants(struct bgp_speaker *s, const struct want *w, size_t n);
size_t bgp_peer_views(struct bgp_speaker *s, struct shoal_peer_view *out, size_t max);
/* Sessions a prefix is announced on. */
size_t bgp_prefix_peers(struct bgp_speaker *s, const struct want *w);
/* BFD of peer i went down (after having been up): its session ends. */
void bgp_bfd_down(struct bgp_speaker *s, size_t peer);

/* bgp_sock.c: the sessions' sockets. */
void bgp_sockaddr(const struct shoal_addr *a, int family, __u16 port, struct sockaddr_storage *ss,
		  socklen_t *len);
/* A socket address as family and shoal_addr (v4-mapped IPv6 taken as IPv4). */
int bgp_addr_of(const struct sockaddr_storage *ss, struct shoal_addr *a);
/* No delay, and the peer's TTL (1: directly connected; more: multihop). */
void bgp_sock_opts(const struct shoal_bgp_peer_conf *p, int fd);
/* RFC 2385: the key for the peer's address on fd (a listener holds one per peer). */
int bgp_md5_key(int fd, int fd_family, const struct shoal_bgp_peer_conf *p);

/* The path attributes of w for a peer, next hop from the session's local address. */
void bgp_attrs_of(const struct shoal_anycast_conf *k, const struct shoal_bgp_peer_conf *pc,
		  const struct sockaddr_storage *local, bool as4, const struct want *w,
		  struct bgp_attrs *a);
void bgp_prefix_of(const struct want *w, struct bgp_prefix *bp);

/* bfd.c: one session per peer with bfd on. */
int bfd_open(struct shoal_loop *l, const struct shoal_anycast_conf *c, struct bgp_speaker *sp,
	     struct bfd_room **ret);
void bfd_close(struct bfd_room *b);
/* The BFD state of peer i (NULL: none configured). */
const char *bfd_peer_state(struct bfd_room *b, size_t peer, bool *up);

/* kroute.c: routes in a kernel table. */
struct kroute;
int kroute_open(const struct shoal_anycast_conf *c, struct kroute **ret);
void kroute_close(struct kroute *k, bool remove);
void kroute_set_wants(struct kroute *k, const struct want *w, size_t n);
bool kroute_has(struct kroute *k, const struct want *w);

/* Order of wants by family, then address: a qsort/bsearch comparator. */
int want_cmp(const void *a, const void *b);

#endif /* SHOAL_ANYCAST_INTERNAL_H */
