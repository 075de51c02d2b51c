/*
 * sse.h - helpers shared by the SSE (sse.c) and x87/FXSAVE (x87.c) families:
 * the availability check, MXCSR constants and 128-bit operand access.
 */
#ifndef RAX_EMU_INSN_SSE_H
#define RAX_EMU_INSN_SSE_H

#include "emu/cpu.h"

#define EMU_FCW_INIT 0x037f
#define EMU_MXCSR_INIT 0x1f80
/* MXCSR bits the modelled CPU supports: 0-15 (DAZ included). Bit 17 (MM)
 * would need CPUID MisAlignSse, which the model does not advertise. */
#define EMU_MXCSR_MASK 0x0000ffffu

/* SSE availability: #UD when CR0.EM=1 or CR4.OSFXSR=0, then #NM when CR0.TS=1. */
static inline void emu_sse_check(struct emu_cpu *c)
{
	if (__builtin_expect((c->s.cr0 & (CR0_EM | CR0_TS)) || !(c->s.cr4 & CR4_OSFXSR), 0)) {
		if ((c->s.cr0 & CR0_EM) || !(c->s.cr4 & CR4_OSFXSR))
			EMU_UD(c);
		emu_raise(c, EXC_NM, 0, 0);
	}
}

struct emu_xmm {
	uint64_t q[2];
};

static inline struct emu_xmm emu_xmm_get(const struct emu_cpu *c, unsigned r)
{
	struct emu_xmm v;
	memcpy(&v, c->s.fpu.xmm[r & 15], 16);
	return v;
}
static inline void emu_xmm_set(struct emu_cpu *c, unsigned r, struct emu_xmm v)
{
	memcpy(c->s.fpu.xmm[r & 15], &v, 16);
}

#endif
