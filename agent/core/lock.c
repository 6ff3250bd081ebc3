// SPDX-License-Identifier: GPL-2.0-only
/* See lock.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lock.h"

int shoal_lock_take(const char *name, pid_t *ret_owner)
{
	char path[512], buf[32];
	size_t o, i;
	ssize_t n;
	int fd, ret;

	*ret_owner = 0;
	if (mkdir(SHOAL_LOCK_DIR, 0755) && errno != EEXIST)
		return -errno;
	o = (size_t)snprintf(path, sizeof(path), "%s/agent", SHOAL_LOCK_DIR);
	/* "/sys/fs/bpf/shoal/eth0" -> "agent-sys-fs-bpf-shoal-eth0.lock" */
	for (i = 0; name[i] && o < sizeof(path) - 8; i++)
		path[o++] = name[i] == '/' ? '-' : name[i];
	snprintf(path + o, sizeof(path) - o, ".lock");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			*ret_owner = (pid_t)atoi(buf);
		}
		close(fd);
		return ret;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
