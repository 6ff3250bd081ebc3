// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prometheus text exposition (version 0.0.4) on the configured address, read
 * from the BPF maps at scrape time. Counters are summed over CPUs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "configfile/configfile.h"
#include "core/version.h"
#include "core/accept.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/parts.h"
#include "dataplane/dataplane.h"
#include "health/health.h"
#include "metrics/http.h"
#include "metrics/metrics.h"
#include "metrics/metrics_internal.h"
#include "model/addr.h"
#include "model/state.h"
#include "net/nexthop.h"

/* A label value as the exposition format wants it: \\, \" and \n escaped. */
static const char *label(const char *in, char *buf, size_t len)
{
	size_t o = 0;

	for (; *in && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			buf[o++] = '\\';
			buf[o++] = *in;
		} else if (*in == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *in;
		}
	}
	buf[o] = '\0';
	return buf;
}

void metrics_help(struct evbuffer *b, const char *name, const char *type, const char *text)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

enum vip_family { VIP_PACKETS, VIP_BYTES, VIP_NEW_FLOWS, VIP_FAMILIES };
enum be_family {
	BE_PACKETS,
	BE_BYTES,
	BE_NEW_FLOWS,
	BE_SYN_REPEATS,
	BE_WEIGHT,
	BE_DRAINING,
	BE_FAMILIES
};

/*
 * The listener is a small HTTP/1.0 server of its own, so that every bound
 * is ours: connections, the time a request may take to arrive, its size,
 * and the reply waiting to be read. One request per connection.
 */
#define METRICS_MAX_CONNS   32
#define METRICS_REQUEST_SEC 5	       /* the whole request, or the connection is closed */
#define METRICS_WRITE_SEC   10	       /* a scraper that stops reading */
#define METRICS_MAX_REQUEST 8192       /* request line and headers */
#define METRICS_MAX_OUTPUT  (1U << 20) /* written ahead of the scraper */

struct mconn;

struct shoal_metrics {
	const struct shoal_parts *p;
	int fd;
	struct event *ev;
	struct mconn *conns;
	size_t nconns;
};

struct mconn {
	struct shoal_metrics *m;
	struct bufferevent *bev;
	struct scrape *sc; /* a reply being written */
	bool paused;	   /* the scrape waits for the scraper to read */
	bool closing;	   /* the reply is complete: close once it is out */
	struct mconn *next;
};

static const struct {
	const char *name, *type, *text;
} vfam[VIP_FAMILIES] = {
	{ "shoal_vip_packets_total", "counter", "Packets forwarded for the VIP." },
	{ "shoal_vip_bytes_total", "counter", "IP bytes forwarded for the VIP." },
	{ "shoal_vip_new_flows_total", "counter", "Flows the VIP's scheduler placed." },
}, bfam[BE_FAMILIES] = {
	{ "shoal_backend_packets_total", "counter", "Packets sent to the backend." },
	{ "shoal_backend_bytes_total", "counter", "IP bytes sent to the backend." },
	{ "shoal_backend_new_flows_total", "counter", "New flows placed on the backend." },
	{ "shoal_backend_syn_repeats_total", "counter",
	  "SYNs repeated on a known flow: the backend did not answer." },
	{ "shoal_backend_weight", "gauge", "The backend's configured weight." },
	{ "shoal_backend_draining", "gauge", "1 when the backend takes no new flows." },
};

/*
 * One scrape, written in slices: a snapshot of the state and of every
 * counter taken when the request came, and a cursor over (section, family,
 * VIP) so that the next slice goes on where the last stopped.
 */
struct scrape {
	struct shoal_metrics *m;
	struct mconn *conn;
	struct shoal_timer *slice;
	struct shoal_state *snap;
	struct shoal_vip_stats *vs;	/* [snap->nvips] */
	struct shoal_backend_stats *bs; /* all backends, VIP by VIP */
	size_t *be_first;		/* index in bs of each VIP's first backend */
	size_t sec, f, i;
};

enum { SEC_VIPS, SEC_BACKENDS, SEC_FLOWS, SEC_TABLES, SEC_HEALTH, SEC_END };

static size_t families(size_t sec)
{
	return sec == SEC_VIPS	     ? VIP_FAMILIES
	       : sec == SEC_BACKENDS ? BE_FAMILIES + 1
	       : sec == SEC_HEALTH   ? HEALTH_FAMILIES
				     : 1;
}

static void put_help(struct evbuffer *b, size_t sec, size_t f)
{
	if (sec == SEC_VIPS)
		metrics_help(b, vfam[f].name, vfam[f].type, vfam[f].text);
	else if (sec == SEC_BACKENDS && f < BE_FAMILIES)
		metrics_help(b, bfam[f].name, bfam[f].type, bfam[f].text);
	else if (sec == SEC_BACKENDS)
		metrics_help(b, "shoal_backend_health", "gauge",
			     "The backend's health state, as a label: up, down, unknown (no "
			     "result yet: served), rising, falling, panic (down, but serving), "
			     "drain (by its agent), unchecked.");
	else if (sec == SEC_HEALTH)
		metrics_health_help(b, f);
	else if (sec == SEC_FLOWS)
		metrics_help(b, "shoal_vip_flows", "gauge",
			     "Flows of the VIP in the flow table (from the last walk, at most 10 s "
			     "old).");
	else if (sec == SEC_TABLES)
		metrics_help(
			b, "shoal_vip_table_info", "gauge",
			"The fingerprint of the VIP's lookup table: equal on hosts that agree.");
}

static __u64 be_value(const struct shoal_be_state *be, const struct shoal_backend_stats *bs,
		      size_t f)
{
	switch (f) {
	case BE_PACKETS:
		return bs->packets;
	case BE_BYTES:
		return bs->bytes;
	case BE_NEW_FLOWS:
		return bs->new_flows;
	case BE_SYN_REPEATS:
		return bs->syn_repeats;
	case BE_WEIGHT:
		return be->weight;
	default:
		return be->admin == SHOAL_ADMIN_DRAINING;
	}
}

/* The lines of family f of section sec for VIP i (and its backends). */
static void put_item(struct scrape *sc, struct evbuffer *b)
{
	const struct shoal_vip_state *v = &sc->snap->vips[sc->i];
	const struct shoal_dp *dp = sc->m->p->dp;
	char spec[128], name[2 * SHOAL_NAME_MAX];
	size_t j;

	shoal_vip_spec_format(&v->key, spec, sizeof(spec));
	switch (sc->sec) {
	case SEC_VIPS: {
		const struct shoal_vip_stats *vs = &sc->vs[sc->i];
		__u64 val = sc->f == VIP_PACKETS ? vs->packets
			    : sc->f == VIP_BYTES ? vs->bytes
						 : vs->new_flows;

		evbuffer_add_printf(b, "%s{vip=\"%s\",name=\"%s\"} %llu\n", vfam[sc->f].name, spec,
				    label(v->name, name, sizeof(name)), (unsigned long long)val);
		break;
	}
	case SEC_BACKENDS:
		for (j = 0; j < v->nbe; j++) {
			const struct shoal_be_state *be = &v->be[j];
			char addr[SHOAL_ADDR_STRLEN];

			shoal_addr_format(&be->addr, addr, sizeof(addr));
			if (sc->f == BE_FAMILIES)
				evbuffer_add_printf(b,
						    "shoal_backend_health{vip=\"%s\",backend="
						    "\"%s\",state=\"%s\"} 1\n",
						    spec, addr,
						    shoal_health_label_name(be->health_label));
			else
				evbuffer_add_printf(
					b, "%s{vip=\"%s\",backend=\"%s\"} %llu\n", bfam[sc->f].name,
					spec, addr,
					(unsigned long long)be_value(
						be, &sc->bs[sc->be_first[sc->i] + j], sc->f));
		}
		break;
	case SEC_FLOWS:
		if (shoal_dp_vip_flow_count(dp, v->id) >= 0)
			evbuffer_add_printf(b, "shoal_vip_flows{vip=\"%s\"} %ld\n", spec,
					    shoal_dp_vip_flow_count(dp, v->id));
		break;
	case SEC_TABLES:
		evbuffer_add_printf(b,
				    "shoal_vip_table_info{vip=\"%s\",fingerprint=\"%016llx\"} 1\n",
				    spec, (unsigned long long)shoal_dp_fingerprint(dp, v->id));
		break;
	default:
		metrics_health_put(b, sc->m->p->health, sc->f, v, spec);
		break;
	}
}

/* Writes VIP and backend lines until deadline; true when all are written. */
static bool put_vips_step(struct scrape *sc, struct evbuffer *b, __u64 deadline)
{
	for (; sc->sec < SEC_END; sc->sec++, sc->f = 0, sc->i = 0) {
		for (; sc->f < families(sc->sec); sc->f++, sc->i = 0) {
			if (sc->i == 0)
				put_help(b, sc->sec, sc->f);
			while (sc->i < sc->snap->nvips) {
				put_item(sc, b);
				sc->i++;
				if (shoal_now_ns() >= deadline && sc->i < sc->snap->nvips)
					return false;
			}
		}
	}
	return true;
}

/* The agent's own loop: how late its timers fire, how long its handlers run. */
static void put_loop(const struct shoal_parts *a, struct evbuffer *b)
{
	const struct shoal_loop_stats *st = shoal_loop_stats(a->loop);
	size_t i;

	metrics_help(b, "shoal_agent_loop_lag_seconds", "histogram",
		     "How late the agent's timers fired: a loop held by a handler shows here.");
	for (i = 0; i < SHOAL_LAG_BUCKETS; i++)
		evbuffer_add_printf(b, "shoal_agent_loop_lag_seconds_bucket{le=\"%g\"} %llu\n",
				    shoal_lag_bounds[i], (unsigned long long)st->lag_le[i]);
	evbuffer_add_printf(b, "shoal_agent_loop_lag_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)st->lag_le[SHOAL_LAG_BUCKETS]);
	evbuffer_add_printf(b, "shoal_agent_loop_lag_seconds_sum %.9f\n", st->lag_sum);
	evbuffer_add_printf(b, "shoal_agent_loop_lag_seconds_count %llu\n",
			    (unsigned long long)st->lag_count);
	metrics_help(b, "shoal_agent_handler_seconds_max", "gauge",
		     "The longest single run of each of the agent's handlers.");
	for (i = 0; i < st->nh; i++)
		evbuffer_add_printf(b, "shoal_agent_handler_seconds_max{handler=\"%s\"} %.6f\n",
				    st->h[i].name, (double)st->h[i].max_ns / 1e9);
	metrics_help(b, "shoal_agent_handler_runs_total", "counter",
		     "Runs of each of the agent's handlers.");
	for (i = 0; i < st->nh; i++)
		evbuffer_add_printf(b, "shoal_agent_handler_runs_total{handler=\"%s\"} %llu\n",
				    st->h[i].name, (unsigned long long)st->h[i].calls);
}

static void put_global(const struct shoal_parts *a, struct evbuffer *b)
{
	const struct shoal_counter_info *ci;
	__u32 i;
	__u64 v;
	int r;

	/* every global counter, from the data plane's one name table */
	for (i = 0; i < SHOAL_CNT_NAMED; i++) {
		ci = shoal_counter_info(i);
		if (!ci)
			continue;
		metrics_help(b, ci->metric, "counter", ci->help);
		if (!shoal_dp_counter(a->dp, i, &v))
			evbuffer_add_printf(b, "%s %llu\n", ci->metric, (unsigned long long)v);
	}
	metrics_help(b, "shoal_flow_table_entries", "gauge",
		     "Flows in the flow table (counted at most every 10 s).");
	{
		long n = shoal_dp_flow_count(a->dp);

		if (n >= 0)
			evbuffer_add_printf(b, "shoal_flow_table_entries %ld\n", n);
		metrics_help(b, "shoal_flow_table_unconfirmed", "gauge",
			     "Of them, unconfirmed: one packet seen (a flood shows here).");
		n = shoal_dp_flow_unconfirmed(a->dp);
		if (n >= 0)
			evbuffer_add_printf(b, "shoal_flow_table_unconfirmed %ld\n", n);
	}
	metrics_help(b, "shoal_flow_table_capacity", "gauge",
		     "Entries the flow table holds at most.");
	evbuffer_add_printf(b, "shoal_flow_table_capacity %u\n", shoal_dp_flow_capacity(a->dp));
	metrics_help(b, "shoal_flow_table_swept_total", "counter",
		     "Idle entries the agent's walks emptied.");
	evbuffer_add_printf(b, "shoal_flow_table_swept_total %llu\n",
			    (unsigned long long)shoal_dp_flow_swept(a->dp));
	put_loop(a, b);
	metrics_help(b, "shoal_drops_total", "counter", "Packets dropped, by reason.");
	for (r = 1; r <= SHOAL_DROP_MAX_REASON; r++)
		if (!shoal_dp_counter(a->dp, SHOAL_CNT_DROP(-r), &v))
			evbuffer_add_printf(b, "shoal_drops_total{reason=\"%s\"} %llu\n",
					    shoal_drop_name(r), (unsigned long long)v);
	metrics_help(b, "shoal_map_write_errors_total", "counter", "BPF map writes that failed.");
	evbuffer_add_printf(b, "shoal_map_write_errors_total %llu\n",
			    (unsigned long long)shoal_dp_write_errors(a->dp));
	metrics_help(b, "shoal_config_reloads_total", "counter",
		     "Configuration reloads, by result.");
	evbuffer_add_printf(b, "shoal_config_reloads_total{result=\"ok\"} %llu\n",
			    (unsigned long long)(a->file->reloads - a->file->failures));
	evbuffer_add_printf(b, "shoal_config_reloads_total{result=\"failed\"} %llu\n",
			    (unsigned long long)a->file->failures);
	metrics_help(b, "shoal_gateway_resolved", "gauge", "1 when the next hop's MAC is known.");
	{
		__u8 mac[6];

		evbuffer_add_printf(b, "shoal_gateway_resolved %d\n",
				    shoal_nexthop_mac(a->nexthop, mac));
	}
	if (a->health) {
		metrics_help(b, "shoal_vip_panics_total", "counter",
			     "Times a VIP entered panic (too few healthy backends: all serve).");
		evbuffer_add_printf(b, "shoal_vip_panics_total %llu\n",
				    (unsigned long long)shoal_health_panics(a->health));
		metrics_help(b, "shoal_health_probes", "gauge",
			     "Distinct checks run (one per check and target, however many VIPs "
			     "share it).");
		evbuffer_add_printf(b, "shoal_health_probes %llu\n",
				    (unsigned long long)shoal_health_probes(a->health));
	}
	metrics_anycast_put(b, a->anycast);
	metrics_discovery_put(b, a->discovery);
	metrics_help(b, "shoal_build_info", "gauge", "shoald's version and data-plane ABI.");
	evbuffer_add_printf(b, "shoal_build_info{version=\"%s\",abi=\"%d\"} 1\n", SHOAL_VERSION,
			    SHOAL_ABI_VERSION);
}

#define SCRAPE_SLICE_NS (3ULL * 1000000)

static void scrape_free(struct scrape *sc)
{
	if (!sc)
		return;
	shoal_timer_free(sc->slice);
	shoal_state_free(sc->snap);
	free(sc->vs);
	free(sc->bs);
	free(sc->be_first);
	free(sc);
}

static void mconn_free(struct mconn *c)
{
	struct mconn **pp;

	for (pp = &c->m->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			c->m->nconns--;
			break;
		}
	scrape_free(c->sc);
	bufferevent_free(c->bev);
	free(c);
}

/* Writes a whole short reply and closes once it is out. */
static void mconn_reply(struct mconn *c, const char *status, const char *body)
{
	evbuffer_add_printf(bufferevent_get_output(c->bev),
			    "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n%s",
			    status, strlen(body), body);
	c->closing = true;
}

static void scrape_slice(void *arg)
{
	struct scrape *sc = arg;
	struct mconn *c = sc->conn;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	__u64 start = shoal_loop_enter();
	bool done;

	if (evbuffer_get_length(out) > METRICS_MAX_OUTPUT) {
		c->paused = true; /* mconn_write resumes it */
		return;
	}
	done = put_vips_step(sc, out, start + SCRAPE_SLICE_NS);
	if (done)
		put_global(sc->m->p, out);
	shoal_loop_leave(sc->m->p->loop, "metrics", start);
	if (!done) {
		shoal_timer_arm(sc->slice, 0);
		return;
	}
	c->closing = true;
	/* the scrape's own timer: freed with the connection, once the reply is out */
}

/* Takes the snapshot a scrape is written from. */
static struct scrape *scrape_new(struct shoal_metrics *m, struct mconn *conn)
{
	struct scrape *sc = calloc(1, sizeof(*sc));
	size_t i, j, k, nbe = 0;

	if (!sc)
		return NULL;
	sc->m = m;
	sc->conn = conn;
	sc->slice = shoal_timer_new(m->p->loop, "metrics", scrape_slice, sc);
	if (!sc->slice || shoal_state_dup(m->p->state, &sc->snap))
		goto fail;
	for (i = 0; i < sc->snap->nvips; i++)
		nbe += sc->snap->vips[i].nbe;
	sc->vs = calloc(sc->snap->nvips ? sc->snap->nvips : 1, sizeof(*sc->vs));
	sc->bs = calloc(nbe ? nbe : 1, sizeof(*sc->bs));
	sc->be_first = calloc(sc->snap->nvips ? sc->snap->nvips : 1, sizeof(*sc->be_first));
	if (!sc->vs || !sc->bs || !sc->be_first)
		goto fail;
	/* every counter read once per scrape (in batches) */
	shoal_dp_stats_refresh(m->p->dp, sc->snap);
	for (i = 0, k = 0; i < sc->snap->nvips; i++) {
		sc->vs[i] = *shoal_dp_vip_sums(m->p->dp, sc->snap->vips[i].id);
		sc->be_first[i] = k;
		for (j = 0; j < sc->snap->vips[i].nbe; j++, k++)
			sc->bs[k] = *shoal_dp_backend_sums(m->p->dp, sc->snap->vips[i].be[j].id);
	}
	return sc;
fail:
	scrape_free(sc);
	return NULL;
}

/* The request: "GET /metrics HTTP/1.x" and headers, up to the blank line. */
static void mconn_read(struct bufferevent *bev, void *arg)
{
	struct mconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	__u64 start = shoal_loop_enter();
	const char *buf;

	if (c->sc || c->closing)
		return;
	if (len > METRICS_MAX_REQUEST + 1)
		len = METRICS_MAX_REQUEST + 1;
	buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
	switch (buf ? shoal_http_request(buf, len, METRICS_MAX_REQUEST) : SHOAL_HTTP_BAD) {
	case SHOAL_HTTP_INCOMPLETE:
		goto out;
	case SHOAL_HTTP_TOO_LARGE:
		mconn_reply(c, "431 Request Header Fields Too Large", "request too large\n");
		goto out;
	case SHOAL_HTTP_BAD:
		mconn_reply(c, "400 Bad Request", "bad request\n");
		goto out;
	case SHOAL_HTTP_METHOD:
		mconn_reply(c, "405 Method Not Allowed", "GET /metrics\n");
		goto out;
	case SHOAL_HTTP_NOT_FOUND:
		mconn_reply(c, "404 Not Found", "try /metrics\n");
		goto out;
	case SHOAL_HTTP_METRICS:
		break;
	}
	bufferevent_disable(bev, EV_READ); /* one request per connection */
	c->sc = scrape_new(c->m, c);
	if (!c->sc) {
		mconn_reply(c, "500 Internal Server Error", "out of memory\n");
		goto out;
	}
	evbuffer_add_printf(bufferevent_get_output(bev),
			    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
			    "Connection: close\r\n\r\n");
	shoal_timer_arm(c->sc->slice, 0);
out:
	shoal_loop_leave(c->m->p->loop, "metrics", start);
}

/* Output drained to the low watermark: a paused scrape goes on; a finished one closes. */
static void mconn_write(struct bufferevent *bev, void *arg)
{
	struct mconn *c = arg;

	if (c->paused) {
		c->paused = false;
		shoal_timer_arm(c->sc->slice, 0);
		return;
	}
	if (c->closing && !evbuffer_get_length(bufferevent_get_output(bev)))
		mconn_free(c);
}

static void mconn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	/* closed, broken, a request too slow to arrive, a scraper that stopped reading */
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		mconn_free(arg);
}

static void metrics_accept(evutil_socket_t fd, short what, void *arg)
{
	struct shoal_metrics *m = arg;
	const struct timeval rd = { METRICS_REQUEST_SEC, 0 }, wr = { METRICS_WRITE_SEC, 0 };
	struct mconn *c;
	int cfd;

	(void)what;
	cfd = shoal_accept(fd);
	if (cfd < 0) {
		if (cfd == -EMFILE || cfd == -ENFILE)
			log_limited(LOG_LVL_WARN, "metrics: out of descriptors: a client shed");
		return;
	}
	if (m->nconns >= METRICS_MAX_CONNS) {
		log_limited(LOG_LVL_WARN, "metrics: %d connections open: one more refused",
			    METRICS_MAX_CONNS);
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return;
	}
	c->m = m;
	c->bev = bufferevent_socket_new(shoal_loop_base(m->p->loop), cfd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(cfd);
		free(c);
		return;
	}
	c->next = m->conns;
	m->conns = c;
	m->nconns++;
	bufferevent_set_timeouts(c->bev, &rd, &wr);
	bufferevent_setwatermark(c->bev, EV_READ, 0, METRICS_MAX_REQUEST + 1);
	bufferevent_setwatermark(c->bev, EV_WRITE, METRICS_MAX_OUTPUT / 4, 0);
	bufferevent_setcb(c->bev, mconn_read, mconn_write, mconn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int shoal_metrics_open(const struct shoal_parts *p, const char *addr, struct shoal_metrics **ret)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM },
			*ai = NULL;
	struct shoal_metrics *m;
	char host[SHOAL_NAME_MAX];
	const char *colon;
	int one = 1, err;

	*ret = NULL;
	if (!addr[0])
		return 0;
	colon = strrchr(addr, ':');
	if (!colon || colon == addr || !colon[1])
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai) || !ai)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		freeaddrinfo(ai);
		return -ENOMEM;
	}
	m->p = p;
	m->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->fd, ai->ai_addr, ai->ai_addrlen) || listen(m->fd, 64)) {
		err = -errno;
		freeaddrinfo(ai);
		if (m->fd >= 0)
			close(m->fd);
		free(m);
		return err;
	}
	freeaddrinfo(ai);
	m->ev = event_new(shoal_loop_base(p->loop), m->fd, EV_READ | EV_PERSIST, metrics_accept, m);
	if (!m->ev || event_add(m->ev, NULL)) {
		shoal_metrics_close(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

void shoal_metrics_close(struct shoal_metrics *m)
{
	if (!m)
		return;
	while (m->conns)
		mconn_free(m->conns);
	if (m->ev)
		event_free(m->ev);
	close(m->fd);
	free(m);
}
