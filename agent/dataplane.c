// SPDX-License-Identifier: GPL-2.0-only
/* See dataplane.h. Library code: returns negative errno, logs nothing itself. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "lb.skel.h"
#include "shoal/jhash.h"

struct shoal_dp {
	struct lb_bpf *skel;
	struct bpf_link *link;
	int ncpus;
	int flag_ifindex; /* attached without a link (generic mode): detach by hand */
	__u32 flag_xdp_flags;
};

static bool dp_quiet;

static int dp_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (dp_quiet || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void shoal_dp_set_quiet(bool quiet)
{
	dp_quiet = quiet;
}

int shoal_dp_open(const struct shoal_dp_opts *opts, struct shoal_dp **ret_dp)
{
	struct shoal_dp *dp;
	int ret;

	libbpf_set_print(dp_libbpf_print);
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		ret = dp->ncpus ? dp->ncpus : -EINVAL;
		goto free_dp;
	}
	dp->skel = lb_bpf__open();
	if (!dp->skel) {
		ret = -errno;
		goto free_dp;
	}
	if (opts && opts->flow_entries) {
		ret = bpf_map__set_max_entries(dp->skel->maps.flows, opts->flow_entries);
		if (ret)
			goto destroy_skel;
	}
	ret = lb_bpf__load(dp->skel);
	if (ret)
		goto destroy_skel;
	*ret_dp = dp;
	return 0;

destroy_skel:
	lb_bpf__destroy(dp->skel);
free_dp:
	free(dp);
	return ret < 0 ? ret : -EINVAL;
}

void shoal_dp_close(struct shoal_dp *dp)
{
	if (!dp)
		return;
	bpf_link__destroy(dp->link);
	if (dp->flag_ifindex)
		bpf_xdp_detach(dp->flag_ifindex, dp->flag_xdp_flags, NULL);
	lb_bpf__destroy(dp->skel);
	free(dp);
}

int shoal_dp_attach(struct shoal_dp *dp, int ifindex, __u32 xdp_flags)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, xopts);
	struct bpf_link *link;
	int ret;

	if (xdp_flags & (XDP_FLAGS_SKB_MODE | XDP_FLAGS_HW_MODE)) {
		/* bpf_link attach is native-only in libbpf 1.1's helper: use the flag API */
		ret = bpf_xdp_attach(ifindex, bpf_program__fd(dp->skel->progs.shoal_lb), xdp_flags,
				     &xopts);
		if (!ret) {
			dp->flag_ifindex = ifindex;
			dp->flag_xdp_flags = xdp_flags;
		}
		return ret;
	}
	link = bpf_program__attach_xdp(dp->skel->progs.shoal_lb, ifindex);
	if (!link)
		return -errno;
	dp->link = link;
	return 0;
}

int shoal_dp_prog_fd(const struct shoal_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.shoal_lb);
}

int shoal_dp_map_fd(const struct shoal_dp *dp, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(dp->skel->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

int shoal_dp_set_host(struct shoal_dp *dp, const struct shoal_host_cfg *cfg)
{
	struct shoal_host_cfg c = *cfg;

	if (!c.ttl)
		c.ttl = 64;
	c.flags |= SHOAL_HOST_F_READY;
	/* .bss is mmap'ed: the program sees the new config at once */
	dp->skel->bss->host_cfg = c;
	return 0;
}

static void prefilter_set(struct shoal_dp *dp, const struct shoal_addr *a)
{
	__u32 bit = shoal_prefilter_bit(shoal_addr_fold(a));

	__atomic_or_fetch(&dp->skel->bss->vip_prefilter[bit >> 6], 1ULL << (bit & 63),
			  __ATOMIC_RELEASE);
}

/* Recomputes the prefilter from vip_addrs, clearing bits no address needs. */
static int prefilter_rebuild(struct shoal_dp *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.vip_addrs);
	struct shoal_addr key, next;
	__u64 *words;
	void *prev = NULL;
	__u32 i;

	words = calloc(SHOAL_PREFILTER_WORDS, sizeof(*words));
	if (!words)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		__u32 bit = shoal_prefilter_bit(shoal_addr_fold(&next));

		words[bit >> 6] |= 1ULL << (bit & 63);
		key = next;
		prev = &key;
	}
	for (i = 0; i < SHOAL_PREFILTER_WORDS; i++)
		if (dp->skel->bss->vip_prefilter[i] != words[i])
			__atomic_store_n(&dp->skel->bss->vip_prefilter[i], words[i],
					 __ATOMIC_RELEASE);
	free(words);
	return 0;
}

int shoal_dp_vip_set(struct shoal_dp *dp, const struct shoal_vip_key *key,
		     const struct shoal_vip *vip)
{
	int vips_fd = bpf_map__fd(dp->skel->maps.vips);
	int info_fd = bpf_map__fd(dp->skel->maps.vip_info);
	int addrs_fd = bpf_map__fd(dp->skel->maps.vip_addrs);
	struct shoal_vip_addr va = {};
	struct shoal_vip info = *vip;
	__u32 old_id;
	bool exists;
	int ret;

	if (vip->id >= SHOAL_MAX_VIPS || vip->scheduler >= SHOAL_SCHED_MAX ||
	    (vip->flags & SHOAL_VIP_F_ACTIVE))
		return -EINVAL;
	exists = bpf_map_lookup_elem(vips_fd, key, &old_id) == 0;
	if (exists && old_id != vip->id)
		return -EEXIST;
	/* properties first, then the key: the program never finds a half-made VIP */
	info.flags |= SHOAL_VIP_F_ACTIVE;
	if (bpf_map_update_elem(info_fd, &vip->id, &info, BPF_ANY))
		return -errno;
	if (exists)
		return 0;
	/* prefilter and address before the key: the program must never miss a VIP it has */
	if (bpf_map_lookup_elem(addrs_fd, &key->addr, &va))
		memset(&va, 0, sizeof(va));
	va.vips++;
	if (bpf_map_update_elem(addrs_fd, &key->addr, &va, BPF_ANY)) {
		ret = -errno;
		goto clear_info;
	}
	prefilter_set(dp, &key->addr);
	if (bpf_map_update_elem(vips_fd, key, &vip->id, BPF_NOEXIST)) {
		ret = -errno;
		shoal_dp_vip_del(dp, key);
		goto clear_info;
	}
	return 0;

clear_info:
	memset(&info, 0, sizeof(info));
	bpf_map_update_elem(info_fd, &vip->id, &info, BPF_ANY);
	return ret;
}

int shoal_dp_vip_del(struct shoal_dp *dp, const struct shoal_vip_key *key)
{
	int vips_fd = bpf_map__fd(dp->skel->maps.vips);
	int info_fd = bpf_map__fd(dp->skel->maps.vip_info);
	int addrs_fd = bpf_map__fd(dp->skel->maps.vip_addrs);
	struct shoal_vip info = {};
	struct shoal_vip_addr va;
	__u32 id;

	if (bpf_map_lookup_elem(vips_fd, key, &id) == 0) {
		if (bpf_map_delete_elem(vips_fd, key))
			return -errno;
		/* flows that name this VIP stop matching at once */
		if (bpf_map_update_elem(info_fd, &id, &info, BPF_ANY))
			return -errno;
	}
	if (bpf_map_lookup_elem(addrs_fd, &key->addr, &va))
		return 0;
	if (va.vips > 1) {
		va.vips--;
		if (bpf_map_update_elem(addrs_fd, &key->addr, &va, BPF_ANY))
			return -errno;
		return 0;
	}
	if (bpf_map_delete_elem(addrs_fd, &key->addr))
		return -errno;
	return prefilter_rebuild(dp);
}

int shoal_dp_table_set(struct shoal_dp *dp, __u32 vip_id, const __u32 *table, __u32 size)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = BPF_F_INNER_MAP);
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	int outer_fd = bpf_map__fd(dp->skel->maps.vip_tables);
	__u32 *keys, count = size, i;
	int inner_fd, ret;

	if (vip_id >= SHOAL_MAX_VIPS || !size || size > SHOAL_MAX_TABLE_SIZE)
		return -EINVAL;
	inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "shoal_table", sizeof(__u32), sizeof(__u32),
				  size, &copts);
	if (inner_fd < 0)
		return -errno;
	keys = malloc((size_t)size * sizeof(*keys));
	if (!keys) {
		ret = -ENOMEM;
		goto close_inner;
	}
	for (i = 0; i < size; i++)
		keys[i] = i;
	ret = bpf_map_update_batch(inner_fd, keys, table, &count, &bopts);
	if (ret) {
		ret = -errno;
		goto free_keys;
	}
	/* the swap: one update of the outer slot */
	if (bpf_map_update_elem(outer_fd, &vip_id, &inner_fd, BPF_ANY))
		ret = -errno;
free_keys:
	free(keys);
close_inner:
	close(inner_fd);
	return ret;
}

int shoal_dp_backend_set(struct shoal_dp *dp, __u32 id, const struct shoal_backend *be)
{
	struct shoal_backend b = *be;

	if (id == SHOAL_BACKEND_NONE || id >= SHOAL_MAX_BACKENDS || b.encap >= SHOAL_ENCAP_MAX)
		return -EINVAL;
	b.flags |= SHOAL_BE_F_VALID;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.backends), &id, &b, BPF_ANY))
		return -errno;
	return 0;
}

int shoal_dp_backend_del(struct shoal_dp *dp, __u32 id)
{
	struct shoal_backend b = {};

	if (id == SHOAL_BACKEND_NONE || id >= SHOAL_MAX_BACKENDS)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.backends), &id, &b, BPF_ANY))
		return -errno;
	return 0;
}

static int percpu_sum(struct shoal_dp *dp, struct bpf_map *map, __u32 idx, size_t nfields,
		      __u64 *ret)
{
	size_t n = (size_t)dp->ncpus * nfields, c, f;
	__u64 *vals;

	vals = calloc(n, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &idx, vals)) {
		free(vals);
		return -errno;
	}
	memset(ret, 0, nfields * sizeof(*ret));
	for (c = 0; c < (size_t)dp->ncpus; c++)
		for (f = 0; f < nfields; f++)
			ret[f] += vals[c * nfields + f];
	free(vals);
	return 0;
}

int shoal_dp_counter(struct shoal_dp *dp, __u32 idx, __u64 *ret)
{
	return percpu_sum(dp, dp->skel->maps.stats, idx, 1, ret);
}

int shoal_dp_vip_stats(struct shoal_dp *dp, __u32 vip_id, struct shoal_vip_stats *ret)
{
	return percpu_sum(dp, dp->skel->maps.vip_stats, vip_id, sizeof(*ret) / sizeof(__u64),
			  (__u64 *)ret);
}

int shoal_dp_backend_stats(struct shoal_dp *dp, __u32 id, struct shoal_backend_stats *ret)
{
	return percpu_sum(dp, dp->skel->maps.backend_stats, id, sizeof(*ret) / sizeof(__u64),
			  (__u64 *)ret);
}

static int percpu_zero(struct shoal_dp *dp, struct bpf_map *map, size_t value_size)
{
	__u32 max = bpf_map__max_entries(map), i;
	void *zero;
	int ret = 0;

	zero = calloc((size_t)dp->ncpus, (value_size + 7) & ~7UL);
	if (!zero)
		return -ENOMEM;
	for (i = 0; i < max && !ret; i++)
		if (bpf_map_update_elem(bpf_map__fd(map), &i, zero, BPF_ANY))
			ret = -errno;
	free(zero);
	return ret;
}

int shoal_dp_counters_reset(struct shoal_dp *dp)
{
	int ret;

	ret = percpu_zero(dp, dp->skel->maps.stats, sizeof(__u64));
	if (!ret)
		ret = percpu_zero(dp, dp->skel->maps.vip_stats, sizeof(struct shoal_vip_stats));
	if (!ret)
		ret = percpu_zero(dp, dp->skel->maps.backend_stats,
				  sizeof(struct shoal_backend_stats));
	return ret;
}
