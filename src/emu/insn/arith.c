/*
 * arith.c - ADD ADC SUB SBB CMP INC DEC NEG.
 *
 * Flags are lazy (see flags.c); INC/DEC flush the previous flags first so
 * that their preserved CF is exact.
 */
#include "emu/insn/alu.h"

ALU_FORMS(add, K_ADD)
ALU_FORMS(adc, K_ADC)
ALU_FORMS(sub, K_SUB)
ALU_FORMS(sbb, K_SBB)
ALU_FORMS(cmp, K_CMP)

static inline void incdec(struct emu_cpu *c, const struct emu_insn *in, unsigned size, bool dec)
{
	uint64_t a, r;
	if (in->mod == 3) {
		a = emu_reg_get(c, in, in->rm, size);
		r = dec ? a - 1 : a + 1;
		emu_reg_set(c, in, in->rm, size, r);
	} else {
		uint64_t ea = emu_ea(c, in);
		a = emu_rd_rmw(c, in->seg, ea, size);
		r = dec ? a - 1 : a + 1;
		emu_wr(c, in->seg, ea, size, r);
	}
	bool cf = emu_cf(c); /* INC/DEC keep CF */
	emu_lazy(c, dec ? LF_DEC : LF_INC, size, a, 1, r);
	c->lf_cin = cf;
}

EMU_HANDLER(inc_Eb) { incdec(c, in, 1, false); }
EMU_HANDLER(inc_Ev) { incdec(c, in, in->osz, false); }
EMU_HANDLER(dec_Eb) { incdec(c, in, 1, true); }
EMU_HANDLER(dec_Ev) { incdec(c, in, in->osz, true); }

static inline void neg(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	uint64_t a, r;
	if (in->mod == 3) {
		a = emu_reg_get(c, in, in->rm, size);
		r = 0 - a;
		emu_reg_set(c, in, in->rm, size, r);
	} else {
		uint64_t ea = emu_ea(c, in);
		a = emu_rd_rmw(c, in->seg, ea, size);
		r = 0 - a;
		emu_wr(c, in->seg, ea, size, r);
	}
	emu_lazy(c, LF_NEG, size, a, 0, r);
}

EMU_HANDLER(neg_Eb) { neg(c, in, 1); }
EMU_HANDLER(neg_Ev) { neg(c, in, in->osz); }
