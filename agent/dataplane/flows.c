// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading the flow table: a batched walk cut into slices of a time budget
 * (a walk of 1M entries takes ~0.4 s), published whole when it completes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/internal.h"

#define WALK_BATCH 4096

struct flow_walk {
	struct shoal_flow_key keys[WALK_BATCH];
	struct shoal_flow vals[WALK_BATCH];
	__u32 per_vip[SHOAL_MAX_VIPS];
	__u32 per_backend[SHOAL_MAX_BACKENDS];
	struct shoal_flow_key cursor;
	bool started;
	long total;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

int shoal_dp_flow_walk_step(struct shoal_dp *dp, __u64 budget_ns)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	int fd = bpf_map__fd(dp->skel->maps.flows);
	__u64 deadline = budget_ns == UINT64_MAX ? UINT64_MAX : mono_ns() + budget_ns;
	struct flow_walk *w = dp->walk;
	struct shoal_flow_key out;
	__u32 n, i;
	int ret;

	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		dp->walk = w;
	}
	do {
		n = WALK_BATCH;
		ret = bpf_map_lookup_batch(fd, w->started ? &w->cursor : NULL, &out, w->keys,
					   w->vals, &n, &o);
		if (ret && errno != ENOENT) {
			ret = -errno;
			free(w);
			dp->walk = NULL;
			return ret;
		}
		w->total += n;
		for (i = 0; i < n; i++) {
			if (w->vals[i].vip_id < SHOAL_MAX_VIPS)
				w->per_vip[w->vals[i].vip_id]++;
			if (w->vals[i].backend_id < SHOAL_MAX_BACKENDS)
				w->per_backend[w->vals[i].backend_id]++;
		}
		if (ret) {
			/* ENOENT: the walk is complete */
			dp->flow_count = w->total;
			memcpy(dp->vip_flows, w->per_vip, sizeof(w->per_vip));
			memcpy(dp->backend_flows, w->per_backend, sizeof(w->per_backend));
			dp->flow_count_ns = mono_ns();
			dp->flow_walks++;
			free(w);
			dp->walk = NULL;
			return 0;
		}
		w->cursor = out;
		w->started = true;
	} while (mono_ns() < deadline);
	return 1;
}

long shoal_dp_flow_count(const struct shoal_dp *dp)
{
	return dp->flow_walks ? dp->flow_count : -EAGAIN;
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
