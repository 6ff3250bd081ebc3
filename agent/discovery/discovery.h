/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Service discovery through etcd v3, an input like the config file: the
 * prefix is read at one revision, then watched from the next, over etcd's
 * JSON gateway (libevent's HTTP client, jansson). Every change edits a mirror
 * of the prefix; a burst of them makes one merge into the desired state (see
 * model/discovered.h) and one reconcile. Losing etcd changes nothing: the
 * last state stays until etcd answers again (every endpoint in turn, with
 * backoff), then the prefix is read afresh and only the difference applied.
 */
#ifndef SHOAL_DISCOVERY_H
#define SHOAL_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "model/config.h"

struct shoal_parts;
struct shoal_discovery;

struct shoal_discovery_status {
	const char *state; /* "connecting", "reading", "watching", "disconnected" */
	const char *endpoint;
	__s64 revision;
	char last_error[256];
	__u64 skipped;		  /* entries refused as invalid, in the last merge */
	__u64 conflicts;	  /* entries the file (or lbctl) overrides, in the last merge */
	__u64 orphans;		  /* backends of no known service, in the last merge */
	__u64 services, backends; /* discovered ones in the state */
	__u64 events, merges, reconnects, resyncs;
	bool connected;
};

int shoal_discovery_open(struct shoal_parts *p, const struct shoal_discovery_conf *c,
			 struct shoal_discovery **ret);
void shoal_discovery_close(struct shoal_discovery *d);
/* Merges the mirror into the state again (after a reload of the file). */
void shoal_discovery_reapply(struct shoal_discovery *d);
void shoal_discovery_status(const struct shoal_discovery *d, struct shoal_discovery_status *s);

#endif /* SHOAL_DISCOVERY_H */
