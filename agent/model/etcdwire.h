/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What etcd's v3 JSON gateway sends back, and what shoal keeps under its
 * prefix, as pure functions (the fuzzer calls them):
 *   <prefix>/services/<vip>:<port>/<proto>          the service, as JSON
 *   <prefix>/backends/<vip>:<port>/<proto>/<addr>   {"weight", "encap", "drain"}
 * An IPv6 VIP is written in brackets: [2001:db8::10]:443/tcp. Keys and
 * values travel base64-encoded; 64-bit numbers as JSON strings.
 */
#ifndef SHOAL_MODEL_ETCDWIRE_H
#define SHOAL_MODEL_ETCDWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "model/config.h"

#define SHOAL_ETCD_KEY_MAX   512	 /* longer keys under the prefix are refused */
#define SHOAL_ETCD_VALUE_MAX (64U << 10) /* and longer values */

struct shoal_etcd_kv {
	char *key;   /* NUL-terminated */
	char *value; /* NUL-terminated; NULL for a deletion */
	size_t value_len;
	__s64 mod_revision;
};

/* A range response (the prefix read at one revision). */
struct shoal_etcd_range {
	__s64 revision;
	struct shoal_etcd_kv *kvs;
	size_t n;
	bool more; /* the response was cut by a limit */
};

/* One message of a watch stream. */
struct shoal_etcd_watch_msg {
	__s64 revision; /* of the header */
	bool created, canceled;
	__s64 compact_revision; /* > 0: the watch's start was compacted away */
	char cancel_reason[128];
	struct shoal_etcd_kv *events; /* value NULL: deleted */
	size_t n;
};

/* Base64 (RFC 4648, with padding) of in[0..len): a new string, or NULL. */
char *shoal_b64_encode(const void *in, size_t len);
/* Decodes NUL-terminated in into a new buffer (NUL-terminated too): 0 or -EINVAL/-ENOMEM. */
int shoal_b64_decode(const char *in, char **out, size_t *out_len);

/*
 * Parses a range response. Returns 0, or -EINVAL with err set (an error
 * object from etcd, or anything malformed); free with shoal_etcd_range_free.
 */
int shoal_etcd_range_parse(const char *buf, size_t len, struct shoal_etcd_range *r, char *err,
			   size_t errlen);
void shoal_etcd_range_free(struct shoal_etcd_range *r);
/* Parses one line of a watch stream ({"result": ...} or {"error": ...}). */
int shoal_etcd_watch_parse(const char *buf, size_t len, struct shoal_etcd_watch_msg *m, char *err,
			   size_t errlen);
void shoal_etcd_watch_free(struct shoal_etcd_watch_msg *m);

enum shoal_etcd_key_kind {
	SHOAL_ETCD_KEY_SERVICE = 1,
	SHOAL_ETCD_KEY_BACKEND = 2,
};

struct shoal_etcd_key {
	enum shoal_etcd_key_kind kind;
	struct shoal_vip_key vip; /* port in network order */
	int vip_family;
	struct shoal_addr addr; /* a backend's */
	int family;
};

/*
 * Parses key (which must start with prefix + "/"). Returns 0, or -EINVAL
 * with err saying what is wrong with it.
 */
int shoal_etcd_key_parse(const char *prefix, const char *key, struct shoal_etcd_key *k, char *err,
			 size_t errlen);
/* Formats the key of a service or backend under prefix into buf; -ENOSPC if it does not fit. */
int shoal_etcd_key_format(const char *prefix, const struct shoal_etcd_key *k, char *buf,
			  size_t len);
/*
 * An endpoint "http://HOST:PORT" or "https://HOST:PORT" (HOST a name or an
 * address, [v6] in brackets): 0 or -EINVAL; *ret_tls says which scheme.
 */
int shoal_etcd_endpoint_parse(const char *url, char *host, size_t hlen, __u16 *port, bool *ret_tls);
/* The VIP part, "192.0.2.10:80/tcp" or "[2001:db8::10]:443/udp", parsed. */
int shoal_etcd_service_id_parse(const char *s, struct shoal_vip_key *vip, int *family);

/*
 * A backend's value: a JSON object of weight (0-1000000, default 1), encap
 * ("gue" or "ipip", default the host's) and drain (boolean); nothing else.
 * Fills b (address from the key). Returns 0 or -EINVAL with err.
 */
int shoal_etcd_backend_value_parse(const char *buf, size_t len, const struct shoal_etcd_key *k,
				   struct shoal_backend_conf *b, char *err, size_t errlen);
/* The value lbctl register writes: {"weight": W} (and "encap" unless SHOAL_ENCAP_DEFAULT). */
char *shoal_etcd_backend_value_format(__u32 weight, __u8 encap, bool drain);

#endif /* SHOAL_MODEL_ETCDWIRE_H */
