// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration files, as ipsecif.conf(5) describes them: their reading
 * (logical lines, arguments, one object per line parsed by its object
 * file), the kernel's state read the same way, the checks of a file against
 * itself and the kernel before "apply" changes anything, and the writing of
 * a state in the file's format for "dump". A state is lists of objects;
 * all the memory of a run is kept in one list and freed at once.
 */

#define _GNU_SOURCE	/* vasprintf() */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <linux/ipsecif.h>

#include "config.h"
#include "ipsecctl.h"
#include "utils.h"

/* Everything allocated for states, freed by cfg_free_all(). */
static struct cfg_list arena;

static void out_of_memory(void)
{
	fprintf(stderr, "ipsecctl: out of memory\n");
	exit(EXIT_FAILURE);
}

void cfg_push(struct cfg_list *list, void *item)
{
	void **items;

	if (list->count == list->size) {
		list->size = list->size ? 2 * list->size : 16;
		items = realloc(list->items, list->size * sizeof(*items));
		if (!items)
			out_of_memory();
		list->items = items;
	}
	list->items[list->count++] = item;
}

/* Removes @item from @list, keeping the order of the others. */
void cfg_remove(struct cfg_list *list, const void *item)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		if (list->items[i] != item)
			continue;
		memmove(&list->items[i], &list->items[i + 1],
			(list->count - i - 1) * sizeof(list->items[0]));
		list->count--;
		return;
	}
}

/* Takes @ptr (from malloc()) into the memory that cfg_free_all() frees. */
void cfg_own(void *ptr)
{
	if (ptr)
		cfg_push(&arena, ptr);
}

void *cfg_alloc(size_t size)
{
	void *ptr = calloc(1, size);

	if (!ptr)
		out_of_memory();
	cfg_own(ptr);
	return ptr;
}

void *cfg_copy(const void *obj, size_t size)
{
	return memcpy(cfg_alloc(size), obj, size);
}

static void list_free(struct cfg_list *list)
{
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* The states, whose lists cfg_free_all() frees too. */
static struct cfg_list states;

struct cfg_state *cfg_state_new(void)
{
	struct cfg_state *st = cfg_alloc(sizeof(*st));

	cfg_push(&states, st);
	return st;
}

static void state_free(struct cfg_state *st)
{
	list_free(&st->links);
	list_free(&st->sas);
	list_free(&st->protects);
	list_free(&st->spds);
	list_free(&st->attaches);
	list_free(&st->policies);
	list_free(&st->ifaces);
}

void cfg_free_all(void)
{
	size_t i;

	for (i = 0; i < states.count; i++)
		state_free(states.items[i]);
	list_free(&states);
	for (i = 0; i < arena.count; i++)
		free(arena.items[i]);
	list_free(&arena);
}

/* Lookups */

struct cfg_link *cfg_find_link(const struct cfg_state *st, const char *name)
{
	struct cfg_link *link;
	size_t i;

	cfg_for_each(struct cfg_link, link, &st->links, i)
		if (!strcmp(link->name, name))
			return link;
	return NULL;
}

struct cfg_sa *cfg_find_sa(const struct cfg_state *st, uint32_t id)
{
	struct cfg_sa *sa;
	size_t i;

	cfg_for_each(struct cfg_sa, sa, &st->sas, i)
		if (sa->id == id)
			return sa;
	return NULL;
}

bool cfg_same_peer(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	       (!a->family || !memcmp(a->bytes, b->bytes, ip_addr_len(a)));
}

struct cfg_protect *cfg_find_protect(const struct cfg_state *st,
				     const char *ifname,
				     const struct ip_addr *peer)
{
	struct cfg_protect *pr;
	size_t i;

	cfg_for_each(struct cfg_protect, pr, &st->protects, i)
		if (!strcmp(pr->ifname, ifname) &&
		    cfg_same_peer(&pr->peer, peer))
			return pr;
	return NULL;
}

struct cfg_spd *cfg_find_spd(const struct cfg_state *st, uint32_t id)
{
	struct cfg_spd *spd;
	size_t i;

	cfg_for_each(struct cfg_spd, spd, &st->spds, i)
		if (spd->id == id)
			return spd;
	return NULL;
}

struct cfg_attach *cfg_find_attach(const struct cfg_state *st,
				   const char *ifname)
{
	struct cfg_attach *at;
	size_t i;

	cfg_for_each(struct cfg_attach, at, &st->attaches, i)
		if (!strcmp(at->ifname, ifname))
			return at;
	return NULL;
}

struct cfg_policy *cfg_find_policy(const struct cfg_state *st,
				   const char *key)
{
	struct cfg_policy *pol;
	size_t i;

	cfg_for_each(struct cfg_policy, pol, &st->policies, i)
		if (!strcmp(pol->key, key))
			return pol;
	return NULL;
}

const struct cfg_iface *cfg_find_iface(const struct cfg_state *st,
				       const char *name)
{
	const struct cfg_iface *iface;
	size_t i;

	cfg_for_each(const struct cfg_iface, iface, &st->ifaces, i)
		if (!strcmp(iface->name, name))
			return iface;
	return NULL;
}

bool cfg_protect_uses(const struct cfg_protect *pr, uint32_t sa)
{
	unsigned int i;

	if (pr->has_tx && pr->tx == sa)
		return true;
	for (i = 0; i < pr->rx_count; i++)
		if (pr->rx[i] == sa)
			return true;
	return false;
}

/* The same SAs: TX, and RX as a set. */
bool cfg_protect_same(const struct cfg_protect *a,
		      const struct cfg_protect *b)
{
	unsigned int i, j;

	if (a->has_tx != b->has_tx || (a->has_tx && a->tx != b->tx) ||
	    a->rx_count != b->rx_count)
		return false;
	for (i = 0; i < a->rx_count; i++) {
		for (j = 0; j < b->rx_count && b->rx[j] != a->rx[i]; j++)
			;
		if (j == b->rx_count)
			return false;
	}
	return true;
}

/* Reading files */

/* While checking, messages are kept here, to be written in line order. */
struct cfg_message {
	unsigned int line;
	unsigned int order;
	char *text;
};

static struct cfg_list *messages;

void cfg_error(const struct cfg_state *st, unsigned int line,
	       const char *fmt, ...)
{
	struct cfg_message *msg;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		out_of_memory();
	va_end(ap);
	if (!messages) {
		fprintf(stderr, "%s:%u: %s\n", st->path, line, text);
		free(text);
		return;
	}
	cfg_own(text);
	msg = cfg_alloc(sizeof(*msg));
	msg->line = line;
	msg->order = messages->count;
	msg->text = text;
	cfg_push(messages, msg);
}

static int compare_messages(const void *a, const void *b)
{
	const struct cfg_message *x = *(void *const *)a;
	const struct cfg_message *y = *(void *const *)b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Writes the messages kept, in line order; returns how many there were. */
static unsigned int flush_messages(const struct cfg_state *st)
{
	struct cfg_list *list = messages;
	struct cfg_message *msg;
	unsigned int count;
	size_t i;

	messages = NULL;
	if (list->count)
		qsort(list->items, list->count, sizeof(list->items[0]),
		      compare_messages);
	cfg_for_each(struct cfg_message, msg, list, i)
		fprintf(stderr, "%s:%u: %s\n", st->path, msg->line, msg->text);
	count = list->count;
	free(list->items);
	return count;
}

/*
 * Whether the physical line @line continues on the next: it ends with a
 * backslash (and maybe blanks), which is not in a comment; the backslash
 * and the blanks are removed. *@quote carries an open quote over to the
 * next line.
 */
static bool continues(char *line, char *quote)
{
	bool blank = true;
	size_t len;
	char *c;

	for (c = line; *c; c++) {
		if (*quote) {
			if (*c == *quote)
				*quote = 0;
		} else if (*c == '\'' || *c == '"') {
			*quote = *c;
		} else if (*c == '#' && blank) {
			return false;
		}
		blank = *c == ' ' || *c == '\t' || *c == '\r' || *c == '\n';
	}
	len = strlen(line);
	while (len && strchr(" \t\r\n", line[len - 1]))
		len--;
	if (!len || line[len - 1] != '\\')
		return false;
	line[len - 1] = '\0';
	return true;
}

/*
 * Reads the next logical line of @file into *@buf: physical lines joined
 * where one ends with a backslash, each joint a space. *@lineno counts the
 * physical lines; *@first is the number of the logical line's first.
 * Returns -1 at the end of the file.
 */
static int read_logical(FILE *file, char **buf, size_t *len,
			unsigned int *lineno, unsigned int *first)
{
	char *phys = NULL, *joined, quote = 0;
	size_t size = 0, plen;
	bool more = true;
	ssize_t got;

	*len = 0;
	*first = *lineno + 1;
	while (more && (got = getline(&phys, &size, file)) >= 0) {
		(*lineno)++;
		more = continues(phys, &quote);
		plen = strlen(phys);
		joined = realloc(*buf, *len + plen + 2);
		if (!joined) {
			free(phys);
			out_of_memory();
		}
		*buf = joined;
		memcpy(*buf + *len, phys, plen);
		*len += plen;
		if (more)
			(*buf)[(*len)++] = ' ';
		(*buf)[*len] = '\0';
	}
	free(phys);
	return *lineno >= *first ? 0 : -1;
}

static void add_spd(struct cfg_state *st, int argc, char **argv,
		    unsigned int line, int *ret)
{
	char **devs = calloc(argc + 1, sizeof(*devs));
	struct cfg_attach *at;
	struct cfg_spd *spd;
	unsigned int n, i;
	uint32_t id;

	if (!devs)
		out_of_memory();
	*ret = spd_config_parse(argc, argv, &id, devs, &n);
	if (!*ret) {
		spd = cfg_alloc(sizeof(*spd));
		spd->id = id;
		spd->line = line;
		cfg_push(&st->spds, spd);
		for (i = 0; i < n; i++) {
			at = cfg_alloc(sizeof(*at));
			at->spd = id;
			snprintf(at->ifname, sizeof(at->ifname), "%s", devs[i]);
			at->line = line;
			cfg_push(&st->attaches, at);
		}
	}
	free(devs);
}

/* Parses one object, whose arguments are @argv, into @st; an exit status. */
static int add_object(struct cfg_state *st, int argc, char **argv,
		      unsigned int line, char *msg, size_t msg_len)
{
	const char *object = argv[0];
	struct cfg_protect pr;
	struct cfg_policy pol;
	struct cfg_link link;
	struct cfg_sa sa;
	int ret;

	argc--;
	argv++;
	if (!strcmp(object, "link")) {
		ret = link_config_parse(argc, argv, &link);
		if (!ret) {
			link.line = line;
			cfg_push(&st->links, cfg_copy(&link, sizeof(link)));
		}
	} else if (!strcmp(object, "sa")) {
		ret = sa_config_parse(argc, argv, &sa);
		if (!ret) {
			cfg_own(sa.priv);
			sa.line = line;
			cfg_push(&st->sas, cfg_copy(&sa, sizeof(sa)));
		}
	} else if (!strcmp(object, "protect")) {
		ret = protect_config_parse(argc, argv, &pr);
		if (!ret) {
			pr.line = line;
			cfg_push(&st->protects, cfg_copy(&pr, sizeof(pr)));
		}
	} else if (!strcmp(object, "spd")) {
		add_spd(st, argc, argv, line, &ret);
	} else if (!strcmp(object, "policy")) {
		ret = policy_config_parse(argc, argv, &pol);
		if (!ret) {
			cfg_own(pol.priv);
			cfg_own(pol.key);
			cfg_own(pol.text);
			pol.line = line;
			pol.seq = ++st->policy_seq;
			cfg_push(&st->policies, cfg_copy(&pol, sizeof(pol)));
		}
	} else {
		snprintf(msg, msg_len,
			 "unknown object \"%s\": expected link, sa, protect, spd or policy",
			 object);
		ret = EXIT_USAGE;
	}
	return ret;
}

/* Parses one logical line into @st; returns whether it was wrong. */
static bool parse_line(struct cfg_state *st, char *line, size_t len,
		       unsigned int lineno)
{
	char msg[512] = "";
	char **argv;
	int argc, ret;

	argv = calloc(len / 2 + 2, sizeof(*argv));
	if (!argv)
		out_of_memory();
	argc = split_args(line, argv);
	if (argc < 0) {
		snprintf(msg, sizeof(msg), "unterminated quote");
		ret = EXIT_USAGE;
	} else if (!argc) {
		ret = 0;
	} else {
		usage_error_capture(msg, sizeof(msg));
		ret = add_object(st, argc, argv, lineno, msg, sizeof(msg));
		usage_error_capture(NULL, 0);
	}
	free(argv);
	if (ret)
		cfg_error(st, lineno, "%s", *msg ? msg : "invalid line");
	return ret;
}

/*
 * Reads the file @path ("-": standard input) into @st. Every wrong line is
 * reported, as "FILE:LINE: why"; returns an exit status.
 */
int cfg_read_file(const char *path, struct cfg_state *st)
{
	bool is_stdin = !strcmp(path, "-");
	unsigned int lineno = 0, first, errors = 0;
	FILE *file = is_stdin ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t len;

	st->path = is_stdin ? "<stdin>" : path;
	if (!file) {
		fprintf(stderr, "ipsecctl: cannot open %s: %s\n", path,
			strerror(errno));
		return EXIT_USAGE;
	}
	while (!read_logical(file, &line, &len, &lineno, &first))
		errors += parse_line(st, line, len, first);
	if (ferror(file)) {
		fprintf(stderr, "ipsecctl: %s: read error\n", st->path);
		errors++;
	}
	free(line);
	if (!is_stdin)
		fclose(file);
	return errors ? EXIT_USAGE : EXIT_SUCCESS;
}

/* Reading the kernel */

static void kernel_link(const struct cfg_link *link, bool ipsecif, void *data)
{
	struct cfg_state *st = data;
	struct cfg_iface *iface = cfg_alloc(sizeof(*iface));

	memcpy(iface->name, link->name, sizeof(iface->name));
	iface->ifindex = link->ifindex;
	iface->ipsecif = ipsecif;
	cfg_push(&st->ifaces, iface);
	if (ipsecif)
		cfg_push(&st->links, cfg_copy(link, sizeof(*link)));
}

static void kernel_sa(struct cfg_sa *sa, void *data)
{
	struct cfg_state *st = data;

	cfg_own(sa->priv);
	st->keys_unknown |= sa->keys_unknown;
	cfg_push(&st->sas, cfg_copy(sa, sizeof(*sa)));
}

static void kernel_protect(const struct cfg_protect *pr, void *data)
{
	struct cfg_state *st = data;

	cfg_push(&st->protects, cfg_copy(pr, sizeof(*pr)));
}

static void kernel_spd(uint32_t id, const uint32_t *ifindexes,
		       unsigned int count, void *data)
{
	struct cfg_state *st = data;
	const struct cfg_iface *iface;
	struct cfg_attach *at;
	struct cfg_spd *spd;
	unsigned int i;
	size_t k;

	spd = cfg_alloc(sizeof(*spd));
	spd->id = id;
	cfg_push(&st->spds, spd);
	for (i = 0; i < count; i++) {
		at = cfg_alloc(sizeof(*at));
		at->spd = id;
		snprintf(at->ifname, sizeof(at->ifname), "if%u", ifindexes[i]);
		cfg_for_each(const struct cfg_iface, iface, &st->ifaces, k)
			if (iface->ifindex == (int)ifindexes[i])
				memcpy(at->ifname, iface->name,
				       sizeof(at->ifname));
		cfg_push(&st->attaches, at);
	}
}

static void kernel_policy(struct cfg_policy *pol, void *data)
{
	struct cfg_state *st = data;

	cfg_own(pol->priv);
	cfg_own(pol->key);
	cfg_own(pol->text);
	pol->seq = ++st->policy_seq;
	cfg_push(&st->policies, cfg_copy(pol, sizeof(*pol)));
}

/* Reads the ipsecif state of the netns into @st; an exit status. */
int cfg_read_kernel(struct cfg_state *st)
{
	struct cfg_spd *spd;
	size_t i;
	int ret;

	st->kernel = true;
	st->path = "kernel";
	ret = link_config_read(kernel_link, st);
	if (!ret)
		ret = sa_config_read(kernel_sa, st);
	if (!ret)
		ret = protect_config_read(kernel_protect, st);
	if (!ret)
		ret = spd_config_read(kernel_spd, st);
	cfg_for_each(struct cfg_spd, spd, &st->spds, i)
		if (!ret)
			ret = policy_config_read(spd->id, kernel_policy, st);
	return ret;
}

/* Checks */

static void peer_text(const struct ip_addr *peer, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (peer->family)
		snprintf(buf, len, " peer %s", format_addr(peer, addr, sizeof(addr)));
	else
		buf[0] = '\0';
}

static unsigned int check_links(const struct cfg_state *want,
				const struct cfg_state *cur)
{
	const struct cfg_link *link, *other;
	const struct cfg_iface *iface;
	unsigned int errors = 0;
	size_t i, j;

	cfg_for_each(const struct cfg_link, link, &want->links, i) {
		for (j = 0; j < i; j++) {
			other = want->links.items[j];
			if (!strcmp(other->name, link->name)) {
				cfg_error(want, link->line,
					  "link %s is already on line %u",
					  link->name, other->line);
				errors++;
				break;
			}
		}
		iface = cfg_find_iface(cur, link->name);
		if (iface && !iface->ipsecif) {
			cfg_error(want, link->line,
				  "link %s: %s exists and is not an ipsecif interface",
				  link->name, link->name);
			errors++;
		}
	}
	return errors;
}

static unsigned int check_sas(const struct cfg_state *want)
{
	const struct cfg_sa *sa, *other;
	unsigned int errors = 0;
	size_t i, j;

	cfg_for_each(const struct cfg_sa, sa, &want->sas, i) {
		for (j = 0; j < i; j++) {
			other = want->sas.items[j];
			if (other->id == sa->id) {
				cfg_error(want, sa->line,
					  "sa %u is already on line %u",
					  sa->id, other->line);
				errors++;
			} else if (other->spi == sa->spi) {
				cfg_error(want, sa->line,
					  "sa %u: SPI 0x%x is already sa %u's (line %u)",
					  sa->id, sa->spi, other->id,
					  other->line);
				errors++;
			}
		}
		if (sa->redacted) {
			cfg_error(want, sa->line,
				  "sa %u: key redacted; dump with --keys",
				  sa->id);
			errors++;
		}
	}
	return errors;
}

/* The protection of @want, before @pr, that uses SA @id, or NULL. */
static const struct cfg_protect *earlier_user(const struct cfg_state *want,
					      const struct cfg_protect *pr,
					      uint32_t id)
{
	const struct cfg_protect *other;
	size_t i;

	cfg_for_each(const struct cfg_protect, other, &want->protects, i) {
		if (other == pr)
			return NULL;
		if (cfg_protect_uses(other, id))
			return other;
	}
	return NULL;
}

/* SA @id of the protection @pr (on @link, if in the file). */
static unsigned int check_protect_sa(const struct cfg_state *want,
				     const struct cfg_protect *pr,
				     const struct cfg_link *link, uint32_t id)
{
	const struct cfg_protect *user = earlier_user(want, pr, id);
	const struct cfg_sa *sa = cfg_find_sa(want, id);
	char peer[64];

	peer_text(&pr->peer, peer, sizeof(peer));
	if (!sa) {
		cfg_error(want, pr->line, "protect dev %s%s: no sa %u in the file",
			  pr->ifname, peer, id);
		return 1;
	}
	if (link && !link->local.family && sa->mode != IPSECIF_SA_MODE_TUNNEL) {
		cfg_error(want, pr->line,
			  "protect dev %s%s: sa %u is transport mode, and %s has no local/remote",
			  pr->ifname, peer, id, pr->ifname);
		return 1;
	}
	if (user) {
		peer_text(&user->peer, peer, sizeof(peer));
		cfg_error(want, pr->line,
			  "sa %u is already used by protect dev %s%s (line %u)",
			  id, user->ifname, peer, user->line);
		return 1;
	}
	return 0;
}

static unsigned int check_protect(const struct cfg_state *want,
				  const struct cfg_protect *pr)
{
	const struct cfg_link *link = cfg_find_link(want, pr->ifname);
	const struct cfg_protect *first;
	unsigned int errors = 0, i, j;
	char peer[64];

	peer_text(&pr->peer, peer, sizeof(peer));
	first = cfg_find_protect(want, pr->ifname, &pr->peer);
	if (first != pr) {
		cfg_error(want, pr->line, "protect dev %s%s is already on line %u",
			  pr->ifname, peer, first->line);
		return 1;
	}
	if (!link) {
		cfg_error(want, pr->line,
			  "protect dev %s%s: no \"link %s\" in the file",
			  pr->ifname, peer, pr->ifname);
		errors++;
	} else if (link->mode == IPSECIF_MODE_P2MP && !pr->peer.family) {
		cfg_error(want, pr->line,
			  "protect dev %s: %s is p2mp: a protection needs a peer",
			  pr->ifname, pr->ifname);
		errors++;
	} else if (link->mode == IPSECIF_MODE_P2P && pr->peer.family) {
		cfg_error(want, pr->line,
			  "protect dev %s%s: %s is p2p: a protection has no peer",
			  pr->ifname, peer, pr->ifname);
		errors++;
	}
	if (pr->has_tx)
		errors += check_protect_sa(want, pr, link, pr->tx);
	for (i = 0; i < pr->rx_count; i++) {
		for (j = 0; j < i && pr->rx[j] != pr->rx[i]; j++)
			;
		if (j < i) {
			cfg_error(want, pr->line, "rx %u is listed twice",
				  pr->rx[i]);
			errors++;
		} else if (!pr->has_tx || pr->tx != pr->rx[i]) {
			errors += check_protect_sa(want, pr, link, pr->rx[i]);
		}
	}
	return errors;
}

static unsigned int check_spds(const struct cfg_state *want,
			       const struct cfg_state *cur)
{
	const struct cfg_attach *at, *first;
	const struct cfg_spd *spd, *other;
	unsigned int errors = 0;
	size_t i, j;

	cfg_for_each(const struct cfg_spd, spd, &want->spds, i) {
		for (j = 0; j < i; j++) {
			other = want->spds.items[j];
			if (other->id == spd->id) {
				cfg_error(want, spd->line,
					  "spd %u is already on line %u",
					  spd->id, other->line);
				errors++;
				break;
			}
		}
	}
	cfg_for_each(const struct cfg_attach, at, &want->attaches, i) {
		first = cfg_find_attach(want, at->ifname);
		if (first != at) {
			cfg_error(want, at->line,
				  "dev %s is already attached to spd %u (line %u)",
				  at->ifname, first->spd, first->line);
			errors++;
		} else if (cfg_find_link(want, at->ifname)) {
			continue;
		} else if (cfg_find_link(cur, at->ifname)) {
			cfg_error(want, at->line,
				  "spd %u dev %s: an ipsecif interface that the file does not have (apply deletes it)",
				  at->spd, at->ifname);
			errors++;
		} else if (cur->kernel && !cfg_find_iface(cur, at->ifname)) {
			cfg_error(want, at->line, "spd %u dev %s: no such interface",
				  at->spd, at->ifname);
			errors++;
		}
	}
	return errors;
}

static unsigned int check_policy(const struct cfg_state *want,
				 const struct cfg_policy *pol)
{
	const struct cfg_policy *first = cfg_find_policy(want, pol->key);
	const struct cfg_protect *user;
	const struct cfg_sa *sa;
	char peer[64];

	if (first != pol) {
		cfg_error(want, pol->line,
			  "the same policy (direction, priority, selectors) is on line %u",
			  first->line);
		return 1;
	}
	if (!cfg_find_spd(want, pol->spd)) {
		cfg_error(want, pol->line, "policy: no spd %u in the file",
			  pol->spd);
		return 1;
	}
	if (pol->action == IPSECIF_POLICY_RESOLVE) {
		cfg_error(want, pol->line, "policy: action resolve is not supported");
		return 1;
	}
	if ((pol->action == IPSECIF_POLICY_PROTECT) != pol->has_sa) {
		cfg_error(want, pol->line, pol->has_sa ?
			  "policy: only action protect takes an sa" :
			  "policy: action protect needs an sa");
		return 1;
	}
	if (!pol->has_sa)
		return 0;
	sa = cfg_find_sa(want, pol->sa);
	user = earlier_user(want, NULL, pol->sa);
	if (!sa) {
		cfg_error(want, pol->line, "policy: no sa %u in the file",
			  pol->sa);
		return 1;
	}
	if (sa->encap) {
		cfg_error(want, pol->line,
			  "policy: sa %u is UDP-encapsulated, which policies cannot use",
			  pol->sa);
		return 1;
	}
	if (user) {
		peer_text(&user->peer, peer, sizeof(peer));
		cfg_error(want, pol->line,
			  "policy: sa %u is used by protect dev %s%s (line %u)",
			  pol->sa, user->ifname, peer, user->line);
		return 1;
	}
	return 0;
}

/*
 * What can be known to fail before anything changes: the file against
 * itself (objects twice, references to objects it does not have, redacted
 * keys) and against @cur (interfaces). Returns an exit status.
 */
int cfg_check(const struct cfg_state *want, const struct cfg_state *cur)
{
	struct cfg_list found = { 0 };
	const struct cfg_protect *pr;
	const struct cfg_policy *pol;
	size_t i;

	messages = &found;
	check_links(want, cur);
	check_sas(want);
	check_spds(want, cur);
	cfg_for_each(const struct cfg_protect, pr, &want->protects, i)
		check_protect(want, pr);
	cfg_for_each(const struct cfg_policy, pol, &want->policies, i)
		check_policy(want, pol);
	return flush_messages(want) ? EXIT_USAGE : EXIT_SUCCESS;
}

/* Writing */

static int compare_links(const void *a, const void *b)
{
	const struct cfg_link *x = *(void *const *)a, *y = *(void *const *)b;

	return strcmp(x->name, y->name);
}

static int compare_u32(uint32_t x, uint32_t y)
{
	return x < y ? -1 : x > y;
}

static int compare_sas(const void *a, const void *b)
{
	const struct cfg_sa *x = *(void *const *)a, *y = *(void *const *)b;

	return compare_u32(x->id, y->id);
}

static int compare_protects(const void *a, const void *b)
{
	const struct cfg_protect *x = *(void *const *)a;
	const struct cfg_protect *y = *(void *const *)b;
	int ret = strcmp(x->ifname, y->ifname);

	if (!ret)
		ret = x->peer.family - y->peer.family;
	if (!ret)
		ret = memcmp(x->peer.bytes, y->peer.bytes, sizeof(x->peer.bytes));
	return ret;
}

static int compare_spds(const void *a, const void *b)
{
	const struct cfg_spd *x = *(void *const *)a, *y = *(void *const *)b;

	return compare_u32(x->id, y->id);
}

static int compare_attaches(const void *a, const void *b)
{
	const struct cfg_attach *x = *(void *const *)a;
	const struct cfg_attach *y = *(void *const *)b;

	return strcmp(x->ifname, y->ifname);
}

/* As the kernel matches them: by SPD, inbound first, highest first, oldest. */
static int compare_policies(const void *a, const void *b)
{
	const struct cfg_policy *x = *(void *const *)a;
	const struct cfg_policy *y = *(void *const *)b;
	int ret = compare_u32(x->spd, y->spd);

	if (!ret)
		ret = x->dir - y->dir;
	if (!ret)
		ret = x->priority > y->priority ? -1 : x->priority < y->priority;
	if (!ret)
		ret = compare_u32(x->seq, y->seq);
	return ret;
}

/* A copy of @list's items, sorted. */
static void **sorted(const struct cfg_list *list,
		     int (*compare)(const void *, const void *))
{
	void **items = malloc((list->count + 1) * sizeof(*items));

	if (!items)
		out_of_memory();
	if (list->count)
		memcpy(items, list->items, list->count * sizeof(*items));
	qsort(items, list->count, sizeof(*items), compare);
	return items;
}

static int compare_rx(const void *a, const void *b)
{
	return compare_u32(*(const uint32_t *)a, *(const uint32_t *)b);
}

/*
 * Writes @st in the file's format, each kind of object in a fixed order,
 * in the order "apply" creates them; keys only with @keys.
 */
void cfg_print_state(FILE *out, const struct cfg_state *st, bool keys)
{
	struct cfg_protect pr;
	struct cfg_attach *at;
	struct cfg_spd *spd;
	void **items, **ats;
	size_t i, k;

	items = sorted(&st->links, compare_links);
	for (i = 0; i < st->links.count; i++) {
		link_config_print(out, items[i]);
		fputc('\n', out);
	}
	free(items);
	items = sorted(&st->sas, compare_sas);
	for (i = 0; i < st->sas.count; i++) {
		sa_config_print(out, items[i], keys, " \\\n\t");
		fputc('\n', out);
	}
	free(items);
	items = sorted(&st->protects, compare_protects);
	for (i = 0; i < st->protects.count; i++) {
		pr = *(struct cfg_protect *)items[i];
		qsort(pr.rx, pr.rx_count, sizeof(pr.rx[0]), compare_rx);
		protect_config_print(out, &pr);
		fputc('\n', out);
	}
	free(items);
	items = sorted(&st->spds, compare_spds);
	ats = sorted(&st->attaches, compare_attaches);
	for (i = 0; i < st->spds.count; i++) {
		spd = items[i];
		fprintf(out, "spd %u", spd->id);
		for (k = 0; k < st->attaches.count; k++) {
			at = ats[k];
			if (at->spd != spd->id)
				continue;
			fputs(" dev ", out);
			print_arg(out, at->ifname);
		}
		fputc('\n', out);
	}
	free(ats);
	free(items);
	items = sorted(&st->policies, compare_policies);
	for (i = 0; i < st->policies.count; i++)
		fprintf(out, "policy %s\n",
			((struct cfg_policy *)items[i])->text);
	free(items);
}
