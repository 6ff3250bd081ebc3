// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o: encapsulation of every family, protocol and tunnel, every
 * outer header field and checksum, the inner packet byte for byte.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/bpf.h>

#include "model/addr.h"
#include "lbtest.h"
#include "ckmain.h"

/* ---- encapsulation: every family x protocol x tunnel ---- */

struct encap_case {
	const char *name;
	const char *vip, *client, *backend;
	__u8 proto;
	__u8 encap;
	__u16 vlan;
};

static const struct encap_case encap_cases[] = {
	{ "v4 tcp gue", VIP4, CLIENT4, "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_GUE, 0 },
	{ "v4 udp gue", VIP4, CLIENT4, "198.51.100.1", IPPROTO_UDP, SHOAL_ENCAP_GUE, 0 },
	{ "v6 tcp gue", VIP6, CLIENT6, "2001:db8:b::1", IPPROTO_TCP, SHOAL_ENCAP_GUE, 0 },
	{ "v6 udp gue", VIP6, CLIENT6, "2001:db8:b::1", IPPROTO_UDP, SHOAL_ENCAP_GUE, 0 },
	{ "v4 tcp gue6", VIP4, CLIENT4, "2001:db8:b::1", IPPROTO_TCP, SHOAL_ENCAP_GUE, 0 },
	{ "v6 udp gue4", VIP6, CLIENT6, "198.51.100.1", IPPROTO_UDP, SHOAL_ENCAP_GUE, 0 },
	{ "v4 tcp ipip", VIP4, CLIENT4, "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_IPIP, 0 },
	{ "v4 udp ipip", VIP4, CLIENT4, "198.51.100.1", IPPROTO_UDP, SHOAL_ENCAP_IPIP, 0 },
	{ "v6 tcp ip6ip6", VIP6, CLIENT6, "2001:db8:b::1", IPPROTO_TCP, SHOAL_ENCAP_IPIP, 0 },
	{ "v6 udp ip6ip6", VIP6, CLIENT6, "2001:db8:b::1", IPPROTO_UDP, SHOAL_ENCAP_IPIP, 0 },
	{ "v4 tcp 4in6", VIP4, CLIENT4, "2001:db8:b::1", IPPROTO_TCP, SHOAL_ENCAP_IPIP, 0 },
	{ "v4 udp 4in6", VIP4, CLIENT4, "2001:db8:b::1", IPPROTO_UDP, SHOAL_ENCAP_IPIP, 0 },
	{ "v6 tcp 6in4", VIP6, CLIENT6, "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_IPIP, 0 },
	{ "v4 tcp gue vlan", VIP4, CLIENT4, "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_GUE, 42 },
	{ "v6 udp ip6ip6 vlan", VIP6, CLIENT6, "2001:db8:b::1", IPPROTO_UDP, SHOAL_ENCAP_IPIP, 7 },
};

/* Checks every outer header field of an encapsulated frame; returns the inner offset. */
static size_t check_outer(const struct encap_case *c, const __u8 *in, size_t in_len,
			  const __u8 *out, size_t out_len, __u8 tos)
{
	struct shoal_addr be, src;
	int be_family, inner_v4 = strchr(c->vip, ':') == NULL;
	size_t l2 = c->vlan ? 18 : 14, outer, inner_len = in_len - l2, off;
	__u16 et;

	ck_assert_int_eq(shoal_addr_parse(c->backend, &be, &be_family), 0);
	outer = (be_family == AF_INET ? 20 : 40) + (c->encap == SHOAL_ENCAP_GUE ? 8 : 0);
	ck_assert_msg(out_len == in_len + outer, "%s: length %zu, want %zu", c->name, out_len,
		      in_len + outer);
	ck_assert_mem_eq(out, lbfix_gw_mac, 6);
	ck_assert_mem_eq(out + 6, pkt_lb_mac, 6);
	ck_assert_uint_eq(pkt_l3_offset(out, out_len, &et), l2);
	if (c->vlan) {
		ck_assert_uint_eq(out[12], 0x81);
		ck_assert_uint_eq(((out[14] << 8) | out[15]) & 0xfff, c->vlan);
	}
	off = l2;
	if (be_family == AF_INET) {
		const struct iphdr *iph = (const void *)(out + off);

		ck_assert_uint_eq(et, ETH_P_IP);
		ck_assert_uint_eq(iph->version, 4);
		ck_assert_uint_eq(iph->ihl, 5);
		ck_assert_uint_eq(iph->tos, tos);
		ck_assert_uint_eq(ntohs(iph->tot_len), outer + inner_len);
		ck_assert_uint_eq(ntohs(iph->frag_off), 0x4000);
		ck_assert_uint_eq(iph->ttl, 64);
		ck_assert_uint_eq(iph->protocol, c->encap == SHOAL_ENCAP_GUE ? IPPROTO_UDP
						 : inner_v4		     ? IPPROTO_IPIP
									     : IPPROTO_IPV6);
		ck_assert_msg(pkt_ipv4_hdr_ok(iph, 20), "%s: outer IPv4 checksum", c->name);
		ck_assert_int_eq(shoal_addr_parse(LBFIX_SRC4, &src, NULL), 0);
		ck_assert_uint_eq(iph->saddr, src.u32[3]);
		ck_assert_uint_eq(iph->daddr, be.u32[3]);
		off += 20;
	} else {
		const struct ipv6hdr *ip6h = (const void *)(out + off);
		__u8 tc = (__u8)((ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4));

		ck_assert_uint_eq(et, ETH_P_IPV6);
		ck_assert_uint_eq(ip6h->version, 6);
		ck_assert_uint_eq(tc, tos);
		ck_assert_uint_eq(ntohs(ip6h->payload_len), outer - 40 + inner_len);
		ck_assert_uint_eq(ip6h->nexthdr, c->encap == SHOAL_ENCAP_GUE ? IPPROTO_UDP
						 : inner_v4		     ? IPPROTO_IPIP
									     : IPPROTO_IPV6);
		ck_assert_uint_eq(ip6h->hop_limit, 64);
		ck_assert_int_eq(shoal_addr_parse(LBFIX_SRC6, &src, NULL), 0);
		ck_assert_mem_eq(&ip6h->saddr, &src, 16);
		ck_assert_mem_eq(&ip6h->daddr, &be, 16);
		off += 40;
	}
	if (c->encap == SHOAL_ENCAP_GUE) {
		const struct udphdr *uh = (const void *)(out + off);

		ck_assert_uint_ge(ntohs(uh->source), 49152);
		ck_assert_uint_eq(ntohs(uh->dest), LBFIX_GUE_PORT);
		ck_assert_uint_eq(ntohs(uh->len), 8 + inner_len);
		ck_assert_uint_eq(uh->check, 0);
		off += 8;
	}
	/* the inner packet, byte for byte, with valid checksums */
	ck_assert_mem_eq(out + off, in + l2, inner_len);
	ck_assert(pkt_l4_csum_ok(out + off, inner_len));
	return off;
}

START_TEST(test_encap)
{
	const struct encap_case *c = &encap_cases[_i];
	struct lbfix_backend be = { c->backend, c->encap, 1 };
	struct pkt_spec s = { .src = c->client,
			      .dst = c->vip,
			      .sport = 40000,
			      .dport = 80,
			      .proto = c->proto,
			      .tos = 0xb9,
			      .vlan = c->vlan,
			      .payload = 100 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out);
	struct lbfix_vip v;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, c->vip, 80, c->proto, SHOAL_SCHED_MAGLEV, 0, &be, 1, 0, &v), 0);
	in_len = pkt_build(&s, in, sizeof(in));
	ck_assert_uint_gt(in_len, 0);
	ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
	check_outer(c, in, in_len, out, out_len, 0xb9);
	ck_assert_uint_eq(counter(SHOAL_CNT_TX), 1);
}
END_TEST

/* The GUE source port comes from the flow hash: it varies across flows, not within one. */
START_TEST(test_gue_sport_entropy)
{
	struct lbfix_backend be = { "198.51.100.1", SHOAL_ENCAP_GUE, 1 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	int seen[16] = { 0 }, distinct = 0, i;
	__u16 first = 0;
	struct lbfix_vip v;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, &be, 1, 0, &v), 0);
	for (i = 0; i < 64; i++) {
		struct pkt_spec s = { .src = CLIENT4,
				      .dst = VIP4,
				      .sport = (__u16)(1000 + i),
				      .dport = 80,
				      .proto = IPPROTO_TCP };
		size_t in_len = pkt_build(&s, in, sizeof(in)), out_len = sizeof(out);
		__u16 sport;

		ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
		sport = ntohs(((const struct udphdr *)(out + 14 + 20))->source);
		seen[sport & 15]++;
		if (i == 0)
			first = sport;
	}
	for (i = 0; i < 16; i++)
		distinct += seen[i] > 0;
	ck_assert_int_ge(distinct, 12);
	/* the same flow again: the same port */
	{
		struct pkt_spec s = { .src = CLIENT4,
				      .dst = VIP4,
				      .sport = 1000,
				      .dport = 80,
				      .proto = IPPROTO_TCP,
				      .tcp_flags = PKT_TCP_ACK };
		size_t in_len = pkt_build(&s, in, sizeof(in)), out_len = sizeof(out);

		ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
		ck_assert_uint_eq(ntohs(((const struct udphdr *)(out + 14 + 20))->source), first);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lb.encap");
	TCase *tc;

	tc = tcase_create("encap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_encap, 0, sizeof(encap_cases) / sizeof(encap_cases[0]));
	tcase_add_test(tc, test_gue_sport_entropy);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
