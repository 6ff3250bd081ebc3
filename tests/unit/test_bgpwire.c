// SPDX-License-Identifier: GPL-2.0-only
/*
 * agent/model/bgpwire.c and bfdwire.c: messages byte for byte as RFC 4271,
 * 4760, 4724, 6793 and 5880 lay them out, and every class of malformed
 * message answered with the NOTIFICATION (or RFC 7606 treat-as-withdraw)
 * it calls for.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <string.h>

#include "bird_fixtures.h"
#include "ckmain.h"
#include "model/bfdwire.h"
#include "model/bgpwire.h"

#define M16                                                                                       \
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
		0xff

static void expect_bytes(const __u8 *got, int len, const __u8 *want, size_t wlen)
{
	ck_assert_int_eq(len, (int)wlen);
	ck_assert_mem_eq(got, want, wlen);
}

START_TEST(test_keepalive)
{
	static const __u8 want[] = { M16, 0x00, 0x13, 0x04 };
	__u8 buf[64];

	expect_bytes(buf, bgp_keepalive_encode(buf, sizeof(buf)), want, sizeof(want));
	ck_assert_int_eq(bgp_keepalive_encode(buf, 10), -ENOSPC);
}
END_TEST

static const struct bgp_open open_mine = {
	.as = 65001,
	.hold = 9,
	.router_id = 0xc6336402,
	.cap_mp = true,
	.mp_v4 = true,
	.mp_v6 = true,
	.refresh = true,
	.as4 = true,
	.gr = true,
	.gr_time = 120,
	.gr_v4 = true,
	.gr_v6 = true,
};

START_TEST(test_open_bytes)
{
	static const __u8 want[] = {
		M16,  0x00, 0x3f, 0x01,				      /* length 63, OPEN */
		0x04, 0xfd, 0xe9, 0x00, 0x09, 0xc6, 0x33, 0x64, 0x02, /* v4, AS, hold, id */
		0x22, 0x02, 0x20,		    /* opt params 34: capabilities, 32 */
		0x01, 0x04, 0x00, 0x01, 0x00, 0x01, /* MP ipv4 unicast */
		0x01, 0x04, 0x00, 0x02, 0x00, 0x01, /* MP ipv6 unicast */
		0x02, 0x00,			    /* route refresh */
		0x40, 0x0a, 0x00, 0x78, 0x00, 0x01, 0x01, 0x00, 0x00,
		0x02, 0x01, 0x00,		    /* GR 120 s */
		0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9, /* 4-octet AS */
	};
	struct bgp_open o;
	struct bgp_err e;
	__u8 buf[128];
	int n = bgp_open_encode(buf, sizeof(buf), &open_mine);

	expect_bytes(buf, n, want, sizeof(want));
	ck_assert_int_eq(bgp_open_decode(buf, (size_t)n, 65001, 1, &o, &e), 0);
	ck_assert_uint_eq(o.as, 65001);
	ck_assert(o.as4 && o.refresh && o.mp_v4 && o.mp_v6 && o.gr && !o.gr_restarting);
	ck_assert_uint_eq(o.gr_time, 120);
}
END_TEST

START_TEST(test_open_as4)
{
	struct bgp_open mine = open_mine, o;
	struct bgp_err e;
	__u8 buf[128];
	int n;

	mine.as = 4200000000U;
	mine.gr_restarting = mine.gr_v4_fwd = true;
	n = bgp_open_encode(buf, sizeof(buf), &mine);
	ck_assert_int_gt(n, 0);
	/* My AS is AS_TRANS, the real one in the capability (RFC 6793) */
	ck_assert_uint_eq(buf[20] << 8 | buf[21], BGP_AS_TRANS);
	ck_assert_int_eq(bgp_open_decode(buf, (size_t)n, 4200000000U, 1, &o, &e), 0);
	ck_assert_uint_eq(o.as, 4200000000U);
	ck_assert(o.gr_restarting && o.gr_v4_fwd && !o.gr_v6_fwd);
}
END_TEST

/* OPEN problems and the NOTIFICATION each gets. */
START_TEST(test_open_errors)
{
	struct bgp_open o;
	struct bgp_err e;
	__u8 buf[128], m[128];
	int n = bgp_open_encode(buf, sizeof(buf), &open_mine);

	memcpy(m, buf, (size_t)n);
	m[19] = 3;
	ck_assert_int_eq(bgp_open_decode(m, (size_t)n, 0, 1, &o, &e), -EINVAL);
	ck_assert(e.code == BGP_E_OPEN && e.subcode == BGP_SUB_OPEN_VERSION);
	ck_assert(e.data_len == 2 && e.data[1] == 4);
	memcpy(m, buf, (size_t)n);
	m[23] = 2; /* hold 2 */
	ck_assert_int_eq(bgp_open_decode(m, (size_t)n, 0, 1, &o, &e), -EINVAL);
	ck_assert(e.code == BGP_E_OPEN && e.subcode == BGP_SUB_OPEN_HOLD);
	ck_assert_int_eq(bgp_open_decode(buf, (size_t)n, 65002, 1, &o, &e), -EINVAL);
	ck_assert(e.code == BGP_E_OPEN && e.subcode == BGP_SUB_OPEN_PEER_AS);
	ck_assert_int_eq(bgp_open_decode(buf, (size_t)n, 0, 0xc6336402, &o, &e), -EINVAL);
	ck_assert(e.code == BGP_E_OPEN && e.subcode == BGP_SUB_OPEN_BGP_ID);
	memcpy(m, buf, (size_t)n);
	m[29] = 9; /* an optional parameter other than capabilities */
	ck_assert_int_eq(bgp_open_decode(m, (size_t)n, 0, 1, &o, &e), -EINVAL);
	ck_assert(e.code == BGP_E_OPEN && e.subcode == BGP_SUB_OPEN_PARAM);
	memcpy(m, buf, (size_t)n);
	m[30] = 60; /* capabilities longer than the parameters */
	ck_assert_int_eq(bgp_open_decode(m, (size_t)n, 0, 1, &o, &e), -EINVAL);
	ck_assert_int_eq(e.code, BGP_E_OPEN);
}
END_TEST

START_TEST(test_header_errors)
{
	__u8 m[32] = { M16, 0x00, 0x13, 0x04 };
	struct bgp_err e;
	__u16 len;
	__u8 type;

	ck_assert_int_eq(bgp_header_check(m, 19, &type, &len, &e), 0);
	ck_assert_int_eq(bgp_header_check(m, 10, &type, &len, &e), -EAGAIN);
	m[3] = 0;
	ck_assert_int_eq(bgp_header_check(m, 19, &type, &len, &e), -EINVAL);
	ck_assert(e.code == BGP_E_HEADER && e.subcode == BGP_SUB_HDR_SYNC);
	m[3] = 0xff;
	m[17] = 18;
	ck_assert_int_eq(bgp_header_check(m, 19, &type, &len, &e), -EINVAL);
	ck_assert(e.code == BGP_E_HEADER && e.subcode == BGP_SUB_HDR_LENGTH && e.data[1] == 18);
	m[16] = 0x10; /* 4097 */
	m[17] = 0x01;
	ck_assert_int_eq(bgp_header_check(m, 19, &type, &len, &e), -EINVAL);
	ck_assert(e.subcode == BGP_SUB_HDR_LENGTH);
	m[16] = 0;
	m[17] = 19;
	m[18] = 9;
	ck_assert_int_eq(bgp_header_check(m, 19, &type, &len, &e), -EINVAL);
	ck_assert(e.subcode == BGP_SUB_HDR_TYPE && e.data[0] == 9);
	m[17] = 20; /* a KEEPALIVE of 20 bytes */
	m[18] = BGP_KEEPALIVE;
	ck_assert_int_eq(bgp_header_check(m, 20, &type, &len, &e), -EINVAL);
	ck_assert(e.subcode == BGP_SUB_HDR_LENGTH);
	m[17] = 22; /* a ROUTE-REFRESH of 22: RFC 7313 */
	m[18] = BGP_ROUTE_REFRESH;
	ck_assert_int_eq(bgp_header_check(m, 22, &type, &len, &e), -EINVAL);
	ck_assert(e.code == BGP_E_REFRESH && e.subcode == BGP_SUB_REFRESH_LENGTH);
}
END_TEST

static struct bgp_attrs attrs_v4(void)
{
	struct bgp_attrs a = { .local_as = 65001, .as4 = true };

	inet_pton(AF_INET, "198.51.100.2", &a.nh4);
	return a;
}

static struct bgp_prefix pfx(const char *s)
{
	struct bgp_prefix p = { 0 };

	if (inet_pton(AF_INET, s, &p.v4) == 1) {
		p.family = AF_INET;
		p.len = 32;
	} else {
		inet_pton(AF_INET6, s, &p.v6);
		p.family = AF_INET6;
		p.len = 128;
	}
	return p;
}

START_TEST(test_update_v4)
{
	static const __u8 want[] = {
		M16,  0x00, 0x30, 0x02, 0x00, 0x00, 0x00, 0x14,	      /* no withdrawn; attrs 20 */
		0x40, 0x01, 0x01, 0x00,				      /* ORIGIN IGP */
		0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9, /* AS_PATH 65001 */
		0x40, 0x03, 0x04, 0xc6, 0x33, 0x64, 0x02,	      /* NEXT_HOP */
		0x20, 0xc0, 0x00, 0x02, 0x0a,			      /* 192.0.2.10/32 */
	};
	static const __u8 wd[] = { M16,	 0x00, 0x1c, 0x02, 0x00, 0x05, 0x20,
				   0xc0, 0x00, 0x02, 0x0a, 0x00, 0x00 };
	struct bgp_attrs a = attrs_v4();
	struct bgp_prefix p = pfx("192.0.2.10");
	struct bgp_update_info u;
	struct bgp_err e;
	__u8 buf[512];
	int n = bgp_update_announce(buf, sizeof(buf), &a, &p);

	expect_bytes(buf, n, want, sizeof(want));
	ck_assert_int_eq(bgp_update_decode(buf, (size_t)n, true, &u, &e), 0);
	ck_assert(u.announced == 1 && !u.treat_as_withdraw && !u.eor);
	expect_bytes(buf, bgp_update_withdraw(buf, sizeof(buf), &p), wd, sizeof(wd));
	ck_assert_int_eq(bgp_update_decode(buf, sizeof(wd), true, &u, &e), 0);
	ck_assert(u.withdrawn == 1 && u.announced == 0);
}
END_TEST

START_TEST(test_update_attrs)
{
	static const __u8 comm[] = { 0xc0, 0x08, 0x08, 0xfd, 0xe9, 0x00,
				     0x64, 0xff, 0xff, 0xff, 0x01 };
	static const __u8 large[] = { 0xc0, 0x20, 0x0c, 0x00, 0x00, 0xfd, 0xe9, 0x00,
				      0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02 };
	static const __u8 med[] = { 0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x0a };
	struct bgp_attrs a = attrs_v4();
	struct bgp_prefix p = pfx("192.0.2.10");
	struct bgp_update_info u;
	struct bgp_err e;
	__u8 buf[BGP_MAX_LEN];
	int n;

	a.comms[a.ncomms++] = 65001U << 16 | 100;
	a.comms[a.ncomms++] = 0xffffff01;
	a.large[a.nlarge++] = (struct bgp_large_comm){ 65001, 1, 2 };
	a.have_med = true;
	a.med = 10;
	n = bgp_update_announce(buf, sizeof(buf), &a, &p);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(memmem(buf, (size_t)n, comm, sizeof(comm)));
	ck_assert_ptr_nonnull(memmem(buf, (size_t)n, large, sizeof(large)));
	ck_assert_ptr_nonnull(memmem(buf, (size_t)n, med, sizeof(med)));
	ck_assert_int_eq(bgp_update_decode(buf, (size_t)n, true, &u, &e), 0);
	ck_assert(!u.treat_as_withdraw && u.announced == 1);
	/* 32 large communities need the extended length (384 bytes) */
	for (a.nlarge = 0; a.nlarge < BGP_MAX_COMMS; a.nlarge++)
		a.large[a.nlarge] = (struct bgp_large_comm){ 1, 2, a.nlarge };
	n = bgp_update_announce(buf, sizeof(buf), &a, &p);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(bgp_update_decode(buf, (size_t)n, true, &u, &e), 0);
	ck_assert(!u.treat_as_withdraw && u.announced == 1);
	/* iBGP: LOCAL_PREF and an empty AS_PATH; a 2-octet peer gets AS_TRANS and AS4_PATH */
	a = attrs_v4();
	a.as4 = false;
	a.local_as = 4200000000U;
	n = bgp_update_announce(buf, sizeof(buf), &a, &p);
	{
		static const __u8 path[] = { 0x40, 0x02, 0x04, 0x02, 0x01, 0x5b, 0xa0 };
		static const __u8 as4[] = { 0xc0, 0x11, 0x06, 0x02, 0x01, 0xfa, 0x56, 0xea, 0x00 };

		ck_assert_ptr_nonnull(memmem(buf, (size_t)n, path, sizeof(path)));
		ck_assert_ptr_nonnull(memmem(buf, (size_t)n, as4, sizeof(as4)));
	}
	ck_assert_int_eq(bgp_update_decode(buf, (size_t)n, false, &u, &e), 0);
	ck_assert(!u.treat_as_withdraw);
}
END_TEST

START_TEST(test_update_v6)
{
	static const __u8 reach[] = {
		0x80, 0x0e, 0x26, 0x00, 0x02, 0x01, 0x10, /* MP_REACH 38: ipv6 unicast, nh 16 */
		0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0,	  0,	0,
		0,    0,    0,	  0,	0,    0,    0x02, 0x00, /* nh, rsv */
		0x80, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10, 0,	0,
		0,    0,    0,	  0,	0,    0,    0,	  0x10,
	};
	static const __u8 eor6[] = { M16,  0x00, 0x1d, 0x02, 0x00, 0x00, 0x00,
				     0x06, 0x80, 0x0f, 0x03, 0x00, 0x02, 0x01 };
	static const __u8 eor4[] = { M16, 0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00 };
	struct bgp_attrs a = attrs_v4();
	struct bgp_prefix p = pfx("2001:db8:10::10");
	struct bgp_update_info u;
	struct bgp_err e;
	__u8 buf[512];
	int n;

	inet_pton(AF_INET6, "2001:db8:100::2", &a.nh6);
	n = bgp_update_announce(buf, sizeof(buf), &a, &p);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(memmem(buf, (size_t)n, reach, sizeof(reach)));
	ck_assert_int_eq(bgp_update_decode(buf, (size_t)n, true, &u, &e), 0);
	ck_assert(u.announced == 1 && !u.treat_as_withdraw);
	n = bgp_update_withdraw(buf, sizeof(buf), &p);
	ck_assert_int_eq(bgp_update_decode(buf, (size_t)n, true, &u, &e), 0);
	ck_assert(u.withdrawn == 1 && !u.eor);
	expect_bytes(buf, bgp_update_eor(buf, sizeof(buf), BGP_AFI_IPV6), eor6, sizeof(eor6));
	ck_assert_int_eq(bgp_update_decode(buf, sizeof(eor6), true, &u, &e), 0);
	ck_assert(u.eor && u.eor_afi == BGP_AFI_IPV6);
	expect_bytes(buf, bgp_update_eor(buf, sizeof(buf), BGP_AFI_IPV4), eor4, sizeof(eor4));
	ck_assert_int_eq(bgp_update_decode(buf, sizeof(eor4), true, &u, &e), 0);
	ck_assert(u.eor && u.eor_afi == BGP_AFI_IPV4);
}
END_TEST

/* An UPDATE of attrs[] and NLRI 192.0.2.10/32 into buf; its length. */
static size_t mk_update(__u8 *buf, const __u8 *attrs, size_t alen, bool nlri)
{
	static const __u8 hdr[] = { M16 };
	size_t n = 0;

	memcpy(buf, hdr, 16);
	n = 19;
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = (__u8)(alen >> 8);
	buf[n++] = (__u8)alen;
	memcpy(buf + n, attrs, alen);
	n += alen;
	if (nlri) {
		static const __u8 p[] = { 0x20, 0xc0, 0x00, 0x02, 0x0a };

		memcpy(buf + n, p, sizeof(p));
		n += sizeof(p);
	}
	buf[16] = (__u8)(n >> 8);
	buf[17] = (__u8)n;
	buf[18] = BGP_UPDATE;
	return n;
}

#define GOOD_ORIGIN 0x40, 0x01, 0x01, 0x00
#define GOOD_PATH   0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe8
#define GOOD_NH	    0x40, 0x03, 0x04, 0xc6, 0x33, 0x64, 0x01

struct bad_update {
	const char *what;
	__u8 attrs[64];
	size_t alen;
	bool nlri;
	int ret;      /* 0: treat as withdraw, -EINVAL: NOTIFICATION */
	__u8 subcode; /* of the UPDATE error */
};

static const struct bad_update bad_updates[] = {
	{ "NEXT_HOP missing", { GOOD_ORIGIN, GOOD_PATH }, 13, true, 0, BGP_SUB_UPD_MISSING },
	{ "ORIGIN 5",
	  { 0x40, 0x01, 0x01, 0x05, GOOD_PATH, GOOD_NH },
	  20,
	  true,
	  0,
	  BGP_SUB_UPD_ORIGIN },
	{ "ORIGIN of 2 bytes",
	  { 0x40, 0x01, 0x02, 0x00, 0x00, GOOD_PATH, GOOD_NH },
	  21,
	  true,
	  0,
	  BGP_SUB_UPD_LENGTH },
	{ "ORIGIN flagged optional",
	  { 0xc0, 0x01, 0x01, 0x00, GOOD_PATH, GOOD_NH },
	  20,
	  true,
	  0,
	  BGP_SUB_UPD_FLAGS },
	{ "AS_PATH segment type 7",
	  { GOOD_ORIGIN, 0x40, 0x02, 0x06, 0x07, 0x01, 0x00, 0x00, 0xfd, 0xe8, GOOD_NH },
	  20,
	  true,
	  0,
	  BGP_SUB_UPD_AS_PATH },
	{ "NEXT_HOP 0.0.0.0",
	  { GOOD_ORIGIN, GOOD_PATH, 0x40, 0x03, 0x04, 0, 0, 0, 0 },
	  20,
	  true,
	  0,
	  BGP_SUB_UPD_NEXT_HOP },
	{ "COMMUNITIES of 3 bytes",
	  { GOOD_ORIGIN, GOOD_PATH, GOOD_NH, 0xc0, 0x08, 0x03, 1, 2, 3 },
	  26,
	  true,
	  0,
	  BGP_SUB_UPD_OPTIONAL },
	{ "an attribute past the list",
	  { GOOD_ORIGIN, GOOD_PATH, 0x40, 0x03, 0x09, 1, 2, 3, 4 },
	  20,
	  true,
	  0,
	  BGP_SUB_UPD_ATTR_LIST },
	{ "unknown well-known attribute 99",
	  { GOOD_ORIGIN, GOOD_PATH, GOOD_NH, 0x40, 99, 0x00 },
	  23,
	  true,
	  -EINVAL,
	  BGP_SUB_UPD_WELLKNOWN },
	{ "MP_REACH twice",
	  { 0x80, 0x0f, 0x03, 0x00, 0x02, 0x01, 0x80, 0x0f, 0x03, 0x00, 0x02, 0x01 },
	  12,
	  false,
	  -EINVAL,
	  BGP_SUB_UPD_ATTR_LIST },
	{ "MP_REACH with a 5-byte next hop",
	  { GOOD_ORIGIN, GOOD_PATH, 0x80, 0x0e, 0x0a, 0x00, 0x02, 0x01, 0x05, 1, 2, 3, 4, 5, 0 },
	  28,
	  false,
	  -EINVAL,
	  BGP_SUB_UPD_OPTIONAL },
	{ "MP_UNREACH with a /129",
	  { 0x80, 0x0f, 0x05, 0x00, 0x02, 0x01, 0x81, 0x20 },
	  8,
	  false,
	  -EINVAL,
	  BGP_SUB_UPD_NETWORK },
};

START_TEST(test_update_bad)
{
	const struct bad_update *b = &bad_updates[_i];
	struct bgp_update_info u;
	struct bgp_err e = { 0 };
	__u8 buf[256];
	size_t n = mk_update(buf, b->attrs, b->alen, b->nlri);
	int ret = bgp_update_decode(buf, n, true, &u, &e);

	ck_assert_msg(ret == b->ret, "%s: %d", b->what, ret);
	if (ret) {
		ck_assert_msg(e.code == BGP_E_UPDATE && e.subcode == b->subcode, "%s: %u/%u",
			      b->what, e.code, e.subcode);
	} else {
		ck_assert_msg(u.treat_as_withdraw, "%s: accepted", b->what);
		ck_assert_msg(u.why.subcode == b->subcode, "%s: %u", b->what, u.why.subcode);
	}
}
END_TEST

START_TEST(test_update_bad_nlri)
{
	static const __u8 attrs[] = { GOOD_ORIGIN, GOOD_PATH, GOOD_NH };
	struct bgp_update_info u;
	struct bgp_err e;
	__u8 buf[256];
	size_t n = mk_update(buf, attrs, sizeof(attrs), true);

	buf[n - 5] = 33; /* a /33 */
	ck_assert_int_eq(bgp_update_decode(buf, n, false, &u, &e), -EINVAL);
	ck_assert(e.code == BGP_E_UPDATE && e.subcode == BGP_SUB_UPD_NETWORK);
	buf[n - 5] = 32;
	buf[20] = 200; /* withdrawn routes longer than the message */
	ck_assert_int_eq(bgp_update_decode(buf, n, false, &u, &e), -EINVAL);
	ck_assert(e.code == BGP_E_UPDATE && e.subcode == BGP_SUB_UPD_ATTR_LIST);
}
END_TEST

START_TEST(test_notification_refresh)
{
	static const __u8 cease[] = { M16, 0x00, 0x15, 0x03, 0x06, 0x02 };
	static const __u8 rr[] = { M16, 0x00, 0x17, 0x05, 0x00, 0x02, 0x00, 0x01 };
	struct bgp_err e = { .code = BGP_E_CEASE, .subcode = BGP_SUB_CEASE_SHUTDOWN }, d;
	char words[96];
	__u8 buf[64], safi;
	__u16 afi;

	expect_bytes(buf, bgp_notification_encode(buf, sizeof(buf), &e), cease, sizeof(cease));
	ck_assert_int_eq(bgp_notification_decode(buf, sizeof(cease), &d), 0);
	ck_assert(d.code == BGP_E_CEASE && d.subcode == BGP_SUB_CEASE_SHUTDOWN && !d.data_len);
	ck_assert_str_eq(bgp_err_name(6, 2, words, sizeof(words)),
			 "cease: administrative shutdown");
	ck_assert_str_eq(bgp_err_name(6, 10, words, sizeof(words)), "cease (subcode 10)");
	expect_bytes(buf, bgp_refresh_encode(buf, sizeof(buf), BGP_AFI_IPV6, BGP_SAFI_UNICAST), rr,
		     sizeof(rr));
	ck_assert_int_eq(bgp_refresh_decode(buf, sizeof(rr), &afi, &safi), 0);
	ck_assert(afi == BGP_AFI_IPV6 && safi == BGP_SAFI_UNICAST);
}
END_TEST

START_TEST(test_bfd)
{
	/* RFC 5880 4.1: version 1, diag 0, state Up, P, mult 3, length 24 */
	static const __u8 want[] = { 0x20, 0xe0, 0x03, 0x18, 0x00, 0x00, 0x00, 0x01,
				     0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x86, 0xa0,
				     0x00, 0x01, 0x86, 0xa0, 0x00, 0x00, 0x00, 0x00 };
	struct bfd_pkt p = { .state = BFD_UP,
			     .poll = true,
			     .detect_mult = 3,
			     .my_disc = 1,
			     .your_disc = 2,
			     .min_tx_us = 100000,
			     .min_rx_us = 100000 };
	struct bfd_pkt d;
	const char *why;
	__u8 buf[32];

	expect_bytes(buf, bfd_encode(buf, sizeof(buf), &p), want, sizeof(want));
	ck_assert_int_eq(bfd_decode(buf, sizeof(want), &d, &why), 0);
	ck_assert(d.state == BFD_UP && d.poll && !d.final && d.my_disc == 1 && d.your_disc == 2);
	ck_assert_uint_eq(d.min_rx_us, 100000);
	buf[0] = 0x40; /* version 2 */
	ck_assert_int_eq(bfd_decode(buf, sizeof(want), &d, &why), -EINVAL);
	buf[0] = 0x20;
	buf[2] = 0; /* multiplier 0 */
	ck_assert_int_eq(bfd_decode(buf, sizeof(want), &d, &why), -EINVAL);
	buf[2] = 3;
	memset(buf + 8, 0, 4); /* your discriminator 0 while Up */
	ck_assert_int_eq(bfd_decode(buf, sizeof(want), &d, &why), -EINVAL);
	buf[1] = 0x44; /* Down, authentication */
	ck_assert_int_eq(bfd_decode(buf, sizeof(want), &d, &why), -EINVAL);
	buf[1] = 0x40;
	ck_assert_int_eq(bfd_decode(buf, sizeof(want), &d, &why), 0);
	ck_assert_int_eq(bfd_decode(buf, 20, &d, &why), -EINVAL);
}
END_TEST

/* What BIRD sends, decoded as shoald decodes it. */
START_TEST(test_bird)
{
	struct bgp_update_info u;
	struct bgp_open o;
	struct bgp_err e;
	struct bfd_pkt p;
	const char *why;
	__u16 len;
	__u8 type;

	ck_assert_int_eq(bgp_header_check(bird_open, sizeof(bird_open), &type, &len, &e), 0);
	ck_assert(type == BGP_OPEN && len == sizeof(bird_open));
	ck_assert_int_eq(bgp_open_decode(bird_open, sizeof(bird_open), 65000, 0xc6336402, &o, &e),
			 0);
	ck_assert(o.as == 65000 && o.hold == 9 && o.router_id == 0xc6336401);
	ck_assert(o.as4 && o.refresh && o.mp_v4 && o.mp_v6 && o.gr && o.gr_v4 && o.gr_v6);
	ck_assert_uint_eq(o.gr_time, 120);
	ck_assert(bgp_open_family(&open_mine, &o, BGP_AFI_IPV6));
	ck_assert_int_eq(bgp_header_check(bird_keepalive, 19, &type, &len, &e), 0);
	ck_assert_int_eq(type, BGP_KEEPALIVE);
	ck_assert_int_eq(bgp_update_decode(bird_update_v4, sizeof(bird_update_v4), true, &u, &e),
			 0);
	ck_assert(u.announced == 1 && !u.withdrawn && !u.treat_as_withdraw && !u.eor);
	ck_assert_int_eq(bgp_update_decode(bird_update_v6, sizeof(bird_update_v6), true, &u, &e),
			 0);
	ck_assert(u.announced == 1 && !u.treat_as_withdraw && !u.eor);
	ck_assert_int_eq(bgp_update_decode(bird_eor_v4, sizeof(bird_eor_v4), true, &u, &e), 0);
	ck_assert(u.eor && u.eor_afi == BGP_AFI_IPV4);
	ck_assert_int_eq(bgp_update_decode(bird_eor_v6, sizeof(bird_eor_v6), true, &u, &e), 0);
	ck_assert(u.eor && u.eor_afi == BGP_AFI_IPV6);
	/* and what shoal sends is what BIRD sends, where both say the same */
	{
		__u8 buf[64];

		expect_bytes(buf, bgp_update_eor(buf, sizeof(buf), BGP_AFI_IPV6), bird_eor_v6,
			     sizeof(bird_eor_v6));
		expect_bytes(buf, bgp_keepalive_encode(buf, sizeof(buf)), bird_keepalive,
			     sizeof(bird_keepalive));
	}
	ck_assert_int_eq(bfd_decode(bird_bfd_down, sizeof(bird_bfd_down), &p, &why), 0);
	ck_assert(p.state == BFD_DOWN && !p.your_disc && p.detect_mult == 3);
	ck_assert_int_eq(bfd_decode(bird_bfd_up_poll, sizeof(bird_bfd_up_poll), &p, &why), 0);
	ck_assert(p.state == BFD_UP && p.poll && p.min_rx_us == 100000);
	ck_assert_int_eq(bfd_decode(bird_bfd_up_final, sizeof(bird_bfd_up_final), &p, &why), 0);
	ck_assert(p.state == BFD_UP && p.final && !p.poll);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bgpwire");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_open_bytes);
	tcase_add_test(tc, test_open_as4);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_header_errors);
	tcase_add_test(tc, test_update_v4);
	tcase_add_test(tc, test_update_attrs);
	tcase_add_test(tc, test_update_v6);
	tcase_add_loop_test(tc, test_update_bad, 0, sizeof(bad_updates) / sizeof(bad_updates[0]));
	tcase_add_test(tc, test_update_bad_nlri);
	tcase_add_test(tc, test_notification_refresh);
	tcase_add_test(tc, test_bfd);
	tcase_add_test(tc, test_bird);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
