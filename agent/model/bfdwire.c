// SPDX-License-Identifier: GPL-2.0-only
/* BFD control packets: the mandatory section, written and judged. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "model/bfdwire.h"

int bfd_encode(__u8 *buf, size_t cap, const struct bfd_pkt *p)
{
	__u32 v;

	if (cap < BFD_PKT_LEN)
		return -ENOSPC;
	buf[0] = (__u8)(1 << 5 | (p->diag & 0x1f));
	buf[1] = (__u8)((p->state & 3) << 6 | p->poll << 5 | p->final << 4 | p->cpi << 3 |
			p->auth << 2 | p->demand << 1 | p->multipoint);
	buf[2] = p->detect_mult;
	buf[3] = BFD_PKT_LEN;
	v = htonl(p->my_disc);
	memcpy(buf + 4, &v, 4);
	v = htonl(p->your_disc);
	memcpy(buf + 8, &v, 4);
	v = htonl(p->min_tx_us);
	memcpy(buf + 12, &v, 4);
	v = htonl(p->min_rx_us);
	memcpy(buf + 16, &v, 4);
	v = htonl(p->min_echo_rx_us);
	memcpy(buf + 20, &v, 4);
	return BFD_PKT_LEN;
}

static __u32 get32(const __u8 *b)
{
	__u32 v;

	memcpy(&v, b, 4);
	return ntohl(v);
}

int bfd_decode(const __u8 *buf, size_t len, struct bfd_pkt *p, const char **why)
{
	memset(p, 0, sizeof(*p));
	if (len < BFD_PKT_LEN) {
		*why = "shorter than 24 bytes";
		return -EINVAL;
	}
	if (buf[0] >> 5 != 1) {
		*why = "not version 1";
		return -EINVAL;
	}
	p->diag = buf[0] & 0x1f;
	p->state = buf[1] >> 6;
	p->poll = buf[1] & 0x20;
	p->final = buf[1] & 0x10;
	p->cpi = buf[1] & 0x08;
	p->auth = buf[1] & 0x04;
	p->demand = buf[1] & 0x02;
	p->multipoint = buf[1] & 0x01;
	p->detect_mult = buf[2];
	p->my_disc = get32(buf + 4);
	p->your_disc = get32(buf + 8);
	p->min_tx_us = get32(buf + 12);
	p->min_rx_us = get32(buf + 16);
	p->min_echo_rx_us = get32(buf + 20);
	if (buf[3] < (p->auth ? 26 : 24) || buf[3] > len) {
		*why = "bad length";
		return -EINVAL;
	}
	if (p->auth) {
		*why = "authentication asked for, none configured";
		return -EINVAL;
	}
	if (!p->detect_mult) {
		*why = "detect multiplier 0";
		return -EINVAL;
	}
	if (p->multipoint) {
		*why = "multipoint set";
		return -EINVAL;
	}
	if (!p->my_disc) {
		*why = "my discriminator 0";
		return -EINVAL;
	}
	if (!p->your_disc && p->state != BFD_DOWN && p->state != BFD_ADMIN_DOWN) {
		*why = "your discriminator 0 outside Down";
		return -EINVAL;
	}
	if (p->poll && p->final) {
		*why = "poll and final both set";
		return -EINVAL;
	}
	return 0;
}

const char *bfd_state_name(__u8 state)
{
	static const char *const names[] = { "admin-down", "down", "init", "up" };

	return names[state & 3];
}
