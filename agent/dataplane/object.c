// SPDX-License-Identifier: GPL-2.0-only
/* The BPF object: open, load, pin, adopt, attach, close. Library code: returns -errno. */
#include <dirent.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "model/state.h"
#include "dataplane/internal.h"

static bool dp_quiet;

static void (*dp_logger)(bool warn, const char *line);

void shoal_dp_set_logger(void (*fn)(bool warn, const char *line))
{
	dp_logger = fn;
}

/* libbpf's own messages, a line at a time, through the caller's logger (else stderr). */
static int dp_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (dp_quiet || level == LIBBPF_DEBUG)
		return 0;
	if (!dp_logger)
		return vfprintf(stderr, fmt, ap);
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = 0;
	dp_logger(level == LIBBPF_WARN, line);
	return (int)n;
}

void shoal_dp_set_quiet(bool quiet)
{
	dp_quiet = quiet;
}

static int pin_prepare(struct shoal_dp *dp, const char *root);

static void dp_free(struct shoal_dp *dp)
{
	free(dp->applied_vips);
	free(dp->applied_be);
	free(dp->table_buf);
	free(dp->vip_rates);
	free(dp->be_rates);
	free(dp->vip_sums);
	free(dp->vip_retired);
	free(dp->be_sums);
	free(dp->walk);
	if (dp->flows_mem)
		munmap(dp->flows_mem, dp->flows_len);
	free(dp);
}

static __u16 ticks_of(__u32 s)
{
	__u64 t = ((__u64)s * 1000000000ULL + (1ULL << SHOAL_FLOW_TICK_SHIFT) - 1) >>
		  SHOAL_FLOW_TICK_SHIFT;

	return (__u16)(t > SHOAL_FLOW_TIME_MASK / 2 ? SHOAL_FLOW_TIME_MASK / 2 : t);
}

void shoal_dp_flow_idle_ticks(const struct shoal_flow_idle *s, __u16 ret[8])
{
	memset(ret, 0, 8 * sizeof(*ret));
	ret[SHOAL_FLOW_UNCONFIRMED] = ticks_of(s->unconfirmed);
	ret[SHOAL_FLOW_CONFIRMED] = ticks_of(s->tcp);
	ret[SHOAL_FLOW_CLOSING] = ticks_of(s->tcp_closing);
	ret[SHOAL_FLOW_UDP | SHOAL_FLOW_UNCONFIRMED] = ticks_of(s->unconfirmed);
	ret[SHOAL_FLOW_UDP | SHOAL_FLOW_CONFIRMED] = ticks_of(s->udp);
	ret[SHOAL_FLOW_UDP | SHOAL_FLOW_CLOSING] = ticks_of(s->udp);
}

/* Buckets for at least entries flows: a power of two (the program masks). */
__u32 shoal_dp_flow_buckets(__u32 entries)
{
	__u32 want = (entries + SHOAL_FLOW_WAYS - 1) / SHOAL_FLOW_WAYS, n = 1;

	while (n < want && n < (1U << 28))
		n <<= 1;
	return n;
}

/* The flow table, mapped: the agent reads and sweeps it without a syscall per bucket. */
static int flows_map(struct shoal_dp *dp)
{
	const struct bpf_map *m = dp->skel->maps.flows;
	long page = sysconf(_SC_PAGESIZE);
	void *mem;

	dp->flow_nbuckets = bpf_map__max_entries(m);
	dp->flows_len =
		((size_t)dp->flow_nbuckets * sizeof(struct shoal_flow_bucket) + (size_t)page - 1) &
		~((size_t)page - 1);
	mem = mmap(NULL, dp->flows_len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (mem == MAP_FAILED)
		return -errno;
	dp->flows_mem = mem;
	return 0;
}

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
	dp->vip_rates = calloc(SHOAL_MAX_VIPS, sizeof(*dp->vip_rates));
	dp->be_rates = calloc(SHOAL_MAX_BACKENDS, sizeof(*dp->be_rates));
	dp->vip_sums = calloc(SHOAL_MAX_VIPS, sizeof(*dp->vip_sums));
	dp->vip_retired = calloc(SHOAL_MAX_VIPS, sizeof(*dp->vip_retired));
	dp->be_sums = calloc(SHOAL_MAX_BACKENDS, sizeof(*dp->be_sums));
	if (!dp->applied_vips || !dp->applied_be || !dp->table_buf || !dp->vip_rates ||
	    !dp->be_rates || !dp->vip_sums || !dp->be_sums || !dp->vip_retired) {
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
	{
		__u32 nb = shoal_dp_flow_buckets(opts && opts->flow_entries ? opts->flow_entries
									    : SHOAL_DEFAULT_FLOWS);

		ret = bpf_map__set_max_entries(dp->skel->maps.flows, nb);
		if (ret)
			goto destroy_skel;
		dp->skel->rodata->flow_buckets = nb;
	}
	if (opts && opts->pin_dir) {
		ret = pin_prepare(dp, opts->pin_dir);
		if (ret)
			goto destroy_skel;
	}
	ret = lb_bpf__load(dp->skel);
	if (ret)
		goto destroy_skel;
	ret = flows_map(dp);
	if (ret)
		goto destroy_skel;
	if (dp->pin_dir[0])
		dp->adopted = dp->adopted && bpf_map__is_pinned(dp->skel->maps.flows);
	*ret_dp = dp;
	return 0;

destroy_skel:
	lb_bpf__destroy(dp->skel);
free_dp:
	dp_free(dp);
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
	dp_free(dp);
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

/* Our filter on the clsact egress hook: a fixed handle and priority, replaced in place. */
#define CHECK_TC_HANDLE 0x5c
#define CHECK_TC_PRIO	0x5c

int shoal_dp_checks_attach(struct shoal_dp *dp, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = CHECK_TC_HANDLE, .priority = CHECK_TC_PRIO,
		    .prog_fd = shoal_dp_check_prog_fd(dp), .flags = BPF_TC_F_REPLACE);
	bool was_quiet = dp_quiet;
	int ret;

	/* the clsact qdisc may be there already (a restart): libbpf would say so loudly */
	dp_quiet = true;
	ret = bpf_tc_hook_create(&hook);
	dp_quiet = was_quiet;
	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

int shoal_dp_checks_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = CHECK_TC_HANDLE, .priority = CHECK_TC_PRIO);
	int ret = bpf_tc_detach(&hook, &opts);

	return ret == -ENOENT || ret == -EINVAL ? 0 : ret;
}

int shoal_dp_prog_fd(const struct shoal_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.shoal_lb);
}

int shoal_dp_check_prog_fd(const struct shoal_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.shoal_check_encap);
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
	if (!c.flow_idle[SHOAL_FLOW_CONFIRMED]) {
		struct shoal_flow_idle d = SHOAL_FLOW_IDLE_DEFAULTS;

		shoal_dp_flow_idle_ticks(&d, c.flow_idle);
	}
	c.flags |= SHOAL_HOST_F_READY;
	c.flow_tick = shoal_dp_clock_ticks();
	/* .bss is mmap'ed: the program sees the new config at once */
	dp->skel->bss->host_cfg = c;
	return 0;
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
			/* down before the restart: kept out until its checks pass */
			if (be.flags & SHOAL_BE_F_DOWN) {
				v->be[v->nbe].health = SHOAL_HEALTH_DOWN;
				v->be[v->nbe].health_label = SHOAL_HL_DOWN;
				snprintf(v->be[v->nbe].health_desc,
					 sizeof(v->be[v->nbe].health_desc), "down");
				v->be[v->nbe].dp_flags =
					be.flags & (SHOAL_BE_F_DOWN | SHOAL_BE_F_RESCHEDULE);
			}
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
