/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The flow table: a hit keeps a flow on its backend; a miss (or a hit whose
 * backend is gone) asks the scheduler and records the answer.
 */
#ifndef SHOAL_BPF_FLOW_H
#define SHOAL_BPF_FLOW_H

#include "counters.h"
#include "sched.h"

struct flow_choice {
	__u32 backend_id;
	__u32 hash;
	const struct shoal_backend *be;
	int new_flow;
};

__shoal_inline const struct shoal_backend *backend_get(__u32 id, __u32 vip_id)
{
	const struct shoal_backend *be = bpf_map_lookup_elem(&backends, &id);

	if (!be || !(be->flags & SHOAL_BE_F_VALID) || be->vip_id != vip_id)
		return NULL;
	return be;
}

__shoal_inline int flow_choose(const struct shoal_vip *vip, const struct pkt *p,
			       struct flow_choice *c)
{
	/* fragments carry no ports: hashed every time, never recorded */
	int stateful = !(vip->flags & SHOAL_VIP_F_NO_FLOWTABLE) && !(p->flags & PKT_F_FRAG);
	struct shoal_flow *fl = NULL;
	struct shoal_flow nfl = {};

	if (stateful) {
		fl = bpf_map_lookup_elem(&flows, &p->key);
		if (fl) {
			c->be = backend_get(fl->backend_id, vip->id);
			if (c->be) {
				c->backend_id = fl->backend_id;
				c->hash = fl->hash;
				c->new_flow = 0;
				if (!(p->flags & PKT_F_ICMP_ERR)) {
					fl->last_seen_ns = bpf_ktime_get_coarse_ns();
					/* SYN without ACK on a known flow: a retransmit */
					if ((p->tcp_flags & 0x12) == 0x02 &&
					    p->key.proto == IPPROTO_TCP)
						cnt_syn_repeat(c->backend_id);
				}
				cnt_inc(SHOAL_CNT_FLOW_HIT);
				return 0;
			}
			cnt_inc(SHOAL_CNT_FLOW_RESCHEDULED);
		} else {
			cnt_inc(SHOAL_CNT_FLOW_MISS);
		}
	}

	c->hash = shoal_flow_hash(&p->key, host_cfg.hash_seed);
	c->backend_id = sched_pick(vip, p, c->hash);
	if (c->backend_id == SHOAL_BACKEND_NONE)
		return SHOAL_DROP_NO_BACKEND;
	c->be = backend_get(c->backend_id, vip->id);
	if (!c->be)
		return SHOAL_DROP_BAD_BACKEND;
	c->new_flow = !(p->flags & (PKT_F_ICMP_ERR | PKT_F_FRAG));
	if (stateful && c->new_flow) {
		nfl.backend_id = c->backend_id;
		nfl.hash = c->hash;
		nfl.last_seen_ns = bpf_ktime_get_coarse_ns();
		bpf_map_update_elem(&flows, &p->key, &nfl, BPF_ANY);
	}
	return 0;
}

#endif /* SHOAL_BPF_FLOW_H */
