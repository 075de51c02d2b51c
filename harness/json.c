/* json.c - the tiny JSON writer (see json.h). */
#include "json.h"

#include <inttypes.h>
#include <math.h>

void json_init(struct json *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->need_comma[0] = false;
	w->after_key = false;
}

/* Separator before a value or key at the current level. */
static void sep(struct json *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		fputc(',', w->f);
	w->need_comma[w->depth] = true;
}

static void open(struct json *w, char c)
{
	sep(w);
	fputc(c, w->f);
	if (w->depth < JSON_MAX_DEPTH - 1)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_(struct json *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	fputc(c, w->f);
}

void json_begin_object(struct json *w) { open(w, '{'); }
void json_end_object(struct json *w) { close_(w, '}'); }
void json_begin_array(struct json *w) { open(w, '['); }
void json_end_array(struct json *w) { close_(w, ']'); }

static void raw_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void json_key(struct json *w, const char *key)
{
	sep(w);
	raw_str(w->f, key);
	fputc(':', w->f);
	w->after_key = true;
}

void json_str(struct json *w, const char *s)
{
	sep(w);
	raw_str(w->f, s ? s : "");
}

void json_u64(struct json *w, uint64_t v)
{
	sep(w);
	fprintf(w->f, "%" PRIu64, v);
}

void json_i64(struct json *w, int64_t v)
{
	sep(w);
	fprintf(w->f, "%" PRId64, v);
}

void json_double(struct json *w, double v)
{
	sep(w);
	if (isfinite(v))
		fprintf(w->f, "%.6g", v);
	else
		fputs("null", w->f);
}

void json_bool(struct json *w, bool v)
{
	sep(w);
	fputs(v ? "true" : "false", w->f);
}

void json_null(struct json *w)
{
	sep(w);
	fputs("null", w->f);
}

void json_hex(struct json *w, uint64_t v)
{
	sep(w);
	fprintf(w->f, "\"0x%" PRIx64 "\"", v);
}

void json_bytes(struct json *w, const uint8_t *p, unsigned n)
{
	sep(w);
	fputc('"', w->f);
	for (unsigned i = 0; i < n; i++)
		fprintf(w->f, "%02x", p[i]);
	fputc('"', w->f);
}
