// SPDX-License-Identifier: GPL-2.0-only
/*
 * The BGP sessions: RFC 4271's state machine per configured peer over
 * libevent bufferevents, with the messages from model/bgpwire.c. A peer
 * may have two connections for a moment (ours and theirs); when the second
 * OPEN arrives the collision is resolved by router id (RFC 4271 6.8).
 * Established sessions carry the prefixes the room wants (Adj-RIB-Out kept
 * per peer, sorted, diffed on every change) and an End-of-RIB per family.
 * Routes received are counted and dropped. Anything malformed ends the
 * session with the NOTIFICATION the decoder names.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "anycast/internal.h"
#include "core/accept.h"
#include "core/log.h"
#include "core/loop.h"
#include "model/addr.h"

#define OPEN_HOLD_S   240	 /* RFC 4271 8: the hold time before OPEN is known */
#define RETRY_MAX_S   60	 /* connect retry backs off to this */
#define OUT_MAX_BYTES (4U << 20) /* a peer that reads nothing is dropped past this */

enum { S_IDLE, S_CONNECT, S_ACTIVE, S_OPENSENT, S_OPENCONFIRM, S_ESTABLISHED };
static const char *const state_names[] = { "idle",     "connect",     "active",
					   "opensent", "openconfirm", "established" };

struct peer;

struct conn {
	struct peer *peer;
	struct bufferevent *bev;
	int state;
	bool incoming;
	struct shoal_timer *hold;
	struct bgp_open open; /* the peer's, from OPENSENT on */
	struct sockaddr_storage local;
};

struct peer {
	struct bgp_speaker *sp;
	struct shoal_bgp_peer_conf c;
	size_t idx;
	int state;
	struct conn *out, *in, *est;
	struct shoal_timer *retry, *keepalive;
	unsigned int retries;
	__u64 since_ns, transitions;
	char last_error[160];
	struct bgp_open mine;
	__u32 hold_s; /* negotiated */
	bool v4, v6, refresh, gr;
	struct want *adv; /* announced to it, sorted */
	size_t nadv, cap;
	__u64 rx_announced, rx_withdrawn;
	__u64 msgs[2][BGP_TYPE_MAX];
};

struct bgp_speaker {
	struct shoal_loop *loop;
	struct shoal_anycast_conf conf;
	bool restarted;
	struct peer peers[SHOAL_BGP_MAX_PEERS];
	size_t npeers;
	int lfd;
	struct event *lev;
	struct want *wants;
	size_t nwants;
};

static void conn_free(struct conn *c);
static void peer_start(struct peer *p);

static const char *peer_name(const struct peer *p, char *buf, size_t len);

static void set_state(struct peer *p, int st)
{
	char name[64];

	if (p->state == st)
		return;
	log_debug("bgp %s: %s -> %s", peer_name(p, name, sizeof(name)), state_names[p->state],
		  state_names[st]);
	p->state = st;
	p->since_ns = shoal_now_ns();
	p->transitions++;
}

static const char *peer_name(const struct peer *p, char *buf, size_t len)
{
	return shoal_addr_format(&p->c.addr, buf, len);
}

static void send_msg(struct conn *c, const __u8 *buf, int len)
{
	struct peer *p = c->peer;

	if (len <= 0 || !c->bev)
		return;
	bufferevent_write(c->bev, buf, (size_t)len);
	p->msgs[1][buf[18] < BGP_TYPE_MAX ? buf[18] : 0]++;
}

/* What c has not written yet, out now: freeing a bufferevent drops it. */
static void conn_flush(struct conn *c)
{
	struct evbuffer *out;

	if (!c->bev)
		return;
	out = bufferevent_get_output(c->bev);
	/* libevent freezes the front of a socket bufferevent's output: it is going anyway */
	evbuffer_unfreeze(out, 1);
	evbuffer_write(out, bufferevent_getfd(c->bev));
}

/* Sends a NOTIFICATION and closes c (a NOTIFICATION ends a session: RFC 4271 4.5). */
static void conn_fail(struct conn *c, const struct bgp_err *e, const char *why)
{
	struct peer *p = c->peer;
	char name[64], words[96];
	__u8 buf[64];

	bgp_err_name(e->code, e->subcode, words, sizeof(words));
	snprintf(p->last_error, sizeof(p->last_error), "sent %s%s%s", words, why ? ": " : "",
		 why ? why : "");
	log_warn("bgp %s: %s", peer_name(p, name, sizeof(name)), p->last_error);
	send_msg(c, buf, bgp_notification_encode(buf, sizeof(buf), e));
	conn_flush(c);
	conn_free(c);
}

static void conn_fail_code(struct conn *c, __u8 code, __u8 sub, const char *why)
{
	struct bgp_err e = { .code = code, .subcode = sub };

	conn_fail(c, &e, why);
}

static void hold_expired(void *arg)
{
	struct conn *c = arg;

	if (c->state == S_CONNECT) {
		snprintf(c->peer->last_error, sizeof(c->peer->last_error), "connect timed out");
		conn_free(c);
		return;
	}
	conn_fail_code(c, BGP_E_HOLD, 0, NULL);
}

static void hold_restart(struct conn *c)
{
	__u32 s = c->state >= S_OPENCONFIRM ? c->peer->hold_s : OPEN_HOLD_S;

	if (c->state == S_CONNECT)
		s = c->peer->sp->conf.connect_retry_s;
	if (s)
		shoal_timer_arm(c->hold, (__u64)s * 1000000);
	else
		shoal_timer_cancel(c->hold);
}

static void keepalive_tick(void *arg)
{
	struct peer *p = arg;
	__u8 buf[BGP_HDR_LEN];

	if (!p->est)
		return;
	send_msg(p->est, buf, bgp_keepalive_encode(buf, sizeof(buf)));
	shoal_timer_arm(p->keepalive, (__u64)p->hold_s * 1000000 / 3);
}

static void retry_fire(void *arg)
{
	peer_start(arg);
}

/* A connection gone: the peer's state follows the one left, or it retries. */
static void conn_free(struct conn *c)
{
	struct peer *p = c->peer;
	char name[64];

	if (c->bev)
		bufferevent_free(c->bev);
	shoal_timer_free(c->hold);
	if (p->out == c)
		p->out = NULL;
	if (p->in == c)
		p->in = NULL;
	if (p->est == c) {
		p->est = NULL;
		p->nadv = 0;
		shoal_timer_cancel(p->keepalive);
		log_warn("bgp %s: session down (%s)", peer_name(p, name, sizeof(name)),
			 p->last_error[0] ? p->last_error : "closed");
	}
	free(c);
	if (p->out || p->in) {
		struct conn *o = p->out ? p->out : p->in;

		set_state(p, o->state);
		return;
	}
	set_state(p, p->c.passive ? S_ACTIVE : S_IDLE);
	if (!p->c.passive && p->sp) {
		unsigned int s = p->sp->conf.connect_retry_s << (p->retries < 4 ? p->retries : 4);

		if (s > RETRY_MAX_S)
			s = RETRY_MAX_S;
		p->retries++;
		/* spread: 75-100% of the interval (RFC 4271 10) */
		shoal_timer_arm(p->retry, (__u64)s * 1000000 * (75 + (__u64)(random() % 26)) / 100);
	}
}

static bool family_on(const struct peer *p, int family)
{
	return family == AF_INET ? p->v4 : p->v6;
}

static void announce(struct peer *p, const struct want *w)
{
	struct bgp_attrs a;
	struct bgp_prefix bp;
	__u8 buf[BGP_MAX_LEN];

	bgp_attrs_of(&p->sp->conf, &p->c, &p->est->local, p->est->open.as4, w, &a);
	bgp_prefix_of(w, &bp);
	send_msg(p->est, buf, bgp_update_announce(buf, sizeof(buf), &a, &bp));
}

static void withdraw(struct peer *p, const struct want *w)
{
	struct bgp_prefix bp;
	__u8 buf[128];

	bgp_prefix_of(w, &bp);
	send_msg(p->est, buf, bgp_update_withdraw(buf, sizeof(buf), &bp));
}

/* Makes what peer p carries follow the wants: a merge of two sorted lists. */
static void peer_sync(struct peer *p)
{
	struct bgp_speaker *sp = p->sp;
	struct want *next;
	size_t i = 0, j = 0, n = 0;

	if (!p->est || p->est->state != S_ESTABLISHED)
		return;
	next = calloc(sp->nwants ? sp->nwants : 1, sizeof(*next));
	if (!next)
		return;
	while (i < sp->nwants || j < p->nadv) {
		const struct want *w = i < sp->nwants ? &sp->wants[i] : NULL;
		const struct want *o = j < p->nadv ? &p->adv[j] : NULL;
		int cmp = !w ? 1 : !o ? -1 : want_cmp(w, o);

		if (w && !family_on(p, w->family)) {
			i++;
			continue;
		}
		if (cmp < 0) {
			announce(p, w);
			next[n++] = *w;
			i++;
		} else if (cmp > 0) {
			withdraw(p, o);
			j++;
		} else {
			if (memcmp(&w->attrs, &o->attrs, sizeof(w->attrs)))
				announce(p, w);
			next[n++] = *w;
			i++;
			j++;
		}
	}
	free(p->adv);
	p->adv = next;
	p->nadv = n;
	if (p->est && evbuffer_get_length(bufferevent_get_output(p->est->bev)) > OUT_MAX_BYTES)
		conn_fail_code(p->est, BGP_E_CEASE, BGP_SUB_CEASE_RESOURCES,
			       "the peer reads nothing");
}

/* Everything again (session up, ROUTE-REFRESH), then the End-of-RIB of each family. */
static void peer_full(struct peer *p)
{
	__u8 buf[64];

	p->nadv = 0;
	peer_sync(p);
	if (!p->est)
		return;
	if (p->v4)
		send_msg(p->est, buf, bgp_update_eor(buf, sizeof(buf), BGP_AFI_IPV4));
	if (p->v6)
		send_msg(p->est, buf, bgp_update_eor(buf, sizeof(buf), BGP_AFI_IPV6));
}

/* The second OPEN of a collision: the connection the higher router id opened stays. */
static bool collision_lost(struct conn *c)
{
	struct peer *p = c->peer;
	struct conn *other = c == p->out ? p->in : p->out;
	bool keep_incoming;

	if (!other || other->state < S_OPENSENT)
		return false;
	if (other->state == S_ESTABLISHED) {
		conn_fail_code(c, BGP_E_CEASE, BGP_SUB_CEASE_COLLISION, "a session is up");
		return true;
	}
	if (other->state == S_OPENSENT) {
		/* the other has no OPEN yet: wait for it, decide then */
		return false;
	}
	keep_incoming = p->sp->conf.router_id < c->open.router_id;
	if (c->incoming == keep_incoming) {
		conn_fail_code(other, BGP_E_CEASE, BGP_SUB_CEASE_COLLISION, NULL);
		return false;
	}
	conn_fail_code(c, BGP_E_CEASE, BGP_SUB_CEASE_COLLISION, NULL);
	return true;
}

static void got_open(struct conn *c, const __u8 *msg, size_t len)
{
	struct peer *p = c->peer;
	struct bgp_err e;
	__u8 buf[BGP_HDR_LEN];
	__u32 hold;

	if (bgp_open_decode(msg, len, p->c.peer_as, p->sp->conf.router_id, &c->open, &e)) {
		conn_fail(c, &e, "in their OPEN");
		return;
	}
	c->state = S_OPENCONFIRM;
	if (collision_lost(c))
		return;
	hold = p->c.hold_s ? p->c.hold_s : p->sp->conf.hold_s;
	p->hold_s = c->open.hold < hold ? c->open.hold : hold;
	p->v4 = bgp_open_family(&p->mine, &c->open, BGP_AFI_IPV4);
	p->v6 = bgp_open_family(&p->mine, &c->open, BGP_AFI_IPV6);
	p->refresh = c->open.refresh;
	p->gr = c->open.gr && p->mine.gr;
	set_state(p, S_OPENCONFIRM);
	send_msg(c, buf, bgp_keepalive_encode(buf, sizeof(buf)));
	hold_restart(c);
}

static void got_update(struct conn *c, const __u8 *msg, size_t len)
{
	struct peer *p = c->peer;
	struct bgp_update_info u;
	struct bgp_err e;

	if (bgp_update_decode(msg, len, c->open.as4, &u, &e)) {
		conn_fail(c, &e, "in their UPDATE");
		return;
	}
	p->rx_withdrawn += u.withdrawn;
	if (u.treat_as_withdraw) {
		char name[64], words[96];

		bgp_err_name(u.why.code, u.why.subcode, words, sizeof(words));
		log_debug("bgp %s: UPDATE treated as withdraw (RFC 7606): %s",
			  peer_name(p, name, sizeof(name)), words);
		p->rx_withdrawn += u.announced;
	} else {
		p->rx_announced += u.announced;
	}
}

static void established(struct conn *c)
{
	struct peer *p = c->peer;
	char name[64], rid[BGP_ID_STRLEN];

	c->state = S_ESTABLISHED;
	p->est = c;
	p->retries = 0;
	p->last_error[0] = '\0';
	set_state(p, S_ESTABLISHED);
	log_info("bgp %s: established (AS %u, id %s, hold %us%s%s%s)",
		 peer_name(p, name, sizeof(name)), c->open.as,
		 bgp_id_format(c->open.router_id, rid), p->hold_s, p->v4 ? ", ipv4" : "",
		 p->v6 ? ", ipv6" : "", p->gr ? ", graceful restart" : "");
	if (p->hold_s)
		shoal_timer_arm(p->keepalive, (__u64)p->hold_s * 1000000 / 3);
	peer_full(p);
}

/* One message of type from c; false once c is gone. */
static bool dispatch(struct conn *c, __u8 type, const __u8 *msg, size_t len)
{
	struct peer *p = c->peer;
	struct bgp_err e;

	p->msgs[0][type]++;
	if (type == BGP_NOTIFICATION) {
		char name[64], words[96];

		if (bgp_notification_decode(msg, len, &e))
			e = (struct bgp_err){ 0 };
		bgp_err_name(e.code, e.subcode, words, sizeof(words));
		snprintf(p->last_error, sizeof(p->last_error), "received %s", words);
		log_warn("bgp %s: %s", peer_name(p, name, sizeof(name)), p->last_error);
		conn_free(c);
		return false;
	}
	hold_restart(c);
	switch (c->state) {
	case S_OPENSENT:
		if (type != BGP_OPEN) {
			conn_fail_code(c, BGP_E_FSM, 1, "expected OPEN");
			return false;
		}
		got_open(c, msg, len);
		break;
	case S_OPENCONFIRM:
		if (type != BGP_KEEPALIVE) {
			conn_fail_code(c, BGP_E_FSM, 2, "expected KEEPALIVE");
			return false;
		}
		established(c);
		break;
	case S_ESTABLISHED:
		if (type == BGP_UPDATE) {
			got_update(c, msg, len);
		} else if (type == BGP_ROUTE_REFRESH) {
			__u16 afi;
			__u8 safi;

			if (!p->refresh) {
				e = (struct bgp_err){ .code = BGP_E_HEADER,
						      .subcode = BGP_SUB_HDR_TYPE,
						      .data = { type },
						      .data_len = 1 };
				conn_fail(c, &e, "ROUTE-REFRESH was not negotiated");
				return false;
			}
			if (!bgp_refresh_decode(msg, len, &afi, &safi))
				peer_full(p);
		} else if (type == BGP_OPEN) {
			conn_fail_code(c, BGP_E_FSM, 3, "OPEN in an established session");
			return false;
		}
		break;
	default:
		break;
	}
	return p->in == c || p->out == c;
}

static void conn_read_msgs(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	__u8 msg[BGP_MAX_LEN];

	while (evbuffer_get_length(in) >= BGP_HDR_LEN) {
		struct bgp_err e;
		__u16 len;
		__u8 type;

		evbuffer_copyout(in, msg, BGP_HDR_LEN);
		if (bgp_header_check(msg, BGP_HDR_LEN, &type, &len, &e)) {
			conn_fail(c, &e, "in a message header");
			return;
		}
		if (evbuffer_get_length(in) < len)
			return;
		evbuffer_remove(in, msg, len);
		if (!dispatch(c, type, msg, len))
			return;
	}
}

/* Every handler is timed (core/loop.h): the peer's messages, however many came. */
static void conn_read(struct bufferevent *bev, void *arg)
{
	struct shoal_loop *l = ((struct conn *)arg)->peer->sp->loop;
	__u64 start = shoal_loop_enter();

	conn_read_msgs(bev, arg);
	shoal_loop_leave(l, "bgp read", start);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	struct peer *p = c->peer;
	__u8 buf[BGP_MAX_LEN];
	socklen_t sl = sizeof(c->local);

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		getsockname(bufferevent_getfd(c->bev), (struct sockaddr *)&c->local, &sl);
		c->state = S_OPENSENT;
		set_state(p, S_OPENSENT);
		hold_restart(c);
		send_msg(c, buf, bgp_open_encode(buf, sizeof(buf), &p->mine));
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (what & BEV_EVENT_ERROR)
			snprintf(p->last_error, sizeof(p->last_error), "%s",
				 strerror(EVUTIL_SOCKET_ERROR()));
		else if (!p->last_error[0] || c->state == S_ESTABLISHED)
			snprintf(p->last_error, sizeof(p->last_error), "closed by the peer");
		conn_free(c);
	}
}

static struct conn *conn_new(struct peer *p, int fd, bool incoming)
{
	struct event_base *base = shoal_loop_base(p->sp->loop);
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return NULL;
	}
	c->peer = p;
	c->incoming = incoming;
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->hold = shoal_timer_new(p->sp->loop, "bgp hold", hold_expired, c);
	if (!c->bev || !c->hold) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		shoal_timer_free(c->hold);
		free(c);
		return NULL;
	}
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 65536);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return c;
}

static void peer_start(struct peer *p)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char name[64];
	int fd, ret;

	if (p->c.passive || p->out || p->est)
		return;
	fd = socket(p->c.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	bgp_sock_opts(&p->c, fd);
	ret = bgp_md5_key(fd, p->c.family, &p->c);
	if (ret) {
		close(fd);
		errno = -ret;
		goto fail;
	}
	if (p->c.have_source) {
		bgp_sockaddr(&p->c.source, p->c.family, 0, &ss, &len);
		if (bind(fd, (struct sockaddr *)&ss, len)) {
			close(fd);
			goto fail;
		}
	}
	p->out = conn_new(p, fd, false);
	if (!p->out)
		goto fail;
	p->out->state = S_CONNECT;
	set_state(p, S_CONNECT);
	hold_restart(p->out);
	bgp_sockaddr(&p->c.addr, p->c.family, p->c.port, &ss, &len);
	if (bufferevent_socket_connect(p->out->bev, (struct sockaddr *)&ss, (int)len)) {
		snprintf(p->last_error, sizeof(p->last_error), "connect: %s", strerror(errno));
		conn_free(p->out);
	}
	return;
fail:
	snprintf(p->last_error, sizeof(p->last_error), "socket: %s", strerror(errno));
	log_warn("bgp %s: %s", peer_name(p, name, sizeof(name)), p->last_error);
	shoal_timer_arm(p->retry, (__u64)p->sp->conf.connect_retry_s * 1000000);
}

static void accept_one(struct bgp_speaker *sp, int lfd);

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct bgp_speaker *sp = arg;
	__u64 start;

	(void)what;
	start = shoal_loop_enter();
	accept_one(sp, lfd);
	shoal_loop_leave(sp->loop, "bgp accept", start);
}

static void accept_one(struct bgp_speaker *sp, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct shoal_addr a;
	struct peer *p = NULL;
	__u8 buf[BGP_MAX_LEN];
	struct conn *c;
	size_t i;
	int fd, fam;

	fd = shoal_accept(lfd);
	if (fd < 0)
		return;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl)) {
		close(fd);
		return;
	}
	fam = bgp_addr_of(&ss, &a);
	for (i = 0; i < sp->npeers; i++)
		if (sp->peers[i].c.family == fam && !memcmp(&sp->peers[i].c.addr, &a, sizeof(a)))
			p = &sp->peers[i];
	if (!p) {
		char name[64];

		log_debug("bgp: a connection from %s, no peer of ours: closed",
			  shoal_addr_format(&a, name, sizeof(name)));
		close(fd);
		return;
	}
	if (p->est) {
		/* RFC 4271 6.8: a session is up, the new connection goes */
		c = conn_new(p, fd, true);
		if (c)
			conn_fail_code(c, BGP_E_CEASE, BGP_SUB_CEASE_COLLISION, "a session is up");
		return;
	}
	if (p->in)
		conn_free(p->in);
	/* an outgoing attempt that has not reached the peer yields to this one */
	if (p->out && p->out->state == S_CONNECT)
		conn_free(p->out);
	bgp_sock_opts(&p->c, fd);
	c = conn_new(p, fd, true);
	if (!c)
		return;
	p->in = c;
	sl = sizeof(c->local);
	getsockname(fd, (struct sockaddr *)&c->local, &sl);
	c->state = S_OPENSENT;
	set_state(p, S_OPENSENT);
	shoal_timer_cancel(p->retry);
	hold_restart(c);
	send_msg(c, buf, bgp_open_encode(buf, sizeof(buf), &p->mine));
}

static int listen_open(struct bgp_speaker *sp)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6,
				  .sin6_port = htons(sp->conf.listen_port) };
	int fd, one = 1, zero = 0;
	size_t i;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	for (i = 0; i < sp->npeers; i++)
		bgp_md5_key(fd, AF_INET6, &sp->peers[i].c);
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)) || listen(fd, 16)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	sp->lfd = fd;
	sp->lev = event_new(shoal_loop_base(sp->loop), fd, EV_READ | EV_PERSIST, on_accept, sp);
	if (!sp->lev || event_add(sp->lev, NULL))
		return -ENOMEM;
	return 0;
}

int bgp_open(struct shoal_loop *l, const struct shoal_anycast_conf *c, bool restarted,
	     struct bgp_speaker **ret)
{
	struct bgp_speaker *sp = calloc(1, sizeof(*sp));
	size_t i;
	int r;

	if (!sp)
		return -ENOMEM;
	sp->loop = l;
	sp->conf = *c;
	sp->restarted = restarted;
	sp->lfd = -1;
	sp->npeers = c->npeers;
	for (i = 0; i < sp->npeers; i++) {
		struct peer *p = &sp->peers[i];

		p->sp = sp;
		p->idx = i;
		p->c = c->peers[i];
		p->state = p->c.passive ? S_ACTIVE : S_IDLE;
		p->since_ns = shoal_now_ns();
		p->mine = (struct bgp_open){
			.as = p->c.local_as ? p->c.local_as : c->local_as,
			.hold = (__u16)(p->c.hold_s ? p->c.hold_s : c->hold_s),
			.router_id = c->router_id,
			.cap_mp = true,
			.mp_v4 = true,
			.mp_v6 = true,
			.refresh = true,
			.as4 = true,
			.gr = c->gr,
			.gr_restarting = c->gr && restarted,
			.gr_time = (__u16)c->gr_time_s,
			.gr_v4 = c->gr,
			.gr_v6 = c->gr,
			/* the pinned program kept forwarding through the restart */
			.gr_v4_fwd = restarted,
			.gr_v6_fwd = restarted,
		};
		p->retry = shoal_timer_new(l, "bgp retry", retry_fire, p);
		p->keepalive = shoal_timer_new(l, "bgp keepalive", keepalive_tick, p);
		if (!p->retry || !p->keepalive) {
			bgp_close(sp, true);
			return -ENOMEM;
		}
	}
	if (c->listen) {
		r = listen_open(sp);
		if (r) {
			log_err("bgp: cannot listen on port %u: %s", c->listen_port, strerror(-r));
			bgp_close(sp, true);
			return r;
		}
	}
	for (i = 0; i < sp->npeers; i++)
		peer_start(&sp->peers[i]);
	*ret = sp;
	return 0;
}

void bgp_close(struct bgp_speaker *sp, bool quiet)
{
	size_t i;

	if (!sp)
		return;
	for (i = 0; i < sp->npeers; i++) {
		struct peer *p = &sp->peers[i];

		p->c.passive = true; /* no retry from here */
		while (p->out || p->in) {
			struct conn *c = p->out ? p->out : p->in;

			if (quiet || c->state < S_OPENSENT)
				conn_free(c);
			else
				conn_fail_code(c, BGP_E_CEASE, BGP_SUB_CEASE_SHUTDOWN, NULL);
		}
		shoal_timer_free(p->retry);
		shoal_timer_free(p->keepalive);
		free(p->adv);
	}
	if (sp->lev)
		event_free(sp->lev);
	if (sp->lfd >= 0)
		close(sp->lfd);
	free(sp->wants);
	free(sp);
}

void bgp_set_wants(struct bgp_speaker *sp, const struct want *w, size_t n)
{
	struct want *copy = calloc(n ? n : 1, sizeof(*copy));
	size_t i;

	if (!copy)
		return;
	memcpy(copy, w, n * sizeof(*w));
	free(sp->wants);
	sp->wants = copy;
	sp->nwants = n;
	for (i = 0; i < sp->npeers; i++)
		peer_sync(&sp->peers[i]);
}

size_t bgp_prefix_peers(struct bgp_speaker *sp, const struct want *w)
{
	size_t i, n = 0;

	/* each Adj-RIB-Out is sorted: a status of 1,000 VIPs stays a few thousand compares */
	for (i = 0; i < sp->npeers; i++)
		n += sp->peers[i].nadv &&
		     bsearch(w, sp->peers[i].adv, sp->peers[i].nadv, sizeof(*w), want_cmp);
	return n;
}

void bgp_bfd_down(struct bgp_speaker *sp, size_t i)
{
	struct peer *p = &sp->peers[i];

	/* RFC 9384: Cease, BFD down */
	if (p->est)
		conn_fail_code(p->est, BGP_E_CEASE, 10, "BFD went down");
}

size_t bgp_peer_views(struct bgp_speaker *sp, struct shoal_peer_view *out, size_t max)
{
	size_t i;

	for (i = 0; i < sp->npeers && i < max; i++) {
		const struct peer *p = &sp->peers[i];
		struct shoal_peer_view *v = &out[i];

		memset(v, 0, sizeof(*v));
		peer_name(p, v->addr, sizeof(v->addr));
		v->peer_as = p->c.peer_as;
		v->local_as = p->mine.as;
		v->state = state_names[p->state];
		v->since_ns = p->since_ns;
		v->last_error = p->last_error;
		v->router_id = p->est ? p->est->open.router_id : 0;
		v->hold_s = p->est ? p->hold_s : 0;
		v->prefixes = p->nadv;
		v->received_announced = p->rx_announced;
		v->received_withdrawn = p->rx_withdrawn;
		v->transitions = p->transitions;
		memcpy(v->msgs, p->msgs, sizeof(v->msgs));
		v->gr = p->est && p->gr;
		v->bfd = p->c.bfd;
	}
	return i;
}
