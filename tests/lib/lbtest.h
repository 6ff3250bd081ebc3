/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the suites of build/lb.bpf.o share: a balancer loaded afresh for
 * every test (pinned to one CPU, so the per-CPU flow cache behaves as under
 * RSS), its counters, and packets of the usual shapes.
 */
#ifndef SHOAL_LBTEST_H
#define SHOAL_LBTEST_H

#include "lbfix.h"

#define VIP4	"192.0.2.10"
#define VIP6	"2001:db8:1::10"
#define CLIENT4 "198.51.100.77"
#define CLIENT6 "2001:db8:c::77"

extern struct lbfix fx;
extern int prog;

/* The checked fixture of every case. */
void setup(void);
void teardown(void);
/* A global counter (SHOAL_CNT_*) summed over CPUs. */
__u64 counter(__u32 idx);
/* Waits past SHOAL_FLOW_TOUCH_JIFFIES at any HZ. */
void touch_interval_passes(void);
/* TCP packet of client i to VIP4:80 with flags; the backend index in v it went to, or -1. */
int send_flow(const struct lbfix_vip *v, int i, __u8 flags);
void flow_key_of(const struct pkt_spec *s, struct shoal_flow_key *k);
/* VIP4 and VIP6, TCP 80 and UDP 53 each, one backend each. */
void vip_everywhere(struct lbfix_vip *v4t, struct lbfix_vip *v4u, struct lbfix_vip *v6t,
		    struct lbfix_vip *v6u);

#endif /* SHOAL_LBTEST_H */
