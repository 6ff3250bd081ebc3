// SPDX-License-Identifier: GPL-2.0-only
/* See dataplane.h. Library code: returns negative errno, logs nothing itself. */
#include <dirent.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "dataplane.h"
#include "maglev.h"
#include "state.h"
#include "lb.skel.h"
#include "shoal/jhash.h"

struct dp_applied_vip {
	bool present;
	struct shoal_vip_key key;
	struct shoal_vip vip;
	__u64 table_hash;   /* over the ids in the table as written */
	__u64 table_inputs; /* over what it was built from */
	__u64 fingerprint;  /* over the addresses: comparable across hosts */
};

struct shoal_dp {
	struct lb_bpf *skel;
	struct dp_applied_vip *applied_vips; /* [SHOAL_MAX_VIPS] */
	struct shoal_backend *applied_be;    /* [SHOAL_MAX_BACKENDS] */
	__u32 *table_buf;		     /* SHOAL_MAX_TABLE_SIZE slots */
	__u64 write_errors;
	struct lb_bpf *dry;		 /* dry-run instance for lookups, opened on first use */
	long flow_count;		 /* cached: see shoal_dp_flow_count() */
	__u32 vip_flows[SHOAL_MAX_VIPS]; /* entries per VIP id, from the same walk */
	time_t flow_count_at;
	int ncpus;
	int link_fd;	   /* the XDP link (pinned with a pin_dir), or -1 */
	bool adopted;	   /* maps found pinned and reused */
	char pin_dir[256]; /* <pin_dir>/v<ABI>, or "" */
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

static int pin_prepare(struct shoal_dp *dp, const char *root);

int shoal_dp_open(const struct shoal_dp_opts *opts, struct shoal_dp **ret_dp)
{
	struct shoal_dp *dp;
	int ret;

	libbpf_set_print(dp_libbpf_print);
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->applied_vips = calloc(SHOAL_MAX_VIPS, sizeof(*dp->applied_vips));
	dp->applied_be = calloc(SHOAL_MAX_BACKENDS, sizeof(*dp->applied_be));
	dp->table_buf = calloc(SHOAL_MAX_TABLE_SIZE, sizeof(*dp->table_buf));
	if (!dp->applied_vips || !dp->applied_be || !dp->table_buf) {
		ret = -ENOMEM;
		goto free_dp;
	}
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		ret = dp->ncpus ? dp->ncpus : -EINVAL;
		goto free_dp;
	}
	dp->link_fd = -1;
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
	if (opts && opts->pin_dir) {
		ret = pin_prepare(dp, opts->pin_dir);
		if (ret)
			goto destroy_skel;
	}
	ret = lb_bpf__load(dp->skel);
	if (ret)
		goto destroy_skel;
	if (dp->pin_dir[0])
		dp->adopted = dp->adopted && bpf_map__is_pinned(dp->skel->maps.flows);
	*ret_dp = dp;
	return 0;

destroy_skel:
	lb_bpf__destroy(dp->skel);
free_dp:
	free(dp->applied_vips);
	free(dp->applied_be);
	free(dp->table_buf);
	free(dp);
	return ret < 0 ? ret : -EINVAL;
}

void shoal_dp_close(struct shoal_dp *dp)
{
	if (!dp)
		return;
	lb_bpf__destroy(dp->dry);
	if (dp->link_fd >= 0)
		close(dp->link_fd); /* detaches, unless the link is pinned */
	lb_bpf__destroy(dp->skel);
	free(dp->applied_vips);
	free(dp->applied_be);
	free(dp->table_buf);
	free(dp);
}

int shoal_dp_attach(struct shoal_dp *dp, int ifindex, __u32 xdp_flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = xdp_flags);
	int fd;

	/* a link, not pinned: closing it (shoal_dp_close) detaches */
	fd = bpf_link_create(shoal_dp_prog_fd(dp), ifindex, BPF_XDP, &lopts);
	if (fd < 0)
		return -errno;
	dp->link_fd = fd;
	return 0;
}

/* Removes pins of other ABI versions under root: their layout is not ours. */
static void pin_remove_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int mkdir_p(const char *path)
{
	char buf[256], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int pin_prepare(struct shoal_dp *dp, const char *root)
{
	char path[512], mine[32];
	struct bpf_map *map;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret;

	if ((size_t)snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s/v%d", root, SHOAL_ABI_VERSION) >=
	    sizeof(dp->pin_dir))
		return -ENAMETOOLONG;
	ret = mkdir_p(dp->pin_dir);
	if (ret)
		return ret;
	snprintf(mine, sizeof(mine), "v%d", SHOAL_ABI_VERSION);
	d = opendir(root);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] != 'v' || !strcmp(de->d_name, mine))
				continue;
			snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
			pin_remove_dir(path);
		}
		closedir(d);
	}
	snprintf(path, sizeof(path), "%s/flows", dp->pin_dir);
	dp->adopted = stat(path, &st) == 0;
	bpf_object__for_each_map(map, dp->skel->obj)
	{
		const char *name = bpf_map__name(map);
		const char *dot = strrchr(name, '.');

		/* internal maps are "<obj>.bss": pin them by section */
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, dot ? dot + 1 : name);
		ret = bpf_map__set_pin_path(map, path);
		if (ret)
			return ret;
	}
	return 0;
}

bool shoal_dp_adopted(const struct shoal_dp *dp)
{
	return dp->adopted;
}

int shoal_dp_attach_pinned(struct shoal_dp *dp, int ifindex, __u32 xdp_flags, bool *ret_adopted)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = xdp_flags);
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	char path[512];
	int fd, ret;

	if (!dp->pin_dir[0])
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/link", dp->pin_dir);
	*ret_adopted = false;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_XDP &&
		    (int)info.xdp.ifindex == ifindex) {
			if (bpf_link_update(fd, shoal_dp_prog_fd(dp), NULL)) {
				ret = -errno;
				close(fd);
				return ret;
			}
			dp->link_fd = fd;
			*ret_adopted = true;
			return 0;
		}
		/* a link for another interface, or one whose device is gone */
		close(fd);
		unlink(path);
	}
	fd = bpf_link_create(shoal_dp_prog_fd(dp), ifindex, BPF_XDP, &lopts);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	dp->link_fd = fd;
	return 0;
}

int shoal_dp_unpin(const char *root)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] != 'v')
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		pin_remove_dir(path);
	}
	closedir(d);
	if (rmdir(root) && errno != ENOENT)
		return -errno;
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

/* A new inner table holding table[0..size); returns its fd or -errno. */
static int table_prepare(const __u32 *table, __u32 size)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	/* an array map's elements are 8-byte aligned: a __u32 value takes 8 bytes */
	size_t len = ((size_t)size * sizeof(__u64) + 4095) & ~(size_t)4095;
	__u32 i, check, *mem;
	int inner_fd, ret;

	inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "shoal_table", sizeof(__u32), sizeof(__u32),
				  size, &copts);
	if (inner_fd < 0)
		return -errno;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, inner_fd, 0);
	if (mem == MAP_FAILED) {
		ret = -errno;
		close(inner_fd);
		return ret;
	}
	/* no program sees this map before the swap: plain stores are safe */
	for (i = 0; i < size; i++)
		mem[2 * (size_t)i] = table[i];
	munmap(mem, len);
	/* the stride is the kernel's layout: check it, else fill slot by slot */
	i = size - 1;
	if (bpf_map_lookup_elem(inner_fd, &i, &check) || check != table[i]) {
		LIBBPF_OPTS(bpf_map_batch_opts, bopts);
		__u32 *keys = malloc((size_t)size * sizeof(*keys)), count = size;

		ret = keys ? 0 : -ENOMEM;
		for (i = 0; keys && i < size; i++)
			keys[i] = i;
		if (keys && bpf_map_update_batch(inner_fd, keys, table, &count, &bopts))
			ret = -errno;
		free(keys);
		if (ret) {
			close(inner_fd);
			return ret;
		}
	}
	return inner_fd;
}

/*
 * Swaps the prepared tables into their VIPs' slots. Each update of an
 * array-of-maps waits for an RCU grace period (tens of ms here), so all of
 * them go in one batch, which waits once; per slot where batches are refused.
 */
static int tables_swap(struct shoal_dp *dp, __u32 *ids, int *fds, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	int outer_fd = bpf_map__fd(dp->skel->maps.vip_tables);
	__u32 count = n, i;
	int ret = 0;

	if (!n)
		return 0;
	if (!bpf_map_update_batch(outer_fd, ids, fds, &count, &bopts))
		return 0;
	for (i = count; i < n; i++)
		if (bpf_map_update_elem(outer_fd, &ids[i], &fds[i], BPF_ANY))
			ret = -errno;
	return ret;
}

int shoal_dp_table_set(struct shoal_dp *dp, __u32 vip_id, const __u32 *table, __u32 size)
{
	int fd, ret;

	if (vip_id >= SHOAL_MAX_VIPS || !size || size > SHOAL_MAX_TABLE_SIZE)
		return -EINVAL;
	fd = table_prepare(table, size);
	if (fd < 0)
		return fd;
	ret = tables_swap(dp, &vip_id, &fd, 1);
	close(fd);
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

const char *shoal_counter_name(__u32 idx)
{
	static const char *const names[SHOAL_CNT_NAMED] = {
		[SHOAL_CNT_PASS] = "passed",
		[SHOAL_CNT_TX] = "tx",
		[SHOAL_CNT_FLOW_MISS] = "flow_misses",
		[SHOAL_CNT_FLOW_RESCHEDULED] = "flows_rescheduled",
		[SHOAL_CNT_ICMP_FORWARDED] = "icmp_forwarded",
		[SHOAL_CNT_PTB_SENT] = "ptb_sent",
		[SHOAL_CNT_V6_EXTHDR] = "ipv6_ext_headers",
		[SHOAL_CNT_FRAG_FORWARDED] = "fragments_forwarded",
	};

	return idx < SHOAL_CNT_NAMED ? names[idx] : NULL;
}

const char *shoal_drop_name(int reason)
{
	static const char *const names[SHOAL_DROP_MAX_REASON + 1] = {
		[-SHOAL_DROP_MALFORMED] = "malformed",	   [-SHOAL_DROP_TRUNCATED] = "truncated",
		[-SHOAL_DROP_FRAGMENT] = "fragment",	   [-SHOAL_DROP_NO_BACKEND] = "no_backend",
		[-SHOAL_DROP_BAD_BACKEND] = "bad_backend", [-SHOAL_DROP_ENCAP] = "encap",
		[-SHOAL_DROP_TOO_BIG] = "too_big",	   [-SHOAL_DROP_NOT_READY] = "not_ready",
		[-SHOAL_DROP_ICMP] = "icmp_unknown_flow",
	};

	return reason > 0 && reason <= SHOAL_DROP_MAX_REASON ? names[reason] : NULL;
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

static __u64 table_hash(const __u32 *t, __u32 n)
{
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 i;

	for (i = 0; i < n; i++) {
		h ^= t[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ n;
}

static void count_error(struct shoal_dp *dp, int ret, int *errors)
{
	if (ret) {
		dp->write_errors++;
		(*errors)++;
	}
}

/* Over everything a VIP's table is built from: a table is rebuilt only when it changes. */
static __u64 table_inputs_hash(const struct shoal_vip_state *v)
{
	__u64 h = 0xcbf29ce484222325ULL ^ v->table_size;
	size_t i, k;

	for (i = 0; i < v->nbe; i++) {
		__u32 w[6] = { v->be[i].addr.u32[0],
			       v->be[i].addr.u32[1],
			       v->be[i].addr.u32[2],
			       v->be[i].addr.u32[3],
			       shoal_be_table_weight(&v->be[i]),
			       v->be[i].id };

		for (k = 0; k < 6; k++) {
			h ^= w[k];
			h *= 0x100000001b3ULL;
		}
	}
	return h;
}

struct pending_tables {
	__u32 ids[SHOAL_MAX_VIPS];
	int fds[SHOAL_MAX_VIPS];
	__u64 hashes[SHOAL_MAX_VIPS], prints[SHOAL_MAX_VIPS], inputs[SHOAL_MAX_VIPS];
	__u32 n;
};

/* Builds v's table; if it changed, prepares a new inner map for the batch swap. */
static int table_build(struct shoal_dp *dp, const struct shoal_vip_state *v,
		       struct pending_tables *pt)
{
	struct dp_applied_vip *a = &dp->applied_vips[v->id];
	__u64 inputs = table_inputs_hash(v), h;
	struct maglev_backend *mb;
	size_t i;
	int ret, fd;

	if (a->table_hash && a->table_inputs == inputs)
		return 0;
	mb = calloc(v->nbe ? v->nbe : 1, sizeof(*mb));
	if (!mb)
		return -ENOMEM;
	for (i = 0; i < v->nbe; i++) {
		mb[i].addr = v->be[i].addr;
		mb[i].weight = shoal_be_table_weight(&v->be[i]);
		mb[i].id = v->be[i].id;
	}
	ret = maglev_build(mb, v->nbe, dp->table_buf, v->table_size);
	if (ret)
		goto free_mb;
	h = table_hash(dp->table_buf, v->table_size);
	if (a->table_hash == h) {
		a->table_inputs = inputs;
		goto free_mb;
	}
	fd = table_prepare(dp->table_buf, v->table_size);
	if (fd < 0) {
		ret = fd;
		goto free_mb;
	}
	pt->ids[pt->n] = v->id;
	pt->fds[pt->n] = fd;
	pt->hashes[pt->n] = h;
	pt->inputs[pt->n] = inputs;
	pt->prints[pt->n] = maglev_fingerprint(dp->table_buf, v->table_size, mb, v->nbe);
	pt->n++;
free_mb:
	free(mb);
	return ret;
}

int shoal_dp_apply(struct shoal_dp *dp, const struct shoal_state *state)
{
	static const struct shoal_backend none;
	struct pending_tables *pt;
	__u8 *in_state;
	int errors = 0;
	size_t i, j;
	__u32 id;

	pt = calloc(1, sizeof(*pt));
	in_state = calloc(SHOAL_MAX_BACKENDS / 8, 1);
	if (!pt || !in_state) {
		free(pt);
		free(in_state);
		dp->write_errors++;
		return 1;
	}
	for (i = 0; i < state->nvips; i++)
		for (j = 0; j < state->vips[i].nbe; j++) {
			id = state->vips[i].be[j].id;
			in_state[id / 8] |= (__u8)(1U << (id % 8));
		}

	/* removed VIPs first: no packet may find a VIP whose backends are going */
	for (id = 1; id < SHOAL_MAX_VIPS; id++) {
		struct dp_applied_vip *a = &dp->applied_vips[id];
		bool keep = false;

		if (!a->present)
			continue;
		for (i = 0; i < state->nvips && !keep; i++)
			keep = state->vips[i].id == id &&
			       !memcmp(&state->vips[i].key, &a->key, sizeof(a->key));
		if (keep)
			continue;
		count_error(dp, shoal_dp_vip_del(dp, &a->key), &errors);
		memset(a, 0, sizeof(*a));
	}
	for (id = 1; id < SHOAL_MAX_BACKENDS; id++) {
		if (!(dp->applied_be[id].flags & SHOAL_BE_F_VALID) ||
		    (in_state[id / 8] & (1U << (id % 8))))
			continue;
		count_error(dp, shoal_dp_backend_del(dp, id), &errors);
		dp->applied_be[id] = none;
	}

	/* backends, then every changed table in one swap, then the VIPs that use them */
	for (i = 0; i < state->nvips; i++) {
		const struct shoal_vip_state *v = &state->vips[i];

		for (j = 0; j < v->nbe; j++) {
			const struct shoal_be_state *b = &v->be[j];
			struct shoal_backend be = { .addr = b->addr,
						    .family = (__u8)b->family,
						    .encap = b->encap,
						    .flags = SHOAL_BE_F_VALID,
						    .vip_id = v->id };
			int ret;

			if (!memcmp(&dp->applied_be[b->id], &be, sizeof(be)))
				continue;
			ret = shoal_dp_backend_set(dp, b->id, &be);
			count_error(dp, ret, &errors);
			if (!ret)
				dp->applied_be[b->id] = be;
		}
		count_error(dp, table_build(dp, v, pt), &errors);
	}
	if (tables_swap(dp, pt->ids, pt->fds, pt->n)) {
		count_error(dp, -EIO, &errors);
	} else {
		for (i = 0; i < pt->n; i++) {
			struct dp_applied_vip *a = &dp->applied_vips[pt->ids[i]];

			a->table_hash = pt->hashes[i];
			a->table_inputs = pt->inputs[i];
			a->fingerprint = pt->prints[i];
		}
	}
	for (i = 0; i < pt->n; i++)
		close(pt->fds[i]);

	for (i = 0; i < state->nvips; i++) {
		const struct shoal_vip_state *v = &state->vips[i];
		struct dp_applied_vip *a = &dp->applied_vips[v->id];
		struct shoal_vip want = { .id = v->id,
					  .flags = v->flow_table ? 0 : SHOAL_VIP_F_NO_FLOWTABLE,
					  .table_size = v->table_size,
					  .scheduler = v->scheduler };
		int ret;

		if (a->present && !memcmp(&a->vip, &want, sizeof(want)))
			continue;
		ret = shoal_dp_vip_set(dp, &v->key, &want);
		count_error(dp, ret, &errors);
		if (!ret) {
			a->present = true;
			a->key = v->key;
			a->vip = want;
		}
	}
	free(pt);
	free(in_state);
	return errors;
}

__u64 shoal_dp_fingerprint(const struct shoal_dp *dp, __u32 vip_id)
{
	return vip_id < SHOAL_MAX_VIPS ? dp->applied_vips[vip_id].fingerprint : 0;
}

__u64 shoal_dp_write_errors(const struct shoal_dp *dp)
{
	return dp->write_errors;
}

int shoal_dp_read_state(struct shoal_dp *dp, struct shoal_state **ret)
{
	int vips_fd = bpf_map__fd(dp->skel->maps.vips);
	int be_fd = bpf_map__fd(dp->skel->maps.backends);
	struct shoal_vip_key key, next;
	struct shoal_state *s;
	void *prev = NULL;
	__u32 id, i;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	while (!bpf_map_get_next_key(vips_fd, prev, &next)) {
		struct shoal_vip_state *grown;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(vips_fd, &key, &id) || !id || id >= SHOAL_MAX_VIPS)
			continue;
		grown = realloc(s->vips, (s->nvips + 1) * sizeof(*grown));
		if (!grown)
			goto nomem;
		s->vips = grown;
		memset(&s->vips[s->nvips], 0, sizeof(s->vips[0]));
		s->vips[s->nvips].key = key;
		s->vips[s->nvips].id = id;
		s->nvips++;
		/* what the maps hold counts as applied: apply() removes what is gone */
		dp->applied_vips[id].present = true;
		dp->applied_vips[id].key = key;
		bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.vip_info), &id,
				    &dp->applied_vips[id].vip);
		dp->applied_vips[id].vip.flags &= ~SHOAL_VIP_F_ACTIVE;
	}
	for (id = 1; id < SHOAL_MAX_BACKENDS; id++) {
		struct shoal_backend be;

		if (bpf_map_lookup_elem(be_fd, &id, &be) || !(be.flags & SHOAL_BE_F_VALID))
			continue;
		dp->applied_be[id] = be;
		for (i = 0; i < s->nvips; i++) {
			struct shoal_vip_state *v = &s->vips[i];
			struct shoal_be_state *grown;

			if (v->id != be.vip_id)
				continue;
			grown = realloc(v->be, (v->nbe + 1) * sizeof(*grown));
			if (!grown)
				goto nomem;
			v->be = grown;
			memset(&v->be[v->nbe], 0, sizeof(v->be[0]));
			v->be[v->nbe].addr = be.addr;
			v->be[v->nbe].id = id;
			v->nbe++;
			break;
		}
	}
	*ret = s;
	return 0;
nomem:
	shoal_state_free(s);
	return -ENOMEM;
}

/* A second instance of the program with dry_run set, sharing every map but .rodata. */
static int dry_open(struct shoal_dp *dp)
{
	struct bpf_map *m, *mine;
	struct lb_bpf *d;
	int ret;

	d = lb_bpf__open();
	if (!d)
		return -errno;
	d->rodata->dry_run = 1;
	bpf_object__for_each_map(m, d->obj)
	{
		if (strstr(bpf_map__name(m), ".rodata"))
			continue;
		mine = bpf_object__find_map_by_name(dp->skel->obj, bpf_map__name(m));
		if (!mine) {
			ret = -ENOENT;
			goto destroy;
		}
		/* never pin the dry instance's view */
		bpf_map__set_pin_path(m, NULL);
		ret = bpf_map__reuse_fd(m, bpf_map__fd(mine));
		if (ret)
			goto destroy;
	}
	ret = lb_bpf__load(d);
	if (ret)
		goto destroy;
	dp->dry = d;
	return 0;
destroy:
	lb_bpf__destroy(d);
	return ret;
}

/* Ethernet + IP + TCP ACK / UDP: what the program needs to see. */
static size_t lookup_packet(const struct shoal_flow_key *k, __u8 *buf)
{
	bool v4 = shoal_addr_is_v4(&k->dst);
	size_t off = 14, l4;

	memset(buf, 0, 128);
	buf[12] = v4 ? 0x08 : 0x86;
	buf[13] = v4 ? 0x00 : 0xdd;
	if (v4) {
		buf[off] = 0x45;
		buf[off + 6] = 0x40; /* DF */
		buf[off + 8] = 64;
		buf[off + 9] = k->proto;
		memcpy(buf + off + 12, &k->src.u32[3], 4);
		memcpy(buf + off + 16, &k->dst.u32[3], 4);
		l4 = off + 20;
	} else {
		buf[off] = 0x60;
		buf[off + 6] = k->proto;
		buf[off + 7] = 64;
		memcpy(buf + off + 8, &k->src, 16);
		memcpy(buf + off + 24, &k->dst, 16);
		l4 = off + 40;
	}
	memcpy(buf + l4, &k->sport, 2);
	memcpy(buf + l4 + 2, &k->dport, 2);
	if (k->proto == 6) {
		buf[l4 + 12] = 0x50;
		buf[l4 + 13] = 0x10; /* ACK: not a new-connection SYN */
		l4 += 20;
	} else {
		buf[l4 + 5] = 8;
		l4 += 8;
	}
	if (v4) {
		buf[off + 3] = (__u8)(l4 - off);
	} else {
		buf[off + 5] = (__u8)(l4 - off - 40);
	}
	return l4;
}

int shoal_dp_lookup(struct shoal_dp *dp, const struct shoal_flow_key *key, struct shoal_lookup *ret)
{
	__u8 in[128], out[512];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	struct shoal_flow fl;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (key->proto != 6 && key->proto != 17)
		return -EINVAL;
	if (!dp->dry && (err = dry_open(dp)))
		return err;
	o.data_size_in = (__u32)lookup_packet(key, in);
	if (bpf_prog_test_run_opts(bpf_program__fd(dp->dry->progs.shoal_lb), &o))
		return -errno;
	if (!bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.flows), key, &fl)) {
		ret->in_flow_table = true;
		ret->backend_id = fl.backend_id;
	}
	if (o.retval == XDP_PASS) {
		ret->verdict = SHOAL_LOOKUP_PASS;
		return 0;
	}
	if (o.retval != XDP_TX || o.data_size_out < 14 + 20) {
		ret->verdict = SHOAL_LOOKUP_DROP;
		return 0;
	}
	ret->verdict = SHOAL_LOOKUP_FORWARD;
	{
		size_t l3 = out[12] == 0x81 ? 18 : 14;
		__u16 et = (__u16)((out[l3 - 2] << 8) | out[l3 - 1]);

		if (et == 0x0800) {
			__be32 v4;

			memcpy(&v4, out + l3 + 16, 4);
			shoal_addr_from_v4(&ret->backend, v4);
		} else if (o.data_size_out >= l3 + 40)
			memcpy(&ret->backend, out + l3 + 24, 16);
		else
			ret->verdict = SHOAL_LOOKUP_DROP;
	}
	return 0;
}

#define FLOW_COUNT_TTL_SEC 10

static long flow_count_walk(struct shoal_dp *dp);

long shoal_dp_flow_count(struct shoal_dp *dp)
{
	struct timespec now;
	long n;

	/* a walk of 1M entries takes ~0.4 s: callers get a count at most 10 s old */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (dp->flow_count_at && now.tv_sec - dp->flow_count_at < FLOW_COUNT_TTL_SEC)
		return dp->flow_count;
	n = flow_count_walk(dp);
	if (n >= 0) {
		dp->flow_count = n;
		dp->flow_count_at = now.tv_sec ? now.tv_sec : 1;
	}
	return n;
}

static long flow_count_walk(struct shoal_dp *dp)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	int fd = bpf_map__fd(dp->skel->maps.flows);
	struct shoal_flow_key *keys;
	struct shoal_flow *vals;
	static __u32 per_vip[SHOAL_MAX_VIPS];
	__u32 batch = 4096, n, in = 0, out = 0, i;
	void *inp = NULL;
	long total = 0;
	int ret;

	memset(per_vip, 0, sizeof(per_vip));
	keys = calloc(batch, sizeof(*keys));
	vals = calloc(batch, sizeof(*vals));
	if (!keys || !vals) {
		total = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = batch;
		ret = bpf_map_lookup_batch(fd, inp, &out, keys, vals, &n, &o);
		if (ret && errno != ENOENT) {
			total = -errno;
			break;
		}
		total += n;
		for (i = 0; i < n; i++)
			if (vals[i].vip_id < SHOAL_MAX_VIPS)
				per_vip[vals[i].vip_id]++;
		if (ret)
			break; /* ENOENT: the walk is complete */
		in = out;
		inp = &in;
	}
	if (total >= 0)
		memcpy(dp->vip_flows, per_vip, sizeof(per_vip));
out:
	free(keys);
	free(vals);
	return total;
}

long shoal_dp_vip_flow_count(struct shoal_dp *dp, __u32 vip_id)
{
	long n = shoal_dp_flow_count(dp);

	if (n < 0)
		return n;
	return vip_id < SHOAL_MAX_VIPS ? (long)dp->vip_flows[vip_id] : 0;
}
