/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Answers a client whose packet would exceed the MTU once encapsulated:
 * ICMP "fragmentation needed" (RFC 792, RFC 1191) or ICMPv6 "packet too big"
 * (RFC 4443 sec. 3.2), sent back out of the same interface with XDP_TX. The
 * reply quotes the client's IP header and the first 8 bytes after it, which is
 * what a TCP or UDP stack needs to find its socket.
 */
#ifndef SHOAL_BPF_ICMP_H
#define SHOAL_BPF_ICMP_H

#include "csum.h"
#include "parse.h"

#define ICMP_QUOTE_L4 8
#define IPV6_MIN_MTU  1280

/* Moves the L2 header from old to data with source and destination swapped. */
__shoal_inline int icmp_l2_swap(void *data, void *data_end, __u32 shift, __u32 l2_len)
{
	struct ethhdr *eth = data, *oeth = data + shift;

	if ((void *)(oeth + 1) > data_end)
		return SHOAL_DROP_ENCAP;
	__builtin_memcpy(eth->h_dest, oeth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, oeth->h_dest, ETH_ALEN);
	eth->h_proto = oeth->h_proto;
	if (l2_len != sizeof(struct ethhdr)) {
		struct shoal_vlan_hdr *vh = (void *)(eth + 1), *ovh = (void *)(oeth + 1);

		if ((void *)(ovh + 1) > data_end)
			return SHOAL_DROP_ENCAP;
		vh->tci = ovh->tci;
		vh->encap_proto = ovh->encap_proto;
	}
	return 0;
}

__shoal_inline int send_frag_needed(struct xdp_md *ctx, const struct pkt *p, __u32 mtu)
{
	__u32 shift = sizeof(struct iphdr) + sizeof(struct icmphdr);
	__u32 l2_len = p->l3_off & 0x1f;
	void *data, *data_end;
	struct iphdr *iph, *qiph;
	struct icmphdr *ih;
	__u32 qlen, sum;
	int ret;

	if (bpf_xdp_adjust_head(ctx, -(int)shift))
		return SHOAL_DROP_ENCAP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ret = icmp_l2_swap(data, data_end, shift, l2_len);
	if (ret)
		return ret;
	iph = data + l2_len;
	ih = (void *)(iph + 1);
	qiph = (void *)(ih + 1);
	if ((void *)(qiph + 1) > data_end)
		return SHOAL_DROP_ENCAP;
	qlen = (qiph->ihl * 4) + ICMP_QUOTE_L4;

	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = 0;
	iph->tot_len = bpf_htons(shift + qlen);
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = host_cfg.ttl;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = qiph->daddr;
	iph->daddr = qiph->saddr;
	iph->check = ipv4_hdr_csum(iph);

	ih->type = ICMP_DEST_UNREACH;
	ih->code = ICMP_FRAG_NEEDED;
	ih->checksum = 0;
	ih->un.frag.__unused = 0;
	ih->un.frag.mtu = bpf_htons(mtu);

	if (bpf_xdp_adjust_tail(ctx, (int)(l2_len + shift + qlen) - (int)bpf_xdp_get_buff_len(ctx)))
		return SHOAL_DROP_ENCAP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ih = data + l2_len + sizeof(struct iphdr);
	if ((void *)(ih + 1) > data_end)
		return SHOAL_DROP_ENCAP;
	sum = csum_add_words(ih, sizeof(*ih) + qlen, data_end, 0);
	/* re-derive the pointer: the loop's bounds checks do not carry over */
	barrier_mem();
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ih = data + l2_len + sizeof(struct iphdr);
	if ((void *)(ih + 1) > data_end)
		return SHOAL_DROP_ENCAP;
	ih->checksum = csum_fold(sum);
	return 0;
}

__shoal_inline int send_packet_too_big(struct xdp_md *ctx, const struct pkt *p, __u32 mtu)
{
	__u32 shift = sizeof(struct ipv6hdr) + sizeof(struct icmp6hdr);
	__u32 qlen = sizeof(struct ipv6hdr) + ICMP_QUOTE_L4;
	__u32 l2_len = p->l3_off & 0x1f;
	struct ipv6hdr *ip6h, *qip6h;
	struct icmp6hdr *ih;
	void *data, *data_end;
	__u32 sum;
	int ret;

	if (mtu < IPV6_MIN_MTU)
		mtu = IPV6_MIN_MTU;
	if (bpf_xdp_adjust_head(ctx, -(int)shift))
		return SHOAL_DROP_ENCAP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ret = icmp_l2_swap(data, data_end, shift, l2_len);
	if (ret)
		return ret;
	ip6h = data + l2_len;
	ih = (void *)(ip6h + 1);
	qip6h = (void *)(ih + 1);
	if ((void *)(qip6h + 1) > data_end)
		return SHOAL_DROP_ENCAP;

	ip6h->version = 6;
	ip6h->priority = 0;
	ip6h->flow_lbl[0] = 0;
	ip6h->flow_lbl[1] = 0;
	ip6h->flow_lbl[2] = 0;
	ip6h->payload_len = bpf_htons(sizeof(*ih) + qlen);
	ip6h->nexthdr = IPPROTO_ICMPV6;
	ip6h->hop_limit = host_cfg.ttl;
	ip6h->saddr = qip6h->daddr;
	ip6h->daddr = qip6h->saddr;

	ih->icmp6_type = ICMPV6_PKT_TOOBIG;
	ih->icmp6_code = 0;
	ih->icmp6_cksum = 0;
	ih->icmp6_dataun.un_data32[0] = bpf_htonl(mtu);

	if (bpf_xdp_adjust_tail(ctx, (int)(l2_len + shift + qlen) - (int)bpf_xdp_get_buff_len(ctx)))
		return SHOAL_DROP_ENCAP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ip6h = data + l2_len;
	ih = (void *)(ip6h + 1);
	if ((void *)(ih + 1) > data_end)
		return SHOAL_DROP_ENCAP;
	/* pseudo-header: addresses, upper-layer length, next header */
	sum = csum_add_addr(&ip6h->saddr, 0);
	sum = csum_add_addr(&ip6h->daddr, sum);
	sum += bpf_htons(sizeof(*ih) + qlen);
	sum += bpf_htons(IPPROTO_ICMPV6);
	sum = csum_add_words(ih, sizeof(*ih) + qlen, data_end, sum);
	barrier_mem();
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ih = data + l2_len + sizeof(struct ipv6hdr);
	if ((void *)(ih + 1) > data_end)
		return SHOAL_DROP_ENCAP;
	ih->icmp6_cksum = csum_fold(sum);
	return 0;
}

/*
 * Answers an echo request to a VIP address in place (RFC 792, RFC 4443 sec.
 * 4.2): MACs and addresses swapped, a fresh TTL, type changed, checksums
 * updated incrementally (the address swap leaves every sum as it was).
 */
__shoal_inline int send_echo_reply(struct xdp_md *ctx, const struct pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l2_len = p->l3_off & 0x1f;
	struct ethhdr *eth = data;
	__u8 mac[ETH_ALEN];
	__u16 old, new;

	if ((void *)(eth + 1) > data_end)
		return SHOAL_DROP_TRUNCATED;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	if (p->family == AF_INET) {
		struct iphdr *iph = data + l2_len;
		struct icmphdr *ih;
		__be32 a;

		if ((void *)(iph + 1) > data_end)
			return SHOAL_DROP_TRUNCATED;
		ih = (void *)iph + (iph->ihl & 0xf) * 4;
		if ((void *)(ih + 1) > data_end)
			return SHOAL_DROP_TRUNCATED;
		a = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = a;
		old = *(__u16 *)&iph->ttl;
		iph->ttl = host_cfg.ttl;
		iph->check = csum_replace16(iph->check, old, *(__u16 *)&iph->ttl);
		old = *(__u16 *)ih;
		ih->type = 0; /* echo reply */
		ih->checksum = csum_replace16(ih->checksum, old, *(__u16 *)ih);
		return 0;
	}
	{
		struct ipv6hdr *ip6h = data + l2_len;
		struct icmp6hdr *ih = (void *)(ip6h + 1);
		struct in6_addr a;

		if ((void *)(ih + 1) > data_end)
			return SHOAL_DROP_TRUNCATED;
		a = ip6h->saddr;
		ip6h->saddr = ip6h->daddr;
		ip6h->daddr = a;
		ip6h->hop_limit = host_cfg.ttl;
		old = *(__u16 *)ih;
		ih->icmp6_type = ICMPV6_ECHO_REPLY;
		new = *(__u16 *)ih;
		ih->icmp6_cksum = csum_replace16(ih->icmp6_cksum, old, new);
	}
	return 0;
}

#endif /* SHOAL_BPF_ICMP_H */
