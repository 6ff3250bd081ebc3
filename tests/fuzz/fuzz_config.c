// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: the YAML config parser never crashes and either returns a config or errors. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	int ret;

	ret = shoal_config_parse("fuzz.yaml", (const char *)data, size, &c, &errs);
	if ((ret == 0) != (c != NULL) || (ret == 0) != (errs.n == 0))
		abort();
	shoal_config_free(c);
	shoal_errors_free(&errs);
	return 0;
}
