// SPDX-License-Identifier: GPL-2.0
/*
 * Receive: ESP handlers registered with xfrm4/xfrm6_protocol above esp4/esp6,
 * vti and xfrm interfaces. An ESP packet is resolved by SPI in the RX table
 * of the netns it arrived in; what is not ours goes on (-EINVAL) to the
 * kernel's own xfrm. Ours is checked against the replay window, decrypted
 * in place (synchronously or not), checked again, stripped of its trailer
 * and outer headers, and delivered on the interface through GRO cells.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/dsfield.h>
#include <net/esp.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/xfrm.h>

#include "crypto.h"

#define IPSECIF_XFRM_PRIORITY 200

/* A tunnel-mode SA receives only from its peer (src) at its local end (dst);
 * an ipip-model SA from the link's remote at its local.
 */
static bool ipsecif_outer_matches(struct sk_buff *skb, struct ipsecif_sa *sa,
				  struct ipsecif_protect *protect,
				  sa_family_t family)
{
	const union ipsecif_addr *src, *dst;
	union ipsecif_addr osrc = {}, odst = {};
	sa_family_t want;

	if (sa->mode == IPSECIF_SA_MODE_TUNNEL) {
		const struct ipsecif_sa_path *path = rcu_dereference(sa->path);

		want = path->family;
		src = &path->src;
		dst = &path->dst;
	} else {
		if (!protect)
			return true;
		want = protect->ipsecif->config.family;
		src = &protect->ipsecif->config.remote;
		dst = &protect->ipsecif->config.local;
	}
	if (want != family)
		return false;
	if (family == AF_INET) {
		osrc.v4.s_addr = ip_hdr(skb)->saddr;
		odst.v4.s_addr = ip_hdr(skb)->daddr;
	} else {
		osrc.v6 = ipv6_hdr(skb)->saddr;
		odst.v6 = ipv6_hdr(skb)->daddr;
	}
	return ipsecif_addr_equal(family, &osrc, src) &&
	       ipsecif_addr_equal(family, &odst, dst);
}

/* Replay and integrity failures are worth an alert on the monitor group:
 * at most one per SA and kind per second.
 */
static void ipsecif_rx_alert(struct ipsecif_sa *sa, int kind, u8 event)
{
	unsigned long next = READ_ONCE(sa->alert_next[kind]);

	if (time_before(jiffies, next) ||
	    cmpxchg(&sa->alert_next[kind], next, jiffies + HZ) != next)
		return;
	ipsecif_nl_sa_event(sa, IPSECIF_CMD_SA_ERROR, event, 0);
}

void ipsecif_rx_drop(struct ipsecif_sa *sa, struct sk_buff *skb,
		     enum ipsecif_drop_reason why)
{
	ipsecif_sa_drop(sa, why);
	kfree_skb(skb);
	if (why == IPSECIF_DROP_REPLAY)
		ipsecif_rx_alert(sa, 0, IPSECIF_SA_EVENT_REPLAY);
	else if (why == IPSECIF_DROP_INTEGRITY)
		ipsecif_rx_alert(sa, 1, IPSECIF_SA_EVENT_INTEGRITY);
}

/* Reads and checks the trailer; returns the next header, or a drop reason
 * as a negative number.
 */
static int ipsecif_check_trailer(struct sk_buff *skb, struct ipsecif_sa *sa,
				 unsigned int *pad_len)
{
	unsigned int hdr_len = sizeof(struct ip_esp_hdr) + sa->iv_len;
	u8 trailer[2], pad[255];
	int i;

	if (skb_copy_bits(skb, skb->len - sa->icv_len - 2, trailer, 2))
		return -IPSECIF_DROP_RUNT;
	*pad_len = trailer[0];
	if (hdr_len + *pad_len + 2 + sa->icv_len > skb->len)
		return -IPSECIF_DROP_TRAILER;
	/* RFC 4303 2.4: default padding is 1, 2, 3, ... */
	if (skb_copy_bits(skb, skb->len - sa->icv_len - 2 - *pad_len, pad,
			  *pad_len))
		return -IPSECIF_DROP_TRAILER;
	for (i = 0; i < *pad_len; i++)
		if (pad[i] != i + 1)
			return -IPSECIF_DROP_TRAILER;
	return trailer[1];
}

/* Tunnel mode: leaves the inner packet alone in @skb, checked to be
 * well-formed. Returns 0 or a drop reason as a negative number.
 */
int ipsecif_strip_tunnel(struct sk_buff *skb, struct ipsecif_sa *sa,
			 int next_hdr, unsigned int pad_len)
{
	unsigned int len;

	if (next_hdr != IPPROTO_IPIP && next_hdr != IPPROTO_IPV6)
		return -IPSECIF_DROP_NEXTHDR;
	if (pskb_trim(skb, skb->len - sa->icv_len - 2 - pad_len))
		return -IPSECIF_DROP_RUNT;
	__skb_pull(skb, sizeof(struct ip_esp_hdr) + sa->iv_len);
	skb_reset_network_header(skb);

	if (next_hdr == IPPROTO_IPIP) {
		if (!pskb_may_pull(skb, sizeof(struct iphdr)) ||
		    ip_hdr(skb)->version != 4 || ip_hdr(skb)->ihl < 5 ||
		    !pskb_may_pull(skb, ip_hdr(skb)->ihl * 4))
			return -IPSECIF_DROP_NEXTHDR;
		len = ntohs(ip_hdr(skb)->tot_len);
		if (len < ip_hdr(skb)->ihl * 4)
			return -IPSECIF_DROP_NEXTHDR;
		skb->protocol = htons(ETH_P_IP);
	} else {
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr)) ||
		    ipv6_hdr(skb)->version != 6)
			return -IPSECIF_DROP_NEXTHDR;
		len = ntohs(ipv6_hdr(skb)->payload_len) + sizeof(struct ipv6hdr);
		skb->protocol = htons(ETH_P_IPV6);
	}
	/* Traffic flow confidentiality padding may follow the inner packet. */
	if (len > skb->len || pskb_trim(skb, len))
		return -IPSECIF_DROP_NEXTHDR;
	return 0;
}

static int ipsecif_replay_accept(struct ipsecif_sa *sa, u64 seq)
{
	u64 lost = 0;
	int ret;

	spin_lock_bh(&sa->replay_lock);
	ret = ipsecif_replay_advance(sa->replay, seq, &lost);
	sa->lost += lost;
	spin_unlock_bh(&sa->replay_lock);
	return ret;
}

/* The ipip model with a tunnel-mode SA: the decrypted packet is the
 * peer's IP-in-IP packet from remote to local; what it carries is ours.
 * Returns 0 or a drop reason as a negative number.
 */
static int ipsecif_strip_ipip(struct ipsecif_dev *ipsecif, struct sk_buff *skb)
{
	const struct ipsecif_link_config *cfg = &ipsecif->config;
	union ipsecif_addr src = {}, dst = {};
	unsigned int hlen;
	u8 proto;

	if (cfg->family == AF_INET) {
		if (skb->protocol != htons(ETH_P_IP))
			return -IPSECIF_DROP_NEXTHDR;
		hlen = ip_hdr(skb)->ihl * 4;
		if (!pskb_may_pull(skb, hlen) ||
		    ip_is_fragment(ip_hdr(skb)))
			return -IPSECIF_DROP_NEXTHDR;
		proto = ip_hdr(skb)->protocol;
		src.v4.s_addr = ip_hdr(skb)->saddr;
		dst.v4.s_addr = ip_hdr(skb)->daddr;
	} else {
		if (skb->protocol != htons(ETH_P_IPV6))
			return -IPSECIF_DROP_NEXTHDR;
		hlen = sizeof(struct ipv6hdr);
		proto = ipv6_hdr(skb)->nexthdr;
		src.v6 = ipv6_hdr(skb)->saddr;
		dst.v6 = ipv6_hdr(skb)->daddr;
	}
	if (!ipsecif_addr_equal(cfg->family, &src, &cfg->remote) ||
	    !ipsecif_addr_equal(cfg->family, &dst, &cfg->local))
		return -IPSECIF_DROP_NEXTHDR;
	if (proto != IPPROTO_IPIP && proto != IPPROTO_IPV6)
		return -IPSECIF_DROP_NEXTHDR;
	__skb_pull(skb, hlen);
	skb_reset_network_header(skb);
	if (proto == IPPROTO_IPIP) {
		if (!pskb_may_pull(skb, sizeof(struct iphdr)) ||
		    ip_hdr(skb)->version != 4 ||
		    ntohs(ip_hdr(skb)->tot_len) > skb->len)
			return -IPSECIF_DROP_NEXTHDR;
		skb->protocol = htons(ETH_P_IP);
		return pskb_trim(skb, ntohs(ip_hdr(skb)->tot_len)) ?
		       -IPSECIF_DROP_RUNT : 0;
	}
	if (!pskb_may_pull(skb, sizeof(struct ipv6hdr)) ||
	    ipv6_hdr(skb)->version != 6 ||
	    ntohs(ipv6_hdr(skb)->payload_len) + sizeof(struct ipv6hdr) > skb->len)
		return -IPSECIF_DROP_NEXTHDR;
	skb->protocol = htons(ETH_P_IPV6);
	return pskb_trim(skb, ntohs(ipv6_hdr(skb)->payload_len) +
			 sizeof(struct ipv6hdr)) ? -IPSECIF_DROP_RUNT : 0;
}

static void ipsecif_deliver(struct ipsecif_dev *ipsecif, struct sk_buff *skb,
			    u8 outer_tos, const struct ipsecif_sa_path *path)
{
	struct net_device *dev = ipsecif->dev;
	struct net *underlay = rcu_dereference(ipsecif->underlay_net);
	u8 inner_tos;

	skb_reset_mac_header(skb);
	skb_reset_transport_header(skb);
	skb_scrub_packet(skb, !underlay || !net_eq(underlay, dev_net(dev)));
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;

	if (path->flags & IPSECIF_SA_F_DECAP_DSCP) {
		if (skb_ensure_writable(skb, skb->protocol == htons(ETH_P_IP) ?
					sizeof(struct iphdr) :
					sizeof(struct ipv6hdr)))
			goto drop;
		if (skb->protocol == htons(ETH_P_IP))
			ipv4_change_dsfield(ip_hdr(skb), INET_ECN_MASK,
					    outer_tos & ~INET_ECN_MASK);
		else
			ipv6_change_dsfield(ipv6_hdr(skb), INET_ECN_MASK,
					    outer_tos & ~INET_ECN_MASK);
	}
	if (path->flags & IPSECIF_SA_F_NO_ECN)
		outer_tos &= ~INET_ECN_MASK;
	inner_tos = skb->protocol == htons(ETH_P_IP) ?
		    ipv4_get_dsfield(ip_hdr(skb)) :
		    ipv6_get_dsfield(ipv6_hdr(skb));
	/* RFC 6040: CE on the outside marks the inside; Not-ECT inside with
	 * CE outside cannot carry it and is dropped.
	 */
	if (INET_ECN_decapsulate(skb, outer_tos, inner_tos) > 1) {
drop:
		DEV_STATS_INC(dev, rx_frame_errors);
		kfree_skb(skb);
		return;
	}
	dev_sw_netstats_rx_add(dev, skb->len);
	gro_cells_receive(&ipsecif->gro_cells, skb);
}

/* Decryption is done (or failed): checks the result, moves the replay
 * window and reads the trailer. Returns the next header, or a negative
 * number once the packet is dropped and counted.
 */
int ipsecif_input_verify(struct ipsecif_crypto_ctx *ctx, int err,
			 unsigned int *pad_len)
{
	struct ipsecif_sa *sa = ctx->sa;
	struct sk_buff *skb = ctx->skb;
	int next_hdr;

	if (err) {
		ipsecif_rx_drop(sa, skb, err == -EBADMSG ?
				IPSECIF_DROP_INTEGRITY : IPSECIF_DROP_CRYPTO);
		return -1;
	}
	/* Only now, with the ICV verified, may the window move. */
	if (ipsecif_replay_accept(sa, ctx->seq)) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_REPLAY);
		return -1;
	}
	next_hdr = ipsecif_check_trailer(skb, sa, pad_len);
	if (next_hdr < 0) {
		ipsecif_rx_drop(sa, skb, -next_hdr);
		return -1;
	}
	/* What the lifetimes count: the inner packet. */
	if (!ipsecif_sa_lft_ok(sa, skb->len - sizeof(struct ip_esp_hdr) -
			       sa->iv_len - sa->icv_len - 2 - *pad_len)) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_EXPIRED);
		return -1;
	}
	return next_hdr;
}

/* The end of receive for interfaces: strip, deliver, release. */
static void ipsecif_input_finish(struct ipsecif_crypto_ctx *ctx, int err)
{
	struct ipsecif_sa *sa = ctx->sa;
	struct sk_buff *skb = ctx->skb;
	struct ipsecif_protect *protect;
	unsigned int pad_len;
	int next_hdr;

	rcu_read_lock();
	next_hdr = ipsecif_input_verify(ctx, err, &pad_len);
	if (next_hdr < 0)
		goto out;
	err = ipsecif_strip_tunnel(skb, sa, next_hdr, pad_len);
	if (err) {
		ipsecif_rx_drop(sa, skb, -err);
		goto out;
	}
	protect = rcu_dereference(sa->rx_protect);
	if (!protect || !netif_running(protect->ipsecif->dev)) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_NO_PROTECT);
		goto out;
	}
	if (protect->ipsecif->config.family &&
	    sa->mode == IPSECIF_SA_MODE_TUNNEL) {
		err = ipsecif_strip_ipip(protect->ipsecif, skb);
		if (err) {
			ipsecif_rx_drop(sa, skb, -err);
			goto out;
		}
	}
	ipsecif_sa_count(sa, skb->len);
	ipsecif_deliver(protect->ipsecif, skb, ctx->outer_tos,
			rcu_dereference(sa->path));
out:
	rcu_read_unlock();
	ipsecif_ctx_free(ctx);
	ipsecif_sa_put(sa);
}

static int ipsecif_decrypt(struct ipsecif_crypto_ctx *ctx, int nfrags)
{
	struct ipsecif_sa *sa = ctx->sa;
	struct crypto_aead *aead = sa->aead;
	struct aead_request *req = ipsecif_ctx_req(ctx, aead);
	struct scatterlist *sg = ipsecif_ctx_sg(ctx, aead);
	unsigned int aad_len, len;
	int err;

	aad_len = ipsecif_ctx_set_aad(ctx, sa, ctx->seq);
	len = ctx->skb->len - sizeof(struct ip_esp_hdr);

	sg_init_table(sg, nfrags + 1);
	sg_set_buf(sg, ctx->aad, aad_len);
	err = skb_to_sgvec(ctx->skb, sg + 1, sizeof(struct ip_esp_hdr), len);
	if (unlikely(err < 0))
		return err;

	aead_request_set_tfm(req, aead);
	aead_request_set_crypt(req, sg, sg, len, ipsecif_ctx_iv(ctx, aead));
	aead_request_set_ad(req, aad_len);
	return ipsecif_crypto_run(ctx, false);
}

/* Length checks before any crypto: room for header, IV, trailer and ICV,
 * and whole cipher blocks.
 */
static bool ipsecif_length_ok(struct sk_buff *skb, struct ipsecif_sa *sa)
{
	int elen = skb->len - sizeof(struct ip_esp_hdr) - sa->iv_len -
		   sa->icv_len;
	unsigned int block = crypto_aead_blocksize(sa->aead);

	return elen >= 2 && !(elen & (max(block, 4U) - 1));
}

/* Checks, then decrypts the ESP packet at skb->data for @sa; @done gets
 * the result and the context (holding a reference on the SA), and frees
 * both. Takes the packet from here on; under rcu_read_lock().
 */
void ipsecif_input_decrypt(struct sk_buff *skb, struct ipsecif_sa *sa,
			   ipsecif_crypto_done_t done)
{
	struct ipsecif_crypto_ctx *ctx;
	struct sk_buff *trailer;
	int nfrags, err;
	u8 outer_tos;
	u64 seq;

	if (unlikely(test_bit(IPSECIF_SA_HARD, &sa->expired))) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_EXPIRED);
		return;
	}
	/* The ESP header and IV in the linear part, where stripping them
	 * (__skb_pull) expects them: a refragmented packet's first fragment
	 * may hold less.
	 */
	if (!ipsecif_length_ok(skb, sa) ||
	    !pskb_may_pull(skb, sizeof(struct ip_esp_hdr) + sa->iv_len)) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_RUNT);
		return;
	}
	spin_lock_bh(&sa->replay_lock);
	err = ipsecif_replay_check(sa->replay, ntohl(ip_esp_hdr(skb)->seq_no),
				   sa->flags & IPSECIF_SA_F_ESN, &seq);
	spin_unlock_bh(&sa->replay_lock);
	if (err) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_REPLAY);
		return;
	}

	outer_tos = skb->protocol == htons(ETH_P_IP) ?
		    ipv4_get_dsfield(ip_hdr(skb)) :
		    ipv6_get_dsfield(ipv6_hdr(skb));
	nfrags = skb_cow_data(skb, 0, &trailer);
	if (nfrags < 0) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_CRYPTO);
		return;
	}
	ctx = ipsecif_ctx_alloc(sa->aead, nfrags + 1);
	if (!ctx) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_CRYPTO);
		return;
	}
	ctx->skb = skb;
	ctx->sa = sa;
	ctx->seq = seq;
	ctx->outer_tos = outer_tos;
	ctx->done = done;
	ipsecif_sa_hold(sa);
	err = ipsecif_decrypt(ctx, nfrags);
	if (err != -EINPROGRESS)
		done(ctx, err);
}

/* The ESP handler of both families, for plain ESP and (@udp) ESP that
 * came in UDP: 0 when the packet was ours (and is consumed), -EINVAL to
 * hand it to the next handler.
 */
static int ipsecif_esp_rcv(struct sk_buff *skb, sa_family_t family, bool udp)
{
	struct net *net = dev_net(skb->dev);
	struct ipsecif_protect *protect;
	struct ipsecif_sa *sa;
	__be32 spi;

	if (!pskb_may_pull(skb, sizeof(struct ip_esp_hdr)))
		return -EINVAL;
	spi = ip_esp_hdr(skb)->spi;

	rcu_read_lock();
	sa = ipsecif_rx_sa_by_spi_rcu(net, spi);
	if (!sa) {
		/* Ours but in no protection's RX set: drop and count. */
		sa = ipsecif_sa_by_spi_rcu(net, spi);
		if (!sa || !ipsecif_outer_matches(skb, sa, NULL, family) ||
		    !!rcu_dereference(sa->path)->encap != udp)
			goto not_ours;
		/* An SA of inbound protect policies: policy mode. */
		if (list_first_or_null_rcu(&sa->spd_in, struct ipsecif_policy,
					   sa_list))
			ipsecif_spd_esp_input(skb, sa, family);
		else
			ipsecif_rx_drop(sa, skb, IPSECIF_DROP_NO_PROTECT);
		goto out;
	}
	protect = rcu_dereference(sa->rx_protect);
	if (!ipsecif_outer_matches(skb, sa, protect, family) ||
	    !!rcu_dereference(sa->path)->encap != udp)
		goto not_ours;
	if (!protect || !netif_running(protect->ipsecif->dev)) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_NO_PROTECT);
		goto out;
	}
	ipsecif_input_decrypt(skb, sa, ipsecif_input_finish);
out:
	rcu_read_unlock();
	return 0;
not_ours:
	rcu_read_unlock();
	return -EINVAL;
}

static int ipsecif_esp4_rcv(struct sk_buff *skb)
{
	return ipsecif_esp_rcv(skb, AF_INET, false);
}

static int ipsecif_esp6_rcv(struct sk_buff *skb)
{
	return ipsecif_esp_rcv(skb, AF_INET6, false);
}

/* We never use xfrm_input(), so its callbacks are never about our packets. */
static int ipsecif_xfrm_cb(struct sk_buff *skb, int err)
{
	return 1;
}

/* ESP that came in UDP (RFC 3948), stripped of the UDP header by the
 * encap_rcv of our socket (encap.c) or of an IKE daemon's UDP_ENCAP socket.
 */
static int ipsecif_xfrm_input(struct sk_buff *skb, int nexthdr, __be32 spi,
			      int encap_type)
{
	if (encap_type != UDP_ENCAP_ESPINUDP)
		return -EINVAL;
	return ipsecif_esp_rcv(skb, XFRM_SPI_SKB_CB(skb)->family, true);
}

/* ICMP errors about ESP we sent: "fragmentation needed" / "packet too big"
 * lower the path MTU of the underlay route, which the next packets of the
 * interface see (output.c). Errors about others' ESP go on.
 */
static bool ipsecif_spi_is_ours(struct net *net, __be32 spi)
{
	bool ours;

	rcu_read_lock();
	ours = ipsecif_sa_by_spi_rcu(net, spi);
	rcu_read_unlock();
	return ours;
}

static int ipsecif_esp4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct ip_esp_hdr *esph = (void *)(skb->data + (iph->ihl << 2));
	struct net *net = dev_net(skb->dev);

	if (icmp_hdr(skb)->type != ICMP_DEST_UNREACH ||
	    icmp_hdr(skb)->code != ICMP_FRAG_NEEDED ||
	    !ipsecif_spi_is_ours(net, esph->spi))
		return -ENOENT;
	ipv4_update_pmtu(skb, net, info, 0, IPPROTO_ESP);
	return 0;
}

static int ipsecif_esp6_err(struct sk_buff *skb, struct inet6_skb_parm *opt,
			    u8 type, u8 code, int offset, __be32 info)
{
	struct ip_esp_hdr *esph = (void *)(skb->data + offset);
	struct net *net = dev_net(skb->dev);

	if (type != ICMPV6_PKT_TOOBIG || !ipsecif_spi_is_ours(net, esph->spi))
		return -ENOENT;
	ip6_update_pmtu(skb, net, info, 0, 0, sock_net_uid(net, NULL));
	return 0;
}

static struct xfrm4_protocol ipsecif_esp4_protocol __read_mostly = {
	.handler	= ipsecif_esp4_rcv,
	.input_handler	= ipsecif_xfrm_input,
	.cb_handler	= ipsecif_xfrm_cb,
	.err_handler	= ipsecif_esp4_err,
	.priority	= IPSECIF_XFRM_PRIORITY,
};

static struct xfrm6_protocol ipsecif_esp6_protocol __read_mostly = {
	.handler	= ipsecif_esp6_rcv,
	.input_handler	= ipsecif_xfrm_input,
	.cb_handler	= ipsecif_xfrm_cb,
	.err_handler	= ipsecif_esp6_err,
	.priority	= IPSECIF_XFRM_PRIORITY,
};

int __init ipsecif_input_init(void)
{
	int ret;

	ret = xfrm4_protocol_register(&ipsecif_esp4_protocol, IPPROTO_ESP);
	if (ret)
		return ret;
	ret = xfrm6_protocol_register(&ipsecif_esp6_protocol, IPPROTO_ESP);
	if (ret)
		xfrm4_protocol_deregister(&ipsecif_esp4_protocol, IPPROTO_ESP);
	return ret;
}

void ipsecif_input_exit(void)
{
	xfrm6_protocol_deregister(&ipsecif_esp6_protocol, IPPROTO_ESP);
	xfrm4_protocol_deregister(&ipsecif_esp4_protocol, IPPROTO_ESP);
}
