// SPDX-License-Identifier: GPL-2.0-only
/* See log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/log.h"

enum shoal_log_level shoal_log_level = LOG_LVL_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };
/* syslog priorities (sd-daemon(3)'s <N> prefixes): err, warning, info, debug */
static const int priorities[] = { 3, 4, 6, 7 };
static bool to_journal;

void shoal_log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* stderr is the journal's stream (not merely inherited from a unit): systemd.exec(5) */
	to_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
		     (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void shoal_log(enum shoal_log_level lvl, const char *fmt, ...)
{
	char line[1024], head[64];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (lvl > shoal_log_level)
		return;
	if (to_journal) {
		/* the journal keeps the time and the level: a priority prefix, nothing else */
		snprintf(head, sizeof(head), "<%d>", priorities[lvl]);
	} else {
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(head, sizeof(head), "%s.%03ldZ shoald %s: ", when, ts.tv_nsec / 1000000,
			 names[lvl]);
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line: lines of concurrent writers never interleave */
	fprintf(stderr, "%s%s\n", head, line);
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
