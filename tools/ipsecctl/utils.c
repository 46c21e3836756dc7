// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the objects: argument parsers (numbers, addresses),
 * tables of names, formatting of addresses, interfaces and counters, the
 * frame of show output, usage errors, keyword dispatch (with "help") and
 * the splitting of batch lines into arguments.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecctl.h"
#include "utils.h"

/*
 * Decimal, or hexadecimal after "0x", up to @max; no sign, no octal, nothing
 * after.
 */
static const char *parse_uint(const char *arg, uint64_t max, uint64_t *val)
{
	const char *digits = "0123456789";
	unsigned long long num;
	int base = 10;

	if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) {
		digits = "0123456789abcdefABCDEF";
		base = 16;
		arg += 2;
	}
	if (!*arg || arg[strspn(arg, digits)])
		return "not a number";
	errno = 0;
	num = strtoull(arg, NULL, base);
	if (errno == ERANGE || num > max)
		return "out of range";
	*val = num;
	return NULL;
}

const char *parse_u8(const char *arg, uint8_t *val)
{
	uint64_t num;
	const char *why = parse_uint(arg, UINT8_MAX, &num);

	if (!why)
		*val = num;
	return why;
}

const char *parse_u16(const char *arg, uint16_t *val)
{
	uint64_t num;
	const char *why = parse_uint(arg, UINT16_MAX, &num);

	if (!why)
		*val = num;
	return why;
}

const char *parse_u32(const char *arg, uint32_t *val)
{
	uint64_t num;
	const char *why = parse_uint(arg, UINT32_MAX, &num);

	if (!why)
		*val = num;
	return why;
}

const char *parse_u64(const char *arg, uint64_t *val)
{
	return parse_uint(arg, UINT64_MAX, val);
}

/* As parse_uint(), after an optional '-': INT32_MIN to INT32_MAX. */
const char *parse_s32(const char *arg, int32_t *val)
{
	bool negative = arg[0] == '-';
	uint64_t num;
	const char *why;

	why = parse_uint(arg + negative,
			 negative ? (uint64_t)INT32_MAX + 1 : INT32_MAX, &num);
	if (!why)
		*val = negative ? (int32_t)-(int64_t)num : (int32_t)num;
	return why;
}

const char *parse_addr(const char *arg, struct ip_addr *addr)
{
	if (inet_pton(AF_INET, arg, &addr->v4) == 1)
		addr->family = AF_INET;
	else if (inet_pton(AF_INET6, arg, &addr->v6) == 1)
		addr->family = AF_INET6;
	else
		return "not an IPv4 or IPv6 address";
	return NULL;
}

size_t ip_addr_len(const struct ip_addr *addr)
{
	return addr->family == AF_INET ? sizeof(addr->v4) : sizeof(addr->v6);
}

/* @buf should have INET6_ADDRSTRLEN bytes. */
const char *format_addr(const struct ip_addr *addr, char *buf, size_t len)
{
	return inet_ntop(addr->family, addr->bytes, buf, len);
}

/*
 * The name of the interface @ifindex, or "ifINDEX" (as ip(8) shows one it
 * cannot name); @buf should have IF_NAMESIZE bytes.
 */
const char *format_ifindex(uint32_t ifindex, char *buf)
{
	if (!ifindex || !if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

/* " NAME N" for each number of @nums that @names knows. */
void print_u64s_text(const char *const *names, size_t count,
		     const struct u64s *nums)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (names[i] && nums->present & BIT(i))
			printf(" %s %" PRIu64, names[i], nums->value[i]);
}

/* An object @key of the numbers of @nums that @names knows. */
void print_u64s_json(struct json_writer *jw, const char *key,
		     const char *const *names, size_t count,
		     const struct u64s *nums)
{
	size_t i;

	json_object_open(jw, key);
	for (i = 0; i < count; i++)
		if (names[i] && nums->present & BIT(i))
			json_uint(jw, names[i], nums->value[i]);
	json_object_close(jw);
}

/* Returns the index of @name in @names, or -1. */
int find_name(const char *const *names, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (names[i] && !strcmp(name, names[i]))
			return i;
	return -1;
}

/* Returns the name of @index, or "unknown" for a value we do not know. */
const char *name_of(const char *const *names, size_t count, size_t index)
{
	return index < count && names[index] ? names[index] : "unknown";
}

/* JSON output is one array, even for one object or none. */
void show_list_open(struct json_writer *jw)
{
	json_init(jw, stdout, ipsecctl_opts.pretty);
	if (ipsecctl_opts.json)
		json_array_open(jw, NULL);
}

void show_list_close(struct json_writer *jw)
{
	if (ipsecctl_opts.json)
		json_array_close(jw);
}

/* Where usage errors go instead of stderr, while captured. */
static char *capture_buf;
static size_t capture_len;

/*
 * From now on, usage_error() writes its message (without the usage) to
 * @buf, of @len bytes, instead of printing it: for the parsers of the
 * objects when a configuration file, not the command line, is wrong. NULL
 * prints them again.
 */
void usage_error_capture(char *buf, size_t len)
{
	capture_buf = buf;
	capture_len = len;
	if (buf && len)
		buf[0] = '\0';
}

/* The words of the command being run ("sa add"), for its usage errors. */
static char command[64];

/* A new command starts: run_command() records its words from now on. */
void command_reset(void)
{
	command[0] = '\0';
}

static void command_add(const char *word)
{
	size_t len = strlen(command);

	snprintf(command + len, sizeof(command) - len, "%s%s", len ? " " : "",
		 word);
}

/*
 * Prints why the command line is wrong, after the command ("ipsecctl: sa
 * add: ..."), then @usage; returns EXIT_USAGE.
 */
int usage_error(usage_fn usage, const char *fmt, ...)
{
	va_list ap;

	if (capture_buf) {
		va_start(ap, fmt);
		vsnprintf(capture_buf, capture_len, fmt, ap);
		va_end(ap);
		return EXIT_USAGE;
	}
	fputs("ipsecctl: ", stderr);
	if (command[0])
		fprintf(stderr, "%s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return EXIT_USAGE;
}

/* Parses a 32-bit number, or fails with a usage error naming @what. */
int parse_u32_arg(usage_fn usage, const char *what, const char *arg,
		  uint32_t *val)
{
	const char *why = parse_u32(arg, val);

	if (why)
		return usage_error(usage, "invalid %s \"%s\": %s", what, arg,
				   why);
	return 0;
}

int check_ifname(usage_fn usage, const char *name)
{
	if (!*name || strlen(name) >= IFNAMSIZ)
		return usage_error(usage,
				   "invalid NAME \"%s\": must have 1 to %d characters",
				   name, IFNAMSIZ - 1);
	return 0;
}

/* Rejects anything after the first @max arguments. */
int check_no_more(usage_fn usage, int argc, char **argv, int max)
{
	if (argc > max)
		return usage_error(usage, "unexpected argument \"%s\"",
				   argv[max]);
	return 0;
}

/*
 * Runs the command named by argv[0] (argc > 0) with the arguments after it;
 * "help" prints @usage.
 */
int run_command(const struct command *commands, size_t count,
		const char *what, usage_fn usage, int argc, char **argv)
{
	size_t i;
	int ret;

	if (!strcmp(argv[0], "help")) {
		ret = check_no_more(usage, argc - 1, argv + 1, 0);
		if (!ret)
			usage(stdout);
		return ret;
	}
	for (i = 0; i < count; i++) {
		if (!strcmp(argv[0], commands[i].name)) {
			command_add(commands[i].name);
			return commands[i].run(argc - 1, argv + 1);
		}
	}
	return usage_error(usage, "unknown %s \"%s\"", what, argv[0]);
}

/*
 * Copies one argument from *in to *out, unquoting it, and advances both;
 * fails with -EINVAL on an unterminated quote.
 */
static int copy_arg(char **in, char **out)
{
	char *src = *in, *dst = *out;

	while (*src && !isspace((unsigned char)*src)) {
		char quote = *src;

		if (quote != '\'' && quote != '"') {
			*dst++ = *src++;
			continue;
		}
		for (src++; *src && *src != quote; )
			*dst++ = *src++;
		if (!*src)
			return -EINVAL;
		src++;
	}
	*in = src;
	*out = dst;
	return 0;
}

/*
 * Splits @line in place into arguments, as a shell would: whitespace
 * separates them, '...' and "..." quote (so '' is an empty argument), and a
 * '#' starting an argument comments out the rest of the line. Unquoting
 * never lengthens an argument, so each is written over the text it came
 * from, and @argv needs room for strlen(@line) / 2 + 1 of them. Returns
 * their number, or -EINVAL for an unterminated quote.
 */
int split_args(char *line, char **argv)
{
	char *in = line, *out = line;
	int argc = 0;

	for (;;) {
		bool more;

		while (isspace((unsigned char)*in))
			in++;
		if (!*in || *in == '#')
			return argc;
		argv[argc++] = out;
		if (copy_arg(&in, &out))
			return -EINVAL;
		more = *in;
		*out++ = '\0';
		if (!more)
			return argc;
		in++;
	}
}

/*
 * Writes @word as one argument that split_args() reads back: as it is if
 * it is plain, else in single quotes (double quotes if it has a single
 * quote).
 */
void print_arg(FILE *out, const char *word)
{
	const char *plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.,:+-=@%/";

	if (*word && word[strspn(word, plain)] == '\0') {
		fputs(word, out);
		return;
	}
	if (strchr(word, '\''))
		fprintf(out, "\"%s\"", word);
	else
		fprintf(out, "'%s'", word);
}

volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * For the long-running commands (monitor, xfrm-sync): SIGINT and SIGTERM
 * set stop_requested. They are blocked but while waiting in ppoll() with
 * *@wait_mask, so none is lost between two waits. A reader that goes away
 * is a failed write (EPIPE), not a SIGPIPE that would kill us.
 */
void stop_signals_catch(sigset_t *old_mask, sigset_t *wait_mask)
{
	struct sigaction action = { .sa_handler = on_stop_signal };
	sigset_t block;

	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, old_mask);
	*wait_mask = *old_mask;
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
}

/* As before stop_signals_catch(), for the lines of a batch after it. */
void stop_signals_release(const sigset_t *old_mask)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	stop_requested = 0;
}
