/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BGP-4 on the wire (RFC 4271), as pure functions apart from the sessions
 * (BIRD keeps packets.c apart from bgp.c the same way): the header, OPEN
 * with the capabilities shoal speaks (multiprotocol RFC 4760, route refresh
 * RFC 2918, graceful restart RFC 4724, 4-octet AS RFC 6793), UPDATE for
 * host routes (IPv4 in the body, IPv6 in MP_REACH/MP_UNREACH; communities,
 * large communities RFC 8092, MED), KEEPALIVE, NOTIFICATION, ROUTE-REFRESH.
 *
 * A decoder judges a message whole and says what RFC 4271 section 6, as
 * revised by RFC 7606, makes of an error: the NOTIFICATION to send (the
 * session ends) or "treat as withdraw" (the UPDATE's routes are dropped,
 * the session stays). Encoders write into a caller's buffer and return the
 * length, or -ENOSPC.
 */
#ifndef SHOAL_MODEL_BGPWIRE_H
#define SHOAL_MODEL_BGPWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <linux/types.h>

#define BGP_HDR_LEN  19
#define BGP_MAX_LEN  4096
#define BGP_PORT     179
#define BGP_AS_TRANS 23456

enum bgp_type {
	BGP_OPEN = 1,
	BGP_UPDATE = 2,
	BGP_NOTIFICATION = 3,
	BGP_KEEPALIVE = 4,
	BGP_ROUTE_REFRESH = 5,
	BGP_TYPE_MAX = 6,
};

/* NOTIFICATION error codes (RFC 4271 4.5, RFC 7313). */
enum bgp_err_code {
	BGP_E_HEADER = 1,
	BGP_E_OPEN = 2,
	BGP_E_UPDATE = 3,
	BGP_E_HOLD = 4,
	BGP_E_FSM = 5,
	BGP_E_CEASE = 6,
	BGP_E_REFRESH = 7,
};

/* Subcodes used here. */
#define BGP_SUB_HDR_SYNC	1
#define BGP_SUB_HDR_LENGTH	2
#define BGP_SUB_HDR_TYPE	3
#define BGP_SUB_OPEN_VERSION	1
#define BGP_SUB_OPEN_PEER_AS	2
#define BGP_SUB_OPEN_BGP_ID	3
#define BGP_SUB_OPEN_PARAM	4
#define BGP_SUB_OPEN_HOLD	6
#define BGP_SUB_UPD_ATTR_LIST	1
#define BGP_SUB_UPD_WELLKNOWN	2
#define BGP_SUB_UPD_MISSING	3
#define BGP_SUB_UPD_FLAGS	4
#define BGP_SUB_UPD_LENGTH	5
#define BGP_SUB_UPD_ORIGIN	6
#define BGP_SUB_UPD_NEXT_HOP	8
#define BGP_SUB_UPD_OPTIONAL	9
#define BGP_SUB_UPD_NETWORK	10
#define BGP_SUB_UPD_AS_PATH	11
#define BGP_SUB_CEASE_SHUTDOWN	2 /* administrative shutdown */
#define BGP_SUB_CEASE_DECONF	3 /* peer de-configured */
#define BGP_SUB_CEASE_RESET	4 /* administrative reset */
#define BGP_SUB_CEASE_REJECTED	5 /* connection rejected */
#define BGP_SUB_CEASE_COLLISION 7 /* connection collision resolution */
#define BGP_SUB_CEASE_RESOURCES 8 /* out of resources */
#define BGP_SUB_REFRESH_LENGTH	1

#define BGP_ERR_DATA_MAX 32

/* A NOTIFICATION: to send (an error found) or received. */
struct bgp_err {
	__u8 code, subcode;
	__u8 data[BGP_ERR_DATA_MAX];
	size_t data_len;
};

#define BGP_AFI_IPV4	 1
#define BGP_AFI_IPV6	 2
#define BGP_SAFI_UNICAST 1

/* What an OPEN says (decoded), or is to say (encoded). */
struct bgp_open {
	__u32 as; /* the 4-octet AS when the capability is there, else My AS */
	__u16 hold;
	__u32 router_id; /* host order */
	bool cap_mp;	 /* any multiprotocol capability was present */
	bool mp_v4, mp_v6;
	bool refresh;
	bool as4;
	bool gr; /* graceful restart */
	bool gr_restarting;
	__u16 gr_time;
	bool gr_v4_fwd, gr_v6_fwd; /* forwarding kept across the restart, per family */
	bool gr_v4, gr_v6;	   /* families in the capability */
};

/* A message's type and length once the header is found good; -EINVAL with *err otherwise. */
int bgp_header_check(const __u8 *buf, size_t len, __u8 *type, __u16 *msg_len, struct bgp_err *err);

int bgp_open_encode(__u8 *buf, size_t cap, const struct bgp_open *o);
/*
 * Decodes OPEN msg[0..len) (header included) and checks it against what is
 * expected of the peer (its AS, 0: any; our router id). -EINVAL with the
 * NOTIFICATION in *err.
 */
int bgp_open_decode(const __u8 *msg, size_t len, __u32 expect_as, __u32 our_id, struct bgp_open *o,
		    struct bgp_err *err);
/* Whether the peer's families leave IPv4 (or IPv6) unicast usable (RFC 4760 default: IPv4 only). */
bool bgp_open_family(const struct bgp_open *mine, const struct bgp_open *peer, int afi);

int bgp_keepalive_encode(__u8 *buf, size_t cap);
int bgp_notification_encode(__u8 *buf, size_t cap, const struct bgp_err *e);
int bgp_notification_decode(const __u8 *msg, size_t len, struct bgp_err *e);
int bgp_refresh_encode(__u8 *buf, size_t cap, __u16 afi, __u8 safi);
int bgp_refresh_decode(const __u8 *msg, size_t len, __u16 *afi, __u8 *safi);
/* "Cease/administrative shutdown": the words of a NOTIFICATION. */
const char *bgp_err_name(__u8 code, __u8 subcode, char *buf, size_t len);
const char *bgp_type_name(__u8 type);
/* A BGP identifier (host order) as a dotted quad; buf of BGP_ID_STRLEN. */
#define BGP_ID_STRLEN 16
const char *bgp_id_format(__u32 id, char *buf);

struct bgp_large_comm {
	__u32 global, local1, local2;
};

#define BGP_MAX_COMMS 32

/* The path attributes of an announcement. */
struct bgp_attrs {
	__u32 local_as;
	bool ibgp; /* LOCAL_PREF and an empty AS_PATH */
	bool as4;  /* the peer speaks 4-octet AS */
	bool have_med;
	__u32 med;
	__u32 local_pref;
	struct in_addr nh4;
	struct in6_addr nh6;
	__u32 comms[BGP_MAX_COMMS];
	size_t ncomms;
	struct bgp_large_comm large[BGP_MAX_COMMS];
	size_t nlarge;
};

/* One host route: a /32 (family AF_INET) or /128. */
struct bgp_prefix {
	int family;
	__u8 len;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* An UPDATE announcing p with a (v4: NEXT_HOP, v6: MP_REACH_NLRI). */
int bgp_update_announce(__u8 *buf, size_t cap, const struct bgp_attrs *a,
			const struct bgp_prefix *p);
/* An UPDATE withdrawing p (v4: withdrawn routes, v6: MP_UNREACH_NLRI). */
int bgp_update_withdraw(__u8 *buf, size_t cap, const struct bgp_prefix *p);
/* The End-of-RIB marker of a family (RFC 4724 2). */
int bgp_update_eor(__u8 *buf, size_t cap, int afi);

/* What a received UPDATE held, counted (its routes are not kept). */
struct bgp_update_info {
	size_t withdrawn; /* prefixes, v4 body and MP_UNREACH */
	size_t announced; /* prefixes, v4 NLRI and MP_REACH */
	bool eor;	  /* an End-of-RIB marker */
	int eor_afi;
	bool treat_as_withdraw; /* malformed in a way RFC 7606 forgives: announced are void */
	struct bgp_err why;	/* what that was */
};

/*
 * Decodes UPDATE msg[0..len) (header included) from a peer (as4: 4-octet
 * AS_PATH; ebgp: its first AS is checked). 0 with *u (maybe
 * treat-as-withdraw), or -EINVAL with the NOTIFICATION that ends the
 * session in *err.
 */
int bgp_update_decode(const __u8 *msg, size_t len, bool as4, struct bgp_update_info *u,
		      struct bgp_err *err);

#endif /* SHOAL_MODEL_BGPWIRE_H */
