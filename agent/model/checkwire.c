// SPDX-License-Identifier: GPL-2.0-only
/* See checkwire.h. Pure: bounded reads of untrusted bytes, no I/O. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/checkwire.h"

int shoal_http_head_parse(const char *buf, size_t len, int *status, size_t *body_off)
{
	size_t i, end = 0;

	/* "HTTP/1.x NNN": the fixed part of a status line (RFC 9112 sec. 4) */
	if (len >= 5 && memcmp(buf, "HTTP/", 5))
		return -EINVAL;
	if (len < 5 && memcmp(buf, "HTTP/", len))
		return -EINVAL;
	if (len >= 12) {
		if (buf[5] != '1' || buf[6] != '.' || buf[7] < '0' || buf[7] > '9' ||
		    buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' || buf[10] < '0' ||
		    buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
			return -EINVAL;
	}
	for (i = 0; i + 3 < len && i + 3 < SHOAL_HTTP_HEAD_MAX; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n') {
			end = i + 4;
			break;
		}
	}
	if (!end) {
		if (len >= SHOAL_HTTP_HEAD_MAX)
			return -EINVAL;
		return -EAGAIN;
	}
	/* the status line must end before the head does */
	if (end < 14 || (buf[12] != ' ' && buf[12] != '\r'))
		return -EINVAL;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	*body_off = end;
	return 0;
}

static int status_expected(const struct shoal_check_conf *c, int status)
{
	__u32 i;

	if (!c->nexpect)
		return status >= 200 && status <= 399;
	for (i = 0; i < c->nexpect; i++)
		if (status >= c->expect[i].lo && status <= c->expect[i].hi)
			return 1;
	return 0;
}

int shoal_http_verdict(const struct shoal_check_conf *c, const char *buf, size_t len, int eof,
		       char *why, size_t wlen)
{
	size_t body;
	int status, ret = shoal_http_head_parse(buf, len, &status, &body);

	if (ret == -EAGAIN && !eof)
		return -EAGAIN;
	if (ret) {
		snprintf(why, wlen, "%s",
			 ret == -EAGAIN ? "HTTP: response cut short"
					: "HTTP: not an HTTP response");
		return 0;
	}
	snprintf(why, wlen, "HTTP %d", status);
	if (!status_expected(c, status))
		return 0;
	if (!c->body[0])
		return 1;
	if (shoal_bytes_contain(buf + body, len - body, c->body)) {
		snprintf(why, wlen, "HTTP %d, body matches", status);
		return 1;
	}
	if (!eof)
		return -EAGAIN;
	snprintf(why, wlen, "HTTP %d, body does not contain the text", status);
	return 0;
}

int shoal_check_http_request(const char *path, const char *host, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: shoal-health\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n",
			 path, host);

	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int shoal_bytes_contain(const char *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (!n)
		return 1;
	return n <= len && memmem(buf, len, needle, n) != NULL;
}

int shoal_dns_query(const char *name, __u16 id, __u16 qtype, __u8 *buf, size_t cap)
{
	size_t off = 12, nlen = strlen(name);
	const char *p = name;

	if (nlen && name[nlen - 1] == '.')
		nlen--;
	if (!nlen || nlen > 253 || cap < 12 + nlen + 2 + 4)
		return nlen ? -ENOSPC : -EINVAL;
	memset(buf, 0, 12);
	buf[0] = id >> 8;
	buf[1] = id & 0xff;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	while (p < name + nlen) {
		const char *dot = memchr(p, '.', (size_t)(name + nlen - p));
		size_t l = dot ? (size_t)(dot - p) : (size_t)(name + nlen - p);

		if (!l || l > 63)
			return -EINVAL;
		buf[off++] = (__u8)l;
		memcpy(buf + off, p, l);
		off += l;
		p += l + (dot ? 1 : 0);
	}
	buf[off++] = 0;
	buf[off++] = qtype >> 8;
	buf[off++] = qtype & 0xff;
	buf[off++] = 0;
	buf[off++] = 1; /* class IN */
	return (int)off;
}

static __u8 ascii_lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? (__u8)(c + 32) : c;
}

int shoal_dns_answer_rcode(const __u8 *buf, size_t len, const __u8 *q, size_t qlen)
{
	size_t i;

	if (len < 12 || qlen < 12 || len < qlen)
		return -EINVAL;
	if (buf[0] != q[0] || buf[1] != q[1])
		return -EINVAL;
	/* QR set, the opcode asked (0: QUERY), one question, and it is ours */
	if (!(buf[2] & 0x80) || (buf[2] & 0x78) != (q[2] & 0x78))
		return -EINVAL;
	if (buf[4] != 0 || buf[5] != 1)
		return -EINVAL;
	/* names in a question are compared case-insensitively (RFC 4343) */
	for (i = 12; i < qlen; i++)
		if (ascii_lower(buf[i]) != ascii_lower(q[i]))
			return -EINVAL;
	return buf[3] & 0x0f;
}

const char *shoal_dns_rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR",	 "FORMERR", "SERVFAIL",
					     "NXDOMAIN", "NOTIMP",  "REFUSED" };

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	return "RCODE?";
}
