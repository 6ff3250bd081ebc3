// SPDX-License-Identifier: GPL-2.0-only
/* Counters summed over CPUs, and the one table of their names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <arpa/inet.h>

#include "dataplane/internal.h"
#include "model/state.h"

/* The one name table of the global counters: lbctl stats, metrics and the lab read it. */
static const struct shoal_counter_info counters[SHOAL_CNT_NAMED] = {
	[SHOAL_CNT_PASS] = { "passed", "shoal_passed_total",
			     "Packets the prefilter took for a VIP address's, passed after the "
			     "exact check." },
	[SHOAL_CNT_TX] = { "tx", "shoal_tx_packets_total", "Packets encapsulated and sent." },
	[SHOAL_CNT_FLOW_MISS] = { "flow_misses", "shoal_flow_table_misses_total",
				  "Packets of a VIP not found in the flow table." },
	[SHOAL_CNT_FLOW_RESCHEDULED] = { "flows_rescheduled", "shoal_flows_rescheduled_total",
					 "Known flows moved because their backend left." },
	[SHOAL_CNT_ICMP_FORWARDED] = { "icmp_forwarded", "shoal_icmp_errors_forwarded_total",
				       "ICMP errors sent to the backend of the flow they quote." },
	[SHOAL_CNT_PTB_SENT] = { "ptb_sent", "shoal_packet_too_big_sent_total",
				 "Frag-needed / packet-too-big answers sent to clients." },
	[SHOAL_CNT_V6_EXTHDR] = { "ipv6_ext_headers", "shoal_ipv6_extension_headers_total",
				  "IPv6 packets to a VIP address with extension headers "
				  "(walked)." },
	[SHOAL_CNT_FRAG_FORWARDED] = { "fragments_forwarded", "shoal_fragments_forwarded_total",
				       "IPv4 fragments forwarded (maglev-src VIPs of all ports)." },
	[SHOAL_CNT_CHECK_TUNNELED] = { "checks_tunneled", "shoal_checks_tunneled_total",
				       "Health-check packets encapsulated to their backend." },
	[SHOAL_CNT_CHECK_REFUSED] = { "checks_refused", "shoal_checks_refused_total",
				      "Marked check packets not for their backend's VIP: "
				      "dropped." },
	[SHOAL_CNT_PTB_SUPPRESSED] = { "ptb_suppressed", "shoal_packet_too_big_suppressed_total",
				       "Too-big answers over the ICMP rate: not sent." },
	[SHOAL_CNT_FLOW_INSERT] = { "flow_inserts", "shoal_flow_inserts_total",
				    "Flow-table entries written for new flows." },
	[SHOAL_CNT_FLOW_EVICT_UNCONFIRMED] = { "flow_evictions_unconfirmed",
					       "shoal_flow_evictions_unconfirmed_total",
					       "New flows that replaced an unconfirmed entry (one "
					       "packet seen)." },
	[SHOAL_CNT_FLOW_EVICT_IDLE] = { "flow_evictions_idle", "shoal_flow_evictions_idle_total",
					"New flows that replaced an entry past its idle "
					"timeout." },
	[SHOAL_CNT_FLOW_REFUSED] = { "flow_inserts_refused", "shoal_flow_inserts_refused_total",
				     "New flows not recorded: every way of their bucket held a "
				     "live confirmed flow." },
	[SHOAL_CNT_ECHO_REPLIED] = { "echo_replied", "shoal_echo_replied_total",
				     "ICMP and ICMPv6 echo requests to a VIP address answered." },
};

const struct shoal_counter_info *shoal_counter_info(__u32 idx)
{
	return idx < SHOAL_CNT_NAMED && counters[idx].name ? &counters[idx] : NULL;
}

const char *shoal_counter_name(__u32 idx)
{
	return shoal_counter_info(idx) ? counters[idx].name : NULL;
}

const char *shoal_drop_name(int reason)
{
	static const char *const names[SHOAL_DROP_MAX_REASON + 1] = {
		[-SHOAL_DROP_MALFORMED] = "malformed",
		[-SHOAL_DROP_TRUNCATED] = "truncated",
		[-SHOAL_DROP_FRAGMENT] = "fragment",
		[-SHOAL_DROP_NO_BACKEND] = "no_backend",
		[-SHOAL_DROP_BAD_BACKEND] = "bad_backend",
		[-SHOAL_DROP_ENCAP] = "encap",
		[-SHOAL_DROP_TOO_BIG] = "too_big",
		[-SHOAL_DROP_NOT_READY] = "not_ready",
		[-SHOAL_DROP_ICMP] = "icmp_unknown_flow",
		[-SHOAL_DROP_NO_SERVICE] = "no_service",
		[-SHOAL_DROP_PROTO] = "protocol",
		[-SHOAL_DROP_EXTHDR] = "ipv6_ext_header",
		[-SHOAL_DROP_ECHO_LIMIT] = "echo_rate_limited",
	};

	return reason > 0 && reason <= SHOAL_DROP_MAX_REASON ? names[reason] : NULL;
}

static int percpu_sum(struct shoal_dp *dp, struct bpf_map *map, __u32 idx, size_t nfields,
		      __u64 *ret)
{
	size_t n = (size_t)dp->ncpus * nfields, c, f;
	__u64 *vals;

	vals = calloc(n, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &idx, vals)) {
		free(vals);
		return -errno;
	}
	memset(ret, 0, nfields * sizeof(*ret));
	for (c = 0; c < (size_t)dp->ncpus; c++)
		for (f = 0; f < nfields; f++)
			ret[f] += vals[c * nfields + f];
	free(vals);
	return 0;
}

static int percpu_sum_range(struct shoal_dp *dp, struct bpf_map *map, __u32 n, size_t nfields,
			    __u64 *sums);

/*
 * Every backend's counters summed over CPUs into dp->be_sums (the whole map),
 * and, per VIP, into vips (with what its retired backends counted).
 */
static int backends_sum_all(struct shoal_dp *dp, struct shoal_vip_stats *vips, __u64 *tx)
{
	__u32 id;
	int ret = percpu_sum_range(dp, dp->skel->maps.backend_stats, SHOAL_MAX_BACKENDS,
				   sizeof(struct shoal_backend_stats) / sizeof(__u64),
				   (__u64 *)dp->be_sums);

	if (ret)
		return ret;
	memcpy(vips, dp->vip_retired, SHOAL_MAX_VIPS * sizeof(*vips));
	*tx = dp->retired_tx;
	for (id = 1; id < SHOAL_MAX_BACKENDS; id++) {
		const struct shoal_backend_stats *b = &dp->be_sums[id];
		__u32 v = dp->applied_be[id].vip_id;

		*tx += b->packets;
		if (!(dp->applied_be[id].flags & SHOAL_BE_F_VALID) || v >= SHOAL_MAX_VIPS)
			continue;
		vips[v].packets += b->packets;
		vips[v].bytes += b->bytes;
		vips[v].new_flows += b->new_flows;
	}
	return 0;
}

int shoal_dp_counter(struct shoal_dp *dp, __u32 idx, __u64 *ret)
{
	/* a sent packet is counted once, on its backend: tx is their sum */
	if (idx == SHOAL_CNT_TX)
		return backends_sum_all(dp, dp->vip_sums, ret);
	return percpu_sum(dp, dp->skel->maps.stats, idx, 1, ret);
}

int shoal_dp_vip_stats(struct shoal_dp *dp, __u32 vip_id, struct shoal_vip_stats *ret)
{
	__u64 tx;
	int err;

	if (vip_id >= SHOAL_MAX_VIPS)
		return -EINVAL;
	err = backends_sum_all(dp, dp->vip_sums, &tx);
	if (!err)
		*ret = dp->vip_sums[vip_id];
	return err;
}

void dp_backend_retire(struct shoal_dp *dp, __u32 id)
{
	struct shoal_backend_stats st;
	__u32 v = dp->applied_be[id].vip_id;
	void *zero;

	if (!(dp->applied_be[id].flags & SHOAL_BE_F_VALID) ||
	    percpu_sum(dp, dp->skel->maps.backend_stats, id, sizeof(st) / sizeof(__u64),
		       (__u64 *)&st))
		return;
	dp->retired_tx += st.packets;
	if (v < SHOAL_MAX_VIPS) {
		dp->vip_retired[v].packets += st.packets;
		dp->vip_retired[v].bytes += st.bytes;
		dp->vip_retired[v].new_flows += st.new_flows;
	}
	/* the id starts from zero when it serves again */
	zero = calloc((size_t)dp->ncpus, sizeof(st));
	if (zero)
		bpf_map_update_elem(bpf_map__fd(dp->skel->maps.backend_stats), &id, zero, BPF_ANY);
	free(zero);
}

int shoal_dp_backend_stats(struct shoal_dp *dp, __u32 id, struct shoal_backend_stats *ret)
{
	return percpu_sum(dp, dp->skel->maps.backend_stats, id, sizeof(*ret) / sizeof(__u64),
			  (__u64 *)ret);
}

static int percpu_zero(struct shoal_dp *dp, struct bpf_map *map, size_t value_size)
{
	__u32 max = bpf_map__max_entries(map), i;
	void *zero;
	int ret = 0;

	zero = calloc((size_t)dp->ncpus, (value_size + 7) & ~7UL);
	if (!zero)
		return -ENOMEM;
	for (i = 0; i < max && !ret; i++)
		if (bpf_map_update_elem(bpf_map__fd(map), &i, zero, BPF_ANY))
			ret = -errno;
	free(zero);
	return ret;
}

int shoal_dp_counters_reset(struct shoal_dp *dp)
{
	int ret;

	ret = percpu_zero(dp, dp->skel->maps.stats, sizeof(__u64));
	memset(dp->vip_retired, 0, SHOAL_MAX_VIPS * sizeof(*dp->vip_retired));
	dp->retired_tx = 0;
	if (!ret)
		ret = percpu_zero(dp, dp->skel->maps.backend_stats,
				  sizeof(struct shoal_backend_stats));
	return ret;
}

/* Sums over CPUs of map entries [0, n), read in batches of 1024 (one syscall each). */
static int percpu_sum_range(struct shoal_dp *dp, struct bpf_map *map, __u32 n, size_t nfields,
			    __u64 *sums)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	size_t per_cpu = nfields * sizeof(__u64), stride = per_cpu * (size_t)dp->ncpus;
	__u32 keys[1024], start = 0, out, count, i, c, f;
	__u64 *vals;
	int ret = 0;

	vals = malloc(1024 * stride);
	if (!vals)
		return -ENOMEM;
	memset(sums, 0, (size_t)n * per_cpu);
	while (start < n) {
		count = n - start < 1024 ? n - start : 1024;
		/* in_batch names where the last batch stopped: the first batch has none */
		if (bpf_map_lookup_batch(bpf_map__fd(map), start ? &start : NULL, &out, keys, vals,
					 &count, &o) &&
		    errno != ENOENT) {
			ret = -errno;
			break;
		}
		for (i = 0; i < count && keys[i] < n; i++)
			for (c = 0; c < (__u32)dp->ncpus; c++)
				for (f = 0; f < nfields; f++)
					sums[(size_t)keys[i] * nfields + f] +=
						vals[(size_t)i * nfields * dp->ncpus +
						     (size_t)c * nfields + f];
		if (!count)
			break;
		start = out;
	}
	free(vals);
	return ret;
}

int shoal_dp_stats_refresh(struct shoal_dp *dp, const struct shoal_state *state)
{
	__u64 tx;

	(void)state; /* every backend is read: a VIP's sum needs all of its */
	return backends_sum_all(dp, dp->vip_sums, &tx);
}

const struct shoal_vip_stats *shoal_dp_vip_sums(const struct shoal_dp *dp, __u32 vip_id)
{
	static const struct shoal_vip_stats none;

	return vip_id < SHOAL_MAX_VIPS ? &dp->vip_sums[vip_id] : &none;
}

const struct shoal_backend_stats *shoal_dp_backend_sums(const struct shoal_dp *dp, __u32 id)
{
	static const struct shoal_backend_stats none;

	return id < SHOAL_MAX_BACKENDS ? &dp->be_sums[id] : &none;
}

void shoal_dp_rates_update(struct shoal_dp *dp, const struct shoal_state *state)
{
	size_t i, j;

	if (shoal_dp_stats_refresh(dp, state))
		return;
	for (i = 0; i < state->nvips; i++) {
		const struct shoal_vip_state *v = &state->vips[i];
		struct dp_rate *r = &dp->vip_rates[v->id];
		__u64 p = dp->vip_sums[v->id].packets;

		r->pps = (double)(p - r->last_packets);
		r->last_packets = p;
		for (j = 0; j < v->nbe; j++) {
			r = &dp->be_rates[v->be[j].id];
			p = dp->be_sums[v->be[j].id].packets;
			r->pps = (double)(p - r->last_packets);
			r->last_packets = p;
		}
	}
}

double shoal_dp_vip_pps(const struct shoal_dp *dp, __u32 vip_id)
{
	return vip_id < SHOAL_MAX_VIPS ? dp->vip_rates[vip_id].pps : 0;
}

double shoal_dp_backend_pps(const struct shoal_dp *dp, __u32 id)
{
	return id < SHOAL_MAX_BACKENDS ? dp->be_rates[id].pps : 0;
}

void shoal_dp_host_cfg_build(const struct shoal_host_conf *h, const __u8 if_mac[6], __u32 if_mtu,
			     const __u8 gw_mac[6], struct shoal_host_cfg *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->ttl = 64;
	memcpy(ret->if_mac, if_mac, 6);
	memcpy(ret->gw_mac, gw_mac, 6);
	if (h->have_src_v4)
		ret->src_v4 = h->src_v4.u32[3];
	if (h->have_src_v6)
		ret->src_v6 = h->src_v6;
	ret->gue_port = htons(h->gue_port);
	ret->mtu = h->mtu ? h->mtu : (__u16)(if_mtu > 65535 ? 65535 : if_mtu);
	ret->hash_seed = h->hash_seed;
	ret->icmp_cost_ns = h->icmp_rate ? 1000000000U / h->icmp_rate : 0;
	ret->icmp_burst = h->icmp_burst;
	shoal_dp_flow_idle_ticks(&h->flow_idle, ret->flow_idle);
}
