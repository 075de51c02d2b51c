/*
 * alu.h - the two-operand ALU core shared by arith.c and logic.c.
 *
 * Kinds follow the group-1 ModRM.reg order (ADD OR ADC SBB AND SUB XOR CMP)
 * plus TEST. alu_calc() has no side effects, so handlers compute, write the
 * destination (which may fault) and only then record the lazy flags.
 */
#ifndef RAX_EMU_INSN_ALU_H
#define RAX_EMU_INSN_ALU_H

#include "emu/cpu.h"
#include "emu/insn/handlers.h"
#include "emu/plant.h"

/* Forced inline: the fast path instantiates these with constant kinds and sizes. */
#define ALU_INLINE static inline __attribute__((always_inline))

enum { K_ADD, K_OR, K_ADC, K_SBB, K_AND, K_SUB, K_XOR, K_CMP, K_TEST };

/* Signed a*b truncated to size bytes; *ovf: the product does not fit (IMUL's CF/OF). */
ALU_INLINE uint64_t imul_trunc(int64_t a, int64_t b, unsigned size, bool *ovf)
{
	if (size == 8) {
		__int128 p = (__int128)a * b;
		*ovf = p != (__int128)(int64_t)(uint64_t)p;
		return (uint64_t)p;
	}
	int64_t p = a * b;
	*ovf = p != (int64_t)emu_sext((uint64_t)p, size);
	return (uint64_t)p & emu_mask(size);
}

ALU_INLINE uint64_t alu_calc(struct emu_cpu *c, unsigned k, uint64_t a, uint64_t b, unsigned *cin)
{
	switch (k) {
	case K_ADD: return a + b;
	case K_OR: return a | b;
	case K_ADC: *cin = emu_cf(c); return a + b + *cin;
	case K_SBB: *cin = emu_cf(c); return a - b - *cin;
	case K_AND:
	case K_TEST: return a & b;
	case K_XOR: return a ^ b;
	case K_SUB: return a - b + (uint64_t)(emu_plant == EMU_PLANT_RESULT); /* planted bug: off */
	default: return a - b;                                                /* CMP */
	}
}

ALU_INLINE void alu_flags(struct emu_cpu *c, unsigned k, unsigned size, uint64_t a, uint64_t b, uint64_t r,
			  unsigned cin)
{
	switch (k) {
	case K_ADD: emu_lazy(c, LF_ADD, size, a, b, r); break;
	case K_ADC:
		emu_lazy(c, LF_ADC, size, a, b, r);
		c->lf_cin = (uint8_t)cin;
		break;
	case K_SBB:
		emu_lazy(c, LF_SBB, size, a, b, r);
		c->lf_cin = (uint8_t)cin;
		break;
	case K_SUB:
	case K_CMP: emu_lazy(c, LF_SUB, size, a, b, r); break;
	default: emu_lazy(c, LF_LOGIC, size, a, b, r); break;
	}
}

ALU_INLINE bool alu_writes(unsigned k) { return k != K_CMP && k != K_TEST; }

/* op r/m, src */
ALU_INLINE void alu_E(struct emu_cpu *c, const struct emu_insn *in, unsigned k, unsigned size, uint64_t b)
{
	unsigned cin = 0;
	if (in->mod == 3) {
		uint64_t a = emu_reg_get(c, in, in->rm, size);
		uint64_t r = alu_calc(c, k, a, b, &cin);
		if (alu_writes(k))
			emu_reg_set(c, in, in->rm, size, r);
		alu_flags(c, k, size, a, b, r, cin);
	} else {
		uint64_t ea = emu_ea(c, in);
		uint64_t a = alu_writes(k) ? emu_rd_rmw(c, in->seg, ea, size) : emu_rd(c, in->seg, ea, size);
		uint64_t r = alu_calc(c, k, a, b, &cin);
		if (alu_writes(k))
			emu_wr(c, in->seg, ea, size, r);
		alu_flags(c, k, size, a, b, r, cin);
	}
}

/* op reg, src */
ALU_INLINE void alu_G(struct emu_cpu *c, const struct emu_insn *in, unsigned k, unsigned size, unsigned reg, uint64_t b)
{
	unsigned cin = 0;
	uint64_t a = emu_reg_get(c, in, reg, size);
	uint64_t r = alu_calc(c, k, a, b, &cin);
	if (alu_writes(k))
		emu_reg_set(c, in, reg, size, r);
	alu_flags(c, k, size, a, b, r, cin);
}

/* The six classic forms of one ALU operation. */
#define ALU_FORMS(name, k)                                                                           \
	EMU_HANDLER(name##_EbGb) { alu_E(c, in, k, 1, emu_reg_get(c, in, in->reg, 1)); }             \
	EMU_HANDLER(name##_EvGv) { alu_E(c, in, k, in->osz, emu_reg_get(c, in, in->reg, in->osz)); } \
	EMU_HANDLER(name##_GbEb) { alu_G(c, in, k, 1, in->reg, emu_rm_get(c, in, 1)); }              \
	EMU_HANDLER(name##_GvEv) { alu_G(c, in, k, in->osz, in->reg, emu_rm_get(c, in, in->osz)); }  \
	EMU_HANDLER(name##_ALIb) { alu_G(c, in, k, 1, 0, in->imm & 0xff); }                          \
	EMU_HANDLER(name##_rAXIz) { alu_G(c, in, k, in->osz, 0, in->imm &emu_mask(in->osz)); }       \
	EMU_HANDLER(name##_EbIb) { alu_E(c, in, k, 1, in->imm & 0xff); }                             \
	EMU_HANDLER(name##_EvIz) { alu_E(c, in, k, in->osz, in->imm &emu_mask(in->osz)); }

#endif
