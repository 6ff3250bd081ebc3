// SPDX-License-Identifier: GPL-2.0-only
/*
 * lbbench: shoal's benchmarks.
 *
 *   lbbench dataplane [--old OBJ] [--json] [--calls N] [--cpu C] [--runs R] [--flows N]
 *	Nanoseconds per packet of lb.bpf.o above the floor of an XDP program
 *	that only returns XDP_TX, both through BPF_PROG_TEST_RUN in the same
 *	run. Cold: one packet per call (on this VM every kernel entry flushes
 *	the TLB, so this counts the pages a packet touches: the first packet
 *	after an idle spell). Warm: 8192 packets per call through
 *	bench_warm.bpf.o, which restores the frame before each and tail-calls
 *	the program (a busy queue's steady state). Set-up: 100 VIPs of 100
 *	backends each, a flow table of 1M entries, 3/4 full (--flows to
 *	change). With --old, an older lb.bpf.o built from git (ABI 5, or this
 *	flow table's, which it then shares) is set up on the same maps and
 *	measured in the same runs, case by case. Each
 *	figure is the median over R runs (default 5): this VM's speed drifts.
 *   lbbench flood [--old OBJ] [--json] [--cpu C]
 *	10,000 confirmed flows, then 10 x the table's size of SYNs from
 *	distinct sources: how many of the 10,000 lost their entry.
 *   lbbench apply [--json]
 *	Milliseconds for the agent to apply a config of 100 VIPs x 100 backends
 *	to the maps: from scratch, again unchanged, and after one weight change.
 *   lbbench decap [--old OBJ] [--json] [--calls N] [--cpu C] [--runs R]
 *	Nanoseconds per packet of decap.bpf.o's XDP program on a GUE packet
 *	for one of its VIPs, from an allowed source, against the same floor;
 *	with --old, an older decap object measured in the same runs.
 *   lbbench memory [--json] [--cpu C]
 *	Nanoseconds of a dependent random read by working-set size (32 KB to
 *	32 MB, 4 KB pages): what a table entry out of cache costs on this
 *	machine, the floor under a new flow's figure.
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
#include "lbbench.h"
#include "lbfix.h"
#include "model/state.h"

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
		return bench_dataplane(json, calls, cpu, flows, runs, old);
	if (!strcmp(argv[1], "flood"))
		return bench_flood(json, cpu, old);
	if (!strcmp(argv[1], "decap"))
		return bench_decap(json, calls, cpu, runs, old);
	if (!strcmp(argv[1], "maglev"))
		return bench_maglev(json);
	if (!strcmp(argv[1], "memory"))
		return bench_memory(json, cpu);
	if (!strcmp(argv[1], "apply"))
		return bench_apply(json);
	if (!strcmp(argv[1], "config"))
		return bench_config(json);
usage:
	fprintf(stderr, "usage: lbbench dataplane|flood|decap|maglev|apply|config|memory [--json] "
			"[--calls N>=1000] "
			"[--cpu C] [--flows N>=1024] [--runs 1-15] [--old OBJ]\n"
			"       lbbench fill-flows PINNED_FLOWS_MAP N\n");
	return 2;
}
