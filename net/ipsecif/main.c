// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry points: the per-netns state (SA and SPD tables, UDP
 * encapsulation sockets), the
 * interface kind, the ESP receive handlers, the SPD notifier and the generic
 * netlink family, set up in that order and torn down in reverse.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "ipsecif.h"

static unsigned int ipsecif_net_id __read_mostly;

struct ipsecif_net *ipsecif_net(const struct net *net)
{
	return net_generic(net, ipsecif_net_id);
}

/* The netns's SPDs go, then its SAs; protections in other namespaces
 * using them first.
 */
static void __net_exit ipsecif_net_exit(struct net *net)
{
	ipsecif_spd_net_exit(net);
	ipsecif_net_flush(net);
	ipsecif_encap_net_exit(net);
}

static struct pernet_operations ipsecif_net_ops = {
	.exit	= ipsecif_net_exit,
	.id	= &ipsecif_net_id,
	.size	= sizeof(struct ipsecif_net),
};

static int __init ipsecif_init(void)
{
	int ret;

	ret = ipsecif_crypto_init();
	if (ret)
		return ret;

	ret = register_pernet_device(&ipsecif_net_ops);
	if (ret)
		goto err_crypto;

	ret = ipsecif_device_init();
	if (ret)
		goto err_pernet;

	ret = ipsecif_input_init();
	if (ret)
		goto err_device;

	ret = ipsecif_spd_init();
	if (ret)
		goto err_input;

	ret = ipsecif_genl_init();
	if (ret)
		goto err_spd;

	pr_info("route-based IPsec interfaces loaded\n");
	return 0;

err_spd:
	ipsecif_spd_exit();
err_input:
	ipsecif_input_exit();
err_device:
	ipsecif_device_exit();
err_pernet:
	unregister_pernet_device(&ipsecif_net_ops);
err_crypto:
	ipsecif_crypto_exit();
	return ret;
}

/* In-flight crypto requests hold SAs and complete in our code: wait for the
 * last SA to be freed before the module text goes.
 */
static void __exit ipsecif_exit(void)
{
	ipsecif_genl_exit();
	ipsecif_spd_exit();
	ipsecif_input_exit();
	ipsecif_device_exit();
	unregister_pernet_device(&ipsecif_net_ops);
	ipsecif_sa_wait_all_freed();
	ipsecif_crypto_exit();
	pr_debug("unloaded\n");
}

module_init(ipsecif_init);
module_exit(ipsecif_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Route-based IPsec interfaces (VPP model) and SPD mode");
MODULE_AUTHOR("The ipsecif developers");
MODULE_ALIAS_RTNL_LINK(IPSECIF_LINK_KIND);
MODULE_ALIAS_GENL_FAMILY(IPSECIF_GENL_NAME);
