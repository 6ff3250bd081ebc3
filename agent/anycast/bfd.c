// SPDX-License-Identifier: GPL-2.0-only
/*
 * BFD (RFC 5880, single hop RFC 5881, asynchronous mode) to each BGP peer
 * that has it on: the three-way handshake, slow transmission (1 s) until
 * Up, then the configured interval through a Poll sequence; jittered
 * transmission (75-100%), detection time = the peer's multiplier times the
 * agreed interval. Packets are sent and accepted with TTL 255 only (GTSM).
 * A session that was Up and goes Down ends its BGP session at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "anycast/internal.h"
#include "core/log.h"
#include "core/loop.h"
#include "model/addr.h"
#include "model/bfdwire.h"

#define SLOW_TX_US 1000000 /* RFC 5880 6.8.3: at least 1 s while not Up */

struct bfd_sess {
	struct bfd_room *room;
	size_t peer;
	int family;
	struct shoal_addr addr;
	int fd; /* sends from a port of 49152-65535 */
	__u8 state, remote_state, diag;
	__u32 local_disc, remote_disc;
	__u32 desired_tx_us, required_rx_us;
	__u32 remote_min_rx_us, remote_min_tx_us;
	__u8 mult, remote_mult;
	bool poll; /* a Poll sequence is under way */
	struct shoal_timer *tx, *detect;
	bool configured;
};

struct bfd_room {
	struct shoal_loop *loop;
	struct bgp_speaker *bgp;
	struct bfd_sess s[SHOAL_BGP_MAX_PEERS];
	size_t n;
	int rx_fd[2]; /* v4, v6 */
	struct event *rx_ev[2];
};

static void send_ctl(struct bfd_sess *s, bool final)
{
	struct bfd_pkt p = {
		.diag = s->diag,
		.state = s->state,
		.poll = s->poll && !final,
		.final = final,
		.detect_mult = s->mult,
		.my_disc = s->local_disc,
		.your_disc = s->remote_disc,
		.min_tx_us = s->desired_tx_us,
		.min_rx_us = s->required_rx_us,
	};
	struct sockaddr_storage ss;
	socklen_t len;
	__u8 buf[BFD_PKT_LEN];

	bgp_sockaddr(&s->addr, s->family, BFD_PORT, &ss, &len);
	bfd_encode(buf, sizeof(buf), &p);
	sendto(s->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss, len);
}

static __u64 tx_interval_us(const struct bfd_sess *s)
{
	__u64 t = s->desired_tx_us > s->remote_min_rx_us ? s->desired_tx_us : s->remote_min_rx_us;

	/* RFC 5880 6.8.7: 75-100% of the interval (at most 90% with a multiplier of 1) */
	return t * (75 + (__u64)(random() % (s->mult == 1 ? 16 : 26))) / 100;
}

static void tx_fire(void *arg)
{
	struct bfd_sess *s = arg;

	/* a peer that asks for no packets (min rx 0) gets none */
	if (s->remote_min_rx_us || !s->remote_disc)
		send_ctl(s, false);
	shoal_timer_arm(s->tx, tx_interval_us(s));
}

static void set_state(struct bfd_sess *s, __u8 st, __u8 diag)
{
	char name[64];
	__u8 old = s->state;

	if (old == st)
		return;
	s->state = st;
	s->diag = diag;
	log_info("bfd %s: %s -> %s%s", shoal_addr_format(&s->addr, name, sizeof(name)),
		 bfd_state_name(old), bfd_state_name(st),
		 diag == BFD_DIAG_EXPIRED	  ? " (detection time expired)"
		 : diag == BFD_DIAG_NEIGHBOR_DOWN ? " (the neighbor said down)"
						  : "");
	if (st == BFD_UP) {
		/* the configured rate now, agreed through a Poll sequence */
		s->desired_tx_us = s->required_rx_us;
		s->poll = true;
		send_ctl(s, false);
		/* the faster rate from now on, not after the slow timer's turn */
		shoal_timer_arm(s->tx, tx_interval_us(s));
	} else if (old == BFD_UP) {
		s->desired_tx_us = SLOW_TX_US;
		s->poll = false;
		if (s->room->bgp)
			bgp_bfd_down(s->room->bgp, s->peer);
	}
}

static void detect_fire(void *arg)
{
	struct bfd_sess *s = arg;

	if (s->state == BFD_INIT || s->state == BFD_UP) {
		s->remote_disc = 0;
		set_state(s, BFD_DOWN, BFD_DIAG_EXPIRED);
	}
}

static void detect_arm(struct bfd_sess *s)
{
	__u64 t = s->required_rx_us > s->remote_min_tx_us ? s->required_rx_us : s->remote_min_tx_us;

	shoal_timer_arm(s->detect, t * s->remote_mult);
}

/* RFC 5880 6.8.6, after the checks bfd_decode() makes. */
static void receive(struct bfd_sess *s, const struct bfd_pkt *p)
{
	s->remote_disc = p->my_disc;
	s->remote_state = p->state;
	s->remote_min_rx_us = p->min_rx_us;
	s->remote_min_tx_us = p->min_tx_us;
	s->remote_mult = p->detect_mult;
	if (p->final)
		s->poll = false;
	if (s->state == BFD_ADMIN_DOWN)
		return;
	if (p->state == BFD_ADMIN_DOWN) {
		if (s->state != BFD_DOWN)
			set_state(s, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN);
	} else if (s->state == BFD_DOWN) {
		if (p->state == BFD_DOWN)
			set_state(s, BFD_INIT, BFD_DIAG_NONE);
		else if (p->state == BFD_INIT)
			set_state(s, BFD_UP, BFD_DIAG_NONE);
	} else if (s->state == BFD_INIT) {
		if (p->state == BFD_INIT || p->state == BFD_UP)
			set_state(s, BFD_UP, BFD_DIAG_NONE);
	} else if (p->state == BFD_DOWN) {
		set_state(s, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN);
	}
	if (p->poll)
		send_ctl(s, true);
	if (s->state != BFD_DOWN)
		detect_arm(s);
}

static void rx_some(struct bfd_room *r, int fd);

static void on_rx(evutil_socket_t fd, short what, void *arg)
{
	struct bfd_room *r = arg;
	__u64 start = shoal_loop_enter();

	(void)what;
	rx_some(r, fd);
	shoal_loop_leave(r->loop, "bfd rx", start);
}

static void rx_some(struct bfd_room *r, int fd)
{
	int budget;

	for (budget = 0; budget < 64; budget++) {
		union {
			char buf[CMSG_SPACE(sizeof(int)) * 2];
			struct cmsghdr align;
		} cbuf;
		struct sockaddr_storage from;
		__u8 pkt[128];
		struct iovec iov = { pkt, sizeof(pkt) };
		struct msghdr m = { .msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf.buf,
				    .msg_controllen = sizeof(cbuf.buf) };
		struct cmsghdr *cm;
		struct shoal_addr src = { 0 };
		struct bfd_pkt p;
		const char *why;
		int ttl = -1, fam;
		ssize_t n;
		size_t i;

		n = recvmsg(fd, &m, MSG_DONTWAIT);
		if (n < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
			if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
			    (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT))
				memcpy(&ttl, CMSG_DATA(cm), sizeof(ttl));
		if (ttl != BFD_TTL || bfd_decode(pkt, (size_t)n, &p, &why))
			continue;
		fam = bgp_addr_of(&from, &src);
		for (i = 0; i < r->n; i++) {
			struct bfd_sess *s = &r->s[i];

			if (!s->configured)
				continue;
			if (p.your_disc
				    ? p.your_disc == s->local_disc
				    : s->family == fam && !memcmp(&s->addr, &src, sizeof(src))) {
				receive(s, &p);
				break;
			}
		}
	}
}

static int rx_open(struct bfd_room *r, int family)
{
	int fd, one = 1, idx = family == AF_INET ? 0 : 1;
	const struct shoal_addr any = { 0 };
	struct sockaddr_storage ss;
	socklen_t len;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bgp_sockaddr(&any, family, BFD_PORT, &ss, &len);
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	r->rx_fd[idx] = fd;
	r->rx_ev[idx] = event_new(shoal_loop_base(r->loop), fd, EV_READ | EV_PERSIST, on_rx, r);
	if (!r->rx_ev[idx] || event_add(r->rx_ev[idx], NULL))
		return -ENOMEM;
	return 0;
}

/* The sending socket: TTL 255 from a source port of 49152-65535 (RFC 5881 4). */
static int tx_open(struct bfd_sess *s, const struct shoal_bgp_peer_conf *pc)
{
	int fd, ttl = BFD_TTL, i;

	fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (s->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
	for (i = 0; i < 64; i++) {
		const struct shoal_addr any = { 0 };
		struct sockaddr_storage ss;
		socklen_t len;

		bgp_sockaddr(pc->have_source ? &pc->source : &any, s->family,
			     (__u16)(BFD_SPORT_LO + random() % 16384), &ss, &len);
		if (!bind(fd, (struct sockaddr *)&ss, len)) {
			s->fd = fd;
			return 0;
		}
	}
	close(fd);
	return -EADDRINUSE;
}

int bfd_open(struct shoal_loop *l, const struct shoal_anycast_conf *c, struct bgp_speaker *sp,
	     struct bfd_room **ret)
{
	struct bfd_room *r = calloc(1, sizeof(*r));
	bool fam[2] = { false, false };
	size_t i;
	int err = 0;

	if (!r)
		return -ENOMEM;
	r->loop = l;
	r->bgp = sp;
	r->rx_fd[0] = r->rx_fd[1] = -1;
	r->n = c->npeers;
	for (i = 0; i < c->npeers; i++) {
		const struct shoal_bgp_peer_conf *pc = &c->peers[i];
		struct bfd_sess *s = &r->s[i];

		s->fd = -1;
		if (!pc->bfd)
			continue;
		s->room = r;
		s->peer = i;
		s->configured = true;
		s->family = pc->family;
		s->addr = pc->addr;
		s->state = BFD_DOWN;
		s->local_disc = ((__u32)random() << 8 ^ (__u32)i) | 1;
		s->desired_tx_us = SLOW_TX_US;
		s->required_rx_us = c->bfd.interval_ms * 1000;
		s->remote_min_rx_us = 1;
		s->mult = (__u8)c->bfd.multiplier;
		s->tx = shoal_timer_new(l, "bfd tx", tx_fire, s);
		s->detect = shoal_timer_new(l, "bfd detect", detect_fire, s);
		if (!s->tx || !s->detect) {
			err = -ENOMEM;
			break;
		}
		err = tx_open(s, pc);
		if (err)
			break;
		fam[pc->family == AF_INET ? 0 : 1] = true;
		shoal_timer_arm(s->tx, tx_interval_us(s));
	}
	for (i = 0; i < 2 && !err; i++)
		if (fam[i])
			err = rx_open(r, i ? AF_INET6 : AF_INET);
	if (err) {
		log_err("bfd: cannot open its sockets: %s", strerror(-err));
		bfd_close(r);
		return err;
	}
	*ret = r;
	return 0;
}

void bfd_close(struct bfd_room *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		struct bfd_sess *s = &r->s[i];

		shoal_timer_free(s->tx);
		shoal_timer_free(s->detect);
		if (s->fd >= 0)
			close(s->fd);
	}
	for (i = 0; i < 2; i++) {
		if (r->rx_ev[i])
			event_free(r->rx_ev[i]);
		if (r->rx_fd[i] >= 0)
			close(r->rx_fd[i]);
	}
	free(r);
}

const char *bfd_peer_state(struct bfd_room *r, size_t peer, bool *up)
{
	if (peer >= r->n || !r->s[peer].configured)
		return NULL;
	*up = r->s[peer].state == BFD_UP;
	return bfd_state_name(r->s[peer].state);
}
