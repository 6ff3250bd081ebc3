// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: whatever a BGP peer sends goes through the decoders shoald
 * uses (the header, then the message its type names), and none reads past
 * what it is given, accepts a message the header refused, or names an
 * error outside RFC 4271's codes. The first byte picks 2- or 4-octet AS.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/bgpwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const struct bgp_err *e)
{
	if (e->code < BGP_E_HEADER || e->code > BGP_E_REFRESH || e->data_len > BGP_ERR_DATA_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bgp_update_info u;
	struct bgp_open o;
	struct bgp_err e;
	bool as4;
	__u8 *msg, type, safi;
	__u16 len, afi;
	int ret;

	if (size < 1)
		return 0;
	as4 = data[0] & 1;
	data++;
	size--;
	/* a copy of exactly size bytes: ASan sees any read beyond */
	msg = malloc(size ? size : 1);
	if (!msg)
		return 0;
	memcpy(msg, data, size);
	/* the marker is the peer's to get right; mostly give it one */
	if (size >= 16 && !(as4 && data[0] == 0))
		memset(msg, 0xff, 16);
	ret = bgp_header_check(msg, size, &type, &len, &e);
	if (ret == -EINVAL)
		check_err(&e);
	if (ret || len > size)
		goto out;
	if (len < BGP_HDR_LEN || type == 0 || type >= BGP_TYPE_MAX)
		abort();
	switch (type) {
	case BGP_OPEN:
		if (bgp_open_decode(msg, len, 0, 1, &o, &e))
			check_err(&e);
		else if (o.hold == 1 || o.hold == 2 || !o.router_id)
			abort();
		break;
	case BGP_UPDATE:
		if (bgp_update_decode(msg, len, as4, &u, &e))
			check_err(&e);
		else if (u.treat_as_withdraw && u.why.code != BGP_E_UPDATE)
			abort();
		break;
	case BGP_NOTIFICATION:
		if (bgp_notification_decode(msg, len, &e) || e.data_len > BGP_ERR_DATA_MAX)
			abort();
		break;
	case BGP_ROUTE_REFRESH:
		if (bgp_refresh_decode(msg, len, &afi, &safi))
			abort();
		break;
	default:
		break;
	}
out:
	free(msg);
	return 0;
}
