/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/types.h>, for kernel code unit-tested on the host. */
#ifndef _SHIM_LINUX_TYPES_H
#define _SHIM_LINUX_TYPES_H

#include <asm/types.h>
#include <stdbool.h>
#include <stddef.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#endif
