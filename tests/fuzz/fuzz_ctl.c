// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: control requests, VIP specs and endpoints from lbctl's side of the socket. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/addr.h"
#include "control/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *cmd, *err = NULL;
	struct shoal_vip_key k;
	struct shoal_addr a;
	json_t *req, *args;
	char s[256];
	__u16 port;

	if (!shoal_ctl_decode_request((const char *)data, size, &req, &cmd, &args, &err)) {
		if (!cmd || !json_is_object(args))
			abort();
		json_decref(req);
	} else if (!err || req) {
		abort();
	}
	if (size < sizeof(s)) {
		memcpy(s, data, size);
		s[size] = '\0';
		if (!shoal_vip_spec_parse(s, &k, NULL)) {
			char back[128];
			struct shoal_vip_key k2;

			/* what parses formats back to something that parses to the same */
			shoal_vip_spec_format(&k, back, sizeof(back));
			if (shoal_vip_spec_parse(back, &k2, NULL) || memcmp(&k, &k2, sizeof(k)))
				abort();
		}
		shoal_endpoint_parse(s, &a, &port, NULL);
	}
	return 0;
}
