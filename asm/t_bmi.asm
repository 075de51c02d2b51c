; t_bmi.asm - BMI1 (ANDN BEXTR BLSI BLSMSK BLSR TZCNT) and BMI2 (BZHI MULX
; PDEP PEXT RORX SARX SHLX SHRX) at CPL3 (CPU level v3), with known
; results: 64- and 32-bit forms (a 32-bit result is zero-extended),
; register and memory sources, the edge cases (zero and all-ones sources,
; BEXTR start/length and BZHI index at and past the operand width and with
; control bits above 7:0 / 15:0 ignored, shift and rotate counts masked to
; the width, MULX with both destinations the same register: the high half),
; TZCNT's 16-bit form, and the status flags the SDM defines (the undefined
; ones differ between vendors and are not checked; the BMI2 instructions
; other than BZHI leave every flag alone). VEX.L = 1 is #UD for each VEX
; form checked, and so is RORX with a VEX.vvvv other than 1111b.
;
; Each set runs where CPUID offers it (leaf 7 EBX bit 3 BMI1, bit 8 BMI2;
; "BMI: X not offered" otherwise: a KVM offers what its host supports, and
; a kvm_pvm host answers CPL3 CPUID with its own leaves; the interpreter
; offers both from level v3). Without BMI1, F3 0F BC is BSF: TZCNT is
; checked with BMI1 only.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END
	jmp start

; SETF flags: the six status flags (and bit 1) from an immediate
%macro SETF 1
	push qword (%1) | 2
	popfq
%endmacro

%define F_SZCO (FL_SF | FL_ZF | FL_CF | FL_OF)
%define F_ZCO (FL_ZF | FL_CF | FL_OF)

start:
	; ---- what CPUID offers: r12 bit 0 BMI1, bit 1 BMI2 ----
	xor r12d, r12d
	xor eax, eax
	cpuid
	cmp eax, 7
	jb .nocpuid
	mov eax, 7
	xor ecx, ecx
	cpuid
	bt ebx, 3
	adc r12d, 0
	bt ebx, 8
	setc al
	shl al, 1
	or r12b, al
.nocpuid:
	test r12b, 1
	jnz .p1
	PRINT "BMI: bmi1 not offered"
.p1:	test r12b, 2
	jnz .p2
	PRINT "BMI: bmi2 not offered"
.p2:
	test r12b, 1
	jz .no_bmi1

	; ---- ANDN: ~src1 & src2; SF ZF, OF CF clear ----
	mov rcx, 0xff00ff00ff00ff00
	mov rdx, 0x0123456789abcdef
	SETF FL_ARITH
	andn rax, rcx, rdx
	CHECK_EQ rax, 0x0023006700ab00ef, "andn r64"
	CHECK_FLAGS F_SZCO, 0, "andn r64 flags"
	mov rax, -1
	andn eax, ecx, edx
	CHECK_EQ rax, 0x00ab00ef, "andn r32 zero-extended"
	xor ecx, ecx
	mov rdx, 0x8000000000000001
	SETF 0
	andn r8, rcx, rdx
	CHECK_EQ r8, 0x8000000000000001, "andn r64 negative"
	CHECK_FLAGS F_SZCO, FL_SF, "andn r64 negative: sf"
	mov rcx, -1
	andn r9, rcx, [rel q_pattern]
	CHECK_EQ r9, 0, "andn r64, m64 zero"
	CHECK_FLAGS F_SZCO, FL_ZF, "andn zero: zf"
	mov r10d, 0xffff0000
	andn r11d, r10d, [rel q_pattern]
	CHECK_EQ r11, 0xdef0, "andn r32, m32"

	; ---- BEXTR: start ctl[7:0], length ctl[15:8]; ZF, OF CF clear ----
	mov rcx, 0x123456789abcdef0
	mov edx, 0x0804
	SETF FL_ARITH
	bextr rax, rcx, rdx
	CHECK_EQ rax, 0xef, "bextr 4, 8"
	CHECK_FLAGS F_ZCO, 0, "bextr flags"
	mov rdx, 0xffffffffffff083c
	bextr rax, rcx, rdx
	CHECK_EQ rax, 0x1, "bextr 60, 8 (past the top; ctl bits 63:16 ignored)"
	mov edx, 0xff04
	bextr rax, rcx, rdx
	CHECK_EQ rax, 0x0123456789abcdef, "bextr 4, 255"
	mov edx, 0x0840
	SETF 0
	bextr rax, rcx, rdx
	CHECK_EQ rax, 0, "bextr start 64"
	CHECK_FLAGS F_ZCO, FL_ZF, "bextr zero: zf"
	mov edx, 0x0004
	bextr rax, rcx, rdx
	CHECK_EQ rax, 0, "bextr length 0"
	mov edx, 0xffff081c
	mov rax, -1
	bextr eax, [rel q_pattern], edx
	CHECK_EQ rax, 0x9, "bextr r32, m32 28, 8 (ctl bits 31:16 ignored)"
	mov edx, 0x2000
	bextr eax, ecx, edx
	CHECK_EQ rax, 0x9abcdef0, "bextr r32 0, 32"

	; ---- BLSR: src & (src - 1); SF ZF, CF = (src == 0), OF clear ----
	mov ecx, 0x28
	SETF FL_ARITH
	blsr rax, rcx
	CHECK_EQ rax, 0x20, "blsr r64"
	CHECK_FLAGS F_SZCO, 0, "blsr flags"
	xor ecx, ecx
	blsr rax, rcx
	CHECK_EQ rax, 0, "blsr 0"
	CHECK_FLAGS F_SZCO, FL_ZF | FL_CF, "blsr 0: zf cf"
	mov rcx, 0xc000000000000000
	blsr rax, rcx
	CHECK_EQ rax, 0x8000000000000000, "blsr sign"
	CHECK_FLAGS F_SZCO, FL_SF, "blsr sign: sf"
	mov rcx, 0xffffffff00000000
	mov rax, -1
	blsr eax, ecx
	CHECK_EQ rax, 0, "blsr r32 (bits 63:32 of the source ignored)"
	CHECK_FLAGS F_SZCO, FL_ZF | FL_CF, "blsr r32 0: zf cf"
	blsr r8d, [rel q_pattern]
	CHECK_EQ r8, 0x9abcdee0, "blsr r32, m32"

	; ---- BLSMSK: src ^ (src - 1); SF, CF = (src == 0), ZF OF clear ----
	mov ecx, 0x28
	SETF FL_ARITH
	blsmsk rax, rcx
	CHECK_EQ rax, 0xf, "blsmsk r64"
	CHECK_FLAGS F_SZCO, 0, "blsmsk flags"
	xor ecx, ecx
	blsmsk rax, rcx
	CHECK_EQ rax, -1, "blsmsk 0"
	CHECK_FLAGS F_SZCO, FL_SF | FL_CF, "blsmsk 0: sf cf"
	blsmsk eax, ecx
	CHECK_EQ rax, 0xffffffff, "blsmsk r32 0 zero-extended"
	blsmsk r9, [rel q_pattern]
	CHECK_EQ r9, 0x1f, "blsmsk r64, m64"

	; ---- BLSI: src & -src; SF ZF, CF = (src != 0), OF clear ----
	mov ecx, 0x28
	SETF FL_ARITH
	blsi rax, rcx
	CHECK_EQ rax, 0x8, "blsi r64"
	CHECK_FLAGS F_SZCO, FL_CF, "blsi flags: cf"
	xor ecx, ecx
	blsi rax, rcx
	CHECK_EQ rax, 0, "blsi 0"
	CHECK_FLAGS F_SZCO, FL_ZF, "blsi 0: zf"
	mov rcx, 0x8000000000000000
	blsi rax, rcx
	CHECK_EQ rax, 0x8000000000000000, "blsi sign"
	CHECK_FLAGS F_SZCO, FL_SF | FL_CF, "blsi sign: sf cf"
	mov rax, -1
	blsi eax, [rel q_pattern + 4]
	CHECK_EQ rax, 0x8, "blsi r32, m32"

	; ---- TZCNT: CF = (src == 0), ZF = (result == 0) ----
	mov ecx, 0x28
	SETF FL_ARITH
	tzcnt rax, rcx
	CHECK_EQ rax, 3, "tzcnt r64"
	CHECK_FLAGS FL_ZF | FL_CF, 0, "tzcnt flags"
	xor ecx, ecx
	tzcnt rax, rcx
	CHECK_EQ rax, 64, "tzcnt r64 0"
	CHECK_FLAGS FL_ZF | FL_CF, FL_CF, "tzcnt 0: cf"
	mov rcx, 0xffffffff00000000
	tzcnt eax, ecx
	CHECK_EQ rax, 32, "tzcnt r32 0"
	mov rax, -1
	tzcnt ax, cx
	CHECK_EQ rax, 0xffffffffffff0010, "tzcnt r16 0 (bits 63:16 kept)"
	mov ecx, 1
	SETF 0
	tzcnt rax, rcx
	CHECK_EQ rax, 0, "tzcnt r64 bit 0"
	CHECK_FLAGS FL_ZF | FL_CF, FL_ZF, "tzcnt result 0: zf"
	tzcnt r10, [rel q_pattern]
	CHECK_EQ r10, 4, "tzcnt r64, m64"
	mov rax, 0x8000000000000000
	tzcnt rax, rax
	CHECK_EQ rax, 63, "tzcnt bit 63"

	; ---- VEX.L = 1: #UD (ANDN, BEXTR, BLSR) ----
	mov eax, 0x1234
	EXPECT_FAULT .ud1
	db 0xc4, 0xe2, 0x74, 0xf2, 0xc2  ; andn eax, ecx, edx with VEX.L = 1
.ud1:	CHECK_FAULT VEC_UD, 0, "andn vex.l=1"
	EXPECT_FAULT .ud2
	db 0xc4, 0xe2, 0x74, 0xf7, 0xc2  ; bextr eax, edx, ecx with VEX.L = 1
.ud2:	CHECK_FAULT VEC_UD, 0, "bextr vex.l=1"
	EXPECT_FAULT .ud3
	db 0xc4, 0xe2, 0x7c, 0xf3, 0xc9  ; blsr eax, ecx with VEX.L = 1
.ud3:	CHECK_FAULT VEC_UD, 0, "blsr vex.l=1"
	CHECK_EQ rax, 0x1234, "#UD leaves the destination"
.no_bmi1:

	test r12b, 2
	jz .no_bmi2

	; ---- BZHI: zero bits from index ctl[7:0]; SF ZF, CF = (index > width - 1), OF clear ----
	mov rcx, -1
	mov edx, 8
	SETF FL_ARITH
	bzhi rax, rcx, rdx
	CHECK_EQ rax, 0xff, "bzhi 8"
	CHECK_FLAGS F_SZCO, 0, "bzhi flags"
	mov edx, 64
	bzhi rax, rcx, rdx
	CHECK_EQ rax, -1, "bzhi 64: source unchanged"
	CHECK_FLAGS F_SZCO, FL_SF | FL_CF, "bzhi 64: sf cf"
	mov edx, 0x1ff07
	bzhi rax, rcx, rdx
	CHECK_EQ rax, 0x7f, "bzhi 7 (index bits above 7:0 ignored)"
	mov edx, 0
	SETF 0
	bzhi rax, rcx, rdx
	CHECK_EQ rax, 0, "bzhi 0"
	CHECK_FLAGS F_SZCO, FL_ZF, "bzhi 0: zf"
	mov edx, 32
	mov rax, 0x1234
	bzhi eax, ecx, edx
	CHECK_EQ rax, 0xffffffff, "bzhi r32 32"
	CHECK_FLAGS F_SZCO, FL_SF | FL_CF, "bzhi r32 32: sf cf"
	mov edx, 12
	bzhi r8, [rel q_pattern], rdx
	CHECK_EQ r8, 0xef0, "bzhi r64, m64"

	; ---- MULX: rDX * src, high half to ModRM.reg, low to vvvv; flags alone ----
	mov rdx, 0xfedcba9876543210
	mov rcx, 0x0123456789abcdef
	SETF FL_ARITH
	mulx r8, r9, rcx
	CHECK_EQ r8, 0x0121fa00ad77d742, "mulx r64 high"
	CHECK_EQ r9, 0x2236d88fe5618cf0, "mulx r64 low"
	CHECK_FLAGS FL_ARITH, FL_ARITH, "mulx leaves the flags"
	SETF 0
	mulx r10, r10, rcx
	CHECK_EQ r10, 0x0121fa00ad77d742, "mulx same destination: the high half"
	CHECK_FLAGS FL_ARITH, 0, "mulx leaves the flags (clear)"
	mov edx, 0xffffffff
	mov r11, -1
	mov rax, -1
	mulx eax, r11d, [rel d_ones]
	CHECK_EQ rax, 0xfffffffe, "mulx r32 high"
	CHECK_EQ r11, 1, "mulx r32 low"
	mov rdx, 0x1234567800000003
	mov ecx, 5
	mulx rax, rdx, rcx
	CHECK_EQ rax, 0, "mulx rdx as a destination: high"
	CHECK_EQ rdx, 0x5b05b0580000000f, "mulx rdx as a destination: low"

	; ---- PDEP / PEXT ----
	mov ecx, 0xdeadbeef
	mov rdx, 0xf0f0f0f0f0f0f0f0
	SETF FL_ARITH
	pdep rax, rcx, rdx
	CHECK_EQ rax, 0xd0e0a0d0b0e0e0f0, "pdep r64"
	CHECK_FLAGS FL_ARITH, FL_ARITH, "pdep leaves the flags"
	mov ecx, 0x12345
	mov edx, 0x0f0f0f0f
	mov rax, -1
	pdep eax, ecx, edx
	CHECK_EQ rax, 0x02030405, "pdep r32"
	mov rcx, -1
	pdep rax, rcx, [rel q_ends]
	CHECK_EQ rax, 0x8000000000000001, "pdep r64, m64"
	mov rcx, 0x123456789abcdef0
	mov rdx, 0xff00ff00ff00ff00
	SETF 0
	pext rax, rcx, rdx
	CHECK_EQ rax, 0x12569ade, "pext r64"
	CHECK_FLAGS FL_ARITH, 0, "pext leaves the flags"
	mov edx, 0x80f0f001
	pext eax, ecx, edx
	CHECK_EQ rax, 0x37a, "pext r32"
	pext rax, rcx, [rel q_ends]
	CHECK_EQ rax, 0, "pext r64, m64"

	; ---- RORX: rotate right by imm8 modulo the width; flags alone ----
	mov rcx, 0x0123456789abcdef
	SETF FL_ARITH
	rorx rax, rcx, 8
	CHECK_EQ rax, 0xef0123456789abcd, "rorx r64 8"
	CHECK_FLAGS FL_ARITH, FL_ARITH, "rorx leaves the flags"
	rorx rax, rcx, 72
	CHECK_EQ rax, 0xef0123456789abcd, "rorx r64 72 (masked to 8)"
	rorx rax, rcx, 0
	CHECK_EQ rax, 0x0123456789abcdef, "rorx r64 0"
	mov rax, -1
	rorx eax, ecx, 36
	CHECK_EQ rax, 0xf89abcde, "rorx r32 36 (masked to 4)"
	rorx r9, [rel q_pattern], 4
	CHECK_EQ r9, 0x0123456789abcdef, "rorx r64, m64"

	; ---- SARX SHLX SHRX: count from vvvv modulo the width; flags alone ----
	mov rcx, 0x8123456789abcdef
	mov edx, 68
	SETF 0
	sarx rax, rcx, rdx
	CHECK_EQ rax, 0xf8123456789abcde, "sarx r64 68 (masked to 4)"
	shrx rax, rcx, rdx
	CHECK_EQ rax, 0x08123456789abcde, "shrx r64 68"
	shlx rax, rcx, rdx
	CHECK_EQ rax, 0x123456789abcdef0, "shlx r64 68"
	CHECK_FLAGS FL_ARITH, 0, "shifts leave the flags"
	mov edx, 63
	sarx rax, rcx, rdx
	CHECK_EQ rax, -1, "sarx r64 63"
	mov edx, 36
	mov rax, -1
	sarx eax, ecx, edx
	CHECK_EQ rax, 0xf89abcde, "sarx r32 36 (masked to 4)"
	shrx eax, ecx, edx
	CHECK_EQ rax, 0x089abcde, "shrx r32 36"
	shlx eax, ecx, edx
	CHECK_EQ rax, 0x9abcdef0, "shlx r32 36"
	mov edx, 8
	SETF FL_ARITH
	shrx r11, [rel q_pattern], rdx
	CHECK_EQ r11, 0x00123456789abcde, "shrx r64, m64"
	CHECK_FLAGS FL_ARITH, FL_ARITH, "shrx leaves the flags (set)"

	; ---- #UD: VEX.L = 1 (BZHI, MULX, PDEP, SHLX), RORX with vvvv != 1111b ----
	mov eax, 0x5678
	EXPECT_FAULT .ud4
	db 0xc4, 0xe2, 0x74, 0xf5, 0xc2  ; bzhi eax, edx, ecx with VEX.L = 1
.ud4:	CHECK_FAULT VEC_UD, 0, "bzhi vex.l=1"
	EXPECT_FAULT .ud5
	db 0xc4, 0xe2, 0x77, 0xf6, 0xc2  ; mulx eax, ecx, edx with VEX.L = 1
.ud5:	CHECK_FAULT VEC_UD, 0, "mulx vex.l=1"
	EXPECT_FAULT .ud6
	db 0xc4, 0xe2, 0x77, 0xf5, 0xc2  ; pdep eax, ecx, edx with VEX.L = 1
.ud6:	CHECK_FAULT VEC_UD, 0, "pdep vex.l=1"
	EXPECT_FAULT .ud7
	db 0xc4, 0xe2, 0x75, 0xf7, 0xc2  ; shlx eax, edx, ecx with VEX.L = 1
.ud7:	CHECK_FAULT VEC_UD, 0, "shlx vex.l=1"
	EXPECT_FAULT .ud8
	db 0xc4, 0xe3, 0x7f, 0xf0, 0xc1, 0x05  ; rorx eax, ecx, 5 with VEX.L = 1
.ud8:	CHECK_FAULT VEC_UD, 0, "rorx vex.l=1"
	EXPECT_FAULT .ud9
	db 0xc4, 0xe3, 0x73, 0xf0, 0xc1, 0x05  ; rorx eax, ecx, 5 with vvvv = 0001b
.ud9:	CHECK_FAULT VEC_UD, 0, "rorx vvvv != 1111b"
	CHECK_EQ rax, 0x5678, "#UD leaves the destination"
.no_bmi2:
	RAXT_DONE

	align 8
q_pattern:	dq 0x123456789abcdef0
q_ends:		dq 0x8000000000000001
d_ones:		dd 0xffffffff

RAXT_RUNTIME
