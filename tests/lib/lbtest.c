// SPDX-License-Identifier: GPL-2.0-only
/* See lbtest.h. */
#include <arpa/inet.h>
#include <check.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "model/addr.h"
#include "lbtest.h"

struct lbfix fx;
int prog;

void setup(void)
{
	cpu_set_t one;

	/* one CPU: the per-CPU flow cache behaves as it does under RSS */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	ck_assert_int_eq(lbfix_open(&fx, 65536), 0);
	prog = shoal_dp_prog_fd(fx.dp);
}

void teardown(void)
{
	lbfix_close(&fx);
}

__u64 counter(__u32 idx)
{
	__u64 v = 0;

	ck_assert_int_eq(shoal_dp_counter(fx.dp, idx, &v), 0);
	return v;
}

static void send_flow_src(int i, char *src, size_t len)
{
	snprintf(src, len, "198.51.%d.%d", 100 + (i / 50000) % 10, 1 + i % 200);
}

void send_flow_key(int i, struct shoal_flow_key *k)
{
	char src[64];
	struct pkt_spec s = { .src = src,
			      .dst = VIP4,
			      .sport = (__u16)(10000 + i % 50000),
			      .dport = 80,
			      .proto = IPPROTO_TCP };

	send_flow_src(i, src, sizeof(src));
	flow_key_of(&s, k);
}

__u64 flow_state(const struct shoal_flow_key *k)
{
	__u64 e;

	if (shoal_dp_flow_find(fx.dp, k, &e))
		return SHOAL_FLOW_EMPTY;
	return e & SHOAL_FLOW_STATE_MASK;
}

void flow_age_by(const struct shoal_flow_key *k, __u32 ticks)
{
	__u64 *w = shoal_dp_flow_way(fx.dp, k), e;

	ck_assert_ptr_nonnull(w);
	e = *w;
	e &= ~(SHOAL_FLOW_TIME_MASK << SHOAL_FLOW_TIME_SHIFT);
	e |= (((__u64)SHOAL_FLOW_TICK(*w) - ticks) & SHOAL_FLOW_TIME_MASK) << SHOAL_FLOW_TIME_SHIFT;
	*w = e;
}

int send_flow(const struct lbfix_vip *v, int i, __u8 flags)
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

	send_flow_src(i, src, sizeof(src));
	in_len = pkt_build(&s, in, sizeof(in));
	if (lbfix_run(prog, in, in_len, out, &out_len) != XDP_TX)
		return -1;
	return lbfix_backend_of(v, out, out_len);
}

void flow_key_of(const struct pkt_spec *s, struct shoal_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	ck_assert_int_eq(shoal_addr_parse(s->src, &k->src, NULL), 0);
	ck_assert_int_eq(shoal_addr_parse(s->dst, &k->dst, NULL), 0);
	k->sport = htons(s->sport);
	k->dport = htons(s->dport);
	k->proto = s->proto;
}

void vip_everywhere(struct lbfix_vip *v4t, struct lbfix_vip *v4u, struct lbfix_vip *v6t,
		    struct lbfix_vip *v6u)
{
	struct lbfix_backend be4 = { "198.51.100.1", 0, 1 }, be6 = { "2001:db8:b::1", 0, 1 };

	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 80, IPPROTO_TCP, 0, 0, &be4, 1, 251, v4t), 0);
	ck_assert_int_eq(lbfix_vip_add(&fx, VIP4, 53, IPPROTO_UDP, 0, 0, &be4, 1, 251, v4u), 0);
	ck_assert_int_eq(lbfix_vip_add(&fx, VIP6, 80, IPPROTO_TCP, 0, 0, &be6, 1, 251, v6t), 0);
	ck_assert_int_eq(lbfix_vip_add(&fx, VIP6, 53, IPPROTO_UDP, 0, 0, &be6, 1, 251, v6u), 0);
}
