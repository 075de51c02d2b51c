; t_data.asm - data movement (CPL3): MOV forms (moffs, imm64, partial
; registers), MOVZX MOVSX MOVSXD, XCHG, XADD, CMPXCHG, CMPXCHG8B/16B,
; BSWAP, CBW CWDE CDQE CWD CDQ CQO, SETcc, CMOVcc, LAHF/SAHF, PUSH/POP,
; PUSHF/POPF, ENTER/LEAVE.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END

	; MOV: 8/16-bit writes keep the rest, 32-bit writes zero-extend
	mov rax, 0x123456789abcdef0
	CHECK_EQ rax, 0x123456789abcdef0, "mov r64 imm64"
	mov al, 0x11
	CHECK_EQ rax, 0x123456789abcde11, "mov r8 keeps upper"
	mov ah, 0x22
	CHECK_EQ rax, 0x123456789abc2211, "mov ah keeps upper"
	mov ax, 0x3333
	CHECK_EQ rax, 0x123456789abc3333, "mov r16 keeps upper"
	mov eax, 0x44444444
	CHECK_EQ rax, 0x44444444, "mov r32 zero-extends"
	mov rax, -2
	mov [rel var], rax
	mov rax, 0
	mov rax, [qword var]                    ; moffs64 form (REX.W A1)
	CHECK_EQ rax, -2, "mov rax moffs64"
	mov al, 0x5a
	mov [qword var], al                     ; moffs64 form (A2)
	CHECK_EQ qword [rel var], 0xffffffffffffff5a, "mov moffs8 al"
	mov rcx, -1
	mov cl, [rel var]
	CHECK_EQ rcx, 0xffffffffffffff5a, "mov r8 m8"
	mov qword [rel var], -5                 ; imm32 sign-extended
	CHECK_EQ qword [rel var], 0xfffffffffffffffb, "mov m64 imm32"
	mov r9, 0x8080808080808080
	mov r10b, r9b
	mov r11w, 0x8181
	CHECK_EQ r11, r11, "mov r11w"
	; MOVZX / MOVSX / MOVSXD
	mov rbx, 0xff80
	movzx eax, bl
	CHECK_EQ rax, 0x80, "movzx r32 r8"
	movsx rax, bl
	CHECK_EQ rax, 0xffffffffffffff80, "movsx r64 r8"
	movsx eax, bx
	CHECK_EQ rax, 0xffffff80, "movsx r32 r16"
	mov rax, -1
	movzx ax, bl
	CHECK_EQ rax, 0xffffffffffff0080, "movzx r16 r8"
	mov dword [rel var], 0x80000000
	movsxd rax, dword [rel var]
	CHECK_EQ rax, 0xffffffff80000000, "movsxd r64 m32"
	movzx rax, word [rel var + 2]
	CHECK_EQ rax, 0x8000, "movzx r64 m16"

	; XCHG (the memory form is implicitly locked)
	mov rax, 0xffffffff00000001
	mov rbx, 0xffffffff00000002
	xchg eax, ebx
	CHECK_EQ rax, 2, "xchg r32 zero-extends rax"
	CHECK_EQ rbx, 1, "xchg r32 zero-extends rbx"
	mov qword [rel var], 7
	mov rcx, 9
	xchg [rel var], rcx
	CHECK_EQ rcx, 7, "xchg m64 reg"
	CHECK_EQ qword [rel var], 9, "xchg m64 mem"
	mov rax, 0x1122
	xchg ah, al
	CHECK_EQ rax, 0x2211, "xchg ah al"

	; XADD: dst = dst + src, src = old dst, flags of the addition
	mov rax, 0x7fffffffffffffff
	mov rbx, 1
	xadd rax, rbx
	CHECK_FLAGS FL_ARITH, FL_OF|FL_SF|FL_AF|FL_PF, "xadd r64 flags"
	CHECK_EQ rax, 0x8000000000000000, "xadd r64 sum"
	CHECK_EQ rbx, 0x7fffffffffffffff, "xadd r64 old"
	mov dword [rel var], 10
	mov ecx, 5
	lock xadd [rel var], ecx
	CHECK_EQ qword [rel var], 15, "lock xadd m32 sum"
	CHECK_EQ rcx, 10, "lock xadd m32 old"

	; CMPXCHG
	mov qword [rel var], 5
	mov rax, 5
	mov rbx, 9
	lock cmpxchg [rel var], rbx
	CHECK_FLAGS FL_ZF, FL_ZF, "cmpxchg equal ZF"
	CHECK_EQ qword [rel var], 9, "cmpxchg equal stores"
	mov rax, 5
	cmpxchg [rel var], rbx
	CHECK_FLAGS FL_ZF|FL_CF, FL_CF, "cmpxchg differ flags (5-9 borrows)"
	CHECK_EQ rax, 9, "cmpxchg differ loads rax"
	mov rax, 0xffffffff00000001
	mov ecx, 2
	mov ebx, 3
	cmpxchg ebx, ecx                        ; eax(1) != ebx(3): eax = 3, zero-extended
	CHECK_EQ rax, 3, "cmpxchg r32 differ loads eax"
	mov al, 0x10
	mov bl, 0x10
	mov cl, 0x20
	cmpxchg bl, cl
	CHECK_EQ rbx, 0x20, "cmpxchg r8 equal"

	; CMPXCHG8B / CMPXCHG16B
	mov rax, 0x2222222211111111
	mov [rel dq16], rax
	mov eax, 0x11111111
	mov edx, 0x22222222
	mov ebx, 0x33333333
	mov ecx, 0x44444444
	lock cmpxchg8b [rel dq16]
	CHECK_FLAGS FL_ZF, FL_ZF, "cmpxchg8b equal ZF"
	CHECK_EQ qword [rel dq16], 0x4444444433333333, "cmpxchg8b equal stores"
	mov rax, -1
	mov rdx, -1
	cmpxchg8b [rel dq16]
	CHECK_FLAGS FL_ZF, 0, "cmpxchg8b differ ZF"
	CHECK_EQ rax, 0x33333333, "cmpxchg8b differ eax (zero-extended)"
	mov rbx, rdx
	CHECK_EQ rbx, 0x44444444, "cmpxchg8b differ edx"
	; CMPXCHG16B (CPUID.1:ECX.CX16 is in RAX's model)
	mov rax, 0x4444444433333333
	mov qword [rel dq16 + 8], 0x55
	mov rdx, 0x55
	mov rbx, 0xaaaa
	mov rcx, 0xbbbb
	lock cmpxchg16b [rel dq16]
	CHECK_FLAGS FL_ZF, FL_ZF, "cmpxchg16b equal ZF"
	CHECK_EQ qword [rel dq16], 0xaaaa, "cmpxchg16b equal low"
	CHECK_EQ qword [rel dq16 + 8], 0xbbbb, "cmpxchg16b equal high"
	xor eax, eax
	xor edx, edx
	cmpxchg16b [rel dq16]
	CHECK_FLAGS FL_ZF, 0, "cmpxchg16b differ ZF"
	CHECK_EQ rax, 0xaaaa, "cmpxchg16b differ rax"
	mov rbx, rdx
	CHECK_EQ rbx, 0xbbbb, "cmpxchg16b differ rdx"
	; a misaligned m128 operand is #GP(0)
	EXPECT_FAULT .cx16_misaligned
	cmpxchg16b [rel dq16 + 8]
.cx16_misaligned:
	CHECK_FAULT VEC_GP, 0, "cmpxchg16b misaligned"
.cx16_done:
	; BSWAP
	mov rax, 0x1122334455667788
	bswap rax
	CHECK_EQ rax, 0x8877665544332211, "bswap r64"
	mov rax, 0xffffffff11223344
	bswap eax
	CHECK_EQ rax, 0x44332211, "bswap r32 zero-extends"
	mov r12, 0x0102030405060708
	bswap r12
	CHECK_EQ r12, 0x0807060504030201, "bswap r12"

	; sign extensions
	mov rax, 0x1234567890abcd80
	cbw
	CHECK_EQ rax, 0x1234567890abff80, "cbw"
	mov rax, 0x12345678ffff8000
	cwde
	CHECK_EQ rax, 0xffff8000, "cwde"
	mov rax, 0x1234567880000000
	cdqe
	CHECK_EQ rax, 0xffffffff80000000, "cdqe"
	mov rax, 0x8000
	mov rdx, 0x1234567812345678
	cwd
	mov rbx, rdx
	CHECK_EQ rbx, 0x123456781234ffff, "cwd"
	mov eax, 0x7fffffff
	mov rdx, -1
	cdq
	mov rbx, rdx
	CHECK_EQ rbx, 0, "cdq zero-extends rdx"
	mov rax, -3
	cqo
	mov rbx, rdx
	CHECK_EQ rbx, -1, "cqo"

	; SETcc
	mov rax, -1
	mov ebx, 1
	cmp ebx, 2                              ; 1-2: CF=1 SF=1 ZF=0 OF=0
	setb al
	CHECK_EQ rax, 0xffffffffffffff01, "setb true"
	setz al
	CHECK_EQ rax, 0xffffffffffffff00, "setz false"
	setl ah
	CHECK_EQ rax, 0xffffffffffff0100, "setl ah true"
	setg byte [rel var]
	CHECK_EQ qword [rel var], 0, "setg m8 false"
	setbe r8b
	CHECK_EQ r8, r8, "setbe r8b"
	and r8, 0xff
	CHECK_EQ r8, 1, "setbe r8b true"
	mov esi, 0x100
	sets sil                                ; flags from the and: 1, SF=0
	mov rbx, rsi
	CHECK_EQ rbx, 0x100, "sets sil false"

	; CMOVcc: a 32-bit CMOV zero-extends even when the condition is false
	mov rax, 0xffffffff00000001
	mov rbx, 0xffffffff00000002
	cmp eax, eax                            ; ZF=1
	cmovnz eax, ebx
	CHECK_EQ rax, 1, "cmovnz r32 false zero-extends"
	cmovz rax, rbx
	CHECK_EQ rax, 0xffffffff00000002, "cmovz r64 true"
	mov rax, 0x5555
	cmovnz rax, rbx
	CHECK_EQ rax, 0x5555, "cmovnz r64 false"
	mov qword [rel var], 0x77
	cmove ax, [rel var]
	CHECK_EQ rax, 0x77, "cmove r16 m16 true"
	stc
	cmovc ecx, [rel var]
	CHECK_EQ rcx, 0x77, "cmovc r32 m32"

	; LAHF / SAHF: SF ZF AF PF CF <-> AH bits 7 6 4 2 0 (bit 1 reads 1)
	mov eax, (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF) << 8
	sahf
	CHECK_ARITH FL_SF|FL_ZF|FL_AF|FL_PF|FL_CF, "sahf sets flags"
	xor eax, eax                            ; ZF PF
	lahf
	CHECK_EQ rax, 0x4600, "lahf"
	mov eax, 0x0100
	sahf
	CHECK_ARITH FL_CF, "sahf CF only"

	; PUSH / POP
	mov rbp, rsp
	push 0x12
	CHECK_EQ qword [rbp - 8], 0x12, "push imm8"
	push -1                                 ; sign-extended to 64 bits
	CHECK_EQ qword [rbp - 16], -1, "push imm sign-extends"
	mov qword [rel var], 0x99
	push qword [rel var]
	pop rax
	CHECK_EQ rax, 0x99, "push m64 / pop r64"
	pop qword [rel var]
	CHECK_EQ qword [rel var], -1, "pop m64"
	pop rbx
	mov rcx, rsp
	CHECK_EQ rcx, rbp, "push/pop balance rsp"
	push rsp
	pop rax
	CHECK_EQ rax, rbp, "push rsp pushes the old rsp"
	push word 0x1234                        ; 16-bit push: rsp -= 2
	mov rcx, rbp
	sub rcx, rsp
	CHECK_EQ rcx, 2, "push16 moves rsp by 2"
	xor eax, eax
	pop ax
	CHECK_EQ rax, 0x1234, "pop16"
	; PUSHF / POPF (the status flags round-trip; bit 1 reads 1)
	push FL_ARITH | 2
	popfq
	CHECK_ARITH FL_ARITH, "popfq sets flags"
	pushfq
	pop rax
	and rax, FL_ARITH | FL_DF | 2
	CHECK_EQ rax, FL_ARITH | 2, "pushfq"
	push 2
	popfq

	; ENTER / LEAVE
	mov rbp, 0x5555
	mov rbx, rsp
	enter 0x20, 0                           ; push rbp; rbp = rsp; rsp -= 0x20
	mov rcx, rbx
	sub rcx, rsp
	CHECK_EQ rcx, 0x28, "enter 0x20, 0 rsp"
	mov rcx, rbx
	sub rcx, rbp
	CHECK_EQ rcx, 8, "enter rbp = frame"
	leave
	mov rcx, rsp
	CHECK_EQ rcx, rbx, "leave restores rsp"
	CHECK_EQ rbp, 0x5555, "leave restores rbp"
	mov rbp, rsp                            ; a frame for level 1
	mov rbx, rsp
	enter 8, 1                              ; push rbp; push frame; rbp = frame; rsp -= 8
	mov rcx, rbx
	sub rcx, rsp
	CHECK_EQ rcx, 24, "enter 8, 1 rsp"
	mov rcx, rbx
	sub rcx, 8
	CHECK_EQ rbp, rcx, "enter 8, 1 rbp"
	CHECK_EQ qword [rbp - 8], rcx, "enter 8, 1 pushes the frame pointer"
	leave
	mov rcx, rsp
	CHECK_EQ rcx, rbx, "leave after enter level 1"

	RAXT_DONE
RAXT_RUNTIME
var:	dq 0
	align 16, db 0
dq16:	dq 0, 0
