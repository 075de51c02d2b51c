/*
 * test_emu_fastop.c - step() runs the code run() runs: the threaded block
 * runner's fast ops (fastpath.c), one instruction at a time. Checks that a
 * program built from fast forms ends in the same state and instruction count
 * stepped and run, that a step through a fast op keeps the step rules (the
 * written-pages record, a fault ending the step at its handler without
 * retiring, the TF trap), and that RAX_EMU_PLANT=fastop breaks the fast form
 * under both step() and run() while the ADD handler stays right.
 */
#include <stdio.h>

#include "emu/plant.h"
#include "test_emu_util.h"
#include "unit.h"

static struct tvm t;

#define R(i) t.s.gpr[RAX_REG_##i]

static void fresh(const char *hex, uint64_t rip)
{
	uint8_t b[512];
	size_t n = unit_hex(hex, b);
	tv_free(&t);
	tv_init(&t);
	t.s.rip = rip;
	tv_code(&t, b, n);
}

/* Step until something other than a plain step ends one; returns the steps. */
static unsigned step_all(enum rax_exit_kind *last)
{
	struct rax_err err;
	unsigned n = 0;
	tv_set(&t);
	do {
		t.vm.ops->step(&t.vm, &t.ex, &err);
		n++;
	} while (t.ex.kind == RAX_EXIT_STEP && n < 100000);
	tv_get(&t);
	*last = t.ex.kind;
	return n;
}

/*
 *	mov rax, 0x123456789abcdef0 / mov ecx, 0x9abcdef0 / mov ebx, 0x400000
 *	mov edx, 3
 * lp:	add rax, rcx / sub rcx, rdx / xor r8, rax / and r9, rax / or r10, rcx
 *	cmp rax, rcx / test rax, rcx / lea rsi, [rax+rcx*2+8] / movzx edi, al
 *	movzx r11d, cx / movsxd r12, eax / cmovc r13, rax / imul r14, rcx
 *	setnz r15b / push rax / pop rdi / call fn / shl rax, 3 / shr rcx, 1
 *	sar r8, 5 / rol r9, 7 / ror r10, 9 / shl rax, cl / mov [rbx], rax
 *	add [rbx+8], rcx / mov rsi, [rbx] / add esi, ecx / sub r11d, 7
 *	adc rax, rcx / dec edx / jnz lp / hlt
 * fn:	add r15, 1 / ret
 */
static const char mix[] = "48 b8 f0 de bc 9a 78 56 34 12 b9 f0 de bc 9a bb 00 00 40 00 ba 03 00 00 00 48 01 c8 "
			  "48 29 d1 49 31 c0 49 21 c1 49 09 ca 48 39 c8 48 85 c8 48 8d 74 48 08 0f b6 f8 44 0f "
			  "b7 d9 4c 63 e0 4c 0f 42 e8 4c 0f af f1 41 0f 95 c7 50 5f e8 2e 00 00 00 48 c1 e0 03 "
			  "48 d1 e9 49 c1 f8 05 49 c1 c1 07 49 c1 ca 09 48 d3 e0 48 89 03 48 01 4b 08 48 8b 33 "
			  "01 ce 41 83 eb 07 48 11 c8 ff ca 75 9c f4 49 83 c7 01 c3";

/* The fast forms of mix[], stepped and run, end alike. */
static void test_step_matches_run(void)
{
	fresh(mix, TV_CODE);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	struct rax_cpu_state ran = t.s;
	uint64_t ran_count = emu_instruction_count(&t.vm);
	uint8_t ran_data[16], ran_stack[64];
	memcpy(ran_data, tv_ptr(&t, TV_DATA), sizeof(ran_data));
	memcpy(ran_stack, tv_ptr(&t, TV_STACK - 64), sizeof(ran_stack));

	fresh(mix, TV_CODE);
	enum rax_exit_kind last;
	unsigned steps = step_all(&last);
	CHECK_EQ(last, RAX_EXIT_HLT);
	CHECK_EQ(steps, ran_count);
	CHECK_EQ(emu_instruction_count(&t.vm), ran_count);
	CHECK_EQ(t.s.rip, ran.rip);
	CHECK_EQ(t.s.rflags, ran.rflags);
	for (int i = 0; i < RAX_NGPR; i++)
		CHECK_EQ(t.s.gpr[i], ran.gpr[i]);
	CHECK(!memcmp(tv_ptr(&t, TV_DATA), ran_data, sizeof(ran_data)));
	CHECK(!memcmp(tv_ptr(&t, TV_STACK - 64), ran_stack, sizeof(ran_stack)));
	CHECK_EQ(ran_count, 4 + 3 * 33 + 1); /* set-up, three rounds of the loop with fn, hlt */
}

/* Whether the last step reported page p as written (the page walk's
 * accessed/dirty updates are reported too). */
static bool wrote(uint64_t p)
{
	uint64_t pages[EMU_MAX_WRITTEN_PAGES];
	int n = emu_written_pages(&t.vm, pages, EMU_MAX_WRITTEN_PAGES);
	for (int i = 0; i < n; i++)
		if (pages[i] == p)
			return true;
	return false;
}

/* A fast memory op's step reports the page it wrote; a fast push, the stack's. */
static void test_written_pages(void)
{
	uint64_t pages[EMU_MAX_WRITTEN_PAGES];
	/* mov [rbx], rax / push rax / add rax, rbx */
	fresh("48 89 03 50 48 01 d8", TV_CODE);
	R(RBX) = TV_DATA + 0x10;
	R(RAX) = 0x1122334455667788ull;
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(tv_r64(&t, TV_DATA + 0x10), 0x1122334455667788ull);
	CHECK(wrote(TV_DATA));
	CHECK(!wrote((TV_STACK - 8) & ~0xfffull));
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK(wrote((TV_STACK - 8) & ~0xfffull));
	CHECK(!wrote(TV_DATA));
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP); /* a register form writes nothing */
	CHECK_EQ(emu_written_pages(&t.vm, pages, EMU_MAX_WRITTEN_PAGES), 0);
}

/* A fault in a fast op ends the step at the handler and retires nothing. */
static void test_fault_in_fast_op(void)
{
	/* mov rbx, 0x8000000000000000 / mov rax, [rbx] (#GP: not canonical) */
	fresh("48 bb 00 00 00 00 00 00 00 80 48 8b 03", TV_CODE);
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(emu_instruction_count(&t.vm), 1);
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(t.s.rip, TV_HANDLERS + 13 * 16);
	CHECK_EQ(emu_instruction_count(&t.vm), 1);
	CHECK_EQ(tv_r64(&t, R(RSP) + 8), TV_CODE + 10); /* the frame names the faulting mov */
}

/* With TF the trap follows the fast op within the same step. */
static void test_tf_after_fast_op(void)
{
	/* add rax, rbx */
	fresh("48 01 d8", TV_CODE);
	R(RAX) = 2;
	R(RBX) = 3;
	t.s.rflags |= RFLAGS_TF;
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(R(RAX), 5);
	CHECK_EQ(t.s.rip, TV_HANDLERS + 1 * 16);
	CHECK_EQ(tv_r64(&t, R(RSP)), TV_CODE + 3);
	CHECK(t.s.dr6 & 0x4000);
	CHECK_EQ(emu_instruction_count(&t.vm), 1);
}

/* add rax, rbx with a carry out of bit 31: 0x1ffffffff + 1. */
static uint64_t planted_add(uint64_t rip, bool stepped)
{
	fresh("48 01 d8 f4", rip);
	R(RAX) = 0x1ffffffffull;
	R(RBX) = 1;
	if (stepped)
		CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	else
		CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	return R(RAX);
}

static void test_plant(void)
{
	emu_plant = EMU_PLANT_FASTOP;
	/* the fast op loses the carry, stepped (what rax-diff sees) and run */
	CHECK_EQ(planted_add(TV_CODE, true), 0x100000000ull);
	CHECK_EQ(planted_add(TV_CODE, false), 0x100000000ull);
	/* across a page boundary the instruction is decoded alone and runs
	 * through the ADD handler, which the plant leaves right */
	CHECK_EQ(planted_add(TV_CODE + 0xffe, true), 0x200000000ull);
	CHECK_EQ(planted_add(TV_CODE + 0xffe, false), 0x200000000ull);
	emu_plant = EMU_PLANT_NONE;
	CHECK_EQ(planted_add(TV_CODE, true), 0x200000000ull);
	CHECK_EQ(planted_add(TV_CODE, false), 0x200000000ull);
}

int main(void)
{
	tv_init(&t); /* reads RAX_EMU_PLANT once; these tests set the plant themselves */
	emu_plant = EMU_PLANT_NONE;
	test_step_matches_run();
	test_written_pages();
	test_fault_in_fast_op();
	test_tf_after_fast_op();
	test_plant();
	tv_free(&t);
	return unit_finish("test_emu_fastop");
}
