/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What health checks put on the wire and read back from a backend, as pure
 * functions (the fuzzers call them): an HTTP/1.x response head and a small
 * DNS codec (one question out, the header and question of the answer in).
 */
#ifndef SHOAL_MODEL_CHECKWIRE_H
#define SHOAL_MODEL_CHECKWIRE_H

#include <stddef.h>
#include <linux/types.h>
#include "model/health.h"

#define SHOAL_HTTP_HEAD_MAX 8192 /* a response head longer than this fails the check */

/*
 * Reads the status line of an HTTP/1.x response in buf[0..len). Returns 0
 * with *status and *body_off (past the blank line ending the head), -EAGAIN
 * while the head is incomplete, -EINVAL for anything that is no HTTP response.
 */
int shoal_http_head_parse(const char *buf, size_t len, int *status, size_t *body_off);

/*
 * Judges the response an http(s) check of c has read so far (buf[0..len)):
 * 1 passed, 0 failed, -EAGAIN not yet decided (read more). eof: nothing more
 * will come (the peer closed, or the reader's buffer is full). why gets the
 * words ("HTTP 200", "HTTP 503", "HTTP 200, body does not contain the text").
 */
int shoal_http_verdict(const struct shoal_check_conf *c, const char *buf, size_t len, int eof,
		       char *why, size_t wlen);

/* Writes the GET request of a check into buf; returns its length or -ENOSPC. */
int shoal_check_http_request(const char *path, const char *host, char *buf, size_t cap);

/* Whether needle (NUL-terminated, may be "") occurs in buf[0..len). */
int shoal_bytes_contain(const char *buf, size_t len, const char *needle);

#define SHOAL_DNS_TYPE_A    1
#define SHOAL_DNS_TYPE_AAAA 28

/* A query for name/qtype (class IN, RD set) with id; returns its length or -EINVAL/-ENOSPC. */
int shoal_dns_query(const char *name, __u16 id, __u16 qtype, __u8 *buf, size_t cap);
/*
 * Checks that buf is the answer to query q (same id, QR set, the same
 * question). Returns the RCODE (0: NOERROR) or -EINVAL.
 */
int shoal_dns_answer_rcode(const __u8 *buf, size_t len, const __u8 *q, size_t qlen);
/* "NOERROR", "SERVFAIL", ... for an RCODE. */
const char *shoal_dns_rcode_name(int rcode);

#endif /* SHOAL_MODEL_CHECKWIRE_H */
