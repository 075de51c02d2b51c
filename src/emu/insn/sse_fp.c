/*
 * sse_fp.c - SSE/SSE2 floating point: ADD SUB MUL DIV SQRT MIN MAX (PS PD SS
 * SD), RCPPS/RCPSS, RSQRTPS/RSQRTSS, CMPPS/PD/SS/SD (predicates 0-7),
 * COMISS/COMISD/UCOMISS/UCOMISD, and every CVT* conversion (packed, scalar,
 * to and from GPRs and MMX registers); of x86-64-v2: SSE3 ADDSUBPS/PD and
 * HADDPS/PD/HSUBPS/PD (the same host additions on rearranged operands),
 * SSE4.1 DPPS/DPPD (host multiplies and additions, stage by stage) and
 * ROUNDPS/PD/SS/SD (computed in integer arithmetic: no host SSE4.1 needed);
 * and their AVX (VEX) forms, x86-64-v3 (rows in opcodes_avx_fp.def): the
 * first source is VEX.vvvv (scalar forms take bits 127:32|64 from it),
 * VEX.128 and scalar forms zero bits 255:128, VEX.256 runs the 128-bit
 * operation on both lanes (the width-changing conversions split or join
 * the lanes), VCMPxx has 32 predicates, and no VEX form checks alignment.
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
 * raises UE too. A VEX.256 form reports the exceptions of the elements of
 * both lanes together by these rules (both lanes are computed before
 * anything is committed). Not modelled: a result tiny before rounding that rounds
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

/* The operands and results of one instruction, lane by lane: one lane for
 * the legacy and VEX.128 forms, two for VEX.256 (the CPU reports the
 * exceptions of all elements of both lanes together, and writes nothing
 * when one is unmasked, so both lanes are computed before anything is
 * committed). */
struct fp_lanes {
	unsigned n;         /* 1 or 2 */
	__m128i a[2], b[2]; /* the operands of fn */
	__m128i r[2];       /* fn(a, b) */
	uint32_t f[2];      /* the flags fn raised in each lane */
};

/* Some exception is unmasked, or UE is (an exact tiny result needs a look):
 * commit the flags or raise #XM/#UD. */
static __attribute__((noinline)) void fp_slow(struct emu_cpu *c, const struct fp_lanes *L, enum fp_kind k,
					      enum fp_op op, fp_fn *fn)
{
	const uint32_t pre = MXCSR_IE | MXCSR_DE | MXCSR_ZE;
	uint32_t unm = ~(c->s.fpu.mxcsr >> 7) & MXCSR_FLAGS;
	uint32_t f = L->f[0] | (L->n > 1 ? L->f[1] : 0);
	if (f & unm & pre) {
		/* no post-computation step: the pre-computation flags of all elements */
		c->s.fpu.mxcsr |= f & pre;
		raise_xm(c);
	}
	unsigned n = k == FK_PS ? 4 : (k == FK_PD || k == FK_PS2) ? 2 : 1;
	if (k != FK_NONE) {
		f &= pre;
		for (unsigned l = 0; l < L->n; l++) {
			if (n == 1 || !fn) {
				f |= elem_post(c, L->f[l], unm, k, op, L->a[l], L->b[l], L->r[l], 0);
				continue;
			}
			for (unsigned i = 0; i < n; i++) {
				uint32_t csr = fp_csr(c);
				__m128i ai = keep_elem(L->a[l], k, i), bi = keep_elem(L->b[l], k, i);
				__m128i ri = fn(ai, bi, &csr);
				f |= elem_post(c, csr & MXCSR_FLAGS, unm, k, op, ai, bi, ri, i);
			}
		}
	}
	c->s.fpu.mxcsr |= f;
	if (f & unm)
		raise_xm(c);
}

/* After the host operations of every lane: commit their flags or raise
 * #XM/#UD. */
static inline void fp_done_lanes(struct emu_cpu *c, const struct fp_lanes *L, enum fp_kind k, enum fp_op op, fp_fn *fn)
{
	uint32_t f = (L->f[0] | (L->n > 1 ? L->f[1] : 0)) & MXCSR_FLAGS;
	uint32_t unm = ~(c->s.fpu.mxcsr >> 7) & MXCSR_FLAGS;
	if (__builtin_expect(!(f & unm) && !(unm & MXCSR_UE && k != FK_NONE), 1)) {
		c->s.fpu.mxcsr |= f;
		return;
	}
	fp_slow(c, L, k, op, fn);
}

/* The same for one lane: fn(a, b) = r raised the flags in csr. */
static inline void fp_done(struct emu_cpu *c, uint32_t csr, enum fp_kind k, enum fp_op op, __m128i a, __m128i b,
			   __m128i r, fp_fn *fn)
{
	struct fp_lanes L = { .n = 1, .a = { a }, .b = { b }, .r = { r }, .f = { csr & MXCSR_FLAGS } };
	fp_done_lanes(c, &L, k, op, fn);
}

/* Flags of an operation that has no OE/UE rules. */
static inline void fp_flags(struct emu_cpu *c, uint32_t csr)
{
	__m128i z = _mm_setzero_si128();
	fp_done(c, csr, FK_NONE, FO_NONE, z, z, z, NULL);
}

/* The operands of each lane: a = the first source (the destination
 * register, or VEX.vvvv), b = xmm/m128 (size 16: the 16-byte alignment
 * rule of the legacy form; VEX forms have none) or xmm/m32|m64 (size 4 or
 * 8: a scalar, no alignment rule). */
static inline void fp_load(struct emu_cpu *c, const struct emu_insn *in, struct fp_lanes *L, unsigned size)
{
	L->f[0] = L->f[1] = 0;
	L->r[0] = L->r[1] = _mm_setzero_si128(); /* every lane sets its own (the compiler cannot see n >= 1) */
	if (__builtin_expect(!in->vex, 1)) {     /* legacy: one lane, no lane set-up */
		L->n = 1;
		L->b[0] = size == 16 ? emu_sse_W(c, in, true) : emu_sse_Wn(c, in, size);
		L->a[0] = emu_xmm_ld(c, in->reg);
		return;
	}
	L->n = 0;
	EMU_VEX_LANES(c, in, ACC_R)
	{
		L->b[L->n] = size == 16 ? emu_sse_W(c, in, true) : emu_sse_Wn(c, in, size);
		L->a[L->n] = emu_sse_A(c, in);
		L->n++;
	}
}

/* The destination ModRM.reg gets r[0] (and r[1] in bits 255:128 for two
 * lanes); any other VEX form (128-bit, scalar) zeroes bits 255:128, a
 * legacy form leaves them alone. */
static inline void fp_store(struct emu_cpu *c, const struct emu_insn *in, const __m128i *r, unsigned n)
{
	emu_xmm_st(c, in->reg, r[0]);
	if (n == 2)
		_mm_storeu_si128((__m128i *)(void *)c->s.fpu.ymmh[in->reg & 15], r[1]);
	else if (in->vex)
		emu_ymmh_zero(c, in->reg);
}

/* dst = fn(a, b) in each lane: the packed forms (LANE rows), the scalar
 * forms (3-operand under VEX: bits 127:32|64 from VEX.vvvv) and the
 * conversions that keep the element count and width */
static inline __attribute__((always_inline)) void fp_binop(struct emu_cpu *c, const struct emu_insn *in, unsigned size,
							   enum fp_kind k, enum fp_op op, fp_fn *fn)
{
	emu_sse_check(c, in);
	struct fp_lanes L;
	fp_load(c, in, &L, size);
	for (unsigned l = 0; l < L.n; l++) {
		uint32_t csr = fp_csr(c);
		L.r[l] = fn(L.a[l], L.b[l], &csr);
		L.f[l] = csr & MXCSR_FLAGS;
	}
	fp_done_lanes(c, &L, k, op, fn);
	fp_store(c, in, L.r, L.n);
}

/* xmm = op(xmm, xmm/m128), memory 16-byte aligned (legacy forms) */
#define FP_PACKED(name, insn, kind, op) \
	DEF_FN(fn_##name, insn)         \
	EMU_HANDLER(name) { fp_binop(c, in, 16, kind, op, fn_##name); }

/* xmm = op(xmm, xmm/m32 or xmm/m64): scalar operations and the conversions
 * that read 64 bits; no alignment rule */
#define FP_SMALL(name, insn, size, kind, op) \
	DEF_FN(fn_##name, insn)              \
	EMU_HANDLER(name) { fp_binop(c, in, size, kind, op, fn_##name); }

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
 * (sse_rcp.c); no exceptions, MXCSR not used. The scalar forms keep bits
 * 127:32 of the first source (VEX: VEX.vvvv). */
#define FP_APPROX(name, fn, packed)                                                 \
	EMU_HANDLER(name)                                                           \
	{                                                                           \
		emu_sse_check(c, in);                                               \
		struct fp_lanes L;                                                  \
		fp_load(c, in, &L, packed ? 16 : 4);                                \
		for (unsigned l = 0; l < L.n; l++) {                                \
			uint32_t v[4], s[4];                                        \
			_mm_storeu_si128((__m128i *)(void *)v, L.a[l]);             \
			_mm_storeu_si128((__m128i *)(void *)s, L.b[l]);             \
			for (unsigned i = 0; i < (packed ? 4u : 1u); i++)           \
				v[i] = fn(s[i]);                                    \
			L.r[l] = _mm_loadu_si128((const __m128i *)(const void *)v); \
		}                                                                   \
		fp_store(c, in, L.r, L.n);                                          \
	}

FP_APPROX(rsqrtps_VW, emu_rsqrt_f32, 1)
FP_APPROX(rsqrtss_VW, emu_rsqrt_f32, 0)
FP_APPROX(rcpps_VW, emu_rcp_f32, 1)
FP_APPROX(rcpss_VW, emu_rcp_f32, 0)

/* 0F 5A / 5B / E6: conversions between XMM formats */
FP_SMALL(cvtss2sd_VW, "cvtss2sd", 4, FK_NONE, FO_NONE)
FP_SMALL(cvtsd2ss_VW, "cvtsd2ss", 8, FK_SS, FO_CVT)
FP_PACKED(cvtdq2ps_VW, "cvtdq2ps", FK_NONE, FO_NONE)
FP_PACKED(cvtps2dq_VW, "cvtps2dq", FK_NONE, FO_NONE)
FP_PACKED(cvttps2dq_VW, "cvttps2dq", FK_NONE, FO_NONE)

/* CVTPS2PD / CVTDQ2PD xmm, xmm/m64: two elements to two doubles; VEX.256
 * (ymm, xmm/m128): four, the low two into lane 0, the high two into lane 1 */
#define FP_WIDEN(name, insn)                                       \
	DEF_FN(fn_##name, insn)                                    \
	EMU_HANDLER(name)                                          \
	{                                                          \
		emu_sse_check(c, in);                              \
		struct fp_lanes L = { .n = 1 };                    \
		if (in->vex & EMU_VEX_L) {                         \
			__m128i s = emu_sse_W(c, in, false);       \
			L.n = 2;                                   \
			L.b[0] = s;                                \
			L.b[1] = _mm_unpackhi_epi64(s, s);         \
		} else {                                           \
			L.b[0] = emu_sse_Wn(c, in, 8);             \
		}                                                  \
		for (unsigned l = 0; l < L.n; l++) {               \
			uint32_t csr = fp_csr(c);                  \
			L.a[l] = _mm_setzero_si128();              \
			L.r[l] = fn_##name(L.a[l], L.b[l], &csr);  \
			L.f[l] = csr & MXCSR_FLAGS;                \
		}                                                  \
		fp_done_lanes(c, &L, FK_NONE, FO_NONE, fn_##name); \
		fp_store(c, in, L.r, L.n);                         \
	}
FP_WIDEN(cvtps2pd_VW, "cvtps2pd")
FP_WIDEN(cvtdq2pd_VW, "cvtdq2pd")

/* CVTPD2PS / CVTPD2DQ / CVTTPD2DQ xmm, xmm/m128: two doubles to two
 * elements in the low half, the high half zero; VEX.256 (xmm, ymm/m256,
 * read lane by lane: the rows are flagged LANE): four into the xmm */
#define FP_NARROW(name, insn, kind, op)                                             \
	DEF_FN(fn_##name, insn)                                                     \
	EMU_HANDLER(name)                                                           \
	{                                                                           \
		emu_sse_check(c, in);                                               \
		struct fp_lanes L;                                                  \
		fp_load(c, in, &L, 16);                                             \
		for (unsigned l = 0; l < L.n; l++) {                                \
			uint32_t csr = fp_csr(c);                                   \
			L.r[l] = fn_##name(L.a[l], L.b[l], &csr);                   \
			L.f[l] = csr & MXCSR_FLAGS;                                 \
		}                                                                   \
		fp_done_lanes(c, &L, kind, op, fn_##name);                          \
		__m128i r = L.n == 2 ? _mm_unpacklo_epi64(L.r[0], L.r[1]) : L.r[0]; \
		fp_store(c, in, &r, 1);                                             \
	}
FP_NARROW(cvtpd2ps_VW, "cvtpd2ps", FK_PS2, FO_CVT)
FP_NARROW(cvtpd2dq_VW, "cvtpd2dq", FK_NONE, FO_NONE)
FP_NARROW(cvttpd2dq_VW, "cvttpd2dq", FK_NONE, FO_NONE)

/* ---- CMPPS/CMPPD/CMPSS/CMPSD: the predicate is imm8[2:0] for the legacy
 * encodings (bits 7:3 ignored, as the host does), imm8[4:0] under VEX
 * (AVX's 32 predicates, SDM vol. 2 CMPPS table 3-1). Predicates 0-7 are
 * the host's own; 8-31 are a relation mask over {GT, LT, EQ, UN} built from
 * the host's LT (signalling), EQ and UNORD (quiet) results, with the flags
 * of the signalling compare (IE on any NaN) for the signalling predicates
 * and of the quiet one (IE on SNaN only) otherwise. DE and DAZ as the
 * host's compares have them. ---- */
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

/* Relations true for predicate p & 15: GT 1, LT 2, EQ 4, UN 8 */
static const uint8_t cmp_rel[16] = { 4, 2, 6, 8, 11, 13, 9, 7, 12, 10, 14, 0, 3, 5, 1, 15 };
/* Signalling predicates (IE for a QNaN operand too): 1 2 5 6 9 10 13 14,
 * and 16-31 with the opposite sense */
static inline bool cmp_signals(unsigned p) { return (((p & 3) == 1 || (p & 3) == 2) != ((p & 16) != 0)); }

static __m128i cmp_combine(unsigned p, __m128i lt, __m128i eq, __m128i un)
{
	unsigned m = cmp_rel[p & 15];
	__m128i z = _mm_setzero_si128(), ones = _mm_cmpeq_epi32(z, z);
	__m128i gt = _mm_andnot_si128(_mm_or_si128(_mm_or_si128(lt, eq), un), ones);
	return _mm_or_si128(_mm_or_si128(m & 1 ? gt : z, m & 2 ? lt : z), _mm_or_si128(m & 4 ? eq : z, m & 8 ? un : z));
}

/* size: 16 packed, 4 or 8 scalar (bits above the element from a) */
#define FP_CMP(name, insn, size)                                                                         \
	EMU_HANDLER(name)                                                                                \
	{                                                                                                \
		emu_sse_check(c, in);                                                                    \
		struct fp_lanes L;                                                                       \
		fp_load(c, in, &L, size);                                                                \
		unsigned p = (unsigned)in->imm & (in->vex ? 31 : 7);                                     \
		uint32_t fl = 0;                                                                         \
		for (unsigned l = 0; l < L.n; l++) {                                                     \
			__m128i a = L.a[l], b = L.b[l];                                                  \
			uint32_t csr = fp_csr(c);                                                        \
			if (p < 8) {                                                                     \
				CMP_SWITCH(insn, a, b, csr, p)                                           \
				L.r[l] = a;                                                              \
			} else {                                                                         \
				__m128i lt = a, eq = a, un = a;                                          \
				uint32_t cs = csr, cq = csr;                                             \
				HOST_SSE(insn " $1,", lt, b, cs);                                        \
				HOST_SSE(insn " $0,", eq, b, cq);                                        \
				HOST_SSE(insn " $3,", un, b, csr);                                       \
				csr = cmp_signals(p) ? cs : cq;                                          \
				__m128i r = cmp_combine(p, lt, eq, un);                                  \
				if (size != 16) {                                                        \
					__m128i lo = size == 4 ? _mm_set_epi32(0, 0, 0, -1)              \
							       : _mm_set_epi32(0, 0, -1, -1);            \
					r = _mm_or_si128(_mm_and_si128(lo, r), _mm_andnot_si128(lo, a)); \
				}                                                                        \
				L.r[l] = r;                                                              \
			}                                                                                \
			fl |= csr & MXCSR_FLAGS;                                                         \
		}                                                                                        \
		fp_flags(c, fl);                                                                         \
		fp_store(c, in, L.r, L.n);                                                               \
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
		emu_sse_check(c, in);                                                                      \
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

/* REX.W / VEX.W: a 64-bit integer operand. VEX.W is ignored outside
 * 64-bit mode (SDM vol. 2, VCVTSI2SS: "VEX.W1 in non-64 bit is ignored"). */
static inline bool fp_w64(const struct emu_insn *in) { return (in->rex & 8) && !(in->seg & EMU_SEG_LEG); }

/* ---- CVTSI2SS/CVTSI2SD xmm, r/m32|64 (REX.W); VEX: xmm1, xmm2, r/m32|64
 * (VEX.W), bits 127:32|64 from xmm2 ---- */
#define FP_FROM_GPR(name, insn)                                    \
	EMU_HANDLER(name)                                          \
	{                                                          \
		emu_sse_check(c, in);                              \
		bool w = fp_w64(in);                               \
		uint64_t v = emu_rm_get(c, in, w ? 8 : 4);         \
		__m128i a = emu_sse_A(c, in);                      \
		uint32_t csr = fp_csr(c);                          \
		if (w)                                             \
			HOST_SSE_R(insn "q", a, v, csr);           \
		else                                               \
			HOST_SSE_R(insn "l", a, (uint32_t)v, csr); \
		fp_flags(c, csr);                                  \
		fp_store(c, in, &a, 1);                            \
	}

FP_FROM_GPR(cvtsi2ss_VEy, "cvtsi2ss")
FP_FROM_GPR(cvtsi2sd_VEy, "cvtsi2sd")

/* ---- CVT(T)SS2SI / CVT(T)SD2SI r32|64 (REX.W or VEX.W), xmm/m32|m64 ---- */
#define FP_TO_GPR(name, insn, size)                    \
	EMU_HANDLER(name)                              \
	{                                              \
		emu_sse_check(c, in);                  \
		__m128i b = emu_sse_Wn(c, in, size);   \
		uint32_t csr = fp_csr(c);              \
		uint64_t r;                            \
		if (fp_w64(in)) {                      \
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

/* Element i of a single-precision bit pattern */
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

EMU_HANDLER(addsubps_VW) { fp_binop(c, in, 16, FK_PS, FO_ADDSUB, fn_addsubps); }
EMU_HANDLER(addsubpd_VW) { fp_binop(c, in, 16, FK_PD, FO_ADDSUB, fn_addsubpd); }

/* HADDPS/HSUBPS: (a0 op a1, a2 op a3, b0 op b1, b2 op b3); the PD forms
 * (a0 op a1, b0 op b1): one host ADD/SUB of the even elements and the odd
 * ones, so every element is the same IEEE operation with its own flags.
 * VEX.256: the same in each lane. */
static inline __attribute__((always_inline)) void fp_horiz(struct emu_cpu *c, const struct emu_insn *in, enum fp_kind k,
							   enum fp_op op, fp_fn *fn)
{
	emu_sse_check(c, in);
	struct fp_lanes L;
	fp_load(c, in, &L, 16);
	for (unsigned l = 0; l < L.n; l++) {
		__m128i a = L.a[l], b = L.b[l];
		if (k == FK_PD) {
			L.a[l] = _mm_unpacklo_epi64(a, b);
			L.b[l] = _mm_unpackhi_epi64(a, b);
		} else {
			L.a[l] = _mm_castps_si128(
				_mm_shuffle_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), _MM_SHUFFLE(2, 0, 2, 0)));
			L.b[l] = _mm_castps_si128(
				_mm_shuffle_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), _MM_SHUFFLE(3, 1, 3, 1)));
		}
		uint32_t csr = fp_csr(c);
		L.r[l] = fn(L.a[l], L.b[l], &csr);
		L.f[l] = csr & MXCSR_FLAGS;
	}
	fp_done_lanes(c, &L, k, op, fn);
	fp_store(c, in, L.r, L.n);
}
EMU_HANDLER(haddps_VW) { fp_horiz(c, in, FK_PS, FO_ADD, fn_addps_VW); }
EMU_HANDLER(hsubps_VW) { fp_horiz(c, in, FK_PS, FO_SUB, fn_subps_VW); }
EMU_HANDLER(haddpd_VW) { fp_horiz(c, in, FK_PD, FO_ADD, fn_addpd_VW); }
EMU_HANDLER(hsubpd_VW) { fp_horiz(c, in, FK_PD, FO_SUB, fn_subpd_VW); }

/* One stage of DPPS/DPPD in every lane: r = fn(a, b), flags committed (or
 * #XM raised, destination unchanged) before the next stage. */
static void dp_stage(struct emu_cpu *c, struct fp_lanes *L, enum fp_kind k, enum fp_op op, fp_fn *fn)
{
	for (unsigned l = 0; l < L->n; l++) {
		uint32_t csr = fp_csr(c);
		L->r[l] = fn(L->a[l], L->b[l], &csr);
		L->f[l] = csr & MXCSR_FLAGS;
	}
	fp_done_lanes(c, L, k, op, fn);
}
DEF_FN(fn_addss1, "addss")
DEF_FN(fn_addsd1, "addsd")

/* DPPS/DPPD: the products selected by imm8[7:4] (others +0.0), summed in
 * pairs (DPPS: (p0 + p1) + (p2 + p3); DPPD: p0 + p1), the sum written to
 * the elements selected by imm8[3:0] (others +0.0). Each multiply and add
 * is a host operation under the guest's MXCSR; each stage (of both lanes
 * for VEX.256 VDPPS) is committed before the next one. */
EMU_HANDLER(dpps_VWIb)
{
	emu_sse_check(c, in);
	struct fp_lanes L;
	fp_load(c, in, &L, 16);
	unsigned imm = (unsigned)in->imm & 0xff;
	__m128i sel = _mm_set_epi32(imm & 0x80 ? -1 : 0, imm & 0x40 ? -1 : 0, imm & 0x20 ? -1 : 0, imm & 0x10 ? -1 : 0);
	for (unsigned l = 0; l < L.n; l++) {
		L.a[l] = _mm_and_si128(L.a[l], sel);
		L.b[l] = _mm_and_si128(L.b[l], sel);
	}
	dp_stage(c, &L, FK_PS, FO_MUL, fn_mulps_VW); /* unselected: 0 * 0 = +0, no flags */
	/* (p0, p2) + (p1, p3) in the low two elements */
	for (unsigned l = 0; l < L.n; l++) {
		__m128 p = _mm_castsi128_ps(L.r[l]);
		L.a[l] = _mm_castps_si128(_mm_shuffle_ps(p, _mm_setzero_ps(), _MM_SHUFFLE(0, 0, 2, 0)));
		L.b[l] = _mm_castps_si128(_mm_shuffle_ps(p, _mm_setzero_ps(), _MM_SHUFFLE(0, 0, 3, 1)));
	}
	dp_stage(c, &L, FK_PS, FO_ADD, fn_addps_VW);
	for (unsigned l = 0; l < L.n; l++) {
		L.a[l] = L.r[l];
		L.b[l] = _mm_srli_si128(L.r[l], 4);
	}
	dp_stage(c, &L, FK_SS, FO_ADD, fn_addss1);
	for (unsigned l = 0; l < L.n; l++) {
		int v = (int)ps_get(L.r[l], 0);
		L.r[l] = _mm_set_epi32(imm & 8 ? v : 0, imm & 4 ? v : 0, imm & 2 ? v : 0, imm & 1 ? v : 0);
	}
	fp_store(c, in, L.r, L.n);
}

/* DPPD (VEX.128 only) */
EMU_HANDLER(dppd_VWIb)
{
	emu_sse_check(c, in);
	struct fp_lanes L;
	fp_load(c, in, &L, 16);
	unsigned imm = (unsigned)in->imm & 0xff;
	__m128i sel = _mm_set_epi64x(imm & 0x20 ? -1 : 0, imm & 0x10 ? -1 : 0);
	L.a[0] = _mm_and_si128(L.a[0], sel);
	L.b[0] = _mm_and_si128(L.b[0], sel);
	dp_stage(c, &L, FK_PD, FO_MUL, fn_mulpd_VW);
	L.a[0] = L.r[0];
	L.b[0] = _mm_unpackhi_epi64(L.r[0], _mm_setzero_si128());
	dp_stage(c, &L, FK_SD, FO_ADD, fn_addsd1);
	uint64_t v = emu_v_lo(L.r[0]);
	__m128i r = emu_v_q(imm & 1 ? v : 0, imm & 2 ? v : 0);
	fp_store(c, in, &r, 1);
}

/*
 * ROUNDPS/PD/SS/SD: round to an integral value in the same format. The
 * rounding is imm8[1:0] (nearest even, down, up, toward zero), or MXCSR.RC
 * when imm8[2] is set; imm8[3] suppresses the precision exception. An SNaN
 * gives its QNaN and IE; a denormal is zero under DAZ (no DE either way);
 * an inexact result raises PE. Computed on the bit patterns: mant/exponent
 * split, integer shift, round by the discarded bits, back to the format.
 * The scalar forms keep bits 127:32|64 of the first source (VEX.vvvv).
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

/* single: 4 singles (1 for a scalar) in each lane, else doubles */
static inline __attribute__((always_inline)) void fp_round(struct emu_cpu *c, const struct emu_insn *in, bool single,
							   bool scalar)
{
	emu_sse_check(c, in);
	struct fp_lanes L;
	fp_load(c, in, &L, scalar ? (single ? 4 : 8) : 16);
	uint32_t fl = 0;
	unsigned imm = (unsigned)in->imm & 0xff, rc = round_rc(c, imm);
	bool daz = c->s.fpu.mxcsr & MXCSR_DAZ;
	for (unsigned l = 0; l < L.n; l++) {
		uint8_t v[16], s[16];
		_mm_storeu_si128((__m128i *)(void *)v, L.a[l]);
		_mm_storeu_si128((__m128i *)(void *)s, L.b[l]);
		unsigned n = scalar ? 1 : single ? 4 : 2;
		for (unsigned i = 0; i < n; i++) {
			if (single) {
				uint32_t x;
				memcpy(&x, s + 4 * i, 4);
				x = (uint32_t)round_bits(x, 23, 8, rc, daz, &fl);
				memcpy(v + 4 * i, &x, 4);
			} else {
				uint64_t x;
				memcpy(&x, s + 8 * i, 8);
				x = round_bits(x, 52, 11, rc, daz, &fl);
				memcpy(v + 8 * i, &x, 8);
			}
		}
		L.r[l] = _mm_loadu_si128((const __m128i *)(const void *)v);
	}
	if (imm & 8)
		fl &= ~MXCSR_PE;
	fp_flags(c, fl);
	fp_store(c, in, L.r, L.n);
}

EMU_HANDLER(roundps_VWIb) { fp_round(c, in, true, false); }
EMU_HANDLER(roundpd_VWIb) { fp_round(c, in, false, false); }
EMU_HANDLER(roundss_VWIb) { fp_round(c, in, true, true); }
EMU_HANDLER(roundsd_VWIb) { fp_round(c, in, false, true); }
