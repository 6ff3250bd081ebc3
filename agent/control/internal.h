/* SPDX-License-Identifier: GPL-2.0-only */
/* What the control room's files share: a connection and the command table. */
#ifndef SHOAL_CONTROL_INTERNAL_H
#define SHOAL_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <jansson.h>

struct shoal_parts;

struct ctl_conn {
	struct shoal_control *ctl;
	struct shoal_parts *p;
	struct bufferevent *bev;
	bool busy;	  /* a reply is pending: later requests wait */
	bool wait_apply;  /* set by a handler: reply once the change is applied */
	bool wait_flows;  /* set by a handler: run it again with a fresh flow count */
	bool flows_fresh; /* set for that second run */
	json_t *req;	  /* the request being served */
	json_t *result;	  /* its result, held until the apply */
	struct ctl_conn *next;
};

typedef json_t *(*ctl_handler_fn)(struct ctl_conn *c, json_t *args, const char **err);

/* The handler of command name, or NULL. */
ctl_handler_fn ctl_command(const char *name);
const char *ctl_errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SHOAL_CONTROL_INTERNAL_H */
