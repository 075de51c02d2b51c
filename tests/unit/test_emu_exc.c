/*
 * test_emu_exc.c - MMU and exception tests: #PF error codes and CR2 (not
 * present, write to read-only with WP, user to supervisor, NX fetch,
 * reserved bit), accessed/dirty bits, page-crossing faults, #GP #UD #DE #BP
 * vectors and frames, IST and the CPL3->CPL0 stack switch, restartable REP,
 * TF single-step, SYSCALL/SYSRET, triple fault -> SHUTDOWN.
 */
#include <stdio.h>

#include "test_emu_util.h"
#include "unit.h"

static struct tvm t;

static void fresh(void)
{
	tv_free(&t);
	tv_init(&t);
}

static void code(const char *hex)
{
	uint8_t b[256];
	size_t n = unit_hex(hex, b);
	b[n++] = 0xf4; /* hlt */
	tv_code(&t, b, n);
}

#define R(i) t.s.gpr[RAX_REG_##i]
#define PD(i) (TV_PD + (i)*8)

/* Frame pushed by a CPL0->CPL0 exception with an error code, at t.s.rsp. */
static void check_frame(uint64_t err, uint64_t rip, uint64_t old_rsp)
{
	uint64_t sp = t.s.gpr[RAX_REG_RSP];
	CHECK_EQ(tv_r64(&t, sp), err);
	CHECK_EQ(tv_r64(&t, sp + 8), rip);
	CHECK_EQ(tv_r64(&t, sp + 16), SEL_KCODE);
	CHECK_EQ(tv_r64(&t, sp + 32), old_rsp);
	CHECK_EQ(tv_r64(&t, sp + 40), SEL_KDATA);
}

int main(void)
{
	tv_init(&t);

	/* #UD: no error code, RIP of the ud2, IF cleared by the interrupt gate */
	fresh();
	code("90 0f 0b" /* nop; ud2 */);
	t.s.rflags |= RFLAGS_IF;
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 6);
	CHECK_EQ(R(RSP), TV_STACK - 40);
	CHECK_EQ(tv_r64(&t, R(RSP)), TV_CODE + 1);
	CHECK_EQ(tv_r64(&t, R(RSP) + 8), SEL_KCODE);
	CHECK(tv_r64(&t, R(RSP) + 16) & RFLAGS_IF);
	CHECK(tv_r64(&t, R(RSP) + 16) & RFLAGS_RF); /* faults push RF=1 */
	CHECK_EQ(tv_r64(&t, R(RSP) + 24), TV_STACK);
	CHECK(!(t.s.rflags & RFLAGS_IF));

	/* step(): a faulting instruction is one step ending at the handler */
	fresh();
	code("0f 0b" /* ud2 */);
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(t.s.rip, TV_HANDLERS + 6 * 16);

	/* #GP(0) on a non-canonical address; registers untouched */
	fresh();
	code("48 bb 00 00 00 00 00 00 00 80 48 c7 c0 01 00 00 00 48 8b 03" /* mov rbx, 0x8000000000000000; mov rax, 1; mov rax, [rbx] */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 13);
	check_frame(0, TV_CODE + 17, TV_STACK - 8 * 0);
	CHECK_EQ(R(RAX), 1);
	/* #SS(0) for a non-canonical stack reference */
	fresh();
	code("48 bd 00 00 00 00 00 00 00 80 48 8b 45 00" /* mov rbp, 0x8000000000000000; mov rax, [rbp] */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 12);

	/* #DE on zero divisor and on quotient overflow */
	fresh();
	code("31 c9 f7 f1" /* xor ecx, ecx; div ecx */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 0);
	fresh();
	code("ba 01 00 00 00 31 c0 b9 01 00 00 00 f7 f1" /* mov edx, 1; xor eax, eax; mov ecx, 1; div ecx */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 0);
	CHECK_EQ(R(RDX), 1);
	fresh();
	code("48 b8 00 00 00 00 00 00 00 80 48 99 48 c7 c1 ff ff ff ff 48 f7 f9" /* mov rax, 0x8000000000000000; cqo; mov rcx, -1; idiv rcx */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 0);

	/* #BP from int3: trap, pushes the next RIP */
	fresh();
	code("cc" /* int3 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 3);
	CHECK_EQ(tv_r64(&t, R(RSP)), TV_CODE + 1);
	/* INT n through a DPL0 gate from CPL0 works; */
	fresh();
	code("cd 80" /* int 0x80 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 0x80);
	CHECK_EQ(tv_r64(&t, R(RSP)), TV_CODE + 2);

	/* #PF: not present (read and write), CR2 and error codes */
	fresh();
	code("48 c7 c3 00 00 00 40 48 8b 03" /* mov rbx, 0x40000000; mov rax, [rbx] */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 14);
	CHECK_EQ(t.s.cr2, 0x40000000);
	check_frame(0, TV_CODE + 7, TV_STACK);
	fresh();
	code("48 c7 c3 10 00 00 40 89 03" /* mov rbx, 0x40000010; mov [rbx], eax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 14);
	CHECK_EQ(t.s.cr2, 0x40000010);
	CHECK_EQ(tv_r64(&t, R(RSP)), 2);
	/* write to a read-only page with CR0.WP=1: P|W */
	fresh();
	tv_w64(&t, PD(2), (2ull << 21) | 0x85);
	code("bb 00 00 40 00 8b 03 89 03" /* mov ebx, 0x400000; mov eax, [rbx]; mov [rbx], eax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 14);
	CHECK_EQ(tv_r64(&t, R(RSP)), 3);
	CHECK_EQ(tv_r64(&t, R(RSP) + 8), TV_CODE + 7);
	/* ... and allowed with WP=0 */
	fresh();
	tv_w64(&t, PD(2), (2ull << 21) | 0x85);
	t.s.cr0 &= ~CR0_WP;
	code("bb 00 00 40 00 c7 03 07 00 00 00" /* mov ebx, 0x400000; mov dword ptr [rbx], 7 */);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), -1);
	CHECK_EQ(tv_ptr(&t, 0x400000)[0], 7);
	/* accessed and dirty bits */
	CHECK(tv_r64(&t, PD(2)) & 0x40);
	CHECK(tv_r64(&t, TV_PML4) & 0x20);
	/* reserved bit: P|RSVD */
	fresh();
	tv_w64(&t, PD(2), (2ull << 21) | 0x87 | (1ull << 45));
	code("bb 00 00 40 00 8b 03" /* mov ebx, 0x400000; mov eax, [rbx] */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 14);
	CHECK_EQ(tv_r64(&t, R(RSP)), 9);
	/* NX fetch: P|I/D */
	fresh();
	tv_w64(&t, PD(2), (2ull << 21) | 0x87 | (1ull << 63));
	tv_ptr(&t, 0x400000)[0] = 0x90;
	code("b8 00 00 40 00 ff e0" /* mov eax, 0x400000; jmp rax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 14);
	CHECK_EQ(t.s.cr2, 0x400000);
	CHECK_EQ(tv_r64(&t, R(RSP)), 0x11);
	CHECK_EQ(tv_r64(&t, R(RSP) + 8), 0x400000);

	/* user -> supervisor page from CPL3: P|U, stack switch to RSP0, SS pushed */
	fresh();
	tv_w64(&t, PD(2), (2ull << 21) | 0x83); /* supervisor-only */
	cpu_state_flat64(&t.s.seg[RAX_SEG_CS], &t.s.seg[RAX_SEG_SS], 3);
	t.s.seg[RAX_SEG_CS].selector = SEL_UCODE;
	t.s.seg[RAX_SEG_SS].selector = SEL_UDATA;
	code("bb 00 00 40 00 8b 03" /* mov ebx, 0x400000; mov eax, [rbx] */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 14);
	CHECK_EQ(R(RSP), TV_RSP0 - 48);
	CHECK_EQ(tv_r64(&t, R(RSP)), 5);
	CHECK_EQ(tv_r64(&t, R(RSP) + 16), SEL_UCODE);
	CHECK_EQ(tv_r64(&t, R(RSP) + 32), TV_STACK);
	CHECK_EQ(tv_r64(&t, R(RSP) + 40), SEL_UDATA);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].selector, SEL_KCODE);
	CHECK_EQ(t.s.seg[RAX_SEG_SS].selector, 0);
	/* privileged instruction at CPL3: #GP(0) */
	fresh();
	cpu_state_flat64(&t.s.seg[RAX_SEG_CS], &t.s.seg[RAX_SEG_SS], 3);
	t.s.seg[RAX_SEG_CS].selector = SEL_UCODE;
	t.s.seg[RAX_SEG_SS].selector = SEL_UDATA;
	code("f4" /* hlt */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 13);
	CHECK_EQ(tv_r64(&t, R(RSP)), 0);
	/* INT n through a DPL0 gate from CPL3: #GP(vector*8+2) */
	fresh();
	tv_gate(&t, 0x81, TV_HANDLERS + 0x81 * 16, 0xe, 0, 0);
	cpu_state_flat64(&t.s.seg[RAX_SEG_CS], &t.s.seg[RAX_SEG_SS], 3);
	t.s.seg[RAX_SEG_CS].selector = SEL_UCODE;
	t.s.seg[RAX_SEG_SS].selector = SEL_UDATA;
	code("cd 81" /* int 0x81 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 13);
	CHECK_EQ(tv_r64(&t, R(RSP)), 0x81 * 8 + 2);
	CHECK_EQ(tv_r64(&t, R(RSP) + 8), TV_CODE);

	/* IST: #UD on IST1 */
	fresh();
	tv_gate(&t, 6, TV_HANDLERS + 6 * 16, 0xe, 0, 1);
	code("0f 0b" /* ud2 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 6);
	CHECK_EQ(R(RSP), TV_IST1 - 40);
	CHECK_EQ(tv_r64(&t, R(RSP) + 24), TV_STACK);
	/* 16-byte alignment of the new frame */
	fresh();
	t.s.gpr[RAX_REG_RSP] = TV_STACK - 8;
	code("0f 0b" /* ud2 */);
	tv_run(&t);
	CHECK_EQ(R(RSP), TV_STACK - 16 - 40);

	/* page-crossing write: second page missing -> #PF at its start, nothing written */
	fresh();
	tv_w64(&t, TV_PDPT + 8, 0); /* 1G..2G not present */
	code("48 c7 c3 fc ff ff 3f 48 c7 c0 ff ff ff ff 48 89 03" /* mov rbx, 0x3ffffffc; mov rax, -1; mov [rbx], rax */);
	tv_w64(&t, PD(511), (511ull << 21) | 0x87);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 14);
	CHECK_EQ(t.s.cr2, 0x40000000);
	CHECK_EQ(tv_r64(&t, R(RSP)), 2);

	/* REP MOVSB faulting midway: registers reflect the completed iterations */
	fresh();
	code("48 c7 c6 00 00 40 00 48 c7 c7 f0 ff ff 3f b9 40 00 00 00 f3 a4" /* mov rsi, 0x400000; mov rdi, 0x3ffffff0; mov ecx, 64; rep movsb */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 14);
	CHECK_EQ(R(RCX), 48);
	CHECK_EQ(R(RDI), 0x40000000);
	CHECK_EQ(R(RSI), 0x400010);
	CHECK_EQ(tv_r64(&t, R(RSP) + 8), TV_CODE + 7 + 7 + 5);

	/* TF single-step: #DB after the instruction with DR6.BS */
	fresh();
	code("b8 01 00 00 00 90" /* mov eax, 1; nop */);
	t.s.rflags |= RFLAGS_TF;
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(t.s.rip, TV_HANDLERS + 16);
	CHECK_EQ(R(RAX), 1);
	CHECK(t.s.dr6 & 0x4000);
	CHECK_EQ(tv_r64(&t, R(RSP)), TV_CODE + 5);
	CHECK(tv_r64(&t, R(RSP) + 16) & RFLAGS_TF);
	CHECK(!(t.s.rflags & RFLAGS_TF));

	/* SYSCALL / SYSRET round trip */
	fresh();
	t.s.star = ((uint64_t)(0x10) << 48) | ((uint64_t)SEL_KCODE << 32);
	t.s.lstar = TV_CODE + 0x100;
	t.s.sfmask = RFLAGS_IF;
	code("48 c7 c0 01 00 00 00 0f 05 f4" /* mov rax, 1; syscall; hlt */);
	{
		uint8_t b[16];
		size_t n = unit_hex("48 89 cb 48 0f 07" /* mov rbx, rcx; sysretq */, b);
		memcpy(tv_ptr(&t, TV_CODE + 0x100), b, n);
	}
	t.s.rflags |= RFLAGS_IF;
	tv_steps(&t, 4);
	CHECK_EQ(t.s.rip, TV_CODE + 9);
	CHECK_EQ(R(RBX), TV_CODE + 9);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].selector, 0x23);
	CHECK_EQ(t.s.seg[RAX_SEG_SS].selector, 0x1b);
	CHECK(t.s.rflags & RFLAGS_IF);

	/* MOV to SS/DS with descriptor loads; bad selector -> #GP(sel) */
	fresh();
	code("66 b8 10 00 8e d0 66 b8 48 00 8e d8" /* mov ax, 0x10; mov ss, ax; mov ax, 0x48; mov ds, ax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 13);
	CHECK_EQ(tv_r64(&t, R(RSP)), 0x48);
	CHECK(t.vm.mem.host[TV_GDT + 0x10 + 5] & 1); /* accessed bit set */

	/* IRETQ back to the interrupted code */
	fresh();
	code("cc bb 02 00 00 00" /* int3; mov ebx, 2 */);
	{
		uint8_t b[8];
		size_t n = unit_hex("48 cf" /* iretq */, b);
		memcpy(tv_ptr(&t, TV_HANDLERS + 3 * 16), b, n);
	}
	tv_run(&t);
	CHECK_EQ(R(RBX), 2);
	CHECK_EQ(R(RSP), TV_STACK);
	CHECK_EQ(t.s.rip, TV_CODE + 7);

	/* triple fault: IDT limit too small for anything */
	fresh();
	t.s.idt.limit = 0;
	code("0f 0b" /* ud2 */);
	CHECK_EQ(tv_run(&t), RAX_EXIT_SHUTDOWN);
	/* #DF when a #GP cannot be delivered because its gate is not present */
	fresh();
	tv_w64(&t, TV_IDT + 13 * 16 + 0, 0);
	code("48 bb 00 00 00 00 00 00 00 80 48 8b 03" /* mov rbx, 0x8000000000000000; mov rax, [rbx] */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 8);
	CHECK_EQ(tv_r64(&t, R(RSP)), 0);

	/* paging off: linear = physical */
	fresh();
	t.s.cr0 &= ~CR0_PG;
	code("48 c7 c3 00 00 00 40 8b 03" /* mov rbx, 0x40000000; mov eax, [rbx] */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), -1);
	CHECK_EQ(R(RAX), 0xffffffffull); /* outside RAM reads all ones */

	/* not-emulated instruction: INTERNAL with bytes and rip */
	fresh();
	code("0f 02 c3" /* lar eax, bx */);
	CHECK_EQ(tv_run(&t), RAX_EXIT_INTERNAL);
	CHECK(strstr(t.ex.detail, "0f 02 c3") != NULL);
	CHECK_EQ(t.s.rip, TV_CODE);

	/* written pages of a step */
	fresh();
	code("c7 05 00 10 00 00 01 00 00 00" /* mov dword ptr [rip+0x1000], 1 */);
	tv_steps(&t, 1);
	{
		uint64_t pages[EMU_MAX_WRITTEN_PAGES];
		int n = emu_written_pages(&t.vm, pages, EMU_MAX_WRITTEN_PAGES);
		CHECK(n >= 1);
		bool found = false;
		for (int i = 0; i < n; i++)
			found |= pages[i] == TV_CODE + 0x1000;
		CHECK(found);
	}

	tv_free(&t);
	return unit_finish("test_emu_exc");
}
