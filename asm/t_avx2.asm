; t_avx2.asm - AVX2 integer instructions at CPL0 (CPU level v3): VEX.256
; forms that work lane by lane (VPSHUFB), across lanes (VPERMD, VPERMQ,
; VPERM2I128 with its zeroing bit, VPMOVZX/SX widening xmm into ymm),
; broadcasts, 128-bit inserts/extracts, variable shifts, the is4 blend
; VBLENDVPS, VPTEST over 256 bits, a VEX.128 write zeroing bits 255:128;
; AVX's #UD (XCR0 without AVX) and #NM (CR0.TS); masked loads and stores
; whose masked-off elements lie on a not-present page (no fault) and a
; masked store that faults (nothing written); gathers: a masked-off element
; on the not-present page (no fault), an element on it that faults (#PF,
; CR2; the element before it is done and its mask cleared, the others and
; the upper halves as they were), the same gather restarted once the page
; is present (completes; mask all zero; VEX.128 zeroes bits 255:128), and
; #UD when the index is the destination.
;
; YMM registers are loaded with VBROADCASTI128 + VINSERTI128 and read back
; with VEXTRACTI128 to memory, so only instructions of this family are used.
; The expected values are the architecture's; where the SDM leaves room (a
; gather's registers at a fault) they are what the AMD Zen 4 host does,
; which test_emu_avx2's differential check compares element by element.
%include "include/raxtest.inc"
%include "include/avx.inc"
RAXT_HEADER 0
RAXT_REGION 0xa00000, 0x200000, RAXT_R_WRITE ; remapped with 4K pages below
RAXT_HEADER_END

%define PD 0x12000                      ; LAYOUT_TEST_PD
%define PAGES 0xa00000                  ; page 0 present, page 1 not (at first)
%define EDGE (PAGES + 0xff8)            ; 8 bytes before the not-present page

; LDY ymmN, label: the 32 bytes at label
%macro LDY 2
	vbroadcasti128 %1, [rel %2]
	vinserti128 %1, %1, [rel %2 + 16], 1
%endmacro

; CHECKY ymmN, q0, q1, q2, q3, "name": the four qwords of ymmN
%macro CHECKY 6
	vextracti128 [rel out], %1, 0
	vextracti128 [rel out + 16], %1, 1
	CHECK_EQ qword [rel out], %2, {%6, " q0"}
	CHECK_EQ qword [rel out + 8], %3, {%6, " q1"}
	CHECK_EQ qword [rel out + 16], %4, {%6, " q2"}
	CHECK_EQ qword [rel out + 24], %5, {%6, " q3"}
%endmacro

; PTE1 value: page 1's page-table entry, then INVLPG
%macro PTE1 1
	mov rax, %1
	mov [rel pt + 8], rax
	invlpg [PAGES + 0x1000]
%endmacro

	AVX_ON

	; 4 KiB page table for [0xa00000, 0xc00000): page 0 RW, page 1 not present
	mov qword [rel pt], PAGES + 0x3
	lea rax, [rel pt]
	or rax, 0x7
	mov [PD + (PAGES >> 21) * 8], rax
	mov rax, cr3
	mov cr3, rax
	mov dword [PAGES + 0xff0], 0x11110000
	mov dword [PAGES + 0xff4], 0x11110001
	mov dword [PAGES + 0xff8], 0x11110002
	mov dword [PAGES + 0xffc], 0x11110003

	; ---- broadcasts, widening moves ----
	vpbroadcastd ymm1, [rel d_89ab]
	CHECKY ymm1, 0x89abcdef89abcdef, 0x89abcdef89abcdef, 0x89abcdef89abcdef, 0x89abcdef89abcdef, "vpbroadcastd ymm"
	vpmovzxbd ymm2, [rel bytes8]
	CHECKY ymm2, 0x0000000200000001, 0x0000000400000003, 0x000000f6000000f5, 0x000000f8000000f7, "vpmovzxbd ymm, m64"
	vpbroadcastq xmm3, [rel bytes8]
	vpmovsxbd ymm3, xmm3
	CHECKY ymm3, 0x0000000200000001, 0x0000000400000003, 0xfffffff6fffffff5, 0xfffffff8fffffff7, "vpmovsxbd ymm, xmm"

	; ---- lane-wise and cross-lane shuffles ----
	LDY ymm4, bytes32
	LDY ymm5, rev16
	vpshufb ymm6, ymm4, ymm5
	CHECKY ymm6, 0x08090a0b0c0d0e0f, 0x0001020304050607, 0x18191a1b1c1d1e1f, 0x1011121314151617, "vpshufb ymm (per lane)"
	LDY ymm8, idx_rev8
	vpermd ymm7, ymm8, ymm4
	CHECKY ymm7, 0x1b1a19181f1e1d1c, 0x1312111017161514, 0x0b0a09080f0e0d0c, 0x0302010007060504, "vpermd"
	vperm2i128 ymm9, ymm4, ymm6, 0x83
	CHECKY ymm9, 0x18191a1b1c1d1e1f, 0x1011121314151617, 0, 0, "vperm2i128 0x83"
	vpermq ymm2, ymm4, 0x1b
	CHECKY ymm2, 0x1f1e1d1c1b1a1918, 0x1716151413121110, 0x0f0e0d0c0b0a0908, 0x0706050403020100, "vpermq 0x1b"

	; ---- variable shifts, is4 blend ----
	vpbroadcastd ymm10, [rel d_8001]
	LDY ymm11, counts
	vpsllvd ymm12, ymm10, ymm11
	CHECKY ymm12, 0x0000000280000001, 0x0000000080000000, 0x0000001000000000, 0x0001000000000000, "vpsllvd"
	vpsravd ymm13, ymm10, ymm11
	CHECKY ymm13, 0xc000000080000001, 0xffffffffffffffff, 0xf8000000ffffffff, 0xffff8000ffffffff, "vpsravd"
	vblendvps ymm14, ymm4, ymm6, ymm11      ; only dword 6 of the mask has its sign set
	CHECKY ymm14, 0x0706050403020100, 0x0f0e0d0c0b0a0908, 0x1716151413121110, 0x1f1e1d1c14151617, "vblendvps ymm"

	; ---- VPTEST over 256 bits; a VEX.128 write zeroes bits 255:128 ----
	vperm2i128 ymm15, ymm4, ymm4, 0x18      ; low half zero, high half ymm4's
	vptest ymm15, ymm15
	CHECK_FLAGS FL_ARITH, FL_CF, "vptest ymm: nonzero in bits 255:128"
	vptest xmm15, xmm15
	CHECK_FLAGS FL_ARITH, FL_CF | FL_ZF, "vptest xmm: zero"
	vpabsd xmm1, xmm10
	CHECKY ymm1, 0x7fffffff7fffffff, 0x7fffffff7fffffff, 0, 0, "vpabsd xmm zeroes 255:128"

	; ---- AVX's #UD and #NM ----
	xor ecx, ecx
	mov eax, 3                              ; x87 | SSE: no AVX state
	xor edx, edx
	xsetbv
	EXPECT_FAULT .ud1
	vpabsd ymm1, ymm10
.ud1:	CHECK_FAULT VEC_UD, 0, "vpabsd with XCR0.AVX = 0: #UD"
	xor ecx, ecx
	mov eax, 7
	xor edx, edx
	xsetbv
	mov rax, cr0
	or rax, 1 << 3                          ; CR0.TS
	mov cr0, rax
	EXPECT_FAULT .nm1
	vpabsd ymm1, ymm10
.nm1:	CHECK_FAULT 7, 0, "vpabsd with CR0.TS: #NM"
	clts

	; ---- masked loads and stores at the edge of the not-present page ----
	mov rbx, EDGE
	LDY ymm5, mask_lo2                      ; dwords 0, 1 on; 2, 3 (page 1) off
	vpmaskmovd xmm3, xmm5, [rbx]
	CHECKY ymm3, 0x1111000311110002, 0, 0, 0, "vpmaskmovd load, masked-off elements not present"
	vpmaskmovd [rbx], xmm5, xmm4
	CHECK_EQ qword [EDGE], 0x0706050403020100, "vpmaskmovd store, masked-off elements not present"
	vpbroadcastd ymm2, [rel d_8000]
	EXPECT_FAULT .pf1
	vmaskmovps [rbx], xmm2, xmm10
.pf1:	CHECK_FAULT VEC_PF, 2, "vmaskmovps store, element 2 not present: #PF"
	CHECK_EQ qword [rel raxt_catch + 32], PAGES + 0x1000, "vmaskmovps store #PF cr2"
	CHECK_EQ qword [EDGE], 0x0706050403020100, "vmaskmovps store #PF: nothing written"
	mov rax, 0x1111000311110002             ; as before
	mov [EDGE], rax

	; ---- gathers: vpgatherdd xmm0, [rbx + xmm1 * 4], xmm2 ----
	; indices 0, 2, 1, -1: EDGE, page 1 (not present), EDGE + 4, EDGE - 4
	LDY ymm1, gidx
	vpbroadcastd ymm0, [rel d_5555]
	LDY ymm2, mask_no1                      ; element 1 off
	vpgatherdd xmm0, [rbx + xmm1 * 4], xmm2
	CHECKY ymm0, 0x5555555511110002, 0x1111000111110003, 0, 0, "vpgatherdd, masked-off element not present"
	CHECKY ymm2, 0, 0, 0, 0, "vpgatherdd mask cleared"

	vpbroadcastd ymm0, [rel d_5555]
	vpbroadcastd ymm2, [rel d_8000]
	EXPECT_FAULT .pf2
	vpgatherdd xmm0, [rbx + xmm1 * 4], xmm2
.pf2:	CHECK_FAULT VEC_PF, 0, "vpgatherdd element 1 not present: #PF"
	CHECK_EQ qword [rel raxt_catch + 32], PAGES + 0x1000, "vpgatherdd #PF cr2"
	CHECKY ymm0, 0x5555555511110002, 0x5555555555555555, 0x5555555555555555, 0x5555555555555555, "vpgatherdd at #PF: element 0 done"
	CHECKY ymm2, 0x8000000000000000, 0x8000000080000000, 0x8000000080000000, 0x8000000080000000, "vpgatherdd at #PF: mask 0 cleared"

	PTE1 PAGES + 0x1000 + 0x3               ; page 1 present
	mov dword [PAGES + 0x1000], 0x22220000
	vpgatherdd xmm0, [rbx + xmm1 * 4], xmm2 ; restarted: elements 1-3
	CHECKY ymm0, 0x2222000011110002, 0x1111000111110003, 0, 0, "vpgatherdd restarted"
	CHECKY ymm2, 0, 0, 0, 0, "vpgatherdd restarted: mask cleared"
	PTE1 0

	EXPECT_FAULT .ud2
	vpgatherdd xmm0, [rbx + xmm0 * 4], xmm2
.ud2:	CHECK_FAULT VEC_UD, 0, "vpgatherdd index = destination: #UD"

	RAXT_DONE

RAXT_RUNTIME
	align 32, db 0
out:	times 32 db 0
d_89ab:	dd 0x89abcdef
d_8001:	dd 0x80000001
d_8000:	dd 0x80000000
d_5555:	dd 0x55555555
bytes8:	db 0x01, 0x02, 0x03, 0x04, 0xf5, 0xf6, 0xf7, 0xf8
	align 32, db 0
bytes32:
%assign i 0
%rep 32
	db i
%assign i i + 1
%endrep
rev16:	db 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
	db 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
idx_rev8: dd 7, 6, 5, 4, 3, 2, 1, 0
counts:	dd 0, 1, 31, 32, 33, 4, 0xffffffff, 16
mask_lo2: dd 0x80000000, 0x80000000, 0, 0, 0, 0, 0, 0
mask_no1: dd 0x80000000, 0, 0x80000000, 0x80000000, 0x80000000, 0x80000000, 0x80000000, 0x80000000
gidx:	dd 0, 2, 1, -1, 0, 0, 0, 0
	align 4096, db 0
pt:	times 512 dq 0
