/*
 * test_emu_avxfp.c - the VEX floating-point forms of the interpreter (AVX
 * forms of the SSE/SSE2/SSE3/SSE4.1 FP instructions, FMA3, F16C) against
 * the host CPU.
 *
 * 1. Differential: every form runs with random bytes for what the encoding
 *    leaves open (VEX.L, VEX.W, VEX.vvvv - sometimes non-1111b where it must
 *    be, R/B, register or [rbx+disp8] memory, imm8) and random operands
 *    (FP specials, denormals, NaNs, operands crafted for FMA cancellation,
 *    underflow and overflow), random MXCSR (RC, FTZ, DAZ, unmasked
 *    exceptions), natively on the host and on the emulator at level v3;
 *    all YMM registers (both halves), RAX/RCX/RDX, OSZAPC, MXCSR, memory
 *    and the exception taken must agree. Skipped (with a line) on a host
 *    without AVX, FMA and F16C.
 * 2. Directed: #UD for AVX without CR4.OSXSAVE or XCR0.AVX, #NM with
 *    CR0.TS, #PF of a page-crossing 32-byte operand and of a VCVTPS2PH
 *    store leaving destination and MXCSR unchanged, below level v3 the VEX
 *    forms are #UD.
 */
#include <stdio.h>

#include "cpuid_model.h"
#include "emu/decode.h"
#include "native_exec.h"
#include "unit.h"

#define NXF (NX_YMM | NX_ADDR | NX_FAULT_MXCSR)

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

static uint32_t rnd_f32(void)
{
	static const uint32_t sp[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000,
		0xffc00000, 0x7fa00000, 0x7f800001, 0x00000001, 0x807fffff, 0x00400000, 0x00800000,
		0x7f7fffff, 0xff7fffff, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000,
		0x4b000000, 0x4affffff, 0x4b7fffff, 0x0c000000, 0x72000000, 0x1a000000, 0x3effffff,
		0x477fe000, 0x477ff000, 0x387fc000, 0x33800000, 0x33000001, 0xc77fefff, 0x7fffe000,
	};
	switch (rn(4)) {
	case 0: return sp[rn(sizeof(sp) / sizeof(sp[0]))];
	case 1: return (uint32_t)rnd();
	case 2: return (uint32_t)(rn(200) - 100);
	default: return (uint32_t)(((rnd() & 1) << 31) | ((uint64_t)(rn(60) + 97) << 23) | (rnd() & 0x7fffff));
	}
}

static uint64_t rnd_f64(void)
{
	static const uint64_t sp[] = {
		0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
		0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
		0x7ff4000000000000ull, 0x7ff0000000000001ull, 0x0000000000000001ull, 0x800fffffffffffffull,
		0x0010000000000000ull, 0x7fefffffffffffffull, 0x3fe0000000000000ull, 0xbfe0000000000000ull,
		0x3ff8000000000000ull, 0x4004000000000000ull, 0x4330000000000000ull, 0x432fffffffffffffull,
		0x3810000000000000ull, 0x47f0000000000000ull, 0x36a0000000000000ull, 0x3fdfffffffffffffull,
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
	switch (rn(4)) {
	case 0: return rnd_f32() | (uint64_t)rnd_f32() << 32;
	case 1: return rnd_f64();
	case 2: return rnd() >> (rn(64));
	default: return rnd();
	}
}

static void rnd_state(struct nx_state *s, uint8_t *mem)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 64; i++) {
		uint64_t q = rnd_q();
		memcpy(&s->ymm[i / 4][8 * (i & 3)], &q, 8);
	}
	for (unsigned i = 0; i < 3; i++)
		s->gpr[i] = rn(3) ? rnd_q() : (uint64_t)(int64_t)(rn(2000) - 1000);
	for (unsigned i = 0; i < 512; i += 8) {
		uint64_t q = rnd_q();
		memcpy(mem + i, &q, 8);
	}
	/* MXCSR: random RC, FTZ, DAZ, sticky flags; some exceptions unmasked often */
	uint32_t m = 0x1f80 | (rn(4) << 13) | (rn(4) == 0 ? 0x8000 : 0) | (rn(4) == 0 ? 0x40 : 0);
	if (rn(8) == 0)
		m |= (uint32_t)rnd() & 0x3f;
	if (rn(3) == 0)
		m &= ~((uint32_t)(rnd() & 0x3f) << 7);
	s->mxcsr = m;
	s->rflags = 0x202 | (rnd() & 0x8d5);
}

/* ---------------- templates ---------------- */

enum { K_X, K_G };
#define F_IMM 1u  /* imm8 follows */
#define F_NV 2u   /* VEX.vvvv unused: 1111b (other values sometimes: #UD) */
#define F_FMA 4u  /* FMA: operands crafted for cancellation, underflow, overflow */
#define F_CMPF 8u /* (U)COMIS: compare OSZAPC */

struct tpl {
	const char *name;
	uint8_t pp;  /* VEX.pp: 0 none, 1 66, 2 F3, 3 F2 */
	uint8_t map; /* 1: 0F, 2: 0F 38, 3: 0F 3A */
	uint8_t op;
	uint8_t kreg, krm;
	uint8_t fl;
};

#define X K_X
#define G K_G
#define FP4(nm, op)                                                                                                 \
	{ "v" nm "ps", 0, 1, op, X, X, 0 }, { "v" nm "pd", 1, 1, op, X, X, 0 }, { "v" nm "ss", 2, 1, op, X, X, 0 }, \
	{                                                                                                           \
		"v" nm "sd", 3, 1, op, X, X, 0                                                                      \
	}
#define FMA3(op)                                     \
	{                                            \
		"fma" #op, 1, 2, 0x##op, X, X, F_FMA \
	}
#define FMA_ROW(h)                                                                                                  \
	FMA3(h##6), FMA3(h##7), FMA3(h##8), FMA3(h##9), FMA3(h##a), FMA3(h##b), FMA3(h##c), FMA3(h##d), FMA3(h##e), \
		FMA3(h##f)
// clang-format off
static const struct tpl tpls[] = {
	{ "vcvtsi2ss", 2, 1, 0x2a, X, G, 0 }, { "vcvtsi2sd", 3, 1, 0x2a, X, G, 0 },
	{ "vcvttss2si", 2, 1, 0x2c, G, X, F_NV }, { "vcvttsd2si", 3, 1, 0x2c, G, X, F_NV },
	{ "vcvtss2si", 2, 1, 0x2d, G, X, F_NV }, { "vcvtsd2si", 3, 1, 0x2d, G, X, F_NV },
	{ "vucomiss", 0, 1, 0x2e, X, X, F_NV | F_CMPF }, { "vucomisd", 1, 1, 0x2e, X, X, F_NV | F_CMPF },
	{ "vcomiss", 0, 1, 0x2f, X, X, F_NV | F_CMPF }, { "vcomisd", 1, 1, 0x2f, X, X, F_NV | F_CMPF },
	{ "vsqrtps", 0, 1, 0x51, X, X, F_NV }, { "vsqrtpd", 1, 1, 0x51, X, X, F_NV },
	{ "vsqrtss", 2, 1, 0x51, X, X, 0 }, { "vsqrtsd", 3, 1, 0x51, X, X, 0 },
	{ "vrsqrtps", 0, 1, 0x52, X, X, F_NV }, { "vrsqrtss", 2, 1, 0x52, X, X, 0 },
	{ "vrcpps", 0, 1, 0x53, X, X, F_NV }, { "vrcpss", 2, 1, 0x53, X, X, 0 },
	FP4("add", 0x58), FP4("mul", 0x59), FP4("sub", 0x5c), FP4("min", 0x5d), FP4("div", 0x5e), FP4("max", 0x5f),
	{ "vcvtps2pd", 0, 1, 0x5a, X, X, F_NV }, { "vcvtpd2ps", 1, 1, 0x5a, X, X, F_NV },
	{ "vcvtss2sd", 2, 1, 0x5a, X, X, 0 }, { "vcvtsd2ss", 3, 1, 0x5a, X, X, 0 },
	{ "vcvtdq2ps", 0, 1, 0x5b, X, X, F_NV }, { "vcvtps2dq", 1, 1, 0x5b, X, X, F_NV },
	{ "vcvttps2dq", 2, 1, 0x5b, X, X, F_NV },
	{ "vhaddpd", 1, 1, 0x7c, X, X, 0 }, { "vhaddps", 3, 1, 0x7c, X, X, 0 },
	{ "vhsubpd", 1, 1, 0x7d, X, X, 0 }, { "vhsubps", 3, 1, 0x7d, X, X, 0 },
	{ "vcmpps", 0, 1, 0xc2, X, X, F_IMM }, { "vcmppd", 1, 1, 0xc2, X, X, F_IMM },
	{ "vcmpss", 2, 1, 0xc2, X, X, F_IMM }, { "vcmpsd", 3, 1, 0xc2, X, X, F_IMM },
	{ "vaddsubpd", 1, 1, 0xd0, X, X, 0 }, { "vaddsubps", 3, 1, 0xd0, X, X, 0 },
	{ "vcvttpd2dq", 1, 1, 0xe6, X, X, F_NV }, { "vcvtdq2pd", 2, 1, 0xe6, X, X, F_NV },
	{ "vcvtpd2dq", 3, 1, 0xe6, X, X, F_NV },
	{ "vroundps", 1, 3, 0x08, X, X, F_NV | F_IMM }, { "vroundpd", 1, 3, 0x09, X, X, F_NV | F_IMM },
	{ "vroundss", 1, 3, 0x0a, X, X, F_IMM }, { "vroundsd", 1, 3, 0x0b, X, X, F_IMM },
	{ "vdpps", 1, 3, 0x40, X, X, F_IMM }, { "vdppd", 1, 3, 0x41, X, X, F_IMM },
	/* FMA3 */
	FMA_ROW(9), FMA_ROW(a), FMA_ROW(b),
	/* F16C */
	{ "vcvtph2ps", 1, 2, 0x13, X, X, F_NV }, { "vcvtps2ph", 1, 3, 0x1d, X, X, F_NV | F_IMM },
};
// clang-format on

static unsigned pick_reg(unsigned kind) { return kind == K_X ? rn(16) : rn(3); /* rax rcx rdx */ }

/* What encode() chose */
struct enc {
	unsigned reg, vvvv, rm; /* rm: register, or 16 for memory */
	unsigned disp, w, l;
};

static size_t encode(const struct tpl *tp, uint8_t *b, struct enc *e)
{
	size_t n = 0;
	e->disp = 0;
	e->reg = pick_reg(tp->kreg);
	bool m = rn(2);
	e->rm = m ? 16 : pick_reg(tp->krm);
	e->vvvv = (tp->fl & F_NV) && rn(8) ? 0 : rn(16);
	e->w = rn(2);
	e->l = rn(2);
	unsigned rr = (e->reg >> 3) & 1, bb = m ? 0 : (e->rm >> 3) & 1;
	if (tp->map == 1 && !e->w && !bb && rn(2)) {
		b[n++] = 0xc5;
		b[n++] = (uint8_t)((!rr) << 7 | (~e->vvvv & 15) << 3 | e->l << 2 | tp->pp);
	} else {
		b[n++] = 0xc4;
		b[n++] = (uint8_t)((!rr) << 7 | 1 << 6 | (!bb) << 5 | tp->map);
		b[n++] = (uint8_t)(e->w << 7 | (~e->vvvv & 15) << 3 | e->l << 2 | tp->pp);
	}
	b[n++] = tp->op;
	if (m) {
		e->disp = rn(4) ? 16 * rn(8) : rn(0x80); /* [rbx + disp8], sometimes misaligned */
		b[n++] = (uint8_t)(0x40 | (e->reg & 7) << 3 | 3);
		b[n++] = (uint8_t)e->disp;
	} else {
		b[n++] = (uint8_t)(0xc0 | (e->reg & 7) << 3 | (e->rm & 7));
	}
	if (tp->fl & F_IMM)
		b[n++] = (uint8_t)rn(256);
	return n;
}

/* ---- FMA operands: c close to -(a * b) (cancellation), or products near
 * the underflow or overflow thresholds ---- */
static uint8_t *fma_slot(struct nx_state *s, uint8_t *mem, const struct enc *e, unsigned pos)
{
	/* pos: 1 = ModRM.reg, 2 = VEX.vvvv, 3 = ModRM.rm */
	if (pos == 1)
		return s->ymm[e->reg];
	if (pos == 2)
		return s->ymm[e->vvvv];
	return e->rm == 16 ? mem + e->disp : s->ymm[e->rm];
}

static void craft_fma(const struct tpl *tp, const struct enc *e, struct nx_state *s, uint8_t *mem)
{
	/* roles: 132: a = 1, b = 3, c = 2; 213: a = 2, b = 1, c = 3; 231: a = 2, b = 3, c = 1 */
	static const uint8_t role[3][3] = { { 1, 3, 2 }, { 2, 1, 3 }, { 2, 3, 1 } };
	const uint8_t *ro = role[(tp->op >> 4) - 9];
	uint8_t *pa = fma_slot(s, mem, e, ro[0]), *pb = fma_slot(s, mem, e, ro[1]), *pc = fma_slot(s, mem, e, ro[2]);
	unsigned band = rn(4);
	for (unsigned i = 0; i < (e->w ? 4u : 8u); i++) {
		if (e->w) {
			int ea = (int)rn(200) - 100, eb;
			switch (band) {
			case 0: eb = (int)rn(200) - 100; break;
			case 1: eb = -1022 - ea + (int)rn(60) - 50; break; /* tiny products */
			case 2: eb = 1023 - ea + (int)rn(4) - 2; break;    /* near overflow */
			default: eb = (int)rn(6) - 3; break;
			}
			if (eb < -1022 || eb > 1023)
				eb = 0;
			uint64_t a = ((rnd() & 1) << 63) | ((uint64_t)(ea + 1023) << 52) | (rnd() >> 12);
			uint64_t b = ((rnd() & 1) << 63) | ((uint64_t)(eb + 1023) << 52) | (rnd() >> (12 + rn(40)));
			double da, db, dc;
			memcpy(&da, &a, 8);
			memcpy(&db, &b, 8);
			dc = -(da * db);
			uint64_t c;
			memcpy(&c, &dc, 8);
			if ((c & 0x7ff0000000000000ull) != 0x7ff0000000000000ull)
				c += (uint64_t)(int64_t)((int)rn(5) - 2);
			if (rn(4) == 0)
				c ^= 1ull << 63;
			memcpy(pa + 8 * i, &a, 8);
			memcpy(pb + 8 * i, &b, 8);
			memcpy(pc + 8 * i, &c, 8);
		} else {
			int ea = (int)rn(60) - 30, eb;
			switch (band) {
			case 0: eb = (int)rn(60) - 30; break;
			case 1: eb = -126 - ea + (int)rn(40) - 30; break;
			case 2: eb = 127 - ea + (int)rn(4) - 2; break;
			default: eb = (int)rn(6) - 3; break;
			}
			if (eb < -126 || eb > 127)
				eb = 0;
			uint32_t a = (uint32_t)(((rnd() & 1) << 31) | ((uint64_t)(ea + 127) << 23) |
						(rnd() & 0x7fffff));
			uint32_t b = (uint32_t)(((rnd() & 1) << 31) | ((uint64_t)(eb + 127) << 23) |
						((rnd() & 0x7fffff) >> rn(20)));
			float fa, fb, fc;
			memcpy(&fa, &a, 4);
			memcpy(&fb, &b, 4);
			fc = (float)-((double)fa * fb);
			uint32_t c;
			memcpy(&c, &fc, 4);
			if ((c & 0x7f800000u) != 0x7f800000u)
				c += (uint32_t)((int)rn(5) - 2);
			if (rn(4) == 0)
				c ^= 1u << 31;
			memcpy(pa + 4 * i, &a, 4);
			memcpy(pb + 4 * i, &b, 4);
			memcpy(pc + 4 * i, &c, 4);
		}
	}
}

/* Does the host have what the differential test executes (AVX enabled by
 * the OS, FMA, F16C)? */
static bool host_has_avxfp(void) { return nx_host_avx((1u << 12) | (1u << 29)); /* FMA F16C */ }

static const char *only; /* run the templates whose name starts with this */

static void test_differential(unsigned per_form)
{
	if (!host_has_avxfp()) {
		printf("differential: skipped: the host lacks AVX/FMA/F16C\n");
		return;
	}
	nx_init(NXF);
	unsigned ntpl = sizeof(tpls) / sizeof(tpls[0]), bad_forms = 0, prints = 0, nforms = 0;
	struct nx_tally n = { 0 };
	for (unsigned k = 0; k < ntpl; k++) {
		const struct tpl *tp = &tpls[k];
		if (only && strncmp(tp->name, only, strlen(only)))
			continue;
		nforms++;
		unsigned fails = 0;
		for (unsigned it = 0; it < per_form; it++) {
			struct nx_case c;
			struct enc e;
			c.n = encode(tp, c.code, &e);
			rnd_state(&c.s0, c.m0);
			if ((tp->fl & F_FMA) && rn(2))
				craft_fma(tp, &e, &c.s0, c.m0);
			bool ok = nx_case_run(&c, emu_exec, 0x8d5, NXF);
			nx_tally_add(&n, c.nv);
			if (!ok) {
				fails++;
				if (prints++ < 40)
					nx_report("differential", tp->name, c.code, c.n, c.s0.mxcsr, c.why);
			}
		}
		CHECK_EQ(fails, 0);
		bad_forms += fails != 0;
	}
	nx_fini();
	printf("differential: %u forms x %u cases (host: %u completed, %u #XM, %u #GP, %u #UD), "
	       "%u forms disagree with the host\n",
	       nforms, per_form, n.clean, n.xm, n.gp, n.ud, bad_forms);
	if (!only)
		CHECK(n.xm > 0 && n.ud > 0);
}

/* ---------------- directed ---------------- */

static int run_bytes(const char *hex)
{
	uint8_t b[32];
	t.s.rip = TV_CODE;
	size_t n = unit_hex(hex, b);
	nx_emu_code(&t, b, n);
	return nx_emu_run(&t, n);
}

static void fill_regs(void)
{
	for (unsigned i = 0; i < 16; i++)
		for (unsigned j = 0; j < 16; j++) {
			t.s.fpu.xmm[i][j] = (uint8_t)(0x11 * i + j);
			t.s.fpu.ymmh[i][j] = (uint8_t)(0x80 + 0x11 * i + j);
		}
	t.s.fpu.mxcsr = 0x1f80;
}

static void test_directed(void)
{
	/* vaddps ymm1, ymm2, ymm3 */
	const char *vaddps = "c5 ec 58 cb";
	vm_fresh(RAX_CPU_V3);
	t.s.cr4 &= ~CR4_OSXSAVE;
	CHECK_EQ(run_bytes(vaddps), V_UD);
	vm_fresh(RAX_CPU_V3);
	t.s.xcr0 = 3; /* AVX state off */
	CHECK_EQ(run_bytes(vaddps), V_UD);
	vm_fresh(RAX_CPU_V3);
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(run_bytes(vaddps), V_NM);
	vm_fresh(RAX_CPU_V2);
	CHECK_EQ(run_bytes(vaddps), V_UD);
	vm_fresh(RAX_CPU_V2);
	CHECK_EQ(run_bytes("c4 e2 69 98 cb"), V_UD); /* vfmadd132ps */
	/* vfmadd132ps with VEX.L=1 but the scalar form ignores L: no #UD */
	vm_fresh(RAX_CPU_V3);
	fill_regs();
	CHECK_EQ(run_bytes("c4 e2 6d 99 cb"), V_NONE); /* vfmadd132ss xmm1, xmm2, xmm3 (L=1) */
	for (unsigned j = 0; j < 16; j++)
		CHECK_EQ(t.s.fpu.ymmh[1][j], 0);
	/* vdppd with L=1: #UD; vcvtph2ps with vvvv != 1111b: #UD */
	vm_fresh(RAX_CPU_V3);
	CHECK_EQ(run_bytes("c4 e3 6d 41 cb 31"), V_UD);
	CHECK_EQ(run_bytes("c4 e2 51 13 cb"), V_UD);

	/* a 32-byte operand whose second half is on an unmapped page: #PF,
	 * destination and MXCSR unchanged */
	static const char *const cross[] = {
		"c5 ec 58 0b",       /* vaddps ymm1, ymm2, [rbx] */
		"c4 e2 6d 98 0b",    /* vfmadd132ps ymm1, ymm2, [rbx] */
		"c5 fd 5a 0b",       /* vcvtpd2ps xmm1, ymmword [rbx] */
		"c4 e3 7d 40 0b ff", /* vdpps ymm1, ymm0, [rbx], 0xff */
		"c5 fe e6 0b",       /* vcvtdq2pd ymm1, [rbx] (16 bytes: no fault at 0x7ffff0) */
	};
	for (unsigned i = 0; i < sizeof(cross) / sizeof(cross[0]); i++) {
		vm_fresh(RAX_CPU_V3);
		fill_regs();
		tv_w64(&t, TV_PD + 4 * 8, 0); /* unmap 0x800000-0x9fffff */
		t.s.gpr[RAX_REG_RBX] = 0x7ffff0;
		uint8_t x1[16], y1[16];
		memcpy(x1, t.s.fpu.xmm[1], 16);
		memcpy(y1, t.s.fpu.ymmh[1], 16);
		int v = run_bytes(cross[i]);
		if (i == 4) {
			CHECK_EQ(v, V_NONE);
			continue;
		}
		CHECK_EQ(v, V_PF);
		CHECK(!memcmp(x1, t.s.fpu.xmm[1], 16) && !memcmp(y1, t.s.fpu.ymmh[1], 16));
		CHECK_EQ(t.s.fpu.mxcsr, 0x1f80);
	}
	/* vcvtps2ph [rbx], ymm1, 0: a 16-byte store crossing into the unmapped page writes nothing */
	vm_fresh(RAX_CPU_V3);
	fill_regs();
	tv_w64(&t, TV_PD + 4 * 8, 0);
	t.s.gpr[RAX_REG_RBX] = 0x7ffff8;
	memset(tv_ptr(&t, 0x7ffff8), 0xaa, 8);
	CHECK_EQ(run_bytes("c4 e3 7d 1d 0b 00"), V_PF);
	CHECK_EQ(tv_r64(&t, 0x7ffff8), 0xaaaaaaaaaaaaaaaaull);
	CHECK_EQ(t.s.fpu.mxcsr, 0x1f80);

	/* 32-bit protected mode: VEX.W1 of the GPR conversions is ignored
	 * (SDM vol. 2 VCVTSI2SD, VCVTSD2SI: "VEX.W1 in non-64 bit is
	 * ignored"), so the integer operand is 32 bits */
	tv_free(&t);
	tv_init32(&t);
	CHECK_EQ(emu_set_cpu_level(&t.vm, RAX_CPU_V3), 0);
	t.s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	t.s.xcr0 = 7;
	fill_regs();
	double d = -3.0;
	memcpy(t.s.fpu.xmm[1], &d, 8);
	t.s.gpr[RAX_REG_RAX] = 0x123456789abcdef0ull;
	t.s.gpr[RAX_REG_RCX] = 0xfffffffe00000005ull;
	CHECK_EQ(run_bytes("c4 e1 fb 2d c1"), V_NONE); /* vcvtsd2si eax (W1), xmm1 */
	CHECK_EQ(t.s.gpr[RAX_REG_RAX] & 0xffffffffu, 0xfffffffdu);
	CHECK_EQ(run_bytes("c4 e1 f3 2a d1"), V_NONE); /* vcvtsi2sd xmm2, xmm1, ecx (W1) */
	memcpy(&d, t.s.fpu.xmm[2], 8);
	CHECK(d == 5.0);
	tv_free(&t);
	tv_init(&t);
}

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : unit_cases(300);
	if (argc > 2)
		only = argv[2];
	tv_init(&t);
	test_directed();
	test_differential(per);
	tv_free(&t);
	return unit_finish("test_emu_avxfp");
}
