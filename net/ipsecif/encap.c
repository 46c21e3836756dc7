// SPDX-License-Identifier: GPL-2.0
/*
 * UDP encapsulation of ESP (NAT traversal, RFC 3948), receive side: one
 * kernel UDP socket per (underlay netns, family, port), opened while an RX
 * SA with that port needs it and closed with the last one. Its encap_rcv
 * drops NAT keepalives, drops what carries the non-ESP marker (IKE: a user
 * socket would have to own the port to read it) and hands ESP, stripped of
 * its UDP header, to the xfrm ESP handlers, where ours (input.c) comes first.
 *
 * When a user socket already holds the port with UDP_ENCAP_ESPINUDP (an IKE
 * daemon, as charon does), that socket's xfrm encap_rcv brings ESP to the
 * same handlers: ipsecif shares the port and opens nothing. A port held
 * without UDP_ENCAP is refused.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rtnetlink.h>
#include <linux/udp.h>
#include <net/esp.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include <net/xfrm.h>

#include "ipsecif.h"

struct ipsecif_encap_sock {
	struct hlist_node node;		/* ipsecif_net.encap_socks */
	struct socket *sock;		/* NULL: shared with a user socket */
	sa_family_t family;
	__be16 port;
	unsigned int users;
};

static int ipsecif_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	unsigned int len = skb->len - sizeof(struct udphdr);
	u8 *data;

	if (!pskb_may_pull(skb, sizeof(struct udphdr) + min(len, 8U)))
		goto drop;
	data = skb->data + sizeof(struct udphdr);
	/* RFC 3948 2.2: NAT keepalive. */
	if (len == 1 && data[0] == 0xff) {
		consume_skb(skb);
		return 0;
	}
	/* The non-ESP marker (IKE) or too short for ESP: nobody reads our
	 * socket, so it ends here.
	 */
	if (len <= sizeof(struct ip_esp_hdr) || !get_unaligned((u32 *)data))
		goto drop;
	if (skb_unclone(skb, GFP_ATOMIC))
		goto drop;

	__skb_pull(skb, sizeof(struct udphdr));
	skb_reset_transport_header(skb);
	if (skb->protocol == htons(ETH_P_IP)) {
		struct iphdr *iph = ip_hdr(skb);

		iph->tot_len = htons(ntohs(iph->tot_len) - sizeof(struct udphdr));
		return xfrm4_rcv_encap(skb, IPPROTO_ESP, 0, UDP_ENCAP_ESPINUDP);
	}
#if IS_ENABLED(CONFIG_IPV6)
	ipv6_hdr(skb)->payload_len =
		htons(ntohs(ipv6_hdr(skb)->payload_len) - sizeof(struct udphdr));
	return xfrm6_rcv_encap(skb, IPPROTO_ESP, 0, UDP_ENCAP_ESPINUDP);
#else
	goto drop;
#endif
drop:
	kfree_skb(skb);
	return 0;
}

/* Is @port held by a user socket that receives ESP in UDP itself? UDP
 * sockets are freed after an RCU grace period: no reference is needed to
 * look at one under rcu_read_lock().
 */
static bool ipsecif_encap_port_shared(struct net *net, sa_family_t family,
				      __be16 port)
{
	struct sock *sk = NULL;
	bool shared;

	rcu_read_lock();
	if (family == AF_INET)
		sk = __udp4_lib_lookup(net, 0, 0, 0, port, 0, 0, &udp_table,
				       NULL);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = __udp6_lib_lookup(net, &in6addr_any, 0, &in6addr_any,
				       port, 0, 0, &udp_table, NULL);
#endif
	shared = sk && READ_ONCE(udp_sk(sk)->encap_type) == UDP_ENCAP_ESPINUDP;
	rcu_read_unlock();
	return shared;
}

static int ipsecif_encap_open(struct net *net, struct ipsecif_encap_sock *es,
			      struct netlink_ext_ack *extack)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.encap_type = UDP_ENCAP_ESPINUDP,
		.encap_rcv = ipsecif_encap_rcv,
	};
	struct udp_port_cfg cfg = {
		.family = es->family,
		.local_udp_port = es->port,
		.ipv6_v6only = 1,
	};
	int ret;

	ret = udp_sock_create(net, &cfg, &es->sock);
	if (ret == -EADDRINUSE) {
		es->sock = NULL;
		if (ipsecif_encap_port_shared(net, es->family, es->port))
			return 0;
		NL_SET_ERR_MSG(extack,
			       "ipsecif: the UDP port is held by a socket without UDP_ENCAP");
		return ret;
	}
	if (ret) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: could not open the UDP encapsulation socket");
		return ret;
	}
	setup_udp_tunnel_sock(net, es->sock, &tcfg);
	return 0;
}

/* Takes a user of the socket for (@family, @port) in @net, opening it if
 * it is the first. Under RTNL.
 */
int ipsecif_encap_get(struct net *net, sa_family_t family, __be16 port,
		      struct netlink_ext_ack *extack)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct ipsecif_encap_sock *es;
	int ret;

	ASSERT_RTNL();
	hlist_for_each_entry(es, &in->encap_socks, node) {
		if (es->family == family && es->port == port) {
			es->users++;
			return 0;
		}
	}
	es = kzalloc(sizeof(*es), GFP_KERNEL);
	if (!es)
		return -ENOMEM;
	es->family = family;
	es->port = port;
	es->users = 1;
	ret = ipsecif_encap_open(net, es, extack);
	if (ret) {
		kfree(es);
		return ret;
	}
	hlist_add_head(&es->node, &in->encap_socks);
	pr_debug("UDP port %u (%s) %s\n", ntohs(port),
		 family == AF_INET ? "IPv4" : "IPv6",
		 es->sock ? "opened" : "shared with a user socket");
	return 0;
}

static void ipsecif_encap_close(struct ipsecif_encap_sock *es)
{
	hlist_del(&es->node);
	if (es->sock)
		udp_tunnel_sock_release(es->sock);
	kfree(es);
}

void ipsecif_encap_put(struct net *net, sa_family_t family, __be16 port)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct ipsecif_encap_sock *es;

	ASSERT_RTNL();
	hlist_for_each_entry(es, &in->encap_socks, node) {
		if (es->family == family && es->port == port) {
			if (!--es->users)
				ipsecif_encap_close(es);
			return;
		}
	}
	WARN_ONCE(1, "ipsecif: no UDP socket for port %u\n", ntohs(port));
}

/* The netns is going away; every RX SA has let go of its socket by now. */
void ipsecif_encap_net_exit(struct net *net)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct ipsecif_encap_sock *es;
	struct hlist_node *tmp;

	rtnl_lock();
	hlist_for_each_entry_safe(es, tmp, &in->encap_socks, node) {
		WARN_ONCE(es->users, "ipsecif: UDP port %u still used\n",
			  ntohs(es->port));
		ipsecif_encap_close(es);
	}
	rtnl_unlock();
}
