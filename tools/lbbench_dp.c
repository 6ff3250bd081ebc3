// SPDX-License-Identifier: GPL-2.0-only
/*
 * lbbench dataplane and lbbench flood: lb.bpf.o (and with --old, an older
 * object built from git, set up on the same maps) per packet, cold and warm,
 * and a SYN flood against confirmed flows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench_floor.skel.h"
#include "bench_warm.skel.h"
#include "dataplane/internal.h"
#include "lbbench.h"
#include "lbfix.h"
#include "model/addr.h"
#include "shoal/jhash.h"

/*
 * Warm: few calls of many packets. A test run of repeat > 1 switches the XDP
 * dispatcher to the program and back, each switch an RCU grace period
 * (milliseconds): calls must be few.
 */
#define WARM_REPEAT 8192
#define WARM_CALLS  15

const char *vip_addr(int i, char *buf, size_t len)
{
	if (i < 70)
		snprintf(buf, len, "192.0.2.%d", 1 + i);
	else
		snprintf(buf, len, "2001:db8:1::%x", i);
	return buf;
}

/* 40 TCP and 30 UDP IPv4 VIPs, 30 TCP IPv6 VIPs; 100 backends each. */
int setup_vips(struct lbfix *f, struct lbfix_vip *vips, __u8 encap)
{
	static char addrs[NBACKENDS][64];
	struct lbfix_backend bes[NBACKENDS];
	char va[64];
	int v, b, ret;

	for (v = 0; v < NVIPS; v++) {
		for (b = 0; b < NBACKENDS; b++) {
			/* 10,000 distinct backends: IPv4 for IPv4 VIPs, IPv6 for IPv6 ones */
			if (v < 70)
				snprintf(addrs[b], sizeof(addrs[b]), "198.%d.%d.%d", 18 + v / 50,
					 v % 50 + 100, b + 1);
			else
				snprintf(addrs[b], sizeof(addrs[b]), "2001:db8:b:%x::%x", v, b + 1);
			bes[b] = (struct lbfix_backend){ addrs[b], encap, 1 };
		}
		ret = lbfix_vip_add(f, vip_addr(v, va, sizeof(va)), v >= 40 && v < 70 ? 53 : 80,
				    v >= 40 && v < 70 ? IPPROTO_UDP : IPPROTO_TCP,
				    SHOAL_SCHED_MAGLEV, 0, bes, NBACKENDS, 0, &vips[v]);
		if (ret)
			return ret;
	}
	return 0;
}

static int set_encap(struct lbfix *f, struct lbfix_vip *vips, __u8 encap)
{
	int v;
	size_t b;

	for (v = 0; v < NVIPS; v++) {
		for (b = 0; b < vips[v].nbe; b++) {
			struct shoal_backend be = { .addr = vips[v].be[b].addr,
						    .family = shoal_addr_is_v4(&vips[v].be[b].addr)
								      ? AF_INET
								      : AF_INET6,
						    .encap = encap,
						    .vip_id = vips[v].id,
						    .vip = vips[v].key };
			int ret = shoal_dp_backend_set(f->dp, vips[v].be[b].id, &be);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * Fills n ways of the flow table (fd) with live confirmed flows naming the
 * backends ids[0..nids), spread evenly over the buckets, as a busy
 * balancer's table would be.
 */
static int table_fill(int fd, __u32 n, const __u32 *ids, __u32 nids, __u32 now)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), nb, b, j, per, extra, k = 0, chunk = 16384;
	struct shoal_flow_bucket *vals = NULL;
	__u32 *keys = NULL;
	int ret = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	nb = info.max_entries;
	if (n > nb * SHOAL_FLOW_WAYS)
		n = nb * SHOAL_FLOW_WAYS;
	per = n / nb;
	extra = n % nb;
	keys = calloc(chunk, sizeof(*keys));
	vals = calloc(chunk, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (b = 0; b < nb && !ret; b += chunk) {
		__u32 count = nb - b < chunk ? nb - b : chunk, i;

		for (i = 0; i < count; i++) {
			keys[i] = b + i;
			memset(&vals[i], 0, sizeof(vals[i]));
			for (j = 0; j < per + (b + i < extra); j++, k++)
				vals[i].way[j] =
					SHOAL_FLOW_ENTRY((k * 2654435761U) >> 7, ids[k % nids], now,
							 SHOAL_FLOW_CONFIRMED);
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, &o))
			ret = -errno;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

/* Fills n ways of the flow table with flows of the v4 TCP VIPs' backends. */
int prefill_flows(struct lbfix *f, struct lbfix_vip *vips, __u32 n)
{
	static __u32 ids[40 * NBACKENDS];
	__u32 i;

	for (i = 0; i < 40 * NBACKENDS; i++)
		ids[i] = vips[i % 40].be[(i / 40) % NBACKENDS].id;
	return table_fill(shoal_dp_map_fd(f->dp, "flows"), n, ids, 40 * NBACKENDS,
			  shoal_dp_flow_tick(f->dp));
}

/*
 * An older lb.bpf.o (ABI 5: the LRU flow table and the per-CPU flow cache),
 * loaded beside the current one: every map of the same name and layout is
 * the current dp's (VIPs, tables, counters); its flow table and cache, and
 * maps whose layout changed since (backends: synced from the current ones),
 * are its own; its .bss gets the current host config and prefilter, placed
 * by its BTF. So both see the same VIPs and backends.
 */
struct old_flow { /* ABI 5's flow-table value */
	__u32 backend_id;
	__u16 vip_id;
	__u16 flags;
	__u32 hash;
	__u32 last_seen_jiffies;
};

/* The old object's prefilter (of its own size) over the VIP addresses in vip_addrs. */
static void old_prefilter(struct shoal_dp *dp, __u64 *words, __u32 bytes)
{
	int fd = bpf_map__fd(dp->skel->maps.vip_addrs), bits = 0;
	struct shoal_addr key, next;
	void *prev = NULL;

	while ((1U << bits) < bytes * 8)
		bits++;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		__u32 bit = shoal_prefilter_bit_of(shoal_addr_fold(&next), (__u32)bits);

		words[bit >> 6] |= 1ULL << (bit & 63);
		key = next;
		prev = &key;
	}
}

/*
 * The old object's .bss (host config, prefilter) or .rodata (the flow table's
 * size), variable by variable: the layout around them may differ.
 */
static int old_datasec(struct bpf_object *obj, struct bpf_map *bss, struct shoal_dp *dp,
		       const char *sec)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	size_t size = bpf_map__value_size(bss), isize = 0;
	const void *init = bpf_map__initial_value(bss, &isize);
	__u8 *img = calloc(1, size);
	int id, i, ret;

	if (!img || !btf)
		return -ENOMEM;
	if (init && isize <= size)
		memcpy(img, init, isize); /* what is not set here keeps its value */
	id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	if (id < 0) {
		free(img);
		return id;
	}
	t = btf__type_by_id(btf, (__u32)id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const char *n = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);
		const void *src = NULL;
		size_t len = 0;

		if (!strcmp(n, "host_cfg")) {
			src = &dp->skel->bss->host_cfg;
			len = sizeof(dp->skel->bss->host_cfg);
		} else if (!strcmp(n, "vip_prefilter") && vs->offset + vs->size <= size) {
			old_prefilter(dp, (__u64 *)(img + vs->offset), vs->size);
		} else if (!strcmp(n, "flow_buckets")) {
			src = &dp->skel->rodata->flow_buckets;
			len = sizeof(dp->skel->rodata->flow_buckets);
		}
		if (src && vs->offset + vs->size <= size)
			memcpy(img + vs->offset, src, len < vs->size ? len : vs->size);
	}
	ret = bpf_map__set_initial_value(bss, img, size);
	free(img);
	return ret;
}

static int old_load(const char *path, struct shoal_dp *dp, __u32 flows, struct bpf_object **ret,
		    int *ret_prog)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *m;
	int err = 0;

	if (!obj)
		return -errno;
	bpf_object__for_each_map(m, obj)
	{
		const char *name = bpf_map__name(m);
		int fd;

		if (strstr(name, ".rodata")) {
			err = old_datasec(obj, m, dp, ".rodata");
		} else if (strstr(name, ".bss")) {
			err = old_datasec(obj, m, dp, ".bss");
		} else if (!strcmp(name, "flows") && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY) {
			/* an object of this flow table's layout shares the table */
			if (bpf_map__value_size(m) != sizeof(struct shoal_flow_bucket))
				err = -EPROTO;
			else
				err = bpf_map__reuse_fd(m, shoal_dp_map_fd(dp, name));
		} else if (!strcmp(name, "flows")) {
			if (bpf_map__type(m) != BPF_MAP_TYPE_LRU_HASH ||
			    bpf_map__value_size(m) != sizeof(struct old_flow))
				err = -EPROTO; /* not the object this comparison knows */
			else
				err = bpf_map__set_max_entries(m, flows);
		} else if (strcmp(name, "flow_cache")) {
			const struct bpf_map *mine =
				bpf_object__find_map_by_name(dp->skel->obj, name);

			/* a map whose layout changed since (backends) is its own: synced below */
			fd = shoal_dp_map_fd(dp, name);
			if (mine && fd >= 0 && bpf_map__value_size(mine) == bpf_map__value_size(m))
				err = bpf_map__reuse_fd(m, fd);
		}
		if (err)
			goto fail;
	}
	err = bpf_object__load(obj);
	if (err)
		goto fail;
	prog = bpf_object__find_program_by_name(obj, "shoal_lb");
	if (!prog) {
		err = -ENOENT;
		goto fail;
	}
	*ret = obj;
	*ret_prog = bpf_program__fd(prog);
	return 0;
fail:
	bpf_object__close(obj);
	return err;
}

/* The old object's own backends map: each current backend's leading fields (its layout). */
static int old_backends_sync(struct bpf_object *obj, struct shoal_dp *dp)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "backends");
	size_t vs = m ? bpf_map__value_size(m) : 0;
	__u32 id;

	if (!m || vs > sizeof(struct shoal_backend))
		return -EPROTO;
	for (id = 1; id < SHOAL_MAX_BACKENDS; id++)
		if ((dp->applied_be[id].flags & SHOAL_BE_F_VALID) &&
		    bpf_map_update_elem(bpf_map__fd(m), &id, &dp->applied_be[id], BPF_ANY))
			return -errno;
	return 0;
}

/* Fills 3/4 of this CPU's share of the old LRU table (each CPU has its own free list). */
static int old_prefill(struct bpf_object *obj, struct lbfix_vip *vips, __u32 flows)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "flows");
	int fd = bpf_map__fd(m);
	__u32 n = (__u32)((__u64)flows * 3 / 4 / (__u32)libbpf_num_possible_cpus()), i, done;
	struct shoal_flow_key *keys = calloc(n, sizeof(*keys));
	struct old_flow *vals = calloc(n, sizeof(*vals));
	int ret = 0;

	if (bpf_map__type(m) == BPF_MAP_TYPE_ARRAY)
		goto out; /* the shared table, filled already */
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct lbfix_vip *v = &vips[i % 40];

		shoal_addr_from_v4(&keys[i].src, htonl(0x0a000000 | (i >> 4)));
		keys[i].dst = v->key.addr;
		keys[i].sport = htons((__u16)(1024 + (i & 0xfff)));
		keys[i].dport = v->key.port;
		keys[i].proto = IPPROTO_TCP;
		vals[i].backend_id = v->be[i % NBACKENDS].id;
		vals[i].vip_id = (__u16)v->id;
		vals[i].hash = i * 2654435761U;
	}
	for (done = 0; done < n && !ret; done += 65536) {
		__u32 count = n - done < 65536 ? n - done : 65536;

		if (bpf_map_update_batch(fd, keys + done, vals + done, &count, &o))
			ret = -errno;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

enum { NEW_COLD, NEW_WARM, OLD_COLD, OLD_WARM, NVARIANTS };
static const char *const variant_names[NVARIANTS] = { "cold", "warm", "old_cold", "old_warm" };

struct dp_bench {
	struct lbfix f;
	struct lbfix_vip vips[NVIPS];
	struct bench_floor_bpf *floor;
	struct bench_warm_bpf *warm;
	struct bpf_object *old;
	int prog, old_prog, floor_prog;
};

static void dp_bench_close(struct dp_bench *b)
{
	bpf_object__close(b->old);
	bench_warm_bpf__destroy(b->warm);
	bench_floor_bpf__destroy(b->floor);
	lbfix_close(&b->f);
}

/* The balancer (and the old one) on 100 VIPs x 100 backends, the floor, the warm wrapper. */
static int dp_bench_open(struct dp_bench *b, int cpu, __u32 flows, const char *old)
{
	int ret = pin_cpu(cpu);

	if (ret)
		fprintf(stderr, "lbbench: cannot pin to CPU %d: %s\n", cpu, strerror(-ret));
	ret = lbfix_open(&b->f, flows);
	if (ret) {
		fprintf(stderr, "lbbench: load lb.bpf.o: %s\n", strerror(-ret));
		return ret;
	}
	b->floor = bench_floor_bpf__open_and_load();
	b->warm = bench_warm_bpf__open_and_load();
	if (!b->floor || !b->warm) {
		fprintf(stderr, "lbbench: load bench_floor.bpf.o / bench_warm.bpf.o failed\n");
		return -EINVAL;
	}
	ret = setup_vips(&b->f, b->vips, SHOAL_ENCAP_GUE);
	if (ret) {
		fprintf(stderr, "lbbench: set-up: %s\n", strerror(-ret));
		return ret;
	}
	b->prog = shoal_dp_prog_fd(b->f.dp);
	b->floor_prog = bpf_program__fd(b->floor->progs.shoal_floor);
	b->old_prog = -1;
	if (old) {
		ret = old_load(old, b->f.dp, flows, &b->old, &b->old_prog);
		if (ret) {
			fprintf(stderr, "lbbench: load %s: %s\n", old, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int bench_dataplane(bool json, __u32 calls, int cpu, __u32 flows, int runs, const char *old)
{
	static struct result all[NVARIANTS][MAX_RUNS][MAX_CASES];
	static struct result res[NVARIANTS][MAX_CASES];
	static struct dp_bench b;
	static const __u8 encaps[2] = { SHOAL_ENCAP_GUE, SHOAL_ENCAP_IPIP };
	static const char *const encap_names[2] = { "gue", "ipip" };
	int ncases = 0, e, run, c, v, ret, nv = old ? NVARIANTS : 2;
	__u32 warm_calls = WARM_CALLS;
	__u32 capacity;

	ret = dp_bench_open(&b, cpu, flows, old);
	if (ret)
		goto out;
	/* three ways in four of the table hold live flows, as on a busy balancer */
	capacity = shoal_dp_flow_capacity(b.f.dp);
	ret = prefill_flows(&b.f, b.vips, capacity / 4 * 3);
	if (!ret && b.old)
		ret = old_prefill(b.old, b.vips, flows);
	if (ret) {
		fprintf(stderr, "lbbench: filling the flow tables: %s\n", strerror(-ret));
		goto out;
	}
	for (run = 0; run < runs; run++)
		for (e = 0; e < 2; e++) {
			struct pkt_spec syn = { .src = "203.0.113.9",
						.dst = "192.0.2.7",
						.sport = 7,
						.dport = 80,
						.proto = IPPROTO_TCP,
						.payload = 0 };
			struct pkt_spec est = { .src = "203.0.113.10",
						.dst = "192.0.2.8",
						.sport = 5555,
						.dport = 80,
						.proto = IPPROTO_TCP,
						.tcp_flags = PKT_TCP_ACK,
						.payload = 64 };
			struct pkt_spec udp = { .src = "203.0.113.11",
						.dst = "192.0.2.50",
						.sport = 5353,
						.dport = 53,
						.proto = IPPROTO_UDP,
						.payload = 64 };
			struct pkt_spec v6 = { .src = "2001:db8:c::11",
					       .dst = "2001:db8:1::50",
					       .sport = 5555,
					       .dport = 80,
					       .proto = IPPROTO_TCP,
					       .tcp_flags = PKT_TCP_ACK,
					       .payload = 64 };
			struct pkt_spec pass = { .src = "203.0.113.12",
						 .dst = "198.51.100.200",
						 .sport = 5555,
						 .dport = 80,
						 .proto = IPPROTO_TCP,
						 .tcp_flags = PKT_TCP_ACK,
						 .payload = 64 };
			struct pkt_spec rsyn = syn;
			struct {
				const char *name;
				struct pkt_spec *s;
				bool new_flows;
				__u32 verdict;
			} cases[] = {
				{ "tcp_syn_new_flow", &syn, true, XDP_TX },
				{ "tcp_syn_known_flow", &rsyn, false, XDP_TX },
				{ "tcp_established", &est, false, XDP_TX },
				{ "udp", &udp, false, XDP_TX },
				{ "ipv6_tcp_established", &v6, false, XDP_TX },
				{ "non_vip_pass", &pass, false, XDP_PASS },
			};
			size_t ci;

			ret = set_encap(&b.f, b.vips, encaps[e]);
			if (!ret && b.old)
				ret = old_backends_sync(b.old, b.f.dp);
			if (ret)
				goto out;
			if (e == 0)
				ncases = 0;
			for (ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
				__u8 pkt[PKT_MAX];
				size_t len = pkt_build(cases[ci].s, pkt, sizeof(pkt));
				char name[48];

				snprintf(name, sizeof(name), "%s/%s", cases[ci].name,
					 encap_names[e]);
				/* old and new alternate, so the VM's drift hits both alike */
				for (v = 0; v < nv && !ret; v++) {
					int p = v < OLD_COLD ? b.prog : b.old_prog;
					struct result *r = &all[v][run][ncases];

					if (v == NEW_COLD || v == OLD_COLD)
						ret = measure(name, p, b.floor_prog, pkt, len,
							      cases[ci].new_flows,
							      cases[ci].verdict, calls, r);
					else
						ret = measure_warm(name, b.warm, p, b.floor_prog,
								   pkt, len, cases[ci].new_flows,
								   cases[ci].verdict, warm_calls,
								   WARM_REPEAT, r);
				}
				if (ret)
					goto out;
				ncases++;
			}
		}
	/* per case, the median over runs of each figure: the VM's speed drifts */
	for (v = 0; v < nv; v++)
		for (c = 0; c < ncases; c++)
			median_over_runs(all[v], runs, c, &res[v][c]);
	if (json) {
		printf("{");
		for (v = 0; v < nv; v++) {
			printf("%s\"%s\": ", v ? ",\n" : "", variant_names[v]);
			print_results(res[v], ncases, true);
		}
		printf("}\n");
		goto out;
	}
	printf("lb.bpf.o%s%s: cold = BPF_PROG_TEST_RUN repeat=1 (%u calls per case after %d "
	       "warm-up), warm = %d packets per call through bench_warm.bpf.o (%u calls); CPU %d, "
	       "median of %d runs; %d VIPs x %d backends; flow table %u entries, 3/4 full%s\n",
	       old ? " and " : "", old ? old : "", calls, WARMUP, WARM_REPEAT, warm_calls, cpu,
	       runs, NVIPS, NBACKENDS, capacity, old ? " (old: 3/4 of this CPU's LRU share)" : "");
	printf("%-28s %9s %9s", "ns above the floor", "cold", "warm");
	if (old)
		printf(" %9s %9s %9s %9s", "old_cold", "old_warm", "new/old", "warm n/o");
	printf("\n");
	for (c = 0; c < ncases; c++) {
		printf("%-28s %9llu %9llu", res[0][c].name, (unsigned long long)res[0][c].above_ns,
		       (unsigned long long)res[1][c].above_ns);
		if (old)
			printf(" %9llu %9llu %9.2f %9.2f", (unsigned long long)res[2][c].above_ns,
			       (unsigned long long)res[3][c].above_ns,
			       res[2][c].above_ns ? (double)res[0][c].above_ns / res[2][c].above_ns
						  : 0.0,
			       res[3][c].above_ns ? (double)res[1][c].above_ns / res[3][c].above_ns
						  : 0.0);
		printf("\n");
	}
	printf("floor (median): cold %llu ns, warm %llu ns\n",
	       (unsigned long long)res[0][0].floor_ns, (unsigned long long)res[1][0].floor_ns);
	/* the yardsticks: a new flow against an established one, GUE */
	for (v = 0; v < nv; v++)
		if (res[v][2].above_ns)
			printf("%-9s new flow / established: %.2f\n", variant_names[v],
			       (double)res[v][0].above_ns / res[v][2].above_ns);
out:
	dp_bench_close(&b);
	return ret ? 1 : 0;
}

/*
 * A flood of ten times the table's size of SYNs from distinct sources
 * against 10,000 confirmed flows: how many of them lose their entry.
 */
#define FLOOD_KEPT 10000

static int flood_flow_key(int i, struct shoal_flow_key *k, __u8 *pkt, size_t *len, __u8 flags)
{
	char src[32];
	struct pkt_spec s = { .src = src,
			      .dst = "192.0.2.7",
			      .sport = (__u16)(10000 + i % 40000),
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = flags };

	snprintf(src, sizeof(src), "203.0.113.%d", 1 + i / 40000);
	*len = pkt_build(&s, pkt, PKT_MAX);
	memset(k, 0, sizeof(*k));
	shoal_addr_parse(src, &k->src, NULL);
	shoal_addr_parse(s.dst, &k->dst, NULL);
	k->sport = htons(s.sport);
	k->dport = htons(80);
	k->proto = IPPROTO_TCP;
	return *len ? 0 : -EINVAL;
}

/* Runs n distinct SYNs to 192.0.2.7:80 through prog, 65,536 per call; ns per packet (warm). */
static double flood(struct dp_bench *b, int prog, __u64 n)
{
	struct pkt_spec s = { .src = "203.0.113.200",
			      .dst = "192.0.2.7",
			      .sport = 4444,
			      .dport = 80,
			      .proto = IPPROTO_TCP };
	__u8 pkt[PKT_MAX];
	size_t len = pkt_build(&s, pkt, sizeof(pkt));
	__u64 done, sum = 0, d;
	__u32 verdict;

	if (warm_prepare(b->warm, prog, b->floor_prog, pkt, len, true))
		return -1;
	for (done = 0; done < n; done += 65536) {
		d = warm_run(b->warm, false, 65536, &verdict);
		if (!d || verdict != XDP_TX)
			return -1;
		sum += d;
	}
	return (double)sum / (double)(n / 65536);
}

int bench_flood(bool json, int cpu, const char *old)
{
	static struct dp_bench b;
	__u32 capacity, lost_new = 0, lost_old = 0, i, verdict;
	int old_fd = -1, ret;
	double ns_new, ns_old = 0;
	__u8 pkt[PKT_MAX], out[PKT_MAX + 256];
	struct shoal_flow_key k;
	size_t len;

	ret = dp_bench_open(&b, cpu, DEFAULT_FLOWS, old);
	if (ret)
		goto out;
	if (b.old) {
		old_fd = bpf_map__fd(bpf_object__find_map_by_name(b.old, "flows"));
		ret = old_backends_sync(b.old, b.f.dp);
		if (ret)
			goto out;
	}
	capacity = shoal_dp_flow_capacity(b.f.dp);
	/* 10,000 connections: SYN, then the handshake's ACK (confirmed), through each object */
	for (i = 0; i < FLOOD_KEPT && !ret; i++) {
		ret = flood_flow_key((int)i, &k, pkt, &len, PKT_TCP_SYN);
		if (!ret &&
		    (!run_once(b.prog, pkt, (__u32)len, out, sizeof(out), &verdict) ||
		     (b.old && !run_once(b.old_prog, pkt, (__u32)len, out, sizeof(out), &verdict))))
			ret = -EIO;
		if (!ret)
			ret = flood_flow_key((int)i, &k, pkt, &len, PKT_TCP_ACK);
		if (!ret &&
		    (!run_once(b.prog, pkt, (__u32)len, out, sizeof(out), &verdict) ||
		     (b.old && !run_once(b.old_prog, pkt, (__u32)len, out, sizeof(out), &verdict))))
			ret = -EIO;
	}
	if (ret)
		goto out;
	ns_new = flood(&b, b.prog, 10ULL * capacity);
	if (b.old)
		ns_old = flood(&b, b.old_prog, 10ULL * capacity);
	for (i = 0; i < FLOOD_KEPT; i++) {
		struct old_flow of;
		__u64 e;

		flood_flow_key((int)i, &k, pkt, &len, PKT_TCP_ACK);
		if (shoal_dp_flow_find(b.f.dp, &k, &e) ||
		    (e & SHOAL_FLOW_STATE_MASK) != SHOAL_FLOW_CONFIRMED)
			lost_new++;
		if (old_fd >= 0 && bpf_map_lookup_elem(old_fd, &k, &of))
			lost_old++;
	}
	if (json)
		printf("{\"table\": %u, \"flood\": %llu, \"kept\": %d, \"lost\": %u, "
		       "\"ns_per_syn_warm\": %.1f%s",
		       capacity, 10ULL * capacity, FLOOD_KEPT, lost_new, ns_new, old ? "," : "}\n");
	else
		printf("flood of %llu distinct SYNs (10 x a table of %u) against %d confirmed "
		       "flows: "
		       "%u lost (%.1f ns per SYN, warm, with the wrapper)\n",
		       10ULL * capacity, capacity, FLOOD_KEPT, lost_new, ns_new);
	if (old && json)
		printf(" \"old_lost\": %u, \"old_ns_per_syn_warm\": %.1f}\n", lost_old, ns_old);
	else if (old)
		printf("old object (LRU of %u): %u of %d lost (%.1f ns per SYN)\n", DEFAULT_FLOWS,
		       lost_old, FLOOD_KEPT, ns_old);
out:
	dp_bench_close(&b);
	return ret ? 1 : 0;
}
/* Fills a pinned flow table (a running or stopped shoald's) with n live flows. */
int fill_flows(const char *path, __u32 n)
{
	static __u32 ids[10000];
	int fd, ret;
	__u32 i;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "lbbench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (i = 0; i < 10000; i++)
		ids[i] = 1 + i;
	/* the running agent publishes the monotonic clock */
	ret = table_fill(fd, n, ids, 10000, shoal_dp_clock_ticks());
	if (ret)
		fprintf(stderr, "lbbench: filling %s: %s\n", path, strerror(-ret));
	close(fd);
	return ret ? 1 : 0;
}
