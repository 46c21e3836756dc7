/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private declarations shared by the files of the ipsecif module, grouped by
 * the file that owns them.
 *
 * Locking: all configuration (links, SAs, protections, SPDs, policies) is
 * serialised by RTNL. The datapath reads SAs, protections, SPDs and
 * policies under RCU and takes a reference on an SA for as long as an
 * asynchronous crypto request uses it.
 */

#ifndef _NET_IPSECIF_H
#define _NET_IPSECIF_H

#include <linux/crypto.h>
#include <linux/hashtable.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/refcount.h>
#include <linux/u64_stats_sync.h>
#include <net/gro_cells.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <uapi/linux/ipsecif.h>

#include "compat.h"
#include "replay.h"

union ipsecif_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

static inline bool ipsecif_addr_equal(sa_family_t family,
				      const union ipsecif_addr *a,
				      const union ipsecif_addr *b)
{
	if (family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return ipv6_addr_equal(&a->v6, &b->v6);
}

/* Interface options set over rtnetlink; written under RTNL. */
struct ipsecif_link_config {
	enum ipsecif_mode mode;
	sa_family_t family;		/* of local/remote; 0 when unset */
	union ipsecif_addr local;
	union ipsecif_addr remote;
	u32 table;
	u32 fwmark;
};

#define IPSECIF_PEER_HASH_BITS 8

/* The IP-in-IP header an interface with local/remote adds itself. */
static inline unsigned int
ipsecif_config_overhead(const struct ipsecif_link_config *cfg)
{
	if (cfg->family == AF_INET6)
		return sizeof(struct ipv6hdr);
	return cfg->family == AF_INET ? sizeof(struct iphdr) : 0;
}

struct ipsecif_dev {
	struct net_device *dev;
	/* The netns the interface was created in, where its outer packets
	 * live. No reference is held: when that netns dies, its pre_exit
	 * clears this pointer (under RTNL) before the netns is freed.
	 */
	struct net __rcu *underlay_net;
	struct list_head device_list;	/* all ipsecif devices, under RTNL */
	struct ipsecif_link_config config;
	bool mtu_user;			/* RTNL: the user set the MTU */
	bool mtu_auto;			/* RTNL: ipsecif_auto_mtu() sets it */
	struct gro_cells gro_cells;
	/* p2p: the only protection; p2mp: protections hashed by peer */
	struct ipsecif_protect __rcu *p2p_protect;
	DECLARE_HASHTABLE(peers, IPSECIF_PEER_HASH_BITS);
};

/* Why a packet was dropped; the order of the uapi's IPSECIF_STATS_A_DROP_*. */
enum ipsecif_drop_reason {
	IPSECIF_DROP_REPLAY,
	IPSECIF_DROP_INTEGRITY,
	IPSECIF_DROP_TRAILER,
	IPSECIF_DROP_NEXTHDR,
	IPSECIF_DROP_RUNT,
	IPSECIF_DROP_NO_PROTECT,
	IPSECIF_DROP_SEQ_EXHAUSTED,
	IPSECIF_DROP_CRYPTO,
	IPSECIF_DROP_EXPIRED,
	IPSECIF_DROP_MAX
};

struct ipsecif_sa_stats {
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t drops[IPSECIF_DROP_MAX];
	struct u64_stats_sync syncp;
};

/* One algorithm as configured, kept to report it back (keys: admin only). */
struct ipsecif_alg {
	char name[CRYPTO_MAX_ALG_NAME];
	u32 icv_bits;
	u32 key_len;
	u8 key[];
};

/* What SA_UPDATE may change on a live SA: replaced whole under RTNL, read
 * by the datapath under RCU.
 */
struct ipsecif_sa_path {
	sa_family_t family;		/* of src/dst; 0 in transport mode */
	union ipsecif_addr src;
	union ipsecif_addr dst;
	u32 flags;			/* IPSECIF_SA_F_* other than ESN */
	u8 dscp;			/* outer DSCP with DONT_ENCAP_DSCP */
	u8 ttl;				/* 0: the route's */
	u8 encap;			/* 0 or UDP_ENCAP_ESPINUDP */
	__be16 sport, dport;		/* UDP encapsulation */
	struct rcu_head rcu;
};

struct ipsecif_lifetime {
	u64 bytes;
	u64 packets;
	u64 seconds;
};

/* Bits of ipsecif_sa.expired */
enum {
	IPSECIF_SA_SOFT,
	IPSECIF_SA_HARD,
};

struct ipsecif_sa {
	/* Set at creation, then read-only. */
	u32 id;
	__be32 spi;
	enum ipsecif_sa_mode mode;
	u32 flags;			/* IPSECIF_SA_F_ESN, _PARALLEL */
	int cb_cpu;			/* parallel: where completions run */
	struct ipsecif_sa_path __rcu *path;
	struct crypto_aead *aead;
	u8 iv_len;
	u8 icv_len;
	u8 pad_align;			/* ESP padding boundary (RFC 4303 2.4) */
	struct ipsecif_alg *aead_alg, *enc_alg, *auth_alg;
	struct net *net;		/* owner; SAs die with their netns */

	/* Lifetimes: the limits (RTNL writes, the datapath reads once), what
	 * counts against them while a byte or packet limit is set, when the
	 * SA was added (jiffies), the seconds timer, which limits fired.
	 */
	struct ipsecif_lifetime soft, hard;
	bool lft_counting;
	atomic64_t lft_bytes;
	atomic64_t lft_packets;
	unsigned long add_time;
	struct timer_list lft_timer;
	unsigned long expired;		/* IPSECIF_SA_SOFT, IPSECIF_SA_HARD */
	unsigned long alert_next[2];	/* replay, integrity: rate limit */

	/* Transmit: the last sequence number used; stopped when exhausted. */
	atomic64_t seq_out;
	bool tx_stopped;		/* READ_ONCE/WRITE_ONCE */

	/* Receive: the protection whose RX set holds this SA, and the
	 * anti-replay window (replay_lock held around check + advance).
	 */
	struct ipsecif_protect __rcu *rx_protect;
	spinlock_t replay_lock;		/* protects replay and lost */
	struct ipsecif_replay *replay;
	u64 lost;			/* under replay_lock */

	/* Under RTNL: the protection using this SA, if any, and how many
	 * policies use it.
	 */
	struct ipsecif_protect *owner;
	unsigned int policy_users;
	/* Inbound protect policies with this SA, RCU (struct ipsecif_policy) */
	struct list_head spd_in;
	struct hlist_node id_node;	/* ipsecif_net.sa_by_id, RTNL */
	struct hlist_node spi_node;	/* ipsecif_net.sa_by_spi, RCU */
	struct hlist_node rx_node;	/* underlay ipsecif_net.rx_by_spi, RCU */
	struct net *rx_net;		/* whose rx_by_spi holds rx_node */
	/* The UDP socket (encap.c) this RX SA holds in rx_net, if any. */
	sa_family_t encap_family;
	__be16 encap_port;

	struct ipsecif_sa_stats __percpu *stats;
	refcount_t refcnt;
	struct rcu_head rcu;
};

struct ipsecif_protect {
	struct hlist_node node;		/* ipsecif_dev.peers (p2mp), RCU */
	struct ipsecif_dev *ipsecif;
	sa_family_t peer_family;	/* 0: p2p, no peer */
	union ipsecif_addr peer;
	struct ipsecif_sa *tx;		/* may be NULL */
	u8 n_rx;
	struct ipsecif_sa *rx[IPSECIF_MAX_RX_SA];
	struct rcu_head rcu;
};

/* A 128-bit address in host order, for range comparisons: IPv4 in lo. */
struct ipsecif_ukey {
	u64 hi;
	u64 lo;
};

/* What an SPD matches a packet on; local/remote as seen from the SPD's
 * interface (outbound: source/destination; inbound: the reverse). For ICMP,
 * lport is the type and rport the code. Compared and hashed as bytes: zero
 * it before filling.
 */
struct ipsecif_flow_key {
	struct ipsecif_ukey local;
	struct ipsecif_ukey remote;
	u16 lport;
	u16 rport;
	u8 family;
	u8 proto;
	u8 dir;			/* enum ipsecif_policy_dir */
	u8 opaque;		/* no readable ports (fragment, truncated) */
};

enum ipsecif_spd_drop_reason {
	IPSECIF_SPD_IN_NO_MATCH,
	IPSECIF_SPD_OUT_NO_MATCH,
	IPSECIF_SPD_IN_PLAINTEXT,
	IPSECIF_SPD_IN_SELECTOR,
	IPSECIF_SPD_OUT_ERROR,
	IPSECIF_SPD_DROP_MAX
};

struct ipsecif_counters {
	u64_stats_t packets;
	u64_stats_t bytes;
	struct u64_stats_sync syncp;
};

struct ipsecif_spd_stats {
	u64_stats_t drops[IPSECIF_SPD_DROP_MAX];
	struct u64_stats_sync syncp;
};

struct ipsecif_policy {
	struct list_head list;		/* spd->policies[dir], match order */
	/* In the SPD's index by remote prefix, or on its list of the rest;
	 * both RCU, in match order.
	 */
	union {
		struct hlist_node index_node;
		struct list_head rest_node;
	};
	struct list_head sa_list;	/* sa->spd_in (inbound protect), RCU */
	struct ipsecif_spd *spd;
	u64 order;			/* insertion order within the SPD */
	s16 remote_plen;		/* remote is this prefix; -1: not one */
	s32 priority;
	u8 dir;
	u8 action;
	u8 proto;			/* 0: any */
	u8 family;			/* of the address selectors; 0: any */
	struct ipsecif_ukey local_start, local_end;
	struct ipsecif_ukey remote_start, remote_end;
	u16 lport_start, lport_end;
	u16 rport_start, rport_end;
	struct ipsecif_sa *sa;		/* protect only; holds a reference */
	struct ipsecif_counters __percpu *stats;
	struct rcu_head rcu;
};

struct ipsecif_flow_cache;

#define IPSECIF_SPD_INDEX_BITS 10

struct ipsecif_spd {
	u32 id;
	struct net *net;
	struct hlist_node node;		/* ipsecif_net.spds, RTNL */
	/* Per enum ipsecif_policy_dir: every policy in match order (RTNL);
	 * the datapath's view: policies whose remote selector is a prefix,
	 * hashed by it, with the prefix lengths present (a bitmap per family,
	 * IPv4 then IPv6, and their users under RTNL); the other policies.
	 */
	struct list_head policies[2];
	struct hlist_head *index[2];
	DECLARE_BITMAP(plens[2][2], 129);
	u32 plen_users[2][2][129];
	struct list_head rest[2];
	u64 next_order;
	unsigned int n_policies;	/* RTNL */
	unsigned int n_attached;	/* RTNL */
	u32 gen;			/* flow cache generation; see spd.c */
	struct ipsecif_flow_cache __percpu *cache;
	struct ipsecif_spd_stats __percpu *stats;
	struct rcu_head rcu;
};

#define IPSECIF_SA_HASH_BITS 10
#define IPSECIF_SPD_HASH_BITS 6

/* Per network namespace state. */
struct ipsecif_net {
	DECLARE_HASHTABLE(sa_by_id, IPSECIF_SA_HASH_BITS);	/* RTNL */
	DECLARE_HASHTABLE(sa_by_spi, IPSECIF_SA_HASH_BITS);	/* RCU */
	/* RX SAs of protections whose interface's underlay is this netns */
	DECLARE_HASHTABLE(rx_by_spi, IPSECIF_SA_HASH_BITS);	/* RCU */
	DECLARE_HASHTABLE(spds, IPSECIF_SPD_HASH_BITS);		/* RTNL */
	/* SPD attachments by interface (struct ipsecif_spd_attach), RCU */
	DECLARE_HASHTABLE(spd_devs, IPSECIF_SPD_HASH_BITS);
	unsigned int n_attached;	/* RTNL; hooks registered while > 0 */
	/* UDP sockets for encapsulated ESP (struct ipsecif_encap_sock) */
	struct hlist_head encap_socks;	/* RTNL */
};

/* device.c */
int ipsecif_device_init(void);
void ipsecif_device_exit(void);
bool ipsecif_is_dev(const struct net_device *dev);

/* main.c */
struct ipsecif_net *ipsecif_net(const struct net *net);

/* sa.c */
struct ipsecif_sa *ipsecif_sa_create(struct net *net, struct nlattr **attrs,
				     struct netlink_ext_ack *extack);
int ipsecif_sa_delete(struct net *net, u32 id, struct netlink_ext_ack *extack);
int ipsecif_sa_flush(struct net *net, struct netlink_ext_ack *extack);
struct ipsecif_sa *ipsecif_sa_by_id(struct net *net, u32 id);
struct ipsecif_sa *ipsecif_sa_by_spi_rcu(struct net *net, __be32 spi);
struct ipsecif_sa *ipsecif_rx_sa_by_spi_rcu(struct net *net, __be32 spi);
void ipsecif_sa_put(struct ipsecif_sa *sa);
static inline void ipsecif_sa_hold(struct ipsecif_sa *sa)
{
	refcount_inc(&sa->refcnt);
}

/* The last sequence number sent. Without ESN the counter may have been
 * pushed past 2^32 - 1 by the packets that found the SA exhausted.
 */
static inline u64 ipsecif_sa_last_seq(struct ipsecif_sa *sa)
{
	u64 seq = atomic64_read(&sa->seq_out);

	if (sa->flags & IPSECIF_SA_F_ESN)
		return seq;
	return min_t(u64, seq, U32_MAX);
}

/* The highest sequence number received: the top of the replay window. */
static inline u64 ipsecif_sa_top_seq(struct ipsecif_sa *sa)
{
	u64 top;

	spin_lock_bh(&sa->replay_lock);
	top = sa->replay->top;
	spin_unlock_bh(&sa->replay_lock);
	return top;
}

int ipsecif_sa_update(struct net *net, struct nlattr **tb,
		      struct netlink_ext_ack *extack);
bool ipsecif_sa_lft_account(struct ipsecif_sa *sa, unsigned int bytes);

/* Counts a packet of @bytes against the lifetimes of @sa; false when the SA
 * has expired (hard) and the packet must be dropped.
 */
static inline bool ipsecif_sa_lft_ok(struct ipsecif_sa *sa, unsigned int bytes)
{
	if (unlikely(test_bit(IPSECIF_SA_HARD, &sa->expired)))
		return false;
	if (!READ_ONCE(sa->lft_counting))
		return true;
	return ipsecif_sa_lft_account(sa, bytes);
}

void ipsecif_sa_count(struct ipsecif_sa *sa, unsigned int bytes);
void ipsecif_sa_drop(struct ipsecif_sa *sa, enum ipsecif_drop_reason why);
void ipsecif_sa_read_stats(struct ipsecif_sa *sa, u64 *packets, u64 *bytes,
			   u64 drops[IPSECIF_DROP_MAX]);
void ipsecif_net_flush(struct net *net);
void ipsecif_sa_wait_all_freed(void);

/* protect.c */
int ipsecif_protect_set(struct ipsecif_dev *ipsecif, struct nlattr **tb,
			struct nlattr *nest, struct netlink_ext_ack *extack);
int ipsecif_protect_del(struct ipsecif_dev *ipsecif, struct nlattr **tb,
			struct netlink_ext_ack *extack);
void ipsecif_protect_flush(struct ipsecif_dev *ipsecif);
void ipsecif_protect_forget_underlay(struct ipsecif_dev *ipsecif);
void ipsecif_protect_release_sa(struct ipsecif_sa *sa);
int ipsecif_protect_sa_path_change(struct ipsecif_sa *sa,
				   const struct ipsecif_sa_path *path,
				   struct netlink_ext_ack *extack);
void ipsecif_update_carrier(struct ipsecif_dev *ipsecif);
struct ipsecif_protect *ipsecif_protect_for_skb(struct ipsecif_dev *ipsecif,
						struct sk_buff *skb);

/* spd.c */
int ipsecif_spd_init(void);
void ipsecif_spd_exit(void);
void ipsecif_spd_net_exit(struct net *net);
struct ipsecif_spd *ipsecif_spd_by_id(struct net *net, u32 id);
int ipsecif_spd_create(struct net *net, u32 id, struct netlink_ext_ack *extack);
int ipsecif_spd_delete(struct net *net, u32 id, struct netlink_ext_ack *extack);
int ipsecif_spd_attach(struct ipsecif_spd *spd, struct net_device *dev,
		       struct netlink_ext_ack *extack);
int ipsecif_spd_detach(struct net_device *dev, struct ipsecif_spd *spd,
		       struct netlink_ext_ack *extack);
typedef int (*ipsecif_dev_fn_t)(struct net_device *dev, void *arg);
int ipsecif_spd_for_each_dev(struct ipsecif_spd *spd, ipsecif_dev_fn_t fn,
			     void *arg);
int ipsecif_policy_add(struct ipsecif_spd *spd, struct nlattr **tb,
		       struct netlink_ext_ack *extack);
int ipsecif_policy_del(struct ipsecif_spd *spd, struct nlattr **tb,
		       struct netlink_ext_ack *extack);
void ipsecif_spd_read_stats(struct ipsecif_spd *spd,
			    u64 drops[IPSECIF_SPD_DROP_MAX]);
void ipsecif_counters_read(struct ipsecif_counters __percpu *c, u64 *packets,
			   u64 *bytes);
void ipsecif_counters_add(struct ipsecif_counters __percpu *c,
			  unsigned int bytes);
struct ipsecif_spd *ipsecif_spd_of_dev_rcu(const struct net_device *dev);
struct ipsecif_policy *ipsecif_spd_lookup(struct ipsecif_spd *spd,
					  const struct ipsecif_flow_key *key);
struct ipsecif_policy *ipsecif_sa_in_policy(struct ipsecif_sa *sa,
					    struct ipsecif_spd *spd,
					    const struct ipsecif_flow_key *key);
void ipsecif_spd_drop(struct ipsecif_spd *spd,
		      enum ipsecif_spd_drop_reason why);

/* netfilter.c */
int ipsecif_nf_register(struct net *net);
void ipsecif_nf_unregister(struct net *net);
void ipsecif_spd_esp_input(struct sk_buff *skb, struct ipsecif_sa *sa,
			   sa_family_t family);

/* output.c */
struct ipsecif_crypto_ctx;
typedef void (*ipsecif_crypto_done_t)(struct ipsecif_crypto_ctx *ctx, int err);
netdev_tx_t ipsecif_xmit(struct sk_buff *skb, struct net_device *dev);
void ipsecif_auto_mtu(struct ipsecif_dev *ipsecif, struct ipsecif_sa *sa);
struct ipsecif_crypto_ctx *ipsecif_esp_ctx_new(struct ipsecif_sa *sa,
					       unsigned int len);
unsigned int ipsecif_sa_overhead(const struct ipsecif_sa *sa,
				 sa_family_t family, bool udp);
int ipsecif_esp_seal(struct ipsecif_crypto_ctx *ctx, struct sk_buff *skb,
		     unsigned int hdr_len, u8 nexthdr, unsigned int headroom,
		     ipsecif_crypto_done_t done);
void ipsecif_inner_fields(struct sk_buff *skb, struct ipsecif_crypto_ctx *ctx,
			  const struct ipsecif_sa_path *path);
struct dst_entry *ipsecif_route_outer(struct net *net,
				      struct ipsecif_crypto_ctx *ctx, u32 mark);

/* crypto.c */
int ipsecif_crypto_init(void);
void ipsecif_crypto_exit(void);
int ipsecif_crypto_run(struct ipsecif_crypto_ctx *ctx, bool encrypt);
int ipsecif_crypto_cb_cpu(void);

/* input.c */
int ipsecif_input_init(void);
void ipsecif_input_exit(void);
void ipsecif_input_decrypt(struct sk_buff *skb, struct ipsecif_sa *sa,
			   ipsecif_crypto_done_t done);
int ipsecif_input_verify(struct ipsecif_crypto_ctx *ctx, int err,
			 unsigned int *pad_len);
void ipsecif_rx_drop(struct ipsecif_sa *sa, struct sk_buff *skb,
		     enum ipsecif_drop_reason why);
int ipsecif_strip_tunnel(struct sk_buff *skb, struct ipsecif_sa *sa,
			 int next_hdr, unsigned int pad_len);

/* netlink.c */
int ipsecif_genl_init(void);
void ipsecif_genl_exit(void);
void ipsecif_nl_notify_sa(struct ipsecif_sa *sa, u8 cmd);
void ipsecif_nl_sa_event(struct ipsecif_sa *sa, u8 cmd, u8 event, u8 limit);
void ipsecif_nl_notify_protect(struct ipsecif_dev *ipsecif,
			       const struct ipsecif_protect *p, u8 cmd);
void ipsecif_nl_notify_spd(struct net *net, u32 id, int ifindex, u8 cmd);
void ipsecif_nl_notify_policy(struct ipsecif_spd *spd,
			      const struct ipsecif_policy *pol, u8 cmd);

/* encap.c: UDP encapsulation (NAT traversal) */
int ipsecif_encap_get(struct net *net, sa_family_t family, __be16 port,
		      struct netlink_ext_ack *extack);
void ipsecif_encap_put(struct net *net, sa_family_t family, __be16 port);
void ipsecif_encap_net_exit(struct net *net);

#endif /* _NET_IPSECIF_H */
