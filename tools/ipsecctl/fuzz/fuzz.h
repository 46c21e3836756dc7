/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pieces of the argv fuzzer share: the harness (fuzz_argv.c),
 * ipsecctl.c with its main() renamed (ipsecctl_shim.c) and the fake kernel
 * behind the netlink sockets (fake_nl.c).
 */
#ifndef IPSECCTL_FUZZ_H
#define IPSECCTL_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ipsecctl_shim.c: ipsecctl's own main(), and the state it keeps. */
int ipsecctl_main(int argc, char **argv);
void ipsecctl_reset(void);

/*
 * fuzz_argv.c: whether ipsecctl runs (the wrapped libc calls act only
 * then), and the real stderr, for the harness's own messages.
 */
extern bool fuzz_active;
extern FILE *fuzz_log;

/* Reports a bug that the fake kernel caught, and aborts: a crash. */
void fuzz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/*
 * fake_nl.c: the kernel's behaviour for one run, from two bytes of the
 * input (see fake_nl.c for their bits); the error that a flush of stdout
 * fails with (0: none); how many fake sockets are open; and freeing those
 * left open.
 */
void fake_nl_setup(uint8_t kernel, uint8_t env);
int fake_nl_stdout_error(void);
unsigned int fake_nl_open_sockets(void);
void fake_nl_teardown(void);

#endif /* IPSECCTL_FUZZ_H */
