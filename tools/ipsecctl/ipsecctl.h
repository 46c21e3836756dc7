/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPSECCTL_H
#define IPSECCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#define IPSECCTL_VERSION	"0.1.0"

/* Exit statuses besides EXIT_SUCCESS. */
enum {
	EXIT_USAGE = 1,		/* ipsecctl refused the command */
	EXIT_KERNEL = 2,	/* the kernel refused it, or netlink failed */
};

/* The global options given before the object. */
struct ipsecctl_options {
	bool json;
	bool pretty;
	bool stats;
};

/* ipsecctl.c */
extern struct ipsecctl_options ipsecctl_opts;
int rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
struct nlmsghdr *ipsecif_msg_start(char *buf, uint8_t cmd, uint16_t flags);
int ipsecif_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
int ipsecif_show(struct nlmsghdr *nlh, mnl_cb_t cb);

/* link.c */
int cmd_link(int argc, char **argv);

/* sa.c */
int cmd_sa(int argc, char **argv);

/* protect.c */
int cmd_protect(int argc, char **argv);

/* spd.c */
int cmd_spd(int argc, char **argv);

/* policy.c */
int cmd_policy(int argc, char **argv);

#endif /* IPSECCTL_H */
