// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry points: registers the interface kind, the underlay netns
 * notifier and the generic netlink family, and tears them down in reverse.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>

#include "ipsecif.h"

static int __init ipsecif_init(void)
{
	int ret;

	ret = ipsecif_device_init();
	if (ret)
		return ret;

	ret = ipsecif_genl_init();
	if (ret)
		goto err_device;

	pr_info("route-based IPsec interfaces loaded\n");
	return 0;

err_device:
	ipsecif_device_exit();
	return ret;
}

static void __exit ipsecif_exit(void)
{
	ipsecif_genl_exit();
	ipsecif_device_exit();
	pr_debug("unloaded\n");
}

module_init(ipsecif_init);
module_exit(ipsecif_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Route-based IPsec interfaces (VPP model) and SPD mode");
MODULE_AUTHOR("The ipsecif developers");
MODULE_ALIAS_RTNL_LINK(IPSECIF_LINK_KIND);
MODULE_ALIAS_GENL_FAMILY(IPSECIF_GENL_NAME);
