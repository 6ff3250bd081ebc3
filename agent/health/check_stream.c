// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks over a TCP connection, non-blocking: tcp (the connect is the check),
 * and with libevent bufferevents http and https (a GET, the status and
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
#include <netinet/tcp.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "health/internal.h"
#include "core/loop.h"
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

static bool status_expected(const struct shoal_check_conf *c, int status)
{
	__u32 i;

	if (!c->nexpect)
		return status >= 200 && status <= 399;
	for (i = 0; i < c->nexpect; i++)
		if (status >= c->expect[i].lo && status <= c->expect[i].hi)
			return true;
	return false;
}

/* Judges what an http(s) check read so far; returns 1 when decided. */
static int http_judge(struct check_run *r, bool eof)
{
	struct stream *s = r->priv;
	struct evbuffer *in = bufferevent_get_input(s->bev);
	const struct shoal_check_conf *c = &r->p->key.check;
	size_t len = evbuffer_get_length(in), body;
	const char *buf = (const char *)evbuffer_pullup(in, -1);
	char why[64];
	int status, ret;

	ret = shoal_http_head_parse(buf ? buf : "", len, &status, &body);
	if (ret == -EAGAIN && !eof)
		return 0;
	if (ret) {
		stream_end(r, false,
			   ret == -EAGAIN ? "HTTP: response cut short"
					  : "HTTP: not an HTTP response");
		return 1;
	}
	if (!status_expected(c, status)) {
		snprintf(why, sizeof(why), "HTTP %d", status);
		stream_end(r, false, why);
		return 1;
	}
	if (!c->body[0]) {
		snprintf(why, sizeof(why), "HTTP %d", status);
		stream_end(r, true, why);
		return 1;
	}
	if (shoal_bytes_contain(buf + body, len - body, c->body)) {
		snprintf(why, sizeof(why), "HTTP %d, body matches", status);
		stream_end(r, true, why);
		return 1;
	}
	if (eof || len >= STREAM_READ_MAX) {
		snprintf(why, sizeof(why), "HTTP %d, body does not contain the text", status);
		stream_end(r, false, why);
		return 1;
	}
	return 0;
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
		if (s->ops == &check_http_ops || s->ops == &check_https_ops) {
			const struct shoal_check_conf *c = &r->p->key.check;
			char host[SHOAL_HEALTH_STR + 8], req[512];
			int n;

			if (c->host[0]) {
				snprintf(host, sizeof(host), "%s", c->host);
			} else {
				char a[INET6_ADDRSTRLEN];
				const void *src = r->p->key.family == AF_INET
							  ? (const void *)&r->p->key.target.u32[3]
							  : (const void *)&r->p->key.target;

				inet_ntop(r->p->key.family, src, a, sizeof(a));
				snprintf(host, sizeof(host),
					 r->p->key.family == AF_INET6 ? "[%s]" : "%s", a);
			}
			n = shoal_check_http_request(c->path, host, req, sizeof(req));
			if (n < 0 || bufferevent_write(bev, req, (size_t)n)) {
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

/*
 * tcp: the connect is the check. At a thousand checks a second each system
 * call and each wake-up counts, so the connection is not watched through
 * epoll: its state is read (TCP_INFO) on the loop's 10 ms check grid until it
 * is established or closed. The latency is the handshake's round trip as the
 * kernel measured it (tcpi_rtt), not the grid's.
 */
#define TCP_POLL_USEC 10000

struct tcp_check {
	int fd;
	struct event *poll;
};

static void tcp_free(struct tcp_check *t)
{
	if (t->poll)
		event_free(t->poll);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static void tcp_cancel(struct check_run *r)
{
	tcp_free(r->priv);
	r->priv = NULL;
}

static void tcp_end(struct check_run *r, int err, __u64 rtt_ns)
{
	tcp_free(r->priv);
	r->priv = NULL;
	if (rtt_ns)
		r->start_ns = shoal_now_ns() - rtt_ns;
	check_done(r, !err,
		   !err			 ? "connected"
		   : err == ECONNREFUSED ? "connection refused"
					 : strerror(err));
}

static void tcp_poll(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval again = { 0, TCP_POLL_USEC };
	struct check_run *r = arg;
	struct tcp_check *t = r->priv;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int err = 0;

	(void)fd;
	(void)what;
	if (getsockopt(t->fd, IPPROTO_TCP, TCP_INFO, &ti, &len)) {
		tcp_end(r, errno, 0);
		return;
	}
	if (ti.tcpi_state == TCP_ESTABLISHED) {
		tcp_end(r, 0, (__u64)ti.tcpi_rtt * 1000);
		return;
	}
	if (ti.tcpi_state == TCP_SYN_SENT) {
		if (event_add(t->poll, &again))
			tcp_end(r, ENOMEM, 0);
		return;
	}
	len = sizeof(err);
	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) || !err)
		err = ECONNRESET;
	tcp_end(r, err, 0);
}

static void tcp_start(struct check_run *r)
{
	static const struct timeval first = { 0, TCP_POLL_USEC };
	struct probe *p = r->p;
	struct tcp_check *t = calloc(1, sizeof(*t));

	if (!t) {
		check_skip(r, ENOMEM);
		return;
	}
	t->fd = check_socket(p, SOCK_STREAM);
	if (t->fd < 0) {
		int err = -t->fd;

		free(t);
		check_skip(r, err);
		return;
	}
	r->priv = t;
	if (connect(t->fd, (struct sockaddr *)&p->sa, p->salen) && errno != EINPROGRESS) {
		tcp_end(r, errno, 0);
		return;
	}
	t->poll = evtimer_new(check_base(r), tcp_poll, r);
	if (!t->poll || event_add(t->poll, &first))
		tcp_end(r, ENOMEM, 0);
}

static void http_start(struct check_run *r)
{
	stream_start(r, &check_http_ops);
}

static void https_start(struct check_run *r)
{
	stream_start(r, &check_https_ops);
}

static void agent_start(struct check_run *r)
{
	stream_start(r, &check_agent_ops);
}

const struct check_ops check_tcp_ops = { "tcp", tcp_start, tcp_cancel };
const struct check_ops check_http_ops = { "http", http_start, stream_cancel };
const struct check_ops check_https_ops = { "https", https_start, stream_cancel };
const struct check_ops check_agent_ops = { "agent", agent_start, stream_cancel };
