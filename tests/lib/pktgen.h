/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet fixtures for tests and benchmarks: Ethernet (+802.1Q), IPv4/IPv6,
 * TCP/UDP with valid checksums, ICMP errors quoting a packet, and checksum
 * verification of what the data plane sends.
 */
#ifndef SHOAL_PKTGEN_H
#define SHOAL_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PKT_MAX 2048

struct pkt_spec {
	const char *src, *dst; /* IPv4 or IPv6 literals; both of one family */
	__u16 sport, dport;
	__u8 proto;	/* IPPROTO_TCP, IPPROTO_UDP */
	__u8 tcp_flags; /* default SYN when 0 and TCP: set PKT_TCP_ACK etc. */
	__u8 tos;
	bool no_df;
	__u16 frag;    /* IPv4 frag_off field (host order) */
	__u16 vlan;    /* 0: untagged */
	__u16 payload; /* bytes after the L4 header */
	__u8 ihl;      /* IPv4 header words (5..15); 0: 5 */
	__u8 ttl;
};

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

extern const __u8 pkt_client_mac[6]; /* source MAC of built packets */
extern const __u8 pkt_lb_mac[6];     /* destination MAC of built packets */

/* Builds the packet into buf; returns its length, or 0 if it does not fit or is invalid. */
size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap);

/*
 * Builds an ICMP(v6) error from router to the quoted packet's source, quoting
 * the first quote_len bytes (0: IP header + 8) of the IP packet of *quoted.
 */
size_t pkt_build_icmp_error(const char *router, const struct pkt_spec *quoted, __u8 type, __u8 code,
			    __u32 extra, size_t quote_len, __u8 *buf, size_t cap);

/* One's-complement sum helpers. */
__u32 pkt_csum_add(const void *data, size_t len, __u32 sum);
__u16 pkt_csum_fold(__u32 sum);
/* True when the IP header (and the L4 checksum, for TCP/UDP/ICMP) at l3 is valid. */
bool pkt_ipv4_hdr_ok(const void *l3, size_t len);
bool pkt_l4_csum_ok(const void *l3, size_t len);

/* Offsets of the L3 header after the L2 header of a frame; 0 if unknown. */
size_t pkt_l3_offset(const __u8 *frame, size_t len, __u16 *ret_ethertype);

#endif /* SHOAL_PKTGEN_H */
