/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The parts of a running agent, as main.c wires them, for the rooms that
 * read several of them (control, metrics). Declarations only: each part's
 * header says what it offers.
 */
#ifndef SHOAL_CORE_PARTS_H
#define SHOAL_CORE_PARTS_H

struct shoal_loop;
struct shoal_reconcile;
struct shoal_state;
struct shoal_configfile;
struct shoal_dp;
struct shoal_nexthop;
struct shoal_flowwatch;
struct shoal_health;
struct shoal_anycast;
struct shoal_discovery;

struct shoal_parts {
	struct shoal_loop *loop;
	struct shoal_reconcile *reconcile; /* inputs request, outputs follow */
	struct shoal_state *state;	   /* the desired state */
	struct shoal_configfile *file;	   /* input: the config file */
	struct shoal_nexthop *nexthop;	   /* input: interface and next hop */
	struct shoal_dp *dp;		   /* output: the maps */
	struct shoal_flowwatch *flows;	   /* the flow table, counted in slices */
	struct shoal_health *health;	   /* input: checks, passive signal, load feedback */
	struct shoal_anycast *anycast;	   /* output: the VIPs announced (BGP or kernel routes) */
	struct shoal_discovery *discovery; /* input: etcd (NULL without discovery) */
};

#endif /* SHOAL_CORE_PARTS_H */
