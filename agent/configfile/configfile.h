/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The config file as an input: read at start, re-read on SIGHUP or
 * `lbctl reload` (the new state replaces the old whole, or nothing changes),
 * and written back by `lbctl save`. The caller requests the reconcile.
 */
#ifndef SHOAL_CONFIGFILE_H
#define SHOAL_CONFIGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <linux/types.h>

#include "model/config.h"

struct shoal_state;
struct shoal_loop;
struct reload_job;

struct shoal_configfile {
	const char *path;
	const char *iface_override; /* -i: also names the pin path */
	struct shoal_config *conf;  /* as last read or saved */
	__u64 reloads, failures;
	struct stat seen; /* the file as it was then: save refuses if it moved on */
	bool have_seen;
	struct shoal_loop *loop; /* for reloads that parse off the loop */
	struct reload_job *job;	 /* the reload under way */
};

typedef void (*shoal_reload_done_fn)(void *arg, int ret, const struct shoal_errors *errs);

/* The first read: f->conf, or -errno with every problem in errs. */
int shoal_configfile_load(struct shoal_configfile *f, struct shoal_errors *errs);
/*
 * Re-reads the file and, when it is valid and changes no setting that only
 * a restart can change, replaces state's contents (ids kept). Returns 0, or
 * -errno with errs filled and nothing changed.
 */
int shoal_configfile_reload(struct shoal_configfile *f, struct shoal_state *state,
			    struct shoal_errors *errs);
/*
 * The same, with the file read and parsed on a thread of its own (a large
 * file takes tens of ms in libyaml): done(arg, 0 or -errno, errs) runs on the
 * loop once the state is replaced or the reload refused. -EBUSY while one
 * runs.
 */
int shoal_configfile_reload_start(struct shoal_configfile *f, struct shoal_state *state,
				  shoal_reload_done_fn done, void *arg);
/* done will not be called with arg (its owner is going away). */
void shoal_configfile_reload_forget(struct shoal_configfile *f, void *arg);
/*
 * Writes state over the file (through libyaml's emitter, checked by parsing
 * it back; the old file kept as FILE.bak; renamed into place, with the old
 * file's mode and owner). Refuses, unless force, when the file changed on
 * disk since shoald read it. Returns 0 or -errno with err set.
 */
int shoal_configfile_save(struct shoal_configfile *f, struct shoal_state *state, bool force,
			  char *err, size_t errlen);
void shoal_configfile_close(struct shoal_configfile *f);
/* Logs what the file is warned about (valid, but worth a word). */
void shoal_configfile_log_warnings(const struct shoal_configfile *f);

#endif /* SHOAL_CONFIGFILE_H */
