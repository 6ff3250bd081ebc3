// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading the flow table: it is an array, mapped into the agent, so a walk is
 * plain loads, cut into slices of a time budget and published whole when it
 * completes. The walk also sweeps: an entry past its idle timeout is emptied
 * (compare-and-swap, so a packet's racing write wins), which keeps the
 * program's 16-bit clock from ever making a long-gone entry look fresh.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/internal.h"
#include "shoal/jhash.h"

#define WALK_CHUNK 4096 /* buckets between clock reads */

struct flow_walk {
	__u32 per_vip[SHOAL_MAX_VIPS];
	__u32 per_backend[SHOAL_MAX_BACKENDS];
	__u32 next; /* bucket */
	long total, unconfirmed;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* The program's clock, as last published. */
static __u32 flow_tick_now(const struct shoal_dp *dp)
{
	return __atomic_load_n(&dp->skel->bss->host_cfg.flow_tick, __ATOMIC_RELAXED) &
	       SHOAL_FLOW_TIME_MASK;
}

__u32 shoal_dp_clock_ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u32)(((__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec) >>
		       SHOAL_FLOW_TICK_SHIFT);
}

void shoal_dp_flow_clock(struct shoal_dp *dp)
{
	__atomic_store_n(&dp->skel->bss->host_cfg.flow_tick, shoal_dp_clock_ticks(),
			 __ATOMIC_RELAXED);
}

/* Whether entry e is live at tick now under the program's timeouts. */
static bool entry_live(const struct shoal_dp *dp, __u64 e, __u32 now)
{
	__u32 age = (now - SHOAL_FLOW_TICK(e)) & SHOAL_FLOW_TIME_MASK;

	if (!(e & SHOAL_FLOW_STATE_MASK))
		return false;
	/* a hair of slack: the program's clock may lag ours by a tick */
	return age <= (__u32)dp->skel->bss->host_cfg.flow_idle[e & SHOAL_FLOW_CLASS_MASK] + 1;
}

static void walk_bucket(struct shoal_dp *dp, struct flow_walk *w, struct shoal_flow_bucket *b,
			__u32 now, bool sweep)
{
	int i;

	for (i = 0; i < SHOAL_FLOW_WAYS; i++) {
		__u64 e = __atomic_load_n(&b->way[i], __ATOMIC_RELAXED);
		__u32 id;

		if (!(e & SHOAL_FLOW_STATE_MASK))
			continue;
		if (sweep && !entry_live(dp, e, now)) {
			if (__atomic_compare_exchange_n(&b->way[i], &e, 0, false, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
				dp->flow_swept++;
			continue;
		}
		w->total++;
		if ((e & SHOAL_FLOW_STATE_MASK) == SHOAL_FLOW_UNCONFIRMED)
			w->unconfirmed++;
		id = SHOAL_FLOW_BE(e);
		if (id < SHOAL_MAX_BACKENDS) {
			w->per_backend[id]++;
			if (dp->applied_be[id].vip_id < SHOAL_MAX_VIPS)
				w->per_vip[dp->applied_be[id].vip_id]++;
		}
	}
}

int shoal_dp_flow_walk_step(struct shoal_dp *dp, __u64 budget_ns)
{
	__u64 deadline = budget_ns == UINT64_MAX ? UINT64_MAX : mono_ns() + budget_ns;
	struct flow_walk *w = dp->walk;
	__u32 now = flow_tick_now(dp), end;
	/*
	 * Until the host config is written the clock and the timeouts are not
	 * known: a restarted agent that swept its adopted table then would empty it.
	 */
	bool sweep = dp->skel->bss->host_cfg.flags & SHOAL_HOST_F_READY;

	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		dp->walk = w;
	}
	do {
		end = w->next + WALK_CHUNK < dp->flow_nbuckets ? w->next + WALK_CHUNK
							       : dp->flow_nbuckets;
		for (; w->next < end; w->next++)
			walk_bucket(dp, w, &dp->flows_mem[w->next], now, sweep);
		if (w->next == dp->flow_nbuckets) {
			dp->flow_count = w->total;
			dp->flow_unconfirmed = w->unconfirmed;
			memcpy(dp->vip_flows, w->per_vip, sizeof(w->per_vip));
			memcpy(dp->backend_flows, w->per_backend, sizeof(w->per_backend));
			dp->flow_count_ns = mono_ns();
			dp->flow_walks++;
			free(w);
			dp->walk = NULL;
			return 0;
		}
	} while (mono_ns() < deadline);
	return 1;
}

struct shoal_flow_bucket *shoal_dp_flow_bucket(struct shoal_dp *dp,
					       const struct shoal_flow_key *key, __u64 *tag)
{
	__u32 h2, h = shoal_flow_hash2(key, dp->skel->bss->host_cfg.hash_seed, &h2);

	if (tag)
		*tag = SHOAL_FLOW_TAG_OF(h);
	return &dp->flows_mem[h2 & (dp->flow_nbuckets - 1)];
}

__u64 *shoal_dp_flow_way(struct shoal_dp *dp, const struct shoal_flow_key *key)
{
	__u64 tag;
	struct shoal_flow_bucket *b = shoal_dp_flow_bucket(dp, key, &tag);
	int i;

	for (i = 0; i < SHOAL_FLOW_WAYS; i++) {
		__u64 e = __atomic_load_n(&b->way[i], __ATOMIC_RELAXED);

		if ((e & SHOAL_FLOW_TAG_MASK) == tag && (e & SHOAL_FLOW_STATE_MASK))
			return &b->way[i];
	}
	return NULL;
}

int shoal_dp_flow_find(struct shoal_dp *dp, const struct shoal_flow_key *key, __u64 *ret)
{
	__u64 *w = shoal_dp_flow_way(dp, key), e;

	if (!w)
		return -ENOENT;
	e = __atomic_load_n(w, __ATOMIC_RELAXED);
	if (!entry_live(dp, e, flow_tick_now(dp)))
		return -ENOENT;
	*ret = e;
	return 0;
}

__u32 shoal_dp_flow_tick(const struct shoal_dp *dp)
{
	return flow_tick_now(dp);
}

long shoal_dp_flow_count(const struct shoal_dp *dp)
{
	return dp->flow_walks ? dp->flow_count : -EAGAIN;
}

long shoal_dp_flow_unconfirmed(const struct shoal_dp *dp)
{
	return dp->flow_walks ? dp->flow_unconfirmed : -EAGAIN;
}

__u64 shoal_dp_flow_swept(const struct shoal_dp *dp)
{
	return dp->flow_swept;
}

__u32 shoal_dp_flow_capacity(const struct shoal_dp *dp)
{
	return dp->flow_nbuckets * SHOAL_FLOW_WAYS;
}

long shoal_dp_vip_flow_count(const struct shoal_dp *dp, __u32 vip_id)
{
	if (!dp->flow_walks)
		return -EAGAIN;
	return vip_id < SHOAL_MAX_VIPS ? (long)dp->vip_flows[vip_id] : 0;
}

long shoal_dp_backend_flow_count(const struct shoal_dp *dp, __u32 id)
{
	if (!dp->flow_walks)
		return -EAGAIN;
	return id < SHOAL_MAX_BACKENDS ? (long)dp->backend_flows[id] : 0;
}

__u64 shoal_dp_flow_count_walks(const struct shoal_dp *dp)
{
	return dp->flow_walks;
}

long shoal_dp_flow_count_now(struct shoal_dp *dp)
{
	int ret = shoal_dp_flow_walk_step(dp, UINT64_MAX);

	return ret < 0 ? ret : dp->flow_count;
}

__u32 shoal_dp_flow_nbuckets(const struct shoal_dp *dp)
{
	return dp->flow_nbuckets;
}

__u32 shoal_dp_flow_scan(struct shoal_dp *dp, __u32 from, __u64 budget_ns, size_t limit,
			 bool (*fn)(void *arg, __u32 bucket, int way, __u64 entry, __u32 idle),
			 void *arg)
{
	__u64 deadline = mono_ns() + budget_ns;
	__u32 now = flow_tick_now(dp), b, end;
	size_t taken = 0;
	int i;

	for (b = from; b < dp->flow_nbuckets && taken < limit;) {
		end = b + WALK_CHUNK < dp->flow_nbuckets ? b + WALK_CHUNK : dp->flow_nbuckets;
		for (; b < end && taken < limit; b++) {
			for (i = 0; i < SHOAL_FLOW_WAYS && taken < limit; i++) {
				__u64 e =
					__atomic_load_n(&dp->flows_mem[b].way[i], __ATOMIC_RELAXED);

				if (!entry_live(dp, e, now))
					continue;
				if (fn(arg, b, i, e,
				       (now - SHOAL_FLOW_TICK(e)) & SHOAL_FLOW_TIME_MASK))
					taken++;
			}
			/* a bucket is taken whole: a continuation starts at the next one */
			if (taken >= limit) {
				b++;
				break;
			}
		}
		if (mono_ns() >= deadline)
			break;
	}
	return b;
}
