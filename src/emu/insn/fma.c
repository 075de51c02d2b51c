/*
 * fma.c - FMA3 (VFMADD/VFMSUB/VFNMADD/VFNMSUB 132/213/231 PS/PD/SS/SD,
 * VFMADDSUB/VFMSUBADD 132/213/231 PS/PD) and F16C (VCVTPH2PS, VCVTPS2PH),
 * computed in software on the bit patterns, so results and flags are the
 * same on any host (the host's FMA would need a runtime check and could
 * not be the only path anyway).
 *
 * The fused multiply-add: the product a * b is exact (at most 106 bits),
 * the addend is aligned to it in a 128-bit window with the bits shifted
 * out jammed into a sticky bit, and the exact sum is rounded once.
 *
 * Behaviour (SDM vol. 1 14.5, vol. 2 VFMADD*; each rule checked on an AMD
 * Zen 4 by tests/unit/test_emu_avxfp.c):
 *  - operand roles: 132: dst = dst * src3 + src2; 213: dst = src2 * dst +
 *    src3; 231: dst = src2 * src3 + dst (src2 = VEX.vvvv, src3 = r/m).
 *    W0 = single, W1 = double. FMSUB negates the addend, FNMADD the
 *    product, FNMSUB both; FMADDSUB adds in odd elements and subtracts in
 *    even ones, FMSUBADD the reverse.
 *  - NaN operands: the result is the first NaN of (multiplicand a,
 *    multiplicand b, addend c) in the roles above, quieted, never negated;
 *    IE when any of them is an SNaN; no DE; 0 * inf + QNaN is that QNaN
 *    without IE.
 *  - invalid: inf * 0, or inf - inf in the addition: IE, the default NaN
 *    (negative QNaN), no DE. Otherwise DE for any denormal operand (DAZ=0).
 *  - DAZ makes denormal operands zero; the rounding is MXCSR.RC; an exact
 *    zero sum is +0 (-0 under round-down) unless both terms are zeros of
 *    the same sign.
 *  - tininess is detected after rounding (the result rounded with an
 *    unbounded exponent is below the smallest normal): UE with PE when the
 *    denormal result is inexact; FTZ (UE masked) flushes every tiny
 *    result, exact ones included, to a signed zero with UE and PE.
 *  - unmasked exceptions: IE or DE in any element: MXCSR gets the IE/DE
 *    flags of all elements, nothing is written, #XM (or #UD without
 *    CR4.OSXMMEXCPT). Otherwise the flags of all elements are ORed into
 *    MXCSR and #XM follows if one is unmasked; an element that reports an
 *    unmasked OE or UE reports PE only when its result, rounded with an
 *    unbounded exponent, is inexact; with UE unmasked an exact tiny
 *    result raises UE and FTZ does not apply.
 *
 * F16C: VCVTPH2PS is exact: half denormals become normal singles without
 * DE whatever DAZ says, an SNaN gives its QNaN with IE. VCVTPS2PH rounds
 * by imm8[1:0] (or MXCSR.RC when imm8[2] is set): DAZ applies to the
 * single inputs, FTZ does not apply to the half results, NaNs keep the top
 * payload bits (quieted, IE for an SNaN); OE UE PE DE IE as for any
 * conversion; a memory destination is written only when nothing is
 * unmasked, and MXCSR is updated after the store.
 */
#include <stdbool.h>

#include "emu/insn/sse.h"

#include "emu/insn/handlers.h"

__extension__ typedef unsigned __int128 u128; /* gcc and clang on x86-64 */

/* A binary interchange format: fraction bits, exponent bits */
struct sf_fmt {
	unsigned mbits, ebits;
};
static const struct sf_fmt F16 = { 10, 5 }, F32 = { 23, 8 }, F64 = { 52, 11 };

enum sf_class { SF_ZERO, SF_DEN, SF_NORM, SF_INF, SF_QNAN, SF_SNAN };

/* An unpacked operand: value (-1)^sign * m * 2^e for finite ones */
struct sf_val {
	enum sf_class cls;
	bool sign;
	int e;
	uint64_t m;
};

static inline int sf_bias(struct sf_fmt f) { return (1 << (f.ebits - 1)) - 1; }

static struct sf_val sf_unpack(uint64_t x, struct sf_fmt f)
{
	struct sf_val v;
	uint64_t emask = (1u << f.ebits) - 1, fmask = (1ull << f.mbits) - 1;
	uint64_t ex = (x >> f.mbits) & emask, fr = x & fmask;
	v.sign = (x >> (f.mbits + f.ebits)) & 1;
	v.m = fr;
	v.e = 1 - sf_bias(f) - (int)f.mbits;
	if (ex == emask)
		v.cls = !fr ? SF_INF : (fr >> (f.mbits - 1)) ? SF_QNAN : SF_SNAN;
	else if (ex == 0)
		v.cls = fr ? SF_DEN : SF_ZERO;
	else {
		v.cls = SF_NORM;
		v.m = fr | (1ull << f.mbits);
		v.e = (int)ex - sf_bias(f) - (int)f.mbits;
	}
	return v;
}

static inline uint64_t sf_sign(struct sf_fmt f, bool s) { return (uint64_t)s << (f.mbits + f.ebits); }
static inline uint64_t sf_inf(struct sf_fmt f, bool s)
{
	return sf_sign(f, s) | ((uint64_t)((1u << f.ebits) - 1) << f.mbits);
}
/* The default NaN: negative, quiet, zero payload */
static inline uint64_t sf_default_nan(struct sf_fmt f) { return sf_inf(f, true) | (1ull << (f.mbits - 1)); }
static inline uint64_t sf_max(struct sf_fmt f, bool s) { return sf_inf(f, s) - 1; }

static inline unsigned msb128(u128 m)
{
	uint64_t hi = (uint64_t)(m >> 64);
	return hi ? 127u - (unsigned)__builtin_clzll(hi) : 63u - (unsigned)__builtin_clzll((uint64_t)m);
}

/* m * 2^-drop rounded to an integer under rc (0 nearest even, 1 down, 2 up,
 * 3 toward zero) for a value of sign s; *inexact: bits were lost. */
static u128 shift_round(u128 m, int drop, bool s, unsigned rc, bool *inexact)
{
	if (drop <= 0) {
		*inexact = false;
		return m << -drop;
	}
	u128 q, rem;
	bool above, at;
	if (drop >= 128) {
		q = 0;
		rem = m;
		above = drop == 128 && m > ((u128)1 << 127);
		at = drop == 128 && m == ((u128)1 << 127);
	} else {
		q = m >> drop;
		rem = m & (((u128)1 << drop) - 1);
		u128 half = (u128)1 << (drop - 1);
		above = rem > half;
		at = rem == half;
	}
	*inexact = rem != 0;
	if (!rem)
		return q;
	bool up;
	switch (rc) {
	case 0: up = above || (at && (q & 1)); break;
	case 1: up = s; break;
	case 2: up = !s; break;
	default: up = false; break;
	}
	return q + up;
}

/*
 * Round (-1)^s * m * 2^e (m nonzero) to format f: rc, ftz (flush tiny
 * results: FTZ with UE masked), unm (the unmasked MXCSR flags). *fl gets
 * the flags; with an unmasked OE/UE reported the result does not matter.
 */
static uint64_t sf_round(bool s, int e, u128 m, struct sf_fmt f, unsigned rc, bool ftz, uint32_t unm, uint32_t *fl)
{
	int p = (int)f.mbits + 1, bias = sf_bias(f), emin = 1 - bias;
	int msb = (int)msb128(m), E = msb + e;
	bool inex;
	int drop = msb - (p - 1);
	u128 q = shift_round(m, drop, s, rc, &inex);
	int Er = E;
	if (q >> p) {
		q >>= 1;
		Er++;
	}
	if (Er > bias) { /* overflow */
		if (unm & MXCSR_OE) {
			*fl |= MXCSR_OE | (inex ? MXCSR_PE : 0);
			return sf_inf(f, s);
		}
		*fl |= MXCSR_OE | MXCSR_PE;
		bool to_inf = rc == 0 || (rc == 1 && s) || (rc == 2 && !s);
		return to_inf ? sf_inf(f, s) : sf_max(f, s);
	}
	if (Er < emin) { /* tiny after rounding */
		if (unm & MXCSR_UE) {
			*fl |= MXCSR_UE | (inex ? MXCSR_PE : 0);
			return sf_sign(f, s);
		}
		if (ftz) {
			*fl |= MXCSR_UE | MXCSR_PE;
			return sf_sign(f, s);
		}
		bool inex_d;
		u128 qd = shift_round(m, drop + (emin - E), s, rc, &inex_d);
		if (inex_d)
			*fl |= MXCSR_UE | MXCSR_PE;
		return sf_sign(f, s) | (uint64_t)qd; /* qd = 2^mbits is the smallest normal */
	}
	if (inex)
		*fl |= MXCSR_PE;
	return sf_sign(f, s) | ((uint64_t)(Er + bias) << f.mbits) | ((uint64_t)q & ((1ull << f.mbits) - 1));
}

static inline uint64_t sf_quiet(uint64_t x, struct sf_fmt f) { return x | (1ull << (f.mbits - 1)); }

/* Exact zero result of x + y where at least one term is zero */
static inline uint64_t sf_zero_sum(struct sf_fmt f, bool sx, bool sy, unsigned rc)
{
	return sf_sign(f, sx == sy ? sx : rc == 1);
}

/*
 * (-1)^negp * a * b + (-1)^negc * c in format f, one rounding, under the
 * guest MXCSR mx; *fl gets the flags (see the rules at the top).
 */
static uint64_t sf_fma(uint64_t xa, uint64_t xb, uint64_t xc, bool negp, bool negc, struct sf_fmt f, uint32_t mx,
		       uint32_t *fl)
{
	struct sf_val a = sf_unpack(xa, f), b = sf_unpack(xb, f), c = sf_unpack(xc, f);
	bool snan = a.cls == SF_SNAN || b.cls == SF_SNAN || c.cls == SF_SNAN;
	if (a.cls >= SF_QNAN || b.cls >= SF_QNAN || c.cls >= SF_QNAN) {
		if (snan)
			*fl |= MXCSR_IE;
		uint64_t n = a.cls >= SF_QNAN ? xa : b.cls >= SF_QNAN ? xb : xc;
		return sf_quiet(n, f);
	}
	unsigned rc = (mx >> 13) & 3;
	uint32_t unm = ~(mx >> 7) & MXCSR_FLAGS;
	bool daz = mx & MXCSR_DAZ, ftz = (mx & MXCSR_FTZ) && !(unm & MXCSR_UE);
	bool den = a.cls == SF_DEN || b.cls == SF_DEN || c.cls == SF_DEN;
	if (daz) {
		if (a.cls == SF_DEN)
			a.cls = SF_ZERO;
		if (b.cls == SF_DEN)
			b.cls = SF_ZERO;
		if (c.cls == SF_DEN)
			c.cls = SF_ZERO;
		den = false;
	}
	bool ps = a.sign ^ b.sign ^ negp, cs = c.sign ^ negc;
	bool pinf = a.cls == SF_INF || b.cls == SF_INF, pzero = a.cls == SF_ZERO || b.cls == SF_ZERO;
	if ((pinf && pzero) || (pinf && c.cls == SF_INF && ps != cs)) {
		*fl |= MXCSR_IE;
		return sf_default_nan(f);
	}
	if (den)
		*fl |= MXCSR_DE;
	if (pinf)
		return sf_inf(f, ps);
	if (c.cls == SF_INF)
		return sf_inf(f, cs);
	if (pzero && c.cls == SF_ZERO)
		return sf_zero_sum(f, ps, cs, rc);
	if (pzero)
		return sf_round(cs, c.e, c.m, f, rc, ftz, unm, fl);
	u128 mp = (u128)a.m * b.m;
	int ep = a.e + b.e;
	if (c.cls == SF_ZERO)
		return sf_round(ps, ep, mp, f, rc, ftz, unm, fl);
	/* both terms nonzero: align in a 128-bit window, MSBs at bit 125 */
	int sp = 125 - (int)msb128(mp), sc = 125 - (int)msb128(c.m);
	u128 xp = mp << sp, xq = (u128)c.m << sc;
	int ebp = ep - sp, ebq = c.e - sc;
	bool sbig = ps, ssmall = cs;
	int ebig = ebp;
	u128 big = xp, small = xq;
	if (ebq > ebp) {
		big = xq;
		small = xp;
		sbig = cs;
		ssmall = ps;
		ebig = ebq;
	}
	int d = ebq > ebp ? ebq - ebp : ebp - ebq;
	/* the bits shifted out jam into bit 0; big's bit 0 is zero, so the
	 * sum rounds as the exact one at any position above bit 1 */
	if (d >= 127) {
		small = 1;
	} else if (d > 0) {
		bool lost = (small & (((u128)1 << d) - 1)) != 0;
		small = (small >> d) | lost;
	}
	u128 r;
	bool rs = sbig;
	if (sbig == ssmall) {
		r = big + small;
	} else if (big >= small) {
		r = big - small;
	} else {
		r = small - big;
		rs = ssmall;
	}
	if (!r)
		return sf_sign(f, rc == 1);
	return sf_round(rs, ebig, r, f, rc, ftz, unm, fl);
}

static _Noreturn void fma_raise_xm(struct emu_cpu *c)
{
	if (c->s.cr4 & CR4_OSXMMEXCPT)
		emu_raise(c, EXC_XM, 0, 0);
	EMU_UD(c);
}

/* The flags f of all elements: commit them, or raise #XM/#UD (an unmasked
 * IE/DE: only the IE/DE flags are committed). */
static void fma_flags(struct emu_cpu *c, uint32_t f)
{
	uint32_t unm = ~(c->s.fpu.mxcsr >> 7) & MXCSR_FLAGS;
	const uint32_t pre = MXCSR_IE | MXCSR_DE | MXCSR_ZE;
	if (__builtin_expect(!(f & unm), 1)) {
		c->s.fpu.mxcsr |= f;
		return;
	}
	c->s.fpu.mxcsr |= (f & unm & pre) ? f & pre : f;
	fma_raise_xm(c);
}

/* Operand roles by the opcode's high nibble 9/A/B (132/213/231): positions
 * of a, b and c among (1 = ModRM.reg, 2 = VEX.vvvv, 3 = ModRM.rm) */
static const uint8_t fma_roles[3][3] = { { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 } };

/* Element i of the operation: low opcode nibble k (6 addsub, 7 subadd,
 * 8/9 add, A/B sub, C/D negated-product add, E/F negated-product sub). */
static uint64_t fma_elem(unsigned op, unsigned i, const uint64_t x[3], bool dbl, uint32_t mx, uint32_t *fl)
{
	const uint8_t *ro = fma_roles[(op >> 4) - 9];
	unsigned k = op & 15;
	bool negp = k >= 0xc, negc;
	if (k == 6)
		negc = !(i & 1);
	else if (k == 7)
		negc = i & 1;
	else
		negc = k == 0xa || k == 0xb || k == 0xe || k == 0xf;
	return sf_fma(x[ro[0]], x[ro[1]], x[ro[2]], negp, negc, dbl ? F64 : F32, mx, fl);
}

static inline uint64_t lane_elem(const uint8_t *v, unsigned i, bool dbl)
{
	if (dbl) {
		uint64_t q;
		memcpy(&q, v + 8 * i, 8);
		return q;
	}
	uint32_t d;
	memcpy(&d, v + 4 * i, 4);
	return d;
}

static inline void lane_set(uint8_t *v, unsigned i, bool dbl, uint64_t x)
{
	if (dbl)
		memcpy(v + 8 * i, &x, 8);
	else {
		uint32_t d = (uint32_t)x;
		memcpy(v + 4 * i, &d, 4);
	}
}

/* VEX.66.0F38.W0/W1 96-98 9A 9C 9E, A6-A8 AA AC AE, B6-B8 BA BC BE:
 * packed forms, xmm or ymm (both lanes computed before anything is
 * committed) */
EMU_HANDLER(fmap_VHW)
{
	emu_sse_check(c, in);
	bool dbl = in->vex & EMU_VEX_W;
	uint8_t v[3][2][16]; /* [operand position][lane] */
	unsigned n = 0;
	EMU_VEX_LANES(c, in, ACC_R)
	{
		_mm_storeu_si128((__m128i *)(void *)v[2][n], emu_sse_W(c, in, false));
		_mm_storeu_si128((__m128i *)(void *)v[1][n], emu_sse_A(c, in));
		_mm_storeu_si128((__m128i *)(void *)v[0][n], emu_vreg_ld(c, in->reg));
		n++;
	}
	uint8_t r[2][16] = { { 0 } };
	uint32_t fl = 0, mx = c->s.fpu.mxcsr;
	unsigned ne = dbl ? 2 : 4;
	for (unsigned l = 0; l < n; l++)
		for (unsigned i = 0; i < ne; i++) {
			uint64_t x[3] = { lane_elem(v[0][l], i, dbl), lane_elem(v[1][l], i, dbl),
					  lane_elem(v[2][l], i, dbl) };
			lane_set(r[l], i, dbl, fma_elem(in->op, i, x, dbl, mx, &fl));
		}
	fma_flags(c, fl);
	memcpy(c->s.fpu.xmm[in->reg], r[0], 16);
	if (n == 2)
		memcpy(c->s.fpu.ymmh[in->reg], r[1], 16);
	else
		emu_ymmh_zero(c, in->reg);
}

/* VEX.LIG.66.0F38.W0/W1 99 9B 9D 9F, A9 AB AD AF, B9 BB BD BF: scalar
 * forms; bits 127:32|64 of the destination are kept, 255:128 zeroed */
EMU_HANDLER(fmas_VHW)
{
	emu_sse_check(c, in);
	bool dbl = in->vex & EMU_VEX_W;
	uint8_t v[3][16];
	_mm_storeu_si128((__m128i *)(void *)v[2], emu_sse_Wn(c, in, dbl ? 8 : 4));
	_mm_storeu_si128((__m128i *)(void *)v[1], emu_sse_A(c, in));
	_mm_storeu_si128((__m128i *)(void *)v[0], emu_xmm_ld(c, in->reg));
	uint64_t x[3] = { lane_elem(v[0], 0, dbl), lane_elem(v[1], 0, dbl), lane_elem(v[2], 0, dbl) };
	uint32_t fl = 0;
	uint64_t r = fma_elem(in->op, 0, x, dbl, c->s.fpu.mxcsr, &fl);
	fma_flags(c, fl);
	lane_set(c->s.fpu.xmm[in->reg], 0, dbl, r);
	emu_ymmh_zero(c, in->reg);
}

/* ---------------- F16C ---------------- */

/* A half to a single: exact; SNaN quieted with IE */
static uint32_t half_to_single(uint16_t h, uint32_t *fl)
{
	struct sf_val v = sf_unpack(h, F16);
	switch (v.cls) {
	case SF_ZERO: return (uint32_t)sf_sign(F32, v.sign);
	case SF_INF: return (uint32_t)sf_inf(F32, v.sign);
	case SF_SNAN: *fl |= MXCSR_IE; /* fall through */
	case SF_QNAN: return (uint32_t)sf_inf(F32, v.sign) | 0x400000u | (uint32_t)(h & 0x3ff) << 13;
	default: return (uint32_t)sf_round(v.sign, v.e, v.m, F32, 0, false, 0, fl);
	}
}

/* A single to a half under rc; DAZ from mx, no FTZ */
static uint16_t single_to_half(uint32_t x, unsigned rc, uint32_t mx, uint32_t *fl)
{
	struct sf_val v = sf_unpack(x, F32);
	uint32_t unm = ~(mx >> 7) & MXCSR_FLAGS;
	switch (v.cls) {
	case SF_DEN:
		if (mx & MXCSR_DAZ)
			return (uint16_t)sf_sign(F16, v.sign);
		*fl |= MXCSR_DE;
		break;
	case SF_ZERO: return (uint16_t)sf_sign(F16, v.sign);
	case SF_INF: return (uint16_t)sf_inf(F16, v.sign);
	case SF_SNAN: *fl |= MXCSR_IE; /* fall through */
	case SF_QNAN: return (uint16_t)(sf_inf(F16, v.sign) | 0x200u | ((x >> 13) & 0x3ff));
	default: break;
	}
	return (uint16_t)sf_round(v.sign, v.e, v.m, F16, rc, false, unm, fl);
}

/* VEX.66.0F38.W0 13: VCVTPH2PS xmm1, xmm2/m64 | ymm1, xmm2/m128 */
EMU_HANDLER(cvtph2ps_VW)
{
	emu_sse_check(c, in);
	bool l = in->vex & EMU_VEX_L;
	uint16_t h[8];
	_mm_storeu_si128((__m128i *)(void *)h, l ? emu_sse_W(c, in, false) : emu_sse_Wn(c, in, 8));
	uint32_t r[8], fl = 0;
	for (unsigned i = 0; i < (l ? 8u : 4u); i++)
		r[i] = half_to_single(h[i], &fl);
	fma_flags(c, fl);
	memcpy(c->s.fpu.xmm[in->reg], r, 16);
	if (l)
		memcpy(c->s.fpu.ymmh[in->reg], r + 4, 16);
	else
		emu_ymmh_zero(c, in->reg);
}

/* VEX.66.0F3A.W0 1D: VCVTPS2PH xmm1/m64, xmm2, imm8 | xmm1/m128, ymm2, imm8
 * (a register destination: the upper bits zeroed) */
EMU_HANDLER(cvtps2ph_WVIb)
{
	emu_sse_check(c, in);
	bool l = in->vex & EMU_VEX_L;
	unsigned imm = (unsigned)in->imm & 0xff, n = l ? 8 : 4;
	uint32_t mx = c->s.fpu.mxcsr, fl = 0, s[8];
	unsigned rc = (imm & 4) ? (mx >> 13) & 3 : imm & 3;
	memcpy(s, c->s.fpu.xmm[in->reg], 16);
	memcpy(s + 4, c->s.fpu.ymmh[in->reg], 16);
	uint16_t h[8] = { 0 };
	for (unsigned i = 0; i < n; i++)
		h[i] = single_to_half(s[i], rc, mx, &fl);
	uint32_t unm = ~(mx >> 7) & MXCSR_FLAGS;
	if (fl & unm) {
		/* a store that would fault faults first, before #XM (Zen 4, measured) */
		if (in->mod != 3)
			emu_access_check(c, in->seg, emu_ea(c, in), l ? 16 : 8, ACC_W);
		fma_flags(c, fl); /* raises */
	}
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)h);
	if (in->mod == 3) {
		emu_xmm_st(c, in->rm, v);
		emu_ymmh_zero(c, in->rm);
	} else if (l) {
		emu_sse_wr128(c, in, false, v);
	} else {
		emu_wr(c, in->seg, emu_ea(c, in), 8, emu_v_lo(v));
	}
	c->s.fpu.mxcsr |= fl;
}
