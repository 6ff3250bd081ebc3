// SPDX-License-Identifier: GPL-2.0-only
/*
 * lbctl register: a backend enters every shoal host's tables through etcd,
 * and leaves them when it stops or dies.
 *
 *   lbctl register --etcd URL[,URL...] --service VIP:PORT/PROTO --address ADDR
 *                  [--weight W] [--ttl SECONDS] [--prefix /shoal]
 *                  [--cacert FILE] [--cert FILE --key FILE]
 *
 * Grants a lease of TTL seconds, writes PREFIX/backends/SERVICE/ADDR bound to
 * it, and keeps the lease alive (every third of the TTL). SIGTERM or SIGINT
 * revokes the lease: the key is gone at once. If this process dies, the key
 * expires after the TTL. If etcd is lost, the endpoints are tried in turn and
 * the registration is made again once one answers. Blocking HTTP/1.0 to etcd's
 * JSON gateway (in TLS to https:// endpoints, the server's certificate checked
 * against --cacert or the system's CAs): this process does nothing else.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <jansson.h>
#include <openssl/err.h>

#include "discovery/tls.h"
#include "model/addr.h"
#include "model/etcdwire.h"
#include "lbctl_register.h"

#define MAX_ENDPOINTS 8
#define RESPONSE_MAX  (1U << 20)
#define IO_TIMEOUT_S  2

struct endpoint {
	char host[256];
	char port[8];
	bool tls;
};

/* One connection to an endpoint: the socket, and its TLS session on https ones. */
struct link {
	int fd;
	SSL *ssl;
};

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int endpoint_parse(const char *url, struct endpoint *e)
{
	__u16 port;

	if (shoal_etcd_endpoint_parse(url, e->host, sizeof(e->host), &port, &e->tls))
		return -EINVAL;
	snprintf(e->port, sizeof(e->port), "%u", port);
	return 0;
}

/* Connects to e (TLS with ctx for https endpoints): 0, or -errno with err set. */
static int link_open(const struct endpoint *e, SSL_CTX *ctx, struct link *l, char *err,
		     size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL, *a;
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	l->fd = -1;
	l->ssl = NULL;
	if (getaddrinfo(e->host, e->port, &hints, &ai)) {
		snprintf(err, errlen, "%s: cannot resolve", e->host);
		return -ENOENT;
	}
	for (a = ai; a; a = a->ai_next) {
		l->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (l->fd < 0)
			continue;
		setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(l->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (!connect(l->fd, a->ai_addr, a->ai_addrlen))
			break;
		close(l->fd);
		l->fd = -1;
	}
	freeaddrinfo(ai);
	if (l->fd < 0) {
		snprintf(err, errlen, "%s:%s: %s", e->host, e->port, strerror(errno));
		return -ECONNREFUSED;
	}
	if (!e->tls)
		return 0;
	l->ssl = shoal_tls_session(ctx, e->host);
	if (!l->ssl || SSL_set_fd(l->ssl, l->fd) != 1 || SSL_connect(l->ssl) != 1) {
		char why[200];

		shoal_tls_why(l->ssl, ERR_get_error(), why, sizeof(why));
		snprintf(err, errlen, "%s:%s: %s", e->host, e->port, why);
		ERR_clear_error();
		return -EPROTO;
	}
	return 0;
}

static void link_close(struct link *l)
{
	SSL_free(l->ssl);
	if (l->fd >= 0)
		close(l->fd);
}

static bool link_write(struct link *l, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = l->ssl ? SSL_write(l->ssl, buf, (int)len) : write(l->fd, buf, len);

		if (n < 0 && !l->ssl && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Bytes read, 0 at the end of the answer, -errno. */
static ssize_t link_read(struct link *l, char *buf, size_t len)
{
	ssize_t r;
	int n;

	if (!l->ssl) {
		r = read(l->fd, buf, len);
		return r < 0 ? -errno : r;
	}
	n = SSL_read(l->ssl, buf, (int)len);
	if (n > 0)
		return n;
	switch (SSL_get_error(l->ssl, n)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : 0;
	default:
		ERR_clear_error();
		return -EPROTO;
	}
}

/* POSTs body to path on e; the response body (JSON) into *ret. 0 or -errno with err set. */
static int post(const struct endpoint *e, SSL_CTX *ctx, const char *path, const char *body,
		json_t **ret, char *err, size_t errlen)
{
	char *buf = NULL, *req = NULL, *p;
	size_t len = 0, cap = 0;
	int status, rc;
	struct link l;
	json_error_t je;
	ssize_t n;

	rc = link_open(e, ctx, &l, err, errlen);
	if (rc)
		return rc;
	rc = -EIO;
	if (asprintf(&req,
		     "POST %s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     path, e->host, strlen(body), body) < 0) {
		req = NULL;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!link_write(&l, req, strlen(req))) {
		snprintf(err, errlen, "%s:%s: cannot send", e->host, e->port);
		goto out;
	}
	/* HTTP/1.0: the body ends when the server closes */
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *grown;

			cap = cap ? 2 * cap : 8192;
			grown = realloc(buf, cap);
			if (!grown || cap > RESPONSE_MAX) {
				free(grown ? grown : buf);
				buf = NULL;
				snprintf(err, errlen, "a response larger than 1 MB");
				goto out;
			}
			buf = grown;
		}
		n = link_read(&l, buf + len, cap - len - 1);
		if (n == -EINTR && !stopping)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s:%s: %s", e->host, e->port, strerror((int)-n));
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (!buf) {
		snprintf(err, errlen, "%s:%s: no answer", e->host, e->port);
		goto out;
	}
	buf[len] = 0;
	if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1 || !(p = strstr(buf, "\r\n\r\n"))) {
		snprintf(err, errlen, "%s:%s: not an HTTP response", e->host, e->port);
		goto out;
	}
	*ret = json_loads(p + 4, 0, &je);
	if (!*ret || !json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		snprintf(err, errlen, "%s:%s: HTTP %d, not JSON", e->host, e->port, status);
		goto out;
	}
	if (status != 200 || json_object_get(*ret, "error")) {
		json_t *m = json_object_get(*ret, "message");

		snprintf(err, errlen, "etcd: HTTP %d: %s", status,
			 json_is_string(m) ? json_string_value(m) : "error");
		json_decref(*ret);
		*ret = NULL;
		goto out;
	}
	rc = 0;
out:
	free(req);
	free(buf);
	link_close(&l);
	return rc;
}

/* A string-or-number field of o (etcd writes int64 as strings); 0 if missing. */
static long long num_of(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) : 0;
}

struct reg {
	struct endpoint ep[MAX_ENDPOINTS];
	SSL_CTX *tls; /* for https endpoints */
	size_t nep, cur;
	char key[SHOAL_ETCD_KEY_MAX + 1];
	char *key_b64, *value_b64;
	long long lease;
	unsigned ttl;
};

static int call(struct reg *r, const char *path, const char *body, json_t **ret, char *err,
		size_t errlen)
{
	size_t i;
	int rc = -EIO;

	/* the endpoint that answered last first, then the others in turn */
	for (i = 0; i < r->nep && !stopping; i++) {
		size_t k = (r->cur + i) % r->nep;

		rc = post(&r->ep[k], r->tls, path, body, ret, err, errlen);
		if (!rc) {
			r->cur = k;
			return 0;
		}
	}
	return rc;
}

static int grant_and_put(struct reg *r, char *err, size_t errlen)
{
	char body[SHOAL_ETCD_KEY_MAX * 2 + 256];
	json_t *resp = NULL;

	snprintf(body, sizeof(body), "{\"TTL\": %u}", r->ttl);
	if (call(r, "/v3/lease/grant", body, &resp, err, errlen))
		return -EIO;
	r->lease = num_of(resp, "ID");
	json_decref(resp);
	if (r->lease <= 0) {
		snprintf(err, errlen, "etcd granted no lease");
		return -EIO;
	}
	snprintf(body, sizeof(body), "{\"key\": \"%s\", \"value\": \"%s\", \"lease\": \"%lld\"}",
		 r->key_b64, r->value_b64, r->lease);
	if (call(r, "/v3/kv/put", body, &resp, err, errlen))
		return -EIO;
	json_decref(resp);
	return 0;
}

/* 1: the lease lives on; 0: etcd no longer knows it; -EIO: no endpoint answered. */
static int keep_alive(struct reg *r, char *err, size_t errlen)
{
	char body[64];
	json_t *resp = NULL;
	int alive;

	snprintf(body, sizeof(body), "{\"ID\": \"%lld\"}", r->lease);
	if (call(r, "/v3/lease/keepalive", body, &resp, err, errlen))
		return -EIO;
	alive = num_of(json_object_get(resp, "result"), "TTL") > 0;
	json_decref(resp);
	return alive;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (!stopping && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int register_usage(void)
{
	fprintf(stderr, "usage: lbctl register --etcd URL[,URL...] --service VIP:PORT/PROTO "
			"--address ADDR [--weight 0-1000000] [--ttl 2-3600] [--prefix /shoal] "
			"[--cacert FILE] [--cert FILE --key FILE]\n");
	return 2;
}

int lbctl_register(int argc, char **argv)
{
	const char *etcd = NULL, *service = NULL, *address = NULL, *prefix = "/shoal";
	const char *cacert = NULL, *cert = NULL, *key = NULL;
	struct sigaction sa = { .sa_handler = on_stop };
	struct shoal_etcd_key k = { .kind = SHOAL_ETCD_KEY_BACKEND };
	unsigned long weight = 1, ttl = 10;
	struct reg r = { 0 };
	char err[768], *list, *tok, *save, *value, *end;
	bool registered = false;
	int i;

	for (i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--etcd"))
			etcd = argv[i + 1];
		else if (!strcmp(argv[i], "--service"))
			service = argv[i + 1];
		else if (!strcmp(argv[i], "--address"))
			address = argv[i + 1];
		else if (!strcmp(argv[i], "--prefix"))
			prefix = argv[i + 1];
		else if (!strcmp(argv[i], "--cacert"))
			cacert = argv[i + 1];
		else if (!strcmp(argv[i], "--cert"))
			cert = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			key = argv[i + 1];
		else if (!strcmp(argv[i], "--weight") &&
			 ((weight = strtoul(argv[i + 1], &end, 10)), !*end) && weight <= 1000000)
			continue;
		else if (!strcmp(argv[i], "--ttl") &&
			 ((ttl = strtoul(argv[i + 1], &end, 10)), !*end || !strcmp(end, "s")) &&
			 ttl >= 2 && ttl <= 3600)
			continue;
		else
			return register_usage();
	}
	if (i != argc || !etcd || !service || !address || !cert != !key)
		return register_usage();
	if (shoal_etcd_service_id_parse(service, &k.vip, &k.vip_family) ||
	    strchr(service, '/') != strrchr(service, '/')) {
		fprintf(stderr,
			"lbctl: --service %s is not VIP:PORT/PROTO (192.0.2.10:80/tcp, "
			"[2001:db8::10]:443/udp)\n",
			service);
		return 2;
	}
	if (shoal_addr_parse(address, &k.addr, &k.family)) {
		fprintf(stderr, "lbctl: --address %s is not an IPv4 or IPv6 address\n", address);
		return 2;
	}
	if (prefix[0] != '/' || shoal_etcd_key_format(prefix, &k, r.key, sizeof(r.key))) {
		fprintf(stderr, "lbctl: --prefix %s: /NAME[/NAME...]\n", prefix);
		return 2;
	}
	list = strdup(etcd);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (r.nep == MAX_ENDPOINTS || endpoint_parse(tok, &r.ep[r.nep]) ||
		    (r.nep && r.ep[r.nep].tls != r.ep[0].tls)) {
			fprintf(stderr,
				"lbctl: --etcd %s: at most %d URLs, all http://HOST:PORT or all "
				"https://HOST:PORT\n",
				tok, MAX_ENDPOINTS);
			free(list);
			return 2;
		}
		r.nep++;
	}
	free(list);
	if (!r.nep)
		return register_usage();
	if ((cacert || cert) && !r.ep[0].tls) {
		fprintf(stderr, "lbctl: --cacert, --cert and --key need https:// endpoints\n");
		return 2;
	}
	if (r.ep[0].tls) {
		r.tls = shoal_tls_client_ctx(cacert, cert, key, err, sizeof(err));
		if (!r.tls) {
			fprintf(stderr, "lbctl: %s\n", err);
			return 1;
		}
	}
	r.ttl = (unsigned)ttl;
	value = shoal_etcd_backend_value_format((__u32)weight, SHOAL_ENCAP_DEFAULT, false);
	r.key_b64 = shoal_b64_encode(r.key, strlen(r.key));
	r.value_b64 = value ? shoal_b64_encode(value, strlen(value)) : NULL;
	free(value);
	if (!r.key_b64 || !r.value_b64) {
		SSL_CTX_free(r.tls);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN); /* a closed connection is an error to retry, not an exit */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (!stopping) {
		if (!registered) {
			if (grant_and_put(&r, err, sizeof(err))) {
				fprintf(stderr, "lbctl: register %s: %s (trying again)\n", r.key,
					err);
				sleep_ms(1000);
				continue;
			}
			registered = true;
			printf("registered %s with lease %lld (TTL %us) at %s:%s\n", r.key, r.lease,
			       r.ttl, r.ep[r.cur].host, r.ep[r.cur].port);
		}
		sleep_ms(r.ttl * 1000 / 3);
		if (stopping)
			break;
		switch (keep_alive(&r, err, sizeof(err))) {
		case 1:
			break;
		case 0:
			fprintf(stderr, "lbctl: the lease of %s expired: registering again\n",
				r.key);
			registered = false;
			break;
		default:
			fprintf(stderr, "lbctl: keeping %s alive: %s\n", r.key, err);
		}
	}
	if (registered) {
		char body[64];
		json_t *resp = NULL;

		stopping = 0; /* the revoke must go out */
		snprintf(body, sizeof(body), "{\"ID\": \"%lld\"}", r.lease);
		if (call(&r, "/v3/lease/revoke", body, &resp, err, sizeof(err)))
			fprintf(stderr, "lbctl: revoking the lease of %s: %s (it expires in %us)\n",
				r.key, err, r.ttl);
		else
			printf("revoked the lease of %s: it is gone\n", r.key);
		json_decref(resp);
	}
	free(r.key_b64);
	free(r.value_b64);
	SSL_CTX_free(r.tls);
	return 0;
}
