// SPDX-License-Identifier: GPL-2.0-only
/* See notify.h. */
#include <systemd/sd-daemon.h>

#include "core/notify.h"

void shoal_notify(const char *msg)
{
	sd_notify(0, msg);
}

unsigned long long shoal_notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec / 2 : 0;
}
