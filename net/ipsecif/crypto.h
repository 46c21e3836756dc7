/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-packet crypto context shared by output.c and input.c: one
 * allocation holding what the completion needs, the IV, the additional
 * authenticated data, the AEAD request and its scatterlist. Allocated and
 * freed through a per-CPU cache (crypto.c).
 */

#ifndef _NET_IPSECIF_CRYPTO_H
#define _NET_IPSECIF_CRYPTO_H

#include <crypto/aead.h>
#include <linux/padata.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>

#include "ipsecif.h"

struct ipsecif_crypto_ctx {
	struct padata_priv padata;	/* parallel SAs (crypto.c) */
	bool encrypt;
	bool cached;			/* from the per-CPU cache's size */
	struct sk_buff *skb;
	struct ipsecif_sa *sa;		/* holds a reference */
	ipsecif_crypto_done_t done;	/* called when the AEAD is done */
	u64 seq;
	/* policy mode: bytes of IP header (and IPv6 extension headers) kept
	 * in front of ESP in transport mode; 0 in tunnel mode
	 */
	unsigned int hdr_len;
	/* transmit only */
	struct net_device *dev;		/* holds a reference */
	struct dst_entry *dst;		/* outer route, holds a reference */
	union ipsecif_addr saddr, daddr;
	sa_family_t family;		/* of the outer header */
	u8 tos;
	u8 ttl;				/* 0: the route's */
	__be16 df;
	__be32 flowlabel;
	__be16 sport, dport;		/* UDP encapsulation when sport != 0 */
	bool xnet;
	unsigned int inner_len;
	/* receive only */
	u8 outer_tos;
	__be32 aad[3];			/* SPI, [ESN high], sequence number */
};

/* Layout after the context: IV (aligned for the transform), the request
 * (aligned for its context), the scatterlist.
 */
static inline size_t ipsecif_ctx_iv_offset(struct crypto_aead *aead)
{
	return ALIGN(sizeof(struct ipsecif_crypto_ctx),
		     crypto_aead_alignmask(aead) + 1);
}

static inline size_t ipsecif_ctx_req_offset(struct crypto_aead *aead)
{
	return ALIGN(ipsecif_ctx_iv_offset(aead) + crypto_aead_ivsize(aead),
		     crypto_tfm_ctx_alignment());
}

static inline size_t ipsecif_ctx_sg_offset(struct crypto_aead *aead)
{
	return ALIGN(ipsecif_ctx_req_offset(aead) + sizeof(struct aead_request) +
		     crypto_aead_reqsize(aead), __alignof__(struct scatterlist));
}

static inline u8 *ipsecif_ctx_iv(struct ipsecif_crypto_ctx *ctx,
				 struct crypto_aead *aead)
{
	return (u8 *)ctx + ipsecif_ctx_iv_offset(aead);
}

static inline struct aead_request *
ipsecif_ctx_req(struct ipsecif_crypto_ctx *ctx, struct crypto_aead *aead)
{
	return (void *)((u8 *)ctx + ipsecif_ctx_req_offset(aead));
}

static inline struct scatterlist *
ipsecif_ctx_sg(struct ipsecif_crypto_ctx *ctx, struct crypto_aead *aead)
{
	return (void *)((u8 *)ctx + ipsecif_ctx_sg_offset(aead));
}

/* The AAD of ESP (RFC 4303 2.2.1, RFC 4106 5): SPI, the high half of the
 * sequence number with ESN, its low half. Returns its length.
 */
static inline unsigned int ipsecif_ctx_set_aad(struct ipsecif_crypto_ctx *ctx,
					       const struct ipsecif_sa *sa,
					       u64 seq)
{
	ctx->aad[0] = sa->spi;
	if (sa->flags & IPSECIF_SA_F_ESN) {
		ctx->aad[1] = htonl(upper_32_bits(seq));
		ctx->aad[2] = htonl(lower_32_bits(seq));
		return 12;
	}
	ctx->aad[1] = htonl(lower_32_bits(seq));
	return 8;
}

struct ipsecif_crypto_ctx *ipsecif_ctx_alloc(struct crypto_aead *aead,
					     int nsg);
void ipsecif_ctx_free(struct ipsecif_crypto_ctx *ctx);

#endif /* _NET_IPSECIF_CRYPTO_H */
