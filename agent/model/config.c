// SPDX-License-Identifier: GPL-2.0-only
/*
 * YAML configuration: libyaml's document API gives every node its line, so
 * each problem is reported where it is. Parsing never stops at the first
 * error: the whole file is checked, then either a complete config or the full
 * list of errors comes back. No I/O but reading the file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "model/addr.h"
#include "model/config.h"
#include "model/maglev.h"
#include "model/config_internal.h"

#define DEFAULT_GUE_PORT       6080
#define DEFAULT_CONTROL_SOCKET "/run/shoal/shoald.sock"
#define DEFAULT_METRICS	       "127.0.0.1:9435"
#define DEFAULT_PIN_ROOT       SHOAL_PIN_ROOT

void shoal_errors_add(struct shoal_errors *e, char *msg)
{
	char **grown;

	if (!msg)
		return;
	grown = realloc(e->msg, (e->n + 1) * sizeof(*grown));
	if (!grown) {
		free(msg);
		return;
	}
	e->msg = grown;
	e->msg[e->n++] = msg;
}

void config_errorf(struct parse_ctx *ctx, int line, const char *fmt, ...)
{
	char msg[512], *full;
	va_list ap;

	/* a hostile file may hold a million mistakes: the first ones say enough */
	if (ctx->errors++ >= SHOAL_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&full, "%s:%d: %s", ctx->path, line, msg) < 0)
		return;
	shoal_errors_add(ctx->errs, full);
}

void config_warnf(struct parse_ctx *ctx, int line, const char *fmt, ...)
{
	char msg[512], *full;
	va_list ap;

	if (!ctx->warnings || ctx->warnings->n >= SHOAL_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&full, "%s:%d: warning: %s", ctx->path, line, msg) < 0)
		return;
	shoal_errors_add(ctx->warnings, full);
}

void shoal_errors_free(struct shoal_errors *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

yaml_node_t *node_at(struct parse_ctx *ctx, int idx)
{
	return yaml_document_get_node(ctx->doc, idx);
}

/* The scalar text of n, or NULL (with an error naming what) when n is no scalar. */
const char *scalar(struct parse_ctx *ctx, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		config_errorf(ctx, line_of(n), "%s must be a single value", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

bool parse_uint(struct parse_ctx *ctx, yaml_node_t *n, const char *what, unsigned long long min,
		unsigned long long max, unsigned long long *ret)
{
	const char *s = scalar(ctx, n, what);
	unsigned long long v;
	char *end;

	if (!s)
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (!*s || *s == '-' || *end || errno) {
		config_errorf(ctx, line_of(n), "%s: '%s' is not a whole number", what, s);
		return false;
	}
	if (v < min || v > max) {
		config_errorf(ctx, line_of(n), "%s: %llu is out of range (%llu to %llu)", what, v,
			      min, max);
		return false;
	}
	*ret = v;
	return true;
}

bool parse_bool(struct parse_ctx *ctx, yaml_node_t *n, const char *what, bool *ret)
{
	const char *s = scalar(ctx, n, what);

	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
		*ret = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
		*ret = false;
		return true;
	}
	config_errorf(ctx, line_of(n), "%s: '%s' is not true or false", what, s);
	return false;
}

bool parse_string(struct parse_ctx *ctx, yaml_node_t *n, const char *what, char *buf, size_t len)
{
	const char *s = scalar(ctx, n, what);

	if (!s)
		return false;
	if (strlen(s) >= len) {
		config_errorf(ctx, line_of(n), "%s: longer than %zu characters", what, len - 1);
		return false;
	}
	snprintf(buf, len, "%s", s);
	return true;
}

bool shoal_name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= SHOAL_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static bool parse_name(struct parse_ctx *ctx, yaml_node_t *n, char *buf)
{
	const char *s = scalar(ctx, n, "name");

	if (!s)
		return false;
	if (!shoal_name_valid(s)) {
		config_errorf(ctx, line_of(n), "name: '%.80s%s' is not " SHOAL_NAME_RULE, s,
			      strlen(s) > 80 ? "..." : "");
		return false;
	}
	memcpy(buf, s, strlen(s) + 1);
	return true;
}

bool parse_addr(struct parse_ctx *ctx, yaml_node_t *n, const char *what, struct shoal_addr *ret,
		int *family)
{
	const char *s = scalar(ctx, n, what);

	if (!s)
		return false;
	if (shoal_addr_parse(s, ret, family)) {
		config_errorf(ctx, line_of(n), "%s: '%s' is not an IPv4 or IPv6 address", what, s);
		return false;
	}
	return true;
}

static bool parse_mac(struct parse_ctx *ctx, yaml_node_t *n, __u8 mac[6])
{
	const char *s = scalar(ctx, n, "gateway_mac");

	if (!s)
		return false;
	if (shoal_mac_parse(s, mac)) {
		config_errorf(ctx, line_of(n),
			      "gateway_mac: '%s' is not a MAC address like 02:00:5e:00:53:01", s);
		return false;
	}
	return true;
}

struct key_ref {
	const char *key;
	size_t idx;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

/*
 * Which pairs of mapping n repeat a key given earlier in it (reported once
 * each): sorted, so 50,000 keys cost what sorting them costs. Returns an
 * array of flags (NULL when none repeats or memory is short).
 */
bool *dup_keys(struct parse_ctx *ctx, yaml_node_t *n)
{
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start), i, m = 0;
	struct key_ref *refs;
	bool *dup = NULL;

	if (cnt < 2)
		return NULL;
	refs = calloc(cnt, sizeof(*refs));
	if (!refs)
		return NULL;
	for (i = 0; i < cnt; i++) {
		yaml_node_t *k = node_at(ctx, n->data.mapping.pairs.start[i].key);

		if (k && k->type == YAML_SCALAR_NODE) {
			refs[m].key = (const char *)k->data.scalar.value;
			refs[m++].idx = i;
		}
	}
	qsort(refs, m, sizeof(*refs), key_ref_cmp);
	for (i = 1; i < m; i++) {
		size_t first = i - 1;

		while (first > 0 && !strcmp(refs[first - 1].key, refs[i].key))
			first--;
		if (strcmp(refs[i - 1].key, refs[i].key))
			continue;
		if (!dup)
			dup = calloc(cnt, sizeof(*dup));
		if (!dup)
			break;
		dup[refs[i].idx] = true;
		config_errorf(
			ctx, line_of(node_at(ctx, n->data.mapping.pairs.start[refs[i].idx].key)),
			"'%s' is given twice (first at line %d)", refs[i].key,
			line_of(node_at(ctx, n->data.mapping.pairs.start[refs[first].idx].key)));
	}
	free(refs);
	return dup;
}

bool expect_mapping(struct parse_ctx *ctx, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE) {
		config_errorf(ctx, line_of(n), "%s must be a mapping of keys to values", what);
		return false;
	}
	return true;
}

/* host.flow_idle: the flow table's idle timeouts, by kind of flow. */
static void parse_flow_idle(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_flow_idle *f)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = { { "tcp", offsetof(struct shoal_flow_idle, tcp) },
		     { "tcp_closing", offsetof(struct shoal_flow_idle, tcp_closing) },
		     { "udp", offsetof(struct shoal_flow_idle, udp) },
		     { "unconfirmed", offsetof(struct shoal_flow_idle, unconfirmed) } };
	yaml_node_t *k, *v;
	char what[48];
	bool *dups;
	size_t i;
	__u32 ms;

	if (!expect_mapping(ctx, n, "flow_idle"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(key, keys[i].key))
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			config_errorf(
				ctx, line_of(k),
				"flow_idle: unknown key '%s' (tcp, tcp_closing, udp, unconfirmed)",
				key);
			continue;
		}
		snprintf(what, sizeof(what), "flow_idle.%s", key);
		if (parse_duration(ctx, v, what, 1000, SHOAL_FLOW_IDLE_MAX_S * 1000ULL, &ms))
			*(__u32 *)((char *)f + keys[i].off) = (ms + 999) / 1000;
	}
	free(dups);
}

static void parse_host(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_host_conf *h,
		       bool *have_iface)
{
	bool *dups;
	yaml_node_t *k, *v;
	unsigned long long u;

	if (!expect_mapping(ctx, n, "host"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "interface")) {
			*have_iface = parse_string(ctx, v, "interface", h->interface,
						   sizeof(h->interface));
		} else if (!strcmp(key, "xdp_mode")) {
			const char *s = scalar(ctx, v, key);

			if (s && !strcmp(s, "native"))
				h->xdp_mode = SHOAL_XDP_NATIVE;
			else if (s && !strcmp(s, "generic"))
				h->xdp_mode = SHOAL_XDP_GENERIC;
			else if (s)
				config_errorf(ctx, line_of(v),
					      "xdp_mode: '%s' is not native or generic", s);
		} else if (!strcmp(key, "source_v4")) {
			int fam = 0;

			if (parse_addr(ctx, v, key, &h->src_v4, &fam)) {
				if (fam != AF_INET)
					config_errorf(ctx, line_of(v),
						      "source_v4: not an IPv4 address");
				else
					h->have_src_v4 = true;
			}
		} else if (!strcmp(key, "source_v6")) {
			int fam = 0;

			if (parse_addr(ctx, v, key, &h->src_v6, &fam)) {
				if (fam != AF_INET6)
					config_errorf(ctx, line_of(v),
						      "source_v6: not an IPv6 address");
				else
					h->have_src_v6 = true;
			}
		} else if (!strcmp(key, "encap")) {
			const char *s = scalar(ctx, v, key);

			if (s && shoal_encap_parse(s, &h->encap))
				config_errorf(ctx, line_of(v), "encap: '%s' is not gue or ipip", s);
		} else if (!strcmp(key, "gue_port")) {
			if (parse_uint(ctx, v, key, 1, 65535, &u))
				h->gue_port = (__u16)u;
		} else if (!strcmp(key, "hash_seed")) {
			/* the secret that keeps outsiders from computing flow -> backend */
			if (parse_uint(ctx, v, key, 1, 0xffffffffULL, &u)) {
				h->hash_seed = (__u32)u;
				h->have_hash_seed = true;
			}
		} else if (!strcmp(key, "flow_table_size")) {
			if (parse_uint(ctx, v, key, 1024, 1ULL << 27, &u))
				h->flow_table_size = (__u32)u;
		} else if (!strcmp(key, "flow_idle")) {
			parse_flow_idle(ctx, v, &h->flow_idle);
		} else if (!strcmp(key, "mtu")) {
			if (parse_uint(ctx, v, key, 0, 65535, &u)) {
				if (u && u < 576)
					config_errorf(ctx, line_of(v), "mtu: %llu is below 576", u);
				h->mtu = (__u16)u;
			}
		} else if (!strcmp(key, "icmp_rate")) {
			if (parse_uint(ctx, v, key, 1, 1000000, &u))
				h->icmp_rate = (__u32)u;
		} else if (!strcmp(key, "icmp_burst")) {
			if (parse_uint(ctx, v, key, 1, 100000, &u))
				h->icmp_burst = (__u32)u;
		} else if (!strcmp(key, "gateway_mac")) {
			h->have_gateway_mac = parse_mac(ctx, v, h->gateway_mac);
		} else if (!strcmp(key, "control_socket")) {
			parse_string(ctx, v, key, h->control_socket, sizeof(h->control_socket));
		} else if (!strcmp(key, "metrics")) {
			parse_string(ctx, v, key, h->metrics_addr, sizeof(h->metrics_addr));
		} else if (!strcmp(key, "pin_path")) {
			parse_string(ctx, v, key, h->pin_path, sizeof(h->pin_path));
		} else {
			config_errorf(ctx, line_of(k), "host: unknown key '%s'", key);
		}
	}
	free(dups);
}

static void parse_backend(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_backend_conf *b)
{
	bool have_addr = false, *dups;
	unsigned long long u;
	yaml_node_t *k, *v;

	b->line = line_of(n);
	b->weight = 1;
	b->encap = SHOAL_ENCAP_DEFAULT;
	/* "- 198.51.100.11" is a backend with defaults */
	if (n->type == YAML_SCALAR_NODE) {
		parse_addr(ctx, n, "backend", &b->addr, &b->family);
		return;
	}
	if (!expect_mapping(ctx, n, "a backend"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "address")) {
			have_addr = parse_addr(ctx, v, "address", &b->addr, &b->family);
			if (!have_addr)
				b->family = -1;
		} else if (!strcmp(key, "weight")) {
			if (parse_uint(ctx, v, key, 0, SHOAL_MAX_WEIGHT, &u))
				b->weight = (__u32)u;
		} else if (!strcmp(key, "drain")) {
			parse_bool(ctx, v, key, &b->drain);
		} else if (!strcmp(key, "encap")) {
			const char *s = scalar(ctx, v, key);

			if (s && shoal_encap_parse(s, &b->encap))
				config_errorf(ctx, line_of(v), "encap: '%s' is not gue or ipip", s);
		} else {
			config_errorf(ctx, line_of(k), "backend: unknown key '%s'", key);
		}
	}
	free(dups);
	if (!have_addr && b->family != -1)
		config_errorf(ctx, b->line, "backend: 'address' is missing");
}

void config_parse_service(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_service_conf *s)
{
	bool have_vip = false, have_port = false, *dups;
	unsigned long long u;
	yaml_node_t *k, *v;

	s->line = line_of(n);
	s->key.proto = IPPROTO_TCP;
	s->scheduler = SHOAL_SCHED_MAGLEV;
	s->table_size = SHOAL_DEFAULT_TABLE_SIZE;
	s->flow_table = true;
	s->health = *ctx->defaults;
	if (!expect_mapping(ctx, n, "a service"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "name")) {
			parse_name(ctx, v, s->name);
		} else if (!strcmp(key, "vip")) {
			have_vip = parse_addr(ctx, v, "vip", &s->key.addr, &s->family);
		} else if (!strcmp(key, "port")) {
			if (parse_uint(ctx, v, key, 0, 65535, &u)) {
				s->key.port = htons((__u16)u);
				have_port = true;
			}
		} else if (!strcmp(key, "protocol")) {
			const char *p = scalar(ctx, v, key);

			if (p && !strcmp(p, "tcp"))
				s->key.proto = IPPROTO_TCP;
			else if (p && !strcmp(p, "udp"))
				s->key.proto = IPPROTO_UDP;
			else if (p)
				config_errorf(ctx, line_of(v), "protocol: '%s' is not tcp or udp",
					      p);
		} else if (!strcmp(key, "scheduler")) {
			const char *p = scalar(ctx, v, key);

			/* Maglev whose weights come from the backends' own load reports */
			s->least_loaded = p && !strcmp(p, "least-loaded");
			if (s->least_loaded)
				s->scheduler = SHOAL_SCHED_MAGLEV;
			else if (p && shoal_sched_parse(p, &s->scheduler))
				config_errorf(
					ctx, line_of(v),
					"scheduler: '%s' is not maglev, maglev-src, rr, random "
					"or least-loaded",
					p);
		} else if (!strcmp(key, "table_size")) {
			s->table_size_given = true;
			if (parse_uint(ctx, v, key, 2, SHOAL_MAX_TABLE_SIZE, &u)) {
				if (!maglev_is_prime((__u32)u))
					config_errorf(
						ctx, line_of(v),
						"table_size: %llu is not a prime (65537 and 251 "
						"are)",
						u);
				s->table_size = (__u32)u;
			}
		} else if (!strcmp(key, "flow_table")) {
			parse_bool(ctx, v, key, &s->flow_table);
		} else if (!strcmp(key, "backends")) {
			size_t i, cnt;

			if (v->type != YAML_SEQUENCE_NODE) {
				config_errorf(ctx, line_of(v), "backends must be a list");
				continue;
			}
			cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
			/* aliases can make a small file name a huge set: stop at the limit */
			if (ctx->total_backends + cnt >= SHOAL_MAX_BACKENDS) {
				config_errorf(ctx, line_of(v), "backends: more than %d in all",
					      SHOAL_MAX_BACKENDS - 1);
				ctx->total_backends = SHOAL_MAX_BACKENDS;
				continue;
			}
			ctx->total_backends += cnt;
			free(s->backends);
			s->backends = calloc(cnt ? cnt : 1, sizeof(*s->backends));
			if (!s->backends) {
				config_errorf(ctx, line_of(v), "out of memory");
				continue;
			}
			s->nbackends = cnt;
			for (i = 0; i < cnt; i++)
				parse_backend(ctx, node_at(ctx, v->data.sequence.items.start[i]),
					      &s->backends[i]);
		} else if (!strcmp(key, "bgp")) {
			s->have_attrs = true;
			config_route_attrs(ctx, v, "service bgp", &s->attrs);
		} else if (!config_health_key(ctx, key, v, &s->health)) {
			config_errorf(ctx, line_of(k), "service: unknown key '%s'", key);
		}
	}
	free(dups);
	config_health_check(ctx, s);
	if (s->least_loaded && !s->health.agent.on)
		config_errorf(ctx, s->line,
			      "service: scheduler least-loaded needs agent_check (the load it "
			      "balances by)");
	if (!have_vip)
		config_errorf(ctx, s->line, "service: 'vip' is missing");
	if (!have_port)
		config_errorf(ctx, s->line, "service: 'port' is missing (0 means all ports)");
	if (!s->flow_table &&
	    (s->scheduler == SHOAL_SCHED_RR || s->scheduler == SHOAL_SCHED_RANDOM))
		config_errorf(ctx, s->line,
			      "service: scheduler %s needs the flow table (flow_table: true)",
			      shoal_sched_name(s->scheduler));
}

/* The host-wide defaults of every service's health keys. */
static void parse_defaults(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_health_conf *h)
{
	yaml_node_t *k, *v;
	bool *dups;

	if (!expect_mapping(ctx, n, "defaults"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!config_health_key(ctx, key, v, h))
			config_errorf(ctx, line_of(k),
				      "defaults: unknown key '%s' (health, slow_start, "
				      "panic_threshold, min_healthy, agent_check)",
				      key);
	}
	free(dups);
}

int config_yaml_load(struct parse_ctx *ctx, const char *kind, const char *text, size_t len,
		     yaml_parser_t *parser, yaml_document_t *doc)
{
	if (!yaml_parser_initialize(parser))
		return -ENOMEM;
	yaml_parser_set_input_string(parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(parser, doc)) {
		config_errorf(ctx, (int)parser->problem_mark.line + 1, "%s: %s", kind,
			      parser->problem ? parser->problem : "cannot parse");
		yaml_parser_delete(parser);
		return -EINVAL;
	}
	ctx->doc = doc;
	return 0;
}

int shoal_config_parse(const char *path, const char *text, size_t len, struct shoal_config **ret,
		       struct shoal_errors *errs)
{
	struct parse_ctx ctx = { .path = path, .errs = errs };
	bool have_host = false, have_iface = false;
	char *more;
	struct shoal_config *c;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *k, *v;
	int ret_code;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->path, sizeof(c->path), "%s", path);
	ctx.warnings = &c->warnings;
	shoal_health_conf_init(&c->health_defaults);
	ctx.defaults = &c->health_defaults;
	c->host.encap = SHOAL_ENCAP_GUE;
	c->host.gue_port = DEFAULT_GUE_PORT;
	c->host.flow_table_size = SHOAL_DEFAULT_FLOWS;
	c->host.flow_idle = (struct shoal_flow_idle)SHOAL_FLOW_IDLE_DEFAULTS;
	c->host.icmp_rate = 100; /* too-big replies a second, per CPU */
	config_anycast_defaults(&c->anycast);
	c->host.icmp_burst = 20;
	snprintf(c->host.control_socket, sizeof(c->host.control_socket), "%s",
		 DEFAULT_CONTROL_SOCKET);
	snprintf(c->host.metrics_addr, sizeof(c->host.metrics_addr), "%s", DEFAULT_METRICS);

	ret_code = config_yaml_load(&ctx, "YAML", text, len, &parser, &doc);
	if (ret_code) {
		free(c);
		return ret_code;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		config_errorf(&ctx, 1, "the file is empty: it needs host and services");
	} else if (expect_mapping(&ctx, root, "the file")) {
		bool *dups = dup_keys(&ctx, root);

		/* the defaults first: services start from them, wherever they stand */
		for_each_pair(&ctx, root, k, v)
		{
			if (k->type == YAML_SCALAR_NODE && !pair_is_dup(root, dups, p_) &&
			    !strcmp((const char *)k->data.scalar.value, "defaults"))
				parse_defaults(&ctx, v, &c->health_defaults);
		}
		for_each_pair(&ctx, root, k, v)
		{
			const char *key = scalar(&ctx, k, "a key");

			if (!key || pair_is_dup(root, dups, p_) || !strcmp(key, "defaults"))
				continue;
			if (!strcmp(key, "host")) {
				have_host = true;
				parse_host(&ctx, v, &c->host, &have_iface);
			} else if (!strcmp(key, "services")) {
				size_t i, n;

				if (v->type != YAML_SEQUENCE_NODE) {
					config_errorf(&ctx, line_of(v), "services must be a list");
					continue;
				}
				n = (size_t)(v->data.sequence.items.top -
					     v->data.sequence.items.start);
				if (n >= SHOAL_MAX_VIPS) {
					config_errorf(&ctx, line_of(v), "%zu services: at most %d",
						      n, SHOAL_MAX_VIPS - 1);
					continue;
				}
				c->services = calloc(n ? n : 1, sizeof(*c->services));
				if (!c->services)
					continue;
				c->nservices = n;
				for (i = 0; i < n; i++)
					config_parse_service(
						&ctx,
						node_at(&ctx, v->data.sequence.items.start[i]),
						&c->services[i]);
			} else if (!strcmp(key, "bgp")) {
				config_bgp_parse(&ctx, v, &c->anycast);
			} else if (!strcmp(key, "announce")) {
				config_announce_parse(&ctx, v, &c->anycast);
			} else if (!strcmp(key, "discovery")) {
				config_discovery_parse(&ctx, v, &c->discovery);
			} else {
				config_errorf(&ctx, line_of(k),
					      "unknown key '%s' (host, defaults, services, bgp, "
					      "announce, discovery)",
					      key);
			}
		}
		free(dups);
		if (!have_host)
			config_errorf(&ctx, line_of(root), "'host' is missing");
		else if (!have_iface)
			config_errorf(&ctx, line_of(root), "host: 'interface' is missing");
		if (have_host && !c->host.have_hash_seed)
			config_errorf(
				&ctx, line_of(root),
				"host: 'hash_seed' is missing: the same secret on every shoal "
				"host of a cluster, so no outsider can compute which backend a "
				"flow gets (shoald --gen-seed prints a random one)");
	}
	if (have_iface && !c->host.pin_path[0])
		snprintf(c->host.pin_path, sizeof(c->host.pin_path), "%s/%s", DEFAULT_PIN_ROOT,
			 c->host.interface);
	if (!errs->n)
		config_validate(&ctx, c);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ctx.errors > SHOAL_MAX_ERRORS &&
	    asprintf(&more, "%s: and %zu more errors", path, ctx.errors - SHOAL_MAX_ERRORS) >= 0)
		shoal_errors_add(errs, more);
	if (errs->n) {
		shoal_config_free(c);
		return -EINVAL;
	}
	*ret = c;
	return 0;
}

int shoal_config_load(const char *path, struct shoal_config **ret, struct shoal_errors *errs)
{
	struct parse_ctx ctx = { .path = path, .errs = errs };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret_code;

	f = fopen(path, "r");
	if (!f) {
		ret_code = -errno;
		config_errorf(&ctx, 0, "cannot open: %s", strerror(errno));
		return ret_code;
	}
	{
		char buf[65536];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			char *grown;

			if (len + n > SHOAL_CONFIG_MAX_BYTES) {
				free(text);
				fclose(f);
				config_errorf(&ctx, 0, "larger than %u MiB: refused unread",
					      SHOAL_CONFIG_MAX_BYTES >> 20);
				return -EFBIG;
			}
			grown = realloc(text, len + n + 1);

			if (!grown) {
				free(text);
				fclose(f);
				return -ENOMEM;
			}
			text = grown;
			memcpy(text + len, buf, n);
			len += n;
		}
	}
	fclose(f);
	ret_code = shoal_config_parse(path, text ? text : "", len, ret, errs);
	free(text);
	return ret_code;
}

void shoal_config_free(struct shoal_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nservices; i++)
		free(c->services[i].backends);
	free(c->services);
	shoal_errors_free(&c->warnings);
	free(c);
}

const struct shoal_service_conf *shoal_config_find(const struct shoal_config *c,
						   const struct shoal_vip_key *k)
{
	size_t i;

	for (i = 0; i < c->nservices; i++)
		if (!memcmp(&c->services[i].key, k, sizeof(*k)))
			return &c->services[i];
	return NULL;
}
