/* SPDX-License-Identifier: GPL-2.0-only */
/* Internet checksum (RFC 1071) helpers. */
#ifndef SHOAL_BPF_CSUM_H
#define SHOAL_BPF_CSUM_H

#include "common.h"

#define CSUM_MAX_WORDS 40 /* an ICMP header quoting up to 60 + 8 bytes */

__shoal_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

__shoal_inline __u16 ipv4_hdr_csum(struct iphdr *iph)
{
	__u16 *w = (__u16 *)iph;
	__u32 sum = 0;
	int i;

	iph->check = 0;
#pragma unroll
	for (i = 0; i < (int)sizeof(*iph) / 2; i++)
		sum += w[i];
	return csum_fold(sum);
}

/*
 * Adds len bytes (even, at most 2 * CSUM_MAX_WORDS) at start to sum; stops at
 * data_end. Unrolled so that every read has a constant offset the verifier
 * can check against the test right before it.
 */
__shoal_inline __u32 csum_add_words(void *start, __u32 len, void *data_end, __u32 sum)
{
	int i;

#pragma unroll
	for (i = 0; i < CSUM_MAX_WORDS; i++) {
		__u16 *w = start + i * 2;

		if ((__u32)i * 2 >= len)
			break;
		if ((void *)(w + 1) > data_end)
			break;
		sum += *w;
	}
	return sum;
}

__shoal_inline __u32 csum_add_addr(const void *a16, __u32 sum)
{
	const __u16 *w = a16;
	int i;

#pragma unroll
	for (i = 0; i < 8; i++)
		sum += w[i];
	return sum;
}

/* RFC 1624 eqn. 3: checksum check after a 16-bit word changed from old to new. */
__shoal_inline __u16 csum_replace16(__u16 check, __u16 old, __u16 new)
{
	return csum_fold((__u32)(__u16)~check + (__u16)~old + new);
}

#endif /* SHOAL_BPF_CSUM_H */
