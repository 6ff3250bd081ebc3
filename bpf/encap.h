/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Encapsulation for direct server return: an outer IPv4 or IPv6 header (the
 * backend's family), optionally a UDP header (GUE variant 1: the inner IP
 * packet follows the UDP header directly), in front of the untouched inner
 * packet. The L2 header moves to the new front with fresh MACs.
 */
#ifndef SHOAL_BPF_ENCAP_H
#define SHOAL_BPF_ENCAP_H

#include "csum.h"
#include "maps.h"
#include "parse.h"

#define GUE_SPORT_MIN 49152 /* source ports from the flow hash: RFC 8086 sec. 3 */

__shoal_inline __u32 encap_overhead(const struct shoal_backend *be)
{
	__u32 len = be->family == AF_INET6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);

	if (be->encap == SHOAL_ENCAP_GUE)
		len += sizeof(struct udphdr);
	return len;
}

/* Writes the L2 header at the front; returns the ethertype's offset or < 0. */
__shoal_inline int encap_l2(void *data, void *data_end, __u32 olen, __u32 l2_len, __be16 proto)
{
	struct ethhdr *eth = data;
	void *old = data + olen;

	if ((void *)(eth + 1) > data_end)
		return SHOAL_DROP_ENCAP;
	__builtin_memcpy(eth->h_dest, host_cfg.gw_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, host_cfg.if_mac, ETH_ALEN);
	if (l2_len == sizeof(struct ethhdr)) {
		eth->h_proto = proto;
		return 0;
	}
	{
		struct shoal_vlan_hdr *vh = (void *)(eth + 1);
		struct ethhdr *oeth = old;
		struct shoal_vlan_hdr *ovh = old + sizeof(struct ethhdr);

		if ((void *)(vh + 1) > data_end || (void *)(ovh + 1) > data_end)
			return SHOAL_DROP_ENCAP;
		/* the old header lies beyond the new one: olen >= 20 > l2_len */
		eth->h_proto = oeth->h_proto;
		vh->tci = ovh->tci;
		vh->encap_proto = proto;
	}
	return 0;
}

__shoal_inline void encap_udp(struct udphdr *uh, __u32 hash, __u32 inner_len)
{
	uh->source = bpf_htons(GUE_SPORT_MIN | (hash & 0x3fff));
	uh->dest = host_cfg.gue_port;
	uh->len = bpf_htons(inner_len + sizeof(*uh));
	/* IPv4: zero allowed; IPv6: zero checksum for tunnels, RFC 6935/6936 */
	uh->check = 0;
}

/*
 * Writes the outer IP (and GUE's UDP) header at oh, in front of an inner
 * packet of inner_len bytes whose family is inner_family. Shared by the XDP
 * path and the tc path of health checks, so both build the same tunnel.
 */
__shoal_inline int encap_outer(void *oh_ptr, void *data_end, const struct shoal_backend *be,
			       int inner_family, __u8 tos, __u32 hash, __u32 inner_len)
{
	int gue = be->encap == SHOAL_ENCAP_GUE;
	__u32 olen = encap_overhead(be);
	__u8 ipproto = inner_family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;

	if (be->family == AF_INET6) {
		struct ipv6hdr *oh = oh_ptr;

		if ((void *)(oh + 1) > data_end)
			return SHOAL_DROP_ENCAP;
		oh->version = 6;
		oh->priority = tos >> 4;
		oh->flow_lbl[0] = ((tos & 0xf) << 4) | ((hash >> 16) & 0xf);
		oh->flow_lbl[1] = hash >> 8;
		oh->flow_lbl[2] = hash;
		oh->payload_len = bpf_htons(olen - sizeof(*oh) + inner_len);
		oh->nexthdr = gue ? IPPROTO_UDP : ipproto;
		oh->hop_limit = host_cfg.ttl;
		__builtin_memcpy(&oh->saddr, &host_cfg.src_v6, 16);
		__builtin_memcpy(&oh->daddr, &be->addr, 16);
		if (gue) {
			struct udphdr *uh = (void *)(oh + 1);

			if ((void *)(uh + 1) > data_end)
				return SHOAL_DROP_ENCAP;
			encap_udp(uh, hash, inner_len);
		}
	} else {
		struct iphdr *oh = oh_ptr;

		if ((void *)(oh + 1) > data_end)
			return SHOAL_DROP_ENCAP;
		oh->version = 4;
		oh->ihl = sizeof(*oh) / 4;
		oh->tos = tos;
		oh->tot_len = bpf_htons(olen + inner_len);
		oh->id = 0;
		oh->frag_off = bpf_htons(SHOAL_IP_DF);
		oh->ttl = host_cfg.ttl;
		oh->protocol = gue ? IPPROTO_UDP : ipproto;
		oh->saddr = host_cfg.src_v4;
		oh->daddr = be->addr.u32[3];
		oh->check = ipv4_hdr_csum(oh);
		if (gue) {
			struct udphdr *uh = (void *)(oh + 1);

			if ((void *)(uh + 1) > data_end)
				return SHOAL_DROP_ENCAP;
			encap_udp(uh, hash, inner_len);
		}
	}
	return 0;
}

__shoal_inline int encap_packet(struct xdp_md *ctx, const struct pkt *p,
				const struct shoal_backend *be, __u32 hash)
{
	__u32 olen = encap_overhead(be);
	__u32 l2_len = p->l3_off;
	void *data, *data_end;
	int ret;

	if (bpf_xdp_adjust_head(ctx, -(int)olen))
		return SHOAL_DROP_ENCAP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ret = encap_l2(data, data_end, olen, l2_len,
		       bpf_htons(be->family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP));
	if (ret)
		return ret;
	return encap_outer(data + (l2_len & 0x1f), data_end, be, p->family, p->tos, hash,
			   p->ip_len);
}

#endif /* SHOAL_BPF_ENCAP_H */
