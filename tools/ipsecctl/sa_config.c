// SPDX-License-Identifier: GPL-2.0
/*
 * The sa object in configuration files (config.c, apply.c): "sa ID spi SPI
 * ...", the arguments of "sa add" (sa.c). An SA of a file and one of the
 * kernel are compared by the values they have, defaults included; what "sa
 * update" may change is changed in place, anything else makes it another SA.
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ipsecif.h>

#include "config.h"
#include "ipsecctl.h"
#include "nl.h"
#include "sa_int.h"
#include "utils.h"

/* The kernel's replay window when none is given (VPP's). */
#define SA_DEFAULT_REPLAY_WINDOW	64
/* The flags that are fixed when an SA is added. */
#define SA_FIXED_FLAGS	(IPSECIF_SA_F_ESN | IPSECIF_SA_F_PARALLEL)

enum sa_alg_kind {
	SA_ALG_AEAD,
	SA_ALG_ENC,
	SA_ALG_AUTH,
	SA_ALG_COUNT,
};

/* struct cfg_sa's priv: the SA as "sa add" takes it, owning its names. */
struct sa_config {
	struct sa_params p;
	char names[SA_ALG_COUNT][SA_ALG_NAME_MAX];
};

/* Linux xfrm's truncation of "auth" without a length, as the kernel's. */
static const struct {
	const char *name;
	uint32_t bits;
} auth_default_bits[] = {
	{ "hmac(md5)", 96 },
	{ "hmac(sha1)", 96 },
	{ "hmac(sha256)", 96 },
	{ "hmac(sha384)", 192 },
	{ "hmac(sha512)", 256 },
};

static struct sa_alg *config_alg(struct sa_params *p, enum sa_alg_kind kind)
{
	return kind == SA_ALG_AEAD ? &p->aead :
	       kind == SA_ALG_ENC ? &p->enc : &p->auth;
}

static const struct sa_alg *config_alg_const(const struct sa_params *p,
					     enum sa_alg_kind kind)
{
	return config_alg((struct sa_params *)p, kind);
}

static bool given(const struct sa_params *p, unsigned int attr)
{
	return p->given & BIT(attr);
}

static uint8_t config_mode(const struct sa_params *p)
{
	return given(p, IPSECIF_SA_A_MODE) ? p->mode : IPSECIF_SA_MODE_TUNNEL;
}

static uint32_t config_window(const struct sa_params *p)
{
	return given(p, IPSECIF_SA_A_REPLAY_WINDOW) ? p->replay_window :
	       SA_DEFAULT_REPLAY_WINDOW;
}

static uint32_t config_flags(const struct sa_params *p)
{
	return given(p, IPSECIF_SA_A_FLAGS) ? p->flags : 0;
}

/* The outer DSCP matters only with DONT_ENCAP_DSCP ("dscp N"). */
static uint8_t config_dscp(const struct sa_params *p)
{
	if (!(config_flags(p) & IPSECIF_SA_F_DONT_ENCAP_DSCP))
		return 0;
	return given(p, IPSECIF_SA_A_DSCP) ? p->dscp : 0;
}

static uint8_t config_ttl(const struct sa_params *p)
{
	return given(p, IPSECIF_SA_A_TTL) ? p->ttl : 0;
}

static bool config_encap(const struct sa_params *p)
{
	return given(p, IPSECIF_SA_A_ENCAP) && p->encap_type;
}

/* A limit; 0 is none. */
static uint64_t config_limit(const struct sa_params *p, size_t lifetime,
			     size_t limit)
{
	const struct u64s *nums = &p->lifetimes[lifetime];

	if (!given(p, lifetime_attrs[lifetime]) || !(nums->present & BIT(limit)))
		return 0;
	return nums->value[limit];
}

/* The ICV length in bits, the kernel's default for "auth"; 0: none. */
static uint32_t config_icv(const struct sa_alg *alg, enum sa_alg_kind kind)
{
	size_t i;

	if (alg->has_icv_len)
		return alg->icv_len;
	if (kind != SA_ALG_AUTH)
		return 0;
	for (i = 0; i < ARRAY_SIZE(auth_default_bits); i++)
		if (!strcmp(alg->name, auth_default_bits[i].name))
			return auth_default_bits[i].bits;
	return 0;
}

/* Points the algorithms' names at the copies that @c owns. */
static void config_keep_names(struct sa_config *c)
{
	struct sa_alg *alg;
	size_t i;

	for (i = 0; i < SA_ALG_COUNT; i++) {
		alg = config_alg(&c->p, i);
		if (!alg->name)
			continue;
		snprintf(c->names[i], sizeof(c->names[i]), "%s", alg->name);
		alg->name = c->names[i];
	}
}

static void config_fill(struct cfg_sa *sa, struct sa_config *c)
{
	sa->id = c->p.id;
	sa->spi = c->p.spi;
	sa->mode = config_mode(&c->p);
	sa->encap = config_encap(&c->p);
	sa->priv = c;
}

/* A key written as CFG_REDACTED is read as the empty key, and noted. */
int sa_config_parse(int argc, char **argv, struct cfg_sa *sa)
{
	struct sa_config *c = calloc(1, sizeof(*c));
	int i, ret;

	if (!c)
		return usage_error(sa_usage, "out of memory");
	memset(sa, 0, sizeof(*sa));
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], CFG_REDACTED)) {
			argv[i] = (char *)"0x";
			sa->redacted = true;
		}
	}
	ret = parse_command(argc, argv, SA_ADD, &c->p);
	if (ret) {
		free(c);
		return ret;
	}
	/* As "sa add": a new SA has no encapsulation unless given one. */
	if (!c->p.encap_type)
		c->p.given &= ~BIT(IPSECIF_SA_A_ENCAP);
	config_keep_names(c);
	config_fill(sa, c);
	return 0;
}

/* How keys are written. */
enum config_keys {
	CONFIG_KEYS_SHOWN,	/* in hex */
	CONFIG_KEYS_HIDDEN,	/* CFG_REDACTED, but the empty key */
	CONFIG_KEYS_UNKNOWN,	/* CFG_REDACTED: not known, even if empty */
};

static void config_print_alg(FILE *out, const char *keyword,
			     const struct sa_alg *alg, uint32_t icv,
			     enum config_keys keys)
{
	size_t i;

	fprintf(out, "%s ", keyword);
	print_arg(out, alg->name);
	if (keys == CONFIG_KEYS_UNKNOWN ||
	    (keys == CONFIG_KEYS_HIDDEN && alg->key_len)) {
		fputs(" " CFG_REDACTED, out);
	} else if (!alg->key_len) {
		fputs(" ''", out);
	} else {
		fputs(" 0x", out);
		for (i = 0; i < alg->key_len; i++)
			fprintf(out, "%02x", alg->key[i]);
	}
	if (icv)
		fprintf(out, " %u", icv);
}

static void config_print_crypto(FILE *out, const struct sa_params *p,
				enum config_keys keys)
{
	const struct sa_alg *alg;
	uint32_t icv;

	if (p->aead.name) {
		config_print_alg(out, "aead", &p->aead,
				 config_icv(&p->aead, SA_ALG_AEAD), keys);
		return;
	}
	if (p->enc.name)
		config_print_alg(out, "enc", &p->enc, 0, keys);
	alg = &p->auth;
	if (!alg->name)
		return;
	if (p->enc.name)
		fputc(' ', out);
	icv = config_icv(alg, SA_ALG_AUTH);
	config_print_alg(out, icv ? "auth-trunc" : "auth", alg, icv, keys);
}

/* Writes @word after @sep the first time, after a space afterwards. */
static void config_word(FILE *out, const char **sep, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void config_word(FILE *out, const char **sep, const char *fmt, ...)
{
	va_list ap;

	fputs(*sep, out);
	*sep = " ";
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

/* "dscp N decap-dscp no-ecn df set|clear ttl N flowlabel copy" after @sep */
static void config_print_outer(FILE *out, const struct sa_params *p,
			       const char *sep)
{
	uint32_t flags = config_flags(p);
	uint8_t ttl = config_ttl(p);

	if (flags & IPSECIF_SA_F_DONT_ENCAP_DSCP)
		config_word(out, &sep, "dscp %u", config_dscp(p));
	if (flags & IPSECIF_SA_F_DECAP_DSCP)
		config_word(out, &sep, "decap-dscp");
	if (flags & IPSECIF_SA_F_NO_ECN)
		config_word(out, &sep, "no-ecn");
	if (flags & SA_DF_FLAGS)
		config_word(out, &sep, "df %s",
			    flag_word_of(df_words, ARRAY_SIZE(df_words), flags));
	if (ttl)
		config_word(out, &sep, "ttl %u", ttl);
	if (flags & IPSECIF_SA_F_COPY_FLOWLABEL)
		config_word(out, &sep, "flowlabel copy");
}

static void config_print_lifetimes(FILE *out, const struct sa_params *p,
				   const char *sep)
{
	bool any = false;
	uint64_t value;
	size_t i, k;

	for (i = 0; i < SA_LIFETIME_COUNT; i++) {
		bool named = false;

		for (k = 0; k < ARRAY_SIZE(limit_names); k++) {
			value = limit_names[k] ? config_limit(p, i, k) : 0;
			if (!value)
				continue;
			if (!any)
				fprintf(out, "%slifetime", sep);
			if (!named)
				fprintf(out, " %s", lifetime_names[i]);
			fprintf(out, " %s %" PRIu64, limit_names[k], value);
			any = named = true;
		}
	}
}

/*
 * The SA as a line of a file: the head, then the crypto, the encapsulation,
 * the outer header options and the lifetimes, each after @sep (" ", or a
 * continuation). Keys are CFG_REDACTED unless @keys (and known).
 */
void sa_config_print(FILE *out, const struct cfg_sa *sa, bool keys,
		     const char *sep)
{
	const struct sa_config *c = sa->priv;
	const struct sa_params *p = &c->p;
	uint32_t flags = config_flags(p);
	char addr[INET6_ADDRSTRLEN];

	fprintf(out, "sa %u spi 0x%08x mode %s", p->id, p->spi,
		sa_mode_name(config_mode(p)));
	if (given(p, IPSECIF_SA_A_SRC)) {
		fprintf(out, " src %s", format_addr(&p->src, addr, sizeof(addr)));
		fprintf(out, " dst %s", format_addr(&p->dst, addr, sizeof(addr)));
	}
	if (flags & IPSECIF_SA_F_ESN)
		fputs(" esn", out);
	if (flags & IPSECIF_SA_F_PARALLEL)
		fputs(" parallel", out);
	fprintf(out, " replay-window %u%s", config_window(p), sep);
	config_print_crypto(out, p, sa->keys_unknown || sa->redacted ?
				    CONFIG_KEYS_UNKNOWN : keys ?
				    CONFIG_KEYS_SHOWN : CONFIG_KEYS_HIDDEN);
	if (config_encap(p))
		fprintf(out, "%sencap %s sport %u dport %u", sep,
			encap_type_name(p->encap_type), p->sport, p->dport);
	config_print_outer(out, p, sep);
	config_print_lifetimes(out, p, sep);
}

static bool same_addr(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	       (!a->family || !memcmp(a->bytes, b->bytes, ip_addr_len(a)));
}

static bool same_algs(const struct sa_params *a, const struct sa_params *b)
{
	const struct sa_alg *x, *y;
	size_t i;

	for (i = 0; i < SA_ALG_COUNT; i++) {
		x = config_alg_const(a, i);
		y = config_alg_const(b, i);
		if (!x->name != !y->name)
			return false;
		if (!x->name)
			continue;
		if (strcmp(x->name, y->name) || x->key_len != y->key_len ||
		    memcmp(x->key, y->key, x->key_len) ||
		    config_icv(x, i) != config_icv(y, i))
			return false;
	}
	return true;
}

static bool same_path(const struct sa_params *a, const struct sa_params *b)
{
	size_t i, k;

	if (given(a, IPSECIF_SA_A_SRC) != given(b, IPSECIF_SA_A_SRC) ||
	    (given(a, IPSECIF_SA_A_SRC) &&
	     (!same_addr(&a->src, &b->src) || !same_addr(&a->dst, &b->dst))))
		return false;
	if (config_encap(a) != config_encap(b) ||
	    (config_encap(a) && (a->encap_type != b->encap_type ||
				 a->sport != b->sport || a->dport != b->dport)))
		return false;
	for (i = 0; i < SA_LIFETIME_COUNT; i++)
		for (k = 0; k < ARRAY_SIZE(limit_names); k++)
			if (limit_names[k] &&
			    config_limit(a, i, k) != config_limit(b, i, k))
				return false;
	return config_flags(a) == config_flags(b) &&
	       config_dscp(a) == config_dscp(b) && config_ttl(a) == config_ttl(b);
}

/*
 * What "sa update" cannot change makes another SA: the SPI, the mode, the
 * algorithms and keys (unknown keys differ), ESN, parallel and the replay
 * window. The sequence numbers of a file only matter to a new SA.
 */
enum cfg_diff sa_config_diff(const struct cfg_sa *want,
			     const struct cfg_sa *cur)
{
	const struct sa_params *a = &((const struct sa_config *)want->priv)->p;
	const struct sa_params *b = &((const struct sa_config *)cur->priv)->p;

	if (want->keys_unknown || want->redacted || cur->keys_unknown ||
	    cur->redacted || a->spi != b->spi ||
	    config_mode(a) != config_mode(b) ||
	    config_window(a) != config_window(b) ||
	    (config_flags(a) ^ config_flags(b)) & SA_FIXED_FLAGS ||
	    !same_algs(a, b))
		return CFG_REPLACE;
	return same_path(a, b) ? CFG_SAME : CFG_CHANGE;
}

struct sa_config_walk {
	void (*fn)(struct cfg_sa *sa, void *data);
	void *data;
	int error;
};

/* Copies an algorithm of a reply; false if its key was not shown. */
static bool config_alg_of(const struct sa_alg_info *info, struct sa_alg *alg)
{
	size_t len;

	alg->name = info->name;
	alg->has_icv_len = info->has_icv_len;
	alg->icv_len = info->icv_len;
	if (!info->key)
		return false;
	len = mnl_attr_get_payload_len(info->key);
	if (len > sizeof(alg->key))
		return false;
	memcpy(alg->key, mnl_attr_get_payload(info->key), len);
	alg->key_len = len;
	return true;
}

/* The SA of a reply as "sa add" would add it. */
static void config_of_info(const struct sa_info *info, struct sa_config *c,
			   struct cfg_sa *sa)
{
	static const unsigned int copied = BIT(IPSECIF_SA_A_MODE) |
		BIT(IPSECIF_SA_A_SRC) | BIT(IPSECIF_SA_A_DST) |
		BIT(IPSECIF_SA_A_FLAGS) | BIT(IPSECIF_SA_A_DSCP) |
		BIT(IPSECIF_SA_A_TTL) | BIT(IPSECIF_SA_A_REPLAY_WINDOW) |
		BIT(IPSECIF_SA_A_LIFETIME_SOFT) | BIT(IPSECIF_SA_A_LIFETIME_HARD);
	struct sa_params *p = &c->p;
	const struct sa_alg_info *algs[SA_ALG_COUNT] = {
		&info->aead, &info->enc, &info->auth,
	};
	size_t i;

	memset(sa, 0, sizeof(*sa));
	p->id = info->id;
	p->spi = info->spi;
	p->given = BIT(IPSECIF_SA_A_SPI) | (info->present & copied);
	p->mode = info->mode;
	p->src = info->src;
	p->dst = info->dst;
	for (i = 0; i < SA_ALG_COUNT; i++)
		if (algs[i]->name && !config_alg_of(algs[i], config_alg(p, i)))
			sa->keys_unknown = true;
	p->flags = info->flags;
	p->dscp = info->dscp;
	p->ttl = info->ttl;
	p->replay_window = info->replay_window;
	if (info->present & BIT(IPSECIF_SA_A_ENCAP) && info->encap_type) {
		p->given |= BIT(IPSECIF_SA_A_ENCAP);
		p->encap_type = info->encap_type;
		p->sport = info->sport;
		p->dport = info->dport;
	}
	for (i = 0; i < SA_LIFETIME_COUNT; i++)
		p->lifetimes[i] = info->lifetimes[i];
	config_keep_names(c);
	config_fill(sa, c);
}

static int config_read_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sa_config_walk *walk = data;
	struct sa_config *c;
	struct sa_info info;
	struct cfg_sa sa;

	if (walk->error || sa_parse(nlh, &info))
		return MNL_CB_OK;
	c = calloc(1, sizeof(*c));
	if (!c) {
		walk->error = EXIT_FAILURE;
		return MNL_CB_OK;
	}
	config_of_info(&info, c, &sa);
	walk->fn(&sa, walk->data);
	return MNL_CB_OK;
}

int sa_config_read(void (*fn)(struct cfg_sa *sa, void *data), void *data)
{
	struct sa_config_walk walk = { fn, data, 0 };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nl_set_object("sa show");
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_GET, NLM_F_DUMP);
	ret = ipsecif_talk(nlh, config_read_cb, &walk);
	if (!ret && walk.error)
		fprintf(stderr, "ipsecctl: out of memory\n");
	return ret ? ret : walk.error;
}

int sa_config_add(const struct cfg_sa *sa)
{
	const struct sa_config *c = sa->priv;
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_NEW, 0);
	put_sa(nlh, &c->p);
	return ipsecif_talk(nlh, NULL, NULL);
}

/* SA_UPDATE with everything that may change, as @want has it. */
int sa_config_update(const struct cfg_sa *want)
{
	const struct sa_params *w = &((const struct sa_config *)want->priv)->p;
	struct sa_params p = { 0 };
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	size_t i;

	p.id = w->id;
	p.given = BIT(IPSECIF_SA_A_ENCAP) | BIT(IPSECIF_SA_A_FLAGS) |
		  BIT(IPSECIF_SA_A_DSCP) | BIT(IPSECIF_SA_A_TTL) |
		  BIT(IPSECIF_SA_A_LIFETIME_SOFT) |
		  BIT(IPSECIF_SA_A_LIFETIME_HARD);
	if (given(w, IPSECIF_SA_A_SRC)) {
		p.given |= BIT(IPSECIF_SA_A_SRC) | BIT(IPSECIF_SA_A_DST);
		p.src = w->src;
		p.dst = w->dst;
	}
	if (config_encap(w)) {
		p.encap_type = w->encap_type;
		p.sport = w->sport;
		p.dport = w->dport;
	}
	p.flags = config_flags(w);
	p.dscp = config_dscp(w);
	p.ttl = config_ttl(w);
	for (i = 0; i < SA_LIFETIME_COUNT; i++)
		if (given(w, lifetime_attrs[i]))
			p.lifetimes[i] = w->lifetimes[i];

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_UPDATE, 0);
	put_sa(nlh, &p);
	return ipsecif_talk(nlh, NULL, NULL);
}

int sa_config_del(uint32_t id)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_DEL, 0);
	put_sa_id(nlh, id);
	return ipsecif_talk(nlh, NULL, NULL);
}
