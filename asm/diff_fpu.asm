; diff_fpu.asm - x87 and SSE state for rax-diff's FPU comparison (CPL3):
; XMM registers through moves and unpacks, MXCSR, and an x87 stack with
; two registers in use, so that rax-diff compares FCW, FSW (TOP), the tag
; word, ST0/ST1 and XMM0-3 after every step. Self-checking as well.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END

	; SSE: 128-bit moves, a scalar load and an unpack
	movups xmm0, [rel v1]
	movaps xmm1, xmm0
	movss xmm2, [rel f2]
	unpcklps xmm2, xmm0
	movsd xmm3, [rel v2]
	movhps xmm3, [rel v1]
	movups [rel out], xmm2
	CHECK_EQ qword [rel out], 0x1111111140000000, "unpcklps low"
	movups [rel out], xmm3
	CHECK_EQ qword [rel out + 8], 0x1111111111111111, "movhps"
	; MXCSR: round toward zero, all exceptions masked
	ldmxcsr [rel mx]
	stmxcsr [rel mxout]
	mov eax, [rel mxout]
	CHECK_EQ rax, 0x7f80, "stmxcsr"
	; x87: 53-bit precision, 2 + 3 on the stack, then 3 pushed on top
	fninit
	fldcw [rel cw]
	fld dword [rel f2]
	fadd dword [rel f3]
	fld dword [rel f3]
	fstp dword [rel out]
	fstp dword [rel out + 4]
	CHECK_EQ qword [rel out], 0x40a0000040400000, "x87 2+3, 3"
	RAXT_DONE

align 16
v1:	dq 0x1111111111111111, 0x2222222222222222
v2:	dq 0x3333333333333333, 0x4444444444444444
f2:	dd 0x40000000 ; 2.0f
f3:	dd 0x40400000 ; 3.0f
mx:	dd 0x7f80
mxout:	dd 0
cw:	dw 0x027f
align 16
out:	times 16 db 0

	RAXT_RUNTIME
