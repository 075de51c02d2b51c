/*
 * test_emu_avx.c - the VEX forms of the SSE/SSE2 moves and integer
 * operations (AVX VEX.128 and VEX.256, AVX2 VEX.256 integer; rows in
 * src/emu/opcodes_avx.def, handlers in insn/sse.c and insn/sse_int.c) and
 * VZEROUPPER/VZEROALL, at CPU level v3.
 *
 * 1. Differential: every form runs with random operands natively on the
 *    host CPU and on the emulator: random VEX.L, VEX.W, 2- and 3-byte VEX
 *    prefixes, register and memory operands (aligned, misaligned, and
 *    crossing into a page that is not mapped), VEX.vvvv = 1111b and not for
 *    the forms without a vvvv operand, VEX.L = 1 for the 128-bit-only forms,
 *    and the mod of the register-only and memory-only forms. YMM registers
 *    (both halves), RAX/RCX/RDX, the status flags, MXCSR, memory and the
 *    exception taken (#UD, #GP, #PF) must agree; a fault must leave every
 *    register and memory unchanged. Skipped (with a line) on a host without
 *    AVX2 or without the AVX state enabled by its OS.
 * 2. Directed: legacy SSE leaves bits 255:128 alone, VZEROUPPER/VZEROALL in
 *    64-bit and 32-bit mode, the AVX #UD/#NM rules, the VEX rows' level
 *    (#UD at v2) and the disassembly of the VEX operand forms.
 */
#include <stdio.h>

#include "emu/decode.h"
#include "native_exec.h"
#include "unit.h"

/* The operands' memory: MEMN bytes that end where an unmapped page starts
 * (native: PROT_NONE; emulator: a not-present PTE), so an operand near the
 * end crosses into it. RDI (VMASKMOVDQU) is an offset into it. */
#define NXF (NX_YMM | NX_EDGE | NX_ADDR)
#define MEMN NX_MEMN

/* Does the host run AVX2 with the YMM state enabled (CPUID AVX, AVX2,
 * OSXSAVE, and XCR0 bits 1-2)? */
static bool host_has_avx2(void)
{
	uint32_t r[4];
	nx_cpuid(0, 0, r);
	if (r[0] < 7 || !nx_host_avx(0))
		return false;
	nx_cpuid(7, 0, r);
	return r[1] & (1u << 5);
}

/* ---------------- emulator execution ---------------- */

static struct tvm t;

static void vm_fresh(unsigned level)
{
	nx_vm_fresh(&t, NXF);
	CHECK_EQ(emu_set_cpu_level(&t.vm, level), 0);
}

static int emu_exec(const uint8_t *code, size_t n, struct nx_state *s, uint8_t *mem)
{
	vm_fresh(RAX_CPU_V3);
	return nx_emu_exec(&t, code, n, s, mem, NXF);
}

/* ---------------- random operands ---------------- */

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) { return nx_xorshift(&rng); }
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* Integer test data: extremes of each element size, small values, random */
static uint64_t rnd_q(void)
{
	static const uint64_t sp[] = {
		0,
		~0ull,
		0x8000000000000000ull,
		0x7fffffffffffffffull,
		0x8000800080008000ull,
		0x7fff7fff7fff7fffull,
		0x8080808080808080ull,
		0x7f7f7f7f7f7f7f7full,
		0x0001000100010001ull,
		0x80000000ffffffffull,
		0x00ff00ff00ff00ffull,
		0xff00ff00ff00ff00ull,
	};
	switch (rn(5)) {
	case 0: return sp[rn(sizeof(sp) / sizeof(sp[0]))];
	case 1: return rnd() >> rn(64);
	case 2: return rn(40); /* shift counts */
	default: return rnd();
	}
}

static void rnd_state(struct nx_state *s, uint8_t *mem)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 16; i++)
		for (unsigned j = 0; j < 4; j++) {
			uint64_t q = rnd_q();
			memcpy(&s->ymm[i][8 * j], &q, 8);
		}
	for (unsigned i = 0; i < 3; i++)
		s->gpr[i] = rnd_q();
	for (unsigned i = 0; i < MEMN; i += 8) {
		uint64_t q = rnd_q();
		memcpy(mem + i, &q, 8);
	}
	/* VMASKMOVDQU's destination: RDI, sometimes crossing into the unmapped page */
	static const uint64_t di[] = { 0, 16, 100, MEMN - 16, MEMN - 8, MEMN - 4, MEMN - 1 };
	s->gpr[RAX_REG_RDI] = di[rn(sizeof(di) / sizeof(di[0]))];
	s->mxcsr = 0x1f80 | (rn(4) << 13) | (rn(4) == 0 ? 0x3f : 0);
	s->rflags = 0x202 | (rnd() & 0x8d5);
}

/* ---------------- templates ---------------- */

enum { K_X, K_G };
#define F_IMM 1u      /* imm8 follows */
#define F_MEMO 2u     /* memory form only (the register form is #UD) */
#define F_REGO 4u     /* register form only */
#define F_NV 8u       /* no VEX.vvvv operand: 1111b (else #UD) */
#define F_L0 16u      /* 128-bit (or scalar) form only: VEX.L = 0 (L = 1 is #UD or ignored) */
#define F_NOMODRM 32u /* no ModRM (VZEROUPPER/VZEROALL) */
#define F_UD 64u      /* no such form: #UD expected */

struct tpl {
	const char *name;
	uint8_t pp; /* VEX.pp: 0 none, 1 66, 2 F3, 3 F2 */
	uint8_t op; /* map 0F */
	int8_t ext; /* ModRM.reg for the 71-73 groups, else -1 */
	uint8_t kreg, krm;
	uint8_t fl;
};

#define X K_X
#define G K_G
#define NP 0
#define P66 1
#define PF3 2
#define PF2 3
#define MOVE F_NV
#define HALF (F_L0 | F_MEMO)
// clang-format off
static const struct tpl tpls[] = {
	/* 0F 10-17 */
	{ "vmovups ld", NP, 0x10, -1, X, X, MOVE }, { "vmovupd ld", P66, 0x10, -1, X, X, MOVE },
	{ "vmovss ld", PF3, 0x10, -1, X, X, 0 }, { "vmovsd ld", PF2, 0x10, -1, X, X, 0 },
	{ "vmovups st", NP, 0x11, -1, X, X, MOVE }, { "vmovupd st", P66, 0x11, -1, X, X, MOVE },
	{ "vmovss st", PF3, 0x11, -1, X, X, 0 }, { "vmovsd st", PF2, 0x11, -1, X, X, 0 },
	{ "vmovlps/hlps", NP, 0x12, -1, X, X, F_L0 }, { "vmovlpd", P66, 0x12, -1, X, X, HALF },
	{ "vmovlps st", NP, 0x13, -1, X, X, HALF | F_NV }, { "vmovlpd st", P66, 0x13, -1, X, X, HALF | F_NV },
	{ "vunpcklps", NP, 0x14, -1, X, X, 0 }, { "vunpcklpd", P66, 0x14, -1, X, X, 0 },
	{ "vunpckhps", NP, 0x15, -1, X, X, 0 }, { "vunpckhpd", P66, 0x15, -1, X, X, 0 },
	{ "vmovhps/lhps", NP, 0x16, -1, X, X, F_L0 }, { "vmovhpd", P66, 0x16, -1, X, X, HALF },
	{ "vmovhps st", NP, 0x17, -1, X, X, HALF | F_NV }, { "vmovhpd st", P66, 0x17, -1, X, X, HALF | F_NV },
	/* 0F 28-2B */
	{ "vmovaps ld", NP, 0x28, -1, X, X, MOVE }, { "vmovapd ld", P66, 0x28, -1, X, X, MOVE },
	{ "vmovaps st", NP, 0x29, -1, X, X, MOVE }, { "vmovapd st", P66, 0x29, -1, X, X, MOVE },
	{ "vmovntps", NP, 0x2b, -1, X, X, MOVE | F_MEMO }, { "vmovntpd", P66, 0x2b, -1, X, X, MOVE | F_MEMO },
	/* 0F 50-57 */
	{ "vmovmskps", NP, 0x50, -1, G, X, F_NV | F_REGO }, { "vmovmskpd", P66, 0x50, -1, G, X, F_NV | F_REGO },
	{ "vandps", NP, 0x54, -1, X, X, 0 }, { "vandpd", P66, 0x54, -1, X, X, 0 },
	{ "vandnps", NP, 0x55, -1, X, X, 0 }, { "vandnpd", P66, 0x55, -1, X, X, 0 },
	{ "vorps", NP, 0x56, -1, X, X, 0 }, { "vorpd", P66, 0x56, -1, X, X, 0 },
	{ "vxorps", NP, 0x57, -1, X, X, 0 }, { "vxorpd", P66, 0x57, -1, X, X, 0 },
	/* 0F 60-7F */
	{ "vpunpcklbw", P66, 0x60, -1, X, X, 0 }, { "vpunpcklwd", P66, 0x61, -1, X, X, 0 },
	{ "vpunpckldq", P66, 0x62, -1, X, X, 0 }, { "vpacksswb", P66, 0x63, -1, X, X, 0 },
	{ "vpcmpgtb", P66, 0x64, -1, X, X, 0 }, { "vpcmpgtw", P66, 0x65, -1, X, X, 0 },
	{ "vpcmpgtd", P66, 0x66, -1, X, X, 0 }, { "vpackuswb", P66, 0x67, -1, X, X, 0 },
	{ "vpunpckhbw", P66, 0x68, -1, X, X, 0 }, { "vpunpckhwd", P66, 0x69, -1, X, X, 0 },
	{ "vpunpckhdq", P66, 0x6a, -1, X, X, 0 }, { "vpackssdw", P66, 0x6b, -1, X, X, 0 },
	{ "vpunpcklqdq", P66, 0x6c, -1, X, X, 0 }, { "vpunpckhqdq", P66, 0x6d, -1, X, X, 0 },
	{ "vmovd/q ld", P66, 0x6e, -1, X, G, F_NV | F_L0 },
	{ "vmovdqa ld", P66, 0x6f, -1, X, X, MOVE }, { "vmovdqu ld", PF3, 0x6f, -1, X, X, MOVE },
	{ "vpshufd", P66, 0x70, -1, X, X, F_NV | F_IMM }, { "vpshufhw", PF3, 0x70, -1, X, X, F_NV | F_IMM },
	{ "vpshuflw", PF2, 0x70, -1, X, X, F_NV | F_IMM },
	{ "vpsrlw i", P66, 0x71, 2, X, X, F_IMM | F_REGO }, { "vpsraw i", P66, 0x71, 4, X, X, F_IMM | F_REGO },
	{ "vpsllw i", P66, 0x71, 6, X, X, F_IMM | F_REGO }, { "vpsrld i", P66, 0x72, 2, X, X, F_IMM | F_REGO },
	{ "vpsrad i", P66, 0x72, 4, X, X, F_IMM | F_REGO }, { "vpslld i", P66, 0x72, 6, X, X, F_IMM | F_REGO },
	{ "vpsrlq i", P66, 0x73, 2, X, X, F_IMM | F_REGO }, { "vpsrldq", P66, 0x73, 3, X, X, F_IMM | F_REGO },
	{ "vpsllq i", P66, 0x73, 6, X, X, F_IMM | F_REGO }, { "vpslldq", P66, 0x73, 7, X, X, F_IMM | F_REGO },
	{ "vpcmpeqb", P66, 0x74, -1, X, X, 0 }, { "vpcmpeqw", P66, 0x75, -1, X, X, 0 },
	{ "vpcmpeqd", P66, 0x76, -1, X, X, 0 },
	{ "vzeroupper/all", NP, 0x77, -1, X, X, F_NV | F_NOMODRM },
	{ "vmovd/q st", P66, 0x7e, -1, X, G, F_NV | F_L0 }, { "vmovq ld", PF3, 0x7e, -1, X, X, F_NV | F_L0 },
	{ "vmovdqa st", P66, 0x7f, -1, X, X, MOVE }, { "vmovdqu st", PF3, 0x7f, -1, X, X, MOVE },
	/* 0F C4-C6 */
	{ "vpinsrw", P66, 0xc4, -1, X, G, F_IMM | F_L0 }, { "vpextrw", P66, 0xc5, -1, G, X, F_IMM | F_L0 | F_NV | F_REGO },
	{ "vshufps", NP, 0xc6, -1, X, X, F_IMM }, { "vshufpd", P66, 0xc6, -1, X, X, F_IMM },
	/* 0F D1-FE */
	{ "vpsrlw", P66, 0xd1, -1, X, X, 0 }, { "vpsrld", P66, 0xd2, -1, X, X, 0 },
	{ "vpsrlq", P66, 0xd3, -1, X, X, 0 }, { "vpaddq", P66, 0xd4, -1, X, X, 0 },
	{ "vpmullw", P66, 0xd5, -1, X, X, 0 }, { "vmovq st", P66, 0xd6, -1, X, X, F_NV | F_L0 },
	{ "vpmovmskb", P66, 0xd7, -1, G, X, F_NV | F_REGO },
	{ "vpsubusb", P66, 0xd8, -1, X, X, 0 }, { "vpsubusw", P66, 0xd9, -1, X, X, 0 },
	{ "vpminub", P66, 0xda, -1, X, X, 0 }, { "vpand", P66, 0xdb, -1, X, X, 0 },
	{ "vpaddusb", P66, 0xdc, -1, X, X, 0 }, { "vpaddusw", P66, 0xdd, -1, X, X, 0 },
	{ "vpmaxub", P66, 0xde, -1, X, X, 0 }, { "vpandn", P66, 0xdf, -1, X, X, 0 },
	{ "vpavgb", P66, 0xe0, -1, X, X, 0 }, { "vpsraw", P66, 0xe1, -1, X, X, 0 },
	{ "vpsrad", P66, 0xe2, -1, X, X, 0 }, { "vpavgw", P66, 0xe3, -1, X, X, 0 },
	{ "vpmulhuw", P66, 0xe4, -1, X, X, 0 }, { "vpmulhw", P66, 0xe5, -1, X, X, 0 },
	{ "vmovntdq", P66, 0xe7, -1, X, X, MOVE | F_MEMO },
	{ "vpsubsb", P66, 0xe8, -1, X, X, 0 }, { "vpsubsw", P66, 0xe9, -1, X, X, 0 },
	{ "vpminsw", P66, 0xea, -1, X, X, 0 }, { "vpor", P66, 0xeb, -1, X, X, 0 },
	{ "vpaddsb", P66, 0xec, -1, X, X, 0 }, { "vpaddsw", P66, 0xed, -1, X, X, 0 },
	{ "vpmaxsw", P66, 0xee, -1, X, X, 0 }, { "vpxor", P66, 0xef, -1, X, X, 0 },
	{ "vpsllw", P66, 0xf1, -1, X, X, 0 }, { "vpslld", P66, 0xf2, -1, X, X, 0 },
	{ "vpsllq", P66, 0xf3, -1, X, X, 0 }, { "vpmuludq", P66, 0xf4, -1, X, X, 0 },
	{ "vpmaddwd", P66, 0xf5, -1, X, X, 0 }, { "vpsadbw", P66, 0xf6, -1, X, X, 0 },
	{ "vmaskmovdqu", P66, 0xf7, -1, X, X, F_NV | F_L0 | F_REGO },
	{ "vpsubb", P66, 0xf8, -1, X, X, 0 }, { "vpsubw", P66, 0xf9, -1, X, X, 0 },
	{ "vpsubd", P66, 0xfa, -1, X, X, 0 }, { "vpsubq", P66, 0xfb, -1, X, X, 0 },
	{ "vpaddb", P66, 0xfc, -1, X, X, 0 }, { "vpaddw", P66, 0xfd, -1, X, X, 0 },
	{ "vpaddd", P66, 0xfe, -1, X, X, 0 },
	/* no VEX form: MMX forms, MOVQ2DQ/MOVDQ2Q, VEX.66 0F 12/16 registers (no VMOVLPD/HPD register form) */
	{ "no vex: paddb mm", NP, 0xfc, -1, X, X, F_UD }, { "no vex: movq mm", NP, 0x6f, -1, X, X, F_UD },
	{ "no vex: psrlw mm, i", NP, 0x71, 2, X, X, F_UD | F_IMM | F_REGO },
	{ "no vex: pmovmskb mm", NP, 0xd7, -1, G, X, F_UD | F_REGO },
	{ "no vex: movq2dq", PF3, 0xd6, -1, X, X, F_UD | F_REGO }, { "no vex: movdq2q", PF2, 0xd6, -1, X, X, F_UD | F_REGO },
	{ "no vex: 66 0f 12 reg", P66, 0x12, -1, X, X, F_UD | F_REGO },
	{ "no vex: 66 0f 16 reg", P66, 0x16, -1, X, X, F_UD | F_REGO },
	{ "no vex: 73 /3 np", NP, 0x73, 3, X, X, F_UD | F_IMM | F_REGO },
	{ "no vex: pshufw", NP, 0x70, -1, X, X, F_UD | F_IMM },
	{ "no vex: maskmovq", NP, 0xf7, -1, X, X, F_UD | F_REGO },
	{ "no vex: 66 0f 77", P66, 0x77, -1, X, X, F_UD | F_NOMODRM },
};
// clang-format on
#undef X
#undef G

/* Encode one random instance of tp; *ud: the encoding breaks a #UD rule the
 * template states (for the counts only: the host decides). */
static size_t encode(const struct tpl *tp, uint8_t *b, bool *ud)
{
	size_t n = 0;
	*ud = (tp->fl & F_UD) != 0;
	unsigned reg = tp->ext >= 0 ? (unsigned)tp->ext : tp->kreg == K_X ? rn(16) : rn(3);
	bool m = false;
	if (!(tp->fl & F_NOMODRM)) {
		m = (tp->fl & F_MEMO) ? rn(8) != 0 : (tp->fl & F_REGO) ? rn(8) == 0 : rn(2);
		if (((tp->fl & F_MEMO) && !m) || ((tp->fl & F_REGO) && m))
			*ud = true;
	}
	unsigned rm = tp->krm == K_X ? rn(16) : rn(3);
	unsigned vvvv = rn(16);
	if ((tp->fl & F_NV) && rn(5)) {
		vvvv = 0;
	} else if ((tp->fl & F_NV) && vvvv) {
		*ud = true;
	}
	unsigned l = rn(2);
	if ((tp->fl & F_L0) && rn(3))
		l = 0;
	unsigned w = rn(2);
	unsigned R = (reg >> 3) & 1, B = m ? 0 : (rm >> 3) & 1, X = rn(4) == 0; /* X is unused: no SIB */
	if (!w && !B && !X && rn(2)) {
		b[n++] = 0xc5;
		b[n++] = (uint8_t)((!R) << 7 | (~vvvv & 15) << 3 | l << 2 | tp->pp);
	} else {
		b[n++] = 0xc4;
		b[n++] = (uint8_t)((!R) << 7 | (!X) << 6 | (!B) << 5 | 1);
		b[n++] = (uint8_t)(w << 7 | (~vvvv & 15) << 3 | l << 2 | tp->pp);
	}
	b[n++] = tp->op;
	if (tp->fl & F_NOMODRM)
		return n;
	if (m) {
		/* [rbx + disp32]: 32-byte aligned, misaligned, or crossing the end */
		uint32_t disp;
		switch (rn(5)) {
		case 0: disp = rn(MEMN - 32); break;
		case 1: disp = MEMN - 4 * (1 + rn(8)); break;
		default: disp = 32 * rn(MEMN / 32); break;
		}
		b[n++] = (uint8_t)(0x80 | (reg & 7) << 3 | 3);
		memcpy(b + n, &disp, 4);
		n += 4;
	} else {
		b[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	}
	if (tp->fl & F_IMM)
		b[n++] = (uint8_t)rn(256);
	return n;
}

static void test_differential(unsigned per_form)
{
	if (!host_has_avx2()) {
		printf("differential: skipped: the host lacks AVX2 or its OS has not enabled the AVX state\n");
		return;
	}
	nx_init(NXF);
	unsigned ntpl = sizeof(tpls) / sizeof(tpls[0]), bad_forms = 0, prints = 0;
	unsigned nud_rule = 0, nud_other = 0;
	struct nx_tally n = { 0 };
	for (unsigned k = 0; k < ntpl; k++) {
		const struct tpl *tp = &tpls[k];
		unsigned fails = 0;
		for (unsigned it = 0; it < per_form; it++) {
			struct nx_case c;
			bool ud;
			c.n = encode(tp, c.code, &ud);
			rnd_state(&c.s0, c.m0);
			bool ok = nx_case_run(&c, emu_exec, 0x8d5, NXF);
			nx_tally_add(&n, c.nv);
			nud_rule += c.nv == V_UD && ud;
			/* a #UD where the template expects none: an L=1 or vvvv the template allows */
			nud_other += c.nv == V_UD && !ud;
			if (!ok) {
				fails++;
				if (prints++ < 40)
					nx_report("differential", tp->name, c.code, c.n, -1, c.why);
			}
		}
		CHECK_EQ(fails, 0);
		bad_forms += fails != 0;
	}
	nx_fini();
	printf("differential: %u forms x %u cases (host: %u completed, %u #GP, %u #PF, %u #UD of which %u by "
	       "the templates' rules, %u otherwise), %u forms disagree with the host\n",
	       ntpl, per_form, n.clean, n.gp, n.pf, n.ud, nud_rule, nud_other, bad_forms);
	CHECK(n.gp > 0 && n.pf > 0 && nud_rule > 0);
}

/* ---------------- directed ---------------- */

/* Run code at TV_CODE (then HLT) in the VM as it is; the vector or V_NONE */
static int run_code(const char *hex)
{
	uint8_t b[64];
	size_t n = unit_hex(hex, b);
	b[n++] = 0xf4;
	t.s.rip = TV_CODE;
	t.s.gpr[RAX_REG_RSP] = TV_STACK;
	tv_code(&t, b, n);
	enum rax_exit_kind k = tv_run(&t);
	if (k == RAX_EXIT_HLT && t.s.rip == TV_CODE + n)
		return V_NONE;
	return tv_vector(&t);
}

static void fill_ymm(void)
{
	for (unsigned i = 0; i < 16; i++)
		for (unsigned j = 0; j < 16; j++) {
			t.s.fpu.xmm[i][j] = (uint8_t)(0x10 * i + j);
			t.s.fpu.ymmh[i][j] = (uint8_t)(0x80 | (0x10 * i + j));
		}
}

static bool ymmh_is(unsigned r, uint8_t base)
{
	for (unsigned j = 0; j < 16; j++)
		if (t.s.fpu.ymmh[r][j] != (base ? (uint8_t)(base + j) : 0))
			return false;
	return true;
}

static void test_directed(void)
{
	/* legacy SSE keeps bits 255:128; VEX.128 zeroes them */
	vm_fresh(RAX_CPU_V3);
	fill_ymm();
	CHECK_EQ(run_code("66 0f fe c1"), V_NONE); /* paddd xmm0, xmm1 */
	CHECK(ymmh_is(0, 0x80));
	CHECK_EQ(run_code("c5 f9 fe c1"), V_NONE); /* vpaddd xmm0, xmm0, xmm1 */
	CHECK(ymmh_is(0, 0));
	CHECK(ymmh_is(1, 0x90));
	CHECK_EQ(run_code("c5 f1 73 f2 08"), V_NONE); /* vpsllq xmm1, xmm2, 8: vvvv is the destination */
	CHECK(ymmh_is(1, 0));
	CHECK(ymmh_is(2, 0xa0));
	CHECK_EQ(t.s.fpu.xmm[1][0], 0);
	CHECK_EQ(t.s.fpu.xmm[1][1], 0x20);

	/* VZEROUPPER, VZEROALL (64-bit mode: all 16) */
	vm_fresh(RAX_CPU_V3);
	fill_ymm();
	CHECK_EQ(run_code("c5 f8 77"), V_NONE);
	for (unsigned r = 0; r < 16; r++) {
		CHECK(ymmh_is(r, 0));
		CHECK_EQ(t.s.fpu.xmm[r][5], 0x10 * r + 5);
	}
	fill_ymm();
	CHECK_EQ(run_code("c5 fc 77"), V_NONE);
	for (unsigned r = 0; r < 16; r++) {
		CHECK(ymmh_is(r, 0));
		CHECK_EQ(t.s.fpu.xmm[r][5], 0);
	}
	CHECK_EQ(run_code("c5 f0 77"), V_UD);      /* vvvv != 1111b */
	CHECK_EQ(run_code("c4 e1 fc 77"), V_NONE); /* VEX.W is ignored */

	/* the AVX rules: #UD without CR4.OSXSAVE or XCR0.AVX, #NM with CR0.TS */
	vm_fresh(RAX_CPU_V3);
	t.s.cr4 &= ~(uint64_t)CR4_OSXSAVE;
	CHECK_EQ(run_code("c5 f9 fe c1"), V_UD);
	vm_fresh(RAX_CPU_V3);
	t.s.xcr0 = 3;
	CHECK_EQ(run_code("c5 f8 77"), V_UD);
	vm_fresh(RAX_CPU_V3);
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(run_code("c5 fd 6f 03"), V_NM);
	/* CR0.EM and CR4.OSFXSR do not apply to VEX forms */
	vm_fresh(RAX_CPU_V3);
	t.s.cr0 |= CR0_EM;
	t.s.cr4 &= ~(uint64_t)CR4_OSFXSR;
	CHECK_EQ(run_code("c5 f9 fe c1"), V_NONE);
	/* below v3 the VEX rows do not exist */
	vm_fresh(RAX_CPU_V2);
	CHECK_EQ(run_code("c5 f9 fe c1"), V_UD);
	CHECK_EQ(run_code("c5 f8 77"), V_UD);

	/* VMOVDQA ymm: 32-byte alignment (#GP(0)), VMOVDQU none; VEX.128 VMOVDQA: 16 */
	vm_fresh(RAX_CPU_V3);
	fill_ymm();
	t.s.gpr[RAX_REG_RBX] = TV_DATA + 0x110;
	CHECK_EQ(run_code("c5 fd 6f 03"), V_GP);
	CHECK(ymmh_is(0, 0x80));
	CHECK_EQ(run_code("c5 f9 6f 03"), V_NONE);
	CHECK(ymmh_is(0, 0));
	fill_ymm();
	CHECK_EQ(run_code("c5 fe 6f 43 01"), V_NONE); /* vmovdqu ymm0, [rbx+1] */
	CHECK_EQ(run_code("c5 fd 7f 4b 20"), V_GP);   /* vmovdqa [rbx+0x20], ymm1 */
	CHECK_EQ(run_code("c5 fd 7f 4b 30"), V_NONE);
	CHECK(!memcmp(tv_ptr(&t, TV_DATA + 0x140), t.s.fpu.xmm[1], 16));
	CHECK(!memcmp(tv_ptr(&t, TV_DATA + 0x150), t.s.fpu.ymmh[1], 16));
	/* a 32-byte load whose second half is not mapped: #PF, destination unchanged */
	fill_ymm();
	t.s.gpr[RAX_REG_RBX] = TV_DATA + 0x1000 - 16;
	CHECK_EQ(run_code("c5 fe 6f 13"), V_PF); /* vmovdqu ymm2, [rbx] */
	CHECK_EQ(t.s.cr2, TV_DATA + 0x1000);
	CHECK(ymmh_is(2, 0xa0));
	CHECK_EQ(t.s.fpu.xmm[2][0], 0x20);
	/* ... and a store writes nothing */
	memset(tv_ptr(&t, TV_DATA + 0x1000 - 16), 0x5a, 16);
	CHECK_EQ(run_code("c5 fe 7f 13"), V_PF);
	CHECK_EQ(tv_ptr(&t, TV_DATA + 0x1000 - 16)[0], 0x5a);
	CHECK_EQ(run_code("c5 ed fe 13"), V_PF); /* vpaddd ymm2, ymm2, [rbx] */
	CHECK(ymmh_is(2, 0xa0));

	/* VZEROUPPER/VZEROALL in 32-bit protected mode: YMM0-7 only */
	tv_free(&t);
	tv_init32(&t);
	CHECK_EQ(emu_set_cpu_level(&t.vm, RAX_CPU_V3), 0);
	t.s.cr4 |= CR4_OSXSAVE;
	t.s.xcr0 = 7;
	fill_ymm();
	CHECK_EQ(run_code("c5 f8 77"), V_NONE);
	for (unsigned r = 0; r < 16; r++)
		CHECK(ymmh_is(r, r < 8 ? 0 : (uint8_t)(0x80 | 0x10 * r)));
	fill_ymm();
	CHECK_EQ(run_code("c5 fc 77"), V_NONE);
	for (unsigned r = 0; r < 16; r++) {
		CHECK(ymmh_is(r, r < 8 ? 0 : (uint8_t)(0x80 | 0x10 * r)));
		CHECK_EQ(t.s.fpu.xmm[r][3], r < 8 ? 0 : 0x10 * r + 3);
	}
}

static void test_disasm(void)
{
	static const char *const cases[][2] = {
		{ "c5 f9 fe c1", "vpaddd xmm0, xmm0, xmm1" },
		{ "c5 ed fe 13", "vpaddd ymm2, ymm2, ymmword [rbx]" },
		{ "c5 fe 6f 43 01", "vmovdqu ymm0, ymmword [rbx+0x1]" },
		{ "c5 fc 29 0b", "vmovaps ymmword [rbx], ymm1" },
		{ "c5 f1 73 f2 08", "vpsllq xmm1, xmm2, 0x8" },
		{ "c5 f5 73 da 03", "vpsrldq ymm1, ymm2, 0x3" },
		{ "c5 f5 d1 c2", "vpsrlw ymm0, ymm1, xmm2" },
		{ "c5 f2 10 c2", "vmovss xmm0, xmm1, xmm2" },
		{ "c5 fa 10 03", "vmovss xmm0, dword [rbx]" },
		{ "c5 f0 12 03", "vmovlps xmm0, xmm1, [rbx]" },
		{ "c4 e1 f9 7e c0", "vmovq rax, xmm0" },
		{ "c5 f9 7e c0", "vmovd eax, xmm0" },
		{ "c5 fd d7 c1", "vpmovmskb eax, ymm1" },
		{ "c5 f4 c6 c2 1b", "vshufps ymm0, ymm1, ymm2, 0x1b" },
		{ "c5 f8 77", "vzeroupper" },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[16];
		struct emu_insn in;
		char out[96];
		size_t n = unit_hex(cases[i][0], b);
		CHECK_EQ(emu_decode_level(b, (unsigned)n, EMU_MODE_64, RAX_CPU_V3, &in), EMU_DEC_OK);
		CHECK_EQ(in.len, n);
		emu_disasm(&in, out, sizeof(out));
		if (strcmp(out, cases[i][1]))
			fprintf(stderr, "disasm %s: \"%s\", expected \"%s\"\n", cases[i][0], out, cases[i][1]);
		CHECK(!strcmp(out, cases[i][1]));
	}
}

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : unit_cases(200);
	tv_init(&t);
	test_disasm();
	test_directed();
	test_differential(per);
	tv_free(&t);
	return unit_finish("test_emu_avx");
}
