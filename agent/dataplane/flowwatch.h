/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keeps the flow-table counts fresh without holding the loop: a walk runs
 * in slices every SHOAL_FLOWWATCH_PERIOD_SEC, or sooner when someone asks
 * for a count younger than the last one (lbctl status).
 */
#ifndef SHOAL_DP_FLOWWATCH_H
#define SHOAL_DP_FLOWWATCH_H

#include <linux/types.h>

#define SHOAL_FLOWWATCH_PERIOD_SEC 10

struct shoal_loop;
struct shoal_dp;
struct shoal_flowwatch;

int shoal_flowwatch_open(struct shoal_loop *l, struct shoal_dp *dp, __u64 slice_ns,
			 struct shoal_flowwatch **ret);
void shoal_flowwatch_close(struct shoal_flowwatch *fw);
/*
 * 1 when the last count is at most max_age_ns old; else starts a walk (if
 * none runs), returns 0 and calls done(arg) once one has completed.
 */
int shoal_flowwatch_fresh(struct shoal_flowwatch *fw, __u64 max_age_ns, void (*done)(void *arg),
			  void *arg);
void shoal_flowwatch_forget(struct shoal_flowwatch *fw, void *arg);

#endif /* SHOAL_DP_FLOWWATCH_H */
