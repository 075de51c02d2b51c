; hot_sse.asm - the SSE2 hot loop (bench/hot-loops.sh; pytest/test_hot_loops.py):
; a multiboot kernel that runs ITERS iterations of a mixed SSE/SSE2 body in
; 64-bit mode - movdqa/movaps/movups loads and stores to a small array,
; paddd/psubd/pxor/pand/pandn/por, pshufd/shufps/punpckldq, pslld/psrld/
; psllq/psrlq, pcmpgtd, pmuludq, addps/mulps/sqrtps/maxps/minps, addpd/
; mulpd, cvtdq2ps/cvttps2dq/cvtps2dq/cvtdq2pd/cvttpd2dq/cvtsi2sd/cvttsd2si,
; movd/movq between XMM and general registers - and checks the checksum it
; folds from the vector registers and the array (report and exit:
; asm/include/hot.inc). The floating-point values stay bounded and finite
; (no NaN, no denormal): they decay by a half or a quarter and take in
; 16-bit integers each iteration. 56 instructions an iteration, all
; deterministic.
;
;   nasm -f bin -DITERS=N [-DEXPECT=0x...] -I asm/ -o hot_sse.bin asm/hot_sse.asm
; (include/hot.inc: the counts with known checksums below, the same from
; QEMU TCG, rax's interpreter and the host CPU.)
bits 32
org 0x100000

%define HOT_NAME "HOT-SSE"
%define HOT_EXPECT_100000 0xa957c74203d1901c   ; the tests' count (the default ITERS)
%define HOT_EXPECT_1000 0x78355d9615b7ec7a     ; bench/hot-loops.sh's start-up run
%define HOT_BENCH_ITERS 5000000
%define HOT_EXPECT_BENCH 0x16d08bedb3b8b3f2    ; bench/hot-loops.sh's count

%include "include/hot.inc"

hot_main:
	mov r11, array
	mov rsi, consts                 ; the array starts as the constants' copy
	xor ecx, ecx
.init:
	movdqa xmm0, [rsi + rcx]
	movdqa [r11 + rcx], xmm0
	add ecx, 16
	cmp ecx, 64
	jb .init
	movdqa xmm0, [rel c_seed]       ; integer state
	xorps xmm1, xmm1                ; float state
	xorpd xmm2, xmm2                ; double state
	pxor xmm3, xmm3                 ; integer accumulators
	pxor xmm12, xmm12
	movaps xmm8, [rel c_half]
	movdqa xmm9, [rel c_mask16]
	movapd xmm10, [rel c_quarter]
	movdqa xmm11, [rel c_step]
	movaps xmm13, [rel c_cap]
	xor r8, r8
	xor r9, r9
	mov ecx, ITERS
	align 16
.loop:
	paddd xmm0, xmm11               ; next integer state
	movdqa xmm4, xmm0
	pshufd xmm4, xmm4, 0x1b
	mov eax, ecx
	and eax, 3
	shl eax, 4                      ; an array slot
	pxor xmm4, [r11 + rax]
	movdqa xmm15, xmm4
	pslld xmm15, 5
	psrld xmm4, 3
	pxor xmm4, xmm15
	movdqa [r11 + rax], xmm4        ; store it back
	pand xmm4, xmm9                 ; 16-bit lanes
	cvtdq2ps xmm5, xmm4
	mulps xmm1, xmm8                ; floats: halve, take in the lanes
	addps xmm1, xmm5
	movaps xmm6, xmm1
	sqrtps xmm6, xmm6
	minps xmm6, xmm13
	maxps xmm6, xmm8
	cvttps2dq xmm7, xmm1
	paddd xmm3, xmm7
	cvtps2dq xmm6, xmm6
	pxor xmm3, xmm6
	movaps xmm7, xmm1
	shufps xmm7, xmm5, 0x4e
	movups [r11 + 64], xmm7         ; an unaligned-form store and load
	movups xmm7, [r11 + 68]
	cvttps2dq xmm7, xmm7
	psubd xmm3, xmm7
	cvtdq2pd xmm5, xmm4             ; doubles: quarter, take in two lanes
	mulpd xmm2, xmm10
	addpd xmm2, xmm5
	cvttpd2dq xmm6, xmm2
	punpckldq xmm6, xmm3
	paddd xmm12, xmm6
	movdqa xmm14, xmm12
	pcmpgtd xmm14, xmm3
	pandn xmm14, xmm4
	por xmm12, xmm14
	pmuludq xmm14, xmm0
	psllq xmm14, 3
	psrlq xmm12, 1
	paddq xmm12, xmm14
	movd edx, xmm3                  ; to and from general registers
	add r8d, edx
	movq rdx, xmm12
	xor r9, rdx
	cvtsi2sd xmm15, r8d
	mulsd xmm15, xmm10
	cvttsd2si rdx, xmm15
	add r9, rdx
	movq xmm15, r9
	pxor xmm0, xmm15
	dec ecx
	jnz .loop

	; the checksum: the states, the accumulators and the array
	movdqa [r11 + 80], xmm0
	cvttps2dq xmm1, xmm1
	movdqa [r11 + 96], xmm1
	cvttpd2dq xmm2, xmm2
	movdqa [r11 + 112], xmm2
	movdqa [r11 + 128], xmm3
	movdqa [r11 + 144], xmm12
	mov rax, r8
	xor rax, r9
	mov rbx, 6364136223846793005
	xor ecx, ecx
.fold:
	imul rax, rbx
	add rax, [r11 + rcx * 8]
	inc ecx
	cmp ecx, 20
	jb .fold
	jmp hot_report

align 16
consts:
c_seed: dd 0x12345678, 0x9abcdef0, 0x0badf00d, 0xdeadbeef
c_step: dd 0x61c88647, 0x7f4a7c15, 0x2545f491, 0x9e3779b9
c_mask16: times 4 dd 0xffff
c_half: times 4 dd 0.5
c_quarter: times 2 dq 0.25
c_cap: times 4 dd 300.0

HOT_BSS
array: resb 160                         ; 4 slots, 2 for the unaligned pair, 5 for the checksum
HOT_BSS_END
