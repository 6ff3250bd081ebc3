/* SPDX-License-Identifier: GPL-2.0-only */
/* The main() of every Check suite: run it, exit non-zero on any failure. */
#ifndef SHOAL_CKMAIN_H
#define SHOAL_CKMAIN_H

#include <check.h>

static inline int ckmain_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif /* SHOAL_CKMAIN_H */
