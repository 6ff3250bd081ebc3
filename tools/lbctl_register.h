/* SPDX-License-Identifier: GPL-2.0-only */
/* lbctl register (lbctl_register.c): argv after the command word; an exit code. */
#ifndef SHOAL_LBCTL_REGISTER_H
#define SHOAL_LBCTL_REGISTER_H

int lbctl_register(int argc, char **argv);

#endif /* SHOAL_LBCTL_REGISTER_H */
