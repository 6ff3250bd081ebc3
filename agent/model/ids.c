// SPDX-License-Identifier: GPL-2.0-only
/* See ids.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/ids.h"

static __u64 monotonic_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec + 1; /* never 0: 0 means never freed */
}

__u64 (*shoal_ids_clock)(void) = monotonic_sec;

int shoal_ids_init(struct shoal_ids *ids, __u32 max, __u64 quarantine_sec)
{
	memset(ids, 0, sizeof(*ids));
	ids->max = max;
	ids->next = 1;
	ids->quarantine_sec = quarantine_sec;
	ids->used = calloc((max + 7) / 8, 1);
	ids->freed_at = calloc(max, sizeof(*ids->freed_at));
	if (!ids->used || !ids->freed_at) {
		shoal_ids_fini(ids);
		return -ENOMEM;
	}
	return 0;
}

int shoal_ids_copy(struct shoal_ids *dst, const struct shoal_ids *src)
{
	int ret = shoal_ids_init(dst, src->max, src->quarantine_sec);

	if (ret)
		return ret;
	dst->next = src->next;
	memcpy(dst->used, src->used, (src->max + 7) / 8);
	memcpy(dst->freed_at, src->freed_at, src->max * sizeof(*src->freed_at));
	return 0;
}

void shoal_ids_fini(struct shoal_ids *ids)
{
	free(ids->used);
	free(ids->freed_at);
	ids->used = NULL;
	ids->freed_at = NULL;
}

bool shoal_ids_used(const struct shoal_ids *ids, __u32 id)
{
	return id < ids->max && (ids->used[id / 8] & (1U << (id % 8)));
}

void shoal_ids_take(struct shoal_ids *ids, __u32 id)
{
	if (id && id < ids->max)
		ids->used[id / 8] |= (__u8)(1U << (id % 8));
}

void shoal_ids_free(struct shoal_ids *ids, __u32 id)
{
	if (!shoal_ids_used(ids, id))
		return;
	ids->used[id / 8] &= (__u8) ~(1U << (id % 8));
	ids->freed_at[id] = shoal_ids_clock();
}

int shoal_ids_alloc(struct shoal_ids *ids, __u32 *ret)
{
	__u64 now = shoal_ids_clock(), oldest = 0;
	__u32 n = ids->max - 1, i, id, best = 0;

	for (i = 0; i < n; i++) {
		id = 1 + (ids->next - 1 + i) % n;
		if (shoal_ids_used(ids, id))
			continue;
		if (!ids->freed_at[id] || now - ids->freed_at[id] >= ids->quarantine_sec) {
			best = id;
			break;
		}
		if (!best || ids->freed_at[id] < oldest) {
			best = id;
			oldest = ids->freed_at[id];
		}
	}
	if (!best)
		return -ENOSPC;
	shoal_ids_take(ids, best);
	ids->next = best % n + 1;
	*ret = best;
	return 0;
}
