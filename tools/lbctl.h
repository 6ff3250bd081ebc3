/* SPDX-License-Identifier: GPL-2.0-only */
/* What lbctl's command files share: the request, the output envelope, the usage. */
#ifndef SHOAL_LBCTL_H
#define SHOAL_LBCTL_H

#include <stdbool.h>
#include <jansson.h>

extern bool lbctl_json_out; /* -o json */

/* Sends cmd with args (taken) to the agent; its reply (to free) and result, or *ret_err. */
json_t *lbctl_request(const char *cmd, json_t *args, json_t **ret_result, const char **ret_err);
/* -o json's envelope: {"ok": true, "result": ...} (indent 0: one line). */
void lbctl_print_result(json_t *result, int indent);
/* {"ok": false, "error": ...} with -o json, else "lbctl: err" on stderr. */
void lbctl_print_error(const char *err);
/* The usage on stderr; 2. */
int lbctl_usage(void);
/* A member of o as text ("" if absent) or a number (0 if absent). */
const char *lbctl_str(json_t *o, const char *k);
long long lbctl_num(json_t *o, const char *k);

int lbctl_stats_watch(long long secs);
int lbctl_flows(int argc, char **argv);

#endif /* SHOAL_LBCTL_H */
