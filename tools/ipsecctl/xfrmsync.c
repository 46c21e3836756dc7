// SPDX-License-Identifier: GPL-2.0
/*
 * "ipsecctl xfrm-sync": the bridge from an IKE daemon that drives Linux xfrm
 * (strongSwan's charon, with route-based CHILD_SAs: if_id_in/if_id_out, as
 * for xfrm interfaces) to ipsecif. It listens to the xfrm SA notifications
 * of its network namespace and mirrors every ESP SA of one interface id into
 * an ipsecif SA with the same SPI, endpoints, algorithms and keys, and keeps
 * the protection of one ipsecif interface (or of one peer of a p2mp one) in
 * step: a new inbound SA joins the RX set, the outbound SA that the
 * daemon's outbound policy names (else the newest) becomes the TX SA, and
 * an SA that xfrm deleted leaves, a grace period later, the protection and
 * then ipsecif. Rekeying thus becomes the hitless sequence
 * new RX, new TX, old RX gone, whatever the order of the daemon's changes.
 *
 * The ipsecif SA id of an SA is its SPI; an SA is inbound if its destination
 * is a local address of the namespace (a route lookup says "local"). The
 * xfrm SAs stay: the daemon owns them, and no traffic ever uses them (see
 * Documentation/strongswan.rst).
 */

#define _GNU_SOURCE	/* ppoll() */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/ipsec.h>
#include <linux/ipsecif.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>

#include "ipsecctl.h"
#include "nl.h"
#include "utils.h"
#include "xfrmsync.h"

/*
 * How long an SA that xfrm deleted stays in the protection (and in
 * ipsecif): packets still in flight on it are received, and an SA that the
 * daemon deletes and adds again at once (strongSwan moves an SA to new
 * addresses that way: MOBIKE, NAT rebinding) is moved in place, keeping its
 * sequence numbers, instead of being replaced.
 */
#define XS_GRACE_MS	500
/* SAs of the if_id tracked at once: one CHILD_SA has 2, 4 while rekeyed. */
#define XS_MAX_SAS	64
/* Outbound policies of the if_id that name an SA: one per selector pair. */
#define XS_MAX_POLICIES	64
/* The longest key, in bytes, as "ip xfrm state" allows. */
#define XS_KEY_MAX	512
/* ipsecif's largest replay window. */
#define XS_WINDOW_MAX	4096
/* Bytes of notifications the kernel may queue for us. */
#define XS_RCVBUF	(1 << 20)
/* The largest --input file. */
#define XS_INPUT_MAX	(1 << 20)

struct xs_alg {
	bool present;
	char name[sizeof(((struct xfrm_algo *)0)->alg_name)];
	uint8_t key[XS_KEY_MAX];
	uint32_t key_len;	/* bytes */
	bool has_icv;
	uint32_t icv_bits;	/* AEAD ICV or integrity truncation */
};

/* One ESP SA of the if_id as xfrm has it, and the state of its copy. */
struct xs_sa {
	uint32_t spi;		/* host order; also the ipsecif SA id */
	bool inbound;
	uint8_t mode;		/* enum ipsecif_sa_mode */
	struct ip_addr src;
	struct ip_addr dst;
	struct xs_alg aead;
	struct xs_alg enc;
	struct xs_alg auth;
	uint32_t flags;		/* IPSECIF_SA_F_* */
	uint32_t replay_window;
	bool encap;
	uint16_t sport;
	uint16_t dport;
	uint64_t seq_out;	/* what xfrm sent and received with it */
	uint64_t seq_in;
	uint64_t add_time;	/* xfrm's, seconds: newer SAs are preferred */
	uint64_t seen;		/* order of arrival, among equal add_times */
	bool mirrored;		/* the ipsecif SA exists */
	bool failed;		/* ipsecif refused it: not tried again */
	bool dumped;		/* found by the current dump */
	int64_t dead_at;	/* ms: xfrm deleted it, gone at this time; 0: live */
};

/* A protection: what ipsecif has, or what it should have. */
struct xs_protect {
	bool exists;
	bool has_tx;
	uint32_t tx;
	unsigned int rx_count;
	uint32_t rx[IPSECIF_MAX_RX_SA];
};

/* An outbound policy of the if_id whose ESP template names an SA. */
struct xs_policy {
	uint32_t index;		/* xfrm's policy index */
	uint32_t spi;		/* host order, not 0 */
};

/* An ipsecif SA found at the start whose id is its SPI: ours, maybe. */
struct xs_found {
	struct xs_sa sa;
	bool claimed;
};

struct xsync {
	const char *ifname;
	uint32_t if_id;
	struct ip_addr peer;	/* family 0: p2p */
	bool verbose;
	bool once;
	bool dry_run;
	const char *input;	/* notifications from a file (tests) */
	struct xs_sa sas[XS_MAX_SAS];
	unsigned int count;
	uint64_t seen;
	struct xs_policy policies[XS_MAX_POLICIES];
	unsigned int policy_count;
	struct xs_protect cur;	/* the protection as ipsecif has it */
	struct xs_found *found;	/* at the start only */
	size_t found_count;
	uint32_t *stale;	/* our SAs of an earlier run, to delete */
	size_t stale_count;
	int64_t now;		/* ms, monotonic; virtual with --input */
	unsigned int failures;	/* ipsecif requests that failed */
	struct nl_handle events;	/* xfrm notifications */
	struct nl_handle requests;	/* xfrm dumps */
	struct mnl_socket *rtnl;	/* route lookups */
	unsigned int rtnl_seq;
};

static struct xsync xs;

static void xfrm_sync_usage(FILE *out)
{
	fputs("Usage: ipsecctl xfrm-sync dev NAME if-id ID [peer ADDR] [-v] [--once] [--dry-run]\n"
	      "       ipsecctl xfrm-sync help\n"
	      "Mirrors the ESP SAs that an IKE daemon installs in Linux xfrm with\n"
	      "interface id ID into ipsecif SAs and the protection of NAME (or of its\n"
	      "peer ADDR), until interrupted; --once syncs what xfrm has and exits.\n"
	      "-v: also show the xfrm events; --dry-run: change nothing, show what\n"
	      "would be done.\n", out);
}

/* ------------------------------------------------------------------------ */
/* Output: one line per action on stdout; errors on stderr. */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

#define verbose(...)	do { if (xs.verbose) say(__VA_ARGS__); } while (0)

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
	va_list ap;

	fputs("ipsecctl: xfrm-sync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *addr_str(const struct ip_addr *addr, char *buf)
{
	return format_addr(addr, buf, INET6_ADDRSTRLEN);
}

static const char *dir_name(const struct xs_sa *sa)
{
	return sa->inbound ? "inbound" : "outbound";
}

/* " encap espinudp sport P dport P" or " encap none". */
static void print_encap(FILE *out, const struct xs_sa *sa)
{
	if (sa->encap)
		fprintf(out, " encap espinudp sport %u dport %u", sa->sport,
			sa->dport);
	else
		fputs(" encap none", out);
}

static void print_alg(FILE *out, const char *keyword, const struct xs_alg *alg)
{
	if (!alg->present)
		return;
	fprintf(out, " %s '%s' 0x<%u bytes>", keyword, alg->name, alg->key_len);
	if (alg->has_icv)
		fprintf(out, " %u", alg->icv_bits);
}

/* "sa add ..." as ipsecctl takes it, keys left out. */
static void print_sa_add(const struct xs_sa *sa)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	printf("sa add 0x%08x spi 0x%08x mode %s", sa->spi, sa->spi,
	       sa->mode == IPSECIF_SA_MODE_TUNNEL ? "tunnel" : "transport");
	if (sa->mode == IPSECIF_SA_MODE_TUNNEL)
		printf(" src %s dst %s", addr_str(&sa->src, src),
		       addr_str(&sa->dst, dst));
	print_alg(stdout, "aead", &sa->aead);
	print_alg(stdout, "enc", &sa->enc);
	print_alg(stdout, sa->auth.has_icv ? "auth-trunc" : "auth", &sa->auth);
	if (sa->flags & IPSECIF_SA_F_ESN)
		fputs(" esn", stdout);
	printf(" replay-window %u", sa->replay_window);
	if (sa->encap)
		print_encap(stdout, sa);
	if (sa->seq_out)
		printf(" seq-out %" PRIu64, sa->seq_out);
	if (sa->seq_in)
		printf(" seq-in %" PRIu64, sa->seq_in);
	printf(" (%s)\n", dir_name(sa));
	fflush(stdout);
}

static void print_protect(const char *cmd, const struct xs_protect *pr)
{
	char peer[INET6_ADDRSTRLEN];
	unsigned int i;

	printf("protect %s dev %s", cmd, xs.ifname);
	if (xs.peer.family)
		printf(" peer %s", addr_str(&xs.peer, peer));
	if (pr) {
		if (pr->has_tx)
			printf(" tx 0x%08x", pr->tx);
		if (pr->rx_count)
			fputs(" rx", stdout);
		for (i = 0; i < pr->rx_count; i++)
			printf(" 0x%08x", pr->rx[i]);
	}
	putchar('\n');
	fflush(stdout);
}

/* ------------------------------------------------------------------------ */
/* Time */

static int64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tick(void)
{
	if (!xs.input)
		xs.now = clock_ms();
}

/* ------------------------------------------------------------------------ */
/* Direction: an SA to a local address is inbound. */

/*
 * Whether the kernel routes @addr locally (RTM_GETROUTE says RTN_LOCAL).
 * An address it cannot route at all is not local; no error is shown.
 */
static bool is_local(const struct ip_addr *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *reply;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned int seq;
	int len;

	if (!xs.rtnl) {
		xs.rtnl = mnl_socket_open(NETLINK_ROUTE);
		if (!xs.rtnl || mnl_socket_bind(xs.rtnl, 0, MNL_SOCKET_AUTOPID)) {
			complain("cannot open rtnetlink: %s", strerror(errno));
			if (xs.rtnl)
				mnl_socket_close(xs.rtnl);
			xs.rtnl = NULL;
			return false;
		}
	}
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq = ++xs.rtnl_seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = addr->family;
	rtm->rtm_dst_len = ip_addr_len(addr) * 8;
	mnl_attr_put(nlh, RTA_DST, ip_addr_len(addr), addr->bytes);
	if (mnl_socket_sendto(xs.rtnl, nlh, nlh->nlmsg_len) < 0)
		return false;
	for (;;) {
		len = mnl_socket_recvfrom(xs.rtnl, buf, sizeof(buf));
		if (len < 0)
			return false;
		for (reply = (const struct nlmsghdr *)buf;
		     mnl_nlmsg_ok(reply, len);
		     reply = mnl_nlmsg_next(reply, &len)) {
			if (reply->nlmsg_seq != seq)
				continue;
			if (reply->nlmsg_type != RTM_NEWROUTE ||
			    mnl_nlmsg_get_payload_len(reply) < sizeof(*rtm))
				return false;
			rtm = mnl_nlmsg_get_payload(reply);
			return rtm->rtm_type == RTN_LOCAL;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* xfrm SAs, as the notifications and dumps describe them */

enum xs_parsed {
	XS_MINE,	/* an ESP SA of our if_id, mirrored */
	XS_OTHER,	/* not ours: another protocol or if_id */
	XS_UNSUPPORTED,	/* ours, but ipsecif cannot have it (@why) */
};

static const void *attr_data(const struct nlattr *attr, size_t min)
{
	if (!attr || mnl_attr_get_payload_len(attr) < min)
		return NULL;
	return mnl_attr_get_payload(attr);
}

/* Copies an algorithm of @len bytes (struct and key) at @data. */
static bool get_alg(struct xs_alg *alg, const char *name, uint32_t key_bits,
		    size_t head, size_t len, const void *key)
{
	size_t name_len = strnlen(name, sizeof(alg->name));

	if (name_len == sizeof(alg->name) || key_bits % 8 ||
	    key_bits / 8 > XS_KEY_MAX || head + key_bits / 8 > len)
		return false;
	alg->present = true;
	memcpy(alg->name, name, name_len + 1);
	alg->key_len = key_bits / 8;
	memcpy(alg->key, key, alg->key_len);
	return true;
}

static const char *get_algs(const struct nlattr **tb, struct xs_sa *sa)
{
	const struct xfrm_algo_aead *aead;
	const struct xfrm_algo_auth *trunc;
	const struct xfrm_algo *algo;

	if (tb[XFRMA_ALG_COMP])
		return "IPComp";
	aead = attr_data(tb[XFRMA_ALG_AEAD], sizeof(*aead));
	if (aead) {
		if (!get_alg(&sa->aead, aead->alg_name, aead->alg_key_len,
			     sizeof(*aead), mnl_attr_get_payload_len(tb[XFRMA_ALG_AEAD]),
			     aead->alg_key))
			return "bad AEAD attribute";
		sa->aead.has_icv = true;
		sa->aead.icv_bits = aead->alg_icv_len;
	}
	algo = attr_data(tb[XFRMA_ALG_CRYPT], sizeof(*algo));
	if (algo && !get_alg(&sa->enc, algo->alg_name, algo->alg_key_len,
			     sizeof(*algo), mnl_attr_get_payload_len(tb[XFRMA_ALG_CRYPT]),
			     algo->alg_key))
		return "bad cipher attribute";
	trunc = attr_data(tb[XFRMA_ALG_AUTH_TRUNC], sizeof(*trunc));
	algo = attr_data(tb[XFRMA_ALG_AUTH], sizeof(*algo));
	if (trunc) {
		if (!get_alg(&sa->auth, trunc->alg_name, trunc->alg_key_len,
			     sizeof(*trunc),
			     mnl_attr_get_payload_len(tb[XFRMA_ALG_AUTH_TRUNC]),
			     trunc->alg_key))
			return "bad integrity attribute";
		sa->auth.has_icv = true;
		sa->auth.icv_bits = trunc->alg_trunc_len;
	} else if (algo) {
		if (!get_alg(&sa->auth, algo->alg_name, algo->alg_key_len,
			     sizeof(*algo), mnl_attr_get_payload_len(tb[XFRMA_ALG_AUTH]),
			     algo->alg_key))
			return "bad integrity attribute";
	}
	if (!sa->aead.present && !sa->enc.present)
		return "no algorithms (an SPI reserved, not an SA yet)";
	if (sa->aead.present && (sa->enc.present || sa->auth.present))
		return "both AEAD and cipher";
	return NULL;
}

/* Window and sequence numbers: XFRMA_REPLAY_ESN_VAL, else the legacy ones. */
static void get_replay(const struct xfrm_usersa_info *p,
		       const struct nlattr **tb, struct xs_sa *sa)
{
	const struct xfrm_replay_state_esn *esn;
	const struct xfrm_replay_state *legacy;
	bool hi = sa->flags & IPSECIF_SA_F_ESN;

	esn = attr_data(tb[XFRMA_REPLAY_ESN_VAL], sizeof(*esn));
	legacy = attr_data(tb[XFRMA_REPLAY_VAL], sizeof(*legacy));
	if (esn) {
		sa->replay_window = esn->replay_window;
		sa->seq_out = (hi ? (uint64_t)esn->oseq_hi << 32 : 0) | esn->oseq;
		sa->seq_in = (hi ? (uint64_t)esn->seq_hi << 32 : 0) | esn->seq;
	} else {
		sa->replay_window = p->replay_window;
		if (legacy) {
			sa->seq_out = legacy->oseq;
			sa->seq_in = legacy->seq;
		}
	}
	if (sa->replay_window > XS_WINDOW_MAX) {
		verbose("xfrm: SA 0x%08x: replay window %u, ipsecif's is %u",
			sa->spi, sa->replay_window, XS_WINDOW_MAX);
		sa->replay_window = XS_WINDOW_MAX;
	}
	/* Only what the SA's direction uses. */
	if (sa->inbound)
		sa->seq_out = 0;
	else
		sa->seq_in = 0;
}

static uint32_t get_flags(const struct xfrm_usersa_info *p,
			  const struct nlattr **tb)
{
	uint32_t flags = 0, extra = 0;

	if (p->flags & XFRM_STATE_ESN)
		flags |= IPSECIF_SA_F_ESN;
	if (p->flags & XFRM_STATE_NOECN)
		flags |= IPSECIF_SA_F_NO_ECN;
	if (p->flags & XFRM_STATE_DECAP_DSCP)
		flags |= IPSECIF_SA_F_DECAP_DSCP;
	/* xfrm's outer DF is the inner one, or clear with NOPMTUDISC */
	if (p->flags & XFRM_STATE_NOPMTUDISC)
		flags |= IPSECIF_SA_F_DF_CLEAR;
	nl_get_u32(tb[XFRMA_SA_EXTRA_FLAGS], &extra);
	if (extra & XFRM_SA_XFLAG_DONT_ENCAP_DSCP)
		flags |= IPSECIF_SA_F_DONT_ENCAP_DSCP;
	return flags;
}

/*
 * Reads the SA @p with the attributes @tb into @sa. Only the fields that
 * need no lookup: the direction is the caller's.
 */
static enum xs_parsed parse_sa(const struct xfrm_usersa_info *p,
			       const struct nlattr **tb, struct xs_sa *sa,
			       const char **why)
{
	const struct xfrm_encap_tmpl *encap;
	uint32_t if_id = 0;

	nl_get_u32(tb[XFRMA_IF_ID], &if_id);
	if (p->id.proto != IPPROTO_ESP || if_id != xs.if_id)
		return XS_OTHER;
	memset(sa, 0, sizeof(*sa));
	sa->spi = ntohl(p->id.spi);
	sa->add_time = p->curlft.add_time;
	sa->src.family = sa->dst.family = p->family;
	if (p->family == AF_INET) {
		memcpy(&sa->src.v4, &p->saddr.a4, sizeof(sa->src.v4));
		memcpy(&sa->dst.v4, &p->id.daddr.a4, sizeof(sa->dst.v4));
	} else if (p->family == AF_INET6) {
		memcpy(&sa->src.v6, &p->saddr.a6, sizeof(sa->src.v6));
		memcpy(&sa->dst.v6, &p->id.daddr.a6, sizeof(sa->dst.v6));
	} else {
		*why = "not IPv4 or IPv6";
		return XS_UNSUPPORTED;
	}
	if (p->mode == XFRM_MODE_TUNNEL) {
		sa->mode = IPSECIF_SA_MODE_TUNNEL;
	} else if (p->mode == XFRM_MODE_TRANSPORT) {
		sa->mode = IPSECIF_SA_MODE_TRANSPORT;
	} else {
		*why = "neither tunnel nor transport mode";
		return XS_UNSUPPORTED;
	}
	*why = get_algs(tb, sa);
	if (*why)
		return XS_UNSUPPORTED;
	sa->flags = get_flags(p, tb);
	encap = attr_data(tb[XFRMA_ENCAP], sizeof(*encap));
	if (encap) {
		if (encap->encap_type != UDP_ENCAP_ESPINUDP) {
			*why = "UDP encapsulation other than espinudp";
			return XS_UNSUPPORTED;
		}
		sa->encap = true;
		sa->sport = ntohs(encap->encap_sport);
		sa->dport = ntohs(encap->encap_dport);
	}
	return XS_MINE;
}

/* ------------------------------------------------------------------------ */
/* The table of SAs */

static struct xs_sa *find_sa(uint32_t spi, const struct ip_addr *dst)
{
	unsigned int i;

	for (i = 0; i < xs.count; i++)
		if (xs.sas[i].spi == spi && xs.sas[i].dst.family == dst->family &&
		    !memcmp(xs.sas[i].dst.bytes, dst->bytes, ip_addr_len(dst)))
			return &xs.sas[i];
	return NULL;
}

static struct xs_sa *find_id(uint32_t id, bool inbound)
{
	unsigned int i;

	for (i = 0; i < xs.count; i++)
		if (xs.sas[i].spi == id && xs.sas[i].inbound == inbound)
			return &xs.sas[i];
	return NULL;
}

/* Removes @sa from the table, which stays in the order of arrival. */
static void forget_sa(struct xs_sa *sa)
{
	struct xs_sa *end = &xs.sas[xs.count];

	memmove(sa, sa + 1, (char *)end - (char *)(sa + 1));
	explicit_bzero(end - 1, sizeof(*end));
	xs.count--;
}

static bool same_alg(const struct xs_alg *a, const struct xs_alg *b)
{
	if (a->present != b->present)
		return false;
	if (!a->present)
		return true;
	return !strcmp(a->name, b->name) && a->key_len == b->key_len &&
	       !memcmp(a->key, b->key, a->key_len) &&
	       (!a->has_icv || !b->has_icv || a->icv_bits == b->icv_bits);
}

/* What ipsecif cannot change on a live SA. */
static bool same_crypto(const struct xs_sa *a, const struct xs_sa *b)
{
	return a->spi == b->spi && a->mode == b->mode &&
	       (a->flags & IPSECIF_SA_F_ESN) == (b->flags & IPSECIF_SA_F_ESN) &&
	       same_alg(&a->aead, &b->aead) && same_alg(&a->enc, &b->enc) &&
	       same_alg(&a->auth, &b->auth);
}

static bool same_addr(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->bytes, b->bytes, ip_addr_len(a));
}

/* What "sa update" changes: the endpoints and the encapsulation. */
static bool same_path(const struct xs_sa *a, const struct xs_sa *b)
{
	if (a->mode == IPSECIF_SA_MODE_TUNNEL &&
	    (!same_addr(&a->src, &b->src) || !same_addr(&a->dst, &b->dst)))
		return false;
	return a->encap == b->encap &&
	       (!a->encap || (a->sport == b->sport && a->dport == b->dport));
}

static bool is_gone(const struct xs_sa *sa)
{
	return sa->dead_at && sa->dead_at <= xs.now;
}

/* ------------------------------------------------------------------------ */
/* ipsecif requests */

/* Sends @nlh (unless --dry-run); false after printing the failure. */
static bool request(struct nlmsghdr *nlh, char *buf)
{
	int ret = EXIT_SUCCESS;

	if (!xs.dry_run)
		ret = ipsecif_talk(nlh, NULL, NULL);
	explicit_bzero(buf, NL_MSG_SIZE);
	if (ret)
		xs.failures++;
	return !ret;
}

static void put_alg(struct nlmsghdr *nlh, uint16_t type,
		    const struct xs_alg *alg)
{
	struct nlattr *nest;

	if (!alg->present)
		return;
	nest = nl_nest_start(nlh, type);
	mnl_attr_put_strz(nlh, IPSECIF_ALG_A_NAME, alg->name);
	mnl_attr_put(nlh, IPSECIF_ALG_A_KEY, alg->key_len, alg->key);
	if (alg->has_icv)
		mnl_attr_put_u32(nlh, IPSECIF_ALG_A_ICV_LEN, alg->icv_bits);
	mnl_attr_nest_end(nlh, nest);
}

static void put_endpoints(struct nlmsghdr *nlh, const struct xs_sa *sa)
{
	if (sa->mode != IPSECIF_SA_MODE_TUNNEL)
		return;
	nl_put_addr(nlh, IPSECIF_SA_A_SRC, IPSECIF_SA_A_SRC6, &sa->src);
	nl_put_addr(nlh, IPSECIF_SA_A_DST, IPSECIF_SA_A_DST6, &sa->dst);
}

static void put_encap(struct nlmsghdr *nlh, const struct xs_sa *sa)
{
	struct nlattr *nest = nl_nest_start(nlh, IPSECIF_SA_A_ENCAP);

	mnl_attr_put_u8(nlh, IPSECIF_ENCAP_A_TYPE,
			sa->encap ? UDP_ENCAP_ESPINUDP : 0);
	if (sa->encap) {
		mnl_attr_put_u16(nlh, IPSECIF_ENCAP_A_SPORT, sa->sport);
		mnl_attr_put_u16(nlh, IPSECIF_ENCAP_A_DPORT, sa->dport);
	}
	mnl_attr_nest_end(nlh, nest);
}

static bool sa_new(const struct xs_sa *sa)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	print_sa_add(sa);
	nl_set_object("sa 0x%08x", sa->spi);
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_NEW, 0);
	nest = nl_nest_start(nlh, IPSECIF_A_SA);
	mnl_attr_put_u32(nlh, IPSECIF_SA_A_ID, sa->spi);
	mnl_attr_put_u32(nlh, IPSECIF_SA_A_SPI, sa->spi);
	mnl_attr_put_u8(nlh, IPSECIF_SA_A_MODE, sa->mode);
	put_endpoints(nlh, sa);
	put_alg(nlh, IPSECIF_SA_A_AEAD, &sa->aead);
	put_alg(nlh, IPSECIF_SA_A_ENC, &sa->enc);
	put_alg(nlh, IPSECIF_SA_A_AUTH, &sa->auth);
	if (sa->flags)
		mnl_attr_put_u32(nlh, IPSECIF_SA_A_FLAGS, sa->flags);
	mnl_attr_put_u32(nlh, IPSECIF_SA_A_REPLAY_WINDOW, sa->replay_window);
	if (sa->encap)
		put_encap(nlh, sa);
	if (sa->seq_out)
		mnl_attr_put_u64(nlh, IPSECIF_SA_A_SEQ_OUT, sa->seq_out);
	if (sa->seq_in)
		mnl_attr_put_u64(nlh, IPSECIF_SA_A_SEQ_IN, sa->seq_in);
	mnl_attr_nest_end(nlh, nest);
	if (request(nlh, buf))
		return true;
	complain("SA 0x%08x (%s) not mirrored", sa->spi, dir_name(sa));
	return false;
}

/* Moves the ipsecif SA of @sa to @sa's endpoints and encapsulation. */
static bool sa_update(const struct xs_sa *sa)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	printf("sa update 0x%08x", sa->spi);
	if (sa->mode == IPSECIF_SA_MODE_TUNNEL)
		printf(" src %s dst %s", addr_str(&sa->src, src),
		       addr_str(&sa->dst, dst));
	print_encap(stdout, sa);
	printf(" (%s)\n", dir_name(sa));
	fflush(stdout);

	nl_set_object("sa 0x%08x", sa->spi);
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_UPDATE, 0);
	nest = nl_nest_start(nlh, IPSECIF_A_SA);
	mnl_attr_put_u32(nlh, IPSECIF_SA_A_ID, sa->spi);
	put_endpoints(nlh, sa);
	put_encap(nlh, sa);
	mnl_attr_nest_end(nlh, nest);
	if (request(nlh, buf))
		return true;
	complain("SA 0x%08x not moved", sa->spi);
	return false;
}

static bool sa_del(uint32_t id)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	say("sa del 0x%08x", id);
	nl_set_object("sa 0x%08x", id);
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_DEL, 0);
	nl_put_nested_u32(nlh, IPSECIF_A_SA, IPSECIF_SA_A_ID, id);
	if (request(nlh, buf))
		return true;
	complain("SA 0x%08x not deleted", id);
	return false;
}

/* "protect dev NAME [peer ADDR]", in the errors of the requests. */
static void set_protect_object(void)
{
	char peer[INET6_ADDRSTRLEN];

	if (xs.peer.family)
		nl_set_object("protect dev %s peer %s", xs.ifname,
			      addr_str(&xs.peer, peer));
	else
		nl_set_object("protect dev %s", xs.ifname);
}

static void put_protect(struct nlmsghdr *nlh, const struct xs_protect *pr)
{
	struct nlattr *nest;
	unsigned int i;

	mnl_attr_put_strz(nlh, IPSECIF_A_IFNAME, xs.ifname);
	nest = nl_nest_start(nlh, IPSECIF_A_PROTECT);
	if (xs.peer.family)
		nl_put_addr(nlh, IPSECIF_PROTECT_A_PEER, IPSECIF_PROTECT_A_PEER6,
			    &xs.peer);
	if (pr && pr->has_tx)
		mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_TX_SA, pr->tx);
	for (i = 0; pr && i < pr->rx_count; i++)
		mnl_attr_put_u32(nlh, IPSECIF_PROTECT_A_RX_SA, pr->rx[i]);
	mnl_attr_nest_end(nlh, nest);
}

static bool protect_set(const struct xs_protect *pr)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	print_protect("set", pr);
	set_protect_object();
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_PROTECT_SET, 0);
	put_protect(nlh, pr);
	if (request(nlh, buf))
		return true;
	complain("protection of %s not set", xs.ifname);
	return false;
}

static bool protect_del(void)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;

	print_protect("del", NULL);
	set_protect_object();
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_PROTECT_DEL, 0);
	put_protect(nlh, NULL);
	if (request(nlh, buf))
		return true;
	complain("protection of %s not deleted", xs.ifname);
	return false;
}

/* ------------------------------------------------------------------------ */
/* Reconciliation: ipsecif follows the table */

/* Whether @a should be preferred to @b: live first, then the newest. */
static bool preferred(const struct xs_sa *a, const struct xs_sa *b)
{
	if (!a->dead_at != !b->dead_at)
		return !a->dead_at;
	if (a->add_time != b->add_time)
		return a->add_time > b->add_time;
	return a->seen > b->seen;
}

/* Whether an outbound policy of the if_id names the SA with @spi. */
static bool policy_names(uint32_t spi)
{
	unsigned int i;

	for (i = 0; i < xs.policy_count; i++)
		if (xs.policies[i].spi == spi)
			return true;
	return false;
}

/*
 * The protection the table asks for: the preferred outbound SA that an
 * outbound policy names sends (within its grace period too: strongSwan
 * moves the policy before it deletes the SA, and deletes and adds an SA
 * it moves to new addresses), else the preferred outbound SA; the
 * IPSECIF_MAX_RX_SA preferred inbound ones receive.
 */
static void wanted_protect(struct xs_protect *pr)
{
	const struct xs_sa *tx = NULL, *named = NULL, *rx[IPSECIF_MAX_RX_SA];
	unsigned int i, j, n = 0;

	memset(pr, 0, sizeof(*pr));
	for (i = 0; i < xs.count; i++) {
		const struct xs_sa *sa = &xs.sas[i];

		if (!sa->mirrored || is_gone(sa))
			continue;
		if (!sa->inbound) {
			if (!tx || preferred(sa, tx))
				tx = sa;
			if (policy_names(sa->spi) &&
			    (!named || preferred(sa, named)))
				named = sa;
			continue;
		}
		/* Insertion into rx[], most preferred first. */
		for (j = n; j > 0 && preferred(sa, rx[j - 1]); j--)
			if (j < IPSECIF_MAX_RX_SA)
				rx[j] = rx[j - 1];
		if (j < IPSECIF_MAX_RX_SA)
			rx[j] = sa;
		if (n < IPSECIF_MAX_RX_SA)
			n++;
	}
	if (named)
		tx = named;
	if (tx) {
		pr->has_tx = true;
		pr->tx = tx->spi;
	}
	for (i = 0; i < n; i++)
		pr->rx[i] = rx[i]->spi;
	pr->rx_count = n;
	pr->exists = tx || n;
}

static bool has_rx(const struct xs_protect *pr, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < pr->rx_count; i++)
		if (pr->rx[i] == id)
			return true;
	return false;
}

static bool protect_uses(const struct xs_protect *pr, uint32_t id)
{
	return pr->exists && ((pr->has_tx && pr->tx == id) || has_rx(pr, id));
}

static bool same_protect(const struct xs_protect *a, const struct xs_protect *b)
{
	unsigned int i;

	if (a->exists != b->exists)
		return false;
	if (!a->exists)
		return true;
	if (a->has_tx != b->has_tx || (a->has_tx && a->tx != b->tx) ||
	    a->rx_count != b->rx_count)
		return false;
	for (i = 0; i < a->rx_count; i++)
		if (!has_rx(b, a->rx[i]))
			return false;
	return true;
}

/*
 * An ipsecif SA found at the start with @sa's id: ours from an earlier run
 * if it is the same SA, which is then kept (and moved if need be) rather
 * than added. Returns false if there is none.
 */
static bool adopt(struct xs_sa *sa)
{
	struct xs_found *found = NULL;
	size_t i;

	for (i = 0; i < xs.found_count; i++)
		if (xs.found[i].sa.spi == sa->spi)
			found = &xs.found[i];
	if (!found)
		return false;
	found->claimed = true;
	if (!same_crypto(&found->sa, sa)) {
		complain("ipsecif has another SA with id 0x%08x: SA 0x%08x (%s) not mirrored",
			 sa->spi, sa->spi, dir_name(sa));
		sa->failed = true;
		xs.failures++;
		return true;
	}
	say("sa 0x%08x adopted (%s)", sa->spi, dir_name(sa));
	sa->mirrored = true;
	if (!same_path(&found->sa, sa))
		sa_update(sa);
	return true;
}

/* Where the ipsecif copies of the table are not there yet: add them. */
static void add_missing(void)
{
	unsigned int i;

	for (i = 0; i < xs.count; i++) {
		struct xs_sa *sa = &xs.sas[i];

		if (sa->mirrored || sa->failed || is_gone(sa) || adopt(sa))
			continue;
		if (sa_new(sa))
			sa->mirrored = true;
		else
			sa->failed = true;
	}
}

static void sync_protect(void)
{
	struct xs_protect want;
	bool ok;

	wanted_protect(&want);
	if (same_protect(&want, &xs.cur))
		return;
	if (want.exists)
		ok = protect_set(&want);
	else
		ok = protect_del();
	if (ok)
		xs.cur = want;
}

/* SAs that xfrm deleted a grace period ago: out of ipsecif. */
static void remove_gone(void)
{
	unsigned int i = 0;
	size_t j;

	while (i < xs.count) {
		struct xs_sa *sa = &xs.sas[i];

		if (!is_gone(sa)) {
			i++;
			continue;
		}
		if (sa->mirrored) {
			/* Still in the protection: the change failed; later. */
			if (protect_uses(&xs.cur, sa->spi) || !sa_del(sa->spi)) {
				sa->dead_at = xs.now + 1000;
				i++;
				continue;
			}
		}
		verbose("xfrm: SA 0x%08x (%s) forgotten", sa->spi, dir_name(sa));
		forget_sa(sa);
	}
	for (j = 0; j < xs.stale_count;) {
		if (protect_uses(&xs.cur, xs.stale[j])) {
			j++;
			continue;
		}
		sa_del(xs.stale[j]);
		xs.stale[j] = xs.stale[--xs.stale_count];
	}
}

/* Makes ipsecif what the table says: add, protect, remove, in that order. */
static void reconcile(void)
{
	add_missing();
	sync_protect();
	remove_gone();
}

/* The time of the next removal, or -1 for none. */
static int64_t next_deadline(void)
{
	int64_t next = -1;
	unsigned int i;

	for (i = 0; i < xs.count; i++)
		if (xs.sas[i].dead_at &&
		    (next < 0 || xs.sas[i].dead_at < next))
			next = xs.sas[i].dead_at;
	return next;
}

/* ------------------------------------------------------------------------ */
/* xfrm events */

static void sa_gone(struct xs_sa *sa, const char *why)
{
	if (sa->dead_at)
		return;
	verbose("xfrm: SA 0x%08x (%s) %s", sa->spi, dir_name(sa), why);
	sa->dead_at = xs.now + XS_GRACE_MS;
}

/* A new or changed SA @sa of ours (or one a dump reports). */
static void take_sa(const char *event, const struct xs_sa *sa)
{
	struct xs_sa *old;

	old = find_sa(sa->spi, &sa->dst);
	if (old && old->inbound != sa->inbound)
		old = NULL;
	if (!old)
		old = find_id(sa->spi, sa->inbound);
	if (old && !same_crypto(old, sa)) {
		/* Not the same SA any more: replace it, at once. */
		say("xfrm: SA 0x%08x (%s) has new keys: replacing it",
		    sa->spi, dir_name(sa));
		old->dead_at = xs.now;
		reconcile();
		if (find_id(sa->spi, sa->inbound)) {
			complain("SA 0x%08x not replaced", sa->spi);
			return;
		}
		old = NULL;
	}
	if (old) {
		if (old->dead_at) {
			verbose("xfrm: %s SA 0x%08x (%s): back", event, sa->spi,
				dir_name(sa));
			old->dead_at = 0;
		}
		old->dumped = true;
		if (same_path(old, sa))
			return;
		old->src = sa->src;
		old->dst = sa->dst;
		old->encap = sa->encap;
		old->sport = sa->sport;
		old->dport = sa->dport;
		if (old->mirrored)
			sa_update(old);
		return;
	}
	if (xs.count == XS_MAX_SAS) {
		complain("more than %d SAs with if_id %u: SA 0x%08x not mirrored",
			 XS_MAX_SAS, xs.if_id, sa->spi);
		return;
	}
	verbose("xfrm: %s SA 0x%08x (%s)", event, sa->spi, dir_name(sa));
	old = &xs.sas[xs.count++];
	*old = *sa;
	old->seen = ++xs.seen;
	old->dumped = true;
}

/* A new or changed SA (or one a dump reports): @p, attributes @tb. */
static void on_sa(const char *event, const struct xfrm_usersa_info *p,
		  const struct nlattr **tb)
{
	const char *why = NULL;
	struct xs_sa sa;

	switch (parse_sa(p, tb, &sa, &why)) {
	case XS_OTHER:
		return;
	case XS_UNSUPPORTED:
		verbose("xfrm: %s SA 0x%08x: not mirrored: %s", event,
			ntohl(p->id.spi), why);
		break;
	case XS_MINE:
		sa.inbound = is_local(&sa.dst);
		get_replay(p, tb, &sa);
		take_sa(event, &sa);
		break;
	}
	explicit_bzero(&sa, sizeof(sa));
}

/* DELSA: struct xfrm_usersa_id, then XFRMA_SA and the other attributes. */
static void on_delsa(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	const struct xfrm_usersa_id *id;
	struct ip_addr dst = { 0 };
	struct xs_sa *sa;
	uint32_t if_id = 0;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*id))
		return;
	id = mnl_nlmsg_get_payload(nlh);
	nl_parse_attrs(nlh, sizeof(*id), tb, XFRMA_MAX);
	nl_get_u32(tb[XFRMA_IF_ID], &if_id);
	if (id->proto != IPPROTO_ESP || if_id != xs.if_id)
		return;
	dst.family = id->family;
	memcpy(dst.bytes, &id->daddr, sizeof(dst.bytes));
	sa = find_sa(ntohl(id->spi), &dst);
	if (sa)
		sa_gone(sa, "deleted");
}

/* EXPIRE: struct xfrm_user_expire; a hard expiry deleted the SA. */
static void on_expire(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_user_expire ue;
	struct ip_addr dst = { 0 };
	struct xs_sa *sa;
	uint32_t if_id = 0;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ue))
		return;
	memcpy(&ue, mnl_nlmsg_get_payload(nlh), sizeof(ue));
	nl_parse_attrs(nlh, sizeof(ue), tb, XFRMA_MAX);
	nl_get_u32(tb[XFRMA_IF_ID], &if_id);
	if (ue.state.id.proto != IPPROTO_ESP || if_id != xs.if_id)
		return;
	dst.family = ue.state.family;
	memcpy(dst.bytes, &ue.state.id.daddr, sizeof(dst.bytes));
	sa = find_sa(ntohl(ue.state.id.spi), &dst);
	if (!sa)
		return;
	if (ue.hard)
		sa_gone(sa, "expired (hard)");
	else
		verbose("xfrm: SA 0x%08x (%s) expired (soft)", sa->spi,
			dir_name(sa));
}

static void on_flush(const struct nlmsghdr *nlh)
{
	const struct xfrm_usersa_flush *flush;
	unsigned int i;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*flush))
		return;
	flush = mnl_nlmsg_get_payload(nlh);
	if (flush->proto && flush->proto != IPPROTO_ESP &&
	    flush->proto != IPSEC_PROTO_ANY)
		return;
	verbose("xfrm: SAs flushed");
	for (i = 0; i < xs.count; i++)
		sa_gone(&xs.sas[i], "flushed");
}

/* Forgets the outbound policy with @index, if it named an SA. */
static void policy_gone(uint32_t index, const char *why)
{
	unsigned int i;

	for (i = 0; i < xs.policy_count; i++) {
		if (xs.policies[i].index != index)
			continue;
		verbose("xfrm: outbound policy %u (SA 0x%08x) %s", index,
			xs.policies[i].spi, why);
		xs.policies[i] = xs.policies[--xs.policy_count];
		return;
	}
}

/* Outbound policy @index names the SA with @spi (0: none). */
static void policy_names_sa(uint32_t index, uint32_t spi)
{
	unsigned int i;

	for (i = 0; i < xs.policy_count; i++)
		if (xs.policies[i].index == index)
			break;
	if (!spi) {
		if (i < xs.policy_count)
			policy_gone(index, "names no SA now");
		return;
	}
	if (i < xs.policy_count && xs.policies[i].spi == spi)
		return;
	if (i == XS_MAX_POLICIES) {
		complain("more than %d outbound policies with if_id %u: policy %u ignored",
			 XS_MAX_POLICIES, xs.if_id, index);
		return;
	}
	verbose("xfrm: outbound policy %u names SA 0x%08x", index, spi);
	xs.policies[i].index = index;
	xs.policies[i].spi = spi;
	if (i == xs.policy_count)
		xs.policy_count++;
}

/*
 * A policy: @p, attributes @tb (those of the message, but for DELPOLICY).
 * The ESP template of an outbound policy of the if_id names the SA that
 * xfrm would send with, if the daemon gives SPIs in templates: strongSwan
 * does, and installs the outbound SA of a rekeyed CHILD_SA on the
 * responder at once, before the peer has the matching inbound SA, but
 * moves the policy to it only once the initiator's DELETE says the peer
 * has. Following the policies, ipsecif switches when xfrm would have.
 */
static void take_policy(const struct xfrm_userpolicy_info *p,
			const struct nlattr **tb, bool deleted)
{
	const struct xfrm_user_tmpl *tmpl;
	uint32_t if_id = 0, spi = 0;
	size_t i, n = 0;

	nl_get_u32(tb[XFRMA_IF_ID], &if_id);
	if (p->dir != XFRM_POLICY_OUT || if_id != xs.if_id)
		return;
	if (deleted) {
		policy_gone(p->index, "deleted");
		return;
	}
	tmpl = attr_data(tb[XFRMA_TMPL], sizeof(*tmpl));
	if (tmpl)
		n = mnl_attr_get_payload_len(tb[XFRMA_TMPL]) / sizeof(*tmpl);
	for (i = 0; i < n; i++) {
		if (tmpl[i].id.proto == IPPROTO_ESP) {
			spi = ntohl(tmpl[i].id.spi);
			break;
		}
	}
	policy_names_sa(p->index, spi);
}

/*
 * NEWPOLICY, UPDPOLICY (and a dump's policies): struct
 * xfrm_userpolicy_info, then the attributes. DELPOLICY: struct
 * xfrm_userpolicy_id, then XFRMA_POLICY (the policy) and the others.
 * POLEXPIRE: struct xfrm_user_polexpire; a hard expiry deleted the policy.
 */
static void on_policy(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_userpolicy_info p;
	size_t head = sizeof(p);
	bool deleted = false;
	const void *info;

	switch (nlh->nlmsg_type) {
	case XFRM_MSG_DELPOLICY:
		head = sizeof(struct xfrm_userpolicy_id);
		deleted = true;
		break;
	case XFRM_MSG_POLEXPIRE:
		head = sizeof(struct xfrm_user_polexpire);
		break;
	}
	if (mnl_nlmsg_get_payload_len(nlh) < head)
		return;
	nl_parse_attrs(nlh, head, tb, XFRMA_MAX);
	info = mnl_nlmsg_get_payload(nlh);
	if (deleted)
		info = attr_data(tb[XFRMA_POLICY], sizeof(p));
	if (!info)
		return;
	/* Netlink aligns to 4 bytes, the struct has u64s: a copy. */
	memcpy(&p, info, sizeof(p));
	if (nlh->nlmsg_type == XFRM_MSG_POLEXPIRE) {
		const uint8_t *hard = (const uint8_t *)info +
			offsetof(struct xfrm_user_polexpire, hard);

		if (!*hard)
			return;
		deleted = true;
	}
	take_policy(&p, tb, deleted);
}

static int xfrm_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_usersa_info p;
	const char *event = data;

	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(p))
			break;
		/* Netlink aligns to 4 bytes, the struct has u64s: a copy. */
		memcpy(&p, mnl_nlmsg_get_payload(nlh), sizeof(p));
		nl_parse_attrs(nlh, sizeof(p), tb, XFRMA_MAX);
		if (!event)
			event = nlh->nlmsg_type == XFRM_MSG_NEWSA ? "new" : "updated";
		on_sa(event, &p, tb);
		break;
	case XFRM_MSG_DELSA:
		on_delsa(nlh);
		break;
	case XFRM_MSG_EXPIRE:
		on_expire(nlh);
		break;
	case XFRM_MSG_FLUSHSA:
		on_flush(nlh);
		break;
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
	case XFRM_MSG_DELPOLICY:
	case XFRM_MSG_POLEXPIRE:
		on_policy(nlh);
		break;
	case XFRM_MSG_FLUSHPOLICY:
		if (xs.policy_count)
			verbose("xfrm: policies flushed");
		xs.policy_count = 0;
		break;
	}
	return MNL_CB_OK;
}

/*
 * Dumps xfrm's SAs into the table: what the dump does not have any more
 * is gone (a grace period later). The dump lists the newest SAs first.
 * Then the policies, for the SA that the outbound one names.
 */
static int xfrm_dump(void)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	uint64_t first = xs.seen + 1;
	unsigned int i;

	if (!xs.requests.sock && nl_open(&xs.requests, NETLINK_XFRM))
		return EXIT_KERNEL;
	for (i = 0; i < xs.count; i++)
		xs.sas[i].dumped = false;
	nl_set_object("xfrm state");
	nlh = nl_msg_start(buf, XFRM_MSG_GETSA, NLM_F_DUMP);
	mnl_attr_put_u8(nlh, XFRMA_PROTO, IPPROTO_ESP);
	if (nl_talk(&xs.requests, nlh, xfrm_msg_cb, "dumped"))
		return EXIT_KERNEL;
	for (i = 0; i < xs.count; i++) {
		struct xs_sa *sa = &xs.sas[i];

		if (!sa->dumped && !sa->dead_at)
			sa_gone(sa, "gone");
		/* Oldest first, as they came. */
		if (sa->seen >= first)
			sa->seen = first + xs.seen - sa->seen;
	}
	xs.policy_count = 0;
	nl_set_object("xfrm policy");
	nlh = nl_msg_start(buf, XFRM_MSG_GETPOLICY, NLM_F_DUMP);
	if (nl_talk(&xs.requests, nlh, xfrm_msg_cb, "dumped"))
		return EXIT_KERNEL;
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* The start: what ipsecif has */

static void get_ipsecif_alg(const struct nlattr *nest, struct xs_alg *alg)
{
	const struct nlattr *tb[IPSECIF_ALG_A_MAX + 1];
	const char *name;

	if (!nest)
		return;
	nl_parse_nested(nest, tb, IPSECIF_ALG_A_MAX);
	name = nl_get_str(tb[IPSECIF_ALG_A_NAME]);
	if (!name || strlen(name) >= sizeof(alg->name))
		return;
	alg->present = true;
	strcpy(alg->name, name);
	if (tb[IPSECIF_ALG_A_KEY] &&
	    mnl_attr_get_payload_len(tb[IPSECIF_ALG_A_KEY]) <= XS_KEY_MAX) {
		alg->key_len = mnl_attr_get_payload_len(tb[IPSECIF_ALG_A_KEY]);
		memcpy(alg->key, mnl_attr_get_payload(tb[IPSECIF_ALG_A_KEY]),
		       alg->key_len);
	} else {
		/* No key shown: never the same as any. */
		alg->key_len = UINT32_MAX;
	}
	alg->has_icv = nl_get_u32(tb[IPSECIF_ALG_A_ICV_LEN], &alg->icv_bits);
}

/* An SA of the SA_GET dump: kept if its id is its SPI. */
static int found_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IPSECIF_A_MAX + 1];
	const struct nlattr *sa[IPSECIF_SA_A_MAX + 1];
	const struct nlattr *encap[IPSECIF_ENCAP_A_MAX + 1];
	struct xs_found *found, *more;
	uint32_t id, spi;
	uint8_t type = 0;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return MNL_CB_OK;
	nl_parse_attrs(nlh, sizeof(struct genlmsghdr), tb, IPSECIF_A_MAX);
	if (!tb[IPSECIF_A_SA])
		return MNL_CB_OK;
	nl_parse_nested(tb[IPSECIF_A_SA], sa, IPSECIF_SA_A_MAX);
	if (!nl_get_u32(sa[IPSECIF_SA_A_ID], &id) ||
	    !nl_get_u32(sa[IPSECIF_SA_A_SPI], &spi) || id != spi)
		return MNL_CB_OK;
	more = realloc(xs.found, (xs.found_count + 1) * sizeof(*xs.found));
	if (!more)
		return MNL_CB_OK;
	xs.found = more;
	found = &xs.found[xs.found_count++];
	memset(found, 0, sizeof(*found));
	found->sa.spi = spi;
	nl_get_u8(sa[IPSECIF_SA_A_MODE], &found->sa.mode);
	nl_get_addr(sa[IPSECIF_SA_A_SRC], sa[IPSECIF_SA_A_SRC6], &found->sa.src);
	nl_get_addr(sa[IPSECIF_SA_A_DST], sa[IPSECIF_SA_A_DST6], &found->sa.dst);
	get_ipsecif_alg(sa[IPSECIF_SA_A_AEAD], &found->sa.aead);
	get_ipsecif_alg(sa[IPSECIF_SA_A_ENC], &found->sa.enc);
	get_ipsecif_alg(sa[IPSECIF_SA_A_AUTH], &found->sa.auth);
	nl_get_u32(sa[IPSECIF_SA_A_FLAGS], &found->sa.flags);
	if (sa[IPSECIF_SA_A_ENCAP]) {
		nl_parse_nested(sa[IPSECIF_SA_A_ENCAP], encap,
				IPSECIF_ENCAP_A_MAX);
		nl_get_u8(encap[IPSECIF_ENCAP_A_TYPE], &type);
		found->sa.encap = type == UDP_ENCAP_ESPINUDP;
		nl_get_u16(encap[IPSECIF_ENCAP_A_SPORT], &found->sa.sport);
		nl_get_u16(encap[IPSECIF_ENCAP_A_DPORT], &found->sa.dport);
	}
	return MNL_CB_OK;
}

static bool same_peer(const struct ip_addr *peer)
{
	if (!xs.peer.family || !peer->family)
		return xs.peer.family == peer->family;
	return same_addr(&xs.peer, peer);
}

/* The protection of PROTECT_GET that is ours: the peer's, or p2p's. */
static int protect_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IPSECIF_A_MAX + 1];
	const struct nlattr *attr;
	struct xs_protect pr = { .exists = true };
	struct ip_addr peer = { 0 };

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return MNL_CB_OK;
	nl_parse_attrs(nlh, sizeof(struct genlmsghdr), tb, IPSECIF_A_MAX);
	if (!tb[IPSECIF_A_PROTECT])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(attr, tb[IPSECIF_A_PROTECT]) {
		switch (mnl_attr_get_type(attr)) {
		case IPSECIF_PROTECT_A_PEER:
			nl_get_addr(attr, NULL, &peer);
			break;
		case IPSECIF_PROTECT_A_PEER6:
			nl_get_addr(NULL, attr, &peer);
			break;
		case IPSECIF_PROTECT_A_TX_SA:
			pr.has_tx = nl_get_u32(attr, &pr.tx);
			break;
		case IPSECIF_PROTECT_A_RX_SA:
			if (pr.rx_count < IPSECIF_MAX_RX_SA &&
			    nl_get_u32(attr, &pr.rx[pr.rx_count]))
				pr.rx_count++;
			break;
		}
	}
	if (same_peer(&peer))
		xs.cur = pr;
	return MNL_CB_OK;
}

/*
 * Reads the protection (which also checks that the interface is an
 * ipsecif) and the SAs of ipsecif that may be ours.
 */
static int read_ipsecif(void)
{
	char buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nl_set_object("protect dev %s", xs.ifname);
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_PROTECT_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, IPSECIF_A_IFNAME, xs.ifname);
	ret = ipsecif_talk(nlh, protect_cb, NULL);
	if (ret)
		return ret;
	nl_set_object("sa show");
	nlh = ipsecif_msg_start(buf, IPSECIF_CMD_SA_GET, NLM_F_DUMP);
	return ipsecif_talk(nlh, found_cb, NULL);
}

/*
 * After the first reconciliation: the SAs of the protection that look like
 * ours (id = SPI) but that xfrm does not have any more are leftovers of an
 * earlier run, deleted once out of the protection.
 */
static void forget_found(const struct xs_protect *before)
{
	size_t i;

	for (i = 0; i < xs.found_count; i++) {
		struct xs_found *found = &xs.found[i];
		uint32_t *more;

		if (found->claimed || !protect_uses(before, found->sa.spi))
			continue;
		more = realloc(xs.stale, (xs.stale_count + 1) * sizeof(*more));
		if (!more)
			continue;
		xs.stale = more;
		xs.stale[xs.stale_count++] = found->sa.spi;
	}
	if (xs.found)
		explicit_bzero(xs.found, xs.found_count * sizeof(*xs.found));
	free(xs.found);
	xs.found = NULL;
	xs.found_count = 0;
}

/* ------------------------------------------------------------------------ */
/* Running */

static int listen_xfrm(void)
{
	if (nl_open(&xs.events, NETLINK_XFRM))
		return EXIT_KERNEL;
	nl_set_rcvbuf(&xs.events, XS_RCVBUF);
	if (nl_join_group(&xs.events, XFRMNLGRP_SA) ||
	    nl_join_group(&xs.events, XFRMNLGRP_POLICY) ||
	    nl_join_group(&xs.events, XFRMNLGRP_EXPIRE))
		return EXIT_KERNEL;
	return EXIT_SUCCESS;
}

/* Reads what arrived on the xfrm socket; a lost notification: dump again. */
static int receive(void)
{
	ssize_t len;

	len = mnl_socket_recvfrom(xs.events.sock, xs.events.recv_buf,
				  sizeof(xs.events.recv_buf));
	tick();
	if (len < 0 && errno == ENOBUFS) {
		complain("xfrm notifications lost: reading all SAs again");
		return xfrm_dump();
	}
	if (len < 0 && (errno == EINTR || errno == EAGAIN))
		return EXIT_SUCCESS;
	if (len < 0) {
		complain("%s", strerror(errno));
		return EXIT_KERNEL;
	}
	if (mnl_cb_run(xs.events.recv_buf, len, 0, 0, xfrm_msg_cb, NULL) < 0)
		complain("bad xfrm message: %s", strerror(errno));
	explicit_bzero(xs.events.recv_buf, len);
	return EXIT_SUCCESS;
}

static int run_loop(void)
{
	sigset_t old_mask, wait_mask;
	struct pollfd pfd = {
		.fd = mnl_socket_get_fd(xs.events.sock),
		.events = POLLIN,
	};
	struct timespec ts, *timeout;
	int64_t next;
	int ret = EXIT_SUCCESS;

	stop_signals_catch(&old_mask, &wait_mask);
	while (!stop_requested && !ret) {
		tick();
		next = next_deadline();
		timeout = NULL;
		if (next >= 0) {
			next = next > xs.now ? next - xs.now : 0;
			ts.tv_sec = next / 1000;
			ts.tv_nsec = (next % 1000) * 1000000;
			timeout = &ts;
		}
		if (ppoll(&pfd, 1, timeout, &wait_mask) > 0)
			ret = receive();
		tick();
		reconcile();
	}
	stop_signals_release(&old_mask);
	return ret;
}

/*
 * --input FILE: the notifications are the netlink messages of FILE, as the
 * xfrm socket would deliver them, and nothing is read from the kernel but
 * route lookups. NLMSG_NOOP stands for the passing of a grace period. For
 * tests, with --dry-run.
 */
static int run_input(void)
{
	const struct nlmsghdr *nlh;
	FILE *file;
	char *buf;
	int len;

	file = fopen(xs.input, "r");
	if (!file) {
		complain("cannot open %s: %s", xs.input, strerror(errno));
		return EXIT_FAILURE;
	}
	buf = malloc(XS_INPUT_MAX);
	if (!buf) {
		fclose(file);
		return EXIT_FAILURE;
	}
	len = fread(buf, 1, XS_INPUT_MAX, file);
	fclose(file);
	xs.now = 1;
	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type == NLMSG_NOOP)
			xs.now += XS_GRACE_MS + 1;
		else
			xfrm_msg_cb(nlh, NULL);
		reconcile();
	}
	xs.now += XS_GRACE_MS + 1;
	reconcile();
	free(buf);
	return xs.failures ? EXIT_KERNEL : EXIT_SUCCESS;
}

static int start(void)
{
	struct xs_protect before;
	int ret;

	ret = listen_xfrm();
	if (ret)
		return ret;
	ret = read_ipsecif();
	if (ret && !xs.dry_run)
		return ret;
	if (ret)
		complain("dry run: taking ipsecif to have nothing");
	before = xs.cur;
	tick();
	ret = xfrm_dump();
	if (ret)
		return ret;
	/* What xfrm does not have is gone already: no grace at the start. */
	reconcile();
	forget_found(&before);
	remove_gone();
	if (xs.once)
		return xs.failures ? EXIT_KERNEL : EXIT_SUCCESS;
	verbose("xfrm: listening for the SAs of if_id %u", xs.if_id);
	return run_loop();
}

static int parse_args(int argc, char **argv)
{
	const char *why;
	int i, ret;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
			xs.verbose = true;
		} else if (!strcmp(arg, "--once")) {
			xs.once = true;
		} else if (!strcmp(arg, "--dry-run")) {
			xs.dry_run = true;
		} else if (i + 1 == argc) {
			return usage_error(xfrm_sync_usage,
					   "missing value for \"%s\"", arg);
		} else if (!strcmp(arg, "dev")) {
			xs.ifname = argv[++i];
			ret = check_ifname(xfrm_sync_usage, xs.ifname);
			if (ret)
				return ret;
		} else if (!strcmp(arg, "if-id")) {
			ret = parse_u32_arg(xfrm_sync_usage, "if-id", argv[++i],
					    &xs.if_id);
			if (ret)
				return ret;
		} else if (!strcmp(arg, "peer")) {
			why = parse_addr(argv[++i], &xs.peer);
			if (why)
				return usage_error(xfrm_sync_usage,
						   "invalid peer \"%s\": %s",
						   argv[i], why);
		} else if (!strcmp(arg, "--input")) {
			xs.input = argv[++i];
		} else {
			return usage_error(xfrm_sync_usage,
					   "unexpected argument \"%s\"", arg);
		}
	}
	if (!xs.ifname)
		return usage_error(xfrm_sync_usage, "missing \"dev\"");
	if (!xs.if_id)
		return usage_error(xfrm_sync_usage,
				   "missing \"if-id\" (a non-zero interface id)");
	return 0;
}

int cmd_xfrm_sync(int argc, char **argv)
{
	int ret;

	if (argc && !strcmp(argv[0], "help")) {
		ret = check_no_more(xfrm_sync_usage, argc - 1, argv + 1, 0);
		if (!ret)
			xfrm_sync_usage(stdout);
		return ret;
	}
	memset(&xs, 0, sizeof(xs));
	ret = parse_args(argc, argv);
	if (ret)
		return ret;
	ret = xs.input ? run_input() : start();
	nl_close(&xs.events);
	nl_close(&xs.requests);
	if (xs.rtnl)
		mnl_socket_close(xs.rtnl);
	xs.rtnl = NULL;
	explicit_bzero(xs.sas, sizeof(xs.sas));
	free(xs.stale);
	xs.stale = NULL;
	return ret;
}
