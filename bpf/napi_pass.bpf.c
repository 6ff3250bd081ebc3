// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lab helper: an XDP program that passes everything. Attached to the peer of
 * a veth that the balancer XDP_TXes into, it gives that peer the NAPI
 * context without which veth drops XDP_TX frames.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int shoal_napi_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
