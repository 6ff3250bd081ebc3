// SPDX-License-Identifier: GPL-2.0-only
/* agent/metrics/http.c: the request parser of the metrics endpoint. */
#include <check.h>
#include <string.h>

#include "ckmain.h"
#include "metrics/http.h"

static const struct {
	const char *req;
	enum shoal_http_verdict want;
} cases[] = {
	{ "GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n", SHOAL_HTTP_METRICS },
	{ "GET /metrics HTTP/1.0\r\n\r\n", SHOAL_HTTP_METRICS },
	{ "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", SHOAL_HTTP_METRICS },
	{ "GET /metrics HTTP/1.1\n\n", SHOAL_HTTP_METRICS },
	{ "GET /metrics HTTP/1.1\r\nHost: a\r\n", SHOAL_HTTP_INCOMPLETE },
	{ "", SHOAL_HTTP_INCOMPLETE },
	{ "GET / HTTP/1.1\r\n\r\n", SHOAL_HTTP_NOT_FOUND },
	{ "GET /metricsX HTTP/1.1\r\n\r\n", SHOAL_HTTP_NOT_FOUND },
	{ "POST /metrics HTTP/1.1\r\n\r\n", SHOAL_HTTP_METHOD },
	{ "get /metrics HTTP/1.1\r\n\r\n", SHOAL_HTTP_BAD },
	{ "GET /metrics HTTP/2.0\r\n\r\n", SHOAL_HTTP_BAD },
	{ "GET /metrics\r\n\r\n", SHOAL_HTTP_BAD },
	{ "GET  HTTP/1.1\r\n\r\n", SHOAL_HTTP_BAD },
	{ "\r\n\r\n", SHOAL_HTTP_BAD },
};

START_TEST(test_requests)
{
	ck_assert_int_eq(shoal_http_request(cases[_i].req, strlen(cases[_i].req), 8192),
			 cases[_i].want);
}
END_TEST

/* Headers that never end: too large once max bytes came without a blank line. */
START_TEST(test_too_large)
{
	static char buf[9000];

	memset(buf, 'a', sizeof(buf));
	ck_assert_int_eq(shoal_http_request(buf, 8191, 8192), SHOAL_HTTP_INCOMPLETE);
	ck_assert_int_eq(shoal_http_request(buf, 8192, 8192), SHOAL_HTTP_TOO_LARGE);
	ck_assert_int_eq(shoal_http_request(buf, sizeof(buf), 8192), SHOAL_HTTP_TOO_LARGE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_requests, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_too_large);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
