// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks over UDP: udp (send a payload, optionally expect a substring of the
 * reply) and dns (one query, the answer must be NOERROR). A connected socket,
 * so an ICMP port unreachable comes back as ECONNREFUSED at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "health/internal.h"
#include "model/checkwire.h"

struct dgram {
	int fd;
	struct event *ev;
	__u8 query[300];
	size_t qlen;
	bool dns;
};

static void dgram_free(struct dgram *d)
{
	if (d->ev)
		event_free(d->ev);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

static void dgram_cancel(struct check_run *r)
{
	dgram_free(r->priv);
	r->priv = NULL;
}

static void dgram_end(struct check_run *r, bool ok, const char *reason)
{
	dgram_free(r->priv);
	r->priv = NULL;
	check_done(r, ok, reason);
}

static void dgram_readable(evutil_socket_t fd, short what, void *arg)
{
	struct check_run *r = arg;
	struct dgram *d = r->priv;
	char buf[1500], why[64];
	ssize_t n;
	int rcode;

	(void)what;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		dgram_end(r, false, errno == ECONNREFUSED ? "port unreachable" : strerror(errno));
		return;
	}
	if (!d->dns) {
		if (shoal_bytes_contain(buf, (size_t)n, r->p->key.check.expect_reply))
			dgram_end(r, true, "replied");
		else
			dgram_end(r, false, "reply does not contain the text");
		return;
	}
	rcode = shoal_dns_answer_rcode((const __u8 *)buf, (size_t)n, d->query, d->qlen);
	/* not the answer to our query: keep waiting (until the timeout) */
	if (rcode < 0)
		return;
	snprintf(why, sizeof(why), "DNS %s", shoal_dns_rcode_name(rcode));
	dgram_end(r, rcode == 0, why);
}

static void dgram_start(struct check_run *r, bool dns)
{
	struct probe *p = r->p;
	const struct shoal_check_conf *c = &p->key.check;
	struct dgram *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d) {
		check_skip(r, ENOMEM);
		return;
	}
	d->fd = -1;
	d->dns = dns;
	r->priv = d;
	if (dns) {
		__u16 id = (__u16)random();

		ret = shoal_dns_query(c->query, id,
				      p->key.family == AF_INET6 ? SHOAL_DNS_TYPE_AAAA
								: SHOAL_DNS_TYPE_A,
				      d->query, sizeof(d->query));
		if (ret < 0) {
			dgram_end(r, false, "cannot build the query");
			return;
		}
		d->qlen = (size_t)ret;
	} else {
		d->qlen = strlen(c->send);
		memcpy(d->query, c->send, d->qlen);
	}
	d->fd = check_socket(p, SOCK_DGRAM);
	if (d->fd < 0) {
		int err = -d->fd;

		d->fd = -1;
		dgram_free(d);
		r->priv = NULL;
		check_skip(r, err);
		return;
	}
	if (connect(d->fd, (struct sockaddr *)&p->sa, p->salen) ||
	    send(d->fd, d->query, d->qlen, 0) < 0) {
		dgram_end(r, false, errno == ECONNREFUSED ? "port unreachable" : strerror(errno));
		return;
	}
	d->ev = event_new(check_base(r), d->fd, EV_READ | EV_PERSIST, dgram_readable, r);
	if (!d->ev || event_add(d->ev, NULL)) {
		dgram_end(r, false, "out of memory");
		return;
	}
}

static void udp_start(struct check_run *r)
{
	dgram_start(r, false);
}

static void dns_start(struct check_run *r)
{
	dgram_start(r, true);
}

const struct check_ops check_udp_ops = { "udp", udp_start, dgram_cancel };
const struct check_ops check_dns_ops = { "dns", dns_start, dgram_cancel };
