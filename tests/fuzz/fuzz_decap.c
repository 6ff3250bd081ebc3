// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: shoal-decap's file (decap.yaml) parses to a whole, bounded config or to errors. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/decap_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shoal_errors errs = { 0 };
	struct shoal_decap_conf c;
	size_t i;
	int ret;

	ret = shoal_decap_config_parse("fuzz.yaml", (const char *)data, size, &c, &errs);
	if ((ret == 0) != (errs.n == 0) || (ret == 0) != (c.n > 0))
		abort();
	for (i = 0; i < c.n; i++)
		if (!c.ifaces[i].name[0] || !c.ifaces[i].nvips || !c.ifaces[i].nfrom ||
		    c.ifaces[i].nvips > SHOAL_DECAP_VIPS_MAX || c.ifaces[i].nfrom > SHOAL_DECAP_MAX_FROM)
			abort();
	shoal_decap_config_free(&c);
	shoal_errors_free(&errs);
	return 0;
}
