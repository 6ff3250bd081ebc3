// SPDX-License-Identifier: GPL-2.0-only
/*
 * lbctl flows: entries of the flow table, like ipvsadm -Lc, bounded. The
 * table keeps no addresses (a tag of the flow's hash, its backend, its state
 * and when it was last seen), so a flow is shown as its slot, VIP, backend,
 * state, protocol and idle time. A request reads at most "limit" entries
 * (100 by default, at most 10,000) for at most 10 ms of the loop, and says
 * where to continue ("next") when it did not reach the end of the table.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "control/internal.h"
#include "core/parts.h"
#include "dataplane/dataplane.h"
#include "model/addr.h"
#include "model/state.h"
#include "shoal/abi.h"

#define FLOWS_DEFAULT  100
#define FLOWS_MAX      10000
#define SCAN_BUDGET_NS (10ULL * 1000 * 1000)

struct flows_ctx {
	struct shoal_state *s;
	/* backend id -> its VIP and backend in the state (NULL: no longer in it) */
	const struct shoal_vip_state **vip_of;
	const struct shoal_be_state **be_of;
	const struct shoal_vip_state *want_vip; /* NULL: any */
	const struct shoal_addr *want_be;	/* NULL: any */
	json_t *out;
};

static const char *state_name(__u64 e)
{
	switch (e & SHOAL_FLOW_STATE_MASK) {
	case SHOAL_FLOW_UNCONFIRMED:
		return "unconfirmed";
	case SHOAL_FLOW_CONFIRMED:
		return "established";
	default:
		return "closing";
	}
}

static bool take(void *arg, __u32 bucket, int way, __u64 e, __u32 idle)
{
	struct flows_ctx *f = arg;
	__u32 id = SHOAL_FLOW_BE(e);
	const struct shoal_vip_state *v = id < SHOAL_MAX_BACKENDS ? f->vip_of[id] : NULL;
	const struct shoal_be_state *be = id < SHOAL_MAX_BACKENDS ? f->be_of[id] : NULL;
	char vip[80], addr[SHOAL_ADDR_STRLEN + 32];

	if ((f->want_vip && v != f->want_vip) ||
	    (f->want_be && (!be || memcmp(&be->addr, f->want_be, sizeof(*f->want_be)))))
		return false;
	if (v)
		shoal_vip_spec_format(&v->key, vip, sizeof(vip));
	else
		snprintf(vip, sizeof(vip), "-");
	if (be)
		shoal_addr_format(&be->addr, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "backend id %u (removed)", id);
	json_array_append_new(
		f->out,
		json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:f}", "bucket", (json_int_t)bucket,
			  "way", way, "vip", vip, "backend", addr, "state", state_name(e),
			  "protocol", e & SHOAL_FLOW_UDP ? "udp" : "tcp", "idle_s",
			  (double)idle * (double)(1ULL << SHOAL_FLOW_TICK_SHIFT) / 1e9));
	return true;
}

json_t *ctl_flows(struct ctl_conn *c, json_t *args, const char **err)
{
	static const struct shoal_vip_state *vip_of[SHOAL_MAX_BACKENDS];
	static const struct shoal_be_state *be_of[SHOAL_MAX_BACKENDS];
	const char *vs = json_string_value(json_object_get(args, "vip"));
	const char *bs = json_string_value(json_object_get(args, "backend"));
	json_t *lim = json_object_get(args, "limit"), *from = json_object_get(args, "from");
	struct flows_ctx f = { .s = c->p->state, .vip_of = vip_of, .be_of = be_of };
	struct shoal_vip_key key;
	struct shoal_addr be_addr;
	json_int_t limit = FLOWS_DEFAULT, start = 0;
	__u32 next;
	size_t i, j;

	if (lim && (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > FLOWS_MAX)) {
		*err = ctl_errf("limit: 1 to %d", FLOWS_MAX);
		return NULL;
	}
	if (lim)
		limit = json_integer_value(lim);
	if (from && (!json_is_integer(from) || json_integer_value(from) < 0 ||
		     json_integer_value(from) > shoal_dp_flow_nbuckets(c->p->dp))) {
		*err = ctl_errf("from: a bucket, 0 to %u", shoal_dp_flow_nbuckets(c->p->dp));
		return NULL;
	}
	if (from)
		start = json_integer_value(from);
	if (vs) {
		if (shoal_vip_spec_parse(vs, &key, NULL) ||
		    !(f.want_vip = shoal_state_vip(f.s, &key))) {
			*err = ctl_errf("no VIP %.80s", vs);
			return NULL;
		}
	}
	if (bs) {
		if (shoal_addr_parse(bs, &be_addr, NULL)) {
			*err = ctl_errf("backend: '%.80s' is not an address", bs);
			return NULL;
		}
		f.want_be = &be_addr;
	}
	memset(vip_of, 0, sizeof(vip_of));
	memset(be_of, 0, sizeof(be_of));
	for (i = 0; i < f.s->nvips; i++)
		for (j = 0; j < f.s->vips[i].nbe; j++)
			if (f.s->vips[i].be[j].id < SHOAL_MAX_BACKENDS) {
				vip_of[f.s->vips[i].be[j].id] = &f.s->vips[i];
				be_of[f.s->vips[i].be[j].id] = &f.s->vips[i].be[j];
			}
	f.out = json_array();
	if (!f.out) {
		*err = "out of memory";
		return NULL;
	}
	next = shoal_dp_flow_scan(c->p->dp, (__u32)start, SCAN_BUDGET_NS, (size_t)limit, take, &f);
	return json_pack("{s:o, s:i, s:i, s:o}", "flows", f.out, "from", start, "buckets",
			 (json_int_t)shoal_dp_flow_nbuckets(c->p->dp), "next",
			 next < shoal_dp_flow_nbuckets(c->p->dp) ? json_integer(next)
								 : json_null());
}
