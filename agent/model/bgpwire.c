// SPDX-License-Identifier: GPL-2.0-only
/*
 * BGP-4 messages: encoders for what shoal says, decoders that judge what a
 * peer says. Nothing here keeps state or allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/bgpwire.h"

/* Path attribute types and flags (RFC 4271 4.3, RFC 4760, RFC 6793, RFC 8092). */
#define ATTR_ORIGIN	     1
#define ATTR_AS_PATH	     2
#define ATTR_NEXT_HOP	     3
#define ATTR_MED	     4
#define ATTR_LOCAL_PREF	     5
#define ATTR_ATOMIC_AGGR     6
#define ATTR_AGGREGATOR	     7
#define ATTR_COMMUNITIES     8
#define ATTR_MP_REACH	     14
#define ATTR_MP_UNREACH	     15
#define ATTR_AS4_PATH	     17
#define ATTR_AS4_AGGREGATOR  18
#define ATTR_LARGE_COMMUNITY 32

#define F_OPTIONAL   0x80
#define F_TRANSITIVE 0x40
#define F_EXTENDED   0x10

#define CAP_MP	    1
#define CAP_REFRESH 2
#define CAP_GR	    64
#define CAP_AS4	    65

#define AS_SET		   1
#define AS_SEQUENCE	   2
#define AS_CONFED_SEQUENCE 3
#define AS_CONFED_SET	   4

static inline __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static inline void put32(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 24);
	p[1] = (__u8)(v >> 16);
	p[2] = (__u8)(v >> 8);
	p[3] = (__u8)v;
}

static int fail(struct bgp_err *e, __u8 code, __u8 sub, const __u8 *data, size_t len)
{
	e->code = code;
	e->subcode = sub;
	e->data_len = len > BGP_ERR_DATA_MAX ? BGP_ERR_DATA_MAX : len;
	if (e->data_len)
		memcpy(e->data, data, e->data_len);
	return -EINVAL;
}

/* Starts a message of type in buf: the marker, the type; the length is put by finish(). */
static int start(__u8 *buf, size_t cap, __u8 type)
{
	if (cap < BGP_HDR_LEN)
		return -ENOSPC;
	memset(buf, 0xff, 16);
	buf[18] = type;
	return BGP_HDR_LEN;
}

static int finish(__u8 *buf, size_t len)
{
	put16(buf + 16, (__u16)len);
	return (int)len;
}

int bgp_header_check(const __u8 *buf, size_t len, __u8 *type, __u16 *msg_len, struct bgp_err *err)
{
	static const __u16 min_len[BGP_TYPE_MAX] = { 0, 29, 23, 21, 19, 23 };
	__u16 l;
	size_t i;

	if (len < BGP_HDR_LEN)
		return -EAGAIN;
	for (i = 0; i < 16; i++)
		if (buf[i] != 0xff)
			return fail(err, BGP_E_HEADER, BGP_SUB_HDR_SYNC, NULL, 0);
	l = get16(buf + 16);
	*type = buf[18];
	if (l < BGP_HDR_LEN || l > BGP_MAX_LEN)
		return fail(err, BGP_E_HEADER, BGP_SUB_HDR_LENGTH, buf + 16, 2);
	if (*type == 0 || *type >= BGP_TYPE_MAX)
		return fail(err, BGP_E_HEADER, BGP_SUB_HDR_TYPE, buf + 18, 1);
	/* RFC 7313 5: a ROUTE-REFRESH of another length is its own error */
	if (*type == BGP_ROUTE_REFRESH && l != 23)
		return fail(err, BGP_E_REFRESH, BGP_SUB_REFRESH_LENGTH, buf, l < len ? l : len);
	if (l < min_len[*type] || (*type == BGP_KEEPALIVE && l != BGP_HDR_LEN))
		return fail(err, BGP_E_HEADER, BGP_SUB_HDR_LENGTH, buf + 16, 2);
	*msg_len = l;
	return 0;
}

/* ---- OPEN ---- */

static size_t cap_mp(__u8 *p, __u16 afi)
{
	p[0] = CAP_MP;
	p[1] = 4;
	put16(p + 2, afi);
	p[4] = 0;
	p[5] = BGP_SAFI_UNICAST;
	return 6;
}

int bgp_open_encode(__u8 *buf, size_t cap, const struct bgp_open *o)
{
	__u8 caps[64], *c = caps;
	size_t n, clen;

	if (o->mp_v4)
		c += cap_mp(c, BGP_AFI_IPV4);
	if (o->mp_v6)
		c += cap_mp(c, BGP_AFI_IPV6);
	if (o->refresh) {
		*c++ = CAP_REFRESH;
		*c++ = 0;
	}
	if (o->gr) {
		__u8 *len = c + 1;

		c[0] = CAP_GR;
		put16(c + 2, (__u16)((o->gr_restarting ? 0x8000 : 0) | (o->gr_time & 0x0fff)));
		c += 4;
		if (o->gr_v4) {
			put16(c, BGP_AFI_IPV4);
			c[2] = BGP_SAFI_UNICAST;
			c[3] = o->gr_v4_fwd ? 0x80 : 0;
			c += 4;
		}
		if (o->gr_v6) {
			put16(c, BGP_AFI_IPV6);
			c[2] = BGP_SAFI_UNICAST;
			c[3] = o->gr_v6_fwd ? 0x80 : 0;
			c += 4;
		}
		*len = (__u8)(c - len - 1);
	}
	if (o->as4) {
		c[0] = CAP_AS4;
		c[1] = 4;
		put32(c + 2, o->as);
		c += 6;
	}
	clen = (size_t)(c - caps);
	n = 29 + (clen ? clen + 2 : 0);
	if (start(buf, cap, BGP_OPEN) < 0 || cap < n)
		return -ENOSPC;
	buf[19] = 4;
	put16(buf + 20, o->as > 0xffff ? BGP_AS_TRANS : (__u16)o->as);
	put16(buf + 22, o->hold);
	put32(buf + 24, o->router_id);
	buf[28] = (__u8)(clen ? clen + 2 : 0);
	if (clen) {
		buf[29] = 2; /* capabilities */
		buf[30] = (__u8)clen;
		memcpy(buf + 31, caps, clen);
	}
	return finish(buf, n);
}

static int open_caps(const __u8 *p, size_t len, struct bgp_open *o, struct bgp_err *err)
{
	while (len) {
		__u8 code, clen;

		if (len < 2 || (size_t)p[1] + 2 > len)
			return fail(err, BGP_E_OPEN, 0, NULL, 0);
		code = p[0];
		clen = p[1];
		switch (code) {
		case CAP_MP:
			if (clen != 4)
				return fail(err, BGP_E_OPEN, 0, p, clen + 2U);
			o->cap_mp = true;
			if (p[5] == BGP_SAFI_UNICAST && get16(p + 2) == BGP_AFI_IPV4)
				o->mp_v4 = true;
			if (p[5] == BGP_SAFI_UNICAST && get16(p + 2) == BGP_AFI_IPV6)
				o->mp_v6 = true;
			break;
		case CAP_REFRESH:
			o->refresh = true;
			break;
		case CAP_AS4:
			if (clen != 4)
				return fail(err, BGP_E_OPEN, 0, p, clen + 2U);
			o->as4 = true;
			o->as = get32(p + 2);
			break;
		case CAP_GR: {
			const __u8 *f;

			if (clen < 2 || (clen - 2) % 4)
				return fail(err, BGP_E_OPEN, 0, p, clen + 2U);
			o->gr = true;
			o->gr_restarting = p[2] & 0x80;
			o->gr_time = get16(p + 2) & 0x0fff;
			for (f = p + 4; f < p + 2 + clen; f += 4) {
				if (f[2] != BGP_SAFI_UNICAST)
					continue;
				if (get16(f) == BGP_AFI_IPV4) {
					o->gr_v4 = true;
					o->gr_v4_fwd = f[3] & 0x80;
				} else if (get16(f) == BGP_AFI_IPV6) {
					o->gr_v6 = true;
					o->gr_v6_fwd = f[3] & 0x80;
				}
			}
			break;
		}
		default:
			break; /* unknown capabilities are ignored (RFC 5492 3) */
		}
		p += clen + 2U;
		len -= clen + 2U;
	}
	return 0;
}

int bgp_open_decode(const __u8 *msg, size_t len, __u32 expect_as, __u32 our_id, struct bgp_open *o,
		    struct bgp_err *err)
{
	static const __u8 version[2] = { 0, 4 };
	const __u8 *p;
	size_t plen;
	__u16 my_as;

	memset(o, 0, sizeof(*o));
	if (len < 29)
		return fail(err, BGP_E_HEADER, BGP_SUB_HDR_LENGTH, msg + 16, 2);
	if (msg[19] != 4)
		return fail(err, BGP_E_OPEN, BGP_SUB_OPEN_VERSION, version, 2);
	my_as = get16(msg + 20);
	o->as = my_as;
	o->hold = get16(msg + 22);
	o->router_id = get32(msg + 24);
	plen = msg[28];
	if (29 + plen != len)
		return fail(err, BGP_E_OPEN, 0, NULL, 0);
	for (p = msg + 29; p < msg + len;) {
		size_t l;

		if (p + 2 > msg + len || p + 2 + p[1] > msg + len)
			return fail(err, BGP_E_OPEN, 0, NULL, 0);
		l = p[1];
		if (p[0] != 2)
			return fail(err, BGP_E_OPEN, BGP_SUB_OPEN_PARAM, p, 1);
		if (open_caps(p + 2, l, o, err))
			return -EINVAL;
		p += 2 + l;
	}
	if (!o->as4)
		o->as = my_as;
	if (o->hold == 1 || o->hold == 2)
		return fail(err, BGP_E_OPEN, BGP_SUB_OPEN_HOLD, msg + 22, 2);
	if (!o->router_id || o->router_id == our_id)
		return fail(err, BGP_E_OPEN, BGP_SUB_OPEN_BGP_ID, msg + 24, 4);
	if (expect_as && o->as != expect_as)
		return fail(err, BGP_E_OPEN, BGP_SUB_OPEN_PEER_AS, msg + 20, 2);
	return 0;
}

bool bgp_open_family(const struct bgp_open *mine, const struct bgp_open *peer, int afi)
{
	bool m = afi == BGP_AFI_IPV4 ? (mine->mp_v4 || !mine->cap_mp) : mine->mp_v6;
	bool p = afi == BGP_AFI_IPV4 ? (peer->mp_v4 || !peer->cap_mp) : peer->mp_v6;

	return m && p;
}

/* ---- KEEPALIVE, NOTIFICATION, ROUTE-REFRESH ---- */

int bgp_keepalive_encode(__u8 *buf, size_t cap)
{
	if (start(buf, cap, BGP_KEEPALIVE) < 0)
		return -ENOSPC;
	return finish(buf, BGP_HDR_LEN);
}

int bgp_notification_encode(__u8 *buf, size_t cap, const struct bgp_err *e)
{
	size_t n = 21 + e->data_len;

	if (start(buf, cap, BGP_NOTIFICATION) < 0 || cap < n)
		return -ENOSPC;
	buf[19] = e->code;
	buf[20] = e->subcode;
	memcpy(buf + 21, e->data, e->data_len);
	return finish(buf, n);
}

int bgp_notification_decode(const __u8 *msg, size_t len, struct bgp_err *e)
{
	if (len < 21)
		return -EINVAL;
	e->code = msg[19];
	e->subcode = msg[20];
	e->data_len = len - 21 > BGP_ERR_DATA_MAX ? BGP_ERR_DATA_MAX : len - 21;
	memcpy(e->data, msg + 21, e->data_len);
	return 0;
}

int bgp_refresh_encode(__u8 *buf, size_t cap, __u16 afi, __u8 safi)
{
	if (start(buf, cap, BGP_ROUTE_REFRESH) < 0 || cap < 23)
		return -ENOSPC;
	put16(buf + 19, afi);
	buf[21] = 0;
	buf[22] = safi;
	return finish(buf, 23);
}

int bgp_refresh_decode(const __u8 *msg, size_t len, __u16 *afi, __u8 *safi)
{
	if (len != 23)
		return -EINVAL;
	*afi = get16(msg + 19);
	*safi = msg[22];
	return 0;
}

const char *bgp_type_name(__u8 type)
{
	static const char *const names[BGP_TYPE_MAX] = { "unknown",	 "open",      "update",
							 "notification", "keepalive", "refresh" };

	return type < BGP_TYPE_MAX ? names[type] : "unknown";
}

const char *bgp_id_format(__u32 id, char *buf)
{
	snprintf(buf, BGP_ID_STRLEN, "%u.%u.%u.%u", id >> 24, id >> 16 & 0xff, id >> 8 & 0xff,
		 id & 0xff);
	return buf;
}

const char *bgp_err_name(__u8 code, __u8 sub, char *buf, size_t len)
{
	static const char *const codes[] = { "error 0",	     "message header error", "OPEN error",
					     "UPDATE error", "hold timer expired",   "FSM error",
					     "cease",	     "ROUTE-REFRESH error" };
	static const char *const hdr[] = { "", "connection not synchronized", "bad length",
					   "bad type" };
	static const char *const open[] = { "",
					    "unsupported version",
					    "bad peer AS",
					    "bad BGP identifier",
					    "unsupported optional parameter",
					    "",
					    "unacceptable hold time",
					    "unsupported capability" };
	static const char *const upd[] = { "",
					   "malformed attribute list",
					   "unrecognized well-known attribute",
					   "missing well-known attribute",
					   "attribute flags error",
					   "attribute length error",
					   "invalid ORIGIN",
					   "",
					   "invalid NEXT_HOP",
					   "optional attribute error",
					   "invalid network field",
					   "malformed AS_PATH" };
	static const char *const cease[] = { "",
					     "maximum prefixes reached",
					     "administrative shutdown",
					     "peer de-configured",
					     "administrative reset",
					     "connection rejected",
					     "other configuration change",
					     "connection collision resolution",
					     "out of resources",
					     "hard reset" };
	const char *c = code < sizeof(codes) / sizeof(codes[0]) ? codes[code] : "unknown error";
	const char *s = "";

#define PICK(t)                                          \
	if (sub < sizeof(t) / sizeof(t[0]) && t[sub][0]) \
	s = t[sub]
	switch (code) {
	case BGP_E_HEADER:
		PICK(hdr);
		break;
	case BGP_E_OPEN:
		PICK(open);
		break;
	case BGP_E_UPDATE:
		PICK(upd);
		break;
	case BGP_E_CEASE:
		PICK(cease);
		break;
	}
#undef PICK
	if (s[0])
		snprintf(buf, len, "%s: %s", c, s);
	else if (sub)
		snprintf(buf, len, "%s (subcode %u)", c, sub);
	else
		snprintf(buf, len, "%s", c);
	return buf;
}

/* ---- UPDATE: encoding ---- */

struct out {
	__u8 *p, *end;
	bool full;
};

static void out_bytes(struct out *o, const void *d, size_t n)
{
	if (o->full || (size_t)(o->end - o->p) < n) {
		o->full = true;
		return;
	}
	memcpy(o->p, d, n);
	o->p += n;
}

static void out_u8(struct out *o, __u8 v)
{
	out_bytes(o, &v, 1);
}

static void out_u16(struct out *o, __u16 v)
{
	__u8 b[2];

	put16(b, v);
	out_bytes(o, b, 2);
}

static void out_u32(struct out *o, __u32 v)
{
	__u8 b[4];

	put32(b, v);
	out_bytes(o, b, 4);
}

/* An attribute's flags, type and length (extended when it needs it). */
static void out_attr(struct out *o, __u8 flags, __u8 type, size_t len)
{
	if (len > 255) {
		out_u8(o, flags | F_EXTENDED);
		out_u8(o, type);
		out_u16(o, (__u16)len);
	} else {
		out_u8(o, flags);
		out_u8(o, type);
		out_u8(o, (__u8)len);
	}
}

static void out_prefix(struct out *o, const struct bgp_prefix *p)
{
	out_u8(o, p->len);
	out_bytes(o, p->family == AF_INET ? (const void *)&p->v4 : (const void *)&p->v6,
		  (p->len + 7U) / 8);
}

static size_t prefix_size(const struct bgp_prefix *p)
{
	return 1 + (p->len + 7U) / 8;
}

int bgp_update_announce(__u8 *buf, size_t cap, const struct bgp_attrs *a,
			const struct bgp_prefix *p)
{
	struct out o = { .p = buf, .end = buf + cap };
	bool as_trans = !a->as4 && a->local_as > 0xffff && !a->ibgp;
	__u8 *alen_at;
	size_t i;

	if (start(buf, cap, BGP_UPDATE) < 0)
		return -ENOSPC;
	o.p += BGP_HDR_LEN;
	out_u16(&o, 0); /* no withdrawn routes */
	alen_at = o.p;
	out_u16(&o, 0);
	out_attr(&o, F_TRANSITIVE, ATTR_ORIGIN, 1);
	out_u8(&o, 0); /* IGP */
	if (a->ibgp) {
		out_attr(&o, F_TRANSITIVE, ATTR_AS_PATH, 0);
	} else {
		out_attr(&o, F_TRANSITIVE, ATTR_AS_PATH, a->as4 ? 6 : 4);
		out_u8(&o, AS_SEQUENCE);
		out_u8(&o, 1);
		if (a->as4)
			out_u32(&o, a->local_as);
		else
			out_u16(&o, as_trans ? BGP_AS_TRANS : (__u16)a->local_as);
	}
	if (p->family == AF_INET) {
		out_attr(&o, F_TRANSITIVE, ATTR_NEXT_HOP, 4);
		out_bytes(&o, &a->nh4, 4);
	}
	if (a->have_med) {
		out_attr(&o, F_OPTIONAL, ATTR_MED, 4);
		out_u32(&o, a->med);
	}
	if (a->ibgp) {
		out_attr(&o, F_TRANSITIVE, ATTR_LOCAL_PREF, 4);
		out_u32(&o, a->local_pref);
	}
	if (a->ncomms) {
		out_attr(&o, F_OPTIONAL | F_TRANSITIVE, ATTR_COMMUNITIES, a->ncomms * 4);
		for (i = 0; i < a->ncomms; i++)
			out_u32(&o, a->comms[i]);
	}
	if (p->family == AF_INET6) {
		out_attr(&o, F_OPTIONAL, ATTR_MP_REACH, 5 + 16 + prefix_size(p));
		out_u16(&o, BGP_AFI_IPV6);
		out_u8(&o, BGP_SAFI_UNICAST);
		out_u8(&o, 16);
		out_bytes(&o, &a->nh6, 16);
		out_u8(&o, 0);
		out_prefix(&o, p);
	}
	if (as_trans) {
		out_attr(&o, F_OPTIONAL | F_TRANSITIVE, ATTR_AS4_PATH, 6);
		out_u8(&o, AS_SEQUENCE);
		out_u8(&o, 1);
		out_u32(&o, a->local_as);
	}
	if (a->nlarge) {
		out_attr(&o, F_OPTIONAL | F_TRANSITIVE, ATTR_LARGE_COMMUNITY, a->nlarge * 12);
		for (i = 0; i < a->nlarge; i++) {
			out_u32(&o, a->large[i].global);
			out_u32(&o, a->large[i].local1);
			out_u32(&o, a->large[i].local2);
		}
	}
	if (o.full)
		return -ENOSPC;
	put16(alen_at, (__u16)(o.p - alen_at - 2));
	if (p->family == AF_INET)
		out_prefix(&o, p);
	if (o.full)
		return -ENOSPC;
	return finish(buf, (size_t)(o.p - buf));
}

int bgp_update_withdraw(__u8 *buf, size_t cap, const struct bgp_prefix *p)
{
	struct out o = { .p = buf, .end = buf + cap };

	if (start(buf, cap, BGP_UPDATE) < 0)
		return -ENOSPC;
	o.p += BGP_HDR_LEN;
	if (p->family == AF_INET) {
		out_u16(&o, (__u16)prefix_size(p));
		out_prefix(&o, p);
		out_u16(&o, 0);
	} else {
		out_u16(&o, 0);
		out_u16(&o, (__u16)(3 + 3 + prefix_size(p)));
		out_attr(&o, F_OPTIONAL, ATTR_MP_UNREACH, 3 + prefix_size(p));
		out_u16(&o, BGP_AFI_IPV6);
		out_u8(&o, BGP_SAFI_UNICAST);
		out_prefix(&o, p);
	}
	if (o.full)
		return -ENOSPC;
	return finish(buf, (size_t)(o.p - buf));
}

int bgp_update_eor(__u8 *buf, size_t cap, int afi)
{
	struct out o = { .p = buf, .end = buf + cap };

	if (start(buf, cap, BGP_UPDATE) < 0)
		return -ENOSPC;
	o.p += BGP_HDR_LEN;
	out_u16(&o, 0);
	if (afi == BGP_AFI_IPV4) {
		out_u16(&o, 0);
	} else {
		out_u16(&o, 6);
		out_attr(&o, F_OPTIONAL, ATTR_MP_UNREACH, 3);
		out_u16(&o, (__u16)afi);
		out_u8(&o, BGP_SAFI_UNICAST);
	}
	if (o.full)
		return -ENOSPC;
	return finish(buf, (size_t)(o.p - buf));
}

/* ---- UPDATE: decoding ---- */

/* Counts the prefixes of an NLRI field of family afi; -1 when one is invalid. */
static long count_prefixes(const __u8 *p, size_t len, int afi)
{
	unsigned int max = afi == BGP_AFI_IPV4 ? 32 : 128;
	long n = 0;

	while (len) {
		size_t bytes = (p[0] + 7U) / 8;

		if (p[0] > max || 1 + bytes > len)
			return -1;
		p += 1 + bytes;
		len -= 1 + bytes;
		n++;
	}
	return n;
}

/* What an attribute's optional and transitive bits must be, or -1 when the type is unknown. */
static int attr_flags(__u8 type)
{
	switch (type) {
	case ATTR_ORIGIN:
	case ATTR_AS_PATH:
	case ATTR_NEXT_HOP:
	case ATTR_LOCAL_PREF:
	case ATTR_ATOMIC_AGGR:
		return F_TRANSITIVE;
	case ATTR_MED:
	case ATTR_MP_REACH:
	case ATTR_MP_UNREACH:
		return F_OPTIONAL;
	case ATTR_AGGREGATOR:
	case ATTR_COMMUNITIES:
	case ATTR_AS4_PATH:
	case ATTR_AS4_AGGREGATOR:
	case ATTR_LARGE_COMMUNITY:
		return F_OPTIONAL | F_TRANSITIVE;
	default:
		return -1;
	}
}

static bool as_path_valid(const __u8 *p, size_t len, size_t as_size)
{
	while (len) {
		size_t seg;

		if (len < 2 || p[0] < AS_SET || p[0] > AS_CONFED_SET || !p[1])
			return false;
		seg = 2 + p[1] * as_size;
		if (seg > len)
			return false;
		p += seg;
		len -= seg;
	}
	return true;
}

/* RFC 7606's "treat as withdraw": the first such problem is kept as the why. */
static void taw(struct bgp_update_info *u, __u8 sub, const __u8 *attr, size_t alen)
{
	if (u->treat_as_withdraw)
		return;
	u->treat_as_withdraw = true;
	fail(&u->why, BGP_E_UPDATE, sub, attr, alen);
}

static int mp_attr(const __u8 *v, size_t len, bool reach, struct bgp_update_info *u, bool *has_nlri,
		   struct bgp_err *err, const __u8 *attr, size_t attr_len)
{
	__u16 afi;
	__u8 safi;
	long n;

	if (len < 3 || (reach && (len < 5 || v[3] + 5U > len)))
		return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_OPTIONAL, attr, attr_len);
	afi = get16(v);
	safi = v[2];
	/* a family not spoken here: parsed no further, counted as nothing */
	if ((afi != BGP_AFI_IPV4 && afi != BGP_AFI_IPV6) || safi != BGP_SAFI_UNICAST)
		return 0;
	if (reach) {
		size_t nhl = v[3];

		/* RFC 7606 7.11: a next hop of the wrong length hides the NLRI: reset */
		if ((afi == BGP_AFI_IPV6 && nhl != 16 && nhl != 32) ||
		    (afi == BGP_AFI_IPV4 && nhl != 4 && nhl != 16 && nhl != 32))
			return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_OPTIONAL, attr, attr_len);
		v += 5 + nhl;
		len -= 5 + nhl;
	} else {
		v += 3;
		len -= 3;
	}
	n = count_prefixes(v, len, afi);
	if (n < 0)
		return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_NETWORK, attr, attr_len);
	if (reach) {
		u->announced += (size_t)n;
		*has_nlri = *has_nlri || n;
	} else {
		u->withdrawn += (size_t)n;
		if (!n) {
			u->eor = true;
			u->eor_afi = afi;
		}
	}
	return 0;
}

int bgp_update_decode(const __u8 *msg, size_t len, bool as4, struct bgp_update_info *u,
		      struct bgp_err *err)
{
	const __u8 *attrs, *nlri, *p;
	size_t wlen, alen, nlen;
	__u32 seen[8] = { 0 }; /* types 0..255 */
	bool mp_reach_nlri = false, v4_nlri;
	bool mp_unreach_only = true;
	size_t nattrs = 0;
	long n;

	memset(u, 0, sizeof(*u));
	if (len < 23)
		return fail(err, BGP_E_HEADER, BGP_SUB_HDR_LENGTH, msg + 16, 2);
	wlen = get16(msg + 19);
	if (23 + wlen > len)
		return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_ATTR_LIST, NULL, 0);
	n = count_prefixes(msg + 21, wlen, BGP_AFI_IPV4);
	if (n < 0)
		return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_NETWORK, NULL, 0);
	u->withdrawn = (size_t)n;
	alen = get16(msg + 21 + wlen);
	attrs = msg + 23 + wlen;
	if (23 + wlen + alen > len)
		return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_ATTR_LIST, NULL, 0);
	nlri = attrs + alen;
	nlen = len - (23 + wlen + alen);
	/* the NLRI first: RFC 7606 5.3, a field that cannot be parsed resets the session */
	n = count_prefixes(nlri, nlen, BGP_AFI_IPV4);
	if (n < 0)
		return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_NETWORK, NULL, 0);
	u->announced = (size_t)n;
	v4_nlri = n > 0;
	if (!wlen && !alen && !nlen) {
		u->eor = true;
		u->eor_afi = BGP_AFI_IPV4;
		return 0;
	}
	for (p = attrs; p < attrs + alen;) {
		size_t hl, vl, left = (size_t)(attrs + alen - p);
		__u8 flags, type;
		int want;

		if (left < 3 || (p[0] & F_EXTENDED && left < 4)) {
			/* RFC 7606 4: the attribute list cannot be parsed any further */
			taw(u, BGP_SUB_UPD_ATTR_LIST, NULL, 0);
			break;
		}
		flags = p[0];
		type = p[1];
		hl = flags & F_EXTENDED ? 4 : 3;
		vl = flags & F_EXTENDED ? get16(p + 2) : p[2];
		if (hl + vl > left) {
			if (type == ATTR_MP_REACH || type == ATTR_MP_UNREACH)
				return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_ATTR_LIST, NULL, 0);
			taw(u, BGP_SUB_UPD_ATTR_LIST, NULL, 0);
			break;
		}
		const __u8 *v = p + hl, *attr = p;
		size_t attr_len = hl + vl;

		p += attr_len;
		nattrs++;
		if (type != ATTR_MP_UNREACH)
			mp_unreach_only = false;
		if (seen[type / 32] & (1U << (type % 32))) {
			/* RFC 7606 3(g): a repeated MP attribute resets, others are discarded */
			if (type == ATTR_MP_REACH || type == ATTR_MP_UNREACH)
				return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_ATTR_LIST, NULL, 0);
			continue;
		}
		seen[type / 32] |= 1U << (type % 32);
		want = attr_flags(type);
		if (want < 0) {
			if (!(flags & F_OPTIONAL))
				return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_WELLKNOWN, attr,
					    attr_len);
			continue; /* an optional attribute not known: ignored */
		}
		if ((flags & (F_OPTIONAL | F_TRANSITIVE)) != want) {
			if (type == ATTR_MP_REACH || type == ATTR_MP_UNREACH)
				return fail(err, BGP_E_UPDATE, BGP_SUB_UPD_FLAGS, attr, attr_len);
			taw(u, BGP_SUB_UPD_FLAGS, attr, attr_len);
			continue;
		}
		switch (type) {
		case ATTR_ORIGIN:
			if (vl != 1)
				taw(u, BGP_SUB_UPD_LENGTH, attr, attr_len);
			else if (v[0] > 2)
				taw(u, BGP_SUB_UPD_ORIGIN, attr, attr_len);
			break;
		case ATTR_AS_PATH:
			if (!as_path_valid(v, vl, as4 ? 4 : 2))
				taw(u, BGP_SUB_UPD_AS_PATH, NULL, 0);
			break;
		case ATTR_NEXT_HOP:
			if (vl != 4)
				taw(u, BGP_SUB_UPD_LENGTH, attr, attr_len);
			else if (!get32(v) || (v[0] & 0xf0) == 0xe0 || v[0] == 0xff)
				taw(u, BGP_SUB_UPD_NEXT_HOP, attr, attr_len);
			break;
		case ATTR_MED:
		case ATTR_LOCAL_PREF:
			if (vl != 4)
				taw(u, BGP_SUB_UPD_LENGTH, attr, attr_len);
			break;
		case ATTR_COMMUNITIES:
			if (!vl || vl % 4)
				taw(u, BGP_SUB_UPD_OPTIONAL, attr, attr_len);
			break;
		case ATTR_LARGE_COMMUNITY:
			if (!vl || vl % 12)
				taw(u, BGP_SUB_UPD_OPTIONAL, attr, attr_len);
			break;
		case ATTR_MP_REACH:
		case ATTR_MP_UNREACH:
			if (mp_attr(v, vl, type == ATTR_MP_REACH, u, &mp_reach_nlri, err, attr,
				    attr_len))
				return -EINVAL;
			break;
		default:
			/* ATOMIC_AGGREGATE, AGGREGATOR and the AS4 ones: malformed ones are
			 * discarded (RFC 7606 7.6, 7.7; RFC 6793 6) */
			break;
		}
	}
	/* an End-of-RIB of another family is an UPDATE with an empty MP_UNREACH alone */
	if (u->eor && !(nattrs == 1 && mp_unreach_only && !wlen && !nlen))
		u->eor = false;
	if (v4_nlri || mp_reach_nlri) {
		static const __u8 mandatory[] = { ATTR_ORIGIN, ATTR_AS_PATH, ATTR_NEXT_HOP };
		size_t i;

		for (i = 0; i < sizeof(mandatory); i++) {
			__u8 t = mandatory[i];

			if (t == ATTR_NEXT_HOP && !v4_nlri)
				continue;
			if (!(seen[0] & (1U << t)))
				taw(u, BGP_SUB_UPD_MISSING, &mandatory[i], 1);
		}
	}
	return 0;
}
