// SPDX-License-Identifier: GPL-2.0-only
/* See configfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "configfile/configfile.h"
#include "core/log.h"
#include "model/state.h"

/* The file's identity and last change, to tell later whether someone edited it. */
static bool file_moved_on(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

static int read_config(struct shoal_configfile *f, struct shoal_config **ret,
		       struct shoal_errors *errs)
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
	f->seen = before;
	f->have_seen = seen;
	return 0;
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

static void errs_add(struct shoal_errors *errs, char *msg)
{
	char **grown;

	if (!msg)
		return;
	grown = realloc(errs->msg, (errs->n + 1) * sizeof(char *));
	if (!grown) {
		free(msg);
		return;
	}
	errs->msg = grown;
	errs->msg[errs->n++] = msg;
}

int shoal_configfile_reload(struct shoal_configfile *f, struct shoal_state *state,
			    struct shoal_errors *errs)
{
	struct shoal_config *c = NULL;
	struct shoal_state *s = NULL;
	const char *what;
	char *msg;
	int ret;

	f->reloads++;
	ret = read_config(f, &c, errs);
	if (ret)
		goto fail;
	what = host_needs_restart(&f->conf->host, &c->host);
	if (what) {
		if (asprintf(&msg, "%s: host.%s changed: restart shoald to apply it", c->path,
			     what) < 0)
			msg = NULL;
		errs_add(errs, msg);
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
