/*
 * fastpath.h - the threaded block runner (fastpath.c): fast-op selection at
 * decode time and execution of a decoded block.
 */
#ifndef RAX_EMU_FASTPATH_H
#define RAX_EMU_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/cpu.h"

/*
 * The fast ops: X(name) for each. Suffix 4/8 is the operand size, R the
 * register form, M the memory form.
 */
#define FOP_SIZED(X, n) X(n##4) X(n##8)
// clang-format off
#define FOP_ALU(X, k) FOP_SIZED(X, k##_EvGv_R) FOP_SIZED(X, k##_EvGv_M) FOP_SIZED(X, k##_GvEv_R) \
	FOP_SIZED(X, k##_GvEv_M) FOP_SIZED(X, k##_EvIz_R) FOP_SIZED(X, k##_EvIz_M)
// clang-format on
// clang-format off
#define FAST_OPS(X)                                                                    \
	X(generic)                                                                     \
	FOP_SIZED(X, mov_EvGv_R) FOP_SIZED(X, mov_EvGv_M) FOP_SIZED(X, mov_GvEv_R) FOP_SIZED(X, mov_GvEv_M) \
	FOP_SIZED(X, mov_EvIz_R) FOP_SIZED(X, mov_EvIz_M) FOP_SIZED(X, mov_ZvIv)                   \
	FOP_ALU(X, add) FOP_ALU(X, or) FOP_ALU(X, and) FOP_ALU(X, sub) FOP_ALU(X, xor)   \
	FOP_ALU(X, cmp)                                                                \
	FOP_SIZED(X, test_EvGv_R) FOP_SIZED(X, test_EvGv_M)                                    \
	FOP_SIZED(X, lea) FOP_SIZED(X, movzxb_R) FOP_SIZED(X, movzxb_M) FOP_SIZED(X, movzxw_R) FOP_SIZED(X, movzxw_M) \
	X(movsxd_R) X(movsxd_M) FOP_SIZED(X, cmov_R) FOP_SIZED(X, cmov_M) FOP_SIZED(X, imul_R)       \
	X(setcc_R) X(setcc_M) X(push) X(pop) X(jcc) X(jmp) X(call) X(ret)               \
	FOP_SIZED(X, rol_I_R) FOP_SIZED(X, ror_I_R) FOP_SIZED(X, shl_I_R) FOP_SIZED(X, shr_I_R) FOP_SIZED(X, sar_I_R) \
	FOP_SIZED(X, shift_R) FOP_SIZED(X, shift_M)                                             \
	X(planted) X(dbgbreak)
// clang-format on

/* The fast-op numbers (emu_block.fop; the translator in jit/ reads them too). */
enum {
#define X(n) FOP_##n,
	FAST_OPS(X)
#undef X
		FOP_COUNT
};
_Static_assert(FOP_COUNT <= 256, "fast-op numbers must fit uint8_t");

/* The fast-op number for a decoded instruction (0: call its handler). */
uint8_t emu_fast_select(const struct emu_cpu *c, const struct emu_insn *in);

/* True when the instruction always leaves a block (a direct JMP/CALL whose
 * target is not the next instruction), so decoding may stop after it. */
bool emu_fast_leaves(uint8_t fop, const struct emu_insn *in);

/* Run n decoded instructions from c->rip until the block ends (see fastpath.c);
 * fop NULL runs every one through its handler. */
/* A one-instruction fast-op list whose op ends the run with RAX_EXIT_DEBUG,
 * why BREAK, before the instruction (a host debugger's breakpoint). */
const uint8_t *emu_fast_break(void);

void emu_run_block(struct emu_cpu *c, const struct emu_insn *in, const uint8_t *fop, unsigned n);

#endif
