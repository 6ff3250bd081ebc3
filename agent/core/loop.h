/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's one loop (libevent, one thread) and how it watches itself:
 * every handler is timed (the slowest is kept, by name) and every timer
 * records how late it fired (a histogram: the loop's lag). A handler that
 * has more to do arms a timer of 0 and returns, so no handler holds the
 * loop for long.
 */
#ifndef SHOAL_CORE_LOOP_H
#define SHOAL_CORE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct event_base;
struct shoal_loop;
struct shoal_timer;

/* Upper bounds (seconds) of the lag histogram's buckets; +Inf follows. */
#define SHOAL_LAG_BUCKETS 10
extern const double shoal_lag_bounds[SHOAL_LAG_BUCKETS];

#define SHOAL_LOOP_HANDLERS 32 /* distinct handler names kept */

struct shoal_handler_stats {
	const char *name; /* a static string */
	__u64 calls;
	__u64 total_ns;
	__u64 max_ns;
};

struct shoal_loop_stats {
	__u64 lag_count;		     /* timers fired */
	double lag_sum;			     /* seconds */
	__u64 lag_le[SHOAL_LAG_BUCKETS + 1]; /* cumulative, last is +Inf */
	struct shoal_handler_stats h[SHOAL_LOOP_HANDLERS];
	size_t nh;
};

int shoal_loop_new(struct shoal_loop **ret);
void shoal_loop_free(struct shoal_loop *l);
struct event_base *shoal_loop_base(struct shoal_loop *l);
int shoal_loop_run(struct shoal_loop *l);
void shoal_loop_stop(struct shoal_loop *l);
const struct shoal_loop_stats *shoal_loop_stats(const struct shoal_loop *l);
/* The handler with the longest single run so far (NULL before any). */
const struct shoal_handler_stats *shoal_loop_slowest(const struct shoal_loop *l);

/* Monotonic time in nanoseconds. */
__u64 shoal_now_ns(void);

/*
 * Brackets a handler run: shoal_loop_enter() returns a start time for
 * shoal_loop_leave(), which books the run under name (a static string).
 */
__u64 shoal_loop_enter(void);
void shoal_loop_leave(struct shoal_loop *l, const char *name, __u64 start);

/* A one-shot timer; name (static) labels its handler. Its handler may free it. */
struct shoal_timer *shoal_timer_new(struct shoal_loop *l, const char *name, void (*fn)(void *arg),
				    void *arg);
/* (Re)arms t to fire after usec; 0: on the next loop iteration. */
void shoal_timer_arm(struct shoal_timer *t, __u64 usec);
/* Arms t unless it is already armed (a burst of requests makes one run). */
void shoal_timer_arm_once(struct shoal_timer *t, __u64 usec);
bool shoal_timer_armed(const struct shoal_timer *t);
void shoal_timer_cancel(struct shoal_timer *t);
void shoal_timer_free(struct shoal_timer *t);

/* A persistent timer: fn every usec (re-armed before fn runs). */
struct shoal_timer *shoal_timer_every(struct shoal_loop *l, const char *name, __u64 usec,
				      void (*fn)(void *arg), void *arg);

#endif /* SHOAL_CORE_LOOP_H */
