// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks over a TCP connection with libevent bufferevents: https (a GET, the status and
 * optionally a substring of the body), and agent (HAProxy's agent-check: read
 * one line). https runs TLS with OpenSSL as a bufferevent filter; the peer's
 * certificate is not verified: the check asks "does it serve", not "whom".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "health/internal.h"
#include "model/checkwire.h"

#define STREAM_READ_MAX (64 * 1024) /* more of a reply than this is not read */

struct stream {
	struct bufferevent *bev;
	const struct check_ops *ops;
};

static void stream_free(struct stream *s)
{
	if (s->bev)
		bufferevent_free(s->bev);
	free(s);
}

static void stream_cancel(struct check_run *r)
{
	stream_free(r->priv);
	r->priv = NULL;
}

static void stream_end(struct check_run *r, bool ok, const char *reason)
{
	stream_free(r->priv);
	r->priv = NULL;
	check_done(r, ok, reason);
}

/* Judges what an https check read so far; returns 1 when decided. */
static int http_judge(struct check_run *r, bool eof)
{
	struct stream *s = r->priv;
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t len = evbuffer_get_length(in);
	const char *buf = (const char *)evbuffer_pullup(in, -1);
	char why[64];
	int ret = shoal_http_verdict(&r->p->key.check, buf ? buf : "", len,
				     eof || len >= STREAM_READ_MAX, why, sizeof(why));

	if (ret == -EAGAIN)
		return 0;
	stream_end(r, ret == 1, why);
	return 1;
}

/* Judges an agent's reply once a line (or the end) is in. */
static int agent_judge(struct check_run *r, bool eof)
{
	struct stream *s = r->priv;
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t len = evbuffer_get_length(in);
	const char *buf = (const char *)evbuffer_pullup(in, -1);
	const char *nl = buf ? memchr(buf, '\n', len) : NULL;
	struct probe *p = r->p;
	struct shoal_agent_reply rep;

	if (!nl && !eof && len < sizeof(p->agent_line))
		return 0;
	if (nl)
		len = (size_t)(nl - buf);
	if (len >= sizeof(p->agent_line) || shoal_agent_parse(buf ? buf : "", len, &rep)) {
		stream_end(r, false, "agent: not an agent-check reply");
		return 1;
	}
	p->agent = rep;
	memcpy(p->agent_line, buf, len);
	p->agent_line[len] = 0;
	while (len && (p->agent_line[len - 1] == '\r'))
		p->agent_line[--len] = 0;
	stream_end(r, true, "agent replied");
	return 1;
}

static void stream_read(struct bufferevent *bev, void *arg)
{
	struct check_run *r = arg;
	struct stream *s = r->priv;

	(void)bev;
	if (s->ops == &check_agent_ops)
		agent_judge(r, false);
	else
		http_judge(r, false);
}

static void stream_event(struct bufferevent *bev, short what, void *arg)
{
	struct check_run *r = arg;
	struct stream *s = r->priv;
	char why[96];

	if (what & BEV_EVENT_CONNECTED) {
		if (s->ops == &check_https_ops) {
			if (r->p->request_len < 0 ||
			    bufferevent_write(bev, r->p->request, (size_t)r->p->request_len)) {
				stream_end(r, false, "cannot send the request");
				return;
			}
		}
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (s->ops == &check_agent_ops)
			agent_judge(r, true);
		else
			http_judge(r, true);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int err = EVUTIL_SOCKET_ERROR();
		unsigned long ssl_err =
			s->ops == &check_https_ops ? bufferevent_get_openssl_error(bev) : 0;

		if (ssl_err)
			snprintf(why, sizeof(why), "TLS: %.80s",
				 ERR_reason_error_string(ssl_err) ? ERR_reason_error_string(ssl_err)
								  : "handshake failed");
		else if (err == ECONNREFUSED)
			snprintf(why, sizeof(why), "connection refused");
		else
			snprintf(why, sizeof(why), "%s", err ? strerror(err) : "connection failed");
		stream_end(r, false, why);
	}
}

static void stream_start(struct check_run *r, const struct check_ops *ops)
{
	struct probe *p = r->p;
	struct stream *s;
	struct bufferevent *sock_bev;
	int fd;

	s = calloc(1, sizeof(*s));
	if (!s) {
		check_skip(r, ENOMEM);
		return;
	}
	s->ops = ops;
	fd = check_socket(p, SOCK_STREAM);
	if (fd < 0) {
		free(s);
		check_skip(r, -fd);
		return;
	}
	r->priv = s;
	sock_bev = bufferevent_socket_new(check_base(r), fd, BEV_OPT_CLOSE_ON_FREE);
	if (!sock_bev) {
		close(fd);
		free(s);
		r->priv = NULL;
		check_skip(r, ENOMEM);
		return;
	}
	s->bev = sock_bev;
	if (ops == &check_https_ops) {
		SSL_CTX *ctx = check_ssl_ctx(p->room);
		SSL *ssl = ctx ? SSL_new(ctx) : NULL;
		const char *sni = p->key.check.host;
		struct in6_addr scratch;

		if (!ssl) {
			stream_end(r, false, "TLS: cannot make a session");
			return;
		}
		/* SNI names a host, never an address (RFC 6066 sec. 3) */
		if (sni[0] && inet_pton(AF_INET, sni, &scratch) != 1 &&
		    inet_pton(AF_INET6, sni, &scratch) != 1)
			SSL_set_tlsext_host_name(ssl, sni);
		s->bev = bufferevent_openssl_filter_new(check_base(r), sock_bev, ssl,
							BUFFEREVENT_SSL_CONNECTING,
							BEV_OPT_CLOSE_ON_FREE);
		if (!s->bev) {
			SSL_free(ssl);
			s->bev = sock_bev;
			stream_end(r, false, "TLS: cannot make a session");
			return;
		}
	}
	bufferevent_setcb(s->bev, stream_read, NULL, stream_event, r);
	bufferevent_setwatermark(s->bev, EV_READ, 0, STREAM_READ_MAX);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(sock_bev, (struct sockaddr *)&p->sa, (int)p->salen)) {
		int err = EVUTIL_SOCKET_ERROR();

		stream_end(r, false, err == ECONNREFUSED ? "connection refused" : strerror(err));
	}
}

static void https_start(struct check_run *r)
{
	stream_start(r, &check_https_ops);
}

static void agent_start(struct check_run *r)
{
	stream_start(r, &check_agent_ops);
}

const struct check_ops check_https_ops = { "https", https_start, stream_cancel };
const struct check_ops check_agent_ops = { "agent", agent_start, stream_cancel };
