// SPDX-License-Identifier: GPL-2.0-only
/* lbctl bgp and lbctl vip withdraw|announce (internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <jansson.h>

#include "anycast/anycast.h"
#include "control/internal.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/parts.h"
#include "model/addr.h"
#include "model/bgpwire.h"

static const char *mode_name(enum shoal_announce m)
{
	return m == SHOAL_ANNOUNCE_BGP ? "bgp" : m == SHOAL_ANNOUNCE_KERNEL ? "kernel" : "none";
}

json_t *ctl_bgp(struct ctl_conn *c, json_t *args, const char **err)
{
	struct shoal_peer_view pv[SHOAL_BGP_MAX_PEERS];
	struct shoal_prefix_view *xv;
	struct shoal_anycast *a = c->p->anycast;
	json_t *res, *peers, *prefixes;
	char rid[BGP_ID_STRLEN];
	__u64 now = shoal_now_ns();
	size_t i, n, t;

	(void)args;
	(void)err;
	res = json_pack("{s:s}", "mode", mode_name(shoal_anycast_mode(a)));
	peers = json_array();
	prefixes = json_array();
	if (!res || !peers || !prefixes) {
		json_decref(res);
		json_decref(peers);
		json_decref(prefixes);
		return NULL;
	}
	json_object_set_new(res, "peers", peers);
	json_object_set_new(res, "prefixes", prefixes);
	if (!a)
		return res;
	n = shoal_anycast_peers(a, pv, SHOAL_BGP_MAX_PEERS);
	for (i = 0; i < n; i++) {
		json_t *o, *in = json_object(), *out = json_object();

		for (t = 1; t < 6; t++) {
			json_object_set_new(in, bgp_type_name((__u8)t),
					    json_integer((json_int_t)pv[i].msgs[0][t]));
			json_object_set_new(out, bgp_type_name((__u8)t),
					    json_integer((json_int_t)pv[i].msgs[1][t]));
		}
		o = json_pack(
			"{s:s, s:I, s:I, s:s, s:f, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:b, "
			"s:s?, s:o, s:o}",
			"address", pv[i].addr, "peer_as", (json_int_t)pv[i].peer_as, "local_as",
			(json_int_t)pv[i].local_as, "state", pv[i].state, "since_s",
			(double)(now - pv[i].since_ns) / 1e9, "last_error", pv[i].last_error,
			"router_id", json_string(bgp_id_format(pv[i].router_id, rid)), "hold_s",
			(json_int_t)pv[i].hold_s, "prefixes", (json_int_t)pv[i].prefixes,
			"received_announced", (json_int_t)pv[i].received_announced,
			"received_withdrawn", (json_int_t)pv[i].received_withdrawn, "transitions",
			(json_int_t)pv[i].transitions, "graceful_restart", pv[i].gr, "bfd",
			pv[i].bfd_state, "messages_in", in, "messages_out", out);
		json_array_append_new(peers, o);
	}
	xv = calloc(SHOAL_MAX_VIPS, sizeof(*xv));
	if (!xv)
		return res;
	n = shoal_anycast_prefixes(a, xv, SHOAL_MAX_VIPS);
	for (i = 0; i < n; i++) {
		char addr[64], pfx[72];

		snprintf(pfx, sizeof(pfx), "%s/%d",
			 shoal_addr_format(&xv[i].addr, addr, sizeof(addr)),
			 xv[i].family == AF_INET ? 32 : 128);
		json_array_append_new(prefixes, json_pack("{s:s, s:b, s:s, s:I}", "prefix", pfx,
							  "announced", xv[i].announced, "state",
							  shoal_prefix_why_name(xv[i].why), "peers",
							  (json_int_t)xv[i].peers));
	}
	free(xv);
	return res;
}

static json_t *vip_admin(struct ctl_conn *c, json_t *args, const char **err, bool withdraw)
{
	const char *s = json_string_value(json_object_get(args, "vip"));
	struct shoal_vip_key key;
	struct shoal_addr addr;
	int ret;

	if (!c->p->anycast) {
		*err = ctl_errf("nothing is announced here (no bgp or announce block)");
		return NULL;
	}
	/* an address, or a service spec naming one */
	if (s && !shoal_vip_spec_parse(s, &key, NULL)) {
		addr = key.addr;
	} else if (!s || shoal_addr_parse(s, &addr, NULL)) {
		*err = ctl_errf("vip: '%s' is not an address (or ADDR:PORT/PROTO)", s ? s : "");
		return NULL;
	}
	ret = shoal_anycast_admin(c->p->anycast, &addr, withdraw);
	if (ret) {
		*err = ctl_errf("vip: no VIP in the maps has the address %s", s);
		return NULL;
	}
	log_info("vip %s %s by %s", s, withdraw ? "withdrawn" : "allowed to be announced again",
		 ctl_who(c));
	return json_pack("{s:s, s:s}", "vip", s, "announce", withdraw ? "withdrawn" : "allowed");
}

json_t *ctl_vip_withdraw(struct ctl_conn *c, json_t *args, const char **err)
{
	return vip_admin(c, args, err, true);
}

json_t *ctl_vip_announce(struct ctl_conn *c, json_t *args, const char **err)
{
	return vip_admin(c, args, err, false);
}
