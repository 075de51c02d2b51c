/*
 * test_decode_zydis.c - the interpreter's decoder checked against Zydis.
 *
 * Two independent decoders see the same bytes in 64-bit mode: ours
 * (emu_decode_level at RAX_CPU_LEVEL_MAX) and Zydis 4 (long mode, 64-bit
 * stack, AMD branch behaviour: the modelled CPU is AMD). They must agree on
 * the verdict (decodes, #UD, longer than 15 bytes) and, where both decode, on
 * the length. The inputs are
 *   - a sweep: every opcode of the one-byte, 0F, 0F38, 0F3A, VEX, EVEX and
 *     XOP maps under 23 prefix combinations (none, 66, F2, F3, REX, REX.W,
 *     67, segment, LOCK, pairs, a REX that does not count, 12 prefixes) and
 *     16 ModRM/SIB/displacement forms, each with every ModRM.reg;
 *   - a VEX sweep (sweep_vex): every opcode of VEX maps 1-3 under each
 *     VEX.pp, L and W, the same ModRM forms and ModRM.reg, two VEX.vvvv
 *     values, varied R/X/B, in the 3- and (where it can be) 2-byte forms,
 *     and VEX behind each kind of legacy prefix;
 *   - random 15-byte strings: $RAX_ZYDIS_RANDOM of them (default 8000000;
 *     1000000 where $RAX_UNIT_CASES is set, as in the sanitizer build)
 *     from seed $RAX_ZYDIS_SEED (default fixed): half of them start with
 *     random prefixes and a 0F/0F38/0F3A escape, a quarter with a random
 *     VEX prefix (maps 1-3 mostly).
 * Every disagreement must match a category of tests/decode_disagreements.json
 * (first match wins); an unlisted one fails the test (the first few are
 * printed with their bytes), and so does a category that no longer matches
 * anything (a stale entry). Counts per category are printed.
 */
#include <Zydis/Zydis.h>
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "emu/decode.h"
#include "unit.h"

#ifndef RAX_DECODE_DISAGREEMENTS
#define RAX_DECODE_DISAGREEMENTS "tests/decode_disagreements.json"
#endif

enum verdict { V_OK, V_UD, V_LONG };
static const char *const verdict_name[] = { "ok", "ud", "long" };

/* ---- the data file: a few lines of JSON, read by a small reader ---- */

#define MAX_CATS 64
#define MAX_ALTS 16
#define MAX_TERMS 12

struct term {
	char key[12];
	unsigned lo, hi; /* numeric range, or a code for symbolic values */
};

struct category {
	char name[64];
	unsigned nalt;
	unsigned nterm[MAX_ALTS];
	struct term terms[MAX_ALTS][MAX_TERMS];
	unsigned long hits_sweep, hits_random;
	unsigned long alt_hits[MAX_ALTS]; /* per alternative (one that takes nothing is reported) */
	uint8_t example[15];
	enum verdict ex_ours, ex_zy;
	unsigned ex_lo, ex_lz;
};

static struct category cats[MAX_CATS];
static unsigned ncats;

static const char *json_ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

/* A JSON string at p (after whitespace) into out; returns the end or NULL. */
static const char *json_str(const char *p, char *out, size_t n)
{
	p = json_ws(p);
	if (*p != '"')
		return NULL;
	size_t k = 0;
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (k + 1 < n)
			out[k++] = *p;
	}
	out[k] = 0;
	return *p == '"' ? p + 1 : NULL;
}

/* Skips one JSON value (string, number, literal, array or object). */
static const char *json_skip(const char *p)
{
	char tmp[8];
	p = json_ws(p);
	if (*p == '"')
		return json_str(p, tmp, sizeof tmp);
	if (*p == '[' || *p == '{') {
		int depth = 0;
		for (; *p; p++) {
			if (*p == '"') {
				p = json_str(p, tmp, sizeof tmp);
				if (!p)
					return NULL;
				p--;
			} else if (*p == '[' || *p == '{') {
				depth++;
			} else if ((*p == ']' || *p == '}') && --depth == 0) {
				return p + 1;
			}
		}
		return NULL;
	}
	while (*p && *p != ',' && *p != '}' && *p != ']')
		p++;
	return p;
}

static const char *const map_names[] = { "1b", "0f", "0f38", "0f3a", "vex", "evex", "xop", "3dnow", NULL };
static const char *const pfx_names[] = { "np", "66", "f3", "f2", NULL };
static const char *const has_names[] = { "66", "67", "f2", "f3", "lock", "rex", "rexw", "seg", NULL };

static int sym(const char *const *names, const char *v)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], v))
			return i;
	return -1;
}

/* One match term, "key=value" or "key=lo-hi" (hex for op, decimal else). */
static bool parse_term(const char *s, struct term *t)
{
	const char *eq = strchr(s, '=');
	size_t kl = eq ? (size_t)(eq - s) : strlen(s);
	if (kl >= sizeof t->key)
		return false;
	memcpy(t->key, s, kl);
	t->key[kl] = 0;
	t->lo = t->hi = 0;
	if (!eq)
		return !strcmp(t->key, "len"); /* lengths differ, both decode */
	const char *v = eq + 1;
	int x = -1;
	if (!strcmp(t->key, "map"))
		x = sym(map_names, v);
	else if (!strcmp(t->key, "pfx"))
		x = sym(pfx_names, v);
	else if (!strcmp(t->key, "has") || !strcmp(t->key, "not"))
		x = sym(has_names, v);
	else if (!strcmp(t->key, "ours") || !strcmp(t->key, "zydis"))
		x = sym(verdict_name, v);
	else if (!strcmp(t->key, "mod") && !strcmp(v, "mem"))
		x = 4;
	if (x >= 0) {
		t->lo = t->hi = (unsigned)x;
		return true;
	}
	int base = !strcmp(t->key, "op") || !strcmp(t->key, "imm") ? 16 : 10;
	char *end;
	t->lo = t->hi = (unsigned)strtoul(v, &end, base);
	if (end == v)
		return false;
	if (*end == '-')
		t->hi = (unsigned)strtoul(end + 1, &end, base);
	return *end == 0 &&
		(!strcmp(t->key, "op") || !strcmp(t->key, "imm") || !strcmp(t->key, "mod") || !strcmp(t->key, "reg") ||
		 !strcmp(t->key, "rm") || !strcmp(t->key, "npfx") || !strcmp(t->key, "vmap") || !strcmp(t->key, "l") ||
		 !strcmp(t->key, "w") || !strcmp(t->key, "vvvv"));
}

static bool parse_alt(struct category *c, const char *s)
{
	if (c->nalt == MAX_ALTS)
		return false;
	unsigned a = c->nalt++, n = 0;
	char buf[256], *save = NULL;
	snprintf(buf, sizeof buf, "%s", s);
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (n == MAX_TERMS || !parse_term(tok, &c->terms[a][n])) {
			fprintf(stderr, "category %s: bad match term '%s'\n", c->name, tok);
			return false;
		}
		n++;
	}
	c->nterm[a] = n;
	return true;
}

/* { "categories": [ { "name": "...", "match": ["..."], "reason": "..." }, ... ], ... } */
static bool load_categories(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return false;
	}
	static char text[1 << 17];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	const char *p = strstr(text, "\"categories\"");
	if (!p || !(p = strchr(p, '[')))
		return false;
	p = json_ws(p + 1);
	while (*p == '{') {
		if (ncats == MAX_CATS)
			return false;
		struct category *c = &cats[ncats++];
		p = json_ws(p + 1);
		while (*p == '"') {
			char key[32];
			p = json_str(p, key, sizeof key);
			p = p ? json_ws(p) : NULL;
			if (!p || *p != ':')
				return false;
			p = json_ws(p + 1);
			if (!strcmp(key, "name")) {
				p = json_str(p, c->name, sizeof c->name);
			} else if (!strcmp(key, "match") && *p == '[') {
				p = json_ws(p + 1);
				while (p && *p == '"') {
					char alt[256];
					p = json_str(p, alt, sizeof alt);
					if (!p || !parse_alt(c, alt))
						return false;
					p = json_ws(p);
					if (*p == ',')
						p = json_ws(p + 1);
				}
				if (!p || *p != ']')
					return false;
				p++;
			} else {
				p = json_skip(p);
			}
			if (!p)
				return false;
			p = json_ws(p);
			if (*p == ',')
				p = json_ws(p + 1);
		}
		if (*p != '}' || !c->name[0] || !c->nalt)
			return false;
		p = json_ws(p + 1);
		if (*p == ',')
			p = json_ws(p + 1);
	}
	return *p == ']';
}

/* ---- what a byte string looks like, for matching ---- */

struct shape {
	unsigned map, op, pfx, npfx, modrm, imm;
	unsigned vmap, vl, vw, vvvv; /* VEX: map (mmmmm; 1 for C5), L, W, vvvv (as a register number) */
	bool has[8];
};

static void shape_of(const uint8_t *bytes, struct shape *s)
{
	uint8_t b[32] = { 0 }; /* the opcode's bytes may run past the 15 */
	memcpy(b, bytes, 15);
	memset(s, 0, sizeof *s);
	unsigned i = 0, last = 0, rex = 0;
	for (; i < 15; i++) {
		uint8_t x = b[i];
		if (x == 0x66 || x == 0x67 || x == 0xf0 || x == 0xf2 || x == 0xf3 || x == 0x26 || x == 0x2e ||
		    x == 0x36 || x == 0x3e || x == 0x64 || x == 0x65) {
			s->has[x == 0x66           ? 0
				       : x == 0x67 ? 1
				       : x == 0xf2 ? 2
				       : x == 0xf3 ? 3
				       : x == 0xf0 ? 4
						   : 7] = true;
			if (x == 0xf2 || x == 0xf3)
				last = x;
			rex = 0; /* a REX before a legacy prefix is ignored */
			s->npfx++;
		} else if ((x & 0xf0) == 0x40) {
			rex = x;
			s->npfx++;
		} else {
			break;
		}
	}
	s->has[5] = rex != 0;
	s->has[6] = (rex & 8) != 0;
	s->pfx = last == 0xf3 ? 2 : last == 0xf2 ? 3 : s->has[0] ? 1 : 0;
	const uint8_t *o = b + (i < 15 ? i : 14);
	if (o[0] == 0xc4 || o[0] == 0xc5) {
		uint8_t last = o[0] == 0xc5 ? o[1] : o[2]; /* W/R vvvv L pp */
		s->map = 4;
		s->op = o[0] == 0xc5 ? o[2] : o[3];
		s->modrm = o[0] == 0xc5 ? o[3] : o[4];
		s->vmap = o[0] == 0xc5 ? 1 : o[1] & 0x1f;
		s->vw = o[0] == 0xc5 ? 0 : last >> 7;
		s->vl = (last >> 2) & 1;
		s->vvvv = (~last >> 3) & 15;
		s->pfx = last & 3; /* VEX.pp: np 66 f3 f2 */
	} else if (o[0] == 0x62) {
		s->map = 5;
		s->op = o[4];
		s->modrm = o[5];
	} else if (o[0] == 0x8f && (o[1] & 0x38)) {
		s->map = 6;
		s->op = o[3];
		s->modrm = o[4];
	} else if (o[0] == 0x0f && o[1] == 0x0f) {
		s->map = 7;
		s->op = o[1];
		s->modrm = o[2];
	} else if (o[0] == 0x0f && (o[1] == 0x38 || o[1] == 0x3a)) {
		s->map = o[1] == 0x38 ? 2 : 3;
		s->op = o[2];
		s->modrm = o[3];
	} else if (o[0] == 0x0f) {
		s->map = 1;
		s->op = o[1];
		s->modrm = o[2];
	} else {
		s->map = 0;
		s->op = o[0];
		s->modrm = o[1];
	}
}

static bool term_holds(const struct term *t, const struct shape *s, enum verdict vo, enum verdict vz, unsigned lo,
		       unsigned lz)
{
	unsigned mod = s->modrm >> 6, v;
	if (!strcmp(t->key, "map"))
		return s->map == t->lo;
	if (!strcmp(t->key, "op"))
		return s->op >= t->lo && s->op <= t->hi;
	if (!strcmp(t->key, "pfx"))
		return s->pfx == t->lo;
	if (!strcmp(t->key, "has"))
		return s->has[t->lo];
	if (!strcmp(t->key, "not"))
		return !s->has[t->lo];
	if (!strcmp(t->key, "mod"))
		return t->lo == 4 ? mod != 3 : mod >= t->lo && mod <= t->hi;
	if (!strcmp(t->key, "reg"))
		return (v = (s->modrm >> 3) & 7) >= t->lo && v <= t->hi;
	if (!strcmp(t->key, "rm"))
		return (v = s->modrm & 7) >= t->lo && v <= t->hi;
	if (!strcmp(t->key, "npfx"))
		return s->npfx >= t->lo && s->npfx <= t->hi;
	if (!strcmp(t->key, "vmap"))
		return s->map == 4 && s->vmap >= t->lo && s->vmap <= t->hi;
	if (!strcmp(t->key, "l"))
		return s->map == 4 && s->vl == t->lo;
	if (!strcmp(t->key, "w"))
		return s->map == 4 && s->vw == t->lo;
	if (!strcmp(t->key, "vvvv"))
		return s->map == 4 && s->vvvv >= t->lo && s->vvvv <= t->hi;
	if (!strcmp(t->key, "ours"))
		return vo == t->lo;
	if (!strcmp(t->key, "zydis"))
		return vz == t->lo;
	if (!strcmp(t->key, "len"))
		return vo == V_OK && vz == V_OK && lo != lz;
	return false;
}

static int classify(const uint8_t *b, enum verdict vo, enum verdict vz, unsigned lo, unsigned lz)
{
	struct shape s;
	shape_of(b, &s);
	for (unsigned c = 0; c < ncats; c++)
		for (unsigned a = 0; a < cats[c].nalt; a++) {
			bool all = true;
			for (unsigned k = 0; k < cats[c].nterm[a] && all; k++)
				all = term_holds(&cats[c].terms[a][k], &s, vo, vz, lo, lz);
			if (all) {
				cats[c].alt_hits[a]++;
				return (int)c;
			}
		}
	return -1;
}

/* ---- the comparison ---- */

static ZydisDecoder zy;
static unsigned long ncompared, nagree, nunlisted;

/* Unlisted disagreements grouped by map/opcode/prefix/ModRM form, so a new
 * cause shows as one line however many inputs it hits. */
struct cluster {
	unsigned key;
	unsigned long n;
	uint8_t b[15];
	enum verdict vo, vz;
	unsigned lo, lz;
};
#define MAX_CLUSTERS 4096
static struct cluster clusters[MAX_CLUSTERS];
static unsigned nclusters;

static void print_case(const char *what, const uint8_t *b, enum verdict vo, enum verdict vz, unsigned lo, unsigned lz)
{
	fprintf(stderr, "  %s:", what);
	for (int i = 0; i < 15; i++)
		fprintf(stderr, " %02x", b[i]);
	fprintf(stderr, "  ours=%s", verdict_name[vo]);
	if (vo == V_OK)
		fprintf(stderr, "/%u", lo);
	fprintf(stderr, " zydis=%s", verdict_name[vz]);
	if (vz == V_OK)
		fprintf(stderr, "/%u", lz);
	ZydisDecodedInstruction zi;
	if (vz == V_OK && ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&zy, NULL, b, 15, &zi)))
		fprintf(stderr, " (%s, %s)", ZydisMnemonicGetString(zi.mnemonic),
			ZydisISASetGetString(zi.meta.isa_set));
	fprintf(stderr, "\n");
}

static void compare(const uint8_t *b, bool random)
{
	struct emu_insn in;
	ZydisDecodedInstruction zi;
	enum emu_decode_status st = emu_decode_level(b, 15, EMU_MODE_64, RAX_CPU_LEVEL_MAX, &in);
	enum verdict vo = st == EMU_DEC_OK ? V_OK : st == EMU_DEC_UD ? V_UD : V_LONG;
	unsigned lo = st == EMU_DEC_OK ? in.len : 0, lz = 0;
	ZyanStatus zs = ZydisDecoderDecodeInstruction(&zy, NULL, b, 15, &zi);
	enum verdict vz = V_UD;
	if (ZYAN_SUCCESS(zs)) {
		vz = V_OK;
		lz = zi.length;
	} else if (zs == ZYDIS_STATUS_INSTRUCTION_TOO_LONG || zs == ZYDIS_STATUS_NO_MORE_DATA) {
		vz = V_LONG;
	}
	ncompared++;
	if (vo == vz && lo == lz) {
		nagree++;
		return;
	}
	int c = classify(b, vo, vz, lo, lz);
	if (c >= 0) {
		struct category *k = &cats[c];
		if (!k->hits_sweep && !k->hits_random) {
			memcpy(k->example, b, 15);
			k->ex_ours = vo;
			k->ex_zy = vz;
			k->ex_lo = lo;
			k->ex_lz = lz;
		}
		if (random)
			k->hits_random++;
		else
			k->hits_sweep++;
		return;
	}
	if (nunlisted++ < 8)
		print_case("unlisted", b, vo, vz, lo, lz);
	struct shape s;
	shape_of(b, &s);
	unsigned mod = s.modrm >> 6;
	/* (VEX: the map in bits 27-31, L and W in place of LOCK and REX.W) */
	unsigned key = (s.map == 4 ? s.vmap << 27 | s.vl << 7 | s.vw << 6 : (unsigned)s.has[4] << 7 | s.has[6] << 6) |
		s.map << 24 | s.op << 16 | s.pfx << 12 | (mod == 3) << 11 | ((s.modrm >> 3) & 7) << 8 | vo << 2 | vz;
	for (unsigned i = 0; i < nclusters; i++)
		if (clusters[i].key == key) {
			clusters[i].n++;
			return;
		}
	if (nclusters < MAX_CLUSTERS) {
		struct cluster *k = &clusters[nclusters++];
		k->key = key;
		k->n = 1;
		memcpy(k->b, b, 15);
		k->vo = vo;
		k->vz = vz;
		k->lo = lo;
		k->lz = lz;
	}
}

/* ---- inputs ---- */

static const struct {
	unsigned n;
	uint8_t b[12];
} prefix_sets[] = {
	{ 0, { 0 } },
	{ 1, { 0x66 } },
	{ 1, { 0xf2 } },
	{ 1, { 0xf3 } },
	{ 1, { 0x48 } },
	{ 1, { 0x41 } },
	{ 1, { 0x4f } },
	{ 1, { 0x67 } },
	{ 1, { 0x64 } },
	{ 1, { 0x2e } },
	{ 1, { 0xf0 } },
	{ 2, { 0x66, 0x48 } },
	{ 2, { 0x66, 0xf2 } },
	{ 2, { 0xf2, 0x66 } },
	{ 2, { 0xf3, 0x48 } },
	{ 2, { 0xf0, 0x66 } },
	{ 2, { 0xf0, 0x48 } },
	{ 2, { 0xf3, 0xf2 } },
	{ 2, { 0x48, 0x66 } }, /* REX not last: ignored */
	{ 3, { 0x67, 0x66, 0x41 } },
	{ 3, { 0x65, 0xf3, 0x4c } },
	{ 4, { 0x66, 0x66, 0x66, 0x66 } },
	/* 12 prefixes: most forms then need more than 15 bytes */
	{ 12, { 0x66, 0x2e, 0x66, 0x64, 0x67, 0x66, 0x2e, 0xf2, 0x66, 0x67, 0x64, 0xf3 } },
};

/* After the opcode: ModRM forms, each with what follows (SIB, disp); the
 * rest of the 15 bytes is a fixed filler. */
static unsigned put_modrm(uint8_t *p, unsigned form, unsigned reg)
{
	static const uint8_t tail[] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };
	unsigned n = 0;
	if (form < 8) {
		p[n++] = (uint8_t)(0xc0 | reg << 3 | form); /* register, rm = form */
	} else {
		switch (form) {
		case 8: p[n++] = (uint8_t)(reg << 3 | 0); break;                        /* [rax] */
		case 9: p[n++] = (uint8_t)(reg << 3 | 5); break;                        /* [rip+disp32] */
		case 10: p[n++] = (uint8_t)(reg << 3 | 4), p[n++] = 0x88; break;        /* SIB [rax+rcx*4] */
		case 11: p[n++] = (uint8_t)(reg << 3 | 4), p[n++] = 0x25; break;        /* SIB disp32, no base */
		case 12: p[n++] = (uint8_t)(0x40 | reg << 3 | 3), p[n++] = 0x7f; break; /* [rbx+disp8] */
		case 13: p[n++] = (uint8_t)(0x44 | reg << 3), p[n++] = 0x24; break;     /* SIB+disp8 */
		case 14: p[n++] = (uint8_t)(0x80 | reg << 3 | 6); break;                /* [rsi+disp32] */
		default: p[n++] = (uint8_t)(0x84 | reg << 3), p[n++] = 0xe5; break;     /* SIB rbp+disp32 */
		}
	}
	memcpy(p + n, tail, sizeof tail);
	return n;
}
#define NFORMS 16

static void sweep(void)
{
	static const uint8_t maps[][4] = {
		{ 0 },                      /* one-byte */
		{ 0x0f },                   /* 0F */
		{ 0x0f, 0x38 },             /* 0F38 */
		{ 0x0f, 0x3a },             /* 0F3A */
		{ 0xc5, 0xf8 },             /* VEX2 map 1, L0, no pp */
		{ 0xc4, 0xe2, 0x79 },       /* VEX3 map 2, W0, pp=66 */
		{ 0xc4, 0xe3, 0xf9 },       /* VEX3 map 3, W1, pp=66 */
		{ 0x62, 0xf1, 0x7c, 0x48 }, /* EVEX map 1, W0, no pp, 512-bit */
		{ 0x8f, 0xe8, 0x78 },       /* XOP map 8, W0 */
	};
	static const unsigned maplen[] = { 0, 1, 2, 2, 2, 3, 3, 4, 3 };
	for (unsigned ps = 0; ps < sizeof prefix_sets / sizeof prefix_sets[0]; ps++)
		for (unsigned m = 0; m < sizeof maplen / sizeof maplen[0]; m++)
			for (unsigned op = 0; op < 256; op++)
				for (unsigned form = 0; form < NFORMS; form++)
					for (unsigned reg = 0; reg < 8; reg++) {
						uint8_t b[32];
						unsigned n = prefix_sets[ps].n;
						memcpy(b, prefix_sets[ps].b, n);
						memcpy(b + n, maps[m], maplen[m]);
						n += maplen[m];
						b[n++] = (uint8_t)op;
						put_modrm(b + n, form, reg);
						compare(b, false);
					}
}

/* A VEX prefix at p: the 2-byte form (C5) where c5 and it can say it (map 1,
 * W=0, X=B=0), else the 3-byte one; rxb are the REX-style R X B bits. */
static unsigned put_vex(uint8_t *p, bool c5, unsigned map, unsigned pp, unsigned l, unsigned w, unsigned vvvv,
			unsigned rxb)
{
	uint8_t tail = (uint8_t)((~vvvv & 15) << 3 | l << 2 | pp);
	if (c5 && map == 1 && !w && !(rxb & 3)) {
		p[0] = 0xc5;
		p[1] = (uint8_t)((~rxb & 4) << 5 | tail);
		return 2;
	}
	p[0] = 0xc4;
	p[1] = (uint8_t)((~rxb & 7) << 5 | map);
	p[2] = (uint8_t)(w << 7 | tail);
	return 3;
}

/*
 * The VEX maps: every opcode of maps 1-3 (and the reserved maps 0 and 4)
 * under each VEX.pp, L and W, every ModRM form and ModRM.reg, with VEX.vvvv
 * 1111b and another value, R/X/B varied, in the 3-byte form and (map 1,
 * W=0) the 2-byte one; then VEX behind each legacy prefix (66, F2, F3,
 * LOCK and REX make it #UD; 67 and segments do not).
 */
static void sweep_vex(void)
{
	static const unsigned vvvvs[] = { 0, 9 };
	for (unsigned map = 0; map <= 4; map++)
		for (unsigned pp = 0; pp < 4; pp++)
			for (unsigned lw = 0; lw < 4; lw++)
				for (unsigned c5 = 0; c5 < 2; c5++) {
					if (c5 && (map != 1 || (lw & 2)))
						continue;
					if ((map == 0 || map == 4) && lw)
						continue;
					for (unsigned v = 0; v < 2; v++)
						for (unsigned op = 0; op < 256; op++)
							for (unsigned form = 0; form < NFORMS; form++)
								for (unsigned reg = 0; reg < 8; reg++) {
									uint8_t b[32];
									unsigned rxb = (form + reg + v) & (c5 ? 4 : 7);
									unsigned n = put_vex(b, c5, map, pp, lw & 1,
											     lw >> 1, vvvvs[v], rxb);
									b[n++] = (uint8_t)op;
									put_modrm(b + n, form, reg);
									compare(b, false);
								}
				}
	static const uint8_t legacy[] = { 0x66, 0xf2, 0xf3, 0xf0, 0x40, 0x48, 0x67, 0x2e, 0x64 };
	for (unsigned k = 0; k < sizeof legacy; k++)
		for (unsigned map = 1; map <= 3; map++)
			for (unsigned pp = 0; pp < 4; pp++)
				for (unsigned op = 0; op < 256; op++)
					for (unsigned form = 0; form < NFORMS; form += 5) {
						uint8_t b[32];
						b[0] = legacy[k];
						unsigned n = 1 + put_vex(b + 1, true, map, pp, 0, 0, 0, 0);
						b[n++] = (uint8_t)op;
						put_modrm(b + n, form, 0);
						compare(b, false);
					}
}

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
	const char *e = getenv("RAX_ZYDIS_SEED");
	rng = e && *e ? strtoull(e, NULL, 0) : 0x5eed2a7d1cafe5ull;
	if (!rng)
		rng = 1;
	uint64_t seed = rng;
	e = getenv("RAX_ZYDIS_RANDOM");
	/* the sanitizer build (ci/test.sh sets RAX_UNIT_CASES there) runs the
	 * whole sweep but fewer random strings */
	const char *lowered = getenv("RAX_UNIT_CASES");
	unsigned long nrandom = e && *e ? strtoul(e, NULL, 0) : lowered && *lowered ? 1000000ul : 8000000ul;
	const char *path = getenv("RAX_ZYDIS_DISAGREEMENTS");
	if (!path || !*path)
		path = RAX_DECODE_DISAGREEMENTS;
	bool loaded = load_categories(path);
	CHECK(loaded);
	if (!loaded)
		fprintf(stderr, "cannot read the categories of %s\n", path);

	CHECK(ZYAN_SUCCESS(ZydisDecoderInit(&zy, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)));
	CHECK(ZYAN_SUCCESS(ZydisDecoderEnableMode(&zy, ZYDIS_DECODER_MODE_AMD_BRANCHES, ZYAN_TRUE)));
	/* AMD has no MPX: 0F 1A/1B are the reserved-NOP hints there */
	CHECK(ZYAN_SUCCESS(ZydisDecoderEnableMode(&zy, ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE)));

	/* Fixed cases for decoder bugs the cross-check found. MOV to/from CR
	 * and DR ignore ModRM.mod (SDM vol. 2, MOV): no displacement, register
	 * operand (was: a memory form with disp8/disp32 and SIB). */
	static const struct {
		const char *hex;
		unsigned len;
	} fixed[] = {
		{ "0f 20 00", 3 },       { "0f 22 45 11 22", 3 }, { "0f 21 84 11 22 33 44 55", 3 },
		{ "44 0f 23 3c 11", 4 }, { "0f 20 c0", 3 },
	};
	for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		uint8_t b[16] = { 0 };
		struct emu_insn in;
		unit_hex(fixed[i].hex, b);
		CHECK_EQ(emu_decode_level(b, 15, EMU_MODE_64, RAX_CPU_LEVEL_MAX, &in), EMU_DEC_OK);
		CHECK_EQ(in.len, fixed[i].len);
		CHECK_EQ(in.mod, 3);
		CHECK_EQ(in.rm, (b[in.len - 1] & 7) | (in.rex & 1) << 3);
	}
	/* LOCK where it is not allowed is #UD, but an instruction longer than
	 * 15 bytes is #GP(0) first (SDM vol. 3, Table 6-2; was #UD). */
	static const struct {
		const char *hex;
		enum emu_decode_status st;
	} lock[] = {
		{ "f0 90", EMU_DEC_UD },
		{ "f0 01 c0", EMU_DEC_UD },
		{ "f0 2e 2e 2e 2e 2e 2e 2e 2e 0f 84 00 00 00 00", EMU_DEC_UD },       /* 15 bytes */
		{ "f0 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 0f 84 00 00 00 00", EMU_DEC_GP }, /* 17 */
		{ "f0 66 66 66 66 66 66 66 66 66 66 81 80 00 00 00 00 01 00", EMU_DEC_GP },
		{ "f0 66 66 66 66 66 66 66 66 66 66 81 00 01 00", EMU_DEC_OK }, /* lock add word [rax], 1 */
	};
	for (unsigned i = 0; i < sizeof lock / sizeof lock[0]; i++) {
		uint8_t b[32] = { 0 };
		struct emu_insn in;
		unit_hex(lock[i].hex, b);
		CHECK_EQ(emu_decode_level(b, 15, EMU_MODE_64, RAX_CPU_LEVEL_MAX, &in), lock[i].st);
	}

	double t0 = now();
	sweep();
	sweep_vex();
	unsigned long nsweep = ncompared;
	for (unsigned long i = 0; i < nrandom; i++) {
		uint8_t b[16];
		uint64_t a = next(), c = next();
		memcpy(b, &a, 8);
		memcpy(b + 8, &c, 8);
		if ((i & 3) == 2) {
			/* every fourth string: a VEX prefix (maps 1-3 mostly), then random bytes */
			uint64_t r = next();
			unsigned map = (r & 15) < 14 ? 1 + (unsigned)(r >> 4) % 3 : (unsigned)(r >> 4) & 31;
			unsigned n = (r >> 9) & 1 ? 0 : 1 + (unsigned)(r >> 10) % 2;
			static const uint8_t pfx[] = { 0x67, 0x2e, 0x64, 0x66 };
			for (unsigned k = 0; k < n; k++)
				b[k] = pfx[(r >> (12 + 2 * k)) & 3];
			n += put_vex(b + n, (r >> 16) & 1, map, (r >> 17) & 3, (r >> 19) & 1, (r >> 20) & 1,
				     (unsigned)(r >> 21) & 15, (unsigned)(r >> 25) & 7);
		} else if (i & 1) {
			/* every other string: prefixes (up to 14, so some exceed 15
			 * bytes) and an escape, then the random bytes */
			static const uint8_t pfx[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x64, 0x40, 0x48, 0x4d };
			uint64_t r = next();
			unsigned n = (r & 7) < 6 ? (unsigned)(r >> 3) % 4 : (unsigned)(r >> 3) % 15, esc;
			r >>= 8;
			for (unsigned k = 0; k < n; k++, r /= 10)
				b[k] = pfx[r % 10];
			esc = (unsigned)(next() % 4);
			if (n < 14 && esc)
				b[n] = 0x0f;
			if (n < 13 && esc > 1)
				b[n + 1] = esc == 2 ? 0x38 : 0x3a;
		}
		compare(b, true);
	}
	double t1 = now();

	printf("decode cross-check: %lu sweep + %lu random (seed 0x%llx) inputs, %lu agree, %.2f s\n", nsweep,
	       ncompared - nsweep, (unsigned long long)seed, nagree, t1 - t0);
	printf("%-28s %10s %10s  example\n", "category", "sweep", "random");
	for (unsigned c = 0; c < ncats; c++) {
		struct category *k = &cats[c];
		printf("%-28s %10lu %10lu ", k->name, k->hits_sweep, k->hits_random);
		for (int i = 0; i < 15 && (k->hits_sweep || k->hits_random); i++)
			printf(" %02x", k->example[i]);
		printf("\n");
		if (!k->hits_sweep && !k->hits_random) {
			fprintf(stderr, "stale category %s: no disagreement matches it any more\n", k->name);
			unit_fail++;
		}
		/* an alternative that took nothing in this run: reported, not a
		 * failure (some are met by random strings only) */
		for (unsigned a = 0; a < k->nalt && (k->hits_sweep || k->hits_random); a++)
			if (!k->alt_hits[a])
				fprintf(stderr, "category %s: alternative %u took no disagreement in this run\n",
					k->name, a + 1);
	}
	if (nunlisted) {
		fprintf(stderr, "%lu unlisted disagreements in %u groups (map op pfx mod reg):\n", nunlisted,
			nclusters);
		for (unsigned i = 0; i < nclusters && i < (getenv("RAX_ZYDIS_ALL") ? MAX_CLUSTERS : 40); i++) {
			char what[48];
			unsigned k = clusters[i].key;
			if (((k >> 24) & 7) == 4)
				snprintf(what, sizeof what, "vex%u %02x %-2s L%u W%u %s /%u n=%-6lu", k >> 27,
					 (k >> 16) & 0xff, pfx_names[(k >> 12) & 3], (k >> 7) & 1, (k >> 6) & 1,
					 (k >> 11) & 1 ? "r" : "m", (k >> 8) & 7, clusters[i].n);
			else
				snprintf(what, sizeof what, "%-5s %02x %-2s %s /%u n=%-6lu", map_names[(k >> 24) & 7],
					 (k >> 16) & 0xff, pfx_names[(k >> 12) & 3], (k >> 11) & 1 ? "r" : "m",
					 (k >> 8) & 7, clusters[i].n);
			print_case(what, clusters[i].b, clusters[i].vo, clusters[i].vz, clusters[i].lo, clusters[i].lz);
		}
		unit_fail++;
	}
	return unit_finish("test_decode_zydis");
}
