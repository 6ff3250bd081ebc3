// SPDX-License-Identifier: GPL-2.0-only
/* See ctl_proto.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "model/addr.h"
#include "control/proto.h"

int shoal_ctl_decode_request(const char *line, size_t len, json_t **ret_req, const char **ret_cmd,
			     json_t **ret_args, const char **ret_err)
{
	json_t *req, *v, *cmd, *args;
	json_error_t jerr;

	*ret_req = NULL;
	if (len > SHOAL_CTL_MAX_LINE) {
		*ret_err = "request too long";
		return -EINVAL;
	}
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req || !json_is_object(req)) {
		json_decref(req);
		*ret_err = "request is not a JSON object";
		return -EINVAL;
	}
	v = json_object_get(req, "version");
	if (!json_is_integer(v) || json_integer_value(v) != SHOAL_CTL_VERSION) {
		json_decref(req);
		*ret_err = "unsupported protocol version (want 1): lbctl and shoald differ";
		return -EPROTO;
	}
	cmd = json_object_get(req, "command");
	if (!json_is_string(cmd)) {
		json_decref(req);
		*ret_err = "request has no command";
		return -EINVAL;
	}
	args = json_object_get(req, "args");
	if (args && !json_is_object(args)) {
		json_decref(req);
		*ret_err = "args must be an object";
		return -EINVAL;
	}
	if (!args) {
		args = json_object();
		json_object_set_new(req, "args", args);
	}
	*ret_req = req;
	*ret_cmd = json_string_value(cmd);
	*ret_args = args;
	return 0;
}

char *shoal_ctl_encode_request(const char *command, json_t *args)
{
	json_t *req = json_pack("{s:i, s:s, s:o}", "version", SHOAL_CTL_VERSION, "command", command,
				"args", args ? args : json_object());
	char *s;

	if (!req)
		return NULL;
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return s;
}

char *shoal_ctl_encode_reply(json_t *result, const char *error)
{
	json_t *r;
	char *s;

	if (error) {
		json_decref(result);
		r = json_pack("{s:i, s:b, s:s}", "version", SHOAL_CTL_VERSION, "ok", 0, "error",
			      error);
	} else {
		r = json_pack("{s:i, s:b, s:o}", "version", SHOAL_CTL_VERSION, "ok", 1, "result",
			      result ? result : json_null());
	}
	if (!r)
		return NULL;
	s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return s;
}

int shoal_ctl_decode_reply(const char *line, json_t **ret_reply, json_t **ret_result,
			   const char **ret_error)
{
	json_t *r = json_loads(line, 0, NULL), *v;

	*ret_reply = r;
	*ret_result = NULL;
	*ret_error = NULL;
	if (!r || !json_is_object(r)) {
		*ret_error = "shoald's reply is not JSON";
		return -EPROTO;
	}
	v = json_object_get(r, "version");
	if (!json_is_integer(v) || json_integer_value(v) != SHOAL_CTL_VERSION) {
		*ret_error = "shoald speaks another protocol version";
		return -EPROTO;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		*ret_error = json_string_value(json_object_get(r, "error"));
		if (!*ret_error)
			*ret_error = "request failed";
		return -EIO;
	}
	*ret_result = json_object_get(r, "result");
	return 0;
}
