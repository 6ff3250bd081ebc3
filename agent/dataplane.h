/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The only writer of the balancer's BPF maps. Opens and loads lb.bpf.o through
 * its skeleton, attaches it, and turns VIPs, backends and lookup tables into
 * map writes. A VIP's table is replaced in one step: a fresh inner map is
 * filled, then swapped into vip_tables.
 */
#ifndef SHOAL_DATAPLANE_H
#define SHOAL_DATAPLANE_H

#include <stdbool.h>
#include "shoal/abi.h"

struct shoal_dp;

struct shoal_dp_opts {
	__u32 flow_entries;  /* 0: SHOAL_DEFAULT_FLOWS */
	const char *pin_dir; /* NULL: nothing pinned; else maps and link live there */
};

int shoal_dp_open(const struct shoal_dp_opts *opts, struct shoal_dp **ret_dp);
/* Detaches (unless pinned) and frees; accepts NULL. */
void shoal_dp_close(struct shoal_dp *dp);
/* Attaches the XDP program to ifindex (XDP_FLAGS_*_MODE) until shoal_dp_close. */
int shoal_dp_attach(struct shoal_dp *dp, int ifindex, __u32 xdp_flags);
/*
 * With a pin_dir: attaches through a pinned bpf_link, or, when one is already
 * pinned there (a restart), swaps this program into it with bpf_link_update:
 * the maps were adopted at open, so flows and tables carry over and no packet
 * is lost. ret_adopted tells which. Returns 0 or -errno.
 */
int shoal_dp_attach_pinned(struct shoal_dp *dp, int ifindex, __u32 xdp_flags, bool *ret_adopted);
/* Whether open found maps of this ABI version pinned (and reused them). */
bool shoal_dp_adopted(const struct shoal_dp *dp);
/* Removes everything pinned under pin_dir (detaching the program). */
int shoal_dp_unpin(const char *pin_dir);
int shoal_dp_prog_fd(const struct shoal_dp *dp);
int shoal_dp_map_fd(const struct shoal_dp *dp, const char *name);

/* Host configuration; marks the data plane ready. */
int shoal_dp_set_host(struct shoal_dp *dp, const struct shoal_host_cfg *cfg);

/* Adds or replaces a VIP; its table should be in place first. */
int shoal_dp_vip_set(struct shoal_dp *dp, const struct shoal_vip_key *key,
		     const struct shoal_vip *vip);
int shoal_dp_vip_del(struct shoal_dp *dp, const struct shoal_vip_key *key);
/* Replaces VIP vip_id's lookup table with table[0..size) in one step. */
int shoal_dp_table_set(struct shoal_dp *dp, __u32 vip_id, const __u32 *table, __u32 size);

int shoal_dp_backend_set(struct shoal_dp *dp, __u32 id, const struct shoal_backend *be);
/* Marks backend id invalid: flows on it are re-scheduled. */
int shoal_dp_backend_del(struct shoal_dp *dp, __u32 id);

/* Names of the global counters (SHOAL_CNT_*, below the drops) and drop reasons; NULL past the end. */
#define SHOAL_CNT_NAMED 8 /* SHOAL_CNT_PASS .. SHOAL_CNT_FRAG_FORWARDED */
const char *shoal_counter_name(__u32 idx);
/* reason as a positive number, 1 .. SHOAL_DROP_MAX_REASON */
const char *shoal_drop_name(int reason);

/* Counters summed over CPUs. */
int shoal_dp_counter(struct shoal_dp *dp, __u32 idx, __u64 *ret);
int shoal_dp_vip_stats(struct shoal_dp *dp, __u32 vip_id, struct shoal_vip_stats *ret);
int shoal_dp_backend_stats(struct shoal_dp *dp, __u32 id, struct shoal_backend_stats *ret);
/* Zeroes every counter map (tests and benchmarks). */
int shoal_dp_counters_reset(struct shoal_dp *dp);

/* libbpf's messages at or above warning go to stderr unless quiet. */
void shoal_dp_set_quiet(bool quiet);

#endif /* SHOAL_DATAPLANE_H */

struct shoal_state;

/*
 * Makes the maps say what state says, writing only what differs from the
 * last apply: backends first, then each changed table (swapped whole), then
 * VIPs; removed VIPs go before their backends. Returns the number of map
 * writes that failed (0: all applied).
 */
int shoal_dp_apply(struct shoal_dp *dp, const struct shoal_state *state);
/* Fingerprint of VIP id's table as last applied (0: none). */
__u64 shoal_dp_fingerprint(const struct shoal_dp *dp, __u32 vip_id);
/* Map writes that failed since open. */
__u64 shoal_dp_write_errors(const struct shoal_dp *dp);
/*
 * What adopted maps say: VIPs (key and id) and their backends (address and
 * id), so that a restarted agent gives them the ids their flows name.
 * Returns 0 with *ret (free with shoal_state_free), or -errno.
 */
int shoal_dp_read_state(struct shoal_dp *dp, struct shoal_state **ret);

enum shoal_lookup_verdict {
	SHOAL_LOOKUP_FORWARD = 0, /* encapsulated to backend */
	SHOAL_LOOKUP_PASS = 1,	  /* not for a VIP */
	SHOAL_LOOKUP_DROP = 2,	  /* for a VIP, but dropped (no backend, ...) */
};

struct shoal_lookup {
	enum shoal_lookup_verdict verdict;
	struct shoal_addr backend; /* with SHOAL_LOOKUP_FORWARD */
	bool in_flow_table;	   /* the 5-tuple is in the flow table */
	__u32 backend_id;	   /* from the flow table, if there */
};

/*
 * Which backend the live program would pick for the flow key (its proto TCP
 * or UDP), found by running a dry-run instance of the program (same maps, no
 * writes) on a synthesized packet. Returns 0 or -errno.
 */
int shoal_dp_lookup(struct shoal_dp *dp, const struct shoal_flow_key *key,
		    struct shoal_lookup *ret);
/*
 * Entries in the flow table (a batched walk of the LRU hash, ~0.4 s for 1M
 * entries, so the result is reused for up to 10 s); -errno on failure.
 */
long shoal_dp_flow_count(struct shoal_dp *dp);
/* Entries of VIP vip_id in the flow table, from the same walk. */
long shoal_dp_vip_flow_count(struct shoal_dp *dp, __u32 vip_id);
