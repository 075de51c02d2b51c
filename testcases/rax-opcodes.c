/*
 * rax-opcodes.c - print the interpreter's one opcode table (src/emu/opcodes.def
 * and the .def files it includes) as JSON, one object per row, so that tools
 * (testcases/gen_corpus.py, tools/opcode_map.py) see exactly the rows the
 * decoder sees, including rows other people add later.
 *
 * Output: {"rows": [{"index": N, "map": M, "op": O, "reg": R, "handler": "...",
 * "mnem": "...", "operands": "...", "flags": ["M", "B", ...]}, ...]}
 * "index" is the row's position in emu_oprows (row 0 is the decoder's "(bad)"
 * row and is not printed, so the first printed row has index 1).
 */
#include <stdio.h>

#include "emu/decode.h"

#define M EMU_F_MODRM
#define B EMU_F_BYTE
#define L EMU_F_LOCK
#define I8 EMU_F_IMM8
#define I16 EMU_F_IMM16
#define IZ EMU_F_IMMZ
#define IV EMU_F_IMMV
#define I16_8 EMU_F_IMM16_8
#define MOFFS EMU_F_MOFFS
#define D64 EMU_F_D64
#define REL EMU_F_REL
#define STR EMU_F_STR
#define UNIMPL EMU_F_UNIMPL
#define NP EMU_F_NP
#define P66 EMU_F_P66
#define PF3 EMU_F_PF3
#define PF2 EMU_F_PF2
#define MEMO EMU_F_MEMO
#define REGO EMU_F_REGO
#define RMSEL EMU_F_RMSEL
#define I64 EMU_F_I64
#define PTR EMU_F_PTR

struct row {
	int map, op, reg;
	unsigned flags;
	const char *handler, *mnem, *operands;
};

static const struct row rows[] = {
#define OP(map, opc, reg, handler, mnem, operands, flags) \
	{ map, opc, reg, flags, #handler, mnem, operands },
#include "emu/opcodes.def"
#undef OP
};

static const struct {
	unsigned bit;
	const char *name;
} flag_names[] = {
	{ EMU_F_MODRM, "M" },   { EMU_F_BYTE, "B" },     { EMU_F_LOCK, "L" },     { EMU_F_IMM8, "I8" },
	{ EMU_F_IMM16, "I16" }, { EMU_F_IMMZ, "IZ" },    { EMU_F_IMMV, "IV" },    { EMU_F_IMM16_8, "I16_8" },
	{ EMU_F_MOFFS, "MOFFS" }, { EMU_F_D64, "D64" },  { EMU_F_REL, "REL" },    { EMU_F_STR, "STR" },
	{ EMU_F_UNIMPL, "UNIMPL" }, { EMU_F_NP, "NP" },  { EMU_F_P66, "P66" },    { EMU_F_PF3, "PF3" },
	{ EMU_F_PF2, "PF2" },   { EMU_F_MEMO, "MEMO" },  { EMU_F_REGO, "REGO" },  { EMU_F_RMSEL, "RMSEL" },
	{ EMU_F_I64, "I64" },   { EMU_F_PTR, "PTR" },
};

/* JSON string: the table holds plain ASCII, but escape anyway. */
static void put_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

int main(void)
{
	unsigned known = 0;
	for (size_t k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++)
		known |= flag_names[k].bit;
	printf("{\"rows\": [\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		printf("  {\"index\": %zu, \"map\": %d, \"op\": %d, \"reg\": %d, \"handler\": ", i + 1, r->map,
		       r->op, r->reg);
		put_str(r->handler);
		printf(", \"mnem\": ");
		put_str(r->mnem);
		printf(", \"operands\": ");
		put_str(r->operands);
		printf(", \"flags\": [");
		int n = 0;
		for (size_t k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++)
			if (r->flags & flag_names[k].bit)
				printf("%s\"%s\"", n++ ? ", " : "", flag_names[k].name);
		/* a flag added to decode.h but not named here still shows up */
		if (r->flags & ~known)
			printf("%s\"0x%x\"", n++ ? ", " : "", r->flags & ~known);
		printf("]}%s\n", i + 1 < sizeof(rows) / sizeof(rows[0]) ? "," : "");
	}
	printf("]}\n");
	return 0;
}
