// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/decap.bpf.o (XDP and tc): what lb.bpf.o encapsulates, decap restores
 * to the exact inner packet; everything else passes untouched.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "model/addr.h"
#include "decap.skel.h"
#include "lbfix.h"
#include "ckmain.h"

#define VIP4 "192.0.2.10"
#define VIP6 "2001:db8:1::10"

static struct lbfix fx;
static struct decap_bpf *dskel;

static void allow(const char *prefix)
{
	struct shoal_decap_from_key k;
	__u32 one = 1;

	ck_assert_int_eq(shoal_prefix_parse(prefix, &k.addr, NULL, &k.prefixlen), 0);
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(dskel->maps.decap_from), &k, &one, 0), 0);
}

static void disallow(const char *prefix)
{
	struct shoal_decap_from_key k;

	ck_assert_int_eq(shoal_prefix_parse(prefix, &k.addr, NULL, &k.prefixlen), 0);
	ck_assert_int_eq(bpf_map_delete_elem(bpf_map__fd(dskel->maps.decap_from), &k), 0);
}

static void setup(void)
{
	struct shoal_addr a;
	__u32 one = 1;

	ck_assert_int_eq(lbfix_open(&fx, 65536), 0);
	dskel = decap_bpf__open_and_load();
	ck_assert_ptr_nonnull(dskel);
	dskel->bss->decap_cfg.gue_port = htons(LBFIX_GUE_PORT);
	ck_assert_int_eq(shoal_addr_parse(VIP4, &a, NULL), 0);
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(dskel->maps.decap_vips), &a, &one, 0), 0);
	ck_assert_int_eq(shoal_addr_parse(VIP6, &a, NULL), 0);
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(dskel->maps.decap_vips), &a, &one, 0), 0);
	/* the balancer fixture's tunnel sources (LBFIX_SRC4, LBFIX_SRC6) */
	allow("203.0.113.0/24");
	allow("2001:db8:ff::/64");
}

static void teardown(void)
{
	decap_bpf__destroy(dskel);
	lbfix_close(&fx);
}

static __u64 decap_counter(__u32 idx)
{
	int n = libbpf_num_possible_cpus(), i;
	__u64 vals[512], sum = 0;

	ck_assert_int_le(n, 512);
	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(dskel->maps.decap_stats), &idx, vals), 0);
	for (i = 0; i < n; i++)
		sum += vals[i];
	return sum;
}

struct rt_case {
	const char *name, *vip, *client, *backend;
	__u8 proto, encap;
	__u16 vlan;
};

static const struct rt_case rt_cases[] = {
	{ "v4 tcp gue", VIP4, "198.51.100.77", "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_GUE, 0 },
	{ "v6 udp gue", VIP6, "2001:db8:c::77", "2001:db8:b::1", IPPROTO_UDP, SHOAL_ENCAP_GUE, 0 },
	{ "v4 udp gue6", VIP4, "198.51.100.77", "2001:db8:b::1", IPPROTO_UDP, SHOAL_ENCAP_GUE, 0 },
	{ "v6 tcp gue4", VIP6, "2001:db8:c::77", "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_GUE, 0 },
	{ "v4 tcp ipip", VIP4, "198.51.100.77", "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_IPIP, 0 },
	{ "v6 tcp ip6ip6", VIP6, "2001:db8:c::77", "2001:db8:b::1", IPPROTO_TCP, SHOAL_ENCAP_IPIP,
	  0 },
	{ "v4 udp 4in6", VIP4, "198.51.100.77", "2001:db8:b::1", IPPROTO_UDP, SHOAL_ENCAP_IPIP, 0 },
	{ "v6 udp 6in4", VIP6, "2001:db8:c::77", "198.51.100.1", IPPROTO_UDP, SHOAL_ENCAP_IPIP, 0 },
	{ "v4 tcp gue vlan", VIP4, "198.51.100.77", "198.51.100.1", IPPROTO_TCP, SHOAL_ENCAP_GUE,
	  12 },
};

static size_t encapsulate(const struct rt_case *c, __u8 *in, size_t *in_len, __u8 *enc)
{
	struct lbfix_backend be = { c->backend, c->encap, 1 };
	struct pkt_spec s = { .src = c->client,
			      .dst = c->vip,
			      .sport = 33333,
			      .dport = 80,
			      .proto = c->proto,
			      .tos = 0x28,
			      .vlan = c->vlan,
			      .payload = 300 };
	size_t enc_len = PKT_MAX;
	struct lbfix_vip v;

	ck_assert_int_eq(lbfix_vip_add(&fx, c->vip, 80, c->proto, 0, 0, &be, 1, 251, &v), 0);
	*in_len = pkt_build(&s, in, PKT_MAX);
	ck_assert_int_eq(lbfix_run(shoal_dp_prog_fd(fx.dp), in, *in_len, enc, &enc_len), XDP_TX);
	return enc_len;
}

START_TEST(test_xdp_restores_inner)
{
	const struct rt_case *c = &rt_cases[_i];
	__u8 in[PKT_MAX], enc[PKT_MAX], out[PKT_MAX];
	size_t in_len, enc_len, out_len = sizeof(out);

	enc_len = encapsulate(c, in, &in_len, enc);
	ck_assert_int_eq(lbfix_run(bpf_program__fd(dskel->progs.shoal_decap_xdp), enc, enc_len, out,
				   &out_len),
			 XDP_PASS);
	ck_assert_uint_eq(out_len, in_len);
	/* MACs are the balancer's; from the ethertype on it is the client's packet */
	ck_assert_mem_eq(out, lbfix_gw_mac, 6);
	ck_assert_mem_eq(out + 12, in + 12, in_len - 12);
	ck_assert_uint_eq(decap_counter(SHOAL_DECAP_CNT_DECAP), 1);
}
END_TEST

START_TEST(test_tc_restores_inner)
{
	const struct rt_case *c = &rt_cases[_i];
	__u8 in[PKT_MAX], enc[PKT_MAX], out[PKT_MAX];
	size_t in_len, enc_len, out_len = sizeof(out);

	if (c->vlan)
		return; /* on tc ingress the kernel has already taken the tag off */
	enc_len = encapsulate(c, in, &in_len, enc);
	ck_assert_int_eq(lbfix_run(bpf_program__fd(dskel->progs.shoal_decap_tc), enc, enc_len, out,
				   &out_len),
			 TC_ACT_OK);
	ck_assert_uint_eq(out_len, in_len);
	ck_assert_mem_eq(out + 12, in + 12, in_len - 12);
}
END_TEST

/*
 * Tunnel packets from an outer source no --from names are dropped and
 * counted, in XDP and tc: nobody else can have the backend answer spoofed
 * clients, or reach it past a drain. The other family, still allowed, passes.
 */
START_TEST(test_foreign_source_refused)
{
	const struct rt_case *c4 = &rt_cases[0], *c6 = &rt_cases[1]; /* v4 gue, v6 gue */
	__u8 in[PKT_MAX], enc[PKT_MAX], out[PKT_MAX];
	size_t in_len, enc_len, out_len = sizeof(out);

	disallow("203.0.113.0/24");
	allow("203.0.113.128/25"); /* a neighbour of the balancer's source, not it */
	enc_len = encapsulate(c4, in, &in_len, enc);
	ck_assert_int_eq(lbfix_run(bpf_program__fd(dskel->progs.shoal_decap_xdp), enc, enc_len, out,
				   &out_len),
			 XDP_DROP);
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(bpf_program__fd(dskel->progs.shoal_decap_tc), enc, enc_len, out,
				   &out_len),
			 TC_ACT_SHOT);
	ck_assert_uint_eq(decap_counter(SHOAL_DECAP_CNT_REFUSED), 2);
	ck_assert_uint_eq(decap_counter(SHOAL_DECAP_CNT_DECAP), 0);
	/* its own address, allowed as a host, is taken again */
	allow("203.0.113.1");
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(bpf_program__fd(dskel->progs.shoal_decap_xdp), enc, enc_len, out,
				   &out_len),
			 XDP_PASS);
	ck_assert_uint_eq(decap_counter(SHOAL_DECAP_CNT_DECAP), 1);
	/* an IPv6 outer source, allowed from the start */
	enc_len = encapsulate(c6, in, &in_len, enc);
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(bpf_program__fd(dskel->progs.shoal_decap_xdp), enc, enc_len, out,
				   &out_len),
			 XDP_PASS);
	ck_assert_uint_eq(decap_counter(SHOAL_DECAP_CNT_REFUSED), 2);
}
END_TEST

START_TEST(test_not_for_us_passes_unchanged)
{
	struct pkt_spec plain = {
		.src = "198.51.100.77", .dst = VIP4, .sport = 1, .dport = 80, .proto = IPPROTO_TCP
	};
	struct pkt_spec udp_other = { .src = "198.51.100.77",
				      .dst = "198.51.100.1",
				      .sport = 1,
				      .dport = 6081,
				      .proto = IPPROTO_UDP,
				      .payload = 40 };
	struct lbfix_backend be = { "198.51.100.1", SHOAL_ENCAP_GUE, 1 };
	struct pkt_spec to_other = { .src = "198.51.100.77",
				     .dst = "192.0.2.99",
				     .sport = 1,
				     .dport = 80,
				     .proto = IPPROTO_TCP };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len, out_len;
	struct lbfix_vip v;
	int prog = bpf_program__fd(dskel->progs.shoal_decap_xdp);

	len = pkt_build(&plain, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, in, len);

	len = pkt_build(&udp_other, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, in, len);

	/* a GUE packet whose inner destination is no VIP here */
	ck_assert_int_eq(lbfix_vip_add(&fx, "192.0.2.99", 80, IPPROTO_TCP, 0, 0, &be, 1, 251, &v),
			 0);
	len = pkt_build(&to_other, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(shoal_dp_prog_fd(fx.dp), in, len, out, &out_len), XDP_TX);
	memcpy(in, out, out_len);
	len = out_len;
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_uint_eq(out_len, len);
	ck_assert_mem_eq(out, in, len);
	ck_assert_uint_eq(decap_counter(SHOAL_DECAP_CNT_NOT_VIP), 1);
}
END_TEST

START_TEST(test_truncated_tunnel_packets)
{
	__u8 in[PKT_MAX], enc[PKT_MAX], out[PKT_MAX];
	size_t in_len, enc_len, cut;
	int prog = bpf_program__fd(dskel->progs.shoal_decap_xdp);

	enc_len = encapsulate(&rt_cases[0], in, &in_len, enc);
	for (cut = 14; cut < enc_len; cut++) {
		size_t out_len = sizeof(out);
		int v = lbfix_run(prog, enc, cut, out, &out_len);

		ck_assert_msg(v == XDP_PASS || v == XDP_DROP, "cut %zu: verdict %d", cut, v);
		if (v == XDP_PASS && out_len == cut)
			ck_assert_mem_eq(out, enc, cut);
	}
}
END_TEST

static Suite *decap_suite(void)
{
	Suite *s = suite_create("decap.bpf");
	TCase *tc = tcase_create("round trip");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_xdp_restores_inner, 0, sizeof(rt_cases) / sizeof(rt_cases[0]));
	tcase_add_loop_test(tc, test_tc_restores_inner, 0, sizeof(rt_cases) / sizeof(rt_cases[0]));
	tcase_add_test(tc, test_foreign_source_refused);
	tcase_add_test(tc, test_not_for_us_passes_unchanged);
	tcase_add_test(tc, test_truncated_tunnel_packets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ckmain_run(decap_suite());
}
