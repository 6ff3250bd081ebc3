/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: an input (lbctl edits the desired state and requests
 * a reconcile; the reply goes out once the change is in the maps) and a view
 * of every part (status, stats, lookup).
 */
#ifndef SHOAL_CONTROL_H
#define SHOAL_CONTROL_H

#include <stdbool.h>

struct shoal_parts;
struct shoal_control;

int shoal_control_open(struct shoal_parts *parts, const char *path, struct shoal_control **ret);
void shoal_control_close(struct shoal_control *ctl);
/* Whether an agent answers on the socket at path (never take a live one over). */
bool shoal_control_in_use(const char *path);

#endif /* SHOAL_CONTROL_H */
