/* SPDX-License-Identifier: GPL-2.0-only */
/* The metrics endpoint's request parser: pure, bounded, fuzzed (tests/fuzz/fuzz_http.c). */
#ifndef SHOAL_METRICS_HTTP_H
#define SHOAL_METRICS_HTTP_H

#include <stddef.h>

enum shoal_http_verdict {
	SHOAL_HTTP_INCOMPLETE = 0, /* no blank line yet: read on */
	SHOAL_HTTP_TOO_LARGE,	   /* no blank line within max bytes */
	SHOAL_HTTP_BAD,		   /* not "METHOD TARGET HTTP/1.x" */
	SHOAL_HTTP_METHOD,	   /* not GET */
	SHOAL_HTTP_NOT_FOUND,	   /* not /metrics (a query string is ignored) */
	SHOAL_HTTP_METRICS,	   /* GET /metrics */
};

/* Judges the request at buf[0..len), whose headers must end within max bytes. */
enum shoal_http_verdict shoal_http_request(const char *buf, size_t len, size_t max);

#endif /* SHOAL_METRICS_HTTP_H */
