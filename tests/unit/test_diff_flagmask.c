/* test_diff_flagmask.c - the undefined-flag table and the state/memory comparison. */
#include <string.h>

/* the harness is its own library; its two pure files are compiled in here */
#include "../../harness/compare.c"
#include "../../harness/flagmask.c"
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
	return unit_finish("test_diff_flagmask");
}
