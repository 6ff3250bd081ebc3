/* SPDX-License-Identifier: GPL-2.0-only */
/* What config.c (parsing) and config_check.c (whole-file checks) share. */
#ifndef SHOAL_MODEL_CONFIG_INTERNAL_H
#define SHOAL_MODEL_CONFIG_INTERNAL_H

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
};

/* "file:line: message", kept among the first SHOAL_MAX_ERRORS, counted always. */
void config_errorf(struct parse_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void config_warnf(struct parse_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Cross-checks that need the whole file (config_check.c). */
void config_validate(struct parse_ctx *ctx, struct shoal_config *c);

#endif /* SHOAL_MODEL_CONFIG_INTERNAL_H */
