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

/* A damaged packet is dropped only when its destination really is a VIP address. */
__shoal_inline int drop_if_vip_addr(const struct pkt *p, int reason)
{
	if (!bpf_map_lookup_elem(&vip_addrs, &p->key.dst)) {
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

__shoal_inline int too_big(struct xdp_md *ctx, const struct pkt *p, __u32 overhead)
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
	int ret;

	ret = parse_packet(data, data_end, &p);
	if (ret == PARSE_PASS) {
		if (p.flags & PKT_F_V6_EXTHDR)
			cnt_inc(SHOAL_CNT_V6_EXTHDR);
		return XDP_PASS;
	}
	if (ret < 0)
		return drop_if_vip_addr(&p, ret);

	if (p.flags & PKT_F_FRAG) {
		fc.vip = vip_find_fragment(&p);
		if (!fc.vip)
			return drop_if_vip_addr(&p, SHOAL_DROP_FRAGMENT);
		cnt_inc(SHOAL_CNT_FRAG_FORWARDED);
	} else if (!flow_lookup(&p, &fc)) {
		if (!fc.vip) {
			fc.vip = vip_find(&p);
			if (!fc.vip) {
				if (p.flags & PKT_F_ICMP_ERR)
					return drop_if_vip_addr(&p, SHOAL_DROP_ICMP);
				cnt_inc(SHOAL_CNT_PASS);
				return XDP_PASS;
			}
		}
		cnt_inc(SHOAL_CNT_FLOW_MISS);
	}
	if (!fc.be) {
		if (!(host_cfg.flags & SHOAL_HOST_F_READY))
			return drop(SHOAL_DROP_NOT_READY);
		ret = flow_schedule(&p, &fc);
		if (ret)
			return drop(ret);
	}

	overhead = encap_overhead(fc.be);
	if (host_cfg.mtu && p.ip_len + overhead > host_cfg.mtu)
		return too_big(ctx, &p, overhead);

	cnt_vip(fc.be->vip_id, p.ip_len, fc.new_flow);
	cnt_backend(fc.backend_id, p.ip_len, fc.new_flow);
	ret = encap_packet(ctx, &p, fc.be, fc.hash);
	if (ret)
		return drop(ret);
	if (p.flags & PKT_F_ICMP_ERR)
		cnt_inc(SHOAL_CNT_ICMP_FORWARDED);
	cnt_inc(SHOAL_CNT_TX);
	return XDP_TX;
}

/* tc egress on the same interface: health checks through the tunnel (check_encap.h). */
SEC("tc")
int shoal_check_encap(struct __sk_buff *skb)
{
	return check_encap(skb);
}
