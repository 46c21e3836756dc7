// SPDX-License-Identifier: GPL-2.0
/*
 * The sa object: security associations, added (with algorithms and keys
 * written as "ip xfrm state" takes them), changed while live, deleted,
 * flushed and listed with the IPSECIF_CMD_SA_* commands of the ipsecif
 * generic netlink family, as include/uapi/linux/ipsecif.h specifies; and
 * their notifications, for "monitor". Configuration files: sa_config.c.
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/ipsecif.h>
#include <linux/udp.h>

#include "ipsecctl.h"
#include "json.h"
#include "nl.h"
#include "sa_int.h"
#include "utils.h"

/* The largest outer DSCP. */
#define SA_DSCP_MAX		63

/* The flags that the outer header options choose; ESN is the other one. */
#define SA_OUTER_FLAGS	(IPSECIF_SA_F_DECAP_DSCP | IPSECIF_SA_F_NO_ECN |	\
			 IPSECIF_SA_F_DONT_ENCAP_DSCP | IPSECIF_SA_F_DF_SET |	\
			 IPSECIF_SA_F_DF_CLEAR | IPSECIF_SA_F_COPY_FLOWLABEL)

/* The keywords of both "sa add" and "sa update". */
#define SA_ANY		(SA_ADD | SA_UPDATE)

/*
 * A keyword of "sa add" and "sa update", with at least @nargs arguments
 * after it. parse() returns how many it took, or -1 after a usage error.
 */
struct sa_keyword {
	const char *name;
	const char *syntax;	/* of the arguments, for usage errors */
	int nargs;
	unsigned int use;	/* enum sa_keyword_use */
	unsigned int value;	/* for parse(): a limit, or a lifetime */
	int (*parse)(const struct sa_keyword *kw, int argc, char **args,
		     struct sa_params *p);
};

/*
 * How the text of an SA is laid out: a block of lines for "sa show", one
 * line for "monitor".
 */
struct sa_layout {
	const char *head;	/* "sa", or the event: "sa new" */
	bool pad_spi;		/* 0x%08x, as "ip xfrm state"; else 0x%x */
	const char *sep;	/* before each part after the first line's */
};

static const struct sa_layout show_layout = {
	.head = "sa",
	.pad_spi = true,
	.sep = "\n   ",
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
	"copy-flowlabel",
	"parallel",
};

_Static_assert(BIT(ARRAY_SIZE(flag_names) - 1) == IPSECIF_SA_F_PARALLEL,
	       "flag_names follows enum ipsecif_sa_flags");

/*
 * The flags given as words, without arguments; "dont-encap-dscp", "df-set"
 * and "df-clear" are older spellings of "dscp 0", "df set" and "df clear".
 */
static const struct sa_flag_word flag_words[] = {
	{ "esn", IPSECIF_SA_F_ESN, IPSECIF_SA_F_ESN },
	{ "parallel", IPSECIF_SA_F_PARALLEL, IPSECIF_SA_F_PARALLEL },
	{ "decap-dscp", IPSECIF_SA_F_DECAP_DSCP, IPSECIF_SA_F_DECAP_DSCP },
	{ "no-decap-dscp", IPSECIF_SA_F_DECAP_DSCP, 0 },
	{ "ecn", IPSECIF_SA_F_NO_ECN, 0 },
	{ "no-ecn", IPSECIF_SA_F_NO_ECN, IPSECIF_SA_F_NO_ECN },
	{ "dont-encap-dscp", IPSECIF_SA_F_DONT_ENCAP_DSCP,
	  IPSECIF_SA_F_DONT_ENCAP_DSCP },
	{ "df-set", SA_DF_FLAGS, IPSECIF_SA_F_DF_SET },
	{ "df-clear", SA_DF_FLAGS, IPSECIF_SA_F_DF_CLEAR },
};

/* "df copy|set|clear", also the text and JSON output. */
const struct sa_flag_word df_words[] = {
	{ "copy", SA_DF_FLAGS, 0 },
	{ "set", SA_DF_FLAGS, IPSECIF_SA_F_DF_SET },
	{ "clear", SA_DF_FLAGS, IPSECIF_SA_F_DF_CLEAR },
};

/* "flowlabel copy|zero", also the text and JSON output. */
static const struct sa_flag_word flowlabel_words[] = {
	{ "copy", IPSECIF_SA_F_COPY_FLOWLABEL, IPSECIF_SA_F_COPY_FLOWLABEL },
	{ "zero", IPSECIF_SA_F_COPY_FLOWLABEL, 0 },
};

static const char *const encap_type_names[] = {
	[0] = "none",
	[UDP_ENCAP_ESPINUDP] = "espinudp",
};

const char *const lifetime_names[] = {
	[SA_LIFETIME_SOFT] = "soft",
	[SA_LIFETIME_HARD] = "hard",
};

const uint16_t lifetime_attrs[] = {
	[SA_LIFETIME_SOFT] = IPSECIF_SA_A_LIFETIME_SOFT,
	[SA_LIFETIME_HARD] = IPSECIF_SA_A_LIFETIME_HARD,
};

/* The same in the command line, the text output and the JSON output. */
const char *const limit_names[] = {
	[IPSECIF_LIFETIME_A_BYTES] = "bytes",
	[IPSECIF_LIFETIME_A_PACKETS] = "packets",
	[IPSECIF_LIFETIME_A_SECONDS] = "seconds",
};

static const char *const expired_names[] = {
	[IPSECIF_SA_LIVE] = "live",
	[IPSECIF_SA_SOFT_EXPIRED] = "soft",
	[IPSECIF_SA_HARD_EXPIRED] = "hard",
};

/* The "kind" of SA_EXPIRE and SA_ERROR notifications. */
static const char *const event_names[] = {
	[IPSECIF_SA_EVENT_SOFT] = "soft",
	[IPSECIF_SA_EVENT_HARD] = "hard",
	[IPSECIF_SA_EVENT_REPLAY] = "replay",
	[IPSECIF_SA_EVENT_INTEGRITY] = "integrity",
};

/* The counter of the drops that an SA_ERROR event reports. */
static const uint16_t event_counters[] = {
	[IPSECIF_SA_EVENT_REPLAY] = IPSECIF_STATS_A_DROP_REPLAY,
	[IPSECIF_SA_EVENT_INTEGRITY] = IPSECIF_STATS_A_DROP_INTEGRITY,
};

/*
 * The counters of the text that are not drops; the drops, by reason, are
 * shown with -s -s, and summed up as "drops" with -s.
 */
static const char *const stats_names[] = {
	[IPSECIF_STATS_A_PACKETS] = "packets",
	[IPSECIF_STATS_A_BYTES] = "bytes",
	[IPSECIF_STATS_A_LOST] = "lost",
};

static const char *const drop_names[] = {
	[IPSECIF_STATS_A_DROP_REPLAY] = "replay",
	[IPSECIF_STATS_A_DROP_INTEGRITY] = "integrity",
	[IPSECIF_STATS_A_DROP_TRAILER] = "trailer",
	[IPSECIF_STATS_A_DROP_NEXTHDR] = "nexthdr",
	[IPSECIF_STATS_A_DROP_RUNT] = "runt",
	[IPSECIF_STATS_A_DROP_NO_PROTECT] = "no-protect",
	[IPSECIF_STATS_A_DROP_SEQ_EXHAUSTED] = "seq-exhausted",
	[IPSECIF_STATS_A_DROP_CRYPTO] = "crypto",
	[IPSECIF_STATS_A_DROP_EXPIRED] = "expired",
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

void sa_usage(FILE *out)
{
	fputs("Usage: ipsecctl sa add ID spi SPI [mode tunnel|transport] [src ADDR dst ADDR]\n"
	      "                       CRYPTO [esn] [parallel] [replay-window N] [seq-out N]\n"
	      "                       [seq-in N] [OPTION]...\n"
	      "       ipsecctl sa update ID [src ADDR dst ADDR] [OPTION]...\n"
	      "       ipsecctl sa del ID\n"
	      "       ipsecctl sa flush\n"
	      "       ipsecctl sa show [ID]\n"
	      "       ipsecctl sa help\n"
	      "where  CRYPTO := { aead ALG-NAME ALG-KEY ALG-ICV-LEN |\n"
	      "                  enc ALG-NAME ALG-KEY AUTH | AUTH enc ALG-NAME ALG-KEY }\n"
	      "       AUTH := { auth ALG-NAME ALG-KEY |\n"
	      "                 auth-trunc ALG-NAME ALG-KEY ALG-TRUNC-LEN }\n"
	      "       ALG-KEY := { 0xHEX | STRING | '' }, HEX having an even number of digits\n"
	      "       OPTION := { encap espinudp sport PORT dport PORT | encap none |\n"
	      "                   lifetime { soft | hard | LIMIT N }... |\n"
	      "                   dscp { copy | 0..63 } | decap-dscp | no-decap-dscp |\n"
	      "                   ecn | no-ecn | df { copy | set | clear } |\n"
	      "                   ttl { 1..255 | inherit } | flowlabel { copy | zero } }\n"
	      "       LIMIT := { bytes | packets | seconds }, N := a 64-bit number\n"
	      "       ADDR := an IPv4 or IPv6 address, both of one family\n"
	      "       ID, SPI := 32-bit numbers, decimal or 0x hexadecimal; PORT: 16-bit\n", out);
}

const char *sa_mode_name(uint8_t mode)
{
	return name_of(sa_mode_names, ARRAY_SIZE(sa_mode_names), mode);
}

static int parse_id(const char *arg, uint32_t *id)
{
	return parse_u32_arg(sa_usage, "ID", arg, id);
}

/* Prints a usage error; returns -1, as the keyword parsers fail. */
static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int refuse(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	usage_error(sa_usage, "%s", msg);
	return -1;
}

static int invalid_value(const struct sa_keyword *kw, const char *arg,
			 const char *why)
{
	return refuse("invalid %s \"%s\": %s", kw->name, arg, why);
}

/* Marks the attribute @attr given, unless it already was; 0 or -1. */
static int given_once(const struct sa_keyword *kw, unsigned int attr,
		      struct sa_params *p)
{
	if (p->given & BIT(attr))
		return refuse("\"%s\" given twice", kw->name);
	p->given |= BIT(attr);
	return 0;
}

/* What a keyword with one value returns: it took that value, or failed. */
static int took_one(int ret)
{
	return ret ? -1 : 1;
}

/* Decides the flags @word->mask, which no earlier option may have decided. */
static int set_flags(const char *name, const struct sa_flag_word *word,
		     struct sa_params *p)
{
	if (p->flags_given & word->mask)
		return refuse("\"%s\" repeats or contradicts an earlier option",
			      name);
	p->flags_given |= word->mask;
	p->flags = (p->flags & ~word->mask) | word->set;
	p->given |= BIT(IPSECIF_SA_A_FLAGS);
	return 0;
}

static const struct sa_flag_word *find_flag_word(const struct sa_flag_word *words,
						 size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (!strcmp(name, words[i].name))
			return &words[i];
	return NULL;
}

/* The word of @words that @flags match, for the output. */
const char *flag_word_of(const struct sa_flag_word *words, size_t count,
			 uint32_t flags)
{
	size_t i;

	for (i = 0; i < count; i++)
		if ((flags & words[i].mask) == words[i].set)
			return words[i].name;
	return "unknown";
}

static int parse_spi(const struct sa_keyword *kw, int argc, char **args,
		     struct sa_params *p)
{
	const char *why = parse_u32(args[0], &p->spi);

	(void)argc;
	if (why)
		return invalid_value(kw, args[0], why);
	return took_one(given_once(kw, IPSECIF_SA_A_SPI, p));
}

static int parse_mode(const struct sa_keyword *kw, int argc, char **args,
		      struct sa_params *p)
{
	int mode = find_name(sa_mode_names, ARRAY_SIZE(sa_mode_names),
			     args[0]);

	(void)argc;
	if (mode < 0)
		return invalid_value(kw, args[0], "expected tunnel or transport");
	p->mode = mode;
	return took_one(given_once(kw, IPSECIF_SA_A_MODE, p));
}

static int parse_src(const struct sa_keyword *kw, int argc, char **args,
		     struct sa_params *p)
{
	const char *why = parse_addr(args[0], &p->src);

	(void)argc;
	if (why)
		return invalid_value(kw, args[0], why);
	return took_one(given_once(kw, IPSECIF_SA_A_SRC, p));
}

static int parse_dst(const struct sa_keyword *kw, int argc, char **args,
		     struct sa_params *p)
{
	const char *why = parse_addr(args[0], &p->dst);

	(void)argc;
	if (why)
		return invalid_value(kw, args[0], why);
	return took_one(given_once(kw, IPSECIF_SA_A_DST, p));
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
		return refuse("invalid %s name \"%s\": longer than %d characters",
			      kw->name, args[0], SA_ALG_NAME_MAX - 1);
	alg->name = args[0];
	why = parse_key(args[1], alg);
	if (why)
		return refuse("invalid %s key \"%s\": %s", kw->name, args[1],
			      why);
	if (kw->nargs < 3)
		return kw->nargs;
	why = parse_u32(args[2], &alg->icv_len);
	if (why)
		return refuse("invalid %s length \"%s\": %s", kw->name,
			      args[2], why);
	alg->has_icv_len = true;
	return kw->nargs;
}

static int parse_aead(const struct sa_keyword *kw, int argc, char **args,
		      struct sa_params *p)
{
	(void)argc;
	if (given_once(kw, IPSECIF_SA_A_AEAD, p))
		return -1;
	return parse_alg(kw, args, &p->aead);
}

static int parse_enc(const struct sa_keyword *kw, int argc, char **args,
		     struct sa_params *p)
{
	(void)argc;
	if (given_once(kw, IPSECIF_SA_A_ENC, p))
		return -1;
	return parse_alg(kw, args, &p->enc);
}

/* "auth" and "auth-trunc": the latter with the truncation length. */
static int parse_auth(const struct sa_keyword *kw, int argc, char **args,
		      struct sa_params *p)
{
	(void)argc;
	if (given_once(kw, IPSECIF_SA_A_AUTH, p))
		return -1;
	return parse_alg(kw, args, &p->auth);
}

static int parse_replay_window(const struct sa_keyword *kw, int argc,
			       char **args, struct sa_params *p)
{
	const char *why = parse_u32(args[0], &p->replay_window);

	(void)argc;
	if (why)
		return invalid_value(kw, args[0], why);
	return took_one(given_once(kw, IPSECIF_SA_A_REPLAY_WINDOW, p));
}

static int parse_seq_out(const struct sa_keyword *kw, int argc, char **args,
			 struct sa_params *p)
{
	const char *why = parse_u64(args[0], &p->seq_out);

	(void)argc;
	if (why)
		return invalid_value(kw, args[0], why);
	return took_one(given_once(kw, IPSECIF_SA_A_SEQ_OUT, p));
}

static int parse_seq_in(const struct sa_keyword *kw, int argc, char **args,
			struct sa_params *p)
{
	const char *why = parse_u64(args[0], &p->seq_in);

	(void)argc;
	if (why)
		return invalid_value(kw, args[0], why);
	return took_one(given_once(kw, IPSECIF_SA_A_SEQ_IN, p));
}

/* "espinudp sport PORT dport PORT", or "none" */
static int parse_encap(const struct sa_keyword *kw, int argc, char **args,
		       struct sa_params *p)
{
	const char *why;

	if (given_once(kw, IPSECIF_SA_A_ENCAP, p))
		return -1;
	if (!strcmp(args[0], "none")) {
		p->encap_type = 0;
		return 1;
	}
	if (strcmp(args[0], "espinudp"))
		return invalid_value(kw, args[0], "expected espinudp or none");
	if (argc < 5 || strcmp(args[1], "sport") || strcmp(args[3], "dport"))
		return refuse("\"%s\" needs %s", kw->name, kw->syntax);
	why = parse_u16(args[2], &p->sport);
	if (why)
		return refuse("invalid sport \"%s\": %s", args[2], why);
	why = parse_u16(args[4], &p->dport);
	if (why)
		return refuse("invalid dport \"%s\": %s", args[4], why);
	p->encap_type = UDP_ENCAP_ESPINUDP;
	return 5;
}

/* "lifetime" starts a clause of soft, hard and LIMIT N keywords. */
static int parse_lifetime(const struct sa_keyword *kw, int argc, char **args,
			  struct sa_params *p)
{
	(void)kw;
	(void)argc;
	(void)args;
	p->in_lifetime = true;
	p->lifetime = NULL;
	return 0;
}

/*
 * soft|hard: the LIMIT keywords that follow go to that set of limits, which
 * replaces the SA's whole set (so "lifetime hard" alone removes the hard
 * limits in "sa update").
 */
static int parse_lifetime_set(const struct sa_keyword *kw, int argc,
			      char **args, struct sa_params *p)
{
	(void)argc;
	(void)args;
	if (!p->in_lifetime)
		return refuse("\"%s\" must follow \"lifetime\"", kw->name);
	p->given |= BIT(lifetime_attrs[kw->value]);
	p->lifetime = &p->lifetimes[kw->value];
	return 0;
}

static int parse_limit(const struct sa_keyword *kw, int argc, char **args,
		       struct sa_params *p)
{
	const char *why;

	(void)argc;
	if (!p->lifetime)
		return refuse("\"%s\" must follow \"lifetime soft\" or \"lifetime hard\"",
			      kw->name);
	if (p->lifetime->present & BIT(kw->value))
		return refuse("\"%s\" given twice for one lifetime",
			      kw->name);
	why = parse_u64(args[0], &p->lifetime->value[kw->value]);
	if (why)
		return invalid_value(kw, args[0], why);
	p->lifetime->present |= BIT(kw->value);
	return 1;
}

/* "dscp copy", or "dscp N": the outer DSCP is N. */
static int parse_dscp(const struct sa_keyword *kw, int argc, char **args,
		      struct sa_params *p)
{
	static const struct sa_flag_word copy = {
		"copy", IPSECIF_SA_F_DONT_ENCAP_DSCP, 0
	};
	static const struct sa_flag_word fixed = {
		"N", IPSECIF_SA_F_DONT_ENCAP_DSCP, IPSECIF_SA_F_DONT_ENCAP_DSCP
	};
	const char *why;

	(void)argc;
	if (!strcmp(args[0], "copy"))
		return took_one(set_flags(kw->name, &copy, p));
	why = parse_u8(args[0], &p->dscp);
	if (!why && p->dscp > SA_DSCP_MAX)
		why = "out of range";
	if (why)
		return invalid_value(kw, args[0], why);
	p->given |= BIT(IPSECIF_SA_A_DSCP);
	return took_one(set_flags(kw->name, &fixed, p));
}

/* "ttl N", or "ttl inherit" (0): the underlay route's */
static int parse_ttl(const struct sa_keyword *kw, int argc, char **args,
		     struct sa_params *p)
{
	const char *why = NULL;

	(void)argc;
	if (!strcmp(args[0], "inherit"))
		p->ttl = 0;
	else
		why = parse_u8(args[0], &p->ttl);
	if (why)
		return invalid_value(kw, args[0], why);
	return took_one(given_once(kw, IPSECIF_SA_A_TTL, p));
}

static int parse_df(const struct sa_keyword *kw, int argc, char **args,
		    struct sa_params *p)
{
	const struct sa_flag_word *word;

	(void)argc;
	word = find_flag_word(df_words, ARRAY_SIZE(df_words), args[0]);
	if (!word)
		return invalid_value(kw, args[0], "expected copy, set or clear");
	return took_one(set_flags(kw->name, word, p));
}

static int parse_flowlabel(const struct sa_keyword *kw, int argc,
			   char **args, struct sa_params *p)
{
	const struct sa_flag_word *word;

	(void)argc;
	word = find_flag_word(flowlabel_words, ARRAY_SIZE(flowlabel_words),
			      args[0]);
	if (!word)
		return invalid_value(kw, args[0], "expected copy or zero");
	return took_one(set_flags(kw->name, word, p));
}

/* A flag written as a word of its own, one of flag_words[]. */
static int parse_flag(const struct sa_keyword *kw, int argc, char **args,
		      struct sa_params *p)
{
	const struct sa_flag_word *word;

	(void)argc;
	(void)args;
	word = find_flag_word(flag_words, ARRAY_SIZE(flag_words), kw->name);
	return set_flags(kw->name, word, p) ? -1 : 0;
}

static const struct sa_keyword sa_keywords[] = {
	{ "spi", "SPI", 1, SA_ADD, 0, parse_spi },
	{ "mode", "tunnel|transport", 1, SA_ADD, 0, parse_mode },
	{ "src", "ADDR", 1, SA_ANY, 0, parse_src },
	{ "dst", "ADDR", 1, SA_ANY, 0, parse_dst },
	{ "aead", "ALG-NAME ALG-KEY ALG-ICV-LEN", 3, SA_ADD, 0, parse_aead },
	{ "enc", "ALG-NAME ALG-KEY", 2, SA_ADD, 0, parse_enc },
	{ "auth", "ALG-NAME ALG-KEY", 2, SA_ADD, 0, parse_auth },
	{ "auth-trunc", "ALG-NAME ALG-KEY ALG-TRUNC-LEN", 3, SA_ADD, 0,
	  parse_auth },
	{ "replay-window", "N", 1, SA_ADD, 0, parse_replay_window },
	{ "seq-out", "N", 1, SA_ADD, 0, parse_seq_out },
	{ "seq-in", "N", 1, SA_ADD, 0, parse_seq_in },
	{ "encap", "espinudp sport PORT dport PORT, or none", 1, SA_ANY, 0,
	  parse_encap },
	{ "lifetime", "", 0, SA_ANY, 0, parse_lifetime },
	{ "soft", "", 0, SA_ANY | SA_LIFETIME, SA_LIFETIME_SOFT,
	  parse_lifetime_set },
	{ "hard", "", 0, SA_ANY | SA_LIFETIME, SA_LIFETIME_HARD,
	  parse_lifetime_set },
	{ "bytes", "N", 1, SA_ANY | SA_LIFETIME, IPSECIF_LIFETIME_A_BYTES,
	  parse_limit },
	{ "packets", "N", 1, SA_ANY | SA_LIFETIME, IPSECIF_LIFETIME_A_PACKETS,
	  parse_limit },
	{ "seconds", "N", 1, SA_ANY | SA_LIFETIME, IPSECIF_LIFETIME_A_SECONDS,
	  parse_limit },
	{ "dscp", "copy or 0..63", 1, SA_ANY, 0, parse_dscp },
	{ "ttl", "1..255 or inherit", 1, SA_ANY, 0, parse_ttl },
	{ "df", "copy, set or clear", 1, SA_ANY, 0, parse_df },
	{ "flowlabel", "copy or zero", 1, SA_ANY, 0, parse_flowlabel },
	{ "esn", "", 0, SA_ADD, 0, parse_flag },
	{ "parallel", "", 0, SA_ADD, 0, parse_flag },
	{ "decap-dscp", "", 0, SA_ANY, 0, parse_flag },
	{ "no-decap-dscp", "", 0, SA_ANY, 0, parse_flag },
	{ "ecn", "", 0, SA_ANY, 0, parse_flag },
	{ "no-ecn", "", 0, SA_ANY, 0, parse_flag },
	{ "dont-encap-dscp", "", 0, SA_ANY, 0, parse_flag },
	{ "df-set", "", 0, SA_ANY, 0, parse_flag },
	{ "df-clear", "", 0, SA_ANY, 0, parse_flag },
};

static const struct sa_keyword *find_keyword(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sa_keywords); i++)
		if (!strcmp(name, sa_keywords[i].name))
			return &sa_keywords[i];
	return NULL;
}

/* A "lifetime" clause names soft or hard before anything else ends it. */
static int end_lifetime(struct sa_params *p)
{
	bool empty = p->in_lifetime && !p->lifetime;

	p->in_lifetime = false;
	p->lifetime = NULL;
	if (empty)
		return usage_error(sa_usage,
				   "\"lifetime\" needs soft or hard, and LIMIT N");
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

static int check_params(unsigned int use, const struct sa_params *p)
{
	int ret;

	if (use == SA_UPDATE) {
		if (!p->given)
			return usage_error(sa_usage, "nothing to update");
		return check_endpoints(p);
	}
	if (!(p->given & BIT(IPSECIF_SA_A_SPI)))
		return usage_error(sa_usage, "missing \"spi\"");
	ret = check_endpoints(p);
	return ret ? ret : check_crypto(p);
}

/* Parses the arguments after "sa add ID" (@use SA_ADD) or "sa update ID". */
static int parse_params(int argc, char **argv, unsigned int use,
			struct sa_params *p)
{
	const struct sa_keyword *kw;
	int i, taken, ret;

	for (i = 0; i < argc; i += 1 + taken) {
		kw = find_keyword(argv[i]);
		if (!kw)
			return usage_error(sa_usage, "unknown argument \"%s\"",
					   argv[i]);
		if (!(kw->use & use))
			return usage_error(sa_usage,
					   "\"%s\" cannot change on a live SA: add a new SA and rekey",
					   kw->name);
		if (!(kw->use & SA_LIFETIME)) {
			ret = end_lifetime(p);
			if (ret)
				return ret;
		}
		if (argc - i - 1 < kw->nargs)
			return usage_error(sa_usage, "\"%s\" needs %s",
					   kw->name, kw->syntax);
		taken = kw->parse(kw, argc - i - 1, argv + i + 1, p);
		if (taken < 0)
			return EXIT_USAGE;
	}
	ret = end_lifetime(p);
	return ret ? ret : check_params(use, p);
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

/* TYPE alone (0: none) for "encap none", which only "sa update" sends. */
static void put_encap(struct nlmsghdr *nlh, const struct sa_params *p)
{
	struct nlattr *nest = nl_nest_start(nlh, IPSECIF_SA_A_ENCAP);

	mnl_attr_put_u8(nlh, IPSECIF_ENCAP_A_TYPE, p->encap_type);
	if (p->encap_type) {
		mnl_attr_put_u16(nlh, IPSECIF_ENCAP_A_SPORT, p->sport);
		mnl_attr_put_u16(nlh, IPSECIF_ENCAP_A_DPORT, p->dport);
	}
	mnl_attr_nest_end(nlh, nest);
}

/* The given limits; an empty nest, with none, means no limit at all. */
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
	if (p->given & BIT(IPSECIF_SA_A_DSCP))
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_DSCP, p->dscp);
	if (p->given & BIT(IPSECIF_SA_A_TTL))
		mnl_attr_put_u8(nlh, IPSECIF_SA_A_TTL, p->ttl);
	if (p->given & BIT(IPSECIF_SA_A_REPLAY_WINDOW))
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_REPLAY_WINDOW,
				 p->replay_window);
	if (p->given & BIT(IPSECIF_SA_A_SEQ_OUT))
		mnl_attr_put_u64(nlh, IPSECIF_SA_A_SEQ_OUT, p->seq_out);
	if (p->given & BIT(IPSECIF_SA_A_SEQ_IN))
		mnl_attr_put_u64(nlh, IPSECIF_SA_A_SEQ_IN, p->seq_in);
	if (p->given & BIT(IPSECIF_SA_A_ENCAP))
		put_encap(nlh, p);
	for (i = 0; i < SA_LIFETIME_COUNT; i++)
		if (p->given & BIT(lifetime_attrs[i]))
			put_lifetime(nlh, lifetime_attrs[i], &p->lifetimes[i]);
}

/* IPSECIF_A_SA with the id and what "sa add" or "sa update" gave. */
void put_sa(struct nlmsghdr *nlh, const struct sa_params *p)
{
	struct nlattr *nest = nl_nest_start(nlh, IPSECIF_A_SA);

	mnl_attr_put_u32(nlh, IPSECIF_SA_A_ID, p->id);
	if (p->given & BIT(IPSECIF_SA_A_SPI))
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
void put_sa_id(struct nlmsghdr *nlh, uint32_t id)
{
	nl_put_nested_u32(nlh, IPSECIF_A_SA, IPSECIF_SA_A_ID, id);
}

/* Parses "ID [ARG]..." of "sa add" or "sa update". */
int parse_command(int argc, char **argv, unsigned int use,
		  struct sa_params *p)
{
	int ret;

	if (!argc)
		return usage_error(sa_usage, "missing ID");
	ret = parse_id(argv[0], &p->id);
	return ret ? ret : parse_params(argc - 1, argv + 1, use, p);
}

static int sa_add(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct sa_params p = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	ret = parse_command(argc, argv, SA_ADD, &p);
	if (ret)
		return ret;
	/* A new SA has no encapsulation unless it is given one. */
	if (!p.encap_type)
		p.given &= ~BIT(IPSECIF_SA_A_ENCAP);

	nl_set_object("sa %u", p.id);
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

	nl_set_object("sa %u", id);
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

	nl_set_object("sa flush");
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

/* Whether the SA has an encapsulation: a nest without TYPE 0. */
static bool get_encap(const struct nlattr *nest, struct sa_info *info)
{
	const struct nlattr *tb[IPSECIF_ENCAP_A_MAX + 1];

	nl_parse_nested(nest, tb, IPSECIF_ENCAP_A_MAX);
	if (nl_get_u8(tb[IPSECIF_ENCAP_A_TYPE], &info->encap_type))
		info->encap_present |= BIT(IPSECIF_ENCAP_A_TYPE);
	if (nl_get_u16(tb[IPSECIF_ENCAP_A_SPORT], &info->sport))
		info->encap_present |= BIT(IPSECIF_ENCAP_A_SPORT);
	if (nl_get_u16(tb[IPSECIF_ENCAP_A_DPORT], &info->dport))
		info->encap_present |= BIT(IPSECIF_ENCAP_A_DPORT);
	return info->encap_type ||
	       !(info->encap_present & BIT(IPSECIF_ENCAP_A_TYPE));
}

/* Sets the bit of @type in info->present if the attribute was read. */
static void note(struct sa_info *info, unsigned int type, bool read)
{
	if (read)
		info->present |= BIT(type);
}

/* Reads the nest @type of @tb as u64s up to @max, noting it if present. */
static void get_u64s(const struct nlattr **tb, unsigned int type,
		     unsigned int max, struct u64s *nums, struct sa_info *info)
{
	if (!tb[type])
		return;
	note(info, type, true);
	nl_get_u64s(tb[type], max, nums);
}

static void get_nests(const struct nlattr **tb, struct sa_info *info)
{
	size_t i;

	get_alg(tb[IPSECIF_SA_A_AEAD], &info->aead);
	get_alg(tb[IPSECIF_SA_A_ENC], &info->enc);
	get_alg(tb[IPSECIF_SA_A_AUTH], &info->auth);
	if (tb[IPSECIF_SA_A_ENCAP])
		note(info, IPSECIF_SA_A_ENCAP,
		     get_encap(tb[IPSECIF_SA_A_ENCAP], info));
	for (i = 0; i < SA_LIFETIME_COUNT; i++)
		get_u64s(tb, lifetime_attrs[i], IPSECIF_LIFETIME_A_MAX,
			 &info->lifetimes[i], info);
	get_u64s(tb, IPSECIF_SA_A_LIFETIME_CUR, IPSECIF_LIFETIME_A_MAX,
		 &info->current, info);
	get_u64s(tb, IPSECIF_SA_A_STATS, IPSECIF_STATS_A_MAX, &info->stats,
		 info);
}

/* The u8 attributes of an SA, in struct sa_info. */
static void get_u8s(const struct nlattr **sa, struct sa_info *info)
{
	static const struct {
		uint16_t type;
		size_t offset;
	} u8s[] = {
		{ IPSECIF_SA_A_MODE, offsetof(struct sa_info, mode) },
		{ IPSECIF_SA_A_DSCP, offsetof(struct sa_info, dscp) },
		{ IPSECIF_SA_A_TTL, offsetof(struct sa_info, ttl) },
		{ IPSECIF_SA_A_EXPIRED, offsetof(struct sa_info, expired) },
		{ IPSECIF_SA_A_EVENT, offsetof(struct sa_info, event) },
		{ IPSECIF_SA_A_EVENT_LIMIT,
		  offsetof(struct sa_info, event_limit) },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(u8s); i++)
		note(info, u8s[i].type,
		     nl_get_u8(sa[u8s[i].type],
			       (uint8_t *)info + u8s[i].offset));
}

/* Fills @info from a reply carrying IPSECIF_A_SA; fails for anything else. */
int sa_parse(const struct nlmsghdr *nlh, struct sa_info *info)
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
	get_u8s(sa, info);
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
	note(info, IPSECIF_SA_A_SEQ_IN,
	     nl_get_u64(sa[IPSECIF_SA_A_SEQ_IN], &info->seq_in));
	get_nests(sa, info);
	return 0;
}

static int get_flags_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sa_info info;

	if (!sa_parse(nlh, &info))
		*(uint32_t *)data = info.flags;
	return MNL_CB_OK;
}

/*
 * FLAGS in SA_UPDATE replace the SA's flags (all but ESN and parallel, which
 * stay as they are), so the options given change its current flags: those are read
 * first. Returns an exit status.
 */
static int merge_flags(struct sa_params *p)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	uint32_t flags = 0;
	int ret;

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_GET, 0);
	put_sa_id(nlh, p->id);
	ret = ipsecif_talk(nlh, get_flags_cb, &flags);
	if (ret)
		return ret;
	p->flags = (flags & ~p->flags_given) | (p->flags & p->flags_given);
	return EXIT_SUCCESS;
}

/* Changes what may change on a live SA; the rest, its counters too, stays. */
static int sa_update(int argc, char **argv)
{
	char buf[NL_MSG_SIZE];
	struct sa_params p = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	ret = parse_command(argc, argv, SA_UPDATE, &p);
	if (!ret)
		nl_set_object("sa %u", p.id);
	if (!ret && p.given & BIT(IPSECIF_SA_A_FLAGS))
		ret = merge_flags(&p);
	if (ret)
		return ret;

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_UPDATE, 0);
	put_sa(nlh, &p);
	return ipsecif_talk(nlh, NULL, NULL);
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

static void print_algs_text(const struct sa_info *info,
			    const struct sa_layout *layout)
{
	const struct sa_alg_info *auth = &info->auth;

	if (info->aead.name) {
		fputs(layout->sep, stdout);
		print_alg_text("aead", &info->aead);
	}
	if (!info->enc.name && !auth->name)
		return;
	fputs(layout->sep, stdout);
	if (info->enc.name)
		print_alg_text("enc", &info->enc);
	if (auth->name)
		print_alg_text(auth->has_icv_len ? "auth-trunc" : "auth", auth);
}

const char *encap_type_name(uint8_t type)
{
	return name_of(encap_type_names, ARRAY_SIZE(encap_type_names), type);
}

static void print_encap_text(const struct sa_info *info,
			     const struct sa_layout *layout)
{
	if (!(info->present & BIT(IPSECIF_SA_A_ENCAP)))
		return;
	printf("%s encap", layout->sep);
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_TYPE))
		printf(" %s", encap_type_name(info->encap_type));
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_SPORT))
		printf(" sport %u", info->sport);
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_DPORT))
		printf(" dport %u", info->dport);
}

/* The outer header options that are not the defaults, as "sa add" takes them. */
static void print_outer_text(const struct sa_info *info,
			     const struct sa_layout *layout)
{
	uint32_t flags = info->flags;

	if (!(flags & SA_OUTER_FLAGS) && !info->ttl)
		return;
	fputs(layout->sep, stdout);
	if (flags & IPSECIF_SA_F_DONT_ENCAP_DSCP)
		printf(" dscp %u", info->dscp);
	if (flags & IPSECIF_SA_F_DECAP_DSCP)
		fputs(" decap-dscp", stdout);
	if (flags & IPSECIF_SA_F_NO_ECN)
		fputs(" no-ecn", stdout);
	if (flags & SA_DF_FLAGS)
		printf(" df %s", flag_word_of(df_words, ARRAY_SIZE(df_words),
					      flags));
	if (info->ttl)
		printf(" ttl %u", info->ttl);
	if (flags & IPSECIF_SA_F_COPY_FLOWLABEL)
		fputs(" flowlabel copy", stdout);
}

/* " NAME LIMIT N..." with the limits of @nums that are set; whether any is. */
static bool print_limits_text(const char *name, const struct u64s *nums,
			      bool zeros)
{
	bool any = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(limit_names); i++) {
		if (!limit_names[i] || !(nums->present & BIT(i)))
			continue;
		if (!nums->value[i] && !zeros)
			continue;
		if (!any)
			printf(" %s", name);
		printf(" %s %" PRIu64, limit_names[i], nums->value[i]);
		any = true;
	}
	return any;
}

static const char *expired_name(uint8_t expired)
{
	return name_of(expired_names, ARRAY_SIZE(expired_names), expired);
}

static bool has_limits(const struct u64s *nums)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(limit_names); i++)
		if (limit_names[i] && nums->present & BIT(i) && nums->value[i])
			return true;
	return false;
}

/*
 * "lifetime soft LIMIT N... hard LIMIT N... [expired soft|hard]", and with
 * -s "lifetime current bytes N packets N seconds N"
 */
static void print_lifetimes_text(const struct sa_info *info,
				 const struct sa_layout *layout)
{
	bool expired = info->expired != IPSECIF_SA_LIVE;
	size_t i;

	if (expired || has_limits(&info->lifetimes[SA_LIFETIME_SOFT]) ||
	    has_limits(&info->lifetimes[SA_LIFETIME_HARD])) {
		printf("%s lifetime", layout->sep);
		for (i = 0; i < SA_LIFETIME_COUNT; i++)
			print_limits_text(lifetime_names[i],
					  &info->lifetimes[i], false);
		if (expired)
			printf(" expired %s", expired_name(info->expired));
	}
	if (ipsecctl_opts.stats &&
	    info->present & BIT(IPSECIF_SA_A_LIFETIME_CUR)) {
		printf("%s lifetime", layout->sep);
		print_limits_text("current", &info->current, true);
	}
}

static void print_flags_text(uint32_t flags)
{
	if (flags & IPSECIF_SA_F_ESN)
		fputs(" esn", stdout);
	if (flags & IPSECIF_SA_F_PARALLEL)
		fputs(" parallel", stdout);
}

/* HEAD ID spi 0xSPI [mode M] [src A dst A] [esn] [replay-window N] ... */
static void print_head_text(const struct sa_info *info,
			    const struct sa_layout *layout)
{
	char addr[INET6_ADDRSTRLEN];

	printf(layout->pad_spi ? "%s %u spi 0x%08x" : "%s %u spi 0x%x",
	       layout->head, info->id, info->spi);
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
	if (info->present & BIT(IPSECIF_SA_A_SEQ_IN))
		printf(" seq-in %llu", (unsigned long long)info->seq_in);
}

/* The total of the drop counters that @stats has; false if it has none. */
static bool sum_drops(const struct u64s *stats, uint64_t *sum)
{
	bool any = false;
	size_t i;

	*sum = 0;
	for (i = 0; i < ARRAY_SIZE(drop_names); i++) {
		if (drop_names[i] && stats->present & BIT(i)) {
			*sum += stats->value[i];
			any = true;
		}
	}
	return any;
}

static void print_counter_text(const struct u64s *stats, unsigned int type)
{
	if (stats->present & BIT(type))
		printf(" %s %" PRIu64, stats_names[type], stats->value[type]);
}

/* " packets N bytes N drops N lost N": the counters, drops summed up. */
static void print_summary_text(const struct u64s *stats)
{
	uint64_t drops;

	print_counter_text(stats, IPSECIF_STATS_A_PACKETS);
	print_counter_text(stats, IPSECIF_STATS_A_BYTES);
	if (sum_drops(stats, &drops))
		printf(" drops %" PRIu64, drops);
	print_counter_text(stats, IPSECIF_STATS_A_LOST);
}

/*
 * With -s, "stats: packets N bytes N drops N lost N"; with -s -s, also
 * "drops: replay N integrity N ...", the drops by reason.
 */
static void print_stats_text(const struct sa_info *info,
			     const struct sa_layout *layout)
{
	if (!ipsecctl_opts.stats || !(info->present & BIT(IPSECIF_SA_A_STATS)))
		return;
	printf("%s stats:", layout->sep);
	print_summary_text(&info->stats);
	if (ipsecctl_opts.stats < STATS_DETAILS)
		return;
	printf("%s drops:", layout->sep);
	print_u64s_text(drop_names, ARRAY_SIZE(drop_names), &info->stats);
}

static void print_sa_text(const struct sa_info *info,
			  const struct sa_layout *layout)
{
	print_head_text(info, layout);
	print_algs_text(info, layout);
	print_encap_text(info, layout);
	print_outer_text(info, layout);
	print_lifetimes_text(info, layout);
	print_stats_text(info, layout);
	putchar('\n');
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
	if (!(info->present & BIT(IPSECIF_SA_A_ENCAP)))
		return;
	json_object_open(jw, "encap");
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_TYPE))
		json_string(jw, "type", encap_type_name(info->encap_type));
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_SPORT))
		json_uint(jw, "sport", info->sport);
	if (info->encap_present & BIT(IPSECIF_ENCAP_A_DPORT))
		json_uint(jw, "dport", info->dport);
	json_object_close(jw);
}

/* An object @key of bytes, packets and seconds, 0 for those absent. */
static void print_limits_json(struct json_writer *jw, const char *key,
			      const struct u64s *nums)
{
	size_t i;

	json_object_open(jw, key);
	for (i = 0; i < ARRAY_SIZE(limit_names); i++)
		if (limit_names[i])
			json_uint(jw, limit_names[i],
				  nums->present & BIT(i) ? nums->value[i] : 0);
	json_object_close(jw);
}

static void print_lifetimes_json(struct json_writer *jw,
				 const struct sa_info *info)
{
	size_t i;

	json_object_open(jw, "lifetime");
	for (i = 0; i < SA_LIFETIME_COUNT; i++)
		print_limits_json(jw, lifetime_names[i], &info->lifetimes[i]);
	if (info->present & BIT(IPSECIF_SA_A_LIFETIME_CUR))
		print_limits_json(jw, "current", &info->current);
	json_object_close(jw);
	json_string(jw, "expired", expired_name(info->expired));
}

static void print_outer_json(struct json_writer *jw,
			     const struct sa_info *info)
{
	uint32_t flags = info->flags;

	if (flags & IPSECIF_SA_F_DONT_ENCAP_DSCP)
		json_uint(jw, "dscp", info->dscp);
	else
		json_string(jw, "dscp", "copy");
	json_bool(jw, "decap_dscp", flags & IPSECIF_SA_F_DECAP_DSCP);
	json_bool(jw, "ecn", !(flags & IPSECIF_SA_F_NO_ECN));
	json_string(jw, "df", flag_word_of(df_words, ARRAY_SIZE(df_words),
					   flags));
	json_uint(jw, "ttl", info->ttl);
	json_string(jw, "flowlabel",
		    flag_word_of(flowlabel_words, ARRAY_SIZE(flowlabel_words),
				 flags));
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

/* "spi" as a number, as "sa show" has it, or as a "0x" string (monitor). */
static void print_spi_json(struct json_writer *jw, uint32_t spi,
			   bool as_string)
{
	char hex[sizeof("0xffffffff")];

	if (!as_string) {
		json_uint(jw, "spi", spi);
		return;
	}
	snprintf(hex, sizeof(hex), "0x%x", spi);
	json_string(jw, "spi", hex);
}

static void print_head_json(struct json_writer *jw,
			    const struct sa_info *info, bool spi_string)
{
	char addr[INET6_ADDRSTRLEN];

	json_uint(jw, "id", info->id);
	print_spi_json(jw, info->spi, spi_string);
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
	if (info->present & BIT(IPSECIF_SA_A_SEQ_IN))
		json_uint(jw, "seq_in", info->seq_in);
}

/* The members of an SA's object, in "sa show" and in monitor events. */
static void print_sa_members(struct json_writer *jw,
			     const struct sa_info *info, bool spi_string)
{
	print_head_json(jw, info, spi_string);
	print_alg_json(jw, "aead", &info->aead);
	print_alg_json(jw, "enc", &info->enc);
	print_alg_json(jw, "auth", &info->auth);
	print_encap_json(jw, info);
	print_lifetimes_json(jw, info);
	print_outer_json(jw, info);
	if (ipsecctl_opts.stats && info->present & BIT(IPSECIF_SA_A_STATS))
		print_u64s_json(jw, "stats", stats_json_names,
				ARRAY_SIZE(stats_json_names), &info->stats);
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sa_info info;

	if (sa_parse(nlh, &info))
		return MNL_CB_OK;
	if (ipsecctl_opts.json) {
		json_object_open(data, NULL);
		print_sa_members(data, &info, false);
		json_object_close(data);
	} else {
		print_sa_text(&info, &show_layout);
	}
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

	if (argc)
		nl_set_object("sa %u", id);
	else
		nl_set_object("sa show");
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_GET, argc ? 0 : NLM_F_DUMP);
	if (argc)
		put_sa_id(nlh, id);
	return ipsecif_show(nlh, show_cb);
}

/*
 * The counters of the SAs, for "protect show -s -s", which shows those of
 * a protection's SAs with it.
 */
struct sa_counters {
	uint32_t id;
	struct u64s stats;
};

struct sa_counters_list {
	struct sa_counters *items;
	size_t count;
	size_t size;
	bool no_memory;
};

static int counters_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sa_counters_list *list = data;
	struct sa_counters *items;
	struct sa_info info;
	size_t size;

	if (list->no_memory || sa_parse(nlh, &info) ||
	    !(info.present & BIT(IPSECIF_SA_A_STATS)))
		return MNL_CB_OK;
	if (list->count == list->size) {
		size = list->size ? 2 * list->size : 64;
		items = realloc(list->items, size * sizeof(*items));
		if (!items) {
			list->no_memory = true;
			return MNL_CB_OK;
		}
		list->items = items;
		list->size = size;
	}
	list->items[list->count].id = info.id;
	list->items[list->count].stats = info.stats;
	list->count++;
	return MNL_CB_OK;
}

static int compare_counters(const void *a, const void *b)
{
	uint32_t x = ((const struct sa_counters *)a)->id;
	uint32_t y = ((const struct sa_counters *)b)->id;

	return (x > y) - (x < y);
}

/*
 * Reads the counters of every SA into *@list, sorted by id, for
 * sa_counters_find(); the caller frees it. Returns an exit status.
 */
int sa_counters_read(struct sa_counters **list, size_t *count)
{
	struct sa_counters_list l = { 0 };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nl_set_object("sa show");
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_GET, NLM_F_DUMP);
	ret = ipsecif_talk(nlh, counters_cb, &l);
	if (!ret && l.no_memory) {
		fprintf(stderr, "ipsecctl: out of memory\n");
		ret = EXIT_FAILURE;
	}
	if (ret) {
		free(l.items);
		return ret;
	}
	if (l.count)
		qsort(l.items, l.count, sizeof(*l.items), compare_counters);
	*list = l.items;
	*count = l.count;
	return EXIT_SUCCESS;
}

/* The counters of the SA @id, or NULL if it has none (any more). */
const struct u64s *sa_counters_find(const struct sa_counters *list,
				    size_t count, uint32_t id)
{
	const struct sa_counters key = { .id = id }, *found;

	if (!count)
		return NULL;
	found = bsearch(&key, list, count, sizeof(*list), compare_counters);
	return found ? &found->stats : NULL;
}

/* " packets N bytes N drops N lost N", as "sa show -s" shows them. */
void sa_counters_print_text(const struct u64s *stats)
{
	print_summary_text(stats);
}

static void print_counter_json(struct json_writer *jw,
			       const struct u64s *stats, unsigned int type)
{
	if (stats->present & BIT(type))
		json_uint(jw, stats_json_names[type], stats->value[type]);
}

/* The members "packets", "bytes", "drops" (the total) and "lost". */
void sa_counters_print_json(struct json_writer *jw, const struct u64s *stats)
{
	uint64_t drops;

	print_counter_json(jw, stats, IPSECIF_STATS_A_PACKETS);
	print_counter_json(jw, stats, IPSECIF_STATS_A_BYTES);
	if (sum_drops(stats, &drops))
		json_uint(jw, "drops", drops);
	print_counter_json(jw, stats, IPSECIF_STATS_A_LOST);
}

static const char *event_name(uint8_t event)
{
	return name_of(event_names, ARRAY_SIZE(event_names), event);
}

/*
 * SA_ERROR: the drop counter of its kind, if the notification has it; @drops
 * is set then.
 */
static bool event_drops(const struct sa_info *info, uint64_t *drops)
{
	uint16_t counter;

	if (info->event >= ARRAY_SIZE(event_counters))
		return false;
	counter = event_counters[info->event];
	if (!counter || !(info->stats.present & BIT(counter)))
		return false;
	*drops = info->stats.value[counter];
	return true;
}

/* "sa expire ID spi 0xSPI KIND LIMIT", "sa error ID spi 0xSPI KIND [N]" */
static void print_event_text(const struct monitor_event *event,
			     const struct sa_info *info)
{
	uint64_t drops;

	printf("%s %u spi 0x%x %s", event->text, info->id, info->spi,
	       event_name(info->event));
	if (event->cmd == IPSECIF_CMD_SA_EXPIRE)
		printf(" %s", name_of(limit_names, ARRAY_SIZE(limit_names),
				      info->event_limit));
	else if (event_drops(info, &drops))
		printf(" %" PRIu64, drops);
	putchar('\n');
}

static void print_event_json(struct json_writer *jw,
			     const struct sa_info *info, uint8_t cmd)
{
	uint64_t drops;

	json_uint(jw, "id", info->id);
	print_spi_json(jw, info->spi, true);
	json_string(jw, "kind", event_name(info->event));
	if (cmd == IPSECIF_CMD_SA_EXPIRE) {
		json_string(jw, "limit", name_of(limit_names,
						 ARRAY_SIZE(limit_names),
						 info->event_limit));
		return;
	}
	if (event_drops(info, &drops))
		json_uint(jw, "drops", drops);
	if (info->present & BIT(IPSECIF_SA_A_STATS))
		print_u64s_json(jw, "stats", stats_json_names,
				ARRAY_SIZE(stats_json_names), &info->stats);
}

/*
 * Prints an SA notification: SA_NEW, SA_UPDATE and SA_DEL as "sa show"
 * shows the SA, on one line; SA_EXPIRE and SA_ERROR with their event.
 */
int sa_monitor(const struct nlmsghdr *nlh, const struct monitor_event *event,
	       struct json_writer *jw)
{
	bool sa_event = event->cmd == IPSECIF_CMD_SA_EXPIRE ||
			event->cmd == IPSECIF_CMD_SA_ERROR;
	struct sa_layout layout = {
		.head = event->text,
		.sep = "",
	};
	struct sa_info info;

	if (sa_parse(nlh, &info))
		return -1;
	if (!ipsecctl_opts.json) {
		if (sa_event)
			print_event_text(event, &info);
		else
			print_sa_text(&info, &layout);
		return 0;
	}
	json_object_open(jw, NULL);
	json_string(jw, "event", event->json);
	if (sa_event)
		print_event_json(jw, &info, event->cmd);
	else
		print_sa_members(jw, &info, true);
	json_object_close(jw);
	return 0;
}

static const struct command sa_commands[] = {
	{ "add", sa_add },
	{ "update", sa_update },
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
