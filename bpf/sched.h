/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Schedulers. All of them read the VIP's weighted lookup table (built by the
 * agent with Maglev); they differ only in how they pick the slot.
 */
#ifndef SHOAL_BPF_SCHED_H
#define SHOAL_BPF_SCHED_H

#include "maps.h"
#include "parse.h"

__shoal_inline __u32 sched_slot(const struct shoal_vip *vip, const struct pkt *p, __u32 flow_hash,
				__u32 size)
{
	__u32 *cur;

	if (!size)
		return 0;
	switch (vip->scheduler) {
	case SHOAL_SCHED_MAGLEV_SRC:
		return shoal_src_hash(&p->key.src, host_cfg.hash_seed) % size;
	case SHOAL_SCHED_RR:
		/* ICMP errors must not move the cursor nor depend on it */
		if (p->flags & PKT_F_ICMP_ERR)
			break;
		cur = bpf_map_lookup_elem(&rr_cursor, &vip->id);
		if (!cur)
			break;
		if (dry_run)
			return (*cur + 1) % size;
		*cur += 1;
		return *cur % size;
	case SHOAL_SCHED_RANDOM:
		if (p->flags & PKT_F_ICMP_ERR)
			break;
		return bpf_get_prandom_u32() % size;
	}
	return flow_hash % size;
}

/* Backend id for a new flow: 0 (SHOAL_BACKEND_NONE) when the table is empty. */
__shoal_inline __u32 sched_pick(const struct shoal_vip *vip, const struct pkt *p, __u32 flow_hash)
{
	__u32 hdr = 0, slot;
	__u32 *size, *be_id;
	void *table;

	table = bpf_map_lookup_elem(&vip_tables, &vip->id);
	if (!table)
		return SHOAL_BACKEND_NONE;
	size = bpf_map_lookup_elem(table, &hdr);
	if (!size)
		return SHOAL_BACKEND_NONE;
	slot = sched_slot(vip, p, flow_hash, *size) + SHOAL_TABLE_HDR;
	be_id = bpf_map_lookup_elem(table, &slot);
	if (!be_id)
		return SHOAL_BACKEND_NONE;
	return *be_id;
}

#endif /* SHOAL_BPF_SCHED_H */
