/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPSECCTL_JSON_H
#define IPSECCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	8

/*
 * Writes one JSON value to a stream as it goes. Members of an object take a
 * key; elements of an array, and the top-level value, take NULL.
 */
struct json_writer {
	FILE *out;
	bool pretty;
	unsigned int depth;
	bool has_members[JSON_MAX_DEPTH];
};

void json_init(struct json_writer *jw, FILE *out, bool pretty);
void json_object_open(struct json_writer *jw, const char *key);
void json_object_close(struct json_writer *jw);
void json_array_open(struct json_writer *jw, const char *key);
void json_array_close(struct json_writer *jw);
void json_string(struct json_writer *jw, const char *key, const char *value);
void json_uint(struct json_writer *jw, const char *key, uint64_t value);
void json_int(struct json_writer *jw, const char *key, int64_t value);
void json_bool(struct json_writer *jw, const char *key, bool value);
void json_hex(struct json_writer *jw, const char *key, const void *buf,
	      size_t len);

#endif /* IPSECCTL_JSON_H */
