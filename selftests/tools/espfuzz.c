// SPDX-License-Identifier: GPL-2.0
/*
 * espfuzz: sends mutated ESP packets (RFC 4303) at an ipsecif receiver and
 * reports what it sent and where each packet must end up: delivered by one
 * of the receiver's SAs or dropped there under exactly one reason, handed to
 * the kernel's own xfrm (no state, header error), or dropped by the UDP
 * encapsulation socket. Packets are built in userspace with OpenSSL's
 * libcrypto (the code of espcraft.c) and sent through a raw ESP socket (the
 * kernel adds the outer IPv4/IPv6 header and fragments what exceeds the path
 * MTU) or, for SAs with UDP encapsulation, through a UDP socket.
 *
 * The verdict of each packet on one of the SAs is predicted by a model of
 * the receiver: the checks of RFC 4303 in the order ipsecif makes them
 * (length, anti-replay window with ESN inference per appendix A, ICV,
 * padding, next header and inner header), with the replay window of each SA
 * modelled. That is exact as long as the receiver sees an SA's packets in
 * the order sent: the sender pins itself to one CPU (one backlog queue) and
 * keeps little in flight (see wait_outq()).
 *
 * usage: espfuzz -s SRC -d DST -i SA [-i SA]... -I SRC,DST [OPTION]...
 *
 *   -s, --src ADDR         outer source, IPv4 or IPv6 (the sockets bind to it)
 *   -d, --dst ADDR         outer destination, same family
 *   -i, --spi SA           an RX SA of the receiver, one argument:
 *                          "SPI [esn] [udp] [window N] [seq N] CRYPTO", CRYPTO
 *                          as espcraft takes it, words separated by spaces
 *                          ('' is an empty key); esn: extended sequence
 *                          numbers; udp: the SA takes ESP in UDP only;
 *                          window: its replay window (default 64); seq: the
 *                          first sequence number sent (default 1). At most 8
 *   -o, --other-spi SPI    an SPI the receiver has in another role (a TX SA):
 *                          not to be taken, expected in xfrm's no-state count
 *   -I, --inner SRC,DST    inner addresses of the ICMP/ICMPv6 echo requests;
 *                          repeatable, a random pair for each packet
 *   -c, --count N          packets to send (default 100000)
 *   -S, --seed N           random seed (default: from the clock); reported
 *   -u, --udp SPORT:DPORT  ESP in UDP (RFC 3948) from SPORT to DPORT for the
 *                          SAs marked udp, and the UDP-only classes
 *   -b, --big              33-64 KiB datagrams too (the kernel fragments them,
 *                          the receiver reassembles)
 *   -F, --frag MIN         fragments made here too (IP_HDRINCL): valid or
 *                          flipped packets cut into fragments of random
 *                          sizes sent in order, reversed or shuffled, the
 *                          first with MIN to MIN + 24 bytes of ESP (8..48, a
 *                          multiple of 8; behind a UDP header for UDP SAs)
 *   -r, --report FILE      the report (default: standard output)
 *   -n, --dry-run          build and predict, send nothing; --src and --dst
 *                          may be left out, --mtu gives the path MTU
 *   -m, --mtu N            path MTU for --dry-run (default 1500)
 *   -C, --classes NAME,... only these classes (names as in the report)
 *   -t, --trace            one line per packet on standard error
 *
 * Classes (weights in class_weights[]): valid packets with fresh sequence
 * numbers (some with extra valid padding or TFC padding), old sequence
 * numbers sealed anew, duplicates of recent packets, bit flips in the
 * ciphertext, the ICV or the header (sequence number, IV), ESN packets
 * sealed with the wrong high half, truncations (to 0..len-1 bytes),
 * extensions with random bytes, bad padding bytes, bad pad lengths, bad next
 * headers and bad inner headers (all four with a valid ICV), tiny packets
 * (1-15 bytes), random bytes after one of the SPIs, SPI 0, unknown SPIs, the
 * SPIs of --other-spi, plain ESP for a UDP SA and ESP in UDP for a plain one,
 * NAT keepalives, and with --frag valid or flipped packets in fragments made
 * here. Sizes: mostly small, some up to 32 KiB (fragmented),
 * with --big some of 33 KiB up to the largest datagram (an IPv4 packet of
 * 65535 bytes, an IPv6 payload of 65535).
 *
 * The report, "KEY VALUE" a line:
 *   count, sent, failed, retried   packets asked for, sent, not sent (sendto
 *                                  failed for good; not in any other count),
 *                                  sends retried after an error that sent
 *                                  nothing
 *   seed, family, mtu
 *   datagrams.raw, datagrams.udp   by socket
 *   datagrams.fragmented           larger than the path MTU: the kernel sent
 *                                  them in fragments
 *   datagrams.hand_fragmented,     sent in fragments made here (--frag), and
 *   fragments.hand                 how many fragments that took
 *   size.big                       datagrams of 33 KiB and more
 *   class.NAME                     per class
 *   expect.SPI.STAT                per SA (SPI as 0x%x) and counter of
 *                                  "ipsecctl -j -s sa show" (packets: the
 *                                  ones delivered; replay, integrity,
 *                                  trailer, nexthdr, runt)
 *   expect.ours                    their sum
 *   expect.xfrm.no_states          XfrmInNoStates: not for an SA (unknown
 *                                  SPI, SPI 0, --other-spi, wrong transport)
 *   expect.xfrm.hdr_error          XfrmInHdrError: plain ESP shorter than
 *                                  its 8-byte header
 *   expect.udp.dropped             ESP in UDP that the encapsulation socket
 *                                  drops without counting: keepalives, the
 *                                  non-ESP marker (SPI 0), 8 bytes or fewer
 *   expect.inner.ipv4_hdr_errors   delivered inner IPv4 packets that IPv4
 *                                  drops as header errors: none, since
 *                                  ipsecif drops a total length below the
 *                                  header's as nexthdr
 *   model.SPI.top                  the highest number the SA has accepted,
 *                                  as modelled (ESN: past 2^32 or not)
 * Exit status: 0 when done (failed sends are reported, not fatal), 1 on a
 * usage or setup error.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define ESP_HDR_LEN	8
#define MAX_KEY		64
#define MAX_ICV		64
#define MAX_SA		8
#define MAX_OTHER	8
#define MAX_INNER	8
#define MAX_WINDOW	4096	/* the receiver's IPSECIF_REPLAY_MAX_WINDOW */
#define BUF_SIZE	(65536 + 4096)
#define RECENT		32	/* packets kept for duplicates */
#define RECENT_MAX_LEN	2048
#define OUTQ_LIMIT	(64 * 1024)
#define BIG_MIN		(33 * 1024)
#define IPPROTO_IPIP_NH	4
#define IPPROTO_IPV6_NH	41

static const char *prog = "espfuzz";

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ------------------------------------------------------------------------
 * Randomness: xorshift64*, reproducible from --seed.
 */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A number in [0, n), n > 0. */
static uint64_t rnd(uint64_t n)
{
	return rnd64() % n;
}

/* A number in [lo, hi]. */
static uint64_t rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd(hi - lo + 1);
}

static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

static void rnd_bytes(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = rnd64() >> 56;
}

/* ------------------------------------------------------------------------
 * Parsing (as espcraft).
 */

enum crypto_kind { CRYPTO_GCM, CRYPTO_CHACHA, CRYPTO_AUTHENC };

struct crypto {
	enum crypto_kind kind;
	const EVP_CIPHER *cipher;	/* NULL: the null cipher */
	const EVP_CIPHER *ecb;		/* CBC: for the IV */
	const EVP_MD *md;		/* authenc only */
	uint8_t key[MAX_KEY];
	size_t key_len;
	uint8_t salt[4];		/* AEAD only */
	uint8_t auth_key[MAX_KEY * 2];
	size_t auth_key_len;
	size_t icv_len;
	size_t iv_len;
	size_t align;			/* the ciphertext's length is a multiple */
	EVP_CIPHER_CTX *ctx;		/* keyed once, reused */
	EVP_CIPHER_CTX *iv_ctx;		/* CBC: AES-ECB, for the IV */
};

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

static socklen_t addr_len(const union addr *a)
{
	return a->sa.sa_family == AF_INET ? sizeof(a->v4) : sizeof(a->v6);
}

static unsigned long long parse_number(const char *s, unsigned long long max,
				       const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end || *s == '-' || v > max)
		die("invalid %s '%s'", what, s);
	return v;
}

static void parse_addr(const char *s, union addr *a, const char *what)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4.sin_addr) == 1)
		a->v4.sin_family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a->v6.sin6_addr) == 1)
		a->v6.sin6_family = AF_INET6;
	else
		die("invalid %s address '%s'", what, s);
}

/* A key as ip xfrm takes it: 0x and hex digits, or the string's bytes. */
static size_t parse_key(const char *s, uint8_t *key, size_t max)
{
	size_t len, i;

	if (!strcmp(s, "''") || !strcmp(s, "\"\""))
		return 0;
	if (strncmp(s, "0x", 2) != 0) {
		len = strlen(s);
		if (len > max)
			die("key '%s' too long", s);
		memcpy(key, s, len);
		return len;
	}
	s += 2;
	len = strlen(s);
	if (len % 2 || len / 2 > max)
		die("invalid hex key 0x%s", s);
	for (i = 0; i < len / 2; i++) {
		unsigned int byte;

		if (sscanf(s + 2 * i, "%2x", &byte) != 1)
			die("invalid hex key 0x%s", s);
		key[i] = byte;
	}
	return len / 2;
}

static const EVP_CIPHER *aes_cipher(size_t key_len, int mode)
{
	static const EVP_CIPHER *(*const ciphers[3][3])(void) = {
		{ EVP_aes_128_gcm, EVP_aes_192_gcm, EVP_aes_256_gcm },
		{ EVP_aes_128_cbc, EVP_aes_192_cbc, EVP_aes_256_cbc },
		{ EVP_aes_128_ecb, EVP_aes_192_ecb, EVP_aes_256_ecb },
	};

	if (key_len != 16 && key_len != 24 && key_len != 32)
		die("AES key of %zu bytes: 16, 24 or 32 expected", key_len);
	return ciphers[mode][(key_len - 16) / 8]();
}

enum { AES_GCM, AES_CBC, AES_ECB };

static size_t parse_icv_bits(const char *s)
{
	unsigned long long bits = parse_number(s, MAX_ICV * 8, "ICV length");

	if (!bits || bits % 8)
		die("ICV length %s: whole bytes expected", s);
	return bits / 8;
}

static void parse_aead(struct crypto *c, char **argv)
{
	uint8_t key[MAX_KEY + 4];
	size_t len = parse_key(argv[1], key, sizeof(key));

	if (len < 4)
		die("AEAD key without its 4-byte salt");
	c->key_len = len - 4;
	memcpy(c->key, key, c->key_len);
	memcpy(c->salt, key + c->key_len, 4);
	c->icv_len = parse_icv_bits(argv[2]);
	c->iv_len = 8;
	c->align = 4;
	if (!strcmp(argv[0], "rfc4106(gcm(aes))")) {
		c->kind = CRYPTO_GCM;
		c->cipher = aes_cipher(c->key_len, AES_GCM);
		if (c->icv_len != 8 && c->icv_len != 12 && c->icv_len != 16)
			die("GCM ICV of 64, 96 or 128 bits expected");
	} else if (!strcmp(argv[0], "rfc7539esp(chacha20,poly1305)")) {
		c->kind = CRYPTO_CHACHA;
		c->cipher = EVP_chacha20_poly1305();
		if (c->key_len != 32 || c->icv_len != 16)
			die("ChaCha20-Poly1305: 32-byte key + salt, 128-bit ICV");
	} else {
		die("unknown AEAD '%s'", argv[0]);
	}
}

static void parse_authenc(struct crypto *c, char **argv)
{
	static const struct {
		const char *name;
		const EVP_MD *(*md)(void);
	} hmacs[] = {
		{ "hmac(sha1)", EVP_sha1 },
		{ "hmac(sha256)", EVP_sha256 },
		{ "hmac(sha384)", EVP_sha384 },
		{ "hmac(sha512)", EVP_sha512 },
	};
	size_t i;

	c->kind = CRYPTO_AUTHENC;
	c->key_len = parse_key(argv[1], c->key, sizeof(c->key));
	if (!strcmp(argv[0], "cbc(aes)")) {
		c->cipher = aes_cipher(c->key_len, AES_CBC);
		c->ecb = aes_cipher(c->key_len, AES_ECB);
		c->iv_len = 16;
		c->align = 16;
	} else if (!strcmp(argv[0], "ecb(cipher_null)")) {
		c->cipher = NULL;
		c->iv_len = 0;
		c->align = 4;
	} else {
		die("unknown cipher '%s'", argv[0]);
	}
	if (strcmp(argv[2], "auth-trunc"))
		die("'auth-trunc' expected after the cipher, not '%s'", argv[2]);
	for (i = 0; i < sizeof(hmacs) / sizeof(hmacs[0]); i++)
		if (!strcmp(argv[3], hmacs[i].name))
			c->md = hmacs[i].md();
	if (!c->md)
		die("unknown auth algorithm '%s'", argv[3]);
	c->auth_key_len = parse_key(argv[4], c->auth_key, sizeof(c->auth_key));
	c->icv_len = parse_icv_bits(argv[5]);
	if (c->icv_len > (size_t)EVP_MD_get_size(c->md))
		die("ICV longer than the digest");
}

static void crypto_fail(const char *what)
{
	die("libcrypto: %s failed", what);
}

/* The contexts are keyed once; each packet only sets its IV. */
static void crypto_setup(struct crypto *c)
{
	if (!c->cipher)
		return;
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx ||
	    !EVP_EncryptInit_ex(c->ctx, c->cipher, NULL, c->key, NULL))
		crypto_fail("cipher setup");
	if (c->kind != CRYPTO_AUTHENC &&
	    !EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL))
		crypto_fail("AEAD IV length");
	if (!c->ecb)
		return;
	c->iv_ctx = EVP_CIPHER_CTX_new();
	if (!c->iv_ctx ||
	    !EVP_EncryptInit_ex(c->iv_ctx, c->ecb, NULL, c->key, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(c->iv_ctx, 0))
		crypto_fail("AES-ECB setup");
}

static void parse_crypto(struct crypto *c, int argc, char **argv)
{
	memset(c, 0, sizeof(*c));
	if (argc == 4 && !strcmp(argv[0], "aead"))
		parse_aead(c, argv + 1);
	else if (argc == 7 && !strcmp(argv[0], "enc"))
		parse_authenc(c, argv + 1);
	else
		die("CRYPTO: aead ALG KEY ICV_BITS | enc ALG KEY auth-trunc ALG KEY ICV_BITS");
	crypto_setup(c);
}

/* ------------------------------------------------------------------------
 * The receiver's model.
 */

/* Where a packet ends up; the first ones are the SA counters, in the names
 * of "ipsecctl -j -s sa show".
 */
enum verdict {
	V_PACKETS,		/* delivered */
	V_REPLAY,
	V_INTEGRITY,
	V_TRAILER,
	V_NEXTHDR,
	V_RUNT,
	V_SA_MAX,
	V_NO_STATES = V_SA_MAX,	/* xfrm: XfrmInNoStates */
	V_HDR_ERROR,		/* xfrm: XfrmInHdrError */
	V_UDP_DROPPED,		/* the encapsulation socket, uncounted */
	V_MAX
};

static const char *const verdict_names[V_MAX] = {
	[V_PACKETS] = "packets",
	[V_REPLAY] = "replay",
	[V_INTEGRITY] = "integrity",
	[V_TRAILER] = "trailer",
	[V_NEXTHDR] = "nexthdr",
	[V_RUNT] = "runt",
	[V_NO_STATES] = "xfrm.no_states",
	[V_HDR_ERROR] = "xfrm.hdr_error",
	[V_UDP_DROPPED] = "udp.dropped",
};

/* Anti-replay window of RFC 4303 3.4.3: bit i of seen[] is top - i. */
struct window {
	uint64_t top;
	uint32_t size;
	uint64_t seen[MAX_WINDOW / 64];
};

struct sa {
	uint32_t spi;
	bool esn, udp;
	uint64_t next_seq;	/* the next fresh number */
	struct crypto c;
	struct window w;
	uint64_t expect[V_SA_MAX];
};

static bool window_seen(const struct window *w, uint64_t seq)
{
	uint64_t d = w->top - seq;

	return w->seen[d / 64] >> (d % 64) & 1;
}

/* Moves top up by @n: every bit ages by n. */
static void window_shift(struct window *w, uint64_t n)
{
	size_t words = sizeof(w->seen) / sizeof(w->seen[0]), i;
	size_t wshift = n / 64, bshift = n % 64;

	if (n >= w->size) {
		memset(w->seen, 0, sizeof(w->seen));
		return;
	}
	for (i = words; i-- > 0;) {
		uint64_t v = 0;

		if (i >= wshift) {
			v = w->seen[i - wshift] << bshift;
			if (bshift && i > wshift)
				v |= w->seen[i - wshift - 1] >> (64 - bshift);
		}
		w->seen[i] = v;
	}
}

static bool window_acceptable(const struct window *w, uint64_t seq)
{
	if (!seq)
		return false;
	if (seq > w->top)
		return true;
	if (w->top - seq >= w->size)
		return false;
	return !window_seen(w, seq);
}

static void window_accept(struct window *w, uint64_t seq)
{
	uint64_t d;

	if (seq > w->top) {
		window_shift(w, seq - w->top);
		w->top = seq;
	}
	d = w->top - seq;
	w->seen[d / 64] |= 1ULL << (d % 64);
}

/* RFC 4303 appendix A2: the high half of the number whose low half is
 * @lo, given the window. False when it would lie before the first number.
 */
static bool infer_seq(const struct sa *sa, uint32_t lo, uint64_t *seq)
{
	uint32_t tl = sa->w.top, th = sa->w.top >> 32;
	uint32_t bl = tl - sa->w.size + 1;

	if (!sa->esn) {
		*seq = lo;
		return true;
	}
	if (tl >= sa->w.size - 1) {
		/* Case A: the window lies in one subspace. */
		if (lo < bl) {
			if (th == UINT32_MAX)
				return false;
			th++;
		}
	} else if (lo >= bl) {
		/* Case B: it reaches back into the previous subspace. */
		if (!th)
			return false;
		th--;
	}
	*seq = (uint64_t)th << 32 | lo;
	return true;
}

/* A packet as built: its bytes (what follows the IP header, or the UDP
 * header) and what the builder knows of it.
 */
struct pkt {
	uint8_t *buf;
	size_t len;
	bool udp;
	uint64_t seq;		/* the number its ICV was computed with */
	bool intact;		/* unchanged since sealed */
	enum verdict sealed;	/* its verdict once the ICV verified */
	bool inner_runt;	/* delivered, inner IPv4 total length < 20 */
	bool hand_frag;		/* sent in fragments made here */
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* The receiver's checks on one of its SAs, in ipsecif's order: length
 * (room for header, IV, trailer and ICV, whole cipher blocks), the window,
 * the ICV (the window moves only then), then what sealed says of the
 * plaintext.
 */
static enum verdict predict_sa(struct sa *sa, const struct pkt *p)
{
	const struct crypto *c = &sa->c;
	long elen = (long)p->len - ESP_HDR_LEN - c->iv_len - c->icv_len;
	uint64_t seq;

	if (elen < 2 || elen % c->align)
		return V_RUNT;
	if (!infer_seq(sa, get32(p->buf + 4), &seq) ||
	    !window_acceptable(&sa->w, seq))
		return V_REPLAY;
	if (!p->intact || seq != p->seq)
		return V_INTEGRITY;
	window_accept(&sa->w, seq);
	return p->sealed;
}

struct fuzzer;
static struct sa *sa_by_spi(struct fuzzer *f, uint32_t spi, bool udp);

/* Where the receiver puts @p; moves the model. *@sa_out: the SA, if any. */
static enum verdict predict(struct fuzzer *f, const struct pkt *p,
			    struct sa **sa_out)
{
	struct sa *sa;

	*sa_out = NULL;
	if (p->udp) {
		/* The encapsulation socket: keepalive, too short for ESP,
		 * or the non-ESP marker.
		 */
		if (p->len <= ESP_HDR_LEN || !get32(p->buf))
			return V_UDP_DROPPED;
	} else if (p->len < ESP_HDR_LEN) {
		return V_HDR_ERROR;
	}
	sa = sa_by_spi(f, get32(p->buf), p->udp);
	if (!sa)
		return V_NO_STATES;
	*sa_out = sa;
	return predict_sa(sa, p);
}

/* The plaintext's verdict, checked as the receiver does once the ICV has
 * verified: pad length within the packet, padding 1, 2, 3, ... (RFC 4303
 * 2.4), next header 4 or 41, then an inner header of that family whose
 * length fits. @esp_len: the whole packet's length.
 */
static enum verdict check_plaintext(const struct crypto *c, const uint8_t *pt,
				    size_t pt_len, size_t esp_len,
				    bool *inner_runt)
{
	unsigned int pad = pt[pt_len - 2], nh = pt[pt_len - 1], i;
	const uint8_t *inner = pt;
	size_t inner_len;

	*inner_runt = false;
	if (ESP_HDR_LEN + c->iv_len + pad + 2 + c->icv_len > esp_len)
		return V_TRAILER;
	for (i = 0; i < pad; i++)
		if (pt[pt_len - 2 - pad + i] != i + 1)
			return V_TRAILER;
	inner_len = pt_len - 2 - pad;
	if (nh == IPPROTO_IPIP_NH) {
		if (inner_len < 20 || inner[0] >> 4 != 4 || (inner[0] & 15) < 5 ||
		    get16(inner + 2) > inner_len ||
		    get16(inner + 2) < (inner[0] & 15) * 4U)
			return V_NEXTHDR;
		return V_PACKETS;
	}
	if (nh == IPPROTO_IPV6_NH) {
		if (inner_len < 40 || inner[0] >> 4 != 6 ||
		    get16(inner + 4) + 40UL > inner_len)
			return V_NEXTHDR;
		return V_PACKETS;
	}
	return V_NEXTHDR;
}

/* ------------------------------------------------------------------------
 * Building packets.
 */

struct inner_pair {
	union addr src, dst;
};

enum class {
	C_VALID,
	C_OLD_SEQ,
	C_REPLAYED,
	C_FLIP_CT,
	C_FLIP_ICV,
	C_FLIP_HDR,
	C_ESN_HIGH,
	C_TRUNCATED,
	C_EXTENDED,
	C_BAD_PADDING,
	C_BAD_PAD_LEN,
	C_BAD_NEXT_HEADER,
	C_BAD_INNER,
	C_TINY,
	C_GARBAGE,
	C_SPI0,
	C_UNKNOWN_SPI,
	C_OTHER_SPI,
	C_ENCAP_MISMATCH,
	C_KEEPALIVE,
	C_FRAGMENTS,
	C_MAX
};

static const char *const class_names[C_MAX] = {
	[C_VALID] = "valid",
	[C_OLD_SEQ] = "old-seq",
	[C_REPLAYED] = "replayed",
	[C_FLIP_CT] = "flipped-ciphertext",
	[C_FLIP_ICV] = "flipped-icv",
	[C_FLIP_HDR] = "flipped-header",
	[C_ESN_HIGH] = "esn-wrong-high",
	[C_TRUNCATED] = "truncated",
	[C_EXTENDED] = "extended",
	[C_BAD_PADDING] = "bad-padding",
	[C_BAD_PAD_LEN] = "bad-pad-length",
	[C_BAD_NEXT_HEADER] = "bad-next-header",
	[C_BAD_INNER] = "bad-inner",
	[C_TINY] = "tiny",
	[C_GARBAGE] = "garbage",
	[C_SPI0] = "spi0",
	[C_UNKNOWN_SPI] = "unknown-spi",
	[C_OTHER_SPI] = "other-spi",
	[C_ENCAP_MISMATCH] = "encap-mismatch",
	[C_KEEPALIVE] = "udp-keepalive",
	[C_FRAGMENTS] = "hand-fragmented",
};

/* Per mille. Classes that cannot apply (no UDP, no ESN SA, no other SPI)
 * fall back to another (see fuzz_one()); --classes sets the others' to 0.
 */
static unsigned int class_weights[C_MAX] = {
	[C_VALID] = 200,
	[C_OLD_SEQ] = 50,
	[C_REPLAYED] = 50,
	[C_FLIP_CT] = 80,
	[C_FLIP_ICV] = 50,
	[C_FLIP_HDR] = 40,
	[C_ESN_HIGH] = 10,
	[C_TRUNCATED] = 70,
	[C_EXTENDED] = 50,
	[C_BAD_PADDING] = 40,
	[C_BAD_PAD_LEN] = 40,
	[C_BAD_NEXT_HEADER] = 40,
	[C_BAD_INNER] = 30,
	[C_TINY] = 40,
	[C_GARBAGE] = 30,
	[C_SPI0] = 30,
	[C_UNKNOWN_SPI] = 40,
	[C_OTHER_SPI] = 10,
	[C_ENCAP_MISMATCH] = 20,
	[C_KEEPALIVE] = 10,
	[C_FRAGMENTS] = 30,	/* with --frag only */
};

struct recent {
	uint8_t buf[RECENT_MAX_LEN];
	struct pkt p;
};

struct fuzzer {
	union addr src, dst;
	bool have_src, have_dst;
	int family;
	struct sa sas[MAX_SA];
	int n_sa;
	uint32_t other[MAX_OTHER];
	int n_other;
	struct inner_pair inner[MAX_INNER];
	int n_inner;
	unsigned long count;
	uint64_t seed;
	bool udp;
	uint16_t sport, dport;
	bool big;
	const char *report;
	bool dry_run, trace;
	unsigned int mtu;
	unsigned int frag_min;	/* 0: no fragments made here */
	int raw_fd, udp_fd, hdrincl_fd;
	bool has_esn;

	struct recent recent[RECENT];
	unsigned int n_recent, recent_next;

	/* Counts. */
	unsigned long sent, failed, retried, waits;
	unsigned long raw_datagrams, udp_datagrams, fragmented, big_datagrams;
	unsigned long hand_fragmented, hand_fragments;
	unsigned long classes[C_MAX];
	unsigned long expect[V_MAX];
	unsigned long inner_runts;
	int first_errno;
};

static struct sa *sa_by_spi(struct fuzzer *f, uint32_t spi, bool udp)
{
	int i;

	for (i = 0; i < f->n_sa; i++)
		if (f->sas[i].spi == spi && f->sas[i].udp == udp)
			return &f->sas[i];
	return NULL;
}

static bool spi_is_known(const struct fuzzer *f, uint32_t spi)
{
	int i;

	for (i = 0; i < f->n_sa; i++)
		if (f->sas[i].spi == spi)
			return true;
	for (i = 0; i < f->n_other; i++)
		if (f->other[i] == spi)
			return true;
	return false;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* An ICMP(v6) echo request in an IPv4 or IPv6 packet from @ip->src to
 * @ip->dst with @payload bytes; returns its length, sets its next header.
 */
static size_t build_inner(const struct inner_pair *ip, uint16_t id,
			  uint16_t seq, size_t payload, uint8_t *p,
			  uint8_t *next_header)
{
	bool v4 = ip->src.sa.sa_family == AF_INET;
	size_t hlen = v4 ? 20 : 40, icmp_len = 8 + payload, i;
	uint8_t *icmp = p + hlen;
	uint32_t sum = 0;

	icmp[0] = v4 ? 8 : 128;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	for (i = 0; i < payload; i++)
		icmp[8 + i] = i;
	if (v4) {
		p[0] = 0x45;
		p[1] = 0;
		put16(p + 2, hlen + icmp_len);
		put16(p + 4, seq);
		put16(p + 6, 0x4000);		/* DF */
		p[8] = 64;
		p[9] = IPPROTO_ICMP;
		put16(p + 10, 0);
		memcpy(p + 12, &ip->src.v4.sin_addr, 4);
		memcpy(p + 16, &ip->dst.v4.sin_addr, 4);
		put16(p + 10, csum_fold(csum_add(0, p, 20)));
		*next_header = IPPROTO_IPIP_NH;
	} else {
		put32(p, 0x60000000);
		put16(p + 4, icmp_len);
		p[6] = IPPROTO_ICMPV6;
		p[7] = 64;
		memcpy(p + 8, &ip->src.v6.sin6_addr, 16);
		memcpy(p + 24, &ip->dst.v6.sin6_addr, 16);
		sum = csum_add(0, p + 8, 32);
		sum += icmp_len + IPPROTO_ICMPV6;
		*next_header = IPPROTO_IPV6_NH;
	}
	put16(icmp + 2, csum_fold(csum_add(sum, icmp, icmp_len)));
	return hlen + icmp_len;
}

/* AES-GCM or ChaCha20-Poly1305: nonce = salt || IV, AAD = the ESP header
 * with seq_hi between SPI and seq_lo when ESN is on (RFC 4106 5, 7634 2.1).
 */
static void seal_aead(const struct sa *sa, uint64_t seq, uint8_t *esp,
		      size_t pt_len)
{
	const struct crypto *c = &sa->c;
	uint8_t nonce[12], aad[12], *iv = esp + ESP_HDR_LEN;
	uint8_t *data = iv + c->iv_len;
	size_t aad_len;
	int out;

	memcpy(nonce, c->salt, 4);
	memcpy(nonce + 4, iv, 8);
	memcpy(aad, esp, 4);
	if (sa->esn) {
		put32(aad + 4, seq >> 32);
		memcpy(aad + 8, esp + 4, 4);
		aad_len = 12;
	} else {
		memcpy(aad + 4, esp + 4, 4);
		aad_len = 8;
	}
	if (!EVP_EncryptInit_ex(c->ctx, NULL, NULL, NULL, nonce) ||
	    !EVP_EncryptUpdate(c->ctx, NULL, &out, aad, aad_len) ||
	    (pt_len && !EVP_EncryptUpdate(c->ctx, data, &out, data, pt_len)) ||
	    !EVP_EncryptFinal_ex(c->ctx, data + pt_len, &out) ||
	    !EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_GET_TAG, c->icv_len,
				 data + pt_len))
		crypto_fail("AEAD encryption");
}

/* Encrypt, then HMAC over SPI, seq_lo, IV and ciphertext, with seq_hi
 * appended when ESN is on (RFC 4303 2.2.1), truncated to the ICV length.
 */
static void seal_authenc(const struct sa *sa, uint64_t seq, uint8_t *esp,
			 size_t pt_len)
{
	static uint8_t input[BUF_SIZE + 4];
	const struct crypto *c = &sa->c;
	uint8_t *iv = esp + ESP_HDR_LEN, *data = iv + c->iv_len;
	size_t covered = ESP_HDR_LEN + c->iv_len + pt_len;
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len;
	int out;

	if (c->cipher &&
	    (!EVP_EncryptInit_ex(c->ctx, NULL, NULL, NULL, iv) ||
	     !EVP_CIPHER_CTX_set_padding(c->ctx, 0) ||
	     !EVP_EncryptUpdate(c->ctx, data, &out, data, pt_len) ||
	     !EVP_EncryptFinal_ex(c->ctx, data + out, &out)))
		crypto_fail("AES-CBC encryption");
	memcpy(input, esp, covered);
	if (sa->esn) {
		put32(input + covered, seq >> 32);
		covered += 4;
	}
	if (!HMAC(c->md, c->auth_key, c->auth_key_len, input, covered, mac,
		  &mac_len))
		crypto_fail("HMAC");
	memcpy(data + pt_len, mac, c->icv_len);
}

/* The IV: the number itself for the AEADs (unique per SA, as required),
 * AES_K(number) for CBC, which nobody can predict without the key.
 */
static void make_iv(const struct crypto *c, uint64_t seq, uint8_t *iv)
{
	int out;

	if (c->kind != CRYPTO_AUTHENC) {
		put64(iv, seq);
		return;
	}
	if (!c->iv_len)
		return;
	memset(iv, 0, 16);
	put64(iv + 8, seq);
	if (!EVP_EncryptUpdate(c->iv_ctx, iv, &out, iv, 16))
		crypto_fail("CBC IV generation");
}

/* How to build one packet for an SA; what is not set is right. */
struct recipe {
	uint64_t seq;		/* full number to seal with */
	uint32_t wire_seq;	/* the ESP header's */
	size_t payload;		/* ICMP echo payload bytes */
	const struct inner_pair *inner;	/* its addresses */
	bool no_inner;		/* padding and trailer only */
	size_t tfc;		/* random bytes after the inner packet */
	unsigned int extra_pad;	/* valid padding beyond what aligns */
	int pad_len;		/* -1: right */
	bool bad_pad_bytes;
	int next_header;	/* -1: the inner packet's */
	int inner_mut;		/* 0: none; see mutate_inner() */
	size_t max_len;		/* the transport's largest payload */
};

static void recipe_init(struct fuzzer *f, struct recipe *r, uint64_t seq,
			size_t payload, size_t max_len)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->wire_seq = seq;
	r->payload = payload;
	r->inner = &f->inner[rnd(f->n_inner)];
	r->pad_len = -1;
	r->next_header = -1;
	r->max_len = max_len;
}

/* Inner header mutations, all behind a valid ICV. */
enum {
	INNER_OK,
	INNER_VERSION,		/* the other family's version */
	INNER_IHL,		/* IPv4 header length below 5 words */
	INNER_TOO_LONG,		/* total/payload length beyond the data */
	INNER_RUNT,		/* IPv4 total length below 20 */
	INNER_SHORTER,		/* length leaves out the end: TFC padding */
	INNER_MUT_MAX
};

static void mutate_inner(uint8_t *p, size_t len, int mut)
{
	bool v4 = p[0] >> 4 == 4;
	uint8_t *len_field = v4 ? p + 2 : p + 4;
	size_t hlen = v4 ? 0 : 40, cur = get16(len_field);

	switch (mut) {
	case INNER_VERSION:
		p[0] = (p[0] & 0x0f) | (v4 ? 0x60 : 0x40);
		break;
	case INNER_IHL:
		if (v4)
			p[0] = 0x40 | rnd(5);
		else
			p[0] = 0x40 | rnd(16);	/* and the wrong version */
		break;
	case INNER_TOO_LONG:
		put16(len_field, rnd_range(len - hlen + 1,
					   len - hlen + 1 + rnd(1000)));
		break;
	case INNER_RUNT:
		if (v4)
			put16(len_field, rnd(20));
		else
			put16(len_field, rnd(8));	/* a valid IPv6 header */
		break;
	case INNER_SHORTER:
		put16(len_field, cur ? rnd(cur) : 0);
		break;
	}
	if (v4 && p[0] >> 4 == 4) {
		put16(p + 10, 0);
		put16(p + 10, csum_fold(csum_add(0, p, 20)));
	}
}

/* Builds the ESP packet of @r for @sa into @p; returns what the receiver
 * will make of it once its ICV verifies (p->sealed).
 */
static void build_esp(struct sa *sa, struct recipe *r, struct pkt *p)
{
	const struct crypto *c = &sa->c;
	uint8_t *esp = p->buf, *iv = esp + ESP_HDR_LEN;
	uint8_t *data = iv + c->iv_len, next_header = 59;
	size_t fixed, inner_len = 0, pt_len, pad, i, room;
	const struct inner_pair *ip = r->inner;

	/* What is not payload: header, IV, ICV, trailer, worst padding. */
	fixed = ESP_HDR_LEN + c->iv_len + c->icv_len + 2 + c->align - 1 +
		r->extra_pad + r->tfc;
	if (!r->no_inner)
		fixed += (ip->src.sa.sa_family == AF_INET ? 20 : 40) + 8;
	room = r->max_len > fixed ? r->max_len - fixed : 0;
	if (r->payload > room)
		r->payload = room;

	put32(esp, sa->spi);
	put32(esp + 4, r->wire_seq);
	make_iv(c, r->seq, iv);
	if (!r->no_inner)
		inner_len = build_inner(ip, 0x4553, r->seq, r->payload, data,
					&next_header);
	if (r->inner_mut)
		mutate_inner(data, inner_len, r->inner_mut);
	rnd_bytes(data + inner_len, r->tfc);
	inner_len += r->tfc;

	pad = (c->align - (inner_len + 2) % c->align) % c->align;
	pad += r->extra_pad;
	if (r->bad_pad_bytes && !pad)
		pad = c->align;
	for (i = 0; i < pad; i++)
		data[inner_len + i] = i + 1;
	if (r->bad_pad_bytes) {
		/* Non-monotonic somewhere. */
		i = rnd(pad);
		data[inner_len + i] ^= 1 + rnd(255);
	}
	pt_len = inner_len + pad + 2;
	data[pt_len - 2] = r->pad_len >= 0 ? r->pad_len : (int)pad;
	data[pt_len - 1] = r->next_header >= 0 ? r->next_header : next_header;

	p->len = ESP_HDR_LEN + c->iv_len + pt_len + c->icv_len;
	p->sealed = check_plaintext(c, data, pt_len, p->len, &p->inner_runt);
	p->seq = r->seq;
	p->intact = true;

	if (c->kind == CRYPTO_AUTHENC)
		seal_authenc(sa, r->seq, esp, pt_len);
	else
		seal_aead(sa, r->seq, esp, pt_len);
}

static void flip_bit(uint8_t *p, size_t bit)
{
	p[bit / 8] ^= 0x80 >> (bit % 8);
}

/* Flips 1-3 bits in [from, to) bytes of @p. */
static void flip_some(struct pkt *p, size_t from, size_t to)
{
	unsigned int n = rnd_range(1, 3), i;

	if (to <= from)
		return;
	for (i = 0; i < n; i++)
		flip_bit(p->buf, from * 8 + rnd((to - from) * 8));
	p->intact = false;
}

/* ------------------------------------------------------------------------
 * Sending.
 */

static size_t max_len(const struct fuzzer *f, bool udp)
{
	/* IPv4: a 65535-byte packet; IPv6: a 65535-byte payload. */
	if (f->family == AF_INET)
		return 65535 - 20 - (udp ? 8 : 0);
	return 65535 - (udp ? 8 : 0);
}

static size_t pick_payload(const struct fuzzer *f)
{
	unsigned int r = rnd(1000);

	if (r < 750)
		return rnd_range(0, 200);
	if (r < 930)
		return rnd_range(200, 1400);
	if (r < 980 || !f->big)
		return rnd_range(1400, 32 * 1024);
	return rnd_range(BIG_MIN, 65535);
}

static int open_socket(const struct fuzzer *f, int type, uint16_t port)
{
	union addr src = f->src;
	int fd, one = 1;

	fd = socket(f->family, type, type == SOCK_RAW ? IPPROTO_ESP : 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (f->family == AF_INET)
		src.v4.sin_port = htons(port);
	else
		src.v6.sin6_port = htons(port);
	if (type == SOCK_DGRAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR: %s", strerror(errno));
	if (bind(fd, &src.sa, addr_len(&src)))
		die("bind: %s", strerror(errno));
	/* Without it, a packet dropped on the way out (ENOBUFS) would not
	 * be reported by sendto().
	 */
	if (f->family == AF_INET ?
	    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) :
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)))
		die("IP_RECVERR: %s", strerror(errno));
	return fd;
}

/* The path MTU towards the destination, as the kernel will fragment. */
static unsigned int path_mtu(const struct fuzzer *f)
{
	union addr dst = f->dst;
	int fd, mtu;
	socklen_t len = sizeof(mtu);

	fd = socket(f->family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (f->family == AF_INET)
		dst.v4.sin_port = htons(9);
	else
		dst.v6.sin6_port = htons(9);
	if (connect(fd, &dst.sa, addr_len(&dst)))
		die("connect: %s", strerror(errno));
	if (f->family == AF_INET ?
	    getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len) :
	    getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len))
		die("IP_MTU: %s", strerror(errno));
	close(fd);
	return mtu;
}

/* The receiver's backlog must never overflow (veth would drop, and a drop
 * there is invisible here unless its ENOBUFS comes back), and the packets
 * of an SA must arrive in the order sent. A packet stays charged to the
 * socket until the receiving IP layer takes it: waiting for the charge to
 * fall below OUTQ_LIMIT keeps at most ~100 small packets in flight.
 */
static void wait_outq(struct fuzzer *f, int fd)
{
	struct timespec ts = { 0, 50000 };
	int outq, i;

	for (i = 0; i < 100000; i++) {
		if (ioctl(fd, SIOCOUTQ, &outq) || outq <= OUTQ_LIMIT)
			return;
		if (!i)
			f->waits++;
		nanosleep(&ts, NULL);
	}
}

static void drain_errors(int fd)
{
	uint8_t buf[512];

	while (recv(fd, buf, sizeof(buf), MSG_ERRQUEUE | MSG_DONTWAIT) >= 0)
		;
}

/* A raw socket for whole IP packets built here: IPPROTO_RAW implies
 * IP_HDRINCL (IPv4) and IPV6_HDRINCL (IPv6).
 */
static int open_hdrincl(const struct fuzzer *f)
{
	int fd, one = 1;

	fd = socket(f->family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		die("raw socket: %s", strerror(errno));
	if (f->family == AF_INET ?
	    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) :
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)))
		die("IP_RECVERR: %s", strerror(errno));
	return fd;
}

/* Sends one packet built here; false if it could not be sent. */
static bool send_frame(struct fuzzer *f, const uint8_t *frame, size_t len)
{
	union addr dst = f->dst;
	int attempt, err = 0;
	ssize_t n;

	for (attempt = 0; attempt < 5; attempt++) {
		wait_outq(f, f->hdrincl_fd);
		n = sendto(f->hdrincl_fd, frame, len, 0, &dst.sa, addr_len(&dst));
		if (n == (ssize_t)len)
			return true;
		err = n < 0 ? errno : EIO;
		if (err == ENOBUFS || err == EMSGSIZE || n >= 0)
			break;
		drain_errors(f->hdrincl_fd);
		f->retried++;
	}
	if (!f->first_errno) {
		f->first_errno = err;
		fprintf(stderr, "%s: sendto (fragment of %zu bytes): %s\n", prog,
			len, strerror(err));
	}
	return false;
}

/* The UDP header of @p, with its checksum over the pseudo-header. */
static void put_udp(const struct fuzzer *f, const struct pkt *p, uint8_t *udp)
{
	size_t len = 8 + p->len, alen = f->family == AF_INET ? 4 : 16;
	const void *src = f->family == AF_INET ? (const void *)&f->src.v4.sin_addr :
						  (const void *)&f->src.v6.sin6_addr;
	const void *dst = f->family == AF_INET ? (const void *)&f->dst.v4.sin_addr :
						  (const void *)&f->dst.v6.sin6_addr;
	uint32_t sum;
	uint16_t csum;

	put16(udp, f->sport);
	put16(udp + 2, f->dport);
	put16(udp + 4, len);
	put16(udp + 6, 0);
	sum = csum_add(0, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += len + IPPROTO_UDP;
	sum = csum_add(sum, udp, 8);
	csum = csum_fold(csum_add(sum, p->buf, p->len));
	put16(udp + 6, csum ? csum : 0xffff);
}

/* Sends @p in IP fragments made here: the first with frag_min to
 * frag_min + 24 bytes of ESP (after the UDP header, if any), then random
 * multiples of 8 up to what the MTU allows, the last with what is left;
 * sent in order, reversed or shuffled. False if a fragment could not be
 * sent (those before it wait in vain for the rest).
 */
static bool send_fragments(struct fuzzer *f, const struct pkt *p)
{
	static uint8_t payload[BUF_SIZE + 8], frame[65536];
	static size_t off[BUF_SIZE / 8], len[BUF_SIZE / 8], order[BUF_SIZE / 8];
	bool v4 = f->family == AF_INET;
	size_t hlen = v4 ? 20 : 48, max = (f->mtu - hlen) & ~7UL;
	size_t plen = (p->udp ? 8 : 0) + p->len, first, at, n = 0, i, j, t;
	uint32_t id = rnd64() >> 32 | 1;
	unsigned int how = rnd(10);
	uint8_t proto = p->udp ? IPPROTO_UDP : IPPROTO_ESP;

	if (p->udp)
		put_udp(f, p, payload);
	memcpy(payload + (p->udp ? 8 : 0), p->buf, p->len);
	first = (p->udp ? 8 : 0) + f->frag_min + 8 * rnd(4);
	if (first > max)
		first = max;
	if (first >= plen)
		first = (plen - 1) & ~7UL;
	off[n] = 0;
	len[n++] = first;
	for (at = first; at < plen; at += len[n++]) {
		size_t rest = plen - at, units = (rest - 1) / 8;

		off[n] = at;
		if ((rest <= max && chance(50)) || !units)
			len[n] = rest;
		else
			len[n] = 8 * rnd_range(1, units < max / 8 ? units : max / 8);
	}
	for (i = 0; i < n; i++)
		order[i] = how < 2 ? n - 1 - i : i;
	for (i = n - 1; how >= 8 && i > 0; i--) {
		j = rnd(i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++) {
		size_t k = order[i];
		bool more = k + 1 < n;

		if (v4) {
			frame[0] = 0x45;
			frame[1] = 0;
			put16(frame + 2, 20 + len[k]);
			put16(frame + 4, id);
			put16(frame + 6, off[k] / 8 | (more ? 0x2000 : 0));
			frame[8] = 64;
			frame[9] = proto;
			put16(frame + 10, 0);
			memcpy(frame + 12, &f->src.v4.sin_addr, 4);
			memcpy(frame + 16, &f->dst.v4.sin_addr, 4);
			put16(frame + 10, csum_fold(csum_add(0, frame, 20)));
		} else {
			put32(frame, 0x60000000);
			put16(frame + 4, 8 + len[k]);
			frame[6] = 44;		/* Fragment header */
			frame[7] = 64;
			memcpy(frame + 8, &f->src.v6.sin6_addr, 16);
			memcpy(frame + 24, &f->dst.v6.sin6_addr, 16);
			frame[40] = proto;
			frame[41] = 0;
			put16(frame + 42, off[k] | more);
			put32(frame + 44, id);
		}
		memcpy(frame + hlen, payload + off[k], len[k]);
		if (!send_frame(f, frame, hlen + len[k]))
			return false;
		f->hand_fragments++;
	}
	return true;
}

/* Sends @p; false if it could not be sent. An error that sent nothing
 * (an ICMP error reported by IP_RECVERR, say) is retried. ENOBUFS may
 * come after some fragments went out: not retried, counted as failed.
 */
static bool send_pkt(struct fuzzer *f, const struct pkt *p)
{
	int fd = p->udp ? f->udp_fd : f->raw_fd, attempt, err = 0;
	union addr dst = f->dst;
	ssize_t n;

	if (f->dry_run)
		return true;
	if (p->hand_frag)
		return send_fragments(f, p);
	if (f->family == AF_INET)
		dst.v4.sin_port = htons(p->udp ? f->dport : 0);
	else
		dst.v6.sin6_port = htons(p->udp ? f->dport : 0);
	for (attempt = 0; attempt < 5; attempt++) {
		wait_outq(f, fd);
		n = sendto(fd, p->buf, p->len, 0, &dst.sa, addr_len(&dst));
		if (n == (ssize_t)p->len)
			return true;
		err = n < 0 ? errno : EIO;
		if (err == ENOBUFS || err == EMSGSIZE || n >= 0)
			break;
		drain_errors(fd);
		f->retried++;
	}
	if (!f->first_errno) {
		f->first_errno = err;
		fprintf(stderr, "%s: sendto (%zu bytes%s): %s\n", prog, p->len,
			p->udp ? ", UDP" : "", strerror(err));
	}
	return false;
}

/* The IP (and UDP) headers the kernel adds, for the fragmentation count. */
static size_t datagram_len(const struct fuzzer *f, const struct pkt *p)
{
	return p->len + (f->family == AF_INET ? 20 : 40) + (p->udp ? 8 : 0);
}

static void remember(struct fuzzer *f, const struct pkt *p)
{
	struct recent *r;

	if (p->len > RECENT_MAX_LEN)
		return;
	r = &f->recent[f->recent_next];
	f->recent_next = (f->recent_next + 1) % RECENT;
	if (f->n_recent < RECENT)
		f->n_recent++;
	memcpy(r->buf, p->buf, p->len);
	r->p = *p;
	r->p.buf = r->buf;
}

/* Sends @p as class @cls; on success, counts it and moves the model. */
static void emit(struct fuzzer *f, enum class cls, const struct pkt *p)
{
	enum verdict v;
	struct sa *sa;

	if (!send_pkt(f, p)) {
		f->failed++;
		return;
	}
	v = predict(f, p, &sa);
	f->sent++;
	f->classes[cls]++;
	f->expect[v]++;
	if (sa)
		sa->expect[v]++;
	if (v == V_PACKETS && p->inner_runt)
		f->inner_runts++;
	if (p->udp)
		f->udp_datagrams++;
	else
		f->raw_datagrams++;
	if (p->hand_frag)
		f->hand_fragmented++;
	else if (datagram_len(f, p) > f->mtu)
		f->fragmented++;
	if (datagram_len(f, p) >= BIG_MIN)
		f->big_datagrams++;
	if (f->trace)
		fprintf(stderr,
			"%lu %s %s len %zu spi 0x%x seq 0x%x sealed 0x%llx %s %s -> %s top 0x%llx\n",
			f->sent, class_names[cls], p->udp ? "udp" : "esp",
			p->len, p->len >= 4 ? get32(p->buf) : 0,
			p->len >= 8 ? get32(p->buf + 4) : 0,
			(unsigned long long)p->seq,
			p->intact ? "intact" : "damaged", verdict_names[p->sealed],
			verdict_names[v],
			(unsigned long long)(sa ? sa->w.top : 0));
	/* Not the ESN packets sealed for the next subspace: once their low
	 * half falls below the window, a copy is inferred to be from there
	 * (RFC 4303 appendix A2.1), verifies, and moves the window 2^32
	 * ahead for good, which is right, but ends the SA's useful life.
	 */
	if (cls != C_REPLAYED && cls != C_ESN_HIGH)
		remember(f, p);
}

/* ------------------------------------------------------------------------
 * The classes.
 */

static struct sa *pick_sa(struct fuzzer *f)
{
	return &f->sas[rnd(f->n_sa)];
}

/* A fresh number; now and then a jump ahead, leaving holes. */
static uint64_t fresh_seq(struct sa *sa)
{
	uint64_t seq;

	if (chance(3))
		sa->next_seq += rnd_range(1, 2 * (uint64_t)sa->w.size);
	seq = sa->next_seq++;
	if (!sa->esn && seq > UINT32_MAX)
		die("SA 0x%x: sequence numbers exhausted", sa->spi);
	return seq;
}

/* A number already used or skipped, in or before the window. */
static uint64_t old_seq(struct sa *sa)
{
	uint64_t back = rnd_range(1, 2 * (uint64_t)sa->w.size + 2);

	return sa->next_seq > back ? sa->next_seq - back : 1;
}

static void valid_recipe(struct fuzzer *f, struct sa *sa, struct recipe *r,
			 uint64_t seq, bool udp)
{
	recipe_init(f, r, seq, pick_payload(f), max_len(f, udp));
	if (chance(10))
		r->extra_pad = sa->c.align * rnd_range(1, 200 / sa->c.align);
	if (chance(5))
		r->tfc = rnd_range(1, 64);
}

static void build_valid(struct fuzzer *f, struct sa *sa, struct pkt *p,
			uint64_t seq)
{
	struct recipe r;

	p->udp = sa->udp;
	valid_recipe(f, sa, &r, seq, p->udp);
	build_esp(sa, &r, p);
}

static void class_valid(struct fuzzer *f, struct pkt *p)
{
	struct sa *sa = pick_sa(f);

	build_valid(f, sa, p, fresh_seq(sa));
	emit(f, C_VALID, p);
}

static void class_old_seq(struct fuzzer *f, struct pkt *p)
{
	struct sa *sa = pick_sa(f);

	build_valid(f, sa, p, old_seq(sa));
	emit(f, C_OLD_SEQ, p);
}

static void class_replayed(struct fuzzer *f, struct pkt *p)
{
	struct recent *r;

	if (!f->n_recent) {
		class_valid(f, p);
		return;
	}
	r = &f->recent[rnd(f->n_recent)];
	emit(f, C_REPLAYED, &r->p);
}

/* A valid packet with a fresh number, then @cls's damage. */
static void class_damaged(struct fuzzer *f, struct pkt *p, enum class cls)
{
	struct sa *sa = pick_sa(f);
	const struct crypto *c = &sa->c;
	size_t hdr = ESP_HDR_LEN + c->iv_len, n;

	build_valid(f, sa, p, fresh_seq(sa));
	switch (cls) {
	case C_FLIP_CT:
		flip_some(p, hdr, p->len - c->icv_len);
		break;
	case C_FLIP_ICV:
		flip_some(p, p->len - c->icv_len, p->len);
		break;
	case C_FLIP_HDR:
		/* Sequence number or IV: all after the SPI. */
		flip_some(p, 4, hdr);
		break;
	case C_TRUNCATED:
		p->len = rnd(p->len);
		p->intact = false;
		break;
	case C_EXTENDED:
		n = rnd_range(1, chance(80) ? 64 : 4096);
		if (p->len + n > max_len(f, p->udp))
			n = max_len(f, p->udp) - p->len;
		if (!n)
			p->len--;	/* no room: truncated by one */
		rnd_bytes(p->buf + p->len, n);
		p->len += n;
		p->intact = false;
		break;
	default:
		die("class %d is no damage", cls);
	}
	emit(f, cls, p);
}

/* ESN: sealed with the high half one off, so that the receiver's inference
 * (right) and the ICV (wrong) disagree.
 */
static void class_esn_high(struct fuzzer *f, struct pkt *p)
{
	struct sa *sa;
	struct recipe r;
	uint64_t seq;

	if (!f->has_esn) {
		class_damaged(f, p, C_FLIP_HDR);
		return;
	}
	do
		sa = pick_sa(f);
	while (!sa->esn);
	seq = fresh_seq(sa);
	p->udp = sa->udp;
	valid_recipe(f, sa, &r, seq >= 1ULL << 32 && chance(50) ?
		     seq - (1ULL << 32) : seq + (1ULL << 32), p->udp);
	r.wire_seq = seq;
	build_esp(sa, &r, p);
	emit(f, C_ESN_HIGH, p);
}

/* Valid ICV, wrong plaintext. */
static void class_plaintext(struct fuzzer *f, struct pkt *p, enum class cls)
{
	struct sa *sa = pick_sa(f);
	struct recipe r;
	int nh;

	p->udp = sa->udp;
	valid_recipe(f, sa, &r, fresh_seq(sa), p->udp);
	switch (cls) {
	case C_BAD_PADDING:
		r.bad_pad_bytes = true;
		break;
	case C_BAD_PAD_LEN:
		/* Beyond the packet, or reaching into the inner packet
		 * (some of those by chance right: the model checks the
		 * bytes).
		 */
		r.pad_len = chance(50) ? 255 - (int)rnd(32) : (int)rnd(256);
		if (chance(30))
			r.payload = rnd(40);
		break;
	case C_BAD_NEXT_HEADER:
		switch (rnd(4)) {
		case 0:		/* the other family's */
			r.next_header =
				r.inner->src.sa.sa_family == AF_INET ?
				IPPROTO_IPV6_NH : IPPROTO_IPIP_NH;
			break;
		case 1:		/* a dummy packet (RFC 4303 2.6) */
			r.no_inner = true;
			r.next_header = 59;
			break;
		case 2:		/* no inner packet behind 4 or 41 */
			r.no_inner = true;
			r.next_header = chance(50) ? IPPROTO_IPIP_NH :
						     IPPROTO_IPV6_NH;
			r.extra_pad = sa->c.align * rnd(10);
			break;
		default:
			do
				nh = rnd(256);
			while (nh == IPPROTO_IPIP_NH || nh == IPPROTO_IPV6_NH);
			r.next_header = nh;
		}
		break;
	case C_BAD_INNER:
		r.inner_mut = rnd_range(INNER_VERSION, INNER_MUT_MAX - 1);
		break;
	default:
		die("class %d is no plaintext damage", cls);
	}
	build_esp(sa, &r, p);
	emit(f, cls, p);
}

/* A transport for packets that are no SA's own: UDP now and then. */
static bool some_transport(const struct fuzzer *f)
{
	return f->udp && chance(30);
}

static uint32_t unknown_spi(const struct fuzzer *f)
{
	uint32_t spi;

	do
		spi = rnd64() >> 32;
	while (!spi || spi_is_known(f, spi));
	return spi;
}

static void class_tiny(struct fuzzer *f, struct pkt *p)
{
	uint8_t spi[4];
	unsigned int r = rnd(10);

	p->udp = some_transport(f);
	p->len = rnd_range(1, 15);
	p->intact = false;
	rnd_bytes(p->buf, p->len);
	if (r < 4)
		put32(spi, pick_sa(f)->spi);
	else if (r < 6)
		put32(spi, 0);
	else
		put32(spi, unknown_spi(f));
	memcpy(p->buf, spi, p->len < 4 ? p->len : 4);
	if (p->udp && p->len == 1 && p->buf[0] == 0xff)
		p->buf[0] = 0;	/* that would be a keepalive */
	emit(f, C_TINY, p);
}

/* One of the SPIs, random bytes after it: runt or integrity. */
static void class_garbage(struct fuzzer *f, struct pkt *p)
{
	struct sa *sa = pick_sa(f);

	p->udp = sa->udp;
	p->len = ESP_HDR_LEN + rnd_range(0, chance(90) ? 256 : 4096);
	p->intact = false;
	rnd_bytes(p->buf, p->len);
	put32(p->buf, sa->spi);
	if (chance(50))
		put32(p->buf + 4, fresh_seq(sa));
	emit(f, C_GARBAGE, p);
}

/* A valid packet of one of the SAs under another SPI. */
static void build_respi(struct fuzzer *f, struct pkt *p, uint32_t spi,
			bool udp)
{
	struct sa *sa = pick_sa(f);
	struct recipe r;

	valid_recipe(f, sa, &r, fresh_seq(sa), udp);
	if (chance(50))
		r.payload = rnd(200);
	build_esp(sa, &r, p);
	put32(p->buf, spi);
	p->udp = udp;
	p->intact = false;
}

static void class_spi(struct fuzzer *f, struct pkt *p, enum class cls)
{
	uint32_t spi;

	switch (cls) {
	case C_SPI0:
		spi = 0;
		break;
	case C_OTHER_SPI:
		if (f->n_other) {
			spi = f->other[rnd(f->n_other)];
			break;
		}
		cls = C_UNKNOWN_SPI;
		/* fall through */
	default:
		spi = unknown_spi(f);
	}
	if (chance(20)) {
		/* Random bytes, random length. */
		p->udp = some_transport(f);
		p->len = rnd_range(ESP_HDR_LEN, 2000);
		p->intact = false;
		rnd_bytes(p->buf, p->len);
		put32(p->buf, spi);
	} else {
		build_respi(f, p, spi, some_transport(f));
	}
	emit(f, cls, p);
}

/* A valid packet of an SA in the wrong transport: not the SA's. */
static void class_encap_mismatch(struct fuzzer *f, struct pkt *p)
{
	struct sa *sa = pick_sa(f);

	if (!f->udp) {
		class_valid(f, p);
		return;
	}
	build_valid(f, sa, p, fresh_seq(sa));
	if (!p->udp && p->len > max_len(f, true))
		p->len = max_len(f, true);	/* still not the SA's */
	p->udp = !sa->udp;
	emit(f, C_ENCAP_MISMATCH, p);
}

static void class_keepalive(struct fuzzer *f, struct pkt *p)
{
	if (!f->udp) {
		class_valid(f, p);
		return;
	}
	p->udp = true;
	p->len = 1;
	p->buf[0] = 0xff;
	p->intact = false;
	emit(f, C_KEEPALIVE, p);
}

/* A packet of one of the SAs, valid or flipped, in fragments made here. */
static void class_fragments(struct fuzzer *f, struct pkt *p)
{
	struct sa *sa = pick_sa(f);
	struct recipe r;

	p->udp = sa->udp;
	valid_recipe(f, sa, &r, fresh_seq(sa), p->udp);
	if (r.payload > 16 * 1024)
		r.payload = rnd(16 * 1024);
	build_esp(sa, &r, p);
	if (chance(25))
		flip_some(p, ESP_HDR_LEN + sa->c.iv_len, p->len);
	p->hand_frag = true;
	emit(f, C_FRAGMENTS, p);
}

static enum class pick_class(void)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < C_MAX; i++)
		total += class_weights[i];
	r = rnd(total);
	for (i = 0; i < C_MAX; i++) {
		if (r < class_weights[i])
			return i;
		r -= class_weights[i];
	}
	return C_VALID;
}

static void fuzz_one(struct fuzzer *f, struct pkt *p)
{
	enum class cls = pick_class();
	uint8_t *buf = p->buf;

	memset(p, 0, sizeof(*p));
	p->buf = buf;
	switch (cls) {
	case C_VALID:
		class_valid(f, p);
		break;
	case C_OLD_SEQ:
		class_old_seq(f, p);
		break;
	case C_REPLAYED:
		class_replayed(f, p);
		break;
	case C_FLIP_CT:
	case C_FLIP_ICV:
	case C_FLIP_HDR:
	case C_TRUNCATED:
	case C_EXTENDED:
		class_damaged(f, p, cls);
		break;
	case C_ESN_HIGH:
		class_esn_high(f, p);
		break;
	case C_BAD_PADDING:
	case C_BAD_PAD_LEN:
	case C_BAD_NEXT_HEADER:
	case C_BAD_INNER:
		class_plaintext(f, p, cls);
		break;
	case C_TINY:
		class_tiny(f, p);
		break;
	case C_GARBAGE:
		class_garbage(f, p);
		break;
	case C_SPI0:
	case C_UNKNOWN_SPI:
	case C_OTHER_SPI:
		class_spi(f, p, cls);
		break;
	case C_ENCAP_MISMATCH:
		class_encap_mismatch(f, p);
		break;
	case C_FRAGMENTS:
		class_fragments(f, p);
		break;
	case C_KEEPALIVE:
	default:
		class_keepalive(f, p);
		break;
	}
}

/* ------------------------------------------------------------------------
 * Options, report, main.
 */

/* "SPI [esn] [udp] [window N] [seq N] CRYPTO..." */
static void parse_sa(struct fuzzer *f, const char *spec)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	char *argv[32];
	int argc = 0, i = 1;
	struct sa *sa;

	if (!copy)
		die("out of memory");
	if (f->n_sa == MAX_SA)
		die("at most %d SAs", MAX_SA);
	for (tok = strtok_r(copy, " \t", &save); tok && argc < 32;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (argc < 2)
		die("SA '%s': SPI and CRYPTO expected", spec);
	sa = &f->sas[f->n_sa++];
	memset(sa, 0, sizeof(*sa));
	sa->spi = parse_number(argv[0], UINT32_MAX, "SPI");
	if (!sa->spi)
		die("SPI 0 is no SA's");
	sa->w.size = 64;
	sa->next_seq = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "esn")) {
			sa->esn = true;
		} else if (!strcmp(argv[i], "udp")) {
			sa->udp = true;
		} else if (!strcmp(argv[i], "window") && i + 1 < argc) {
			sa->w.size = parse_number(argv[++i], MAX_WINDOW,
						  "replay window");
			if (!sa->w.size)
				die("SA 0x%x: the model needs a replay window",
				    sa->spi);
		} else if (!strcmp(argv[i], "seq") && i + 1 < argc) {
			sa->next_seq = parse_number(argv[++i], UINT64_MAX,
						    "sequence number");
		} else {
			break;
		}
	}
	parse_crypto(&sa->c, argc - i, argv + i);
	if (!sa->next_seq || (!sa->esn && sa->next_seq > UINT32_MAX))
		die("SA 0x%x: first sequence number out of range", sa->spi);
	if (sa->esn && sa->next_seq < 1ULL << 32 &&
	    (uint32_t)sa->next_seq > UINT32_MAX - sa->w.size + 1)
		die("SA 0x%x: an ESN start this close to 2^32 is inferred in the subspace before 0",
		    sa->spi);
	free(copy);
}

static void parse_inner(struct fuzzer *f, const char *s)
{
	char *copy = strdup(s), *comma;
	struct inner_pair *ip;

	if (!copy)
		die("out of memory");
	if (f->n_inner == MAX_INNER)
		die("at most %d inner pairs", MAX_INNER);
	comma = strchr(copy, ',');
	if (!comma)
		die("--inner SRC,DST expected, not '%s'", s);
	*comma = 0;
	ip = &f->inner[f->n_inner++];
	parse_addr(copy, &ip->src, "inner source");
	parse_addr(comma + 1, &ip->dst, "inner destination");
	if (ip->src.sa.sa_family != ip->dst.sa.sa_family)
		die("inner addresses of different families");
	free(copy);
}

/* --classes: the weights of the classes not named become 0. */
static void parse_classes(const char *list)
{
	unsigned int keep[C_MAX] = { 0 };
	char *copy = strdup(list), *save = NULL, *tok;
	int i;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < C_MAX && strcmp(tok, class_names[i]); i++)
			;
		if (i == C_MAX)
			die("unknown class '%s'", tok);
		keep[i] = class_weights[i];
	}
	for (i = 0; i < C_MAX && !keep[i]; i++)
		;
	if (i == C_MAX)
		die("--classes: no class");
	memcpy(class_weights, keep, sizeof(keep));
	free(copy);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: espfuzz -s SRC -d DST -i SA [-i SA]... -I SRC,DST [-I SRC,DST]...\n"
		"               [-o SPI]... [-c N] [-S SEED] [-u SPORT:DPORT] [-b] [-F MIN]\n"
		"               [-r FILE] [-n [-m MTU]] [-C CLASS,...] [-t]\n"
		"SA: \"SPI [esn] [udp] [window N] [seq N] CRYPTO\", CRYPTO as espcraft's:\n"
		"    aead ALG KEY ICV_BITS | enc ALG KEY auth-trunc ALG KEY ICV_BITS\n");
}

static void parse_options(struct fuzzer *f, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "spi", required_argument, NULL, 'i' },
		{ "other-spi", required_argument, NULL, 'o' },
		{ "inner", required_argument, NULL, 'I' },
		{ "count", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'S' },
		{ "udp", required_argument, NULL, 'u' },
		{ "big", no_argument, NULL, 'b' },
		{ "frag", required_argument, NULL, 'F' },
		{ "report", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "classes", required_argument, NULL, 'C' },
		{ "trace", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool have_seed = false;
	char *colon;
	int opt, i;

	memset(f, 0, sizeof(*f));
	f->count = 100000;
	f->mtu = 1500;
	f->raw_fd = -1;
	f->udp_fd = -1;
	f->hdrincl_fd = -1;
	while ((opt = getopt_long(argc, argv, "s:d:i:o:I:c:S:u:bF:r:nm:C:th",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			parse_addr(optarg, &f->src, "source");
			f->have_src = true;
			break;
		case 'd':
			parse_addr(optarg, &f->dst, "destination");
			f->have_dst = true;
			break;
		case 'i':
			parse_sa(f, optarg);
			break;
		case 'o':
			if (f->n_other == MAX_OTHER)
				die("at most %d other SPIs", MAX_OTHER);
			f->other[f->n_other++] = parse_number(optarg, UINT32_MAX,
							      "SPI");
			break;
		case 'I':
			parse_inner(f, optarg);
			break;
		case 'c':
			f->count = parse_number(optarg, 100000000, "count");
			break;
		case 'S':
			f->seed = parse_number(optarg, UINT64_MAX, "seed");
			have_seed = true;
			break;
		case 'u':
			colon = strchr(optarg, ':');
			if (!colon)
				die("--udp SPORT:DPORT expected");
			*colon = 0;
			f->sport = parse_number(optarg, 65535, "port");
			f->dport = parse_number(colon + 1, 65535, "port");
			if (!f->dport)
				die("--udp: a destination port is needed");
			f->udp = true;
			break;
		case 'b':
			f->big = true;
			break;
		case 'F':
			f->frag_min = parse_number(optarg, 48, "fragment size");
			if (!f->frag_min || f->frag_min % 8)
				die("--frag: 8 to 48, a multiple of 8");
			break;
		case 'r':
			f->report = optarg;
			break;
		case 'n':
			f->dry_run = true;
			break;
		case 'm':
			f->mtu = parse_number(optarg, 65535, "MTU");
			break;
		case 'C':
			parse_classes(optarg);
			break;
		case 't':
			f->trace = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(1);
	}
	if (!f->n_sa)
		die("at least one --spi is needed");
	if (!f->n_inner)
		die("at least one --inner pair is needed");
	if (!f->dry_run && (!f->have_src || !f->have_dst))
		die("--src and --dst are needed");
	if (f->have_src && f->have_dst &&
	    f->src.sa.sa_family != f->dst.sa.sa_family)
		die("outer source and destination of different families");
	if (!f->frag_min) {
		class_weights[C_FRAGMENTS] = 0;
		for (i = 0; i < C_MAX && !class_weights[i]; i++)
			;
		if (i == C_MAX)
			die("no class left to send (hand-fragmented needs --frag)");
	}
	f->family = f->have_dst ? f->dst.sa.sa_family :
		    f->have_src ? f->src.sa.sa_family : AF_INET;
	for (i = 0; i < f->n_sa; i++) {
		f->has_esn |= f->sas[i].esn;
		if (f->sas[i].udp && !f->udp)
			die("SA 0x%x is udp: --udp is needed", f->sas[i].spi);
		if (sa_by_spi(f, f->sas[i].spi, f->sas[i].udp) != &f->sas[i])
			die("SPI 0x%x twice", f->sas[i].spi);
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		f->seed = ts.tv_sec * 1000003ULL ^ ts.tv_nsec ^ getpid();
	}
	rng_state = f->seed * 0x9e3779b97f4a7c15ULL | 1;
}

static void report(const struct fuzzer *f)
{
	FILE *out = stdout;
	unsigned long ours = 0;
	int i, v;

	if (f->report) {
		out = fopen(f->report, "w");
		if (!out)
			die("%s: %s", f->report, strerror(errno));
	}
	fprintf(out, "count %lu\nsent %lu\nfailed %lu\nretried %lu\n",
		f->count, f->sent, f->failed, f->retried);
	fprintf(out, "seed %llu\nfamily %d\nmtu %u\nwaits %lu\n",
		(unsigned long long)f->seed, f->family == AF_INET ? 4 : 6,
		f->mtu, f->waits);
	fprintf(out, "datagrams.raw %lu\ndatagrams.udp %lu\n",
		f->raw_datagrams, f->udp_datagrams);
	fprintf(out, "datagrams.fragmented %lu\nsize.big %lu\n",
		f->fragmented, f->big_datagrams);
	fprintf(out, "datagrams.hand_fragmented %lu\nfragments.hand %lu\n",
		f->hand_fragmented, f->hand_fragments);
	for (i = 0; i < C_MAX; i++)
		fprintf(out, "class.%s %lu\n", class_names[i], f->classes[i]);
	for (i = 0; i < f->n_sa; i++) {
		for (v = 0; v < V_SA_MAX; v++) {
			fprintf(out, "expect.0x%x.%s %llu\n", f->sas[i].spi,
				verdict_names[v],
				(unsigned long long)f->sas[i].expect[v]);
			ours += f->sas[i].expect[v];
		}
		fprintf(out, "model.0x%x.top %llu\n", f->sas[i].spi,
			(unsigned long long)f->sas[i].w.top);
	}
	fprintf(out, "expect.ours %lu\n", ours);
	for (v = V_SA_MAX; v < V_MAX; v++)
		fprintf(out, "expect.%s %lu\n", verdict_names[v], f->expect[v]);
	fprintf(out, "expect.inner.ipv4_hdr_errors %lu\n", f->inner_runts);
	if (out != stdout && fclose(out))
		die("%s: %s", f->report, strerror(errno));
	else if (out == stdout)
		fflush(out);
}

/* One CPU: one backlog queue, so that the receiver sees the order sent. */
static void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "%s: sched_setaffinity: %s\n", prog,
			strerror(errno));
}

int main(int argc, char **argv)
{
	static uint8_t buf[BUF_SIZE];
	static struct fuzzer f;
	struct pkt p = { .buf = buf };
	unsigned long i;

	parse_options(&f, argc, argv);
	if (!f.dry_run) {
		pin_cpu();
		f.mtu = path_mtu(&f);
		f.raw_fd = open_socket(&f, SOCK_RAW, 0);
		if (f.frag_min)
			f.hdrincl_fd = open_hdrincl(&f);
		if (f.udp)
			f.udp_fd = open_socket(&f, SOCK_DGRAM, f.sport);
	}
	for (i = 0; i < f.count; i++) {
		p.buf = buf;
		fuzz_one(&f, &p);
	}
	report(&f);
	if (f.raw_fd >= 0)
		close(f.raw_fd);
	if (f.udp_fd >= 0)
		close(f.udp_fd);
	if (f.hdrincl_fd >= 0)
		close(f.hdrincl_fd);
	return 0;
}
