/* SPDX-License-Identifier: GPL-2.0 */
/* The nla policies of the generic netlink family, for the files that parse
 * the nests they describe.
 */

#ifndef _NET_IPSECIF_NETLINK_H
#define _NET_IPSECIF_NETLINK_H

#include <net/netlink.h>

extern const struct nla_policy ipsecif_alg_policy[];
extern const struct nla_policy ipsecif_sa_policy[];
extern const struct nla_policy ipsecif_protect_policy[];
extern const struct nla_policy ipsecif_encap_policy[];
extern const struct nla_policy ipsecif_lifetime_policy[];

#endif /* _NET_IPSECIF_NETLINK_H */
