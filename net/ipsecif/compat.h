/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels ipsecif builds against (Debian's 6.1
 * and 6.12 LTS kernels so far). Each difference is decided by a probe of
 * the kernel's headers in net/ipsecif/Kbuild (IPSECIF_HAVE_*), not by the
 * version number: distributions backport such changes.
 */

#ifndef _NET_IPSECIF_COMPAT_H
#define _NET_IPSECIF_COMPAT_H

#include <linux/crypto.h>
#include <linux/netdevice.h>
#include <net/genetlink.h>

#ifdef IPSECIF_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* skb_gso_segment() moved to <net/gso.h> (6.5). */
#ifdef IPSECIF_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/* A lockless transmit: a feature flag until 6.11, a device bit since. */
static inline void ipsecif_set_lltx(struct net_device *dev)
{
#ifdef IPSECIF_HAVE_NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;
#endif
}

/* Per-CPU tunnel counters (tstats): allocated and freed by the core for
 * the type a device declares where the core knows the types (6.1.y
 * backports included; 6.12's iptunnel_xmit_stats() also reads the type),
 * by the device itself before.
 */
static inline void ipsecif_setup_tstats(struct net_device *dev)
{
#ifdef IPSECIF_HAVE_PCPU_STAT_TYPE
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
#endif
}

static inline int ipsecif_alloc_tstats(struct net_device *dev)
{
#ifndef IPSECIF_HAVE_PCPU_STAT_TYPE
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;
#endif
	return 0;
}

static inline void ipsecif_free_tstats(struct net_device *dev)
{
#ifndef IPSECIF_HAVE_PCPU_STAT_TYPE
	free_percpu(dev->tstats);
	dev->tstats = NULL;
#endif
}

/* What an asynchronous crypto completion is called with: the request's
 * data since 6.3, the request (whose data it holds) before.
 */
#ifdef IPSECIF_HAVE_CRYPTO_CB_DATA
typedef void *ipsecif_crypto_cb_arg_t;

static inline void *ipsecif_crypto_cb_data(void *data)
{
	return data;
}
#else
typedef struct crypto_async_request *ipsecif_crypto_cb_arg_t;

static inline void *ipsecif_crypto_cb_data(struct crypto_async_request *base)
{
	return base->data;
}
#endif

/* A dump's parsed attributes: in the dump's genl_info since 6.2. */
static inline struct nlattr **ipsecif_dump_attrs(struct netlink_callback *cb)
{
#ifdef IPSECIF_HAVE_DUMPIT_GENL_INFO
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif /* _NET_IPSECIF_COMPAT_H */
