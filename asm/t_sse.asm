; t_sse.asm - the SSE, SSE2 and MMX instruction sets at CPL3: moves, shuffles,
; FP arithmetic under every rounding mode with FTZ/DAZ and the MXCSR flags,
; compares (all eight predicates, COMISS/UCOMISS flags), every conversion,
; the packed integer operations on XMM and MMX registers, shifts, packs,
; unpacks, masked stores; then #GP(0) for misaligned 16-byte operands,
; sticky MXCSR flags, and the MMX/x87 register aliasing (physical
; registers, TOP) set up through FXRSTOR.
;
; Every expected value was recorded by running the same instruction sequence
; natively on the host CPU (an AMD Zen 4); under rax-diff's native oracle
; this program checks them against the real CPU again. RCPPS/RSQRTPS are
; approximations whose low bits are vendor-specific: these are AMD's.
;
; Each case: SETUP loads xmm0/mm0 = a, xmm1/mm1 = b, rcx = b's low qword,
; rax = a sentinel, MXCSR, all status flags set; the instructions run; the
; result (kind X: xmm0, M: mm0, G: rax, F: OSZAPC) and MXCSR are checked.
; Passing checks are counted silently (the SUMMARY line), failures print.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END
	jmp start

; SETUP a_lo, a_hi, b_lo, b_hi, mxcsr: xmm0/mm0 = a, xmm1/mm1 = b, rcx = b_lo,
; rax = a sentinel, all six status flags set
%macro SETUP 5
	mov rax, %1
	mov [rel va], rax
	mov rax, %2
	mov [rel va + 8], rax
	mov rax, %3
	mov [rel vb], rax
	mov rax, %4
	mov [rel vb + 8], rax
	mov dword [rel vcsr], %5
	ldmxcsr [rel vcsr]
	movdqa xmm0, [rel va]
	movdqa xmm1, [rel vb]
	movq mm0, [rel va]
	movq mm1, [rel vb]
	mov rcx, [rel vb]
	mov rax, 0xdeadbeefdeadbeef
	push qword 0x8d7
	popfq
%endmacro

; RESULT kind: the result in [rel res] (X: xmm0, M: mm0, G: rax, F: flags),
; MXCSR in [rel vcsr]
%macro RESULT 1
	%ifidn %1, F
	pushfq
	pop rax
	and rax, 0x8d5
	%endif
	%ifidn %1, X
	movdqu [rel res], xmm0
	%elifidn %1, M
	movq [rel res], mm0
	mov qword [rel res + 8], 0
	%else
	mov [rel res], rax
	mov qword [rel res + 8], 0
	%endif
	mov qword [rel vcsr], 0
	stmxcsr [rel vcsr]
	ldmxcsr [rel csr_default]
	emms
%endmacro

; TCASE kind, "name", a_lo, a_hi, b_lo, b_hi, mxcsr, r_lo, r_hi, mxcsr_out, {insn}...
%macro TCASE 11-*
	%xdefine T_KIND %1
	%xdefine T_NAME %2
	%xdefine T_RLO %8
	%xdefine T_RHI %9
	%xdefine T_CSR %10
	SETUP %3, %4, %5, %6, %7
	%rep 10
	%rotate 1
	%endrep
	%rep %0 - 10
	%1
	%rotate 1
	%endrep
	RESULT T_KIND
	QCHECK qword [rel res], T_RLO, {T_NAME, ": result"}
	QCHECK qword [rel res + 8], T_RHI, {T_NAME, ": result high"}
	QCHECK qword [rel vcsr], T_CSR, {T_NAME, ": mxcsr"}
%endmacro

start:
	TCASE X, "movaps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, {movaps xmm0, [rel vb]}
	TCASE X, "movups unaligned", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x888899aabbccddee, 0x11223344556677, 0x1f80, {movups xmm0, [rel vb + 1]}
	TCASE X, "movdqu unaligned", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x6677888899aabbcc, 0x1122334455, 0x1f80, {movdqu xmm0, [rel vb + 3]}
	TCASE X, "movupd store", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xabcdefbbccddeeff, 0x5432100123456789, 0x1f80, {movupd [rel vb + 5], xmm0}, {movdqu xmm0, [rel vb]}
	TCASE X, "movdqa store", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0xfedcba9876543210, 0x1f80, {movdqa [rel vb], xmm0}, {pxor xmm0, xmm0}, {movdqa xmm0, [rel vb]}
	TCASE X, "movss reg", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1234567ccddeeff, 0xfedcba9876543210, 0x1f80, {movss xmm0, xmm1}
	TCASE X, "movss load zeroes", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabb, 0x0, 0x1f80, {movss xmm0, [rel vb + 4]}
	TCASE X, "movss store", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x1122334489abcdef, 0x1f80, {movss [rel vb + 8], xmm0}, {movdqa xmm0, [rel vb]}
	TCASE X, "movsd reg", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0xfedcba9876543210, 0x1f80, {movsd xmm0, xmm1}
	TCASE X, "movsd load zeroes", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1122334455667788, 0x0, 0x1f80, {movsd xmm0, [rel vb + 8]}
	TCASE X, "movsd store", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x123456789abcdef, 0x1f80, {movsd [rel vb + 8], xmm0}, {movdqa xmm0, [rel vb]}
	TCASE X, "movlps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1122334455667788, 0xfedcba9876543210, 0x1f80, {movlps xmm0, [rel vb + 8]}
	TCASE X, "movhps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x1f80, {movhps xmm0, [rel vb]}
	TCASE X, "movlpd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1122334455667788, 0xfedcba9876543210, 0x1f80, {movlpd xmm0, [rel vb + 8]}
	TCASE X, "movhpd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x1f80, {movhpd xmm0, [rel vb]}
	TCASE X, "movhlps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1122334455667788, 0xfedcba9876543210, 0x1f80, {movhlps xmm0, xmm1}
	TCASE X, "movlhps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x1f80, {movlhps xmm0, xmm1}
	TCASE X, "movlps store", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x123456789abcdef, 0x1f80, {movlps [rel vb + 8], xmm0}, {movdqa xmm0, [rel vb]}
	TCASE X, "movhps store", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xfedcba9876543210, 0x1122334455667788, 0x1f80, {movhps [rel vb], xmm0}, {movdqa xmm0, [rel vb]}
	TCASE X, "movq xmm xmm (F3 7E)", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x0, 0x1f80, {movq xmm0, xmm1}
	TCASE X, "movq xmm m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1122334455667788, 0x0, 0x1f80, {movq xmm0, [rel vb + 8]}
	TCASE X, "movq xmm xmm (66 D6)", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x0, 0x1f80, {db 0x66, 0x0f, 0xd6, 0xc8}
	TCASE X, "movq m64 xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0x1122334455667788, 0x1f80, {movq [rel vb], xmm0}, {movdqa xmm0, [rel vb]}
	TCASE X, "movd xmm r32", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xccddeeff, 0x0, 0x1f80, {movd xmm0, ecx}
	TCASE X, "movq xmm r64", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x0, 0x1f80, {movq xmm0, rcx}
	TCASE X, "movd xmm m32", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x11223344, 0x0, 0x1f80, {movd xmm0, [rel vb + 12]}
	TCASE G, "movd r32 xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xccddeeff, 0x0, 0x1f80, {movd eax, xmm1}
	TCASE G, "movq r64 xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x0, 0x1f80, {movq rax, xmm1}
	TCASE X, "movd m32 xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89abcdefccddeeff, 0x1122334455667788, 0x1f80, {movd [rel vb + 4], xmm0}, {movdqa xmm0, [rel vb]}
	TCASE G, "movmskps", 0x123456789abcdef, 0xfedcba9876543210, 0x40000000bf800000, 0x7fc0000080000000, 0x1f80, \
		0x5, 0x0, 0x1f80, {movmskps eax, xmm1}
	TCASE G, "movmskpd", 0x123456789abcdef, 0xfedcba9876543210, 0xbff0000000000000, 0x4000000000000000, 0x1f80, \
		0x1, 0x0, 0x1f80, {movmskpd eax, xmm1}
	TCASE G, "pmovmskb", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1ff, 0x0, 0x1f80, {pmovmskb eax, xmm1}
	TCASE X, "movntps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0xfedcba9876543210, 0x1f80, {movntps [rel vb], xmm0}, {movdqa xmm0, [rel vb + 16]}, {movdqa xmm0, [rel vb]}
	TCASE X, "movntdq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0xfedcba9876543210, 0x1f80, {movntdq [rel vb], xmm0}, {movdqa xmm0, [rel vb]}
	TCASE X, "movnti", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xccddeeffccddeeff, 0x1122334455667788, 0x1f80, {movnti [rel vb + 4], ecx}, {movdqa xmm0, [rel vb]}
	TCASE X, "maskmovdqu", 0x123456789abcdef, 0xfedcba9876543210, 0x817fff0080, 0xc000000000000000, 0x1f80, \
		0x6700ab00ef, 0xfe00000000000000, 0x1f80, {movdqa xmm2, xmm0}, {movdqa xmm0, [rel va + 16]}, {lea rdi, [rel va + 16]}, {maskmovdqu xmm2, xmm1}, {movdqa xmm0, [rel va + 16]}
	TCASE X, "shufps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0x40500000501502f9, 0x3f00000040800000, 0x1f80, {shufps xmm0, xmm1, 0x1b}
	TCASE X, "shufps m128", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc00000003fc00000, 0x40400000bf400000, 0x1f80, {shufps xmm0, [rel vb], 0xe4}
	TCASE X, "shufpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0xfe37e43c8800759c, 0x4008000000000000, 0x1f80, {shufpd xmm0, xmm1, 1}
	TCASE X, "shufpd 2", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x3ff8000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, {shufpd xmm0, xmm1, 2}
	TCASE X, "pshufd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1122334455667788, 0x8899aabbccddeeff, 0x1f80, {pshufd xmm0, xmm1, 0x4e}
	TCASE X, "pshufhw", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x7788556633441122, 0x1f80, {pshufhw xmm0, xmm1, 0x1b}
	TCASE X, "pshuflw", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xaabbccddeeff8899, 0x1122334455667788, 0x1f80, {pshuflw xmm0, [rel vb], 0x93}
	TCASE X, "unpcklps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0x3f0000003fc00000, 0x40800000c0000000, 0x1f80, {unpcklps xmm0, xmm1}
	TCASE X, "unpckhps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xbf40000040500000, 0x40400000501502f9, 0x1f80, {unpckhps xmm0, xmm1}
	TCASE X, "unpcklpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x3ff8000000000000, 0x4008000000000000, 0x1f80, {unpcklpd xmm0, xmm1}
	TCASE X, "unpckhpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0xfe37e43c8800759c, 0x3ddb7cdfd9d7bdbb, 0x1f80, {unpckhpd xmm0, [rel vb]}
	TCASE X, "pinsrw r32", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0xfedcba98eeff3210, 0x1f80, {pinsrw xmm0, ecx, 5}
	TCASE X, "pinsrw m16", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789ab8899, 0xfedcba9876543210, 0x1f80, {pinsrw xmm0, [rel vb + 6], 0}
	TCASE G, "pextrw", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x3344, 0x0, 0x1f80, {pextrw eax, xmm1, 6}
	TCASE X, "addps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0x4000000040000000, 0x501502f940200000, 0x1fa0, {addps xmm0, xmm1}
	TCASE X, "addpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x4012000000000000, 0xfe37e43c8800759c, 0x1fa0, {addpd xmm0, [rel vb]}
	TCASE X, "addss", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc000000040000000, 0x501502f940500000, 0x1f80, {addss xmm0, [rel vb]}
	TCASE X, "addsd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x4012000000000000, 0xfe37e43c8800759c, 0x1f80, {addsd xmm0, xmm1}
	TCASE X, "subps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc0c000003f800000, 0x501502f940800000, 0x1fa0, {subps xmm0, xmm1}
	TCASE X, "subpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0xbff8000000000000, 0xfe37e43c8800759c, 0x1fa0, {subpd xmm0, [rel vb]}
	TCASE X, "subss", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc00000003f800000, 0x501502f940500000, 0x1f80, {subss xmm0, [rel vb]}
	TCASE X, "subsd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0xbff8000000000000, 0xfe37e43c8800759c, 0x1f80, {subsd xmm0, xmm1}
	TCASE X, "mulps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc10000003f400000, 0x50df8476c01c0000, 0x1fa0, {mulps xmm0, xmm1}
	TCASE X, "mulpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x4012000000000000, 0xfc2485ce9e7a065f, 0x1fa0, {mulpd xmm0, [rel vb]}
	TCASE X, "mulss", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc00000003f400000, 0x501502f940500000, 0x1f80, {mulss xmm0, [rel vb]}
	TCASE X, "mulsd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x4012000000000000, 0xfe37e43c8800759c, 0x1f80, {mulsd xmm0, xmm1}
	TCASE X, "divps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xbf00000040400000, 0x4f46aea1c08aaaab, 0x1fa0, {divps xmm0, xmm1}
	TCASE X, "divpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x3fe0000000000000, 0xfff0000000000000, 0x1fa8, {divpd xmm0, [rel vb]}
	TCASE X, "divss", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc000000040400000, 0x501502f940500000, 0x1f80, {divss xmm0, [rel vb]}
	TCASE X, "divsd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x3fe0000000000000, 0xfe37e43c8800759c, 0x1f80, {divsd xmm0, xmm1}
	TCASE X, "minps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc00000003f000000, 0x40400000bf400000, 0x1f80, {minps xmm0, xmm1}
	TCASE X, "minpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x3ff8000000000000, 0xfe37e43c8800759c, 0x1f80, {minpd xmm0, [rel vb]}
	TCASE X, "minss", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc00000003f000000, 0x501502f940500000, 0x1f80, {minss xmm0, [rel vb]}
	TCASE X, "minsd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x3ff8000000000000, 0xfe37e43c8800759c, 0x1f80, {minsd xmm0, xmm1}
	TCASE X, "maxps", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0x408000003fc00000, 0x501502f940500000, 0x1f80, {maxps xmm0, xmm1}
	TCASE X, "maxpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, {maxpd xmm0, [rel vb]}
	TCASE X, "maxss", 0xc00000003fc00000, 0x501502f940500000, 0x408000003f000000, 0x40400000bf400000, 0x1f80, \
		0xc00000003fc00000, 0x501502f940500000, 0x1f80, {maxss xmm0, [rel vb]}
	TCASE X, "maxsd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4008000000000000, 0x3ddb7cdfd9d7bdbb, 0x1f80, \
		0x4008000000000000, 0xfe37e43c8800759c, 0x1f80, {maxsd xmm0, xmm1}
	TCASE X, "sqrtps", 0xc00000003fc00000, 0x501502f940500000, 0x4000000040800000, 0x100bf800000, 0x1f80, \
		0x3fb504f340000000, 0x1c3504f3ffc00000, 0x1fa3, {sqrtps xmm0, xmm1}
	TCASE X, "sqrtpd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0x4000000000000000, 0x8000000000000000, 0x1f80, \
		0x3ff6a09e667f3bcd, 0x8000000000000000, 0x1fa0, {sqrtpd xmm0, xmm1}
	TCASE X, "sqrtss", 0xc00000003fc00000, 0x501502f940500000, 0x4110000040000000, 0x4110000041100000, 0x1f80, \
		0xc00000003fb504f3, 0x501502f940500000, 0x1fa0, {sqrtss xmm0, xmm1}
	TCASE X, "sqrtsd", 0x3ff8000000000000, 0xfe37e43c8800759c, 0xc010000000000000, 0x4022000000000000, 0x1f80, \
		0xfff8000000000000, 0xfe37e43c8800759c, 0x1f81, {sqrtsd xmm0, xmm1}
	TCASE X, "minps nan zero", 0x7fc00000, 0x3f80000080000000, 0x800000003f800000, 0x7fa0000000000000, 0x1f80, \
		0x800000003f800000, 0x7fa0000000000000, 0x1f81, {minps xmm0, xmm1}
	TCASE X, "maxps nan zero", 0x7fc00000, 0x3f80000080000000, 0x800000003f800000, 0x7fa0000000000000, 0x1f80, \
		0x800000003f800000, 0x7fa0000000000000, 0x1f81, {maxps xmm0, xmm1}
	TCASE X, "addps snan qnan", 0x7fc000007fa00000, 0x7f800000ffc01234, 0x7fa000007fc00005, 0xff8000003f800000, 0x1f80, \
		0x7fc000007fe00000, 0xffc00000ffc01234, 0x1f81, {addps xmm0, xmm1}
	TCASE X, "addpd nans", 0x7ff4000000000000, 0x3ff0000000000000, 0x7ff8000000000007, 0x7ff8000000000000, 0x1f80, \
		0x7ffc000000000000, 0x7ff8000000000000, 0x1f81, {addpd xmm0, xmm1}
	TCASE X, "divss by zero", 0x3f800000, 0x0, 0x0, 0x0, 0x1f80, \
		0x7f800000, 0x0, 0x1f84, {divss xmm0, xmm1}
	TCASE X, "divsd 0/0", 0x0, 0x4014000000000000, 0x0, 0x0, 0x1f80, \
		0xfff8000000000000, 0x4014000000000000, 0x1f81, {divsd xmm0, xmm1}
	TCASE X, "mulps overflow underflow", 0xda242607149f2ca, 0x1e3ce50840400000, 0xda242607149f2ca, 0x1e3ce5083eaaaaab, 0x1f80, \
		0x7f800000, 0x116c23f800000, 0x1fb8, {mulps xmm0, xmm1}
	TCASE X, "mulss FTZ", 0x70da24260, 0x700000007, 0x72edbe6ff, 0x700000007, 0x9f80, \
		0x700000000, 0x700000007, 0x9fb0, {mulss xmm0, xmm1}
	TCASE X, "addss DAZ", 0x700000003, 0x700000007, 0x700000000, 0x700000007, 0x1fc0, \
		0x700000000, 0x700000007, 0x1fc0, {addss xmm0, xmm1}
	TCASE X, "addss denormal DE", 0x700000003, 0x700000007, 0x73f800000, 0x700000007, 0x1f80, \
		0x73f800000, 0x700000007, 0x1fa2, {addss xmm0, xmm1}
	TCASE X, "addps RC down", 0xbf8000003f800000, 0x404000003f800000, 0xb089705f3089705f, 0x3eaaaaabb089705f, 0x3f80, \
		0xbf8000013f800000, 0x405555553f7fffff, 0x3fa0, {addps xmm0, xmm1}
	TCASE X, "addps RC up", 0xbf8000003f800000, 0x404000003f800000, 0xb089705f3089705f, 0x3eaaaaabb089705f, 0x5f80, \
		0xbf8000003f800001, 0x405555563f800000, 0x5fa0, {addps xmm0, xmm1}
	TCASE X, "addps RC zero", 0xbf8000003f800000, 0x404000003f800000, 0xb089705f3089705f, 0x3eaaaaabb089705f, 0x7f80, \
		0xbf8000003f800000, 0x405555553f7fffff, 0x7fa0, {addps xmm0, xmm1}
	TCASE X, "subsd RC up sticky", 0x3ff0000000000000, 0x4000000000000000, 0x39b4484bfeebc2a0, 0x0, 0x5fa1, \
		0x3ff0000000000000, 0x4000000000000000, 0x5fa1, {subsd xmm0, xmm1}
	TCASE X, "rcpps (AMD)", 0xc00000003fc00000, 0x501502f940500000, 0x404000003f800000, 0xc0e000003dcccccd, 0x1f80, \
		0x3eaaa8003f7ff000, 0xbe12400041200000, 0x1f80, {rcpps xmm0, xmm1}
	TCASE X, "rcpss (AMD)", 0xc00000003fc00000, 0x501502f940500000, 0x4040000041200000, 0xc0e000003dcccccd, 0x1f80, \
		0xc00000003dccc000, 0x501502f940500000, 0x1f80, {rcpss xmm0, xmm1}
	TCASE X, "rsqrtps (AMD)", 0xc00000003fc00000, 0x501502f940500000, 0x404000003f800000, 0x418000003dcccccd, 0x1f80, \
		0x3f13c8003f7ff800, 0x3e7ff800404a6800, 0x1f80, {rsqrtps xmm0, xmm1}
	TCASE X, "rsqrtss (AMD)", 0xc00000003fc00000, 0x501502f940500000, 0x4040000040a00000, 0x418000003dcccccd, 0x1f80, \
		0xc00000003ee4f000, 0x501502f940500000, 0x1f80, {rsqrtss xmm0, [rel vb]}
	TCASE X, "andps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x100238889ccef, 0x1000320054443200, 0x1f80, {andps xmm0, xmm1}
	TCASE X, "andpd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x100238889ccef, 0x1000320054443200, 0x1f80, {andpd xmm0, [rel vb]}
	TCASE X, "andnps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8898aa9844542210, 0x122014401224588, 0x1f80, {andnps xmm0, xmm1}
	TCASE X, "andnpd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8898aa9844542210, 0x122014401224588, 0x1f80, {andnpd xmm0, [rel vb]}
	TCASE X, "orps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89bbefffcdffefff, 0xfffebbdc77767798, 0x1f80, {orps xmm0, xmm1}
	TCASE X, "orpd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89bbefffcdffefff, 0xfffebbdc77767798, 0x1f80, {orpd xmm0, [rel vb]}
	TCASE X, "xorps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89baefdc45762310, 0xeffe89dc23324598, 0x1f80, {xorps xmm0, xmm1}
	TCASE X, "xorpd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89baefdc45762310, 0xeffe89dc23324598, 0x1f80, {xorpd xmm0, [rel vb]}
	TCASE X, "cmpps pred 0", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0xffffffff, 0x0, 0x1f80, {cmpps xmm0, xmm1, 0}
	TCASE X, "cmpps pred 1", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0x0, 0xffffffff00000000, 0x1f81, {cmpps xmm0, xmm1, 1}
	TCASE X, "cmpps pred 2", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0xffffffff, 0xffffffff00000000, 0x1f81, {cmpps xmm0, xmm1, 2}
	TCASE X, "cmpps pred 3", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0x0, 0xffffffff, 0x1f80, {cmpps xmm0, xmm1, 3}
	TCASE X, "cmpps pred 4", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0xffffffff00000000, 0xffffffffffffffff, 0x1f80, {cmpps xmm0, xmm1, 4}
	TCASE X, "cmpps pred 5", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0xffffffffffffffff, 0xffffffff, 0x1f81, {cmpps xmm0, xmm1, 5}
	TCASE X, "cmpps pred 6", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0xffffffff00000000, 0xffffffff, 0x1f81, {cmpps xmm0, xmm1, 6}
	TCASE X, "cmpps pred 7", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0xffffffffffffffff, 0xffffffff00000000, 0x1f80, {cmpps xmm0, xmm1, 7}
	TCASE X, "cmpps snan", 0x17fa00000, 0x100000001, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0x0, 0x0, 0x1f83, {cmpps xmm0, xmm1, 0}
	TCASE X, "cmppd lt qnan", 0x7ff8000000000000, 0x3ff0000000000000, 0x3ff0000000000000, 0x4000000000000000, 0x1f80, \
		0x0, 0xffffffffffffffff, 0x1f81, {cmppd xmm0, [rel vb], 1}
	TCASE X, "cmpss nle", 0x540000000, 0x500000005, 0x3f800000, 0x0, 0x1f80, \
		0x5ffffffff, 0x500000005, 0x1f80, {cmpss xmm0, xmm1, 6}
	TCASE X, "cmpsd unord", 0x7ff8000000000000, 0x4022000000000000, 0x3ff0000000000000, 0x0, 0x1f80, \
		0xffffffffffffffff, 0x4022000000000000, 0x1f80, {cmpsd xmm0, xmm1, 3}
	TCASE X, "cmpps imm 0x0c", 0x400000003f800000, 0x404000007fc00000, 0x3f8000003f800000, 0x408000003f800000, 0x1f80, \
		0xffffffff00000000, 0xffffffffffffffff, 0x1f80, {cmpps xmm0, xmm1, 0x0c}
	TCASE F, "comiss lt", 0x3f800000, 0x0, 0x40000000, 0x0, 0x1f80, \
		0x1, 0x0, 0x1f80, {comiss xmm0, xmm1}
	TCASE F, "comiss gt", 0x40400000, 0x0, 0x40000000, 0x0, 0x1f80, \
		0x0, 0x0, 0x1f80, {comiss xmm0, [rel vb]}
	TCASE F, "comiss eq", 0x80000000, 0x0, 0x0, 0x0, 0x1f80, \
		0x40, 0x0, 0x1f80, {comiss xmm0, xmm1}
	TCASE F, "comiss qnan", 0x7fc00000, 0x0, 0x0, 0x0, 0x1f80, \
		0x45, 0x0, 0x1f81, {comiss xmm0, xmm1}
	TCASE F, "ucomiss qnan", 0x7fc00000, 0x0, 0x0, 0x0, 0x1f80, \
		0x45, 0x0, 0x1f80, {ucomiss xmm0, xmm1}
	TCASE F, "ucomiss snan", 0x7fa00000, 0x0, 0x0, 0x0, 0x1f80, \
		0x45, 0x0, 0x1f81, {ucomiss xmm0, xmm1}
	TCASE F, "comisd lt", 0xbff0000000000000, 0x0, 0x4000000000000000, 0x0, 0x1f80, \
		0x1, 0x0, 0x1f80, {comisd xmm0, xmm1}
	TCASE F, "ucomisd unord", 0x7ff8000000000000, 0x0, 0x4000000000000000, 0x0, 0x1f80, \
		0x45, 0x0, 0x1f80, {ucomisd xmm0, [rel vb]}
	TCASE X, "cvtsi2ss r32", 0x123456789abcdef, 0xfedcba9876543210, 0xfffffffffffffff9, 0x0, 0x1f80, \
		0x1234567c0e00000, 0xfedcba9876543210, 0x1f80, {cvtsi2ss xmm0, ecx}
	TCASE X, "cvtsi2ss r64 inexact", 0x123456789abcdef, 0xfedcba9876543210, 0x7fffffffffffffff, 0x0, 0x1f80, \
		0x12345675f000000, 0xfedcba9876543210, 0x1fa0, {cvtsi2ss xmm0, rcx}
	TCASE X, "cvtsi2sd r32", 0x123456789abcdef, 0xfedcba9876543210, 0x75bcd15, 0x0, 0x1f80, \
		0x419d6f3454000000, 0xfedcba9876543210, 0x1f80, {cvtsi2sd xmm0, ecx}
	TCASE X, "cvtsi2sd m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000000000001, 0x0, 0x1f80, \
		0xc3e0000000000000, 0xfedcba9876543210, 0x1fa0, {cvtsi2sd xmm0, qword [rel vb]}
	TCASE G, "cvtss2si", 0x123456789abcdef, 0xfedcba9876543210, 0x40200000, 0x0, 0x1f80, \
		0x2, 0x0, 0x1fa0, {cvtss2si eax, xmm1}
	TCASE G, "cvtss2si RC up", 0x123456789abcdef, 0xfedcba9876543210, 0x40100000, 0x0, 0x5f80, \
		0x3, 0x0, 0x5fa0, {cvtss2si eax, xmm1}
	TCASE G, "cvttss2si", 0x123456789abcdef, 0xfedcba9876543210, 0xc0300000, 0x0, 0x1f80, \
		0xfffffffe, 0x0, 0x1fa0, {cvttss2si eax, xmm1}
	TCASE G, "cvtss2si r64", 0x123456789abcdef, 0xfedcba9876543210, 0x5368d4a5, 0x0, 0x1f80, \
		0xe8d4a50000, 0x0, 0x1f80, {cvtss2si rax, xmm1}
	TCASE G, "cvtss2si overflow", 0x123456789abcdef, 0xfedcba9876543210, 0x4f32d05e, 0x0, 0x1f80, \
		0x80000000, 0x0, 0x1f81, {cvtss2si eax, xmm1}
	TCASE G, "cvtsd2si", 0x123456789abcdef, 0xfedcba9876543210, 0xc00c000000000000, 0x0, 0x1f80, \
		0xfffffffc, 0x0, 0x1fa0, {cvtsd2si eax, xmm1}
	TCASE G, "cvttsd2si r64", 0x123456789abcdef, 0xfedcba9876543210, 0xc30c6bf526340004, 0x0, 0x1f80, \
		0xfffc72815b398000, 0x0, 0x1fa0, {cvttsd2si rax, [rel vb]}
	TCASE G, "cvtsd2si nan", 0x123456789abcdef, 0xfedcba9876543210, 0x7ff8000000000000, 0x0, 0x1f80, \
		0x8000000000000000, 0x0, 0x1f81, {cvtsd2si rax, xmm1}
	TCASE X, "cvtps2pd", 0x123456789abcdef, 0xfedcba9876543210, 0xf149f2ca3fc00000, 0x900000009, 0x1f80, \
		0x3ff8000000000000, 0xc6293e5940000000, 0x1f80, {cvtps2pd xmm0, xmm1}
	TCASE X, "cvtps2pd m64", 0x123456789abcdef, 0xfedcba9876543210, 0x37fa00000, 0x900000009, 0x1f80, \
		0x7ffc000000000000, 0x36b8000000000000, 0x1f83, {cvtps2pd xmm0, [rel vb]}
	TCASE X, "cvtpd2ps", 0x123456789abcdef, 0xfedcba9876543210, 0x3fd5555555555555, 0x7e37e43c8800759c, 0x1f80, \
		0x7f8000003eaaaaab, 0x0, 0x1fa8, {cvtpd2ps xmm0, xmm1}
	TCASE X, "cvtss2sd", 0x123456789abcdef, 0xfedcba9876543210, 0x93dcccccd, 0x900000009, 0x1f80, \
		0x3fb99999a0000000, 0xfedcba9876543210, 0x1f80, {cvtss2sd xmm0, xmm1}
	TCASE X, "cvtsd2ss", 0x123456789abcdef, 0xfedcba9876543210, 0x37a16c262777579c, 0x9, 0x1f80, \
		0x1234567000116c2, 0xfedcba9876543210, 0x1fb0, {cvtsd2ss xmm0, xmm1}
	TCASE X, "cvtdq2ps", 0x123456789abcdef, 0xfedcba9876543210, 0xffffffff00000001, 0x10000017fffffff, 0x1f80, \
		0xbf8000003f800000, 0x4b8000004f000000, 0x1fa0, {cvtdq2ps xmm0, xmm1}
	TCASE X, "cvtps2dq", 0x123456789abcdef, 0xfedcba9876543210, 0x402000003fc00000, 0x4f32d05ebfc00000, 0x1f80, \
		0x200000002, 0x80000000fffffffe, 0x1fa1, {cvtps2dq xmm0, xmm1}
	TCASE X, "cvtps2dq RC down", 0x123456789abcdef, 0xfedcba9876543210, 0x402000003fc00000, 0x3dcccccdbfc00000, 0x3f80, \
		0x200000001, 0xfffffffe, 0x3fa0, {cvtps2dq xmm0, xmm1}
	TCASE X, "cvttps2dq", 0x123456789abcdef, 0xfedcba9876543210, 0xc039999a3ff33333, 0x3a83126f7fc00000, 0x1f80, \
		0xfffffffe00000001, 0x80000000, 0x1fa1, {cvttps2dq xmm0, [rel vb]}
	TCASE X, "cvtdq2pd", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000000000007, 0x500000005, 0x1f80, \
		0x401c000000000000, 0xc1e0000000000000, 0x1f80, {cvtdq2pd xmm0, xmm1}
	TCASE X, "cvtpd2dq", 0x123456789abcdef, 0xfedcba9876543210, 0x4004000000000000, 0xc01e000000000000, 0x1f80, \
		0xfffffff800000002, 0x0, 0x1fa0, {cvtpd2dq xmm0, xmm1}
	TCASE X, "cvttpd2dq", 0x123456789abcdef, 0xfedcba9876543210, 0x4004000000000000, 0xc01e000000000000, 0x1f80, \
		0xfffffff900000002, 0x0, 0x1fa0, {cvttpd2dq xmm0, xmm1}
	TCASE X, "cvtpi2ps", 0x123456789abcdef, 0xfedcba9876543210, 0xfffffffe00000005, 0x0, 0x1f80, \
		0xc000000040a00000, 0xfedcba9876543210, 0x1f80, {movq mm1, [rel vb]}, {cvtpi2ps xmm0, mm1}, {emms}
	TCASE X, "cvtpi2ps m64", 0x123456789abcdef, 0xfedcba9876543210, 0x7fffffff00000003, 0x0, 0x1f80, \
		0x4f00000040400000, 0xfedcba9876543210, 0x1fa0, {cvtpi2ps xmm0, [rel vb]}
	TCASE X, "cvtpi2pd", 0x123456789abcdef, 0xfedcba9876543210, 0xfffffffe00000005, 0x0, 0x1f80, \
		0x4014000000000000, 0xc000000000000000, 0x1f80, {movq mm1, [rel vb]}, {cvtpi2pd xmm0, mm1}, {emms}
	TCASE X, "cvtps2pi", 0x123456789abcdef, 0xfedcba9876543210, 0xc02000003fc00000, 0x900000009, 0x1f80, \
		0xfffffffe00000002, 0x0, 0x1fa0, {cvtps2pi mm0, xmm1}, {movq2dq xmm0, mm0}, {emms}
	TCASE X, "cvttps2pi", 0x123456789abcdef, 0xfedcba9876543210, 0xc02000003fc00000, 0x900000009, 0x1f80, \
		0xfffffffe00000001, 0x0, 0x1fa0, {cvttps2pi mm0, [rel vb]}, {movq2dq xmm0, mm0}, {emms}
	TCASE X, "cvtpd2pi", 0x123456789abcdef, 0xfedcba9876543210, 0x3ff8000000000000, 0xc004000000000000, 0x1f80, \
		0xfffffffe00000002, 0x0, 0x1fa0, {cvtpd2pi mm0, xmm1}, {movq2dq xmm0, mm0}, {emms}
	TCASE X, "cvttpd2pi", 0x123456789abcdef, 0xfedcba9876543210, 0x4202a05f20000000, 0xc004000000000000, 0x1f80, \
		0xfffffffe80000000, 0x0, 0x1fa1, {cvttpd2pi mm0, [rel vb]}, {movq2dq xmm0, mm0}, {emms}
	TCASE X, "paddb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x800000008000ff, 0xffbb7780feff81, 0x1f80, {paddb xmm0, xmm1}
	TCASE X, "paddw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xfffe80007fff8000, 0x8000011cffdc68ac, 0x1f80, {paddw xmm0, xmm1}
	TCASE X, "paddd", 0x800000007fffffff, 0x5fffffffe, 0xffffffff00000001, 0x80000000fffffffe, 0x1f80, \
		0x7fffffff80000000, 0x80000005fffffffc, 0x1f80, {paddd xmm0, xmm1}
	TCASE X, "paddq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89bcf0235689bcee, 0xffeeddccbbaa998, 0x1f80, {paddq xmm0, xmm1}
	TCASE X, "psubb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x2000fcfe007e0201, 0x255efef00000181, 0x1f80, {psubb xmm0, xmm1}
	TCASE X, "psubw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0x800280017ffe, 0x13cfddcbbbc, 0x1f80, {psubw xmm0, xmm1}
	TCASE X, "psubd", 0x800000007fffffff, 0x5fffffffe, 0xffffffff00000001, 0x80000000fffffffe, 0x1f80, \
		0x800000017ffffffe, 0x8000000500000000, 0x1f80, {psubd xmm0, xmm1}
	TCASE X, "psubq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x78899aabbccddef0, 0xedba875420edba88, 0x1f80, {psubq xmm0, xmm1}
	TCASE X, "paddsb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x7f0000807f00ff, 0xff7f77807fff81, 0x1f80, {paddsb xmm0, xmm1}
	TCASE X, "paddsw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xfffe7fff80007fff, 0x7fff011cffdc68ac, 0x1f80, {paddsw xmm0, xmm1}
	TCASE X, "paddusb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0xff80ffffff80ffff, 0xffffbb77fffeff81, 0x1f80, {paddusb xmm0, xmm1}
	TCASE X, "paddusw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xffff8000ffff8000, 0x8000ffffffdc68ac, 0x1f80, {paddusw xmm0, xmm1}
	TCASE X, "psubsb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x2000fcfe007e0201, 0x280efef0000807f, 0x1f80, {psubsb xmm0, xmm1}
	TCASE X, "psubsw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0x800280017ffe, 0x13cfddcbbbc, 0x1f80, {psubsw xmm0, xmm1}
	TCASE X, "psubusb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0xfcfe007e0000, 0x55000000000100, 0x1f80, {psubusb xmm0, xmm1}
	TCASE X, "psubusw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0x7ffe, 0xfddc0000, 0x1f80, {psubusw xmm0, xmm1}
	TCASE X, "pmullw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0x17fff80007fff, 0xed40dc000060, 0x1f80, {pmullw xmm0, xmm1}
	TCASE X, "pmulhw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0x0, 0x1000fffffffe0626, 0x1f80, {pmulhw xmm0, xmm1}
	TCASE X, "pmulhuw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xfffe00007fff0000, 0x1000012b00fe0626, 0x1f80, {pmulhuw xmm0, xmm1}
	TCASE X, "pmuludq", 0x800000007fffffff, 0x5fffffffe, 0xffffffff00000001, 0x80000000fffffffe, 0x1f80, \
		0x7fffffff, 0xfffffffc00000004, 0x1f80, {pmuludq xmm0, xmm1}
	TCASE X, "pmaddwd", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0x80000000ffff, 0xfffed400624dc60, 0x1f80, {pmaddwd xmm0, xmm1}
	TCASE X, "pavgb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x8040808080408080, 0x80805e3cc07f8041, 0x1f80, {pavgb xmm0, xmm1}
	TCASE X, "pavgw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xffff4000c0004000, 0x4000808e7fee3456, 0x1f80, {pavgw xmm0, xmm1}
	TCASE X, "psadbw", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x555, 0x1f5, 0x1f80, {psadbw xmm0, xmm1}
	TCASE X, "pminub", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x1040020180010100, 0x1555533c07f7f01, 0x1f80, {pminub xmm0, xmm1}
	TCASE X, "pmaxub", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0xf040feff807fffff, 0xffaa6644c07f8080, 0x1f80, {pmaxub xmm0, xmm1}
	TCASE X, "pminsw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xffff000180000001, 0x4000fff0fedc1234, 0x1f80, {pminsw xmm0, xmm1}
	TCASE X, "pmaxsw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xffff7fffffff7fff, 0x4000012c01005678, 0x1f80, {pmaxsw xmm0, xmm1}
	TCASE X, "pcmpeqb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0xff0000ff000000, 0xffff0000, 0x1f80, {pcmpeqb xmm0, xmm1}
	TCASE X, "pcmpeqw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xffff000000000000, 0xffff000000000000, 0x1f80, {pcmpeqw xmm0, xmm1}
	TCASE X, "pcmpeqd", 0x800000007fffffff, 0x5fffffffe, 0xffffffff00000001, 0x80000000fffffffe, 0x1f80, \
		0x0, 0xffffffff, 0x1f80, {pcmpeqd xmm0, xmm1}
	TCASE X, "pcmpgtb", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0xff00000000ffffff, 0xff000000000000ff, 0x1f80, {pcmpgtb xmm0, xmm1}
	TCASE X, "pcmpgtw", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xffff, 0xffff00000000, 0x1f80, {pcmpgtw xmm0, xmm1}
	TCASE X, "pcmpgtd", 0x800000007fffffff, 0x5fffffffe, 0xffffffff00000001, 0x80000000fffffffe, 0x1f80, \
		0xffffffff, 0xffffffff00000000, 0x1f80, {pcmpgtd xmm0, xmm1}
	TCASE X, "pand", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x100238889ccef, 0x1000320054443200, 0x1f80, {pand xmm0, xmm1}
	TCASE X, "pandn", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8898aa9844542210, 0x122014401224588, 0x1f80, {pandn xmm0, xmm1}
	TCASE X, "por", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89bbefffcdffefff, 0xfffebbdc77767798, 0x1f80, {por xmm0, xmm1}
	TCASE X, "pxor", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89baefdc45762310, 0xeffe89dc23324598, 0x1f80, {pxor xmm0, xmm1}
	TCASE X, "packsswb", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0x7f7f807fff01807f, 0x7ff07f7fff7fff01, 0x1f80, {packsswb xmm0, xmm1}
	TCASE X, "packuswb", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xffff00ff000100ff, 0xff00ffff00ff0001, 0x1f80, {packuswb xmm0, xmm1}
	TCASE X, "packssdw", 0x800000007fffffff, 0x5fffffffe, 0xffffffff00000001, 0x80000000fffffffe, 0x1f80, \
		0x5fffe80007fff, 0x8000fffeffff0001, 0x1f80, {packssdw xmm0, xmm1}
	TCASE X, "punpcklbw", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x8080017fff01ff00, 0xf010404002fe01ff, 0x1f80, {punpcklbw xmm0, xmm1}
	TCASE X, "punpcklwd", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0xffff800000017fff, 0xffffffff7fff0001, 0x1f80, {punpcklwd xmm0, xmm1}
	TCASE X, "punpckldq", 0x800000007fffffff, 0x5fffffffe, 0xffffffff00000001, 0x80000000fffffffe, 0x1f80, \
		0x17fffffff, 0xffffffff80000000, 0x1f80, {punpckldq xmm0, xmm1}
	TCASE X, "punpcklqdq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x1f80, {punpcklqdq xmm0, xmm1}
	TCASE X, "punpckhbw", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0xc0c07f7f7f808001, 0xff0155aa66554433, 0x1f80, {punpckhbw xmm0, xmm1}
	TCASE X, "punpckhwd", 0xffff000180007fff, 0x4000012cfedc1234, 0xffff7fffffff0001, 0x4000fff001005678, 0x1f80, \
		0x100fedc56781234, 0x40004000fff0012c, 0x1f80, {punpckhwd xmm0, xmm1}
	TCASE X, "punpckhdq", 0x800000007fffffff, 0x5fffffffe, 0xffffffff00000001, 0x80000000fffffffe, 0x1f80, \
		0xfffffffefffffffe, 0x8000000000000005, 0x1f80, {punpckhdq xmm0, xmm1}
	TCASE X, "punpckhqdq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xfedcba9876543210, 0x1122334455667788, 0x1f80, {punpckhqdq xmm0, xmm1}
	TCASE X, "paddb m128", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0x800000008000ff, 0xffbb7780feff81, 0x1f80, {paddb xmm0, [rel vb]}
	TCASE X, "pcmpeqb m128", 0x1040feff807f0100, 0x1aa5533c07f8001, 0xf04002018001ffff, 0xff556644c07f7f80, 0x1f80, \
		0xff0000ff000000, 0xffff0000, 0x1f80, {pcmpeqb xmm0, [rel vb]}
	TCASE X, "psllw xmm", 0xffff000180007fff, 0x4000012cfedc1234, 0x3, 0xffff, 0x1f80, \
		0xfff800080000fff8, 0x960f6e091a0, 0x1f80, {psllw xmm0, xmm1}
	TCASE X, "psllw big", 0xffff000180007fff, 0x4000012cfedc1234, 0x21, 0x0, 0x1f80, \
		0x0, 0x0, 0x1f80, {psllw xmm0, [rel vb]}
	TCASE X, "psllw imm", 0xffff000180007fff, 0x4000012cfedc1234, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xff8000800000ff80, 0x96006e001a00, 0x1f80, {psllw xmm0, 7}
	TCASE X, "pslld xmm", 0xffff000180007fff, 0x4000012cfedc1234, 0x3, 0xffff, 0x1f80, \
		0xfff800080003fff8, 0x960f6e091a0, 0x1f80, {pslld xmm0, xmm1}
	TCASE X, "pslld big", 0xffff000180007fff, 0x4000012cfedc1234, 0x21, 0x0, 0x1f80, \
		0x0, 0x0, 0x1f80, {pslld xmm0, [rel vb]}
	TCASE X, "pslld imm", 0xffff000180007fff, 0x4000012cfedc1234, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xff800080003fff80, 0x96006e091a00, 0x1f80, {pslld xmm0, 7}
	TCASE X, "psllq xmm", 0xffff000180007fff, 0x4000012cfedc1234, 0x3, 0xffff, 0x1f80, \
		0xfff8000c0003fff8, 0x967f6e091a0, 0x1f80, {psllq xmm0, xmm1}
	TCASE X, "psllq big", 0xffff000180007fff, 0x4000012cfedc1234, 0x21, 0x0, 0x1f80, \
		0xfffe00000000, 0xfdb8246800000000, 0x1f80, {psllq xmm0, [rel vb]}
	TCASE X, "psllq imm", 0xffff000180007fff, 0x4000012cfedc1234, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xff8000c0003fff80, 0x967f6e091a00, 0x1f80, {psllq xmm0, 7}
	TCASE X, "psrlw xmm", 0xffff000180007fff, 0x4000012cfedc1234, 0x3, 0xffff, 0x1f80, \
		0x1fff000010000fff, 0x80000251fdb0246, 0x1f80, {psrlw xmm0, xmm1}
	TCASE X, "psrlw big", 0xffff000180007fff, 0x4000012cfedc1234, 0x21, 0x0, 0x1f80, \
		0x0, 0x0, 0x1f80, {psrlw xmm0, [rel vb]}
	TCASE X, "psrlw imm", 0xffff000180007fff, 0x4000012cfedc1234, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1ff0000010000ff, 0x80000201fd0024, 0x1f80, {psrlw xmm0, 7}
	TCASE X, "psrld xmm", 0xffff000180007fff, 0x4000012cfedc1234, 0x3, 0xffff, 0x1f80, \
		0x1fffe00010000fff, 0x80000251fdb8246, 0x1f80, {psrld xmm0, xmm1}
	TCASE X, "psrld big", 0xffff000180007fff, 0x4000012cfedc1234, 0x21, 0x0, 0x1f80, \
		0x0, 0x0, 0x1f80, {psrld xmm0, [rel vb]}
	TCASE X, "psrld imm", 0xffff000180007fff, 0x4000012cfedc1234, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1fffe00010000ff, 0x80000201fdb824, 0x1f80, {psrld xmm0, 7}
	TCASE X, "psrlq xmm", 0xffff000180007fff, 0x4000012cfedc1234, 0x3, 0xffff, 0x1f80, \
		0x1fffe00030000fff, 0x80000259fdb8246, 0x1f80, {psrlq xmm0, xmm1}
	TCASE X, "psrlq big", 0xffff000180007fff, 0x4000012cfedc1234, 0x21, 0x0, 0x1f80, \
		0x7fff8000, 0x20000096, 0x1f80, {psrlq xmm0, [rel vb]}
	TCASE X, "psrlq imm", 0xffff000180007fff, 0x4000012cfedc1234, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1fffe00030000ff, 0x80000259fdb824, 0x1f80, {psrlq xmm0, 7}
	TCASE X, "psraw xmm", 0xffff000180007fff, 0x4000012cfedc1234, 0x3, 0xffff, 0x1f80, \
		0xffff0000f0000fff, 0x8000025ffdb0246, 0x1f80, {psraw xmm0, xmm1}
	TCASE X, "psraw big", 0xffff000180007fff, 0x4000012cfedc1234, 0x21, 0x0, 0x1f80, \
		0xffff0000ffff0000, 0xffff0000, 0x1f80, {psraw xmm0, [rel vb]}
	TCASE X, "psraw imm", 0xffff000180007fff, 0x4000012cfedc1234, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffff0000ff0000ff, 0x800002fffd0024, 0x1f80, {psraw xmm0, 7}
	TCASE X, "psrad xmm", 0xffff000180007fff, 0x4000012cfedc1234, 0x3, 0xffff, 0x1f80, \
		0xffffe000f0000fff, 0x8000025ffdb8246, 0x1f80, {psrad xmm0, xmm1}
	TCASE X, "psrad big", 0xffff000180007fff, 0x4000012cfedc1234, 0x21, 0x0, 0x1f80, \
		0xffffffffffffffff, 0xffffffff, 0x1f80, {psrad xmm0, [rel vb]}
	TCASE X, "psrad imm", 0xffff000180007fff, 0x4000012cfedc1234, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xfffffe00ff0000ff, 0x800002fffdb824, 0x1f80, {psrad xmm0, 7}
	TCASE X, "psrad imm 40", 0x800000007fffffff, 0x5fffffffe, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffffffff00000000, 0xffffffff, 0x1f80, {psrad xmm0, 40}
	TCASE X, "pslldq 5", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xabcdef0000000000, 0x5432100123456789, 0x1f80, {pslldq xmm0, 5}
	TCASE X, "psrldq 11", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xfedcba9876, 0x0, 0x1f80, {psrldq xmm0, 11}
	TCASE X, "psrldq 16", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x0, 0x0, 0x1f80, {psrldq xmm0, 16}
	TCASE M, "paddb mm", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x800000008000ff, 0x0, 0x1f80, {paddb mm0, mm1}
	TCASE M, "paddw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xfffe80007fff8000, 0x0, 0x1f80, {paddw mm0, mm1}
	TCASE M, "paddd mm", 0x800000007fffffff, 0x0, 0xffffffff00000001, 0x0, 0x1f80, \
		0x7fffffff80000000, 0x0, 0x1f80, {paddd mm0, mm1}
	TCASE M, "paddq mm", 0x123456789abcdef, 0x0, 0x8899aabbccddeeff, 0x0, 0x1f80, \
		0x89bcf0235689bcee, 0x0, 0x1f80, {paddq mm0, mm1}
	TCASE M, "psubsb mm", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x2000fcfe007e0201, 0x0, 0x1f80, {psubsb mm0, mm1}
	TCASE M, "psubusw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0x7ffe, 0x0, 0x1f80, {psubusw mm0, mm1}
	TCASE M, "paddsw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xfffe7fff80007fff, 0x0, 0x1f80, {paddsw mm0, mm1}
	TCASE M, "paddusb mm", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0xff80ffffff80ffff, 0x0, 0x1f80, {paddusb mm0, mm1}
	TCASE M, "pmullw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0x17fff80007fff, 0x0, 0x1f80, {pmullw mm0, mm1}
	TCASE M, "pmulhw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0x0, 0x0, 0x1f80, {pmulhw mm0, mm1}
	TCASE M, "pmulhuw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xfffe00007fff0000, 0x0, 0x1f80, {pmulhuw mm0, mm1}
	TCASE M, "pmuludq mm", 0x800000007fffffff, 0x0, 0xffffffff00000001, 0x0, 0x1f80, \
		0x7fffffff, 0x0, 0x1f80, {pmuludq mm0, mm1}
	TCASE M, "pmaddwd mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0x80000000ffff, 0x0, 0x1f80, {pmaddwd mm0, mm1}
	TCASE M, "psadbw mm", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x555, 0x0, 0x1f80, {psadbw mm0, mm1}
	TCASE M, "pavgb mm", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x8040808080408080, 0x0, 0x1f80, {pavgb mm0, mm1}
	TCASE M, "pavgw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff4000c0004000, 0x0, 0x1f80, {pavgw mm0, mm1}
	TCASE M, "pminub mm", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x1040020180010100, 0x0, 0x1f80, {pminub mm0, mm1}
	TCASE M, "pmaxsw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff7fffffff7fff, 0x0, 0x1f80, {pmaxsw mm0, mm1}
	TCASE M, "pcmpgtw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff, 0x0, 0x1f80, {pcmpgtw mm0, mm1}
	TCASE M, "pcmpeqd mm", 0x800000007fffffff, 0x0, 0xffffffff00000001, 0x0, 0x1f80, \
		0x0, 0x0, 0x1f80, {pcmpeqd mm0, mm1}
	TCASE M, "pandn mm", 0x123456789abcdef, 0x0, 0x8899aabbccddeeff, 0x0, 0x1f80, \
		0x8898aa9844542210, 0x0, 0x1f80, {pandn mm0, mm1}
	TCASE M, "por mm", 0x123456789abcdef, 0x0, 0x8899aabbccddeeff, 0x0, 0x1f80, \
		0x89bbefffcdffefff, 0x0, 0x1f80, {por mm0, mm1}
	TCASE M, "packsswb mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xff7fff01ff01807f, 0x0, 0x1f80, {packsswb mm0, mm1}
	TCASE M, "packuswb mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xff0001000100ff, 0x0, 0x1f80, {packuswb mm0, mm1}
	TCASE M, "packssdw mm", 0x800000007fffffff, 0x0, 0xffffffff00000001, 0x0, 0x1f80, \
		0xffff000180007fff, 0x0, 0x1f80, {packssdw mm0, mm1}
	TCASE M, "punpcklbw mm", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x8080017fff01ff00, 0x0, 0x1f80, {punpcklbw mm0, mm1}
	TCASE M, "punpckhbw mm", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0xf010404002fe01ff, 0x0, 0x1f80, {punpckhbw mm0, mm1}
	TCASE M, "punpcklwd mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff800000017fff, 0x0, 0x1f80, {punpcklwd mm0, mm1}
	TCASE M, "punpckhwd mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffffffff7fff0001, 0x0, 0x1f80, {punpckhwd mm0, mm1}
	TCASE M, "punpckldq mm", 0x800000007fffffff, 0x0, 0xffffffff00000001, 0x0, 0x1f80, \
		0x17fffffff, 0x0, 0x1f80, {punpckldq mm0, mm1}
	TCASE M, "punpckhdq mm", 0x800000007fffffff, 0x0, 0xffffffff00000001, 0x0, 0x1f80, \
		0xffffffff80000000, 0x0, 0x1f80, {punpckhdq mm0, mm1}
	TCASE M, "psubq mm", 0x123456789abcdef, 0x0, 0x8899aabbccddeeff, 0x0, 0x1f80, \
		0x78899aabbccddef0, 0x0, 0x1f80, {psubq mm0, mm1}
	TCASE M, "punpcklbw mm m32", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x8080017fff01ff00, 0x0, 0x1f80, {punpcklbw mm0, [rel vb]}
	TCASE M, "psubb mm m64", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x2000fcfe007e0201, 0x0, 0x1f80, {psubb mm0, [rel vb]}
	TCASE M, "psllq mm", 0x123456789abcdef, 0x0, 0xc, 0x0, 0x1f80, \
		0x3456789abcdef000, 0x0, 0x1f80, {psllq mm0, mm1}
	TCASE M, "psrlw mm imm", 0xffff000180007fff, 0x0, 0x0, 0x0, 0x1f80, \
		0x1fff000010000fff, 0x0, 0x1f80, {psrlw mm0, 3}
	TCASE M, "psraw mm imm", 0xffff000180007fff, 0x0, 0x0, 0x0, 0x1f80, \
		0xffff0000ffff0000, 0x0, 0x1f80, {psraw mm0, 20}
	TCASE M, "psrld mm", 0x800000007fffffff, 0x0, 0x1f, 0x0, 0x1f80, \
		0x100000000, 0x0, 0x1f80, {psrld mm0, [rel vb]}
	TCASE M, "pshufw", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0x1ffff7fffffff, 0x0, 0x1f80, {pshufw mm0, mm1, 0x1b}
	TCASE M, "pinsrw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff000180007fff, 0x0, 0x1f80, {pinsrw mm0, ecx, 2}
	TCASE M, "movq mm mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff7fffffff0001, 0x0, 0x1f80, {movq mm0, mm1}
	TCASE M, "movd mm r32", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff0001, 0x0, 0x1f80, {movd mm0, ecx}
	TCASE M, "movq mm r64", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff7fffffff0001, 0x0, 0x1f80, {movq mm0, rcx}
	TCASE M, "movq mm m64 store", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff000180007fff, 0x0, 0x1f80, {movq [rel vb], mm0}, {pxor mm0, mm0}, {movq mm0, [rel vb]}
	TCASE M, "movntq", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff7fffffff0001, 0x0, 0x1f80, {movntq [rel vb], mm1}, {movq mm0, [rel vb]}
	TCASE M, "movdq2q", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff7fffffff0001, 0x0, 0x1f80, {movdq2q mm0, xmm1}
	TCASE M, "maskmovq", 0x1040feff807f0100, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x1040020180010100, 0x0, 0x1f80, {lea rdi, [rel va + 16]}, {movq [rdi], mm1}, {maskmovq mm0, mm1}, {movq mm0, [rdi]}
	TCASE G, "pextrw mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff, 0x0, 0x1f80, {pextrw eax, mm1, 3}, {emms}
	TCASE G, "pmovmskb mm", 0xffff000180007fff, 0x0, 0xf04002018001ffff, 0x0, 0x1f80, \
		0x8b, 0x0, 0x1f80, {pmovmskb eax, mm1}, {emms}
	TCASE G, "movd r32 mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff0001, 0x0, 0x1f80, {movd eax, mm1}, {emms}
	TCASE G, "movq r64 mm", 0xffff000180007fff, 0x0, 0xffff7fffffff0001, 0x0, 0x1f80, \
		0xffff7fffffff0001, 0x0, 0x1f80, {movq rax, mm1}, {emms}
	TCASE X, "movq2dq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x0, 0x1f80, {movq2dq xmm0, mm1}, {emms}

	PRINT "host-recorded cases done"

	; ---- 16-byte alignment: #GP(0) for the aligned forms only ----
	EXPECT_FAULT .gp1
	movdqa xmm0, [rel va + 8]
.gp1:	CHECK_FAULT VEC_GP, 0, "movdqa misaligned"
	EXPECT_FAULT .gp2
	addps xmm0, [rel va + 4]
.gp2:	CHECK_FAULT VEC_GP, 0, "addps misaligned"
	EXPECT_FAULT .gp3
	pshufd xmm0, [rel va + 1], 0
.gp3:	CHECK_FAULT VEC_GP, 0, "pshufd misaligned"
	EXPECT_FAULT .gp4
	movntdq [rel va + 8], xmm0
.gp4:	CHECK_FAULT VEC_GP, 0, "movntdq misaligned"
	EXPECT_FAULT .gp5
	cvtpd2pi mm0, [rel va + 8]
.gp5:	CHECK_FAULT VEC_GP, 0, "cvtpd2pi misaligned"
	emms
	; the unaligned and narrower forms do not fault
	movups xmm0, [rel va + 1]
	movdqu [rel va + 3], xmm0
	addss xmm0, [rel va + 1]
	cvtps2pd xmm0, [rel va + 4]
	movlps xmm0, [rel va + 4]
	punpcklbw mm0, [rel va + 3]
	paddd mm0, [rel va + 5]
	emms
	CHECK_EQ 1, 1, "unaligned forms do not fault"

	; ---- masked exceptions: flags are sticky, results are the defaults ----
	mov rax, 0x7180000071800000             ; 2^100, 2^100
	mov [rel va], rax
	movq xmm0, [rel va]
	pxor xmm1, xmm1
	mov dword [rel vcsr], 0x1f80
	ldmxcsr [rel vcsr]
	divps xmm0, xmm1                        ; x/0 (ZE) and 0/0 (IE)
	divss xmm0, xmm1
	stmxcsr [rel vcsr]
	ldmxcsr [rel csr_default]
	CHECK_EQ qword [rel vcsr], 0x1f85, "divps by zero masked: ZE IE sticky"
	movq rax, xmm0
	CHECK_EQ rax, 0x7f8000007f800000, "divps x/0 masked: infinity"
	movhlps xmm1, xmm0
	movq rax, xmm1
	CHECK_EQ rax, 0xffc00000ffc00000, "divps 0/0 masked: default NaN"
	; (unmasked exceptions, #XM, are checked against the host CPU in
	; tests/unit/test_emu_sse.c: rax-diff compares a faulting step with the
	; state before it, and #XM does change MXCSR)

	; ---- MMX registers alias the x87 registers ----
	; FXRSTOR an image with TOP = 5, all tags empty, ST(i) = 0x1111... * (i + 1)
	; (FXSAVE is not used: its MXCSR_MASK differs between the model and an
	; AMD host, whose mask has bit 17, MM)
	lea rdi, [rel fx]
	mov word [rdi], 0x037f                  ; FCW
	mov word [rdi + 2], 5 << 11             ; FSW: TOP = 5
	mov byte [rdi + 4], 0                   ; abridged FTW: all empty
	mov dword [rdi + 24], 0x1f80            ; MXCSR
	add rdi, 32
	mov rax, 0x1111111111111111
	mov rbx, rax
	mov ecx, 8
.fill:	mov [rdi], rax
	mov word [rdi + 8], 0x4000
	add rax, rbx
	add rdi, 16
	dec ecx
	jnz .fill
	fxrstor [rel fx]
	fnstsw ax
	and eax, 0x3800
	CHECK_EQ rax, 5 << 11, "fxrstor: TOP = 5"
	movq rax, mm0                           ; MM0 = physical 0 = ST(3)
	CHECK_EQ rax, 0x4444444444444444, "mm0 is physical register 0 = ST(3)"
	movq rax, mm4                           ; MM4 = physical 4 = ST(7)
	CHECK_EQ rax, 0x8888888888888888, "mm4 is physical register 4 = ST(7)"
	fnstsw ax
	and eax, 0x3800
	CHECK_EQ rax, 0, "MMX instruction: TOP = 0"
	movq rax, mm5                           ; physical 5 was ST(0)
	CHECK_EQ rax, 0x1111111111111111, "mm5 is physical register 5 = old ST(0)"
	emms

	RAXT_DONE
RAXT_RUNTIME
	align 16, db 0
va:	times 48 db 0
vb:	times 48 db 0
res:	dq 0, 0
vcsr:	dq 0
csr_default: dd 0x1f80, 0
	align 16, db 0
fx:	times 512 db 0
