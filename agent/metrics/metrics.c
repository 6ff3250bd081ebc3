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
#include "control/proto.h"
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

static void put_vips(const struct shoal_parts *a, struct evbuffer *b)
{
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
	const struct shoal_state *st = a->state;
	struct shoal_backend_stats *bs;
	struct shoal_vip_stats *vs;
	size_t f, i, j, k, nbe = 0;

	for (i = 0; i < st->nvips; i++)
		nbe += st->vips[i].nbe;
	vs = calloc(st->nvips ? st->nvips : 1, sizeof(*vs));
	bs = calloc(nbe ? nbe : 1, sizeof(*bs));
	if (!vs || !bs)
		goto out;
	/* every counter read once per scrape, then printed family by family */
	for (i = 0, k = 0; i < st->nvips; i++) {
		shoal_dp_vip_stats(a->dp, st->vips[i].id, &vs[i]);
		for (j = 0; j < st->vips[i].nbe; j++, k++)
			shoal_dp_backend_stats(a->dp, st->vips[i].be[j].id, &bs[k]);
	}
	for (f = 0; f < VIP_FAMILIES; f++) {
		help(b, vfam[f].name, vfam[f].type, vfam[f].text);
		for (i = 0; i < st->nvips; i++) {
			char spec[128], name[2 * SHOAL_NAME_MAX];
			__u64 val = f == VIP_PACKETS ? vs[i].packets
				    : f == VIP_BYTES ? vs[i].bytes
						     : vs[i].new_flows;

			shoal_vip_spec_format(&st->vips[i].key, spec, sizeof(spec));
			evbuffer_add_printf(b, "%s{vip=\"%s\",name=\"%s\"} %llu\n", vfam[f].name,
					    spec, label(st->vips[i].name, name, sizeof(name)),
					    (unsigned long long)val);
		}
	}
	for (f = 0; f <= BE_FAMILIES; f++) {
		if (f < BE_FAMILIES)
			help(b, bfam[f].name, bfam[f].type, bfam[f].text);
		else
			help(b, "shoal_backend_health", "gauge",
			     "The backend's health state, as a label (unchecked: no health "
			     "checks yet, every backend is used).");
		for (i = 0, k = 0; i < st->nvips; i++) {
			char spec[128];

			shoal_vip_spec_format(&st->vips[i].key, spec, sizeof(spec));
			for (j = 0; j < st->vips[i].nbe; j++, k++) {
				const struct shoal_be_state *be = &st->vips[i].be[j];
				char addr[SHOAL_ADDR_STRLEN];
				__u64 val = 0;

				shoal_addr_format(&be->addr, addr, sizeof(addr));
				if (f == BE_FAMILIES) {
					evbuffer_add_printf(
						b,
						"shoal_backend_health{vip=\"%s\",backend="
						"\"%s\",state=\"unchecked\"} 1\n",
						spec, addr);
					continue;
				}
				switch (f) {
				case BE_PACKETS:
					val = bs[k].packets;
					break;
				case BE_BYTES:
					val = bs[k].bytes;
					break;
				case BE_NEW_FLOWS:
					val = bs[k].new_flows;
					break;
				case BE_SYN_REPEATS:
					val = bs[k].syn_repeats;
					break;
				case BE_WEIGHT:
					val = be->weight;
					break;
				default:
					val = be->admin == SHOAL_ADMIN_DRAINING;
					break;
				}
				evbuffer_add_printf(b, "%s{vip=\"%s\",backend=\"%s\"} %llu\n",
						    bfam[f].name, spec, addr,
						    (unsigned long long)val);
			}
		}
	}
	help(b, "shoal_vip_flows", "gauge",
	     "Flows of the VIP in the flow table (counted at most every 10 s).");
	for (i = 0; i < a->state->nvips; i++) {
		char spec[128];

		shoal_vip_spec_format(&a->state->vips[i].key, spec, sizeof(spec));
		if (shoal_dp_vip_flow_count(a->dp, a->state->vips[i].id) >= 0)
			evbuffer_add_printf(b, "shoal_vip_flows{vip=\"%s\"} %ld\n", spec,
					    shoal_dp_vip_flow_count(a->dp, a->state->vips[i].id));
	}
	help(b, "shoal_vip_table_info", "gauge",
	     "The fingerprint of the VIP's lookup table: equal on hosts that agree.");
	for (i = 0; i < a->state->nvips; i++) {
		char spec[128];

		shoal_vip_spec_format(&a->state->vips[i].key, spec, sizeof(spec));
		evbuffer_add_printf(
			b, "shoal_vip_table_info{vip=\"%s\",fingerprint=\"%016llx\"} 1\n", spec,
			(unsigned long long)shoal_dp_fingerprint(a->dp, a->state->vips[i].id));
	}
out:
	free(vs);
	free(bs);
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

struct shoal_metrics {
	const struct shoal_parts *p;
	struct evhttp *http;
};

static void metrics_cb(struct evhttp_request *req, void *arg)
{
	struct shoal_metrics *m = arg;
	__u64 start = shoal_loop_enter();
	struct evbuffer *b;

	if (strcmp(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)) ?: "", "/metrics")) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	put_vips(m->p, b);
	put_global(m->p, b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
	shoal_loop_leave(m->p->loop, "metrics", start);
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
