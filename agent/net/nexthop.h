/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An input: the interface (index, MAC, MTU) and the next hop's MAC, followed
 * over rtnetlink. Events are read in bounded batches, only those about our
 * interface, our default route or our next hop count, and a burst of them
 * makes one look-up (coalesced over SHOAL_NEXTHOP_COALESCE_MS). A change
 * calls changed(), which requests a reconcile.
 */
#ifndef SHOAL_NET_NEXTHOP_H
#define SHOAL_NET_NEXTHOP_H

#include <stdbool.h>
#include "net/netlink.h"

#define SHOAL_NEXTHOP_COALESCE_MS 20

struct shoal_loop;
struct shoal_state;
struct shoal_nexthop;

struct shoal_nexthop_stats {
	__u64 messages; /* event messages read */
	__u64 lookups;	/* look-ups they caused */
};

/* Looks the interface and next hop up once, then follows events. */
int shoal_nexthop_open(struct shoal_loop *l, const struct shoal_state *state,
		       struct shoal_nexthop **ret);
/* Whom to tell of a change. */
void shoal_nexthop_on_change(struct shoal_nexthop *nh, void (*changed)(void *arg), void *arg);
void shoal_nexthop_close(struct shoal_nexthop *nh);
/* Looks everything up now (start-up, after a reload); calls changed() on a change. */
int shoal_nexthop_refresh(struct shoal_nexthop *nh);
const struct shoal_link_info *shoal_nexthop_link(const struct shoal_nexthop *nh);
/* The next hop's MAC (configured, or resolved); false when unknown. */
bool shoal_nexthop_mac(const struct shoal_nexthop *nh, __u8 ret_mac[6]);
const struct shoal_nexthop_stats *shoal_nexthop_stats(const struct shoal_nexthop *nh);

#endif /* SHOAL_NET_NEXTHOP_H */
