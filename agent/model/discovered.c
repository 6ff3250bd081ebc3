// SPDX-License-Identifier: GPL-2.0-only
/* See discovered.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "model/addr.h"
#include "model/discovered.h"

static void entry_free(struct shoal_disc_entry *e)
{
	free(e->key);
	free(e->svc.backends);
}

void shoal_discovered_free(struct shoal_discovered *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		entry_free(&d->e[i]);
	free(d->e);
	memset(d, 0, sizeof(*d));
}

static void refuse(struct shoal_discovered *d, shoal_disc_report_fn report, void *arg,
		   const char *key, const char *why)
{
	d->skipped++;
	if (report)
		report(arg, key, why);
}

int shoal_discovered_build(const struct shoal_config *base, const char *prefix,
			   const struct shoal_etcd_kv *kvs, size_t n, struct shoal_discovered *d,
			   shoal_disc_report_fn report, void *arg)
{
	size_t i, j;

	memset(d, 0, sizeof(*d));
	d->e = calloc(n ? n : 1, sizeof(*d->e));
	if (!d->e)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct shoal_disc_entry *e = &d->e[d->n];
		char why[256], buf[INET6_ADDRSTRLEN];

		memset(e, 0, sizeof(*e));
		if (!kvs[i].value)
			continue;
		if (shoal_etcd_key_parse(prefix, kvs[i].key, &e->k, why, sizeof(why))) {
			refuse(d, report, arg, kvs[i].key, why);
			continue;
		}
		if (e->k.kind == SHOAL_ETCD_KEY_SERVICE) {
			struct shoal_errors errs = { 0 };

			if (shoal_service_parse_value(base, kvs[i].key, kvs[i].value,
						      kvs[i].value_len, &e->k.vip, &e->svc,
						      &errs)) {
				refuse(d, report, arg, kvs[i].key,
				       errs.n ? errs.msg[0] : "not a valid service");
				shoal_errors_free(&errs);
				continue;
			}
		} else {
			const char *r;

			if (shoal_etcd_backend_value_parse(kvs[i].value, kvs[i].value_len, &e->k,
							   &e->be, why, sizeof(why))) {
				refuse(d, report, arg, kvs[i].key, why);
				continue;
			}
			r = shoal_backend_addr_refused(&base->host, &e->k.vip.addr, &e->be.addr,
						       why, sizeof(why));
			if (!r && ((e->be.family == AF_INET && !base->host.have_src_v4) ||
				   (e->be.family == AF_INET6 && !base->host.have_src_v6))) {
				snprintf(why, sizeof(why),
					 "an IPv%c backend needs host.source_v%c for the tunnel",
					 e->be.family == AF_INET ? '4' : '6',
					 e->be.family == AF_INET ? '4' : '6');
				r = why;
			}
			if (r) {
				char msg[300];

				snprintf(msg, sizeof(msg), "backend %s: %s",
					 shoal_addr_format(&e->be.addr, buf, sizeof(buf)), r);
				refuse(d, report, arg, kvs[i].key, msg);
				continue;
			}
		}
		/* etcd keys are unique; a service's name must be too */
		for (j = 0; e->k.kind == SHOAL_ETCD_KEY_SERVICE && e->svc.name[0] && j < d->n; j++)
			if (d->e[j].k.kind == SHOAL_ETCD_KEY_SERVICE &&
			    !strcmp(d->e[j].svc.name, e->svc.name))
				break;
		if (e->k.kind == SHOAL_ETCD_KEY_SERVICE && e->svc.name[0] && j < d->n) {
			refuse(d, report, arg, kvs[i].key, "its name is another service's");
			free(e->svc.backends);
			continue;
		}
		e->key = strdup(kvs[i].key);
		if (!e->key) {
			free(e->svc.backends);
			shoal_discovered_free(d);
			return -ENOMEM;
		}
		d->n++;
	}
	return 0;
}

/* The backends d wants for VIP v: etcd's backend keys of it, and its etcd service's list. */
struct want {
	const struct shoal_backend_conf *be;
	const char *key;
};

static size_t wanted(const struct shoal_discovered *d, const struct shoal_vip_key *vip,
		     struct want *out, size_t cap)
{
	size_t i, j, n = 0;

	for (i = 0; i < d->n; i++) {
		const struct shoal_disc_entry *e = &d->e[i];

		if (memcmp(&e->k.vip, vip, sizeof(*vip)))
			continue;
		if (e->k.kind == SHOAL_ETCD_KEY_BACKEND && n < cap)
			out[n++] = (struct want){ &e->be, e->key };
		for (j = 0; e->k.kind == SHOAL_ETCD_KEY_SERVICE && j < e->svc.nbackends; j++)
			if (n < cap)
				out[n++] = (struct want){ &e->svc.backends[j], e->key };
	}
	return n;
}

static bool vip_differs(const struct shoal_vip_state *v, const struct shoal_service_conf *sc)
{
	struct shoal_vip_state t = *v;

	shoal_vip_state_from_service(&t, sc);
	return memcmp(&t, v, sizeof(t)) != 0;
}

/* The services: etcd's that the state has not from elsewhere, added or updated; gone ones removed. */
static int merge_services(struct shoal_state *s, const struct shoal_discovered *d,
			  struct shoal_merge_result *r, shoal_disc_report_fn report, void *arg)
{
	size_t i, j;
	int err;

	for (i = 0; i < s->nvips;) {
		struct shoal_vip_state *v = &s->vips[i];

		for (j = 0; j < d->n; j++)
			if (d->e[j].k.kind == SHOAL_ETCD_KEY_SERVICE &&
			    !memcmp(&d->e[j].k.vip, &v->key, sizeof(v->key)))
				break;
		if (!v->discovered || j < d->n) {
			i++;
			continue;
		}
		err = shoal_state_vip_del(s, &v->key);
		if (err)
			return err;
		r->changed++;
	}
	for (j = 0; j < d->n; j++) {
		const struct shoal_disc_entry *e = &d->e[j];
		struct shoal_vip_state *v, tmpl;

		if (e->k.kind != SHOAL_ETCD_KEY_SERVICE)
			continue;
		v = shoal_state_vip(s, &e->k.vip);
		if (v && !v->discovered) {
			r->conflicts++;
			if (report)
				report(arg, e->key,
				       "the config file (or lbctl) has this service: "
				       "theirs is kept");
			continue;
		}
		for (i = 0; !v && e->svc.name[0] && i < s->nvips; i++)
			if (!strcmp(s->vips[i].name, e->svc.name))
				break;
		if (!v && e->svc.name[0] && i < s->nvips) {
			r->conflicts++;
			if (report)
				report(arg, e->key, "another service has its name: skipped");
			continue;
		}
		if (!v) {
			memset(&tmpl, 0, sizeof(tmpl));
			tmpl.key = e->k.vip;
			shoal_vip_state_from_service(&tmpl, &e->svc);
			err = shoal_state_vip_add(s, &tmpl);
			if (err)
				return err;
			v = shoal_state_vip(s, &e->k.vip);
			v->runtime = false;
			v->discovered = true;
			v->health = e->svc.health; /* vip_add gives the defaults */
			r->changed++;
		} else if (vip_differs(v, &e->svc)) {
			shoal_vip_state_from_service(v, &e->svc);
			r->changed++;
		}
		r->services++;
	}
	return 0;
}

static int merge_backends(struct shoal_state *s, const struct shoal_discovered *d,
			  struct shoal_merge_result *r, shoal_disc_report_fn report, void *arg)
{
	size_t i, j, k, nw, cap = d->n + 1;
	struct want *w;
	int err = 0;

	for (i = 0; i < d->n; i++)
		cap += d->e[i].svc.nbackends;
	w = calloc(cap, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (i = 0; i < s->nvips; i++) {
		struct shoal_vip_state *v = &s->vips[i];

		nw = wanted(d, &v->key, w, cap);
		/* gone from etcd: out */
		for (j = 0; j < v->nbe;) {
			for (k = 0; k < nw; k++)
				if (!memcmp(&w[k].be->addr, &v->be[j].addr, sizeof(v->be[j].addr)))
					break;
			if (!v->be[j].discovered || k < nw) {
				j++;
				continue;
			}
			err = shoal_state_backend_del(s, &v->key, &v->be[j].addr);
			if (err)
				goto out;
			r->changed++;
		}
		for (k = 0; k < nw; k++) {
			const struct shoal_backend_conf *bc = w[k].be;
			struct shoal_be_state *b = shoal_state_backend(v, &bc->addr);
			enum shoal_admin admin =
				bc->drain ? SHOAL_ADMIN_DRAINING : SHOAL_ADMIN_ACTIVE;
			__u8 encap = bc->encap == SHOAL_ENCAP_DEFAULT ? s->host.encap : bc->encap;

			if (b && !b->discovered) {
				r->conflicts++;
				if (report)
					report(arg, w[k].key,
					       "the config file (or lbctl) has this backend: "
					       "theirs "
					       "is kept");
				continue;
			}
			if (!b) {
				if (v->nbe + 1 >= SHOAL_MAX_BACKENDS)
					continue;
				err = shoal_state_backend_add(s, &v->key, &bc->addr, bc->family,
							      bc->weight, bc->encap);
				if (err)
					goto out;
				b = shoal_state_backend(v, &bc->addr);
				b->runtime = false;
				b->discovered = true;
				b->admin = admin;
				r->changed++;
			} else if (b->weight != bc->weight || b->admin != admin ||
				   b->encap_conf != bc->encap) {
				b->weight = bc->weight;
				b->admin = admin;
				b->encap_conf = bc->encap;
				b->encap = encap;
				r->changed++;
			}
			r->backends++;
		}
	}
	/* backends of a service that neither the file nor etcd defines */
	for (i = 0; i < d->n; i++)
		if (d->e[i].k.kind == SHOAL_ETCD_KEY_BACKEND &&
		    !shoal_state_vip(s, &d->e[i].k.vip)) {
			r->orphans++;
			if (report)
				report(arg, d->e[i].key, "no such service (yet): waiting for it");
		}
out:
	free(w);
	return err;
}

int shoal_discovered_merge(struct shoal_state *s, const struct shoal_discovered *d,
			   struct shoal_merge_result *r, shoal_disc_report_fn report, void *arg)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = merge_services(s, d, r, report, arg);
	if (!err)
		err = merge_backends(s, d, r, report, arg);
	return err;
}
