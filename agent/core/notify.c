// SPDX-License-Identifier: GPL-2.0-only
/* See notify.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/notify.h"

void shoal_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun, len);
	close(fd);
}

unsigned long long shoal_notify_watchdog_usec(void)
{
	const char *s = getenv("WATCHDOG_USEC");
	long long usec = s ? atoll(s) : 0;

	return usec > 0 ? (unsigned long long)usec / 2 : 0;
}
