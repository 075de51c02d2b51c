; t_aes.asm - AES-NI and PCLMULQDQ at CPL3 (CPU level v3), legacy SSE forms:
; the AES-128 example vector of FIPS-197 appendix C.1 (key 000102..0f,
; plaintext 00112233..ff, ciphertext 69c4e0d8 6a7b0430 d8cdb780 70b4c55a):
; the key expansion with AESKEYGENASSIST (round keys 1 and 10 checked), the
; encryption with AESENC/AESENCLAST (register and aligned m128 operands),
; the decryption with the equivalent inverse cipher (AESIMC round keys,
; AESDEC/AESDECLAST); PCLMULQDQ with known products for all four imm8
; quadword selections (and imm8 bits other than 0 and 4 ignored); #GP(0)
; for a misaligned m128 of each.
;
; Each part runs where CPUID offers it ("AES: X not offered" otherwise: a
; KVM offers what its host supports, and a kvm_pvm host answers CPL3 CPUID
; with its own leaves; the interpreter offers both from level v3). The VEX
; forms need CR4.OSXSAVE and XCR0, which CPL3 cannot set: they are checked
; by test_emu_aes (host differential) and the corpus.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END
	jmp start

; KEYEXP n, rcon: round key n (at rk + 16n, and in xmm1) from round key n-1
; in xmm1 (FIPS-197 5.2: w[i] = w[i-4] ^ SubWord(RotWord(w[i-1])) ^ Rcon
; for the first word, w[i] = w[i-4] ^ w[i-1] for the others)
%macro KEYEXP 2
	aeskeygenassist xmm2, xmm1, %2
	pshufd xmm2, xmm2, 0xff         ; RotWord(SubWord(w3)) ^ Rcon in every dword
	movdqa xmm3, xmm1
	pslldq xmm3, 4
	pxor xmm1, xmm3
	pslldq xmm3, 4
	pxor xmm1, xmm3
	pslldq xmm3, 4
	pxor xmm1, xmm3
	pxor xmm1, xmm2
	movdqa [rel rk + 16 * %1], xmm1
%endmacro

; CHECKX xmm, lo, hi, "name": both quadwords of an XMM register
%macro CHECKX 4
	movdqu [rel res], %1
	CHECK_EQ qword [rel res], %2, {%4, " low"}
	CHECK_EQ qword [rel res + 8], %3, {%4, " high"}
%endmacro

; CLMUL imm8, lo, hi: xmm0 = a, PCLMULQDQ xmm0, xmm1 (register) and
; xmm0, [b] (memory) with imm8; the 128-bit product checked
%macro CLMUL 3
	movdqa xmm0, [rel clm_a]
	movdqa xmm1, [rel clm_b]
	pclmulqdq xmm0, xmm1, %1
	CHECKX xmm0, %2, %3, {"pclmulqdq reg imm8 ", %str(%1)}
	movdqa xmm0, [rel clm_a]
	pclmulqdq xmm0, [rel clm_b], %1
	CHECKX xmm0, %2, %3, {"pclmulqdq m128 imm8 ", %str(%1)}
%endmacro

start:
	; ---- what CPUID offers: r12 bit 0 AES, bit 1 PCLMULQDQ ----
	xor r12d, r12d
	mov eax, 1
	cpuid
	bt ecx, 25
	adc r12d, 0
	bt ecx, 1
	setc al
	shl al, 1
	or r12b, al
	test r12b, 1
	jnz .p1
	PRINT "AES: aes not offered"
.p1:	test r12b, 2
	jnz .p2
	PRINT "AES: pclmulqdq not offered"
.p2:

	; ---- AES-128, FIPS-197 C.1 ----
	test r12b, 1
	jz .no_aes
	movdqa xmm1, [rel key]
	movdqa [rel rk], xmm1
	KEYEXP 1, 0x01
	KEYEXP 2, 0x02
	KEYEXP 3, 0x04
	KEYEXP 4, 0x08
	KEYEXP 5, 0x10
	KEYEXP 6, 0x20
	KEYEXP 7, 0x40
	KEYEXP 8, 0x80
	KEYEXP 9, 0x1b
	KEYEXP 10, 0x36
	movdqa xmm0, [rel rk + 16]
	CHECKX xmm0, 0xfa72afd2fd74aad6, 0xfe76abd6f178a6da, "aeskeygenassist: round key 1"
	CHECKX xmm1, 0x174a94e37f1d1113, 0xc5302b4d8ba707f3, "aeskeygenassist: round key 10"
	; AESKEYGENASSIST alone: dword 0 SubWord(X1), 1 RotWord(SubWord(X1)) ^ RCON,
	; 2 SubWord(X3), 3 RotWord(SubWord(X3)) ^ RCON (S(0x53) = 0xed, S(0) = 0x63)
	aeskeygenassist xmm0, [rel kga_src], 0xa5
	CHECKX xmm0, 0xed6363c6636363ed, 0x7cf27bd2f27b777c, "aeskeygenassist: layout, m128"

	; encryption: AddRoundKey, 9 x AESENC, AESENCLAST
	movdqa xmm0, [rel plain]
	pxor xmm0, [rel rk]
	aesenc xmm0, [rel rk + 16]      ; the m128 form
	CHECKX xmm0, 0x68ce5a85e810d889, 0xe48f12cbd843182d, "aesenc: round[2].start"
	movdqa xmm1, [rel rk + 32]
	aesenc xmm0, xmm1               ; the register form
	aesenc xmm0, [rel rk + 48]
	aesenc xmm0, [rel rk + 64]
	aesenc xmm0, [rel rk + 80]
	aesenc xmm0, [rel rk + 96]
	aesenc xmm0, [rel rk + 112]
	aesenc xmm0, [rel rk + 128]
	movdqa xmm8, [rel rk + 144]
	aesenc xmm0, xmm8
	movdqa xmm9, xmm0
	movdqa xmm1, xmm0
	aesenclast xmm1, [rel rk + 160] ; the m128 form
	CHECKX xmm1, 0x30047b6ad8e0c469, 0x5ac5b47080b7cdd8, "aesenclast: ciphertext"
	movdqa xmm10, [rel rk + 160]
	movdqa xmm0, xmm9
	aesenclast xmm0, xmm10          ; the register form
	CHECKX xmm0, 0x30047b6ad8e0c469, 0x5ac5b47080b7cdd8, "aesenclast reg: ciphertext"
	pxor xmm0, xmm0                 ; AESENCLAST of a zero state and key: S(0)
	pxor xmm11, xmm11
	aesenclast xmm0, xmm11
	CHECKX xmm0, 0x6363636363636363, 0x6363636363636363, "aesenclast: subbytes of zero"

	; decryption (FIPS-197 5.3.5): dk[r] = InvMixColumns(rk[r]) for r = 1..9
	movdqa xmm0, xmm1
	pxor xmm0, xmm10
	aesimc xmm2, [rel rk + 144]     ; the m128 form
	aesdec xmm0, xmm2
	movdqa xmm3, [rel rk + 128]
	aesimc xmm2, xmm3               ; the register form
	aesdec xmm0, xmm2
	aesimc xmm2, [rel rk + 112]
	aesdec xmm0, xmm2
	aesimc xmm2, [rel rk + 96]
	aesdec xmm0, xmm2
	aesimc xmm2, [rel rk + 80]
	aesdec xmm0, xmm2
	aesimc xmm2, [rel rk + 64]
	aesdec xmm0, xmm2
	aesimc xmm2, [rel rk + 48]
	aesdec xmm0, xmm2
	aesimc xmm2, [rel rk + 32]
	movdqa [rel dk], xmm2
	aesdec xmm0, [rel dk]           ; the m128 form
	aesimc xmm2, [rel rk + 16]
	aesdec xmm0, xmm2
	movdqa xmm4, xmm0
	aesdeclast xmm0, [rel rk]       ; the m128 form
	CHECKX xmm0, 0x7766554433221100, 0xffeeddccbbaa9988, "aesdeclast: plaintext"
	movdqa xmm5, [rel rk]
	aesdeclast xmm4, xmm5           ; the register form
	CHECKX xmm4, 0x7766554433221100, 0xffeeddccbbaa9988, "aesdeclast reg: plaintext"
	; AESIMC undoes MixColumns: AESDECLAST(AESENC(s, 0), 0) with InvMixColumns
	; applied between gives s back (InvSubBytes InvShiftRows undo the rest)
	movdqa xmm0, [rel plain]
	pxor xmm11, xmm11
	aesenc xmm0, xmm11
	aesimc xmm0, xmm0
	aesdeclast xmm0, xmm11
	CHECKX xmm0, 0x7766554433221100, 0xffeeddccbbaa9988, "aesimc inverts mixcolumns"

	; a misaligned m128 is #GP(0) and leaves the destination alone
	movdqa xmm0, [rel plain]
	EXPECT_FAULT .gp1
	aesenc xmm0, [rel rk + 8]
.gp1:	CHECK_FAULT VEC_GP, 0, "aesenc misaligned"
	EXPECT_FAULT .gp2
	aesdeclast xmm0, [rel rk + 4]
.gp2:	CHECK_FAULT VEC_GP, 0, "aesdeclast misaligned"
	EXPECT_FAULT .gp3
	aesimc xmm0, [rel rk + 1]
.gp3:	CHECK_FAULT VEC_GP, 0, "aesimc misaligned"
	EXPECT_FAULT .gp4
	aeskeygenassist xmm0, [rel rk + 12], 1
.gp4:	CHECK_FAULT VEC_GP, 0, "aeskeygenassist misaligned"
	CHECKX xmm0, 0x7766554433221100, 0xffeeddccbbaa9988, "aes faults: destination unchanged"
.no_aes:

	; ---- PCLMULQDQ ----
	test r12b, 2
	jz .no_clmul
	CLMUL 0x00, 0x80000000000000ff, 0x7f
	CLMUL 0x01, 0xe1dde1a5e1dde1f0, 0x55
	CLMUL 0x10, 0x0f1e2d3c4b5a6978, 0x078f169e25ad34bc
	CLMUL 0x11, 0x2524d40816ace780, 0x0504f428368cc7a0
	CLMUL 0xee, 0x80000000000000ff, 0x7f            ; bits 0 and 4 clear: as 0x00
	CLMUL 0xff, 0x2524d40816ace780, 0x0504f428368cc7a0 ; as 0x11
	; (x^63 + 1)^2 = x^126 + 1 (no carries), x^63 * x = x^64
	mov rax, 0x8000000000000001
	movq xmm0, rax
	pclmulqdq xmm0, xmm0, 0x00
	CHECKX xmm0, 1, 0x4000000000000000, "pclmulqdq square"
	mov rax, 0x8000000000000000
	movq xmm0, rax
	mov eax, 2
	movq xmm1, rax
	pclmulqdq xmm0, xmm1, 0x00
	CHECKX xmm0, 0, 1, "pclmulqdq x^63 * x"
	movdqa xmm0, [rel clm_a]
	EXPECT_FAULT .gp5
	pclmulqdq xmm0, [rel clm_b + 8], 0x11
.gp5:	CHECK_FAULT VEC_GP, 0, "pclmulqdq misaligned"
	CHECKX xmm0, 0x8000000000000001, 0xfedcba9876543210, "pclmulqdq fault: destination unchanged"
.no_clmul:
	RAXT_DONE

	align 16
key:	dq 0x0706050403020100, 0x0f0e0d0c0b0a0908
plain:	dq 0x7766554433221100, 0xffeeddccbbaa9988
kga_src: dq 0x0000005300000000, 0x0403020100000000
clm_a:	dq 0x8000000000000001, 0xfedcba9876543210
clm_b:	dq 0x00000000000000ff, 0x0f1e2d3c4b5a6978
rk:	times 11 dq 0, 0
dk:	dq 0, 0
res:	dq 0, 0

RAXT_RUNTIME
