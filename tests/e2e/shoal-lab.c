// SPDX-License-Identifier: GPL-2.0-only
/*
 * shoal-lab: drives the data plane directly for the namespace tests, before
 * (and independently of) the agent.
 *
 *   shoal-lab lb IFACE --gw-mac MAC --src4 ADDR [--src6 ADDR] [--mtu N]
 *                [--gue-port P] --vip ADDR:PORT/PROTO[/SCHED] --backend ADDR[/gue|ipip] ...
 *   shoal-lab decap IFACE [--gue-port P] [--tc] [--from PREFIX...] VIP...   (--tc: the tc
 *        ingress variant; --from: the outer sources taken, by default the lab's fabric
 *        198.51.100.0/24 and 2001:db8:100::/64)
 *
 * Attaches in native XDP mode, prints "ready" and runs until SIGTERM/SIGINT;
 * on exit it prints the counters (lb) and detaches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "model/addr.h"
#include "model/config.h"
#include "control/proto.h"
#include "dataplane/dataplane.h"
#include "decap.skel.h"
#include "model/maglev.h"

#define MAX_BE 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void wait_for_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
}

static int usage(void)
{
	fprintf(stderr,
		"usage: shoal-lab lb IFACE --gw-mac MAC --src4 ADDR [--src6 ADDR] "
		"[--mtu N] [--gue-port P]\n"
		"                 --vip ADDR:PORT/PROTO[/SCHED] --backend ADDR[/gue|ipip]...\n"
		"       shoal-lab decap IFACE [--gue-port P] [--tc] [--from PREFIX...] VIP...\n");
	return 2;
}

static int iface_info(const char *name, __u8 mac[6], int *mtu)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!ret && ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		*mtu = ifr.ifr_mtu;
	close(fd);
	return ret;
}

/* ADDR:PORT/PROTO[/SCHED]: a VIP as lbctl writes it, then an optional scheduler */
static int parse_vip(const char *s, struct shoal_vip_key *key, __u8 *sched)
{
	char buf[128], *sch;

	snprintf(buf, sizeof(buf), "%s", s);
	*sched = SHOAL_SCHED_MAGLEV;
	sch = strchr(strchr(buf, '/') ? strchr(buf, '/') + 1 : buf, '/');
	if (sch) {
		*sch++ = '\0';
		if (shoal_sched_parse(sch, sched))
			return -EINVAL;
	}
	return shoal_vip_spec_parse(buf, key, NULL);
}

static void print_counters(struct shoal_dp *dp, __u32 nbe)
{
	struct shoal_backend_stats bs;
	__u64 v;
	__u32 i;

	for (i = 0; i < SHOAL_CNT_NAMED; i++)
		if (!shoal_dp_counter(dp, i, &v))
			printf("%s=%llu\n", shoal_counter_name(i), (unsigned long long)v);
	for (i = 1; i <= SHOAL_DROP_MAX_REASON; i++)
		if (!shoal_dp_counter(dp, SHOAL_CNT_DROP(-(int)i), &v))
			printf("drop_%s=%llu\n", shoal_drop_name((int)i), (unsigned long long)v);
	for (i = 1; i <= nbe; i++)
		if (!shoal_dp_backend_stats(dp, i, &bs))
			printf("backend_%u_packets=%llu backend_%u_new_flows=%llu\n", i,
			       (unsigned long long)bs.packets, i, (unsigned long long)bs.new_flows);
}

static int cmd_lb(int argc, char **argv)
{
	struct maglev_backend mb[MAX_BE];
	struct shoal_host_cfg cfg = { .ttl = 64 };
	struct shoal_vip_key key;
	struct shoal_vip vip = { .id = 1 };
	struct shoal_dp *dp = NULL;
	static __u32 table[SHOAL_DEFAULT_TABLE_SIZE];
	const char *ifname = argv[0];
	bool have_vip = false, have_gw = false, have_src4 = false;
	int mtu = 1500, ifindex, i, ret;
	__u32 nbe = 0, gue_port = 6080;
	__u8 sched = 0;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "shoal-lab: no interface %s\n", ifname);
		return 1;
	}
	if (iface_info(ifname, cfg.if_mac, &mtu)) {
		fprintf(stderr, "shoal-lab: cannot read %s\n", ifname);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		struct shoal_addr a;

		if (!val)
			return usage();
		i++;
		if (!strcmp(opt, "--gw-mac")) {
			if (shoal_mac_parse(val, cfg.gw_mac))
				return usage();
			have_gw = true;
		} else if (!strcmp(opt, "--src4")) {
			if (shoal_addr_parse(val, &a, NULL) || !shoal_addr_is_v4(&a))
				return usage();
			cfg.src_v4 = a.u32[3];
			have_src4 = true;
		} else if (!strcmp(opt, "--src6")) {
			if (shoal_addr_parse(val, &cfg.src_v6, NULL))
				return usage();
		} else if (!strcmp(opt, "--mtu")) {
			mtu = atoi(val);
		} else if (!strcmp(opt, "--gue-port")) {
			gue_port = (__u32)atoi(val);
		} else if (!strcmp(opt, "--vip")) {
			if (parse_vip(val, &key, &sched))
				return usage();
			have_vip = true;
		} else if (!strcmp(opt, "--backend")) {
			struct shoal_backend be = { .vip_id = 1 };
			char buf[96], *enc;
			int family;

			if (nbe >= MAX_BE)
				return usage();
			snprintf(buf, sizeof(buf), "%s", val);
			enc = strchr(buf, '/');
			if (enc)
				*enc++ = '\0';
			if (shoal_addr_parse(buf, &be.addr, &family))
				return usage();
			be.family = (__u8)family;
			if (enc && !strcmp(enc, "ipip"))
				be.encap = SHOAL_ENCAP_IPIP;
			else if (enc && strcmp(enc, "gue"))
				return usage();
			mb[nbe] = (struct maglev_backend){ .addr = be.addr,
							   .weight = 1,
							   .id = nbe + 1 };
			nbe++;
			if (!dp) {
				shoal_dp_set_quiet(false);
				ret = shoal_dp_open(NULL, &dp);
				if (ret) {
					fprintf(stderr, "shoal-lab: load: %s\n", strerror(-ret));
					return 1;
				}
			}
			ret = shoal_dp_backend_set(dp, nbe, &be);
			if (ret)
				goto err;
		} else {
			return usage();
		}
	}
	if (!have_vip || !have_gw || !have_src4 || !nbe || gue_port > 65535)
		return usage();
	cfg.mtu = (__u16)mtu;
	cfg.gue_port = htons((__u16)gue_port);
	cfg.hash_seed = 0x5eed;
	ret = maglev_build(mb, nbe, table, SHOAL_DEFAULT_TABLE_SIZE);
	if (!ret)
		ret = shoal_dp_table_set(dp, 1, table, SHOAL_DEFAULT_TABLE_SIZE);
	if (!ret)
		ret = shoal_dp_set_host(dp, &cfg);
	vip.scheduler = sched;
	if (!ret)
		ret = shoal_dp_vip_set(dp, &key, &vip);
	if (!ret)
		ret = shoal_dp_attach(dp, ifindex, 0);
	if (ret)
		goto err;
	wait_for_signal();
	print_counters(dp, nbe);
	shoal_dp_close(dp);
	return 0;
err:
	fprintf(stderr, "shoal-lab: %s\n", strerror(-ret));
	shoal_dp_close(dp);
	return 1;
}

static int cmd_decap(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 1, .priority = 1);
	struct bpf_link *link = NULL;
	struct decap_bpf *skel;
	static const char *const fabric[] = { "198.51.100.0/24", "2001:db8:100::/64" };
	int ifindex, i, gue_port = 6080, ret = 1, nfrom = 0;
	bool tc = false;
	__u32 one = 1;
	struct shoal_decap_from_key k;

	ifindex = (int)if_nametoindex(argv[0]);
	if (!ifindex) {
		fprintf(stderr, "shoal-lab: no interface %s\n", argv[0]);
		return 1;
	}
	skel = decap_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "shoal-lab: cannot load decap.bpf.o\n");
		return 1;
	}
	for (i = 1; i < argc; i++) {
		struct shoal_addr a;

		if (!strcmp(argv[i], "--gue-port") && i + 1 < argc) {
			gue_port = atoi(argv[++i]);
			continue;
		}
		if (!strcmp(argv[i], "--tc")) {
			tc = true;
			continue;
		}
		if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			if (shoal_prefix_parse(argv[++i], &k.addr, NULL, &k.prefixlen) ||
			    bpf_map_update_elem(bpf_map__fd(skel->maps.decap_from), &k, &one, 0)) {
				decap_bpf__destroy(skel);
				return usage();
			}
			nfrom++;
			continue;
		}
		if (shoal_addr_parse(argv[i], &a, NULL) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.decap_vips), &a, &one, 0)) {
			decap_bpf__destroy(skel);
			return usage();
		}
	}
	for (i = 0; !nfrom && i < 2; i++)
		if (shoal_prefix_parse(fabric[i], &k.addr, NULL, &k.prefixlen) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.decap_from), &k, &one, 0))
			goto destroy;
	skel->bss->decap_cfg.gue_port = htons((__u16)gue_port);
	if (tc) {
		hook.ifindex = ifindex;
		ret = bpf_tc_hook_create(&hook);
		if (ret && ret != -EEXIST) {
			fprintf(stderr, "shoal-lab: tc hook: %s\n", strerror(-ret));
			goto destroy;
		}
		tco.prog_fd = bpf_program__fd(skel->progs.shoal_decap_tc);
		ret = bpf_tc_attach(&hook, &tco);
		if (ret) {
			fprintf(stderr, "shoal-lab: tc attach: %s\n", strerror(-ret));
			goto destroy_hook;
		}
	} else {
		link = bpf_program__attach_xdp(skel->progs.shoal_decap_xdp, ifindex);
		if (!link) {
			fprintf(stderr, "shoal-lab: attach: %s\n", strerror(errno));
			goto destroy;
		}
	}
	wait_for_signal();
	ret = 0;
	bpf_link__destroy(link);
destroy_hook:
	if (tc)
		bpf_tc_hook_destroy(&hook);
destroy:
	decap_bpf__destroy(skel);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "lb"))
		return cmd_lb(argc - 2, argv + 2);
	if (!strcmp(argv[1], "decap"))
		return cmd_decap(argc - 2, argv + 2);
	return usage();
}
