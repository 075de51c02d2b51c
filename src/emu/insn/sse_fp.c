/*
 * sse_fp.c - SSE/SSE2 floating point: ADD SUB MUL DIV SQRT MIN MAX (PS PD SS
 * SD), RCPPS/RCPSS, RSQRTPS/RSQRTSS, CMPPS/PD/SS/SD (predicates 0-7),
 * COMISS/COMISD/UCOMISS/UCOMISD, and every CVT* conversion (packed, scalar,
 * to and from GPRs and MMX registers); of x86-64-v2: SSE3 ADDSUBPS/PD and
 * HADDPS/PD/HSUBPS/PD (the same host additions on rearranged operands),
 * SSE4.1 DPPS/DPPD (host multiplies and additions, stage by stage) and
 * ROUNDPS/PD/SS/SD (computed in integer arithmetic: no host SSE4.1 needed).
 *
 * Each operation runs the host's own instruction under the guest's MXCSR
 * (rounding control, FTZ, DAZ) with every exception masked and the flags
 * cleared, inside one asm statement that saves and restores the host MXCSR,
 * so results and flags are the hardware's, bit for bit (IEEE 754 leaves no
 * choice to the vendor there). RCPPS/RSQRTPS are approximations whose low
 * bits differ between vendors: sse_rcp.c computes AMD's, on any host.
 *
 * Exceptions (SDM vol. 1 11.5.1-11.5.2; every rule below checked against an
 * AMD Zen 4 by tests/unit/test_emu_sse.c): the raised flags are ORed into
 * MXCSR unless one of them is unmasked. Then #XM (CR4.OSXMMEXCPT=1) or #UD
 * is raised and the destination is left unchanged, and MXCSR gets:
 *  - an unmasked pre-computation exception (IE DE ZE) in any element: the
 *    pre-computation flags of all elements, nothing else;
 *  - otherwise the flags of every element, where an element that reports an
 *    unmasked OE or UE reports PE only if its result, rounded with an
 *    unbounded exponent, is inexact (the host's x87 works that out);
 * With UE unmasked, FTZ does not apply and an exact tiny (denormal) result
 * raises UE too. Not modelled: a result tiny before rounding that rounds
 * to the smallest normal (a corner of a corner, with UE unmasked).
 */
#include <stdbool.h>

#include "emu/insn/sse.h"

#include "emu/insn/handlers.h"

/* Element layout of an operation, for the exception rules that depend on
 * which element raised what (only operations that can overflow or
 * underflow need it). */
enum fp_kind {
	FK_NONE, /* no OE/UE possible, or integer results */
	FK_PS,   /* four singles */
	FK_PD,   /* two doubles */
	FK_SS,   /* the low single */
	FK_SD,   /* the low double */
	FK_PS2,  /* CVTPD2PS: two doubles in, two singles out */
};

/* One host operation: returns op(a, b), *csr (in: control) gets its flags. */
typedef __m128i fp_fn(__m128i a, __m128i b, uint32_t *csr);

/* Host MXCSR for a guest operation: the guest's RC, FTZ, DAZ, flags clear,
 * everything masked. FTZ only applies while UE is masked. */
static inline uint32_t fp_csr(const struct emu_cpu *c)
{
	uint32_t m = c->s.fpu.mxcsr;
	uint32_t h = ((m & ~MXCSR_FLAGS) | MXCSR_MASKS) & 0xffff;
	if (!(m & MXCSR_UM))
		h &= ~MXCSR_FTZ;
	return h;
}

/* One host SSE instruction "insn src, dst" (AT&T order) under csr, which
 * then holds the flags it raised. */
#define HOST_SSE(insn, dst, src, csr)                                                        \
	do {                                                                                 \
		uint32_t save_;                                                              \
		__asm__ volatile("stmxcsr %[sv]\n\tldmxcsr %[mx]\n\t" insn " %[s], %[d]\n\t" \
				 "stmxcsr %[mx]\n\tldmxcsr %[sv]"                            \
				 : [d] "+x"(dst), [mx] "+m"(csr), [sv] "=m"(save_)           \
				 : [s] "x"(src));                                            \
	} while (0)

/* The same with a GPR source (CVTSI2SS/SD) */
#define HOST_SSE_R(insn, dst, src, csr)                                                      \
	do {                                                                                 \
		uint32_t save_;                                                              \
		__asm__ volatile("stmxcsr %[sv]\n\tldmxcsr %[mx]\n\t" insn " %[s], %[d]\n\t" \
				 "stmxcsr %[mx]\n\tldmxcsr %[sv]"                            \
				 : [d] "+x"(dst), [mx] "+m"(csr), [sv] "=m"(save_)           \
				 : [s] "r"(src));                                            \
	} while (0)

/* ... and with a GPR destination (CVT(T)SS2SI / SD2SI) */
#define HOST_SSE_G(insn, dst, src, csr)                                                      \
	do {                                                                                 \
		uint32_t save_;                                                              \
		__asm__ volatile("stmxcsr %[sv]\n\tldmxcsr %[mx]\n\t" insn " %[s], %[d]\n\t" \
				 "stmxcsr %[mx]\n\tldmxcsr %[sv]"                            \
				 : [d] "=r"(dst), [mx] "+m"(csr), [sv] "=m"(save_)           \
				 : [s] "x"(src));                                            \
	} while (0)

/* fp_fn wrappers: one per instruction */
#define DEF_FN(fname, insn)                                       \
	static __m128i fname(__m128i a, __m128i b, uint32_t *csr) \
	{                                                         \
		HOST_SSE(insn, a, b, *csr);                       \
		return a;                                         \
	}

static bool f32_tiny(uint32_t v) { return !(v & 0x7f800000u) && (v & 0x007fffffu); }
static bool f64_tiny(uint64_t v) { return !(v & 0x7ff0000000000000ull) && (v & 0x000fffffffffffffull); }

/* Is result element i of kind k a denormal? */
static bool elem_tiny(__m128i r, enum fp_kind k, unsigned i)
{
	uint32_t s[4];
	uint64_t d[2];
	_mm_storeu_si128((__m128i *)(void *)s, r);
	memcpy(d, s, 16);
	switch (k) {
	case FK_PS:
	case FK_PS2:
	case FK_SS: return f32_tiny(s[i]);
	case FK_PD:
	case FK_SD: return f64_tiny(d[i]);
	default: return false;
	}
}

static _Noreturn void raise_xm(struct emu_cpu *c)
{
	if (c->s.cr4 & CR4_OSXMMEXCPT)
		emu_raise(c, EXC_XM, 0, 0);
	EMU_UD(c);
}

/* The operation, for the inexact check with an unbounded exponent. */
enum fp_op { FO_NONE, FO_ADD, FO_SUB, FO_MUL, FO_DIV, FO_CVT, FO_ADDSUB /* odd elements add, even subtract */ };

/*
 * Whether a op b, rounded to the precision of the result (24 or 53 bits)
 * under rc but with an unbounded exponent, is inexact: the PE that goes
 * with an unmasked overflow or underflow. The host's x87 computes it (its
 * 15-bit exponent cannot overflow on these operands; precision control
 * rounds the significand only); DAZ zeroes denormal operands first.
 */
static bool unbounded_inexact(enum fp_op op, long double a, long double b, bool single, unsigned rc)
{
	uint16_t cw = (uint16_t)(0x3f | (single ? 0 : 0x200) | (rc << 10)), old, sw;
	if (op == FO_CVT) {
		b = a;
		a = 1;
		op = FO_MUL;
	}
#define X87_OP(insn)                                                                                 \
	__asm__ volatile("fnstcw %[old]\n\tfldcw %[cw]\n\tfnclex\n\tfldt %[b]\n\tfldt %[a]\n\t" insn \
			 "\n\tfnstsw %[sw]\n\tfstp %%st(0)\n\tfstp %%st(0)\n\tfldcw %[old]"          \
			 : [old] "=m"(old), [sw] "=m"(sw)                                            \
			 : [cw] "m"(cw), [a] "m"(a), [b] "m"(b))
	switch (op) {
	case FO_ADD: X87_OP("fadd %%st(1), %%st"); break;
	case FO_SUB: X87_OP("fsub %%st(1), %%st"); break;
	case FO_MUL: X87_OP("fmul %%st(1), %%st"); break;
	case FO_DIV: X87_OP("fdiv %%st(1), %%st"); break;
	default: return false;
	}
#undef X87_OP
	return sw & 0x20;
}

/* Element i of a (single or double) as an exact long double, DAZ applied. */
static long double elem_val(__m128i v, bool single, unsigned i, bool daz)
{
	uint8_t b[16];
	_mm_storeu_si128((__m128i *)(void *)b, v);
	if (single) {
		uint32_t u;
		float f;
		memcpy(&u, b + 4 * i, 4);
		if (daz && f32_tiny(u))
			u &= 0x80000000u;
		memcpy(&f, &u, 4);
		return f;
	}
	uint64_t u;
	double d;
	memcpy(&u, b + 8 * i, 8);
	if (daz && f64_tiny(u))
		u &= 0x8000000000000000ull;
	memcpy(&d, &u, 8);
	return d;
}

/* The post-computation flags of element i (f: what the masked operation
 * raised for it): with UE unmasked an exact tiny result is an underflow
 * too; with an unmasked OE/UE reported, PE is the inexactness of the
 * result with an unbounded exponent (as the host reports it). */
static uint32_t elem_post(struct emu_cpu *c, uint32_t f, uint32_t unm, enum fp_kind k, enum fp_op op, __m128i a,
			  __m128i b, __m128i r, unsigned i)
{
	if ((unm & MXCSR_UE) && elem_tiny(r, k, i))
		f |= MXCSR_UE;
	if (op == FO_ADDSUB)
		op = (i & 1) ? FO_ADD : FO_SUB;
	if (f & unm & (MXCSR_OE | MXCSR_UE)) {
		bool single = k == FK_PS || k == FK_SS || k == FK_PS2;
		bool src_single = (k == FK_PS || k == FK_SS) && op != FO_CVT;
		bool daz = c->s.fpu.mxcsr & MXCSR_DAZ;
		unsigned rc = (c->s.fpu.mxcsr >> 13) & 3;
		long double x = elem_val(op == FO_CVT ? b : a, src_single, i, daz);
		long double y = elem_val(b, src_single, i, daz);
		f &= ~MXCSR_PE;
		if (unbounded_inexact(op, x, y, single, rc))
			f |= MXCSR_PE;
	}
	return f;
}

/* Replace all elements but i (of the kind's source layout) by 1.0, so an
 * operation raises only element i's exceptions. */
static __m128i keep_elem(__m128i v, enum fp_kind k, unsigned i)
{
	uint32_t s[4];
	_mm_storeu_si128((__m128i *)(void *)s, v);
	if (k == FK_PS) {
		for (unsigned j = 0; j < 4; j++)
			if (j != i)
				s[j] = 0x3f800000u;
	} else {
		uint64_t d[2];
		memcpy(d, s, 16);
		d[i ^ 1] = 0x3ff0000000000000ull;
		memcpy(s, d, 16);
	}
	return _mm_loadu_si128((const __m128i *)(const void *)s);
}

/* Some exception is unmasked, or UE is (an exact tiny result needs a look):
 * commit the flags or raise #XM/#UD. f: the flags of the whole operation
 * fn(a, b) = r. */
static __attribute__((noinline)) void fp_slow(struct emu_cpu *c, uint32_t f, enum fp_kind k, enum fp_op op, __m128i a,
					      __m128i b, __m128i r, fp_fn *fn)
{
	const uint32_t pre = MXCSR_IE | MXCSR_DE | MXCSR_ZE;
	uint32_t unm = ~(c->s.fpu.mxcsr >> 7) & MXCSR_FLAGS;
	if (f & unm & pre) {
		/* no post-computation step: the pre-computation flags of all elements */
		c->s.fpu.mxcsr |= f & pre;
		raise_xm(c);
	}
	unsigned n = k == FK_PS ? 4 : (k == FK_PD || k == FK_PS2) ? 2 : 1;
	if (k == FK_NONE) {
		/* nothing element-specific */
	} else if (n == 1 || !fn) {
		f = elem_post(c, f, unm, k, op, a, b, r, 0);
	} else {
		f &= pre;
		for (unsigned i = 0; i < n; i++) {
			uint32_t csr = fp_csr(c);
			__m128i ai = keep_elem(a, k, i), bi = keep_elem(b, k, i);
			__m128i ri = fn(ai, bi, &csr);
			f |= elem_post(c, csr & MXCSR_FLAGS, unm, k, op, ai, bi, ri, i);
		}
	}
	c->s.fpu.mxcsr |= f;
	if (f & unm)
		raise_xm(c);
}

/* After a host operation: commit its flags or raise #XM/#UD. */
static inline void fp_done(struct emu_cpu *c, uint32_t csr, enum fp_kind k, enum fp_op op, __m128i a, __m128i b,
			   __m128i r, fp_fn *fn)
{
	uint32_t f = csr & MXCSR_FLAGS;
	uint32_t unm = ~(c->s.fpu.mxcsr >> 7) & MXCSR_FLAGS;
	if (__builtin_expect(!(f & unm) && !(unm & MXCSR_UE && k != FK_NONE), 1)) {
		c->s.fpu.mxcsr |= f;
		return;
	}
	fp_slow(c, f, k, op, a, b, r, fn);
}

/* Flags of an operation that has no OE/UE rules. */
static inline void fp_flags(struct emu_cpu *c, uint32_t csr)
{
	__m128i z = _mm_setzero_si128();
	fp_done(c, csr, FK_NONE, FO_NONE, z, z, z, NULL);
}

/* xmm = op(xmm, xmm/m128), memory 16-byte aligned */
#define FP_PACKED(name, insn, kind, op)                        \
	DEF_FN(fn_##name, insn)                                \
	EMU_HANDLER(name)                                      \
	{                                                      \
		emu_sse_check(c, in);                              \
		__m128i b = emu_sse_W(c, in, true);            \
		__m128i a = emu_xmm_ld(c, in->reg);            \
		uint32_t csr = fp_csr(c);                      \
		__m128i r = fn_##name(a, b, &csr);             \
		fp_done(c, csr, kind, op, a, b, r, fn_##name); \
		emu_xmm_st(c, in->reg, r);                     \
	}

/* xmm = op(xmm, xmm/m32 or xmm/m64): scalar operations and the conversions
 * that read 64 bits; no alignment rule */
#define FP_SMALL(name, insn, size, kind, op)                   \
	DEF_FN(fn_##name, insn)                                \
	EMU_HANDLER(name)                                      \
	{                                                      \
		emu_sse_check(c, in);                              \
		__m128i b = emu_sse_Wn(c, in, size);           \
		__m128i a = emu_xmm_ld(c, in->reg);            \
		uint32_t csr = fp_csr(c);                      \
		__m128i r = fn_##name(a, b, &csr);             \
		fp_done(c, csr, kind, op, a, b, r, fn_##name); \
		emu_xmm_st(c, in->reg, r);                     \
	}

#define FP_ARITH(op, pk, pdk, ssk, sdk, fo)       \
	FP_PACKED(op##ps_VW, #op "ps", pk, fo)    \
	FP_PACKED(op##pd_VW, #op "pd", pdk, fo)   \
	FP_SMALL(op##ss_VW, #op "ss", 4, ssk, fo) \
	FP_SMALL(op##sd_VW, #op "sd", 8, sdk, fo)

/* 0F 58 59 5C 5E (can overflow/underflow); 5D 5F 51 (cannot) */
FP_ARITH(add, FK_PS, FK_PD, FK_SS, FK_SD, FO_ADD)
FP_ARITH(mul, FK_PS, FK_PD, FK_SS, FK_SD, FO_MUL)
FP_ARITH(sub, FK_PS, FK_PD, FK_SS, FK_SD, FO_SUB)
FP_ARITH(div, FK_PS, FK_PD, FK_SS, FK_SD, FO_DIV)
FP_ARITH(min, FK_NONE, FK_NONE, FK_NONE, FK_NONE, FO_NONE)
FP_ARITH(max, FK_NONE, FK_NONE, FK_NONE, FK_NONE, FO_NONE)
FP_ARITH(sqrt, FK_NONE, FK_NONE, FK_NONE, FK_NONE, FO_NONE)

/* 0F 52 / 53: the approximations, as the modelled AMD CPU computes them
 * (sse_rcp.c); no exceptions, MXCSR not used */
#define FP_APPROX(name, fn, packed)                                                 \
	EMU_HANDLER(name)                                                           \
	{                                                                           \
		emu_sse_check(c, in);                                                   \
		__m128i b = packed ? emu_sse_W(c, in, true) : emu_sse_Wn(c, in, 4); \
		uint32_t v[4];                                                      \
		_mm_storeu_si128((__m128i *)(void *)v, b);                          \
		for (unsigned i = 0; i < (packed ? 4u : 1u); i++)                   \
			v[i] = fn(v[i]);                                            \
		memcpy(c->s.fpu.xmm[in->reg], v, packed ? 16 : 4);                  \
	}

FP_APPROX(rsqrtps_VW, emu_rsqrt_f32, 1)
FP_APPROX(rsqrtss_VW, emu_rsqrt_f32, 0)
FP_APPROX(rcpps_VW, emu_rcp_f32, 1)
FP_APPROX(rcpss_VW, emu_rcp_f32, 0)

/* 0F 5A / 5B / E6: conversions between XMM formats */
FP_SMALL(cvtps2pd_VW, "cvtps2pd", 8, FK_NONE, FO_NONE)
FP_PACKED(cvtpd2ps_VW, "cvtpd2ps", FK_PS2, FO_CVT)
FP_SMALL(cvtss2sd_VW, "cvtss2sd", 4, FK_NONE, FO_NONE)
FP_SMALL(cvtsd2ss_VW, "cvtsd2ss", 8, FK_SS, FO_CVT)
FP_PACKED(cvtdq2ps_VW, "cvtdq2ps", FK_NONE, FO_NONE)
FP_PACKED(cvtps2dq_VW, "cvtps2dq", FK_NONE, FO_NONE)
FP_PACKED(cvttps2dq_VW, "cvttps2dq", FK_NONE, FO_NONE)
FP_SMALL(cvtdq2pd_VW, "cvtdq2pd", 8, FK_NONE, FO_NONE)
FP_PACKED(cvtpd2dq_VW, "cvtpd2dq", FK_NONE, FO_NONE)
FP_PACKED(cvttpd2dq_VW, "cvttpd2dq", FK_NONE, FO_NONE)

/* ---- CMPPS/CMPPD/CMPSS/CMPSD: the predicate is imm8[2:0] (the legacy
 * encodings ignore bits 7:3, as the host does) ---- */
#define CMP_SWITCH(insn, a, b, csr, imm)                  \
	switch ((imm)&7) {                                \
	case 0: HOST_SSE(insn " $0,", a, b, csr); break;  \
	case 1: HOST_SSE(insn " $1,", a, b, csr); break;  \
	case 2: HOST_SSE(insn " $2,", a, b, csr); break;  \
	case 3: HOST_SSE(insn " $3,", a, b, csr); break;  \
	case 4: HOST_SSE(insn " $4,", a, b, csr); break;  \
	case 5: HOST_SSE(insn " $5,", a, b, csr); break;  \
	case 6: HOST_SSE(insn " $6,", a, b, csr); break;  \
	default: HOST_SSE(insn " $7,", a, b, csr); break; \
	}

#define FP_CMP(name, insn, size)                                                           \
	EMU_HANDLER(name)                                                                  \
	{                                                                                  \
		emu_sse_check(c, in);                                                          \
		__m128i b = size == 16 ? emu_sse_W(c, in, true) : emu_sse_Wn(c, in, size); \
		__m128i a = emu_xmm_ld(c, in->reg);                                        \
		uint32_t csr = fp_csr(c);                                                  \
		CMP_SWITCH(insn, a, b, csr, in->imm)                                       \
		fp_flags(c, csr);                                                          \
		emu_xmm_st(c, in->reg, a);                                                 \
	}

FP_CMP(cmpps_VWIb, "cmpps", 16)
FP_CMP(cmppd_VWIb, "cmppd", 16)
FP_CMP(cmpss_VWIb, "cmpss", 4)
FP_CMP(cmpsd_VWIb, "cmpsd", 8)

/* ---- COMISS/COMISD/UCOMISS/UCOMISD: ZF PF CF from the comparison, OF SF
 * AF cleared ---- */
#define FP_COMI(name, insn, size)                                                                          \
	EMU_HANDLER(name)                                                                                  \
	{                                                                                                  \
		emu_sse_check(c, in);                                                                          \
		__m128i b = emu_sse_Wn(c, in, size);                                                       \
		__m128i a = emu_xmm_ld(c, in->reg);                                                        \
		uint32_t csr = fp_csr(c), save_;                                                           \
		bool zf, pf, cf;                                                                           \
		__asm__ volatile("stmxcsr %[sv]\n\tldmxcsr %[mx]\n\t" insn " %[s], %[d]\n\t"               \
				 "stmxcsr %[mx]\n\tldmxcsr %[sv]"                                          \
				 : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf), [mx] "+m"(csr), [sv] "=m"(save_) \
				 : [d] "x"(a), [s] "x"(b));                                                \
		fp_flags(c, csr);                                                                          \
		emu_set_status(c, RFLAGS_OF | RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF,   \
			       (zf ? RFLAGS_ZF : 0) | (pf ? RFLAGS_PF : 0) | (cf ? RFLAGS_CF : 0));        \
	}

FP_COMI(ucomiss_VW, "ucomiss", 4)
FP_COMI(ucomisd_VW, "ucomisd", 8)
FP_COMI(comiss_VW, "comiss", 4)
FP_COMI(comisd_VW, "comisd", 8)

/* ---- CVTSI2SS/CVTSI2SD xmm, r/m32|64 (REX.W) ---- */
#define FP_FROM_GPR(name, insn)                                    \
	EMU_HANDLER(name)                                          \
	{                                                          \
		emu_sse_check(c, in);                                  \
		bool w = in->rex & 8;                              \
		uint64_t v = emu_rm_get(c, in, w ? 8 : 4);         \
		__m128i a = emu_xmm_ld(c, in->reg);                \
		uint32_t csr = fp_csr(c);                          \
		if (w)                                             \
			HOST_SSE_R(insn "q", a, v, csr);           \
		else                                               \
			HOST_SSE_R(insn "l", a, (uint32_t)v, csr); \
		fp_flags(c, csr);                                  \
		emu_xmm_st(c, in->reg, a);                         \
	}

FP_FROM_GPR(cvtsi2ss_VEy, "cvtsi2ss")
FP_FROM_GPR(cvtsi2sd_VEy, "cvtsi2sd")

/* ---- CVT(T)SS2SI / CVT(T)SD2SI r32|64 (REX.W), xmm/m32|m64 ---- */
#define FP_TO_GPR(name, insn, size)                    \
	EMU_HANDLER(name)                              \
	{                                              \
		emu_sse_check(c, in);                      \
		__m128i b = emu_sse_Wn(c, in, size);   \
		uint32_t csr = fp_csr(c);              \
		uint64_t r;                            \
		if (in->rex & 8) {                     \
			HOST_SSE_G(insn, r, b, csr);   \
		} else {                               \
			uint32_t r32;                  \
			HOST_SSE_G(insn, r32, b, csr); \
			r = r32;                       \
		}                                      \
		fp_flags(c, csr);                      \
		c->gpr[in->reg] = r;                   \
	}

FP_TO_GPR(cvtss2si_GyW, "cvtss2si", 4)
FP_TO_GPR(cvttss2si_GyW, "cvttss2si", 4)
FP_TO_GPR(cvtsd2si_GyW, "cvtsd2si", 8)
FP_TO_GPR(cvttsd2si_GyW, "cvttsd2si", 8)

/* ---- conversions with MMX registers: the x87-to-MMX transition happens
 * when an MMX register is read or written (a memory source does not cause
 * it: checked on the host) ---- */

/* NP 0F 2A: CVTPI2PS xmm, mm/m64: two singles into the low half */
EMU_HANDLER(cvtpi2ps_VQ)
{
	emu_sse_check(c, in);
	if (in->mod == 3)
		emu_mmx_pending(c);
	__m128i b = emu_v_q(emu_mmx_Q(c, in, 8), 0), t = _mm_setzero_si128();
	uint32_t csr = fp_csr(c);
	HOST_SSE("cvtdq2ps", t, b, csr);
	fp_flags(c, csr);
	if (in->mod == 3)
		emu_mmx_enter(c);
	emu_xmm_set_q(c, in->reg, 0, emu_v_lo(t));
}
/* 66 0F 2A: CVTPI2PD xmm, mm/m64 (exact) */
EMU_HANDLER(cvtpi2pd_VQ)
{
	emu_sse_check(c, in);
	if (in->mod == 3)
		emu_mmx_pending(c);
	__m128i b = emu_v_q(emu_mmx_Q(c, in, 8), 0), t = _mm_setzero_si128();
	uint32_t csr = fp_csr(c);
	HOST_SSE("cvtdq2pd", t, b, csr);
	fp_flags(c, csr);
	if (in->mod == 3)
		emu_mmx_enter(c);
	emu_xmm_st(c, in->reg, t);
}

/* mm = insn(src) where src holds the two converted elements */
static inline void to_mm(struct emu_cpu *c, const struct emu_insn *in, __m128i t, uint32_t csr)
{
	fp_flags(c, csr);
	emu_mmx_enter(c);
	emu_mm_set(c, in->reg, emu_v_lo(t));
}

/* NP 0F 2D / 2C: CVTPS2PI / CVTTPS2PI mm, xmm/m64 */
EMU_HANDLER(cvtps2pi_PW)
{
	emu_sse_check(c, in);
	emu_mmx_pending(c);
	__m128i b = emu_v_q(emu_v_lo(emu_sse_Wn(c, in, 8)), 0), t = _mm_setzero_si128();
	uint32_t csr = fp_csr(c);
	HOST_SSE("cvtps2dq", t, b, csr);
	to_mm(c, in, t, csr);
}
EMU_HANDLER(cvttps2pi_PW)
{
	emu_sse_check(c, in);
	emu_mmx_pending(c);
	__m128i b = emu_v_q(emu_v_lo(emu_sse_Wn(c, in, 8)), 0), t = _mm_setzero_si128();
	uint32_t csr = fp_csr(c);
	HOST_SSE("cvttps2dq", t, b, csr);
	to_mm(c, in, t, csr);
}
/* 66 0F 2D / 2C: CVTPD2PI / CVTTPD2PI mm, xmm/m128 (aligned) */
EMU_HANDLER(cvtpd2pi_PW)
{
	emu_sse_check(c, in);
	emu_mmx_pending(c);
	__m128i b = emu_sse_W(c, in, true), t = _mm_setzero_si128();
	uint32_t csr = fp_csr(c);
	HOST_SSE("cvtpd2dq", t, b, csr);
	to_mm(c, in, t, csr);
}
EMU_HANDLER(cvttpd2pi_PW)
{
	emu_sse_check(c, in);
	emu_mmx_pending(c);
	__m128i b = emu_sse_W(c, in, true), t = _mm_setzero_si128();
	uint32_t csr = fp_csr(c);
	HOST_SSE("cvttpd2dq", t, b, csr);
	to_mm(c, in, t, csr);
}

/* ---------------- x86-64-v2 ---------------- */

/* Element i of v as a single-precision bit pattern */
static inline uint32_t ps_get(__m128i v, unsigned i)
{
	uint32_t s[4];
	_mm_storeu_si128((__m128i *)(void *)s, v);
	return s[i];
}

/* ADDSUBPS: odd elements a + b, even elements a - b. Each half runs on its
 * own elements with 1.0 in the others (1 + 1 and 1 - 1 raise nothing). */
static __m128i addsub_fn(__m128i a, __m128i b, uint32_t *csr, bool pd)
{
	const __m128i one_s = _mm_set1_epi32(0x3f800000), one_d = _mm_set1_epi64x(0x3ff0000000000000ll);
	const __m128i odd = pd ? _mm_set_epi64x(-1, 0) : _mm_set_epi32(-1, 0, -1, 0);
	const __m128i one = pd ? one_d : one_s;
	__m128i ao = _mm_or_si128(_mm_and_si128(odd, a), _mm_andnot_si128(odd, one));
	__m128i bo = _mm_or_si128(_mm_and_si128(odd, b), _mm_andnot_si128(odd, one));
	__m128i ae = _mm_or_si128(_mm_andnot_si128(odd, a), _mm_and_si128(odd, one));
	__m128i be = _mm_or_si128(_mm_andnot_si128(odd, b), _mm_and_si128(odd, one));
	uint32_t c1 = *csr, c2 = *csr;
	if (pd) {
		HOST_SSE("addpd", ao, bo, c1);
		HOST_SSE("subpd", ae, be, c2);
	} else {
		HOST_SSE("addps", ao, bo, c1);
		HOST_SSE("subps", ae, be, c2);
	}
	*csr = c1 | c2;
	return _mm_or_si128(_mm_and_si128(odd, ao), _mm_andnot_si128(odd, ae));
}
static __m128i fn_addsubps(__m128i a, __m128i b, uint32_t *csr) { return addsub_fn(a, b, csr, false); }
static __m128i fn_addsubpd(__m128i a, __m128i b, uint32_t *csr) { return addsub_fn(a, b, csr, true); }

#define FP_ADDSUB(name, kind)                                         \
	EMU_HANDLER(name##_VW)                                        \
	{                                                             \
		emu_sse_check(c, in);                                     \
		__m128i b = emu_sse_W(c, in, true);                   \
		__m128i a = emu_xmm_ld(c, in->reg);                   \
		uint32_t csr = fp_csr(c);                             \
		__m128i r = fn_##name(a, b, &csr);                    \
		fp_done(c, csr, kind, FO_ADDSUB, a, b, r, fn_##name); \
		emu_xmm_st(c, in->reg, r);                            \
	}
FP_ADDSUB(addsubps, FK_PS)
FP_ADDSUB(addsubpd, FK_PD)

/* HADDPS/HSUBPS: (a0 op a1, a2 op a3, b0 op b1, b2 op b3); the PD forms
 * (a0 op a1, b0 op b1): one host ADD/SUB of the even elements and the odd
 * ones, so every element is the same IEEE operation with its own flags. */
#define FP_HORIZ(name, fn, kind, op, pd)                                                                            \
	EMU_HANDLER(name##_VW)                                                                                      \
	{                                                                                                           \
		emu_sse_check(c, in);                                                                                   \
		__m128i b = emu_sse_W(c, in, true);                                                                 \
		__m128i a = emu_xmm_ld(c, in->reg);                                                                 \
		__m128i x, y;                                                                                       \
		if (pd) {                                                                                           \
			x = _mm_unpacklo_epi64(a, b);                                                               \
			y = _mm_unpackhi_epi64(a, b);                                                               \
		} else {                                                                                            \
			x = _mm_castps_si128(                                                                       \
				_mm_shuffle_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), _MM_SHUFFLE(2, 0, 2, 0))); \
			y = _mm_castps_si128(                                                                       \
				_mm_shuffle_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), _MM_SHUFFLE(3, 1, 3, 1))); \
		}                                                                                                   \
		uint32_t csr = fp_csr(c);                                                                           \
		__m128i r = fn(x, y, &csr);                                                                         \
		fp_done(c, csr, kind, op, x, y, r, fn);                                                             \
		emu_xmm_st(c, in->reg, r);                                                                          \
	}
FP_HORIZ(haddps, fn_addps_VW, FK_PS, FO_ADD, false)
FP_HORIZ(hsubps, fn_subps_VW, FK_PS, FO_SUB, false)
FP_HORIZ(haddpd, fn_addpd_VW, FK_PD, FO_ADD, true)
FP_HORIZ(hsubpd, fn_subpd_VW, FK_PD, FO_SUB, true)

/* DPPS/DPPD: the products selected by imm8[7:4] (others +0.0), summed in
 * pairs (DPPS: (p0 + p1) + (p2 + p3); DPPD: p0 + p1), the sum written to
 * the elements selected by imm8[3:0] (others +0.0). Each multiply and add
 * is a host operation under the guest's MXCSR; the flags of each stage are
 * committed (or #XM raised, destination unchanged) before the next one. */
EMU_HANDLER(dpps_VWIb)
{
	emu_sse_check(c, in);
	__m128i b = emu_sse_W(c, in, true), a = emu_xmm_ld(c, in->reg);
	unsigned imm = (unsigned)in->imm & 0xff;
	__m128i sel = _mm_set_epi32(imm & 0x80 ? -1 : 0, imm & 0x40 ? -1 : 0, imm & 0x20 ? -1 : 0, imm & 0x10 ? -1 : 0);
	__m128i as = _mm_and_si128(a, sel), bs = _mm_and_si128(b, sel);
	uint32_t csr = fp_csr(c);
	__m128i p = fn_mulps_VW(as, bs, &csr); /* unselected: 0 * 0 = +0, no flags */
	fp_done(c, csr, FK_PS, FO_MUL, as, bs, p, fn_mulps_VW);
	/* (p0, p2) + (p1, p3) in the low two elements */
	__m128i x = _mm_castps_si128(_mm_shuffle_ps(_mm_castsi128_ps(p), _mm_setzero_ps(), _MM_SHUFFLE(0, 0, 2, 0)));
	__m128i y = _mm_castps_si128(_mm_shuffle_ps(_mm_castsi128_ps(p), _mm_setzero_ps(), _MM_SHUFFLE(0, 0, 3, 1)));
	csr = fp_csr(c);
	__m128i s = fn_addps_VW(x, y, &csr);
	fp_done(c, csr, FK_PS, FO_ADD, x, y, s, fn_addps_VW);
	__m128i s1 = _mm_srli_si128(s, 4);
	__m128i t = s;
	csr = fp_csr(c);
	HOST_SSE("addss", t, s1, csr);
	fp_done(c, csr, FK_SS, FO_ADD, s, s1, t, NULL);
	uint32_t v = ps_get(t, 0);
	__m128i r = _mm_set_epi32(imm & 8 ? (int)v : 0, imm & 4 ? (int)v : 0, imm & 2 ? (int)v : 0,
				  imm & 1 ? (int)v : 0);
	emu_xmm_st(c, in->reg, r);
}

EMU_HANDLER(dppd_VWIb)
{
	emu_sse_check(c, in);
	__m128i b = emu_sse_W(c, in, true), a = emu_xmm_ld(c, in->reg);
	unsigned imm = (unsigned)in->imm & 0xff;
	__m128i sel = _mm_set_epi64x(imm & 0x20 ? -1 : 0, imm & 0x10 ? -1 : 0);
	__m128i as = _mm_and_si128(a, sel), bs = _mm_and_si128(b, sel);
	uint32_t csr = fp_csr(c);
	__m128i p = fn_mulpd_VW(as, bs, &csr);
	fp_done(c, csr, FK_PD, FO_MUL, as, bs, p, fn_mulpd_VW);
	__m128i p1 = _mm_unpackhi_epi64(p, _mm_setzero_si128());
	__m128i t = p;
	csr = fp_csr(c);
	HOST_SSE("addsd", t, p1, csr);
	fp_done(c, csr, FK_SD, FO_ADD, p, p1, t, NULL);
	uint64_t v = emu_v_lo(t);
	emu_xmm_st(c, in->reg, emu_v_q(imm & 1 ? v : 0, imm & 2 ? v : 0));
}

/*
 * ROUNDPS/PD/SS/SD: round to an integral value in the same format. The
 * rounding is imm8[1:0] (nearest even, down, up, toward zero), or MXCSR.RC
 * when imm8[2] is set; imm8[3] suppresses the precision exception. An SNaN
 * gives its QNaN and IE; a denormal is zero under DAZ (no DE either way);
 * an inexact result raises PE. Computed on the bit patterns: mant/exponent
 * split, integer shift, round by the discarded bits, back to the format.
 */
static uint64_t round_bits(uint64_t x, unsigned mbits, unsigned ebits, unsigned rc, bool daz, uint32_t *fl)
{
	uint64_t sign = x >> (mbits + ebits), emax = (1u << ebits) - 1, bias = emax >> 1;
	uint64_t e = (x >> mbits) & emax, m = x & ((1ull << mbits) - 1);
	uint64_t sbit = sign << (mbits + ebits);
	if (e == emax) { /* infinity or NaN */
		if (m && !(m >> (mbits - 1))) {
			*fl |= MXCSR_IE; /* SNaN: quieted */
			return x | (1ull << (mbits - 1));
		}
		return x;
	}
	if (e == 0 && (daz || !m))
		return sbit; /* zero, or a denormal under DAZ */
	if (e >= bias + mbits)
		return x; /* already integral */
	uint64_t mant = e ? m | (1ull << mbits) : m;
	uint64_t ee = e ? e : 1;            /* value = mant * 2^(ee - bias - mbits) */
	uint64_t shift = bias + mbits - ee; /* fraction bits, >= 1 */
	uint64_t q, rem, half;
	bool above, at_half;
	if (shift >= 64) {
		q = 0;
		rem = 1; /* nonzero, below one half */
		above = at_half = false;
	} else {
		q = mant >> shift;
		rem = mant & ((1ull << shift) - 1);
		half = 1ull << (shift - 1);
		above = rem > half;
		at_half = rem == half;
	}
	if (!rem)
		return x;
	*fl |= MXCSR_PE;
	bool up; /* magnitude rounds away from zero */
	switch (rc) {
	case 0: up = above || (at_half && (q & 1)); break;
	case 1: up = sign; break;
	case 2: up = !sign; break;
	default: up = false; break;
	}
	q += up;
	if (!q)
		return sbit;
	/* q is an integer below 2^(mbits + 1): normalise it into the format */
	unsigned top = 63 - (unsigned)__builtin_clzll(q);
	uint64_t re = bias + top, rm = (q << (mbits - top)) & ((1ull << mbits) - 1);
	return sbit | (re << mbits) | rm;
}

static inline unsigned round_rc(const struct emu_cpu *c, unsigned imm)
{
	return (imm & 4) ? (c->s.fpu.mxcsr >> 13) & 3 : imm & 3;
}

/* The flags of a rounding: PE dropped under imm8[3]; commit or #XM/#UD */
static void round_done(struct emu_cpu *c, unsigned imm, uint32_t fl)
{
	if (imm & 8)
		fl &= ~MXCSR_PE;
	fp_flags(c, fl);
}

EMU_HANDLER(roundps_VWIb)
{
	emu_sse_check(c, in);
	uint32_t v[4], fl = 0;
	unsigned imm = (unsigned)in->imm & 0xff, rc = round_rc(c, imm);
	bool daz = c->s.fpu.mxcsr & MXCSR_DAZ;
	_mm_storeu_si128((__m128i *)(void *)v, emu_sse_W(c, in, true));
	for (unsigned i = 0; i < 4; i++)
		v[i] = (uint32_t)round_bits(v[i], 23, 8, rc, daz, &fl);
	round_done(c, imm, fl);
	memcpy(c->s.fpu.xmm[in->reg], v, 16);
}
EMU_HANDLER(roundpd_VWIb)
{
	emu_sse_check(c, in);
	uint64_t v[2];
	uint32_t fl = 0;
	unsigned imm = (unsigned)in->imm & 0xff, rc = round_rc(c, imm);
	bool daz = c->s.fpu.mxcsr & MXCSR_DAZ;
	_mm_storeu_si128((__m128i *)(void *)v, emu_sse_W(c, in, true));
	for (unsigned i = 0; i < 2; i++)
		v[i] = round_bits(v[i], 52, 11, rc, daz, &fl);
	round_done(c, imm, fl);
	memcpy(c->s.fpu.xmm[in->reg], v, 16);
}
EMU_HANDLER(roundss_VWIb)
{
	emu_sse_check(c, in);
	uint32_t fl = 0;
	unsigned imm = (unsigned)in->imm & 0xff, rc = round_rc(c, imm);
	uint32_t v = ps_get(emu_sse_Wn(c, in, 4), 0);
	v = (uint32_t)round_bits(v, 23, 8, rc, c->s.fpu.mxcsr & MXCSR_DAZ, &fl);
	round_done(c, imm, fl);
	memcpy(c->s.fpu.xmm[in->reg], &v, 4);
}
EMU_HANDLER(roundsd_VWIb)
{
	emu_sse_check(c, in);
	uint32_t fl = 0;
	unsigned imm = (unsigned)in->imm & 0xff, rc = round_rc(c, imm);
	uint64_t v = emu_v_lo(emu_sse_Wn(c, in, 8));
	v = round_bits(v, 52, 11, rc, c->s.fpu.mxcsr & MXCSR_DAZ, &fl);
	round_done(c, imm, fl);
	memcpy(c->s.fpu.xmm[in->reg], &v, 8);
}
