// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: the netlink event classifier reads nothing past the datagram,
 * whatever its messages claim about their lengths.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/addr.h"
#include "net/netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shoal_addr gw;
	struct shoal_nl_events e = { .ifindex = 2, .gw = &gw };
	/* 4-byte aligned, exactly size bytes: ASan sees any read beyond */
	void *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	shoal_addr_from_v4(&gw, 0x016433c6); /* 198.51.100.1 */
	memcpy(buf, data, size);
	shoal_nl_events_parse(buf, size, &e);
	if (e.what & ~(SHOAL_NL_EV_LINK | SHOAL_NL_EV_ROUTE | SHOAL_NL_EV_NEIGH | SHOAL_NL_EV_LOST))
		abort();
	free(buf);
	return 0;
}
