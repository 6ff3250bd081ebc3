// SPDX-License-Identifier: GPL-2.0-only
/*
 * agent/model/health.c and checkwire.c: the rise/fall machine, slow start,
 * panic, jitter, the passive window, agent-check lines, availability, and
 * the HTTP and DNS bytes a check reads.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ckmain.h"
#include "model/checkwire.h"
#include "model/health.h"

#define MS 1000000ULL
#define S  1000000000ULL

/* ---- rise/fall ---- */

struct step {
	bool ok;
	enum shoal_transition want;
	const char *desc; /* after the step */
};

static void run_steps(enum shoal_health_state start, const struct step *st, size_t n, __u32 rise,
		      __u32 fall)
{
	struct shoal_hstate h;
	char buf[32];
	size_t i;

	shoal_hstate_init(&h, start, 1);
	for (i = 0; i < n; i++) {
		enum shoal_transition t = shoal_hstate_result(&h, st[i].ok, rise, fall, 10 + i);

		ck_assert_msg(t == st[i].want, "step %zu: transition %d, want %d", i, t,
			      st[i].want);
		ck_assert_str_eq(shoal_hstate_describe(&h, rise, fall, buf, sizeof(buf)),
				 st[i].desc);
	}
}

START_TEST(test_unknown_confirmed_by_one_success)
{
	/* a restarted agent: unknown serves, one success confirms, no ramp */
	static const struct step st[] = { { true, SHOAL_TRANS_UP, "up" } };
	struct shoal_hstate h;

	run_steps(SHOAL_HEALTH_UNKNOWN, st, 1, 2, 3);
	shoal_hstate_init(&h, SHOAL_HEALTH_UNKNOWN, 1);
	shoal_hstate_result(&h, true, 2, 3, 5);
	ck_assert_uint_eq(h.up_since_ns, 0);
}
END_TEST

START_TEST(test_unknown_needs_fall_failures)
{
	static const struct step st[] = { { false, SHOAL_TRANS_NONE, "falling 1/3" },
					  { false, SHOAL_TRANS_NONE, "falling 2/3" },
					  { false, SHOAL_TRANS_DOWN, "down" } };

	run_steps(SHOAL_HEALTH_UNKNOWN, st, 3, 2, 3);
}
END_TEST

START_TEST(test_flapping_never_moves)
{
	/* one failure then a success, over and over: never down with fall 3 */
	struct step st[20];
	size_t i;

	for (i = 0; i < 20; i++) {
		st[i].ok = i % 2;
		st[i].want = i == 1 ? SHOAL_TRANS_UP : SHOAL_TRANS_NONE;
		st[i].desc = i % 2 ? "up" : (i == 0 ? "falling 1/3" : "falling 1/3");
	}
	st[0].want = SHOAL_TRANS_NONE;
	run_steps(SHOAL_HEALTH_UNKNOWN, st, 20, 2, 3);
}
END_TEST

START_TEST(test_down_rises_after_rise_successes)
{
	static const struct step st[] = {
		{ true, SHOAL_TRANS_NONE, "rising 1/2" },   { false, SHOAL_TRANS_NONE, "down" },
		{ true, SHOAL_TRANS_NONE, "rising 1/2" },   { true, SHOAL_TRANS_UP, "up" },
		{ false, SHOAL_TRANS_NONE, "falling 1/2" }, { false, SHOAL_TRANS_DOWN, "down" }
	};
	struct shoal_hstate h;

	run_steps(SHOAL_HEALTH_DOWN, st, 6, 2, 2);
	/* coming up from down starts the slow-start clock */
	shoal_hstate_init(&h, SHOAL_HEALTH_DOWN, 1);
	shoal_hstate_result(&h, true, 1, 3, 77);
	ck_assert_uint_eq(h.up_since_ns, 77);
}
END_TEST

/* The labels metrics carry follow the machine: one name table for them. */
START_TEST(test_labels_follow_the_machine)
{
	struct shoal_hstate h;

	shoal_hstate_init(&h, SHOAL_HEALTH_UNKNOWN, 1);
	ck_assert_str_eq(shoal_health_label_name(shoal_hstate_label(&h)), "unknown");
	shoal_hstate_result(&h, true, 2, 2, 2);
	ck_assert_str_eq(shoal_health_label_name(shoal_hstate_label(&h)), "up");
	shoal_hstate_result(&h, false, 2, 2, 3);
	ck_assert_str_eq(shoal_health_label_name(shoal_hstate_label(&h)), "falling");
	shoal_hstate_result(&h, false, 2, 2, 4);
	ck_assert_str_eq(shoal_health_label_name(shoal_hstate_label(&h)), "down");
	shoal_hstate_result(&h, true, 2, 2, 5);
	ck_assert_str_eq(shoal_health_label_name(shoal_hstate_label(&h)), "rising");
	ck_assert_str_eq(shoal_health_label_name(SHOAL_HL_UNCHECKED), "unchecked");
	ck_assert_str_eq(shoal_health_label_name(SHOAL_HL_MAX), "?");
}
END_TEST

/* ---- slow start, panic, jitter ---- */

START_TEST(test_slow_start_ramps_in_tenths)
{
	ck_assert_uint_eq(shoal_slow_start_permille(0, 5 * S, 30000), 1000);
	ck_assert_uint_eq(shoal_slow_start_permille(1 * S, 50 * S, 0), 1000);
	ck_assert_uint_eq(shoal_slow_start_permille(10 * S, 10 * S, 30000), 100);
	ck_assert_uint_eq(shoal_slow_start_permille(10 * S, 13 * S, 30000), 200);
	ck_assert_uint_eq(shoal_slow_start_permille(10 * S, 25 * S, 30000), 600);
	ck_assert_uint_eq(shoal_slow_start_permille(10 * S, 39 * S + 999 * MS, 30000), 1000);
	ck_assert_uint_eq(shoal_slow_start_permille(10 * S, 40 * S, 30000), 1000);
}
END_TEST

START_TEST(test_panic_threshold)
{
	ck_assert(!shoal_panic(0, 0, 50));  /* nothing active: nothing to panic about */
	ck_assert(!shoal_panic(5, 10, 50)); /* exactly half: not below */
	ck_assert(shoal_panic(4, 10, 50));
	ck_assert(shoal_panic(0, 3, 50));
	ck_assert(!shoal_panic(0, 3, 0)); /* 0%: panic off */
	ck_assert(shoal_panic(9, 10, 100));
}
END_TEST

START_TEST(test_jitter_bounds_and_spread)
{
	__u64 lo = ~0ULL, hi = 0, o;
	__u32 r, buckets[10] = { 0 }, i;

	for (r = 0; r < 100000; r++) {
		__u64 n = shoal_check_next_ns(2000, 10, r * 2654435761U);

		lo = n < lo ? n : lo;
		hi = n > hi ? n : hi;
	}
	ck_assert_uint_ge(lo, 1800 * MS);
	ck_assert_uint_le(hi, 2200 * MS);
	ck_assert_uint_lt(lo, 1810 * MS);
	ck_assert_uint_gt(hi, 2190 * MS);
	ck_assert_uint_eq(shoal_check_next_ns(2000, 0, 12345), 2000 * MS);
	/* start offsets: inside the interval, and spread (no lock-step) */
	for (i = 0; i < 1000; i++) {
		o = shoal_check_offset_ns(i, 1000);
		ck_assert_uint_lt(o, 1000 * MS);
		buckets[o / (100 * MS)]++;
	}
	for (i = 0; i < 10; i++)
		ck_assert_msg(buckets[i] > 50 && buckets[i] < 150, "tenth %u holds %u", i,
			      buckets[i]);
}
END_TEST

/* ---- passive ---- */

START_TEST(test_passive_window)
{
	struct shoal_passive_conf c = {
		.on = true, .window_ms = 10000, .min_syns = 20, .ratio_pct = 30
	};
	struct shoal_passive p = { 0 };
	char why[96];

	ck_assert(!shoal_passive_sample(&p, &c, 100, 0, 0, why, sizeof(why)));
	/* many flows, few repeats: fine */
	ck_assert(!shoal_passive_sample(&p, &c, 200, 10, 1 * S, why, sizeof(why)));
	/* the window rolls over: a fresh base */
	ck_assert(!shoal_passive_sample(&p, &c, 300, 20, 11 * S, why, sizeof(why)));
	/* too few SYNs to judge, even if all repeat */
	ck_assert(!shoal_passive_sample(&p, &c, 305, 30, 12 * S, why, sizeof(why)));
	/* 10 new, 12 repeated: 22 SYNs, 120%: it does not answer */
	ck_assert(shoal_passive_sample(&p, &c, 310, 32, 13 * S, why, sizeof(why)));
	ck_assert_str_eq(why, "passive: 12 SYNs repeated on 10 new flows");
	/* once counted, the evidence starts afresh */
	ck_assert(!shoal_passive_sample(&p, &c, 310, 32, 14 * S, why, sizeof(why)));
	ck_assert(!shoal_passive_sample(&p, &c, 311, 33, 15 * S, why, sizeof(why)));
	/* counters that went back (a restart) start a new base, no false alarm */
	ck_assert(!shoal_passive_sample(&p, &c, 5, 1, 16 * S, why, sizeof(why)));
	/* just under 30%: 100 new, 29 repeated */
	ck_assert(!shoal_passive_sample(&p, &c, 105, 30, 17 * S, why, sizeof(why)));
	/* and at 30% */
	ck_assert(shoal_passive_sample(&p, &c, 105, 31, 18 * S, why, sizeof(why)));
}
END_TEST

/* ---- agent-check ---- */

struct agent_case {
	const char *line;
	int ret;
	enum shoal_agent_admin admin;
	int pct;
};

static const struct agent_case agent_cases[] = {
	{ "75%\n", 0, SHOAL_AGENT_NONE, 75 },
	{ "up\n", 0, SHOAL_AGENT_UP, -1 },
	{ "ready\r\n", 0, SHOAL_AGENT_UP, -1 },
	{ "down", 0, SHOAL_AGENT_DOWN, -1 },
	{ "fail\n", 0, SHOAL_AGENT_DOWN, -1 },
	{ "stopped\n", 0, SHOAL_AGENT_DOWN, -1 },
	{ "drain\n", 0, SHOAL_AGENT_DRAIN, -1 },
	{ "maint\n", 0, SHOAL_AGENT_MAINT, -1 },
	{ "up 40%\n", 0, SHOAL_AGENT_UP, 40 },
	{ "up,40%\n", 0, SHOAL_AGENT_UP, 40 },
	{ "40% ready\n", 0, SHOAL_AGENT_UP, 40 },
	{ "UP\n", 0, SHOAL_AGENT_UP, -1 },
	{ "0%\n", 0, SHOAL_AGENT_NONE, 0 },
	{ "100%\n", 0, SHOAL_AGENT_NONE, 100 },
	{ "255%\n", 0, SHOAL_AGENT_NONE, 255 },
	{ "maxconn:30 50%\n", 0, SHOAL_AGENT_NONE, 50 },
	{ "down #disk full\n", 0, SHOAL_AGENT_DOWN, -1 },
	{ "drain\tup\n", 0, SHOAL_AGENT_UP, -1 }, /* the last word wins */
	{ "", -EINVAL, 0, 0 },
	{ "\n", -EINVAL, 0, 0 },
	{ "#only a comment\n", -EINVAL, 0, 0 },
	{ "256%\n", -EINVAL, 0, 0 },
	{ "1000%\n", -EINVAL, 0, 0 },
	{ "%\n", -EINVAL, 0, 0 },
	{ "-5%\n", -EINVAL, 0, 0 },
	{ "5.5%\n", -EINVAL, 0, 0 },
	{ "upp\n", -EINVAL, 0, 0 },
	{ "maxconn:\n", -EINVAL, 0, 0 },
	{ "maxconn:x\n", -EINVAL, 0, 0 },
	{ "HTTP/1.1 200 OK\r\n", -EINVAL, 0, 0 },
};

START_TEST(test_agent_lines)
{
	const struct agent_case *c = &agent_cases[_i];
	struct shoal_agent_reply r;
	size_t len = strlen(c->line);
	int ret;

	ret = shoal_agent_parse(c->line, len, &r);
	ck_assert_msg(ret == c->ret, "'%s': %d, want %d", c->line, ret, c->ret);
	if (ret)
		return;
	ck_assert_int_eq(r.admin, c->admin);
	ck_assert_int_eq(r.pct, c->pct);
}
END_TEST

START_TEST(test_agent_smoothing_bounded)
{
	int a = 100, steps = 0;

	/* a drop to 20% moves at most 25 points a step, on 5-point marks, and arrives */
	while (a != 20) {
		int next = shoal_agent_smooth(a, 20);

		ck_assert_int_le(a - next, 25);
		ck_assert_int_gt(a, next);
		ck_assert_int_eq(next % 5, 0);
		a = next;
		ck_assert_int_lt(++steps, 10);
	}
	ck_assert_int_eq(shoal_agent_smooth(20, 20), 20);
	ck_assert_int_eq(shoal_agent_smooth(20, 23), 23); /* close enough: taken as is */
	ck_assert_int_eq(shoal_agent_smooth(0, 100), 25);
}
END_TEST

/* ---- availability ---- */

START_TEST(test_availability)
{
	struct shoal_avail a = { 0 };
	double v[3] = { 0.9, 0.9, 0.5 };

	shoal_avail_account(&a, SHOAL_HEALTH_UP, 100 * S);
	shoal_avail_account(&a, SHOAL_HEALTH_UP, 190 * S);	/* 90 s up */
	shoal_avail_account(&a, SHOAL_HEALTH_DOWN, 200 * S);	/* 10 s down */
	shoal_avail_account(&a, SHOAL_HEALTH_UNKNOWN, 300 * S); /* neither */
	ck_assert(fabs(shoal_avail_life(&a) - 0.9) < 1e-9);
	ck_assert(fabs(shoal_avail_hour(&a) - 0.9) < 1e-6);
	/* two hours later, all up: the hour forgets, the life remembers */
	shoal_avail_account(&a, SHOAL_HEALTH_UP, 7500 * S);
	ck_assert(fabs(shoal_avail_hour(&a) - 1.0) < 1e-9);
	ck_assert(shoal_avail_life(&a) > 0.99 && shoal_avail_life(&a) < 1.0);
	ck_assert(fabs(shoal_avail_any(v, 3) - (1 - 0.1 * 0.1 * 0.5)) < 1e-12);
	ck_assert(fabs(shoal_avail_any(v, 0)) < 1e-12);
	memset(&a, 0, sizeof(a));
	ck_assert(fabs(shoal_avail_life(&a) - 1.0) < 1e-12);
}
END_TEST

/* ---- HTTP heads ---- */

struct http_case {
	const char *in;
	int ret, status;
	size_t body;
};

static const struct http_case http_cases[] = {
	{ "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody", 0, 200, 30 },
	{ "HTTP/1.0 503 Service Unavailable\r\n\r\n", 0, 503, 36 },
	{ "HTTP/1.1 204\r\n\r\n", 0, 204, 16 },
	{ "HTTP/1.1 200 OK\r\nServ", -EAGAIN, 0, 0 },
	{ "HTT", -EAGAIN, 0, 0 },
	{ "", -EAGAIN, 0, 0 },
	{ "HTTP/2 200\r\n\r\n", -EINVAL, 0, 0 },
	{ "SSH-2.0-OpenSSH\r\n\r\n", -EINVAL, 0, 0 },
	{ "HTTP/1.1 2000 OK\r\n\r\n", -EINVAL, 0, 0 },
	{ "HTTP/1.1 099 x\r\n\r\n", -EINVAL, 0, 0 },
	{ "HTTP/1.1 600 x\r\n\r\n", -EINVAL, 0, 0 },
	{ "HTTP/1.1 2x0 OK\r\n\r\n", -EINVAL, 0, 0 },
	{ "HTTP/1.1 200\r\n\r", -EAGAIN, 0, 0 },
};

START_TEST(test_http_heads)
{
	const struct http_case *c = &http_cases[_i];
	size_t body = 0;
	int status = 0, ret = shoal_http_head_parse(c->in, strlen(c->in), &status, &body);

	ck_assert_msg(ret == c->ret, "'%s': %d, want %d", c->in, ret, c->ret);
	if (!ret) {
		ck_assert_int_eq(status, c->status);
		ck_assert_uint_eq(body, c->body);
	}
}
END_TEST

START_TEST(test_http_head_too_long_fails)
{
	static char big[SHOAL_HTTP_HEAD_MAX + 100];
	size_t body;
	int status;

	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	ck_assert_int_eq(shoal_http_head_parse(big, sizeof(big), &status, &body), -EINVAL);
	ck_assert_int_eq(shoal_bytes_contain("abcdef", 6, "cde"), 1);
	ck_assert_int_eq(shoal_bytes_contain("abcdef", 6, "xyz"), 0);
	ck_assert_int_eq(shoal_bytes_contain("abc", 3, ""), 1);
	ck_assert_int_eq(shoal_bytes_contain("ab", 2, "abc"), 0);
}
END_TEST

/* What an http check decides from what it has read so far. */
START_TEST(test_http_verdicts)
{
	static const struct {
		const char *in;
		int eof, want;
		const char *why;
		const char *body;
		__u16 lo, hi;
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\n\r\nok", 0, 1, "HTTP 200", "", 0, 0 },
		{ "HTTP/1.1 302 Found\r\n\r\n", 0, 1, "HTTP 302", "", 0, 0 },
		{ "HTTP/1.1 404 Not Found\r\n\r\n", 0, 0, "HTTP 404", "", 0, 0 },
		{ "HTTP/1.1 204 No Content\r\n\r\n", 0, 1, "HTTP 204", "", 204, 204 },
		{ "HTTP/1.1 200 OK\r\n\r\n", 0, 0, "HTTP 200", "", 204, 204 },
		{ "HTTP/1.1 200 OK\r\n\r\nall ok", 0, 1, "HTTP 200, body matches", "ok", 0, 0 },
		{ "HTTP/1.1 200 OK\r\n\r\nall o", 0, -EAGAIN, "", "ok", 0, 0 },
		{ "HTTP/1.1 200 OK\r\n\r\nall o", 1, 0, "HTTP 200, body does not contain the text",
		  "ok", 0, 0 },
		{ "HTTP/1.1 200 OK\r\nX: y", 0, -EAGAIN, "", "", 0, 0 },
		{ "HTTP/1.1 200 OK\r\nX: y", 1, 0, "HTTP: response cut short", "", 0, 0 },
		{ "SSH-2.0-x\r\n", 0, 0, "HTTP: not an HTTP response", "", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shoal_health_conf h;
		char why[64] = "";
		int ret;

		shoal_health_conf_init(&h);
		snprintf(h.check.body, sizeof(h.check.body), "%s", cases[i].body);
		if (cases[i].lo) {
			h.check.expect[0].lo = cases[i].lo;
			h.check.expect[0].hi = cases[i].hi;
			h.check.nexpect = 1;
		}
		ret = shoal_http_verdict(&h.check, cases[i].in, strlen(cases[i].in), cases[i].eof,
					 why, sizeof(why));
		ck_assert_msg(ret == cases[i].want, "case %zu: %d, want %d", i, ret, cases[i].want);
		if (ret != -EAGAIN)
			ck_assert_str_eq(why, cases[i].why);
	}
}
END_TEST

/* ---- DNS ---- */

START_TEST(test_dns_query_and_answer)
{
	static const __u8 want[] = { 0x12, 0x34, 0x01, 0x00, 0,	  1,   0,   0,	 0,   0,
				     0,	   0,	 7,    'e',  'x', 'a', 'm', 'p', 'l', 'e',
				     3,	   'o',	 'r',  'g',  0,	  0,   1,   0,	 1 };
	__u8 q[300], a[300];
	int n;

	n = shoal_dns_query("example.org.", 0x1234, SHOAL_DNS_TYPE_A, q, sizeof(q));
	ck_assert_int_eq(n, (int)sizeof(want));
	ck_assert_mem_eq(q, want, sizeof(want));
	/* an answer: the same id and question, QR set; RCODE in the low bits */
	memcpy(a, q, (size_t)n);
	a[2] = 0x81;
	a[3] = 0x80;
	a[13] = 'E'; /* case does not matter (RFC 4343) */
	ck_assert_int_eq(shoal_dns_answer_rcode(a, (size_t)n, q, (size_t)n), 0);
	a[3] = 0x82;
	ck_assert_int_eq(shoal_dns_answer_rcode(a, (size_t)n, q, (size_t)n), 2);
	ck_assert_str_eq(shoal_dns_rcode_name(2), "SERVFAIL");
	a[3] = 0x80;
	a[1] = 0x35; /* another id */
	ck_assert_int_eq(shoal_dns_answer_rcode(a, (size_t)n, q, (size_t)n), -EINVAL);
	a[1] = 0x34;
	a[2] = 0x01; /* a query, not an answer */
	ck_assert_int_eq(shoal_dns_answer_rcode(a, (size_t)n, q, (size_t)n), -EINVAL);
	a[2] = 0x81;
	a[20] = 'x'; /* another question */
	ck_assert_int_eq(shoal_dns_answer_rcode(a, (size_t)n, q, (size_t)n), -EINVAL);
	ck_assert_int_eq(shoal_dns_answer_rcode(a, 11, q, (size_t)n), -EINVAL);
	/* names that cannot be asked */
	ck_assert_int_eq(shoal_dns_query("a..b", 1, 1, q, sizeof(q)), -EINVAL);
	ck_assert_int_eq(shoal_dns_query("", 1, 1, q, sizeof(q)), -EINVAL);
	ck_assert_int_lt(shoal_dns_query("example.org", 1, 1, q, 20), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("health");

	tcase_add_test(tc, test_unknown_confirmed_by_one_success);
	tcase_add_test(tc, test_unknown_needs_fall_failures);
	tcase_add_test(tc, test_flapping_never_moves);
	tcase_add_test(tc, test_down_rises_after_rise_successes);
	tcase_add_test(tc, test_labels_follow_the_machine);
	tcase_add_test(tc, test_slow_start_ramps_in_tenths);
	tcase_add_test(tc, test_panic_threshold);
	tcase_add_test(tc, test_jitter_bounds_and_spread);
	tcase_add_test(tc, test_passive_window);
	tcase_add_loop_test(tc, test_agent_lines, 0, sizeof(agent_cases) / sizeof(agent_cases[0]));
	tcase_add_test(tc, test_agent_smoothing_bounded);
	tcase_add_test(tc, test_availability);
	tcase_add_loop_test(tc, test_http_heads, 0, sizeof(http_cases) / sizeof(http_cases[0]));
	tcase_add_test(tc, test_http_head_too_long_fails);
	tcase_add_test(tc, test_http_verdicts);
	tcase_add_test(tc, test_dns_query_and_answer);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
