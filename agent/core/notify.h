/* SPDX-License-Identifier: GPL-2.0-only */
/* sd_notify(3) without libsystemd: READY, STOPPING, WATCHDOG to $NOTIFY_SOCKET. */
#ifndef SHOAL_CORE_NOTIFY_H
#define SHOAL_CORE_NOTIFY_H

void shoal_notify(const char *msg);
/* Half of $WATCHDOG_USEC (how often to send WATCHDOG=1), or 0 without a watchdog. */
unsigned long long shoal_notify_watchdog_usec(void);

#endif /* SHOAL_CORE_NOTIFY_H */
