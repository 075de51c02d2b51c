; t_string.asm - MOVS STOS LODS SCAS CMPS, single and with REP/REPE/REPNE,
; in byte/word/dword/qword sizes, forward and with DF=1 (CPL3).
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END

	cld
	; MOVSB single
	lea rsi, [rel src]
	lea rdi, [rel dst]
	movsb
	CHECK_EQ qword [rel dst], 0x01, "movsb"
	lea rax, [rel src + 1]
	CHECK_EQ rsi, rax, "movsb advances rsi"
	; REP MOVSQ
	lea rsi, [rel src]
	lea rdi, [rel dst]
	mov ecx, 2
	rep movsq
	mov rax, [rel src + 8]
	CHECK_EQ qword [rel dst + 8], rax, "rep movsq copies"
	CHECK_EQ rcx, 0, "rep movsq rcx"
	lea rax, [rel dst + 16]
	CHECK_EQ rdi, rax, "rep movsq rdi"
	; REP with RCX=0 does nothing
	xor ecx, ecx
	lea rdi, [rel dst]
	mov rax, rdi
	rep stosb
	CHECK_EQ rdi, rax, "rep stosb rcx=0"
	; REP STOSD
	lea rdi, [rel dst]
	mov eax, 0xdeadbeef
	mov ecx, 3
	rep stosd
	CHECK_EQ qword [rel dst], 0xdeadbeefdeadbeef, "rep stosd"
	CHECK_EQ qword [rel dst + 8], 0x100f0e0ddeadbeef, "rep stosd stops"
	; STOSW
	mov ax, 0x1234
	lea rdi, [rel dst]
	stosw
	CHECK_EQ qword [rel dst], 0xdeadbeefdead1234, "stosw"
	; LODS
	lea rsi, [rel src]
	mov rax, -1
	lodsw
	CHECK_EQ rax, 0xffffffffffff0201, "lodsw keeps upper"
	lodsd
	CHECK_EQ rax, 0x06050403, "lodsd zero-extends"
	lodsq
	CHECK_EQ rax, 0x0e0d0c0b0a090807, "lodsq"

	; DF=1: backwards
	std
	lea rsi, [rel src + 15]
	lea rdi, [rel dst + 15]
	mov ecx, 16
	rep movsb
	cld
	lea rax, [rel src - 1]
	CHECK_EQ rsi, rax, "std rep movsb rsi"
	mov rax, [rel src]
	CHECK_EQ qword [rel dst], rax, "std rep movsb low"
	mov rax, [rel src + 8]
	CHECK_EQ qword [rel dst + 8], rax, "std rep movsb high"
	std
	lea rdi, [rel dst + 8]
	xor eax, eax
	stosq
	stosq
	cld
	CHECK_EQ qword [rel dst], 0, "std stosq"
	lea rax, [rel dst - 8]
	CHECK_EQ rdi, rax, "std stosq rdi"

	; SCAS: REPNE SCASB finds 0x05 at index 4
	lea rdi, [rel src]
	mov al, 5
	mov ecx, 16
	repne scasb
	CHECK_FLAGS FL_ZF, FL_ZF, "repne scasb found"
	CHECK_EQ rcx, 11, "repne scasb rcx"
	lea rax, [rel src + 5]
	CHECK_EQ rdi, rax, "repne scasb rdi"
	; REPE SCASW over a run of 0x0101 words ends at the mismatch
	lea rdi, [rel ones]
	mov ax, 0x0101
	mov ecx, 8
	repe scasw
	CHECK_FLAGS FL_ZF, 0, "repe scasw mismatch"
	CHECK_EQ rcx, 5, "repe scasw rcx"
	; scas flags are those of al - [rdi]
	lea rdi, [rel src]
	mov al, 0
	scasb                                   ; 0 - 1
	CHECK_ARITH FL_CF|FL_SF|FL_AF|FL_PF, "scasb flags"

	; CMPS: REPE CMPSB stops at the first difference (index 3)
	lea rsi, [rel src]
	lea rdi, [rel src2]
	mov ecx, 16
	repe cmpsb
	CHECK_FLAGS FL_ZF|FL_CF, FL_CF, "repe cmpsb differ (4 < 0x44)"
	CHECK_EQ rcx, 12, "repe cmpsb rcx"
	; REPNE CMPSQ stops at the first equal qword (index 1)
	lea rsi, [rel src]
	lea rdi, [rel src3]
	mov ecx, 2
	repne cmpsq
	CHECK_FLAGS FL_ZF, FL_ZF, "repne cmpsq equal"
	CHECK_EQ rcx, 0, "repne cmpsq rcx"
	; DF=1 cmpsd
	std
	lea rsi, [rel src + 12]
	lea rdi, [rel src + 12]
	cmpsd
	cld
	lea rax, [rel src + 8]
	CHECK_EQ rsi, rax, "std cmpsd rsi"
	CHECK_FLAGS FL_ZF, FL_ZF, "std cmpsd equal"

	RAXT_DONE
RAXT_RUNTIME
	align 8, db 0
src:	db 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
src2:	db 1, 2, 3, 0x44, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
src3:	dq 0, 0x100f0e0d0c0b0a09
ones:	dw 0x0101, 0x0101, 0x0102, 0x0101, 0x0101, 0x0101, 0x0101, 0x0101
	dq 0
dst:	times 16 db 0
	dq 0
