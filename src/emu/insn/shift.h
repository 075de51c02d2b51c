/*
 * shift.h - the group-2 shift/rotate core shared by shift.c and the fast
 * path (fastpath.c).
 *
 * shift_calc() has no side effects, so handlers compute, write the
 * destination (which may fault) and only then record the flags with
 * shift_flags(): shifts lazily (LF_SHL/SHR/SAR over operand, count, result),
 * rotates as a CF/OF override (emu_rot_flags).
 */
#ifndef RAX_EMU_INSN_SHIFT_H
#define RAX_EMU_INSN_SHIFT_H

#include "emu/cpu.h"

enum { S_ROL, S_ROR, S_RCL, S_RCR, S_SHL, S_SHR, S_SAL, S_SAR };

struct shift_out {
	uint64_t r;
	bool cf, of; /* rotates only */
};

/* kind on the masked operand a with a masked count cnt != 0. */
static inline __attribute__((always_inline)) struct shift_out shift_calc(struct emu_cpu *c, unsigned kind,
									 unsigned size, uint64_t a, unsigned cnt)
{
	unsigned bits = size * 8;
	uint64_t m = emu_mask(size), sign = 1ull << (bits - 1);
	struct shift_out o = { 0, false, false };
	switch (kind) {
	case S_ROL:
	case S_ROR: {
		unsigned k = cnt % bits;
		if (kind == S_ROL) {
			o.r = k ? ((a << k) | (a >> (bits - k))) & m : a;
			o.cf = o.r & 1;
			o.of = !!(o.r & sign) ^ o.cf;
		} else {
			o.r = k ? ((a >> k) | (a << (bits - k))) & m : a;
			o.cf = !!(o.r & sign);
			o.of = !!(o.r & sign) ^ !!(o.r & (sign >> 1));
		}
		return o;
	}
	case S_RCL:
	case S_RCR: {
		unsigned k = size < 4 ? cnt % (bits + 1) : cnt;
		bool carry = emu_cf(c);
		uint64_t r = a;
		for (unsigned i = 0; i < k; i++) {
			if (kind == S_RCL) {
				bool out = r & sign;
				r = ((r << 1) | carry) & m;
				carry = out;
			} else {
				bool out = r & 1;
				r = (r >> 1) | (carry ? sign : 0);
				carry = out;
			}
		}
		o.r = r;
		o.cf = carry;
		if (kind == S_RCL)
			o.of = !!(r & sign) ^ carry;
		else
			o.of = !!(r & sign) ^ !!(r & (sign >> 1));
		return o;
	}
	case S_SHL:
	case S_SAL: o.r = (a << cnt) & m; return o;
	case S_SHR: o.r = a >> cnt; return o;
	default: o.r = (uint64_t)((int64_t)emu_sext(a, size) >> cnt) & m; return o; /* SAR */
	}
}

static inline __attribute__((always_inline)) void shift_flags(struct emu_cpu *c, unsigned kind, unsigned size,
							      uint64_t a, unsigned cnt, const struct shift_out *o)
{
	if (kind <= S_RCR)
		emu_rot_flags(c, o->cf, o->of);
	else
		emu_lazy(c, kind == S_SAR ? LF_SAR : kind == S_SHR ? LF_SHR : LF_SHL, size, a, cnt, o->r);
}

/* Group 2 on r/m: the masked count zero changes nothing (but a 32-bit
 * register operand is still zero-extended). */
static inline __attribute__((always_inline)) void shift_rm(struct emu_cpu *c, const struct emu_insn *in, unsigned size,
							   unsigned cnt)
{
	unsigned kind = in->reg & 7;
	cnt &= size == 8 ? 63 : 31;
	if (in->mod == 3) {
		uint64_t a = emu_reg_get(c, in, in->rm, size);
		if (!cnt) {
			emu_reg_set(c, in, in->rm, size, a);
			return;
		}
		struct shift_out o = shift_calc(c, kind, size, a, cnt);
		emu_reg_set(c, in, in->rm, size, o.r);
		shift_flags(c, kind, size, a, cnt, &o);
	} else {
		uint64_t ea = emu_ea(c, in);
		uint64_t a = cnt ? emu_rd_rmw(c, in->seg, ea, size) : emu_rd(c, in->seg, ea, size);
		if (!cnt)
			return;
		struct shift_out o = shift_calc(c, kind, size, a, cnt);
		emu_wr(c, in->seg, ea, size, o.r); /* may fault: flags after */
		shift_flags(c, kind, size, a, cnt, &o);
	}
}

#endif
