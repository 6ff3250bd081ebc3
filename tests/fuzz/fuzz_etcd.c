// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: everything etcd (or whoever answers at its address, or writes
 * under shoal's prefix) can send goes through the decoder that reads it — a
 * range response, a watch message, a key, a backend's or a service's value —
 * and through the validation of a whole prefix; nothing reads past what it is
 * given, and whatever is accepted is what the contract allows.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/discovered.h"
#include "model/etcdwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_yaml[] = "host:\n  interface: eth0\n  hash_seed: 7\n"
				"  source_v4: 198.51.100.2\n"
				"services:\n  - vip: 192.0.2.10\n    port: 80\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shoal_config *base;
	char *buf = malloc(size + 1), err[256];
	struct shoal_etcd_range r;
	struct shoal_etcd_watch_msg m;
	struct shoal_etcd_key k;
	struct shoal_backend_conf b;
	struct shoal_service_conf svc;
	struct shoal_errors errs = { 0 };
	struct shoal_discovered d;

	if (!base && shoal_config_parse("base", base_yaml, strlen(base_yaml), &base, &errs))
		abort();
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	if (!shoal_etcd_range_parse(buf, size, &r, err, sizeof(err))) {
		if (r.revision <= 0)
			abort();
		/* a prefix as etcd may hold it: each entry validated alone */
		if (!shoal_discovered_build(base, "/shoal", r.kvs, r.n, &d, NULL, NULL)) {
			if (d.n + d.skipped > r.n)
				abort();
			shoal_discovered_free(&d);
		}
		shoal_etcd_range_free(&r);
	}
	if (!shoal_etcd_watch_parse(buf, size, &m, err, sizeof(err)))
		shoal_etcd_watch_free(&m);
	if (!shoal_etcd_key_parse("/shoal", buf, &k, err, sizeof(err))) {
		char again[SHOAL_ETCD_KEY_MAX + 64];
		struct shoal_etcd_key k2;

		if (shoal_etcd_key_format("/shoal", &k, again, sizeof(again)) ||
		    shoal_etcd_key_parse("/shoal", again, &k2, err, sizeof(err)) ||
		    memcmp(&k, &k2, sizeof(k)))
			abort(); /* what is accepted formats back to itself */
		if (!shoal_etcd_backend_value_parse(buf, size, &k, &b, err, sizeof(err)) &&
		    b.weight > SHOAL_MAX_WEIGHT)
			abort();
	}
	memset(&k, 0, sizeof(k));
	if (!shoal_service_parse_value(base, "fuzz", buf, size, &k.vip, &svc, &errs))
		free(svc.backends);
	shoal_errors_free(&errs);
	free(buf);
	return 0;
}
