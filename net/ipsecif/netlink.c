// SPDX-License-Identifier: GPL-2.0
/*
 * The "ipsecif" generic netlink family: its policies (the specification of
 * include/uapi/linux/ipsecif.h in code), the SA, protection, SPD and policy
 * commands, and the monitor multicast group. Every command runs under RTNL, which
 * serialises all configuration.
 */

#include <crypto/algapi.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "ipsecif.h"
#include "netlink.h"

const struct nla_policy ipsecif_alg_policy[IPSECIF_ALG_A_MAX + 1] = {
	[IPSECIF_ALG_A_NAME]	= { .type = NLA_NUL_STRING,
				    .len = CRYPTO_MAX_ALG_NAME - 1 },
	[IPSECIF_ALG_A_KEY]	= { .type = NLA_BINARY, .len = 512 },
	[IPSECIF_ALG_A_ICV_LEN]	= { .type = NLA_U32 },
};

const struct nla_policy ipsecif_encap_policy[IPSECIF_ENCAP_A_MAX + 1] = {
	[IPSECIF_ENCAP_A_TYPE]	= NLA_POLICY_RANGE(NLA_U8, 0, UDP_ENCAP_ESPINUDP),
	[IPSECIF_ENCAP_A_SPORT]	= { .type = NLA_U16 },
	[IPSECIF_ENCAP_A_DPORT]	= { .type = NLA_U16 },
};

const struct nla_policy
ipsecif_lifetime_policy[IPSECIF_LIFETIME_A_MAX + 1] = {
	[IPSECIF_LIFETIME_A_BYTES]	= { .type = NLA_U64 },
	[IPSECIF_LIFETIME_A_PACKETS]	= { .type = NLA_U64 },
	[IPSECIF_LIFETIME_A_SECONDS]	= { .type = NLA_U64 },
};

const struct nla_policy ipsecif_sa_policy[IPSECIF_SA_A_MAX + 1] = {
	[IPSECIF_SA_A_ID]		= { .type = NLA_U32 },
	[IPSECIF_SA_A_SPI]		= { .type = NLA_U32 },
	[IPSECIF_SA_A_MODE]		= NLA_POLICY_MAX(NLA_U8,
						 IPSECIF_SA_MODE_TRANSPORT),
	[IPSECIF_SA_A_SRC]		= NLA_POLICY_EXACT_LEN(4),
	[IPSECIF_SA_A_DST]		= NLA_POLICY_EXACT_LEN(4),
	[IPSECIF_SA_A_SRC6]		= NLA_POLICY_EXACT_LEN(16),
	[IPSECIF_SA_A_DST6]		= NLA_POLICY_EXACT_LEN(16),
	[IPSECIF_SA_A_AEAD]		= NLA_POLICY_NESTED(ipsecif_alg_policy),
	[IPSECIF_SA_A_ENC]		= NLA_POLICY_NESTED(ipsecif_alg_policy),
	[IPSECIF_SA_A_AUTH]		= NLA_POLICY_NESTED(ipsecif_alg_policy),
	[IPSECIF_SA_A_FLAGS]		= NLA_POLICY_MASK(NLA_U32,
					IPSECIF_SA_F_ESN |
					IPSECIF_SA_F_DECAP_DSCP |
					IPSECIF_SA_F_NO_ECN |
					IPSECIF_SA_F_DONT_ENCAP_DSCP |
					IPSECIF_SA_F_DF_SET |
					IPSECIF_SA_F_DF_CLEAR |
					IPSECIF_SA_F_COPY_FLOWLABEL |
					IPSECIF_SA_F_PARALLEL),
	[IPSECIF_SA_A_REPLAY_WINDOW]	= NLA_POLICY_MAX(NLA_U32,
						 IPSECIF_REPLAY_MAX_WINDOW),
	[IPSECIF_SA_A_ENCAP]		= NLA_POLICY_NESTED(ipsecif_encap_policy),
	[IPSECIF_SA_A_LIFETIME_SOFT]	= NLA_POLICY_NESTED(ipsecif_lifetime_policy),
	[IPSECIF_SA_A_LIFETIME_HARD]	= NLA_POLICY_NESTED(ipsecif_lifetime_policy),
	[IPSECIF_SA_A_SEQ_OUT]		= { .type = NLA_U64 },
	[IPSECIF_SA_A_SEQ_IN]		= { .type = NLA_U64 },
	[IPSECIF_SA_A_STATS]		= { .type = NLA_REJECT,
		.reject_message = "ipsecif: statistics are read-only" },
	[IPSECIF_SA_A_DSCP]		= NLA_POLICY_MAX(NLA_U8, 63),
	[IPSECIF_SA_A_TTL]		= { .type = NLA_U8 },
	[IPSECIF_SA_A_LIFETIME_CUR]	= { .type = NLA_REJECT,
		.reject_message = "ipsecif: the current lifetime is read-only" },
	[IPSECIF_SA_A_EXPIRED]		= { .type = NLA_REJECT,
		.reject_message = "ipsecif: the expiry state is read-only" },
	[IPSECIF_SA_A_EVENT]		= { .type = NLA_REJECT,
		.reject_message = "ipsecif: events are sent, not set" },
	[IPSECIF_SA_A_EVENT_LIMIT]	= { .type = NLA_REJECT,
		.reject_message = "ipsecif: events are sent, not set" },
};

const struct nla_policy ipsecif_protect_policy[IPSECIF_PROTECT_A_MAX + 1] = {
	[IPSECIF_PROTECT_A_PEER]	= NLA_POLICY_EXACT_LEN(4),
	[IPSECIF_PROTECT_A_PEER6]	= NLA_POLICY_EXACT_LEN(16),
	[IPSECIF_PROTECT_A_TX_SA]	= { .type = NLA_U32 },
	[IPSECIF_PROTECT_A_RX_SA]	= { .type = NLA_U32 },
};

static const struct nla_policy ipsecif_spd_policy[IPSECIF_SPD_A_MAX + 1] = {
	[IPSECIF_SPD_A_ID]	= { .type = NLA_U32 },
	[IPSECIF_SPD_A_POLICIES] = { .type = NLA_REJECT,
		.reject_message = "ipsecif: the policy count is read-only" },
	[IPSECIF_SPD_A_IFINDEX]	= { .type = NLA_REJECT,
		.reject_message = "ipsecif: attach interfaces with SPD_ATTACH" },
	[IPSECIF_SPD_A_STATS]	= { .type = NLA_REJECT,
		.reject_message = "ipsecif: statistics are read-only" },
};

static int ipsecif_nl_validate_addr(const struct nlattr *attr,
				    struct netlink_ext_ack *extack)
{
	if (nla_len(attr) == 4 || nla_len(attr) == 16)
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "ipsecif: an address has 4 (IPv4) or 16 (IPv6) bytes");
	return -EINVAL;
}

#define IPSECIF_ADDR_POLICY \
	NLA_POLICY_VALIDATE_FN(NLA_BINARY, ipsecif_nl_validate_addr, 16)

static const struct nla_policy
ipsecif_policy_policy[IPSECIF_POLICY_A_MAX + 1] = {
	[IPSECIF_POLICY_A_PRIORITY]	= { .type = NLA_S32 },
	[IPSECIF_POLICY_A_DIR]		= NLA_POLICY_MAX(NLA_U8,
							 IPSECIF_POLICY_OUT),
	[IPSECIF_POLICY_A_ACTION]	= NLA_POLICY_MAX(NLA_U8,
							 IPSECIF_POLICY_RESOLVE),
	[IPSECIF_POLICY_A_SA_ID]	= { .type = NLA_U32 },
	[IPSECIF_POLICY_A_PROTO]	= { .type = NLA_U8 },
	[IPSECIF_POLICY_A_LOCAL_START]	= IPSECIF_ADDR_POLICY,
	[IPSECIF_POLICY_A_LOCAL_END]	= IPSECIF_ADDR_POLICY,
	[IPSECIF_POLICY_A_REMOTE_START]	= IPSECIF_ADDR_POLICY,
	[IPSECIF_POLICY_A_REMOTE_END]	= IPSECIF_ADDR_POLICY,
	[IPSECIF_POLICY_A_LPORT_START]	= { .type = NLA_U16 },
	[IPSECIF_POLICY_A_LPORT_END]	= { .type = NLA_U16 },
	[IPSECIF_POLICY_A_RPORT_START]	= { .type = NLA_U16 },
	[IPSECIF_POLICY_A_RPORT_END]	= { .type = NLA_U16 },
	[IPSECIF_POLICY_A_STATS]	= { .type = NLA_REJECT,
		.reject_message = "ipsecif: statistics are read-only" },
};

static const struct nla_policy ipsecif_genl_policy[IPSECIF_A_MAX + 1] = {
	[IPSECIF_A_IFINDEX]	= { .type = NLA_U32 },
	[IPSECIF_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[IPSECIF_A_SA]		= NLA_POLICY_NESTED(ipsecif_sa_policy),
	[IPSECIF_A_PROTECT]	= NLA_POLICY_NESTED(ipsecif_protect_policy),
	[IPSECIF_A_SPD]		= NLA_POLICY_NESTED(ipsecif_spd_policy),
	[IPSECIF_A_POLICY]	= NLA_POLICY_NESTED(ipsecif_policy_policy),
};

static struct genl_family ipsecif_genl_family;

static int ipsecif_nl_parse_sa(struct genl_info *info,
			       struct nlattr *tb[IPSECIF_SA_A_MAX + 1])
{
	if (!info->attrs[IPSECIF_A_SA]) {
		NL_SET_ERR_MSG(info->extack, "ipsecif: the request has no SA");
		return -EINVAL;
	}
	return nla_parse_nested(tb, IPSECIF_SA_A_MAX, info->attrs[IPSECIF_A_SA],
				ipsecif_sa_policy, info->extack);
}

static int ipsecif_nl_sa_id(struct genl_info *info, u32 *id)
{
	struct nlattr *tb[IPSECIF_SA_A_MAX + 1];
	int ret;

	ret = ipsecif_nl_parse_sa(info, tb);
	if (ret)
		return ret;
	if (!tb[IPSECIF_SA_A_ID]) {
		NL_SET_ERR_MSG(info->extack, "ipsecif: the request names no SA id");
		return -EINVAL;
	}
	*id = nla_get_u32(tb[IPSECIF_SA_A_ID]);
	return 0;
}

static int ipsecif_nl_sa_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[IPSECIF_SA_A_MAX + 1];
	struct ipsecif_sa *sa;
	int ret;

	ret = ipsecif_nl_parse_sa(info, tb);
	if (ret)
		return ret;
	rtnl_lock();
	sa = ipsecif_sa_create(genl_info_net(info), tb, info->extack);
	if (!IS_ERR(sa))
		ipsecif_nl_notify_sa(sa, IPSECIF_CMD_SA_NEW);
	rtnl_unlock();
	return PTR_ERR_OR_ZERO(sa);
}

static int ipsecif_nl_sa_update(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[IPSECIF_SA_A_MAX + 1];
	struct net *net = genl_info_net(info);
	int ret;

	ret = ipsecif_nl_parse_sa(info, tb);
	if (ret)
		return ret;
	rtnl_lock();
	ret = ipsecif_sa_update(net, tb, info->extack);
	if (!ret)
		ipsecif_nl_notify_sa(ipsecif_sa_by_id(net,
						      nla_get_u32(tb[IPSECIF_SA_A_ID])),
				     IPSECIF_CMD_SA_UPDATE);
	rtnl_unlock();
	return ret;
}

static int ipsecif_nl_sa_del(struct sk_buff *skb, struct genl_info *info)
{
	u32 id;
	int ret;

	ret = ipsecif_nl_sa_id(info, &id);
	if (ret)
		return ret;
	rtnl_lock();
	ret = ipsecif_sa_delete(genl_info_net(info), id, info->extack);
	rtnl_unlock();
	return ret;
}

static int ipsecif_nl_sa_flush(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	rtnl_lock();
	ret = ipsecif_sa_flush(genl_info_net(info), info->extack);
	rtnl_unlock();
	return ret;
}

static int ipsecif_nl_put_alg(struct sk_buff *skb, int type,
			      const struct ipsecif_alg *alg, bool with_key)
{
	struct nlattr *nest;

	if (!alg)
		return 0;
	nest = nla_nest_start(skb, type);
	if (!nest ||
	    nla_put_string(skb, IPSECIF_ALG_A_NAME, alg->name) ||
	    (with_key && nla_put(skb, IPSECIF_ALG_A_KEY, alg->key_len, alg->key)) ||
	    (alg->icv_bits && nla_put_u32(skb, IPSECIF_ALG_A_ICV_LEN, alg->icv_bits)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static const int ipsecif_drop_attrs[IPSECIF_DROP_MAX] = {
	[IPSECIF_DROP_REPLAY]		= IPSECIF_STATS_A_DROP_REPLAY,
	[IPSECIF_DROP_INTEGRITY]	= IPSECIF_STATS_A_DROP_INTEGRITY,
	[IPSECIF_DROP_TRAILER]		= IPSECIF_STATS_A_DROP_TRAILER,
	[IPSECIF_DROP_NEXTHDR]		= IPSECIF_STATS_A_DROP_NEXTHDR,
	[IPSECIF_DROP_RUNT]		= IPSECIF_STATS_A_DROP_RUNT,
	[IPSECIF_DROP_NO_PROTECT]	= IPSECIF_STATS_A_DROP_NO_PROTECT,
	[IPSECIF_DROP_SEQ_EXHAUSTED]	= IPSECIF_STATS_A_DROP_SEQ_EXHAUSTED,
	[IPSECIF_DROP_CRYPTO]		= IPSECIF_STATS_A_DROP_CRYPTO,
	[IPSECIF_DROP_EXPIRED]		= IPSECIF_STATS_A_DROP_EXPIRED,
};

static int ipsecif_nl_put_stats(struct sk_buff *skb, struct ipsecif_sa *sa)
{
	u64 packets, bytes, drops[IPSECIF_DROP_MAX], lost;
	struct nlattr *nest;
	int i;

	ipsecif_sa_read_stats(sa, &packets, &bytes, drops);
	spin_lock_bh(&sa->replay_lock);
	lost = sa->lost;
	spin_unlock_bh(&sa->replay_lock);

	nest = nla_nest_start(skb, IPSECIF_SA_A_STATS);
	if (!nest ||
	    nla_put_u64_64bit(skb, IPSECIF_STATS_A_PACKETS, packets,
			      IPSECIF_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, IPSECIF_STATS_A_BYTES, bytes,
			      IPSECIF_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, IPSECIF_STATS_A_LOST, lost,
			      IPSECIF_STATS_A_PAD))
		return -EMSGSIZE;
	for (i = 0; i < IPSECIF_DROP_MAX; i++)
		if (nla_put_u64_64bit(skb, ipsecif_drop_attrs[i], drops[i],
				      IPSECIF_STATS_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* The endpoints, outer header options and encapsulation. */
static int ipsecif_nl_put_path(struct sk_buff *skb,
			       const struct ipsecif_sa_path *path)
{
	struct nlattr *nest;

	if (path->family == AF_INET &&
	    (nla_put_in_addr(skb, IPSECIF_SA_A_SRC, path->src.v4.s_addr) ||
	     nla_put_in_addr(skb, IPSECIF_SA_A_DST, path->dst.v4.s_addr)))
		return -EMSGSIZE;
	if (path->family == AF_INET6 &&
	    (nla_put_in6_addr(skb, IPSECIF_SA_A_SRC6, &path->src.v6) ||
	     nla_put_in6_addr(skb, IPSECIF_SA_A_DST6, &path->dst.v6)))
		return -EMSGSIZE;
	if (nla_put_u8(skb, IPSECIF_SA_A_DSCP, path->dscp) ||
	    nla_put_u8(skb, IPSECIF_SA_A_TTL, path->ttl))
		return -EMSGSIZE;
	if (!path->encap)
		return 0;
	nest = nla_nest_start(skb, IPSECIF_SA_A_ENCAP);
	if (!nest ||
	    nla_put_u8(skb, IPSECIF_ENCAP_A_TYPE, path->encap) ||
	    nla_put_u16(skb, IPSECIF_ENCAP_A_SPORT, ntohs(path->sport)) ||
	    nla_put_u16(skb, IPSECIF_ENCAP_A_DPORT, ntohs(path->dport)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int ipsecif_nl_put_lifetime(struct sk_buff *skb, int type, u64 bytes,
				   u64 packets, u64 seconds)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest ||
	    nla_put_u64_64bit(skb, IPSECIF_LIFETIME_A_BYTES, bytes,
			      IPSECIF_LIFETIME_A_PAD) ||
	    nla_put_u64_64bit(skb, IPSECIF_LIFETIME_A_PACKETS, packets,
			      IPSECIF_LIFETIME_A_PAD) ||
	    nla_put_u64_64bit(skb, IPSECIF_LIFETIME_A_SECONDS, seconds,
			      IPSECIF_LIFETIME_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* The limits, what counts against them, and whether they were reached. */
static int ipsecif_nl_put_lifetimes(struct sk_buff *skb, struct ipsecif_sa *sa)
{
	u64 packets, bytes, drops[IPSECIF_DROP_MAX];
	u8 expired = IPSECIF_SA_LIVE;

	if (test_bit(IPSECIF_SA_HARD, &sa->expired))
		expired = IPSECIF_SA_HARD_EXPIRED;
	else if (test_bit(IPSECIF_SA_SOFT, &sa->expired))
		expired = IPSECIF_SA_SOFT_EXPIRED;
	if (READ_ONCE(sa->lft_counting)) {
		packets = atomic64_read(&sa->lft_packets);
		bytes = atomic64_read(&sa->lft_bytes);
	} else {
		ipsecif_sa_read_stats(sa, &packets, &bytes, drops);
	}
	return ipsecif_nl_put_lifetime(skb, IPSECIF_SA_A_LIFETIME_SOFT,
				       sa->soft.bytes, sa->soft.packets,
				       sa->soft.seconds) ?:
	       ipsecif_nl_put_lifetime(skb, IPSECIF_SA_A_LIFETIME_HARD,
				       sa->hard.bytes, sa->hard.packets,
				       sa->hard.seconds) ?:
	       ipsecif_nl_put_lifetime(skb, IPSECIF_SA_A_LIFETIME_CUR, bytes,
				       packets,
				       (jiffies - sa->add_time) / HZ) ?:
	       nla_put_u8(skb, IPSECIF_SA_A_EXPIRED, expired);
}

/* One SA as a message of command @cmd; keys only when @with_keys (the
 * caller is admin). Under RTNL.
 */
static int ipsecif_nl_fill_sa(struct sk_buff *skb, struct ipsecif_sa *sa,
			      u32 portid, u32 seq, int flags, bool with_keys,
			      u8 cmd)
{
	const struct ipsecif_sa_path *path = rtnl_dereference(sa->path);
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ipsecif_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, IPSECIF_A_SA);
	if (!nest ||
	    nla_put_u32(skb, IPSECIF_SA_A_ID, sa->id) ||
	    nla_put_u32(skb, IPSECIF_SA_A_SPI, ntohl(sa->spi)) ||
	    nla_put_u8(skb, IPSECIF_SA_A_MODE, sa->mode) ||
	    ipsecif_nl_put_path(skb, path) ||
	    ipsecif_nl_put_lifetimes(skb, sa) ||
	    nla_put_u32(skb, IPSECIF_SA_A_FLAGS, sa->flags | path->flags) ||
	    nla_put_u32(skb, IPSECIF_SA_A_REPLAY_WINDOW, sa->replay->window) ||
	    nla_put_u64_64bit(skb, IPSECIF_SA_A_SEQ_OUT, ipsecif_sa_last_seq(sa),
			      IPSECIF_SA_A_PAD) ||
	    nla_put_u64_64bit(skb, IPSECIF_SA_A_SEQ_IN, ipsecif_sa_top_seq(sa),
			      IPSECIF_SA_A_PAD) ||
	    ipsecif_nl_put_alg(skb, IPSECIF_SA_A_AEAD, sa->aead_alg, with_keys) ||
	    ipsecif_nl_put_alg(skb, IPSECIF_SA_A_ENC, sa->enc_alg, with_keys) ||
	    ipsecif_nl_put_alg(skb, IPSECIF_SA_A_AUTH, sa->auth_alg, with_keys) ||
	    ipsecif_nl_put_stats(skb, sa)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

static int ipsecif_nl_sa_get(struct sk_buff *skb, struct genl_info *info)
{
	bool admin = netlink_net_capable(skb, CAP_NET_ADMIN);
	struct ipsecif_sa *sa;
	struct sk_buff *msg;
	u32 id;
	int ret;

	ret = ipsecif_nl_sa_id(info, &id);
	if (ret)
		return ret;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	rtnl_lock();
	sa = ipsecif_sa_by_id(genl_info_net(info), id);
	if (sa)
		ret = ipsecif_nl_fill_sa(msg, sa, info->snd_portid,
					 info->snd_seq, 0, admin,
					 IPSECIF_CMD_SA_GET);
	rtnl_unlock();
	if (!sa) {
		NL_SET_ERR_MSG(info->extack, "ipsecif: no SA with this id");
		ret = -ENOENT;
	}
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* Dump cursor: cb->args[0] is the hash bucket, cb->args[1] how many SAs of
 * it were sent. SAs added or deleted meanwhile may be missed or repeated,
 * as with any netlink dump.
 */
static int ipsecif_nl_sa_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ipsecif_net *in = ipsecif_net(sock_net(skb->sk));
	bool admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	long bkt = cb->args[0], idx;
	struct ipsecif_sa *sa;

	rtnl_lock();
	for (; bkt < HASH_SIZE(in->sa_by_id); bkt++, cb->args[1] = 0) {
		idx = 0;
		hlist_for_each_entry(sa, &in->sa_by_id[bkt], id_node) {
			if (idx++ < cb->args[1])
				continue;
			if (ipsecif_nl_fill_sa(skb, sa, NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq, NLM_F_MULTI,
					       admin, IPSECIF_CMD_SA_GET))
				goto out;
			cb->args[1] = idx;
		}
	}
out:
	rtnl_unlock();
	cb->args[0] = bkt;
	return skb->len;
}

/* The ipsecif interface a request names, in the request's netns. */
static struct ipsecif_dev *ipsecif_nl_dev(struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct net_device *dev = NULL;

	if (info->attrs[IPSECIF_A_IFINDEX]) {
		dev = __dev_get_by_index(net,
					 nla_get_u32(info->attrs[IPSECIF_A_IFINDEX]));
	} else if (info->attrs[IPSECIF_A_IFNAME]) {
		dev = __dev_get_by_name(net,
					nla_data(info->attrs[IPSECIF_A_IFNAME]));
	} else {
		NL_SET_ERR_MSG(info->extack, "ipsecif: the request names no interface");
		return ERR_PTR(-EINVAL);
	}
	if (!dev) {
		NL_SET_ERR_MSG(info->extack, "ipsecif: no such interface");
		return ERR_PTR(-ENODEV);
	}
	if (!ipsecif_is_dev(dev)) {
		NL_SET_ERR_MSG(info->extack, "ipsecif: not an ipsecif interface");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return netdev_priv(dev);
}

static int ipsecif_nl_protect_change(struct genl_info *info, bool set)
{
	struct nlattr *tb[IPSECIF_PROTECT_A_MAX + 1];
	struct nlattr *nest = info->attrs[IPSECIF_A_PROTECT];
	struct ipsecif_dev *ipsecif;
	int ret;

	if (!nest) {
		NL_SET_ERR_MSG(info->extack, "ipsecif: the request has no protection");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, IPSECIF_PROTECT_A_MAX, nest,
			       ipsecif_protect_policy, info->extack);
	if (ret)
		return ret;

	rtnl_lock();
	ipsecif = ipsecif_nl_dev(info);
	if (IS_ERR(ipsecif))
		ret = PTR_ERR(ipsecif);
	else if (set)
		ret = ipsecif_protect_set(ipsecif, tb, nest, info->extack);
	else
		ret = ipsecif_protect_del(ipsecif, tb, info->extack);
	rtnl_unlock();
	return ret;
}

static int ipsecif_nl_protect_set(struct sk_buff *skb, struct genl_info *info)
{
	return ipsecif_nl_protect_change(info, true);
}

static int ipsecif_nl_protect_del(struct sk_buff *skb, struct genl_info *info)
{
	return ipsecif_nl_protect_change(info, false);
}

static int ipsecif_nl_put_peer(struct sk_buff *skb,
			       const struct ipsecif_protect *p)
{
	if (p->peer_family == AF_INET)
		return nla_put_in_addr(skb, IPSECIF_PROTECT_A_PEER,
				       p->peer.v4.s_addr);
	if (p->peer_family == AF_INET6)
		return nla_put_in6_addr(skb, IPSECIF_PROTECT_A_PEER6,
					&p->peer.v6);
	return 0;
}

static int ipsecif_nl_fill_protect(struct sk_buff *skb,
				   const struct ipsecif_protect *p,
				   u32 portid, u32 seq, u8 cmd)
{
	struct net_device *dev = p->ipsecif->dev;
	struct nlattr *nest;
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, portid, seq, &ipsecif_genl_family,
			  cmd == IPSECIF_CMD_PROTECT_GET ? NLM_F_MULTI : 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, IPSECIF_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, IPSECIF_A_IFNAME, dev->name))
		goto cancel;
	nest = nla_nest_start(skb, IPSECIF_A_PROTECT);
	if (!nest || ipsecif_nl_put_peer(skb, p) ||
	    (p->tx && nla_put_u32(skb, IPSECIF_PROTECT_A_TX_SA, p->tx->id)))
		goto cancel;
	for (i = 0; i < p->n_rx; i++)
		if (nla_put_u32(skb, IPSECIF_PROTECT_A_RX_SA, p->rx[i]->id))
			goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Sends the protections of one interface from number *@skip on; advances
 * *@skip past what was sent.
 */
static int ipsecif_nl_dump_dev(struct sk_buff *skb, struct netlink_callback *cb,
			       struct ipsecif_dev *ipsecif, long *skip)
{
	u32 portid = NETLINK_CB(cb->skb).portid, seq = cb->nlh->nlmsg_seq;
	struct ipsecif_protect *p;
	long idx = 0;
	int bkt;

	p = rtnl_dereference(ipsecif->p2p_protect);
	if (p && idx++ >= *skip) {
		if (ipsecif_nl_fill_protect(skb, p, portid, seq,
					    IPSECIF_CMD_PROTECT_GET))
			return -EMSGSIZE;
		*skip = idx;
	}
	hash_for_each(ipsecif->peers, bkt, p, node) {
		if (idx++ < *skip)
			continue;
		if (ipsecif_nl_fill_protect(skb, p, portid, seq,
					    IPSECIF_CMD_PROTECT_GET))
			return -EMSGSIZE;
		*skip = idx;
	}
	return 0;
}

static bool ipsecif_nl_dump_wants(struct nlattr **attrs,
				  const struct net_device *dev)
{
	if (!ipsecif_is_dev(dev))
		return false;
	if (attrs[IPSECIF_A_IFINDEX] &&
	    dev->ifindex != nla_get_u32(attrs[IPSECIF_A_IFINDEX]))
		return false;
	return !attrs[IPSECIF_A_IFNAME] ||
	       !nla_strcmp(attrs[IPSECIF_A_IFNAME], dev->name);
}

/* A dump that names an interface wants that one: that it does not exist
 * (or is no ipsecif) is an error, as for ip(8), not an empty answer.
 */
static int ipsecif_nl_protect_dump_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = ipsecif_dump_attrs(cb);
	struct net *net = sock_net(cb->skb->sk);
	struct net_device *dev;
	int ret = 0;

	if (!attrs[IPSECIF_A_IFINDEX] && !attrs[IPSECIF_A_IFNAME])
		return 0;
	rcu_read_lock();
	if (attrs[IPSECIF_A_IFINDEX])
		dev = dev_get_by_index_rcu(net,
					   nla_get_u32(attrs[IPSECIF_A_IFINDEX]));
	else
		dev = dev_get_by_name_rcu(net, nla_data(attrs[IPSECIF_A_IFNAME]));
	if (!dev) {
		NL_SET_ERR_MSG(cb->extack, "ipsecif: no such interface");
		ret = -ENODEV;
	} else if (!ipsecif_is_dev(dev)) {
		NL_SET_ERR_MSG(cb->extack, "ipsecif: not an ipsecif interface");
		ret = -EOPNOTSUPP;
	}
	rcu_read_unlock();
	return ret;
}

/* Dump cursor: cb->args[0] counts the interfaces sent completely,
 * cb->args[1] the protections sent of the next one.
 */
static int ipsecif_nl_protect_dump(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct nlattr **attrs = ipsecif_dump_attrs(cb);
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	long n = 0;

	rtnl_lock();
	for_each_netdev(net, dev) {
		if (!ipsecif_nl_dump_wants(attrs, dev) || n++ < cb->args[0])
			continue;
		if (ipsecif_nl_dump_dev(skb, cb, netdev_priv(dev), &cb->args[1]))
			break;
		cb->args[0] = n;
		cb->args[1] = 0;
	}
	rtnl_unlock();
	return skb->len;
}

/* SPDs */

/* The SPD id of a request; ENOENT-free: the SPD need not exist. */
static int ipsecif_nl_spd_id(struct nlattr **attrs, u32 *id,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[IPSECIF_SPD_A_MAX + 1];
	int ret;

	if (!attrs[IPSECIF_A_SPD]) {
		NL_SET_ERR_MSG(extack, "ipsecif: the request names no SPD");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, IPSECIF_SPD_A_MAX, attrs[IPSECIF_A_SPD],
			       ipsecif_spd_policy, extack);
	if (ret)
		return ret;
	if (!tb[IPSECIF_SPD_A_ID]) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[IPSECIF_A_SPD],
				    "ipsecif: the request names no SPD id");
		return -EINVAL;
	}
	*id = nla_get_u32(tb[IPSECIF_SPD_A_ID]);
	return 0;
}

/* The existing SPD a request names; under RTNL. */
static struct ipsecif_spd *ipsecif_nl_spd(struct genl_info *info, int *err)
{
	struct ipsecif_spd *spd;
	u32 id;

	*err = ipsecif_nl_spd_id(info->attrs, &id, info->extack);
	if (*err)
		return NULL;
	spd = ipsecif_spd_by_id(genl_info_net(info), id);
	if (!spd) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPSECIF_A_SPD],
				    "ipsecif: no SPD with this id");
		*err = -ENOENT;
	}
	return spd;
}

static int ipsecif_nl_spd_new(struct sk_buff *skb, struct genl_info *info)
{
	u32 id;
	int ret;

	ret = ipsecif_nl_spd_id(info->attrs, &id, info->extack);
	if (ret)
		return ret;
	rtnl_lock();
	ret = ipsecif_spd_create(genl_info_net(info), id, info->extack);
	if (!ret)
		ipsecif_nl_notify_spd(genl_info_net(info), id, 0,
				      IPSECIF_CMD_SPD_NEW);
	rtnl_unlock();
	return ret;
}

static int ipsecif_nl_spd_del(struct sk_buff *skb, struct genl_info *info)
{
	u32 id;
	int ret;

	ret = ipsecif_nl_spd_id(info->attrs, &id, info->extack);
	if (ret)
		return ret;
	rtnl_lock();
	ret = ipsecif_spd_delete(genl_info_net(info), id, info->extack);
	if (!ret)
		ipsecif_nl_notify_spd(genl_info_net(info), id, 0,
				      IPSECIF_CMD_SPD_DEL);
	rtnl_unlock();
	return ret;
}

/* The interface (of any type) a request names; under RTNL. */
static struct net_device *ipsecif_nl_any_dev(struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct net_device *dev = NULL;

	if (info->attrs[IPSECIF_A_IFINDEX])
		dev = __dev_get_by_index(net,
					 nla_get_u32(info->attrs[IPSECIF_A_IFINDEX]));
	else if (info->attrs[IPSECIF_A_IFNAME])
		dev = __dev_get_by_name(net,
					nla_data(info->attrs[IPSECIF_A_IFNAME]));
	else
		NL_SET_ERR_MSG(info->extack,
			       "ipsecif: the request names no interface");
	if (!dev && (info->attrs[IPSECIF_A_IFINDEX] ||
		     info->attrs[IPSECIF_A_IFNAME]))
		NL_SET_ERR_MSG(info->extack, "ipsecif: no such interface");
	return dev;
}

/* Why ipsecif_nl_any_dev() found none: no such interface, or none named. */
static int ipsecif_nl_no_dev(struct genl_info *info)
{
	return info->attrs[IPSECIF_A_IFINDEX] || info->attrs[IPSECIF_A_IFNAME] ?
	       -ENODEV : -EINVAL;
}

static int ipsecif_nl_spd_attach(struct sk_buff *skb, struct genl_info *info)
{
	struct net_device *dev;
	struct ipsecif_spd *spd;
	int ret;

	rtnl_lock();
	spd = ipsecif_nl_spd(info, &ret);
	if (spd) {
		dev = ipsecif_nl_any_dev(info);
		ret = dev ? ipsecif_spd_attach(spd, dev, info->extack) :
			    ipsecif_nl_no_dev(info);
		if (!ret)
			ipsecif_nl_notify_spd(spd->net, spd->id, dev->ifindex,
					      IPSECIF_CMD_SPD_ATTACH);
	}
	rtnl_unlock();
	return ret;
}

static int ipsecif_nl_spd_detach(struct sk_buff *skb, struct genl_info *info)
{
	struct ipsecif_spd *spd = NULL, *attached;
	struct net_device *dev;
	int ret = 0;

	rtnl_lock();
	if (info->attrs[IPSECIF_A_SPD])
		spd = ipsecif_nl_spd(info, &ret);
	if (!ret) {
		dev = ipsecif_nl_any_dev(info);
		attached = dev ? ipsecif_spd_of_dev_rcu(dev) : NULL;
		/* A named SPD must be the attached one. */
		ret = dev ? ipsecif_spd_detach(dev, spd, info->extack) :
			    ipsecif_nl_no_dev(info);
		if (!ret && attached)
			ipsecif_nl_notify_spd(dev_net(dev), attached->id,
					      dev->ifindex,
					      IPSECIF_CMD_SPD_DETACH);
	}
	rtnl_unlock();
	return ret;
}

static int ipsecif_nl_put_ifindex(struct net_device *dev, void *arg)
{
	return nla_put_u32(arg, IPSECIF_SPD_A_IFINDEX, dev->ifindex);
}

static const int ipsecif_spd_drop_attrs[IPSECIF_SPD_DROP_MAX] = {
	[IPSECIF_SPD_IN_NO_MATCH]	= IPSECIF_SPD_STATS_A_IN_NO_MATCH,
	[IPSECIF_SPD_OUT_NO_MATCH]	= IPSECIF_SPD_STATS_A_OUT_NO_MATCH,
	[IPSECIF_SPD_IN_PLAINTEXT]	= IPSECIF_SPD_STATS_A_IN_PLAINTEXT,
	[IPSECIF_SPD_IN_SELECTOR]	= IPSECIF_SPD_STATS_A_IN_SELECTOR,
	[IPSECIF_SPD_OUT_ERROR]		= IPSECIF_SPD_STATS_A_OUT_ERROR,
};

static int ipsecif_nl_fill_spd(struct sk_buff *skb, struct ipsecif_spd *spd,
			       u32 portid, u32 seq, int flags)
{
	u64 drops[IPSECIF_SPD_DROP_MAX];
	struct nlattr *nest, *stats;
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, portid, seq, &ipsecif_genl_family, flags,
			  IPSECIF_CMD_SPD_GET);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, IPSECIF_A_SPD);
	if (!nest ||
	    nla_put_u32(skb, IPSECIF_SPD_A_ID, spd->id) ||
	    nla_put_u32(skb, IPSECIF_SPD_A_POLICIES, spd->n_policies) ||
	    ipsecif_spd_for_each_dev(spd, ipsecif_nl_put_ifindex, skb))
		goto cancel;
	ipsecif_spd_read_stats(spd, drops);
	stats = nla_nest_start(skb, IPSECIF_SPD_A_STATS);
	if (!stats)
		goto cancel;
	for (i = 0; i < IPSECIF_SPD_DROP_MAX; i++)
		if (nla_put_u64_64bit(skb, ipsecif_spd_drop_attrs[i], drops[i],
				      IPSECIF_SPD_STATS_A_PAD))
			goto cancel;
	nla_nest_end(skb, stats);
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int ipsecif_nl_spd_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ipsecif_spd *spd;
	struct sk_buff *msg;
	int ret;

	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	rtnl_lock();
	spd = ipsecif_nl_spd(info, &ret);
	if (spd)
		ret = ipsecif_nl_fill_spd(msg, spd, info->snd_portid,
					  info->snd_seq, 0);
	rtnl_unlock();
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* Dump cursor as for SAs: cb->args[0] the bucket, cb->args[1] the SPDs of
 * it already sent.
 */
static int ipsecif_nl_spd_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ipsecif_net *in = ipsecif_net(sock_net(skb->sk));
	long bkt = cb->args[0], idx;
	struct ipsecif_spd *spd;

	rtnl_lock();
	for (; bkt < HASH_SIZE(in->spds); bkt++, cb->args[1] = 0) {
		idx = 0;
		hlist_for_each_entry(spd, &in->spds[bkt], node) {
			if (idx++ < cb->args[1])
				continue;
			if (ipsecif_nl_fill_spd(skb, spd,
						NETLINK_CB(cb->skb).portid,
						cb->nlh->nlmsg_seq, NLM_F_MULTI))
				goto out;
			cb->args[1] = idx;
		}
	}
out:
	rtnl_unlock();
	cb->args[0] = bkt;
	return skb->len;
}

/* Policies */

static int ipsecif_nl_policy_change(struct genl_info *info, bool add)
{
	struct nlattr *tb[IPSECIF_POLICY_A_MAX + 1];
	struct ipsecif_spd *spd;
	int ret;

	if (!info->attrs[IPSECIF_A_POLICY]) {
		NL_SET_ERR_MSG(info->extack, "ipsecif: the request has no policy");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, IPSECIF_POLICY_A_MAX,
			       info->attrs[IPSECIF_A_POLICY],
			       ipsecif_policy_policy, info->extack);
	if (ret)
		return ret;
	rtnl_lock();
	spd = ipsecif_nl_spd(info, &ret);
	if (spd)
		ret = add ? ipsecif_policy_add(spd, tb, info->extack) :
			    ipsecif_policy_del(spd, tb, info->extack);
	rtnl_unlock();
	return ret;
}

static int ipsecif_nl_policy_new(struct sk_buff *skb, struct genl_info *info)
{
	return ipsecif_nl_policy_change(info, true);
}

static int ipsecif_nl_policy_del(struct sk_buff *skb, struct genl_info *info)
{
	return ipsecif_nl_policy_change(info, false);
}

static int ipsecif_nl_put_ukey(struct sk_buff *skb, int type, u8 family,
			       const struct ipsecif_ukey *k)
{
	u8 b[16];

	if (family == AF_INET) {
		put_unaligned_be32(k->lo, b);
		return nla_put(skb, type, 4, b);
	}
	put_unaligned_be64(k->hi, b);
	put_unaligned_be64(k->lo, b + 8);
	return nla_put(skb, type, 16, b);
}

static int ipsecif_nl_put_selectors(struct sk_buff *skb,
				    const struct ipsecif_policy *p)
{
	if (nla_put_u8(skb, IPSECIF_POLICY_A_PROTO, p->proto) ||
	    nla_put_u16(skb, IPSECIF_POLICY_A_LPORT_START, p->lport_start) ||
	    nla_put_u16(skb, IPSECIF_POLICY_A_LPORT_END, p->lport_end) ||
	    nla_put_u16(skb, IPSECIF_POLICY_A_RPORT_START, p->rport_start) ||
	    nla_put_u16(skb, IPSECIF_POLICY_A_RPORT_END, p->rport_end))
		return -EMSGSIZE;
	if (!p->family)
		return 0;
	return ipsecif_nl_put_ukey(skb, IPSECIF_POLICY_A_LOCAL_START, p->family,
				   &p->local_start) ?:
	       ipsecif_nl_put_ukey(skb, IPSECIF_POLICY_A_LOCAL_END, p->family,
				   &p->local_end) ?:
	       ipsecif_nl_put_ukey(skb, IPSECIF_POLICY_A_REMOTE_START, p->family,
				   &p->remote_start) ?:
	       ipsecif_nl_put_ukey(skb, IPSECIF_POLICY_A_REMOTE_END, p->family,
				   &p->remote_end);
}

static int ipsecif_nl_fill_policy(struct sk_buff *skb,
				  const struct ipsecif_policy *p,
				  u32 portid, u32 seq, u8 cmd)
{
	struct nlattr *nest, *stats;
	u64 packets, bytes;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ipsecif_genl_family,
			  cmd == IPSECIF_CMD_POLICY_GET ? NLM_F_MULTI : 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, IPSECIF_A_SPD);
	if (!nest || nla_put_u32(skb, IPSECIF_SPD_A_ID, p->spd->id))
		goto cancel;
	nla_nest_end(skb, nest);
	nest = nla_nest_start(skb, IPSECIF_A_POLICY);
	if (!nest ||
	    nla_put_s32(skb, IPSECIF_POLICY_A_PRIORITY, p->priority) ||
	    nla_put_u8(skb, IPSECIF_POLICY_A_DIR, p->dir) ||
	    nla_put_u8(skb, IPSECIF_POLICY_A_ACTION, p->action) ||
	    (p->sa && nla_put_u32(skb, IPSECIF_POLICY_A_SA_ID, p->sa->id)) ||
	    ipsecif_nl_put_selectors(skb, p))
		goto cancel;
	ipsecif_counters_read(p->stats, &packets, &bytes);
	stats = nla_nest_start(skb, IPSECIF_POLICY_A_STATS);
	if (!stats ||
	    nla_put_u64_64bit(skb, IPSECIF_STATS_A_PACKETS, packets,
			      IPSECIF_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, IPSECIF_STATS_A_BYTES, bytes,
			      IPSECIF_STATS_A_PAD))
		goto cancel;
	nla_nest_end(skb, stats);
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Dump cursor: cb->args[0] the SPD id, found in the request by the first
 * call (cb->args[3] set), when errors can still carry a message;
 * cb->args[1] the direction, cb->args[2] the policies of it already sent;
 * inbound first, each in match order.
 */
static int ipsecif_nl_policy_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct ipsecif_policy *p;
	struct ipsecif_spd *spd;
	long dir, idx;
	int ret = 0;
	u32 id;

	if (!cb->args[3]) {
		ret = ipsecif_nl_spd_id(ipsecif_dump_attrs(cb), &id,
					cb->extack);
		if (ret)
			return ret;
		cb->args[0] = id;
		cb->args[3] = 1;
	}
	rtnl_lock();
	spd = ipsecif_spd_by_id(sock_net(skb->sk), cb->args[0]);
	if (!spd) {
		NL_SET_ERR_MSG(cb->extack, "ipsecif: no SPD with this id");
		ret = -ENOENT;
		goto out;
	}
	for (dir = cb->args[1]; dir < ARRAY_SIZE(spd->policies);
	     dir++, cb->args[2] = 0) {
		idx = 0;
		list_for_each_entry(p, &spd->policies[dir], list) {
			if (idx++ < cb->args[2])
				continue;
			if (ipsecif_nl_fill_policy(skb, p,
						   NETLINK_CB(cb->skb).portid,
						   cb->nlh->nlmsg_seq,
						   IPSECIF_CMD_POLICY_GET))
				goto full;
			cb->args[2] = idx;
		}
	}
full:
	cb->args[1] = dir;
	ret = skb->len;
out:
	rtnl_unlock();
	return ret;
}

static const struct genl_ops ipsecif_genl_ops[] = {
	{
		.cmd	= IPSECIF_CMD_SA_NEW,
		.doit	= ipsecif_nl_sa_new,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_SA_DEL,
		.doit	= ipsecif_nl_sa_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_SA_GET,
		.doit	= ipsecif_nl_sa_get,
		.dumpit	= ipsecif_nl_sa_dump,
	}, {
		.cmd	= IPSECIF_CMD_SA_FLUSH,
		.doit	= ipsecif_nl_sa_flush,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_PROTECT_SET,
		.doit	= ipsecif_nl_protect_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_PROTECT_DEL,
		.doit	= ipsecif_nl_protect_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_PROTECT_GET,
		.start	= ipsecif_nl_protect_dump_start,
		.dumpit	= ipsecif_nl_protect_dump,
	}, {
		.cmd	= IPSECIF_CMD_SPD_NEW,
		.doit	= ipsecif_nl_spd_new,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_SPD_DEL,
		.doit	= ipsecif_nl_spd_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_SPD_GET,
		.doit	= ipsecif_nl_spd_get,
		.dumpit	= ipsecif_nl_spd_dump,
	}, {
		.cmd	= IPSECIF_CMD_SPD_ATTACH,
		.doit	= ipsecif_nl_spd_attach,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_SPD_DETACH,
		.doit	= ipsecif_nl_spd_detach,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_POLICY_NEW,
		.doit	= ipsecif_nl_policy_new,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_POLICY_DEL,
		.doit	= ipsecif_nl_policy_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= IPSECIF_CMD_POLICY_GET,
		.dumpit	= ipsecif_nl_policy_dump,
	}, {
		.cmd	= IPSECIF_CMD_SA_UPDATE,
		.doit	= ipsecif_nl_sa_update,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group ipsecif_mcgrps[] = {
	{ .name = IPSECIF_MCGRP_MONITOR },
};

static struct genl_family ipsecif_genl_family __ro_after_init = {
	.name		= IPSECIF_GENL_NAME,
	.version	= IPSECIF_GENL_VERSION,
	.maxattr	= IPSECIF_A_MAX,
	.policy		= ipsecif_genl_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= ipsecif_genl_ops,
	.n_ops		= ARRAY_SIZE(ipsecif_genl_ops),
	.mcgrps		= ipsecif_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ipsecif_mcgrps),
};

/* Notifications to the monitor group of @net. */
static void ipsecif_nl_multicast(struct net *net, struct sk_buff *msg,
				 gfp_t gfp)
{
	genlmsg_multicast_netns(&ipsecif_genl_family, net, msg, 0, 0, gfp);
}

static bool ipsecif_nl_listened(struct net *net)
{
	return genl_has_listeners(&ipsecif_genl_family, net, 0);
}

/* SA_NEW, SA_UPDATE, SA_DEL; under RTNL. Never with keys. */
void ipsecif_nl_notify_sa(struct ipsecif_sa *sa, u8 cmd)
{
	struct sk_buff *msg;

	if (!ipsecif_nl_listened(sa->net))
		return;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (ipsecif_nl_fill_sa(msg, sa, 0, 0, 0, false, cmd)) {
		nlmsg_free(msg);
		return;
	}
	ipsecif_nl_multicast(sa->net, msg, GFP_KERNEL);
}

/* SA_EXPIRE and SA_ERROR, from any context (the datapath, a timer). */
void ipsecif_nl_sa_event(struct ipsecif_sa *sa, u8 cmd, u8 event, u8 limit)
{
	struct net *net = maybe_get_net(sa->net);
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!net)
		return;
	if (!ipsecif_nl_listened(net))
		goto out;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, &ipsecif_genl_family, 0, cmd);
	if (!hdr)
		goto free;
	nest = nla_nest_start(msg, IPSECIF_A_SA);
	if (!nest ||
	    nla_put_u32(msg, IPSECIF_SA_A_ID, sa->id) ||
	    nla_put_u32(msg, IPSECIF_SA_A_SPI, ntohl(sa->spi)) ||
	    nla_put_u8(msg, IPSECIF_SA_A_EVENT, event) ||
	    (cmd == IPSECIF_CMD_SA_EXPIRE &&
	     nla_put_u8(msg, IPSECIF_SA_A_EVENT_LIMIT, limit)) ||
	    (cmd == IPSECIF_CMD_SA_ERROR && ipsecif_nl_put_stats(msg, sa)))
		goto free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	ipsecif_nl_multicast(net, msg, GFP_ATOMIC);
	goto out;
free:
	nlmsg_free(msg);
out:
	put_net(net);
}

/* PROTECT_SET, PROTECT_DEL; under RTNL. */
void ipsecif_nl_notify_protect(struct ipsecif_dev *ipsecif,
			       const struct ipsecif_protect *p, u8 cmd)
{
	struct net *net = dev_net(ipsecif->dev);
	struct sk_buff *msg;

	if (!ipsecif_nl_listened(net))
		return;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (ipsecif_nl_fill_protect(msg, p, 0, 0, cmd)) {
		nlmsg_free(msg);
		return;
	}
	ipsecif_nl_multicast(net, msg, GFP_KERNEL);
}

/* SPD_NEW, SPD_DEL, SPD_ATTACH, SPD_DETACH (these with @ifindex). */
void ipsecif_nl_notify_spd(struct net *net, u32 id, int ifindex, u8 cmd)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!ipsecif_nl_listened(net))
		return;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &ipsecif_genl_family, 0, cmd);
	if (!hdr)
		goto free;
	nest = nla_nest_start(msg, IPSECIF_A_SPD);
	if (!nest || nla_put_u32(msg, IPSECIF_SPD_A_ID, id))
		goto free;
	nla_nest_end(msg, nest);
	if (ifindex && nla_put_u32(msg, IPSECIF_A_IFINDEX, ifindex))
		goto free;
	genlmsg_end(msg, hdr);
	ipsecif_nl_multicast(net, msg, GFP_KERNEL);
	return;
free:
	nlmsg_free(msg);
}

/* POLICY_NEW, POLICY_DEL; under RTNL. */
void ipsecif_nl_notify_policy(struct ipsecif_spd *spd,
			      const struct ipsecif_policy *pol, u8 cmd)
{
	struct sk_buff *msg;

	if (!ipsecif_nl_listened(spd->net))
		return;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (ipsecif_nl_fill_policy(msg, pol, 0, 0, cmd)) {
		nlmsg_free(msg);
		return;
	}
	ipsecif_nl_multicast(spd->net, msg, GFP_KERNEL);
}

int __init ipsecif_genl_init(void)
{
	return genl_register_family(&ipsecif_genl_family);
}

void ipsecif_genl_exit(void)
{
	genl_unregister_family(&ipsecif_genl_family);
}
