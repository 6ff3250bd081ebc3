/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol between lbctl and shoald: one JSON object per line
 * each way over a UNIX stream socket.
 *   request:  {"version": 1, "command": "backend.drain", "args": {...}}
 *   reply:    {"version": 1, "ok": true, "result": ...}
 *             {"version": 1, "ok": false, "error": "what went wrong"}
 * Pure encode/decode; no I/O.
 */
#ifndef SHOAL_CTL_PROTO_H
#define SHOAL_CTL_PROTO_H

#include <jansson.h>
#include "shoal/abi.h"
#include "core/version.h"
#include "model/addr.h"

#define SHOAL_CTL_VERSION	 1
#define SHOAL_CTL_MAX_LINE	 65536
#define SHOAL_CTL_DEFAULT_SOCKET "/run/shoal/shoald.sock"

/*
 * Decodes a request line. On success *ret_cmd points into *ret_req (a new
 * reference the caller drops) and *ret_args is the args object (may be an
 * empty object). On failure returns -EINVAL or -EPROTO with ret_err set.
 */
int shoal_ctl_decode_request(const char *line, size_t len, json_t **ret_req, const char **ret_cmd,
			     json_t **ret_args, const char **ret_err);
/* Encodes a request; the caller frees the string. */
char *shoal_ctl_encode_request(const char *command, json_t *args /* stolen, may be NULL */);
/* Encodes a reply (result stolen, may be NULL); error NULL means ok. */
char *shoal_ctl_encode_reply(json_t *result, const char *error);
/* Decodes a reply: 0 with *ret_result (borrowed from *ret_reply) or the error text. */
int shoal_ctl_decode_reply(const char *line, json_t **ret_reply, json_t **ret_result,
			   const char **ret_error);

#endif /* SHOAL_CTL_PROTO_H */
