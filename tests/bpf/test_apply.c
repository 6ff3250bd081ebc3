// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's real apply path (model -> shoal_dp_apply_*) against the real
 * program: changes applied one unit of work at a time, with new flows run
 * through the program between every two units. No packet may be dropped on
 * the way (no bad_backend, no no_backend), a table never meets another
 * table's size, and a flow of a VIP removed in the same apply that adds
 * another never reaches the new VIP's backends.
 */
#include <arpa/inet.h>
#include <check.h>
#include <sched.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>

#include "ckmain.h"
#include "lbtest.h"
#include "model/addr.h"
#include "model/config.h"
#include "model/state.h"

static __u64 drops(int reason)
{
	__u64 v = 0;

	ck_assert_int_eq(shoal_dp_counter(fx.dp, SHOAL_CNT_DROP(reason), &v), 0);
	return v;
}

#define HOST \
	"host:\n  interface: lb0\n  hash_seed: 0x5eed\n  source_v4: 203.0.113.1\n  encap: gue\n"

static struct shoal_state *state_of(const char *yaml, const struct shoal_state *old)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	struct shoal_state *s = NULL;
	size_t i;

	if (shoal_config_parse("t.yaml", yaml, strlen(yaml), &c, &errs))
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(shoal_state_from_config(c, old, &s), 0);
	shoal_config_free(c);
	return s;
}

/* A packet of client i to dst:port; returns the verdict, *be the outer destination. */
static int send_pkt(const char *dst, __u16 port, int i, __u8 flags, struct shoal_addr *be)
{
	char src[32];
	struct pkt_spec s = { .src = src,
			      .dst = dst,
			      .sport = (__u16)(20000 + i),
			      .dport = port,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = flags };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out);
	int verdict;

	snprintf(src, sizeof(src), "198.51.100.%d", 100 + i % 100);
	in_len = pkt_build(&s, in, sizeof(in));
	verdict = lbfix_run(prog, in, in_len, out, &out_len);
	if (be && verdict == XDP_TX)
		shoal_addr_from_v4(be, *(const __be32 *)(out + 14 + 16));
	return verdict;
}

/* Applies next over the maps one unit at a time; between units, 50 new flows each go out. */
static int apply_stepwise(const struct shoal_state *next, const char *vip, int *units)
{
	struct shoal_dp_apply *ap;
	int i, more, sent = 0;

	ck_assert_int_eq(shoal_dp_apply_begin(fx.dp, next, &ap), 0);
	*units = 0;
	do {
		more = shoal_dp_apply_step(ap, 0);
		(*units)++;
		for (i = 0; vip && i < 50; i++, sent++)
			ck_assert_int_eq(send_pkt(vip, 80, sent % 5000, PKT_TCP_SYN, NULL), XDP_TX);
	} while (more);
	return shoal_dp_apply_end(ap);
}

static const char three[] = HOST "services:\n  - vip: 192.0.2.10\n    port: 80\n"
				 "    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]\n";
/* .12 leaves, .14 comes */
static const char swapped[] = HOST "services:\n  - vip: 192.0.2.10\n    port: 80\n"
				   "    backends: [198.51.100.11, 198.51.100.13, 198.51.100.14]\n";

START_TEST(test_backend_swap_drops_nothing)
{
	struct shoal_state *a = state_of(three, NULL), *b = state_of(swapped, a);
	int units;

	ck_assert_int_eq(shoal_dp_apply(fx.dp, a), 0);
	ck_assert_int_eq(apply_stepwise(b, "192.0.2.10", &units), 0);
	ck_assert_int_gt(units, 4); /* it did run in many slices */
	ck_assert_uint_eq(drops(SHOAL_DROP_BAD_BACKEND), 0);
	ck_assert_uint_eq(drops(SHOAL_DROP_NO_BACKEND), 0);
	shoal_state_free(a);
	shoal_state_free(b);
}
END_TEST

/* A table of another size: never paired with the old size (a slot past the end). */
START_TEST(test_table_size_change_drops_nothing)
{
	static const char small[] = HOST "services:\n  - vip: 192.0.2.10\n    port: 80\n"
					 "    table_size: 251\n"
					 "    backends: [198.51.100.11, 198.51.100.12]\n";
	static const char big[] = HOST "services:\n  - vip: 192.0.2.10\n    port: 80\n"
				       "    table_size: 65537\n"
				       "    backends: [198.51.100.11, 198.51.100.12]\n";
	struct shoal_state *s1 = state_of(big, NULL), *s2 = state_of(small, s1),
			   *s3 = state_of(big, s2);
	int units;

	ck_assert_int_eq(shoal_dp_apply(fx.dp, s1), 0);
	ck_assert_int_eq(apply_stepwise(s2, "192.0.2.10", &units), 0);
	ck_assert_int_eq(apply_stepwise(s3, "192.0.2.10", &units), 0);
	ck_assert_uint_eq(drops(SHOAL_DROP_NO_BACKEND), 0);
	ck_assert_uint_eq(drops(SHOAL_DROP_BAD_BACKEND), 0);
	shoal_state_free(s1);
	shoal_state_free(s2);
	shoal_state_free(s3);
}
END_TEST

/*
 * One reload removes web (192.0.2.10) and adds api (192.0.2.20) with other
 * backends: web's established flow is never delivered to api's backends.
 */
START_TEST(test_replaced_vip_keeps_its_flows_out)
{
	static const char web[] = HOST "services:\n  - name: web\n    vip: 192.0.2.10\n"
				       "    port: 80\n    backends: [198.51.100.11]\n";
	static const char api[] = HOST "services:\n  - name: api\n    vip: 192.0.2.20\n"
				       "    port: 80\n    backends: [198.51.100.21]\n";
	struct shoal_state *s1 = state_of(web, NULL), *s2 = state_of(api, s1);
	struct shoal_backend_stats bs = { 0 };
	struct shoal_addr be, want;
	int units;

	ck_assert_int_eq(shoal_dp_apply(fx.dp, s1), 0);
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 7, PKT_TCP_SYN, &be), XDP_TX);
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 7, PKT_TCP_ACK, &be), XDP_TX);
	shoal_addr_parse("198.51.100.11", &want, NULL);
	ck_assert_mem_eq(&be, &want, sizeof(be));
	ck_assert_int_eq(apply_stepwise(s2, NULL, &units), 0);
	/* the held connection's next packets: not api's (the kernel gets them) */
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 7, PKT_TCP_ACK, &be), XDP_PASS);
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 7, PKT_TCP_ACK | PKT_TCP_PSH, &be), XDP_PASS);
	ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, s2->vips[0].be[0].id, &bs), 0);
	ck_assert_uint_eq(bs.packets, 0);
	ck_assert_uint_ne(s2->vips[0].id, s1->vips[0].id);
	ck_assert_uint_ne(s2->vips[0].be[0].id, s1->vips[0].be[0].id);
	/* and api serves */
	ck_assert_int_eq(send_pkt("192.0.2.20", 80, 8, PKT_TCP_SYN, &be), XDP_TX);
	shoal_addr_parse("198.51.100.21", &want, NULL);
	ck_assert_mem_eq(&be, &want, sizeof(be));
	shoal_state_free(s1);
	shoal_state_free(s2);
}
END_TEST

/*
 * Even if an id is reused at once (quarantine exhausted, or a restart forgot
 * it), the data plane does not trust the old flow: its VIP key differs, and
 * every hit checks it.
 */
START_TEST(test_reused_vip_id_does_not_take_old_flows)
{
	static const char web[] = HOST "services:\n  - vip: 192.0.2.10\n    port: 80\n"
				       "    backends: [198.51.100.11]\n";
	static const char api[] = HOST "services:\n  - vip: 192.0.2.20\n    port: 80\n"
				       "    backends: [198.51.100.21]\n";
	struct shoal_state *s1 = state_of(web, NULL), *s2 = state_of(api, NULL);
	struct shoal_addr be;

	/* both states were built from scratch: api gets web's ids */
	ck_assert_uint_eq(s2->vips[0].id, s1->vips[0].id);
	ck_assert_uint_eq(s2->vips[0].be[0].id, s1->vips[0].be[0].id);
	ck_assert_int_eq(shoal_dp_apply(fx.dp, s1), 0);
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 9, PKT_TCP_SYN, &be), XDP_TX);
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 9, PKT_TCP_ACK, &be), XDP_TX); /* confirmed */
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 10, PKT_TCP_SYN, &be), XDP_TX);
	ck_assert_int_eq(shoal_dp_apply(fx.dp, s2), 0);
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 10, PKT_TCP_ACK, &be), XDP_PASS);
	ck_assert_int_eq(send_pkt("192.0.2.10", 80, 9, PKT_TCP_ACK, &be), XDP_PASS);
	shoal_state_free(s1);
	shoal_state_free(s2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apply");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_backend_swap_drops_nothing);
	tcase_add_test(tc, test_table_size_change_drops_nothing);
	tcase_add_test(tc, test_replaced_vip_keeps_its_flows_out);
	tcase_add_test(tc, test_reused_vip_id_does_not_take_old_flows);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
