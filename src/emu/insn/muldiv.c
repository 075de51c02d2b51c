/*
 * muldiv.c - MUL, IMUL (one, two and three operands), DIV, IDIV.
 *
 * MUL/IMUL set CF=OF when the result does not fit the destination size.
 * SF ZF PF AF are undefined: we derive SF/ZF/PF from the low half of the
 * result and clear AF (a fixed, documented choice). DIV/IDIV leave all
 * flags unchanged (undefined architecturally). #DE on a zero divisor or a
 * quotient that does not fit, before anything is written.
 */
#include "emu/insn/alu.h"
#include "emu/insn/handlers.h"
#include "emu/plant.h"

static void mul_flags(struct emu_cpu *c, unsigned size, uint64_t lo, bool overflow)
{
	uint64_t f = emu_szp(lo, size);
	if (overflow)
		f |= RFLAGS_CF | RFLAGS_OF;
	emu_set_status(c, RFLAGS_STATUS, f);
}

EMU_HANDLER(mul_Eb)
{
	uint64_t r = (c->gpr[0] & 0xff) * emu_rm_get(c, in, 1);
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | (r & 0xffff);
	mul_flags(c, 1, r, r >> 8);
}

EMU_HANDLER(imul_Eb)
{
	int64_t r = (int64_t)(int8_t)c->gpr[0] * (int64_t)(int8_t)emu_rm_get(c, in, 1);
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | ((uint64_t)r & 0xffff);
	mul_flags(c, 1, (uint64_t)r, r != (int8_t)r);
}

EMU_HANDLER(mul_Ev)
{
	unsigned size = in->osz;
	uint64_t b = emu_rm_get(c, in, size), a = emu_reg_get(c, in, 0, size), hi, lo = emu_umul(a, b, size, &hi);
	emu_reg_set(c, in, 0, size, lo);
	emu_reg_set(c, in, 2, size, hi);
	mul_flags(c, size, lo, hi != 0);
}

EMU_HANDLER(imul_Ev)
{
	unsigned size = in->osz;
	int64_t b = (int64_t)emu_sext(emu_rm_get(c, in, size), size);
	int64_t a = (int64_t)emu_sext(emu_reg_get(c, in, 0, size), size);
	uint64_t lo, hi;
	bool ovf;
	if (size == 8) {
		__int128 p = (__int128)a * b;
		lo = (uint64_t)p;
		hi = (uint64_t)((unsigned __int128)p >> 64);
		ovf = p != (__int128)(int64_t)lo;
	} else {
		int64_t p = a * b;
		lo = (uint64_t)p & emu_mask(size);
		hi = ((uint64_t)p >> (size * 8)) & emu_mask(size);
		ovf = p != (int64_t)emu_sext((uint64_t)p, size);
	}
	emu_reg_set(c, in, 0, size, lo);
	emu_reg_set(c, in, 2, size, hi);
	mul_flags(c, size, lo, ovf);
}

static void imul3(struct emu_cpu *c, const struct emu_insn *in, uint64_t src, uint64_t imm)
{
	unsigned size = in->osz;
	bool ovf;
	uint64_t lo = imul_trunc((int64_t)emu_sext(src, size), (int64_t)emu_sext(imm, size), size, &ovf);
	emu_reg_set(c, in, in->reg, size, lo);
	mul_flags(c, size, lo, ovf);
}

EMU_HANDLER(imul_GvEv) { imul3(c, in, emu_rm_get(c, in, in->osz), emu_reg_get(c, in, in->reg, in->osz)); }
EMU_HANDLER(imul_GvEvIz) { imul3(c, in, emu_rm_get(c, in, in->osz), in->imm); }
EMU_HANDLER(imul_GvEvIb) { imul3(c, in, emu_rm_get(c, in, in->osz), in->imm); }

EMU_HANDLER(div_Eb)
{
	uint64_t d = emu_rm_get(c, in, 1), n = c->gpr[0] & 0xffff;
	if (!d)
		emu_raise(c, EXC_DE, 0, 0);
	uint64_t q = n / d, r = n % d;
	if (q > 0xff)
		emu_raise(c, EXC_DE, 0, 0);
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | (r << 8) | q;
}

EMU_HANDLER(idiv_Eb)
{
	int64_t d = (int8_t)emu_rm_get(c, in, 1), n = (int16_t)c->gpr[0];
	if (!d)
		emu_raise(c, EXC_DE, 0, 0);
	int64_t q = n / d, r = n % d;
	if (q > 127 || q < -128)
		emu_raise(c, EXC_DE, 0, 0);
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | (((uint64_t)r & 0xff) << 8) | ((uint64_t)q & 0xff);
}

EMU_HANDLER(div_Ev)
{
	unsigned size = in->osz;
	uint64_t d = emu_rm_get(c, in, size);
	if (!d && emu_plant == EMU_PLANT_FAULT)
		return; /* planted bug: off unless RAX_EMU_PLANT=fault */
	if (!d)
		emu_raise(c, EXC_DE, 0, 0);
	uint64_t lo = emu_reg_get(c, in, 0, size), hi = emu_reg_get(c, in, 2, size), q, r;
	if (size == 8) {
		unsigned __int128 n = ((unsigned __int128)hi << 64) | lo;
		unsigned __int128 qq = n / d;
		if (qq >> 64)
			emu_raise(c, EXC_DE, 0, 0);
		q = (uint64_t)qq;
		r = (uint64_t)(n % d);
	} else {
		uint64_t n = (hi << (size * 8)) | lo;
		q = n / d;
		r = n % d;
		if (q > emu_mask(size))
			emu_raise(c, EXC_DE, 0, 0);
	}
	emu_reg_set(c, in, 0, size, q);
	emu_reg_set(c, in, 2, size, r);
}

EMU_HANDLER(idiv_Ev)
{
	unsigned size = in->osz;
	int64_t d = (int64_t)emu_sext(emu_rm_get(c, in, size), size);
	if (!d)
		emu_raise(c, EXC_DE, 0, 0);
	uint64_t lo = emu_reg_get(c, in, 0, size), hi = emu_reg_get(c, in, 2, size);
	int64_t q, r;
	if (size == 8) {
		__int128 n = (__int128)(((unsigned __int128)hi << 64) | lo);
		/* INT128_MIN / -1 cannot happen: hi:lo fits 128 bits, but guard the quotient range */
		if (d == -1 && n == -n && n != 0)
			emu_raise(c, EXC_DE, 0, 0);
		__int128 qq = n / d;
		if (qq > INT64_MAX || qq < INT64_MIN)
			emu_raise(c, EXC_DE, 0, 0);
		q = (int64_t)qq;
		r = (int64_t)(n % d);
	} else {
		int64_t n = (int64_t)((hi << (size * 8)) | lo);
		if (size < 4)
			n = (int64_t)emu_sext((uint64_t)n, size * 2);
		int64_t max = (int64_t)(emu_mask(size) >> 1), min = -max - 1;
		if (d == -1 && n == INT64_MIN)
			emu_raise(c, EXC_DE, 0, 0);
		q = n / d;
		r = n % d;
		if (q > max || q < min)
			emu_raise(c, EXC_DE, 0, 0);
	}
	emu_reg_set(c, in, 0, size, (uint64_t)q);
	emu_reg_set(c, in, 2, size, (uint64_t)r);
}
