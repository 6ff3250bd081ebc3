// SPDX-License-Identifier: GPL-2.0-only
/* See etcdwire.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <jansson.h>

#include "model/addr.h"
#include "model/etcdwire.h"

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *shoal_b64_encode(const void *in, size_t len)
{
	const unsigned char *p = in;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64_chars[p[i] >> 2];
		*o++ = b64_chars[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64_chars[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64_chars[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64_chars[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64_chars[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = b64_chars[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64_chars[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = 0;
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;

	return p ? (int)(p - b64_chars) : -1;
}

int shoal_b64_decode(const char *in, char **out, size_t *out_len)
{
	size_t len = strlen(in), i, n = 0;
	unsigned char *o;

	if (len % 4)
		return -EINVAL;
	o = malloc(len / 4 * 3 + 1);
	if (!o)
		return -ENOMEM;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;

		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = b64_val(in[i + k]);
			if (v[k] < 0 || pad) {
				free(o);
				return -EINVAL;
			}
		}
		o[n++] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
		if (pad < 2)
			o[n++] = (unsigned char)(((v[1] & 15) << 4) | (v[2] >> 2));
		if (pad < 1)
			o[n++] = (unsigned char)(((v[2] & 3) << 6) | v[3]);
	}
	o[n] = 0;
	*out = (char *)o;
	*out_len = n;
	return 0;
}

/* etcd writes int64 as strings ("12"); a number is accepted too. Missing: 0. */
static int json_s64(json_t *o, const char *name, __s64 *ret)
{
	json_t *v = json_object_get(o, name);
	char *end;
	long long x;

	*ret = 0;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		*ret = (__s64)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	errno = 0;
	x = strtoll(json_string_value(v), &end, 10);
	if (errno || *end || end == json_string_value(v))
		return -EINVAL;
	*ret = x;
	return 0;
}

static json_t *load(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

	if (!root) {
		snprintf(err, errlen, "not JSON: %s", je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

/* An error object of the gateway: {"error": "...", "code": N, "message": "..."}. */
static bool gateway_error(json_t *root, char *err, size_t errlen)
{
	json_t *e = json_object_get(root, "error");
	json_t *m = json_object_get(root, "message");

	if (!e)
		return false;
	if (json_is_object(e)) {
		m = json_object_get(e, "message");
		if (!m)
			m = json_object_get(e, "error");
	} else if (!m) {
		m = e;
	}
	snprintf(err, errlen, "etcd: %s", json_is_string(m) ? json_string_value(m) : "error");
	return true;
}

static int kv_parse(json_t *kv, struct shoal_etcd_kv *out, bool deleted, char *err, size_t errlen)
{
	json_t *k = json_object_get(kv, "key"), *v = json_object_get(kv, "value");
	size_t klen;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(kv) || !json_is_string(k) ||
	    json_string_length(k) > (SHOAL_ETCD_KEY_MAX + 2) / 3 * 4 ||
	    shoal_b64_decode(json_string_value(k), &out->key, &klen)) {
		snprintf(err, errlen, "a key-value without a readable key");
		return -EINVAL;
	}
	if (strlen(out->key) != klen) {
		snprintf(err, errlen, "a key with a NUL byte");
		goto fail;
	}
	if (json_s64(kv, "mod_revision", &out->mod_revision)) {
		snprintf(err, errlen, "%s: mod_revision is no number", out->key);
		goto fail;
	}
	if (deleted)
		return 0;
	if (v && !json_is_string(v)) {
		snprintf(err, errlen, "%s: value is no string", out->key);
		goto fail;
	}
	if (v && json_string_length(v) > (SHOAL_ETCD_VALUE_MAX + 2) / 3 * 4) {
		snprintf(err, errlen, "%s: value longer than %u bytes", out->key,
			 SHOAL_ETCD_VALUE_MAX);
		goto fail;
	}
	if (shoal_b64_decode(v ? json_string_value(v) : "", &out->value, &out->value_len)) {
		snprintf(err, errlen, "%s: value is no base64", out->key);
		goto fail;
	}
	return 0;
fail:
	free(out->key);
	out->key = NULL;
	return -EINVAL;
}

static void kvs_free(struct shoal_etcd_kv *kvs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kvs[i].key);
		free(kvs[i].value);
	}
	free(kvs);
}

int shoal_etcd_range_parse(const char *buf, size_t len, struct shoal_etcd_range *r, char *err,
			   size_t errlen)
{
	json_t *root = load(buf, len, err, errlen), *kvs, *more;
	size_t i;
	int ret = -EINVAL;

	memset(r, 0, sizeof(*r));
	if (!root)
		return -EINVAL;
	if (gateway_error(root, err, errlen))
		goto out;
	if (json_s64(json_object_get(root, "header"), "revision", &r->revision) ||
	    r->revision <= 0) {
		snprintf(err, errlen, "a range response without its revision");
		goto out;
	}
	kvs = json_object_get(root, "kvs");
	if (kvs && !json_is_array(kvs)) {
		snprintf(err, errlen, "kvs is no list");
		goto out;
	}
	more = json_object_get(root, "more");
	r->more = json_is_true(more);
	r->n = kvs ? json_array_size(kvs) : 0;
	r->kvs = calloc(r->n ? r->n : 1, sizeof(*r->kvs));
	if (!r->kvs) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < r->n; i++)
		if (kv_parse(json_array_get(kvs, i), &r->kvs[i], false, err, errlen))
			goto out;
	ret = 0;
out:
	if (ret)
		shoal_etcd_range_free(r);
	json_decref(root);
	return ret;
}

void shoal_etcd_range_free(struct shoal_etcd_range *r)
{
	kvs_free(r->kvs, r->n);
	memset(r, 0, sizeof(*r));
}

int shoal_etcd_watch_parse(const char *buf, size_t len, struct shoal_etcd_watch_msg *m, char *err,
			   size_t errlen)
{
	json_t *root = load(buf, len, err, errlen), *res, *evs, *reason;
	size_t i;
	int ret = -EINVAL;

	memset(m, 0, sizeof(*m));
	if (!root)
		return -EINVAL;
	if (gateway_error(root, err, errlen))
		goto out;
	res = json_object_get(root, "result");
	if (!json_is_object(res)) {
		snprintf(err, errlen, "a watch message without its result");
		goto out;
	}
	if (json_s64(json_object_get(res, "header"), "revision", &m->revision) ||
	    json_s64(res, "compact_revision", &m->compact_revision)) {
		snprintf(err, errlen, "a watch message with a bad revision");
		goto out;
	}
	m->created = json_is_true(json_object_get(res, "created"));
	m->canceled = json_is_true(json_object_get(res, "canceled"));
	reason = json_object_get(res, "cancel_reason");
	if (json_is_string(reason))
		snprintf(m->cancel_reason, sizeof(m->cancel_reason), "%s",
			 json_string_value(reason));
	evs = json_object_get(res, "events");
	if (evs && !json_is_array(evs)) {
		snprintf(err, errlen, "events is no list");
		goto out;
	}
	m->n = evs ? json_array_size(evs) : 0;
	m->events = calloc(m->n ? m->n : 1, sizeof(*m->events));
	if (!m->events) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m->n; i++) {
		json_t *ev = json_array_get(evs, i), *type = json_object_get(ev, "type");
		bool del;

		/* PUT is the default and is left out */
		if (type &&
		    (!json_is_string(type) || (strcmp(json_string_value(type), "PUT") &&
					       strcmp(json_string_value(type), "DELETE")))) {
			snprintf(err, errlen, "an event of an unknown type");
			goto out;
		}
		del = type && !strcmp(json_string_value(type), "DELETE");
		if (kv_parse(json_object_get(ev, "kv"), &m->events[i], del, err, errlen))
			goto out;
	}
	ret = 0;
out:
	if (ret)
		shoal_etcd_watch_free(m);
	json_decref(root);
	return ret;
}

void shoal_etcd_watch_free(struct shoal_etcd_watch_msg *m)
{
	kvs_free(m->events, m->n);
	m->events = NULL;
	m->n = 0;
}

/* "http://HOST:PORT" with HOST a name or an address ([v6] in brackets). */
int shoal_etcd_endpoint_parse(const char *url, char *host, size_t hlen, __u16 *port, bool *ret_tls)
{
	const char *h, *colon;
	char *end;
	unsigned long p;
	size_t n;

	if (!strncmp(url, "http://", 7))
		h = url + 7;
	else if (!strncmp(url, "https://", 8))
		h = url + 8;
	else
		return -EINVAL;
	if (*h == '[') {
		const char *close = strchr(h, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - h - 1);
		h++;
		colon = close + 1;
	} else {
		colon = strchr(h, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - h);
	}
	if (!n || n >= hlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = 0;
	if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != n)
		return -EINVAL;
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || p == 0 || p > 65535 || (*end && strcmp(end, "/")))
		return -EINVAL;
	*port = (__u16)p;
	*ret_tls = url[4] == 's';
	return 0;
}

int shoal_etcd_service_id_parse(const char *s, struct shoal_vip_key *vip, int *family)
{
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *colon, *slash = strchr(s, '/');
	unsigned long port;
	size_t hl;

	memset(vip, 0, sizeof(*vip));
	if (!slash)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close > slash || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - s - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || colon > slash)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
	}
	host[hl] = 0;
	if (shoal_addr_parse(host, &vip->addr, family))
		return -EINVAL;
	if ((s[0] == '[') != (*family == AF_INET6))
		return -EINVAL; /* an IPv6 VIP in brackets, an IPv4 one without */
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end != slash || port > 65535)
		return -EINVAL;
	vip->port = htons((__u16)port);
	if (!strncmp(slash + 1, "tcp", 3))
		vip->proto = IPPROTO_TCP;
	else if (!strncmp(slash + 1, "udp", 3))
		vip->proto = IPPROTO_UDP;
	else
		return -EINVAL;
	return slash[4] == 0 || slash[4] == '/' ? 0 : -EINVAL;
}

int shoal_etcd_key_parse(const char *prefix, const char *key, struct shoal_etcd_key *k, char *err,
			 size_t errlen)
{
	size_t pl = strlen(prefix);
	const char *rest, *id, *slash;

	memset(k, 0, sizeof(*k));
	if (strlen(key) > SHOAL_ETCD_KEY_MAX) {
		snprintf(err, errlen, "longer than %d bytes", SHOAL_ETCD_KEY_MAX);
		return -EINVAL;
	}
	if (strncmp(key, prefix, pl) || key[pl] != '/') {
		snprintf(err, errlen, "not under the prefix %s/", prefix);
		return -EINVAL;
	}
	rest = key + pl + 1;
	if (!strncmp(rest, "services/", 9)) {
		k->kind = SHOAL_ETCD_KEY_SERVICE;
		id = rest + 9;
	} else if (!strncmp(rest, "backends/", 9)) {
		k->kind = SHOAL_ETCD_KEY_BACKEND;
		id = rest + 9;
	} else {
		snprintf(err, errlen, "neither services/ nor backends/ follows the prefix");
		return -EINVAL;
	}
	if (shoal_etcd_service_id_parse(id, &k->vip, &k->vip_family)) {
		snprintf(err, errlen,
			 "the service is not VIP:PORT/PROTO (192.0.2.10:80/tcp, "
			 "[2001:db8::10]:443/udp)");
		return -EINVAL;
	}
	slash = strchr(strchr(id, '/') + 1, '/');
	if (k->kind == SHOAL_ETCD_KEY_SERVICE) {
		if (slash) {
			snprintf(err, errlen, "a service key ends with its protocol");
			return -EINVAL;
		}
		return 0;
	}
	if (!slash || shoal_addr_parse(slash + 1, &k->addr, &k->family)) {
		snprintf(err, errlen, "a backend key ends with /ADDRESS");
		return -EINVAL;
	}
	return 0;
}

int shoal_etcd_key_format(const char *prefix, const struct shoal_etcd_key *k, char *buf, size_t len)
{
	char vip[INET6_ADDRSTRLEN], be[INET6_ADDRSTRLEN];
	bool v6 = k->vip_family == AF_INET6;
	int n;

	shoal_addr_format(&k->vip.addr, vip, sizeof(vip));
	n = snprintf(buf, len, "%s/%s/%s%s%s:%u/%s", prefix,
		     k->kind == SHOAL_ETCD_KEY_SERVICE ? "services" : "backends", v6 ? "[" : "",
		     vip, v6 ? "]" : "", ntohs(k->vip.port),
		     k->vip.proto == IPPROTO_UDP ? "udp" : "tcp");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	if (k->kind == SHOAL_ETCD_KEY_BACKEND) {
		shoal_addr_format(&k->addr, be, sizeof(be));
		n += snprintf(buf + n, len - (size_t)n, "/%s", be);
		if ((size_t)n >= len)
			return -ENOSPC;
	}
	return 0;
}

int shoal_etcd_backend_value_parse(const char *buf, size_t len, const struct shoal_etcd_key *k,
				   struct shoal_backend_conf *b, char *err, size_t errlen)
{
	json_t *root = load(buf, len, err, errlen), *v;
	const char *name;

	memset(b, 0, sizeof(*b));
	b->addr = k->addr;
	b->family = k->family;
	b->weight = 1;
	b->encap = SHOAL_ENCAP_DEFAULT;
	if (!root)
		return -EINVAL;
	json_object_foreach(root, name, v)
	{
		if (!strcmp(name, "weight")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > SHOAL_MAX_WEIGHT) {
				snprintf(err, errlen, "weight: an integer from 0 to %d",
					 SHOAL_MAX_WEIGHT);
				goto fail;
			}
			b->weight = (__u32)json_integer_value(v);
		} else if (!strcmp(name, "encap")) {
			if (!json_is_string(v) ||
			    shoal_encap_parse(json_string_value(v), &b->encap)) {
				snprintf(err, errlen, "encap: gue or ipip");
				goto fail;
			}
		} else if (!strcmp(name, "drain")) {
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "drain: true or false");
				goto fail;
			}
			b->drain = json_is_true(v);
		} else {
			snprintf(err, errlen, "unknown key '%.64s' (weight, encap, drain)", name);
			goto fail;
		}
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -EINVAL;
}

char *shoal_etcd_backend_value_format(__u32 weight, __u8 encap, bool drain)
{
	char *s = NULL;

	if (asprintf(&s, "{\"weight\": %u%s%s%s%s}", weight,
		     encap != SHOAL_ENCAP_DEFAULT ? ", \"encap\": \"" : "",
		     encap != SHOAL_ENCAP_DEFAULT ? shoal_encap_name(encap) : "",
		     encap != SHOAL_ENCAP_DEFAULT ? "\"" : "",
		     drain ? ", \"drain\": true" : "") < 0)
		return NULL;
	return s;
}
