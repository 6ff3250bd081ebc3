// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o: damaged and unusual packets: fragments, truncation at
 * every offset, random frames, non-VIP traffic untouched, all-port VIPs.
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

/* ---- damaged and unusual packets ---- */

START_TEST(test_fragments)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct pkt_spec s = { .src = CLIENT4,
			      .dst = VIP4,
			      .sport = 1,
			      .dport = 80,
			      .proto = IPPROTO_UDP,
			      .payload = 64 };
	static const __u16 frags[] = { 0x2000, 0x0010, 0x2010 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct lbfix_vip v, vsrc;
	size_t i;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_UDP, SHOAL_SCHED_MAGLEV, 0, &be, 1, 0, &v), 0);
	for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		size_t in_len, out_len = sizeof(out);

		s.frag = frags[i];
		in_len = pkt_build(&s, in, sizeof(in));
		ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_DROP);
	}
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_FRAGMENT)), 3);

	/* an all-port maglev-src VIP takes fragments: its choice needs no ports */
	s.dst = "192.0.2.20";
	ck_assert_int_eq(lbfix_vip_add(&fx, "192.0.2.20", 0, IPPROTO_UDP, SHOAL_SCHED_MAGLEV_SRC, 0,
				       &be, 1, 0, &vsrc),
			 0);
	for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		size_t in_len, out_len = sizeof(out);

		s.frag = frags[i];
		in_len = pkt_build(&s, in, sizeof(in));
		ck_assert_int_eq(lbfix_run(prog, in, in_len, out, &out_len), XDP_TX);
		ck_assert_int_eq(lbfix_backend_of(&vsrc, out, out_len), 0);
	}
	ck_assert_uint_eq(counter(SHOAL_CNT_FRAG_FORWARDED), 3);
}
END_TEST

START_TEST(test_truncated_never_sent)
{
	struct lbfix_vip a, b, c, d;
	struct pkt_spec specs[] = {
		{ .src = CLIENT4, .dst = VIP4, .sport = 1, .dport = 80, .proto = IPPROTO_TCP },
		{ .src = CLIENT4, .dst = VIP4, .sport = 1, .dport = 53, .proto = IPPROTO_UDP },
		{ .src = CLIENT6, .dst = VIP6, .sport = 1, .dport = 80, .proto = IPPROTO_TCP },
		{ .src = CLIENT6, .dst = VIP6, .sport = 1, .dport = 53, .proto = IPPROTO_UDP },
		{ .src = CLIENT4,
		  .dst = VIP4,
		  .sport = 1,
		  .dport = 80,
		  .proto = IPPROTO_TCP,
		  .vlan = 5,
		  .ihl = 8 },
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t i, len, cut;

	vip_everywhere(&a, &b, &c, &d);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		size_t out_len = sizeof(out);

		len = pkt_build(&specs[i], in, sizeof(in));
		ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
		for (cut = 14; cut < len; cut++) {
			int verdict;

			out_len = sizeof(out);
			verdict = lbfix_run(prog, in, cut, out, &out_len);
			ck_assert_msg(verdict == XDP_DROP || verdict == XDP_PASS,
				      "spec %zu cut at %zu: verdict %d", i, cut, verdict);
		}
	}
	ck_assert_uint_gt(counter(SHOAL_CNT_DROP(SHOAL_DROP_MALFORMED)), 0);
}
END_TEST

/* A damaged header whose L4 part is cut inside the IP length: dropped as truncated. */
START_TEST(test_truncated_l4_counted)
{
	struct lbfix_vip a, b, c, d;
	struct pkt_spec s = {
		.src = CLIENT4, .dst = VIP4, .sport = 1, .dport = 80, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len, out_len = sizeof(out);

	vip_everywhere(&a, &b, &c, &d);
	len = pkt_build(&s, in, sizeof(in));
	/* claim 30 bytes of IP: a TCP header of 10 */
	in[14 + 2] = 0;
	in[14 + 3] = 30;
	in[14 + 10] = in[14 + 11] = 0;
	{
		__u16 c2 = pkt_csum_fold(pkt_csum_add(in + 14, 20, 0));

		in[14 + 10] = (__u8)(c2 >> 8);
		in[14 + 11] = (__u8)c2;
	}
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_DROP);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_TRUNCATED)), 1);
}
END_TEST

START_TEST(test_random_bytes_sent_whole_or_dropped)
{
	struct lbfix_vip a, b, c, d;
	__u8 in[256], out[PKT_MAX];
	unsigned int seed = 12345;
	int i, sent = 0, dropped = 0, passed = 0;

	vip_everywhere(&a, &b, &c, &d);
	for (i = 0; i < 20000; i++) {
		size_t len = 14 + (size_t)(rand_r(&seed) % 200), j, out_len = sizeof(out);

		for (j = 0; j < len; j++)
			in[j] = (__u8)rand_r(&seed);
		/* steer most of them at the VIPs, so the deep parsers are exercised */
		switch (i % 4) {
		case 0:
			in[12] = 0x08, in[13] = 0x00, in[14] = (__u8)(0x40 | (in[14] & 0xf));
			memcpy(in + 30, &a.key.addr.u32[3], 4);
			break;
		case 1:
			in[12] = 0x86, in[13] = 0xdd, in[14] = (__u8)(0x60 | (in[14] & 0xf));
			if (len >= 54)
				memcpy(in + 38, &c.key.addr, 16);
			break;
		case 2:
			/* a sound IPv4 header (length, no fragment) over random TCP bytes */
			in[12] = 0x08, in[13] = 0x00, in[14] = 0x45, in[23] = IPPROTO_TCP;
			in[16] = (__u8)((len - 14) >> 8), in[17] = (__u8)(len - 14);
			in[20] = 0x40, in[21] = 0;
			memcpy(in + 30, &a.key.addr.u32[3], 4);
			if (len >= 38)
				in[36] = 0, in[37] = 80; /* to the VIP's port */
			break;
		}
		switch (lbfix_run(prog, in, len, out, &out_len)) {
		case XDP_TX:
			/* sent only whole: the input's IP packet, unchanged, inside */
			ck_assert_uint_ge(out_len, len);
			ck_assert_mem_eq(out + out_len - (len - 14), in + 14, len - 14);
			sent++;
			break;
		case XDP_DROP:
			dropped++;
			break;
		case XDP_PASS:
			passed++;
			break;
		}
	}
	/*
	 * The frames steered at the VIPs reached every outcome (a program that
	 * passed or dropped everything fails here): damaged ones dropped and
	 * counted by reason, sound ones to the all-port VIP sent whole.
	 */
	ck_assert_int_gt(sent, 100);
	ck_assert_int_gt(passed, 100);
	ck_assert_int_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_MALFORMED)) +
				 counter(SHOAL_CNT_DROP(SHOAL_DROP_TRUNCATED)) +
				 counter(SHOAL_CNT_DROP(SHOAL_DROP_FRAGMENT)),
			 (__u64)dropped);
	ck_assert_uint_gt(counter(SHOAL_CNT_DROP(SHOAL_DROP_MALFORMED)), 1000);
	ck_assert_uint_gt(counter(SHOAL_CNT_DROP(SHOAL_DROP_TRUNCATED)), 10);
}
END_TEST

START_TEST(test_not_vip_passes_unchanged)
{
	struct lbfix_vip a, b, c, d;
	struct pkt_spec specs[] = {
		/* another address */
		{ .src = CLIENT4,
		  .dst = "192.0.2.99",
		  .sport = 1,
		  .dport = 80,
		  .proto = IPPROTO_TCP },
		{ .src = CLIENT6,
		  .dst = "2001:db8:1::99",
		  .sport = 1,
		  .dport = 80,
		  .proto = IPPROTO_UDP },
		/* the VIP's address, another port or protocol */
		{ .src = CLIENT4, .dst = VIP4, .sport = 1, .dport = 22, .proto = IPPROTO_TCP },
		{ .src = CLIENT4, .dst = VIP4, .sport = 1, .dport = 80, .proto = IPPROTO_UDP },
		{ .src = CLIENT6, .dst = VIP6, .sport = 1, .dport = 22, .proto = IPPROTO_TCP },
		{ .src = CLIENT4,
		  .dst = "192.0.2.99",
		  .sport = 1,
		  .dport = 80,
		  .proto = IPPROTO_TCP,
		  .vlan = 9 },
	};
	static const __u8 arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0,
				      1,    0x08, 0x06, 0,    1,    8,	  0, 6, 4, 0, 1 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t i, len, out_len;

	vip_everywhere(&a, &b, &c, &d);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		out_len = sizeof(out);
		len = pkt_build(&specs[i], in, sizeof(in));
		ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
		ck_assert_uint_eq(out_len, len);
		ck_assert_mem_eq(out, in, len);
	}
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, arp, sizeof(arp), out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, arp, sizeof(arp));
	ck_assert_uint_eq(counter(SHOAL_CNT_TX), 0);
}
END_TEST

/* ICMP echo and neighbour discovery to a VIP address are the kernel's. */
START_TEST(test_vip_address_icmp_info_passes)
{
	struct lbfix_vip a, b, c, d;
	struct pkt_spec q4 = {
		.src = VIP4, .dst = CLIENT4, .sport = 80, .dport = 1, .proto = IPPROTO_TCP
	};
	struct pkt_spec q6 = {
		.src = VIP6, .dst = CLIENT6, .sport = 80, .dport = 1, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len, out_len = sizeof(out);

	vip_everywhere(&a, &b, &c, &d);
	len = pkt_build_icmp_error(CLIENT4, &q4, 8 /* echo request */, 0, 0, 0, in, sizeof(in));
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, in, len);
	out_len = sizeof(out);
	len = pkt_build_icmp_error(CLIENT6, &q6, 135 /* neighbour solicitation */, 0, 0, 0, in,
				   sizeof(in));
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, in, len);
}
END_TEST

START_TEST(test_v6_extension_header_passed_and_counted)
{
	struct lbfix_vip a, b, c, d;
	struct pkt_spec s = {
		.src = CLIENT6, .dst = VIP6, .sport = 1, .dport = 80, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len, out_len = sizeof(out);

	vip_everywhere(&a, &b, &c, &d);
	len = pkt_build(&s, in, sizeof(in));
	in[14 + 6] = 44; /* a fragment header follows */
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, in, len);
	ck_assert_uint_eq(counter(SHOAL_CNT_V6_EXTHDR), 1);
}
END_TEST

START_TEST(test_all_port_vip)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct pkt_spec s = {
		.src = CLIENT4, .dst = "192.0.2.30", .sport = 1, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct lbfix_vip v;
	int port;

	ck_assert_int_eq(lbfix_vip_add(&fx, "192.0.2.30", 0, IPPROTO_TCP, 0, 0, &be, 1, 251, &v),
			 0);
	for (port = 1; port < 65536; port += 4099) {
		size_t len, out_len = sizeof(out);

		s.dport = (__u16)port;
		len = pkt_build(&s, in, sizeof(in));
		ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	}
}
END_TEST

/* Counters: per VIP and per backend packets, bytes and new flows. */
START_TEST(test_vip_without_backends_and_delete)
{
	struct lbfix_vip v;
	struct pkt_spec s = {
		.src = CLIENT4, .dst = VIP4, .sport = 1, .dport = 80, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len, out_len = sizeof(out);

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, NULL, 0, 251, &v), 0);
	len = pkt_build(&s, in, sizeof(in));
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_DROP);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_NO_BACKEND)), 1);
	ck_assert_int_eq(shoal_dp_vip_del(fx.dp, &v.key), 0);
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, in, len);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lb.hostile");
	TCase *tc;

	tc = tcase_create("robustness");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fragments);
	tcase_add_test(tc, test_truncated_never_sent);
	tcase_add_test(tc, test_truncated_l4_counted);
	tcase_add_test(tc, test_random_bytes_sent_whole_or_dropped);
	tcase_add_test(tc, test_not_vip_passes_unchanged);
	tcase_add_test(tc, test_vip_address_icmp_info_passes);
	tcase_add_test(tc, test_v6_extension_header_passed_and_counted);
	tcase_add_test(tc, test_all_port_vip);
	tcase_add_test(tc, test_vip_without_backends_and_delete);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
