// SPDX-License-Identifier: GPL-2.0-only
/* lbctl lookup: a dry-run instance of the program answers which backend a 5-tuple gets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/internal.h"
#include "shoal/jhash.h"

#include "model/addr.h"

/* A second instance of the program with dry_run set, sharing every map but .rodata (copied). */
static int dry_open(struct shoal_dp *dp)
{
	struct bpf_map *m, *mine;
	struct lb_bpf *d;
	int ret;

	d = lb_bpf__open();
	if (!d)
		return -errno;
	d->rodata->dry_run = 1;
	d->rodata->flow_buckets = dp->skel->rodata->flow_buckets;
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
	__u64 e;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (key->proto != 6 && key->proto != 17)
		return -EINVAL;
	if (!dp->dry && (err = dry_open(dp)))
		return err;
	o.data_size_in = (__u32)lookup_packet(key, in);
	if (bpf_prog_test_run_opts(bpf_program__fd(dp->dry->progs.shoal_lb), &o))
		return -errno;
	if (!shoal_dp_flow_find(dp, key, &e)) {
		ret->in_flow_table = true;
		ret->backend_id = SHOAL_FLOW_BE(e);
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
