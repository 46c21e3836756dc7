// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit: ndo_start_xmit picks the protection of the packet's peer, and
 * each packet is encapsulated in ESP tunnel mode (RFC 4303): padding and
 * trailer, ESP header, an IV from the transform's generator, encryption in
 * place (synchronously or not), then the outer IPv4/IPv6 header, routed and
 * sent in the interface's underlay netns.
 *
 * The ESP encapsulation itself (ipsecif_esp_ctx_new, ipsecif_esp_seal) is
 * shared with policy mode (netfilter.c), which also uses it in transport
 * mode: ESP inserted behind the IP header.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/icmp.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/esp.h>
#include <net/inet_ecn.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ip6_tunnel.h>
#include <net/ip_tunnels.h>
#include <net/route.h>

#include "crypto.h"

/* The outer endpoints: the link's local/remote (ipip model with a
 * transport-mode SA) or the tunnel-mode SA's src/dst.
 */
static void ipsecif_outer_endpoints(struct ipsecif_dev *ipsecif,
				    struct ipsecif_sa *sa,
				    const struct ipsecif_sa_path *path,
				    struct ipsecif_crypto_ctx *ctx)
{
	if (sa->mode == IPSECIF_SA_MODE_TRANSPORT) {
		ctx->family = ipsecif->config.family;
		ctx->saddr = ipsecif->config.local;
		ctx->daddr = ipsecif->config.remote;
	} else {
		ctx->family = path->family;
		ctx->saddr = path->src;
		ctx->daddr = path->dst;
	}
	ctx->sport = path->encap ? path->sport : 0;
	ctx->dport = path->dport;
}

/* The most an SA adds around an inner packet: outer IP header, UDP
 * encapsulation, ESP header and IV, the largest padding, pad length and
 * next header, ICV.
 */
unsigned int ipsecif_sa_overhead(const struct ipsecif_sa *sa,
				 sa_family_t family, bool udp)
{
	return (family == AF_INET6 ? sizeof(struct ipv6hdr) :
				     sizeof(struct iphdr)) +
	       (udp ? sizeof(struct udphdr) : 0) +
	       sizeof(struct ip_esp_hdr) + sa->iv_len + sa->pad_align - 1 +
	       2 + sa->icv_len;
}

static struct dst_entry *ipsecif_route4(struct net *net,
					struct ipsecif_crypto_ctx *ctx, u32 mark)
{
	struct flowi4 fl4 = {
		.daddr = ctx->daddr.v4.s_addr,
		.saddr = ctx->saddr.v4.s_addr,
		.flowi4_proto = IPPROTO_ESP,
		.flowi4_mark = mark,
		.flowi4_tos = RT_TOS(ctx->tos),
	};
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return NULL;
	return &rt->dst;
}

static struct dst_entry *ipsecif_route6(struct net *net,
					struct ipsecif_crypto_ctx *ctx, u32 mark)
{
	struct flowi6 fl6 = {
		.daddr = ctx->daddr.v6,
		.saddr = ctx->saddr.v6,
		.flowi6_proto = IPPROTO_ESP,
		.flowi6_mark = mark,
	};
	struct dst_entry *dst;

	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		dst_release(dst);
		return NULL;
	}
	return dst;
}

/* The route of an outer packet from ctx->saddr to ctx->daddr in @net. */
struct dst_entry *ipsecif_route_outer(struct net *net,
				      struct ipsecif_crypto_ctx *ctx, u32 mark)
{
	if (ctx->family == AF_INET)
		return ipsecif_route4(net, ctx, mark);
	return ipsecif_route6(net, ctx, mark);
}

/* Routes the outer packet in the underlay; refuses a route back into the
 * interface itself. With @hint, the segments of one GSO packet (same
 * endpoints, same TOS) share the route the first one found: *@hint holds
 * a reference to it, which the caller drops.
 */
static int ipsecif_route(struct ipsecif_dev *ipsecif,
			 struct ipsecif_crypto_ctx *ctx,
			 struct dst_entry **hint)
{
	struct net *net = rcu_dereference(ipsecif->underlay_net);
	struct dst_entry *dst;

	if (!net)
		return -ENETUNREACH;
	ctx->xnet = !net_eq(net, dev_net(ipsecif->dev));
	if (hint && *hint) {
		ctx->dst = dst_clone(*hint);
		return 0;
	}
	dst = ipsecif_route_outer(net, ctx, ipsecif->config.fwmark);
	if (!dst)
		return -EHOSTUNREACH;
	if (dst->dev == ipsecif->dev) {
		dst_release(dst);
		return -ELOOP;
	}
	ctx->dst = dst;
	if (hint)
		*hint = dst_clone(dst);
	return 0;
}

/* RFC 3948: the UDP header in front of ESP. Over IPv4 its checksum is 0;
 * over IPv6 it is computed here (RFC 6935 allows zero only for tunnels
 * that ask for it), so the packet is right on the wire whatever the
 * device offloads.
 */
static void ipsecif_push_udp(struct ipsecif_crypto_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;
	struct udphdr *uh;

	skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh = udp_hdr(skb);
	uh->source = ctx->sport;
	uh->dest = ctx->dport;
	uh->len = htons(skb->len);
	uh->check = 0;
	skb->ip_summed = CHECKSUM_NONE;
	if (ctx->family == AF_INET6) {
		__wsum csum = skb_checksum(skb, 0, skb->len, 0);

		uh->check = csum_ipv6_magic(&ctx->saddr.v6, &ctx->daddr.v6,
					    skb->len, IPPROTO_UDP, csum);
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
	}
}

/* The interface counts what went into it: bytes of inner packets, as
 * ipip and xfrm interfaces do, not the ESP packets they became.
 */
static void ipsecif_send6(struct ipsecif_crypto_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;
	struct ipv6hdr *ip6h;
	int err;

	skb_scrub_packet(skb, ctx->xnet);
	if (ctx->sport)
		ipsecif_push_udp(ctx);
	skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, ctx->tos, ctx->flowlabel);
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = ctx->sport ? IPPROTO_UDP : IPPROTO_ESP;
	ip6h->hop_limit = ctx->ttl ?: ip6_dst_hoplimit(ctx->dst);
	ip6h->saddr = ctx->saddr.v6;
	ip6h->daddr = ctx->daddr.v6;
	skb->protocol = htons(ETH_P_IPV6);
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	skb_dst_set(skb, ctx->dst);
	ctx->dst = NULL;

	err = ip6_local_out(dev_net(skb_dst(skb)->dev), NULL, skb);
	iptunnel_xmit_stats(ctx->dev, net_xmit_eval(err) ? -1 : ctx->inner_len);
}

static void ipsecif_send4(struct ipsecif_crypto_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;
	struct net *net = dev_net(ctx->dst->dev);
	struct iphdr *iph;
	int err;

	skb_scrub_packet(skb, ctx->xnet);
	if (ctx->sport)
		ipsecif_push_udp(ctx);
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = ctx->tos;
	/* tot_len and the checksum are ip_local_out()'s */
	iph->frag_off = ip_mtu_locked(ctx->dst) ? 0 : ctx->df;
	iph->ttl = ctx->ttl ?: ip4_dst_hoplimit(ctx->dst);
	iph->protocol = ctx->sport ? IPPROTO_UDP : IPPROTO_ESP;
	iph->saddr = ctx->saddr.v4.s_addr;
	iph->daddr = ctx->daddr.v4.s_addr;
	__ip_select_ident(net, iph, 1);
	skb->protocol = htons(ETH_P_IP);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	skb_dst_set(skb, ctx->dst);
	ctx->dst = NULL;

	err = ip_local_out(net, NULL, skb);
	iptunnel_xmit_stats(ctx->dev, net_xmit_eval(err) ? -1 : ctx->inner_len);
}

/* Encryption is done (or failed): send, count, release. */
static void ipsecif_output_finish(struct ipsecif_crypto_ctx *ctx, int err)
{
	struct ipsecif_sa *sa = ctx->sa;

	if (err) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_CRYPTO);
		DEV_STATS_INC(ctx->dev, tx_errors);
		kfree_skb(ctx->skb);
	} else {
		ipsecif_sa_count(sa, ctx->inner_len);
		rcu_read_lock();
		if (ctx->family == AF_INET)
			ipsecif_send4(ctx);
		else
			ipsecif_send6(ctx);
		rcu_read_unlock();
	}
	dst_release(ctx->dst);
	dev_put(ctx->dev);
	ipsecif_ctx_free(ctx);
	ipsecif_sa_put(sa);
}

/* The outer TOS (DSCP and ECN), DF, TTL and flow label of a tunnel packet
 * around @skb, per the SA's options: by default DSCP copied, ECN per RFC
 * 6040 normal mode, DF copied (set for inner IPv6), route's TTL, flow
 * label 0.
 */
void ipsecif_inner_fields(struct sk_buff *skb, struct ipsecif_crypto_ctx *ctx,
			  const struct ipsecif_sa_path *path)
{
	u8 inner, dscp;

	if (skb->protocol == htons(ETH_P_IP)) {
		inner = ipv4_get_dsfield(ip_hdr(skb));
		ctx->df = ip_hdr(skb)->frag_off & htons(IP_DF);
	} else {
		inner = ipv6_get_dsfield(ipv6_hdr(skb));
		ctx->df = htons(IP_DF);
		if (path->flags & IPSECIF_SA_F_COPY_FLOWLABEL)
			ctx->flowlabel = ip6_flowlabel(ipv6_hdr(skb));
	}
	if (path->flags & IPSECIF_SA_F_DF_SET)
		ctx->df = htons(IP_DF);
	else if (path->flags & IPSECIF_SA_F_DF_CLEAR)
		ctx->df = 0;
	dscp = path->flags & IPSECIF_SA_F_DONT_ENCAP_DSCP ? path->dscp << 2 :
							    inner & ~INET_ECN_MASK;
	if (path->flags & IPSECIF_SA_F_NO_ECN)
		ctx->tos = dscp;
	else
		ctx->tos = INET_ECN_encapsulate(dscp, inner);
	ctx->ttl = path->ttl;
}

/* Appends padding, pad length and next header to the @plen bytes of
 * payload at the end of @skb, and leaves room for the ICV. Returns the
 * number of scatterlist entries the data needs.
 */
static int ipsecif_add_trailer(struct sk_buff *skb, struct ipsecif_sa *sa,
			       unsigned int plen, unsigned int clen, u8 nexthdr)
{
	unsigned int pad_len = clen - plen - 2;
	struct sk_buff *trailer;
	int nfrags, i;
	u8 *tail;

	nfrags = skb_cow_data(skb, clen - plen + sa->icv_len, &trailer);
	if (nfrags < 0)
		return nfrags;
	tail = skb_tail_pointer(trailer);
	for (i = 0; i < pad_len; i++)
		tail[i] = i + 1;
	tail[pad_len] = pad_len;
	tail[pad_len + 1] = nexthdr;
	pskb_put(skb, trailer, clen - plen + sa->icv_len);
	return nfrags;
}

/* The IV input of the seqiv/echainiv generators: the sequence number,
 * big-endian, right-aligned.
 */
static void ipsecif_set_iv(u8 *iv, unsigned int iv_len, u64 seq)
{
	__be64 seq_be = cpu_to_be64(seq);
	unsigned int n = min_t(unsigned int, iv_len, sizeof(seq_be));

	memset(iv, 0, iv_len);
	memcpy(iv + iv_len - n, (u8 *)&seq_be + sizeof(seq_be) - n, n);
}

static int ipsecif_encrypt(struct ipsecif_crypto_ctx *ctx, int nfrags,
			   unsigned int esp_off, unsigned int clen)
{
	struct ipsecif_sa *sa = ctx->sa;
	struct crypto_aead *aead = sa->aead;
	struct aead_request *req = ipsecif_ctx_req(ctx, aead);
	struct scatterlist *sg = ipsecif_ctx_sg(ctx, aead);
	u8 *iv = ipsecif_ctx_iv(ctx, aead);
	unsigned int aad_len;
	int err;

	aad_len = ipsecif_ctx_set_aad(ctx, sa, ctx->seq);
	ipsecif_set_iv(iv, sa->iv_len, ctx->seq);

	sg_init_table(sg, nfrags + 1);
	sg_set_buf(sg, ctx->aad, aad_len);
	err = skb_to_sgvec(ctx->skb, sg + 1, esp_off + sizeof(struct ip_esp_hdr),
			   sa->iv_len + clen + sa->icv_len);
	if (unlikely(err < 0))
		return err;

	aead_request_set_tfm(req, aead);
	aead_request_set_crypt(req, sg, sg, sa->iv_len + clen, iv);
	aead_request_set_ad(req, aad_len);
	return ipsecif_crypto_run(ctx, true);
}

static int ipsecif_next_seq(struct ipsecif_sa *sa, u64 *seq)
{
	*seq = atomic64_inc_return(&sa->seq_out);
	/* RFC 4303 3.3.3: without ESN the counter must not cycle. */
	if (!(sa->flags & IPSECIF_SA_F_ESN) && *seq > U32_MAX) {
		WRITE_ONCE(sa->tx_stopped, true);
		return -ERANGE;
	}
	return 0;
}

/* A crypto context for one packet of @sa; NULL (counted) when memory is
 * short.
 */
static struct ipsecif_crypto_ctx *ipsecif_esp_ctx_alloc(struct ipsecif_sa *sa)
{
	struct ipsecif_crypto_ctx *ctx;

	ctx = ipsecif_ctx_alloc(sa->aead, MAX_SKB_FRAGS + 2);
	if (!ctx) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_CRYPTO);
		return NULL;
	}
	ctx->sa = sa;
	return ctx;
}

/* Counts a packet of @len bytes of inner data against the lifetimes and
 * takes its sequence number; false (counted) when the SA has expired or
 * is exhausted.
 */
static bool ipsecif_esp_ctx_start(struct ipsecif_crypto_ctx *ctx,
				  unsigned int len)
{
	struct ipsecif_sa *sa = ctx->sa;

	if (!ipsecif_sa_lft_ok(sa, len)) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_EXPIRED);
		return false;
	}
	if (ipsecif_next_seq(sa, &ctx->seq)) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_SEQ_EXHAUSTED);
		return false;
	}
	return true;
}

/* Both of the above, for policy mode. */
struct ipsecif_crypto_ctx *ipsecif_esp_ctx_new(struct ipsecif_sa *sa,
					       unsigned int len)
{
	struct ipsecif_crypto_ctx *ctx = ipsecif_esp_ctx_alloc(sa);

	if (ctx && !ipsecif_esp_ctx_start(ctx, len)) {
		ipsecif_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Puts ESP around the payload of @skb, which follows @hdr_len bytes of
 * header that stay in front (transport mode; 0 for tunnel mode), and
 * starts encrypting it. @headroom is what the caller will push in front
 * afterwards. On success the request owns @skb and @ctx, takes a reference
 * on the SA, and calls @done (maybe before returning) with the data at the
 * IP header in transport mode, at the ESP header in tunnel mode. On error
 * nothing was started: the caller frees @ctx and @skb.
 */
int ipsecif_esp_seal(struct ipsecif_crypto_ctx *ctx, struct sk_buff *skb,
		     unsigned int hdr_len, u8 nexthdr, unsigned int headroom,
		     ipsecif_crypto_done_t done)
{
	struct ipsecif_sa *sa = ctx->sa;
	unsigned int esp_len = sizeof(struct ip_esp_hdr) + sa->iv_len;
	unsigned int plen = skb->len - hdr_len, clen;
	struct ip_esp_hdr *esph;
	int nfrags, err;

	clen = ALIGN(plen + 2, sa->pad_align);
	if (skb_cow_head(skb, headroom + esp_len))
		return -ENOMEM;
	nfrags = ipsecif_add_trailer(skb, sa, plen, clen, nexthdr);
	if (nfrags < 0)
		return nfrags;
	if (nfrags > MAX_SKB_FRAGS + 1)
		return -EMSGSIZE;

	skb_push(skb, esp_len);
	if (hdr_len) {
		memmove(skb->data, skb->data + esp_len, hdr_len);
		skb_reset_network_header(skb);
		skb_set_transport_header(skb, hdr_len);
	}
	esph = (struct ip_esp_hdr *)(skb->data + hdr_len);
	esph->spi = sa->spi;
	esph->seq_no = htonl(lower_32_bits(ctx->seq));

	ctx->skb = skb;
	ctx->hdr_len = hdr_len;
	ctx->done = done;
	ipsecif_sa_hold(sa);
	err = ipsecif_encrypt(ctx, nfrags, hdr_len, clen);
	if (err != -EINPROGRESS)
		done(ctx, err);
	return 0;
}

/* The ipip model with a tunnel-mode SA: the interface's own IP-in-IP
 * header from local to remote goes on first.
 */
static int ipsecif_push_ipip(struct ipsecif_dev *ipsecif, struct sk_buff *skb,
			     const struct ipsecif_crypto_ctx *ctx)
{
	const struct ipsecif_link_config *cfg = &ipsecif->config;
	u8 proto = skb->protocol == htons(ETH_P_IP) ? IPPROTO_IPIP :
						      IPPROTO_IPV6;
	unsigned int len = skb->len;

	if (cfg->family == AF_INET) {
		struct iphdr *iph;

		if (skb_cow_head(skb, sizeof(*iph)))
			return -ENOMEM;
		iph = skb_push(skb, sizeof(*iph));
		memset(iph, 0, sizeof(*iph));
		iph->version = 4;
		iph->ihl = 5;
		iph->tos = ctx->tos;
		iph->tot_len = htons(len + sizeof(*iph));
		iph->frag_off = ctx->df;
		iph->ttl = IPDEFTTL;
		iph->protocol = proto;
		iph->saddr = cfg->local.v4.s_addr;
		iph->daddr = cfg->remote.v4.s_addr;
		ip_send_check(iph);
		skb->protocol = htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6h;

		if (skb_cow_head(skb, sizeof(*ip6h)))
			return -ENOMEM;
		ip6h = skb_push(skb, sizeof(*ip6h));
		ip6_flow_hdr(ip6h, ctx->tos, ctx->flowlabel);
		ip6h->payload_len = htons(len);
		ip6h->nexthdr = proto;
		ip6h->hop_limit = IPV6_DEFAULT_HOPLIMIT;
		ip6h->saddr = cfg->local.v6;
		ip6h->daddr = cfg->remote.v6;
		skb->protocol = htons(ETH_P_IPV6);
	}
	skb_reset_network_header(skb);
	return 0;
}

/* The inner packet is larger than the path allows once encapsulated:
 * the sender learns the MTU (ICMP through the interface and the inner
 * route's PMTU), and an IPv4 packet without DF is fragmented before
 * encryption. Returns true when @skb was consumed.
 */
static bool ipsecif_too_big(struct ipsecif_dev *ipsecif, struct sk_buff *skb,
			    unsigned int mtu);
static void ipsecif_xmit_one(struct ipsecif_dev *ipsecif, struct sk_buff *skb);

/* Encapsulates and sends one (non-GSO) inner packet. Consumes @skb.
 * @hint: see ipsecif_route().
 */
static void ipsecif_output(struct ipsecif_dev *ipsecif, struct ipsecif_sa *sa,
			   struct sk_buff *skb, struct dst_entry **hint)
{
	const struct ipsecif_sa_path *path = rcu_dereference(sa->path);
	bool ipip = ipsecif->config.family && sa->mode == IPSECIF_SA_MODE_TUNNEL;
	struct net_device *dev = ipsecif->dev;
	struct ipsecif_crypto_ctx *ctx = NULL;
	unsigned int headroom, mtu;
	u8 nexthdr;

	ctx = ipsecif_esp_ctx_alloc(sa);
	if (!ctx)
		goto drop;
	ctx->inner_len = skb->len;
	ipsecif_inner_fields(skb, ctx, path);
	ipsecif_outer_endpoints(ipsecif, sa, path, ctx);
	if (ipsecif_route(ipsecif, ctx, hint)) {
		DEV_STATS_INC(dev, tx_carrier_errors);
		goto drop;
	}

	mtu = dst_mtu(ctx->dst);
	mtu -= min(mtu, ipsecif_sa_overhead(sa, ctx->family, ctx->sport) +
		   (ipip ? ipsecif_config_overhead(&ipsecif->config) : 0));
	if (unlikely(skb->len > mtu) && ipsecif_too_big(ipsecif, skb, mtu)) {
		dst_release(ctx->dst);
		ipsecif_ctx_free(ctx);
		return;
	}
	if (!ipsecif_esp_ctx_start(ctx, skb->len))
		goto drop;
	if (ipip && ipsecif_push_ipip(ipsecif, skb, ctx))
		goto drop;

	headroom = LL_RESERVED_SPACE(ctx->dst->dev) + sizeof(struct ipv6hdr) +
		   (ctx->sport ? sizeof(struct udphdr) : 0);
	nexthdr = skb->protocol == htons(ETH_P_IP) ? IPPROTO_IPIP : IPPROTO_IPV6;
	ctx->dev = dev;
	dev_hold(dev);
	if (!ipsecif_esp_seal(ctx, skb, 0, nexthdr, headroom,
			      ipsecif_output_finish))
		return;
	dev_put(dev);

drop:
	if (ctx)
		dst_release(ctx->dst);
	ipsecif_ctx_free(ctx);
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
}

/* ip_do_fragment()'s output: each fragment goes through the interface's
 * transmit again. Under rcu_read_lock().
 */
static int ipsecif_frag_output(struct net *net, struct sock *sk,
			       struct sk_buff *skb)
{
	ipsecif_xmit_one(netdev_priv(skb->dev), skb);
	return 0;
}

static bool ipsecif_too_big(struct ipsecif_dev *ipsecif, struct sk_buff *skb,
			    unsigned int mtu)
{
	struct net_device *dev = ipsecif->dev;

	if (skb->protocol == htons(ETH_P_IP)) {
		mtu = max(mtu, 576U);
		if (skb->len <= mtu)
			return false;
		skb_dst_update_pmtu_no_confirm(skb, mtu);
		if (!(ip_hdr(skb)->frag_off & htons(IP_DF)) && skb_dst(skb)) {
			/* The inner route may not know the MTU yet: cap it. */
			memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
			IPCB(skb)->frag_max_size = mtu;
			if (ip_do_fragment(dev_net(dev), NULL, skb,
					   ipsecif_frag_output))
				DEV_STATS_INC(dev, tx_dropped);
			return true;
		}
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			      htonl(mtu));
	} else {
		mtu = max(mtu, IPV6_MIN_MTU);
		if (skb->len <= mtu)
			return false;
		skb_dst_update_pmtu_no_confirm(skb, mtu);
		icmpv6_ndo_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
	}
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
	return true;
}

static bool ipsecif_inner_ok(struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		return pskb_network_may_pull(skb, sizeof(struct iphdr)) &&
		       ip_hdr(skb)->version == 4;
	if (skb->protocol == htons(ETH_P_IPV6))
		return pskb_network_may_pull(skb, sizeof(struct ipv6hdr)) &&
		       ipv6_hdr(skb)->version == 6;
	return false;
}

/* A p2p interface whose MTU the user never set follows its TX SA: the
 * underlay route's MTU less the SA's worst-case overhead. Under RTNL.
 */
void ipsecif_auto_mtu(struct ipsecif_dev *ipsecif, struct ipsecif_sa *sa)
{
	struct net *net = rtnl_dereference(ipsecif->underlay_net);
	const struct ipsecif_sa_path *path = rtnl_dereference(sa->path);
	struct net_device *dev = ipsecif->dev;
	struct ipsecif_crypto_ctx ctx = {};
	struct dst_entry *dst;
	int mtu;

	if (ipsecif->mtu_user || !net)
		return;
	ipsecif_outer_endpoints(ipsecif, sa, path, &ctx);
	dst = ipsecif_route_outer(net, &ctx, ipsecif->config.fwmark);
	if (!dst)
		return;
	mtu = dst_mtu(dst) - ipsecif_sa_overhead(sa, ctx.family, ctx.sport);
	if (sa->mode == IPSECIF_SA_MODE_TUNNEL)
		mtu -= ipsecif_config_overhead(&ipsecif->config);
	dst_release(dst);
	mtu = clamp_t(int, mtu, dev->min_mtu, dev->max_mtu);
	if (mtu == dev->mtu)
		return;
	ipsecif->mtu_auto = true;
	dev_set_mtu(dev, mtu);
	ipsecif->mtu_auto = false;
}

/* A GSO packet stays whole through the stack above us (one pass of TCP,
 * IP and netfilter for up to 64 KiB) and is cut here, in software, into
 * linear segments with their checksums done, each then sealed on its own.
 * The segments are private copies: encrypting them in place never touches
 * pages the sender still owns (sendfile, MSG_ZEROCOPY).
 */
static void ipsecif_xmit_gso(struct ipsecif_dev *ipsecif,
			     struct ipsecif_sa *sa, struct sk_buff *skb)
{
	struct sk_buff *segs, *seg, *next;
	struct dst_entry *hint = NULL;

	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		DEV_STATS_INC(ipsecif->dev, tx_dropped);
		kfree_skb(skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		ipsecif_output(ipsecif, sa, seg, &hint);
	}
	dst_release(hint);
}

/* Picks the protection of @skb and sends it with its TX SA. Consumes
 * @skb; under rcu_read_lock().
 */
static void ipsecif_xmit_one(struct ipsecif_dev *ipsecif, struct sk_buff *skb)
{
	struct ipsecif_protect *protect;
	struct ipsecif_sa *sa;

	if (!ipsecif_inner_ok(skb))
		goto drop;
	protect = ipsecif_protect_for_skb(ipsecif, skb);
	sa = protect ? protect->tx : NULL;
	if (!sa)
		goto drop;
	if (READ_ONCE(sa->tx_stopped)) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_SEQ_EXHAUSTED);
		goto drop;
	}
	if (skb_is_gso(skb)) {
		ipsecif_xmit_gso(ipsecif, sa, skb);
		return;
	}
	/* The payload is encrypted: its checksum must be complete first. */
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		goto drop;
	ipsecif_output(ipsecif, sa, skb, NULL);
	return;

drop:
	DEV_STATS_INC(ipsecif->dev, tx_dropped);
	kfree_skb(skb);
}

netdev_tx_t ipsecif_xmit(struct sk_buff *skb, struct net_device *dev)
{
	rcu_read_lock();
	ipsecif_xmit_one(netdev_priv(dev), skb);
	rcu_read_unlock();
	return NETDEV_TX_OK;
}
