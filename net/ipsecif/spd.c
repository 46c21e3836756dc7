// SPDX-License-Identifier: GPL-2.0
/*
 * Security policy databases (RFC 4301 section 4.4.1): SPDs, their ordered
 * policies, their attachment to interfaces, and the per-packet decision.
 *
 * Each SPD orders the policies of a direction by priority, descending, the
 * older first among equals. A decision is made once per flow and kept in a
 * per-CPU, direct-mapped flow cache whose entries carry the SPD's
 * generation number, which every change of the SPD's policies increments,
 * so a change invalidates the whole cache at once. A policy found in an
 * entry of the current generation is still linked, and the RCU read side
 * the caller holds keeps it alive.
 *
 * To decide for a new flow without walking every policy, the policies
 * whose remote selector is one prefix (a host, a network) are hashed by
 * that prefix, a tuple space over the remote address: one hash probe per
 * prefix length in use finds the first match among them, and a walk of the
 * other policies (ranges, "any") the first among those; the earlier of the
 * two in match order decides.
 *
 * The datapath itself (netfilter hooks, ESP in policy mode) is netfilter.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/rtnetlink.h>
#include <net/netlink.h>

#include "ipsecif.h"

#define IPSECIF_FLOW_CACHE_BITS 8

struct ipsecif_flow {
	struct ipsecif_flow_key key;
	u32 gen;
	struct ipsecif_policy *policy;	/* NULL: no policy matched */
};

struct ipsecif_flow_cache {
	struct ipsecif_flow flows[1 << IPSECIF_FLOW_CACHE_BITS];
};

/* An interface with an SPD. */
struct ipsecif_spd_attach {
	struct hlist_node node;		/* ipsecif_net.spd_devs, RCU */
	struct net_device *dev;		/* detached when it unregisters */
	struct ipsecif_spd *spd;
	struct rcu_head rcu;
};

static u32 ipsecif_flow_seed __read_mostly;

void ipsecif_counters_add(struct ipsecif_counters __percpu *c,
			  unsigned int bytes)
{
	struct ipsecif_counters *s = this_cpu_ptr(c);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_inc(&s->packets);
	u64_stats_add(&s->bytes, bytes);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

void ipsecif_counters_read(struct ipsecif_counters __percpu *c, u64 *packets,
			   u64 *bytes)
{
	int cpu;

	*packets = 0;
	*bytes = 0;
	for_each_possible_cpu(cpu) {
		const struct ipsecif_counters *s = per_cpu_ptr(c, cpu);
		unsigned int start;
		u64 p, b;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			p = u64_stats_read(&s->packets);
			b = u64_stats_read(&s->bytes);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		*packets += p;
		*bytes += b;
	}
}

void ipsecif_spd_drop(struct ipsecif_spd *spd, enum ipsecif_spd_drop_reason why)
{
	struct ipsecif_spd_stats *s = this_cpu_ptr(spd->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_inc(&s->drops[why]);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

void ipsecif_spd_read_stats(struct ipsecif_spd *spd,
			    u64 drops[IPSECIF_SPD_DROP_MAX])
{
	int cpu, i;

	memset(drops, 0, sizeof(u64) * IPSECIF_SPD_DROP_MAX);
	for_each_possible_cpu(cpu) {
		const struct ipsecif_spd_stats *s = per_cpu_ptr(spd->stats, cpu);
		u64 v[IPSECIF_SPD_DROP_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < IPSECIF_SPD_DROP_MAX; i++)
				v[i] = u64_stats_read(&s->drops[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < IPSECIF_SPD_DROP_MAX; i++)
			drops[i] += v[i];
	}
}

/* Matching */

static int ipsecif_ukey_cmp(const struct ipsecif_ukey *a,
			    const struct ipsecif_ukey *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

static bool ipsecif_ukey_in(const struct ipsecif_ukey *k,
			    const struct ipsecif_ukey *start,
			    const struct ipsecif_ukey *end)
{
	return ipsecif_ukey_cmp(k, start) >= 0 && ipsecif_ukey_cmp(k, end) <= 0;
}

static bool ipsecif_proto_has_ports(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return true;
	}
	return false;
}

static bool ipsecif_ports_any(const struct ipsecif_policy *p)
{
	return p->lport_start == 0 && p->lport_end == U16_MAX &&
	       p->rport_start == 0 && p->rport_end == U16_MAX;
}

static bool ipsecif_policy_matches(const struct ipsecif_policy *p,
				   const struct ipsecif_flow_key *key)
{
	if (p->family && p->family != key->family)
		return false;
	if (p->proto && p->proto != key->proto)
		return false;
	if (p->family &&
	    (!ipsecif_ukey_in(&key->local, &p->local_start, &p->local_end) ||
	     !ipsecif_ukey_in(&key->remote, &p->remote_start, &p->remote_end)))
		return false;
	if (ipsecif_ports_any(p))
		return true;
	/* Only a policy for any port matches a packet without ports. */
	if (key->opaque)
		return false;
	return key->lport >= p->lport_start && key->lport <= p->lport_end &&
	       key->rport >= p->rport_start && key->rport <= p->rport_end;
}

/* The prefix lengths an address of @family can have: 32 or 128, plus 0. */
static unsigned int ipsecif_max_plen(u8 family)
{
	return family == AF_INET ? 32 : 128;
}

/* A mask of the @n low bits, 0 <= @n <= 64. */
static u64 ipsecif_low_bits(unsigned int n)
{
	return n >= 64 ? U64_MAX : (1ULL << n) - 1;
}

/* @k with the bits past @plen cleared (@set: set). */
static struct ipsecif_ukey ipsecif_ukey_mask(const struct ipsecif_ukey *k,
					     u8 family, unsigned int plen,
					     bool set)
{
	struct ipsecif_ukey m = *k;
	u64 hi_host, lo_host;

	if (family == AF_INET) {
		hi_host = 0;
		lo_host = ipsecif_low_bits(32 - plen);
	} else if (plen <= 64) {
		hi_host = ipsecif_low_bits(64 - plen);
		lo_host = U64_MAX;
	} else {
		hi_host = 0;
		lo_host = ipsecif_low_bits(128 - plen);
	}
	if (set) {
		m.hi |= hi_host;
		m.lo |= lo_host;
	} else {
		m.hi &= ~hi_host;
		m.lo &= ~lo_host;
	}
	return m;
}

/* The prefix length of @p's remote range, or -1 if it is no prefix. */
static int ipsecif_remote_plen(const struct ipsecif_policy *p)
{
	unsigned int plen, max = ipsecif_max_plen(p->family);
	struct ipsecif_ukey m;

	if (!p->family)
		return -1;
	for (plen = 0; plen <= max; plen++) {
		m = ipsecif_ukey_mask(&p->remote_start, p->family, plen, false);
		if (ipsecif_ukey_cmp(&m, &p->remote_start))
			continue;
		m = ipsecif_ukey_mask(&p->remote_start, p->family, plen, true);
		if (!ipsecif_ukey_cmp(&m, &p->remote_end))
			return plen;
	}
	return -1;
}

static u32 ipsecif_index_hash(const struct ipsecif_ukey *prefix, u8 family,
			      unsigned int plen)
{
	return jhash_3words(jhash_2words(upper_32_bits(prefix->hi),
					 lower_32_bits(prefix->hi),
					 ipsecif_flow_seed),
			    upper_32_bits(prefix->lo), lower_32_bits(prefix->lo),
			    family << 8 | plen) &
	       ((1 << IPSECIF_SPD_INDEX_BITS) - 1);
}

/* Whether @a comes before @b in match order. */
static bool ipsecif_policy_before(const struct ipsecif_policy *a,
				  const struct ipsecif_policy *b)
{
	return a->priority > b->priority ||
	       (a->priority == b->priority && a->order < b->order);
}

static struct ipsecif_policy *ipsecif_spd_walk(struct ipsecif_spd *spd,
					       const struct ipsecif_flow_key *key)
{
	unsigned int fam = key->family == AF_INET6, plen;
	struct ipsecif_policy *p, *best = NULL;
	struct ipsecif_ukey prefix;
	struct hlist_head *head;

	list_for_each_entry_rcu(p, &spd->rest[key->dir], rest_node) {
		if (ipsecif_policy_matches(p, key)) {
			best = p;
			break;
		}
	}
	for_each_set_bit(plen, spd->plens[key->dir][fam],
			 ipsecif_max_plen(key->family) + 1) {
		prefix = ipsecif_ukey_mask(&key->remote, key->family, plen,
					   false);
		head = &spd->index[key->dir][ipsecif_index_hash(&prefix,
								key->family,
								plen)];
		hlist_for_each_entry_rcu(p, head, index_node) {
			/* A bucket is in match order too. */
			if (best && !ipsecif_policy_before(p, best))
				break;
			if (p->remote_plen == plen && p->family == key->family &&
			    !ipsecif_ukey_cmp(&p->remote_start, &prefix) &&
			    ipsecif_policy_matches(p, key)) {
				best = p;
				break;
			}
		}
	}
	return best;
}

/* The first policy of @spd matching @key, or NULL; under RCU. */
struct ipsecif_policy *ipsecif_spd_lookup(struct ipsecif_spd *spd,
					  const struct ipsecif_flow_key *key)
{
	u32 hash = jhash2((const u32 *)key, sizeof(*key) / sizeof(u32),
			  ipsecif_flow_seed);
	/* Pairs with the release in ipsecif_spd_changed(): a walk that
	 * starts after reading a generation sees that generation's lists.
	 */
	u32 gen = smp_load_acquire(&spd->gen);
	struct ipsecif_policy *policy;
	struct ipsecif_flow *flow;

	local_bh_disable();
	flow = &this_cpu_ptr(spd->cache)->flows[hash &
		((1 << IPSECIF_FLOW_CACHE_BITS) - 1)];
	if (flow->gen == gen && !memcmp(&flow->key, key, sizeof(*key))) {
		policy = flow->policy;
	} else {
		policy = ipsecif_spd_walk(spd, key);
		flow->key = *key;
		flow->policy = policy;
		flow->gen = gen;
	}
	local_bh_enable();
	return policy;
}

/* An inbound protect policy of @spd with @sa (@key NULL), or the first
 * such that matches @key; NULL if none. Under RCU.
 */
struct ipsecif_policy *ipsecif_sa_in_policy(struct ipsecif_sa *sa,
					    struct ipsecif_spd *spd,
					    const struct ipsecif_flow_key *key)
{
	struct ipsecif_policy *p;

	list_for_each_entry_rcu(p, &sa->spd_in, sa_list)
		if (p->spd == spd && (!key || ipsecif_policy_matches(p, key)))
			return p;
	return NULL;
}

/* After any change of @spd's lists: a new generation, so that no cached
 * decision of an older one is used again.
 */
static void ipsecif_spd_changed(struct ipsecif_spd *spd)
{
	u32 gen = spd->gen + 1;

	/* 0 is the generation of never-used cache entries. */
	smp_store_release(&spd->gen, gen ?: 1);
}

/* SPD objects */

struct ipsecif_spd *ipsecif_spd_by_id(struct net *net, u32 id)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct ipsecif_spd *spd;

	ASSERT_RTNL();
	hash_for_each_possible(in->spds, spd, node, id)
		if (spd->id == id)
			return spd;
	return NULL;
}

static void ipsecif_spd_free(struct ipsecif_spd *spd)
{
	kvfree(spd->index[0]);
	kvfree(spd->index[1]);
	free_percpu(spd->cache);
	free_percpu(spd->stats);
	kfree(spd);
}

int ipsecif_spd_create(struct net *net, u32 id, struct netlink_ext_ack *extack)
{
	struct ipsecif_spd *spd;
	int dir;

	ASSERT_RTNL();
	if (ipsecif_spd_by_id(net, id)) {
		NL_SET_ERR_MSG(extack, "ipsecif: an SPD with this id exists");
		return -EEXIST;
	}
	spd = kzalloc(sizeof(*spd), GFP_KERNEL);
	if (!spd)
		return -ENOMEM;
	spd->cache = alloc_percpu(struct ipsecif_flow_cache);
	spd->stats = netdev_alloc_pcpu_stats(struct ipsecif_spd_stats);
	for (dir = 0; dir < ARRAY_SIZE(spd->index); dir++) {
		spd->index[dir] = kvcalloc(1 << IPSECIF_SPD_INDEX_BITS,
					   sizeof(struct hlist_head),
					   GFP_KERNEL);
		INIT_LIST_HEAD(&spd->policies[dir]);
		INIT_LIST_HEAD(&spd->rest[dir]);
	}
	if (!spd->cache || !spd->stats || !spd->index[0] || !spd->index[1]) {
		ipsecif_spd_free(spd);
		return -ENOMEM;
	}
	spd->id = id;
	spd->net = net;
	spd->gen = 1;
	hash_add(ipsecif_net(net)->spds, &spd->node, id);
	return 0;
}

static void ipsecif_policy_free_rcu(struct rcu_head *head)
{
	struct ipsecif_policy *p = container_of(head, struct ipsecif_policy,
						rcu);

	if (p->sa)
		ipsecif_sa_put(p->sa);
	free_percpu(p->stats);
	kfree(p);
}

static void ipsecif_policy_unlink(struct ipsecif_policy *p)
{
	struct ipsecif_spd *spd = p->spd;
	unsigned int fam = p->family == AF_INET6;

	list_del_rcu(&p->list);
	if (p->remote_plen >= 0) {
		hlist_del_rcu(&p->index_node);
		if (!--spd->plen_users[p->dir][fam][p->remote_plen])
			clear_bit(p->remote_plen, spd->plens[p->dir][fam]);
	} else {
		list_del_rcu(&p->rest_node);
	}
	if (p->sa) {
		if (p->dir == IPSECIF_POLICY_IN)
			list_del_rcu(&p->sa_list);
		p->sa->policy_users--;
	}
	p->spd->n_policies--;
	call_rcu(&p->rcu, ipsecif_policy_free_rcu);
}

static void ipsecif_spd_free_rcu(struct rcu_head *head)
{
	ipsecif_spd_free(container_of(head, struct ipsecif_spd, rcu));
}

static void ipsecif_spd_destroy(struct ipsecif_spd *spd)
{
	struct ipsecif_policy *p, *tmp;
	int dir;

	for (dir = 0; dir < ARRAY_SIZE(spd->policies); dir++)
		list_for_each_entry_safe(p, tmp, &spd->policies[dir], list)
			ipsecif_policy_unlink(p);
	hash_del(&spd->node);
	call_rcu(&spd->rcu, ipsecif_spd_free_rcu);
}

int ipsecif_spd_delete(struct net *net, u32 id, struct netlink_ext_ack *extack)
{
	struct ipsecif_spd *spd;

	ASSERT_RTNL();
	spd = ipsecif_spd_by_id(net, id);
	if (!spd) {
		NL_SET_ERR_MSG(extack, "ipsecif: no SPD with this id");
		return -ENOENT;
	}
	if (spd->n_attached) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: the SPD is attached to an interface; detach it first");
		return -EBUSY;
	}
	ipsecif_spd_destroy(spd);
	return 0;
}

/* Attachments */

static struct ipsecif_spd_attach *ipsecif_attach_of(const struct net_device *dev)
{
	struct ipsecif_net *in = ipsecif_net(dev_net(dev));
	struct ipsecif_spd_attach *a;

	hash_for_each_possible_rcu(in->spd_devs, a, node, dev->ifindex,
				   lockdep_rtnl_is_held())
		if (a->dev == dev)
			return a;
	return NULL;
}

/* The SPD attached to @dev, or NULL; under RCU. */
struct ipsecif_spd *ipsecif_spd_of_dev_rcu(const struct net_device *dev)
{
	struct ipsecif_spd_attach *a = ipsecif_attach_of(dev);

	return a ? a->spd : NULL;
}

int ipsecif_spd_attach(struct ipsecif_spd *spd, struct net_device *dev,
		       struct netlink_ext_ack *extack)
{
	struct ipsecif_net *in = ipsecif_net(dev_net(dev));
	struct ipsecif_spd_attach *a;
	int ret;

	ASSERT_RTNL();
	if (ipsecif_attach_of(dev)) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: the interface already has an SPD attached");
		return -EBUSY;
	}
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	if (!in->n_attached) {
		ret = ipsecif_nf_register(dev_net(dev));
		if (ret) {
			NL_SET_ERR_MSG(extack,
				       "ipsecif: cannot register the netfilter hooks");
			kfree(a);
			return ret;
		}
	}
	in->n_attached++;
	spd->n_attached++;
	a->dev = dev;
	a->spd = spd;
	hash_add_rcu(in->spd_devs, &a->node, dev->ifindex);
	return 0;
}

static void ipsecif_attach_remove(struct ipsecif_spd_attach *a)
{
	struct net *net = dev_net(a->dev);
	struct ipsecif_net *in = ipsecif_net(net);

	hash_del_rcu(&a->node);
	a->spd->n_attached--;
	if (!--in->n_attached)
		ipsecif_nf_unregister(net);
	kfree_rcu(a, rcu);
}

int ipsecif_spd_detach(struct net_device *dev, struct ipsecif_spd *spd,
		       struct netlink_ext_ack *extack)
{
	struct ipsecif_spd_attach *a;

	ASSERT_RTNL();
	a = ipsecif_attach_of(dev);
	if (!a) {
		NL_SET_ERR_MSG(extack, "ipsecif: the interface has no SPD attached");
		return -ENOENT;
	}
	if (spd && a->spd != spd) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: another SPD is attached to the interface");
		return -ENOENT;
	}
	ipsecif_attach_remove(a);
	return 0;
}

/* Calls @fn for each interface @spd is attached to, until it fails. */
int ipsecif_spd_for_each_dev(struct ipsecif_spd *spd, ipsecif_dev_fn_t fn,
			     void *arg)
{
	struct ipsecif_net *in = ipsecif_net(spd->net);
	struct ipsecif_spd_attach *a;
	int bkt, ret;

	ASSERT_RTNL();
	hash_for_each(in->spd_devs, bkt, a, node) {
		if (a->spd != spd)
			continue;
		ret = fn(a->dev, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/* The netns goes: its attachments, hooks and SPDs with it. */
void ipsecif_spd_net_exit(struct net *net)
{
	struct ipsecif_net *in = ipsecif_net(net);
	struct ipsecif_spd_attach *a;
	struct ipsecif_spd *spd;
	struct hlist_node *tmp;
	int bkt;

	rtnl_lock();
	hash_for_each_safe(in->spd_devs, bkt, tmp, a, node)
		ipsecif_attach_remove(a);
	hash_for_each_safe(in->spds, bkt, tmp, spd, node)
		ipsecif_spd_destroy(spd);
	rtnl_unlock();
}

static int ipsecif_spd_netdev_event(struct notifier_block *nb,
				    unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct ipsecif_spd_attach *a;

	/* Also sent when the interface moves to another netns. */
	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	a = ipsecif_attach_of(dev);
	if (a)
		ipsecif_attach_remove(a);
	return NOTIFY_DONE;
}

static struct notifier_block ipsecif_spd_notifier = {
	.notifier_call = ipsecif_spd_netdev_event,
};

/* Policies */

static void ipsecif_ukey_from_nla(const struct nlattr *attr,
				  struct ipsecif_ukey *k)
{
	const u8 *b = nla_data(attr);

	if (nla_len(attr) == 4) {
		k->hi = 0;
		k->lo = get_unaligned_be32(b);
	} else {
		k->hi = get_unaligned_be64(b);
		k->lo = get_unaligned_be64(b + 8);
	}
}

/* One address range of a policy: END defaults to START; a missing range
 * is any. Records the family in @family (0 so far: any).
 */
static int ipsecif_policy_range(struct nlattr **tb, int start_type,
				int end_type, struct ipsecif_ukey *start,
				struct ipsecif_ukey *end, u8 *family,
				struct netlink_ext_ack *extack)
{
	struct nlattr *s = tb[start_type], *e = tb[end_type] ?: s;
	u8 f;

	if (!s) {
		if (e) {
			NL_SET_ERR_MSG_ATTR(extack, e,
					    "ipsecif: a range end without its start");
			return -EINVAL;
		}
		start->hi = 0;
		start->lo = 0;
		end->hi = U64_MAX;
		end->lo = U64_MAX;
		return 0;
	}
	if (nla_len(s) != nla_len(e)) {
		NL_SET_ERR_MSG_ATTR(extack, e,
				    "ipsecif: selector addresses of mixed families");
		return -EINVAL;
	}
	f = nla_len(s) == 4 ? AF_INET : AF_INET6;
	if (*family && *family != f) {
		NL_SET_ERR_MSG_ATTR(extack, s,
				    "ipsecif: selector addresses of mixed families");
		return -EINVAL;
	}
	*family = f;
	ipsecif_ukey_from_nla(s, start);
	ipsecif_ukey_from_nla(e, end);
	if (ipsecif_ukey_cmp(start, end) > 0) {
		NL_SET_ERR_MSG_ATTR(extack, e,
				    "ipsecif: the address range ends below its start");
		return -EINVAL;
	}
	return 0;
}

static int ipsecif_policy_ports(struct nlattr **tb, int start_type,
				int end_type, u16 *start, u16 *end,
				struct netlink_ext_ack *extack)
{
	struct nlattr *s = tb[start_type], *e = tb[end_type];

	if (!s && e) {
		NL_SET_ERR_MSG_ATTR(extack, e,
				    "ipsecif: a range end without its start");
		return -EINVAL;
	}
	*start = s ? nla_get_u16(s) : 0;
	*end = e ? nla_get_u16(e) : s ? *start : U16_MAX;
	if (*start > *end) {
		NL_SET_ERR_MSG_ATTR(extack, e,
				    "ipsecif: the port range ends below its start");
		return -EINVAL;
	}
	return 0;
}

/* A full and valid ipsecif_policy from @tb, with the SA it names found but
 * not yet held.
 */
static int ipsecif_policy_parse(struct net *net, struct nlattr **tb,
				struct ipsecif_policy *p, bool del,
				struct netlink_ext_ack *extack)
{
	struct nlattr *sa_attr = tb[IPSECIF_POLICY_A_SA_ID];
	int ret;

	if (!tb[IPSECIF_POLICY_A_PRIORITY] || !tb[IPSECIF_POLICY_A_DIR] ||
	    (!del && !tb[IPSECIF_POLICY_A_ACTION])) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: a policy needs a priority, a direction and an action");
		return -EINVAL;
	}
	p->priority = nla_get_s32(tb[IPSECIF_POLICY_A_PRIORITY]);
	p->dir = nla_get_u8(tb[IPSECIF_POLICY_A_DIR]);
	p->action = tb[IPSECIF_POLICY_A_ACTION] ?
		    nla_get_u8(tb[IPSECIF_POLICY_A_ACTION]) : 0;
	p->proto = tb[IPSECIF_POLICY_A_PROTO] ?
		   nla_get_u8(tb[IPSECIF_POLICY_A_PROTO]) : 0;

	p->family = 0;
	ret = ipsecif_policy_range(tb, IPSECIF_POLICY_A_LOCAL_START,
				   IPSECIF_POLICY_A_LOCAL_END, &p->local_start,
				   &p->local_end, &p->family, extack) ?:
	      ipsecif_policy_range(tb, IPSECIF_POLICY_A_REMOTE_START,
				   IPSECIF_POLICY_A_REMOTE_END, &p->remote_start,
				   &p->remote_end, &p->family, extack) ?:
	      ipsecif_policy_ports(tb, IPSECIF_POLICY_A_LPORT_START,
				   IPSECIF_POLICY_A_LPORT_END, &p->lport_start,
				   &p->lport_end, extack) ?:
	      ipsecif_policy_ports(tb, IPSECIF_POLICY_A_RPORT_START,
				   IPSECIF_POLICY_A_RPORT_END, &p->rport_start,
				   &p->rport_end, extack);
	if (ret)
		return ret;
	/* A family-less range is "any" of both families: widen IPv4's. */
	if (p->family == AF_INET) {
		if (!tb[IPSECIF_POLICY_A_LOCAL_START]) {
			p->local_end.hi = 0;
			p->local_end.lo = U32_MAX;
		}
		if (!tb[IPSECIF_POLICY_A_REMOTE_START]) {
			p->remote_end.hi = 0;
			p->remote_end.lo = U32_MAX;
		}
	}
	if (!ipsecif_ports_any(p) && !ipsecif_proto_has_ports(p->proto)) {
		NL_SET_ERR_MSG(extack,
			       "ipsecif: port ranges need proto tcp, udp, sctp, icmp or ipv6-icmp");
		return -EINVAL;
	}

	p->sa = NULL;
	if (del)
		return 0;
	if (p->action == IPSECIF_POLICY_RESOLVE) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_POLICY_A_ACTION],
				    "ipsecif: action resolve is not supported; add the SA and a protect policy");
		return -EOPNOTSUPP;
	}
	if (p->action != IPSECIF_POLICY_PROTECT) {
		if (sa_attr) {
			NL_SET_ERR_MSG_ATTR(extack, sa_attr,
					    "ipsecif: only protect policies take an SA");
			return -EINVAL;
		}
		return 0;
	}
	if (!sa_attr) {
		NL_SET_ERR_MSG(extack, "ipsecif: a protect policy needs an SA");
		return -EINVAL;
	}
	p->sa = ipsecif_sa_by_id(net, nla_get_u32(sa_attr));
	if (!p->sa) {
		NL_SET_ERR_MSG_ATTR(extack, sa_attr, "ipsecif: no SA with this id");
		return -ENOENT;
	}
	return 0;
}

/* Same direction, priority and selectors. Both ends of every range count
 * (unlike VPP's ipsec_policy_is_equal, which compares one end twice).
 */
static bool ipsecif_policy_same(const struct ipsecif_policy *a,
				const struct ipsecif_policy *b)
{
	return a->dir == b->dir && a->priority == b->priority &&
	       a->family == b->family && a->proto == b->proto &&
	       !ipsecif_ukey_cmp(&a->local_start, &b->local_start) &&
	       !ipsecif_ukey_cmp(&a->local_end, &b->local_end) &&
	       !ipsecif_ukey_cmp(&a->remote_start, &b->remote_start) &&
	       !ipsecif_ukey_cmp(&a->remote_end, &b->remote_end) &&
	       a->lport_start == b->lport_start && a->lport_end == b->lport_end &&
	       a->rport_start == b->rport_start && a->rport_end == b->rport_end;
}

static struct ipsecif_policy *ipsecif_policy_find(struct ipsecif_spd *spd,
						  const struct ipsecif_policy *key)
{
	struct ipsecif_policy *p;

	list_for_each_entry(p, &spd->policies[key->dir], list)
		if (ipsecif_policy_same(p, key))
			return p;
	return NULL;
}

/* Puts the new @p in the datapath's view of @spd, behind every policy of a
 * higher or equal priority (all of them older).
 */
static void ipsecif_policy_index(struct ipsecif_spd *spd,
				 struct ipsecif_policy *p)
{
	unsigned int fam = p->family == AF_INET6;
	struct ipsecif_policy *pos, *last = NULL;
	struct ipsecif_ukey prefix;
	struct hlist_head *head;

	p->remote_plen = ipsecif_remote_plen(p);
	if (p->remote_plen < 0) {
		list_for_each_entry(pos, &spd->rest[p->dir], rest_node)
			if (pos->priority < p->priority)
				break;
		list_add_tail_rcu(&p->rest_node, &pos->rest_node);
		return;
	}
	prefix = ipsecif_ukey_mask(&p->remote_start, p->family, p->remote_plen,
				   false);
	head = &spd->index[p->dir][ipsecif_index_hash(&prefix, p->family,
						      p->remote_plen)];
	hlist_for_each_entry(pos, head, index_node) {
		if (pos->priority < p->priority) {
			hlist_add_before_rcu(&p->index_node, &pos->index_node);
			goto added;
		}
		last = pos;
	}
	if (last)
		hlist_add_behind_rcu(&p->index_node, &last->index_node);
	else
		hlist_add_head_rcu(&p->index_node, head);
added:
	if (!spd->plen_users[p->dir][fam][p->remote_plen]++)
		set_bit(p->remote_plen, spd->plens[p->dir][fam]);
}

int ipsecif_policy_add(struct ipsecif_spd *spd, struct nlattr **tb,
		       struct netlink_ext_ack *extack)
{
	struct ipsecif_policy *p, *pos;
	struct list_head *head;
	int ret;

	ASSERT_RTNL();
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	ret = ipsecif_policy_parse(spd->net, tb, p, false, extack);
	if (ret)
		goto err;
	if (p->sa && p->sa->owner) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_POLICY_A_SA_ID],
				    "ipsecif: the SA is used by a protection");
		ret = -EBUSY;
		goto err;
	}
	if (p->sa && rtnl_dereference(p->sa->path)->encap) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IPSECIF_POLICY_A_SA_ID],
				    "ipsecif: SAs of policies cannot be UDP-encapsulated");
		ret = -EOPNOTSUPP;
		goto err;
	}
	if (ipsecif_policy_find(spd, p)) {
		NL_SET_ERR_MSG(extack, "ipsecif: an identical policy exists");
		ret = -EEXIST;
		goto err;
	}
	p->stats = netdev_alloc_pcpu_stats(struct ipsecif_counters);
	if (!p->stats) {
		ret = -ENOMEM;
		goto err;
	}
	p->spd = spd;
	p->order = spd->next_order++;

	/* Behind every policy of a higher or equal priority. */
	head = &spd->policies[p->dir];
	list_for_each_entry(pos, head, list)
		if (pos->priority < p->priority)
			break;
	list_add_tail_rcu(&p->list, &pos->list);
	ipsecif_policy_index(spd, p);
	if (p->sa) {
		ipsecif_sa_hold(p->sa);
		p->sa->policy_users++;
		if (p->dir == IPSECIF_POLICY_IN)
			list_add_tail_rcu(&p->sa_list, &p->sa->spd_in);
	}
	spd->n_policies++;
	ipsecif_spd_changed(spd);
	ipsecif_nl_notify_policy(spd, p, IPSECIF_CMD_POLICY_NEW);
	return 0;

err:
	kfree(p);
	return ret;
}

int ipsecif_policy_del(struct ipsecif_spd *spd, struct nlattr **tb,
		       struct netlink_ext_ack *extack)
{
	struct ipsecif_policy key = {}, *p;
	int ret;

	ASSERT_RTNL();
	ret = ipsecif_policy_parse(spd->net, tb, &key, true, extack);
	if (ret)
		return ret;
	p = ipsecif_policy_find(spd, &key);
	if (p && tb[IPSECIF_POLICY_A_ACTION] && p->action != key.action)
		p = NULL;
	if (p && tb[IPSECIF_POLICY_A_SA_ID] &&
	    (!p->sa || p->sa->id != nla_get_u32(tb[IPSECIF_POLICY_A_SA_ID])))
		p = NULL;
	if (!p) {
		NL_SET_ERR_MSG(extack, "ipsecif: no such policy");
		return -ENOENT;
	}
	ipsecif_nl_notify_policy(spd, p, IPSECIF_CMD_POLICY_DEL);
	ipsecif_policy_unlink(p);
	ipsecif_spd_changed(spd);
	return 0;
}

int __init ipsecif_spd_init(void)
{
	ipsecif_flow_seed = get_random_u32();
	return register_netdevice_notifier(&ipsecif_spd_notifier);
}

void ipsecif_spd_exit(void)
{
	unregister_netdevice_notifier(&ipsecif_spd_notifier);
}
