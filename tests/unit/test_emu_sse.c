/*
 * test_emu_sse.c - the SSE/SSE2/MMX instruction set of the interpreter.
 *
 * 1. Differential: every valid SSE/SSE2/MMX form (register and memory, all
 *    mandatory prefixes) runs with random operands - FP specials, denormals,
 *    NaNs, random MXCSR rounding/FTZ/DAZ/masks - once natively on the host
 *    CPU (the ground truth; a small asm stub loads the registers, executes
 *    the instruction bytes and stores the registers back) and once on the
 *    emulator; XMM, MMX, RAX/RCX/RDX, OSZAPC, MXCSR, memory and the
 *    exception taken (#XM = SIGFPE, #GP = SIGSEGV, #UD = SIGILL) must agree.
 * 2. Fixed cases with values recorded on the host (an AMD Zen 4): RCPPS,
 *    conversions' integer indefinite, #XM flag rules.
 * 3. What the host cannot show at CPL3: #UD for SSE3 and invalid forms,
 *    #UD/#NM from CR0/CR4, #XM vs #UD by CR4.OSXMMEXCPT, the MMX/x87
 *    register aliasing (TOP, tags, exponent), MASKMOVDQU fault atomicity.
 */
#include <stdio.h>
#include <xmmintrin.h>

#include "cpuid_model.h"
#include "emu/decode.h"
#include "native_exec.h"
#include "unit.h"

#define NXF (NX_MMX | NX_ADDR | NX_FAULT_MXCSR)

/* ---------------- emulator execution ---------------- */

static struct tvm t;

static void vm_fresh(void) { nx_vm_fresh(&t, NXF); }

/* Run code on the emulator with the registers of s and memory mem at
 * TV_DATA (rbx = rdi = TV_DATA); results back into s and mem. */
static int emu_exec(const uint8_t *code, size_t n, struct nx_state *s, uint8_t *mem)
{
	vm_fresh();
	return nx_emu_exec(&t, code, n, s, mem, NXF);
}

/* ---------------- random operands ---------------- */

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void) { return nx_xorshift(&rng); }
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static uint32_t rnd_f32(void)
{
	static const uint32_t sp[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
		0x7fa00000, 0x7f800001, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x7f7fffff, 0xff7fffff,
		0x40400000, 0x3f000000, 0x4f000000, 0xcf000000, 0x4effffff, 0x5f000000, 0xdf000000, 0x3fc00000,
		0x40200000, 0xbfc00000, 0x0c000000, 0x72000000, 0x1a000000, 0x4b800000,
	};
	switch (rn(4)) {
	case 0: return sp[rn(sizeof(sp) / sizeof(sp[0]))];
	case 1: return (uint32_t)rnd();
	case 2: return (uint32_t)(rn(200) - 100); /* small integers */
	default:                                  /* a moderate float, random sign */
		return (uint32_t)(((rnd() & 1) << 31) | ((uint64_t)(rn(60) + 97) << 23) | (rnd() & 0x7fffff));
	}
}

static uint64_t rnd_f64(void)
{
	static const uint64_t sp[] = {
		0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
		0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
		0x7ff4000000000000ull, 0x7ff0000000000001ull, 0x0000000000000001ull, 0x800fffffffffffffull,
		0x0010000000000000ull, 0x7fefffffffffffffull, 0x4008000000000000ull, 0x41e0000000000000ull,
		0xc1e0000000000000ull, 0x41dfffffffffffffull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
		0x3fe0000000000000ull, 0x3810000000000000ull, 0x47f0000000000000ull, 0x36a0000000000000ull,
		0x3800000000000000ull, 0x380fffffe0000000ull, 0x41dfffffffc00000ull,
	};
	switch (rn(4)) {
	case 0: return sp[rn(sizeof(sp) / sizeof(sp[0]))];
	case 1: return rnd();
	case 2: return (uint64_t)(int64_t)(rn(200) - 100);
	default: return ((rnd() & 1) << 63) | ((uint64_t)(rn(120) + 963) << 52) | (rnd() & 0xfffffffffffffull);
	}
}

static uint64_t rnd_q(void)
{
	switch (rn(3)) {
	case 0: return rnd_f32() | (uint64_t)rnd_f32() << 32;
	case 1: return rnd_f64();
	default: return rnd();
	}
}

static void rnd_state(struct nx_state *s, uint8_t *mem, bool counts)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 32; i++) {
		uint64_t q = counts && rn(2) ? rn(70) : rnd_q();
		memcpy(&s->ymm[i / 2][8 * (i & 1)], &q, 8);
	}
	for (unsigned i = 0; i < 8; i++)
		s->mm[i] = counts && rn(2) ? rn(70) : rnd_q();
	for (unsigned i = 0; i < 3; i++)
		s->gpr[i] = rn(3) ? rnd_q() : (uint64_t)(int64_t)(int32_t)(rn(2000) - 1000);
	for (unsigned i = 0; i < 512; i += 8) {
		uint64_t q = counts && rn(2) ? rn(70) : rnd_q();
		memcpy(mem + i, &q, 8);
	}
	/* MXCSR: random RC, FTZ, DAZ and sticky flags; masks all set most of the time */
	uint32_t m = 0x1f80 | (rn(4) << 13) | (rn(4) == 0 ? 0x8000 : 0) | (rn(4) == 0 ? 0x40 : 0);
	if (rn(8) == 0)
		m |= (uint32_t)rnd() & 0x3f;
	if (rn(6) == 0)
		m &= ~((uint32_t)(rnd() & 0x3f) << 7);
	s->mxcsr = m;
	s->rflags = 0x202 | (rnd() & 0x8d5);
}

/* ---------------- instruction templates ---------------- */

enum { K_NONE, K_X, K_M, K_G };
#define F_IMM 1u  /* imm8 follows */
#define F_W 2u    /* REX.W */
#define F_MEMO 4u /* memory form only */
#define F_REGO 8u /* register form only */
#define F_CNT 16u /* shift counts: make some operands small */
#define F_AMD 32u /* vendor-specific result: compare only on an AMD host */

struct tpl {
	const char *name;
	uint8_t pfx; /* 0, 0x66, 0xf3, 0xf2 */
	uint8_t op;
	uint8_t kreg, krm; /* operand kinds of ModRM.reg and ModRM.rm */
	int8_t grp;        /* fixed ModRM.reg (group), or -1 */
	uint8_t fl;
};

#define X K_X
#define M K_M
#define G K_G
static const struct tpl tpls[] = {
	{ "movups", 0, 0x10, X, X, -1, 0 },
	{ "movupd", 0x66, 0x10, X, X, -1, 0 },
	{ "movss", 0xf3, 0x10, X, X, -1, 0 },
	{ "movsd", 0xf2, 0x10, X, X, -1, 0 },
	{ "movups st", 0, 0x11, X, X, -1, 0 },
	{ "movupd st", 0x66, 0x11, X, X, -1, 0 },
	{ "movss st", 0xf3, 0x11, X, X, -1, 0 },
	{ "movsd st", 0xf2, 0x11, X, X, -1, 0 },
	{ "movlps/movhlps", 0, 0x12, X, X, -1, 0 },
	{ "movlpd", 0x66, 0x12, X, X, -1, F_MEMO },
	{ "movlps st", 0, 0x13, X, X, -1, F_MEMO },
	{ "movlpd st", 0x66, 0x13, X, X, -1, F_MEMO },
	{ "unpcklps", 0, 0x14, X, X, -1, 0 },
	{ "unpcklpd", 0x66, 0x14, X, X, -1, 0 },
	{ "unpckhps", 0, 0x15, X, X, -1, 0 },
	{ "unpckhpd", 0x66, 0x15, X, X, -1, 0 },
	{ "movhps/movlhps", 0, 0x16, X, X, -1, 0 },
	{ "movhpd", 0x66, 0x16, X, X, -1, F_MEMO },
	{ "movhps st", 0, 0x17, X, X, -1, F_MEMO },
	{ "movhpd st", 0x66, 0x17, X, X, -1, F_MEMO },
	{ "movaps", 0, 0x28, X, X, -1, 0 },
	{ "movapd", 0x66, 0x28, X, X, -1, 0 },
	{ "movaps st", 0, 0x29, X, X, -1, 0 },
	{ "movapd st", 0x66, 0x29, X, X, -1, 0 },
	{ "cvtpi2ps", 0, 0x2a, X, M, -1, 0 },
	{ "cvtpi2pd", 0x66, 0x2a, X, M, -1, 0 },
	{ "cvtsi2ss", 0xf3, 0x2a, X, G, -1, 0 },
	{ "cvtsi2ss w", 0xf3, 0x2a, X, G, -1, F_W },
	{ "cvtsi2sd", 0xf2, 0x2a, X, G, -1, 0 },
	{ "cvtsi2sd w", 0xf2, 0x2a, X, G, -1, F_W },
	{ "movntps", 0, 0x2b, X, X, -1, F_MEMO },
	{ "movntpd", 0x66, 0x2b, X, X, -1, F_MEMO },
	{ "cvttps2pi", 0, 0x2c, M, X, -1, 0 },
	{ "cvttpd2pi", 0x66, 0x2c, M, X, -1, 0 },
	{ "cvttss2si", 0xf3, 0x2c, G, X, -1, 0 },
	{ "cvttss2si w", 0xf3, 0x2c, G, X, -1, F_W },
	{ "cvttsd2si", 0xf2, 0x2c, G, X, -1, 0 },
	{ "cvttsd2si w", 0xf2, 0x2c, G, X, -1, F_W },
	{ "cvtps2pi", 0, 0x2d, M, X, -1, 0 },
	{ "cvtpd2pi", 0x66, 0x2d, M, X, -1, 0 },
	{ "cvtss2si", 0xf3, 0x2d, G, X, -1, 0 },
	{ "cvtss2si w", 0xf3, 0x2d, G, X, -1, F_W },
	{ "cvtsd2si", 0xf2, 0x2d, G, X, -1, 0 },
	{ "cvtsd2si w", 0xf2, 0x2d, G, X, -1, F_W },
	{ "ucomiss", 0, 0x2e, X, X, -1, 0 },
	{ "ucomisd", 0x66, 0x2e, X, X, -1, 0 },
	{ "comiss", 0, 0x2f, X, X, -1, 0 },
	{ "comisd", 0x66, 0x2f, X, X, -1, 0 },
	{ "movmskps", 0, 0x50, G, X, -1, F_REGO },
	{ "movmskpd", 0x66, 0x50, G, X, -1, F_REGO },
	{ "sqrtps", 0, 0x51, X, X, -1, 0 },
	{ "sqrtpd", 0x66, 0x51, X, X, -1, 0 },
	{ "sqrtss", 0xf3, 0x51, X, X, -1, 0 },
	{ "sqrtsd", 0xf2, 0x51, X, X, -1, 0 },
	{ "rsqrtps", 0, 0x52, X, X, -1, F_AMD },
	{ "rsqrtss", 0xf3, 0x52, X, X, -1, F_AMD },
	{ "rcpps", 0, 0x53, X, X, -1, F_AMD },
	{ "rcpss", 0xf3, 0x53, X, X, -1, F_AMD },
	{ "andps", 0, 0x54, X, X, -1, 0 },
	{ "andpd", 0x66, 0x54, X, X, -1, 0 },
	{ "andnps", 0, 0x55, X, X, -1, 0 },
	{ "andnpd", 0x66, 0x55, X, X, -1, 0 },
	{ "orps", 0, 0x56, X, X, -1, 0 },
	{ "orpd", 0x66, 0x56, X, X, -1, 0 },
	{ "xorps", 0, 0x57, X, X, -1, 0 },
	{ "xorpd", 0x66, 0x57, X, X, -1, 0 },
#define FP4(nm, o)                                                                                            \
	{ nm "ps", 0, o, X, X, -1, 0 }, { nm "pd", 0x66, o, X, X, -1, 0 }, { nm "ss", 0xf3, o, X, X, -1, 0 }, \
	{                                                                                                     \
		nm "sd", 0xf2, o, X, X, -1, 0                                                                 \
	}
	FP4("add", 0x58),
	FP4("mul", 0x59),
	FP4("sub", 0x5c),
	FP4("min", 0x5d),
	FP4("div", 0x5e),
	FP4("max", 0x5f),
	{ "cvtps2pd", 0, 0x5a, X, X, -1, 0 },
	{ "cvtpd2ps", 0x66, 0x5a, X, X, -1, 0 },
	{ "cvtss2sd", 0xf3, 0x5a, X, X, -1, 0 },
	{ "cvtsd2ss", 0xf2, 0x5a, X, X, -1, 0 },
	{ "cvtdq2ps", 0, 0x5b, X, X, -1, 0 },
	{ "cvtps2dq", 0x66, 0x5b, X, X, -1, 0 },
	{ "cvttps2dq", 0xf3, 0x5b, X, X, -1, 0 },
#define INT2(nm, o, cnt) \
	{ nm " mm", 0, o, M, M, -1, cnt }, { nm, 0x66, o, X, X, -1, cnt }
	INT2("punpcklbw", 0x60, 0),
	INT2("punpcklwd", 0x61, 0),
	INT2("punpckldq", 0x62, 0),
	INT2("packsswb", 0x63, 0),
	INT2("pcmpgtb", 0x64, 0),
	INT2("pcmpgtw", 0x65, 0),
	INT2("pcmpgtd", 0x66, 0),
	INT2("packuswb", 0x67, 0),
	INT2("punpckhbw", 0x68, 0),
	INT2("punpckhwd", 0x69, 0),
	INT2("punpckhdq", 0x6a, 0),
	INT2("packssdw", 0x6b, 0),
	{ "punpcklqdq", 0x66, 0x6c, X, X, -1, 0 },
	{ "punpckhqdq", 0x66, 0x6d, X, X, -1, 0 },
	{ "movd mm,r", 0, 0x6e, M, G, -1, 0 },
	{ "movq mm,r", 0, 0x6e, M, G, -1, F_W },
	{ "movd xmm,r", 0x66, 0x6e, X, G, -1, 0 },
	{ "movq xmm,r", 0x66, 0x6e, X, G, -1, F_W },
	{ "movq mm", 0, 0x6f, M, M, -1, 0 },
	{ "movdqa", 0x66, 0x6f, X, X, -1, 0 },
	{ "movdqu", 0xf3, 0x6f, X, X, -1, 0 },
	{ "pshufw", 0, 0x70, M, M, -1, F_IMM },
	{ "pshufd", 0x66, 0x70, X, X, -1, F_IMM },
	{ "pshufhw", 0xf3, 0x70, X, X, -1, F_IMM },
	{ "pshuflw", 0xf2, 0x70, X, X, -1, F_IMM },
#define GRP2(nm, o, r) \
	{ nm " mm,i", 0, o, K_NONE, M, r, F_IMM | F_REGO }, { nm " xmm,i", 0x66, o, K_NONE, X, r, F_IMM | F_REGO }
	GRP2("psrlw", 0x71, 2),
	GRP2("psraw", 0x71, 4),
	GRP2("psllw", 0x71, 6),
	GRP2("psrld", 0x72, 2),
	GRP2("psrad", 0x72, 4),
	GRP2("pslld", 0x72, 6),
	GRP2("psrlq", 0x73, 2),
	GRP2("psllq", 0x73, 6),
	{ "psrldq", 0x66, 0x73, K_NONE, X, 3, F_IMM | F_REGO },
	{ "pslldq", 0x66, 0x73, K_NONE, X, 7, F_IMM | F_REGO },
	INT2("pcmpeqb", 0x74, 0),
	INT2("pcmpeqw", 0x75, 0),
	INT2("pcmpeqd", 0x76, 0),
	{ "movd r,mm", 0, 0x7e, M, G, -1, 0 },
	{ "movq r,mm", 0, 0x7e, M, G, -1, F_W },
	{ "movd r,xmm", 0x66, 0x7e, X, G, -1, 0 },
	{ "movq r,xmm", 0x66, 0x7e, X, G, -1, F_W },
	{ "movq xmm,xmm/m64", 0xf3, 0x7e, X, X, -1, 0 },
	{ "movq mm st", 0, 0x7f, M, M, -1, 0 },
	{ "movdqa st", 0x66, 0x7f, X, X, -1, 0 },
	{ "movdqu st", 0xf3, 0x7f, X, X, -1, 0 },
	{ "cmpps", 0, 0xc2, X, X, -1, F_IMM },
	{ "cmppd", 0x66, 0xc2, X, X, -1, F_IMM },
	{ "cmpss", 0xf3, 0xc2, X, X, -1, F_IMM },
	{ "cmpsd", 0xf2, 0xc2, X, X, -1, F_IMM },
	{ "pinsrw mm", 0, 0xc4, M, G, -1, F_IMM },
	{ "pinsrw", 0x66, 0xc4, X, G, -1, F_IMM },
	{ "pextrw mm", 0, 0xc5, G, M, -1, F_IMM | F_REGO },
	{ "pextrw", 0x66, 0xc5, G, X, -1, F_IMM | F_REGO },
	{ "shufps", 0, 0xc6, X, X, -1, F_IMM },
	{ "shufpd", 0x66, 0xc6, X, X, -1, F_IMM },
	INT2("psrlw", 0xd1, F_CNT),
	INT2("psrld", 0xd2, F_CNT),
	INT2("psrlq", 0xd3, F_CNT),
	INT2("paddq", 0xd4, 0),
	INT2("pmullw", 0xd5, 0),
	{ "movq st", 0x66, 0xd6, X, X, -1, 0 },
	{ "movq2dq", 0xf3, 0xd6, X, M, -1, F_REGO },
	{ "movdq2q", 0xf2, 0xd6, M, X, -1, F_REGO },
	{ "pmovmskb mm", 0, 0xd7, G, M, -1, F_REGO },
	{ "pmovmskb", 0x66, 0xd7, G, X, -1, F_REGO },
	INT2("psubusb", 0xd8, 0),
	INT2("psubusw", 0xd9, 0),
	INT2("pminub", 0xda, 0),
	INT2("pand", 0xdb, 0),
	INT2("paddusb", 0xdc, 0),
	INT2("paddusw", 0xdd, 0),
	INT2("pmaxub", 0xde, 0),
	INT2("pandn", 0xdf, 0),
	INT2("pavgb", 0xe0, 0),
	INT2("psraw", 0xe1, F_CNT),
	INT2("psrad", 0xe2, F_CNT),
	INT2("pavgw", 0xe3, 0),
	INT2("pmulhuw", 0xe4, 0),
	INT2("pmulhw", 0xe5, 0),
	{ "cvttpd2dq", 0x66, 0xe6, X, X, -1, 0 },
	{ "cvtdq2pd", 0xf3, 0xe6, X, X, -1, 0 },
	{ "cvtpd2dq", 0xf2, 0xe6, X, X, -1, 0 },
	{ "movntq", 0, 0xe7, M, M, -1, F_MEMO },
	{ "movntdq", 0x66, 0xe7, X, X, -1, F_MEMO },
	INT2("psubsb", 0xe8, 0),
	INT2("psubsw", 0xe9, 0),
	INT2("pminsw", 0xea, 0),
	INT2("por", 0xeb, 0),
	INT2("paddsb", 0xec, 0),
	INT2("paddsw", 0xed, 0),
	INT2("pmaxsw", 0xee, 0),
	INT2("pxor", 0xef, 0),
	INT2("psllw", 0xf1, F_CNT),
	INT2("pslld", 0xf2, F_CNT),
	INT2("psllq", 0xf3, F_CNT),
	INT2("pmuludq", 0xf4, 0),
	INT2("pmaddwd", 0xf5, 0),
	INT2("psadbw", 0xf6, 0),
	{ "maskmovq", 0, 0xf7, M, M, -1, F_REGO },
	{ "maskmovdqu", 0x66, 0xf7, X, X, -1, F_REGO },
	INT2("psubb", 0xf8, 0),
	INT2("psubw", 0xf9, 0),
	INT2("psubd", 0xfa, 0),
	INT2("psubq", 0xfb, 0),
	INT2("paddb", 0xfc, 0),
	INT2("paddw", 0xfd, 0),
	INT2("paddd", 0xfe, 0),
};
#undef X
#undef M
#undef G

/* A register number for an operand kind: xmm0-15, mm0-7 (REX bit random),
 * GPR rax/rcx/rdx. */
static unsigned pick_reg(unsigned kind)
{
	switch (kind) {
	case K_X: return rn(16);
	case K_M: return rn(16); /* REX.R/B are ignored for mm */
	case K_G: return rn(3);
	default: return 0;
	}
}

/* Encode one instance of tp into b; returns the length. */
static size_t encode(const struct tpl *tp, uint8_t *b, bool *mem)
{
	size_t n = 0;
	unsigned reg = tp->grp >= 0 ? (unsigned)tp->grp : pick_reg(tp->kreg);
	bool m = !(tp->fl & F_REGO) && ((tp->fl & F_MEMO) || rn(2));
	unsigned rm = m ? 3 : pick_reg(tp->krm); /* memory: [rbx + disp8] */
	if (tp->pfx)
		b[n++] = tp->pfx;
	uint8_t rex = (uint8_t)(0x40 | ((tp->fl & F_W) ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0));
	if (rex != 0x40 || rn(8) == 0)
		b[n++] = rex;
	b[n++] = 0x0f;
	b[n++] = tp->op;
	if (m) {
		b[n++] = (uint8_t)(0x40 | (reg & 7) << 3 | 3);
		/* mostly 16-byte aligned, sometimes not (alignment rules) */
		unsigned disp = rn(4) ? 16 * rn(8) : rn(0x80);
		b[n++] = (uint8_t)disp;
	} else {
		b[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	}
	if (tp->fl & F_IMM) {
		unsigned imm = rn(3) ? rn(256) : rn(70);
		b[n++] = (uint8_t)imm;
	}
	*mem = m;
	return n;
}

static unsigned diff_fail_prints;

static void test_differential(unsigned per_form)
{
	bool amd = nx_host_amd();
	if (!amd)
		printf("differential: RCPPS/RSQRTPS forms skipped: the host is not an AMD CPU, and "
		       "their low bits are vendor-specific (the model is AMD)\n");
	unsigned ntpl = sizeof(tpls) / sizeof(tpls[0]), bad_forms = 0;
	struct nx_tally n = { 0 };
	for (unsigned k = 0; k < ntpl; k++) {
		const struct tpl *tp = &tpls[k];
		unsigned fails = 0;
		if ((tp->fl & F_AMD) && !amd)
			continue;
		for (unsigned it = 0; it < per_form; it++) {
			struct nx_case c;
			bool m;
			c.n = encode(tp, c.code, &m);
			rnd_state(&c.s0, c.m0, (tp->fl & F_CNT) != 0);
			bool ok = nx_case_run(&c, emu_exec, 0x8d5, NXF);
			nx_tally_add(&n, c.nv);
			if (!ok) {
				fails++;
				if (diff_fail_prints++ < 40)
					nx_report("differential", tp->name, c.code, c.n, c.s0.mxcsr, c.why);
			}
		}
		CHECK_EQ(fails, 0);
		bad_forms += fails != 0;
	}
	printf("differential: %u forms x %u cases (host: %u completed, %u #XM, %u #GP, %u #UD), "
	       "%u forms disagree with the host\n",
	       ntpl, per_form, n.clean, n.xm, n.gp, n.ud, bad_forms);
	CHECK(n.xm > 0 && n.gp > 0 && n.ud == 0);
}

/* ---------------- fixed cases ---------------- */

static size_t code_len;

static void prep(const char *hex)
{
	uint8_t b[64];
	size_t n = unit_hex(hex, b);
	b[n++] = 0xf4;
	vm_fresh();
	tv_code(&t, b, n);
	code_len = n;
}

static int go(void)
{
	enum rax_exit_kind k = tv_run(&t);
	if (k == RAX_EXIT_HLT && t.s.rip == TV_CODE + code_len)
		return V_NONE;
	int v = tv_vector(&t);
	if (v < 0)
		return 100 + (int)k;
	return v;
}

static int run(const char *hex)
{
	prep(hex);
	return go();
}

static uint64_t xq(unsigned r, unsigned h)
{
	uint64_t v;
	memcpy(&v, t.s.fpu.xmm[r] + 8 * h, 8);
	return v;
}
static void set_xmm(unsigned r, uint64_t lo, uint64_t hi)
{
	memcpy(t.s.fpu.xmm[r], &lo, 8);
	memcpy(t.s.fpu.xmm[r] + 8, &hi, 8);
}

/* Decode in 64-bit mode at level v1: the SSE/SSE2 set these tests are about
 * (SSE3 and later forms there are #UD). */
static int dec(const char *hex)
{
	uint8_t b[16];
	size_t n = unit_hex(hex, b);
	struct emu_insn in;
	return emu_decode_level(b, (unsigned)n, EMU_MODE_64, RAX_CPU_V1, &in);
}

static const char *mnem(const char *hex, char *buf, size_t n)
{
	uint8_t b[16];
	size_t len = unit_hex(hex, b);
	struct emu_insn in;
	if (emu_decode(b, (unsigned)len, &in) != EMU_DEC_OK)
		return "(ud)";
	return emu_mnemonic(&in, buf, n);
}

/* No row of the SSE/MMX part of the 0F map is left unimplemented. */
static void test_table(void)
{
	unsigned unimpl = 0;
	for (unsigned r = 1; r < emu_noprows; r++) {
		const struct emu_oprow *o = &emu_oprows[r];
		bool sse = o->map == 1 &&
			((o->op >= 0x10 && o->op <= 0x17) || (o->op >= 0x28 && o->op <= 0x2f) ||
			 (o->op >= 0x50 && o->op <= 0x7f) || (o->op >= 0xc2 && o->op <= 0xc6) || o->op >= 0xd0);
		if (sse && (o->flags & EMU_F_UNIMPL)) {
			unimpl++;
			fprintf(stderr, "UNIMPL row: %s\n", o->mnem);
		}
	}
	CHECK_EQ(unimpl, 0);
}

static void test_decode(void)
{
	char b[32];
	/* SSE3 and later forms are #UD on this model */
	static const char *const ud[] = {
		"66 0f 7c c1",
		"f2 0f 7c c1",
		"66 0f 7d c1",
		"f2 0f 7d c1", /* haddpd/ps, hsubpd/ps */
		"66 0f d0 c1",
		"f2 0f d0 c1",
		"0f d0 c1",    /* addsubpd/ps */
		"f2 0f f0 00", /* lddqu */
		"f2 0f 12 c1",
		"f3 0f 12 c1",
		"f3 0f 16 c1", /* movddup/sldup/shdup */
		"66 0f 78 c0 01 02",
		"f2 0f 79 c1", /* SSE4A extrq/insertq */
		/* invalid prefix / form combinations */
		"66 0f 12 c1",
		"66 0f 13 c1",
		"0f 13 c1",
		"66 0f 16 c1",
		"0f 17 c1",
		"66 0f 52 c1",
		"f2 0f 52 c1",
		"66 0f 53 c1",
		"f2 0f 53 c1",
		"f3 0f 54 c1",
		"f2 0f 5b c1",
		"0f 6c c1",
		"0f 6d c1",
		"f3 0f 60 c1",
		"f2 0f 74 c1",
		"0f 50 00",
		"66 0f 50 00",
		"0f d7 00",
		"66 0f d7 00",
		"0f c5 00 01",
		"66 0f c5 00 01",
		"0f 71 00 01",
		"0f 71 c0 01",
		"0f 73 d8 01",
		"0f 73 f8 01",
		"66 0f 72 d8 01",
		"66 0f 71 e8 01",
		"0f 2b c1",
		"66 0f e7 c1",
		"0f e7 c1",
		"0f d6 c1",
		"f3 0f d6 00",
		"f2 0f d6 00",
		"0f e6 c1",
		"0f f7 00",
		"66 0f f7 00",
		"f3 0f c6 c1 00",
		"f2 0f c4 c1 00",
		"f2 0f 2e c1",
		"f3 0f 2f c1",
	};
	for (unsigned i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
		int d = dec(ud[i]);
		if (d != EMU_DEC_UD)
			fprintf(stderr, "expected #UD: %s\n", ud[i]);
		CHECK_EQ(d, EMU_DEC_UD);
	}
	CHECK(!strcmp(mnem("0f 12 c1", b, sizeof(b)), "movhlps"));
	CHECK(!strcmp(mnem("0f 12 00", b, sizeof(b)), "movlps"));
	CHECK(!strcmp(mnem("0f 16 c1", b, sizeof(b)), "movlhps"));
	CHECK(!strcmp(mnem("66 0f 16 00", b, sizeof(b)), "movhpd"));
	CHECK(!strcmp(mnem("0f 6f c1", b, sizeof(b)), "movq"));
	CHECK(!strcmp(mnem("48 0f 6e c0", b, sizeof(b)), "movq"));
	CHECK(!strcmp(mnem("0f 6e c0", b, sizeof(b)), "movd"));
	CHECK(!strcmp(mnem("0f 73 d0 01", b, sizeof(b)), "psrlq"));
	CHECK(!strcmp(mnem("66 0f 73 f8 01", b, sizeof(b)), "pslldq"));
	CHECK(!strcmp(mnem("f3 48 0f 2d c0", b, sizeof(b)), "cvtss2si"));
	CHECK(!strcmp(mnem("66 0f e6 c1", b, sizeof(b)), "cvttpd2dq"));
	CHECK(!strcmp(mnem("f2 0f e6 c1", b, sizeof(b)), "cvtpd2dq"));
	CHECK(!strcmp(mnem("f3 0f e6 c1", b, sizeof(b)), "cvtdq2pd"));
	CHECK(!strcmp(mnem("0f e7 00", b, sizeof(b)), "movntq"));
	CHECK(!strcmp(mnem("f3 0f d6 c1", b, sizeof(b)), "movq2dq"));
	CHECK(!strcmp(mnem("f2 0f d6 c1", b, sizeof(b)), "movdq2q"));
	CHECK(!strcmp(mnem("66 f2 0f 58 c1", b, sizeof(b)), "addsd")); /* F2 wins over 66 */
	/* lengths with immediates and memory operands */
	uint8_t code[] = { 0x66, 0x0f, 0xc2, 0x44, 0x24, 0x10, 0x04 }; /* cmppd xmm0, [rsp+16], 4 */
	struct emu_insn in;
	CHECK_EQ(emu_decode(code, sizeof(code), &in), EMU_DEC_OK);
	CHECK_EQ(in.len, 7);
	CHECK_EQ(in.imm & 0xff, 4);
}

/* Values recorded on the host CPU (AMD Zen 4). */
static void test_fixed_values(void)
{
	/* rcpps xmm0, xmm1 / rsqrtps xmm2, xmm1 on {1, 2, 3, 0.1} */
	prep("0f 53 c1  0f 52 d1");
	set_xmm(1, 0x400000003f800000ull, 0x3dcccccd40400000ull);
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(xq(0, 0), 0x3efff0003f7ff000ull);
	CHECK_EQ(xq(0, 1), 0x412000003eaaa800ull);
	CHECK_EQ(xq(2, 0), 0x3f3500003f7ff800ull);
	CHECK_EQ(xq(2, 1), 0x404a68003f13c800ull);
	/* cvtss2si eax, xmm1 on NaN: integer indefinite, IE; cvttsd2si rcx, xmm2 on 2^63 */
	prep("f3 0f 2d c1  f2 48 0f 2c ca");
	set_xmm(1, 0x7fc00000, 0);
	set_xmm(2, 0x43e0000000000000ull, 0);
	t.s.gpr[RAX_REG_RAX] = ~0ull;
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0x80000000ull);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x8000000000000000ull);
	CHECK_EQ(t.s.fpu.mxcsr, 0x1f81);
	/* addps with RC = toward zero and an inexact result: 1 + 2^-30 */
	prep("0f 58 c1");
	set_xmm(0, 0x3f800000, 0);
	set_xmm(1, 0x30800000, 0);
	t.s.fpu.mxcsr = 0x7f80;
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(xq(0, 0), 0x3f800000);
	CHECK_EQ(t.s.fpu.mxcsr, 0x7fa0);
	/* ucomisd: unordered sets ZF PF CF and clears OF SF AF */
	prep("66 0f 2e c1");
	set_xmm(0, 0x7ff8000000000000ull, 0);
	set_xmm(1, 0x3ff0000000000000ull, 0);
	t.s.rflags = 0x2 | 0x800 | 0x80 | 0x10;
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(t.s.rflags & 0x8d5, 0x45);
	CHECK_EQ(t.s.fpu.mxcsr, 0x1f80); /* QNaN: no IE for UCOMISD */
}

/* #XM rules (host: overflow with OE unmasked sets OE only; the flags of an
 * unmasked pre-computation exception alone; exact tiny with UE unmasked) */
static void test_xm(void)
{
	/* mulss xmm0, xmm1: 2^100 * 2^100, OE unmasked */
	prep("f3 0f 59 c1");
	set_xmm(0, 0x71800000, 0);
	set_xmm(1, 0x71800000, 0);
	t.s.fpu.mxcsr = 0x1f80 & ~0x400u;
	CHECK_EQ(go(), V_XM);
	CHECK_EQ(t.s.fpu.mxcsr, 0x1b88);
	CHECK_EQ(xq(0, 0), 0x71800000); /* destination unchanged */
	CHECK_EQ(t.s.rip, TV_HANDLERS + 16 * V_XM + 1);
	/* the same with CR4.OSXMMEXCPT=0: #UD */
	prep("f3 0f 59 c1");
	t.s.cr4 &= ~(uint64_t)CR4_OSXMMEXCPT;
	set_xmm(0, 0x71800000, 0);
	set_xmm(1, 0x71800000, 0);
	t.s.fpu.mxcsr = 0x1f80 & ~0x400u;
	CHECK_EQ(go(), V_UD);
	/* only PE unmasked: all flags (OE PE) */
	prep("f3 0f 59 c1");
	set_xmm(0, 0x71800000, 0);
	set_xmm(1, 0x71800000, 0);
	t.s.fpu.mxcsr = 0x0f80;
	CHECK_EQ(go(), V_XM);
	CHECK_EQ(t.s.fpu.mxcsr, 0x0fa8);
	/* 2^-70 * 2^-70 is an exact denormal: #XM with UE unmasked (FTZ ignored) */
	prep("f3 0f 59 c1");
	set_xmm(0, 0x1c800000, 0);
	set_xmm(1, 0x1c800000, 0);
	t.s.fpu.mxcsr = 0x9780;
	CHECK_EQ(go(), V_XM);
	CHECK_EQ(t.s.fpu.mxcsr, 0x9790);
	/* ... and with UE masked and FTZ: zero, UE PE */
	prep("f3 0f 59 c1");
	set_xmm(0, 0x1c800000, 0);
	set_xmm(1, 0x1c800000, 0);
	t.s.fpu.mxcsr = 0x9f80;
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(xq(0, 0), 0);
	CHECK_EQ(t.s.fpu.mxcsr, 0x9fb0);
	/* denormal operand with DM clear: DE only */
	prep("f3 0f 59 c1");
	set_xmm(0, 0x00000004, 0);
	set_xmm(1, 0x3f880000, 0);
	t.s.fpu.mxcsr = 0x1e80;
	CHECK_EQ(go(), V_XM);
	CHECK_EQ(t.s.fpu.mxcsr, 0x1e82);
	/* a fault on the memory operand comes first: #PF, MXCSR untouched */
	prep("0f 58 04 25 00 00 00 40"); /* addps xmm0, [0x40000000]: unmapped */
	t.s.fpu.mxcsr = 0x1f80;
	CHECK_EQ(go(), V_PF);
	CHECK_EQ(t.s.fpu.mxcsr, 0x1f80);
}

static void test_availability(void)
{
	static const char *const sse_forms[] = { "0f 58 c1", "66 0f fe c1",    "f2 0f 2d c1",
						 "0f 10 c1", "66 0f 73 d8 01", "f3 0f d6 c1" };
	for (unsigned i = 0; i < sizeof(sse_forms) / sizeof(sse_forms[0]); i++) {
		prep(sse_forms[i]);
		t.s.cr4 &= ~(uint64_t)CR4_OSFXSR;
		CHECK_EQ(go(), V_UD);
		prep(sse_forms[i]);
		t.s.cr0 |= CR0_EM;
		CHECK_EQ(go(), V_UD);
		prep(sse_forms[i]);
		t.s.cr0 |= CR0_TS;
		CHECK_EQ(go(), V_NM);
	}
	/* MMX forms: #UD only for CR0.EM (CR4.OSFXSR does not matter), #NM for TS */
	static const char *const mmx_forms[] = { "0f fe c1", "0f 6f c1",    "0f 71 d0 01",
						 "0f e0 c1", "0f 70 c1 1b", "0f c5 c1 01" };
	for (unsigned i = 0; i < sizeof(mmx_forms) / sizeof(mmx_forms[0]); i++) {
		prep(mmx_forms[i]);
		t.s.cr4 &= ~(uint64_t)CR4_OSFXSR;
		CHECK_EQ(go(), V_NONE);
		prep(mmx_forms[i]);
		t.s.cr0 |= CR0_EM;
		CHECK_EQ(go(), V_UD);
		prep(mmx_forms[i]);
		t.s.cr0 |= CR0_TS;
		CHECK_EQ(go(), V_NM);
		/* pending unmasked x87 exception: #MF */
		prep(mmx_forms[i]);
		t.s.fpu.fsw = 0x8081;
		CHECK_EQ(go(), V_MF);
	}
	/* misaligned 16-byte operands: #GP(0) for the aligned forms only */
	prep("66 0f fe 04 25 08 00 40 00");
	CHECK_EQ(go(), V_GP);
	CHECK_EQ(tv_r64(&t, TV_STACK - 48), 0);
	CHECK_EQ(run("0f 58 04 25 04 00 40 00"), V_GP);
	CHECK_EQ(run("66 0f 70 04 25 01 00 40 00 1b"), V_GP);
	CHECK_EQ(run("f3 0f 58 04 25 01 00 40 00"), V_NONE); /* addss m32 */
	CHECK_EQ(run("0f 5a 04 25 04 00 40 00"), V_NONE);    /* cvtps2pd m64 */
	CHECK_EQ(run("0f 12 04 25 04 00 40 00"), V_NONE);    /* movlps */
	CHECK_EQ(run("0f fe 04 25 03 00 40 00"), V_NONE);    /* paddd mm, m64 */
	CHECK_EQ(run("f3 0f 6f 04 25 03 00 40 00"), V_NONE); /* movdqu */
}

/* MMX registers alias the x87 registers (physical order) */
static void test_mmx_state(void)
{
	/* TOP = 6: ST(0) = physical 6. movq mm0, mm7; movq rax, mm6 */
	prep("0f 6f c7  48 0f 7e f0");
	t.s.fpu.fsw = 6 << 11;
	t.s.fpu.ftw = 0xc0;
	for (unsigned i = 0; i < 8; i++) {
		uint64_t m = 0x1111111111111111ull * (i + 1); /* st[i] = ST(i) = physical (6 + i) & 7 */
		memcpy(t.s.fpu.st[i], &m, 8);
		t.s.fpu.st[i][8] = (uint8_t)i;
		t.s.fpu.st[i][9] = 0x3f;
	}
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(t.s.fpu.fsw & 0x3800, 0); /* TOP = 0 */
	CHECK_EQ(t.s.fpu.ftw, 0xff);
	/* physical 7 was ST(1) = 0x2222...; physical 6 was ST(0) = 0x1111... */
	uint64_t v;
	memcpy(&v, t.s.fpu.st[0], 8);
	CHECK_EQ(v, 0x2222222222222222ull);
	CHECK_EQ(t.s.fpu.st[0][8], 0xff); /* written: exponent all ones */
	CHECK_EQ(t.s.fpu.st[0][9], 0xff);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0x1111111111111111ull);
	CHECK_EQ(t.s.fpu.st[6][8], 0); /* only read: exponent kept */
	CHECK_EQ(t.s.fpu.st[6][9], 0x3f);
	memcpy(&v, t.s.fpu.st[2], 8); /* physical 2 was ST(4) = 0x5555... */
	CHECK_EQ(v, 0x5555555555555555ull);
	/* a memory fault leaves the x87 state alone */
	prep("0f fe 04 25 00 00 00 40");
	t.s.fpu.fsw = 3 << 11;
	t.s.fpu.ftw = 0x01;
	CHECK_EQ(go(), V_PF);
	CHECK_EQ(t.s.fpu.fsw, 3 << 11);
	CHECK_EQ(t.s.fpu.ftw, 0x01);
	/* CVTPI2PS from memory: no transition (host), from a register: transition */
	prep("0f 2a 04 25 00 00 40 00");
	t.s.fpu.fsw = 7 << 11;
	t.s.fpu.ftw = 0x80;
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(t.s.fpu.fsw, 7 << 11);
	CHECK_EQ(t.s.fpu.ftw, 0x80);
	prep("0f 2a c1");
	t.s.fpu.fsw = 7 << 11;
	t.s.fpu.ftw = 0x80;
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(t.s.fpu.fsw, 0);
	CHECK_EQ(t.s.fpu.ftw, 0xff);
	/* XMM-only instructions leave the x87 state alone */
	prep("66 0f fe c1");
	t.s.fpu.fsw = 5 << 11;
	t.s.fpu.ftw = 0x07;
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(t.s.fpu.fsw, 5 << 11);
	CHECK_EQ(t.s.fpu.ftw, 0x07);
}

/* RCPPS/RSQRTPS: every table entry and every exponent against the host (AMD) */
static void test_rcp_tables(void)
{
	if (!nx_host_amd()) {
		printf("rcp tables: skipped, the host is not an AMD CPU (the model's values are AMD's)\n");
		return;
	}
	enum { N = 12288 };
	static uint32_t x[N];
	unsigned n = 0;
	for (uint32_t i = 0; i < 4096; i++) {
		x[n++] = 127u << 23 | i << 11 | (uint32_t)(rnd() & 0x7ff);
		x[n++] = 128u << 23 | i << 11 | (uint32_t)(rnd() & 0x7ff);
	}
	for (uint32_t e = 0; e < 256; e++)
		for (unsigned j = 0; j < 16; j++)
			x[n++] = (uint32_t)(j & 1) << 31 | e << 23 |
				(uint32_t)(j < 4 ? (j < 2 ? 0 : 1) : rnd() & 0x7fffff);
	/* loop: movups xmm0, [rsi]; rcpps xmm1, xmm0; rsqrtps xmm2, xmm0; movups [rdi], xmm1;
	 * movups [rdi + N*4], xmm2; add rsi, 16; add rdi, 16; dec ecx; jnz loop */
	prep("0f 10 06  0f 53 c8  0f 52 d0  0f 11 0f  0f 11 97 00 c0 00 00"
	     "  48 83 c6 10  48 83 c7 10  ff c9  75 e1");
	memcpy(tv_ptr(&t, TV_DATA), x, sizeof(x));
	t.s.gpr[RAX_REG_RSI] = TV_DATA;
	t.s.gpr[RAX_REG_RDI] = TV_DATA + 0x10000;
	t.s.gpr[RAX_REG_RCX] = N / 4;
	t.s.fpu.mxcsr = 0x9fc0; /* FTZ, DAZ: no influence */
	CHECK_EQ(go(), V_NONE);
	unsigned bad_rcp = 0, bad_rsqrt = 0;
	for (unsigned i = 0; i < N; i++) {
		float f;
		uint32_t r, q, er, eq;
		memcpy(&f, &x[i], 4);
		__m128 v = _mm_set_ss(f);
		f = _mm_cvtss_f32(_mm_rcp_ss(v));
		memcpy(&r, &f, 4);
		f = _mm_cvtss_f32(_mm_rsqrt_ss(v));
		memcpy(&q, &f, 4);
		memcpy(&er, tv_ptr(&t, TV_DATA + 0x10000 + 4 * i), 4);
		memcpy(&eq, tv_ptr(&t, TV_DATA + 0x10000 + 4 * N + 4 * i), 4);
		if (er != r && bad_rcp++ < 5)
			fprintf(stderr, "rcp %08x: host %08x emu %08x\n", x[i], r, er);
		if (eq != q && bad_rsqrt++ < 5)
			fprintf(stderr, "rsqrt %08x: host %08x emu %08x\n", x[i], q, eq);
	}
	CHECK_EQ(bad_rcp, 0);
	CHECK_EQ(bad_rsqrt, 0);
	CHECK_EQ(t.s.fpu.mxcsr, 0x9fc0);
}

/* MASKMOVDQU: only selected bytes, DS:RDI, all-or-nothing on a fault */
static void test_maskmov(void)
{
	prep("66 0f f7 c1");
	t.s.gpr[RAX_REG_RDI] = TV_DATA + 0x20;
	set_xmm(0, 0x0807060504030201ull, 0x100f0e0d0c0b0a09ull);
	set_xmm(1, 0x0000000000ff0080ull, 0x8000000000000000ull);
	memset(tv_ptr(&t, TV_DATA + 0x20), 0xee, 16);
	CHECK_EQ(go(), V_NONE);
	CHECK_EQ(tv_r64(&t, TV_DATA + 0x20), 0xeeeeeeeeee03ee01ull);
	CHECK_EQ(tv_r64(&t, TV_DATA + 0x28), 0x10eeeeeeeeeeeeeeull);
	/* last selected byte on an unmapped page: #PF, nothing written */
	prep("66 0f f7 c1");
	tv_w64(&t, TV_PD + 4 * 8, 0); /* unmap 0x800000-0x9fffff */
	t.s.gpr[RAX_REG_RDI] = 0x7ffff8;
	set_xmm(1, 0xff, 0xff00);
	memset(tv_ptr(&t, 0x7ffff8), 0xab, 8);
	CHECK_EQ(go(), V_PF);
	CHECK_EQ(tv_r64(&t, 0x7ffff8), 0xababababababababull);
	/* the whole destination is checked, whatever the mask (all zero
	 * included), as on the host (Zen 4): #PF with CR2 at the page start */
	prep("66 0f f7 c1");
	tv_w64(&t, TV_PD + 4 * 8, 0);
	t.s.gpr[RAX_REG_RDI] = 0x800000;
	set_xmm(1, 0, 0);
	CHECK_EQ(go(), V_PF);
	prep("66 0f f7 c1");
	tv_w64(&t, TV_PD + 4 * 8, 0);
	t.s.gpr[RAX_REG_RDI] = 0x7ffff8;
	set_xmm(1, 0x80, 0);
	memset(tv_ptr(&t, 0x7ffff8), 0xab, 8);
	CHECK_EQ(go(), V_PF);
	CHECK_EQ(t.s.cr2, 0x800000);
	CHECK_EQ(tv_r64(&t, 0x7ffff8), 0xababababababababull);
	/* MASKMOVQ too */
	prep("0f f7 c1");
	tv_w64(&t, TV_PD + 4 * 8, 0);
	t.s.gpr[RAX_REG_RDI] = 0x7ffffc;
	CHECK_EQ(go(), V_PF);
	CHECK_EQ(t.s.cr2, 0x800000);
}

int main(int argc, char **argv)
{
	/* test_emu_sse [cases per form [seed]] */
	unsigned per_form = argc > 1 ? (unsigned)atoi(argv[1]) : unit_cases(60);
	if (argc > 2 && strtoull(argv[2], NULL, 0))
		rng = strtoull(argv[2], NULL, 0);
	tv_init(&t);
	nx_init(NXF);
	test_table();
	test_decode();
	test_fixed_values();
	test_xm();
	test_availability();
	test_mmx_state();
	test_maskmov();
	test_rcp_tables();
	test_differential(per_form);
	nx_fini();
	tv_free(&t);
	return unit_finish("test_emu_sse");
}
