/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A loaded balancer with a standard host config, and helpers to add VIPs with
 * backends (tables built by the real Maglev code) and to run packets through
 * the program with BPF_PROG_TEST_RUN.
 */
#ifndef SHOAL_LBFIX_H
#define SHOAL_LBFIX_H

#include <stdbool.h>
#include <stddef.h>
#include "dataplane/dataplane.h"
#include "model/maglev.h"
#include "pktgen.h"

#define LBFIX_GUE_PORT 6080
#define LBFIX_MTU      1500
#define LBFIX_SRC4     "203.0.113.1"
#define LBFIX_SRC6     "2001:db8:ff::1"
#define LBFIX_MAX_BE   128

extern const __u8 lbfix_gw_mac[6];

struct lbfix_backend {
	const char *addr;
	__u8 encap;   /* enum shoal_encap */
	__u32 weight; /* 0 means 1 */
};

struct lbfix_vip {
	__u32 id;
	struct shoal_vip_key key;
	struct shoal_vip vip;
	size_t nbe;
	struct maglev_backend be[LBFIX_MAX_BE];
	__u32 table_size;
};

struct lbfix {
	struct shoal_dp *dp;
	__u32 next_vip_id;
	__u32 next_be_id;
};

int lbfix_open(struct lbfix *f, __u32 flow_entries);
/* The fixture's host config again, with a too-big reply limit (0: none). */
int lbfix_set_host(struct lbfix *f, __u32 icmp_rate, __u32 icmp_burst);
void lbfix_close(struct lbfix *f);

/* Adds VIP addr:port/proto with backends; table_size 0 means 65537. */
int lbfix_vip_add(struct lbfix *f, const char *addr, __u16 port, __u8 proto, __u8 sched,
		  __u32 flags, const struct lbfix_backend *bes, size_t nbe, __u32 table_size,
		  struct lbfix_vip *ret);
/* Rebuilds v's table with v->be[] (weights 0 leave the table) and swaps it in. */
int lbfix_vip_retable(struct lbfix *f, struct lbfix_vip *v);
/* Appends a backend to v (not yet in its table). */
int lbfix_vip_backend_add(struct lbfix *f, struct lbfix_vip *v, const struct lbfix_backend *b);

/* Runs frame through prog_fd; out gets the result. Returns the verdict or < 0. */
int lbfix_run(int prog_fd, const void *in, size_t in_len, void *out, size_t *out_len);
/* The backend index in v->be[] whose address is the outer destination of out, or -1. */
int lbfix_backend_of(const struct lbfix_vip *v, const __u8 *out, size_t len);

#endif /* SHOAL_LBFIX_H */
