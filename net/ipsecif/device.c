// SPDX-License-Identifier: GPL-2.0
/*
 * The ipsecif netdevice and its rtnetlink link kind: setup, the
 * IFLA_IPSECIF_* options (parse, validate, report), per-CPU statistics, and
 * the underlay netns each interface remembers from its creation.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/esp.h>
#include <net/ipv6.h>
#include <net/rtnetlink.h>

#include "ipsecif.h"

/* Worst-case growth of an inner packet: IPv6 outer header, UDP for NAT-T,
 * ESP header, a 16-byte IV, up to 15 bytes of padding plus the 2-byte
 * trailer, and a 256-bit ICV. The default MTU leaves room for all of it on a
 * 1500-byte underlay.
 */
#define IPSECIF_MAX_OVERHEAD						\
	(sizeof(struct ipv6hdr) + sizeof(struct udphdr) +		\
	 sizeof(struct ip_esp_hdr) + 16 + 15 + 2 + 32)

/* Every ipsecif device of every netns; under RTNL. */
static LIST_HEAD(ipsecif_devices);

static int ipsecif_dev_init(struct net_device *dev)
{
	struct ipsecif_dev *ipsecif = netdev_priv(dev);
	int ret;

	ret = ipsecif_alloc_tstats(dev);
	if (ret)
		return ret;
	ret = gro_cells_init(&ipsecif->gro_cells, dev);
	if (ret) {
		ipsecif_free_tstats(dev);
		return ret;
	}

	list_add(&ipsecif->device_list, &ipsecif_devices);
	return 0;
}

/* Unregistering, under RTNL: receive can no longer find the interface once
 * its protections are gone, and the core has waited for readers that saw it
 * running before its GRO cells go.
 */
static void ipsecif_dev_uninit(struct net_device *dev)
{
	struct ipsecif_dev *ipsecif = netdev_priv(dev);

	ipsecif_protect_flush(ipsecif);
	gro_cells_destroy(&ipsecif->gro_cells);
	list_del(&ipsecif->device_list);
	pr_debug("%s: interface destroyed\n", dev->name);
}

/* Runs when the last reference to the device is gone. */
static void ipsecif_dev_free(struct net_device *dev)
{
	ipsecif_free_tstats(dev);
}

static int ipsecif_change_mtu(struct net_device *dev, int mtu)
{
	struct ipsecif_dev *ipsecif = netdev_priv(dev);

	if (!ipsecif->mtu_auto)
		ipsecif->mtu_user = true;
	dev->mtu = mtu;
	return 0;
}

static const struct net_device_ops ipsecif_netdev_ops = {
	.ndo_init		= ipsecif_dev_init,
	.ndo_uninit		= ipsecif_dev_uninit,
	.ndo_start_xmit		= ipsecif_xmit,
	.ndo_change_mtu		= ipsecif_change_mtu,
	.ndo_get_stats64	= dev_get_tstats64,
};

static const struct device_type ipsecif_device_type = {
	.name = IPSECIF_LINK_KIND,
};

/* Offloads the transmit path completes in software, as late as it can:
 * GSO packets are segmented and checksums finished just before ESP.
 */
#define IPSECIF_FEATURES (NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HW_CSUM | \
			  NETIF_F_GSO_SOFTWARE)

static void ipsecif_setup(struct net_device *dev)
{
	struct ipsecif_dev *ipsecif = netdev_priv(dev);

	dev->netdev_ops = &ipsecif_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->features |= IPSECIF_FEATURES;
	ipsecif_set_lltx(dev);
	ipsecif_setup_tstats(dev);
	dev->hw_features |= IPSECIF_FEATURES;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->mtu = ETH_DATA_LEN - IPSECIF_MAX_OVERHEAD;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = IP_MAX_MTU - IPSECIF_MAX_OVERHEAD;
	dev->needs_free_netdev = true;
	dev->priv_destructor = ipsecif_dev_free;
	SET_NETDEV_DEVTYPE(dev, &ipsecif_device_type);
	/* ICMP errors about our packets need the route they took. */
	netif_keep_dst(dev);

	ipsecif->dev = dev;
	ipsecif->config.mode = IPSECIF_MODE_P2P;
}

static const struct nla_policy ipsecif_policy[IFLA_IPSECIF_MAX + 1] = {
	[IFLA_IPSECIF_MODE]	= { .type = NLA_U32 },
	[IFLA_IPSECIF_LOCAL]	= NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[IFLA_IPSECIF_REMOTE]	= NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[IFLA_IPSECIF_LOCAL6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[IFLA_IPSECIF_REMOTE6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[IFLA_IPSECIF_TABLE]	= { .type = NLA_U32 },
	[IFLA_IPSECIF_FWMARK]	= { .type = NLA_U32 },
};

static bool ipsecif_addr_is_unicast(sa_family_t family,
				    const union ipsecif_addr *addr)
{
	if (family == AF_INET) {
		__be32 a = addr->v4.s_addr;

		return !ipv4_is_zeronet(a) && !ipv4_is_multicast(a) &&
		       !ipv4_is_lbcast(a);
	}
	return !ipv6_addr_any(&addr->v6) &&
	       !ipv6_addr_is_multicast(&addr->v6);
}

/* Reads local/remote from @data into @cfg. Both must come together and be of
 * one family; absent ones leave @cfg as it was.
 */
static int ipsecif_parse_endpoints(struct nlattr *data[],
				   struct ipsecif_link_config *cfg,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *local, *remote;
	bool has_v4, has_v6;
	sa_family_t family;

	has_v4 = data[IFLA_IPSECIF_LOCAL] || data[IFLA_IPSECIF_REMOTE];
	has_v6 = data[IFLA_IPSECIF_LOCAL6] || data[IFLA_IPSECIF_REMOTE6];
	if (!has_v4 && !has_v6)
		return 0;
	if (has_v4 && has_v6) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: local and remote must be of one address family");
		return -EINVAL;
	}

	family = has_v4 ? AF_INET : AF_INET6;
	local = data[has_v4 ? IFLA_IPSECIF_LOCAL : IFLA_IPSECIF_LOCAL6];
	remote = data[has_v4 ? IFLA_IPSECIF_REMOTE : IFLA_IPSECIF_REMOTE6];
	if (!local || !remote) {
		NL_SET_ERR_MSG_ATTR(extack, local ?: remote,
				    "ipsecif: local and remote must be given together");
		return -EINVAL;
	}

	cfg->family = family;
	memset(&cfg->local, 0, sizeof(cfg->local));
	memset(&cfg->remote, 0, sizeof(cfg->remote));
	nla_memcpy(&cfg->local, local, nla_len(local));
	nla_memcpy(&cfg->remote, remote, nla_len(remote));

	if (!ipsecif_addr_is_unicast(family, &cfg->local)) {
		NL_SET_ERR_MSG_ATTR(extack, local,
				    "ipsecif: local must be a unicast address");
		return -EINVAL;
	}
	if (!ipsecif_addr_is_unicast(family, &cfg->remote)) {
		NL_SET_ERR_MSG_ATTR(extack, remote,
				    "ipsecif: remote must be a unicast address");
		return -EINVAL;
	}
	if (ipsecif_addr_equal(family, &cfg->local, &cfg->remote)) {
		NL_SET_ERR_MSG_ATTR(extack, remote,
				    "ipsecif: local and remote must differ");
		return -EINVAL;
	}
	return 0;
}

/* Applies @data to @cfg, which holds the defaults for a new interface or a
 * copy of an existing one's options. @cfg is only a scratch copy: the caller
 * commits it when this succeeds, so a refused request changes nothing.
 */
static int ipsecif_parse_config(struct nlattr *data[], bool creating,
				struct ipsecif_link_config *cfg,
				struct netlink_ext_ack *extack)
{
	int ret;

	if (!data)
		return 0;

	if (data[IFLA_IPSECIF_MODE]) {
		u32 mode = nla_get_u32(data[IFLA_IPSECIF_MODE]);

		if (mode > IPSECIF_MODE_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_IPSECIF_MODE],
					    "ipsecif: unknown mode (0 = p2p, 1 = p2mp)");
			return -EINVAL;
		}
		if (!creating && mode != cfg->mode) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_IPSECIF_MODE],
					    "ipsecif: mode cannot be changed; delete and re-create the interface");
			return -EOPNOTSUPP;
		}
		cfg->mode = mode;
	}

	ret = ipsecif_parse_endpoints(data, cfg, extack);
	if (ret)
		return ret;
	if (cfg->family && cfg->mode != IPSECIF_MODE_P2P) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: local and remote are for p2p interfaces only");
		return -EINVAL;
	}

	if (data[IFLA_IPSECIF_TABLE])
		cfg->table = nla_get_u32(data[IFLA_IPSECIF_TABLE]);
	if (data[IFLA_IPSECIF_FWMARK])
		cfg->fwmark = nla_get_u32(data[IFLA_IPSECIF_FWMARK]);
	return 0;
}

static int ipsecif_newlink(struct net *src_net, struct net_device *dev,
			   struct nlattr *tb[], struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	struct ipsecif_dev *ipsecif = netdev_priv(dev);
	struct ipsecif_link_config cfg = ipsecif->config;
	int ret;

	ret = ipsecif_parse_config(data, true, &cfg, extack);
	if (ret)
		return ret;

	ipsecif->config = cfg;
	ipsecif->mtu_user = !!tb[IFLA_MTU];
	if (cfg.mode == IPSECIF_MODE_P2MP)
		dev->flags &= ~IFF_POINTOPOINT;
	rcu_assign_pointer(ipsecif->underlay_net, src_net);

	/* A p2p interface has a carrier only while it has a TX SA. */
	if (cfg.mode == IPSECIF_MODE_P2P)
		netif_carrier_off(dev);

	ret = register_netdevice(dev);
	if (ret)
		return ret;

	pr_debug("%s: interface created (%s)\n", dev->name,
		 cfg.mode == IPSECIF_MODE_P2P ? "p2p" : "p2mp");
	return 0;
}

static int ipsecif_changelink(struct net_device *dev, struct nlattr *tb[],
			      struct nlattr *data[],
			      struct netlink_ext_ack *extack)
{
	struct ipsecif_dev *ipsecif = netdev_priv(dev);
	struct ipsecif_link_config cfg = ipsecif->config;
	int ret;

	ret = ipsecif_parse_config(data, false, &cfg, extack);
	if (ret)
		return ret;
	/* The endpoints decide the mode the SAs must have. */
	if (!cfg.family != !ipsecif->config.family &&
	    (rtnl_dereference(ipsecif->p2p_protect))) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: adding local/remote changes the SA mode the interface needs; delete its protection first");
		return -EBUSY;
	}

	ipsecif->config = cfg;
	return 0;
}

static size_t ipsecif_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u32)) +		/* MODE */
	       2 * nla_total_size(sizeof(struct in6_addr)) + /* LOCAL, REMOTE */
	       nla_total_size(sizeof(u32)) +		/* TABLE */
	       nla_total_size(sizeof(u32));		/* FWMARK */
}

static int ipsecif_fill_endpoints(struct sk_buff *skb,
				  const struct ipsecif_link_config *cfg)
{
	if (cfg->family == AF_INET)
		return nla_put_in_addr(skb, IFLA_IPSECIF_LOCAL,
				       cfg->local.v4.s_addr) ?:
		       nla_put_in_addr(skb, IFLA_IPSECIF_REMOTE,
				       cfg->remote.v4.s_addr);
	if (cfg->family == AF_INET6)
		return nla_put_in6_addr(skb, IFLA_IPSECIF_LOCAL6,
					&cfg->local.v6) ?:
		       nla_put_in6_addr(skb, IFLA_IPSECIF_REMOTE6,
					&cfg->remote.v6);
	return 0;
}

static int ipsecif_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct ipsecif_dev *ipsecif = netdev_priv(dev);
	const struct ipsecif_link_config *cfg = &ipsecif->config;

	if (nla_put_u32(skb, IFLA_IPSECIF_MODE, cfg->mode) ||
	    ipsecif_fill_endpoints(skb, cfg) ||
	    nla_put_u32(skb, IFLA_IPSECIF_TABLE, cfg->table) ||
	    nla_put_u32(skb, IFLA_IPSECIF_FWMARK, cfg->fwmark))
		return -EMSGSIZE;
	return 0;
}

/* Reported as IFLA_LINK_NETNSID. Once the underlay netns is gone there is no
 * other netns to name, so the interface's own is returned.
 */
static struct net *ipsecif_get_link_net(const struct net_device *dev)
{
	struct ipsecif_dev *ipsecif = netdev_priv(dev);
	struct net *net = rcu_dereference_rtnl(ipsecif->underlay_net);

	return net ?: dev_net(dev);
}

static struct rtnl_link_ops ipsecif_link_ops __read_mostly;

bool ipsecif_is_dev(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &ipsecif_link_ops;
}

static struct rtnl_link_ops ipsecif_link_ops __read_mostly = {
	.kind		= IPSECIF_LINK_KIND,
	.maxtype	= IFLA_IPSECIF_MAX,
	.policy		= ipsecif_policy,
	.priv_size	= sizeof(struct ipsecif_dev),
	.setup		= ipsecif_setup,
	.newlink	= ipsecif_newlink,
	.changelink	= ipsecif_changelink,
	.get_size	= ipsecif_get_size,
	.fill_info	= ipsecif_fill_info,
	.get_link_net	= ipsecif_get_link_net,
};

/* The underlay netns of some interfaces is going away while they may live on
 * in other namespaces: forget it, so nothing routes through a dead netns.
 * Interfaces that live in the dying netns itself are deleted afterwards by
 * the core (default_device_exit_batch), through the link kind's dellink.
 */
static void ipsecif_netns_pre_exit(struct net *net)
{
	struct ipsecif_dev *ipsecif;

	rtnl_lock();
	list_for_each_entry(ipsecif, &ipsecif_devices, device_list) {
		if (rtnl_dereference(ipsecif->underlay_net) != net)
			continue;
		pr_debug("%s: underlay netns exiting\n", ipsecif->dev->name);
		ipsecif_protect_forget_underlay(ipsecif);
		RCU_INIT_POINTER(ipsecif->underlay_net, NULL);
		ipsecif_update_carrier(ipsecif);
	}
	rtnl_unlock();
}

static struct pernet_operations ipsecif_net_ops = {
	.pre_exit = ipsecif_netns_pre_exit,
};

int __init ipsecif_device_init(void)
{
	int ret;

	ret = register_pernet_device(&ipsecif_net_ops);
	if (ret)
		return ret;

	ret = rtnl_link_register(&ipsecif_link_ops);
	if (ret)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_device(&ipsecif_net_ops);
	return ret;
}

/* Deletes every ipsecif interface of every netns, then forgets the netns hook. */
void ipsecif_device_exit(void)
{
	rtnl_link_unregister(&ipsecif_link_ops);
	unregister_pernet_device(&ipsecif_net_ops);
}
