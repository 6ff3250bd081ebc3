/* SPDX-License-Identifier: GPL-2.0-only */
/* The version of shoald and lbctl. */
#ifndef SHOAL_CORE_VERSION_H
#define SHOAL_CORE_VERSION_H

#define SHOAL_VERSION "0.1.0"

#endif /* SHOAL_CORE_VERSION_H */
