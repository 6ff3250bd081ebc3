/* SPDX-License-Identifier: GPL-2.0-only */
/* shoald's one context, shared by its event handlers (one thread, one loop). */
#ifndef SHOAL_AGENT_H
#define SHOAL_AGENT_H

#include <stdbool.h>
#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "dataplane.h"
#include "netlink.h"
#include "state.h"

struct agent_rates {
	__u64 last_packets;
	double pps;
};

struct agent {
	struct event_base *base;
	const char *config_path;
	const char *iface_override;
	struct shoal_config *conf;
	struct shoal_state *state;
	struct shoal_dp *dp;
	struct shoal_link_info link;
	bool gw_resolved;
	__u8 gw_mac[6];
	int ctl_fd;
	struct event *ctl_ev;
	struct evhttp *http;
	void *nl;
	struct event *nl_ev;
	struct event *tick_ev;
	struct event *watchdog_ev;
	struct event *sig_ev[3];
	struct agent_rates *vip_rates; /* [SHOAL_MAX_VIPS] */
	struct agent_rates *be_rates;  /* [SHOAL_MAX_BACKENDS] */
	__u64 reloads, reload_failures;
};

/* Re-reads the config; on any error changes nothing. errs gets the messages. */
int agent_reload(struct agent *a, struct shoal_errors *errs);
/* Applies a.state to the data plane (logs failures). */
void agent_apply(struct agent *a);

int ctl_open(struct agent *a);
void ctl_close(struct agent *a);
int metrics_open(struct agent *a);
void metrics_close(struct agent *a);

#endif /* SHOAL_AGENT_H */
