/*
 * logic.c - AND OR XOR NOT TEST.
 *
 * AND/OR/XOR/TEST clear CF and OF; AF is architecturally undefined and we
 * clear it (as AMD Zen does). NOT changes no flags.
 */
#include "emu/insn/alu.h"

ALU_FORMS(and, K_AND)
ALU_FORMS(or, K_OR)
ALU_FORMS(xor, K_XOR)

EMU_HANDLER(test_EbGb) { alu_E(c, in, K_TEST, 1, emu_reg_get(c, in, in->reg, 1)); }
EMU_HANDLER(test_EvGv) { alu_E(c, in, K_TEST, in->osz, emu_reg_get(c, in, in->reg, in->osz)); }
EMU_HANDLER(test_ALIb) { alu_G(c, in, K_TEST, 1, 0, in->imm & 0xff); }
EMU_HANDLER(test_rAXIz) { alu_G(c, in, K_TEST, in->osz, 0, in->imm & emu_mask(in->osz)); }
EMU_HANDLER(test_EbIb) { alu_E(c, in, K_TEST, 1, in->imm & 0xff); }
EMU_HANDLER(test_EvIz) { alu_E(c, in, K_TEST, in->osz, in->imm & emu_mask(in->osz)); }

static inline void not_op(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	if (in->mod == 3) {
		emu_reg_set(c, in, in->rm, size, ~emu_reg_get(c, in, in->rm, size));
	} else {
		uint64_t ea = emu_ea(c, in);
		emu_wr(c, in->seg, ea, size, ~emu_rd_rmw(c, in->seg, ea, size));
	}
}

EMU_HANDLER(not_Eb) { not_op(c, in, 1); }
EMU_HANDLER(not_Ev) { not_op(c, in, in->osz); }
