// SPDX-License-Identifier: GPL-2.0-only
/*
 * lbbench: shoal's benchmarks.
 *
 *   lbbench dataplane [--json] [--calls N] [--cpu C] [--runs R] [--flows N]
 *	Nanoseconds per packet of lb.bpf.o through BPF_PROG_TEST_RUN, one call
 *	per packet (repeat=1: the kernel does not restore the packet between
 *	repeats), against the floor of an XDP program that only returns XDP_TX,
 *	called with the same data_in and data_out sizes in the same run.
 *	Set-up: 100 VIPs of 100 backends each, a flow table of 1M entries (each
 *	CPU's LRU share half full before the run; --flows to change). Each
 *	figure is the median over R runs (default 5): this VM's speed drifts.
 *   lbbench apply [--json]
 *	Milliseconds for the agent to apply a config of 100 VIPs x 100 backends
 *	to the maps: from scratch, again unchanged, and after one weight change.
 *   lbbench decap [--old OBJ] [--json] [--calls N] [--cpu C] [--runs R]
 *	Nanoseconds per packet of decap.bpf.o's XDP program on a GUE packet
 *	for one of its VIPs, from an allowed source, against the same floor;
 *	with --old, an older decap object measured in the same runs.
 *   lbbench maglev [--json]
 *	Milliseconds to build a Maglev table of 65537 slots for 100 and 1000 backends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "model/addr.h"
#include "bench_floor.skel.h"
#include "decap.skel.h"
#include "lbfix.h"
#include "model/state.h"

#define NVIPS	      100
#define NBACKENDS     100
#define DEFAULT_FLOWS (1U << 20)
#define WARMUP	      1000

#define MAX_RUNS  15
#define MAX_CASES 16

struct result {
	char name[48];
	__u64 min_ns, median_ns, floor_ns, floor_min_ns;
	__u64 above_ns; /* median over runs of (median - floor) */
};

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* One test run; returns the kernel's duration (ns) or 0 on error. */
static __u64 run_once(int fd, const void *in, __u32 len, void *out, __u32 out_cap, __u32 *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = out_cap, .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return 0;
	*verdict = o.retval;
	return o.duration ? o.duration : 1;
}

/* Varies the packet's source port and address, so every call is a new flow. */
static void vary_flow(__u8 *pkt, size_t len, __u32 n)
{
	__u16 et = 0;
	size_t l3 = pkt_l3_offset(pkt, len, &et), l4;

	if (et == 0x0800) {
		l4 = l3 + (size_t)(pkt[l3] & 0xf) * 4;
		pkt[l3 + 14] = (__u8)(n >> 16); /* source address, last two bytes */
		pkt[l3 + 15] = (__u8)(n >> 24);
	} else {
		l4 = l3 + 40;
		pkt[l3 + 20] = (__u8)(n >> 16);
		pkt[l3 + 21] = (__u8)(n >> 24);
	}
	pkt[l4] = (__u8)(n >> 8);
	pkt[l4 + 1] = (__u8)n;
}

static int measure(const char *name, int prog, int floor_prog, const __u8 *pkt, size_t len,
		   bool new_flows, __u32 expect, __u32 calls, struct result *r)
{
	__u64 *t = calloc(calls, sizeof(*t)), *f = calloc(calls, sizeof(*f));
	static __u8 in[PKT_MAX], out[PKT_MAX + 256];
	static __u32 seq = 0x10000; /* never repeats a 5-tuple across cases */
	__u32 i, verdict = 0;
	int ret = -EIO;

	if (!t || !f)
		goto out;
	memcpy(in, pkt, len);
	for (i = 0; i < WARMUP + calls; i++) {
		__u64 d;

		if (new_flows)
			vary_flow(in, len, seq++);
		d = run_once(prog, in, (__u32)len, out, sizeof(out), &verdict);
		if (!d || verdict != expect) {
			fprintf(stderr, "lbbench: %s: verdict %u, want %u\n", name, verdict,
				expect);
			goto out;
		}
		if (i >= WARMUP)
			t[i - WARMUP] = d;
		/* the floor, same call shape, interleaved so drift hits both alike */
		d = run_once(floor_prog, in, (__u32)len, out, sizeof(out), &verdict);
		if (!d)
			goto out;
		if (i >= WARMUP)
			f[i - WARMUP] = d;
	}
	qsort(t, calls, sizeof(*t), cmp_u64);
	qsort(f, calls, sizeof(*f), cmp_u64);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->min_ns = t[0];
	r->median_ns = t[calls / 2];
	r->floor_min_ns = f[0];
	r->floor_ns = f[calls / 2];
	ret = 0;
out:
	free(t);
	free(f);
	return ret;
}

/* Case c's figures, each the median over the runs (all[run][case]). */
static void median_over_runs(struct result all[][MAX_CASES], int runs, int c, struct result *ret)
{
	__u64 col[4][MAX_RUNS];
	int k, r;

	for (r = 0; r < runs; r++) {
		col[0][r] = all[r][c].min_ns;
		col[1][r] = all[r][c].median_ns;
		col[2][r] = all[r][c].floor_ns;
		col[3][r] = all[r][c].median_ns > all[r][c].floor_ns
				    ? all[r][c].median_ns - all[r][c].floor_ns
				    : 0;
	}
	for (k = 0; k < 4; k++)
		qsort(col[k], (size_t)runs, sizeof(__u64), cmp_u64);
	*ret = all[0][c];
	ret->min_ns = col[0][runs / 2];
	ret->median_ns = col[1][runs / 2];
	ret->floor_ns = col[2][runs / 2];
	ret->above_ns = col[3][runs / 2];
}

static const char *vip_addr(int i, char *buf, size_t len)
{
	if (i < 70)
		snprintf(buf, len, "192.0.2.%d", 1 + i);
	else
		snprintf(buf, len, "2001:db8:1::%x", i);
	return buf;
}

/* 40 TCP and 30 UDP IPv4 VIPs, 30 TCP IPv6 VIPs; 100 backends each. */
static int setup_vips(struct lbfix *f, struct lbfix_vip *vips, __u8 encap)
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
						    .vip_id = vips[v].id };
			int ret = shoal_dp_backend_set(f->dp, vips[v].be[b].id, &be);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Half-fills the flow table with flows of the v4 TCP VIPs, as a busy balancer's would be. */
static int prefill_flows(struct lbfix *f, struct lbfix_vip *vips, __u32 n)
{
	int fd = shoal_dp_map_fd(f->dp, "flows");
	struct shoal_flow_key *keys;
	struct shoal_flow *vals;
	__u32 i;
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	int ret = 0;

	keys = calloc(n, sizeof(*keys));
	vals = calloc(n, sizeof(*vals));
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
		vals[i].hash = i * 2654435761U;
	}
	if (bpf_map_update_batch(fd, keys, vals, &n, &o))
		ret = -errno;
out:
	free(keys);
	free(vals);
	return ret;
}

static void print_results(const struct result *r, int n, bool json)
{
	int i;

	if (json) {
		printf("[");
		for (i = 0; i < n; i++)
			printf("%s\n {\"case\": \"%s\", \"min_ns\": %llu, \"median_ns\": %llu, "
			       "\"floor_ns\": %llu, \"above_floor_ns\": %llu}",
			       i ? "," : "", r[i].name, (unsigned long long)r[i].min_ns,
			       (unsigned long long)r[i].median_ns,
			       (unsigned long long)r[i].floor_ns,
			       (unsigned long long)r[i].above_ns);
		printf("\n]\n");
		return;
	}
	printf("%-26s %8s %10s %9s %13s\n", "case", "min_ns", "median_ns", "floor_ns",
	       "above_floor");
	for (i = 0; i < n; i++)
		printf("%-26s %8llu %10llu %9llu %13llu\n", r[i].name,
		       (unsigned long long)r[i].min_ns, (unsigned long long)r[i].median_ns,
		       (unsigned long long)r[i].floor_ns, (unsigned long long)r[i].above_ns);
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static int bench_dataplane(bool json, __u32 calls, int cpu, __u32 flows, int runs)
{
	static struct lbfix_vip vips[NVIPS];
	struct bench_floor_bpf *floor;
	static struct result all[MAX_RUNS][MAX_CASES];
	struct result res[MAX_CASES];
	struct lbfix f;
	int ncases = 0, e, run, c, ret, prog, floor_prog;
	static const __u8 encaps[2] = { SHOAL_ENCAP_GUE, SHOAL_ENCAP_IPIP };
	static const char *const encap_names[2] = { "gue", "ipip" };

	ret = pin_cpu(cpu);
	if (ret)
		fprintf(stderr, "lbbench: cannot pin to CPU %d: %s\n", cpu, strerror(-ret));
	ret = lbfix_open(&f, flows);
	if (ret) {
		fprintf(stderr, "lbbench: load lb.bpf.o: %s\n", strerror(-ret));
		return 1;
	}
	floor = bench_floor_bpf__open_and_load();
	if (!floor) {
		fprintf(stderr, "lbbench: load bench_floor.bpf.o failed\n");
		lbfix_close(&f);
		return 1;
	}
	ret = setup_vips(&f, vips, SHOAL_ENCAP_GUE);
	if (!ret)
		ret = prefill_flows(&f, vips, flows / 4);
	if (ret) {
		fprintf(stderr, "lbbench: set-up: %s\n", strerror(-ret));
		goto out;
	}
	prog = shoal_dp_prog_fd(f.dp);
	floor_prog = bpf_program__fd(floor->progs.shoal_floor);

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

			ret = set_encap(&f, vips, encaps[e]);
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
				ret = measure(name, prog, floor_prog, pkt, len, cases[ci].new_flows,
					      cases[ci].verdict, calls, &all[run][ncases]);
				if (ret)
					goto out;
				ncases++;
			}
		}
	/* per case, the median over runs of each figure: the VM's speed drifts */
	for (c = 0; c < ncases; c++)
		median_over_runs(all, runs, c, &res[c]);
	if (!json)
		printf("lb.bpf.o, BPF_PROG_TEST_RUN repeat=1, %u calls per case after %d warm-up, "
		       "CPU %d, median of %d runs; %d VIPs x %d backends, flow table %u "
		       "(%u prefilled)\n",
		       calls, WARMUP, cpu, runs, NVIPS, NBACKENDS, flows, flows / 4);
	print_results(res, ncases, json);
out:
	bench_floor_bpf__destroy(floor);
	lbfix_close(&f);
	return ret ? 1 : 0;
}

/*
 * A decap object (the build's, embedded; or an old one built from git): its
 * XDP program, decapsulating GUE to VIP4 from the fixture's tunnel source.
 */
static int decap_load(const char *path, struct bpf_object **ret, int *ret_prog)
{
	struct shoal_decap_cfg cfg = { .gue_port = htons(LBFIX_GUE_PORT) };
	size_t sz = 0;
	const void *mem = path ? NULL : decap_bpf__elf_bytes(&sz);
	struct bpf_object *obj =
		path ? bpf_object__open_file(path, NULL) : bpf_object__open_mem(mem, sz, NULL);
	struct bpf_program *prog;
	struct bpf_map *m;
	struct shoal_addr a;
	__u32 one = 1;
	int fd;

	if (!obj)
		return -errno;
	bpf_object__for_each_map(m, obj)
	{
		if (strstr(bpf_map__name(m), ".bss") && bpf_map__value_size(m) == sizeof(cfg))
			bpf_map__set_initial_value(m, &cfg, sizeof(cfg));
	}
	if (bpf_object__load(obj))
		goto fail;
	m = bpf_object__find_map_by_name(obj, "decap_vips");
	shoal_addr_parse("192.0.2.7", &a, NULL);
	if (!m || bpf_map_update_elem(bpf_map__fd(m), &a, &one, 0))
		goto fail;
	/* an object from before the source check has no such map */
	m = bpf_object__find_map_by_name(obj, "decap_from");
	if (m) {
		struct shoal_decap_from_key k;

		shoal_prefix_parse(LBFIX_SRC4, &k.addr, NULL, &k.prefixlen);
		if (bpf_map_update_elem(bpf_map__fd(m), &k, &one, 0))
			goto fail;
	}
	prog = bpf_object__find_program_by_name(obj, "shoal_decap_xdp");
	fd = prog ? bpf_program__fd(prog) : -1;
	if (fd < 0)
		goto fail;
	*ret = obj;
	*ret_prog = fd;
	return 0;
fail:
	bpf_object__close(obj);
	return -EINVAL;
}

static int bench_decap(bool json, __u32 calls, int cpu, int runs, const char *old)
{
	static struct result all[MAX_RUNS][MAX_CASES];
	struct bpf_object *objs[2] = { NULL, NULL };
	struct bench_floor_bpf *floor = NULL;
	struct result res[2];
	struct lbfix f;
	struct lbfix_backend be = { "198.51.100.1", SHOAL_ENCAP_GUE, 1 };
	struct pkt_spec s = { .src = "203.0.113.10",
			      .dst = "192.0.2.7",
			      .sport = 5555,
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = PKT_TCP_ACK,
			      .payload = 64 };
	struct lbfix_vip v;
	__u8 in[PKT_MAX], enc[PKT_MAX];
	size_t in_len, enc_len = sizeof(enc);
	int progs[2], n = old ? 2 : 1, run, i, ret;

	ret = pin_cpu(cpu);
	if (ret)
		fprintf(stderr, "lbbench: cannot pin to CPU %d: %s\n", cpu, strerror(-ret));
	ret = lbfix_open(&f, 65536);
	if (ret) {
		fprintf(stderr, "lbbench: load lb.bpf.o: %s\n", strerror(-ret));
		return 1;
	}
	/* the packet as the balancer sends it */
	in_len = pkt_build(&s, in, sizeof(in));
	if (lbfix_vip_add(&f, "192.0.2.7", 80, IPPROTO_TCP, 0, 0, &be, 1, 251, &v) ||
	    lbfix_run(shoal_dp_prog_fd(f.dp), in, in_len, enc, &enc_len) != XDP_TX) {
		fprintf(stderr, "lbbench: cannot make the tunnel packet\n");
		ret = -EIO;
		goto out;
	}
	floor = bench_floor_bpf__open_and_load();
	ret = floor ? decap_load(NULL, &objs[0], &progs[0]) : -ENOENT;
	if (!ret && old)
		ret = decap_load(old, &objs[1], &progs[1]);
	if (ret) {
		fprintf(stderr, "lbbench: load the decap objects: %s\n", strerror(-ret));
		goto out;
	}
	/* interleaved run by run: the VM's drift hits both alike */
	for (run = 0; run < runs && !ret; run++)
		for (i = 0; i < n && !ret; i++)
			ret = measure(i ? "decap_gue/old" : "decap_gue", progs[i],
				      bpf_program__fd(floor->progs.shoal_floor), enc, enc_len,
				      false, XDP_PASS, calls, &all[run][i]);
	if (ret)
		goto out;
	for (i = 0; i < n; i++)
		median_over_runs(all, runs, i, &res[i]);
	if (!json)
		printf("decap.bpf.o (XDP), a GUE packet for a VIP from an allowed source, "
		       "BPF_PROG_TEST_RUN repeat=1, %u calls after %d warm-up, CPU %d, median of "
		       "%d "
		       "runs%s\n",
		       calls, WARMUP, cpu, runs, old ? "; old: the object given with --old" : "");
	print_results(res, n, json);
out:
	for (i = 0; i < 2; i++)
		bpf_object__close(objs[i]);
	bench_floor_bpf__destroy(floor);
	lbfix_close(&f);
	return ret ? 1 : 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench_maglev(bool json)
{
	static const size_t ns[] = { 100, 1000 };
	static __u32 table[SHOAL_DEFAULT_TABLE_SIZE];
	struct maglev_backend *b;
	double t[50];
	size_t k, i;
	int r;

	if (!json)
		printf("%-24s %8s %10s\n", "maglev build M=65537", "min_ms", "median_ms");
	else
		printf("[");
	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		b = calloc(ns[k], sizeof(*b));
		if (!b)
			return 1;
		for (i = 0; i < ns[k]; i++) {
			shoal_addr_from_v4(&b[i].addr, htonl(0xc6120000 | (__u32)i));
			b[i].weight = 1;
			b[i].id = (__u32)i + 1;
		}
		for (r = 0; r < 50; r++) {
			double t0 = now_ms();

			if (maglev_build(b, ns[k], table, SHOAL_DEFAULT_TABLE_SIZE)) {
				free(b);
				return 1;
			}
			t[r] = now_ms() - t0;
		}
		qsort(t, 50, sizeof(t[0]), cmp_double);
		if (json)
			printf("%s\n {\"case\": \"maglev_build_%zu\", \"min_ms\": %.3f, "
			       "\"median_ms\": %.3f}",
			       k ? "," : "", ns[k], t[0], t[25]);
		else
			printf("%-24s %8.3f %10.3f\n",
			       ns[k] == 100 ? "100 backends" : "1000 backends", t[0], t[25]);
		free(b);
	}
	if (json)
		printf("\n]\n");
	return 0;
}

static int bench_apply(bool json)
{
	static const char *const names[3] = { "apply_from_scratch", "apply_unchanged",
					      "apply_one_weight_changed" };
	double t[3][5], med[3], flow_count_ms = 0;
	long flow_count_n = 0;
	struct shoal_config *c = NULL;
	struct shoal_state *s = NULL;
	struct shoal_errors errs = { 0 };
	struct shoal_vip_key k0;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r, k, v, b;

	f = open_memstream(&text, &len);
	if (!f)
		return 1;
	fprintf(f, "host:\n  interface: lo\n  hash_seed: 0x5eed\n  source_v4: 198.51.100.2\n  "
		   "source_v6: 2001:db8::2\n"
		   "services:\n");
	for (v = 0; v < NVIPS; v++) {
		char va[64];

		fprintf(f, "  - vip: %s\n    port: 80\n    backends:\n",
			vip_addr(v, va, sizeof(va)));
		for (b = 0; b < NBACKENDS; b++)
			fprintf(f, "      - 198.%d.%d.%d\n", 18 + v / 50, v % 50 + 100, b + 1);
	}
	fclose(f);
	if (shoal_config_parse("bench.yaml", text, len, &c, &errs)) {
		fprintf(stderr, "lbbench: %s\n", errs.n ? errs.msg[0] : "bad config");
		return 1;
	}
	if (shoal_state_from_config(c, NULL, &s))
		return 1;
	k0 = s->vips[0].key;
	for (r = 0; r < 5; r++) {
		struct shoal_dp *dp = NULL;

		shoal_dp_set_quiet(true);
		if (shoal_dp_open(NULL, &dp))
			return 1;
		for (k = 0; k < 3; k++) {
			double t0;

			if (k == 2)
				shoal_state_backend_weight(s, &k0, &s->vips[0].be[0].addr,
							   (__u32)(2 + r));
			t0 = now_ms();
			if (shoal_dp_apply(dp, s)) {
				fprintf(stderr, "lbbench: apply failed\n");
				return 1;
			}
			t[k][r] = now_ms() - t0;
		}
		shoal_dp_close(dp);
	}
	for (k = 0; k < 3; k++) {
		qsort(t[k], 5, sizeof(t[k][0]), cmp_double);
		med[k] = t[k][2];
	}
	/* what a status call or a scrape pays to count a full flow table */
	{
		static struct lbfix_vip vips[NVIPS];
		struct lbfix fx;
		double t0;
		long n;

		if (lbfix_open(&fx, DEFAULT_FLOWS) || setup_vips(&fx, vips, SHOAL_ENCAP_GUE) ||
		    prefill_flows(&fx, vips, DEFAULT_FLOWS / 2))
			return 1;
		t0 = now_ms();
		n = shoal_dp_flow_count_now(fx.dp);
		flow_count_ms = now_ms() - t0;
		flow_count_n = n;
		lbfix_close(&fx);
	}
	if (json) {
		printf("[");
		for (k = 0; k < 3; k++)
			printf("%s\n {\"case\": \"%s\", \"median_ms\": %.3f}", k ? "," : "",
			       names[k], med[k]);
		printf(",\n {\"case\": \"flow_count_%ld\", \"ms\": %.3f}\n]\n", flow_count_n,
		       flow_count_ms);
	} else {
		printf("%-28s %10s   (100 VIPs x 100 backends, tables of 65537, median of 5)\n",
		       "agent apply", "median_ms");
		for (k = 0; k < 3; k++)
			printf("%-28s %10.3f\n", names[k], med[k]);
		printf("%-28s %10.3f   (%ld flows, one walk)\n", "flow_table_count", flow_count_ms,
		       flow_count_n);
	}
	shoal_state_free(s);
	shoal_config_free(c);
	free(text);
	return 0;
}

/* Parses YAML text n times; the median in ms. errs_out: errors of the last parse. */
static double parse_ms(const char *text, size_t len, int n, size_t *errs_out, size_t *svcs_out)
{
	double t[9];
	int r;

	for (r = 0; r < n && r < 9; r++) {
		struct shoal_errors errs = { 0 };
		struct shoal_config *c = NULL;
		double t0 = now_ms();

		shoal_config_parse("bench.yaml", text, len, &c, &errs);
		t[r] = now_ms() - t0;
		*errs_out = errs.n;
		*svcs_out = c ? c->nservices : 0;
		shoal_config_free(c);
		shoal_errors_free(&errs);
	}
	qsort(t, (size_t)r, sizeof(t[0]), cmp_double);
	return t[r / 2];
}

/* Config validation at the sizes the issue names: hostile and largest-valid files. */
static int bench_config(bool json)
{
	static const char host[] =
		"host:\n  interface: lo\n  hash_seed: 0x5eed\n  source_v4: 198.51.100.2\n";
	const char *names[4] = { "10000_services", "1023_services_x_64_backends",
				 "1000_duplicate_services", "50000_unknown_keys" };
	double ms[4];
	size_t errs[4], svcs[4];
	int k;

	for (k = 0; k < 4; k++) {
		char *text = NULL;
		size_t len = 0, i, j;
		FILE *f = open_memstream(&text, &len);

		if (!f)
			return 1;
		fputs(host, f);
		if (k == 3)
			for (i = 0; i < 50000; i++)
				fprintf(f, "  key%zu: 1\n", i);
		fputs("services:\n", f);
		for (i = 0; k != 3 && i < (k == 0 ? 10000U : k == 1 ? 1023U : 1000U); i++) {
			if (k == 2) {
				fputs("  - vip: 192.0.2.10\n    port: 80\n", f);
				continue;
			}
			fprintf(f, "  - vip: 10.%zu.%zu.%zu\n    port: 80\n", i >> 16,
				(i >> 8) & 255, i & 255);
			if (k == 1) {
				fputs("    backends:\n", f);
				for (j = 0; j < 64; j++)
					fprintf(f, "      - 198.%zu.%zu.%zu\n",
						18 + (i * 64 + j) / 65536 % 2,
						(i * 64 + j) / 256 % 256, (i * 64 + j) % 256 + 0);
			}
		}
		fclose(f);
		ms[k] = parse_ms(text, len, 5, &errs[k], &svcs[k]);
		free(text);
	}
	if (json) {
		printf("[");
		for (k = 0; k < 4; k++)
			printf("%s\n {\"case\": \"%s\", \"median_ms\": %.1f, \"errors\": %zu}",
			       k ? "," : "", names[k], ms[k], errs[k]);
		printf("\n]\n");
	} else {
		printf("%-30s %10s %8s %9s   (shoal_config_parse, median of 5)\n", "config",
		       "median_ms", "errors", "services");
		for (k = 0; k < 4; k++)
			printf("%-30s %10.1f %8zu %9zu\n", names[k], ms[k], errs[k], svcs[k]);
	}
	return 0;
}

/*
 * Fills a pinned flow table (a running or stopped shoald's) with n flows, half
 * from each of the first two CPUs: an LRU hash without a common LRU gives each
 * CPU its share of the entries.
 */
static int fill_flows(const char *path, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct shoal_flow_key *keys;
	struct shoal_flow *vals;
	__u32 i, half, done = 0;
	int fd, cpu, ret = 0;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "lbbench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	keys = calloc(n, sizeof(*keys));
	vals = calloc(n, sizeof(*vals));
	if (!keys || !vals)
		return 1;
	for (i = 0; i < n; i++) {
		shoal_addr_from_v4(&keys[i].src, htonl(0x0a000000 | (i >> 4)));
		shoal_addr_from_v4(&keys[i].dst, htonl(0xc0000200 | (i % 100)));
		keys[i].sport = htons((__u16)(1024 + (i & 0xfff)));
		keys[i].dport = htons(80);
		keys[i].proto = IPPROTO_TCP;
		vals[i].backend_id = 1 + i % 10000;
		vals[i].vip_id = (__u16)(1 + i % 100);
		vals[i].hash = i * 2654435761U;
	}
	for (cpu = 0; cpu < 2 && !ret; cpu++) {
		half = cpu ? n - done : n / 2;
		pin_cpu(cpu);
		for (i = 0; i < half && !ret; i += 65536) {
			__u32 count = half - i < 65536 ? half - i : 65536;

			if (bpf_map_update_batch(fd, keys + done + i, vals + done + i, &count, &o))
				ret = -errno;
		}
		done += half;
	}
	if (ret)
		fprintf(stderr, "lbbench: filling %s: %s\n", path, strerror(-ret));
	free(keys);
	free(vals);
	close(fd);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	bool json = false;
	const char *old = NULL;
	__u32 calls = 50000, flows = DEFAULT_FLOWS;
	int cpu = 1, runs = 5, i;

	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "fill-flows") && argc == 4)
		return fill_flows(argv[2], (__u32)strtoul(argv[3], NULL, 10));
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			calls = (__u32)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--flows") && i + 1 < argc)
			flows = (__u32)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--old") && i + 1 < argc)
			old = argv[++i];
		else
			goto usage;
	}
	if (calls < 1000 || flows < 1024 || runs < 1 || runs > MAX_RUNS)
		goto usage;
	if (!strcmp(argv[1], "dataplane"))
		return bench_dataplane(json, calls, cpu, flows, runs);
	if (!strcmp(argv[1], "decap"))
		return bench_decap(json, calls, cpu, runs, old);
	if (!strcmp(argv[1], "maglev"))
		return bench_maglev(json);
	if (!strcmp(argv[1], "apply"))
		return bench_apply(json);
	if (!strcmp(argv[1], "config"))
		return bench_config(json);
usage:
	fprintf(stderr,
		"usage: lbbench dataplane|decap|maglev|apply|config [--json] [--calls N>=1000] "
		"[--cpu C] [--flows N>=1024] [--runs 1-15] [--old DECAP_OBJ]\n"
		"       lbbench fill-flows PINNED_FLOWS_MAP N\n");
	return 2;
}
