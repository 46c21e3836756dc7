// SPDX-License-Identifier: GPL-2.0
/*
 * espcraft: builds ESP tunnel-mode or transport-mode packets (RFC 4303) in
 * userspace, with OpenSSL's libcrypto, and sends them through a raw socket;
 * the kernel adds the outer IPv4/IPv6 header (and the IPv6 extension headers
 * asked for). Mutations make packets that are wrong in one precise way, most
 * of them with a valid ICV, for the bad-input selftests.
 *
 * usage: espcraft [OPTION]... CRYPTO
 *        espcraft --plain [OPTION]... [CRYPTO]
 *
 *   -s, --src ADDR        outer source, IPv4 or IPv6 (the socket binds to it)
 *   -d, --dst ADDR        outer destination, same family
 *   -i, --spi SPI         SPI (decimal or 0x hex); required
 *   -q, --seq SEQ         64-bit sequence number of the first packet
 *                         (default 1); the ESP header carries its low half
 *   -e, --esn             extended sequence numbers: the high half enters the
 *                         ICV (AEAD: AAD = SPI || seq_hi || seq_lo, RFC 4106;
 *                         enc + auth: appended to the ICV input, RFC 4303
 *                         2.2.1)
 *   -c, --count N         N packets, numbered SEQ, SEQ + 1, ... (default 1)
 *   -r, --repeat N        send each packet N times, byte for byte (default 1)
 *   -S, --inner-src ADDR  the inner packet: an ICMP (IPv4, next header 4) or
 *   -D, --inner-dst ADDR  ICMPv6 (IPv6, next header 41) echo request
 *   -p, --payload N       echo payload bytes (default 56)
 *   -I, --icmp-id N       echo identifier (default 0x4553); the echo sequence
 *                         number is the low 16 bits of the ESP one
 *   -n, --no-inner        no inner packet: padding and trailer only (next
 *                         header 4 unless --next-header says otherwise)
 *   -t, --transport       transport mode: ESP carries an upper-layer packet,
 *                         not an inner IP packet: an ICMP echo request (next
 *                         header 1) over IPv4, an ICMPv6 one (next header 58)
 *                         over IPv6, its checksum over the pseudo-header of
 *                         SRC and DST; needs -s and -d (also with -x), no -S
 *                         or -D; -p and -I apply
 *   --hbh                 IPv6: a Hop-by-Hop Options header precedes ESP
 *                         (8 bytes: one PadN option), added by the kernel
 *                         (IPV6_HOPOPTS on the socket)
 *   --dstopts             IPv6: a Destination Options header precedes ESP
 *                         (16 bytes: an option of the experimental type 0x1e
 *                         of RFC 4727, which a receiver skips, and a PadN),
 *                         added by the kernel (IPV6_DSTOPTS); after the
 *                         Hop-by-Hop header when both are asked for
 *   --plain               no ESP: send the upper-layer packet of --transport
 *                         (implied) as it is, through a raw ICMP or ICMPv6
 *                         socket, with --hbh and --dstopts as asked: the
 *                         plaintext that a policy would protect. Neither
 *                         --spi nor CRYPTO is needed, no mutation applies;
 *                         the kernel fills in the ICMPv6 checksum itself
 *   -x, --hex             print each ESP packet (from the SPI on; with
 *                         --plain, the ICMP packet) in hex instead of sending
 *                         it; extension headers are not part of it
 *
 * Mutations:
 *   --flip-ct BIT         flip bit BIT of the ciphertext (what follows the IV
 *                         and precedes the ICV) after the ICV was computed;
 *                         bit 0 is the most significant bit of its first byte
 *   --flip-icv BIT        the same in the ICV
 *   --truncate N          cut N bytes off the end of the finished packet
 *   --pad-len N           write N into the pad length byte, then compute a
 *                         valid ICV (integrity passes, the trailer is wrong)
 *   --bad-padding         padding bytes other than 1, 2, 3, ... (at least one
 *                         pad byte is added), valid ICV
 *   --next-header N       write N into the next header byte, valid ICV
 *
 * CRYPTO, exactly as "ip xfrm state" takes it (KEY: 0xHEX, or a string):
 *   aead 'rfc4106(gcm(aes))' KEY ICV_BITS               KEY ends with the
 *   aead 'rfc7539esp(chacha20,poly1305)' KEY ICV_BITS   4-byte salt
 *   enc 'cbc(aes)'|'ecb(cipher_null)' KEY
 *       auth-trunc 'hmac(sha1|sha256|sha384|sha512)' KEY ICV_BITS
 *
 * The IV is derived from the sequence number: the explicit 8 bytes of GCM
 * and ChaCha20-Poly1305 are the number itself (unique per SA, as required;
 * the nonce is salt || IV), the 16 bytes of CBC an AES encryption of it.
 * Exit status: 0 when every packet was sent, 1 on a usage or send error.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define ESP_HDR_LEN	8
#define MAX_KEY		64
#define MAX_IV		16
#define MAX_ICV		64
#define MAX_PACKET	4096
#define IPPROTO_IPIP_NH	4
#define IPPROTO_IPV6_NH	41

enum crypto_kind { CRYPTO_GCM, CRYPTO_CHACHA, CRYPTO_AUTHENC };

struct crypto {
	enum crypto_kind kind;
	const EVP_CIPHER *cipher;	/* NULL: the null cipher */
	const EVP_MD *md;		/* authenc only */
	uint8_t key[MAX_KEY];
	size_t key_len;
	uint8_t salt[4];		/* AEAD only */
	uint8_t auth_key[MAX_KEY * 2];
	size_t auth_key_len;
	size_t icv_len;
	size_t iv_len;
	size_t align;			/* the ciphertext's length is a multiple */
};

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct options {
	union addr src, dst, inner_src, inner_dst;
	bool have_src, have_dst, have_inner_src, have_inner_dst;
	uint32_t spi;
	bool have_spi;
	uint64_t seq;
	bool esn;
	unsigned long count, repeat;
	unsigned long payload;
	uint16_t icmp_id;
	bool no_inner;
	bool transport;
	bool hbh, dstopts;		/* IPv6 extension headers before ESP */
	bool plain;			/* no ESP: the upper-layer packet */
	bool hex;
	long flip_ct, flip_icv;		/* -1: none */
	unsigned long truncate;
	int pad_len;			/* -1: as computed */
	bool bad_padding;
	int next_header;		/* -1: from the inner packet */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: espcraft -s SRC -d DST -i SPI [-q SEQ] [-e] [-c N] [-r N]\n"
		"                (-S INNER_SRC -D INNER_DST | -t | -n) [-p N] [-I ID]\n"
		"                [--hbh] [--dstopts] [-x]\n"
		"                [--flip-ct BIT] [--flip-icv BIT] [--truncate N]\n"
		"                [--pad-len N] [--bad-padding] [--next-header N]\n"
		"                CRYPTO\n"
		"       espcraft --plain -s SRC -d DST [-q SEQ] [-c N] [-r N] [-p N]\n"
		"                [-I ID] [--hbh] [--dstopts] [-x] [CRYPTO]\n"
		"CRYPTO: aead ALG KEY ICV_BITS |\n"
		"        enc ALG KEY auth-trunc ALG KEY ICV_BITS   (as ip xfrm state)\n");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "espcraft: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
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
	if (inet_pton(AF_INET, s, &a->v4.sin_addr) == 1) {
		a->v4.sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, s, &a->v6.sin6_addr) == 1) {
		a->v6.sin6_family = AF_INET6;
	} else {
		die("invalid %s address '%s'", what, s);
	}
}

/* A key as ip xfrm takes it: 0x and hex digits, or the string's bytes. */
static size_t parse_key(const char *s, uint8_t *key, size_t max)
{
	size_t len, i;

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

static const EVP_CIPHER *aes_cipher(size_t key_len, bool gcm)
{
	switch (key_len) {
	case 16:
		return gcm ? EVP_aes_128_gcm() : EVP_aes_128_cbc();
	case 24:
		return gcm ? EVP_aes_192_gcm() : EVP_aes_192_cbc();
	case 32:
		return gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc();
	}
	die("AES key of %zu bytes: 16, 24 or 32 expected", key_len);
}

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
		c->cipher = aes_cipher(c->key_len, true);
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
		c->cipher = aes_cipher(c->key_len, false);
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

static void parse_crypto(struct crypto *c, int argc, char **argv)
{
	memset(c, 0, sizeof(*c));
	if (argc == 4 && !strcmp(argv[0], "aead"))
		parse_aead(c, argv + 1);
	else if (argc == 7 && !strcmp(argv[0], "enc"))
		parse_authenc(c, argv + 1);
	else {
		usage(stderr);
		exit(1);
	}
}

enum {
	OPT_FLIP_CT = 256,
	OPT_FLIP_ICV,
	OPT_TRUNCATE,
	OPT_PAD_LEN,
	OPT_BAD_PADDING,
	OPT_NEXT_HEADER,
	OPT_HBH,
	OPT_DSTOPTS,
	OPT_PLAIN,
};

static void parse_options(struct options *o, struct crypto *c, int argc,
			  char **argv)
{
	static const struct option longopts[] = {
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "spi", required_argument, NULL, 'i' },
		{ "seq", required_argument, NULL, 'q' },
		{ "esn", no_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'c' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "inner-src", required_argument, NULL, 'S' },
		{ "inner-dst", required_argument, NULL, 'D' },
		{ "payload", required_argument, NULL, 'p' },
		{ "icmp-id", required_argument, NULL, 'I' },
		{ "no-inner", no_argument, NULL, 'n' },
		{ "transport", no_argument, NULL, 't' },
		{ "hbh", no_argument, NULL, OPT_HBH },
		{ "dstopts", no_argument, NULL, OPT_DSTOPTS },
		{ "plain", no_argument, NULL, OPT_PLAIN },
		{ "hex", no_argument, NULL, 'x' },
		{ "flip-ct", required_argument, NULL, OPT_FLIP_CT },
		{ "flip-icv", required_argument, NULL, OPT_FLIP_ICV },
		{ "truncate", required_argument, NULL, OPT_TRUNCATE },
		{ "pad-len", required_argument, NULL, OPT_PAD_LEN },
		{ "bad-padding", no_argument, NULL, OPT_BAD_PADDING },
		{ "next-header", required_argument, NULL, OPT_NEXT_HEADER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->seq = 1;
	o->count = 1;
	o->repeat = 1;
	o->payload = 56;
	o->icmp_id = 0x4553;
	o->flip_ct = -1;
	o->flip_icv = -1;
	o->pad_len = -1;
	o->next_header = -1;

	/* "+": stop at the first non-option, where CRYPTO begins. */
	while ((opt = getopt_long(argc, argv, "+s:d:i:q:ec:r:S:D:p:I:ntxh",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			parse_addr(optarg, &o->src, "source");
			o->have_src = true;
			break;
		case 'd':
			parse_addr(optarg, &o->dst, "destination");
			o->have_dst = true;
			break;
		case 'i':
			o->spi = parse_number(optarg, UINT32_MAX, "SPI");
			o->have_spi = true;
			break;
		case 'q':
			o->seq = parse_number(optarg, UINT64_MAX, "sequence number");
			break;
		case 'e':
			o->esn = true;
			break;
		case 'c':
			o->count = parse_number(optarg, 1000000, "count");
			break;
		case 'r':
			o->repeat = parse_number(optarg, 1000000, "repeat");
			break;
		case 'S':
			parse_addr(optarg, &o->inner_src, "inner source");
			o->have_inner_src = true;
			break;
		case 'D':
			parse_addr(optarg, &o->inner_dst, "inner destination");
			o->have_inner_dst = true;
			break;
		case 'p':
			o->payload = parse_number(optarg, 1400, "payload length");
			break;
		case 'I':
			o->icmp_id = parse_number(optarg, UINT16_MAX, "ICMP id");
			break;
		case 'n':
			o->no_inner = true;
			break;
		case 't':
			o->transport = true;
			break;
		case OPT_HBH:
			o->hbh = true;
			break;
		case OPT_DSTOPTS:
			o->dstopts = true;
			break;
		case OPT_PLAIN:
			o->plain = true;
			o->transport = true;
			break;
		case 'x':
			o->hex = true;
			break;
		case OPT_FLIP_CT:
			o->flip_ct = parse_number(optarg, MAX_PACKET * 8, "bit");
			break;
		case OPT_FLIP_ICV:
			o->flip_icv = parse_number(optarg, MAX_ICV * 8 - 1, "bit");
			break;
		case OPT_TRUNCATE:
			o->truncate = parse_number(optarg, MAX_PACKET, "length");
			break;
		case OPT_PAD_LEN:
			o->pad_len = parse_number(optarg, 255, "pad length");
			break;
		case OPT_BAD_PADDING:
			o->bad_padding = true;
			break;
		case OPT_NEXT_HEADER:
			o->next_header = parse_number(optarg, 255, "next header");
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	/* --plain encrypts nothing: CRYPTO is optional (and unused). */
	if (o->plain && optind == argc)
		memset(c, 0, sizeof(*c));
	else
		parse_crypto(c, argc - optind, argv + optind);

	if (!o->plain && (!o->have_spi || !o->spi))
		die("a non-zero --spi is required");
	if ((!o->hex || o->transport) && (!o->have_src || !o->have_dst))
		die("--src and --dst are required");
	if (o->have_src && o->have_dst && o->src.sa.sa_family != o->dst.sa.sa_family)
		die("outer source and destination of different families");
	if ((o->hbh || o->dstopts) &&
	    (!o->have_src || o->src.sa.sa_family != AF_INET6))
		die("--hbh and --dstopts need an IPv6 --src");
	if (o->plain && (o->esn || o->no_inner || o->flip_ct >= 0 ||
			 o->flip_icv >= 0 || o->truncate || o->pad_len >= 0 ||
			 o->bad_padding || o->next_header >= 0))
		die("--plain sends no ESP: no -e, -n or mutation");
	if (o->transport) {
		if (o->have_inner_src || o->have_inner_dst)
			die("--transport carries no inner packet: no -S or -D");
	} else if (!o->no_inner) {
		if (!o->have_inner_src || !o->have_inner_dst)
			die("--inner-src and --inner-dst, or --no-inner, required");
		if (o->inner_src.sa.sa_family != o->inner_dst.sa.sa_family)
			die("inner source and destination of different families");
	}
	if (o->flip_icv >= (long)(c->icv_len * 8))
		die("--flip-icv %ld: the ICV has %zu bits", o->flip_icv,
		    c->icv_len * 8);
}

/* The Internet checksum of @len bytes, continuing from @sum. */
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

/* An ICMP echo request: header, then the payload 0, 1, 2, ... */
static size_t build_echo(uint8_t *p, uint8_t type, uint16_t id, uint16_t seq,
			 size_t payload)
{
	size_t i;

	p[0] = type;
	p[1] = 0;
	put16(p + 2, 0);
	put16(p + 4, id);
	put16(p + 6, seq);
	for (i = 0; i < payload; i++)
		p[8 + i] = i;
	return 8 + payload;
}

/* An ICMP echo request from @src to @dst, or an ICMPv6 one with its
 * checksum over the pseudo-header of @src and @dst; returns its length and
 * sets its protocol.
 */
static size_t build_icmp(const struct options *o, uint64_t seq,
			 const union addr *src, const union addr *dst,
			 uint8_t *p, uint8_t *proto)
{
	uint32_t sum = 0;
	size_t len;

	if (src->sa.sa_family == AF_INET) {
		*proto = IPPROTO_ICMP;
		len = build_echo(p, 8, o->icmp_id, seq, o->payload);
	} else {
		*proto = IPPROTO_ICMPV6;
		len = build_echo(p, 128, o->icmp_id, seq, o->payload);
		/* Pseudo-header: addresses, upper-layer length, next header. */
		sum = csum_add(0, (const uint8_t *)&src->v6.sin6_addr, 16);
		sum = csum_add(sum, (const uint8_t *)&dst->v6.sin6_addr, 16);
		sum += len + IPPROTO_ICMPV6;
	}
	put16(p + 2, csum_fold(csum_add(sum, p, len)));
	return len;
}

/* Builds the inner packet (tunnel mode) or the upper-layer one (transport
 * mode); returns its length and sets its next header.
 */
static size_t build_inner(const struct options *o, uint64_t seq, uint8_t *p,
			  uint8_t *next_header)
{
	size_t icmp_len;
	uint8_t proto;

	if (o->no_inner) {
		*next_header = IPPROTO_IPIP_NH;
		return 0;
	}
	if (o->transport)
		return build_icmp(o, seq, &o->src, &o->dst, p, next_header);
	icmp_len = build_icmp(o, seq, &o->inner_src, &o->inner_dst,
			      p + (o->inner_src.sa.sa_family == AF_INET ? 20 : 40),
			      &proto);
	if (o->inner_src.sa.sa_family == AF_INET) {
		*next_header = IPPROTO_IPIP_NH;
		p[0] = 0x45;
		p[1] = 0;
		put16(p + 2, 20 + icmp_len);
		put16(p + 4, seq);
		put16(p + 6, 0x4000);		/* DF */
		p[8] = 64;
		p[9] = proto;
		put16(p + 10, 0);
		memcpy(p + 12, &o->inner_src.v4.sin_addr, 4);
		memcpy(p + 16, &o->inner_dst.v4.sin_addr, 4);
		put16(p + 10, csum_fold(csum_add(0, p, 20)));
		return 20 + icmp_len;
	}
	*next_header = IPPROTO_IPV6_NH;
	put32(p, 0x60000000);
	put16(p + 4, icmp_len);
	p[6] = proto;
	p[7] = 64;
	memcpy(p + 8, &o->inner_src.v6.sin6_addr, 16);
	memcpy(p + 24, &o->inner_dst.v6.sin6_addr, 16);
	return 40 + icmp_len;
}

/* Padding, pad length and next header after @len bytes of inner packet,
 * as the options want them; returns the plaintext's length.
 */
static size_t add_trailer(const struct options *o, const struct crypto *c,
			  uint8_t *p, size_t len, uint8_t next_header)
{
	size_t pad = (c->align - (len + 2) % c->align) % c->align;
	size_t i;

	if (o->bad_padding && !pad)
		pad = c->align;
	for (i = 0; i < pad; i++)
		p[len + i] = i + 1;
	/* Non-monotonic: the last pad byte is 0 instead of pad. */
	if (o->bad_padding)
		p[len + pad - 1] = 0;
	p[len + pad] = o->pad_len >= 0 ? o->pad_len : (int)pad;
	p[len + pad + 1] = o->next_header >= 0 ? o->next_header : next_header;
	return len + pad + 2;
}

static void crypto_fail(const char *what)
{
	die("libcrypto: %s failed", what);
}

/* AES-GCM or ChaCha20-Poly1305: nonce = salt || IV, AAD = the ESP header
 * with seq_hi between SPI and seq_lo when ESN is on (RFC 4106 5, 7634 2.1).
 */
static void seal_aead(const struct options *o, const struct crypto *c,
		      uint64_t seq, uint8_t *esp, size_t pt_len)
{
	uint8_t nonce[12], aad[12], *iv = esp + ESP_HDR_LEN;
	uint8_t *data = iv + c->iv_len;
	size_t aad_len;
	EVP_CIPHER_CTX *ctx;
	int out;

	memcpy(nonce, c->salt, 4);
	memcpy(nonce + 4, iv, 8);
	memcpy(aad, esp, 4);
	if (o->esn) {
		put32(aad + 4, seq >> 32);
		put32(aad + 8, seq);
		aad_len = 12;
	} else {
		put32(aad + 4, seq);
		aad_len = 8;
	}

	ctx = EVP_CIPHER_CTX_new();
	if (!ctx ||
	    !EVP_EncryptInit_ex(ctx, c->cipher, NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) ||
	    !EVP_EncryptInit_ex(ctx, NULL, NULL, c->key, nonce) ||
	    !EVP_EncryptUpdate(ctx, NULL, &out, aad, aad_len) ||
	    (pt_len && !EVP_EncryptUpdate(ctx, data, &out, data, pt_len)) ||
	    !EVP_EncryptFinal_ex(ctx, data + pt_len, &out) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, c->icv_len,
				 data + pt_len))
		crypto_fail("AEAD encryption");
	EVP_CIPHER_CTX_free(ctx);
}

static void aes_cbc(const struct crypto *c, const uint8_t *iv, uint8_t *data,
		    size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int out;

	if (!ctx ||
	    !EVP_EncryptInit_ex(ctx, c->cipher, NULL, c->key, iv) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_EncryptUpdate(ctx, data, &out, data, len) ||
	    !EVP_EncryptFinal_ex(ctx, data + out, &out))
		crypto_fail("AES-CBC encryption");
	EVP_CIPHER_CTX_free(ctx);
}

/* Encrypt, then HMAC over SPI, seq_lo, IV and ciphertext, with seq_hi
 * appended when ESN is on (RFC 4303 2.2.1), truncated to the ICV length.
 */
static void seal_authenc(const struct options *o, const struct crypto *c,
			 uint64_t seq, uint8_t *esp, size_t pt_len)
{
	uint8_t *iv = esp + ESP_HDR_LEN, *data = iv + c->iv_len;
	size_t covered = ESP_HDR_LEN + c->iv_len + pt_len;
	uint8_t input[MAX_PACKET + 4], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len;

	if (c->cipher)
		aes_cbc(c, iv, data, pt_len);
	memcpy(input, esp, covered);
	if (o->esn) {
		put32(input + covered, seq >> 32);
		covered += 4;
	}
	if (!HMAC(c->md, c->auth_key, c->auth_key_len, input, covered, mac,
		  &mac_len))
		crypto_fail("HMAC");
	memcpy(data + pt_len, mac, c->icv_len);
}

/* A CBC IV nobody can predict without the key: AES_K(seq). */
static void cbc_iv(const struct crypto *c, uint64_t seq, uint8_t *iv)
{
	static const uint8_t zero[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int out;

	memset(iv, 0, 16);
	put64(iv + 8, seq);
	if (!ctx ||
	    !EVP_EncryptInit_ex(ctx, c->cipher, NULL, c->key, zero) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_EncryptUpdate(ctx, iv, &out, iv, 16))
		crypto_fail("CBC IV generation");
	EVP_CIPHER_CTX_free(ctx);
}

static void flip_bit(uint8_t *p, long bit)
{
	p[bit / 8] ^= 0x80 >> (bit % 8);
}

/* Builds packet number @seq, from the ESP header on; returns its length. */
static size_t build_esp(const struct options *o, const struct crypto *c,
			uint64_t seq, uint8_t *esp)
{
	uint8_t *iv = esp + ESP_HDR_LEN, *data = iv + c->iv_len;
	uint8_t next_header;
	size_t inner_len, pt_len, len;

	put32(esp, o->spi);
	put32(esp + 4, seq);
	if (c->kind == CRYPTO_AUTHENC) {
		if (c->cipher)
			cbc_iv(c, seq, iv);
	} else {
		put64(iv, seq);
	}
	inner_len = build_inner(o, seq, data, &next_header);
	pt_len = add_trailer(o, c, data, inner_len, next_header);
	if (c->kind == CRYPTO_AUTHENC)
		seal_authenc(o, c, seq, esp, pt_len);
	else
		seal_aead(o, c, seq, esp, pt_len);
	len = ESP_HDR_LEN + c->iv_len + pt_len + c->icv_len;

	if (o->flip_ct >= 0) {
		if ((size_t)o->flip_ct >= pt_len * 8)
			die("--flip-ct %ld: the ciphertext has %zu bits",
			    o->flip_ct, pt_len * 8);
		flip_bit(data, o->flip_ct);
	}
	if (o->flip_icv >= 0)
		flip_bit(data + pt_len, o->flip_icv);
	if (o->truncate > len)
		die("--truncate %lu: the packet has %zu bytes", o->truncate,
		    len);
	return len - o->truncate;
}

/* The IPv6 extension headers asked for, as sticky options of the socket:
 * the kernel puts them between the IPv6 header and what it sends, and
 * fills in their next header fields.
 */
static void set_ext_headers(int fd, const struct options *o)
{
	/* Next header, length 0 (8 bytes), PadN of 4 zero bytes. */
	static const uint8_t hbh[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
	/* Next header, length 1 (16 bytes); option 0x1e (act 00: skip it if
	 * unknown, chg 0) with 10 bytes of data; PadN of 0 bytes.
	 */
	static const uint8_t dstopts[16] = {
		0, 1, 0x1e, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 0
	};

	if (o->hbh &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_HOPOPTS, hbh, sizeof(hbh)))
		die("IPV6_HOPOPTS: %s", strerror(errno));
	if (o->dstopts &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, dstopts, sizeof(dstopts)))
		die("IPV6_DSTOPTS: %s", strerror(errno));
}

static int open_socket(const struct options *o)
{
	socklen_t len = o->src.sa.sa_family == AF_INET ? sizeof(o->src.v4) :
							 sizeof(o->src.v6);
	int proto = IPPROTO_ESP, fd;

	if (o->plain)
		proto = o->src.sa.sa_family == AF_INET ? IPPROTO_ICMP :
							 IPPROTO_ICMPV6;
	fd = socket(o->src.sa.sa_family, SOCK_RAW, proto);
	if (fd < 0)
		die("raw socket: %s", strerror(errno));
	if (bind(fd, &o->src.sa, len))
		die("bind: %s", strerror(errno));
	set_ext_headers(fd, o);
	return fd;
}

static void send_packet(int fd, const struct options *o, const uint8_t *p,
			size_t len)
{
	socklen_t dst_len = o->dst.sa.sa_family == AF_INET ?
			    sizeof(o->dst.v4) : sizeof(o->dst.v6);
	ssize_t sent = sendto(fd, p, len, 0, &o->dst.sa, dst_len);

	if (sent < 0)
		die("sendto: %s", strerror(errno));
	if ((size_t)sent != len)
		die("sendto: sent %zd of %zu bytes", sent, len);
}

static void print_hex(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

int main(int argc, char **argv)
{
	static uint8_t packet[MAX_PACKET];
	struct options o;
	struct crypto c;
	unsigned long i, j;
	uint8_t proto;
	size_t len;
	int fd = -1;

	parse_options(&o, &c, argc, argv);
	if (!o.hex)
		fd = open_socket(&o);
	for (i = 0; i < o.count; i++) {
		if (o.plain)
			len = build_inner(&o, o.seq + i, packet, &proto);
		else
			len = build_esp(&o, &c, o.seq + i, packet);
		for (j = 0; j < o.repeat; j++) {
			if (o.hex)
				print_hex(packet, len);
			else
				send_packet(fd, &o, packet, len);
		}
	}
	if (fd >= 0)
		close(fd);
	return 0;
}
