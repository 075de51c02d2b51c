/*
 * json.h - a tiny streaming JSON writer for rax-diff's --json report.
 *
 * Commas and nesting are tracked here, so callers only say what comes
 * next: json_key(w, "steps"); json_u64(w, 12); ...
 */
#ifndef RAX_HARNESS_JSON_H
#define RAX_HARNESS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *w, FILE *f);
void json_begin_object(struct json *w);
void json_end_object(struct json *w);
void json_begin_array(struct json *w);
void json_end_array(struct json *w);
void json_key(struct json *w, const char *key);
void json_str(struct json *w, const char *s);
void json_u64(struct json *w, uint64_t v);
void json_i64(struct json *w, int64_t v);
void json_double(struct json *w, double v);
void json_bool(struct json *w, bool v);
void json_null(struct json *w);
/* A 64-bit value as a "0x..." string (JSON numbers lose precision above 2^53). */
void json_hex(struct json *w, uint64_t v);
/* Bytes as a string of hex pairs, "0f05..." */
void json_bytes(struct json *w, const uint8_t *p, unsigned n);

#endif
