/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The contract between the XDP data plane and userspace: every map key and
 * value, flag, limit and counter index. Fixed-width types, no pointers,
 * explicit padding. Bump SHOAL_ABI_VERSION on any layout change.
 *
 * Addresses are 16 bytes everywhere; IPv4 is stored v4-mapped
 * (::ffff:a.b.c.d) so that one code path serves both families.
 */
#ifndef SHOAL_ABI_H
#define SHOAL_ABI_H

#include <linux/types.h>

#define SHOAL_ABI_VERSION 6

/* Limits; the build may override them (-DSHOAL_MAX_VIPS=...). */
#ifndef SHOAL_MAX_VIPS
#define SHOAL_MAX_VIPS 1024
#endif
#ifndef SHOAL_MAX_BACKENDS
#define SHOAL_MAX_BACKENDS 65536
#endif
#ifndef SHOAL_MAX_VIP_ADDRS
#define SHOAL_MAX_VIP_ADDRS 4096
#endif
#ifndef SHOAL_DEFAULT_FLOWS
#define SHOAL_DEFAULT_FLOWS 1048576
#endif
#define SHOAL_DEFAULT_TABLE_SIZE 65537
#define SHOAL_MAX_TABLE_SIZE	 1048573 /* largest prime below 2^20 */

/*
 * Prefilter: a bitmap over a hash of the destination address, set for every
 * VIP address. A clear bit proves the packet is not for a VIP, so the common
 * non-VIP case costs one load instead of a hash-table lookup. 2 KB: with the
 * host config it fills one page, the only page of .bss a packet touches.
 */
#define SHOAL_PREFILTER_BITS  14
#define SHOAL_PREFILTER_WORDS ((1U << SHOAL_PREFILTER_BITS) / 64)
#define SHOAL_PREFILTER_MULT  0x9e3779b1U

/* Backend id 0 is never used: an empty table slot reads as 0. */
#define SHOAL_BACKEND_NONE 0

enum shoal_scheduler {
	SHOAL_SCHED_MAGLEV = 0,	    /* hash of the 5-tuple */
	SHOAL_SCHED_MAGLEV_SRC = 1, /* hash of the source address */
	SHOAL_SCHED_RR = 2,	    /* per-CPU cursor walking the table */
	SHOAL_SCHED_RANDOM = 3,
	SHOAL_SCHED_MAX,
};

enum shoal_encap {
	SHOAL_ENCAP_GUE = 0,  /* IP in UDP (GUE variant 1), outer family of the backend */
	SHOAL_ENCAP_IPIP = 1, /* IP in IP: IPIP, IP6IP6, 4in6 or 6in4 by families */
	SHOAL_ENCAP_MAX,
};

/* struct shoal_vip.flags */
#define SHOAL_VIP_F_NO_FLOWTABLE (1U << 0)  /* stateless: hash every packet */
#define SHOAL_VIP_F_ACTIVE	 (1U << 31) /* set by the data plane writer; clear: deleted */

/* struct shoal_backend.flags */
#define SHOAL_BE_F_VALID (1U << 0) /* cleared when the backend is removed */
/*
 * Down, with on_down: reschedule: a packet of a flow recorded for it is
 * scheduled afresh on the VIP's current table (which no longer names it).
 */
#define SHOAL_BE_F_RESCHEDULE (1U << 1)
/*
 * Out of its VIP's table because its health checks failed. The data plane
 * ignores it; a restarted agent reads it to keep the backend out until its
 * checks pass ("unknown = keep as is").
 */
#define SHOAL_BE_F_DOWN (1U << 2)
/* Its VIP is stateless: a flow-table entry naming it is no hit (a copy of the VIP's flag). */
#define SHOAL_BE_F_NO_FLOWTABLE (1U << 3)

/*
 * Health checks through the tunnel: a check socket to VIP:port carries the
 * mark SHOAL_CHECK_MARK | backend id (SO_MARK), and the tc egress program
 * encapsulates it to that backend as the XDP program encapsulates clients'.
 */
#define SHOAL_CHECK_MARK      0x5c000000U
#define SHOAL_CHECK_MARK_MASK 0xff000000U

/* struct shoal_host_cfg.flags */
#define SHOAL_HOST_F_READY (1U << 0) /* config written; until then pass all */

struct shoal_addr {
	union {
		__u8 u8[16];
		__be32 u32[4];
	};
};

/*
 * vips: HASH, key -> vip id. vip_info: ARRAY, vip id -> struct shoal_vip.
 * A packet of a known flow needs neither: the flow names its VIP id.
 */
struct shoal_vip_key {
	struct shoal_addr addr;
	__be16 port; /* 0: all ports */
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

struct shoal_vip {
	__u32 id; /* index into vip_info, vip_tables and vip_stats */
	__u32 flags;
	/*
	 * What the VIP serves: a flow-table hit is trusted only for a packet
	 * addressed to it, so a flow of a removed VIP never reaches another
	 * service that was given the same id later.
	 */
	struct shoal_vip_key key;
	__u8 scheduler; /* enum shoal_scheduler */
	__u8 pad[3];
};

/*
 * vip_tables: ARRAY_OF_MAPS, vip id -> inner ARRAY of M + 1 __u32. Slot 0
 * holds M (a prime), slots 1..M the backend ids: the size travels with the
 * table, so a swap never pairs a table with another table's size.
 */
#define SHOAL_TABLE_HDR 1

/* vip_addrs: HASH of every VIP address, for the rare exact checks (fragments). */
struct shoal_vip_addr {
	__u32 vips; /* how many VIPs use this address */
	__u32 pad;
};

/*
 * backends: ARRAY, index = backend id (one per VIP membership). It carries
 * what its VIP serves, so a flow-table hit is verified against the packet
 * with this one entry: the backend page is the only one a hit reads besides
 * its bucket.
 */
struct shoal_backend {
	struct shoal_addr addr;
	__u8 family; /* AF_INET or AF_INET6 (outer header family) */
	__u8 encap;  /* enum shoal_encap */
	__u16 flags; /* SHOAL_BE_F_* */
	__u32 vip_id;
	struct shoal_vip_key vip; /* its VIP's address, port (0: all) and protocol */
};

/* A flow's 5-tuple: the input of the flow hash (and of lbctl lookup). */
struct shoal_flow_key {
	struct shoal_addr src;
	struct shoal_addr dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

/*
 * flows: ARRAY of buckets, shared by all CPUs, index = second flow hash &
 * (buckets - 1) (a power of two). A bucket is one cache line of
 * SHOAL_FLOW_WAYS entries of 8 bytes; an entry is written with one aligned
 * store and read with one load, so racing CPUs may lose an insert (the next
 * packet puts it back) but never see half an entry. No lock, no LRU, no
 * helper call: the table is also mmapable, for the agent to read and sweep.
 *
 *   bits  0-1   state (SHOAL_FLOW_EMPTY ...), bit 2: UDP (for its timeout)
 *   bits  3-18  last seen, in ticks of 2^30 ns of the monotonic clock (host_cfg.flow_tick)
 *   bits 19-38  backend id
 *   bits 39-63  tag: bits of the first flow hash (the bucket takes the second's)
 */
#define SHOAL_FLOW_WAYS 8
struct shoal_flow_bucket {
	__u64 way[SHOAL_FLOW_WAYS];
};

#define SHOAL_FLOW_EMPTY       0ULL
#define SHOAL_FLOW_UNCONFIRMED 1ULL /* one packet seen: maybe spoofed */
#define SHOAL_FLOW_CONFIRMED   2ULL /* a second packet came: a real flow */
#define SHOAL_FLOW_CLOSING     3ULL /* the client sent FIN or RST */
#define SHOAL_FLOW_STATE_MASK  3ULL
#define SHOAL_FLOW_UDP	       4ULL
#define SHOAL_FLOW_CLASS_MASK  7ULL /* state | UDP: indexes shoal_host_cfg.flow_idle */
#define SHOAL_FLOW_TIME_SHIFT  3
#define SHOAL_FLOW_TIME_MASK   0xffffULL
#define SHOAL_FLOW_BE_SHIFT    19
#define SHOAL_FLOW_BE_MASK     0xfffffULL
#define SHOAL_FLOW_TAG_SHIFT   39
#define SHOAL_FLOW_TAG_BITS    25
#define SHOAL_FLOW_TICK_SHIFT  30 /* a tick: 2^30 ns, about 1.07 s */
/* Longest idle timeout: far below the 16-bit clock's wrap (~19.5 h). */
#define SHOAL_FLOW_IDLE_MAX_S 21600

#define SHOAL_FLOW_ENTRY(tag, be, tick, cls)                                             \
	(((__u64)(tag) << SHOAL_FLOW_TAG_SHIFT) | ((__u64)(be) << SHOAL_FLOW_BE_SHIFT) | \
	 (((__u64)(tick)&SHOAL_FLOW_TIME_MASK) << SHOAL_FLOW_TIME_SHIFT) | (__u64)(cls))
#define SHOAL_FLOW_BE(e)   ((__u32)(((e) >> SHOAL_FLOW_BE_SHIFT) & SHOAL_FLOW_BE_MASK))
#define SHOAL_FLOW_TICK(e) ((__u32)(((e) >> SHOAL_FLOW_TIME_SHIFT) & SHOAL_FLOW_TIME_MASK))
/* The tag a flow hash gives (its top 25 bits), in place. */
#define SHOAL_FLOW_TAG_OF(hash) \
	((__u64)((hash) >> (32 - SHOAL_FLOW_TAG_BITS)) << SHOAL_FLOW_TAG_SHIFT)
#define SHOAL_FLOW_TAG_MASK (~0ULL << SHOAL_FLOW_TAG_SHIFT)

/* Global configuration; lives in the program's .data and is set by userspace. */
struct shoal_host_cfg {
	__u8 gw_mac[6];		  /* next hop for encapsulated packets */
	__u8 if_mac[6];		  /* our interface's MAC: source of what we send */
	__be32 src_v4;		  /* outer source address for IPv4 tunnels */
	struct shoal_addr src_v6; /* outer source address for IPv6 tunnels */
	__be16 gue_port;	  /* GUE destination port */
	__u16 mtu;		  /* interface MTU (IP bytes); 0 = no check */
	__u32 hash_seed;	  /* per-cluster: the same on every shoal host */
	__u32 flags;		  /* SHOAL_HOST_F_* */
	__u8 ttl;		  /* outer TTL / hop limit */
	__u8 pad[3];
	__u32 icmp_cost_ns; /* 1 s / too-big replies a second per CPU (0: no limit; the agent sets one) */
	__u32 icmp_burst; /* and how many may go at once */
	/*
	 * Idle timeouts in ticks (SHOAL_FLOW_TICK_SHIFT), indexed by an entry's
	 * state | UDP bit: past it, an entry is no hit and may be replaced.
	 */
	__u16 flow_idle[8];
	/*
	 * The flow table's clock: monotonic time in ticks, written by the agent
	 * four times a tick. Read here, beside the rest of the config, it costs
	 * the packet no page of its own (a kernel clock read costs two). If the
	 * agent is gone the clock stops: entries no longer age, new flows still
	 * take empty and unconfirmed ways, and are forwarded unrecorded past that.
	 */
	__u32 flow_tick;
};

/* icmp_limit: PERCPU_ARRAY of one: the token bucket of too-big replies (RFC 4443 2.4(f)). */
struct shoal_icmp_bucket {
	__u64 last_ns; /* when credit was last counted */
	__u64 credit;  /* ns of sending time saved up, at most burst x 1 s / rate */
};

/* A VIP's counters: the agent's sums of its backends' (no map of their own). */
struct shoal_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};

/* backend_stats: PERCPU_ARRAY, index = backend id */
struct shoal_backend_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 syn_repeats; /* SYN on a known flow: the backend did not answer */
};

/* stats: PERCPU_ARRAY of __u64, index = SHOAL_CNT_* */
enum shoal_counter {
	SHOAL_CNT_PASS = 0,  /* passed after the exact check: not a VIP address after all */
	SHOAL_CNT_TX,	     /* encapsulated and sent: the sum of backends' packets (agent) */
	SHOAL_CNT_FLOW_MISS, /* packets of VIPs not in the flow table (hits: tx - misses) */
	SHOAL_CNT_FLOW_RESCHEDULED, /* hit on a removed backend */
	SHOAL_CNT_ICMP_FORWARDED,   /* ICMP errors sent to a flow's backend */
	SHOAL_CNT_PTB_SENT,	    /* frag-needed / packet-too-big answered */
	SHOAL_CNT_V6_EXTHDR,	    /* IPv6 to a VIP address with extension headers (walked) */
	SHOAL_CNT_FRAG_FORWARDED,   /* IPv4 fragments to maglev-src VIPs */
	SHOAL_CNT_CHECK_TUNNELED,   /* health-check packets encapsulated by the tc program */
	SHOAL_CNT_CHECK_REFUSED,    /* marked packets not for their backend's VIP: dropped */
	SHOAL_CNT_PTB_SUPPRESSED,   /* too-big replies over the rate limit: not sent, dropped */
	SHOAL_CNT_FLOW_INSERT,	    /* entries written for new flows */
	SHOAL_CNT_FLOW_EVICT_UNCONFIRMED, /* ... replacing an unconfirmed entry */
	SHOAL_CNT_FLOW_EVICT_IDLE,	  /* ... replacing an entry past its idle timeout */
	SHOAL_CNT_FLOW_REFUSED, /* new flows not recorded: every way a live confirmed flow */
	SHOAL_CNT_ECHO_REPLIED, /* ICMP(v6) echo requests to a VIP address answered */
	/* drops by reason: SHOAL_CNT_DROP_BASE + (-SHOAL_DROP_x) */
	SHOAL_CNT_DROP_BASE = 16,
	SHOAL_CNT_MAX = 32,
};

/* Datapath helpers return 0 or one of these (negative). */
enum shoal_drop_reason {
	SHOAL_DROP_MALFORMED = -1,   /* bad IP header (length, IHL) */
	SHOAL_DROP_TRUNCATED = -2,   /* L4 header cut short */
	SHOAL_DROP_FRAGMENT = -3,    /* IPv4 fragment to a VIP */
	SHOAL_DROP_NO_BACKEND = -4,  /* empty table or no such VIP table */
	SHOAL_DROP_BAD_BACKEND = -5, /* table names an invalid backend */
	SHOAL_DROP_ENCAP = -6,	     /* headroom or family mismatch */
	SHOAL_DROP_TOO_BIG = -7,     /* too big, DF clear: cannot fragment */
	SHOAL_DROP_NOT_READY = -8,   /* host config missing */
	SHOAL_DROP_ICMP = -9,	     /* ICMP error about no known VIP flow */
	SHOAL_DROP_NO_SERVICE = -10, /* to a VIP address, a port or protocol no service has */
	SHOAL_DROP_PROTO = -11,	     /* to a VIP address, neither TCP, UDP nor ICMP echo/error */
	SHOAL_DROP_EXTHDR = -12,     /* IPv6 extension headers not walked (ESP, AH, too many) */
	SHOAL_DROP_ECHO_LIMIT = -13, /* echo request over the ICMP reply rate */
	SHOAL_DROP_MAX_REASON = 13,
};

#define SHOAL_CNT_DROP(reason) (SHOAL_CNT_DROP_BASE - (reason))

/* Decap side (bpf/decap.bpf.c) */
struct shoal_decap_cfg {
	__be16 gue_port; /* 0: no GUE */
	__u16 pad;
	__u32 flags;
};

enum shoal_decap_counter {
	SHOAL_DECAP_CNT_RX = 0,
	SHOAL_DECAP_CNT_DECAP,	   /* decapsulated */
	SHOAL_DECAP_CNT_NOT_VIP,   /* tunnel packet whose inner dst is no VIP: passed */
	SHOAL_DECAP_CNT_MALFORMED, /* bad inner/outer header: dropped */
	SHOAL_DECAP_CNT_REFUSED,   /* tunnel packet from an outer source not allowed: dropped */
	SHOAL_DECAP_CNT_MAX = 8,
};

/*
 * decap_from: LPM_TRIE of the outer sources a backend takes tunnel packets
 * from (the shoal hosts' tunnel sources). prefixlen counts bits of addr, where
 * an IPv4 address sits v4-mapped (so 198.51.100.0/24 is 96 + 24). Empty: none.
 */
struct shoal_decap_from_key {
	__u32 prefixlen;
	struct shoal_addr addr;
};
#define SHOAL_DECAP_MAX_FROM 256

#endif /* SHOAL_ABI_H */
