/* SPDX-License-Identifier: GPL-2.0-only */
/* Addresses as the data plane stores them: 16 bytes, IPv4 v4-mapped. */
#ifndef SHOAL_ADDR_H
#define SHOAL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include "shoal/abi.h"

#define SHOAL_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Parses an IPv4 or IPv6 literal; returns 0 or -EINVAL. ret_family may be NULL. */
int shoal_addr_parse(const char *s, struct shoal_addr *ret, int *ret_family);
/* Writes the address (dotted quad when v4-mapped) into buf; returns buf. */
const char *shoal_addr_format(const struct shoal_addr *a, char *buf, size_t len);
bool shoal_addr_is_v4(const struct shoal_addr *a);
void shoal_addr_from_v4(struct shoal_addr *a, __be32 v4);
/*
 * Parses "ADDR:PORT", "[V6]:PORT" or a bare address (port 0). Returns 0 or
 * -EINVAL.
 */
int shoal_endpoint_parse(const char *s, struct shoal_addr *ret_addr, __u16 *ret_port,
			 int *ret_family);

/* "ADDR:PORT/PROTO" ("[V6]:PORT/PROTO"), proto tcp or udp: a VIP as people write it. */
int shoal_vip_spec_parse(const char *s, struct shoal_vip_key *ret, int *ret_family);
void shoal_vip_spec_format(const struct shoal_vip_key *k, char *buf, size_t len);

/*
 * The class of an address no VIP or backend can be (unspecified, loopback,
 * link-local, broadcast, multicast, reserved), or NULL for an ordinary one.
 */
const char *shoal_addr_class(const struct shoal_addr *a);

/* Parses "02:00:5e:00:53:01"; returns 0 or -EINVAL. */
int shoal_mac_parse(const char *s, __u8 ret[6]);
/*
 * "ADDR/LEN" or "ADDR" (a host) into a masked address and its length in bits
 * over shoal_addr (an IPv4 prefix sits v4-mapped: /24 is 96 + 24), as an LPM
 * key wants it. -EINVAL when it is neither.
 */
int shoal_prefix_parse(const char *s, struct shoal_addr *ret, int *ret_family, __u32 *ret_bits);

#endif /* SHOAL_ADDR_H */
