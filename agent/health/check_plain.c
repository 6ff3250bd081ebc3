// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks over a plain TCP connection, written for a thousand a second: tcp
 * (the connect is the check) and http (a GET; the status and optionally a
 * substring of the first 8 KiB of the body). Every system call and every
 * wake-up counts at that rate, so the connect is not watched through epoll:
 * its state is read (TCP_INFO) on the loop's 10 ms check grid until it is
 * established or closed, and its latency is the handshake's round trip as
 * the kernel measured it (tcpi_rtt). An http check's answer is read the same
 * way, on the grid, with plain recv() into a fixed buffer; its latency is the
 * handshake plus the time from the request to the last byte (tcpi_last_data_recv).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "core/loop.h"
#include "health/internal.h"
#include "model/checkwire.h"

#define POLL_MS	      10
#define HTTP_READ_MAX (SHOAL_HTTP_HEAD_MAX + 8192)

struct plain {
	int fd;
	struct event *ev; /* the connect's poll timer, then the response's EV_READ */
	bool http;
	__u64 rtt_ns, sent_ns;
	size_t len;
	char buf[]; /* http: HTTP_READ_MAX */
};

static void plain_free(struct plain *c)
{
	if (c->ev)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void plain_cancel(struct check_run *r)
{
	plain_free(r->priv);
	r->priv = NULL;
}

/* Ends the run; latency_ns (when known) replaces the time since the start. */
static void plain_end(struct check_run *r, bool ok, const char *why, __u64 latency_ns)
{
	plain_free(r->priv);
	r->priv = NULL;
	if (latency_ns)
		r->start_ns = shoal_now_ns() - latency_ns;
	check_done(r, ok, why);
}

static void plain_fail(struct check_run *r, int err)
{
	plain_end(r, false, err == ECONNREFUSED ? "connection refused" : strerror(err), 0);
}

/* The answer's latency: the handshake, then from the request to the last byte read. */
static __u64 http_latency(struct plain *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	__u64 now = shoal_now_ns(), last = now;

	if (!getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		last -= (__u64)ti.tcpi_last_data_recv * 1000000ULL;
	return c->rtt_ns + (last > c->sent_ns ? last - c->sent_ns : 0);
}

/* Reads what the answer has so far, on the check grid like the connect. */
static void http_poll(evutil_socket_t fd, short what, void *arg)
{
	struct check_run *r = arg;
	struct plain *c = r->priv;
	char why[64];
	ssize_t n;
	int ret;

	(void)fd;
	(void)what;
	for (;;) {
		n = recv(c->fd, c->buf + c->len, HTTP_READ_MAX - c->len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (n < 0 && errno != EAGAIN) {
		plain_fail(r, errno);
		return;
	}
	if (n > 0)
		c->len += (size_t)n;
	ret = shoal_http_verdict(&r->p->key.check, c->buf, c->len, !n || c->len == HTTP_READ_MAX,
				 why, sizeof(why));
	if (ret != -EAGAIN) {
		plain_end(r, ret == 1, why, http_latency(c));
		return;
	}
	if (event_add(c->ev, check_common_timeout(r->p->room, POLL_MS)))
		plain_fail(r, ENOMEM);
}

/* Established: send the GET, wait for the answer. */
static void http_send(struct check_run *r)
{
	const struct probe *p = r->p;
	struct plain *c = r->priv;

	if (p->request_len < 0 || send(c->fd, p->request, (size_t)p->request_len,
				       MSG_NOSIGNAL | MSG_DONTWAIT) != p->request_len) {
		plain_end(r, false, "cannot send the request", 0);
		return;
	}
	c->sent_ns = shoal_now_ns();
	event_free(c->ev);
	c->ev = evtimer_new(check_base(r), http_poll, r);
	if (!c->ev || event_add(c->ev, check_common_timeout(r->p->room, POLL_MS)))
		plain_fail(r, ENOMEM);
}

static void connect_poll(evutil_socket_t fd, short what, void *arg)
{
	struct check_run *r = arg;
	struct plain *c = r->priv;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int err = 0;

	(void)fd;
	(void)what;
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len)) {
		plain_fail(r, errno);
		return;
	}
	if (ti.tcpi_state == TCP_SYN_SENT) {
		if (event_add(c->ev, check_common_timeout(r->p->room, POLL_MS)))
			plain_fail(r, ENOMEM);
		return;
	}
	if (ti.tcpi_state == TCP_ESTABLISHED) {
		c->rtt_ns = (__u64)ti.tcpi_rtt * 1000;
		if (c->http)
			http_send(r);
		else
			plain_end(r, true, "connected", c->rtt_ns);
		return;
	}
	len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || !err)
		err = ECONNRESET;
	plain_fail(r, err);
}

static void plain_start(struct check_run *r, bool http)
{
	/* the response buffer is not cleared: only what recv() wrote is read */
	struct plain *c = malloc(sizeof(*c) + (http ? HTTP_READ_MAX : 0));
	int fd;

	if (c)
		memset(c, 0, sizeof(*c));
	if (!c) {
		check_skip(r, ENOMEM);
		return;
	}
	fd = check_socket(r->p, SOCK_STREAM);
	if (fd < 0) {
		free(c);
		check_skip(r, -fd);
		return;
	}
	c->fd = fd;
	c->http = http;
	r->priv = c;
	if (connect(fd, (struct sockaddr *)&r->p->sa, r->p->salen) && errno != EINPROGRESS) {
		plain_fail(r, errno);
		return;
	}
	c->ev = evtimer_new(check_base(r), connect_poll, r);
	if (!c->ev || event_add(c->ev, check_common_timeout(r->p->room, POLL_MS)))
		plain_fail(r, ENOMEM);
}

static void tcp_start(struct check_run *r)
{
	plain_start(r, false);
}

static void http_start(struct check_run *r)
{
	plain_start(r, true);
}

const struct check_ops check_tcp_ops = { "tcp", tcp_start, plain_cancel };
const struct check_ops check_http_ops = { "http", http_start, plain_cancel };
