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
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "addr.h"
#include "agent.h"
#include "ctl_proto.h"
#include "log.h"
#include "maglev.h"

static char errbuf[1024];

static const char *errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *errf(const char *fmt, ...)
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
static struct shoal_vip_state *arg_vip(struct agent *a, json_t *args, struct shoal_vip_key *key,
				       const char **err)
{
	const char *s = arg_str(args, "vip");
	struct shoal_vip_state *v;

	if (!s || shoal_vip_spec_parse(s, key, NULL)) {
		*err = errf("vip: '%s' is not ADDR:PORT/tcp|udp", s ? s : "");
		return NULL;
	}
	v = shoal_state_vip(a->state, key);
	if (!v)
		*err = errf("no VIP %s", s);
	return v;
}

static int arg_addr(json_t *args, struct shoal_addr *addr, int *family, const char **err)
{
	const char *s = arg_str(args, "address");

	if (!s || shoal_addr_parse(s, addr, family)) {
		*err = errf("address: '%s' is not an IPv4 or IPv6 address", s ? s : "");
		return -EINVAL;
	}
	return 0;
}

static const char *admin_name(enum shoal_admin ad)
{
	return ad == SHOAL_ADMIN_DRAINING ? "draining" : "active";
}

static json_t *backend_json(struct agent *a, const struct shoal_be_state *b)
{
	struct shoal_backend_stats st = { 0 };
	char addr[SHOAL_ADDR_STRLEN];

	shoal_dp_backend_stats(a->dp, b->id, &st);
	shoal_addr_format(&b->addr, addr, sizeof(addr));
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:f}", "address", addr,
			 "weight", (json_int_t)b->weight, "encap", shoal_encap_name(b->encap),
			 "admin", admin_name(b->admin), "health", "unchecked", "runtime",
			 b->runtime, "packets", (json_int_t)st.packets, "bytes",
			 (json_int_t)st.bytes, "new_flows", (json_int_t)st.new_flows, "syn_repeats",
			 (json_int_t)st.syn_repeats, "pps", a->be_rates[b->id].pps);
}

static json_t *vip_json(struct agent *a, const struct shoal_vip_state *v, bool with_backends)
{
	struct shoal_vip_stats st = { 0 };
	char spec[128], fp[20];
	json_t *o, *bes;
	size_t i;

	shoal_dp_vip_stats(a->dp, v->id, &st);
	shoal_vip_spec_format(&v->key, spec, sizeof(spec));
	snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)shoal_dp_fingerprint(a->dp, v->id));
	o = json_pack("{s:s, s:s, s:s, s:I, s:b, s:b, s:s, s:I, s:I, s:I, s:I, s:f}", "name",
		      v->name, "vip", spec, "scheduler", shoal_sched_name(v->scheduler),
		      "table_size", (json_int_t)v->table_size, "flow_table", v->flow_table,
		      "runtime", v->runtime, "fingerprint", fp, "packets", (json_int_t)st.packets,
		      "bytes", (json_int_t)st.bytes, "new_flows", (json_int_t)st.new_flows, "flows",
		      (json_int_t)shoal_dp_vip_flow_count(a->dp, v->id), "pps",
		      a->vip_rates[v->id].pps);
	if (!o || !with_backends)
		return o;
	bes = json_array();
	for (i = 0; i < v->nbe; i++)
		json_array_append_new(bes, backend_json(a, &v->be[i]));
	json_object_set_new(o, "backends", bes);
	return o;
}

static json_t *h_status(struct agent *a, json_t *args, const char **err)
{
	json_t *vips = json_array();
	size_t i;

	(void)args;
	(void)err;
	for (i = 0; i < a->state->nvips; i++)
		json_array_append_new(vips, vip_json(a, &a->state->vips[i], true));
	const __u8 *m = a->state->host.have_gateway_mac ? a->state->host.gateway_mac : a->gw_mac;
	char mac[20];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return json_pack("{s:s, s:s, s:b, s:s, s:I, s:I, s:o}", "interface",
			 a->state->host.interface, "config", a->config_path, "gateway_resolved",
			 a->gw_resolved || a->state->host.have_gateway_mac, "gateway_mac", mac,
			 "flow_table_entries", (json_int_t)shoal_dp_flow_count(a->dp),
			 "map_write_errors", (json_int_t)shoal_dp_write_errors(a->dp), "vips",
			 vips);
}

static json_t *h_vip_list(struct agent *a, json_t *args, const char **err)
{
	json_t *vips = json_array();
	size_t i;

	(void)args;
	(void)err;
	for (i = 0; i < a->state->nvips; i++)
		json_array_append_new(vips, vip_json(a, &a->state->vips[i], false));
	return vips;
}

static json_t *h_vip_add(struct agent *a, json_t *args, const char **err)
{
	struct shoal_vip_state t = { .scheduler = SHOAL_SCHED_MAGLEV,
				     .table_size = SHOAL_DEFAULT_TABLE_SIZE,
				     .flow_table = true };
	const char *s = arg_str(args, "vip"), *sched = arg_str(args, "scheduler");
	json_t *ts = json_object_get(args, "table_size"), *ft = json_object_get(args, "flow_table");
	int ret;

	if (!s || shoal_vip_spec_parse(s, &t.key, &t.family)) {
		*err = errf("vip: '%s' is not ADDR:PORT/tcp|udp", s ? s : "");
		return NULL;
	}
	if (sched && shoal_sched_parse(sched, &t.scheduler)) {
		*err = errf("scheduler: '%s' is not maglev, maglev-src, rr or random", sched);
		return NULL;
	}
	if (ts) {
		json_int_t n = json_integer_value(ts);

		if (!json_is_integer(ts) || n < 2 || n > SHOAL_MAX_TABLE_SIZE ||
		    !maglev_is_prime((__u32)n)) {
			*err = errf("table_size must be a prime from 2 to %d",
				    SHOAL_MAX_TABLE_SIZE);
			return NULL;
		}
		t.table_size = (__u32)n;
	}
	if (ft)
		t.flow_table = json_is_true(ft);
	if (!t.flow_table && (t.scheduler == SHOAL_SCHED_RR || t.scheduler == SHOAL_SCHED_RANDOM)) {
		*err = errf("scheduler %s needs the flow table", shoal_sched_name(t.scheduler));
		return NULL;
	}
	snprintf(t.name, sizeof(t.name), "%s", arg_str(args, "name") ? arg_str(args, "name") : "");
	ret = shoal_state_vip_add(a->state, &t);
	if (ret) {
		*err = ret == -EEXIST ? errf("VIP %s exists", s)
				      : errf("cannot add: %s", strerror(-ret));
		return NULL;
	}
	agent_apply(a);
	log_info("vip %s added at runtime", s);
	return json_null();
}

static json_t *h_vip_del(struct agent *a, json_t *args, const char **err)
{
	struct shoal_vip_key k;

	if (!arg_vip(a, args, &k, err))
		return NULL;
	shoal_state_vip_del(a->state, &k);
	agent_apply(a);
	log_info("vip %s removed at runtime", arg_str(args, "vip"));
	return json_null();
}

static json_t *h_backend_add(struct agent *a, json_t *args, const char **err)
{
	json_t *w = json_object_get(args, "weight");
	const char *enc = arg_str(args, "encap");
	__u8 encap = SHOAL_ENCAP_DEFAULT;
	struct shoal_vip_key k;
	struct shoal_addr addr;
	__u32 weight = 1;
	int family, ret;

	if (!arg_vip(a, args, &k, err) || arg_addr(args, &addr, &family, err))
		return NULL;
	if (w) {
		if (!json_is_integer(w) || json_integer_value(w) < 0 ||
		    json_integer_value(w) > 1000000) {
			*err = errf("weight must be a whole number from 0 to 1000000");
			return NULL;
		}
		weight = (__u32)json_integer_value(w);
	}
	if (enc && shoal_encap_parse(enc, &encap)) {
		*err = errf("encap: '%s' is not gue or ipip", enc);
		return NULL;
	}
	ret = shoal_state_backend_add(a->state, &k, &addr, family, weight, encap);
	if (ret == -EEXIST)
		*err = errf("backend %s exists in %s", arg_str(args, "address"),
			    arg_str(args, "vip"));
	else if (ret == -EAFNOSUPPORT)
		*err = errf("no host source address of that family for the tunnel");
	else if (ret)
		*err = errf("cannot add: %s", strerror(-ret));
	if (ret)
		return NULL;
	agent_apply(a);
	return json_null();
}

typedef int (*be_edit_fn)(struct agent *a, const struct shoal_vip_key *k,
			  const struct shoal_addr *addr, json_t *args, const char **err);

static json_t *backend_edit(struct agent *a, json_t *args, const char **err, be_edit_fn fn,
			    const char *what)
{
	struct shoal_vip_key k;
	struct shoal_vip_state *v;
	struct shoal_addr addr;
	int family;

	v = arg_vip(a, args, &k, err);
	if (!v || arg_addr(args, &addr, &family, err))
		return NULL;
	if (!shoal_state_backend(v, &addr)) {
		*err = errf("no backend %s in %s", arg_str(args, "address"), arg_str(args, "vip"));
		return NULL;
	}
	if (fn(a, &k, &addr, args, err))
		return NULL;
	agent_apply(a);
	log_info("%s: backend %s of %s", what, arg_str(args, "address"), arg_str(args, "vip"));
	return json_null();
}

static int do_del(struct agent *a, const struct shoal_vip_key *k, const struct shoal_addr *addr,
		  json_t *args, const char **err)
{
	(void)args;
	(void)err;
	return shoal_state_backend_del(a->state, k, addr);
}

static int do_weight(struct agent *a, const struct shoal_vip_key *k, const struct shoal_addr *addr,
		     json_t *args, const char **err)
{
	json_t *w = json_object_get(args, "weight");

	if (!json_is_integer(w) || json_integer_value(w) < 0 || json_integer_value(w) > 1000000) {
		*err = errf("weight must be a whole number from 0 to 1000000");
		return -EINVAL;
	}
	return shoal_state_backend_weight(a->state, k, addr, (__u32)json_integer_value(w));
}

static int do_drain(struct agent *a, const struct shoal_vip_key *k, const struct shoal_addr *addr,
		    json_t *args, const char **err)
{
	(void)args;
	(void)err;
	return shoal_state_backend_admin(a->state, k, addr, SHOAL_ADMIN_DRAINING);
}

static int do_undrain(struct agent *a, const struct shoal_vip_key *k, const struct shoal_addr *addr,
		      json_t *args, const char **err)
{
	(void)args;
	(void)err;
	return shoal_state_backend_admin(a->state, k, addr, SHOAL_ADMIN_ACTIVE);
}

static json_t *h_backend_del(struct agent *a, json_t *args, const char **err)
{
	return backend_edit(a, args, err, do_del, "del");
}

static json_t *h_backend_weight(struct agent *a, json_t *args, const char **err)
{
	return backend_edit(a, args, err, do_weight, "weight");
}

static json_t *h_backend_drain(struct agent *a, json_t *args, const char **err)
{
	return backend_edit(a, args, err, do_drain, "drain");
}

static json_t *h_backend_undrain(struct agent *a, json_t *args, const char **err)
{
	return backend_edit(a, args, err, do_undrain, "undrain");
}

static json_t *h_stats(struct agent *a, json_t *args, const char **err)
{
	json_t *global = json_object(), *drops = json_object(), *vips = json_array();
	__u64 v;
	size_t i;
	int r;

	(void)args;
	(void)err;
	for (i = 0; i < SHOAL_CNT_NAMED; i++)
		if (!shoal_dp_counter(a->dp, (__u32)i, &v))
			json_object_set_new(global, shoal_counter_name((__u32)i),
					    json_integer((json_int_t)v));
	for (r = 1; r <= SHOAL_DROP_MAX_REASON; r++)
		if (!shoal_dp_counter(a->dp, SHOAL_CNT_DROP(-r), &v))
			json_object_set_new(drops, shoal_drop_name(r), json_integer((json_int_t)v));
	for (i = 0; i < a->state->nvips; i++)
		json_array_append_new(vips, vip_json(a, &a->state->vips[i], true));
	return json_pack("{s:o, s:o, s:o}", "global", global, "drops", drops, "vips", vips);
}

static json_t *h_reload(struct agent *a, json_t *args, const char **err)
{
	struct shoal_errors errs = { 0 };
	size_t i, off = 0;

	(void)args;
	if (!agent_reload(a, &errs))
		return json_null();
	errbuf[0] = '\0';
	for (i = 0; i < errs.n && off < sizeof(errbuf) - 1; i++)
		off += (size_t)snprintf(errbuf + off, sizeof(errbuf) - off, "%s%s", i ? "\n" : "",
					errs.msg[i]);
	shoal_errors_free(&errs);
	*err = errbuf;
	return NULL;
}

/*
 * Writes the state over the config file: into a temporary file next to it,
 * checked by parsing it back, the old file kept as FILE.bak, then renamed
 * into place so readers see the old or the new file, never half of one.
 */
static json_t *h_save(struct agent *a, json_t *args, const char **err)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *check = NULL;
	char *text = NULL, tmp[SHOAL_PATH_MAX + 8], bak[SHOAL_PATH_MAX + 8];
	const char *path = a->config_path;
	FILE *f;
	int ret;

	(void)args;
	if (shoal_state_format_yaml(a->state, &text)) {
		*err = "out of memory";
		return NULL;
	}
	ret = shoal_config_parse(path, text, strlen(text), &check, &errs);
	if (ret) {
		*err = errf("internal error: the state does not parse back (%s)",
			    errs.n ? errs.msg[0] : "?");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(bak, sizeof(bak), "%s.bak", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fflush(f) || fsync(fileno(f))) {
		*err = errf("cannot write %s: %s", tmp, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
		goto out;
	}
	fclose(f);
	unlink(bak);
	if (link(path, bak) && errno != ENOENT) {
		*err = errf("cannot keep the old file as %s: %s", bak, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path)) {
		*err = errf("cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	shoal_config_free(a->conf);
	a->conf = check;
	check = NULL;
	shoal_state_mark_saved(a->state);
	log_info("saved the running state to %s (old file: %s)", path, bak);
out:
	shoal_config_free(check);
	shoal_errors_free(&errs);
	free(text);
	return *err ? NULL : json_pack("{s:s, s:s}", "file", path, "backup", bak);
}

static json_t *h_lookup(struct agent *a, json_t *args, const char **err)
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
		*err = errf("source: '%s' is not ADDR[:PORT]", src ? src : "");
		return NULL;
	}
	if (!dst || shoal_endpoint_parse(dst, &k.dst, &dport, &dfam) || !dport) {
		*err = errf("destination: '%s' is not ADDR:PORT", dst ? dst : "");
		return NULL;
	}
	if (sfam != dfam) {
		*err = errf("source and destination are of different families");
		return NULL;
	}
	if (!proto || !strcmp(proto, "tcp")) {
		k.proto = IPPROTO_TCP;
	} else if (!strcmp(proto, "udp")) {
		k.proto = IPPROTO_UDP;
	} else {
		*err = errf("protocol: '%s' is not tcp or udp", proto);
		return NULL;
	}
	k.sport = htons(sport);
	k.dport = htons(dport);
	ret = shoal_dp_lookup(a->dp, &k, &r);
	if (ret) {
		*err = errf("lookup failed: %s", strerror(-ret));
		return NULL;
	}
	if (r.verdict == SHOAL_LOOKUP_FORWARD)
		shoal_addr_format(&r.backend, be, sizeof(be));
	return json_pack("{s:s, s:s, s:b}", "verdict", verdicts[r.verdict], "backend", be,
			 "in_flow_table", r.in_flow_table);
}

static json_t *h_version(struct agent *a, json_t *args, const char **err)
{
	(void)a;
	(void)args;
	(void)err;
	return json_pack("{s:s, s:i, s:i}", "version", SHOAL_VERSION, "abi", SHOAL_ABI_VERSION,
			 "protocol", SHOAL_CTL_VERSION);
}

static const struct {
	const char *name;
	json_t *(*fn)(struct agent *a, json_t *args, const char **err);
} commands[] = {
	{ "status", h_status },
	{ "vip.list", h_vip_list },
	{ "vip.add", h_vip_add },
	{ "vip.del", h_vip_del },
	{ "backend.add", h_backend_add },
	{ "backend.del", h_backend_del },
	{ "backend.weight", h_backend_weight },
	{ "backend.drain", h_backend_drain },
	{ "backend.undrain", h_backend_undrain },
	{ "stats", h_stats },
	{ "reload", h_reload },
	{ "lookup", h_lookup },
	{ "save", h_save },
	{ "version", h_version },
};

static char *handle_line(struct agent *a, const char *line, size_t len)
{
	const char *cmd, *err = NULL;
	json_t *req, *args, *res = NULL;
	size_t i;

	if (shoal_ctl_decode_request(line, len, &req, &cmd, &args, &err))
		return shoal_ctl_encode_reply(NULL, err);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(cmd, commands[i].name)) {
			res = commands[i].fn(a, args, &err);
			break;
		}
	}
	if (i == sizeof(commands) / sizeof(commands[0]))
		err = errf("unknown command '%s'", cmd);
	else if (!res && !err)
		err = "internal error";
	{
		char *out = shoal_ctl_encode_reply(err ? NULL : res, err);

		if (err)
			json_decref(res);
		json_decref(req);
		return out;
	}
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct agent *a = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		char *reply = handle_line(a, line, len);

		free(line);
		if (reply) {
			bufferevent_write(bev, reply, strlen(reply));
			bufferevent_write(bev, "\n", 1);
			free(reply);
		}
	}
	if (evbuffer_get_length(in) > SHOAL_CTL_MAX_LINE) {
		static const char msg[] =
			"{\"version\":1,\"ok\":false,\"error\":\"request too long\"}\n";

		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_write(bev, msg, sizeof(msg) - 1);
	}
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

/* Root, or a member of the socket's group. */
static bool peer_allowed(int fd, gid_t sock_gid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == 0 || cred.gid == sock_gid;
}

static void ctl_accept(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct bufferevent *bev;
	struct stat st;
	int c;

	(void)what;
	c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return;
	if (fstat(fd, &st) || !peer_allowed(c, st.st_gid)) {
		log_warn("control socket: peer refused (not root, not in the socket's group)");
		close(c);
		return;
	}
	bev = bufferevent_socket_new(a->base, c, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(c);
		return;
	}
	bufferevent_setcb(bev, conn_read, NULL, conn_event, a);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int ctl_open(struct agent *a)
{
	const char *path = a->state->host.control_socket;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)], *slash;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path); /* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0660) || listen(fd, 16)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	a->ctl_fd = fd;
	a->ctl_ev = event_new(a->base, fd, EV_READ | EV_PERSIST, ctl_accept, a);
	if (!a->ctl_ev || event_add(a->ctl_ev, NULL)) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

void ctl_close(struct agent *a)
{
	if (a->ctl_ev)
		event_free(a->ctl_ev);
	if (a->ctl_fd >= 0) {
		close(a->ctl_fd);
		unlink(a->state->host.control_socket);
	}
	a->ctl_ev = NULL;
	a->ctl_fd = -1;
}
