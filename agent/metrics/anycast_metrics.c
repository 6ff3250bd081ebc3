// SPDX-License-Identifier: GPL-2.0-only
/* The anycast families of a scrape: sessions, BFD, prefixes (metrics_internal.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>

#include "anycast/anycast.h"
#include "metrics/metrics_internal.h"
#include "model/addr.h"
#include "model/bgpwire.h"

void metrics_anycast_put(struct evbuffer *b, struct shoal_anycast *a)
{
	static const char *const dirs[] = { "in", "out" };
	struct shoal_peer_view pv[SHOAL_BGP_MAX_PEERS];
	struct shoal_prefix_view *xv;
	size_t i, n, d, t;

	if (!a)
		return;
	n = shoal_anycast_peers(a, pv, SHOAL_BGP_MAX_PEERS);
	if (n) {
		metrics_help(b, "shoal_bgp_session_up", "gauge",
			     "1 while the BGP session to the peer is established.");
		for (i = 0; i < n; i++)
			evbuffer_add_printf(b, "shoal_bgp_session_up{peer=\"%s\"} %d\n", pv[i].addr,
					    !strcmp(pv[i].state, "established"));
		metrics_help(b, "shoal_bgp_session_transitions_total", "counter",
			     "State changes of the BGP session to the peer.");
		for (i = 0; i < n; i++)
			evbuffer_add_printf(
				b, "shoal_bgp_session_transitions_total{peer=\"%s\"} %llu\n",
				pv[i].addr, (unsigned long long)pv[i].transitions);
		metrics_help(b, "shoal_bgp_prefixes_announced", "gauge",
			     "Prefixes announced to the peer now.");
		for (i = 0; i < n; i++)
			evbuffer_add_printf(b, "shoal_bgp_prefixes_announced{peer=\"%s\"} %zu\n",
					    pv[i].addr, pv[i].prefixes);
		metrics_help(b, "shoal_bgp_messages_total", "counter",
			     "BGP messages exchanged with the peer, by direction and type.");
		for (i = 0; i < n; i++)
			for (d = 0; d < 2; d++)
				for (t = 1; t < 6; t++)
					evbuffer_add_printf(b,
							    "shoal_bgp_messages_total{peer=\"%s\","
							    "direction=\"%s\","
							    "type=\"%s\"} %llu\n",
							    pv[i].addr, dirs[d],
							    bgp_type_name((__u8)t),
							    (unsigned long long)pv[i].msgs[d][t]);
		metrics_help(b, "shoal_bgp_routes_received_total", "counter",
			     "Prefixes the peer announced (counted, not used) or withdrew.");
		for (i = 0; i < n; i++) {
			evbuffer_add_printf(b,
					    "shoal_bgp_routes_received_total{peer=\"%s\",kind="
					    "\"announced\"} %llu\n",
					    pv[i].addr,
					    (unsigned long long)pv[i].received_announced);
			evbuffer_add_printf(b,
					    "shoal_bgp_routes_received_total{peer=\"%s\",kind="
					    "\"withdrawn\"} %llu\n",
					    pv[i].addr,
					    (unsigned long long)pv[i].received_withdrawn);
		}
		metrics_help(b, "shoal_bfd_session_up", "gauge",
			     "1 while BFD to the peer is Up (peers with bfd on).");
		for (i = 0; i < n; i++)
			if (pv[i].bfd_state)
				evbuffer_add_printf(b, "shoal_bfd_session_up{peer=\"%s\"} %d\n",
						    pv[i].addr, pv[i].bfd_up);
	}
	xv = calloc(SHOAL_MAX_VIPS, sizeof(*xv));
	if (!xv)
		return;
	n = shoal_anycast_prefixes(a, xv, SHOAL_MAX_VIPS);
	metrics_help(b, "shoal_vip_announced", "gauge",
		     "1 while the VIP address is announced (to a BGP peer, or as a kernel route).");
	for (i = 0; i < n; i++) {
		char addr[SHOAL_ADDR_STRLEN];

		evbuffer_add_printf(b, "shoal_vip_announced{vip=\"%s\"} %d\n",
				    shoal_addr_format(&xv[i].addr, addr, sizeof(addr)),
				    xv[i].announced);
	}
	free(xv);
}
