// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for ipsecctl's command line: each input is turned into
 * an argv and run through ipsecctl's real main(), and from there the real
 * option parsing, batch mode, object dispatch, argument parsers, request
 * building and output, against a fake kernel (fake_nl.c) that the netlink
 * sockets are wrapped into at link time. Nothing reaches a kernel.
 *
 * An input is two bytes that choose how the fake kernel behaves (fake_nl.c
 * says how), then the arguments after "ipsecctl", separated by NUL bytes;
 * the first FUZZ_MAX_ARGS are used. The FILE of "-batch FILE" is read as
 * the text of the batch itself (its lines separated by '\n'), as it could
 * name anything on the host; an empty FILE cannot be opened.
 *
 * Besides the sanitizers, a run fails if ipsecctl exits with a status that
 * is not 0, 1 or 2 (its man page's EXIT STATUS), leaves a netlink socket
 * open, or sends the fake kernel a malformed request (fake_nl.c).
 *
 * ipsecctl's stdout and stderr go to /dev/null, unless the environment
 * has IPSECCTL_FUZZ_VERBOSE (to read what it says about one input).
 */

#define _GNU_SOURCE	/* fmemopen(), ppoll() */

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* The arguments after argv[0] that an input gives at most. */
#define FUZZ_MAX_ARGS	64

bool fuzz_active;
FILE *fuzz_log;

static jmp_buf exit_jmp;
static int exit_status;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ipsecctl fuzz: ", fuzz_log);
	va_start(ap, fmt);
	vfprintf(fuzz_log, fmt, ap);
	va_end(ap);
	fputc('\n', fuzz_log);
	fflush(fuzz_log);
	abort();
}

/*
 * The libc calls that ipsecctl must not make for real, wrapped with
 * -Wl,--wrap: everywhere in the link, libFuzzer's own calls too, so they
 * act only while ipsecctl runs.
 */
void __real_exit(int status) __attribute__((noreturn));
void __wrap_exit(int status) __attribute__((noreturn));
FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);
int __real_ppoll(struct pollfd *fds, nfds_t nfds,
		 const struct timespec *timeout, const sigset_t *mask);
int __wrap_ppoll(struct pollfd *fds, nfds_t nfds,
		 const struct timespec *timeout, const sigset_t *mask);
int __real_sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old);
int __wrap_sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old);
sighandler_t __real_signal(int sig, sighandler_t handler);
sighandler_t __wrap_signal(int sig, sighandler_t handler);
int __real_sigprocmask(int how, const sigset_t *set, sigset_t *old);
int __wrap_sigprocmask(int how, const sigset_t *set, sigset_t *old);
int __real_fflush(FILE *stream);
int __wrap_fflush(FILE *stream);

/* exit() ends the run, not the fuzzer: back to LLVMFuzzerTestOneInput(). */
void __wrap_exit(int status)
{
	if (fuzz_active) {
		exit_status = status;
		longjmp(exit_jmp, 1);
	}
	__real_exit(status);
}

/*
 * "-batch FILE": FILE is the batch's text. ipsecctl only reads: a write is
 * libFuzzer's, saving the input of a crash in ipsecctl.
 */
FILE *__wrap_fopen(const char *path, const char *mode)
{
	if (!fuzz_active || strcmp(mode, "r"))
		return __real_fopen(path, mode);
	if (!*path) {
		errno = ENOENT;
		return NULL;
	}
	/* Read-only: the string is never written to. */
	return fmemopen((char *)path, strlen(path), "r");
}

/* "monitor" waits for notifications: the fake socket always has some. */
int __wrap_ppoll(struct pollfd *fds, nfds_t nfds,
		 const struct timespec *timeout, const sigset_t *mask)
{
	nfds_t i;

	if (!fuzz_active)
		return __real_ppoll(fds, nfds, timeout, mask);
	for (i = 0; i < nfds; i++)
		fds[i].revents = fds[i].events & POLLIN;
	return nfds;
}

/* "monitor"'s signal handling would undo libFuzzer's: left out. */
int __wrap_sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old)
{
	if (!fuzz_active)
		return __real_sigaction(sig, act, old);
	if (old)
		memset(old, 0, sizeof(*old));
	return 0;
}

sighandler_t __wrap_signal(int sig, sighandler_t handler)
{
	if (!fuzz_active)
		return __real_signal(sig, handler);
	return SIG_DFL;
}

int __wrap_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!fuzz_active)
		return __real_sigprocmask(how, set, old);
	/* Only tells the current mask. */
	return __real_sigprocmask(SIG_BLOCK, NULL, old);
}

/* Whoever reads "monitor"'s output goes away, or the disk is full. */
int __wrap_fflush(FILE *stream)
{
	int err;

	if (fuzz_active && stream == stdout) {
		err = fake_nl_stdout_error();
		if (err) {
			errno = err;
			return EOF;
		}
	}
	return __real_fflush(stream);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log = stderr;
	if (!freopen("/dev/null", "r", stdin))
		fuzz_fail("cannot open /dev/null: %s", strerror(errno));
	if (getenv("IPSECCTL_FUZZ_VERBOSE"))
		return 0;
	/*
	 * libFuzzer and the sanitizers keep writing to file descriptor 2
	 * through their own handles; ipsecctl's stderr, a FILE, is replaced.
	 */
	if (!freopen("/dev/null", "w", stdout))
		fuzz_fail("cannot open /dev/null: %s", strerror(errno));
	stderr = fopen("/dev/null", "w");
	if (!stderr) {
		stderr = fuzz_log;
		fuzz_fail("cannot open /dev/null: %s", strerror(errno));
	}
	return 0;
}

/* Copies the NUL-separated arguments of @data to argv[1...]; returns argc. */
static int split_input(const uint8_t *data, size_t size, char **argv)
{
	size_t start = 0, i;
	int argc = 1;

	for (i = 0; i <= size && argc <= FUZZ_MAX_ARGS; i++) {
		if (i < size && data[i])
			continue;
		if (i == size && i == start)
			break;	/* no input, or a final NUL */
		argv[argc] = malloc(i - start + 1);
		if (!argv[argc])
			fuzz_fail("out of memory");
		memcpy(argv[argc], data + start, i - start);
		argv[argc][i - start] = '\0';
		argc++;
		start = i + 1;
	}
	argv[argc] = NULL;
	return argc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[] = "ipsecctl";
	char *argv[FUZZ_MAX_ARGS + 2];
	uint8_t kernel = 0, env = 0;
	volatile bool exited = false;
	unsigned int left;
	int argc, i;
	volatile int ret;

	if (size >= 2) {
		kernel = data[0];
		env = data[1];
		data += 2;
		size -= 2;
	} else {
		size = 0;
	}
	argv[0] = name;
	argc = split_input(data, size, argv);

	fake_nl_setup(kernel, env);
	fuzz_active = true;
	if (!setjmp(exit_jmp)) {
		ret = ipsecctl_main(argc, argv);
	} else {
		ret = exit_status;
		exited = true;
	}
	fuzz_active = false;
	fflush(stdout);
	fflush(stderr);

	if (ret < 0 || ret > 2)
		fuzz_fail("exit status %d: not 0, 1 or 2", ret);
	/* exit() may leave them to the kernel; a return from main() not. */
	left = fake_nl_open_sockets();
	if (left && !exited)
		fuzz_fail("%u netlink socket(s) left open at exit", left);
	ipsecctl_reset();
	fake_nl_teardown();
	for (i = 1; i < argc; i++)
		free(argv[i]);
	return 0;
}
