// SPDX-License-Identifier: GPL-2.0
/*
 * The spd object: security policy databases, added, deleted, attached to
 * and detached from interfaces, and listed with the IPSECIF_CMD_SPD_*
 * commands of the ipsecif generic netlink family, as
 * include/uapi/linux/ipsecif.h specifies; and their notifications, for
 * "monitor". Their policies are policy.c's.
 */

#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/ipsecif.h>

#include "config.h"
#include "ipsecctl.h"
#include "json.h"
#include "nl.h"
#include "utils.h"

_Static_assert(IPSECIF_SPD_STATS_A_MAX <= U64S_MAX,
	       "struct u64s holds the SPD counters");

/* The same in the text and the JSON output. */
static const char *const spd_stats_names[] = {
	[IPSECIF_SPD_STATS_A_IN_NO_MATCH] = "in_no_match",
	[IPSECIF_SPD_STATS_A_OUT_NO_MATCH] = "out_no_match",
	[IPSECIF_SPD_STATS_A_IN_PLAINTEXT] = "in_plaintext",
	[IPSECIF_SPD_STATS_A_IN_SELECTOR] = "in_selector",
	[IPSECIF_SPD_STATS_A_OUT_ERROR] = "out_error",
};

/* The arguments a command takes, in this order. */
enum spd_args {
	SPD_ARG_ID = BIT(0),		/* ID */
	SPD_ARG_MAYBE_ID = BIT(1),	/* [ID] */
	SPD_ARG_DEV = BIT(2),		/* dev NAME */
};

/* What a command names: an SPD, an interface, or both. */
struct spd_params {
	bool has_id;
	uint32_t id;
	const char *ifname;	/* NULL: none */
};

/* What the kernel reports of an SPD; @spd points into the message. */
struct spd_info {
	uint32_t id;
	uint32_t policies;
	const struct nlattr *spd;	/* IPSECIF_A_SPD, for the IFINDEXes */
	bool has_stats;
	struct u64s stats;
};

static void spd_usage(FILE *out)
{
	fputs("Usage: ipsecctl spd add ID\n"
	      "       ipsecctl spd del ID\n"
	      "       ipsecctl spd attach ID dev NAME\n"
	      "       ipsecctl spd detach dev NAME\n"
	      "       ipsecctl spd show [ID]\n"
	      "       ipsecctl spd help\n"
	      "where  ID := the 32-bit id of an SPD, decimal or 0x hexadecimal\n"
	      "       NAME := an interface of any type\n", out);
}

/* Checks "dev NAME" at argv[@i] (@i < @argc); NAME is argv[@i + 1]. */
static int check_dev(int argc, char **argv, int i)
{
	if (strcmp(argv[i], "dev"))
		return usage_error(spd_usage,
				   "unknown argument \"%s\": expected \"dev\"",
				   argv[i]);
	if (i + 1 == argc)
		return usage_error(spd_usage, "missing value for \"dev\"");
	return check_ifname(spd_usage, argv[i + 1]);
}

/* Parses the arguments @args (enum spd_args) and nothing more. */
static int parse_params(int argc, char **argv, unsigned int args,
			struct spd_params *p)
{
	int i = 0, ret;

	memset(p, 0, sizeof(*p));
	if (args & SPD_ARG_ID && !argc)
		return usage_error(spd_usage, "missing ID");
	if (args & (SPD_ARG_ID | SPD_ARG_MAYBE_ID) && argc) {
		ret = parse_u32_arg(spd_usage, "ID", argv[0], &p->id);
		if (ret)
			return ret;
		p->has_id = true;
		i++;
	}
	if (args & SPD_ARG_DEV) {
		if (i == argc)
			return usage_error(spd_usage, "missing \"dev NAME\"");
		ret = check_dev(argc, argv, i);
		if (ret)
			return ret;
		p->ifname = argv[i + 1];
		i += 2;
	}
	return check_no_more(spd_usage, argc, argv, i);
}

/* IPSECIF_A_IFNAME and IPSECIF_A_SPD/ID, each if given. */
static void put_params(struct nlmsghdr *nlh, const struct spd_params *p)
{
	if (p->ifname)
		mnl_attr_put_strz(nlh, IPSECIF_A_IFNAME, p->ifname);
	if (p->has_id)
		nl_put_nested_u32(nlh, IPSECIF_A_SPD, IPSECIF_SPD_A_ID, p->id);
}

/* Fills @info from a reply carrying IPSECIF_A_SPD/ID; fails for others. */
static int spd_parse(const struct nlmsghdr *nlh, struct spd_info *info)
{
	const struct nlattr *tb[IPSECIF_A_MAX + 1];
	const struct nlattr *spd[IPSECIF_SPD_A_MAX + 1];

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -1;
	nl_parse_attrs(nlh, sizeof(struct genlmsghdr), tb, IPSECIF_A_MAX);
	if (!tb[IPSECIF_A_SPD])
		return -1;
	nl_parse_nested(tb[IPSECIF_A_SPD], spd, IPSECIF_SPD_A_MAX);

	memset(info, 0, sizeof(*info));
	if (!nl_get_u32(spd[IPSECIF_SPD_A_ID], &info->id))
		return -1;
	nl_get_u32(spd[IPSECIF_SPD_A_POLICIES], &info->policies);
	info->spd = tb[IPSECIF_A_SPD];
	if (spd[IPSECIF_SPD_A_STATS]) {
		info->has_stats = true;
		nl_get_u64s(spd[IPSECIF_SPD_A_STATS], IPSECIF_SPD_STATS_A_MAX,
			    &info->stats);
	}
	return 0;
}

/*
 * Calls @fn with the name of each interface the SPD is attached to, in the
 * order the kernel reports them.
 */
static void for_each_dev(const struct spd_info *info,
			 void (*fn)(const char *name, void *data), void *data)
{
	const struct nlattr *attr;
	char name[IF_NAMESIZE];
	uint32_t ifindex;

	mnl_attr_for_each_nested(attr, info->spd)
		if (mnl_attr_get_type(attr) == IPSECIF_SPD_A_IFINDEX &&
		    nl_get_u32(attr, &ifindex))
			fn(format_ifindex(ifindex, name), data);
}

static void print_dev_text(const char *name, void *data)
{
	(void)data;
	printf(" dev %s", name);
}

/* spd ID policies N [dev NAME]...; with -s, a line of counters */
static void print_spd_text(const struct spd_info *info)
{
	printf("spd %u policies %u", info->id, info->policies);
	for_each_dev(info, print_dev_text, NULL);
	putchar('\n');
	if (ipsecctl_opts.stats && info->has_stats) {
		fputs("   ", stdout);
		print_u64s_text(spd_stats_names, ARRAY_SIZE(spd_stats_names),
				&info->stats);
		putchar('\n');
	}
}

static void print_dev_json(const char *name, void *data)
{
	json_string(data, NULL, name);
}

static void print_spd_json(struct json_writer *jw,
			   const struct spd_info *info)
{
	json_object_open(jw, NULL);
	json_uint(jw, "id", info->id);
	json_uint(jw, "policies", info->policies);
	json_array_open(jw, "devices");
	for_each_dev(info, print_dev_json, jw);
	json_array_close(jw);
	if (ipsecctl_opts.stats && info->has_stats)
		print_u64s_json(jw, "stats", spd_stats_names,
				ARRAY_SIZE(spd_stats_names), &info->stats);
	json_object_close(jw);
}

/* The interface of SPD_ATTACH and SPD_DETACH: IPSECIF_A_IFINDEX. */
static bool get_event_ifindex(const struct nlmsghdr *nlh, uint32_t *ifindex)
{
	const struct nlattr *tb[IPSECIF_A_MAX + 1];

	nl_parse_attrs(nlh, sizeof(struct genlmsghdr), tb, IPSECIF_A_MAX);
	return nl_get_u32(tb[IPSECIF_A_IFINDEX], ifindex);
}

/*
 * "spd new ID", "spd del ID"; "spd attach ID dev NAME", "spd detach ID dev
 * NAME", NAME being "ifINDEX" for an interface that has no name (any
 * more) in this netns.
 */
int spd_monitor(const struct nlmsghdr *nlh, const struct monitor_event *event,
		struct json_writer *jw)
{
	bool attach = event->cmd == IPSECIF_CMD_SPD_ATTACH ||
		      event->cmd == IPSECIF_CMD_SPD_DETACH;
	char name[IF_NAMESIZE];
	struct spd_info info;
	uint32_t ifindex;

	if (spd_parse(nlh, &info))
		return -1;
	attach = attach && get_event_ifindex(nlh, &ifindex);
	if (!ipsecctl_opts.json) {
		printf("%s %u", event->text, info.id);
		if (attach)
			printf(" dev %s", format_ifindex(ifindex, name));
		putchar('\n');
		return 0;
	}
	json_object_open(jw, NULL);
	json_string(jw, "event", event->json);
	json_uint(jw, "id", info.id);
	if (attach) {
		json_string(jw, "dev", format_ifindex(ifindex, name));
		json_uint(jw, "ifindex", ifindex);
	}
	json_object_close(jw);
	return 0;
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	struct spd_info info;

	if (spd_parse(nlh, &info))
		return MNL_CB_OK;
	if (ipsecctl_opts.json)
		print_spd_json(data, &info);
	else
		print_spd_text(&info);
	return MNL_CB_OK;
}

/*
 * What errors of a request about @p name: "spd ID", "spd ID dev NAME"
 * (attach), "spd dev NAME" (detach) or, for a dump, "spd show".
 */
static void set_object(const struct spd_params *p)
{
	if (p->has_id && p->ifname)
		nl_set_object("spd %u dev %s", p->id, p->ifname);
	else if (p->has_id)
		nl_set_object("spd %u", p->id);
	else if (p->ifname)
		nl_set_object("spd dev %s", p->ifname);
	else
		nl_set_object("spd show");
}

/*
 * Sends @cmd about what @argv names: for IPSECIF_CMD_SPD_GET, one SPD by
 * its id or a dump of them all, shown.
 */
static int spd_request(uint8_t cmd, unsigned int args, int argc, char **argv)
{
	bool show = cmd == IPSECIF_CMD_SPD_GET;
	char buf[NL_MSG_SIZE];
	struct spd_params p;
	struct nlmsghdr *nlh;
	int ret;

	ret = parse_params(argc, argv, args, &p);
	if (ret)
		return ret;

	set_object(&p);
	nlh = ipsecif_msg_start(buf, cmd, show && !p.has_id ? NLM_F_DUMP : 0);
	put_params(nlh, &p);
	return show ? ipsecif_show(nlh, show_cb) : ipsecif_talk(nlh, NULL, NULL);
}

static int spd_add(int argc, char **argv)
{
	return spd_request(IPSECIF_CMD_SPD_NEW, SPD_ARG_ID, argc, argv);
}

static int spd_del(int argc, char **argv)
{
	return spd_request(IPSECIF_CMD_SPD_DEL, SPD_ARG_ID, argc, argv);
}

static int spd_attach(int argc, char **argv)
{
	return spd_request(IPSECIF_CMD_SPD_ATTACH, SPD_ARG_ID | SPD_ARG_DEV,
			   argc, argv);
}

static int spd_detach(int argc, char **argv)
{
	return spd_request(IPSECIF_CMD_SPD_DETACH, SPD_ARG_DEV, argc, argv);
}

static int spd_show(int argc, char **argv)
{
	return spd_request(IPSECIF_CMD_SPD_GET, SPD_ARG_MAYBE_ID, argc, argv);
}

static const struct command spd_commands[] = {
	{ "add", spd_add },
	{ "del", spd_del },
	{ "attach", spd_attach },
	{ "detach", spd_detach },
	{ "show", spd_show },
};

/* "ipsecctl spd" alone lists the SPDs. */
int cmd_spd(int argc, char **argv)
{
	if (!argc)
		return spd_show(0, argv);
	return run_command(spd_commands, ARRAY_SIZE(spd_commands), "command",
			   spd_usage, argc, argv);
}

/*
 * Configuration files (config.c): "spd ID [dev NAME]...", the SPD and the
 * interfaces it is attached to ("spd attach ID dev NAME").
 */

/* The id, and the names after each "dev" in @devs (argc / 2 of them). */
int spd_config_parse(int argc, char **argv, uint32_t *id, char **devs,
		     unsigned int *n_devs)
{
	int i, ret;

	*n_devs = 0;
	if (!argc)
		return usage_error(spd_usage, "missing ID");
	ret = parse_u32_arg(spd_usage, "ID", argv[0], id);
	for (i = 1; !ret && i < argc; i += 2) {
		ret = check_dev(argc, argv, i);
		if (!ret)
			devs[(*n_devs)++] = argv[i + 1];
	}
	return ret;
}

struct spd_config_walk {
	void (*fn)(uint32_t id, const uint32_t *ifindexes, unsigned int count,
		   void *data);
	void *data;
};

static int config_read_cb(const struct nlmsghdr *nlh, void *data)
{
	struct spd_config_walk *walk = data;
	const struct nlattr *attr;
	uint32_t ifindexes[256];
	struct spd_info info;
	unsigned int count = 0;

	if (spd_parse(nlh, &info))
		return MNL_CB_OK;
	mnl_attr_for_each_nested(attr, info.spd)
		if (mnl_attr_get_type(attr) == IPSECIF_SPD_A_IFINDEX &&
		    count < ARRAY_SIZE(ifindexes) &&
		    nl_get_u32(attr, &ifindexes[count]))
			count++;
	walk->fn(info.id, ifindexes, count, walk->data);
	return MNL_CB_OK;
}

int spd_config_read(void (*fn)(uint32_t id, const uint32_t *ifindexes,
			       unsigned int count, void *data), void *data)
{
	struct spd_config_walk walk = { fn, data };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nl_set_object("spd show");
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SPD_GET, NLM_F_DUMP);
	return ipsecif_talk(nlh, config_read_cb, &walk);
}

static int config_request(uint8_t cmd, uint32_t id, const char *ifname)
{
	struct spd_params p = { .has_id = true, .id = id, .ifname = ifname };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = ipsecif_msg_start(buf, cmd, 0);
	put_params(nlh, &p);
	return ipsecif_talk(nlh, NULL, NULL);
}

int spd_config_add(uint32_t id)
{
	return config_request(IPSECIF_CMD_SPD_NEW, id, NULL);
}

int spd_config_del(uint32_t id)
{
	return config_request(IPSECIF_CMD_SPD_DEL, id, NULL);
}

int spd_config_attach(uint32_t id, const char *ifname)
{
	return config_request(IPSECIF_CMD_SPD_ATTACH, id, ifname);
}

int spd_config_detach(uint32_t id, const char *ifname)
{
	return config_request(IPSECIF_CMD_SPD_DETACH, id, ifname);
}
