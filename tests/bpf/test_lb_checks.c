// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o's tc program for health checks through the tunnel: a marked
 * packet to a backend's VIP leaves with the same outer headers a client's
 * packet gets from the XDP program; anything else passes or is dropped.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include "model/addr.h"
#include "lbtest.h"
#include "ckmain.h"

/* Runs frame through the tc program with skb->mark = mark; returns the verdict. */
static int run_marked(const __u8 *in, size_t in_len, __u32 mark, __u8 *out, size_t *out_len)
{
	struct __sk_buff ctx = { .mark = mark };
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = in, .data_size_in = (__u32)in_len,
		    .data_out = out, .data_size_out = (__u32)*out_len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	ck_assert_int_eq(bpf_prog_test_run_opts(shoal_dp_check_prog_fd(fx.dp), &topts), 0);
	*out_len = topts.data_size_out;
	return (int)topts.retval;
}

struct check_case {
	const char *name, *vip, *src, *backend;
	__u8 proto, encap;
};

static const struct check_case check_cases[] = {
	{ "v4 tcp gue", VIP4, "203.0.113.1", "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_GUE },
	{ "v4 udp ipip", VIP4, "203.0.113.1", "198.51.100.1", IPPROTO_UDP, SHOAL_ENCAP_IPIP },
	{ "v6 tcp gue", VIP6, "2001:db8:ff::1", "2001:db8:b::1", IPPROTO_TCP, SHOAL_ENCAP_GUE },
	{ "v6 tcp ip6ip6", VIP6, "2001:db8:ff::1", "2001:db8:b::1", IPPROTO_TCP, SHOAL_ENCAP_IPIP },
	{ "v4 tcp 4in6", VIP4, "203.0.113.1", "2001:db8:b::1", IPPROTO_TCP, SHOAL_ENCAP_IPIP },
};

/* A marked check packet leaves encapsulated exactly as the XDP path would send a client's. */
START_TEST(test_marked_packet_tunneled_like_clients)
{
	const struct check_case *c = &check_cases[_i];
	struct lbfix_backend b = { c->backend, c->encap, 1 };
	struct lbfix_vip v;
	struct pkt_spec s = { .src = c->src,
			      .dst = c->vip,
			      .sport = 40000,
			      .dport = 80,
			      .proto = c->proto,
			      .tcp_flags = PKT_TCP_SYN };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out), l3, outer;
	struct shoal_addr be;
	int fam;
	__u16 et;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, c->vip, 80, c->proto, SHOAL_SCHED_MAGLEV, 0, &b, 1, 0, &v), 0);
	in_len = pkt_build(&s, in, sizeof(in));
	ck_assert_uint_gt(in_len, 0);
	ck_assert_int_eq(run_marked(in, in_len, SHOAL_CHECK_MARK | v.be[0].id, out, &out_len),
			 TC_ACT_OK);
	ck_assert_int_eq(shoal_addr_parse(c->backend, &be, &fam), 0);
	outer = (fam == AF_INET ? 20 : 40) + (c->encap == SHOAL_ENCAP_GUE ? 8 : 0);
	ck_assert_msg(out_len == in_len + outer, "%s: %zu bytes, want %zu", c->name, out_len,
		      in_len + outer);
	/* the L2 header the kernel built stays; only the ethertype follows the outer family */
	ck_assert_mem_eq(out, in, 12);
	l3 = pkt_l3_offset(out, out_len, &et);
	ck_assert_uint_eq(l3, 14);
	ck_assert_uint_eq(et, fam == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	ck_assert_int_eq(lbfix_backend_of(&v, out, out_len), 0);
	if (fam == AF_INET) {
		ck_assert(pkt_ipv4_hdr_ok(out + l3, out_len - l3));
		ck_assert_uint_eq(out[l3 + 9], c->encap == SHOAL_ENCAP_GUE ? IPPROTO_UDP
					       : strchr(c->vip, ':')	   ? IPPROTO_IPV6
									   : IPPROTO_IPIP);
	} else {
		ck_assert_uint_eq(out[l3 + 6], c->encap == SHOAL_ENCAP_GUE ? IPPROTO_UDP
					       : strchr(c->vip, ':')	   ? IPPROTO_IPV6
									   : IPPROTO_IPIP);
	}
	if (c->encap == SHOAL_ENCAP_GUE) {
		size_t uh = l3 + (fam == AF_INET ? 20 : 40);

		ck_assert_uint_eq((out[uh + 2] << 8) | out[uh + 3], LBFIX_GUE_PORT);
		ck_assert_uint_eq((out[uh + 4] << 8) | out[uh + 5], in_len - 14 + 8);
	}
	/* the inner packet, byte for byte */
	ck_assert_mem_eq(out + 14 + outer, in + 14, in_len - 14);
	ck_assert_uint_eq(counter(SHOAL_CNT_CHECK_TUNNELED), 1);
}
END_TEST

/* Unmarked traffic (everything the host sends but checks) is not touched. */
START_TEST(test_unmarked_passes_untouched)
{
	struct lbfix_backend b = { "198.51.100.1", SHOAL_ENCAP_GUE, 1 };
	struct lbfix_vip v;
	struct pkt_spec s = {
		.src = "203.0.113.1", .dst = VIP4, .sport = 40000, .dport = 80, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out);

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, &b, 1, 0, &v), 0);
	in_len = pkt_build(&s, in, sizeof(in));
	ck_assert_int_eq(run_marked(in, in_len, 0, out, &out_len), TC_ACT_OK);
	ck_assert_uint_eq(out_len, in_len);
	ck_assert_mem_eq(out, in, in_len);
	/* another application's mark in other bits is not ours either */
	out_len = sizeof(out);
	ck_assert_int_eq(run_marked(in, in_len, 0x1c000000 | v.be[0].id, out, &out_len), TC_ACT_OK);
	ck_assert_mem_eq(out, in, in_len);
	ck_assert_uint_eq(counter(SHOAL_CNT_CHECK_TUNNELED), 0);
}
END_TEST

/*
 * Our mark, but a stale backend id, or a destination that is not the
 * backend's VIP: dropped and counted, never tunnelled somewhere.
 */
START_TEST(test_wrong_mark_dropped)
{
	struct lbfix_backend b = { "198.51.100.1", SHOAL_ENCAP_GUE, 1 };
	struct lbfix_vip v;
	struct pkt_spec s = { .src = "203.0.113.1",
			      .dst = "192.0.2.99",
			      .sport = 40000,
			      .dport = 80,
			      .proto = IPPROTO_TCP };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out);

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, &b, 1, 0, &v), 0);
	in_len = pkt_build(&s, in, sizeof(in));
	ck_assert_int_eq(run_marked(in, in_len, SHOAL_CHECK_MARK | v.be[0].id, out, &out_len),
			 TC_ACT_SHOT);
	s.dst = VIP4;
	in_len = pkt_build(&s, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(run_marked(in, in_len, SHOAL_CHECK_MARK | 4000, out, &out_len),
			 TC_ACT_SHOT);
	ck_assert_uint_eq(counter(SHOAL_CNT_CHECK_REFUSED), 2);
	ck_assert_uint_eq(counter(SHOAL_CNT_CHECK_TUNNELED), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lb_checks");
	TCase *tc = tcase_create("check_encap");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_marked_packet_tunneled_like_clients, 0,
			    sizeof(check_cases) / sizeof(check_cases[0]));
	tcase_add_test(tc, test_unmarked_passes_untouched);
	tcase_add_test(tc, test_wrong_mark_dropped);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
