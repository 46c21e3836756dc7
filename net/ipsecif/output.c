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

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/esp.h>
#include <net/inet_ecn.h>
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
				    struct ipsecif_crypto_ctx *ctx)
{
	if (sa->mode == IPSECIF_SA_MODE_TRANSPORT) {
		ctx->family = ipsecif->config.family;
		ctx->saddr = ipsecif->config.local;
		ctx->daddr = ipsecif->config.remote;
	} else {
		ctx->family = sa->family;
		ctx->saddr = sa->src;
		ctx->daddr = sa->dst;
	}
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
 * interface itself.
 */
static int ipsecif_route(struct ipsecif_dev *ipsecif,
			 struct ipsecif_crypto_ctx *ctx)
{
	struct net *net = rcu_dereference(ipsecif->underlay_net);
	struct dst_entry *dst;

	if (!net)
		return -ENETUNREACH;
	ctx->xnet = !net_eq(net, dev_net(ipsecif->dev));
	dst = ipsecif_route_outer(net, ctx, ipsecif->config.fwmark);
	if (!dst)
		return -EHOSTUNREACH;
	if (dst->dev == ipsecif->dev) {
		dst_release(dst);
		return -ELOOP;
	}
	ctx->dst = dst;
	return 0;
}

static void ipsecif_send6(struct ipsecif_crypto_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;
	struct net_device *dev = ctx->dev;
	struct ipv6hdr *ip6h;
	int len, err;

	skb_scrub_packet(skb, ctx->xnet);
	skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, ctx->tos, 0);
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = IPPROTO_ESP;
	ip6h->hop_limit = ip6_dst_hoplimit(ctx->dst);
	ip6h->saddr = ctx->saddr.v6;
	ip6h->daddr = ctx->daddr.v6;
	skb->protocol = htons(ETH_P_IPV6);
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	skb_dst_set(skb, ctx->dst);
	ctx->dst = NULL;

	len = skb->len;
	err = ip6_local_out(dev_net(skb_dst(skb)->dev), NULL, skb);
	iptunnel_xmit_stats(dev, net_xmit_eval(err) ? -1 : len);
}

static void ipsecif_send4(struct ipsecif_crypto_ctx *ctx)
{
	struct rtable *rt = (struct rtable *)ctx->dst;

	ctx->dst = NULL;
	iptunnel_xmit(NULL, rt, ctx->skb, ctx->saddr.v4.s_addr,
		      ctx->daddr.v4.s_addr, IPPROTO_ESP, ctx->tos,
		      ip4_dst_hoplimit(&rt->dst), ctx->df, ctx->xnet);
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
	ipsecif_sa_put(sa);
	kfree(ctx);
}

static void ipsecif_esp_done(struct crypto_async_request *base, int err)
{
	struct ipsecif_crypto_ctx *ctx = base->data;

	ctx->done(ctx, err);
}

/* Inner DSCP/ECN for the outer header (ECN per RFC 6040 normal mode) and
 * the inner DF bit.
 */
void ipsecif_inner_fields(struct sk_buff *skb, struct ipsecif_crypto_ctx *ctx)
{
	u8 inner;

	if (skb->protocol == htons(ETH_P_IP)) {
		inner = ipv4_get_dsfield(ip_hdr(skb));
		ctx->df = ip_hdr(skb)->frag_off & htons(IP_DF);
	} else {
		inner = ipv6_get_dsfield(ipv6_hdr(skb));
		ctx->df = htons(IP_DF);
	}
	ctx->tos = INET_ECN_encapsulate(inner & ~INET_ECN_MASK, inner);
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
	aead_request_set_callback(req, 0, ipsecif_esp_done, ctx);
	aead_request_set_crypt(req, sg, sg, sa->iv_len + clen, iv);
	aead_request_set_ad(req, aad_len);
	return crypto_aead_encrypt(req);
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

/* A crypto context for one packet of @sa, with its sequence number taken;
 * NULL (counted) when the SA is exhausted or memory is short.
 */
struct ipsecif_crypto_ctx *ipsecif_esp_ctx_new(struct ipsecif_sa *sa)
{
	struct ipsecif_crypto_ctx *ctx;
	u64 seq;

	if (ipsecif_next_seq(sa, &seq)) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_SEQ_EXHAUSTED);
		return NULL;
	}
	ctx = ipsecif_ctx_alloc(sa->aead, MAX_SKB_FRAGS + 2);
	if (!ctx) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_CRYPTO);
		return NULL;
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->sa = sa;
	ctx->seq = seq;
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

/* Encapsulates and sends one (non-GSO) inner packet. Consumes @skb. */
static void ipsecif_output(struct ipsecif_dev *ipsecif, struct ipsecif_sa *sa,
			   struct sk_buff *skb)
{
	struct net_device *dev = ipsecif->dev;
	struct ipsecif_crypto_ctx *ctx;
	unsigned int headroom;
	u8 nexthdr;

	ctx = ipsecif_esp_ctx_new(sa);
	if (!ctx)
		goto drop;
	ctx->inner_len = skb->len;
	ipsecif_inner_fields(skb, ctx);
	ipsecif_outer_endpoints(ipsecif, sa, ctx);
	if (ipsecif_route(ipsecif, ctx)) {
		DEV_STATS_INC(dev, tx_carrier_errors);
		goto drop;
	}

	headroom = LL_RESERVED_SPACE(ctx->dst->dev) + sizeof(struct ipv6hdr);
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
	kfree(ctx);
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
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

netdev_tx_t ipsecif_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ipsecif_dev *ipsecif = netdev_priv(dev);
	struct ipsecif_protect *protect;
	struct ipsecif_sa *sa;

	rcu_read_lock();
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
	/* The device has no GSO features: the core segments for us. */
	ipsecif_output(ipsecif, sa, skb);
	rcu_read_unlock();
	return NETDEV_TX_OK;

drop:
	rcu_read_unlock();
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}
