/*
 * flagmask.c - undefined-flag masks per instruction (see flagmask.h).
 *
 * Sources: Intel SDM vol. 2 (each instruction's "Flags Affected"), AMD APM
 * vol. 3 (appendix "Instruction Effects on RFLAGS"). "Unaffected" flags are
 * not undefined: they must keep their value, so they are compared.
 */
#include "flagmask.h"

#include <stdio.h>
#include <string.h>

#define OSZAPC (RFLAGS_OF | RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF)

enum fm_kind {
	FM_FIXED,  /* mask below, whatever the operands */
	FM_SHIFT,  /* SHL/SAL/SHR/SAR: AF if count; OF if count > 1; CF if count >= width (SHL/SHR) */
	FM_SHIFTA, /* SAR: as FM_SHIFT but CF is defined for any count (sign bit fills) */
	FM_ROT,    /* ROL/ROR: OF undefined when the masked count is not 1 */
	FM_RC,     /* RCL/RCR: OF undefined when the (mod width+1) count is not 1 */
	FM_SHD,    /* SHLD/SHRD: AF if count; OF if count > 1; all six if count > width */
};

struct fm_row {
	const char *mnem;
	enum fm_kind kind;
	uint64_t mask;
};

static const struct fm_row fm_table[] = {
	/* logic: OF and CF cleared, SF ZF PF from the result, AF undefined */
	{ "and", FM_FIXED, RFLAGS_AF },
	{ "or", FM_FIXED, RFLAGS_AF },
	{ "xor", FM_FIXED, RFLAGS_AF },
	{ "test", FM_FIXED, RFLAGS_AF },
	/* multiply: CF and OF defined, SF ZF AF PF undefined */
	{ "mul", FM_FIXED, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF },
	{ "imul", FM_FIXED, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF },
	/* divide: all six undefined */
	{ "div", FM_FIXED, OSZAPC },
	{ "idiv", FM_FIXED, OSZAPC },
	/* bit scan: ZF defined, the rest undefined */
	{ "bsf", FM_FIXED, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF },
	{ "bsr", FM_FIXED, RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF },
	/* bit test: CF defined, ZF unaffected, OF SF AF PF undefined */
	{ "bt", FM_FIXED, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF },
	{ "bts", FM_FIXED, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF },
	{ "btr", FM_FIXED, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF },
	{ "btc", FM_FIXED, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF },
	/* LZCNT/TZCNT: CF ZF defined; POPCNT defines all */
	{ "lzcnt", FM_FIXED, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF },
	{ "tzcnt", FM_FIXED, RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF },
	/* BMI1/BMI2 */
	{ "andn", FM_FIXED, RFLAGS_AF | RFLAGS_PF },
	{ "bextr", FM_FIXED, RFLAGS_AF | RFLAGS_SF | RFLAGS_PF },
	{ "blsi", FM_FIXED, RFLAGS_AF | RFLAGS_PF },
	{ "blsmsk", FM_FIXED, RFLAGS_AF | RFLAGS_PF },
	{ "blsr", FM_FIXED, RFLAGS_AF | RFLAGS_PF },
	{ "bzhi", FM_FIXED, RFLAGS_AF | RFLAGS_PF },
	/* shifts and rotates: count dependent */
	{ "shl", FM_SHIFT, 0 },
	{ "sal", FM_SHIFT, 0 },
	{ "shr", FM_SHIFT, 0 },
	{ "sar", FM_SHIFTA, 0 },
	{ "rol", FM_ROT, 0 },
	{ "ror", FM_ROT, 0 },
	{ "rcl", FM_RC, 0 },
	{ "rcr", FM_RC, 0 },
	{ "shld", FM_SHD, 0 },
	{ "shrd", FM_SHD, 0 },
};

static const struct fm_row *fm_find(const char *m)
{
	for (size_t i = 0; i < sizeof(fm_table) / sizeof(fm_table[0]); i++)
		if (strcmp(fm_table[i].mnem, m) == 0)
			return &fm_table[i];
	return NULL;
}

uint64_t flagmask_for(const char *mnemonic, unsigned opsize, int count)
{
	const struct fm_row *r = fm_find(mnemonic);
	if (!r)
		return 0;
	unsigned width = opsize * 8;
	switch (r->kind) {
	case FM_FIXED:
		return r->mask;
	case FM_SHIFT:
	case FM_SHIFTA:
		if (count < 0) /* unknown count: everything a shift may leave undefined */
			return RFLAGS_AF | RFLAGS_OF | (r->kind == FM_SHIFT ? RFLAGS_CF : 0);
		if (count == 0)
			return 0; /* flags unaffected */
		return RFLAGS_AF | (count > 1 ? RFLAGS_OF : 0) |
		       (r->kind == FM_SHIFT && (unsigned)count >= width ? RFLAGS_CF : 0);
	case FM_ROT:
		if (count < 0)
			return RFLAGS_OF;
		return count == 0 || count == 1 ? 0 : RFLAGS_OF;
	case FM_RC: {
		if (count < 0)
			return RFLAGS_OF;
		/* 8- and 16-bit RCL/RCR rotate through CF: count mod 9 or 17 */
		unsigned c = (unsigned)count;
		if (width < 32)
			c %= width + 1;
		return c == 0 || c == 1 ? 0 : RFLAGS_OF;
	}
	case FM_SHD:
		if (count < 0)
			return OSZAPC;
		if (count == 0)
			return 0;
		if ((unsigned)count > width)
			return OSZAPC;
		return RFLAGS_AF | (count > 1 ? RFLAGS_OF : 0);
	}
	return 0;
}

/* Masked shift count of a group-2 shift or SHLD/SHRD, -1 when not one. */
static int shift_count(const struct emu_insn *in, const struct rax_cpu_state *before)
{
	unsigned cmask = in->osz == 8 ? 0x3f : 0x1f;
	unsigned cl = (unsigned)(before->gpr[RAX_REG_RCX] & 0xff);
	if (in->map == 0) {
		switch (in->op) {
		case 0xc0: case 0xc1: return (int)(in->imm & cmask);
		case 0xd0: case 0xd1: return 1;
		case 0xd2: case 0xd3: return (int)(cl & cmask);
		default: return -1;
		}
	}
	if (in->map == 1) {
		switch (in->op) {
		case 0xa4: case 0xac: return (int)(in->imm & cmask);
		case 0xa5: case 0xad: return (int)(cl & cmask);
		default: return -1;
		}
	}
	return -1;
}

uint64_t flagmask_undefined(const struct emu_insn *in, const struct rax_cpu_state *before)
{
	char buf[32];
	const char *m = emu_mnemonic(in, buf, sizeof(buf));
	return flagmask_for(m, in->osz, shift_count(in, before));
}

const char *flagmask_names(uint64_t mask, char *buf, unsigned n)
{
	static const struct { uint64_t bit; const char *name; } names[] = {
		{ RFLAGS_CF, "CF" }, { RFLAGS_PF, "PF" }, { RFLAGS_AF, "AF" }, { RFLAGS_ZF, "ZF" },
		{ RFLAGS_SF, "SF" }, { RFLAGS_TF, "TF" }, { RFLAGS_IF, "IF" }, { RFLAGS_DF, "DF" },
		{ RFLAGS_OF, "OF" }, { RFLAGS_NT, "NT" }, { RFLAGS_RF, "RF" }, { RFLAGS_AC, "AC" },
		{ RFLAGS_ID, "ID" },
	};
	unsigned pos = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & names[i].bit))
			continue;
		int w = snprintf(buf + pos, n - pos, "%s%s", pos ? "|" : "", names[i].name);
		if (w < 0 || (unsigned)w >= n - pos)
			break;
		pos += (unsigned)w;
	}
	if (!pos)
		snprintf(buf, n, "-");
	return buf;
}
