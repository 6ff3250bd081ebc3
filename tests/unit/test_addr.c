// SPDX-License-Identifier: GPL-2.0-only
/* agent/addr.c: literals and endpoints, good and bad. */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "model/addr.h"
#include "ckmain.h"

struct ep_case {
	const char *in;
	int ok;
	const char *addr;
	__u16 port;
	int family;
};

static const struct ep_case ep_cases[] = {
	{ "192.0.2.1", 1, "192.0.2.1", 0, AF_INET },
	{ "192.0.2.1:80", 1, "192.0.2.1", 80, AF_INET },
	{ "192.0.2.1:65535", 1, "192.0.2.1", 65535, AF_INET },
	{ "2001:db8::1", 1, "2001:db8::1", 0, AF_INET6 },
	{ "[2001:db8::1]:443", 1, "2001:db8::1", 443, AF_INET6 },
	{ "[2001:db8::1]", 1, "2001:db8::1", 0, AF_INET6 },
	{ "192.0.2.1:65536", 0, NULL, 0, 0 },
	{ "192.0.2.1:-1", 0, NULL, 0, 0 },
	{ "192.0.2.1:", 0, NULL, 0, 0 },
	{ "192.0.2.1:8x", 0, NULL, 0, 0 },
	{ "192.0.2.256", 0, NULL, 0, 0 },
	{ "[2001:db8::1", 0, NULL, 0, 0 },
	{ "[2001:db8::1]x", 0, NULL, 0, 0 },
	{ "", 0, NULL, 0, 0 },
	{ ":80", 0, NULL, 0, 0 },
	{ "example.org:80", 0, NULL, 0, 0 },
	{ "[192.0.2.1]:80", 1, "192.0.2.1", 80, AF_INET },
};

START_TEST(test_endpoint_parse)
{
	const struct ep_case *c = &ep_cases[_i];
	struct shoal_addr a, want;
	__u16 port = 1234;
	int family = -1, ret;

	ret = shoal_endpoint_parse(c->in, &a, &port, &family);
	if (!c->ok) {
		ck_assert_msg(ret == -EINVAL, "'%s' accepted", c->in);
		return;
	}
	ck_assert_msg(ret == 0, "'%s' refused", c->in);
	ck_assert_int_eq(shoal_addr_parse(c->addr, &want, NULL), 0);
	ck_assert_mem_eq(&a, &want, sizeof(a));
	ck_assert_uint_eq(port, c->port);
	ck_assert_int_eq(family, c->family);
}
END_TEST

START_TEST(test_v4_mapped_round_trip)
{
	char buf[SHOAL_ADDR_STRLEN];
	struct shoal_addr a;
	int family;

	ck_assert_int_eq(shoal_addr_parse("198.51.100.7", &a, &family), 0);
	ck_assert_int_eq(family, AF_INET);
	ck_assert(shoal_addr_is_v4(&a));
	ck_assert_uint_eq(a.u8[10], 0xff);
	ck_assert_uint_eq(a.u8[11], 0xff);
	ck_assert_uint_eq(a.u8[15], 7);
	ck_assert_str_eq(shoal_addr_format(&a, buf, sizeof(buf)), "198.51.100.7");
	ck_assert_int_eq(shoal_addr_parse("2001:db8::7", &a, &family), 0);
	ck_assert_int_eq(family, AF_INET6);
	ck_assert(!shoal_addr_is_v4(&a));
	ck_assert_str_eq(shoal_addr_format(&a, buf, sizeof(buf)), "2001:db8::7");
	ck_assert_int_eq(shoal_addr_parse("nonsense", &a, NULL), -EINVAL);
	ck_assert_int_eq(shoal_addr_parse(NULL, &a, NULL), -EINVAL);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_endpoint_parse, 0, sizeof(ep_cases) / sizeof(ep_cases[0]));
	tcase_add_test(tc, test_v4_mapped_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ckmain_run(addr_suite());
}
