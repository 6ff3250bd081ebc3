// SPDX-License-Identifier: GPL-2.0-only
/*
 * lbbench's warm mode. BPF_PROG_TEST_RUN with repeat=N runs a program N times
 * on one buffer without restoring it, and the balancer rewrites its packet.
 * This program restores the frame before every run, then tail-calls the
 * program under test (the balancer of any version, unmodified, or the floor),
 * so that N packets go through in one kernel entry: the steady state of a
 * busy NIC queue, where the TLB and caches stay warm. The restore costs the
 * same before the floor, so it cancels out of "above the floor".
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define FRAME_MAX 256

struct bench_frame {
	__u32 len;	/* bytes of the frame, a multiple of 8 */
	__u32 vary_off; /* offset of a 32-bit word set to seq on every run (0: none) */
	__u32 seq;
	__u32 pad;
	__u8 data[FRAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_frame);
} frame SEC(".maps");

/* 0: the program under test, 1: the floor */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} progs SEC(".maps");

static __always_inline int restore_and_call(struct xdp_md *ctx, __u32 target)
{
	struct bench_frame *f;
	__u32 zero = 0, off;
	void *data, *data_end;
	int i;

	f = bpf_map_lookup_elem(&frame, &zero);
	if (!f || f->len > FRAME_MAX)
		return XDP_ABORTED;
	/* the balancer pushed headers in front and left the end alone */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* 64-bit: the verifier refuses 32-bit arithmetic on packet pointers */
	asm volatile("" : "+r"(data), "+r"(data_end));
	if (bpf_xdp_adjust_head(ctx, (int)(data_end - data) - (int)f->len))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	for (i = 0; i < FRAME_MAX / 8; i++) {
		__u64 *d = data + i * 8;

		if ((__u32)i * 8 >= f->len || (void *)(d + 1) > data_end)
			break;
		*d = *(__u64 *)&f->data[i * 8];
	}
	off = f->vary_off;
	asm volatile("" : "+r"(off)); /* keep the mask: the verifier needs it */
	off &= FRAME_MAX - 1;
	if (off) {
		__u32 *w = data + off;

		if ((void *)(w + 1) <= data_end)
			*w = ++f->seq;
	}
	bpf_tail_call(ctx, &progs, target);
	return XDP_ABORTED;
}

SEC("xdp")
int bench_warm(struct xdp_md *ctx)
{
	return restore_and_call(ctx, 0);
}

SEC("xdp")
int bench_warm_floor(struct xdp_md *ctx)
{
	return restore_and_call(ctx, 1);
}
