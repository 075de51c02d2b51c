/*
 * test_emu_exec.c - execution tests: flags of the arithmetic, logic, shift,
 * multiply and divide families, data movement, string instructions with REP,
 * control flow; plus a short throughput measurement printed in MIPS.
 */
#include <stdio.h>
#include <time.h>

#include "test_emu_util.h"
#include "unit.h"

#define ST (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)
#define CF RFLAGS_CF
#define PF RFLAGS_PF
#define AF RFLAGS_AF
#define ZF RFLAGS_ZF
#define SF RFLAGS_SF
#define OF RFLAGS_OF

static struct tvm t;

/* Fresh VM, code + HLT at TV_CODE, run to the HLT. */
static void run(const char *hex)
{
	uint8_t b[512];
	size_t n = unit_hex(hex, b);
	b[n++] = 0xf4;
	tv_free(&t);
	tv_init(&t);
	tv_code(&t, b, n);
	enum rax_exit_kind k = tv_run(&t);
	if (k != RAX_EXIT_HLT || t.s.rip != TV_CODE + n) {
		fprintf(stderr, "run(%s): exit %d at rip 0x%llx (%s)\n", hex, k, (unsigned long long)t.s.rip,
			t.ex.detail);
		unit_fail++;
	}
}

#define R(i) t.s.gpr[RAX_REG_##i]
#define FLAGS(mask, want) CHECK_EQ(t.s.rflags &(mask), (want))

int main(void)
{
	tv_init(&t);

	/* ---- arithmetic flags ---- */
	run("48 b8 ff ff ff ff ff ff ff 7f 48 83 c0 01" /* mov rax, 0x7fffffffffffffff; add rax, 1 */);
	CHECK_EQ(R(RAX), 0x8000000000000000ull);
	FLAGS(ST, OF | SF | AF | PF);
	run("31 c0 83 e8 01" /* xor eax, eax; sub eax, 1 */);
	CHECK_EQ(R(RAX), 0xffffffffull);
	FLAGS(ST, CF | SF | AF | PF);
	run("f9 b0 ff 14 00" /* stc; mov al, 0xff; adc al, 0 */);
	CHECK_EQ(R(RAX) & 0xff, 0);
	FLAGS(ST, CF | ZF | AF | PF);
	run("f9 b0 00 1c 00" /* stc; mov al, 0; sbb al, 0 */);
	CHECK_EQ(R(RAX) & 0xff, 0xff);
	FLAGS(ST, CF | SF | AF | PF);
	run("b0 7f 04 01" /* mov al, 0x7f; add al, 1 */);
	FLAGS(ST, OF | SF | AF);
	run("66 b8 00 80 66 83 e8 01" /* mov ax, 0x8000; sub ax, 1 */);
	CHECK_EQ(R(RAX) & 0xffff, 0x7fff);
	FLAGS(ST, OF | AF | PF);
	run("f9 48 c7 c0 ff ff ff ff 48 ff c0" /* stc; mov rax, -1; inc rax */);
	CHECK_EQ(R(RAX), 0);
	FLAGS(ST, CF | ZF | AF | PF);
	run("f8 b0 80 fe c8" /* clc; mov al, 0x80; dec al */);
	CHECK_EQ(R(RAX) & 0xff, 0x7f);
	FLAGS(ST, OF | AF);
	run("b8 00 00 00 80 f7 d8" /* mov eax, 0x80000000; neg eax */);
	CHECK_EQ(R(RAX), 0x80000000ull);
	FLAGS(ST, OF | CF | SF | PF);
	run("31 c9 f7 d9" /* xor ecx, ecx; neg ecx */);
	FLAGS(ST, ZF | PF);
	run("48 c7 c0 05 00 00 00 48 83 f8 07" /* mov rax, 5; cmp rax, 7 */);
	FLAGS(ST, CF | SF | AF);
	run("bb 78 56 34 12 48 c7 c0 ff ff ff ff 89 d8 83 d0 00" /* mov ebx, 0x12345678; mov rax, -1; mov eax, ebx; adc eax, 0 */);
	CHECK_EQ(R(RAX), 0x12345678ull);

	/* ---- logic ---- */
	run("f9 48 c7 c0 f0 00 00 00 48 83 e0 0f" /* stc; mov rax, 0xf0; and rax, 0x0f */);
	FLAGS(ST, ZF | PF);
	run("b8 80 00 00 00 0c 01 48 f7 d0" /* mov eax, 0x80; or al, 1; not rax */);
	CHECK_EQ(R(RAX), ~0x81ull);
	run("48 c7 c0 ff ff ff ff 85 c0" /* mov rax, -1; test eax, eax */);
	FLAGS(ST, SF | PF);

	/* ---- shifts and rotates ---- */
	run("b0 81 d0 e0" /* mov al, 0x81; shl al, 1 */);
	CHECK_EQ(R(RAX) & 0xff, 2);
	FLAGS(CF | OF | ZF | SF, CF | OF);
	run("b0 81 d0 f8" /* mov al, 0x81; sar al, 1 */);
	CHECK_EQ(R(RAX) & 0xff, 0xc0);
	FLAGS(CF | OF | SF, CF | SF);
	run("b0 81 d0 e8" /* mov al, 0x81; shr al, 1 */);
	CHECK_EQ(R(RAX) & 0xff, 0x40);
	FLAGS(CF | OF, CF | OF);
	run("b0 81 d0 c0" /* mov al, 0x81; rol al, 1 */);
	CHECK_EQ(R(RAX) & 0xff, 3);
	FLAGS(CF | OF, CF | OF);
	run("b0 81 d0 c8" /* mov al, 0x81; ror al, 1 */);
	CHECK_EQ(R(RAX) & 0xff, 0xc0);
	FLAGS(CF | OF, CF);
	run("f9 b0 01 d0 d8" /* stc; mov al, 1; rcr al, 1 */);
	CHECK_EQ(R(RAX) & 0xff, 0x80);
	FLAGS(CF | OF, CF | OF);
	run("f8 b0 80 d0 d0" /* clc; mov al, 0x80; rcl al, 1 */);
	CHECK_EQ(R(RAX) & 0xff, 0);
	FLAGS(CF | OF, CF | OF);
	/* count 0 leaves flags alone; count masked to 5 bits */
	run("48 c7 c3 01 00 00 00 48 83 fb 02 48 c7 c0 10 00 00 00 48 c1 e8 00" /* mov rbx, 1; cmp rbx, 2; mov rax, 0x10; shr rax, 0 */);
	FLAGS(ST, CF | SF | AF | PF);
	CHECK_EQ(R(RAX), 0x10);
	run("b1 21 b8 01 00 00 00 d3 e0" /* mov cl, 33; mov eax, 1; shl eax, cl */);
	CHECK_EQ(R(RAX), 2);
	run("b1 40 48 c7 c0 01 00 00 00 48 d3 e0" /* mov cl, 64; mov rax, 1; shl rax, cl */);
	CHECK_EQ(R(RAX), 1);
	run("48 b8 01 00 00 00 00 00 00 80 b1 04 48 d3 c0" /* mov rax, 0x8000000000000001; mov cl, 4; rol rax, cl */);
	CHECK_EQ(R(RAX), 0x18);
	run("66 b8 34 12 66 bb cd ab 66 0f a4 d8 04" /* mov ax, 0x1234; mov bx, 0xabcd; shld ax, bx, 4 */);
	CHECK_EQ(R(RAX) & 0xffff, 0x234a);
	run("b8 78 56 34 12 bb 01 ef cd ab 0f ac d8 08" /* mov eax, 0x12345678; mov ebx, 0xabcdef01; shrd eax, ebx, 8 */);
	CHECK_EQ(R(RAX), 0x01123456);
	FLAGS(CF, 0);
	run("48 b8 00 00 00 00 00 00 00 80 48 c1 f8 3f" /* mov rax, 0x8000000000000000; sar rax, 63 */);
	CHECK_EQ(R(RAX), ~0ull);

	/* ---- multiply / divide ---- */
	run("48 c7 c0 ff ff ff ff 48 c7 c3 02 00 00 00 48 f7 e3" /* mov rax, -1; mov rbx, 2; mul rbx */);
	CHECK_EQ(R(RAX), (uint64_t)-2);
	CHECK_EQ(R(RDX), 1);
	FLAGS(CF | OF, CF | OF);
	run("48 c7 c3 05 00 00 00 48 6b c3 fd" /* mov rbx, 5; imul rax, rbx, -3 */);
	CHECK_EQ(R(RAX), (uint64_t)-15);
	FLAGS(CF | OF, 0);
	run("b8 00 00 01 00 0f af c0" /* mov eax, 0x10000; imul eax, eax */);
	CHECK_EQ(R(RAX), 0);
	FLAGS(CF | OF, CF | OF);
	run("b0 80 b3 02 f6 eb" /* mov al, 0x80; mov bl, 2; imul bl */);
	CHECK_EQ(R(RAX) & 0xffff, 0xff00);
	FLAGS(CF | OF, CF | OF);
	run("48 c7 c0 f9 ff ff ff 48 99 48 c7 c1 02 00 00 00 48 f7 f9" /* mov rax, -7; cqo; mov rcx, 2; idiv rcx */);
	CHECK_EQ(R(RAX), (uint64_t)-3);
	CHECK_EQ(R(RDX), (uint64_t)-1);
	run("ba 00 00 00 00 b8 64 00 00 00 b9 07 00 00 00 f7 f1" /* mov edx, 0; mov eax, 100; mov ecx, 7; div ecx */);
	CHECK_EQ(R(RAX), 14);
	CHECK_EQ(R(RDX), 2);
	run("66 b8 e8 03 b3 0a f6 f3" /* mov ax, 1000; mov bl, 10; div bl */);
	CHECK_EQ(R(RAX) & 0xffff, 100);

	/* ---- data movement ---- */
	run("48 c7 c0 ff ff ff ff bb 01 00 00 00 83 fb 02 0f 44 c3" /* mov rax, -1; mov ebx, 1; cmp ebx, 2; cmovz eax, ebx */);
	CHECK_EQ(R(RAX), 0xffffffffull); /* false 32-bit CMOV still zero-extends */
	run("48 b8 88 77 66 55 44 33 22 11 48 0f c8 0f be c8 0f b7 d0 48 63 f1" /* mov rax, 0x1122334455667788; bswap rax; movsx ecx, al; movzx edx, ax; movsxd rsi, ecx */);
	CHECK_EQ(R(RAX), 0x8877665544332211ull);
	CHECK_EQ(R(RCX), 0x11);
	CHECK_EQ(R(RDX), 0x2211);
	run("b8 80 00 00 00 66 98 98 48 98" /* mov eax, 0x80; cbw; cwde; cdqe */);
	CHECK_EQ(R(RAX), (uint64_t)-128);
	run("48 c7 c3 05 00 00 00 48 8d 44 9b 03 8d 0d 10 00 00 00" /* mov rbx, 5; lea rax, [rbx+rbx*4+3]; lea ecx, [rip+0x10] */);
	CHECK_EQ(R(RAX), 28);
	CHECK_EQ(R(RCX), TV_CODE + 7 + 5 + 6 + 0x10);
	run("48 c7 c0 07 00 00 00 48 c7 c3 09 00 00 00 48 93 48 c7 c1 03 00 00 00 48 0f c1 cb" /* mov rax, 7; mov rbx, 9; xchg rax, rbx; mov rcx, 3; xadd rbx, rcx */);
	CHECK_EQ(R(RAX), 9);
	CHECK_EQ(R(RBX), 10);
	CHECK_EQ(R(RCX), 7);
	run("bf 00 00 40 00 48 c7 07 05 00 00 00 48 c7 c0 05 00 00 00 48 c7 c3 09 00 00 00 f0 48 0f b1 1f 48 8b 17 48 0f b1 1f" /* mov edi, 0x400000; mov qword ptr [rdi], 5; mov rax, 5; mov rbx, 9; lock cmpxchg [rdi], rbx; mov rdx, [rdi]; cmpxchg [rdi], rbx */);
	CHECK_EQ(R(RDX), 9);
	CHECK_EQ(R(RAX), 9);
	FLAGS(ZF, 0);
	run("bf 00 00 40 00 48 c7 c0 41 00 00 00 48 c7 47 08 00 00 00 00 48 0f ab 07 48 8b 5f 08 48 c7 c0 ff ff ff ff 48 0f a3 47 10" /* mov edi, 0x400000; mov rax, 65; mov qword ptr [rdi+8], 0; bts [rdi], rax; mov rbx, [rdi+8]; mov rax, -1; bt [rdi+16], rax */);
	CHECK_EQ(R(RBX), 2);
	run("48 c7 c0 50 00 00 00 48 0f bc c8 48 0f bd d0 48 c7 c3 07 00 00 00 31 f6 48 0f bc de" /* mov rax, 0x50; bsf rcx, rax; bsr rdx, rax; mov rbx, 7; xor esi, esi; bsf rbx, rsi */);
	CHECK_EQ(R(RCX), 4);
	CHECK_EQ(R(RDX), 6);
	CHECK_EQ(R(RBX), 7);
	FLAGS(ZF, ZF);
	run("48 c7 c0 34 12 00 00 50 6a 55 5b 59 6a fe 5a" /* mov rax, 0x1234; push rax; push 0x55; pop rbx; pop rcx; push -2; pop rdx */);
	CHECK_EQ(R(RBX), 0x55);
	CHECK_EQ(R(RCX), 0x1234);
	CHECK_EQ(R(RDX), (uint64_t)-2);
	CHECK_EQ(R(RSP), TV_STACK);
	run("54 58 48 c7 c5 00 10 00 00 c8 20 00 00 c9" /* push rsp; pop rax; mov rbp, 0x1000; enter 0x20, 0; leave */);
	CHECK_EQ(R(RAX), TV_STACK);
	CHECK_EQ(R(RBP), 0x1000);
	CHECK_EQ(R(RSP), TV_STACK);
	run("f9 9c 58 b4 d5 9e 9f 0f 92 c3 0f 95 c1" /* stc; pushfq; pop rax; mov ah, 0xd5; sahf; lahf; setc bl; setnz cl */);
	CHECK_EQ(R(RAX) & 0xff, 0x03);
	CHECK_EQ(R(RBX) & 0xff, 1);
	CHECK_EQ(R(RCX) & 0xff, 0);
	run("bf 00 00 40 00 c7 07 44 33 22 11 a1 00 00 40 00 00 00 00 00 66 b8 10 00 8e d8 66 8c d8" /* mov edi, 0x400000; mov dword ptr [rdi], 0x11223344; movabs eax, [0x400000]; mov ax, 0x10; mov ds, ax; mov ax, ds */);
	CHECK_EQ(R(RAX) & 0xffff, 0x10);

	/* ---- strings ---- */
	run("bf 00 00 40 00 b8 ab 00 00 00 b9 64 00 00 00 f3 aa be 00 00 40 00 bf 00 10 40 00 b9 19 00 00 00 f3 a5 bf 00 10 40 00 b9 c8 00 00 00 b0 00 f2 ae" /* mov edi, 0x400000; mov eax, 0xab; mov ecx, 100; rep stosb; mov esi, 0x400000; mov edi, 0x401000; mov ecx, 25; rep movsd; mov edi, 0x401000; mov ecx, 200; mov al, 0; repne scasb */);
	CHECK_EQ(tv_ptr(&t, 0x401000)[99], 0xab);
	CHECK_EQ(tv_ptr(&t, 0x401000)[100], 0);
	CHECK_EQ(R(RCX), 99);
	CHECK_EQ(R(RDI), 0x401065);
	run("fd bf 10 00 40 00 48 c7 c0 11 11 00 00 b9 02 00 00 00 f3 48 ab fc" /* std; mov edi, 0x400010; mov rax, 0x1111; mov ecx, 2; rep stosq; cld */);
	CHECK_EQ(R(RDI), 0x400000);
	CHECK_EQ(tv_r64(&t, 0x400008), 0x1111);
	/* overlapping forward MOVSB replicates a byte */
	run("bf 00 00 40 00 c6 07 5a be 00 00 40 00 ff c7 b9 a0 0f 00 00 f3 a4" /* mov edi, 0x400000; mov byte ptr [rdi], 0x5a; mov esi, 0x400000; inc edi; mov ecx, 4000; rep movsb */);
	CHECK_EQ(tv_ptr(&t, 0x400000 + 3999)[0], 0x5a);
	CHECK_EQ(tv_ptr(&t, 0x400000 + 4000)[0], 0x5a);
	run("be 00 00 40 00 bf 00 10 40 00 c7 06 01 00 00 00 c7 07 01 00 00 00 b9 04 00 00 00 f3 a6" /* mov esi, 0x400000; mov edi, 0x401000; mov dword ptr [rsi], 1; mov dword ptr [rdi], 1; mov ecx, 4; repe cmpsb */);
	CHECK_EQ(R(RCX), 0);
	FLAGS(ZF, ZF);

	/* ---- control flow ---- */
	run("31 c0 b9 0a 00 00 00 01 c8 e2 fc" /* xor eax, eax; mov ecx, 10; 1: add eax, ecx; loop 1b */);
	CHECK_EQ(R(RAX), 55);
	run("e8 02 00 00 00 eb 05 48 8b 1c 24 c3 90" /* call 1f; jmp 2f; 1: mov rbx, [rsp]; ret; 2: nop */);
	CHECK_EQ(R(RBX), TV_CODE + 5);
	run("48 8d 05 08 00 00 00 ff e0 0f 0b 0f 0b 0f 0b bb 01 00 00 00" /* lea rax, [rip+8]; jmp rax; ud2; ud2; ud2; mov ebx, 1 */);
	CHECK_EQ(R(RBX), 1);
	run("31 c9 e3 05 bb 01 00 00 00 ba 02 00 00 00" /* xor ecx, ecx; jrcxz 1f; mov ebx, 1; 1: mov edx, 2 */);
	CHECK_EQ(R(RBX), 0);
	CHECK_EQ(R(RDX), 2);
	run("b9 05 00 00 00 31 c0 ff c0 83 f8 03 e0 f9" /* mov ecx, 5; xor eax, eax; 1: inc eax; cmp eax, 3; loopne 1b */);
	CHECK_EQ(R(RAX), 3);
	CHECK_EQ(R(RCX), 2);
	run("0f a2" /* cpuid */);
	CHECK_EQ(R(RBX), 0x68747541); /* "Auth" */
	run("0f 31 48 89 c3 0f 31" /* rdtsc; mov rbx, rax; rdtsc */);
	CHECK(R(RAX) > R(RBX));

	/* ---- the TLB: a mapping changed, then MOV CR3 (a flush), after few
	 * entries filled since the last flush (cleared one by one) and after
	 * many (all cleared at once) ---- */
	for (int many = 0; many < 2; many++) {
		uint8_t b[128];
		size_t n = 0;
		if (many) /* mov ecx, 600; mov esi, 0x600000; 1: mov rax, [rsi]; add rsi, 0x1000; dec ecx; jnz 1b */
			n = unit_hex("b9 58 02 00 00 be 00 00 60 00 48 8b 06 48 81 c6 00 10 00 00 ff c9 75 f2", b);
		/* mov edi, 0x20180000; mov rbx, [rdi]; mov eax, 0x200087; mov edx, TV_PD + 256 * 8;
		 * mov [rdx], rax; mov rax, cr3; mov cr3, rax; mov rcx, [rdi]; hlt */
		n += unit_hex(
			"bf 00 00 18 20 48 8b 1f b8 87 00 20 00 ba 00 38 00 00 48 89 02 0f 20 d8 0f 22 d8 48 8b 0f f4",
			b + n);
		tv_free(&t);
		tv_init(&t);
		tv_w64(&t, TV_PD + 256 * 8, 0x87); /* 0x20000000: physical 0, then 2 MiB */
		tv_w64(&t, 0x180000, 0x1111);
		tv_w64(&t, 0x380000, 0x2222);
		tv_code(&t, b, n);
		CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
		CHECK_EQ(R(RBX), 0x1111);
		CHECK_EQ(R(RCX), 0x2222);
	}

	/* ---- throughput ---- */
	{
		tv_free(&t);
		tv_init(&t);
		uint8_t b[64];
		size_t n = unit_hex(
			"b9 00 2d 31 01 48 01 c8 48 31 c3 ff c9 75 f6 f4" /* mov ecx, 20000000; 1: add rax, rcx; xor rbx, rax; dec ecx; jnz 1b; hlt */
			,
			b);
		tv_code(&t, b, n);
		struct timespec a, z;
		clock_gettime(CLOCK_MONOTONIC, &a);
		uint64_t i0 = emu_instruction_count(&t.vm);
		tv_run(&t);
		clock_gettime(CLOCK_MONOTONIC, &z);
		double sec = (double)(z.tv_sec - a.tv_sec) + (double)(z.tv_nsec - a.tv_nsec) * 1e-9;
		double insns = (double)(emu_instruction_count(&t.vm) - i0);
		printf("throughput: %.0f instructions in %.3f s = %.1f MIPS\n", insns, sec, insns / sec / 1e6);
		CHECK_EQ(t.ex.kind, RAX_EXIT_HLT);
	}
	tv_free(&t);
	return unit_finish("test_emu_exec");
}
