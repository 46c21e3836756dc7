// SPDX-License-Identifier: GPL-2.0
/*
 * aeadbench: how many bytes per second the kernel's crypto API seals (or
 * opens) with one ESP AEAD, through AF_ALG: the "AEAD ceiling" column of
 * make bench. One process per CPU (-j), each pinned to its CPU, each
 * encrypting (or decrypting) LEN-byte buffers for SECONDS; prints the sum.
 *
 *   aeadbench [-d] [-j JOBS] [-l LEN] [-s SECONDS] ALG KEYBYTES ICVBYTES
 *
 * ALG is an AEAD as ESP uses it: rfc4106(gcm(aes)) and
 * rfc7539esp(chacha20,poly1305) (8-byte IV, carried at the end of the
 * associated data as ESP does), or authenc(HASH,CBC) with a 16-byte IV; the
 * associated data is an ESP header (SPI and sequence number). KEYBYTES
 * random key bytes; for authenc the key is the kernel's rtattr-framed
 * authentication key + encryption key blob, built here from -a and -e
 * (authenc(digest_null,ecb(cipher_null)) with -a 0 -e 0 is the null
 * reference).
 *
 * Output, one line: "aeadbench ALG DIR LEN JOBS BYTES_PER_SECOND OPS".
 * AF_ALG adds two system calls and a copy per buffer, so this is a lower
 * bound of what the crypto API alone can do.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_alg.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define ESP_HDR 8
#define MAX_LEN 65536

struct bench {
	const char *alg;
	unsigned char key[512];
	unsigned int keylen;
	unsigned int icv;
	unsigned int ivlen;
	unsigned int assoclen;	/* ESP header, and for rfc4106/7539esp the IV */
	unsigned int len;
	int decrypt;
	double seconds;
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill_random(unsigned char *p, size_t n)
{
	while (n--)
		*p++ = rand();
}

/* authenc's key: an rtattr carrying the encryption key length, then the
 * authentication key, then the encryption key.
 */
static unsigned int authenc_key(unsigned char *key, unsigned int alen,
				unsigned int elen)
{
	struct rtattr *rta = (struct rtattr *)key;
	uint32_t be = htobe32(elen);

	rta->rta_type = 1;	/* CRYPTO_AUTHENC_KEYA_PARAM */
	rta->rta_len = RTA_LENGTH(sizeof(be));
	memcpy(RTA_DATA(rta), &be, sizeof(be));
	fill_random(key + RTA_SPACE(sizeof(be)), alen + elen);
	return RTA_SPACE(sizeof(be)) + alen + elen;
}

static int op_socket(const struct bench *b)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead" };
	int tfm, op;

	if (strlen(b->alg) >= sizeof(sa.salg_name)) {
		fprintf(stderr, "aeadbench: algorithm name too long\n");
		exit(1);
	}
	strcpy((char *)sa.salg_name, b->alg);
	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		die("socket(AF_ALG)");
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(b->alg);
	if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, b->key, b->keylen) < 0)
		die("ALG_SET_KEY");
	if (setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, b->icv) < 0)
		die("ALG_SET_AEAD_AUTHSIZE");
	op = accept(tfm, NULL, 0);
	if (op < 0)
		die("accept(AF_ALG)");
	return op;
}

/* One operation: IN (assoc || text [|| icv]) of INLEN bytes into OUT, whose
 * OUTLEN must be the result's exact length: algif_aead goes on reading
 * (and waits for the next request) while the buffer has room.
 */
static ssize_t one_op(int op, const struct bench *b, int decrypt,
		      const unsigned char *iv, unsigned char *in, size_t inlen,
		      unsigned char *out, size_t outlen)
{
	char cbuf[CMSG_SPACE(sizeof(uint32_t)) * 2 +
		  CMSG_SPACE(sizeof(struct af_alg_iv) + 16)] = { 0 };
	struct iovec iov = { .iov_base = in, .iov_len = inlen };
	struct msghdr msg = {
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct af_alg_iv *aiv;
	struct cmsghdr *c;

	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	*(uint32_t *)CMSG_DATA(c) = decrypt ? ALG_OP_DECRYPT : ALG_OP_ENCRYPT;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	*(uint32_t *)CMSG_DATA(c) = b->assoclen;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(*aiv) + b->ivlen);
	aiv = (struct af_alg_iv *)CMSG_DATA(c);
	aiv->ivlen = b->ivlen;
	memcpy(aiv->iv, iv, b->ivlen);
	msg.msg_controllen = (char *)c - cbuf + CMSG_SPACE(sizeof(*aiv) + b->ivlen);

	if (sendmsg(op, &msg, 0) < 0)
		die("sendmsg(AF_ALG)");
	return read(op, out, outlen);
}

/* Runs in one child: ops per second for SECONDS, into *ops. */
static void worker(const struct bench *b, int cpu, unsigned long *ops)
{
	static unsigned char in[MAX_LEN + 64], out[MAX_LEN + 64];
	unsigned char iv[16];
	size_t plain = b->assoclen + b->len, sealed = plain + b->icv;
	unsigned long n = 0;
	double end;
	cpu_set_t set;
	int op;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	op = op_socket(b);
	fill_random(iv, sizeof(iv));
	fill_random(in, plain);
	/* rfc4106 and rfc7539esp take the IV again at the end of the AAD. */
	if (b->assoclen > ESP_HDR)
		memcpy(in + ESP_HDR, iv, b->ivlen);
	if (b->decrypt) {
		/* Something that authenticates, to open again and again. */
		if (one_op(op, b, 0, iv, in, plain, out, sealed) != (ssize_t)sealed)
			die("seal");
		memcpy(in, out, sealed);
	}
	end = now() + b->seconds;
	do {
		ssize_t want = b->decrypt ? (ssize_t)plain : (ssize_t)sealed;
		ssize_t got = one_op(op, b, b->decrypt, iv, in,
				     b->decrypt ? sealed : plain,
				     out, want);

		if (got != want) {
			fprintf(stderr, "aeadbench: %s returned %zd of %zd: %s\n",
				b->decrypt ? "open" : "seal", got, want,
				got < 0 ? strerror(errno) : "short");
			exit(1);
		}
		n++;
	} while ((n & 15) || now() < end);
	*ops = n;
	exit(0);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: aeadbench [-d] [-j JOBS] [-l LEN] [-s SECONDS] ALG KEYBYTES ICVBYTES\n"
		"       aeadbench [-d] [-j JOBS] [-l LEN] [-s SECONDS] -a AUTHKEYBYTES -e ENCKEYBYTES\n"
		"                 'authenc(HASH,CBC)' 0 ICVBYTES\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b = { .len = 1400, .seconds = 3 };
	unsigned int alen = 0, elen = 0;
	unsigned long *ops, total = 0;
	double start, elapsed;
	int jobs = 1, opt, i, status, ok = 1;

	while ((opt = getopt(argc, argv, "dj:l:s:a:e:")) != -1) {
		switch (opt) {
		case 'd': b.decrypt = 1; break;
		case 'j': jobs = atoi(optarg); break;
		case 'l': b.len = atoi(optarg); break;
		case 's': b.seconds = atof(optarg); break;
		case 'a': alen = atoi(optarg); break;
		case 'e': elen = atoi(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 3 || jobs < 1 || jobs > 64 || !b.len ||
	    b.len > MAX_LEN || b.seconds <= 0)
		usage();
	b.alg = argv[optind];
	b.icv = atoi(argv[optind + 2]);
	srand(getpid());
	if (!strncmp(b.alg, "authenc(", 8)) {
		if (alen + elen > sizeof(b.key) - 16)
			usage();
		b.keylen = authenc_key(b.key, alen, elen);
		/* ecb(cipher_null), the null reference, takes no IV. */
		b.ivlen = strstr(b.alg, "cipher_null") ? 0 : 16;
		b.assoclen = ESP_HDR;
		/* CBC: whole blocks. */
		b.len = (b.len + 15) & ~15u;
	} else {
		b.keylen = atoi(argv[optind + 1]);
		if (!b.keylen || b.keylen > sizeof(b.key))
			usage();
		fill_random(b.key, b.keylen);
		b.ivlen = 8;
		b.assoclen = ESP_HDR + b.ivlen;
	}

	ops = mmap(NULL, jobs * sizeof(*ops), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ops == MAP_FAILED)
		die("mmap");
	start = now();
	for (i = 0; i < jobs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid)
			worker(&b, i % sysconf(_SC_NPROCESSORS_ONLN), &ops[i]);
	}
	for (i = 0; i < jobs; i++) {
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			ok = 0;
	}
	elapsed = now() - start;
	if (!ok)
		return 1;
	for (i = 0; i < jobs; i++)
		total += ops[i];
	printf("aeadbench %s %s %u %d %.0f %lu\n", b.alg,
	       b.decrypt ? "decrypt" : "encrypt", b.len, jobs,
	       total * (double)b.len / elapsed, total);
	return 0;
}
