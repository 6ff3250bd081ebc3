/* SPDX-License-Identifier: GPL-2.0-only */
/* What the files of the dataplane room share: the handle behind struct shoal_dp. */
#ifndef SHOAL_DP_INTERNAL_H
#define SHOAL_DP_INTERNAL_H

#include <stdbool.h>
#include <time.h>

#include "dataplane/dataplane.h"
#include "lb.skel.h"

struct dp_applied_vip {
	bool present;
	struct shoal_vip_key key;
	struct shoal_vip vip;
	__u64 table_hash;   /* over the ids in the table as written */
	__u64 table_inputs; /* over what it was built from */
	__u64 fingerprint;  /* over the addresses: comparable across hosts */
};

struct dp_rate {
	__u64 last_packets;
	double pps;
};

struct shoal_dp {
	struct dp_rate *vip_rates;	  /* [SHOAL_MAX_VIPS] */
	struct dp_rate *be_rates;	  /* [SHOAL_MAX_BACKENDS] */
	struct shoal_vip_stats *vip_sums; /* [SHOAL_MAX_VIPS], at the last refresh */
	/*
	 * What retired backends counted, by VIP, and in all: a VIP's counters
	 * are its backends' sums, and must not fall when one leaves.
	 */
	struct shoal_vip_stats *vip_retired; /* [SHOAL_MAX_VIPS] */
	__u64 retired_tx;
	struct shoal_backend_stats *be_sums; /* [SHOAL_MAX_BACKENDS], likewise */
	struct lb_bpf *skel;
	struct dp_applied_vip *applied_vips; /* [SHOAL_MAX_VIPS] */
	struct shoal_backend *applied_be;    /* [SHOAL_MAX_BACKENDS] */
	__u32 *table_buf;		     /* SHOAL_MAX_TABLE_SIZE slots */
	__u64 write_errors;
	struct lb_bpf *dry;		     /* dry-run instance for lookups, opened on first use */
	struct flow_walk *walk;		     /* a walk under way (flows.c) */
	struct shoal_flow_bucket *flows_mem; /* the flow table, mmap'ed */
	size_t flows_len;
	__u32 flow_nbuckets;
	long flow_count;			 /* from the last complete walk */
	long flow_unconfirmed;			 /* of which unconfirmed */
	__u64 flow_swept;			 /* idle entries the walks emptied */
	__u32 vip_flows[SHOAL_MAX_VIPS];	 /* entries per VIP id, from the same walk */
	__u32 backend_flows[SHOAL_MAX_BACKENDS]; /* entries per backend id (a draining one's) */
	__u64 flow_count_ns;			 /* when it completed */
	__u64 flow_walks;			 /* walks completed */
	int ncpus;
	int link_fd;	   /* the XDP link (pinned with a pin_dir), or -1 */
	bool adopted;	   /* maps found pinned and reused */
	char pin_dir[256]; /* <pin_dir>/v<ABI>, or "" */
};

/* Before backend id leaves: its counters go to its VIP's retired sums, its entry to zero (stats.c). */
void dp_backend_retire(struct shoal_dp *dp, __u32 id);

#endif /* SHOAL_DP_INTERNAL_H */
