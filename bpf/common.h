/* SPDX-License-Identifier: GPL-2.0-only */
/* Includes and small definitions every BPF header of shoal uses. */
#ifndef SHOAL_BPF_COMMON_H
#define SHOAL_BPF_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define __shoal_inline static __always_inline
#include "shoal/abi.h"
#include "shoal/jhash.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define SHOAL_IP_DF	 0x4000
#define SHOAL_IP_MF	 0x2000
#define SHOAL_IP_OFFMASK 0x1fff

/* linux/icmp.h drags in libc's socket headers; the few bits we need: */
#define ICMP_DEST_UNREACH  3
#define ICMP_FRAG_NEEDED   4
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 __unused;
			__be16 mtu;
		} frag;
		__be32 gateway;
	} un;
};

#define barrier_mem() asm volatile("" ::: "memory")
/* One load or store of the whole (aligned) object: never torn, never repeated. */
#define READ_ONCE(x)	 (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

struct shoal_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* Addresses in the maps' 16-byte form (IPv4 v4-mapped). */
__shoal_inline void addr_set_v4(struct shoal_addr *a, __be32 v4)
{
	a->u32[0] = 0;
	a->u32[1] = 0;
	a->u32[2] = bpf_htonl(0xffff);
	a->u32[3] = v4;
}

__shoal_inline void addr_set_v6(struct shoal_addr *a, const struct in6_addr *v6)
{
	a->u32[0] = v6->in6_u.u6_addr32[0];
	a->u32[1] = v6->in6_u.u6_addr32[1];
	a->u32[2] = v6->in6_u.u6_addr32[2];
	a->u32[3] = v6->in6_u.u6_addr32[3];
}

#endif /* SHOAL_BPF_COMMON_H */
