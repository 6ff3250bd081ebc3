// SPDX-License-Identifier: GPL-2.0-only
/* The names of schedulers and encapsulations (config.h), apart: lbctl needs them without a parser. */
#include <errno.h>
#include <string.h>

#include "model/config.h"

static const char *const sched_names[SHOAL_SCHED_MAX] = { "maglev", "maglev-src", "rr", "random" };
static const char *const encap_names[SHOAL_ENCAP_MAX] = { "gue", "ipip" };

const char *shoal_sched_name(__u8 sched)
{
	return sched < SHOAL_SCHED_MAX ? sched_names[sched] : "?";
}

int shoal_sched_parse(const char *s, __u8 *ret)
{
	__u8 i;

	for (i = 0; i < SHOAL_SCHED_MAX; i++) {
		if (!strcmp(s, sched_names[i])) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *shoal_encap_name(__u8 encap)
{
	return encap < SHOAL_ENCAP_MAX ? encap_names[encap] : "default";
}

int shoal_encap_parse(const char *s, __u8 *ret)
{
	__u8 i;

	for (i = 0; i < SHOAL_ENCAP_MAX; i++) {
		if (!strcmp(s, encap_names[i])) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}
