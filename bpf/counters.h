/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-CPU counters: global (stats) and per backend (VIPs are sums of their backends). */
#ifndef SHOAL_BPF_COUNTERS_H
#define SHOAL_BPF_COUNTERS_H

#include "maps.h"

__shoal_inline void cnt_inc(__u32 idx)
{
	__u64 *v;

	if (dry_run)
		return;
	v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

__shoal_inline void cnt_drop(int reason)
{
	cnt_inc(SHOAL_CNT_DROP(reason));
}

__shoal_inline void cnt_backend(__u32 be_id, __u32 bytes, int new_flow)
{
	struct shoal_backend_stats *s = bpf_map_lookup_elem(&backend_stats, &be_id);

	if (!s || dry_run)
		return;
	s->packets++;
	s->bytes += bytes;
	s->new_flows += new_flow;
}

__shoal_inline void cnt_syn_repeat(__u32 be_id)
{
	struct shoal_backend_stats *s = bpf_map_lookup_elem(&backend_stats, &be_id);

	if (s && !dry_run)
		s->syn_repeats++;
}

#endif /* SHOAL_BPF_COUNTERS_H */
