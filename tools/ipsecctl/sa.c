// SPDX-License-Identifier: GPL-2.0
/*
 * The sa object: security associations, added (with algorithms and keys
 * written as "ip xfrm state" takes them), deleted, flushed and listed with
 * the IPSECIF_CMD_SA_* commands of the ipsecif generic netlink family, as
 * include/uapi/linux/ipsecif.h specifies.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/ipsecif.h>
#include <linux/udp.h>

#include "ipsecctl.h"
#include "json.h"
#include "nl.h"
#include "utils.h"

/* The longest ALG-KEY, in bytes, as "ip xfrm state" allows. */
#define SA_KEY_MAX		512
/* The longest ALG-NAME with its NUL, as the crypto API allows. */
#define SA_ALG_NAME_MAX		128

enum sa_lifetime {
	SA_LIFETIME_SOFT,
	SA_LIFETIME_HARD,
	SA_LIFETIME_COUNT,
};

/* One algorithm of "sa add". */
struct sa_alg {
	const char *name;	/* NULL: not given */
	uint8_t key[SA_KEY_MAX];
	size_t key_len;
	bool has_icv_len;
	uint32_t icv_len;	/* bits */
};

_Static_assert(IPSECIF_LIFETIME_A_MAX <= U64S_MAX &&
	       IPSECIF_STATS_A_MAX <= U64S_MAX,
	       "struct u64s holds lifetime limits and SA counters");

/* What "sa add" asks for; only given parameters are sent. */
struct sa_params {
	unsigned int given;	/* BIT(enum ipsecif_sa_attr) */
	uint32_t id;
	uint32_t spi;
	uint8_t mode;
	struct ip_addr src;
	struct ip_addr dst;
	struct sa_alg aead;
	struct sa_alg enc;
	struct sa_alg auth;
	uint32_t flags;
	uint32_t replay_window;
	uint64_t seq_out;
	uint16_t sport;
	uint16_t dport;
	struct u64s lifetimes[SA_LIFETIME_COUNT];
	struct u64s *lifetime;	/* that a LIMIT applies to, or NULL */
};

/* A keyword of "sa add", with the @nargs arguments after it. */
struct sa_keyword {
	const char *name;
	const char *syntax;	/* of the arguments, for usage errors */
	int nargs;
	unsigned int value;	/* for parse(): which lifetime limit */
	int (*parse)(const struct sa_keyword *kw, char **args,
		     struct sa_params *p);
};

/* One algorithm of a reply; pointers into the message. */
struct sa_alg_info {
	const char *name;		/* NULL: not reported */
	const struct nlattr *key;	/* NULL: not shown to the caller */
	bool has_icv_len;
	uint32_t icv_len;
};

/* What the kernel reports of an SA. */
struct sa_info {
	unsigned int present;	/* BIT(enum ipsecif_sa_attr) */
	uint32_t id;
	uint32_t spi;
	uint8_t mode;
	struct ip_addr src;
	struct ip_addr dst;
	struct sa_alg_info aead;
	struct sa_alg_info enc;
	struct sa_alg_info auth;
	uint32_t flags;
	uint32_t replay_window;
	uint64_t seq_out;
	unsigned int encap_present;	/* BIT(enum ipsecif_encap_attr) */
	uint8_t encap_type;
	uint16_t sport;
	uint16_t dport;
	struct u64s lifetimes[SA_LIFETIME_COUNT];
	struct u64s stats;
};

static const char *const sa_mode_names[] = {
	[IPSECIF_SA_MODE_TUNNEL] = "tunnel",
	[IPSECIF_SA_MODE_TRANSPORT] = "transport",
};

/* Indexed by bit number: IPSECIF_SA_F_ESN is BIT(0), and so on. */
static const char *const flag_names[] = {
	"esn",
	"decap-dscp",
	"no-ecn",
	"dont-encap-dscp",
	"df-set",
	"df-clear",
};

_Static_assert(BIT(ARRAY_SIZE(flag_names) - 1) == IPSECIF_SA_F_DF_CLEAR,
	       "flag_names follows enum ipsecif_sa_flags");

static const char *const encap_type_names[] = {
	[UDP_ENCAP_ESPINUDP] = "espinudp",
};

static const char *const lifetime_names[] = {
	[SA_LIFETIME_SOFT] = "soft",
	[SA_LIFETIME_HARD] = "hard",
};

static const uint16_t lifetime_attrs[] = {
	[SA_LIFETIME_SOFT] = IPSECIF_SA_A_LIFETIME_SOFT,
	[SA_LIFETIME_HARD] = IPSECIF_SA_A_LIFETIME_HARD,
};

/* The same in the command line, the text output and the JSON output. */
static const char *const limit_names[] = {
	[IPSECIF_LIFETIME_A_BYTES] = "bytes",
	[IPSECIF_LIFETIME_A_PACKETS] = "packets",
	[IPSECIF_LIFETIME_A_SECONDS] = "seconds",
};

static const char *const stats_names[] = {
	[IPSECIF_STATS_A_PACKETS] = "packets",
	[IPSECIF_STATS_A_BYTES] = "bytes",
	[IPSECIF_STATS_A_DROP_REPLAY] = "replay",
	[IPSECIF_STATS_A_DROP_INTEGRITY] = "integrity",
	[IPSECIF_STATS_A_DROP_TRAILER] = "trailer",
	[IPSECIF_STATS_A_DROP_NEXTHDR] = "nexthdr",
	[IPSECIF_STATS_A_DROP_RUNT] = "runt",
	[IPSECIF_STATS_A_DROP_NO_PROTECT] = "no-protect",
	[IPSECIF_STATS_A_DROP_SEQ_EXHAUSTED] = "seq-exhausted",
	[IPSECIF_STATS_A_DROP_CRYPTO] = "crypto",
	[IPSECIF_STATS_A_DROP_EXPIRED] = "expired",
	[IPSECIF_STATS_A_LOST] = "lost",
};

static const char *const stats_json_names[] = {
	[IPSECIF_STATS_A_PACKETS] = "packets",
	[IPSECIF_STATS_A_BYTES] = "bytes",
	[IPSECIF_STATS_A_DROP_REPLAY] = "replay",
	[IPSECIF_STATS_A_DROP_INTEGRITY] = "integrity",
	[IPSECIF_STATS_A_DROP_TRAILER] = "trailer",
	[IPSECIF_STATS_A_DROP_NEXTHDR] = "nexthdr",
	[IPSECIF_STATS_A_DROP_RUNT] = "runt",
	[IPSECIF_STATS_A_DROP_NO_PROTECT] = "no_protect",
	[IPSECIF_STATS_A_DROP_SEQ_EXHAUSTED] = "seq_exhausted",
	[IPSECIF_STATS_A_DROP_CRYPTO] = "crypto",
	[IPSECIF_STATS_A_DROP_EXPIRED] = "expired",
	[IPSECIF_STATS_A_LOST] = "lost",
};

static void sa_usage(FILE *out)
{
	fputs("Usage: ipsecctl sa add ID spi SPI [mode tunnel|transport] [src ADDR dst ADDR]\n"
	      "                       CRYPTO [FLAG]... [replay-window N] [seq-out N]\n"
	      "                       [encap espinudp sport PORT dport PORT]\n"
	      "                       [lifetime soft|hard LIMIT N [LIMIT N]...]...\n"
	      "       ipsecctl sa del ID\n"
	      "       ipsecctl sa flush\n"
	      "       ipsecctl sa show [ID]\n"
	      "       ipsecctl sa help\n"
	      "where  CRYPTO := { aead ALG-NAME ALG-KEY ALG-ICV-LEN |\n"
	      "                  enc ALG-NAME ALG-KEY AUTH | AUTH enc ALG-NAME ALG-KEY }\n"
	      "       AUTH := { auth ALG-NAME ALG-KEY |\n"
	      "                 auth-trunc ALG-NAME ALG-KEY ALG-TRUNC-LEN }\n"
	      "       ALG-KEY := { 0xHEX | STRING | '' }, HEX having an even number of digits\n"
	      "       FLAG := { esn | decap-dscp | no-ecn | dont-encap-dscp | df-set | df-clear }\n"
	      "       LIMIT := { bytes | packets | seconds }\n"
	      "       ADDR := an IPv4 or IPv6 address, both of one family\n"
	      "       ID, SPI := 32-bit numbers, decimal or 0x hexadecimal; PORT: 16-bit\n", out);
}

static const char *sa_mode_name(uint8_t mode)
{
	return name_of(sa_mode_names, ARRAY_SIZE(sa_mode_names), mode);
}

static int parse_id(const char *arg, uint32_t *id)
{
	return parse_u32_arg(sa_usage, "ID", arg, id);
}

static int invalid_value(const struct sa_keyword *kw, const char *arg,
			 const char *why)
{
	return usage_error(sa_usage, "invalid %s \"%s\": %s", kw->name, arg,
			   why);
}

/* Marks the attribute @attr given, unless it already was. */
static int given_once(const struct sa_keyword *kw, unsigned int attr,
		      struct sa_params *p)
{
	if (p->given & BIT(attr))
		return usage_error(sa_usage, "\"%s\" given twice", kw->name);
	p->given |= BIT(attr);
	return 0;
}

static int parse_spi(const struct sa_keyword *kw, char **args,
		     struct sa_params *p)
{
	const char *why = parse_u32(args[0], &p->spi);

	if (why)
		return invalid_value(kw, args[0], why);
	return given_once(kw, IPSECIF_SA_A_SPI, p);
}

static int parse_mode(const struct sa_keyword *kw, char **args,
		      struct sa_params *p)
{
	int mode = find_name(sa_mode_names, ARRAY_SIZE(sa_mode_names),
			     args[0]);

	if (mode < 0)
		return invalid_value(kw, args[0], "expected tunnel or transport");
	p->mode = mode;
	return given_once(kw, IPSECIF_SA_A_MODE, p);
}

static int parse_src(const struct sa_keyword *kw, char **args,
		     struct sa_params *p)
{
	const char *why = parse_addr(args[0], &p->src);

	if (why)
		return invalid_value(kw, args[0], why);
	return given_once(kw, IPSECIF_SA_A_SRC, p);
}

static int parse_dst(const struct sa_keyword *kw, char **args,
		     struct sa_params *p)
{
	const char *why = parse_addr(args[0], &p->dst);

	if (why)
		return invalid_value(kw, args[0], why);
	return given_once(kw, IPSECIF_SA_A_DST, p);
}

static int hex_value(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/*
 * ALG-KEY as "ip xfrm state" reads it: "0x" and hex digits are bytes (only
 * an even number of digits, "0x" alone being the empty key), anything else
 * the bytes of the string.
 */
static const char *parse_key(const char *arg, struct sa_alg *alg)
{
	size_t len = strlen(arg), i;

	if (strncmp(arg, "0x", 2)) {
		if (len > sizeof(alg->key))
			return "too long";
		memcpy(alg->key, arg, len);
		alg->key_len = len;
		return NULL;
	}
	arg += 2;
	len -= 2;
	if (arg[strspn(arg, "0123456789abcdefABCDEF")])
		return "not hexadecimal";
	if (len % 2)
		return "odd number of hex digits";
	if (len / 2 > sizeof(alg->key))
		return "too long";
	for (i = 0; i < len / 2; i++)
		alg->key[i] = hex_value(arg[2 * i]) << 4 |
			      hex_value(arg[2 * i + 1]);
	alg->key_len = len / 2;
	return NULL;
}

/* ALG-NAME ALG-KEY [ALG-ICV-LEN]; the kernel judges names and lengths. */
static int parse_alg(const struct sa_keyword *kw, char **args,
		     struct sa_alg *alg)
{
	const char *why;

	if (strlen(args[0]) >= SA_ALG_NAME_MAX)
		return usage_error(sa_usage,
				   "invalid %s name \"%s\": longer than %d characters",
				   kw->name, args[0], SA_ALG_NAME_MAX - 1);
	alg->name = args[0];
	why = parse_key(args[1], alg);
	if (why)
		return usage_error(sa_usage, "invalid %s key \"%s\": %s",
				   kw->name, args[1], why);
	if (kw->nargs < 3)
		return 0;
	why = parse_u32(args[2], &alg->icv_len);
	if (why)
		return usage_error(sa_usage, "invalid %s length \"%s\": %s",
				   kw->name, args[2], why);
	alg->has_icv_len = true;
	return 0;
}

static int parse_aead(const struct sa_keyword *kw, char **args,
		      struct sa_params *p)
{
	int ret = given_once(kw, IPSECIF_SA_A_AEAD, p);

	return ret ? ret : parse_alg(kw, args, &p->aead);
}

static int parse_enc(const struct sa_keyword *kw, char **args,
		     struct sa_params *p)
{
	int ret = given_once(kw, IPSECIF_SA_A_ENC, p);

	return ret ? ret : parse_alg(kw, args, &p->enc);
}

/* "auth" and "auth-trunc": the latter with the truncation length. */
static int parse_auth(const struct sa_keyword *kw, char **args,
		      struct sa_params *p)
{
	int ret = given_once(kw, IPSECIF_SA_A_AUTH, p);

	return ret ? ret : parse_alg(kw, args, &p->auth);
}

static int parse_replay_window(const struct sa_keyword *kw, char **args,
			       struct sa_params *p)
{
	const char *why = parse_u32(args[0], &p->replay_window);

	if (why)
		return invalid_value(kw, args[0], why);
	return given_once(kw, IPSECIF_SA_A_REPLAY_WINDOW, p);
}

static int parse_seq_out(const struct sa_keyword *kw, char **args,
			 struct sa_params *p)
{
	const char *why = parse_u64(args[0], &p->seq_out);

	if (why)
		return invalid_value(kw, args[0], why);
	return given_once(kw, IPSECIF_SA_A_SEQ_OUT, p);
}

/* espinudp sport PORT dport PORT */
static int parse_encap(const struct sa_keyword *kw, char **args,
		       struct sa_params *p)
{
	const char *why;

	if (strcmp(args[0], "espinudp"))
		return invalid_value(kw, args[0], "expected espinudp");
	if (strcmp(args[1], "sport") || strcmp(args[3], "dport"))
		return usage_error(sa_usage, "\"%s\" needs %s", kw->name,
				   kw->syntax);
	why = parse_u16(args[2], &p->sport);
	if (why)
		return usage_error(sa_usage, "invalid sport \"%s\": %s",
				   args[2], why);
	why = parse_u16(args[4], &p->dport);
	if (why)
		return usage_error(sa_usage, "invalid dport \"%s\": %s",
				   args[4], why);
	return given_once(kw, IPSECIF_SA_A_ENCAP, p);
}

/* soft|hard: the LIMIT keywords that follow apply to it. */
static int parse_lifetime(const struct sa_keyword *kw, char **args,
			  struct sa_params *p)
{
	int lifetime = find_name(lifetime_names, ARRAY_SIZE(lifetime_names),
				 args[0]);
	unsigned int attr;

	if (lifetime < 0)
		return invalid_value(kw, args[0], "expected soft or hard");
	attr = lifetime_attrs[lifetime];
	if (p->given & BIT(attr))
		return usage_error(sa_usage, "\"lifetime %s\" given twice",
				   args[0]);
	p->given |= BIT(attr);
	p->lifetime = &p->lifetimes[lifetime];
	return 0;
}

static int parse_limit(const struct sa_keyword *kw, char **args,
		       struct sa_params *p)
{
	const char *why;

	if (!p->lifetime)
		return usage_error(sa_usage,
				   "\"%s\" must follow \"lifetime soft\" or \"lifetime hard\"",
				   kw->name);
	if (p->lifetime->present & BIT(kw->value))
		return usage_error(sa_usage, "\"%s\" given twice", kw->name);
	why = parse_u64(args[0], &p->lifetime->value[kw->value]);
	if (why)
		return invalid_value(kw, args[0], why);
	p->lifetime->present |= BIT(kw->value);
	return 0;
}

static const struct sa_keyword sa_keywords[] = {
	{ "spi", "SPI", 1, 0, parse_spi },
	{ "mode", "tunnel|transport", 1, 0, parse_mode },
	{ "src", "ADDR", 1, 0, parse_src },
	{ "dst", "ADDR", 1, 0, parse_dst },
	{ "aead", "ALG-NAME ALG-KEY ALG-ICV-LEN", 3, 0, parse_aead },
	{ "enc", "ALG-NAME ALG-KEY", 2, 0, parse_enc },
	{ "auth", "ALG-NAME ALG-KEY", 2, 0, parse_auth },
	{ "auth-trunc", "ALG-NAME ALG-KEY ALG-TRUNC-LEN", 3, 0, parse_auth },
	{ "replay-window", "N", 1, 0, parse_replay_window },
	{ "seq-out", "N", 1, 0, parse_seq_out },
	{ "encap", "espinudp sport PORT dport PORT", 5, 0, parse_encap },
	{ "lifetime", "soft|hard", 1, 0, parse_lifetime },
	{ "bytes", "N", 1, IPSECIF_LIFETIME_A_BYTES, parse_limit },
	{ "packets", "N", 1, IPSECIF_LIFETIME_A_PACKETS, parse_limit },
	{ "seconds", "N", 1, IPSECIF_LIFETIME_A_SECONDS, parse_limit },
};

static const struct sa_keyword *find_keyword(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sa_keywords); i++)
		if (!strcmp(name, sa_keywords[i].name))
			return &sa_keywords[i];
	return NULL;
}

/* A FLAG, the only arguments that are not keywords with values. */
static int parse_flag(const char *arg, struct sa_params *p)
{
	int bit = find_name(flag_names, ARRAY_SIZE(flag_names), arg);

	if (bit < 0)
		return usage_error(sa_usage, "unknown argument \"%s\"", arg);
	if (p->flags & BIT(bit))
		return usage_error(sa_usage, "\"%s\" given twice", arg);
	p->flags |= BIT(bit);
	p->given |= BIT(IPSECIF_SA_A_FLAGS);
	return 0;
}

/* SRC and DST go together; the kernel judges the addresses themselves. */
static int check_endpoints(const struct sa_params *p)
{
	bool src = p->given & BIT(IPSECIF_SA_A_SRC);
	bool dst = p->given & BIT(IPSECIF_SA_A_DST);

	if (src != dst)
		return usage_error(sa_usage, "\"%s\" requires \"%s\"",
				   src ? "src" : "dst", src ? "dst" : "src");
	if (src && p->src.family != p->dst.family)
		return usage_error(sa_usage,
				   "src and dst must be of the same address family");
	return 0;
}

/* The syntax of CRYPTO; which algorithms fit together is the kernel's call. */
static int check_crypto(const struct sa_params *p)
{
	bool aead = p->aead.name;

	if (!aead && !p->enc.name && !p->auth.name)
		return usage_error(sa_usage,
				   "missing CRYPTO: aead, or enc and auth");
	if (aead && (p->enc.name || p->auth.name))
		return usage_error(sa_usage,
				   "aead excludes enc, auth and auth-trunc");
	return 0;
}

static int check_params(const struct sa_params *p)
{
	int ret;

	if (!(p->given & BIT(IPSECIF_SA_A_SPI)))
		return usage_error(sa_usage, "missing \"spi\"");
	ret = check_endpoints(p);
	return ret ? ret : check_crypto(p);
}

/* Parses the arguments after "sa add ID". */
static int parse_params(int argc, char **argv, struct sa_params *p)
{
	const struct sa_keyword *kw;
	int i, ret;

	for (i = 0; i < argc; i += kw ? 1 + kw->nargs : 1) {
		kw = find_keyword(argv[i]);
		if (!kw || kw->parse != parse_limit)
			p->lifetime = NULL;
		if (!kw) {
			ret = parse_flag(argv[i], p);
		} else if (argc - i - 1 < kw->nargs) {
			ret = usage_error(sa_usage, "\"%s\" needs %s",
					  kw->name, kw->syntax);
		} else {
			ret = kw->parse(kw, argv + i + 1, p);
		}
		if (ret)
			return ret;
	}
	return check_params(p);
}

static void put_alg(struct nlmsghdr *nlh, uint16_t type,
		    const struct sa_alg *alg)
{
	struct nlattr *nest;

	if (!alg->name)
		return;
	nest = nl_nest_start(nlh, type);
	mnl_attr_put_strz(nlh, IPSECIF_ALG_A_NAME, alg->name);
	mnl_attr_put(nlh, IPSECIF_ALG_A_KEY, alg->key_len, alg->key);
	if (alg->has_icv_len)
		mnl_attr_put_u32(nlh, IPSECIF_ALG_A_ICV_LEN, alg->icv_len);
	mnl_attr_nest_end(nlh, nest);
}

static void put_encap(struct nlmsghdr *nlh, const struct sa_params *p)
{
	struct nlattr *nest = nl_nest_start(nlh, IPSECIF_SA_A_ENCAP);

	mnl_attr_put_u8(nlh, IPSECIF_ENCAP_A_TYPE, UDP_ENCAP_ESPINUDP);
	mnl_attr_put_u16(nlh, IPSECIF_ENCAP_A_SPORT, p->sport);
	mnl_attr_put_u16(nlh, IPSECIF_ENCAP_A_DPORT, p->dport);
	mnl_attr_nest_end(nlh, nest);
}

static void put_lifetime(struct nlmsghdr *nlh, uint16_t type,
			 const struct u64s *limits)
{
	struct nlattr *nest = nl_nest_start(nlh, type);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(limit_names); i++)
		if (limits->present & BIT(i))
			mnl_attr_put_u64(nlh, i, limits->value[i]);
	mnl_attr_nest_end(nlh, nest);
}

static void put_options(struct nlmsghdr *nlh, const struct sa_params *p)
{
	size_t i;

	if (p->given & BIT(IPSECIF_SA_A_FLAGS))
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_FLAGS, p->flags);
	if (p->given & BIT(IPSECIF_SA_A_REPLAY_WINDOW))
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_REPLAY_WINDOW,
				 p->replay_window);
	if (p->given & BIT(IPSECIF_SA_A_SEQ_OUT))
		mnl_attr_put_u64(nlh, IPSECIF_SA_A_SEQ_OUT, p->seq_out);
	if (p->given & BIT(IPSECIF_SA_A_ENCAP))
		put_encap(nlh, p);
	for (i = 0; i < SA_LIFETIME_COUNT; i++)
		if (p->given & BIT(lifetime_attrs[i]))
			put_lifetime(nlh, lifetime_attrs[i], &p->lifetimes[i]);
}

/* IPSECIF_A_SA with what "sa add" gave. */
static void put_sa(struct nlmsghdr *nlh, const struct sa_params *p)
{
	struct nlattr *nest = nl_nest_start(nlh, IPSECIF_A_SA);

	mnl_attr_put_u32(nlh, IPSECIF_SA_A_ID, p->id);
	mnl_attr_put_u32(nlh, IPSECIF_SA_A_SPI, p->spi);
	if (p->given & BIT(IPSECIF_SA_A_MODE))
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_MODE, p->mode);
	if (p->given & BIT(IPSECIF_SA_A_SRC)) {
		nl_put_addr(nlh, IPSECIF_SA_A_SRC, IPSECIF_SA_A_SRC6, &p->src);
		nl_put_addr(nlh, IPSECIF_SA_A_DST, IPSECIF_SA_A_DST6, &p->dst);
	}
	put_alg(nlh, IPSECIF_SA_A_AEAD, &p->aead);
	put_alg(nlh, IPSECIF_SA_A_ENC, &p->enc);
	put_alg(nlh, IPSECIF_SA_A_AUTH, &p->auth);
	put_options(nlh, p);
	mnl_attr_nest_end(nlh, nest);
}

/* IPSECIF_A_SA with only the id, which names the SA. */
static void put_sa_id(struct nlmsghdr *nlh, uint32_t id)
{
	nl_put_nested_u32(nlh, IPSECIF_A_SA, IPSECIF_SA_A_ID, id);
}

static int sa_add(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct sa_params p = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	if (!argc)
		return usage_error(sa_usage, "missing ID");
	ret = parse_id(argv[0], &p.id);
	if (ret)
		return ret;
	ret = parse_params(argc - 1, argv + 1, &p);
	if (ret)
		return ret;

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_NEW, 0);
	put_sa(nlh, &p);
	return ipsecif_talk(nlh, NULL, NULL);
}

static int sa_del(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	uint32_t id;
	int ret;

	if (!argc)
		return usage_error(sa_usage, "missing ID");
	ret = check_no_more(sa_usage, argc, argv, 1);
	if (ret)
		return ret;
	ret = parse_id(argv[0], &id);
	if (ret)
		return ret;

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_DEL, 0);
	put_sa_id(nlh, id);
	return ipsecif_talk(nlh, NULL, NULL);
}

static int sa_flush(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	ret = check_no_more(sa_usage, argc, argv, 0);
	if (ret)
		return ret;

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_FLUSH, 0);
	return ipsecif_talk(nlh, NULL, NULL);
}

static void get_alg(const struct nlattr *nest, struct sa_alg_info *alg)
{
	const struct nlattr *tb[IPSECIF_ALG_A_MAX + 1];

	if (!nest)
		return;
	nl_parse_nested(nest, tb, IPSECIF_ALG_A_MAX);
	alg->name = nl_get_str(tb[IPSECIF_ALG_A_NAME]);
	alg->key = tb[IPSECIF_ALG_A_KEY];
	alg->has_icv_len = nl_get_u32(tb[IPSECIF_ALG_A_ICV_LEN],
				      &alg->icv_len);
}

static void get_encap(const struct nlattr *nest, struct sa_info *info)
{
	const struct nlattr *tb[IPSECIF_ENCAP_A_MAX + 1];

	nl_parse_nested(nest, tb, IPSECIF_ENCAP_A_MAX);
	if (nl_get_u8(tb[IPSECIF_ENCAP_A_TYPE], &info->encap_type))
		info->encap_present |= BIT(IPSECIF_ENCAP_A_TYPE);
	if (nl_get_u16(tb[IPSECIF_ENCAP_A_SPORT], &info->sport))
		info->encap_present |= BIT(IPSECIF_ENCAP_A_SPORT);
	if (nl_get_u16(tb[IPSECIF_ENCAP_A_DPORT], &info->dport))
		info->encap_present |= BIT(IPSECIF_ENCAP_A_DPORT);
}

/* Sets the bit of @type in info->present if the attribute was read. */
static void note(struct sa_info *info, unsigned int type, bool read)
{
	if (read)
		info->present |= BIT(type);
}

static void get_nests(const struct nlattr **tb, struct sa_info *info)
{
	size_t i;

	get_alg(tb[IPSECIF_SA_A_AEAD], &info->aead);
	get_alg(tb[IPSECIF_SA_A_ENC], &info->enc);
	get_alg(tb[IPSECIF_SA_A_AUTH], &info->auth);
	if (tb[IPSECIF_SA_A_ENCAP]) {
		note(info, IPSECIF_SA_A_ENCAP, true);
		get_encap(tb[IPSECIF_SA_A_ENCAP], info);
	}
	for (i = 0; i < SA_LIFETIME_COUNT; i++) {
		const struct nlattr *nest = tb[lifetime_attrs[i]];

		if (!nest)
			continue;
		note(info, lifetime_attrs[i], true);
		nl_get_u64s(nest, IPSECIF_LIFETIME_A_MAX, &info->lifetimes[i]);
	}
	if (tb[IPSECIF_SA_A_STATS]) {
		note(info, IPSECIF_SA_A_STATS, true);
		nl_get_u64s(tb[IPSECIF_SA_A_STATS], IPSECIF_STATS_A_MAX,
			    &info->stats);
	}
}

/* Fills @info from a reply carrying IPSECIF_A_SA; fails for anything else. */
static int sa_parse(const struct nlmsghdr *nlh, struct sa_info *info)
{
	const struct nlattr *tb[IPSECIF_A_MAX + 1];
	const struct nlattr *sa[IPSECIF_SA_A_MAX + 1];

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -1;
	nl_parse_attrs(nlh, sizeof(struct genlmsghdr), tb, IPSECIF_A_MAX);
	if (!tb[IPSECIF_A_SA])
		return -1;
	nl_parse_nested(tb[IPSECIF_A_SA], sa, IPSECIF_SA_A_MAX);

	memset(info, 0, sizeof(*info));
	if (!nl_get_u32(sa[IPSECIF_SA_A_ID], &info->id) ||
	    !nl_get_u32(sa[IPSECIF_SA_A_SPI], &info->spi))
		return -1;
	note(info, IPSECIF_SA_A_MODE,
	     nl_get_u8(sa[IPSECIF_SA_A_MODE], &info->mode));
	note(info, IPSECIF_SA_A_SRC,
	     nl_get_addr(sa[IPSECIF_SA_A_SRC], sa[IPSECIF_SA_A_SRC6],
			 &info->src));
	note(info, IPSECIF_SA_A_DST,
	     nl_get_addr(sa[IPSECIF_SA_A_DST], sa[IPSECIF_SA_A_DST6],
			 &info->dst));
	note(info, IPSECIF_SA_A_FLAGS,
	     nl_get_u32(sa[IPSECIF_SA_A_FLAGS], &info->flags));
	note(info, IPSECIF_SA_A_REPLAY_WINDOW,
	     nl_get_u32(sa[IPSECIF_SA_A_REPLAY_WINDOW], &info->replay_window));
	note(info, IPSECIF_SA_A_SEQ_OUT,
	     nl_get_u64(sa[IPSECIF_SA_A_SEQ_OUT], &info->seq_out));
	get_nests(sa, info);
	return 0;
}

static void print_key_text(const struct nlattr *key)
{
	const uint8_t *bytes = mnl_attr_get_payload(key);
	uint16_t i;

	fputs(" 0x", stdout);
	for (i = 0; i < mnl_attr_get_payload_len(key); i++)
		printf("%02x", bytes[i]);
}

/* " aead NAME [KEY] ICV-LEN", " enc NAME [KEY]", " auth-trunc ..." */
static void print_alg_text(const char *keyword, const struct sa_alg_info *alg)
{
	printf(" %s %s", keyword, alg->name);
	if (alg->key)
		print_key_text(alg->key);
	if (alg->has_icv_len)
		printf(" %u", alg->icv_len);
}

static void print_algs_text(const struct sa_info *info)
{
	const struct sa_alg_info *auth = &info->auth;

	if (info->aead.name) {
		fputs("   ", stdout);
		print_alg_text("aead", &info->aead);
		putchar('\n');
	}
	if (!info->enc.name && !auth->name)
		return;
	fputs("   ", stdout);
	if (info->enc.name)
		print_alg_text("enc", &info->enc);
	if (auth->name)
		print_alg_text(auth->has_icv_len ? "auth-trunc" : "auth", auth);
	putchar('\n');
}

static void print_encap_text(const struct sa_info *info)
{
	printf("    encap");
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_TYPE))
		printf(" %s", name_of(encap_type_names,
				      ARRAY_SIZE(encap_type_names),
				      info->encap_type));
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_SPORT))
		printf(" sport %u", info->sport);
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_DPORT))
		printf(" dport %u", info->dport);
	putchar('\n');
}

static void print_flags_text(uint32_t flags)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flag_names); i++)
		if (flags & BIT(i))
			printf(" %s", flag_names[i]);
}

/* sa ID spi 0xSPI [mode M] [src A dst A] [FLAG]... [replay-window N] */
static void print_head_text(const struct sa_info *info)
{
	char addr[INET6_ADDRSTRLEN];

	printf("sa %u spi 0x%08x", info->id, info->spi);
	if (info->present & BIT(IPSECIF_SA_A_MODE))
		printf(" mode %s", sa_mode_name(info->mode));
	if (info->present & BIT(IPSECIF_SA_A_SRC))
		printf(" src %s", format_addr(&info->src, addr, sizeof(addr)));
	if (info->present & BIT(IPSECIF_SA_A_DST))
		printf(" dst %s", format_addr(&info->dst, addr, sizeof(addr)));
	print_flags_text(info->flags);
	if (info->present & BIT(IPSECIF_SA_A_REPLAY_WINDOW))
		printf(" replay-window %u", info->replay_window);
	if (info->present & BIT(IPSECIF_SA_A_SEQ_OUT))
		printf(" seq-out %llu", (unsigned long long)info->seq_out);
	putchar('\n');
}

static void print_sa_text(const struct sa_info *info)
{
	size_t i;

	print_head_text(info);
	print_algs_text(info);
	if (info->present & BIT(IPSECIF_SA_A_ENCAP))
		print_encap_text(info);
	for (i = 0; i < SA_LIFETIME_COUNT; i++) {
		if (!(info->present & BIT(lifetime_attrs[i])))
			continue;
		printf("    lifetime %s", lifetime_names[i]);
		print_u64s_text(limit_names, ARRAY_SIZE(limit_names),
				&info->lifetimes[i]);
		putchar('\n');
	}
	if (ipsecctl_opts.stats && info->present & BIT(IPSECIF_SA_A_STATS)) {
		printf("    stats:");
		print_u64s_text(stats_names, ARRAY_SIZE(stats_names),
				&info->stats);
		putchar('\n');
	}
}

static void print_alg_json(struct json_writer *jw, const char *key,
			   const struct sa_alg_info *alg)
{
	if (!alg->name)
		return;
	json_object_open(jw, key);
	json_string(jw, "name", alg->name);
	if (alg->key)
		json_hex(jw, "key", mnl_attr_get_payload(alg->key),
			 mnl_attr_get_payload_len(alg->key));
	if (alg->has_icv_len)
		json_uint(jw, "icv_len", alg->icv_len);
	json_object_close(jw);
}

static void print_encap_json(struct json_writer *jw,
			     const struct sa_info *info)
{
	json_object_open(jw, "encap");
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_TYPE))
		json_string(jw, "type", name_of(encap_type_names,
						ARRAY_SIZE(encap_type_names),
						info->encap_type));
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_SPORT))
		json_uint(jw, "sport", info->sport);
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_DPORT))
		json_uint(jw, "dport", info->dport);
	json_object_close(jw);
}

static void print_lifetimes_json(struct json_writer *jw,
				 const struct sa_info *info)
{
	size_t i;

	if (!(info->present & (BIT(IPSECIF_SA_A_LIFETIME_SOFT) |
			       BIT(IPSECIF_SA_A_LIFETIME_HARD))))
		return;
	json_object_open(jw, "lifetime");
	for (i = 0; i < SA_LIFETIME_COUNT; i++)
		if (info->present & BIT(lifetime_attrs[i]))
			print_u64s_json(jw, lifetime_names[i], limit_names,
					ARRAY_SIZE(limit_names),
					&info->lifetimes[i]);
	json_object_close(jw);
}

static void print_flags_json(struct json_writer *jw, uint32_t flags)
{
	size_t i;

	json_array_open(jw, "flags");
	for (i = 0; i < ARRAY_SIZE(flag_names); i++)
		if (flags & BIT(i))
			json_string(jw, NULL, flag_names[i]);
	json_array_close(jw);
}

static void print_head_json(struct json_writer *jw,
			    const struct sa_info *info)
{
	char addr[INET6_ADDRSTRLEN];

	json_uint(jw, "id", info->id);
	json_uint(jw, "spi", info->spi);
	if (info->present & BIT(IPSECIF_SA_A_MODE))
		json_string(jw, "mode", sa_mode_name(info->mode));
	if (info->present & BIT(IPSECIF_SA_A_SRC))
		json_string(jw, "src",
			    format_addr(&info->src, addr, sizeof(addr)));
	if (info->present & BIT(IPSECIF_SA_A_DST))
		json_string(jw, "dst",
			    format_addr(&info->dst, addr, sizeof(addr)));
	if (info->present & BIT(IPSECIF_SA_A_FLAGS))
		print_flags_json(jw, info->flags);
	if (info->present & BIT(IPSECIF_SA_A_REPLAY_WINDOW))
		json_uint(jw, "replay_window", info->replay_window);
	if (info->present & BIT(IPSECIF_SA_A_SEQ_OUT))
		json_uint(jw, "seq_out", info->seq_out);
}

static void print_sa_json(struct json_writer *jw, const struct sa_info *info)
{
	json_object_open(jw, NULL);
	print_head_json(jw, info);
	print_alg_json(jw, "aead", &info->aead);
	print_alg_json(jw, "enc", &info->enc);
	print_alg_json(jw, "auth", &info->auth);
	if (info->present & BIT(IPSECIF_SA_A_ENCAP))
		print_encap_json(jw, info);
	print_lifetimes_json(jw, info);
	if (ipsecctl_opts.stats && info->present & BIT(IPSECIF_SA_A_STATS))
		print_u64s_json(jw, "stats", stats_json_names,
				ARRAY_SIZE(stats_json_names), &info->stats);
	json_object_close(jw);
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sa_info info;

	if (sa_parse(nlh, &info))
		return MNL_CB_OK;
	if (ipsecctl_opts.json)
		print_sa_json(data, &info);
	else
		print_sa_text(&info);
	return MNL_CB_OK;
}

/* One SA by its id, or a dump of them all. */
static int sa_show(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	uint32_t id;
	int ret;

	ret = check_no_more(sa_usage, argc, argv, 1);
	if (!ret && argc)
		ret = parse_id(argv[0], &id);
	if (ret)
		return ret;

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_GET, argc ? 0 : NLM_F_DUMP);
	if (argc)
		put_sa_id(nlh, id);
	return ipsecif_show(nlh, show_cb);
}

static const struct command sa_commands[] = {
	{ "add", sa_add },
	{ "del", sa_del },
	{ "flush", sa_flush },
	{ "show", sa_show },
};

/* "ipsecctl sa" alone lists the SAs, as "ip xfrm state" does. */
int cmd_sa(int argc, char **argv)
{
	if (!argc)
		return sa_show(0, argv);
	return run_command(sa_commands, ARRAY_SIZE(sa_commands), "command",
			   sa_usage, argc, argv);
}
