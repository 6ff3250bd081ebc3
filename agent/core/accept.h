/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Accepting on a listener when descriptors run out: a level-triggered
 * listener whose accept fails with EMFILE is ready again at once, a busy
 * loop. One descriptor is held in reserve; when the table is full it is
 * given up to accept the waiting connection and close it, then taken back.
 */
#ifndef SHOAL_CORE_ACCEPT_H
#define SHOAL_CORE_ACCEPT_H

/* Opens the process's reserve descriptor (once). */
int shoal_accept_reserve(void);
/* accept4(lfd, SOCK_NONBLOCK | SOCK_CLOEXEC): the new fd, or -errno (-EMFILE: shed). */
int shoal_accept(int lfd);
/* Raises the soft descriptor limit to the hard one; returns the new soft limit. */
long shoal_raise_fd_limit(void);

#endif /* SHOAL_CORE_ACCEPT_H */
