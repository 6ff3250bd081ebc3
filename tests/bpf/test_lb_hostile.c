// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o: damaged and unusual packets: fragments, truncation at
 * every offset, random frames, non-VIP traffic untouched, VIP addresses
 * never passed, echo answered, IPv6 extension headers, all-port VIPs.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
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
	int i, r, sent = 0, dropped = 0, passed = 0;
	__u64 drops = 0;

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
			if (out_len == len && out[14 + 9] == IPPROTO_ICMP)
				break; /* an echo request answered */
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
	for (r = 1; r <= SHOAL_DROP_MAX_REASON; r++)
		drops += counter(SHOAL_CNT_DROP(-r));
	ck_assert_uint_eq(drops, (__u64)dropped);
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

/*
 * The host does not own a VIP address: whatever to it the balancer does not
 * take is dropped and counted by reason, never passed (with forwarding on, the
 * host would send it back to the router, and the router here again).
 */
START_TEST(test_vip_address_never_passed)
{
	struct lbfix_vip a, b, c, d;
	struct pkt_spec specs[] = {
		{ .src = CLIENT4, .dst = VIP4, .sport = 1, .dport = 22, .proto = IPPROTO_TCP },
		{ .src = CLIENT4, .dst = VIP4, .sport = 1, .dport = 80, .proto = IPPROTO_UDP },
		{ .src = CLIENT6, .dst = VIP6, .sport = 1, .dport = 22, .proto = IPPROTO_TCP },
	};
	struct pkt_spec q6 = {
		.src = VIP6, .dst = CLIENT6, .sport = 80, .dport = 1, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t i, len, out_len;

	vip_everywhere(&a, &b, &c, &d);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		out_len = sizeof(out);
		len = pkt_build(&specs[i], in, sizeof(in));
		ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_DROP);
	}
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_NO_SERVICE)), 3);
	/* GRE to the VIP address */
	len = pkt_build(&specs[0], in, sizeof(in));
	in[14 + 9] = 47;
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_DROP);
	/* neighbour solicitation to it: no host answers for the address */
	len = pkt_build_icmp_error(CLIENT6, &q6, 135, 0, 0, 0, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_DROP);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_PROTO)), 2);
	ck_assert_uint_eq(counter(SHOAL_CNT_PASS), 0);
}
END_TEST

/*
 * Operators ping VIPs: echo requests to a VIP address are answered from the
 * data plane, within the ICMP reply budget; to other addresses they are the
 * kernel's.
 */
START_TEST(test_echo_to_vip_answered_within_budget)
{
	struct lbfix_vip a, b, c, d;
	struct pkt_spec q4 = {
		.src = VIP4, .dst = CLIENT4, .sport = 80, .dport = 1, .proto = IPPROTO_TCP
	};
	struct pkt_spec q6 = {
		.src = VIP6, .dst = CLIENT6, .sport = 80, .dport = 1, .proto = IPPROTO_TCP
	};
	struct pkt_spec other = q4;
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len, out_len = sizeof(out);
	struct shoal_addr sa, da, want_s, want_d;
	__u32 i, answered = 0;

	vip_everywhere(&a, &b, &c, &d);
	len = pkt_build_icmp_error(CLIENT4, &q4, 8 /* echo request */, 0, 0x1234, 0, in,
				   sizeof(in));
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	ck_assert_uint_eq(out_len, len);
	ck_assert_mem_eq(out, in + 6, 6); /* to the sender's MAC */
	ck_assert_mem_eq(out + 6, in, 6);
	ck_assert_mem_eq(out + 14 + 12, in + 14 + 16, 4); /* from the VIP */
	ck_assert_mem_eq(out + 14 + 16, in + 14 + 12, 4);
	ck_assert_uint_eq(out[14 + 20], 0); /* echo reply */
	ck_assert(pkt_ipv4_hdr_ok(out + 14, len - 14));
	ck_assert(pkt_l4_csum_ok(out + 14, len - 14));
	ck_assert_mem_eq(out + 14 + 24, in + 14 + 24, len - 14 - 24); /* id, seq, data */

	len = pkt_build_icmp_error(CLIENT6, &q6, 128 /* echo request */, 0, 0x1234, 0, in,
				   sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	memcpy(&sa, out + 14 + 8, 16);
	memcpy(&da, out + 14 + 24, 16);
	memcpy(&want_s, in + 14 + 24, 16);
	memcpy(&want_d, in + 14 + 8, 16);
	ck_assert_mem_eq(&sa, &want_s, 16);
	ck_assert_mem_eq(&da, &want_d, 16);
	ck_assert_uint_eq(out[14 + 40], 129);
	ck_assert(pkt_l4_csum_ok(out + 14, len - 14));
	ck_assert_uint_eq(counter(SHOAL_CNT_ECHO_REPLIED), 2);

	/* to another address: the kernel's */
	other.src = "192.0.2.99";
	len = pkt_build_icmp_error(CLIENT4, &other, 8, 0, 0, 0, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, in, len);

	/* a flood of pings: the budget's worth answered, the rest dropped and counted */
	ck_assert_int_eq(lbfix_set_host(&fx, 1, 3), 0);
	len = pkt_build_icmp_error(CLIENT4, &q4, 8, 0, 0, 0, in, sizeof(in));
	for (i = 0; i < 200; i++) {
		out_len = sizeof(out);
		answered += lbfix_run(prog, in, len, out, &out_len) == XDP_TX;
	}
	ck_assert_uint_ge(answered, 3);
	ck_assert_uint_le(answered, 3 * (__u32)libbpf_num_possible_cpus() + 1);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_ECHO_LIMIT)), 200 - answered);
}
END_TEST

/*
 * An IPv6 extension header of 8 bytes after the fixed header: PadN options
 * for hop-by-hop and destination options, frag_off_m for a fragment header.
 */
static size_t insert_v6_exthdr(__u8 *pkt, size_t len, __u8 type, __u16 frag_off_m)
{
	__u8 *ip6 = pkt + 14, *x = ip6 + 40;
	__u16 plen = (__u16)((ip6[4] << 8) | ip6[5]);

	memmove(x + 8, x, len - 14 - 40);
	memset(x, 0, 8);
	x[0] = ip6[6];
	if (type == IPPROTO_FRAGMENT) {
		x[2] = (__u8)(frag_off_m >> 8);
		x[3] = (__u8)frag_off_m;
		x[7] = 1;
	} else {
		x[2] = 1; /* PadN of 4 */
		x[3] = 4;
	}
	ip6[6] = type;
	plen += 8;
	ip6[4] = (__u8)(plen >> 8);
	ip6[5] = (__u8)plen;
	return len + 8;
}

START_TEST(test_v6_extension_headers_walked)
{
	struct lbfix_vip a, b, c, d;
	struct pkt_spec s = {
		.src = CLIENT6, .dst = VIP6, .sport = 1, .dport = 80, .proto = IPPROTO_TCP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len, out_len = sizeof(out);
	int i;

	vip_everywhere(&a, &b, &c, &d);
	/* hop-by-hop and destination options: forwarded, whole */
	len = pkt_build(&s, in, sizeof(in));
	len = insert_v6_exthdr(in, len, IPPROTO_DSTOPTS, 0);
	len = insert_v6_exthdr(in, len, IPPROTO_HOPOPTS, 0);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	ck_assert_int_eq(lbfix_backend_of(&c, out, out_len), 0);
	ck_assert_uint_eq(counter(SHOAL_CNT_V6_EXTHDR), 1);
	/* an atomic fragment is the whole packet */
	len = insert_v6_exthdr(in, pkt_build(&s, in, sizeof(in)), IPPROTO_FRAGMENT, 0);
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	/* a real fragment follows the IPv4 rule: maglev VIPs cannot take it */
	len = insert_v6_exthdr(in, pkt_build(&s, in, sizeof(in)), IPPROTO_FRAGMENT, 1);
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_DROP);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_FRAGMENT)), 1);
	/* ESP, or more headers than are walked: dropped, never passed */
	len = pkt_build(&s, in, sizeof(in));
	in[14 + 6] = 50;
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_DROP);
	len = pkt_build(&s, in, sizeof(in));
	for (i = 0; i < 5; i++)
		len = insert_v6_exthdr(in, len, IPPROTO_DSTOPTS, 0);
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_DROP);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_EXTHDR)), 2);
	ck_assert_uint_eq(counter(SHOAL_CNT_PASS), 0);
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
	tcase_add_test(tc, test_vip_address_never_passed);
	tcase_add_test(tc, test_echo_to_vip_answered_within_budget);
	tcase_add_test(tc, test_v6_extension_headers_walked);
	tcase_add_test(tc, test_all_port_vip);
	tcase_add_test(tc, test_vip_without_backends_and_delete);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
