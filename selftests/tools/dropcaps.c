// SPDX-License-Identifier: GPL-2.0
/*
 * dropcaps: runs a command without CAP_NET_ADMIN, even as root, so tests
 * can check what an unprivileged caller may do and see.
 *
 * usage: dropcaps CMD [ARG]...
 */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: dropcaps CMD [ARG]...\n");
		return 1;
	}
	/* Out of the bounding set, root's exec cannot grant it back. */
	if (prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)) {
		perror("dropcaps: prctl");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror("dropcaps: exec");
	return 127;
}
