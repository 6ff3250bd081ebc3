// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: any datagram to the BFD port goes through bfd_decode(), which
 * reads nothing past it and accepts only what RFC 5880 6.8.6 lets through;
 * what it accepts encodes back to the same mandatory section.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/bfdwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	__u8 *buf = malloc(size ? size : 1), out[BFD_PKT_LEN];
	struct bfd_pkt p;
	const char *why;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (!bfd_decode(buf, size, &p, &why)) {
		if (!p.detect_mult || !p.my_disc || p.multipoint || p.auth || size < BFD_PKT_LEN)
			abort();
		if (bfd_encode(out, sizeof(out), &p) != BFD_PKT_LEN)
			abort();
		/* the same fields, whatever length the packet said it had */
		out[3] = buf[3];
		if (memcmp(out, buf, BFD_PKT_LEN))
			abort();
	}
	free(buf);
	return 0;
}
