// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: a model-based fuzzer of the "ipsecif" generic netlink family.
 *
 * usage: nlfuzz [--seed N] [--count N] [--dev NAME]... [--id-base N]
 *               [--check-every N] [--flush] [--strict] [--verbose]
 *               [--dry-run]
 *
 * It sends --count requests (default 100000), one datagram at a time, each
 * answered before the next goes: requests generated from a model of what
 * the netns holds (SA new/update/delete/get/flush, protection set/delete,
 * SPD new/delete/attach/detach/get, policy new/delete, dumps) and mutated
 * ones (wrong attribute types and lengths, missing, duplicate, unknown and
 * extra attributes, nesting abuse, bad nla_len, huge values, broken
 * strings, bad genetlink commands, flags, versions and reserved bits,
 * truncated and zero-length messages, trailing junk, batches).
 *
 * Every datagram is judged before it is sent, as the kernel judges it:
 * the netlink framing (netlink_rcv_skb), the genetlink header
 * (genl_family_rcv_msg with genl_header_check: the family sets no
 * resv_start_op), then the family's nla policies, mirrored from
 * net/ipsecif/netlink.c and applied as lib/nlattr.c applies them in
 * NL_VALIDATE_STRICT mode (the family's ops have no GENL_DONT_VALIDATE_*
 * flags). What passes is parsed as the handlers parse it (the last of
 * duplicate attributes wins, RX_SA is iterated, IFINDEX comes before
 * IFNAME) and its outcome predicted from the model. The model follows the
 * kernel: a request the kernel accepted is applied to it, one it refused
 * is not, whatever was predicted.
 *
 * Classes: a generated request is "valid" (accepted or refused, as the
 * model predicts). A mutated request is "invalid" if the judgement refuses
 * it and the mutation made the difference: the kernel must answer it with
 * a negative errno, else it counts as invalid-accepted. A mutated request
 * the judgement accepts, or refuses as it refuses the request it was made
 * from (same errno, from the handler), is valid: the mutation was harmless
 * (a duplicate whose last copy is the original, an extra attribute the
 * command ignores, NLA_F_NET_BYTEORDER, a bad genetlink version, ...).
 * Datagrams the kernel ignores silently (shorter than a netlink header,
 * nlmsg_len out of bounds) must get no answer at all.
 *
 * Dumps run on the main socket (compared with the model) and on fresh
 * sockets with tiny receive buffers, abandoned after a few reads or none
 * (the kernel's dump state must be released with the socket), sometimes
 * read a message at a time while the main socket changes the state.
 * Periodically and at the end the whole state is compared with the model:
 * by dumps, or, with --id-base (other fuzzers in the same netns), by SA_GET
 * and SPD_GET of each id of its own range and by dumps of its own
 * interfaces and SPDs. --flush then deletes everything it created.
 *
 * --dev names the interfaces to use: ipsecif ones (p2p, p2mp, with or
 * without local/remote) for protections, any for SPD attachments. A
 * request that could change another interface of the netns is never sent
 * (mutations may still name one where it is certainly refused). --id-base
 * N confines the fuzzer to SA ids N..N+47, SPD ids N..N+7 and SPIs
 * N*256..N*256+63 (bases 1000 apart keep fuzzers apart), and to the
 * interfaces it saw as it started; SA flushes are then left out. Without
 * it the netns must be the fuzzer's alone and start empty, and ids 0 and
 * 0xffffffff are drawn too.
 *
 * The last line says: "nlfuzz: sent N, valid-accepted A, valid-refused R,
 * invalid-refused I, invalid-accepted X, dumps D (aborted K), model
 * mismatches M". Exit status 1 if X or M is not 0, if fewer than --count
 * requests went out, or on any unexpected netlink error; with --strict also
 * if the kernel answered a valid request otherwise than predicted.
 * --dry-run judges and "answers" everything itself, without a kernel, for
 * testing nlfuzz; --dev then takes NAME:p2p|p2mp|ipip|other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/ipsecif.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define IFNAMSZ		16
#define ESPINUDP	2	/* UDP_ENCAP_ESPINUDP */
#define TYPE_MASK	((uint16_t)NLA_TYPE_MASK)
#define MAX_RX		IPSECIF_MAX_RX_SA

/* IPSECIF_SA_A_SEQ_IN, where the uapi header has it (appended lately). */
#define SA_A_SEQ_IN	(IPSECIF_SA_A_EVENT_LIMIT + 1)
#define HAVE_SEQ_IN	(IPSECIF_SA_A_MAX >= SA_A_SEQ_IN)
#define SA_TB		(IPSECIF_SA_A_MAX + 2)

#define F_ESN		IPSECIF_SA_F_ESN
/* fixed when the SA is added */
#define F_FIXED		(IPSECIF_SA_F_ESN | IPSECIF_SA_F_PARALLEL)
#define F_PATH		(IPSECIF_SA_F_DECAP_DSCP | IPSECIF_SA_F_NO_ECN | \
			 IPSECIF_SA_F_DONT_ENCAP_DSCP | IPSECIF_SA_F_DF_SET | \
			 IPSECIF_SA_F_DF_CLEAR | IPSECIF_SA_F_COPY_FLOWLABEL)
#define F_ALL		(F_FIXED | F_PATH)
#define F_DF_BOTH	(IPSECIF_SA_F_DF_SET | IPSECIF_SA_F_DF_CLEAR)

/* Own ranges of ids and SPIs (see --id-base). */
#define SA_POOL		48
#define SPI_POOL	64
#define SPD_POOL	8

#define MAX_DEVS	16
#define MAX_NETDEVS	512
#define MAX_SA		256
#define MAX_PROT	128
#define MAX_SPD		64
#define MAX_POL		2048
#define MAX_OBS		2048
#define MAX_EXPECT	4
#define BUF_SIZE	65536
#define MSG_MAX		32768

static struct {
	uint64_t seed;
	unsigned long count;
	uint32_t id_base;
	bool shared;
	bool flush;
	bool strict;
	bool dry_run;
	int verbose;
	unsigned long check_every;
} opt = {
	.count = 100000,
	.id_base = 1000,
	.check_every = 5000,
};

static struct {
	unsigned long sent, valid_ok, valid_refused, invalid_refused;
	unsigned long invalid_accepted, invalid_extack, dumps, aborted;
	unsigned long mismatches, mispredicted, errno_differs, silent;
	unsigned long unsafe_skipped, extack, dump_overruns;
	unsigned long by_cmd[IPSECIF_CMD_MAX + 1][3];	/* sent, ok, refused */
	unsigned long refused_by[4];	/* framing, header, policy, handler */
	bool fatal, tainted;
} st;

static bool checking;		/* state check: mispredictions are mismatches */
static const char *phase = "fuzz";

static void vlog(const char *what, unsigned long n, const char *fmt,
		 va_list ap)
{
	if (n > 40 && !opt.verbose) {
		if (n == 41)
			fprintf(stderr, "nlfuzz: (further %s not shown)\n",
				what);
		return;
	}
	fprintf(stderr, "nlfuzz: %s: ", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2))) mismatch(const char *fmt,
							       ...)
{
	va_list ap;

	st.mismatches++;
	va_start(ap, fmt);
	vlog("model mismatch", st.mismatches, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) mispredict(const char *fmt,
								...)
{
	va_list ap;

	if (checking) {
		st.mismatches++;
		va_start(ap, fmt);
		vlog("model mismatch", st.mismatches, fmt, ap);
		va_end(ap);
		return;
	}
	st.mispredicted++;
	va_start(ap, fmt);
	vlog("mispredicted", st.mispredicted, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "nlfuzz: error (%s): ", phase);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	st.fatal = true;
}

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "nlfuzz: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ------------------------------------------------------------------------
 * Deterministic randomness (splitmix64)
 */

static uint64_t rng;

static uint64_t rnd64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool pct(unsigned int p)
{
	return rnd(100) < p;
}

#define PICK(a)		((a)[rnd(ARRAY_SIZE(a))])

static void rnd_bytes(uint8_t *b, int n)
{
	while (n-- > 0)
		*b++ = rnd64();
}

/* ------------------------------------------------------------------------
 * Messages under construction: a tree of attributes, serialised as is, so
 * that mutations can break any of it (types, flags, lengths, nesting).
 */

struct node {
	struct node *parent, *first, *next;
	uint8_t *data;
	int dlen;
	uint16_t type;		/* nla_type as sent, flags included */
	bool nest;
	int len_adj;		/* added to the true nla_len */
	int len_abs;		/* >= 0: the nla_len sent instead */
};

#define MAX_NODES	8192
#define ARENA_SIZE	(512 * 1024)

static struct node nodes[MAX_NODES];
static int n_nodes;
static uint8_t arena[ARENA_SIZE];
static size_t arena_used;
/* Out of nodes or arena: the message is thrown away (spares used meanwhile). */
static bool tree_full;
static struct node spare_node;
static uint8_t spare_data[8192];

struct gmsg {
	struct node *root;	/* holds the top-level attributes */
	uint16_t type, flags;
	uint8_t cmd, version;
	uint16_t reserved;
};

static uint16_t family_id;

static uint8_t *arena_alloc(int len)
{
	uint8_t *p;

	if (len < 0 || len > (int)sizeof(spare_data) ||
	    arena_used + len + 8 > ARENA_SIZE) {
		tree_full = true;
		return spare_data;
	}
	p = arena + arena_used;
	arena_used += (len + 7) & ~7;
	return p;
}

static struct node *node_alloc(void)
{
	struct node *n = &spare_node;

	if (n_nodes < MAX_NODES)
		n = &nodes[n_nodes++];
	else
		tree_full = true;
	memset(n, 0, sizeof(*n));
	n->len_abs = -1;
	return n;
}

static void node_append(struct node *parent, struct node *n)
{
	struct node **pp = &parent->first;

	if (n == &spare_node || parent == &spare_node)
		return;		/* never linked: no cycles */
	while (*pp)
		pp = &(*pp)->next;
	*pp = n;
	n->next = NULL;
	n->parent = parent;
}

/* Inserts @n before @pos (a child of its parent) or, @pos NULL, last. */
static void node_insert(struct node *parent, struct node *n, struct node *pos)
{
	struct node **pp = &parent->first;

	if (n == &spare_node || parent == &spare_node)
		return;
	while (*pp && *pp != pos)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
	n->parent = parent;
}

static void node_remove(struct node *n)
{
	struct node **pp = &n->parent->first;

	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp)
		*pp = n->next;
	n->next = NULL;
}

static void node_set(struct node *n, const void *data, int len)
{
	n->nest = false;
	n->first = NULL;
	n->data = arena_alloc(len);
	if (len)
		memcpy(n->data, data, len);
	n->dlen = len;
}

static struct node *put(struct node *p, uint16_t type, const void *d, int len)
{
	struct node *n = node_alloc();

	n->type = type;
	node_set(n, d, len);
	node_append(p, n);
	return n;
}

static struct node *put_u8(struct node *p, uint16_t type, uint8_t v)
{
	return put(p, type, &v, 1);
}

static struct node *put_u16(struct node *p, uint16_t type, uint16_t v)
{
	return put(p, type, &v, 2);
}

static struct node *put_u32(struct node *p, uint16_t type, uint32_t v)
{
	return put(p, type, &v, 4);
}

static struct node *put_u64(struct node *p, uint16_t type, uint64_t v)
{
	return put(p, type, &v, 8);
}

static struct node *put_str(struct node *p, uint16_t type, const char *s)
{
	return put(p, type, s, strlen(s) + 1);
}

static struct node *nest(struct node *p, uint16_t type)
{
	struct node *n = node_alloc();

	n->type = type | NLA_F_NESTED;
	n->nest = true;
	node_append(p, n);
	return n;
}

static struct node *node_clone(const struct node *n)
{
	struct node *c = node_alloc();
	const struct node *k;

	c->type = n->type;
	c->nest = n->nest;
	c->len_adj = n->len_adj;
	c->len_abs = n->len_abs;
	if (!n->nest)
		node_set(c, n->data, n->dlen);
	else
		for (k = n->first; k; k = k->next)
			node_append(c, node_clone(k));
	return c;
}

static void gmsg_init(struct gmsg *m, uint8_t cmd, bool dump)
{
	n_nodes = 0;
	arena_used = 0;
	tree_full = false;
	m->root = node_alloc();
	m->root->nest = true;
	m->type = family_id;
	m->flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
	m->cmd = cmd;
	m->version = IPSECIF_GENL_VERSION;
	m->reserved = 0;
}

/* Writes @n at @off; returns the aligned end, or -1 if it does not fit. */
static int ser_node(uint8_t *buf, int off, int size, const struct node *n)
{
	const struct node *c;
	struct nlattr nla;
	int start = off;

	if (off + NLA_HDRLEN > size)
		return -1;
	off += NLA_HDRLEN;
	if (n->nest) {
		for (c = n->first; c && off >= 0; c = c->next)
			off = ser_node(buf, off, size, c);
		if (off < 0)
			return -1;
	} else {
		if (off + n->dlen > size)
			return -1;
		memcpy(buf + off, n->data, n->dlen);
		off += n->dlen;
	}
	nla.nla_len = n->len_abs >= 0 ? n->len_abs : off - start + n->len_adj;
	nla.nla_type = n->type;
	memcpy(buf + start, &nla, sizeof(nla));
	while (off & (NLA_ALIGNTO - 1)) {
		if (off >= size)
			return -1;
		buf[off++] = 0;
	}
	return off;
}

static int serialize(const struct gmsg *m, uint8_t *buf, int size,
		     uint32_t seq)
{
	struct genlmsghdr g = {
		.cmd = m->cmd,
		.version = m->version,
		.reserved = m->reserved,
	};
	struct nlmsghdr nlh = {
		.nlmsg_type = m->type,
		.nlmsg_flags = m->flags,
		.nlmsg_seq = seq,
	};
	const struct node *c;
	int off = NLMSG_HDRLEN + GENL_HDRLEN;

	for (c = m->root->first; c && off >= 0; c = c->next)
		off = ser_node(buf, off, size, c);
	if (off < 0)
		return -1;
	nlh.nlmsg_len = off;
	memcpy(buf, &nlh, sizeof(nlh));
	memcpy(buf + NLMSG_HDRLEN, &g, sizeof(g));
	return off;
}

/* ------------------------------------------------------------------------
 * The family's nla policies (net/ipsecif/netlink.c) and strict validation
 * as lib/nlattr.c does it (validate_nla, __nla_validate_parse).
 */

enum {
	PT_UNSPEC,	/* no entry: refused in strict mode */
	PT_U8, PT_U16, PT_U32, PT_U64, PT_S32,
	PT_BINARY,	/* .len: the longest (0: any) */
	PT_ADDR,	/* NLA_BINARY <= 16 + ipsecif_nl_validate_addr() */
	PT_STRING,	/* NLA_NUL_STRING, .len: the longest */
	PT_NESTED,	/* .nested, .len: its maxtype */
	PT_REJECT,
};

enum { CHK_NONE, CHK_RANGE, CHK_MASK };

struct pol {
	uint8_t type;
	uint8_t check;
	uint16_t len;
	uint64_t min, max;	/* CHK_RANGE; CHK_MASK: max is the mask */
	const struct pol *nested;
};

#define P(t)		{ .type = (t) }
#define P_MAX(t, m)	{ .type = (t), .check = CHK_RANGE, .max = (m) }
#define P_EXACT(n)	{ .type = PT_BINARY, .check = CHK_RANGE, \
			  .min = (n), .max = (n) }
#define P_NEST(p, m)	{ .type = PT_NESTED, .nested = (p), .len = (m) }

static const int fixed_len[] = {
	[PT_U8] = 1, [PT_U16] = 2, [PT_U32] = 4, [PT_U64] = 8, [PT_S32] = 4,
	[PT_REJECT] = 0,
};

static const struct pol alg_pol[IPSECIF_ALG_A_MAX + 1] = {
	[IPSECIF_ALG_A_NAME]	= { .type = PT_STRING, .len = 127 },
	[IPSECIF_ALG_A_KEY]	= { .type = PT_BINARY, .len = 512 },
	[IPSECIF_ALG_A_ICV_LEN]	= P(PT_U32),
};

static const struct pol encap_pol[IPSECIF_ENCAP_A_MAX + 1] = {
	[IPSECIF_ENCAP_A_TYPE]	= P_MAX(PT_U8, ESPINUDP),
	[IPSECIF_ENCAP_A_SPORT]	= P(PT_U16),
	[IPSECIF_ENCAP_A_DPORT]	= P(PT_U16),
};

static const struct pol lft_pol[IPSECIF_LIFETIME_A_MAX + 1] = {
	[IPSECIF_LIFETIME_A_BYTES]	= P(PT_U64),
	[IPSECIF_LIFETIME_A_PACKETS]	= P(PT_U64),
	[IPSECIF_LIFETIME_A_SECONDS]	= P(PT_U64),
};

/* SA_A_SEQ_IN is filled in by main() where the uapi has it. */
static struct pol sa_pol[SA_TB] = {
	[IPSECIF_SA_A_ID]		= P(PT_U32),
	[IPSECIF_SA_A_SPI]		= P(PT_U32),
	[IPSECIF_SA_A_MODE]		= P_MAX(PT_U8,
						IPSECIF_SA_MODE_TRANSPORT),
	[IPSECIF_SA_A_SRC]		= P_EXACT(4),
	[IPSECIF_SA_A_DST]		= P_EXACT(4),
	[IPSECIF_SA_A_SRC6]		= P_EXACT(16),
	[IPSECIF_SA_A_DST6]		= P_EXACT(16),
	[IPSECIF_SA_A_AEAD]		= P_NEST(alg_pol, IPSECIF_ALG_A_MAX),
	[IPSECIF_SA_A_ENC]		= P_NEST(alg_pol, IPSECIF_ALG_A_MAX),
	[IPSECIF_SA_A_AUTH]		= P_NEST(alg_pol, IPSECIF_ALG_A_MAX),
	[IPSECIF_SA_A_FLAGS]		= { .type = PT_U32, .check = CHK_MASK,
					    .max = F_ALL },
	[IPSECIF_SA_A_REPLAY_WINDOW]	= P_MAX(PT_U32, 4096),
	[IPSECIF_SA_A_ENCAP]		= P_NEST(encap_pol,
						 IPSECIF_ENCAP_A_MAX),
	[IPSECIF_SA_A_LIFETIME_SOFT]	= P_NEST(lft_pol,
						 IPSECIF_LIFETIME_A_MAX),
	[IPSECIF_SA_A_LIFETIME_HARD]	= P_NEST(lft_pol,
						 IPSECIF_LIFETIME_A_MAX),
	[IPSECIF_SA_A_STATS]		= P(PT_REJECT),
	[IPSECIF_SA_A_SEQ_OUT]		= P(PT_U64),
	[IPSECIF_SA_A_DSCP]		= P_MAX(PT_U8, 63),
	[IPSECIF_SA_A_TTL]		= P(PT_U8),
	[IPSECIF_SA_A_LIFETIME_CUR]	= P(PT_REJECT),
	[IPSECIF_SA_A_EXPIRED]		= P(PT_REJECT),
	[IPSECIF_SA_A_EVENT]		= P(PT_REJECT),
	[IPSECIF_SA_A_EVENT_LIMIT]	= P(PT_REJECT),
};

static const struct pol protect_pol[IPSECIF_PROTECT_A_MAX + 1] = {
	[IPSECIF_PROTECT_A_PEER]	= P_EXACT(4),
	[IPSECIF_PROTECT_A_PEER6]	= P_EXACT(16),
	[IPSECIF_PROTECT_A_TX_SA]	= P(PT_U32),
	[IPSECIF_PROTECT_A_RX_SA]	= P(PT_U32),
};

static const struct pol spd_pol[IPSECIF_SPD_A_MAX + 1] = {
	[IPSECIF_SPD_A_ID]		= P(PT_U32),
	[IPSECIF_SPD_A_POLICIES]	= P(PT_REJECT),
	[IPSECIF_SPD_A_IFINDEX]		= P(PT_REJECT),
	[IPSECIF_SPD_A_STATS]		= P(PT_REJECT),
};

static const struct pol policy_pol[IPSECIF_POLICY_A_MAX + 1] = {
	[IPSECIF_POLICY_A_PRIORITY]	= P(PT_S32),
	[IPSECIF_POLICY_A_DIR]		= P_MAX(PT_U8, IPSECIF_POLICY_OUT),
	[IPSECIF_POLICY_A_ACTION]	= P_MAX(PT_U8, IPSECIF_POLICY_RESOLVE),
	[IPSECIF_POLICY_A_SA_ID]	= P(PT_U32),
	[IPSECIF_POLICY_A_PROTO]	= P(PT_U8),
	[IPSECIF_POLICY_A_LOCAL_START]	= { .type = PT_ADDR, .len = 16 },
	[IPSECIF_POLICY_A_LOCAL_END]	= { .type = PT_ADDR, .len = 16 },
	[IPSECIF_POLICY_A_REMOTE_START]	= { .type = PT_ADDR, .len = 16 },
	[IPSECIF_POLICY_A_REMOTE_END]	= { .type = PT_ADDR, .len = 16 },
	[IPSECIF_POLICY_A_LPORT_START]	= P(PT_U16),
	[IPSECIF_POLICY_A_LPORT_END]	= P(PT_U16),
	[IPSECIF_POLICY_A_RPORT_START]	= P(PT_U16),
	[IPSECIF_POLICY_A_RPORT_END]	= P(PT_U16),
	[IPSECIF_POLICY_A_STATS]	= P(PT_REJECT),
};

static const struct pol top_pol[IPSECIF_A_MAX + 1] = {
	[IPSECIF_A_IFINDEX]	= P(PT_U32),
	[IPSECIF_A_IFNAME]	= { .type = PT_STRING, .len = IFNAMSZ - 1 },
	[IPSECIF_A_SA]		= P_NEST(sa_pol, IPSECIF_SA_A_MAX),
	[IPSECIF_A_PROTECT]	= P_NEST(protect_pol, IPSECIF_PROTECT_A_MAX),
	[IPSECIF_A_SPD]		= P_NEST(spd_pol, IPSECIF_SPD_A_MAX),
	[IPSECIF_A_POLICY]	= P_NEST(policy_pol, IPSECIF_POLICY_A_MAX),
};

static uint64_t raw_uint(const uint8_t *d, int len)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64 = 0;

	switch (len) {
	case 1:
		memcpy(&v8, d, 1);
		return v8;
	case 2:
		memcpy(&v16, d, 2);
		return v16;
	case 4:
		memcpy(&v32, d, 4);
		return v32;
	default:
		memcpy(&v64, d, len < 8 ? len : 8);
		return v64;
	}
}

static int validate(const uint8_t *data, int len, const struct pol *tbl,
		    int maxtype, int depth);

static int validate_nla(const uint8_t *nla, const struct pol *pt, int depth)
{
	struct nlattr h;
	const uint8_t *d = nla + NLA_HDRLEN;
	int attrlen, minlen, err;
	uint64_t v;

	memcpy(&h, nla, sizeof(h));
	attrlen = h.nla_len - NLA_HDRLEN;
	if (pt->type < ARRAY_SIZE(fixed_len) && fixed_len[pt->type] &&
	    attrlen != fixed_len[pt->type])
		return -EINVAL;
	if (pt->type == PT_NESTED && !(h.nla_type & NLA_F_NESTED))
		return -EINVAL;
	if (pt->type != PT_NESTED && pt->type != PT_UNSPEC &&
	    (h.nla_type & NLA_F_NESTED))
		return -EINVAL;

	switch (pt->type) {
	case PT_REJECT:
	case PT_UNSPEC:
		return -EINVAL;
	case PT_STRING:
		minlen = attrlen < pt->len + 1 ? attrlen : pt->len + 1;
		if (!minlen || !memchr(d, 0, minlen))
			return -EINVAL;
		if (d[attrlen - 1] == 0)
			attrlen--;
		if (attrlen > pt->len)
			return -ERANGE;
		break;
	case PT_BINARY:
	case PT_ADDR:
		if (pt->len && attrlen > pt->len)
			return -ERANGE;
		break;
	case PT_NESTED:
		if (attrlen == 0)
			break;
		if (attrlen < NLA_HDRLEN)
			return -ERANGE;
		err = validate(d, attrlen, pt->nested, pt->len, depth + 1);
		if (err)
			return err;
		break;
	default:
		break;
	}

	v = pt->type == PT_BINARY ? (uint64_t)attrlen : raw_uint(d, attrlen);
	if (pt->check == CHK_RANGE && (v < pt->min || v > pt->max))
		return -ERANGE;
	if (pt->check == CHK_MASK && (v & ~pt->max))
		return -EINVAL;
	if (pt->type == PT_ADDR && attrlen != 4 && attrlen != 16)
		return -EINVAL;
	return 0;
}

static int validate(const uint8_t *data, int len, const struct pol *tbl,
		    int maxtype, int depth)
{
	const uint8_t *p = data;
	int rem = len, err;
	struct nlattr h;
	uint16_t type;

	if (depth >= 10)	/* MAX_POLICY_RECURSION_DEPTH */
		return -EINVAL;
	while (rem >= NLA_HDRLEN) {
		memcpy(&h, p, sizeof(h));
		if (h.nla_len < NLA_HDRLEN || h.nla_len > rem)
			break;
		type = h.nla_type & TYPE_MASK;
		if (type == 0 || type > maxtype)
			return -EINVAL;
		err = validate_nla(p, &tbl[type], depth);
		if (err)
			return err;
		p += NLA_ALIGN(h.nla_len);
		rem -= NLA_ALIGN(h.nla_len);
	}
	return rem > 0 ? -EINVAL : 0;
}

/* An attribute as the handlers find it in their tb[]: the last one. */
struct attr {
	const uint8_t *d;	/* payload; NULL: absent */
	int len;
};

static void parse(const uint8_t *data, int len, struct attr *tb, int maxtype)
{
	const uint8_t *p = data;
	int rem = len;
	struct nlattr h;
	uint16_t type;

	memset(tb, 0, sizeof(*tb) * (maxtype + 1));
	while (rem >= NLA_HDRLEN) {
		memcpy(&h, p, sizeof(h));
		if (h.nla_len < NLA_HDRLEN || h.nla_len > rem)
			break;
		type = h.nla_type & TYPE_MASK;
		if (type && type <= maxtype) {
			tb[type].d = p + NLA_HDRLEN;
			tb[type].len = h.nla_len - NLA_HDRLEN;
		}
		p += NLA_ALIGN(h.nla_len);
		rem -= NLA_ALIGN(h.nla_len);
	}
}

static bool has(const struct attr *a)
{
	return a->d;
}

/* nla_get_*(): validated lengths; a short one reads as zero-padded. */
static uint64_t get_uint(const struct attr *a, int size)
{
	uint8_t b[8] = {};

	if (a->d && a->len > 0)
		memcpy(b, a->d, a->len < size ? a->len : size);
	return raw_uint(b, size);
}

static uint8_t g8(const struct attr *a)
{
	return get_uint(a, 1);
}

static uint16_t g16(const struct attr *a)
{
	return get_uint(a, 2);
}

static uint32_t g32(const struct attr *a)
{
	return get_uint(a, 4);
}

static uint64_t g64(const struct attr *a)
{
	return get_uint(a, 8);
}

/* nla_memcpy() into a zeroed buffer of @size. */
static void gcopy(const struct attr *a, void *to, int size)
{
	memset(to, 0, size);
	if (a->d && a->len > 0)
		memcpy(to, a->d, a->len < size ? a->len : size);
}

/* The C string the kernel sees in a NUL_STRING attribute. */
static void gstr(const struct attr *a, char *to, int size)
{
	int n = 0;

	while (a->d && n < a->len && n < size - 1 && a->d[n])
		n++;
	if (a->d)
		memcpy(to, a->d, n);
	to[n] = 0;
}

/* ------------------------------------------------------------------------
 * Interfaces: every link of the netns (found at start), and ours (--dev)
 */

struct link {
	int ifindex;
	char name[IFNAMSZ];
	bool ipsecif;
	int dev;		/* ours: index in devs[]; -1: not ours */
};

struct dev {
	char name[IFNAMSZ];
	int ifindex;
	bool ipsecif;
	bool p2mp;
	bool ipip;		/* has local/remote */
	bool attached;		/* model: an SPD is attached */
	uint32_t spd;
};

static struct link links[MAX_NETDEVS];
static int n_links;
static struct dev devs[MAX_DEVS];
static int n_devs;

enum { DR_NONE, DR_OURS, DR_MISSING, DR_FOREIGN };

struct devref {
	int kind;
	int dev;		/* DR_OURS */
	bool ipsecif;		/* DR_FOREIGN */
	bool never;		/* DR_MISSING: none can have this one */
};

/* What put_dev() names for an interface that does not exist: ifindex 0
 * or above INT_MAX - 4095, the name "nlfz-none", the empty name.
 */
#define NO_IFINDEX	0x7ffff000
#define NO_IFNAME	"nlfz-none"

static struct devref link_ref(int i)
{
	struct devref r = {
		.kind = links[i].dev >= 0 ? DR_OURS : DR_FOREIGN,
		.dev = links[i].dev,
		.ipsecif = links[i].ipsecif,
	};

	return r;
}

/* __dev_get_by_index(): the u32 attribute is taken as an int. */
static struct devref dev_by_index(uint32_t ifindex)
{
	struct devref r = {
		.kind = DR_MISSING,
		.dev = -1,
		.never = !ifindex || ifindex >= NO_IFINDEX,
	};
	int i;

	for (i = 0; i < n_links; i++)
		if (links[i].ifindex == (int)ifindex)
			return link_ref(i);
	return r;
}

static struct devref dev_by_name(const char *name)
{
	struct devref r = {
		.kind = DR_MISSING,
		.dev = -1,
		.never = !*name || !strcmp(name, NO_IFNAME),
	};
	int i;

	for (i = 0; i < n_links; i++)
		if (!strcmp(links[i].name, name))
			return link_ref(i);
	return r;
}

/* ------------------------------------------------------------------------
 * Algorithms as net/ipsecif/sa.c accepts them
 */

enum { ALG_AEAD, ALG_ENC, ALG_AUTH };

static const int alg_attr[] = {
	IPSECIF_SA_A_AEAD, IPSECIF_SA_A_ENC, IPSECIF_SA_A_AUTH,
};

struct alg_desc {
	const char *name;
	int kind;
	bool geniv;
	uint8_t key_lens[3];
	bool any_key_len;
	uint16_t icv_bits[3];
	uint16_t full_bits, default_bits;
};

static const struct alg_desc algs[] = {
	{ .name = "rfc4106(gcm(aes))", .kind = ALG_AEAD, .geniv = true,
	  .key_lens = { 20, 28, 36 }, .icv_bits = { 64, 96, 128 } },
	{ .name = "rfc7539esp(chacha20,poly1305)", .kind = ALG_AEAD,
	  .geniv = true, .key_lens = { 36 }, .icv_bits = { 128 } },
	{ .name = "cbc(aes)", .kind = ALG_ENC, .geniv = true,
	  .key_lens = { 16, 24, 32 } },
	{ .name = "ecb(cipher_null)", .kind = ALG_ENC },
	{ .name = "hmac(sha1)", .kind = ALG_AUTH, .any_key_len = true,
	  .full_bits = 160, .default_bits = 96 },
	{ .name = "hmac(sha256)", .kind = ALG_AUTH, .any_key_len = true,
	  .full_bits = 256, .default_bits = 96 },
	{ .name = "hmac(sha384)", .kind = ALG_AUTH, .any_key_len = true,
	  .full_bits = 384, .default_bits = 192 },
	{ .name = "hmac(sha512)", .kind = ALG_AUTH, .any_key_len = true,
	  .full_bits = 512, .default_bits = 256 },
};

static const struct alg_desc *alg_find(const char *name, int kind)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(algs); i++)
		if (algs[i].kind == kind && !strcmp(algs[i].name, name))
			return &algs[i];
	return NULL;
}

static bool key_ok(const struct alg_desc *d, uint32_t len)
{
	int i;

	if (d->any_key_len)
		return len <= 128;
	for (i = 0; i < 3; i++)
		if (d->key_lens[i] == len && (len || i == 0))
			return true;
	return false;
}

static bool aead_icv_ok(const struct alg_desc *d, uint32_t bits)
{
	int i;

	for (i = 0; i < 3; i++)
		if (d->icv_bits[i] && d->icv_bits[i] == bits)
			return true;
	return false;
}

/* ------------------------------------------------------------------------
 * The model
 */

struct m_alg {
	bool on;
	char name[128];
	uint32_t key_len;
	uint8_t key[512];
	uint32_t icv;		/* as reported; 0: not reported */
};

struct m_sa {
	bool live;
	uint32_t id, spi, flags, replay;
	uint8_t mode, family, dscp, ttl, encap;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint64_t lft[2][3];	/* soft, hard: bytes, packets, seconds */
	uint64_t seq_out, seq_in;
	bool seq_in_seen;	/* observed: SEQ_IN was reported */
	struct m_alg alg[3];
	int owner;		/* the protection using it; -1: none */
	int policy_users;
};

struct m_prot {
	bool live;
	int dev;
	uint8_t family;		/* of the peer: 0 (p2p), 4 or 6 */
	uint8_t peer[16];
	bool has_tx;
	uint32_t tx;
	int n_rx;
	uint32_t rx[MAX_RX];
};

struct m_spd {
	bool live;
	uint32_t id;
	uint64_t next_order;
};

/* struct ipsecif_ukey: an address in host order, IPv4 in lo */
struct ukey {
	uint64_t hi, lo;
};

struct m_pol {
	bool live;
	uint32_t spd;
	uint64_t order;
	int32_t prio;
	uint8_t dir, action, proto, family;
	bool has_sa;
	uint32_t sa;
	struct ukey ls, le, rs, re;
	uint16_t lps, lpe, rps, rpe;
};

static struct m_sa sas[MAX_SA];
static struct m_prot prots[MAX_PROT];
static struct m_spd spds[MAX_SPD];
static struct m_pol pols[MAX_POL];

static uint32_t spi_base(void)
{
	return opt.id_base * 256;
}

static bool own_sa(uint32_t id)
{
	return !opt.shared || id - opt.id_base < SA_POOL;
}

static bool own_spi(uint32_t spi)
{
	return !opt.shared || spi - spi_base() < SPI_POOL;
}

static bool own_spd(uint32_t id)
{
	return !opt.shared || id - opt.id_base < SPD_POOL;
}

/* The ids the generator draws from; alone in the netns, 0 and ~0 too. */
static uint32_t pool_sa(unsigned int i)
{
	if (!opt.shared && i == SA_POOL - 2)
		return 0;
	if (!opt.shared && i == SA_POOL - 1)
		return UINT32_MAX;
	return opt.id_base + i;
}

static uint32_t pool_spi(unsigned int i)
{
	if (!opt.shared && i == SPI_POOL - 2)
		return 1;
	if (!opt.shared && i == SPI_POOL - 1)
		return UINT32_MAX;
	return spi_base() + i;
}

static uint32_t pool_spd(unsigned int i)
{
	if (!opt.shared && i == SPD_POOL - 2)
		return 0;
	if (!opt.shared && i == SPD_POOL - 1)
		return UINT32_MAX;
	return opt.id_base + i;
}

static struct m_sa *sa_find(uint32_t id)
{
	int i;

	for (i = 0; i < MAX_SA; i++)
		if (sas[i].live && sas[i].id == id)
			return &sas[i];
	return NULL;
}

static struct m_sa *sa_find_spi(uint32_t spi)
{
	int i;

	for (i = 0; i < MAX_SA; i++)
		if (sas[i].live && sas[i].spi == spi)
			return &sas[i];
	return NULL;
}

static int sa_count(void)
{
	int i, n = 0;

	for (i = 0; i < MAX_SA; i++)
		n += sas[i].live;
	return n;
}

static struct m_spd *spd_find(uint32_t id)
{
	int i;

	for (i = 0; i < MAX_SPD; i++)
		if (spds[i].live && spds[i].id == id)
			return &spds[i];
	return NULL;
}

static int prot_find(int dev, uint8_t family, const uint8_t *peer)
{
	int i;

	for (i = 0; i < MAX_PROT; i++)
		if (prots[i].live && prots[i].dev == dev &&
		    prots[i].family == family &&
		    !memcmp(prots[i].peer, peer, 16))
			return i;
	return -1;
}

static int spd_policies(uint32_t id)
{
	int i, n = 0;

	for (i = 0; i < MAX_POL; i++)
		n += pols[i].live && pols[i].spd == id;
	return n;
}

static bool spd_attached(uint32_t id)
{
	int i;

	for (i = 0; i < n_devs; i++)
		if (devs[i].attached && devs[i].spd == id)
			return true;
	return false;
}

static int ukey_cmp(const struct ukey *a, const struct ukey *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

static uint64_t be64_get(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static struct ukey ukey_from(const uint8_t *b, int len)
{
	struct ukey k = {};

	if (len == 4) {
		k.lo = (uint64_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	} else {
		k.hi = be64_get(b);
		k.lo = be64_get(b + 8);
	}
	return k;
}

static bool pol_same(const struct m_pol *a, const struct m_pol *b)
{
	return a->dir == b->dir && a->prio == b->prio &&
	       a->family == b->family && a->proto == b->proto &&
	       !ukey_cmp(&a->ls, &b->ls) && !ukey_cmp(&a->le, &b->le) &&
	       !ukey_cmp(&a->rs, &b->rs) && !ukey_cmp(&a->re, &b->re) &&
	       a->lps == b->lps && a->lpe == b->lpe &&
	       a->rps == b->rps && a->rpe == b->rpe;
}

static int pol_find_same(uint32_t spd, const struct m_pol *key)
{
	int i;

	for (i = 0; i < MAX_POL; i++)
		if (pols[i].live && pols[i].spd == spd &&
		    pol_same(&pols[i], key))
			return i;
	return -1;
}

/* ------------------------------------------------------------------------
 * Requests as the handlers read them
 */

struct alg_req {
	bool has_name, has_key, has_icv;
	char name[128];
	int key_len;
	uint8_t key[512];
	uint32_t icv;
};

struct sa_req {
	bool nest;
	bool has[SA_TB];
	uint32_t id, spi, flags, replay;
	uint8_t mode, dscp, ttl;
	uint8_t src[16], dst[16], src6[16], dst6[16];
	struct alg_req alg[3];
	bool encap_has_type, encap_has_sport, encap_has_dport;
	uint8_t encap_type;
	uint16_t sport, dport;
	bool lft_has[2][3];
	uint64_t lft[2][3];
	uint64_t seq_out, seq_in;
};

struct prot_req {
	bool nest, has_peer, has_peer6, has_tx;
	uint8_t peer[16], peer6[16];
	uint32_t tx;
	int n_rx;		/* RX_SA attributes (the first 5 kept) */
	uint32_t rx[MAX_RX + 1];
};

struct spd_req {
	bool nest, has_id;
	uint32_t id;
};

enum { SEL_LS, SEL_LE, SEL_RS, SEL_RE };	/* local/remote start/end */

static const int addr_attr[] = {
	IPSECIF_POLICY_A_LOCAL_START, IPSECIF_POLICY_A_LOCAL_END,
	IPSECIF_POLICY_A_REMOTE_START, IPSECIF_POLICY_A_REMOTE_END,
};

static const int port_attr[] = {
	IPSECIF_POLICY_A_LPORT_START, IPSECIF_POLICY_A_LPORT_END,
	IPSECIF_POLICY_A_RPORT_START, IPSECIF_POLICY_A_RPORT_END,
};

struct pol_req {
	bool nest, has_prio, has_dir, has_action, has_sa, has_proto;
	int32_t prio;
	uint8_t dir, action, proto;
	uint32_t sa;
	int alen[4];		/* 0: absent */
	uint8_t addr[4][16];
	bool has_port[4];
	uint16_t port[4];
};

struct req {
	uint8_t cmd;
	bool dump;
	bool has_ifindex, has_ifname;
	uint32_t ifindex;
	char ifname[IFNAMSZ + 1];	/* the C string */
	uint8_t ifname_raw[IFNAMSZ + 1];
	int ifname_len;
	struct sa_req sa;
	struct prot_req prot;
	struct spd_req spd;
	struct pol_req pol;
};

static void fill_alg(const struct attr *nest, struct alg_req *a)
{
	struct attr tb[IPSECIF_ALG_A_MAX + 1];

	parse(nest->d, nest->len, tb, IPSECIF_ALG_A_MAX);
	a->has_name = has(&tb[IPSECIF_ALG_A_NAME]);
	gstr(&tb[IPSECIF_ALG_A_NAME], a->name, sizeof(a->name));
	a->has_key = has(&tb[IPSECIF_ALG_A_KEY]);
	a->key_len = tb[IPSECIF_ALG_A_KEY].len;
	if (a->key_len > (int)sizeof(a->key))
		a->key_len = sizeof(a->key);
	if (a->has_key)
		memcpy(a->key, tb[IPSECIF_ALG_A_KEY].d, a->key_len);
	a->has_icv = has(&tb[IPSECIF_ALG_A_ICV_LEN]);
	if (a->has_icv)
		a->icv = g32(&tb[IPSECIF_ALG_A_ICV_LEN]);
}

static void fill_sa(const struct attr *nest, struct sa_req *s)
{
	struct attr tb[SA_TB], etb[IPSECIF_ENCAP_A_MAX + 1];
	struct attr ltb[IPSECIF_LIFETIME_A_MAX + 1];
	int i, k;

	s->nest = true;
	parse(nest->d, nest->len, tb, IPSECIF_SA_A_MAX);
	for (i = 1; i <= IPSECIF_SA_A_MAX; i++)
		s->has[i] = has(&tb[i]);
	s->id = g32(&tb[IPSECIF_SA_A_ID]);
	s->spi = g32(&tb[IPSECIF_SA_A_SPI]);
	s->mode = g8(&tb[IPSECIF_SA_A_MODE]);
	s->flags = g32(&tb[IPSECIF_SA_A_FLAGS]);
	s->replay = g32(&tb[IPSECIF_SA_A_REPLAY_WINDOW]);
	s->dscp = g8(&tb[IPSECIF_SA_A_DSCP]);
	s->ttl = g8(&tb[IPSECIF_SA_A_TTL]);
	gcopy(&tb[IPSECIF_SA_A_SRC], s->src, 16);
	gcopy(&tb[IPSECIF_SA_A_DST], s->dst, 16);
	gcopy(&tb[IPSECIF_SA_A_SRC6], s->src6, 16);
	gcopy(&tb[IPSECIF_SA_A_DST6], s->dst6, 16);
	for (i = 0; i < 3; i++)
		if (has(&tb[alg_attr[i]]))
			fill_alg(&tb[alg_attr[i]], &s->alg[i]);
	if (has(&tb[IPSECIF_SA_A_ENCAP])) {
		parse(tb[IPSECIF_SA_A_ENCAP].d, tb[IPSECIF_SA_A_ENCAP].len,
		      etb, IPSECIF_ENCAP_A_MAX);
		s->encap_has_type = has(&etb[IPSECIF_ENCAP_A_TYPE]);
		s->encap_has_sport = has(&etb[IPSECIF_ENCAP_A_SPORT]);
		s->encap_has_dport = has(&etb[IPSECIF_ENCAP_A_DPORT]);
		s->encap_type = g8(&etb[IPSECIF_ENCAP_A_TYPE]);
		s->sport = g16(&etb[IPSECIF_ENCAP_A_SPORT]);
		s->dport = g16(&etb[IPSECIF_ENCAP_A_DPORT]);
	}
	for (k = 0; k < 2; k++) {
		const struct attr *l = &tb[k ? IPSECIF_SA_A_LIFETIME_HARD :
					    IPSECIF_SA_A_LIFETIME_SOFT];

		if (!has(l))
			continue;
		parse(l->d, l->len, ltb, IPSECIF_LIFETIME_A_MAX);
		for (i = 0; i < 3; i++) {
			int t = IPSECIF_LIFETIME_A_BYTES + i;

			s->lft_has[k][i] = has(&ltb[t]);
			s->lft[k][i] = g64(&ltb[t]);
		}
	}
	s->seq_out = g64(&tb[IPSECIF_SA_A_SEQ_OUT]);
	if (HAVE_SEQ_IN)
		s->seq_in = g64(&tb[SA_A_SEQ_IN]);
}

/* tb[] of the nest, and its RX_SA attributes in order as
 * nla_for_each_nested() finds them.
 */
static void fill_prot(const struct attr *nest, struct prot_req *p)
{
	struct attr tb[IPSECIF_PROTECT_A_MAX + 1];
	const uint8_t *d = nest->d;
	int rem = nest->len;
	struct nlattr h;

	p->nest = true;
	parse(nest->d, nest->len, tb, IPSECIF_PROTECT_A_MAX);
	p->has_peer = has(&tb[IPSECIF_PROTECT_A_PEER]);
	p->has_peer6 = has(&tb[IPSECIF_PROTECT_A_PEER6]);
	gcopy(&tb[IPSECIF_PROTECT_A_PEER], p->peer, 16);
	gcopy(&tb[IPSECIF_PROTECT_A_PEER6], p->peer6, 16);
	p->has_tx = has(&tb[IPSECIF_PROTECT_A_TX_SA]);
	p->tx = g32(&tb[IPSECIF_PROTECT_A_TX_SA]);
	while (rem >= NLA_HDRLEN) {
		memcpy(&h, d, sizeof(h));
		if (h.nla_len < NLA_HDRLEN || h.nla_len > rem)
			break;
		if ((h.nla_type & TYPE_MASK) == IPSECIF_PROTECT_A_RX_SA) {
			struct attr a = { d + NLA_HDRLEN,
					  h.nla_len - NLA_HDRLEN };

			if (p->n_rx <= MAX_RX)
				p->rx[p->n_rx] = g32(&a);
			p->n_rx++;
		}
		d += NLA_ALIGN(h.nla_len);
		rem -= NLA_ALIGN(h.nla_len);
	}
}

static void fill_pol(const struct attr *nest, struct pol_req *p)
{
	struct attr tb[IPSECIF_POLICY_A_MAX + 1];
	int i;

	p->nest = true;
	parse(nest->d, nest->len, tb, IPSECIF_POLICY_A_MAX);
	p->has_prio = has(&tb[IPSECIF_POLICY_A_PRIORITY]);
	p->prio = (int32_t)g32(&tb[IPSECIF_POLICY_A_PRIORITY]);
	p->has_dir = has(&tb[IPSECIF_POLICY_A_DIR]);
	p->dir = g8(&tb[IPSECIF_POLICY_A_DIR]);
	p->has_action = has(&tb[IPSECIF_POLICY_A_ACTION]);
	p->action = g8(&tb[IPSECIF_POLICY_A_ACTION]);
	p->has_sa = has(&tb[IPSECIF_POLICY_A_SA_ID]);
	p->sa = g32(&tb[IPSECIF_POLICY_A_SA_ID]);
	p->has_proto = has(&tb[IPSECIF_POLICY_A_PROTO]);
	p->proto = g8(&tb[IPSECIF_POLICY_A_PROTO]);
	for (i = 0; i < 4; i++) {
		const struct attr *a = &tb[addr_attr[i]];

		p->alen[i] = has(a) ? a->len : 0;
		gcopy(a, p->addr[i], 16);
		p->has_port[i] = has(&tb[port_attr[i]]);
		p->port[i] = g16(&tb[port_attr[i]]);
	}
}

static void fill_req(struct req *r, uint8_t cmd, bool dump,
		     const struct attr *tb)
{
	const struct attr *n = &tb[IPSECIF_A_IFNAME];

	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	r->dump = dump;
	r->has_ifindex = has(&tb[IPSECIF_A_IFINDEX]);
	r->ifindex = g32(&tb[IPSECIF_A_IFINDEX]);
	r->has_ifname = has(n);
	gstr(n, r->ifname, sizeof(r->ifname));
	r->ifname_len = n->len > IFNAMSZ + 1 ? IFNAMSZ + 1 : n->len;
	if (r->has_ifname)
		memcpy(r->ifname_raw, n->d, r->ifname_len);
	if (has(&tb[IPSECIF_A_SA]))
		fill_sa(&tb[IPSECIF_A_SA], &r->sa);
	if (has(&tb[IPSECIF_A_PROTECT]))
		fill_prot(&tb[IPSECIF_A_PROTECT], &r->prot);
	if (has(&tb[IPSECIF_A_SPD])) {
		struct attr stb[IPSECIF_SPD_A_MAX + 1];

		r->spd.nest = true;
		parse(tb[IPSECIF_A_SPD].d, tb[IPSECIF_A_SPD].len, stb,
		      IPSECIF_SPD_A_MAX);
		r->spd.has_id = has(&stb[IPSECIF_SPD_A_ID]);
		r->spd.id = g32(&stb[IPSECIF_SPD_A_ID]);
	}
	if (has(&tb[IPSECIF_A_POLICY]))
		fill_pol(&tb[IPSECIF_A_POLICY], &r->pol);
}

/* ipsecif_nl_dev() and ipsecif_nl_any_dev(): IFINDEX, else IFNAME. */
static struct devref req_dev(const struct req *r)
{
	struct devref none = { .kind = DR_NONE, .dev = -1 };

	if (r->has_ifindex)
		return dev_by_index(r->ifindex);
	if (r->has_ifname)
		return dev_by_name(r->ifname);
	return none;
}

/* ------------------------------------------------------------------------
 * Predictions: each handler's checks, in its order
 */

enum { EXP_NONE, EXP_ACK, EXP_REPLY, EXP_DUMP };
enum { STAGE_OK, STAGE_FRAMING, STAGE_HEADER, STAGE_POLICY, STAGE_HANDLER };

struct expect {
	uint32_t seq;
	int kind;
	int err;		/* ACK: the errno; DUMP: NLMSG_DONE's */
	int stage;		/* where a refusal comes from */
	bool mutated;		/* a mutation made this request */
	bool unsafe;		/* would touch what is not ours */
	bool parsed;		/* passed the policies: req is meaningful */
	bool noop;		/* not processed (no NLM_F_REQUEST, control) */
	const char *doc;	/* the uapi, where the code may differ */
	struct req req;
};

/* ipsecif_sa_parse_endpoints() */
static int sa_endpoints(const struct sa_req *s, uint8_t mode, struct m_sa *n,
			bool update)
{
	bool v4 = s->has[IPSECIF_SA_A_SRC] || s->has[IPSECIF_SA_A_DST];
	bool v6 = s->has[IPSECIF_SA_A_SRC6] || s->has[IPSECIF_SA_A_DST6];

	if (mode == IPSECIF_SA_MODE_TRANSPORT)
		return v4 || v6 ? -EINVAL : 0;
	if (update && !v4 && !v6)
		return 0;
	if (v4 && v6)
		return -EINVAL;
	if (!s->has[v6 ? IPSECIF_SA_A_SRC6 : IPSECIF_SA_A_SRC] ||
	    !s->has[v6 ? IPSECIF_SA_A_DST6 : IPSECIF_SA_A_DST])
		return -EINVAL;
	n->family = v6 ? 6 : 4;
	memcpy(n->src, v6 ? s->src6 : s->src, 16);
	memcpy(n->dst, v6 ? s->dst6 : s->dst, 16);
	return 0;
}

/* ipsecif_sa_parse_path(): what is left out stays */
static int sa_path(const struct sa_req *s, struct m_sa *n)
{
	if (s->has[IPSECIF_SA_A_FLAGS]) {
		if ((s->flags & F_DF_BOTH) == F_DF_BOTH)
			return -EINVAL;
		n->flags = (n->flags & F_FIXED) | (s->flags & F_PATH);
	}
	if (s->has[IPSECIF_SA_A_DSCP])
		n->dscp = s->dscp;
	if (s->has[IPSECIF_SA_A_TTL])
		n->ttl = s->ttl;
	if (!s->has[IPSECIF_SA_A_ENCAP])
		return 0;
	if (!s->encap_has_type)
		return -EINVAL;
	n->encap = s->encap_type;
	if (n->encap && n->encap != ESPINUDP)
		return -EINVAL;
	if (!n->encap) {
		n->sport = 0;
		n->dport = 0;
		return 0;
	}
	if (!s->encap_has_sport || !s->encap_has_dport || !s->sport ||
	    !s->dport)
		return -EINVAL;
	n->sport = s->sport;
	n->dport = s->dport;
	return 0;
}

/* ipsecif_alg_parse(); fills @m even where it fails */
static int sa_alg(const struct alg_req *a, int kind, struct m_alg *m,
		  const struct alg_desc **descp)
{
	const struct alg_desc *d;

	memset(m, 0, sizeof(*m));
	m->on = true;
	snprintf(m->name, sizeof(m->name), "%s", a->name);
	m->key_len = a->key_len;
	memcpy(m->key, a->key, a->key_len);
	m->icv = a->has_icv ? a->icv : 0;
	*descp = NULL;
	if (!a->has_name || !a->has_key)
		return -EINVAL;
	d = alg_find(a->name, kind);
	if (!d)
		return -ENOENT;
	*descp = d;
	if (!key_ok(d, a->key_len))
		return -EINVAL;
	if (kind == ALG_ENC && a->has_icv)
		return -EINVAL;
	if (kind == ALG_AEAD && !aead_icv_ok(d, m->icv))
		return -EINVAL;
	if (kind == ALG_AUTH) {
		if (!a->has_icv)
			m->icv = d->default_bits;
		if (m->icv < 64 || m->icv > d->full_bits || m->icv % 8)
			return -EINVAL;
	}
	return 0;
}

/* ipsecif_sa_init_crypto() */
static int sa_crypto(const struct sa_req *s, struct m_sa *n)
{
	bool on[3];
	const struct alg_desc *d[3] = {};
	int err[3] = {}, i;

	for (i = 0; i < 3; i++) {
		on[i] = s->has[alg_attr[i]];
		if (on[i])
			err[i] = sa_alg(&s->alg[i], i, &n->alg[i], &d[i]);
	}
	if (on[ALG_AEAD] && (on[ALG_ENC] || on[ALG_AUTH]))
		return -EINVAL;
	if (!on[ALG_AEAD] && on[ALG_AUTH] && !on[ALG_ENC])
		return -EINVAL;
	if (!on[ALG_AEAD] && !on[ALG_ENC])
		return -EINVAL;
	if (on[ALG_AEAD])
		return err[ALG_AEAD];
	if (err[ALG_ENC])
		return err[ALG_ENC];
	if (on[ALG_AUTH])
		return err[ALG_AUTH];
	return d[ALG_ENC]->geniv ? 0 : -EINVAL;
}

static void sa_lifetimes(const struct sa_req *s, struct m_sa *n)
{
	int k, i;

	for (k = 0; k < 2; k++) {
		if (!s->has[k ? IPSECIF_SA_A_LIFETIME_HARD :
			    IPSECIF_SA_A_LIFETIME_SOFT])
			continue;
		for (i = 0; i < 3; i++)
			n->lft[k][i] = s->lft_has[k][i] ? s->lft[k][i] : 0;
	}
}

/* ipsecif_sa_create(): the SA it would add, and its verdict */
static int sa_new_build(struct expect *e, struct m_sa *n)
{
	const struct sa_req *s = &e->req.sa;
	bool esn = s->has[IPSECIF_SA_A_FLAGS] && (s->flags & F_ESN);
	int r_end, r_path, r_crypto;

	memset(n, 0, sizeof(*n));
	n->live = true;
	n->owner = -1;
	n->id = s->id;
	n->spi = s->spi;
	n->replay = s->has[IPSECIF_SA_A_REPLAY_WINDOW] ? s->replay : 64;
	n->mode = s->has[IPSECIF_SA_A_MODE] ? s->mode : 0;
	n->flags = s->has[IPSECIF_SA_A_FLAGS] ? s->flags & F_FIXED : 0;
	n->seq_out = s->seq_out;
	n->seq_in = s->seq_in;
	r_end = sa_endpoints(s, n->mode, n, false);
	r_path = sa_path(s, n);
	r_crypto = sa_crypto(s, n);
	sa_lifetimes(s, n);

	if (!s->has[IPSECIF_SA_A_ID] || !s->has[IPSECIF_SA_A_SPI] || !s->spi)
		return -EINVAL;
	if (!own_sa(s->id))
		e->unsafe = true;
	if (sa_find(s->id))
		return -EEXIST;
	if (!own_spi(s->spi))
		e->unsafe = true;
	if (sa_find_spi(s->spi))
		return -EEXIST;
	if (s->has[IPSECIF_SA_A_SEQ_OUT] && !esn && s->seq_out > UINT32_MAX)
		return -ERANGE;
	if (s->has[SA_A_SEQ_IN] && !esn && s->seq_in > UINT32_MAX)
		return -ERANGE;
	return r_end ?: r_path ?: r_crypto;
}

static const int sa_fixed_attrs[] = {
	IPSECIF_SA_A_SPI, IPSECIF_SA_A_MODE, IPSECIF_SA_A_AEAD,
	IPSECIF_SA_A_ENC, IPSECIF_SA_A_AUTH, IPSECIF_SA_A_REPLAY_WINDOW,
	IPSECIF_SA_A_SEQ_OUT, SA_A_SEQ_IN,
};

/* ipsecif_sa_update(): the SA as it would become, and the verdict */
static int sa_update_build(struct expect *e, struct m_sa *n)
{
	const struct sa_req *s = &e->req.sa;
	struct m_sa *sa = s->has[IPSECIF_SA_A_ID] ? sa_find(s->id) : NULL;
	int r_end = 0, r_path = 0;
	unsigned int i;

	memset(n, 0, sizeof(*n));
	if (sa) {
		*n = *sa;
		r_end = sa_endpoints(s, sa->mode, n, true);
		r_path = sa_path(s, n);
		sa_lifetimes(s, n);
	}
	if (!s->has[IPSECIF_SA_A_ID])
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(sa_fixed_attrs); i++)
		if (s->has[sa_fixed_attrs[i]])
			return -EINVAL;
	if (!own_sa(s->id))
		e->unsafe = true;
	if (!sa)
		return -ENOENT;
	if (s->has[IPSECIF_SA_A_FLAGS] &&
	    (s->flags & F_FIXED) != (sa->flags & F_FIXED))
		return -EINVAL;
	if (r_end || r_path)
		return r_end ?: r_path;
	if (n->encap && sa->policy_users)
		return -EOPNOTSUPP;
	return 0;
}

/* ipsecif_nl_sa_id() */
static int p_sa_id(struct expect *e, struct m_sa **sa)
{
	const struct sa_req *s = &e->req.sa;

	*sa = NULL;
	if (!s->nest || !s->has[IPSECIF_SA_A_ID])
		return -EINVAL;
	if (!own_sa(s->id))
		e->unsafe = true;
	*sa = sa_find(s->id);
	return 0;
}

struct prot_plan {
	int dev;
	uint8_t family;
	uint8_t peer[16];
	int old;
	struct m_prot new;
};

/* ipsecif_protect_get_sa() */
static int protect_get_sa(struct expect *e, uint32_t id, int old,
			  struct m_sa **out)
{
	struct m_sa *sa;

	if (!own_sa(id))
		e->unsafe = true;
	sa = sa_find(id);
	*out = sa;
	if (!sa)
		return -ENOENT;
	if (sa->owner >= 0 && sa->owner != old)
		return -EBUSY;
	if (sa->policy_users)
		return -EBUSY;
	return 0;
}

/* ipsecif_protect_check_tx() and _check_rx() */
static int protect_mode(const struct dev *dev, const struct m_sa *sa)
{
	return !dev->ipip && sa->mode != IPSECIF_SA_MODE_TUNNEL ? -EINVAL : 0;
}

/* ipsecif_nl_protect_change(), ipsecif_protect_set() and _del(): the
 * protection the set would make (built whole, even where refused).
 */
static int protect_build(struct expect *e, bool set, struct prot_plan *pl)
{
	const struct req *r = &e->req;
	const struct prot_req *p = &r->prot;
	const struct dev *dev;
	struct devref d;
	struct m_sa *sa;
	int i, j, err;

	memset(pl, 0, sizeof(*pl));
	pl->dev = -1;
	pl->old = -1;
	if (!p->nest)
		return -EINVAL;
	if (!r->has_ifindex && !r->has_ifname)
		return -EINVAL;
	d = req_dev(r);
	if (d.kind == DR_MISSING) {
		/* another fuzzer's interface made since we looked? */
		if (opt.shared && !d.never)
			e->unsafe = true;
		return -ENODEV;
	}
	if (d.kind == DR_FOREIGN) {
		if (d.ipsecif)
			e->unsafe = true;
		return -EOPNOTSUPP;
	}
	dev = &devs[d.dev];
	if (!dev->ipsecif)
		return -EOPNOTSUPP;
	pl->dev = d.dev;
	if (!dev->p2mp) {
		if (p->has_peer || p->has_peer6)
			return -EINVAL;
	} else {
		if (!p->has_peer && !p->has_peer6)
			return -EINVAL;
		if (p->has_peer && p->has_peer6)
			return -EINVAL;
		pl->family = p->has_peer ? 4 : 6;
		memcpy(pl->peer, p->has_peer ? p->peer : p->peer6, 16);
	}
	pl->old = prot_find(pl->dev, pl->family, pl->peer);
	if (!set)
		return pl->old < 0 ? -ENOENT : 0;

	pl->new.live = true;
	pl->new.dev = pl->dev;
	pl->new.family = pl->family;
	memcpy(pl->new.peer, pl->peer, 16);
	pl->new.has_tx = p->has_tx;
	pl->new.tx = p->tx;
	for (i = 0; i < p->n_rx && pl->new.n_rx < MAX_RX; i++)
		pl->new.rx[pl->new.n_rx++] = p->rx[i];

	if (p->has_tx) {
		err = protect_get_sa(e, p->tx, pl->old, &sa) ?:
		      protect_mode(dev, sa);
		if (err)
			return err;
	}
	/* ipsecif_protect_fill_sas(): each RX_SA in order */
	for (i = 0; i < p->n_rx; i++) {
		if (i == MAX_RX)
			return -E2BIG;
		err = protect_get_sa(e, p->rx[i], pl->old, &sa);
		if (err)
			return err;
		for (j = 0; j < i; j++)
			if (p->rx[j] == p->rx[i])
				return -EINVAL;
		err = protect_mode(dev, sa);
		if (err)
			return err;
	}
	return 0;
}

static int p_spd_id(const struct req *r, uint32_t *id)
{
	if (!r->spd.nest || !r->spd.has_id)
		return -EINVAL;
	*id = r->spd.id;
	return 0;
}

/* ipsecif_nl_spd() */
static int p_spd(struct expect *e, struct m_spd **spd)
{
	uint32_t id = 0;
	int err = p_spd_id(&e->req, &id);

	*spd = NULL;
	if (err)
		return err;
	if (!own_spd(id))
		e->unsafe = true;
	*spd = spd_find(id);
	return *spd ? 0 : -ENOENT;
}

/* ipsecif_nl_any_dev() for SPD_ATTACH and SPD_DETACH */
static int p_any_dev(struct expect *e, struct dev **dev)
{
	struct devref d = req_dev(&e->req);

	*dev = NULL;
	if (d.kind == DR_MISSING && opt.shared && !d.never)
		e->unsafe = true;
	if (d.kind == DR_NONE)
		return -EINVAL;
	if (d.kind == DR_MISSING)
		return -ENODEV;
	if (d.kind == DR_FOREIGN) {
		e->unsafe = true;
		return -ENODEV;
	}
	*dev = &devs[d.dev];
	return 0;
}

/* ipsecif_policy_range() */
static int pol_range(const struct pol_req *p, int s, struct ukey *start,
		     struct ukey *end, uint8_t *family)
{
	int sl = p->alen[s], el = p->alen[s + 1] ? p->alen[s + 1] : sl;
	const uint8_t *eb = p->alen[s + 1] ? p->addr[s + 1] : p->addr[s];
	uint8_t f;

	if (!sl) {
		if (p->alen[s + 1])
			return -EINVAL;
		start->hi = 0;
		start->lo = 0;
		end->hi = UINT64_MAX;
		end->lo = UINT64_MAX;
		return 0;
	}
	if (sl != el)
		return -EINVAL;
	f = sl == 4 ? 4 : 6;
	if (*family && *family != f)
		return -EINVAL;
	*family = f;
	*start = ukey_from(p->addr[s], sl);
	*end = ukey_from(eb, el);
	return ukey_cmp(start, end) > 0 ? -EINVAL : 0;
}

/* ipsecif_policy_ports() */
static int pol_ports(const struct pol_req *p, int s, uint16_t *start,
		     uint16_t *end)
{
	bool hs = p->has_port[s], he = p->has_port[s + 1];

	if (!hs && he)
		return -EINVAL;
	*start = hs ? p->port[s] : 0;
	*end = he ? p->port[s + 1] : hs ? *start : 0xffff;
	return *start > *end ? -EINVAL : 0;
}

static bool proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 1 ||
	       proto == 58;
}

static bool ports_any(const struct m_pol *n)
{
	return n->lps == 0 && n->lpe == 0xffff && n->rps == 0 &&
	       n->rpe == 0xffff;
}

/* ipsecif_policy_parse() */
static int pol_build(struct expect *e, bool del, struct m_pol *n)
{
	const struct pol_req *p = &e->req.pol;
	int err;

	memset(n, 0, sizeof(*n));
	n->live = true;
	n->prio = p->prio;
	n->dir = p->dir;
	n->action = p->has_action ? p->action : 0;
	n->proto = p->has_proto ? p->proto : 0;
	n->has_sa = p->has_sa && n->action == IPSECIF_POLICY_PROTECT;
	n->sa = p->sa;
	if (!p->has_prio || !p->has_dir || (!del && !p->has_action))
		return -EINVAL;
	err = pol_range(p, SEL_LS, &n->ls, &n->le, &n->family) ?:
	      pol_range(p, SEL_RS, &n->rs, &n->re, &n->family) ?:
	      pol_ports(p, SEL_LS, &n->lps, &n->lpe) ?:
	      pol_ports(p, SEL_RS, &n->rps, &n->rpe);
	if (err)
		return err;
	if (n->family == 4) {
		if (!p->alen[SEL_LS])
			n->le = (struct ukey){ 0, UINT32_MAX };
		if (!p->alen[SEL_RS])
			n->re = (struct ukey){ 0, UINT32_MAX };
	}
	if (!ports_any(n) && !proto_has_ports(n->proto))
		return -EINVAL;
	if (del)
		return 0;
	if (n->action == IPSECIF_POLICY_RESOLVE)
		return -EOPNOTSUPP;
	if (n->action != IPSECIF_POLICY_PROTECT)
		return p->has_sa ? -EINVAL : 0;
	if (!p->has_sa)
		return -EINVAL;
	if (!own_sa(p->sa))
		e->unsafe = true;
	return sa_find(p->sa) ? 0 : -ENOENT;
}

/* ipsecif_policy_del(): the policy it would delete */
static int pol_del_find(struct expect *e, const struct m_pol *key)
{
	const struct pol_req *p = &e->req.pol;
	int i = pol_find_same(e->req.spd.id, key);

	if (i >= 0 && p->has_action && pols[i].action != p->action)
		i = -1;
	if (i >= 0 && p->has_sa && (!pols[i].has_sa || pols[i].sa != p->sa))
		i = -1;
	return i;
}

static int predict_policy(struct expect *e, bool add)
{
	struct m_spd *spd;
	struct m_pol n;
	struct m_sa *sa;
	int err;

	if (!e->req.pol.nest)
		return -EINVAL;
	err = p_spd(e, &spd);
	if (err)
		return err;
	err = pol_build(e, !add, &n);
	if (err)
		return err;
	if (!add)
		return pol_del_find(e, &n) < 0 ? -ENOENT : 0;
	sa = n.has_sa ? sa_find(n.sa) : NULL;
	if (sa && sa->owner >= 0)
		return -EBUSY;
	if (sa && sa->encap)
		return -EOPNOTSUPP;
	return pol_find_same(spd->id, &n) >= 0 ? -EEXIST : 0;
}

static int predict_spd(struct expect *e)
{
	struct req *r = &e->req;
	struct m_spd *spd = NULL;
	struct dev *dev;
	uint32_t id = 0;
	int err;

	switch (r->cmd) {
	case IPSECIF_CMD_SPD_NEW:
		err = p_spd_id(r, &id);
		if (err)
			return err;
		if (!own_spd(id))
			e->unsafe = true;
		return spd_find(id) ? -EEXIST : 0;
	case IPSECIF_CMD_SPD_DEL:
		err = p_spd(e, &spd);
		if (err)
			return err;
		return spd_attached(spd->id) ? -EBUSY : 0;
	case IPSECIF_CMD_SPD_GET:
		err = p_spd(e, &spd);
		if (!err)
			e->kind = EXP_REPLY;
		return err;
	case IPSECIF_CMD_SPD_ATTACH:
		err = p_spd(e, &spd) ?: p_any_dev(e, &dev);
		if (err)
			return err;
		return dev->attached ? -EBUSY : 0;
	case IPSECIF_CMD_SPD_DETACH:
		if (r->spd.nest) {
			err = p_spd(e, &spd);
			if (err)
				return err;
		}
		err = p_any_dev(e, &dev);
		if (err)
			return err;
		if (!dev->attached)
			return -ENOENT;
		if (spd && dev->spd != spd->id) {
			e->doc = "uapi: SPD_DETACH's IPSECIF_A_SPD/ID, if present, must be the attached SPD";
			return -ENOENT;
		}
		return 0;
	}
	return -EOPNOTSUPP;
}

static int predict_sa(struct expect *e)
{
	struct m_sa *sa, n;
	int err, i;

	switch (e->req.cmd) {
	case IPSECIF_CMD_SA_NEW:
		if (!e->req.sa.nest)
			return -EINVAL;
		return sa_new_build(e, &n);
	case IPSECIF_CMD_SA_UPDATE:
		if (!e->req.sa.nest)
			return -EINVAL;
		return sa_update_build(e, &n);
	case IPSECIF_CMD_SA_DEL:
		err = p_sa_id(e, &sa);
		if (err)
			return err;
		if (!sa)
			return -ENOENT;
		return sa->owner >= 0 || sa->policy_users ? -EBUSY : 0;
	case IPSECIF_CMD_SA_GET:
		err = p_sa_id(e, &sa);
		if (err)
			return err;
		if (!sa)
			return -ENOENT;
		e->kind = EXP_REPLY;
		return 0;
	case IPSECIF_CMD_SA_FLUSH:
		if (opt.shared)
			e->unsafe = true;
		for (i = 0; i < MAX_SA; i++)
			if (sas[i].live &&
			    (sas[i].owner >= 0 || sas[i].policy_users))
				return -EBUSY;
		return 0;
	}
	return -EOPNOTSUPP;
}

static void predict_doit(struct expect *e)
{
	struct prot_plan pl;
	int err;

	e->kind = EXP_ACK;
	switch (e->req.cmd) {
	case IPSECIF_CMD_SA_NEW:
	case IPSECIF_CMD_SA_UPDATE:
	case IPSECIF_CMD_SA_DEL:
	case IPSECIF_CMD_SA_GET:
	case IPSECIF_CMD_SA_FLUSH:
		err = predict_sa(e);
		break;
	case IPSECIF_CMD_PROTECT_SET:
	case IPSECIF_CMD_PROTECT_DEL:
		err = protect_build(e, e->req.cmd == IPSECIF_CMD_PROTECT_SET,
				    &pl);
		break;
	case IPSECIF_CMD_POLICY_NEW:
	case IPSECIF_CMD_POLICY_DEL:
		err = predict_policy(e, e->req.cmd == IPSECIF_CMD_POLICY_NEW);
		break;
	default:
		err = predict_spd(e);
		break;
	}
	e->err = err;
	if (err) {
		e->kind = EXP_ACK;
		e->stage = STAGE_HANDLER;
	}
}

static void predict_dump(struct expect *e)
{
	uint32_t id = 0;

	e->kind = EXP_DUMP;
	e->err = 0;
	if (e->req.cmd == IPSECIF_CMD_PROTECT_GET &&
	    (e->req.has_ifindex || e->req.has_ifname)) {
		/* ipsecif_nl_protect_dump_start(): the interface named must
		 * exist and be an ipsecif; refused in an NLMSG_ERROR.
		 */
		struct devref d = req_dev(&e->req);

		if (d.kind == DR_MISSING) {
			if (opt.shared && !d.never)
				e->unsafe = true;
			e->err = -ENODEV;
		} else if (d.kind == DR_FOREIGN) {
			if (d.ipsecif)
				e->unsafe = true;
			else
				e->err = -EOPNOTSUPP;
		} else if (d.kind == DR_OURS && !devs[d.dev].ipsecif) {
			e->err = -EOPNOTSUPP;
		}
		if (e->err) {
			e->kind = EXP_ACK;
			e->stage = STAGE_HANDLER;
		}
		return;
	}
	if (e->req.cmd != IPSECIF_CMD_POLICY_GET)
		return;
	/* ipsecif_nl_policy_dump(): errors end the dump, in NLMSG_DONE */
	e->err = p_spd_id(&e->req, &id);
	if (!e->err) {
		if (!own_spd(id))
			e->unsafe = true;
		if (!spd_find(id))
			e->err = -ENOENT;
	}
	if (e->err)
		e->stage = STAGE_HANDLER;
}

static bool cmd_doit(uint8_t cmd)
{
	switch (cmd) {
	case IPSECIF_CMD_SA_NEW: case IPSECIF_CMD_SA_DEL:
	case IPSECIF_CMD_SA_GET: case IPSECIF_CMD_SA_FLUSH:
	case IPSECIF_CMD_PROTECT_SET: case IPSECIF_CMD_PROTECT_DEL:
	case IPSECIF_CMD_SPD_NEW: case IPSECIF_CMD_SPD_DEL:
	case IPSECIF_CMD_SPD_GET: case IPSECIF_CMD_SPD_ATTACH:
	case IPSECIF_CMD_SPD_DETACH: case IPSECIF_CMD_POLICY_NEW:
	case IPSECIF_CMD_POLICY_DEL: case IPSECIF_CMD_SA_UPDATE:
		return true;
	}
	return false;
}

static bool cmd_dumpit(uint8_t cmd)
{
	return cmd == IPSECIF_CMD_SA_GET || cmd == IPSECIF_CMD_PROTECT_GET ||
	       cmd == IPSECIF_CMD_SPD_GET || cmd == IPSECIF_CMD_POLICY_GET;
}

/* genl_family_rcv_msg() for the ipsecif family */
static void predict_genl(struct expect *e, const uint8_t *p, uint32_t len,
			 uint16_t flags)
{
	struct attr tb[IPSECIF_A_MAX + 1];
	struct genlmsghdr g;
	uint16_t f = flags;
	bool dump;
	int err;

	e->kind = EXP_ACK;
	e->stage = STAGE_HEADER;
	if (len < NLMSG_HDRLEN + GENL_HDRLEN) {
		e->err = -EINVAL;
		return;
	}
	memcpy(&g, p + NLMSG_HDRLEN, sizeof(g));
	/* genl_header_check(): no resv_start_op, so for every command */
	if ((f & NLM_F_DUMP) == NLM_F_DUMP)
		f &= ~NLM_F_DUMP;
	if (g.reserved || (f & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO))) {
		e->err = -EINVAL;
		return;
	}
	dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (!cmd_doit(g.cmd) && !cmd_dumpit(g.cmd)) {
		e->err = -EOPNOTSUPP;
		return;
	}
	if (dump ? !cmd_dumpit(g.cmd) : !cmd_doit(g.cmd)) {
		e->err = -EOPNOTSUPP;
		return;
	}
	e->stage = STAGE_POLICY;
	err = validate(p + NLMSG_HDRLEN + GENL_HDRLEN,
		       len - NLMSG_HDRLEN - GENL_HDRLEN, top_pol,
		       IPSECIF_A_MAX, 0);
	if (err) {
		e->err = err;
		return;
	}
	e->stage = STAGE_OK;
	e->parsed = true;
	parse(p + NLMSG_HDRLEN + GENL_HDRLEN, len - NLMSG_HDRLEN - GENL_HDRLEN,
	      tb, IPSECIF_A_MAX);
	fill_req(&e->req, g.cmd, dump, tb);
	if (dump)
		predict_dump(e);
	else
		predict_doit(e);
}

/* netlink_rcv_skb() over a datagram: what the kernel will answer, in
 * order. Returns how many answers (or silently ignored messages) there are.
 */
static int predict(const uint8_t *buf, int len, struct expect *ex, int max)
{
	const uint8_t *p = buf;
	struct nlmsghdr nlh;
	int rem = len, n = 0, adv;
	struct expect *e;

	while (rem >= NLMSG_HDRLEN && n < max) {
		memcpy(&nlh, p, sizeof(nlh));
		if (nlh.nlmsg_len < NLMSG_HDRLEN ||
		    (uint32_t)rem < nlh.nlmsg_len)
			break;
		e = &ex[n++];
		memset(e, 0, sizeof(*e));
		e->seq = nlh.nlmsg_seq;
		if (!(nlh.nlmsg_flags & NLM_F_REQUEST) ||
		    nlh.nlmsg_type < NLMSG_MIN_TYPE) {
			e->noop = true;
			e->kind = nlh.nlmsg_flags & NLM_F_ACK ? EXP_ACK :
								EXP_NONE;
		} else if (nlh.nlmsg_type == family_id) {
			predict_genl(e, p, nlh.nlmsg_len, nlh.nlmsg_flags);
		} else if (nlh.nlmsg_type > GENL_MAX_ID) {
			e->kind = EXP_ACK;
			e->err = -ENOENT;
			e->stage = STAGE_FRAMING;
		} else {
			e->unsafe = true;	/* some other family's */
		}
		adv = NLMSG_ALIGN(nlh.nlmsg_len);
		if (adv > rem)
			adv = rem;
		p += adv;
		rem -= adv;
	}
	return n;
}

/* ------------------------------------------------------------------------
 * Applying what the kernel accepted to the model
 */

static void taint(const char *why, uint32_t id)
{
	st.tainted = true;
	mismatch("the model cannot follow: %s (%u)", why, id);
}

static void sa_release_owner(int prot)
{
	int i;

	for (i = 0; i < MAX_SA; i++)
		if (sas[i].live && sas[i].owner == prot)
			sas[i].owner = -1;
}

static void apply_protect(struct expect *e, bool set)
{
	struct prot_plan pl;
	struct m_sa *sa;
	int slot, i;

	protect_build(e, set, &pl);
	if (pl.dev < 0) {
		taint("protection of an unknown interface", 0);
		return;
	}
	slot = pl.old;
	if (slot >= 0) {
		sa_release_owner(slot);
		prots[slot].live = false;
	}
	if (!set)
		return;
	if (slot < 0)
		for (slot = 0; slot < MAX_PROT && prots[slot].live; slot++)
			;
	if (slot >= MAX_PROT) {
		taint("too many protections", 0);
		return;
	}
	prots[slot] = pl.new;
	if (pl.new.has_tx) {
		sa = sa_find(pl.new.tx);
		if (sa)
			sa->owner = slot;
	}
	for (i = 0; i < pl.new.n_rx; i++) {
		sa = sa_find(pl.new.rx[i]);
		if (sa)
			sa->owner = slot;
	}
}

static void pol_unlink(struct m_pol *p)
{
	struct m_sa *sa = p->has_sa ? sa_find(p->sa) : NULL;

	if (sa)
		sa->policy_users--;
	p->live = false;
}

static void apply_policy(struct expect *e, bool add)
{
	struct m_spd *spd = spd_find(e->req.spd.id);
	struct m_pol n;
	struct m_sa *sa;
	int i;

	pol_build(e, !add, &n);
	if (!spd || !e->req.spd.nest) {
		taint("policy of an unknown SPD", e->req.spd.id);
		return;
	}
	if (!add) {
		i = pol_del_find(e, &n);
		if (i < 0)
			taint("deleted policy unknown", spd->id);
		else
			pol_unlink(&pols[i]);
		return;
	}
	for (i = 0; i < MAX_POL && pols[i].live; i++)
		;
	if (i == MAX_POL) {
		taint("too many policies", spd->id);
		return;
	}
	n.spd = spd->id;
	n.order = spd->next_order++;
	pols[i] = n;
	sa = n.has_sa ? sa_find(n.sa) : NULL;
	if (sa)
		sa->policy_users++;
}

static void apply_spd(struct expect *e)
{
	struct req *r = &e->req;
	struct devref d = req_dev(r);
	struct m_spd *spd = spd_find(r->spd.id);
	int i;

	switch (r->cmd) {
	case IPSECIF_CMD_SPD_NEW:
		if (spd) {
			taint("SPD added twice", r->spd.id);
			return;
		}
		for (i = 0; i < MAX_SPD && spds[i].live; i++)
			;
		if (i == MAX_SPD) {
			taint("too many SPDs", r->spd.id);
			return;
		}
		spds[i].live = true;
		spds[i].id = r->spd.id;
		spds[i].next_order = 0;
		return;
	case IPSECIF_CMD_SPD_DEL:
		if (!spd) {
			taint("deleted SPD unknown", r->spd.id);
			return;
		}
		for (i = 0; i < MAX_POL; i++)
			if (pols[i].live && pols[i].spd == spd->id)
				pol_unlink(&pols[i]);
		spd->live = false;
		return;
	case IPSECIF_CMD_SPD_ATTACH:
	case IPSECIF_CMD_SPD_DETACH:
		if (d.kind != DR_OURS) {
			taint("SPD attachment of an unknown interface", 0);
			return;
		}
		devs[d.dev].attached = r->cmd == IPSECIF_CMD_SPD_ATTACH;
		devs[d.dev].spd = r->spd.id;
		return;
	}
}

static void apply_sa(struct expect *e)
{
	struct m_sa n, *sa = sa_find(e->req.sa.id);
	int i;

	switch (e->req.cmd) {
	case IPSECIF_CMD_SA_NEW:
		sa_new_build(e, &n);
		if (sa) {
			taint("SA added twice", n.id);
			return;
		}
		for (i = 0; i < MAX_SA && sas[i].live; i++)
			;
		if (i == MAX_SA) {
			taint("too many SAs", n.id);
			return;
		}
		sas[i] = n;
		return;
	case IPSECIF_CMD_SA_UPDATE:
		if (!sa) {
			taint("updated SA unknown", e->req.sa.id);
			return;
		}
		sa_update_build(e, &n);
		*sa = n;
		return;
	case IPSECIF_CMD_SA_DEL:
		if (!sa) {
			taint("deleted SA unknown", e->req.sa.id);
			return;
		}
		if (sa->owner >= 0 || sa->policy_users)
			taint("deleted SA was in use", sa->id);
		sa->live = false;
		return;
	case IPSECIF_CMD_SA_FLUSH:
		for (i = 0; i < MAX_SA; i++) {
			if (sas[i].live &&
			    (sas[i].owner >= 0 || sas[i].policy_users))
				taint("flushed SA was in use", sas[i].id);
			sas[i].live = false;
		}
		return;
	}
}

static void apply(struct expect *e)
{
	if (e->noop || e->req.dump)
		return;
	if (!e->parsed) {
		taint("the kernel accepted what the policies refuse", e->seq);
		return;
	}
	switch (e->req.cmd) {
	case IPSECIF_CMD_SA_NEW:
	case IPSECIF_CMD_SA_UPDATE:
	case IPSECIF_CMD_SA_DEL:
	case IPSECIF_CMD_SA_FLUSH:
		apply_sa(e);
		break;
	case IPSECIF_CMD_PROTECT_SET:
	case IPSECIF_CMD_PROTECT_DEL:
		apply_protect(e, e->req.cmd == IPSECIF_CMD_PROTECT_SET);
		break;
	case IPSECIF_CMD_POLICY_NEW:
	case IPSECIF_CMD_POLICY_DEL:
		apply_policy(e, e->req.cmd == IPSECIF_CMD_POLICY_NEW);
		break;
	case IPSECIF_CMD_SPD_NEW:
	case IPSECIF_CMD_SPD_DEL:
	case IPSECIF_CMD_SPD_ATTACH:
	case IPSECIF_CMD_SPD_DETACH:
		apply_spd(e);
		break;
	}
}

/* ------------------------------------------------------------------------
 * Netlink
 */

struct rx {
	struct mnl_socket *sock;
	int len, off;
	uint8_t buf[BUF_SIZE] __attribute__((aligned(8)));
};

static struct rx rx_main;
static uint32_t seq_next;
static uint8_t txbuf[BUF_SIZE] __attribute__((aligned(8)));
static const uint8_t *cur_buf;	/* the datagram being answered */
static int cur_len;
static uint32_t silent_seqs[16];	/* recent ones the kernel must ignore */
static int n_silent;

static struct mnl_socket *sock_open(int bus, int rcvbuf)
{
	struct timeval tv = { .tv_sec = 10 };
	struct mnl_socket *s;
	int one = 1, fd;

	s = mnl_socket_open(bus);
	if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket");
	fd = mnl_socket_get_fd(s);
	mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return s;
}

static const struct nlmsghdr *rx_next(struct rx *r)
{
	struct iovec iov = { r->buf, sizeof(r->buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	const struct nlmsghdr *nlh;
	ssize_t n;

	for (;;) {
		if (r->off + NLMSG_HDRLEN <= r->len) {
			nlh = (const void *)(r->buf + r->off);
			if (nlh->nlmsg_len < NLMSG_HDRLEN ||
			    r->off + nlh->nlmsg_len > (unsigned int)r->len) {
				fatal("malformed netlink message from the kernel");
				return NULL;
			}
			r->off += NLMSG_ALIGN(nlh->nlmsg_len);
			return nlh;
		}
		n = recvmsg(mnl_socket_get_fd(r->sock), &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fatal("receive: %s", errno == EAGAIN ?
			      "no answer within 10 s" : strerror(errno));
			return NULL;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			fatal("an answer was truncated");
			return NULL;
		}
		r->len = n;
		r->off = 0;
	}
}

/* The errno of an NLMSG_ERROR or NLMSG_DONE, and whether an extack
 * message came with it.
 */
static int nl_status(const struct nlmsghdr *nlh, bool *has_msg)
{
	const uint8_t *p = mnl_nlmsg_get_payload(nlh);
	int len = nlh->nlmsg_len - NLMSG_HDRLEN, off, err = 0;
	struct nlmsgerr e;
	struct nlattr h;

	*has_msg = false;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		if (len < (int)sizeof(int))
			return 0;
		memcpy(&err, p, sizeof(err));
		off = sizeof(int);
	} else {
		if (len < (int)sizeof(e))
			return -EPROTO;
		memcpy(&e, p, sizeof(e));
		err = e.error;
		off = sizeof(e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += NLMSG_ALIGN(e.msg.nlmsg_len) - NLMSG_HDRLEN;
	}
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return err;
	while (off + NLA_HDRLEN <= len) {
		memcpy(&h, p + off, sizeof(h));
		if (h.nla_len < NLA_HDRLEN || off + h.nla_len > len)
			break;
		if ((h.nla_type & TYPE_MASK) == NLMSGERR_ATTR_MSG)
			*has_msg = true;
		off += NLA_ALIGN(h.nla_len);
	}
	return err;
}

static const char *err_name(int err)
{
	static char buf[16];

	switch (-err) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case EBUSY: return "EBUSY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENODEV: return "ENODEV";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	}
	snprintf(buf, sizeof(buf), "%d", err);
	return buf;
}

static const char *cmd_name(uint8_t cmd)
{
	static const char *const names[] = {
		[IPSECIF_CMD_SA_NEW] = "SA_NEW",
		[IPSECIF_CMD_SA_DEL] = "SA_DEL",
		[IPSECIF_CMD_SA_GET] = "SA_GET",
		[IPSECIF_CMD_SA_FLUSH] = "SA_FLUSH",
		[IPSECIF_CMD_PROTECT_SET] = "PROTECT_SET",
		[IPSECIF_CMD_PROTECT_DEL] = "PROTECT_DEL",
		[IPSECIF_CMD_PROTECT_GET] = "PROTECT_GET",
		[IPSECIF_CMD_SPD_NEW] = "SPD_NEW",
		[IPSECIF_CMD_SPD_DEL] = "SPD_DEL",
		[IPSECIF_CMD_SPD_GET] = "SPD_GET",
		[IPSECIF_CMD_SPD_ATTACH] = "SPD_ATTACH",
		[IPSECIF_CMD_SPD_DETACH] = "SPD_DETACH",
		[IPSECIF_CMD_POLICY_NEW] = "POLICY_NEW",
		[IPSECIF_CMD_POLICY_DEL] = "POLICY_DEL",
		[IPSECIF_CMD_POLICY_GET] = "POLICY_GET",
		[IPSECIF_CMD_SA_UPDATE] = "SA_UPDATE",
	};

	if (cmd < ARRAY_SIZE(names) && names[cmd])
		return names[cmd];
	return "?";
}

static void hexdump(const uint8_t *p, int len)
{
	int i;

	for (i = 0; i < len && i < 512; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n    ", p[i]);
	fprintf(stderr, "%s\n", len > 512 ? " ..." : "");
}

/* ------------------------------------------------------------------------
 * What the kernel reports, compared with the model
 */

static const uint8_t *genl_payload(const struct nlmsghdr *nlh, int *len)
{
	*len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (const uint8_t *)nlh + NLMSG_HDRLEN + GENL_HDRLEN;
}

static void obs_alg(const struct attr *nest, struct m_alg *a)
{
	struct attr tb[IPSECIF_ALG_A_MAX + 1];

	memset(a, 0, sizeof(*a));
	if (!has(nest))
		return;
	parse(nest->d, nest->len, tb, IPSECIF_ALG_A_MAX);
	a->on = true;
	gstr(&tb[IPSECIF_ALG_A_NAME], a->name, sizeof(a->name));
	a->key_len = tb[IPSECIF_ALG_A_KEY].len;
	if (a->key_len > sizeof(a->key))
		a->key_len = sizeof(a->key);
	if (has(&tb[IPSECIF_ALG_A_KEY]))
		memcpy(a->key, tb[IPSECIF_ALG_A_KEY].d, a->key_len);
	if (has(&tb[IPSECIF_ALG_A_ICV_LEN]))
		a->icv = g32(&tb[IPSECIF_ALG_A_ICV_LEN]);
}

static bool obs_sa(const struct nlmsghdr *nlh, struct m_sa *o)
{
	struct attr tb[IPSECIF_A_MAX + 1], s[SA_TB], x[IPSECIF_ENCAP_A_MAX + 1];
	const uint8_t *p;
	int len, i, k;

	p = genl_payload(nlh, &len);
	parse(p, len, tb, IPSECIF_A_MAX);
	if (!has(&tb[IPSECIF_A_SA]))
		return false;
	parse(tb[IPSECIF_A_SA].d, tb[IPSECIF_A_SA].len, s, IPSECIF_SA_A_MAX);
	memset(o, 0, sizeof(*o));
	o->id = g32(&s[IPSECIF_SA_A_ID]);
	o->spi = g32(&s[IPSECIF_SA_A_SPI]);
	o->mode = g8(&s[IPSECIF_SA_A_MODE]);
	o->flags = g32(&s[IPSECIF_SA_A_FLAGS]);
	o->replay = g32(&s[IPSECIF_SA_A_REPLAY_WINDOW]);
	o->dscp = g8(&s[IPSECIF_SA_A_DSCP]);
	o->ttl = g8(&s[IPSECIF_SA_A_TTL]);
	if (has(&s[IPSECIF_SA_A_SRC]) || has(&s[IPSECIF_SA_A_DST])) {
		o->family = 4;
		gcopy(&s[IPSECIF_SA_A_SRC], o->src, 16);
		gcopy(&s[IPSECIF_SA_A_DST], o->dst, 16);
	} else if (has(&s[IPSECIF_SA_A_SRC6]) || has(&s[IPSECIF_SA_A_DST6])) {
		o->family = 6;
		gcopy(&s[IPSECIF_SA_A_SRC6], o->src, 16);
		gcopy(&s[IPSECIF_SA_A_DST6], o->dst, 16);
	}
	if (has(&s[IPSECIF_SA_A_ENCAP])) {
		parse(s[IPSECIF_SA_A_ENCAP].d, s[IPSECIF_SA_A_ENCAP].len, x,
		      IPSECIF_ENCAP_A_MAX);
		o->encap = g8(&x[IPSECIF_ENCAP_A_TYPE]);
		o->sport = g16(&x[IPSECIF_ENCAP_A_SPORT]);
		o->dport = g16(&x[IPSECIF_ENCAP_A_DPORT]);
	}
	for (k = 0; k < 2; k++) {
		struct attr l[IPSECIF_LIFETIME_A_MAX + 1];
		const struct attr *n = &s[k ? IPSECIF_SA_A_LIFETIME_HARD :
					   IPSECIF_SA_A_LIFETIME_SOFT];

		if (!has(n))
			continue;
		parse(n->d, n->len, l, IPSECIF_LIFETIME_A_MAX);
		for (i = 0; i < 3; i++)
			o->lft[k][i] = g64(&l[IPSECIF_LIFETIME_A_BYTES + i]);
	}
	o->seq_out = g64(&s[IPSECIF_SA_A_SEQ_OUT]);
	if (HAVE_SEQ_IN && has(&s[SA_A_SEQ_IN])) {
		o->seq_in = g64(&s[SA_A_SEQ_IN]);
		o->seq_in_seen = true;
	}
	for (i = 0; i < 3; i++)
		obs_alg(&s[alg_attr[i]], &o->alg[i]);
	return true;
}

#define DIFF(cond, ...)						\
	do {							\
		if (cond) {					\
			snprintf(why, size, __VA_ARGS__);	\
			return false;				\
		}						\
	} while (0)

static bool sa_equal(const struct m_sa *m, const struct m_sa *o, char *why,
		     size_t size)
{
	static const char *const kinds[] = { "aead", "enc", "auth" };
	int alen = m->family == 6 ? 16 : 4, i, k;

	DIFF(m->spi != o->spi, "spi %u, kernel %u", m->spi, o->spi);
	DIFF(m->mode != o->mode, "mode %u, kernel %u", m->mode, o->mode);
	DIFF(m->flags != o->flags, "flags %#x, kernel %#x", m->flags, o->flags);
	DIFF(m->replay != o->replay, "replay window %u, kernel %u", m->replay,
	     o->replay);
	DIFF(m->family != o->family, "endpoint family %u, kernel %u",
	     m->family, o->family);
	DIFF(m->family && (memcmp(m->src, o->src, alen) ||
			   memcmp(m->dst, o->dst, alen)), "endpoints differ");
	DIFF(m->dscp != o->dscp, "dscp %u, kernel %u", m->dscp, o->dscp);
	DIFF(m->ttl != o->ttl, "ttl %u, kernel %u", m->ttl, o->ttl);
	DIFF(m->encap != o->encap, "encap %u, kernel %u", m->encap, o->encap);
	DIFF(m->encap && (m->sport != o->sport || m->dport != o->dport),
	     "encap ports %u/%u, kernel %u/%u", m->sport, m->dport, o->sport,
	     o->dport);
	for (k = 0; k < 2; k++)
		for (i = 0; i < 3; i++)
			DIFF(m->lft[k][i] != o->lft[k][i],
			     "%s lifetime %d: %" PRIu64 ", kernel %" PRIu64,
			     k ? "hard" : "soft", i, m->lft[k][i],
			     o->lft[k][i]);
	DIFF(m->seq_out != o->seq_out, "seq_out %" PRIu64 ", kernel %" PRIu64,
	     m->seq_out, o->seq_out);
	DIFF(o->seq_in_seen && m->seq_in != o->seq_in,
	     "seq_in %" PRIu64 ", kernel %" PRIu64, m->seq_in, o->seq_in);
	for (i = 0; i < 3; i++) {
		const struct m_alg *a = &m->alg[i], *b = &o->alg[i];

		DIFF(a->on != b->on, "%s %s, kernel %s", kinds[i],
		     a->on ? "set" : "unset", b->on ? "set" : "unset");
		if (!a->on)
			continue;
		DIFF(strcmp(a->name, b->name), "%s '%s', kernel '%s'", kinds[i],
		     a->name, b->name);
		DIFF(a->key_len != b->key_len || memcmp(a->key, b->key,
							a->key_len),
		     "%s key (%u bytes, kernel %u)", kinds[i], a->key_len,
		     b->key_len);
		DIFF(a->icv != b->icv, "%s icv %u, kernel %u", kinds[i],
		     a->icv, b->icv);
	}
	return true;
}

struct o_prot {
	int ifindex;
	struct m_prot p;
};

static bool obs_prot(const struct nlmsghdr *nlh, struct o_prot *o)
{
	struct attr tb[IPSECIF_A_MAX + 1], pt[IPSECIF_PROTECT_A_MAX + 1];
	struct prot_req r = {};
	const uint8_t *p;
	int len, i;

	p = genl_payload(nlh, &len);
	parse(p, len, tb, IPSECIF_A_MAX);
	if (!has(&tb[IPSECIF_A_PROTECT]) || !has(&tb[IPSECIF_A_IFINDEX]))
		return false;
	memset(o, 0, sizeof(*o));
	o->ifindex = g32(&tb[IPSECIF_A_IFINDEX]);
	parse(tb[IPSECIF_A_PROTECT].d, tb[IPSECIF_A_PROTECT].len, pt,
	      IPSECIF_PROTECT_A_MAX);
	fill_prot(&tb[IPSECIF_A_PROTECT], &r);
	if (r.has_peer) {
		o->p.family = 4;
		memcpy(o->p.peer, r.peer, 16);
	} else if (r.has_peer6) {
		o->p.family = 6;
		memcpy(o->p.peer, r.peer6, 16);
	}
	o->p.has_tx = r.has_tx;
	o->p.tx = r.tx;
	o->p.n_rx = r.n_rx;
	for (i = 0; i < r.n_rx && i < MAX_RX; i++)
		o->p.rx[i] = r.rx[i];
	return true;
}

static bool obs_spd(const struct nlmsghdr *nlh, uint32_t *id, uint32_t *npol,
		    int *ifindex, int *n_if)
{
	struct attr tb[IPSECIF_A_MAX + 1];
	const uint8_t *p, *d;
	struct nlattr h;
	int len, rem;

	p = genl_payload(nlh, &len);
	parse(p, len, tb, IPSECIF_A_MAX);
	if (!has(&tb[IPSECIF_A_SPD]))
		return false;
	*n_if = 0;
	*id = 0;
	*npol = 0;
	d = tb[IPSECIF_A_SPD].d;
	rem = tb[IPSECIF_A_SPD].len;
	while (rem >= NLA_HDRLEN) {
		struct attr a;

		memcpy(&h, d, sizeof(h));
		if (h.nla_len < NLA_HDRLEN || h.nla_len > rem)
			break;
		a.d = d + NLA_HDRLEN;
		a.len = h.nla_len - NLA_HDRLEN;
		switch (h.nla_type & TYPE_MASK) {
		case IPSECIF_SPD_A_ID:
			*id = g32(&a);
			break;
		case IPSECIF_SPD_A_POLICIES:
			*npol = g32(&a);
			break;
		case IPSECIF_SPD_A_IFINDEX:
			if (*n_if < MAX_DEVS)
				ifindex[(*n_if)++] = g32(&a);
			break;
		}
		d += NLA_ALIGN(h.nla_len);
		rem -= NLA_ALIGN(h.nla_len);
	}
	return true;
}

static bool obs_pol(const struct nlmsghdr *nlh, uint32_t *spd,
		    struct m_pol *o)
{
	struct attr tb[IPSECIF_A_MAX + 1], s[IPSECIF_SPD_A_MAX + 1];
	struct attr a[IPSECIF_POLICY_A_MAX + 1];
	const uint8_t *p;
	int len, fl;

	p = genl_payload(nlh, &len);
	parse(p, len, tb, IPSECIF_A_MAX);
	if (!has(&tb[IPSECIF_A_SPD]) || !has(&tb[IPSECIF_A_POLICY]))
		return false;
	parse(tb[IPSECIF_A_SPD].d, tb[IPSECIF_A_SPD].len, s, IPSECIF_SPD_A_MAX);
	*spd = g32(&s[IPSECIF_SPD_A_ID]);
	parse(tb[IPSECIF_A_POLICY].d, tb[IPSECIF_A_POLICY].len, a,
	      IPSECIF_POLICY_A_MAX);
	memset(o, 0, sizeof(*o));
	o->prio = (int32_t)g32(&a[IPSECIF_POLICY_A_PRIORITY]);
	o->dir = g8(&a[IPSECIF_POLICY_A_DIR]);
	o->action = g8(&a[IPSECIF_POLICY_A_ACTION]);
	o->has_sa = has(&a[IPSECIF_POLICY_A_SA_ID]);
	o->sa = g32(&a[IPSECIF_POLICY_A_SA_ID]);
	o->proto = g8(&a[IPSECIF_POLICY_A_PROTO]);
	o->lps = g16(&a[IPSECIF_POLICY_A_LPORT_START]);
	o->lpe = g16(&a[IPSECIF_POLICY_A_LPORT_END]);
	o->rps = g16(&a[IPSECIF_POLICY_A_RPORT_START]);
	o->rpe = g16(&a[IPSECIF_POLICY_A_RPORT_END]);
	fl = a[IPSECIF_POLICY_A_LOCAL_START].len;
	if (has(&a[IPSECIF_POLICY_A_LOCAL_START]) && (fl == 4 || fl == 16)) {
		o->family = fl == 4 ? 4 : 6;
		o->ls = ukey_from(a[IPSECIF_POLICY_A_LOCAL_START].d, fl);
		o->le = ukey_from(a[IPSECIF_POLICY_A_LOCAL_END].d, fl);
		o->rs = ukey_from(a[IPSECIF_POLICY_A_REMOTE_START].d, fl);
		o->re = ukey_from(a[IPSECIF_POLICY_A_REMOTE_END].d, fl);
	}
	return true;
}

static bool pol_equal(const struct m_pol *m, const struct m_pol *o, char *why,
		      size_t size)
{
	DIFF(m->prio != o->prio, "priority %d, kernel %d", m->prio, o->prio);
	DIFF(m->dir != o->dir, "dir %u, kernel %u", m->dir, o->dir);
	DIFF(m->action != o->action, "action %u, kernel %u", m->action,
	     o->action);
	DIFF(m->has_sa != o->has_sa || (m->has_sa && m->sa != o->sa),
	     "sa %d:%u, kernel %d:%u", m->has_sa, m->sa, o->has_sa, o->sa);
	DIFF(m->proto != o->proto, "proto %u, kernel %u", m->proto, o->proto);
	DIFF(m->family != o->family, "family %u, kernel %u", m->family,
	     o->family);
	DIFF(m->family && (ukey_cmp(&m->ls, &o->ls) ||
			   ukey_cmp(&m->le, &o->le) ||
			   ukey_cmp(&m->rs, &o->rs) ||
			   ukey_cmp(&m->re, &o->re)),
	     "address ranges differ");
	DIFF(m->lps != o->lps || m->lpe != o->lpe || m->rps != o->rps ||
	     m->rpe != o->rpe, "ports %u-%u %u-%u, kernel %u-%u %u-%u",
	     m->lps, m->lpe, m->rps, m->rpe, o->lps, o->lpe, o->rps, o->rpe);
	return true;
}

static int dev_by_ifindex(int ifindex)
{
	int i;

	for (i = 0; i < n_devs; i++)
		if (devs[i].ifindex == ifindex)
			return i;
	return -1;
}

/* A dump or GET reply being compared with the model. */
static struct {
	const struct expect *e;
	bool complete;		/* everything must show up, once */
	bool seen_sa[MAX_SA], seen_spd[MAX_SPD], seen_prot[MAX_PROT];
	int exp_pol[MAX_POL], n_exp, k;
	uint32_t spd;
	int objects;
} dc;

/* ipsecif_nl_dump_wants() with the request's filters; nla_strcmp(). */
static bool prot_wanted(const struct req *r, const struct dev *d)
{
	int n = r->ifname_len;

	if (!d->ipsecif)
		return false;
	if (r->has_ifindex && d->ifindex != (int)r->ifindex)
		return false;
	if (!r->has_ifname)
		return true;
	while (n > 0 && !r->ifname_raw[n - 1])
		n--;
	return n == (int)strlen(d->name) && !memcmp(r->ifname_raw, d->name, n);
}

static int pol_order_cmp(const void *a, const void *b)
{
	const struct m_pol *x = &pols[*(const int *)a];
	const struct m_pol *y = &pols[*(const int *)b];

	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void dc_start(const struct expect *e)
{
	int i;

	memset(&dc, 0, sizeof(dc));
	dc.e = e;
	dc.complete = !opt.shared || e->req.cmd == IPSECIF_CMD_PROTECT_GET ||
		      e->req.cmd == IPSECIF_CMD_POLICY_GET;
	if (e->req.cmd == IPSECIF_CMD_POLICY_GET) {
		dc.spd = e->req.spd.id;
		for (i = 0; i < MAX_POL; i++)
			if (pols[i].live && pols[i].spd == dc.spd)
				dc.exp_pol[dc.n_exp++] = i;
		qsort(dc.exp_pol, dc.n_exp, sizeof(int), pol_order_cmp);
	}
}

static void dc_sa(const struct nlmsghdr *nlh)
{
	char why[160];
	struct m_sa o, *m;

	if (!obs_sa(nlh, &o)) {
		mismatch("SA message without an SA");
		return;
	}
	if (!own_sa(o.id))
		return;
	if (!dc.e->req.dump && o.id != dc.e->req.sa.id)
		mismatch("SA_GET %u answered with SA %u", dc.e->req.sa.id,
			 o.id);
	m = sa_find(o.id);
	if (!m) {
		mismatch("the kernel has SA %u, the model does not", o.id);
		return;
	}
	if (dc.seen_sa[m - sas]) {
		if (dc.complete)
			mismatch("SA %u dumped twice", o.id);
		return;
	}
	dc.seen_sa[m - sas] = true;
	if (!sa_equal(m, &o, why, sizeof(why)))
		mismatch("SA %u: %s", o.id, why);
}

static void dc_spd(const struct nlmsghdr *nlh)
{
	int ifindex[MAX_DEVS], n_if, i, j, want;
	struct m_spd *m;
	uint32_t id, npol;

	if (!obs_spd(nlh, &id, &npol, ifindex, &n_if)) {
		mismatch("SPD message without an SPD");
		return;
	}
	if (!own_spd(id))
		return;
	m = spd_find(id);
	if (!m) {
		mismatch("the kernel has SPD %u, the model does not", id);
		return;
	}
	if (dc.seen_spd[m - spds]) {
		if (dc.complete)
			mismatch("SPD %u dumped twice", id);
		return;
	}
	dc.seen_spd[m - spds] = true;
	if ((int)npol != spd_policies(id))
		mismatch("SPD %u: %u policies, the model %d", id, npol,
			 spd_policies(id));
	for (i = 0, want = 0; i < n_devs; i++)
		want += devs[i].attached && devs[i].spd == id;
	if (n_if != want)
		mismatch("SPD %u: attached to %d interfaces, the model %d",
			 id, n_if, want);
	for (j = 0; j < n_if; j++) {
		i = dev_by_ifindex(ifindex[j]);
		if (i < 0 || !devs[i].attached || devs[i].spd != id)
			mismatch("SPD %u: attached to ifindex %d, the model not",
				 id, ifindex[j]);
	}
}

static void dc_prot(const struct nlmsghdr *nlh)
{
	struct o_prot o;
	int d, i, slot;
	const struct m_prot *m;

	if (!obs_prot(nlh, &o)) {
		mismatch("protection message without a protection");
		return;
	}
	d = dev_by_ifindex(o.ifindex);
	if (d < 0)
		return;
	slot = prot_find(d, o.p.family, o.p.peer);
	if (slot < 0 || !prot_wanted(&dc.e->req, &devs[d])) {
		mismatch("the kernel has a protection on %s (peer family %u), the model does not",
			 devs[d].name, o.p.family);
		return;
	}
	if (dc.seen_prot[slot]) {
		mismatch("protection on %s dumped twice", devs[d].name);
		return;
	}
	dc.seen_prot[slot] = true;
	m = &prots[slot];
	if (m->has_tx != o.p.has_tx || (m->has_tx && m->tx != o.p.tx))
		mismatch("protection on %s: tx %d:%u, kernel %d:%u",
			 devs[d].name, m->has_tx, m->tx, o.p.has_tx, o.p.tx);
	if (m->n_rx != o.p.n_rx) {
		mismatch("protection on %s: %d rx SAs, kernel %d",
			 devs[d].name, m->n_rx, o.p.n_rx);
		return;
	}
	for (i = 0; i < m->n_rx; i++)
		if (m->rx[i] != o.p.rx[i])
			mismatch("protection on %s: rx SA %d is %u, kernel %u",
				 devs[d].name, i, m->rx[i], o.p.rx[i]);
}

static void dc_pol(const struct nlmsghdr *nlh)
{
	char why[160];
	struct m_pol o;
	uint32_t spd;

	if (!obs_pol(nlh, &spd, &o)) {
		mismatch("policy message without a policy");
		return;
	}
	if (spd != dc.spd)
		mismatch("policy of SPD %u in the dump of SPD %u", spd, dc.spd);
	if (dc.k >= dc.n_exp) {
		mismatch("SPD %u: the kernel has more than %d policies", dc.spd,
			 dc.n_exp);
		dc.k++;
		return;
	}
	if (!pol_equal(&pols[dc.exp_pol[dc.k]], &o, why, sizeof(why)))
		mismatch("SPD %u, policy %d in match order: %s", dc.spd, dc.k,
			 why);
	dc.k++;
}

static void dc_message(const struct nlmsghdr *nlh)
{
	dc.objects++;
	if (opt.dry_run)
		return;
	switch (dc.e->req.cmd) {
	case IPSECIF_CMD_SA_GET:
		dc_sa(nlh);
		break;
	case IPSECIF_CMD_SPD_GET:
		dc_spd(nlh);
		break;
	case IPSECIF_CMD_PROTECT_GET:
		dc_prot(nlh);
		break;
	case IPSECIF_CMD_POLICY_GET:
		dc_pol(nlh);
		break;
	}
}

static void dc_finish(void)
{
	const struct req *r = &dc.e->req;
	int i;

	if (opt.dry_run || !dc.complete || !r->dump)
		return;
	switch (r->cmd) {
	case IPSECIF_CMD_SA_GET:
		for (i = 0; i < MAX_SA; i++)
			if (sas[i].live && !dc.seen_sa[i])
				mismatch("SA %u missing from the dump",
					 sas[i].id);
		break;
	case IPSECIF_CMD_SPD_GET:
		for (i = 0; i < MAX_SPD; i++)
			if (spds[i].live && !dc.seen_spd[i])
				mismatch("SPD %u missing from the dump",
					 spds[i].id);
		break;
	case IPSECIF_CMD_PROTECT_GET:
		for (i = 0; i < MAX_PROT; i++)
			if (prots[i].live && !dc.seen_prot[i] &&
			    prot_wanted(r, &devs[prots[i].dev]))
				mismatch("protection on %s (peer family %u) missing from the dump",
					 devs[prots[i].dev].name,
					 prots[i].family);
		break;
	case IPSECIF_CMD_POLICY_GET:
		if (dc.k < dc.n_exp)
			mismatch("SPD %u: %d policies dumped, the model has %d",
				 dc.spd, dc.k, dc.n_exp);
		break;
	}
}

/* ------------------------------------------------------------------------
 * Sending a datagram and judging the answers
 */

static void judge(struct expect *e, int err, bool has_msg)
{
	bool invalid = e->mutated && e->err;

	if (has_msg)
		st.extack++;
	if (e->parsed && e->req.cmd <= IPSECIF_CMD_MAX) {
		st.by_cmd[e->req.cmd][0]++;
		st.by_cmd[e->req.cmd][err ? 2 : 1]++;
	}
	if (invalid) {
		if (!err) {
			st.invalid_accepted++;
			fprintf(stderr, "nlfuzz: INVALID ACCEPTED: %s seq %u, refusal %s predicted (stage %d):",
				cmd_name(e->req.cmd), e->seq, err_name(e->err),
				e->stage);
			hexdump(cur_buf, cur_len);
			apply(e);
			return;
		}
		st.invalid_refused++;
		st.invalid_extack += has_msg;
		if (e->stage >= STAGE_FRAMING && e->stage <= STAGE_HANDLER)
			st.refused_by[e->stage - STAGE_FRAMING]++;
		if (err != e->err) {
			st.errno_differs++;
			if (opt.verbose || st.errno_differs <= 10) {
				fprintf(stderr, "nlfuzz: errno differs: %s seq %u: kernel %s, predicted %s:",
					cmd_name(e->req.cmd), e->seq,
					err_name(err), err_name(e->err));
				hexdump(cur_buf, cur_len);
			}
		}
		return;
	}
	if (!err)
		st.valid_ok++;
	else
		st.valid_refused++;
	if (!err != !e->err || err != e->err) {
		mispredict("%s seq %u%s: kernel %s, predicted %s%s%s",
			   e->noop ? "(not processed)" : cmd_name(e->req.cmd),
			   e->seq, e->mutated ? " (harmless mutation)" : "",
			   err_name(err), err_name(e->err),
			   e->doc ? "; " : "", e->doc ? e->doc : "");
		if (opt.verbose)
			hexdump(cur_buf, cur_len);
	}
	if (!err)
		apply(e);
}

static bool is_silent_seq(uint32_t seq)
{
	int i;

	for (i = 0; i < n_silent && i < (int)ARRAY_SIZE(silent_seqs); i++)
		if (silent_seqs[i] == seq)
			return true;
	return false;
}

static void note_silent(uint32_t seq)
{
	silent_seqs[n_silent++ % ARRAY_SIZE(silent_seqs)] = seq;
}

/* The next message answering @seq; answers to ignored messages are
 * reported and skipped.
 */
static const struct nlmsghdr *await(uint32_t seq)
{
	const struct nlmsghdr *nlh;

	while ((nlh = rx_next(&rx_main))) {
		if (nlh->nlmsg_seq == seq)
			return nlh;
		if (is_silent_seq(nlh->nlmsg_seq)) {
			mispredict("the kernel answered seq %u, which it should have ignored",
				   nlh->nlmsg_seq);
			continue;
		}
		fatal("answer to seq %u while waiting for %u (type %u)",
		      nlh->nlmsg_seq, seq, nlh->nlmsg_type);
		return NULL;
	}
	return NULL;
}

static void answer(struct expect *e)
{
	const struct nlmsghdr *nlh;
	bool has_msg;
	int err;

	if (e->kind == EXP_NONE) {
		st.silent++;
		note_silent(e->seq);
		return;
	}
	if (e->kind == EXP_DUMP)
		st.dumps++;
	if (opt.dry_run) {
		judge(e, e->err, false);
		return;
	}
	if (e->kind == EXP_REPLY || e->kind == EXP_DUMP)
		dc_start(e);
	for (;;) {
		nlh = await(e->seq);
		if (!nlh)
			return;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			err = nl_status(nlh, &has_msg);
			if (!err && e->kind == EXP_REPLY && !dc.objects)
				fatal("an ack without the reply it acknowledges");
			if (!err && e->kind == EXP_REPLY)
				dc_finish();
			judge(e, err, has_msg);
			return;
		}
		if (nlh->nlmsg_type == NLMSG_DONE && e->kind == EXP_DUMP) {
			err = nl_status(nlh, &has_msg);
			if (!err)
				dc_finish();
			judge(e, err, has_msg);
			return;
		}
		if (e->kind != EXP_REPLY && e->kind != EXP_DUMP) {
			if (nlh->nlmsg_type == family_id) {
				/* A GET answered when a refusal was predicted:
				 * compare what came, then judge the ack.
				 */
				e->kind = EXP_REPLY;
				dc_start(e);
			} else {
				fatal("unexpected message type %u for seq %u",
				      nlh->nlmsg_type, e->seq);
				return;
			}
		}
		if (nlh->nlmsg_type != family_id) {
			fatal("unexpected message type %u in a reply",
			      nlh->nlmsg_type);
			return;
		}
		dc_message(nlh);
	}
}

static void exchange(const uint8_t *buf, int len, struct expect *ex, int n)
{
	struct nlmsghdr nlh;
	int i;

	cur_buf = buf;
	cur_len = len;
	if (!len) {
		/* netlink_sendmsg() refuses it (ENODATA) since 2023 (6.1.y
		 * too); before, the kernel ignored the empty skb.
		 */
		st.sent++;
		if (!opt.dry_run &&
		    mnl_socket_sendto(rx_main.sock, buf, 0) < 0) {
			if (errno != ENODATA) {
				fatal("send: %s", strerror(errno));
				return;
			}
			st.invalid_refused++;
			st.refused_by[0]++;
		} else {
			st.silent++;
		}
		return;
	}
	if (!opt.dry_run &&
	    mnl_socket_sendto(rx_main.sock, buf, len) != (ssize_t)len) {
		fatal("send: %s", strerror(errno));
		return;
	}
	if (!n) {
		/* ignored whole: shorter than a header, or nlmsg_len off */
		st.sent++;
		st.silent++;
		if (len >= NLMSG_HDRLEN) {
			memcpy(&nlh, buf, sizeof(nlh));
			note_silent(nlh.nlmsg_seq);
		}
		return;
	}
	st.sent += n;
	for (i = 0; i < n && !st.fatal; i++)
		answer(&ex[i]);
}

/* Sends one message of the model's own making (checks, flush). */
static void send_msg(struct gmsg *m)
{
	struct expect ex[MAX_EXPECT];
	int len, n;

	len = serialize(m, txbuf, MSG_MAX, ++seq_next);
	if (len < 0)
		return;
	n = predict(txbuf, len, ex, MAX_EXPECT);
	exchange(txbuf, len, ex, n);
}

/* ------------------------------------------------------------------------
 * Generated requests: drawn from the model, mostly meaningful, some
 * refused on purpose (ids that do not exist or are in use, bad values).
 */

static const uint8_t v4_pool[][4] = {
	{ 192, 0, 2, 1 }, { 192, 0, 2, 2 }, { 198, 51, 100, 7 },
	{ 10, 0, 0, 1 }, { 0, 0, 0, 0 }, { 255, 255, 255, 255 },
};

static const uint8_t v6_pool[][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
	{ 0xfe, 0x80, [15] = 1 },
	{ 0 },
};

static const uint8_t peer4_pool[][4] = {
	{ 10, 255, 0, 1 }, { 10, 255, 0, 2 }, { 10, 255, 1, 1 }, { 0, 0, 0, 0 },
};

static const uint8_t peer6_pool[][16] = {
	{ 0xfd, 0x00, [15] = 1 }, { 0xfd, 0x00, [15] = 2 },
	{ 0xff, 0x02, [15] = 1 },
};

static struct m_sa *rnd_live_sa(bool (*ok)(const struct m_sa *, int),
				int arg)
{
	int i, n = 0, k;

	for (i = 0; i < MAX_SA; i++)
		n += sas[i].live && (!ok || ok(&sas[i], arg));
	if (!n)
		return NULL;
	k = rnd(n);
	for (i = 0; i < MAX_SA; i++)
		if (sas[i].live && (!ok || ok(&sas[i], arg)) && !k--)
			return &sas[i];
	return NULL;
}

static bool sa_unused(const struct m_sa *sa, int arg)
{
	(void)arg;
	return sa->owner < 0 && !sa->policy_users;
}

static uint32_t pick_sa_id(void)
{
	struct m_sa *sa = pct(80) ? rnd_live_sa(NULL, 0) : NULL;

	return sa ? sa->id : pool_sa(rnd(SA_POOL));
}

static uint32_t pick_new_sa_id(void)
{
	uint32_t id = pool_sa(rnd(SA_POOL));
	int i;

	for (i = 0; i < 8 && sa_find(id); i++)
		id = pool_sa(rnd(SA_POOL));
	return id;
}

static uint32_t pick_new_spi(void)
{
	uint32_t spi = pool_spi(rnd(SPI_POOL));
	int i;

	for (i = 0; i < 8 && sa_find_spi(spi); i++)
		spi = pool_spi(rnd(SPI_POOL));
	return spi;
}

static struct m_spd *rnd_live_spd(void)
{
	int i, n = 0, k;

	for (i = 0; i < MAX_SPD; i++)
		n += spds[i].live;
	if (!n)
		return NULL;
	k = rnd(n);
	for (i = 0; i < MAX_SPD; i++)
		if (spds[i].live && !k--)
			return &spds[i];
	return NULL;
}

static uint32_t pick_spd_id(unsigned int live_pct)
{
	struct m_spd *spd = pct(live_pct) ? rnd_live_spd() : NULL;

	return spd ? spd->id : pool_spd(rnd(SPD_POOL));
}

/* One of our interfaces: ipsecif ones (1), others (0), any (-1). */
static int pick_dev(int ipsecif)
{
	int i, n = 0, k;

	for (i = 0; i < n_devs; i++)
		n += ipsecif < 0 || devs[i].ipsecif == ipsecif;
	if (!n)
		return -1;
	k = rnd(n);
	for (i = 0; i < n_devs; i++)
		if ((ipsecif < 0 || devs[i].ipsecif == ipsecif) && !k--)
			return i;
	return -1;
}

/* IPSECIF_A_IFINDEX or _IFNAME of interface @d; -1: no such interface. */
static void put_dev(struct node *root, int d)
{
	if (d < 0) {
		if (pct(50))
			put_u32(root, IPSECIF_A_IFINDEX,
				NO_IFINDEX + rnd(4096));
		else
			put_str(root, IPSECIF_A_IFNAME, NO_IFNAME);
		return;
	}
	if (pct(50))
		put_u32(root, IPSECIF_A_IFINDEX, devs[d].ifindex);
	else
		put_str(root, IPSECIF_A_IFNAME, devs[d].name);
}

static void put_alg(struct node *sa, int kind, const char *name, int key_len,
		    int64_t icv)
{
	struct node *a = nest(sa, alg_attr[kind]);
	uint8_t key[600];

	rnd_bytes(key, key_len);
	put_str(a, IPSECIF_ALG_A_NAME, name);
	put(a, IPSECIF_ALG_A_KEY, key, key_len);
	if (icv >= 0)
		put_u32(a, IPSECIF_ALG_A_ICV_LEN, icv);
}

static void put_hmac(struct node *sa, int icv_pct)
{
	const struct alg_desc *d = &algs[4 + rnd(4)];
	int64_t icv = -1;
	int key = pct(70) ? d->full_bits / 8 : (int)rnd(129);

	if (pct(icv_pct))
		icv = 64 + 8 * rnd((d->full_bits - 64) / 8 + 1);
	put_alg(sa, ALG_AUTH, d->name, key, icv);
}

static void gen_crypto(struct node *sa, bool esn)
{
	static const int gcm_keys[] = { 20, 28, 36 };
	static const int gcm_icv[] = { 64, 96, 128 };
	static const int cbc_keys[] = { 16, 24, 32 };
	int r = rnd(100);

	if (r < 35) {
		put_alg(sa, ALG_AEAD, algs[0].name, PICK(gcm_keys),
			PICK(gcm_icv));
	} else if (r < 47) {
		put_alg(sa, ALG_AEAD, algs[1].name, 36, 128);
	} else if (r < 76) {
		/* ENC's ICV_LEN is not checked: 2% carry one */
		put_alg(sa, ALG_ENC, "cbc(aes)", PICK(cbc_keys),
			pct(2) ? (int64_t)rnd64() % 100000 : -1);
		put_hmac(sa, 50);
	} else if (r < 84 && !esn) {
		put_alg(sa, ALG_ENC, "cbc(aes)", PICK(cbc_keys), -1);
	} else if (r < 93) {
		put_alg(sa, ALG_ENC, "ecb(cipher_null)", 0, -1);
		put_hmac(sa, 50);
	} else {
		switch (rnd(10)) {
		case 0:
			put_alg(sa, ALG_AEAD, "gcm(aes)", 20, 128);
			break;
		case 1:
			put_alg(sa, ALG_AEAD, algs[0].name, 20, 128);
			put_alg(sa, ALG_ENC, "cbc(aes)", 16, -1);
			break;
		case 2:
			put_hmac(sa, 50);
			break;
		case 3:
			put_alg(sa, ALG_ENC, "ecb(cipher_null)", 0, -1);
			break;
		case 4:
			put_alg(sa, ALG_AEAD, algs[0].name, 16, 128);
			break;
		case 5:
			put_alg(sa, ALG_AEAD, algs[rnd(2)].name, 36,
				PICK(((const int[]){ 0, 32, 120, 256 })));
			break;
		case 6:
			put_alg(sa, ALG_ENC, "cbc(aes)", 20, -1);
			put_hmac(sa, 50);
			break;
		case 7:
			put_alg(sa, ALG_ENC, "cbc(aes)", 16, -1);
			put_alg(sa, ALG_AUTH, "hmac(sha1)", 129 + rnd(384), -1);
			break;
		case 8:
			put_alg(sa, ALG_ENC, "cbc(aes)", 16, -1);
			put_alg(sa, ALG_AUTH, "hmac(sha256)", 32,
				PICK(((const int[]){ 0, 56, 65, 264, 96 })));
			break;
		default:
			put_alg(sa, ALG_AEAD, "cbc(aes)", 16, 128);
			break;
		}
	}
}

static void gen_endpoints(struct node *sa, bool bad)
{
	if (!bad && pct(70)) {
		put(sa, IPSECIF_SA_A_SRC, PICK(v4_pool), 4);
		put(sa, IPSECIF_SA_A_DST, PICK(v4_pool), 4);
	} else if (!bad) {
		put(sa, IPSECIF_SA_A_SRC6, PICK(v6_pool), 16);
		put(sa, IPSECIF_SA_A_DST6, PICK(v6_pool), 16);
	} else {
		switch (rnd(3)) {
		case 0:
			put(sa, IPSECIF_SA_A_SRC, PICK(v4_pool), 4);
			break;
		case 1:
			put(sa, IPSECIF_SA_A_SRC, PICK(v4_pool), 4);
			put(sa, IPSECIF_SA_A_DST6, PICK(v6_pool), 16);
			break;
		default:
			put(sa, IPSECIF_SA_A_DST6, PICK(v6_pool), 16);
			break;
		}
	}
}

static void gen_encap(struct node *sa)
{
	static const uint16_t sports[] = { 4500, 4501, 10001, 10002 };
	static const uint16_t dports[] = { 4500, 4501, 10003, 10004 };
	struct node *e = nest(sa, IPSECIF_SA_A_ENCAP);
	int r = rnd(100);

	if (r < 80) {
		put_u8(e, IPSECIF_ENCAP_A_TYPE, ESPINUDP);
		put_u16(e, IPSECIF_ENCAP_A_SPORT, PICK(sports));
		put_u16(e, IPSECIF_ENCAP_A_DPORT, PICK(dports));
	} else if (r < 90) {
		put_u8(e, IPSECIF_ENCAP_A_TYPE, 0);
	} else if (r < 96) {
		put_u8(e, IPSECIF_ENCAP_A_TYPE, ESPINUDP);
		put_u16(e, IPSECIF_ENCAP_A_SPORT, pct(50) ? 0 : 4500);
		if (pct(50))
			put_u16(e, IPSECIF_ENCAP_A_DPORT, 0);
	} else {
		/* type 1 (ESPINUDP_NON_IKE) is within the policy's range */
		put_u8(e, IPSECIF_ENCAP_A_TYPE, 1);
		put_u16(e, IPSECIF_ENCAP_A_SPORT, PICK(sports));
		put_u16(e, IPSECIF_ENCAP_A_DPORT, PICK(dports));
	}
}

static void gen_lifetime(struct node *sa, int type)
{
	static const uint64_t values[] = {
		0, 2, 1000, 3600, 1 << 20, 1ULL << 40, UINT64_MAX,
	};
	struct node *l = nest(sa, type);
	int i;

	for (i = 0; i < 3; i++)
		if (pct(60))
			put_u64(l, IPSECIF_LIFETIME_A_BYTES + i, PICK(values));
}

/* @fixed: ESN and parallel, as the SA has them (update) or will (add) */
static uint32_t gen_path_flags(uint32_t fixed)
{
	uint32_t f = fixed;

	if (pct(40)) {
		f |= rnd64() & F_PATH;
		if ((f & F_DF_BOTH) == F_DF_BOTH && pct(90))
			f &= ~(pct(50) ? IPSECIF_SA_F_DF_SET :
					 IPSECIF_SA_F_DF_CLEAR);
	}
	return f;
}

static uint64_t gen_seq(bool esn)
{
	if (esn)
		return pct(20) ? UINT64_MAX - rnd(3) : rnd64();
	if (pct(3))
		return (uint64_t)UINT32_MAX + 1 + rnd(10);
	return pct(20) ? UINT32_MAX - rnd(3) : (uint32_t)rnd64();
}

static void gen_sa_new(struct gmsg *m)
{
	bool tunnel = pct(75), esn = pct(25);
	struct node *sa;
	uint32_t flags;

	gmsg_init(m, IPSECIF_CMD_SA_NEW, false);
	sa = nest(m->root, IPSECIF_A_SA);
	put_u32(sa, IPSECIF_SA_A_ID, pct(92) ? pick_new_sa_id() : pick_sa_id());
	put_u32(sa, IPSECIF_SA_A_SPI, pct(96) ? pick_new_spi() :
		pct(50) ? 0 : pool_spi(rnd(SPI_POOL)));
	if (!tunnel || pct(40))
		put_u8(sa, IPSECIF_SA_A_MODE, tunnel ? IPSECIF_SA_MODE_TUNNEL :
			IPSECIF_SA_MODE_TRANSPORT);
	if (tunnel)
		gen_endpoints(sa, pct(3));
	else if (pct(3))
		put(sa, IPSECIF_SA_A_SRC, PICK(v4_pool), 4);
	gen_crypto(sa, esn);
	/* now and then a parallel SA */
	flags = gen_path_flags((esn ? F_ESN : 0) |
			       (pct(3) ? IPSECIF_SA_F_PARALLEL : 0));
	if (flags || pct(10))
		put_u32(sa, IPSECIF_SA_A_FLAGS, flags);
	if (pct(30))
		put_u32(sa, IPSECIF_SA_A_REPLAY_WINDOW,
			PICK(((const uint32_t[]){ 0, 1, 32, 64, 128, 1000,
						 4095, 4096 })));
	if (pct(25))
		put_u8(sa, IPSECIF_SA_A_DSCP, rnd(64));
	if (pct(25))
		put_u8(sa, IPSECIF_SA_A_TTL, rnd(256));
	if (pct(12))
		gen_encap(sa);
	if (pct(15))
		gen_lifetime(sa, IPSECIF_SA_A_LIFETIME_SOFT);
	if (pct(15))
		gen_lifetime(sa, IPSECIF_SA_A_LIFETIME_HARD);
	if (pct(12))
		put_u64(sa, IPSECIF_SA_A_SEQ_OUT, gen_seq(esn));
	if (HAVE_SEQ_IN && pct(12))
		put_u64(sa, SA_A_SEQ_IN, gen_seq(esn));
}

static void gen_sa_update(struct gmsg *m)
{
	struct m_sa *s = pct(88) ? rnd_live_sa(NULL, 0) : NULL;
	uint32_t fixed = s ? s->flags & F_FIXED : 0;
	struct node *sa;

	gmsg_init(m, IPSECIF_CMD_SA_UPDATE, false);
	sa = nest(m->root, IPSECIF_A_SA);
	put_u32(sa, IPSECIF_SA_A_ID, s ? s->id : pool_sa(rnd(SA_POOL)));
	if (pct(35))
		put_u32(sa, IPSECIF_SA_A_FLAGS,
			gen_path_flags(pct(95) ? fixed :
				       fixed ^ (pct(50) ? F_ESN :
						IPSECIF_SA_F_PARALLEL)));
	if (pct(25))
		put_u8(sa, IPSECIF_SA_A_DSCP, rnd(64));
	if (pct(25))
		put_u8(sa, IPSECIF_SA_A_TTL, rnd(256));
	if (pct(25))
		gen_encap(sa);
	if (pct(15))
		gen_lifetime(sa, IPSECIF_SA_A_LIFETIME_SOFT);
	if (pct(15))
		gen_lifetime(sa, IPSECIF_SA_A_LIFETIME_HARD);
	if (s && s->mode == IPSECIF_SA_MODE_TUNNEL && pct(30))
		gen_endpoints(sa, pct(5));
	else if (pct(3))
		put(sa, IPSECIF_SA_A_SRC, PICK(v4_pool), 4);
	/* what never changes in place: refused */
	if (pct(4)) {
		switch (rnd(5)) {
		case 0:
			put_u32(sa, IPSECIF_SA_A_SPI, s ? s->spi : 1);
			break;
		case 1:
			put_u8(sa, IPSECIF_SA_A_MODE, s ? s->mode : 0);
			break;
		case 2:
			put_u32(sa, IPSECIF_SA_A_REPLAY_WINDOW, 64);
			break;
		case 3:
			put_u64(sa, pct(50) || !HAVE_SEQ_IN ?
				IPSECIF_SA_A_SEQ_OUT : SA_A_SEQ_IN, 1);
			break;
		default:
			put_alg(sa, ALG_AEAD, algs[0].name, 20, 128);
			break;
		}
	}
}

static void gen_sa_id_cmd(struct gmsg *m, uint8_t cmd)
{
	struct m_sa *s = NULL;
	struct node *sa;

	if (cmd == IPSECIF_CMD_SA_DEL && pct(60))
		s = rnd_live_sa(sa_unused, 0);
	gmsg_init(m, cmd, false);
	sa = nest(m->root, IPSECIF_A_SA);
	put_u32(sa, IPSECIF_SA_A_ID, s ? s->id : pick_sa_id());
}

static bool sa_fits(const struct m_sa *sa, int arg)
{
	int d = arg >> 16, old = (int16_t)(arg & 0xffff);

	return (sa->owner < 0 || sa->owner == old) && !sa->policy_users &&
	       (devs[d].ipip || sa->mode == IPSECIF_SA_MODE_TUNNEL);
}

static uint32_t pick_prot_sa(int d, int old)
{
	struct m_sa *sa = NULL;

	if (d >= 0 && pct(80))
		sa = rnd_live_sa(sa_fits, d << 16 | (old & 0xffff));
	return sa ? sa->id : pick_sa_id();
}

static void put_peer(struct node *p, uint8_t *family, uint8_t *peer)
{
	memset(peer, 0, 16);
	if (pct(60)) {
		*family = 4;
		memcpy(peer, PICK(peer4_pool), 4);
		put(p, IPSECIF_PROTECT_A_PEER, peer, 4);
	} else {
		*family = 6;
		memcpy(peer, PICK(peer6_pool), 16);
		put(p, IPSECIF_PROTECT_A_PEER6, peer, 16);
	}
}

static void gen_protect_set(struct gmsg *m)
{
	int d = pick_dev(1), old, i, j, n, r = rnd(100);
	uint8_t family = 0, peer[16] = {};
	uint32_t ids[MAX_RX + 1];
	struct node *p;

	if (r < 3)
		d = pick_dev(0);
	else if (r < 6)
		d = -1;
	gmsg_init(m, IPSECIF_CMD_PROTECT_SET, false);
	put_dev(m->root, d);
	p = nest(m->root, IPSECIF_A_PROTECT);
	if (d >= 0 && devs[d].p2mp) {
		if (pct(97))
			put_peer(p, &family, peer);
		if (pct(2))
			put(p, IPSECIF_PROTECT_A_PEER, PICK(peer4_pool), 4);
	} else if (pct(3)) {
		put_peer(p, &family, peer);
	}
	old = d >= 0 ? prot_find(d, family, peer) : -1;
	if (pct(85))
		put_u32(p, IPSECIF_PROTECT_A_TX_SA, pick_prot_sa(d, old));
	n = pct(3) ? MAX_RX + 1 : (int)rnd(MAX_RX + 1);
	for (i = 0; i < n; i++) {
		ids[i] = pick_prot_sa(d, old);
		for (j = 0; j < i && pct(97); j++)
			if (ids[j] == ids[i]) {
				ids[i] = pick_prot_sa(d, old);
				j = -1;
				if (pct(30))
					break;
			}
		put_u32(p, IPSECIF_PROTECT_A_RX_SA, ids[i]);
	}
}

static void gen_protect_del(struct gmsg *m)
{
	int d = pick_dev(1), i, n = 0, k;
	uint8_t family = 0, peer[16];
	struct m_prot *pr = NULL;
	struct node *p;

	for (i = 0; i < MAX_PROT; i++)
		n += prots[i].live;
	if (n && pct(80)) {
		k = rnd(n);
		for (i = 0; i < MAX_PROT; i++)
			if (prots[i].live && !k--)
				pr = &prots[i];
	}
	gmsg_init(m, IPSECIF_CMD_PROTECT_DEL, false);
	if (pr)
		d = pr->dev;
	put_dev(m->root, d);
	p = nest(m->root, IPSECIF_A_PROTECT);
	if (pr && pr->family)
		put(p, pr->family == 4 ? IPSECIF_PROTECT_A_PEER :
			IPSECIF_PROTECT_A_PEER6, pr->peer,
		    pr->family == 4 ? 4 : 16);
	else if (!pr && ((d >= 0 && devs[d].p2mp) || pct(3)))
		put_peer(p, &family, peer);
}

static void put_spd(struct node *root, uint32_t id)
{
	put_u32(nest(root, IPSECIF_A_SPD), IPSECIF_SPD_A_ID, id);
}

static void gen_spd(struct gmsg *m, uint8_t cmd)
{
	int d, i, r = rnd(100);
	uint32_t id;

	switch (cmd) {
	case IPSECIF_CMD_SPD_NEW:
		id = pool_spd(rnd(SPD_POOL));
		for (i = 0; i < 8 && spd_find(id) && pct(85); i++)
			id = pool_spd(rnd(SPD_POOL));
		gmsg_init(m, cmd, false);
		put_spd(m->root, id);
		return;
	case IPSECIF_CMD_SPD_DEL:
	case IPSECIF_CMD_SPD_GET:
		gmsg_init(m, cmd, false);
		put_spd(m->root, pick_spd_id(85));
		return;
	case IPSECIF_CMD_SPD_ATTACH:
		d = pick_dev(-1);
		for (i = 0; i < 4 && d >= 0 && devs[d].attached && pct(85); i++)
			d = pick_dev(-1);
		gmsg_init(m, cmd, false);
		put_spd(m->root, pick_spd_id(90));
		if (r >= 2)
			put_dev(m->root, r < 5 ? -1 : d);
		return;
	case IPSECIF_CMD_SPD_DETACH:
		d = pick_dev(-1);
		for (i = 0; i < 4 && d >= 0 && !devs[d].attached && pct(80);
		     i++)
			d = pick_dev(-1);
		gmsg_init(m, cmd, false);
		if (pct(50))
			put_spd(m->root, d >= 0 && devs[d].attached && pct(85) ?
				devs[d].spd : pick_spd_id(70));
		if (r >= 2)
			put_dev(m->root, r < 5 ? -1 : d);
		return;
	}
}

/* Policies */

static void ukey_bytes(const struct ukey *k, int family, uint8_t *b)
{
	int i;

	if (family == 4) {
		for (i = 0; i < 4; i++)
			b[i] = k->lo >> (24 - 8 * i);
		return;
	}
	for (i = 0; i < 8; i++) {
		b[i] = k->hi >> (56 - 8 * i);
		b[8 + i] = k->lo >> (56 - 8 * i);
	}
}

/* An address of a small space (so that selectors meet), as a prefix of
 * @plen bits: its first and last address.
 */
static void rnd_prefix(int family, int plen, uint8_t *start, uint8_t *end)
{
	int len = family == 4 ? 4 : 16, i, bits;

	memset(start, 0, 16);
	if (family == 4) {
		start[0] = 10;
		start[1] = rnd(4);
		start[2] = rnd(4);
		start[3] = rnd(4) * 64 + rnd(3);
	} else {
		start[0] = 0x20;
		start[1] = 0x01;
		start[2] = 0x0d;
		start[3] = 0xb8;
		start[5] = rnd(4);
		start[15] = rnd(4);
	}
	memcpy(end, start, 16);
	for (i = 0; i < len; i++) {
		bits = plen - 8 * i;
		if (bits >= 8)
			continue;
		start[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		end[i] |= bits <= 0 ? 0xff : (uint8_t)~(0xff << (8 - bits));
	}
}

static void gen_side(struct pol_req *s, int side, int family)
{
	static const int plen4[] = { 0, 1, 8, 16, 24, 30, 31, 32 };
	static const int plen6[] = { 0, 1, 32, 48, 64, 112, 127, 128 };
	int len = family == 4 ? 4 : 16, plen;
	uint8_t a[16], b[16], c[16], d[16];

	switch (rnd(3)) {
	case 0:	/* a prefix */
		plen = pct(80) ? (family == 4 ? PICK(plen4) : PICK(plen6)) :
			(int)rnd(len * 8 + 1);
		rnd_prefix(family, plen, a, b);
		break;
	case 1:	/* a range */
		rnd_prefix(family, len * 8, a, b);
		rnd_prefix(family, len * 8, c, d);
		if (memcmp(a, c, len) > 0)
			memcpy(b, a, 16), memcpy(a, c, 16);
		else
			memcpy(b, c, 16);
		break;
	default:	/* one address */
		rnd_prefix(family, len * 8, a, b);
		break;
	}
	s->alen[side] = len;
	memcpy(s->addr[side], a, 16);
	if (memcmp(a, b, len) || pct(50)) {
		s->alen[side + 1] = len;
		memcpy(s->addr[side + 1], b, 16);
	}
}

static void gen_ports(struct pol_req *s, int side)
{
	static const uint16_t ports[] = { 22, 53, 80, 443, 1024, 5000, 65535 };
	uint16_t a = PICK(ports), b = PICK(ports), t;

	if (pct(50)) {
		s->has_port[side] = true;
		s->port[side] = a;
		if (pct(50)) {
			s->has_port[side + 1] = true;
			s->port[side + 1] = a;
		}
		return;
	}
	if (a > b && pct(95)) {
		t = a;
		a = b;
		b = t;
	}
	s->has_port[side] = true;
	s->port[side] = a;
	s->has_port[side + 1] = true;
	s->port[side + 1] = b;
}

static void put_pol_req(struct node *root, const struct pol_req *s)
{
	struct node *p = nest(root, IPSECIF_A_POLICY);
	int i;

	if (s->has_prio)
		put_u32(p, IPSECIF_POLICY_A_PRIORITY, (uint32_t)s->prio);
	if (s->has_dir)
		put_u8(p, IPSECIF_POLICY_A_DIR, s->dir);
	if (s->has_action)
		put_u8(p, IPSECIF_POLICY_A_ACTION, s->action);
	if (s->has_sa)
		put_u32(p, IPSECIF_POLICY_A_SA_ID, s->sa);
	if (s->has_proto)
		put_u8(p, IPSECIF_POLICY_A_PROTO, s->proto);
	for (i = 0; i < 4; i++)
		if (s->alen[i])
			put(p, addr_attr[i], s->addr[i], s->alen[i]);
	for (i = 0; i < 4; i++)
		if (s->has_port[i])
			put_u16(p, port_attr[i], s->port[i]);
}

static bool sa_policy_ok(const struct m_sa *sa, int arg)
{
	(void)arg;
	return sa->owner < 0 && !sa->encap;
}

static void gen_policy_new(struct gmsg *m)
{
	static const int32_t prios[] = {
		-5, 0, 1, 7, 10, 100, INT32_MIN, INT32_MAX,
	};
	static const uint8_t protos[] = { 0, 6, 17, 132, 1, 58, 50, 47 };
	struct pol_req s = {};
	struct m_sa *sa;
	int family = PICK(((const int[]){ 0, 4, 4, 6 })), r;

	gmsg_init(m, IPSECIF_CMD_POLICY_NEW, false);
	put_spd(m->root, pick_spd_id(92));
	s.has_prio = true;
	s.prio = pct(90) ? PICK(prios) : (int32_t)rnd64();
	s.has_dir = true;
	s.dir = rnd(2);
	s.has_action = true;
	r = rnd(100);
	s.action = r < 35 ? IPSECIF_POLICY_BYPASS : r < 65 ?
		   IPSECIF_POLICY_DISCARD : r < 98 ? IPSECIF_POLICY_PROTECT :
		   IPSECIF_POLICY_RESOLVE;
	if (s.action == IPSECIF_POLICY_PROTECT ? pct(97) : pct(3)) {
		sa = pct(80) ? rnd_live_sa(sa_policy_ok, 0) : NULL;
		s.has_sa = true;
		s.sa = sa ? sa->id : pick_sa_id();
	}
	if (pct(50)) {
		s.has_proto = true;
		s.proto = PICK(protos);
	}
	if (family) {
		if (pct(60))
			gen_side(&s, SEL_LS, family);
		if (pct(60) || !s.alen[SEL_LS])
			gen_side(&s, SEL_RS, family);
	}
	if (proto_has_ports(s.proto) ? pct(60) : pct(4)) {
		if (pct(60))
			gen_ports(&s, SEL_LS);
		if (pct(60))
			gen_ports(&s, SEL_RS);
	} else if (pct(3)) {
		s.has_port[SEL_LS] = s.has_port[SEL_LE] = true;
		s.has_port[SEL_RS] = s.has_port[SEL_RE] = true;
		s.port[SEL_LE] = s.port[SEL_RE] = 0xffff;
	}
	if (pct(3)) {
		switch (rnd(4)) {
		case 0:	/* a range that ends below its start */
			gen_side(&s, SEL_LS, 4);
			s.alen[SEL_LE] = 4;
			memcpy(s.addr[SEL_LE], s.addr[SEL_LS], 4);
			s.addr[SEL_LS][3] |= 1;
			s.addr[SEL_LE][3] &= ~1;
			break;
		case 1:	/* families mixed */
			gen_side(&s, SEL_LS, 4);
			gen_side(&s, SEL_RS, 6);
			break;
		case 2:	/* an end without its start */
			s.alen[SEL_RS] = 0;
			s.alen[SEL_RE] = 4;
			break;
		default:
			gen_side(&s, SEL_RS, 6);
			s.alen[SEL_RE] = 4;
			break;
		}
	}
	put_pol_req(m->root, &s);
}

static bool ukey_full(const struct ukey *s, const struct ukey *e, int family)
{
	return !s->hi && !s->lo && (family == 4 ?
		(!e->hi && e->lo == UINT32_MAX) :
		(e->hi == UINT64_MAX && e->lo == UINT64_MAX));
}

/* A policy of the model, its selectors written in one of the ways the
 * kernel takes for the same policy.
 */
static void gen_policy_del(struct gmsg *m)
{
	struct pol_req s = {};
	struct m_pol *p = NULL;
	int i, n = 0, k, len;
	bool wrote = false;

	for (i = 0; i < MAX_POL; i++)
		n += pols[i].live;
	if (!n || pct(25)) {
		gen_policy_new(m);
		m->cmd = IPSECIF_CMD_POLICY_DEL;
		return;
	}
	k = rnd(n);
	for (i = 0; i < MAX_POL; i++)
		if (pols[i].live && !k--)
			p = &pols[i];
	gmsg_init(m, IPSECIF_CMD_POLICY_DEL, false);
	put_spd(m->root, p->spd);
	s.has_prio = s.has_dir = true;
	s.prio = p->prio;
	s.dir = p->dir;
	if (pct(50)) {
		s.has_action = true;
		s.action = pct(95) ? p->action : rnd(3);
	}
	if (pct(p->has_sa ? 40 : 3)) {
		s.has_sa = true;
		s.sa = p->has_sa && pct(95) ? p->sa : pick_sa_id();
	}
	if (p->proto || pct(30)) {
		s.has_proto = true;
		s.proto = p->proto;
	}
	len = p->family == 4 ? 4 : 16;
	for (i = 0; p->family && i < 2; i++) {
		const struct ukey *a = i ? &p->rs : &p->ls;
		const struct ukey *b = i ? &p->re : &p->le;

		if (ukey_full(a, b, p->family) && pct(60) && (i == 0 || wrote))
			continue;
		wrote = true;
		s.alen[2 * i] = len;
		ukey_bytes(a, p->family, s.addr[2 * i]);
		if (ukey_cmp(a, b) || pct(50)) {
			s.alen[2 * i + 1] = len;
			ukey_bytes(b, p->family, s.addr[2 * i + 1]);
		}
	}
	for (i = 0; i < 2; i++) {
		uint16_t a = i ? p->rps : p->lps, b = i ? p->rpe : p->lpe;

		if (!a && b == 0xffff && pct(70))
			continue;
		s.has_port[2 * i] = true;
		s.port[2 * i] = a;
		if (a != b || pct(50)) {
			s.has_port[2 * i + 1] = true;
			s.port[2 * i + 1] = b;
		}
	}
	put_pol_req(m->root, &s);
}

static void gen_dump(struct gmsg *m)
{
	int d;

	switch (rnd(4)) {
	case 0:
		gmsg_init(m, IPSECIF_CMD_SA_GET, true);
		break;
	case 1:
		gmsg_init(m, IPSECIF_CMD_PROTECT_GET, true);
		if (pct(40))
			put_dev(m->root, pct(90) ? pick_dev(1) : -1);
		break;
	case 2:
		gmsg_init(m, IPSECIF_CMD_SPD_GET, true);
		break;
	default:
		gmsg_init(m, IPSECIF_CMD_POLICY_GET, true);
		d = pct(3);
		if (!d)
			put_spd(m->root, pick_spd_id(85));
		break;
	}
}

/* The mix of generated requests, per mille. */
enum {
	G_SA_NEW, G_SA_DEL, G_SA_UPDATE, G_SA_GET, G_SA_FLUSH, G_PROT_SET,
	G_PROT_DEL, G_SPD_NEW, G_SPD_DEL, G_SPD_ATTACH, G_SPD_DETACH,
	G_SPD_GET, G_POL_NEW, G_POL_DEL, G_DUMP, G_MAX
};

static const int gen_weight[G_MAX] = {
	[G_SA_NEW] = 150, [G_SA_DEL] = 60, [G_SA_UPDATE] = 80,
	[G_SA_GET] = 25, [G_SA_FLUSH] = 3, [G_PROT_SET] = 120,
	[G_PROT_DEL] = 50, [G_SPD_NEW] = 30, [G_SPD_DEL] = 8,
	[G_SPD_ATTACH] = 40, [G_SPD_DETACH] = 40, [G_SPD_GET] = 15,
	[G_POL_NEW] = 200, [G_POL_DEL] = 130, [G_DUMP] = 49,
};

static void gen_any(struct gmsg *m)
{
	int r = rnd(1000), g;

	/* few SAs: make some first */
	if (sa_count() < 6 && r < 500) {
		gen_sa_new(m);
		return;
	}
	for (g = 0; g < G_MAX - 1 && r >= gen_weight[g]; g++)
		r -= gen_weight[g];
	if (g == G_SA_FLUSH && opt.shared)	/* it would flush the others' */
		g = G_SA_GET;
	switch (g) {
	case G_SA_NEW:
		gen_sa_new(m);
		break;
	case G_SA_DEL:
		gen_sa_id_cmd(m, IPSECIF_CMD_SA_DEL);
		break;
	case G_SA_UPDATE:
		gen_sa_update(m);
		break;
	case G_SA_GET:
		gen_sa_id_cmd(m, IPSECIF_CMD_SA_GET);
		break;
	case G_SA_FLUSH:
		gmsg_init(m, IPSECIF_CMD_SA_FLUSH, false);
		break;
	case G_PROT_SET:
		gen_protect_set(m);
		break;
	case G_PROT_DEL:
		gen_protect_del(m);
		break;
	case G_SPD_NEW:
		gen_spd(m, IPSECIF_CMD_SPD_NEW);
		break;
	case G_SPD_DEL:
		gen_spd(m, IPSECIF_CMD_SPD_DEL);
		break;
	case G_SPD_ATTACH:
		gen_spd(m, IPSECIF_CMD_SPD_ATTACH);
		break;
	case G_SPD_DETACH:
		gen_spd(m, IPSECIF_CMD_SPD_DETACH);
		break;
	case G_SPD_GET:
		gen_spd(m, IPSECIF_CMD_SPD_GET);
		break;
	case G_POL_NEW:
		gen_policy_new(m);
		break;
	case G_POL_DEL:
		gen_policy_del(m);
		break;
	default:
		gen_dump(m);
		break;
	}
}

/* ------------------------------------------------------------------------
 * Mutations
 */

enum {
	MUT_LEN, MUT_TYPE, MUT_DROP, MUT_DUP, MUT_FLAG_NESTED, MUT_WRAP,
	MUT_DEEP, MUT_SHORT_NEST, MUT_NLA_LEN, MUT_HUGE, MUT_STRING,
	MUT_UNKNOWN, MUT_EXTRA, MUT_BYTEORDER, MUT_IF_BOTH,
	MUT_CMD, MUT_RESERVED, MUT_VERSION, MUT_FLAGS, MUT_NLTYPE,
	/* on the serialised datagram */
	MUT_TRUNC_HDR, MUT_TRUNC, MUT_SILENT, MUT_JUNK, MUT_BATCH,
	MUT_MAX
};

static const char *const mut_names[MUT_MAX] = {
	[MUT_LEN] = "wrong length",
	[MUT_TYPE] = "wrong/unknown type",
	[MUT_DROP] = "attribute left out",
	[MUT_DUP] = "attribute duplicated",
	[MUT_FLAG_NESTED] = "NLA_F_NESTED flipped",
	[MUT_WRAP] = "attribute wrapped in nests",
	[MUT_DEEP] = "deep nesting",
	[MUT_SHORT_NEST] = "nest of 0-3 bytes",
	[MUT_NLA_LEN] = "bad nla_len",
	[MUT_HUGE] = "huge/edge value",
	[MUT_STRING] = "broken string",
	[MUT_UNKNOWN] = "unknown attribute added",
	[MUT_EXTRA] = "extra attribute added",
	[MUT_BYTEORDER] = "NLA_F_NET_BYTEORDER set",
	[MUT_IF_BOTH] = "IFINDEX and IFNAME",
	[MUT_CMD] = "genl command",
	[MUT_RESERVED] = "genl reserved",
	[MUT_VERSION] = "genl version",
	[MUT_FLAGS] = "nlmsg_flags",
	[MUT_NLTYPE] = "nlmsg_type",
	[MUT_TRUNC_HDR] = "genl header truncated",
	[MUT_TRUNC] = "attributes truncated",
	[MUT_SILENT] = "zero/short/bad-length datagram",
	[MUT_JUNK] = "trailing junk",
	[MUT_BATCH] = "batched after a bad message",
};

/* per mutation kind: sent; then by the outcome predicted for the (last)
 * message: refused as malformed (framing, genetlink header, policies),
 * refused by the handler, accepted, ignored without an answer
 */
static unsigned long mut_stat[MUT_MAX][5];

struct nref {
	struct node *n;
	const struct pol *pt;	/* its policy entry; NULL: none known */
	const struct pol *tbl;	/* the policy of the nest it is in */
	int maxtype;
};

#define MAX_REFS 256

static int collect(struct node *parent, const struct pol *tbl, int maxtype,
		   struct nref *out, int k, bool nests_only)
{
	const struct pol *pt;
	struct node *c;
	uint16_t t;

	for (c = parent->first; c && k < MAX_REFS; c = c->next) {
		t = c->type & TYPE_MASK;
		pt = tbl && t && t <= maxtype ? &tbl[t] : NULL;
		if (!nests_only || c->nest) {
			out[k].n = c;
			out[k].pt = pt;
			out[k].tbl = pt && pt->type == PT_NESTED ? pt->nested :
				     NULL;
			out[k].maxtype = pt && pt->type == PT_NESTED ?
					 pt->len : 0;
			if (!nests_only) {
				out[k].tbl = tbl;
				out[k].maxtype = maxtype;
			}
			k++;
		}
		if (c->nest && pt && pt->type == PT_NESTED)
			k = collect(c, pt->nested, pt->len, out, k, nests_only);
		else if (c->nest)
			k = collect(c, NULL, 0, out, k, nests_only);
	}
	return k;
}

/* A node to mutate, or a container to add to (the root included). */
static bool pick_ref(struct gmsg *m, struct nref *r, bool container)
{
	struct nref refs[MAX_REFS];
	int n;

	if (container) {
		refs[0].n = m->root;
		refs[0].pt = NULL;
		refs[0].tbl = top_pol;
		refs[0].maxtype = IPSECIF_A_MAX;
		n = collect(m->root, top_pol, IPSECIF_A_MAX, refs, 1, true);
	} else {
		n = collect(m->root, top_pol, IPSECIF_A_MAX, refs, 0, false);
	}
	if (!n)
		return false;
	*r = refs[rnd(n)];
	return true;
}

static int fixed_size(const struct pol *pt)
{
	if (!pt || pt->type >= ARRAY_SIZE(fixed_len))
		return 0;
	return fixed_len[pt->type];
}

/* A well-formed value for @pt (within its range, mostly). */
static int rnd_value(const struct pol *pt, uint8_t *b)
{
	uint64_t v = rnd64();
	int len, i;

	switch (pt ? pt->type : PT_UNSPEC) {
	case PT_U8: case PT_U16: case PT_U32: case PT_U64: case PT_S32:
		if (pt->check == CHK_RANGE)
			v = pt->min + rnd(pt->max - pt->min + 1);
		else if (pt->check == CHK_MASK)
			v &= pt->max;
		len = fixed_size(pt);
		memcpy(b, &v, len);	/* little-endian host assumed */
		return len;
	case PT_BINARY:
		len = pt->check == CHK_RANGE ? (int)pt->min :
		      (int)rnd(pt->len && pt->len < 64 ? pt->len + 1 : 64);
		rnd_bytes(b, len);
		return len;
	case PT_ADDR:
		len = pct(50) ? 4 : 16;
		rnd_bytes(b, len);
		return len;
	case PT_STRING:
		len = 1 + rnd(pt->len < 12 ? pt->len : 12);
		for (i = 0; i < len - 1; i++)
			b[i] = 'a' + rnd(26);
		b[len - 1] = 0;
		return len;
	default:
		len = rnd(13);
		rnd_bytes(b, len);
		return len;
	}
}

static bool mut_len(struct nref *r)
{
	static const int ints[] = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 16 };
	static const int addrs[] = { 0, 1, 3, 4, 5, 8, 12, 15, 16, 17, 20, 32 };
	static const int keys[] = { 0, 1, 15, 129, 256, 511, 512, 513, 600,
				    1000, 4000 };
	uint8_t b[4096];
	int len, size = fixed_size(r->pt);

	if (r->n->nest)
		return false;
	if (size) {
		do
			len = PICK(ints);
		while (len == size);
	} else if (r->pt && (r->pt->type == PT_ADDR ||
			     (r->pt->type == PT_BINARY && r->pt->check))) {
		len = PICK(addrs);
	} else if (r->pt && r->pt->type == PT_BINARY) {
		len = PICK(keys);
	} else {
		len = rnd(40);
	}
	rnd_bytes(b, len);
	memcpy(b, r->n->data, len < r->n->dlen ? len : r->n->dlen);
	node_set(r->n, b, len);
	return true;
}

static bool mut_huge(struct nref *r)
{
	static const uint64_t u8v[] = { 0, 1, 2, 63, 64, 127, 128, 254, 255 };
	static const uint64_t u16v[] = { 0, 1, 0x7fff, 0x8000, 0xffff };
	static const uint64_t u32v[] = {
		0, 1, 2, 63, 64, 65, 96, 4095, 4096, 4097, 0x7fffffff,
		0x80000000, 0xfffffffe, 0xffffffff,
	};
	static const uint64_t u64v[] = {
		0, 1, 0xffffffff, 0x100000000ULL, INT64_MAX, UINT64_MAX,
	};
	uint8_t b[600];
	uint64_t v;
	int size = fixed_size(r->pt);

	if (r->n->nest)
		return false;
	switch (size) {
	case 1:
		v = PICK(u8v);
		break;
	case 2:
		v = PICK(u16v);
		break;
	case 4:
		v = PICK(u32v);
		break;
	case 8:
		v = PICK(u64v);
		break;
	default:
		if (!r->pt || r->pt->type != PT_BINARY || r->pt->check)
			return false;
		/* a key of 129 (HMAC's limit + 1) or 513 (the policy's) */
		size = pct(50) ? 129 : 513;
		rnd_bytes(b, size);
		node_set(r->n, b, size);
		return true;
	}
	memcpy(b, &v, size);
	node_set(r->n, b, size);
	return true;
}

static bool mut_string(struct gmsg *m, struct nref *r)
{
	char s[256];
	int len, i;

	if (!r->pt || r->pt->type != PT_STRING) {
		/* a name of the top level, then */
		r->n = put(m->root, IPSECIF_A_IFNAME, "", 0);
		r->pt = &top_pol[IPSECIF_A_IFNAME];
	}
	switch (rnd(6)) {
	case 0:	/* no NUL */
		len = 1 + rnd(20);
		memset(s, 'n', len);
		break;
	case 1:	/* too long */
		len = r->pt->len + 1 + rnd(100);
		memset(s, 'l', len);
		s[len++] = 0;
		break;
	case 2:	/* empty */
		len = 0;
		break;
	case 3:	/* just the NUL */
		len = 1;
		s[0] = 0;
		break;
	case 4:	/* a NUL inside, junk after it */
		len = r->n->dlen < 200 ? r->n->dlen : 200;
		memcpy(s, r->n->data, len);
		for (i = 0; i < (int)rnd(24); i++)
			s[len++] = 'j';
		if (pct(50))
			s[len++] = 0;
		break;
	default:
		len = rnd(24);
		rnd_bytes((uint8_t *)s, len);
		break;
	}
	node_set(r->n, s, len);
	return true;
}

static void wrap(struct node *n, uint16_t type)
{
	struct node *w = node_alloc(), *parent = n->parent;

	w->type = type | NLA_F_NESTED;
	w->nest = true;
	node_insert(parent, w, n);
	node_remove(n);
	node_append(w, n);
}

static bool mut_tree(struct gmsg *m, int kind)
{
	static const int deep[] = { 2, 3, 10, 64, 500, 1500 };
	static const int adj[] = { -8, -4, -3, -2, -1, 1, 2, 3, 4, 8, 100 };
	struct nref r;
	struct node *c, *n;
	uint8_t b[64];
	int i, len;

	if (kind == MUT_UNKNOWN || kind == MUT_EXTRA || kind == MUT_DEEP) {
		if (!pick_ref(m, &r, true))
			return false;
	} else if (!pick_ref(m, &r, false)) {
		if (kind != MUT_STRING)
			return false;
		r.n = NULL;
		r.pt = NULL;
	}

	switch (kind) {
	case MUT_LEN:
		return mut_len(&r);
	case MUT_TYPE:
		switch (rnd(5)) {
		case 0:
			i = 0;
			break;
		case 1:
			i = r.maxtype + 1;
			break;
		case 2:
			i = r.maxtype + 2 + rnd(200);
			break;
		case 3:
			i = TYPE_MASK;
			break;
		default:	/* another attribute's type of the nest */
			i = 1 + rnd(r.maxtype ?: 1);
			break;
		}
		r.n->type = (r.n->type & ~TYPE_MASK) | i;
		return true;
	case MUT_DROP:
		node_remove(r.n);
		return true;
	case MUT_DUP:
		c = node_clone(r.n);
		i = rnd(10);
		if (i >= 4 && !c->nest) {
			len = rnd_value(r.pt, b);
			node_set(c, b, len);
		}
		/* a changed copy before the original is a decoy (the last
		 * one wins)
		 */
		node_insert(r.n->parent, c, i < 7 ? r.n->next : r.n);
		return true;
	case MUT_FLAG_NESTED:
		r.n->type ^= NLA_F_NESTED;
		return true;
	case MUT_WRAP:
		for (i = rnd(3); i >= 0; i--)
			wrap(r.n, r.n->type & TYPE_MASK);
		return true;
	case MUT_DEEP:
		c = r.n;
		len = PICK(deep);
		for (i = 0; i < len && !tree_full; i++)
			c = nest(c, pct(80) ? 1 + rnd(r.maxtype ?: 1) :
				    rnd(TYPE_MASK));
		put_u32(c, 1, rnd64());
		return true;
	case MUT_SHORT_NEST:
		if (!r.n->nest)
			return false;
		len = pct(30) ? 0 : 1 + rnd(3);
		rnd_bytes(b, len);
		node_set(r.n, b, len);
		return true;
	case MUT_NLA_LEN:
		if (pct(25))
			r.n->len_abs = rnd(4);
		else if (pct(10))
			r.n->len_abs = 0xffff;
		else
			r.n->len_adj = PICK(adj);
		return true;
	case MUT_HUGE:
		return mut_huge(&r) || mut_len(&r);
	case MUT_STRING:
		return mut_string(m, &r);
	case MUT_UNKNOWN:
		len = rnd(17);
		rnd_bytes(b, len);
		n = put(r.n, PICK(((const uint16_t[]){ 0, 0x3fff })), b, len);
		if (pct(50))
			n->type = r.maxtype + 1 + rnd(300);
		if (pct(20))
			n->type |= NLA_F_NESTED;
		return true;
	case MUT_EXTRA:
		if (!r.tbl)
			return false;
		i = 1 + rnd(r.maxtype);
		if (r.tbl[i].type == PT_NESTED) {
			n = nest(r.n, i);
			if (pct(60)) {
				len = 1 + rnd(r.tbl[i].len);
				put(n, len, b,
				    rnd_value(&r.tbl[i].nested[len], b));
			}
		} else {
			len = rnd_value(&r.tbl[i], b);
			put(r.n, i, b, len);
		}
		return true;
	case MUT_BYTEORDER:
		r.n->type |= NLA_F_NET_BYTEORDER;
		return true;
	}
	return false;
}

static bool mut_if_both(struct gmsg *m)
{
	struct node *c;
	bool idx = false, name = false;
	int d = pick_dev(-1);

	for (c = m->root->first; c; c = c->next) {
		idx |= (c->type & TYPE_MASK) == IPSECIF_A_IFINDEX;
		name |= (c->type & TYPE_MASK) == IPSECIF_A_IFNAME;
	}
	if (!idx)
		put_u32(m->root, IPSECIF_A_IFINDEX, d >= 0 && pct(80) ?
			(uint32_t)devs[d].ifindex : NO_IFINDEX + rnd(4096));
	if (!name || idx)
		put_str(m->root, IPSECIF_A_IFNAME, d >= 0 && pct(80) ?
			devs[d].name : NO_IFNAME);
	return true;
}

static bool mut_header(struct gmsg *m, int kind)
{
	static const uint8_t bad_cmds[] = { 0, 16, 17, 19, 20, 64, 255 };
	static const uint16_t flags[] = {
		NLM_F_MULTI, NLM_F_ECHO, NLM_F_ROOT, NLM_F_MATCH, NLM_F_DUMP,
		NLM_F_CREATE, NLM_F_EXCL, NLM_F_APPEND, NLM_F_DUMP_INTR,
		NLM_F_DUMP_FILTERED, 0x8000,
	};
	static const uint16_t types[] = {
		NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, 15, 1024, 4096, 0xffff,
	};

	switch (kind) {
	case MUT_CMD:
		/* some unknown, some another command's (type confusion) */
		if (pct(60))
			m->cmd = PICK(bad_cmds);
		else
			m->cmd = 1 + rnd(IPSECIF_CMD_MAX);
		return true;
	case MUT_RESERVED:
		m->reserved = 1 + rnd(0xffff);
		return true;
	case MUT_VERSION:
		m->version = PICK(((const uint8_t[]){ 0, 2, 255 }));
		return true;
	case MUT_FLAGS:
		if (pct(15))
			m->flags &= ~NLM_F_REQUEST;
		else
			m->flags |= PICK(flags);
		return true;
	case MUT_NLTYPE:
		m->type = PICK(types);
		return true;
	case MUT_IF_BOTH:
		return mut_if_both(m);
	}
	return mut_tree(m, kind);
}

static int pick_mutation(void)
{
	int r = rnd(100);

	if (r < 76)
		return rnd(MUT_IF_BOTH + 1);
	if (r < 88)
		return MUT_CMD + rnd(MUT_NLTYPE - MUT_CMD + 1);
	return MUT_TRUNC_HDR + rnd(MUT_BATCH - MUT_TRUNC_HDR + 1);
}

/* Mutations of the serialised datagram @buf of @len bytes (one message);
 * returns the new length.
 */
static int mut_dgram(uint8_t *buf, int len, int kind)
{
	struct nlmsghdr nlh;
	int i, n;

	memcpy(&nlh, buf, sizeof(nlh));
	switch (kind) {
	case MUT_TRUNC_HDR:
		nlh.nlmsg_len = NLMSG_HDRLEN + rnd(GENL_HDRLEN);
		len = nlh.nlmsg_len;
		break;
	case MUT_TRUNC:
		if (len <= (int)(NLMSG_HDRLEN + GENL_HDRLEN + 1))
			return len;
		nlh.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN +
				rnd(len - NLMSG_HDRLEN - GENL_HDRLEN);
		len = nlh.nlmsg_len;
		break;
	case MUT_SILENT:
		switch (rnd(4)) {
		case 0:
			return 0;
		case 1:
			return 1 + rnd(NLMSG_HDRLEN - 1);
		case 2:
			nlh.nlmsg_len = rnd(NLMSG_HDRLEN);
			break;
		default:
			nlh.nlmsg_len = len + 1 + rnd(pct(50) ? 64 : 1 << 30);
			break;
		}
		break;
	case MUT_JUNK:
		if (pct(50)) {
			n = 1 + rnd(NLMSG_HDRLEN - 1);
			rnd_bytes(buf + len, n);
		} else {
			/* what follows has nlmsg_len 0: the kernel stops */
			n = NLMSG_HDRLEN + rnd(16);
			memset(buf + len, 0, n);
			for (i = 4; i < n; i++)
				buf[len + i] = rnd64();
		}
		len += n;
		break;
	}
	memcpy(buf, &nlh, sizeof(nlh));
	return len;
}

/* ------------------------------------------------------------------------
 * One step of fuzzing: a datagram made, judged, sent and answered
 */

static uint8_t origbuf[BUF_SIZE] __attribute__((aligned(8)));

/* Makes a datagram in txbuf: a generated request, mutated if @mutate
 * (the kinds applied in @kinds), after a message every kernel refuses for
 * its genetlink header if the batch mutation was drawn. @orig gets the
 * judgement of the request as generated.
 */
static int make_dgram(bool mutate, int *kinds, int *n_kinds,
		      struct expect *orig)
{
	int i, n, len, off = 0, kind, draw[3], n_draw = 0;
	bool batch = false;
	struct gmsg m;

	*n_kinds = 0;
	memset(orig, 0, sizeof(*orig));
	if (mutate) {
		n_draw = pct(75) ? 1 : pct(70) ? 2 : 3;
		for (i = 0; i < n_draw; i++) {
			draw[i] = pick_mutation();
			batch |= draw[i] == MUT_BATCH;
		}
	}
	if (batch) {
		struct gmsg b;

		gen_any(&b);
		if (pct(50))
			b.reserved = 1 + rnd(0xff);
		else
			b.cmd = PICK(((const uint8_t[]){ 0, 16, 17, 99 }));
		off = serialize(&b, txbuf, MSG_MAX, ++seq_next);
		if (off < 0)
			return -1;
		kinds[(*n_kinds)++] = MUT_BATCH;
	}
	gen_any(&m);
	if (mutate) {
		len = serialize(&m, origbuf, MSG_MAX, seq_next + 1);
		if (len < 0 || predict(origbuf, len, orig, 1) != 1)
			orig->kind = EXP_NONE;
	}
	for (i = 0; i < n_draw && !tree_full; i++) {
		kind = draw[i];
		if (kind == MUT_BATCH)
			continue;
		if (kind >= MUT_TRUNC_HDR || mut_header(&m, kind))
			kinds[(*n_kinds)++] = kind;
	}
	if ((mutate && !*n_kinds) || tree_full)
		return -1;
	len = serialize(&m, txbuf + off, MSG_MAX, ++seq_next);
	if (len < 0)
		return -1;
	for (i = 0, n = *n_kinds; i < n; i++)
		if (kinds[i] >= MUT_TRUNC_HDR && kinds[i] != MUT_BATCH)
			len = mut_dgram(txbuf + off, len, kinds[i]);
	return off + len;
}

static int outcome(const struct expect *e)
{
	if (e->kind == EXP_NONE)
		return 3;
	if (!e->err)
		return 2;
	return e->stage == STAGE_HANDLER ? 1 : 0;
}

static void fuzz_step(void)
{
	struct expect ex[MAX_EXPECT], orig;
	int kinds[4], n_kinds, len = -1, n = 0, i, tries;
	bool mutate = false, unsafe;

	for (tries = 0; tries < 100; tries++) {
		mutate = pct(45);
		len = make_dgram(mutate, kinds, &n_kinds, &orig);
		if (len < 0)
			continue;
		n = predict(txbuf, len, ex, MAX_EXPECT);
		for (i = 0, unsafe = false; i < n; i++)
			unsafe |= ex[i].unsafe;
		if (!unsafe)
			break;
		st.unsafe_skipped++;
		len = -1;
	}
	if (len < 0)
		return;
	/* A mutated request is invalid if the mutation made it refused:
	 * one refused as the generated request was (same errno, by the
	 * handler) counts as valid, the mutation harmless.
	 */
	for (i = 0; i < n; i++)
		ex[i].mutated = mutate &&
			!(i == n - 1 && orig.kind != EXP_NONE && orig.err &&
			  orig.err == ex[i].err &&
			  ex[i].stage == STAGE_HANDLER &&
			  orig.stage == STAGE_HANDLER);
	exchange(txbuf, len, ex, n);

	for (i = 0; i < n_kinds; i++) {
		mut_stat[kinds[i]][0]++;
		mut_stat[kinds[i]][1 + (n ? outcome(&ex[n - 1]) : 3)]++;
	}
}

/* ------------------------------------------------------------------------
 * Dumps on fresh sockets: tiny receive buffers, abandoned midway, or read
 * a message at a time while the main socket changes the state.
 */

static struct {
	struct mnl_socket *sock;
	int steps;		/* left before it is abandoned */
} linger;

static uint8_t dumpbuf[BUF_SIZE] __attribute__((aligned(8)));

static int dump_request(uint8_t *buf)
{
	struct gmsg m;

	gen_dump(&m);
	return serialize(&m, buf, MSG_MAX, ++seq_next);
}

/* Reads what is there; true once NLMSG_DONE or NLMSG_ERROR came. */
static bool dump_read(struct mnl_socket *s, int size, int flags)
{
	const struct nlmsghdr *nlh;
	bool has_msg;
	ssize_t n;
	int rem, err;

	n = recv(mnl_socket_get_fd(s), dumpbuf, size, flags | MSG_TRUNC);
	if (n < 0 && errno == EAGAIN && (flags & MSG_DONTWAIT))
		return false;
	if (n < 0 && errno == ENOBUFS) {
		/* the tiny receive buffer overran: the dump is lost */
		st.dump_overruns++;
		return true;
	}
	if (n < 0) {
		fatal("dump socket: %s", errno == EAGAIN ?
		      "no answer within 10 s" : strerror(errno));
		return true;
	}
	if (n > size)		/* truncated: only a tiny buffer does that */
		return false;
	rem = n;
	for (nlh = (const void *)dumpbuf; mnl_nlmsg_ok(nlh, rem);
	     nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type == NLMSG_DONE ||
		    nlh->nlmsg_type == NLMSG_ERROR) {
			err = nl_status(nlh, &has_msg);
			if (err && err != -ENOENT && err != -EINVAL &&
			    err != -ENODEV && err != -EOPNOTSUPP)
				fatal("dump ended with %s", err_name(err));
			return true;
		}
		if (nlh->nlmsg_type != family_id)
			fatal("dump message of type %u", nlh->nlmsg_type);
	}
	if (rem)
		fatal("malformed dump message");
	return false;
}

static void aborted_dump(void)
{
	static const int rcvbufs[] = { 0, 1, 256, 1024, 4096 };
	struct mnl_socket *s;
	int len, i, reads;

	len = dump_request(txbuf);
	if (len < 0 || opt.dry_run)
		return;
	s = sock_open(NETLINK_GENERIC, PICK(rcvbufs));
	if (mnl_socket_sendto(s, txbuf, len) != len) {
		fatal("send: %s", strerror(errno));
		mnl_socket_close(s);
		return;
	}
	st.sent++;
	st.dumps++;
	if (pct(20)) {
		/* read to the end, a datagram at a time */
		for (i = 0; i < 100000 && !st.fatal; i++)
			if (dump_read(s, sizeof(dumpbuf), 0))
				break;
	} else {
		reads = rnd(4);
		for (i = 0; i < reads; i++)
			dump_read(s, pct(50) ? 16 + (int)rnd(256) :
					       (int)sizeof(dumpbuf),
				  MSG_DONTWAIT);
		st.aborted++;
	}
	mnl_socket_close(s);
}

static void linger_start(void)
{
	int len = dump_request(txbuf);

	if (len < 0 || opt.dry_run || linger.sock)
		return;
	linger.sock = sock_open(NETLINK_GENERIC, pct(50) ? 1 : 2048);
	if (mnl_socket_sendto(linger.sock, txbuf, len) != len)
		fatal("send: %s", strerror(errno));
	st.sent++;
	st.dumps++;
	linger.steps = 1 + rnd(40);
}

static void linger_poll(void)
{
	if (!linger.sock)
		return;
	if (dump_read(linger.sock, sizeof(dumpbuf), MSG_DONTWAIT)) {
		mnl_socket_close(linger.sock);
		linger.sock = NULL;
		return;
	}
	if (--linger.steps <= 0) {
		mnl_socket_close(linger.sock);
		linger.sock = NULL;
		st.aborted++;
	}
}

/* ------------------------------------------------------------------------
 * The whole state against the model; deleting everything
 */

static void check_dump(uint8_t cmd, int dev, bool spd, uint32_t spd_id)
{
	struct gmsg m;

	gmsg_init(&m, cmd, true);
	if (dev >= 0)
		put_u32(m.root, IPSECIF_A_IFINDEX, devs[dev].ifindex);
	if (spd)
		put_spd(m.root, spd_id);
	send_msg(&m);
}

static void state_check(const char *when)
{
	struct gmsg m;
	int i;

	phase = when;
	checking = true;
	if (!opt.shared) {
		check_dump(IPSECIF_CMD_SA_GET, -1, false, 0);
		check_dump(IPSECIF_CMD_SPD_GET, -1, false, 0);
		check_dump(IPSECIF_CMD_PROTECT_GET, -1, false, 0);
	} else {
		/* dumps of the whole netns race with the other fuzzers */
		for (i = 0; i < SA_POOL && !st.fatal; i++) {
			gmsg_init(&m, IPSECIF_CMD_SA_GET, false);
			put_u32(nest(m.root, IPSECIF_A_SA), IPSECIF_SA_A_ID,
				pool_sa(i));
			send_msg(&m);
		}
		for (i = 0; i < SPD_POOL && !st.fatal; i++) {
			gmsg_init(&m, IPSECIF_CMD_SPD_GET, false);
			put_spd(m.root, pool_spd(i));
			send_msg(&m);
		}
		for (i = 0; i < n_devs && !st.fatal; i++)
			if (devs[i].ipsecif)
				check_dump(IPSECIF_CMD_PROTECT_GET, i, false,
					   0);
	}
	for (i = 0; i < MAX_SPD && !st.fatal; i++)
		if (spds[i].live)
			check_dump(IPSECIF_CMD_POLICY_GET, -1, true,
				   spds[i].id);
	checking = false;
	phase = "fuzz";
}

static void flush_all(void)
{
	struct gmsg m;
	struct node *p;
	int i;

	phase = "flush";
	for (i = 0; i < MAX_PROT && !st.fatal; i++) {
		if (!prots[i].live)
			continue;
		gmsg_init(&m, IPSECIF_CMD_PROTECT_DEL, false);
		put_u32(m.root, IPSECIF_A_IFINDEX, devs[prots[i].dev].ifindex);
		p = nest(m.root, IPSECIF_A_PROTECT);
		if (prots[i].family)
			put(p, prots[i].family == 4 ? IPSECIF_PROTECT_A_PEER :
				IPSECIF_PROTECT_A_PEER6, prots[i].peer,
			    prots[i].family == 4 ? 4 : 16);
		send_msg(&m);
	}
	for (i = 0; i < n_devs && !st.fatal; i++) {
		if (!devs[i].attached)
			continue;
		gmsg_init(&m, IPSECIF_CMD_SPD_DETACH, false);
		put_u32(m.root, IPSECIF_A_IFINDEX, devs[i].ifindex);
		send_msg(&m);
	}
	for (i = 0; i < MAX_SPD && !st.fatal; i++) {
		if (!spds[i].live)
			continue;
		gmsg_init(&m, IPSECIF_CMD_SPD_DEL, false);
		put_spd(m.root, spds[i].id);
		send_msg(&m);
	}
	for (i = 0; i < MAX_SA && !st.fatal; i++) {
		if (!sas[i].live)
			continue;
		gmsg_init(&m, IPSECIF_CMD_SA_DEL, false);
		put_u32(nest(m.root, IPSECIF_A_SA), IPSECIF_SA_A_ID, sas[i].id);
		send_msg(&m);
	}
}

/* ------------------------------------------------------------------------
 * Setting up: the family, the interfaces
 */

static uint16_t resolve_family(void)
{
	struct mnl_socket *s = sock_open(NETLINK_GENERIC, 0);
	uint8_t buf[8192] __attribute__((aligned(8)));
	struct attr tb[CTRL_ATTR_MAX + 1];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	uint16_t id = 0;
	ssize_t n;
	int len;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IPSECIF_GENL_NAME);
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		die("send");
	n = mnl_socket_recvfrom(s, buf, sizeof(buf));
	if (n < 0)
		die("receive");
	nlh = (struct nlmsghdr *)buf;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		fprintf(stderr, "nlfuzz: no generic netlink family \"%s\" (is the module loaded?)\n",
			IPSECIF_GENL_NAME);
		exit(1);
	}
	len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	parse(buf + NLMSG_HDRLEN + GENL_HDRLEN, len, tb, CTRL_ATTR_MAX);
	if (has(&tb[CTRL_ATTR_FAMILY_ID]))
		id = g16(&tb[CTRL_ATTR_FAMILY_ID]);
	if (has(&tb[CTRL_ATTR_MAXATTR]) &&
	    g32(&tb[CTRL_ATTR_MAXATTR]) != IPSECIF_A_MAX)
		fprintf(stderr, "nlfuzz: warning: the family's maxattr is %u, the header's %u\n",
			g32(&tb[CTRL_ATTR_MAXATTR]), IPSECIF_A_MAX);
	mnl_socket_close(s);
	if (!id) {
		fprintf(stderr, "nlfuzz: no family id for \"%s\"\n",
			IPSECIF_GENL_NAME);
		exit(1);
	}
	return id;
}

static void add_link(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct attr tb[IFLA_MAX + 1], li[IFLA_INFO_MAX + 1];
	struct link *l;
	int len;

	if (n_links == MAX_NETDEVS)
		return;
	len = nlh->nlmsg_len - NLMSG_SPACE(sizeof(*ifi));
	parse((const uint8_t *)ifi + NLMSG_ALIGN(sizeof(*ifi)), len, tb,
	      IFLA_MAX);
	l = &links[n_links++];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->dev = -1;
	gstr(&tb[IFLA_IFNAME], l->name, sizeof(l->name));
	if (!has(&tb[IFLA_LINKINFO]))
		return;
	parse(tb[IFLA_LINKINFO].d, tb[IFLA_LINKINFO].len, li, IFLA_INFO_MAX);
	l->ipsecif = has(&li[IFLA_INFO_KIND]) &&
		     !strcmp((const char *)li[IFLA_INFO_KIND].d,
			     IPSECIF_LINK_KIND);
}

/* Every link of the netns; the modes of ours. */
static void discover_links(void)
{
	struct mnl_socket *s = sock_open(NETLINK_ROUTE, 0);
	static uint8_t buf[BUF_SIZE] __attribute__((aligned(8)));
	const struct nlmsghdr *nlh;
	struct nlmsghdr *req;
	struct ifinfomsg *ifi;
	bool done = false;
	ssize_t n;
	int rem;

	req = mnl_nlmsg_put_header(buf);
	req->nlmsg_type = RTM_GETLINK;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->nlmsg_seq = 1;
	ifi = mnl_nlmsg_put_extra_header(req, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (mnl_socket_sendto(s, req, req->nlmsg_len) < 0)
		die("send");
	while (!done) {
		n = mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n < 0)
			die("receive");
		rem = n;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, rem);
		     nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR)
				done = true;
			else if (nlh->nlmsg_type == RTM_NEWLINK)
				add_link(nlh);
		}
	}
	mnl_socket_close(s);
}

/* IFLA_INFO_DATA of an ipsecif link: its mode, and local/remote. */
static void link_mode(struct dev *d)
{
	struct mnl_socket *s = sock_open(NETLINK_ROUTE, 0);
	static uint8_t buf[BUF_SIZE] __attribute__((aligned(8)));
	struct attr tb[IFLA_MAX + 1], li[IFLA_INFO_MAX + 1];
	struct attr data[IFLA_IPSECIF_MAX + 1];
	struct nlmsghdr *req;
	struct ifinfomsg *ifi;
	ssize_t n;

	req = mnl_nlmsg_put_header(buf);
	req->nlmsg_type = RTM_GETLINK;
	req->nlmsg_flags = NLM_F_REQUEST;
	req->nlmsg_seq = 1;
	ifi = mnl_nlmsg_put_extra_header(req, sizeof(*ifi));
	ifi->ifi_index = d->ifindex;
	if (mnl_socket_sendto(s, req, req->nlmsg_len) < 0)
		die("send");
	n = mnl_socket_recvfrom(s, buf, sizeof(buf));
	mnl_socket_close(s);
	if (n < 0 || ((struct nlmsghdr *)buf)->nlmsg_type != RTM_NEWLINK) {
		fprintf(stderr, "nlfuzz: cannot read link %s\n", d->name);
		exit(1);
	}
	req = (struct nlmsghdr *)buf;
	parse(buf + NLMSG_SPACE(sizeof(*ifi)),
	      req->nlmsg_len - NLMSG_SPACE(sizeof(*ifi)), tb, IFLA_MAX);
	parse(tb[IFLA_LINKINFO].d, tb[IFLA_LINKINFO].len, li, IFLA_INFO_MAX);
	parse(li[IFLA_INFO_DATA].d, li[IFLA_INFO_DATA].len, data,
	      IFLA_IPSECIF_MAX);
	d->p2mp = g32(&data[IFLA_IPSECIF_MODE]) == IPSECIF_MODE_P2MP;
	d->ipip = has(&data[IFLA_IPSECIF_LOCAL]) ||
		  has(&data[IFLA_IPSECIF_LOCAL6]);
}

static void add_dev(const char *arg)
{
	struct dev *d;
	const char *colon = strchr(arg, ':');
	int i, len = colon ? colon - arg : (int)strlen(arg);

	if (n_devs == MAX_DEVS || len >= IFNAMSZ || !len) {
		fprintf(stderr, "nlfuzz: bad or too many --dev '%s'\n", arg);
		exit(1);
	}
	d = &devs[n_devs];
	memset(d, 0, sizeof(*d));
	memcpy(d->name, arg, len);
	if (opt.dry_run) {
		/* --dev NAME:p2p|p2mp|ipip|other */
		d->ifindex = 100 + n_devs;
		d->ipsecif = !colon || strcmp(colon + 1, "other");
		d->p2mp = colon && !strcmp(colon + 1, "p2mp");
		d->ipip = colon && !strcmp(colon + 1, "ipip");
		links[n_links].ifindex = d->ifindex;
		strcpy(links[n_links].name, d->name);
		links[n_links].ipsecif = d->ipsecif;
		links[n_links++].dev = n_devs++;
		return;
	}
	for (i = 0; i < n_links; i++)
		if (!strcmp(links[i].name, d->name))
			break;
	if (i == n_links) {
		fprintf(stderr, "nlfuzz: no interface %s in this netns\n",
			d->name);
		exit(1);
	}
	d->ifindex = links[i].ifindex;
	d->ipsecif = links[i].ipsecif;
	links[i].dev = n_devs++;
	if (d->ipsecif)
		link_mode(d);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nlfuzz [--seed N] [--count N] [--dev NAME]... [--id-base N]\n"
		"              [--check-every N] [--flush] [--strict] [--verbose]\n"
		"              [--dry-run]\n");
	exit(2);
}

static void summary(void)
{
	int k;

	fprintf(stderr, "nlfuzz: mutation kind                     sent malformed handler accepted ignored\n");
	for (k = 0; k < MUT_MAX; k++)
		fprintf(stderr, "nlfuzz:   %-30s %7lu %7lu %7lu %7lu %7lu\n",
			mut_names[k], mut_stat[k][0], mut_stat[k][1],
			mut_stat[k][2], mut_stat[k][3], mut_stat[k][4]);
	fprintf(stderr, "nlfuzz: well-formed requests by command     sent accepted refused\n");
	for (k = 1; k <= IPSECIF_CMD_MAX; k++)
		if (st.by_cmd[k][0])
			fprintf(stderr, "nlfuzz:   %-30s %7lu %7lu %7lu\n",
				cmd_name(k), st.by_cmd[k][0], st.by_cmd[k][1],
				st.by_cmd[k][2]);
	fprintf(stderr, "nlfuzz: invalid refused by: framing %lu, genl header %lu, policy %lu, handler %lu; with an extack message %lu\n",
		st.refused_by[0], st.refused_by[1], st.refused_by[2],
		st.refused_by[3], st.invalid_extack);
	printf("nlfuzz: seed %" PRIu64 ", mispredicted %lu, errno differs %lu, ignored %lu, unsafe skipped %lu, dump overruns %lu%s%s\n",
	       opt.seed, st.mispredicted, st.errno_differs, st.silent,
	       st.unsafe_skipped, st.dump_overruns,
	       st.tainted ? ", model tainted" : "",
	       st.fatal ? ", stopped by an error" : "");
	printf("nlfuzz: sent %lu, valid-accepted %lu, valid-refused %lu, invalid-refused %lu, invalid-accepted %lu, dumps %lu (aborted %lu), model mismatches %lu\n",
	       st.sent, st.valid_ok, st.valid_refused, st.invalid_refused,
	       st.invalid_accepted, st.dumps, st.aborted, st.mismatches);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "dev", required_argument, NULL, 'd' },
		{ "id-base", required_argument, NULL, 'b' },
		{ "check-every", required_argument, NULL, 'k' },
		{ "flush", no_argument, NULL, 'f' },
		{ "strict", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	char *devargs[MAX_DEVS];
	unsigned long step = 0, next_progress = 20000;
	int c, i, n_devargs = 0, r, n_pol, n_spd;
	bool seeded = false;

	while ((c = getopt_long(argc, argv, "s:c:d:b:k:fSvn", longopts,
				NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'c':
			opt.count = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			if (n_devargs == MAX_DEVS)
				usage();
			devargs[n_devargs++] = optarg;
			break;
		case 'b':
			opt.id_base = strtoul(optarg, NULL, 0);
			opt.shared = true;
			if (opt.id_base >= (1U << 24) - 1)
				usage();
			break;
		case 'k':
			opt.check_every = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			opt.flush = true;
			break;
		case 'S':
			opt.strict = true;
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'n':
			opt.dry_run = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (!seeded)
		opt.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	rng = opt.seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("nlfuzz: seed %" PRIu64 ", count %lu%s\n", opt.seed, opt.count,
	       opt.shared ? ", shared netns" : "");

	if (HAVE_SEQ_IN)
		sa_pol[SA_A_SEQ_IN].type = PT_U64;
	if (opt.dry_run) {
		family_id = 0x20;
	} else {
		family_id = resolve_family();
		discover_links();
	}
	for (i = 0; i < n_devargs; i++)
		add_dev(devargs[i]);
	for (i = 0; i < n_devs; i++)
		fprintf(stderr, "nlfuzz: interface %s (%d): %s\n", devs[i].name,
			devs[i].ifindex, !devs[i].ipsecif ? "other" :
			devs[i].p2mp ? "ipsecif p2mp" : devs[i].ipip ?
			"ipsecif p2p with local/remote" : "ipsecif p2p");
	rx_main.sock = opt.dry_run ? NULL : sock_open(NETLINK_GENERIC, 0);

	state_check("initial check");
	if (st.mismatches || st.fatal) {
		fprintf(stderr, "nlfuzz: the netns is not as expected: %s\n",
			opt.shared ? "ids of our range are taken" :
			"it must hold no SA, SPD or protection to start with");
		summary();
		return 1;
	}

	while (st.sent < opt.count && !st.fatal) {
		step++;
		if (opt.check_every && step % opt.check_every == 0)
			state_check("periodic check");
		r = rnd(1000);
		if (r < 12)
			aborted_dump();
		else if (r < 16 && !linger.sock)
			linger_start();
		else
			fuzz_step();
		linger_poll();
		if (st.sent >= next_progress) {
			for (i = 0, n_pol = 0; i < MAX_POL; i++)
				n_pol += pols[i].live;
			for (i = 0, n_spd = 0; i < MAX_SPD; i++)
				n_spd += spds[i].live;
			fprintf(stderr, "nlfuzz: %lu sent; %d SAs, %d SPDs, %d policies; mismatches %lu\n",
				st.sent, sa_count(), n_spd, n_pol,
				st.mismatches);
			next_progress += 20000;
		}
	}
	if (linger.sock)
		mnl_socket_close(linger.sock);
	if (!st.fatal)
		state_check("final check");
	if (opt.flush && !st.fatal) {
		flush_all();
		state_check("check after flush");
		if (!st.fatal && sa_count())
			mismatch("%d SAs left after the flush", sa_count());
	}
	summary();
	return st.invalid_accepted || st.mismatches || st.fatal ||
	       st.sent < opt.count || (opt.strict && st.mispredicted);
}
