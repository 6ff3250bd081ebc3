// SPDX-License-Identifier: GPL-2.0-only
/* See state.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "model/addr.h"
#include "model/bgpwire.h"
#include "model/state.h"

static __u8 encap_resolve(const struct shoal_state *s, __u8 conf)
{
	return conf == SHOAL_ENCAP_DEFAULT ? s->host.encap : conf;
}

struct shoal_vip_state *shoal_state_vip(struct shoal_state *s, const struct shoal_vip_key *k)
{
	size_t i;

	for (i = 0; i < s->nvips; i++)
		if (!memcmp(&s->vips[i].key, k, sizeof(*k)))
			return &s->vips[i];
	return NULL;
}

struct shoal_be_state *shoal_state_backend(struct shoal_vip_state *v, const struct shoal_addr *a)
{
	size_t i;

	for (i = 0; i < v->nbe; i++)
		if (!memcmp(&v->be[i].addr, a, sizeof(*a)))
			return &v->be[i];
	return NULL;
}

static void ids_free(struct shoal_ids *ids)
{
	if (!ids)
		return;
	shoal_ids_fini(ids);
	free(ids);
}

void shoal_state_free(struct shoal_state *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nvips; i++)
		free(s->vips[i].be);
	free(s->vips);
	ids_free(s->vip_ids);
	ids_free(s->be_ids);
	free(s);
}

int shoal_state_dup(const struct shoal_state *s, struct shoal_state **ret)
{
	struct shoal_state *d = calloc(1, sizeof(*d));
	size_t i;

	if (!d)
		return -ENOMEM;
	d->host = s->host;
	d->health_defaults = s->health_defaults;
	d->anycast = s->anycast;
	d->discovery = s->discovery;
	d->vips = calloc(s->nvips ? s->nvips : 1, sizeof(*d->vips));
	if (!d->vips)
		goto nomem;
	for (i = 0; i < s->nvips; i++) {
		d->vips[i] = s->vips[i];
		d->vips[i].be = calloc(s->vips[i].nbe ? s->vips[i].nbe : 1, sizeof(*d->vips[i].be));
		if (!d->vips[i].be) {
			d->nvips = i;
			goto nomem;
		}
		if (s->vips[i].nbe)
			memcpy(d->vips[i].be, s->vips[i].be,
			       s->vips[i].nbe * sizeof(*d->vips[i].be));
	}
	d->nvips = s->nvips;
	*ret = d;
	return 0;
nomem:
	shoal_state_free(d);
	return -ENOMEM;
}

void shoal_state_replace(struct shoal_state *s, struct shoal_state *next)
{
	struct shoal_state old = *s;

	*s = *next;
	*next = old;
	shoal_state_free(next);
}

/* A copy of old's allocator, or a new one holding the ids old uses. */
static struct shoal_ids *ids_inherit(const struct shoal_ids *old, __u32 max)
{
	struct shoal_ids *ids = calloc(1, sizeof(*ids));

	if (!ids)
		return NULL;
	if (old ? shoal_ids_copy(ids, old) : shoal_ids_init(ids, max, SHOAL_ID_QUARANTINE_SEC)) {
		free(ids);
		return NULL;
	}
	return ids;
}

void shoal_vip_state_from_service(struct shoal_vip_state *v, const struct shoal_service_conf *sc)
{
	memcpy(v->name, sc->name, sizeof(v->name));
	v->family = sc->family;
	v->scheduler = sc->scheduler;
	v->least_loaded = sc->least_loaded;
	v->table_size = sc->table_size;
	v->flow_table = sc->flow_table;
	v->health = sc->health;
	v->have_attrs = sc->have_attrs;
	v->attrs = sc->attrs;
}

/* Appends b to v (realloc); -ENOMEM. */
static int be_append(struct shoal_vip_state *v, const struct shoal_be_state *b)
{
	struct shoal_be_state *grown = realloc(v->be, (v->nbe + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	v->be = grown;
	v->be[v->nbe++] = *b;
	return 0;
}

/*
 * A new file is no news for etcd: what old had from discovery stays, with its
 * ids (no flap), unless the file now names the same service or backend (the
 * file wins; the next merge reports it).
 */
static int keep_discovered(struct shoal_state *s, const struct shoal_state *old)
{
	size_t i, j;

	for (i = 0; i < old->nvips; i++) {
		const struct shoal_vip_state *ov = &old->vips[i];
		struct shoal_vip_state *v = shoal_state_vip(s, &ov->key);

		if (!v && ov->discovered) {
			struct shoal_vip_state *grown =
				realloc(s->vips, (s->nvips + 1) * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			s->vips = grown;
			v = &s->vips[s->nvips++];
			*v = *ov;
			v->be = NULL;
			v->nbe = 0;
			shoal_ids_take(s->vip_ids, v->id);
		}
		if (!v)
			continue;
		for (j = 0; j < ov->nbe; j++) {
			const struct shoal_be_state *ob = &ov->be[j];

			if (!ob->discovered || shoal_state_backend(v, &ob->addr))
				continue;
			if (be_append(v, ob))
				return -ENOMEM;
			shoal_ids_take(s->be_ids, ob->id);
		}
	}
	return 0;
}

int shoal_state_from_config(const struct shoal_config *c, const struct shoal_state *old,
			    struct shoal_state **ret)
{
	struct shoal_state *s;
	size_t i, j;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->host = c->host;
	s->health_defaults = c->health_defaults;
	s->anycast = c->anycast;
	s->discovery = c->discovery;
	s->vips = calloc(c->nservices ? c->nservices : 1, sizeof(*s->vips));
	s->vip_ids = ids_inherit(old ? old->vip_ids : NULL, SHOAL_MAX_VIPS);
	s->be_ids = ids_inherit(old ? old->be_ids : NULL, SHOAL_MAX_BACKENDS);
	if (!s->vips || !s->vip_ids || !s->be_ids) {
		err = -ENOMEM;
		goto free_state;
	}
	/* what old has goes into quarantine, except what the new state keeps */
	for (i = 0; old && i < old->nvips; i++) {
		const struct shoal_vip_state *ov = &old->vips[i];

		shoal_ids_take(s->vip_ids, ov->id);
		shoal_ids_free(s->vip_ids, ov->id);
		if (!old->vip_ids && ov->id >= s->vip_ids->next)
			s->vip_ids->next = ov->id + 1;
		for (j = 0; j < ov->nbe; j++) {
			shoal_ids_take(s->be_ids, ov->be[j].id);
			shoal_ids_free(s->be_ids, ov->be[j].id);
			if (!old->be_ids && ov->be[j].id >= s->be_ids->next)
				s->be_ids->next = ov->be[j].id + 1;
		}
	}
	/*
	 * old without an allocator is what adopted maps say (a restart): which ids
	 * were freed lately is not known, so new ones are handed out past the
	 * highest in use rather than from the bottom.
	 */
	if (old && !old->vip_ids)
		s->vip_ids->next = 1 + (s->vip_ids->next - 1) % (SHOAL_MAX_VIPS - 1);
	if (old && !old->be_ids)
		s->be_ids->next = 1 + (s->be_ids->next - 1) % (SHOAL_MAX_BACKENDS - 1);
	/* first keep the ids of what old also has, then allocate the rest */
	for (i = 0; i < c->nservices; i++) {
		const struct shoal_service_conf *sc = &c->services[i];
		struct shoal_vip_state *v = &s->vips[i], *ov = NULL;

		s->nvips++;
		v->key = sc->key;
		shoal_vip_state_from_service(v, sc);
		v->be = calloc(sc->nbackends ? sc->nbackends : 1, sizeof(*v->be));
		if (!v->be) {
			err = -ENOMEM;
			goto free_state;
		}
		if (old)
			ov = shoal_state_vip((struct shoal_state *)old, &sc->key);
		if (ov) {
			v->id = ov->id;
			shoal_ids_take(s->vip_ids, v->id);
		}
		for (j = 0; j < sc->nbackends; j++) {
			struct shoal_be_state *b = &v->be[j], *ob = NULL;

			v->nbe++;
			b->addr = sc->backends[j].addr;
			b->family = sc->backends[j].family;
			b->weight = sc->backends[j].weight;
			b->encap_conf = sc->backends[j].encap;
			b->encap = encap_resolve(s, b->encap_conf);
			b->admin =
				sc->backends[j].drain ? SHOAL_ADMIN_DRAINING : SHOAL_ADMIN_ACTIVE;
			if (ov)
				ob = shoal_state_backend(ov, &b->addr);
			if (ob) {
				b->id = ob->id;
				shoal_ids_take(s->be_ids, b->id);
				/* health is kept until the health room says otherwise */
				b->health = ob->health;
				b->health_out = ob->health_out || ob->health == SHOAL_HEALTH_DOWN;
				b->dp_flags = ob->dp_flags;
				b->ramp_permille = ob->ramp_permille;
				b->health_label = ob->health_label;
				memcpy(b->health_desc, ob->health_desc, sizeof(b->health_desc));
			}
		}
	}
	if (old && (err = keep_discovered(s, old)))
		goto free_state;
	for (i = 0; i < s->nvips; i++) {
		struct shoal_vip_state *v = &s->vips[i];

		if (!v->id && (err = shoal_ids_alloc(s->vip_ids, &v->id)))
			goto free_state;
		for (j = 0; j < v->nbe; j++)
			if (!v->be[j].id && (err = shoal_ids_alloc(s->be_ids, &v->be[j].id)))
				goto free_state;
	}
	*ret = s;
	return 0;

free_state:
	shoal_state_free(s);
	return err;
}

int shoal_state_vip_add(struct shoal_state *s, const struct shoal_vip_state *tmpl)
{
	struct shoal_vip_state *grown, *v;
	__u32 id;
	int err;

	if (shoal_state_vip(s, &tmpl->key))
		return -EEXIST;
	if (tmpl->table_size < 2 || tmpl->table_size > SHOAL_MAX_TABLE_SIZE ||
	    tmpl->scheduler >= SHOAL_SCHED_MAX)
		return -EINVAL;
	grown = realloc(s->vips, (s->nvips + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->vips = grown;
	err = shoal_ids_alloc(s->vip_ids, &id);
	if (err)
		return err;
	v = &s->vips[s->nvips++];
	*v = *tmpl;
	v->health = s->health_defaults;
	/* as in a config file: a UDP service is checked only when asked to be */
	if (v->key.proto == IPPROTO_UDP && !v->health.check.type_given)
		v->health.check.type = SHOAL_CHECK_NONE;
	v->id = id;
	v->runtime = true;
	v->be = NULL;
	v->nbe = 0;
	return 0;
}

int shoal_state_vip_del(struct shoal_state *s, const struct shoal_vip_key *k)
{
	struct shoal_vip_state *v = shoal_state_vip(s, k);
	size_t i;

	if (!v)
		return -ENOENT;
	for (i = 0; i < v->nbe; i++)
		shoal_ids_free(s->be_ids, v->be[i].id);
	shoal_ids_free(s->vip_ids, v->id);
	free(v->be);
	*v = s->vips[--s->nvips];
	return 0;
}

int shoal_state_backend_add(struct shoal_state *s, const struct shoal_vip_key *k,
			    const struct shoal_addr *a, int family, __u32 weight, __u8 encap)
{
	struct shoal_vip_state *v = shoal_state_vip(s, k);
	struct shoal_be_state *grown, *b;
	__u32 id;
	int err;

	if (!v)
		return -ENOENT;
	if (shoal_state_backend(v, a))
		return -EEXIST;
	if ((family == AF_INET && !s->host.have_src_v4) ||
	    (family == AF_INET6 && !s->host.have_src_v6))
		return -EAFNOSUPPORT;
	grown = realloc(v->be, (v->nbe + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	v->be = grown;
	err = shoal_ids_alloc(s->be_ids, &id);
	if (err)
		return err;
	b = &v->be[v->nbe++];
	memset(b, 0, sizeof(*b));
	b->addr = *a;
	b->family = family;
	b->weight = weight;
	b->encap_conf = encap;
	b->encap = encap_resolve(s, encap);
	b->runtime = true;
	b->id = id;
	return 0;
}

int shoal_state_backend_del(struct shoal_state *s, const struct shoal_vip_key *k,
			    const struct shoal_addr *a)
{
	struct shoal_vip_state *v = shoal_state_vip(s, k);
	struct shoal_be_state *b;

	if (!v)
		return -ENOENT;
	b = shoal_state_backend(v, a);
	if (!b)
		return -ENOENT;
	shoal_ids_free(s->be_ids, b->id);
	*b = v->be[--v->nbe];
	v->runtime = true;
	return 0;
}

int shoal_state_backend_weight(struct shoal_state *s, const struct shoal_vip_key *k,
			       const struct shoal_addr *a, __u32 weight)
{
	struct shoal_vip_state *v = shoal_state_vip(s, k);
	struct shoal_be_state *b = v ? shoal_state_backend(v, a) : NULL;

	if (!b)
		return -ENOENT;
	if (b->weight != weight) {
		b->weight = weight;
		b->runtime = true;
	}
	return 0;
}

int shoal_state_backend_admin(struct shoal_state *s, const struct shoal_vip_key *k,
			      const struct shoal_addr *a, enum shoal_admin admin)
{
	struct shoal_vip_state *v = shoal_state_vip(s, k);
	struct shoal_be_state *b = v ? shoal_state_backend(v, a) : NULL;

	if (!b)
		return -ENOENT;
	if (b->admin != admin) {
		b->admin = admin;
		b->runtime = true;
	}
	return 0;
}

__u32 shoal_be_table_weight(const struct shoal_be_state *b)
{
	if (b->admin == SHOAL_ADMIN_DRAINING || b->health_out)
		return 0;
	return b->weight * (b->ramp_permille ? b->ramp_permille : 1000U);
}

/*
 * The state as YAML, written through libyaml's emitter (the library that
 * reads it back), so quoting is the library's business, never ours.
 */
struct emit {
	yaml_emitter_t em;
	yaml_event_t ev;
	int failed;
};

static void emit_event(struct emit *e)
{
	if (!e->failed && !yaml_emitter_emit(&e->em, &e->ev))
		e->failed = 1;
}

static void emit_scalar(struct emit *e, const char *v)
{
	if (!yaml_scalar_event_initialize(&e->ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v), 1,
					  1, YAML_ANY_SCALAR_STYLE))
		e->failed = 1;
	else
		emit_event(e);
}

static void emit_kv(struct emit *e, const char *k, const char *v)
{
	emit_scalar(e, k);
	emit_scalar(e, v);
}

static void emit_kv_uint(struct emit *e, const char *k, unsigned long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", v);
	emit_kv(e, k, buf);
}

static void emit_kv_addr(struct emit *e, const char *k, const struct shoal_addr *a)
{
	char buf[SHOAL_ADDR_STRLEN];

	emit_kv(e, k, shoal_addr_format(a, buf, sizeof(buf)));
}

static void emit_begin(struct emit *e, bool mapping)
{
	if (mapping ? !yaml_mapping_start_event_initialize(&e->ev, NULL, NULL, 1,
							   YAML_BLOCK_MAPPING_STYLE)
		    : !yaml_sequence_start_event_initialize(&e->ev, NULL, NULL, 1,
							    YAML_BLOCK_SEQUENCE_STYLE))
		e->failed = 1;
	else
		emit_event(e);
}

static void emit_end(struct emit *e, bool mapping)
{
	if (mapping ? !yaml_mapping_end_event_initialize(&e->ev)
		    : !yaml_sequence_end_event_initialize(&e->ev))
		e->failed = 1;
	else
		emit_event(e);
}

static int emit_write(void *data, unsigned char *buf, size_t size)
{
	return fwrite(buf, 1, size, data) == size;
}

static void emit_host(struct emit *e, const struct shoal_host_conf *h)
{
	char buf[32];

	emit_scalar(e, "host");
	emit_begin(e, true);
	emit_kv(e, "interface", h->interface);
	emit_kv(e, "xdp_mode", h->xdp_mode == SHOAL_XDP_GENERIC ? "generic" : "native");
	if (h->have_src_v4)
		emit_kv_addr(e, "source_v4", &h->src_v4);
	if (h->have_src_v6)
		emit_kv_addr(e, "source_v6", &h->src_v6);
	emit_kv(e, "encap", shoal_encap_name(h->encap));
	emit_kv_uint(e, "gue_port", h->gue_port);
	snprintf(buf, sizeof(buf), "0x%x", h->hash_seed);
	emit_kv(e, "hash_seed", buf);
	emit_kv_uint(e, "flow_table_size", h->flow_table_size);
	emit_scalar(e, "flow_idle");
	emit_begin(e, true);
	snprintf(buf, sizeof(buf), "%us", h->flow_idle.tcp);
	emit_kv(e, "tcp", buf);
	snprintf(buf, sizeof(buf), "%us", h->flow_idle.tcp_closing);
	emit_kv(e, "tcp_closing", buf);
	snprintf(buf, sizeof(buf), "%us", h->flow_idle.udp);
	emit_kv(e, "udp", buf);
	snprintf(buf, sizeof(buf), "%us", h->flow_idle.unconfirmed);
	emit_kv(e, "unconfirmed", buf);
	emit_end(e, true);
	emit_kv_uint(e, "mtu", h->mtu);
	emit_kv_uint(e, "icmp_rate", h->icmp_rate);
	emit_kv_uint(e, "icmp_burst", h->icmp_burst);
	if (h->have_gateway_mac) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", h->gateway_mac[0],
			 h->gateway_mac[1], h->gateway_mac[2], h->gateway_mac[3], h->gateway_mac[4],
			 h->gateway_mac[5]);
		emit_kv(e, "gateway_mac", buf);
	}
	emit_kv(e, "control_socket", h->control_socket);
	emit_kv(e, "metrics", h->metrics_addr);
	emit_kv(e, "pin_path", h->pin_path);
	emit_end(e, true);
}

static void emit_kv_ms(struct emit *e, const char *k, __u32 ms)
{
	char buf[24];

	snprintf(buf, sizeof(buf), ms % 1000 ? "%ums" : "%us", ms % 1000 ? ms : ms / 1000);
	emit_kv(e, k, buf);
}

static void emit_kv_pct(struct emit *e, const char *k, __u32 pct)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u%%", pct);
	emit_kv(e, k, buf);
}

/* A service's health keys: timings always, the optional ones when set. */
static void emit_health(struct emit *e, const struct shoal_vip_state *v)
{
	const struct shoal_health_conf *h = &v->health;
	const struct shoal_check_conf *c = &h->check;
	struct shoal_health_conf base;
	char buf[16];
	__u32 i;

	shoal_health_conf_init(&base);
	emit_scalar(e, "health");
	emit_begin(e, true);
	if (c->type_given)
		emit_kv(e, "type", shoal_check_type_name(c->type));
	if (c->port)
		emit_kv_uint(e, "port", c->port);
	if (strcmp(c->path, base.check.path))
		emit_kv(e, "path", c->path);
	if (c->host[0])
		emit_kv(e, "host", c->host);
	if (c->body[0])
		emit_kv(e, "body", c->body);
	if (c->query[0])
		emit_kv(e, "query", c->query);
	if (c->send[0])
		emit_kv(e, "send", c->send);
	if (c->type == SHOAL_CHECK_UDP && c->expect_reply[0])
		emit_kv(e, "expect", c->expect_reply);
	if (c->nexpect) {
		emit_scalar(e, "expect");
		emit_begin(e, false);
		for (i = 0; i < c->nexpect; i++) {
			snprintf(buf, sizeof(buf), "%u-%u", c->expect[i].lo, c->expect[i].hi);
			emit_scalar(e, buf);
		}
		emit_end(e, false);
	}
	if (c->via == SHOAL_VIA_DIRECT)
		emit_kv(e, "via", "direct");
	emit_kv_ms(e, "interval", c->interval_ms);
	emit_kv_ms(e, "timeout", c->timeout_ms);
	emit_kv_uint(e, "rise", c->rise);
	emit_kv_uint(e, "fall", c->fall);
	emit_kv_pct(e, "jitter", c->jitter_pct);
	emit_kv(e, "on_down", h->reschedule ? "reschedule" : "keep_flows");
	emit_scalar(e, "passive");
	emit_begin(e, true);
	emit_kv(e, "enabled", h->passive.on ? "true" : "false");
	emit_kv_ms(e, "window", h->passive.window_ms);
	emit_kv_uint(e, "min_syns", h->passive.min_syns);
	emit_kv_pct(e, "ratio", h->passive.ratio_pct);
	emit_end(e, true);
	emit_end(e, true);
	emit_kv_ms(e, "slow_start", h->slow_start_ms);
	emit_kv_pct(e, "panic_threshold", h->panic_pct);
	emit_kv_uint(e, "min_healthy", h->min_healthy);
	if (h->agent.on) {
		emit_scalar(e, "agent_check");
		emit_begin(e, true);
		emit_kv_uint(e, "port", h->agent.port);
		emit_kv_ms(e, "interval", h->agent.interval_ms);
		emit_kv_ms(e, "timeout", h->agent.timeout_ms);
		emit_end(e, true);
	}
}

static void emit_attrs(struct emit *e, const struct shoal_route_attrs *r)
{
	char buf[40];
	__u32 i;

	if (r->ncomms) {
		emit_scalar(e, "communities");
		emit_begin(e, false);
		for (i = 0; i < r->ncomms; i++) {
			snprintf(buf, sizeof(buf), "%u:%u", r->comms[i] >> 16,
				 r->comms[i] & 0xffff);
			emit_scalar(e, buf);
		}
		emit_end(e, false);
	}
	if (r->nlarge) {
		emit_scalar(e, "large_communities");
		emit_begin(e, false);
		for (i = 0; i < r->nlarge; i++) {
			snprintf(buf, sizeof(buf), "%u:%u:%u", r->large[i][0], r->large[i][1],
				 r->large[i][2]);
			emit_scalar(e, buf);
		}
		emit_end(e, false);
	}
	if (r->have_med)
		emit_kv_uint(e, "med", r->med);
}

/* The bgp block (or the announce block) as the file had it, defaults spelled out. */
static void emit_anycast(struct emit *e, const struct shoal_anycast_conf *a)
{
	char buf[SHOAL_ADDR_STRLEN];
	__u32 i;

	if (a->mode == SHOAL_ANNOUNCE_KERNEL) {
		emit_scalar(e, "announce");
		emit_begin(e, true);
		emit_kv(e, "mode", "kernel");
		emit_kv_uint(e, "table", a->table);
		emit_kv_uint(e, "protocol", a->protocol);
		emit_kv_ms(e, "shutdown_grace", a->shutdown_grace_ms);
		emit_kv(e, "prefix_servable", a->servable_all ? "all" : "any");
		emit_end(e, true);
		return;
	}
	if (a->mode != SHOAL_ANNOUNCE_BGP)
		return;
	emit_scalar(e, "bgp");
	emit_begin(e, true);
	emit_kv_uint(e, "local_as", a->local_as);
	emit_kv(e, "router_id", bgp_id_format(a->router_id, buf));
	emit_kv_ms(e, "hold_time", a->hold_s * 1000);
	emit_kv_ms(e, "connect_retry", a->connect_retry_s * 1000);
	emit_kv(e, "graceful_restart", a->gr ? "true" : "false");
	emit_kv_ms(e, "restart_time", a->gr_time_s * 1000);
	emit_kv_ms(e, "shutdown_grace", a->shutdown_grace_ms);
	emit_kv(e, "listen", a->listen ? "true" : "false");
	emit_kv_uint(e, "listen_port", a->listen_port);
	if (a->have_nh4)
		emit_kv_addr(e, "next_hop_v4", &a->nh4);
	if (a->have_nh6)
		emit_kv_addr(e, "next_hop_v6", &a->nh6);
	emit_kv(e, "prefix_servable", a->servable_all ? "all" : "any");
	emit_attrs(e, &a->attrs);
	emit_scalar(e, "bfd");
	emit_begin(e, true);
	emit_kv_ms(e, "interval", a->bfd.interval_ms);
	emit_kv_uint(e, "multiplier", a->bfd.multiplier);
	emit_end(e, true);
	emit_scalar(e, "peers");
	emit_begin(e, false);
	for (i = 0; i < a->npeers; i++) {
		const struct shoal_bgp_peer_conf *p = &a->peers[i];

		emit_begin(e, true);
		emit_kv_addr(e, "address", &p->addr);
		emit_kv_uint(e, "peer_as", p->peer_as);
		if (p->local_as)
			emit_kv_uint(e, "local_as", p->local_as);
		if (p->have_source)
			emit_kv_addr(e, "source", &p->source);
		emit_kv_uint(e, "port", p->port);
		if (p->password[0])
			emit_kv(e, "password", p->password);
		emit_kv(e, "passive", p->passive ? "true" : "false");
		emit_kv_uint(e, "multihop", p->ttl);
		if (p->hold_s)
			emit_kv_ms(e, "hold_time", p->hold_s * 1000);
		emit_kv(e, "bfd", p->bfd ? "true" : "false");
		emit_end(e, true);
	}
	emit_end(e, false);
	emit_end(e, true);
}

static void emit_discovery(struct emit *e, const struct shoal_discovery_conf *d)
{
	size_t i;

	if (!d->on)
		return;
	emit_scalar(e, "discovery");
	emit_begin(e, true);
	emit_kv(e, "type", "etcd");
	emit_scalar(e, "endpoints");
	emit_begin(e, false);
	for (i = 0; i < d->nendpoints; i++)
		emit_scalar(e, d->endpoints[i].url);
	emit_end(e, false);
	emit_kv(e, "prefix", d->prefix);
	emit_kv_ms(e, "dial_timeout", d->dial_timeout_ms);
	if (d->username[0]) {
		emit_kv(e, "username", d->username);
		emit_kv(e, "password_file", d->password_file);
	}
	if (d->tls_files.ca[0] || d->tls_files.cert[0] || d->tls_files.server_name[0]) {
		emit_scalar(e, "tls");
		emit_begin(e, true);
		if (d->tls_files.ca[0])
			emit_kv(e, "ca", d->tls_files.ca);
		if (d->tls_files.cert[0]) {
			emit_kv(e, "cert", d->tls_files.cert);
			emit_kv(e, "key", d->tls_files.key);
		}
		if (d->tls_files.server_name[0])
			emit_kv(e, "server_name", d->tls_files.server_name);
		emit_end(e, true);
	}
	emit_end(e, true);
}

static void emit_service(struct emit *e, const struct shoal_vip_state *v)
{
	size_t j;

	emit_begin(e, true);
	if (v->name[0])
		emit_kv(e, "name", v->name);
	emit_kv_addr(e, "vip", &v->key.addr);
	emit_kv_uint(e, "port", ntohs(v->key.port));
	emit_kv(e, "protocol", v->key.proto == IPPROTO_UDP ? "udp" : "tcp");
	emit_kv(e, "scheduler", shoal_vip_sched_name(v));
	emit_kv_uint(e, "table_size", v->table_size);
	emit_kv(e, "flow_table", v->flow_table ? "true" : "false");
	emit_health(e, v);
	if (v->have_attrs) {
		emit_scalar(e, "bgp");
		emit_begin(e, true);
		emit_attrs(e, &v->attrs);
		emit_end(e, true);
	}
	emit_scalar(e, "backends");
	emit_begin(e, false);
	for (j = 0; j < v->nbe; j++) {
		const struct shoal_be_state *b = &v->be[j];

		if (b->discovered)
			continue;
		emit_begin(e, true);
		emit_kv_addr(e, "address", &b->addr);
		emit_kv_uint(e, "weight", b->weight);
		if (b->encap_conf != SHOAL_ENCAP_DEFAULT)
			emit_kv(e, "encap", shoal_encap_name(b->encap_conf));
		if (b->admin == SHOAL_ADMIN_DRAINING)
			emit_kv(e, "drain", "true");
		emit_end(e, true);
	}
	emit_end(e, false);
	emit_end(e, true);
}

int shoal_state_format_yaml(const struct shoal_state *s, char **ret)
{
	struct emit e = { 0 };
	char *buf = NULL;
	size_t len, i;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs("# written by lbctl save\n", f);
	if (!yaml_emitter_initialize(&e.em)) {
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	yaml_emitter_set_output(&e.em, emit_write, f);
	yaml_emitter_set_unicode(&e.em, 1);
	if (yaml_stream_start_event_initialize(&e.ev, YAML_UTF8_ENCODING))
		emit_event(&e);
	if (yaml_document_start_event_initialize(&e.ev, NULL, NULL, NULL, 1))
		emit_event(&e);
	emit_begin(&e, true);
	emit_host(&e, &s->host);
	emit_anycast(&e, &s->anycast);
	emit_scalar(&e, "services");
	emit_begin(&e, false);
	for (i = 0; i < s->nvips; i++)
		if (!s->vips[i].discovered) /* etcd's are etcd's */
			emit_service(&e, &s->vips[i]);
	emit_end(&e, false);
	emit_discovery(&e, &s->discovery);
	emit_end(&e, true);
	if (yaml_document_end_event_initialize(&e.ev, 1))
		emit_event(&e);
	if (yaml_stream_end_event_initialize(&e.ev))
		emit_event(&e);
	yaml_emitter_delete(&e.em);
	if (fclose(f) || e.failed) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

const char *shoal_vip_sched_name(const struct shoal_vip_state *v)
{
	return v->least_loaded ? "least-loaded" : shoal_sched_name(v->scheduler);
}

void shoal_state_mark_saved(struct shoal_state *s)
{
	size_t i, j;

	for (i = 0; i < s->nvips; i++) {
		s->vips[i].runtime = false;
		for (j = 0; j < s->vips[i].nbe; j++)
			s->vips[i].be[j].runtime = false;
	}
}
