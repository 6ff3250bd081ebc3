/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One agent per pin path: an advisory lock (flock) on a file in
 * SHOAL_LOCK_DIR named after the pin path, holding the owner's pid. Taken
 * before anything is touched; released when the process ends, however it ends.
 */
#ifndef SHOAL_CORE_LOCK_H
#define SHOAL_CORE_LOCK_H

#include <sys/types.h>

#define SHOAL_LOCK_DIR "/run/shoal"

/*
 * Takes the lock for name (a path; made into a file name). Returns the
 * lock's fd (keep it open), or -EBUSY with *ret_owner the pid holding it
 * (0 if unknown), or another -errno.
 */
int shoal_lock_take(const char *name, pid_t *ret_owner);

#endif /* SHOAL_CORE_LOCK_H */
