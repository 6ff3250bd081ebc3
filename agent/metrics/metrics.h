/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An output: Prometheus text exposition (0.0.4) on the configured address,
 * read from the maps and the state at scrape time; also the agent's own loop.
 */
#ifndef SHOAL_METRICS_H
#define SHOAL_METRICS_H

struct shoal_parts;
struct shoal_metrics;

/* addr "HOST:PORT" ("" disables: *ret stays NULL). */
int shoal_metrics_open(const struct shoal_parts *p, const char *addr, struct shoal_metrics **ret);
void shoal_metrics_close(struct shoal_metrics *m);

#endif /* SHOAL_METRICS_H */
