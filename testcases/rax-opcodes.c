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
#include <inttypes.h>
#include <stdio.h>

#include "emu/decode.h"

#include "emu/opflags.h"

struct row {
	int map, op, reg;
	uint64_t flags;
	const char *handler, *mnem, *operands;
};

static const struct row rows[] = {
#define OP(map, opc, reg, handler, mnem, operands, flags) { map, opc, reg, flags, #handler, mnem, operands },
#include "emu/opcodes.def"
#undef OP
};

static const struct {
	uint64_t bit;
	const char *name;
} flag_names[] = {
#define X(f) { f, #f },
	EMU_OPFLAG_NAMES(X)
#undef X
};

#include "emu/opflags_end.h"

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
	uint64_t known = 0;
	for (size_t k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++)
		known |= flag_names[k].bit;
	printf("{\"rows\": [\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		printf("  {\"index\": %zu, \"map\": %d, \"op\": %d, \"reg\": %d, \"handler\": ", i + 1, r->map, r->op,
		       r->reg);
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
			printf("%s\"0x%" PRIx64 "\"", n++ ? ", " : "", r->flags & ~known);
		printf("]}%s\n", i + 1 < sizeof(rows) / sizeof(rows[0]) ? "," : "");
	}
	printf("]}\n");
	return 0;
}
