/*
 * sse_v2.c - the integer and data-movement instructions of x86-64-v2
 * (opcodes_v2.def): SSE3 MOVSLDUP/MOVSHDUP/MOVDDUP/LDDQU; SSSE3 PSHUFB,
 * PHADDW/D/SW, PHSUBW/D/SW, PMADDUBSW, PMULHRSW, PSIGNB/W/D, PABSB/W/D and
 * PALIGNR on MMX and XMM registers; SSE4.1 PMOVSX/PMOVZX, PMULLD, PMULDQ,
 * PMINSB/SD/UW/UD, PMAXSB/SD/UW/UD, PCMPEQQ, PACKUSDW, PBLENDW, BLENDPS/PD,
 * PBLENDVB/BLENDVPS/BLENDVPD (mask in XMM0), PTEST, PEXTRB/W/D/Q,
 * EXTRACTPS, PINSRB/D/Q, INSERTPS, MPSADBW, PHMINPOSUW, MOVNTDQA; SSE4.2
 * PCMPGTQ.
 *
 * Their VEX forms (opcodes_avx2.def) run through the same code: the first
 * source is VEX.vvvv (emu_sse_A), the destination write zeroes bits 255:128
 * for VEX.128 (emu_sse_D), and the 256-bit forms of AVX2 are the 128-bit
 * operation on each 128-bit lane (EMU_VEX_LANES; rows flagged LANE) except
 * VPMOVSX/ZX, whose 256-bit forms widen a 128-bit source into all 256 bits,
 * and VPTEST, which tests all 256 bits. An imm8 that selects elements across
 * both lanes gives each lane its own bits (VBLENDPS: imm8[7:4] for lane 1,
 * VBLENDPD imm8[3:2], VMPSADBW imm8[5:3]). VEX forms have no alignment
 * rule but VMOVNTDQA's (row flag VA); VEX.W is REX.W for VPEXTRQ/VPINSRQ.
 *
 * All of them are integer or bit operations, computed element by element
 * in portable C (the host needs no SSSE3/SSE4): exact by construction.
 * Fault rules as in sse.c: emu_sse_check()/emu_mmx_check() first; 16-byte
 * memory operands must be 16-byte aligned (#GP(0)) except LDDQU's; smaller
 * ones (PMOVSX/ZX, MOVDDUP, INSERTPS, PINSR, PEXTR, EXTRACTPS) never.
 * Loads and checks come before the commit. An MMX form works on the low 8
 * bytes with the same element code (n = 8) and makes the x87-to-MMX
 * transition when it commits.
 */
#include "emu/insn/sse.h"

#include "emu/insn/handlers.h"

/* A 16-byte vector, element views over host (little-endian) memory. */
union v128 {
	uint8_t b[16];
	int8_t sb[16];
	uint16_t w[8];
	int16_t sw[8];
	uint32_t d[4];
	int32_t sd[4];
	uint64_t q[2];
	int64_t sq[2];
};

static inline union v128 v_of(__m128i x)
{
	union v128 v;
	_mm_storeu_si128((__m128i *)(void *)&v, x);
	return v;
}

static inline union v128 xmm_v(const struct emu_cpu *c, unsigned r)
{
	union v128 v;
	memcpy(&v, c->s.fpu.xmm[r & 15], 16);
	return v;
}
static inline __m128i v_ld(const union v128 *v) { return _mm_loadu_si128((const __m128i *)(const void *)v); }

static inline int16_t sat16(int32_t x) { return (int16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 : x); }
static inline uint16_t satu16(int32_t x) { return (uint16_t)(x > 65535 ? 65535 : x < 0 ? 0 : x); }

/* r = op(a, b) on n bytes (8: MMX, 16: XMM); imm for the forms that have one */
typedef void v_fn(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm);

/* XMM form: xmm = op(xmm, xmm/m128 (aligned)); VEX: xmm/ymm = op(vvvv,
 * xmm/ymm/m), lane by lane, lane 1 with imm8 >> ish */
static void run_xmm_sh(struct emu_cpu *c, const struct emu_insn *in, v_fn *f, unsigned ish)
{
	emu_sse_check(c, in);
	unsigned imm = (unsigned)in->imm & 0xff;
	EMU_VEX_LANES(c, in, ACC_R)
	{
		union v128 b = v_of(emu_sse_W(c, in, true)), a = v_of(emu_sse_A(c, in)), r;
		memset(&r, 0, sizeof(r));
		f(&r, &a, &b, 16, imm >> (ish * c->vlane));
		emu_sse_D(c, in, v_ld(&r));
	}
}
static void run_xmm(struct emu_cpu *c, const struct emu_insn *in, v_fn *f) { run_xmm_sh(c, in, f, 0); }

/* MMX form: mm = op(mm, mm/m64) */
static void run_mmx(struct emu_cpu *c, const struct emu_insn *in, v_fn *f)
{
	emu_mmx_check(c);
	union v128 a, b, r;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	b.q[0] = emu_mmx_Q(c, in, 8);
	a.q[0] = emu_mm_get(c, in->reg);
	f(&r, &a, &b, 8, (unsigned)in->imm & 0xff);
	emu_mmx_enter(c);
	emu_mm_set(c, in->reg, r.q[0]);
}

#define XMM_FORM(name, f) \
	EMU_HANDLER(name##_VW) { run_xmm(c, in, f); }
#define BOTH_FORMS(name, f)                           \
	EMU_HANDLER(name##_VW) { run_xmm(c, in, f); } \
	EMU_HANDLER(name##_PQ) { run_mmx(c, in, f); }

/* ---------------- SSE3 moves ---------------- */

/* F3 0F 12 / 16: MOVSLDUP / MOVSHDUP xmm, xmm/m128: the even (odd) singles, twice */
static void dup_singles(struct emu_cpu *c, const struct emu_insn *in, unsigned odd)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R)
	{
		union v128 s = v_of(emu_sse_W(c, in, true)), r;
		for (unsigned i = 0; i < 4; i++)
			r.d[i] = s.d[(i & ~1u) | odd];
		emu_sse_D(c, in, v_ld(&r));
	}
}
EMU_HANDLER(movsldup_VW) { dup_singles(c, in, 0); }
EMU_HANDLER(movshdup_VW) { dup_singles(c, in, 1); }

/* F2 0F 12: MOVDDUP xmm, xmm/m64: the low double, twice (VEX.256: ymm/m256,
 * the even doubles, each twice) */
EMU_HANDLER(movddup_VW)
{
	emu_sse_check(c, in);
	if (in->vex & EMU_VEX_L) {
		EMU_VEX_LANES(c, in, ACC_R)
		{
			uint64_t q = emu_v_lo(emu_sse_W(c, in, false));
			emu_sse_D(c, in, emu_v_q(q, q));
		}
		return;
	}
	uint64_t q = in->mod == 3 ? emu_xmm_q(c, in->rm, 0) : emu_rd(c, in->seg, emu_ea(c, in), 8);
	emu_sse_D(c, in, emu_v_q(q, q));
}

/* F2 0F F0: LDDQU xmm, m128 (no alignment rule) */
EMU_HANDLER(lddqu_VM)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R)
	emu_sse_D(c, in, emu_sse_rd128(c, in, false));
}

/* 66 0F 38 2A: MOVNTDQA xmm, m128 (aligned; VEX too, 32 bytes for VEX.256) */
EMU_HANDLER(movntdqa_VM)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R)
	emu_sse_D(c, in, emu_sse_rd128(c, in, true));
}

/* ---------------- SSSE3 ---------------- */

/* PSHUFB: r[i] = b[i] bit 7 ? 0 : a[b[i] mod n] */
static void f_pshufb(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n; i++)
		r->b[i] = (b->b[i] & 0x80) ? 0 : a->b[b->b[i] & (n - 1)];
}
BOTH_FORMS(pshufb, f_pshufb)

/* Horizontal word/dword operations: the low half of the result from pairs
 * of a, the high half from pairs of b. */
enum { H_ADD, H_ADDS, H_SUB, H_SUBS };

static void hop_w(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned op)
{
	unsigned half = n / 4; /* result words from each source */
	for (unsigned i = 0; i < 2 * half; i++) {
		const union v128 *s = i < half ? a : b;
		unsigned k = 2 * (i % half);
		int32_t x = s->sw[k], y = s->sw[k + 1];
		int32_t v = (op == H_ADD || op == H_ADDS) ? x + y : x - y;
		r->sw[i] = (op == H_ADDS || op == H_SUBS) ? sat16(v) : (int16_t)(uint16_t)(uint32_t)v;
	}
}
static void hop_d(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned op)
{
	unsigned half = n / 8;
	for (unsigned i = 0; i < 2 * half; i++) {
		const union v128 *s = i < half ? a : b;
		unsigned k = 2 * (i % half);
		r->d[i] = op == H_ADD ? s->d[k] + s->d[k + 1] : s->d[k] - s->d[k + 1];
	}
}
static void f_phaddw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	hop_w(r, a, b, n, H_ADD);
}
static void f_phaddsw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	hop_w(r, a, b, n, H_ADDS);
}
static void f_phsubw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	hop_w(r, a, b, n, H_SUB);
}
static void f_phsubsw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	hop_w(r, a, b, n, H_SUBS);
}
static void f_phaddd(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	hop_d(r, a, b, n, H_ADD);
}
static void f_phsubd(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	hop_d(r, a, b, n, H_SUB);
}
BOTH_FORMS(phaddw, f_phaddw)
BOTH_FORMS(phaddsw, f_phaddsw)
BOTH_FORMS(phsubw, f_phsubw)
BOTH_FORMS(phsubsw, f_phsubsw)
BOTH_FORMS(phaddd, f_phaddd)
BOTH_FORMS(phsubd, f_phsubd)

/* PMADDUBSW: unsigned bytes of a times signed bytes of b, pairs summed with
 * signed saturation */
static void f_pmaddubsw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n / 2; i++)
		r->sw[i] = sat16(a->b[2 * i] * b->sb[2 * i] + a->b[2 * i + 1] * b->sb[2 * i + 1]);
}
BOTH_FORMS(pmaddubsw, f_pmaddubsw)

/* PMULHRSW: ((a * b >> 14) + 1) >> 1, bits 16:1 of the rounded product */
static void f_pmulhrsw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n / 2; i++) {
		int32_t p = (int32_t)a->sw[i] * b->sw[i];
		r->w[i] = (uint16_t)((((uint32_t)p >> 14) + 1) >> 1);
	}
}
BOTH_FORMS(pmulhrsw, f_pmulhrsw)

/* PSIGNB/W/D: a negated, zeroed or kept by the sign of b (two's complement:
 * the most negative value stays) */
static void f_psignb(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n; i++)
		r->b[i] = b->sb[i] < 0 ? (uint8_t)-a->b[i] : b->sb[i] ? a->b[i] : 0;
}
static void f_psignw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n / 2; i++)
		r->w[i] = b->sw[i] < 0 ? (uint16_t)-a->w[i] : b->sw[i] ? a->w[i] : 0;
}
static void f_psignd(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n / 4; i++)
		r->d[i] = b->sd[i] < 0 ? -a->d[i] : b->sd[i] ? a->d[i] : 0;
}
BOTH_FORMS(psignb, f_psignb)
BOTH_FORMS(psignw, f_psignw)
BOTH_FORMS(psignd, f_psignd)

/* PABSB/W/D: |b| (the most negative value stays, as unsigned it is right) */
static void f_pabsb(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n; i++)
		r->b[i] = b->sb[i] < 0 ? (uint8_t)-b->b[i] : b->b[i];
}
static void f_pabsw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n / 2; i++)
		r->w[i] = b->sw[i] < 0 ? (uint16_t)-b->w[i] : b->w[i];
}
static void f_pabsd(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n / 4; i++)
		r->d[i] = b->sd[i] < 0 ? -b->d[i] : b->d[i];
}
BOTH_FORMS(pabsb, f_pabsb)
BOTH_FORMS(pabsw, f_pabsw)
BOTH_FORMS(pabsd, f_pabsd)

/* PALIGNR: (a:b) shifted right by imm8 bytes, the low n bytes (zeros
 * beyond the 2n-byte concatenation) */
static void f_palignr(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned k = i + imm;
		r->b[i] = k < n ? b->b[k] : k < 2 * n ? a->b[k - n] : 0;
	}
}
EMU_HANDLER(palignr_VWIb) { run_xmm(c, in, f_palignr); }
EMU_HANDLER(palignr_PQIb) { run_mmx(c, in, f_palignr); }

/* ---------------- SSE4.1 / SSE4.2 packed integer ---------------- */

/* PMOVSX/PMOVZX: n elements of size from bytes of xmm/m(size*n), extended
 * (VEX.256: 32 bytes of result from xmm/m(2*size*n), not lane by lane) */
static void pmov_ext(struct emu_cpu *c, const struct emu_insn *in, unsigned from, unsigned to, bool sx)
{
	emu_sse_check(c, in);
	unsigned nb = (in->vex & EMU_VEX_L) ? 32 : 16, cnt = nb / to;
	union v128 s, r[2];
	if (in->mod == 3)
		s = xmm_v(c, in->rm);
	else if (from * cnt == 16)
		s = v_of(emu_sse_rd128(c, in, false));
	else
		s = v_of(emu_sse_Wn(c, in, from * cnt));
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t v = 0;
		memcpy(&v, s.b + i * from, from);
		if (sx)
			v = emu_sext(v, from);
		memcpy(r[0].b + i * to, &v, to);
	}
	if (nb == 32)
		memcpy(c->s.fpu.ymmh[in->reg & 15], &r[1], 16);
	emu_vreg_st(c, in, in->reg, v_ld(&r[0]));
}
#define PMOV(name, from, to, sx) \
	EMU_HANDLER(name##_VW) { pmov_ext(c, in, from, to, sx); }
PMOV(pmovsxbw, 1, 2, true)
PMOV(pmovsxbd, 1, 4, true)
PMOV(pmovsxbq, 1, 8, true)
PMOV(pmovsxwd, 2, 4, true)
PMOV(pmovsxwq, 2, 8, true)
PMOV(pmovsxdq, 4, 8, true)
PMOV(pmovzxbw, 1, 2, false)
PMOV(pmovzxbd, 1, 4, false)
PMOV(pmovzxbq, 1, 8, false)
PMOV(pmovzxwd, 2, 4, false)
PMOV(pmovzxwq, 2, 8, false)
PMOV(pmovzxdq, 4, 8, false)

/* element-wise operations on 16 bytes: r.FIELD[i] = EXPR(x = a.FIELD[i], y = b.FIELD[i]) */
#define ELEMWISE(name, field, cnt, expr)                                                                        \
	static void f_##name(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm) \
	{                                                                                                       \
		for (unsigned i = 0; i < (cnt); i++) {                                                          \
			__typeof__(a->field[0]) x = a->field[i], y = b->field[i];                               \
			r->field[i] = (expr);                                                                   \
		}                                                                                               \
	}                                                                                                       \
	XMM_FORM(name, f_##name)

ELEMWISE(pminsb, sb, 16, x < y ? x : y)
ELEMWISE(pminsd, sd, 4, x < y ? x : y)
ELEMWISE(pminuw, w, 8, x < y ? x : y)
ELEMWISE(pminud, d, 4, x < y ? x : y)
ELEMWISE(pmaxsb, sb, 16, x > y ? x : y)
ELEMWISE(pmaxsd, sd, 4, x > y ? x : y)
ELEMWISE(pmaxuw, w, 8, x > y ? x : y)
ELEMWISE(pmaxud, d, 4, x > y ? x : y)
ELEMWISE(pmulld, d, 4, x *y)
ELEMWISE(pcmpeqq, q, 2, x == y ? ~0ull : 0)
ELEMWISE(pcmpgtq, sq, 2, x > y ? -1 : 0)

/* PMULDQ: signed products of dwords 0 and 2 */
static void f_pmuldq(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < 2; i++)
		r->sq[i] = (int64_t)a->sd[2 * i] * b->sd[2 * i];
}
XMM_FORM(pmuldq, f_pmuldq)

/* PACKUSDW: signed dwords of a then b to unsigned words with saturation */
static void f_packusdw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < 4; i++) {
		r->w[i] = satu16(a->sd[i]);
		r->w[i + 4] = satu16(b->sd[i]);
	}
}
XMM_FORM(packusdw, f_packusdw)

/* PHMINPOSUW: the smallest unsigned word and its (lowest) index, the rest zero */
static void f_phminposuw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	unsigned k = 0;
	for (unsigned i = 1; i < 8; i++)
		if (b->w[i] < b->w[k])
			k = i;
	r->w[0] = b->w[k];
	r->w[1] = (uint16_t)k;
}
XMM_FORM(phminposuw, f_phminposuw)

/* MPSADBW: eight sums of absolute differences of 4-byte windows of a
 * (starting at imm8[2] * 4 + i) against the 4-byte block imm8[1:0] of b */
static void f_mpsadbw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	unsigned ao = ((imm >> 2) & 1) * 4, bo = (imm & 3) * 4;
	for (unsigned i = 0; i < 8; i++) {
		unsigned s = 0;
		for (unsigned j = 0; j < 4; j++) {
			int d = (int)a->b[ao + i + j] - (int)b->b[bo + j];
			s += (unsigned)(d < 0 ? -d : d);
		}
		r->w[i] = (uint16_t)s;
	}
}
EMU_HANDLER(mpsadbw_VWIb) { run_xmm_sh(c, in, f_mpsadbw, 3); }

/* ---------------- blends ---------------- */

/* element i of size sz from b where bit i of mask is set, else from a */
static void blend(union v128 *r, const union v128 *a, const union v128 *b, unsigned sz, unsigned mask)
{
	for (unsigned i = 0; i < 16 / sz; i++)
		memcpy(r->b + i * sz, ((mask >> i) & 1 ? b : a)->b + i * sz, sz);
}
static void f_pblendw(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	blend(r, a, b, 2, imm);
}
static void f_blendps(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	blend(r, a, b, 4, imm & 15);
}
static void f_blendpd(union v128 *r, const union v128 *a, const union v128 *b, unsigned n, unsigned imm)
{
	blend(r, a, b, 8, imm & 3);
}
EMU_HANDLER(pblendw_VWIb) { run_xmm(c, in, f_pblendw); }
EMU_HANDLER(blendps_VWIb) { run_xmm_sh(c, in, f_blendps, 4); }
EMU_HANDLER(blendpd_VWIb) { run_xmm_sh(c, in, f_blendpd, 2); }

/* PBLENDVB/BLENDVPS/BLENDVPD: the mask is the sign bit of each element of
 * XMM0; the VEX forms (66 0F 3A 4C/4A/4B) name the mask register in
 * imm8[7:4] (imm8[7] ignored outside 64-bit mode) */
static void blendv(struct emu_cpu *c, const struct emu_insn *in, unsigned sz)
{
	emu_sse_check(c, in);
	unsigned mr = in->vex ? ((unsigned)in->imm >> 4) & (c->dmode == EMU_MODE_64 ? 15 : 7) : 0;
	EMU_VEX_LANES(c, in, ACC_R)
	{
		union v128 b = v_of(emu_sse_W(c, in, true)), a = v_of(emu_sse_A(c, in)), m = v_of(emu_vreg_ld(c, mr));
		union v128 r;
		unsigned mask = 0;
		for (unsigned i = 0; i < 16 / sz; i++)
			mask |= (unsigned)(m.b[i * sz + sz - 1] >> 7) << i;
		blend(&r, &a, &b, sz, mask);
		emu_sse_D(c, in, v_ld(&r));
	}
}
EMU_HANDLER(pblendvb_VW) { blendv(c, in, 1); }
EMU_HANDLER(blendvps_VW) { blendv(c, in, 4); }
EMU_HANDLER(blendvpd_VW) { blendv(c, in, 8); }

/* PTEST: ZF = (a AND b) == 0, CF = (NOT a AND b) == 0; OF SF AF PF cleared.
 * VPTEST ymm tests all 256 bits: its row is flagged LANE so that
 * EMU_VEX_LANES checks the 32-byte operand whole and visits both halves. */
EMU_HANDLER(ptest_VW)
{
	emu_sse_check(c, in);
	uint64_t both = 0, nboth = 0;
	EMU_VEX_LANES(c, in, ACC_R)
	{
		union v128 b = v_of(emu_sse_W(c, in, true)), a = v_of(emu_vreg_ld(c, in->reg));
		both |= (a.q[0] & b.q[0]) | (a.q[1] & b.q[1]);
		nboth |= (~a.q[0] & b.q[0]) | (~a.q[1] & b.q[1]);
	}
	emu_set_status(c, RFLAGS_STATUS, (!both ? RFLAGS_ZF : 0) | (!nboth ? RFLAGS_CF : 0));
}

/* ---------------- extracts and inserts ---------------- */

/* Destination r/m of the extracts: a register gets the value zero-extended
 * to 64 bits (PEXTRD/EXTRACTPS write 32 bits, which clears the rest too),
 * memory size bytes. */
static void ext_put(struct emu_cpu *c, const struct emu_insn *in, unsigned size, uint64_t v)
{
	if (in->mod == 3)
		c->gpr[in->rm] = v;
	else
		emu_wr(c, in->seg, emu_ea(c, in), size, v);
}

/* 66 0F 3A 14: PEXTRB r32/m8, xmm, imm8 */
EMU_HANDLER(pextrb_EVIb)
{
	emu_sse_check(c, in);
	ext_put(c, in, 1, c->s.fpu.xmm[in->reg][in->imm & 15]);
}
/* 66 0F 3A 15: PEXTRW r32/m16, xmm, imm8 */
EMU_HANDLER(pextrw_EVIb)
{
	emu_sse_check(c, in);
	union v128 a = xmm_v(c, in->reg);
	ext_put(c, in, 2, a.w[in->imm & 7]);
}
/* 66 (REX.W) 0F 3A 16: PEXTRD r/m32 / PEXTRQ r/m64, xmm, imm8 */
EMU_HANDLER(pextrd_EyVIb)
{
	emu_sse_check(c, in);
	union v128 a = xmm_v(c, in->reg);
	if (in->osz == 8) /* REX.W / VEX.W in 64-bit mode */
		ext_put(c, in, 8, a.q[in->imm & 1]);
	else
		ext_put(c, in, 4, a.d[in->imm & 3]);
}
/* 66 0F 3A 17: EXTRACTPS r/m32, xmm, imm8 (REX.W changes nothing) */
EMU_HANDLER(extractps_EdVIb)
{
	emu_sse_check(c, in);
	union v128 a = xmm_v(c, in->reg);
	ext_put(c, in, 4, a.d[in->imm & 3]);
}

/* 66 0F 3A 20: PINSRB xmm, r32/m8, imm8 (VEX: into a copy of vvvv) */
EMU_HANDLER(pinsrb_VEIb)
{
	emu_sse_check(c, in);
	uint8_t v = (uint8_t)(in->mod == 3 ? c->gpr[in->rm] : emu_rd(c, in->seg, emu_ea(c, in), 1));
	union v128 a = v_of(emu_sse_A(c, in));
	a.b[in->imm & 15] = v;
	emu_sse_D(c, in, v_ld(&a));
}
/* 66 (REX.W) 0F 3A 22: PINSRD xmm, r/m32 / PINSRQ xmm, r/m64, imm8 */
EMU_HANDLER(pinsrd_VEyIb)
{
	emu_sse_check(c, in);
	union v128 a = v_of(emu_sse_A(c, in));
	if (in->osz == 8) /* REX.W / VEX.W in 64-bit mode */
		a.q[in->imm & 1] = emu_rm_get(c, in, 8);
	else
		a.d[in->imm & 3] = (uint32_t)emu_rm_get(c, in, 4);
	emu_sse_D(c, in, v_ld(&a));
}
/* 66 0F 3A 21: INSERTPS xmm, xmm/m32, imm8: a register source gives its
 * single imm8[7:6], memory its m32; it goes to element imm8[5:4], then the
 * elements of imm8[3:0] are zeroed */
EMU_HANDLER(insertps_VWIb)
{
	emu_sse_check(c, in);
	unsigned imm = (unsigned)in->imm & 0xff;
	uint32_t v;
	if (in->mod == 3) {
		union v128 s = xmm_v(c, in->rm);
		v = s.d[imm >> 6];
	} else {
		v = (uint32_t)emu_rd(c, in->seg, emu_ea(c, in), 4);
	}
	union v128 a = v_of(emu_sse_A(c, in));
	a.d[(imm >> 4) & 3] = v;
	for (unsigned i = 0; i < 4; i++)
		if ((imm >> i) & 1)
			a.d[i] = 0;
	emu_sse_D(c, in, v_ld(&a));
}
