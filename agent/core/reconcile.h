/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reconcile scheduling: inputs edit the desired state and request a
 * reconcile; one deferred job then makes the outputs follow, so a burst of
 * requests (ten lbctl calls, a flap storm, a watch burst) makes one apply.
 * The job runs in slices (its step is called until it says it is done), and
 * a request that comes while a job runs is served by the next one. Whoever
 * must know when its change is in place passes a done callback.
 */
#ifndef SHOAL_CORE_RECONCILE_H
#define SHOAL_CORE_RECONCILE_H

#include <linux/types.h>

struct shoal_loop;
struct shoal_reconcile;

struct shoal_reconcile_ops {
	/* Starts a job over the state as it is now; 0 or -errno. */
	int (*begin)(void *arg);
	/* Does at most budget_ns of work; 1: more to do, 0: done. */
	int (*step)(void *arg, __u64 budget_ns);
	/* Ends the job; returns how many writes failed. */
	int (*end)(void *arg);
};

typedef void (*shoal_reconcile_done_fn)(void *arg, int errors);

int shoal_reconcile_new(struct shoal_loop *l, const struct shoal_reconcile_ops *ops, void *arg,
			__u64 slice_ns, struct shoal_reconcile **ret);
void shoal_reconcile_free(struct shoal_reconcile *r);
/* Asks for a reconcile; done (may be NULL) runs once it has applied this request. */
int shoal_reconcile_request(struct shoal_reconcile *r, shoal_reconcile_done_fn done, void *arg);
/* Forgets the done callbacks registered with arg (its owner is going away). */
void shoal_reconcile_forget(struct shoal_reconcile *r, void *arg);
/* Jobs run since start, and whether one is running or asked for. */
__u64 shoal_reconcile_runs(const struct shoal_reconcile *r);
int shoal_reconcile_busy(const struct shoal_reconcile *r);

#endif /* SHOAL_CORE_RECONCILE_H */
