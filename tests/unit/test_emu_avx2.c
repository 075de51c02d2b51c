/*
 * test_emu_avx2.c - the VEX forms of the SSE3/SSSE3/SSE4.x integer
 * instructions and the AVX/AVX2-only integer and data-movement instructions
 * of the interpreter (opcodes_avx2.def; insn/sse_v2.c, sse_pcmpstr.c,
 * avx2.c) at CPU level v3.
 *
 * 1. Differential: every form runs with random operands natively on the
 *    host and in the interpreter: VEX.128 and VEX.256, register and memory
 *    operands, random imm8 and is4 registers, now and then the other VEX.L,
 *    the other VEX.W or a non-1111b vvvv (so #UD rules are compared too).
 *    The memory window ends at an inaccessible page: 16/32-byte operands,
 *    masked moves and gathers that reach it fault (#PF). All 16 YMM
 *    registers, RAX/RCX/RDX, OSZAPC, MXCSR, the window and the exception
 *    must agree; for a fault the registers are those at the fault (the
 *    signal context natively), which shows a gather's partial progress,
 *    and the fault address too. Skipped (with a line) without AVX2.
 *    AVX2_STATS=1 in the environment prints each form's outcome counts.
 * 2. Directed: AVX's #UD (CR4.OSXSAVE, XCR0) and #NM (CR0.TS), the rows'
 *    absence below v3, gather #UD rules, disassembly of the new forms.
 */
#include <stdio.h>

#include "emu/decode.h"
#include "native_exec.h"
#include "unit.h"

/* the memory window: the last WIN bytes before an inaccessible page; after
 * a fault the registers of the signal context are compared */
#define NXF (NX_YMM | NX_EDGE | NX_ADDR | NX_FAULT_REGS)
#define WIN NX_MEMN
#define WIN_RBX 384u /* RBX (and RDI) point here in the window */

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

/* string data for VPCMPxSTRx: few distinct values (so elements match), zeros */
static uint64_t rnd_str(void)
{
	static const uint8_t alpha[] = { 0x00, 0x41, 0x42, 0x43, 0x7f, 0x80, 0xff, 0x61 };
	uint64_t q = 0;
	for (unsigned i = 0; i < 8; i++)
		q |= (uint64_t)alpha[rn(rn(4) ? 4 : 8)] << (8 * i);
	return q;
}

static uint64_t rnd_q(bool str)
{
	if (str && rn(3))
		return rnd_str();
	switch (rn(5)) {
	case 0: return (uint64_t)(int64_t)(int)(rn(80) - 40); /* small counts, indices */
	case 1: return rnd() & 0x8000800080008080ull;
	case 2: return rnd() >> (rn(64));
	default: return rnd();
	}
}

static void rnd_state(struct nx_state *s, uint8_t *mem, bool str)
{
	memset(s, 0, sizeof(*s));
	s->gpr[RAX_REG_RBX] = s->gpr[RAX_REG_RDI] = WIN_RBX;
	for (unsigned r = 0; r < 16; r++)
		for (unsigned i = 0; i < 4; i++) {
			uint64_t q = rnd_q(str);
			memcpy(s->ymm[r] + 8 * i, &q, 8);
		}
	for (unsigned i = 0; i < 3; i++) {
		static const int64_t lens[] = { 0, 1, 5, 8, 15, 16, 17, -1, -8, -16, -17, INT32_MIN, INT64_MIN };
		s->gpr[i] = rn(3) ? rnd_q(false) : (uint64_t)lens[rn(sizeof(lens) / sizeof(lens[0]))];
	}
	for (unsigned i = 0; i < WIN; i += 8) {
		uint64_t q = rnd_q(str);
		memcpy(mem + i, &q, 8);
	}
	s->mxcsr = 0x1f80 | (rn(4) << 13);
	s->rflags = 0x202 | (rnd() & 0x8d5);
}

/* ---------------- templates ---------------- */

enum { K_X, K_G };
#define F_IMM 1u     /* imm8 follows */
#define F_MEMO 2u    /* memory form only */
#define F_REGO 4u    /* register form only */
#define F_NV 8u      /* vvvv unused (1111b, else #UD) */
#define F_IS4 16u    /* imm8[7:4] names a register */
#define F_STR 32u    /* string data */
#define F_GATHER 64u /* VSIB */

struct tpl {
	const char *name;
	uint8_t map, pp; /* VEX.mmmmm, VEX.pp (1: 66, 2: F3, 3: F2) */
	uint8_t op;
	uint8_t w; /* 0, 1: the row's VEX.W; 2: either */
	uint8_t l; /* 1: VEX.128 only, 2: VEX.256 only, 3: both */
	uint8_t krm;
	uint8_t fl;
};

#define X K_X
#define G K_G
// clang-format off
static const struct tpl tpls[] = {
	/* SSE3 moves */
	{ "vmovsldup", 1, 2, 0x12, 2, 3, X, F_NV }, { "vmovshdup", 1, 2, 0x16, 2, 3, X, F_NV },
	{ "vmovddup", 1, 3, 0x12, 2, 3, X, F_NV }, { "vlddqu", 1, 3, 0xf0, 2, 3, X, F_NV | F_MEMO },
	/* SSSE3 */
	{ "vpshufb", 2, 1, 0x00, 2, 3, X, 0 }, { "vphaddw", 2, 1, 0x01, 2, 3, X, 0 },
	{ "vphaddd", 2, 1, 0x02, 2, 3, X, 0 }, { "vphaddsw", 2, 1, 0x03, 2, 3, X, 0 },
	{ "vpmaddubsw", 2, 1, 0x04, 2, 3, X, 0 }, { "vphsubw", 2, 1, 0x05, 2, 3, X, 0 },
	{ "vphsubd", 2, 1, 0x06, 2, 3, X, 0 }, { "vphsubsw", 2, 1, 0x07, 2, 3, X, 0 },
	{ "vpsignb", 2, 1, 0x08, 2, 3, X, 0 }, { "vpsignw", 2, 1, 0x09, 2, 3, X, 0 },
	{ "vpsignd", 2, 1, 0x0a, 2, 3, X, 0 }, { "vpmulhrsw", 2, 1, 0x0b, 2, 3, X, 0 },
	{ "vpabsb", 2, 1, 0x1c, 2, 3, X, F_NV }, { "vpabsw", 2, 1, 0x1d, 2, 3, X, F_NV },
	{ "vpabsd", 2, 1, 0x1e, 2, 3, X, F_NV }, { "vpalignr", 3, 1, 0x0f, 2, 3, X, F_IMM },
	/* SSE4.1 / 4.2 */
	{ "vptest", 2, 1, 0x17, 2, 3, X, F_NV },
	{ "vpmovsxbw", 2, 1, 0x20, 2, 3, X, F_NV }, { "vpmovsxbd", 2, 1, 0x21, 2, 3, X, F_NV },
	{ "vpmovsxbq", 2, 1, 0x22, 2, 3, X, F_NV }, { "vpmovsxwd", 2, 1, 0x23, 2, 3, X, F_NV },
	{ "vpmovsxwq", 2, 1, 0x24, 2, 3, X, F_NV }, { "vpmovsxdq", 2, 1, 0x25, 2, 3, X, F_NV },
	{ "vpmuldq", 2, 1, 0x28, 2, 3, X, 0 }, { "vpcmpeqq", 2, 1, 0x29, 2, 3, X, 0 },
	{ "vmovntdqa", 2, 1, 0x2a, 2, 3, X, F_NV | F_MEMO }, { "vpackusdw", 2, 1, 0x2b, 2, 3, X, 0 },
	{ "vpmovzxbw", 2, 1, 0x30, 2, 3, X, F_NV }, { "vpmovzxbd", 2, 1, 0x31, 2, 3, X, F_NV },
	{ "vpmovzxbq", 2, 1, 0x32, 2, 3, X, F_NV }, { "vpmovzxwd", 2, 1, 0x33, 2, 3, X, F_NV },
	{ "vpmovzxwq", 2, 1, 0x34, 2, 3, X, F_NV }, { "vpmovzxdq", 2, 1, 0x35, 2, 3, X, F_NV },
	{ "vpcmpgtq", 2, 1, 0x37, 2, 3, X, 0 },
	{ "vpminsb", 2, 1, 0x38, 2, 3, X, 0 }, { "vpminsd", 2, 1, 0x39, 2, 3, X, 0 },
	{ "vpminuw", 2, 1, 0x3a, 2, 3, X, 0 }, { "vpminud", 2, 1, 0x3b, 2, 3, X, 0 },
	{ "vpmaxsb", 2, 1, 0x3c, 2, 3, X, 0 }, { "vpmaxsd", 2, 1, 0x3d, 2, 3, X, 0 },
	{ "vpmaxuw", 2, 1, 0x3e, 2, 3, X, 0 }, { "vpmaxud", 2, 1, 0x3f, 2, 3, X, 0 },
	{ "vpmulld", 2, 1, 0x40, 2, 3, X, 0 }, { "vphminposuw", 2, 1, 0x41, 2, 1, X, F_NV },
	{ "vblendps", 3, 1, 0x0c, 2, 3, X, F_IMM }, { "vblendpd", 3, 1, 0x0d, 2, 3, X, F_IMM },
	{ "vpblendw", 3, 1, 0x0e, 2, 3, X, F_IMM },
	{ "vpextrb", 3, 1, 0x14, 2, 1, G, F_IMM | F_NV }, { "vpextrw", 3, 1, 0x15, 2, 1, G, F_IMM | F_NV },
	{ "vpextrd/q", 3, 1, 0x16, 2, 1, G, F_IMM | F_NV }, { "vextractps", 3, 1, 0x17, 2, 1, G, F_IMM | F_NV },
	{ "vpinsrb", 3, 1, 0x20, 2, 1, G, F_IMM }, { "vinsertps", 3, 1, 0x21, 2, 1, X, F_IMM },
	{ "vpinsrd/q", 3, 1, 0x22, 2, 1, G, F_IMM },
	{ "vmpsadbw", 3, 1, 0x42, 2, 3, X, F_IMM },
	{ "vblendvps", 3, 1, 0x4a, 0, 3, X, F_IS4 }, { "vblendvpd", 3, 1, 0x4b, 0, 3, X, F_IS4 },
	{ "vpblendvb", 3, 1, 0x4c, 0, 3, X, F_IS4 },
	{ "vpcmpestrm", 3, 1, 0x60, 2, 1, X, F_IMM | F_NV | F_STR },
	{ "vpcmpestri", 3, 1, 0x61, 2, 1, X, F_IMM | F_NV | F_STR },
	{ "vpcmpistrm", 3, 1, 0x62, 2, 1, X, F_IMM | F_NV | F_STR },
	{ "vpcmpistri", 3, 1, 0x63, 2, 1, X, F_IMM | F_NV | F_STR },
	/* AVX / AVX2 only */
	{ "vpermilps", 2, 1, 0x0c, 0, 3, X, 0 }, { "vpermilpd", 2, 1, 0x0d, 0, 3, X, 0 },
	{ "vtestps", 2, 1, 0x0e, 0, 3, X, F_NV }, { "vtestpd", 2, 1, 0x0f, 0, 3, X, F_NV },
	{ "vpermps", 2, 1, 0x16, 0, 2, X, 0 },
	{ "vbroadcastss", 2, 1, 0x18, 0, 3, X, F_NV }, { "vbroadcastsd", 2, 1, 0x19, 0, 2, X, F_NV },
	{ "vbroadcastf128", 2, 1, 0x1a, 0, 2, X, F_NV | F_MEMO },
	{ "vmaskmovps ld", 2, 1, 0x2c, 0, 3, X, F_MEMO }, { "vmaskmovpd ld", 2, 1, 0x2d, 0, 3, X, F_MEMO },
	{ "vmaskmovps st", 2, 1, 0x2e, 0, 3, X, F_MEMO }, { "vmaskmovpd st", 2, 1, 0x2f, 0, 3, X, F_MEMO },
	{ "vpermd", 2, 1, 0x36, 0, 2, X, 0 },
	{ "vpsrlvd", 2, 1, 0x45, 0, 3, X, 0 }, { "vpsrlvq", 2, 1, 0x45, 1, 3, X, 0 },
	{ "vpsravd", 2, 1, 0x46, 0, 3, X, 0 },
	{ "vpsllvd", 2, 1, 0x47, 0, 3, X, 0 }, { "vpsllvq", 2, 1, 0x47, 1, 3, X, 0 },
	{ "vpbroadcastd", 2, 1, 0x58, 0, 3, X, F_NV }, { "vpbroadcastq", 2, 1, 0x59, 0, 3, X, F_NV },
	{ "vbroadcasti128", 2, 1, 0x5a, 0, 2, X, F_NV | F_MEMO },
	{ "vpbroadcastb", 2, 1, 0x78, 0, 3, X, F_NV }, { "vpbroadcastw", 2, 1, 0x79, 0, 3, X, F_NV },
	{ "vpmaskmovd ld", 2, 1, 0x8c, 0, 3, X, F_MEMO }, { "vpmaskmovq ld", 2, 1, 0x8c, 1, 3, X, F_MEMO },
	{ "vpmaskmovd st", 2, 1, 0x8e, 0, 3, X, F_MEMO }, { "vpmaskmovq st", 2, 1, 0x8e, 1, 3, X, F_MEMO },
	{ "vpgatherdd", 2, 1, 0x90, 0, 3, X, F_GATHER }, { "vpgatherdq", 2, 1, 0x90, 1, 3, X, F_GATHER },
	{ "vpgatherqd", 2, 1, 0x91, 0, 3, X, F_GATHER }, { "vpgatherqq", 2, 1, 0x91, 1, 3, X, F_GATHER },
	{ "vgatherdps", 2, 1, 0x92, 0, 3, X, F_GATHER }, { "vgatherdpd", 2, 1, 0x92, 1, 3, X, F_GATHER },
	{ "vgatherqps", 2, 1, 0x93, 0, 3, X, F_GATHER }, { "vgatherqpd", 2, 1, 0x93, 1, 3, X, F_GATHER },
	{ "vpermq", 3, 1, 0x00, 2, 2, X, F_IMM | F_NV }, { "vpermpd", 3, 1, 0x01, 2, 2, X, F_IMM | F_NV },
	{ "vpblendd", 3, 1, 0x02, 0, 3, X, F_IMM },
	{ "vpermilps i", 3, 1, 0x04, 0, 3, X, F_IMM | F_NV }, { "vpermilpd i", 3, 1, 0x05, 0, 3, X, F_IMM | F_NV },
	{ "vperm2f128", 3, 1, 0x06, 0, 2, X, F_IMM },
	{ "vinsertf128", 3, 1, 0x18, 0, 2, X, F_IMM }, { "vextractf128", 3, 1, 0x19, 0, 2, X, F_IMM | F_NV },
	{ "vinserti128", 3, 1, 0x38, 0, 2, X, F_IMM }, { "vextracti128", 3, 1, 0x39, 0, 2, X, F_IMM | F_NV },
	{ "vperm2i128", 3, 1, 0x46, 0, 2, X, F_IMM },
};
// clang-format on

/* Encode one random instance of tp; the state s may be adjusted (gather
 * indices). Returns the length. */
static size_t encode(const struct tpl *tp, uint8_t *b, struct nx_state *s)
{
	size_t n = 0;
	unsigned reg = rn(16), vvvv = rn(16), vidx = 0, scale = rn(4);
	bool m = !(tp->fl & F_REGO) && ((tp->fl & (F_MEMO | F_GATHER)) || rn(2));
	unsigned rm = m ? 3 : tp->krm == K_G ? rn(3) : rn(16);
	if ((tp->fl & F_NV) && rn(8))
		vvvv = 0;
	unsigned l = tp->l == 3 ? rn(2) : tp->l == 2 ? 1 : 0;
	if (tp->l != 3 && rn(10) == 0)
		l ^= 1;
	unsigned w = tp->w == 2 ? rn(2) : tp->w;
	if (tp->w != 2 && rn(10) == 0)
		w ^= 1;
	int disp = (int)rn(256) - 128;
	if (tp->fl & F_GATHER) {
		/* distinct destination, mask and index, mostly */
		do
			vidx = rn(16);
		while (rn(12) && (vidx == reg || vidx == vvvv));
		if (rn(12) && vvvv == reg)
			vvvv = (reg + 1 + rn(15)) & 15;
		if (vidx == vvvv && vidx != reg && rn(12))
			vidx = (vvvv + 1) & 15, vidx = vidx == reg ? (vidx + 1) & 15 : vidx;
		/* indices that land in the window, now and then past its end or
		 * across it (the element ending on the inaccessible page) */
		bool q = tp->op & 1;
		for (unsigned j = 0; j < (q ? 4u : 8u); j++) {
			unsigned r = rn(32);
			int64_t off = r > 3 ? 8 + (int)rn(WIN - 16)
				: r > 1     ? (int)WIN + (int)rn(64)
					    : (int)WIN - 1 - (int)rn(7);
			int64_t x = (off - (int64_t)WIN_RBX - disp) >> scale;
			if (q)
				memcpy(s->ymm[vidx] + 8 * j, &x, 8);
			else {
				int32_t d = (int32_t)x;
				memcpy(s->ymm[vidx] + 4 * j, &d, 4);
			}
		}
	}
	unsigned R = reg >> 3, Xb = vidx >> 3, B = m ? 0 : rm >> 3;
	if (tp->map == 1 && !w && !Xb && !B && rn(2)) {
		b[n++] = 0xc5;
		b[n++] = (uint8_t)((!R) << 7 | (~vvvv & 15) << 3 | l << 2 | tp->pp);
	} else {
		b[n++] = 0xc4;
		b[n++] = (uint8_t)((!R) << 7 | (!Xb) << 6 | (!B) << 5 | tp->map);
		b[n++] = (uint8_t)(w << 7 | (~vvvv & 15) << 3 | l << 2 | tp->pp);
	}
	b[n++] = tp->op;
	if (tp->fl & F_GATHER) {
		b[n++] = (uint8_t)(0x44 | (reg & 7) << 3);
		b[n++] = (uint8_t)(scale << 6 | (vidx & 7) << 3 | 3);
		b[n++] = (uint8_t)disp;
	} else if (m) {
		b[n++] = (uint8_t)(0x40 | (reg & 7) << 3 | 3);
		b[n++] = (uint8_t)disp;
	} else {
		b[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	}
	if (tp->fl & F_IS4)
		b[n++] = (uint8_t)(rn(16) << 4 | rn(16));
	else if (tp->fl & F_IMM)
		b[n++] = (uint8_t)rn(256);
	return n;
}

/* AVX2 on the host, and enabled by the OS */
static bool host_has_avx2(void)
{
	uint32_t r[4];
	if (!nx_host_avx(0))
		return false;
	nx_cpuid(7, 0, r);
	return r[1] & (1u << 5);
}

static void test_differential(unsigned per_form)
{
	if (!host_has_avx2()) {
		printf("differential: skipped: the host lacks AVX2 (or the OS does not enable AVX state)\n");
		return;
	}
	nx_init(NXF);
	unsigned ntpl = sizeof(tpls) / sizeof(tpls[0]), bad_forms = 0, prints = 0;
	struct nx_tally n = { 0 };
	for (unsigned k = 0; k < ntpl; k++) {
		const struct tpl *tp = &tpls[k];
		unsigned fails = 0;
		struct nx_tally f = { 0 };
		for (unsigned it = 0; it < per_form; it++) {
			struct nx_case c;
			rnd_state(&c.s0, c.m0, (tp->fl & F_STR) != 0);
			c.n = encode(tp, c.code, &c.s0);
			bool ok = nx_case_run(&c, emu_exec, 0x8d5, NXF);
			nx_tally_add(&f, c.nv);
			nx_tally_add(&n, c.nv);
			if (!ok) {
				fails++;
				if (prints++ < 400)
					nx_report("differential", tp->name, c.code, c.n, -1, c.why);
			}
		}
		CHECK_EQ(fails, 0);
		bad_forms += fails != 0;
		if (getenv("AVX2_STATS"))
			printf("%-16s %u cases: %u completed, %u #PF, %u #UD\n", tp->name, per_form, f.clean, f.pf,
			       f.ud);
	}
	nx_fini();
	printf("differential: %u forms x %u cases (host: %u completed, %u #PF, %u #GP, %u #UD), "
	       "%u forms disagree with the host\n",
	       ntpl, per_form, n.clean, n.pf, n.gp, n.ud, bad_forms);
	CHECK(n.pf > 0 && n.ud > 0);
}

/* ---------------- directed ---------------- */

static int run_code(const char *hex, unsigned level, void (*setup)(void))
{
	uint8_t b[32];
	size_t n = unit_hex(hex, b);
	b[n] = 0xf4;
	vm_fresh(level);
	if (setup)
		setup();
	tv_code(&t, b, n + 1);
	enum rax_exit_kind k = tv_run(&t);
	if (k == RAX_EXIT_HLT && t.s.rip == TV_CODE + n + 1)
		return V_NONE;
	return tv_vector(&t);
}

static void no_osxsave(void) { t.s.cr4 &= ~(uint64_t)CR4_OSXSAVE; }
static void xcr0_sse(void) { t.s.xcr0 = 3; }
static void ts_set(void) { t.s.cr0 |= CR0_TS; }

static void test_directed(void)
{
	/* vpbroadcastd ymm0, xmm1; vpshufb ymm0, ymm1, ymm2; vpextrb eax, xmm0, 1 */
	static const char *const ops[] = { "c4 e2 7d 58 c1", "c4 e2 75 00 c2", "c4 e3 79 14 c0 01" };
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(run_code(ops[i], RAX_CPU_V3, NULL), V_NONE);
		CHECK_EQ(run_code(ops[i], RAX_CPU_V2, NULL), V_UD); /* no VEX rows below v3 */
		CHECK_EQ(run_code(ops[i], RAX_CPU_V3, no_osxsave), V_UD);
		CHECK_EQ(run_code(ops[i], RAX_CPU_V3, xcr0_sse), V_UD);
		CHECK_EQ(run_code(ops[i], RAX_CPU_V3, ts_set), V_NM);
	}
	/* gathers: #UD for ModRM.rm != 100b, 16-bit addressing is #UD too (not
	 * encodable in 64-bit mode), same registers */
	CHECK_EQ(run_code("c4 e2 75 92 03", RAX_CPU_V3, NULL), V_UD);      /* vgatherdps ymm0, [rbx], ymm1 */
	CHECK_EQ(run_code("c4 e2 75 92 04 13", RAX_CPU_V3, NULL), V_NONE); /* ymm0, [rbx+ymm2], ymm1 */
	CHECK_EQ(run_code("c4 e2 75 92 04 03", RAX_CPU_V3, NULL), V_UD);   /* index ymm0 = dest */
	CHECK_EQ(run_code("c4 e2 75 92 04 0b", RAX_CPU_V3, NULL), V_UD);   /* index ymm1 = mask */
	CHECK_EQ(run_code("c4 e2 7d 92 04 13", RAX_CPU_V3, NULL), V_UD);   /* mask ymm0 = dest */
	CHECK_EQ(run_code("c4 e2 75 92 c2", RAX_CPU_V3, NULL), V_UD);      /* register operand */
	CHECK_EQ(run_code("c4 e2 75 92 04 23", RAX_CPU_V3, NULL), V_NONE); /* index ymm4 (SIB index 100b) */

	/* disassembly */
	static const struct {
		const char *hex, *text;
	} dis[] = {
		{ "c4 e3 75 4c c2 30", "vpblendvb ymm0, ymm1, ymm2, ymm3" },
		{ "c4 e2 7d 58 c1", "vpbroadcastd ymm0, xmm1" },
		{ "c4 e3 7d 39 c8 01", "vextracti128 xmm0, ymm1, 0x1" },
		{ "c4 e3 75 38 c2 01", "vinserti128 ymm0, ymm1, xmm2, 0x1" },
		{ "c4 e3 f9 16 c0 01", "vpextrq rax, xmm0, 0x1" },
		{ "c4 e2 75 00 c2", "vpshufb ymm0, ymm1, ymm2" },
		{ "c4 e2 7d 20 c1", "vpmovsxbw ymm0, xmm1" },
	};
	char b[80];
	struct emu_insn in;
	for (unsigned i = 0; i < sizeof(dis) / sizeof(dis[0]); i++) {
		uint8_t code[16];
		size_t n = unit_hex(dis[i].hex, code);
		CHECK_EQ(emu_decode_level(code, (unsigned)n, EMU_MODE_64, RAX_CPU_V3, &in), EMU_DEC_OK);
		emu_disasm(&in, b, sizeof(b));
		if (strcmp(b, dis[i].text))
			fprintf(stderr, "disasm %s: \"%s\", expected \"%s\"\n", dis[i].hex, b, dis[i].text);
		CHECK(!strcmp(b, dis[i].text));
	}
}

/* 32-bit protected mode: VEX.W is no operand size (VPEXTRD, not VPEXTRQ),
 * an is4 register is imm8[6:4], a gather uses 32-bit addresses */
static void test_mode32(void)
{
	tv_free(&t);
	tv_init32(&t);
	CHECK_EQ(emu_set_cpu_level(&t.vm, RAX_CPU_V3), 0);
	t.s.cr4 |= CR4_OSFXSR | CR4_OSXSAVE;
	t.s.xcr0 = 7;
	/* vpextrd eax, xmm0, 1 (VEX.W1); vpblendvb xmm3, xmm1, xmm2, xmm7 (imm8 0xf0);
	 * vpgatherdd xmm4, [ebx + xmm5 * 4], xmm6 */
	static const uint8_t code[] = { 0xc4, 0xe3, 0xf9, 0x16, 0xc0, 0x01, 0xc4, 0xe3, 0x71, 0x4c,
					0xda, 0xf0, 0xc4, 0xe2, 0x49, 0x90, 0x24, 0xab, 0xf4 };
	tv_code(&t, code, sizeof(code));
	uint64_t q[2] = { 0x1111222233334444ull, 0x5555666677778888ull };
	memcpy(t.s.fpu.xmm[0], q, 16);
	memset(t.s.fpu.xmm[1], 0x11, 16);
	memset(t.s.fpu.xmm[2], 0x22, 16);
	memset(t.s.fpu.xmm[7], 0x80, 16);
	memset(t.s.fpu.xmm[15], 0x00, 16);
	memset(t.s.fpu.ymmh[3], 0x33, 16);
	uint32_t idx[4] = { 3, 0, 2, 1 };
	memcpy(t.s.fpu.xmm[5], idx, 16);
	memset(t.s.fpu.xmm[6], 0x80, 16);
	for (unsigned i = 0; i < 4; i++)
		tv_w32(&t, TV_DATA + 4 * i, 0xa0a0a0a0u + i);
	t.s.gpr[RAX_REG_RBX] = TV_DATA;
	t.s.gpr[RAX_REG_RAX] = ~0ull;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.rip, TV_CODE + sizeof(code));
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0x11112222);
	uint64_t r[2];
	memcpy(r, t.s.fpu.xmm[3], 16);
	CHECK_EQ(r[0], 0x2222222222222222ull); /* the mask was xmm7, not xmm15 */
	CHECK_EQ(r[1], 0x2222222222222222ull);
	CHECK_EQ(t.s.fpu.ymmh[3][0], 0);
	memcpy(r, t.s.fpu.xmm[4], 16);
	CHECK_EQ(r[0], 0xa0a0a0a0a0a0a0a3ull);
	CHECK_EQ(r[1], 0xa0a0a0a1a0a0a0a2ull);
	memcpy(r, t.s.fpu.xmm[6], 16);
	CHECK_EQ(r[0] | r[1], 0);
}

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : unit_cases(150);
	tv_init(&t);
	test_directed();
	test_mode32();
	test_differential(per);
	tv_free(&t);
	return unit_finish("test_emu_avx2");
}
