// SPDX-License-Identifier: GPL-2.0
/*
 * ipsecctl: configures ipsecif. This file owns the command line: global
 * options, batch mode, the dispatch to one file per object (link.c, sa.c,
 * protect.c, spd.c, policy.c) and to monitor.c, and the netlink sockets that
 * all commands of one run share: rtnetlink, and generic netlink with the id
 * of the ipsecif family; and the listener socket of "monitor".
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ipsecif.h>

#include "ipsecctl.h"
#include "nl.h"
#include "utils.h"
#include "xfrmsync.h"

struct ipsecctl_options ipsecctl_opts;

static struct nl_handle rtnl;
static struct nl_handle genl;
static uint16_t ipsecif_family;	/* 0 until resolved */

static void usage(FILE *out)
{
	fputs("Usage: ipsecctl [OPTIONS] OBJECT { COMMAND | help }\n"
	      "       ipsecctl [OPTIONS] -b[atch] FILE\n"
	      "       ipsecctl -V[ersion]\n"
	      "       ipsecctl [-j] [-s] monitor\n"
	      "       ipsecctl apply [--dry-run] [--verbose] [--remove] FILE\n"
	      "       ipsecctl dump [--keys]\n"
	      "       ipsecctl xfrm-sync dev NAME if-id ID [peer ADDR] [-v] [--once] [--dry-run]\n"
	      "       ipsecctl help\n"
	      "where  OBJECT := { link | sa | protect | spd | policy }\n"
	      "       OPTIONS := { -j[son] | -p[retty] | -s[tats] }, -s twice for details\n", out);
}

/*
 * Sends a request on the rtnetlink socket, opened on first use; returns an
 * exit status.
 */
int rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	if (!rtnl.sock && nl_open(&rtnl, NETLINK_ROUTE))
		return EXIT_KERNEL;
	return nl_talk(&rtnl, nlh, cb, data) ? EXIT_KERNEL : EXIT_SUCCESS;
}

/* Starts a request of the ipsecif family, whose id ipsecif_talk() fills in. */
struct nlmsghdr *ipsecif_msg_start(char *buf, uint8_t cmd, uint16_t flags)
{
	return genl_msg_start(buf, 0, cmd, IPSECIF_GENL_VERSION, flags);
}

static void report_no_family(int ret)
{
	if (ret == -ENOENT)
		fprintf(stderr, "Error: the ipsecif module is not loaded\n");
}

/*
 * Resolves the ipsecif family once per run; a failure is not remembered, so
 * a later line of a batch retries.
 */
static int resolve_ipsecif_family(void)
{
	int ret = genl_family_id(&genl, IPSECIF_GENL_NAME, &ipsecif_family);

	report_no_family(ret);
	return ret;
}

/*
 * Sends a request of the ipsecif family on the generic netlink socket,
 * opened on first use; returns an exit status.
 */
int ipsecif_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	if (!genl.sock && nl_open(&genl, NETLINK_GENERIC))
		return EXIT_KERNEL;
	if (!ipsecif_family && resolve_ipsecif_family())
		return EXIT_KERNEL;
	nlh->nlmsg_type = ipsecif_family;
	return nl_talk(&genl, nlh, cb, data) ? EXIT_KERNEL : EXIT_SUCCESS;
}

/* Bytes of notifications the kernel may queue for a listener that lags. */
#define LISTEN_RCVBUF	(1 << 20)

/*
 * Opens @nl, a generic netlink socket of its own, with a large receive
 * buffer, and joins the monitor group of the ipsecif family, whose id it
 * stores in @family. Returns an exit status; @nl is closed on failure.
 */
int ipsecif_listen(struct nl_handle *nl, uint16_t *family)
{
	uint32_t group;
	int ret;

	if (nl_open(nl, NETLINK_GENERIC))
		return EXIT_KERNEL;
	ret = genl_group_id(nl, IPSECIF_GENL_NAME, IPSECIF_MCGRP_MONITOR,
			    family, &group);
	if (ret == -ENOENT && !*family)
		report_no_family(ret);
	if (!ret) {
		nl_set_rcvbuf(nl, LISTEN_RCVBUF);
		ret = nl_join_group(nl, group);
	}
	if (ret) {
		nl_close(nl);
		return EXIT_KERNEL;
	}
	return EXIT_SUCCESS;
}

static const struct command objects[] = {
	{ "link", cmd_link },
	{ "sa", cmd_sa },
	{ "protect", cmd_protect },
	{ "spd", cmd_spd },
	{ "policy", cmd_policy },
	{ "monitor", cmd_monitor },
	{ "apply", cmd_apply },
	{ "dump", cmd_dump },
	{ "xfrm-sync", cmd_xfrm_sync },
};

/*
 * Sends a get or dump request of the ipsecif family and shows each reply
 * with @cb, which gets the JSON writer: one JSON array with -json.
 */
int ipsecif_show(struct nlmsghdr *nlh, mnl_cb_t cb)
{
	struct json_writer jw;
	int ret;

	show_list_open(&jw);
	ret = ipsecif_talk(nlh, cb, &jw);
	show_list_close(&jw);
	return ret;
}

/* Runs one command, whose errors name nothing of an earlier one. */
static int run_object(int argc, char **argv)
{
	command_reset();
	nl_clear_object();
	if (!argc)
		return usage_error(usage, "missing OBJECT");
	return run_command(objects, ARRAY_SIZE(objects), "object", usage,
			   argc, argv);
}

/* Runs one batch line; blank lines and comments succeed. */
static int run_line(char *line, size_t len)
{
	char **argv;
	int argc, ret;

	argv = calloc(len / 2 + 1, sizeof(*argv));
	if (!argv) {
		fprintf(stderr, "ipsecctl: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	command_reset();
	argc = split_args(line, argv);
	if (argc < 0)
		ret = usage_error(usage, "unterminated quote");
	else
		ret = argc ? run_object(argc, argv) : EXIT_SUCCESS;
	free(argv);
	return ret;
}

static int run_lines(FILE *file)
{
	unsigned int lineno = 0;
	size_t size = 0;
	char *line = NULL;
	ssize_t len;
	int ret = EXIT_SUCCESS;

	while (!ret && (len = getline(&line, &size, file)) >= 0) {
		lineno++;
		ret = run_line(line, len);
		fflush(stdout);
		if (ret)
			fprintf(stderr, "ipsecctl: line %u: command failed\n",
				lineno);
	}
	if (!ret && ferror(file)) {
		fprintf(stderr, "ipsecctl: line %u: read error\n", lineno + 1);
		ret = EXIT_FAILURE;
	}
	free(line);
	return ret;
}

/* Runs the commands of @path ("-": standard input) until one fails. */
static int run_batch(const char *path)
{
	FILE *file = stdin;
	int ret;

	if (strcmp(path, "-")) {
		file = fopen(path, "r");
		if (!file) {
			fprintf(stderr, "ipsecctl: cannot open %s: %s\n", path,
				strerror(errno));
			return EXIT_FAILURE;
		}
	}
	ret = run_lines(file);
	if (file != stdin)
		fclose(file);
	return ret;
}

/* Whether @arg is "-short" or "-long" (or "--short", "--long"). */
static bool is_option(const char *arg, const char *short_name,
		      const char *long_name)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return !strcmp(arg, short_name) || !strcmp(arg, long_name);
}

/*
 * Consumes the global options before the object; returns how many arguments
 * they took, or -1 after a usage error.
 */
static int parse_options(int argc, char **argv, const char **batch,
			 bool *version)
{
	int i;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		if (is_option(argv[i], "j", "json")) {
			ipsecctl_opts.json = true;
		} else if (is_option(argv[i], "p", "pretty")) {
			ipsecctl_opts.pretty = true;
		} else if (is_option(argv[i], "s", "stats")) {
			/* As ip(8): -s -s shows more than -s. */
			if (ipsecctl_opts.stats < STATS_DETAILS)
				ipsecctl_opts.stats++;
		} else if (is_option(argv[i], "V", "Version")) {
			*version = true;
		} else if (is_option(argv[i], "b", "batch")) {
			if (++i == argc) {
				usage_error(usage, "%s needs a FILE", argv[i - 1]);
				return -1;
			}
			*batch = argv[i];
		} else {
			usage_error(usage, "unknown option \"%s\"", argv[i]);
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	bool version = false;
	int ret;

	/* execve() with an empty argv (refused by Linux since 5.18). */
	if (argc < 1)
		return EXIT_USAGE;
	ret = parse_options(argc - 1, argv + 1, &batch, &version);
	if (ret < 0)
		return EXIT_USAGE;
	argc -= ret + 1;
	argv += ret + 1;

	if (version) {
		printf("ipsecctl %s\n", IPSECCTL_VERSION);
		return EXIT_SUCCESS;
	}
	if (batch && argc)
		return usage_error(usage, "unexpected argument \"%s\" after -batch",
				   argv[0]);

	ret = batch ? run_batch(batch) : run_object(argc, argv);
	nl_close(&rtnl);
	nl_close(&genl);
	return ret;
}
