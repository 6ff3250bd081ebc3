// SPDX-License-Identifier: GPL-2.0-only
/*
 * shoal's XDP load balancer. Reads top to bottom as the packet's way:
 * parse -> is it for a VIP? -> flow table / scheduler -> too big? -> encapsulate
 * -> XDP_TX. Helpers return 0 or a negative SHOAL_DROP_* reason; only this
 * file turns them into verdicts, and every drop is counted by reason.
 */
#include "common.h"
#include "maps.h"
#include "counters.h"
#include "parse.h"
#include "flow.h"
#include "encap.h"
#include "icmp.h"
#include "check_encap.h"

char LICENSE[] SEC("license") = "GPL";
const volatile __u32 shoal_abi_version = SHOAL_ABI_VERSION;

__shoal_inline int drop(int reason)
{
	cnt_drop(reason);
	return XDP_DROP;
}

__shoal_inline int is_vip_addr(const struct pkt *p)
{
	return bpf_map_lookup_elem(&vip_addrs, &p->key.dst) != NULL;
}

/*
 * What the balancer does not take is dropped only when its destination
 * really is a VIP address; to any other address it is the host's.
 */
__shoal_inline int drop_if_vip_addr(const struct pkt *p, int reason)
{
	if (!is_vip_addr(p)) {
		cnt_inc(SHOAL_CNT_PASS);
		return XDP_PASS;
	}
	return drop(reason);
}

/* IPv4 fragments carry no ports past the first: only maglev-src VIPs can take them. */
__shoal_inline const struct shoal_vip *vip_find_fragment(const struct pkt *p)
{
	struct shoal_vip_key vk = {};
	const struct shoal_vip *vip;
	__u32 *id;

	vk.addr = p->key.dst;
	vk.proto = p->key.proto;
	id = bpf_map_lookup_elem(&vips, &vk);
	if (!id)
		return NULL;
	vip = vip_get(*id);
	if (vip && vip->scheduler == SHOAL_SCHED_MAGLEV_SRC)
		return vip;
	return NULL;
}

/*
 * RFC 4443 2.4(f): too-big replies are rate-limited, a token bucket per CPU
 * (no lock: each CPU its own); spoofed oversized packets cannot make the VIP
 * a reflector. Credit is sending time saved up: 1 s / rate per reply, at
 * most burst replies' worth.
 */
__shoal_inline int ptb_allowed(void)
{
	struct shoal_icmp_bucket *b;
	__u64 now, cost, credit, cap;
	__u32 zero = 0;

	if (!host_cfg.icmp_cost_ns || dry_run)
		return 1;
	b = bpf_map_lookup_elem(&icmp_limit, &zero);
	if (!b)
		return 0;
	now = bpf_ktime_get_ns();
	cost = host_cfg.icmp_cost_ns; /* the agent divides, not every packet */
	cap = cost * (host_cfg.icmp_burst ? host_cfg.icmp_burst : 1);
	credit = b->credit + (now - b->last_ns);
	if (credit > cap || now < b->last_ns)
		credit = cap;
	b->last_ns = now;
	if (credit < cost) {
		b->credit = credit;
		return 0;
	}
	b->credit = credit - cost;
	return 1;
}

/*
 * A packet with no usable flow entry: its VIP, and a backend from the
 * scheduler. Returns -1 to go on, or the verdict. A subprogram, like the other
 * paths rarer than a hit: the hit path's code stays short and dense.
 */
static __noinline int flow_miss(const struct pkt *p, struct flow_choice *fc)
{
	int ret;

	if (p->flags & PKT_F_FRAG) {
		fc->vip = vip_find_fragment(p);
		if (!fc->vip)
			return drop_if_vip_addr(p, SHOAL_DROP_FRAGMENT);
		cnt_inc(SHOAL_CNT_FRAG_FORWARDED);
	} else {
		fc->vip = vip_find(p);
		if (!fc->vip)
			return drop_if_vip_addr(p, p->flags & PKT_F_ICMP_ERR
							   ? SHOAL_DROP_ICMP
							   : SHOAL_DROP_NO_SERVICE);
		cnt_inc(SHOAL_CNT_FLOW_MISS);
	}
	if (!(host_cfg.flags & SHOAL_HOST_F_READY))
		return drop(SHOAL_DROP_NOT_READY);
	ret = flow_schedule(p, fc);
	if (ret)
		return drop(ret);
	return -1;
}

/*
 * A SYN's backend, chosen before its flow is looked up (a hash scheduler
 * only: no side effect if the flow turns out known). On a busy host both the
 * flow's bucket and the VIP's table slot are cache misses; asked for one after
 * the other, their latencies add, asked for together they overlap. Returns 0
 * with c->vip, c->be and c->backend_id set, or -1 (nothing counted: the usual
 * miss path decides, and counts, if the flow is not known).
 */
static __noinline int flow_presched(const struct pkt *p, struct flow_choice *c)
{
	c->vip = vip_find(p);
	if (!c->vip || !(host_cfg.flags & SHOAL_HOST_F_READY) ||
	    (c->vip->scheduler != SHOAL_SCHED_MAGLEV &&
	     c->vip->scheduler != SHOAL_SCHED_MAGLEV_SRC))
		return -1;
	return flow_schedule(p, c) ? -1 : 0;
}

/*
 * Operators ping VIPs: an echo request to a VIP address is answered here, by
 * every shoal host that announces it, within the same per-CPU budget as
 * too-big replies (a reply is no bigger than the request: no amplification,
 * and no more reflection than the budget allows). The kernel cannot answer:
 * the host does not own the address.
 */
static __noinline int echo(struct xdp_md *ctx, const struct pkt *p)
{
	int ret;

	if (!is_vip_addr(p)) {
		cnt_inc(SHOAL_CNT_PASS);
		return XDP_PASS;
	}
	if (!(host_cfg.flags & SHOAL_HOST_F_READY))
		return drop(SHOAL_DROP_NOT_READY);
	if (!ptb_allowed())
		return drop(SHOAL_DROP_ECHO_LIMIT);
	ret = send_echo_reply(ctx, p);
	if (ret)
		return drop(ret);
	cnt_inc(SHOAL_CNT_ECHO_REPLIED);
	return XDP_TX;
}

static __noinline int too_big(struct xdp_md *ctx, const struct pkt *p, __u32 overhead)
{
	__u32 room = host_cfg.mtu - overhead;
	int ret;

	if (p->flags & PKT_F_ICMP_ERR)
		return drop(SHOAL_DROP_TOO_BIG);
	if (p->family == AF_INET) {
		if (!(p->flags & PKT_F_DF))
			return drop(SHOAL_DROP_TOO_BIG);
	}
	if (!ptb_allowed()) {
		cnt_inc(SHOAL_CNT_PTB_SUPPRESSED);
		return XDP_DROP;
	}
	if (p->family == AF_INET)
		ret = send_frag_needed(ctx, p, room);
	else
		ret = send_packet_too_big(ctx, p, room);
	if (ret)
		return drop(ret);
	cnt_inc(SHOAL_CNT_PTB_SENT);
	return XDP_TX;
}

SEC("xdp")
int shoal_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct flow_choice fc = {};
	struct pkt p = {};
	__u32 overhead;
	int ret, pre = -1;

	ret = parse_packet(data, data_end, &p);
	if (ret == PARSE_PASS)
		return XDP_PASS;
	if (ret < 0)
		return drop_if_vip_addr(&p, ret);
	if (ret == PARSE_ECHO)
		return echo(ctx, &p);
	if (p.flags & PKT_F_V6_EXTHDR)
		cnt_inc(SHOAL_CNT_V6_EXTHDR);

	if (!(p.flags & PKT_F_FRAG)) {
		flow_hash_of(&p, &fc);
		/* most SYNs start a flow: their table slot is read while the bucket is */
		if (pkt_is_syn(&p))
			pre = flow_presched(&p, &fc);
	}
	if ((p.flags & PKT_F_FRAG) || !flow_lookup(&p, &fc)) {
		if (pre == 0) {
			fc.new_flow = 1;
			cnt_inc(SHOAL_CNT_FLOW_MISS);
		} else {
			ret = flow_miss(&p, &fc);
			if (ret >= 0)
				return ret;
		}
	}

	/* answered before anything is recorded: a too-big packet makes no flow */
	overhead = encap_overhead(fc.be);
	if (host_cfg.mtu && p.ip_len + overhead > host_cfg.mtu)
		return too_big(ctx, &p, overhead);
	if (fc.new_flow)
		flow_record(&p, &fc);

	ret = encap_packet(ctx, &p, fc.be, fc.hash);
	if (ret)
		return drop(ret);
	/*
	 * One per-CPU entry counts a sent packet: its backend's. The agent sums
	 * backends into VIPs and into the global tx.
	 */
	cnt_backend(fc.backend_id, p.ip_len, fc.new_flow);
	if (p.flags & PKT_F_ICMP_ERR)
		cnt_inc(SHOAL_CNT_ICMP_FORWARDED);
	return XDP_TX;
}

/* tc egress on the same interface: health checks through the tunnel (check_encap.h). */
SEC("tc")
int shoal_check_encap(struct __sk_buff *skb)
{
	return check_encap(skb);
}
