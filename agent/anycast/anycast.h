/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The anycast room: which VIP prefixes the host announces, and to whom.
 * A prefix (one per VIP address) is announced once it is in the maps (the
 * program is attached before any apply), while it is servable (any, or all,
 * of its services has min_healthy healthy backends) and not withdrawn by
 * the operator; on shutdown everything is withdrawn first. Announced over
 * BGP sessions to the configured peers (bgp.c, with BFD in bfd.c), or as
 * routes in a kernel table for a routing daemon on the host (kroute.c).
 */
#ifndef SHOAL_ANYCAST_H
#define SHOAL_ANYCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "shoal/abi.h"
#include "model/anycast_conf.h"

struct shoal_parts;
struct shoal_state;
struct shoal_anycast;

enum shoal_prefix_why {
	SHOAL_PFX_ANNOUNCED = 0,
	SHOAL_PFX_NOT_IN_MAPS,
	SHOAL_PFX_UNSERVABLE,
	SHOAL_PFX_ADMIN,
	SHOAL_PFX_SHUTDOWN,
};

struct shoal_prefix_view {
	int family;
	struct shoal_addr addr;
	bool announced;
	enum shoal_prefix_why why; /* why not, or SHOAL_PFX_ANNOUNCED */
	size_t peers;		   /* sessions it is announced on */
};

struct shoal_peer_view {
	char addr[64];
	__u32 peer_as, local_as;
	const char *state; /* idle, connect, active, opensent, openconfirm, established */
	__u64 since_ns;	   /* in that state since (monotonic) */
	const char *last_error;
	__u32 router_id; /* the peer's, once known */
	__u32 hold_s;	 /* negotiated */
	size_t prefixes; /* announced to it */
	__u64 received_announced, received_withdrawn;
	__u64 transitions;
	__u64 msgs[2][6]; /* [in, out][type] */
	bool gr;	  /* graceful restart negotiated */
	bool bfd;	  /* configured */
	const char *bfd_state;
	bool bfd_up;
};

const char *shoal_prefix_why_name(enum shoal_prefix_why w);

/* restarted: the maps were adopted (graceful restart says forwarding was kept). */
int shoal_anycast_open(struct shoal_parts *p, const struct shoal_anycast_conf *conf, bool restarted,
		       struct shoal_anycast **ret);
void shoal_anycast_close(struct shoal_anycast *a);
/* After an apply: snap is what the maps now hold. */
void shoal_anycast_sync(struct shoal_anycast *a, const struct shoal_state *snap);
/* lbctl vip withdraw|announce ADDR; -ENOENT when no VIP has that address. */
int shoal_anycast_admin(struct shoal_anycast *a, const struct shoal_addr *addr, bool withdraw);
/*
 * Shutdown: everything withdrawn now; done(arg) once the grace has passed
 * (at once when nothing was announced).
 */
void shoal_anycast_shutdown(struct shoal_anycast *a, void (*done)(void *arg), void *arg);
/* Stop for a restart: sessions dropped without a word, so peers keep the routes (RFC 4724). */
void shoal_anycast_restart_stop(struct shoal_anycast *a);

enum shoal_announce shoal_anycast_mode(const struct shoal_anycast *a);
size_t shoal_anycast_prefixes(struct shoal_anycast *a, struct shoal_prefix_view *out, size_t max);
size_t shoal_anycast_peers(struct shoal_anycast *a, struct shoal_peer_view *out, size_t max);

#endif /* SHOAL_ANYCAST_H */
