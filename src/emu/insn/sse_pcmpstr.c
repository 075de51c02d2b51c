/*
 * sse_pcmpstr.c - the SSE4.2 string and text instructions PCMPESTRI,
 * PCMPESTRM, PCMPISTRI, PCMPISTRM (66 0F 3A 60-63), every imm8 mode:
 *
 *   imm8[1:0]  source format: unsigned bytes, unsigned words, signed bytes,
 *              signed words (n = 16 or 8 elements)
 *   imm8[3:2]  aggregation: equal any, ranges, equal each, equal ordered
 *   imm8[5:4]  polarity: positive, negative, masked positive, masked
 *              negative (only the valid elements of the second operand
 *              are negated)
 *   imm8[6]    index: least / most significant set bit (ECX = n when none);
 *              mask: the result bits in XMM0 bit by bit (zero-extended) or
 *              expanded to byte/word elements
 *
 * The first operand (xmm1, "a") is the set, the ranges or the needle; the
 * second (xmm2/m128, "b") the data. The explicit-length forms take the
 * lengths of a and b from EAX and EDX (RAX and RDX with REX.W), as absolute
 * values saturated to n; the implicit-length forms end each string at its
 * first zero element. Element pairs where one side is past its end compare
 * as the SDM's override table says (SDM vol. 2 "PCMPESTRI", 4.1.5-4.1.6).
 * Flags: CF = the result is not zero, ZF = b ends before n elements, SF = a
 * does, OF = bit 0 of the result, AF = PF = 0. The 128-bit memory operand
 * has no alignment rule (SDM: exceptions type 4, note on these four).
 *
 * VEX forms (VPCMPESTRI/M, VPCMPISTRI/M: VEX.128 only, vvvv 1111b): the
 * same operation; VEX.W selects RAX/RDX as REX.W does (64-bit mode only),
 * and the M forms zero bits 255:128 of YMM0.
 */
#include "emu/insn/sse.h"

#include "emu/insn/handlers.h"

struct strops {
	int32_t a[16], b[16]; /* the elements, sign- or zero-extended */
	unsigned n, la, lb;   /* element count, valid lengths of a and b */
};

static void load_elems(int32_t *out, const uint8_t *v, unsigned fmt)
{
	for (unsigned i = 0; i < ((fmt & 1) ? 8u : 16u); i++) {
		if (fmt & 1) {
			uint16_t w = (uint16_t)(v[2 * i] | v[2 * i + 1] << 8);
			out[i] = (fmt & 2) ? (int16_t)w : w;
		} else {
			out[i] = (fmt & 2) ? (int8_t)v[i] : v[i];
		}
	}
}

/* |len| saturated to n (len: EAX/EDX sign-extended, or RAX/RDX) */
static unsigned explicit_len(int64_t len, unsigned n)
{
	uint64_t m = len < 0 ? (uint64_t)0 - (uint64_t)len : (uint64_t)len;
	return m > n ? n : (unsigned)m;
}

static unsigned implicit_len(const int32_t *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!e[i])
			return i;
	return n;
}

/* The result bits (IntRes2) for imm8 over the operands */
static unsigned compute(const struct strops *s, unsigned imm)
{
	unsigned n = s->n, agg = (imm >> 2) & 3, res = 0;
	for (unsigned i = 0; i < n; i++) { /* result bit i: about b[i] */
		bool r = false;
		switch (agg) {
		case 0: /* equal any: b[i] is one of a[0..la) */
			if (i < s->lb)
				for (unsigned j = 0; j < s->la; j++)
					r |= s->a[j] == s->b[i];
			break;
		case 1: /* ranges: a[j] <= b[i] <= a[j+1] for a pair of a */
			if (i < s->lb)
				for (unsigned j = 0; j + 1 < n; j += 2) {
					bool lo = j < s->la && s->b[i] >= s->a[j];
					bool hi = j + 1 < s->la && s->b[i] <= s->a[j + 1];
					r |= lo && hi;
				}
			break;
		case 2: /* equal each: a[i] == b[i]; both past the end: true */
			if (i >= s->la && i >= s->lb)
				r = true;
			else if (i < s->la && i < s->lb)
				r = s->a[i] == s->b[i];
			break;
		default: /* equal ordered: a (to its end) matches b from i on */
			r = true;
			for (unsigned k = 0; k + i < n && r; k++) {
				if (k >= s->la)
					break; /* the needle ended: a match so far */
				if (k + i >= s->lb || s->a[k] != s->b[k + i])
					r = false;
			}
			break;
		}
		res |= (unsigned)r << i;
	}
	unsigned all = (1u << n) - 1, valid_b = (1u << s->lb) - 1;
	switch ((imm >> 4) & 3) {
	case 1: res ^= all; break;
	case 3: res ^= valid_b; break;
	default: break;
	}
	return res & all;
}

static void pcmpstr(struct emu_cpu *c, const struct emu_insn *in, bool explicit_lengths, bool index)
{
	emu_sse_check(c, in);
	unsigned imm = (unsigned)in->imm & 0xff, fmt = imm & 3;
	uint8_t bv[16];
	_mm_storeu_si128((__m128i *)(void *)bv, emu_sse_W(c, in, false));
	struct strops s;
	s.n = (fmt & 1) ? 8 : 16;
	load_elems(s.a, c->s.fpu.xmm[in->reg], fmt);
	load_elems(s.b, bv, fmt);
	if (explicit_lengths) {
		bool w = in->osz == 8; /* REX.W / VEX.W in 64-bit mode */
		int64_t ra = w ? (int64_t)c->gpr[RAX_REG_RAX] : (int32_t)c->gpr[RAX_REG_RAX];
		int64_t rd = w ? (int64_t)c->gpr[RAX_REG_RDX] : (int32_t)c->gpr[RAX_REG_RDX];
		s.la = explicit_len(ra, s.n);
		s.lb = explicit_len(rd, s.n);
	} else {
		s.la = implicit_len(s.a, s.n);
		s.lb = implicit_len(s.b, s.n);
	}
	unsigned res = compute(&s, imm);
	if (index) {
		unsigned idx = s.n;
		if (res)
			idx = (imm & 0x40) ? 31u - (unsigned)__builtin_clz(res) : (unsigned)__builtin_ctz(res);
		c->gpr[RAX_REG_RCX] = idx;
	} else {
		uint8_t m[16];
		memset(m, 0, sizeof(m));
		if (imm & 0x40) {
			unsigned esz = 16 / s.n;
			for (unsigned i = 0; i < s.n; i++)
				if ((res >> i) & 1)
					memset(m + i * esz, 0xff, esz);
		} else {
			m[0] = (uint8_t)res;
			m[1] = (uint8_t)(res >> 8);
		}
		emu_vreg_st(c, in, 0, _mm_loadu_si128((const __m128i *)(const void *)m));
	}
	emu_set_status(c, RFLAGS_STATUS,
		       (res ? RFLAGS_CF : 0) | (s.lb < s.n ? RFLAGS_ZF : 0) | (s.la < s.n ? RFLAGS_SF : 0) |
			       ((res & 1) ? RFLAGS_OF : 0));
}

EMU_HANDLER(pcmpestrm_VWIb) { pcmpstr(c, in, true, false); }
EMU_HANDLER(pcmpestri_VWIb) { pcmpstr(c, in, true, true); }
EMU_HANDLER(pcmpistrm_VWIb) { pcmpstr(c, in, false, false); }
EMU_HANDLER(pcmpistri_VWIb) { pcmpstr(c, in, false, true); }
