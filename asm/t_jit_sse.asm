; t_jit_sse.asm - SSE/SSE2 in translated blocks (src/emu/jit/sse.c), at CPL0:
; runs of inline forms (moves, packed integer, FP arithmetic, conversions,
; 16-byte loads and stores) under every rounding mode, DAZ, FTZ and a flag
; already set, checking the results and the MXCSR flags the run commits;
; a run with an exception unmasked (the handlers run it) and the #XM it
; raises; #NM with CR0.TS and #UD with CR4.OSFXSR clear on a form that
; follows translated code in its block; #GP(0) for misaligned operands of
; the aligned forms (FS-based too), memory left alone; 16-byte accesses
; across a page boundary; (U)COMISS/SD flags read by SETcc; the
; half-register moves, PINSRW/PEXTRW. Under --jit on --jit-hot 1
; (pytest/test_jit.py) every block is translated at its first run; the
; interpreter and KVM run the same checks.
;
; The FP_RUN results were recorded by running FP_SEQ natively (the same
; instructions, the same inputs, each MXCSR) on the host CPU; IEEE 754
; leaves no choice to the vendor for these operations.
%include "include/raxtest.inc"
RAXT_HEADER 0
RAXT_HEADER_END
	jmp start

%define MSR_FS_BASE 0xc0000100

; FP_SEQ: rsi = the inputs (fin), rdi = the outputs (fout), rcx = an integer
%macro FP_SEQ 0
	movaps xmm0, [rsi]
	movaps xmm1, [rsi+16]
	movaps xmm2, xmm0
	mulps xmm2, xmm1
	divps xmm0, xmm1
	addps xmm0, xmm2
	cvtps2dq xmm4, xmm0
	pshufd xmm4, xmm4, 0x4e
	movapd xmm3, [rsi+32]
	mulpd xmm3, [rsi+48]
	sqrtpd xmm5, xmm3
	cvtsi2sd xmm6, rcx
	addsd xmm6, [rsi+40]
	cvtsd2si rax, xmm6
	cvtpd2ps xmm7, xmm5
	movaps [rdi], xmm0
	movaps [rdi+16], xmm2
	movdqa [rdi+32], xmm4
	movapd [rdi+48], xmm3
	movapd [rdi+64], xmm5
	movsd [rdi+80], xmm6
	movq [rdi+88], xmm7
	mov [rdi+96], rax
%endmacro

; FP_RUN mxcsr: FP_SEQ under mxcsr; fout and the MXCSR after it are
; checked by the QCHECKs that follow
%macro FP_RUN 1
	mov dword [rel csr], %1
	ldmxcsr [rel csr]
	lea rsi, [rel fin]
	lea rdi, [rel fout]
	mov rcx, 0x0123456789abcdef
	FP_SEQ
	stmxcsr [rel csr]
	ldmxcsr [rel csr_default]
%endmacro

start:
	FP_RUN 0x1f80
	QCHECK qword [rel fout + 0], 0x41ab6db740555555, "nearest: fout[0]"
	QCHECK qword [rel fout + 8], 0x60ad79297f800000, "nearest: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "nearest: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f800000, "nearest: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "nearest: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "nearest: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "nearest: fout[6]"
	QCHECK qword [rel fout + 56], 0x800022840573af8e, "nearest: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "nearest: fout[8]"
	QCHECK qword [rel fout + 72], 0xfff8000000000000, "nearest: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdf, "nearest: fout[10]"
	QCHECK qword [rel fout + 88], 0xffc000003ee4f92e, "nearest: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdf0, "nearest: fout[12]"
	QCHECK qword [rel csr], 0x1fbb, "nearest: mxcsr"
	FP_RUN 0x3f80
	QCHECK qword [rel fout + 0], 0x41ab6db640555555, "down: fout[0]"
	QCHECK qword [rel fout + 8], 0x60ad79287f7fffff, "down: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "down: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f7fffff, "down: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "down: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "down: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "down: fout[6]"
	QCHECK qword [rel fout + 56], 0x800022840573af8e, "down: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "down: fout[8]"
	QCHECK qword [rel fout + 72], 0xfff8000000000000, "down: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdd, "down: fout[10]"
	QCHECK qword [rel fout + 88], 0xffc000003ee4f92e, "down: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdd0, "down: fout[12]"
	QCHECK qword [rel csr], 0x3fbb, "down: mxcsr"
	FP_RUN 0x5f80
	QCHECK qword [rel fout + 0], 0x41ab6db740555556, "up: fout[0]"
	QCHECK qword [rel fout + 8], 0x60ad792a7f800000, "up: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "up: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000017f800000, "up: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "up: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001600000004, "up: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "up: fout[6]"
	QCHECK qword [rel fout + 56], 0x800022840573af8e, "up: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedda, "up: fout[8]"
	QCHECK qword [rel fout + 72], 0xfff8000000000000, "up: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdf, "up: fout[10]"
	QCHECK qword [rel fout + 88], 0xffc000003ee4f92f, "up: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdf0, "up: fout[12]"
	QCHECK qword [rel csr], 0x5fbb, "up: mxcsr"
	FP_RUN 0x7f80
	QCHECK qword [rel fout + 0], 0x41ab6db640555555, "toward zero: fout[0]"
	QCHECK qword [rel fout + 8], 0x60ad79287f7fffff, "toward zero: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "toward zero: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f7fffff, "toward zero: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "toward zero: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "toward zero: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "toward zero: fout[6]"
	QCHECK qword [rel fout + 56], 0x800022840573af8e, "toward zero: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "toward zero: fout[8]"
	QCHECK qword [rel fout + 72], 0xfff8000000000000, "toward zero: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdd, "toward zero: fout[10]"
	QCHECK qword [rel fout + 88], 0xffc000003ee4f92e, "toward zero: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdd0, "toward zero: fout[12]"
	QCHECK qword [rel csr], 0x7fbb, "toward zero: mxcsr"
	FP_RUN 0x1fc0
	QCHECK qword [rel fout + 0], 0x41ab6db740555555, "DAZ: fout[0]"
	QCHECK qword [rel fout + 8], 0x7f8000007f800000, "DAZ: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "DAZ: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f800000, "DAZ: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "DAZ: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "DAZ: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "DAZ: fout[6]"
	QCHECK qword [rel fout + 56], 0x8000000000000000, "DAZ: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "DAZ: fout[8]"
	QCHECK qword [rel fout + 72], 0x8000000000000000, "DAZ: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdf, "DAZ: fout[10]"
	QCHECK qword [rel fout + 88], 0x800000003ee4f92e, "DAZ: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdf0, "DAZ: fout[12]"
	QCHECK qword [rel csr], 0x1fed, "DAZ: mxcsr"
	FP_RUN 0x9f80
	QCHECK qword [rel fout + 0], 0x41ab6db740555555, "FTZ: fout[0]"
	QCHECK qword [rel fout + 8], 0x60ad79297f800000, "FTZ: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "FTZ: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f800000, "FTZ: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "FTZ: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "FTZ: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "FTZ: fout[6]"
	QCHECK qword [rel fout + 56], 0x8000000000000000, "FTZ: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "FTZ: fout[8]"
	QCHECK qword [rel fout + 72], 0x8000000000000000, "FTZ: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdf, "FTZ: fout[10]"
	QCHECK qword [rel fout + 88], 0x800000003ee4f92e, "FTZ: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdf0, "FTZ: fout[12]"
	QCHECK qword [rel csr], 0x9fbb, "FTZ: mxcsr"
	FP_RUN 0x9fc0
	QCHECK qword [rel fout + 0], 0x41ab6db740555555, "FTZ DAZ: fout[0]"
	QCHECK qword [rel fout + 8], 0x7f8000007f800000, "FTZ DAZ: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "FTZ DAZ: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f800000, "FTZ DAZ: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "FTZ DAZ: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "FTZ DAZ: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "FTZ DAZ: fout[6]"
	QCHECK qword [rel fout + 56], 0x8000000000000000, "FTZ DAZ: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "FTZ DAZ: fout[8]"
	QCHECK qword [rel fout + 72], 0x8000000000000000, "FTZ DAZ: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdf, "FTZ DAZ: fout[10]"
	QCHECK qword [rel fout + 88], 0x800000003ee4f92e, "FTZ DAZ: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdf0, "FTZ DAZ: fout[12]"
	QCHECK qword [rel csr], 0x9fed, "FTZ DAZ: mxcsr"
	FP_RUN 0xffc0
	QCHECK qword [rel fout + 0], 0x41ab6db640555555, "toward zero FTZ DAZ: fout[0]"
	QCHECK qword [rel fout + 8], 0x7f8000007f7fffff, "toward zero FTZ DAZ: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "toward zero FTZ DAZ: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f7fffff, "toward zero FTZ DAZ: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "toward zero FTZ DAZ: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "toward zero FTZ DAZ: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "toward zero FTZ DAZ: fout[6]"
	QCHECK qword [rel fout + 56], 0x8000000000000000, "toward zero FTZ DAZ: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "toward zero FTZ DAZ: fout[8]"
	QCHECK qword [rel fout + 72], 0x8000000000000000, "toward zero FTZ DAZ: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcde, "toward zero FTZ DAZ: fout[10]"
	QCHECK qword [rel fout + 88], 0x800000003ee4f92e, "toward zero FTZ DAZ: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcde0, "toward zero FTZ DAZ: fout[12]"
	QCHECK qword [rel csr], 0xffed, "toward zero FTZ DAZ: mxcsr"
	FP_RUN 0x1fc2
	QCHECK qword [rel fout + 0], 0x41ab6db740555555, "DAZ, DE already set: fout[0]"
	QCHECK qword [rel fout + 8], 0x7f8000007f800000, "DAZ, DE already set: fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "DAZ, DE already set: fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f800000, "DAZ, DE already set: fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "DAZ, DE already set: fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "DAZ, DE already set: fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "DAZ, DE already set: fout[6]"
	QCHECK qword [rel fout + 56], 0x8000000000000000, "DAZ, DE already set: fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "DAZ, DE already set: fout[8]"
	QCHECK qword [rel fout + 72], 0x8000000000000000, "DAZ, DE already set: fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdf, "DAZ, DE already set: fout[10]"
	QCHECK qword [rel fout + 88], 0x800000003ee4f92e, "DAZ, DE already set: fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdf0, "DAZ, DE already set: fout[12]"
	QCHECK qword [rel csr], 0x1fef, "DAZ, DE already set: mxcsr"
	FP_RUN 0x1d80
	QCHECK qword [rel fout + 0], 0x41ab6db740555555, "ZE unmasked (handlers): fout[0]"
	QCHECK qword [rel fout + 8], 0x60ad79297f800000, "ZE unmasked (handlers): fout[1]"
	QCHECK qword [rel fout + 16], 0x41a8000040400000, "ZE unmasked (handlers): fout[2]"
	QCHECK qword [rel fout + 24], 0x000000007f800000, "ZE unmasked (handlers): fout[3]"
	QCHECK qword [rel fout + 32], 0x8000000080000000, "ZE unmasked (handlers): fout[4]"
	QCHECK qword [rel fout + 40], 0x0000001500000003, "ZE unmasked (handlers): fout[5]"
	QCHECK qword [rel fout + 48], 0x3fc999999999999a, "ZE unmasked (handlers): fout[6]"
	QCHECK qword [rel fout + 56], 0x800022840573af8e, "ZE unmasked (handlers): fout[7]"
	QCHECK qword [rel fout + 64], 0x3fdc9f25c5bfedd9, "ZE unmasked (handlers): fout[8]"
	QCHECK qword [rel fout + 72], 0xfff8000000000000, "ZE unmasked (handlers): fout[9]"
	QCHECK qword [rel fout + 80], 0x43723456789abcdf, "ZE unmasked (handlers): fout[10]"
	QCHECK qword [rel fout + 88], 0xffc000003ee4f92e, "ZE unmasked (handlers): fout[11]"
	QCHECK qword [rel fout + 96], 0x0123456789abcdf0, "ZE unmasked (handlers): fout[12]"
	QCHECK qword [rel csr], 0x1dbb, "ZE unmasked (handlers): mxcsr"

	; ---- an unmasked exception: #XM, the destination left alone ----
	mov dword [rel csr], 0x1d80             ; ZE unmasked
	ldmxcsr [rel csr]
	movaps xmm2, [rel ones]
	movaps xmm3, [rel ones]
	xorps xmm1, xmm1
	EXPECT_FAULT .xm
	addps xmm3, xmm2                        ; 2, 4, 6, 8 (exact)
	divps xmm2, xmm1                        ; x/0: ZE, unmasked
	addps xmm3, xmm3
.xm:	stmxcsr [rel csr]
	ldmxcsr [rel csr_default]
	CHECK_FAULT 19, 0, "divps by zero, ZE unmasked: #XM"
	QCHECK qword [rel csr], 0x1d84, "#XM: ZE set in MXCSR"
	movaps [rel fout], xmm2
	movaps [rel fout + 16], xmm3
	QCHECK qword [rel fout], 0x400000003f800000, "#XM: destination unchanged"
	QCHECK qword [rel fout + 24], 0x4100000040c00000, "#XM: the addps before it retired"

	; ---- CR0.TS: #NM on a form after translated code ----
	movdqa xmm0, [rel ones]
	lea rdi, [rel fout]
	mov qword [rdi], 0x5a5a
	mov rax, cr0
	or rax, 8
	mov cr0, rax
	EXPECT_FAULT .nm1
	mov ecx, 5
	add ecx, 1
	paddd xmm0, xmm0
	mov ecx, 99
.nm1:	CHECK_FAULT 7, 0, "paddd with CR0.TS: #NM"
	QCHECK rcx, 6, "#NM: the instructions before it retired"
	EXPECT_FAULT .nm2
	add ecx, 1
	movdqa [rdi], xmm0
.nm2:	CHECK_FAULT 7, 0, "movdqa store with CR0.TS: #NM"
	QCHECK qword [rel fout], 0x5a5a, "#NM: nothing stored"
	EXPECT_FAULT .nm3
	add ecx, 1
	mulpd xmm0, xmm0
.nm3:	CHECK_FAULT 7, 0, "mulpd with CR0.TS: #NM"
	clts
	movdqa [rel fout], xmm0
	QCHECK qword [rel fout], 0x400000003f800000, "#NM: xmm0 unchanged"
	QCHECK rcx, 8, "#NM: the instructions before each retired"

	; ---- CR4.OSFXSR clear: #UD ----
	mov rax, cr4
	btr rax, 9
	mov cr4, rax
	EXPECT_FAULT .ud
	add ecx, 1
	pxor xmm0, xmm0
.ud:	bts rax, 9
	mov cr4, rax
	CHECK_FAULT 6, 0, "pxor with CR4.OSFXSR clear: #UD"

	; ---- misaligned operands of the aligned forms: #GP(0) ----
	movdqa xmm1, [rel twos]
	EXPECT_FAULT .gp1
	movaps xmm0, [rel ones]
	movaps xmm1, [rel fin + 4]
.gp1:	CHECK_FAULT 13, 0, "movaps load misaligned: #GP(0)"
	EXPECT_FAULT .gp2
	paddd xmm0, xmm0
	addps xmm1, [rel fin + 8]
.gp2:	CHECK_FAULT 13, 0, "addps misaligned: #GP(0)"
	lea rdi, [rel fout]
	mov qword [rdi + 8], 0x5a5a
	EXPECT_FAULT .gp3
	movdqa [rdi + 8], xmm0
.gp3:	CHECK_FAULT 13, 0, "movdqa store misaligned: #GP(0)"
	QCHECK qword [rel fout + 8], 0x5a5a, "#GP: nothing stored"
	movdqa [rel fout + 16], xmm1
	QCHECK qword [rel fout + 16], 0x4000000040000000, "#GP: xmm1 unchanged"
	; FS-based: the linear address decides
	lea rsi, [rel fin]
	mov ecx, MSR_FS_BASE
	mov eax, 4
	xor edx, edx
	wrmsr
	EXPECT_FAULT .gp4
	movaps xmm2, [fs:rsi - 4]               ; linear fin: aligned
	movaps xmm3, [fs:rsi]                   ; linear fin + 4
.gp4:	CHECK_FAULT 13, 0, "movaps fs: misaligned linear: #GP(0)"
	xor eax, eax
	wrmsr
	movdqa [rel fout], xmm2
	QCHECK qword [rel fout], 0x404000003f800000, "movaps fs: aligned linear loaded"
	; the unaligned forms never fault
	movups [rel fout + 4], xmm0
	movdqu xmm4, [rel fout + 4]
	pcmpeqd xmm4, xmm0
	pmovmskb eax, xmm4
	QCHECK rax, 0xffff, "movups/movdqu unaligned round trip"

	; ---- 16 bytes across a page boundary ----
	movdqa xmm0, [rel ones]
	movdqu [rel pg + 4096 - 8], xmm0
	movups xmm5, [rel pg + 4096 - 8]
	QCHECK qword [rel pg + 4096 - 8], 0x400000003f800000, "movdqu store across pages: low"
	QCHECK qword [rel pg + 4096], 0x4080000040400000, "movdqu store across pages: high"
	movq rax, xmm5
	psrldq xmm5, 8
	movq rdx, xmm5
	QCHECK rax, 0x400000003f800000, "movups load across pages: low"
	QCHECK rdx, 0x4080000040400000, "movups load across pages: high"

	; ---- (U)COMISS/(U)COMISD: ZF PF CF, OF SF AF cleared; read by SETcc ----
	movss xmm0, [rel ones]                  ; 1
	movss xmm1, [rel ones + 4]              ; 2
	movsd xmm2, [rel qnan]
	push qword 0x8d7
	popfq
	ucomiss xmm0, xmm1
	pushfq
	pop rax
	and eax, 0x8d5
	QCHECK rax, 0x01, "ucomiss 1, 2: CF"
	push qword 0x8d7
	popfq
	comiss xmm1, xmm0
	setbe cl
	seta dl
	movzx ecx, cl
	movzx edx, dl
	QCHECK rcx, 0, "comiss 2, 1: not below or equal"
	QCHECK rdx, 1, "comiss 2, 1: above"
	ucomisd xmm2, [rel qnan]
	setp cl
	sete dl
	movzx ecx, cl
	movzx edx, dl
	QCHECK rcx, 1, "ucomisd NaN, NaN (memory): PF"
	QCHECK rdx, 1, "ucomisd NaN, NaN (memory): ZF"
	stmxcsr [rel csr]
	QCHECK qword [rel csr], 0x1f80, "ucomisd QNaN: no IE"
	comisd xmm2, xmm2
	stmxcsr [rel csr]
	ldmxcsr [rel csr_default]
	QCHECK qword [rel csr], 0x1f81, "comisd QNaN: IE"

	; ---- MOVLPS/MOVHPS/MOVLPD/MOVHPD, PINSRW, PEXTRW ----
	movdqa xmm0, [rel ones]
	movhps xmm0, [rel twos]
	movlpd xmm0, [rel qnan]
	movdqa [rel fout], xmm0
	QCHECK qword [rel fout], 0x7ff8000000000000, "movlpd: low qword"
	QCHECK qword [rel fout + 8], 0x4000000040000000, "movhps: high qword"
	movhpd [rel fout + 16], xmm0
	movlps [rel fout + 24], xmm0
	QCHECK qword [rel fout + 16], 0x4000000040000000, "movhpd store"
	QCHECK qword [rel fout + 24], 0x7ff8000000000000, "movlps store"
	mov eax, 0x12345678
	pinsrw xmm0, eax, 5
	pinsrw xmm0, [rel ones + 2], 0
	pextrw ecx, xmm0, 5
	pextrw edx, xmm0, 0
	QCHECK rcx, 0x5678, "pinsrw r32 / pextrw"
	QCHECK rdx, 0x3f80, "pinsrw m16 / pextrw"

	RAXT_DONE
RAXT_RUNTIME
	align 16, db 0
fin:	dd 0x3f800000, 0x40400000, 0x7149f2ca, 0x1e3ce508 ; 1, 3, 1e30, 1e-20
	dd 0x40400000, 0x40e00000, 0x7149f2ca, 0x000116c2 ; 3, 7, 1e30, 1e-40 (denormal)
	dq 0x4000000000000000, 0x80000b8157268fda         ; 2, -1e-310 (denormal)
	dq 0x3fb999999999999a, 0x4008000000000000         ; 0.1, 3
ones:	dd 0x3f800000, 0x40000000, 0x40400000, 0x40800000 ; 1, 2, 3, 4
twos:	dd 0x40000000, 0x40000000, 0x40000000, 0x40000000
qnan:	dq 0x7ff8000000000000, 0
fout:	times 112 db 0
csr:	dq 0
csr_default: dd 0x1f80, 0
	align 4096, db 0
pg:	times 4096 + 16 db 0
