; t_rd.asm - RDTSCP, RDPID, RDRAND and RDSEED at CPL3 (CPU level v2), checked
; by their properties, since their values are each machine's own. Each is
; checked where CPUID offers it ("RD: X not offered" otherwise: a KVM host
; offers only what its KVM supports, and a kvm_pvm host answers CPL3 CPUID
; with its own leaves; the interpreter offers all four from level v2, which
; test_guest_programs checks); RDPID returns what RDTSCP puts in ECX (IA32_TSC_AUX,
; zero-extended into RCX); the TSC that RDTSCP reads does not go back;
; RDRAND/RDSEED set CF=1 and clear OF SF ZF AF PF when they return a value
; (retried a bounded number of times: the CPU may transiently have none),
; two draws differ, a 16-bit destination keeps bits 63:16 and a 32-bit one
; is zero-extended. Runs on both backends; rax-diff injects the CPU's
; values and compares everything else.
%include "include/raxtest.inc"
RAXT_HEADER 3
RAXT_HEADER_END
	jmp start

; DRAW insn, dest: dest = a random value, retried up to 4096 times; the
; flags are those of the last attempt (CF=1 on success)
%macro DRAW 2
	push rcx
	mov ecx, 4096
%%try:
	%1 %2
	jc %%done
	pause
	dec ecx
	jnz %%try
	clc
%%done:
	pop rcx
%endmacro

start:
	; ---- what CPUID offers: r12 bit 0 RDRAND, 1 RDTSCP, 2 RDSEED, 3 RDPID ----
	xor r12d, r12d
	mov eax, 1
	cpuid
	bt ecx, 30
	adc r12d, 0
	mov eax, 0x80000001
	cpuid
	bt edx, 27
	setc al
	shl al, 1
	or r12b, al
	mov eax, 7
	xor ecx, ecx
	cpuid
	bt ebx, 18
	setc al
	shl al, 2
	or r12b, al
	bt ecx, 22
	setc al
	shl al, 3
	or r12b, al
	test r12b, 1
	jnz .p1
	PRINT "RD: rdrand not offered"
.p1:	test r12b, 2
	jnz .p2
	PRINT "RD: rdtscp not offered"
.p2:	test r12b, 4
	jnz .p3
	PRINT "RD: rdseed not offered"
.p3:	test r12b, 8
	jnz .p4
	PRINT "RD: rdpid not offered"
.p4:

	; ---- RDTSCP and RDPID ----
	test r12b, 2
	jz .no_rdtscp
	mov rcx, -1
	rdtscp
	mov r9, rcx
	shr rcx, 32
	CHECK_EQ rcx, 0, "rdtscp: tsc_aux zero-extended into rcx"
	shl rdx, 32
	or rax, rdx
	mov r8, rax
	rdtscp
	shl rdx, 32
	or rax, rdx
	sub rax, r8
	shr rax, 63
	CHECK_EQ rax, 0, "rdtscp: the tsc does not go back"
	test r12b, 8
	jz .no_rdtscp
	rdpid r10
	CHECK_EQ r10, r9, "rdpid: the tsc_aux rdtscp returns"
.no_rdtscp:

	; ---- RDRAND ----
	test r12b, 1
	jz .no_rdrand
	DRAW rdrand, r8
	CHECK_FLAGS FL_ARITH, 1, "rdrand r64: cf=1, other status flags clear"
	DRAW rdrand, r9
	xor r8, r9
	setz al
	movzx eax, al
	CHECK_EQ rax, 0, "rdrand: two draws differ"
	mov rax, -1
	DRAW rdrand, ax
	CHECK_FLAGS FL_ARITH, 1, "rdrand r16: cf=1"
	shr rax, 16
	CHECK_EQ rax, 0xffffffffffff, "rdrand r16: bits 63:16 kept"
	mov rax, -1
	DRAW rdrand, eax
	CHECK_FLAGS FL_ARITH, 1, "rdrand r32: cf=1"
	shr rax, 32
	CHECK_EQ rax, 0, "rdrand r32: zero-extended"
.no_rdrand:

	; ---- RDSEED ----
	test r12b, 4
	jz .no_rdseed
	DRAW rdseed, r8
	CHECK_FLAGS FL_ARITH, 1, "rdseed r64: cf=1, other status flags clear"
	DRAW rdseed, r9
	xor r8, r9
	setz al
	movzx eax, al
	CHECK_EQ rax, 0, "rdseed: two draws differ"
	mov rax, -1
	DRAW rdseed, ax
	shr rax, 16
	CHECK_EQ rax, 0xffffffffffff, "rdseed r16: bits 63:16 kept"
	mov rax, -1
	DRAW rdseed, eax
	shr rax, 32
	CHECK_EQ rax, 0, "rdseed r32: zero-extended"
.no_rdseed:
	RAXT_DONE

RAXT_RUNTIME
