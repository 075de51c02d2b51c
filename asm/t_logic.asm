; t_logic.asm - AND OR XOR NOT TEST in 8/16/32/64 bits (CPL3).
; AND/OR/XOR/TEST clear CF and OF and set SF/ZF/PF from the result; AF is
; undefined (masked). NOT changes no flags.
%include "include/raxtest.inc"
%include "include/alu.inc"
RAXT_HEADER 3
RAXT_HEADER_END

	ALU "and8", 0xffffffffffffff0f, 0xf3, {and al, bl}, 0xffffffffffffff03, FL_PF, 1, FL_NOAF
	ALU "and16 zero", 0x12345555, 0xaaaa, {and ax, bx}, 0x12340000, FL_ZF|FL_PF, 1, FL_NOAF
	; 32-bit destination zero-extends
	ALU "and32", 0xffffffff80000001, 0x80000000, {and eax, ebx}, 0x80000000, FL_SF|FL_PF, 1, FL_NOAF
	ALU "and64", 0x8000000000000001, -1, {and rax, rbx}, 0x8000000000000001, FL_SF, 1, FL_NOAF
	; imm8 sign-extended to 64 bits: -16 = 0xffff...f0
	ALU "and64 imm8", 0x123456789abcdef7, 0, {and rax, -16}, 0x123456789abcdef0, FL_PF, 1, FL_NOAF
	ALU "and32 imm32", 0xffffffffffffffff, 0, {and eax, 0x0f0f0f0f}, 0x0f0f0f0f, FL_PF, 0, FL_NOAF

	ALU "or8", 0x1100, 0x81, {or al, bl}, 0x1181, FL_SF|FL_PF, 1, FL_NOAF
	ALU "or16", 0xffff00000000, 0, {or ax, bx}, 0xffff00000000, FL_ZF|FL_PF, 1, FL_NOAF
	ALU "or32 zero-extends", 0xffffffff00000000, 0x1, {or eax, ebx}, 1, 0, 1, FL_NOAF
	ALU "or64", 0x4000000000000000, 0x4000000000000000, {or rax, rbx}, 0x4000000000000000, FL_PF, 1, FL_NOAF
	ALU "or8 ah", 0x0100, 0x02, {or ah, bl}, 0x0300, FL_PF, 0, FL_NOAF

	ALU "xor8 self", 0x5a5a, 0, {xor al, al}, 0x5a00, FL_ZF|FL_PF, 1, FL_NOAF
	ALU "xor16", 0xffff, 0x7fff, {xor ax, bx}, 0x8000, FL_SF|FL_PF, 1, FL_NOAF
	ALU "xor32 self", -1, 0, {xor eax, eax}, 0, FL_ZF|FL_PF, 1, FL_NOAF
	ALU "xor64", 0x0123456789abcdef, 0xfedcba9876543210, {xor rax, rbx}, -1, FL_SF|FL_PF, 1, FL_NOAF

	; NOT: no flags change (set every status flag first and check they stay)
	mov rax, 0x00ff00ff00ff00ff
	mov rbx, FL_ARITH | 2
	push rbx
	popfq
	not rax
	CHECK_EQ rax, 0xff00ff00ff00ff00, "not64 result"
	CHECK_ARITH FL_ARITH, "not64 keeps flags"
	not al
	CHECK_EQ rax, 0xff00ff00ff00ffff, "not8 result"
	not eax
	CHECK_EQ rax, 0x00ff0000, "not32 zero-extends"
	not ax
	CHECK_EQ rax, 0x00ffffff, "not16 result"

	; TEST: AND without storing
	ALU "test8", 0x80, 0x80, {test al, bl}, 0x80, FL_SF, 1, FL_NOAF
	ALU "test32", 0xffffffff00000000, 0xffffffff, {test eax, ebx}, 0xffffffff00000000, FL_ZF|FL_PF, 1, FL_NOAF
	ALU "test64 imm32", 0x8000000000000000, 0, {test rax, -1}, 0x8000000000000000, FL_SF|FL_PF, 1, FL_NOAF
	ALU "test16", 0x0300, 0x0100, {test ax, bx}, 0x0300, FL_PF, 0, FL_NOAF

	; memory forms
	mov rax, 0xf0f0f0f0f0f0f0f0
	mov [rel var], rax
	and qword [rel var], 0x0ff0             ; imm32 sign-extended (positive)
	CHECK_EQ qword [rel var], 0x00f0, "and m64 imm32"
	or byte [rel var + 1], 0x81
	CHECK_EQ qword [rel var], 0x81f0, "or m8 at offset 1"
	mov rbx, 0x81f0
	xor [rel var], rbx
	CHECK_FLAGS FL_NOAF, FL_ZF|FL_PF, "xor m64 r64 flags"
	CHECK_EQ qword [rel var], 0, "xor m64 r64 result"
	mov dword [rel var], 0x12345678
	not word [rel var]
	CHECK_EQ qword [rel var], 0x1234a987, "not m16"
	mov ecx, 0x8000
	test [rel var], ecx
	CHECK_FLAGS FL_NOAF, FL_PF, "test m32 r32"   ; 0x8000: bit 31 clear, low byte 0
	lock or dword [rel var], 0xff
	CHECK_EQ qword [rel var], 0x1234a9ff, "lock or m32"
	lock xor qword [rel var], rax
	CHECK_EQ qword [rel var], 0xf0f0f0f0e2c4590f, "lock xor m64"

	RAXT_DONE
RAXT_RUNTIME
var: dq 0
