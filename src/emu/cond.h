/*
 * cond.h - condition codes (Jcc, SETcc, CMOVcc) over the lazy flags.
 *
 * emu_cond_inline() answers the common shapes (after CMP/SUB, ZF/SF after
 * any lazy operation, L/LE after a logic operation) without materialising
 * RFLAGS; everything else goes to emu_cond_rflags() in flags.c. emu_cond()
 * (cpu.h) is the out-of-line form of the same.
 */
#ifndef RAX_EMU_COND_H
#define RAX_EMU_COND_H

#include "emu/cpu.h"

/* Condition cc (the low opcode nibble) from the materialised RFLAGS. */
bool emu_cond_rflags(struct emu_cpu *c, unsigned cc);

static inline __attribute__((always_inline)) bool emu_cond_inline(struct emu_cpu *c, unsigned cc)
{
	bool r;
	/* Fast paths for the common compare-and-branch shapes. */
	if (c->lf_op == LF_SUB && (cc & 0xe) != 0 && (cc & 0xe) != 0xa) {
		unsigned size = c->lf_size;
		uint64_t m = emu_mask(size);
		uint64_t a = c->lf_a & m, b = c->lf_b & m;
		int64_t sa = (int64_t)emu_sext(a, size), sb = (int64_t)emu_sext(b, size);
		switch (cc & 0xe) {
		case 0x2: r = a < b; break;
		case 0x4: r = a == b; break;
		case 0x6: r = a <= b; break;
		case 0x8: r = (c->lf_res >> (size * 8 - 1)) & 1; break;
		case 0xc: r = sa < sb; break;
		default: r = sa <= sb; break; /* 0xe */
		}
		return r ^ (cc & 1);
	}
	/* ZF and SF come from the result for every lazy operation */
	if (c->lf_op != LF_NONE && ((cc & 0xe) == 4 || (cc & 0xe) == 8)) {
		if ((cc & 0xe) == 4)
			r = (c->lf_res & emu_mask(c->lf_size)) == 0;
		else
			r = (c->lf_res >> (c->lf_size * 8 - 1)) & 1;
		return r ^ (cc & 1);
	}
	/* CF (B, BE) from the lazy operation without the other bits */
	if (c->lf_op != LF_NONE && ((cc & 0xe) == 2 || (cc & 0xe) == 6)) {
		r = emu_lazy_cf(c);
		if ((cc & 0xe) == 6)
			r = r || (c->lf_res & emu_mask(c->lf_size)) == 0;
		return r ^ (cc & 1);
	}
	if (c->lf_op == LF_LOGIC && (cc & 0xc) == 0xc) { /* OF=0: L is SF, LE is ZF|SF */
		uint64_t res = c->lf_res & emu_mask(c->lf_size);
		r = (res >> (c->lf_size * 8 - 1)) & 1;
		if (cc & 2)
			r = r || res == 0;
		return r ^ (cc & 1);
	}
	return emu_cond_rflags(c, cc);
}

#endif
