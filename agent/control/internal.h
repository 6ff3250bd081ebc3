/* SPDX-License-Identifier: GPL-2.0-only */
/* What the control room's files share: a connection and the command table. */
#ifndef SHOAL_CONTROL_INTERNAL_H
#define SHOAL_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

struct shoal_parts;
struct shoal_state;
struct shoal_timer;
struct ctl_conn;

/*
 * A reply too big to build in one handler run (status and stats of 10,000
 * backends): its head now, then its list item by item in slices of the loop,
 * from a snapshot of the state taken when the request came.
 */
struct ctl_stream {
	json_t *head;		  /* the result object, without the list */
	const char *list_key;	  /* the list's name in it */
	struct shoal_state *snap; /* what the items are read from */
	size_t next;		  /* next item (a VIP of snap) */
	bool with_backends;	  /* items carry their backends */
	bool started;		  /* the head is written */
};

struct ctl_conn {
	struct shoal_control *ctl;
	struct shoal_parts *p;
	struct bufferevent *bev;
	bool busy;		   /* a reply is pending: later requests wait */
	bool stalled;		   /* too many replies unread: reading paused */
	uid_t uid;		   /* the peer\'s */
	pid_t pid;		   /* the peer\'s, when it connected (for the audit trail) */
	bool wait_apply;	   /* set by a handler: reply once the change is applied */
	bool wait_flows;	   /* set by a handler: run it again with a fresh flow count */
	bool flows_fresh;	   /* set for that second run */
	bool deferred;		   /* set by a handler: it replies later (ctl_reply*) */
	json_t *req;		   /* the request being served */
	json_t *result;		   /* its result, held until the apply */
	struct ctl_stream *stream; /* set by a handler: the reply is streamed */
	struct shoal_timer *slice; /* the stream's next slice */
	struct ctl_conn *next;
};

typedef json_t *(*ctl_handler_fn)(struct ctl_conn *c, json_t *args, const char **err);

/* Starts streaming head (stolen) with the VIPs of a snapshot of the state as list_key. */
int ctl_stream_vips(struct ctl_conn *c, json_t *head, const char *list_key, bool with_backends);
/* Item i of a stream: a VIP of the snapshot as JSON. */
json_t *ctl_stream_item(struct ctl_conn *c, size_t i);
void ctl_stream_free(struct ctl_stream *st);

/* The reply of a deferred request; the connection goes on with its next. */
void ctl_reply(struct ctl_conn *c, json_t *res, const char *err);
/* The same, once the reconcile it asks for has applied the change. */
void ctl_reply_after_apply(struct ctl_conn *c, json_t *res);

/* The handler of command name, or NULL. */
struct shoal_vip_state;
struct shoal_be_state;
/* A backend's checks (health_json.c): null before its first sync. */
json_t *ctl_health_json(struct ctl_conn *c, const struct shoal_vip_state *v,
			const struct shoal_be_state *b);
/* A VIP's panic, servability and availability. */
json_t *ctl_vip_health_json(struct ctl_conn *c, const struct shoal_vip_state *v);

/* anycast_json.c */
json_t *ctl_bgp(struct ctl_conn *c, json_t *args, const char **err);
json_t *ctl_vip_withdraw(struct ctl_conn *c, json_t *args, const char **err);
/* flows_json.c: entries of the flow table, bounded */
json_t *ctl_flows(struct ctl_conn *c, json_t *args, const char **err);
json_t *ctl_vip_announce(struct ctl_conn *c, json_t *args, const char **err);

ctl_handler_fn ctl_command(const char *name, const char **ret_handler_name);
const char *ctl_errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Who made a change, for the log's audit trail: "lbctl (uid U, pid P)". */
const char *ctl_who(const struct ctl_conn *c);

#endif /* SHOAL_CONTROL_INTERNAL_H */
