/*
 * fastpath.h - the threaded block runner (fastpath.c): fast-op selection at
 * decode time and execution of a decoded block.
 */
#ifndef RAX_EMU_FASTPATH_H
#define RAX_EMU_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/cpu.h"

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
