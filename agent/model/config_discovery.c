// SPDX-License-Identifier: GPL-2.0-only
/*
 * The discovery block (etcd v3: where, under which prefix), and the parser
 * of a service that comes from there: the same service parser and checks as
 * the file's, on the text of one value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config_internal.h"
#include "model/etcdwire.h"

#define DEFAULT_DIAL_TIMEOUT_MS 2000

static void parse_endpoints(struct parse_ctx *ctx, yaml_node_t *v, struct shoal_discovery_conf *d)
{
	size_t i, n;

	if (v->type != YAML_SEQUENCE_NODE) {
		config_errorf(ctx, line_of(v), "discovery.endpoints must be a list of URLs");
		return;
	}
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (!n || n > SHOAL_DISCOVERY_ENDPOINTS_MAX) {
		config_errorf(ctx, line_of(v), "discovery.endpoints: 1 to %d URLs",
			      SHOAL_DISCOVERY_ENDPOINTS_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		yaml_node_t *e = node_at(ctx, v->data.sequence.items.start[i]);
		const char *url = scalar(ctx, e, "an endpoint");
		bool tls;

		if (!url)
			continue;
		if (strlen(url) >= SHOAL_URL_MAX ||
		    shoal_etcd_endpoint_parse(url, d->endpoints[d->nendpoints].host,
					      sizeof(d->endpoints[0].host),
					      &d->endpoints[d->nendpoints].port, &tls)) {
			config_errorf(ctx, line_of(e),
				      "discovery.endpoints: '%s' is not http://HOST:PORT or "
				      "https://HOST:PORT (etcd's client URL)",
				      url);
			continue;
		}
		/* one scheme: a cluster reached in clear by one URL is not protected by the other */
		if (d->nendpoints && tls != d->tls) {
			config_errorf(ctx, line_of(e),
				      "discovery.endpoints: '%s': all http:// or all https://",
				      url);
			continue;
		}
		d->tls = tls;
		snprintf(d->endpoints[d->nendpoints].url, SHOAL_URL_MAX, "%s", url);
		d->nendpoints++;
	}
}

static void parse_path(struct parse_ctx *ctx, yaml_node_t *v, const char *what, char *out)
{
	if (parse_string(ctx, v, what, out, SHOAL_PATH_MAX) && out[0] != '/')
		config_errorf(ctx, line_of(v), "%s: an absolute path", what);
}

static void parse_tls(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_discovery_conf *d)
{
	bool *dups;
	yaml_node_t *k, *v;

	if (!expect_mapping(ctx, n, "discovery.tls"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "ca")) {
			parse_path(ctx, v, "discovery.tls.ca", d->tls_files.ca);
		} else if (!strcmp(key, "cert")) {
			parse_path(ctx, v, "discovery.tls.cert", d->tls_files.cert);
		} else if (!strcmp(key, "key")) {
			parse_path(ctx, v, "discovery.tls.key", d->tls_files.key);
		} else if (!strcmp(key, "server_name")) {
			if (parse_string(ctx, v, "discovery.tls.server_name",
					 d->tls_files.server_name,
					 sizeof(d->tls_files.server_name)) &&
			    strspn(d->tls_files.server_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK"
							     "LMNOPQRSTUVWXYZ0123456789.-:") !=
				    strlen(d->tls_files.server_name))
				config_errorf(ctx, line_of(v),
					      "discovery.tls.server_name: '%s' is not a host name "
					      "or an address",
					      d->tls_files.server_name);
		} else {
			config_errorf(
				ctx, line_of(k),
				"discovery.tls: unknown key '%s' (ca, cert, key, server_name)",
				key);
		}
	}
	free(dups);
	if (!d->tls_files.cert[0] != !d->tls_files.key[0])
		config_errorf(ctx, line_of(n),
			      "discovery.tls: cert and key go together (a client certificate)");
}

void config_discovery_parse(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_discovery_conf *d)
{
	bool have_type = false, have_tls = false, *dups;
	yaml_node_t *k, *v;

	snprintf(d->prefix, sizeof(d->prefix), "/shoal");
	d->dial_timeout_ms = DEFAULT_DIAL_TIMEOUT_MS;
	if (!expect_mapping(ctx, n, "discovery"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "type")) {
			const char *t = scalar(ctx, v, key);

			have_type = true;
			if (t && strcmp(t, "etcd"))
				config_errorf(ctx, line_of(v), "discovery.type: '%s' is not etcd",
					      t);
		} else if (!strcmp(key, "endpoints")) {
			parse_endpoints(ctx, v, d);
		} else if (!strcmp(key, "prefix")) {
			const char *p = scalar(ctx, v, key);
			size_t l = p ? strlen(p) : 0;

			if (!p)
				continue;
			if (l < 2 || p[0] != '/' || p[l - 1] == '/' || l >= sizeof(d->prefix) ||
			    strspn(p,
				   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "/._-") != l)
				config_errorf(
					ctx, line_of(v),
					"discovery.prefix: '%s' is not /NAME[/NAME...] (letters, "
					"digits, '.', '_', '-'; no trailing slash)",
					p);
			else
				snprintf(d->prefix, sizeof(d->prefix), "%s", p);
		} else if (!strcmp(key, "username")) {
			if (parse_string(ctx, v, "discovery.username", d->username,
					 sizeof(d->username)) &&
			    !shoal_name_valid(d->username))
				config_errorf(ctx, line_of(v), "discovery.username: %s",
					      SHOAL_NAME_RULE);
		} else if (!strcmp(key, "password_file")) {
			if (parse_string(ctx, v, "discovery.password_file", d->password_file,
					 sizeof(d->password_file)) &&
			    d->password_file[0] != '/')
				config_errorf(ctx, line_of(v),
					      "discovery.password_file: an absolute path");
		} else if (!strcmp(key, "tls")) {
			have_tls = true;
			parse_tls(ctx, v, d);
		} else if (!strcmp(key, "dial_timeout")) {
			parse_duration(ctx, v, "discovery.dial_timeout", 100, 60000,
				       &d->dial_timeout_ms);
		} else {
			config_errorf(ctx, line_of(k),
				      "discovery: unknown key '%s' (type, endpoints, prefix, "
				      "dial_timeout, username, password_file, tls)",
				      key);
		}
	}
	free(dups);
	if (!have_type)
		config_errorf(ctx, line_of(n), "discovery: 'type' is missing (etcd)");
	if (!d->nendpoints)
		config_errorf(ctx, line_of(n), "discovery: 'endpoints' is missing");
	if (!d->username[0] != !d->password_file[0])
		config_errorf(ctx, line_of(n),
			      "discovery: username and password_file go together (etcd auth)");
	if (have_tls && d->nendpoints && !d->tls)
		config_errorf(
			ctx, line_of(n),
			"discovery: a tls block needs https:// endpoints (these are http://)");
	d->on = true;
}

int shoal_service_parse_value(const struct shoal_config *base, const char *key, const char *text,
			      size_t len, const struct shoal_vip_key *want,
			      struct shoal_service_conf *ret, struct shoal_errors *errs)
{
	struct parse_ctx ctx = { .path = key, .errs = errs };
	struct shoal_errors warnings = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int ret_code;

	memset(ret, 0, sizeof(*ret));
	ctx.warnings = &warnings;
	ctx.defaults = &base->health_defaults;
	ret_code = config_yaml_load(&ctx, "JSON", text, len, &parser, &doc);
	if (ret_code)
		return ret_code;
	root = yaml_document_get_root_node(&doc);
	if (!root)
		config_errorf(&ctx, 1, "empty: a service is a JSON object");
	else
		config_parse_service(&ctx, root, ret);
	if (!errs->n && memcmp(&ret->key, want, sizeof(*want)))
		config_errorf(&ctx, ret->line, "vip, port and protocol differ from the key's");
	if (!errs->n)
		config_service_check(&ctx, &base->host, ret);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	shoal_errors_free(&warnings);
	if (errs->n) {
		free(ret->backends);
		memset(ret, 0, sizeof(*ret));
		return -EINVAL;
	}
	return 0;
}
