// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backend-side decapsulation, for hosts without tunnel drivers. Removes the
 * outer IPv4/IPv6 header (and the UDP header of GUE) of packets whose inner
 * destination is a configured VIP, leaving the exact inner packet behind the
 * L2 header. Two entry points: XDP (fastest) and tc ingress (any device).
 * Everything else passes untouched.
 */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHOAL_MAX_VIP_ADDRS);
	__type(key, struct shoal_addr);
	__type(value, __u32);
} decap_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SHOAL_DECAP_MAX_FROM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shoal_decap_from_key);
	__type(value, __u32);
} decap_from SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHOAL_DECAP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

struct shoal_decap_cfg decap_cfg;

#define DECAP_PASS    1
#define DECAP_REFUSED 2 /* from an outer source not allowed: dropped */

struct decap_info {
	__u32 l2_len;	 /* 14 or 18 */
	__u32 outer_len; /* bytes to remove after the L2 header */
	__u8 inner_family;
};

__shoal_inline void decap_cnt(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&decap_stats, &idx);

	if (v)
		*v += 1;
}

__shoal_inline int inner_is_vip(void *inner, void *data_end, __u8 family)
{
	struct shoal_addr a;

	if (family == AF_INET) {
		struct iphdr *iph = inner;

		if ((void *)(iph + 1) > data_end)
			return -1;
		if (iph->ihl < 5)
			return -1;
		addr_set_v4(&a, iph->daddr);
	} else {
		struct ipv6hdr *ip6h = inner;

		if ((void *)(ip6h + 1) > data_end)
			return -1;
		addr_set_v6(&a, &ip6h->daddr);
	}
	return bpf_map_lookup_elem(&decap_vips, &a) != NULL;
}

__shoal_inline int source_allowed(const struct shoal_decap_from_key *src)
{
	return bpf_map_lookup_elem(&decap_from, src) != NULL;
}

/* Inner family of what follows an outer header whose protocol is proto. */
__shoal_inline int tunnel_inner(void *l4, void *data_end, __u8 proto, __u32 *ret_len,
				__u8 *ret_family)
{
	if (proto == IPPROTO_IPIP) {
		*ret_family = AF_INET;
		*ret_len = 0;
		return 0;
	}
	if (proto == IPPROTO_IPV6) {
		*ret_family = AF_INET6;
		*ret_len = 0;
		return 0;
	}
	if (proto == IPPROTO_UDP && decap_cfg.gue_port) {
		struct udphdr *uh = l4;
		__u8 *ver;

		if ((void *)(uh + 1) > data_end)
			return DECAP_PASS;
		if (uh->dest != decap_cfg.gue_port)
			return DECAP_PASS;
		ver = (void *)(uh + 1);
		if ((void *)(ver + 1) > data_end)
			return SHOAL_DROP_TRUNCATED;
		/* GUE variant 1: the first nibble is the inner IP version */
		if ((*ver >> 4) == 4)
			*ret_family = AF_INET;
		else if ((*ver >> 4) == 6)
			*ret_family = AF_INET6;
		else
			return DECAP_PASS; /* variant 0 GUE or not GUE: the kernel's */
		*ret_len = sizeof(*uh);
		return 0;
	}
	return DECAP_PASS;
}

__shoal_inline int decap_parse(void *data, void *data_end, struct decap_info *di)
{
	struct ethhdr *eth = data;
	__u32 l2 = sizeof(*eth), extra = 0;
	struct shoal_decap_from_key src = { .prefixlen = 128 };
	__u16 proto;
	void *l3, *inner;
	int ret;

	if ((void *)(eth + 1) > data_end)
		return DECAP_PASS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct shoal_vlan_hdr *vh = (void *)(eth + 1);

		if ((void *)(vh + 1) > data_end)
			return DECAP_PASS;
		proto = vh->encap_proto;
		l2 += sizeof(*vh);
	}
	l3 = data + l2;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;
		__u32 ihl;

		if ((void *)(iph + 1) > data_end)
			return DECAP_PASS;
		ihl = iph->ihl * 4;
		if (ihl < sizeof(*iph))
			return DECAP_PASS;
		if (bpf_ntohs(iph->frag_off) & (SHOAL_IP_MF | SHOAL_IP_OFFMASK))
			return DECAP_PASS; /* reassembly is the kernel's */
		ret = tunnel_inner(l3 + ihl, data_end, iph->protocol, &extra, &di->inner_family);
		if (ret)
			return ret;
		di->outer_len = ihl + extra;
		addr_set_v4(&src.addr, iph->saddr);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = l3;

		if ((void *)(ip6h + 1) > data_end)
			return DECAP_PASS;
		ret = tunnel_inner(ip6h + 1, data_end, ip6h->nexthdr, &extra, &di->inner_family);
		if (ret)
			return ret;
		di->outer_len = sizeof(*ip6h) + extra;
		addr_set_v6(&src.addr, &ip6h->saddr);
	} else {
		return DECAP_PASS;
	}
	di->l2_len = l2;
	if (di->outer_len > 120)
		return DECAP_PASS;
	inner = l3 + di->outer_len;
	ret = inner_is_vip(inner, data_end, di->inner_family);
	if (ret < 0)
		return SHOAL_DROP_TRUNCATED;
	if (ret == 0) {
		decap_cnt(SHOAL_DECAP_CNT_NOT_VIP);
		return DECAP_PASS;
	}
	/*
	 * A tunnel packet for a VIP, from whom? Only the balancers' tunnel
	 * sources: anyone else could have this backend answer spoofed inner
	 * sources (a reflector) or reach it past a drain.
	 */
	if (!source_allowed(&src))
		return DECAP_REFUSED;
	return 0;
}

SEC("xdp")
int shoal_decap_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct decap_info di = {};
	struct ethhdr *eth, *neth;
	__be16 inner_proto;
	int ret;

	decap_cnt(SHOAL_DECAP_CNT_RX);
	ret = decap_parse(data, data_end, &di);
	if (ret == DECAP_PASS)
		return XDP_PASS;
	if (ret == DECAP_REFUSED) {
		decap_cnt(SHOAL_DECAP_CNT_REFUSED);
		return XDP_DROP;
	}
	if (ret < 0) {
		decap_cnt(SHOAL_DECAP_CNT_MALFORMED);
		return XDP_DROP;
	}
	inner_proto = di.inner_family == AF_INET ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);

	/* Move the L2 header forward over the outer headers, then drop them. */
	eth = data;
	neth = data + (di.outer_len & 0x7f);
	if ((void *)(neth + 1) > data_end || (void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (di.l2_len != sizeof(*eth)) {
		struct shoal_vlan_hdr *vh = (void *)(eth + 1), *nvh = (void *)(neth + 1);

		if ((void *)(nvh + 1) > data_end || (void *)(vh + 1) > data_end)
			return XDP_DROP;
		nvh->encap_proto = inner_proto;
		nvh->tci = vh->tci;
		neth->h_proto = eth->h_proto;
	} else {
		neth->h_proto = inner_proto;
	}
	__builtin_memmove(neth->h_source, eth->h_source, ETH_ALEN);
	__builtin_memmove(neth->h_dest, eth->h_dest, ETH_ALEN);
	if (bpf_xdp_adjust_head(ctx, (int)di.outer_len))
		return XDP_DROP;
	decap_cnt(SHOAL_DECAP_CNT_DECAP);
	return XDP_PASS;
}

SEC("tc")
int shoal_decap_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct decap_info di = {};
	__u64 flags = 0;
	__be16 inner_proto;
	int ret;

	decap_cnt(SHOAL_DECAP_CNT_RX);
	ret = decap_parse(data, data_end, &di);
	if (ret == DECAP_PASS)
		return TC_ACT_OK;
	if (ret == DECAP_REFUSED) {
		decap_cnt(SHOAL_DECAP_CNT_REFUSED);
		return TC_ACT_SHOT;
	}
	if (ret < 0) {
		decap_cnt(SHOAL_DECAP_CNT_MALFORMED);
		return TC_ACT_SHOT;
	}
	if (di.inner_family == AF_INET) {
		inner_proto = bpf_htons(ETH_P_IP);
		flags = BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
	} else {
		inner_proto = bpf_htons(ETH_P_IPV6);
		flags = BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
	}
	if (bpf_skb_adjust_room(skb, -(int)di.outer_len, BPF_ADJ_ROOM_MAC, flags))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, di.l2_len - 2, &inner_proto, sizeof(inner_proto), 0))
		return TC_ACT_SHOT;
	decap_cnt(SHOAL_DECAP_CNT_DECAP);
	return TC_ACT_OK;
}
