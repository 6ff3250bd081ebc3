// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o: the schedulers' spread over 100,000 flows, client
 * affinity, and two hosts that agree.
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

START_TEST(test_two_hosts_agree)
{
	static const char *addrs[6] = { "198.51.100.1", "198.51.100.2", "198.51.100.3",
					"198.51.100.4", "198.51.100.5", "198.51.100.6" };
	struct lbfix_backend fwd[6], rev[6];
	struct lbfix other;
	struct lbfix_vip va, vb;
	int i, round, prog_b;

	for (i = 0; i < 6; i++) {
		fwd[i] = (struct lbfix_backend){ addrs[i], SHOAL_ENCAP_GUE, 1 + (__u32)i % 3 };
		rev[5 - i] = fwd[i];
	}
	ck_assert_int_eq(lbfix_open(&other, 65536), 0);
	other.next_be_id = 1000; /* other ids on the other host */
	prog_b = shoal_dp_prog_fd(other.dp);
	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, fwd, 6, 0, &va), 0);
	ck_assert_int_eq(lbfix_vip_add(&other, VIP4, 80, IPPROTO_TCP, 0, 0, rev, 6, 0, &vb), 0);
	ck_assert_uint_ne(va.be[0].id, vb.be[5].id);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 5000; i++) {
			char src[32];
			struct pkt_spec s = { .src = src,
					      .dst = VIP4,
					      .sport = (__u16)(1024 + i),
					      .dport = 80,
					      .proto = IPPROTO_TCP,
					      .tcp_flags = PKT_TCP_ACK };
			__u8 in[PKT_MAX], oa[PKT_MAX], ob[PKT_MAX];
			size_t len, la = sizeof(oa), lb = sizeof(ob);

			snprintf(src, sizeof(src), "203.0.113.%d", 1 + i % 250);
			len = pkt_build(&s, in, sizeof(in));
			/* both hosts see the flow mid-connection, as after an ECMP move */
			ck_assert_int_eq(lbfix_run(prog, in, len, oa, &la), XDP_TX);
			ck_assert_int_eq(lbfix_run(prog_b, in, len, ob, &lb), XDP_TX);
			ck_assert_msg(la == lb && !memcmp(oa + 14 + 16, ob + 14 + 16, 4),
				      "round %d flow %d: the hosts disagree", round, i);
		}
		/* both lose 198.51.100.3 */
		va.be[2].weight = 0;
		vb.be[3].weight = 0;
		ck_assert_int_eq(lbfix_vip_retable(&fx, &va), 0);
		ck_assert_int_eq(lbfix_vip_retable(&other, &vb), 0);
		ck_assert_int_eq(shoal_dp_backend_del(fx.dp, va.be[2].id), 0);
		ck_assert_int_eq(shoal_dp_backend_del(other.dp, vb.be[3].id), 0);
	}
	lbfix_close(&other);
}
END_TEST

/* ---- schedulers' spread over 100,000 flows ---- */

#define SPREAD_FLOWS 100000

struct sched_case {
	const char *name;
	__u8 sched;
	__u32 weights[4];
	double tolerance; /* absolute, in share of flows */
};

static const struct sched_case sched_cases[] = {
	{ "maglev", SHOAL_SCHED_MAGLEV, { 1, 1, 1, 1 }, 0.01 },
	{ "maglev weighted", SHOAL_SCHED_MAGLEV, { 1, 2, 3, 4 }, 0.01 },
	{ "maglev-src", SHOAL_SCHED_MAGLEV_SRC, { 1, 1, 1, 1 }, 0.01 },
	{ "rr", SHOAL_SCHED_RR, { 1, 1, 1, 1 }, 0.002 },
	{ "rr weighted", SHOAL_SCHED_RR, { 1, 2, 3, 4 }, 0.002 },
	{ "random", SHOAL_SCHED_RANDOM, { 1, 1, 1, 1 }, 0.01 },
};

START_TEST(test_sched_spread)
{
	const struct sched_case *c = &sched_cases[_i];
	struct lbfix_backend bes[4] = { { "198.51.100.1", 0, c->weights[0] },
					{ "198.51.100.2", 0, c->weights[1] },
					{ "198.51.100.3", 0, c->weights[2] },
					{ "198.51.100.4", 0, c->weights[3] } };
	__u8 in[PKT_MAX], out[PKT_MAX];
	int count[4] = { 0 }, i, b;
	double wsum = 0;
	struct lbfix_vip v;
	struct pkt_spec s = { .dst = VIP4, .dport = 80, .proto = IPPROTO_UDP };
	char src[32];
	size_t in_len;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_UDP, c->sched, 0, bes, 4, 0, &v), 0);
	s.src = src;
	for (i = 0; i < SPREAD_FLOWS; i++) {
		size_t out_len = sizeof(out);

		/* maglev-src needs distinct sources; the others distinct 5-tuples */
		snprintf(src, sizeof(src), "198.%d.%d.%d", 18 + (i >> 16) % 2, (i >> 8) & 0xff,
			 i & 0xff);
		s.sport = (__u16)(1024 + (i * 7919) % 60000);
		in_len = pkt_build(&s, in, sizeof(in));
		ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
		b = lbfix_backend_of(&v, out, out_len);
		ck_assert_int_ge(b, 0);
		count[b]++;
	}
	for (i = 0; i < 4; i++)
		wsum += c->weights[i];
	for (i = 0; i < 4; i++) {
		double share = (double)count[i] / SPREAD_FLOWS, want = c->weights[i] / wsum;

		ck_assert_msg(share > want - c->tolerance && share < want + c->tolerance,
			      "%s: backend %d got %.4f, want %.4f", c->name, i, share, want);
	}
}
END_TEST

/* maglev-src: every flow of one client lands on one backend. */
START_TEST(test_maglev_src_affinity)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 },
				       { "198.51.100.2", 0, 1 },
				       { "198.51.100.3", 0, 1 } };
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct lbfix_vip v;
	int i, first = -1;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 443, IPPROTO_TCP, SHOAL_SCHED_MAGLEV_SRC, 0, bes,
				       3, 0, &v),
			 0);
	for (i = 0; i < 200; i++) {
		struct pkt_spec s = { .src = CLIENT4,
				      .dst = VIP4,
				      .sport = (__u16)(2000 + i),
				      .dport = 443,
				      .proto = IPPROTO_TCP };
		size_t in_len = pkt_build(&s, in, sizeof(in)), out_len = sizeof(out);
		int b;

		ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
		b = lbfix_backend_of(&v, out, out_len);
		if (first < 0)
			first = b;
		ck_assert_int_eq(b, first);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lb.sched");
	TCase *tc;

	tc = tcase_create("schedulers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_sched_spread, 0, sizeof(sched_cases) / sizeof(sched_cases[0]));
	tcase_add_test(tc, test_maglev_src_affinity);
	tcase_add_test(tc, test_two_hosts_agree);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
