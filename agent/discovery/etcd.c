// SPDX-License-Identifier: GPL-2.0-only
/* See discovery.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "configfile/configfile.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/parts.h"
#include "core/reconcile.h"
#include "discovery/discovery.h"
#include "discovery/tls.h"
#include "model/discovered.h"
#include "model/etcdwire.h"
#include "model/state.h"

#define MERGE_DELAY_US 10000   /* events this close together make one merge */
#define BACKOFF_MIN_US 100000  /* first retry */
#define BACKOFF_MAX_US 5000000 /* and at most this apart, endpoint after endpoint */
#define WATCH_TIMEOUT_S \
	660			   /* no byte for this long: the stream is dead (etcd sends
				  * a progress notice every 10 minutes) */
#define RESPONSE_MAX   (64U << 20) /* a range response larger than this is refused */
#define WATCH_LINE_MAX (8U << 20)

enum disc_state { ST_CONNECTING, ST_READING, ST_WATCHING, ST_DOWN, ST_AUTH };
static const char *const state_names[] = { "connecting", "reading", "watching", "disconnected",
					   "authenticating" };

struct shoal_discovery {
	struct shoal_parts *p;
	struct shoal_discovery_conf conf;
	struct evhttp_connection *conn, *wconn;
	SSL_CTX *tls;	       /* https endpoints */
	struct evbuffer *wbuf; /* a watch line not complete yet */
	size_t ep;	       /* the endpoint in use */
	enum disc_state st;
	bool freeing;		  /* connections being freed: their callbacks are stale */
	bool need_read;		  /* the watch cannot resume: read the prefix afresh */
	struct shoal_etcd_kv *kv; /* the mirror of the prefix */
	size_t nkv, capkv;
	__s64 revision;
	__u64 backoff_us;
	struct shoal_timer *merge_t, *retry_t;
	struct shoal_discovery_status stat;
	char key_b64[2][SHOAL_NAME_MAX * 2]; /* the prefix's range: [prefix/, prefix0) */
	char cache[512];		     /* the last state seen, for a restart without etcd */
	char password[256];		     /* read once at start (discovery.password_file) */
	char token[512];		     /* etcd's auth token ("" none yet) */
};

static void start_read(struct shoal_discovery *d);

static void mirror_clear(struct shoal_discovery *d)
{
	size_t i;

	for (i = 0; i < d->nkv; i++) {
		free(d->kv[i].key);
		free(d->kv[i].value);
	}
	d->nkv = 0;
}

/* Takes kv's strings (value NULL: a deletion). */
static int mirror_set(struct shoal_discovery *d, struct shoal_etcd_kv *kv)
{
	size_t i;

	for (i = 0; i < d->nkv && strcmp(d->kv[i].key, kv->key); i++)
		;
	if (i < d->nkv) {
		free(d->kv[i].key);
		free(d->kv[i].value);
		if (!kv->value) {
			d->kv[i] = d->kv[--d->nkv];
			free(kv->key);
			return 0;
		}
		d->kv[i] = *kv;
		return 0;
	}
	if (!kv->value) {
		free(kv->key);
		return 0;
	}
	if (d->nkv == d->capkv) {
		size_t cap = d->capkv ? 2 * d->capkv : 64;
		struct shoal_etcd_kv *grown = realloc(d->kv, cap * sizeof(*grown));

		if (!grown) {
			free(kv->key);
			free(kv->value);
			return -ENOMEM;
		}
		d->kv = grown;
		d->capkv = cap;
	}
	d->kv[d->nkv++] = *kv;
	return 0;
}

static void on_report(void *arg, const char *key, const char *why)
{
	(void)arg;
	log_limited(LOG_LVL_WARN, "discovery: %s: %s", key, why);
}

/*
 * The mirror and its revision, kept in /run/shoal (gone with a reboot, like
 * the pinned maps): an agent restarted while etcd is down starts from what
 * it last saw instead of emptying the tables, and its watch resumes there.
 */
static void cache_save(struct shoal_discovery *d)
{
	json_t *o = json_pack("{s:I, s:[]}", "revision", (json_int_t)d->revision, "kvs"), *kvs;
	char tmp[sizeof(d->cache) + 8];
	size_t i;

	if (!o)
		return;
	kvs = json_object_get(o, "kvs");
	for (i = 0; i < d->nkv; i++)
		json_array_append_new(kvs, json_pack("{s:s, s:s%}", "key", d->kv[i].key, "value",
						     d->kv[i].value, d->kv[i].value_len));
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->cache);
	if (json_dump_file(o, tmp, JSON_COMPACT) || rename(tmp, d->cache))
		log_limited(LOG_LVL_WARN, "discovery: cannot keep the state in %s: %s", d->cache,
			    strerror(errno));
	json_decref(o);
}

static void cache_load(struct shoal_discovery *d)
{
	json_t *o = json_load_file(d->cache, JSON_REJECT_DUPLICATES, NULL), *kvs, *e;
	size_t i;

	kvs = json_object_get(o, "kvs");
	if (!json_is_array(kvs) || !json_is_integer(json_object_get(o, "revision"))) {
		json_decref(o);
		return;
	}
	json_array_foreach(kvs, i, e)
	{
		json_t *k = json_object_get(e, "key"), *v = json_object_get(e, "value");
		struct shoal_etcd_kv kv = { 0 };

		if (!json_is_string(k) || !json_is_string(v))
			continue;
		kv.key = strdup(json_string_value(k));
		kv.value = strndup(json_string_value(v), json_string_length(v));
		kv.value_len = kv.value ? strlen(kv.value) : 0;
		if (!kv.key || !kv.value) {
			free(kv.key);
			free(kv.value);
			continue;
		}
		mirror_set(d, &kv);
	}
	d->revision = json_integer_value(json_object_get(o, "revision"));
	json_decref(o);
	log_info("discovery: starting from the last state seen (%zu keys, revision %lld)", d->nkv,
		 (long long)d->revision);
}

/* The mirror into the state: one validation, one merge, one reconcile. */
static void on_merge(void *arg)
{
	struct shoal_discovery *d = arg;
	struct shoal_discovered set;
	struct shoal_merge_result r;
	int err;

	err = shoal_discovered_build(d->p->file->conf, d->conf.prefix, d->kv, d->nkv, &set,
				     on_report, d);
	if (err) {
		log_err("discovery: %s", strerror(-err));
		return;
	}
	err = shoal_discovered_merge(d->p->state, &set, &r, on_report, d);
	d->stat.skipped = set.skipped;
	shoal_discovered_free(&set);
	if (err)
		log_err("discovery: merging: %s", strerror(-err));
	d->stat.conflicts = r.conflicts;
	d->stat.orphans = r.orphans;
	d->stat.services = r.services;
	d->stat.backends = r.backends;
	d->stat.merges++;
	if (r.changed || err) {
		log_info("discovery: revision %lld: %zu services, %zu backends from etcd (%zu "
			 "changes)",
			 (long long)d->revision, r.services, r.backends, r.changed);
		if (d->p->reconcile) /* none yet before the first apply */
			shoal_reconcile_request(d->p->reconcile, NULL, NULL);
	}
	cache_save(d);
}

/* what went wrong, and (may be NULL) the detail */
static void fail(struct shoal_discovery *d, const char *what, const char *detail)
{
	snprintf(d->stat.last_error, sizeof(d->stat.last_error), "%s%s%s", what, detail ? ": " : "",
		 detail ? detail : "");
	if (d->st != ST_DOWN)
		log_warn("discovery: %s: %s (keeping the last state; retrying)",
			 d->conf.endpoints[d->ep].url, d->stat.last_error);
	d->st = ST_DOWN;
	d->stat.connected = false;
	d->token[0] = 0; /* authenticate again: a token may have expired with the connection */
	d->ep = (d->ep + 1) % d->conf.nendpoints;
	d->backoff_us = d->backoff_us ? d->backoff_us * 2 : BACKOFF_MIN_US;
	if (d->backoff_us > BACKOFF_MAX_US)
		d->backoff_us = BACKOFF_MAX_US;
	/* connections are freed from the timer, never inside their own callbacks */
	shoal_timer_arm(d->retry_t, d->backoff_us);
}

static struct evhttp_request *request(struct shoal_discovery *d,
				      void (*cb)(struct evhttp_request *, void *), const char *body)
{
	struct evhttp_request *req = evhttp_request_new(cb, d);
	struct evkeyvalq *h;

	if (!req)
		return NULL;
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", d->conf.endpoints[d->ep].host);
	if (d->token[0])
		evhttp_add_header(h, "Authorization", d->token);
	evhttp_add_header(h, "Content-Type", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	return req;
}

static int response_code(struct evhttp_request *req)
{
	return req ? evhttp_request_get_response_code(req) : 0;
}

/* A connection to the endpoint in use, TLS for https ones; NULL if out of memory. */
static struct evhttp_connection *conn_new(struct shoal_discovery *d, int timeout_s)
{
	struct event_base *base = shoal_loop_base(d->p->loop);
	const char *host = d->conf.endpoints[d->ep].host;
	struct bufferevent *bev = NULL;
	struct evhttp_connection *c;

	if (d->tls) {
		SSL *ssl = shoal_tls_session(d->tls, d->conf.tls_files.server_name[0]
							     ? d->conf.tls_files.server_name
							     : host);

		if (!ssl)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
						     BEV_OPT_CLOSE_ON_FREE |
							     BEV_OPT_DEFER_CALLBACKS);
		if (!bev)
			return NULL;
		/* etcd may close without close_notify: HTTP's own framing says an answer is whole */
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	}
	c = evhttp_connection_base_bufferevent_new(base, NULL, bev, host,
						   d->conf.endpoints[d->ep].port);
	if (!c) {
		if (bev)
			bufferevent_free(bev);
		return NULL;
	}
	evhttp_connection_set_timeout(c, timeout_s);
	return c;
}

/* Why c gave no answer: TLS's verdict on https endpoints, else the connection was lost. */
static void no_answer_why(struct shoal_discovery *d, struct evhttp_connection *c, char *buf,
			  size_t len)
{
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	SSL *ssl = d->tls && bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	if (ssl)
		shoal_tls_why(ssl, bufferevent_get_openssl_error(bev), buf, len);
	else
		snprintf(buf, len, "no answer");
}

static int dial_timeout_s(const struct shoal_discovery *d)
{
	return (int)((d->conf.dial_timeout_ms + 999) / 1000);
}

static void on_watch_line(struct shoal_discovery *d, const char *line, size_t len)
{
	struct shoal_etcd_watch_msg m;
	char err[256];
	size_t i;

	if (shoal_etcd_watch_parse(line, len, &m, err, sizeof(err))) {
		fail(d, "watch", err);
		return;
	}
	if (m.compact_revision > 0 || m.canceled) {
		/* the revision to watch from is gone: read the prefix afresh */
		log_info("discovery: watch %s (compacted at %lld): reading the prefix again",
			 m.cancel_reason[0] ? m.cancel_reason : "canceled",
			 (long long)m.compact_revision);
		d->stat.resyncs++;
		shoal_etcd_watch_free(&m);
		d->need_read = true;
		d->st = ST_CONNECTING;
		shoal_timer_arm(d->retry_t, 0);
		return;
	}
	if (m.created) {
		d->st = ST_WATCHING;
		d->stat.connected = true;
		d->backoff_us = 0;
	}
	for (i = 0; i < m.n; i++) {
		if (m.events[i].mod_revision > d->revision)
			d->revision = m.events[i].mod_revision;
		d->stat.events++;
		if (mirror_set(d, &m.events[i]))
			log_err("discovery: out of memory");
		m.events[i].key = NULL;
		m.events[i].value = NULL;
	}
	if (m.revision > d->revision && !m.n)
		d->revision = m.revision;
	if (m.n)
		shoal_timer_arm_once(d->merge_t, MERGE_DELAY_US);
	shoal_etcd_watch_free(&m);
}

static void on_watch_chunk(struct evhttp_request *req, void *arg)
{
	struct shoal_discovery *d = arg;
	char *line;
	size_t n;

	if (d->freeing || d->st == ST_DOWN)
		return;
	evbuffer_add_buffer(d->wbuf, evhttp_request_get_input_buffer(req));
	while (d->st != ST_DOWN && (line = evbuffer_readln(d->wbuf, &n, EVBUFFER_EOL_LF)) != NULL) {
		if (n)
			on_watch_line(d, line, n);
		free(line);
	}
	if (evbuffer_get_length(d->wbuf) > WATCH_LINE_MAX)
		fail(d, "watch", "a message longer than 8 MB");
}

static void on_watch_done(struct evhttp_request *req, void *arg)
{
	struct shoal_discovery *d = arg;
	char code[160];

	if (d->freeing || d->st == ST_DOWN)
		return;
	if (response_code(req))
		snprintf(code, sizeof(code), "HTTP %d", response_code(req));
	else if (d->st == ST_WATCHING)
		snprintf(code, sizeof(code), "connection lost");
	else
		no_answer_why(d, d->wconn, code, sizeof(code));
	fail(d, "the watch ended", code);
}

static void start_watch(struct shoal_discovery *d)
{
	char body[512];
	struct evhttp_request *req;

	snprintf(body, sizeof(body),
		 "{\"create_request\": {\"key\": \"%s\", \"range_end\": \"%s\", "
		 "\"start_revision\": \"%lld\", \"progress_notify\": true}}",
		 d->key_b64[0], d->key_b64[1], (long long)d->revision + 1);
	d->wconn = conn_new(d, WATCH_TIMEOUT_S);
	req = d->wconn ? request(d, on_watch_done, body) : NULL;
	if (!req) {
		fail(d, "out of memory", NULL);
		return;
	}
	evhttp_request_set_chunked_cb(req, on_watch_chunk);
	evbuffer_drain(d->wbuf, evbuffer_get_length(d->wbuf));
	if (evhttp_make_request(d->wconn, req, EVHTTP_REQ_POST, "/v3/watch"))
		fail(d, "cannot send the watch request", NULL);
}

/* Whether req is a live request's answer of 200; else the failure is taken (what: its words). */
static bool answered(struct shoal_discovery *d, struct evhttp_request *req, const char *what)
{
	char code[160];

	if (d->freeing || d->st == ST_DOWN)
		return false;
	if (response_code(req) == 200)
		return true;
	if (response_code(req))
		snprintf(code, sizeof(code), "HTTP %d", response_code(req));
	else
		no_answer_why(d, d->conn, code, sizeof(code));
	fail(d, what, code);
	return false;
}

static void on_range(struct evhttp_request *req, void *arg)
{
	struct shoal_discovery *d = arg;
	struct shoal_etcd_range r;
	struct evbuffer *in;
	char err[256];
	size_t i, len;
	int ret;

	if (!answered(d, req, "reading the prefix"))
		return;
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	if (len > RESPONSE_MAX) {
		fail(d, "reading the prefix", "a response larger than 64 MB");
		return;
	}
	ret = shoal_etcd_range_parse((const char *)evbuffer_pullup(in, -1), len, &r, err,
				     sizeof(err));
	if (ret) {
		fail(d, "reading the prefix", err);
		return;
	}
	/* the whole prefix at one revision: the mirror becomes it, the merge applies the difference */
	mirror_clear(d);
	for (i = 0; i < r.n; i++) {
		if (mirror_set(d, &r.kvs[i]))
			log_err("discovery: out of memory");
		r.kvs[i].key = NULL;
		r.kvs[i].value = NULL;
	}
	d->revision = r.revision;
	shoal_etcd_range_free(&r);
	log_info("discovery: %s: read %zu keys under %s at revision %lld",
		 d->conf.endpoints[d->ep].url, d->nkv, d->conf.prefix, (long long)d->revision);
	shoal_timer_arm_once(d->merge_t, 0);
	start_watch(d);
}

static void conns_free(struct shoal_discovery *d)
{
	d->freeing = true;
	if (d->wconn)
		evhttp_connection_free(d->wconn);
	if (d->conn)
		evhttp_connection_free(d->conn);
	d->wconn = d->conn = NULL;
	d->freeing = false;
}

static void start_read(struct shoal_discovery *d)
{
	struct evhttp_request *req;
	char body[512];

	conns_free(d);
	d->st = ST_READING;
	snprintf(body, sizeof(body), "{\"key\": \"%s\", \"range_end\": \"%s\"}", d->key_b64[0],
		 d->key_b64[1]);
	d->conn = conn_new(d, dial_timeout_s(d));
	req = d->conn ? request(d, on_range, body) : NULL;
	if (!req) {
		fail(d, "out of memory", NULL);
		return;
	}
	if (evhttp_make_request(d->conn, req, EVHTTP_REQ_POST, "/v3/kv/range"))
		fail(d, "cannot send the range request", NULL);
}

static void on_auth(struct evhttp_request *req, void *arg)
{
	struct shoal_discovery *d = arg;
	struct evbuffer *in;
	json_t *o, *t;

	if (!answered(d, req, "authentication failed"))
		return;
	in = evhttp_request_get_input_buffer(req);
	o = json_loadb((const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in), 0, NULL);
	t = json_object_get(o, "token");
	if (!json_is_string(t) || json_string_length(t) >= sizeof(d->token) ||
	    strpbrk(json_string_value(t), "\r\n")) {
		json_decref(o);
		fail(d, "authentication failed", "no token in the answer");
		return;
	}
	snprintf(d->token, sizeof(d->token), "%s", json_string_value(t));
	json_decref(o);
	shoal_timer_arm(d->retry_t, 0); /* on with a token */
}

static void start_auth(struct shoal_discovery *d)
{
	json_t *body = json_pack("{s:s, s:s}", "name", d->conf.username, "password", d->password);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct evhttp_request *req;

	json_decref(body);
	conns_free(d);
	d->st = ST_AUTH;
	d->conn = conn_new(d, dial_timeout_s(d));
	req = d->conn && text ? request(d, on_auth, text) : NULL;
	free(text);
	if (!req) {
		fail(d, "out of memory", NULL);
		return;
	}
	if (evhttp_make_request(d->conn, req, EVHTTP_REQ_POST, "/v3/auth/authenticate"))
		fail(d, "cannot send the authentication request", NULL);
}

/*
 * After a lost connection the watch resumes where it was (what changed
 * meanwhile arrives as events); only a compacted revision, or none yet,
 * takes a fresh read of the whole prefix.
 */
static void on_retry(void *arg)
{
	struct shoal_discovery *d = arg;

	if (d->st == ST_DOWN)
		d->stat.reconnects++;
	if (d->conf.username[0] && !d->token[0]) {
		start_auth(d);
		return;
	}
	if (d->revision > 0 && !d->need_read) {
		conns_free(d);
		d->st = ST_CONNECTING;
		start_watch(d);
		return;
	}
	d->need_read = false;
	start_read(d);
}

int shoal_discovery_open(struct shoal_parts *p, const struct shoal_discovery_conf *c,
			 struct shoal_discovery **ret)
{
	struct shoal_discovery *d = calloc(1, sizeof(*d));
	char key[SHOAL_NAME_MAX + 2], *b[2];
	int i;

	if (!d)
		return -ENOMEM;
	d->p = p;
	d->conf = *c;
	d->st = ST_CONNECTING;
	snprintf(key, sizeof(key), "%s/", c->prefix);
	b[0] = shoal_b64_encode(key, strlen(key));
	key[strlen(key) - 1] = '0'; /* the range's end: '/' + 1 */
	b[1] = shoal_b64_encode(key, strlen(key));
	for (i = 0; i < 2; i++)
		if (b[i])
			snprintf(d->key_b64[i], sizeof(d->key_b64[i]), "%s", b[i]);
	d->wbuf = evbuffer_new();
	d->merge_t = shoal_timer_new(p->loop, "discovery-merge", on_merge, d);
	d->retry_t = shoal_timer_new(p->loop, "discovery-connect", on_retry, d);
	if (!b[0] || !b[1] || !d->wbuf || !d->merge_t || !d->retry_t) {
		free(b[0]);
		free(b[1]);
		shoal_discovery_close(d);
		return -ENOMEM;
	}
	free(b[0]);
	free(b[1]);
	/* "/sys/fs/bpf/shoal/eth0" -> /run/shoal/discovery-sys-fs-bpf-shoal-eth0.json */
	{
		size_t o = (size_t)snprintf(d->cache, sizeof(d->cache), "%s/discovery",
					    SHOAL_LOCK_DIR);
		const char *pin = p->state->host.pin_path;

		for (i = 0; pin[i] && o < sizeof(d->cache) - 8; i++)
			d->cache[o++] = pin[i] == '/' ? '-' : pin[i];
		snprintf(d->cache + o, sizeof(d->cache) - o, ".json");
	}
	if (c->username[0]) {
		FILE *f = fopen(c->password_file, "re");
		char *nl;

		if (!f || !fgets(d->password, sizeof(d->password), f)) {
			int err = f ? EINVAL : errno;

			log_err("discovery: password_file %s: %s", c->password_file,
				f ? "empty" : strerror(err));
			if (f)
				fclose(f);
			shoal_discovery_close(d);
			return -err;
		}
		fclose(f);
		nl = strpbrk(d->password, "\r\n");
		if (nl)
			*nl = 0;
	}
	if (c->tls) {
		char err[256];

		d->tls = shoal_tls_client_ctx(c->tls_files.ca, c->tls_files.cert, c->tls_files.key,
					      err, sizeof(err));
		if (!d->tls) {
			log_err("discovery.tls: %s", err);
			shoal_discovery_close(d);
			return -EINVAL;
		}
	}
	cache_load(d);
	if (d->nkv)
		on_merge(d); /* before the first apply: the tables keep what etcd said */
	shoal_timer_arm(d->retry_t, 0);
	*ret = d;
	return 0;
}

void shoal_discovery_close(struct shoal_discovery *d)
{
	if (!d)
		return;
	conns_free(d);
	shoal_timer_free(d->merge_t);
	shoal_timer_free(d->retry_t);
	if (d->wbuf)
		evbuffer_free(d->wbuf);
	mirror_clear(d);
	free(d->kv);
	SSL_CTX_free(d->tls);
	free(d);
}

void shoal_discovery_reapply(struct shoal_discovery *d)
{
	if (d)
		shoal_timer_arm_once(d->merge_t, 0);
}

void shoal_discovery_status(const struct shoal_discovery *d, struct shoal_discovery_status *s)
{
	*s = d->stat;
	s->state = state_names[d->st];
	s->endpoint = d->conf.endpoints[d->ep].url;
	s->revision = d->revision;
}
