; t_muldiv.asm - MUL, IMUL (one, two and three operands), DIV, IDIV, and
; #DE for a zero divisor and for a quotient that does not fit (CPL3; the
; faults are caught through the runtime's catch block). MUL/IMUL define
; only CF=OF (result did not fit the low half); DIV/IDIV define no flags.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END

%define CO (FL_CF | FL_OF)

; MD name, rax0, rdx0, rbx0, {insn}, rax, rdx [, CF/OF expected]
%macro MD 7-8 -1
	mov rax, %2
	mov rdx, %3
	mov rbx, %4
	%5
	pushfq
	pop r8
	and r8, CO
	CHECK_EQ rax, %6, {%1, " rax"}
	%if %8 != -1
	CHECK_EQ r8, %8, {%1, " CF/OF"}
	%endif
	push rcx
	mov rcx, %7
	cmp rdx, rcx                            ; (compare without CHECK_EQ's rdx rule)
	pop rcx
	CHECK_FLAGS FL_ZF, FL_ZF, {%1, " rdx"}
%endmacro

	; MUL
	MD "mul8", 0xffffffffffffff80, 0, 2, {mul bl}, 0xffffffffffff0100, 0, CO
	MD "mul8 fits", 3, 0, 4, {mul bl}, 12, 0, 0
	MD "mul16", 0x8000, 0x1111111111111111, 4, {mul bx}, 0, 0x1111111111110002, CO
	MD "mul32", 0xffffffff, 0x5555555555555555, 0xffffffff, {mul ebx}, 1, 0xfffffffe, CO
	MD "mul64", -1, 0, 2, {mul rbx}, 0xfffffffffffffffe, 1, CO

	; IMUL, one operand
	MD "imul8 -128*-1", 0x80, 0, 0xff, {imul bl}, 0x0080, 0, CO
	MD "imul8 -2*3", 0xfe, 0, 3, {imul bl}, 0xfffa, 0, 0
	MD "imul64 -1*-1", -1, 0x99, -1, {imul rbx}, 1, 0, 0
	MD "imul64 2^62*4", 0x4000000000000000, 0, 4, {imul rbx}, 0, 1, CO
	MD "imul32 -1*2", 0xffffffff, 0, 2, {imul ebx}, 0xfffffffe, 0xffffffff, 0

	; IMUL, two and three operands
	MD "imul r64 r64", -3, 0, 7, {imul rax, rbx}, -21, 0, 0
	MD "imul r32 r32 imm8", 0, 0, 0x40000000, {imul eax, ebx, -2}, 0x80000000, 0, 0
	MD "imul r32 r32 imm32", 0, 0, 0x10000, {imul eax, ebx, 0x10000}, 0, 0, CO
	MD "imul r16 r16", 0xaaaa0100, 0, 0x100, {imul ax, bx}, 0xaaaa0000, 0, CO
	mov qword [rel var], 0x123
	imul rcx, [rel var], 0x1000
	CHECK_EQ rcx, 0x123000, "imul r64 m64 imm32"
	mov rcx, 0x100000000
	imul rcx, [rel var]
	CHECK_EQ rcx, 0x12300000000, "imul r64 m64"

	; DIV
	MD "div8", 0x0107, 0, 0x10, {div bl}, 0x0710, 0        ; 263 = 16*16 + 7
	MD "div16", 0, 1, 3, {div bx}, 0x5555, 1               ; 65536 = 3*21845 + 1
	MD "div32", 0xffffffff00000000, 1, 0x10, {div ebx}, 0x10000000, 0
	MD "div64", 0, 1, 0x100000000, {div rbx}, 0x100000000, 0
	MD "div64 rem", 100, 0, 7, {div rbx}, 14, 2
	mov qword [rel var], 10
	MD "div m64", 1005, 0, 0, {div qword [rel var]}, 100, 5

	; IDIV truncates toward zero; the remainder has the dividend's sign
	MD "idiv8", 0xfff9, 0, 2, {idiv bl}, 0xfffd, 0         ; -7/2 = -3 rem -1
	MD "idiv32", 0xfffffff9, 0xffffffff, 0xfffffffe, {idiv ebx}, 3, 0xffffffff
	MD "idiv64", 100, 0, -7, {idiv rbx}, -14, 2
	MD "idiv64 neg", -100, -1, 7, {idiv rbx}, -14, -2
	MD "idiv16", 0x8000, 0xffff, 0x100, {idiv bx}, 0xff80, 0 ; -32768/256 = -128

	; #DE: divide by zero, registers unchanged
	mov rax, 0x1234
	xor edx, edx
	xor ebx, ebx
	EXPECT_FAULT .de1
	div rbx
.de1:
	CHECK_FAULT VEC_DE, 0, "div64 by zero"
	CHECK_EQ rax, 0x1234, "div by zero leaves rax"
	; quotient 0x100 does not fit in al
	mov eax, 0x1000
	mov bl, 0x10
	EXPECT_FAULT .de2
	div bl
.de2:
	CHECK_FAULT VEC_DE, 0, "div8 quotient overflow"
	; -2^63 / -1 does not fit
	mov rax, 0x8000000000000000
	cqo
	mov rbx, -1
	EXPECT_FAULT .de3
	idiv rbx
.de3:
	CHECK_FAULT VEC_DE, 0, "idiv64 -2^63/-1"
	lea rax, [rel .de3 - 3]                 ; idiv rbx is 3 bytes: the fault RIP is the instruction
	CHECK_EQ [rel raxt_catch + 24], rax, "#DE rip is the faulting instruction"
	mov dword [rel var], 0
	EXPECT_FAULT .de4
	idiv dword [rel var]
.de4:
	CHECK_FAULT VEC_DE, 0, "idiv m32 by zero"

	RAXT_DONE
RAXT_RUNTIME
var: dq 0
