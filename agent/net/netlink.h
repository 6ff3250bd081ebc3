/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the data plane needs from the kernel's network configuration, over
 * rtnetlink (libmnl): the interface's index, MAC and MTU, the default
 * route's next hop and its MAC. Library code: returns negative errno.
 */
#ifndef SHOAL_NETLINK_H
#define SHOAL_NETLINK_H

#include <stdbool.h>
#include "shoal/abi.h"

struct shoal_link_info {
	int ifindex;
	__u8 mac[6];
	__u32 mtu;
};

int shoal_nl_link(const char *ifname, struct shoal_link_info *ret);
/* The next hop of the default route (family AF_INET or AF_INET6) out of ifindex. */
int shoal_nl_gateway(int ifindex, int family, struct shoal_addr *ret);
/*
 * The MAC of gw on ifindex from the neighbour table; -EAGAIN (after asking
 * the kernel to resolve it) when there is no usable entry yet.
 */
int shoal_nl_neigh(int ifindex, const struct shoal_addr *gw, __u8 ret_mac[6]);

/* A non-blocking socket that receives link, neighbour and route changes. */
int shoal_nl_events_open(void **ret_sock, int *ret_fd);
#define SHOAL_NL_EV_LINK  (1U << 0) /* our interface changed */
#define SHOAL_NL_EV_ROUTE (1U << 1) /* a default route changed */
#define SHOAL_NL_EV_NEIGH (1U << 2) /* the next hop's neighbour entry changed */
#define SHOAL_NL_EV_LOST  (1U << 3) /* the socket overflowed: events were lost */

struct shoal_nl_events {
	int ifindex;		     /* in: our interface */
	const struct shoal_addr *gw; /* in: our next hop, or NULL */
	unsigned int what;	     /* out: SHOAL_NL_EV_* seen */
	unsigned long messages;	     /* out: messages read */
};

/*
 * Reads at most max_reads datagrams of pending events and classifies them
 * into e. Returns 0 when the socket is drained, 1 when more may be pending
 * (read again later), or -errno.
 */
int shoal_nl_events_read(void *sock, struct shoal_nl_events *e, unsigned int max_reads);
/* Classifies the messages of one datagram into e (pure; fuzzed). */
void shoal_nl_events_parse(const void *buf, size_t len, struct shoal_nl_events *e);
void shoal_nl_events_close(void *sock);
/* Adds (replaces) or removes a blackhole host route to dst in table, with protocol. */
int shoal_nl_route(bool add, int family, const struct shoal_addr *dst, __u32 table, __u8 protocol);
/* Calls fn for every blackhole host route of family in table with protocol (what an earlier run put). */
int shoal_nl_routes_own(int family, __u32 table, __u8 protocol,
			void (*fn)(int family, const struct shoal_addr *dst, void *arg), void *arg);

#endif /* SHOAL_NETLINK_H */
