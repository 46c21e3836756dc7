// SPDX-License-Identifier: GPL-2.0
/*
 * "ipsecctl monitor": listens to the monitor multicast group of the ipsecif
 * family and prints each notification on a line of its own, as text or as
 * one compact JSON object, flushed at once for the scripts that read it
 * through a pipe. The objects (sa.c, protect.c, spd.c, policy.c) print
 * their notifications with the code that shows them. Runs until SIGINT or
 * SIGTERM, or until whoever reads the output goes away.
 */

#define _GNU_SOURCE	/* ppoll() */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/ipsecif.h>

#include "ipsecctl.h"
#include "json.h"
#include "nl.h"
#include "utils.h"

/* How each notification is named, and which object prints it. */
struct monitor_kind {
	struct monitor_event event;
	monitor_print_fn print;
};

static const struct monitor_kind monitor_kinds[] = {
	{ { IPSECIF_CMD_SA_NEW, "sa new", "sa_new" }, sa_monitor },
	{ { IPSECIF_CMD_SA_UPDATE, "sa update", "sa_update" }, sa_monitor },
	{ { IPSECIF_CMD_SA_DEL, "sa del", "sa_del" }, sa_monitor },
	{ { IPSECIF_CMD_SA_EXPIRE, "sa expire", "sa_expire" }, sa_monitor },
	{ { IPSECIF_CMD_SA_ERROR, "sa error", "sa_error" }, sa_monitor },
	{ { IPSECIF_CMD_PROTECT_SET, "protect set", "protect_set" },
	  protect_monitor },
	{ { IPSECIF_CMD_PROTECT_DEL, "protect del", "protect_del" },
	  protect_monitor },
	{ { IPSECIF_CMD_SPD_NEW, "spd new", "spd_new" }, spd_monitor },
	{ { IPSECIF_CMD_SPD_DEL, "spd del", "spd_del" }, spd_monitor },
	{ { IPSECIF_CMD_SPD_ATTACH, "spd attach", "spd_attach" },
	  spd_monitor },
	{ { IPSECIF_CMD_SPD_DETACH, "spd detach", "spd_detach" },
	  spd_monitor },
	{ { IPSECIF_CMD_POLICY_NEW, "policy new", "policy_new" },
	  policy_monitor },
	{ { IPSECIF_CMD_POLICY_DEL, "policy del", "policy_del" },
	  policy_monitor },
};

/* What the receive callback needs. */
struct monitor {
	uint16_t family;
	struct json_writer jw;
	int output_error;	/* errno of a failed write of the output */
};

static void monitor_usage(FILE *out)
{
	fputs("Usage: ipsecctl [-j] [-s] monitor\n"
	      "       ipsecctl monitor help\n"
	      "Prints the ipsecif notifications of the network namespace, one a line:\n"
	      "SA, protection, SPD and policy changes, SA expiry (lifetimes),\n"
	      "replay and integrity errors, until interrupted.\n", out);
}

static const struct monitor_kind *find_kind(uint8_t cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(monitor_kinds); i++)
		if (monitor_kinds[i].event.cmd == cmd)
			return &monitor_kinds[i];
	return NULL;
}

/*
 * Prints one notification; others (another family, a command this version
 * does not know) are skipped. A failed write of the output ends the run.
 */
static int notification_cb(const struct nlmsghdr *nlh, void *data)
{
	struct monitor *monitor = data;
	const struct monitor_kind *kind;
	const struct genlmsghdr *genl;

	if (nlh->nlmsg_type != monitor->family ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return MNL_CB_OK;
	genl = mnl_nlmsg_get_payload(nlh);
	kind = find_kind(genl->cmd);
	if (!kind || kind->print(nlh, &kind->event, &monitor->jw))
		return MNL_CB_OK;
	if (fflush(stdout) == EOF) {
		monitor->output_error = errno ? errno : EIO;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/* Waits for the next datagram; false once a signal asks to stop. */
static bool wait_readable(struct nl_handle *nl, const sigset_t *wait_mask)
{
	struct pollfd pfd = {
		.fd = mnl_socket_get_fd(nl->sock),
		.events = POLLIN,
	};

	while (!stop_requested) {
		if (ppoll(&pfd, 1, NULL, wait_mask) > 0)
			return true;
	}
	return false;
}

/*
 * Reads and prints notifications until asked to stop; returns an exit
 * status. An overrun of the receive buffer (ENOBUFS: the kernel dropped
 * notifications) is reported and the run goes on.
 */
static int listen_loop(struct nl_handle *nl, struct monitor *monitor,
		       const sigset_t *wait_mask)
{
	ssize_t len;
	int ret;

	while (wait_readable(nl, wait_mask)) {
		len = mnl_socket_recvfrom(nl->sock, nl->recv_buf,
					  sizeof(nl->recv_buf));
		if (len < 0 && errno == ENOBUFS) {
			fprintf(stderr,
				"ipsecctl: monitor: receive buffer overrun, notifications lost\n");
			continue;
		}
		if (len < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (len < 0) {
			fprintf(stderr, "ipsecctl: monitor: %s\n",
				strerror(errno));
			return EXIT_KERNEL;
		}
		if (!len)
			break;
		ret = mnl_cb_run(nl->recv_buf, len, 0, 0, notification_cb,
				 monitor);
		if (monitor->output_error)
			break;
		if (ret < 0)
			fprintf(stderr, "ipsecctl: monitor: bad message: %s\n",
				strerror(errno));
	}
	if (monitor->output_error && monitor->output_error != EPIPE) {
		fprintf(stderr, "ipsecctl: monitor: cannot write: %s\n",
			strerror(monitor->output_error));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

int cmd_monitor(int argc, char **argv)
{
	static struct nl_handle nl;
	struct monitor monitor = { 0 };
	sigset_t old_mask, wait_mask;
	int ret;

	if (argc && !strcmp(argv[0], "help")) {
		ret = check_no_more(monitor_usage, argc - 1, argv + 1, 0);
		if (!ret)
			monitor_usage(stdout);
		return ret;
	}
	ret = check_no_more(monitor_usage, argc, argv, 0);
	if (ret)
		return ret;

	ret = ipsecif_listen(&nl, &monitor.family);
	if (ret)
		return ret;
	/* One compact object a line, even with -pretty. */
	json_init(&monitor.jw, stdout, false);
	stop_signals_catch(&old_mask, &wait_mask);
	ret = listen_loop(&nl, &monitor, &wait_mask);
	stop_signals_release(&old_mask);
	nl_close(&nl);
	return ret;
}
