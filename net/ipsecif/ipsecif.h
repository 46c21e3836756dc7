/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private declarations shared by the files of the ipsecif module, grouped by
 * the file that owns them.
 */

#ifndef _NET_IPSECIF_H
#define _NET_IPSECIF_H

#include <linux/in6.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <net/net_namespace.h>
#include <uapi/linux/ipsecif.h>

union ipsecif_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* Interface options set over rtnetlink; written under RTNL. */
struct ipsecif_link_config {
	enum ipsecif_mode mode;
	sa_family_t family;		/* of local/remote; 0 when unset */
	union ipsecif_addr local;
	union ipsecif_addr remote;
	u32 table;
	u32 fwmark;
};

struct ipsecif_dev {
	struct net_device *dev;
	/* The netns the interface was created in, where its outer packets
	 * live. No reference is held: when that netns dies, its pre_exit
	 * clears this pointer (under RTNL) before the netns is freed.
	 */
	struct net __rcu *underlay_net;
	struct list_head device_list;	/* all ipsecif devices, under RTNL */
	struct ipsecif_link_config config;
};

/* device.c */
int ipsecif_device_init(void);
void ipsecif_device_exit(void);

/* netlink.c */
int ipsecif_genl_init(void);
void ipsecif_genl_exit(void);

#endif /* _NET_IPSECIF_H */
