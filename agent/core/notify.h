/* SPDX-License-Identifier: GPL-2.0-only */
/* systemd's readiness and watchdog (libsystemd's sd_notify): READY, STOPPING, WATCHDOG. */
#ifndef SHOAL_CORE_NOTIFY_H
#define SHOAL_CORE_NOTIFY_H

/* Sends msg to the service manager, if one listens ($NOTIFY_SOCKET). */
void shoal_notify(const char *msg);
/* Half of the watchdog's period (how often to send WATCHDOG=1), or 0 without a watchdog. */
unsigned long long shoal_notify_watchdog_usec(void);

#endif /* SHOAL_CORE_NOTIFY_H */
