// SPDX-License-Identifier: GPL-2.0
/*
 * A fake kernel behind ipsecctl's netlink sockets. The mnl_socket_*() calls
 * of nl.c and monitor.c are wrapped at link time (-Wl,--wrap) into these:
 * a socket is a struct fake_sock, each request is checked as the kernel
 * would parse it and answered with canned replies (interfaces, SAs,
 * protections, SPDs and policies for gets and dumps, an ACK or NLMSG_DONE,
 * or the error the input asks for), and the monitor socket gets one of
 * every notification. The rest of libmnl (building and parsing messages,
 * mnl_cb_run()) is the real one.
 *
 * Two bytes of each input choose the behaviour of the run:
 *
 * byte 0, what request number TARGET of the run (the family lookup counts)
 * gets, all others succeeding:
 *   bits 0-1 OUTCOME: 0 success, 1 an error with an extended ACK message,
 *            2 an error without one, 3 a failure of the exchange
 *   bits 2-3 TARGET, 0 to 3
 *   bits 4-5 VARIANT: the error (EINVAL, EEXIST, ENOENT, and EOPNOTSUPP
 *            with an empty message), or the failure: sendto() fails,
 *            recvfrom() fails, a reply of another sequence number, an
 *            NLMSG_ERROR too short for its struct nlmsgerr; with OUTCOME 0,
 *            1 and 2 make monitor's output fail (EPIPE, ENOSPC)
 *   bit 6    the ACKs of successes carry a warning
 *   bit 7    ACKs quote the whole request, as without NETLINK_CAP_ACK
 *
 * byte 1, the host:
 *   bits 0-1 the ipsecif family: 0 present, 1 missing (module not loaded),
 *            2 answered without an id, 3 without the monitor group
 *   bits 2-3 sockets: 0 fine, 1 socket() fails, 2 bind() fails, 3 joining
 *            a multicast group fails
 *   bit 4    gets and dumps find nothing
 *   bit 5    interfaces are of another kind than ipsecif
 *   bit 6    the monitor socket also overruns, is interrupted and gets a
 *            bad message before it ends
 *   bit 7    one message per recvfrom(), rather than all at once
 *
 * A request that is malformed (lengths, attributes, flags, another family
 * than ipsecif's), a recvfrom() that would block for ever, a socket used
 * after close or closed twice: each is a bug of ipsecctl, and fails the run.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/ipsecif.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/udp.h>

#include <libmnl/libmnl.h>

#include "fuzz.h"
#include "nl.h"

#define FAKE_FAMILY	0x1d	/* the id of the ipsecif family */
#define FAKE_GROUP	6	/* of its monitor group */
#define FAKE_MAX_CHUNKS	64
/* The room one message of a reply takes at most: an ACK quoting a request. */
#define FAKE_MSG_MAX	(NL_MSG_SIZE + 256)
/* The recvfrom() calls of one monitor run, far more than it needs. */
#define FAKE_MONITOR_STEPS	100

enum fake_outcome {
	FAKE_OK,
	FAKE_ERROR_MSG,
	FAKE_ERROR,
	FAKE_TRANSPORT,
};

enum fake_transport {
	FAKE_SEND_FAILS,
	FAKE_RECV_FAILS,
	FAKE_BAD_SEQ,
	FAKE_SHORT_ERROR,
};

enum fake_family {
	FAKE_FAMILY_OK,
	FAKE_FAMILY_MISSING,
	FAKE_FAMILY_NO_ID,
	FAKE_FAMILY_NO_GROUP,
};

enum fake_socket_failure {
	FAKE_SOCKET_OK,
	FAKE_SOCKET_OPEN_FAILS,
	FAKE_SOCKET_BIND_FAILS,
	FAKE_SOCKET_JOIN_FAILS,
};

/* The behaviour of this run, and what it did so far. */
static struct {
	unsigned int outcome;		/* enum fake_outcome */
	unsigned int target;
	unsigned int variant;
	bool warn;
	bool uncapped;
	unsigned int family;		/* enum fake_family */
	unsigned int socket_failure;	/* enum fake_socket_failure */
	bool empty;
	bool not_ipsecif;
	bool noisy_monitor;
	bool split;
	unsigned int requests;
	unsigned int sockets;
} cfg;

static const struct {
	int error;
	const char *msg;
} fake_errors[] = {
	{ EINVAL, "Attribute failed policy validation." },
	{ EEXIST, "an SA with this id exists" },
	{ ENOENT, "no SA with this id" },
	{ EOPNOTSUPP, "" },
};

/*
 * An open socket, and the reply it has queued: the messages in @buf, read
 * in chunks that end at chunk_end[].
 */
struct fake_sock {
	struct fake_sock *next;
	int bus;
	unsigned int portid;
	bool bound;
	bool joined;
	unsigned int monitor_step;
	int recv_error;		/* errno of the next recvfrom(), or 0 */
	size_t len;
	unsigned int nchunks;
	unsigned int chunk;	/* the next to read */
	size_t chunk_end[FAKE_MAX_CHUNKS];
	char buf[NL_RECV_SIZE];
};

/* Where a reply goes, and what its messages say in their header. */
struct reply {
	struct fake_sock *s;
	uint32_t seq;
	uint16_t flags;		/* NLM_F_MULTI in the records of a dump */
};

static struct fake_sock *sockets;

void fake_nl_setup(uint8_t kernel, uint8_t env)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.outcome = kernel & 3;
	cfg.target = kernel >> 2 & 3;
	cfg.variant = kernel >> 4 & 3;
	cfg.warn = kernel & BIT(6);
	cfg.uncapped = kernel & BIT(7);
	cfg.family = env & 3;
	cfg.socket_failure = env >> 2 & 3;
	cfg.empty = env & BIT(4);
	cfg.not_ipsecif = env & BIT(5);
	cfg.noisy_monitor = env & BIT(6);
	cfg.split = env & BIT(7);
}

int fake_nl_stdout_error(void)
{
	const struct fake_sock *s;

	if (cfg.outcome != FAKE_OK || !cfg.variant || cfg.variant > 2)
		return 0;
	for (s = sockets; s; s = s->next)
		if (s->joined)
			return cfg.variant == 1 ? EPIPE : ENOSPC;
	return 0;
}

unsigned int fake_nl_open_sockets(void)
{
	const struct fake_sock *s;
	unsigned int count = 0;

	for (s = sockets; s; s = s->next)
		count++;
	return count;
}

void fake_nl_teardown(void)
{
	struct fake_sock *s;

	while (sockets) {
		s = sockets;
		sockets = s->next;
		free(s);
	}
}

static struct fake_sock *fake(const struct mnl_socket *sock)
{
	struct fake_sock *s;

	for (s = sockets; s; s = s->next)
		if ((const void *)s == (const void *)sock)
			return s;
	fuzz_fail("netlink call on a socket that is not open");
}

/* The messages of a reply */

static void reply_reset(struct fake_sock *s)
{
	memset(s->buf, 0, s->len);
	s->len = 0;
	s->nchunks = 0;
	s->chunk = 0;
	s->recv_error = 0;
}

static struct nlmsghdr *msg_start(const struct reply *r, uint16_t type,
				  uint16_t flags)
{
	struct fake_sock *s = r->s;
	struct nlmsghdr *nlh;

	if (sizeof(s->buf) - s->len < FAKE_MSG_MAX)
		fuzz_fail("fake reply too long");
	nlh = mnl_nlmsg_put_header(s->buf + s->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = r->seq;
	nlh->nlmsg_pid = s->portid;
	return nlh;
}

/* Queues the message: in a chunk of its own, or with the others. */
static void msg_end(const struct reply *r, const struct nlmsghdr *nlh)
{
	struct fake_sock *s = r->s;

	s->len += NLMSG_ALIGN(nlh->nlmsg_len);
	if (s->nchunks && !cfg.split) {
		s->chunk_end[s->nchunks - 1] = s->len;
		return;
	}
	if (s->nchunks == FAKE_MAX_CHUNKS)
		fuzz_fail("fake reply of too many messages");
	s->chunk_end[s->nchunks++] = s->len;
}

static struct nlmsghdr *genl_start(const struct reply *r, uint16_t family,
				   uint8_t cmd)
{
	struct nlmsghdr *nlh = msg_start(r, family, r->flags);
	struct genlmsghdr *genl;

	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = IPSECIF_GENL_VERSION;
	return nlh;
}

static void put_ext_ack(struct nlmsghdr *nlh, const char *msg)
{
	if (!msg)
		return;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
}

/* NLMSG_ERROR: an ACK (@error 0) or an error, quoting @req. */
static void put_ack(const struct reply *r, const struct nlmsghdr *req,
		    int error, const char *msg)
{
	size_t quoted = cfg.uncapped ? req->nlmsg_len : sizeof(*req);
	struct nlmsghdr *nlh = msg_start(r, NLMSG_ERROR, 0);
	struct nlmsgerr *err;

	err = mnl_nlmsg_put_extra_header(nlh, sizeof(err->error) + quoted);
	err->error = error;
	memcpy(&err->msg, req, quoted);
	if (!cfg.uncapped)
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	put_ext_ack(nlh, msg);
	msg_end(r, nlh);
}

static void put_done(const struct reply *r, int error, const char *msg)
{
	struct nlmsghdr *nlh = msg_start(r, NLMSG_DONE, NLM_F_MULTI);
	int *result = mnl_nlmsg_put_extra_header(nlh, sizeof(*result));

	*result = error;
	put_ext_ack(nlh, msg);
	msg_end(r, nlh);
}

/* An NLMSG_ERROR with only the error number: no struct nlmsgerr. */
static void put_short_error(const struct reply *r)
{
	struct nlmsghdr *nlh = msg_start(r, NLMSG_ERROR, 0);
	int *error = mnl_nlmsg_put_extra_header(nlh, sizeof(*error));

	*error = -EINVAL;
	msg_end(r, nlh);
}

/* Whether @req fails, by the input, with an error (not a lost exchange). */
static bool fails(bool hit)
{
	return hit && (cfg.outcome == FAKE_ERROR_MSG ||
		       cfg.outcome == FAKE_ERROR);
}

static bool is_dump(const struct nlmsghdr *req)
{
	return (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

/* Whether @req gets its records: not if it fails, unless it is a dump. */
static bool has_records(const struct nlmsghdr *req, bool hit)
{
	return !cfg.empty && !(fails(hit) && !is_dump(req));
}

/* Ends the reply to @req: its ACK, or the NLMSG_DONE of a dump. */
static void finish(const struct reply *r, const struct nlmsghdr *req,
		   bool hit)
{
	const char *msg = cfg.warn ? "the fake kernel warns" : NULL;
	int error = 0;

	if (hit && cfg.outcome == FAKE_TRANSPORT &&
	    cfg.variant == FAKE_SHORT_ERROR) {
		put_short_error(r);
		return;
	}
	if (fails(hit)) {
		error = -fake_errors[cfg.variant].error;
		msg = cfg.outcome == FAKE_ERROR_MSG ?
		      fake_errors[cfg.variant].msg : NULL;
	}
	if (is_dump(req))
		put_done(r, error, msg);
	else
		put_ack(r, req, error, msg);
}

/* Attributes */

static void put_addr(struct nlmsghdr *nlh, uint16_t type, const char *addr)
{
	uint8_t bytes[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, addr, bytes) != 1)
		fuzz_fail("bad canned address %s", addr);
	mnl_attr_put(nlh, type, family == AF_INET ? 4 : 16, bytes);
}

/* A nest of u64 attributes @first to @last, of values @base times type. */
static void put_u64s(struct nlmsghdr *nlh, uint16_t type, uint16_t first,
		     uint16_t last, uint64_t base)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type | NLA_F_NESTED);
	uint16_t i;

	for (i = first; i <= last; i++)
		mnl_attr_put_u64(nlh, i, base * i);
	mnl_attr_nest_end(nlh, nest);
}

/* The attribute @type at @offset in @nlh, or NULL. */
static const struct nlattr *find_attr(const struct nlmsghdr *nlh,
				      size_t offset, uint16_t type)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, offset)
		if (mnl_attr_get_type(attr) == type)
			return attr;
	return NULL;
}

static const struct nlattr *find_nested(const struct nlattr *nest,
					uint16_t type)
{
	const struct nlattr *attr;

	if (!nest)
		return NULL;
	mnl_attr_for_each_nested(attr, nest)
		if (mnl_attr_get_type(attr) == type)
			return attr;
	return NULL;
}

/* Whether @len bytes at @attrs are whole attributes, nests included. */
static bool attrs_ok(const char *attrs, size_t len)
{
	const struct nlattr *attr;
	size_t off = 0;

	while (off < len) {
		if (len - off < sizeof(*attr))
			return false;
		attr = (const struct nlattr *)(attrs + off);
		if (attr->nla_len < sizeof(*attr) || attr->nla_len > len - off)
			return false;
		if (attr->nla_type & NLA_F_NESTED &&
		    !attrs_ok(attrs + off + NLA_HDRLEN,
			      attr->nla_len - NLA_HDRLEN))
			return false;
		off += NLA_ALIGN(attr->nla_len);
	}
	return true;
}

/* What the kernel would refuse, or never see, in a request. */
static void check_request(const struct fake_sock *s,
			  const struct nlmsghdr *req, size_t len)
{
	size_t hdr = s->bus == NETLINK_ROUTE ? sizeof(struct ifinfomsg) :
		     sizeof(struct genlmsghdr);
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
	const struct genlmsghdr *genl;

	if (!s->bound)
		fuzz_fail("request on a socket that is not bound");
	if (len < sizeof(*req) || len != req->nlmsg_len || len > NL_MSG_SIZE)
		fuzz_fail("request of %zu bytes, nlmsg_len %u", len,
			  len < sizeof(*req) ? 0 : req->nlmsg_len);
	if ((req->nlmsg_flags & flags) != flags)
		fuzz_fail("request without NLM_F_REQUEST | NLM_F_ACK");
	if (mnl_nlmsg_get_payload_len(req) < hdr)
		fuzz_fail("request without its family header");
	if (!attrs_ok(mnl_nlmsg_get_payload_offset(req, hdr),
		      len - NLMSG_HDRLEN - NLMSG_ALIGN(hdr)))
		fuzz_fail("request of malformed attributes");
	if (s->bus == NETLINK_ROUTE)
		return;
	genl = mnl_nlmsg_get_payload(req);
	if (req->nlmsg_type == GENL_ID_CTRL)
		return;
	if (req->nlmsg_type != FAKE_FAMILY)
		fuzz_fail("request to generic netlink family %u, not ipsecif's",
			  req->nlmsg_type);
	if (genl->version != IPSECIF_GENL_VERSION)
		fuzz_fail("ipsecif request of version %u", genl->version);
}

/* rtnetlink */

struct fake_link {
	int index;
	const char *name;
	bool ipsecif;
	bool v6;
	bool netnsid;
	size_t stats_len;	/* of IFLA_STATS64, 0 for none */
};

static void put_link(const struct reply *r, const struct fake_link *l)
{
	/* Room for the counters of a kernel newer than the header. */
	struct rtnl_link_stats64 stats[2] = { {
		.rx_packets = 10, .rx_bytes = 1000,
		.tx_packets = 12, .tx_bytes = 1400, .tx_dropped = 3,
	} };
	struct nlmsghdr *nlh = msg_start(r, RTM_NEWLINK, r->flags);
	struct nlattr *linkinfo, *data;
	struct ifinfomsg *ifi;

	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = l->index;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	/* 9: an operational state newer than ipsecctl */
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, l->v6 ? 9 : IF_OPER_UP);
	mnl_attr_put_u8(nlh, IFLA_CARRIER, !l->v6);
	if (l->netnsid)
		mnl_attr_put_u32(nlh, IFLA_LINK_NETNSID, 3);
	if (l->stats_len)
		mnl_attr_put(nlh, IFLA_STATS64, l->stats_len, stats);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND,
			  l->ipsecif && !cfg.not_ipsecif ? IPSECIF_LINK_KIND :
			  "dummy");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_IPSECIF_MODE,
			 l->v6 ? IPSECIF_MODE_P2MP : IPSECIF_MODE_P2P);
	if (l->v6) {
		put_addr(nlh, IFLA_IPSECIF_LOCAL6, "2001:db8::1");
		put_addr(nlh, IFLA_IPSECIF_REMOTE6, "2001:db8::2");
	} else {
		put_addr(nlh, IFLA_IPSECIF_LOCAL, "192.0.2.1");
		put_addr(nlh, IFLA_IPSECIF_REMOTE, "192.0.2.2");
		mnl_attr_put_u32(nlh, IFLA_IPSECIF_TABLE, 100);
		mnl_attr_put_u32(nlh, IFLA_IPSECIF_FWMARK, 0x10);
	}
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	msg_end(r, nlh);
}

static void answer_rtnl(const struct reply *r, const struct nlmsghdr *req,
			bool hit)
{
	static const struct fake_link links[] = {
		{ 7, "ipsec0", true, false, false,
		  sizeof(struct rtnl_link_stats64) + 8 },
		{ 2, "eth0", false, false, false, 0 },
		{ 9, "hub0", true, true, true, 64 },
		{ 11, "a-name-too-long-for-ifnamsiz", true, false, false, 0 },
	};
	const struct nlattr *name;
	struct fake_link one;
	struct nlmsghdr *nlh;
	size_t i;

	if (req->nlmsg_type == RTM_GETLINK && has_records(req, hit)) {
		if (is_dump(req)) {
			for (i = 0; i < ARRAY_SIZE(links); i++)
				put_link(r, &links[i]);
			/* Too short for its struct ifinfomsg. */
			nlh = msg_start(r, RTM_NEWLINK, r->flags);
			mnl_nlmsg_put_extra_header(nlh, 4);
			msg_end(r, nlh);
		} else {
			name = find_attr(req, sizeof(struct ifinfomsg),
					 IFLA_IFNAME);
			one = links[0];
			one.stats_len = 0;
			if (name &&
			    !mnl_attr_validate(name, MNL_TYPE_NUL_STRING))
				one.name = mnl_attr_get_str(name);
			put_link(r, &one);
		}
	}
	finish(r, req, hit);
}

/* Generic netlink: the family lookup */

static void put_group(struct nlmsghdr *nlh, uint16_t index, uint32_t id,
		      const char *name)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, index);

	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, id);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, name);
	mnl_attr_nest_end(nlh, nest);
}

static void answer_family(const struct reply *r, const struct nlmsghdr *req,
			  bool hit)
{
	const struct nlattr *name;
	struct nlattr *groups;
	struct nlmsghdr *nlh;

	name = find_attr(req, sizeof(struct genlmsghdr), CTRL_ATTR_FAMILY_NAME);
	if (!name || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) ||
	    strcmp(mnl_attr_get_str(name), IPSECIF_GENL_NAME))
		fuzz_fail("lookup of another family than ipsecif");
	if (cfg.family == FAKE_FAMILY_MISSING) {
		put_ack(r, req, -ENOENT, NULL);
		return;
	}
	if (has_records(req, hit)) {
		nlh = genl_start(r, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
		if (cfg.family != FAKE_FAMILY_NO_ID)
			mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAKE_FAMILY);
		mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME,
				  IPSECIF_GENL_NAME);
		mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, IPSECIF_GENL_VERSION);
		groups = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
		put_group(nlh, 1, 5, "other");
		if (cfg.family != FAKE_FAMILY_NO_GROUP)
			put_group(nlh, 2, FAKE_GROUP, IPSECIF_MCGRP_MONITOR);
		mnl_attr_nest_end(nlh, groups);
		msg_end(r, nlh);
	}
	finish(r, req, hit);
}

/* Generic netlink: the ipsecif family */

enum fake_sa {
	FAKE_SA_AEAD,		/* IPv4, AEAD, every option and counter */
	FAKE_SA_ENC_AUTH,	/* IPv6, enc and auth-trunc, no keys shown */
	FAKE_SA_MINIMAL,	/* auth only, values ipsecctl does not know */
	FAKE_SA_LIVE,		/* live, with a hard limit only */
	FAKE_SA_NO_SPI,		/* without its SPI */
	FAKE_SA_EXPIRE,		/* SA_EXPIRE of a soft limit */
	FAKE_SA_EXPIRE_NEW,	/* SA_EXPIRE of an unknown limit */
	FAKE_SA_REPLAY,		/* SA_ERROR with its counters */
	FAKE_SA_INTEGRITY,	/* SA_ERROR without */
};

static void put_alg(struct nlmsghdr *nlh, uint16_t type, const char *name,
		    size_t key_len, uint32_t icv_len)
{
	static const uint8_t key[32] = { 0x6d, 0x1c, 0xe8, 0xa2, 0xf7, 0xb2 };
	struct nlattr *nest = mnl_attr_nest_start(nlh, type | NLA_F_NESTED);

	mnl_attr_put_strz(nlh, IPSECIF_ALG_A_NAME, name);
	if (key_len)
		mnl_attr_put(nlh, IPSECIF_ALG_A_KEY, key_len, key);
	if (icv_len)
		mnl_attr_put_u32(nlh, IPSECIF_ALG_A_ICV_LEN, icv_len);
	mnl_attr_nest_end(nlh, nest);
}

static void put_encap(struct nlmsghdr *nlh, uint8_t type)
{
	struct nlattr *nest;

	nest = mnl_attr_nest_start(nlh, IPSECIF_SA_A_ENCAP | NLA_F_NESTED);
	mnl_attr_put_u8(nlh, IPSECIF_ENCAP_A_TYPE, type);
	if (type) {
		mnl_attr_put_u16(nlh, IPSECIF_ENCAP_A_SPORT, 4500);
		mnl_attr_put_u16(nlh, IPSECIF_ENCAP_A_DPORT, 4501);
	}
	mnl_attr_nest_end(nlh, nest);
}

static void put_sa_attrs(struct nlmsghdr *nlh, enum fake_sa kind)
{
	switch (kind) {
	case FAKE_SA_AEAD:
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_MODE, IPSECIF_SA_MODE_TUNNEL);
		put_addr(nlh, IPSECIF_SA_A_SRC, "192.0.2.1");
		put_addr(nlh, IPSECIF_SA_A_DST, "192.0.2.2");
		put_alg(nlh, IPSECIF_SA_A_AEAD, "rfc4106(gcm(aes))", 20, 128);
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_FLAGS,
				 IPSECIF_SA_F_ESN | IPSECIF_SA_F_DECAP_DSCP |
				 IPSECIF_SA_F_NO_ECN |
				 IPSECIF_SA_F_DONT_ENCAP_DSCP |
				 IPSECIF_SA_F_DF_SET |
				 IPSECIF_SA_F_COPY_FLOWLABEL);
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_DSCP, 46);
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_TTL, 64);
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_REPLAY_WINDOW, 1024);
		mnl_attr_put_u64(nlh, IPSECIF_SA_A_SEQ_OUT, 1ULL << 33);
		/* SEQ_IN where the header has it, else one newer than it. */
		mnl_attr_put_u64(nlh, IPSECIF_SA_A_EVENT_LIMIT + 1, 1ULL << 32);
		put_encap(nlh, UDP_ENCAP_ESPINUDP);
		put_u64s(nlh, IPSECIF_SA_A_LIFETIME_SOFT,
			 IPSECIF_LIFETIME_A_BYTES, IPSECIF_LIFETIME_A_SECONDS,
			 900);
		put_u64s(nlh, IPSECIF_SA_A_LIFETIME_HARD,
			 IPSECIF_LIFETIME_A_BYTES, IPSECIF_LIFETIME_A_SECONDS,
			 0);
		put_u64s(nlh, IPSECIF_SA_A_LIFETIME_CUR,
			 IPSECIF_LIFETIME_A_BYTES, IPSECIF_LIFETIME_A_SECONDS,
			 7);
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_EXPIRED,
				IPSECIF_SA_SOFT_EXPIRED);
		put_u64s(nlh, IPSECIF_SA_A_STATS, IPSECIF_STATS_A_PACKETS,
			 IPSECIF_STATS_A_MAX, 3);
		break;
	case FAKE_SA_ENC_AUTH:
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_MODE,
				IPSECIF_SA_MODE_TRANSPORT);
		put_addr(nlh, IPSECIF_SA_A_SRC6, "2001:db8::1");
		put_addr(nlh, IPSECIF_SA_A_DST6, "2001:db8::2");
		put_alg(nlh, IPSECIF_SA_A_ENC, "cbc(aes)", 0, 0);
		put_alg(nlh, IPSECIF_SA_A_AUTH, "hmac(sha256)", 0, 128);
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_FLAGS,
				 IPSECIF_SA_F_DF_CLEAR);
		put_encap(nlh, 0);
		put_u64s(nlh, IPSECIF_SA_A_LIFETIME_HARD,
			 IPSECIF_LIFETIME_A_BYTES, IPSECIF_LIFETIME_A_PACKETS,
			 5);
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_EXPIRED,
				IPSECIF_SA_HARD_EXPIRED);
		break;
	case FAKE_SA_MINIMAL:
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_MODE, 7);
		put_alg(nlh, IPSECIF_SA_A_AUTH, "hmac(sha1)", 20, 0);
		put_alg(nlh, IPSECIF_SA_A_ENC, "ecb(cipher_null)", 0, 0);
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_FLAGS, 0xffffffff);
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_EXPIRED, 9);
		break;
	case FAKE_SA_LIVE:
		put_alg(nlh, IPSECIF_SA_A_AUTH, "hmac(sha256)", 32, 128);
		put_u64s(nlh, IPSECIF_SA_A_LIFETIME_SOFT,
			 IPSECIF_LIFETIME_A_BYTES, IPSECIF_LIFETIME_A_SECONDS,
			 0);
		put_u64s(nlh, IPSECIF_SA_A_LIFETIME_HARD,
			 IPSECIF_LIFETIME_A_SECONDS, IPSECIF_LIFETIME_A_SECONDS,
			 20);
		break;
	case FAKE_SA_NO_SPI:
		break;
	case FAKE_SA_EXPIRE:
	case FAKE_SA_EXPIRE_NEW:
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_EVENT, IPSECIF_SA_EVENT_SOFT);
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_EVENT_LIMIT,
				kind == FAKE_SA_EXPIRE ?
				IPSECIF_LIFETIME_A_SECONDS : 9);
		break;
	case FAKE_SA_REPLAY:
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_EVENT,
				IPSECIF_SA_EVENT_REPLAY);
		put_u64s(nlh, IPSECIF_SA_A_STATS, IPSECIF_STATS_A_PACKETS,
			 IPSECIF_STATS_A_DROP_INTEGRITY, 4);
		break;
	case FAKE_SA_INTEGRITY:
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_EVENT,
				IPSECIF_SA_EVENT_INTEGRITY);
		break;
	}
}

static void put_sa_msg(const struct reply *r, uint8_t cmd, uint32_t id,
		       enum fake_sa kind)
{
	struct nlmsghdr *nlh = genl_start(r, FAKE_FAMILY, cmd);
	struct nlattr *sa;

	sa = mnl_attr_nest_start(nlh, IPSECIF_A_SA | NLA_F_NESTED);
	mnl_attr_put_u32(nlh, IPSECIF_SA_A_ID, id);
	if (kind != FAKE_SA_NO_SPI)
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_SPI, 0x1000 + id);
	put_sa_attrs(nlh, kind);
	mnl_attr_nest_end(nlh, sa);
	msg_end(r, nlh);
}

/*
 * A message of the family without the object's attributes, and one too
 * short for its genlmsghdr.
 */
static void put_empty_msgs(const struct reply *r, uint8_t cmd)
{
	struct nlmsghdr *nlh = genl_start(r, FAKE_FAMILY, cmd);

	mnl_attr_put_u32(nlh, IPSECIF_A_IFINDEX, 7);
	msg_end(r, nlh);
	nlh = msg_start(r, FAKE_FAMILY, r->flags);
	msg_end(r, nlh);
}

static void put_protect_msg(const struct reply *r, uint8_t cmd,
			    unsigned int kind)
{
	struct nlmsghdr *nlh = genl_start(r, FAKE_FAMILY, cmd);
	struct nlattr *nest;
	uint32_t i;

	mnl_attr_put_u32(nlh, IPSECIF_A_IFINDEX, 7 + kind);
	if (kind == 0)
		mnl_attr_put_strz(nlh, IPSECIF_A_IFNAME, "ipsec0");
	else if (kind == 2)	/* longer than IFNAMSIZ: shown as if9 */
		mnl_attr_put_strz(nlh, IPSECIF_A_IFNAME,
				  "a-name-too-long-for-ifnamsiz");
	nest = mnl_attr_nest_start(nlh, IPSECIF_A_PROTECT | NLA_F_NESTED);
	switch (kind) {
	case 0:
		mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_TX_SA, 1);
		mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_RX_SA, 2);
		mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_RX_SA, 3);
		break;
	case 1:
		put_addr(nlh, IPSECIF_PROTECT_A_PEER6, "2001:db8::9");
		mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_TX_SA, 30);
		/* One more than IPSECIF_MAX_RX_SA. */
		for (i = 0; i <= IPSECIF_MAX_RX_SA; i++)
			mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_RX_SA, 31 + i);
		break;
	default:
		put_addr(nlh, IPSECIF_PROTECT_A_PEER, "10.0.0.2");
		/* Too short for a u32. */
		mnl_attr_put_u16(nlh, IPSECIF_PROTECT_A_RX_SA, 40);
		break;
	}
	mnl_attr_nest_end(nlh, nest);
	msg_end(r, nlh);
}

static void put_spd_msg(const struct reply *r, uint8_t cmd, unsigned int kind,
			bool ifindex)
{
	struct nlmsghdr *nlh = genl_start(r, FAKE_FAMILY, cmd);
	struct nlattr *spd;

	if (ifindex)
		mnl_attr_put_u32(nlh, IPSECIF_A_IFINDEX, 1);
	spd = mnl_attr_nest_start(nlh, IPSECIF_A_SPD | NLA_F_NESTED);
	switch (kind) {
	case 0:
		mnl_attr_put_u32(nlh, IPSECIF_SPD_A_ID, 1);
		mnl_attr_put_u32(nlh, IPSECIF_SPD_A_POLICIES, 3);
		mnl_attr_put_u32(nlh, IPSECIF_SPD_A_IFINDEX, 1);
		mnl_attr_put_u32(nlh, IPSECIF_SPD_A_IFINDEX, 0);
		put_u64s(nlh, IPSECIF_SPD_A_STATS,
			 IPSECIF_SPD_STATS_A_IN_NO_MATCH,
			 IPSECIF_SPD_STATS_A_MAX, 11);
		break;
	case 1:
		mnl_attr_put_u32(nlh, IPSECIF_SPD_A_ID, 2);
		break;
	default:	/* without its id */
		mnl_attr_put_u32(nlh, IPSECIF_SPD_A_POLICIES, 1);
		break;
	}
	mnl_attr_nest_end(nlh, spd);
	msg_end(r, nlh);
}

static void put_range(struct nlmsghdr *nlh, uint16_t start, const char *from,
		      const char *to)
{
	put_addr(nlh, start, from);
	if (to)
		put_addr(nlh, start + 1, to);
}

static void put_ports(struct nlmsghdr *nlh, uint16_t start, uint16_t from,
		      uint16_t to)
{
	mnl_attr_put_u16(nlh, start, from);
	mnl_attr_put_u16(nlh, start + 1, to);
}

static void put_policy_msg(const struct reply *r, uint8_t cmd,
			   unsigned int kind)
{
	struct nlmsghdr *nlh = genl_start(r, FAKE_FAMILY, cmd);
	struct nlattr *spd, *pol;

	spd = mnl_attr_nest_start(nlh, IPSECIF_A_SPD | NLA_F_NESTED);
	mnl_attr_put_u32(nlh, IPSECIF_SPD_A_ID, 1);
	mnl_attr_nest_end(nlh, spd);
	pol = mnl_attr_nest_start(nlh, IPSECIF_A_POLICY | NLA_F_NESTED);
	switch (kind) {
	case 0:
		mnl_attr_put_u32(nlh, IPSECIF_POLICY_A_PRIORITY, 100);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_DIR, IPSECIF_POLICY_OUT);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_ACTION,
				IPSECIF_POLICY_PROTECT);
		mnl_attr_put_u32(nlh, IPSECIF_POLICY_A_SA_ID, 60);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_PROTO, IPPROTO_UDP);
		put_range(nlh, IPSECIF_POLICY_A_LOCAL_START, "10.1.0.0",
			  "10.1.255.255");
		put_range(nlh, IPSECIF_POLICY_A_REMOTE_START, "10.2.0.1",
			  "10.2.0.9");
		put_ports(nlh, IPSECIF_POLICY_A_LPORT_START, 500, 500);
		put_ports(nlh, IPSECIF_POLICY_A_RPORT_START, 1000, 2000);
		put_u64s(nlh, IPSECIF_POLICY_A_STATS, IPSECIF_STATS_A_PACKETS,
			 IPSECIF_STATS_A_BYTES, 5);
		break;
	case 1:
		mnl_attr_put_u32(nlh, IPSECIF_POLICY_A_PRIORITY, (uint32_t)-5);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_DIR, IPSECIF_POLICY_IN);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_ACTION,
				IPSECIF_POLICY_BYPASS);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_PROTO, IPPROTO_ICMPV6);
		put_range(nlh, IPSECIF_POLICY_A_LOCAL_START, "2001:db8::1",
			  NULL);
		put_range(nlh, IPSECIF_POLICY_A_REMOTE_START, "::",
			  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
		put_ports(nlh, IPSECIF_POLICY_A_LPORT_START, 133, 137);
		put_ports(nlh, IPSECIF_POLICY_A_RPORT_START, 0, 65535);
		break;
	case 2:
		mnl_attr_put_u32(nlh, IPSECIF_POLICY_A_PRIORITY, 0);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_DIR, 5);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_ACTION, 9);
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_PROTO, 200);
		put_range(nlh, IPSECIF_POLICY_A_LOCAL_START, "0.0.0.0",
			  "255.255.255.255");
		put_range(nlh, IPSECIF_POLICY_A_REMOTE_START, "192.0.2.0",
			  "192.0.2.255");
		break;
	default:	/* without its direction */
		mnl_attr_put_u32(nlh, IPSECIF_POLICY_A_PRIORITY, 1);
		break;
	}
	mnl_attr_nest_end(nlh, pol);
	msg_end(r, nlh);
}

/* The id of the SA that a get names. */
static uint32_t requested_sa(const struct nlmsghdr *req)
{
	const struct nlattr *sa, *id;

	sa = find_attr(req, sizeof(struct genlmsghdr), IPSECIF_A_SA);
	id = find_nested(sa, IPSECIF_SA_A_ID);
	if (!id || mnl_attr_validate(id, MNL_TYPE_U32))
		fuzz_fail("SA get without an id");
	return mnl_attr_get_u32(id);
}

static void answer_ipsecif(const struct reply *r, const struct nlmsghdr *req,
			   bool hit)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(req);
	bool dump = is_dump(req);
	unsigned int i;

	if (!has_records(req, hit))
		goto out;
	switch (genl->cmd) {
	case IPSECIF_CMD_SA_GET:
		if (!dump) {
			put_sa_msg(r, genl->cmd, requested_sa(req),
				   FAKE_SA_AEAD);
			break;
		}
		for (i = FAKE_SA_AEAD; i <= FAKE_SA_NO_SPI; i++)
			put_sa_msg(r, genl->cmd, 10 + i, i);
		put_empty_msgs(r, genl->cmd);
		break;
	case IPSECIF_CMD_PROTECT_GET:
		for (i = 0; i < 4; i++)
			put_protect_msg(r, genl->cmd, i);
		put_empty_msgs(r, genl->cmd);
		break;
	case IPSECIF_CMD_SPD_GET:
		for (i = 0; i < (dump ? 3 : 1); i++)
			put_spd_msg(r, genl->cmd, i, false);
		if (dump)
			put_empty_msgs(r, genl->cmd);
		break;
	case IPSECIF_CMD_POLICY_GET:
		for (i = 0; i < 4; i++)
			put_policy_msg(r, genl->cmd, i);
		put_empty_msgs(r, genl->cmd);
		break;
	}
out:
	finish(r, req, hit);
}

/* The monitor socket: one of every notification, and some noise. */
static void put_notifications(const struct reply *r)
{
	struct nlmsghdr *nlh;

	put_sa_msg(r, IPSECIF_CMD_SA_NEW, 1, FAKE_SA_AEAD);
	put_sa_msg(r, IPSECIF_CMD_SA_UPDATE, 2, FAKE_SA_ENC_AUTH);
	put_sa_msg(r, IPSECIF_CMD_SA_DEL, 3, FAKE_SA_MINIMAL);
	put_sa_msg(r, IPSECIF_CMD_SA_EXPIRE, 4, FAKE_SA_EXPIRE);
	put_sa_msg(r, IPSECIF_CMD_SA_EXPIRE, 5, FAKE_SA_EXPIRE_NEW);
	put_sa_msg(r, IPSECIF_CMD_SA_ERROR, 6, FAKE_SA_REPLAY);
	put_sa_msg(r, IPSECIF_CMD_SA_ERROR, 7, FAKE_SA_INTEGRITY);
	put_sa_msg(r, IPSECIF_CMD_SA_NEW, 8, FAKE_SA_LIVE);
	put_empty_msgs(r, IPSECIF_CMD_SA_NEW);
	put_protect_msg(r, IPSECIF_CMD_PROTECT_SET, 0);
	put_protect_msg(r, IPSECIF_CMD_PROTECT_SET, 1);
	put_protect_msg(r, IPSECIF_CMD_PROTECT_DEL, 2);
	put_empty_msgs(r, IPSECIF_CMD_PROTECT_DEL);
	put_spd_msg(r, IPSECIF_CMD_SPD_NEW, 0, false);
	put_spd_msg(r, IPSECIF_CMD_SPD_DEL, 1, false);
	put_spd_msg(r, IPSECIF_CMD_SPD_ATTACH, 0, true);
	put_spd_msg(r, IPSECIF_CMD_SPD_DETACH, 1, false);
	put_spd_msg(r, IPSECIF_CMD_SPD_NEW, 2, false);
	put_policy_msg(r, IPSECIF_CMD_POLICY_NEW, 0);
	put_policy_msg(r, IPSECIF_CMD_POLICY_DEL, 1);
	put_policy_msg(r, IPSECIF_CMD_POLICY_NEW, 2);
	put_policy_msg(r, IPSECIF_CMD_POLICY_DEL, 3);
	/* A command of a newer kernel, another family, no genlmsghdr. */
	nlh = genl_start(r, FAKE_FAMILY, 200);
	msg_end(r, nlh);
	nlh = genl_start(r, FAKE_FAMILY + 1, IPSECIF_CMD_SA_NEW);
	msg_end(r, nlh);
	nlh = msg_start(r, FAKE_FAMILY, 0);
	msg_end(r, nlh);
}

static ssize_t recv_chunk(struct fake_sock *s, void *buf, size_t size)
{
	size_t start = s->chunk ? s->chunk_end[s->chunk - 1] : 0;
	size_t len = s->chunk_end[s->chunk] - start;

	if (len > size)
		fuzz_fail("reply of %zu bytes for a buffer of %zu", len, size);
	memcpy(buf, s->buf + start, len);
	s->chunk++;
	return len;
}

static ssize_t monitor_recv(struct fake_sock *s, void *buf, size_t size)
{
	struct reply r = { .s = s };
	unsigned int step = s->monitor_step++;

	if (step == 0 || (cfg.noisy_monitor && step == 4)) {
		reply_reset(s);
		if (step)
			put_short_error(&r);
		else
			put_notifications(&r);
		return recv_chunk(s, buf, size);
	}
	if (cfg.noisy_monitor && step < 4) {
		errno = step == 1 ? ENOBUFS : step == 2 ? EINTR : EAGAIN;
		return -1;
	}
	if (step > FAKE_MONITOR_STEPS)
		fuzz_fail("monitor goes on reading after the socket ended");
	if (cfg.outcome == FAKE_TRANSPORT && cfg.variant == FAKE_RECV_FAILS) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* The wrapped calls */

struct mnl_socket *__wrap_mnl_socket_open(int bus);
int __wrap_mnl_socket_bind(struct mnl_socket *sock, unsigned int groups,
			   pid_t pid);
int __wrap_mnl_socket_close(struct mnl_socket *sock);
unsigned int __wrap_mnl_socket_get_portid(const struct mnl_socket *sock);
int __wrap_mnl_socket_get_fd(const struct mnl_socket *sock);
int __wrap_mnl_socket_setsockopt(const struct mnl_socket *sock, int type,
				 void *buf, socklen_t len);
ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *sock,
				 const void *buf, size_t len);
ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *sock, void *buf,
				   size_t size);

struct mnl_socket *__wrap_mnl_socket_open(int bus)
{
	struct fake_sock *s;

	/* xfrm-sync's: this kernel has no xfrm, the command fails early. */
	if (bus == NETLINK_XFRM) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	if (bus != NETLINK_ROUTE && bus != NETLINK_GENERIC)
		fuzz_fail("socket of netlink bus %d", bus);
	if (cfg.socket_failure == FAKE_SOCKET_OPEN_FAILS) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		fuzz_fail("out of memory");
	s->bus = bus;
	s->portid = 1000 + ++cfg.sockets;
	s->next = sockets;
	sockets = s;
	return (struct mnl_socket *)s;
}

int __wrap_mnl_socket_bind(struct mnl_socket *sock, unsigned int groups,
			   pid_t pid)
{
	struct fake_sock *s = fake(sock);

	if (s->bound)
		fuzz_fail("socket bound twice");
	if (groups || pid != MNL_SOCKET_AUTOPID)
		fuzz_fail("bind to groups %#x, port %d", groups, (int)pid);
	if (cfg.socket_failure == FAKE_SOCKET_BIND_FAILS) {
		errno = EADDRINUSE;
		return -1;
	}
	s->bound = true;
	return 0;
}

int __wrap_mnl_socket_close(struct mnl_socket *sock)
{
	struct fake_sock **p, *s;

	for (p = &sockets; *p; p = &(*p)->next) {
		if ((void *)*p != (void *)sock)
			continue;
		s = *p;
		*p = s->next;
		free(s);
		return 0;
	}
	fuzz_fail("close of a socket that is not open");
}

unsigned int __wrap_mnl_socket_get_portid(const struct mnl_socket *sock)
{
	return fake(sock)->portid;
}

/* No file descriptor: what ipsecctl does with one must fail harmlessly. */
int __wrap_mnl_socket_get_fd(const struct mnl_socket *sock)
{
	fake(sock);
	return -1;
}

int __wrap_mnl_socket_setsockopt(const struct mnl_socket *sock, int type,
				 void *buf, socklen_t len)
{
	struct fake_sock *s = fake(sock);
	uint32_t group;

	switch (type) {
	case NETLINK_EXT_ACK:
	case NETLINK_CAP_ACK:
		return 0;
	case NETLINK_ADD_MEMBERSHIP:
		if (len != sizeof(group))
			fuzz_fail("group of %u bytes", (unsigned int)len);
		memcpy(&group, buf, sizeof(group));
		if (group != FAKE_GROUP)
			fuzz_fail("joined group %u, not the monitor group",
				  group);
		if (cfg.socket_failure == FAKE_SOCKET_JOIN_FAILS) {
			errno = EPERM;
			return -1;
		}
		s->joined = true;
		return 0;
	}
	fuzz_fail("unexpected netlink socket option %d", type);
}

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *sock,
				 const void *buf, size_t len)
{
	struct fake_sock *s = fake(sock);
	const struct nlmsghdr *req = buf;
	bool hit = cfg.requests++ == cfg.target && cfg.outcome != FAKE_OK;
	struct reply r = { .s = s };

	check_request(s, req, len);
	if (s->chunk < s->nchunks)
		fuzz_fail("request sent before the last reply was read");
	reply_reset(s);
	r.seq = req->nlmsg_seq;
	if (is_dump(req))
		r.flags = NLM_F_MULTI;
	if (hit && cfg.outcome == FAKE_TRANSPORT) {
		switch (cfg.variant) {
		case FAKE_SEND_FAILS:
			errno = ENOBUFS;
			return -1;
		case FAKE_RECV_FAILS:
			s->recv_error = EIO;
			return len;
		case FAKE_BAD_SEQ:
			r.seq++;
			break;
		}
	}
	if (s->bus == NETLINK_ROUTE)
		answer_rtnl(&r, req, hit);
	else if (req->nlmsg_type == GENL_ID_CTRL)
		answer_family(&r, req, hit);
	else
		answer_ipsecif(&r, req, hit);
	return len;
}

ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *sock, void *buf,
				   size_t size)
{
	struct fake_sock *s = fake(sock);

	if (s->recv_error) {
		errno = s->recv_error;
		s->recv_error = 0;
		return -1;
	}
	if (s->chunk < s->nchunks)
		return recv_chunk(s, buf, size);
	if (s->joined)
		return monitor_recv(s, buf, size);
	fuzz_fail("recvfrom() with no reply coming: it would block for ever");
}
