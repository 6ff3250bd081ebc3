// SPDX-License-Identifier: GPL-2.0-only
/* agent/ctl_proto.c: requests and replies both ways; bad input refused. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "model/addr.h"
#include "ckmain.h"
#include "control/proto.h"

START_TEST(test_request_round_trip)
{
	char *line = shoal_ctl_encode_request("backend.drain",
					      json_pack("{s:s}", "vip", "192.0.2.1:80/tcp"));
	const char *cmd, *err;
	json_t *req, *args;

	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(shoal_ctl_decode_request(line, strlen(line), &req, &cmd, &args, &err), 0);
	ck_assert_str_eq(cmd, "backend.drain");
	ck_assert_str_eq(json_string_value(json_object_get(args, "vip")), "192.0.2.1:80/tcp");
	json_decref(req);
	free(line);
}
END_TEST

START_TEST(test_reply_round_trip)
{
	char *ok = shoal_ctl_encode_reply(json_pack("{s:i}", "n", 3), NULL);
	char *bad = shoal_ctl_encode_reply(NULL, "no VIP 192.0.2.9:80/tcp");
	json_t *reply, *result;
	const char *err;

	ck_assert_int_eq(shoal_ctl_decode_reply(ok, &reply, &result, &err), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(result, "n")), 3);
	json_decref(reply);
	ck_assert_int_eq(shoal_ctl_decode_reply(bad, &reply, &result, &err), -EIO);
	ck_assert_str_eq(err, "no VIP 192.0.2.9:80/tcp");
	json_decref(reply);
	free(ok);
	free(bad);
}
END_TEST

static const struct {
	const char *line;
	int ret;
} bad_requests[] = {
	{ "", -EINVAL },
	{ "not json", -EINVAL },
	{ "[1,2]", -EINVAL },
	{ "{\"command\":\"status\"}", -EPROTO },
	{ "{\"version\":2,\"command\":\"status\"}", -EPROTO },
	{ "{\"version\":1}", -EINVAL },
	{ "{\"version\":1,\"command\":7}", -EINVAL },
	{ "{\"version\":1,\"command\":\"status\",\"args\":[]}", -EINVAL },
	{ "{\"version\":1,\"command\":\"a\",\"command\":\"b\"}", -EINVAL },
};

START_TEST(test_bad_requests)
{
	const char *cmd, *err = NULL, *line = bad_requests[_i].line;
	json_t *req, *args;

	ck_assert_int_eq(shoal_ctl_decode_request(line, strlen(line), &req, &cmd, &args, &err),
			 bad_requests[_i].ret);
	ck_assert_ptr_null(req);
	ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(test_vip_spec)
{
	static const struct {
		const char *s;
		int ok;
		__u16 port;
		__u8 proto;
	} cases[] = {
		{ "192.0.2.1:80/tcp", 1, 80, IPPROTO_TCP },
		{ "[2001:db8::1]:53/udp", 1, 53, IPPROTO_UDP },
		{ "192.0.2.1:0/tcp", 1, 0, IPPROTO_TCP },
		{ "192.0.2.1/tcp", 0, 0, 0 },
		{ "192.0.2.1:80", 0, 0, 0 },
		{ "192.0.2.1:80/sctp", 0, 0, 0 },
		{ "2001:db8::1:53/udp", 0, 0, 0 },
		{ "192.0.2.1:99999/tcp", 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shoal_vip_key k;
		char back[128];
		int ret = shoal_vip_spec_parse(cases[i].s, &k, NULL);

		ck_assert_msg(cases[i].ok ? ret == 0 : ret == -EINVAL, "%s", cases[i].s);
		if (!cases[i].ok)
			continue;
		ck_assert_uint_eq(ntohs(k.port), cases[i].port);
		ck_assert_uint_eq(k.proto, cases[i].proto);
		shoal_vip_spec_format(&k, back, sizeof(back));
		ck_assert_str_eq(back, cases[i].s);
	}
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl_proto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_request_round_trip);
	tcase_add_test(tc, test_reply_round_trip);
	tcase_add_loop_test(tc, test_bad_requests, 0,
			    sizeof(bad_requests) / sizeof(bad_requests[0]));
	tcase_add_test(tc, test_vip_spec);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ckmain_run(ctl_suite());
}
