// SPDX-License-Identifier: GPL-2.0-only
/*
 * build/lb.bpf.o through BPF_PROG_TEST_RUN: encapsulation of every family,
 * protocol and tunnel; stickiness; schedulers' spread; ICMP error routing;
 * PTB generation; damaged packets never sent; non-VIP packets untouched.
 */
#include <arpa/inet.h>
#include <check.h>
#include <sched.h>
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
#include "lbfix.h"
#include "ckmain.h"

#define VIP4	"192.0.2.10"
#define VIP6	"2001:db8:1::10"
#define CLIENT4 "198.51.100.77"
#define CLIENT6 "2001:db8:c::77"

static struct lbfix fx;
static int prog;

static void setup(void)
{
	cpu_set_t one;

	/* one CPU: the per-CPU flow cache behaves as it does under RSS */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	ck_assert_int_eq(lbfix_open(&fx, 65536), 0);
	prog = shoal_dp_prog_fd(fx.dp);
}

static void teardown(void)
{
	lbfix_close(&fx);
}

static __u64 counter(__u32 idx)
{
	__u64 v = 0;

	ck_assert_int_eq(shoal_dp_counter(fx.dp, idx, &v), 0);
	return v;
}

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

/* ---- flow table ---- */

#define STICKY_FLOWS 2000

/* Waits past SHOAL_FLOW_TOUCH_JIFFIES at any HZ: the kernel's lowest is 100 (10 ms a jiffy). */
static void touch_interval_passes(void)
{
	usleep((SHOAL_FLOW_TOUCH_JIFFIES * 10 + 50) * 1000);
}

static int send_flow(const struct lbfix_vip *v, int i, __u8 flags)
{
	char src[64];
	struct pkt_spec s = { .src = src,
			      .dst = VIP4,
			      .sport = (__u16)(10000 + i % 50000),
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = flags };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len = sizeof(out);

	snprintf(src, sizeof(src), "198.51.%d.%d", 100 + (i / 50000) % 10, 1 + i % 200);
	in_len = pkt_build(&s, in, sizeof(in));
	if (lbfix_run(prog, in, in_len, out, &out_len) != XDP_TX)
		return -1;
	return lbfix_backend_of(v, out, out_len);
}

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

static void flow_key_of(const struct pkt_spec *s, struct shoal_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	ck_assert_int_eq(shoal_addr_parse(s->src, &k->src, NULL), 0);
	ck_assert_int_eq(shoal_addr_parse(s->dst, &k->dst, NULL), 0);
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
}

/* A deleted VIP's flows stop at once, though they sit in the flow table and cache. */
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

START_TEST(test_frag_needed_v4)
{
	struct lbfix_backend be = { "198.51.100.1", SHOAL_ENCAP_GUE, 1 };
	struct pkt_spec s = { .src = CLIENT4,
			      .dst = VIP4,
			      .sport = 40000,
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = PKT_TCP_ACK,
			      .payload = LBFIX_MTU - 40 };
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

static void vip_everywhere(struct lbfix_vip *v4t, struct lbfix_vip *v4u, struct lbfix_vip *v6t,
			   struct lbfix_vip *v6u)
{
	struct lbfix_backend be4 = { "198.51.100.1", 0, 1 }, be6 = { "2001:db8:b::1", 0, 1 };

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &be4, 1, 251, v4t), 0);
	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 53, IPPROTO_UDP, 0, 0, &be4, 1, 251, v4u), 0);
	ck_assert_int_eq(lbfix_vip_add(&fx, VIP6, 80, IPPROTO_TCP, 0, 0, &be6, 1, 251, v6t), 0);
	ck_assert_int_eq(lbfix_vip_add(&fx, VIP6, 53, IPPROTO_UDP, 0, 0, &be6, 1, 251, v6u), 0);
}

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

static Suite *lb_suite(void)
{
	Suite *s = suite_create("lb.bpf");
	TCase *tc;

	tc = tcase_create("encap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_encap, 0, sizeof(encap_cases) / sizeof(encap_cases[0]));
	tcase_add_test(tc, test_gue_sport_entropy);
	suite_add_tcase(s, tc);

	tc = tcase_create("flows");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_flow_sticky_after_backend_added);
	tcase_add_test(tc, test_flow_rescheduled_when_backend_removed);
	tcase_add_test(tc, test_syn_repeat_counted);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_vip_delete_stops_known_flows);
	tcase_add_test(tc, test_cached_flow_survives_eviction);
	tcase_add_test(tc, test_reused_tuple_after_fin_is_a_new_flow);
	tcase_add_test(tc, test_syn_without_fin_stays);
	tcase_add_test(tc, test_new_flow_overrides_stale_cache);
	suite_add_tcase(s, tc);

	tc = tcase_create("schedulers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_sched_spread, 0, sizeof(sched_cases) / sizeof(sched_cases[0]));
	tcase_add_test(tc, test_maglev_src_affinity);
	tcase_add_test(tc, test_two_hosts_agree);
	suite_add_tcase(s, tc);

	tc = tcase_create("icmp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_icmp_error_to_flow_backend, 0,
			    sizeof(icmp_cases) / sizeof(icmp_cases[0]));
	tcase_add_test(tc, test_icmp_error_unknown_flow_not_sent);
	tcase_add_test(tc, test_frag_needed_v4);
	tcase_add_test(tc, test_packet_too_big_v6);
	suite_add_tcase(s, tc);

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
	return s;
}

int main(void)
{
	return ckmain_run(lb_suite());
}
