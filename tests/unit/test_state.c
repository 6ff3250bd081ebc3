// SPDX-License-Identifier: GPL-2.0-only
/* agent/model/state.c: config to state, ids kept across reloads, runtime edits. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "model/addr.h"
#include "ckmain.h"
#include "model/config.h"
#include "model/state.h"

static struct shoal_config *parse(const char *y)
{
	struct shoal_errors errs = { 0 };
	struct shoal_config *c = NULL;

	ck_assert_int_eq(shoal_config_parse("t.yaml", y, strlen(y), &c, &errs), 0);
	return c;
}

#define HOST \
	"host:\n  interface: lb0\n  hash_seed: 0x5eed\n  source_v4: 198.51.100.2\n  encap: ipip\n"

static const char conf_a[] = HOST "services:\n"
				  "  - vip: 192.0.2.1\n    port: 80\n"
				  "    backends: [198.51.100.11, 198.51.100.12]\n"
				  "  - vip: 192.0.2.2\n    port: 53\n    protocol: udp\n"
				  "    backends:\n      - address: 198.51.100.13\n"
				  "        encap: gue\n";
/* VIP 1 loses .11 and gains .14; VIP 2 is gone; VIP 3 is new */
static const char conf_b[] =
	HOST "services:\n"
	     "  - vip: 192.0.2.3\n    port: 443\n    backends: [198.51.100.15]\n"
	     "  - vip: 192.0.2.1\n    port: 80\n"
	     "    backends: [198.51.100.14, 198.51.100.12]\n";

static struct shoal_vip_key key(const char *addr, __u16 port, __u8 proto)
{
	struct shoal_vip_key k = { 0 };

	ck_assert_int_eq(shoal_addr_parse(addr, &k.addr, NULL), 0);
	k.port = htons(port);
	k.proto = proto;
	return k;
}

static struct shoal_addr addr(const char *s)
{
	struct shoal_addr a;

	ck_assert_int_eq(shoal_addr_parse(s, &a, NULL), 0);
	return a;
}

START_TEST(test_from_config)
{
	struct shoal_config *c = parse(conf_a);
	struct shoal_state *s = NULL;
	struct shoal_vip_key k1 = key("192.0.2.1", 80, IPPROTO_TCP);
	struct shoal_vip_key k2 = key("192.0.2.2", 53, IPPROTO_UDP);
	struct shoal_vip_state *v1, *v2;

	ck_assert_int_eq(shoal_state_from_config(c, NULL, &s), 0);
	ck_assert_uint_eq(s->nvips, 2);
	v1 = shoal_state_vip(s, &k1);
	v2 = shoal_state_vip(s, &k2);
	ck_assert_ptr_nonnull(v1);
	ck_assert_ptr_nonnull(v2);
	ck_assert_uint_ne(v1->id, v2->id);
	ck_assert_uint_ne(v1->id, 0);
	ck_assert_uint_eq(v1->nbe, 2);
	ck_assert_uint_ne(v1->be[0].id, v1->be[1].id);
	/* encapsulation: the host default unless the backend says otherwise */
	ck_assert_uint_eq(v1->be[0].encap, SHOAL_ENCAP_IPIP);
	ck_assert_uint_eq(v2->be[0].encap, SHOAL_ENCAP_GUE);
	shoal_state_free(s);
	shoal_config_free(c);
}
END_TEST

/* A reload keeps the ids of what stays, so its flows stay where they are. */
START_TEST(test_reload_keeps_ids)
{
	struct shoal_config *a = parse(conf_a), *b = parse(conf_b);
	struct shoal_state *s1 = NULL, *s2 = NULL;
	struct shoal_vip_key k1 = key("192.0.2.1", 80, IPPROTO_TCP);
	struct shoal_vip_key k3 = key("192.0.2.3", 443, IPPROTO_TCP);
	struct shoal_addr a12 = addr("198.51.100.12"), a14 = addr("198.51.100.14");
	struct shoal_vip_state *v1a, *v1b, *v3;
	__u32 id12, id11, id2;

	ck_assert_int_eq(shoal_state_from_config(a, NULL, &s1), 0);
	v1a = shoal_state_vip(s1, &k1);
	id12 = shoal_state_backend(v1a, &a12)->id;
	id11 = v1a->be[0].id == id12 ? v1a->be[1].id : v1a->be[0].id;
	id2 = s1->vips[1].id;
	ck_assert_int_eq(shoal_state_from_config(b, s1, &s2), 0);
	v1b = shoal_state_vip(s2, &k1);
	v3 = shoal_state_vip(s2, &k3);
	ck_assert_uint_eq(v1b->id, v1a->id);
	ck_assert_uint_eq(shoal_state_backend(v1b, &a12)->id, id12);
	ck_assert_uint_ne(shoal_state_backend(v1b, &a14)->id, id12);
	ck_assert_uint_ne(v3->id, v1b->id);
	/* ids still in use are never handed out twice */
	ck_assert_uint_ne(shoal_state_backend(v1b, &a14)->id, v3->be[0].id);
	/* what the reload dropped is in quarantine: a new VIP never gets its id */
	ck_assert_uint_ne(v3->id, id2);
	ck_assert_uint_ne(v3->be[0].id, id11);
	ck_assert_uint_ne(shoal_state_backend(v1b, &a14)->id, id11);
	ck_assert_uint_ne(v3->be[0].id, s1->vips[1].be[0].id);
	shoal_state_free(s1);
	shoal_state_free(s2);
	shoal_config_free(a);
	shoal_config_free(b);
}
END_TEST

START_TEST(test_runtime_edits)
{
	struct shoal_config *c = parse(conf_a);
	struct shoal_state *s = NULL, *r = NULL;
	struct shoal_vip_key k1 = key("192.0.2.1", 80, IPPROTO_TCP);
	struct shoal_vip_key k9 = key("192.0.2.9", 80, IPPROTO_TCP);
	struct shoal_addr a11 = addr("198.51.100.11"), a20 = addr("198.51.100.20");
	struct shoal_addr v6 = addr("2001:db8::1");
	struct shoal_vip_state t = { .key = k9, .table_size = 251 }, *v;

	ck_assert_int_eq(shoal_state_from_config(c, NULL, &s), 0);
	ck_assert_int_eq(shoal_state_backend_admin(s, &k1, &a11, SHOAL_ADMIN_DRAINING), 0);
	v = shoal_state_vip(s, &k1);
	ck_assert_uint_eq(shoal_be_table_weight(shoal_state_backend(v, &a11)), 0);
	ck_assert(shoal_state_backend(v, &a11)->runtime);
	ck_assert_int_eq(shoal_state_backend_weight(s, &k1, &a11, 7), 0);
	ck_assert_int_eq(shoal_state_backend_add(s, &k1, &a20, AF_INET, 2, SHOAL_ENCAP_DEFAULT), 0);
	ck_assert_int_eq(shoal_state_backend_add(s, &k1, &a20, AF_INET, 2, SHOAL_ENCAP_DEFAULT),
			 -EEXIST);
	/* no IPv6 source address configured: an IPv6 backend cannot be tunnelled */
	ck_assert_int_eq(shoal_state_backend_add(s, &k1, &v6, AF_INET6, 1, SHOAL_ENCAP_DEFAULT),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(shoal_state_backend_del(s, &k9, &a20), -ENOENT);
	ck_assert_int_eq(shoal_state_vip_add(s, &t), 0);
	ck_assert_int_eq(shoal_state_vip_add(s, &t), -EEXIST);
	ck_assert(shoal_state_vip(s, &k9)->runtime);
	{
		/* a snapshot to apply copies VIPs without backends too */
		struct shoal_state *snap = NULL;

		ck_assert_int_eq(shoal_state_dup(s, &snap), 0);
		ck_assert_uint_eq(snap->nvips, s->nvips);
		ck_assert_uint_eq(shoal_state_vip(snap, &k9)->nbe, 0);
		ck_assert_ptr_null(snap->vip_ids);
		shoal_state_free(snap);
	}
	ck_assert_int_eq(shoal_state_vip_del(s, &k9), 0);
	ck_assert_int_eq(shoal_state_vip_del(s, &k9), -ENOENT);

	/* a reload restores the file: runtime changes are gone, ids stay */
	ck_assert_int_eq(shoal_state_from_config(c, s, &r), 0);
	v = shoal_state_vip(r, &k1);
	ck_assert_uint_eq(v->nbe, 2);
	ck_assert_uint_eq(shoal_state_backend(v, &a11)->weight, 1);
	ck_assert_uint_eq(shoal_state_backend(v, &a11)->admin, SHOAL_ADMIN_ACTIVE);
	ck_assert_uint_eq(shoal_state_backend(v, &a11)->id,
			  shoal_state_backend(shoal_state_vip(s, &k1), &a11)->id);
	shoal_state_free(s);
	shoal_state_free(r);
	shoal_config_free(c);
}
END_TEST

/*
 * After a restart the state comes from adopted maps (no allocator): new ids
 * are handed out past the highest in use, not from the bottom, where a VIP
 * removed just before the restart had its id.
 */
START_TEST(test_adopted_ids_start_past_the_highest)
{
	struct shoal_config *a = parse(conf_a), *b = parse(conf_b);
	struct shoal_state *s1 = NULL, *adopted, *s2 = NULL;
	struct shoal_vip_key k3 = key("192.0.2.3", 443, IPPROTO_TCP);
	__u32 max_vip = 0, max_be = 0;
	size_t i, j;

	struct shoal_vip_key k1 = key("192.0.2.1", 80, IPPROTO_TCP);
	__u32 gone;

	ck_assert_int_eq(shoal_state_from_config(a, NULL, &s1), 0);
	/* what the maps say after 192.0.2.1 was removed, just before a restart */
	gone = shoal_state_vip(s1, &k1)->id;
	ck_assert_int_eq(shoal_state_vip_del(s1, &k1), 0);
	ck_assert_int_eq(shoal_state_dup(s1, &adopted), 0);
	for (i = 0; i < adopted->nvips; i++) {
		if (adopted->vips[i].id > max_vip)
			max_vip = adopted->vips[i].id;
		for (j = 0; j < adopted->vips[i].nbe; j++)
			if (adopted->vips[i].be[j].id > max_be)
				max_be = adopted->vips[i].be[j].id;
	}
	ck_assert_int_eq(shoal_state_from_config(b, adopted, &s2), 0);
	/* 192.0.2.1 comes back as new: not on the id it had before the restart */
	ck_assert_uint_ne(shoal_state_vip(s2, &k1)->id, gone);
	ck_assert_uint_gt(shoal_state_vip(s2, &k1)->id, max_vip);
	ck_assert_uint_gt(shoal_state_vip(s2, &k3)->id, max_vip);
	ck_assert_uint_gt(shoal_state_vip(s2, &k3)->be[0].id, max_be);
	shoal_state_free(s1);
	shoal_state_free(adopted);
	shoal_state_free(s2);
	shoal_config_free(a);
	shoal_config_free(b);
}
END_TEST

/* What lbctl save writes parses back to the same state. */
START_TEST(test_yaml_round_trip)
{
	struct shoal_config *c = parse(conf_a), *back = NULL;
	struct shoal_state *s = NULL, *s2 = NULL;
	struct shoal_vip_key k1 = key("192.0.2.1", 80, IPPROTO_TCP);
	struct shoal_addr a11 = addr("198.51.100.11");
	struct shoal_errors errs = { 0 };
	struct shoal_vip_state *v;
	char *text = NULL;
	size_t i;

	ck_assert_int_eq(shoal_state_from_config(c, NULL, &s), 0);
	ck_assert_int_eq(shoal_state_backend_weight(s, &k1, &a11, 9), 0);
	ck_assert_int_eq(shoal_state_backend_admin(s, &k1, &a11, SHOAL_ADMIN_DRAINING), 0);
	ck_assert_int_eq(shoal_state_format_yaml(s, &text), 0);
	if (shoal_config_parse("saved.yaml", text, strlen(text), &back, &errs))
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n%s\n", errs.msg[i], text);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(shoal_state_from_config(back, s, &s2), 0);
	ck_assert_uint_eq(s2->nvips, s->nvips);
	v = shoal_state_vip(s2, &k1);
	ck_assert_uint_eq(shoal_state_backend(v, &a11)->weight, 9);
	ck_assert_uint_eq(shoal_state_backend(v, &a11)->admin, SHOAL_ADMIN_DRAINING);
	ck_assert_uint_eq(shoal_state_vip(s2, &s->vips[1].key)->be[0].encap, SHOAL_ENCAP_GUE);
	ck_assert_uint_eq(back->host.encap, SHOAL_ENCAP_IPIP);
	free(text);
	shoal_state_free(s);
	shoal_state_free(s2);
	shoal_config_free(c);
	shoal_config_free(back);
}
END_TEST

/* Every health key of a service survives save: the parsed copy equals the original. */
START_TEST(test_yaml_round_trip_health)
{
	static const char y[] =
		HOST "defaults:\n  health: {interval: 500ms, rise: 3}\n  slow_start: 10s\n"
		     "services:\n"
		     "  - vip: 192.0.2.1\n    port: 80\n    scheduler: least-loaded\n"
		     "    health: {type: https, port: 8443, path: /h, host: www.example.org, "
		     "expect: [200, '300-302'], body: ok, via: direct, timeout: 200ms, fall: 4, "
		     "jitter: 20%, on_down: reschedule, passive: {window: 4s, min_syns: 9, "
		     "ratio: 40%}}\n"
		     "    panic_threshold: 25%\n    min_healthy: 2\n"
		     "    agent_check: {port: 8081, interval: 2s, timeout: 300ms}\n"
		     "    backends: [198.51.100.11]\n"
		     "  - vip: 192.0.2.2\n    port: 53\n    protocol: udp\n"
		     "    health: {type: dns, query: example.org, passive: false}\n"
		     "    backends: [198.51.100.12]\n"
		     "  - vip: 192.0.2.3\n    port: 54\n    protocol: udp\n"
		     "    health: {type: udp, send: ping, expect: pong}\n"
		     "    backends: [198.51.100.13]\n"
		     "  - vip: 192.0.2.4\n    port: 55\n    protocol: udp\n"
		     "    backends: [198.51.100.14]\n";
	struct shoal_config *c = parse(y), *back = NULL;
	struct shoal_state *s = NULL;
	struct shoal_errors errs = { 0 };
	char *text = NULL;
	size_t i;

	ck_assert_int_eq(shoal_state_from_config(c, NULL, &s), 0);
	ck_assert_int_eq(shoal_state_format_yaml(s, &text), 0);
	if (shoal_config_parse("saved.yaml", text, strlen(text), &back, &errs))
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n%s\n", errs.msg[i], text);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(back->nservices, c->nservices);
	for (i = 0; i < c->nservices; i++) {
		const struct shoal_health_conf *a = &c->services[i].health,
					       *b = &back->services[i].health;

		ck_assert_msg(!memcmp(&a->check, &b->check, sizeof(a->check)),
			      "service %zu: the check changed through save:\n%s", i, text);
		ck_assert_uint_eq(a->reschedule, b->reschedule);
		ck_assert(!memcmp(&a->passive, &b->passive, sizeof(a->passive)));
		ck_assert_uint_eq(a->slow_start_ms, b->slow_start_ms);
		ck_assert_uint_eq(a->panic_pct, b->panic_pct);
		ck_assert_uint_eq(a->min_healthy, b->min_healthy);
		ck_assert(!memcmp(&a->agent, &b->agent, sizeof(a->agent)));
		ck_assert_uint_eq(c->services[i].least_loaded, back->services[i].least_loaded);
	}
	free(text);
	shoal_state_free(s);
	shoal_config_free(c);
	shoal_config_free(back);
}
END_TEST

/* The bgp block and a service's own attributes survive lbctl save, every key. */
START_TEST(test_yaml_round_trip_bgp)
{
	static const char y[] = HOST
		"bgp:\n  local_as: 4200000000\n  router_id: 198.51.100.9\n"
		"  hold_time: 0s\n  graceful_restart: false\n  restart_time: 60s\n"
		"  shutdown_grace: 1500ms\n  listen: false\n  listen_port: 1179\n"
		"  next_hop_v4: 198.51.100.2\n  next_hop_v6: 2001:db8::2\n"
		"  prefix_servable: all\n  communities: ['65001:100', no-export]\n"
		"  large_communities: ['1:2:3']\n  med: 7\n"
		"  bfd: {interval: 50ms, multiplier: 4}\n"
		"  peers:\n    - {address: 198.51.100.1, peer_as: 65000, source: 198.51.100.2, "
		"password: pw, bfd: true, hold_time: 30s}\n"
		"    - {address: 2001:db8::1, peer_as: 65000, local_as: 65010, passive: true, "
		"multihop: 3, port: 1179}\n"
		"services:\n  - vip: 192.0.2.1\n    port: 80\n"
		"    bgp: {communities: ['1:1'], large_communities: ['4:5:6'], med: 3}\n"
		"    backends: [198.51.100.11]\n";
	static const char k[] = HOST "announce: {mode: kernel, table: 100, protocol: 99, "
				     "shutdown_grace: 0s, prefix_servable: all}\n";
	const char *const ys[] = { y, k };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct shoal_config *c = parse(ys[i]), *back = NULL;
		struct shoal_state *s = NULL;
		struct shoal_errors errs = { 0 };
		char *text = NULL;
		size_t j;

		ck_assert_int_eq(shoal_state_from_config(c, NULL, &s), 0);
		ck_assert_int_eq(shoal_state_format_yaml(s, &text), 0);
		if (shoal_config_parse("saved.yaml", text, strlen(text), &back, &errs))
			for (j = 0; j < errs.n; j++)
				fprintf(stderr, "%s\n%s\n", errs.msg[j], text);
		ck_assert_ptr_nonnull(back);
		for (j = 0; j < SHOAL_BGP_MAX_PEERS; j++) /* where they stand in the file */
			c->anycast.peers[j].line = back->anycast.peers[j].line = 0;
		ck_assert_msg(!memcmp(&c->anycast, &back->anycast, sizeof(c->anycast)),
			      "the announcement changed through save:\n%s", text);
		for (j = 0; j < c->nservices; j++) {
			ck_assert_uint_eq(c->services[j].have_attrs, back->services[j].have_attrs);
			ck_assert(!memcmp(&c->services[j].attrs, &back->services[j].attrs,
					  sizeof(c->services[j].attrs)));
		}
		free(text);
		shoal_state_free(s);
		shoal_config_free(c);
		shoal_config_free(back);
	}
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_from_config);
	tcase_add_test(tc, test_reload_keeps_ids);
	tcase_add_test(tc, test_runtime_edits);
	tcase_add_test(tc, test_yaml_round_trip);
	tcase_add_test(tc, test_yaml_round_trip_health);
	tcase_add_test(tc, test_yaml_round_trip_bgp);
	tcase_add_test(tc, test_adopted_ids_start_past_the_highest);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ckmain_run(state_suite());
}
