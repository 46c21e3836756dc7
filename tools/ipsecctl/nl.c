// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink plumbing shared by every object: sockets, the request/reply
 * exchange (which reports the kernel's extended ACK the way iproute2 does),
 * attribute parsing, generic netlink family and multicast group resolution,
 * and the socket options of a listener.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "utils.h"

/*
 * One exchange: the caller's data callback, an error the caller reports
 * itself (0 for none), and whether an error was shown.
 */
struct nl_exchange {
	mnl_cb_t cb;
	void *data;
	int quiet_error;
	bool reported;
};

struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
};

/*
 * Extended ACKs need NETLINK_EXT_ACK; NETLINK_CAP_ACK keeps the request out
 * of the ACK. Kernels without them (before 4.12) still answer, just without
 * messages, and error_cb() copes with uncapped ACKs, so failures are ignored.
 */
static void nl_set_ack_options(struct mnl_socket *sock)
{
	int one = 1;

	mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
}

int nl_open(struct nl_handle *nl, int bus)
{
	nl->sock = mnl_socket_open(bus);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		nl_close(nl);
		fprintf(stderr, "ipsecctl: cannot open netlink socket: %s\n",
			strerror(err));
		return -err;
	}
	nl_set_ack_options(nl->sock);
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	nl->bus = bus;
	return 0;
}

void nl_close(struct nl_handle *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/*
 * Starts a request in @buf, of NL_MSG_SIZE bytes. The buffer is zeroed
 * first, as libmnl 1.0.4 leaves the padding of attributes uninitialised.
 */
struct nlmsghdr *nl_msg_start(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_MSG_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

/* Starts a nest flagged NLA_F_NESTED, as generic netlink policies want. */
struct nlattr *nl_nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	return mnl_attr_nest_start(nlh, type | NLA_F_NESTED);
}

/* A nest @nest of just the u32 @type, such as the id naming an object. */
void nl_put_nested_u32(struct nlmsghdr *nlh, uint16_t nest, uint16_t type,
		       uint32_t val)
{
	struct nlattr *start = nl_nest_start(nlh, nest);

	mnl_attr_put_u32(nlh, type, val);
	mnl_attr_nest_end(nlh, start);
}

/* Puts @addr as @type4 (4 bytes) or @type6 (16 bytes), network order. */
void nl_put_addr(struct nlmsghdr *nlh, uint16_t type4, uint16_t type6,
		 const struct ip_addr *addr)
{
	mnl_attr_put(nlh, addr->family == AF_INET6 ? type6 : type4,
		     ip_addr_len(addr), addr->bytes);
}

static int store_attr(const struct nlattr *attr, void *data)
{
	const struct attr_table *table = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= table->max)
		table->tb[type] = attr;
	return MNL_CB_OK;
}

/* Fills tb[0..max] with the attributes after @offset, skipping newer ones. */
void nl_parse_attrs(const struct nlmsghdr *nlh, unsigned int offset,
		    const struct nlattr **tb, unsigned int max)
{
	struct attr_table table = { .tb = tb, .max = max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_parse(nlh, offset, store_attr, &table);
}

void nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
		     unsigned int max)
{
	struct attr_table table = { .tb = tb, .max = max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_parse_nested(nest, store_attr, &table);
}

/* nl_get_*() fail, leaving *val alone, if @attr is absent or too short. */
bool nl_get_u8(const struct nlattr *attr, uint8_t *val)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
		return false;
	*val = mnl_attr_get_u8(attr);
	return true;
}

bool nl_get_u16(const struct nlattr *attr, uint16_t *val)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
		return false;
	*val = mnl_attr_get_u16(attr);
	return true;
}

bool nl_get_u32(const struct nlattr *attr, uint32_t *val)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return false;
	*val = mnl_attr_get_u32(attr);
	return true;
}

bool nl_get_u64(const struct nlattr *attr, uint64_t *val)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return false;
	*val = mnl_attr_get_u64(attr);
	return true;
}

/* Reads the u64 attributes of @nest up to @max, skipping newer ones. */
void nl_get_u64s(const struct nlattr *nest, unsigned int max,
		 struct u64s *nums)
{
	const struct nlattr *attr;
	unsigned int type;

	nums->present = 0;
	if (max > U64S_MAX)
		max = U64S_MAX;
	mnl_attr_for_each_nested(attr, nest) {
		type = mnl_attr_get_type(attr);
		if (type <= max && nl_get_u64(attr, &nums->value[type]))
			nums->present |= BIT(type);
	}
}

/* Copies an attribute of exactly @len bytes, such as an address. */
bool nl_get_bytes(const struct nlattr *attr, void *buf, size_t len)
{
	if (!attr || mnl_attr_get_payload_len(attr) != len)
		return false;
	memcpy(buf, mnl_attr_get_payload(attr), len);
	return true;
}

/* Returns a NUL-terminated string attribute, or NULL. */
const char *nl_get_str(const struct nlattr *attr)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return NULL;
	return mnl_attr_get_str(attr);
}

/* Reads an address sent as @v4 (4 bytes) or @v6 (16 bytes). */
bool nl_get_addr(const struct nlattr *v4, const struct nlattr *v6,
		 struct ip_addr *addr)
{
	if (nl_get_bytes(v4, &addr->v4, sizeof(addr->v4)))
		addr->family = AF_INET;
	else if (nl_get_bytes(v6, &addr->v6, sizeof(addr->v6)))
		addr->family = AF_INET6;
	else
		return false;
	return true;
}

/* The extended ACK message at @offset, or NULL if there is none. */
static const char *ext_ack_msg(const struct nlmsghdr *nlh, unsigned int offset)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const char *msg;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	nl_parse_attrs(nlh, offset, tb, NLMSGERR_ATTR_MAX);
	msg = nl_get_str(tb[NLMSGERR_ATTR_MSG]);
	return msg && *msg ? msg : NULL;
}

/*
 * What the requests being sent are about, as the command line names it
 * ("sa 12", "link ipsec0"), for the messages of their errors; "" for none.
 */
static char object[256];

void nl_set_object(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(object, sizeof(object), fmt, ap);
	va_end(ap);
}

void nl_clear_object(void)
{
	object[0] = '\0';
}

/* "LEVEL: " and the object with a colon, if there is one. */
static void print_level(const char *level)
{
	fprintf(stderr, "%s: ", level);
	if (object[0])
		fprintf(stderr, "%s: ", object);
}

static void print_ext_ack(const char *level, const char *msg)
{
	bool has_period = msg[strlen(msg) - 1] == '.';

	print_level(level);
	fprintf(stderr, "%s%s\n", msg, has_period ? "" : ".");
}

/*
 * "Error: [OBJECT: ]<message>." or, without a message, "Error: [OBJECT:
 * ]<strerror>".
 */
static void print_error(const char *msg, int error)
{
	if (msg) {
		print_ext_ack("Error", msg);
		return;
	}
	print_level("Error");
	fprintf(stderr, "%s\n", strerror(-error));
}

/*
 * Shows the outcome of a request that ended with @error (0 or a negative
 * errno) and the extended ACK attributes at @offset, as iproute2 does,
 * unless the caller reports @error itself.
 */
static int report(struct nl_exchange *exchange, const struct nlmsghdr *nlh,
		  unsigned int offset, int error)
{
	const char *msg = ext_ack_msg(nlh, offset);

	if (!error) {
		if (msg)
			print_ext_ack("Warning", msg);
		return MNL_CB_STOP;
	}
	if (error != exchange->quiet_error)
		print_error(msg, error);
	exchange->reported = true;
	errno = -error;
	return MNL_CB_ERROR;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	unsigned int offset = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	return report(data, nlh, offset, err->error);
}

/* A dump ends with NLMSG_DONE, carrying its result and extended ACK. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int error = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(error))
		memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	return report(data, nlh, sizeof(error), error);
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_exchange *exchange = data;

	return exchange->cb ? exchange->cb(nlh, exchange->data) : MNL_CB_OK;
}

/*
 * For tests of the kernel's error paths (selftests/failslab.sh): with
 * IPSECCTL_FAIL_NTH=N in the environment, on a kernel with fault injection,
 * the Nth fault-injectable allocation made on behalf of each request that
 * changes something fails (see Documentation/fault-injection). Armed in the
 * last moment before the request is sent, so that nothing else ipsecctl
 * does (page faults included) meets the failure, and disarmed once the
 * request is answered.
 */
static void nl_fail_nth(const struct nl_handle *nl,
			const struct nlmsghdr *nlh, bool arm)
{
	static const char *nth;
	static int fd = -1;
	const char *val;
	int err;

	if (!nth) {
		nth = getenv("IPSECCTL_FAIL_NTH");
		if (!nth)
			nth = "";
		else if (*nth)
			fd = open("/proc/thread-self/fail-nth", O_WRONLY);
	}
	/* NLM_F_DUMP is two bits, one of them NLM_F_EXCL's value. */
	if (fd < 0 || (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP ||
	    (nl->bus == NETLINK_GENERIC && nlh->nlmsg_type == GENL_ID_CTRL) ||
	    (nl->bus == NETLINK_ROUTE && nlh->nlmsg_type == RTM_GETLINK))
		return;
	val = arm ? nth : "0";
	err = errno;
	if (write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "ipsecctl: fail-nth: %s\n", strerror(errno));
	errno = err;
}

/* Returns MNL_CB_STOP once the request is answered, or MNL_CB_ERROR. */
static int exchange_run(struct nl_handle *nl, const struct nlmsghdr *nlh,
			struct nl_exchange *exchange)
{
	static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	ssize_t len;
	int ret;

	nl_fail_nth(nl, nlh, true);
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		ret = MNL_CB_ERROR;
		goto out;
	}
	do {
		len = mnl_socket_recvfrom(nl->sock, nl->recv_buf,
					  sizeof(nl->recv_buf));
		if (len < 0) {
			ret = MNL_CB_ERROR;
			goto out;
		}
		ret = mnl_cb_run2(nl->recv_buf, len, nlh->nlmsg_seq, nl->portid,
				  data_cb, exchange, ctl_cbs,
				  ARRAY_SIZE(ctl_cbs));
	} while (ret > MNL_CB_STOP);
out:
	nl_fail_nth(nl, nlh, false);
	return ret;
}

/* nl_talk(), but an error equal to exchange->quiet_error is not shown. */
static int talk(struct nl_handle *nl, struct nlmsghdr *nlh,
		struct nl_exchange *exchange)
{
	int err;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	errno = 0;
	if (exchange_run(nl, nlh, exchange) == MNL_CB_STOP)
		return 0;
	err = errno ? errno : EPROTO;
	if (!exchange->reported) {
		print_level("Error");
		fprintf(stderr, "netlink: %s\n", strerror(err));
	}
	return -err;
}

/*
 * Sends @nlh as a request and reads replies until its ACK (or, for a dump,
 * NLMSG_DONE), handing each reply to @cb. NLM_F_ACK is always set, so a
 * plain get ends with an ACK too. Returns 0, or a negative errno after
 * printing the error. @cb must not fail, or the rest of a dump would be left
 * unread on the socket.
 */
int nl_talk(struct nl_handle *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data)
{
	struct nl_exchange exchange = { .cb = cb, .data = data };

	return talk(nl, nlh, &exchange);
}

struct nlmsghdr *genl_msg_start(char *buf, uint16_t family, uint8_t cmd,
				uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = nl_msg_start(buf, family, flags);
	struct genlmsghdr *genl;

	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/* What CTRL_CMD_GETFAMILY is asked for, and what it answered. */
struct genl_lookup {
	const char *group;	/* a multicast group to find, or NULL */
	uint16_t id;
	uint32_t group_id;	/* 0: no such group */
};

/* Finds lookup->group among the CTRL_ATTR_MCAST_GROUPS of a family. */
static void find_group(const struct nlattr *groups, struct genl_lookup *lookup)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1];
	const struct nlattr *group;
	const char *name;

	mnl_attr_for_each_nested(group, groups) {
		nl_parse_nested(group, tb, CTRL_ATTR_MCAST_GRP_MAX);
		name = nl_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]);
		if (name && !strcmp(name, lookup->group))
			nl_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID], &lookup->group_id);
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct genl_lookup *lookup = data;

	nl_parse_attrs(nlh, sizeof(struct genlmsghdr), tb, CTRL_ATTR_MAX);
	nl_get_u16(tb[CTRL_ATTR_FAMILY_ID], &lookup->id);
	if (lookup->group && tb[CTRL_ATTR_MCAST_GROUPS])
		find_group(tb[CTRL_ATTR_MCAST_GROUPS], lookup);
	return MNL_CB_OK;
}

/* CTRL_CMD_GETFAMILY of @name, filling @lookup; as genl_family_id(). */
static int genl_lookup(struct nl_handle *nl, const char *name,
		       struct genl_lookup *lookup)
{
	struct nl_exchange exchange = {
		.cb = family_cb,
		.data = lookup,
		.quiet_error = -ENOENT,
	};
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = genl_msg_start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	lookup->id = 0;
	lookup->group_id = 0;
	ret = talk(nl, nlh, &exchange);
	if (ret)
		return ret;
	if (!lookup->id) {
		fprintf(stderr, "Error: no id for generic netlink family %s\n",
			name);
		return -EPROTO;
	}
	return 0;
}

/*
 * Resolves a generic netlink family name to its id with CTRL_CMD_GETFAMILY
 * (for which the kernel first tries to load the module of the family).
 * Returns 0, -ENOENT without a message if there is no such family, or
 * another negative errno after printing the error.
 */
int genl_family_id(struct nl_handle *nl, const char *name, uint16_t *id)
{
	struct genl_lookup lookup = { 0 };
	int ret = genl_lookup(nl, name, &lookup);

	*id = lookup.id;
	return ret;
}

/*
 * As genl_family_id(), and also resolves the family's multicast group
 * @group to its id. A family without that group fails with -ENOENT after
 * printing the error; *@id tells that case (non-zero) from a missing family.
 */
int genl_group_id(struct nl_handle *nl, const char *name, const char *group,
		  uint16_t *id, uint32_t *group_id)
{
	struct genl_lookup lookup = { .group = group };
	int ret = genl_lookup(nl, name, &lookup);

	*id = lookup.id;
	if (ret)
		return ret;
	if (!lookup.group_id) {
		fprintf(stderr,
			"Error: generic netlink family %s has no multicast group \"%s\"\n",
			name, group);
		return -ENOENT;
	}
	*group_id = lookup.group_id;
	return 0;
}

/* Joins the multicast group @group; 0 or a negative errno, reported. */
int nl_join_group(struct nl_handle *nl, uint32_t group)
{
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		int err = errno;

		fprintf(stderr, "ipsecctl: cannot join netlink group %u: %s\n",
			group, strerror(err));
		return -err;
	}
	return 0;
}

/*
 * Asks for a receive buffer of @size bytes: beyond net.core.rmem_max if
 * the caller has CAP_NET_ADMIN, else as much as that allows. Best effort: a
 * smaller buffer only loses notifications sooner, which the caller sees as
 * ENOBUFS.
 */
void nl_set_rcvbuf(struct nl_handle *nl, int size)
{
	int fd = mnl_socket_get_fd(nl->sock);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}
