// SPDX-License-Identifier: GPL-2.0
/*
 * udpencap: what an IKE daemon does with its NAT-T port, for the selftests.
 * Binds a UDP socket to PORT on every address (IPv4, or IPv6 with -6), sets
 * UDP_ENCAP_ESPINUDP on it (unless -n) so that the kernel takes the ESP that
 * arrives there, and prints each datagram that the socket itself receives
 * as one line of hex, flushed. Says "udpencap: bound to port PORT" on stderr
 * once the socket is ready.
 *
 * usage: udpencap [-6] [-n] [-c COUNT] [-t SECONDS] PORT
 *   -6          IPv6 (IPV6_V6ONLY), instead of IPv4
 *   -n          a plain socket: no UDP_ENCAP
 *   -c COUNT    exit after COUNT datagrams (default: never)
 *   -t SECONDS  exit after SECONDS (default 60)
 * Exit status: 0 after COUNT datagrams or, without -c, at the timeout; 2 at
 * the timeout before COUNT datagrams; 1 on errors.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: udpencap [-6] [-n] [-c COUNT] [-t SECONDS] PORT\n");
	exit(1);
}

static unsigned long number(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || *s == '-' || v > max)
		usage();
	return v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	unsigned long count = 0, seconds = 60, got = 0;
	int opt, fd, v6 = 0, plain = 0, one = 1;
	static unsigned char buf[65536];
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	long long deadline;
	unsigned int port;

	while ((opt = getopt(argc, argv, "6nc:t:")) != -1) {
		switch (opt) {
		case '6':
			v6 = 1;
			break;
		case 'n':
			plain = 1;
			break;
		case 'c':
			count = number(optarg, 1000000);
			break;
		case 't':
			seconds = number(optarg, 86400);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	port = number(argv[optind], 65535);

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpencap: socket");
		return 1;
	}
	if (v6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) {
			perror("udpencap: IPV6_V6ONLY");
			return 1;
		}
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		sin6.sin6_addr = in6addr_any;
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6))) {
			perror("udpencap: bind");
			return 1;
		}
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			perror("udpencap: bind");
			return 1;
		}
	}
	if (!plain) {
		int type = UDP_ENCAP_ESPINUDP;

		if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type))) {
			perror("udpencap: UDP_ENCAP");
			return 1;
		}
	}
	fprintf(stderr, "udpencap: bound to port %u\n", port);
	fflush(stderr);

	deadline = now_ms() + seconds * 1000LL;
	while (!count || got < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t len, i;
		int ret;

		if (left <= 0)
			return count ? 2 : 0;
		ret = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (ret < 0 && errno != EINTR) {
			perror("udpencap: poll");
			return 1;
		}
		if (ret <= 0)
			continue;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("udpencap: recv");
			return 1;
		}
		for (i = 0; i < len; i++)
			printf("%02x", buf[i]);
		putchar('\n');
		fflush(stdout);
		got++;
	}
	return 0;
}
