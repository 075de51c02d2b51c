/*
 * test_emu_aes.c - AES-NI and PCLMULQDQ on the interpreter (CPU level v3),
 * legacy and VEX.128 forms.
 *
 * 1. FIPS-197: the AES-128 key expansion of appendix A.1 with
 *    AESKEYGENASSIST (round keys 1 and 10 checked word by word), the
 *    cipher example of appendix B and the example vector of appendix C.1
 *    encrypted with AESENC/AESENCLAST and decrypted with the equivalent
 *    inverse cipher (AESIMC round keys, AESDEC/AESDECLAST), each in the
 *    legacy and the VEX form; PCLMULQDQ products known by hand.
 * 2. Rules: the rows do not exist below v3; VEX.L = 1 is #UD (VAES and
 *    VPCLMULQDQ are not advertised); VAESIMC/VAESKEYGENASSIST with vvvv
 *    other than 1111b are #UD; legacy m128 misaligned is #GP(0), VEX not;
 *    VEX without CR4.OSXSAVE is #UD; CR0.TS is #NM; VEX.128 zeroes bits
 *    255:128 of the destination, the legacy form keeps them; disassembly.
 * 3. Differential: every form (legacy and VEX.128, register and memory,
 *    random imm8, random vvvv for the NV rows, VEX.W either way, C4 with
 *    random REX-like bits) runs with random operands natively on the host
 *    CPU and on the interpreter at v3; YMM registers (the upper halves
 *    nonzero), RAX/RCX/RDX, flags, MXCSR, memory and the exception taken
 *    must agree. VEX.L = 1 is not run: the host has VAES/VPCLMULQDQ and
 *    executes it, the model has neither and raises #UD (checked in 2).
 *    Skipped (with a line) on a host without AES, PCLMULQDQ, AVX or OS
 *    support for YMM state.
 */
#include <stdio.h>

#include "cpuid_model.h"
#include "emu/decode.h"
#include "native_exec.h"
#include "unit.h"

#define NXF (NX_YMM | NX_ADDR)

static struct tvm t;

static void vm_fresh(unsigned level)
{
	nx_vm_fresh(&t, NXF);
	CHECK_EQ(emu_set_cpu_level(&t.vm, level), 0);
}

/* ---------------- FIPS-197 ---------------- */

static void hex16(const char *hex, uint8_t *b) { CHECK_EQ(unit_hex(hex, b), 16); }

/*
 * Run one instruction on xmm0 (first source and destination) and xmm1
 * (second source) at v3; returns xmm0. vex: the VEX.128 form with
 * vvvv = xmm0 (VEX.66.0F38/0F3A, C4 E2/E3 79), else the legacy form.
 */
static void op(bool vex, unsigned map, uint8_t opc, int imm, const uint8_t *a, const uint8_t *b, uint8_t *out)
{
	uint8_t code[16];
	size_t n = 0;
	if (vex) {
		code[n++] = 0xc4;
		code[n++] = (uint8_t)(0xe0 | map);
		code[n++] = 0x79;
	} else {
		code[n++] = 0x66;
		code[n++] = 0x0f;
		code[n++] = map == 2 ? 0x38 : 0x3a;
	}
	code[n++] = opc;
	code[n++] = 0xc1; /* xmm0, xmm1 */
	if (imm >= 0)
		code[n++] = (uint8_t)imm;
	code[n++] = 0xf4;
	vm_fresh(RAX_CPU_V3);
	tv_code(&t, code, n);
	memcpy(t.s.fpu.xmm[0], a, 16);
	memcpy(t.s.fpu.xmm[1], b, 16);
	memset(t.s.fpu.ymmh[0], 0xa5, 16);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.rip, TV_CODE + n);
	memcpy(out, t.s.fpu.xmm[0], 16);
	static const uint8_t zero[16], a5[16] = { 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
						  0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5 };
	CHECK(!memcmp(t.s.fpu.ymmh[0], vex ? zero : a5, 16));
}

/* AES-128 key expansion with AESKEYGENASSIST: rk[i + 1] from rk[i] */
static void expand128(bool vex, const uint8_t *key, uint8_t rk[11][16])
{
	static const uint8_t rcon[10] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36 };
	memcpy(rk[0], key, 16);
	for (unsigned i = 0; i < 10; i++) {
		uint8_t ka[16], zero[16] = { 0 };
		/* dst dword 3 = RotWord(SubWord(w[4i+3])) ^ Rcon */
		op(vex, 3, 0xdf, rcon[i], zero, rk[i], ka);
		uint32_t w[4], tmp;
		memcpy(w, rk[i], 16);
		memcpy(&tmp, ka + 12, 4);
		w[0] ^= tmp;
		w[1] ^= w[0];
		w[2] ^= w[1];
		w[3] ^= w[2];
		memcpy(rk[i + 1], w, 16);
	}
}

static void encrypt128(bool vex, uint8_t rk[11][16], const uint8_t *in, uint8_t *out)
{
	uint8_t s[16];
	for (unsigned i = 0; i < 16; i++)
		s[i] = in[i] ^ rk[0][i];
	for (unsigned r = 1; r < 10; r++)
		op(vex, 2, 0xdc, -1, s, rk[r], s);
	op(vex, 2, 0xdd, -1, s, rk[10], out);
}

/* the equivalent inverse cipher (FIPS-197 5.3.5): AESIMC of round keys 1-9 */
static void decrypt128(bool vex, uint8_t rk[11][16], const uint8_t *in, uint8_t *out)
{
	uint8_t s[16], dk[16], zero[16] = { 0 };
	for (unsigned i = 0; i < 16; i++)
		s[i] = in[i] ^ rk[10][i];
	for (unsigned r = 9; r >= 1; r--) {
		op(vex, 2, 0xdb, -1, zero, rk[r], dk);
		op(vex, 2, 0xde, -1, s, dk, s);
	}
	op(vex, 2, 0xdf, -1, s, rk[0], out);
}

static void test_fips197(void)
{
	for (int vex = 0; vex < 2; vex++) {
		uint8_t key[16], pt[16], ct[16], x[16], y[16], rk[11][16];
		/* A.1: cipher key 2b7e1516 28aed2a6 abf71588 09cf4f3c */
		hex16("2b 7e 15 16 28 ae d2 a6 ab f7 15 88 09 cf 4f 3c", key);
		expand128(vex, key, rk);
		hex16("a0 fa fe 17 88 54 2c b1 23 a3 39 39 2a 6c 76 05", x); /* w4..w7 */
		CHECK(!memcmp(rk[1], x, 16));
		hex16("d0 14 f9 a8 c9 ee 25 89 e1 3f 0c c8 b6 63 0c a6", x); /* w40..w43 */
		CHECK(!memcmp(rk[10], x, 16));
		/* B: the cipher example */
		hex16("32 43 f6 a8 88 5a 30 8d 31 31 98 a2 e0 37 07 34", pt);
		hex16("39 25 84 1d 02 dc 09 fb dc 11 85 97 19 6a 0b 32", ct);
		encrypt128(vex, rk, pt, x);
		CHECK(!memcmp(x, ct, 16));
		decrypt128(vex, rk, ct, y);
		CHECK(!memcmp(y, pt, 16));
		/* C.1: AES-128 */
		hex16("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", key);
		hex16("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff", pt);
		hex16("69 c4 e0 d8 6a 7b 04 30 d8 cd b7 80 70 b4 c5 5a", ct);
		expand128(vex, key, rk);
		hex16("13 11 1d 7f e3 94 4a 17 f3 07 a7 8b 4d 2b 30 c5", x); /* round[10].k_sch */
		CHECK(!memcmp(rk[10], x, 16));
		encrypt128(vex, rk, pt, x);
		CHECK(!memcmp(x, ct, 16));
		decrypt128(vex, rk, ct, y);
		CHECK(!memcmp(y, pt, 16));
		/* C.1 round 1: start 00102030405060708090a0b0c0d0e0f0 ->
		 * round[2].start 89d810e8855ace682d1843d8cb128fe4 with round key 1 */
		hex16("00 10 20 30 40 50 60 70 80 90 a0 b0 c0 d0 e0 f0", x);
		op(vex, 2, 0xdc, -1, x, rk[1], y);
		hex16("89 d8 10 e8 85 5a ce 68 2d 18 43 d8 cb 12 8f e4", x);
		CHECK(!memcmp(y, x, 16));
		/* SubBytes alone: AESENCLAST of a zero state and key: S(0) = 0x63 */
		uint8_t zero[16] = { 0 };
		op(vex, 2, 0xdd, -1, zero, zero, y);
		for (unsigned i = 0; i < 16; i++)
			CHECK_EQ(y[i], 0x63);
		/* AESKEYGENASSIST layout: src dwords X0..X3, RCON in dwords 1 and 3 */
		hex16("00 00 00 00 53 00 00 00 00 00 00 00 01 02 03 04", x);
		op(vex, 3, 0xdf, 0xa5, zero, x, y);
		/* SubWord(X1) = ed 63 63 63; RotWord -> 63 63 63 ed ^ a5;
		 * SubWord(X3) = 7c 77 7b f2; RotWord -> 77 7b f2 7c ^ a5 */
		hex16("ed 63 63 63 c6 63 63 ed 7c 77 7b f2 d2 7b f2 7c", x);
		CHECK(!memcmp(y, x, 16));
	}

	/* PCLMULQDQ: known products, each imm8 selection */
	static const struct {
		uint64_t a[2], b[2];
		uint8_t imm;
		uint64_t lo, hi;
	} pc[] = {
		{ { 3, 0 }, { 3, 0 }, 0x00, 5, 0 },
		{ { 0, 7 }, { 3, 0 }, 0x01, 9, 0 },                     /* (x^2+x+1)(x+1) = x^3+1 */
		{ { 0x8000000000000000ull, 0 }, { 0, 2 }, 0x10, 0, 1 }, /* x^63 * x = x^64 */
		{ { 0, ~0ull }, { 0, ~0ull }, 0x11, 0x5555555555555555ull, 0x5555555555555555ull },
		{ { 0x1111, 0 }, { 0, 0 }, 0xee, 0, 0 },                    /* other imm8 bits ignored: 0x00 -> a0 b0 */
		{ { 0x87, 0x1 }, { 0x100000000ull, 0x10 }, 0xff, 0x10, 0 }, /* bits 0 and 4: a1 * b1 */
	};
	for (int vex = 0; vex < 2; vex++)
		for (unsigned i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
			uint64_t r[2];
			op(vex, 3, 0x44, pc[i].imm, (const uint8_t *)pc[i].a, (const uint8_t *)pc[i].b, (uint8_t *)r);
			CHECK_EQ(r[0], pc[i].lo);
			CHECK_EQ(r[1], pc[i].hi);
		}
}

/* ---------------- rules ---------------- */

static int dec_level(const char *hex, unsigned level, struct emu_insn *in)
{
	uint8_t b[16];
	size_t n = unit_hex(hex, b);
	return emu_decode_level(b, (unsigned)n, EMU_MODE_64, level, in);
}

/* run hex + HLT at v3 with the given CR0/CR4 changes; the vector or -1 */
static int run_hex(const char *hex, uint64_t cr0_set, uint64_t cr4_clear)
{
	uint8_t b[32];
	size_t n = unit_hex(hex, b);
	b[n++] = 0xf4;
	vm_fresh(RAX_CPU_V3);
	t.s.cr0 |= cr0_set;
	t.s.cr4 &= ~cr4_clear;
	t.s.gpr[RAX_REG_RBX] = TV_DATA;
	tv_code(&t, b, n);
	tv_run(&t);
	int v = tv_vector(&t);
	if (v < 0 && !(t.ex.kind == RAX_EXIT_HLT && t.s.rip == TV_CODE + n))
		v = 100;
	return v;
}

static void test_rules(void)
{
	struct emu_insn in;
	char b[80];
	/* every row: a legacy and a VEX form; none below v3 */
	static const char *const rows[] = {
		"66 0f 38 db c1",    "66 0f 38 dc c1",    "66 0f 38 dd c1",    "66 0f 38 de c1",
		"66 0f 38 df c1",    "66 0f 3a df c1 01", "66 0f 3a 44 c1 11", "c4 e2 79 db c1",
		"c4 e2 69 dc c1",    "c4 e2 69 dd c1",    "c4 e2 69 de c1",    "c4 e2 69 df c1",
		"c4 e3 79 df c1 01", "c4 e3 69 44 c1 11", "c4 e2 e9 dc c1",    "c4 c3 19 44 4b 10 00",
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK_EQ(dec_level(rows[i], RAX_CPU_V2, &in), EMU_DEC_UD);
		int d = dec_level(rows[i], RAX_CPU_V3, &in);
		if (d != EMU_DEC_OK)
			fprintf(stderr, "expected a v3 row: %s\n", rows[i]);
		CHECK_EQ(d, EMU_DEC_OK);
		CHECK_EQ(emu_row_level(emu_oprows[in.row].flags), RAX_CPU_V3);
	}
	/* not rows: no 66, F3/F2, VEX.L = 1 (VAES/VPCLMULQDQ), NV rows with vvvv != 1111b, VEX.pp != 66 */
	static const char *const none[] = {
		"0f 38 dc c1",    "f3 0f 38 dc c1",    "f2 0f 38 dc c1",    "0f 3a 44 c1 00", "f3 0f 3a df c1 00",
		"c4 e2 6d dc c1", "c4 e2 7d db c1",    "c4 e3 6d 44 c1 00", "c4 e2 71 db c1", "c4 e3 01 df c1 00",
		"c4 e2 68 dc c1", "c4 e3 6b 44 c1 00", "c4 e2 7d df c1",
	};
	for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		int d = dec_level(none[i], RAX_CPU_V3, &in);
		if (d != EMU_DEC_UD)
			fprintf(stderr, "expected #UD: %s\n", none[i]);
		CHECK_EQ(d, EMU_DEC_UD);
	}
	/* disassembly */
	static const struct {
		const char *hex, *text;
	} dis[] = {
		{ "66 0f 38 dc c1", "aesenc xmm0, xmm1" },
		{ "66 44 0f 38 df 43 10", "aesdeclast xmm8, xmmword [rbx+0x10]" },
		{ "66 0f 38 db ca", "aesimc xmm1, xmm2" },
		{ "66 0f 3a df c1 36", "aeskeygenassist xmm0, xmm1, 0x36" },
		{ "66 0f 3a 44 c1 11", "pclmulqdq xmm0, xmm1, 0x11" },
		{ "c4 e2 69 dc c1", "vaesenc xmm0, xmm2, xmm1" },
		{ "c4 42 09 dd c1", "vaesenclast xmm8, xmm14, xmm9" },
		{ "c4 e2 79 db 03", "vaesimc xmm0, xmmword [rbx]" },
		{ "c4 e3 79 df c1 01", "vaeskeygenassist xmm0, xmm1, 0x1" },
		{ "c4 c3 19 44 4b 10 00", "vpclmulqdq xmm1, xmm12, xmmword [r11+0x10], 0x0" },
	};
	for (unsigned i = 0; i < sizeof(dis) / sizeof(dis[0]); i++) {
		CHECK_EQ(dec_level(dis[i].hex, RAX_CPU_V3, &in), EMU_DEC_OK);
		emu_disasm(&in, b, sizeof(b));
		if (strcmp(b, dis[i].text))
			fprintf(stderr, "disasm %s: \"%s\", expected \"%s\"\n", dis[i].hex, b, dis[i].text);
		CHECK(!strcmp(b, dis[i].text));
	}

	/* faults: [rbx] is TV_DATA (aligned), [rbx+1] misaligned */
	CHECK_EQ(run_hex("66 0f 38 dc 03", 0, 0), V_NONE);
	CHECK_EQ(run_hex("66 0f 38 dc 43 01", 0, 0), V_GP);
	CHECK_EQ(run_hex("66 0f 3a 44 43 01 00", 0, 0), V_GP);
	CHECK_EQ(run_hex("66 0f 3a df 43 08 00", 0, 0), V_GP);
	CHECK_EQ(run_hex("66 0f 38 db 43 04", 0, 0), V_GP);
	CHECK_EQ(run_hex("c4 e2 79 dc 43 01", 0, 0), V_NONE); /* VEX: no alignment rule */
	CHECK_EQ(run_hex("c4 e3 79 44 43 01 00", 0, 0), V_NONE);
	CHECK_EQ(run_hex("c4 e2 79 db 43 0f", 0, 0), V_NONE);
	CHECK_EQ(run_hex("c4 e2 7d dc c1", 0, 0), V_UD);             /* VEX.256: VAES not advertised */
	CHECK_EQ(run_hex("c4 e2 71 db c1", 0, 0), V_UD);             /* VAESIMC vvvv = xmm1 */
	CHECK_EQ(run_hex("c4 e2 79 dc c1", 0, CR4_OSXSAVE), V_UD);   /* VEX needs CR4.OSXSAVE */
	CHECK_EQ(run_hex("66 0f 38 dc c1", 0, CR4_OSXSAVE), V_NONE); /* legacy does not */
	CHECK_EQ(run_hex("66 0f 38 dc c1", 0, CR4_OSFXSR), V_UD);
	CHECK_EQ(run_hex("66 0f 38 dc c1", CR0_EM, 0), V_UD);
	CHECK_EQ(run_hex("66 0f 38 dc c1", CR0_TS, 0), V_NM);
	CHECK_EQ(run_hex("c4 e3 79 44 c1 00", CR0_TS, 0), V_NM);
	CHECK_EQ(run_hex("c4 e3 79 44 c1 00", CR0_EM, CR4_OSFXSR), V_NONE); /* AVX ignores EM/OSFXSR */
	/* a fault leaves the destination alone */
	vm_fresh(RAX_CPU_V3);
	static const uint8_t gp[] = { 0x66, 0x0f, 0x38, 0xdc, 0x43, 0x01, 0xf4 };
	memset(t.s.fpu.xmm[0], 0x5a, 16);
	t.s.gpr[RAX_REG_RBX] = TV_DATA;
	tv_code(&t, gp, sizeof(gp));
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), V_GP);
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(t.s.fpu.xmm[0][i], 0x5a);
}

/* ---------------- differential ---------------- */

static int emu_exec(const uint8_t *code, size_t n, struct nx_state *s, uint8_t *mem)
{
	vm_fresh(RAX_CPU_V3);
	return nx_emu_exec(&t, code, n, s, mem, NXF);
}

/* ---------------- random operands ---------------- */

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void) { return nx_xorshift(&rng); }
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* quadwords: random, sparse (few bits: carry-less products are easy to
 * misplace by a bit), all-ones, zero, a single bit */
static uint64_t rnd_q(void)
{
	switch (rn(6)) {
	case 0: return rnd() & rnd() & rnd();
	case 1: return rn(2) ? ~0ull : 0;
	case 2: return 1ull << rn(64);
	case 3: return rnd() >> rn(64);
	default: return rnd();
	}
}

static void rnd_state(struct nx_state *s, uint8_t *mem)
{
	memset(s, 0, sizeof(*s));
	for (unsigned r = 0; r < 16; r++)
		for (unsigned i = 0; i < 4; i++) {
			uint64_t q = rnd_q();
			if (i >= 2 && !q)
				q = rnd() | 1; /* upper halves nonzero: VEX.128 must zero them */
			memcpy(&s->ymm[r][8 * i], &q, 8);
		}
	for (unsigned i = 0; i < 3; i++)
		s->gpr[i] = rnd();
	for (unsigned i = 0; i < 512; i += 8) {
		uint64_t q = rnd_q();
		memcpy(mem + i, &q, 8);
	}
	s->mxcsr = 0x1f80 | (rn(4) << 13) | (rn(4) == 0 ? 0x8040 : 0) | ((uint32_t)rnd() & 0x3f);
	s->rflags = 0x202 | (rnd() & 0x8d5);
}

/* ---------------- templates ---------------- */

#define F_IMM 1u /* imm8 follows */
#define F_NV 2u  /* VEX form: vvvv must be 1111b (random vvvv tests the #UD) */

struct tpl {
	const char *name;
	uint8_t map; /* 2: 0F 38, 3: 0F 3A */
	uint8_t op;
	uint8_t fl;
};

static const struct tpl tpls[] = {
	{ "aesimc", 2, 0xdb, F_NV },     { "aesenc", 2, 0xdc, 0 },     { "aesenclast", 2, 0xdd, 0 },
	{ "aesdec", 2, 0xde, 0 },        { "aesdeclast", 2, 0xdf, 0 }, { "aeskeygenassist", 3, 0xdf, F_IMM | F_NV },
	{ "pclmulqdq", 3, 0x44, F_IMM },
};

/* One random encoding of tp: legacy (66, sometimes REX) or VEX.128 (C4;
 * random W; vvvv random, or 1111b most of the time for NV rows). */
static size_t encode(const struct tpl *tp, bool vex, uint8_t *b)
{
	size_t n = 0;
	unsigned reg = rn(16), rm = rn(16);
	bool m = rn(2);
	if (vex) {
		unsigned vvvv = (tp->fl & F_NV) && rn(4) ? 0 : rn(16);
		b[n++] = 0xc4;
		b[n++] = (uint8_t)(((reg & 8) ? 0 : 0x80) | 0x40 | ((!m && (rm & 8)) ? 0 : 0x20) | tp->map);
		b[n++] = (uint8_t)((rn(2) ? 0x80 : 0) | ((~vvvv & 15) << 3) | 1); /* L = 0, pp = 66 */
	} else {
		b[n++] = 0x66;
		uint8_t rex = (uint8_t)(0x40 | (rn(4) == 0 ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((!m && (rm & 8)) ? 1 : 0));
		if (rex != 0x40 || rn(8) == 0)
			b[n++] = rex;
		b[n++] = 0x0f;
		b[n++] = tp->map == 2 ? 0x38 : 0x3a;
	}
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

/* AES (CPUID.1:ECX[25]), PCLMULQDQ ([1]), AVX ([28]) and OSXSAVE ([27])
 * with XCR0 enabling SSE and AVX state */
static bool host_has_aes_avx(void) { return nx_host_avx((1u << 1) | (1u << 25)); }

static void test_differential(unsigned per_form)
{
	if (!host_has_aes_avx()) {
		printf("differential: skipped: the host lacks AES, PCLMULQDQ, AVX or OS support for YMM state\n");
		return;
	}
	nx_init(NXF);
	unsigned ntpl = sizeof(tpls) / sizeof(tpls[0]), bad_forms = 0, prints = 0;
	struct nx_tally n = { 0 };
	for (unsigned k = 0; k < 2 * ntpl; k++) {
		const struct tpl *tp = &tpls[k / 2];
		bool vex = k & 1;
		unsigned fails = 0;
		for (unsigned it = 0; it < per_form; it++) {
			struct nx_case c;
			c.n = encode(tp, vex, c.code);
			rnd_state(&c.s0, c.m0);
			bool ok = nx_case_run(&c, emu_exec, 0x8d5, NXF);
			nx_tally_add(&n, c.nv);
			if (!ok) {
				fails++;
				char name[32];
				snprintf(name, sizeof(name), "%s%s", vex ? "v" : "", tp->name);
				if (prints++ < 40)
					nx_report("differential", name, c.code, c.n, -1, c.why);
			}
		}
		CHECK_EQ(fails, 0);
		bad_forms += fails != 0;
	}
	nx_fini();
	printf("differential: %u forms x %u cases (host: %u completed, %u #GP, %u #UD), "
	       "%u forms disagree with the host\n",
	       2 * ntpl, per_form, n.clean, n.gp, n.ud, bad_forms);
	CHECK(n.clean > 0 && n.gp > 0 && n.ud > 0);
}

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : unit_cases(1000);
	tv_init(&t);
	test_fips197();
	test_rules();
	test_differential(per);
	tv_free(&t);
	return unit_finish("test_emu_aes");
}
