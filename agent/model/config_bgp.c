// SPDX-License-Identifier: GPL-2.0-only
/*
 * The announcement's keys: the bgp block (speaker, peers, BFD), the announce
 * block (kernel routes instead), and a service's own bgp keys (communities,
 * large communities, MED). Every bound is checked; errors as
 * "file:line: message".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/addr.h"
#include "model/config_internal.h"

#define DEFAULT_HOLD_S	     9
#define DEFAULT_RETRY_S	     5
#define DEFAULT_GR_S	     30
#define DEFAULT_GRACE_MS     5000
#define DEFAULT_BFD_MS	     100
#define DEFAULT_BFD_MULT     3
#define DEFAULT_KERNEL_TABLE 100
#define DEFAULT_KERNEL_PROTO 200

void config_anycast_defaults(struct shoal_anycast_conf *a)
{
	a->hold_s = DEFAULT_HOLD_S;
	a->connect_retry_s = DEFAULT_RETRY_S;
	a->gr = true;
	a->gr_time_s = DEFAULT_GR_S;
	a->shutdown_grace_ms = DEFAULT_GRACE_MS;
	a->listen = true;
	a->listen_port = 179;
	a->bfd.interval_ms = DEFAULT_BFD_MS;
	a->bfd.multiplier = DEFAULT_BFD_MULT;
	a->table = DEFAULT_KERNEL_TABLE;
	a->protocol = DEFAULT_KERNEL_PROTO;
}

static bool parse_as(struct parse_ctx *ctx, yaml_node_t *n, const char *what, __u32 *ret)
{
	unsigned long long v;

	if (!parse_uint(ctx, n, what, 1, 4294967295ULL, &v))
		return false;
	if (v == 23456) {
		config_errorf(ctx, line_of(n), "%s: 23456 is AS_TRANS, no one's AS", what);
		return false;
	}
	*ret = (__u32)v;
	return true;
}

/* A hold time in whole seconds: 0 (no keepalives) or 3 to 65535 (RFC 4271 4.2). */
static bool parse_hold(struct parse_ctx *ctx, yaml_node_t *n, const char *what, __u32 *ret)
{
	__u32 ms;

	if (!parse_duration(ctx, n, what, 0, 65535000, &ms))
		return false;
	if (ms % 1000 || (ms && ms < 3000)) {
		config_errorf(ctx, line_of(n), "%s: 0 or whole seconds from 3s to 65535s", what);
		return false;
	}
	*ret = ms / 1000;
	return true;
}

static const struct {
	const char *name;
	__u32 value;
} well_known[] = {
	{ "graceful-shutdown", 0xffff0000 }, { "blackhole", 0xffff029a },
	{ "no-export", 0xffffff01 },	     { "no-advertise", 0xffffff02 },
	{ "no-peer", 0xffffff04 },
};

/* "65000:100" or a well-known name. */
static bool parse_community(const char *s, __u32 *ret)
{
	unsigned long a, b;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(well_known) / sizeof(well_known[0]); i++)
		if (!strcmp(s, well_known[i].name)) {
			*ret = well_known[i].value;
			return true;
		}
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || *end != ':' || a > 65535 || end[1] < '0' || end[1] > '9')
		return false;
	b = strtoul(end + 1, &end, 10);
	if (errno || *end || b > 65535)
		return false;
	*ret = (__u32)(a << 16 | b);
	return true;
}

/* "G:L1:L2", each a 32-bit number (RFC 8092). */
static bool parse_large(const char *s, __u32 ret[3])
{
	const char *p = s;
	int i;

	for (i = 0; i < 3; i++) {
		unsigned long long v;
		char *end;

		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || v > 0xffffffffULL || (i < 2 ? *end != ':' : *end != '\0'))
			return false;
		ret[i] = (__u32)v;
		p = end + 1;
	}
	return true;
}

static void parse_comm_list(struct parse_ctx *ctx, yaml_node_t *n, const char *what, bool large,
			    struct shoal_route_attrs *r)
{
	size_t i, cnt;

	if (n->type != YAML_SEQUENCE_NODE) {
		config_errorf(ctx, line_of(n), "%s must be a list", what);
		return;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > SHOAL_BGP_MAX_COMMS) {
		config_errorf(ctx, line_of(n), "%s: %zu of them, at most %d", what, cnt,
			      SHOAL_BGP_MAX_COMMS);
		return;
	}
	for (i = 0; i < cnt; i++) {
		yaml_node_t *e = node_at(ctx, n->data.sequence.items.start[i]);
		const char *s = e ? scalar(ctx, e, what) : NULL;

		if (!s)
			continue;
		if (large ? !parse_large(s, r->large[r->nlarge])
			  : !parse_community(s, &r->comms[r->ncomms])) {
			config_errorf(
				ctx, line_of(e),
				large ? "%s: '%s' is not GLOBAL:LOCAL1:LOCAL2 (32-bit numbers)"
				      : "%s: '%s' is not ASN:VALUE (16-bit numbers) or "
					"no-export, no-advertise, no-peer, blackhole, "
					"graceful-shutdown",
				what, s);
			continue;
		}
		if (large)
			r->nlarge++;
		else
			r->ncomms++;
	}
}

/* communities, large_communities or med into r; false when key is none of them. */
static bool attrs_key(struct parse_ctx *ctx, const char *key, yaml_node_t *v,
		      struct shoal_route_attrs *r)
{
	unsigned long long med;

	if (!strcmp(key, "communities")) {
		parse_comm_list(ctx, v, key, false, r);
	} else if (!strcmp(key, "large_communities")) {
		parse_comm_list(ctx, v, key, true, r);
	} else if (!strcmp(key, "med")) {
		if (parse_uint(ctx, v, key, 0, 4294967295ULL, &med)) {
			r->have_med = true;
			r->med = (__u32)med;
		}
	} else {
		return false;
	}
	return true;
}

void config_route_attrs(struct parse_ctx *ctx, yaml_node_t *n, const char *what,
			struct shoal_route_attrs *r)
{
	yaml_node_t *k, *v;
	bool *dups;

	if (!expect_mapping(ctx, n, what))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!attrs_key(ctx, key, v, r))
			config_errorf(ctx, line_of(k),
				      "%s: unknown key '%s' (communities, large_communities, med)",
				      what, key);
	}
	free(dups);
}

static void parse_bfd(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_bfd_conf *b)
{
	unsigned long long mult;
	yaml_node_t *k, *v;
	bool *dups;

	if (!expect_mapping(ctx, n, "bgp.bfd"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "interval"))
			parse_duration(ctx, v, "bfd.interval", 10, 10000, &b->interval_ms);
		else if (!strcmp(key, "multiplier")) {
			if (parse_uint(ctx, v, "bfd.multiplier", 2, 255, &mult))
				b->multiplier = (__u32)mult;
		} else
			config_errorf(ctx, line_of(k),
				      "bgp.bfd: unknown key '%s' (interval, multiplier)", key);
	}
	free(dups);
}

static void parse_peer(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_bgp_peer_conf *p)
{
	bool have_addr = false, have_as = false;
	unsigned long long u;
	yaml_node_t *k, *v;
	bool *dups;

	p->line = line_of(n);
	p->port = 179;
	p->ttl = 1;
	if (!expect_mapping(ctx, n, "a peer"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");
		int fam = 0;

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "address")) {
			have_addr = parse_addr(ctx, v, "peer address", &p->addr, &p->family);
		} else if (!strcmp(key, "peer_as")) {
			have_as = parse_as(ctx, v, "peer_as", &p->peer_as);
		} else if (!strcmp(key, "local_as")) {
			parse_as(ctx, v, "local_as", &p->local_as);
		} else if (!strcmp(key, "source")) {
			p->have_source = parse_addr(ctx, v, "peer source", &p->source, &fam);
			if (p->have_source && p->family && fam != p->family)
				config_errorf(ctx, line_of(v),
					      "peer source: not of the peer address's family");
		} else if (!strcmp(key, "port")) {
			if (parse_uint(ctx, v, "peer port", 1, 65535, &u))
				p->port = (__u16)u;
		} else if (!strcmp(key, "password")) {
			parse_string(ctx, v, "peer password (TCP-MD5, at most 80 bytes)",
				     p->password, sizeof(p->password));
		} else if (!strcmp(key, "passive")) {
			parse_bool(ctx, v, "passive", &p->passive);
		} else if (!strcmp(key, "multihop")) {
			if (parse_uint(ctx, v, "multihop (the TTL)", 1, 255, &u))
				p->ttl = (__u8)u;
		} else if (!strcmp(key, "hold_time")) {
			parse_hold(ctx, v, "peer hold_time", &p->hold_s);
		} else if (!strcmp(key, "bfd")) {
			parse_bool(ctx, v, "peer bfd", &p->bfd);
		} else {
			config_errorf(ctx, line_of(k),
				      "peer: unknown key '%s' (address, peer_as, local_as, source, "
				      "port, password, passive, multihop, hold_time, bfd)",
				      key);
		}
	}
	free(dups);
	if (!have_addr)
		config_errorf(ctx, p->line, "peer: 'address' is missing");
	if (!have_as)
		config_errorf(ctx, p->line, "peer: 'peer_as' is missing");
	if (p->bfd && p->ttl > 1)
		config_errorf(ctx, p->line,
			      "peer: bfd is single hop (RFC 5881): not with multihop %u", p->ttl);
}

static void parse_peers(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_anycast_conf *a)
{
	size_t i, j, cnt;

	if (n->type != YAML_SEQUENCE_NODE) {
		config_errorf(ctx, line_of(n), "bgp.peers must be a list");
		return;
	}
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > SHOAL_BGP_MAX_PEERS) {
		config_errorf(ctx, line_of(n), "bgp.peers: %zu peers, at most %d", cnt,
			      SHOAL_BGP_MAX_PEERS);
		return;
	}
	for (i = 0; i < cnt; i++) {
		yaml_node_t *e = node_at(ctx, n->data.sequence.items.start[i]);

		if (!e)
			continue;
		parse_peer(ctx, e, &a->peers[i]);
		for (j = 0; j < i; j++)
			if (a->peers[j].family && a->peers[j].family == a->peers[i].family &&
			    !memcmp(&a->peers[j].addr, &a->peers[i].addr, sizeof(a->peers[i].addr)))
				config_errorf(ctx, a->peers[i].line,
					      "peer: the same address as the peer at line %d",
					      a->peers[j].line);
	}
	a->npeers = (__u32)cnt;
}

static bool parse_servable(struct parse_ctx *ctx, yaml_node_t *v, struct shoal_anycast_conf *a)
{
	const char *s = scalar(ctx, v, "prefix_servable");

	if (s && (!strcmp(s, "any") || !strcmp(s, "all"))) {
		a->servable_all = !strcmp(s, "all");
		return true;
	}
	if (s)
		config_errorf(ctx, line_of(v),
			      "prefix_servable: '%s' is not any (a VIP address is announced "
			      "while one of its services is servable) or all",
			      s);
	return false;
}

void config_bgp_parse(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_anycast_conf *a)
{
	bool have_as = false;
	yaml_node_t *k, *v;
	unsigned long long u;
	bool *dups;

	if (a->mode == SHOAL_ANNOUNCE_KERNEL) {
		config_errorf(ctx, line_of(n), "bgp: the announce block says kernel: choose one");
		return;
	}
	a->mode = SHOAL_ANNOUNCE_BGP;
	if (!expect_mapping(ctx, n, "bgp"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");
		struct shoal_addr addr;
		int fam = 0;

		if (!key || pair_is_dup(n, dups, p_) || attrs_key(ctx, key, v, &a->attrs))
			continue;
		if (!strcmp(key, "router_id")) {
			if (parse_addr(ctx, v, "router_id", &addr, &fam)) {
				if (fam != AF_INET || !addr.u32[3])
					config_errorf(ctx, line_of(v),
						      "router_id: a non-zero IPv4 address");
				else
					a->router_id = ntohl(addr.u32[3]);
			}
		} else if (!strcmp(key, "local_as")) {
			have_as = parse_as(ctx, v, "local_as", &a->local_as);
		} else if (!strcmp(key, "hold_time")) {
			parse_hold(ctx, v, "hold_time", &a->hold_s);
		} else if (!strcmp(key, "connect_retry")) {
			__u32 ms;

			if (parse_duration(ctx, v, "connect_retry", 1000, 600000, &ms))
				a->connect_retry_s = ms / 1000;
		} else if (!strcmp(key, "graceful_restart")) {
			parse_bool(ctx, v, "graceful_restart", &a->gr);
		} else if (!strcmp(key, "restart_time")) {
			__u32 ms;

			if (parse_duration(ctx, v, "restart_time", 1000, 4095000, &ms))
				a->gr_time_s = ms / 1000;
		} else if (!strcmp(key, "shutdown_grace")) {
			parse_duration(ctx, v, "shutdown_grace", 0, 600000, &a->shutdown_grace_ms);
		} else if (!strcmp(key, "listen")) {
			parse_bool(ctx, v, "listen", &a->listen);
		} else if (!strcmp(key, "listen_port")) {
			if (parse_uint(ctx, v, "listen_port", 1, 65535, &u))
				a->listen_port = (__u16)u;
		} else if (!strcmp(key, "next_hop_v4")) {
			if (parse_addr(ctx, v, key, &a->nh4, &fam)) {
				if (fam != AF_INET)
					config_errorf(ctx, line_of(v), "next_hop_v4: not IPv4");
				a->have_nh4 = fam == AF_INET;
			}
		} else if (!strcmp(key, "next_hop_v6")) {
			if (parse_addr(ctx, v, key, &a->nh6, &fam)) {
				if (fam != AF_INET6)
					config_errorf(ctx, line_of(v), "next_hop_v6: not IPv6");
				a->have_nh6 = fam == AF_INET6;
			}
		} else if (!strcmp(key, "prefix_servable")) {
			parse_servable(ctx, v, a);
		} else if (!strcmp(key, "bfd")) {
			parse_bfd(ctx, v, &a->bfd);
		} else if (!strcmp(key, "peers")) {
			parse_peers(ctx, v, a);
		} else {
			config_errorf(
				ctx, line_of(k),
				"bgp: unknown key '%s' (router_id, local_as, hold_time, "
				"connect_retry, graceful_restart, restart_time, shutdown_grace, "
				"listen, listen_port, next_hop_v4, next_hop_v6, "
				"prefix_servable, communities, large_communities, med, bfd, "
				"peers)",
				key);
		}
	}
	free(dups);
	if (!have_as)
		config_errorf(ctx, line_of(n), "bgp: 'local_as' is missing");
	if (!a->npeers)
		config_errorf(ctx, line_of(n), "bgp: 'peers' is missing (at least one)");
}

void config_announce_parse(struct parse_ctx *ctx, yaml_node_t *n, struct shoal_anycast_conf *a)
{
	yaml_node_t *k, *v;
	unsigned long long u;
	bool *dups;

	if (a->mode == SHOAL_ANNOUNCE_BGP) {
		config_errorf(ctx, line_of(n),
			      "announce: kernel routes and a bgp block: choose one");
		return;
	}
	a->mode = SHOAL_ANNOUNCE_KERNEL;
	if (!expect_mapping(ctx, n, "announce"))
		return;
	dups = dup_keys(ctx, n);
	for_each_pair(ctx, n, k, v)
	{
		const char *key = scalar(ctx, k, "a key");

		if (!key || pair_is_dup(n, dups, p_))
			continue;
		if (!strcmp(key, "mode")) {
			const char *s = scalar(ctx, v, "announce.mode");

			if (s && strcmp(s, "kernel"))
				config_errorf(ctx, line_of(v),
					      "announce.mode: '%s': kernel (for bgp, a bgp block)",
					      s);
		} else if (!strcmp(key, "table")) {
			if (!parse_uint(ctx, v, "announce.table", 1, 0xfffffffeULL, &u))
				continue;
			/* a blackhole there would catch the agent's own checks to the VIP too */
			if (u == 253 || u == 254 || u == 255)
				config_errorf(
					ctx, line_of(v),
					"announce.table: %llu is the kernel's own (default, main, "
					"local): the VIP routes need a table of their own",
					u);
			else
				a->table = (__u32)u;
		} else if (!strcmp(key, "protocol")) {
			/* above the kernel's own (boot, static, ...) and the daemons' 186.. */
			if (parse_uint(ctx, v, "announce.protocol", 5, 255, &u))
				a->protocol = (__u8)u;
		} else if (!strcmp(key, "shutdown_grace")) {
			parse_duration(ctx, v, "announce.shutdown_grace", 0, 600000,
				       &a->shutdown_grace_ms);
		} else if (!strcmp(key, "prefix_servable")) {
			parse_servable(ctx, v, a);
		} else {
			config_errorf(ctx, line_of(k),
				      "announce: unknown key '%s' (mode, table, protocol, "
				      "shutdown_grace, prefix_servable)",
				      key);
		}
	}
	free(dups);
}

void config_anycast_check(struct parse_ctx *ctx, struct shoal_config *c, int line)
{
	struct shoal_anycast_conf *a = &c->anycast;
	bool v4 = false, v6 = false;
	size_t i;

	if (a->mode != SHOAL_ANNOUNCE_BGP)
		return;
	if (!a->router_id && c->host.have_src_v4)
		a->router_id = ntohl(c->host.src_v4.u32[3]);
	if (!a->router_id)
		config_errorf(ctx, line, "bgp: 'router_id' is missing (and host.source_v4 too)");
	for (i = 0; i < c->nservices; i++) {
		v4 |= c->services[i].family == AF_INET;
		v6 |= c->services[i].family == AF_INET6;
	}
	for (i = 0; i < a->npeers; i++) {
		const struct shoal_bgp_peer_conf *p = &a->peers[i];

		if (v6 && p->family == AF_INET && !a->have_nh6)
			config_errorf(ctx, p->line,
				      "peer: IPv6 VIPs over an IPv4 session need bgp.next_hop_v6");
		if (v4 && p->family == AF_INET6 && !a->have_nh4 && !c->host.have_src_v4)
			config_errorf(ctx, p->line,
				      "peer: IPv4 VIPs over an IPv6 session need bgp.next_hop_v4 "
				      "(or host.source_v4)");
	}
}
