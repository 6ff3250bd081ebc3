// SPDX-License-Identifier: GPL-2.0-only
/* State -> maps: the only writer of the balancer's maps. Returns -errno, logs nothing. */
#include <sys/mman.h>
#include <stdint.h>
#include <time.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/internal.h"

#include "model/addr.h"
#include "model/maglev.h"
#include "shoal/jhash.h"
#include "model/state.h"

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

/*
 * The backends written for VIP key (their entries carry it): with flags
 * changed by set/clear, or (del) retired, so a hit on them stops at once.
 */
static void vip_backends_update(struct shoal_dp *dp, const struct shoal_vip_key *key, bool del,
				__u16 set, __u16 clear)
{
	__u32 id;

	for (id = 1; id < SHOAL_MAX_BACKENDS; id++) {
		struct shoal_backend b = dp->applied_be[id];

		if (!(b.flags & SHOAL_BE_F_VALID) || memcmp(&b.vip, key, sizeof(*key)))
			continue;
		if (del) {
			shoal_dp_backend_del(dp, id);
			continue;
		}
		b.flags = (__u16)((b.flags | set) & ~clear);
		if (b.flags != dp->applied_be[id].flags && !shoal_dp_backend_set(dp, id, &b))
			dp->applied_be[id] = b;
	}
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
	/* its backends carry whether it keeps flows (a hit reads only them) */
	if (vip->flags & SHOAL_VIP_F_NO_FLOWTABLE)
		vip_backends_update(dp, key, false, SHOAL_BE_F_NO_FLOWTABLE, 0);
	else
		vip_backends_update(dp, key, false, 0, SHOAL_BE_F_NO_FLOWTABLE);
	/* properties first, then the key: the program never finds a half-made VIP */
	info.flags |= SHOAL_VIP_F_ACTIVE;
	info.key = *key;
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
		vip_backends_update(dp, key, true, 0, 0);
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

/*
 * A new inner table: slot 0 holds size, slots 1..size the ids of
 * table[0..size). Returns its fd or -errno.
 */
static int table_prepare(const __u32 *table, __u32 size)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	__u32 n = size + SHOAL_TABLE_HDR, i, check, *mem;
	/* an array map's elements are 8-byte aligned: a __u32 value takes 8 bytes */
	size_t len = ((size_t)n * sizeof(__u64) + 4095) & ~(size_t)4095;
	int inner_fd, ret;

	inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "shoal_table", sizeof(__u32), sizeof(__u32),
				  n, &copts);
	if (inner_fd < 0)
		return -errno;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, inner_fd, 0);
	if (mem == MAP_FAILED) {
		ret = -errno;
		close(inner_fd);
		return ret;
	}
	/* no program sees this map before the swap: plain stores are safe */
	mem[0] = size;
	for (i = 0; i < size; i++)
		mem[2 * ((size_t)i + SHOAL_TABLE_HDR)] = table[i];
	munmap(mem, len);
	/* the stride is the kernel's layout: check it, else fill slot by slot */
	i = n - 1;
	if (bpf_map_lookup_elem(inner_fd, &i, &check) || check != table[size - 1]) {
		for (i = 0; i < n; i++) {
			__u32 v = i ? table[i - SHOAL_TABLE_HDR] : size;

			if (bpf_map_update_elem(inner_fd, &i, &v, BPF_ANY)) {
				ret = -errno;
				close(inner_fd);
				return ret;
			}
		}
	}
	return inner_fd;
}

/*
 * Swaps the prepared tables into their VIPs' slots. Each update of an
 * array-of-maps waits for an RCU grace period (tens of ms here) so that no
 * program still reads the old table when it returns; all of them go in one
 * batch, which waits once; per slot where batches are refused.
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
	if (dp->applied_be[id].vip_id != b.vip_id ||
	    memcmp(&dp->applied_be[id].vip, &b.vip, sizeof(b.vip)))
		dp_backend_retire(dp, id); /* the id serves another VIP now */
	dp->applied_be[id] = b;
	return 0;
}

int shoal_dp_backend_del(struct shoal_dp *dp, __u32 id)
{
	struct shoal_backend b = {};

	if (id == SHOAL_BACKEND_NONE || id >= SHOAL_MAX_BACKENDS)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.backends), &id, &b, BPF_ANY))
		return -errno;
	dp_backend_retire(dp, id);
	memset(&dp->applied_be[id], 0, sizeof(dp->applied_be[id]));
	return 0;
}

int shoal_dp_table_del(struct shoal_dp *dp, __u32 vip_id)
{
	if (vip_id >= SHOAL_MAX_VIPS)
		return -EINVAL;
	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.vip_tables), &vip_id) && errno != ENOENT)
		return -errno;
	return 0;
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

/*
 * An apply in phases, each cut into slices of a time budget so the agent's
 * loop never waits long for it. The order is what keeps traffic whole:
 *   backends   every backend of the new state is written (valid) first;
 *   tables     changed tables are built into fresh inner maps;
 *   swap       all of them replace the old ones in one batch (one RCU wait:
 *              when it returns no program reads an old table any more);
 *   vips gone  removed VIPs leave (their packets go to the kernel);
 *   vips       new and changed VIPs are written, properties before keys;
 *   retire     only now are backends no table names invalidated, and the
 *              tables of removed VIPs freed.
 * So a packet never meets a table slot naming an invalid backend, and a
 * table never meets another table's size (it carries its own).
 */
enum apply_phase {
	PH_BACKENDS,
	PH_TABLES,
	PH_SWAP,
	PH_VIPS_GONE,
	PH_VIPS,
	PH_RETIRE,
	PH_DONE,
};

struct pending_table {
	__u32 id;
	int fd;
	__u64 hash, print, inputs;
};

struct shoal_dp_apply {
	struct shoal_dp *dp;
	const struct shoal_state *s;
	enum apply_phase phase;
	size_t vi, bi; /* cursor over s->vips[vi].be[bi] */
	__u32 id;      /* cursor over ids */
	__u8 *be_in_state;
	__u8 vip_in_state[SHOAL_MAX_VIPS / 8];
	struct pending_table *pt;
	__u32 npt;
	int errors;
};

static bool bit_test(const __u8 *bits, __u32 i)
{
	return bits[i / 8] & (1U << (i % 8));
}

static void bit_set(__u8 *bits, __u32 i)
{
	bits[i / 8] |= (__u8)(1U << (i % 8));
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void apply_error(struct shoal_dp_apply *ap, int ret)
{
	if (ret) {
		ap->dp->write_errors++;
		ap->errors++;
	}
}

int shoal_dp_apply_begin(struct shoal_dp *dp, const struct shoal_state *s,
			 struct shoal_dp_apply **ret)
{
	struct shoal_dp_apply *ap;
	size_t i, j;

	ap = calloc(1, sizeof(*ap));
	if (!ap)
		return -ENOMEM;
	ap->be_in_state = calloc(SHOAL_MAX_BACKENDS / 8, 1);
	ap->pt = calloc(s->nvips ? s->nvips : 1, sizeof(*ap->pt));
	if (!ap->be_in_state || !ap->pt) {
		free(ap->be_in_state);
		free(ap->pt);
		free(ap);
		return -ENOMEM;
	}
	ap->dp = dp;
	ap->s = s;
	for (i = 0; i < s->nvips; i++) {
		bit_set(ap->vip_in_state, s->vips[i].id);
		for (j = 0; j < s->vips[i].nbe; j++)
			bit_set(ap->be_in_state, s->vips[i].be[j].id);
	}
	*ret = ap;
	return 0;
}

static void backend_write(struct shoal_dp_apply *ap, const struct shoal_vip_state *v,
			  const struct shoal_be_state *b)
{
	struct shoal_dp *dp = ap->dp;
	struct shoal_backend be = { .addr = b->addr,
				    .family = (__u8)b->family,
				    .encap = b->encap,
				    .flags = (__u16)(SHOAL_BE_F_VALID | b->dp_flags |
						     (v->flow_table ? 0 : SHOAL_BE_F_NO_FLOWTABLE)),
				    .vip_id = v->id,
				    .vip = v->key };
	int ret;

	if (!memcmp(&dp->applied_be[b->id], &be, sizeof(be)))
		return;
	ret = shoal_dp_backend_set(dp, b->id, &be);
	apply_error(ap, ret);
	if (!ret)
		dp->applied_be[b->id] = be;
}

/* Builds v's table; if it changed, prepares a new inner map for the batch swap. */
static int table_build(struct shoal_dp_apply *ap, const struct shoal_vip_state *v)
{
	struct shoal_dp *dp = ap->dp;
	struct dp_applied_vip *a = &dp->applied_vips[v->id];
	__u64 inputs = table_inputs_hash(v), h;
	struct pending_table *pt;
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
	pt = &ap->pt[ap->npt++];
	pt->id = v->id;
	pt->fd = fd;
	pt->hash = h;
	pt->inputs = inputs;
	pt->print = maglev_fingerprint(dp->table_buf, v->table_size, mb, v->nbe);
free_mb:
	free(mb);
	return ret;
}

static void tables_swap_pending(struct shoal_dp_apply *ap)
{
	__u32 *ids = calloc(ap->npt ? ap->npt : 1, sizeof(*ids));
	int *fds = calloc(ap->npt ? ap->npt : 1, sizeof(*fds));
	__u32 i;

	if (!ids || !fds) {
		apply_error(ap, -ENOMEM);
		goto out;
	}
	for (i = 0; i < ap->npt; i++) {
		ids[i] = ap->pt[i].id;
		fds[i] = ap->pt[i].fd;
	}
	if (tables_swap(ap->dp, ids, fds, ap->npt)) {
		apply_error(ap, -EIO);
		goto out;
	}
	for (i = 0; i < ap->npt; i++) {
		struct dp_applied_vip *a = &ap->dp->applied_vips[ap->pt[i].id];

		a->table_hash = ap->pt[i].hash;
		a->table_inputs = ap->pt[i].inputs;
		a->fingerprint = ap->pt[i].print;
	}
out:
	free(ids);
	free(fds);
}

/* Whether VIP id is applied under a key that the new state still gives it. */
static bool vip_kept(const struct shoal_dp_apply *ap, __u32 id)
{
	const struct dp_applied_vip *a = &ap->dp->applied_vips[id];
	size_t i;

	if (!bit_test(ap->vip_in_state, id))
		return false;
	for (i = 0; i < ap->s->nvips; i++)
		if (ap->s->vips[i].id == id)
			return !memcmp(&ap->s->vips[i].key, &a->key, sizeof(a->key));
	return false;
}

static void vip_write(struct shoal_dp_apply *ap, const struct shoal_vip_state *v)
{
	struct dp_applied_vip *a = &ap->dp->applied_vips[v->id];
	struct shoal_vip want = { .id = v->id,
				  .flags = v->flow_table ? 0 : SHOAL_VIP_F_NO_FLOWTABLE,
				  .key = v->key,
				  .scheduler = v->scheduler };
	int ret;

	if (a->present && !memcmp(&a->vip, &want, sizeof(want)))
		return;
	ret = shoal_dp_vip_set(ap->dp, &v->key, &want);
	apply_error(ap, ret);
	if (!ret) {
		a->present = true;
		a->key = v->key;
		a->vip = want;
	}
}

/* One unit of work of the current phase; false when the phase is over. */
static bool apply_unit(struct shoal_dp_apply *ap)
{
	const struct shoal_state *s = ap->s;
	struct shoal_dp *dp = ap->dp;

	switch (ap->phase) {
	case PH_BACKENDS:
		while (ap->vi < s->nvips && ap->bi >= s->vips[ap->vi].nbe) {
			ap->vi++;
			ap->bi = 0;
		}
		if (ap->vi >= s->nvips)
			return false;
		backend_write(ap, &s->vips[ap->vi], &s->vips[ap->vi].be[ap->bi++]);
		return true;
	case PH_TABLES:
		if (ap->vi >= s->nvips)
			return false;
		apply_error(ap, table_build(ap, &s->vips[ap->vi++]));
		return true;
	case PH_SWAP:
		tables_swap_pending(ap);
		return false;
	case PH_VIPS_GONE:
		for (; ap->id < SHOAL_MAX_VIPS; ap->id++) {
			struct dp_applied_vip *a = &dp->applied_vips[ap->id];

			if (!a->present || vip_kept(ap, ap->id))
				continue;
			apply_error(ap, shoal_dp_vip_del(dp, &a->key));
			a->present = false;
			ap->id++;
			return true;
		}
		return false;
	case PH_VIPS:
		if (ap->vi >= s->nvips)
			return false;
		vip_write(ap, &s->vips[ap->vi++]);
		return true;
	case PH_RETIRE:
		/* backend ids first, then VIP ids (id counts past SHOAL_MAX_BACKENDS) */
		for (; ap->id < SHOAL_MAX_BACKENDS; ap->id++) {
			__u32 id = ap->id;

			if (!(dp->applied_be[id].flags & SHOAL_BE_F_VALID) ||
			    bit_test(ap->be_in_state, id))
				continue;
			apply_error(ap, shoal_dp_backend_del(dp, id));
			memset(&dp->applied_be[id], 0, sizeof(dp->applied_be[id]));
			ap->id++;
			return true;
		}
		for (; ap->id < SHOAL_MAX_BACKENDS + SHOAL_MAX_VIPS; ap->id++) {
			__u32 vid = ap->id - SHOAL_MAX_BACKENDS;
			struct dp_applied_vip *a = &dp->applied_vips[vid];

			if (!vid || bit_test(ap->vip_in_state, vid) || a->present || !a->table_hash)
				continue;
			apply_error(ap, shoal_dp_table_del(dp, vid));
			memset(a, 0, sizeof(*a));
			ap->id++;
			return true;
		}
		return false;
	case PH_DONE:
		break;
	}
	return false;
}

int shoal_dp_apply_step(struct shoal_dp_apply *ap, __u64 budget_ns)
{
	__u64 deadline = budget_ns == UINT64_MAX ? UINT64_MAX : now_ns() + budget_ns;

	while (ap->phase != PH_DONE) {
		if (!apply_unit(ap)) {
			ap->phase++;
			ap->vi = 0;
			ap->bi = 0;
			ap->id = 1; /* ids start at 1 */
			continue;
		}
		if (deadline != UINT64_MAX && now_ns() >= deadline)
			break;
	}
	return ap->phase != PH_DONE;
}

int shoal_dp_apply_end(struct shoal_dp_apply *ap)
{
	__u32 i;
	int errors;

	if (!ap)
		return 0;
	for (i = 0; i < ap->npt; i++)
		close(ap->pt[i].fd);
	errors = ap->errors;
	free(ap->pt);
	free(ap->be_in_state);
	free(ap);
	return errors;
}

int shoal_dp_apply(struct shoal_dp *dp, const struct shoal_state *state)
{
	struct shoal_dp_apply *ap;

	if (shoal_dp_apply_begin(dp, state, &ap)) {
		dp->write_errors++;
		return 1;
	}
	shoal_dp_apply_step(ap, UINT64_MAX);
	return shoal_dp_apply_end(ap);
}

__u64 shoal_dp_fingerprint(const struct shoal_dp *dp, __u32 vip_id)
{
	return vip_id < SHOAL_MAX_VIPS ? dp->applied_vips[vip_id].fingerprint : 0;
}

__u64 shoal_dp_write_errors(const struct shoal_dp *dp)
{
	return dp->write_errors;
}
