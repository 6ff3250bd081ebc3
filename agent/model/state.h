/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The desired state: every input (config file, lbctl requests) edits it, and
 * every output (the data plane, metrics, status) is derived from it. Pure:
 * no I/O. Data-plane ids stay with their VIP and backend across reloads.
 */
#ifndef SHOAL_STATE_H
#define SHOAL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include "model/config.h"
#include "model/ids.h"

enum shoal_admin {
	SHOAL_ADMIN_ACTIVE = 0,
	SHOAL_ADMIN_DRAINING = 1, /* keeps its flows, takes no new ones */
};

struct shoal_be_state {
	struct shoal_addr addr;
	int family;
	__u32 weight;
	__u8 encap;	 /* enum shoal_encap, resolved */
	__u8 encap_conf; /* as configured (SHOAL_ENCAP_DEFAULT: the host's) */
	enum shoal_admin admin;
	bool runtime;	 /* added or changed by lbctl, not (yet) in the config file */
	bool discovered; /* from the discovery service (etcd), never saved to the file */
	__u32 id;	 /* data-plane backend id */
	/* written by the health room before every apply; zero: unchecked, full weight */
	__u8 health;	     /* enum shoal_health_state (a restart starts from what the maps say) */
	bool health_out;     /* out of the table: down (and no panic), or the agent's drain */
	__u16 dp_flags;	     /* SHOAL_BE_F_DOWN, SHOAL_BE_F_RESCHEDULE */
	__u16 ramp_permille; /* slow start x agent weight; 0: full (1000) */
	__u8 health_label;   /* enum shoal_health_label: for metrics and scripts */
	char health_desc[24]; /* what status shows: "up", "rising 1/2", ... ("" unchecked) */
};

struct shoal_vip_state {
	char name[SHOAL_NAME_MAX];
	struct shoal_vip_key key;
	int family;
	__u8 scheduler;
	bool least_loaded; /* maglev with weights from the backends' load reports */
	__u32 table_size;
	bool flow_table;
	bool runtime;
	bool discovered; /* from the discovery service (etcd), never saved to the file */
	__u32 id;	 /* data-plane VIP id */
	struct shoal_health_conf health;
	bool have_attrs; /* its own bgp attributes */
	struct shoal_route_attrs attrs;
	/* written by the health room */
	bool panic;    /* too few healthy: every active backend serves */
	bool servable; /* at least min_healthy healthy backends */
	__u32 healthy; /* active backends up (or not known to be down) */
	struct shoal_be_state *be;
	size_t nbe;
};

struct shoal_state {
	struct shoal_host_conf host;
	struct shoal_health_conf health_defaults; /* what a VIP added at runtime gets */
	struct shoal_anycast_conf anycast;	  /* how VIPs are announced (kept for save) */
	struct shoal_discovery_conf discovery;	  /* kept for save */
	struct shoal_vip_state *vips;
	size_t nvips;
	/* id allocation (absent in a copy made by shoal_state_dup) */
	struct shoal_ids *vip_ids, *be_ids;
};

/*
 * Builds the state a config describes. Ids of VIPs and backends that old also
 * has are kept, the ids of what it drops go into quarantine (ids.h); runtime
 * changes in old are dropped (a reload restores the file). Returns 0,
 * -ENOMEM or -ENOSPC.
 */
int shoal_state_from_config(const struct shoal_config *c, const struct shoal_state *old,
			    struct shoal_state **ret);
void shoal_state_free(struct shoal_state *s);
/* A VIP's properties (all but its key, id, backends and health view) as a service conf says. */
void shoal_vip_state_from_service(struct shoal_vip_state *v, const struct shoal_service_conf *sc);
/* A copy of the VIPs and backends (no id allocation): a snapshot to apply. */
int shoal_state_dup(const struct shoal_state *s, struct shoal_state **ret);
/* Moves next's contents into s (pointers to s stay valid) and frees next. */
void shoal_state_replace(struct shoal_state *s, struct shoal_state *next);

struct shoal_vip_state *shoal_state_vip(struct shoal_state *s, const struct shoal_vip_key *k);
struct shoal_be_state *shoal_state_backend(struct shoal_vip_state *v, const struct shoal_addr *a);

/* Runtime edits (lbctl); each returns 0 or -EEXIST/-ENOENT/-ENOSPC/-EINVAL/-ENOMEM. */
int shoal_state_vip_add(struct shoal_state *s, const struct shoal_vip_state *tmpl);
int shoal_state_vip_del(struct shoal_state *s, const struct shoal_vip_key *k);
int shoal_state_backend_add(struct shoal_state *s, const struct shoal_vip_key *k,
			    const struct shoal_addr *a, int family, __u32 weight, __u8 encap);
int shoal_state_backend_del(struct shoal_state *s, const struct shoal_vip_key *k,
			    const struct shoal_addr *a);
int shoal_state_backend_weight(struct shoal_state *s, const struct shoal_vip_key *k,
			       const struct shoal_addr *a, __u32 weight);
int shoal_state_backend_admin(struct shoal_state *s, const struct shoal_vip_key *k,
			      const struct shoal_addr *a, enum shoal_admin admin);

/* "least-loaded" for a least-loaded VIP, else the scheduler's name. */
const char *shoal_vip_sched_name(const struct shoal_vip_state *v);

/* The state as a config file (YAML) that parses back to it; caller frees. */
int shoal_state_format_yaml(const struct shoal_state *s, char **ret);
/* After a save: nothing is a runtime change any more. */
void shoal_state_mark_saved(struct shoal_state *s);

/*
 * The weight a backend has in its VIP's table: 0 when draining or out by
 * health, else weight x 1000 scaled by slow start and load feedback (the
 * factor is the same for all backends at rest, so tables are unchanged by it).
 */
__u32 shoal_be_table_weight(const struct shoal_be_state *b);

#endif /* SHOAL_STATE_H */
