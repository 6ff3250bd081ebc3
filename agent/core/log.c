// SPDX-License-Identifier: GPL-2.0-only
/* See log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

enum shoal_log_level shoal_log_level = LOG_LVL_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

void shoal_log(enum shoal_log_level lvl, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	if (lvl > shoal_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ shoald %s: ", when, ts.tv_nsec / 1000000, names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int shoal_log_level_parse(const char *s, enum shoal_log_level *ret)
{
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*ret = (enum shoal_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool shoal_ratelimit_ok(struct shoal_ratelimit *rl, enum shoal_log_level lvl)
{
	struct timespec ts;
	unsigned long long now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
	if (!rl->window_start_ns ||
	    now - rl->window_start_ns >= SHOAL_LOG_WINDOW_SEC * 1000000000ULL) {
		if (rl->suppressed)
			shoal_log(lvl, "(%lu more like the line before suppressed in %d s)",
				  rl->suppressed, SHOAL_LOG_WINDOW_SEC);
		rl->window_start_ns = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count < SHOAL_LOG_BURST) {
		rl->count++;
		return true;
	}
	rl->suppressed++;
	return false;
}
