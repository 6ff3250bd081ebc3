// SPDX-License-Identifier: GPL-2.0-only
/* What status and health say of a backend's and a VIP's health (internal.h). */
#include <stdio.h>
#include <jansson.h>

#include "control/internal.h"
#include "core/loop.h"
#include "core/parts.h"
#include "health/health.h"
#include "model/state.h"

static const char *via_name(__u8 via)
{
	return via == SHOAL_VIA_DIRECT ? "direct" : "tunnel";
}

json_t *ctl_health_json(struct ctl_conn *c, const struct shoal_vip_state *v,
			const struct shoal_be_state *b)
{
	struct shoal_health_view hv;
	__u64 now = shoal_now_ns();
	json_t *o;

	if (!c->p->health || !shoal_health_view(c->p->health, v, b, &hv))
		return json_null();
	o = json_pack("{s:s, s:s, s:I, s:s, s:b, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I}",
		      "type", hv.check ? shoal_check_type_name(hv.check->type) : "none", "via",
		      hv.check ? via_name(hv.check->via) : "", "port",
		      (json_int_t)(hv.check ? hv.port : 0), "last", hv.last_reason, "last_ok",
		      hv.last_ok, "latency_ms", (double)hv.latency_ns / 1e6, "since_s",
		      hv.hs ? (double)(now - hv.hs->since_ns) / 1e9 : 0.0, "availability",
		      hv.avail_life, "availability_hour", hv.avail_hour, "checks_ok",
		      (json_int_t)hv.checks_ok, "checks_failed", (json_int_t)hv.checks_failed,
		      "checks_timeout", (json_int_t)hv.checks_timeout, "transitions",
		      (json_int_t)hv.transitions, "passive_failures",
		      (json_int_t)hv.passive_failures);
	if (o && hv.agent_on)
		json_object_set_new(o, "agent",
				    json_pack("{s:b, s:i, s:s}", "ok", hv.agent_ok, "weight_pct",
					      hv.agent_pct, "reply",
					      hv.agent_reply ? hv.agent_reply : ""));
	return o;
}

json_t *ctl_vip_health_json(struct ctl_conn *c, const struct shoal_vip_state *v)
{
	return json_pack("{s:b, s:b, s:I, s:I, s:f}", "panic", v->panic, "servable", v->servable,
			 "healthy", (json_int_t)v->healthy, "min_healthy",
			 (json_int_t)v->health.min_healthy, "availability",
			 c->p->health ? shoal_health_vip_avail(c->p->health, v) : 1.0);
}
