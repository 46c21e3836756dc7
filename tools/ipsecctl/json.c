// SPDX-License-Identifier: GPL-2.0
/*
 * A small streaming JSON writer for the -json output: objects, arrays,
 * strings (escaped as RFC 8259 requires), integers, booleans and bytes in
 * hex, compact or pretty-printed with four spaces per level.
 */

#include <assert.h>
#include <inttypes.h>

#include "json.h"

void json_init(struct json_writer *jw, FILE *out, bool pretty)
{
	jw->out = out;
	jw->pretty = pretty;
	jw->depth = 0;
}

static void put_string(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			putc(c, out);
	}
	putc('"', out);
}

static void newline(struct json_writer *jw)
{
	if (jw->pretty)
		fprintf(jw->out, "\n%*s", (int)(4 * jw->depth), "");
}

/* Starts a value: the separator from its predecessor, then its key. */
static void begin_value(struct json_writer *jw, const char *key)
{
	if (jw->depth) {
		if (jw->has_members[jw->depth - 1])
			putc(',', jw->out);
		jw->has_members[jw->depth - 1] = true;
		newline(jw);
	}
	if (key) {
		put_string(jw->out, key);
		fputs(jw->pretty ? ": " : ":", jw->out);
	}
}

/* Ends a value; the top-level one ends the line. */
static void end_value(struct json_writer *jw)
{
	if (!jw->depth)
		putc('\n', jw->out);
}

static void open_container(struct json_writer *jw, const char *key, char c)
{
	begin_value(jw, key);
	putc(c, jw->out);
	assert(jw->depth < JSON_MAX_DEPTH);
	jw->has_members[jw->depth++] = false;
}

static void close_container(struct json_writer *jw, char c)
{
	assert(jw->depth > 0);
	if (jw->has_members[--jw->depth])
		newline(jw);
	putc(c, jw->out);
	end_value(jw);
}

void json_object_open(struct json_writer *jw, const char *key)
{
	open_container(jw, key, '{');
}

void json_object_close(struct json_writer *jw)
{
	close_container(jw, '}');
}

void json_array_open(struct json_writer *jw, const char *key)
{
	open_container(jw, key, '[');
}

void json_array_close(struct json_writer *jw)
{
	close_container(jw, ']');
}

void json_string(struct json_writer *jw, const char *key, const char *value)
{
	begin_value(jw, key);
	put_string(jw->out, value);
	end_value(jw);
}

void json_uint(struct json_writer *jw, const char *key, uint64_t value)
{
	begin_value(jw, key);
	fprintf(jw->out, "%" PRIu64, value);
	end_value(jw);
}

void json_int(struct json_writer *jw, const char *key, int64_t value)
{
	begin_value(jw, key);
	fprintf(jw->out, "%" PRId64, value);
	end_value(jw);
}

void json_bool(struct json_writer *jw, const char *key, bool value)
{
	begin_value(jw, key);
	fputs(value ? "true" : "false", jw->out);
	end_value(jw);
}

/* Bytes as a string of "0x" and two hex digits per byte. */
void json_hex(struct json_writer *jw, const char *key, const void *buf,
	      size_t len)
{
	const unsigned char *bytes = buf;
	size_t i;

	begin_value(jw, key);
	fputs("\"0x", jw->out);
	for (i = 0; i < len; i++)
		fprintf(jw->out, "%02x", bytes[i]);
	putc('"', jw->out);
	end_value(jw);
}
