// SPDX-License-Identifier: GPL-2.0-only
/*
 * agent/core/reconcile.c and loop.c on a real libevent loop: a burst of
 * requests makes one job, a request during a job makes one more, jobs run in
 * slices, done callbacks learn the result, timers record their lag.
 */
#include <check.h>
#include <stdbool.h>
#include <string.h>
#include <event2/event.h>

#include "ckmain.h"
#include "core/loop.h"
#include "core/reconcile.h"

struct job {
	struct shoal_loop *loop;
	struct shoal_reconcile *r;
	int begins, steps, ends;
	int slices; /* steps each job takes */
	int left;
	int fail_writes;     /* what end returns */
	int request_in_step; /* ask again from inside the first job's first step */
};

static int j_begin(void *arg)
{
	struct job *j = arg;

	j->begins++;
	j->left = j->slices;
	return 0;
}

static int j_step(void *arg, __u64 budget)
{
	struct job *j = arg;

	(void)budget;
	j->steps++;
	if (j->request_in_step && j->begins == 1 && j->steps == 1)
		shoal_reconcile_request(j->r, NULL, NULL);
	return --j->left > 0;
}

static int j_end(void *arg)
{
	struct job *j = arg;

	j->ends++;
	return j->fail_writes;
}

static const struct shoal_reconcile_ops ops = { j_begin, j_step, j_end };

struct waiter {
	int called;
	int errors;
};

static void on_done(void *arg, int errors)
{
	struct waiter *w = arg;

	w->called++;
	w->errors = errors;
}

static void stop_when_idle(void *arg)
{
	struct job *j = arg;

	if (!shoal_reconcile_busy(j->r))
		shoal_loop_stop(j->loop);
}

static void run(struct job *j)
{
	struct shoal_timer *t = shoal_timer_every(j->loop, "test-stop", 1000, stop_when_idle, j);

	ck_assert_ptr_nonnull(t);
	shoal_loop_run(j->loop);
	shoal_timer_free(t);
}

static void job_open(struct job *j, int slices)
{
	memset(j, 0, sizeof(*j));
	j->slices = slices;
	ck_assert_int_eq(shoal_loop_new(&j->loop), 0);
	ck_assert_int_eq(shoal_reconcile_new(j->loop, &ops, j, 1000, &j->r), 0);
}

static void job_close(struct job *j)
{
	shoal_reconcile_free(j->r);
	shoal_loop_free(j->loop);
}

START_TEST(test_burst_makes_one_job)
{
	struct waiter w[10] = { 0 };
	struct job j;
	int i;

	job_open(&j, 3);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(shoal_reconcile_request(j.r, on_done, &w[i]), 0);
	run(&j);
	ck_assert_int_eq(j.begins, 1);
	ck_assert_int_eq(j.steps, 3); /* in three slices, each a loop iteration */
	ck_assert_int_eq(j.ends, 1);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(w[i].called, 1);
	ck_assert_uint_eq(shoal_reconcile_runs(j.r), 1);
	job_close(&j);
}
END_TEST

START_TEST(test_request_during_job_runs_again)
{
	struct job j;

	job_open(&j, 2);
	j.request_in_step = 1;
	shoal_reconcile_request(j.r, NULL, NULL);
	run(&j);
	ck_assert_int_eq(j.begins, 2);
	ck_assert_int_eq(j.ends, 2);
	job_close(&j);
}
END_TEST

START_TEST(test_done_gets_errors_and_forget)
{
	struct waiter a = { 0 }, b = { 0 };
	struct job j;

	job_open(&j, 1);
	j.fail_writes = 3;
	shoal_reconcile_request(j.r, on_done, &a);
	shoal_reconcile_request(j.r, on_done, &b);
	shoal_reconcile_forget(j.r, &b); /* b went away before the job ran */
	run(&j);
	ck_assert_int_eq(a.called, 1);
	ck_assert_int_eq(a.errors, 3);
	ck_assert_int_eq(b.called, 0);
	job_close(&j);
}
END_TEST

static void busy_handler(void *arg)
{
	__u64 until = shoal_now_ns() + 30 * 1000000ULL;

	(void)arg;
	while (shoal_now_ns() < until)
		;
}

static void stop_loop(void *arg)
{
	shoal_loop_stop(arg);
}

/* A handler that holds the loop for 30 ms shows as the slowest, and as lag. */
START_TEST(test_loop_measures_itself)
{
	struct shoal_loop *l;
	struct shoal_timer *busy, *victim, *stop;
	const struct shoal_loop_stats *st;

	ck_assert_int_eq(shoal_loop_new(&l), 0);
	busy = shoal_timer_new(l, "busy", busy_handler, NULL);
	victim = shoal_timer_new(l, "victim", busy_handler, NULL);
	stop = shoal_timer_new(l, "stop", stop_loop, l);
	shoal_timer_arm(busy, 1000);
	shoal_timer_arm(victim, 2000); /* due while busy still runs */
	shoal_timer_arm(stop, 100000);
	shoal_loop_run(l);
	st = shoal_loop_stats(l);
	ck_assert_uint_eq(st->lag_count, 3);
	/* the victim fired at least ~29 ms late: above the 20 ms bucket */
	ck_assert_uint_le(st->lag_le[3], 2);
	ck_assert_ptr_nonnull(shoal_loop_slowest(l));
	ck_assert_uint_ge(shoal_loop_slowest(l)->max_ns, 30 * 1000000ULL);
	shoal_timer_free(busy);
	shoal_timer_free(victim);
	shoal_timer_free(stop);
	shoal_loop_free(l);
}
END_TEST

static struct shoal_timer *self_t;

static void free_self(void *arg)
{
	shoal_timer_free(self_t);
	self_t = NULL;
	shoal_loop_stop(arg);
}

/* A handler may free its own timer (a finished scrape or stream does). */
START_TEST(test_timer_frees_itself)
{
	struct shoal_loop *l;

	ck_assert_int_eq(shoal_loop_new(&l), 0);
	self_t = shoal_timer_new(l, "self", free_self, l);
	shoal_timer_arm(self_t, 0);
	shoal_loop_run(l);
	ck_assert_ptr_null(self_t);
	ck_assert_uint_eq(shoal_loop_stats(l)->h[0].calls, 1);
	shoal_loop_free(l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reconcile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_burst_makes_one_job);
	tcase_add_test(tc, test_request_during_job_runs_again);
	tcase_add_test(tc, test_done_gets_errors_and_forget);
	tcase_add_test(tc, test_loop_measures_itself);
	tcase_add_test(tc, test_timer_frees_itself);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
