/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the suites of build/lb.bpf.o share: a balancer loaded afresh for
 * every test (pinned to one CPU, as under RSS), its counters, and packets of the usual shapes.
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
/* TCP packet of client i to VIP4:80 with flags; the backend index in v it went to, or -1. */
int send_flow(const struct lbfix_vip *v, int i, __u8 flags);
/* The 5-tuple of send_flow's client i. */
void send_flow_key(int i, struct shoal_flow_key *k);
void flow_key_of(const struct pkt_spec *s, struct shoal_flow_key *k);
/* The state (SHOAL_FLOW_*) of k's live entry, 0 (SHOAL_FLOW_EMPTY) if none. */
__u64 flow_state(const struct shoal_flow_key *k);
/* Makes k's entry (which must exist) look idle for ticks more. */
void flow_age_by(const struct shoal_flow_key *k, __u32 ticks);
/* VIP4 and VIP6, TCP 80 and UDP 53 each, one backend each. */
void vip_everywhere(struct lbfix_vip *v4t, struct lbfix_vip *v4u, struct lbfix_vip *v6t,
		    struct lbfix_vip *v6u);

#endif /* SHOAL_LBTEST_H */
