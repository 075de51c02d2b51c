; t_faults.asm - exceptions through the test's own IDT at CPL0: #PF (not
; present, write to read-only with CR0.WP, user access to a supervisor page,
; NX fetch) with vector, error code, CR2 and the pushed frame; #GP, #UD,
; #DE, #BP; a gate with IST1 (the loader's TSS: IST1 top 0x90000).
%include "include/raxtest.inc"
RAXT_HEADER 0
RAXT_REGION 0xa00000, 0x200000, RAXT_R_WRITE                        ; remapped with 4K pages below
RAXT_REGION 0xc00000, 0x200000, RAXT_R_WRITE | RAXT_R_USER | RAXT_R_EXEC ; user code and stack
RAXT_HEADER_END

%define PD 0x12000                      ; LAYOUT_TEST_PD
%define TEST_PAGES 0xa00000
%define USER_CODE 0xc00000
%define IST1_TOP 0x90000                ; LAYOUT_TEST_IST1_TOP

; EXPECTF label: the next exception resumes at label (CPL0, current rsp)
%macro EXPECTF 1
	lea rax, [rel %1]
	mov [rel resume], rax
	mov [rel resume_rsp], rsp
	mov qword [rel f_vec], -1
%endmacro
%macro CHECKF 3
	CHECK_EQ [rel f_vec], %1, {%3, " vector"}
	CHECK_EQ [rel f_err], %2, {%3, " error code"}
%endmacro


	; IDT: vectors 0-14 into handlers below; #BP uses IST1
	lea rdi, [rel idt]
	lea rsi, [rel handlers]
	xor ecx, ecx
.gate:	mov rax, [rsi + rcx * 8]
	mov [rdi], ax                           ; offset 15:0
	mov word [rdi + 2], 0x08                ; selector
	mov byte [rdi + 4], 0                   ; IST
	cmp ecx, VEC_BP
	jne .noist
	mov byte [rdi + 4], 1
.noist:	mov byte [rdi + 5], 0x8e                ; present, DPL0, interrupt gate
	shr rax, 16
	mov [rdi + 6], ax                       ; offset 31:16
	shr rax, 16
	mov [rdi + 8], eax                      ; offset 63:32
	add rdi, 16
	inc ecx
	cmp ecx, 15
	jb .gate
	lidt [rel idtr]

	; 4 KiB page table for [0xa00000, 0xc00000):
	;   page 0 not present, page 1 read-only supervisor, page 2 RW NX supervisor
	lea rax, [rel pt]
	mov qword [rel pt + 8], TEST_PAGES + 0x1000 + 0x1          ; P
	mov rbx, (TEST_PAGES + 0x2000 + 0x3) | (1 << 63)           ; P RW NX
	mov [rel pt + 16], rbx
	or rax, 0x7                             ; P RW US
	mov [PD + (TEST_PAGES >> 21) * 8], rax
	mov rax, cr3
	mov cr3, rax

	; #PF, not present read: error 0
	EXPECTF .pf1
	mov rax, [TEST_PAGES + 0x10]
.pf1:	CHECKF VEC_PF, 0, "#PF not present"
	CHECK_EQ [rel f_cr2], TEST_PAGES + 0x10, "#PF not present cr2"
	lea rax, [rel .pf1 - 8]                 ; mov rax, [abs32] is 8 bytes
	CHECK_EQ [rel f_rip], rax, "#PF frame rip = faulting instruction"
	CHECK_EQ [rel f_cs], 0x08, "#PF frame cs"
	; write to a read-only page with CR0.WP=1: error P|W = 3
	EXPECTF .pf2
	mov byte [TEST_PAGES + 0x1004], 1
.pf2:	CHECKF VEC_PF, 3, "#PF write read-only (WP)"
	CHECK_EQ [rel f_cr2], TEST_PAGES + 0x1004, "#PF write read-only cr2"
	; reading it is fine
	mov al, [TEST_PAGES + 0x1004]
	; NX fetch: error P|I = 0x11
	EXPECTF .pf3
	mov rax, TEST_PAGES + 0x2000
	call rax
.pf3:	CHECKF VEC_PF, 0x11, "#PF NX fetch"
	CHECK_EQ [rel f_cr2], TEST_PAGES + 0x2000, "#PF NX fetch cr2"
	CHECK_EQ [rel f_rip], TEST_PAGES + 0x2000, "#PF NX fetch rip"
	; user read of a supervisor page: error P|U = 5, frame CS = 0x23
	lea rsi, [rel user_code]
	mov edi, USER_CODE
	mov ecx, user_code_end - user_code
	rep movsb
	EXPECTF .pf4
	push 0x1b                               ; ss
	push USER_CODE + 0x1000                 ; rsp
	push 2                                  ; rflags
	push 0x23                               ; cs
	push USER_CODE                          ; rip
	iretq
.pf4:	CHECKF VEC_PF, 5, "#PF user read of supervisor page"
	CHECK_EQ [rel f_cr2], TEST_PAGES + 0x1000, "#PF user read cr2"
	CHECK_EQ [rel f_cs], 0x23, "#PF user frame cs"
	CHECK_EQ [rel f_rsp], USER_CODE + 0x1000, "#PF user frame rsp"
	CHECK_EQ [rel f_ss], 0x1b, "#PF user frame ss"
	CHECK_EQ [rel f_rip], USER_CODE, "#PF user frame rip"

	; #GP(0) on a non-canonical address
	EXPECTF .gp
	mov rbx, 0x8000000000000000
	mov rax, [rbx]
.gp:	CHECKF VEC_GP, 0, "#GP non-canonical"
	; #UD
	EXPECTF .ud
	ud2
.ud:	CHECKF VEC_UD, 0, "#UD ud2"
	lea rax, [rel .ud - 2]
	CHECK_EQ [rel f_rip], rax, "#UD rip"
	; #DE
	EXPECTF .de
	xor ecx, ecx
	div ecx
.de:	CHECKF VEC_DE, 0, "#DE"
	; #BP is a trap: the frame RIP is after int3; delivered on IST1
	EXPECTF .bp
	int3
.bpnext:
	nop
.bp:	CHECKF VEC_BP, 0, "#BP"
	lea rax, [rel .bpnext]
	CHECK_EQ [rel f_rip], rax, "#BP frame rip after int3"
	CHECK_EQ [rel f_frame], IST1_TOP - 40, "#BP frame on the IST1 stack"
	mov rax, [rel f_rflags]
	and rax, FL_IF
	CHECK_EQ rax, 0, "#BP frame rflags IF clear"

	RAXT_DONE

%assign v 0
%rep 15
h %+ v:
	%if v == 8 || (v >= 10 && v <= 14)
	push v
	%else
	push 0
	push v
	%endif
	jmp handler
%assign v v + 1
%endrep

; stack: vector, error, rip, cs, rflags, rsp, ss
handler:
	mov [rel f_frame], rsp
	add qword [rel f_frame], 16
	push rax
	mov rax, [rsp + 8]
	mov [rel f_vec], rax
	mov rax, [rsp + 16]
	mov [rel f_err], rax
	mov rax, [rsp + 24]
	mov [rel f_rip], rax
	mov rax, [rsp + 32]
	mov [rel f_cs], rax
	mov rax, [rsp + 40]
	mov [rel f_rflags], rax
	mov rax, [rsp + 48]
	mov [rel f_rsp], rax
	mov rax, [rsp + 56]
	mov [rel f_ss], rax
	mov rax, cr2
	mov [rel f_cr2], rax
	; resume at CPL0: rewrite the frame
	mov rax, [rel resume]
	mov [rsp + 24], rax
	mov qword [rsp + 32], 0x08
	mov qword [rsp + 40], 2
	mov rax, [rel resume_rsp]
	mov [rsp + 48], rax
	mov qword [rsp + 56], 0x10
	pop rax
	add rsp, 16
	iretq

user_code:
	mov al, [TEST_PAGES + 0x1000]
	ud2
user_code_end:

RAXT_RUNTIME
	align 8, db 0
handlers:
%assign v 0
%rep 15
	dq h %+ v
%assign v v + 1
%endrep
idtr:	dw 15 * 16 - 1
	dq idt
resume:	dq 0
resume_rsp: dq 0
f_vec:	dq 0
f_err:	dq 0
f_rip:	dq 0
f_cs:	dq 0
f_rflags: dq 0
f_rsp:	dq 0
f_ss:	dq 0
f_cr2:	dq 0
f_frame: dq 0
	align 4096, db 0
pt:	times 512 dq 0
idt:	times 15 * 16 db 0
