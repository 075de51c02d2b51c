/*
 * test_emu_v2.c - the x86-64-v2 instructions of the interpreter (CPU level
 * v2: SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, LZCNT, MOVBE) and the level
 * gating.
 *
 * 1. Differential: every v2 form (register and memory, MMX and XMM, random
 *    imm8) runs with random operands - FP specials, denormals, NaNs, random
 *    MXCSR rounding/FTZ/DAZ and unmasked exceptions, small string lengths -
 *    natively on the host CPU and on the emulator at level v2; XMM, MMX,
 *    RAX/RCX/RDX, OSZAPC (less the undefined flags of LZCNT), MXCSR,
 *    memory and the exception taken must agree. Skipped (with a line) on a
 *    host without these extensions.
 * 2. Levels: at v1 these encodings are #UD (F3 0F BD is BSR), CPUID leaf 1
 *    and 0x80000001 report each level's features, emu_set_cpu_level
 *    rejects levels that do not exist.
 */
#include <stdio.h>

#include "cpuid_model.h"
#include "emu/decode.h"
#include "native_exec.h"
#include "unit.h"

#define NXF (NX_MMX | NX_ADDR | NX_FAULT_MXCSR)

/* ---------------- emulator execution ---------------- */

static struct tvm t;

static void vm_fresh(unsigned level)
{
	nx_vm_fresh(&t, NXF);
	CHECK_EQ(emu_set_cpu_level(&t.vm, level), 0);
}

static int emu_exec(const uint8_t *code, size_t n, struct nx_state *s, uint8_t *mem)
{
	vm_fresh(RAX_CPU_V2);
	return nx_emu_exec(&t, code, n, s, mem, NXF);
}

/* ---------------- random operands ---------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { return nx_xorshift(&rng); }
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static uint32_t rnd_f32(void)
{
	static const uint32_t sp[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000,
		0xffc00000, 0x7fa00000, 0x7f800001, 0x00000001, 0x807fffff, 0x00400000, 0x00800000,
		0x7f7fffff, 0xff7fffff, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000,
		0x4b000000, 0x4affffff, 0x4b7fffff, 0x0c000000, 0x72000000, 0x1a000000, 0x3effffff,
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

/* string data for PCMPxSTRx: few distinct values (so elements match), zeros */
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
	switch (rn(4)) {
	case 0: return rnd_f32() | (uint64_t)rnd_f32() << 32;
	case 1: return rnd_f64();
	case 2: return rnd() >> (rn(64));
	default: return rnd();
	}
}

static void rnd_state(struct nx_state *s, uint8_t *mem, bool str)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 32; i++) {
		uint64_t q = rnd_q(str);
		memcpy(&s->ymm[i / 2][8 * (i & 1)], &q, 8);
	}
	for (unsigned i = 0; i < 8; i++)
		s->mm[i] = rnd_q(false);
	for (unsigned i = 0; i < 3; i++) {
		static const int64_t lens[] = { 0, 1, 5, 8, 15, 16, 17, -1, -8, -16, -17, INT32_MIN, INT64_MIN };
		s->gpr[i] = rn(3) ? rnd_q(false) : (uint64_t)lens[rn(sizeof(lens) / sizeof(lens[0]))];
	}
	for (unsigned i = 0; i < 512; i += 8) {
		uint64_t q = rnd_q(str);
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

enum { K_X, K_M, K_G };
#define F_IMM 1u    /* imm8 follows */
#define F_W 2u      /* REX.W sometimes */
#define F_MEMO 4u   /* memory form only */
#define F_REGO 8u   /* register form only */
#define F_STR 16u   /* string data (PCMPxSTRx) */
#define F_LZCNT 32u /* OF SF AF PF undefined */
#define F_O16 64u   /* 66 sometimes (operand size 16) */

struct tpl {
	const char *name;
	uint8_t pfx; /* 0, 0x66, 0xf3, 0xf2 */
	uint8_t map; /* 1: 0F, 2: 0F 38, 3: 0F 3A */
	uint8_t op;
	uint8_t kreg, krm;
	uint8_t fl;
};

#define X K_X
#define MM K_M
#define G K_G
// clang-format off
static const struct tpl tpls[] = {
	/* SSE3 */
	{ "movsldup", 0xf3, 1, 0x12, X, X, 0 }, { "movshdup", 0xf3, 1, 0x16, X, X, 0 },
	{ "movddup", 0xf2, 1, 0x12, X, X, 0 }, { "lddqu", 0xf2, 1, 0xf0, X, X, F_MEMO },
	{ "haddpd", 0x66, 1, 0x7c, X, X, 0 }, { "haddps", 0xf2, 1, 0x7c, X, X, 0 },
	{ "hsubpd", 0x66, 1, 0x7d, X, X, 0 }, { "hsubps", 0xf2, 1, 0x7d, X, X, 0 },
	{ "addsubpd", 0x66, 1, 0xd0, X, X, 0 }, { "addsubps", 0xf2, 1, 0xd0, X, X, 0 },
	/* POPCNT LZCNT */
	{ "popcnt", 0xf3, 1, 0xb8, G, G, F_W | F_O16 }, { "lzcnt", 0xf3, 1, 0xbd, G, G, F_W | F_O16 | F_LZCNT },
	/* SSSE3, both register files */
	{ "pshufb", 0, 2, 0x00, MM, MM, 0 }, { "pshufb", 0x66, 2, 0x00, X, X, 0 },
	{ "phaddw", 0, 2, 0x01, MM, MM, 0 }, { "phaddw", 0x66, 2, 0x01, X, X, 0 },
	{ "phaddd", 0, 2, 0x02, MM, MM, 0 }, { "phaddd", 0x66, 2, 0x02, X, X, 0 },
	{ "phaddsw", 0, 2, 0x03, MM, MM, 0 }, { "phaddsw", 0x66, 2, 0x03, X, X, 0 },
	{ "pmaddubsw", 0, 2, 0x04, MM, MM, 0 }, { "pmaddubsw", 0x66, 2, 0x04, X, X, 0 },
	{ "phsubw", 0, 2, 0x05, MM, MM, 0 }, { "phsubw", 0x66, 2, 0x05, X, X, 0 },
	{ "phsubd", 0, 2, 0x06, MM, MM, 0 }, { "phsubd", 0x66, 2, 0x06, X, X, 0 },
	{ "phsubsw", 0, 2, 0x07, MM, MM, 0 }, { "phsubsw", 0x66, 2, 0x07, X, X, 0 },
	{ "psignb", 0, 2, 0x08, MM, MM, 0 }, { "psignb", 0x66, 2, 0x08, X, X, 0 },
	{ "psignw", 0, 2, 0x09, MM, MM, 0 }, { "psignw", 0x66, 2, 0x09, X, X, 0 },
	{ "psignd", 0, 2, 0x0a, MM, MM, 0 }, { "psignd", 0x66, 2, 0x0a, X, X, 0 },
	{ "pmulhrsw", 0, 2, 0x0b, MM, MM, 0 }, { "pmulhrsw", 0x66, 2, 0x0b, X, X, 0 },
	{ "pabsb", 0, 2, 0x1c, MM, MM, 0 }, { "pabsb", 0x66, 2, 0x1c, X, X, 0 },
	{ "pabsw", 0, 2, 0x1d, MM, MM, 0 }, { "pabsw", 0x66, 2, 0x1d, X, X, 0 },
	{ "pabsd", 0, 2, 0x1e, MM, MM, 0 }, { "pabsd", 0x66, 2, 0x1e, X, X, 0 },
	{ "palignr", 0, 3, 0x0f, MM, MM, F_IMM }, { "palignr", 0x66, 3, 0x0f, X, X, F_IMM },
	/* SSE4.1 / 4.2 (66 0F 38) */
	{ "pblendvb", 0x66, 2, 0x10, X, X, 0 }, { "blendvps", 0x66, 2, 0x14, X, X, 0 },
	{ "blendvpd", 0x66, 2, 0x15, X, X, 0 }, { "ptest", 0x66, 2, 0x17, X, X, 0 },
	{ "pmovsxbw", 0x66, 2, 0x20, X, X, 0 }, { "pmovsxbd", 0x66, 2, 0x21, X, X, 0 },
	{ "pmovsxbq", 0x66, 2, 0x22, X, X, 0 }, { "pmovsxwd", 0x66, 2, 0x23, X, X, 0 },
	{ "pmovsxwq", 0x66, 2, 0x24, X, X, 0 }, { "pmovsxdq", 0x66, 2, 0x25, X, X, 0 },
	{ "pmuldq", 0x66, 2, 0x28, X, X, 0 }, { "pcmpeqq", 0x66, 2, 0x29, X, X, 0 },
	{ "movntdqa", 0x66, 2, 0x2a, X, X, F_MEMO }, { "packusdw", 0x66, 2, 0x2b, X, X, 0 },
	{ "pmovzxbw", 0x66, 2, 0x30, X, X, 0 }, { "pmovzxbd", 0x66, 2, 0x31, X, X, 0 },
	{ "pmovzxbq", 0x66, 2, 0x32, X, X, 0 }, { "pmovzxwd", 0x66, 2, 0x33, X, X, 0 },
	{ "pmovzxwq", 0x66, 2, 0x34, X, X, 0 }, { "pmovzxdq", 0x66, 2, 0x35, X, X, 0 },
	{ "pcmpgtq", 0x66, 2, 0x37, X, X, 0 },
	{ "pminsb", 0x66, 2, 0x38, X, X, 0 }, { "pminsd", 0x66, 2, 0x39, X, X, 0 },
	{ "pminuw", 0x66, 2, 0x3a, X, X, 0 }, { "pminud", 0x66, 2, 0x3b, X, X, 0 },
	{ "pmaxsb", 0x66, 2, 0x3c, X, X, 0 }, { "pmaxsd", 0x66, 2, 0x3d, X, X, 0 },
	{ "pmaxuw", 0x66, 2, 0x3e, X, X, 0 }, { "pmaxud", 0x66, 2, 0x3f, X, X, 0 },
	{ "pmulld", 0x66, 2, 0x40, X, X, 0 }, { "phminposuw", 0x66, 2, 0x41, X, X, 0 },
	{ "movbe ld", 0, 2, 0xf0, G, G, F_MEMO | F_W | F_O16 }, { "movbe st", 0, 2, 0xf1, G, G, F_MEMO | F_W | F_O16 },
	{ "crc32 b", 0xf2, 2, 0xf0, G, G, F_W }, { "crc32 v", 0xf2, 2, 0xf1, G, G, F_W | F_O16 },
	/* 0F 3A */
	{ "roundps", 0x66, 3, 0x08, X, X, F_IMM }, { "roundpd", 0x66, 3, 0x09, X, X, F_IMM },
	{ "roundss", 0x66, 3, 0x0a, X, X, F_IMM }, { "roundsd", 0x66, 3, 0x0b, X, X, F_IMM },
	{ "blendps", 0x66, 3, 0x0c, X, X, F_IMM }, { "blendpd", 0x66, 3, 0x0d, X, X, F_IMM },
	{ "pblendw", 0x66, 3, 0x0e, X, X, F_IMM },
	{ "pextrb", 0x66, 3, 0x14, X, G, F_IMM }, { "pextrw", 0x66, 3, 0x15, X, G, F_IMM },
	{ "pextrd/q", 0x66, 3, 0x16, X, G, F_IMM | F_W }, { "extractps", 0x66, 3, 0x17, X, G, F_IMM | F_W },
	{ "pinsrb", 0x66, 3, 0x20, X, G, F_IMM }, { "insertps", 0x66, 3, 0x21, X, X, F_IMM },
	{ "pinsrd/q", 0x66, 3, 0x22, X, G, F_IMM | F_W },
	{ "dpps", 0x66, 3, 0x40, X, X, F_IMM }, { "dppd", 0x66, 3, 0x41, X, X, F_IMM },
	{ "mpsadbw", 0x66, 3, 0x42, X, X, F_IMM },
	{ "pcmpestrm", 0x66, 3, 0x60, X, X, F_IMM | F_STR | F_W }, { "pcmpestri", 0x66, 3, 0x61, X, X, F_IMM | F_STR | F_W },
	{ "pcmpistrm", 0x66, 3, 0x62, X, X, F_IMM | F_STR }, { "pcmpistri", 0x66, 3, 0x63, X, X, F_IMM | F_STR },
};
// clang-format on

static unsigned pick_reg(unsigned kind)
{
	switch (kind) {
	case K_X: return rn(16);
	case K_M: return rn(16); /* REX.R/B are ignored for mm */
	default: return rn(3);   /* rax rcx rdx */
	}
}

static size_t encode(const struct tpl *tp, uint8_t *b)
{
	size_t n = 0;
	unsigned reg = pick_reg(tp->kreg);
	bool m = !(tp->fl & F_REGO) && ((tp->fl & F_MEMO) || rn(2));
	unsigned rm = m ? 3 : pick_reg(tp->krm);
	if ((tp->fl & F_O16) && rn(3) == 0)
		b[n++] = 0x66;
	if (tp->pfx)
		b[n++] = tp->pfx;
	bool w = (tp->fl & F_W) && rn(2);
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0));
	if (rex != 0x40 || rn(8) == 0)
		b[n++] = rex;
	b[n++] = 0x0f;
	if (tp->map == 2)
		b[n++] = 0x38;
	if (tp->map == 3)
		b[n++] = 0x3a;
	b[n++] = tp->op;
	if (m) {
		b[n++] = (uint8_t)(0x40 | (reg & 7) << 3 | 3);
		b[n++] = (uint8_t)(rn(4) ? 16 * rn(8) : rn(0x80)); /* [rbx + disp8], sometimes misaligned */
	} else {
		b[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	}
	if (tp->fl & F_IMM)
		b[n++] = (uint8_t)rn(256);
	return n;
}

/* Does the host have what the differential test executes? */
static bool host_has_v2(void)
{
	uint32_t r[4];
	nx_cpuid(1, 0, r);
	unsigned need1 = (1u << 0) | (1u << 9) | (1u << 19) | (1u << 20) | (1u << 22) | (1u << 23);
	if ((r[2] & need1) != need1)
		return false;
	nx_cpuid(0x80000001, 0, r);
	return r[2] & (1u << 5); /* ABM (LZCNT) */
}

static void test_differential(unsigned per_form)
{
	if (!host_has_v2()) {
		printf("differential: skipped: the host lacks SSE3/SSSE3/SSE4.1/SSE4.2/POPCNT/LZCNT/MOVBE\n");
		return;
	}
	nx_init(NXF);
	unsigned ntpl = sizeof(tpls) / sizeof(tpls[0]), bad_forms = 0, prints = 0;
	struct nx_tally n = { 0 };
	for (unsigned k = 0; k < ntpl; k++) {
		const struct tpl *tp = &tpls[k];
		unsigned fails = 0;
		for (unsigned it = 0; it < per_form; it++) {
			struct nx_case c;
			c.n = encode(tp, c.code);
			rnd_state(&c.s0, c.m0, (tp->fl & F_STR) != 0);
			uint64_t fmask = (tp->fl & F_LZCNT) ? 0x441 : 0x8d5; /* LZCNT: CF ZF (and DF) */
			bool ok = nx_case_run(&c, emu_exec, fmask, NXF);
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
	       ntpl, per_form, n.clean, n.xm, n.gp, n.ud, bad_forms);
	CHECK(n.xm > 0 && n.gp > 0 && n.ud == 0);
}

/* ---------------- levels ---------------- */

static int dec_level(const char *hex, unsigned level, struct emu_insn *in)
{
	uint8_t b[16];
	size_t n = unit_hex(hex, b);
	return emu_decode_level(b, (unsigned)n, EMU_MODE_64, level, in);
}

static void test_levels(void)
{
	static const char *const v2[] = {
		"f2 0f 7c c1",       "66 0f d0 c1",          "f3 0f 12 c1",    "f2 0f f0 00",    "66 0f 38 00 c1",
		"0f 38 00 c1",       "66 0f 3a 0f c1 03",    "0f 3a 0f c1 03", "66 0f 38 17 c1", "66 0f 38 37 c1",
		"66 0f 3a 63 c1 0c", "f2 0f 38 f1 c1",       "0f 38 f0 00",    "66 0f 38 f1 00", "f3 0f b8 c1",
		"f3 48 0f bd c1",    "66 48 0f 3a 16 c0 01", "db 08",          "dd 08",          "df 08",
	};
	struct emu_insn in;
	char b[64];
	for (unsigned i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
		int d1 = dec_level(v2[i], RAX_CPU_V1, &in);
		bool bsr = d1 == EMU_DEC_OK && !strcmp(emu_mnemonic(&in, b, sizeof(b)), "bsr");
		if (!(d1 == EMU_DEC_UD || bsr))
			fprintf(stderr, "expected #UD (or BSR) at v1: %s\n", v2[i]);
		CHECK(d1 == EMU_DEC_UD || bsr);
		int d2 = dec_level(v2[i], RAX_CPU_V2, &in);
		if (d2 != EMU_DEC_OK)
			fprintf(stderr, "expected a v2 row: %s\n", v2[i]);
		CHECK_EQ(d2, EMU_DEC_OK);
		CHECK_EQ(emu_row_level(emu_oprows[in.row].flags), RAX_CPU_V2);
	}
	/* F3 0F BD: BSR below v2, LZCNT at v2; no prefix: BSR at both */
	CHECK_EQ(dec_level("f3 0f bd c1", RAX_CPU_V1, &in), EMU_DEC_OK);
	CHECK(!strcmp(emu_mnemonic(&in, b, sizeof(b)), "bsr"));
	CHECK_EQ(dec_level("f3 0f bd c1", RAX_CPU_V2, &in), EMU_DEC_OK);
	CHECK(!strcmp(emu_mnemonic(&in, b, sizeof(b)), "lzcnt"));
	CHECK_EQ(dec_level("0f bd c1", RAX_CPU_V2, &in), EMU_DEC_OK);
	CHECK(!strcmp(emu_mnemonic(&in, b, sizeof(b)), "bsr"));
	/* not rows at any level: SSE4A, 0F B8 without F3, F3 0F 38 F0, no-prefix SSE3/SSE4.1 */
	static const char *const none[] = { "66 0f 78 c0 01 02", "f2 0f 79 c1", "0f b8 c1",
					    "f3 0f 38 f0 00",    "0f 7c c1",    "0f 3a 08 c1 00" };
	for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		CHECK_EQ(dec_level(none[i], RAX_CPU_V2, &in), EMU_DEC_UD);
	/* disassembly of the new operand forms */
	CHECK_EQ(dec_level("66 0f 3a 14 c0 05", RAX_CPU_V2, &in), EMU_DEC_OK);
	emu_disasm(&in, b, sizeof(b));
	CHECK(!strcmp(b, "pextrb eax, xmm0, 0x5"));
	CHECK_EQ(dec_level("66 0f 3a 14 03 85", RAX_CPU_V2, &in), EMU_DEC_OK);
	emu_disasm(&in, b, sizeof(b));
	CHECK(!strcmp(b, "pextrb [rbx], xmm0, 0x85"));
	CHECK_EQ(dec_level("66 48 0f 3a 22 c1 01", RAX_CPU_V2, &in), EMU_DEC_OK);
	emu_disasm(&in, b, sizeof(b));
	CHECK(!strcmp(b, "pinsrq xmm0, rcx, 0x1"));
	CHECK_EQ(dec_level("66 0f 38 10 c1", RAX_CPU_V2, &in), EMU_DEC_OK);
	emu_disasm(&in, b, sizeof(b));
	CHECK(!strcmp(b, "pblendvb xmm0, xmm1, xmm0"));

	/* CPUID per level */
	uint32_t r[4];
	const uint32_t apic_ecx = (1u << 21) | (1u << 24); /* x2APIC, TSC-deadline at every level */
	cpuid_model_query_level(RAX_CPU_V1, 1, 0, r);
	CHECK_EQ(r[2], (1u << 13) | apic_ecx); /* CX16 */
	cpuid_model_query_level(RAX_CPU_V2, 1, 0, r);
	CHECK_EQ(r[2],
		 (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 22) | (1u << 23) | (1u << 26) |
			 (1u << 30) | apic_ecx); /* ... XSAVE RDRAND */
	cpuid_model_query_level(RAX_CPU_V1, 0x80000001, 0, r);
	CHECK_EQ(r[2], 1u);
	cpuid_model_query_level(RAX_CPU_V2, 0x80000001, 0, r);
	CHECK_EQ(r[2], 1u | (1u << 5) | (1u << 8));
	CHECK_EQ(RAX_CPU_LEVEL_DEFAULT, RAX_CPU_V3); /* the highest complete level */
	uint32_t d[4];
	cpuid_model_query(1, 0, r);
	cpuid_model_query_level(RAX_CPU_LEVEL_DEFAULT, 1, 0, d);
	CHECK_EQ(r[2], d[2]);
	CHECK_EQ(rax_cpu_level_parse("v1"), RAX_CPU_V1);
	CHECK_EQ(rax_cpu_level_parse("x86-64-v2"), RAX_CPU_V2);
	CHECK_EQ(rax_cpu_level_parse("v3"), RAX_CPU_V3);
	CHECK_EQ(rax_cpu_level_parse("v4"), 0);
	CHECK_EQ(rax_cpu_level_parse(NULL), 0);

	/* MONITOR/MWAIT (0F 01 C8/C9) are #UD at every level */
	static const uint8_t monitor[] = { 0x0f, 0x01, 0xc8, 0xf4 }, mwait[] = { 0x0f, 0x01, 0xc9, 0xf4 };
	vm_fresh(RAX_CPU_V2);
	tv_code(&t, monitor, sizeof(monitor));
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), V_UD);
	vm_fresh(RAX_CPU_V2);
	tv_code(&t, mwait, sizeof(mwait));
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), V_UD);

	/* the interpreter: CPUID and #UD follow emu_set_cpu_level */
	static const uint8_t cpuid_popcnt[] = { 0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xf3, 0x0f, 0xb8, 0xc1, 0xf4 };
	vm_fresh(RAX_CPU_V1);
	CHECK_EQ(emu_cpu_level(&t.vm), RAX_CPU_V1);
	CHECK_EQ(emu_set_cpu_level(&t.vm, 0), -1);
	CHECK_EQ(emu_set_cpu_level(&t.vm, RAX_CPU_LEVEL_MAX + 1), -1);
	tv_code(&t, cpuid_popcnt, sizeof(cpuid_popcnt));
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), V_UD);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX] & (1u << 23), 0);
	vm_fresh(RAX_CPU_V2);
	tv_code(&t, cpuid_popcnt, sizeof(cpuid_popcnt));
	t.s.gpr[RAX_REG_RCX] = 0;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.rip, TV_CODE + sizeof(cpuid_popcnt));
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 11); /* popcnt of leaf 1 ECX = 0x45f82201 */
}

/* RDTSCP, RDPID, RDRAND, RDSEED: CPUID bits and #UD by level, results */
static void test_rd(void)
{
	uint32_t r[4];
	cpuid_model_query_level(RAX_CPU_V1, 0x80000001, 0, r);
	CHECK_EQ(r[3] & (1u << 27), 0);
	cpuid_model_query_level(RAX_CPU_V2, 0x80000001, 0, r);
	CHECK(r[3] & (1u << 27)); /* RDTSCP */
	cpuid_model_query_level(RAX_CPU_V2, 7, 0, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(r[1], 1u << 18); /* RDSEED */
	CHECK_EQ(r[2], 1u << 22); /* RDPID */
	cpuid_model_query_level(RAX_CPU_V2, 7, 1, r);
	CHECK_EQ(r[1] | r[2], 0); /* sub-leaf 1: nothing */
	cpuid_model_query_level(RAX_CPU_V1, 7, 0, r);
	CHECK_EQ(r[1] | r[2], 0);

	static const uint8_t rdtscp[] = { 0x0f, 0x01, 0xf9, 0xf4 }, rdpid[] = { 0xf3, 0x0f, 0xc7, 0xfb, 0xf4 },
			     rdrand16[] = { 0x66, 0x0f, 0xc7, 0xf0, 0xf4 },
			     rdrand64[] = { 0x48, 0x0f, 0xc7, 0xf1, 0xf4 },
			     rdseed32[] = { 0x41, 0x0f, 0xc7, 0xf9, 0xf4 }; /* rdseed r9d */
	const uint8_t *ud[] = { rdtscp, rdpid, rdrand16, rdseed32 };
	const size_t udn[] = { sizeof(rdtscp), sizeof(rdpid), sizeof(rdrand16), sizeof(rdseed32) };
	for (unsigned i = 0; i < 4; i++) { /* not advertised at v1: #UD */
		vm_fresh(RAX_CPU_V1);
		tv_code(&t, ud[i], udn[i]);
		tv_run(&t);
		CHECK_EQ(tv_vector(&t), V_UD);
	}
	char b[64];
	struct emu_insn in;
	const char *names[] = { "rdtscp", "rdpid rbx", "rdrand ax", "rdseed r9d" };
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(emu_decode(ud[i], udn[i], &in), EMU_DEC_OK);
		emu_disasm(&in, b, sizeof(b));
		CHECK(!strcmp(b, names[i]));
	}

	/* RDTSCP: EDX:EAX the TSC, RCX = TSC_AUX (zero-extended); RDPID: RBX */
	vm_fresh(RAX_CPU_V2);
	t.s.tsc_aux = 0x1234;
	t.s.gpr[RAX_REG_RCX] = ~0ull;
	tv_code(&t, rdtscp, sizeof(rdtscp));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x1234);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX] >> 32, 0);
	emu_override_rdtsc(&t.vm, 0x1122334455667788ull);
	emu_override_tsc_aux(&t.vm, 7);
	t.s.rip = TV_CODE;
	tv_code(&t, rdtscp, sizeof(rdtscp));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0x55667788);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX], 0x11223344);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 7);
	vm_fresh(RAX_CPU_V2);
	t.s.tsc_aux = 0x42;
	t.s.gpr[RAX_REG_RBX] = ~0ull;
	tv_code(&t, rdpid, sizeof(rdpid));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x42);

	/* RDRAND/RDSEED: CF=1, OF SF ZF AF PF clear; the same values on a fresh CPU */
	uint64_t first = 0;
	for (unsigned k = 0; k < 2; k++) {
		vm_fresh(RAX_CPU_V2);
		t.s.rflags |= RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF | RFLAGS_AF | RFLAGS_PF;
		t.s.gpr[RAX_REG_RCX] = 0;
		tv_code(&t, rdrand64, sizeof(rdrand64));
		CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
		CHECK_EQ(t.s.rflags & RFLAGS_STATUS, RFLAGS_CF);
		if (k)
			CHECK_EQ(t.s.gpr[RAX_REG_RCX], first);
		first = t.s.gpr[RAX_REG_RCX];
	}
	CHECK(first != 0);
	vm_fresh(RAX_CPU_V2);
	t.s.gpr[RAX_REG_RAX] = 0xffffffffffff0000ull;
	tv_code(&t, rdrand16, sizeof(rdrand16));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX] >> 16, 0xffffffffffffull); /* 16 bits written */
	vm_fresh(RAX_CPU_V2);
	t.s.gpr[RAX_REG_R9] = ~0ull;
	emu_override_rand(&t.vm, 0xabcdef01, true);
	tv_code(&t, rdseed32, sizeof(rdseed32));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_R9], 0xabcdef01); /* 32 bits zero-extend */
	vm_fresh(RAX_CPU_V2);
	t.s.rflags |= RFLAGS_CF;
	emu_override_rand(&t.vm, 0, false); /* no value: 0 and CF=0 */
	tv_code(&t, rdseed32, sizeof(rdseed32));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_R9], 0);
	CHECK_EQ(t.s.rflags & RFLAGS_CF, 0);
}

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : unit_cases(200);
	tv_init(&t);
	test_levels();
	test_rd();
	test_differential(per);
	tv_free(&t);
	return unit_finish("test_emu_v2");
}
