/* SPDX-License-Identifier: GPL-2.0-only
 *
 * The flow table, consulted before anything else: a hit names the backend, so
 * a packet of a known flow needs no VIP lookup. One bucket (a cache line of
 * SHOAL_FLOW_WAYS entries, abi.h) holds the flow if anywhere: a few loads
 * and at most one aligned store, no lock, no helper. A hit is trusted only if
 * its backend still exists and belongs to the VIP this packet is addressed
 * to. New entries start unconfirmed; a second packet of the flow confirms
 * them; a new flow takes an empty way, else the oldest unconfirmed entry,
 * else the oldest entry past its idle timeout, else none (counted): a flood
 * of packets each seen once can never evict a live confirmed flow.
 */
#ifndef SHOAL_BPF_FLOW_H
#define SHOAL_BPF_FLOW_H

#include "counters.h"
#include "sched.h"

struct flow_choice {
	const struct shoal_vip *vip;
	const struct shoal_backend *be;
	struct shoal_flow_bucket *bkt; /* the flow's bucket */
	__u64 tag;		       /* its tag, in place (SHOAL_FLOW_TAG_OF) */
	int way;		       /* the way holding its (stale) entry, or -1 */
	__u32 backend_id;
	__u32 hash;
	__u32 bucket; /* the flow's bucket index */
	__u32 now;    /* in ticks */
	int new_flow;
};

__shoal_inline const struct shoal_backend *backend_get(__u32 id, __u32 vip_id)
{
	const struct shoal_backend *be = bpf_map_lookup_elem(&backends, &id);

	if (!be || !(be->flags & SHOAL_BE_F_VALID) || be->vip_id != vip_id)
		return NULL;
	return be;
}

__shoal_inline const struct shoal_vip *vip_get(__u32 id)
{
	const struct shoal_vip *vip = bpf_map_lookup_elem(&vip_info, &id);

	if (!vip || !(vip->flags & SHOAL_VIP_F_ACTIVE))
		return NULL;
	return vip;
}

__shoal_inline const struct shoal_vip *vip_find(const struct pkt *p)
{
	struct shoal_vip_key vk = {};
	__u32 *id;

	vk.addr = p->key.dst;
	vk.port = p->key.dport;
	vk.proto = p->key.proto;
	id = bpf_map_lookup_elem(&vips, &vk);
	if (!id) {
		vk.port = 0;
		id = bpf_map_lookup_elem(&vips, &vk);
		if (!id)
			return NULL;
	}
	return vip_get(*id);
}

__shoal_inline int pkt_is_syn(const struct pkt *p)
{
	return p->key.proto == IPPROTO_TCP && (p->tcp_flags & 0x12) == 0x02 &&
	       !(p->flags & PKT_F_ICMP_ERR);
}

__shoal_inline int pkt_is_fin_rst(const struct pkt *p)
{
	return p->key.proto == IPPROTO_TCP && (p->tcp_flags & 0x05) && !(p->flags & PKT_F_ICMP_ERR);
}

/*
 * The backend a recorded flow names, if it still serves the VIP this packet
 * is addressed to (neither a tag collision nor an id reused after a reload
 * reaches another service's backend), is not down with on_down: reschedule,
 * and its VIP still keeps flows. One entry answers all of it.
 */
__shoal_inline const struct shoal_backend *flow_backend_get(__u32 id, const struct pkt *p)
{
	const struct shoal_backend *be = bpf_map_lookup_elem(&backends, &id);
	const __u32 *a, *b;

	if (!be || (be->flags & (SHOAL_BE_F_VALID | SHOAL_BE_F_RESCHEDULE |
				 SHOAL_BE_F_NO_FLOWTABLE)) != SHOAL_BE_F_VALID)
		return NULL;
	a = (const __u32 *)&be->vip.addr;
	b = (const __u32 *)&p->key.dst;
	if ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) ||
	    be->vip.proto != p->key.proto || (be->vip.port && be->vip.port != p->key.dport))
		return NULL;
	return be;
}

__shoal_inline __u32 flow_age(__u64 e, __u32 now)
{
	return (now - SHOAL_FLOW_TICK(e)) & SHOAL_FLOW_TIME_MASK;
}

__shoal_inline int flow_idle(__u64 e, __u32 now)
{
	return flow_age(e, now) > host_cfg.flow_idle[e & SHOAL_FLOW_CLASS_MASK];
}

/* The flow's hash, its tag and bucket in the table, and the table's clock. */
__shoal_inline void flow_hash_of(const struct pkt *p, struct flow_choice *c)
{
	__u32 h2;

	c->hash = shoal_flow_hash2(&p->key, host_cfg.hash_seed, &h2);
	c->tag = SHOAL_FLOW_TAG_OF(c->hash);
	c->now = READ_ONCE(host_cfg.flow_tick) & SHOAL_FLOW_TIME_MASK;
	c->bucket = h2 & (flow_buckets - 1);
}

/*
 * Fills c (its hash already computed) for a packet of a known flow; returns 1 on a usable hit, 0 on a
 * miss (then c->way names a stale entry of the flow, for the insert to
 * replace).
 */
__shoal_inline int flow_lookup(const struct pkt *p, struct flow_choice *c)
{
	const struct shoal_backend *be;
	__u64 e = 0, st, next;
	__u32 idx = c->bucket;
	int i;

	c->way = -1;
	c->bkt = bpf_map_lookup_elem(&flows, &idx);
	if (!c->bkt)
		return 0;
#pragma unroll
	for (i = 0; i < SHOAL_FLOW_WAYS; i++) {
		e = READ_ONCE(c->bkt->way[i]);
		if ((e & SHOAL_FLOW_TAG_MASK) == c->tag && (e & SHOAL_FLOW_STATE_MASK)) {
			c->way = i;
			break;
		}
	}
	if (c->way < 0 || flow_idle(e, c->now))
		return 0;
	st = e & SHOAL_FLOW_STATE_MASK;
	/* a new connection on the 5-tuple of one the client closed */
	if (st == SHOAL_FLOW_CLOSING && pkt_is_syn(p))
		return 0;
	/* on a miss, c keeps what flow_presched chose */
	be = flow_backend_get(SHOAL_FLOW_BE(e), p);
	if (!be) {
		cnt_inc(SHOAL_CNT_FLOW_RESCHEDULED);
		return 0;
	}
	c->be = be;
	c->backend_id = SHOAL_FLOW_BE(e);
	c->new_flow = 0;
	if (p->flags & PKT_F_ICMP_ERR)
		return 1; /* says nothing about the flow's life */
	/* SYN without ACK on a known flow: the backend did not answer the first */
	if (pkt_is_syn(p))
		cnt_syn_repeat(c->backend_id);
	else if (pkt_is_fin_rst(p))
		st = SHOAL_FLOW_CLOSING;
	else if (st == SHOAL_FLOW_UNCONFIRMED)
		st = SHOAL_FLOW_CONFIRMED;
	next = (e & ~(SHOAL_FLOW_STATE_MASK | (SHOAL_FLOW_TIME_MASK << SHOAL_FLOW_TIME_SHIFT))) |
	       ((__u64)c->now << SHOAL_FLOW_TIME_SHIFT) | st;
	/* written only when it changes: once a tick at most for a busy flow */
	if (next != e && !dry_run) {
		__u32 w = (__u32)c->way;

		asm volatile("" : "+r"(w)); /* a bound the verifier sees */
		w &= SHOAL_FLOW_WAYS - 1;
		WRITE_ONCE(c->bkt->way[w], next);
	}
	return 1;
}

/*
 * Where a new flow goes: an empty way, else the oldest unconfirmed entry,
 * else the oldest entry past its idle timeout; -1 if every way holds a live
 * confirmed (or closing) flow.
 */
__shoal_inline int flow_victim(const struct shoal_flow_bucket *b, __u32 now, __u32 *kind)
{
	__u32 best_score = 0, score;
	int i, best = -1;
	__u64 e;

#pragma unroll
	for (i = 0; i < SHOAL_FLOW_WAYS; i++) {
		e = READ_ONCE(b->way[i]);
		if (!(e & SHOAL_FLOW_STATE_MASK)) {
			*kind = 0;
			return i;
		}
		if ((e & SHOAL_FLOW_STATE_MASK) == SHOAL_FLOW_UNCONFIRMED)
			score = 0x20000 + flow_age(e, now);
		else if (flow_idle(e, now))
			score = 0x10000 + flow_age(e, now);
		else
			continue;
		if (score > best_score) {
			best_score = score;
			best = i;
		}
	}
	*kind = best_score >= 0x20000 ? SHOAL_CNT_FLOW_EVICT_UNCONFIRMED
				      : SHOAL_CNT_FLOW_EVICT_IDLE;
	return best;
}

/* A new flow: ask the scheduler. Recording it is flow_record's, once it is sent. */
__shoal_inline int flow_schedule(const struct pkt *p, struct flow_choice *c)
{
	const struct shoal_vip *vip = c->vip;

	if (p->flags & PKT_F_FRAG)
		c->hash = shoal_flow_hash(&p->key, host_cfg.hash_seed);
	c->backend_id = sched_pick(vip, p, c->hash);
	if (c->backend_id == SHOAL_BACKEND_NONE)
		return SHOAL_DROP_NO_BACKEND;
	c->be = backend_get(c->backend_id, vip->id);
	if (!c->be)
		return SHOAL_DROP_BAD_BACKEND;
	/* ICMP errors and fragments are forwarded, never recorded */
	c->new_flow = !(p->flags & (PKT_F_ICMP_ERR | PKT_F_FRAG));
	return 0;
}

/*
 * Records a new flow, unconfirmed. An RST or FIN of an unknown flow makes no
 * entry: it ends what it would record.
 */
__shoal_inline void flow_record(const struct pkt *p, struct flow_choice *c)
{
	__u32 kind = 0;
	int way = c->way;

	if (!c->new_flow || !c->bkt || (c->vip->flags & SHOAL_VIP_F_NO_FLOWTABLE) || dry_run ||
	    pkt_is_fin_rst(p))
		return;
	if (way < 0) {
		way = flow_victim(c->bkt, c->now, &kind);
		if (way < 0) {
			cnt_inc(SHOAL_CNT_FLOW_REFUSED);
			return;
		}
		if (kind)
			cnt_inc(kind);
	}
	/* a bound the verifier sees whatever the compiler keeps in which register */
	asm volatile("" : "+r"(way));
	way &= SHOAL_FLOW_WAYS - 1;
	WRITE_ONCE(c->bkt->way[way],
		   SHOAL_FLOW_ENTRY(c->tag >> SHOAL_FLOW_TAG_SHIFT, c->backend_id, c->now,
				    SHOAL_FLOW_UNCONFIRMED |
					    (p->key.proto == IPPROTO_UDP ? SHOAL_FLOW_UDP : 0)));
	cnt_inc(SHOAL_CNT_FLOW_INSERT);
}

#endif /* SHOAL_BPF_FLOW_H */
