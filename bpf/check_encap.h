/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Health checks that travel the clients' way. shoald opens an ordinary socket
 * to VIP:port with the mark SHOAL_CHECK_MARK | backend id; on the way out of
 * the balancer's interface this tc program puts the same tunnel header in
 * front of it that the XDP program gives a client's packet to that backend.
 * The backend decapsulates, finds the VIP on its loopback and answers the
 * check socket directly, as it answers clients: a backend whose decap or VIP
 * is broken fails its check. Unmarked packets pass untouched.
 */
#ifndef SHOAL_BPF_CHECK_ENCAP_H
#define SHOAL_BPF_CHECK_ENCAP_H

#include "common.h"
#include "counters.h"
#include "encap.h"
#include "flow.h"
#include "maps.h"

/* Whether the packet's destination address (at l3 in the skb) is addr. */
__shoal_inline int check_dst_is(struct __sk_buff *skb, int family, const struct shoal_addr *addr)
{
	struct shoal_addr dst = {};

	if (family == AF_INET) {
		dst.u32[2] = bpf_htonl(0xffff);
		if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), &dst.u32[3],
				       4))
			return 0;
	} else if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct ipv6hdr, daddr), &dst, 16)) {
		return 0;
	}
	return dst.u32[0] == addr->u32[0] && dst.u32[1] == addr->u32[1] &&
	       dst.u32[2] == addr->u32[2] && dst.u32[3] == addr->u32[3];
}

__shoal_inline int check_encap(struct __sk_buff *skb)
{
	const struct shoal_backend *be;
	const struct shoal_vip *vip;
	__u32 id = skb->mark & ~SHOAL_CHECK_MARK_MASK, olen, inner_len, hash, flags;
	int family;
	__u8 tos = 0;
	void *data, *data_end;

	if ((skb->mark & SHOAL_CHECK_MARK_MASK) != SHOAL_CHECK_MARK)
		return TC_ACT_OK;
	if (skb->protocol == bpf_htons(ETH_P_IP))
		family = AF_INET;
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		family = AF_INET6;
	else
		return TC_ACT_OK;
	be = bpf_map_lookup_elem(&backends, &id);
	vip = be && (be->flags & SHOAL_BE_F_VALID) ? vip_get(be->vip_id) : NULL;
	/* a mark that is not ours (or a stale id) must not tunnel traffic anywhere */
	if (!vip || !check_dst_is(skb, family, &vip->key.addr)) {
		cnt_inc(SHOAL_CNT_CHECK_REFUSED);
		return TC_ACT_SHOT;
	}
	if (family == AF_INET)
		bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, tos), &tos, 1);
	inner_len = skb->len - ETH_HLEN;
	hash = bpf_get_hash_recalc(skb);
	olen = encap_overhead(be);
	/*
	 * adjust_room with the ENCAP flags records the inner headers, so
	 * checksum offload and GSO of the inner packet still work after it.
	 */
	flags = BPF_F_ADJ_ROOM_FIXED_GSO | (be->family == AF_INET6 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6
								   : BPF_F_ADJ_ROOM_ENCAP_L3_IPV4);
	if (be->encap == SHOAL_ENCAP_GUE)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
	if (bpf_skb_adjust_room(skb, olen, BPF_ADJ_ROOM_MAC, flags)) {
		cnt_drop(SHOAL_DROP_ENCAP);
		return TC_ACT_SHOT;
	}
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	{
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > data_end)
			return TC_ACT_SHOT;
		eth->h_proto = bpf_htons(be->family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
	}
	if (encap_outer(data + ETH_HLEN, data_end, be, family, tos, hash, inner_len)) {
		cnt_drop(SHOAL_DROP_ENCAP);
		return TC_ACT_SHOT;
	}
	cnt_inc(SHOAL_CNT_CHECK_TUNNELED);
	return TC_ACT_OK;
}

#endif /* SHOAL_BPF_CHECK_ENCAP_H */
