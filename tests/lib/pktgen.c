// SPDX-License-Identifier: GPL-2.0-only
/* See pktgen.h. */
#include <arpa/inet.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "pktgen.h"

const __u8 pkt_client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const __u8 pkt_lb_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

__u32 pkt_csum_add(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)((p[i] << 8) | p[i + 1]);
	if (len & 1)
		sum += (__u32)(p[len - 1] << 8);
	return sum;
}

__u16 pkt_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __u32 pseudo_sum(int family, const void *l3, __u8 proto, size_t l4_len)
{
	__u32 sum = 0;

	if (family == AF_INET) {
		const struct iphdr *iph = l3;

		sum = pkt_csum_add(&iph->saddr, 8, 0);
	} else {
		const struct ipv6hdr *ip6h = l3;

		sum = pkt_csum_add(&ip6h->saddr, 32, 0);
		sum += (__u32)(l4_len >> 16);
	}
	sum += proto;
	sum += (__u32)(l4_len & 0xffff);
	return sum;
}

static size_t l4_build(const struct pkt_spec *s, __u8 *l4, size_t cap)
{
	size_t hl = s->proto == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr);
	size_t len = hl + s->payload, i;

	if (len > cap)
		return 0;
	memset(l4, 0, hl);
	for (i = 0; i < s->payload; i++)
		l4[hl + i] = (__u8)(i * 7 + 1);
	if (s->proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)l4;

		th->source = htons(s->sport);
		th->dest = htons(s->dport);
		th->seq = htonl(0x11223344);
		th->ack_seq = htonl(s->tcp_flags & PKT_TCP_ACK ? 0x55667788 : 0);
		th->doff = 5;
		l4[13] = s->tcp_flags ? s->tcp_flags : PKT_TCP_SYN;
		th->window = htons(64240);
	} else {
		struct udphdr *uh = (struct udphdr *)l4;

		uh->source = htons(s->sport);
		uh->dest = htons(s->dport);
		uh->len = htons((__u16)len);
	}
	return len;
}

static void l4_csum(int family, const void *l3, __u8 proto, __u8 *l4, size_t len)
{
	__u32 sum = pseudo_sum(family, l3, proto, len);
	__u16 c;

	if (proto == IPPROTO_TCP)
		((struct tcphdr *)l4)->check = 0;
	else if (proto == IPPROTO_UDP)
		((struct udphdr *)l4)->check = 0;
	c = pkt_csum_fold(pkt_csum_add(l4, len, sum));
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	if (proto == IPPROTO_TCP)
		((struct tcphdr *)l4)->check = htons(c);
	else if (proto == IPPROTO_UDP)
		((struct udphdr *)l4)->check = htons(c);
}

static size_t l2_build(__u16 vlan, __u16 ethertype, __u8 *buf)
{
	memcpy(buf, pkt_lb_mac, 6);
	memcpy(buf + 6, pkt_client_mac, 6);
	if (vlan) {
		buf[12] = 0x81;
		buf[13] = 0x00;
		buf[14] = (__u8)(vlan >> 8);
		buf[15] = (__u8)vlan;
		buf[16] = (__u8)(ethertype >> 8);
		buf[17] = (__u8)ethertype;
		return 18;
	}
	buf[12] = (__u8)(ethertype >> 8);
	buf[13] = (__u8)ethertype;
	return 14;
}

/* Builds the IP packet of s at l3; returns its length. */
static size_t ip_build(const struct pkt_spec *s, __u8 *l3, size_t cap, int *ret_family)
{
	struct in_addr s4, d4;
	struct in6_addr s6, d6;
	size_t l4_len, ihl;

	if (inet_pton(AF_INET, s->src, &s4) == 1 && inet_pton(AF_INET, s->dst, &d4) == 1) {
		struct iphdr *iph = (struct iphdr *)l3;

		ihl = (s->ihl ? s->ihl : 5) * 4;
		if (ihl < 20 || ihl > 60 || cap < ihl)
			return 0;
		memset(l3, 0, ihl);
		if (ihl > 20)
			l3[20] = 1; /* NOP options */
		memset(l3 + 20, 1, ihl - 20);
		l4_len = l4_build(s, l3 + ihl, cap - ihl);
		if (!l4_len)
			return 0;
		iph->version = 4;
		iph->ihl = (__u8)(ihl / 4);
		iph->tos = s->tos;
		iph->tot_len = htons((__u16)(ihl + l4_len));
		iph->id = htons(0x1234);
		iph->frag_off = htons((__u16)((s->no_df ? 0 : 0x4000) | s->frag));
		iph->ttl = s->ttl ? s->ttl : 64;
		iph->protocol = s->proto;
		iph->saddr = s4.s_addr;
		iph->daddr = d4.s_addr;
		iph->check = htons(pkt_csum_fold(pkt_csum_add(iph, ihl, 0)));
		l4_csum(AF_INET, l3, s->proto, l3 + ihl, l4_len);
		*ret_family = AF_INET;
		return ihl + l4_len;
	}
	if (inet_pton(AF_INET6, s->src, &s6) == 1 && inet_pton(AF_INET6, s->dst, &d6) == 1) {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)l3;

		if (cap < sizeof(*ip6h))
			return 0;
		l4_len = l4_build(s, l3 + sizeof(*ip6h), cap - sizeof(*ip6h));
		if (!l4_len)
			return 0;
		memset(ip6h, 0, sizeof(*ip6h));
		ip6h->version = 6;
		ip6h->priority = s->tos >> 4;
		ip6h->flow_lbl[0] = (__u8)((s->tos & 0xf) << 4);
		ip6h->payload_len = htons((__u16)l4_len);
		ip6h->nexthdr = s->proto;
		ip6h->hop_limit = s->ttl ? s->ttl : 64;
		memcpy(&ip6h->saddr, &s6, 16);
		memcpy(&ip6h->daddr, &d6, 16);
		l4_csum(AF_INET6, l3, s->proto, l3 + sizeof(*ip6h), l4_len);
		*ret_family = AF_INET6;
		return sizeof(*ip6h) + l4_len;
	}
	return 0;
}

size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap)
{
	__u8 l3[PKT_MAX];
	size_t l2, l3_len;
	int family = 0;

	l3_len = ip_build(s, l3, sizeof(l3), &family);
	if (!l3_len || cap < 18 + l3_len)
		return 0;
	l2 = l2_build(s->vlan, family == AF_INET ? ETH_P_IP : ETH_P_IPV6, buf);
	memcpy(buf + l2, l3, l3_len);
	return l2 + l3_len;
}

size_t pkt_build_icmp_error(const char *router, const struct pkt_spec *quoted, __u8 type, __u8 code,
			    __u32 extra, size_t quote_len, __u8 *buf, size_t cap)
{
	__u8 q[PKT_MAX];
	size_t qlen, l2, hl, total;
	int family = 0;
	__u8 *l3, *ih;

	qlen = ip_build(quoted, q, sizeof(q), &family);
	if (!qlen)
		return 0;
	if (!quote_len)
		quote_len = (family == AF_INET ? (size_t)(q[0] & 0xf) * 4 : 40) + 8;
	if (quote_len < qlen)
		qlen = quote_len;
	hl = family == AF_INET ? 20 : 40;
	total = hl + 8 + qlen;
	if (cap < 18 + total)
		return 0;
	l2 = l2_build(quoted->vlan, family == AF_INET ? ETH_P_IP : ETH_P_IPV6, buf);
	l3 = buf + l2;
	ih = l3 + hl;
	memset(l3, 0, hl + 8);
	ih[0] = type;
	ih[1] = code;
	ih[4] = (__u8)(extra >> 24);
	ih[5] = (__u8)(extra >> 16);
	ih[6] = (__u8)(extra >> 8);
	ih[7] = (__u8)extra;
	memcpy(ih + 8, q, qlen);
	if (family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)l3;
		struct in_addr r;

		if (inet_pton(AF_INET, router, &r) != 1)
			return 0;
		iph->version = 4;
		iph->ihl = 5;
		iph->tot_len = htons((__u16)total);
		iph->ttl = 64;
		iph->protocol = IPPROTO_ICMP;
		iph->saddr = r.s_addr;
		memcpy(&iph->daddr, q + 12, 4); /* to the quoted packet's source: the VIP */
		iph->check = htons(pkt_csum_fold(pkt_csum_add(iph, 20, 0)));
		ih[2] = ih[3] = 0;
		{
			__u16 c = pkt_csum_fold(pkt_csum_add(ih, 8 + qlen, 0));

			ih[2] = (__u8)(c >> 8);
			ih[3] = (__u8)c;
		}
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)l3;
		struct in6_addr r;
		__u16 c;

		if (inet_pton(AF_INET6, router, &r) != 1)
			return 0;
		ip6h->version = 6;
		ip6h->payload_len = htons((__u16)(8 + qlen));
		ip6h->nexthdr = IPPROTO_ICMPV6;
		ip6h->hop_limit = 64;
		memcpy(&ip6h->saddr, &r, 16);
		memcpy(&ip6h->daddr, q + 8, 16);
		c = pkt_csum_fold(pkt_csum_add(ih, 8 + qlen,
					       pseudo_sum(AF_INET6, l3, IPPROTO_ICMPV6, 8 + qlen)));
		ih[2] = (__u8)(c >> 8);
		ih[3] = (__u8)c;
	}
	return l2 + total;
}

bool pkt_ipv4_hdr_ok(const void *l3, size_t len)
{
	const struct iphdr *iph = l3;
	size_t ihl;

	if (len < sizeof(*iph) || iph->version != 4)
		return false;
	ihl = (size_t)iph->ihl * 4;
	if (ihl < 20 || ihl > len)
		return false;
	return pkt_csum_fold(pkt_csum_add(iph, ihl, 0)) == 0;
}

bool pkt_l4_csum_ok(const void *l3, size_t len)
{
	const __u8 *p = l3;
	size_t hl, l4_len;
	int family;
	__u8 proto;
	__u32 sum;

	if (len < 1)
		return false;
	if ((p[0] >> 4) == 4) {
		const struct iphdr *iph = l3;

		if (!pkt_ipv4_hdr_ok(l3, len))
			return false;
		hl = (size_t)iph->ihl * 4;
		if (ntohs(iph->tot_len) > len || ntohs(iph->tot_len) < hl)
			return false;
		l4_len = ntohs(iph->tot_len) - hl;
		proto = iph->protocol;
		family = AF_INET;
	} else if ((p[0] >> 4) == 6) {
		const struct ipv6hdr *ip6h = l3;

		if (len < sizeof(*ip6h))
			return false;
		hl = sizeof(*ip6h);
		l4_len = ntohs(ip6h->payload_len);
		if (hl + l4_len > len)
			return false;
		proto = ip6h->nexthdr;
		family = AF_INET6;
	} else {
		return false;
	}
	if (proto == IPPROTO_ICMP)
		sum = 0;
	else if (proto == IPPROTO_UDP && family == AF_INET &&
		 !((const struct udphdr *)(p + hl))->check)
		return true; /* no checksum */
	else
		sum = pseudo_sum(family, l3, proto, l4_len);
	return pkt_csum_fold(pkt_csum_add(p + hl, l4_len, sum)) == 0;
}

size_t pkt_l3_offset(const __u8 *frame, size_t len, __u16 *ret_ethertype)
{
	__u16 et;

	if (len < 14)
		return 0;
	et = (__u16)((frame[12] << 8) | frame[13]);
	if (et == 0x8100 || et == 0x88a8) {
		if (len < 18)
			return 0;
		*ret_ethertype = (__u16)((frame[16] << 8) | frame[17]);
		return 18;
	}
	*ret_ethertype = et;
	return 14;
}
