// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o: ICMP errors go to the backend of the flow they quote;
 * too big once encapsulated: frag-needed / packet-too-big to the client.
 */
#include <arpa/inet.h>
#include <check.h>
#include <bpf/libbpf.h>
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

/* ---- ICMP errors about a VIP flow go to the flow's backend ---- */

struct icmp_case {
	const char *name;
	const char *vip, *client, *router;
	__u8 proto, sched, type, code;
};

static const struct icmp_case icmp_cases[] = {
	{ "v4 frag-needed tcp maglev", VIP4, CLIENT4, "203.0.113.254", IPPROTO_TCP,
	  SHOAL_SCHED_MAGLEV, 3, 4 },
	{ "v4 unreachable udp rr", VIP4, CLIENT4, "203.0.113.254", IPPROTO_UDP, SHOAL_SCHED_RR, 3,
	  3 },
	{ "v6 packet-too-big tcp maglev", VIP6, CLIENT6, "2001:db8:ee::1", IPPROTO_TCP,
	  SHOAL_SCHED_MAGLEV, 2, 0 },
	{ "v6 time-exceeded udp random", VIP6, CLIENT6, "2001:db8:ee::1", IPPROTO_UDP,
	  SHOAL_SCHED_RANDOM, 3, 0 },
};

START_TEST(test_icmp_error_to_flow_backend)
{
	const struct icmp_case *c = &icmp_cases[_i];
	struct lbfix_backend bes[8];
	static const char *addrs[8] = { "198.51.100.1", "198.51.100.2", "198.51.100.3",
					"198.51.100.4", "198.51.100.5", "198.51.100.6",
					"198.51.100.7", "198.51.100.8" };
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct lbfix_vip v;
	int i;

	for (i = 0; i < 8; i++)
		bes[i] = (struct lbfix_backend){ addrs[i], SHOAL_ENCAP_GUE, 1 };
	ck_assert_int_eq(lbfix_vip_add(&fx, c->vip, 53, c->proto, c->sched, 0, bes, 8, 0, &v), 0);
	for (i = 0; i < 50; i++) {
		struct pkt_spec fwd = { .src = c->client,
					.dst = c->vip,
					.sport = (__u16)(30000 + i),
					.dport = 53,
					.proto = c->proto };
		/* what the backend sent: VIP -> client; the router answers about it */
		struct pkt_spec back = { .src = c->vip,
					 .dst = c->client,
					 .sport = 53,
					 .dport = (__u16)(30000 + i),
					 .proto = c->proto,
					 .tcp_flags = PKT_TCP_ACK,
					 .payload = 1400 };
		size_t in_len, out_len = sizeof(out);
		int b_flow, b_icmp;

		in_len = pkt_build(&fwd, in, sizeof(in));
		ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
		b_flow = lbfix_backend_of(&v, out, out_len);
		in_len = pkt_build_icmp_error(c->router, &back, c->type, c->code, 1400, 0, in,
					      sizeof(in));
		ck_assert_uint_gt(in_len, 0);
		out_len = sizeof(out);
		ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
		b_icmp = lbfix_backend_of(&v, out, out_len);
		ck_assert_msg(b_icmp == b_flow, "%s: flow %d on %d, its ICMP error on %d", c->name,
			      i, b_flow, b_icmp);
		/* the whole ICMP packet is inside, unchanged */
		ck_assert_mem_eq(out + 14 + 28, in + 14, in_len - 14);
	}
	ck_assert_uint_eq(counter(SHOAL_CNT_ICMP_FORWARDED), 50);
}
END_TEST

START_TEST(test_icmp_error_unknown_flow_not_sent)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct pkt_spec back = {
		.src = VIP4, .dst = CLIENT4, .sport = 9999, .dport = 5555, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out);
	struct lbfix_vip v;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, &be, 1, 0, &v), 0);
	/* quoted source port 9999 is no VIP port */
	in_len = pkt_build_icmp_error("203.0.113.254", &back, 3, 4, 1400, 0, in, sizeof(in));
	ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_DROP);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_ICMP)), 1);
}
END_TEST

/* ---- too big once encapsulated: ICMP back to the client ---- */

/* A TCP segment that just fits the MTU: too big once encapsulated. */
static const struct pkt_spec oversized4 = { .src = CLIENT4,
					    .dst = VIP4,
					    .sport = 40000,
					    .dport = 80,
					    .proto = IPPROTO_TCP,
					    .tcp_flags = PKT_TCP_ACK,
					    .payload = LBFIX_MTU - 40 };

START_TEST(test_frag_needed_v4)
{
	struct lbfix_backend be = { "198.51.100.1", SHOAL_ENCAP_GUE, 1 };
	struct pkt_spec s = oversized4;
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out);
	const struct iphdr *iph, *qiph;
	const __u8 *ih;
	struct lbfix_vip v;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, &be, 1, 0, &v), 0);
	in_len = pkt_build(&s, in, sizeof(in));
	ck_assert_uint_eq(in_len, 14 + LBFIX_MTU);
	ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
	ck_assert_uint_eq(out_len, 14 + 20 + 8 + 20 + 8);
	ck_assert_mem_eq(out, pkt_client_mac, 6);
	ck_assert_mem_eq(out + 6, pkt_lb_mac, 6);
	iph = (const void *)(out + 14);
	ck_assert(pkt_ipv4_hdr_ok(iph, 20));
	ck_assert_uint_eq(iph->protocol, IPPROTO_ICMP);
	ck_assert_uint_eq(ntohs(iph->tot_len), 56);
	ck_assert_mem_eq(&iph->saddr, in + 14 + 16, 4);
	ck_assert_mem_eq(&iph->daddr, in + 14 + 12, 4);
	ih = out + 34;
	ck_assert_uint_eq(ih[0], 3);
	ck_assert_uint_eq(ih[1], 4);
	ck_assert_uint_eq((ih[6] << 8) | ih[7], LBFIX_MTU - 28);
	ck_assert(pkt_l4_csum_ok(iph, 56));
	qiph = (const void *)(ih + 8);
	ck_assert_mem_eq(qiph, in + 14, 28);
	ck_assert_uint_eq(counter(SHOAL_CNT_PTB_SENT), 1);

	/* DF clear: cannot be fragmented here, dropped and counted, never sent */
	s.no_df = true;
	in_len = pkt_build(&s, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_DROP);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_TOO_BIG)), 1);

	/* one byte less fits exactly */
	s.no_df = false;
	s.payload = LBFIX_MTU - 40 - 28;
	in_len = pkt_build(&s, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
	ck_assert_uint_eq(out_len, 14 + LBFIX_MTU);
}
END_TEST

/*
 * RFC 4443 2.4(f): a flood of oversized DF packets from spoofed sources gets
 * at most the burst of too-big replies at once, then the rate: the rest are
 * dropped and counted, never sent.
 */
START_TEST(test_too_big_rate_limited)
{
	struct lbfix_backend be = { "198.51.100.1", SHOAL_ENCAP_GUE, 1 };
	struct pkt_spec s = oversized4;
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len;
	struct lbfix_vip v;
	__u32 i, sent = 0;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, &be, 1, 0, &v), 0);
	/* one a second, five at once: a burst of 1,000 gets about five through */
	ck_assert_int_eq(lbfix_set_host(&fx, 1, 5), 0);
	for (i = 0; i < 1000; i++) {
		s.sport = (__u16)(1000 + i); /* each a different spoofed flow */
		in_len = pkt_build(&s, in, sizeof(in));
		out_len = sizeof(out);
		sent += lbfix_run(prog, in, in_len, out, &out_len) == XDP_TX;
	}
	/* lbfix_run may move between CPUs: each has its own bucket of five */
	ck_assert_uint_ge(sent, 5);
	ck_assert_uint_le(sent, 5 * (__u32)libbpf_num_possible_cpus() + 1);
	ck_assert_uint_eq(counter(SHOAL_CNT_PTB_SENT), sent);
	ck_assert_uint_eq(counter(SHOAL_CNT_PTB_SUPPRESSED), 1000 - sent);
	/* refused before the flow table: none of them took a way */
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_INSERT), 0);
	/* no limit: every one is answered */
	ck_assert_int_eq(lbfix_set_host(&fx, 0, 0), 0);
	in_len = pkt_build(&s, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
}
END_TEST

START_TEST(test_packet_too_big_v6)
{
	struct lbfix_backend be = { "2001:db8:b::1", SHOAL_ENCAP_IPIP, 1 };
	struct pkt_spec s = { .src = CLIENT6,
			      .dst = VIP6,
			      .sport = 40000,
			      .dport = 80,
			      .proto = IPPROTO_UDP,
			      .payload = 1420 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out);
	const struct ipv6hdr *ip6h;
	const __u8 *ih;
	struct lbfix_vip v;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP6, 80, IPPROTO_UDP, SHOAL_SCHED_MAGLEV, 0, &be, 1, 0, &v), 0);
	in_len = pkt_build(&s, in, sizeof(in));
	ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
	ck_assert_uint_eq(out_len, 14 + 40 + 8 + 40 + 8);
	ip6h = (const void *)(out + 14);
	ck_assert_uint_eq(ip6h->nexthdr, IPPROTO_ICMPV6);
	ck_assert_uint_eq(ntohs(ip6h->payload_len), 56);
	ck_assert_mem_eq(&ip6h->saddr, in + 14 + 24, 16);
	ck_assert_mem_eq(&ip6h->daddr, in + 14 + 8, 16);
	ih = out + 54;
	ck_assert_uint_eq(ih[0], 2);
	ck_assert_uint_eq(ih[1], 0);
	ck_assert_uint_eq((__u32)((ih[4] << 24) | (ih[5] << 16) | (ih[6] << 8) | ih[7]),
			  LBFIX_MTU - 40);
	ck_assert(pkt_l4_csum_ok(ip6h, 96));
	ck_assert_mem_eq(ih + 8, in + 14, 48);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lb.icmp");
	TCase *tc;

	tc = tcase_create("icmp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_icmp_error_to_flow_backend, 0,
			    sizeof(icmp_cases) / sizeof(icmp_cases[0]));
	tcase_add_test(tc, test_icmp_error_unknown_flow_not_sent);
	tcase_add_test(tc, test_frag_needed_v4);
	tcase_add_test(tc, test_packet_too_big_v6);
	tcase_add_test(tc, test_too_big_rate_limited);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
