/*
 * x87_host.c - running guest x87 instructions on the host's x87 unit.
 *
 * RAX runs on x86-64 hosts only, and every x86-64 CPU has the x87 unit the
 * guest expects, so the exact answer to any x87 computation (rounding and
 * precision control, NaN propagation, denormals, exception flags, condition
 * codes, the transcendental approximations) is what the host computes for
 * the same instruction. The stub table below holds every D8-DF register
 * form as encoded and every memory form rewritten to address [rsi], each
 * followed by RET; the runners load operands into the host FPU, call a
 * stub and read the results back. Nothing here allocates or makes a system
 * call, and the host's own FCW, MXCSR and register stack are restored
 * before returning (the SysV ABI keeps FCW callee-saved and the x87 stack
 * empty at calls).
 *
 * The fast runners (op2/load/store) run with the exceptions the caller
 * asks for masked (it passes FCW | 0x3f) so that no host exception can be
 * pending when they read results with waiting stores. x87_host_exec runs
 * one instruction on a complete copy of the guest's x87 state (FXRSTOR,
 * stub, FXSAVE - neither of which waits), so unmasked exceptions, stack
 * faults and partial results come out exactly as the CPU leaves them.
 */
#include "emu/insn/x87.h"

#include <stddef.h>

_Static_assert(offsetof(struct x87_host_ctx, save) == 512, "x87_host_exec layout");
_Static_assert(offsetof(struct x87_host_ctx, mem) == 1024, "x87_host_exec layout");
_Static_assert(offsetof(struct x87_host_ctx, rflags) == 1032, "x87_host_exec layout");

/*
 * Stub table: for each opcode D8..DF, 8 memory forms (ModRM reg field r,
 * mod 00 rm 110 = [rsi]) then the 64 register forms C0..FF; 4 bytes each
 * (opcode, ModRM, RET, INT3). Only valid encodings are ever called.
 */
#define X87_STUBS_PER_OP 72

// clang-format off
__asm__(".text\n"
	".p2align 6\n"
	".globl rax_x87_stubs\n"
	".hidden rax_x87_stubs\n"
	"rax_x87_stubs:\n"
	".irp op, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf\n"
	".irp r, 0, 1, 2, 3, 4, 5, 6, 7\n"
	".byte \\op, (\\r << 3) | 6, 0xc3, 0xcc\n"
	".endr\n"
	".irp r, 0, 1, 2, 3, 4, 5, 6, 7\n"
	".irp i, 0, 1, 2, 3, 4, 5, 6, 7\n"
	".byte \\op, 0xc0 | (\\r << 3) | \\i, 0xc3, 0xcc\n"
	".endr\n"
	".endr\n"
	".endr\n");
// clang-format on

extern const uint8_t rax_x87_stubs[] __attribute__((visibility("hidden")));

const void *x87_stub_reg(unsigned op, unsigned modrm)
{
	return rax_x87_stubs + 4 * ((op - 0xd8) * X87_STUBS_PER_OP + 8 + (modrm & 0x3f));
}

const void *x87_stub_mem(unsigned op, unsigned reg)
{
	return rax_x87_stubs + 4 * ((op - 0xd8) * X87_STUBS_PER_OP + (reg & 7));
}

/*
 * uint16_t x87_host_op2(stub %rdi, cw %si, a %rdx, b %rcx, mem %r8)
 * uint16_t x87_host_load(stub %rdi, cw %si, out %rdx, mem %rcx)
 * uint16_t x87_host_store(stub %rdi, cw %si, a %rdx, mem %rcx)
 * void x87_host_exec(ctx %rdi, stub %rsi)
 */
// clang-format off
__asm__(".text\n"
	".p2align 4\n"
	".globl x87_host_op2\n"
	".hidden x87_host_op2\n"
	".type x87_host_op2, @function\n"
	"x87_host_op2:\n"
	"	sub $24, %rsp\n"
	"	fnstcw (%rsp)\n"
	"	mov %si, 8(%rsp)\n"
	"	fldcw 8(%rsp)\n"
	"	fldt (%rcx)\n"
	"	fldt (%rdx)\n"
	"	fnclex\n"
	"	mov %rdi, %rax\n"
	"	mov %r8, %rsi\n"
	"	call *%rax\n"
	"	fnstsw %ax\n"
	"	fstpt (%rdx)\n"
	"	fstpt (%rcx)\n"
	"	fldcw (%rsp)\n"
	"	add $24, %rsp\n"
	"	movzwl %ax, %eax\n"
	"	ret\n"
	".size x87_host_op2, . - x87_host_op2\n"

	".p2align 4\n"
	".globl x87_host_load\n"
	".hidden x87_host_load\n"
	".type x87_host_load, @function\n"
	"x87_host_load:\n"
	"	sub $24, %rsp\n"
	"	fnstcw (%rsp)\n"
	"	mov %si, 8(%rsp)\n"
	"	fldcw 8(%rsp)\n"
	"	fnclex\n"
	"	mov %rdi, %rax\n"
	"	mov %rcx, %rsi\n"
	"	call *%rax\n"
	"	fnstsw %ax\n"
	"	fstpt (%rdx)\n"
	"	fldcw (%rsp)\n"
	"	add $24, %rsp\n"
	"	movzwl %ax, %eax\n"
	"	ret\n"
	".size x87_host_load, . - x87_host_load\n"

	".p2align 4\n"
	".globl x87_host_store\n"
	".hidden x87_host_store\n"
	".type x87_host_store, @function\n"
	"x87_host_store:\n"
	"	sub $24, %rsp\n"
	"	fnstcw (%rsp)\n"
	"	mov %si, 8(%rsp)\n"
	"	fldcw 8(%rsp)\n"
	"	fldt (%rdx)\n"
	"	fnclex\n"
	"	mov %rdi, %rax\n"
	"	mov %rcx, %rsi\n"
	"	call *%rax\n"
	"	fnstsw %ax\n"
	"	fldcw (%rsp)\n"
	"	add $24, %rsp\n"
	"	movzwl %ax, %eax\n"
	"	ret\n"
	".size x87_host_store, . - x87_host_store\n"

	".p2align 4\n"
	".globl x87_host_exec\n"
	".hidden x87_host_exec\n"
	".type x87_host_exec, @function\n"
	"x87_host_exec:\n"
	"	fxsave64 512(%rdi)\n"
	"	mov 536(%rdi), %eax\n"   /* the host's MXCSR into the image */
	"	mov %eax, 24(%rdi)\n"
	"	fxrstor64 (%rdi)\n"
	"	push %rdi\n"
	"	pushfq\n"
	"	pop %rcx\n"
	"	and $~0x8d5, %rcx\n"     /* status flags CF PF AF ZF SF OF from ctx */
	"	mov 1032(%rdi), %rdx\n"
	"	and $0x8d5, %rdx\n"
	"	or %rdx, %rcx\n"
	"	mov %rsi, %rax\n"
	"	mov 1024(%rdi), %rsi\n"
	"	push %rcx\n"
	"	popfq\n"
	"	call *%rax\n"
	"	pushfq\n"
	"	pop %rcx\n"
	"	pop %rdi\n"
	"	mov %rcx, 1032(%rdi)\n"
	"	fxsave64 (%rdi)\n"
	"	fxrstor64 512(%rdi)\n"
	"	ret\n"
	".size x87_host_exec, . - x87_host_exec\n");
// clang-format on
