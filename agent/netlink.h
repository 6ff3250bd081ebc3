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
/* Drains pending events; returns how many there were (the caller re-resolves). */
int shoal_nl_events_drain(void *sock);
void shoal_nl_events_close(void *sock);

#endif /* SHOAL_NETLINK_H */
