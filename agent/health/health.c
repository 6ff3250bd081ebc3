// SPDX-License-Identifier: GPL-2.0-only
/*
 * The health room (health.h): probes, their timers, the rise/fall machine fed
 * by checks and by the passive signal, load feedback, panic, and what each
 * backend's health means for its VIP's table, written into the state at sync.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/parts.h"
#include "core/reconcile.h"
#include "dataplane/dataplane.h"
#include "health/internal.h"
#include "model/addr.h"
#include "model/checkwire.h"
#include "model/state.h"

#define CHECK_REQUEST_MAX 512 /* a GET with a path and host of SHOAL_HEALTH_STR each */
#define TICK_USEC	  1000000
#define CHECK_GRID_NS	  10000000ULL

const double shoal_check_bounds[SHOAL_CHECK_BUCKETS] = { 0.001, 0.005, 0.01, 0.025,
							 0.05,	0.1,   0.25, 1 };

static __u64 key_hash(const struct probe_key *k)
{
	const __u8 *b = (const __u8 *)k;
	__u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*k); i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The index: open addressing over probes, at most half full. */
static int index_rebuild(struct shoal_health *h, size_t want)
{
	size_t size = 64, i;
	struct probe **t;

	while (size < 2 * want)
		size *= 2;
	t = calloc(size, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < h->n; i++) {
		size_t at = h->probes[i]->hash & (size - 1);

		while (t[at])
			at = (at + 1) & (size - 1);
		t[at] = h->probes[i];
	}
	free(h->index);
	h->index = t;
	h->index_size = size;
	return 0;
}

struct probe *health_probe_find(struct shoal_health *h, const struct probe_key *k)
{
	__u64 hash = key_hash(k);
	size_t at;

	if (!h->index_size)
		return NULL;
	for (at = hash & (h->index_size - 1); h->index[at]; at = (at + 1) & (h->index_size - 1))
		if (h->index[at]->hash == hash && !memcmp(&h->index[at]->key, k, sizeof(*k)))
			return h->index[at];
	return NULL;
}

void health_key_of(const struct shoal_vip_state *v, const struct shoal_be_state *b, bool agent,
		   struct probe_key *k)
{
	const struct shoal_check_conf *c = &v->health.check;

	memset(k, 0, sizeof(*k));
	k->backend = b->addr;
	if (agent) {
		k->is_agent = 1;
		k->target = b->addr;
		k->family = (__u8)b->family;
		k->port = v->health.agent.port;
		k->check.interval_ms = v->health.agent.interval_ms;
		k->check.timeout_ms = v->health.agent.timeout_ms;
		return;
	}
	k->check = *c;
	/* how the type was chosen does not change what is sent */
	k->check.type_given = 0;
	if (c->type == SHOAL_CHECK_NONE) {
		/* no active check: only the passive signal, per backend of this VIP */
		k->target = v->key.addr;
		k->port = ntohs(v->key.port);
		k->family = (__u8)v->family;
		k->check.interval_ms = v->health.passive.window_ms;
		return;
	}
	k->port = c->port ? c->port : ntohs(v->key.port);
	if (c->via == SHOAL_VIA_TUNNEL) {
		k->target = v->key.addr;
		k->family = (__u8)v->family;
		k->encap = b->encap;
	} else {
		k->target = b->addr;
		k->family = (__u8)b->family;
	}
}

static const struct check_ops *ops_of(const struct probe_key *k)
{
	if (k->is_agent)
		return &check_agent_ops;
	switch (k->check.type) {
	case SHOAL_CHECK_TCP:
		return &check_tcp_ops;
	case SHOAL_CHECK_HTTP:
		return &check_http_ops;
	case SHOAL_CHECK_HTTPS:
		return &check_https_ops;
	case SHOAL_CHECK_UDP:
		return &check_udp_ops;
	case SHOAL_CHECK_DNS:
		return &check_dns_ops;
	default:
		return NULL;
	}
}

static const char *probe_name(const struct probe *p, char *buf, size_t len)
{
	char be[INET6_ADDRSTRLEN], tg[INET6_ADDRSTRLEN];

	shoal_addr_format(&p->key.backend, be, sizeof(be));
	shoal_addr_format(&p->key.target, tg, sizeof(tg));
	if (p->key.is_agent)
		snprintf(buf, len, "backend %s: agent-check port %u", be, p->key.port);
	else if (!p->ops)
		snprintf(buf, len, "backend %s of %s:%u: passive", be, tg, p->key.port);
	else if (p->key.check.via == SHOAL_VIA_TUNNEL)
		snprintf(buf, len, "backend %s: %s check of %s:%u through the tunnel", be,
			 p->ops->name, tg, p->key.port);
	else
		snprintf(buf, len, "backend %s: %s check of %s:%u", be, p->ops->name, tg,
			 p->key.port);
	return buf;
}

const struct timeval *check_common_timeout(struct shoal_health *h, __u32 ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	const struct timeval *common;
	size_t i;

	for (i = 0; i < h->ncommon; i++)
		if (h->common_ms[i] == ms)
			return h->common[i];
	/*
	 * A libevent "common timeout": events of one duration wait in a queue
	 * (an O(1) add) instead of the timer heap, whose every operation on a
	 * few thousand events costs cache misses at a thousand checks a second.
	 */
	common = event_base_init_common_timeout(shoal_loop_base(h->p->loop), &tv);
	if (!common || h->ncommon == CHECK_COMMON_MAX) {
		h->fallback = tv;
		return common ? common : &h->fallback;
	}
	h->common_ms[h->ncommon] = ms;
	h->common[h->ncommon++] = common;
	return common;
}

struct event_base *check_base(const struct check_run *r)
{
	return shoal_loop_base(r->p->room->p->loop);
}

void *check_ssl_ctx(struct shoal_health *h)
{
	if (!h->ssl) {
		h->ssl = SSL_CTX_new(TLS_client_method());
		if (h->ssl)
			SSL_CTX_set_verify(h->ssl, SSL_VERIFY_NONE, NULL);
	}
	return h->ssl;
}

int check_socket(const struct probe *p, int type)
{
	/*
	 * Closed with a reset, as HAProxy closes its checks: no TIME_WAIT left
	 * behind (1,000 checks a second would hold 60,000 of them), and two
	 * packets fewer for both ends than a FIN handshake.
	 */
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(p->key.family == AF_INET6 ? AF_INET6 : AF_INET,
			type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset))) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* the tc egress program tunnels marked packets to the backend the mark names */
	if (!p->key.is_agent && p->key.check.via == SHOAL_VIA_TUNNEL &&
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &p->mark, sizeof(p->mark))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void reconcile(struct shoal_health *h)
{
	if (h->p->reconcile)
		shoal_reconcile_request(h->p->reconcile, NULL, NULL);
}

/* One result into the machine: logged once per transition, with its reason. */
static void probe_result(struct probe *p, bool ok, const char *reason)
{
	enum shoal_transition t;
	char name[200];
	__u64 now = shoal_now_ns();

	shoal_avail_account(&p->avail, p->hs.state, now);
	t = shoal_hstate_result(&p->hs, ok, p->key.check.rise ? p->key.check.rise : 1,
				p->key.check.fall ? p->key.check.fall : 1, now);
	if (t == SHOAL_TRANS_NONE)
		return;
	p->transitions++;
	log_info("%s: %s (%s)", probe_name(p, name, sizeof(name)),
		 t == SHOAL_TRANS_UP ? "up" : "down", reason);
	reconcile(p->room);
}

static void record(struct probe *p, bool ok, const char *reason, __u64 latency)
{
	double s = (double)latency / 1e9;
	int i;

	p->last_ok = ok;
	p->last_ns = shoal_now_ns();
	p->latency_ns = latency;
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
	if (ok)
		p->ok++;
	else
		p->failed++;
	p->dur_sum += s;
	for (i = 0; i < SHOAL_CHECK_BUCKETS; i++)
		if (s <= shoal_check_bounds[i])
			p->dur_le[i]++;
	p->dur_le[SHOAL_CHECK_BUCKETS]++;
}

static void agent_result(struct probe *p, bool ok)
{
	char name[200];
	int reported, applied;

	if (!ok)
		return; /* an agent that does not answer changes nothing (HAProxy's way) */
	reported = p->agent.pct;
	applied = p->agent_pct;
	if (reported >= 0)
		p->agent_pct = shoal_agent_smooth(applied < 0 ? 100 : applied, reported);
	if (p->agent_pct != applied) {
		log_debug("%s: weight %d%% (reported %d%%)", probe_name(p, name, sizeof(name)),
			  p->agent_pct, reported);
		reconcile(p->room);
	}
	/* a state word holds until another says otherwise (HAProxy: drain until ready) */
	if (p->agent.admin != SHOAL_AGENT_NONE && p->agent.admin != p->agent_admin) {
		static const char *const words[] = { "", "up", "down", "drain", "maint" };

		p->agent_admin = p->agent.admin;
		p->transitions++;
		log_info("%s: agent: %s (\"%s\")", probe_name(p, name, sizeof(name)),
			 words[p->agent_admin], p->agent_line);
		reconcile(p->room);
	}
}

void check_done(struct check_run *r, bool ok, const char *reason)
{
	struct probe *p = r->p;
	__u64 start = shoal_loop_enter();

	p->run = NULL;
	event_del(p->timeout);
	record(p, ok, reason, shoal_now_ns() - r->start_ns);
	if (shoal_log_level >= LOG_LVL_DEBUG) {
		char name[200];

		log_debug("%s: %s (%s, %.1f ms)", probe_name(p, name, sizeof(name)),
			  ok ? "ok" : "failed", reason, (double)p->latency_ns / 1e6);
	}
	free(r);
	if (p->key.is_agent)
		agent_result(p, ok);
	else
		probe_result(p, ok, reason);
	shoal_loop_leave(p->room->p->loop, "health result", start);
}

void check_skip(struct check_run *r, int err)
{
	struct probe *p = r->p;

	/* the agent's own shortage says nothing of the backend: not a result */
	p->run = NULL;
	event_del(p->timeout);
	free(r);
	p->skipped++;
	log_limited(LOG_LVL_WARN, "health: a check could not start here: %s (not counted)",
		    strerror(err));
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	struct check_run *r = p->run;
	char why[48];

	(void)fd;
	(void)what;
	if (!r)
		return;
	p->ops->cancel(r);
	p->timeouts++;
	snprintf(why, sizeof(why), "timeout after %u ms", p->key.check.timeout_ms);
	check_done(r, false, why);
}

/*
 * The checks' schedule: a timing wheel of 10 ms ticks, turned by one timer.
 * Checks due within the same 10 ms start in one wake-up of the loop (and their
 * answers tend to arrive together) instead of a wake-up each, and a thousand
 * probes do not make a thousand entries of libevent's timer heap. Spread and
 * jitter stay, rounded up to the tick.
 */
static void wheel_unlink(struct probe *p)
{
	if (!p->wprev)
		return;
	*p->wprev = p->wnext;
	if (p->wnext)
		p->wnext->wprev = p->wprev;
	p->wnext = NULL;
	p->wprev = NULL;
}

/* Arms p's next check in about in_ns. */
static void probe_arm(struct probe *p, __u64 in_ns)
{
	struct shoal_health *h = p->room;
	struct probe **slot;

	wheel_unlink(p);
	p->due_tick = (shoal_now_ns() + in_ns + CHECK_GRID_NS - 1) / CHECK_GRID_NS;
	/* never in a tick the wheel has already turned past */
	if (p->due_tick <= h->wheel_done)
		p->due_tick = h->wheel_done + 1;
	slot = &h->wheel[p->due_tick % WHEEL_SLOTS];
	p->wnext = *slot;
	if (p->wnext)
		p->wnext->wprev = &p->wnext;
	p->wprev = slot;
	*slot = p;
	if (!shoal_timer_armed(h->grid))
		shoal_timer_arm(h->grid, 0);
}

static void probe_fire(struct probe *p)
{
	struct check_run *r;

	probe_arm(p, shoal_check_next_ns(p->key.check.interval_ms, p->key.check.jitter_pct,
					 (__u32)random()));
	if (p->run)
		return;
	r = calloc(1, sizeof(*r));
	if (!r)
		return;
	r->p = p;
	r->start_ns = shoal_now_ns();
	p->run = r;
	event_add(p->timeout, p->timeout_tv);
	p->ops->start(r);
}

static void on_grid(void *arg)
{
	struct shoal_health *h = arg;
	__u64 tick = shoal_now_ns() / CHECK_GRID_NS, t;
	bool any = false;
	size_t i;

	if (!h->wheel_done || tick - h->wheel_done > WHEEL_SLOTS)
		h->wheel_done = tick - 1; /* the first turn, or a stall: one lap is enough */
	for (t = h->wheel_done + 1; t <= tick; t++) {
		struct probe *p = h->wheel[t % WHEEL_SLOTS], *next;

		h->wheel_done = t;
		for (; p; p = next) {
			next = p->wnext;
			if (p->due_tick <= tick)
				probe_fire(p);
		}
	}
	for (i = 0; i < WHEEL_SLOTS && !any; i++)
		any = h->wheel[i] != NULL;
	/* the next tick's boundary, while any probe waits (at once if this turn overran it) */
	if (any) {
		__u64 next = (tick + 1) * CHECK_GRID_NS, now = shoal_now_ns();

		shoal_timer_arm(h->grid, next > now ? (next - now) / 1000 : 0);
	}
}

static void probe_free(struct probe *p)
{
	if (!p)
		return;
	if (p->run) {
		p->ops->cancel(p->run);
		free(p->run);
	}
	wheel_unlink(p);
	if (p->timeout)
		event_free(p->timeout);
	free(p->request);
	free(p);
}

/* The GET of an http(s) probe: Host is the configured name, else the address checked. */
static void probe_request(struct probe *p)
{
	char host[SHOAL_HEALTH_STR + 8], a[INET6_ADDRSTRLEN];

	p->request_len = -1;
	if (p->key.check.type != SHOAL_CHECK_HTTP && p->key.check.type != SHOAL_CHECK_HTTPS)
		return;
	if (p->key.check.host[0]) {
		snprintf(host, sizeof(host), "%s", p->key.check.host);
	} else {
		inet_ntop(p->key.family,
			  p->key.family == AF_INET ? (const void *)&p->key.target.u32[3]
						   : (const void *)&p->key.target,
			  a, sizeof(a));
		snprintf(host, sizeof(host), p->key.family == AF_INET6 ? "[%s]" : "%s", a);
	}
	p->request = malloc(CHECK_REQUEST_MAX);
	if (p->request)
		p->request_len = shoal_check_http_request(p->key.check.path, host, p->request,
							  CHECK_REQUEST_MAX);
}

static void probe_target(struct probe *p)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&p->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->sa;

	memset(&p->sa, 0, sizeof(p->sa));
	if (p->key.family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->key.port);
		s4->sin_addr.s_addr = p->key.target.u32[3];
		p->salen = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->key.port);
		memcpy(&s6->sin6_addr, &p->key.target, 16);
		p->salen = sizeof(*s6);
	}
}

static struct probe *probe_new(struct shoal_health *h, const struct probe_key *k,
			       const struct shoal_be_state *b)
{
	struct probe *p = calloc(1, sizeof(*p));
	__u64 now = shoal_now_ns();

	if (!p)
		return NULL;
	p->key = *k;
	p->hash = key_hash(k);
	p->room = h;
	p->ops = ops_of(k);
	p->agent_pct = -1;
	p->agent.pct = -1;
	probe_target(p);
	probe_request(p);
	if (k->check.interval_ms < 100)
		p->ops = NULL; /* never from a valid config: no check rather than a busy loop */
	/* unknown = keep as is: served, unless the maps said down before a restart */
	shoal_hstate_init(&p->hs,
			  b->health == SHOAL_HEALTH_DOWN ? SHOAL_HEALTH_DOWN : SHOAL_HEALTH_UNKNOWN,
			  now);
	shoal_avail_account(&p->avail, p->hs.state, now);
	if (!p->ops)
		return p;
	p->timeout = evtimer_new(shoal_loop_base(h->p->loop), on_timeout, p);
	p->timeout_tv = check_common_timeout(h, k->check.timeout_ms);
	if (!p->timeout || !p->timeout_tv) {
		probe_free(p);
		return NULL;
	}
	/* first checks spread over the interval by a hash of the probe: no lock-step */
	probe_arm(p, shoal_check_offset_ns(p->hash, k->check.interval_ms));
	return p;
}

/* The probe for k, made if new; marked used. */
static struct probe *probe_get(struct shoal_health *h, const struct probe_key *k,
			       const struct shoal_be_state *b)
{
	struct probe *p = health_probe_find(h, k);

	if (!p) {
		size_t at;

		if (h->n == h->cap) {
			size_t cap = h->cap ? 2 * h->cap : 64;
			struct probe **grown = realloc(h->probes, cap * sizeof(*grown));

			if (!grown)
				return NULL;
			h->probes = grown;
			h->cap = cap;
		}
		if (2 * (h->n + 1) > h->index_size && index_rebuild(h, h->n + 1))
			return NULL;
		p = probe_new(h, k, b);
		if (!p)
			return NULL;
		h->probes[h->n++] = p;
		for (at = p->hash & (h->index_size - 1); h->index[at];
		     at = (at + 1) & (h->index_size - 1))
			;
		h->index[at] = p;
	}
	p->used = true;
	return p;
}

/* What a backend's checks mean for its VIP, before panic is known. */
struct be_eval {
	struct probe *probe, *agent;
	bool down, agent_out;
	__u32 factor; /* per mille of its weight: slow start x agent weight */
};

static void be_evaluate(const struct shoal_vip_state *v, struct be_eval *e, __u64 now)
{
	const struct shoal_hstate *hs = e->probe ? &e->probe->hs : NULL;
	__u32 f = 1000;

	e->down = hs && hs->state == SHOAL_HEALTH_DOWN;
	e->agent_out = false;
	if (hs)
		f = shoal_slow_start_permille(hs->up_since_ns, now, v->health.slow_start_ms);
	if (e->agent) {
		const struct probe *a = e->agent;

		if (a->agent_admin == SHOAL_AGENT_DOWN)
			e->down = true;
		if (a->agent_admin == SHOAL_AGENT_DRAIN || a->agent_admin == SHOAL_AGENT_MAINT)
			e->agent_out = true;
		if (a->agent_pct >= 0)
			f = f * (__u32)a->agent_pct / 100;
		if (!f)
			e->agent_out = true;
	}
	e->factor = f;
}

static void be_publish(const struct shoal_vip_state *v, struct shoal_be_state *b,
		       const struct be_eval *e, bool panic)
{
	const struct shoal_hstate *hs = e->probe ? &e->probe->hs : NULL;

	b->health = hs ? (__u8)hs->state : SHOAL_HEALTH_UNKNOWN;
	b->health_out = e->agent_out || (e->down && !panic);
	b->dp_flags = 0;
	if (e->down)
		b->dp_flags |= SHOAL_BE_F_DOWN;
	if (e->down && !panic && v->health.reschedule)
		b->dp_flags |= SHOAL_BE_F_RESCHEDULE;
	b->ramp_permille = e->factor == 1000 ? 0 : (__u16)e->factor;
	if (e->down && panic) {
		b->health_label = SHOAL_HL_PANIC;
		snprintf(b->health_desc, sizeof(b->health_desc), "panic");
	} else if (e->agent && e->agent->agent_admin == SHOAL_AGENT_DOWN) {
		b->health_label = SHOAL_HL_DOWN;
		snprintf(b->health_desc, sizeof(b->health_desc), "agent down");
	} else if (e->agent && (e->agent->agent_admin == SHOAL_AGENT_DRAIN ||
				e->agent->agent_admin == SHOAL_AGENT_MAINT)) {
		b->health_label = SHOAL_HL_DRAIN;
		snprintf(b->health_desc, sizeof(b->health_desc), "agent %s",
			 e->agent->agent_admin == SHOAL_AGENT_MAINT ? "maint" : "drain");
	} else if (!hs || (!e->probe->ops && hs->state == SHOAL_HEALTH_UNKNOWN)) {
		b->health_label = SHOAL_HL_UNCHECKED;
		snprintf(b->health_desc, sizeof(b->health_desc), "unchecked");
	} else {
		b->health_label = shoal_hstate_label(hs);
		shoal_hstate_describe(hs, v->health.check.rise, v->health.check.fall,
				      b->health_desc, sizeof(b->health_desc));
	}
}

void shoal_health_sync(struct shoal_health *h)
{
	struct shoal_state *s = h->p->state;
	__u64 now = shoal_now_ns();
	struct be_eval *ev = NULL;
	size_t i, j, k, cap = 0;

	for (k = 0; k < h->n; k++)
		h->probes[k]->used = false;
	h->ramping = false;
	for (i = 0; i < s->nvips; i++) {
		struct shoal_vip_state *v = &s->vips[i];
		size_t active = 0, healthy = 0;
		bool panic;

		if (v->nbe > cap) {
			struct be_eval *grown = realloc(ev, v->nbe * sizeof(*grown));

			if (!grown)
				break;
			ev = grown;
			cap = v->nbe;
		}
		for (j = 0; j < v->nbe; j++) {
			struct shoal_be_state *b = &v->be[j];
			struct probe_key key;
			struct be_eval *e = &ev[j];

			memset(e, 0, sizeof(*e));
			health_key_of(v, b, false, &key);
			e->probe = probe_get(h, &key, b);
			/* a tunnel check names this backend in its mark: its id may be new */
			if (e->probe)
				e->probe->mark = SHOAL_CHECK_MARK | b->id;
			if (v->health.agent.on) {
				health_key_of(v, b, true, &key);
				e->agent = probe_get(h, &key, b);
			}
			be_evaluate(v, e, now);
			if (b->admin == SHOAL_ADMIN_DRAINING || e->agent_out)
				continue;
			active++;
			healthy += !e->down;
		}
		panic = shoal_panic(healthy, active, v->health.panic_pct);
		v->panic = panic;
		v->healthy = (__u32)healthy;
		v->servable =
			healthy >= v->health.min_healthy && (active || !v->health.min_healthy);
		if (v->id < SHOAL_MAX_VIPS && h->vip_panic[v->id] != panic) {
			h->vip_panic[v->id] = panic;
			if (panic) {
				h->panics++;
				log_warn("VIP %s: panic: %zu of %zu active backends healthy (below "
					 "%u%%): every active backend takes traffic",
					 v->name, healthy, active, v->health.panic_pct);
			} else {
				log_warn("VIP %s: panic over: %zu of %zu active backends healthy",
					 v->name, healthy, active);
			}
		}
		for (j = 0; j < v->nbe; j++) {
			be_publish(v, &v->be[j], &ev[j], panic);
			if (v->be[j].ramp_permille && ev[j].probe && ev[j].probe->hs.up_since_ns &&
			    now - ev[j].probe->hs.up_since_ns <
				    (__u64)v->health.slow_start_ms * 1000000ULL)
				h->ramping = true;
		}
	}
	free(ev);
	/* probes no backend names any more */
	for (k = j = 0; k < h->n; k++) {
		if (h->probes[k]->used)
			h->probes[j++] = h->probes[k];
		else
			probe_free(h->probes[k]);
	}
	h->n = j;
	if (j != k && index_rebuild(h, h->n))
		log_err("health: out of memory");
}

/* Every second: the passive signal, availability, and the slow-start ramp. */
static void on_tick(void *arg)
{
	struct shoal_health *h = arg;
	struct shoal_state *s = h->p->state;
	__u64 now = shoal_now_ns();
	size_t i, j;

	for (i = 0; i < h->n; i++) {
		struct probe *p = h->probes[i];

		shoal_avail_account(&p->avail, p->hs.state, now);
		/* passive only: a window without evidence brings it back, step by step */
		if (!p->ops && !p->key.is_agent && p->hs.state == SHOAL_HEALTH_DOWN &&
		    now - p->last_ns >= (__u64)p->key.check.interval_ms * 1000000ULL) {
			record(p, true, "passive: a quiet window", 0);
			probe_result(p, true, "passive: no repeated SYNs for a window");
		}
	}
	for (i = 0; i < s->nvips; i++) {
		struct shoal_vip_state *v = &s->vips[i];

		if (!v->health.passive.on || !v->flow_table || v->key.proto != IPPROTO_TCP)
			continue;
		for (j = 0; j < v->nbe; j++) {
			struct shoal_be_state *b = &v->be[j];
			const struct shoal_backend_stats *st =
				shoal_dp_backend_sums(h->p->dp, b->id);
			struct passive_slot *ps = &h->passive[b->id];
			struct probe_key key;
			struct probe *p;
			char why[96];

			if (!st ||
			    !shoal_passive_sample(&ps->win, &v->health.passive, st->new_flows,
						  st->syn_repeats, now, why, sizeof(why)))
				continue;
			ps->failures++;
			health_key_of(v, b, false, &key);
			p = health_probe_find(h, &key);
			if (!p)
				continue;
			record(p, false, why, 0);
			probe_result(p, false, why);
		}
	}
	if (h->ramping)
		reconcile(h);
}

int shoal_health_open(struct shoal_parts *p, struct shoal_health **ret)
{
	struct shoal_health *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->p = p;
	h->passive = calloc(SHOAL_MAX_BACKENDS, sizeof(*h->passive));
	h->vip_panic = calloc(SHOAL_MAX_VIPS, sizeof(*h->vip_panic));
	h->tick = shoal_timer_every(p->loop, "health tick", TICK_USEC, on_tick, h);
	h->grid = shoal_timer_new(p->loop, "health check", on_grid, h);
	if (!h->passive || !h->vip_panic || !h->tick || !h->grid) {
		shoal_health_close(h);
		return -ENOMEM;
	}
	*ret = h;
	return 0;
}

void shoal_health_close(struct shoal_health *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->n; i++)
		probe_free(h->probes[i]);
	free(h->probes);
	free(h->index);
	shoal_timer_free(h->tick);
	shoal_timer_free(h->grid);
	if (h->ssl)
		SSL_CTX_free(h->ssl);
	free(h->passive);
	free(h->vip_panic);
	free(h);
}
