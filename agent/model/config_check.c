// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checks a config needs as a whole, after every line parsed: duplicates
 * (by sorting), addresses by class and against the balancer and the VIP,
 * table sizes against the backends. Pure: no I/O.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/addr.h"
#include "model/config.h"
#include "model/config_internal.h"
#include "model/maglev.h"

static const char *article(const char *word)
{
	return strchr("aeiou", word[0]) ? "an" : "a";
}

const char *shoal_vip_addr_refused(const struct shoal_host_conf *host,
				   const struct shoal_addr *addr, char *buf, size_t len)
{
	const char *cls = shoal_addr_class(addr);

	if (cls) {
		snprintf(buf, len, "a VIP cannot be %s %s address", article(cls), cls);
		return buf;
	}
	if ((host->have_src_v4 && !memcmp(addr, &host->src_v4, sizeof(*addr))) ||
	    (host->have_src_v6 && !memcmp(addr, &host->src_v6, sizeof(*addr)))) {
		snprintf(buf, len, "a VIP cannot be the balancer's own address (host.source_v%c)",
			 shoal_addr_is_v4(addr) ? '4' : '6');
		return buf;
	}
	return NULL;
}

const char *shoal_backend_addr_refused(const struct shoal_host_conf *host,
				       const struct shoal_addr *vip, const struct shoal_addr *addr,
				       char *buf, size_t len)
{
	const char *cls = shoal_addr_class(addr);

	if (cls) {
		/* link-local: a tunnel to it has no scope to leave by */
		snprintf(buf, len, "a backend cannot be %s %s address", article(cls), cls);
		return buf;
	}
	if ((host->have_src_v4 && !memcmp(addr, &host->src_v4, sizeof(*addr))) ||
	    (host->have_src_v6 && !memcmp(addr, &host->src_v6, sizeof(*addr)))) {
		snprintf(buf, len, "a backend cannot be the balancer itself (host.source_v%c)",
			 shoal_addr_is_v4(addr) ? '4' : '6');
		return buf;
	}
	if (vip && !memcmp(addr, vip, sizeof(*addr))) {
		/* the balancer would send the packet to itself, again and again */
		snprintf(buf, len, "a backend cannot be its own VIP");
		return buf;
	}
	return NULL;
}

__u32 shoal_table_size_default(size_t nbackends)
{
	unsigned long long want = (unsigned long long)nbackends * SHOAL_TABLE_PER_BACKEND;
	__u32 m;

	if (want <= SHOAL_DEFAULT_TABLE_SIZE)
		return SHOAL_DEFAULT_TABLE_SIZE;
	if (want >= SHOAL_MAX_TABLE_SIZE)
		return SHOAL_MAX_TABLE_SIZE;
	for (m = (__u32)want | 1; !maglev_is_prime(m); m += 2)
		;
	return m;
}

struct idx_ref {
	const void *item;
	size_t idx;
	size_t size; /* bytes compared (keys, addresses) or 0 for names */
};

static int idx_item_cmp(const struct idx_ref *x, const struct idx_ref *y)
{
	return x->size ? memcmp(x->item, y->item, x->size) : strcmp(x->item, y->item);
}

static int idx_ref_cmp(const void *a, const void *b)
{
	const struct idx_ref *x = a, *y = b;
	int c = idx_item_cmp(x, y);

	return c ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

/*
 * Reports every item equal to an earlier one, sorted (n log n): 1,000
 * duplicate services cost what sorting them costs, and say so 100 times.
 */
static void report_dups(struct parse_ctx *ctx, struct idx_ref *refs, size_t n,
			void (*report)(struct parse_ctx *ctx, size_t dup, size_t first, void *arg),
			void *arg)
{
	size_t i, first = 0;

	qsort(refs, n, sizeof(*refs), idx_ref_cmp);
	for (i = 1; i < n; i++) {
		if (idx_item_cmp(&refs[first], &refs[i])) {
			first = i;
			continue;
		}
		report(ctx, refs[i].idx, refs[first].idx, arg);
	}
}

static void dup_service(struct parse_ctx *ctx, size_t dup, size_t first, void *arg)
{
	const struct shoal_config *c = arg;

	config_errorf(ctx, c->services[dup].line,
		      "service: the same VIP, port and protocol as the service at line %d",
		      c->services[first].line);
}

static void dup_name(struct parse_ctx *ctx, size_t dup, size_t first, void *arg)
{
	const struct shoal_config *c = arg;

	config_errorf(ctx, c->services[dup].line, "service: name '%s' already used at line %d",
		      c->services[dup].name, c->services[first].line);
}

static void dup_backend(struct parse_ctx *ctx, size_t dup, size_t first, void *arg)
{
	const struct shoal_service_conf *s = arg;

	config_errorf(ctx, s->backends[dup].line,
		      "backend: the same address as the backend at line %d",
		      s->backends[first].line);
}

/*
 * What one service must satisfy on its own, against the host: its VIP and
 * backend addresses, the tunnel sources its backends need, no backend twice,
 * a table big enough.
 */
void config_service_check(struct parse_ctx *ctx, const struct shoal_host_conf *host,
			  struct shoal_service_conf *s)
{
	struct idx_ref *refs = calloc(s->nbackends ? s->nbackends : 1, sizeof(*refs));
	char why[128];
	size_t j;

	if (!refs) {
		config_errorf(ctx, s->line, "out of memory");
		return;
	}
	if (shoal_vip_addr_refused(host, &s->key.addr, why, sizeof(why)))
		config_errorf(ctx, s->line, "vip: %s", why);
	for (j = 0; j < s->nbackends; j++) {
		const struct shoal_backend_conf *b = &s->backends[j];

		refs[j] = (struct idx_ref){ &b->addr, j, sizeof(b->addr) };
		if (shoal_backend_addr_refused(host, &s->key.addr, &b->addr, why, sizeof(why)))
			config_errorf(ctx, b->line, "backend: %s", why);
		if (b->family == AF_INET && !host->have_src_v4)
			config_errorf(
				ctx, b->line,
				"backend: an IPv4 backend needs host.source_v4 for the tunnel");
		if (b->family == AF_INET6 && !host->have_src_v6)
			config_errorf(
				ctx, b->line,
				"backend: an IPv6 backend needs host.source_v6 for the tunnel");
	}
	report_dups(ctx, refs, s->nbackends, dup_backend, s);
	free(refs);
	/* Maglev needs M well above N: every backend its share, none starved */
	if (!s->table_size_given)
		s->table_size = shoal_table_size_default(s->nbackends);
	else if (s->table_size < s->nbackends)
		config_errorf(ctx, s->line,
			      "table_size: %u slots for %zu backends: some would get none "
			      "(at least %zu; %d per backend balances well)",
			      s->table_size, s->nbackends, s->nbackends, SHOAL_TABLE_PER_BACKEND);
	else if ((unsigned long long)s->table_size <
		 (unsigned long long)s->nbackends * SHOAL_TABLE_PER_BACKEND)
		config_warnf(ctx, s->line,
			     "table_size: %u slots for %zu backends: Maglev balances well from "
			     "%d per backend (%zu)",
			     s->table_size, s->nbackends, SHOAL_TABLE_PER_BACKEND,
			     s->nbackends * SHOAL_TABLE_PER_BACKEND);
}

void config_validate(struct parse_ctx *ctx, struct shoal_config *c)
{
	size_t i, j, n = 0, total = 0;
	struct idx_ref *refs;

	if (c->nservices >= SHOAL_MAX_VIPS)
		config_errorf(ctx, 1, "%zu services: at most %d", c->nservices, SHOAL_MAX_VIPS - 1);
	refs = calloc(c->nservices ? c->nservices : 1, sizeof(*refs));
	if (!refs) {
		config_errorf(ctx, 1, "out of memory");
		return;
	}
	for (i = 0; i < c->nservices; i++)
		refs[i] = (struct idx_ref){ &c->services[i].key, i, sizeof(c->services[i].key) };
	report_dups(ctx, refs, c->nservices, dup_service, c);
	for (i = 0; i < c->nservices; i++)
		if (c->services[i].name[0])
			refs[n++] = (struct idx_ref){ c->services[i].name, i, 0 };
	report_dups(ctx, refs, n, dup_name, c);

	for (i = 0; i < c->nservices; i++) {
		total += c->services[i].nbackends;
		config_service_check(ctx, &c->host, &c->services[i]);
	}
	free(refs);
	/* one prefix per VIP address: its services must agree on its MED */
	for (i = 0; i < c->nservices; i++)
		for (j = 0; j < i; j++) {
			const struct shoal_service_conf *a = &c->services[i], *b = &c->services[j];

			if (memcmp(&a->key.addr, &b->key.addr, sizeof(a->key.addr)) ||
			    !a->attrs.have_med || !b->attrs.have_med ||
			    a->attrs.med == b->attrs.med)
				continue;
			config_errorf(ctx, a->line,
				      "bgp.med: %u, but the service at line %d on the same VIP "
				      "address says %u (one address is one prefix)",
				      a->attrs.med, b->line, b->attrs.med);
			break;
		}
	config_anycast_check(ctx, c, 1);
	if (total >= SHOAL_MAX_BACKENDS)
		config_errorf(ctx, 1, "%zu backends in all: at most %d", total,
			      SHOAL_MAX_BACKENDS - 1);
}
