/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Health: what a service's checks are (parsed from the config), and the pure
 * logic that turns evidence into decisions: the rise/fall machine, slow
 * start, panic, the passive signal, agent-check lines (HAProxy's protocol)
 * and availability. No I/O: the health room (agent/health/) feeds it results
 * and clocks, the unit tests feed it tables.
 */
#ifndef SHOAL_MODEL_HEALTH_H
#define SHOAL_MODEL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum shoal_check_type {
	SHOAL_CHECK_TCP = 0,
	SHOAL_CHECK_HTTP,
	SHOAL_CHECK_HTTPS,
	SHOAL_CHECK_UDP,
	SHOAL_CHECK_DNS,
	SHOAL_CHECK_NONE,
	SHOAL_CHECK_MAX,
};

enum shoal_check_via {
	SHOAL_VIA_TUNNEL = 0, /* to VIP:port, encapsulated to the backend (check_encap.h) */
	SHOAL_VIA_DIRECT = 1, /* to the backend's own address */
};

#define SHOAL_HEALTH_STR    128
#define SHOAL_EXPECT_RANGES 8

struct shoal_status_range {
	__u16 lo, hi;
};

/* One active check; zero-filled before parsing, so equal checks compare equal with memcmp. */
struct shoal_check_conf {
	__u8 type;	 /* enum shoal_check_type */
	__u8 via;	 /* enum shoal_check_via */
	__u16 port;	 /* 0: the service's port */
	__u8 type_given; /* else a UDP service gets none */
	__u8 pad[3];
	__u32 interval_ms, timeout_ms, rise, fall, jitter_pct;
	char path[SHOAL_HEALTH_STR];  /* http(s) */
	char host[SHOAL_HEALTH_STR];  /* http(s): Host header and SNI; "" = the target address */
	char body[SHOAL_HEALTH_STR];  /* http(s): substring of the body; "" = any */
	char query[SHOAL_HEALTH_STR]; /* dns: name asked */
	char send[SHOAL_HEALTH_STR];  /* udp: payload */
	char expect_reply[SHOAL_HEALTH_STR]; /* udp: substring of the reply; "" = any reply */
	struct shoal_status_range expect[SHOAL_EXPECT_RANGES]; /* http(s) */
	__u32 nexpect;
};

/* Repeated SYNs as a failed check: ratio_pct of new flows over window, at least min_syns. */
struct shoal_passive_conf {
	bool on;
	__u32 window_ms, min_syns, ratio_pct;
};

/* HAProxy's agent-check: a TCP connection to the backend's port returns one line. */
struct shoal_agent_check_conf {
	bool on;
	__u16 port;
	__u32 interval_ms, timeout_ms;
};

struct shoal_health_conf {
	struct shoal_check_conf check;
	bool reschedule; /* on_down: reschedule (else keep_flows) */
	struct shoal_passive_conf passive;
	__u32 slow_start_ms;
	__u32 panic_pct;
	__u32 min_healthy;
	struct shoal_agent_check_conf agent;
};

/* The defaults, before a config's defaults block and a service's own keys. */
void shoal_health_conf_init(struct shoal_health_conf *h);

const char *shoal_check_type_name(__u8 type);
int shoal_check_type_parse(const char *s, __u8 *ret);

/* ---- the rise/fall machine ---- */

enum shoal_health_state {
	SHOAL_HEALTH_UNKNOWN = 0, /* no result yet: served as it was (up, or adopted down) */
	SHOAL_HEALTH_UP,
	SHOAL_HEALTH_DOWN,
};

struct shoal_hstate {
	enum shoal_health_state state;
	__u32 ok_run, fail_run; /* consecutive results of the other kind than state */
	__u64 since_ns;		/* last transition (or start) */
	__u64 up_since_ns;	/* when it last came up from down: slow start runs from here */
};

enum shoal_transition {
	SHOAL_TRANS_NONE = 0,
	SHOAL_TRANS_UP,
	SHOAL_TRANS_DOWN,
};

void shoal_hstate_init(struct shoal_hstate *h, enum shoal_health_state start, __u64 now_ns);
/* Feeds one result; returns the transition it caused. */
enum shoal_transition shoal_hstate_result(struct shoal_hstate *h, bool ok, __u32 rise, __u32 fall,
					  __u64 now_ns);
/* "up", "down", "unknown", "rising 1/2", "falling 2/3" into buf. */
const char *shoal_hstate_describe(const struct shoal_hstate *h, __u32 rise, __u32 fall, char *buf,
				  size_t len);
/* Whether it may take new flows (up, unknown): down is the only "no". */
static inline bool shoal_hstate_serving(const struct shoal_hstate *h)
{
	return h->state != SHOAL_HEALTH_DOWN;
}

/*
 * What a backend's health is called in metrics and by scripts: one name
 * table (the words status shows add the counts: "rising 1/2").
 */
enum shoal_health_label {
	SHOAL_HL_UNCHECKED = 0, /* no check, no evidence: used as it is */
	SHOAL_HL_UNKNOWN,	/* checked, no result yet: served */
	SHOAL_HL_UP,
	SHOAL_HL_DOWN,
	SHOAL_HL_RISING,  /* down, passing checks towards rise */
	SHOAL_HL_FALLING, /* up, failing checks towards fall */
	SHOAL_HL_PANIC,	  /* down, but serving: its VIP is in panic */
	SHOAL_HL_DRAIN,	  /* its agent said drain or maint */
	SHOAL_HL_MAX,
};

const char *shoal_health_label_name(__u8 label);
/* The label of a machine's state. */
__u8 shoal_hstate_label(const struct shoal_hstate *h);

/* Slow start: the share (per mille, 100..1000 in tenths) of its weight a backend gets. */
__u32 shoal_slow_start_permille(__u64 up_since_ns, __u64 now_ns, __u32 slow_start_ms);
/* Panic: fewer than panic_pct of the active backends are healthy (none active: no panic). */
bool shoal_panic(size_t healthy, size_t active, __u32 panic_pct);

/* A check's start offset in [0, interval): spread by a hash of key, never in lock-step. */
__u64 shoal_check_offset_ns(__u64 key, __u32 interval_ms);
/* The next interval with jitter: interval +- jitter_pct, from a random r. */
__u64 shoal_check_next_ns(__u32 interval_ms, __u32 jitter_pct, __u32 r);

/* ---- passive signal ---- */

struct shoal_passive {
	__u64 base_new, base_rep; /* counters at the window's start */
	__u64 start_ns;
	bool have_base;
};

/*
 * Feeds the backend's cumulative counters (new flows, repeated SYNs). Returns
 * true when the window that ends now says the backend does not answer (the
 * window then starts afresh); writes the evidence ("12/30 SYNs repeated").
 */
bool shoal_passive_sample(struct shoal_passive *p, const struct shoal_passive_conf *c,
			  __u64 new_flows, __u64 syn_repeats, __u64 now_ns, char *why, size_t len);

/* ---- agent-check (HAProxy) ---- */

enum shoal_agent_admin {
	SHOAL_AGENT_NONE = 0, /* the line said nothing about it */
	SHOAL_AGENT_UP,	      /* up, ready */
	SHOAL_AGENT_DOWN,     /* down, fail, stopped */
	SHOAL_AGENT_DRAIN,
	SHOAL_AGENT_MAINT,
};

struct shoal_agent_reply {
	enum shoal_agent_admin admin;
	int pct; /* -1: no weight given; else 0..255 */
};

/*
 * Parses one agent-check line (without or with its CR/LF; words separated by
 * spaces, tabs or commas; "#" starts a description). Returns 0, or -EINVAL
 * for anything HAProxy's agents do not send.
 */
int shoal_agent_parse(const char *line, size_t len, struct shoal_agent_reply *ret);
/*
 * Moves the applied percentage towards the reported one: smoothed (half the
 * way), bounded (25 points a step), in 5-point steps so tables do not churn.
 */
int shoal_agent_smooth(int applied, int reported);

/* ---- availability ---- */

#define SHOAL_AVAIL_MINUTES 60

struct shoal_avail {
	__u64 up_ns, down_ns;		      /* over the agent's life */
	__u32 min_up_ms[SHOAL_AVAIL_MINUTES]; /* the last hour, by minute */
	__u32 min_down_ms[SHOAL_AVAIL_MINUTES];
	__u64 minute; /* the minute last accounted */
	__u64 last_ns;
};

/* Accounts the time since the last call as up or down (unknown time counts as neither). */
void shoal_avail_account(struct shoal_avail *a, enum shoal_health_state state, __u64 now_ns);
/* up / (up + down) over the life, or the last hour; 1 when nothing was measured. */
double shoal_avail_life(const struct shoal_avail *a);
double shoal_avail_hour(const struct shoal_avail *a);
/* A VIP's: 1 - prod(1 - A_b) over its backends (0 for none: nothing serves it). */
double shoal_avail_any(const double *a, size_t n);

#endif /* SHOAL_MODEL_HEALTH_H */
