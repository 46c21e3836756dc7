// SPDX-License-Identifier: GPL-2.0
/*
 * ifla-send: sends one RTM_NEWLINK for kind "ipsecif" with raw IFLA_INFO_DATA
 * attributes, so tests can hand the kernel what no well-behaved tool would:
 * wrong lengths, unknown values, unpaired addresses.
 *
 * usage: ifla-send [-c] NAME [TYPE:FORMAT:VALUE]...
 *   -c        change an existing link instead of creating one
 *   FORMAT    u8, u16, u32 (decimal or 0x), ip4, ip6 or hex (raw bytes)
 * Prints the kernel's extack message ("Error: ...") and exits 2 on error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/ipsecif.h>

static int put_attr(struct nlmsghdr *nlh, char *spec)
{
	char *type_s = strtok(spec, ":"), *fmt = strtok(NULL, ":");
	char *val = strtok(NULL, "");
	unsigned char buf[64];
	unsigned long type;
	size_t len = 0;

	if (!type_s || !fmt || !val)
		return -1;
	type = strtoul(type_s, NULL, 0);
	if (!strcmp(fmt, "u8")) {
		mnl_attr_put_u8(nlh, type, strtoul(val, NULL, 0));
	} else if (!strcmp(fmt, "u16")) {
		mnl_attr_put_u16(nlh, type, strtoul(val, NULL, 0));
	} else if (!strcmp(fmt, "u32")) {
		mnl_attr_put_u32(nlh, type, strtoul(val, NULL, 0));
	} else if (!strcmp(fmt, "ip4") || !strcmp(fmt, "ip6")) {
		int af = fmt[2] == '4' ? AF_INET : AF_INET6;

		if (inet_pton(af, val, buf) != 1)
			return -1;
		mnl_attr_put(nlh, type, af == AF_INET ? 4 : 16, buf);
	} else if (!strcmp(fmt, "hex")) {
		for (; val[0] && val[1] && len < sizeof(buf); val += 2)
			sscanf(val, "%2hhx", &buf[len++]);
		mnl_attr_put(nlh, type, len, buf);
	} else {
		return -1;
	}
	return 0;
}

static int print_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const char *msg = NULL;
	const struct nlattr *attr;

	if (!err->error)
		return 0;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(attr, nlh, sizeof(*err) + err->msg.nlmsg_len -
				  sizeof(struct nlmsghdr))
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
				msg = mnl_attr_get_str(attr);
	}
	fprintf(stderr, "Error: %s\n", msg ?: strerror(-err->error));
	return err->error;
}

int main(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	bool change = false;
	int one = 1, i, ret;

	if (argc > 1 && !strcmp(argv[1], "-c")) {
		change = true;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: ifla-send [-c] NAME [TYPE:FORMAT:VALUE]...\n");
		return 1;
	}

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (!change)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = time(NULL);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, argv[1]);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, IPSECIF_LINK_KIND);
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	for (i = 2; i < argc; i++) {
		if (put_attr(nlh, argv[i])) {
			fprintf(stderr, "ifla-send: bad attribute '%s'\n", argv[i]);
			return 1;
		}
	}
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ifla-send: netlink");
		return 1;
	}
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("ifla-send: send");
		return 1;
	}
	ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	mnl_socket_close(nl);
	if (ret < 0) {
		perror("ifla-send: receive");
		return 1;
	}
	nlh = (struct nlmsghdr *)buf;
	if (nlh->nlmsg_type == NLMSG_ERROR && print_error(nlh))
		return 2;
	return 0;
}
