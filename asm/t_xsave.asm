; t_xsave.asm - the XSAVE feature set at CPL0 (CPU level v2): CR4.OSXSAVE
; and CPUID's OSXSAVE copy, the CPUID 0xD leaves (x87, SSE, AVX at 576),
; XGETBV/XSETBV and the XCR0 rules, XSAVE/XRSTOR/XSAVEOPT/XSAVEC round trips
; of x87, SSE (MXCSR included) and AVX state (the YMM upper halves, which
; only XRSTOR can load here: no VEX instruction is used), 32-bit and REX.W
; forms, the header (XSTATE_BV bits outside the request kept, XCOMP_BV),
; the init optimization where the architecture defines it (XRSTOR of a
; component whose XSTATE_BV bit is clear loads its initial state; MXCSR in
; the standard and compacted forms), and the faults: #UD with OSXSAVE=0,
; #NM with CR0.TS, #GP(0) for a misaligned area, reserved header bits,
; MXCSR reserved bits, bad XCR0 values and unknown XCRs.
; Only architectural results are checked, so the program passes on any CPU
; (the interpreter, and KVM on hardware): where CPUID offers no XSAVE (level
; v1, or a KVM host that cannot run it) it checks nothing more than that
; and ends; XSAVEOPT and XSAVEC are checked where CPUID 0xD.1 offers them.
%include "include/raxtest.inc"
RAXT_HEADER 0
RAXT_HEADER_END

%define CR4_OSXSAVE (1 << 18)
%define BIT63 0x8000000000000000

; XGETBV into rax (EDX:EAX), ECX = %1
%macro GETBV 1
	mov ecx, %1
	xgetbv
	shl rdx, 32
	or rax, rdx
%endmacro

; SETBV value: XSETBV XCR0 = value
%macro SETBV 1
	mov rax, %1
	mov rdx, rax
	shr rdx, 32
	xor ecx, ecx
	xsetbv
%endmacro

; MASK value: EDX:EAX = value
%macro MASK 1
	mov rax, %1
	mov rdx, rax
	shr rdx, 32
%endmacro

	; ---- before CR4.OSXSAVE ----
	mov eax, 1
	cpuid
	bt ecx, 26
	jc .have_xsave
	bt ecx, 27
	setc al
	movzx eax, al
	CHECK_EQ rax, 0, "cpuid 1: no XSAVE, no OSXSAVE"
	PRINT "cpuid 1: XSAVE not offered: nothing more to check"
	RAXT_DONE
.have_xsave:
	mov rax, rcx
	shr rax, 26
	and rax, 3
	CHECK_EQ rax, 1, "cpuid 1: XSAVE set, OSXSAVE clear"
	EXPECT_FAULT .ud1
	xor ecx, ecx
	xgetbv
.ud1:	CHECK_FAULT VEC_UD, 0, "xgetbv with CR4.OSXSAVE=0"
	EXPECT_FAULT .ud2
	xsave [rel area_a]
.ud2:	CHECK_FAULT VEC_UD, 0, "xsave with CR4.OSXSAVE=0"

	mov rax, cr4
	or rax, CR4_OSXSAVE
	mov cr4, rax
	mov eax, 1
	cpuid
	mov rax, rcx
	shr rax, 27
	and rax, 1
	CHECK_EQ rax, 1, "cpuid 1: OSXSAVE follows CR4"

	; ---- CPUID 0xD ----
	mov eax, 0xd
	xor ecx, ecx
	cpuid
	and eax, 7
	cmp eax, 7
	je .have_avx
	PRINT "cpuid 0xd.0: no AVX component: nothing more to check"
	RAXT_DONE
.have_avx:
	CHECK_EQ rbx, 576, "cpuid 0xd.0 ebx: XCR0=1 area"
	CHECK_EQ rcx, 832, "cpuid 0xd.0 ecx: largest area"
	mov eax, 0xd
	mov ecx, 1
	cpuid
	mov [rel xs_ext], eax                   ; bit 0 XSAVEOPT, bit 1 XSAVEC
	mov eax, 0xd
	mov ecx, 2
	cpuid
	CHECK_EQ rax, 256, "cpuid 0xd.2 eax: avx size"
	CHECK_EQ rbx, 576, "cpuid 0xd.2 ebx: avx offset"

	; ---- XGETBV / XSETBV ----
	GETBV 0
	CHECK_EQ rax, 1, "xcr0 at reset"
	EXPECT_FAULT .gp1
	mov ecx, 2
	xgetbv
.gp1:	CHECK_FAULT VEC_GP, 0, "xgetbv ecx=2"
	EXPECT_FAULT .gp2
	SETBV 0
.gp2:	CHECK_FAULT VEC_GP, 0, "xsetbv x87 clear"
	EXPECT_FAULT .gp3
	SETBV 5
.gp3:	CHECK_FAULT VEC_GP, 0, "xsetbv avx without sse"
	EXPECT_FAULT .gp4
	SETBV 0x8000000000000003
.gp4:	CHECK_FAULT VEC_GP, 0, "xsetbv reserved bit 63"
	EXPECT_FAULT .gp5
	MASK 3
	mov ecx, 1
	xsetbv
.gp5:	CHECK_FAULT VEC_GP, 0, "xsetbv ecx=1"
	SETBV 3
	GETBV 0
	CHECK_EQ rax, 3, "xcr0 = x87 sse"
	mov eax, 0xd
	xor ecx, ecx
	cpuid
	CHECK_EQ rbx, 576, "cpuid 0xd.0 ebx with XCR0=3"
	SETBV 7
	GETBV 0
	CHECK_EQ rax, 7, "xcr0 = x87 sse avx"
	mov eax, 0xd
	xor ecx, ecx
	cpuid
	CHECK_EQ rbx, 832, "cpuid 0xd.0 ebx with XCR0=7"

	; ---- a known state: x87, XMM0-15, MXCSR, YMM upper halves ----
	call load_state
	MASK 7
	xsave64 [rel area_a]
	CHECK_EQ qword [rel area_a + 512], 7, "xsave: XSTATE_BV all in use"
	CHECK_EQ qword [rel area_a + 520], 0, "xsave: XCOMP_BV untouched"
	mov eax, [rel area_a + 24]
	CHECK_EQ rax, 0x1fa0, "xsave: mxcsr"
	CHECK_EQ qword [rel area_a + 160], [rel xmm_pat], "xsave: xmm0 low"
	CHECK_EQ qword [rel area_a + 160 + 15 * 16 + 8], [rel xmm_pat + 15 * 16 + 8], "xsave: xmm15 high"
	CHECK_EQ qword [rel area_a + 576], [rel ymm_img + 576], "xsave: ymm0 upper"
	CHECK_EQ qword [rel area_a + 576 + 15 * 16 + 8], [rel ymm_img + 576 + 15 * 16 + 8], "xsave: ymm15 upper"
	mov ax, [rel area_a]
	movzx eax, ax
	CHECK_EQ rax, 0x27f, "xsave: fcw"
	CHECK_EQ qword [rel area_a + 32], [rel st_one], "xsave: st0 mantissa"

	; clobber everything, then restore the image
	call clobber
	MASK 7
	xrstor64 [rel area_a]
	call check_state
	; the same through the 32-bit forms
	MASK 7
	xsave [rel area_b]
	call clobber
	MASK 7
	xrstor [rel area_b]
	call check_state

	; ---- header: bits outside the request are kept ----
	mov rax, 0xf0
	mov [rel area_c + 512], rax
	mov qword [rel area_c + 520], 0x55
	MASK 2
	xsave64 [rel area_c]
	CHECK_EQ qword [rel area_c + 512], 0xf2, "xsave rfbm=2: other XSTATE_BV bits kept"
	CHECK_EQ qword [rel area_c + 520], 0x55, "xsave rfbm=2: XCOMP_BV kept"
	mov qword [rel area_c + 512], 0
	MASK 0xfffffffffffffffc                 ; only AVX is requested (XCR0 & mask)
	xsave64 [rel area_c]
	CHECK_EQ qword [rel area_c + 512], 4, "xsave rfbm=~3: only the AVX bit"
	CHECK_EQ qword [rel area_c + 576], [rel ymm_img + 576], "xsave rfbm=~3: ymm0 upper"
	mov eax, [rel area_c + 24]
	CHECK_EQ rax, 0x1fa0, "xsave rfbm=~3: mxcsr saved with AVX"

	; ---- XSAVEOPT: components in use are saved ----
	test byte [rel xs_ext], 1
	jz .no_xsaveopt
	call fill_c
	MASK 7
	xsaveopt64 [rel area_c]
	mov rbx, 0x5a5a5a5a5a5a5a5f
	CHECK_EQ qword [rel area_c + 512], rbx, "xsaveopt: XSTATE_BV bits 0-2 set, others kept"
	CHECK_EQ qword [rel area_c + 160 + 16], [rel xmm_pat + 16], "xsaveopt: xmm1"
	CHECK_EQ qword [rel area_c + 576 + 16], [rel ymm_img + 576 + 16], "xsaveopt: ymm1 upper"
.no_xsaveopt:

	; ---- XSAVEC: compacted format (it leaves header bytes 16-63 alone,
	; and the compacted XRSTOR wants them zero) ----
	test byte [rel xs_ext], 2
	jz .no_xsavec
	call zero_c
	MASK 7
	xsavec64 [rel area_c]
	CHECK_EQ qword [rel area_c + 512], 7, "xsavec: XSTATE_BV"
	mov rbx, BIT63 | 7
	CHECK_EQ qword [rel area_c + 520], rbx, "xsavec: XCOMP_BV"
	CHECK_EQ qword [rel area_c + 576 + 32], [rel ymm_img + 576 + 32], "xsavec: ymm2 upper at 576"
	call clobber
	MASK 7
	xrstor64 [rel area_c]                   ; the compacted form of XRSTOR
	call check_state
	call fill_c
	MASK 5                                  ; x87 and AVX: AVX still at 576
	xsavec64 [rel area_c]
	mov rbx, BIT63 | 5
	CHECK_EQ qword [rel area_c + 520], rbx, "xsavec rfbm=5: XCOMP_BV"
	CHECK_EQ qword [rel area_c + 512], 5, "xsavec rfbm=5: XSTATE_BV"
	CHECK_EQ qword [rel area_c + 576], [rel ymm_img + 576], "xsavec rfbm=5: ymm0 upper"
	CHECK_EQ qword [rel area_c + 160], [rel fill_pat], "xsavec rfbm=5: xmm area untouched"
.no_xsavec:

	; ---- init optimization: XSTATE_BV bit clear -> initial state ----
	call load_state
	call zero_init
	mov dword [rel area_init + 24], 0x1f81  ; standard form: MXCSR comes from memory
	MASK 7
	xrstor64 [rel area_init]
	stmxcsr [rel tmp]
	mov eax, [rel tmp]
	CHECK_EQ rax, 0x1f81, "xrstor init: standard form loads MXCSR"
	movq rax, xmm0
	CHECK_EQ rax, 0, "xrstor init: xmm0 zero"
	movq rax, xmm15
	CHECK_EQ rax, 0, "xrstor init: xmm15 zero"
	fnstcw [rel tmp]
	movzx eax, word [rel tmp]
	CHECK_EQ rax, 0x37f, "xrstor init: fcw 037f"
	fnstsw ax
	movzx eax, ax
	CHECK_EQ rax, 0, "xrstor init: fsw 0"
	fxsave64 [rel area_b]
	movzx eax, byte [rel area_b + 4]
	CHECK_EQ rax, 0, "xrstor init: all x87 registers empty"
	MASK 4
	xsave64 [rel area_b]
	CHECK_EQ qword [rel area_b + 576], 0, "xrstor init: ymm0 upper zero"
	CHECK_EQ qword [rel area_b + 576 + 15 * 16 + 8], 0, "xrstor init: ymm15 upper zero"
	; a component outside RFBM is left alone
	call load_state
	MASK 2
	xrstor64 [rel area_init]
	movq rax, xmm0
	CHECK_EQ rax, 0, "xrstor rfbm=2: xmm0 initialised"
	fnstcw [rel tmp]
	movzx eax, word [rel tmp]
	CHECK_EQ rax, 0x27f, "xrstor rfbm=2: x87 kept"
	MASK 4
	xsave64 [rel area_b]
	CHECK_EQ qword [rel area_b + 576], [rel ymm_img + 576], "xrstor rfbm=2: ymm upper kept"
	; compacted form: SSE requested with XSTATE_BV[1] clear -> MXCSR 1F80
	test byte [rel xs_ext], 2
	jz .no_compact_init
	call zero_init
	mov dword [rel area_init + 24], 0x1f81
	mov rax, BIT63 | 2
	mov [rel area_init + 520], rax
	ldmxcsr [rel mxcsr_odd]
	MASK 2
	xrstor64 [rel area_init]
	stmxcsr [rel tmp]
	mov eax, [rel tmp]
	CHECK_EQ rax, 0x1f80, "xrstor compacted init: MXCSR 1F80"
.no_compact_init:

	; ---- faults ----
	call zero_init
	EXPECT_FAULT .f1
	MASK 7
	xsave64 [rel area_a + 32]
.f1:	CHECK_FAULT VEC_GP, 0, "xsave misaligned"
	EXPECT_FAULT .f2
	MASK 7
	xrstor64 [rel area_init + 16]
.f2:	CHECK_FAULT VEC_GP, 0, "xrstor misaligned"
	test byte [rel xs_ext], 2
	jz .no_f3
	EXPECT_FAULT .f3
	MASK 7
	xsavec64 [rel area_a + 48]
.f3:	CHECK_FAULT VEC_GP, 0, "xsavec misaligned"
.no_f3:
	mov qword [rel area_init + 512], 8      ; XSTATE_BV bit 3: not in XCR0
	EXPECT_FAULT .f4
	MASK 7
	xrstor64 [rel area_init]
.f4:	CHECK_FAULT VEC_GP, 0, "xrstor XSTATE_BV outside XCR0"
	EXPECT_FAULT .f5
	MASK 0                                  ; whatever is requested
	xrstor64 [rel area_init]
.f5:	CHECK_FAULT VEC_GP, 0, "xrstor XSTATE_BV outside XCR0, rfbm=0"
	call zero_init
	mov qword [rel area_init + 520], 1      ; XCOMP_BV without bit 63
	EXPECT_FAULT .f6
	MASK 7
	xrstor64 [rel area_init]
.f6:	CHECK_FAULT VEC_GP, 0, "xrstor XCOMP_BV in the standard form"
	call zero_init
	mov byte [rel area_init + 512 + 16], 1  ; reserved header bytes
	EXPECT_FAULT .f7
	MASK 7
	xrstor64 [rel area_init]
.f7:	CHECK_FAULT VEC_GP, 0, "xrstor header bytes 16-23"
	test byte [rel xs_ext], 2
	jz .no_f8
	call zero_init
	mov qword [rel area_init + 512], 4
	mov rax, BIT63 | 3
	mov [rel area_init + 520], rax          ; XSTATE_BV not within XCOMP_BV
	EXPECT_FAULT .f8
	MASK 7
	xrstor64 [rel area_init]
.f8:	CHECK_FAULT VEC_GP, 0, "xrstor compacted XSTATE_BV outside XCOMP_BV"
.no_f8:
	call zero_init
	mov dword [rel area_init + 24], 0x11f80 ; MXCSR bit 16: reserved
	EXPECT_FAULT .f9
	MASK 4                                  ; AVX alone loads MXCSR (standard form)
	xrstor64 [rel area_init]
.f9:	CHECK_FAULT VEC_GP, 0, "xrstor mxcsr reserved bit"
	call zero_init
	mov rax, cr0
	or rax, 8                               ; CR0.TS
	mov cr0, rax
	EXPECT_FAULT .f10
	MASK 7
	xsave64 [rel area_a]
.f10:	CHECK_FAULT 7, 0, "xsave with CR0.TS: #NM"
	EXPECT_FAULT .f11
	MASK 7
	xrstor64 [rel area_init]
.f11:	CHECK_FAULT 7, 0, "xrstor with CR0.TS: #NM"
	clts
	mov rax, cr4
	and rax, ~CR4_OSXSAVE
	mov cr4, rax
	EXPECT_FAULT .f13
	MASK 7
	xrstor64 [rel area_init]
.f13:	CHECK_FAULT VEC_UD, 0, "xrstor with CR4.OSXSAVE=0"
	mov eax, 1
	cpuid
	mov rax, rcx
	shr rax, 27
	and rax, 1
	CHECK_EQ rax, 0, "cpuid 1: OSXSAVE clear again"

	RAXT_DONE

; load_state: x87 ST0 = 1.0, FCW 0x27f; XMM0-15 = xmm_pat; MXCSR 0x1fa0;
; YMM upper halves from ymm_img (XRSTOR of the AVX component)
load_state:
	fninit
	fldcw [rel fcw_27f]
	fld1
	ldmxcsr [rel mxcsr_1fa0]
	movdqa xmm0, [rel xmm_pat + 0 * 16]
	movdqa xmm1, [rel xmm_pat + 1 * 16]
	movdqa xmm2, [rel xmm_pat + 2 * 16]
	movdqa xmm3, [rel xmm_pat + 3 * 16]
	movdqa xmm4, [rel xmm_pat + 4 * 16]
	movdqa xmm5, [rel xmm_pat + 5 * 16]
	movdqa xmm6, [rel xmm_pat + 6 * 16]
	movdqa xmm7, [rel xmm_pat + 7 * 16]
	movdqa xmm8, [rel xmm_pat + 8 * 16]
	movdqa xmm9, [rel xmm_pat + 9 * 16]
	movdqa xmm10, [rel xmm_pat + 10 * 16]
	movdqa xmm11, [rel xmm_pat + 11 * 16]
	movdqa xmm12, [rel xmm_pat + 12 * 16]
	movdqa xmm13, [rel xmm_pat + 13 * 16]
	movdqa xmm14, [rel xmm_pat + 14 * 16]
	movdqa xmm15, [rel xmm_pat + 15 * 16]
	MASK 4
	xrstor64 [rel ymm_img]
	ret

; clobber: x87, XMM, MXCSR and the YMM upper halves all initial
clobber:
	call zero_init
	fninit
	fldz
	fldz
	MASK 7
	xrstor64 [rel area_init]
	ret

; check_state: what load_state set
check_state:
	fnstcw [rel tmp]
	movzx eax, word [rel tmp]
	CHECK_EQ rax, 0x27f, "restored fcw"
	fstp qword [rel tmp]
	CHECK_EQ qword [rel tmp], 0x3ff0000000000000, "restored st0 = 1.0"
	stmxcsr [rel tmp]
	mov eax, [rel tmp]
	CHECK_EQ rax, 0x1fa0, "restored mxcsr"
	movq rax, xmm0
	CHECK_EQ rax, [rel xmm_pat], "restored xmm0"
	pextrq rax, xmm9, 1
	CHECK_EQ rax, [rel xmm_pat + 9 * 16 + 8], "restored xmm9 high"
	movq rax, xmm15
	CHECK_EQ rax, [rel xmm_pat + 15 * 16], "restored xmm15"
	fld1                                    ; back to the loaded x87 state
	MASK 4
	xsave64 [rel area_d]
	CHECK_EQ qword [rel area_d + 576 + 3 * 16], [rel ymm_img + 576 + 3 * 16], "restored ymm3 upper"
	CHECK_EQ qword [rel area_d + 576 + 14 * 16 + 8], [rel ymm_img + 576 + 14 * 16 + 8], "restored ymm14 upper"
	ret

; zero_init: area_init = an all-initial standard image (XSTATE_BV 0, MXCSR 1F80)
zero_init:
	lea rdi, [rel area_init]
	xor eax, eax
	mov ecx, 1024 / 8
	rep stosq
	mov dword [rel area_init + 24], 0x1f80
	ret

; fill_c: area_c = a fill pattern; zero_c: area_c = zeros
fill_c:
	mov rax, [rel fill_pat]
	jmp fill_c_with
zero_c:
	xor eax, eax
fill_c_with:
	lea rdi, [rel area_c]
	mov ecx, 1024 / 8
	rep stosq
	ret

RAXT_RUNTIME
	align 64, db 0
area_a:	times 1024 db 0
area_b:	times 1024 db 0
area_c:	times 1024 db 0
area_d:	times 1024 db 0
area_init: times 1024 db 0
; an image whose AVX component holds a pattern (XSTATE_BV = 4)
ymm_img:
	times 24 db 0
	dd 0x1fa0, 0xffff
	times 512 - 32 db 0
	dq 4, 0
	times 48 db 0
%assign i 0
%rep 32
	dq 0xa5a5000000000000 + i * 0x0101010101
%assign i i + 1
%endrep
	times 64 db 0
	align 16, db 0
xmm_pat:
%assign i 0
%rep 32
	dq 0x1122334455667788 ^ (i * 0x0f0f0f0f0f0f0f0f)
%assign i i + 1
%endrep
st_one:	dq 0x8000000000000000
fill_pat: dq 0x5a5a5a5a5a5a5a5a
tmp:	dq 0, 0
fcw_27f: dw 0x27f
mxcsr_1fa0: dd 0x1fa0
mxcsr_odd: dd 0x1f81
xs_ext:	dd 0
