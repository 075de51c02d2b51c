/*
 * test_diff_flagmask.c - the undefined-flag table and the state/memory
 * comparison (x87/SSE included). Linked against the harness library
 * (raxdiff, see harness/CMakeLists.txt).
 */
#include <string.h>

#include "compare.h"
#include "flagmask.h"
#include "unit.h"

int main(void)
{
	CHECK_EQ(flagmask_for("add", 8, -1), 0);
	CHECK_EQ(flagmask_for("and", 4, -1), RFLAGS_AF);
	CHECK_EQ(flagmask_for("mul", 8, -1), RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF);
	CHECK_EQ(flagmask_for("div", 8, -1), RFLAGS_STATUS);
	CHECK_EQ(flagmask_for("bt", 8, -1), RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	CHECK_EQ(flagmask_for("shl", 4, 0), 0);
	CHECK_EQ(flagmask_for("shl", 4, 1), RFLAGS_AF);
	CHECK_EQ(flagmask_for("shl", 4, 3), RFLAGS_AF | RFLAGS_OF);
	CHECK_EQ(flagmask_for("shl", 1, 9), RFLAGS_AF | RFLAGS_OF | RFLAGS_CF);
	CHECK_EQ(flagmask_for("sar", 1, 9), RFLAGS_AF | RFLAGS_OF);
	CHECK_EQ(flagmask_for("rol", 8, 1), 0);
	CHECK_EQ(flagmask_for("rol", 8, 2), RFLAGS_OF);
	CHECK_EQ(flagmask_for("rcl", 1, 9), 0);       /* 9 mod 9 = 0: no rotate */
	CHECK_EQ(flagmask_for("rcl", 1, 10), 0);      /* 10 mod 9 = 1 */
	CHECK_EQ(flagmask_for("shld", 2, 17), RFLAGS_STATUS);
	CHECK_EQ(flagmask_for("shld", 8, 1), RFLAGS_AF);

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
