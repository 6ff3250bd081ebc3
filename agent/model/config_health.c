// SPDX-License-Identifier: GPL-2.0-only
/*
 * The health keys of a service (and of the defaults block): the check, on_down,
 * passive signal, slow start, panic threshold, min_healthy and agent_check.
 * Every bound is checked here; errors as "file:line: message".
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config_internal.h"

#define MS_MAX_HOUR 3600000ULL

/* "2s", "500ms", "1m" (and "0") into milliseconds within [min, max]. */
bool parse_duration(struct parse_ctx *ctx, yaml_node_t *n, const char *what, unsigned long long min,
		    unsigned long long max, __u32 *ret)
{
	const char *s = scalar(ctx, n, what);
	unsigned long long v, mult;
	char *end;

	if (!s)
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *s == '-' || errno)
		goto bad;
	if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "m"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else if (!*end && !v)
		mult = 1;
	else
		goto bad;
	if (v > max / mult + 1 || v * mult < min || v * mult > max) {
		config_errorf(ctx, line_of(n), "%s: %s is out of range (%llums to %llums)", what, s,
			      min, max);
		return false;
	}
	*ret = (__u32)(v * mult);
	return true;
bad:
	config_errorf(ctx, line_of(n), "%s: '%s' is not a duration like 500ms, 2s, 1m or 1h", what,
		      s);
	return false;
}

/* "50%" or "50" within [min, max]. */
static bool parse_percent(struct parse_ctx *ctx, yaml_node_t *n, const char *what,
			  unsigned long min, unsigned long max, __u32 *ret)
{
	const char *s = scalar(ctx, n, what);
	unsigned long v;
	char *end;

	if (!s)
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (end == s || *s == '-' || errno || (*end && strcmp(end, "%"))) {
		config_errorf(ctx, line_of(n), "%s: '%s' is not a percentage like 50%%", what, s);
		return false;
	}
	if (v < min || v > max) {
		config_errorf(ctx, line_of(n), "%s: %s is out of range (%lu%% to %lu%%)", what, s,
			      min, max);
		return false;
	}
	*ret = (__u32)v;
	return true;
}

/* Printable ASCII without spaces: what may go into a request line or header. */
static bool token_ok(const char *s, bool spaces)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || (!spaces && *s == ' '))
			return false;
	return true;
}

static void parse_text(struct parse_ctx *ctx, yaml_node_t *v, const char *key, char *buf,
		       bool spaces)
{
	if (parse_string(ctx, v, key, buf, SHOAL_HEALTH_STR) && !token_ok(buf, spaces)) {
		config_errorf(ctx, line_of(v), "%s: only printable characters%s", key,
			      spaces ? "" : " without spaces");
		buf[0] = 0;
	}
}

/* HTTP statuses: 200, "200-399", or a list of either. */
static void parse_statuses(struct parse_ctx *ctx, yaml_node_t *v, struct shoal_check_conf *c)
{
	yaml_node_t *items[SHOAL_EXPECT_RANGES];
	size_t n = 0, i;

	if (v->type == YAML_SEQUENCE_NODE) {
		size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);

		if (!cnt || cnt > SHOAL_EXPECT_RANGES) {
			config_errorf(ctx, line_of(v), "expect: 1 to %d statuses or ranges",
				      SHOAL_EXPECT_RANGES);
			return;
		}
		for (i = 0; i < cnt; i++)
			items[n++] = node_at(ctx, v->data.sequence.items.start[i]);
	} else {
		items[n++] = v;
	}
	c->nexpect = 0;
	for (i = 0; i < n; i++) {
		const char *s = scalar(ctx, items[i], "expect");
		unsigned int lo, hi;
		int used = 0;

		if (!s)
			return;
		if (sscanf(s, "%3u-%3u%n", &lo, &hi, &used) == 2 && !s[used]) {
		} else if (sscanf(s, "%3u%n", &lo, &used) == 1 && !s[used]) {
			hi = lo;
		} else {
			config_errorf(
				ctx, line_of(items[i]),
				"expect: '%s' is not a status like 200 or a range like 200-399", s);
			return;
		}
		if (lo < 100 || hi > 599 || lo > hi) {
			config_errorf(ctx, line_of(items[i]),
				      "expect: '%s' is not within 100-599, low to high", s);
			return;
		}
		c->expect[c->nexpect].lo = (__u16)lo;
		c->expect[c->nexpect++].hi = (__u16)hi;
	}
}

static bool dns_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0, i;

	if (!n || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (!label)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* The type first: what "expect" means depends on it. */
static void parse_check_type(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_check_conf *c)
{
	yaml_node_t *k, *v;

	for_each_pair(ctx, n, k, v)
	{
		const char *key =
			k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
		const char *s;

		if (!key || strcmp(key, "type"))
			continue;
		s = scalar(ctx, v, "type");
		if (s && shoal_check_type_parse(s, &c->type))
			config_errorf(ctx, line_of(v),
				      "type: '%s' is not tcp, http, https, udp, dns or none", s);
		else if (s)
			c->type_given = 1;
	}
}

static void parse_passive(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_passive_conf *p)
{
	yaml_node_t *k, *v;
	unsigned long long u;
	bool *dups;

	if (n->type == YAML_SCALAR_NODE) {
		parse_bool(ctx, n, "passive", &p->on);
		return;
	}
	if (!expect_mapping(ctx, n, "passive"))
		return;
	p->on = true;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "window"))
			parse_duration(ctx, v, "passive.window", 1000, 600000, &p->window_ms);
		else if (!strcmp(key, "min_syns")) {
			if (parse_uint(ctx, v, "passive.min_syns", 1, 1000000, &u))
				p->min_syns = (__u32)u;
		} else if (!strcmp(key, "ratio"))
			parse_percent(ctx, v, "passive.ratio", 1, 100, &p->ratio_pct);
		else if (!strcmp(key, "enabled"))
			parse_bool(ctx, v, "passive.enabled", &p->on);
		else
			config_errorf(
				ctx, line_of(k),
				"passive: unknown key '%s' (window, min_syns, ratio, enabled)",
				key);
	}
	free(dups);
}

static void parse_check(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_health_conf *h)
{
	struct shoal_check_conf *c = &h->check;
	bool *dups, timeout_given = false;
	yaml_node_t *k, *v;
	unsigned long long u;

	if (!expect_mapping(ctx, n, "health"))
		return;
	parse_check_type(ctx, n, c);
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key"), *s;

		if (!key || pair_is_dup(n, dups, p_) || !strcmp(key, "type"))
			continue;
		if (!strcmp(key, "port")) {
			if (parse_uint(ctx, v, "health.port", 1, 65535, &u))
				c->port = (__u16)u;
		} else if (!strcmp(key, "path")) {
			parse_text(ctx, v, "health.path", c->path, false);
			if (c->path[0] != '/')
				config_errorf(ctx, line_of(v), "health.path: must start with '/'");
		} else if (!strcmp(key, "host")) {
			parse_text(ctx, v, "health.host", c->host, false);
		} else if (!strcmp(key, "body")) {
			parse_text(ctx, v, "health.body", c->body, true);
		} else if (!strcmp(key, "query")) {
			if (parse_string(ctx, v, "health.query", c->query, sizeof(c->query)) &&
			    !dns_name_ok(c->query))
				config_errorf(ctx, line_of(v),
					      "health.query: '%s' is not a domain name", c->query);
		} else if (!strcmp(key, "send")) {
			parse_text(ctx, v, "health.send", c->send, true);
		} else if (!strcmp(key, "expect")) {
			if (c->type == SHOAL_CHECK_UDP)
				parse_text(ctx, v, "health.expect", c->expect_reply, true);
			else if (c->type == SHOAL_CHECK_HTTP || c->type == SHOAL_CHECK_HTTPS)
				parse_statuses(ctx, v, c);
			else
				config_errorf(ctx, line_of(k),
					      "health.expect: only for http, https and udp checks");
		} else if (!strcmp(key, "via")) {
			s = scalar(ctx, v, "health.via");
			if (s && !strcmp(s, "tunnel"))
				c->via = SHOAL_VIA_TUNNEL;
			else if (s && !strcmp(s, "direct"))
				c->via = SHOAL_VIA_DIRECT;
			else if (s)
				config_errorf(ctx, line_of(v),
					      "health.via: '%s' is not tunnel or direct", s);
		} else if (!strcmp(key, "interval")) {
			parse_duration(ctx, v, "health.interval", 100, MS_MAX_HOUR,
				       &c->interval_ms);
		} else if (!strcmp(key, "timeout")) {
			timeout_given =
				parse_duration(ctx, v, "health.timeout", 10, 60000, &c->timeout_ms);
		} else if (!strcmp(key, "rise")) {
			if (parse_uint(ctx, v, "health.rise", 1, 100, &u))
				c->rise = (__u32)u;
		} else if (!strcmp(key, "fall")) {
			if (parse_uint(ctx, v, "health.fall", 1, 100, &u))
				c->fall = (__u32)u;
		} else if (!strcmp(key, "jitter")) {
			parse_percent(ctx, v, "health.jitter", 0, 50, &c->jitter_pct);
		} else if (!strcmp(key, "on_down")) {
			s = scalar(ctx, v, "health.on_down");
			if (s && !strcmp(s, "keep_flows"))
				h->reschedule = false;
			else if (s && !strcmp(s, "reschedule"))
				h->reschedule = true;
			else if (s)
				config_errorf(
					ctx, line_of(v),
					"health.on_down: '%s' is not keep_flows or reschedule", s);
		} else if (!strcmp(key, "passive")) {
			parse_passive(ctx, v, &h->passive);
		} else {
			config_errorf(ctx, line_of(k), "health: unknown key '%s'", key);
		}
	}
	free(dups);
	/* a timeout longer than the interval would overlap the next check */
	if (c->timeout_ms > c->interval_ms) {
		if (timeout_given)
			config_errorf(ctx, line_of(n),
				      "health: timeout (%ums) is longer than interval (%ums)",
				      c->timeout_ms, c->interval_ms);
		else
			c->timeout_ms = c->interval_ms;
	}
	if (c->type == SHOAL_CHECK_DNS && !c->query[0])
		config_errorf(ctx, line_of(n), "health: a dns check needs 'query'");
}

static void parse_agent_check(struct parse_ctx *ctx, yaml_node_t *n,
			      struct shoal_agent_check_conf *a)
{
	yaml_node_t *k, *v;
	unsigned long long u;
	bool *dups;

	if (!expect_mapping(ctx, n, "agent_check"))
		return;
	a->on = true;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "port")) {
			if (parse_uint(ctx, v, "agent_check.port", 1, 65535, &u))
				a->port = (__u16)u;
		} else if (!strcmp(key, "interval")) {
			parse_duration(ctx, v, "agent_check.interval", 100, MS_MAX_HOUR,
				       &a->interval_ms);
		} else if (!strcmp(key, "timeout")) {
			parse_duration(ctx, v, "agent_check.timeout", 10, 60000, &a->timeout_ms);
		} else {
			config_errorf(ctx, line_of(k),
				      "agent_check: unknown key '%s' (port, interval, timeout)",
				      key);
		}
	}
	free(dups);
	if (!a->port)
		config_errorf(ctx, line_of(n), "agent_check: 'port' is missing");
	if (a->timeout_ms > a->interval_ms)
		a->timeout_ms = a->interval_ms;
}

bool config_health_key(struct parse_ctx *ctx, const char *key, yaml_node_t *v,
		       struct shoal_health_conf *h)
{
	unsigned long long u;

	if (!strcmp(key, "health"))
		parse_check(ctx, v, h);
	else if (!strcmp(key, "slow_start"))
		parse_duration(ctx, v, key, 0, MS_MAX_HOUR, &h->slow_start_ms);
	else if (!strcmp(key, "panic_threshold"))
		parse_percent(ctx, v, key, 0, 100, &h->panic_pct);
	else if (!strcmp(key, "min_healthy")) {
		if (parse_uint(ctx, v, key, 0, SHOAL_MAX_BACKENDS, &u))
			h->min_healthy = (__u32)u;
	} else if (!strcmp(key, "agent_check"))
		parse_agent_check(ctx, v, &h->agent);
	else
		return false;
	return true;
}

void config_health_check(struct parse_ctx *ctx, struct shoal_service_conf *s)
{
	struct shoal_check_conf *c = &s->health.check;

	/* a TCP connect says little about a UDP service: it is checked when asked to */
	if (s->key.proto == IPPROTO_UDP && !c->type_given)
		c->type = SHOAL_CHECK_NONE;

	if (c->type != SHOAL_CHECK_NONE && !c->port && !s->key.port)
		config_errorf(ctx, s->line,
			      "service: an all-port VIP needs health.port (or health.type: none)");
}
