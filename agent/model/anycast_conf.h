/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How the host announces its VIPs (DESIGN 7): a BGP speaker with its peers
 * and BFD, or routes in a kernel table for a routing daemon to export. Part
 * of the config (parsed and validated in config_bgp.c).
 */
#ifndef SHOAL_MODEL_ANYCAST_CONF_H
#define SHOAL_MODEL_ANYCAST_CONF_H

#include <stdbool.h>
#include <linux/types.h>
#include "shoal/abi.h"

#define SHOAL_BGP_MAX_PEERS 16
#define SHOAL_BGP_MAX_COMMS 32
#define SHOAL_MD5_MAX	    80 /* TCP_MD5SIG_MAXKEYLEN */

enum shoal_announce {
	SHOAL_ANNOUNCE_NONE = 0, /* no bgp block: the router has static routes */
	SHOAL_ANNOUNCE_BGP = 1,
	SHOAL_ANNOUNCE_KERNEL = 2,
};

/* Communities, large communities and MED of a prefix (host-wide or per service). */
struct shoal_route_attrs {
	bool have_med;
	__u32 med;
	__u32 comms[SHOAL_BGP_MAX_COMMS];
	__u32 ncomms;
	__u32 large[SHOAL_BGP_MAX_COMMS][3];
	__u32 nlarge;
};

struct shoal_bfd_conf {
	__u32 interval_ms; /* desired min tx and required min rx */
	__u32 multiplier;
};

struct shoal_bgp_peer_conf {
	int family;
	struct shoal_addr addr;
	__u16 port;
	__u32 peer_as;
	__u32 local_as; /* 0: the host's */
	bool have_source;
	struct shoal_addr source;
	char password[SHOAL_MD5_MAX + 1];
	bool passive;
	__u8 ttl; /* 1: directly connected; more: multihop */
	__u32 hold_s;
	bool bfd;
	int line;
};

struct shoal_anycast_conf {
	enum shoal_announce mode;
	/* bgp */
	__u32 router_id; /* host order */
	__u32 local_as;
	__u32 hold_s;
	__u32 connect_retry_s;
	bool gr;
	__u32 gr_time_s;
	__u32 shutdown_grace_ms;
	bool listen; /* accept sessions (passive peers, or collisions) */
	__u16 listen_port;
	bool have_nh4, have_nh6;
	struct shoal_addr nh4, nh6;
	bool servable_all; /* a prefix is servable while all (not any) of its services are */
	struct shoal_route_attrs attrs;
	struct shoal_bfd_conf bfd;
	struct shoal_bgp_peer_conf peers[SHOAL_BGP_MAX_PEERS];
	__u32 npeers;
	/* kernel */
	__u32 table;
	__u8 protocol;
};

#endif /* SHOAL_MODEL_ANYCAST_CONF_H */
