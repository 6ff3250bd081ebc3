/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The health room: active checks (one probe per distinct check and target,
 * however many VIPs share it), the passive signal from repeated SYNs, load
 * feedback (HAProxy agent-check) and availability. Its results are an input
 * like any other: a transition edits nothing by itself but requests a
 * reconcile, and shoal_health_sync() writes every backend's health into the
 * state just before the apply reads it.
 */
#ifndef SHOAL_HEALTH_H
#define SHOAL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "model/health.h"

struct shoal_parts;
struct shoal_health;
struct shoal_vip_state;
struct shoal_be_state;

/* What status, lbctl health and metrics show of one backend's checks. */
struct shoal_health_view {
	const struct shoal_check_conf *check; /* NULL: no active check (type none) */
	__u16 port;			      /* the port checked */
	const struct shoal_hstate *hs;
	const char *last_reason; /* "" before the first result */
	bool last_ok;
	__u64 last_ns, latency_ns;
	double avail_life, avail_hour;
	__u64 checks_ok, checks_failed, checks_timeout, transitions;
	const __u64 *duration_le; /* cumulative, SHOAL_CHECK_BUCKETS + 1 */
	double duration_sum;
	/* load feedback */
	bool agent_on, agent_ok;
	int agent_pct; /* applied, -1 none */
	const char *agent_reply;
	__u64 passive_failures;
};

#define SHOAL_CHECK_BUCKETS 8
extern const double shoal_check_bounds[SHOAL_CHECK_BUCKETS];

int shoal_health_open(struct shoal_parts *p, struct shoal_health **ret);
void shoal_health_close(struct shoal_health *h);
/* Before an apply: a probe for every backend of the state, and their results into it. */
void shoal_health_sync(struct shoal_health *h);
/* The view of b of v; false when it has no probe yet. */
bool shoal_health_view(struct shoal_health *h, const struct shoal_vip_state *v,
		       const struct shoal_be_state *b, struct shoal_health_view *ret);
/* A VIP's availability: 1 - prod(1 - A_b) over its backends (life). */
double shoal_health_vip_avail(struct shoal_health *h, const struct shoal_vip_state *v);
/* Counters of the room. */
__u64 shoal_health_probes(const struct shoal_health *h);
__u64 shoal_health_panics(const struct shoal_health *h);

#endif /* SHOAL_HEALTH_H */
