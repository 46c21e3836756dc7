/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What sa.c (the "sa" command, its output and its notifications) and
 * sa_config.c (its configuration files) share, for them alone.
 */
#ifndef IPSECCTL_SA_INT_H
#define IPSECCTL_SA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/ipsecif.h>

#include "utils.h"

struct nlmsghdr;

/* The longest ALG-KEY, in bytes, as "ip xfrm state" allows. */
#define SA_KEY_MAX		512
/* The longest ALG-NAME with its NUL, as the crypto API allows. */
#define SA_ALG_NAME_MAX		128

enum sa_lifetime {
	SA_LIFETIME_SOFT,
	SA_LIFETIME_HARD,
	SA_LIFETIME_COUNT,
};

/* The flags that "df copy|set|clear" decides. */
#define SA_DF_FLAGS	(IPSECIF_SA_F_DF_SET | IPSECIF_SA_F_DF_CLEAR)

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
_Static_assert(IPSECIF_SA_A_MAX < 32, "BIT(enum ipsecif_sa_attr) fits");

/*
 * What "sa add" or "sa update" asks for; only given parameters are sent.
 * Flag options set @flags within @flags_given, the flags they decide; "sa
 * update" keeps the SA's other flags.
 */
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
	uint32_t flags_given;
	uint8_t dscp;
	uint8_t ttl;
	uint32_t replay_window;
	uint64_t seq_out;
	uint64_t seq_in;
	uint8_t encap_type;	/* 0: "encap none" */
	uint16_t sport;
	uint16_t dport;
	struct u64s lifetimes[SA_LIFETIME_COUNT];
	bool in_lifetime;	/* after "lifetime", until another keyword */
	struct u64s *lifetime;	/* that a LIMIT applies to, or NULL */
};

/* Which commands take a keyword; lifetime keywords continue a clause. */
enum sa_keyword_use {
	SA_ADD = BIT(0),
	SA_UPDATE = BIT(1),
	SA_LIFETIME = BIT(2),
};

/* One algorithm of a reply; pointers into the message. */
struct sa_alg_info {
	const char *name;		/* NULL: not reported */
	const struct nlattr *key;	/* NULL: not shown to the caller */
	bool has_icv_len;
	uint32_t icv_len;
};

/* What the kernel reports of an SA, in a reply or a notification. */
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
	uint8_t dscp;
	uint8_t ttl;
	uint32_t replay_window;
	uint64_t seq_out;
	uint64_t seq_in;
	unsigned int encap_present;	/* BIT(enum ipsecif_encap_attr) */
	uint8_t encap_type;
	uint16_t sport;
	uint16_t dport;
	struct u64s lifetimes[SA_LIFETIME_COUNT];
	struct u64s current;		/* what the lifetimes counted */
	uint8_t expired;		/* enum ipsecif_sa_expired */
	uint8_t event;			/* enum ipsecif_sa_event */
	uint8_t event_limit;		/* enum ipsecif_lifetime_attr */
	struct u64s stats;
};

/* A word that decides the flags @mask: sets @set of them, clears the rest. */
struct sa_flag_word {
	const char *name;
	uint32_t mask;
	uint32_t set;
};

/* sa.c: the tables of names and words that sa_config.c also uses */
extern const struct sa_flag_word df_words[3];
extern const char *const lifetime_names[SA_LIFETIME_COUNT];
extern const uint16_t lifetime_attrs[SA_LIFETIME_COUNT];
extern const char *const limit_names[IPSECIF_LIFETIME_A_SECONDS + 1];

/* sa.c: the grammar of "sa add" and "sa update", and the output's words */
void sa_usage(FILE *out);
int parse_command(int argc, char **argv, unsigned int use,
		  struct sa_params *p);
const char *sa_mode_name(uint8_t mode);
const char *encap_type_name(uint8_t type);
const char *flag_word_of(const struct sa_flag_word *words, size_t count,
			 uint32_t flags);

/* sa.c: messages */
void put_sa(struct nlmsghdr *nlh, const struct sa_params *p);
void put_sa_id(struct nlmsghdr *nlh, uint32_t id);
int sa_parse(const struct nlmsghdr *nlh, struct sa_info *info);

#endif /* IPSECCTL_SA_INT_H */
