// SPDX-License-Identifier: GPL-2.0-only
/*
 * announce: kernel. Each servable VIP is a blackhole host route in the
 * configured table, with the configured protocol number, for BIRD or FRR
 * on the host to export (a blackhole: the host does not own the VIP, and
 * what XDP passes up must not be forwarded back). Removed when it stops
 * being servable, on lbctl vip withdraw, and on shutdown.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "anycast/internal.h"
#include "core/log.h"
#include "model/addr.h"
#include "net/netlink.h"

struct kroute {
	__u32 table;
	__u8 protocol;
	struct want *in; /* routes put in, sorted */
	size_t n;
};

/* A route an earlier run left: ours to keep or remove at the first sync. */
static void adopt(int family, const struct shoal_addr *dst, void *arg)
{
	struct kroute *k = arg;
	struct want *n = realloc(k->in, (k->n + 1) * sizeof(*n));

	if (!n)
		return;
	k->in = n;
	memset(&n[k->n], 0, sizeof(n[k->n]));
	n[k->n].family = family;
	n[k->n].addr = *dst;
	k->n++;
}

int kroute_open(const struct shoal_anycast_conf *c, struct kroute **ret)
{
	struct kroute *k = calloc(1, sizeof(*k));
	int err;

	if (!k)
		return -ENOMEM;
	k->table = c->table;
	k->protocol = c->protocol;
	/* an agent killed earlier left its routes (fail static): they are this run's to judge */
	err = shoal_nl_routes_own(AF_INET, k->table, k->protocol, adopt, k);
	if (!err)
		err = shoal_nl_routes_own(AF_INET6, k->table, k->protocol, adopt, k);
	if (err)
		log_warn("anycast: cannot read table %u: %s", k->table, strerror(-err));
	if (k->n) {
		log_info("anycast: %zu route(s) of an earlier run in table %u", k->n, k->table);
		qsort(k->in, k->n, sizeof(*k->in), want_cmp);
	}
	*ret = k;
	return 0;
}

static void route(struct kroute *k, bool add, const struct want *w)
{
	char name[64];
	int ret = shoal_nl_route(add, w->family, &w->addr, k->table, k->protocol);

	if (ret && !(ret == -ESRCH && !add))
		log_err("anycast: cannot %s the route to %s in table %u: %s",
			add ? "add" : "remove", shoal_addr_format(&w->addr, name, sizeof(name)),
			k->table, strerror(-ret));
	else
		log_info("anycast: %s %s/%d in table %u", add ? "route to" : "no route to",
			 shoal_addr_format(&w->addr, name, sizeof(name)),
			 w->family == AF_INET ? 32 : 128, k->table);
}

void kroute_set_wants(struct kroute *k, const struct want *w, size_t n)
{
	struct want *next = calloc(n ? n : 1, sizeof(*next));
	size_t i = 0, j = 0, m = 0;

	if (!next)
		return;
	while (i < n || j < k->n) {
		int cmp = i == n ? 1 : j == k->n ? -1 : want_cmp(&w[i], &k->in[j]);

		if (cmp < 0) {
			route(k, true, &w[i]);
			next[m++] = w[i++];
		} else if (cmp > 0) {
			route(k, false, &k->in[j++]);
		} else {
			next[m++] = w[i++];
			j++;
		}
	}
	free(k->in);
	k->in = next;
	k->n = m;
}

bool kroute_has(struct kroute *k, const struct want *w)
{
	return k->n && bsearch(w, k->in, k->n, sizeof(*w), want_cmp); /* in is sorted */
}

void kroute_close(struct kroute *k, bool remove)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; remove && i < k->n; i++)
		route(k, false, &k->in[i]);
	free(k->in);
	free(k);
}
