// SPDX-License-Identifier: GPL-2.0-only
/* See configfile.h. */
#include <errno.h>
#include <pthread.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "configfile/configfile.h"
#include "core/log.h"
#include "core/loop.h"
#include "model/state.h"

/* The file's identity and last change, to tell later whether someone edited it. */
static bool file_moved_on(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

/* Reads and parses the file; touches nothing of f but reading path and override (a thread may run it). */
static int read_file(const struct shoal_configfile *f, struct shoal_config **ret,
		     struct shoal_errors *errs, struct stat *ret_seen, bool *ret_have_seen)
{
	struct shoal_config *c = NULL;
	struct stat before;
	bool seen;
	int ret_code;

	seen = !stat(f->path, &before);
	ret_code = shoal_config_load(f->path, &c, errs);
	if (ret_code)
		return ret_code;
	if (f->iface_override) {
		snprintf(c->host.interface, sizeof(c->host.interface), "%s", f->iface_override);
		if (!strstr(c->host.pin_path, f->iface_override))
			snprintf(c->host.pin_path, sizeof(c->host.pin_path), "/sys/fs/bpf/shoal/%s",
				 f->iface_override);
	}
	*ret = c;
	*ret_seen = before;
	*ret_have_seen = seen;
	return 0;
}

static int read_config(struct shoal_configfile *f, struct shoal_config **ret,
		       struct shoal_errors *errs)
{
	return read_file(f, ret, errs, &f->seen, &f->have_seen);
}

int shoal_configfile_load(struct shoal_configfile *f, struct shoal_errors *errs)
{
	return read_config(f, &f->conf, errs);
}

/* Host settings that only a restart can change. */
static const char *host_needs_restart(const struct shoal_host_conf *o,
				      const struct shoal_host_conf *n)
{
	if (strcmp(o->interface, n->interface))
		return "interface";
	if (o->xdp_mode != n->xdp_mode)
		return "xdp_mode";
	if (o->flow_table_size != n->flow_table_size)
		return "flow_table_size";
	if (strcmp(o->pin_path, n->pin_path))
		return "pin_path";
	if (strcmp(o->control_socket, n->control_socket))
		return "control_socket";
	if (strcmp(o->metrics_addr, n->metrics_addr))
		return "metrics";
	return NULL;
}

/* The part of a reload that needs the state: after the file was read (ret its result). */
static int reload_finish(struct shoal_configfile *f, struct shoal_state *state,
			 struct shoal_config *c, int ret, struct shoal_errors *errs)
{
	struct shoal_state *s = NULL;
	const char *what;
	char *msg;

	if (ret)
		goto fail;
	what = host_needs_restart(&f->conf->host, &c->host);
	if (what) {
		if (asprintf(&msg, "%s: host.%s changed: restart shoald to apply it", c->path,
			     what) < 0)
			msg = NULL;
		shoal_errors_add(errs, msg);
		ret = -EINVAL;
		goto fail;
	}
	if (memcmp(&f->conf->discovery, &c->discovery, sizeof(c->discovery))) {
		if (asprintf(&msg, "%s: discovery changed: restart shoald to apply it", c->path) <
		    0)
			msg = NULL;
		shoal_errors_add(errs, msg);
		ret = -EINVAL;
		goto fail;
	}
	ret = shoal_state_from_config(c, state, &s);
	if (ret)
		goto fail;
	shoal_config_free(f->conf);
	f->conf = c;
	shoal_state_replace(state, s);
	return 0;
fail:
	f->failures++;
	shoal_config_free(c);
	return ret ? ret : -EINVAL;
}

int shoal_configfile_reload(struct shoal_configfile *f, struct shoal_state *state,
			    struct shoal_errors *errs)
{
	struct shoal_config *c = NULL;
	struct stat seen;
	bool have_seen = false;
	int ret;

	f->reloads++;
	ret = read_file(f, &c, errs, &seen, &have_seen);
	if (!ret) {
		f->seen = seen;
		f->have_seen = have_seen;
	}
	return reload_finish(f, state, c, ret, errs);
}

/*
 * A reload whose reading and parsing (libyaml's document load of a large
 * file takes tens of ms) runs on a thread of its own: it touches nothing but
 * the file and its own memory, and hands the result back through a pipe the
 * loop watches. Everything that touches the state runs on the loop.
 */
struct reload_job {
	struct shoal_configfile *f;
	struct shoal_state *state;
	shoal_reload_done_fn done;
	void *arg;
	pthread_t thread;
	int pipe[2];
	struct event *ev;
	struct shoal_config *c;
	struct shoal_errors errs;
	struct stat seen;
	bool have_seen;
	int ret;
};

static void *reload_thread(void *arg)
{
	struct reload_job *j = arg;
	char one = 1;

	j->ret = read_file(j->f, &j->c, &j->errs, &j->seen, &j->have_seen);
	if (write(j->pipe[1], &one, 1) < 0)
		j->ret = j->ret ? j->ret : -EIO;
	return NULL;
}

static void reload_job_free(struct reload_job *j)
{
	if (j->ev)
		event_free(j->ev);
	close(j->pipe[0]);
	close(j->pipe[1]);
	shoal_errors_free(&j->errs);
	free(j);
}

static void reload_parsed(evutil_socket_t fd, short what, void *arg)
{
	struct reload_job *j = arg;
	struct shoal_configfile *f = j->f;
	__u64 start = shoal_loop_enter();
	int ret;

	(void)fd;
	(void)what;
	pthread_join(j->thread, NULL);
	f->job = NULL;
	if (!j->ret) {
		f->seen = j->seen;
		f->have_seen = j->have_seen;
	}
	ret = reload_finish(f, j->state, j->c, j->ret, &j->errs);
	if (j->done)
		j->done(j->arg, ret, &j->errs);
	shoal_loop_leave(f->loop, "reload", start);
	reload_job_free(j);
}

int shoal_configfile_reload_start(struct shoal_configfile *f, struct shoal_state *state,
				  shoal_reload_done_fn done, void *arg)
{
	struct reload_job *j;

	if (f->job)
		return -EBUSY;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->pipe[0] = j->pipe[1] = -1;
	j->f = f;
	j->state = state;
	j->done = done;
	j->arg = arg;
	if (pipe2(j->pipe, O_CLOEXEC | O_NONBLOCK))
		goto fail;
	j->ev = event_new(shoal_loop_base(f->loop), j->pipe[0], EV_READ, reload_parsed, j);
	if (!j->ev || event_add(j->ev, NULL))
		goto fail;
	f->reloads++;
	if (pthread_create(&j->thread, NULL, reload_thread, j)) {
		f->reloads--;
		goto fail;
	}
	f->job = j;
	return 0;
fail:
	reload_job_free(j);
	return -ENOMEM;
}

void shoal_configfile_reload_forget(struct shoal_configfile *f, void *arg)
{
	if (f->job && f->job->arg == arg)
		f->job->done = NULL;
}

int shoal_configfile_save(struct shoal_configfile *f, struct shoal_state *state, bool force,
			  char *err, size_t errlen)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *check = NULL;
	char *text = NULL, tmp[SHOAL_PATH_MAX + 8], bak[SHOAL_PATH_MAX + 8];
	const char *path = f->path;
	struct stat now;
	bool exists;
	FILE *out;
	int ret, fd;

	exists = !stat(path, &now);
	if (!force && exists && (!f->have_seen || file_moved_on(&f->seen, &now))) {
		snprintf(err, errlen,
			 "%s changed on disk since shoald read it: reload it, or save --force "
			 "to overwrite those edits",
			 path);
		return -ESTALE;
	}
	if (shoal_state_format_yaml(state, &text)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = shoal_config_parse(path, text, strlen(text), &check, &errs);
	if (ret) {
		snprintf(err, errlen, "internal error: the state does not parse back (%s)",
			 errs.n ? errs.msg[0] : "?");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(bak, sizeof(bak), "%s.bak", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  exists ? now.st_mode & 07777 : 0644);
	/* the old file's mode and owner (open's mode is cut by the umask) */
	if (fd >= 0 && exists &&
	    (fchmod(fd, now.st_mode & 07777) || fchown(fd, now.st_uid, now.st_gid))) {
		close(fd);
		fd = -1;
	}
	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out && fd >= 0)
		close(fd);
	if (!out || fputs(text, out) < 0 || fflush(out) || fsync(fileno(out))) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		if (out)
			fclose(out);
		unlink(tmp);
		goto out;
	}
	fclose(out);
	unlink(bak);
	if (link(path, bak) && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "cannot keep the old file as %s: %s", bak, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	shoal_config_free(f->conf);
	f->conf = check;
	check = NULL;
	f->have_seen = !stat(path, &f->seen);
	shoal_state_mark_saved(state);
out:
	shoal_config_free(check);
	shoal_errors_free(&errs);
	free(text);
	return ret;
}

void shoal_configfile_close(struct shoal_configfile *f)
{
	shoal_config_free(f->conf);
	f->conf = NULL;
}

void shoal_configfile_log_warnings(const struct shoal_configfile *f)
{
	size_t i;

	for (i = 0; f->conf && i < f->conf->warnings.n; i++)
		log_warn("%s", f->conf->warnings.msg[i]);
}
