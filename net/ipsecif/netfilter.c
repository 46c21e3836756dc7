// SPDX-License-Identifier: GPL-2.0
/*
 * Policy mode on the datapath: netfilter hooks apply the SPD attached to an
 * interface (spd.c) to the packets leaving and arriving on it, and ESP of
 * policy SAs is decrypted and delivered here (RFC 4301 section 5).
 *
 * The hooks are registered in a netns only while an interface there has an
 * SPD; other interfaces of that netns cost one hash lookup per packet.
 *
 * Outbound, at POST_ROUTING, as late as possible: the first matching
 * policy decides. Protect steals the packet (segmenting GSO packets first),
 * puts ESP around it with the shared code of output.c (transport mode: ESP
 * behind the IP header and the IPv6 headers that precede fragmentation;
 * tunnel mode: a new outer header, routed again) and sends the result
 * through LOCAL_OUT and POST_ROUTING; the POST_ROUTING pass is run with our
 * own okfn, by which the hook knows not to match it again.
 *
 * Inbound, at PRE_ROUTING, early: the hook reassembles what arrives in
 * fragments on an interface with an SPD (with the reassembly queues of
 * conntrack's zone 0, whose own defragmentation, when on, comes first and
 * leaves us no fragment), so that interfaces without an SPD are left
 * alone. Then ESP for an SA of one of the
 * SPD's inbound protect policies goes on to local delivery, where the ESP
 * handler of input.c hands it back to us; any other packet meets the
 * inbound policies. Decrypted packets must match an inbound protect policy
 * of their SA; then they run PRE_ROUTING again, with our okfn, and are
 * routed (tunnel mode) or delivered (transport mode), as Linux xfrm does.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/dsfield.h>
#include <net/dst_metadata.h>
#include <net/esp.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ipv6_frag.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/route.h>

#include "crypto.h"

static void ipsecif_ukey_v4(struct ipsecif_ukey *k, __be32 addr)
{
	k->hi = 0;
	k->lo = ntohl(addr);
}

static void ipsecif_ukey_v6(struct ipsecif_ukey *k, const struct in6_addr *a)
{
	k->hi = get_unaligned_be64(&a->s6_addr[0]);
	k->lo = get_unaligned_be64(&a->s6_addr[8]);
}

/* Ports (or ICMP type and code) of the upper-layer header at @l4off. */
static void ipsecif_key_ports(struct sk_buff *skb, unsigned int l4off,
			      struct ipsecif_flow_key *key)
{
	__be16 ports[2], *p;
	u8 icmp[2], *t;

	switch (key->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		p = skb_header_pointer(skb, l4off, sizeof(ports), ports);
		if (!p)
			break;
		if (key->dir == IPSECIF_POLICY_OUT) {
			key->lport = ntohs(p[0]);
			key->rport = ntohs(p[1]);
		} else {
			key->lport = ntohs(p[1]);
			key->rport = ntohs(p[0]);
		}
		return;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		t = skb_header_pointer(skb, l4off, sizeof(icmp), icmp);
		if (!t)
			break;
		key->lport = t[0];
		key->rport = t[1];
		return;
	default:
		return;
	}
	key->opaque = 1;
}

static void ipsecif_key_addrs(struct sk_buff *skb, struct ipsecif_flow_key *key)
{
	bool out = key->dir == IPSECIF_POLICY_OUT;

	if (key->family == AF_INET) {
		const struct iphdr *iph = ip_hdr(skb);

		ipsecif_ukey_v4(&key->local, out ? iph->saddr : iph->daddr);
		ipsecif_ukey_v4(&key->remote, out ? iph->daddr : iph->saddr);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ipsecif_ukey_v6(&key->local, out ? &ip6h->saddr : &ip6h->daddr);
		ipsecif_ukey_v6(&key->remote, out ? &ip6h->daddr : &ip6h->saddr);
	}
}

/* The selectors of the IP packet at the network header of @skb; returns
 * the offset of its upper-layer header (meaningless when key->opaque).
 */
static unsigned int ipsecif_flow_key_of(struct sk_buff *skb, u8 family, u8 dir,
					struct ipsecif_flow_key *key)
{
	unsigned int l4off;

	memset(key, 0, sizeof(*key));
	key->family = family;
	key->dir = dir;
	ipsecif_key_addrs(skb, key);
	if (family == AF_INET) {
		const struct iphdr *iph = ip_hdr(skb);

		key->proto = iph->protocol;
		l4off = skb_network_offset(skb) + iph->ihl * 4;
		if (iph->frag_off & htons(IP_OFFSET)) {
			key->opaque = 1;
			return l4off;
		}
	} else {
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;
		__be16 frag_off;
		int off;

		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
				       sizeof(struct ipv6hdr), &nexthdr,
				       &frag_off);
		key->proto = nexthdr;
		if (off < 0 || (frag_off & htons(~0x7))) {
			key->opaque = 1;
			return 0;
		}
		l4off = off;
	}
	ipsecif_key_ports(skb, l4off, key);
	return l4off;
}

static u8 ipsecif_pf_family(u8 pf)
{
	return pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
}

/* Outbound */

static int ipsecif_nf_post_done(struct net *net, struct sock *sk,
				struct sk_buff *skb)
{
	/* The POST_ROUTING hooks have seen it: ip(6)_output skips them. */
	if (skb->protocol == htons(ETH_P_IP))
		IPCB(skb)->flags |= IPSKB_REROUTED;
	else
		IP6CB(skb)->flags |= IP6SKB_REROUTED;
	return dst_output(net, sk, skb);
}

static int ipsecif_nf_local_done(struct net *net, struct sock *sk,
				 struct sk_buff *skb)
{
	u8 pf = skb->protocol == htons(ETH_P_IP) ? NFPROTO_IPV4 : NFPROTO_IPV6;

	return NF_HOOK(pf, NF_INET_POST_ROUTING, net, sk, skb, NULL,
		       skb_dst(skb)->dev, ipsecif_nf_post_done);
}

/* Sends an ESP packet made from an outbound packet, as a locally generated
 * one: through LOCAL_OUT and POST_ROUTING (where our hook lets it pass).
 */
static void ipsecif_nf_send(struct sk_buff *skb)
{
	struct net *net = dev_net(skb_dst(skb)->dev);
	u8 pf = skb->protocol == htons(ETH_P_IP) ? NFPROTO_IPV4 : NFPROTO_IPV6;

	NF_HOOK(pf, NF_INET_LOCAL_OUT, net, NULL, skb, NULL, skb_dst(skb)->dev,
		ipsecif_nf_local_done);
}

/* Tunnel mode: the outer header, from the SA's src to its dst. DF stays
 * clear: the outer packet may be fragmented.
 */
static void ipsecif_nf_push_outer(struct ipsecif_crypto_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;
	struct dst_entry *dst = ctx->dst;

	ctx->dst = NULL;
	skb_scrub_packet(skb, false);
	skb_dst_set(skb, dst);
	if (ctx->family == AF_INET) {
		struct iphdr *iph;

		skb_push(skb, sizeof(*iph));
		skb_reset_network_header(skb);
		iph = ip_hdr(skb);
		iph->version = 4;
		iph->ihl = sizeof(*iph) >> 2;
		iph->tos = ctx->tos;
		iph->tot_len = htons(skb->len);
		iph->frag_off = ctx->df;
		iph->ttl = ctx->ttl ?: ip4_dst_hoplimit(dst);
		iph->protocol = IPPROTO_ESP;
		iph->saddr = ctx->saddr.v4.s_addr;
		iph->daddr = ctx->daddr.v4.s_addr;
		ip_select_ident(dev_net(dst->dev), skb, NULL);
		ip_send_check(iph);
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		skb->protocol = htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6h;

		skb_push(skb, sizeof(*ip6h));
		skb_reset_network_header(skb);
		ip6h = ipv6_hdr(skb);
		ip6_flow_hdr(ip6h, ctx->tos, ctx->flowlabel);
		ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
		ip6h->nexthdr = IPPROTO_ESP;
		ip6h->hop_limit = ctx->ttl ?: ip6_dst_hoplimit(dst);
		ip6h->saddr = ctx->saddr.v6;
		ip6h->daddr = ctx->daddr.v6;
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		IP6CB(skb)->nhoff = offsetof(struct ipv6hdr, nexthdr);
		skb->protocol = htons(ETH_P_IPV6);
		skb->ignore_df = 1;
	}
}

/* Transport mode: the IP header now carries ESP. The packet may be
 * fragmented after encryption even with DF set.
 */
static void ipsecif_nf_fix_transport(struct ipsecif_crypto_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;

	if (ctx->family == AF_INET) {
		ip_hdr(skb)->tot_len = htons(skb->len);
		ip_send_check(ip_hdr(skb));
	} else {
		ipv6_hdr(skb)->payload_len =
			htons(skb->len - sizeof(struct ipv6hdr));
	}
	nf_reset_ct(skb);
	skb->ignore_df = 1;
}

static void ipsecif_nf_out_done(struct ipsecif_crypto_ctx *ctx, int err)
{
	struct ipsecif_sa *sa = ctx->sa;

	if (err) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_CRYPTO);
		kfree_skb(ctx->skb);
	} else {
		ipsecif_sa_count(sa, ctx->inner_len);
		if (sa->mode == IPSECIF_SA_MODE_TUNNEL)
			ipsecif_nf_push_outer(ctx);
		else
			ipsecif_nf_fix_transport(ctx);
		rcu_read_lock();
		ipsecif_nf_send(ctx->skb);
		rcu_read_unlock();
	}
	dst_release(ctx->dst);
	ipsecif_ctx_free(ctx);
	ipsecif_sa_put(sa);
}

/* Transport mode: where ESP goes, and the next header it takes over. */
static int ipsecif_nf_transport_hdr(struct sk_buff *skb, u8 family,
				    unsigned int *hdr_len, u8 *nexthdr)
{
	u8 *prev;
	int off;

	if (family == AF_INET) {
		off = ip_hdrlen(skb);
		if (skb_ensure_writable(skb, off))
			return -ENOMEM;
		prev = &ip_hdr(skb)->protocol;
	} else {
		off = ip6_find_1stfragopt(skb, &prev);
		if (off < 0)
			return off;
		if (skb_ensure_writable(skb, off))
			return -ENOMEM;
		/* Writable may have meant copied: find it again. */
		off = ip6_find_1stfragopt(skb, &prev);
		if (off < 0)
			return off;
	}
	*hdr_len = off;
	*nexthdr = *prev;
	*prev = IPPROTO_ESP;
	return 0;
}

/* Encrypts one outbound packet with @sa and sends it. Consumes @skb. */
static void ipsecif_nf_protect_one(struct sk_buff *skb, struct ipsecif_spd *spd,
				   struct ipsecif_sa *sa, u8 family)
{
	unsigned int hdr_len = 0, headroom;
	struct ipsecif_crypto_ctx *ctx;
	u8 nexthdr;

	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		goto error;
	if (READ_ONCE(sa->tx_stopped)) {
		ipsecif_sa_drop(sa, IPSECIF_DROP_SEQ_EXHAUSTED);
		goto drop;
	}
	ctx = ipsecif_esp_ctx_new(sa, skb->len);
	if (!ctx)
		goto drop;
	ctx->inner_len = skb->len;
	if (sa->mode == IPSECIF_SA_MODE_TUNNEL) {
		const struct ipsecif_sa_path *path = rcu_dereference(sa->path);

		ipsecif_inner_fields(skb, ctx, path);
		/* The outer packet may be fragmented unless "df set". */
		if (!(path->flags & IPSECIF_SA_F_DF_SET))
			ctx->df = 0;
		ctx->family = path->family;
		ctx->saddr = path->src;
		ctx->daddr = path->dst;
		ctx->dst = ipsecif_route_outer(dev_net(skb_dst(skb)->dev), ctx,
					       skb->mark);
		if (!ctx->dst)
			goto error_ctx;
		nexthdr = family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
		headroom = LL_RESERVED_SPACE(ctx->dst->dev) +
			   (ctx->family == AF_INET ? sizeof(struct iphdr) :
						     sizeof(struct ipv6hdr));
	} else {
		ctx->family = family;
		if (ipsecif_nf_transport_hdr(skb, family, &hdr_len, &nexthdr))
			goto error_ctx;
		headroom = LL_RESERVED_SPACE(skb_dst(skb)->dev);
	}
	if (!ipsecif_esp_seal(ctx, skb, hdr_len, nexthdr, headroom,
			      ipsecif_nf_out_done))
		return;

error_ctx:
	dst_release(ctx->dst);
	ipsecif_ctx_free(ctx);
error:
	ipsecif_spd_drop(spd, IPSECIF_SPD_OUT_ERROR);
drop:
	kfree_skb(skb);
}

static void ipsecif_nf_protect(struct sk_buff *skb, struct ipsecif_spd *spd,
			       struct ipsecif_policy *policy, u8 family)
{
	struct sk_buff *segs, *seg, *next;

	if (!skb_is_gso(skb)) {
		ipsecif_counters_add(policy->stats, skb->len);
		ipsecif_nf_protect_one(skb, spd, policy->sa, family);
		return;
	}
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		ipsecif_spd_drop(spd, IPSECIF_SPD_OUT_ERROR);
		kfree_skb(skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		ipsecif_counters_add(policy->stats, seg->len);
		ipsecif_nf_protect_one(seg, spd, policy->sa, family);
	}
}

static unsigned int ipsecif_nf_out(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	u8 family = ipsecif_pf_family(state->pf);
	struct ipsecif_policy *policy;
	struct ipsecif_flow_key key;
	struct ipsecif_spd *spd;

	unsigned int verdict;

	if (state->okfn == ipsecif_nf_post_done)
		return NF_ACCEPT;
	spd = ipsecif_spd_of_dev_rcu(state->out);
	if (likely(!spd))
		return NF_ACCEPT;

	/* Locally generated packets come in process context: the per-CPU
	 * counters and the crypto completion want softirq context, as from
	 * the forwarding path.
	 */
	local_bh_disable();
	ipsecif_flow_key_of(skb, family, IPSECIF_POLICY_OUT, &key);
	policy = ipsecif_spd_lookup(spd, &key);
	if (!policy) {
		ipsecif_spd_drop(spd, IPSECIF_SPD_OUT_NO_MATCH);
		verdict = NF_DROP;
	} else if (policy->action == IPSECIF_POLICY_PROTECT) {
		ipsecif_nf_protect(skb, spd, policy, family);
		verdict = NF_STOLEN;
	} else {
		ipsecif_counters_add(policy->stats, skb->len);
		verdict = policy->action == IPSECIF_POLICY_BYPASS ? NF_ACCEPT :
								   NF_DROP;
	}
	local_bh_enable();
	return verdict;
}

/* Inbound */

static int ipsecif_nf_rcv_done(struct net *net, struct sock *sk,
			       struct sk_buff *skb)
{
	if (!skb_valid_dst(skb)) {
		if (skb->protocol == htons(ETH_P_IP)) {
			const struct iphdr *iph = ip_hdr(skb);

			if (ip_route_input_noref(skb, iph->daddr, iph->saddr,
						 iph->tos, skb->dev)) {
				kfree_skb(skb);
				return NET_RX_DROP;
			}
		} else {
			const struct ipv6hdr *ip6h = ipv6_hdr(skb);
			struct flowi6 fl6 = {
				.flowi6_iif = skb->dev->ifindex,
				.daddr = ip6h->daddr,
				.saddr = ip6h->saddr,
				.flowlabel = ip6_flowinfo(ip6h),
				.flowi6_mark = skb->mark,
				.flowi6_proto = ip6h->nexthdr,
			};

			skb_dst_set(skb, ip6_route_input_lookup(net, skb->dev,
								&fl6, skb,
								RT6_LOOKUP_F_HAS_SADDR));
		}
	}
	return dst_input(skb);
}

/* Transport mode: takes ESP out from behind the IP header (and IPv6
 * extension headers); leaves the data at the IP header.
 */
static int ipsecif_nf_strip_transport(struct sk_buff *skb,
				      struct ipsecif_sa *sa, int next_hdr,
				      unsigned int pad_len)
{
	unsigned int esp_len = sizeof(struct ip_esp_hdr) + sa->iv_len;
	unsigned int hdr_len = skb->data - skb_network_header(skb);

	if (next_hdr == NEXTHDR_NONE)
		return -IPSECIF_DROP_NEXTHDR;
	if (pskb_trim(skb, skb->len - sa->icv_len - 2 - pad_len))
		return -IPSECIF_DROP_RUNT;
	__skb_push(skb, hdr_len);
	memmove(skb->data + esp_len, skb->data, hdr_len);
	__skb_pull(skb, esp_len);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, hdr_len);
	if (skb->protocol == htons(ETH_P_IP)) {
		struct iphdr *iph = ip_hdr(skb);

		iph->protocol = next_hdr;
		iph->tot_len = htons(skb->len);
		ip_send_check(iph);
	} else {
		skb_network_header(skb)[IP6CB(skb)->nhoff] = next_hdr;
		ipv6_hdr(skb)->payload_len =
			htons(skb->len - sizeof(struct ipv6hdr));
	}
	return 0;
}

/* Tunnel mode: the inner packet, as ip_rcv/ipv6_rcv would check it. */
static int ipsecif_nf_inner_ok(struct sk_buff *skb, u8 outer_tos)
{
	u8 inner_tos;

	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph = ip_hdr(skb);

		if (!pskb_may_pull(skb, iph->ihl * 4))
			return -IPSECIF_DROP_NEXTHDR;
		iph = ip_hdr(skb);
		if (ip_fast_csum(iph, iph->ihl) ||
		    ntohs(iph->tot_len) < iph->ihl * 4)
			return -IPSECIF_DROP_NEXTHDR;
		inner_tos = ipv4_get_dsfield(iph);
		skb_set_transport_header(skb, iph->ihl * 4);
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		IPCB(skb)->iif = skb->skb_iif;
	} else {
		/* Hop-by-hop options are parsed by ipv6_rcv() only. */
		if (ipv6_hdr(skb)->nexthdr == NEXTHDR_HOP)
			return -IPSECIF_DROP_NEXTHDR;
		inner_tos = ipv6_get_dsfield(ipv6_hdr(skb));
		skb_set_transport_header(skb, sizeof(struct ipv6hdr));
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		IP6CB(skb)->iif = skb->dev->ifindex;
		IP6CB(skb)->nhoff = offsetof(struct ipv6hdr, nexthdr);
	}
	/* RFC 6040, as for interfaces. */
	if (INET_ECN_decapsulate(skb, outer_tos, inner_tos) > 1)
		return -IPSECIF_DROP_NEXTHDR;
	return 0;
}

static void ipsecif_nf_in_done(struct ipsecif_crypto_ctx *ctx, int err)
{
	struct ipsecif_sa *sa = ctx->sa;
	struct sk_buff *skb = ctx->skb;
	struct ipsecif_policy *policy;
	struct ipsecif_flow_key key;
	struct ipsecif_spd *spd;
	unsigned int pad_len;
	int next_hdr;
	u8 pf;

	rcu_read_lock();
	next_hdr = ipsecif_input_verify(ctx, err, &pad_len);
	if (next_hdr < 0)
		goto out;
	spd = ipsecif_spd_of_dev_rcu(skb->dev);
	if (!spd) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_NO_PROTECT);
		goto out;
	}
	if (sa->mode == IPSECIF_SA_MODE_TUNNEL) {
		err = ipsecif_strip_tunnel(skb, sa, next_hdr, pad_len) ?:
		      ipsecif_nf_inner_ok(skb, ctx->outer_tos);
		if (!err) {
			skb_dst_drop(skb);
			nf_reset_ct(skb);
			skb->pkt_type = PACKET_HOST;
		}
	} else {
		err = ipsecif_nf_strip_transport(skb, sa, next_hdr, pad_len);
	}
	if (err) {
		ipsecif_rx_drop(sa, skb, -err);
		goto out;
	}
	skb->ip_summed = CHECKSUM_NONE;
	pf = skb->protocol == htons(ETH_P_IP) ? NFPROTO_IPV4 : NFPROTO_IPV6;

	ipsecif_flow_key_of(skb, ipsecif_pf_family(pf), IPSECIF_POLICY_IN, &key);
	policy = ipsecif_sa_in_policy(sa, spd, &key);
	if (!policy) {
		ipsecif_spd_drop(spd, IPSECIF_SPD_IN_SELECTOR);
		kfree_skb(skb);
		goto out;
	}
	ipsecif_counters_add(policy->stats, skb->len);
	ipsecif_sa_count(sa, skb->len);
	NF_HOOK(pf, NF_INET_PRE_ROUTING, dev_net(skb->dev), NULL, skb, skb->dev,
		NULL, ipsecif_nf_rcv_done);
out:
	rcu_read_unlock();
	ipsecif_ctx_free(ctx);
	ipsecif_sa_put(sa);
}

/* ESP for @sa, an SA of inbound protect policies, at local delivery (from
 * input.c); under RCU. Consumes @skb.
 */
void ipsecif_spd_esp_input(struct sk_buff *skb, struct ipsecif_sa *sa,
			   sa_family_t family)
{
	struct ipsecif_spd *spd = ipsecif_spd_of_dev_rcu(skb->dev);

	if (!spd || !ipsecif_sa_in_policy(sa, spd, NULL)) {
		ipsecif_rx_drop(sa, skb, IPSECIF_DROP_NO_PROTECT);
		return;
	}
	/* Transport mode delivers on the route the packet came with. */
	skb_dst_force(skb);
	ipsecif_input_decrypt(skb, sa, ipsecif_nf_in_done);
}

/* Reassembles @skb if it is a fragment: 0 when it is whole (or was made
 * so), -EINPROGRESS when the queue took it, another error to drop it.
 */
static int ipsecif_nf_defrag(struct net *net, struct sk_buff *skb, u8 family)
{
	int ret;

	if (family == AF_INET) {
		if (!ip_is_fragment(ip_hdr(skb)))
			return 0;
		ret = ip_defrag(net, skb, IP_DEFRAG_CONNTRACK_IN);
		if (!ret)
			skb->ignore_df = 1;
		return ret;
	}
	if (ipv6_hdr(skb)->nexthdr == NEXTHDR_TCP ||
	    ipv6_hdr(skb)->nexthdr == NEXTHDR_UDP ||
	    ipv6_hdr(skb)->nexthdr == NEXTHDR_ESP)
		return 0;
	return nf_ct_frag6_gather(net, skb, IP6_DEFRAG_CONNTRACK_IN);
}

static unsigned int ipsecif_nf_in(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	u8 family = ipsecif_pf_family(state->pf);
	struct ipsecif_policy *policy;
	struct ipsecif_flow_key key;
	struct ipsecif_spd *spd;
	unsigned int l4off;
	int ret;

	if (state->okfn == ipsecif_nf_rcv_done)
		return NF_ACCEPT;
	spd = ipsecif_spd_of_dev_rcu(state->in);
	if (likely(!spd))
		return NF_ACCEPT;

	ret = ipsecif_nf_defrag(state->net, skb, family);
	if (ret == -EINPROGRESS)
		return NF_STOLEN;
	if (ret)
		return NF_DROP;

	l4off = ipsecif_flow_key_of(skb, family, IPSECIF_POLICY_IN, &key);
	if (key.proto == IPPROTO_ESP && !key.opaque) {
		__be32 _spi, *spi;
		struct ipsecif_sa *sa;

		spi = skb_header_pointer(skb, l4off, sizeof(_spi), &_spi);
		sa = spi ? ipsecif_sa_by_spi_rcu(state->net, *spi) : NULL;
		if (sa && ipsecif_sa_in_policy(sa, spd, NULL))
			return NF_ACCEPT;
	}
	policy = ipsecif_spd_lookup(spd, &key);
	if (!policy) {
		ipsecif_spd_drop(spd, IPSECIF_SPD_IN_NO_MATCH);
		return NF_DROP;
	}
	ipsecif_counters_add(policy->stats, skb->len);
	switch (policy->action) {
	case IPSECIF_POLICY_BYPASS:
		return NF_ACCEPT;
	case IPSECIF_POLICY_PROTECT:
		/* Plaintext where protection is required. */
		ipsecif_spd_drop(spd, IPSECIF_SPD_IN_PLAINTEXT);
		return NF_DROP;
	default:
		return NF_DROP;
	}
}

static const struct nf_hook_ops ipsecif_nf_ops[] = {
	{
		.hook		= ipsecif_nf_in,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_CONNTRACK_DEFRAG + 1,
	}, {
		.hook		= ipsecif_nf_in,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_CONNTRACK_DEFRAG + 1,
	}, {
		.hook		= ipsecif_nf_out,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP_PRI_LAST,
	}, {
		.hook		= ipsecif_nf_out,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP6_PRI_LAST,
	},
};

/* The hooks, while an interface of @net has an SPD. Under RTNL. */
int ipsecif_nf_register(struct net *net)
{
	return nf_register_net_hooks(net, ipsecif_nf_ops,
				     ARRAY_SIZE(ipsecif_nf_ops));
}

void ipsecif_nf_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, ipsecif_nf_ops, ARRAY_SIZE(ipsecif_nf_ops));
}
