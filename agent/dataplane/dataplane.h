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
#include "model/config.h"

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
/*
 * Health checks through the tunnel: the tc egress program on ifindex (our
 * filter replaced in place; other filters untouched), and its removal.
 */
int shoal_dp_checks_attach(struct shoal_dp *dp, int ifindex);
int shoal_dp_checks_detach(int ifindex);
/* The tc egress program of health checks through the tunnel. */
int shoal_dp_check_prog_fd(const struct shoal_dp *dp);
int shoal_dp_map_fd(const struct shoal_dp *dp, const char *name);

/* Buckets of the flow table for (at least) entries flows: a power of two. */
__u32 shoal_dp_flow_buckets(__u32 entries);
/* Flow-table idle timeouts (seconds) as the program takes them (ticks, by entry class). */
void shoal_dp_flow_idle_ticks(const struct shoal_flow_idle *s, __u16 ret[8]);

/* Host configuration (idle timeouts left 0: the defaults); marks the data plane ready. */
int shoal_dp_set_host(struct shoal_dp *dp, const struct shoal_host_cfg *cfg);

/* Adds or replaces a VIP; its table should be in place first. */
int shoal_dp_vip_set(struct shoal_dp *dp, const struct shoal_vip_key *key,
		     const struct shoal_vip *vip);
int shoal_dp_vip_del(struct shoal_dp *dp, const struct shoal_vip_key *key);
/* Replaces VIP vip_id's lookup table with table[0..size) (size prime) in one step. */
int shoal_dp_table_set(struct shoal_dp *dp, __u32 vip_id, const __u32 *table, __u32 size);

int shoal_dp_backend_set(struct shoal_dp *dp, __u32 id, const struct shoal_backend *be);
/* Marks backend id invalid: flows on it are re-scheduled. */
int shoal_dp_backend_del(struct shoal_dp *dp, __u32 id);

/* Names of the global counters (SHOAL_CNT_*, below the drops) and drop reasons; NULL past the end. */
#define SHOAL_CNT_NAMED 16 /* SHOAL_CNT_PASS .. SHOAL_CNT_ECHO_REPLIED */
struct shoal_counter_info {
	const char *name;   /* lbctl stats' */
	const char *metric; /* Prometheus' */
	const char *help;
};
const struct shoal_counter_info *shoal_counter_info(__u32 idx);
const char *shoal_counter_name(__u32 idx);
/* reason as a positive number, 1 .. SHOAL_DROP_MAX_REASON */
const char *shoal_drop_name(int reason);

/* Buckets of this flow table (SHOAL_FLOW_WAYS entries each). */
__u32 shoal_dp_flow_nbuckets(const struct shoal_dp *dp);
/*
 * Calls fn for each live entry of the buckets from "from" on (idle: ticks since
 * it was last seen) until fn took limit of them (it returns true for those) or
 * budget_ns passed, whole buckets at a time; returns the bucket to go on from
 * (shoal_dp_flow_nbuckets() once the table's end was reached).
 */
__u32 shoal_dp_flow_scan(struct shoal_dp *dp, __u32 from, __u64 budget_ns, size_t limit,
			 bool (*fn)(void *arg, __u32 bucket, int way, __u64 entry, __u32 idle),
			 void *arg);

/* Counters summed over CPUs. */
int shoal_dp_counter(struct shoal_dp *dp, __u32 idx, __u64 *ret);
int shoal_dp_vip_stats(struct shoal_dp *dp, __u32 vip_id, struct shoal_vip_stats *ret);
int shoal_dp_backend_stats(struct shoal_dp *dp, __u32 id, struct shoal_backend_stats *ret);
/*
 * Every counter of the state's VIPs and backends, summed over CPUs, read in
 * batches (a few syscalls for 10,000 backends); the sums below are as of the
 * last refresh.
 */
struct shoal_state;
int shoal_dp_stats_refresh(struct shoal_dp *dp, const struct shoal_state *state);
const struct shoal_vip_stats *shoal_dp_vip_sums(const struct shoal_dp *dp, __u32 vip_id);
const struct shoal_backend_stats *shoal_dp_backend_sums(const struct shoal_dp *dp, __u32 id);
/* Zeroes every counter map (tests and benchmarks). */
int shoal_dp_counters_reset(struct shoal_dp *dp);

/* libbpf's messages at or above warning go to stderr unless quiet. */
void shoal_dp_set_quiet(bool quiet);
/* libbpf's messages go to fn, a line at a time (warn: a warning, else information). */
void shoal_dp_set_logger(void (*fn)(bool warn, const char *line));

struct shoal_state;

/*
 * Makes the maps say what state says, writing only what differs from the
 * last apply, in an order that never drops a packet (see apply.c): new
 * backends, then changed tables swapped in one batch, then VIPs; only then
 * are backends no table names any more retired. Returns the number of map
 * writes that failed (0: all applied).
 */
int shoal_dp_apply(struct shoal_dp *dp, const struct shoal_state *state);
/*
 * The same in slices: begin over state (which must stay unchanged until
 * end: apply a snapshot), step until it returns 0 (each step works for about
 * budget_ns), end returns the failed writes.
 */
struct shoal_dp_apply;
int shoal_dp_apply_begin(struct shoal_dp *dp, const struct shoal_state *state,
			 struct shoal_dp_apply **ret);
int shoal_dp_apply_step(struct shoal_dp_apply *ap, __u64 budget_ns);
int shoal_dp_apply_end(struct shoal_dp_apply *ap);
/* Frees VIP vip_id's table slot. */
int shoal_dp_table_del(struct shoal_dp *dp, __u32 vip_id);

/* The host config the program needs, from the config, the interface and the next hop. */
void shoal_dp_host_cfg_build(const struct shoal_host_conf *h, const __u8 if_mac[6], __u32 if_mtu,
			     const __u8 gw_mac[6], struct shoal_host_cfg *ret);

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

/* Packets per second of VIPs and backends, from two calls of rates_update a second apart. */
void shoal_dp_rates_update(struct shoal_dp *dp, const struct shoal_state *state);
double shoal_dp_vip_pps(const struct shoal_dp *dp, __u32 vip_id);
double shoal_dp_backend_pps(const struct shoal_dp *dp, __u32 id);

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
 * The flow table is counted by a walk in slices: step works for about
 * budget_ns and returns 1 while the walk goes on, 0 when it completed (and
 * published its counts), or -errno.
 */
int shoal_dp_flow_walk_step(struct shoal_dp *dp, __u64 budget_ns);
/* Live entries (in all, of one VIP) at the last complete walk; -EAGAIN before one. */
long shoal_dp_flow_count(const struct shoal_dp *dp);
/* Of them, unconfirmed (one packet seen: a flood shows here). */
long shoal_dp_flow_unconfirmed(const struct shoal_dp *dp);
/* Entries past their idle timeout that walks emptied, since open. */
__u64 shoal_dp_flow_swept(const struct shoal_dp *dp);
/* Entries the table holds at most (buckets x ways). */
__u32 shoal_dp_flow_capacity(const struct shoal_dp *dp);
/* The live entry of the flow key (0), or -ENOENT. */
int shoal_dp_flow_find(struct shoal_dp *dp, const struct shoal_flow_key *key, __u64 *ret);
/* key's bucket in the mapped table, and its tag in place (tests, tools). */
struct shoal_flow_bucket *shoal_dp_flow_bucket(struct shoal_dp *dp,
					       const struct shoal_flow_key *key, __u64 *tag);
/* The word of the table holding key's entry, live or not (tests, tools), or NULL. */
__u64 *shoal_dp_flow_way(struct shoal_dp *dp, const struct shoal_flow_key *key);
/* The program's clock as last published, in ticks (SHOAL_FLOW_TICK_SHIFT), 16 bits. */
__u32 shoal_dp_flow_tick(const struct shoal_dp *dp);
/* Publishes the clock to the program (the agent: every quarter tick; also set_host). */
void shoal_dp_flow_clock(struct shoal_dp *dp);
/* CLOCK_MONOTONIC in ticks. */
__u32 shoal_dp_clock_ticks(void);
long shoal_dp_vip_flow_count(const struct shoal_dp *dp, __u32 vip_id);
/* Flow-table entries naming backend id (how many flows a draining backend still holds). */
long shoal_dp_backend_flow_count(const struct shoal_dp *dp, __u32 id);
__u64 shoal_dp_flow_count_walks(const struct shoal_dp *dp);
/* A whole walk now (tools and tests; the agent walks in slices). */
long shoal_dp_flow_count_now(struct shoal_dp *dp);

#endif /* SHOAL_DATAPLANE_H */
