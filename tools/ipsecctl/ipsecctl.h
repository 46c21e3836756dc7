/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPSECCTL_H
#define IPSECCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#define IPSECCTL_VERSION	"0.1.0"

/* Exit statuses besides EXIT_SUCCESS. */
enum {
	EXIT_USAGE = 1,		/* ipsecctl refused the command */
	EXIT_KERNEL = 2,	/* the kernel refused it, or netlink failed */
};

/* How much of the counters -s, given once or more, asks for. */
enum {
	STATS_NONE,
	STATS_SUMMARY,		/* -s */
	STATS_DETAILS,		/* -s -s: drops and errors by reason */
};

/* The global options given before the object. */
struct ipsecctl_options {
	bool json;
	bool pretty;
	unsigned int stats;	/* STATS_*, the times -s was given, at most 2 */
};

struct json_writer;
struct nl_handle;

/*
 * A notification of the monitor group, named as the text ("sa new") and the
 * JSON output ("sa_new") name it.
 */
struct monitor_event {
	uint8_t cmd;		/* enum ipsecif_cmd */
	const char *text;
	const char *json;
};

/*
 * Prints one notification on one line, text or (with -json) a compact JSON
 * object; returns -1, printing nothing, if the message is not one of the
 * object's.
 */
typedef int (*monitor_print_fn)(const struct nlmsghdr *nlh,
				const struct monitor_event *event,
				struct json_writer *jw);

/* ipsecctl.c */
extern struct ipsecctl_options ipsecctl_opts;
int rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
struct nlmsghdr *ipsecif_msg_start(char *buf, uint8_t cmd, uint16_t flags);
int ipsecif_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
int ipsecif_show(struct nlmsghdr *nlh, mnl_cb_t cb);
int ipsecif_listen(struct nl_handle *nl, uint16_t *family);

/* link.c */
int cmd_link(int argc, char **argv);

/* sa.c */
struct sa_counters;
struct u64s;
int cmd_sa(int argc, char **argv);
int sa_monitor(const struct nlmsghdr *nlh, const struct monitor_event *event,
	       struct json_writer *jw);
int sa_counters_read(struct sa_counters **list, size_t *count);
const struct u64s *sa_counters_find(const struct sa_counters *list,
				    size_t count, uint32_t id);
void sa_counters_print_text(const struct u64s *stats);
void sa_counters_print_json(struct json_writer *jw, const struct u64s *stats);

/* protect.c */
int cmd_protect(int argc, char **argv);
int protect_monitor(const struct nlmsghdr *nlh,
		    const struct monitor_event *event, struct json_writer *jw);

/* spd.c */
int cmd_spd(int argc, char **argv);
int spd_monitor(const struct nlmsghdr *nlh, const struct monitor_event *event,
		struct json_writer *jw);

/* policy.c */
int cmd_policy(int argc, char **argv);
int policy_monitor(const struct nlmsghdr *nlh,
		   const struct monitor_event *event, struct json_writer *jw);

/* monitor.c */
int cmd_monitor(int argc, char **argv);

/* apply.c */
int cmd_apply(int argc, char **argv);
int cmd_dump(int argc, char **argv);

#endif /* IPSECCTL_H */
