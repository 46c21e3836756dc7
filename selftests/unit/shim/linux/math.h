/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/math.h>. */
#ifndef _SHIM_LINUX_MATH_H
#define _SHIM_LINUX_MATH_H

#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

#endif
