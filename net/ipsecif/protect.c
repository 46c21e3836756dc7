// SPDX-License-Identifier: GPL-2.0
/*
 * Protections: (interface, peer) -> one TX SA and up to four RX SAs. A set
 * builds a new entry and publishes it with one pointer swap, so the datapath
 * sees either the old or the new SAs, never a mix; the SAs themselves (and
 * so their sequence numbers and replay windows) carry over. This file also
 * owns the per-underlay RX table that receive resolves SPIs in, and the
 * carrier of p2p interfaces.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/rtnetlink.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "ipsecif.h"

/* The key of the peer hash; hash_add() and friends hash it further. */
static u32 ipsecif_peer_key(sa_family_t family, const union ipsecif_addr *a)
{
	if (family == AF_INET)
		return (__force u32)a->v4.s_addr;
	return jhash(&a->v6, sizeof(a->v6), 0);
}

static bool ipsecif_peer_equal(const struct ipsecif_protect *p,
			       sa_family_t family, const union ipsecif_addr *a)
{
	return p->peer_family == family &&
	       ipsecif_addr_equal(family, &p->peer, a);
}

static struct ipsecif_protect *
ipsecif_peer_lookup_rcu(struct ipsecif_dev *ipsecif, sa_family_t family,
			const union ipsecif_addr *peer)
{
	struct ipsecif_protect *p;

	hash_for_each_possible_rcu(ipsecif->peers, p, node,
				   ipsecif_peer_key(family, peer),
				   lockdep_rtnl_is_held())
		if (ipsecif_peer_equal(p, family, peer))
			return p;
	return NULL;
}

/* The protection for an outgoing packet: p2p has one; p2mp picks by the
 * next hop of the route the packet took. Under rcu_read_lock().
 */
struct ipsecif_protect *ipsecif_protect_for_skb(struct ipsecif_dev *ipsecif,
						struct sk_buff *skb)
{
	union ipsecif_addr nh = {};
	sa_family_t family;

	if (ipsecif->config.mode == IPSECIF_MODE_P2P)
		return rcu_dereference(ipsecif->p2p_protect);

	if (skb->protocol == htons(ETH_P_IP)) {
		struct rtable *rt = skb_rtable(skb);

		family = AF_INET;
		nh.v4.s_addr = ip_hdr(skb)->daddr;
		if (rt && rt->rt_gw_family == AF_INET) {
			nh.v4.s_addr = rt->rt_gw4;
		} else if (rt && rt->rt_gw_family == AF_INET6) {
			family = AF_INET6;
			nh.v6 = rt->rt_gw6;
		}
	} else {
		struct dst_entry *dst = skb_dst(skb);

		family = AF_INET6;
		nh.v6 = ipv6_hdr(skb)->daddr;
		if (dst)
			nh.v6 = *rt6_nexthop((struct rt6_info *)dst,
					     &ipv6_hdr(skb)->daddr);
	}
	return ipsecif_peer_lookup_rcu(ipsecif, family, &nh);
}

/* p2p: carrier while a TX SA is set; p2mp: always. Neither without an
 * underlay netns. Under RTNL.
 */
void ipsecif_update_carrier(struct ipsecif_dev *ipsecif)
{
	struct ipsecif_protect *p = rtnl_dereference(ipsecif->p2p_protect);
	bool up = rtnl_dereference(ipsecif->underlay_net) &&
		  (ipsecif->config.mode == IPSECIF_MODE_P2MP || (p && p->tx));

	if (up)
		netif_carrier_on(ipsecif->dev);
	else
		netif_carrier_off(ipsecif->dev);
}

static bool ipsecif_protect_has_rx(const struct ipsecif_protect *p,
				   const struct ipsecif_sa *sa)
{
	int i;

	for (i = 0; p && i < p->n_rx; i++)
		if (p->rx[i] == sa)
			return true;
	return false;
}

static bool ipsecif_protect_uses(const struct ipsecif_protect *p,
				 const struct ipsecif_sa *sa)
{
	return p && (p->tx == sa || ipsecif_protect_has_rx(p, sa));
}

static void ipsecif_protect_free_rcu(struct rcu_head *head)
{
	struct ipsecif_protect *p = container_of(head, struct ipsecif_protect,
						 rcu);
	int i;

	if (p->tx)
		ipsecif_sa_put(p->tx);
	for (i = 0; i < p->n_rx; i++)
		ipsecif_sa_put(p->rx[i]);
	kfree(p);
}

/* The family of the outer header @sa's packets have on @ipsecif. */
static sa_family_t ipsecif_outer_family(const struct ipsecif_dev *ipsecif,
					const struct ipsecif_sa_path *path)
{
	return path->family ?: ipsecif->config.family;
}

/* An RX SA with UDP encapsulation holds the socket of its port in the
 * underlay netns while it receives there.
 */
static int ipsecif_rx_encap_bind(struct ipsecif_dev *ipsecif,
				 struct ipsecif_sa *sa, struct net *underlay,
				 const struct ipsecif_sa_path *path,
				 struct netlink_ext_ack *extack)
{
	sa_family_t family = ipsecif_outer_family(ipsecif, path);
	int ret;

	if (!path->encap || !underlay || !family)
		return 0;
	ret = ipsecif_encap_get(underlay, family, path->dport, extack);
	if (ret)
		return ret;
	sa->encap_family = family;
	sa->encap_port = path->dport;
	return 0;
}

static void ipsecif_rx_encap_unbind(struct ipsecif_sa *sa, struct net *net)
{
	if (!sa->encap_port)
		return;
	ipsecif_encap_put(net, sa->encap_family, sa->encap_port);
	sa->encap_family = 0;
	sa->encap_port = 0;
}

static void ipsecif_rx_forget(struct ipsecif_sa *sa)
{
	if (!sa->rx_net)
		return;
	hash_del_rcu(&sa->rx_node);
	ipsecif_rx_encap_unbind(sa, sa->rx_net);
	sa->rx_net = NULL;
}

/* An SA is about to get @path (SA_UPDATE): if it receives on an interface,
 * its socket follows the new port. Under RTNL; nothing changes on error.
 */
int ipsecif_protect_sa_path_change(struct ipsecif_sa *sa,
				   const struct ipsecif_sa_path *path,
				   struct netlink_ext_ack *extack)
{
	struct ipsecif_protect *p = sa->owner;
	sa_family_t family, old_family = sa->encap_family;
	__be16 old_port = sa->encap_port;
	int ret;

	if (!p || !sa->rx_net)
		return 0;
	family = ipsecif_outer_family(p->ipsecif, path);
	if (path->encap && family == old_family && path->dport == old_port)
		return 0;
	ret = ipsecif_rx_encap_bind(p->ipsecif, sa, sa->rx_net, path, extack);
	if (ret)
		return ret;
	if (old_port) {
		ipsecif_encap_put(sa->rx_net, old_family, old_port);
		if (!path->encap) {
			sa->encap_family = 0;
			sa->encap_port = 0;
		}
	}
	return 0;
}

/* Moves the RX and ownership marks of every SA from @old to @new (either may
 * be NULL) and keeps the underlay's RX table in step.
 */
static void ipsecif_protect_handover(struct ipsecif_dev *ipsecif,
				     struct ipsecif_protect *old,
				     struct ipsecif_protect *new)
{
	struct net *underlay = rtnl_dereference(ipsecif->underlay_net);
	int i;

	for (i = 0; old && i < old->n_rx; i++) {
		struct ipsecif_sa *sa = old->rx[i];

		if (ipsecif_protect_has_rx(new, sa))
			continue;
		RCU_INIT_POINTER(sa->rx_protect, NULL);
		ipsecif_rx_forget(sa);
	}
	if (old && old->tx && !ipsecif_protect_uses(new, old->tx))
		old->tx->owner = NULL;
	for (i = 0; old && i < old->n_rx; i++)
		if (!ipsecif_protect_uses(new, old->rx[i]))
			old->rx[i]->owner = NULL;

	if (!new)
		return;
	if (new->tx)
		new->tx->owner = new;
	for (i = 0; i < new->n_rx; i++) {
		struct ipsecif_sa *sa = new->rx[i];

		sa->owner = new;
		rcu_assign_pointer(sa->rx_protect, new);
		if (!sa->rx_net && underlay) {
			hash_add_rcu(ipsecif_net(underlay)->rx_by_spi,
				     &sa->rx_node, (__force u32)sa->spi);
			sa->rx_net = underlay;
		}
	}
}

/* Publishes @new in place of @old (same interface and peer; either may be
 * NULL), then frees @old after readers are done with it.
 */
static void ipsecif_protect_replace(struct ipsecif_dev *ipsecif,
				    struct ipsecif_protect *old,
				    struct ipsecif_protect *new)
{
	ipsecif_protect_handover(ipsecif, old, new);
	if (ipsecif->config.mode == IPSECIF_MODE_P2P) {
		rcu_assign_pointer(ipsecif->p2p_protect, new);
	} else if (old && new) {
		hlist_replace_rcu(&old->node, &new->node);
	} else if (old) {
		hlist_del_rcu(&old->node);
	} else {
		hash_add_rcu(ipsecif->peers, &new->node,
			     ipsecif_peer_key(new->peer_family, &new->peer));
	}
	if (old)
		call_rcu(&old->rcu, ipsecif_protect_free_rcu);
	ipsecif_update_carrier(ipsecif);
	if (ipsecif->config.mode == IPSECIF_MODE_P2P && new && new->tx)
		ipsecif_auto_mtu(ipsecif, new->tx);
}

/* Reads the peer of a request: none for p2p, required for p2mp. */
static int ipsecif_protect_parse_peer(struct ipsecif_dev *ipsecif,
				      struct nlattr **tb, sa_family_t *family,
				      union ipsecif_addr *peer,
				      struct netlink_ext_ack *extack)
{
	struct nlattr *attr = tb[IPSECIF_PROTECT_A_PEER] ?:
			      tb[IPSECIF_PROTECT_A_PEER6];

	*family = 0;
	memset(peer, 0, sizeof(*peer));
	if (ipsecif->config.mode == IPSECIF_MODE_P2P) {
		if (attr) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "ipsecif: a p2p interface has no peers");
			return -EINVAL;
		}
		return 0;
	}
	if (!attr) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: a p2mp interface needs the peer of the protection");
		return -EINVAL;
	}
	if (tb[IPSECIF_PROTECT_A_PEER] && tb[IPSECIF_PROTECT_A_PEER6]) {
		NL_SET_ERR_MSG(extack, "ipsecif: one peer per protection");
		return -EINVAL;
	}
	*family = tb[IPSECIF_PROTECT_A_PEER] ? AF_INET : AF_INET6;
	nla_memcpy(peer, attr, sizeof(*peer));
	return 0;
}

static struct ipsecif_protect *
ipsecif_protect_find(struct ipsecif_dev *ipsecif, sa_family_t family,
		     const union ipsecif_addr *peer)
{
	if (ipsecif->config.mode == IPSECIF_MODE_P2P)
		return rtnl_dereference(ipsecif->p2p_protect);
	return ipsecif_peer_lookup_rcu(ipsecif, family, peer);
}

/* Finds SA @id for a protection that replaces @old: it must exist and be
 * free or already used by @old.
 */
static struct ipsecif_sa *ipsecif_protect_get_sa(struct net *net,
						 struct nlattr *attr,
						 struct ipsecif_protect *old,
						 struct netlink_ext_ack *extack)
{
	struct ipsecif_sa *sa = ipsecif_sa_by_id(net, nla_get_u32(attr));

	if (!sa) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "ipsecif: no SA with this id");
		return ERR_PTR(-ENOENT);
	}
	if (sa->owner && sa->owner != old) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "ipsecif: the SA is used by another protection");
		return ERR_PTR(-EBUSY);
	}
	if (sa->policy_users) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "ipsecif: the SA is used by a policy");
		return ERR_PTR(-EBUSY);
	}
	return sa;
}

static int ipsecif_protect_check_tx(struct ipsecif_dev *ipsecif,
				    struct ipsecif_sa *sa, struct nlattr *attr,
				    struct netlink_ext_ack *extack)
{
	bool ipip = ipsecif->config.family;

	if (!ipip && sa->mode != IPSECIF_SA_MODE_TUNNEL) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "ipsecif: the TX SA of an interface without local/remote must be tunnel mode");
		return -EINVAL;
	}
	return 0;
}

/* An RX SA new to this underlay must not shadow another netns's SPI. */
static int ipsecif_protect_check_rx(struct ipsecif_dev *ipsecif,
				    struct ipsecif_sa *sa, struct nlattr *attr,
				    struct netlink_ext_ack *extack)
{
	struct net *underlay = rtnl_dereference(ipsecif->underlay_net);
	struct ipsecif_sa *other;

	if (!ipsecif->config.family && sa->mode != IPSECIF_SA_MODE_TUNNEL) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "ipsecif: the RX SAs of an interface without local/remote must be tunnel mode");
		return -EINVAL;
	}
	if (sa->rx_net || !underlay)
		return 0;
	other = ipsecif_rx_sa_by_spi_rcu(underlay, sa->spi);
	if (other && other != sa) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "ipsecif: another SA with this SPI already receives in the underlay netns");
		return -EEXIST;
	}
	return 0;
}

static int ipsecif_protect_fill_sas(struct ipsecif_dev *ipsecif,
				    struct ipsecif_protect *new,
				    struct ipsecif_protect *old,
				    struct nlattr **tb, struct nlattr *nest,
				    struct netlink_ext_ack *extack)
{
	struct net *net = dev_net(ipsecif->dev);
	struct ipsecif_sa *sa;
	struct nlattr *attr;
	int rem, ret, i;

	if (tb[IPSECIF_PROTECT_A_TX_SA]) {
		sa = ipsecif_protect_get_sa(net, tb[IPSECIF_PROTECT_A_TX_SA],
					    old, extack);
		if (IS_ERR(sa))
			return PTR_ERR(sa);
		ret = ipsecif_protect_check_tx(ipsecif, sa,
					       tb[IPSECIF_PROTECT_A_TX_SA],
					       extack);
		if (ret)
			return ret;
		new->tx = sa;
	}

	nla_for_each_nested(attr, nest, rem) {
		if (nla_type(attr) != IPSECIF_PROTECT_A_RX_SA)
			continue;
		if (new->n_rx == IPSECIF_MAX_RX_SA) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "ipsecif: at most 4 RX SAs per protection");
			return -E2BIG;
		}
		sa = ipsecif_protect_get_sa(net, attr, old, extack);
		if (IS_ERR(sa))
			return PTR_ERR(sa);
		for (i = 0; i < new->n_rx; i++) {
			if (new->rx[i] == sa) {
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "ipsecif: an RX SA is listed twice");
				return -EINVAL;
			}
		}
		ret = ipsecif_protect_check_rx(ipsecif, sa, attr, extack);
		if (ret)
			return ret;
		new->rx[new->n_rx++] = sa;
	}
	return 0;
}

/* The RX SAs new to the underlay take their UDP sockets; all or none. */
static int ipsecif_protect_bind_rx(struct ipsecif_dev *ipsecif,
				   struct ipsecif_protect *new,
				   struct netlink_ext_ack *extack)
{
	struct net *underlay = rtnl_dereference(ipsecif->underlay_net);
	int i, ret = 0;

	for (i = 0; i < new->n_rx && !ret; i++) {
		struct ipsecif_sa *sa = new->rx[i];

		if (!sa->rx_net)
			ret = ipsecif_rx_encap_bind(ipsecif, sa, underlay,
						    rtnl_dereference(sa->path),
						    extack);
	}
	if (!ret)
		return 0;
	for (i--; i-- > 0;)
		if (!new->rx[i]->rx_net)
			ipsecif_rx_encap_unbind(new->rx[i], underlay);
	return ret;
}

/* Sets the whole protection of one peer from an IPSECIF_A_PROTECT nest
 * (parsed into @tb). Under RTNL; nothing changes on error.
 */
int ipsecif_protect_set(struct ipsecif_dev *ipsecif, struct nlattr **tb,
			struct nlattr *nest, struct netlink_ext_ack *extack)
{
	struct ipsecif_protect *old, *new;
	union ipsecif_addr peer;
	sa_family_t family;
	int ret, i;

	ASSERT_RTNL();
	ret = ipsecif_protect_parse_peer(ipsecif, tb, &family, &peer, extack);
	if (ret)
		return ret;
	old = ipsecif_protect_find(ipsecif, family, &peer);

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	new->ipsecif = ipsecif;
	new->peer_family = family;
	new->peer = peer;
	ret = ipsecif_protect_fill_sas(ipsecif, new, old, tb, nest, extack);
	if (ret) {
		kfree(new);
		return ret;
	}
	ret = ipsecif_protect_bind_rx(ipsecif, new, extack);
	if (ret) {
		kfree(new);
		return ret;
	}
	if (new->tx)
		ipsecif_sa_hold(new->tx);
	for (i = 0; i < new->n_rx; i++)
		ipsecif_sa_hold(new->rx[i]);

	ipsecif_protect_replace(ipsecif, old, new);
	ipsecif_nl_notify_protect(ipsecif, new, IPSECIF_CMD_PROTECT_SET);
	pr_debug("%s: protection set (tx %u, %u rx)\n", ipsecif->dev->name,
		 new->tx ? new->tx->id : 0, new->n_rx);
	return 0;
}

int ipsecif_protect_del(struct ipsecif_dev *ipsecif, struct nlattr **tb,
			struct netlink_ext_ack *extack)
{
	struct ipsecif_protect *old;
	union ipsecif_addr peer;
	sa_family_t family;
	int ret;

	ASSERT_RTNL();
	ret = ipsecif_protect_parse_peer(ipsecif, tb, &family, &peer, extack);
	if (ret)
		return ret;
	old = ipsecif_protect_find(ipsecif, family, &peer);
	if (!old) {
		NL_SET_ERR_MSG(extack, "ipsecif: no such protection");
		return -ENOENT;
	}
	ipsecif_nl_notify_protect(ipsecif, old, IPSECIF_CMD_PROTECT_DEL);
	ipsecif_protect_replace(ipsecif, old, NULL);
	return 0;
}

/* The interface is going away: drop all its protections. */
void ipsecif_protect_flush(struct ipsecif_dev *ipsecif)
{
	struct ipsecif_protect *p;
	struct hlist_node *tmp;
	int bkt;

	ASSERT_RTNL();
	p = rtnl_dereference(ipsecif->p2p_protect);
	if (p)
		ipsecif_protect_replace(ipsecif, p, NULL);
	hash_for_each_safe(ipsecif->peers, bkt, tmp, p, node)
		ipsecif_protect_replace(ipsecif, p, NULL);
}

/* The netns of @sa is going away: the protection using it goes too. */
void ipsecif_protect_release_sa(struct ipsecif_sa *sa)
{
	struct ipsecif_protect *p = sa->owner;

	ASSERT_RTNL();
	ipsecif_protect_replace(p->ipsecif, p, NULL);
}

static void ipsecif_protect_forget_rx(struct ipsecif_protect *p)
{
	int i;

	for (i = 0; i < p->n_rx; i++)
		ipsecif_rx_forget(p->rx[i]);
}

/* The underlay netns of @ipsecif is going away: its RX table goes with it. */
void ipsecif_protect_forget_underlay(struct ipsecif_dev *ipsecif)
{
	struct ipsecif_protect *p;
	int bkt;

	ASSERT_RTNL();
	p = rtnl_dereference(ipsecif->p2p_protect);
	if (p)
		ipsecif_protect_forget_rx(p);
	hash_for_each(ipsecif->peers, bkt, p, node)
		ipsecif_protect_forget_rx(p);
}
