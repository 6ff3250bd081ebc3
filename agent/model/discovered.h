/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the discovery service (etcd) holds under shoal's prefix, validated
 * entry by entry like the config file (a bad entry is skipped and named, the
 * rest applies), and its merge into the desired state: etcd's services and
 * backends join the file's; where both name the same service or backend, the
 * file wins and the conflict is reported.
 */
#ifndef SHOAL_MODEL_DISCOVERED_H
#define SHOAL_MODEL_DISCOVERED_H

#include <stdbool.h>
#include <stddef.h>

#include "model/config.h"
#include "model/etcdwire.h"
#include "model/state.h"

struct shoal_disc_entry {
	char *key;
	struct shoal_etcd_key k;
	struct shoal_service_conf svc; /* SHOAL_ETCD_KEY_SERVICE */
	struct shoal_backend_conf be;  /* SHOAL_ETCD_KEY_BACKEND */
};

struct shoal_discovered {
	struct shoal_disc_entry *e;
	size_t n;
	size_t skipped; /* entries refused as invalid */
};

/* Called for each entry refused, or in conflict, with its key and the words. */
typedef void (*shoal_disc_report_fn)(void *arg, const char *key, const char *why);

/*
 * Validates the key-values kvs[0..n) (the mirror of etcd under prefix)
 * against base (the file's host and defaults) into d. Never fails on bad
 * entries (they are counted, reported and left out); -ENOMEM only.
 */
int shoal_discovered_build(const struct shoal_config *base, const char *prefix,
			   const struct shoal_etcd_kv *kvs, size_t n, struct shoal_discovered *d,
			   shoal_disc_report_fn report, void *arg);
void shoal_discovered_free(struct shoal_discovered *d);

struct shoal_merge_result {
	size_t services, backends; /* discovered ones in the state after the merge */
	size_t conflicts;	   /* named by both the file (or lbctl) and etcd: theirs kept */
	size_t orphans;		   /* backends of a service nobody defines */
	size_t changed;		   /* edits made to the state */
};

/*
 * Makes the discovered part of s what d says, in place: discovered services
 * and backends that d no longer has are removed, new ones added, changed ones
 * updated; everything else (the file's, lbctl's) is left alone, and an
 * unchanged backend keeps its id (no flap). Returns 0 or -errno (s may then
 * be part-way: callers work on a copy).
 */
int shoal_discovered_merge(struct shoal_state *s, const struct shoal_discovered *d,
			   struct shoal_merge_result *r, shoal_disc_report_fn report, void *arg);

#endif /* SHOAL_MODEL_DISCOVERED_H */
