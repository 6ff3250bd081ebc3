// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: everything a backend may answer a health check with goes through
 * the parser that reads it — an HTTP response head, a DNS answer, an
 * agent-check line — and none reads past what it is given or returns what
 * its contract does not allow.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/checkwire.h"
#include "model/health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: ASan sees any read beyond */
	char *buf = malloc(size ? size : 1);
	struct shoal_agent_reply r;
	__u8 q[300];
	size_t body = 0;
	int status = 0, ret, qlen;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ret = shoal_http_head_parse(buf, size, &status, &body);
	if (ret == 0 && (status < 100 || status > 599 || body > size))
		abort();
	if (ret && ret != -EAGAIN && ret != -EINVAL)
		abort();
	ret = shoal_agent_parse(buf, size, &r);
	if (ret == 0 && (r.pct < -1 || r.pct > 255 || r.admin > SHOAL_AGENT_MAINT))
		abort();
	qlen = shoal_dns_query("example.org", size >= 2 ? (__u16)(data[0] << 8 | data[1]) : 0,
			       SHOAL_DNS_TYPE_A, q, sizeof(q));
	if (qlen <= 0)
		abort();
	ret = shoal_dns_answer_rcode((const __u8 *)buf, size, q, (size_t)qlen);
	if (ret < -EINVAL || ret > 15 || (ret > -EINVAL && ret < 0))
		abort();
	free(buf);
	return 0;
}
