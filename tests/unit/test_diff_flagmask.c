/*
 * test_diff_flagmask.c - the undefined-flag table and the state/memory
 * comparison (x87/SSE included). Linked against the harness library
 * (raxdiff, see harness/CMakeLists.txt).
 */
#include <string.h>

#include "compare.h"
#include "flagmask.h"
#include "unit.h"

/* The flags of the first opcode-table row named m (the undefined-flag
 * facts are columns of the table). */
static uint64_t row_flags(const char *m)
{
	for (unsigned r = 1; r < emu_noprows; r++)
		if (!strcmp(emu_oprows[r].mnem, m))
			return emu_oprows[r].flags;
	CHECK(!"no such row");
	return 0;
}

int main(void)
{
	CHECK_EQ(flagmask_for(row_flags("add"), 8, -1), 0);
	CHECK_EQ(flagmask_for(row_flags("and"), 4, -1), RFLAGS_AF);
	CHECK_EQ(flagmask_for(row_flags("mul"), 8, -1), RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF);
	CHECK_EQ(flagmask_for(row_flags("div"), 8, -1), RFLAGS_STATUS);
	CHECK_EQ(flagmask_for(row_flags("bt"), 8, -1), RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	CHECK_EQ(flagmask_for(row_flags("shl"), 4, 0), 0);
	CHECK_EQ(flagmask_for(row_flags("shl"), 4, 1), RFLAGS_AF);
	CHECK_EQ(flagmask_for(row_flags("shl"), 4, 3), RFLAGS_AF | RFLAGS_OF);
	CHECK_EQ(flagmask_for(row_flags("shl"), 1, 9), RFLAGS_AF | RFLAGS_OF | RFLAGS_CF);
	CHECK_EQ(flagmask_for(row_flags("sar"), 1, 9), RFLAGS_AF | RFLAGS_OF);
	CHECK_EQ(flagmask_for(row_flags("rol"), 8, 1), 0);
	CHECK_EQ(flagmask_for(row_flags("rol"), 8, 2), RFLAGS_OF);
	CHECK_EQ(flagmask_for(row_flags("rcl"), 1, 9), 0);  /* 9 mod 9 = 0: no rotate */
	CHECK_EQ(flagmask_for(row_flags("rcl"), 1, 10), 0); /* 10 mod 9 = 1 */
	CHECK_EQ(flagmask_for(row_flags("shld"), 2, 17), RFLAGS_STATUS);
	CHECK_EQ(flagmask_for(row_flags("shld"), 8, 1), RFLAGS_AF);
	/* count sources: imm8, CL, 1 */
	struct emu_insn in;
	struct rax_cpu_state st;
	memset(&st, 0, sizeof(st));
	st.gpr[RAX_REG_RCX] = 0x23; /* CL 35: masked to 3 for 32-bit operands */
	const uint8_t shl_cl[] = { 0xd3, 0xe0 }, shl_1[] = { 0xd1, 0xe0 }, shl_i[] = { 0xc1, 0xe0, 0x00 };
	CHECK_EQ(emu_decode(shl_cl, sizeof(shl_cl), &in), EMU_DEC_OK);
	CHECK_EQ(flagmask_undefined(&in, &st), RFLAGS_AF | RFLAGS_OF);
	CHECK_EQ(emu_decode(shl_1, sizeof(shl_1), &in), EMU_DEC_OK);
	CHECK_EQ(flagmask_undefined(&in, &st), RFLAGS_AF);
	CHECK_EQ(emu_decode(shl_i, sizeof(shl_i), &in), EMU_DEC_OK);
	CHECK_EQ(flagmask_undefined(&in, &st), 0);
	/* results taken from the oracle, port I/O */
	const uint8_t cpuid[] = { 0x0f, 0xa2 }, rdtscp[] = { 0x0f, 0x01, 0xf9 }, swapgs[] = { 0x0f, 0x01, 0xf8 },
		      rdmsr[] = { 0x0f, 0x32 }, in_dx[] = { 0xec }, out_i[] = { 0xe6, 0x80 };
	CHECK_EQ(emu_decode(cpuid, sizeof(cpuid), &in), EMU_DEC_OK);
	CHECK_EQ(insn_nondet(&in, &st), INSN_ND_CPUID);
	CHECK_EQ(emu_decode(rdtscp, sizeof(rdtscp), &in), EMU_DEC_OK);
	CHECK_EQ(insn_nondet(&in, &st), INSN_ND_TSC);
	CHECK_EQ(emu_decode(swapgs, sizeof(swapgs), &in), EMU_DEC_OK);
	CHECK_EQ(insn_nondet(&in, &st), INSN_ND_NONE);
	CHECK_EQ(emu_decode(rdmsr, sizeof(rdmsr), &in), EMU_DEC_OK);
	CHECK_EQ(insn_nondet(&in, &st), INSN_ND_NONE);
	st.gpr[RAX_REG_RCX] = MSR_IA32_TSC;
	CHECK_EQ(insn_nondet(&in, &st), INSN_ND_TSC_MSR);
	st.gpr[RAX_REG_RDX] = 0x3f8;
	CHECK_EQ(emu_decode(in_dx, sizeof(in_dx), &in), EMU_DEC_OK);
	CHECK(insn_port_io(&in) && insn_port(&in, &st) == 0x3f8);
	CHECK_EQ(emu_decode(out_i, sizeof(out_i), &in), EMU_DEC_OK);
	CHECK(insn_port_io(&in) && insn_port(&in, &st) == 0x80);

	struct rax_cpu_state a, b;
	memset(&a, 0, sizeof(a));
	b = a;
	struct diff_field f[8];
	CHECK_EQ(diff_compare_state(&a, &b, CMP_ALL, ~0ull, f, 8), 0);
	b.gpr[RAX_REG_RBX] = 5;
	b.rflags = RFLAGS_AF;
	CHECK_EQ(diff_compare_state(&a, &b, CMP_ALL, ~(uint64_t)RFLAGS_AF, f, 8), 1);
	CHECK(strcmp(f[0].name, "rbx") == 0);
	CHECK_EQ(diff_compare_state(&a, &b, CMP_ALL, ~0ull, f, 8), 2);
	b.seg[RAX_SEG_CS].dpl = 3;
	CHECK_EQ(diff_compare_state(&a, &b, CMP_USER, ~0ull, f, 8), 2);
	CHECK_EQ(diff_compare_state(&a, &b, CMP_ALL, ~0ull, f, 8), 3);

	uint8_t x[64] = { 0 }, y[64] = { 0 };
	y[3] = 1;
	y[7] = 2;
	y[40] = 9;
	struct diff_memrun r[4];
	CHECK_EQ(diff_mem_runs(0x1000, x, y, 64, r, 4), 2);
	CHECK_EQ(r[0].addr, 0x1003);
	CHECK_EQ(r[0].len, 5);
	CHECK_EQ(r[1].addr, 0x1028);
	CHECK_EQ(r[1].oracle[0], 9);

	/* x87/SSE: FCW, FSW, FTW, MXCSR, XMM as 128-bit values */
	memset(&a, 0, sizeof(a));
	a.fpu.fcw = 0x37f;
	a.fpu.mxcsr = 0x1f80;
	b = a;
	CHECK_EQ(diff_compare_state(&a, &b, CMP_FPU, ~0ull, f, 8), 0);
	CHECK_EQ(diff_compare_state(&a, &b, CMP_ALL, ~0ull, f, 8), 0);
	b.fpu.mxcsr = 0x7f80;
	b.fpu.xmm[3][15] = 0x80;
	CHECK_EQ(diff_compare_state(&a, &b, CMP_ALL, ~0ull, f, 8), 0); /* not asked for */
	CHECK_EQ(diff_compare_state(&a, &b, CMP_FPU, ~0ull, f, 8), 2);
	CHECK(strcmp(f[0].name, "mxcsr") == 0);
	CHECK_EQ(f[0].emu, 0x1f80);
	CHECK_EQ(f[0].oracle, 0x7f80);
	CHECK(strcmp(f[1].name, "xmm3") == 0);
	CHECK_EQ(f[1].width, 16);
	char v[48];
	CHECK(strcmp(diff_field_value(&f[1], 1, v, sizeof(v)), "0x80000000000000000000000000000000") == 0);
	CHECK(strcmp(diff_field_value(&f[1], 0, v, sizeof(v)), "0x00000000000000000000000000000000") == 0);
	CHECK(strcmp(diff_field_value(&f[0], 0, v, sizeof(v)), "0x0000000000001f80") == 0);
	/* ST(i): only registers both sides tag as in use; TOP maps ST(i) to R(TOP+i) */
	b = a;
	b.fpu.st[1][9] = 0x40; /* ST1 differs, but it is empty on both sides */
	CHECK_EQ(diff_compare_state(&a, &b, CMP_FPU, ~0ull, f, 8), 0);
	a.fpu.fsw = b.fpu.fsw = 6u << 11; /* TOP = 6: ST0 = R6, ST1 = R7 */
	a.fpu.ftw = b.fpu.ftw = 0xc0;
	CHECK(diff_st_valid(&a.fpu, 0) && diff_st_valid(&a.fpu, 1) && !diff_st_valid(&a.fpu, 2));
	CHECK_EQ(diff_compare_state(&a, &b, CMP_FPU, ~0ull, f, 8), 1);
	CHECK(strcmp(f[0].name, "st1") == 0);
	CHECK_EQ(f[0].width, 10);
	CHECK(strcmp(diff_field_value(&f[0], 1, v, sizeof(v)), "0x4000_0000000000000000") == 0);
	b.fpu.ftw = 0x40; /* ST1 empty on the oracle: the tag word differs instead */
	CHECK_EQ(diff_compare_state(&a, &b, CMP_FPU, ~0ull, f, 8), 1);
	CHECK(strcmp(f[0].name, "ftw") == 0);
	/* FIP/FDP/FOP are not compared (vendor-specific, see compare.h) */
	b = a;
	b.fpu.fip = 0x1234;
	b.fpu.fdp = 0x5678;
	b.fpu.fop = 0x7ff;
	CHECK_EQ(diff_compare_state(&a, &b, CMP_FPU, ~0ull, f, 8), 0);

	/* system registers (kernel mode) */
	b = a;
	b.idt.base = 0x1000;
	b.lstar = 0xffffffff81000000ull;
	CHECK_EQ(diff_compare_state(&a, &b, CMP_ALL | CMP_FPU, ~0ull, f, 8), 0);
	CHECK_EQ(diff_compare_state(&a, &b, CMP_SYS, ~0ull, f, 8), 2);
	CHECK(strcmp(f[0].name, "idtr.base") == 0 && strcmp(f[1].name, "lstar") == 0);
	return unit_finish("test_diff_flagmask");
}
