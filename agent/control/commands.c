// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket: lbctl's requests, one JSON line each, handled from a
 * command table. Every request that changes something edits the desired
 * state and applies it; a request that is wrong changes nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "configfile/configfile.h"
#include "control/internal.h"
#include "control/proto.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/parts.h"
#include "discovery/discovery.h"
#include "core/reconcile.h"
#include "dataplane/dataplane.h"
#include "model/addr.h"
#include "model/maglev.h"
#include "model/state.h"
#include "net/nexthop.h"

static char errbuf[32768]; /* a refused reload lists up to 101 lines */

const char *ctl_errf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return errbuf;
}

static const char *arg_str(json_t *args, const char *name)
{
	return json_string_value(json_object_get(args, name));
}

/* args.vip as a VIP of the state; NULL with *err set otherwise. */
static struct shoal_vip_state *arg_vip(struct ctl_conn *c, json_t *args, struct shoal_vip_key *key,
				       const char **err)
{
	const char *s = arg_str(args, "vip");
	struct shoal_vip_state *v;

	if (!s || shoal_vip_spec_parse(s, key, NULL)) {
		*err = ctl_errf("vip: '%s' is not ADDR:PORT/tcp|udp", s ? s : "");
		return NULL;
	}
	v = shoal_state_vip(c->p->state, key);
	if (!v)
		*err = ctl_errf("no VIP %s", s);
	return v;
}

static int arg_addr(json_t *args, struct shoal_addr *addr, int *family, const char **err)
{
	const char *s = arg_str(args, "address");

	if (!s || shoal_addr_parse(s, addr, family)) {
		*err = ctl_errf("address: '%s' is not an IPv4 or IPv6 address", s ? s : "");
		return -EINVAL;
	}
	return 0;
}

static const char *admin_name(enum shoal_admin ad)
{
	return ad == SHOAL_ADMIN_DRAINING ? "draining" : "active";
}

static json_t *backend_json(struct ctl_conn *c, const struct shoal_vip_state *v,
			    const struct shoal_be_state *b)
{
	struct shoal_backend_stats st = *shoal_dp_backend_sums(c->p->dp, b->id);
	char addr[SHOAL_ADDR_STRLEN];

	shoal_addr_format(&b->addr, addr, sizeof(addr));
	return json_pack(
		"{s:s, s:b, s:I, s:f, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:f, "
		"s:o}",
		"address", addr, "discovered", b->discovered, "weight", (json_int_t)b->weight,
		"effective_weight", (double)shoal_be_table_weight(b) / 1000.0, "encap",
		shoal_encap_name(b->encap), "admin", admin_name(b->admin), "health",
		b->health_desc[0] ? b->health_desc : "unchecked", "runtime", b->runtime, "packets",
		(json_int_t)st.packets, "bytes", (json_int_t)st.bytes, "new_flows",
		(json_int_t)st.new_flows, "syn_repeats", (json_int_t)st.syn_repeats, "flows",
		(json_int_t)shoal_dp_backend_flow_count(c->p->dp, b->id), "pps",
		shoal_dp_backend_pps(c->p->dp, b->id), "check", ctl_health_json(c, v, b));
}

static json_t *vip_json(struct ctl_conn *c, const struct shoal_vip_state *v, bool with_backends)
{
	struct shoal_vip_stats st = *shoal_dp_vip_sums(c->p->dp, v->id);
	char spec[128], fp[20];
	json_t *o, *bes;
	size_t i;

	shoal_vip_spec_format(&v->key, spec, sizeof(spec));
	snprintf(fp, sizeof(fp), "%016llx",
		 (unsigned long long)shoal_dp_fingerprint(c->p->dp, v->id));
	o = json_pack("{s:s, s:s, s:s, s:I, s:b, s:b, s:s, s:I, s:I, s:I, s:I, s:f}", "name",
		      v->name, "vip", spec, "scheduler", shoal_vip_sched_name(v), "table_size",
		      (json_int_t)v->table_size, "flow_table", v->flow_table, "runtime", v->runtime,
		      "fingerprint", fp, "packets", (json_int_t)st.packets, "bytes",
		      (json_int_t)st.bytes, "new_flows", (json_int_t)st.new_flows, "flows",
		      (json_int_t)shoal_dp_vip_flow_count(c->p->dp, v->id), "pps",
		      shoal_dp_vip_pps(c->p->dp, v->id));
	if (o)
		json_object_set_new(o, "discovered", json_boolean(v->discovered));
	if (!o)
		return o;
	json_object_set_new(o, "health", ctl_vip_health_json(c, v));
	if (!with_backends)
		return o;
	bes = json_array();
	for (i = 0; i < v->nbe; i++)
		json_array_append_new(bes, backend_json(c, v, &v->be[i]));
	json_object_set_new(o, "backends", bes);
	return o;
}

static json_t *loop_json(struct ctl_conn *c)
{
	const struct shoal_handler_stats *h = shoal_loop_slowest(c->p->loop);
	const struct shoal_loop_stats *st = shoal_loop_stats(c->p->loop);

	return json_pack("{s:s, s:f, s:I, s:f}", "slowest_handler", h ? h->name : "",
			 "slowest_handler_ms", h ? (double)h->max_ns / 1e6 : 0.0, "timers_fired",
			 (json_int_t)st->lag_count, "mean_lag_ms",
			 st->lag_count ? st->lag_sum * 1e3 / (double)st->lag_count : 0.0);
}

static json_t *discovery_json(const struct shoal_discovery *d)
{
	struct shoal_discovery_status st;

	shoal_discovery_status(d, &st);
	return json_pack("{s:s, s:s, s:s, s:b, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "source", "etcd", "endpoint", st.endpoint, "state", st.state, "connected",
			 st.connected, "revision", (json_int_t)st.revision, "last_error",
			 st.last_error, "services", (json_int_t)st.services, "backends",
			 (json_int_t)st.backends, "skipped_invalid", (json_int_t)st.skipped,
			 "conflicts", (json_int_t)st.conflicts, "orphans", (json_int_t)st.orphans,
			 "events", (json_int_t)st.events, "reconnects", (json_int_t)st.reconnects,
			 "resyncs", (json_int_t)st.resyncs);
}

static json_t *h_status(struct ctl_conn *c, json_t *args, const char **err)
{
	__u8 m[6] = { 0 };
	char mac[20];
	bool have_mac;
	json_t *head;

	(void)args;
	/* counts of the flow table at most a second old: a walk in slices first */
	if (!c->flows_fresh) {
		c->wait_flows = true;
		return json_null();
	}
	shoal_dp_stats_refresh(c->p->dp, c->p->state);
	have_mac = shoal_nexthop_mac(c->p->nexthop, m);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	head = json_pack("{s:s, s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:o}", "interface",
			 c->p->state->host.interface, "config", c->p->file->path,
			 "gateway_resolved", have_mac, "gateway_mac", mac, "flow_table_entries",
			 (json_int_t)shoal_dp_flow_count(c->p->dp), "flow_table_unconfirmed",
			 (json_int_t)shoal_dp_flow_unconfirmed(c->p->dp), "flow_table_capacity",
			 (json_int_t)shoal_dp_flow_capacity(c->p->dp), "map_write_errors",
			 (json_int_t)shoal_dp_write_errors(c->p->dp), "loop", loop_json(c));
	if (head && c->p->discovery)
		json_object_set_new(head, "discovery", discovery_json(c->p->discovery));
	if (!head || ctl_stream_vips(c, head, "vips", true)) {
		*err = "out of memory";
		return NULL;
	}
	return json_null();
}

json_t *ctl_stream_item(struct ctl_conn *c, size_t i)
{
	return vip_json(c, &c->stream->snap->vips[i], c->stream->with_backends);
}

static json_t *h_vip_list(struct ctl_conn *c, json_t *args, const char **err)
{
	json_t *vips = json_array();
	size_t i;

	(void)args;
	(void)err;
	shoal_dp_stats_refresh(c->p->dp, c->p->state);
	for (i = 0; i < c->p->state->nvips; i++)
		json_array_append_new(vips, vip_json(c, &c->p->state->vips[i], false));
	return vips;
}

static json_t *h_vip_add(struct ctl_conn *c, json_t *args, const char **err)
{
	struct shoal_vip_state t = { .scheduler = SHOAL_SCHED_MAGLEV,
				     .table_size = SHOAL_DEFAULT_TABLE_SIZE,
				     .flow_table = true };
	const char *s = arg_str(args, "vip"), *sched = arg_str(args, "scheduler");
	json_t *ts = json_object_get(args, "table_size"), *ft = json_object_get(args, "flow_table");
	char why[128];
	int ret;

	if (!s || shoal_vip_spec_parse(s, &t.key, &t.family)) {
		*err = ctl_errf("vip: '%s' is not ADDR:PORT/tcp|udp", s ? s : "");
		return NULL;
	}
	if (sched && shoal_sched_parse(sched, &t.scheduler)) {
		*err = ctl_errf("scheduler: '%s' is not maglev, maglev-src, rr or random", sched);
		return NULL;
	}
	if (ts) {
		json_int_t n = json_integer_value(ts);

		if (!json_is_integer(ts) || n < 2 || n > SHOAL_MAX_TABLE_SIZE ||
		    !maglev_is_prime((__u32)n)) {
			*err = ctl_errf("table_size must be a prime from 2 to %d",
					SHOAL_MAX_TABLE_SIZE);
			return NULL;
		}
		t.table_size = (__u32)n;
	}
	if (ft)
		t.flow_table = json_is_true(ft);
	if (!t.flow_table && (t.scheduler == SHOAL_SCHED_RR || t.scheduler == SHOAL_SCHED_RANDOM)) {
		*err = ctl_errf("scheduler %s needs the flow table", shoal_sched_name(t.scheduler));
		return NULL;
	}
	if (arg_str(args, "name") && !shoal_name_valid(arg_str(args, "name"))) {
		*err = ctl_errf("name: '%.80s' is not %s", arg_str(args, "name"), SHOAL_NAME_RULE);
		return NULL;
	}
	if (shoal_vip_addr_refused(&c->p->state->host, &t.key.addr, why, sizeof(why))) {
		*err = ctl_errf("vip: %s", why);
		return NULL;
	}
	snprintf(t.name, sizeof(t.name), "%s", arg_str(args, "name") ? arg_str(args, "name") : "");
	ret = shoal_state_vip_add(c->p->state, &t);
	if (ret) {
		*err = ret == -EEXIST ? ctl_errf("VIP %s exists", s)
				      : ctl_errf("cannot add: %s", strerror(-ret));
		return NULL;
	}
	c->wait_apply = true;
	log_info("vip %s added by %s", s, ctl_who(c));
	return json_null();
}

static json_t *h_vip_del(struct ctl_conn *c, json_t *args, const char **err)
{
	struct shoal_vip_key k;

	if (!arg_vip(c, args, &k, err))
		return NULL;
	shoal_state_vip_del(c->p->state, &k);
	c->wait_apply = true;
	log_info("vip %s removed by %s", arg_str(args, "vip"), ctl_who(c));
	return json_null();
}

static json_t *h_backend_add(struct ctl_conn *c, json_t *args, const char **err)
{
	json_t *w = json_object_get(args, "weight");
	const char *enc = arg_str(args, "encap");
	__u8 encap = SHOAL_ENCAP_DEFAULT;
	struct shoal_vip_key k;
	struct shoal_addr addr;
	__u32 weight = 1;
	int family, ret;

	struct shoal_vip_state *v = arg_vip(c, args, &k, err);
	char why[128];

	if (!v || arg_addr(args, &addr, &family, err))
		return NULL;
	if (shoal_backend_addr_refused(&c->p->state->host, &k.addr, &addr, why, sizeof(why))) {
		*err = ctl_errf("address: %s", why);
		return NULL;
	}
	if (v->nbe + 1 > v->table_size) {
		*err = ctl_errf("VIP %s has a table of %u slots: no room for another backend",
				arg_str(args, "vip"), v->table_size);
		return NULL;
	}
	if (w) {
		if (!json_is_integer(w) || json_integer_value(w) < 0 ||
		    json_integer_value(w) > 1000000) {
			*err = ctl_errf("weight must be a whole number from 0 to 1000000");
			return NULL;
		}
		weight = (__u32)json_integer_value(w);
	}
	if (enc && shoal_encap_parse(enc, &encap)) {
		*err = ctl_errf("encap: '%s' is not gue or ipip", enc);
		return NULL;
	}
	ret = shoal_state_backend_add(c->p->state, &k, &addr, family, weight, encap);
	if (ret == -EEXIST)
		*err = ctl_errf("backend %s exists in %s", arg_str(args, "address"),
				arg_str(args, "vip"));
	else if (ret == -EAFNOSUPPORT)
		*err = ctl_errf("no host source address of that family for the tunnel");
	else if (ret)
		*err = ctl_errf("cannot add: %s", strerror(-ret));
	if (ret)
		return NULL;
	c->wait_apply = true;
	return json_null();
}

typedef int (*be_edit_fn)(struct ctl_conn *c, const struct shoal_vip_key *k,
			  const struct shoal_addr *addr, json_t *args, const char **err);

static json_t *backend_edit(struct ctl_conn *c, json_t *args, const char **err, be_edit_fn fn,
			    const char *what)
{
	struct shoal_vip_key k;
	struct shoal_vip_state *v;
	struct shoal_addr addr;
	int family;

	v = arg_vip(c, args, &k, err);
	if (!v || arg_addr(args, &addr, &family, err))
		return NULL;
	if (!shoal_state_backend(v, &addr)) {
		*err = ctl_errf("no backend %s in %s", arg_str(args, "address"),
				arg_str(args, "vip"));
		return NULL;
	}
	if (fn(c, &k, &addr, args, err))
		return NULL;
	c->wait_apply = true;
	log_info("%s: backend %s of %s, by %s", what, arg_str(args, "address"),
		 arg_str(args, "vip"), ctl_who(c));
	return json_null();
}

static int do_del(struct ctl_conn *c, const struct shoal_vip_key *k, const struct shoal_addr *addr,
		  json_t *args, const char **err)
{
	(void)args;
	(void)err;
	return shoal_state_backend_del(c->p->state, k, addr);
}

static int do_weight(struct ctl_conn *c, const struct shoal_vip_key *k,
		     const struct shoal_addr *addr, json_t *args, const char **err)
{
	json_t *w = json_object_get(args, "weight");

	if (!json_is_integer(w) || json_integer_value(w) < 0 || json_integer_value(w) > 1000000) {
		*err = ctl_errf("weight must be a whole number from 0 to 1000000");
		return -EINVAL;
	}
	return shoal_state_backend_weight(c->p->state, k, addr, (__u32)json_integer_value(w));
}

static int do_drain(struct ctl_conn *c, const struct shoal_vip_key *k,
		    const struct shoal_addr *addr, json_t *args, const char **err)
{
	(void)args;
	(void)err;
	return shoal_state_backend_admin(c->p->state, k, addr, SHOAL_ADMIN_DRAINING);
}

static int do_undrain(struct ctl_conn *c, const struct shoal_vip_key *k,
		      const struct shoal_addr *addr, json_t *args, const char **err)
{
	(void)args;
	(void)err;
	return shoal_state_backend_admin(c->p->state, k, addr, SHOAL_ADMIN_ACTIVE);
}

static json_t *h_backend_del(struct ctl_conn *c, json_t *args, const char **err)
{
	return backend_edit(c, args, err, do_del, "del");
}

static json_t *h_backend_weight(struct ctl_conn *c, json_t *args, const char **err)
{
	return backend_edit(c, args, err, do_weight, "weight");
}

static json_t *h_backend_drain(struct ctl_conn *c, json_t *args, const char **err)
{
	return backend_edit(c, args, err, do_drain, "drain");
}

static json_t *h_backend_undrain(struct ctl_conn *c, json_t *args, const char **err)
{
	return backend_edit(c, args, err, do_undrain, "undrain");
}

static json_t *h_stats(struct ctl_conn *c, json_t *args, const char **err)
{
	json_t *global = json_object(), *drops = json_object(), *head;
	__u64 v;
	size_t i;
	int r;

	(void)args;
	shoal_dp_stats_refresh(c->p->dp, c->p->state);
	for (i = 0; i < SHOAL_CNT_NAMED; i++)
		if (!shoal_dp_counter(c->p->dp, (__u32)i, &v))
			json_object_set_new(global, shoal_counter_name((__u32)i),
					    json_integer((json_int_t)v));
	for (r = 1; r <= SHOAL_DROP_MAX_REASON; r++)
		if (!shoal_dp_counter(c->p->dp, SHOAL_CNT_DROP(-r), &v))
			json_object_set_new(drops, shoal_drop_name(r), json_integer((json_int_t)v));
	head = json_pack("{s:o, s:o}", "global", global, "drops", drops);
	if (!head || ctl_stream_vips(c, head, "vips", true)) {
		*err = "out of memory";
		return NULL;
	}
	return json_null();
}

/* Every VIP with its backends' checks (lbctl health; the client picks a VIP). */
static json_t *h_stats_health(struct ctl_conn *c, json_t *args, const char **err)
{
	json_t *head = json_object();

	(void)args;
	shoal_dp_stats_refresh(c->p->dp, c->p->state);
	if (!head || ctl_stream_vips(c, head, "vips", true)) {
		json_decref(head);
		*err = "out of memory";
		return NULL;
	}
	return json_null();
}

static void reload_done(void *arg, int ret, const struct shoal_errors *errs)
{
	struct ctl_conn *c = arg;
	size_t i, off = 0;

	if (!ret) {
		log_info("reloaded %s: %zu VIPs, by %s", c->p->file->path, c->p->state->nvips,
			 ctl_who(c));
		shoal_configfile_log_warnings(c->p->file);
		/* a next hop followed while a static gateway_mac was set may be stale */
		shoal_nexthop_refresh(c->p->nexthop);
		shoal_discovery_reapply(c->p->discovery);
		ctl_reply_after_apply(c, json_null());
		return;
	}
	log_err("reload by %s refused, nothing changed:", ctl_who(c));
	errbuf[0] = '\0';
	for (i = 0; i < errs->n; i++) {
		log_err("  %s", errs->msg[i]);
		if (off < sizeof(errbuf) - 1)
			off += (size_t)snprintf(errbuf + off, sizeof(errbuf) - off, "%s%s",
						i ? "\n" : "", errs->msg[i]);
	}
	if (!errs->n)
		snprintf(errbuf, sizeof(errbuf), "reload failed: %s", strerror(-ret));
	ctl_reply(c, NULL, errbuf);
}

/* The file is read and parsed off the loop; the reply comes once the change is applied. */
static json_t *h_reload(struct ctl_conn *c, json_t *args, const char **err)
{
	int ret;

	(void)args;
	ret = shoal_configfile_reload_start(c->p->file, c->p->state, reload_done, c);
	if (ret) {
		*err = ret == -EBUSY ? "a reload is under way: try again" : "cannot start a reload";
		return NULL;
	}
	c->deferred = true;
	return json_null();
}

/*
 * Writes the state over the config file: into a temporary file next to it,
 * checked by parsing it back, the old file kept as FILE.bak, then renamed
 * into place so readers see the old or the new file, never half of one.
 */
static json_t *h_save(struct ctl_conn *c, json_t *args, const char **err)
{
	char bak[SHOAL_PATH_MAX + 8];

	if (shoal_configfile_save(c->p->file, c->p->state,
				  json_is_true(json_object_get(args, "force")), errbuf,
				  sizeof(errbuf))) {
		*err = errbuf;
		return NULL;
	}
	snprintf(bak, sizeof(bak), "%s.bak", c->p->file->path);
	log_info("saved the running state to %s (old file: %s), by %s", c->p->file->path, bak,
		 ctl_who(c));
	return json_pack("{s:s, s:s}", "file", c->p->file->path, "backup", bak);
}

/* Whether a service takes k (its address, protocol, and port or all ports). */
static bool lookup_has_service(struct ctl_conn *c, const struct shoal_flow_key *k)
{
	const struct shoal_state *s = c->p->state;
	size_t i;

	for (i = 0; i < s->nvips; i++) {
		const struct shoal_vip_key *v = &s->vips[i].key;

		if (!memcmp(&v->addr, &k->dst, sizeof(v->addr)) && v->proto == k->proto &&
		    (!v->port || v->port == k->dport))
			return true;
	}
	return false;
}

static json_t *h_lookup(struct ctl_conn *c, json_t *args, const char **err)
{
	static const char *const verdicts[] = { "forward", "pass", "drop" };
	const char *src = arg_str(args, "src"), *dst = arg_str(args, "dst");
	const char *proto = arg_str(args, "proto");
	struct shoal_flow_key k = { 0 };
	struct shoal_lookup r;
	int sfam = 0, dfam = 0, ret;
	char be[SHOAL_ADDR_STRLEN] = "";
	__u16 sport, dport;

	if (!src || shoal_endpoint_parse(src, &k.src, &sport, &sfam)) {
		*err = ctl_errf("source: '%s' is not ADDR[:PORT]", src ? src : "");
		return NULL;
	}
	if (!dst || shoal_endpoint_parse(dst, &k.dst, &dport, &dfam) || !dport) {
		*err = ctl_errf("destination: '%s' is not ADDR:PORT", dst ? dst : "");
		return NULL;
	}
	if (sfam != dfam) {
		*err = ctl_errf("source and destination are of different families");
		return NULL;
	}
	if (!proto || !strcmp(proto, "tcp")) {
		k.proto = IPPROTO_TCP;
	} else if (!strcmp(proto, "udp")) {
		k.proto = IPPROTO_UDP;
	} else {
		*err = ctl_errf("protocol: '%s' is not tcp or udp", proto);
		return NULL;
	}
	k.sport = htons(sport);
	k.dport = htons(dport);
	ret = shoal_dp_lookup(c->p->dp, &k, &r);
	if (ret) {
		*err = ctl_errf("lookup failed: %s", strerror(-ret));
		return NULL;
	}
	if (r.verdict == SHOAL_LOOKUP_FORWARD)
		shoal_addr_format(&r.backend, be, sizeof(be));
	return json_pack("{s:s, s:s, s:b, s:b}", "verdict", verdicts[r.verdict], "backend", be,
			 "in_flow_table", r.in_flow_table, "service", lookup_has_service(c, &k));
}

static json_t *h_version(struct ctl_conn *c, json_t *args, const char **err)
{
	(void)c;
	(void)args;
	(void)err;
	return json_pack("{s:s, s:i, s:i}", "version", SHOAL_VERSION, "abi", SHOAL_ABI_VERSION,
			 "protocol", SHOAL_CTL_VERSION);
}

static const struct {
	const char *name;
	ctl_handler_fn fn;
	const char *handler; /* its name among the loop's handlers */
} commands[] = {
	{ "status", h_status, "control status" },
	{ "vip.list", h_vip_list, "control vip.list" },
	{ "vip.add", h_vip_add, "control vip.add" },
	{ "vip.del", h_vip_del, "control vip.del" },
	{ "backend.add", h_backend_add, "control backend.add" },
	{ "backend.del", h_backend_del, "control backend.del" },
	{ "backend.weight", h_backend_weight, "control backend.weight" },
	{ "backend.drain", h_backend_drain, "control backend.drain" },
	{ "backend.undrain", h_backend_undrain, "control backend.undrain" },
	{ "stats", h_stats, "control stats" },
	{ "health", h_stats_health, "control health" },
	{ "bgp", ctl_bgp, "control bgp" },
	{ "vip.withdraw", ctl_vip_withdraw, "control vip.withdraw" },
	{ "vip.announce", ctl_vip_announce, "control vip.announce" },
	{ "reload", h_reload, "control reload" },
	{ "lookup", h_lookup, "control lookup" },
	{ "save", h_save, "control save" },
	{ "version", h_version, "control version" },
	{ "flows", ctl_flows, "control flows" },
};

ctl_handler_fn ctl_command(const char *name, const char **ret_name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name)) {
			if (ret_name)
				*ret_name = commands[i].handler;
			return commands[i].fn;
		}
	return NULL;
}
