// SPDX-License-Identifier: GPL-2.0-only
/* The health families of a scrape, VIP by VIP (metrics_internal.h). */
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>

#include "core/parts.h"
#include "health/health.h"
#include "metrics/metrics_internal.h"
#include "model/addr.h"
#include "model/state.h"

static const struct {
	const char *name, *type, *text;
} hfam[HEALTH_FAMILIES] = {
	{ "shoal_backend_check_duration_seconds", "histogram",
	  "How long the backend's active checks took (a timeout counts its whole wait)." },
	{ "shoal_backend_checks_total", "counter",
	  "Active checks of the backend by result (ok, failed, timeout)." },
	{ "shoal_backend_transitions_total", "counter",
	  "Times the backend's checks moved it up or down." },
	{ "shoal_backend_availability_ratio", "gauge",
	  "Time up / (up + down) since the agent started (window=life) or over the last hour." },
	{ "shoal_backend_effective_weight", "gauge",
	  "The weight the backend has in its VIP's table now: 0 when out, a fraction of its "
	  "weight while slow start or load feedback scale it." },
	{ "shoal_backend_passive_failures_total", "counter",
	  "Windows in which the backend's share of repeated SYNs counted as a failed check." },
	{ "shoal_vip_availability_ratio", "gauge",
	  "1 - prod(1 - A) over the VIP's backends: the chance at least one is up." },
	{ "shoal_vip_panic", "gauge",
	  "1 while fewer than panic_threshold of the VIP's backends are healthy and all serve." },
	{ "shoal_vip_servable", "gauge",
	  "1 while the VIP has at least min_healthy healthy backends (what anycast announces)." },
	{ "shoal_vip_healthy_backends", "gauge", "Active backends of the VIP that are not down." },
};

void metrics_health_help(struct evbuffer *b, size_t f)
{
	metrics_help(b, hfam[f].name, hfam[f].type, hfam[f].text);
}

static void put_backend(struct evbuffer *b, struct shoal_health *h, size_t f,
			const struct shoal_vip_state *v, const struct shoal_be_state *be,
			const char *spec)
{
	struct shoal_health_view hv;
	char addr[SHOAL_ADDR_STRLEN];
	size_t k;

	shoal_addr_format(&be->addr, addr, sizeof(addr));
	if (f == HF_EFFECTIVE_WEIGHT) {
		evbuffer_add_printf(b, "%s{vip=\"%s\",backend=\"%s\"} %g\n", hfam[f].name, spec,
				    addr, (double)shoal_be_table_weight(be) / 1000.0);
		return;
	}
	if (!h || !shoal_health_view(h, v, be, &hv))
		return;
	switch (f) {
	case HF_DURATION:
		if (!hv.check)
			return;
		for (k = 0; k < SHOAL_CHECK_BUCKETS; k++)
			evbuffer_add_printf(b,
					    "%s_bucket{vip=\"%s\",backend=\"%s\",le=\"%g\"} %llu\n",
					    hfam[f].name, spec, addr, shoal_check_bounds[k],
					    (unsigned long long)hv.duration_le[k]);
		evbuffer_add_printf(b, "%s_bucket{vip=\"%s\",backend=\"%s\",le=\"+Inf\"} %llu\n",
				    hfam[f].name, spec, addr,
				    (unsigned long long)hv.duration_le[SHOAL_CHECK_BUCKETS]);
		evbuffer_add_printf(b, "%s_sum{vip=\"%s\",backend=\"%s\"} %.9f\n", hfam[f].name,
				    spec, addr, hv.duration_sum);
		evbuffer_add_printf(b, "%s_count{vip=\"%s\",backend=\"%s\"} %llu\n", hfam[f].name,
				    spec, addr,
				    (unsigned long long)hv.duration_le[SHOAL_CHECK_BUCKETS]);
		break;
	case HF_CHECKS:
		evbuffer_add_printf(b,
				    "%s{vip=\"%s\",backend=\"%s\",result=\"ok\"} %llu\n"
				    "%s{vip=\"%s\",backend=\"%s\",result=\"failed\"} %llu\n"
				    "%s{vip=\"%s\",backend=\"%s\",result=\"timeout\"} %llu\n",
				    hfam[f].name, spec, addr, (unsigned long long)hv.checks_ok,
				    hfam[f].name, spec, addr, (unsigned long long)hv.checks_failed,
				    hfam[f].name, spec, addr,
				    (unsigned long long)hv.checks_timeout);
		break;
	case HF_TRANSITIONS:
		evbuffer_add_printf(b, "%s{vip=\"%s\",backend=\"%s\"} %llu\n", hfam[f].name, spec,
				    addr, (unsigned long long)hv.transitions);
		break;
	case HF_AVAILABILITY:
		evbuffer_add_printf(b,
				    "%s{vip=\"%s\",backend=\"%s\",window=\"life\"} %.6f\n"
				    "%s{vip=\"%s\",backend=\"%s\",window=\"hour\"} %.6f\n",
				    hfam[f].name, spec, addr, hv.avail_life, hfam[f].name, spec,
				    addr, hv.avail_hour);
		break;
	default: /* HF_PASSIVE */
		evbuffer_add_printf(b, "%s{vip=\"%s\",backend=\"%s\"} %llu\n", hfam[f].name, spec,
				    addr, (unsigned long long)hv.passive_failures);
		break;
	}
}

void metrics_health_put(struct evbuffer *b, struct shoal_health *h, size_t f,
			const struct shoal_vip_state *v, const char *spec)
{
	size_t j;

	switch (f) {
	case HF_VIP_AVAILABILITY:
		evbuffer_add_printf(b, "%s{vip=\"%s\"} %.6f\n", hfam[f].name, spec,
				    h ? shoal_health_vip_avail(h, v) : 1.0);
		break;
	case HF_VIP_PANIC:
		evbuffer_add_printf(b, "%s{vip=\"%s\"} %d\n", hfam[f].name, spec, v->panic);
		break;
	case HF_VIP_SERVABLE:
		evbuffer_add_printf(b, "%s{vip=\"%s\"} %d\n", hfam[f].name, spec, v->servable);
		break;
	case HF_VIP_HEALTHY:
		evbuffer_add_printf(b, "%s{vip=\"%s\"} %u\n", hfam[f].name, spec, v->healthy);
		break;
	default:
		for (j = 0; j < v->nbe; j++)
			put_backend(b, h, f, v, &v->be[j], spec);
		break;
	}
}
