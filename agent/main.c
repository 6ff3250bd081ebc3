// SPDX-License-Identifier: GPL-2.0-only
/*
 * shoald: loads and attaches the balancer, is the only writer of its maps,
 * and serves lbctl and Prometheus. One libevent loop on one thread; only a
 * reload's read and parse of the file (pure: it touches no state) runs on a
 * thread of its own (configfile/).
 *
 *   shoald -c FILE [-i IFACE] [--foreground] [--log-level L] [--detach]
 *   shoald --check -c FILE   (validates FILE as a reload would; touches nothing)
 *
 * Wiring only. Inputs (config file, control socket, netlink) edit the
 * desired state and request a reconcile; the reconcile makes the data plane
 * follow in slices; outputs (maps, metrics, status) read the state.
 * Start-up: config (refused whole on any error) -> desired state -> maps
 * (adopted from a pinned earlier run when there is one) -> attach (or swap
 * the program into the pinned link) -> control socket, metrics -> READY.
 * SIGTERM/SIGINT stop the agent; the pinned program keeps forwarding with
 * the last state (fail static). --detach removes everything pinned.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <event2/event.h>
#include <linux/if_link.h>
#include <net/if.h>

#include "anycast/anycast.h"
#include "control/proto.h"
#include "core/version.h"
#include "discovery/discovery.h"
#include "discovery/tls.h"
#include "configfile/configfile.h"
#include "control/control.h"
#include "core/accept.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/notify.h"
#include "core/parts.h"
#include "core/reconcile.h"
#include "dataplane/dataplane.h"
#include "dataplane/flowwatch.h"
#include "health/health.h"
#include "metrics/metrics.h"
#include "model/state.h"
#include "net/nexthop.h"

/* Slices of work (apply, flow walk) stay well under the loop's 20 ms bound. */
#define SLICE_NS (5ULL * 1000000)

struct agent {
	struct shoal_parts p;
	struct shoal_configfile file;
	struct shoal_control *control;
	struct shoal_metrics *metrics;
	struct shoal_timer *rates;
	struct shoal_timer *watchdog;
	struct event *sig_ev[4];
	bool stopping;
	/* the reconcile job under way */
	struct shoal_state *snapshot;
	struct shoal_dp_apply *apply;
};

/* shoald --check: the file as a reload would take it (parsed, validated, a state built). */
static int check_config(struct shoal_configfile *f)
{
	struct shoal_errors errs = { 0 };
	struct shoal_state *s = NULL;
	size_t i, nbe = 0;
	int ret;

	ret = shoal_configfile_load(f, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	shoal_errors_free(&errs);
	if (ret)
		return 1;
	for (i = 0; i < f->conf->warnings.n; i++)
		fprintf(stderr, "%s\n", f->conf->warnings.msg[i]);
	ret = shoal_state_from_config(f->conf, NULL, &s);
	if (ret) {
		fprintf(stderr, "%s: %s\n", f->path, strerror(-ret));
		shoal_configfile_close(f);
		return 1;
	}
	for (i = 0; i < s->nvips; i++)
		nbe += s->vips[i].nbe;
	if (f->conf->discovery.tls) {
		const struct shoal_discovery_conf *d = &f->conf->discovery;
		char err[256];
		SSL_CTX *ctx = shoal_tls_client_ctx(d->tls_files.ca, d->tls_files.cert,
						    d->tls_files.key, err, sizeof(err));

		/* a warning: the files may be put in place after the check (as in a package) */
		if (!ctx)
			fprintf(stderr,
				"%s: warning: discovery.tls: %s (shoald will not start until it is "
				"fixed)\n",
				f->path, err);
		SSL_CTX_free(ctx);
	}
	printf("%s: valid: %zu services, %zu backends\n", f->path, s->nvips, nbe);
	shoal_state_free(s);
	shoal_configfile_close(f);
	return 0;
}

static void libbpf_line(bool warn, const char *line)
{
	shoal_log(warn ? LOG_LVL_WARN : LOG_LVL_INFO, "libbpf: %s", line);
}

/*
 * shoald --detach with a file that cannot be read: the interface from -i,
 * else the one instance pinned under the default root.
 */
static int detach_without_config(const char *iface)
{
	char path[SHOAL_PATH_MAX + 300], found[256] = "";
	unsigned int ifindex;
	struct dirent *e;
	int n = 0, ret;
	DIR *d;

	if (!iface) {
		d = opendir(SHOAL_PIN_ROOT);
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && n++ == 0)
				snprintf(found, sizeof(found), "%s", e->d_name);
		if (d)
			closedir(d);
		if (n != 1) {
			fprintf(stderr,
				"shoald: the file is broken and %s holds %d instances: name the "
				"interface (-i IFACE)\n",
				SHOAL_PIN_ROOT, n);
			return 1;
		}
		iface = found;
	}
	snprintf(path, sizeof(path), "%s/%s", SHOAL_PIN_ROOT, iface);
	fprintf(stderr, "shoald: the file is broken: detaching %s (%s) all the same\n", iface,
		path);
	ifindex = if_nametoindex(iface);
	if (ifindex)
		shoal_dp_checks_detach((int)ifindex);
	ret = shoal_dp_unpin(path);
	if (ret) {
		fprintf(stderr, "shoald: cannot remove %s: %s\n", path, strerror(-ret));
		return 1;
	}
	fprintf(stderr, "shoald: removed everything under %s\n", path);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shoald -c FILE [-i IFACE] [--foreground] [--log-level error|warn|info|"
		   "debug] [--detach]\n"
		   "       shoald --check -c FILE [-i IFACE]\n"
		   "       shoald --version\n"
		   "       shoald --gen-seed   (prints a random host.hash_seed)\n");
}

/* The host config follows the interface and next hop; without a MAC nothing is pushed. */
static void host_push(struct agent *a)
{
	struct shoal_host_cfg cfg;
	__u8 mac[6];

	/* without a next hop nothing can be sent: the program drops as not-ready */
	if (!shoal_nexthop_mac(a->p.nexthop, mac))
		return;
	const struct shoal_link_info *li = shoal_nexthop_link(a->p.nexthop);

	shoal_dp_host_cfg_build(&a->p.state->host, li->mac, li->mtu, mac, &cfg);
	shoal_dp_set_host(a->p.dp, &cfg);
}

static int reconcile_begin(void *arg)
{
	struct agent *a = arg;
	int ret;

	host_push(a);
	/* the latest health results into the state, then a snapshot of it to apply */
	if (a->p.health)
		shoal_health_sync(a->p.health);
	ret = shoal_state_dup(a->p.state, &a->snapshot);
	if (ret)
		return ret;
	ret = shoal_dp_apply_begin(a->p.dp, a->snapshot, &a->apply);
	if (ret) {
		shoal_state_free(a->snapshot);
		a->snapshot = NULL;
	}
	return ret;
}

static int reconcile_step(void *arg, __u64 budget_ns)
{
	struct agent *a = arg;

	return shoal_dp_apply_step(a->apply, budget_ns);
}

static int reconcile_end(void *arg)
{
	struct agent *a = arg;
	int errors = shoal_dp_apply_end(a->apply);

	a->apply = NULL;
	/* what the maps now hold may be announced (and what left them withdrawn) */
	if (a->p.anycast)
		shoal_anycast_sync(a->p.anycast, a->snapshot);
	shoal_state_free(a->snapshot);
	a->snapshot = NULL;
	if (errors)
		log_err("%d map writes failed (see shoal_map_write_errors_total)", errors);
	return errors;
}

static const struct shoal_reconcile_ops reconcile_ops = {
	.begin = reconcile_begin,
	.step = reconcile_step,
	.end = reconcile_end,
};

static void on_nexthop_changed(void *arg)
{
	struct agent *a = arg;

	shoal_reconcile_request(a->p.reconcile, NULL, NULL);
}

static void sighup_reloaded(void *arg, int ret, const struct shoal_errors *errs)
{
	struct agent *a = arg;
	size_t i;

	if (ret) {
		log_err("reload (SIGHUP) refused, nothing changed:");
		for (i = 0; i < errs->n; i++)
			log_err("  %s", errs->msg[i]);
		return;
	}
	log_info("reloaded %s: %zu VIPs, by SIGHUP", a->file.path, a->p.state->nvips);
	shoal_discovery_reapply(a->p.discovery);
	shoal_configfile_log_warnings(&a->file);
	shoal_nexthop_refresh(a->p.nexthop);
	shoal_reconcile_request(a->p.reconcile, NULL, NULL);
}

static void stop_now(void *arg)
{
	struct agent *a = arg;

	shoal_loop_stop(a->p.loop);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;
	int ret;

	(void)what;
	if (sig == SIGUSR2) {
		/* a restart (an upgrade): peers keep the routes, the program keeps forwarding */
		log_info("stopping for a restart; the pinned program keeps forwarding");
		shoal_notify("STOPPING=1");
		if (a->p.anycast)
			shoal_anycast_restart_stop(a->p.anycast);
		shoal_loop_stop(a->p.loop);
		return;
	}
	if (sig != SIGHUP) {
		log_info("stopping on signal %d; the pinned program keeps forwarding", (int)sig);
		shoal_notify("STOPPING=1");
		/* withdraw first, forward through the grace, then go (a second signal: now) */
		if (a->p.anycast && !a->stopping) {
			a->stopping = true;
			shoal_anycast_shutdown(a->p.anycast, stop_now, a);
			return;
		}
		shoal_loop_stop(a->p.loop);
		return;
	}
	/* read and parsed off the loop; applied when it is back */
	ret = shoal_configfile_reload_start(&a->file, a->p.state, sighup_reloaded, a);
	if (ret)
		log_err("SIGHUP: %s", ret == -EBUSY ? "a reload is under way" : strerror(-ret));
}

static void on_rates(void *arg)
{
	struct agent *a = arg;

	shoal_dp_rates_update(a->p.dp, a->p.state);
}

static void on_watchdog(void *arg)
{
	(void)arg;
	shoal_notify("WATCHDOG=1");
}

/* Adopted maps name ids: the state gives the same VIPs and backends the same ones. */
static int adopt_ids(struct agent *a)
{
	struct shoal_state *old = NULL, *s = NULL;
	int ret;

	ret = shoal_dp_read_state(a->p.dp, &old);
	if (!ret)
		ret = shoal_state_from_config(a->file.conf, old, &s);
	shoal_state_free(old);
	if (ret)
		return ret;
	shoal_state_replace(a->p.state, s);
	return 0;
}

static int start(struct agent *a)
{
	const struct shoal_host_conf *h = &a->p.state->host;
	struct shoal_dp_opts o = { .flow_entries = h->flow_table_size, .pin_dir = h->pin_path };
	__u32 xdp_flags =
		h->xdp_mode == SHOAL_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	bool adopted = false;
	int ret;

	ret = shoal_nexthop_open(a->p.loop, a->p.state, &a->p.nexthop);
	if (ret) {
		log_err("interface %s: %s", h->interface, strerror(-ret));
		return ret;
	}
	ret = shoal_dp_open(&o, &a->p.dp);
	if (ret) {
		log_err("cannot load the data plane: %s (a pinned map of another size or layout "
			"under %s? shoald --detach removes it)",
			strerror(-ret), h->pin_path);
		return ret;
	}
	if (shoal_dp_adopted(a->p.dp) && (ret = adopt_ids(a))) {
		log_err("cannot adopt the pinned state: %s", strerror(-ret));
		return ret;
	}
	/* etcd's last state seen joins the file's before the first apply */
	if (a->file.conf->discovery.on) {
		ret = shoal_discovery_open(&a->p, &a->file.conf->discovery, &a->p.discovery);
		if (ret) {
			log_err("discovery: %s", strerror(-ret));
			return ret;
		}
	}
	/* tables and VIPs before the program sees traffic through the new link */
	host_push(a);
	if (shoal_dp_apply(a->p.dp, a->p.state))
		log_err("some map writes failed (see shoal_map_write_errors_total)");
	ret = shoal_dp_attach_pinned(a->p.dp, shoal_nexthop_link(a->p.nexthop)->ifindex, xdp_flags,
				     &adopted);
	if (ret) {
		log_err("cannot attach to %s: %s", h->interface, strerror(-ret));
		return ret;
	}
	log_info("%s %s in %s mode; maps %s under %s", adopted ? "took over" : "attached to",
		 h->interface, h->xdp_mode == SHOAL_XDP_GENERIC ? "generic" : "native",
		 shoal_dp_adopted(a->p.dp) ? "adopted" : "created", h->pin_path);

	ret = shoal_reconcile_new(a->p.loop, &reconcile_ops, a, SLICE_NS, &a->p.reconcile);
	if (!ret)
		ret = shoal_flowwatch_open(a->p.loop, a->p.dp, SLICE_NS, &a->p.flows);
	if (ret)
		return ret;
	ret = shoal_dp_checks_attach(a->p.dp, shoal_nexthop_link(a->p.nexthop)->ifindex);
	if (ret)
		log_warn("health checks through the tunnel: cannot attach to %s egress: %s (they "
			 "will fail)",
			 h->interface, strerror(-ret));
	ret = shoal_health_open(&a->p, &a->p.health);
	if (ret)
		return ret;
	/* announced from the first apply on: the program is attached by now */
	if (a->file.conf->anycast.mode != SHOAL_ANNOUNCE_NONE) {
		ret = shoal_anycast_open(&a->p, &a->file.conf->anycast, shoal_dp_adopted(a->p.dp),
					 &a->p.anycast);
		if (ret) {
			log_err("anycast: %s", strerror(-ret));
			return ret;
		}
	}
	/* the first sync starts the checks */
	shoal_reconcile_request(a->p.reconcile, NULL, NULL);
	/* from now on a change of interface or next hop is an input like any other */
	shoal_nexthop_on_change(a->p.nexthop, on_nexthop_changed, a);
	ret = shoal_control_open(&a->p, h->control_socket, &a->control);
	if (ret) {
		log_err("control socket %s: %s", h->control_socket, strerror(-ret));
		return ret;
	}
	ret = shoal_metrics_open(&a->p, h->metrics_addr, &a->metrics);
	if (ret) {
		log_err("metrics on %s: %s", h->metrics_addr, strerror(-ret));
		return ret;
	}
	a->rates = shoal_timer_every(a->p.loop, "rates", 1000000, on_rates, a);
	if (shoal_notify_watchdog_usec())
		a->watchdog = shoal_timer_every(a->p.loop, "watchdog", shoal_notify_watchdog_usec(),
						on_watchdog, a);
	return a->rates ? 0 : -ENOMEM;
}

static void stop(struct agent *a)
{
	size_t i;

	shoal_anycast_close(a->p.anycast);
	a->p.anycast = NULL;
	shoal_discovery_close(a->p.discovery);
	a->p.discovery = NULL;
	for (i = 0; i < 4; i++)
		if (a->sig_ev[i])
			event_free(a->sig_ev[i]);
	shoal_timer_free(a->watchdog);
	shoal_timer_free(a->rates);
	shoal_health_close(a->p.health);
	a->p.health = NULL;
	shoal_metrics_close(a->metrics);
	shoal_control_close(a->control);
	shoal_configfile_reload_forget(&a->file, a);
	shoal_reconcile_free(a->p.reconcile);
	shoal_flowwatch_close(a->p.flows);
	shoal_nexthop_close(a->p.nexthop);
	shoal_dp_close(a->p.dp);
	shoal_state_free(a->p.state);
	shoal_configfile_close(&a->file);
	shoal_loop_free(a->p.loop);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "interface", required_argument, NULL, 'i' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "detach", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'C' },
		{ "gen-seed", no_argument, NULL, 'S' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct agent a = { 0 };
	struct shoal_errors errs = { 0 };
	bool detach = false, check = false;
	int lock_fd = -1;
	int c, ret = 1, sigs[4] = { SIGHUP, SIGTERM, SIGINT, SIGUSR2 };
	size_t i;

	shoal_log_init();
	shoal_dp_set_logger(libbpf_line);
	a.p.file = &a.file;
	while ((c = getopt_long(argc, argv, "c:i:fl:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.file.path = optarg;
			break;
		case 'i':
			a.file.iface_override = optarg;
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
		case 'C':
			check = true;
			break;
		case 'S': {
			__u32 seed = 0;

			/* a seed of 0 is refused: draw until it is not */
			while (!seed)
				if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
					perror("getrandom");
					return 1;
				}
			printf("hash_seed: 0x%08x\n", seed);
			return 0;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("shoald %s (map ABI %d, control protocol %d)\n", SHOAL_VERSION,
			       SHOAL_ABI_VERSION, SHOAL_CTL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!a.file.path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (check)
		return check_config(&a.file);
	if (shoal_configfile_load(&a.file, &errs)) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		shoal_errors_free(&errs);
		/* taking the balancer down must not depend on a good file */
		return detach ? detach_without_config(a.file.iface_override) : 1;
	}
	shoal_configfile_log_warnings(&a.file);
	/* before anything is touched: a second agent on these maps changes nothing */
	{
		pid_t owner;

		lock_fd = shoal_lock_take(a.file.conf->host.pin_path, &owner);
		if (lock_fd == -EBUSY) {
			log_err("another shoald (pid %d) runs on %s: this one changes nothing and "
				"exits",
				(int)owner, a.file.conf->host.pin_path);
			shoal_configfile_close(&a.file);
			return 1;
		}
		if (lock_fd < 0) {
			log_err("cannot lock %s: %s", SHOAL_LOCK_DIR, strerror(-lock_fd));
			shoal_configfile_close(&a.file);
			return 1;
		}
	}
	if (!detach && shoal_control_in_use(a.file.conf->host.control_socket)) {
		log_err("control socket %s is in use by a running shoald: this one changes nothing "
			"and exits",
			a.file.conf->host.control_socket);
		shoal_configfile_close(&a.file);
		close(lock_fd);
		return 1;
	}
	if (detach) {
		unsigned int ifindex = if_nametoindex(a.file.conf->host.interface);

		if (ifindex && shoal_dp_checks_detach((int)ifindex))
			log_warn("cannot remove the health-check filter from %s egress",
				 a.file.conf->host.interface);
		ret = shoal_dp_unpin(a.file.conf->host.pin_path);
		if (ret)
			log_err("cannot remove %s: %s", a.file.conf->host.pin_path, strerror(-ret));
		else
			log_info("removed everything under %s", a.file.conf->host.pin_path);
		shoal_configfile_close(&a.file);
		close(lock_fd);
		return ret ? 1 : 0;
	}
	signal(SIGPIPE, SIG_IGN);
	/* many clients are no reason to run out: listeners shed load (core/accept) */
	log_info("descriptor limit %ld", shoal_raise_fd_limit());
	shoal_accept_reserve();
	if (shoal_loop_new(&a.p.loop) || shoal_state_from_config(a.file.conf, NULL, &a.p.state))
		goto out;
	a.file.loop = a.p.loop;
	for (i = 0; i < 4; i++) {
		a.sig_ev[i] = evsignal_new(shoal_loop_base(a.p.loop), sigs[i], on_signal, &a);
		if (!a.sig_ev[i] || event_add(a.sig_ev[i], NULL))
			goto out;
	}
	if (start(&a))
		goto out;
	shoal_notify("READY=1");
	log_info("ready: %zu VIPs, control socket %s", a.p.state->nvips,
		 a.p.state->host.control_socket);
	ret = shoal_loop_run(a.p.loop);
	if (ret)
		log_err("the event loop failed: %s", strerror(errno));
out:
	stop(&a);
	close(lock_fd);
	return ret;
}
