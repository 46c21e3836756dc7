// SPDX-License-Identifier: GPL-2.0
/*
 * The protect object: protections, which bind one TX SA and up to
 * IPSECIF_MAX_RX_SA RX SAs to a peer of an ipsecif interface, set, deleted
 * and listed with the IPSECIF_CMD_PROTECT_* commands of the ipsecif generic
 * netlink family, as include/uapi/linux/ipsecif.h specifies; and their
 * notifications, for "monitor".
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/ipsecif.h>

#include "config.h"
#include "ipsecctl.h"
#include "json.h"
#include "nl.h"
#include "utils.h"

enum protect_param {
	PROTECT_PARAM_DEV,
	PROTECT_PARAM_PEER,
	PROTECT_PARAM_TX,
	PROTECT_PARAM_RX,
};

static const char *const protect_param_names[] = {
	[PROTECT_PARAM_DEV] = "dev",
	[PROTECT_PARAM_PEER] = "peer",
	[PROTECT_PARAM_TX] = "tx",
	[PROTECT_PARAM_RX] = "rx",
};

/* What "protect set", "del" and "show" ask for; only given ones are sent. */
struct protect_params {
	unsigned int given;	/* BIT(enum protect_param) */
	const char *ifname;
	struct ip_addr peer;
	uint32_t tx;
	unsigned int rx_count;
	uint32_t rx[IPSECIF_MAX_RX_SA];
};

/* What the kernel reports of a protection. */
struct protect_info {
	uint32_t ifindex;
	char ifname[IFNAMSIZ];
	struct ip_addr peer;
	bool has_tx;
	uint32_t tx;
	unsigned int rx_count;
	uint32_t rx[IPSECIF_MAX_RX_SA];
};

static void protect_usage(FILE *out)
{
	fputs("Usage: ipsecctl protect set dev NAME [peer ADDR] [tx ID] [rx ID [ID [ID [ID]]]]\n"
	      "       ipsecctl protect del dev NAME [peer ADDR]\n"
	      "       ipsecctl protect show [dev NAME]\n"
	      "       ipsecctl protect help\n"
	      "where  ADDR := the IPv4 or IPv6 address of a peer (p2mp interfaces)\n"
	      "       ID := the 32-bit id of an SA, decimal or 0x hexadecimal\n", out);
}

static int invalid_value(enum protect_param param, const char *arg,
			 const char *why)
{
	return usage_error(protect_usage, "invalid %s \"%s\": %s",
			   protect_param_names[param], arg, why);
}

/* How many arguments "rx" takes: those up to the next keyword. */
static int count_rx(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (find_name(protect_param_names,
			      ARRAY_SIZE(protect_param_names), argv[i]) >= 0)
			break;
	return i;
}

/* "rx ID..." with @argc ids at @argv. */
static int parse_rx(int argc, char **argv, struct protect_params *p)
{
	const char *why;
	int i;

	if (!argc)
		return usage_error(protect_usage, "missing value for \"rx\"");
	if (argc > IPSECIF_MAX_RX_SA)
		return usage_error(protect_usage, "at most %d rx SAs",
				   IPSECIF_MAX_RX_SA);
	for (i = 0; i < argc; i++) {
		why = parse_u32(argv[i], &p->rx[i]);
		if (why)
			return invalid_value(PROTECT_PARAM_RX, argv[i], why);
	}
	p->rx_count = argc;
	return 0;
}

static int parse_param(enum protect_param param, const char *arg,
		       struct protect_params *p)
{
	const char *why = NULL;

	switch (param) {
	case PROTECT_PARAM_DEV:
		p->ifname = arg;
		return check_ifname(protect_usage, arg);
	case PROTECT_PARAM_PEER:
		why = parse_addr(arg, &p->peer);
		break;
	case PROTECT_PARAM_TX:
		why = parse_u32(arg, &p->tx);
		break;
	case PROTECT_PARAM_RX:
		break;
	}
	return why ? invalid_value(param, arg, why) : 0;
}

/*
 * Parses "KEYWORD VALUE" pairs, and "rx" with its ids, accepting only the
 * parameters in @allowed (BIT(enum protect_param)); "dev" is required
 * unless @need_dev is false.
 */
static int parse_params(int argc, char **argv, unsigned int allowed,
			bool need_dev, struct protect_params *p)
{
	int i, param, nargs, ret;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < argc; i += 1 + nargs) {
		param = find_name(protect_param_names,
				  ARRAY_SIZE(protect_param_names), argv[i]);
		if (param < 0 || !(allowed & BIT(param)))
			return usage_error(protect_usage,
					   "unknown argument \"%s\"", argv[i]);
		if (p->given & BIT(param))
			return usage_error(protect_usage, "\"%s\" given twice",
					   argv[i]);
		p->given |= BIT(param);
		nargs = 1;
		if (param == PROTECT_PARAM_RX) {
			nargs = count_rx(argc - i - 1, argv + i + 1);
			ret = parse_rx(nargs, argv + i + 1, p);
		} else if (i + 1 == argc) {
			ret = usage_error(protect_usage,
					  "missing value for \"%s\"", argv[i]);
		} else {
			ret = parse_param(param, argv[i + 1], p);
		}
		if (ret)
			return ret;
	}
	if (need_dev && !(p->given & BIT(PROTECT_PARAM_DEV)))
		return usage_error(protect_usage, "missing \"dev\"");
	return 0;
}

/* IPSECIF_A_IFNAME, and IPSECIF_A_PROTECT with the given parameters. */
static void put_protect(struct nlmsghdr *nlh, const struct protect_params *p)
{
	struct nlattr *nest;
	unsigned int i;

	mnl_attr_put_strz(nlh, IPSECIF_A_IFNAME, p->ifname);
	nest = nl_nest_start(nlh, IPSECIF_A_PROTECT);
	if (p->given & BIT(PROTECT_PARAM_PEER))
		nl_put_addr(nlh, IPSECIF_PROTECT_A_PEER,
			    IPSECIF_PROTECT_A_PEER6, &p->peer);
	if (p->given & BIT(PROTECT_PARAM_TX))
		mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_TX_SA, p->tx);
	for (i = 0; i < p->rx_count; i++)
		mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_RX_SA, p->rx[i]);
	mnl_attr_nest_end(nlh, nest);
}

/* "protect dev NAME [peer ADDR]", what errors of requests about it name. */
static void set_object(const char *ifname, const struct ip_addr *peer)
{
	char addr[INET6_ADDRSTRLEN];

	if (peer->family)
		nl_set_object("protect dev %s peer %s", ifname,
			      format_addr(peer, addr, sizeof(addr)));
	else
		nl_set_object("protect dev %s", ifname);
}

/* Sends @cmd about the protection that @argv names (and sets). */
static int protect_request(uint8_t cmd, unsigned int allowed, int argc,
			   char **argv)
{
	char buf[NL_MSG_SIZE];
	struct protect_params p;
	struct nlmsghdr *nlh;
	int ret;

	ret = parse_params(argc, argv, allowed, true, &p);
	if (ret)
		return ret;

	set_object(p.ifname, &p.peer);
	nlh = ipsecif_msg_start(buf, cmd, 0);
	put_protect(nlh, &p);
	return ipsecif_talk(nlh, NULL, NULL);
}

/* Replaces the whole protection of the peer: what is not given is gone. */
static int protect_set(int argc, char **argv)
{
	unsigned int allowed = BIT(PROTECT_PARAM_DEV) |
			       BIT(PROTECT_PARAM_PEER) |
			       BIT(PROTECT_PARAM_TX) | BIT(PROTECT_PARAM_RX);

	return protect_request(IPSECIF_CMD_PROTECT_SET, allowed, argc, argv);
}

static int protect_del(int argc, char **argv)
{
	return protect_request(IPSECIF_CMD_PROTECT_DEL,
			       BIT(PROTECT_PARAM_DEV) | BIT(PROTECT_PARAM_PEER),
			       argc, argv);
}

/* Reads IPSECIF_A_PROTECT, whose RX_SA repeats. */
static void get_protect(const struct nlattr *nest, struct protect_info *info)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case IPSECIF_PROTECT_A_PEER:
			nl_get_addr(attr, NULL, &info->peer);
			break;
		case IPSECIF_PROTECT_A_PEER6:
			nl_get_addr(NULL, attr, &info->peer);
			break;
		case IPSECIF_PROTECT_A_TX_SA:
			info->has_tx = nl_get_u32(attr, &info->tx);
			break;
		case IPSECIF_PROTECT_A_RX_SA:
			if (info->rx_count < IPSECIF_MAX_RX_SA &&
			    nl_get_u32(attr, &info->rx[info->rx_count]))
				info->rx_count++;
			break;
		}
	}
}

/*
 * Fills @info from a reply carrying IPSECIF_A_PROTECT; fails for anything
 * else. An interface without a name (impossible today) is shown as
 * "ifINDEX", as ip(8) shows one.
 */
static int protect_parse(const struct nlmsghdr *nlh,
			 struct protect_info *info)
{
	const struct nlattr *tb[IPSECIF_A_MAX + 1];
	const char *name;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -1;
	nl_parse_attrs(nlh, sizeof(struct genlmsghdr), tb, IPSECIF_A_MAX);
	if (!tb[IPSECIF_A_PROTECT])
		return -1;

	memset(info, 0, sizeof(*info));
	nl_get_u32(tb[IPSECIF_A_IFINDEX], &info->ifindex);
	name = nl_get_str(tb[IPSECIF_A_IFNAME]);
	if (name && strlen(name) < sizeof(info->ifname))
		strcpy(info->ifname, name);
	else
		snprintf(info->ifname, sizeof(info->ifname), "if%u",
			 info->ifindex);
	get_protect(tb[IPSECIF_A_PROTECT], info);
	return 0;
}

/*
 * What "protect show" prints with: the JSON writer, and with -s -s
 * (@counters) those of the SAs.
 */
struct protect_show {
	struct json_writer jw;
	bool counters;
	struct sa_counters *sas;
	size_t sa_count;
};

/* dev NAME [peer ADDR] [tx ID] [rx ID...] */
static void print_protect_text(const struct protect_info *info)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int i;

	printf("dev %s", info->ifname);
	if (info->peer.family)
		printf(" peer %s",
		       format_addr(&info->peer, addr, sizeof(addr)));
	if (info->has_tx)
		printf(" tx %u", info->tx);
	if (info->rx_count)
		fputs(" rx", stdout);
	for (i = 0; i < info->rx_count; i++)
		printf(" %u", info->rx[i]);
	putchar('\n');
}

/* The members of a protection's object; its SAs unless @sas is false. */
static void print_protect_members(struct json_writer *jw,
				  const struct protect_info *info, bool sas)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int i;

	json_string(jw, "dev", info->ifname);
	json_uint(jw, "ifindex", info->ifindex);
	if (info->peer.family)
		json_string(jw, "peer",
			    format_addr(&info->peer, addr, sizeof(addr)));
	if (!sas)
		return;
	if (info->has_tx)
		json_uint(jw, "tx", info->tx);
	json_array_open(jw, "rx");
	for (i = 0; i < info->rx_count; i++)
		json_uint(jw, NULL, info->rx[i]);
	json_array_close(jw);
}

/* "    tx|rx sa ID: packets N bytes N drops N lost N", if it has counters. */
static void print_sa_counters_text(const struct protect_show *show,
				   const char *dir, uint32_t id)
{
	const struct u64s *stats = sa_counters_find(show->sas, show->sa_count,
						    id);

	if (!stats)
		return;
	printf("    %s sa %u:", dir, id);
	sa_counters_print_text(stats);
	putchar('\n');
}

/* {"id": ID, "packets": N, ...}, if the SA has counters. */
static void print_sa_counters_json(struct protect_show *show,
				   const char *key, uint32_t id)
{
	const struct u64s *stats = sa_counters_find(show->sas, show->sa_count,
						    id);

	if (!stats)
		return;
	json_object_open(&show->jw, key);
	json_uint(&show->jw, "id", id);
	sa_counters_print_json(&show->jw, stats);
	json_object_close(&show->jw);
}

/*
 * With -s -s, the counters of the protection's SAs: a line each, or
 * "sa_stats" with "tx" and "rx" (an array). SAs without counters (deleted
 * since) are left out.
 */
static void print_sas_counters(struct protect_show *show,
			       const struct protect_info *info)
{
	unsigned int i;

	if (!show->counters)
		return;
	if (!ipsecctl_opts.json) {
		if (info->has_tx)
			print_sa_counters_text(show, "tx", info->tx);
		for (i = 0; i < info->rx_count; i++)
			print_sa_counters_text(show, "rx", info->rx[i]);
		return;
	}
	json_object_open(&show->jw, "sa_stats");
	if (info->has_tx)
		print_sa_counters_json(show, "tx", info->tx);
	json_array_open(&show->jw, "rx");
	for (i = 0; i < info->rx_count; i++)
		print_sa_counters_json(show, NULL, info->rx[i]);
	json_array_close(&show->jw);
	json_object_close(&show->jw);
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	struct protect_show *show = data;
	struct protect_info info;

	if (protect_parse(nlh, &info))
		return MNL_CB_OK;
	if (ipsecctl_opts.json) {
		json_object_open(&show->jw, NULL);
		print_protect_members(&show->jw, &info, true);
		print_sas_counters(show, &info);
		json_object_close(&show->jw);
	} else {
		print_protect_text(&info);
		print_sas_counters(show, &info);
	}
	return MNL_CB_OK;
}

/*
 * PROTECT_SET as "protect show" shows the protection, after "protect set";
 * PROTECT_DEL names the protection that is gone: its interface and peer.
 */
int protect_monitor(const struct nlmsghdr *nlh,
		    const struct monitor_event *event, struct json_writer *jw)
{
	bool set = event->cmd == IPSECIF_CMD_PROTECT_SET;
	struct protect_info info;

	if (protect_parse(nlh, &info))
		return -1;
	if (!set) {
		info.has_tx = false;
		info.rx_count = 0;
	}
	if (!ipsecctl_opts.json) {
		printf("%s ", event->text);
		print_protect_text(&info);
		return 0;
	}
	json_object_open(jw, NULL);
	json_string(jw, "event", event->json);
	print_protect_members(jw, &info, set);
	json_object_close(jw);
	return 0;
}

/*
 * A dump, of one interface's protections if "dev" is given; with -s -s, the
 * counters of all SAs are read first, for those of each protection.
 */
static int protect_show(int argc, char **argv)
{
	struct protect_show show = { 0 };
	char buf[NL_MSG_SIZE];
	struct protect_params p;
	struct nlmsghdr *nlh;
	int ret;

	ret = parse_params(argc, argv, BIT(PROTECT_PARAM_DEV), false, &p);
	if (ret)
		return ret;
	show.counters = ipsecctl_opts.stats >= STATS_DETAILS;
	if (show.counters) {
		ret = sa_counters_read(&show.sas, &show.sa_count);
		if (ret)
			return ret;
	}

	if (p.ifname)
		nl_set_object("protect dev %s", p.ifname);
	else
		nl_set_object("protect show");
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_PROTECT_GET, NLM_F_DUMP);
	if (p.ifname)
		mnl_attr_put_strz(nlh, IPSECIF_A_IFNAME, p.ifname);
	show_list_open(&show.jw);
	ret = ipsecif_talk(nlh, show_cb, &show);
	show_list_close(&show.jw);
	free(show.sas);
	return ret;
}

static const struct command protect_commands[] = {
	{ "set", protect_set },
	{ "del", protect_del },
	{ "show", protect_show },
};

/* "ipsecctl protect" alone lists the protections. */
int cmd_protect(int argc, char **argv)
{
	if (!argc)
		return protect_show(0, argv);
	return run_command(protect_commands, ARRAY_SIZE(protect_commands),
			   "command", protect_usage, argc, argv);
}

/*
 * Configuration files (config.c): "protect dev NAME [peer ADDR] [tx ID] [rx
 * ID...]", the arguments of "protect set".
 */

int protect_config_parse(int argc, char **argv, struct cfg_protect *pr)
{
	unsigned int allowed = BIT(PROTECT_PARAM_DEV) |
			       BIT(PROTECT_PARAM_PEER) |
			       BIT(PROTECT_PARAM_TX) | BIT(PROTECT_PARAM_RX);
	struct protect_params p;
	int ret;

	ret = parse_params(argc, argv, allowed, true, &p);
	if (ret)
		return ret;
	memset(pr, 0, sizeof(*pr));
	snprintf(pr->ifname, sizeof(pr->ifname), "%s", p.ifname);
	if (p.given & BIT(PROTECT_PARAM_PEER))
		pr->peer = p.peer;
	pr->has_tx = p.given & BIT(PROTECT_PARAM_TX);
	pr->tx = p.tx;
	pr->rx_count = p.rx_count;
	memcpy(pr->rx, p.rx, sizeof(pr->rx));
	return 0;
}

void protect_config_print(FILE *out, const struct cfg_protect *pr)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int i;

	fputs("protect dev ", out);
	print_arg(out, pr->ifname);
	if (pr->peer.family)
		fprintf(out, " peer %s",
			format_addr(&pr->peer, addr, sizeof(addr)));
	if (pr->has_tx)
		fprintf(out, " tx %u", pr->tx);
	if (pr->rx_count)
		fputs(" rx", out);
	for (i = 0; i < pr->rx_count; i++)
		fprintf(out, " %u", pr->rx[i]);
}

struct protect_config_walk {
	void (*fn)(const struct cfg_protect *pr, void *data);
	void *data;
};

static int config_read_cb(const struct nlmsghdr *nlh, void *data)
{
	struct protect_config_walk *walk = data;
	struct protect_info info;
	struct cfg_protect pr = { 0 };

	if (protect_parse(nlh, &info))
		return MNL_CB_OK;
	memcpy(pr.ifname, info.ifname, sizeof(pr.ifname));
	pr.peer = info.peer;
	pr.has_tx = info.has_tx;
	pr.tx = info.tx;
	pr.rx_count = info.rx_count;
	memcpy(pr.rx, info.rx, sizeof(pr.rx));
	walk->fn(&pr, walk->data);
	return MNL_CB_OK;
}

int protect_config_read(void (*fn)(const struct cfg_protect *pr, void *data),
			void *data)
{
	struct protect_config_walk walk = { fn, data };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nl_set_object("protect show");
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_PROTECT_GET, NLM_F_DUMP);
	return ipsecif_talk(nlh, config_read_cb, &walk);
}

/* PROTECT_SET (with the SAs) or PROTECT_DEL of @pr. */
static int config_request(uint8_t cmd, const struct cfg_protect *pr)
{
	struct protect_params p = { .ifname = pr->ifname };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	p.given = BIT(PROTECT_PARAM_DEV);
	if (pr->peer.family) {
		p.given |= BIT(PROTECT_PARAM_PEER);
		p.peer = pr->peer;
	}
	if (cmd == IPSECIF_CMD_PROTECT_SET) {
		if (pr->has_tx)
			p.given |= BIT(PROTECT_PARAM_TX);
		p.tx = pr->tx;
		p.rx_count = pr->rx_count;
		memcpy(p.rx, pr->rx, sizeof(p.rx));
	}
	nlh = ipsecif_msg_start(buf, cmd, 0);
	put_protect(nlh, &p);
	return ipsecif_talk(nlh, NULL, NULL);
}

int protect_config_set(const struct cfg_protect *pr)
{
	return config_request(IPSECIF_CMD_PROTECT_SET, pr);
}

int protect_config_del(const struct cfg_protect *pr)
{
	return config_request(IPSECIF_CMD_PROTECT_DEL, pr);
}
