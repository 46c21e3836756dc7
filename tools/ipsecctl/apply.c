// SPDX-License-Identifier: GPL-2.0
/*
 * "ipsecctl apply FILE": makes the ipsecif state of the netns what FILE
 * describes with the fewest changes, in an order that never leaves traffic
 * without an SA that the file keeps; "ipsecctl dump": the state in FILE's
 * format. The plan is made on the states in memory (config.c): the
 * kernel's is changed step by step as the requests will change it, so each
 * step is decided on what the kernel will have then. See ipsecif.conf(5).
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ipsecif.h>

#include "config.h"
#include "ipsecctl.h"
#include "nl.h"
#include "utils.h"

enum cfg_kind {
	KIND_LINK,
	KIND_SA,
	KIND_PROTECT,
	KIND_SPD,
	KIND_ATTACH,
	KIND_POLICY,
};

/* One change: '+' adds, '~' changes in place, '-' deletes. */
struct action {
	char op;
	enum cfg_kind kind;
	const void *obj;	/* as it will be; as it was for '-' */
	int ifindex;		/* a link's, for '~' and '-' */
	unsigned int line;	/* of the file, 0 for none */
};

struct plan {
	struct cfg_state *want;	/* the file */
	struct cfg_state *cur;	/* the kernel, as the plan goes */
	struct cfg_list actions;
	unsigned int errors;
};

struct apply_options {
	bool dry_run;
	bool verbose;
	bool remove;
	bool keys;
	const char *state;	/* the current state from a file (tests) */
	const char *file;
};

static void apply_usage(FILE *out)
{
	fputs("Usage: ipsecctl apply [--dry-run] [--verbose] [--remove] FILE\n"
	      "       ipsecctl dump [--keys]\n"
	      "       ipsecctl apply help\n"
	      "where  FILE := an ipsecif.conf(5) file, or - for standard input\n",
	      out);
}

static void emit(struct plan *pl, char op, enum cfg_kind kind, const void *obj,
		 unsigned int line, int ifindex)
{
	struct action *a = cfg_alloc(sizeof(*a));

	a->op = op;
	a->kind = kind;
	a->obj = obj;
	a->line = line;
	a->ifindex = ifindex;
	cfg_push(&pl->actions, a);
}

static void replace(struct cfg_list *list, const void *old, void *new)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (list->items[i] == old)
			list->items[i] = new;
}

/* The line of the file's protection of that interface and peer, or 0. */
static unsigned int protect_line(const struct plan *pl,
				 const struct cfg_protect *pr)
{
	const struct cfg_protect *want;

	want = cfg_find_protect(pl->want, pr->ifname, &pr->peer);
	return want ? want->line : 0;
}

static void delete_protect(struct plan *pl, struct cfg_protect *pr)
{
	emit(pl, '-', KIND_PROTECT, pr, protect_line(pl, pr), 0);
	cfg_remove(&pl->cur->protects, pr);
}

static void delete_policy(struct plan *pl, struct cfg_policy *pol)
{
	const struct cfg_policy *want = cfg_find_policy(pl->want, pol->key);

	emit(pl, '-', KIND_POLICY, pol, want ? want->line : 0, 0);
	cfg_remove(&pl->cur->policies, pol);
}

/* @pr without the SAs for which @drop() is true. */
static struct cfg_protect *without(const struct cfg_protect *pr,
				   bool (*drop)(const struct plan *pl,
						const struct cfg_protect *pr,
						uint32_t sa),
				   const struct plan *pl)
{
	struct cfg_protect *np = cfg_copy(pr, sizeof(*pr));
	unsigned int i;

	if (np->has_tx && drop(pl, pr, np->tx))
		np->has_tx = false;
	np->rx_count = 0;
	for (i = 0; i < pr->rx_count; i++)
		if (!drop(pl, pr, pr->rx[i]))
			np->rx[np->rx_count++] = pr->rx[i];
	return np;
}

/* Changes @pr, a protection of the kernel, to @np for a moment. */
static void shrink_protect(struct plan *pl, struct cfg_protect *pr,
			   struct cfg_protect *np)
{
	np->line = protect_line(pl, pr);
	emit(pl, '~', KIND_PROTECT, np, np->line, 0);
	replace(&pl->cur->protects, pr, np);
}

static uint32_t released;

static bool is_released(const struct plan *pl, const struct cfg_protect *pr,
			uint32_t sa)
{
	(void)pl;
	(void)pr;
	return sa == released;
}

/*
 * Frees SA @id of its users, as the kernel has them now: protections go on
 * without it, policies that use it are deleted (the file's come back later).
 */
static void release_sa(struct plan *pl, uint32_t id)
{
	struct cfg_protect *pr;
	struct cfg_policy *pol;
	size_t i;

	released = id;
	cfg_for_each(struct cfg_protect, pr, &pl->cur->protects, i)
		if (cfg_protect_uses(pr, id))
			shrink_protect(pl, pr, without(pr, is_released, pl));
	for (i = 0; i < pl->cur->policies.count; ) {
		pol = pl->cur->policies.items[i];
		if (pol->has_sa && pol->sa == id) {
			delete_policy(pl, pol);
			continue;
		}
		i++;
	}
}

static void delete_sa(struct plan *pl, struct cfg_sa *sa)
{
	const struct cfg_sa *want = cfg_find_sa(pl->want, sa->id);

	release_sa(pl, sa->id);
	emit(pl, '-', KIND_SA, sa, want ? want->line : 0, 0);
	cfg_remove(&pl->cur->sas, sa);
}

/*
 * 1. SAs. One of the file whose SPI, mode, algorithms, keys, ESN, parallel
 * or replay window differ from the kernel's SA of that id is another SA:
 * the old one goes first (its users go on without it for a moment). Then
 * the new SAs are added (after any SA of the kernel with the same SPI went)
 * and the changed ones updated in place.
 */
static void plan_sas(struct plan *pl)
{
	struct cfg_sa *want, *cur;
	size_t i, k;

	cfg_for_each(struct cfg_sa, want, &pl->want->sas, i) {
		cur = cfg_find_sa(pl->cur, want->id);
		if (cur && sa_config_diff(want, cur) == CFG_REPLACE)
			delete_sa(pl, cur);
	}
	cfg_for_each(struct cfg_sa, want, &pl->want->sas, i) {
		cur = cfg_find_sa(pl->cur, want->id);
		if (cur) {
			if (sa_config_diff(want, cur) == CFG_CHANGE) {
				emit(pl, '~', KIND_SA, want, want->line, 0);
				replace(&pl->cur->sas, cur,
					cfg_copy(want, sizeof(*want)));
			}
			continue;
		}
		for (k = 0; k < pl->cur->sas.count; ) {
			cur = pl->cur->sas.items[k];
			if (cur->spi == want->spi) {
				delete_sa(pl, cur);
				continue;
			}
			k++;
		}
		emit(pl, '+', KIND_SA, want, want->line, 0);
		cfg_push(&pl->cur->sas, cfg_copy(want, sizeof(*want)));
	}
}

/* An interface goes: its protections and SPD with it. */
static void drop_link(struct plan *pl, struct cfg_link *link)
{
	struct cfg_protect *pr;
	struct cfg_attach *at;
	size_t i;

	for (i = 0; i < pl->cur->protects.count; ) {
		pr = pl->cur->protects.items[i];
		if (!strcmp(pr->ifname, link->name)) {
			cfg_remove(&pl->cur->protects, pr);
			continue;
		}
		i++;
	}
	at = cfg_find_attach(pl->cur, link->name);
	if (at)
		cfg_remove(&pl->cur->attaches, at);
	cfg_remove(&pl->cur->links, link);
}

/*
 * 2. Interfaces: new ones are created, changed ones changed; a new mode, or
 * no more local/remote, creates the interface again.
 */
static void plan_links(struct plan *pl)
{
	struct cfg_link *want, *cur, *copy;
	size_t i;

	cfg_for_each(struct cfg_link, want, &pl->want->links, i) {
		cur = cfg_find_link(pl->cur, want->name);
		copy = cfg_copy(want, sizeof(*want));
		switch (cur ? link_config_diff(want, cur) : CFG_REPLACE) {
		case CFG_SAME:
			continue;
		case CFG_CHANGE:
			emit(pl, '~', KIND_LINK, want, want->line, cur->ifindex);
			copy->ifindex = cur->ifindex;
			replace(&pl->cur->links, cur, copy);
			continue;
		case CFG_REPLACE:
			break;
		}
		if (cur) {
			fprintf(stderr,
				"ipsecctl: %s:%u: link %s: %s: it is deleted and created again (its addresses and routes are lost)\n",
				pl->want->path, want->line, want->name,
				want->mode != cur->mode ? "the mode changes" :
				"local/remote go");
			emit(pl, '-', KIND_LINK, cur, want->line, cur->ifindex);
			drop_link(pl, cur);
		}
		emit(pl, '+', KIND_LINK, want, want->line, 0);
		cfg_push(&pl->cur->links, copy);
	}
}

static bool same_protect_key(const struct cfg_protect *a,
			     const struct cfg_protect *b)
{
	return !strcmp(a->ifname, b->ifname) && cfg_same_peer(&a->peer, &b->peer);
}

/* Another protection of the kernel that holds SA @id, or NULL. */
static struct cfg_protect *holder(const struct plan *pl,
				  const struct cfg_protect *pr, uint32_t id)
{
	struct cfg_protect *other;
	size_t i;

	cfg_for_each(struct cfg_protect, other, &pl->cur->protects, i)
		if (!same_protect_key(other, pr) && cfg_protect_uses(other, id))
			return other;
	return NULL;
}

/* The SAs of @pr: TX, then RX; returns how many. */
static unsigned int sas_of(const struct cfg_protect *pr,
			   uint32_t sas[IPSECIF_MAX_RX_SA + 1])
{
	unsigned int n = 0, i;

	if (pr->has_tx)
		sas[n++] = pr->tx;
	for (i = 0; i < pr->rx_count; i++)
		sas[n++] = pr->rx[i];
	return n;
}

/*
 * Before the file's protection @want is set, the kernel's protections that
 * the file does not have let go of its SAs (they are deleted now rather
 * than at the end), and so do its policies.
 */
static void clear_for(struct plan *pl, const struct cfg_protect *want)
{
	uint32_t sas[IPSECIF_MAX_RX_SA + 1];
	struct cfg_protect *other;
	struct cfg_policy *pol;
	unsigned int n, i;
	size_t k;

	n = sas_of(want, sas);
	for (i = 0; i < n; i++) {
		other = holder(pl, want, sas[i]);
		if (other && !cfg_find_protect(pl->want, other->ifname,
					       &other->peer))
			delete_protect(pl, other);
		for (k = 0; k < pl->cur->policies.count; ) {
			pol = pl->cur->policies.items[k];
			if (pol->has_sa && pol->sa == sas[i]) {
				delete_policy(pl, pol);
				continue;
			}
			k++;
		}
	}
}

static bool blocked(const struct plan *pl, const struct cfg_protect *want)
{
	uint32_t sas[IPSECIF_MAX_RX_SA + 1];
	unsigned int n, i;

	n = sas_of(want, sas);
	for (i = 0; i < n; i++)
		if (holder(pl, want, sas[i]))
			return true;
	return false;
}

static void set_protect(struct plan *pl, const struct cfg_protect *want)
{
	struct cfg_protect *cur;

	cur = cfg_find_protect(pl->cur, want->ifname, &want->peer);
	emit(pl, cur ? '~' : '+', KIND_PROTECT, want, want->line, 0);
	if (cur)
		replace(&pl->cur->protects, cur,
			cfg_copy(want, sizeof(*want)));
	else
		cfg_push(&pl->cur->protects, cfg_copy(want, sizeof(*want)));
}

/* The protections still to be set, for wanted_elsewhere(). */
static const struct cfg_list *pending_protects;

/* Whether a protection still to be set, other than @pr's, wants SA @id. */
static bool wanted_elsewhere(const struct plan *pl,
			     const struct cfg_protect *pr, uint32_t id)
{
	const struct cfg_protect *want;
	size_t i;

	(void)pl;
	cfg_for_each(const struct cfg_protect, want, pending_protects, i)
		if (!same_protect_key(want, pr) && cfg_protect_uses(want, id))
			return true;
	return false;
}

/*
 * 3. Protections, each replaced in one step: a rekey written as new SAs
 * and "tx NEW rx OLD NEW" switches with no moment without an SA. One that
 * takes an SA from another protection comes after that one let it go;
 * where two take each other's SAs, one lets go first for a moment.
 */
static void plan_protects(struct plan *pl)
{
	struct cfg_list pending = { 0 };
	struct cfg_protect *want, *cur, *other;
	uint32_t sas[IPSECIF_MAX_RX_SA + 1];
	unsigned int n, k;
	bool progress;
	size_t i;

	cfg_for_each(struct cfg_protect, want, &pl->want->protects, i) {
		cur = cfg_find_protect(pl->cur, want->ifname, &want->peer);
		if (!cur || !cfg_protect_same(want, cur))
			cfg_push(&pending, want);
	}
	pending_protects = &pending;
	while (pending.count) {
		progress = false;
		for (i = 0; i < pending.count; ) {
			want = pending.items[i];
			clear_for(pl, want);
			if (blocked(pl, want)) {
				i++;
				continue;
			}
			set_protect(pl, want);
			cfg_remove(&pending, want);
			progress = true;
		}
		if (progress)
			continue;
		want = pending.items[0];
		n = sas_of(want, sas);
		for (k = 0; k < n; k++) {
			other = holder(pl, want, sas[k]);
			if (other)
				shrink_protect(pl, other,
					       without(other, wanted_elsewhere,
						       pl));
		}
	}
	pending_protects = NULL;
	free(pending.items);
}

static bool same_group(const struct cfg_policy *a, const struct cfg_policy *b)
{
	return a->spd == b->spd && a->dir == b->dir &&
	       a->priority == b->priority;
}

/* A policy of the file is added; a protection that leaves frees its SA. */
static void add_policy(struct plan *pl, const struct cfg_policy *want)
{
	struct cfg_policy *copy = cfg_copy(want, sizeof(*want));
	struct cfg_protect *other;
	size_t i;

	if (want->has_sa) {
		for (i = 0; i < pl->cur->protects.count; ) {
			other = pl->cur->protects.items[i];
			if (cfg_protect_uses(other, want->sa)) {
				delete_protect(pl, other);
				continue;
			}
			i++;
		}
	}
	emit(pl, '+', KIND_POLICY, want, want->line, 0);
	copy->seq = ++pl->cur->policy_seq;
	cfg_push(&pl->cur->policies, copy);
}

/*
 * The policies of one SPD, direction and priority, which the kernel
 * matches oldest first. Those of the kernel that the file keeps stay as
 * long as they are in the file's order from its first one on; from the
 * first that is not, they are deleted, and the file's are added in its
 * order after those that stay.
 */
static void plan_policy_group(struct plan *pl, const struct cfg_policy *first)
{
	struct cfg_list file = { 0 }, kept = { 0 };
	struct cfg_policy *pol;
	size_t i, same;

	cfg_for_each(struct cfg_policy, pol, &pl->want->policies, i)
		if (same_group(pol, first))
			cfg_push(&file, pol);
	cfg_for_each(struct cfg_policy, pol, &pl->cur->policies, i)
		if (same_group(pol, first) && cfg_find_policy(pl->want, pol->key))
			cfg_push(&kept, pol);
	for (same = 0; same < kept.count && same < file.count; same++)
		if (strcmp(((struct cfg_policy *)kept.items[same])->text,
			   ((struct cfg_policy *)file.items[same])->text))
			break;
	for (i = same; i < kept.count; i++)
		delete_policy(pl, kept.items[i]);
	for (i = same; i < file.count; i++)
		add_policy(pl, file.items[i]);
	free(file.items);
	free(kept.items);
}

/*
 * 4. SPDs, their policies, then their interfaces (an interface that moves
 * to another SPD is detached first).
 */
static void plan_spds(struct plan *pl)
{
	struct cfg_policy *pol, *earlier;
	struct cfg_attach *want, *cur;
	struct cfg_spd *spd;
	size_t i, k;

	cfg_for_each(struct cfg_spd, spd, &pl->want->spds, i) {
		if (cfg_find_spd(pl->cur, spd->id))
			continue;
		emit(pl, '+', KIND_SPD, spd, spd->line, 0);
		cfg_push(&pl->cur->spds, cfg_copy(spd, sizeof(*spd)));
	}
	cfg_for_each(struct cfg_policy, pol, &pl->want->policies, i) {
		for (k = 0; k < i; k++) {
			earlier = pl->want->policies.items[k];
			if (same_group(earlier, pol))
				break;
		}
		if (k == i)
			plan_policy_group(pl, pol);
	}
	cfg_for_each(struct cfg_attach, want, &pl->want->attaches, i) {
		cur = cfg_find_attach(pl->cur, want->ifname);
		if (cur && cur->spd == want->spd)
			continue;
		if (cur) {
			emit(pl, '-', KIND_ATTACH, cur, want->line, 0);
			cfg_remove(&pl->cur->attaches, cur);
		}
		emit(pl, '+', KIND_ATTACH, want, want->line, 0);
		cfg_push(&pl->cur->attaches, cfg_copy(want, sizeof(*want)));
	}
}

static void delete_spd(struct plan *pl, struct cfg_spd *spd,
		       unsigned int line)
{
	struct cfg_policy *pol;
	size_t i;

	emit(pl, '-', KIND_SPD, spd, line, 0);
	cfg_remove(&pl->cur->spds, spd);
	for (i = 0; i < pl->cur->policies.count; ) {
		pol = pl->cur->policies.items[i];
		if (pol->spd == spd->id) {
			cfg_remove(&pl->cur->policies, pol);
			continue;
		}
		i++;
	}
}

static void detach(struct plan *pl, struct cfg_attach *at, unsigned int line)
{
	emit(pl, '-', KIND_ATTACH, at, line, 0);
	cfg_remove(&pl->cur->attaches, at);
}

/*
 * 5. What the file does not have goes: policies, attachments, SPDs (with
 * their policies), protections, interfaces, SAs.
 */
static void plan_deletions(struct plan *pl)
{
	const struct cfg_policy *want_pol;
	const struct cfg_attach *want_at;
	struct cfg_protect *pr;
	struct cfg_policy *pol;
	struct cfg_attach *at;
	struct cfg_link *link;
	struct cfg_spd *spd;
	struct cfg_sa *sa;
	size_t i;

	for (i = 0; i < pl->cur->policies.count; ) {
		pol = pl->cur->policies.items[i];
		want_pol = cfg_find_policy(pl->want, pol->key);
		if (!cfg_find_spd(pl->want, pol->spd) ||
		    (want_pol && !strcmp(want_pol->text, pol->text)))
			i++;
		else
			delete_policy(pl, pol);
	}
	for (i = 0; i < pl->cur->attaches.count; ) {
		at = pl->cur->attaches.items[i];
		want_at = cfg_find_attach(pl->want, at->ifname);
		if (want_at && want_at->spd == at->spd)
			i++;
		else
			detach(pl, at, 0);
	}
	for (i = 0; i < pl->cur->spds.count; ) {
		spd = pl->cur->spds.items[i];
		if (cfg_find_spd(pl->want, spd->id))
			i++;
		else
			delete_spd(pl, spd, 0);
	}
	for (i = 0; i < pl->cur->protects.count; ) {
		pr = pl->cur->protects.items[i];
		if (cfg_find_protect(pl->want, pr->ifname, &pr->peer))
			i++;
		else
			delete_protect(pl, pr);
	}
	for (i = 0; i < pl->cur->links.count; ) {
		link = pl->cur->links.items[i];
		if (cfg_find_link(pl->want, link->name)) {
			i++;
			continue;
		}
		emit(pl, '-', KIND_LINK, link, 0, link->ifindex);
		drop_link(pl, link);
	}
	for (i = 0; i < pl->cur->sas.count; ) {
		sa = pl->cur->sas.items[i];
		if (cfg_find_sa(pl->want, sa->id)) {
			i++;
			continue;
		}
		emit(pl, '-', KIND_SA, sa, 0, 0);
		cfg_remove(&pl->cur->sas, sa);
	}
}

/* Whether the kernel's SA @id has a user left; reports it on @line. */
static bool still_used(struct plan *pl, uint32_t id, unsigned int line)
{
	const struct cfg_protect *pr;
	const struct cfg_policy *pol;
	size_t i;

	cfg_for_each(const struct cfg_protect, pr, &pl->cur->protects, i) {
		if (cfg_protect_uses(pr, id)) {
			cfg_error(pl->want, line,
				  "sa %u is used by protect dev %s, which the file does not have",
				  id, pr->ifname);
			return true;
		}
	}
	cfg_for_each(const struct cfg_policy, pol, &pl->cur->policies, i) {
		if (pol->has_sa && pol->sa == id) {
			cfg_error(pl->want, line,
				  "sa %u is used by policy %s, which the file does not have",
				  id, pol->key);
			return true;
		}
	}
	return false;
}

/*
 * --remove: the objects of the file that the kernel has go, in the order
 * of step 5; an SPD with its policies and attachments.
 */
static void plan_remove(struct plan *pl)
{
	struct cfg_protect *want_pr, *pr;
	struct cfg_policy *want_pol, *pol;
	struct cfg_spd *want_spd, *spd;
	struct cfg_link *want_link, *link;
	struct cfg_sa *want_sa, *sa;
	struct cfg_attach *at;
	size_t i, k;

	cfg_for_each(struct cfg_policy, want_pol, &pl->want->policies, i) {
		pol = cfg_find_policy(pl->cur, want_pol->key);
		if (pol && !cfg_find_spd(pl->want, pol->spd))
			delete_policy(pl, pol);
	}
	cfg_for_each(struct cfg_spd, want_spd, &pl->want->spds, i) {
		spd = cfg_find_spd(pl->cur, want_spd->id);
		if (!spd)
			continue;
		for (k = 0; k < pl->cur->attaches.count; ) {
			at = pl->cur->attaches.items[k];
			if (at->spd == spd->id)
				detach(pl, at, want_spd->line);
			else
				k++;
		}
		delete_spd(pl, spd, want_spd->line);
	}
	cfg_for_each(struct cfg_protect, want_pr, &pl->want->protects, i) {
		pr = cfg_find_protect(pl->cur, want_pr->ifname, &want_pr->peer);
		if (pr)
			delete_protect(pl, pr);
	}
	cfg_for_each(struct cfg_link, want_link, &pl->want->links, i) {
		link = cfg_find_link(pl->cur, want_link->name);
		if (!link)
			continue;
		emit(pl, '-', KIND_LINK, link, want_link->line, link->ifindex);
		drop_link(pl, link);
	}
	cfg_for_each(struct cfg_sa, want_sa, &pl->want->sas, i) {
		sa = cfg_find_sa(pl->cur, want_sa->id);
		if (!sa)
			continue;
		if (still_used(pl, sa->id, want_sa->line)) {
			pl->errors++;
			continue;
		}
		emit(pl, '-', KIND_SA, sa, want_sa->line, 0);
		cfg_remove(&pl->cur->sas, sa);
	}
}

static void plan_apply(struct plan *pl)
{
	plan_sas(pl);
	plan_links(pl);
	plan_protects(pl);
	plan_spds(pl);
	plan_deletions(pl);
}

/* The object of @a: in full for '+' and '~' (keys redacted), else its name. */
static void print_object(FILE *out, const struct action *a, bool full)
{
	const struct cfg_protect *pr = a->obj;
	const struct cfg_attach *at = a->obj;
	const struct cfg_policy *pol = a->obj;
	char addr[INET6_ADDRSTRLEN];

	switch (a->kind) {
	case KIND_LINK:
		if (full) {
			link_config_print(out, a->obj);
			return;
		}
		fputs("link ", out);
		print_arg(out, ((const struct cfg_link *)a->obj)->name);
		return;
	case KIND_SA:
		if (full)
			sa_config_print(out, a->obj, false, " ");
		else
			fprintf(out, "sa %u", ((const struct cfg_sa *)a->obj)->id);
		return;
	case KIND_PROTECT:
		if (full) {
			protect_config_print(out, pr);
			return;
		}
		fputs("protect dev ", out);
		print_arg(out, pr->ifname);
		if (pr->peer.family)
			fprintf(out, " peer %s",
				format_addr(&pr->peer, addr, sizeof(addr)));
		return;
	case KIND_SPD:
		fprintf(out, "spd %u", ((const struct cfg_spd *)a->obj)->id);
		return;
	case KIND_ATTACH:
		fprintf(out, "spd %u dev ", at->spd);
		print_arg(out, at->ifname);
		return;
	case KIND_POLICY:
		fprintf(out, "policy %s", full ? pol->text : pol->key);
		return;
	}
}

static void print_action(FILE *out, const struct action *a)
{
	fprintf(out, "%c ", a->op);
	print_object(out, a, a->op != '-');
	fputc('\n', out);
}

/* Names the object of @a ("sa 10") in the errors of its requests. */
static void set_object(const struct action *a)
{
	char text[512];
	FILE *out = fmemopen(text, sizeof(text), "w");

	if (!out) {
		nl_clear_object();
		return;
	}
	print_object(out, a, false);
	fclose(out);
	text[sizeof(text) - 1] = '\0';
	nl_set_object("%s", text);
}

static int run_action(const struct action *a)
{
	const struct cfg_attach *at = a->obj;

	set_object(a);

	switch (a->kind) {
	case KIND_LINK:
		return a->op == '+' ? link_config_add(a->obj) :
		       a->op == '~' ? link_config_change(a->ifindex, a->obj) :
		       link_config_del(a->ifindex);
	case KIND_SA:
		return a->op == '+' ? sa_config_add(a->obj) :
		       a->op == '~' ? sa_config_update(a->obj) :
		       sa_config_del(((const struct cfg_sa *)a->obj)->id);
	case KIND_PROTECT:
		return a->op == '-' ? protect_config_del(a->obj) :
		       protect_config_set(a->obj);
	case KIND_SPD:
		return a->op == '+' ?
		       spd_config_add(((const struct cfg_spd *)a->obj)->id) :
		       spd_config_del(((const struct cfg_spd *)a->obj)->id);
	case KIND_ATTACH:
		return a->op == '+' ? spd_config_attach(at->spd, at->ifname) :
		       spd_config_detach(at->spd, at->ifname);
	case KIND_POLICY:
		return a->op == '+' ? policy_config_add(a->obj) :
		       policy_config_del(a->obj);
	}
	return EXIT_USAGE;
}

static void print_count(unsigned int count)
{
	printf("%u change%s\n", count, count == 1 ? "" : "s");
}

/* Makes the changes, in order, until one fails; an exit status. */
static int run_plan(const struct plan *pl, const struct apply_options *opts)
{
	const struct action *a;
	size_t i;
	int ret;

	cfg_for_each(const struct action, a, &pl->actions, i) {
		if (opts->verbose || opts->dry_run) {
			print_action(stdout, a);
			fflush(stdout);
		}
		if (opts->dry_run)
			continue;
		ret = run_action(a);
		if (!ret)
			continue;
		fprintf(stderr, "ipsecctl: %s:", pl->want->path);
		if (a->line)
			fprintf(stderr, "%u:", a->line);
		fprintf(stderr, " %c ", a->op);
		print_object(stderr, a, false);
		fprintf(stderr,
			": failed after %zu of %zu changes: the rest is not done; run apply again once fixed\n",
			i, pl->actions.count);
		return ret;
	}
	if (opts->verbose)
		print_count(pl->actions.count);
	return EXIT_SUCCESS;
}

/* A state as "dump --keys" writes it, in memory. */
static char *state_text(const struct cfg_state *st)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	cfg_print_state(out, st, true);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

/* Whether a long option @arg is @name ("-name" or "--name"), or @short. */
static bool is_opt(const char *arg, const char *short_name, const char *name)
{
	if (short_name && !strcmp(arg, short_name))
		return true;
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return !strcmp(arg, name);
}

/*
 * The options and FILE; --state FILE (not documented) takes the current
 * state from a file instead of the kernel, for tests of the plan.
 */
static int parse_options(int argc, char **argv, bool apply,
			 struct apply_options *opts)
{
	int i;

	memset(opts, 0, sizeof(*opts));
	for (i = 0; i < argc; i++) {
		if (argv[i][0] != '-' || !strcmp(argv[i], "-")) {
			if (!apply || opts->file)
				return usage_error(apply_usage,
						   "unexpected argument \"%s\"",
						   argv[i]);
			opts->file = argv[i];
		} else if (apply && is_opt(argv[i], "-n", "dry-run")) {
			opts->dry_run = true;
		} else if (apply && is_opt(argv[i], "-v", "verbose")) {
			opts->verbose = true;
		} else if (apply && is_opt(argv[i], NULL, "remove")) {
			opts->remove = true;
		} else if (!apply && is_opt(argv[i], NULL, "keys")) {
			opts->keys = true;
		} else if (is_opt(argv[i], NULL, "state") && i + 1 < argc) {
			opts->state = argv[++i];
		} else {
			return usage_error(apply_usage, "unknown option \"%s\"",
					   argv[i]);
		}
	}
	if (apply && !opts->file)
		return usage_error(apply_usage, "missing FILE");
	if (apply && opts->state && !opts->dry_run)
		return usage_error(apply_usage, "--state needs --dry-run");
	return 0;
}

/*
 * With the current state from a file, the plan is checked: it must make
 * that state the file's.
 */
static int check_plan(const struct plan *pl, const char *want_text)
{
	char *got = state_text(pl->cur);
	int ret = EXIT_SUCCESS;

	if (!got || !want_text || strcmp(got, want_text)) {
		fprintf(stderr,
			"ipsecctl: internal error: the plan leads to\n%s\ninstead of\n%s",
			got ? got : "?", want_text ? want_text : "?");
		ret = EXIT_USAGE;
	}
	free(got);
	return ret;
}

static int apply(const struct apply_options *opts)
{
	struct cfg_state *want = cfg_state_new(), *cur = cfg_state_new();
	struct plan pl = { .want = want, .cur = cur };
	char *want_text = NULL;
	int ret;

	ret = cfg_read_file(opts->file, want);
	if (!ret)
		ret = opts->state ? cfg_read_file(opts->state, cur) :
		      cfg_read_kernel(cur);
	if (!ret && !opts->remove)
		ret = cfg_check(want, cur);
	if (ret)
		goto out;
	if (cur->keys_unknown && !opts->remove)
		fprintf(stderr,
			"ipsecctl: warning: the kernel did not show the keys of the SAs (that needs CAP_NET_ADMIN): every SA looks changed\n");
	if (opts->state && !opts->remove)
		want_text = state_text(want);
	if (opts->remove)
		plan_remove(&pl);
	else
		plan_apply(&pl);
	if (pl.errors) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (opts->state && !opts->remove)
		ret = check_plan(&pl, want_text);
	if (!ret)
		ret = run_plan(&pl, opts);
out:
	free(want_text);
	free(pl.actions.items);
	cfg_free_all();
	return ret;
}

int cmd_apply(int argc, char **argv)
{
	struct apply_options opts;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "help")) {
		apply_usage(stdout);
		return EXIT_SUCCESS;
	}
	ret = parse_options(argc, argv, true, &opts);
	return ret ? ret : apply(&opts);
}

/* "dump [--keys]"; --state FILE (tests) writes that file's state. */
int cmd_dump(int argc, char **argv)
{
	struct apply_options opts;
	struct cfg_state *st;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "help")) {
		apply_usage(stdout);
		return EXIT_SUCCESS;
	}
	ret = parse_options(argc, argv, false, &opts);
	if (ret)
		return ret;
	st = cfg_state_new();
	ret = opts.state ? cfg_read_file(opts.state, st) : cfg_read_kernel(st);
	if (!ret) {
		if (opts.keys && st->keys_unknown)
			fprintf(stderr,
				"ipsecctl: warning: the kernel did not show the keys (that needs CAP_NET_ADMIN): they are written redacted\n");
		cfg_print_state(stdout, st, opts.keys);
	}
	cfg_free_all();
	return ret;
}
