// SPDX-License-Identifier: GPL-2.0-only
/* Address parsing and formatting for the 16-byte form the maps use. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/addr.h"

static const __u8 v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool shoal_addr_is_v4(const struct shoal_addr *a)
{
	return memcmp(a->u8, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

void shoal_addr_from_v4(struct shoal_addr *a, __be32 v4)
{
	memcpy(a->u8, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	a->u32[3] = v4;
}

int shoal_addr_parse(const char *s, struct shoal_addr *ret, int *ret_family)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &v4) == 1) {
		shoal_addr_from_v4(ret, v4.s_addr);
		if (ret_family)
			*ret_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6) == 1) {
		memcpy(ret->u8, &v6, 16);
		if (ret_family)
			*ret_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *shoal_addr_format(const struct shoal_addr *a, char *buf, size_t len)
{
	const char *r;

	if (shoal_addr_is_v4(a))
		r = inet_ntop(AF_INET, &a->u32[3], buf, len);
	else
		r = inet_ntop(AF_INET6, a->u8, buf, len);
	if (!r && len)
		buf[0] = '\0';
	return buf;
}

int shoal_endpoint_parse(const char *s, struct shoal_addr *ret_addr, __u16 *ret_port,
			 int *ret_family)
{
	char host[SHOAL_ADDR_STRLEN + 2];
	const char *port_s = NULL;
	unsigned long port = 0;
	const char *colon;
	char *end;
	size_t n;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		n = (size_t)(close - s - 1);
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
		s++;
	} else {
		colon = strrchr(s, ':');
		/* exactly one colon: v4:port; more: a bare IPv6 address */
		if (colon && strchr(s, ':') == colon) {
			n = (size_t)(colon - s);
			port_s = colon + 1;
		} else {
			n = strlen(s);
		}
	}
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (shoal_addr_parse(host, ret_addr, ret_family))
		return -EINVAL;
	if (port_s) {
		if (!*port_s || *port_s == '-' || *port_s == '+')
			return -EINVAL;
		errno = 0;
		port = strtoul(port_s, &end, 10);
		if (errno || *end || port > 65535)
			return -EINVAL;
	}
	*ret_port = (__u16)port;
	return 0;
}

int shoal_mac_parse(const char *s, __u8 ret[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		ret[i] = (__u8)b[i];
	return 0;
}

int shoal_vip_spec_parse(const char *s, struct shoal_vip_key *ret, int *ret_family)
{
	char buf[96];
	const char *slash;
	__u16 port;
	size_t n;

	if (!s)
		return -EINVAL;
	slash = strrchr(s, '/');
	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(ret, 0, sizeof(*ret));
	if (!strcmp(slash + 1, "tcp"))
		ret->proto = IPPROTO_TCP;
	else if (!strcmp(slash + 1, "udp"))
		ret->proto = IPPROTO_UDP;
	else
		return -EINVAL;
	/* a port is required: "ADDR:PORT", "[V6]:PORT" */
	if (!strchr(buf, ':') || (strchr(buf, ':') != strrchr(buf, ':') && buf[0] != '['))
		return -EINVAL;
	if (shoal_endpoint_parse(buf, &ret->addr, &port, ret_family))
		return -EINVAL;
	ret->port = htons(port);
	return 0;
}

void shoal_vip_spec_format(const struct shoal_vip_key *k, char *buf, size_t len)
{
	char a[SHOAL_ADDR_STRLEN];

	shoal_addr_format(&k->addr, a, sizeof(a));
	snprintf(buf, len, shoal_addr_is_v4(&k->addr) ? "%s:%u/%s" : "[%s]:%u/%s", a,
		 ntohs(k->port), k->proto == IPPROTO_UDP ? "udp" : "tcp");
}

const char *shoal_addr_class(const struct shoal_addr *a)
{
	static const __u8 zero[16];

	if (shoal_addr_is_v4(a)) {
		const __u8 *b = &a->u8[12];

		if (b[0] == 0)
			return "unspecified (0.0.0.0/8)";
		if (b[0] == 127)
			return "loopback";
		if (b[0] == 169 && b[1] == 254)
			return "link-local";
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return "broadcast";
		if ((b[0] & 0xf0) == 0xe0)
			return "multicast";
		if ((b[0] & 0xf0) == 0xf0)
			return "reserved (240.0.0.0/4)";
		return NULL;
	}
	if (!memcmp(a->u8, zero, 16))
		return "unspecified (::)";
	if (!memcmp(a->u8, zero, 15) && a->u8[15] == 1)
		return "loopback";
	if (a->u8[0] == 0xff)
		return "multicast";
	if (a->u8[0] == 0xfe && (a->u8[1] & 0xc0) == 0x80)
		return "link-local";
	return NULL;
}

int shoal_prefix_parse(const char *s, struct shoal_addr *ret, int *ret_family, __u32 *ret_bits)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long len;
	int family;
	__u32 bits, i;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (shoal_addr_parse(buf, ret, &family))
		return -EINVAL;
	len = family == AF_INET ? 32 : 128;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || len > (family == AF_INET ? 32UL : 128UL))
			return -EINVAL;
	}
	bits = (__u32)len + (family == AF_INET ? 96 : 0);
	for (i = bits; i < 128; i++)
		ret->u8[i / 8] &= (__u8) ~(0x80 >> (i % 8));
	if (ret_family)
		*ret_family = family;
	*ret_bits = bits;
	return 0;
}
