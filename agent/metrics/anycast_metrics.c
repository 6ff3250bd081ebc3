// SPDX-License-Identifier: GPL-2.0-only
/*
 * The anycast families of a scrape (sessions, BFD, prefixes) and discovery's
 * (metrics_internal.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>

#include "anycast/anycast.h"
#include "discovery/discovery.h"
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

void metrics_discovery_put(struct evbuffer *b, const struct shoal_discovery *d)
{
	struct shoal_discovery_status st;

	if (!d)
		return;
	shoal_discovery_status(d, &st);
	metrics_help(b, "shoal_discovery_connected", "gauge",
		     "1 while the watch on the discovery service (etcd) runs.");
	evbuffer_add_printf(b, "shoal_discovery_connected{source=\"etcd\",endpoint=\"%s\"} %d\n",
			    st.endpoint, st.connected);
	metrics_help(b, "shoal_discovery_revision", "gauge",
		     "The etcd revision the agent's view is at.");
	evbuffer_add_printf(b, "shoal_discovery_revision %lld\n", (long long)st.revision);
	metrics_help(b, "shoal_discovery_entries", "gauge",
		     "Entries from etcd in the state (services, backends), and those left out "
		     "(invalid, conflicting with the file, backends of no service).");
	evbuffer_add_printf(b, "shoal_discovery_entries{kind=\"service\"} %llu\n",
			    (unsigned long long)st.services);
	evbuffer_add_printf(b, "shoal_discovery_entries{kind=\"backend\"} %llu\n",
			    (unsigned long long)st.backends);
	evbuffer_add_printf(b, "shoal_discovery_entries{kind=\"invalid\"} %llu\n",
			    (unsigned long long)st.skipped);
	evbuffer_add_printf(b, "shoal_discovery_entries{kind=\"conflict\"} %llu\n",
			    (unsigned long long)st.conflicts);
	evbuffer_add_printf(b, "shoal_discovery_entries{kind=\"orphan\"} %llu\n",
			    (unsigned long long)st.orphans);
	metrics_help(b, "shoal_discovery_events_total", "counter", "Watch events received.");
	evbuffer_add_printf(b, "shoal_discovery_events_total %llu\n",
			    (unsigned long long)st.events);
	metrics_help(b, "shoal_discovery_reconnects_total", "counter",
		     "Connections to etcd lost and tried again.");
	evbuffer_add_printf(b, "shoal_discovery_reconnects_total %llu\n",
			    (unsigned long long)st.reconnects);
	metrics_help(b, "shoal_discovery_resyncs_total", "counter",
		     "Fresh reads of the prefix because the watched revision was compacted.");
	evbuffer_add_printf(b, "shoal_discovery_resyncs_total %llu\n",
			    (unsigned long long)st.resyncs);
}
