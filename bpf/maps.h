/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every map of the balancer. Types are in include/shoal/abi.h. Sizes are
 * defaults: the agent may resize flows and the tables before load.
 */
#ifndef SHOAL_BPF_MAPS_H
#define SHOAL_BPF_MAPS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHOAL_MAX_VIPS);
	__type(key, struct shoal_vip_key);
	__type(value, __u32);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHOAL_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct shoal_vip);
} vip_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHOAL_MAX_VIP_ADDRS);
	__type(key, struct shoal_addr);
	__type(value, struct shoal_vip_addr);
} vip_addrs SEC(".maps");

/*
 * Inner tables differ in size per VIP, hence BPF_F_INNER_MAP; mmapable so the
 * agent fills a new one with one memcpy instead of an update per slot.
 */
struct vip_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHOAL_DEFAULT_TABLE_SIZE);
	__uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SHOAL_MAX_VIPS);
	__type(key, __u32);
	__array(values, struct vip_table);
} vip_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHOAL_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct shoal_backend);
} backends SEC(".maps");

/* The flow table (abi.h): buckets of one cache line, shared by all CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHOAL_DEFAULT_FLOWS / SHOAL_FLOW_WAYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct shoal_flow_bucket);
} flows SEC(".maps");

/* Buckets in flows (a power of two), set with the map's size before load. */
const volatile __u32 flow_buckets = SHOAL_DEFAULT_FLOWS / SHOAL_FLOW_WAYS;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHOAL_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHOAL_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct shoal_backend_stats);
} backend_stats SEC(".maps");

/* rr scheduler: a per-CPU cursor per VIP. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHOAL_MAX_VIPS);
	__type(key, __u32);
	__type(value, __u32);
} rr_cursor SEC(".maps");

/*
 * Set before load for the agent's second, dry-run instance of the program
 * (lbctl lookup): it shares every map but writes none of them.
 */
const volatile __u32 dry_run = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct shoal_icmp_bucket);
} icmp_limit SEC(".maps");

/* Written by userspace through the skeleton's mmap of .bss. */
struct shoal_host_cfg host_cfg;
__u64 vip_prefilter[SHOAL_PREFILTER_WORDS];

#endif /* SHOAL_BPF_MAPS_H */
