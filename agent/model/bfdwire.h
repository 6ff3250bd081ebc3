/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BFD control packets (RFC 5880 4.1) and the reception checks of 6.8.6, as
 * pure functions: single hop (RFC 5881), asynchronous mode, no
 * authentication (a packet asking for it is refused).
 */
#ifndef SHOAL_MODEL_BFDWIRE_H
#define SHOAL_MODEL_BFDWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define BFD_PORT     3784
#define BFD_PKT_LEN  24
#define BFD_TTL	     255 /* RFC 5881 5: sent with 255, received only with 255 */
#define BFD_SPORT_LO 49152

enum bfd_state {
	BFD_ADMIN_DOWN = 0,
	BFD_DOWN = 1,
	BFD_INIT = 2,
	BFD_UP = 3,
};

enum bfd_diag {
	BFD_DIAG_NONE = 0,
	BFD_DIAG_EXPIRED = 1, /* control detection time expired */
	BFD_DIAG_NEIGHBOR_DOWN = 3,
	BFD_DIAG_ADMIN_DOWN = 7,
};

struct bfd_pkt {
	__u8 diag;
	__u8 state;
	bool poll, final, cpi, auth, demand, multipoint;
	__u8 detect_mult;
	__u32 my_disc, your_disc;
	__u32 min_tx_us, min_rx_us, min_echo_rx_us;
};

int bfd_encode(__u8 *buf, size_t cap, const struct bfd_pkt *p);
/*
 * Decodes buf and applies the checks every packet must pass (version,
 * lengths, detect mult, multipoint, discriminators, no authentication).
 * 0, or -EINVAL with *why naming the failed check.
 */
int bfd_decode(const __u8 *buf, size_t len, struct bfd_pkt *p, const char **why);
const char *bfd_state_name(__u8 state);

#endif /* SHOAL_MODEL_BFDWIRE_H */
