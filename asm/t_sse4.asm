;; t_sse4.asm - the x86-64-v2 instruction set at CPL3: SSE3 (ADDSUB, HADD/HSUB,
; MOVSLDUP/MOVSHDUP/MOVDDUP, LDDQU, FISTTP), SSSE3 on XMM and MMX registers,
; SSE4.1 (PMOVSX/ZX, PMULLD/DQ, PMIN/PMAX, blends with imm8 and XMM0,
; PTEST, PEXTR/PINSR, EXTRACTPS/INSERTPS, ROUNDPS/PD/SS/SD in every mode,
; DPPS/DPPD, MPSADBW, PHMINPOSUW, MOVNTDQA), SSE4.2 (PCMPGTQ, the string
; instructions in several modes, CRC32), POPCNT, LZCNT and MOVBE; then
; #GP(0) for misaligned 16-byte operands of the aligned forms and none for
; LDDQU and the string instructions.
;
; The interpreter runs it at CPU level v2 (rax --test with RAX_EMU_CPU=v2);
; rax-diff compares every instruction with the host CPU (native oracle), and
; the expected values are the host's (an AMD Zen 4).
;
; Each case: SETUP loads xmm0/mm0 = a, xmm1/mm1 = b, rcx = b's low qword,
; rax = a sentinel, MXCSR, all status flags set; the instructions run; the
; result (kind X: xmm0, M: mm0, G: rax) and MXCSR are checked.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END
	jmp start

; SETUP a_lo, a_hi, b_lo, b_hi, mxcsr
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

; RESULT kind: the result in [rel res] (X: xmm0, M: mm0, G: rax), MXCSR in [rel vcsr]
%macro RESULT 1
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
	TCASE X, "addsubps rc0", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x1f80, \
		0xc00fef9e3fa00000, 0xc0f0000000000000, 0x1fa0, {addsubps xmm0, xmm1}
	TCASE X, "haddps rc0", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x1f80, \
		0x7f61b1e6bf400000, 0x7f61b1e63e808312, 0x1fa0, {haddps xmm0, xmm1}
	TCASE X, "addsubps rc1", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x3f80, \
		0xc00fef9e3fa00000, 0xc0f0000080000000, 0x3fa0, {addsubps xmm0, xmm1}
	TCASE X, "haddps rc1", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x3f80, \
		0x7f61b1e6bf400000, 0x7f61b1e53e808312, 0x3fa0, {haddps xmm0, xmm1}
	TCASE X, "addsubps rc2", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x5f80, \
		0xc00fef9d3fa00000, 0xc0efffff00000000, 0x5fa0, {addsubps xmm0, xmm1}
	TCASE X, "haddps rc2", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x5f80, \
		0x7f61b1e7bf400000, 0x7f61b1e63e808313, 0x5fa0, {haddps xmm0, xmm1}
	TCASE X, "addsubps rc3", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x7f80, \
		0xc00fef9d3fa00000, 0xc0efffff00000000, 0x7fa0, {addsubps xmm0, xmm1}
	TCASE X, "haddps rc3", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x7f80, \
		0x7f61b1e6bf400000, 0x7f61b1e53e808312, 0x7fa0, {haddps xmm0, xmm1}
	TCASE X, "hsubps", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x1f80, \
		0x7f61b1e640700000, 0x7f61b1e63e7ef9db, 0x1fa0, {hsubps xmm0, xmm1}
	TCASE X, "addsubpd", 0x3fd5555555555555, 0xfe4ddd4baa009303, 0x3fe5555555555555, 0xfe4ddd4baa009303, 0x1f80, \
		0xbfd5555555555555, 0xfe5ddd4baa009303, 0x1f80, {addsubpd xmm0, xmm1}
	TCASE X, "haddpd", 0x3fd5555555555555, 0xfe4ddd4baa009303, 0x3fe5555555555555, 0xfe4ddd4baa009303, 0x3f80, \
		0xfe4ddd4baa009303, 0xfe4ddd4baa009303, 0x3fa0, {haddpd xmm0, xmm1}
	TCASE X, "hsubpd", 0x3fd5555555555555, 0xfe4ddd4baa009303, 0x3fe5555555555555, 0xfe4ddd4baa009303, 0x1f80, \
		0x7e4ddd4baa009303, 0x7e4ddd4baa009303, 0x1fa0, {hsubpd xmm0, [rel vb]}
	TCASE X, "haddps snan", 0x7f8000017fc00000, 0xffc000003f800000, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x1f80, \
		0xffc000007fc00000, 0x7f61b1e63e808312, 0x1fa1, {haddps xmm0, xmm1}
	TCASE X, "addsubps denormal DE", 0x116c23fc00000, 0x4040000040000000, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x1f80, \
		0x3a83126f3fa00000, 0xc0900000ff61b1e6, 0x1fa2, {addsubps xmm0, xmm1}
	TCASE X, "dpps denormal DE", 0x116c23fc00000, 0x4040000040000000, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x1f80, \
		0x7f8000007f800000, 0x0, 0x1fba, {dpps xmm0, xmm1, 0xf3}
	TCASE X, "addsubps ftz daz", 0x6ce3ee000ae398, 0x40a000000082ab1e, 0x77c786000ae398, 0x18077c786, 0x9fc0, \
		0x0, 0x40a000000082ab1e, 0x9fc0, {addsubps xmm0, xmm1}
	TCASE X, "movsldup", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xccddeeffccddeeff, 0x5566778855667788, 0x1f80, {movsldup xmm0, xmm1}
	TCASE X, "movshdup", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabb8899aabb, 0x1122334411223344, 0x1f80, {movshdup xmm0, [rel vb]}
	TCASE X, "movddup", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x8899aabbccddeeff, 0x1f80, {movddup xmm0, xmm1}
	TCASE X, "movddup m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1122334455667788, 0x1122334455667788, 0x1f80, {movddup xmm0, [rel vb + 8]}
	TCASE X, "lddqu unaligned", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x6677888899aabbcc, 0x1122334455, 0x1f80, {lddqu xmm0, [rel vb + 3]}
	TCASE G, "fisttp stack overflow", 0x123456789abcdef, 0xfedcba9876543210, 0xc01ff5c28f5c28f6, 0x0, 0x1f80, \
		0x8000000000000000, 0x0, 0x1f80, {fld qword [rel vb]}, {fisttp qword [rel scr]}, {mov rax, [rel scr]}
	TCASE G, "fisttp m64", 0x123456789abcdef, 0xfedcba9876543210, 0xc01ff5c28f5c28f6, 0x0, 0x1f80, \
		0xfffffffffffffff9, 0x0, 0x1f80, {emms}, {fld qword [rel vb]}, {fisttp qword [rel scr]}, {mov rax, [rel scr]}
	TCASE G, "fisttp m16 range", 0x123456789abcdef, 0xfedcba9876543210, 0x412e848000000000, 0x0, 0x1f80, \
		0x618000, 0x0, 0x1f80, {emms}, {fld qword [rel vb]}, {fisttp word [rel scr]}, {movzx eax, word [rel scr]}, {fnstsw [rel scr]}, {movzx ecx, word [rel scr]}, {shl rcx, 16}, {or rax, rcx}, {fninit}
	TCASE G, "fisttp m32", 0x123456789abcdef, 0xfedcba9876543210, 0x41dffffffff9999a, 0x0, 0x1f80, \
		0x7fffffff, 0x0, 0x1f80, {emms}, {fld qword [rel vb]}, {fisttp dword [rel scr]}, {mov eax, [rel scr]}
	TCASE G, "popcnt r64", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x28, 0x0, 0x1f80, {popcnt rax, rcx}
	TCASE G, "popcnt flags zero", 0x123456789abcdef, 0xfedcba9876543210, 0x0, 0x0, 0x1f80, \
		0x40, 0x0, 0x1f80, {popcnt rax, rcx}, {pushfq}, {pop rax}, {and eax, 0x8d5}
	TCASE G, "popcnt r16 m16", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xdeadbeefdead0006, 0x0, 0x1f80, {popcnt ax, [rel vb + 6]}
	TCASE G, "lzcnt r32", 0x123456789abcdef, 0xfedcba9876543210, 0x8000ffffffff, 0x0, 0x1f80, \
		0x10, 0x0, 0x1f80, {lzcnt eax, [rel vb + 4]}
	TCASE G, "lzcnt zero flags", 0x123456789abcdef, 0xfedcba9876543210, 0x0, 0x0, 0x1f80, \
		0x100000040, 0x0, 0x1f80, {lzcnt rax, rcx}, {pushfq}, {pop rcx}, {and ecx, 0x41}, {shl rcx, 32}, {or rax, rcx}
	TCASE G, "lzcnt r16", 0x123456789abcdef, 0xfedcba9876543210, 0x300, 0x0, 0x1f80, \
		0xdeadbeefdead0006, 0x0, 0x1f80, {lzcnt ax, cx}
	TCASE X, "pshufb", 0x123456789abcdef, 0xfedcba9876543210, 0x8f0e0d0c03020100, 0x1020304058a0b, 0x1f80, \
		0xdcba9889abcdef, 0xefcdab8967450076, 0x1f80, {pshufb xmm0, xmm1}
	TCASE M, "pshufb mm", 0x123456789abcdef, 0xfedcba9876543210, 0x706050483020100, 0x0, 0x1f80, \
		0x123456700abcdef, 0x0, 0x1f80, {pshufb mm0, mm1}
	TCASE X, "phaddw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x100ffffffffffff, 0x180000001, 0x1f80, {phaddw xmm0, xmm1}
	TCASE M, "phaddw mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x80000001ffffffff, 0x0, 0x1f80, {phaddw mm0, [rel vb]}
	TCASE X, "phaddsw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x100ffffffffffff, 0x17fff8000, 0x1f80, {phaddsw xmm0, xmm1}
	TCASE M, "phaddsw mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff8000ffffffff, 0x0, 0x1f80, {phaddsw mm0, [rel vb]}
	TCASE X, "phsubw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xfefcfffd00010003, 0x4fffd7ffe0001, 0x1f80, {phsubw xmm0, xmm1}
	TCASE M, "phsubw mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7ffe000100010003, 0x0, 0x1f80, {phsubw mm0, [rel vb]}
	TCASE X, "phsubsw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xfefc7fff80000003, 0x47fff7ffe0001, 0x1f80, {phsubsw xmm0, xmm1}
	TCASE M, "phsubsw mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7ffe000180000003, 0x0, 0x1f80, {phsubsw mm0, [rel vb]}
	TCASE X, "pmaddubsw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xff3f8080800001, 0xfffb01fcc0023e03, 0x1f80, {pmaddubsw xmm0, xmm1}
	TCASE M, "pmaddubsw mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xff3f8080800001, 0x0, 0x1f80, {pmaddubsw mm0, [rel vb]}
	TCASE X, "pmulhrsw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x180010002ffff, 0x7ffd7ffd, 0x1f80, {pmulhrsw xmm0, xmm1}
	TCASE M, "pmulhrsw mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x180010002ffff, 0x0, 0x1f80, {pmulhrsw mm0, [rel vb]}
	TCASE X, "psignw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff80000002ffff, 0xfefefffe7fff7ffe, 0x1f80, {psignw xmm0, xmm1}
	TCASE M, "psignw mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff80000002ffff, 0x0, 0x1f80, {psignw mm0, [rel vb]}
	TCASE X, "pabsw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17fff80007fff, 0x200027ffe7fff, 0x1f80, {pabsw xmm0, xmm1}
	TCASE M, "pabsw mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17fff80007fff, 0x0, 0x1f80, {pabsw mm0, [rel vb]}
	TCASE X, "phaddd", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x81047ffc7ffd8001, 0x8000800180020000, 0x1f80, {phaddd xmm0, [rel vb]}
	TCASE M, "phaddd mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x800200007ffd8001, 0x0, 0x1f80, {phaddd mm0, mm1}
	TCASE X, "phsubd", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7efe80007ffe8001, 0x80047ffd7fff0002, 0x1f80, {phsubd xmm0, [rel vb]}
	TCASE M, "phsubd mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff00027ffe8001, 0x0, 0x1f80, {phsubd mm0, mm1}
	TCASE X, "psignd", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff80000001ffff, 0xfefd00027ffe8002, 0x1f80, {psignd xmm0, [rel vb]}
	TCASE M, "psignd mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff80000001ffff, 0x0, 0x1f80, {psignd mm0, mm1}
	TCASE X, "pabsd", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17fff7fff7fff, 0x1fffe7ffd8001, 0x1f80, {pabsd xmm0, [rel vb]}
	TCASE M, "pabsd mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17fff7fff7fff, 0x0, 0x1f80, {pabsd mm0, mm1}
	TCASE X, "psignb", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xff800001000001, 0xfffe00fe80017f02, 0x1f80, {psignb xmm0, [rel vb]}
	TCASE M, "psignb mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xff800001000001, 0x0, 0x1f80, {psignb mm0, mm1}
	TCASE X, "pabsb", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17f0180008001, 0x102000280027f01, 0x1f80, {pabsb xmm0, [rel vb]}
	TCASE M, "pabsb mm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17f0180008001, 0x0, 0x1f80, {pabsb mm0, mm1}
	TCASE X, "palignr 0", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, {palignr xmm0, xmm1, 0}
	TCASE X, "palignr 5", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x44556677888899aa, 0x6789abcdef112233, 0x1f80, {palignr xmm0, xmm1, 5}
	TCASE X, "palignr 16", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0xfedcba9876543210, 0x1f80, {palignr xmm0, xmm1, 16}
	TCASE X, "palignr 20", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x7654321001234567, 0xfedcba98, 0x1f80, {palignr xmm0, xmm1, 20}
	TCASE X, "palignr 31", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xfe, 0x0, 0x1f80, {palignr xmm0, xmm1, 31}
	TCASE X, "palignr 32", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x0, 0x0, 0x1f80, {palignr xmm0, xmm1, 32}
	TCASE M, "palignr mm 3", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xabcdef8899aabbcc, 0x0, 0x1f80, {palignr mm0, mm1, 3}
	TCASE M, "palignr mm 12", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1234567, 0x0, 0x1f80, {palignr mm0, [rel vb], 12}
	TCASE X, "pmovsxbw", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffccffddffeeffff, 0xff88ff99ffaaffbb, 0x1f80, {pmovsxbw xmm0, xmm1}
	TCASE X, "pmovsxbd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffffffeeffffffff, 0xffffffccffffffdd, 0x1f80, {pmovsxbd xmm0, xmm1}
	TCASE X, "pmovsxbq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffffffffffffffff, 0xffffffffffffffee, 0x1f80, {pmovsxbq xmm0, xmm1}
	TCASE X, "pmovsxwd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffffccddffffeeff, 0xffff8899ffffaabb, 0x1f80, {pmovsxwd xmm0, xmm1}
	TCASE X, "pmovsxwq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffffffffffffeeff, 0xffffffffffffccdd, 0x1f80, {pmovsxwq xmm0, xmm1}
	TCASE X, "pmovsxdq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffffffffccddeeff, 0xffffffff8899aabb, 0x1f80, {pmovsxdq xmm0, xmm1}
	TCASE X, "pmovzxbw", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xcc00dd00ee00ff, 0x88009900aa00bb, 0x1f80, {pmovzxbw xmm0, xmm1}
	TCASE X, "pmovzxbd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xee000000ff, 0xcc000000dd, 0x1f80, {pmovzxbd xmm0, xmm1}
	TCASE X, "pmovzxbq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xff, 0xee, 0x1f80, {pmovzxbq xmm0, xmm1}
	TCASE X, "pmovzxwd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xccdd0000eeff, 0x88990000aabb, 0x1f80, {pmovzxwd xmm0, xmm1}
	TCASE X, "pmovzxwq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xeeff, 0xccdd, 0x1f80, {pmovzxwq xmm0, xmm1}
	TCASE X, "pmovzxdq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xccddeeff, 0x8899aabb, 0x1f80, {pmovzxdq xmm0, xmm1}
	TCASE X, "pmovsxbq m16", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffffffffffffffee, 0xffffffffffffffdd, 0x1f80, {pmovsxbq xmm0, [rel vb + 1]}
	TCASE X, "pmovzxwd m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8888000099aa, 0x445500006677, 0x1f80, {pmovzxwd xmm0, [rel vb + 5]}
	TCASE X, "pmulld", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xc00080007ffe8001, 0x209fffc3ff98002, 0x1f80, {pmulld xmm0, xmm1}
	TCASE X, "pmuldq", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xfffe7ffe8001, 0x3ffe00053ff98002, 0x1f80, {pmuldq xmm0, xmm1}
	TCASE X, "pminsb", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xff80ff80fe8001, 0xfffefffe80017ffe, 0x1f80, {pminsb xmm0, xmm1}
	TCASE X, "pminsd", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17fff80008001, 0xfffe000280017ffe, 0x1f80, {pminsd xmm0, xmm1}
	TCASE X, "pminuw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17fff80000001, 0x102000280017ffe, 0x1f80, {pminuw xmm0, xmm1}
	TCASE X, "pminud", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x17fff80008001, 0x102fffe80017ffe, 0x1f80, {pminud xmm0, xmm1}
	TCASE X, "pmaxsb", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7f017f00ff000001, 0x102000280027fff, 0x1f80, {pmaxsb xmm0, xmm1}
	TCASE X, "pmaxsd", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff8000fffe0001, 0x102fffe80027fff, 0x1f80, {pmaxsd xmm0, xmm1}
	TCASE X, "pmaxuw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff8000fffe8001, 0xfffefffe80027fff, 0x1f80, {pmaxuw xmm0, xmm1}
	TCASE X, "pmaxud", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x7fff8000fffe0001, 0xfffe000280027fff, 0x1f80, {pmaxud xmm0, xmm1}
	TCASE X, "pcmpeqq", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0x0, 0x0, 0x1f80, {pcmpeqq xmm0, xmm1}
	TCASE X, "pcmpgtq", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xffffffffffffffff, 0xffffffffffffffff, 0x1f80, {pcmpgtq xmm0, xmm1}
	TCASE X, "packusdw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x17fff80008001, 0xfffe000280027fff, 0x1f80, \
		0xffff0000ffff0000, 0xffff0000, 0x1f80, {packusdw xmm0, xmm1}
	TCASE X, "pcmpeqq equal", 0x123456789abcdef, 0xfedcba9876543210, 0x123456789abcdef, 0x0, 0x1f80, \
		0xffffffffffffffff, 0x0, 0x1f80, {pcmpeqq xmm0, [rel vb]}
	TCASE X, "phminposuw", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x8001ffff00050009, 0x5000700050008, 0x1f80, \
		0x10005, 0x0, 0x1f80, {phminposuw xmm0, xmm1}
	TCASE X, "pblendw", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123aabb89abeeff, 0x1122ba9855663210, 0x1f80, {pblendw xmm0, xmm1, 0xa5}
	TCASE X, "blendps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabb89abcdef, 0xfedcba9855667788, 0x1f80, {blendps xmm0, xmm1, 0x6}
	TCASE X, "blendpd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0x1122334455667788, 0x1f80, {blendpd xmm0, [rel vb], 0x2}
	TCASE X, "pblendvb", 0x8000000080ff7f00, 0x7fffffffffffffff, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x88112233ccdd6677, 0x8822334455667788, 0x1f80, {movdqa xmm2, [rel cst]}, {pblendvb xmm2, xmm1}, {movdqa xmm0, xmm2}
	TCASE X, "blendvps", 0x8000000080ff7f00, 0x7fffffffffffffff, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x8899aabb55667788, 0x1f80, {movdqa xmm2, [rel cst]}, {blendvps xmm2, xmm1}, {movdqa xmm0, xmm2}
	TCASE X, "blendvpd", 0x8000000080ff7f00, 0x7fffffffffffffff, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x8899aabbccddeeff, 0x1f80, {movdqa xmm2, [rel cst]}, {blendvpd xmm2, xmm1}, {movdqa xmm0, xmm2}
	TCASE G, "ptest flags", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x0, 0x0, 0x1f80, {ptest xmm0, xmm1}, {pushfq}, {pop rax}, {and eax, 0x8d5}
	TCASE G, "ptest zf cf", 0xff00, 0x0, 0xff, 0x0, 0x1f80, \
		0x40, 0x0, 0x1f80, {ptest xmm0, xmm1}, {pushfq}, {pop rax}, {and eax, 0x8d5}
	TCASE G, "pextrb", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xba, 0x0, 0x1f80, {pextrb eax, xmm0, 0x1d}
	TCASE G, "pextrb m8", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x32, 0x0, 0x1f80, {mov qword [rel scr], 0}, {pextrb [rel scr], xmm0, 9}, {mov rax, [rel scr]}
	TCASE G, "pextrw m16", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xba98, 0x0, 0x1f80, {mov qword [rel scr], 0}, {pextrw [rel scr], xmm0, 6}, {mov rax, [rel scr]}
	TCASE G, "pextrd", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xfedcba98, 0x0, 0x1f80, {pextrd eax, xmm0, 3}
	TCASE G, "pextrq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xfedcba9876543210, 0x0, 0x1f80, {pextrq rax, xmm0, 1}
	TCASE G, "extractps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x76543210, 0x0, 0x1f80, {extractps eax, xmm0, 2}
	TCASE X, "pinsrb", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0xffdcba9876543210, 0x1f80, {pinsrb xmm0, ecx, 15}
	TCASE X, "pinsrd m32", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabb89abcdef, 0xfedcba9876543210, 0x1f80, {pinsrd xmm0, [rel vb + 4], 1}
	TCASE X, "pinsrq", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x1f80, {pinsrq xmm0, rcx, 1}
	TCASE X, "insertps", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x89abcdef, 0xfedcba9876543210, 0x1f80, {insertps xmm0, xmm1, 0xd2}
	TCASE X, "insertps m32", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x123456700000000, 0x1122334476543210, 0x1f80, {insertps xmm0, [rel vb + 12], 0x31}
	TCASE X, "roundps imm0", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc000000040000000, 0xc000000000000000, 0x3fa0, {roundps xmm0, xmm0, 0}
	TCASE X, "roundpd imm0", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4000000000000000, 0xc010000000000000, 0x5fa0, {roundpd xmm0, xmm1, 0}
	TCASE X, "roundps imm1", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc040000040000000, 0xc000000000000000, 0x3fa0, {roundps xmm0, xmm0, 1}
	TCASE X, "roundpd imm1", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4000000000000000, 0xc010000000000000, 0x5fa0, {roundpd xmm0, xmm1, 1}
	TCASE X, "roundps imm2", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc000000040400000, 0xbf8000003f800000, 0x3fa0, {roundps xmm0, xmm0, 2}
	TCASE X, "roundpd imm2", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4008000000000000, 0xc008000000000000, 0x5fa0, {roundpd xmm0, xmm1, 2}
	TCASE X, "roundps imm3", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc000000040000000, 0xbf80000000000000, 0x3fa0, {roundps xmm0, xmm0, 3}
	TCASE X, "roundpd imm3", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4000000000000000, 0xc008000000000000, 0x5fa0, {roundpd xmm0, xmm1, 3}
	TCASE X, "roundps imm4", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc040000040000000, 0xc000000000000000, 0x3fa0, {roundps xmm0, xmm0, 4}
	TCASE X, "roundpd imm4", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4008000000000000, 0xc008000000000000, 0x5fa0, {roundpd xmm0, xmm1, 4}
	TCASE X, "roundps imm8", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc000000040000000, 0xc000000000000000, 0x3f80, {roundps xmm0, xmm0, 8}
	TCASE X, "roundpd imm8", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4000000000000000, 0xc010000000000000, 0x5f80, {roundpd xmm0, xmm1, 8}
	TCASE X, "roundps imm9", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc040000040000000, 0xc000000000000000, 0x3f80, {roundps xmm0, xmm0, 9}
	TCASE X, "roundpd imm9", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4000000000000000, 0xc010000000000000, 0x5f80, {roundpd xmm0, xmm1, 9}
	TCASE X, "roundps imm10", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc000000040400000, 0xbf8000003f800000, 0x3f80, {roundps xmm0, xmm0, 10}
	TCASE X, "roundpd imm10", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4008000000000000, 0xc008000000000000, 0x5f80, {roundpd xmm0, xmm1, 10}
	TCASE X, "roundps imm12", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x3f80, \
		0xc040000040000000, 0xc000000000000000, 0x3f80, {roundps xmm0, xmm0, 12}
	TCASE X, "roundpd imm12", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x5f80, \
		0x4008000000000000, 0xc008000000000000, 0x5f80, {roundpd xmm0, xmm1, 12}
	TCASE X, "roundss snan", 0x7f8000017fc00000, 0xffc000003f800000, 0x4004000000000000, 0xc00c000000000000, 0x1f80, \
		0x7f8000017fc00000, 0xffc000003f800000, 0x1f80, {roundss xmm0, xmm0, 1}
	TCASE X, "roundsd m64", 0xc020000040200000, 0xbfc000003effffff, 0x4004000000000000, 0xc00c000000000000, 0x1f80, \
		0xc010000000000000, 0xbfc000003effffff, 0x1fa0, {roundsd xmm0, [rel vb + 8], 4}
	TCASE X, "roundps daz", 0x8000001000000001, 0xbf0000007e967699, 0x4004000000000000, 0xc00c000000000000, 0x1fc0, \
		0x8000000000000000, 0x800000007e967699, 0x1fe0, {roundps xmm0, xmm0, 2}
	TCASE X, "dpps ff", 0xc01000003fc00000, 0xda242607f61b1e6, 0x3a83126f3e800000, 0xc0f000007f61b1e6, 0x1f80, \
		0x7f8000007f800000, 0x7f8000007f800000, 0x1fa8, {dpps xmm0, xmm1, 0xff}
	TCASE X, "dpps 31", 0x400000003f800000, 0x4080000040400000, 0x40c0000040a00000, 0x4100000040e00000, 0x1f80, \
		0x41880000, 0x0, 0x1f80, {dpps xmm0, xmm1, 0x31}
	TCASE X, "dpps b6", 0x400000003fc00000, 0x4080000040500000, 0x40c0000040a00000, 0x4108000040e00000, 0x3f80, \
		0x4256000000000000, 0x42560000, 0x3f80, {dpps xmm0, [rel vb], 0xb6}
	TCASE X, "dppd 33", 0x3fd5555555555555, 0xfe4ddd4baa009303, 0x3fe5555555555555, 0xfe4ddd4baa009303, 0x1f80, \
		0x7ff0000000000000, 0x7ff0000000000000, 0x1fa8, {dppd xmm0, xmm1, 0x33}
	TCASE X, "dppd 12", 0x4008000000000000, 0x4010000000000000, 0x4014000000000000, 0x4018000000000000, 0x1f80, \
		0x0, 0x402e000000000000, 0x1f80, {dppd xmm0, xmm1, 0x12}
	TCASE X, "mpsadbw 0", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x23e01b6012e00a6, 0x2ff0330031d02c6, 0x1f80, {mpsadbw xmm0, xmm1, 0}
	TCASE X, "mpsadbw 1", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x12e00a60044006a, 0x1ef0220020d01b6, 0x1f80, {mpsadbw xmm0, xmm1, 1}
	TCASE X, "mpsadbw 2", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x64004600ae0136, 0x1230154014100ea, 0x1f80, {mpsadbw xmm0, xmm1, 2}
	TCASE X, "mpsadbw 3", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xae013601be0246, 0xb9008600330046, 0x1f80, {mpsadbw xmm0, xmm1, 3}
	TCASE X, "mpsadbw 4", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x2ff0330031d02c6, 0x112017a0202028a, 0x1f80, {mpsadbw xmm0, xmm1, 4}
	TCASE X, "mpsadbw 5", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x1ef0220020d01b6, 0xcc00ce0112017a, 0x1f80, {mpsadbw xmm0, xmm1, 5}
	TCASE X, "mpsadbw 7", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xb9008600330046, 0x1fa0172010e00cc, 0x1f80, {mpsadbw xmm0, xmm1, 7}
	TCASE X, "movntdqa", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, {movntdqa xmm0, [rel vb]}
	TCASE X, "pcmpgtq signs", 0x8000000000000000, 0x5, 0x7fffffffffffffff, 0x4, 0x1f80, \
		0x0, 0xffffffffffffffff, 0x1f80, {pcmpgtq xmm0, xmm1}
	TCASE G, "pcmpistri ordered", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x8100000006, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 12}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm ordered", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xff000000000000, 0x0, 0x1f80, {pcmpistrm xmm0, xmm1, 76}
	TCASE G, "pcmpistri any", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x8100000004, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 0}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm any", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xffff00ff00000000, 0xff, 0x1f80, {pcmpistrm xmm0, xmm1, 64}
	TCASE G, "pcmpistri ranges", 0x5a417a61, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x88100000000, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 4}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm ranges", 0x5a417a61, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xffff00ffffffffff, 0xffffff0000ffffff, 0x1f80, {pcmpistrm xmm0, xmm1, 68}
	TCASE G, "pcmpistri each", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x8000000010, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 8}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm each", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x0, 0x0, 0x1f80, {pcmpistrm xmm0, xmm1, 72}
	TCASE G, "pcmpistri ordered msb", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x8100000006, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 76}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm ordered msb", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xff000000000000, 0x0, 0x1f80, {pcmpistrm xmm0, xmm1, 76}
	TCASE G, "pcmpistri ordered neg", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x88100000000, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 28}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm ordered neg", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xff00ffffffffffff, 0xffffffffffffffff, 0x1f80, {pcmpistrm xmm0, xmm1, 92}
	TCASE G, "pcmpistri ordered mneg", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x88100000000, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 60}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm ordered mneg", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xff00ffffffffffff, 0xffffffffffffffff, 0x1f80, {pcmpistrm xmm0, xmm1, 124}
	TCASE G, "pcmpistri any words", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x8100000003, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 1}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm any words", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xffff000000000000, 0x0, 0x1f80, {pcmpistrm xmm0, xmm1, 65}
	TCASE G, "pcmpistri ranges sb msb", 0x5a417a61, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x8810000000f, 0x0, 0x1f80, {pcmpistri xmm0, xmm1, 70}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpistrm ranges sb msb", 0x5a417a61, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xffff00ffffffffff, 0xffffff0000ffffff, 0x1f80, {pcmpistrm xmm0, xmm1, 70}
	TCASE G, "pcmpestri ordered", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xc100000006, 0x0, 0x1f80, {mov eax, 3}, {mov edx, 12}, {pcmpestri xmm0, xmm1, 12}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpestrm ordered", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x40, 0x0, 0x1f80, {mov eax, 3}, {mov edx, 12}, {pcmpestrm xmm0, [rel vb], 12}
	TCASE G, "pcmpestri any neg lengths", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x8100000004, 0x0, 0x1f80, {mov eax, -3}, {mov edx, 20}, {pcmpestri xmm0, xmm1, 0}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpestrm any neg lengths", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x1d0, 0x0, 0x1f80, {mov eax, -3}, {mov edx, 20}, {pcmpestrm xmm0, [rel vb], 0}
	TCASE G, "pcmpestri ranges", 0x5a417a61, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x88100000000, 0x0, 0x1f80, {mov eax, 4}, {mov edx, 16}, {pcmpestri xmm0, xmm1, 4}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpestrm ranges", 0x5a417a61, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xe7df, 0x0, 0x1f80, {mov eax, 4}, {mov edx, 16}, {pcmpestrm xmm0, [rel vb], 4}
	TCASE G, "pcmpestri each mneg", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x84100000000, 0x0, 0x1f80, {mov eax, 16}, {mov edx, 5}, {pcmpestri xmm0, xmm1, 56}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpestrm each mneg", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x1f, 0x0, 0x1f80, {mov eax, 16}, {mov edx, 5}, {pcmpestrm xmm0, [rel vb], 56}
	TCASE G, "pcmpestri each empty", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x8c100000000, 0x0, 0x1f80, {mov eax, 0}, {mov edx, 0}, {pcmpestri xmm0, xmm1, 8}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpestrm each empty", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xffff, 0x0, 0x1f80, {mov eax, 0}, {mov edx, 0}, {pcmpestrm xmm0, [rel vb], 8}
	TCASE G, "pcmpestri ordered words", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0xc000000008, 0x0, 0x1f80, {mov eax, 2}, {mov edx, 7}, {pcmpestri xmm0, xmm1, 13}, {pushfq}, {pop rax}, {and eax, 0x8d5}, {shl rax, 32}, {or rax, rcx}
	TCASE X, "pcmpestrm ordered words", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x0, 0x0, 0x1f80, {mov eax, 2}, {mov edx, 7}, {pcmpestrm xmm0, [rel vb], 13}
	TCASE G, "pcmpestri rax rdx", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x0, 0x0, 0x1f80, {mov rax, -0x100000000}, {mov edx, 0x7fffffff}, {pcmpestri xmm0, [rel vb], 0x0c}, {mov rax, rcx}
	TCASE G, "pcmpistri unaligned", 0x726f77, 0x0, 0x6f77206f6c6c6568, 0x6362612021646c72, 0x1f80, \
		0x6, 0x0, 0x1f80, {movdqu xmm1, [rel vb]}, {movdqu [rel scr2 + 1], xmm1}, {pcmpistri xmm0, [rel scr2 + 1], 0x0c}, {mov rax, rcx}
	TCASE G, "crc32 b", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffffff, 0x0, 0x1f80, {mov eax, 0xffffffff}, {crc32 eax, cl}
	TCASE G, "crc32 w", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x202a264b, 0x0, 0x1f80, {mov eax, 0x12345678}, {crc32 eax, word [rel vb + 2]}
	TCASE G, "crc32 d", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x19063265, 0x0, 0x1f80, {xor eax, eax}, {crc32 eax, ecx}
	TCASE G, "crc32 q", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xd1dc5199, 0x0, 0x1f80, {mov rax, -1}, {crc32 rax, qword [rel vb]}
	TCASE G, "crc32 r64 b", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0x4fb7e8c2, 0x0, 0x1f80, {mov rax, -1}, {crc32 rax, byte [rel vb + 15]}
	TCASE G, "movbe load", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffeeddccbbaa9988, 0x0, 0x1f80, {movbe rax, [rel vb]}
	TCASE G, "movbe load16", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xdeadbeefdeadeedd, 0x0, 0x1f80, {movbe ax, [rel vb + 1]}
	TCASE G, "movbe store", 0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x1122334455667788, 0x1f80, \
		0xffeeddcc, 0x0, 0x1f80, {movbe [rel scr], ecx}, {mov rax, [rel scr]}

	PRINT "host-recorded cases done"

	; ---- 16-byte alignment: #GP(0) for the aligned forms only ----
	EXPECT_FAULT .gp1
	pshufb xmm0, [rel va + 8]
.gp1:	CHECK_FAULT VEC_GP, 0, "pshufb misaligned"
	EXPECT_FAULT .gp2
	ptest xmm0, [rel va + 4]
.gp2:	CHECK_FAULT VEC_GP, 0, "ptest misaligned"
	EXPECT_FAULT .gp3
	roundps xmm0, [rel va + 1], 0
.gp3:	CHECK_FAULT VEC_GP, 0, "roundps misaligned"
	EXPECT_FAULT .gp4
	movntdqa xmm0, [rel va + 8]
.gp4:	CHECK_FAULT VEC_GP, 0, "movntdqa misaligned"
	EXPECT_FAULT .gp5
	haddps xmm0, [rel va + 8]
.gp5:	CHECK_FAULT VEC_GP, 0, "haddps misaligned"
	; the unaligned and narrower forms do not fault
	lddqu xmm0, [rel va + 1]
	pcmpestri xmm0, [rel va + 3], 0
	pcmpistrm xmm0, [rel va + 5], 0
	pmovzxbw xmm0, [rel va + 1]
	roundss xmm0, [rel va + 1], 0
	pshufb mm0, [rel va + 3]
	emms
	CHECK_EQ 1, 1, "unaligned forms do not fault"

	RAXT_DONE
RAXT_RUNTIME
	align 16, db 0
va:	times 48 db 0
vb:	times 48 db 0
res:	dq 0, 0
vcsr:	dq 0
scr:	dq 0, 0
scr2:	times 32 db 0
csr_default: dd 0x1f80, 0
	align 16, db 0
cst:	dq 0x0011223344556677, 0x8899aabbccddeeff
