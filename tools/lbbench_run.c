// SPDX-License-Identifier: GPL-2.0-only
/* lbbench's measuring: cold (one packet per kernel entry) and warm (many). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench_warm.skel.h"
#include "lbbench.h"
#include "pktgen.h"

int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static __u64 run_rep(int fd, const void *in, __u32 len, void *out, __u32 out_cap, __u32 repeat,
		     __u32 *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = out_cap, .repeat = (int)repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		return 0;
	*verdict = o.retval;
	return o.duration ? o.duration : 1;
}

__u64 run_once(int fd, const void *in, __u32 len, void *out, __u32 out_cap, __u32 *verdict)
{
	return run_rep(fd, in, len, out, out_cap, 1, verdict);
}

/* Varies the packet's source port and address, so every call is a new flow. */
void vary_flow(__u8 *pkt, size_t len, __u32 n)
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

/* r from the calls' durations t and the floor's f (both sorted here). */
static void result_of(const char *name, __u64 *t, __u64 *f, __u32 calls, struct result *r)
{
	qsort(t, calls, sizeof(*t), cmp_u64);
	qsort(f, calls, sizeof(*f), cmp_u64);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->min_ns = t[0];
	r->median_ns = t[calls / 2];
	r->floor_min_ns = f[0];
	r->floor_ns = f[calls / 2];
}

int measure(const char *name, int prog, int floor_prog, const __u8 *pkt, size_t len, bool new_flows,
	    __u32 expect, __u32 calls, struct result *r)
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
	result_of(name, t, f, calls, r);
	ret = 0;
out:
	free(t);
	free(f);
	return ret;
}

/* bench_warm.bpf.c's frame map value */
struct warm_frame {
	__u32 len;
	__u32 vary_off;
	__u32 seq;
	__u32 pad;
	__u8 data[256];
};

#define WARM_WARMUP 2 /* calls */

static struct warm_frame warm_fr;

int warm_prepare(struct bench_warm_bpf *w, int prog, int floor_prog, const __u8 *pkt, size_t len,
		 bool new_flows)
{
	static __u32 seq = 0x0a000000;
	__u32 zero = 0, one = 1;
	__u16 et = 0;

	if (len > sizeof(warm_fr.data) - 8)
		return -EINVAL;
	memset(&warm_fr, 0, sizeof(warm_fr));
	memcpy(warm_fr.data, pkt, len);
	warm_fr.len = (__u32)(len + 7) & ~7U; /* the rest is Ethernet padding */
	if (new_flows) {
		size_t l3 = pkt_l3_offset(pkt, len, &et);

		/* the source address's last word: v4 at 12, v6 at 8 + 12 */
		warm_fr.vary_off = (__u32)(l3 + (et == 0x0800 ? 12 : 20));
		warm_fr.seq = seq;
		seq += 0x01000000; /* every case its own addresses */
	}
	if (bpf_map_update_elem(bpf_map__fd(w->maps.frame), &zero, &warm_fr, 0) ||
	    bpf_map_update_elem(bpf_map__fd(w->maps.progs), &zero, &prog, 0) ||
	    bpf_map_update_elem(bpf_map__fd(w->maps.progs), &one, &floor_prog, 0))
		return -errno;
	return 0;
}

__u64 warm_run(struct bench_warm_bpf *w, bool floor, __u32 repeat, __u32 *verdict)
{
	static __u8 out[512];

	return run_rep(bpf_program__fd(floor ? w->progs.bench_warm_floor : w->progs.bench_warm),
		       warm_fr.data, warm_fr.len, out, sizeof(out), repeat, verdict);
}

int measure_warm(const char *name, struct bench_warm_bpf *w, int prog, int floor_prog,
		 const __u8 *pkt, size_t len, bool new_flows, __u32 expect, __u32 calls,
		 __u32 repeat, struct result *r)
{
	__u64 *t = calloc(calls, sizeof(*t)), *f = calloc(calls, sizeof(*f));
	__u32 i, verdict = 0;
	int ret = -EIO;

	if (!t || !f)
		goto out;
	ret = warm_prepare(w, prog, floor_prog, pkt, len, new_flows);
	if (ret)
		goto out;
	ret = -EIO;
	for (i = 0; i < WARM_WARMUP + calls; i++) {
		__u64 d = warm_run(w, false, repeat, &verdict);

		if (!d || verdict != expect) {
			fprintf(stderr, "lbbench: %s (warm): verdict %u, want %u\n", name, verdict,
				expect);
			goto out;
		}
		if (i >= WARM_WARMUP)
			t[i - WARM_WARMUP] = d;
		d = warm_run(w, true, repeat, &verdict);
		if (!d)
			goto out;
		if (i >= WARM_WARMUP)
			f[i - WARM_WARMUP] = d;
	}
	result_of(name, t, f, calls, r);
	ret = 0;
out:
	free(t);
	free(f);
	return ret;
}

/* Case c's figures, each the median over the runs (all[run][case]). */
void median_over_runs(struct result all[][MAX_CASES], int runs, int c, struct result *ret)
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

void print_results(const struct result *r, int n, bool json)
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

int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * lbbench memory: the latency of a dependent random read (a pointer chase
 * over one cache line per step, 4 KB pages) by working-set size. What a
 * packet pays for a table entry that is not in cache: on this VM the line
 * between cache and memory lies between 1 and 4 MB, and the flow table of
 * 1M flows is 8 MB.
 */
int bench_memory(bool json, int cpu)
{
	static const size_t kb[] = { 32, 256, 1024, 4096, 8192, 32768 };
	const long steps = 4000000;
	size_t k;

	if (pin_cpu(cpu))
		fprintf(stderr, "lbbench: CPU %d: %s (measuring anyway)\n", cpu, strerror(errno));
	if (json)
		printf("[");
	else
		printf("%-12s %12s   (pointer chase, one line a step, 4 KB pages, CPU %d)\n",
		       "working_set", "ns_per_read", cpu);
	for (k = 0; k < sizeof(kb) / sizeof(kb[0]); k++) {
		size_t n = kb[k] * 1024 / 64, i, j, p = 0;
		__u64 *a = NULL, *order = malloc(n * sizeof(*order));
		struct timespec t0, t1;
		double ns;
		long s;

		if (!order || posix_memalign((void **)&a, 4096, n * 64)) {
			free(order);
			return -ENOMEM;
		}
		madvise(a, n * 64, MADV_NOHUGEPAGE); /* BPF maps are vmalloc'ed in 4 KB pages */
		for (i = 0; i < n; i++)
			order[i] = i;
		srandom(1);
		for (i = n - 1; i > 0; i--) {
			__u64 t;

			j = (size_t)random() % (i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < n; i++)
			a[order[i] * 8] = order[(i + 1) % n] * 8;
		for (i = 0; i < n; i++) /* one lap to fault the pages in */
			p = a[p];
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (s = 0; s < steps; s++)
			p = a[p];
		clock_gettime(CLOCK_MONOTONIC, &t1);
		__asm__ volatile("" : : "r"(p)); /* the chase's result is used: not elided */
		ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		     (double)steps;
		if (json)
			printf("%s\n {\"working_set_kb\": %zu, \"ns_per_read\": %.1f}",
			       k ? "," : "", kb[k], ns);
		else
			printf("%-9zu KB %12.1f\n", kb[k], ns);
		free(a);
		free(order);
	}
	if (json)
		printf("\n]\n");
	return 0;
}
