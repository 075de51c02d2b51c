/*
 * test_emu_xsave.c - the XSAVE feature set of the interpreter
 * (src/emu/insn/xsave.c) where it follows the measured AMD Zen CPU rather
 * than rules every CPU shares (asm/t_xsave.asm checks those on both
 * backends):
 * - XINUSE from the state's values: XSAVE/XSAVEOPT/XSAVEC/XGETBV(1) see a
 *   component back in its initial state as not in use; MXCSR != 1F80 makes
 *   SSE in use;
 * - which bytes each save form writes (XSAVEOPT skips unused components but
 *   writes MXCSR; XSAVEC writes bytes 512-527 of the header and MXCSR only
 *   with the SSE component);
 * - the level gating: below v2 the rows do not exist (#UD) and CR4.OSXSAVE
 *   cannot be set;
 * - outside 64-bit mode only XMM0-7 and YMM0-7 are saved and loaded;
 * - decoding and disassembly of the new rows.
 */
#include <stdio.h>

#include "cpuid_model.h"
#include "emu/decode.h"
#include "test_emu_util.h"
#include "unit.h"

enum { V_UD = 6, V_NM = 7, V_GP = 13 };
static struct tvm t;

#define AREA (TV_DATA)
#define AREA_INIT (TV_DATA + 0x1000)

static void fresh(unsigned level)
{
	tv_free(&t);
	tv_init(&t);
	CHECK_EQ(emu_set_cpu_level(&t.vm, level), 0);
	t.s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | (level >= RAX_CPU_V2 ? CR4_OSXSAVE : 0);
	t.s.xcr0 = 7;
	memset(tv_ptr(&t, AREA), 0xaa, 0x1000);
	memset(tv_ptr(&t, AREA_INIT), 0, 0x1000);
	tv_ptr(&t, AREA_INIT)[24] = 0x80;
	tv_ptr(&t, AREA_INIT)[25] = 0x1f;
}

/* Run code (HLT appended) with EDX:EAX = mask, RBX = AREA, RSI = AREA_INIT. */
static int run(const char *hex, uint64_t mask)
{
	uint8_t b[64];
	size_t n = unit_hex(hex, b);
	b[n++] = 0xf4;
	t.s.rip = TV_CODE;
	tv_code(&t, b, n);
	t.s.gpr[RAX_REG_RAX] = (uint32_t)mask;
	t.s.gpr[RAX_REG_RDX] = mask >> 32;
	t.s.gpr[RAX_REG_RBX] = AREA;
	t.s.gpr[RAX_REG_RSI] = AREA_INIT;
	tv_run(&t);
	return tv_vector(&t);
}

/* Bytes of AREA written (not 0xaa) in [from, to). */
static unsigned written(unsigned from, unsigned to)
{
	unsigned n = 0;
	for (unsigned i = from; i < to; i++)
		n += tv_ptr(&t, AREA)[i] != 0xaa;
	return n;
}

static void test_xinuse(void)
{
	/* all initial: XSAVE writes everything requested, XSTATE_BV bits 0 */
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("48 0f ae 2e 48 0f ae 23", 7), -1); /* xrstor64 [rsi]; xsave64 [rbx] */
	CHECK_EQ(tv_r64(&t, AREA + 512) & 7, 0);
	CHECK_EQ(tv_r64(&t, AREA + 520), 0xaaaaaaaaaaaaaaaaull); /* XCOMP_BV untouched */
	CHECK_EQ(tv_r64(&t, AREA + 576), 0);                     /* AVX written with its initial state */
	CHECK_EQ(written(416, 512), 0);
	CHECK_EQ(written(528, 576), 0);
	/* XGETBV ECX=1: XCR0 & XINUSE */
	fresh(RAX_CPU_V2);
	t.s.gpr[RAX_REG_RCX] = 1;
	CHECK_EQ(run("48 0f ae 2e b9 01 00 00 00 0f 01 d0", 7), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0);
	/* MXCSR != 1F80 puts SSE in use for XGETBV(1) and XSAVEC, not for
	 * XSAVE/XSAVEOPT (AMD) */
	fresh(RAX_CPU_V2);
	t.s.fpu.mxcsr = 0x1f81;
	CHECK_EQ(run("b9 01 00 00 00 0f 01 d0", 7), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 2);
	fresh(RAX_CPU_V2);
	t.s.fpu.mxcsr = 0x1f81;
	CHECK_EQ(run("48 0f ae 23", 7), -1); /* xsave64 [rbx] */
	CHECK_EQ(tv_r64(&t, AREA + 512) & 7, 0);
	CHECK_EQ(written(160, 416), 256);
	fresh(RAX_CPU_V2);
	t.s.fpu.mxcsr = 0x1f81;
	CHECK_EQ(run("48 0f ae 33", 7), -1); /* xsaveopt64 [rbx] */
	CHECK_EQ(tv_r64(&t, AREA + 512) & 7, 0);
	CHECK_EQ(written(160, 416), 0);
	CHECK_EQ(written(24, 32), 8);
	fresh(RAX_CPU_V2);
	t.s.fpu.mxcsr = 0x1f81;
	CHECK_EQ(run("48 0f c7 23", 7), -1); /* xsavec64 [rbx] */
	CHECK_EQ(tv_r64(&t, AREA + 512), 2);
	CHECK_EQ(written(160, 416), 256);
	/* x87: FIP alone does not count (AMD) */
	fresh(RAX_CPU_V2);
	t.s.fpu.fip = 5;
	CHECK_EQ(run("b9 01 00 00 00 0f 01 d0", 7), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0);
	/* a register loaded and zeroed again is not in use (AMD: pxor) */
	fresh(RAX_CPU_V2);
	t.s.fpu.xmm[3][0] = 1;
	CHECK_EQ(run("66 0f ef db b9 01 00 00 00 0f 01 d0", 7), -1); /* pxor xmm3, xmm3 */
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0);
	/* x87: one FLD1 makes it in use; FNINIT leaves the register contents */
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("d9 e8 dd d8 db e3 b9 01 00 00 00 0f 01 d0", 7), -1); /* fld1; fstp st0; fninit */
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 1);
	/* XGETBV ECX=1 with XCR0 = 3 masks AVX out */
	fresh(RAX_CPU_V2);
	t.s.xcr0 = 3;
	t.s.fpu.ymmh[0][0] = 1;
	t.s.fpu.mxcsr = 0x1f81;
	CHECK_EQ(run("b9 01 00 00 00 0f 01 d0", 7), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 2);
}

static void test_save_forms(void)
{
	/* XSAVEOPT of an initial state: only MXCSR/MXCSR_MASK and XSTATE_BV */
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("48 0f ae 2e 48 0f ae 33", 7), -1); /* xrstor64 [rsi]; xsaveopt64 [rbx] */
	CHECK_EQ(written(0, 24) + written(32, 512), 0);
	CHECK_EQ(written(24, 32), 8);
	CHECK_EQ(tv_r64(&t, AREA + 512), 0xaaaaaaaaaaaaaaa8ull);
	CHECK_EQ(written(576, 832), 0);
	/* XSAVEOPT with SSE in use and x87 not: XMM written, x87 not */
	fresh(RAX_CPU_V2);
	t.s.fpu.xmm[15][15] = 0x42;
	CHECK_EQ(run("48 0f ae 33", 7), -1);
	CHECK_EQ(written(0, 24) + written(32, 160), 0);
	CHECK_EQ(tv_ptr(&t, AREA)[160 + 15 * 16 + 15], 0x42);
	CHECK_EQ(tv_r64(&t, AREA + 512) & 7, 2);
	/* XSAVEC: XSTATE_BV and XCOMP_BV only (bytes 512-527), MXCSR only with SSE */
	fresh(RAX_CPU_V2);
	t.s.fpu.ymmh[2][0] = 0x77;
	t.s.fpu.fcw = 0x27f;
	CHECK_EQ(run("48 0f c7 23", 7), -1); /* xsavec64 [rbx] */
	CHECK_EQ(tv_r64(&t, AREA + 512), 5);
	CHECK_EQ(tv_r64(&t, AREA + 520), (1ull << 63) | 7);
	CHECK_EQ(written(528, 576), 0);
	CHECK_EQ(written(24, 32), 0); /* SSE not in use: MXCSR not written (AMD) */
	CHECK_EQ(written(160, 416), 0);
	CHECK_EQ(tv_ptr(&t, AREA)[576 + 32], 0x77);
	CHECK_EQ(tv_ptr(&t, AREA)[0], 0x7f);
	/* XSAVEC with SSE in use writes MXCSR */
	fresh(RAX_CPU_V2);
	t.s.fpu.xmm[0][0] = 1;
	CHECK_EQ(run("0f c7 23", 2), -1); /* xsavec [rbx] */
	CHECK_EQ(written(24, 32), 8);
	CHECK_EQ(tv_r64(&t, AREA + 520), (1ull << 63) | 2);
	/* XSAVE rfbm=1 (x87 only): no MXCSR */
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("48 0f ae 23", 1), -1);
	CHECK_EQ(written(24, 32), 0);
	CHECK_EQ(tv_ptr(&t, AREA)[0], 0x7f);
	/* the 32-bit form of XSAVE stores FIP as 32 bits + FCS (with FSW.ES) */
	fresh(RAX_CPU_V2);
	t.s.fpu.fsw = 0x8081;
	t.s.fpu.fcw = 0x37e;
	t.s.fpu.fip = 0x123456789abcull;
	CHECK_EQ(run("0f ae 23", 1), -1);
	CHECK_EQ(tv_r64(&t, AREA + 8) & 0xffffffffull, 0x56789abcull);
	CHECK_EQ((tv_r64(&t, AREA + 8) >> 32) & 0xffff, SEL_KCODE);
	/* without a pending exception the pointers are stored as zero (AMD) */
	fresh(RAX_CPU_V2);
	t.s.fpu.fip = 0x1234;
	CHECK_EQ(run("48 0f ae 23", 1), -1);
	CHECK_EQ(tv_r64(&t, AREA + 8), 0);
}

/* Outside 64-bit mode XSAVE/XRSTOR move XMM0-7 and YMM0-7 only. */
static void test_mode32(void)
{
	tv_free(&t);
	tv_init32(&t);
	CHECK_EQ(emu_set_cpu_level(&t.vm, RAX_CPU_V2), 0);
	t.s.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	t.s.xcr0 = 7;
	memset(tv_ptr(&t, AREA), 0xaa, 0x1000);
	for (unsigned i = 0; i < 16; i++) {
		t.s.fpu.xmm[i][0] = (uint8_t)(i + 1);
		t.s.fpu.ymmh[i][0] = (uint8_t)(i + 0x41);
	}
	/* xsave [ebx] with EDX:EAX = 7; then xrstor [ebx] after clearing XMM0 */
	static const uint8_t code[] = { 0xbb, 0, 0, 0x40, 0, 0xb8, 7, 0, 0, 0, 0x31, 0xd2, 0x0f, 0xae, 0x23, 0xf4 };
	memcpy(tv_ptr(&t, TV_CODE), code, sizeof(code));
	t.s.rip = TV_CODE;
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), -1);
	CHECK_EQ(tv_ptr(&t, AREA)[160 + 7 * 16], 8);    /* XMM7 */
	CHECK_EQ(tv_ptr(&t, AREA)[160 + 8 * 16], 0xaa); /* XMM8 not written */
	CHECK_EQ(tv_ptr(&t, AREA)[576 + 7 * 16], 0x48); /* YMM7 upper */
	CHECK_EQ(tv_ptr(&t, AREA)[576 + 8 * 16], 0xaa); /* YMM8 upper not written */
	CHECK_EQ(tv_r64(&t, AREA + 512) & 7, 6);        /* x87 initial, SSE and AVX in use */
	/* XRSTOR with XSTATE_BV = 0: XMM0-7 and YMM0-7 initial, 8-15 kept */
	memset(tv_ptr(&t, AREA + 512), 0, 64); /* the rest of the header was never written: 0xaa */
	static const uint8_t rst[] = { 0xbb, 0, 0, 0x40, 0, 0xb8, 7, 0, 0, 0, 0x31, 0xd2, 0x0f, 0xae, 0x2b, 0xf4 };
	memcpy(tv_ptr(&t, TV_CODE), rst, sizeof(rst));
	t.s.rip = TV_CODE;
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), -1);
	CHECK_EQ(t.s.fpu.xmm[7][0], 0);
	CHECK_EQ(t.s.fpu.xmm[8][0], 9);
	CHECK_EQ(t.s.fpu.ymmh[7][0], 0);
	CHECK_EQ(t.s.fpu.ymmh[8][0], 0x49);
}

static void test_gating(void)
{
	/* level v1: no XSAVE rows, CR4.OSXSAVE reserved */
	fresh(RAX_CPU_V1);
	CHECK_EQ(run("0f 01 d0", 0), V_UD);
	fresh(RAX_CPU_V1);
	CHECK_EQ(run("48 0f ae 23", 7), V_UD);
	fresh(RAX_CPU_V1);
	CHECK_EQ(run("48 0f c7 23", 7), V_UD);
	fresh(RAX_CPU_V1);
	t.s.gpr[RAX_REG_RCX] = CR4_PAE | CR4_OSFXSR | CR4_OSXSAVE;
	CHECK_EQ(run("0f 22 e1", 0), V_GP); /* mov cr4, rcx */
	fresh(RAX_CPU_V2);
	t.s.gpr[RAX_REG_RCX] = CR4_PAE | CR4_OSFXSR | CR4_OSXSAVE;
	CHECK_EQ(run("0f 22 e1", 0), -1);
	/* XSAVES/XRSTORS are not in the model; 0F 01 D2..D7 (/2 rm 2-7) are #UD */
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("48 0f c7 2b", 7), V_UD);
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("48 0f c7 1b", 7), V_UD);
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("0f 01 d2", 0), V_UD);
	/* XSETBV at CPL3: #GP(0); CR0.TS: #NM for XSAVEC */
	fresh(RAX_CPU_V2);
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(run("48 0f c7 23", 7), V_NM);
	/* 66-prefixed XSAVE is not XSAVE: the fence row's memory form, #UD */
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("66 48 0f ae 23", 7), V_UD);
	/* CPUID 0xD sub-leaves and the dynamic EBX, leaf 1 OSXSAVE */
	fresh(RAX_CPU_V2);
	t.s.xcr0 = 3;
	t.s.gpr[RAX_REG_RCX] = 0;
	CHECK_EQ(run("b8 0d 00 00 00 31 c9 0f a2", 0), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 7);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 576);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 832);
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("b8 0d 00 00 00 b9 01 00 00 00 0f a2", 0), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 7); /* XSAVEOPT XSAVEC XGETBV1, not XSAVES */
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 832);
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("b8 0d 00 00 00 b9 03 00 00 00 0f a2", 0), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0);
	fresh(RAX_CPU_V2);
	CHECK_EQ(run("b8 01 00 00 00 0f a2", 0), -1);
	CHECK(t.s.gpr[RAX_REG_RCX] & (1u << 27));
	fresh(RAX_CPU_V1);
	CHECK_EQ(run("b8 0d 00 00 00 31 c9 0f a2", 0), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0);
	uint32_t r[4];
	cpuid_model_query_level(RAX_CPU_V1, 0, 0, r);
	CHECK_EQ(r[0], 1);
	cpuid_model_query_level(RAX_CPU_V2, 0, 0, r);
	CHECK_EQ(r[0], 0xd);
	cpuid_model_query_level(RAX_CPU_V2, 0xd, 2, r);
	CHECK_EQ(r[0], 256);
	CHECK_EQ(r[1], 576);
}

static void test_decode(void)
{
	static const struct {
		const char *hex, *text;
	} cases[] = {
		{ "0f 01 d0", "xgetbv" },
		{ "0f 01 d1", "xsetbv" },
		{ "0f ae 23", "xsave [rbx]" },
		{ "48 0f ae 23", "xsave64 [rbx]" },
		{ "48 0f ae 2e", "xrstor64 [rsi]" },
		{ "0f ae 73 40", "xsaveopt [rbx+0x40]" },
		{ "48 0f c7 23", "xsavec64 [rbx]" },
		{ "0f ae e8", "lfence" },
		{ "0f ae f0", "mfence" },
		{ "0f 01 10", "lgdt [rax]" },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[16];
		size_t n = unit_hex(cases[i].hex, b);
		struct emu_insn in;
		char text[96];
		CHECK_EQ(emu_decode_level(b, (unsigned)n, EMU_MODE_64, RAX_CPU_V2, &in), EMU_DEC_OK);
		CHECK_EQ(in.len, n);
		emu_disasm(&in, text, sizeof(text));
		if (strcmp(text, cases[i].text))
			fprintf(stderr, "decode %s: '%s', want '%s'\n", cases[i].hex, text, cases[i].text);
		CHECK(!strcmp(text, cases[i].text));
	}
}

int main(void)
{
	tv_init(&t);
	test_xinuse();
	test_save_forms();
	test_mode32();
	test_gating();
	test_decode();
	tv_free(&t);
	return unit_finish("test_emu_xsave");
}
