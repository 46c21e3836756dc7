// SPDX-License-Identifier: GPL-2.0
/*
 * The "ipsecif" generic netlink family: its registration and the monitor
 * multicast group. The commands of include/uapi/linux/ipsecif.h are added
 * here as the objects they manage (SAs, protections, SPDs) are; until then
 * the core answers them with EOPNOTSUPP.
 */

#include <net/genetlink.h>

#include "ipsecif.h"

static const struct genl_multicast_group ipsecif_mcgrps[] = {
	{ .name = IPSECIF_MCGRP_MONITOR },
};

static struct genl_family ipsecif_genl_family __ro_after_init = {
	.name		= IPSECIF_GENL_NAME,
	.version	= IPSECIF_GENL_VERSION,
	.maxattr	= IPSECIF_A_MAX,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.mcgrps		= ipsecif_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ipsecif_mcgrps),
};

int __init ipsecif_genl_init(void)
{
	return genl_register_family(&ipsecif_genl_family);
}

void ipsecif_genl_exit(void)
{
	genl_unregister_family(&ipsecif_genl_family);
}
