; t_avx.asm - the VEX forms of the SSE/SSE2 moves and integer operations
; (AVX VEX.128 and VEX.256, AVX2 VEX.256 integer) and VZEROUPPER/VZEROALL,
; at CPL0 with CR4.OSXSAVE and XCR0 = x87 | SSE | AVX (AVX_ON): full,
; scalar and half moves, VMOVD/VMOVQ, the sign masks, the non-temporal
; stores, unpacks and shuffles (VSHUFPD's per-lane imm8 bits), VPINSRW/
; VPEXTRW, the packed integer arithmetic, compares, packs and logic, the
; shifts by imm8 (VEX.vvvv is the destination) and by an xmm/m128 count
; (one count for both lanes), VMASKMOVDQU; the upper half of the YMM
; registers: VEX.128 results zero bits 255:128, legacy SSE leaves them
; alone, VZEROUPPER and VZEROALL clear all 16 registers in 64-bit mode;
; then the faults: #GP(0) for a VMOVDQA/VMOVAPS/VMOVNTDQ ymm operand that
; is 16- but not 32-byte aligned (the destination unchanged) and none for
; VMOVDQU/VMOVUPS, #UD for VEX.L = 1 on the 128-bit-only forms and for
; VEX.vvvv != 1111b where an instruction has no vvvv operand.
;
; The interpreter runs it at CPU level v3 (rax --cpu v3). The expected
; values are the host's (an AMD Zen 4), taken by running each case's
; instructions on it with the same inputs.
;
; Each case: SETUP loads ymm0 = a, ymm1 = b (va, vb in memory), rcx = b's
; low qword, rax = a sentinel; the instructions run; the result (kind Y:
; all of ymm0, G: rax) is checked.
%include "include/raxtest.inc"
%include "include/avx.inc"
RAXT_HEADER 0
RAXT_HEADER_END
	jmp start

; SETUP a0, a1, a2, a3, b0, b1, b2, b3
%macro SETUP 8
	%assign i 0
	%rep 8
	mov rax, %1
	mov [rel va + i], rax
	%assign i i + 8
	%rotate 1
	%endrep
	vmovdqu ymm0, [rel va]
	vmovdqu ymm1, [rel vb]
	mov rcx, [rel vb]
	mov rax, 0xdeadbeefdeadbeef
%endmacro

; RESULT kind: the result in [rel res] (Y: ymm0, G: rax)
%macro RESULT 1
	%ifidn %1, Y
	vmovdqu [rel res], ymm0
	%else
	mov [rel res], rax
	mov qword [rel res + 8], 0
	mov qword [rel res + 16], 0
	mov qword [rel res + 24], 0
	%endif
%endmacro

; YCASE kind, "name", a0, a1, a2, a3, b0, b1, b2, b3, r0, r1, r2, r3, {insn}...
%macro YCASE 15-*
	%xdefine T_KIND %1
	%xdefine T_NAME %2
	%xdefine T_R0 %11
	%xdefine T_R1 %12
	%xdefine T_R2 %13
	%xdefine T_R3 %14
	SETUP %3, %4, %5, %6, %7, %8, %9, %10
	%rep 14
	%rotate 1
	%endrep
	%rep %0 - 14
	%1
	%rotate 1
	%endrep
	RESULT T_KIND
	QCHECK qword [rel res], T_R0, {T_NAME, ": bits 63:0"}
	QCHECK qword [rel res + 8], T_R1, {T_NAME, ": bits 127:64"}
	QCHECK qword [rel res + 16], T_R2, {T_NAME, ": bits 191:128"}
	QCHECK qword [rel res + 24], T_R3, {T_NAME, ": bits 255:192"}
%endmacro

start:
	AVX_ON
	YCASE Y, "vmovdqu ymm, m256", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, {vmovdqu ymm0, [rel vb]}
	YCASE Y, "vmovdqu ymm, m256 unaligned", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x5432100123456789, 0x7ffffedcba9876, 0xff80ff8000000180, 0xddeeff7fffffff00, {vmovdqu ymm0, [rel va + 3]}
	YCASE Y, "vmovups ymm, ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, {vmovups ymm0, ymm1}
	YCASE Y, "vmovapd ymm, m256", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, {vmovapd ymm0, [rel vb]}
	YCASE Y, "vmovaps m256, ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, {vmovaps [rel scr], ymm1}, {vmovdqu ymm0, [rel scr]}
	YCASE Y, "vmovupd m256, ymm unaligned", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, {vmovupd [rel scr + 5], ymm1}, {vmovdqu ymm0, [rel scr + 5]}
	YCASE Y, "vmovdqa ymm, ymm (11 form)", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, {db 0xc5, 0xfd, 0x7f, 0xc8}
	YCASE Y, "vmovdqu xmm, m128 zeroes 255:128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x0, 0x0, {vmovdqu xmm0, [rel vb]}
	YCASE Y, "vmovaps xmm, xmm zeroes 255:128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x0, 0x0, {vmovaps xmm0, xmm1}
	YCASE Y, "vmovups xmm, xmm (11 form) zeroes 255:128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x0, 0x0, {db 0xc5, 0xf8, 0x11, 0xc8}
	YCASE Y, "vmovdqa m128, xmm: 16 bytes", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x8000000180007fff, 0x7fffffff00ff80ff, {vmovdqu ymm2, [rel va]}, {vmovdqu [rel scr], ymm2}, {vmovdqa [rel scr], xmm1}, {vmovdqu ymm0, [rel scr]}
	YCASE Y, "movdqu xmm (legacy) keeps 255:128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x8000000180007fff, 0x7fffffff00ff80ff, {movdqu xmm0, xmm1}
	YCASE Y, "paddd xmm (legacy) keeps 255:128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x89bcf0225689bcee, 0xffeeddccbbaa998, 0x8000000180007fff, 0x7fffffff00ff80ff, {paddd xmm0, xmm1}
	YCASE Y, "movdqa xmm, m128 (legacy) keeps 255:128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x8000000180007fff, 0x7fffffff00ff80ff, {movdqa xmm0, [rel vb]}
	YCASE Y, "vmovntdq m256", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, {vmovntdq [rel scr], ymm1}, {vmovdqu ymm0, [rel scr]}
	YCASE Y, "vmovntps m128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x8000000180007fff, 0x7fffffff00ff80ff, {vmovdqu [rel scr], ymm0}, {vmovntps [rel scr], xmm1}, {vmovdqu ymm0, [rel scr]}
	YCASE Y, "vmovss xmm, xmm, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabb89abcdef, 0x1122334455667788, 0x0, 0x0, {vmovss xmm0, xmm1, xmm0}
	YCASE Y, "vmovss xmm, xmm, xmm VEX.L=1 (ignored)", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabb89abcdef, 0x1122334455667788, 0x0, 0x0, {db 0xc5, 0xf6, 0x10, 0xc0}
	YCASE Y, "vmovss xmm, m32", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabb, 0x0, 0x0, 0x0, {vmovss xmm0, [rel vb + 4]}
	YCASE Y, "vmovss m32, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xccddeeff89abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, {vmovss [rel va + 4], xmm1}, {vmovdqu ymm0, [rel va]}
	YCASE Y, "vmovss (11 form) xmm, xmm, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabb89abcdef, 0x1122334455667788, 0x0, 0x0, {db 0xc5, 0xf2, 0x11, 0xc0}
	YCASE Y, "vmovsd xmm, xmm, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0x1122334455667788, 0x0, 0x0, {vmovsd xmm0, xmm1, xmm0}
	YCASE Y, "vmovsd xmm, m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x1122334455667788, 0x0, 0x0, 0x0, {vmovsd xmm0, [rel vb + 8]}
	YCASE Y, "vmovsd m64, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0xfedcba9876543210, 0x8899aabbccddeeff, 0x7fffffff00ff80ff, {vmovsd [rel va + 16], xmm1}, {vmovdqu ymm0, [rel va]}
	YCASE Y, "vmovlps xmm, xmm, m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x7fffffff00ff80ff, 0x1122334455667788, 0x0, 0x0, {vmovlps xmm0, xmm1, [rel va + 24]}
	YCASE Y, "vmovlpd xmm, xmm, m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xffff0000ffff0001, 0xfedcba9876543210, 0x0, 0x0, {vmovlpd xmm0, xmm0, [rel vb + 16]}
	YCASE Y, "vmovhps xmm, xmm, m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x8000000180007fff, 0x0, 0x0, {vmovhps xmm0, xmm1, [rel va + 16]}
	YCASE Y, "vmovhpd xmm, xmm, m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x0, 0x0, {vmovhpd xmm0, xmm0, [rel vb]}
	YCASE Y, "vmovhlps", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xfedcba9876543210, 0x1122334455667788, 0x0, 0x0, {vmovhlps xmm0, xmm1, xmm0}
	YCASE Y, "vmovlhps", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x123456789abcdef, 0x0, 0x0, {vmovlhps xmm0, xmm1, xmm0}
	YCASE Y, "vmovlps m64, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x8000000180007fff, 0x7fffffff00ff80ff, {vmovlps [rel va + 8], xmm1}, {vmovdqu ymm0, [rel va]}
	YCASE Y, "vmovhpd m64, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x1122334455667788, {vmovhpd [rel va + 24], xmm1}, {vmovdqu ymm0, [rel va]}
	YCASE Y, "vmovd xmm, r32", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xccddeeff, 0x0, 0x0, 0x0, {vmovd xmm0, ecx}
	YCASE Y, "vmovq xmm, r64", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x0, 0x0, 0x0, {vmovq xmm0, rcx}
	YCASE Y, "vmovd xmm, m32", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x11223344, 0x0, 0x0, 0x0, {vmovd xmm0, [rel vb + 12]}
	YCASE G, "vmovd r32, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xccddeeff, 0x0, 0x0, 0x0, {vmovd eax, xmm1}
	YCASE G, "vmovq r64, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x0, 0x0, 0x0, {vmovq rax, xmm1}
	YCASE Y, "vmovd m32, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xccddeeff89abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, {vmovd [rel va + 4], xmm1}, {vmovdqu ymm0, [rel va]}
	YCASE Y, "vmovq xmm, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x0, 0x0, 0x0, {vmovq xmm0, xmm1}
	YCASE Y, "vmovq xmm, m64", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x102030405060708, 0x0, 0x0, 0x0, {vmovq xmm0, [rel vb + 24]}
	YCASE Y, "vmovq xmm, xmm (D6 form)", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x0, 0x0, 0x0, {db 0xc5, 0xf9, 0xd6, 0xc8}
	YCASE Y, "vmovq m64, xmm (D6)", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x8000000180007fff, 0x7fffffff00ff80ff, {vmovq [rel va + 8], xmm1}, {vmovdqu ymm0, [rel va]}
	YCASE G, "vmovmskps r32, ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x33, 0x0, 0x0, 0x0, {vmovmskps eax, ymm1}
	YCASE G, "vmovmskps r32, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x9, 0x0, 0x0, 0x0, {vmovmskps eax, xmm0}
	YCASE G, "vmovmskpd r64, ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x6, 0x0, 0x0, 0x0, {vmovmskpd rax, ymm0}
	YCASE G, "vpmovmskb r32, ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xcc01ff, 0x0, 0x0, 0x0, {vpmovmskb eax, ymm1}
	YCASE G, "vpmovmskb r32, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xf00f, 0x0, 0x0, 0x0, {vpmovmskb eax, xmm0}
	YCASE Y, "vunpcklps ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xccddeeff89abcdef, 0x8899aabb01234567, 0xffff000180007fff, 0xffff000080000001, {vunpcklps ymm0, ymm0, ymm1}
	YCASE Y, "vunpckhps ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x7654321055667788, 0xfedcba9811223344, 0xff80ff05060708, 0x7fffffff01020304, {vunpckhps ymm0, ymm1, ymm0}
	YCASE Y, "vunpcklpd ymm, m256", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x8000000180007fff, 0xffff0000ffff0001, {vunpcklpd ymm0, ymm0, [rel vb]}
	YCASE Y, "vunpckhpd ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xfedcba9876543210, 0x1122334455667788, 0x7fffffff00ff80ff, 0x102030405060708, {vunpckhpd ymm0, ymm0, ymm1}
	YCASE Y, "vpunpcklbw ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xcc89ddabeecdffef, 0x88019923aa45bb67, 0xff80ff00007f01ff, 0xff80ff0000000001, {vpunpcklbw ymm0, ymm0, ymm1}
	YCASE Y, "vpunpckhbw ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x5576665477328810, 0x11fe22dc33ba4498, 0x50006ff078008ff, 0x17f02ff03ff04ff, {vpunpckhbw ymm0, ymm0, ymm1}
	YCASE Y, "vpunpcklwd ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xccdd89abeeffcdef, 0x88990123aabb4567, 0xffff800000017fff, 0xffff800000000001, {vpunpcklwd ymm0, ymm0, ymm1}
	YCASE Y, "vpunpckhwd ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x5566765477883210, 0x1122fedc3344ba98, 0x50600ff070880ff, 0x1027fff0304ffff, {vpunpckhwd ymm0, ymm0, ymm1}
	YCASE Y, "vpunpckldq ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xccddeeff89abcdef, 0x8899aabb01234567, 0xffff000180007fff, 0xffff000080000001, {vpunpckldq ymm0, ymm0, ymm1}
	YCASE Y, "vpunpckhdq ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x5566778876543210, 0x11223344fedcba98, 0x506070800ff80ff, 0x10203047fffffff, {vpunpckhdq ymm0, ymm0, ymm1}
	YCASE Y, "vpunpcklqdq ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0x8899aabbccddeeff, 0x8000000180007fff, 0xffff0000ffff0001, {vpunpcklqdq ymm0, ymm0, ymm1}
	YCASE Y, "vpunpckhqdq ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xfedcba9876543210, 0x1122334455667788, 0x7fffffff00ff80ff, 0x102030405060708, {vpunpckhqdq ymm0, ymm0, [rel vb]}
	YCASE Y, "vpunpcklbw xmm zeroes 255:128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xcc89ddabeecdffef, 0x88019923aa45bb67, 0x0, 0x0, {vpunpcklbw xmm0, xmm0, xmm1}
	YCASE Y, "vshufps ymm 0x1b", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x76543210fedcba98, 0xccddeeff8899aabb, 0xff80ff7fffffff, 0xffff0001ffff0000, {vshufps ymm0, ymm0, ymm1, 0x1b}
	YCASE Y, "vshufps ymm, m256 0xd8", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x55667788ccddeeff, 0xfedcba9801234567, 0x5060708ffff0001, 0x7fffffff80000001, {vshufps ymm0, ymm1, [rel va], 0xd8}
	YCASE Y, "vshufpd ymm 0x6 (lane bits)", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0x1122334455667788, 0x7fffffff00ff80ff, 0xffff0000ffff0001, {vshufpd ymm0, ymm0, ymm1, 0x6}
	YCASE Y, "vshufpd ymm 0x9", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x1122334455667788, 0x123456789abcdef, 0xffff0000ffff0001, 0x7fffffff00ff80ff, {vshufpd ymm0, ymm1, ymm0, 0x9}
	YCASE Y, "vpshufd ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x1122334455667788, 0x8899aabbccddeeff, 0x102030405060708, 0xffff0000ffff0001, {vpshufd ymm0, ymm1, 0x4e}
	YCASE Y, "vpshufd ymm, m256", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x76543210fedcba98, 0x89abcdef01234567, 0xff80ff7fffffff, 0x80007fff80000001, {vpshufd ymm0, [rel va], 0x1b}
	YCASE Y, "vpshufhw ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x7788556633441122, 0xffff0000ffff0001, 0x708050603040102, {vpshufhw ymm0, ymm1, 0x1b}
	YCASE Y, "vpshuflw ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xaabb8899eeffccdd, 0x1122334455667788, 0xffff0001ffff, 0x102030405060708, {vpshuflw ymm0, [rel vb], 0xb1}
	YCASE Y, "vpshufd xmm zeroes 255:128", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x556677888899aabb, 0xccddeeff11223344, 0x0, 0x0, {vpshufd xmm0, xmm1, 0x39}
	YCASE Y, "vpinsrw xmm, xmm, r32", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x11223344eeff7788, 0x0, 0x0, {vpinsrw xmm0, xmm1, ecx, 5}
	YCASE Y, "vpinsrw xmm, xmm, m16", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0x8899ba9876543210, 0x0, 0x0, {vpinsrw xmm0, xmm0, [rel vb + 6], 7}
	YCASE G, "vpextrw r32, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899, 0x0, 0x0, 0x0, {vpextrw eax, xmm1, 3}
	YCASE G, "vpextrw r64, xmm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xba98, 0x0, 0x0, 0x0, {vpextrw rax, xmm0, 6}
	YCASE Y, "vpaddb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7f00ffff7ffe8002, 0xff000003fefd, 0xffffffff00ff03fb, 0xfffe7f81807c0205, {vpaddb ymm0, ymm0, ymm1}
	YCASE Y, "vpaddw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x8000ffff7ffe8002, 0x10000000003fffd, 0xffffffff00ff04fb, 0xfe7f81817c0205, {vpaddw ymm0, ymm0, ymm1}
	YCASE Y, "vpaddd ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x8000ffff7ffe8002, 0x10100000003fffd, 0xffffffff00ff04fb, 0xfe7f81817c0205, {vpaddd ymm0, ymm0, ymm1}
	YCASE Y, "vpaddq ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x800100007ffe8002, 0x10100010003fffd, 0xff04fb, 0xfe7f82817c0205, {vpaddq ymm0, ymm0, ymm1}
	YCASE Y, "vpaddsb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7f00ffff80fe8002, 0xff0080037ffd, 0xffffffff00ff03fb, 0xfffe7f81807c0205, {vpaddsb ymm0, ymm0, ymm1}
	YCASE Y, "vpaddsw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7fffffff80008002, 0x100000080007fff, 0xffffffff00ff04fb, 0xfe7f81817c0205, {vpaddsw ymm0, ymm0, ymm1}
	YCASE Y, "vpaddusb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffffffffffe8002, 0xffffffffff03feff, 0xffffffffffff03ff, 0xffff7f81ffff0205, {vpaddusb ymm0, ymm0, ymm1}
	YCASE Y, "vpaddusw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x8000ffffffff8002, 0xfffffffffffffffd, 0xffffffffffff04fb, 0xffff7f81ffff0205, {vpaddusw ymm0, ymm0, ymm1}
	YCASE Y, "vpsubb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe01017ffe8000, 0x204fffc00ff00ff, 0x1ffff01fe01ff01, 0x1007f7f82800201, {vpsubb ymm0, ymm0, ymm1}
	YCASE Y, "vpsubw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe00017ffe8000, 0x104fffcffffffff, 0xffff01fd01ff01, 0x1007f7f81800201, {vpsubw ymm0, ymm0, ymm1}
	YCASE Y, "vpsubd ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe00017ffd8000, 0x104fffcfffeffff, 0xfeff01fd00ff01, 0x1007f7f81800201, {vpsubd ymm0, ymm0, ymm1}
	YCASE Y, "vpsubq ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe00017ffd8000, 0x104fffbfffeffff, 0xfeff01fd00ff01, 0x1007f7e81800201, {vpsubq ymm0, ymm0, ymm1}
	YCASE Y, "vpsubsb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe80017ffe7f00, 0x204fffc00ff00ff, 0x807f7f80fe01ff01, 0x1007f80827f0201, {vpsubsb ymm0, ymm0, ymm1}
	YCASE Y, "vpsubsw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe80007ffe7fff, 0x104fffcffffffff, 0x80007ffffd01ff01, 0x1007f7f81800201, {vpsubsw ymm0, ymm0, ymm1}
	YCASE Y, "vpsubusb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe01007ffe0000, 0xfffc00000000, 0x1000001fe000001, 0x7f7f00000201, {vpsubusb ymm0, ymm0, ymm1}
	YCASE Y, "vpsubusw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe00017ffe0000, 0xfffc00000000, 0xff0000fd010000, 0x7f7f00000201, {vpsubusw ymm0, ymm0, ymm1}
	YCASE Y, "vpmullw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7fff800000008001, 0xfdfcfffc80028002, 0x408040800100f406, 0xff017f80fd040406, {vpmullw ymm0, ymm0, ymm1}
	YCASE Y, "vpmulhw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0xc0000001ffff, 0xffffffff3ffe3ffe, 0xc07fc07ffffe0005, 0xffff000000000000, {vpmulhw ymm0, ymm0, ymm1}
	YCASE Y, "vpmulhuw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x3fff7fff0000, 0x101000140013ffe, 0x3fff3fff01fd0005, 0xfe0000817c0000, {vpmulhuw ymm0, ymm0, ymm1}
	YCASE Y, "vpmuludq ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7fff80007ffe8001, 0x400200023ff98002, 0x1fd03fdfd07f406, 0x817cff07fef60406, {vpmuludq ymm0, ymm0, ymm1}
	YCASE Y, "vpmaddwd ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0xc000ffff00008001, 0xfffffdf87ffd0004, 0x80fe81000003f506, 0x7e810001010a, {vpmaddwd ymm0, ymm0, ymm1}
	YCASE Y, "vpavgb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x40808080c07f4001, 0x8080808080027fff, 0x80808080808002fe, 0x80ff4041c0be0103, {vpavgb ymm0, ymm0, ymm1}
	YCASE Y, "vpavgw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x40008000bfff4001, 0x8080800080027fff, 0x800080008080027e, 0x807f3fc1c0be0103, {vpavgw ymm0, ymm0, ymm1}
	YCASE Y, "vpsadbw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x47a, 0x3f7, 0x203, 0x2fe, {vpsadbw ymm0, ymm0, ymm1}
	YCASE Y, "vpminub ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x17f0080000001, 0x102000280017ffe, 0x7f7f7f7f010001fd, 0xff0001817e0002, {vpminub ymm0, ymm0, ymm1}
	YCASE Y, "vpmaxub ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7fff80fffffe8001, 0xfffefffe80027fff, 0x80808080ffff02fe, 0xffff7f80fffe0203, {vpmaxub ymm0, ymm0, ymm1}
	YCASE Y, "vpminsw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x1800080008001, 0xfffefffe80017ffe, 0x807f807fff0001fe, 0xffff0001817e0002, {vpminsw ymm0, ymm0, ymm1}
	YCASE Y, "vpmaxsw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7fff7ffffffe0001, 0x102000280027fff, 0x7f807f8001ff02fd, 0xff7f80fffe0203, {vpmaxsw ymm0, ymm0, ymm1}
	YCASE Y, "vpcmpeqb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0xff, 0xff00ff00, 0x0, 0xff000000000000, {vpcmpeqb ymm0, ymm0, ymm1}
	YCASE Y, "vpcmpeqw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x0, 0x0, 0x0, 0x0, {vpcmpeqw ymm0, ymm0, ymm1}
	YCASE Y, "vpcmpeqd ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x0, 0x0, 0x0, 0x0, {vpcmpeqd ymm0, ymm0, ymm1}
	YCASE Y, "vpcmpgtb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0xff0000ffff00ff00, 0xffff000000000000, 0xffff0000ff00ff, 0xff00ff0000ffffff, {vpcmpgtb ymm0, ymm0, ymm1}
	YCASE Y, "vpcmpgtw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0xffff0000ffffffff, 0xffff000000000000, 0xffff00000000, 0xffffffff0000ffff, {vpcmpgtw ymm0, ymm0, ymm1}
	YCASE Y, "vpcmpgtd ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0xffffffffffffffff, 0xffffffff00000000, 0x0, 0xffffffff00000000, {vpcmpgtd ymm0, ymm0, ymm1}
	YCASE Y, "vpacksswb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe807f7f80fe01, 0xfe02807f017f8080, 0x7f7f807f807f807f, 0xff01fe027f807f7f, {vpacksswb ymm0, ymm0, ymm1}
	YCASE Y, "vpackuswb ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0xff0000ffff000001, 0x200ff01ff0000, 0xffff00ff00ff00ff, 0x10002ff00ffff, {vpackuswb ymm0, ymm0, ymm1}
	YCASE Y, "vpackssdw ymm", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7fff80007fff8000, 0x800080007fff8000, 0x7fff800080008000, 0x800080007fff7fff, {vpackssdw ymm0, ymm0, ymm1}
	YCASE Y, "vpaddw ymm, m256", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x8000ffff7ffe8002, 0x10000000003fffd, 0xffffffff00ff04fb, 0xfe7f81817c0205, {vpaddw ymm0, ymm1, [rel va]}
	YCASE Y, "vpsubb xmm zeroes 255:128", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x7ffe01017ffe8000, 0x204fffc00ff00ff, 0x0, 0x0, {vpsubb xmm0, xmm0, xmm1}
	YCASE Y, "vpmaddwd xmm, m128", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0x3fbf00ffff8101fe, 0xfd02404180f9, 0x0, 0x0, {vpmaddwd xmm0, xmm1, [rel va + 16]}
	YCASE Y, "vpcmpeqb ymm equal lanes", 0x7fff8000fffe0001, 0x102fffe80017ffe, 0x807f7f80ff0001fe, 0xff7f80817e0203, 0x17fff80008001, 0xfffe000280027fff, 0x7f80807f01ff02fd, 0xffff0001fffe0002, \
		0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff, {vpcmpeqb ymm0, ymm1, ymm1}
	YCASE Y, "vpand ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x100238889ccef, 0x1000320054443200, 0x8000000080000001, 0x102030400060008, {vpand ymm0, ymm0, ymm1}
	YCASE Y, "vpandn ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8898aa9844542210, 0x122014401224588, 0x7fff00007fff0000, 0x5000700, {vpandn ymm0, ymm0, ymm1}
	YCASE Y, "vpor ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x89bbefffcdffefff, 0xfffebbdc77767798, 0xffff0001ffff7fff, 0x7fffffff05ff87ff, {vpor ymm0, ymm0, ymm1}
	YCASE Y, "vpxor ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x89baefdc45762310, 0xeffe89dc23324598, 0x7fff00017fff7ffe, 0x7efdfcfb05f987f7, {vpxor ymm0, ymm0, ymm1}
	YCASE Y, "vandps ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x100238889ccef, 0x1000320054443200, 0x8000000080000001, 0x102030400060008, {vandps ymm0, ymm0, ymm1}
	YCASE Y, "vandpd ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x100238889ccef, 0x1000320054443200, 0x8000000080000001, 0x102030400060008, {vandpd ymm0, ymm0, ymm1}
	YCASE Y, "vandnps ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8898aa9844542210, 0x122014401224588, 0x7fff00007fff0000, 0x5000700, {vandnps ymm0, ymm0, ymm1}
	YCASE Y, "vandnpd ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8898aa9844542210, 0x122014401224588, 0x7fff00007fff0000, 0x5000700, {vandnpd ymm0, ymm0, ymm1}
	YCASE Y, "vorps ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x89bbefffcdffefff, 0xfffebbdc77767798, 0xffff0001ffff7fff, 0x7fffffff05ff87ff, {vorps ymm0, ymm0, ymm1}
	YCASE Y, "vorpd ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x89bbefffcdffefff, 0xfffebbdc77767798, 0xffff0001ffff7fff, 0x7fffffff05ff87ff, {vorpd ymm0, ymm0, ymm1}
	YCASE Y, "vxorps ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x89baefdc45762310, 0xeffe89dc23324598, 0x7fff00017fff7ffe, 0x7efdfcfb05f987f7, {vxorps ymm0, ymm0, ymm1}
	YCASE Y, "vxorpd ymm", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x89baefdc45762310, 0xeffe89dc23324598, 0x7fff00017fff7ffe, 0x7efdfcfb05f987f7, {vxorpd ymm0, ymm0, ymm1}
	YCASE Y, "vxorps xmm zeroing idiom", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x0, 0x0, 0x0, 0x0, {vxorps xmm0, xmm0, xmm0}
	YCASE Y, "vpandn ymm, m256", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x122454401220100, 0xeedc889822100010, 0x100007ffe, 0x7efdfcfb00f980f7, {vpandn ymm0, ymm1, [rel va]}
	YCASE Y, "vpsllw ymm, ymm, 3", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x28, 0x88, 0x18, 0x200, {vpsllw ymm0, ymm1, 3}
	YCASE Y, "vpsllw ymm, ymm, 16", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {vpsllw ymm0, ymm1, 16}
	YCASE Y, "vpsraw ymm, ymm, 9", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {vpsraw ymm0, ymm1, 9}
	YCASE Y, "vpsraw ymm, ymm, 200", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {vpsraw ymm0, ymm1, 200}
	YCASE Y, "vpsrlw ymm, ymm, 15", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {vpsrlw ymm0, ymm1, 15}
	YCASE Y, "vpslld ymm, ymm, 31", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x80000000, 0x80000000, 0x80000000, 0x0, {vpslld ymm0, ymm1, 31}
	YCASE Y, "vpsrad ymm, ymm, 40", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {vpsrad ymm0, ymm1, 40}
	YCASE Y, "vpsrld ymm, ymm, 4", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x1, 0x0, 0x4, {vpsrld ymm0, ymm1, 4}
	YCASE Y, "vpsllq ymm, ymm, 63", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x8000000000000000, 0x8000000000000000, 0x8000000000000000, 0x0, {vpsllq ymm0, ymm1, 63}
	YCASE Y, "vpsrlq ymm, ymm, 1", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x2, 0x8, 0x1, 0x20, {vpsrlq ymm0, ymm1, 1}
	YCASE Y, "vpsrlq ymm, ymm, 64", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {vpsrlq ymm0, ymm1, 64}
	YCASE Y, "vpslldq ymm, ymm, 5", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x50000000000, 0x110000000000, 0x30000000000, 0x400000000000, {vpslldq ymm0, ymm1, 5}
	YCASE Y, "vpsrldq ymm, ymm, 9", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {vpsrldq ymm0, ymm1, 9}
	YCASE Y, "vpsrldq ymm, ymm, 17", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {vpsrldq ymm0, ymm1, 17}
	YCASE Y, "vpslldq ymm, ymm, 15", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x500000000000000, 0x0, 0x300000000000000, {vpslldq ymm0, ymm1, 15}
	YCASE Y, "vpslld xmm, xmm, imm zeroes 255:128", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x200040005fffc, 0xfb72ea60d950c840, 0x0, 0x0, {vpslld xmm0, xmm0, 2}
	YCASE Y, "vpsrldq xmm, 3", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x5432108000800180, 0xfedcba9876, 0x0, 0x0, {vpsrldq xmm0, xmm0, 3}
	YCASE Y, "vpsllw ymm, ymm, xmm count 5", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x200020ffe0, 0xdb805300ca804200, 0x20, 0xffc00020f000ffe0, {mov ecx, 5}, {vmovd xmm2, ecx}, {vpsllw ymm0, ymm0, xmm2}
	YCASE Y, "vpsllw ymm, ymm, xmm count 16", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {mov ecx, 16}, {vmovd xmm2, ecx}, {vpsllw ymm0, ymm0, xmm2}
	YCASE Y, "vpsraw ymm, ymm, xmm count 3", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0xf000f000f0000fff, 0xffdbf7530eca0642, 0xf000000000000000, 0xffff00000ff0ffff, {mov ecx, 3}, {vmovd xmm2, ecx}, {vpsraw ymm0, ymm0, xmm2}
	YCASE Y, "vpsraw ymm, ymm, xmm count 100", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0xffffffffffff0000, 0xffffffff00000000, 0xffff000000000000, 0xffff00000000ffff, {mov ecx, 100}, {vmovd xmm2, ecx}, {vpsraw ymm0, ymm0, xmm2}
	YCASE Y, "vpsrlw ymm, ymm, xmm count 7", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x1000100010000ff, 0x1fd017500ec0064, 0x100000000000000, 0x1ff000000ff01ff, {mov ecx, 7}, {vmovd xmm2, ecx}, {vpsrlw ymm0, ymm0, xmm2}
	YCASE Y, "vpslld ymm, ymm, xmm count 17", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x20000fffe0000, 0x7530000064200000, 0x20000, 0x20000fffe0000, {mov ecx, 17}, {vmovd xmm2, ecx}, {vpslld ymm0, ymm0, xmm2}
	YCASE Y, "vpsrad ymm, ymm, xmm count 31", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0xffffffffffffffff, 0xffffffff00000000, 0xffffffff00000000, 0xffffffff00000000, {mov ecx, 31}, {vmovd xmm2, ecx}, {vpsrad ymm0, ymm0, xmm2}
	YCASE Y, "vpsrad ymm, ymm, xmm count 32", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0xffffffffffffffff, 0xffffffff00000000, 0xffffffff00000000, 0xffffffff00000000, {mov ecx, 32}, {vmovd xmm2, ecx}, {vpsrad ymm0, ymm0, xmm2}
	YCASE Y, "vpsrld ymm, ymm, xmm count 1", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x400040004000bfff, 0x7f6e5d4c3b2a1908, 0x4000000000000000, 0x7fff00003fc07fff, {mov ecx, 1}, {vmovd xmm2, ecx}, {vpsrld ymm0, ymm0, xmm2}
	YCASE Y, "vpsllq ymm, ymm, xmm count 40", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x17fff0000000000, 0x5432100000000000, 0x10000000000, 0x80ffff0000000000, {mov ecx, 40}, {vmovd xmm2, ecx}, {vpsllq ymm0, ymm0, xmm2}
	YCASE Y, "vpsrlq ymm, ymm, xmm count 63", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x1, 0x1, 0x1, 0x1, {mov ecx, 63}, {vmovd xmm2, ecx}, {vpsrlq ymm0, ymm0, xmm2}
	YCASE Y, "vpsllq ymm, ymm, xmm count 64", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x0, 0x0, 0x0, 0x0, {mov ecx, 64}, {vmovd xmm2, ecx}, {vpsllq ymm0, ymm0, xmm2}
	YCASE Y, "vpsrlq ymm, ymm, m128 count", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x40004000c000b, 0x7f6e5d4c3b2a1, 0x4000000000000, 0x7fff0000bfc07, {vpsrlq ymm0, ymm0, [rel cnt]}
	YCASE Y, "vpsllw ymm, ymm, m128 count (high qword ignored)", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x80008fff8, 0xf6e0d4c0b2a09080, 0x8, 0xfff00008fc00fff8, {vpsllw ymm0, ymm0, [rel cnt2]}
	YCASE Y, "vpsraw ymm count 2^32", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0xffffffffffff0000, 0xffffffff00000000, 0xffff000000000000, 0xffff00000000ffff, {vpsraw ymm0, ymm0, [rel cnt3]}
	YCASE Y, "vpsrld xmm, xmm, xmm zeroes 255:128", 0x8000800180017fff, 0xfedcba9876543210, 0x8000000000000001, 0xfffe00017f80ffff, 0x5, 0x11, 0x3, 0x40, \
		0x400040004000bff, 0x7f6e5d403b2a190, 0x0, 0x0, {vpsrld xmm0, xmm0, xmm1}
	YCASE Y, "vmaskmovdqu", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0xccddeeff, 0x1122334400000000, 0x0, 0x0, {vpxor xmm3, xmm3, xmm3}, {vmovdqu [rel scr], ymm3}, {lea rdi, [rel scr]}, {vmaskmovdqu xmm1, xmm0}, {vmovdqu ymm0, [rel scr]}
	YCASE Y, "vzeroupper: ymm0", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x123456789abcdef, 0xfedcba9876543210, 0x0, 0x0, {vzeroupper}
	YCASE Y, "vzeroupper: ymm15", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x0, 0x0, {vmovdqa ymm15, ymm1}, {vzeroupper}, {vmovdqa ymm0, ymm15}
	YCASE Y, "vzeroupper: ymm9", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x8899aabbccddeeff, 0x1122334455667788, 0x0, 0x0, {vmovdqa ymm9, ymm1}, {vzeroupper}, {vpor ymm0, ymm9, ymm9}
	YCASE Y, "vzeroall: ymm0", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x0, 0x0, 0x0, 0x0, {vzeroall}
	YCASE Y, "vzeroall: ymm12", 0x123456789abcdef, 0xfedcba9876543210, 0x8000000180007fff, 0x7fffffff00ff80ff, 0x8899aabbccddeeff, 0x1122334455667788, 0xffff0000ffff0001, 0x102030405060708, \
		0x0, 0x0, 0x0, 0x0, {vmovdqa ymm12, ymm1}, {vzeroall}, {vpor ymm0, ymm12, ymm12}

	; ---- alignment: VMOVDQA/VMOVAPS/VMOVNTDQ ymm need 32 bytes ----
	vmovdqu ymm2, [rel vb]
	EXPECT_FAULT .gp1
	vmovdqa ymm2, [rel al32 + 16]
.gp1:	CHECK_FAULT VEC_GP, 0, "vmovdqa ymm, m256 16-byte aligned"
	vmovdqu [rel res], ymm2
	QCHECK qword [rel res + 24], [rel vb + 24], "vmovdqa #GP: destination unchanged"
	EXPECT_FAULT .gp2
	vmovaps [rel al32 + 16], ymm2
.gp2:	CHECK_FAULT VEC_GP, 0, "vmovaps m256, ymm 16-byte aligned"
	EXPECT_FAULT .gp3
	vmovntdq [rel al32 + 16], ymm2
.gp3:	CHECK_FAULT VEC_GP, 0, "vmovntdq m256 16-byte aligned"
	EXPECT_FAULT .gp4
	vmovapd xmm2, [rel al32 + 8]
.gp4:	CHECK_FAULT VEC_GP, 0, "vmovapd xmm, m128 8-byte aligned"
	; no alignment rule: VMOVDQU, VMOVUPS, other VEX memory operands
	vmovdqa ymm3, [rel al32]
	vmovdqa xmm3, [rel al32 + 16]
	vmovdqu ymm3, [rel al32 + 16]
	vmovups [rel al32 + 1], ymm3
	vpaddd ymm3, ymm3, [rel al32 + 4]
	vpshufd ymm3, [rel al32 + 8], 0
	vpsllw ymm3, ymm3, [rel al32 + 1]
	CHECK_EQ 1, 1, "unaligned VEX forms do not fault"

	; ---- #UD: VEX.L = 1 on 128-bit-only forms, VEX.vvvv on forms without it ----
	EXPECT_FAULT .ud1
	db 0xc5, 0xfd, 0x7e, 0xc0               ; vmovd eax, xmm0 with VEX.L = 1
.ud1:	CHECK_FAULT VEC_UD, 0, "vmovd VEX.L=1"
	EXPECT_FAULT .ud2
	db 0xc5, 0xf5, 0xc4, 0xc1, 0x00         ; vpinsrw with VEX.L = 1
.ud2:	CHECK_FAULT VEC_UD, 0, "vpinsrw VEX.L=1"
	EXPECT_FAULT .ud3
	db 0xc5, 0xf4, 0x12, 0x03               ; vmovlps xmm0, xmm1, [rbx] with VEX.L = 1
.ud3:	CHECK_FAULT VEC_UD, 0, "vmovlps VEX.L=1"
	EXPECT_FAULT .ud4
	db 0xc5, 0xf1, 0x6f, 0xc0               ; vmovdqa xmm0, xmm0 with VEX.vvvv = 1
.ud4:	CHECK_FAULT VEC_UD, 0, "vmovdqa vvvv != 1111b"
	EXPECT_FAULT .ud5
	db 0xc5, 0xf0, 0x77                     ; vzeroupper with VEX.vvvv = 1
.ud5:	CHECK_FAULT VEC_UD, 0, "vzeroupper vvvv != 1111b"
	EXPECT_FAULT .ud6
	db 0xc5, 0xfc, 0xfc, 0xc1               ; VEX.NP 0F FC: an MMX form has no VEX form
.ud6:	CHECK_FAULT VEC_UD, 0, "VEX paddb mm"
	EXPECT_FAULT .ud7
	db 0xc5, 0xf9, 0x12, 0xc1               ; VEX.66 0F 12 register form: no vmovlpd
.ud7:	CHECK_FAULT VEC_UD, 0, "VEX.66 0F 12 register form"

	RAXT_DONE
RAXT_RUNTIME
	align 32, db 0
va:	times 32 db 0
vb:	times 32 db 0
scr:	times 64 db 0
res:	times 32 db 0
cnt:	dq 13, 0
cnt2:	dq 3, -1
cnt3:	dq 0x100000000, 0
	align 32, db 0
al32:	times 64 db 0x5a
