/*
 * sse_int.c - packed integer operations on XMM (66 prefix, SSE2) and MMX
 * (no prefix) registers: PADD/PSUB (B W D Q, signed and unsigned
 * saturation), PMULLW/PMULHW/PMULHUW/PMULUDQ/PMADDWD, PAVGB/W, PSADBW,
 * PMINUB/PMAXUB/PMINSW/PMAXSW, PCMPEQ/PCMPGT (B W D), PAND/PANDN/POR/PXOR
 * (and ANDPS/ANDNPS/ORPS/XORPS and their PD forms, which are the same
 * bitwise operations), PSLL/PSRL/PSRA by register and by immediate
 * (0F 71-73 groups) and PSLLDQ/PSRLDQ, PACKSSWB/PACKUSWB/PACKSSDW,
 * PUNPCKL/H (BW WD DQ QDQ) and UNPCKLPS/HPS/LPD/HPD.
 *
 * Each operation is one host SSE2 intrinsic (exact by construction). An MMX
 * form runs the same operation on the low 64 bits of an XMM value; the
 * element-wise results there do not depend on the upper half, and the few
 * operations that move data between halves (packs, high unpacks) have their
 * own MMX handlers. The 128-bit memory operands of these XMM forms must be
 * 16-byte aligned (#GP(0)); MMX memory operands have no alignment rule.
 *
 * The XMM handlers also serve the VEX forms (AVX VEX.128, AVX2 VEX.256;
 * rows in opcodes_avx.def): the first source is VEX.vvvv, a VEX.128 result
 * zeroes bits 255:128, VEX memory operands have no alignment rule, and a
 * VEX.256 form is the 128-bit operation on each lane (SDM vol. 2, 2.3;
 * the AVX2 "VEX.256" entries of each instruction), except the shifts by an
 * xmm/m128 count, whose one count applies to both lanes.
 */
#include "emu/insn/sse.h"

#include "emu/insn/handlers.h"

/* XMM form: xmm = op(xmm, xmm/m128); VEX: xmm1 = op(xmm2 (vvvv), xmm3/m128),
 * and per lane ymm1 = op(ymm2, ymm3/m256) */
#define XMM_BINOP(name, f)                                         \
	EMU_HANDLER(name##_VW)                                     \
	{                                                          \
		emu_sse_check(c, in);                              \
		EMU_VEX_LANES(c, in, ACC_R)                        \
		{                                                  \
			__m128i b_ = emu_sse_W(c, in, true);       \
			emu_sse_D(c, in, f(emu_sse_A(c, in), b_)); \
		}                                                  \
	}

/* Bits 255:128 of YMM r */
static inline __m128i ymmh_ld(const struct emu_cpu *c, unsigned r)
{
	return _mm_loadu_si128((const __m128i *)(const void *)c->s.fpu.ymmh[r & 15]);
}
static inline void ymmh_st(struct emu_cpu *c, unsigned r, __m128i v)
{
	_mm_storeu_si128((__m128i *)(void *)c->s.fpu.ymmh[r & 15], v);
}

/* Shift by xmm/m128: xmm = f(xmm, count); the count is the low 64 bits of
 * xmm/m128 (a 16-byte operand, aligned for the legacy form). VEX.256
 * (VPSLLW ymm1, ymm2, xmm3/m128 etc.): the count operand stays 128 bits
 * wide and shifts both lanes of ymm2 (not lane-wise: no LANE flag). */
#define XMM_SHIFT(name, f)                                         \
	EMU_HANDLER(name##_VW)                                     \
	{                                                          \
		emu_sse_check(c, in);                              \
		__m128i n_ = emu_sse_W(c, in, true);               \
		__m128i lo_ = f(emu_sse_A(c, in), n_);             \
		if (in->vex & EMU_VEX_L) {                         \
			__m128i hi_ = f(ymmh_ld(c, in->vvvv), n_); \
			emu_xmm_st(c, in->reg, lo_);               \
			ymmh_st(c, in->reg, hi_);                  \
		} else {                                           \
			emu_sse_D(c, in, lo_);                     \
		}                                                  \
	}

/* MMX form: mm = op(mm, mm/m64 (m32 when msize is 4)) on the low halves */
#define MMX_BINOP(name, f, msize)                                          \
	EMU_HANDLER(name##_PQ)                                             \
	{                                                                  \
		emu_mmx_check(c);                                          \
		uint64_t b_ = emu_mmx_Q(c, in, msize);                     \
		uint64_t a_ = emu_mm_get(c, in->reg);                      \
		uint64_t r_ = emu_v_lo(f(emu_v_q(a_, 0), emu_v_q(b_, 0))); \
		emu_mmx_enter(c);                                          \
		emu_mm_set(c, in->reg, r_);                                \
	}

#define BINOP(name, f)     \
	XMM_BINOP(name, f) \
	MMX_BINOP(name, f, 8)

/* ---- add / subtract ---- */
BINOP(paddb, _mm_add_epi8)
BINOP(paddw, _mm_add_epi16)
BINOP(paddd, _mm_add_epi32)
BINOP(paddq, _mm_add_epi64)
BINOP(psubb, _mm_sub_epi8)
BINOP(psubw, _mm_sub_epi16)
BINOP(psubd, _mm_sub_epi32)
BINOP(psubq, _mm_sub_epi64)
BINOP(paddsb, _mm_adds_epi8)
BINOP(paddsw, _mm_adds_epi16)
BINOP(paddusb, _mm_adds_epu8)
BINOP(paddusw, _mm_adds_epu16)
BINOP(psubsb, _mm_subs_epi8)
BINOP(psubsw, _mm_subs_epi16)
BINOP(psubusb, _mm_subs_epu8)
BINOP(psubusw, _mm_subs_epu16)

/* ---- multiply, average, sum of differences ---- */
BINOP(pmullw, _mm_mullo_epi16)
BINOP(pmulhw, _mm_mulhi_epi16)
BINOP(pmulhuw, _mm_mulhi_epu16)
BINOP(pmuludq, _mm_mul_epu32)
BINOP(pmaddwd, _mm_madd_epi16)
BINOP(pavgb, _mm_avg_epu8)
BINOP(pavgw, _mm_avg_epu16)
BINOP(psadbw, _mm_sad_epu8)

/* ---- min / max / compare ---- */
BINOP(pminub, _mm_min_epu8)
BINOP(pmaxub, _mm_max_epu8)
BINOP(pminsw, _mm_min_epi16)
BINOP(pmaxsw, _mm_max_epi16)
BINOP(pcmpeqb, _mm_cmpeq_epi8)
BINOP(pcmpeqw, _mm_cmpeq_epi16)
BINOP(pcmpeqd, _mm_cmpeq_epi32)
BINOP(pcmpgtb, _mm_cmpgt_epi8)
BINOP(pcmpgtw, _mm_cmpgt_epi16)
BINOP(pcmpgtd, _mm_cmpgt_epi32)

/* ---- bitwise (XMM forms also serve ANDPS/ANDPD, ANDNPS/PD, ORPS/PD, XORPS/PD) ---- */
BINOP(pand, _mm_and_si128)
BINOP(pandn, _mm_andnot_si128) /* dst = ~dst & src */
BINOP(por, _mm_or_si128)
BINOP(pxor, _mm_xor_si128)

/* ---- shifts by xmm/m128 or mm/m64 (count = the low 64 bits) ---- */
#define SHIFTOP(name, f)   \
	XMM_SHIFT(name, f) \
	MMX_BINOP(name, f, 8)
SHIFTOP(psrlw, _mm_srl_epi16)
SHIFTOP(psrld, _mm_srl_epi32)
SHIFTOP(psrlq, _mm_srl_epi64)
SHIFTOP(psraw, _mm_sra_epi16)
SHIFTOP(psrad, _mm_sra_epi32)
SHIFTOP(psllw, _mm_sll_epi16)
SHIFTOP(pslld, _mm_sll_epi32)
SHIFTOP(psllq, _mm_sll_epi64)

/* ---- pack / unpack ---- */
XMM_BINOP(packsswb, _mm_packs_epi16)
XMM_BINOP(packuswb, _mm_packus_epi16)
XMM_BINOP(packssdw, _mm_packs_epi32)
XMM_BINOP(punpcklbw, _mm_unpacklo_epi8)
XMM_BINOP(punpcklwd, _mm_unpacklo_epi16)
XMM_BINOP(punpckldq, _mm_unpacklo_epi32)  /* also UNPCKLPS */
XMM_BINOP(punpcklqdq, _mm_unpacklo_epi64) /* also UNPCKLPD */
XMM_BINOP(punpckhbw, _mm_unpackhi_epi8)
XMM_BINOP(punpckhwd, _mm_unpackhi_epi16)
XMM_BINOP(punpckhdq, _mm_unpackhi_epi32)  /* also UNPCKHPS */
XMM_BINOP(punpckhqdq, _mm_unpackhi_epi64) /* also UNPCKHPD */

/* MMX low unpacks read only 32 bits of a memory source. */
MMX_BINOP(punpcklbw, _mm_unpacklo_epi8, 4)
MMX_BINOP(punpcklwd, _mm_unpacklo_epi16, 4)
MMX_BINOP(punpckldq, _mm_unpacklo_epi32, 4)

/* MMX high unpacks: interleave the high halves = the high 64 bits of the
 * 128-bit low unpack. */
static inline __m128i mmx_unpackhbw(__m128i a, __m128i b)
{
	return _mm_unpackhi_epi64(_mm_unpacklo_epi8(a, b), _mm_setzero_si128());
}
static inline __m128i mmx_unpackhwd(__m128i a, __m128i b)
{
	return _mm_unpackhi_epi64(_mm_unpacklo_epi16(a, b), _mm_setzero_si128());
}
static inline __m128i mmx_unpackhdq(__m128i a, __m128i b)
{
	return _mm_unpackhi_epi64(_mm_unpacklo_epi32(a, b), _mm_setzero_si128());
}
MMX_BINOP(punpckhbw, mmx_unpackhbw, 8)
MMX_BINOP(punpckhwd, mmx_unpackhwd, 8)
MMX_BINOP(punpckhdq, mmx_unpackhdq, 8)

/* MMX packs: dst's elements give the low half of the result, src's the high. */
static inline __m128i mmx_packsswb(__m128i a, __m128i b)
{
	__m128i x = _mm_unpacklo_epi64(a, b);
	return _mm_packs_epi16(x, x);
}
static inline __m128i mmx_packuswb(__m128i a, __m128i b)
{
	__m128i x = _mm_unpacklo_epi64(a, b);
	return _mm_packus_epi16(x, x);
}
static inline __m128i mmx_packssdw(__m128i a, __m128i b)
{
	__m128i x = _mm_unpacklo_epi64(a, b);
	return _mm_packs_epi32(x, x);
}
MMX_BINOP(packsswb, mmx_packsswb, 8)
MMX_BINOP(packuswb, mmx_packuswb, 8)
MMX_BINOP(packssdw, mmx_packssdw, 8)

/* ---- shifts by immediate: 0F 71 (words), 72 (dwords), 73 (qwords, dq) ---- */

/* 16-byte shift by n bytes (n > 15 clears): left when dir > 0 */
static __m128i byteshift(__m128i v, unsigned n, int left)
{
	uint8_t buf[48] = { 0 };
	if (n > 16)
		n = 16;
	_mm_storeu_si128((__m128i *)(void *)(buf + 16), v);
	return _mm_loadu_si128((const __m128i *)(const void *)(buf + (left ? 16 - n : 16 + n)));
}

/* The immediate shift selected by the opcode (71/72/73) and ModRM.reg. */
static __m128i shift_imm(__m128i v, unsigned op, unsigned reg, unsigned imm)
{
	__m128i n = _mm_cvtsi32_si128((int)imm);
	switch ((op & 3) << 3 | (reg & 7)) {
	case 1 << 3 | 2: return _mm_srl_epi16(v, n);
	case 1 << 3 | 4: return _mm_sra_epi16(v, n);
	case 1 << 3 | 6: return _mm_sll_epi16(v, n);
	case 2 << 3 | 2: return _mm_srl_epi32(v, n);
	case 2 << 3 | 4: return _mm_sra_epi32(v, n);
	case 2 << 3 | 6: return _mm_sll_epi32(v, n);
	case 3 << 3 | 2: return _mm_srl_epi64(v, n);
	case 3 << 3 | 6: return _mm_sll_epi64(v, n);
	case 3 << 3 | 3: return byteshift(v, imm, 0); /* PSRLDQ */
	case 3 << 3 | 7: return byteshift(v, imm, 1); /* PSLLDQ */
	default: return v;                            /* other encodings have no row (decode to #UD) */
	}
}

/* 66 0F 71-73 /r ib (register only): PSRLW/PSRAW/PSLLW, PSRLD/PSRAD/PSLLD,
 * PSRLQ/PSRLDQ/PSLLQ/PSLLDQ xmm, imm8. VEX (VPSRLW xmm1/ymm1, xmm2/ymm2,
 * imm8 etc.): VEX.vvvv is the destination and ModRM.rm the source; the
 * 256-bit forms shift each lane, VPSLLDQ/VPSRLDQ included (bytes do not
 * cross from one lane to the other). */
EMU_HANDLER(pshift_UIb)
{
	emu_sse_check(c, in);
	unsigned d = in->vex ? in->vvvv : in->rm;
	EMU_VEX_LANES(c, in, ACC_R)
	{
		__m128i v = emu_vreg_ld(c, in->rm);
		emu_vreg_st(c, in, d, shift_imm(v, in->op, in->reg, (unsigned)in->imm & 0xff));
	}
}
/* NP 0F 71-73 /r ib (register only): the same on mm */
EMU_HANDLER(pshift_NIb)
{
	emu_mmx_check(c);
	uint64_t v = emu_mm_get(c, in->rm);
	uint64_t r = emu_v_lo(shift_imm(emu_v_q(v, 0), in->op, in->reg, (unsigned)in->imm & 0xff));
	emu_mmx_enter(c);
	emu_mm_set(c, in->rm, r);
}
