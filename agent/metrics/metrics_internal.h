/* SPDX-License-Identifier: GPL-2.0-only */
/* What the scrape (metrics.c) and its health families (health_metrics.c) share. */
#ifndef SHOAL_METRICS_INTERNAL_H
#define SHOAL_METRICS_INTERNAL_H

#include <stddef.h>

struct evbuffer;
struct shoal_health;
struct shoal_anycast;
struct shoal_vip_state;
struct shoal_be_state;

enum {
	HF_DURATION,
	HF_CHECKS,
	HF_TRANSITIONS,
	HF_AVAILABILITY,
	HF_EFFECTIVE_WEIGHT,
	HF_PASSIVE,
	HF_VIP_AVAILABILITY,
	HF_VIP_PANIC,
	HF_VIP_SERVABLE,
	HF_VIP_HEALTHY,
	HEALTH_FAMILIES,
};

/* "# HELP" and "# TYPE" of a family. */
void metrics_help(struct evbuffer *b, const char *name, const char *type, const char *text);
void metrics_health_help(struct evbuffer *b, size_t f);
/* The lines of health family f for VIP v (and its backends); h may be NULL. */
void metrics_health_put(struct evbuffer *b, struct shoal_health *h, size_t f,
			const struct shoal_vip_state *v, const char *spec);

/* The anycast families (anycast_metrics.c); nothing when a is NULL. */
void metrics_anycast_put(struct evbuffer *b, struct shoal_anycast *a);
struct shoal_discovery;
void metrics_discovery_put(struct evbuffer *b, const struct shoal_discovery *d);

#endif /* SHOAL_METRICS_INTERNAL_H */
