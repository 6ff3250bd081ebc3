// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's connections: one JSON request per line, answered in
 * order. A request that changes the state is answered once the reconcile it
 * asked for has applied it; until then the connection's later requests wait.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "configfile/configfile.h"
#include "control/control.h"
#include "control/internal.h"
#include "control/proto.h"
#include "core/accept.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/parts.h"
#include "core/reconcile.h"
#include "dataplane/flowwatch.h"
#include "model/state.h"

/* Bounds: a client is one connection, a request, its reply. */
#define CTL_MAX_CONNS	      64	 /* all peers together */
#define CTL_MAX_CONNS_PER_UID 16	 /* one peer uid (root too) */
#define CTL_IDLE_SEC	      30	 /* no request for that long: closed */
#define CTL_WRITE_SEC	      10	 /* a reply not taken for that long: closed */
#define CTL_MAX_OUTPUT	      (1U << 20) /* unread replies past this: stop reading */

struct shoal_control {
	struct shoal_parts *p;
	char path[108];
	int fd;
	struct event *ev;
	struct ctl_conn *conns;
	size_t nconns;
};

static void conn_process(struct ctl_conn *c);

/*
 * A client that sends but does not read: once CTL_MAX_OUTPUT of replies
 * wait, nothing more is read or written for it until it has read them (the
 * write callback, at the low watermark, resumes it).
 */
static bool conn_stalled(struct ctl_conn *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) <= CTL_MAX_OUTPUT)
		return false;
	bufferevent_disable(c->bev, EV_READ);
	c->stalled = true;
	return true;
}

#define STREAM_SLICE_NS (3ULL * 1000000)

void ctl_stream_free(struct ctl_stream *st)
{
	if (!st)
		return;
	json_decref(st->head);
	shoal_state_free(st->snap);
	free(st);
}

int ctl_stream_vips(struct ctl_conn *c, json_t *head, const char *list_key, bool with_backends)
{
	struct ctl_stream *st = calloc(1, sizeof(*st));

	if (!st || shoal_state_dup(c->p->state, &st->snap)) {
		free(st);
		json_decref(head);
		return -ENOMEM;
	}
	st->head = head;
	st->list_key = list_key;
	st->with_backends = with_backends;
	c->stream = st;
	return 0;
}

/* Writes the stream's next slice; true when the reply is complete. */
static bool stream_slice(struct ctl_conn *c)
{
	struct ctl_stream *st = c->stream;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	__u64 deadline = shoal_now_ns() + STREAM_SLICE_NS;
	char *text;

	if (!st->started) {
		/* {"version":1,"ok":true,"result":{HEAD...,"LIST":[ */
		text = json_dumps(st->head, JSON_COMPACT);
		evbuffer_add_printf(out,
				    "{\"version\":%d,\"ok\":true,\"result\":", SHOAL_CTL_VERSION);
		if (text) {
			text[strlen(text) - 1] = '\0'; /* the closing brace comes last */
			evbuffer_add_printf(out, "%s%s\"%s\":[", text,
					    json_object_size(st->head) ? "," : "", st->list_key);
			free(text);
		}
		st->started = true;
	}
	while (st->next < st->snap->nvips) {
		json_t *item = ctl_stream_item(c, st->next);

		text = item ? json_dumps(item, JSON_COMPACT) : NULL;
		json_decref(item);
		evbuffer_add_printf(out, "%s%s", st->next ? "," : "", text ? text : "null");
		free(text);
		st->next++;
		if (shoal_now_ns() >= deadline && st->next < st->snap->nvips)
			return false;
	}
	evbuffer_add_printf(out, "]}}\n");
	return true;
}

static void on_stream_slice(void *arg)
{
	struct ctl_conn *c = arg;

	if (conn_stalled(c))
		return; /* conn_write resumes the stream */
	if (!stream_slice(c)) {
		shoal_timer_arm(c->slice, 0);
		return;
	}
	ctl_stream_free(c->stream);
	c->stream = NULL;
	json_decref(c->req);
	c->req = NULL;
	c->busy = false;
	conn_process(c);
}

static void conn_send(struct ctl_conn *c, char *reply)
{
	if (!reply)
		return;
	bufferevent_write(c->bev, reply, strlen(reply));
	bufferevent_write(c->bev, "\n", 1);
	free(reply);
}

static void conn_free(struct ctl_conn *c)
{
	struct ctl_conn **pp;

	for (pp = &c->ctl->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			c->ctl->nconns--;
			break;
		}
	shoal_reconcile_forget(c->p->reconcile, c);
	shoal_flowwatch_forget(c->p->flows, c);
	shoal_configfile_reload_forget(c->p->file, c);
	shoal_timer_free(c->slice);
	ctl_stream_free(c->stream);
	bufferevent_free(c->bev);
	json_decref(c->req);
	json_decref(c->result);
	free(c);
}

static void request_done(struct ctl_conn *c, json_t *res, const char *err)
{
	conn_send(c, shoal_ctl_encode_reply(err ? NULL : res, err));
	if (err)
		json_decref(res);
	json_decref(c->req);
	c->req = NULL;
	c->busy = false;
}

static void on_applied(void *arg, int errors)
{
	struct ctl_conn *c = arg;
	json_t *res = c->result;

	c->result = NULL;
	if (errors)
		request_done(c, res,
			     ctl_errf("applied, but %d map writes failed (see the log)", errors));
	else
		request_done(c, res, NULL);
	conn_process(c);
}

/* Runs the request held in c->req; leaves c busy when its reply must wait. */
static void request_run(struct ctl_conn *c, bool flows_fresh);

static void on_flows_fresh(void *arg)
{
	struct ctl_conn *c = arg;

	request_run(c, true);
	conn_process(c);
}

static void request_run(struct ctl_conn *c, bool flows_fresh)
{
	const char *cmd = json_string_value(json_object_get(c->req, "command"));
	json_t *args = json_object_get(c->req, "args");
	const char *err = NULL;
	const char *handler = "control";
	ctl_handler_fn fn = ctl_command(cmd ? cmd : "", &handler);
	__u64 start = shoal_loop_enter();
	json_t *res;

	c->busy = true;
	c->wait_apply = false;
	c->wait_flows = false;
	c->deferred = false;
	c->flows_fresh = flows_fresh;
	res = fn(c, args, &err);
	if (c->wait_flows) {
		json_decref(res);
		res = NULL;
		if (!shoal_flowwatch_fresh(c->p->flows, 1000000000ULL, on_flows_fresh, c)) {
			shoal_loop_leave(c->p->loop, handler, start);
			return;
		}
		/* fresh enough already */
		c->wait_flows = false;
		c->flows_fresh = true;
		res = fn(c, args, &err);
	}
	if (c->deferred && !err) {
		json_decref(res);
		shoal_loop_leave(c->p->loop, handler, start);
		return;
	}
	if (c->stream && !err) {
		json_decref(res);
		shoal_loop_leave(c->p->loop, handler, start);
		shoal_timer_arm(c->slice, 0);
		return;
	}
	shoal_loop_leave(c->p->loop, handler, start);
	if (!res && !err)
		err = "internal error";
	if (!err && c->wait_apply && !shoal_reconcile_request(c->p->reconcile, on_applied, c)) {
		c->result = res;
		return;
	}
	request_done(c, res, err);
}

void ctl_reply(struct ctl_conn *c, json_t *res, const char *err)
{
	request_done(c, res, err);
	conn_process(c);
}

void ctl_reply_after_apply(struct ctl_conn *c, json_t *res)
{
	if (shoal_reconcile_request(c->p->reconcile, on_applied, c)) {
		ctl_reply(c, res, "out of memory");
		return;
	}
	c->result = res;
}

static void conn_process(struct ctl_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len;
	char *line;

	while (!c->busy && !conn_stalled(c) &&
	       (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		const char *cmd, *err = NULL;
		json_t *req, *args;

		if (shoal_ctl_decode_request(line, len, &req, &cmd, &args, &err)) {
			conn_send(c, shoal_ctl_encode_reply(NULL, err));
		} else if (!ctl_command(cmd, NULL)) {
			conn_send(c, shoal_ctl_encode_reply(NULL,
							    ctl_errf("unknown command '%s'", cmd)));
			json_decref(req);
		} else {
			c->req = req;
			request_run(c, false);
		}
		free(line);
	}
	if (!c->busy && evbuffer_get_length(in) > SHOAL_CTL_MAX_LINE) {
		evbuffer_drain(in, evbuffer_get_length(in));
		conn_send(c, shoal_ctl_encode_reply(NULL, "request too long"));
	}
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

/* The output drained to the low watermark: a stalled client reads again. */
static void conn_write(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;

	if (!c->stalled)
		return;
	c->stalled = false;
	bufferevent_enable(bev, EV_READ);
	if (c->stream)
		shoal_timer_arm(c->slice, 0);
	else
		conn_process(c);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	/* closed, broken, idle past CTL_IDLE_SEC or not reading past CTL_WRITE_SEC */
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(arg);
}

static size_t conns_of(const struct shoal_control *ctl, uid_t uid)
{
	const struct ctl_conn *c;
	size_t n = 0;

	for (c = ctl->conns; c; c = c->next)
		n += c->uid == uid;
	return n;
}

/* Says why, without waiting for a peer that may not read, and closes. */
static void refuse(int fd, const char *why)
{
	char *msg = shoal_ctl_encode_reply(NULL, why);

	if (msg) {
		send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
		send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(msg);
	}
	close(fd);
}

/*
 * Root, or a member of the socket's group: its primary group (SO_PEERCRED)
 * or one of its supplementary groups (SO_PEERGROUPS), as the peer had them
 * when it connected.
 */
const char *ctl_who(const struct ctl_conn *c)
{
	static char who[64];

	snprintf(who, sizeof(who), "lbctl (uid %d, pid %d)", (int)c->uid, (int)c->pid);
	return who;
}

static bool peer_allowed(int fd, gid_t sock_gid, uid_t *ret_uid, pid_t *ret_pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[256];
	size_t i;

	*ret_uid = (uid_t)-1;
	*ret_pid = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	*ret_uid = cred.uid;
	*ret_pid = cred.pid;
	if (cred.uid == 0 || cred.gid == sock_gid)
		return true;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false; /* more than 256 groups: ERANGE, refused */
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == sock_gid)
			return true;
	return false;
}

static void ctl_accept(evutil_socket_t fd, short what, void *arg)
{
	struct shoal_control *ctl = arg;
	struct ctl_conn *c;
	struct stat st;
	uid_t uid = (uid_t)-1;
	pid_t pid = 0;
	int cfd;

	(void)what;
	cfd = shoal_accept(fd);
	if (cfd < 0) {
		if (cfd == -EMFILE || cfd == -ENFILE)
			log_limited(LOG_LVL_WARN,
				    "control socket: out of descriptors: a client shed");
		return;
	}
	/* the group of the socket's file (fstat of the fd would name the socket's inode) */
	if (stat(ctl->path, &st) || !peer_allowed(cfd, st.st_gid, &uid, &pid)) {
		log_limited(LOG_LVL_WARN,
			    "control socket: uid %d refused (not root, not in group %d)", (int)uid,
			    (int)st.st_gid);
		refuse(cfd, "permission denied: only root or members of the control socket's "
			    "group may use shoald");
		return;
	}
	if (ctl->nconns >= CTL_MAX_CONNS || conns_of(ctl, uid) >= CTL_MAX_CONNS_PER_UID) {
		log_limited(LOG_LVL_WARN,
			    "control socket: uid %d has too many connections (%zu "
			    "of %d; %d in all)",
			    (int)uid, conns_of(ctl, uid), CTL_MAX_CONNS_PER_UID, CTL_MAX_CONNS);
		refuse(cfd, "too many connections: try again later");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return;
	}
	c->ctl = ctl;
	c->p = ctl->p;
	c->slice = shoal_timer_new(ctl->p->loop, "control-stream", on_stream_slice, c);
	if (!c->slice) {
		close(cfd);
		free(c);
		return;
	}
	c->bev = bufferevent_socket_new(shoal_loop_base(ctl->p->loop), cfd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		shoal_timer_free(c->slice);
		close(cfd);
		free(c);
		return;
	}
	c->uid = uid;
	c->pid = pid;
	c->next = ctl->conns;
	ctl->conns = c;
	ctl->nconns++;
	{
		const struct timeval idle = { CTL_IDLE_SEC, 0 }, wr = { CTL_WRITE_SEC, 0 };

		bufferevent_set_timeouts(c->bev, &idle, &wr);
	}
	/* no more than one request line is read ahead */
	bufferevent_setwatermark(c->bev, EV_READ, 0, SHOAL_CTL_MAX_LINE + 1);
	bufferevent_setwatermark(c->bev, EV_WRITE, CTL_MAX_OUTPUT / 4, 0);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

bool shoal_control_in_use(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	bool live;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return false;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	live = !connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return live;
}

int shoal_control_open(struct shoal_parts *parts, const char *path, struct shoal_control **ret)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)], *slash;
	struct shoal_control *ctl;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->p = parts;
	ctl->fd = -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	memcpy(ctl->path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		free(ctl);
		return err;
	}
	/* a socket someone answers on is a live agent's: never take it over */
	if (shoal_control_in_use(path)) {
		close(fd);
		free(ctl);
		return -EADDRINUSE;
	}
	unlink(path); /* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0660) || listen(fd, 16)) {
		err = -errno;
		close(fd);
		free(ctl);
		return err;
	}
	ctl->fd = fd;
	ctl->ev =
		event_new(shoal_loop_base(parts->loop), fd, EV_READ | EV_PERSIST, ctl_accept, ctl);
	if (!ctl->ev || event_add(ctl->ev, NULL)) {
		shoal_control_close(ctl);
		return -ENOMEM;
	}
	*ret = ctl;
	return 0;
}

void shoal_control_close(struct shoal_control *ctl)
{
	if (!ctl)
		return;
	while (ctl->conns)
		conn_free(ctl->conns);
	if (ctl->ev)
		event_free(ctl->ev);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		unlink(ctl->path);
	}
	free(ctl);
}
