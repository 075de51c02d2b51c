; t_control.asm - JMP/CALL/RET forms, RET imm16, all 16 Jcc conditions
; (short and near), LOOP LOOPE LOOPNE, JRCXZ/JECXZ (CPL3).
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END

	; JMP forms
	xor eax, eax
	jmp short .j1
	mov eax, 1
.j1:	jmp near .j2
	mov eax, 2
.j2:	lea rbx, [rel .j3]
	jmp rbx
	mov eax, 3
.j3:	lea rbx, [rel .j4]
	mov [rel var], rbx
	jmp [rel var]
	mov eax, 4
.j4:	CHECK_EQ rax, 0, "jmp rel8 rel32 reg mem"

	; CALL / RET: the return address is the next instruction
	mov rbx, rsp
	call f_retaddr
.after_call:
	lea rdx, [rel .after_call]
	CHECK_EQ rax, rdx, "call rel32 pushes the next rip"
	mov rcx, rsp
	CHECK_EQ rcx, rbx, "ret pops"
	lea rdx, [rel f_inc]
	xor eax, eax
	call rdx
	mov [rel var], rdx
	call [rel var]
	CHECK_EQ rax, 2, "call reg and call mem"
	; RET imm16 releases the arguments
	push 1
	push 2
	call f_ret16
	mov rcx, rsp
	CHECK_EQ rcx, rbx, "ret imm16 releases 16 bytes"
	CHECK_EQ rax, 3, "ret imm16 callee saw its arguments"

; JCC cc, flags_true, flags_false: taken with the first, not with the second
%macro JCC 3
	xor eax, eax
	push %2 | 2
	popfq
	j%1 short %%t1
	jmp %%f1
%%t1:	inc eax
%%f1:	push %3 | 2
	popfq
	j%1 near %%t2
	add eax, 2
%%t2:	CHECK_EQ rax, 3, {"j", %str(%1), " taken/not taken"}
%endmacro
	JCC o, FL_OF, 0
	JCC no, 0, FL_OF
	JCC b, FL_CF, 0
	JCC ae, 0, FL_CF
	JCC e, FL_ZF, 0
	JCC ne, 0, FL_ZF
	JCC be, FL_CF, 0
	JCC be, FL_ZF, FL_SF
	JCC a, 0, FL_ZF
	JCC a, FL_SF, FL_CF
	JCC s, FL_SF, 0
	JCC ns, 0, FL_SF
	JCC p, FL_PF, 0
	JCC np, 0, FL_PF
	JCC l, FL_SF, FL_SF|FL_OF
	JCC l, FL_OF, 0
	JCC ge, FL_SF|FL_OF, FL_OF
	JCC ge, 0, FL_SF
	JCC le, FL_ZF, 0
	JCC le, FL_SF, FL_OF|FL_SF
	JCC g, 0, FL_ZF
	JCC g, FL_SF|FL_OF, FL_SF
	; a real comparison: -1 < 1 signed, above unsigned
	mov rax, -1
	cmp rax, 1
	setl bl
	seta cl
	and ebx, 1
	and ecx, 1
	shl ecx, 1
	or ebx, ecx
	CHECK_EQ rbx, 3, "cmp -1, 1: less and above"

	; LOOP family
	mov ecx, 5
	xor eax, eax
.l1:	add eax, 2
	loop .l1
	CHECK_EQ rax, 10, "loop 5 times"
	CHECK_EQ rcx, 0, "loop leaves rcx 0"
	; LOOPE stops at the first nonzero byte: bytes 0, 0, 7, 0
	lea rsi, [rel bytes]
	mov ecx, 4
.l2:	lodsb
	test al, al
	loope .l2
	CHECK_EQ rcx, 1, "loope stops when ZF=0"
	; LOOPNE stops at the first zero byte: 7, 7, 0, 7
	lea rsi, [rel bytes2]
	mov ecx, 4
.l3:	lodsb
	test al, al
	loopne .l3
	CHECK_EQ rcx, 1, "loopne stops when ZF=1"
	; LOOP uses all of RCX in 64-bit mode
	mov rcx, 0x100000001
	loop .l4
	mov eax, 0xbad
.l4:	CHECK_EQ rcx, 0x100000000, "loop decrements rcx, not ecx"
	; JRCXZ / JECXZ
	xor eax, eax
	mov rcx, 0x100000000
	jrcxz .z1
	inc eax
.z1:	jecxz .z2
	add eax, 2
.z2:	CHECK_EQ rax, 1, "jrcxz not taken, jecxz taken"

	RAXT_DONE

f_retaddr:
	mov rax, [rsp]
	ret
f_inc:
	inc eax
	ret
f_ret16:
	mov rax, [rsp + 8]
	add rax, [rsp + 16]
	ret 16

RAXT_RUNTIME
var:	dq 0
bytes:	db 0, 0, 7, 0
bytes2:	db 7, 7, 0, 7
