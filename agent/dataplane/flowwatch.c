// SPDX-License-Identifier: GPL-2.0-only
/* See flowwatch.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"
#include "dataplane/dataplane.h"
#include "dataplane/flowwatch.h"

#define MAX_WAITERS 64

struct shoal_flowwatch {
	struct shoal_dp *dp;
	struct shoal_timer *slice;
	struct shoal_timer *period;
	struct shoal_timer *clock; /* the flow table's clock, published */
	__u64 slice_ns;
	__u64 last_done_ns;
	bool running;
	__u64 started, finished; /* walks */
	struct {
		void (*fn)(void *arg);
		void *arg;
		__u64 target; /* satisfied once finished reaches it */
	} waiters[MAX_WAITERS];
	size_t nwaiters;
};

static void walk_slice(void *arg)
{
	struct shoal_flowwatch *fw = arg;
	size_t i, n;
	int ret;

	if (!fw->running) {
		fw->running = true;
		fw->started++;
	}
	ret = shoal_dp_flow_walk_step(fw->dp, fw->slice_ns);
	if (ret > 0) {
		shoal_timer_arm(fw->slice, 0);
		return;
	}
	if (ret < 0)
		log_warn("counting the flow table: %s", strerror(-ret));
	fw->running = false;
	fw->last_done_ns = shoal_now_ns();
	fw->finished = fw->started;
	/* callbacks may add waiters: take the satisfied ones out first */
	n = fw->nwaiters;
	for (i = 0; i < n;) {
		if (fw->waiters[i].target > fw->finished) {
			i++;
			continue;
		}
		{
			void (*fn)(void *) = fw->waiters[i].fn;
			void *a = fw->waiters[i].arg;

			fw->waiters[i] = fw->waiters[--n];
			fw->nwaiters = n;
			if (fn)
				fn(a);
			n = fw->nwaiters;
		}
	}
	if (fw->nwaiters)
		shoal_timer_arm_once(fw->slice, 0);
}

static void clock_tick(void *arg)
{
	struct shoal_flowwatch *fw = arg;

	shoal_dp_flow_clock(fw->dp);
}

static void walk_start(void *arg)
{
	struct shoal_flowwatch *fw = arg;

	if (!fw->running)
		shoal_timer_arm_once(fw->slice, 0);
}

int shoal_flowwatch_open(struct shoal_loop *l, struct shoal_dp *dp, __u64 slice_ns,
			 struct shoal_flowwatch **ret)
{
	struct shoal_flowwatch *fw = calloc(1, sizeof(*fw));

	if (!fw)
		return -ENOMEM;
	fw->dp = dp;
	fw->slice_ns = slice_ns;
	fw->slice = shoal_timer_new(l, "flow-walk", walk_slice, fw);
	fw->period = shoal_timer_every(l, "flow-walk-start",
				       SHOAL_FLOWWATCH_PERIOD_SEC * 1000000ULL, walk_start, fw);
	/* a quarter tick: the program's clock lags the real one by at most that */
	fw->clock = shoal_timer_every(l, "flow-clock", (1ULL << SHOAL_FLOW_TICK_SHIFT) / 4000,
				      clock_tick, fw);
	if (!fw->slice || !fw->period || !fw->clock) {
		shoal_flowwatch_close(fw);
		return -ENOMEM;
	}
	shoal_timer_arm(fw->slice, 0); /* a first count at start */
	*ret = fw;
	return 0;
}

void shoal_flowwatch_close(struct shoal_flowwatch *fw)
{
	if (!fw)
		return;
	shoal_timer_free(fw->slice);
	shoal_timer_free(fw->period);
	shoal_timer_free(fw->clock);
	free(fw);
}

int shoal_flowwatch_fresh(struct shoal_flowwatch *fw, __u64 max_age_ns, void (*done)(void *arg),
			  void *arg)
{
	if (fw->last_done_ns && shoal_now_ns() - fw->last_done_ns <= max_age_ns)
		return 1;
	if (fw->nwaiters == MAX_WAITERS)
		return 1; /* enough are waiting: this one takes the count as it is */
	/* a walk under way may have passed the flows asked about: wait for the next */
	fw->waiters[fw->nwaiters].fn = done;
	fw->waiters[fw->nwaiters].arg = arg;
	fw->waiters[fw->nwaiters].target = fw->started + 1;
	fw->nwaiters++;
	walk_start(fw);
	return 0;
}

void shoal_flowwatch_forget(struct shoal_flowwatch *fw, void *arg)
{
	size_t i;

	for (i = 0; i < fw->nwaiters; i++)
		if (fw->waiters[i].arg == arg)
			fw->waiters[i].fn = NULL;
}
