// SPDX-License-Identifier: GPL-2.0-only
/*
 * Weighted Maglev population. Each backend walks its own permutation of the
 * table (offset and skip from two hashes of its address) and takes the next
 * free slot on its turn. Weights decide how often a backend gets a turn: in
 * round r a backend of weight w may have taken at most ceil(r * w / w_max)
 * slots, so slot counts end up proportional to weights, and with equal
 * weights each backend gets floor(M/N) or ceil(M/N) slots.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/maglev.h"
#include "shoal/jhash.h"

#define MAGLEV_SEED_OFFSET 0x4d61676cU /* "Magl" */
#define MAGLEV_SEED_SKIP   0x65763031U /* "ev01" */

struct maglev_walker {
	__u32 pos; /* next slot in this backend's permutation */
	__u32 skip;
	__u32 weight;
	__u32 id;
	__u64 taken;
	struct shoal_addr addr;
};

bool maglev_is_prime(__u32 n)
{
	__u32 d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; (__u64)d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

static int walker_cmp(const void *a, const void *b)
{
	const struct maglev_walker *x = a, *y = b;

	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

int maglev_build(const struct maglev_backend *backends, size_t n, __u32 *table, __u32 size)
{
	struct maglev_walker *w;
	__u32 filled = 0, wmax = 0;
	size_t i, active = 0;
	__u64 round;

	if (!table || !maglev_is_prime(size) || size > SHOAL_MAX_TABLE_SIZE || (n && !backends))
		return -EINVAL;
	for (i = 0; i < size; i++)
		table[i] = SHOAL_BACKEND_NONE;

	w = calloc(n ? n : 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!backends[i].weight)
			continue;
		w[active].addr = backends[i].addr;
		w[active].weight = backends[i].weight;
		w[active].id = backends[i].id;
		if (backends[i].weight > wmax)
			wmax = backends[i].weight;
		active++;
	}
	/* a fixed order makes the table independent of the order given */
	qsort(w, active, sizeof(*w), walker_cmp);
	for (i = 0; i + 1 < active; i++) {
		if (!memcmp(&w[i].addr, &w[i + 1].addr, sizeof(w[i].addr))) {
			free(w);
			return -EINVAL;
		}
	}
	for (i = 0; i < active; i++) {
		w[i].pos = shoal_src_hash(&w[i].addr, MAGLEV_SEED_OFFSET) % size;
		w[i].skip = shoal_src_hash(&w[i].addr, MAGLEV_SEED_SKIP) % (size - 1) + 1;
	}

	for (round = 1; active && filled < size; round++) {
		for (i = 0; i < active && filled < size; i++) {
			struct maglev_walker *b = &w[i];

			if (b->taken * wmax >= round * b->weight)
				continue;
			while (table[b->pos] != SHOAL_BACKEND_NONE) {
				b->pos += b->skip;
				if (b->pos >= size)
					b->pos -= size;
			}
			table[b->pos] = b->id;
			b->taken++;
			filled++;
		}
	}
	free(w);
	return 0;
}

static int backend_id_cmp(const void *a, const void *b)
{
	const struct maglev_backend *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

__u64 maglev_fingerprint(const __u32 *table, __u32 size, const struct maglev_backend *backends,
			 size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a over the slot owners' addresses */
	static const struct shoal_addr none;
	struct maglev_backend *by_id;
	__u32 i;
	size_t k;

	by_id = calloc(n ? n : 1, sizeof(*by_id));
	if (!by_id)
		return 0;
	if (n)
		memcpy(by_id, backends, n * sizeof(*by_id));
	qsort(by_id, n, sizeof(*by_id), backend_id_cmp);
	for (i = 0; i < size; i++) {
		struct maglev_backend key = { .id = table[i] };
		const struct maglev_backend *b;
		const struct shoal_addr *a = &none;

		b = bsearch(&key, by_id, n, sizeof(*by_id), backend_id_cmp);
		if (b && table[i] != SHOAL_BACKEND_NONE)
			a = &b->addr;
		for (k = 0; k < sizeof(*a); k++) {
			h ^= a->u8[k];
			h *= 0x100000001b3ULL;
		}
	}
	free(by_id);
	return h;
}
