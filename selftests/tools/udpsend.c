// SPDX-License-Identifier: GPL-2.0
/*
 * udpsend: sends one UDP datagram whose payload is given in hex, for the
 * selftests (NAT-T keepalives, IKE packets with the non-ESP marker).
 *
 * usage: udpsend [-p SPORT] ADDR PORT HEX
 *   ADDR   IPv4 or IPv6 destination
 *   -p     source port (default: any)
 *   HEX    the payload, e.g. ff (a NAT-keepalive) or 00000000c0ffee
 * Exit status: 0 when sent, 1 otherwise.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: udpsend [-p SPORT] ADDR PORT HEX\n");
	exit(1);
}

static unsigned int port_of(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 65535)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static unsigned char payload[65507];
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} dst, src;
	unsigned int sport = 0, dport;
	size_t len, i;
	socklen_t alen;
	const char *hex;
	int opt, fd, one = 1;

	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt != 'p')
			usage();
		sport = port_of(optarg);
	}
	if (argc - optind != 3)
		usage();
	dport = port_of(argv[optind + 1]);
	hex = argv[optind + 2];
	len = strlen(hex);
	if (!len || len % 2 || len / 2 > sizeof(payload))
		usage();
	len /= 2;
	for (i = 0; i < len; i++) {
		unsigned int byte;

		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			usage();
		payload[i] = byte;
	}

	memset(&dst, 0, sizeof(dst));
	memset(&src, 0, sizeof(src));
	if (inet_pton(AF_INET, argv[optind], &dst.v4.sin_addr) == 1) {
		dst.v4.sin_family = src.v4.sin_family = AF_INET;
		dst.v4.sin_port = htons(dport);
		src.v4.sin_port = htons(sport);
		alen = sizeof(dst.v4);
	} else if (inet_pton(AF_INET6, argv[optind], &dst.v6.sin6_addr) == 1) {
		dst.v6.sin6_family = src.v6.sin6_family = AF_INET6;
		dst.v6.sin6_port = htons(dport);
		src.v6.sin6_port = htons(sport);
		alen = sizeof(dst.v6);
	} else {
		usage();
	}

	fd = socket(dst.sa.sa_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpsend: socket");
		return 1;
	}
	if (sport) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, &src.sa, alen)) {
			perror("udpsend: bind");
			return 1;
		}
	}
	if (sendto(fd, payload, len, 0, &dst.sa, alen) != (ssize_t)len) {
		perror("udpsend: sendto");
		return 1;
	}
	close(fd);
	return 0;
}
