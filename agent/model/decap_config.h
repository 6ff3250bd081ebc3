/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /etc/shoal/decap.yaml: what shoal-decap attaches at boot on a backend (the
 * interfaces, the VIPs it serves, the shoal hosts' tunnel sources it takes
 * packets from). Pure: parsed and validated whole; errors "file:line: what".
 */
#ifndef SHOAL_MODEL_DECAP_CONFIG_H
#define SHOAL_MODEL_DECAP_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/config.h"
#include "shoal/abi.h"

#define SHOAL_DECAP_IFACES_MAX 64
#define SHOAL_DECAP_VIPS_MAX   1024

struct shoal_decap_iface {
	char name[IF_NAMESIZE];
	bool tc;	/* attach: tc (else xdp) */
	__u16 gue_port; /* host order */
	struct shoal_decap_from_key from[SHOAL_DECAP_MAX_FROM];
	size_t nfrom;
	struct shoal_addr vips[SHOAL_DECAP_VIPS_MAX];
	size_t nvips;
	int line;
};

struct shoal_decap_conf {
	struct shoal_decap_iface *ifaces;
	size_t n;
};

/* Parses and validates text (named path in errors): 0, or -EINVAL with errs filled. */
int shoal_decap_config_parse(const char *path, const char *text, size_t len,
			     struct shoal_decap_conf *ret, struct shoal_errors *errs);
/* The same, from the file at path (at most 1 MiB). */
int shoal_decap_config_load(const char *path, struct shoal_decap_conf *ret,
			    struct shoal_errors *errs);
void shoal_decap_config_free(struct shoal_decap_conf *c);

#endif /* SHOAL_MODEL_DECAP_CONFIG_H */
