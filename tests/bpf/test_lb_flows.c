// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o: the flow table and the per-CPU flow cache: stickiness,
 * rescheduling, SYN repeats, closing flows, counters.
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

/* ---- flow table ---- */

#define STICKY_FLOWS 2000

START_TEST(test_flow_sticky_after_backend_added)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 },
				       { "198.51.100.2", 0, 1 },
				       { "198.51.100.3", 0, 1 },
				       { "198.51.100.4", 0, 1 } };
	struct lbfix_backend extra = { "198.51.100.5", 0, 1 };
	static int before[STICKY_FLOWS];
	struct lbfix_vip v;
	int i, moved_stateless = 0;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, bes, 4, 0, &v), 0);
	for (i = 0; i < STICKY_FLOWS; i++) {
		before[i] = send_flow(&v, i, PKT_TCP_SYN);
		ck_assert_int_ge(before[i], 0);
	}
	ck_assert_int_eq(lbfix_vip_backend_add(&fx, &v, &extra), 0);
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	for (i = 0; i < STICKY_FLOWS; i++)
		ck_assert_int_eq(send_flow(&v, i, PKT_TCP_ACK), before[i]);
	ck_assert_uint_eq(counter(SHOAL_CNT_TX), 2 * STICKY_FLOWS);
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_MISS), STICKY_FLOWS);

	/* the same change on a stateless VIP moves about 1/5 of the flows */
	v.vip.flags = SHOAL_VIP_F_NO_FLOWTABLE;
	ck_assert_int_eq(shoal_dp_vip_set(fx.dp, &v.key, &v.vip), 0);
	for (i = 0; i < STICKY_FLOWS; i++)
		moved_stateless += send_flow(&v, i, PKT_TCP_ACK) != before[i];
	ck_assert_int_gt(moved_stateless, STICKY_FLOWS / 10);
	ck_assert_int_lt(moved_stateless, STICKY_FLOWS * 3 / 10);
}
END_TEST

START_TEST(test_flow_rescheduled_when_backend_removed)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 },
				       { "198.51.100.2", 0, 1 },
				       { "198.51.100.3", 0, 1 },
				       { "198.51.100.4", 0, 1 } };
	static int before[STICKY_FLOWS];
	struct lbfix_vip v;
	int i, on_removed = 0;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, bes, 4, 0, &v), 0);
	for (i = 0; i < STICKY_FLOWS; i++)
		before[i] = send_flow(&v, i, PKT_TCP_SYN);
	/* remove backend 2: out of the table and invalid */
	v.be[2].weight = 0;
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	ck_assert_int_eq(shoal_dp_backend_del(fx.dp, v.be[2].id), 0);
	for (i = 0; i < STICKY_FLOWS; i++) {
		int now = send_flow(&v, i, PKT_TCP_ACK);

		if (before[i] == 2) {
			on_removed++;
			ck_assert_int_ne(now, 2);
			ck_assert_int_ge(now, 0);
		} else {
			ck_assert_int_eq(now, before[i]);
		}
	}
	ck_assert_int_gt(on_removed, 0);
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_RESCHEDULED), (__u64)on_removed);
}
END_TEST

static void backend_flags_set(__u32 id, __u16 flags)
{
	int fd = shoal_dp_map_fd(fx.dp, "backends");
	struct shoal_backend be;

	ck_assert_int_eq(bpf_map_lookup_elem(fd, &id, &be), 0);
	be.flags = flags;
	ck_assert_int_eq(bpf_map_update_elem(fd, &id, &be, BPF_EXIST), 0);
}

/*
 * A backend down with on_down: keep_flows leaves the table but keeps its
 * flows; with on_down: reschedule (SHOAL_BE_F_RESCHEDULE) its flows move at
 * once to the VIP's current table, and only those.
 */
START_TEST(test_down_backend_keeps_or_reschedules_flows)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 },
				       { "198.51.100.2", 0, 1 },
				       { "198.51.100.3", 0, 1 } };
	static int before[STICKY_FLOWS];
	struct lbfix_vip v;
	int i, on_down = 0;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, bes, 3, 0, &v), 0);
	for (i = 0; i < STICKY_FLOWS; i++)
		before[i] = send_flow(&v, i, PKT_TCP_SYN);
	v.be[1].weight = 0;
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	backend_flags_set(v.be[1].id, SHOAL_BE_F_VALID | SHOAL_BE_F_DOWN);
	for (i = 0; i < STICKY_FLOWS; i++)
		ck_assert_int_eq(send_flow(&v, i, PKT_TCP_ACK), before[i]);
	backend_flags_set(v.be[1].id, SHOAL_BE_F_VALID | SHOAL_BE_F_DOWN | SHOAL_BE_F_RESCHEDULE);
	touch_interval_passes();
	for (i = 0; i < STICKY_FLOWS; i++) {
		int now = send_flow(&v, i, PKT_TCP_ACK);

		if (before[i] == 1) {
			on_down++;
			ck_assert_int_ne(now, 1);
			ck_assert_int_ge(now, 0);
		} else {
			ck_assert_int_eq(now, before[i]);
		}
	}
	ck_assert_int_gt(on_down, STICKY_FLOWS / 5);
}
END_TEST

START_TEST(test_syn_repeat_counted)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct shoal_backend_stats st;
	struct lbfix_vip v;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, &be, 1, 0, &v), 0);
	ck_assert_int_eq(send_flow(&v, 1, PKT_TCP_SYN), 0);
	ck_assert_int_eq(send_flow(&v, 1, PKT_TCP_SYN), 0);
	ck_assert_int_eq(send_flow(&v, 1, PKT_TCP_SYN), 0);
	ck_assert_int_eq(send_flow(&v, 1, PKT_TCP_ACK), 0);
	ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, v.be[0].id, &st), 0);
	ck_assert_uint_eq(st.syn_repeats, 2);
	ck_assert_uint_eq(st.new_flows, 1);
	ck_assert_uint_eq(st.packets, 4);
}
END_TEST

START_TEST(test_vip_delete_stops_known_flows)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct pkt_spec s = { .src = CLIENT4,
			      .dst = VIP4,
			      .sport = 4242,
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = PKT_TCP_ACK };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len = 0, out_len;
	struct lbfix_vip v;
	int i;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &be, 1, 251, &v), 0);
	len = pkt_build(&s, in, sizeof(in));
	for (i = 0; i < 3; i++) {
		out_len = sizeof(out);
		ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	}
	ck_assert_int_eq(shoal_dp_vip_del(fx.dp, &v.key), 0);
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_PASS);
	ck_assert_mem_eq(out, in, len);
}
END_TEST

/*
 * A flow served from the per-CPU cache is put back into the shared table if
 * that evicted it, so another CPU still finds it.
 */
START_TEST(test_cached_flow_survives_eviction)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct pkt_spec s = { .src = CLIENT4,
			      .dst = VIP4,
			      .sport = 4343,
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = PKT_TCP_ACK };
	__u8 in[PKT_MAX], out[PKT_MAX];
	int flows_fd = shoal_dp_map_fd(fx.dp, "flows");
	struct shoal_flow_key k;
	struct shoal_flow fl;
	size_t len, out_len;
	struct lbfix_vip v;
	int i;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &be, 1, 251, &v), 0);
	flow_key_of(&s, &k);
	len = pkt_build(&s, in, sizeof(in));
	for (i = 0; i < 2; i++) {
		out_len = sizeof(out);
		ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	}
	ck_assert_int_eq(bpf_map_lookup_elem(flows_fd, &k, &fl), 0);
	ck_assert_uint_eq(fl.backend_id, v.be[0].id);
	ck_assert_uint_eq(fl.vip_id, v.id);
	ck_assert_int_eq(bpf_map_delete_elem(flows_fd, &k), 0);
	touch_interval_passes();
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	ck_assert_int_eq(bpf_map_lookup_elem(flows_fd, &k, &fl), 0);
	ck_assert_uint_eq(fl.backend_id, v.be[0].id);
}
END_TEST

/*
 * A client that closes a connection (FIN) and opens a new one on the same
 * 5-tuple gets a new flow: scheduled on the current table, counted as new,
 * not as a repeated SYN, and no stale cache entry keeps it on the old backend.
 */
START_TEST(test_reused_tuple_after_fin_is_a_new_flow)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 }, { "198.51.100.2", 0, 1 } };
	struct shoal_backend_stats st[2];
	struct lbfix_vip v;
	int first, other, i;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, bes, 2, 251, &v), 0);
	first = send_flow(&v, 7, PKT_TCP_SYN);
	ck_assert_int_ge(first, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(send_flow(&v, 7, PKT_TCP_ACK), first);
	ck_assert_int_eq(send_flow(&v, 7, PKT_TCP_FIN | PKT_TCP_ACK), first);
	ck_assert_int_eq(send_flow(&v, 7, PKT_TCP_ACK), first); /* the last ACK */
	/* the old backend leaves the table (still valid: draining) */
	other = 1 - first;
	v.be[first].weight = 0;
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	ck_assert_int_eq(send_flow(&v, 7, PKT_TCP_SYN), other);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(send_flow(&v, 7, PKT_TCP_ACK), other);
	ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, v.be[first].id, &st[0]), 0);
	ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, v.be[other].id, &st[1]), 0);
	ck_assert_uint_eq(st[0].new_flows + st[1].new_flows, 2);
	ck_assert_uint_eq(st[0].syn_repeats + st[1].syn_repeats, 0);
}
END_TEST

/*
 * The shared table evicted an idle flow that the per-CPU cache still holds; a
 * new connection on that 5-tuple is scheduled on the current table, and its
 * next packets must follow that choice, not the cache's old one. (The cache
 * entry is idle longer than SHOAL_FLOW_TOUCH_JIFFIES: a client cannot reuse
 * the 5-tuple of a live connection, and a FIN or RST clears the entry.)
 */
START_TEST(test_new_flow_overrides_stale_cache)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 }, { "198.51.100.2", 0, 1 } };
	int flows_fd = shoal_dp_map_fd(fx.dp, "flows");
	struct pkt_spec s = { .src = "198.51.100.9",
			      .dst = VIP4,
			      .sport = 10008,
			      .dport = 80,
			      .proto = IPPROTO_TCP };
	struct shoal_flow_key k;
	struct lbfix_vip v;
	int first, other;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, bes, 2, 251, &v), 0);
	first = send_flow(&v, 8, PKT_TCP_SYN);
	ck_assert_int_eq(send_flow(&v, 8, PKT_TCP_ACK), first); /* now cached */
	touch_interval_passes();
	flow_key_of(&s, &k);
	ck_assert_int_eq(bpf_map_delete_elem(flows_fd, &k), 0);
	other = 1 - first;
	v.be[first].weight = 0;
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	ck_assert_int_eq(send_flow(&v, 8, PKT_TCP_SYN), other);
	ck_assert_int_eq(send_flow(&v, 8, PKT_TCP_ACK), other);
}
END_TEST

/* Without FIN, a second SYN is a retransmit: same backend, counted as a repeat. */
START_TEST(test_syn_without_fin_stays)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 }, { "198.51.100.2", 0, 1 } };
	struct shoal_backend_stats st;
	struct lbfix_vip v;
	int first;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, bes, 2, 251, &v), 0);
	first = send_flow(&v, 9, PKT_TCP_SYN);
	v.be[first].weight = 0;
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	ck_assert_int_eq(send_flow(&v, 9, PKT_TCP_SYN), first);
	ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, v.be[first].id, &st), 0);
	ck_assert_uint_eq(st.syn_repeats, 1);
}
END_TEST

/*
 * The property the design leans on: two shoal hosts with the same backends
 * (given in another order, so with other ids) send every flow to the same
 * backend, so a flow that ECMP moves between hosts keeps its backend; and
 * they still agree after both lose the same backend.
 */
START_TEST(test_counters)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct shoal_vip_stats vs;
	struct shoal_backend_stats bs;
	struct lbfix_vip v;
	int i;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &be, 1, 251, &v), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(send_flow(&v, i % 3, i < 3 ? PKT_TCP_SYN : PKT_TCP_ACK), 0);
	ck_assert_int_eq(shoal_dp_vip_stats(fx.dp, v.id, &vs), 0);
	ck_assert_uint_eq(vs.packets, 10);
	ck_assert_uint_eq(vs.bytes, 10 * 40);
	ck_assert_uint_eq(vs.new_flows, 3);
	ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, v.be[0].id, &bs), 0);
	ck_assert_uint_eq(bs.packets, 10);
	ck_assert_uint_eq(bs.new_flows, 3);
}
END_TEST

/* A VIP whose table is empty drops (no backend); deleting it passes again. */

int main(void)
{
	Suite *s = suite_create("lb.flows");
	TCase *tc;

	tc = tcase_create("flows");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_flow_sticky_after_backend_added);
	tcase_add_test(tc, test_flow_rescheduled_when_backend_removed);
	tcase_add_test(tc, test_down_backend_keeps_or_reschedules_flows);
	tcase_add_test(tc, test_syn_repeat_counted);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_vip_delete_stops_known_flows);
	tcase_add_test(tc, test_cached_flow_survives_eviction);
	tcase_add_test(tc, test_reused_tuple_after_fin_is_a_new_flow);
	tcase_add_test(tc, test_syn_without_fin_stays);
	tcase_add_test(tc, test_new_flow_overrides_stale_cache);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
