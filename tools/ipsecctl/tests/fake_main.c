// SPDX-License-Identifier: GPL-2.0
/*
 * fakeshow: ipsecctl against the fake kernel of the fuzzer (fuzz/fake_nl.c,
 * through fuzz/fuzz_argv.c), for host tests of its output: "fakeshow -j sa
 * show" prints what "ipsecctl -j sa show" prints when the kernel has the
 * fake's canned objects (every member, most values). The kernel behaves
 * normally: no errors, no warnings (the two bytes of a fuzz input are 0).
 * No netlink socket is opened and nothing reaches a kernel. Its exit status
 * is 0 whatever ipsecctl's: a test looks at what it prints on stderr.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	uint8_t *input;
	size_t size = 2, len;
	int i;

	for (i = 1; i < argc; i++)
		size += strlen(argv[i]) + 1;
	input = calloc(1, size);
	if (!input) {
		fputs("fakeshow: out of memory\n", stderr);
		return 1;
	}
	/* The input: the kernel's two bytes, the arguments NUL-separated. */
	size = 2;
	for (i = 1; i < argc; i++) {
		len = strlen(argv[i]);
		memcpy(input + size, argv[i], len + 1);
		size += len + 1;
	}
	/* ipsecctl's stdout and stderr stay: its output is what is tested. */
	setenv("IPSECCTL_FUZZ_VERBOSE", "1", 1);
	LLVMFuzzerInitialize(&argc, &argv);
	LLVMFuzzerTestOneInput(input, size);
	free(input);
	return 0;
}
