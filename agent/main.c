// SPDX-License-Identifier: GPL-2.0-only
/*
 * shoald: loads and attaches the balancer, is the only writer of its maps,
 * and serves lbctl and Prometheus. One thread, one libevent loop.
 *
 *   shoald -c FILE [-i IFACE] [--foreground] [--log-level L] [--detach]
 *
 * Start-up: config (refused whole on any error) -> desired state -> maps
 * (adopted from a pinned earlier run when there is one) -> attach (or swap the
 * program into the pinned link) -> control socket, metrics -> READY.
 * SIGHUP or `lbctl reload` re-reads the config. SIGTERM/SIGINT stop the agent;
 * the pinned program keeps forwarding with the last state (fail static).
 * --detach removes everything pinned, which detaches the program.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>

#include "addr.h"
#include "agent.h"
#include "ctl_proto.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: shoald -c FILE [-i IFACE] [--foreground] [--log-level error|warn|info|"
		   "debug] [--detach]\n");
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void sd_notify_msg(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun, len);
	close(fd);
}

static void host_cfg_push(struct agent *a)
{
	const struct shoal_host_conf *h = &a->state->host;
	struct shoal_host_cfg cfg = { .ttl = 64 };

	memcpy(cfg.if_mac, a->link.mac, 6);
	memcpy(cfg.gw_mac, h->have_gateway_mac ? h->gateway_mac : a->gw_mac, 6);
	if (h->have_src_v4)
		cfg.src_v4 = h->src_v4.u32[3];
	if (h->have_src_v6)
		cfg.src_v6 = h->src_v6;
	cfg.gue_port = htons(h->gue_port);
	cfg.mtu = h->mtu ? h->mtu : (__u16)(a->link.mtu > 65535 ? 65535 : a->link.mtu);
	cfg.hash_seed = h->hash_seed;
	/* without a next hop nothing can be sent: the program drops as not-ready */
	if (h->have_gateway_mac || a->gw_resolved)
		shoal_dp_set_host(a->dp, &cfg);
}

/* Interface and next hop, from netlink; pushes them when they changed. */
static void resolve_network(struct agent *a)
{
	struct shoal_link_info li;
	struct shoal_addr gw;
	__u8 mac[6];
	bool changed = false;
	int ret;

	ret = shoal_nl_link(a->state->host.interface, &li);
	if (ret) {
		log_warn("interface %s: %s", a->state->host.interface, strerror(-ret));
		return;
	}
	if (memcmp(&li, &a->link, sizeof(li))) {
		a->link = li;
		changed = true;
	}
	if (!a->state->host.have_gateway_mac) {
		ret = shoal_nl_gateway(li.ifindex, a->state->host.have_src_v4 ? AF_INET : AF_INET6,
				       &gw);
		if (!ret)
			ret = shoal_nl_neigh(li.ifindex, &gw, mac);
		if (!ret && (!a->gw_resolved || memcmp(mac, a->gw_mac, 6))) {
			char s[SHOAL_ADDR_STRLEN];

			memcpy(a->gw_mac, mac, 6);
			a->gw_resolved = true;
			changed = true;
			log_info("next hop %s is %02x:%02x:%02x:%02x:%02x:%02x",
				 shoal_addr_format(&gw, s, sizeof(s)), mac[0], mac[1], mac[2],
				 mac[3], mac[4], mac[5]);
		} else if (ret && ret != -EAGAIN && a->gw_resolved) {
			log_warn("next hop lost: %s", strerror(-ret));
		}
	}
	if (changed)
		host_cfg_push(a);
}

void agent_apply(struct agent *a)
{
	int errors = shoal_dp_apply(a->dp, a->state);

	if (errors)
		log_err("%d map writes failed (see shoal_map_write_errors_total)", errors);
}

/* Host settings that only a restart can change. */
static const char *host_needs_restart(const struct shoal_host_conf *o,
				      const struct shoal_host_conf *n)
{
	if (strcmp(o->interface, n->interface))
		return "interface";
	if (o->xdp_mode != n->xdp_mode)
		return "xdp_mode";
	if (o->flow_table_size != n->flow_table_size)
		return "flow_table_size";
	if (strcmp(o->pin_path, n->pin_path))
		return "pin_path";
	if (strcmp(o->control_socket, n->control_socket))
		return "control_socket";
	if (strcmp(o->metrics_addr, n->metrics_addr))
		return "metrics";
	return NULL;
}

static int load_config(struct agent *a, struct shoal_config **ret, struct shoal_errors *errs)
{
	struct shoal_config *c = NULL;
	int ret_code;

	ret_code = shoal_config_load(a->config_path, &c, errs);
	if (ret_code)
		return ret_code;
	if (a->iface_override)
		snprintf(c->host.interface, sizeof(c->host.interface), "%s", a->iface_override);
	*ret = c;
	return 0;
}

int agent_reload(struct agent *a, struct shoal_errors *errs)
{
	struct shoal_config *c = NULL;
	struct shoal_state *s = NULL;
	const char *what;
	int ret;

	a->reloads++;
	ret = load_config(a, &c, errs);
	if (ret)
		goto fail;
	if (a->iface_override)
		memcpy(c->host.pin_path, a->conf->host.pin_path, sizeof(c->host.pin_path));
	what = host_needs_restart(&a->conf->host, &c->host);
	if (what) {
		char *msg;

		if (asprintf(&msg, "%s: host.%s changed: restart shoald to apply it", c->path,
			     what) >= 0) {
			char **grown = realloc(errs->msg, (errs->n + 1) * sizeof(char *));

			if (grown) {
				errs->msg = grown;
				errs->msg[errs->n++] = msg;
			} else {
				free(msg);
			}
		}
		ret = -EINVAL;
		goto fail;
	}
	ret = shoal_state_from_config(c, a->state, &s);
	if (ret)
		goto fail;
	shoal_config_free(a->conf);
	shoal_state_free(a->state);
	a->conf = c;
	a->state = s;
	/* a next hop followed while a static gateway_mac was set may be stale */
	resolve_network(a);
	host_cfg_push(a);
	agent_apply(a);
	log_info("reloaded %s: %zu VIPs", a->config_path, s->nvips);
	return 0;
fail:
	a->reload_failures++;
	shoal_config_free(c);
	log_err("reload refused, nothing changed:");
	for (size_t i = 0; i < errs->n; i++)
		log_err("  %s", errs->msg[i]);
	return ret ? ret : -EINVAL;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;
	struct shoal_errors errs = { 0 };

	(void)what;
	if (sig == SIGHUP) {
		agent_reload(a, &errs);
		shoal_errors_free(&errs);
		return;
	}
	log_info("stopping on signal %d; the pinned program keeps forwarding", (int)sig);
	sd_notify_msg("STOPPING=1");
	event_base_loopbreak(a->base);
}

static void on_netlink(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	if (shoal_nl_events_drain(a->nl) > 0)
		resolve_network(a);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	size_t i, j;

	(void)fd;
	(void)what;
	if (!a->gw_resolved && !a->state->host.have_gateway_mac)
		resolve_network(a);
	for (i = 0; i < a->state->nvips; i++) {
		const struct shoal_vip_state *v = &a->state->vips[i];
		struct shoal_vip_stats vs = { 0 };

		shoal_dp_vip_stats(a->dp, v->id, &vs);
		a->vip_rates[v->id].pps = (double)(vs.packets - a->vip_rates[v->id].last_packets);
		a->vip_rates[v->id].last_packets = vs.packets;
		for (j = 0; j < v->nbe; j++) {
			struct shoal_backend_stats bs = { 0 };
			struct agent_rates *r = &a->be_rates[v->be[j].id];

			shoal_dp_backend_stats(a->dp, v->be[j].id, &bs);
			r->pps = (double)(bs.packets - r->last_packets);
			r->last_packets = bs.packets;
		}
	}
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify_msg("WATCHDOG=1");
}

static int start(struct agent *a)
{
	struct shoal_dp_opts o = { .flow_entries = a->state->host.flow_table_size,
				   .pin_dir = a->state->host.pin_path };
	__u32 xdp_flags = a->state->host.xdp_mode == SHOAL_XDP_GENERIC ? XDP_FLAGS_SKB_MODE
								       : XDP_FLAGS_DRV_MODE;
	const struct timeval one_sec = { 1, 0 };
	bool adopted = false;
	int ret, fd;

	ret = shoal_nl_link(a->state->host.interface, &a->link);
	if (ret) {
		log_err("interface %s: %s", a->state->host.interface, strerror(-ret));
		return ret;
	}
	ret = shoal_dp_open(&o, &a->dp);
	if (ret) {
		log_err("cannot load the data plane: %s (a pinned map of another size or layout "
			"under %s? shoald --detach removes it)",
			strerror(-ret), a->state->host.pin_path);
		return ret;
	}
	if (shoal_dp_adopted(a->dp)) {
		struct shoal_state *old = NULL, *s = NULL;

		/* the ids the adopted flows name go to the same VIPs and backends */
		ret = shoal_dp_read_state(a->dp, &old);
		if (!ret)
			ret = shoal_state_from_config(a->conf, old, &s);
		shoal_state_free(old);
		if (ret) {
			log_err("cannot adopt the pinned state: %s", strerror(-ret));
			return ret;
		}
		shoal_state_free(a->state);
		a->state = s;
	}
	resolve_network(a);
	/* tables and VIPs before the program sees traffic through the new link */
	agent_apply(a);
	ret = shoal_dp_attach_pinned(a->dp, a->link.ifindex, xdp_flags, &adopted);
	if (ret) {
		log_err("cannot attach to %s: %s", a->state->host.interface, strerror(-ret));
		return ret;
	}
	log_info("%s %s in %s mode; maps %s under %s", adopted ? "took over" : "attached to",
		 a->state->host.interface,
		 a->state->host.xdp_mode == SHOAL_XDP_GENERIC ? "generic" : "native",
		 shoal_dp_adopted(a->dp) ? "adopted" : "created", a->state->host.pin_path);

	ret = ctl_open(a);
	if (ret) {
		log_err("control socket %s: %s", a->state->host.control_socket, strerror(-ret));
		return ret;
	}
	ret = metrics_open(a);
	if (ret) {
		log_err("metrics on %s: %s", a->state->host.metrics_addr, strerror(-ret));
		return ret;
	}
	if (!shoal_nl_events_open(&a->nl, &fd)) {
		a->nl_ev = event_new(a->base, fd, EV_READ | EV_PERSIST, on_netlink, a);
		event_add(a->nl_ev, NULL);
	}
	a->tick_ev = event_new(a->base, -1, EV_PERSIST, on_tick, a);
	event_add(a->tick_ev, &one_sec);
	if (getenv("WATCHDOG_USEC")) {
		long usec = atol(getenv("WATCHDOG_USEC"));
		struct timeval half = { usec / 2000000, (usec / 2) % 1000000 };

		if (usec > 0) {
			a->watchdog_ev = event_new(a->base, -1, EV_PERSIST, on_watchdog, a);
			event_add(a->watchdog_ev, &half);
		}
	}
	return 0;
}

static void stop(struct agent *a)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (a->sig_ev[i])
			event_free(a->sig_ev[i]);
	if (a->watchdog_ev)
		event_free(a->watchdog_ev);
	if (a->tick_ev)
		event_free(a->tick_ev);
	if (a->nl_ev)
		event_free(a->nl_ev);
	shoal_nl_events_close(a->nl);
	metrics_close(a);
	if (a->state)
		ctl_close(a);
	shoal_dp_close(a->dp);
	shoal_state_free(a->state);
	shoal_config_free(a->conf);
	free(a->vip_rates);
	free(a->be_rates);
	if (a->base)
		event_base_free(a->base);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "interface", required_argument, NULL, 'i' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "detach", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct agent a = { .ctl_fd = -1 };
	struct shoal_errors errs = { 0 };
	bool detach = false;
	int c, ret = 1, sigs[3] = { SIGHUP, SIGTERM, SIGINT };
	size_t i;

	while ((c = getopt_long(argc, argv, "c:i:fl:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'i':
			a.iface_override = optarg;
			break;
		case 'f':
			break; /* shoald never forks: a supervisor runs it */
		case 'l':
			if (shoal_log_level_parse(optarg, &shoal_log_level)) {
				usage(stderr);
				return 2;
			}
			break;
		case 'd':
			detach = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!a.config_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (load_config(&a, &a.conf, &errs)) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		shoal_errors_free(&errs);
		return 1;
	}
	if (a.iface_override && !strstr(a.conf->host.pin_path, a.iface_override))
		snprintf(a.conf->host.pin_path, sizeof(a.conf->host.pin_path),
			 "/sys/fs/bpf/shoal/%s", a.iface_override);
	if (detach) {
		ret = shoal_dp_unpin(a.conf->host.pin_path);
		if (ret)
			log_err("cannot remove %s: %s", a.conf->host.pin_path, strerror(-ret));
		else
			log_info("removed everything under %s", a.conf->host.pin_path);
		shoal_config_free(a.conf);
		return ret ? 1 : 0;
	}
	signal(SIGPIPE, SIG_IGN);
	a.vip_rates = calloc(SHOAL_MAX_VIPS, sizeof(*a.vip_rates));
	a.be_rates = calloc(SHOAL_MAX_BACKENDS, sizeof(*a.be_rates));
	a.base = event_base_new();
	if (!a.vip_rates || !a.be_rates || !a.base ||
	    shoal_state_from_config(a.conf, NULL, &a.state))
		goto out;
	for (i = 0; i < 3; i++) {
		a.sig_ev[i] = evsignal_new(a.base, sigs[i], on_signal, &a);
		if (!a.sig_ev[i] || event_add(a.sig_ev[i], NULL))
			goto out;
	}
	if (start(&a))
		goto out;
	sd_notify_msg("READY=1");
	log_info("ready: %zu VIPs, control socket %s", a.state->nvips,
		 a.state->host.control_socket);
	event_base_dispatch(a.base);
	ret = 0;
out:
	stop(&a);
	return ret;
}
