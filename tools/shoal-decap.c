// SPDX-License-Identifier: GPL-2.0-only
/*
 * shoal-decap: installs shoal's decapsulation program on a backend without
 * tunnel drivers, so it receives what the balancer sends (GUE, IPIP, IP6IP6,
 * 4in6, 6in4) for the VIPs it serves. The program stays attached after this
 * command exits (pinned under /sys/fs/bpf/shoal-decap/IFACE).
 *
 *   shoal-decap attach IFACE --from PREFIX [--from PREFIX...] [--tc] [--gue-port P] VIP...
 *   shoal-decap vip add|del IFACE VIP
 *   shoal-decap status IFACE
 *   shoal-decap detach IFACE
 *
 * --from names the outer sources tunnel packets may come from (the shoal
 * hosts' tunnel sources, as addresses or prefixes): anything else is dropped
 * and counted, so no one can make the backend answer spoofed clients or reach
 * it past a drain. XDP is the default; --tc attaches to tc ingress instead (any device, and
 * needed where XDP is not available). $SHOAL_DECAP_PINS overrides the pin
 * directory. Exit codes: 0 ok, 1 failed, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "model/addr.h"
#include "decap.skel.h"

#define DEFAULT_PIN_ROOT "/sys/fs/bpf/shoal-decap"

static const char *pin_root = DEFAULT_PIN_ROOT;

static int usage(void)
{
	fprintf(stderr, "usage: shoal-decap attach IFACE --from PREFIX [--from PREFIX...] [--tc] "
			"[--gue-port P] VIP...\n"
			"       shoal-decap vip add|del IFACE VIP\n"
			"       shoal-decap status IFACE\n"
			"       shoal-decap detach IFACE\n");
	return 2;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void pin_path(char *buf, size_t len, const char *iface, const char *what)
{
	snprintf(buf, len, "%s/%s/%s", pin_root, iface, what);
}

static int cmd_attach(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 0x5d, .priority = 1);
	const char *iface = argv[0];
	char dir[256], path[320];
	struct decap_bpf *skel;
	struct bpf_link *link;
	int ifindex, i, gue_port = 6080, ret, nvips = 0, nfrom = 0;
	bool tc = false;
	__u32 one = 1;

	ifindex = (int)if_nametoindex(iface);
	if (!ifindex) {
		fprintf(stderr, "shoal-decap: no interface %s\n", iface);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", pin_root, iface);
	if (!access(dir, F_OK)) {
		fprintf(stderr, "shoal-decap: %s is attached already (shoal-decap detach %s)\n",
			iface, iface);
		return 1;
	}
	skel = decap_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "shoal-decap: cannot load the program: %s\n", strerror(errno));
		return 1;
	}
	for (i = 1; i < argc; i++) {
		struct shoal_addr a;

		if (!strcmp(argv[i], "--tc")) {
			tc = true;
		} else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			struct shoal_decap_from_key k;

			if (shoal_prefix_parse(argv[++i], &k.addr, NULL, &k.prefixlen)) {
				fprintf(stderr,
					"shoal-decap: --from '%s' is not ADDR or ADDR/LEN\n",
					argv[i]);
				goto usage;
			}
			if (bpf_map_update_elem(bpf_map__fd(skel->maps.decap_from), &k, &one, 0))
				goto fail;
			nfrom++;
		} else if (!strcmp(argv[i], "--gue-port") && i + 1 < argc) {
			gue_port = atoi(argv[++i]);
			if (gue_port < 1 || gue_port > 65535)
				goto usage;
		} else if (!shoal_addr_parse(argv[i], &a, NULL)) {
			if (bpf_map_update_elem(bpf_map__fd(skel->maps.decap_vips), &a, &one, 0))
				goto fail;
			nvips++;
		} else {
			fprintf(stderr, "shoal-decap: '%s' is not an address\n", argv[i]);
			goto usage;
		}
	}
	if (!nvips)
		goto usage;
	if (!nfrom) {
		fprintf(stderr,
			"shoal-decap: --from is needed: the shoal hosts' tunnel sources (taking "
			"tunnel packets from anyone makes the backend a reflector)\n");
		goto usage;
	}
	skel->bss->decap_cfg.gue_port = htons((__u16)gue_port);
	mkdir(pin_root, 0700);
	if (mkdir(dir, 0700))
		goto fail;
	pin_path(path, sizeof(path), iface, "vips");
	if (bpf_map__pin(skel->maps.decap_vips, path))
		goto unpin;
	pin_path(path, sizeof(path), iface, "stats");
	if (bpf_map__pin(skel->maps.decap_stats, path))
		goto unpin;
	pin_path(path, sizeof(path), iface, "from");
	if (bpf_map__pin(skel->maps.decap_from, path))
		goto unpin;
	if (tc) {
		hook.ifindex = ifindex;
		ret = bpf_tc_hook_create(&hook);
		if (ret && ret != -EEXIST) {
			errno = -ret;
			goto unpin;
		}
		tco.prog_fd = bpf_program__fd(skel->progs.shoal_decap_tc);
		ret = bpf_tc_attach(&hook, &tco);
		if (ret) {
			errno = -ret;
			goto unpin;
		}
		/* the filter keeps the program; a marker tells detach what to undo */
		pin_path(path, sizeof(path), iface, "tc");
		if (bpf_obj_pin(bpf_program__fd(skel->progs.shoal_decap_tc), path))
			goto unpin;
	} else {
		link = bpf_program__attach_xdp(skel->progs.shoal_decap_xdp, ifindex);
		if (!link)
			goto unpin;
		pin_path(path, sizeof(path), iface, "link");
		if (bpf_link__pin(link, path)) {
			bpf_link__destroy(link);
			goto unpin;
		}
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
	}
	decap_bpf__destroy(skel);
	printf("decapsulating for %d VIPs on %s (%s), from %d source prefixes\n", nvips, iface,
	       tc ? "tc ingress" : "XDP", nfrom);
	return 0;

unpin:
	ret = errno;
	pin_path(path, sizeof(path), iface, "vips");
	unlink(path);
	pin_path(path, sizeof(path), iface, "stats");
	unlink(path);
	pin_path(path, sizeof(path), iface, "from");
	unlink(path);
	rmdir(dir);
	errno = ret;
fail:
	fprintf(stderr, "shoal-decap: attach %s: %s\n", iface, strerror(errno));
	decap_bpf__destroy(skel);
	return 1;
usage:
	decap_bpf__destroy(skel);
	return usage();
}

static int cmd_detach(const char *iface)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 0x5d, .priority = 1);
	static const char *const files[] = { "link", "tc", "vips", "stats", "from" };
	char dir[256], path[320];
	size_t i;

	snprintf(dir, sizeof(dir), "%s/%s", pin_root, iface);
	if (access(dir, F_OK)) {
		fprintf(stderr, "shoal-decap: nothing attached to %s\n", iface);
		return 1;
	}
	pin_path(path, sizeof(path), iface, "tc");
	if (!access(path, F_OK)) {
		hook.ifindex = (int)if_nametoindex(iface);
		if (hook.ifindex)
			bpf_tc_detach(&hook, &tco);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		pin_path(path, sizeof(path), iface, files[i]);
		unlink(path); /* the link's last reference: XDP detaches */
	}
	if (rmdir(dir)) {
		fprintf(stderr, "shoal-decap: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	rmdir(pin_root); /* when it was the last interface */
	return 0;
}

static int cmd_vip(const char *op, const char *iface, const char *vip)
{
	struct shoal_addr a;
	char path[320];
	__u32 one = 1;
	int fd, ret = 0;

	if (shoal_addr_parse(vip, &a, NULL) || (strcmp(op, "add") && strcmp(op, "del")))
		return usage();
	pin_path(path, sizeof(path), iface, "vips");
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "shoal-decap: nothing attached to %s\n", iface);
		return 1;
	}
	if (!strcmp(op, "add") ? bpf_map_update_elem(fd, &a, &one, 0)
			       : bpf_map_delete_elem(fd, &a)) {
		fprintf(stderr, "shoal-decap: vip %s %s: %s\n", op, vip, strerror(errno));
		ret = 1;
	}
	close(fd);
	return ret;
}

static int cmd_status(const char *iface)
{
	static const char *const names[] = { "received", "decapsulated", "not_for_a_vip",
					     "malformed", "refused_source" };
	int vfd, sfd, ncpus = libbpf_num_possible_cpus(), c;
	struct shoal_addr key, next;
	char path[320], buf[SHOAL_ADDR_STRLEN];
	void *prev = NULL;
	__u64 vals[512];
	__u32 i;

	pin_path(path, sizeof(path), iface, "vips");
	vfd = bpf_obj_get(path);
	pin_path(path, sizeof(path), iface, "stats");
	sfd = bpf_obj_get(path);
	if (vfd < 0 || sfd < 0 || ncpus <= 0 || ncpus > 512) {
		fprintf(stderr, "shoal-decap: nothing attached to %s\n", iface);
		return 1;
	}
	pin_path(path, sizeof(path), iface, "tc");
	printf("%s: %s\nVIPs:", iface, access(path, F_OK) ? "XDP" : "tc ingress");
	while (!bpf_map_get_next_key(vfd, prev, &next)) {
		printf(" %s", shoal_addr_format(&next, buf, sizeof(buf)));
		key = next;
		prev = &key;
	}
	printf("\n");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(sfd, &i, vals))
			continue;
		for (c = 0; c < ncpus; c++)
			sum += vals[c];
		printf("%s=%llu\n", names[i], (unsigned long long)sum);
	}
	close(vfd);
	close(sfd);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	if (getenv("SHOAL_DECAP_PINS") && *getenv("SHOAL_DECAP_PINS"))
		pin_root = getenv("SHOAL_DECAP_PINS");
	if (argc >= 4 && !strcmp(argv[1], "attach"))
		return cmd_attach(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "detach"))
		return cmd_detach(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "status"))
		return cmd_status(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "vip"))
		return cmd_vip(argv[2], argv[3], argv[4]);
	return usage();
}
