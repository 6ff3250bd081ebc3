// SPDX-License-Identifier: GPL-2.0-only
/* See loop.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "core/loop.h"

const double shoal_lag_bounds[SHOAL_LAG_BUCKETS] = { 0.001, 0.005, 0.01, 0.02, 0.05,
						     0.1,   0.25,  0.5,	 1,    5 };

struct shoal_loop {
	struct event_base *base;
	struct shoal_loop_stats st;
	size_t slowest; /* index in st.h, or SIZE_MAX */
};

struct shoal_timer {
	struct shoal_loop *loop;
	struct event *ev;
	const char *name;
	void (*fn)(void *arg);
	void *arg;
	__u64 due_ns;
	__u64 every_usec; /* 0: one-shot */
	bool armed;
};

__u64 shoal_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

int shoal_loop_new(struct shoal_loop **ret)
{
	struct shoal_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->base = event_base_new();
	if (!l->base) {
		free(l);
		return -ENOMEM;
	}
	l->slowest = SIZE_MAX;
	*ret = l;
	return 0;
}

void shoal_loop_free(struct shoal_loop *l)
{
	if (!l)
		return;
	event_base_free(l->base);
	free(l);
}

struct event_base *shoal_loop_base(struct shoal_loop *l)
{
	return l->base;
}

int shoal_loop_run(struct shoal_loop *l)
{
	return event_base_dispatch(l->base);
}

void shoal_loop_stop(struct shoal_loop *l)
{
	event_base_loopbreak(l->base);
}

const struct shoal_loop_stats *shoal_loop_stats(const struct shoal_loop *l)
{
	return &l->st;
}

const struct shoal_handler_stats *shoal_loop_slowest(const struct shoal_loop *l)
{
	return l->slowest == SIZE_MAX ? NULL : &l->st.h[l->slowest];
}

__u64 shoal_loop_enter(void)
{
	return shoal_now_ns();
}

void shoal_loop_leave(struct shoal_loop *l, const char *name, __u64 start)
{
	__u64 d = shoal_now_ns() - start;
	struct shoal_handler_stats *h = NULL;
	size_t i;

	for (i = 0; i < l->st.nh; i++) {
		if (l->st.h[i].name == name || !strcmp(l->st.h[i].name, name)) {
			h = &l->st.h[i];
			break;
		}
	}
	if (!h) {
		if (l->st.nh == SHOAL_LOOP_HANDLERS)
			i = SHOAL_LOOP_HANDLERS - 1; /* the last slot takes the rest */
		else
			l->st.h[l->st.nh++].name = name;
		h = &l->st.h[i];
	}
	h->calls++;
	h->total_ns += d;
	if (d > h->max_ns)
		h->max_ns = d;
	if (l->slowest == SIZE_MAX || h->max_ns > l->st.h[l->slowest].max_ns)
		l->slowest = (size_t)(h - l->st.h);
}

static void lag_record(struct shoal_loop *l, __u64 due_ns, __u64 now)
{
	double lag = now > due_ns ? (double)(now - due_ns) / 1e9 : 0;
	size_t i;

	l->st.lag_count++;
	l->st.lag_sum += lag;
	for (i = 0; i < SHOAL_LAG_BUCKETS; i++)
		if (lag <= shoal_lag_bounds[i])
			l->st.lag_le[i]++;
	l->st.lag_le[SHOAL_LAG_BUCKETS]++;
}

static void timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct shoal_timer *t = arg;
	__u64 start = shoal_loop_enter();
	/* fn may free its own timer */
	struct shoal_loop *loop = t->loop;
	const char *name = t->name;

	(void)fd;
	(void)what;
	lag_record(t->loop, t->due_ns, start);
	if (t->every_usec) {
		t->due_ns += t->every_usec * 1000;
		/* a loop late by more than a period does not run the handler twice */
		if (t->due_ns < start)
			t->due_ns = start + t->every_usec * 1000;
		shoal_timer_arm(t, (t->due_ns - start) / 1000);
	} else {
		t->armed = false;
	}
	t->fn(t->arg);
	shoal_loop_leave(loop, name, start);
}

struct shoal_timer *shoal_timer_new(struct shoal_loop *l, const char *name, void (*fn)(void *arg),
				    void *arg)
{
	struct shoal_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->loop = l;
	t->name = name;
	t->fn = fn;
	t->arg = arg;
	t->ev = evtimer_new(l->base, timer_fire, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	return t;
}

void shoal_timer_arm(struct shoal_timer *t, __u64 usec)
{
	struct timeval tv = { (time_t)(usec / 1000000), (suseconds_t)(usec % 1000000) };
	__u64 now = shoal_now_ns();

	if (!t->every_usec || !t->armed)
		t->due_ns = now + usec * 1000;
	t->armed = true;
	evtimer_add(t->ev, &tv);
}

void shoal_timer_arm_once(struct shoal_timer *t, __u64 usec)
{
	if (!t->armed)
		shoal_timer_arm(t, usec);
}

bool shoal_timer_armed(const struct shoal_timer *t)
{
	return t && t->armed;
}

void shoal_timer_cancel(struct shoal_timer *t)
{
	if (!t)
		return;
	evtimer_del(t->ev);
	t->armed = false;
}

void shoal_timer_free(struct shoal_timer *t)
{
	if (!t)
		return;
	event_free(t->ev);
	free(t);
}

struct shoal_timer *shoal_timer_every(struct shoal_loop *l, const char *name, __u64 usec,
				      void (*fn)(void *arg), void *arg)
{
	struct shoal_timer *t = shoal_timer_new(l, name, fn, arg);

	if (!t)
		return NULL;
	t->every_usec = usec ? usec : 1;
	t->due_ns = shoal_now_ns() + usec * 1000;
	t->armed = true;
	{
		struct timeval tv = { (time_t)(usec / 1000000), (suseconds_t)(usec % 1000000) };

		evtimer_add(t->ev, &tv);
	}
	return t;
}
