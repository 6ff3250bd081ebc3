/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Data-plane ids (VIPs, backends) and their reuse. Flows in the data plane
 * name ids, so an id given to something new while flows of its last owner
 * are still about would hand them to a stranger: a freed id rests in
 * quarantine for quarantine_sec before it is given again, and ids are handed
 * out next-fit (round the whole space) so that even then the longest-freed
 * goes first. Only when every free id is in quarantine is the one freed
 * longest ago reused. Pure: the clock is shoal_ids_clock (tests set it).
 */
#ifndef SHOAL_MODEL_IDS_H
#define SHOAL_MODEL_IDS_H

#include <stdbool.h>
#include <linux/types.h>

#define SHOAL_ID_QUARANTINE_SEC 300

struct shoal_ids {
	__u32 max;  /* ids are 1 .. max-1 (0 is never an id) */
	__u32 next; /* where the next search starts */
	__u64 quarantine_sec;
	__u8 *used;	 /* bitmap */
	__u64 *freed_at; /* clock when freed; 0: never used */
};

/* Seconds on a monotonic clock; replaceable for tests. */
extern __u64 (*shoal_ids_clock)(void);

int shoal_ids_init(struct shoal_ids *ids, __u32 max, __u64 quarantine_sec);
int shoal_ids_copy(struct shoal_ids *dst, const struct shoal_ids *src);
void shoal_ids_fini(struct shoal_ids *ids);
/* 0 with *ret, or -ENOSPC when every id is in use. */
int shoal_ids_alloc(struct shoal_ids *ids, __u32 *ret);
/* Marks id in use (an id kept from before). */
void shoal_ids_take(struct shoal_ids *ids, __u32 id);
/* Frees id into quarantine. */
void shoal_ids_free(struct shoal_ids *ids, __u32 id);
bool shoal_ids_used(const struct shoal_ids *ids, __u32 id);

#endif /* SHOAL_MODEL_IDS_H */
