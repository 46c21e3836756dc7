/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ipsecif: route-based IPsec interfaces and policy (SPD) mode for Linux.
 *
 * Documentation
 * =============
 *
 * Two netlink interfaces configure ipsecif.
 *
 * 1. rtnetlink, for the interfaces themselves
 * --------------------------------------------
 *
 * An ipsecif interface is created, changed and deleted with RTM_NEWLINK /
 * RTM_DELLINK, IFLA_INFO_KIND "ipsecif" (IPSECIF_LINK_KIND), exactly like
 * any other virtual link ("ip link add ipsec0 type ipsecif"); the module is
 * autoloaded through its "rtnl-link-ipsecif" alias. IFLA_INFO_DATA holds:
 *
 *    IFLA_IPSECIF_MODE:    NLA_U32, enum ipsecif_mode; default
 *                          IPSECIF_MODE_P2P. Fixed at creation: a change
 *                          request with a different mode fails (EOPNOTSUPP).
 *    IFLA_IPSECIF_LOCAL:   NLA_EXACT_LEN 4, struct in_addr (network order)
 *    IFLA_IPSECIF_REMOTE:  NLA_EXACT_LEN 4, struct in_addr
 *    IFLA_IPSECIF_LOCAL6:  NLA_EXACT_LEN 16, struct in6_addr
 *    IFLA_IPSECIF_REMOTE6: NLA_EXACT_LEN 16, struct in6_addr
 *                          Optional, p2p only, both of one family or none:
 *                          the interface then adds an IP-in-IP outer header
 *                          from LOCAL to REMOTE itself and its SAs are
 *                          transport mode ("ipip interface + transport SA").
 *                          Without them the tunnel-mode SA supplies the outer
 *                          header. Neither may be unspecified or multicast,
 *                          and they must differ.
 *    IFLA_IPSECIF_TABLE:   NLA_U32, routing table for outer (underlay)
 *                          packets; 0 (default) uses the ordinary routing
 *                          rules of the underlay netns. Stored and
 *                          reported; this version does not use it in
 *                          lookups yet (FWMARK with an "ip rule fwmark"
 *                          selects a table meanwhile).
 *    IFLA_IPSECIF_FWMARK:  NLA_U32, fwmark set on outer packets and used in
 *                          their route lookup; 0 (default) for none.
 *
 * RTM_NEWLINK with NLM_F_CREATE validates every attribute before anything is
 * created; an invalid request fails with EINVAL (or the errno named above)
 * and an extack message naming the attribute, and creates nothing. A change
 * request (RTM_NEWLINK on an existing ipsecif, "ip link set ... type ipsecif")
 * may change LOCAL/REMOTE, TABLE and FWMARK; attributes it leaves out keep
 * their value. To remove LOCAL/REMOTE, delete and re-create the interface.
 *
 * The netns in which an interface is created is its underlay: outer packets
 * are routed, sent and received there even after the interface is moved to
 * another netns (IFLA_NET_NS_FD). It is reported as IFLA_LINK_NETNSID. When the
 * underlay netns is deleted while the interface lives on elsewhere, the
 * interface loses its carrier and drops all traffic until it is deleted.
 *
 * 2. Generic netlink family IPSECIF_GENL_NAME, version IPSECIF_GENL_VERSION
 * -------------------------------------------------------------------------
 *
 * For SAs, protections, SPDs and policies. All objects are per network
 * namespace: the netns of the requesting socket. Every request that changes
 * state needs CAP_NET_ADMIN in the user namespace owning that netns
 * (GENL_UNS_ADMIN_PERM); so does reading key material: a dump by a caller
 * without it carries no key attributes. Each command's attributes are
 * validated with an nla_policy before anything changes; a request that fails
 * changes nothing and answers NLMSG_ERROR with an errno and, where the cause
 * is more specific than the errno, an extack message (NLMSGERR_ATTR_MSG)
 * and the offending attribute (NLMSGERR_ATTR_OFFS).
 *
 * IPSECIF_CMD_SA_NEW (NLM_F_REQUEST, admin)
 *    Adds one SA, described by IPSECIF_A_SA (nested, enum ipsecif_sa_attr):
 *
 *    IPSECIF_SA_A_ID:             NLA_U32, the user's name for it, unique per
 *                                 netns; required.
 *    IPSECIF_SA_A_SPI:            NLA_U32 (host order), non-zero; required.
 *                                 No two SAs of a netns may share an SPI.
 *    IPSECIF_SA_A_MODE:           NLA_U8, enum ipsecif_sa_mode; default tunnel.
 *    IPSECIF_SA_A_SRC, _DST:      NLA_EXACT_LEN 4 (IPv4) or use _SRC6/_DST6,
 *    IPSECIF_SA_A_SRC6, _DST6:    NLA_EXACT_LEN 16 (IPv6): tunnel endpoints,
 *                                 required for, and only for, tunnel mode.
 *    IPSECIF_SA_A_AEAD:           NLA_NESTED, enum ipsecif_alg_attr: NAME,
 *                                 KEY (key followed by the 4-byte salt), ICV_LEN
 *                                 in bits: as "ip xfrm state ... aead".
 *    IPSECIF_SA_A_ENC:            NLA_NESTED, enum ipsecif_alg_attr: NAME, KEY
 *                                 (no ICV_LEN: EINVAL).
 *    IPSECIF_SA_A_AUTH:           NLA_NESTED, enum ipsecif_alg_attr: NAME, KEY,
 *                                 and optionally ICV_LEN (truncation, bits) as
 *                                 "auth-trunc"; without it Linux xfrm's default
 *                                 truncation applies ("auth": 96 bits for
 *                                 hmac(sha1) and hmac(sha256), 192 for
 *                                 hmac(sha384), 256 for hmac(sha512)).
 *                                 Either AEAD alone, or ENC with or without
 *                                 AUTH; ENC ecb(cipher_null) needs AUTH.
 *    IPSECIF_SA_A_FLAGS:          NLA_U32, IPSECIF_SA_F_*:
 *                                 ESN: 64-bit sequence numbers (RFC 4304),
 *                                 the high half inferred on receive (RFC
 *                                 4303 App. A). The others choose the outer
 *                                 header fields (tunnel mode and the ipip
 *                                 model alike). By default the inner DSCP
 *                                 is copied out, ECN follows RFC 6040 (normal
 *                                 mode on encapsulation, CE copied in and
 *                                 Not-ECT+CE dropped on decapsulation), the
 *                                 outer IPv4 DF is the inner one (set for
 *                                 inner IPv6) and the IPv6 flow label is 0.
 *                                 DONT_ENCAP_DSCP: outer DSCP is
 *                                 IPSECIF_SA_A_DSCP instead. DECAP_DSCP: the
 *                                 outer DSCP is copied into the inner header
 *                                 on receive. NO_ECN: outer ECN is Not-ECT
 *                                 and ignored on receive. DF_SET / DF_CLEAR
 *                                 (not both): outer DF always set / clear.
 *                                 COPY_FLOWLABEL: the inner IPv6 flow label
 *                                 goes out (0 for inner IPv4).
 *                                 PARALLEL: packets are sealed and opened on
 *                                 every CPU (padata) and still sent and
 *                                 delivered in order; more throughput per
 *                                 flow, a little more latency. ESN and
 *                                 PARALLEL are fixed when the SA is added.
 *    IPSECIF_SA_A_DSCP:           NLA_U8, at most 63: the outer DSCP with
 *                                 DONT_ENCAP_DSCP; default 0.
 *    IPSECIF_SA_A_TTL:            NLA_U8: outer TTL / hop limit; 0 (default)
 *                                 takes the underlay route's.
 *    IPSECIF_SA_A_REPLAY_WINDOW:  NLA_U32, packets, at most 4096; default 64;
 *                                 0 disables anti-replay.
 *    IPSECIF_SA_A_ENCAP:          NLA_NESTED, enum ipsecif_encap_attr:
 *                                 UDP encapsulation (NAT traversal, RFC
 *                                 3948): TYPE 2 (UDP_ENCAP_ESPINUDP), SPORT
 *                                 and DPORT (non-zero, host order), the UDP
 *                                 ports of the packets this SA carries. TX:
 *                                 ESP goes in UDP from SPORT to DPORT (UDP
 *                                 checksum 0 over IPv4, computed over IPv6,
 *                                 RFC 6935). RX: while the SA is in a
 *                                 protection's RX set, a kernel UDP socket
 *                                 of the underlay netns receives on DPORT;
 *                                 keepalives (one 0xff byte) are dropped,
 *                                 non-ESP-marker (IKE) packets are left to
 *                                 user sockets. When a user socket (an IKE
 *                                 daemon) already holds DPORT with
 *                                 UDP_ENCAP_ESPINUDP set, ESP reaches
 *                                 ipsecif through it instead; a port held
 *                                 without UDP_ENCAP is refused (EADDRINUSE).
 *                                 An SA with ENCAP receives only
 *                                 UDP-encapsulated ESP, one without only
 *                                 plain ESP. Not for SAs of SPD policies.
 *    IPSECIF_SA_A_SEQ_OUT:        NLA_U64, the last sequence number already
 *                                 sent (default 0: the first packet carries
 *                                 1), to carry an SA over from elsewhere.
 *                                 Without ESN at most 2^32 - 1; an SA that
 *                                 has sent 2^32 - 1 stops (RFC 4303 3.3.3).
 *                                 Reported by SA_GET.
 *    IPSECIF_SA_A_SEQ_IN:         NLA_U64, the highest sequence number
 *                                 already received (default 0): it and all
 *                                 before it count as seen, the replay
 *                                 window starts there,
 *                                 and ESN inference from its 2^32 subspace.
 *                                 To carry an SA over from elsewhere, and
 *                                 for tests of the ESN wrap. Without ESN at
 *                                 most 2^32 - 1. Reported by SA_GET (the
 *                                 window's top).
 *    IPSECIF_SA_A_LIFETIME_SOFT,
 *    IPSECIF_SA_A_LIFETIME_HARD:  NLA_NESTED, enum ipsecif_lifetime_attr:
 *                                 BYTES (of inner packets), PACKETS, SECONDS
 *                                 (since the SA was added); absent or 0 means
 *                                 no limit. Reaching a soft limit sends
 *                                 IPSECIF_CMD_SA_EXPIRE (EVENT soft); the
 *                                 hard limit does too (EVENT hard) and stops
 *                                 the SA: it then neither sends nor receives
 *                                 (drops counted as DROP_EXPIRED) until it
 *                                 is deleted. A packet limit of N lets N
 *                                 packets through; a byte limit stops the
 *                                 SA at the first packet after N bytes.
 *                                 Each event is sent once per SA.
 *
 * IPSECIF_CMD_SA_DEL (NLM_F_REQUEST, admin)
 *    IPSECIF_A_SA with IPSECIF_SA_A_ID. Fails with EBUSY (and a message
 *    naming the user) while a protection or a policy uses the SA; ENOENT if
 *    there is none.
 *
 * IPSECIF_CMD_SA_GET (NLM_F_REQUEST [| NLM_F_DUMP])
 *    With IPSECIF_A_SA/IPSECIF_SA_A_ID: that SA; with NLM_F_DUMP: every SA
 *    of the netns, one per message (command IPSECIF_CMD_SA_GET). Replies
 *    carry ID, SPI, MODE, FLAGS, REPLAY_WINDOW, the endpoints and algorithms
 *    (keys only for CAP_NET_ADMIN) and IPSECIF_SA_A_STATS (nested, enum
 *    ipsecif_stats_attr, NLA_U64 counters: packets and bytes of inner data
 *    sent or received, drops by reason, and LOST, the sequence numbers that
 *    left the replay window without ever arriving), the configured ENCAP,
 *    LIFETIME_*, DSCP and TTL, LIFETIME_CUR (what the lifetimes count so
 *    far: BYTES, PACKETS, SECONDS since the SA was added) and EXPIRED
 *    (enum ipsecif_sa_expired).
 *
 * IPSECIF_CMD_SA_UPDATE (NLM_F_REQUEST, admin)
 *    IPSECIF_A_SA with ID and what changes on the live SA; the rest, its
 *    sequence numbers and replay window included, stays. May change: the
 *    tunnel endpoints (SRC/DST or SRC6/DST6, tunnel mode; a NAT rebinding),
 *    ENCAP (a nest with TYPE 0 removes it), LIFETIME_SOFT/HARD (a given nest
 *    replaces the old limits; lifetimes count on from what they counted),
 *    the FLAGS other than ESN, DSCP and TTL. SPI, MODE, the algorithms and
 *    keys, ESN, REPLAY_WINDOW and SEQ_OUT never change in place (EINVAL,
 *    "cannot change on a live SA"): rekey with a new SA instead.
 *
 * IPSECIF_CMD_SA_FLUSH (NLM_F_REQUEST, admin)
 *    Deletes every SA of the netns. If any SA is in use by a protection or
 *    a policy, fails with EBUSY and deletes nothing.
 *
 * IPSECIF_CMD_PROTECT_SET (NLM_F_REQUEST, admin)
 *    IPSECIF_A_IFINDEX or IPSECIF_A_IFNAME selects an ipsecif interface;
 *    IPSECIF_A_PROTECT (nested, enum ipsecif_protect_attr) holds the optional
 *    PEER (NLA_EXACT_LEN 4 or 16 as PEER/PEER6: p2mp only, required there),
 *    TX_SA (NLA_U32 SA id) and RX_SA (NLA_U32, repeated up to
 *    IPSECIF_MAX_RX_SA times). Replaces the whole protection of that peer
 *    atomically; SAs keep their sequence numbers and replay windows.
 *
 *    Refused: a p2p request with a peer, a p2mp one without; an SA that
 *    does not exist or is used by another protection (EBUSY); an SA in
 *    transport mode on an interface without local/remote; an RX SA whose
 *    SPI another netns's SA already receives in the same underlay netns
 *    (EEXIST). On an interface with local/remote, a transport-mode SA gives
 *    one encapsulation (the interface's IP-in-IP header, then ESP: on the
 *    wire the same as a tunnel-mode SA from local to remote), a tunnel-mode
 *    SA two (the IP-in-IP packet carried in ESP tunnel mode between the
 *    SA's endpoints). A p2p interface has a carrier while its protection
 *    has a TX SA; with its TX SA set, a p2p interface whose MTU was never
 *    set by the user takes the underlay route's MTU minus the SA's
 *    worst-case overhead.
 *
 * IPSECIF_CMD_PROTECT_DEL (NLM_F_REQUEST, admin)
 *    The interface and IPSECIF_A_PROTECT with the peer (an empty nest for
 *    p2p); ENOENT if there is no such protection.
 *
 * IPSECIF_CMD_PROTECT_GET (NLM_F_DUMP)
 *    Every protection of the netns's ipsecif interfaces, or of the one named
 *    by IPSECIF_A_IFINDEX/IFNAME, one per message: IPSECIF_A_IFINDEX,
 *    IPSECIF_A_IFNAME and IPSECIF_A_PROTECT (PEER/PEER6 for p2mp, TX_SA if
 *    set, one RX_SA per RX SA). An interface named that does not exist is
 *    ENODEV, one that is not an ipsecif EOPNOTSUPP (not an empty dump).
 *
 * IPSECIF_CMD_SPD_NEW (NLM_F_REQUEST, admin)
 *    IPSECIF_A_SPD (nested, enum ipsecif_spd_attr) with ID (NLA_U32, unique
 *    per netns; EEXIST if taken). A new SPD has no policies and is attached
 *    to no interface.
 *
 * IPSECIF_CMD_SPD_DEL (NLM_F_REQUEST, admin)
 *    IPSECIF_A_SPD/ID. Deletes the SPD and its policies; fails with EBUSY
 *    while it is attached to an interface, ENOENT if there is none.
 *
 * IPSECIF_CMD_SPD_GET (NLM_F_REQUEST [| NLM_F_DUMP])
 *    With IPSECIF_A_SPD/ID: that SPD; with NLM_F_DUMP: every SPD of the
 *    netns. Replies carry ID, POLICIES (NLA_U32, how many), one IFINDEX
 *    (NLA_U32) per attached interface and STATS (nested, enum
 *    ipsecif_spd_stats_attr, NLA_U64 drop counters).
 *
 * IPSECIF_CMD_SPD_ATTACH (NLM_F_REQUEST, admin)
 *    IPSECIF_A_SPD/ID and an interface of any type (IPSECIF_A_IFINDEX or
 *    IPSECIF_A_IFNAME) of the netns. An interface has at most one SPD:
 *    attaching to one that has an SPD fails with EBUSY. The attachment ends
 *    when the interface is unregistered or leaves the netns.
 *
 * IPSECIF_CMD_SPD_DETACH (NLM_F_REQUEST, admin)
 *    The interface; IPSECIF_A_SPD/ID is optional and, if present, must be
 *    the attached SPD (else ENOENT). ENOENT if the interface has no SPD.
 *    For ATTACH and DETACH, no interface named is EINVAL, a missing one
 *    ENODEV.
 *
 * IPSECIF_CMD_POLICY_NEW (NLM_F_REQUEST, admin)
 *    IPSECIF_A_SPD/ID and IPSECIF_A_POLICY (nested, enum
 *    ipsecif_policy_attr):
 *
 *    PRIORITY (NLA_S32), DIR, ACTION: required. Policies of one direction
 *    are matched from the highest priority down; among equal priorities the
 *    older policy is matched first.
 *    SA_ID: required for, and only for, ACTION protect; the SA must exist
 *    and must not be in a protection. One SA may serve several policies.
 *    IPSECIF_POLICY_RESOLVE is refused with EOPNOTSUPP.
 *    Selectors, each absent meaning "any":
 *    PROTO:                  IP protocol (NLA_U8); 0 is any.
 *    LOCAL_START, LOCAL_END,
 *    REMOTE_START, REMOTE_END: an inclusive address range, 4 or 16 bytes;
 *                            END defaults to START. All addresses given must
 *                            be of one family; the policy then matches only
 *                            that family, else both.
 *    LPORT_*, RPORT_*:       inclusive port ranges (NLA_U16), END defaulting
 *                            to START, for PROTO tcp, udp or sctp. With PROTO
 *                            icmp or ipv6-icmp, LPORT is the ICMP type and
 *                            RPORT the code (as in Linux xfrm selectors).
 *    "Local" is the source of an outbound packet and the destination of an
 *    inbound one; "remote" the other end.
 *    Refused (EINVAL): a range whose end is below its start, addresses of
 *    mixed families, ports without such a PROTO. EEXIST: a policy with the
 *    same direction, priority and selectors exists.
 *
 * IPSECIF_CMD_POLICY_DEL (NLM_F_REQUEST, admin)
 *    IPSECIF_A_SPD/ID and IPSECIF_A_POLICY with the DIR, PRIORITY and
 *    selectors of the policy (ACTION and SA_ID, if given, must match too).
 *    ENOENT if no policy is identical.
 *
 * IPSECIF_CMD_POLICY_GET (NLM_F_DUMP)
 *    IPSECIF_A_SPD/ID required: its policies, inbound then outbound, each in
 *    match order, one per message carrying IPSECIF_A_SPD/ID and
 *    IPSECIF_A_POLICY with every attribute set and STATS (nested, enum
 *    ipsecif_stats_attr: PACKETS and BYTES the policy matched).
 *
 * Policy processing (RFC 4301 section 5), on each interface with an SPD:
 *    Outbound (leaving the interface, forwarded or local): the first
 *    matching outbound policy decides: bypass sends, discard drops, protect
 *    encrypts with its SA (transport mode: ESP inserted after the IP header
 *    and the IPv6 extension headers that precede fragmentation; tunnel
 *    mode: a new outer header from the SA's src to its dst, routed again).
 *    No match: dropped. ESP produced this way is not matched again.
 *    Inbound (arriving on the interface, after reassembly): ESP whose SPI is
 *    an SA of one of the SPD's inbound protect policies is accepted and
 *    decrypted; the decrypted packet must match an inbound protect policy of
 *    that SA in that SPD, else it is dropped (STATS IN_SELECTOR). Any other
 *    packet, ESP included, meets the inbound policies: the first match
 *    decides: bypass accepts, discard drops, protect drops (plaintext where
 *    protection is required: IN_PLAINTEXT). No match: dropped.
 *
 * Multicast group IPSECIF_MCGRP_MONITOR
 *    Notifications of the netns, as they happen, with the attributes of the
 *    matching GET reply (never keys): SA_NEW, SA_UPDATE, SA_DEL (one per SA
 *    of an SA_FLUSH); PROTECT_SET, PROTECT_DEL; SPD_NEW, SPD_DEL,
 *    SPD_ATTACH, SPD_DETACH (IPSECIF_A_SPD/ID and IPSECIF_A_IFINDEX);
 *    POLICY_NEW, POLICY_DEL. And:
 *    IPSECIF_CMD_SA_EXPIRE: a lifetime was reached: IPSECIF_A_SA with ID,
 *    SPI, EVENT (soft or hard) and EVENT_LIMIT (the enum
 *    ipsecif_lifetime_attr of the limit: BYTES, PACKETS or SECONDS).
 *    IPSECIF_CMD_SA_ERROR: packets failed the replay check or integrity
 *    verification: IPSECIF_A_SA with ID, SPI, EVENT (replay or integrity)
 *    and STATS; at most one per SA and kind per second.
 *
 * Dumps end with NLMSG_DONE carrying zero or a negative errno. Commands and
 * attributes not listed as implemented by the running module answer
 * EOPNOTSUPP; new attributes are only ever appended.
 */

#ifndef _UAPI_LINUX_IPSECIF_H
#define _UAPI_LINUX_IPSECIF_H

#include <linux/types.h>

#define IPSECIF_LINK_KIND	"ipsecif"
#define IPSECIF_GENL_NAME	"ipsecif"
#define IPSECIF_GENL_VERSION	1
#define IPSECIF_MCGRP_MONITOR	"monitor"

#define IPSECIF_MAX_RX_SA	4

/* rtnetlink: IFLA_INFO_DATA of kind "ipsecif" */
enum ipsecif_mode {
	IPSECIF_MODE_P2P,
	IPSECIF_MODE_P2MP,
	__IPSECIF_MODE_MAX
};
#define IPSECIF_MODE_MAX (__IPSECIF_MODE_MAX - 1)

enum {
	IFLA_IPSECIF_UNSPEC,
	IFLA_IPSECIF_MODE,
	IFLA_IPSECIF_LOCAL,
	IFLA_IPSECIF_REMOTE,
	IFLA_IPSECIF_LOCAL6,
	IFLA_IPSECIF_REMOTE6,
	IFLA_IPSECIF_TABLE,
	IFLA_IPSECIF_FWMARK,
	__IFLA_IPSECIF_MAX
};
#define IFLA_IPSECIF_MAX (__IFLA_IPSECIF_MAX - 1)

/* generic netlink */
enum ipsecif_cmd {
	IPSECIF_CMD_UNSPEC,
	IPSECIF_CMD_SA_NEW,
	IPSECIF_CMD_SA_DEL,
	IPSECIF_CMD_SA_GET,
	IPSECIF_CMD_SA_FLUSH,
	IPSECIF_CMD_PROTECT_SET,
	IPSECIF_CMD_PROTECT_DEL,
	IPSECIF_CMD_PROTECT_GET,
	IPSECIF_CMD_SPD_NEW,
	IPSECIF_CMD_SPD_DEL,
	IPSECIF_CMD_SPD_GET,
	IPSECIF_CMD_SPD_ATTACH,
	IPSECIF_CMD_SPD_DETACH,
	IPSECIF_CMD_POLICY_NEW,
	IPSECIF_CMD_POLICY_DEL,
	IPSECIF_CMD_POLICY_GET,
	IPSECIF_CMD_SA_EXPIRE,
	IPSECIF_CMD_SA_ERROR,
	IPSECIF_CMD_SA_UPDATE,
	__IPSECIF_CMD_MAX
};
#define IPSECIF_CMD_MAX (__IPSECIF_CMD_MAX - 1)

enum ipsecif_attr {
	IPSECIF_A_UNSPEC,
	IPSECIF_A_IFINDEX,
	IPSECIF_A_IFNAME,
	IPSECIF_A_SA,
	IPSECIF_A_PROTECT,
	IPSECIF_A_SPD,
	IPSECIF_A_POLICY,
	__IPSECIF_A_MAX
};
#define IPSECIF_A_MAX (__IPSECIF_A_MAX - 1)

enum ipsecif_sa_mode {
	IPSECIF_SA_MODE_TUNNEL,
	IPSECIF_SA_MODE_TRANSPORT,
};

enum ipsecif_sa_flags {
	IPSECIF_SA_F_ESN		= 1U << 0,
	IPSECIF_SA_F_DECAP_DSCP		= 1U << 1,
	IPSECIF_SA_F_NO_ECN		= 1U << 2,
	IPSECIF_SA_F_DONT_ENCAP_DSCP	= 1U << 3,
	IPSECIF_SA_F_DF_SET		= 1U << 4,
	IPSECIF_SA_F_DF_CLEAR		= 1U << 5,
	IPSECIF_SA_F_COPY_FLOWLABEL	= 1U << 6,
	IPSECIF_SA_F_PARALLEL		= 1U << 7,
};

/* IPSECIF_SA_A_EXPIRED */
enum ipsecif_sa_expired {
	IPSECIF_SA_LIVE,
	IPSECIF_SA_SOFT_EXPIRED,	/* a soft limit was reached */
	IPSECIF_SA_HARD_EXPIRED,	/* stopped */
};

/* IPSECIF_SA_A_EVENT, in SA_EXPIRE and SA_ERROR notifications */
enum ipsecif_sa_event {
	IPSECIF_SA_EVENT_SOFT,
	IPSECIF_SA_EVENT_HARD,
	IPSECIF_SA_EVENT_REPLAY,
	IPSECIF_SA_EVENT_INTEGRITY,
};

enum ipsecif_sa_attr {
	IPSECIF_SA_A_UNSPEC,
	IPSECIF_SA_A_ID,
	IPSECIF_SA_A_SPI,
	IPSECIF_SA_A_MODE,
	IPSECIF_SA_A_SRC,
	IPSECIF_SA_A_DST,
	IPSECIF_SA_A_SRC6,
	IPSECIF_SA_A_DST6,
	IPSECIF_SA_A_AEAD,
	IPSECIF_SA_A_ENC,
	IPSECIF_SA_A_AUTH,
	IPSECIF_SA_A_FLAGS,
	IPSECIF_SA_A_REPLAY_WINDOW,
	IPSECIF_SA_A_ENCAP,
	IPSECIF_SA_A_LIFETIME_SOFT,
	IPSECIF_SA_A_LIFETIME_HARD,
	IPSECIF_SA_A_STATS,
	IPSECIF_SA_A_SEQ_OUT,
	IPSECIF_SA_A_PAD,
	IPSECIF_SA_A_DSCP,		/* NLA_U8 */
	IPSECIF_SA_A_TTL,		/* NLA_U8 */
	IPSECIF_SA_A_LIFETIME_CUR,	/* NLA_NESTED, read-only */
	IPSECIF_SA_A_EXPIRED,		/* NLA_U8, read-only */
	IPSECIF_SA_A_EVENT,		/* NLA_U8, notifications only */
	IPSECIF_SA_A_EVENT_LIMIT,	/* NLA_U8, notifications only */
	IPSECIF_SA_A_SEQ_IN,		/* NLA_U64 */
	__IPSECIF_SA_A_MAX
};
#define IPSECIF_SA_A_MAX (__IPSECIF_SA_A_MAX - 1)

enum ipsecif_alg_attr {
	IPSECIF_ALG_A_UNSPEC,
	IPSECIF_ALG_A_NAME,	/* NLA_NUL_STRING, crypto API name */
	IPSECIF_ALG_A_KEY,	/* NLA_BINARY */
	IPSECIF_ALG_A_ICV_LEN,	/* NLA_U32, bits */
	__IPSECIF_ALG_A_MAX
};
#define IPSECIF_ALG_A_MAX (__IPSECIF_ALG_A_MAX - 1)

enum ipsecif_encap_attr {
	IPSECIF_ENCAP_A_UNSPEC,
	IPSECIF_ENCAP_A_TYPE,	/* NLA_U8, 2 = espinudp (UDP_ENCAP_ESPINUDP);
				 * 0: no encapsulation; any other: EINVAL
				 */
	IPSECIF_ENCAP_A_SPORT,	/* NLA_U16, host order */
	IPSECIF_ENCAP_A_DPORT,	/* NLA_U16, host order */
	__IPSECIF_ENCAP_A_MAX
};
#define IPSECIF_ENCAP_A_MAX (__IPSECIF_ENCAP_A_MAX - 1)

enum ipsecif_lifetime_attr {
	IPSECIF_LIFETIME_A_UNSPEC,
	IPSECIF_LIFETIME_A_BYTES,	/* NLA_U64 */
	IPSECIF_LIFETIME_A_PACKETS,	/* NLA_U64 */
	IPSECIF_LIFETIME_A_SECONDS,	/* NLA_U64 */
	IPSECIF_LIFETIME_A_PAD,
	__IPSECIF_LIFETIME_A_MAX
};
#define IPSECIF_LIFETIME_A_MAX (__IPSECIF_LIFETIME_A_MAX - 1)

enum ipsecif_stats_attr {
	IPSECIF_STATS_A_UNSPEC,
	IPSECIF_STATS_A_PAD,
	IPSECIF_STATS_A_PACKETS,
	IPSECIF_STATS_A_BYTES,
	IPSECIF_STATS_A_DROP_REPLAY,
	IPSECIF_STATS_A_DROP_INTEGRITY,
	IPSECIF_STATS_A_DROP_TRAILER,
	IPSECIF_STATS_A_DROP_NEXTHDR,
	IPSECIF_STATS_A_DROP_RUNT,
	IPSECIF_STATS_A_DROP_NO_PROTECT,
	IPSECIF_STATS_A_DROP_SEQ_EXHAUSTED,
	IPSECIF_STATS_A_DROP_CRYPTO,
	IPSECIF_STATS_A_DROP_EXPIRED,
	IPSECIF_STATS_A_LOST,
	__IPSECIF_STATS_A_MAX
};
#define IPSECIF_STATS_A_MAX (__IPSECIF_STATS_A_MAX - 1)

enum ipsecif_protect_attr {
	IPSECIF_PROTECT_A_UNSPEC,
	IPSECIF_PROTECT_A_PEER,		/* NLA_EXACT_LEN 4 */
	IPSECIF_PROTECT_A_PEER6,	/* NLA_EXACT_LEN 16 */
	IPSECIF_PROTECT_A_TX_SA,	/* NLA_U32 */
	IPSECIF_PROTECT_A_RX_SA,	/* NLA_U32, repeated */
	__IPSECIF_PROTECT_A_MAX
};
#define IPSECIF_PROTECT_A_MAX (__IPSECIF_PROTECT_A_MAX - 1)

enum ipsecif_spd_attr {
	IPSECIF_SPD_A_UNSPEC,
	IPSECIF_SPD_A_ID,	/* NLA_U32 */
	IPSECIF_SPD_A_POLICIES,	/* NLA_U32, read-only */
	IPSECIF_SPD_A_IFINDEX,	/* NLA_U32, repeated, read-only */
	IPSECIF_SPD_A_STATS,	/* NLA_NESTED, enum ipsecif_spd_stats_attr */
	__IPSECIF_SPD_A_MAX
};
#define IPSECIF_SPD_A_MAX (__IPSECIF_SPD_A_MAX - 1)

/* Packets an SPD dropped other than by a discard policy's match. */
enum ipsecif_spd_stats_attr {
	IPSECIF_SPD_STATS_A_UNSPEC,
	IPSECIF_SPD_STATS_A_PAD,
	IPSECIF_SPD_STATS_A_IN_NO_MATCH,	/* inbound, no policy matched */
	IPSECIF_SPD_STATS_A_OUT_NO_MATCH,	/* outbound, no policy matched */
	IPSECIF_SPD_STATS_A_IN_PLAINTEXT,	/* plaintext met a protect policy */
	IPSECIF_SPD_STATS_A_IN_SELECTOR,	/* decrypted, outside the selectors */
	IPSECIF_SPD_STATS_A_OUT_ERROR,		/* protect failed (no route, memory) */
	__IPSECIF_SPD_STATS_A_MAX
};
#define IPSECIF_SPD_STATS_A_MAX (__IPSECIF_SPD_STATS_A_MAX - 1)

enum ipsecif_policy_dir {
	IPSECIF_POLICY_IN,
	IPSECIF_POLICY_OUT,
};

enum ipsecif_policy_action {
	IPSECIF_POLICY_BYPASS,
	IPSECIF_POLICY_DISCARD,
	IPSECIF_POLICY_PROTECT,
	IPSECIF_POLICY_RESOLVE,
};

enum ipsecif_policy_attr {
	IPSECIF_POLICY_A_UNSPEC,
	IPSECIF_POLICY_A_PRIORITY,	/* NLA_S32, higher first */
	IPSECIF_POLICY_A_DIR,		/* NLA_U8, enum ipsecif_policy_dir */
	IPSECIF_POLICY_A_ACTION,	/* NLA_U8, enum ipsecif_policy_action */
	IPSECIF_POLICY_A_SA_ID,		/* NLA_U32, protect only */
	IPSECIF_POLICY_A_PROTO,		/* NLA_U8, 0 = any */
	IPSECIF_POLICY_A_LOCAL_START,	/* NLA_EXACT_LEN 4 or 16 */
	IPSECIF_POLICY_A_LOCAL_END,
	IPSECIF_POLICY_A_REMOTE_START,
	IPSECIF_POLICY_A_REMOTE_END,
	IPSECIF_POLICY_A_LPORT_START,	/* NLA_U16 */
	IPSECIF_POLICY_A_LPORT_END,
	IPSECIF_POLICY_A_RPORT_START,
	IPSECIF_POLICY_A_RPORT_END,
	IPSECIF_POLICY_A_STATS,		/* NLA_NESTED, enum ipsecif_stats_attr */
	__IPSECIF_POLICY_A_MAX
};
#define IPSECIF_POLICY_A_MAX (__IPSECIF_POLICY_A_MAX - 1)

#endif /* _UAPI_LINUX_IPSECIF_H */
