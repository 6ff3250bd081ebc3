/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the health room's files share: a probe (one check of one target, and
 * its rise/fall state), and the ops table each check type implements
 * (keepalived's check_*.c behind one interface).
 */
#ifndef SHOAL_HEALTH_INTERNAL_H
#define SHOAL_HEALTH_INTERNAL_H

#include <stdbool.h>
#include <sys/socket.h>
#include "health/health.h"
#include "model/health.h"
#include "shoal/abi.h"

struct shoal_timer;
struct event;
struct event_base;
struct timeval;
struct shoal_health;

/* What makes two checks one: they send the same thing to the same place. */
struct probe_key {
	struct shoal_check_conf check;
	struct shoal_addr target;  /* the VIP (tunnel) or the backend (direct) */
	struct shoal_addr backend; /* who answers */
	__u16 port;
	__u8 encap;
	__u8 family;   /* of target */
	__u8 is_agent; /* an agent-check probe: only backend and port count */
	__u8 pad[3];
};

struct probe;

/* A check run in flight; check_done() ends it once. */
struct check_run {
	struct probe *p;
	__u64 start_ns;
	void *priv; /* the check type's context */
};

struct check_ops {
	const char *name;
	/* Starts a check of p; calls check_done() later (or now, on a local error). */
	void (*start)(struct check_run *r);
	/* Ends a run early (timeout, shutdown): frees priv, no check_done(). */
	void (*cancel)(struct check_run *r);
};

extern const struct check_ops check_tcp_ops, check_http_ops, check_https_ops, check_udp_ops,
	check_dns_ops, check_agent_ops;

struct probe {
	struct probe_key key;
	__u64 hash; /* of key */
	struct shoal_health *room;
	struct sockaddr_storage sa; /* where the socket connects */
	char *request;		    /* http(s): the GET, made once */
	int request_len;	    /* -1: none (or too long) */
	socklen_t salen;
	__u32 mark; /* SO_MARK: tunnel checks name their backend id */
	const struct check_ops *ops;
	struct probe *wnext, **wprev; /* in the timing wheel (health.c) */
	__u64 due_tick;
	struct event *timeout; /* a libevent timer on a common timeout (check_common_timeout) */
	const struct timeval *timeout_tv;
	struct check_run *run;
	bool used; /* seen in the last sync */
	/* the machine and what it saw */
	struct shoal_hstate hs;
	struct shoal_avail avail;
	char reason[96];
	bool last_ok;
	__u64 last_ns, latency_ns;
	__u64 ok, failed, timeouts, transitions, skipped;
	__u64 dur_le[SHOAL_CHECK_BUCKETS + 1];
	double dur_sum;
	/* agent-check probes */
	struct shoal_agent_reply agent;	    /* the last reply */
	enum shoal_agent_admin agent_admin; /* the state its words last set */
	int agent_pct;			    /* applied (smoothed), -1: none */
	char agent_line[64];
};

#define CHECK_COMMON_MAX 64   /* distinct timeouts kept as libevent common timeouts */
#define WHEEL_SLOTS	 1024 /* of 10 ms ticks: a lap of 10.24 s; longer intervals wait laps */

struct ssl_ctx_st;
struct shoal_parts;
struct shoal_vip_state;
struct shoal_be_state;

/* Per backend id: the passive window and its count of failures. */
struct passive_slot {
	struct shoal_passive win;
	__u64 failures;
};

struct shoal_health {
	struct shoal_parts *p;
	struct probe **probes;
	size_t n, cap;
	struct probe **index; /* by key hash */
	size_t index_size;
	struct shoal_timer *tick;
	struct ssl_ctx_st *ssl;	      /* https checks (check_ssl_ctx) */
	struct passive_slot *passive; /* SHOAL_MAX_BACKENDS */
	bool *vip_panic;	      /* SHOAL_MAX_VIPS: what was logged last */
	bool ramping;
	__u64 panics;
	struct probe *wheel[WHEEL_SLOTS]; /* probes by due tick (probe_arm) */
	__u64 wheel_done;		  /* the last tick turned */
	struct shoal_timer *grid;
	/* common timeouts by duration (check_common_timeout) */
	__u32 common_ms[CHECK_COMMON_MAX];
	const struct timeval *common[CHECK_COMMON_MAX];
	size_t ncommon;
	struct timeval fallback;
};

/* The probe of key k, or NULL (health.c). */
struct probe *health_probe_find(struct shoal_health *h, const struct probe_key *k);
/* The key of b of v's check (agent: of its agent check). */
void health_key_of(const struct shoal_vip_state *v, const struct shoal_be_state *b, bool agent,
		   struct probe_key *k);

/* A check's outcome: reason in words ("connection refused", "HTTP 503"). */
void check_done(struct check_run *r, bool ok, const char *reason);
/*
 * A check that could not start for want of something here (descriptors,
 * memory): ends the run without a result, so it never counts against the
 * backend. The caller has freed r->priv.
 */
void check_skip(struct check_run *r, int err);
struct event_base *check_base(const struct check_run *r);
/* A non-blocking socket of type for p, marked when it goes through the tunnel. */
int check_socket(const struct probe *p, int type);
/* A libevent common timeout of ms (queued, not in the timer heap), for many events alike. */
const struct timeval *check_common_timeout(struct shoal_health *h, __u32 ms);
/* The SSL_CTX of https checks (made on first use). */
void *check_ssl_ctx(struct shoal_health *h);

#endif /* SHOAL_HEALTH_INTERNAL_H */
