/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The flow table, consulted before anything else: a hit names the VIP and the
 * backend, so a packet of a known flow needs no VIP lookup. First the per-CPU
 * flow cache (an inlined array access), then the shared LRU hash. A miss (or a
 * hit whose backend or VIP is gone) asks the scheduler and records the answer.
 */
#ifndef SHOAL_BPF_FLOW_H
#define SHOAL_BPF_FLOW_H

#include "counters.h"
#include "sched.h"

struct flow_choice {
	const struct shoal_vip *vip;
	const struct shoal_backend *be;
	struct shoal_flow_cache_entry *ce; /* this CPU's cache slot for the flow */
	__u32 backend_id;
	__u32 hash;
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

/*
 * VIP id's properties, if the packet is addressed to what that VIP serves: a
 * flow whose VIP was removed, and whose id a new VIP took, is no hit.
 */
__shoal_inline const struct shoal_vip *vip_get_for(__u32 id, const struct pkt *p)
{
	const struct shoal_vip *vip = vip_get(id);
	const __u32 *a, *b;

	if (!vip)
		return NULL;
	a = (const __u32 *)&vip->key.addr;
	b = (const __u32 *)&p->key.dst;
	if ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) ||
	    vip->key.proto != p->key.proto || (vip->key.port && vip->key.port != p->key.dport))
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

__shoal_inline int flow_key_eq(const struct shoal_flow_key *a, const struct shoal_flow_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 diff = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)(sizeof(*a) / 4); i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

__shoal_inline void flow_cache_fill(struct shoal_flow_cache_entry *ce, const struct pkt *p,
				    __u32 backend_id, __u32 vip_id, __u32 hash, __u32 now)
{
	if (!ce || dry_run)
		return;
	ce->key = p->key;
	ce->backend_id = backend_id;
	ce->vip_id = vip_id;
	ce->hash = hash;
	ce->touched_jiffies = now;
}

__shoal_inline int pkt_is_syn(const struct pkt *p);

/* Known-flow bookkeeping: the SYN-retransmit signal. */
__shoal_inline void flow_seen(const struct pkt *p, __u32 backend_id)
{
	/* SYN without ACK on a known flow: the backend did not answer the first */
	if (pkt_is_syn(p))
		cnt_syn_repeat(backend_id);
}

/*
 * Every SHOAL_FLOW_TOUCH_JIFFIES a cached flow checks in with the shared
 * table: it keeps the flow alive in the LRU (re-adding it if evicted), and if
 * the shared table now says something else (the 5-tuple was reused by a new
 * connection after an eviction, or the client closed it) the cache entry is
 * dropped: returns 0 and the caller asks the shared table.
 */
__shoal_inline int flow_touch(const struct pkt *p, struct flow_choice *c, __u32 now)
{
	struct shoal_flow *fl = bpf_map_lookup_elem(&flows, &p->key);
	struct shoal_flow nfl = {};

	if (dry_run)
		return 1;
	/*
	 * The cache trusts its VIP id for SHOAL_FLOW_TOUCH_JIFFIES (an id rests
	 * far longer in the agent's quarantine); here it is checked again.
	 */
	if (!vip_get_for(c->be->vip_id, p)) {
		c->ce->hash = 0;
		return 0;
	}
	if (fl) {
		if (fl->backend_id != c->backend_id || fl->vip_id != c->be->vip_id ||
		    (fl->flags & SHOAL_FLOW_F_CLOSING)) {
			c->ce->hash = 0;
			return 0;
		}
		fl->last_seen_jiffies = now;
	} else {
		nfl.backend_id = c->backend_id;
		nfl.vip_id = c->be->vip_id;
		nfl.hash = c->hash;
		nfl.last_seen_jiffies = now;
		bpf_map_update_elem(&flows, &p->key, &nfl, BPF_NOEXIST);
	}
	c->ce->touched_jiffies = now;
	return 1;
}

/*
 * The backend a recorded flow names, unless it is gone, or down with
 * on_down: reschedule (then the flow is scheduled afresh).
 */
__shoal_inline const struct shoal_backend *flow_backend_get(__u32 id, __u32 vip_id)
{
	const struct shoal_backend *be = backend_get(id, vip_id);

	if (be && (be->flags & SHOAL_BE_F_RESCHEDULE))
		return NULL;
	return be;
}

/*
 * Fills c for a packet of a known flow; returns 1 on a usable hit, 0 on a
 * miss (c->vip set when the flow's VIP still exists: re-schedule on it).
 */
__shoal_inline int pkt_is_syn(const struct pkt *p)
{
	return p->key.proto == IPPROTO_TCP && (p->tcp_flags & 0x12) == 0x02 &&
	       !(p->flags & PKT_F_ICMP_ERR);
}

__shoal_inline int pkt_is_fin_rst(const struct pkt *p)
{
	return p->key.proto == IPPROTO_TCP && (p->tcp_flags & 0x05) && !(p->flags & PKT_F_ICMP_ERR);
}

/* The client is closing the connection: remember it in the shared table. */
__shoal_inline void flow_mark_closing(const struct pkt *p, struct shoal_flow *fl)
{
	if (dry_run)
		return;
	if (!fl)
		fl = bpf_map_lookup_elem(&flows, &p->key);
	if (fl)
		fl->flags |= SHOAL_FLOW_F_CLOSING;
}

__shoal_inline int flow_lookup(const struct pkt *p, struct flow_choice *c)
{
	__u32 slot, now = (__u32)bpf_jiffies64();
	struct shoal_flow_cache_entry *ce;
	struct shoal_flow *fl;

	c->hash = shoal_flow_hash(&p->key, host_cfg.hash_seed);
	slot = c->hash & (SHOAL_FLOW_CACHE_SLOTS - 1);
	ce = bpf_map_lookup_elem(&flow_cache, &slot);
	c->ce = ce;
	/*
	 * A SYN is almost always a new flow: it skips the cache, and does not
	 * fill it either, so a SYN flood cannot push established flows out.
	 */
	if (ce && !pkt_is_syn(p) && ce->hash == c->hash && flow_key_eq(&ce->key, &p->key)) {
		c->vip = vip_get(ce->vip_id);
		if (c->vip && !(c->vip->flags & SHOAL_VIP_F_NO_FLOWTABLE)) {
			c->be = flow_backend_get(ce->backend_id, ce->vip_id);
			if (c->be) {
				c->backend_id = ce->backend_id;
				c->new_flow = 0;
				if (pkt_is_fin_rst(p)) {
					/* from now on the shared table answers for this flow */
					flow_mark_closing(p, NULL);
					if (!dry_run)
						ce->hash = 0;
					return 1;
				}
				if (now - ce->touched_jiffies <= SHOAL_FLOW_TOUCH_JIFFIES ||
				    (p->flags & PKT_F_ICMP_ERR) || flow_touch(p, c, now))
					return 1;
				c->be = NULL;
			}
		}
		/* stale: the shared table decides */
		if (!dry_run)
			ce->hash = 0;
	}

	fl = bpf_map_lookup_elem(&flows, &p->key);
	c->vip = NULL;
	if (!fl)
		return 0;
	c->vip = vip_get_for(fl->vip_id, p);
	if (!c->vip || (c->vip->flags & SHOAL_VIP_F_NO_FLOWTABLE)) {
		c->vip = NULL;
		return 0;
	}
	/* a new connection on the 5-tuple of one the client closed */
	if ((fl->flags & SHOAL_FLOW_F_CLOSING) && pkt_is_syn(p))
		return 0;
	c->be = flow_backend_get(fl->backend_id, fl->vip_id);
	if (!c->be) {
		cnt_inc(SHOAL_CNT_FLOW_RESCHEDULED);
		return 0;
	}
	c->backend_id = fl->backend_id;
	c->new_flow = 0;
	if (!(p->flags & PKT_F_ICMP_ERR) && !dry_run) {
		fl->last_seen_jiffies = now;
		if (pkt_is_fin_rst(p))
			flow_mark_closing(p, fl);
		else if (!(fl->flags & SHOAL_FLOW_F_CLOSING) && !pkt_is_syn(p))
			flow_cache_fill(ce, p, c->backend_id, fl->vip_id, c->hash, now);
	}
	flow_seen(p, c->backend_id);
	return 1;
}

/* A new flow (or one whose backend left): ask the scheduler, record the answer. */
__shoal_inline int flow_schedule(const struct pkt *p, struct flow_choice *c)
{
	const struct shoal_vip *vip = c->vip;
	struct shoal_flow nfl = {};

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
	if (c->new_flow && !(vip->flags & SHOAL_VIP_F_NO_FLOWTABLE) && !dry_run) {
		nfl.backend_id = c->backend_id;
		nfl.vip_id = vip->id;
		nfl.hash = c->hash;
		nfl.last_seen_jiffies = (__u32)bpf_jiffies64();
		bpf_map_update_elem(&flows, &p->key, &nfl, BPF_ANY);
		if (!pkt_is_syn(p))
			flow_cache_fill(c->ce, p, c->backend_id, vip->id, c->hash,
					nfl.last_seen_jiffies);
	}
	return 0;
}

#endif /* SHOAL_BPF_FLOW_H */
