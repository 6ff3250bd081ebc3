/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet parsing into one family-neutral struct pkt. Every read is preceded
 * by its own bounds check. parse_packet() returns PARSE_VIP_CANDIDATE when the
 * packet may be for a VIP (its flow key is filled in), PARSE_ECHO for an echo
 * request that may be to a VIP address, PARSE_PASS when it is certainly not
 * ours, or a negative SHOAL_DROP_* reason for a packet the balancer does not
 * take, dropped if its destination is a VIP address (the host does not own
 * the address: passed, it would go back to the router) and passed otherwise.
 */
#ifndef SHOAL_BPF_PARSE_H
#define SHOAL_BPF_PARSE_H

#include "common.h"
#include "maps.h"

#define PARSE_VIP_CANDIDATE 0
#define PARSE_PASS	    1
#define PARSE_ECHO	    2

#define ICMP_ECHO	   8
#define ICMPV6_ECHO_REQ	   128
#define IPV6_MAX_EXTHDR	   4 /* walked before giving up (hop-by-hop, routing, ...) */
#define IPV6_FRAG_OFF_MASK 0xfff8
#define IPV6_FRAG_MF	   0x0001

#define PKT_F_ICMP_ERR	(1U << 0) /* an ICMP error about the flow in key */
#define PKT_F_FRAG	(1U << 1) /* IPv4 fragment: no ports in key */
#define PKT_F_DF	(1U << 2) /* IPv4 don't-fragment set */
#define PKT_F_V6_EXTHDR (1U << 3)

struct pkt {
	struct shoal_flow_key key; /* for ICMP errors: the flow the error is about */
	__u32 l3_off;		   /* length of the L2 header: 14 or 18 */
	__u32 ip_len;		   /* L3 length per the IP header */
	__u8 family;		   /* of the packet itself */
	__u8 tos;		   /* DSCP and ECN */
	__u8 tcp_flags;
	__u8 flags; /* PKT_F_* */
};

__shoal_inline int prefilter_hit(__u32 folded)
{
	__u32 bit = shoal_prefilter_bit(folded);

	return (vip_prefilter[bit >> 6] >> (bit & 63)) & 1;
}

/* Ports and TCP flags of a TCP or UDP header at l4, which must end within limit. */
__shoal_inline int parse_ports(void *l4, void *limit, void *data_end, __u8 proto, struct pkt *p)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end || (void *)(th + 1) > limit)
			return SHOAL_DROP_TRUNCATED;
		p->key.sport = th->source;
		p->key.dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
	} else {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end || (void *)(uh + 1) > limit)
			return SHOAL_DROP_TRUNCATED;
		p->key.sport = uh->source;
		p->key.dport = uh->dest;
	}
	p->key.proto = proto;
	return 0;
}

/*
 * The flow an ICMP error is about: its quoted header is a packet the VIP sent
 * (src = VIP), so the flow key is the quoted one reversed.
 */
__shoal_inline int parse_icmp4_inner(void *inner, void *data_end, struct pkt *p)
{
	struct iphdr *iph = inner;
	__u32 ihl;
	__u16 *ports;

	if ((void *)(iph + 1) > data_end)
		return SHOAL_DROP_ICMP;
	ihl = iph->ihl * 4;
	if (iph->version != 4 || ihl < sizeof(*iph))
		return SHOAL_DROP_ICMP;
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return SHOAL_DROP_ICMP;
	ports = inner + ihl;
	if ((void *)(ports + 2) > data_end)
		return SHOAL_DROP_ICMP;
	addr_set_v4(&p->key.src, iph->daddr);
	addr_set_v4(&p->key.dst, iph->saddr);
	p->key.sport = ports[1];
	p->key.dport = ports[0];
	p->key.proto = iph->protocol;
	p->flags |= PKT_F_ICMP_ERR;
	return PARSE_VIP_CANDIDATE;
}

__shoal_inline int parse_icmp6_inner(void *inner, void *data_end, struct pkt *p)
{
	struct ipv6hdr *ip6h = inner;
	__u16 *ports;

	if ((void *)(ip6h + 1) > data_end)
		return SHOAL_DROP_ICMP;
	if (ip6h->nexthdr != IPPROTO_TCP && ip6h->nexthdr != IPPROTO_UDP)
		return SHOAL_DROP_ICMP;
	ports = (void *)(ip6h + 1);
	if ((void *)(ports + 2) > data_end)
		return SHOAL_DROP_ICMP;
	addr_set_v6(&p->key.src, &ip6h->daddr);
	addr_set_v6(&p->key.dst, &ip6h->saddr);
	p->key.sport = ports[1];
	p->key.dport = ports[0];
	p->key.proto = ip6h->nexthdr;
	p->flags |= PKT_F_ICMP_ERR;
	return PARSE_VIP_CANDIDATE;
}

__shoal_inline int parse_ipv4(void *l3, void *data_end, struct pkt *p)
{
	struct iphdr *iph = l3;
	__u32 ihl, tot_len;
	__u16 frag;
	void *l4, *limit;

	if ((void *)(iph + 1) > data_end || iph->version != 4)
		return PARSE_PASS;
	if (!prefilter_hit(iph->daddr ^ bpf_htonl(0xffff)))
		return PARSE_PASS;

	p->family = AF_INET;
	addr_set_v4(&p->key.src, iph->saddr);
	addr_set_v4(&p->key.dst, iph->daddr);
	p->key.proto = iph->protocol;
	ihl = iph->ihl * 4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (ihl < sizeof(*iph) || tot_len < ihl || l3 + tot_len > data_end)
		return SHOAL_DROP_MALFORMED;
	p->ip_len = tot_len;
	p->tos = iph->tos;
	frag = bpf_ntohs(iph->frag_off);
	if (frag & SHOAL_IP_DF)
		p->flags |= PKT_F_DF;
	if (frag & (SHOAL_IP_MF | SHOAL_IP_OFFMASK)) {
		p->flags |= PKT_F_FRAG;
		return PARSE_VIP_CANDIDATE;
	}

	l4 = l3 + ihl;
	limit = l3 + tot_len;
	if (iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP)
		return parse_ports(l4, limit, data_end, iph->protocol, p);
	if (iph->protocol == IPPROTO_ICMP) {
		struct icmphdr *ih = l4;

		if ((void *)(ih + 1) > data_end)
			return SHOAL_DROP_TRUNCATED;
		if (ih->type == ICMP_ECHO)
			return PARSE_ECHO;
		if (ih->type != ICMP_DEST_UNREACH && ih->type != ICMP_TIME_EXCEEDED &&
		    ih->type != ICMP_PARAMETERPROB)
			return SHOAL_DROP_PROTO;
		return parse_icmp4_inner(ih + 1, data_end, p);
	}
	return SHOAL_DROP_PROTO;
}

/*
 * Walks IPv6 extension headers (hop-by-hop, routing, destination options,
 * fragment) to the upper layer, at most IPV6_MAX_EXTHDR of them. Returns the
 * upper-layer protocol with *l4 past the headers, PARSE_VIP_CANDIDATE for a
 * fragment (p->key.proto set; like IPv4 fragments, no ports), or a drop
 * reason: ESP, AH, an unknown header or too many.
 */
__shoal_inline int parse_ipv6_exthdrs(void **l4, void *data_end, __u8 *nh, struct pkt *p)
{
	int i;

#pragma unroll
	for (i = 0; i < IPV6_MAX_EXTHDR; i++) {
		__u8 *x = *l4;

		if (*nh == IPPROTO_TCP || *nh == IPPROTO_UDP || *nh == IPPROTO_ICMPV6)
			return 0;
		if ((void *)(x + 8) > data_end)
			return SHOAL_DROP_TRUNCATED;
		p->flags |= PKT_F_V6_EXTHDR;
		if (*nh == IPPROTO_HOPOPTS || *nh == IPPROTO_ROUTING || *nh == IPPROTO_DSTOPTS) {
			*nh = x[0];
			*l4 += ((__u32)x[1] + 1) * 8;
		} else if (*nh == IPPROTO_FRAGMENT) {
			__u16 off = ((__u16)x[2] << 8) | x[3];

			*nh = x[0];
			*l4 += 8;
			if (off & (IPV6_FRAG_OFF_MASK | IPV6_FRAG_MF)) {
				p->flags |= PKT_F_FRAG;
				p->key.proto = *nh;
				return PARSE_VIP_CANDIDATE + 1;
			}
			/* an atomic fragment (RFC 6946): the whole packet */
		} else {
			return SHOAL_DROP_EXTHDR;
		}
	}
	if (*nh == IPPROTO_TCP || *nh == IPPROTO_UDP || *nh == IPPROTO_ICMPV6)
		return 0;
	return SHOAL_DROP_EXTHDR;
}

__shoal_inline int parse_ipv6(void *l3, void *data_end, struct pkt *p)
{
	struct ipv6hdr *ip6h = l3;
	__u32 plen;
	void *l4, *limit;
	int ret;
	__u8 nh;

	if ((void *)(ip6h + 1) > data_end || ip6h->version != 6)
		return PARSE_PASS;
	if (!prefilter_hit(ip6h->daddr.in6_u.u6_addr32[0] ^ ip6h->daddr.in6_u.u6_addr32[1] ^
			   ip6h->daddr.in6_u.u6_addr32[2] ^ ip6h->daddr.in6_u.u6_addr32[3]))
		return PARSE_PASS;

	p->family = AF_INET6;
	addr_set_v6(&p->key.src, &ip6h->saddr);
	addr_set_v6(&p->key.dst, &ip6h->daddr);
	nh = ip6h->nexthdr;
	p->key.proto = nh;
	plen = bpf_ntohs(ip6h->payload_len);
	if (plen == 0 || l3 + sizeof(*ip6h) + plen > data_end)
		return SHOAL_DROP_MALFORMED;
	p->ip_len = sizeof(*ip6h) + plen;
	p->tos = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);

	l4 = ip6h + 1;
	limit = l4 + plen;
	ret = parse_ipv6_exthdrs(&l4, data_end, &nh, p);
	if (ret < 0)
		return ret;
	if (ret)
		return PARSE_VIP_CANDIDATE; /* a fragment */
	p->key.proto = nh;
	if (nh == IPPROTO_TCP || nh == IPPROTO_UDP)
		return parse_ports(l4, limit, data_end, nh, p);
	{
		struct icmp6hdr *ih = l4;

		if ((void *)(ih + 1) > data_end)
			return SHOAL_DROP_TRUNCATED;
		/* answered only without extension headers: a routing header would mislead */
		if (ih->icmp6_type == ICMPV6_ECHO_REQ && !(p->flags & PKT_F_V6_EXTHDR))
			return PARSE_ECHO;
		/* errors are types 1-4; to a VIP address, nothing else is ours or the host's */
		if (ih->icmp6_type < ICMPV6_DEST_UNREACH || ih->icmp6_type > ICMPV6_PARAMPROB)
			return SHOAL_DROP_PROTO;
		return parse_icmp6_inner(ih + 1, data_end, p);
	}
}

__shoal_inline int parse_packet(void *data, void *data_end, struct pkt *p)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;

	if ((void *)(eth + 1) > data_end)
		return PARSE_PASS;
	proto = eth->h_proto;
	p->l3_off = sizeof(*eth);
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct shoal_vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > data_end)
			return PARSE_PASS;
		proto = vh->encap_proto;
		p->l3_off += sizeof(*vh);
		l3 = vh + 1;
	}
	/* one copy of each parser whatever the L2 header: the hot code stays small */
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(l3, data_end, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(l3, data_end, p);
	return PARSE_PASS;
}

#endif /* SHOAL_BPF_PARSE_H */
