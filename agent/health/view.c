// SPDX-License-Identifier: GPL-2.0-only
/* What the health room shows: a backend's checks, a VIP's availability (health.h). */
#include <stdlib.h>
#include <string.h>

#include "health/internal.h"
#include "model/state.h"

static struct probe *probe_of(struct shoal_health *h, const struct shoal_vip_state *v,
			      const struct shoal_be_state *b, bool agent)
{
	struct probe_key key;

	health_key_of(v, b, agent, &key);
	return health_probe_find(h, &key);
}

bool shoal_health_view(struct shoal_health *h, const struct shoal_vip_state *v,
		       const struct shoal_be_state *b, struct shoal_health_view *ret)
{
	struct probe *p = probe_of(h, v, b, false), *a;

	memset(ret, 0, sizeof(*ret));
	ret->agent_pct = -1;
	if (!p)
		return false;
	ret->check = p->ops ? &p->key.check : NULL;
	ret->port = p->key.port;
	ret->hs = &p->hs;
	ret->last_reason = p->reason;
	ret->last_ok = p->last_ok;
	ret->last_ns = p->last_ns;
	ret->latency_ns = p->latency_ns;
	ret->avail_life = shoal_avail_life(&p->avail);
	ret->avail_hour = shoal_avail_hour(&p->avail);
	ret->checks_ok = p->ok;
	ret->checks_failed = p->failed - p->timeouts;
	ret->checks_timeout = p->timeouts;
	ret->transitions = p->transitions;
	ret->duration_le = p->dur_le;
	ret->duration_sum = p->dur_sum;
	if (b->id < SHOAL_MAX_BACKENDS)
		ret->passive_failures = h->passive[b->id].failures;
	if (v->health.agent.on && (a = probe_of(h, v, b, true))) {
		ret->agent_on = true;
		ret->agent_ok = a->last_ok;
		ret->agent_pct = a->agent_pct;
		ret->agent_reply = a->last_ok ? a->agent_line : a->reason;
	}
	return true;
}

double shoal_health_vip_avail(struct shoal_health *h, const struct shoal_vip_state *v)
{
	double *a = calloc(v->nbe ? v->nbe : 1, sizeof(*a)), r;
	size_t i;

	if (!a)
		return 0;
	for (i = 0; i < v->nbe; i++) {
		struct probe *p = probe_of(h, v, &v->be[i], false);

		a[i] = p ? shoal_avail_life(&p->avail) : 1.0;
	}
	r = shoal_avail_any(a, v->nbe);
	free(a);
	return r;
}

__u64 shoal_health_probes(const struct shoal_health *h)
{
	return h->n;
}

__u64 shoal_health_panics(const struct shoal_health *h)
{
	return h->panics;
}
