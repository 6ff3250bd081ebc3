/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shoald's logger: stderr, one line per message, with level and time; under
 * systemd (stderr is the journal's stream) a priority prefix instead, so
 * journalctl -p err finds errors and no line carries a second timestamp.
 */
#ifndef SHOAL_LOG_H
#define SHOAL_LOG_H

#include <stdbool.h>

enum shoal_log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern enum shoal_log_level shoal_log_level;

/* Looks at $JOURNAL_STREAM: call once, before the first line. */
void shoal_log_init(void);
void shoal_log(enum shoal_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int shoal_log_level_parse(const char *s, enum shoal_log_level *ret);

/*
 * Rate limit for a repeated event: at most SHOAL_LOG_BURST lines per
 * SHOAL_LOG_WINDOW_SEC for one call site; then, once the window is over,
 * one line saying how many were suppressed.
 */
#define SHOAL_LOG_BURST	     5
#define SHOAL_LOG_WINDOW_SEC 10

struct shoal_ratelimit {
	unsigned long long window_start_ns;
	unsigned int count;
	unsigned long suppressed;
};

/* Whether this event may be logged now (says so when a window of suppression ends). */
bool shoal_ratelimit_ok(struct shoal_ratelimit *rl, enum shoal_log_level lvl);

#define log_limited(lvl, ...)                        \
	do {                                         \
		static struct shoal_ratelimit rl_;   \
		if (shoal_ratelimit_ok(&rl_, lvl))   \
			shoal_log(lvl, __VA_ARGS__); \
	} while (0)

#define log_err(...)   shoal_log(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  shoal_log(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  shoal_log(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) shoal_log(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* SHOAL_LOG_H */
