/* SPDX-License-Identifier: GPL-2.0-only */
/* What lbbench's files share: the set-up sizes and the measuring helpers (lbbench_run.c). */
#ifndef SHOAL_LBBENCH_H
#define SHOAL_LBBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define NVIPS	      100
#define NBACKENDS     100
#define DEFAULT_FLOWS (1U << 20)
#define WARMUP	      1000

#define MAX_RUNS  15
#define MAX_CASES 32

struct result {
	char name[48];
	__u64 min_ns, median_ns, floor_ns, floor_min_ns;
	__u64 above_ns; /* median over runs of (median - floor) */
};

int cmp_u64(const void *a, const void *b);
/* One test run of repeat runs; returns the kernel's mean duration (ns) or 0 on error. */
__u64 run_once(int fd, const void *in, __u32 len, void *out, __u32 out_cap, __u32 *verdict);
/* Varies the packet's source port and address, so every call is a new flow. */
void vary_flow(__u8 *pkt, size_t len, __u32 n);
/*
 * Cold: calls of one packet each (repeat=1) through prog, each followed by one
 * of the floor; new_flows varies the 5-tuple on every call.
 */
int measure(const char *name, int prog, int floor_prog, const __u8 *pkt, size_t len,
	    bool new_flows, __u32 expect, __u32 calls, struct result *r);
/*
 * Warm: through bench_warm.bpf.o, which restores the frame before each run
 * and tail-calls its prog slot 0 (wrap) or 1 (wrap_floor): calls of repeat
 * packets each; new_flows gives every packet its own source address.
 */
struct bench_warm_bpf;
int measure_warm(const char *name, struct bench_warm_bpf *w, int prog, int floor_prog,
		 const __u8 *pkt, size_t len, bool new_flows, __u32 expect, __u32 calls,
		 __u32 repeat, struct result *r);
/* The warm wrapper set to run pkt through prog (slot 0) and floor_prog (1); then runs of repeat. */
int warm_prepare(struct bench_warm_bpf *w, int prog, int floor_prog, const __u8 *pkt, size_t len,
		 bool new_flows);
__u64 warm_run(struct bench_warm_bpf *w, bool floor, __u32 repeat, __u32 *verdict);
/* Case c's figures, each the median over the runs (all[run][case]). */
void median_over_runs(struct result all[][MAX_CASES], int runs, int c, struct result *ret);
void print_results(const struct result *r, int n, bool json);
int pin_cpu(int cpu);

struct lbfix;
struct lbfix_vip;
/* VIP i's address: 70 IPv4, then IPv6. */
const char *vip_addr(int i, char *buf, size_t len);
/* 40 TCP and 30 UDP IPv4 VIPs, 30 TCP IPv6 VIPs; 100 backends each. */
int setup_vips(struct lbfix *f, struct lbfix_vip *vips, __u8 encap);
/* Fills n ways of the flow table with live flows of the v4 TCP VIPs' backends. */
int prefill_flows(struct lbfix *f, struct lbfix_vip *vips, __u32 n);

int bench_dataplane(bool json, __u32 calls, int cpu, __u32 flows, int runs, const char *old);
int bench_flood(bool json, int cpu, const char *old);
int fill_flows(const char *path, __u32 n);
int bench_memory(bool json, int cpu);

#endif /* SHOAL_LBBENCH_H */
