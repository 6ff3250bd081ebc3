// SPDX-License-Identifier: GPL-2.0-only
/* The benchmark's floor: the cheapest program with the balancer's verdict. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int shoal_floor(struct xdp_md *ctx)
{
	return XDP_TX;
}
