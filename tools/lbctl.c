// SPDX-License-Identifier: GPL-2.0-only
/*
 * lbctl: the operator's CLI for shoald, over its control socket.
 *
 *   lbctl [-o text|json] [-s SOCKET] [-t SECONDS] COMMAND ...
 *
 * Commands (any unique prefix of each word works: "lbctl b dr ..."):
 *   status                       every VIP with its backends
 *   vip list
 *   vip add VIP [--scheduler S] [--table-size N] [--no-flow-table] [--name N]
 *   vip del VIP
 *   backend add VIP ADDR [--weight W] [--encap gue|ipip]
 *   backend del|drain|undrain VIP ADDR
 *   backend weight VIP ADDR W
 *   stats [--watch SECONDS]
 *   lookup SRC[:PORT] DST:PORT [tcp|udp]   which backend that flow gets
 *   save [--force]               write runtime changes to the config file (--force:
 *                                even over edits made to it since shoald read it)
 *   reload
 *   version
 *   health [VIP]
 * VIP is ADDR:PORT/tcp|udp ([V6]:PORT/udp for IPv6).
 * -t: how long to wait for shoald (default 10 s); then "no answer" and exit 1.
 * Exit codes: 0 ok, 1 the request failed, 2 usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lbctl.h"
#include "lbctl_register.h"
#include "control/proto.h"

bool lbctl_json_out;
static const char *sock_path = SHOAL_CTL_DEFAULT_SOCKET;
static double timeout_sec = 10;

static void usage_to(FILE *f)
{
	fprintf(f,
		"usage: lbctl [-o text|json] [-s SOCKET] [-t SECONDS] COMMAND\n"
		"  status\n"
		"  vip list | vip add VIP [--scheduler S] [--table-size N] [--no-flow-table] "
		"[--name N] | vip del VIP\n"
		"  backend add VIP ADDR [--weight W] [--encap gue|ipip]\n"
		"  backend del|drain|undrain VIP ADDR | backend weight VIP ADDR W\n"
		"  stats [--watch SECONDS]\n"
		"  health [VIP]\n"
		"  bgp | vip withdraw|announce ADDR\n"
		"  lookup SRC[:PORT] DST:PORT [tcp|udp]\n"
		"  flows [VIP] [--backend ADDR] [--limit N] [--from BUCKET]\n"
		"  reload | save [--force] | version\n"
		"  register --etcd URL[,URL] --service VIP --address ADDR [--weight W] [--ttl S] "
		"[--prefix P]\n"
		"           [--cacert FILE] [--cert FILE --key FILE]   (for https:// URLs)\n"
		"VIP is ADDR:PORT/tcp|udp, e.g. 192.0.2.10:80/tcp or [2001:db8::1]:53/udp\n"
		"A command may be shortened to any prefix that names only it.\n");
}

/* A usage error named in one line (not the whole usage): exit code 2. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("lbctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (lbctl --help)\n", stderr);
	return 2;
}

int lbctl_usage(void)
{
	usage_to(stderr);
	return 2;
}

/*
 * -o json prints one envelope for every command: {"ok": true, "result": ...}
 * on success, {"ok": false, "error": "..."} on failure. indent: 0 for one line.
 */
void lbctl_print_result(json_t *result, int indent)
{
	json_t *o = json_pack("{s:b, s:O}", "ok", 1, "result", result ? result : json_null());
	char *out = o ? json_dumps(o, indent ? JSON_INDENT(indent) : JSON_COMPACT) : NULL;

	printf("%s\n", out ? out : "{\"ok\":true,\"result\":null}");
	free(out);
	json_decref(o);
}

/* A failed request: {"ok": false, "error": ...} with -o json, else a line on stderr. */
void lbctl_print_error(const char *err)
{
	json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", err);
	char *out = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (lbctl_json_out)
		printf("%s\n", out ? out : "{\"ok\":false}");
	else
		fprintf(stderr, "lbctl: %s\n", err);
	free(out);
	json_decref(o);
}

/* Sends one request, returns the decoded reply (caller drops it) or NULL. */
json_t *lbctl_request(const char *cmd, json_t *args, json_t **ret_result, const char **ret_err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *line = shoal_ctl_encode_request(cmd, args), *buf = NULL;
	size_t cap = 0, len = 0;
	json_t *reply = NULL;
	int fd;

	*ret_err = NULL;
	if (!line) {
		*ret_err = "out of memory";
		return NULL;
	}
	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		*ret_err = "socket path too long";
		goto free_line;
	}
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		struct timeval tv = { (time_t)timeout_sec,
				      (suseconds_t)((timeout_sec - (time_t)timeout_sec) * 1e6) };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		static char msg[300];

		if (errno == EACCES)
			snprintf(msg, sizeof(msg),
				 "permission denied: %s is for root and the members of its group",
				 sock_path);
		else
			snprintf(msg, sizeof(msg), "cannot reach shoald at %s: %s", sock_path,
				 strerror(errno));
		*ret_err = msg;
		if (fd >= 0)
			close(fd);
		goto free_line;
	}
	/* MSG_NOSIGNAL: an agent that refused and closed is an error, not a SIGPIPE death */
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			*ret_err = "no answer from shoald in time (-t)";
			goto close_fd;
		}
		/* it may have said why before it closed: read on */
	}
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *grown = realloc(buf, cap + 65536);

			if (!grown)
				break;
			buf = grown;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			static char msg[80];

			snprintf(msg, sizeof(msg), "no answer from shoald within %g s (-t)",
				 timeout_sec);
			*ret_err = msg;
			goto close_fd;
		}
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	if (!buf || !len) {
		*ret_err = "shoald closed the connection without answering";
		goto close_fd;
	}
	buf[len] = '\0';
	shoal_ctl_decode_reply(buf, &reply, ret_result, ret_err);
close_fd:
	close(fd);
free_line:
	free(line);
	free(buf);
	return reply;
}

const char *lbctl_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

long long lbctl_num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* "2 healthy (min 1), PANIC, availability 0.999" */
static void print_vip_health(json_t *h)
{
	printf("%lld healthy (min %lld)%s%s, availability %.6f\n", lbctl_num(h, "healthy"),
	       lbctl_num(h, "min_healthy"),
	       json_is_true(json_object_get(h, "panic")) ? ", PANIC" : "",
	       json_is_true(json_object_get(h, "servable")) ? "" : ", UNSERVABLE",
	       json_real_value(json_object_get(h, "availability")));
}

static void print_status(json_t *r)
{
	json_t *vips = json_object_get(r, "vips"), *v, *b;
	size_t i, j;
	bool runtime = false;

	printf("interface %s, config %s\nnext hop %s, map write errors %lld\n"
	       "flow table: %lld flows (%lld unconfirmed) of %lld\n",
	       lbctl_str(r, "interface"), lbctl_str(r, "config"),
	       json_is_true(json_object_get(r, "gateway_resolved")) ? lbctl_str(r, "gateway_mac")
								    : "UNRESOLVED",
	       lbctl_num(r, "map_write_errors"), lbctl_num(r, "flow_table_entries"),
	       lbctl_num(r, "flow_table_unconfirmed"), lbctl_num(r, "flow_table_capacity"));
	{
		json_t *loop = json_object_get(r, "loop");

		printf("agent loop: slowest handler %s (%.1f ms), mean timer lag %.2f ms\n",
		       *lbctl_str(loop, "slowest_handler") ? lbctl_str(loop, "slowest_handler")
							   : "-",
		       json_real_value(json_object_get(loop, "slowest_handler_ms")),
		       json_real_value(json_object_get(loop, "mean_lag_ms")));
	}
	if (json_is_object(json_object_get(r, "discovery"))) {
		json_t *d = json_object_get(r, "discovery");

		printf("discovery: %s %s, %s, revision %lld: %lld services, %lld backends; %lld "
		       "invalid, %lld conflicts, %lld orphans%s%s\n",
		       lbctl_str(d, "source"), lbctl_str(d, "endpoint"), lbctl_str(d, "state"),
		       lbctl_num(d, "revision"), lbctl_num(d, "services"), lbctl_num(d, "backends"),
		       lbctl_num(d, "skipped_invalid"), lbctl_num(d, "conflicts"),
		       lbctl_num(d, "orphans"), *lbctl_str(d, "last_error") ? "; last error: " : "",
		       lbctl_str(d, "last_error"));
	}
	json_array_foreach(vips, i, v)
	{
		bool rt = json_is_true(json_object_get(v, "runtime"));

		runtime |= rt;
		printf("\n%s%s %s  %s%s  table %lld  fingerprint %s\n", rt ? "*" : "",
		       lbctl_str(v, "vip"), lbctl_str(v, "name"), lbctl_str(v, "scheduler"),
		       json_is_true(json_object_get(v, "flow_table")) ? "" : " (stateless)",
		       lbctl_num(v, "table_size"), lbctl_str(v, "fingerprint"));
		printf("  %.0f pps  %llu packets  %llu new flows  %lld in the flow table\n",
		       json_real_value(json_object_get(v, "pps")),
		       (unsigned long long)lbctl_num(v, "packets"),
		       (unsigned long long)lbctl_num(v, "new_flows"), lbctl_num(v, "flows"));
		printf("  health: ");
		print_vip_health(json_object_get(v, "health"));
		printf("  %-40s %7s %-9s %-12s %8s %12s %10s %8s %8s\n", "BACKEND", "WEIGHT",
		       "ADMIN", "HEALTH", "PPS", "PACKETS", "NEW_FLOWS", "SYN_REP", "FLOWS");
		json_array_foreach(json_object_get(v, "backends"), j, b)
		{
			bool brt = json_is_true(json_object_get(b, "runtime"));
			char name[48];

			runtime |= brt;
			snprintf(name, sizeof(name), "%s%s", brt ? "*" : "",
				 lbctl_str(b, "address"));
			printf("  %-40s %7lld %-9s %-12s %8.0f %12lld %10lld %8lld %8lld\n", name,
			       lbctl_num(b, "weight"), lbctl_str(b, "admin"),
			       lbctl_str(b, "health"), json_real_value(json_object_get(b, "pps")),
			       lbctl_num(b, "packets"), lbctl_num(b, "new_flows"),
			       lbctl_num(b, "syn_repeats"), lbctl_num(b, "flows"));
		}
	}
	if (runtime)
		printf("\n* changed at runtime: lost on reload\n");
}

static void print_stats(json_t *r)
{
	const char *k;
	json_t *v, *vip, *b;
	size_t i, j;

	printf("global:");
	json_object_foreach(json_object_get(r, "global"), k, v)
		printf(" %s=%lld", k, json_integer_value(v));
	printf("\ndrops: ");
	json_object_foreach(json_object_get(r, "drops"), k, v)
		printf(" %s=%lld", k, json_integer_value(v));
	printf("\n");
	json_array_foreach(json_object_get(r, "vips"), i, vip)
	{
		printf("%s  %.0f pps  packets=%lld bytes=%lld new_flows=%lld\n",
		       lbctl_str(vip, "vip"), json_real_value(json_object_get(vip, "pps")),
		       lbctl_num(vip, "packets"), lbctl_num(vip, "bytes"),
		       lbctl_num(vip, "new_flows"));
		json_array_foreach(json_object_get(vip, "backends"), j, b)
			printf("  %-40s %.0f pps  packets=%lld bytes=%lld new_flows=%lld "
			       "syn_repeats=%lld\n",
			       lbctl_str(b, "address"), json_real_value(json_object_get(b, "pps")),
			       lbctl_num(b, "packets"), lbctl_num(b, "bytes"),
			       lbctl_num(b, "new_flows"), lbctl_num(b, "syn_repeats"));
	}
}

static void print_health(json_t *r)
{
	json_t *v, *b;
	size_t i, j;

	json_array_foreach(json_object_get(r, "vips"), i, v)
	{
		printf("%s %s: ", lbctl_str(v, "vip"), lbctl_str(v, "name"));
		print_vip_health(json_object_get(v, "health"));
		printf("  %-32s %-12s %-16s %-36s %8s %8s %9s %9s %6s\n", "BACKEND", "HEALTH",
		       "CHECK", "LAST", "LATENCY", "SINCE", "AVAIL", "AVAIL_1H", "WEIGHT");
		json_array_foreach(json_object_get(v, "backends"), j, b)
		{
			json_t *c = json_object_get(b, "check"), *ag = json_object_get(c, "agent");
			char check[40], last[80];

			if (*lbctl_str(c, "via"))
				snprintf(check, sizeof(check), "%s:%lld/%s", lbctl_str(c, "type"),
					 lbctl_num(c, "port"), lbctl_str(c, "via"));
			else
				snprintf(check, sizeof(check), "%s",
					 json_is_object(c) ? "passive" : "-");
			snprintf(last, sizeof(last), "%s%s%s", lbctl_str(c, "last"),
				 ag ? "; agent: " : "", ag ? lbctl_str(ag, "reply") : "");
			printf("  %-32s %-12s %-16s %-36.36s %6.1fms %7.0fs %9.6f %9.6f %6.2f\n",
			       lbctl_str(b, "address"), lbctl_str(b, "health"), check, last,
			       json_real_value(json_object_get(c, "latency_ms")),
			       json_real_value(json_object_get(c, "since_s")),
			       json_real_value(json_object_get(c, "availability")),
			       json_real_value(json_object_get(c, "availability_hour")),
			       json_real_value(json_object_get(b, "effective_weight")));
		}
	}
}

static int run(const char *cmd, json_t *args, void (*print)(json_t *));

/* lbctl bgp: sessions, then prefixes. */
static void print_bgp(json_t *r)
{
	json_t *p;
	size_t i;

	printf("announce: %s\n", lbctl_str(r, "mode"));
	if (json_array_size(json_object_get(r, "peers")))
		printf("%-26s %-10s %-12s %10s %8s %-10s %s\n", "PEER", "AS", "STATE", "UPTIME",
		       "PREFIXES", "BFD", "LAST ERROR");
	json_array_foreach(json_object_get(r, "peers"), i, p)
	{
		char up[32];

		snprintf(up, sizeof(up), "%.0fs", json_real_value(json_object_get(p, "since_s")));
		printf("%-26s %-10lld %-12s %10s %8lld %-10s %s\n", lbctl_str(p, "address"),
		       lbctl_num(p, "peer_as"), lbctl_str(p, "state"), up, lbctl_num(p, "prefixes"),
		       json_is_string(json_object_get(p, "bfd")) ? lbctl_str(p, "bfd") : "-",
		       lbctl_str(p, "last_error"));
	}
	if (json_array_size(json_object_get(r, "prefixes")))
		printf("%-44s %-10s %s\n", "PREFIX", "ANNOUNCED", "STATE");
	json_array_foreach(json_object_get(r, "prefixes"), i, p)
		printf("%-44s %-10s %s\n", lbctl_str(p, "prefix"),
		       json_is_true(json_object_get(p, "announced")) ? "yes" : "no",
		       lbctl_str(p, "state"));
}

/* lbctl health [VIP]: the agent sends every VIP; one is picked here. */
static int cmd_health(int argc, char **argv)
{
	json_t *result = NULL, *reply, *vips, *v;
	const char *err;
	size_t i;

	if (argc > 1)
		return lbctl_usage();
	reply = lbctl_request("health", NULL, &result, &err);
	if (err) {
		json_decref(reply);
		/* the same words, and in json the same shape, as every other command */
		return run("health", NULL, NULL);
	}
	vips = json_object_get(result, "vips");
	if (argc == 1) {
		json_t *keep = json_array();

		json_array_foreach(vips, i, v) if (!strcmp(lbctl_str(v, "vip"), argv[0]) ||
						   !strcmp(lbctl_str(v, "name"), argv[0]))
			json_array_append(keep, v);
		if (!json_array_size(keep)) {
			char msg[160];

			snprintf(msg, sizeof(msg), "no VIP %s", argv[0]);
			lbctl_print_error(msg);
			json_decref(keep);
			json_decref(reply);
			return 1;
		}
		json_object_set_new(result, "vips", keep);
	}
	if (lbctl_json_out)
		lbctl_print_result(result, 2);
	else
		print_health(result);
	json_decref(reply);
	return 0;
}

static void print_vips(json_t *r)
{
	json_t *v;
	size_t i;

	json_array_foreach(r, i, v)
		printf("%s%-28s %-12s %-10s table %lld%s\n",
		       json_is_true(json_object_get(v, "runtime")) ? "*" : "", lbctl_str(v, "vip"),
		       lbctl_str(v, "name"), lbctl_str(v, "scheduler"), lbctl_num(v, "table_size"),
		       json_is_true(json_object_get(v, "flow_table")) ? "" : " stateless");
}

/* Runs cmd and prints its result; returns the exit code. */
static int run(const char *cmd, json_t *args, void (*print)(json_t *))
{
	json_t *result = NULL, *reply;
	const char *err;
	int code = 0;

	reply = lbctl_request(cmd, args, &result, &err);
	if (err) {
		lbctl_print_error(err);
		code = 1;
	} else if (lbctl_json_out) {
		lbctl_print_result(result, 2);
	} else if (print) {
		print(result);
	}
	json_decref(reply);
	return code;
}

static void print_lookup(json_t *r)
{
	const char *v = lbctl_str(r, "verdict");

	if (!strcmp(v, "forward"))
		printf("backend %s%s\n", lbctl_str(r, "backend"),
		       json_is_true(json_object_get(r, "in_flow_table")) ? " (in the flow table)"
									 : " (a new flow)");
	else if (!strcmp(v, "pass"))
		printf("not for a VIP: passed to the kernel\n");
	else if (!json_is_true(json_object_get(r, "service")))
		printf("dropped: no service on this port of a VIP address (the host does not own "
		       "it)\n");
	else
		printf("dropped: the VIP has no usable backend\n");
}

static bool prefix(const char *word, const char *of)
{
	return *word && !strncmp(word, of, strlen(word));
}

static int parse_uint_arg(const char *s, long long max, long long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoll(s, &end, 10);
	return !*s || *end || errno || *ret < 0 || *ret > max ? -EINVAL : 0;
}

static int cmd_vip(int argc, char **argv)
{
	json_t *args;
	int i;

	if (argc < 1)
		return usage_error("vip: list, add, del, withdraw or announce?");
	if (prefix(argv[0], "list") && argc == 1)
		return run("vip.list", NULL, print_vips);
	if (!prefix(argv[0], "add") && !prefix(argv[0], "del") && strcmp(argv[0], "withdraw") &&
	    strcmp(argv[0], "announce"))
		return usage_error("vip: '%s' is not list, add, del, withdraw or announce",
				   argv[0]);
	if (argc < 2)
		return usage_error("vip %s: which VIP?", argv[0]);
	args = json_pack("{s:s}", "vip", argv[1]);
	if (prefix(argv[0], "del") && argc == 2)
		return run("vip.del", args, NULL);
	if (!strcmp(argv[0], "withdraw") && argc == 2)
		return run("vip.withdraw", args, NULL);
	if (!strcmp(argv[0], "announce") && argc == 2)
		return run("vip.announce", args, NULL);
	if (!prefix(argv[0], "add")) {
		json_decref(args);
		return lbctl_usage();
	}
	for (i = 2; i < argc; i++) {
		long long n;

		if (!strcmp(argv[i], "--no-flow-table")) {
			json_object_set_new(args, "flow_table", json_false());
		} else if (i + 1 < argc && !strcmp(argv[i], "--scheduler")) {
			json_object_set_new(args, "scheduler", json_string(argv[++i]));
		} else if (i + 1 < argc && !strcmp(argv[i], "--name")) {
			json_object_set_new(args, "name", json_string(argv[++i]));
		} else if (i + 1 < argc && !strcmp(argv[i], "--table-size") &&
			   !parse_uint_arg(argv[i + 1], 1LL << 32, &n)) {
			json_object_set_new(args, "table_size", json_integer(n));
			i++;
		} else {
			json_decref(args);
			return usage_error("vip add: '%s' is not --scheduler S, --table-size N, "
					   "--name N or --no-flow-table",
					   argv[i]);
		}
	}
	return run("vip.add", args, NULL);
}

static int cmd_backend(int argc, char **argv)
{
	static const char *const simple[] = { "del", "drain", "undrain" };
	json_t *args;
	long long n;
	size_t k;
	int i;

	if (argc < 1 ||
	    (!prefix(argv[0], "add") && !prefix(argv[0], "del") && !prefix(argv[0], "drain") &&
	     !prefix(argv[0], "undrain") && !prefix(argv[0], "weight")))
		return argc ? usage_error("backend: '%s' is not add, del, drain, undrain or weight",
					  argv[0])
			    : usage_error("backend: add, del, drain, undrain or weight?");
	if (argc < 3)
		return usage_error("backend %s: VIP and ADDR?", argv[0]);
	args = json_pack("{s:s, s:s}", "vip", argv[1], "address", argv[2]);
	for (k = 0; k < sizeof(simple) / sizeof(simple[0]); k++) {
		char cmd[32];

		if (!prefix(argv[0], simple[k]) || argc != 3)
			continue;
		/* "d" would be del or drain: ask for more */
		if (k == 0 && prefix(argv[0], "drain")) {
			json_decref(args);
			return usage_error("backend: '%s' is ambiguous: del, drain", argv[0]);
		}
		snprintf(cmd, sizeof(cmd), "backend.%s", simple[k]);
		return run(cmd, args, NULL);
	}
	if (prefix(argv[0], "weight") && argc == 4) {
		if (parse_uint_arg(argv[3], 1000000, &n)) {
			json_decref(args);
			fprintf(stderr, "lbctl: weight must be a whole number from 0 to 1000000\n");
			return 2;
		}
		json_object_set_new(args, "weight", json_integer(n));
		return run("backend.weight", args, NULL);
	}
	if (prefix(argv[0], "add")) {
		for (i = 3; i < argc; i++) {
			if (i + 1 < argc && !strcmp(argv[i], "--weight") &&
			    !parse_uint_arg(argv[i + 1], 1000000, &n)) {
				json_object_set_new(args, "weight", json_integer(n));
				i++;
			} else if (i + 1 < argc && !strcmp(argv[i], "--encap")) {
				json_object_set_new(args, "encap", json_string(argv[++i]));
			} else {
				json_decref(args);
				return usage_error("backend add: '%s' is not --weight 0-1000000 or "
						   "--encap gue|ipip",
						   argv[i]);
			}
		}
		return run("backend.add", args, NULL);
	}
	json_decref(args);
	return usage_error("backend %s: VIP ADDR%s, nothing more", argv[0],
			   prefix(argv[0], "weight") ? " WEIGHT" : "");
}

static int cmd_stats(int argc, char **argv)
{
	long long secs = 0;

	if (argc == 2 && !strcmp(argv[0], "--watch")) {
		if (parse_uint_arg(argv[1], 3600, &secs) || secs < 1)
			return lbctl_usage();
		return lbctl_stats_watch(secs);
	}
	if (argc)
		return lbctl_usage();
	return run("stats", NULL, print_stats);
}

static int cmd_status(int argc, char **argv)
{
	(void)argv;
	return argc ? lbctl_usage() : run("status", NULL, print_status);
}

static int cmd_bgp(int argc, char **argv)
{
	(void)argv;
	return argc ? lbctl_usage() : run("bgp", NULL, print_bgp);
}

static int cmd_lookup(int argc, char **argv)
{
	if (argc != 2 && argc != 3)
		return lbctl_usage();
	if (argc == 3 && strcmp(argv[2], "tcp") && strcmp(argv[2], "udp"))
		return lbctl_usage();
	return run("lookup",
		   json_pack("{s:s, s:s, s:s}", "src", argv[0], "dst", argv[1], "proto",
			     argc == 3 ? argv[2] : "tcp"),
		   print_lookup);
}

static int cmd_save(int argc, char **argv)
{
	if (!argc)
		return run("save", NULL, NULL);
	if (argc == 1 && !strcmp(argv[0], "--force"))
		return run("save", json_pack("{s:b}", "force", 1), NULL);
	return lbctl_usage();
}

static int cmd_reload(int argc, char **argv)
{
	(void)argv;
	return argc ? lbctl_usage() : run("reload", NULL, NULL);
}

static int cmd_version(int argc, char **argv)
{
	json_t *r = NULL, *reply;
	const char *err;

	(void)argv;
	if (argc)
		return lbctl_usage();
	reply = lbctl_request("version", NULL, &r, &err);
	if (lbctl_json_out) {
		/* both ends: the agent's answer, and this lbctl's */
		if (err) {
			lbctl_print_error(err);
			json_decref(reply);
			return 1;
		}
		json_object_set_new(r, "lbctl",
				    json_pack("{s:s, s:i}", "version", SHOAL_VERSION, "protocol",
					      SHOAL_CTL_VERSION));
		lbctl_print_result(r, 2);
		json_decref(reply);
		return 0;
	}
	printf("lbctl %s (protocol %d)\n", SHOAL_VERSION, SHOAL_CTL_VERSION);
	if (err) {
		fprintf(stderr, "lbctl: %s\n", err);
		json_decref(reply);
		return 1;
	}
	printf("shoald %s (abi %lld, protocol %lld)\n", lbctl_str(r, "version"),
	       lbctl_num(r, "abi"), lbctl_num(r, "protocol"));
	json_decref(reply);
	return 0;
}

/* The commands, in the order the usage lists them (iproute2's table, with prefixes). */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "status", cmd_status },   { "vip", cmd_vip },	      { "backend", cmd_backend },
	{ "stats", cmd_stats },	    { "health", cmd_health }, { "bgp", cmd_bgp },
	{ "lookup", cmd_lookup },   { "reload", cmd_reload }, { "save", cmd_save },
	{ "version", cmd_version }, { "flows", lbctl_flows }, { "register", lbctl_register },
};

/* The command word names: itself, or the one command it is a prefix of; NULL after saying why. */
static const struct command *command_find(const char *word)
{
	const struct command *found = NULL;
	char candidates[256] = "";
	size_t i, n = 0, len = 0;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(word, commands[i].name))
			return &commands[i];
		/* register runs for a long time and writes to etcd: only by its whole name */
		if (commands[i].fn == lbctl_register || !prefix(word, commands[i].name))
			continue;
		found = &commands[i];
		n++;
		len += (size_t)snprintf(candidates + len, sizeof(candidates) - len, "%s%s",
					len ? ", " : "", commands[i].name);
	}
	if (n == 1)
		return found;
	if (n)
		fprintf(stderr, "lbctl: '%s' is ambiguous: %s\n", word, candidates);
	else
		fprintf(stderr, "lbctl: unknown command '%s' (lbctl --help lists them)\n", word);
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage_to(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			if (!strcmp(argv[i + 1], "json"))
				lbctl_json_out = true;
			else if (strcmp(argv[i + 1], "text")) {
				fprintf(stderr, "lbctl: -o %s: text or json\n", argv[i + 1]);
				return 2;
			}
			i += 2;
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			sock_path = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			char *end;

			timeout_sec = strtod(argv[i + 1], &end);
			if (*end || !(timeout_sec > 0) || timeout_sec > 86400) {
				fprintf(stderr,
					"lbctl: -t %s: seconds, more than 0, at most 86400\n",
					argv[i + 1]);
				return 2;
			}
			i += 2;
		} else {
			fprintf(stderr, "lbctl: unknown option '%s'%s (lbctl --help)\n", argv[i],
				strchr("ost", argv[i][1]) && argv[i][1] ? " or its value missing"
									: "");
			return 2;
		}
	}
	if (i >= argc)
		return lbctl_usage();
	cmd = command_find(argv[i]);
	return cmd ? cmd->fn(argc - i - 1, argv + i + 1) : 2;
}
