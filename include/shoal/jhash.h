/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bob Jenkins' lookup3 hash over 32-bit words, shared by the data plane and
 * userspace so both compute the same flow hash (lookup, tests). Pure inline
 * code over __u32; no library calls.
 */
#ifndef SHOAL_JHASH_H
#define SHOAL_JHASH_H

#include <linux/types.h>
#include "abi.h"

#ifndef __shoal_inline
#define __shoal_inline static inline __attribute__((always_inline))
#endif

#define SHOAL_JHASH_INIT 0xdeadbeefU

__shoal_inline __u32 shoal_rol32(__u32 x, int k)
{
	return (x << k) | (x >> (32 - k));
}

/* clang-format off */
#define SHOAL_JHASH_MIX(a, b, c)                                                                    \
	do {                                                                                        \
		a -= c; a ^= shoal_rol32(c, 4);  c += b;                                            \
		b -= a; b ^= shoal_rol32(a, 6);  a += c;                                            \
		c -= b; c ^= shoal_rol32(b, 8);  b += a;                                            \
		a -= c; a ^= shoal_rol32(c, 16); c += b;                                            \
		b -= a; b ^= shoal_rol32(a, 19); a += c;                                            \
		c -= b; c ^= shoal_rol32(b, 4);  b += a;                                            \
	} while (0)

#define SHOAL_JHASH_FINAL(a, b, c)                                                                  \
	do {                                                                                        \
		c ^= b; c -= shoal_rol32(b, 14);                                                    \
		a ^= c; a -= shoal_rol32(c, 11);                                                    \
		b ^= a; b -= shoal_rol32(a, 25);                                                    \
		c ^= b; c -= shoal_rol32(b, 16);                                                    \
		a ^= c; a -= shoal_rol32(c, 4);                                                     \
		b ^= a; b -= shoal_rol32(a, 14);                                                    \
		c ^= b; c -= shoal_rol32(b, 24);                                                    \
	} while (0)
/* clang-format on */

/*
 * Hash of a 5-tuple: src and dst addresses, both ports, protocol. The
 * returned word picks the Maglev slot and the GUE source port; *second (the
 * final mix's b, nearly as good) picks the flow table's bucket.
 */
__shoal_inline __u32 shoal_flow_hash2(const struct shoal_flow_key *k, __u32 seed, __u32 *second)
{
	__u32 a, b, c;

	a = b = c = SHOAL_JHASH_INIT + (9 << 2) + seed + k->proto;
	a += k->src.u32[0];
	b += k->src.u32[1];
	c += k->src.u32[2];
	SHOAL_JHASH_MIX(a, b, c);
	a += k->src.u32[3];
	b += k->dst.u32[0];
	c += k->dst.u32[1];
	SHOAL_JHASH_MIX(a, b, c);
	a += k->dst.u32[2];
	b += k->dst.u32[3];
	c += ((__u32)k->sport << 16) | k->dport;
	SHOAL_JHASH_FINAL(a, b, c);
	*second = b;
	return c;
}

__shoal_inline __u32 shoal_flow_hash(const struct shoal_flow_key *k, __u32 seed)
{
	__u32 unused;

	return shoal_flow_hash2(k, seed, &unused);
}

/* Hash of the source address alone (maglev-src: client affinity). */
__shoal_inline __u32 shoal_src_hash(const struct shoal_addr *src, __u32 seed)
{
	__u32 a, b, c;

	a = b = c = SHOAL_JHASH_INIT + (4 << 2) + seed;
	a += src->u32[0];
	b += src->u32[1];
	c += src->u32[2];
	SHOAL_JHASH_MIX(a, b, c);
	a += src->u32[3];
	SHOAL_JHASH_FINAL(a, b, c);
	return c;
}

/* Prefilter bit for an address given as its four 32-bit words XOR-folded. */
/* The bit of a prefilter of 2^bits bits (the program's: SHOAL_PREFILTER_BITS). */
__shoal_inline __u32 shoal_prefilter_bit_of(__u32 folded, __u32 bits)
{
	return (folded * SHOAL_PREFILTER_MULT) >> (32 - bits);
}

__shoal_inline __u32 shoal_prefilter_bit(__u32 folded)
{
	return shoal_prefilter_bit_of(folded, SHOAL_PREFILTER_BITS);
}

__shoal_inline __u32 shoal_addr_fold(const struct shoal_addr *a)
{
	return a->u32[0] ^ a->u32[1] ^ a->u32[2] ^ a->u32[3];
}

#endif /* SHOAL_JHASH_H */
