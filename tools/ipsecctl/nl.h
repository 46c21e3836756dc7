/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPSECCTL_NL_H
#define IPSECCTL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "utils.h"

/* Room for one request: every request ipsecctl builds is far smaller. */
#define NL_MSG_SIZE	8192
/* Room for one receive: a part of a dump, as large as iproute2 takes. */
#define NL_RECV_SIZE	32768

struct nl_handle {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	int bus;
	char recv_buf[NL_RECV_SIZE];
};

/* nl.c: sockets and exchanges */
int nl_open(struct nl_handle *nl, int bus);
void nl_close(struct nl_handle *nl);
struct nlmsghdr *nl_msg_start(char *buf, uint16_t type, uint16_t flags);
int nl_talk(struct nl_handle *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data);
void nl_set_object(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nl_clear_object(void);

/* nl.c: attributes */
struct nlattr *nl_nest_start(struct nlmsghdr *nlh, uint16_t type);
void nl_put_nested_u32(struct nlmsghdr *nlh, uint16_t nest, uint16_t type,
		       uint32_t val);
void nl_put_addr(struct nlmsghdr *nlh, uint16_t type4, uint16_t type6,
		 const struct ip_addr *addr);
void nl_parse_attrs(const struct nlmsghdr *nlh, unsigned int offset,
		    const struct nlattr **tb, unsigned int max);
void nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
		     unsigned int max);
bool nl_get_u8(const struct nlattr *attr, uint8_t *val);
bool nl_get_u16(const struct nlattr *attr, uint16_t *val);
bool nl_get_u32(const struct nlattr *attr, uint32_t *val);
bool nl_get_u64(const struct nlattr *attr, uint64_t *val);
void nl_get_u64s(const struct nlattr *nest, unsigned int max,
		 struct u64s *nums);
bool nl_get_bytes(const struct nlattr *attr, void *buf, size_t len);
const char *nl_get_str(const struct nlattr *attr);
bool nl_get_addr(const struct nlattr *v4, const struct nlattr *v6,
		 struct ip_addr *addr);

/* nl.c: generic netlink */
struct nlmsghdr *genl_msg_start(char *buf, uint16_t family, uint8_t cmd,
				uint8_t version, uint16_t flags);
int genl_family_id(struct nl_handle *nl, const char *name, uint16_t *id);
int genl_group_id(struct nl_handle *nl, const char *name, const char *group,
		  uint16_t *id, uint32_t *group_id);

/* nl.c: listening to multicast groups */
int nl_join_group(struct nl_handle *nl, uint32_t group);
void nl_set_rcvbuf(struct nl_handle *nl, int size);

#endif /* IPSECCTL_NL_H */
