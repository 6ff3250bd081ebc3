/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Weighted Maglev lookup tables (Eisenbud et al., NSDI 2016, sec. 3.4). Pure
 * functions, no I/O: the same backend set gives the same table on every host,
 * whatever order the backends are given in.
 */
#ifndef SHOAL_MAGLEV_H
#define SHOAL_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include "shoal/abi.h"

struct maglev_backend {
	struct shoal_addr addr; /* identity: what the permutation is derived from */
	__u32 weight;		/* 0: takes no slots */
	__u32 id;		/* what the table stores */
};

/*
 * Fills table[0..size) with backend ids. size must be prime. Backends with
 * equal addresses are refused. With no backend of positive weight every slot
 * is SHOAL_BACKEND_NONE. Returns 0, -EINVAL or -ENOMEM.
 */
int maglev_build(const struct maglev_backend *backends, size_t n, __u32 *table, __u32 size);

bool maglev_is_prime(__u32 n);

/*
 * A 64-bit fingerprint of a table, over the addresses (not the host-local ids)
 * in its slots, so two hosts with the same backends show the same value.
 */
__u64 maglev_fingerprint(const __u32 *table, __u32 size, const struct maglev_backend *backends,
			 size_t n);

#endif /* SHOAL_MAGLEV_H */
