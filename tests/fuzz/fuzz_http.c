// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: the metrics endpoint's request parser reads nothing past what it is given. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: ASan sees any read beyond */
	char *buf = malloc(size ? size : 1);
	enum shoal_http_verdict v;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	v = shoal_http_request(buf, size, 8192);
	if (v > SHOAL_HTTP_METRICS || (v == SHOAL_HTTP_TOO_LARGE && size < 8192))
		abort();
	free(buf);
	return 0;
}
