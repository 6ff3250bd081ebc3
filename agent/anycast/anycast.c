// SPDX-License-Identifier: GPL-2.0-only
/*
 * The anycast room: from what the maps hold (each apply's snapshot) and
 * what health says, the prefixes to announce; handed to the BGP speaker or
 * to the kernel table. The operator's withdrawals and the shutdown order
 * live here too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "anycast/internal.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/parts.h"
#include "model/addr.h"
#include "model/state.h"

#define MAX_PEERS_VIEW SHOAL_BGP_MAX_PEERS

struct pfx {
	struct want w;
	bool servable;
	bool admin_withdrawn;
};

struct shoal_anycast {
	struct shoal_parts *p;
	struct shoal_anycast_conf conf;
	struct bgp_speaker *bgp;
	struct bfd_room *bfd;
	struct kroute *kr;
	struct pfx *pfx; /* in the maps, sorted */
	size_t npfx;
	/* withdrawn by the operator (kept across syncs, by address) */
	struct shoal_addr *admin; /* IPv4 v4-mapped: an address alone says its family */
	size_t nadmin;
	bool shutting_down;
	struct shoal_timer *grace;
	void (*done)(void *arg);
	void *done_arg;
};

int want_cmp(const void *pa, const void *pb)
{
	const struct want *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static int pfx_cmp(const void *a, const void *b)
{
	return want_cmp(&((const struct pfx *)a)->w, &((const struct pfx *)b)->w);
}

const char *shoal_prefix_why_name(enum shoal_prefix_why w)
{
	static const char *const names[] = { "announced", "not in the maps", "not servable",
					     "withdrawn by the operator", "shutting down" };

	return names[w];
}

static bool admin_withdrawn(const struct shoal_anycast *a, const struct shoal_addr *addr)
{
	size_t i;

	for (i = 0; i < a->nadmin; i++)
		if (!memcmp(&a->admin[i], addr, sizeof(*addr)))
			return true;
	return false;
}

static enum shoal_prefix_why why_not(const struct shoal_anycast *a, const struct pfx *x)
{
	if (a->shutting_down)
		return SHOAL_PFX_SHUTDOWN;
	if (x->admin_withdrawn)
		return SHOAL_PFX_ADMIN;
	if (!x->servable)
		return SHOAL_PFX_UNSERVABLE;
	return SHOAL_PFX_ANNOUNCED;
}

/* The wants now: every prefix in the maps that nothing holds back. */
static void push(struct shoal_anycast *a)
{
	struct want *w = calloc(a->npfx ? a->npfx : 1, sizeof(*w));
	size_t i, n = 0;

	if (!w)
		return;
	for (i = 0; i < a->npfx; i++)
		if (why_not(a, &a->pfx[i]) == SHOAL_PFX_ANNOUNCED)
			w[n++] = a->pfx[i].w;
	if (a->bgp)
		bgp_set_wants(a->bgp, w, n);
	if (a->kr)
		kroute_set_wants(a->kr, w, n);
	free(w);
}

/* Adds the communities of r to those of w (a union) and takes its MED. */
static void attrs_merge(struct shoal_route_attrs *w, const struct shoal_route_attrs *r)
{
	__u32 i, j;

	if (r->have_med) {
		w->have_med = true;
		w->med = r->med;
	}
	for (i = 0; i < r->ncomms; i++) {
		for (j = 0; j < w->ncomms && w->comms[j] != r->comms[i]; j++)
			;
		if (j == w->ncomms && w->ncomms < SHOAL_BGP_MAX_COMMS)
			w->comms[w->ncomms++] = r->comms[i];
	}
	for (i = 0; i < r->nlarge; i++) {
		for (j = 0; j < w->nlarge && memcmp(w->large[j], r->large[i], 12); j++)
			;
		if (j == w->nlarge && w->nlarge < SHOAL_BGP_MAX_COMMS)
			memcpy(w->large[w->nlarge++], r->large[i], 12);
	}
}

void shoal_anycast_sync(struct shoal_anycast *a, const struct shoal_state *snap)
{
	struct pfx *next = calloc(snap->nvips ? snap->nvips : 1, sizeof(*next));
	size_t i, j, n = 0;
	char name[64];

	if (!next)
		return;
	for (i = 0; i < snap->nvips; i++) {
		const struct shoal_vip_state *v = &snap->vips[i];
		struct pfx *x = NULL;

		for (j = 0; j < n; j++)
			if (next[j].w.family == v->family &&
			    !memcmp(&next[j].w.addr, &v->key.addr, sizeof(v->key.addr)))
				x = &next[j];
		if (!x) {
			x = &next[n++];
			x->w.family = v->family;
			x->w.addr = v->key.addr;
			x->w.attrs = a->conf.attrs;
			x->servable = a->conf.servable_all;
		}
		if (v->have_attrs)
			attrs_merge(&x->w.attrs, &v->attrs);
		x->servable = a->conf.servable_all ? x->servable && v->servable
						   : x->servable || v->servable;
	}
	qsort(next, n, sizeof(*next), pfx_cmp);
	for (i = 0; i < n; i++) {
		struct pfx *x = &next[i], *old = NULL;

		x->admin_withdrawn = admin_withdrawn(a, &x->w.addr);
		for (j = 0; j < a->npfx; j++)
			if (!want_cmp(&a->pfx[j].w, &x->w))
				old = &a->pfx[j];
		if (old && old->servable != x->servable)
			log_info("anycast: %s %s",
				 shoal_addr_format(&x->w.addr, name, sizeof(name)),
				 x->servable ? "servable again: announced"
					     : "no longer servable: withdrawn");
	}
	free(a->pfx);
	a->pfx = next;
	a->npfx = n;
	push(a);
}

int shoal_anycast_admin(struct shoal_anycast *a, const struct shoal_addr *addr, bool withdraw)
{
	bool known = false;
	size_t i;

	for (i = 0; i < a->npfx; i++)
		known |= !memcmp(&a->pfx[i].w.addr, addr, sizeof(*addr));
	if (!known)
		return -ENOENT;
	if (withdraw && !admin_withdrawn(a, addr)) {
		struct shoal_addr *na = realloc(a->admin, (a->nadmin + 1) * sizeof(*na));

		if (!na)
			return -ENOMEM;
		a->admin = na;
		a->admin[a->nadmin++] = *addr;
	} else if (!withdraw) {
		for (i = 0; i < a->nadmin; i++)
			if (!memcmp(&a->admin[i], addr, sizeof(*addr))) {
				a->admin[i] = a->admin[--a->nadmin];
				break;
			}
	}
	for (i = 0; i < a->npfx; i++)
		a->pfx[i].admin_withdrawn = admin_withdrawn(a, &a->pfx[i].w.addr);
	push(a);
	return 0;
}

static void grace_over(void *arg)
{
	struct shoal_anycast *a = arg;

	log_info("anycast: shutdown grace over");
	if (a->done)
		a->done(a->done_arg);
}

void shoal_anycast_shutdown(struct shoal_anycast *a, void (*done)(void *arg), void *arg)
{
	bool any = false;
	size_t i;

	for (i = 0; i < a->npfx; i++)
		any |= why_not(a, &a->pfx[i]) == SHOAL_PFX_ANNOUNCED;
	a->shutting_down = true;
	a->done = done;
	a->done_arg = arg;
	push(a);
	if (!any || !a->conf.shutdown_grace_ms) {
		done(arg);
		return;
	}
	log_info("anycast: every VIP withdrawn; still forwarding for %u ms while the router "
		 "moves traffic",
		 a->conf.shutdown_grace_ms);
	shoal_timer_arm(a->grace, (__u64)a->conf.shutdown_grace_ms * 1000);
}

void shoal_anycast_restart_stop(struct shoal_anycast *a)
{
	log_info("anycast: stopping for a restart: sessions dropped without a word, peers keep "
		 "the routes for %u s",
		 a->conf.gr_time_s);
	bfd_close(a->bfd);
	a->bfd = NULL;
	bgp_close(a->bgp, true);
	a->bgp = NULL;
	kroute_close(a->kr, false);
	a->kr = NULL;
}

int shoal_anycast_open(struct shoal_parts *p, const struct shoal_anycast_conf *conf, bool restarted,
		       struct shoal_anycast **ret)
{
	struct shoal_anycast *a = calloc(1, sizeof(*a));
	int r = 0;

	if (!a)
		return -ENOMEM;
	a->p = p;
	a->conf = *conf;
	a->grace = shoal_timer_new(p->loop, "anycast grace", grace_over, a);
	if (!a->grace)
		r = -ENOMEM;
	if (!r && conf->mode == SHOAL_ANNOUNCE_BGP) {
		r = bgp_open(p->loop, conf, restarted, &a->bgp);
		if (!r)
			r = bfd_open(p->loop, conf, a->bgp, &a->bfd);
	} else if (!r && conf->mode == SHOAL_ANNOUNCE_KERNEL) {
		r = kroute_open(conf, &a->kr);
	}
	if (r) {
		shoal_anycast_close(a);
		return r;
	}
	*ret = a;
	return 0;
}

void shoal_anycast_close(struct shoal_anycast *a)
{
	if (!a)
		return;
	bfd_close(a->bfd);
	bgp_close(a->bgp, false);
	kroute_close(a->kr, true);
	shoal_timer_free(a->grace);
	free(a->pfx);
	free(a->admin);
	free(a);
}

enum shoal_announce shoal_anycast_mode(const struct shoal_anycast *a)
{
	return a ? a->conf.mode : SHOAL_ANNOUNCE_NONE;
}

size_t shoal_anycast_prefixes(struct shoal_anycast *a, struct shoal_prefix_view *out, size_t max)
{
	size_t i;

	for (i = 0; i < a->npfx && i < max; i++) {
		const struct pfx *x = &a->pfx[i];
		struct shoal_prefix_view *v = &out[i];

		v->family = x->w.family;
		v->addr = x->w.addr;
		v->why = why_not(a, x);
		v->peers = a->bgp  ? bgp_prefix_peers(a->bgp, &x->w)
			   : a->kr ? kroute_has(a->kr, &x->w)
				   : 0;
		v->announced = v->peers > 0;
	}
	return i;
}

size_t shoal_anycast_peers(struct shoal_anycast *a, struct shoal_peer_view *out, size_t max)
{
	size_t i, n;

	if (!a->bgp)
		return 0;
	n = bgp_peer_views(a->bgp, out, max);
	for (i = 0; i < n; i++)
		out[i].bfd_state = a->bfd ? bfd_peer_state(a->bfd, i, &out[i].bfd_up) : NULL;
	return n;
}
