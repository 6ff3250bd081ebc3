// SPDX-License-Identifier: GPL-2.0-only
/* See http.h. HTTP/1.x (RFC 9112 section 3): request-line = method SP target SP version. */
#include <string.h>

#include "metrics/http.h"

static const char *find(const char *buf, size_t len, const char *what)
{
	size_t n = strlen(what), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(buf + i, what, n))
			return buf + i;
	return NULL;
}

enum shoal_http_verdict shoal_http_request(const char *buf, size_t len, size_t max)
{
	const char *end, *eol, *sp1, *sp2, *q;
	size_t mlen, tlen, vlen, i;

	if (len > max)
		len = max;
	end = find(buf, len, "\r\n\r\n");
	if (!end)
		end = find(buf, len, "\n\n");
	if (!end)
		return len >= max ? SHOAL_HTTP_TOO_LARGE : SHOAL_HTTP_INCOMPLETE;
	/* the request line ends at the first newline, at the latest the blank line's */
	eol = memchr(buf, '\n', (size_t)(end - buf) + 2 <= len ? (size_t)(end - buf) + 2 : len);
	if (!eol)
		return SHOAL_HTTP_BAD;
	if (eol > buf && eol[-1] == '\r')
		eol--;
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (!sp1)
		return SHOAL_HTTP_BAD;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2)
		return SHOAL_HTTP_BAD;
	mlen = (size_t)(sp1 - buf);
	tlen = (size_t)(sp2 - sp1 - 1);
	vlen = (size_t)(eol - sp2 - 1);
	if (!mlen || mlen > 16 || !tlen || vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return SHOAL_HTTP_BAD;
	for (i = 0; i < mlen; i++)
		if (buf[i] < 'A' || buf[i] > 'Z')
			return SHOAL_HTTP_BAD;
	if (mlen != 3 || memcmp(buf, "GET", 3))
		return SHOAL_HTTP_METHOD;
	q = memchr(sp1 + 1, '?', tlen);
	if (q)
		tlen = (size_t)(q - sp1 - 1);
	if (tlen != 8 || memcmp(sp1 + 1, "/metrics", 8))
		return SHOAL_HTTP_NOT_FOUND;
	return SHOAL_HTTP_METRICS;
}
