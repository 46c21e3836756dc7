/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration files (ipsecif.conf(5)): the objects of a file or of the
 * kernel as "apply" compares them and "dump" prints them. config.c reads
 * files and holds states, apply.c plans and makes the changes; each object
 * file (link.c, sa_config.c, protect.c, spd.c, policy.c) parses, reads,
 * prints, compares and sends its own objects, with the grammar of its
 * commands.
 */
#ifndef IPSECCTL_CONFIG_H
#define IPSECCTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/ipsecif.h>

#include "utils.h"

/* IFNAMSIZ, without <net/if.h> or <linux/if.h>, which do not mix. */
#define CFG_IFNAMSIZ	16

/* What "dump" writes for a key without --keys; "apply" refuses it. */
#define CFG_REDACTED	"0x<redacted>"

/* How a comparison of an object of the file with the kernel's came out. */
enum cfg_diff {
	CFG_SAME,	/* nothing to do */
	CFG_CHANGE,	/* changed in place */
	CFG_REPLACE,	/* deleted and created again */
};

/* "link NAME ...": an ipsecif interface. */
struct cfg_link {
	char name[CFG_IFNAMSIZ];
	uint32_t mode;		/* enum ipsecif_mode */
	struct ip_addr local;	/* family 0: none */
	struct ip_addr remote;
	uint32_t table;
	uint32_t fwmark;
	int ifindex;		/* the kernel's; 0 in a file */
	unsigned int line;	/* in the file; 0: the kernel's */
};

/* "sa ID ...": what the object files need; the rest is sa_config.c's. */
struct cfg_sa {
	uint32_t id;
	uint32_t spi;
	uint8_t mode;		/* enum ipsecif_sa_mode */
	bool encap;		/* UDP-encapsulated */
	bool redacted;		/* a key was CFG_REDACTED */
	bool keys_unknown;	/* the kernel did not show the keys */
	unsigned int line;
	void *priv;		/* sa_config.c's, freed with free() */
};

/* "protect dev NAME [peer ADDR] [tx ID] [rx ID...]" */
struct cfg_protect {
	char ifname[CFG_IFNAMSIZ];
	struct ip_addr peer;	/* family 0: p2p */
	bool has_tx;
	uint32_t tx;
	unsigned int rx_count;
	uint32_t rx[IPSECIF_MAX_RX_SA];
	unsigned int line;
};

/* "spd ID [dev NAME]...": an SPD; each "dev NAME" is a struct cfg_attach. */
struct cfg_spd {
	uint32_t id;
	unsigned int line;
};

/* An SPD attached to an interface. */
struct cfg_attach {
	uint32_t spd;
	char ifname[CFG_IFNAMSIZ];
	unsigned int line;
};

/* "policy spd ID ...": what apply needs; the rest is policy.c's. */
struct cfg_policy {
	uint32_t spd;
	uint8_t dir;		/* enum ipsecif_policy_dir */
	uint8_t action;		/* enum ipsecif_policy_action */
	int32_t priority;
	bool has_sa;
	uint32_t sa;
	char *key;		/* "spd ID priority N dir D" and the selectors */
	char *text;		/* the whole policy, as the file has it */
	unsigned int seq;	/* order of creation, for equal priorities */
	unsigned int line;
	void *priv;		/* policy.c's, freed with free() */
};

/* link.c */
int link_config_parse(int argc, char **argv, struct cfg_link *link);
void link_config_print(FILE *out, const struct cfg_link *link);
enum cfg_diff link_config_diff(const struct cfg_link *want,
			       const struct cfg_link *cur);
/* Calls @fn with every interface of the netns, ipsecif or not. */
int link_config_read(void (*fn)(const struct cfg_link *link, bool ipsecif,
				void *data), void *data);
int link_config_add(const struct cfg_link *link);
int link_config_change(int ifindex, const struct cfg_link *want);
int link_config_del(int ifindex);

/* sa_config.c */
int sa_config_parse(int argc, char **argv, struct cfg_sa *sa);
void sa_config_print(FILE *out, const struct cfg_sa *sa, bool keys,
		     const char *sep);
enum cfg_diff sa_config_diff(const struct cfg_sa *want,
			     const struct cfg_sa *cur);
/* @fn owns each SA's priv. */
int sa_config_read(void (*fn)(struct cfg_sa *sa, void *data), void *data);
int sa_config_add(const struct cfg_sa *sa);
int sa_config_update(const struct cfg_sa *want);
int sa_config_del(uint32_t id);

/* protect.c */
int protect_config_parse(int argc, char **argv, struct cfg_protect *pr);
void protect_config_print(FILE *out, const struct cfg_protect *pr);
int protect_config_read(void (*fn)(const struct cfg_protect *pr,
				   void *data), void *data);
int protect_config_set(const struct cfg_protect *pr);
int protect_config_del(const struct cfg_protect *pr);

/* spd.c */
int spd_config_parse(int argc, char **argv, uint32_t *id, char **devs,
		     unsigned int *n_devs);
int spd_config_read(void (*fn)(uint32_t id, const uint32_t *ifindexes,
			       unsigned int count, void *data), void *data);
int spd_config_add(uint32_t id);
int spd_config_del(uint32_t id);
int spd_config_attach(uint32_t id, const char *ifname);
int spd_config_detach(uint32_t id, const char *ifname);

/* policy.c */
int policy_config_parse(int argc, char **argv, struct cfg_policy *pol);
/* @fn owns each policy's key, text and priv. */
int policy_config_read(uint32_t spd, void (*fn)(struct cfg_policy *pol,
						void *data), void *data);
int policy_config_add(const struct cfg_policy *pol);
int policy_config_del(const struct cfg_policy *pol);

/* A list of pointers, in order. */
struct cfg_list {
	void **items;
	size_t count;
	size_t size;
};

/* An interface of the netns, of any kind (kernel states only). */
struct cfg_iface {
	char name[CFG_IFNAMSIZ];
	int ifindex;
	bool ipsecif;
};

/*
 * The objects of a file, or of the kernel (@kernel): lists of struct
 * cfg_link, cfg_sa, ... Everything they point to is allocated with
 * cfg_alloc() and freed together by cfg_free_all().
 */
struct cfg_state {
	struct cfg_list links;
	struct cfg_list sas;
	struct cfg_list protects;
	struct cfg_list spds;
	struct cfg_list attaches;
	struct cfg_list policies;
	struct cfg_list ifaces;		/* the kernel's interfaces */
	bool kernel;
	bool keys_unknown;		/* the kernel did not show keys */
	unsigned int policy_seq;	/* the last struct cfg_policy seq */
	const char *path;		/* of the file, as messages name it */
};

#define cfg_for_each(type, var, list, i)				\
	for ((i) = 0; (i) < (list)->count &&				\
	     ((var) = (type *)(list)->items[(i)], 1); (i)++)

/* config.c: memory, lists */
void *cfg_alloc(size_t size);
void *cfg_copy(const void *obj, size_t size);
void cfg_own(void *ptr);
void cfg_free_all(void);
void cfg_push(struct cfg_list *list, void *item);
void cfg_remove(struct cfg_list *list, const void *item);
struct cfg_state *cfg_state_new(void);

/* config.c: lookups; NULL if there is none */
struct cfg_link *cfg_find_link(const struct cfg_state *st, const char *name);
struct cfg_sa *cfg_find_sa(const struct cfg_state *st, uint32_t id);
struct cfg_protect *cfg_find_protect(const struct cfg_state *st,
				     const char *ifname,
				     const struct ip_addr *peer);
struct cfg_spd *cfg_find_spd(const struct cfg_state *st, uint32_t id);
struct cfg_attach *cfg_find_attach(const struct cfg_state *st,
				   const char *ifname);
struct cfg_policy *cfg_find_policy(const struct cfg_state *st,
				   const char *key);
const struct cfg_iface *cfg_find_iface(const struct cfg_state *st,
				       const char *name);
bool cfg_protect_uses(const struct cfg_protect *pr, uint32_t sa);
bool cfg_protect_same(const struct cfg_protect *a,
		      const struct cfg_protect *b);
bool cfg_same_peer(const struct ip_addr *a, const struct ip_addr *b);

/* config.c: reading, checking and writing states */
int cfg_read_file(const char *path, struct cfg_state *st);
int cfg_read_kernel(struct cfg_state *st);
int cfg_check(const struct cfg_state *want, const struct cfg_state *cur);
void cfg_error(const struct cfg_state *st, unsigned int line,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cfg_print_state(FILE *out, const struct cfg_state *st, bool keys);

#endif /* IPSECCTL_CONFIG_H */
