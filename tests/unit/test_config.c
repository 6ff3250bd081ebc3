// SPDX-License-Identifier: GPL-2.0-only
/* agent/config.c: the example parses whole; every error kind names its line. */
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "model/config.h"
#include "model/maglev.h"
#include "ckmain.h"

START_TEST(test_example_parses)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	const struct shoal_service_conf *s;
	size_t i;

	if (shoal_config_load("examples/shoal.yaml", &c, &errs))
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->host.interface, "eth0");
	ck_assert_uint_eq(c->host.hash_seed, 0x5eed);
	ck_assert_uint_eq(c->host.gue_port, 6080);
	ck_assert_uint_eq(c->host.flow_table_size, 1048576);
	ck_assert_uint_eq(c->host.flow_idle.tcp, 900);
	ck_assert_uint_eq(c->host.flow_idle.tcp_closing, 60);
	ck_assert(c->host.have_gateway_mac);
	ck_assert_uint_eq(c->host.gateway_mac[5], 0x01);
	ck_assert_str_eq(c->host.pin_path, "/sys/fs/bpf/shoal/eth0");
	ck_assert_uint_eq(c->nservices, 2);
	s = &c->services[0];
	ck_assert_str_eq(s->name, "web");
	ck_assert_uint_eq(ntohs(s->key.port), 80);
	ck_assert_uint_eq(s->nbackends, 3);
	ck_assert_uint_eq(s->backends[1].weight, 2);
	ck_assert_uint_eq(s->backends[1].encap, SHOAL_ENCAP_IPIP);
	ck_assert_uint_eq(s->backends[2].weight, 1);
	ck_assert_uint_eq(s->backends[2].encap, SHOAL_ENCAP_DEFAULT);
	s = &c->services[1];
	ck_assert_uint_eq(s->key.proto, IPPROTO_UDP);
	ck_assert_uint_eq(s->scheduler, SHOAL_SCHED_MAGLEV_SRC);
	ck_assert_ptr_eq(shoal_config_find(c, &s->key), s);
	shoal_config_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	static const char y[] =
		"host:\n  interface: lb0\n  hash_seed: 0x5eed\n  source_v4: 198.51.100.2\n"
		"services:\n  - vip: 192.0.2.1\n    port: 443\n"
		"    backends: [198.51.100.20]\n";
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;

	ck_assert_int_eq(shoal_config_parse("t.yaml", y, sizeof(y) - 1, &c, &errs), 0);
	ck_assert_uint_eq(c->host.xdp_mode, SHOAL_XDP_NATIVE);
	ck_assert_uint_eq(c->host.encap, SHOAL_ENCAP_GUE);
	ck_assert_str_eq(c->host.control_socket, "/run/shoal/shoald.sock");
	ck_assert_str_eq(c->host.metrics_addr, "127.0.0.1:9435");
	ck_assert_str_eq(c->host.pin_path, "/sys/fs/bpf/shoal/lb0");
	ck_assert_uint_eq(c->services[0].key.proto, IPPROTO_TCP);
	ck_assert_uint_eq(c->services[0].table_size, 65537);
	ck_assert(c->services[0].flow_table);
	ck_assert_uint_eq(c->host.flow_idle.tcp, 900);
	ck_assert_uint_eq(c->host.flow_idle.tcp_closing, 60);
	ck_assert_uint_eq(c->host.flow_idle.udp, 300);
	ck_assert_uint_eq(c->host.flow_idle.unconfirmed, 30);
	shoal_config_free(c);
}
END_TEST

#define HOST "host:\n  interface: lb0\n  hash_seed: 0x5eed\n  source_v4: 198.51.100.2\n"
#define SVC  "services:\n  - vip: 192.0.2.1\n    port: 80\n"
#define BGP  "bgp:\n  local_as: 65001\n"

struct bad_case {
	const char *yaml;
	const char *want; /* "line: substring" of one of the errors */
};

static const struct bad_case bad_cases[] = {
	{ "", "1: the file is empty" },
	{ "host:\n  interface: lb0\n", "host: 'hash_seed' is missing" },
	{ "host:\n  interface: lb0\n  hash_seed: 0\n", "3: hash_seed: 0 is out of range" },
	{ "host: [1, 2\n", "YAML" },
	{ "services: []\n", "'host' is missing" },
	{ "host:\n  source_v4: 198.51.100.2\n", "host: 'interface' is missing" },
	{ HOST "  colour: blue\n", "5: host: unknown key 'colour'" },
	{ HOST "  xdp_mode: turbo\n", "5: xdp_mode: 'turbo' is not native or generic" },
	{ HOST "  source_v6: 198.51.100.9\n", "5: source_v6: not an IPv6 address" },
	{ HOST "  gue_port: 70000\n", "5: gue_port: 70000 is out of range" },
	{ HOST "  gue_port: eighty\n", "5: gue_port: 'eighty' is not a whole number" },
	{ HOST "  encap: gre\n", "5: encap: 'gre' is not gue or ipip" },
	{ HOST "  mtu: 100\n", "5: mtu: 100 is below 576" },
	{ HOST "  flow_idle: 60s\n", "5: flow_idle must be a mapping" },
	{ HOST "  flow_idle:\n    tcp: 0s\n", "6: flow_idle.tcp:" },
	{ HOST "  flow_idle:\n    udp: 7h\n", "6: flow_idle.udp:" },
	{ HOST "  flow_idle:\n    icmp: 5s\n", "6: flow_idle: unknown key 'icmp'" },
	{ HOST "  gateway_mac: 02:00:zz:00:00:01\n", "5: gateway_mac:" },
	{ "host:\n  interface: averyveryverylongname0\n", "2: interface: longer than" },
	{ HOST "services: {a: 1}\n", "5: services must be a list" },
	{ HOST "services:\n  - port: 80\n", "6: service: 'vip' is missing" },
	{ HOST "services:\n  - vip: 192.0.2.1\n", "6: service: 'port' is missing" },
	{ HOST SVC "    protocol: sctp\n", "8: protocol: 'sctp' is not tcp or udp" },
	{ HOST SVC "    scheduler: lc\n", "8: scheduler: 'lc' is not maglev" },
	{ HOST SVC "    table_size: 65536\n", "8: table_size: 65536 is not a prime" },
	{ HOST SVC "    flow_table: maybe\n", "8: flow_table: 'maybe' is not true or false" },
	{ HOST SVC "    scheduler: rr\n    flow_table: false\n", "6: service: scheduler rr needs" },
	{ HOST "services:\n  - vip: 192.0.2.300\n    port: 80\n",
	  "6: vip: '192.0.2.300' is not an IPv4" },
	{ HOST SVC "    backends:\n      - weight: 3\n", "9: backend: 'address' is missing" },
	{ HOST SVC "    backends:\n      - address: 198.51.100.9\n        weight: -1\n",
	  "10: weight: '-1' is not a whole number" },
	{ HOST SVC "    backends:\n      - address: 198.51.100.9\n        shape: round\n",
	  "10: backend: unknown key 'shape'" },
	{ HOST SVC "    backends:\n      - 198.51.100.9\n      - 198.51.100.9\n",
	  "10: backend: the same address as the backend at line 9" },
	{ HOST SVC "    backends:\n      - 2001:db8::9\n",
	  "9: backend: an IPv6 backend needs host.source_v6" },
	{ HOST "services: []\nservices: []\n", "6: 'services' is given twice (first at line 5)" },
	{ HOST "  interface: lb1\n", "5: 'interface' is given twice (first at line 2)" },
	{ HOST SVC "  - vip: 192.0.2.1\n    port: 80\n",
	  "8: service: the same VIP, port and protocol as the service at line 6" },
	/* addresses that make no sense, by class */
	{ HOST "services:\n  - vip: 0.0.0.0\n    port: 80\n",
	  "6: vip: a VIP cannot be an unspecified" },
	{ HOST "services:\n  - vip: '::'\n    port: 80\n",
	  "6: vip: a VIP cannot be an unspecified (::)" },
	{ HOST "services:\n  - vip: 255.255.255.255\n    port: 80\n",
	  "6: vip: a VIP cannot be a broadcast" },
	{ HOST "services:\n  - vip: 224.0.0.5\n    port: 80\n",
	  "6: vip: a VIP cannot be a multicast" },
	{ HOST "services:\n  - vip: ff02::1\n    port: 80\n",
	  "6: vip: a VIP cannot be a multicast" },
	{ HOST "services:\n  - vip: 169.254.1.1\n    port: 80\n",
	  "6: vip: a VIP cannot be a link-local" },
	{ HOST "services:\n  - vip: fe80::1\n    port: 80\n",
	  "6: vip: a VIP cannot be a link-local" },
	{ HOST "services:\n  - vip: 127.0.0.1\n    port: 80\n",
	  "6: vip: a VIP cannot be a loopback" },
	{ HOST "services:\n  - vip: 198.51.100.2\n    port: 80\n",
	  "6: vip: a VIP cannot be the balancer's own address (host.source_v4)" },
	{ HOST SVC "    backends: [0.0.0.0]\n", "8: backend: a backend cannot be an unspecified" },
	{ HOST SVC "    backends: [255.255.255.255]\n",
	  "8: backend: a backend cannot be a broadcast" },
	{ HOST SVC "    backends: [239.1.1.1]\n", "8: backend: a backend cannot be a multicast" },
	{ HOST SVC "    backends: [127.0.0.2]\n", "8: backend: a backend cannot be a loopback" },
	{ HOST SVC "    backends: [198.51.100.2]\n",
	  "8: backend: a backend cannot be the balancer itself" },
	{ HOST SVC "    backends: [192.0.2.1]\n", "8: backend: a backend cannot be its own VIP" },
	/* Maglev needs M >= N */
	{ HOST SVC
	  "    table_size: 2\n    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]\n",
	  "6: table_size: 2 slots for 3 backends: some would get none" },
	/* names: a documented set, nothing cut silently */
	{ HOST "services:\n  - name: 'we\"ird'\n    vip: 192.0.2.1\n    port: 80\n",
	  "6: name: 'we\"ird' is not 1 to 63 letters" },
	{ HOST "services:\n  - name: \"new\\nline\"\n    vip: 192.0.2.1\n    port: 80\n",
	  "6: name: 'new\nline' is not" },
	{ HOST
	  "services:\n  - name: a234567890123456789012345678901234567890123456789012345678901234\n"
	  "    vip: 192.0.2.1\n    port: 80\n",
	  "6: name: 'a23456789012" },
	{ HOST "services:\n  - name: 'x\\y'\n    vip: 192.0.2.1\n    port: 80\n",
	  "6: name: 'x\\y'" },
	/* health: every bound */
	{ HOST SVC "    health: {type: smtp}\n", "8: type: 'smtp' is not tcp, http, https" },
	{ HOST SVC "    health: {interval: 2}\n", "8: health.interval: '2' is not a duration" },
	{ HOST SVC "    health: {interval: 50ms}\n", "8: health.interval: 50ms is out of range" },
	{ HOST SVC "    health: {interval: 2d}\n", "8: health.interval: '2d' is not a duration" },
	{ HOST SVC "    health: {interval: 1s, timeout: 2s}\n",
	  "8: health: timeout (2000ms) is longer than interval (1000ms)" },
	{ HOST SVC "    health: {rise: 0}\n", "8: health.rise: 0 is out of range (1 to 100)" },
	{ HOST SVC "    health: {fall: 101}\n", "8: health.fall: 101 is out of range" },
	{ HOST SVC "    health: {jitter: 60%}\n", "8: health.jitter: 60% is out of range" },
	{ HOST SVC "    health: {jitter: lots}\n", "8: health.jitter: 'lots' is not a percentage" },
	{ HOST SVC "    health: {type: http, path: healthz}\n",
	  "8: health.path: must start with '/'" },
	{ HOST SVC "    health: {type: http, path: '/a b'}\n",
	  "8: health.path: only printable characters without spaces" },
	{ HOST SVC "    health: {type: http, host: \"a\\r\\nX: 1\"}\n",
	  "8: health.host: only printable characters" },
	{ HOST SVC "    health: {type: http, expect: [200, 700]}\n",
	  "8: expect: '700' is not within 100-599" },
	{ HOST SVC "    health: {type: http, expect: 2xx}\n", "8: expect: '2xx' is not a status" },
	{ HOST SVC "    health: {type: http, expect: 399-200}\n",
	  "8: expect: '399-200' is not within" },
	{ HOST SVC "    health: {type: tcp, expect: ok}\n",
	  "8: health.expect: only for http, https and udp checks" },
	{ HOST SVC "    health: {type: dns}\n", "8: health: a dns check needs 'query'" },
	{ HOST SVC "    health: {type: dns, query: 'bad..name'}\n",
	  "8: health.query: 'bad..name' is not a domain name" },
	{ HOST SVC "    health: {via: carrier-pigeon}\n",
	  "8: health.via: 'carrier-pigeon' is not tunnel or direct" },
	{ HOST SVC "    health: {on_down: panic}\n",
	  "8: health.on_down: 'panic' is not keep_flows or reschedule" },
	{ HOST SVC "    health: {passive: {ratio: 0%}}\n", "8: passive.ratio: 0% is out of range" },
	{ HOST SVC "    health: {passive: {window: 100ms}}\n",
	  "8: passive.window: 100ms is out of range" },
	{ HOST SVC "    health: {colour: red}\n", "8: health: unknown key 'colour'" },
	{ HOST SVC "    slow_start: forever\n", "8: slow_start: 'forever' is not a duration" },
	{ HOST SVC "    panic_threshold: 101%\n", "8: panic_threshold: 101% is out of range" },
	{ HOST SVC "    min_healthy: -1\n", "8: min_healthy: '-1' is not a whole number" },
	{ HOST SVC "    agent_check: {interval: 5s}\n", "8: agent_check: 'port' is missing" },
	{ HOST SVC "    agent_check: {port: 0}\n", "8: agent_check.port: 0 is out of range" },
	{ HOST "services:\n  - vip: 192.0.2.1\n    port: 0\n",
	  "6: service: an all-port VIP needs health.port" },
	{ HOST "defaults:\n  health: {rise: 0}\n", "6: health.rise: 0 is out of range" },
	{ HOST "defaults:\n  scheduler: rr\n", "6: defaults: unknown key 'scheduler'" },
	{ HOST SVC "    scheduler: least-loaded\n",
	  "6: service: scheduler least-loaded needs agent_check" },
	{ HOST BGP "  peers: []\n", "6: bgp: 'peers' is missing" },
	{ HOST "bgp:\n  peers: [{address: 198.51.100.1, peer_as: 1}]\n",
	  "6: bgp: 'local_as' is missing" },
	{ HOST BGP "  hold_time: 2s\n  peers: [{address: 198.51.100.1, peer_as: 1}]\n",
	  "7: hold_time: 0 or whole seconds from 3s" },
	{ HOST "bgp:\n  local_as: 23456\n", "6: local_as: 23456 is AS_TRANS" },
	{ HOST BGP "  peers: [{address: 198.51.100.1}]\n", "7: peer: 'peer_as' is missing" },
	{ HOST BGP "  peers: [{address: 198.51.100.1, peer_as: 1, multihop: 3, bfd: true}]\n",
	  "7: peer: bfd is single hop" },
	{ HOST BGP "  peers: [{address: 198.51.100.1, peer_as: 1}, {address: 198.51.100.1, "
		   "peer_as: 2}]\n",
	  "the same address as the peer" },
	{ HOST BGP "  peers: [{address: 198.51.100.1, peer_as: 1, colour: red}]\n",
	  "7: peer: unknown key 'colour'" },
	{ HOST BGP "  communities: ['65536:1']\n  peers: [{address: 198.51.100.1, peer_as: 1}]\n",
	  "7: communities: '65536:1' is not ASN:VALUE" },
	{ HOST BGP "  large_communities: ['1:2']\n  peers: [{address: 198.51.100.1, peer_as: 1}]\n",
	  "7: large_communities: '1:2' is not GLOBAL:LOCAL1:LOCAL2" },
	{ HOST BGP "  router_id: 2001:db8::1\n  peers: [{address: 198.51.100.1, peer_as: 1}]\n",
	  "7: router_id: a non-zero IPv4 address" },
	{ HOST BGP "  bfd: {multiplier: 1}\n  peers: [{address: 198.51.100.1, peer_as: 1}]\n",
	  "7: bfd.multiplier: 1 is out of range" },
	{ HOST BGP "  prefix_servable: most\n  peers: [{address: 198.51.100.1, peer_as: 1}]\n",
	  "7: prefix_servable: 'most' is not any" },
	{ HOST "services:\n  - vip: 2001:db8::10\n    port: 80\n" BGP
	       "  peers: [{address: 198.51.100.1, peer_as: 1}]\n",
	  "peer: IPv6 VIPs over an IPv4 session need bgp.next_hop_v6" },
	{ HOST BGP "  peers: [{address: 198.51.100.1, peer_as: 1}]\nannounce: {mode: kernel}\n",
	  "announce: kernel routes and a bgp block: choose one" },
	{ HOST "announce: {mode: kernel, protocol: 2}\n",
	  "5: announce.protocol: 2 is out of range" },
	{ HOST "announce: {mode: bird}\n", "5: announce.mode: 'bird': kernel" },
	{ HOST "announce: {mode: kernel, table: 254}\n",
	  "5: announce.table: 254 is the kernel's own" },
	{ HOST SVC "    bgp: {med: -1}\n", "8: med: '-1' is not a whole number" },
	{ HOST SVC "    bgp: {med: 1}\n  - vip: 192.0.2.1\n    port: 81\n    bgp: {med: 2}\n",
	  "bgp.med: 2, but the service at line 6" },
};

/* The defaults block, a service's own keys over it, and what each key means. */
START_TEST(test_health_keys)
{
	static const char y[] = HOST
		"defaults:\n  health: {interval: 500ms, rise: 3, passive: {window: 4s}}\n"
		"  slow_start: 10s\n"
		"services:\n"
		"  - vip: 192.0.2.1\n    port: 80\n"
		"    health: {type: http, path: /healthz, host: www.example.org, expect: [200, "
		"'300-302'], body: ok, via: direct, timeout: 200ms, on_down: reschedule}\n"
		"    panic_threshold: 25%\n    min_healthy: 2\n    scheduler: least-loaded\n"
		"    agent_check: {port: 8081, interval: 2s}\n"
		"  - vip: 192.0.2.1\n    port: 53\n    protocol: udp\n"
		"  - vip: 192.0.2.1\n    port: 54\n    protocol: udp\n"
		"    health: {type: udp, send: ping, expect: pong}\n";
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	const struct shoal_health_conf *h;

	ck_assert_int_eq(shoal_config_parse("t.yaml", y, sizeof(y) - 1, &c, &errs), 0);
	h = &c->services[0].health;
	ck_assert_uint_eq(h->check.type, SHOAL_CHECK_HTTP);
	ck_assert_uint_eq(h->check.interval_ms, 500); /* from the defaults */
	ck_assert_uint_eq(h->check.rise, 3);
	ck_assert_uint_eq(h->check.fall, 3);
	ck_assert_uint_eq(h->check.timeout_ms, 200);
	ck_assert_str_eq(h->check.path, "/healthz");
	ck_assert_str_eq(h->check.host, "www.example.org");
	ck_assert_str_eq(h->check.body, "ok");
	ck_assert_uint_eq(h->check.nexpect, 2);
	ck_assert_uint_eq(h->check.expect[1].lo, 300);
	ck_assert_uint_eq(h->check.expect[1].hi, 302);
	ck_assert_uint_eq(h->check.via, SHOAL_VIA_DIRECT);
	ck_assert(h->reschedule);
	ck_assert_uint_eq(h->passive.window_ms, 4000);
	ck_assert_uint_eq(h->slow_start_ms, 10000);
	ck_assert_uint_eq(h->panic_pct, 25);
	ck_assert_uint_eq(h->min_healthy, 2);
	ck_assert(c->services[0].least_loaded);
	ck_assert_uint_eq(c->services[0].scheduler, SHOAL_SCHED_MAGLEV);
	ck_assert(h->agent.on);
	ck_assert_uint_eq(h->agent.port, 8081);
	ck_assert_uint_eq(h->agent.timeout_ms, 1000);
	/* a UDP service is not TCP-checked unless asked; the defaults' timings still apply */
	h = &c->services[1].health;
	ck_assert_uint_eq(h->check.type, SHOAL_CHECK_NONE);
	ck_assert_uint_eq(h->check.timeout_ms, 500); /* never past the interval */
	h = &c->services[2].health;
	ck_assert_uint_eq(h->check.type, SHOAL_CHECK_UDP);
	ck_assert_str_eq(h->check.send, "ping");
	ck_assert_str_eq(h->check.expect_reply, "pong");
	shoal_config_free(c);
}
END_TEST

/* The bgp block: defaults, every key, a service's own attributes. */
START_TEST(test_bgp_keys)
{
	static const char y[] = HOST
		"bgp:\n  local_as: 4200000000\n  hold_time: 30s\n  graceful_restart: false\n"
		"  shutdown_grace: 1s\n  communities: ['65001:100', no-export]\n"
		"  large_communities: ['4200000000:1:2']\n  med: 5\n  listen: false\n"
		"  bfd: {interval: 50ms, multiplier: 5}\n  next_hop_v6: 2001:db8::2\n"
		"  peers:\n    - {address: 198.51.100.1, peer_as: 65000, password: pw, bfd: true}\n"
		"    - {address: 2001:db8::1, peer_as: 4200000000, passive: true, multihop: 2, "
		"port: 1179}\n"
		"services:\n  - vip: 192.0.2.1\n    port: 80\n    bgp: {communities: ['1:1']}\n";
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	const struct shoal_anycast_conf *a;

	ck_assert_int_eq(shoal_config_parse("t.yaml", y, sizeof(y) - 1, &c, &errs), 0);
	a = &c->anycast;
	ck_assert_int_eq(a->mode, SHOAL_ANNOUNCE_BGP);
	ck_assert_uint_eq(a->local_as, 4200000000U);
	ck_assert_uint_eq(a->router_id, 0xc6336402); /* host.source_v4 */
	ck_assert_uint_eq(a->hold_s, 30);
	ck_assert_uint_eq(a->connect_retry_s, 5);
	ck_assert(!a->gr && !a->listen);
	ck_assert_uint_eq(a->shutdown_grace_ms, 1000);
	ck_assert_uint_eq(a->attrs.ncomms, 2);
	ck_assert_uint_eq(a->attrs.comms[0], 65001U << 16 | 100);
	ck_assert_uint_eq(a->attrs.comms[1], 0xffffff01);
	ck_assert_uint_eq(a->attrs.nlarge, 1);
	ck_assert_uint_eq(a->attrs.large[0][0], 4200000000U);
	ck_assert(a->attrs.have_med && a->attrs.med == 5);
	ck_assert_uint_eq(a->bfd.interval_ms, 50);
	ck_assert_uint_eq(a->bfd.multiplier, 5);
	ck_assert_uint_eq(a->npeers, 2);
	ck_assert_str_eq(a->peers[0].password, "pw");
	ck_assert(a->peers[0].bfd && !a->peers[0].passive && a->peers[0].ttl == 1);
	ck_assert_int_eq(a->peers[1].family, AF_INET6);
	ck_assert(a->peers[1].passive && a->peers[1].ttl == 2 && a->peers[1].port == 1179);
	ck_assert(c->services[0].have_attrs && c->services[0].attrs.ncomms == 1);
	shoal_config_free(c);
	/* no bgp block: nothing announced; the announce block: kernel routes, its defaults */
	{
		static const char k[] = HOST "announce: {mode: kernel, table: 101}\n";

		ck_assert_int_eq(shoal_config_parse("t.yaml", k, sizeof(k) - 1, &c, &errs), 0);
		ck_assert_int_eq(c->anycast.mode, SHOAL_ANNOUNCE_KERNEL);
		ck_assert_uint_eq(c->anycast.table, 101);
		ck_assert_uint_eq(c->anycast.protocol, 200);
		ck_assert_uint_eq(c->anycast.shutdown_grace_ms, 5000);
		shoal_config_free(c);
	}
}
END_TEST

START_TEST(test_error_names_line)
{
	const struct bad_case *b = &bad_cases[_i];
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	char want[256];
	bool found = false;
	size_t i;

	ck_assert_int_eq(shoal_config_parse("t.yaml", b->yaml, strlen(b->yaml), &c, &errs),
			 -EINVAL);
	ck_assert_ptr_null(c);
	/* "LINE: text" must match at that line; plain text anywhere */
	if (b->want[0] >= '0' && b->want[0] <= '9')
		snprintf(want, sizeof(want), "t.yaml:%s", b->want);
	else
		snprintf(want, sizeof(want), "%s", b->want);
	for (i = 0; i < errs.n; i++)
		found |= strstr(errs.msg[i], want) != NULL;
	for (i = 0; !found && i < errs.n; i++)
		fprintf(stderr, "case %d got: %s\n", _i, errs.msg[i]);
	ck_assert_msg(found, "case %d: no error '%s'", _i, want);
	shoal_errors_free(&errs);
}
END_TEST

/* All errors at once, not only the first. */
START_TEST(test_all_errors_reported)
{
	static const char y[] = HOST "  gue_port: 0\n  xdp_mode: x\n" SVC "    protocol: x\n";
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;

	ck_assert_int_eq(shoal_config_parse("t.yaml", y, sizeof(y) - 1, &c, &errs), -EINVAL);
	ck_assert_uint_eq(errs.n, 3);
	shoal_errors_free(&errs);
}
END_TEST

START_TEST(test_missing_file)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;

	ck_assert_int_eq(shoal_config_load("/nonexistent/shoal.yaml", &c, &errs), -ENOENT);
	ck_assert_uint_eq(errs.n, 1);
	shoal_errors_free(&errs);
}
END_TEST

/* A hostile file makes a bounded answer: the first 100 errors, then a count. */
START_TEST(test_errors_capped)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	char *y = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&y, &len);

	fprintf(f, HOST "services:\n");
	for (i = 0; i < 1000; i++)
		fprintf(f, "  - vip: 192.0.2.1\n    port: 80\n");
	fclose(f);
	ck_assert_int_eq(shoal_config_parse("t.yaml", y, len, &c, &errs), -EINVAL);
	ck_assert_uint_eq(errs.n, SHOAL_MAX_ERRORS + 1);
	ck_assert_str_eq(errs.msg[SHOAL_MAX_ERRORS], "t.yaml: and 899 more errors");
	shoal_errors_free(&errs);
	free(y);
}
END_TEST

/* 50,000 unknown keys: each reported (capped), duplicates found by sorting. */
START_TEST(test_many_keys)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	char *y = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&y, &len);

	fprintf(f, HOST);
	for (i = 0; i < 50000; i++)
		fprintf(f, "  k%zu: 1\n", i);
	fprintf(f, "  k7: 2\n");
	fclose(f);
	ck_assert_int_eq(shoal_config_parse("t.yaml", y, len, &c, &errs), -EINVAL);
	ck_assert_uint_eq(errs.n, SHOAL_MAX_ERRORS + 1);
	/* the duplicate is found before the unknown keys are named */
	ck_assert_ptr_nonnull(strstr(errs.msg[0], "'k7' is given twice (first at line 12)"));
	shoal_errors_free(&errs);
	free(y);
}
END_TEST

/* table_size: chosen to fit when not given; a warning below 100 per backend. */
START_TEST(test_table_size_rules)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;
	char *y = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&y, &len);

	fprintf(f, HOST SVC "    backends:\n");
	for (i = 0; i < 1000; i++)
		fprintf(f, "      - 198.18.%zu.%zu\n", i / 250, 1 + i % 250);
	fprintf(f, "  - vip: 192.0.2.2\n    port: 80\n    table_size: 251\n"
		   "    backends: [198.51.100.11, 198.51.100.12, 198.51.100.13]\n");
	fclose(f);
	ck_assert_int_eq(shoal_config_parse("t.yaml", y, len, &c, &errs), 0);
	/* 1,000 backends: a prime of at least 100,000 slots */
	ck_assert_uint_ge(c->services[0].table_size, 100000);
	ck_assert(maglev_is_prime(c->services[0].table_size));
	ck_assert_uint_eq(shoal_table_size_default(3), 65537);
	ck_assert_uint_eq(c->warnings.n, 1);
	ck_assert_ptr_nonnull(strstr(c->warnings.msg[0], "table_size: 251 slots for 3 backends"));
	shoal_config_free(c);
	free(y);
}
END_TEST

START_TEST(test_names)
{
	ck_assert(shoal_name_valid("web-1.prod_eu"));
	ck_assert(!shoal_name_valid(""));
	ck_assert(!shoal_name_valid("a b"));
	ck_assert(!shoal_name_valid("we\"ird"));
	ck_assert(!shoal_name_valid("x\\y"));
	ck_assert(!shoal_name_valid("new\nline"));
	ck_assert(shoal_name_valid(
		"a23456789012345678901234567890123456789012345678901234567890123"));
	ck_assert(!shoal_name_valid(
		"a234567890123456789012345678901234567890123456789012345678901234"));
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_example_parses);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_health_keys);
	tcase_add_test(tc, test_bgp_keys);
	tcase_add_loop_test(tc, test_error_names_line, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_errors_capped);
	tcase_add_test(tc, test_many_keys);
	tcase_add_test(tc, test_table_size_rules);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ckmain_run(config_suite());
}
