// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: what lbctl save writes parses back to the same state. Any input
 * that is a valid config becomes a state; the state is written as YAML (the
 * emitter), parsed again, and both states must say the same thing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_state(const struct shoal_state *a, const struct shoal_state *b)
{
	size_t i, j;

	if (memcmp(&a->host, &b->host, sizeof(a->host)) || a->nvips != b->nvips)
		return 0;
	for (i = 0; i < a->nvips; i++) {
		const struct shoal_vip_state *x = &a->vips[i], *y = &b->vips[i];

		if (strcmp(x->name, y->name) || memcmp(&x->key, &y->key, sizeof(x->key)) ||
		    x->scheduler != y->scheduler || x->table_size != y->table_size ||
		    x->flow_table != y->flow_table || x->nbe != y->nbe || x->id != y->id)
			return 0;
		for (j = 0; j < x->nbe; j++)
			if (memcmp(&x->be[j].addr, &y->be[j].addr, sizeof(x->be[j].addr)) ||
			    x->be[j].weight != y->be[j].weight ||
			    x->be[j].encap_conf != y->be[j].encap_conf ||
			    x->be[j].encap != y->be[j].encap || x->be[j].admin != y->be[j].admin ||
			    x->be[j].id != y->be[j].id)
				return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL, *back = NULL;
	struct shoal_state *s = NULL, *s2 = NULL;
	char *text = NULL;

	if (shoal_config_parse("fuzz.yaml", (const char *)data, size, &c, &errs))
		goto out;
	if (shoal_state_from_config(c, NULL, &s))
		goto out;
	if (shoal_state_format_yaml(s, &text))
		abort();
	/* the file it writes is valid, and says what the state says */
	if (shoal_config_parse("saved.yaml", text, strlen(text), &back, &errs))
		abort();
	if (shoal_state_from_config(back, s, &s2) || !same_state(s, s2))
		abort();
out:
	free(text);
	shoal_state_free(s);
	shoal_state_free(s2);
	shoal_config_free(c);
	shoal_config_free(back);
	shoal_errors_free(&errs);
	return 0;
}
