// SPDX-License-Identifier: GPL-2.0-only
/* lbctl stats --watch: rates per VIP and backend from successive samples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "lbctl.h"

/* The counters of VIP vip (backend addr, or NULL for the VIP's own) in a stats result. */
static json_t *stats_find(json_t *r, const char *vip, const char *addr)
{
	json_t *v, *b;
	size_t i, j;

	json_array_foreach(json_object_get(r, "vips"), i, v)
	{
		if (strcmp(lbctl_str(v, "vip"), vip))
			continue;
		if (!addr)
			return v;
		json_array_foreach(json_object_get(v, "backends"), j,
				   b) if (!strcmp(lbctl_str(b, "address"), addr)) return b;
	}
	return NULL;
}

/* Rates of o since its counterpart was (NULL: none yet) over secs, set into o as "rates". */
/* How fast counter k of o grew since was, a second; 0 without a sample before. */
static double rate_of(json_t *o, json_t *was, const char *k, double secs)
{
	/* a counter that went back (a backend removed and added again) starts over */
	if (!was || secs <= 0 || lbctl_num(o, k) < lbctl_num(was, k))
		return 0;
	return (double)(lbctl_num(o, k) - lbctl_num(was, k)) / secs;
}

static void stats_rate(json_t *o, json_t *was, double secs)
{
	json_object_set_new(o, "rates",
			    json_pack("{s:f, s:f, s:f}", "pps", rate_of(o, was, "packets", secs),
				      "bps", rate_of(o, was, "bytes", secs) * 8, "new_flows_per_s",
				      rate_of(o, was, "new_flows", secs)));
}

/* 1234 -> "1234", 12345678 -> "12.3M": rates as ipvsadm --rate shows them, short */
static const char *human(double v, char *buf, size_t len)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.1fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static void print_rate_line(const char *name, json_t *o)
{
	json_t *r = json_object_get(o, "rates");
	char a[16], b[16], c[16];

	printf("%-42s %9s %9s %9s\n", name,
	       human(json_real_value(json_object_get(r, "pps")), a, 16),
	       human(json_real_value(json_object_get(r, "bps")), b, 16),
	       human(json_real_value(json_object_get(r, "new_flows_per_s")), c, 16));
}

/*
 * stats --watch S: every S seconds the rates since the sample before (packets
 * and bits a second, new flows a second) per VIP and backend, computed here
 * from the counters' differences (ipvsadm --rate's view); -o json adds them
 * to each VIP and backend as "rates".
 */
int lbctl_stats_watch(long long secs)
{
	json_t *prev = NULL, *prev_reply = NULL;
	struct timespec t0 = { 0 }, t1;

	for (;;) {
		json_t *result = NULL, *reply, *v, *b;
		const char *err;
		double dt;
		size_t i, j;

		reply = lbctl_request("stats", NULL, &result, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (err) {
			lbctl_print_error(err);
			json_decref(reply);
			json_decref(prev_reply);
			return 1;
		}
		dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		json_array_foreach(json_object_get(result, "vips"), i, v)
		{
			stats_rate(v, prev ? stats_find(prev, lbctl_str(v, "vip"), NULL) : NULL,
				   dt);
			json_array_foreach(json_object_get(v, "backends"), j, b)
				stats_rate(b,
					   prev ? stats_find(prev, lbctl_str(v, "vip"),
							     lbctl_str(b, "address"))
						: NULL,
					   dt);
		}
		if (!prev) {
			/* the first sample only starts the clock */
		} else if (lbctl_json_out) {
			lbctl_print_result(result, 0); /* a line per sample */
		} else {
			printf("%-42s %9s %9s %9s   (over %.1f s)\n", "VIP / BACKEND", "PPS", "BPS",
			       "NEWFLOW/S", dt);
			json_array_foreach(json_object_get(result, "vips"), i, v)
			{
				print_rate_line(lbctl_str(v, "vip"), v);
				json_array_foreach(json_object_get(v, "backends"), j, b)
				{
					char name[64];

					snprintf(name, sizeof(name), "  %s",
						 lbctl_str(b, "address"));
					print_rate_line(name, b);
				}
			}
			printf("\n");
		}
		fflush(stdout);
		json_decref(prev_reply);
		prev_reply = reply;
		prev = result;
		t0 = t1;
		sleep((unsigned int)secs);
	}
}
