// SPDX-License-Identifier: GPL-2.0-only
/* agent/model/ids.c: freed ids rest in quarantine; next-fit; the oldest goes first when all rest. */
#include <check.h>
#include <errno.h>

#include "ckmain.h"
#include "model/ids.h"

static __u64 fake_now = 1000;

static __u64 fake_clock(void)
{
	return fake_now;
}

START_TEST(test_freed_id_rests)
{
	struct shoal_ids ids;
	__u32 a, b, c, i, got;

	shoal_ids_clock = fake_clock;
	fake_now = 1000;
	ck_assert_int_eq(shoal_ids_init(&ids, 8, 300), 0);
	ck_assert_int_eq(shoal_ids_alloc(&ids, &a), 0);
	ck_assert_int_eq(shoal_ids_alloc(&ids, &b), 0);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 2);
	shoal_ids_free(&ids, a);
	/* a is free but resting: the next ids are others, round the whole space */
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(shoal_ids_alloc(&ids, &c), 0);
		ck_assert_uint_ne(c, a);
		ck_assert_uint_ne(c, b);
	}
	/* only a is free, still resting: it is the one given (nothing else is left) */
	ck_assert_int_eq(shoal_ids_alloc(&ids, &got), 0);
	ck_assert_uint_eq(got, a);
	ck_assert_int_eq(shoal_ids_alloc(&ids, &got), -ENOSPC);
	shoal_ids_fini(&ids);
}
END_TEST

START_TEST(test_quarantine_ends)
{
	struct shoal_ids ids;
	__u32 id, got, i;

	shoal_ids_clock = fake_clock;
	fake_now = 1000;
	ck_assert_int_eq(shoal_ids_init(&ids, 4, 300), 0); /* ids 1..3 */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(shoal_ids_alloc(&ids, &id), 0);
	shoal_ids_free(&ids, 2);
	fake_now += 10;
	shoal_ids_free(&ids, 1);
	/* both rest: the one freed longest ago goes first */
	ck_assert_int_eq(shoal_ids_alloc(&ids, &got), 0);
	ck_assert_uint_eq(got, 2);
	shoal_ids_free(&ids, 2);
	fake_now += 300;
	/* 1 has rested long enough, 2 has not */
	ck_assert_int_eq(shoal_ids_alloc(&ids, &got), 0);
	ck_assert_uint_eq(got, 1);
	ck_assert(shoal_ids_used(&ids, 1));
	ck_assert(!shoal_ids_used(&ids, 2));
	shoal_ids_fini(&ids);
}
END_TEST

/* A copy (a reload's new state) carries the quarantine along. */
START_TEST(test_copy_keeps_quarantine)
{
	struct shoal_ids ids, copy;
	__u32 a, b, got;

	shoal_ids_clock = fake_clock;
	fake_now = 5000;
	ck_assert_int_eq(shoal_ids_init(&ids, 1024, 300), 0);
	ck_assert_int_eq(shoal_ids_alloc(&ids, &a), 0);
	ck_assert_int_eq(shoal_ids_alloc(&ids, &b), 0);
	shoal_ids_free(&ids, a);
	ck_assert_int_eq(shoal_ids_copy(&copy, &ids), 0);
	ck_assert_int_eq(shoal_ids_alloc(&copy, &got), 0);
	ck_assert_uint_ne(got, a);
	ck_assert_uint_ne(got, b);
	shoal_ids_take(&copy, 0); /* 0 is never an id */
	ck_assert(!shoal_ids_used(&copy, 0));
	shoal_ids_fini(&ids);
	shoal_ids_fini(&copy);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ids");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_freed_id_rests);
	tcase_add_test(tc, test_quarantine_ends);
	tcase_add_test(tc, test_copy_keeps_quarantine);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
