/* SPDX-License-Identifier: GPL-2.0-only */
/* What config.c (parsing) and config_check.c (whole-file checks) share. */
#ifndef SHOAL_MODEL_CONFIG_INTERNAL_H
#define SHOAL_MODEL_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "model/config.h"

struct parse_ctx {
	const char *path;
	yaml_document_t *doc;
	struct shoal_errors *errs;
	struct shoal_errors *warnings;
	size_t errors;	       /* all of them; errs keeps the first SHOAL_MAX_ERRORS */
	size_t total_backends; /* parsing stops taking backends past the limit */
	const struct shoal_health_conf *defaults; /* what a service's health starts from */
};

/* "file:line: message", kept among the first SHOAL_MAX_ERRORS, counted always. */
void config_errorf(struct parse_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void config_warnf(struct parse_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Parses text (kind: "YAML" or "JSON", for the error) into doc, which becomes
 * ctx's; 0 (delete doc and parser after), -EINVAL with the error reported, -ENOMEM.
 */
int config_yaml_load(struct parse_ctx *ctx, const char *kind, const char *text, size_t len,
		     yaml_parser_t *parser, yaml_document_t *doc);
/* YAML helpers of config.c, for the parsers of sections in their own files. */
int line_of(const yaml_node_t *n);
yaml_node_t *node_at(struct parse_ctx *ctx, int idx);
/* The scalar text of n, or NULL (with an error naming what) when n is no scalar. */
const char *scalar(struct parse_ctx *ctx, yaml_node_t *n, const char *what);
bool parse_uint(struct parse_ctx *ctx, yaml_node_t *n, const char *what, unsigned long long min,
		unsigned long long max, unsigned long long *ret);
bool parse_bool(struct parse_ctx *ctx, yaml_node_t *n, const char *what, bool *ret);
bool parse_string(struct parse_ctx *ctx, yaml_node_t *n, const char *what, char *buf, size_t len);
bool parse_addr(struct parse_ctx *ctx, yaml_node_t *n, const char *what, struct shoal_addr *ret,
		int *family);
/* "2s", "500ms", "1m", "1h" (and "0") into milliseconds within [min, max] (config_health.c). */
bool parse_duration(struct parse_ctx *ctx, yaml_node_t *n, const char *what, unsigned long long min,
		    unsigned long long max, __u32 *ret);
/* Which pairs of mapping n repeat an earlier key (reported); NULL when none. */
bool *dup_keys(struct parse_ctx *ctx, yaml_node_t *n);
bool expect_mapping(struct parse_ctx *ctx, yaml_node_t *n, const char *what);

/* Whether pair p_ of a mapping repeats an earlier key (see dup_keys). */
#define pair_is_dup(n, dups, p) ((dups) && (dups)[(p) - (n)->data.mapping.pairs.start])

/* Calls fn for each pair of mapping n; unknown keys are fn's to report. */
#define for_each_pair(ctx, n, k, v)                                               \
	for (yaml_node_pair_t *p_ = (n)->data.mapping.pairs.start;                \
	     p_ < (n)->data.mapping.pairs.top && ((k) = node_at(ctx, p_->key)) && \
	     ((v) = node_at(ctx, p_->value));                                     \
	     p_++)

/*
 * Service keys about health (health, slow_start, panic_threshold,
 * min_healthy, agent_check) into h; false when key is none of them
 * (config_health.c).
 */
bool config_health_key(struct parse_ctx *ctx, const char *key, yaml_node_t *v,
		       struct shoal_health_conf *h);
/* What a service's health needs of the service (a port for all-port VIPs). */
void config_health_check(struct parse_ctx *ctx, struct shoal_service_conf *s);

/* What a bgp or announce block leaves unsaid (set before either is read). */
void config_anycast_defaults(struct shoal_anycast_conf *a);
/* The bgp and announce blocks (config_bgp.c); a service's own bgp keys. */
void config_bgp_parse(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_anycast_conf *a);
void config_announce_parse(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_anycast_conf *a);
/* The discovery block (config_discovery.c). */
void config_discovery_parse(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_discovery_conf *d);
void config_route_attrs(struct parse_ctx *ctx, yaml_node_t *n, const char *what,
			struct shoal_route_attrs *r);
/* What the announcement needs of the whole file (router id, next hops). */
void config_anycast_check(struct parse_ctx *ctx, struct shoal_config *c, int line);

/* Cross-checks that need the whole file (config_check.c). */
void config_validate(struct parse_ctx *ctx, struct shoal_config *c);
/* One service's own checks against the host (config_check.c; also for discovered ones). */
void config_service_check(struct parse_ctx *ctx, const struct shoal_host_conf *host,
			  struct shoal_service_conf *s);
/* A service mapping (config.c). */
void config_parse_service(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_service_conf *s);

#endif /* SHOAL_MODEL_CONFIG_INTERNAL_H */
