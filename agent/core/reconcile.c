// SPDX-License-Identifier: GPL-2.0-only
/* See reconcile.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/loop.h"
#include "core/reconcile.h"

struct waiter {
	shoal_reconcile_done_fn fn;
	void *arg;
	struct waiter *next;
};

struct shoal_reconcile {
	const struct shoal_reconcile_ops *ops;
	void *arg;
	struct shoal_timer *timer;
	__u64 slice_ns;
	bool running;
	bool requested;		/* a request came: run (again) */
	struct waiter *current; /* served by the running job */
	struct waiter *next;	/* served by the next job */
	__u64 runs;
	int errors;
};

static void waiters_done(struct waiter *w, int errors)
{
	while (w) {
		struct waiter *n = w->next;

		if (w->fn)
			w->fn(w->arg, errors);
		free(w);
		w = n;
	}
}

static void reconcile_run(void *arg)
{
	struct shoal_reconcile *r = arg;
	struct waiter *served;

	if (!r->running) {
		r->requested = false;
		r->current = r->next;
		r->next = NULL;
		r->errors = 0;
		if (r->ops->begin(r->arg)) {
			r->errors = 1;
			goto finish;
		}
		r->running = true;
	}
	if (r->ops->step(r->arg, r->slice_ns) > 0) {
		shoal_timer_arm(r->timer, 0); /* the rest in a later slice */
		return;
	}
	r->errors = r->ops->end(r->arg);
	r->running = false;
finish:
	r->runs++;
	served = r->current;
	r->current = NULL;
	if (r->requested)
		shoal_timer_arm_once(r->timer, 0);
	waiters_done(served, r->errors);
}

int shoal_reconcile_new(struct shoal_loop *l, const struct shoal_reconcile_ops *ops, void *arg,
			__u64 slice_ns, struct shoal_reconcile **ret)
{
	struct shoal_reconcile *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->ops = ops;
	r->arg = arg;
	r->slice_ns = slice_ns;
	r->timer = shoal_timer_new(l, "reconcile", reconcile_run, r);
	if (!r->timer) {
		free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

static void waiters_free(struct waiter *w)
{
	while (w) {
		struct waiter *n = w->next;

		free(w);
		w = n;
	}
}

void shoal_reconcile_free(struct shoal_reconcile *r)
{
	if (!r)
		return;
	if (r->running)
		r->ops->end(r->arg);
	shoal_timer_free(r->timer);
	waiters_free(r->current);
	waiters_free(r->next);
	free(r);
}

int shoal_reconcile_request(struct shoal_reconcile *r, shoal_reconcile_done_fn done, void *arg)
{
	if (done) {
		struct waiter *w = calloc(1, sizeof(*w)), **p = &r->next;

		if (!w)
			return -ENOMEM;
		w->fn = done;
		w->arg = arg;
		while (*p)
			p = &(*p)->next;
		*p = w;
	}
	r->requested = true;
	if (!r->running)
		shoal_timer_arm_once(r->timer, 0);
	return 0;
}

static void forget(struct waiter *w, void *arg)
{
	for (; w; w = w->next)
		if (w->arg == arg)
			w->fn = NULL;
}

void shoal_reconcile_forget(struct shoal_reconcile *r, void *arg)
{
	forget(r->current, arg);
	forget(r->next, arg);
}

__u64 shoal_reconcile_runs(const struct shoal_reconcile *r)
{
	return r->runs;
}

int shoal_reconcile_busy(const struct shoal_reconcile *r)
{
	return r->running || r->requested;
}
