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
#include <dirent.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "model/addr.h"
#include "model/decap_config.h"
#include "decap.skel.h"

#define DEFAULT_PIN_ROOT "/sys/fs/bpf/shoal-decap"

static const char *pin_root = DEFAULT_PIN_ROOT;

static int usage(void)
{
	fprintf(stderr, "usage: shoal-decap attach IFACE --from PREFIX [--from PREFIX...] [--tc] "
			"[--gue-port P] VIP...\n"
			"       shoal-decap vip add|del IFACE VIP\n"
			"       shoal-decap status IFACE\n"
			"       shoal-decap detach IFACE\n"
			"       shoal-decap up|down|check -c /etc/shoal/decap.yaml\n");
	return 2;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* a clsact qdisc left by an earlier tc attach: expected, the hook is reused */
	if (strstr(line, "Exclusivity flag on"))
		return 0;
	return fputs(line, stderr);
}

static void pin_path(char *buf, size_t len, const char *iface, const char *what)
{
	snprintf(buf, len, "%s/%s/%s", pin_root, iface, what);
}

/* Loads the program for d, fills its maps, pins them and attaches it to d->name. */
static int attach_iface(const struct shoal_decap_iface *d)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 0x5d, .priority = 1);
	static const char *const pins[] = { "vips", "stats", "from", "cfg" };
	char dir[256], path[320];
	struct decap_bpf *skel;
	struct bpf_link *link;
	int ifindex, ret;
	__u32 one = 1;
	size_t i;

	ifindex = (int)if_nametoindex(d->name);
	if (!ifindex) {
		fprintf(stderr, "shoal-decap: no interface %s\n", d->name);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", pin_root, d->name);
	if (!access(dir, F_OK)) {
		fprintf(stderr, "shoal-decap: %s is attached already (shoal-decap detach %s)\n",
			d->name, d->name);
		return 1;
	}
	skel = decap_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "shoal-decap: cannot load the program: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < d->nfrom; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.decap_from), &d->from[i], &one, 0))
			goto fail;
	for (i = 0; i < d->nvips; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.decap_vips), &d->vips[i], &one, 0))
			goto fail;
	skel->bss->decap_cfg.gue_port = htons(d->gue_port);
	mkdir(pin_root, 0700);
	if (mkdir(dir, 0700))
		goto fail;
	pin_path(path, sizeof(path), d->name, "vips");
	if (bpf_map__pin(skel->maps.decap_vips, path))
		goto unpin;
	pin_path(path, sizeof(path), d->name, "stats");
	if (bpf_map__pin(skel->maps.decap_stats, path))
		goto unpin;
	pin_path(path, sizeof(path), d->name, "from");
	if (bpf_map__pin(skel->maps.decap_from, path))
		goto unpin;
	/* the settings a later "up" compares with the file's (a change re-attaches) */
	pin_path(path, sizeof(path), d->name, "cfg");
	if (bpf_map__pin(skel->maps.bss, path))
		goto unpin;
	if (d->tc) {
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
		pin_path(path, sizeof(path), d->name, "tc");
		if (bpf_obj_pin(bpf_program__fd(skel->progs.shoal_decap_tc), path))
			goto unpin;
	} else {
		link = bpf_program__attach_xdp(skel->progs.shoal_decap_xdp, ifindex);
		if (!link)
			goto unpin;
		pin_path(path, sizeof(path), d->name, "link");
		if (bpf_link__pin(link, path)) {
			bpf_link__destroy(link);
			goto unpin;
		}
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
	}
	decap_bpf__destroy(skel);
	printf("decapsulating for %zu VIPs on %s (%s), from %zu source prefixes\n", d->nvips,
	       d->name, d->tc ? "tc ingress" : "XDP", d->nfrom);
	return 0;

unpin:
	ret = errno;
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		pin_path(path, sizeof(path), d->name, pins[i]);
		unlink(path);
	}
	rmdir(dir);
	errno = ret;
fail:
	fprintf(stderr, "shoal-decap: attach %s: %s\n", d->name, strerror(errno));
	decap_bpf__destroy(skel);
	return 1;
}

static int cmd_attach(int argc, char **argv)
{
	struct shoal_decap_iface *d = calloc(1, sizeof(*d));
	int i, ret = 2;

	if (!d)
		return 1;
	snprintf(d->name, sizeof(d->name), "%s", argv[0]);
	d->gue_port = 6080;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tc")) {
			d->tc = true;
		} else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			if (d->nfrom == SHOAL_DECAP_MAX_FROM ||
			    shoal_prefix_parse(argv[++i], &d->from[d->nfrom].addr, NULL,
					       &d->from[d->nfrom].prefixlen)) {
				fprintf(stderr,
					"shoal-decap: --from '%s' is not ADDR or ADDR/LEN (at most "
					"%d)\n",
					argv[i], SHOAL_DECAP_MAX_FROM);
				goto out;
			}
			d->nfrom++;
		} else if (!strcmp(argv[i], "--gue-port") && i + 1 < argc) {
			int port = atoi(argv[++i]);

			if (port < 1 || port > 65535)
				goto usage;
			d->gue_port = (__u16)port;
		} else if (d->nvips < SHOAL_DECAP_VIPS_MAX &&
			   !shoal_addr_parse(argv[i], &d->vips[d->nvips], NULL)) {
			d->nvips++;
		} else {
			fprintf(stderr, "shoal-decap: '%s' is not an address\n", argv[i]);
			goto usage;
		}
	}
	if (!d->nvips)
		goto usage;
	if (!d->nfrom) {
		fprintf(stderr,
			"shoal-decap: --from is needed: the shoal hosts' tunnel sources (taking "
			"tunnel packets from anyone makes the backend a reflector)\n");
		goto usage;
	}
	ret = attach_iface(d);
	goto out;
usage:
	ret = usage();
out:
	free(d);
	return ret;
}

static int cmd_detach(const char *iface)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 0x5d, .priority = 1);
	static const char *const files[] = { "link", "tc", "vips", "stats", "from", "cfg" };
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

/* Makes the pinned map at fd hold exactly want[0..n) (keys of ksize bytes, value 1). */
static int map_sync(int fd, const void *want, size_t n, size_t ksize)
{
	char cur[SHOAL_DECAP_VIPS_MAX][32], next[32];
	size_t have = 0, i, j;
	void *prev = NULL;
	__u32 one = 1;

	/* the wanted keys first: none is missing at any moment */
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (const char *)want + i * ksize, &one, BPF_ANY))
			return -errno;
	while (have < SHOAL_DECAP_VIPS_MAX && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(cur[have], next, ksize);
		prev = cur[have++];
	}
	for (i = 0; i < have; i++) {
		for (j = 0; j < n && memcmp(cur[i], (const char *)want + j * ksize, ksize); j++)
			;
		if (j == n && bpf_map_delete_elem(fd, cur[i]) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* d attached as it says: its sets updated in place, or attached (again, if its mode or port changed). */
static int up_iface(const struct shoal_decap_iface *d)
{
	struct decap_bpf__bss cfg;
	char path[320];
	int vfd, ffd, cfd, err = 0;
	__u32 zero = 0;
	bool same;

	pin_path(path, sizeof(path), d->name, "cfg");
	cfd = bpf_obj_get(path);
	if (cfd < 0) {
		pin_path(path, sizeof(path), d->name, "vips");
		if (!access(path, F_OK) && cmd_detach(d->name)) /* from an older shoal-decap */
			return 1;
		return attach_iface(d);
	}
	pin_path(path, sizeof(path), d->name, "tc");
	same = !bpf_map_lookup_elem(cfd, &zero, &cfg) &&
	       cfg.decap_cfg.gue_port == htons(d->gue_port) && !access(path, F_OK) == d->tc;
	close(cfd);
	if (!same) {
		printf("%s: the attach mode or GUE port changed: attaching again\n", d->name);
		return cmd_detach(d->name) ? 1 : attach_iface(d);
	}
	pin_path(path, sizeof(path), d->name, "vips");
	vfd = bpf_obj_get(path);
	pin_path(path, sizeof(path), d->name, "from");
	ffd = bpf_obj_get(path);
	if (vfd < 0 || ffd < 0)
		err = -ENOENT;
	/* sources before VIPs: a VIP is never served from a source the file no longer trusts */
	if (!err)
		err = map_sync(ffd, d->from, d->nfrom, sizeof(d->from[0]));
	if (!err)
		err = map_sync(vfd, d->vips, d->nvips, sizeof(d->vips[0]));
	if (vfd >= 0)
		close(vfd);
	if (ffd >= 0)
		close(ffd);
	if (err) {
		fprintf(stderr, "shoal-decap: updating %s: %s\n", d->name, strerror(-err));
		return 1;
	}
	printf("decapsulating for %zu VIPs on %s (%s), from %zu source prefixes (updated in "
	       "place)\n",
	       d->nvips, d->name, d->tc ? "tc ingress" : "XDP", d->nfrom);
	return 0;
}

static bool listed(const struct shoal_decap_conf *c, const char *name)
{
	size_t i;

	for (i = 0; c && i < c->n; i++)
		if (!strcmp(c->ifaces[i].name, name))
			return true;
	return false;
}

/* Detaches every interface under the pin root that keep does not list (NULL: all). */
static int detach_unlisted(const struct shoal_decap_conf *keep)
{
	char names[SHOAL_DECAP_IFACES_MAX * 4][IF_NAMESIZE];
	size_t n = 0, i;
	struct dirent *e;
	DIR *dir = opendir(pin_root);
	int ret = 0;

	if (!dir)
		return 0;
	while ((e = readdir(dir)) && n < sizeof(names) / sizeof(names[0]))
		if (e->d_name[0] != '.' && strlen(e->d_name) < IF_NAMESIZE &&
		    !listed(keep, e->d_name))
			snprintf(names[n++], IF_NAMESIZE, "%s", e->d_name);
	closedir(dir);
	for (i = 0; i < n; i++) {
		printf("%s: %s: detaching\n", names[i],
		       keep ? "no longer in the file" : "stopping");
		ret |= cmd_detach(names[i]);
	}
	return ret;
}

static int load_file(const char *path, struct shoal_decap_conf *c, bool quiet_errors)
{
	struct shoal_errors errs = { 0 };
	size_t i;
	int ret = shoal_decap_config_load(path, c, &errs);

	for (i = 0; i < errs.n && !quiet_errors; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	shoal_errors_free(&errs);
	return ret;
}

/*
 * shoal-decap up|down|check -c FILE: the file is the whole truth about the pin
 * directory. up checks the whole file and every interface before touching
 * anything; down detaches what the file lists, or everything when the file
 * cannot be read (it is how an operator removes decapsulation).
 */
static int cmd_file(const char *op, const char *path)
{
	struct shoal_decap_conf c;
	size_t i;
	int ret = 0;

	if (!strcmp(op, "down")) {
		if (load_file(path, &c, false)) {
			fprintf(stderr, "shoal-decap: %s unreadable: detaching everything\n", path);
			return detach_unlisted(NULL);
		}
		for (i = 0; i < c.n; i++) {
			char dir[256];

			snprintf(dir, sizeof(dir), "%s/%s", pin_root, c.ifaces[i].name);
			if (!access(dir, F_OK))
				ret |= cmd_detach(c.ifaces[i].name);
		}
		shoal_decap_config_free(&c);
		return ret;
	}
	if (load_file(path, &c, false))
		return 1;
	if (!strcmp(op, "check")) {
		printf("%s: valid: %zu interfaces\n", path, c.n);
		shoal_decap_config_free(&c);
		return 0;
	}
	for (i = 0; i < c.n; i++) {
		if (!if_nametoindex(c.ifaces[i].name)) {
			fprintf(stderr, "%s:%d: no interface %s: nothing changed\n", path,
				c.ifaces[i].line, c.ifaces[i].name);
			shoal_decap_config_free(&c);
			return 1;
		}
	}
	ret = detach_unlisted(&c);
	for (i = 0; i < c.n; i++)
		ret |= up_iface(&c.ifaces[i]);
	shoal_decap_config_free(&c);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	if (getenv("SHOAL_DECAP_PINS") && *getenv("SHOAL_DECAP_PINS"))
		pin_root = getenv("SHOAL_DECAP_PINS");
	if (argc >= 4 && !strcmp(argv[1], "attach"))
		return cmd_attach(argc - 2, argv + 2);
	if (argc == 4 &&
	    (!strcmp(argv[1], "up") || !strcmp(argv[1], "down") || !strcmp(argv[1], "check")) &&
	    !strcmp(argv[2], "-c"))
		return cmd_file(argv[1], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "detach"))
		return cmd_detach(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "status"))
		return cmd_status(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "vip"))
		return cmd_vip(argv[2], argv[3], argv[4]);
	return usage();
}
