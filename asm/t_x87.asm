; t_x87.asm - the x87 FPU (CPL3, so the host CPU is the oracle under
; rax-diff --oracle native): loads and stores of every format with rounding
; control, constants, arithmetic in every operand form with precision and
; rounding control, compares into FSW and EFLAGS, FCMOVcc, FXCH, FXAM,
; FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1, the transcendentals, packed BCD,
; masked exception responses (IE DE ZE OE UE PE, stack overflow and
; underflow with SF and C1), the environment after FNINIT, and #MF for a
; pending unmasked exception. Each result is stored to memory and compared
; with the bit pattern the real CPU produces (80-bit values as sign/exponent
; and significand).
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END

%define VEC_MF 16

; CHK_ST "name", sign/exponent, significand: pops ST(0) and checks it
%macro CHK_ST 3
	fstp tword [rel t80]
	CHECK_EQ qword [rel t80 + 8], %2, {%1, " se"}
	CHECK_EQ qword [rel t80], %3, {%1, " m"}
%endmacro

; CHK_SW "name", fsw
%macro CHK_SW 2
	fnstsw ax
	movzx eax, ax
	CHECK_EQ rax, %2, {%1, " fsw"}
%endmacro

; CHK_FL "name", flags: CF PF AF ZF SF OF
%macro CHK_FL 2
	pushfq
	pop rax
	and eax, FL_ARITH
	CHECK_EQ rax, %2, {%1, " flags"}
%endmacro

; CHK_Q "name", expected: the qword at tq
%macro CHK_Q 2
	CHECK_EQ qword [rel tq], %2, {%1}
%endmacro

; SETCW value
%macro SETCW 1
	mov word [rel tcw], %1
	fldcw [rel tcw]
%endmacro

; CLRQ: zero tq
%macro CLRQ 0
	mov qword [rel tq], 0
%endmacro

	fninit

	; ---- constants (rounded by RC) ----
	fld1
	CHK_ST "fld1", 0x3fff, 0x8000000000000000
	fldz
	CHK_ST "fldz", 0x0000, 0x0000000000000000
	fldpi
	CHK_ST "fldpi", 0x4000, 0xc90fdaa22168c235
	fldl2e
	CHK_ST "fldl2e", 0x3fff, 0xb8aa3b295c17f0bc
	fldl2t
	CHK_ST "fldl2t", 0x4000, 0xd49a784bcd1b8afe
	fldlg2
	CHK_ST "fldlg2", 0x3ffd, 0x9a209a84fbcff799
	fldln2
	CHK_ST "fldln2", 0x3ffe, 0xb17217f7d1cf79ac
	SETCW 0x077f                            ; RC down
	fldpi
	CHK_ST "fldpi down", 0x4000, 0xc90fdaa22168c234
	fldl2e
	CHK_ST "fldl2e down", 0x3fff, 0xb8aa3b295c17f0bb
	SETCW 0x0b7f                            ; RC up
	fldl2t
	CHK_ST "fldl2t up", 0x4000, 0xd49a784bcd1b8aff
	fldlg2
	CHK_ST "fldlg2 up", 0x3ffd, 0x9a209a84fbcff799
	SETCW 0x0f7f                            ; RC zero
	fldln2
	CHK_ST "fldln2 zero", 0x3ffe, 0xb17217f7d1cf79ab
	CHK_SW "constants", 0x0000

	; ---- loads ----
	fninit
	fld dword [rel f32_denorm]              ; DE, normalised into extended
	CHK_SW "fld m32 denormal", 0x3802
	CHK_ST "fld m32 denormal", 0x3f74, 0x8000000000000000
	fnclex
	fld qword [rel f64_snan]                ; IE, quieted
	CHK_SW "fld m64 snan", 0x3801
	CHK_ST "fld m64 snan", 0x7fff, 0xc000000000000800
	fnclex
	fld tword [rel f80_snan]                ; no exception, loaded as it is
	CHK_SW "fld m80 snan", 0x3800
	CHK_ST "fld m80 snan", 0xffff, 0x8000000000000001
	fild word [rel i16_m1234]
	CHK_ST "fild m16", 0xc009, 0x9a40000000000000
	fild dword [rel i32_val]
	CHK_ST "fild m32", 0x401b, 0x9502f90000000000
	fild qword [rel i64_min]
	CHK_ST "fild m64 min", 0xc03e, 0x8000000000000000
	fld1
	fld st0                                 ; FLD ST(i)
	fadd st0, st1
	CHK_ST "fld st(i)", 0x4000, 0x8000000000000000
	fstp st0
	CHK_SW "loads", 0x0000

	; ---- stores with rounding control ----
	fninit
	fldpi
	fst dword [rel tq]
	CHK_SW "fst m32 pi near", 0x3a20	; PE, C1: rounded up
	CLRQ
	fst dword [rel tq]
	CHK_Q "fst m32 pi near", 0x40490fdb
	SETCW 0x077f
	fst dword [rel tq]
	CHK_Q "fst m32 pi down", 0x40490fda
	fst qword [rel tq]
	CHK_Q "fst m64 pi down", 0x400921fb54442d18
	SETCW 0x0b7f
	fst qword [rel tq]
	CHK_Q "fst m64 pi up", 0x400921fb54442d19
	fstp tword [rel t80]
	CHECK_EQ qword [rel t80], 0xc90fdaa22168c235, "fstp m80 pi"
	CHK_SW "stores", 0x0020
	; overflow and underflow to m32 (masked: inf / denormal, OE / UE)
	fninit
	fld tword [rel f80_big]
	CLRQ
	fstp dword [rel tq]
	CHK_Q "fst m32 overflow", 0x7f800000
	CHK_SW "fst m32 overflow", 0x228
	fnclex
	fld tword [rel f80_tiny]
	CLRQ
	fstp dword [rel tq]
	CHK_Q "fst m32 underflow", 0x0
	CHK_SW "fst m32 underflow", 0x30

	; ---- integer stores ----
	fninit
	fld qword [rel f64_2_5]
	CLRQ
	fist word [rel tq]
	CHK_Q "fist m16 2.5 near", 2
	CHK_SW "fist m16 2.5 near", 0x3820
	fld qword [rel f64_m2_5]
	CLRQ
	fistp dword [rel tq]
	CHK_Q "fistp m32 -2.5 near", 0xfffffffe
	SETCW 0x0b7f                            ; up
	CLRQ
	fist dword [rel tq]
	CHK_Q "fist m32 2.5 up", 3
	SETCW 0x077f                            ; down
	fchs
	CLRQ
	fistp qword [rel tq]
	CHK_Q "fistp m64 -2.5 down", 0xfffffffffffffffd
	fld qword [rel f64_m2_7]
	CLRQ
	fisttp dword [rel tq]                   ; truncates whatever RC says
	CHK_Q "fisttp m32 -2.7", 0xfffffffe
	fnclex
	fld qword [rel f64_40000]
	CLRQ
	fistp word [rel tq]                     ; out of range: integer indefinite, IE
	CHK_Q "fistp m16 overflow", 0x8000
	CHK_SW "fistp m16 overflow", 0x1
	fnclex
	fld tword [rel f80_2p63]
	fisttp qword [rel tq]
	CHK_Q "fisttp m64 2^63", 0x8000000000000000
	CHK_SW "fisttp m64 2^63", 0x0001

	; ---- packed BCD ----
	fninit
	fbld tword [rel bcd_val]
	fld st0
	fbstp tword [rel t80]
	CHECK_EQ qword [rel t80], 0x0123456789012345, "fbstp lo"
	CHECK_EQ qword [rel t80 + 8], 0x8067, "fbstp hi"
	CHK_ST "fbld", 0xc03a, 0x94cc1bbc590df790
	fld tword [rel f80_1e18]
	fbstp tword [rel t80]                         ; too large: BCD indefinite, IE
	CHECK_EQ qword [rel t80 + 8], 0xffff, "fbstp overflow hi"
	CHECK_EQ qword [rel t80], 0xc000000000000000, "fbstp overflow lo"
	CHK_SW "fbstp overflow", 0x0001

	; ---- arithmetic, every operand form ----
	fninit
	fld qword [rel f64_3]                   ; st1 = 3
	fld qword [rel f64_10]                  ; st0 = 10
	fadd st0, st1
	CHK_SW "fadd st0,st1", 0x3000
	fsub st0, st1                           ; 10
	fsubr st0, st1                          ; 3 - 10 = -7
	fmul st0, st1                           ; -21
	fdiv st0, st1                           ; -7
	fdivr st0, st1                          ; 3 / -7
	CHK_SW "d8 forms", 0x3220
	fst st2
	CHK_ST "d8 forms", 0xbffd, 0xdb6db6db6db6db6e
	fld qword [rel f64_10]
	fadd st1, st0                           ; st1 = 13
	fsub st1, st0                           ; st1 = 13 - 10 = 3
	fsubr st1, st0                          ; st1 = 10 - 3 = 7
	fmul st1, st0                           ; 70
	fdiv st1, st0                           ; 7
	fdivr st1, st0                          ; 10 / 7
	fstp st0
	CHK_ST "dc forms", 0x3fff, 0xb6db6db6db6db6db
	fld1
	fld qword [rel f64_3]
	fld qword [rel f64_10]                  ; 10, 3, 1
	faddp st1, st0                          ; 13, 1
	fld qword [rel f64_3]
	fsubp st1, st0                          ; 13 - 3 = 10
	fld qword [rel f64_3]
	fsubrp st1, st0                         ; 3 - 10 = -7
	fld qword [rel f64_3]
	fmulp st1, st0                          ; -21
	fld qword [rel f64_10]
	fdivp st1, st0                          ; -2.1
	fld qword [rel f64_3]
	fdivrp st1, st0                         ; 3 / -2.1
	CHK_SW "de forms", 0x3220
	CHK_ST "de forms", 0xbfff, 0xb6db6db6db6db6dc
	CHK_ST "de forms st1", 0x3fff, 0x8000000000000000
	fninit
	fld qword [rel f64_10]
	fadd dword [rel f32_1_5]
	fsub qword [rel f64_3]
	fmul dword [rel f32_1_5]
	fdivr qword [rel f64_10]
	fsubr dword [rel f32_1_5]
	fdiv qword [rel f64_3]
	CHK_ST "m32/m64 forms", 0x3ffc, 0xf4499ef4499ef449
	fld qword [rel f64_10]
	fiadd word [rel i16_m1234]
	fisub dword [rel i32_val]
	fimul word [rel i16_m1234]
	fidivr dword [rel i32_val]
	fisubr word [rel i16_m1234]
	fidiv dword [rel i32_val]
	CHK_ST "integer forms", 0xbfed, 0x847ff4bbe6f431cf
	CHK_SW "integer forms", 0x0020

	; ---- precision and rounding control: 1/3 and 2/3 ----
	fninit
	SETCW 0x007f                            ; single
	fld1
	fdiv qword [rel f64_3]
	CHK_ST "1/3 pc24", 0x3ffd, 0xaaaaab0000000000
	SETCW 0x027f                            ; double
	fld1
	fdiv qword [rel f64_3]
	CHK_ST "1/3 pc53", 0x3ffd, 0xaaaaaaaaaaaaa800
	SETCW 0x037f                            ; extended
	fld1
	fdiv qword [rel f64_3]
	CHK_ST "1/3 pc64", 0x3ffd, 0xaaaaaaaaaaaaaaab
	SETCW 0x0f7f                            ; chop
	fld1
	fdiv qword [rel f64_3]
	CHK_ST "1/3 chop", 0x3ffd, 0xaaaaaaaaaaaaaaaa
	SETCW 0x0b7f                            ; up
	fld1
	fchs
	fdiv qword [rel f64_3]
	CHK_SW "-1/3 up", 0x3820
	CHK_ST "-1/3 up", 0xbffd, 0xaaaaaaaaaaaaaaaa
	SETCW 0x077f                            ; down
	fld1
	fld1
	fsub st0, st1                           ; exact zero in RC down: -0
	CHK_ST "1-1 down", 0x8000, 0
	fstp st0

	; ---- masked exceptions ----
	fninit
	fld1
	fldz
	fdivp st1, st0                          ; ZE
	CHK_SW "1/0", 0x3804
	CHK_ST "1/0", 0x7fff, 0x8000000000000000
	fnclex
	fldz
	fldz
	fdivp st1, st0                          ; IE: indefinite
	CHK_SW "0/0", 0x3801
	CHK_ST "0/0", 0xffff, 0xc000000000000000
	fnclex
	fld1
	fchs
	fsqrt
	CHK_SW "sqrt -1", 0x3801
	CHK_ST "sqrt -1", 0xffff, 0xc000000000000000
	fnclex
	fld tword [rel f80_big]
	fmul st0, st0                           ; OE PE: infinity
	CHK_SW "overflow", 0x3a28
	CHK_ST "overflow", 0x7fff, 0x8000000000000000
	fnclex
	fld tword [rel f80_tiny]
	fmul st0, st0                           ; UE PE: zero
	CHK_SW "underflow", 0x3830
	CHK_ST "underflow", 0x0000, 0
	fnclex
	fld tword [rel f80_denorm]
	fld1
	fadd st0, st1                           ; DE (and PE)
	CHK_SW "denormal operand", 0x3022
	CHK_ST "denormal operand", 0x3fff, 0x8000000000000000
	fstp st0
	fnclex
	fld qword [rel f64_qnan]
	fld1
	fadd st0, st1                           ; QNaN propagates, no IE
	CHK_SW "qnan", 0x3000
	CHK_ST "qnan", 0x7fff, 0xc000000000000800
	fstp st0
	; stack underflow: fadd with an empty ST(1): IE SF C1=0, indefinite
	fninit
	fld1
	fadd st0, st1
	CHK_SW "stack underflow", 0x3841
	CHK_ST "stack underflow", 0xffff, 0xc000000000000000
	; stack overflow: nine pushes, the last one IE SF C1=1
	fninit
%rep 8
	fld1
%endrep
	fldz
	CHK_SW "stack overflow", 0x3a41
	CHK_ST "stack overflow", 0xffff, 0xc000000000000000

	; ---- compares ----
	fninit
	fld qword [rel f64_3]
	fld qword [rel f64_10]
	fcom st1                                ; 10 > 3
	CHK_SW "fcom gt", 0x3000
	fcom qword [rel f64_10]                 ; equal
	CHK_SW "fcom eq", 0x7000
	fcom dword [rel f32_1_5]
	CHK_SW "fcom m32 gt", 0x3000
	ficom word [rel i16_m1234]
	CHK_SW "ficom gt", 0x3000
	fxch
	ficom dword [rel i32_val]               ; 3 < val
	CHK_SW "ficom lt", 0x3100
	fucom st1
	CHK_SW "fucom lt", 0x3100
	fcomp st1                               ; pops
	CHK_SW "fcomp", 0x3900
	fld qword [rel f64_qnan]
	fucom st1                               ; unordered, no IE
	CHK_SW "fucom qnan", 0x7500
	fcom st1                                ; unordered, IE
	CHK_SW "fcom qnan", 0x7501
	fnclex
	fcompp
	CHK_SW "fcompp", 0x4501
	fnclex
	fldz
	fchs
	ftst                                    ; -0 == 0
	CHK_SW "ftst -0", 0x7800
	fxam                                    ; zero, C1 = sign
	CHK_SW "fxam -0", 0x7a00
	fstp st0
	fxam                                    ; empty
	CHK_SW "fxam empty", 0x4100
	fld tword [rel f80_denorm]
	fxam
	CHK_SW "fxam denormal", 0x7c00
	fld qword [rel f64_qnan]
	fxam
	CHK_SW "fxam nan", 0x3100
	fld tword [rel f80_unnormal]
	fxam
	CHK_SW "fxam unnormal", 0x2800
	fld1
	fchs
	fxam
	CHK_SW "fxam -1", 0x2600
	fninit
	fld qword [rel f64_3]
	fld qword [rel f64_10]
	mov eax, FL_ARITH
	push rax
	popfq
	fcomi st0, st1                          ; 10 > 3: ZF PF CF = 0, OF SF AF cleared
	CHK_FL "fcomi gt", 0
	fxch
	fucomi st0, st1                         ; lt: CF
	CHK_FL "fucomi lt", FL_CF
	fld st0
	fcomip st0, st1                         ; eq: ZF, pops
	CHK_FL "fcomip eq", FL_ZF
	fld qword [rel f64_qnan]
	fucomip st0, st1                        ; unordered: ZF PF CF, no IE
	CHK_FL "fucomip nan", FL_ZF | FL_PF | FL_CF
	CHK_SW "fcomi", 0x3000

	; ---- FCMOVcc, FXCH, FFREE, FINCSTP, FDECSTP, FCHS, FABS ----
	fninit
	fld1
	fldz                                    ; st0 = 0, st1 = 1
	stc
	fcmovnb st0, st1                        ; CF=1: no move
	clc
	fcmovb st0, st1                         ; no move
	fcmovnb st0, st1                        ; move: st0 = 1
	CHK_ST "fcmov", 0x3fff, 0x8000000000000000
	fldz
	xor eax, eax                            ; ZF=1, PF=1
	fcmovne st0, st1
	fcmovu st0, st1
	CHK_ST "fcmovu", 0x3fff, 0x8000000000000000
	fninit
	fld1
	fldpi
	fxch st1
	CHK_ST "fxch", 0x3fff, 0x8000000000000000
	fld1
	ffree st0                               ; empties ST(0), TOP unchanged
	CHK_SW "ffree", 0x3000
	fincstp                                 ; ST(0) = pi again
	fdecstp
	fincstp
	CHK_SW "fincstp", 0x3800
	fchs
	CHK_ST "fchs", 0xc000, 0xc90fdaa22168c235
	fldpi
	fchs
	fabs
	CHK_ST "fabs", 0x4000, 0xc90fdaa22168c235

	; ---- FRNDINT, FSCALE, FXTRACT, FSQRT, FPREM, FPREM1 ----
	fninit
	fld qword [rel f64_m2_5]
	frndint
	CHK_SW "frndint near", 0x3820
	CHK_ST "frndint near", 0xc000, 0x8000000000000000
	SETCW 0x077f
	fld qword [rel f64_m2_5]
	frndint
	CHK_ST "frndint down", 0xc000, 0xc000000000000000
	SETCW 0x037f
	fld qword [rel f64_3]
	fld qword [rel f64_10]
	fscale                                  ; 10 * 2^3
	CHK_ST "fscale", 0x4005, 0xa000000000000000
	fstp st0
	fld qword [rel f64_10]
	fxtract                                 ; exponent 3, significand 1.25
	CHK_ST "fxtract sig", 0x3fff, 0xa000000000000000
	CHK_ST "fxtract exp", 0x4000, 0xc000000000000000
	fld qword [rel f64_10]
	fsqrt
	CHK_ST "fsqrt", 0x4000, 0xca62c1d6d2da9490
	fnclex
	fld qword [rel f64_3]
	fld qword [rel f64_m2_7]
	fld qword [rel f64_40000]               ; 40000 rem 3
	fprem
	CHK_SW "fprem", 0x6900
	CHK_ST "fprem", 0x4000, 0x8ccccccccc13a000
	fprem1                                  ; -2.7 rem1 3
	CHK_SW "fprem1", 0x3200
	CHK_ST "fprem1", 0x3ffd, 0x9999999999998000
	fstp st0
	fld tword [rel f80_2p63]
	fld1
	fxch
	fprem                                   ; 2^63 rem 1: partial (C2 = 1)
	CHK_SW "fprem partial", 0x3000
	fstp st0
	fstp st0

	; ---- transcendentals ----
	fninit
	fld qword [rel f64_0_5]
	fsin
	CHK_ST "fsin", 0x3ffd, 0xf57743a2582f7f44
	fld qword [rel f64_0_5]
	fcos
	CHK_ST "fcos", 0x3ffe, 0xe0a94032dbea7cee
	fld qword [rel f64_0_5]
	fsincos
	CHK_ST "fsincos cos", 0x3ffe, 0xe0a94032dbea7cee
	CHK_ST "fsincos sin", 0x3ffd, 0xf57743a2582f7f44
	fld qword [rel f64_0_5]
	fptan
	CHK_ST "fptan 1", 0x3fff, 0x8000000000000000
	CHK_ST "fptan", 0x3ffe, 0x8bda7adf9a3a5219
	fld1
	fld qword [rel f64_3]
	fpatan                                  ; atan(1/3)
	CHK_ST "fpatan", 0x3ffd, 0xa4bc7d1934f70924
	fld qword [rel f64_0_5]
	f2xm1
	CHK_ST "f2xm1", 0x3ffd, 0xd413cccfe7799211
	fld qword [rel f64_3]
	fld qword [rel f64_10]
	fyl2x                                   ; 3 * log2(10)
	CHK_ST "fyl2x", 0x4002, 0x9f73da38d9d4a83f
	fld qword [rel f64_3]
	fld qword [rel f64_0_5]
	fyl2xp1                                 ; 3 * log2(1.5)
	CHK_ST "fyl2xp1", 0x3fff, 0xe0a02756f9c1cb70
	fld tword [rel f80_2p63]
	fsin                                    ; out of range: C2 = 1, ST(0) unchanged
	CHK_SW "fsin range", 0x3c20
	CHK_ST "fsin range", 0x403e, 0x8000000000000000
	CHK_SW "transcendentals", 0x420

	; ---- FNSTENV after FNINIT: no pointers yet ----
	fninit
	SETCW 0x027f
	fnstenv [rel env]
	CHECK_EQ qword [rel env], 0xffff0000ffff027f, "fnstenv fcw fsw"
	CHECK_EQ qword [rel env + 8], 0x00000000ffffffff, "fnstenv ftw fip"
	CHECK_EQ qword [rel env + 16], 0, "fnstenv fop fdp"
	mov eax, [rel env + 24]
	CHECK_EQ rax, 0xffff0000, "fnstenv fds"
	fnstcw [rel tcw]
	movzx eax, word [rel tcw]
	CHECK_EQ rax, 0x027f, "fnstenv masks (already masked)"

	; ---- #MF: a pending unmasked exception faults the next waiting insn ----
	fninit
	SETCW 0x037b                            ; ZE unmasked
	fld1
	fldz
	fdivp st1, st0                          ; ZE pending: no pop, ES and B
	fnstsw ax                               ; no-wait: fine
	movzx eax, ax
	CHECK_EQ rax, 0xb084, "pending fsw"
	EXPECT_FAULT .mf1
	fld1
.mf1:
	CHECK_FAULT VEC_MF, 0, "fld1 with ZE pending"
	lea rax, [rel .mf1 - 2]
	CHECK_EQ [rel raxt_catch + 24], rax, "#MF rip is the waiting instruction"
	fnclex
	fld1
	CHK_SW "after fnclex", 0x2800
	fninit

	RAXT_DONE
RAXT_RUNTIME
	align 16, db 0
t80: dq 0, 0
tq: dq 0
tcw: dq 0
env: times 32 db 0
f32_denorm: dd 0x00000400
f32_1_5: dd 1.5
f64_snan: dq 0x7ff0000000000001
f64_qnan: dq 0x7ff8000000000001
f64_2_5: dq 2.5
f64_m2_5: dq -2.5
f64_m2_7: dq -2.7
f64_40000: dq 40000.0
f64_3: dq 3.0
f64_10: dq 10.0
f64_0_5: dq 0.5
i16_m1234: dw -1234
	align 4, db 0
i32_val: dd 312500000
	align 8, db 0
i64_min: dq 0x8000000000000000
f80_snan: dq 0x8000000000000001
	dw 0xffff
	align 8, db 0
f80_big: dq 0xffffffffffffffff
	dw 0x7ffe
	align 8, db 0
f80_tiny: dq 0x8000000000000000
	dw 0x0001
	align 8, db 0
f80_denorm: dq 0x0000000000000001
	dw 0x0000
	align 8, db 0
f80_unnormal: dq 0x4000000000000000
	dw 0x3fff
	align 8, db 0
f80_2p63: dq 0x8000000000000000
	dw 0x403e
	align 8, db 0
f80_1e18: dq 0xde0b6b3a76400000
	dw 0x403a
	align 8, db 0
bcd_val: dq 0x0123456789012345
	dw 0x8067
