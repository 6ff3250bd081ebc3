/* SPDX-License-Identifier: GPL-2.0-only */
/* shoald's logger: stderr, one line per message, with level and time. */
#ifndef SHOAL_LOG_H
#define SHOAL_LOG_H

enum shoal_log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern enum shoal_log_level shoal_log_level;

void shoal_log(enum shoal_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int shoal_log_level_parse(const char *s, enum shoal_log_level *ret);

#define log_err(...)   shoal_log(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  shoal_log(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  shoal_log(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) shoal_log(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* SHOAL_LOG_H */
