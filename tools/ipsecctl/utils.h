/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPSECCTL_UTILS_H
#define IPSECCTL_UTILS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <netinet/in.h>

#include "json.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1U << (n))

/* An IPv4 or IPv6 address; family is 0 for none. */
struct ip_addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	};
};

/*
 * The u64 attributes of a nest (counters, or SA lifetime limits), indexed
 * by attribute type; types above U64S_MAX are not read.
 */
#define U64S_MAX	15

struct u64s {
	unsigned int present;	/* BIT(attribute type) */
	uint64_t value[U64S_MAX + 1];
};

/* A keyword and the function that runs the rest of the command line. */
struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

typedef void (*usage_fn)(FILE *out);

/* utils.c: parsers, returning NULL or why @arg is not valid */
const char *parse_u8(const char *arg, uint8_t *val);
const char *parse_u16(const char *arg, uint16_t *val);
const char *parse_u32(const char *arg, uint32_t *val);
const char *parse_u64(const char *arg, uint64_t *val);
const char *parse_s32(const char *arg, int32_t *val);
const char *parse_addr(const char *arg, struct ip_addr *addr);

/* utils.c: tables of names indexed by value, with NULL holes */
int find_name(const char *const *names, size_t count, const char *name);
const char *name_of(const char *const *names, size_t count, size_t index);

/* utils.c: formatting */
size_t ip_addr_len(const struct ip_addr *addr);
const char *format_addr(const struct ip_addr *addr, char *buf, size_t len);
const char *format_ifindex(uint32_t ifindex, char *buf);
void print_u64s_text(const char *const *names, size_t count,
		     const struct u64s *nums);
void print_u64s_json(struct json_writer *jw, const char *key,
		     const char *const *names, size_t count,
		     const struct u64s *nums);

/* utils.c: show output, one JSON array with -json */
void show_list_open(struct json_writer *jw);
void show_list_close(struct json_writer *jw);

/* utils.c: command lines */
void command_reset(void);
int usage_error(usage_fn usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void usage_error_capture(char *buf, size_t len);
int parse_u32_arg(usage_fn usage, const char *what, const char *arg,
		  uint32_t *val);
int check_ifname(usage_fn usage, const char *name);
int check_no_more(usage_fn usage, int argc, char **argv, int max);
int run_command(const struct command *commands, size_t count,
		const char *what, usage_fn usage, int argc, char **argv);
int split_args(char *line, char **argv);
void print_arg(FILE *out, const char *word);

/* Set by SIGINT or SIGTERM between the two calls below. */
extern volatile sig_atomic_t stop_requested;
void stop_signals_catch(sigset_t *old_mask, sigset_t *wait_mask);
void stop_signals_release(const sigset_t *old_mask);

#endif /* IPSECCTL_UTILS_H */
