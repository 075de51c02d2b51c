/*
 * test_emu_debug.c - the interpreter's debug facilities (src/emu/debug.c):
 * MOV DR rules (DR4/DR5 aliases and #UD with CR4.DE, #GP for bits 63:32 of
 * DR6/DR7, fixed bits, CPL3 #GP, general detect), execution breakpoints
 * (fault before the instruction, RF suppression, inside a decoded block),
 * data breakpoints (write vs read/write, LEN alignment, traps after the
 * instruction, disabled slots, REP iterations), I/O breakpoints with and
 * without CR4.DE, single-step traps (POPF setting and clearing TF, INT n,
 * SYSCALL with TF in SFMASK or not), the MOV SS shadow (deferred trap, #DB
 * after INT n at the handler), and the host debugger's slots (write, read,
 * execution: RAX_EXIT_DEBUG, the guest sees nothing, resume moves on).
 */
#include <stdio.h>

#include "emu/debug.h"
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
/* DR7 fields of slot n */
#define L(n) (1ull << (2 * (n)))
#define RW(n, v) ((uint64_t)(v) << (16 + 4 * (n)))
#define LEN(n, v) ((uint64_t)(v) << (18 + 4 * (n)))
#define DR6_ALL1 0xffff0ff0ull

/* The #DB frame at RSP (CPL0 -> CPL0, no error code). */
static uint64_t frame_rip(void) { return tv_r64(&t, R(RSP)); }
static uint64_t frame_flags(void) { return tv_r64(&t, R(RSP) + 16); }

static void mov_dr_rules(void)
{
	/* DR6: writable B0-B3, BD, BS, BT; the rest fixed (no RTM bit on AMD) */
	fresh();
	code("b8 ff ff ff ff 0f 23 f0 0f 21 f1 31 c0 0f 23 f0 0f 21 f2"
	     /* mov eax, 0xffffffff; mov dr6, rax; mov rcx, dr6; xor eax, eax; mov dr6, rax; mov rdx, dr6 */);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(R(RCX), 0xffffffffull & (DR6_ALL1 | 0xe00f));
	CHECK_EQ(R(RDX), DR6_ALL1);
	/* DR7: bit 10 reads 1; bits 63:32 of DR6/DR7 #GP(0) */
	fresh();
	code("31 c0 0f 23 f8 0f 21 f9" /* xor eax, eax; mov dr7, rax; mov rcx, dr7 */);
	tv_run(&t);
	CHECK_EQ(R(RCX), 0x400);
	fresh();
	code("48 b8 00 00 00 00 01 00 00 00 0f 23 f8" /* mov rax, 1 << 32; mov dr7, rax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 13);
	CHECK_EQ(frame_rip(), 0); /* (the error code, 0) */
	fresh();
	code("48 b8 00 00 00 00 01 00 00 00 0f 23 f0" /* mov dr6, rax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 13);
	/* DR0-DR3 hold any 64-bit value */
	fresh();
	code("48 b8 00 00 00 00 00 00 00 80 0f 23 d8 0f 21 d9" /* mov rax, 1 << 63; mov dr3, rax; mov rcx, dr3 */);
	tv_run(&t);
	CHECK_EQ(R(RCX), 0x8000000000000000ull);
	/* CR4.DE=0: DR4/DR5 are DR6/DR7 */
	fresh();
	t.s.dr7 = 0x401 | RW(0, 1);
	t.s.dr[0] = TV_DATA + 0x800; /* (not touched) */
	code("0f 21 e1 0f 21 ea" /* mov rcx, dr4; mov rdx, dr5 */);
	tv_run(&t);
	CHECK_EQ(R(RCX), DR6_ALL1);
	CHECK_EQ(R(RDX), 0x401 | RW(0, 1));
	/* CR4.DE=1: #UD */
	fresh();
	t.s.cr4 |= CR4_DE;
	code("0f 21 e1" /* mov rcx, dr4 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 6);
	fresh();
	t.s.cr4 |= CR4_DE;
	code("0f 23 e8" /* mov dr5, rax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 6);
	/* CPL3: #GP(0) */
	fresh();
	cpu_state_flat64(&t.s.seg[RAX_SEG_CS], &t.s.seg[RAX_SEG_SS], 3);
	t.s.seg[RAX_SEG_CS].selector = SEL_UCODE;
	t.s.seg[RAX_SEG_SS].selector = SEL_UDATA;
	code("0f 21 c0" /* mov rax, dr0 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 13);
	/* general detect: #DB fault before the MOV, BD set, GD cleared, B0-B3 replaced */
	fresh();
	t.s.dr7 = 0x400 | DR7_GD;
	t.s.dr6 = DR6_ALL1 | 0x4003; /* BS sticky, B0 B1 replaced */
	code("90 0f 21 c0" /* nop; mov rax, dr0 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 1);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_BD | DR6_BS);
	CHECK_EQ(t.s.dr7, 0x400);
	CHECK(!(frame_flags() & RFLAGS_RF));
	/* ... for writes too, and #UD (DR4 with DE) comes before it */
	fresh();
	t.s.dr7 = 0x400 | DR7_GD;
	t.s.cr4 |= CR4_DE;
	code("0f 23 e0" /* mov dr4, rax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 6);
}

static void exec_breakpoints(void)
{
	/* a fault before the third instruction of a straight run (a decoded block) */
	fresh();
	t.s.dr[2] = TV_CODE + 4;
	t.s.dr7 = 0x400 | L(2);
	code("ff c0 ff c0 ff c0 ff c0" /* inc eax x4 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 4);
	CHECK_EQ(R(RAX), 2);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(2));
	CHECK(!(frame_flags() & RFLAGS_RF)); /* the handler sets RF to go on */
	/* ... on the block's last instruction (the HLT after them) */
	fresh();
	t.s.dr[1] = TV_CODE + 4;
	t.s.dr7 = 0x400 | L(1);
	code("ff c0 ff c0");
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 4);
	CHECK_EQ(R(RAX), 2);
	/* the same with step(): the step is the #DB's delivery */
	fresh();
	t.s.dr[2] = TV_CODE + 2;
	t.s.dr7 = 0x400 | L(2);
	code("ff c0 ff c0");
	CHECK_EQ(tv_steps(&t, 2), RAX_EXIT_STEP);
	CHECK_EQ(t.s.rip, TV_HANDLERS + 16);
	CHECK_EQ(R(RAX), 1);
	/* set by MOV DR7 in the same decoded block as the breakpoint */
	fresh();
	code("48 c7 c0 14 00 10 00 0f 23 c0 b8 01 04 00 00 0f 23 f8 ff c1 ff c1"
	     /* mov rax, TV_CODE+20; mov dr0, rax; mov eax, 0x401; mov dr7, rax; inc ecx; inc ecx */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 20);
	CHECK_EQ(R(RCX), 1);
	/* RF=1 suppresses it for one instruction */
	fresh();
	t.s.dr[0] = TV_CODE;
	t.s.dr7 = 0x400 | L(0);
	t.s.rflags |= RFLAGS_RF;
	code("ff c0 ff c0");
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), -1);
	CHECK_EQ(R(RAX), 2);
	CHECK(!(t.s.rflags & RFLAGS_RF));
	/* a global enable (G0) works as L0; a data slot at the same address does not fire on fetch */
	fresh();
	t.s.dr[0] = TV_CODE + 2;
	t.s.dr[1] = TV_CODE + 2;
	t.s.dr7 = 0x400 | (2ull << 0) | L(1) | RW(1, 3);
	code("ff c0 ff c0");
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(0));
	/* a disabled slot: nothing */
	fresh();
	t.s.dr[0] = TV_CODE + 2;
	t.s.dr7 = 0x400;
	code("ff c0 ff c0");
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), -1);
	/* before a fetch fault: a breakpoint on a jump target that is not mapped */
	fresh();
	t.s.dr[3] = 0x40000000;
	t.s.dr7 = 0x400 | L(3);
	code("b8 00 00 00 40 ff e0" /* mov eax, 0x40000000; jmp rax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), 0x40000000);
}

static void data_breakpoints(void)
{
	/* write slot, LEN 4 with DR1 misaligned: covers TV_DATA+4..7 */
	fresh();
	t.s.dr[1] = TV_DATA + 5;
	t.s.dr7 = 0x400 | L(1) | RW(1, 1) | LEN(1, 3);
	code("bb 00 00 40 00 8b 43 04 66 89 43 02 66 89 43 06 ff c0"
	     /* mov ebx, TV_DATA; mov eax, [rbx+4]; mov [rbx+2], ax; mov [rbx+6], ax; inc eax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 16); /* trap: after the write to +6, before inc */
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(1));
	CHECK(!(frame_flags() & RFLAGS_RF));
	/* read/write slot, LEN 8 (10b), a read hits; an unaligned qword touching it too */
	fresh();
	t.s.dr[0] = TV_DATA + 0x13;
	t.s.dr7 = 0x400 | L(0) | RW(0, 3) | LEN(0, 2);
	code("bb 00 00 40 00 8b 43 08 8b 43 0e ff c0" /* mov eax, [rbx+8]; mov eax, [rbx+0xe]; inc eax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 11);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(0));
	/* a matching disabled slot sets no bit; two enabled matches set both */
	fresh();
	t.s.dr[0] = TV_DATA;
	t.s.dr[1] = TV_DATA;
	t.s.dr[2] = TV_DATA;
	t.s.dr7 = 0x400 | L(1) | RW(0, 1) | RW(1, 1) | L(2) | RW(2, 3);
	code("bb 00 00 40 00 88 03" /* mov [rbx], al */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(1) | DR6_B(2));
	/* the faulting instruction's accesses do not count: push to a read-only... use a #GP after a read */
	fresh();
	t.s.dr[0] = TV_DATA;
	t.s.dr7 = 0x400 | L(0) | RW(0, 3);
	tv_w64(&t, TV_DATA, 0x8000000000000000ull); /* a non-canonical target */
	code("bb 00 00 40 00 ff 23" /* jmp [rbx]: reads, then #GP on the target */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 13);
	CHECK_EQ(t.s.dr6, DR6_ALL1);
	/* single-step and a data breakpoint in one #DB */
	fresh();
	t.s.dr[0] = TV_DATA;
	t.s.dr7 = 0x400 | L(0) | RW(0, 1);
	t.s.rflags |= RFLAGS_TF;
	code("bb 00 00 40 00 89 03" /* mov ebx, TV_DATA (trap: BS); mov [rbx], eax */);
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_BS);
	t.s.rip = TV_CODE + 5;
	t.s.rflags |= RFLAGS_TF;
	t.s.gpr[RAX_REG_RSP] = TV_STACK;
	t.s.dr6 = DR6_ALL1;
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(t.s.rip, TV_HANDLERS + 16);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_BS | DR6_B(0));
	/* REP MOVSB: the trap comes after the iteration that wrote the byte */
	fresh();
	t.s.dr[3] = TV_DATA + 0x105;
	t.s.dr7 = 0x400 | L(3) | RW(3, 1);
	code("be 00 00 40 00 bf 00 01 40 00 b9 10 00 00 00 f3 a4"
	     /* mov esi, TV_DATA; mov edi, TV_DATA+0x100; mov ecx, 16; rep movsb */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 15); /* still on the REP: iterations left */
	CHECK_EQ(R(RCX), 10);
	CHECK_EQ(R(RDI), TV_DATA + 0x106);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(3));
	/* ... on the last iteration RIP moves on */
	fresh();
	t.s.dr[3] = TV_DATA + 0x10f;
	t.s.dr7 = 0x400 | L(3) | RW(3, 1);
	code("be 00 00 40 00 bf 00 01 40 00 b9 10 00 00 00 f3 a4");
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 17);
	CHECK_EQ(R(RCX), 0);
	/* the event's own stack writes: INT n pushing onto a watched stack -> #DB at the handler */
	fresh();
	t.s.dr[0] = TV_STACK - 8;
	t.s.dr7 = 0x400 | L(0) | RW(0, 1) | LEN(0, 2);
	code("cd 80" /* int 0x80 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_HANDLERS + 0x80 * 16);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(0));
}

/* Outside 64-bit mode: breakpoints on linear addresses (segment base added) */
static void legacy_mode(void)
{
	tv_free(&t);
	tv_init32(&t);
	t.s.dr[0] = 0x10100; /* SEL_BASE64K's base + 0x100 */
	t.s.dr[1] = TV_CODE + 15;
	t.s.dr7 = 0x400 | L(0) | RW(0, 1) | LEN(0, 3) | L(1);
	code("66 b8 80 00 8e c0 a3 00 01 00 00 26 a3 00 01 00 00 90"
	     /* mov ax, SEL_BASE64K; mov es, ax; mov [0x100], eax; mov [es:0x100], eax; nop */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(tv_r32(&t, t.s.gpr[RAX_REG_RSP] & 0xffffffff), TV_CODE + 17);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(0));
	/* an execution breakpoint at CS base + EIP */
	tv_free(&t);
	tv_init32(&t);
	t.s.dr[1] = TV_CODE + 2;
	t.s.dr7 = 0x400 | L(1);
	code("40 40 40" /* inc eax x3 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 2);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(1));
}

static void io_breakpoints(void)
{
	/* R/W=10 with CR4.DE: OUT to a covered port (LEN 2 at 0x80: 0x80-0x81) */
	fresh();
	t.s.cr4 |= CR4_DE;
	t.s.dr[2] = 0x81;
	t.s.dr7 = 0x400 | L(2) | RW(2, 2) | LEN(2, 1);
	code("e6 70 e6 80 ff c0" /* out 0x70, al; out 0x80, al; inc eax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 4);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(2));
	/* IN through DX */
	fresh();
	t.s.cr4 |= CR4_DE;
	t.s.dr[0] = 0x1234;
	t.s.dr7 = 0x400 | L(0) | RW(0, 2);
	code("66 ba 34 12 ec 90" /* mov dx, 0x1234; in al, dx; nop */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 5);
	/* without CR4.DE the encoding is undefined: no breakpoint */
	fresh();
	t.s.dr[2] = 0x80;
	t.s.dr7 = 0x400 | L(2) | RW(2, 2);
	code("e6 80 ff c0");
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), -1);
	/* ... until MOV CR4 sets DE */
	fresh();
	t.s.dr[2] = 0x80;
	t.s.dr7 = 0x400 | L(2) | RW(2, 2);
	code("0f 20 e0 48 83 c8 08 0f 22 e0 e6 80 90" /* mov rax, cr4; or rax, 8; mov cr4, rax; out 0x80, al; nop */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 12);
}

static void single_step(void)
{
	/* POPF setting TF: the trap follows the instruction after POPF */
	fresh();
	code("9c 48 81 0c 24 00 01 00 00 9d ff c0 ff c0"
	     /* pushf; or qword [rsp], 0x100; popf; inc eax; inc eax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 12);
	CHECK_EQ(R(RAX), 1);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_BS);
	/* POPF clearing TF: the trap follows the POPF itself */
	fresh();
	t.s.rflags |= RFLAGS_TF;
	code("6a 02 9d ff c0" /* push 2; popf; inc eax */);
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP); /* push: trap */
	CHECK_EQ(t.s.rip, TV_HANDLERS + 16);
	t.s.gpr[RAX_REG_RSP] = TV_STACK - 8; /* drop the #DB frame, keep the pushed 2 */
	t.s.rip = TV_CODE + 2;
	t.s.rflags |= RFLAGS_TF;
	t.s.dr6 = DR6_ALL1;
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(t.s.rip, TV_HANDLERS + 16);
	CHECK_EQ(frame_rip(), TV_CODE + 3);
	CHECK(!(frame_flags() & RFLAGS_TF));
	/* INT n with TF: the handler runs untraced (TF cleared), no #DB after INT */
	fresh();
	t.s.rflags |= RFLAGS_TF;
	code("cd 80");
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 0x80);
	CHECK(tv_r64(&t, R(RSP) + 16) & RFLAGS_TF);
	/* SYSCALL with TF masked by SFMASK: no trap at the entry point */
	fresh();
	t.s.star = (uint64_t)SEL_KCODE << 32;
	t.s.lstar = TV_CODE + 0x100;
	t.s.sfmask = RFLAGS_TF;
	t.s.rflags |= RFLAGS_TF;
	tv_ptr(&t, TV_CODE + 0x100)[0] = 0xff; /* inc eax; hlt */
	tv_ptr(&t, TV_CODE + 0x101)[0] = 0xc0;
	tv_ptr(&t, TV_CODE + 0x102)[0] = 0xf4;
	code("0f 05");
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.rip, TV_CODE + 0x103);
	CHECK_EQ(R(RAX), 1);
	CHECK_EQ(t.s.dr6, DR6_ALL1);
	/* ... and with TF left set: the trap after SYSCALL, at the entry point */
	fresh();
	t.s.star = (uint64_t)SEL_KCODE << 32;
	t.s.lstar = TV_CODE + 0x100;
	t.s.rflags |= RFLAGS_TF;
	code("0f 05");
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 0x100);
}

static void mov_ss_shadow(void)
{
	/* TF: no trap after MOV SS; one #DB after the next instruction */
	fresh();
	t.s.rflags |= RFLAGS_TF;
	code("b8 10 00 00 00 8e d0 ff c1 ff c2" /* mov eax, 0x10; mov ss, eax; inc ecx; inc edx */);
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP);
	CHECK_EQ(t.s.rip, TV_HANDLERS + 16);
	t.s.gpr[RAX_REG_RSP] = TV_STACK;
	t.s.rip = TV_CODE + 5;
	t.s.rflags |= RFLAGS_TF;
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP); /* mov ss: held back */
	CHECK_EQ(t.s.rip, TV_CODE + 7);
	CHECK_EQ(tv_steps(&t, 1), RAX_EXIT_STEP); /* inc ecx, then the #DB */
	CHECK_EQ(t.s.rip, TV_HANDLERS + 16);
	CHECK_EQ(frame_rip(), TV_CODE + 9);
	CHECK_EQ(R(RCX), 1);
	/* a data breakpoint on MOV SS's operand followed by INT n: the #DB
	 * arrives at the handler's first instruction (CVE-2018-8897) */
	fresh();
	tv_w64(&t, TV_DATA, SEL_KDATA);
	t.s.dr[0] = TV_DATA;
	t.s.dr7 = 0x400 | L(0) | RW(0, 3) | LEN(0, 1);
	code("bb 00 00 40 00 8e 13 cd 80" /* mov ss, [rbx]; int 0x80 */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_HANDLERS + 0x80 * 16);
	CHECK_EQ(t.s.dr6, DR6_ALL1 | DR6_B(0));
	/* a data breakpoint hit by the instruction in the shadow: after it, as usual */
	fresh();
	t.s.dr[0] = TV_DATA;
	t.s.dr7 = 0x400 | L(0) | RW(0, 1);
	code("bb 00 00 40 00 b8 10 00 00 00 8e d0 89 03 ff c0" /* mov eax, 0x10; mov ss, eax; mov [rbx], eax; inc eax */);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 14);
	/* an instruction breakpoint in the shadow is not taken */
	fresh();
	t.s.dr[1] = TV_CODE + 7;
	t.s.dr7 = 0x400 | L(1);
	code("b8 10 00 00 00 8e d0 ff c1 ff c2");
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), -1);
	CHECK_EQ(R(RCX), 1);
}

static void host_slots(void)
{
	struct emu_dbg_stop st;
	/* a host write watchpoint (3 bytes, any alignment): stop after the write, guest sees nothing */
	fresh();
	code("bb 00 00 40 00 89 43 0c 88 43 11 89 43 0f ff c0 ff c0"
	     /* mov [rbx+12], eax; mov [rbx+0x11], al; mov [rbx+0xf], eax; inc eax; inc eax */);
	CHECK_EQ(emu_dbg_host_add(&t.vm, EMU_BP_WRITE, TV_DATA + 0x10, 3), 0);
	CHECK_EQ(tv_run(&t), RAX_EXIT_DEBUG);
	CHECK_EQ(t.s.rip, TV_CODE + 11);
	CHECK(emu_dbg_last_stop(&t.vm, &st));
	CHECK_EQ(st.slot, 0);
	CHECK_EQ(st.kind, EMU_BP_WRITE);
	CHECK_EQ(st.addr, TV_DATA + 0x10);
	CHECK_EQ(st.access, TV_DATA + 0x11);
	CHECK_EQ(t.ex.why, RAX_DEBUG_WATCH); /* what the gdb stub reports */
	CHECK_EQ(t.ex.watch_addr, TV_DATA + 0x10);
	CHECK_EQ(t.ex.watch_kind, RAX_WP_WRITE);
	CHECK_EQ(t.s.dr6, DR6_ALL1);
	CHECK_EQ(tv_run(&t), RAX_EXIT_DEBUG); /* the next write (+0xf..0x12) */
	CHECK_EQ(t.s.rip, TV_CODE + 14);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(R(RAX), 2);
	CHECK(!emu_dbg_last_stop(&t.vm, &st));
	/* read watchpoint: a read stops, a write does not; remove */
	fresh();
	code("bb 00 00 40 00 89 03 8b 0b ff c0" /* mov [rbx], eax; mov ecx, [rbx]; inc eax */);
	CHECK_EQ(emu_dbg_host_add(&t.vm, EMU_BP_READ, TV_DATA, 1), 0);
	CHECK_EQ(tv_run(&t), RAX_EXIT_DEBUG);
	CHECK_EQ(t.s.rip, TV_CODE + 9);
	CHECK_EQ(emu_dbg_host_remove(&t.vm, EMU_BP_READ, TV_DATA, 1), 0);
	CHECK_EQ(emu_dbg_host_remove(&t.vm, EMU_BP_READ, TV_DATA, 1), -1);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	/* execution: stop before it, resume runs it */
	fresh();
	code("ff c0 ff c0 ff c0");
	CHECK_EQ(emu_dbg_host_add(&t.vm, EMU_BP_EXEC, TV_CODE + 2, 1), 0);
	CHECK_EQ(tv_run(&t), RAX_EXIT_DEBUG);
	CHECK_EQ(t.s.rip, TV_CODE + 2);
	CHECK_EQ(R(RAX), 1);
	CHECK(emu_dbg_last_stop(&t.vm, &st));
	CHECK_EQ(st.kind, EMU_BP_EXEC);
	CHECK_EQ(t.ex.why, RAX_DEBUG_BREAK);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(R(RAX), 3);
	/* a guest breakpoint and a host watchpoint on one instruction: the host
	 * stops first, the guest's #DB comes when it runs on */
	fresh();
	t.s.dr[0] = TV_DATA;
	t.s.dr7 = 0x400 | L(0) | RW(0, 1);
	code("bb 00 00 40 00 89 03 ff c0" /* mov [rbx], eax; inc eax */);
	CHECK_EQ(emu_dbg_host_add(&t.vm, EMU_BP_ACCESS, TV_DATA, 4), 0);
	CHECK_EQ(tv_run(&t), RAX_EXIT_DEBUG);
	CHECK_EQ(t.s.rip, TV_CODE + 7);
	emu_dbg_host_clear(&t.vm);
	tv_run(&t);
	CHECK_EQ(tv_vector(&t), 1);
	CHECK_EQ(frame_rip(), TV_CODE + 7);
	CHECK_EQ(R(RAX), 0);
	/* full */
	fresh();
	for (int i = 0; i < EMU_DBG_HOST_SLOTS; i++)
		CHECK_EQ(emu_dbg_host_add(&t.vm, EMU_BP_IO, 0x80, 1), i);
	CHECK_EQ(emu_dbg_host_add(&t.vm, EMU_BP_IO, 0x80, 1), -1);
	CHECK_EQ(emu_dbg_host_add(&t.vm, EMU_BP_WRITE, 0, 0), -1);
}

int main(void)
{
	tv_init(&t);
	mov_dr_rules();
	exec_breakpoints();
	data_breakpoints();
	io_breakpoints();
	legacy_mode();
	single_step();
	mov_ss_shadow();
	host_slots();
	tv_free(&t);
	return unit_finish("test_emu_debug");
}
