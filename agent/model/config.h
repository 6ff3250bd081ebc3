/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shoald's configuration: parsed from YAML into an immutable struct and
 * validated whole. Every problem is reported as "file:line: message", all of
 * them at once; a config with any error is never returned.
 */
#ifndef SHOAL_CONFIG_H
#define SHOAL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include "shoal/abi.h"
#include "model/health.h"
#include "model/anycast_conf.h"

#define SHOAL_NAME_MAX		64 /* names: 1..63 of [A-Za-z0-9._-] */
#define SHOAL_NAME_RULE		"1 to 63 letters, digits, '.', '_' or '-'"
#define SHOAL_MAX_ERRORS	100	    /* kept per parse; "and N more" follows */
#define SHOAL_CONFIG_MAX_BYTES	(16U << 20) /* a config file larger than this is refused */
#define SHOAL_TABLE_PER_BACKEND 100	    /* Maglev balances well with M >= 100 N */
#define SHOAL_PATH_MAX		256
#define SHOAL_ENCAP_DEFAULT	0xff /* a backend without its own: the host's */
#define SHOAL_MAX_WEIGHT	1000000

enum shoal_xdp_mode {
	SHOAL_XDP_NATIVE = 0,
	SHOAL_XDP_GENERIC = 1,
};

struct shoal_backend_conf {
	struct shoal_addr addr;
	int family;
	__u32 weight;
	bool drain; /* takes no new flows */
	__u8 encap; /* enum shoal_encap or SHOAL_ENCAP_DEFAULT */
	int line;
};

struct shoal_service_conf {
	char name[SHOAL_NAME_MAX];
	struct shoal_vip_key key; /* port in network order */
	int family;
	__u8 scheduler;
	bool least_loaded; /* scheduler least-loaded: maglev, weights from agent_check */
	__u32 table_size;
	bool table_size_given; /* else chosen: the default, or >= 100 x backends */
	bool flow_table;
	struct shoal_health_conf health; /* the defaults block, then the service's own keys */
	bool have_attrs;		 /* its own bgp: communities, large communities, MED */
	struct shoal_route_attrs attrs;
	struct shoal_backend_conf *backends;
	size_t nbackends;
	int line;
};

/* Flow-table idle timeouts, seconds (host.flow_idle). */
struct shoal_flow_idle {
	__u32 tcp;	   /* established */
	__u32 tcp_closing; /* after the client's FIN or RST */
	__u32 udp;
	__u32 unconfirmed; /* one packet seen (a SYN, or a first datagram) */
};
#define SHOAL_FLOW_IDLE_DEFAULTS                                             \
	{                                                                    \
		.tcp = 900, .tcp_closing = 60, .udp = 300, .unconfirmed = 30 \
	}

struct shoal_host_conf {
	char interface[IF_NAMESIZE];
	enum shoal_xdp_mode xdp_mode;
	bool have_src_v4, have_src_v6;
	struct shoal_addr src_v4, src_v6;
	__u8 encap; /* default encapsulation */
	__u16 gue_port;
	__u32 hash_seed;
	bool have_hash_seed; /* required: there is no default */
	__u32 flow_table_size;
	struct shoal_flow_idle flow_idle;
	__u16 mtu;	  /* 0: the interface's */
	__u32 icmp_rate;  /* too-big replies a second, per CPU */
	__u32 icmp_burst; /* at once */
	bool have_gateway_mac;
	__u8 gateway_mac[6];
	char control_socket[SHOAL_PATH_MAX];
	char metrics_addr[SHOAL_NAME_MAX]; /* "" disables */
	char pin_path[SHOAL_PATH_MAX];	   /* default /sys/fs/bpf/shoal/<interface> */
};

#define SHOAL_PIN_ROOT "/sys/fs/bpf/shoal" /* pin_path's default: SHOAL_PIN_ROOT/<interface> */

#define SHOAL_DISCOVERY_ENDPOINTS_MAX 8
#define SHOAL_URL_MAX		      128

/* discovery: where services and backends come from besides this file (etcd v3). */
struct shoal_discovery_conf {
	bool on; /* type: etcd */
	struct {
		char url[SHOAL_URL_MAX]; /* http://HOST:PORT or https://HOST:PORT */
		char host[SHOAL_NAME_MAX];
		__u16 port;
	} endpoints[SHOAL_DISCOVERY_ENDPOINTS_MAX];
	bool tls; /* https endpoints (all or none) */
	struct {
		char ca[SHOAL_PATH_MAX];	  /* "" the system's trusted CAs */
		char cert[SHOAL_PATH_MAX];	  /* client certificate ("" none) */
		char key[SHOAL_PATH_MAX];	  /* and its key */
		char server_name[SHOAL_NAME_MAX]; /* the name to verify ("" each endpoint's host) */
	} tls_files;
	size_t nendpoints;
	char prefix[SHOAL_NAME_MAX]; /* no trailing slash */
	__u32 dial_timeout_ms;
	char username[SHOAL_NAME_MAX];	    /* etcd authentication ("" none) */
	char password_file[SHOAL_PATH_MAX]; /* its password, the file's first line */
};

/* Collected errors, one "file:line: message" each. */
struct shoal_errors {
	char **msg;
	size_t n;
};

struct shoal_config {
	char path[SHOAL_PATH_MAX];
	struct shoal_host_conf host;
	struct shoal_health_conf health_defaults; /* the "defaults" block */
	struct shoal_anycast_conf anycast;	  /* the bgp or announce block */
	struct shoal_discovery_conf discovery;
	struct shoal_service_conf *services;
	size_t nservices;
	struct shoal_errors warnings; /* valid, but worth a word (a small table_size) */
};

/*
 * Parses and validates the YAML text of path (name used in messages). Returns
 * 0 with *ret set, or -EINVAL with every problem in errs (caller frees both).
 */
int shoal_config_parse(const char *path, const char *text, size_t len, struct shoal_config **ret,
		       struct shoal_errors *errs);
/* Reads path and parses it; -errno if it cannot be read (also in errs). */
int shoal_config_load(const char *path, struct shoal_config **ret, struct shoal_errors *errs);
void shoal_config_free(struct shoal_config *c);
void shoal_errors_free(struct shoal_errors *e);
/* Appends msg (taken; NULL ignored) to e. */
void shoal_errors_add(struct shoal_errors *e, char *msg);

/* Whether s is a valid VIP name (SHOAL_NAME_RULE). */
bool shoal_name_valid(const char *s);
/*
 * Why addr cannot be a VIP of host (a class, or the balancer's own address),
 * or NULL when it can; buf holds the words.
 */
const char *shoal_vip_addr_refused(const struct shoal_host_conf *host,
				   const struct shoal_addr *addr, char *buf, size_t len);
/* The same for a backend of the VIP vip (which it may not be either). */
const char *shoal_backend_addr_refused(const struct shoal_host_conf *host,
				       const struct shoal_addr *vip, const struct shoal_addr *addr,
				       char *buf, size_t len);
/* The table size a service of nbackends gets when its config names none. */
__u32 shoal_table_size_default(size_t nbackends);

const char *shoal_sched_name(__u8 sched);
int shoal_sched_parse(const char *s, __u8 *ret);
const char *shoal_encap_name(__u8 encap);
int shoal_encap_parse(const char *s, __u8 *ret);
/*
 * A service from outside the file (an etcd value under key, which also
 * names it in messages): the YAML or JSON text of one service mapping,
 * checked as the file's services are, against base's host and defaults.
 * Its vip, port and protocol must be want's. Returns 0 with *ret filled
 * (free its backends), or -EINVAL with every problem in errs.
 */
int shoal_service_parse_value(const struct shoal_config *base, const char *key, const char *text,
			      size_t len, const struct shoal_vip_key *want,
			      struct shoal_service_conf *ret, struct shoal_errors *errs);

/* The service of c whose key equals k, or NULL. */
const struct shoal_service_conf *shoal_config_find(const struct shoal_config *c,
						   const struct shoal_vip_key *k);

#endif /* SHOAL_CONFIG_H */
