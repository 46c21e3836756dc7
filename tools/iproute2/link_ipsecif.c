// SPDX-License-Identifier: GPL-2.0
/*
 * link_ipsecif.so: the "ipsecif" link kind for the unmodified iproute2 ip(8).
 * ip dlopen()s link_<kind>.so from its library directory (IP_LIB_DIR in the
 * environment, else /usr/lib/<multiarch>/ip) and takes the struct link_util
 * named <kind>_link_util from it. This file owns that plugin: the keywords
 * of "ip link add|set NAME type ipsecif ..." and the IFLA_INFO_DATA they
 * become, the ipsecif options that "ip -d [-j] link show" prints, and
 * "ip link help ipsecif". The keywords, their checks and their messages are
 * those of "ipsecctl link" (tools/ipsecctl/link.c).
 *
 * ip installs no headers, so the little of it used here is declared below,
 * as iproute2 6.1 has it. A plugin built against one layout and loaded by
 * an ip of another would misbehave, so the plugin checks the running ip
 * first (see ip_is_verified()) and refuses to work with any other release.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/auxv.h>
#include <sys/wait.h>

#include <linux/ipsecif.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1U << (n))

/*
 * iproute2's struct link_util, as ip/ip_common.h declares it in the 6.x
 * releases (print_ifla_xstats without the sockaddr_nl of older ones); ip
 * reads and calls it by these offsets. Checked by disassembling Debian
 * bookworm's ip (iproute2 6.1.0-3): get_link_kind() follows next at 0 and
 * compares id at 8, print_linkinfo() sizes its attribute table from
 * maxattr at 16 (data NULL without IFLA_INFO_DATA) and calls print_opt at
 * 32 and print_xstats at 40, iplink_modify() calls parse_opt at 24 inside
 * the IFLA_INFO_DATA nest of a 1056-byte request (only with arguments
 * after "type ipsecif"), and "ip link help KIND" calls print_help at 48
 * with stdout, then exits 0.
 */
struct link_util {
	struct link_util	*next;
	const char		*id;
	int			maxattr;
	int			(*parse_opt)(struct link_util *lu, int argc,
					     char **argv, struct nlmsghdr *n);
	void			(*print_opt)(struct link_util *lu, FILE *f,
					     struct rtattr *tb[]);
	void			(*print_xstats)(struct link_util *lu, FILE *f,
						struct rtattr *xstats);
	void			(*print_help)(struct link_util *lu, int argc,
					      char **argv, FILE *f);
	int			(*parse_ifla_xstats)(struct link_util *lu,
						     int argc, char **argv);
	int			(*print_ifla_xstats)(struct nlmsghdr *n,
						     void *arg);
};

#if __SIZEOF_POINTER__ == 8
static_assert(offsetof(struct link_util, maxattr) == 16, "link_util layout");
static_assert(offsetof(struct link_util, parse_opt) == 24, "link_util layout");
static_assert(offsetof(struct link_util, print_opt) == 32, "link_util layout");
static_assert(offsetof(struct link_util, print_help) == 48, "link_util layout");
static_assert(sizeof(struct link_util) == 72, "link_util layout");
#endif

/*
 * The iproute2 releases whose link_util and the functions below were
 * checked, "MAJOR.MINOR". Add one only after checking its ip/ip_common.h
 * and include/json_writer.h (tools/iproute2/Makefile warns when the build
 * host's ip is not the first one here).
 */
static const char *const verified_iproute2[] = { "6.1" };

/*
 * ip's JSON writer, for "ip -j": ip opens the "info_data" object around
 * print_opt, which adds its members there. As include/json_writer.h and
 * json_print.h declare them (Debian's 6.1 binary checked: get_json_writer()
 * returns the writer that is_json_context() tests, jsonw_uint_field()
 * takes a 32-bit number):
 *	json_writer_t *get_json_writer(void);	(NULL unless -j)
 *	void jsonw_string_field(json_writer_t *self, const char *prop,
 *				const char *val);
 *	void jsonw_uint_field(json_writer_t *self, const char *prop,
 *			      unsigned int num);
 * They are looked up with dlsym() rather than linked, so that an ip
 * without them makes the plugin refuse instead of dying on a lazy binding.
 * These are the only symbols of ip the plugin uses: it writes its netlink
 * attributes itself.
 */
struct json_writer;

static struct {
	struct json_writer *(*get_json_writer)(void);
	void (*string_field)(struct json_writer *jw, const char *prop,
			     const char *val);
	void (*uint_field)(struct json_writer *jw, const char *prop,
			   unsigned int num);
} ipj;

/* ip's request buffer for RTM_NEWLINK; ip's own link kinds assume 1024. */
#define IPLINK_REQ_MAX	1024

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

static const char *const mode_names[] = {
	[IPSECIF_MODE_P2P] = "p2p",
	[IPSECIF_MODE_P2MP] = "p2mp",
};

/* An IPv4 or IPv6 address; family 0 for none. */
struct ip_addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* What the command line asks for; only given parameters are sent. */
struct link_params {
	unsigned int given;	/* BIT(enum link_param) */
	uint32_t mode;
	struct ip_addr local;
	struct ip_addr remote;
	uint32_t table;
	uint32_t fwmark;
};

static void ipsecif_usage(FILE *f)
{
	fputs("Usage: ip link add NAME type ipsecif [ mode { p2p | p2mp } ]\n"
	      "                                     [ local ADDR remote ADDR ]\n"
	      "                                     [ table TABLE ] [ fwmark MARK ]\n"
	      "       ip link set NAME type ipsecif [ local ADDR remote ADDR ]\n"
	      "                                     [ table TABLE ] [ fwmark MARK ]\n"
	      "\n"
	      "Where: ADDR  := an IPv4 or IPv6 address; local and remote of one family\n"
	      "       TABLE := { 0..0xffffffff }  (0: the underlay's routing rules)\n"
	      "       MARK  := { 0..0xffffffff }  (0: none)\n"
	      "\n"
	      "The mode (default p2p) is fixed at creation; local and remote are for\n"
	      "p2p only. SAs and protections: ipsecctl(8).\n", f);
}

static int ipsecif_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* An error of the command line: ip exits non-zero on -1. */
static int ipsecif_error(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ipsecif: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(". Try \"ip link help ipsecif\".\n", stderr);
	return -1;
}

/*
 * What "@path -V" says of its iproute2 version ("ip utility,
 * iproute2-6.1.0, libbpf 1.1.2"): fills @buf with what follows
 * "iproute2-", up to a comma or a blank; fails if it said nothing of the
 * kind.
 */
static int ask_ip_version(const char *path, char *buf, size_t len)
{
	char *argv[] = { "ip", "-V", NULL };
	posix_spawn_file_actions_t actions;
	char out[256], *ver;
	size_t got = 0;
	int fds[2], status, ret;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
					 O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
					 O_WRONLY, 0);
	ret = posix_spawn(&pid, path, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(fds[1]);
	if (ret) {
		close(fds[0]);
		return -1;
	}
	while (got < sizeof(out) - 1) {
		n = read(fds[0], out + got, sizeof(out) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	out[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	ver = strstr(out, "iproute2-");
	if (!ver)
		return -1;
	ver += strlen("iproute2-");
	got = strcspn(ver, ", \t\n");
	if (!got || got >= len)
		return -1;
	memcpy(buf, ver, got);
	buf[got] = '\0';
	return 0;
}

/*
 * The running ip's version: ip exports no version symbol, so its own binary
 * is asked. That is /proc/self/exe, unless ip runs under another program
 * (valgrind, say): then the file that was executed.
 */
static int running_ip_version(char *buf, size_t len)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);

	if (!ask_ip_version("/proc/self/exe", buf, len))
		return 0;
	return execfn ? ask_ip_version(execfn, buf, len) : -1;
}

/* Whether @version ("6.1.0") is of release @release ("6.1"). */
static bool version_is(const char *version, const char *release)
{
	size_t len = strlen(release);

	return !strncmp(version, release, len) &&
	       (version[len] == '\0' || version[len] == '.');
}

/*
 * The version guard. The plugin works only for an ip whose release is in
 * verified_iproute2[] and that exports the functions it uses; it finds out
 * once per run. When it does not, parse_opt fails with @why on stderr, and
 * print_opt prints nothing but one note on stderr.
 */
static bool ip_is_verified(const char **why)
{
	static char reason[256];
	static int state;	/* 0: not checked yet, 1: verified, -1: not */
	char version[64];
	size_t i;

	*why = reason;
	if (state)
		return state > 0;
	state = -1;

	if (running_ip_version(version, sizeof(version))) {
		snprintf(reason, sizeof(reason),
			 "cannot tell which iproute2 this ip is (\"ip -V\" failed)");
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(verified_iproute2); i++)
		if (version_is(version, verified_iproute2[i]))
			break;
	if (i == ARRAY_SIZE(verified_iproute2)) {
		snprintf(reason, sizeof(reason),
			 "link_ipsecif.so is verified for iproute2 %s only and this ip is iproute2-%s (use ipsecctl link)",
			 verified_iproute2[0], version);
		return false;
	}

	ipj.get_json_writer = dlsym(RTLD_DEFAULT, "get_json_writer");
	ipj.string_field = dlsym(RTLD_DEFAULT, "jsonw_string_field");
	ipj.uint_field = dlsym(RTLD_DEFAULT, "jsonw_uint_field");
	if (!ipj.get_json_writer || !ipj.string_field || !ipj.uint_field) {
		snprintf(reason, sizeof(reason),
			 "this ip (iproute2-%s) does not export its JSON writer",
			 version);
		return false;
	}
	state = 1;
	return true;
}

static int find_name(const char *const *names, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (names[i] && !strcmp(name, names[i]))
			return i;
	return -1;
}

/* Decimal, or hexadecimal after "0x"; no sign, nothing after. */
static const char *parse_u32(const char *arg, uint32_t *val)
{
	const char *digits = "0123456789";
	unsigned long long num;
	int base = 10;

	if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) {
		digits = "0123456789abcdefABCDEF";
		base = 16;
		arg += 2;
	}
	if (!*arg || arg[strspn(arg, digits)])
		return "not a number";
	errno = 0;
	num = strtoull(arg, NULL, base);
	if (errno == ERANGE || num > UINT32_MAX)
		return "out of range";
	*val = num;
	return NULL;
}

static const char *parse_addr(const char *arg, struct ip_addr *addr)
{
	if (inet_pton(AF_INET, arg, &addr->v4) == 1)
		addr->family = AF_INET;
	else if (inet_pton(AF_INET6, arg, &addr->v6) == 1)
		addr->family = AF_INET6;
	else
		return "not an IPv4 or IPv6 address";
	return NULL;
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
		return ipsecif_error("invalid %s \"%s\": %s",
				     link_param_names[param], arg, why);
	return 0;
}

/* LOCAL and REMOTE go together; the kernel judges the addresses themselves. */
static int check_endpoints(const struct link_params *p)
{
	bool local = p->given & BIT(LINK_PARAM_LOCAL);
	bool remote = p->given & BIT(LINK_PARAM_REMOTE);

	if (local != remote)
		return ipsecif_error("\"%s\" requires \"%s\"",
				     local ? "local" : "remote",
				     local ? "remote" : "local");
	if (local && p->local.family != p->remote.family)
		return ipsecif_error("local and remote must be of the same address family");
	return 0;
}

/* "KEYWORD VALUE" pairs, as "ipsecctl link add" takes them. */
static int parse_params(int argc, char **argv, struct link_params *p)
{
	int i, param, ret;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < argc; i += 2) {
		if (!strcmp(argv[i], "help")) {
			ipsecif_usage(stderr);
			return -1;
		}
		param = find_name(link_param_names,
				  ARRAY_SIZE(link_param_names), argv[i]);
		if (param < 0)
			return ipsecif_error("unknown argument \"%s\"", argv[i]);
		if (i + 1 == argc)
			return ipsecif_error("missing value for \"%s\"", argv[i]);
		if (p->given & BIT(param))
			return ipsecif_error("\"%s\" given twice", argv[i]);
		p->given |= BIT(param);
		ret = parse_param(param, argv[i + 1], p);
		if (ret)
			return ret;
	}
	return check_endpoints(p);
}

/*
 * Appends one attribute to @n, which ip has left open inside its
 * IFLA_LINKINFO/IFLA_INFO_DATA nests (it closes them after parse_opt).
 */
static int put_attr(struct nlmsghdr *n, unsigned short type, const void *data,
		    size_t len)
{
	size_t off = NLMSG_ALIGN(n->nlmsg_len);
	size_t total = RTA_ALIGN(RTA_LENGTH(len));
	struct rtattr *rta;

	if (off + total > IPLINK_REQ_MAX)
		return ipsecif_error("request too long");
	rta = (struct rtattr *)((char *)n + off);
	memset(rta, 0, total);
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = off + total;
	return 0;
}

static int put_u32(struct nlmsghdr *n, unsigned short type, uint32_t val)
{
	return put_attr(n, type, &val, sizeof(val));
}

static int put_addr(struct nlmsghdr *n, unsigned short type4,
		    unsigned short type6, const struct ip_addr *addr)
{
	if (addr->family == AF_INET)
		return put_attr(n, type4, &addr->v4, sizeof(addr->v4));
	return put_attr(n, type6, &addr->v6, sizeof(addr->v6));
}

static int put_params(struct nlmsghdr *n, const struct link_params *p)
{
	int ret = 0;

	if (p->given & BIT(LINK_PARAM_MODE))
		ret = put_u32(n, IFLA_IPSECIF_MODE, p->mode);
	if (!ret && p->given & BIT(LINK_PARAM_LOCAL))
		ret = put_addr(n, IFLA_IPSECIF_LOCAL, IFLA_IPSECIF_LOCAL6,
			       &p->local) ?:
		      put_addr(n, IFLA_IPSECIF_REMOTE, IFLA_IPSECIF_REMOTE6,
			       &p->remote);
	if (!ret && p->given & BIT(LINK_PARAM_TABLE))
		ret = put_u32(n, IFLA_IPSECIF_TABLE, p->table);
	if (!ret && p->given & BIT(LINK_PARAM_FWMARK))
		ret = put_u32(n, IFLA_IPSECIF_FWMARK, p->fwmark);
	return ret;
}

/*
 * "ip link add|set NAME type ipsecif ARGS": ip calls this only when ARGS is
 * not empty. The mode is sent on "set" too, as typed: the kernel refuses a
 * change, with its own message.
 */
static int ipsecif_parse_opt(struct link_util *lu, int argc, char **argv,
			     struct nlmsghdr *n)
{
	struct link_params p;
	const char *why;
	int ret;

	(void)lu;
	if (!ip_is_verified(&why)) {
		fprintf(stderr, "Error: ipsecif: %s.\n", why);
		return -1;
	}
	/* What ip hands over must be its RTM_NEWLINK request. */
	if (n->nlmsg_type != RTM_NEWLINK ||
	    n->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)) ||
	    n->nlmsg_len > IPLINK_REQ_MAX) {
		fprintf(stderr,
			"Error: ipsecif: ip passed an unexpected request; link_ipsecif.so does not fit this ip.\n");
		return -1;
	}

	ret = parse_params(argc, argv, &p);
	if (ret)
		return ret;
	return put_params(n, &p);
}

static void print_str(FILE *f, struct json_writer *jw, const char *key,
		      const char *val)
{
	if (jw)
		ipj.string_field(jw, key, val);
	else
		fprintf(f, "%s %s ", key, val);
}

static bool get_u32(const struct rtattr *rta, uint32_t *val)
{
	if (!rta || RTA_PAYLOAD(rta) != sizeof(*val))
		return false;
	memcpy(val, RTA_DATA(rta), sizeof(*val));
	return true;
}

/* LOCAL and REMOTE, or LOCAL6 and REMOTE6, as the kernel reports them. */
static void print_endpoints(FILE *f, struct json_writer *jw,
			    struct rtattr *tb[])
{
	static const struct {
		int family;
		size_t len;
		unsigned short local, remote;
	} kinds[] = {
		{ AF_INET, 4, IFLA_IPSECIF_LOCAL, IFLA_IPSECIF_REMOTE },
		{ AF_INET6, 16, IFLA_IPSECIF_LOCAL6, IFLA_IPSECIF_REMOTE6 },
	};
	char addr[INET6_ADDRSTRLEN];
	const struct rtattr *local, *remote;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		local = tb[kinds[i].local];
		remote = tb[kinds[i].remote];
		if (!local || !remote ||
		    RTA_PAYLOAD(local) != kinds[i].len ||
		    RTA_PAYLOAD(remote) != kinds[i].len)
			continue;
		if (inet_ntop(kinds[i].family, RTA_DATA(local), addr,
			      sizeof(addr)))
			print_str(f, jw, "local", addr);
		if (inet_ntop(kinds[i].family, RTA_DATA(remote), addr,
			      sizeof(addr)))
			print_str(f, jw, "remote", addr);
	}
}

/*
 * "ip -d link show": "mode p2p|p2mp", "local A remote B" when set, "table
 * N" and "fwmark 0xN" when not 0 (as ip shows an ipip tunnel's fwmark).
 * With -j the same keys in info_data: strings, but table, a number.
 */
static void ipsecif_print_opt(struct link_util *lu, FILE *f,
			      struct rtattr *tb[])
{
	static bool noted;
	struct json_writer *jw;
	char buf[16];
	const char *why;
	uint32_t val;

	(void)lu;
	if (!tb)
		return;
	if (!ip_is_verified(&why)) {
		if (!noted)
			fprintf(stderr, "ipsecif: options not shown: %s\n",
				why);
		noted = true;
		return;
	}
	jw = ipj.get_json_writer();

	if (get_u32(tb[IFLA_IPSECIF_MODE], &val)) {
		if (val < ARRAY_SIZE(mode_names)) {
			print_str(f, jw, "mode", mode_names[val]);
		} else {
			snprintf(buf, sizeof(buf), "%u", val);
			print_str(f, jw, "mode", buf);
		}
	}
	print_endpoints(f, jw, tb);
	if (get_u32(tb[IFLA_IPSECIF_TABLE], &val) && val) {
		if (jw)
			ipj.uint_field(jw, "table", val);
		else
			fprintf(f, "table %u ", val);
	}
	if (get_u32(tb[IFLA_IPSECIF_FWMARK], &val) && val) {
		snprintf(buf, sizeof(buf), "%#x", val);
		print_str(f, jw, "fwmark", buf);
	}
}

/* "ip link help ipsecif"; ip exits 0 after it. */
static void ipsecif_print_help(struct link_util *lu, int argc, char **argv,
			       FILE *f)
{
	(void)lu;
	(void)argc;
	(void)argv;
	ipsecif_usage(f);
}

struct link_util ipsecif_link_util = {
	.id		= IPSECIF_LINK_KIND,
	.maxattr	= IFLA_IPSECIF_MAX,
	.parse_opt	= ipsecif_parse_opt,
	.print_opt	= ipsecif_print_opt,
	.print_help	= ipsecif_print_help,
};
