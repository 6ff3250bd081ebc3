// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prometheus text exposition (version 0.0.4) on the configured address, read
 * from the BPF maps at scrape time. Counters are summed over CPUs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "configfile/configfile.h"
#include "core/version.h"
#include "core/loop.h"
#include "core/parts.h"
#include "dataplane/dataplane.h"
#include "metrics/metrics.h"
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

static void help(struct evbuffer *b, const char *name, const char *type, const char *text)
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

struct shoal_metrics {
	const struct shoal_parts *p;
	struct evhttp *http;
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
	struct evhttp_request *req;
	struct shoal_timer *slice;
	struct shoal_state *snap;
	struct shoal_vip_stats *vs;	/* [snap->nvips] */
	struct shoal_backend_stats *bs; /* all backends, VIP by VIP */
	size_t *be_first;		/* index in bs of each VIP's first backend */
	size_t sec, f, i;
};

enum { SEC_VIPS, SEC_BACKENDS, SEC_FLOWS, SEC_TABLES, SEC_END };

static size_t families(size_t sec)
{
	return sec == SEC_VIPS ? VIP_FAMILIES : sec == SEC_BACKENDS ? BE_FAMILIES + 1 : 1;
}

static void put_help(struct evbuffer *b, size_t sec, size_t f)
{
	if (sec == SEC_VIPS)
		help(b, vfam[f].name, vfam[f].type, vfam[f].text);
	else if (sec == SEC_BACKENDS && f < BE_FAMILIES)
		help(b, bfam[f].name, bfam[f].type, bfam[f].text);
	else if (sec == SEC_BACKENDS)
		help(b, "shoal_backend_health", "gauge",
		     "The backend's health state, as a label (unchecked: no health "
		     "checks yet, every backend is used).");
	else if (sec == SEC_FLOWS)
		help(b, "shoal_vip_flows", "gauge",
		     "Flows of the VIP in the flow table (from the last walk, at most 10 s old).");
	else
		help(b, "shoal_vip_table_info", "gauge",
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
						    "\"%s\",state=\"unchecked\"} 1\n",
						    spec, addr);
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
	default:
		evbuffer_add_printf(b,
				    "shoal_vip_table_info{vip=\"%s\",fingerprint=\"%016llx\"} 1\n",
				    spec, (unsigned long long)shoal_dp_fingerprint(dp, v->id));
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

	help(b, "shoal_agent_loop_lag_seconds", "histogram",
	     "How late the agent's timers fired: a loop held by a handler shows here.");
	for (i = 0; i < SHOAL_LAG_BUCKETS; i++)
		evbuffer_add_printf(b, "shoal_agent_loop_lag_seconds_bucket{le=\"%g\"} %llu\n",
				    shoal_lag_bounds[i], (unsigned long long)st->lag_le[i]);
	evbuffer_add_printf(b, "shoal_agent_loop_lag_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)st->lag_le[SHOAL_LAG_BUCKETS]);
	evbuffer_add_printf(b, "shoal_agent_loop_lag_seconds_sum %.9f\n", st->lag_sum);
	evbuffer_add_printf(b, "shoal_agent_loop_lag_seconds_count %llu\n",
			    (unsigned long long)st->lag_count);
	help(b, "shoal_agent_handler_seconds_max", "gauge",
	     "The longest single run of each of the agent's handlers.");
	for (i = 0; i < st->nh; i++)
		evbuffer_add_printf(b, "shoal_agent_handler_seconds_max{handler=\"%s\"} %.6f\n",
				    st->h[i].name, (double)st->h[i].max_ns / 1e9);
	help(b, "shoal_agent_handler_runs_total", "counter",
	     "Runs of each of the agent's handlers.");
	for (i = 0; i < st->nh; i++)
		evbuffer_add_printf(b, "shoal_agent_handler_runs_total{handler=\"%s\"} %llu\n",
				    st->h[i].name, (unsigned long long)st->h[i].calls);
}

static void put_global(const struct shoal_parts *a, struct evbuffer *b)
{
	static const struct {
		__u32 idx;
		const char *name, *text;
	} cnt[] = {
		{ SHOAL_CNT_PASS, "shoal_passed_total",
		  "Packets to a VIP address but no VIP, passed to the kernel." },
		{ SHOAL_CNT_TX, "shoal_tx_packets_total", "Packets encapsulated and sent." },
		{ SHOAL_CNT_FLOW_MISS, "shoal_flow_table_misses_total",
		  "Packets of a VIP not found in the flow table." },
		{ SHOAL_CNT_FLOW_RESCHEDULED, "shoal_flows_rescheduled_total",
		  "Known flows moved because their backend left." },
		{ SHOAL_CNT_ICMP_FORWARDED, "shoal_icmp_errors_forwarded_total",
		  "ICMP errors sent to the backend of the flow they quote." },
		{ SHOAL_CNT_PTB_SENT, "shoal_packet_too_big_sent_total",
		  "Frag-needed / packet-too-big answers sent to clients." },
		{ SHOAL_CNT_V6_EXTHDR, "shoal_ipv6_extension_headers_total",
		  "IPv6 packets with extension headers, passed." },
	};
	size_t i;
	__u64 v;
	int r;

	for (i = 0; i < sizeof(cnt) / sizeof(cnt[0]); i++) {
		help(b, cnt[i].name, "counter", cnt[i].text);
		if (!shoal_dp_counter(a->dp, cnt[i].idx, &v))
			evbuffer_add_printf(b, "%s %llu\n", cnt[i].name, (unsigned long long)v);
	}
	help(b, "shoal_flow_table_entries", "gauge",
	     "Flows in the flow table (counted at most every 10 s).");
	{
		long n = shoal_dp_flow_count(a->dp);

		if (n >= 0)
			evbuffer_add_printf(b, "shoal_flow_table_entries %ld\n", n);
	}
	put_loop(a, b);
	help(b, "shoal_drops_total", "counter", "Packets dropped, by reason.");
	for (r = 1; r <= SHOAL_DROP_MAX_REASON; r++)
		if (!shoal_dp_counter(a->dp, SHOAL_CNT_DROP(-r), &v))
			evbuffer_add_printf(b, "shoal_drops_total{reason=\"%s\"} %llu\n",
					    shoal_drop_name(r), (unsigned long long)v);
	help(b, "shoal_map_write_errors_total", "counter", "BPF map writes that failed.");
	evbuffer_add_printf(b, "shoal_map_write_errors_total %llu\n",
			    (unsigned long long)shoal_dp_write_errors(a->dp));
	help(b, "shoal_config_reloads_total", "counter", "Configuration reloads, by result.");
	evbuffer_add_printf(b, "shoal_config_reloads_total{result=\"ok\"} %llu\n",
			    (unsigned long long)(a->file->reloads - a->file->failures));
	evbuffer_add_printf(b, "shoal_config_reloads_total{result=\"failed\"} %llu\n",
			    (unsigned long long)a->file->failures);
	help(b, "shoal_gateway_resolved", "gauge", "1 when the next hop's MAC is known.");
	{
		__u8 mac[6];

		evbuffer_add_printf(b, "shoal_gateway_resolved %d\n",
				    shoal_nexthop_mac(a->nexthop, mac));
	}
	help(b, "shoal_build_info", "gauge", "shoald's version and data-plane ABI.");
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

/* The scraper went away mid-reply. */
static void scrape_closed(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	scrape_free(arg);
}

static void scrape_slice(void *arg)
{
	struct scrape *sc = arg;
	__u64 start = shoal_loop_enter();
	struct evbuffer *b = evbuffer_new();
	bool done;

	if (!b) {
		shoal_timer_arm(sc->slice, 1000);
		return;
	}
	done = put_vips_step(sc, b, start + SCRAPE_SLICE_NS);
	if (done)
		put_global(sc->m->p, b);
	evhttp_send_reply_chunk(sc->req, b);
	evbuffer_free(b);
	shoal_loop_leave(sc->m->p->loop, "metrics", start);
	if (!done) {
		shoal_timer_arm(sc->slice, 0);
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(sc->req), NULL, NULL);
	evhttp_send_reply_end(sc->req);
	scrape_free(sc);
}

/* Takes the snapshot a scrape is written from. */
static struct scrape *scrape_new(struct shoal_metrics *m, struct evhttp_request *req)
{
	struct scrape *sc = calloc(1, sizeof(*sc));
	size_t i, j, k, nbe = 0;

	if (!sc)
		return NULL;
	sc->m = m;
	sc->req = req;
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

static void metrics_cb(struct evhttp_request *req, void *arg)
{
	struct shoal_metrics *m = arg;
	__u64 start = shoal_loop_enter();
	struct scrape *sc;

	if (strcmp(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)) ?: "", "/metrics")) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	sc = scrape_new(m, req);
	if (!sc) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), scrape_closed, sc);
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	shoal_loop_leave(m->p->loop, "metrics", start);
	shoal_timer_arm(sc->slice, 0);
}

int shoal_metrics_open(const struct shoal_parts *p, const char *addr, struct shoal_metrics **ret)
{
	struct shoal_metrics *m;
	char host[SHOAL_NAME_MAX];
	const char *colon;
	int port;

	*ret = NULL;
	if (!addr[0])
		return 0;
	colon = strrchr(addr, ':');
	if (!colon || colon == addr)
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	port = atoi(colon + 1);
	if (port <= 0 || port > 65535)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->p = p;
	m->http = evhttp_new(shoal_loop_base(p->loop));
	if (!m->http) {
		free(m);
		return -ENOMEM;
	}
	evhttp_set_gencb(m->http, metrics_cb, m);
	if (evhttp_bind_socket(m->http, host, (unsigned short)port)) {
		shoal_metrics_close(m);
		return -EADDRINUSE;
	}
	*ret = m;
	return 0;
}

void shoal_metrics_close(struct shoal_metrics *m)
{
	if (!m)
		return;
	evhttp_free(m->http);
	free(m);
}
