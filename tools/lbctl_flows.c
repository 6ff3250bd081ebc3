// SPDX-License-Identifier: GPL-2.0-only
/*
 * lbctl flows [VIP] [--backend ADDR] [--limit N] [--from BUCKET]: entries of
 * the flow table (ipvsadm -Lc's view), at most N (100; 10,000 at most) per
 * call. The table holds no addresses: a flow is its slot, VIP, backend,
 * state, protocol and idle time. When the agent stopped before the end of the
 * table (the limit, or its 10 ms budget), the last line says how to go on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "lbctl.h"

static void print_flows(json_t *r, const char *again)
{
	json_t *f;
	size_t i;

	printf("%-10s %-3s %-5s %-12s %8s  %-28s %s\n", "BUCKET", "WAY", "PROTO", "STATE", "IDLE",
	       "VIP", "BACKEND");
	json_array_foreach(json_object_get(r, "flows"), i, f)
		printf("%-10lld %-3lld %-5s %-12s %7.0fs  %-28s %s\n", lbctl_num(f, "bucket"),
		       lbctl_num(f, "way"), lbctl_str(f, "protocol"), lbctl_str(f, "state"),
		       json_real_value(json_object_get(f, "idle_s")), lbctl_str(f, "vip"),
		       lbctl_str(f, "backend"));
	if (json_is_integer(json_object_get(r, "next")))
		printf("%zu shown (buckets %lld-%lld of %lld); more: lbctl flows%s --from %lld\n",
		       json_array_size(json_object_get(r, "flows")), lbctl_num(r, "from"),
		       lbctl_num(r, "next") - 1, lbctl_num(r, "buckets"), again,
		       lbctl_num(r, "next"));
	else
		printf("%zu shown (buckets %lld-%lld of %lld: to the end)\n",
		       json_array_size(json_object_get(r, "flows")), lbctl_num(r, "from"),
		       lbctl_num(r, "buckets") - 1, lbctl_num(r, "buckets"));
}

int lbctl_flows(int argc, char **argv)
{
	json_t *args = json_object(), *result = NULL, *reply;
	char again[256] = "";
	const char *err;
	size_t len = 0;
	int i, code = 0;

	for (i = 0; i < argc; i++) {
		char *end;
		long long n;

		if ((!strcmp(argv[i], "--limit") || !strcmp(argv[i], "--from")) && i + 1 < argc) {
			n = strtoll(argv[i + 1], &end, 10);
			if (*end || n < 0 || n > 0xffffffffLL) {
				json_decref(args);
				return lbctl_usage();
			}
			json_object_set_new(args, argv[i] + 2, json_integer(n));
			if (!strcmp(argv[i], "--limit"))
				len += (size_t)snprintf(again + len, sizeof(again) - len,
							" --limit %s", argv[i + 1]);
			i++;
		} else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
			json_object_set_new(args, "backend", json_string(argv[i + 1]));
			len += (size_t)snprintf(again + len, sizeof(again) - len, " --backend %s",
						argv[i + 1]);
			i++;
		} else if (argv[i][0] != '-' && !json_object_get(args, "vip")) {
			json_object_set_new(args, "vip", json_string(argv[i]));
			len += (size_t)snprintf(again + len, sizeof(again) - len, " %s", argv[i]);
		} else {
			json_decref(args);
			return lbctl_usage();
		}
		if (len >= sizeof(again))
			len = sizeof(again) - 1;
	}
	reply = lbctl_request("flows", args, &result, &err);
	if (err) {
		lbctl_print_error(err);
		code = 1;
	} else if (lbctl_json_out) {
		lbctl_print_result(result, 2);
	} else {
		print_flows(result, again);
	}
	json_decref(reply);
	return code;
}
