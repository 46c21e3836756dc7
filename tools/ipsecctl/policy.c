// SPDX-License-Identifier: GPL-2.0
/*
 * The policy object: the policies of an SPD, with their selectors, added,
 * deleted and listed with the IPSECIF_CMD_POLICY_* commands of the ipsecif
 * generic netlink family, as include/uapi/linux/ipsecif.h specifies; and
 * their notifications, for "monitor".
 *
 * ipsecctl checks only the syntax; whether a policy makes sense (protect
 * without an SA, an inverted range, local and remote of different families,
 * ports for a protocol without them) is the kernel's call, and its message
 * says why it refuses one.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/ipsecif.h>

#include "config.h"
#include "ipsecctl.h"
#include "json.h"
#include "nl.h"
#include "utils.h"

/* "A-B" at most: two addresses and a dash, or a prefix and its length. */
#define RANGE_STRLEN	(2 * INET6_ADDRSTRLEN)

enum policy_param {
	POLICY_PARAM_SPD,
	POLICY_PARAM_PRIORITY,
	POLICY_PARAM_DIR,
	POLICY_PARAM_ACTION,
	POLICY_PARAM_SA,
	POLICY_PARAM_PROTO,
	POLICY_PARAM_LOCAL,
	POLICY_PARAM_REMOTE,
	POLICY_PARAM_LPORT,
	POLICY_PARAM_RPORT,
	POLICY_PARAM_TYPE,	/* lport, for ICMP */
	POLICY_PARAM_CODE,	/* rport, for ICMP */
};

static const char *const policy_param_names[] = {
	[POLICY_PARAM_SPD] = "spd",
	[POLICY_PARAM_PRIORITY] = "priority",
	[POLICY_PARAM_DIR] = "dir",
	[POLICY_PARAM_ACTION] = "action",
	[POLICY_PARAM_SA] = "sa",
	[POLICY_PARAM_PROTO] = "proto",
	[POLICY_PARAM_LOCAL] = "local",
	[POLICY_PARAM_REMOTE] = "remote",
	[POLICY_PARAM_LPORT] = "lport",
	[POLICY_PARAM_RPORT] = "rport",
	[POLICY_PARAM_TYPE] = "type",
	[POLICY_PARAM_CODE] = "code",
};

#define POLICY_SELECTORS	(BIT(POLICY_PARAM_PROTO) |		\
				 BIT(POLICY_PARAM_LOCAL) |		\
				 BIT(POLICY_PARAM_REMOTE) |		\
				 BIT(POLICY_PARAM_LPORT) |		\
				 BIT(POLICY_PARAM_RPORT) |		\
				 BIT(POLICY_PARAM_TYPE) |		\
				 BIT(POLICY_PARAM_CODE))

/* An inclusive range of addresses of one family; family 0: any. */
struct addr_range {
	struct ip_addr start;
	struct ip_addr end;
};

struct port_range {
	uint16_t start;
	uint16_t end;
};

/*
 * A policy as "policy add", "del" and "show" give it, or as the kernel
 * reports it: only the parameters in @given (BIT(enum policy_param)) are
 * set. "type" and "code" are stored as @lport and @rport.
 */
struct policy {
	unsigned int given;
	uint32_t spd;
	int32_t priority;
	uint8_t dir;
	uint8_t action;
	uint32_t sa;
	uint8_t proto;
	struct addr_range local;
	struct addr_range remote;
	struct port_range lport;
	struct port_range rport;
	bool has_stats;
	struct u64s stats;
};

static const char *const dir_names[] = {
	[IPSECIF_POLICY_IN] = "in",
	[IPSECIF_POLICY_OUT] = "out",
};

static const char *const action_names[] = {
	[IPSECIF_POLICY_BYPASS] = "bypass",
	[IPSECIF_POLICY_DISCARD] = "discard",
	[IPSECIF_POLICY_PROTECT] = "protect",
	[IPSECIF_POLICY_RESOLVE] = "resolve",
};

/*
 * The protocols known by name, built in: /etc/protocols may be missing.
 * "icmpv6" is read as an alias of "ipv6-icmp".
 */
static const char *const proto_names[] = {
	[0] = "any",
	[IPPROTO_ICMP] = "icmp",
	[IPPROTO_IGMP] = "igmp",
	[IPPROTO_TCP] = "tcp",
	[IPPROTO_UDP] = "udp",
	[IPPROTO_GRE] = "gre",
	[IPPROTO_ESP] = "esp",
	[IPPROTO_AH] = "ah",
	[IPPROTO_ICMPV6] = "ipv6-icmp",
	[IPPROTO_SCTP] = "sctp",
};

/* The same in the text and the JSON output. */
static const char *const policy_stats_names[] = {
	[IPSECIF_STATS_A_PACKETS] = "packets",
	[IPSECIF_STATS_A_BYTES] = "bytes",
};

static void policy_usage(FILE *out)
{
	fputs("Usage: ipsecctl policy add spd ID priority N dir in|out action ACTION [sa ID]\n"
	      "                           [SELECTOR]...\n"
	      "       ipsecctl policy del spd ID priority N dir in|out [action ACTION] [sa ID]\n"
	      "                           [SELECTOR]...\n"
	      "       ipsecctl policy show spd ID\n"
	      "       ipsecctl policy help\n"
	      "where  ACTION := { bypass | discard | protect | resolve }\n"
	      "       SELECTOR := { proto PROTO | local ADDRS | remote ADDRS |\n"
	      "                     lport PORTS | rport PORTS | type PORTS | code PORTS }\n"
	      "       PROTO := { any | icmp | igmp | tcp | udp | gre | esp | ah |\n"
	      "                  ipv6-icmp | icmpv6 | sctp | 0..255 }\n"
	      "       ADDRS := { ADDR | ADDR-ADDR | ADDR/LEN }, IPv4 or IPv6\n"
	      "       PORTS := { PORT | PORT-PORT }, PORT being 0..65535; type and code\n"
	      "                are lport and rport of proto icmp or ipv6-icmp\n"
	      "       ID := a 32-bit number; N := a signed 32-bit number, highest first\n",
	      out);
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static const char *parse_proto(const char *arg, uint8_t *proto)
{
	int i = find_name(proto_names, ARRAY_SIZE(proto_names), arg);

	if (!strcmp(arg, "icmpv6"))
		i = IPPROTO_ICMPV6;
	if (i >= 0)
		*proto = i;
	else if (parse_u8(arg, proto))
		return "not a number from 0 to 255 or a known protocol name";
	return NULL;
}

/*
 * Splits @arg at the first @sep: copies what precedes it to @buf, of
 * RANGE_STRLEN bytes, and returns what follows, or NULL without @sep.
 */
static const char *split(const char *arg, char sep, char *buf)
{
	const char *at = strchr(arg, sep);
	size_t len = at ? (size_t)(at - arg) : strlen(arg);

	if (len >= RANGE_STRLEN)
		len = 0;	/* too long for an address or a number */
	memcpy(buf, arg, len);
	buf[len] = '\0';
	return at ? at + 1 : NULL;
}

/* PREFIX/LEN: from the prefix with the host bits clear to it with them set. */
static const char *parse_prefix(const char *prefix, const char *len_arg,
				struct addr_range *range)
{
	uint8_t len;
	size_t i, bytes;
	const char *why = parse_addr(prefix, &range->start);

	if (why)
		return why;
	bytes = ip_addr_len(&range->start);
	if (parse_u8(len_arg, &len) || len > 8 * bytes)
		return range->start.family == AF_INET ?
		       "prefix length not from 0 to 32" :
		       "prefix length not from 0 to 128";
	range->end = range->start;
	for (i = 0; i < bytes; i++) {
		int bits = len - 8 * (int)i;
		uint8_t mask = bits >= 8 ? 0xff :
			       bits <= 0 ? 0 : 0xff << (8 - bits);

		range->start.bytes[i] &= mask;
		range->end.bytes[i] |= (uint8_t)~mask;
	}
	return NULL;
}

/* ADDR, ADDR-ADDR (both of one family, in any order) or ADDR/LEN. */
static const char *parse_addr_range(const char *arg, struct addr_range *range)
{
	char first[RANGE_STRLEN];
	const char *second, *why;

	second = split(arg, '/', first);
	if (second)
		return parse_prefix(first, second, range);
	second = split(arg, '-', first);
	why = parse_addr(first, &range->start);
	if (why || !second) {
		range->end = range->start;
		return why;
	}
	why = parse_addr(second, &range->end);
	if (why)
		return why;
	if (range->start.family != range->end.family)
		return "the two addresses are of different families";
	return NULL;
}

/* PORT or PORT-PORT, in any order. */
static const char *parse_port_range(const char *arg, struct port_range *range)
{
	char first[RANGE_STRLEN];
	const char *second = split(arg, '-', first);
	const char *why = parse_u16(first, &range->start);

	range->end = range->start;
	if (!why && second)
		why = parse_u16(second, &range->end);
	return why;
}

static int parse_param(enum policy_param param, const char *arg,
		       struct policy *p)
{
	const char *why = NULL;
	int i;

	switch (param) {
	case POLICY_PARAM_SPD:
		why = parse_u32(arg, &p->spd);
		break;
	case POLICY_PARAM_PRIORITY:
		why = parse_s32(arg, &p->priority);
		break;
	case POLICY_PARAM_DIR:
		i = find_name(dir_names, ARRAY_SIZE(dir_names), arg);
		if (i < 0)
			why = "expected in or out";
		else
			p->dir = i;
		break;
	case POLICY_PARAM_ACTION:
		i = find_name(action_names, ARRAY_SIZE(action_names), arg);
		if (i < 0)
			why = "expected bypass, discard, protect or resolve";
		else
			p->action = i;
		break;
	case POLICY_PARAM_SA:
		why = parse_u32(arg, &p->sa);
		break;
	case POLICY_PARAM_PROTO:
		why = parse_proto(arg, &p->proto);
		break;
	case POLICY_PARAM_LOCAL:
		why = parse_addr_range(arg, &p->local);
		break;
	case POLICY_PARAM_REMOTE:
		why = parse_addr_range(arg, &p->remote);
		break;
	case POLICY_PARAM_LPORT:
	case POLICY_PARAM_TYPE:
		why = parse_port_range(arg, &p->lport);
		break;
	case POLICY_PARAM_RPORT:
	case POLICY_PARAM_CODE:
		why = parse_port_range(arg, &p->rport);
		break;
	}
	if (why)
		return usage_error(policy_usage, "invalid %s \"%s\": %s",
				   policy_param_names[param], arg, why);
	return 0;
}

/* "type" and "code" are ICMP's names of lport and rport, not more ports. */
static int check_icmp(const struct policy *p)
{
	unsigned int icmp = BIT(POLICY_PARAM_TYPE) | BIT(POLICY_PARAM_CODE);

	if (!(p->given & icmp))
		return 0;
	if (!(p->given & BIT(POLICY_PARAM_PROTO)) || !is_icmp(p->proto))
		return usage_error(policy_usage,
				   "\"type\" and \"code\" need proto icmp or ipv6-icmp");
	if ((p->given & BIT(POLICY_PARAM_TYPE) &&
	     p->given & BIT(POLICY_PARAM_LPORT)) ||
	    (p->given & BIT(POLICY_PARAM_CODE) &&
	     p->given & BIT(POLICY_PARAM_RPORT)))
		return usage_error(policy_usage,
				   "\"type\" and \"code\" are \"lport\" and \"rport\": give each once");
	return 0;
}

/*
 * Parses "KEYWORD VALUE" pairs, accepting only the parameters in @allowed
 * and requiring those in @required (BIT(enum policy_param)).
 */
static int parse_params(int argc, char **argv, unsigned int allowed,
			unsigned int required, struct policy *p)
{
	unsigned int missing;
	int i, param, ret;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < argc; i += 2) {
		param = find_name(policy_param_names,
				  ARRAY_SIZE(policy_param_names), argv[i]);
		if (param < 0 || !(allowed & BIT(param)))
			return usage_error(policy_usage,
					   "unknown argument \"%s\"", argv[i]);
		if (p->given & BIT(param))
			return usage_error(policy_usage, "\"%s\" given twice",
					   argv[i]);
		if (i + 1 == argc)
			return usage_error(policy_usage,
					   "missing value for \"%s\"", argv[i]);
		ret = parse_param(param, argv[i + 1], p);
		if (ret)
			return ret;
		p->given |= BIT(param);
	}
	missing = required & ~p->given;
	if (missing)
		return usage_error(policy_usage, "missing \"%s\"",
				   policy_param_names[__builtin_ctz(missing)]);
	return check_icmp(p);
}

static void put_addr_range(struct nlmsghdr *nlh, uint16_t start,
			   const struct addr_range *range)
{
	nl_put_addr(nlh, start, start, &range->start);
	nl_put_addr(nlh, start + 1, start + 1, &range->end);
}

static void put_port_range(struct nlmsghdr *nlh, uint16_t start,
			   const struct port_range *range)
{
	mnl_attr_put_u16(nlh, start, range->start);
	mnl_attr_put_u16(nlh, start + 1, range->end);
}

_Static_assert(IPSECIF_POLICY_A_LOCAL_END - IPSECIF_POLICY_A_LOCAL_START == 1 &&
	       IPSECIF_POLICY_A_REMOTE_END - IPSECIF_POLICY_A_REMOTE_START == 1 &&
	       IPSECIF_POLICY_A_LPORT_END - IPSECIF_POLICY_A_LPORT_START == 1 &&
	       IPSECIF_POLICY_A_RPORT_END - IPSECIF_POLICY_A_RPORT_START == 1,
	       "each _END follows its _START");

/* IPSECIF_A_SPD/ID, and IPSECIF_A_POLICY with the given parameters. */
static void put_policy(struct nlmsghdr *nlh, const struct policy *p)
{
	unsigned int given = p->given;
	struct nlattr *nest;

	nl_put_nested_u32(nlh, IPSECIF_A_SPD, IPSECIF_SPD_A_ID, p->spd);
	nest = nl_nest_start(nlh, IPSECIF_A_POLICY);
	mnl_attr_put_u32(nlh, IPSECIF_POLICY_A_PRIORITY, (uint32_t)p->priority);
	mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_DIR, p->dir);
	if (given & BIT(POLICY_PARAM_ACTION))
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_ACTION, p->action);
	if (given & BIT(POLICY_PARAM_SA))
		mnl_attr_put_u32(nlh, IPSECIF_POLICY_A_SA_ID, p->sa);
	if (given & BIT(POLICY_PARAM_PROTO))
		mnl_attr_put_u8(nlh, IPSECIF_POLICY_A_PROTO, p->proto);
	if (given & BIT(POLICY_PARAM_LOCAL))
		put_addr_range(nlh, IPSECIF_POLICY_A_LOCAL_START, &p->local);
	if (given & BIT(POLICY_PARAM_REMOTE))
		put_addr_range(nlh, IPSECIF_POLICY_A_REMOTE_START, &p->remote);
	if (given & (BIT(POLICY_PARAM_LPORT) | BIT(POLICY_PARAM_TYPE)))
		put_port_range(nlh, IPSECIF_POLICY_A_LPORT_START, &p->lport);
	if (given & (BIT(POLICY_PARAM_RPORT) | BIT(POLICY_PARAM_CODE)))
		put_port_range(nlh, IPSECIF_POLICY_A_RPORT_START, &p->rport);
	mnl_attr_nest_end(nlh, nest);
}

/* @range from @start and its _END (defaulting to @start), if reported. */
static bool get_addr_range(const struct nlattr *start, const struct nlattr *end,
			   struct addr_range *range)
{
	if (!nl_get_addr(start, start, &range->start))
		return false;
	if (!nl_get_addr(end, end, &range->end))
		range->end = range->start;
	return true;
}

static bool get_port_range(const struct nlattr *start, const struct nlattr *end,
			   struct port_range *range)
{
	if (!nl_get_u16(start, &range->start))
		return false;
	if (!nl_get_u16(end, &range->end))
		range->end = range->start;
	return true;
}

/* Sets the bit of @param in p->given if it was read. */
static void note(struct policy *p, enum policy_param param, bool read)
{
	if (read)
		p->given |= BIT(param);
}

static void get_selectors(const struct nlattr **pol, struct policy *p)
{
	note(p, POLICY_PARAM_PROTO,
	     nl_get_u8(pol[IPSECIF_POLICY_A_PROTO], &p->proto));
	note(p, POLICY_PARAM_LOCAL,
	     get_addr_range(pol[IPSECIF_POLICY_A_LOCAL_START],
			    pol[IPSECIF_POLICY_A_LOCAL_END], &p->local));
	note(p, POLICY_PARAM_REMOTE,
	     get_addr_range(pol[IPSECIF_POLICY_A_REMOTE_START],
			    pol[IPSECIF_POLICY_A_REMOTE_END], &p->remote));
	note(p, POLICY_PARAM_LPORT,
	     get_port_range(pol[IPSECIF_POLICY_A_LPORT_START],
			    pol[IPSECIF_POLICY_A_LPORT_END], &p->lport));
	note(p, POLICY_PARAM_RPORT,
	     get_port_range(pol[IPSECIF_POLICY_A_RPORT_START],
			    pol[IPSECIF_POLICY_A_RPORT_END], &p->rport));
}

static bool addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->bytes, b->bytes, ip_addr_len(a));
}

/*
 * The length of the prefix that @range is exactly (from the prefix with its
 * host bits clear to it with them set), or -1 if it is none.
 */
static int prefix_len(const struct addr_range *range)
{
	size_t bits = 8 * ip_addr_len(&range->start), i;
	int len = -1;

	if (range->start.family != range->end.family)
		return -1;
	for (i = 0; i < bits; i++) {
		unsigned int shift = 7 - i % 8;
		bool start = range->start.bytes[i / 8] >> shift & 1;
		bool end = range->end.bytes[i / 8] >> shift & 1;

		if (len < 0 && start != end)
			len = i;
		if (len >= 0 && (start || !end))
			return -1;
	}
	return len < 0 ? (int)bits : len;
}

/*
 * The kernel reports both address ranges of a policy that has addresses,
 * one not given as the whole of its family. Like ports 0-65535, such a
 * range is left out, as long as the other still shows the family.
 */
static void drop_whole_range(struct policy *p)
{
	unsigned int both = BIT(POLICY_PARAM_LOCAL) | BIT(POLICY_PARAM_REMOTE);

	if ((p->given & both) != both)
		return;
	if (!prefix_len(&p->remote))
		p->given &= ~BIT(POLICY_PARAM_REMOTE);
	else if (!prefix_len(&p->local))
		p->given &= ~BIT(POLICY_PARAM_LOCAL);
}

/* Fills @p from a reply carrying IPSECIF_A_POLICY; fails for others. */
static int policy_parse(const struct nlmsghdr *nlh, struct policy *p)
{
	const struct nlattr *tb[IPSECIF_A_MAX + 1];
	const struct nlattr *spd[IPSECIF_SPD_A_MAX + 1];
	const struct nlattr *pol[IPSECIF_POLICY_A_MAX + 1];
	uint32_t priority;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -1;
	nl_parse_attrs(nlh, sizeof(struct genlmsghdr), tb, IPSECIF_A_MAX);
	if (!tb[IPSECIF_A_SPD] || !tb[IPSECIF_A_POLICY])
		return -1;
	nl_parse_nested(tb[IPSECIF_A_SPD], spd, IPSECIF_SPD_A_MAX);
	nl_parse_nested(tb[IPSECIF_A_POLICY], pol, IPSECIF_POLICY_A_MAX);

	memset(p, 0, sizeof(*p));
	if (!nl_get_u32(spd[IPSECIF_SPD_A_ID], &p->spd) ||
	    !nl_get_u32(pol[IPSECIF_POLICY_A_PRIORITY], &priority) ||
	    !nl_get_u8(pol[IPSECIF_POLICY_A_DIR], &p->dir) ||
	    !nl_get_u8(pol[IPSECIF_POLICY_A_ACTION], &p->action))
		return -1;
	p->priority = (int32_t)priority;
	note(p, POLICY_PARAM_SA, nl_get_u32(pol[IPSECIF_POLICY_A_SA_ID], &p->sa));
	get_selectors(pol, p);
	drop_whole_range(p);
	if (pol[IPSECIF_POLICY_A_STATS]) {
		p->has_stats = true;
		nl_get_u64s(pol[IPSECIF_POLICY_A_STATS], IPSECIF_STATS_A_MAX,
			    &p->stats);
	}
	return 0;
}

/* ADDR, ADDR/LEN or ADDR-ADDR; @buf should have RANGE_STRLEN bytes. */
static const char *format_addr_range(const struct addr_range *range,
				     char *buf)
{
	char end[INET6_ADDRSTRLEN];
	size_t len;
	int plen;

	format_addr(&range->start, buf, INET6_ADDRSTRLEN);
	if (addr_equal(&range->start, &range->end))
		return buf;
	len = strlen(buf);
	plen = prefix_len(range);
	if (plen >= 0)
		snprintf(buf + len, RANGE_STRLEN - len, "/%d", plen);
	else
		snprintf(buf + len, RANGE_STRLEN - len, "-%s",
			 format_addr(&range->end, end, sizeof(end)));
	return buf;
}

/* Whether the ports (or ICMP type or code) @param restrict anything. */
static bool has_ports(const struct policy *p, enum policy_param param,
		      const struct port_range *range)
{
	return p->given & BIT(param) &&
	       (range->start != 0 || range->end != UINT16_MAX);
}

/* The name of @proto, or NULL for one known by number only. */
static const char *proto_name(uint8_t proto)
{
	return proto < ARRAY_SIZE(proto_names) ? proto_names[proto] : NULL;
}

/* " proto NAME" or " proto N", unless any. */
static void print_proto_text(FILE *out, uint8_t proto)
{
	const char *name = proto_name(proto);

	if (!proto)
		return;
	if (name)
		fprintf(out, " proto %s", name);
	else
		fprintf(out, " proto %u", proto);
}

static void print_addr_range_text(FILE *out, const struct policy *p,
				  enum policy_param param,
				  const struct addr_range *range)
{
	char buf[RANGE_STRLEN];

	if (p->given & BIT(param))
		fprintf(out, " %s %s", policy_param_names[param],
			format_addr_range(range, buf));
}

/* " lport N[-M]", or " type N[-M]" for ICMP, unless any. */
static void print_port_range_text(FILE *out, const struct policy *p,
				  enum policy_param param,
				  enum policy_param icmp_param,
				  const struct port_range *range)
{
	enum policy_param shown = is_icmp(p->proto) ? icmp_param : param;

	if (!has_ports(p, param, range))
		return;
	fprintf(out, " %s %u", policy_param_names[shown], range->start);
	if (range->end != range->start)
		fprintf(out, "-%u", range->end);
}

/*
 * spd ID priority N dir DIR [action ACTION [sa ID]] [proto P] [local A]
 * [remote A] [lport P] [rport P]; the action unless !@action
 */
static void format_policy(FILE *out, const struct policy *p, bool action)
{
	fprintf(out, "spd %u priority %d dir %s", p->spd, p->priority,
		name_of(dir_names, ARRAY_SIZE(dir_names), p->dir));
	if (action)
		fprintf(out, " action %s",
			name_of(action_names, ARRAY_SIZE(action_names),
				p->action));
	if (action && p->given & BIT(POLICY_PARAM_SA))
		fprintf(out, " sa %u", p->sa);
	print_proto_text(out, p->proto);
	print_addr_range_text(out, p, POLICY_PARAM_LOCAL, &p->local);
	print_addr_range_text(out, p, POLICY_PARAM_REMOTE, &p->remote);
	print_port_range_text(out, p, POLICY_PARAM_LPORT, POLICY_PARAM_TYPE,
			      &p->lport);
	print_port_range_text(out, p, POLICY_PARAM_RPORT, POLICY_PARAM_CODE,
			      &p->rport);
}

/*
 * spd ID priority N dir DIR action ACTION [sa ID] [proto P] [local A]
 * [remote A] [lport P] [rport P]; with -s, the counters after @sep
 */
static void print_policy_text(const struct policy *p, const char *sep)
{
	format_policy(stdout, p, true);
	if (ipsecctl_opts.stats && p->has_stats) {
		fputs(sep, stdout);
		print_u64s_text(policy_stats_names,
				ARRAY_SIZE(policy_stats_names), &p->stats);
	}
	putchar('\n');
}

/* "KEY_start" and "KEY_end" of the addresses @param, unless any. */
static void print_addr_range_json(struct json_writer *jw,
				  const struct policy *p,
				  enum policy_param param,
				  const struct addr_range *range)
{
	const char *key = policy_param_names[param];
	char addr[INET6_ADDRSTRLEN], name[16];

	if (!(p->given & BIT(param)))
		return;
	snprintf(name, sizeof(name), "%s_start", key);
	json_string(jw, name, format_addr(&range->start, addr, sizeof(addr)));
	snprintf(name, sizeof(name), "%s_end", key);
	json_string(jw, name, format_addr(&range->end, addr, sizeof(addr)));
}

/* "KEY_start" and "KEY_end" of the ports @param, unless any. */
static void print_port_range_json(struct json_writer *jw,
				  const struct policy *p,
				  enum policy_param param,
				  const struct port_range *range)
{
	const char *key = policy_param_names[param];
	char name[16];

	if (!has_ports(p, param, range))
		return;
	snprintf(name, sizeof(name), "%s_start", key);
	json_uint(jw, name, range->start);
	snprintf(name, sizeof(name), "%s_end", key);
	json_uint(jw, name, range->end);
}

static void print_policy_members(struct json_writer *jw,
				 const struct policy *p)
{
	json_uint(jw, "spd", p->spd);
	json_int(jw, "priority", p->priority);
	json_string(jw, "dir", name_of(dir_names, ARRAY_SIZE(dir_names),
				       p->dir));
	json_string(jw, "action", name_of(action_names,
					  ARRAY_SIZE(action_names),
					  p->action));
	if (p->given & BIT(POLICY_PARAM_SA))
		json_uint(jw, "sa", p->sa);
	if (p->proto && proto_name(p->proto))
		json_string(jw, "proto", proto_name(p->proto));
	else if (p->proto)
		json_uint(jw, "proto", p->proto);
	print_addr_range_json(jw, p, POLICY_PARAM_LOCAL, &p->local);
	print_addr_range_json(jw, p, POLICY_PARAM_REMOTE, &p->remote);
	print_port_range_json(jw, p, POLICY_PARAM_LPORT, &p->lport);
	print_port_range_json(jw, p, POLICY_PARAM_RPORT, &p->rport);
	if (ipsecctl_opts.stats && p->has_stats)
		print_u64s_json(jw, "stats", policy_stats_names,
				ARRAY_SIZE(policy_stats_names), &p->stats);
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	struct policy p;

	if (policy_parse(nlh, &p))
		return MNL_CB_OK;
	if (ipsecctl_opts.json) {
		json_object_open(data, NULL);
		print_policy_members(data, &p);
		json_object_close(data);
	} else {
		print_policy_text(&p, "\n   ");
	}
	return MNL_CB_OK;
}

/* POLICY_NEW and POLICY_DEL as "policy show" shows the policy, on one line. */
int policy_monitor(const struct nlmsghdr *nlh,
		   const struct monitor_event *event, struct json_writer *jw)
{
	struct policy p;

	if (policy_parse(nlh, &p))
		return -1;
	if (!ipsecctl_opts.json) {
		printf("%s ", event->text);
		print_policy_text(&p, "");
		return 0;
	}
	json_object_open(jw, NULL);
	json_string(jw, "event", event->json);
	print_policy_members(jw, &p);
	json_object_close(jw);
	return 0;
}

/*
 * What errors of a request about @p name: "policy spd ID priority N dir
 * DIR" and its selectors, as "policy show" writes them.
 */
static void set_object(const struct policy *p)
{
	struct policy key = *p;
	char text[512];
	FILE *out;

	if (key.given & BIT(POLICY_PARAM_TYPE))
		key.given |= BIT(POLICY_PARAM_LPORT);
	if (key.given & BIT(POLICY_PARAM_CODE))
		key.given |= BIT(POLICY_PARAM_RPORT);
	out = fmemopen(text, sizeof(text), "w");
	if (!out) {
		nl_set_object("policy spd %u priority %d", p->spd, p->priority);
		return;
	}
	format_policy(out, &key, false);
	fclose(out);
	text[sizeof(text) - 1] = '\0';
	nl_set_object("policy %s", text);
}

/*
 * Sends @cmd with the policy that @argv describes; for
 * IPSECIF_CMD_POLICY_GET, a dump of the SPD's policies, in the order the
 * kernel matches them, shown.
 */
static int policy_request(uint8_t cmd, unsigned int allowed,
			  unsigned int required, int argc, char **argv)
{
	bool show = cmd == IPSECIF_CMD_POLICY_GET;
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	struct policy p;
	int ret;

	ret = parse_params(argc, argv, allowed, required, &p);
	if (ret)
		return ret;

	if (show)
		nl_set_object("spd %u", p.spd);
	else
		set_object(&p);
	nlh = ipsecif_msg_start(buf, cmd, show ? NLM_F_DUMP : 0);
	if (show)
		nl_put_nested_u32(nlh, IPSECIF_A_SPD, IPSECIF_SPD_A_ID, p.spd);
	else
		put_policy(nlh, &p);
	return show ? ipsecif_show(nlh, show_cb) : ipsecif_talk(nlh, NULL, NULL);
}

#define POLICY_KEY	(BIT(POLICY_PARAM_SPD) | BIT(POLICY_PARAM_PRIORITY) | \
			 BIT(POLICY_PARAM_DIR))
#define POLICY_ALL	(POLICY_KEY | BIT(POLICY_PARAM_ACTION) |	\
			 BIT(POLICY_PARAM_SA) | POLICY_SELECTORS)

static int policy_add(int argc, char **argv)
{
	return policy_request(IPSECIF_CMD_POLICY_NEW, POLICY_ALL,
			      POLICY_KEY | BIT(POLICY_PARAM_ACTION),
			      argc, argv);
}

/* The policy identical to the one given; action and sa are optional. */
static int policy_del(int argc, char **argv)
{
	return policy_request(IPSECIF_CMD_POLICY_DEL, POLICY_ALL, POLICY_KEY,
			      argc, argv);
}

static int policy_show(int argc, char **argv)
{
	return policy_request(IPSECIF_CMD_POLICY_GET, BIT(POLICY_PARAM_SPD),
			      BIT(POLICY_PARAM_SPD), argc, argv);
}

static const struct command policy_commands[] = {
	{ "add", policy_add },
	{ "del", policy_del },
	{ "show", policy_show },
};

/* "ipsecctl policy" alone is "policy show", which needs "spd ID". */
int cmd_policy(int argc, char **argv)
{
	if (!argc)
		return policy_show(0, argv);
	return run_command(policy_commands, ARRAY_SIZE(policy_commands),
			   "command", policy_usage, argc, argv);
}

/*
 * Configuration files (config.c): "policy spd ID ...", the arguments of
 * "policy add". A policy is known by its SPD, direction, priority and
 * selectors (the kernel has at most one of each), written as "policy
 * show" writes them, and so compared: "type 8" is "lport 8", the whole
 * range of an address family that the other range shows is left out.
 */

/* The policy as text: the key without the action, else the whole. */
static char *config_text(const struct policy *p, bool action)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	format_policy(out, p, action);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

/* Fills @pol from @p, which it copies; fails only without memory. */
static int config_fill(const struct policy *p, struct cfg_policy *pol)
{
	struct policy *copy = malloc(sizeof(*copy));

	memset(pol, 0, sizeof(*pol));
	pol->key = config_text(p, false);
	pol->text = config_text(p, true);
	if (!copy || !pol->key || !pol->text) {
		free(copy);
		free(pol->key);
		free(pol->text);
		return -1;
	}
	*copy = *p;
	pol->priv = copy;
	pol->spd = p->spd;
	pol->dir = p->dir;
	pol->action = p->action;
	pol->priority = p->priority;
	pol->has_sa = p->given & BIT(POLICY_PARAM_SA);
	pol->sa = p->sa;
	return 0;
}

int policy_config_parse(int argc, char **argv, struct cfg_policy *pol)
{
	struct policy p;
	int ret;

	ret = parse_params(argc, argv, POLICY_ALL,
			   POLICY_KEY | BIT(POLICY_PARAM_ACTION), &p);
	if (ret)
		return ret;
	if (p.given & BIT(POLICY_PARAM_TYPE))
		p.given |= BIT(POLICY_PARAM_LPORT);
	if (p.given & BIT(POLICY_PARAM_CODE))
		p.given |= BIT(POLICY_PARAM_RPORT);
	p.given &= ~(BIT(POLICY_PARAM_TYPE) | BIT(POLICY_PARAM_CODE));
	drop_whole_range(&p);
	if (config_fill(&p, pol))
		return usage_error(policy_usage, "out of memory");
	return 0;
}

struct policy_config_walk {
	void (*fn)(struct cfg_policy *pol, void *data);
	void *data;
	int error;
};

static int config_read_cb(const struct nlmsghdr *nlh, void *data)
{
	struct policy_config_walk *walk = data;
	struct cfg_policy pol;
	struct policy p;

	if (walk->error || policy_parse(nlh, &p))
		return MNL_CB_OK;
	p.has_stats = false;
	if (config_fill(&p, &pol)) {
		walk->error = EXIT_FAILURE;
		return MNL_CB_OK;
	}
	walk->fn(&pol, walk->data);
	return MNL_CB_OK;
}

int policy_config_read(uint32_t spd, void (*fn)(struct cfg_policy *pol,
						void *data), void *data)
{
	struct policy_config_walk walk = { fn, data, 0 };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nl_set_object("spd %u", spd);
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_POLICY_GET, NLM_F_DUMP);
	nl_put_nested_u32(nlh, IPSECIF_A_SPD, IPSECIF_SPD_A_ID, spd);
	ret = ipsecif_talk(nlh, config_read_cb, &walk);
	if (!ret && walk.error)
		fprintf(stderr, "ipsecctl: out of memory\n");
	return ret ? ret : walk.error;
}

static int config_request(uint8_t cmd, const struct cfg_policy *pol)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = ipsecif_msg_start(buf, cmd, 0);
	put_policy(nlh, pol->priv);
	return ipsecif_talk(nlh, NULL, NULL);
}

int policy_config_add(const struct cfg_policy *pol)
{
	return config_request(IPSECIF_CMD_POLICY_NEW, pol);
}

int policy_config_del(const struct cfg_policy *pol)
{
	return config_request(IPSECIF_CMD_POLICY_DEL, pol);
}
