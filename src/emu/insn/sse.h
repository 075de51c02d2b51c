/*
 * sse.h - helpers shared by the SSE/SSE2/MMX families (sse.c: moves and
 * shuffles, sse_int.c: packed integer operations, sse_fp.c: floating point,
 * sse_rcp.c: RCP/RSQRT) and by x87.c (FXSAVE, LDMXCSR): the availability
 * checks, MXCSR constants, XMM and MMX register access and 128-bit memory
 * operands.
 *
 * XMM values are handled as the host's __m128i: RAX runs on x86-64 hosts
 * only (the decoder already assumes little endian), and SSE2 is part of the
 * x86-64 baseline, so the host's own instructions give bit-exact results.
 *
 * MMX registers alias the x87 registers: MMi is physical register i, i.e.
 * ST((i - TOP) & 7), the significand (bytes 0-7) of fpu.st[(i - TOP) & 7].
 * Every MMX instruction (except EMMS) sets TOP to 0 and tags all registers
 * valid; a write also sets the exponent field (bytes 8-9) to all ones.
 */
#ifndef RAX_EMU_INSN_SSE_H
#define RAX_EMU_INSN_SSE_H

#include <emmintrin.h>

#include "emu/cpu.h"

#define EMU_FCW_INIT 0x037f
#define EMU_MXCSR_INIT 0x1f80
/* MXCSR bits the modelled CPU supports: 0-15 (DAZ included). Bit 17 (MM)
 * would need CPUID MisAlignSse, which the model does not advertise. */
/* As AMD Zen parts report it: bit 17 is MM (misaligned SSE mode). MM is
 * accepted and kept but not honoured (alignment checks stay on). */
#define EMU_MXCSR_MASK 0x0002ffffu

/* MXCSR fields */
#define MXCSR_IE 0x0001u
#define MXCSR_DE 0x0002u
#define MXCSR_ZE 0x0004u
#define MXCSR_OE 0x0008u
#define MXCSR_UE 0x0010u
#define MXCSR_PE 0x0020u
#define MXCSR_FLAGS 0x003fu
#define MXCSR_DAZ 0x0040u
#define MXCSR_MASKS 0x1f80u /* IM DM ZM OM UM PM: flag bit n is masked by bit n + 7 */
#define MXCSR_UM 0x0800u
#define MXCSR_FTZ 0x8000u

#define FSW_ES 0x0080u
#define FSW_TOP 0x3800u

/* AVX availability (VEX forms): #UD when CR4.OSXSAVE=0 or XCR0 does not
 * enable both SSE and AVX state, then #NM when CR0.TS=1 (CR0.EM and
 * CR4.OSFXSR do not apply; SDM vol. 2, 2.8, exception class tables). */
static inline void emu_avx_check(struct emu_cpu *c)
{
	if (!(c->s.cr4 & CR4_OSXSAVE) || (c->s.xcr0 & 6) != 6)
		EMU_UD(c);
	if (c->s.cr0 & CR0_TS)
		emu_raise(c, EXC_NM, 0, 0);
}

/* SSE availability: #UD when CR0.EM=1 or CR4.OSFXSR=0, then #NM when
 * CR0.TS=1; a VEX form has AVX's rules (emu_avx_check). */
static inline void emu_sse_check(struct emu_cpu *c, const struct emu_insn *in)
{
	if (__builtin_expect(in->vex != 0, 0)) {
		emu_avx_check(c);
		return;
	}
	if (__builtin_expect((c->s.cr0 & (CR0_EM | CR0_TS)) || !(c->s.cr4 & CR4_OSFXSR), 0)) {
		if ((c->s.cr0 & CR0_EM) || !(c->s.cr4 & CR4_OSFXSR))
			EMU_UD(c);
		emu_raise(c, EXC_NM, 0, 0);
	}
}

/* A pending unmasked x87 exception (FSW.ES) is reported (#MF) before an
 * instruction that uses an MMX register executes. With CR0.NE=0 the CPU
 * would signal FERR# to an external interrupt controller instead: not
 * modelled, nothing happens. */
static inline void emu_mmx_pending(struct emu_cpu *c)
{
	if (__builtin_expect((c->s.fpu.fsw & FSW_ES) && (c->s.cr0 & CR0_NE), 0))
		emu_raise(c, EXC_MF, 0, 0);
}

/* MMX availability (MMX and the SSE/SSE2 forms on MMX registers):
 * #UD when CR0.EM=1, #NM when CR0.TS=1, #MF for a pending x87 exception. */
static inline void emu_mmx_check(struct emu_cpu *c)
{
	if (__builtin_expect(c->s.cr0 & (CR0_EM | CR0_TS), 0)) {
		if (c->s.cr0 & CR0_EM)
			EMU_UD(c);
		emu_raise(c, EXC_NM, 0, 0);
	}
	emu_mmx_pending(c);
}

/* ---- XMM registers ---- */
static inline __m128i emu_xmm_ld(const struct emu_cpu *c, unsigned r)
{
	return _mm_loadu_si128((const __m128i *)(const void *)c->s.fpu.xmm[r & 15]);
}
static inline void emu_xmm_st(struct emu_cpu *c, unsigned r, __m128i v)
{
	_mm_storeu_si128((__m128i *)(void *)c->s.fpu.xmm[r & 15], v);
}
static inline uint64_t emu_xmm_q(const struct emu_cpu *c, unsigned r, unsigned half)
{
	uint64_t v;
	memcpy(&v, c->s.fpu.xmm[r & 15] + 8 * half, 8);
	return v;
}
static inline void emu_xmm_set_q(struct emu_cpu *c, unsigned r, unsigned half, uint64_t v)
{
	memcpy(c->s.fpu.xmm[r & 15] + 8 * half, &v, 8);
}

/* ---- VEX: YMM registers, VEX.vvvv, lanes ----
 *
 * A YMM register is xmm[r] (bits 127:0) and ymmh[r] (255:128). Handlers
 * written with the accessors below serve the legacy SSE form and its VEX
 * forms alike:
 *   emu_sse_A(c, in)     the first source: the destination register for a
 *                        legacy form, VEX.vvvv for a VEX form
 *   emu_sse_W(c, in, a)  the second source (ModRM.rm register or memory)
 *   emu_sse_D(c, in, v)  the destination: a VEX.128 form zeroes bits
 *                        255:128, a legacy form leaves them alone
 * all in the current lane. Lane-wise rows (flag LANE: the 256-bit form is
 * the 128-bit operation on each half) wrap the body in EMU_VEX_LANES; it
 * runs the body once, or twice for VEX.256 (lane 0, then lane 1), after
 * checking a memory operand whole (limit, alignment for VA rows, pages),
 * and holds register results back until both lanes have run, so a fault in
 * either lane leaves the destination unchanged.
 */
static inline __m128i emu_vreg_ld(const struct emu_cpu *c, unsigned r)
{
	const uint8_t *p = c->vlane ? c->s.fpu.ymmh[r & 15] : c->s.fpu.xmm[r & 15];
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* The upper half of YMM r becomes zero (VEX.128 writes, VZEROUPPER). */
static inline void emu_ymmh_zero(struct emu_cpu *c, unsigned r) { memset(c->s.fpu.ymmh[r & 15], 0, 16); }

static inline __m128i emu_sse_A(const struct emu_cpu *c, const struct emu_insn *in)
{
	return emu_vreg_ld(c, in->vex ? in->vvvv : in->reg);
}

/* Write YMM/XMM r in the current lane with the rules of in's encoding. */
void emu_vreg_st_lane(struct emu_cpu *c, const struct emu_insn *in, unsigned r, __m128i v);
static inline void emu_vreg_st(struct emu_cpu *c, const struct emu_insn *in, unsigned r, __m128i v)
{
	if (__builtin_expect(!in->vex, 1))
		emu_xmm_st(c, r, v);
	else
		emu_vreg_st_lane(c, in, r, v);
}
static inline void emu_sse_D(struct emu_cpu *c, const struct emu_insn *in, __m128i v)
{
	emu_vreg_st(c, in, in->reg, v);
}

/* EMU_VEX_LANES(c, in, acc) { body }: acc is ACC_R when the memory operand
 * is a source, ACC_W when it is the destination. */
void emu_vex_lanes_begin256(struct emu_cpu *c, const struct emu_insn *in, int acc);
void emu_vex_lanes_commit(struct emu_cpu *c);
/* inline: a legacy or VEX.128 form pays a few stores and one test */
static inline void emu_vex_lanes_begin(struct emu_cpu *c, const struct emu_insn *in, int acc)
{
	c->vlane = 0xff;
	c->vlanes = 1;
	if (__builtin_expect((in->vex & EMU_VEX_L) != 0, 0))
		emu_vex_lanes_begin256(c, in, acc);
}
static inline bool emu_vex_lanes_next(struct emu_cpu *c, const struct emu_insn *in)
{
	(void)in;
	if (++c->vlane < c->vlanes)
		return true;
	if (__builtin_expect(c->vlanes == 2, 0))
		emu_vex_lanes_commit(c);
	c->vlane = 0;
	return false;
}
#define EMU_VEX_LANES(c, in, acc) for (emu_vex_lanes_begin(c, in, acc); emu_vex_lanes_next(c, in);)

/* ---- MMX registers ---- */
static inline uint64_t emu_mm_get(const struct emu_cpu *c, unsigned r)
{
	unsigned top = (c->s.fpu.fsw >> 11) & 7;
	uint64_t v;
	memcpy(&v, c->s.fpu.st[(r - top) & 7], 8);
	return v;
}

void emu_mmx_rotate(struct emu_cpu *c);

/* The x87-to-MMX transition, done when an MMX instruction commits: TOP=0
 * (st[] then holds the registers in physical order) and all tags valid. */
static inline void emu_mmx_enter(struct emu_cpu *c)
{
	if (__builtin_expect(c->s.fpu.fsw & FSW_TOP, 0))
		emu_mmx_rotate(c);
	c->s.fpu.ftw = 0xff;
}

/* Write MMr (after emu_mmx_enter): significand = v, exponent field all ones. */
static inline void emu_mm_set(struct emu_cpu *c, unsigned r, uint64_t v)
{
	uint8_t *p = c->s.fpu.st[r & 7];
	memcpy(p, &v, 8);
	p[8] = p[9] = 0xff;
}

/* RCPSS/RSQRTSS of one single, as the modelled AMD CPU computes them
 * (sse_rcp.c) */
uint32_t emu_rcp_f32(uint32_t x);
uint32_t emu_rsqrt_f32(uint32_t x);

/* ---- memory operands ---- */
/* 16-byte load/store at the ModRM memory operand; aligned forms raise
 * #GP(0) when the address is not 16-byte aligned. A page-crossing access
 * faults as a whole, before anything is written. Under VEX: lane 1 is the
 * 16 bytes after lane 0, and alignment applies to VA rows only. */
__m128i emu_sse_rd128(struct emu_cpu *c, const struct emu_insn *in, bool aligned);
void emu_sse_wr128(struct emu_cpu *c, const struct emu_insn *in, bool aligned, __m128i v);

/* Source xmm/m128 (the current lane of ymm/m256). aligned is the legacy
 * form's rule; under VEX only VA rows check alignment. */
static inline __m128i emu_sse_W(struct emu_cpu *c, const struct emu_insn *in, bool aligned)
{
	if (in->mod == 3)
		return emu_vreg_ld(c, in->rm);
	return emu_sse_rd128(c, in, aligned);
}

/* Source xmm/m64 or xmm/m32 (size 8 or 4): a register gives the whole XMM
 * register, memory the low element with the rest zero. No alignment rule. */
static inline __m128i emu_sse_Wn(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	if (in->mod == 3)
		return emu_xmm_ld(c, in->rm);
	uint64_t v = emu_rd(c, in->seg, emu_ea(c, in), size);
	return _mm_cvtsi64_si128((long long)v);
}

/* Source mm/m64 (size 8) or mm/m32 (size 4, zero-extended) */
static inline uint64_t emu_mmx_Q(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	if (in->mod == 3)
		return emu_mm_get(c, in->rm);
	return emu_rd(c, in->seg, emu_ea(c, in), size);
}

static inline uint64_t emu_v_lo(__m128i v) { return (uint64_t)_mm_cvtsi128_si64(v); }
static inline uint64_t emu_v_hi(__m128i v) { return (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)); }
static inline __m128i emu_v_q(uint64_t lo, uint64_t hi) { return _mm_set_epi64x((long long)hi, (long long)lo); }

#endif
