/*
 * legacy.h - helpers for code outside 64-bit mode (32/16-bit protected and
 * compatibility mode): the decoder marks such instructions by setting
 * EMU_SEG_LEG in emu_insn.seg, and handlers pick their behaviour from that
 * per decoded instruction, never per memory access in 64-bit paths.
 */
#ifndef RAX_EMU_LEGACY_H
#define RAX_EMU_LEGACY_H

#include "emu/cpu.h"

/* Was in decoded outside 64-bit mode? */
static inline bool emu_leg(const struct emu_insn *in) { return in->seg & EMU_SEG_LEG; }
/* SS and ES as the segment argument of emu_rd/emu_wr for in's mode. */
static inline unsigned emu_sseg(const struct emu_insn *in) { return RAX_SEG_SS | (in->seg & EMU_SEG_LEG); }
static inline unsigned emu_eseg(const struct emu_insn *in) { return RAX_SEG_ES | (in->seg & EMU_SEG_LEG); }

/* Stack pointer width outside 64-bit mode: SS.B selects ESP or SP. */
static inline uint64_t emu_sp_mask(const struct emu_cpu *c)
{
	return c->s.seg[RAX_SEG_SS].db ? 0xffffffffull : 0xffffull;
}
/* Replace the stack pointer's low bits (SP or ESP) outside 64-bit mode. */
static inline void emu_sp_set_leg(struct emu_cpu *c, uint64_t sp)
{
	uint64_t m = emu_sp_mask(c);
	c->gpr[RAX_REG_RSP] = (c->gpr[RAX_REG_RSP] & ~m) | (sp & m);
}

void emu_push_leg(struct emu_cpu *c, unsigned size, uint64_t v);
uint64_t emu_pop_leg(struct emu_cpu *c, unsigned size);

/* PUSH/POP for instruction in: 64-bit RSP or the SS.B-sized legacy stack. */
static inline void emu_ipush(struct emu_cpu *c, const struct emu_insn *in, unsigned size, uint64_t v)
{
	if (emu_leg(in))
		emu_push_leg(c, size, v);
	else
		emu_push(c, size, v);
}
static inline uint64_t emu_ipop(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	return emu_leg(in) ? emu_pop_leg(c, size) : emu_pop(c, size);
}
/* Read the stack k bytes above the stack pointer (no change to it). */
static inline uint64_t emu_stk_peek(struct emu_cpu *c, const struct emu_insn *in, uint64_t k, unsigned size)
{
	if (emu_leg(in))
		return emu_rd(c, RAX_SEG_SS | EMU_SEG_LEG, (c->gpr[RAX_REG_RSP] + k) & emu_sp_mask(c), size);
	return emu_rd(c, RAX_SEG_SS, c->gpr[RAX_REG_RSP] + k, size);
}

/* Segment checks for an access to s outside 64-bit mode; vec is #GP or #SS. */
void emu_seg_check(struct emu_cpu *c, const struct rax_segment *s, uint64_t off, unsigned size, int acc, int vec);

/* Load a code segment descriptor's check result into CS and update the mode. */
void emu_set_cs(struct emu_cpu *c, const struct rax_segment *cs);

/* Legacy PAE paging: load the four PDPTEs from CR3 (#GP(0) on reserved bits). */
void emu_load_pdptes(struct emu_cpu *c, uint64_t cr3);

/* Real-address mode (realmode.c): CR0.PE clear. Selector loads, far
 * transfers, IRET and interrupt delivery through the vector table. */
static inline bool emu_real(const struct emu_cpu *c) { return !(c->s.cr0 & CR0_PE); }
void emu_real_load_seg(struct emu_cpu *c, unsigned seg, uint16_t sel);
void emu_real_far(struct emu_cpu *c, const struct emu_insn *in, bool call, uint16_t sel, uint64_t off);
void emu_real_far_return(struct emu_cpu *c, const struct emu_insn *in, uint64_t extra);
void emu_real_iret(struct emu_cpu *c, const struct emu_insn *in);
void emu_deliver_real(struct emu_cpu *c, int vec, unsigned flags, uint64_t ret_rip);

/* Delivery through the 8-byte IDT of legacy protected mode (exception.c). */
void emu_deliver_leg(struct emu_cpu *c, int vec, uint32_t err, unsigned flags, uint64_t ret_rip);

#endif
