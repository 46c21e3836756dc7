// SPDX-License-Identifier: GPL-2.0
/*
 * Security associations: their creation from netlink attributes (algorithms
 * named as "ip xfrm state" names them), the per-netns tables that find them
 * by id and by SPI, their counters, and their lifetime (refcount + RCU; keys
 * are wiped when the last user is gone).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/aead.h>
#include <crypto/authenc.h>
#include <linux/rtnetlink.h>
#include <net/esp.h>
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "ipsecif.h"
#include "netlink.h"

enum ipsecif_alg_kind {
	ALG_AEAD,
	ALG_ENC,
	ALG_AUTH,
};

/* What ipsecif accepts; key lengths in bytes (AEAD: key + 4-byte salt). */
struct ipsecif_alg_desc {
	const char *name;
	enum ipsecif_alg_kind kind;
	const char *geniv;		/* IV generator template, if any */
	u8 key_lens[3];			/* accepted lengths; 0 ends the list */
	bool any_key_len;		/* HMAC keys may have any length */
	u16 icv_bits[3];		/* AEAD: accepted ICV lengths */
	u16 full_bits;			/* AUTH: untruncated length */
	u16 default_bits;		/* AUTH: Linux xfrm's default truncation */
};

static const struct ipsecif_alg_desc ipsecif_algs[] = {
	{ .name = "rfc4106(gcm(aes))", .kind = ALG_AEAD, .geniv = "seqiv",
	  .key_lens = { 20, 28, 36 }, .icv_bits = { 64, 96, 128 } },
	{ .name = "rfc7539esp(chacha20,poly1305)", .kind = ALG_AEAD,
	  .geniv = "seqiv", .key_lens = { 36 }, .icv_bits = { 128 } },
	{ .name = "cbc(aes)", .kind = ALG_ENC, .geniv = "echainiv",
	  .key_lens = { 16, 24, 32 } },
	{ .name = "ecb(cipher_null)", .kind = ALG_ENC },
	/* No integrity, as Linux xfrm names it: only with a real cipher. */
	{ .name = "digest_null", .kind = ALG_AUTH },
	{ .name = "hmac(sha1)", .kind = ALG_AUTH, .any_key_len = true,
	  .full_bits = 160, .default_bits = 96 },
	{ .name = "hmac(sha256)", .kind = ALG_AUTH, .any_key_len = true,
	  .full_bits = 256, .default_bits = 96 },
	{ .name = "hmac(sha384)", .kind = ALG_AUTH, .any_key_len = true,
	  .full_bits = 384, .default_bits = 192 },
	{ .name = "hmac(sha512)", .kind = ALG_AUTH, .any_key_len = true,
	  .full_bits = 512, .default_bits = 256 },
};

static bool null_esp;
module_param(null_esp, bool, 0644);
MODULE_PARM_DESC(null_esp,
		 "Allow SAs with neither encryption nor integrity (ecb(cipher_null) with no or digest_null auth), which RFC 4303 forbids: for measuring the datapath only");

/* Anti-replay is on unless asked otherwise (VPP's default size). */
#define IPSECIF_DEFAULT_REPLAY_WINDOW 64

static atomic_t ipsecif_sa_live = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(ipsecif_sa_freed);

static const struct ipsecif_alg_desc *
ipsecif_alg_find(const char *name, enum ipsecif_alg_kind kind)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ipsecif_algs); i++)
		if (ipsecif_algs[i].kind == kind &&
		    !strcmp(ipsecif_algs[i].name, name))
			return &ipsecif_algs[i];
	return NULL;
}

static bool ipsecif_alg_key_ok(const struct ipsecif_alg_desc *desc, u32 len)
{
	int i;

	if (desc->any_key_len)
		return len <= 128;
	for (i = 0; i < ARRAY_SIZE(desc->key_lens); i++)
		if (desc->key_lens[i] == len && (len || i == 0))
			return true;
	return false;
}

static bool ipsecif_aead_icv_ok(const struct ipsecif_alg_desc *desc, u32 bits)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(desc->icv_bits); i++)
		if (desc->icv_bits[i] && desc->icv_bits[i] == bits)
			return true;
	return false;
}

static bool ipsecif_auth_icv_ok(const struct ipsecif_alg_desc *desc, u32 bits)
{
	if (!desc->full_bits)		/* digest_null: no ICV at all */
		return !bits;
	return bits >= 64 && bits <= desc->full_bits && !(bits % 8);
}

/* Parses and checks one algorithm nest into a newly allocated ipsecif_alg. */
static struct ipsecif_alg *ipsecif_alg_parse(struct nlattr *nest,
					     enum ipsecif_alg_kind kind,
					     const struct ipsecif_alg_desc **descp,
					     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[IPSECIF_ALG_A_MAX + 1];
	const struct ipsecif_alg_desc *desc;
	struct ipsecif_alg *alg;
	u32 key_len, icv_bits;
	int ret;

	ret = nla_parse_nested(tb, IPSECIF_ALG_A_MAX, nest, ipsecif_alg_policy,
			       extack);
	if (ret)
		return ERR_PTR(ret);
	if (!tb[IPSECIF_ALG_A_NAME] || !tb[IPSECIF_ALG_A_KEY]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "ipsecif: an algorithm needs a name and a key");
		return ERR_PTR(-EINVAL);
	}

	desc = ipsecif_alg_find(nla_data(tb[IPSECIF_ALG_A_NAME]), kind);
	if (!desc) {
		if (kind == ALG_AEAD)
			NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_ALG_A_NAME],
					    "ipsecif: unknown AEAD algorithm");
		else if (kind == ALG_ENC)
			NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_ALG_A_NAME],
					    "ipsecif: unknown encryption algorithm");
		else
			NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_ALG_A_NAME],
					    "ipsecif: unknown authentication algorithm");
		return ERR_PTR(-ENOENT);
	}
	key_len = nla_len(tb[IPSECIF_ALG_A_KEY]);
	if (!ipsecif_alg_key_ok(desc, key_len)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_ALG_A_KEY],
				    "ipsecif: wrong key length for this algorithm");
		return ERR_PTR(-EINVAL);
	}

	if (kind == ALG_ENC && tb[IPSECIF_ALG_A_ICV_LEN]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_ALG_A_ICV_LEN],
				    "ipsecif: a cipher has no ICV length");
		return ERR_PTR(-EINVAL);
	}
	icv_bits = tb[IPSECIF_ALG_A_ICV_LEN] ?
		   nla_get_u32(tb[IPSECIF_ALG_A_ICV_LEN]) : 0;
	if (kind == ALG_AEAD && !ipsecif_aead_icv_ok(desc, icv_bits)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_ALG_A_ICV_LEN] ?: nest,
				    "ipsecif: wrong ICV length for this algorithm");
		return ERR_PTR(-EINVAL);
	}
	if (kind == ALG_AUTH) {
		if (!tb[IPSECIF_ALG_A_ICV_LEN])
			icv_bits = desc->default_bits;
		if (!ipsecif_auth_icv_ok(desc, icv_bits)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_ALG_A_ICV_LEN],
					    "ipsecif: wrong truncation length for this algorithm");
			return ERR_PTR(-EINVAL);
		}
	}

	alg = kzalloc(struct_size(alg, key, key_len), GFP_KERNEL);
	if (!alg)
		return ERR_PTR(-ENOMEM);
	strscpy(alg->name, desc->name, sizeof(alg->name));
	alg->icv_bits = icv_bits;
	alg->key_len = key_len;
	nla_memcpy(alg->key, tb[IPSECIF_ALG_A_KEY], key_len);
	*descp = desc;
	return alg;
}

static int ipsecif_sa_init_aead(struct ipsecif_sa *sa,
				const struct ipsecif_alg_desc *desc)
{
	char name[CRYPTO_MAX_ALG_NAME];
	struct crypto_aead *aead;
	int ret;

	snprintf(name, sizeof(name), "%s(%s)", desc->geniv, desc->name);
	aead = crypto_alloc_aead(name, 0, 0);
	if (IS_ERR(aead))
		return PTR_ERR(aead);
	sa->aead = aead;

	ret = crypto_aead_setkey(aead, sa->aead_alg->key, sa->aead_alg->key_len);
	if (ret)
		return ret;
	return crypto_aead_setauthsize(aead, sa->aead_alg->icv_bits / 8);
}

/* The authenc key: a parameter block naming the cipher key's length, then
 * the authentication key, then the cipher key.
 */
static int ipsecif_sa_authenc_setkey(struct ipsecif_sa *sa)
{
	u32 auth_len = sa->auth_alg ? sa->auth_alg->key_len : 0;
	struct crypto_authenc_key_param *param;
	unsigned int key_len;
	struct rtattr *rta;
	u8 *key, *p;
	int ret;

	key_len = RTA_SPACE(sizeof(*param)) + auth_len + sa->enc_alg->key_len;
	key = kmalloc(key_len, GFP_KERNEL);
	if (!key)
		return -ENOMEM;

	rta = (struct rtattr *)key;
	rta->rta_type = CRYPTO_AUTHENC_KEYA_PARAM;
	rta->rta_len = RTA_LENGTH(sizeof(*param));
	param = RTA_DATA(rta);
	param->enckeylen = cpu_to_be32(sa->enc_alg->key_len);
	p = key + RTA_SPACE(sizeof(*param));
	if (auth_len)
		memcpy(p, sa->auth_alg->key, auth_len);
	memcpy(p + auth_len, sa->enc_alg->key, sa->enc_alg->key_len);

	ret = crypto_aead_setkey(sa->aead, key, key_len);
	kfree_sensitive(key);
	return ret;
}

static int ipsecif_sa_init_authenc(struct ipsecif_sa *sa,
				   const struct ipsecif_alg_desc *enc)
{
	const char *tmpl = sa->flags & IPSECIF_SA_F_ESN ? "authencesn" :
							   "authenc";
	const char *auth = sa->auth_alg ? sa->auth_alg->name : "digest_null";
	char name[CRYPTO_MAX_ALG_NAME];
	struct crypto_aead *aead;
	int ret;

	if (enc->geniv)
		ret = snprintf(name, sizeof(name), "%s(%s(%s,%s))", enc->geniv,
			       tmpl, auth, enc->name);
	else
		ret = snprintf(name, sizeof(name), "%s(%s,%s)", tmpl, auth,
			       enc->name);
	if (ret >= sizeof(name))
		return -ENAMETOOLONG;
	aead = crypto_alloc_aead(name, 0, 0);
	if (IS_ERR(aead))
		return PTR_ERR(aead);
	sa->aead = aead;

	ret = ipsecif_sa_authenc_setkey(sa);
	if (ret)
		return ret;
	return crypto_aead_setauthsize(aead, sa->auth_alg ?
				       sa->auth_alg->icv_bits / 8 : 0);
}

/* Reads the algorithms and sets up the transform. */
static int ipsecif_sa_init_crypto(struct ipsecif_sa *sa, struct nlattr **tb,
				  struct netlink_ext_ack *extack)
{
	const struct ipsecif_alg_desc *desc = NULL, *enc_desc = NULL;
	struct ipsecif_alg *alg;
	int ret;

	if (tb[IPSECIF_SA_A_AEAD] &&
	    (tb[IPSECIF_SA_A_ENC] || tb[IPSECIF_SA_A_AUTH])) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: an SA has either aead, or enc and auth");
		return -EINVAL;
	}
	if (!tb[IPSECIF_SA_A_AEAD] && tb[IPSECIF_SA_A_AUTH] &&
	    !tb[IPSECIF_SA_A_ENC]) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: auth needs enc (use ecb(cipher_null) for none)");
		return -EINVAL;
	}
	if (!tb[IPSECIF_SA_A_AEAD] && !tb[IPSECIF_SA_A_ENC]) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: an SA needs encryption or integrity (aead, or enc and auth)");
		return -EINVAL;
	}

	if (tb[IPSECIF_SA_A_AEAD]) {
		alg = ipsecif_alg_parse(tb[IPSECIF_SA_A_AEAD], ALG_AEAD, &desc,
					extack);
		if (IS_ERR(alg))
			return PTR_ERR(alg);
		sa->aead_alg = alg;
		ret = ipsecif_sa_init_aead(sa, desc);
	} else {
		alg = ipsecif_alg_parse(tb[IPSECIF_SA_A_ENC], ALG_ENC,
					&enc_desc, extack);
		if (IS_ERR(alg))
			return PTR_ERR(alg);
		sa->enc_alg = alg;
		if (tb[IPSECIF_SA_A_AUTH]) {
			alg = ipsecif_alg_parse(tb[IPSECIF_SA_A_AUTH], ALG_AUTH,
						&desc, extack);
			if (IS_ERR(alg))
				return PTR_ERR(alg);
			sa->auth_alg = alg;
		}
		if (!enc_desc->geniv && (!desc || !desc->full_bits) &&
		    !READ_ONCE(null_esp)) {
			NL_SET_ERR_MSG(extack,
				       "ipsecif: an SA needs encryption or integrity (aead, or enc and auth)");
			return -EINVAL;
		}
		ret = ipsecif_sa_init_authenc(sa, enc_desc);
	}
	if (ret) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: the kernel could not set up this algorithm");
		return ret;
	}

	sa->iv_len = crypto_aead_ivsize(sa->aead);
	sa->icv_len = crypto_aead_authsize(sa->aead);
	sa->pad_align = ALIGN(crypto_aead_blocksize(sa->aead), 4);
	return 0;
}

/* Tunnel endpoints from @tb into @path: required in tunnel mode, refused in
 * transport mode. With @update, absent endpoints keep those of @path.
 */
static int ipsecif_sa_parse_endpoints(enum ipsecif_sa_mode mode,
				      struct ipsecif_sa_path *path,
				      struct nlattr **tb, bool update,
				      struct netlink_ext_ack *extack)
{
	bool v4 = tb[IPSECIF_SA_A_SRC] || tb[IPSECIF_SA_A_DST];
	bool v6 = tb[IPSECIF_SA_A_SRC6] || tb[IPSECIF_SA_A_DST6];
	struct nlattr *src, *dst;

	if (mode == IPSECIF_SA_MODE_TRANSPORT) {
		if (v4 || v6) {
			NL_SET_ERR_MSG(extack,
				       "ipsecif: a transport-mode SA has no src/dst");
			return -EINVAL;
		}
		return 0;
	}
	if (update && !v4 && !v6)
		return 0;
	if (v4 && v6) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: src and dst must be of one address family");
		return -EINVAL;
	}
	src = tb[v6 ? IPSECIF_SA_A_SRC6 : IPSECIF_SA_A_SRC];
	dst = tb[v6 ? IPSECIF_SA_A_DST6 : IPSECIF_SA_A_DST];
	if (!src || !dst) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: a tunnel-mode SA needs src and dst");
		return -EINVAL;
	}
	path->family = v6 ? AF_INET6 : AF_INET;
	memset(&path->src, 0, sizeof(path->src));
	memset(&path->dst, 0, sizeof(path->dst));
	nla_memcpy(&path->src, src, sizeof(path->src));
	nla_memcpy(&path->dst, dst, sizeof(path->dst));
	return 0;
}

#define IPSECIF_SA_PATH_FLAGS (IPSECIF_SA_F_DECAP_DSCP | IPSECIF_SA_F_NO_ECN | \
			       IPSECIF_SA_F_DONT_ENCAP_DSCP | \
			       IPSECIF_SA_F_DF_SET | IPSECIF_SA_F_DF_CLEAR | \
			       IPSECIF_SA_F_COPY_FLOWLABEL)

/* The outer header options and UDP encapsulation of @tb into @path; what
 * @tb leaves out stays as it is in @path.
 */
static int ipsecif_sa_parse_path(struct ipsecif_sa_path *path,
				 struct nlattr **tb,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *etb[IPSECIF_ENCAP_A_MAX + 1];
	int ret;

	if (tb[IPSECIF_SA_A_FLAGS]) {
		u32 flags = nla_get_u32(tb[IPSECIF_SA_A_FLAGS]);

		if ((flags & IPSECIF_SA_F_DF_SET) &&
		    (flags & IPSECIF_SA_F_DF_CLEAR)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_FLAGS],
					    "ipsecif: DF cannot be both set and cleared");
			return -EINVAL;
		}
		path->flags = flags & IPSECIF_SA_PATH_FLAGS;
	}
	if (tb[IPSECIF_SA_A_DSCP])
		path->dscp = nla_get_u8(tb[IPSECIF_SA_A_DSCP]);
	if (tb[IPSECIF_SA_A_TTL])
		path->ttl = nla_get_u8(tb[IPSECIF_SA_A_TTL]);
	if (!tb[IPSECIF_SA_A_ENCAP])
		return 0;

	ret = nla_parse_nested(etb, IPSECIF_ENCAP_A_MAX, tb[IPSECIF_SA_A_ENCAP],
			       ipsecif_encap_policy, extack);
	if (ret)
		return ret;
	if (!etb[IPSECIF_ENCAP_A_TYPE]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_ENCAP],
				    "ipsecif: the encapsulation needs a type");
		return -EINVAL;
	}
	path->encap = nla_get_u8(etb[IPSECIF_ENCAP_A_TYPE]);
	if (path->encap && path->encap != UDP_ENCAP_ESPINUDP) {
		NL_SET_ERR_MSG_ATTR(extack, etb[IPSECIF_ENCAP_A_TYPE],
				    "ipsecif: the only encapsulation is espinudp (RFC 3948)");
		return -EINVAL;
	}
	if (!path->encap) {
		path->sport = 0;
		path->dport = 0;
		return 0;
	}
	if (!etb[IPSECIF_ENCAP_A_SPORT] || !etb[IPSECIF_ENCAP_A_DPORT] ||
	    !nla_get_u16(etb[IPSECIF_ENCAP_A_SPORT]) ||
	    !nla_get_u16(etb[IPSECIF_ENCAP_A_DPORT])) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_ENCAP],
				    "ipsecif: espinudp needs non-zero sport and dport");
		return -EINVAL;
	}
	path->sport = htons(nla_get_u16(etb[IPSECIF_ENCAP_A_SPORT]));
	path->dport = htons(nla_get_u16(etb[IPSECIF_ENCAP_A_DPORT]));
	return 0;
}

/* Replaces the limits in @lft, which the datapath reads locklessly. */
static void ipsecif_sa_parse_lifetime(struct ipsecif_lifetime *lft,
				      struct nlattr *nest)
{
	struct nlattr *ltb[IPSECIF_LIFETIME_A_MAX + 1] = {};

	/* validated with the SA's policy already */
	if (nla_parse_nested(ltb, IPSECIF_LIFETIME_A_MAX, nest,
			     ipsecif_lifetime_policy, NULL))
		return;
	WRITE_ONCE(lft->bytes, ltb[IPSECIF_LIFETIME_A_BYTES] ?
		   nla_get_u64(ltb[IPSECIF_LIFETIME_A_BYTES]) : 0);
	WRITE_ONCE(lft->packets, ltb[IPSECIF_LIFETIME_A_PACKETS] ?
		   nla_get_u64(ltb[IPSECIF_LIFETIME_A_PACKETS]) : 0);
	WRITE_ONCE(lft->seconds, ltb[IPSECIF_LIFETIME_A_SECONDS] ?
		   nla_get_u64(ltb[IPSECIF_LIFETIME_A_SECONDS]) : 0);
}

/* Marks a limit as reached, once, and tells the monitor group. */
static void ipsecif_sa_expire(struct ipsecif_sa *sa, bool hard, u8 limit)
{
	if (test_and_set_bit(hard ? IPSECIF_SA_HARD : IPSECIF_SA_SOFT,
			     &sa->expired))
		return;
	pr_debug("SA %u: %s lifetime reached\n", sa->id, hard ? "hard" : "soft");
	ipsecif_nl_sa_event(sa, IPSECIF_CMD_SA_EXPIRE,
			    hard ? IPSECIF_SA_EVENT_HARD : IPSECIF_SA_EVENT_SOFT,
			    limit);
}

/* Slow path of ipsecif_sa_lft_ok(): a byte or packet limit is set. */
bool ipsecif_sa_lft_account(struct ipsecif_sa *sa, unsigned int bytes)
{
	u64 hard_p = READ_ONCE(sa->hard.packets), hard_b = READ_ONCE(sa->hard.bytes);
	u64 soft_p = READ_ONCE(sa->soft.packets), soft_b = READ_ONCE(sa->soft.bytes);
	u64 packets = atomic64_inc_return(&sa->lft_packets);
	u64 total = atomic64_add_return(bytes, &sa->lft_bytes);

	if ((hard_p && packets > hard_p) || (hard_b && total - bytes >= hard_b)) {
		/* What the lifetimes count is what got through. */
		atomic64_dec(&sa->lft_packets);
		atomic64_sub(bytes, &sa->lft_bytes);
		ipsecif_sa_expire(sa, true, hard_p && packets > hard_p ?
				  IPSECIF_LIFETIME_A_PACKETS :
				  IPSECIF_LIFETIME_A_BYTES);
		return false;
	}
	if (soft_p && packets >= soft_p)
		ipsecif_sa_expire(sa, false, IPSECIF_LIFETIME_A_PACKETS);
	else if (soft_b && total >= soft_b)
		ipsecif_sa_expire(sa, false, IPSECIF_LIFETIME_A_BYTES);
	return true;
}

static unsigned long ipsecif_secs_to_jiffies(u64 seconds)
{
	if (seconds >= MAX_JIFFY_OFFSET / HZ)
		return MAX_JIFFY_OFFSET;
	return seconds * HZ;
}

/* The seconds limits: fires at the earliest one not yet reached. */
static void ipsecif_sa_lft_timer(struct timer_list *t)
{
	struct ipsecif_sa *sa = from_timer(sa, t, lft_timer);
	u64 soft = READ_ONCE(sa->soft.seconds), hard = READ_ONCE(sa->hard.seconds);
	unsigned long age = jiffies - sa->add_time, next = MAX_JIFFY_OFFSET;

	if (soft && !test_bit(IPSECIF_SA_SOFT, &sa->expired)) {
		if (age >= ipsecif_secs_to_jiffies(soft))
			ipsecif_sa_expire(sa, false, IPSECIF_LIFETIME_A_SECONDS);
		else
			next = ipsecif_secs_to_jiffies(soft);
	}
	if (hard && !test_bit(IPSECIF_SA_HARD, &sa->expired)) {
		if (age >= ipsecif_secs_to_jiffies(hard))
			ipsecif_sa_expire(sa, true, IPSECIF_LIFETIME_A_SECONDS);
		else
			next = min(next, ipsecif_secs_to_jiffies(hard));
	}
	if (next != MAX_JIFFY_OFFSET)
		mod_timer(&sa->lft_timer, sa->add_time + next);
}

/* (Re)applies the limits in sa->soft/hard: counting for bytes and packets
 * (from the SA's counters if it was off), the timer for seconds. RTNL.
 */
static void ipsecif_sa_lft_apply(struct ipsecif_sa *sa)
{
	bool counting = sa->soft.bytes || sa->soft.packets ||
			sa->hard.bytes || sa->hard.packets;

	if (counting && !sa->lft_counting) {
		u64 packets, bytes, drops[IPSECIF_DROP_MAX];

		ipsecif_sa_read_stats(sa, &packets, &bytes, drops);
		atomic64_set(&sa->lft_packets, packets);
		atomic64_set(&sa->lft_bytes, bytes);
	}
	WRITE_ONCE(sa->lft_counting, counting);
	if (sa->soft.seconds || sa->hard.seconds)
		ipsecif_sa_lft_timer(&sa->lft_timer);
	else
		del_timer_sync(&sa->lft_timer);
}

static void ipsecif_sa_free_rcu(struct rcu_head *head)
{
	struct ipsecif_sa *sa = container_of(head, struct ipsecif_sa, rcu);

	if (!IS_ERR_OR_NULL(sa->aead))
		crypto_free_aead(sa->aead);
	kfree_sensitive(sa->aead_alg);
	kfree_sensitive(sa->enc_alg);
	kfree_sensitive(sa->auth_alg);
	kfree(sa->replay);
	free_percpu(sa->stats);
	kfree(rcu_access_pointer(sa->path));
	kfree(sa);
	if (atomic_dec_and_test(&ipsecif_sa_live))
		wake_up(&ipsecif_sa_freed);
}

/* Drops a reference; the last one frees the SA after an RCU grace period. */
void ipsecif_sa_put(struct ipsecif_sa *sa)
{
	if (refcount_dec_and_test(&sa->refcnt))
		call_rcu(&sa->rcu, ipsecif_sa_free_rcu);
}

/* Module exit: in-flight crypto requests hold SAs, and their completions run
 * our code; wait for the last SA to be freed.
 */
void ipsecif_sa_wait_all_freed(void)
{
	wait_event(ipsecif_sa_freed, !atomic_read(&ipsecif_sa_live));
	rcu_barrier();
}

static struct ipsecif_sa *ipsecif_sa_alloc(u32 replay_window)
{
	struct ipsecif_sa *sa;

	sa = kzalloc(sizeof(*sa), GFP_KERNEL);
	if (!sa)
		return NULL;
	atomic_inc(&ipsecif_sa_live);
	refcount_set(&sa->refcnt, 1);
	INIT_LIST_HEAD(&sa->spd_in);
	spin_lock_init(&sa->replay_lock);
	timer_setup(&sa->lft_timer, ipsecif_sa_lft_timer, 0);
	sa->add_time = jiffies;
	sa->stats = netdev_alloc_pcpu_stats(struct ipsecif_sa_stats);
	sa->replay = kzalloc(ipsecif_replay_size(replay_window), GFP_KERNEL);
	if (!sa->stats || !sa->replay) {
		ipsecif_sa_put(sa);
		return NULL;
	}
	ipsecif_replay_init(sa->replay, replay_window);
	return sa;
}

struct ipsecif_sa *ipsecif_sa_by_id(struct net *net, u32 id)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct ipsecif_sa *sa;

	ASSERT_RTNL();
	hash_for_each_possible(in->sa_by_id, sa, id_node, id)
		if (sa->id == id)
			return sa;
	return NULL;
}

/* Any SA of @net with this SPI; under rcu_read_lock(). */
struct ipsecif_sa *ipsecif_sa_by_spi_rcu(struct net *net, __be32 spi)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct ipsecif_sa *sa;

	hash_for_each_possible_rcu(in->sa_by_spi, sa, spi_node,
				   (__force u32)spi, lockdep_rtnl_is_held())
		if (sa->spi == spi)
			return sa;
	return NULL;
}

/* An RX SA, of any netns, of a protection of an interface whose underlay
 * is @net; under rcu_read_lock().
 */
struct ipsecif_sa *ipsecif_rx_sa_by_spi_rcu(struct net *net, __be32 spi)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct ipsecif_sa *sa;

	hash_for_each_possible_rcu(in->rx_by_spi, sa, rx_node,
				   (__force u32)spi, lockdep_rtnl_is_held())
		if (sa->spi == spi)
			return sa;
	return NULL;
}

/* Creates an SA from the attributes of an IPSECIF_A_SA nest and adds it to
 * the tables of @net. Under RTNL. Nothing is added if anything is wrong.
 */
struct ipsecif_sa *ipsecif_sa_create(struct net *net, struct nlattr **tb,
				     struct netlink_ext_ack *extack)
{
	struct ipsecif_net *in = ipsecif_net(net);
	u32 id, spi, window = IPSECIF_DEFAULT_REPLAY_WINDOW;
	struct ipsecif_sa_path *path;
	struct ipsecif_sa *sa;
	int ret;

	ASSERT_RTNL();
	if (!tb[IPSECIF_SA_A_ID] || !tb[IPSECIF_SA_A_SPI]) {
		NL_SET_ERR_MSG(extack, "ipsecif: an SA needs an id and an SPI");
		return ERR_PTR(-EINVAL);
	}
	id = nla_get_u32(tb[IPSECIF_SA_A_ID]);
	spi = nla_get_u32(tb[IPSECIF_SA_A_SPI]);
	if (!spi) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_SPI],
				    "ipsecif: SPI 0 is reserved");
		return ERR_PTR(-EINVAL);
	}
	if (ipsecif_sa_by_id(net, id)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_ID],
				    "ipsecif: an SA with this id exists");
		return ERR_PTR(-EEXIST);
	}
	if (ipsecif_sa_by_spi_rcu(net, htonl(spi))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_SPI],
				    "ipsecif: an SA with this SPI exists");
		return ERR_PTR(-EEXIST);
	}
	if (tb[IPSECIF_SA_A_REPLAY_WINDOW])
		window = nla_get_u32(tb[IPSECIF_SA_A_REPLAY_WINDOW]);

	sa = ipsecif_sa_alloc(window);
	if (!sa)
		return ERR_PTR(-ENOMEM);
	sa->id = id;
	sa->spi = htonl(spi);
	sa->net = net;
	if (tb[IPSECIF_SA_A_MODE])
		sa->mode = nla_get_u8(tb[IPSECIF_SA_A_MODE]);
	if (tb[IPSECIF_SA_A_FLAGS])
		sa->flags = nla_get_u32(tb[IPSECIF_SA_A_FLAGS]) &
			    (IPSECIF_SA_F_ESN | IPSECIF_SA_F_PARALLEL);
	if (sa->flags & IPSECIF_SA_F_PARALLEL)
		sa->cb_cpu = ipsecif_crypto_cb_cpu();

	if (tb[IPSECIF_SA_A_SEQ_OUT]) {
		u64 seq = nla_get_u64(tb[IPSECIF_SA_A_SEQ_OUT]);

		if (!(sa->flags & IPSECIF_SA_F_ESN) && seq > U32_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_SEQ_OUT],
					    "ipsecif: without ESN the sequence number is 32 bits");
			ipsecif_sa_put(sa);
			return ERR_PTR(-ERANGE);
		}
		atomic64_set(&sa->seq_out, seq);
		sa->tx_stopped = !(sa->flags & IPSECIF_SA_F_ESN) && seq == U32_MAX;
	}
	if (tb[IPSECIF_SA_A_SEQ_IN]) {
		u64 seq = nla_get_u64(tb[IPSECIF_SA_A_SEQ_IN]);

		if (!(sa->flags & IPSECIF_SA_F_ESN) && seq > U32_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_SEQ_IN],
					    "ipsecif: without ESN the sequence number is 32 bits");
			ipsecif_sa_put(sa);
			return ERR_PTR(-ERANGE);
		}
		ipsecif_replay_preset(sa->replay, seq);
	}
	path = kzalloc(sizeof(*path), GFP_KERNEL);
	if (!path) {
		ipsecif_sa_put(sa);
		return ERR_PTR(-ENOMEM);
	}
	RCU_INIT_POINTER(sa->path, path);
	ret = ipsecif_sa_parse_endpoints(sa->mode, path, tb, false, extack) ?:
	      ipsecif_sa_parse_path(path, tb, extack) ?:
	      ipsecif_sa_init_crypto(sa, tb, extack);
	if (ret) {
		ipsecif_sa_put(sa);
		return ERR_PTR(ret);
	}
	if (tb[IPSECIF_SA_A_LIFETIME_SOFT])
		ipsecif_sa_parse_lifetime(&sa->soft,
					  tb[IPSECIF_SA_A_LIFETIME_SOFT]);
	if (tb[IPSECIF_SA_A_LIFETIME_HARD])
		ipsecif_sa_parse_lifetime(&sa->hard,
					  tb[IPSECIF_SA_A_LIFETIME_HARD]);
	ipsecif_sa_lft_apply(sa);

	hash_add(in->sa_by_id, &sa->id_node, id);
	hash_add_rcu(in->sa_by_spi, &sa->spi_node, (__force u32)sa->spi);
	pr_debug("SA %u (SPI 0x%08x) added\n", id, spi);
	return sa;
}

/* Takes the SA out of the tables of its netns and drops the tables'
 * reference. The SA must be in no protection.
 */
static void ipsecif_sa_unlink(struct ipsecif_sa *sa)
{
	hash_del(&sa->id_node);
	hash_del_rcu(&sa->spi_node);
	del_timer_sync(&sa->lft_timer);
	ipsecif_nl_notify_sa(sa, IPSECIF_CMD_SA_DEL);
	pr_debug("SA %u deleted\n", sa->id);
	ipsecif_sa_put(sa);
}

/* What SA_UPDATE refuses: all that makes the SA what it is. */
static const int ipsecif_sa_fixed_attrs[] = {
	IPSECIF_SA_A_SPI, IPSECIF_SA_A_MODE, IPSECIF_SA_A_AEAD,
	IPSECIF_SA_A_ENC, IPSECIF_SA_A_AUTH, IPSECIF_SA_A_REPLAY_WINDOW,
	IPSECIF_SA_A_SEQ_OUT, IPSECIF_SA_A_SEQ_IN,
};

/* Changes what may change on the live SA named by IPSECIF_SA_A_ID: a new
 * path is built and published with one pointer swap; sequence numbers and
 * replay state stay. Under RTNL; nothing changes on error.
 */
int ipsecif_sa_update(struct net *net, struct nlattr **tb,
		      struct netlink_ext_ack *extack)
{
	struct ipsecif_sa_path *old, *path;
	struct ipsecif_sa *sa;
	int i, ret;

	ASSERT_RTNL();
	if (!tb[IPSECIF_SA_A_ID]) {
		NL_SET_ERR_MSG(extack, "ipsecif: the request names no SA");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(ipsecif_sa_fixed_attrs); i++) {
		struct nlattr *attr = tb[ipsecif_sa_fixed_attrs[i]];

		if (attr) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "ipsecif: cannot change on a live SA; rekey with a new SA");
			return -EINVAL;
		}
	}
	sa = ipsecif_sa_by_id(net, nla_get_u32(tb[IPSECIF_SA_A_ID]));
	if (!sa) {
		NL_SET_ERR_MSG(extack, "ipsecif: no SA with this id");
		return -ENOENT;
	}
	if (tb[IPSECIF_SA_A_FLAGS] &&
	    (nla_get_u32(tb[IPSECIF_SA_A_FLAGS]) & IPSECIF_SA_F_ESN) !=
	    (sa->flags & IPSECIF_SA_F_ESN)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_FLAGS],
				    "ipsecif: ESN cannot change on a live SA; rekey with a new SA");
		return -EINVAL;
	}
	if (tb[IPSECIF_SA_A_FLAGS] &&
	    (nla_get_u32(tb[IPSECIF_SA_A_FLAGS]) & IPSECIF_SA_F_PARALLEL) !=
	    (sa->flags & IPSECIF_SA_F_PARALLEL)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_FLAGS],
				    "ipsecif: parallel cannot change on a live SA; rekey with a new SA");
		return -EINVAL;
	}
	old = rtnl_dereference(sa->path);
	path = kmemdup(old, sizeof(*old), GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	ret = ipsecif_sa_parse_endpoints(sa->mode, path, tb, true, extack) ?:
	      ipsecif_sa_parse_path(path, tb, extack);
	if (!ret && path->encap && sa->policy_users) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_SA_A_ENCAP],
				    "ipsecif: SAs of policies cannot be UDP-encapsulated");
		ret = -EOPNOTSUPP;
	}
	if (!ret)
		ret = ipsecif_protect_sa_path_change(sa, path, extack);
	if (ret) {
		kfree(path);
		return ret;
	}
	rcu_assign_pointer(sa->path, path);
	kfree_rcu(old, rcu);

	if (tb[IPSECIF_SA_A_LIFETIME_SOFT])
		ipsecif_sa_parse_lifetime(&sa->soft,
					  tb[IPSECIF_SA_A_LIFETIME_SOFT]);
	if (tb[IPSECIF_SA_A_LIFETIME_HARD])
		ipsecif_sa_parse_lifetime(&sa->hard,
					  tb[IPSECIF_SA_A_LIFETIME_HARD]);
	if (tb[IPSECIF_SA_A_LIFETIME_SOFT] || tb[IPSECIF_SA_A_LIFETIME_HARD])
		ipsecif_sa_lft_apply(sa);
	return 0;
}

int ipsecif_sa_delete(struct net *net, u32 id, struct netlink_ext_ack *extack)
{
	struct ipsecif_sa *sa;

	ASSERT_RTNL();
	sa = ipsecif_sa_by_id(net, id);
	if (!sa) {
		NL_SET_ERR_MSG(extack, "ipsecif: no SA with this id");
		return -ENOENT;
	}
	if (sa->owner) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: the SA is used by a protection; remove it from there first");
		return -EBUSY;
	}
	if (sa->policy_users) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: the SA is used by a policy; delete the policy first");
		return -EBUSY;
	}
	ipsecif_sa_unlink(sa);
	return 0;
}

/* Deletes every SA of @net, or none if any is in use. */
int ipsecif_sa_flush(struct net *net, struct netlink_ext_ack *extack)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct hlist_node *tmp;
	struct ipsecif_sa *sa;
	int bkt;

	ASSERT_RTNL();
	hash_for_each(in->sa_by_id, bkt, sa, id_node) {
		if (sa->owner) {
			NL_SET_ERR_MSG(extack,
				       "ipsecif: an SA is used by a protection; nothing flushed");
			return -EBUSY;
		}
		if (sa->policy_users) {
			NL_SET_ERR_MSG(extack,
				       "ipsecif: an SA is used by a policy; nothing flushed");
			return -EBUSY;
		}
	}
	hash_for_each_safe(in->sa_by_id, bkt, tmp, sa, id_node)
		ipsecif_sa_unlink(sa);
	return 0;
}

/* The netns is going away: protections elsewhere let go of its SAs, then
 * the SAs go.
 */
void ipsecif_net_flush(struct net *net)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct hlist_node *tmp;
	struct ipsecif_sa *sa;
	int bkt;

	rtnl_lock();
	hash_for_each_safe(in->sa_by_id, bkt, tmp, sa, id_node) {
		if (sa->owner)
			ipsecif_protect_release_sa(sa);
		ipsecif_sa_unlink(sa);
	}
	rtnl_unlock();
}

void ipsecif_sa_count(struct ipsecif_sa *sa, unsigned int bytes)
{
	struct ipsecif_sa_stats *stats = get_cpu_ptr(sa->stats);

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->packets);
	u64_stats_add(&stats->bytes, bytes);
	u64_stats_update_end(&stats->syncp);
	put_cpu_ptr(sa->stats);
}

void ipsecif_sa_drop(struct ipsecif_sa *sa, enum ipsecif_drop_reason why)
{
	struct ipsecif_sa_stats *stats = get_cpu_ptr(sa->stats);

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->drops[why]);
	u64_stats_update_end(&stats->syncp);
	put_cpu_ptr(sa->stats);
}

void ipsecif_sa_read_stats(struct ipsecif_sa *sa, u64 *packets, u64 *bytes,
			   u64 drops[IPSECIF_DROP_MAX])
{
	unsigned int start;
	int cpu, i;

	*packets = 0;
	*bytes = 0;
	memset(drops, 0, sizeof(u64) * IPSECIF_DROP_MAX);
	for_each_possible_cpu(cpu) {
		const struct ipsecif_sa_stats *stats = per_cpu_ptr(sa->stats, cpu);
		u64 p, b, d[IPSECIF_DROP_MAX];

		do {
			start = u64_stats_fetch_begin(&stats->syncp);
			p = u64_stats_read(&stats->packets);
			b = u64_stats_read(&stats->bytes);
			for (i = 0; i < IPSECIF_DROP_MAX; i++)
				d[i] = u64_stats_read(&stats->drops[i]);
		} while (u64_stats_fetch_retry(&stats->syncp, start));
		*packets += p;
		*bytes += b;
		for (i = 0; i < IPSECIF_DROP_MAX; i++)
			drops[i] += d[i];
	}
}
