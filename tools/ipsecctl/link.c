// SPDX-License-Identifier: GPL-2.0
/*
 * The link object: ipsecif interfaces, created, changed, deleted and listed
 * with rtnetlink (RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK) and IFLA_INFO_KIND
 * "ipsecif", as include/uapi/linux/ipsecif.h specifies.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/ipsecif.h>
#include <linux/rtnetlink.h>

#include "config.h"
#include "ipsecctl.h"
#include "json.h"
#include "nl.h"
#include "utils.h"

enum link_param {
	LINK_PARAM_MODE,
	LINK_PARAM_LOCAL,
	LINK_PARAM_REMOTE,
	LINK_PARAM_TABLE,
	LINK_PARAM_FWMARK,
};

static const char *const link_param_names[] = {
	[LINK_PARAM_MODE] = "mode",
	[LINK_PARAM_LOCAL] = "local",
	[LINK_PARAM_REMOTE] = "remote",
	[LINK_PARAM_TABLE] = "table",
	[LINK_PARAM_FWMARK] = "fwmark",
};

/* What "link add" and "link set" ask for; only given parameters are sent. */
struct link_params {
	unsigned int given;	/* BIT(enum link_param) */
	uint32_t mode;
	struct ip_addr local;
	struct ip_addr remote;
	uint32_t table;
	uint32_t fwmark;
};

/* What RTM_NEWLINK reports of an interface. */
struct link_info {
	char ifname[IFNAMSIZ];
	int ifindex;
	bool is_ipsecif;
	uint32_t mode;
	struct ip_addr local;
	struct ip_addr remote;
	uint32_t table;
	uint32_t fwmark;
	uint32_t mtu;
	uint8_t operstate;
	uint8_t carrier;
	bool has_link_netnsid;
	int32_t link_netnsid;
	struct rtnl_link_stats64 stats;
};

static const char *const mode_names[] = {
	[IPSECIF_MODE_P2P] = "p2p",
	[IPSECIF_MODE_P2MP] = "p2mp",
};

/* RFC 2863 operational states, named as iproute2 names them. */
static const char *const operstate_names[] = {
	[IF_OPER_UNKNOWN] = "UNKNOWN",
	[IF_OPER_NOTPRESENT] = "NOTPRESENT",
	[IF_OPER_DOWN] = "DOWN",
	[IF_OPER_LOWERLAYERDOWN] = "LOWERLAYERDOWN",
	[IF_OPER_TESTING] = "TESTING",
	[IF_OPER_DORMANT] = "DORMANT",
	[IF_OPER_UP] = "UP",
};

static void link_usage(FILE *out)
{
	fputs("Usage: ipsecctl link add NAME [mode p2p|p2mp] [local ADDR remote ADDR]\n"
	      "                         [table N] [fwmark N]\n"
	      "       ipsecctl link set NAME [local ADDR remote ADDR] [table N] [fwmark N]\n"
	      "       ipsecctl link del NAME\n"
	      "       ipsecctl link show [NAME]\n"
	      "       ipsecctl link help\n"
	      "where  ADDR := an IPv4 or IPv6 address, both of one family\n"
	      "       N := a 32-bit number, decimal or 0x hexadecimal\n", out);
}

static const char *mode_name(uint32_t mode)
{
	return name_of(mode_names, ARRAY_SIZE(mode_names), mode);
}

static const char *operstate_name(uint8_t operstate)
{
	return operstate < ARRAY_SIZE(operstate_names) ?
	       operstate_names[operstate] : "UNKNOWN";
}

static const char *parse_mode(const char *arg, uint32_t *mode)
{
	int i = find_name(mode_names, ARRAY_SIZE(mode_names), arg);

	if (i < 0)
		return "expected p2p or p2mp";
	*mode = i;
	return NULL;
}

static int parse_param(enum link_param param, const char *arg,
		       struct link_params *p)
{
	const char *why = NULL;

	switch (param) {
	case LINK_PARAM_MODE:
		why = parse_mode(arg, &p->mode);
		break;
	case LINK_PARAM_LOCAL:
		why = parse_addr(arg, &p->local);
		break;
	case LINK_PARAM_REMOTE:
		why = parse_addr(arg, &p->remote);
		break;
	case LINK_PARAM_TABLE:
		why = parse_u32(arg, &p->table);
		break;
	case LINK_PARAM_FWMARK:
		why = parse_u32(arg, &p->fwmark);
		break;
	}
	if (why)
		return usage_error(link_usage, "invalid %s \"%s\": %s",
				   link_param_names[param], arg, why);
	return 0;
}

/* LOCAL and REMOTE go together; the kernel judges the addresses themselves. */
static int check_endpoints(const struct link_params *p)
{
	bool local = p->given & BIT(LINK_PARAM_LOCAL);
	bool remote = p->given & BIT(LINK_PARAM_REMOTE);

	if (local != remote)
		return usage_error(link_usage, "\"%s\" requires \"%s\"",
				   local ? "local" : "remote",
				   local ? "remote" : "local");
	if (local && p->local.family != p->remote.family)
		return usage_error(link_usage,
				   "local and remote must be of the same address family");
	return 0;
}

/* Parses "KEYWORD VALUE" pairs; "mode" only when creating. */
static int parse_params(int argc, char **argv, bool create,
			struct link_params *p)
{
	int i, param, ret;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < argc; i += 2) {
		param = find_name(link_param_names,
				  ARRAY_SIZE(link_param_names), argv[i]);
		if (param < 0)
			return usage_error(link_usage, "unknown argument \"%s\"",
					   argv[i]);
		if (param == LINK_PARAM_MODE && !create)
			return usage_error(link_usage,
					   "the mode is fixed at creation");
		if (i + 1 == argc)
			return usage_error(link_usage, "missing value for \"%s\"",
					   argv[i]);
		if (p->given & BIT(param))
			return usage_error(link_usage, "\"%s\" given twice",
					   argv[i]);
		p->given |= BIT(param);
		ret = parse_param(param, argv[i + 1], p);
		if (ret)
			return ret;
	}
	return check_endpoints(p);
}

static void put_endpoints(struct nlmsghdr *nlh, const struct link_params *p)
{
	nl_put_addr(nlh, IFLA_IPSECIF_LOCAL, IFLA_IPSECIF_LOCAL6, &p->local);
	nl_put_addr(nlh, IFLA_IPSECIF_REMOTE, IFLA_IPSECIF_REMOTE6, &p->remote);
}

/* IFLA_LINKINFO: the kind, and IFLA_INFO_DATA with the given parameters. */
static void put_linkinfo(struct nlmsghdr *nlh, const struct link_params *p)
{
	struct nlattr *linkinfo, *data;

	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, IPSECIF_LINK_KIND);
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	if (p->given & BIT(LINK_PARAM_MODE))
		mnl_attr_put_u32(nlh, IFLA_IPSECIF_MODE, p->mode);
	if (p->given & BIT(LINK_PARAM_LOCAL))
		put_endpoints(nlh, p);
	if (p->given & BIT(LINK_PARAM_TABLE))
		mnl_attr_put_u32(nlh, IFLA_IPSECIF_TABLE, p->table);
	if (p->given & BIT(LINK_PARAM_FWMARK))
		mnl_attr_put_u32(nlh, IFLA_IPSECIF_FWMARK, p->fwmark);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
}

/* Starts a request about the interface @ifindex (0: named by IFLA_IFNAME). */
static struct nlmsghdr *link_msg_start(char *buf, uint16_t type,
				       uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = nl_msg_start(buf, type, flags);
	struct ifinfomsg *ifi;

	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

static void parse_ipsecif_data(const struct nlattr *data,
			       struct link_info *info)
{
	const struct nlattr *tb[IFLA_IPSECIF_MAX + 1];

	nl_parse_nested(data, tb, IFLA_IPSECIF_MAX);
	nl_get_u32(tb[IFLA_IPSECIF_MODE], &info->mode);
	nl_get_addr(tb[IFLA_IPSECIF_LOCAL], tb[IFLA_IPSECIF_LOCAL6],
		    &info->local);
	nl_get_addr(tb[IFLA_IPSECIF_REMOTE], tb[IFLA_IPSECIF_REMOTE6],
		    &info->remote);
	nl_get_u32(tb[IFLA_IPSECIF_TABLE], &info->table);
	nl_get_u32(tb[IFLA_IPSECIF_FWMARK], &info->fwmark);
}

static void parse_linkinfo(const struct nlattr *linkinfo,
			   struct link_info *info)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1];
	const char *kind;

	nl_parse_nested(linkinfo, tb, IFLA_INFO_MAX);
	kind = nl_get_str(tb[IFLA_INFO_KIND]);
	info->is_ipsecif = kind && !strcmp(kind, IPSECIF_LINK_KIND);
	if (info->is_ipsecif && tb[IFLA_INFO_DATA])
		parse_ipsecif_data(tb[IFLA_INFO_DATA], info);
}

/* Counters: older kernels send fewer, newer ones more, than we know of. */
static void get_stats64(const struct nlattr *attr,
			struct rtnl_link_stats64 *stats)
{
	size_t len;

	if (!attr)
		return;
	len = mnl_attr_get_payload_len(attr);
	if (len > sizeof(*stats))
		len = sizeof(*stats);
	memcpy(stats, mnl_attr_get_payload(attr), len);
}

/* Fills @info from an RTM_NEWLINK message; fails for anything else. */
static int link_parse(const struct nlmsghdr *nlh, struct link_info *info)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1];
	const char *name;
	uint32_t netnsid;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -1;
	nl_parse_attrs(nlh, sizeof(*ifi), tb, IFLA_MAX);
	name = nl_get_str(tb[IFLA_IFNAME]);
	if (!name || strlen(name) >= sizeof(info->ifname))
		return -1;

	memset(info, 0, sizeof(*info));
	strcpy(info->ifname, name);
	info->ifindex = ifi->ifi_index;
	nl_get_u32(tb[IFLA_MTU], &info->mtu);
	nl_get_u8(tb[IFLA_OPERSTATE], &info->operstate);
	nl_get_u8(tb[IFLA_CARRIER], &info->carrier);
	if (nl_get_u32(tb[IFLA_LINK_NETNSID], &netnsid)) {
		info->has_link_netnsid = true;
		info->link_netnsid = (int32_t)netnsid;
	}
	get_stats64(tb[IFLA_STATS64], &info->stats);
	if (tb[IFLA_LINKINFO])
		parse_linkinfo(tb[IFLA_LINKINFO], info);
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	link_parse(nlh, data);
	return MNL_CB_OK;
}

/* Reads interface @name into @info; fails unless it is an ipsecif. */
static int link_get(const char *name, struct link_info *info)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	ret = check_ifname(link_usage, name);
	if (ret)
		return ret;
	nl_set_object("link %s", name);
	nlh = link_msg_start(buf, RTM_GETLINK, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	memset(info, 0, sizeof(*info));
	ret = rtnl_talk(nlh, get_cb, info);
	if (ret)
		return ret;
	if (!info->is_ipsecif) {
		fprintf(stderr, "ipsecctl: link %s: not an ipsecif interface\n",
			name);
		return EXIT_USAGE;
	}
	return 0;
}

static int link_add(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct link_params p;
	struct nlmsghdr *nlh;
	int ret;

	if (!argc)
		return usage_error(link_usage, "missing NAME");
	ret = check_ifname(link_usage, argv[0]);
	if (ret)
		return ret;
	ret = parse_params(argc - 1, argv + 1, true, &p);
	if (ret)
		return ret;

	nl_set_object("link %s", argv[0]);
	nlh = link_msg_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, argv[0]);
	put_linkinfo(nlh, &p);
	return rtnl_talk(nlh, NULL, NULL);
}

/*
 * The kernel's changelink: parameters left out keep their value. The
 * IFLA_INFO_DATA nest is always sent, so the kernel too would refuse an
 * interface of another kind.
 */
static int link_set(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct link_params p;
	struct link_info info;
	struct nlmsghdr *nlh;
	int ret;

	if (!argc)
		return usage_error(link_usage, "missing NAME");
	ret = parse_params(argc - 1, argv + 1, false, &p);
	if (ret)
		return ret;
	ret = link_get(argv[0], &info);
	if (ret)
		return ret;

	nlh = link_msg_start(buf, RTM_NEWLINK, 0, info.ifindex);
	put_linkinfo(nlh, &p);
	return rtnl_talk(nlh, NULL, NULL);
}

static int link_del(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct link_info info;
	struct nlmsghdr *nlh;
	int ret;

	if (!argc)
		return usage_error(link_usage, "missing NAME");
	ret = check_no_more(link_usage, argc, argv, 1);
	if (ret)
		return ret;
	ret = link_get(argv[0], &info);
	if (ret)
		return ret;

	nlh = link_msg_start(buf, RTM_DELLINK, 0, info.ifindex);
	return rtnl_talk(nlh, NULL, NULL);
}

/*
 * With -s, the packets, bytes, errors and drops of each direction; with
 * -s -s, each followed by its errors by kind, as "ip -s -s link" shows
 * them.
 */
static void print_stats_text(const struct rtnl_link_stats64 *s)
{
	bool details = ipsecctl_opts.stats >= STATS_DETAILS;

	printf("    RX: packets %llu bytes %llu errors %llu dropped %llu\n",
	       s->rx_packets, s->rx_bytes, s->rx_errors, s->rx_dropped);
	if (details)
		printf("    RX errors: length %llu crc %llu frame %llu fifo %llu missed %llu over %llu nohandler %llu\n",
		       s->rx_length_errors, s->rx_crc_errors,
		       s->rx_frame_errors, s->rx_fifo_errors,
		       s->rx_missed_errors, s->rx_over_errors,
		       s->rx_nohandler);
	printf("    TX: packets %llu bytes %llu errors %llu dropped %llu\n",
	       s->tx_packets, s->tx_bytes, s->tx_errors, s->tx_dropped);
	if (details)
		printf("    TX errors: aborted %llu fifo %llu window %llu heartbeat %llu carrier %llu collisions %llu\n",
		       s->tx_aborted_errors, s->tx_fifo_errors,
		       s->tx_window_errors, s->tx_heartbeat_errors,
		       s->tx_carrier_errors, s->collisions);
}

/*
 * One line per interface:
 * NAME: mode M [local A remote A] [table N] [fwmark 0xN] mtu N state S
 * carrier on|off [link-netnsid N]
 */
static void print_link_text(const struct link_info *info)
{
	char addr[INET6_ADDRSTRLEN];

	printf("%s: mode %s", info->ifname, mode_name(info->mode));
	if (info->local.family)
		printf(" local %s", format_addr(&info->local, addr, sizeof(addr)));
	if (info->remote.family)
		printf(" remote %s",
		       format_addr(&info->remote, addr, sizeof(addr)));
	if (info->table)
		printf(" table %u", info->table);
	if (info->fwmark)
		printf(" fwmark 0x%x", info->fwmark);
	printf(" mtu %u state %s carrier %s", info->mtu,
	       operstate_name(info->operstate), info->carrier ? "on" : "off");
	if (info->has_link_netnsid)
		printf(" link-netnsid %d", info->link_netnsid);
	putchar('\n');
	if (ipsecctl_opts.stats)
		print_stats_text(&info->stats);
}

/* The errors by kind of -s -s, as "ip -j -s -s link show" names them. */
static void print_rx_errors_json(struct json_writer *jw,
				 const struct rtnl_link_stats64 *s)
{
	json_uint(jw, "length_errors", s->rx_length_errors);
	json_uint(jw, "crc_errors", s->rx_crc_errors);
	json_uint(jw, "frame_errors", s->rx_frame_errors);
	json_uint(jw, "fifo_errors", s->rx_fifo_errors);
	json_uint(jw, "missed_errors", s->rx_missed_errors);
	json_uint(jw, "over_errors", s->rx_over_errors);
	json_uint(jw, "nohandler", s->rx_nohandler);
}

static void print_tx_errors_json(struct json_writer *jw,
				 const struct rtnl_link_stats64 *s)
{
	json_uint(jw, "aborted_errors", s->tx_aborted_errors);
	json_uint(jw, "fifo_errors", s->tx_fifo_errors);
	json_uint(jw, "window_errors", s->tx_window_errors);
	json_uint(jw, "heartbeat_errors", s->tx_heartbeat_errors);
	json_uint(jw, "carrier_errors", s->tx_carrier_errors);
	json_uint(jw, "collisions", s->collisions);
}

/* As "ip -j -s link show" names them; -s -s adds the errors by kind. */
static void print_stats_json(struct json_writer *jw,
			     const struct rtnl_link_stats64 *s)
{
	bool details = ipsecctl_opts.stats >= STATS_DETAILS;

	json_object_open(jw, "stats64");
	json_object_open(jw, "rx");
	json_uint(jw, "bytes", s->rx_bytes);
	json_uint(jw, "packets", s->rx_packets);
	json_uint(jw, "errors", s->rx_errors);
	json_uint(jw, "dropped", s->rx_dropped);
	if (details)
		print_rx_errors_json(jw, s);
	json_object_close(jw);
	json_object_open(jw, "tx");
	json_uint(jw, "bytes", s->tx_bytes);
	json_uint(jw, "packets", s->tx_packets);
	json_uint(jw, "errors", s->tx_errors);
	json_uint(jw, "dropped", s->tx_dropped);
	if (details)
		print_tx_errors_json(jw, s);
	json_object_close(jw);
	json_object_close(jw);
}

static void print_link_json(struct json_writer *jw,
			    const struct link_info *info)
{
	char addr[INET6_ADDRSTRLEN];

	json_object_open(jw, NULL);
	json_string(jw, "ifname", info->ifname);
	json_int(jw, "ifindex", info->ifindex);
	json_string(jw, "mode", mode_name(info->mode));
	if (info->local.family)
		json_string(jw, "local",
			    format_addr(&info->local, addr, sizeof(addr)));
	if (info->remote.family)
		json_string(jw, "remote",
			    format_addr(&info->remote, addr, sizeof(addr)));
	json_uint(jw, "table", info->table);
	json_uint(jw, "fwmark", info->fwmark);
	json_uint(jw, "mtu", info->mtu);
	json_string(jw, "operstate", operstate_name(info->operstate));
	json_bool(jw, "carrier", info->carrier);
	if (info->has_link_netnsid)
		json_int(jw, "link_netnsid", info->link_netnsid);
	if (ipsecctl_opts.stats)
		print_stats_json(jw, &info->stats);
	json_object_close(jw);
}

static void print_link(struct json_writer *jw, const struct link_info *info)
{
	if (ipsecctl_opts.json)
		print_link_json(jw, info);
	else
		print_link_text(info);
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info info;

	if (!link_parse(nlh, &info) && info.is_ipsecif)
		print_link(data, &info);
	return MNL_CB_OK;
}

static int show_all(void)
{
	char buf[NL_MSG_SIZE];
	struct json_writer jw;
	struct nlmsghdr *nlh;
	int ret;

	nl_set_object("link show");
	nlh = link_msg_start(buf, RTM_GETLINK, NLM_F_DUMP, 0);
	show_list_open(&jw);
	ret = rtnl_talk(nlh, show_cb, &jw);
	show_list_close(&jw);
	return ret;
}

static int show_one(const char *name)
{
	struct link_info info;
	struct json_writer jw;
	int ret;

	ret = link_get(name, &info);
	if (ret)
		return ret;
	show_list_open(&jw);
	print_link(&jw, &info);
	show_list_close(&jw);
	return 0;
}

static int link_show(int argc, char **argv)
{
	int ret = check_no_more(link_usage, argc, argv, 1);

	if (ret)
		return ret;
	return argc ? show_one(argv[0]) : show_all();
}

static const struct command link_commands[] = {
	{ "add", link_add },
	{ "set", link_set },
	{ "del", link_del },
	{ "show", link_show },
};

/* "ipsecctl link" alone lists the interfaces, as "ip link" does. */
int cmd_link(int argc, char **argv)
{
	if (!argc)
		return link_show(0, argv);
	return run_command(link_commands, ARRAY_SIZE(link_commands),
			   "command", link_usage, argc, argv);
}

/*
 * Configuration files (config.c): "link NAME [mode p2p|p2mp] [local ADDR
 * remote ADDR] [table N] [fwmark N]", the arguments of "link add".
 */

_Static_assert(CFG_IFNAMSIZ == IFNAMSIZ, "CFG_IFNAMSIZ is IFNAMSIZ");

int link_config_parse(int argc, char **argv, struct cfg_link *link)
{
	struct link_params p;
	int ret;

	if (!argc)
		return usage_error(link_usage, "missing NAME");
	ret = check_ifname(link_usage, argv[0]);
	if (!ret)
		ret = parse_params(argc - 1, argv + 1, true, &p);
	if (ret)
		return ret;
	memset(link, 0, sizeof(*link));
	strcpy(link->name, argv[0]);
	link->mode = p.given & BIT(LINK_PARAM_MODE) ? p.mode : IPSECIF_MODE_P2P;
	if (p.given & BIT(LINK_PARAM_LOCAL)) {
		link->local = p.local;
		link->remote = p.remote;
	}
	link->table = p.table;
	link->fwmark = p.fwmark;
	return 0;
}

/* The line of a file, without its defaults (mode p2p, table 0, fwmark 0). */
void link_config_print(FILE *out, const struct cfg_link *link)
{
	char addr[INET6_ADDRSTRLEN];

	fputs("link ", out);
	print_arg(out, link->name);
	if (link->mode != IPSECIF_MODE_P2P)
		fprintf(out, " mode %s", mode_name(link->mode));
	if (link->local.family) {
		fprintf(out, " local %s",
			format_addr(&link->local, addr, sizeof(addr)));
		fprintf(out, " remote %s",
			format_addr(&link->remote, addr, sizeof(addr)));
	}
	if (link->table)
		fprintf(out, " table %u", link->table);
	if (link->fwmark)
		fprintf(out, " fwmark %u", link->fwmark);
}

static bool same_addr(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	       (!a->family || !memcmp(a->bytes, b->bytes, ip_addr_len(a)));
}

/*
 * The mode is fixed at creation, and local/remote cannot be removed from a
 * live interface: those changes create it again.
 */
enum cfg_diff link_config_diff(const struct cfg_link *want,
			       const struct cfg_link *cur)
{
	if (want->mode != cur->mode || (cur->local.family && !want->local.family))
		return CFG_REPLACE;
	if (!same_addr(&want->local, &cur->local) ||
	    !same_addr(&want->remote, &cur->remote) ||
	    want->table != cur->table || want->fwmark != cur->fwmark)
		return CFG_CHANGE;
	return CFG_SAME;
}

struct link_config_walk {
	void (*fn)(const struct cfg_link *link, bool ipsecif, void *data);
	void *data;
};

static int config_read_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_config_walk *walk = data;
	struct cfg_link link = { 0 };
	struct link_info info;

	if (link_parse(nlh, &info))
		return MNL_CB_OK;
	strcpy(link.name, info.ifname);
	link.ifindex = info.ifindex;
	link.mode = info.mode;
	if (info.local.family && info.remote.family) {
		link.local = info.local;
		link.remote = info.remote;
	}
	link.table = info.table;
	link.fwmark = info.fwmark;
	walk->fn(&link, info.is_ipsecif, walk->data);
	return MNL_CB_OK;
}

int link_config_read(void (*fn)(const struct cfg_link *link, bool ipsecif,
				void *data), void *data)
{
	struct link_config_walk walk = { fn, data };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nl_set_object("link show");
	nlh = link_msg_start(buf, RTM_GETLINK, NLM_F_DUMP, 0);
	return rtnl_talk(nlh, config_read_cb, &walk);
}

/* As "link add" or "link set" with every parameter of @link. */
static void put_config(struct nlmsghdr *nlh, const struct cfg_link *link,
		       bool create)
{
	struct link_params p = {
		.given = BIT(LINK_PARAM_TABLE) | BIT(LINK_PARAM_FWMARK),
		.mode = link->mode,
		.local = link->local,
		.remote = link->remote,
		.table = link->table,
		.fwmark = link->fwmark,
	};

	if (create)
		p.given |= BIT(LINK_PARAM_MODE);
	if (link->local.family)
		p.given |= BIT(LINK_PARAM_LOCAL) | BIT(LINK_PARAM_REMOTE);
	put_linkinfo(nlh, &p);
}

int link_config_add(const struct cfg_link *link)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = link_msg_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, link->name);
	put_config(nlh, link, true);
	return rtnl_talk(nlh, NULL, NULL);
}

int link_config_change(int ifindex, const struct cfg_link *want)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = link_msg_start(buf, RTM_NEWLINK, 0, ifindex);
	put_config(nlh, want, false);
	return rtnl_talk(nlh, NULL, NULL);
}

int link_config_del(int ifindex)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = link_msg_start(buf, RTM_DELLINK, 0, ifindex);
	return rtnl_talk(nlh, NULL, NULL);
}
