// SPDX-License-Identifier: GPL-2.0-only
/*
 * The backend side's file, read with the config's own YAML helpers:
 *
 *   interfaces:
 *     - name: eth0
 *       attach: xdp                 # or tc
 *       gue_port: 6080
 *       from: [198.51.100.2, 198.51.100.16/28]
 *       vips: [192.0.2.10, 2001:db8::10]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/addr.h"
#include "model/config_internal.h"
#include "model/decap_config.h"

#define DECAP_FILE_MAX (1U << 20)
#define DEFAULT_GUE    6080

static size_t seq_len(const yaml_node_t *v)
{
	return (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
}

static void parse_from(struct parse_ctx *ctx, yaml_node_t *v, struct shoal_decap_iface *d)
{
	size_t i;

	if (v->type != YAML_SEQUENCE_NODE || !seq_len(v) || seq_len(v) > SHOAL_DECAP_MAX_FROM) {
		config_errorf(ctx, line_of(v), "from: a list of 1 to %d addresses or prefixes",
			      SHOAL_DECAP_MAX_FROM);
		return;
	}
	for (i = 0; i < seq_len(v); i++) {
		yaml_node_t *e = node_at(ctx, v->data.sequence.items.start[i]);
		const char *s = scalar(ctx, e, "a tunnel source");
		struct shoal_decap_from_key *k = &d->from[d->nfrom];

		if (!s)
			continue;
		if (shoal_prefix_parse(s, &k->addr, NULL, &k->prefixlen)) {
			config_errorf(ctx, line_of(e), "from: '%s' is not ADDR or ADDR/LEN", s);
			continue;
		}
		d->nfrom++;
	}
}

static void parse_vips(struct parse_ctx *ctx, yaml_node_t *v, struct shoal_decap_iface *d)
{
	size_t i, j;

	if (v->type != YAML_SEQUENCE_NODE || !seq_len(v) || seq_len(v) > SHOAL_DECAP_VIPS_MAX) {
		config_errorf(ctx, line_of(v), "vips: a list of 1 to %d addresses",
			      SHOAL_DECAP_VIPS_MAX);
		return;
	}
	for (i = 0; i < seq_len(v); i++) {
		yaml_node_t *e = node_at(ctx, v->data.sequence.items.start[i]);
		struct shoal_addr a;

		if (!parse_addr(ctx, e, "a VIP", &a, NULL))
			continue;
		for (j = 0; j < d->nvips && memcmp(&d->vips[j], &a, sizeof(a)); j++)
			;
		if (j < d->nvips) {
			config_errorf(ctx, line_of(e), "vips: %s is listed twice",
				      scalar(ctx, e, "a VIP"));
			continue;
		}
		d->vips[d->nvips++] = a;
	}
}

static void parse_iface(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_decap_iface *d)
{
	bool *dups;
	yaml_node_t *k, *v;
	unsigned long long port;

	d->gue_port = DEFAULT_GUE;
	d->line = line_of(n);
	if (!expect_mapping(ctx, n, "an interface"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "name")) {
			if (parse_string(ctx, v, "name", d->name, sizeof(d->name)) &&
			    (!d->name[0] || strpbrk(d->name, "/ \t") || !strcmp(d->name, ".") ||
			     !strcmp(d->name, "..")))
				config_errorf(ctx, line_of(v),
					      "name: '%s' is not an interface name", d->name);
		} else if (!strcmp(key, "attach")) {
			const char *m = scalar(ctx, v, key);

			if (m && strcmp(m, "xdp") && strcmp(m, "tc"))
				config_errorf(ctx, line_of(v), "attach: '%s' is not xdp or tc", m);
			d->tc = m && !strcmp(m, "tc");
		} else if (!strcmp(key, "gue_port")) {
			if (parse_uint(ctx, v, "gue_port", 1, 65535, &port))
				d->gue_port = (__u16)port;
		} else if (!strcmp(key, "from")) {
			parse_from(ctx, v, d);
		} else if (!strcmp(key, "vips")) {
			parse_vips(ctx, v, d);
		} else {
			config_errorf(ctx, line_of(k),
				      "unknown key '%s' (name, attach, gue_port, from, vips)", key);
		}
	}
	free(dups);
	if (!d->name[0])
		config_errorf(ctx, d->line, "an interface needs its name");
	if (!d->nvips)
		config_errorf(ctx, d->line, "%s: 'vips' is missing (the VIPs this backend serves)",
			      d->name);
	if (!d->nfrom)
		config_errorf(ctx, d->line,
			      "%s: 'from' is missing: the shoal hosts' tunnel sources (taking "
			      "tunnel packets from anyone makes the backend a reflector)",
			      d->name);
}

int shoal_decap_config_parse(const char *path, const char *text, size_t len,
			     struct shoal_decap_conf *ret, struct shoal_errors *errs)
{
	struct parse_ctx ctx = { .path = path, .errs = errs };
	struct shoal_errors warnings = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *k, *v;
	size_t i, j;
	int ret_code;

	memset(ret, 0, sizeof(*ret));
	ctx.warnings = &warnings;
	ret_code = config_yaml_load(&ctx, "YAML", text, len, &parser, &doc);
	if (ret_code)
		return ret_code;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		config_errorf(&ctx, 1, "empty: 'interfaces' is missing");
		goto done;
	}
	if (!expect_mapping(&ctx, root, "the file"))
		goto done;
	for_each_pair(&ctx, root, k, v)
	{
		const char *key = scalar(&ctx, k, "a key");

		if (!key)
			continue;
		if (strcmp(key, "interfaces")) {
			config_errorf(&ctx, line_of(k), "unknown key '%s' (interfaces)", key);
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE || !seq_len(v) ||
		    seq_len(v) > SHOAL_DECAP_IFACES_MAX || ret->ifaces) {
			config_errorf(&ctx, line_of(v), "interfaces: one list of 1 to %d",
				      SHOAL_DECAP_IFACES_MAX);
			continue;
		}
		ret->ifaces = calloc(seq_len(v), sizeof(*ret->ifaces));
		if (!ret->ifaces) {
			config_errorf(&ctx, line_of(v), "out of memory");
			continue;
		}
		for (i = 0; i < seq_len(v); i++)
			parse_iface(&ctx, node_at(&ctx, v->data.sequence.items.start[i]),
				    &ret->ifaces[ret->n++]);
	}
	if (!ret->n && !ctx.errors)
		config_errorf(&ctx, root ? line_of(root) : 1, "'interfaces' is missing");
	for (i = 0; i < ret->n; i++)
		for (j = 0; j < i; j++)
			if (ret->ifaces[i].name[0] &&
			    !strcmp(ret->ifaces[i].name, ret->ifaces[j].name))
				config_errorf(&ctx, ret->ifaces[i].line,
					      "interface %s is listed twice (line %d)",
					      ret->ifaces[i].name, ret->ifaces[j].line);
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	shoal_errors_free(&warnings);
	if (ctx.errors) {
		shoal_decap_config_free(ret);
		return -EINVAL;
	}
	return 0;
}

int shoal_decap_config_load(const char *path, struct shoal_decap_conf *ret,
			    struct shoal_errors *errs)
{
	struct parse_ctx ctx = { .path = path, .errs = errs };
	FILE *f = fopen(path, "re");
	char *text;
	size_t len;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (!f) {
		err = errno;
		config_errorf(&ctx, 0, "%s", strerror(err));
		return -err;
	}
	text = malloc(DECAP_FILE_MAX + 1);
	len = text ? fread(text, 1, DECAP_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!text)
		return -ENOMEM;
	if (len > DECAP_FILE_MAX) {
		free(text);
		config_errorf(&ctx, 0, "larger than 1 MiB: refused");
		return -EFBIG;
	}
	err = shoal_decap_config_parse(path, text, len, ret, errs);
	free(text);
	return err;
}

void shoal_decap_config_free(struct shoal_decap_conf *c)
{
	free(c->ifaces);
	c->ifaces = NULL;
	c->n = 0;
}
