/*
 * test_emu_fpu.c - x87 control instructions, FXSAVE/FXRSTOR, LDMXCSR/STMXCSR,
 * the SSE moves and integer operations, their #NM/#UD/#GP rules, and the
 * mandatory-prefix / ModRM-form rows of the opcode table.
 */
#include <stdio.h>

#include "emu/decode.h"
#include "test_emu_util.h"
#include "unit.h"

static struct tvm t;

static size_t code_len;

/* Fresh VM with code + HLT at TV_CODE and CR4.OSFXSR set; t.s may be edited before go(). */
static void prep(const char *hex)
{
	uint8_t b[512];
	size_t n = unit_hex(hex, b);
	b[n++] = 0xf4;
	tv_free(&t);
	tv_init(&t);
	tv_code(&t, b, n);
	code_len = n;
	t.s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	for (unsigned i = 0; i < 0x100; i++)
		tv_ptr(&t, TV_DATA)[i] = (uint8_t)(i * 7 + 1);
	tv_ptr(&t, TV_DATA)[3] = 0;
	tv_ptr(&t, TV_DATA)[9] = 0;
}

/* Run to the HLT; returns the exception vector taken, or -1 for a clean end. */
static int go(void)
{
	enum rax_exit_kind k = tv_run(&t);
	if (k == RAX_EXIT_HLT && t.s.rip == TV_CODE + code_len)
		return -1;
	int v = tv_vector(&t);
	if (v < 0)
		fprintf(stderr, "go: exit %d at rip 0x%llx (%s)\n", k, (unsigned long long)t.s.rip, t.ex.detail);
	return v;
}

static int run(const char *hex)
{
	prep(hex);
	return go();
}

static uint64_t m64(uint64_t off) { return tv_r64(&t, TV_DATA + off); }
static uint16_t m16(uint64_t off)
{
	uint16_t v;
	memcpy(&v, tv_ptr(&t, TV_DATA + off), 2);
	return v;
}
static uint32_t m32(uint64_t off)
{
	uint32_t v;
	memcpy(&v, tv_ptr(&t, TV_DATA + off), 4);
	return v;
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

static const char *mnem(const char *hex, char *buf, size_t n)
{
	uint8_t b[16];
	size_t len = unit_hex(hex, b);
	struct emu_insn in;
	if (emu_decode(b, (unsigned)len, &in) != EMU_DEC_OK)
		return "(ud)";
	return emu_mnemonic(&in, buf, n);
}

enum { V_UD = 6, V_NM = 7, V_GP = 13 };

static void test_decode(void)
{
	char b[32];
	CHECK(!strcmp(mnem("db e3", b, sizeof(b)), "fninit"));
	CHECK(!strcmp(mnem("db e2", b, sizeof(b)), "fnclex"));
	CHECK(!strcmp(mnem("db 00", b, sizeof(b)), "fild"));
	CHECK(!strcmp(mnem("d9 38", b, sizeof(b)), "fnstcw"));
	CHECK(!strcmp(mnem("d9 ff", b, sizeof(b)), "fcos")); /* same reg as FNSTCW, register form */
	CHECK(!strcmp(mnem("df e0", b, sizeof(b)), "fnstsw"));
	CHECK(!strcmp(mnem("0f ae 00", b, sizeof(b)), "fxsave"));
	CHECK(!strcmp(mnem("48 0f ae 08", b, sizeof(b)), "fxrstor64"));
	CHECK(!strcmp(mnem("0f ae c0", b, sizeof(b)), "(ud)")); /* RDFSBASE needs F3 + FSGSBASE */
	CHECK(!strcmp(mnem("66 0f 6f 00", b, sizeof(b)), "movdqa"));
	CHECK(!strcmp(mnem("f3 0f 6f 00", b, sizeof(b)), "movdqu"));
	CHECK(!strcmp(mnem("66 f3 0f 6f 00", b, sizeof(b)), "movdqu")); /* F3 wins over 66 */
	CHECK(!strcmp(mnem("0f 57 c0", b, sizeof(b)), "xorps"));
	CHECK(!strcmp(mnem("66 0f 57 c0", b, sizeof(b)), "xorpd"));
	CHECK(!strcmp(mnem("66 48 0f 7e c0", b, sizeof(b)), "movq"));
	CHECK(!strcmp(mnem("66 0f 7e c0", b, sizeof(b)), "movd"));
	CHECK(!strcmp(mnem("66 0f d7 c0", b, sizeof(b)), "pmovmskb"));
	/* disassembly of an XMM form */
	uint8_t code[] = { 0x66, 0x0f, 0x6f, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00 };
	struct emu_insn in;
	char dis[96];
	CHECK(emu_decode(code, sizeof(code), &in) == EMU_DEC_OK);
	emu_disasm(&in, dis, sizeof(dis));
	CHECK(!strcmp(dis, "movdqa xmm0, xmmword [0x400000]"));
	if (strcmp(dis, "movdqa xmm0, xmmword [0x400000]"))
		fprintf(stderr, "disasm: %s\n", dis);
}

static void test_x87_control(void)
{
	/* mov word [D], 0x027f; fldcw [D]; fnstcw [D+2]; fninit; fnstcw [D+6];
	 * mov rax, -1; fnstsw ax; fnstsw [D+8] */
	prep("66 c7 04 25 00 00 40 00 7f 02  d9 2c 25 00 00 40 00  d9 3c 25 02 00 40 00"
	     " db e3  d9 3c 25 06 00 40 00  48 c7 c0 ff ff ff ff  df e0  dd 3c 25 08 00 40 00");
	t.s.fpu.fsw = 0x3801; /* TOP=7, IE */
	t.s.fpu.ftw = 0x80;
	t.s.fpu.fip = 0x1234;
	CHECK_EQ(go(), -1);
	CHECK_EQ(m16(2), 0x027f);
	CHECK_EQ(m16(6), 0x037f);
	CHECK_EQ(m16(8), 0x0000);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0xffffffffffff0000ull);
	CHECK_EQ(t.s.fpu.fcw, 0x037f);
	CHECK_EQ(t.s.fpu.fsw, 0);
	CHECK_EQ(t.s.fpu.ftw, 0);
	CHECK_EQ(t.s.fpu.fip, 0);

	/* reserved control-word bits as Zen keeps them: 6 set, 7 and 13-15 clear */
	static const uint16_t fcw_in[] = { 0x2c6d, 0x033f, 0xffff, 0x0000, 0x1000, 0x0080 };
	static const uint16_t fcw_out[] = { 0x0c6d, 0x037f, 0x1f7f, 0x0040, 0x1040, 0x0040 };
	for (unsigned i = 0; i < 6; i++) {
		prep("d9 2c 25 00 00 40 00  d9 3c 25 02 00 40 00"); /* fldcw [D]; fnstcw [D+2] */
		memcpy(tv_ptr(&t, TV_DATA), &fcw_in[i], 2);
		CHECK_EQ(go(), -1);
		CHECK_EQ(m16(2), fcw_out[i]);
	}

	/* FLDCW unmasking a pending exception sets ES and B; FNCLEX clears them */
	prep("66 c7 04 25 00 00 40 00 7e 03  d9 2c 25 00 00 40 00  df e0  db e2  dd 3c 25 10 00 40 00");
	t.s.fpu.fsw = 0x0001; /* IE pending */
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX] & 0xffff, 0x8081);
	CHECK_EQ(m16(0x10), 0);

	/* #NM: CR0.TS or CR0.EM on x87 instructions */
	prep("db e3");
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(go(), V_NM);
	prep("d9 3c 25 00 00 40 00");
	t.s.cr0 |= CR0_EM;
	CHECK_EQ(go(), V_NM);
	/* FWAIT faults only with TS and MP */
	prep("9b");
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(go(), -1);
	prep("9b");
	t.s.cr0 |= CR0_TS | CR0_MP;
	CHECK_EQ(go(), V_NM);
	/* DF E1-E7 and DB E5-E7 are invalid */
	CHECK_EQ(run("df e1"), V_UD);
	CHECK_EQ(run("db e5"), V_UD);
	/* EMMS empties the tag word; #NM with TS, #UD with EM; 66 0F 77 is invalid */
	prep("0f 77");
	t.s.fpu.ftw = 0xff;
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.ftw, 0);
	prep("0f 77");
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(go(), V_NM);
	prep("0f 77");
	t.s.cr0 |= CR0_EM;
	CHECK_EQ(go(), V_UD);
	CHECK_EQ(run("66 0f 77"), V_UD);
}

/* A state with an exception pending (IE unmasked and set: ES, B). */
static void fill_fpu(void)
{
	t.s.fpu.fcw = 0x027e;
	t.s.fpu.fsw = 0xb881;
	t.s.fpu.ftw = 0x81;
	t.s.fpu.fop = 0x05d9;
	t.s.fpu.fip = 0x1122334455667788ull;
	t.s.fpu.fdp = 0x99aabbccddeeff00ull;
	t.s.fpu.mxcsr = 0x1fa0;
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < 16; j++)
			t.s.fpu.st[i][j] = j < 10 ? (uint8_t)(0x10 * i + j + 1) : 0;
	for (unsigned i = 0; i < 16; i++)
		set_xmm(i, 0x0101010101010101ull * i, ~(0x0101010101010101ull * i));
}

static void test_fxsave(void)
{
	/* fxsave [D]; fxsave64 [D+0x200] */
	prep("0f ae 04 25 00 00 40 00  48 0f ae 04 25 00 02 40 00");
	memset(tv_ptr(&t, TV_DATA), 0xcc, 0x400);
	fill_fpu();
	CHECK_EQ(go(), -1);
	for (unsigned base = 0; base <= 0x200; base += 0x200) {
		CHECK_EQ(m16(base + 0), 0x027e);
		CHECK_EQ(m16(base + 2), 0xb881);
		CHECK_EQ(tv_ptr(&t, TV_DATA + base)[4], 0x81);
		CHECK_EQ(tv_ptr(&t, TV_DATA + base)[5], 0);
		CHECK_EQ(m16(base + 6), 0x05d9);
		CHECK_EQ(m32(base + 24), 0x1fa0);
		CHECK_EQ(m32(base + 28), 0x2ffff); /* MXCSR_MASK, as AMD Zen (MM) */
		for (unsigned i = 0; i < 8; i++) {
			CHECK_EQ(tv_ptr(&t, TV_DATA + base + 32 + 16 * i)[0], 0x10 * i + 1);
			CHECK_EQ(tv_ptr(&t, TV_DATA + base + 32 + 16 * i)[9], 0x10 * i + 10);
			CHECK_EQ(m16(base + 32 + 16 * i + 10), 0); /* reserved bytes written as 0 */
		}
		for (unsigned i = 0; i < 16; i++) {
			CHECK_EQ(m64(base + 160 + 16 * i), 0x0101010101010101ull * i);
			CHECK_EQ(m64(base + 168 + 16 * i), ~(0x0101010101010101ull * i));
		}
		CHECK_EQ(m64(base + 416), 0xccccccccccccccccull); /* 416-511 untouched */
		CHECK_EQ(m64(base + 504), 0xccccccccccccccccull);
	}
	/* legacy form: 32-bit FIP/FDP with the CS and DS selectors; REX.W: 64-bit */
	CHECK_EQ(m64(8), 0x55667788ull | (uint64_t)SEL_KCODE << 32);
	CHECK_EQ(m64(16), 0xddeeff00ull | (uint64_t)SEL_KDATA << 32);
	CHECK_EQ(m64(0x208), 0x1122334455667788ull);
	CHECK_EQ(m64(0x210), 0x99aabbccddeeff00ull);

	/* AMD: no exception pending, no error pointers (FOP, FIP, FDP are 0) */
	prep("48 0f ae 04 25 00 00 40 00");
	memset(tv_ptr(&t, TV_DATA), 0xcc, 0x200);
	fill_fpu();
	t.s.fpu.fcw = 0x037f;
	t.s.fpu.fsw = 0x3801; /* IE set but masked */
	CHECK_EQ(go(), -1);
	CHECK_EQ(m16(2), 0x3801);
	CHECK_EQ(m16(6), 0);
	CHECK_EQ(m64(8), 0);
	CHECK_EQ(m64(16), 0);
	/* FXRSTOR loads the pointers whatever ES is, and recomputes ES and B */
	prep("48 0f ae 0c 25 00 00 40 00");
	memset(tv_ptr(&t, TV_DATA), 0, 0x200);
	memcpy(tv_ptr(&t, TV_DATA + 0), &(uint16_t){ 0x037f }, 2);
	memcpy(tv_ptr(&t, TV_DATA + 2), &(uint16_t){ 0x3881 }, 2); /* ES without an unmasked flag */
	memcpy(tv_ptr(&t, TV_DATA + 6), &(uint16_t){ 0x0123 }, 2);
	tv_w64(&t, TV_DATA + 8, 0x1122334455667788ull);
	tv_w64(&t, TV_DATA + 16, 0x99aabbccddeeff00ull);
	memcpy(tv_ptr(&t, TV_DATA + 24), &(uint32_t){ 0x1f80 }, 4);
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fsw, 0x3801);
	CHECK_EQ(t.s.fpu.fop, 0x123);
	CHECK_EQ(t.s.fpu.fip, 0x1122334455667788ull);
	CHECK_EQ(t.s.fpu.fdp, 0x99aabbccddeeff00ull);

	/* round trip: fxsave64 [D]; fninit; pxor xmm3, xmm3; ldmxcsr [D+0x300]
	 * (0x1f80); fxrstor64 [D] */
	prep("48 0f ae 04 25 00 00 40 00  db e3  66 0f ef db  0f ae 14 25 00 03 40 00"
	     " 48 0f ae 0c 25 00 00 40 00");
	fill_fpu();
	struct rax_fpu_state want = t.s.fpu;
	memcpy(tv_ptr(&t, TV_DATA + 0x300), &(uint32_t){ 0x1f80 }, 4);
	CHECK_EQ(go(), -1);
	CHECK(!memcmp(&t.s.fpu, &want, sizeof(want)));

	/* alignment, #NM, bad MXCSR in the image */
	CHECK_EQ(run("0f ae 04 25 08 00 40 00"), V_GP);
	CHECK_EQ(run("0f ae 0c 25 08 00 40 00"), V_GP);
	prep("0f ae 04 25 00 00 40 00");
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(go(), V_NM);
	prep("0f ae 0c 25 00 00 40 00");
	t.s.cr0 |= CR0_EM;
	CHECK_EQ(go(), V_NM);
	prep("0f ae 0c 25 00 00 40 00");
	memset(tv_ptr(&t, TV_DATA), 0, 512);
	memcpy(tv_ptr(&t, TV_DATA + 24), &(uint32_t){ 0x10000 }, 4);
	CHECK_EQ(go(), V_GP);
	/* CR4.OSFXSR=0: XMM registers neither saved nor restored */
	prep("0f ae 04 25 00 00 40 00");
	t.s.cr4 &= ~(uint64_t)CR4_OSFXSR;
	memset(tv_ptr(&t, TV_DATA), 0xcc, 512);
	fill_fpu();
	CHECK_EQ(go(), -1);
	CHECK_EQ(m16(0), 0x027e);
	CHECK_EQ(m64(160), 0xccccccccccccccccull);
}

static void test_mxcsr(void)
{
	/* ldmxcsr [D]; stmxcsr [D+4] */
	prep("0f ae 14 25 00 00 40 00  0f ae 1c 25 04 00 40 00");
	memcpy(tv_ptr(&t, TV_DATA), &(uint32_t){ 0xffc0 }, 4); /* DAZ, FZ, RC, all masks */
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.mxcsr, 0xffc0);
	CHECK_EQ(m32(4), 0xffc0);
	/* reserved bit: #GP(0) and MXCSR unchanged */
	prep("0f ae 14 25 00 00 40 00");
	memcpy(tv_ptr(&t, TV_DATA), &(uint32_t){ 0x41f80 }, 4);
	CHECK_EQ(go(), V_GP);
	CHECK_EQ(t.s.fpu.mxcsr, 0x1f80);
	CHECK_EQ(tv_r64(&t, TV_STACK - 48), 0); /* error code 0 */
	/* #UD without CR4.OSFXSR or with CR0.EM; #NM with CR0.TS */
	prep("0f ae 1c 25 04 00 40 00");
	t.s.cr4 &= ~(uint64_t)CR4_OSFXSR;
	CHECK_EQ(go(), V_UD);
	prep("0f ae 1c 25 04 00 40 00");
	t.s.cr0 |= CR0_EM;
	CHECK_EQ(go(), V_UD);
	prep("0f ae 1c 25 04 00 40 00");
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(go(), V_NM);
}

static void test_sse(void)
{
	/* movdqa xmm0, [D]; movdqu [D+0x11], xmm0; movdqu xmm1, [D+0x11];
	 * pxor xmm2, xmm2; pcmpeqb xmm2, xmm0; pmovmskb eax, xmm2;
	 * movq rcx, xmm0; movd xmm3, eax; movq xmm4, [D+8]; movq [D+0x30], xmm0;
	 * movq xmm5, xmm1 (F3 0F 7E reg); movd edx, xmm1 */
	prep("66 0f 6f 04 25 00 00 40 00  f3 0f 7f 04 25 11 00 40 00  f3 0f 6f 0c 25 11 00 40 00"
	     " 66 0f ef d2  66 0f 74 d0  66 0f d7 c2  66 48 0f 7e c1  66 0f 6e d8"
	     " f3 0f 7e 24 25 08 00 40 00  66 0f d6 04 25 30 00 40 00  f3 0f 7e e9  66 0f 7e ca");
	set_xmm(3, ~0ull, ~0ull);
	set_xmm(4, ~0ull, ~0ull);
	set_xmm(5, ~0ull, ~0ull);
	t.s.gpr[RAX_REG_RDX] = ~0ull;
	uint64_t d0 = m64(0), d1 = m64(8);
	CHECK_EQ(go(), -1);
	CHECK_EQ(xq(0, 0), d0);
	CHECK_EQ(xq(0, 1), d1);
	CHECK_EQ(m64(0x11), d0);
	CHECK_EQ(m64(0x19), d1);
	CHECK_EQ(xq(1, 0), d0);
	CHECK_EQ(xq(1, 1), d1);
	CHECK_EQ(xq(2, 0), 0xff000000ull); /* bytes 3 and 9 of the data are zero */
	CHECK_EQ(xq(2, 1), 0xff00ull);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], (1u << 3) | (1u << 9));
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], d0);
	CHECK_EQ(xq(3, 0), (1u << 3) | (1u << 9));
	CHECK_EQ(xq(3, 1), 0);
	CHECK_EQ(xq(4, 0), d1);
	CHECK_EQ(xq(4, 1), 0);
	CHECK_EQ(m64(0x30), d0);
	CHECK_EQ(xq(5, 0), d0);
	CHECK_EQ(xq(5, 1), 0);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX], d0 & 0xffffffff);

	/* movups xmm5, [D+1]; movaps [D+0x40], xmm5; movntdq [D+0x50], xmm5;
	 * xorps xmm5, [D+0x40]; movapd xmm6, xmm5; xorpd xmm6, xmm6; movupd [D+0x61], xmm6 */
	prep("0f 10 2c 25 01 00 40 00  0f 29 2c 25 40 00 40 00  66 0f e7 2c 25 50 00 40 00"
	     " 0f 57 2c 25 40 00 40 00  66 0f 28 f5  66 0f 57 f6  66 0f 11 34 25 61 00 40 00");
	uint64_t u0 = m64(1), u1 = m64(9);
	CHECK_EQ(go(), -1);
	CHECK_EQ(m64(0x40), u0);
	CHECK_EQ(m64(0x48), u1);
	CHECK_EQ(m64(0x50), u0);
	CHECK_EQ(m64(0x58), u1);
	CHECK_EQ(xq(5, 0), 0);
	CHECK_EQ(xq(5, 1), 0);
	CHECK_EQ(m64(0x61), 0);
	CHECK_EQ(m64(0x69), 0);

	/* aligned forms: #GP(0) on a misaligned operand, nothing written */
	CHECK_EQ(run("66 0f 6f 04 25 01 00 40 00"), V_GP);
	CHECK_EQ(run("0f 29 04 25 08 00 40 00"), V_GP);
	CHECK_EQ(run("66 0f ef 04 25 04 00 40 00"), V_GP);
	/* a 16-byte store across a page boundary into an unmapped page faults as a whole */
	prep("f3 0f 7f 04 25 f8 ff 7f 00");
	tv_w64(&t, TV_PD + 4 * 8, 0); /* unmap 0x800000-0x9fffff */
	memset(tv_ptr(&t, 0x7ffff8), 0xab, 8);
	CHECK_EQ(go(), 14);
	CHECK_EQ(tv_r64(&t, 0x7ffff8), 0xababababababababull);
	/* availability */
	prep("66 0f ef c0");
	t.s.cr4 &= ~(uint64_t)CR4_OSFXSR;
	CHECK_EQ(go(), V_UD);
	prep("66 0f ef c0");
	t.s.cr0 |= CR0_EM;
	CHECK_EQ(go(), V_UD);
	prep("66 0f ef c0");
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(go(), V_NM);
}

int main(void)
{
	tv_init(&t);
	test_decode();
	test_x87_control();
	test_fxsave();
	test_mxcsr();
	test_sse();
	tv_free(&t);
	return unit_finish("test_emu_fpu");
}
