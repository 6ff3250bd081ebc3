// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o: the flow table: stickiness, rescheduling, SYN repeats,
 * confirmation, closing and idle flows, verified hits, floods, counters.
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

#include "dataplane/internal.h"
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

/*
 * A SYN's backend is chosen before its flow is looked up (the two reads
 * overlap); a SYN of a known flow still goes where its entry says, after the
 * table changed and while the host is not ready, and is no new flow.
 */
START_TEST(test_syn_of_known_flow_keeps_its_backend)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 },
				       { "198.51.100.2", 0, 1 },
				       { "198.51.100.3", 0, 1 } };
	struct lbfix_backend extra = { "198.51.100.4", 0, 1 };
	struct shoal_backend_stats st;
	static int before[STICKY_FLOWS];
	__u64 repeats = 0, news = 0;
	struct lbfix_vip v;
	int i, j;

	ck_assert_int_eq(
		lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, SHOAL_SCHED_MAGLEV, 0, bes, 3, 0, &v), 0);
	for (i = 0; i < STICKY_FLOWS; i++)
		before[i] = send_flow(&v, i, PKT_TCP_SYN);
	ck_assert_int_eq(lbfix_vip_backend_add(&fx, &v, &extra), 0);
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	for (i = 0; i < STICKY_FLOWS; i++)
		ck_assert_int_eq(send_flow(&v, i, PKT_TCP_SYN), before[i]);
	fx.dp->skel->bss->host_cfg.flags &= ~SHOAL_HOST_F_READY;
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(send_flow(&v, i, PKT_TCP_SYN), before[i]);
	/* a new flow is not scheduled until the host is ready */
	ck_assert_int_eq(send_flow(&v, STICKY_FLOWS, PKT_TCP_SYN), -1);
	ck_assert_uint_eq(counter(SHOAL_CNT_DROP(SHOAL_DROP_NOT_READY)), 1);
	/* the misses: the first SYNs, and the one dropped */
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_MISS), STICKY_FLOWS + 1);
	for (j = 0; j < 4; j++) {
		ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, v.be[j].id, &st), 0);
		repeats += st.syn_repeats;
		news += st.new_flows;
	}
	ck_assert_uint_eq(repeats, STICKY_FLOWS + 100);
	ck_assert_uint_eq(news, STICKY_FLOWS);
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

/* A SYN makes an unconfirmed entry, the next packet confirms it, a FIN closes it. */
START_TEST(test_second_packet_confirms)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct shoal_flow_key k;
	struct lbfix_vip v;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &be, 1, 251, &v), 0);
	send_flow_key(3, &k);
	ck_assert_int_eq(send_flow(&v, 3, PKT_TCP_SYN), 0);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_UNCONFIRMED);
	ck_assert_int_eq(send_flow(&v, 3, PKT_TCP_SYN), 0); /* a retransmit: still unproven */
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_UNCONFIRMED);
	ck_assert_int_eq(send_flow(&v, 3, PKT_TCP_ACK), 0);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_CONFIRMED);
	ck_assert_int_eq(send_flow(&v, 3, PKT_TCP_FIN | PKT_TCP_ACK), 0);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_CLOSING);
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_INSERT), 1);
}
END_TEST

/* An RST or FIN of a flow the table does not know is forwarded and recorded nowhere. */
START_TEST(test_rst_fin_of_unknown_flow_make_no_entry)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct shoal_flow_key k;
	struct lbfix_vip v;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &be, 1, 251, &v), 0);
	ck_assert_int_eq(send_flow(&v, 4, PKT_TCP_RST), 0);
	ck_assert_int_eq(send_flow(&v, 5, PKT_TCP_FIN | PKT_TCP_ACK), 0);
	send_flow_key(4, &k);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_EMPTY);
	send_flow_key(5, &k);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_EMPTY);
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_INSERT), 0);
	ck_assert_uint_eq(counter(SHOAL_CNT_TX), 2);
}
END_TEST

/*
 * An entry past its idle timeout is no hit: the 5-tuple is a new flow on the
 * current table (here the old backend has left it).
 */
/*
 * The agent's walk: live entries per VIP and backend, the unconfirmed among
 * them; an entry past its idle timeout is emptied, not counted.
 */
START_TEST(test_walk_counts_and_sweeps)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 }, { "198.51.100.2", 0, 1 } };
	struct shoal_flow_key k;
	struct lbfix_vip v;
	int i;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, bes, 2, 251, &v), 0);
	for (i = 0; i < 10; i++) {
		ck_assert_int_ge(send_flow(&v, i, PKT_TCP_SYN), 0);
		if (i < 6)
			ck_assert_int_ge(send_flow(&v, i, PKT_TCP_ACK), 0);
	}
	ck_assert_int_eq(shoal_dp_flow_count_now(fx.dp), 10);
	ck_assert_int_eq(shoal_dp_flow_unconfirmed(fx.dp), 4);
	ck_assert_int_eq(shoal_dp_vip_flow_count(fx.dp, v.id), 10);
	ck_assert_int_eq(shoal_dp_backend_flow_count(fx.dp, v.be[0].id) +
				 shoal_dp_backend_flow_count(fx.dp, v.be[1].id),
			 10);
	send_flow_key(0, &k);
	flow_age_by(&k, 845); /* past the 900 s of an established flow */
	ck_assert_int_eq(shoal_dp_flow_count_now(fx.dp), 9);
	ck_assert_uint_eq(shoal_dp_flow_swept(fx.dp), 1);
	ck_assert_ptr_null(shoal_dp_flow_way(fx.dp, &k));
}
END_TEST

/* UDP: the first datagram makes an unconfirmed entry, the second confirms it. */
START_TEST(test_udp_second_datagram_confirms)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct pkt_spec s = {
		.src = CLIENT4, .dst = VIP4, .sport = 5353, .dport = 53, .proto = IPPROTO_UDP
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct shoal_flow_key k;
	size_t len, out_len;
	struct lbfix_vip v;
	__u64 e;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 53, IPPROTO_UDP, 0, 0, &be, 1, 251, &v), 0);
	flow_key_of(&s, &k);
	len = pkt_build(&s, in, sizeof(in));
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_UNCONFIRMED);
	out_len = sizeof(out);
	ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	ck_assert_int_eq(shoal_dp_flow_find(fx.dp, &k, &e), 0);
	ck_assert_uint_eq(e & SHOAL_FLOW_CLASS_MASK, SHOAL_FLOW_UDP | SHOAL_FLOW_CONFIRMED);
}
END_TEST

START_TEST(test_idle_entry_makes_a_new_flow)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 }, { "198.51.100.2", 0, 1 } };
	struct shoal_backend_stats st;
	struct shoal_flow_key k;
	struct lbfix_vip v;
	int first;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, bes, 2, 251, &v), 0);
	first = send_flow(&v, 6, PKT_TCP_SYN);
	ck_assert_int_eq(send_flow(&v, 6, PKT_TCP_ACK), first);
	v.be[first].weight = 0;
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	send_flow_key(6, &k);
	/* just inside the timeout (900 s: 839 ticks): still the old backend */
	flow_age_by(&k, 830);
	ck_assert_int_eq(send_flow(&v, 6, PKT_TCP_ACK), first);
	flow_age_by(&k, 845);
	ck_assert_int_eq(send_flow(&v, 6, PKT_TCP_ACK), 1 - first);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_UNCONFIRMED);
	ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, v.be[1 - first].id, &st), 0);
	ck_assert_uint_eq(st.new_flows, 1);
}
END_TEST

/*
 * A hit is trusted only if its backend serves the VIP the packet is
 * addressed to: an entry with the flow's tag naming another VIP's backend
 * (a tag collision), or a backend id given to another VIP since (a reload),
 * sends nothing there.
 */
START_TEST(test_hit_verified_against_vip)
{
	struct lbfix_backend a_be = { "198.51.100.1", 0, 1 }, b_be = { "198.51.100.9", 0, 1 };
	struct shoal_backend moved = { .family = AF_INET };
	struct shoal_flow_bucket *bkt;
	struct shoal_flow_key k;
	struct lbfix_vip a, b;
	__u64 tag;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &a_be, 1, 251, &a), 0);
	ck_assert_int_eq(lbfix_vip_add(&fx, "192.0.2.20", 80, IPPROTO_TCP, 0, 0, &b_be, 1, 251, &b),
			 0);
	/* a collision: flow 7's bucket holds its tag, naming b's backend */
	send_flow_key(7, &k);
	bkt = shoal_dp_flow_bucket(fx.dp, &k, &tag);
	bkt->way[3] = SHOAL_FLOW_ENTRY(tag >> SHOAL_FLOW_TAG_SHIFT, b.be[0].id,
				       shoal_dp_flow_tick(fx.dp), SHOAL_FLOW_CONFIRMED);
	ck_assert_int_eq(send_flow(&a, 7, PKT_TCP_ACK), 0);
	ck_assert_uint_eq(SHOAL_FLOW_BE(bkt->way[3]), a.be[0].id);
	/* an id reused: a's backend now belongs to b, at another address */
	ck_assert_int_eq(send_flow(&a, 8, PKT_TCP_SYN), 0);
	ck_assert_int_eq(send_flow(&a, 8, PKT_TCP_ACK), 0);
	ck_assert_int_eq(shoal_addr_parse("198.51.100.99", &moved.addr, NULL), 0);
	moved.vip_id = b.id;
	moved.vip = b.key;
	ck_assert_int_eq(shoal_dp_backend_set(fx.dp, a.be[0].id, &moved), 0);
	a.be[0].addr = moved.addr; /* lbfix_backend_of: to a's only backend would match it */
	ck_assert_int_eq(send_flow(&a, 8, PKT_TCP_ACK), -1); /* a's table names no valid backend */
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_RESCHEDULED), 2);
}
END_TEST

/*
 * A full bucket of live confirmed flows refuses a new flow (forwarded, not
 * recorded, counted); once one of them is idle, the new flow takes its way.
 */
START_TEST(test_full_bucket_refuses_then_evicts_idle)
{
	struct lbfix_backend be = { "198.51.100.1", 0, 1 };
	struct shoal_flow_bucket *bkt;
	struct shoal_flow_key k;
	struct lbfix_vip v;
	__u64 tag;
	int i;

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &be, 1, 251, &v), 0);
	send_flow_key(9, &k);
	bkt = shoal_dp_flow_bucket(fx.dp, &k, &tag);
	for (i = 0; i < SHOAL_FLOW_WAYS; i++)
		bkt->way[i] = SHOAL_FLOW_ENTRY((tag >> SHOAL_FLOW_TAG_SHIFT) ^ (i + 1), v.be[0].id,
					       shoal_dp_flow_tick(fx.dp), SHOAL_FLOW_CONFIRMED);
	ck_assert_int_eq(send_flow(&v, 9, PKT_TCP_SYN), 0);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_EMPTY);
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_REFUSED), 1);
	bkt->way[5] = SHOAL_FLOW_ENTRY(1, v.be[0].id, shoal_dp_flow_tick(fx.dp) - 900,
				       SHOAL_FLOW_CONFIRMED);
	ck_assert_int_eq(send_flow(&v, 9, PKT_TCP_SYN), 0);
	ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_UNCONFIRMED);
	ck_assert_uint_eq((bkt->way[5] & SHOAL_FLOW_TAG_MASK), tag);
	ck_assert_uint_eq(counter(SHOAL_CNT_FLOW_EVICT_IDLE), 1);
}
END_TEST

/*
 * Flood-proof: confirmed flows keep their entries, and so their backends
 * after the backend set changed, through a flood of ten times the table's
 * size of spoofed SYNs, ACKs and RSTs, each 5-tuple seen once.
 */
#define FLOOD_TABLE 16384
#define FLOOD_KEPT  1500

static void flood_packet(__u32 n, __u8 *in, size_t *len)
{
	char src[32];
	static const __u8 flags[] = { PKT_TCP_SYN, PKT_TCP_ACK, PKT_TCP_RST };
	struct pkt_spec s = { .src = src,
			      .dst = VIP4,
			      .sport = (__u16)(1024 + n % 60000),
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = flags[n % 3] };

	snprintf(src, sizeof(src), "203.0.%u.%u", (n / 60000) % 256, 1 + (n / 60000 / 256) % 250);
	*len = pkt_build(&s, in, PKT_MAX);
}

START_TEST(test_flood_keeps_confirmed_flows)
{
	struct lbfix_backend bes[] = { { "198.51.100.1", 0, 1 },
				       { "198.51.100.2", 0, 1 },
				       { "198.51.100.3", 0, 1 } };
	struct lbfix_backend extra = { "198.51.100.4", 0, 1 };
	static int before[FLOOD_KEPT];
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct shoal_flow_key k;
	size_t len, out_len;
	struct lbfix_vip v;
	__u32 n;
	int i;

	lbfix_close(&fx);
	ck_assert_int_eq(lbfix_open(&fx, FLOOD_TABLE), 0);
	prog = shoal_dp_prog_fd(fx.dp);
	ck_assert_uint_eq(shoal_dp_flow_capacity(fx.dp), FLOOD_TABLE);
	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, bes, 3, 251, &v), 0);
	for (i = 0; i < FLOOD_KEPT; i++) {
		before[i] = send_flow(&v, i, PKT_TCP_SYN);
		ck_assert_int_eq(send_flow(&v, i, PKT_TCP_ACK), before[i]);
	}
	ck_assert_int_eq(lbfix_vip_backend_add(&fx, &v, &extra), 0);
	ck_assert_int_eq(lbfix_vip_retable(&fx, &v), 0);
	for (n = 0; n < 10 * FLOOD_TABLE; n++) {
		flood_packet(n, in, &len);
		out_len = sizeof(out);
		ck_assert_int_eq(lbfix_run(prog, in, len, out, &out_len), XDP_TX);
	}
	ck_assert_uint_gt(counter(SHOAL_CNT_FLOW_EVICT_UNCONFIRMED), FLOOD_TABLE);
	for (i = 0; i < FLOOD_KEPT; i++) {
		send_flow_key(i, &k);
		ck_assert_uint_eq(flow_state(&k), SHOAL_FLOW_CONFIRMED);
		ck_assert_int_eq(send_flow(&v, i, PKT_TCP_ACK), before[i]);
	}
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
 * A packet is counted once, on its backend; its VIP's figures and the global
 * tx are sums, and keep what a removed backend counted.
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
	ck_assert_uint_eq(counter(SHOAL_CNT_TX), 10);
	/* the backend leaves: the sums keep its counts, its id starts from zero */
	ck_assert_int_eq(shoal_dp_backend_del(fx.dp, v.be[0].id), 0);
	ck_assert_int_eq(shoal_dp_vip_stats(fx.dp, v.id, &vs), 0);
	ck_assert_uint_eq(vs.packets, 10);
	ck_assert_uint_eq(vs.new_flows, 3);
	ck_assert_uint_eq(counter(SHOAL_CNT_TX), 10);
	ck_assert_int_eq(shoal_dp_backend_stats(fx.dp, v.be[0].id, &bs), 0);
	ck_assert_uint_eq(bs.packets, 0);
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
	tcase_add_test(tc, test_syn_of_known_flow_keeps_its_backend);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_vip_delete_stops_known_flows);
	tcase_add_test(tc, test_reused_tuple_after_fin_is_a_new_flow);
	tcase_add_test(tc, test_syn_without_fin_stays);
	tcase_add_test(tc, test_second_packet_confirms);
	tcase_add_test(tc, test_rst_fin_of_unknown_flow_make_no_entry);
	tcase_add_test(tc, test_idle_entry_makes_a_new_flow);
	tcase_add_test(tc, test_walk_counts_and_sweeps);
	tcase_add_test(tc, test_udp_second_datagram_confirms);
	tcase_add_test(tc, test_hit_verified_against_vip);
	tcase_add_test(tc, test_full_bucket_refuses_then_evicts_idle);
	tcase_add_test(tc, test_flood_keeps_confirmed_flows);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
