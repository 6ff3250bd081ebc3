// SPDX-License-Identifier: GPL-2.0-only
/* See lbfix.h. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <linux/if_ether.h>

#include "model/addr.h"
#include "lbfix.h"

const __u8 lbfix_gw_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };

int lbfix_set_host(struct lbfix *f, __u32 icmp_rate, __u32 icmp_burst)
{
	struct shoal_host_cfg cfg = { .icmp_cost_ns = icmp_rate ? 1000000000U / icmp_rate : 0,
				      .icmp_burst = icmp_burst };
	struct shoal_addr a;

	memcpy(cfg.gw_mac, lbfix_gw_mac, 6);
	memcpy(cfg.if_mac, pkt_lb_mac, 6);
	if (shoal_addr_parse(LBFIX_SRC4, &a, NULL) ||
	    shoal_addr_parse(LBFIX_SRC6, &cfg.src_v6, NULL))
		return -EINVAL;
	cfg.src_v4 = a.u32[3];
	cfg.gue_port = htons(LBFIX_GUE_PORT);
	cfg.mtu = LBFIX_MTU;
	cfg.hash_seed = 0x5eed;
	cfg.ttl = 64;
	return shoal_dp_set_host(f->dp, &cfg);
}

int lbfix_open(struct lbfix *f, __u32 flow_entries)
{
	struct shoal_dp_opts o = { .flow_entries = flow_entries };
	int ret;

	memset(f, 0, sizeof(*f));
	f->next_vip_id = 1;
	f->next_be_id = 1;
	shoal_dp_set_quiet(true);
	ret = shoal_dp_open(&o, &f->dp);
	if (ret)
		return ret;
	/* no limit on too-big replies unless a test sets one */
	return lbfix_set_host(f, 0, 0);
}

void lbfix_close(struct lbfix *f)
{
	shoal_dp_close(f->dp);
	f->dp = NULL;
}

int lbfix_vip_backend_add(struct lbfix *f, struct lbfix_vip *v, const struct lbfix_backend *b)
{
	struct shoal_backend be = {};
	int family, ret;

	if (v->nbe >= LBFIX_MAX_BE)
		return -ENOSPC;
	if (shoal_addr_parse(b->addr, &be.addr, &family))
		return -EINVAL;
	be.family = (__u8)family;
	be.encap = b->encap;
	be.vip_id = v->id;
	be.vip = v->key;
	if (v->vip.flags & SHOAL_VIP_F_NO_FLOWTABLE)
		be.flags = SHOAL_BE_F_NO_FLOWTABLE;
	ret = shoal_dp_backend_set(f->dp, f->next_be_id, &be);
	if (ret)
		return ret;
	v->be[v->nbe].addr = be.addr;
	v->be[v->nbe].weight = b->weight ? b->weight : 1;
	v->be[v->nbe].id = f->next_be_id++;
	v->nbe++;
	return 0;
}

int lbfix_vip_retable(struct lbfix *f, struct lbfix_vip *v)
{
	static __u32 table[SHOAL_MAX_TABLE_SIZE];
	int ret;

	ret = maglev_build(v->be, v->nbe, table, v->table_size);
	if (ret)
		return ret;
	return shoal_dp_table_set(f->dp, v->id, table, v->table_size);
}

int lbfix_vip_add(struct lbfix *f, const char *addr, __u16 port, __u8 proto, __u8 sched,
		  __u32 flags, const struct lbfix_backend *bes, size_t nbe, __u32 table_size,
		  struct lbfix_vip *v)
{
	size_t i;
	int ret;

	memset(v, 0, sizeof(*v));
	v->id = f->next_vip_id++;
	v->table_size = table_size ? table_size : SHOAL_DEFAULT_TABLE_SIZE;
	if (shoal_addr_parse(addr, &v->key.addr, NULL))
		return -EINVAL;
	v->key.port = htons(port);
	v->key.proto = proto;
	v->vip.id = v->id;
	v->vip.flags = flags;
	v->vip.scheduler = sched;
	for (i = 0; i < nbe; i++) {
		ret = lbfix_vip_backend_add(f, v, &bes[i]);
		if (ret)
			return ret;
	}
	ret = lbfix_vip_retable(f, v);
	if (ret)
		return ret;
	return shoal_dp_vip_set(f->dp, &v->key, &v->vip);
}

int lbfix_run(int prog_fd, const void *in, size_t in_len, void *out, size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = in, .data_size_in = (__u32)in_len,
		    .data_out = out, .data_size_out = (__u32)*out_len, .repeat = 1);
	int ret;

	ret = bpf_prog_test_run_opts(prog_fd, &topts);
	if (ret)
		return -errno;
	*out_len = topts.data_size_out;
	return (int)topts.retval;
}

int lbfix_backend_of(const struct lbfix_vip *v, const __u8 *out, size_t len)
{
	struct shoal_addr dst;
	__u16 et;
	size_t l3 = pkt_l3_offset(out, len, &et), i;

	if (!l3)
		return -1;
	if (et == ETH_P_IP && len >= l3 + 20)
		shoal_addr_from_v4(&dst, *(const __be32 *)(out + l3 + 16));
	else if (et == ETH_P_IPV6 && len >= l3 + 40)
		memcpy(&dst, out + l3 + 24, 16);
	else
		return -1;
	for (i = 0; i < v->nbe; i++)
		if (!memcmp(&v->be[i].addr, &dst, sizeof(dst)))
			return (int)i;
	return -1;
}
