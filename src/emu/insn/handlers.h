/*
 * handlers.h - prototypes of every instruction handler named in opcodes.def.
 */
#ifndef RAX_EMU_INSN_HANDLERS_H
#define RAX_EMU_INSN_HANDLERS_H

#include "emu/cpu.h"

emu_handler_fn emu_h_ud;
#define OP(map, opc, reg, handler, mnem, operands, flags) emu_handler_fn emu_h_##handler;
#include "emu/opcodes.def"
#undef OP

/* Every handler by row: [0] is ud, [1 + i] the handler of emu_oprows[i]
 * (emu_backend.c). */
extern emu_handler_fn *const emu_handlers[];

#endif
