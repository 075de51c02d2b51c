; t_debug.asm - the CPU's debug facilities at CPL0, through the test's own
; IDT (Intel SDM vol. 3 ch. 17, AMD APM vol. 2 ch. 13): MOV DR rules (fixed
; bits of DR6/DR7, #GP for bits 63:32, DR4/DR5 aliases with CR4.DE=0 and
; #UD with CR4.DE=1, general detect), execution breakpoints (fault before
; the instruction, RF to go on, before #BP and #UD of the same instruction),
; data breakpoints (write, read/write, LEN alignment, trap after the
; instruction, REP iterations), I/O breakpoints with CR4.DE, single-step
; traps (POPF setting and clearing TF, IRET setting TF, INT n, SYSCALL with
; TF in SFMASK or not), the MOV SS shadow (single-step and a data
; breakpoint on MOV SS's operand before INT n: the #DB at the handler).
; Every #DB records DR6 and the frame, clears DR6 and TF in the frame and
; sets RF; the handlers log the vectors in order.
%include "include/raxtest.inc"
RAXT_HEADER 0
RAXT_HEADER_END

%define DR6_FIX 0xffff0ff0
%define DR6_BD 0x2000
%define DR6_BS 0x4000
%define FL_RF 0x10000
%define CR4_DE 8
%define MSR_EFER 0xc0000080
%define MSR_STAR 0xc0000081
%define MSR_LSTAR 0xc0000082
%define MSR_SFMASK 0xc0000084
%define NVEC 0x42

; EXPECTF label: the next non-#DB exception resumes at label
%macro EXPECTF 1
	lea rax, [rel %1]
	mov [rel resume], rax
	mov [rel resume_rsp], rsp
%endmacro
; NEWLOG: forget logged events, DR6 clear
%macro NEWLOG 0
	mov qword [rel nlog], 0
	mov qword [rel log], 0
	xor eax, eax
	mov dr6, rax
%endmacro
; SETDR7 value
%macro SETDR7 1
	mov rax, %1
	mov dr7, rax
%endmacro

	; IDT: vectors 0..NVEC-1 into the handlers below (interrupt gates, DPL 0)
	lea rdi, [rel idt]
	lea rsi, [rel handlers]
	xor ecx, ecx
.gate:	mov rax, [rsi + rcx * 8]
	mov [rdi], ax
	mov word [rdi + 2], 0x08
	mov word [rdi + 4], 0x8e00
	shr rax, 16
	mov [rdi + 6], ax
	shr rax, 16
	mov [rdi + 8], eax
	mov dword [rdi + 12], 0
	add rdi, 16
	inc ecx
	cmp ecx, NVEC
	jb .gate
	lidt [rel idtr]

	; ---- MOV DR ----
	xor eax, eax
	mov dr6, rax
	mov rcx, dr6
	CHECK_EQ rcx, DR6_FIX, "DR6 = 0 reads 0xffff0ff0"
	mov eax, 0x4001
	mov dr6, rax
	mov rcx, dr6
	CHECK_EQ rcx, DR6_FIX | 0x4001, "DR6 B0 BS writable"
	xor eax, eax
	mov dr7, rax
	mov rcx, dr7
	CHECK_EQ rcx, 0x400, "DR7 = 0 reads 0x400"
	mov rbx, 0xffff800012345678             ; (canonical: whether a CPU takes others is not checked)
	mov dr3, rbx
	mov rcx, dr3
	CHECK_EQ rcx, rbx, "DR3 holds 64 bits"
	EXPECTF .gp7
	mov rax, 1 << 32
	mov dr7, rax
.gp7:	CHECK_EQ [rel f_vec], VEC_GP, "MOV DR7 bit 32: #GP"
	CHECK_EQ [rel f_err], 0, "MOV DR7 bit 32: #GP(0)"
	EXPECTF .gp6
	mov rax, 1 << 40
	mov dr6, rax
.gp6:	CHECK_EQ [rel f_vec], VEC_GP, "MOV DR6 bit 40: #GP"
	; CR4.DE=0: DR4/DR5 are DR6/DR7
	mov eax, 0x4002
	mov dr6, rax
	mov rcx, dr4
	CHECK_EQ rcx, DR6_FIX | 0x4002, "DR4 reads DR6 (CR4.DE=0)"
	SETDR7 0x400 | (1 << 16)                ; R/W0 = write, disabled
	mov rcx, dr5
	CHECK_EQ rcx, 0x400 | (1 << 16), "DR5 reads DR7 (CR4.DE=0)"
	xor eax, eax
	mov dr5, rax
	mov rcx, dr7
	CHECK_EQ rcx, 0x400, "DR5 write goes to DR7"
	; CR4.DE=1: #UD
	mov rax, cr4
	or rax, CR4_DE
	mov cr4, rax
	EXPECTF .ud4
	mov rcx, dr4
.ud4:	CHECK_EQ [rel f_vec], VEC_UD, "DR4 with CR4.DE=1: #UD"
	EXPECTF .ud5
	mov dr5, rax
.ud5:	CHECK_EQ [rel f_vec], VEC_UD, "DR5 with CR4.DE=1: #UD"
	; general detect: a #DB fault before the MOV, BD set, GD clear in the handler
	NEWLOG
	SETDR7 0x400 | 0x2000
.gdi:	mov rcx, dr0                            ; #DB, then (GD clear) it runs
	CHECK_EQ [rel f_vec], VEC_DB, "GD: #DB"
	CHECK_EQ [rel f_dr6], DR6_FIX | DR6_BD, "GD: DR6.BD"
	CHECK_EQ [rel f_dr7], 0x400, "GD: DR7.GD clear in the handler"
	lea rbx, [rel .gdi]
	CHECK_EQ [rel f_rip], rbx, "GD: fault (RIP of the MOV)"

	; ---- execution breakpoints ----
	NEWLOG
	lea rax, [rel .x1]
	mov dr0, rax
	SETDR7 0x400 | 1                        ; L0, R/W0 = 00, LEN0 = 00
	xor ecx, ecx
	inc ecx
.x1:	inc ecx                                 ; #DB before it, once (RF)
	inc ecx
	SETDR7 0x400
	CHECK_EQ rcx, 3, "exec bp: each instruction once"
	CHECK_EQ [rel nlog], 1, "exec bp: one #DB"
	CHECK_EQ [rel f_dr6], DR6_FIX | 1, "exec bp: DR6.B0"
	lea rbx, [rel .x1]
	CHECK_EQ [rel f_rip], rbx, "exec bp: fault (RIP of the instruction)"
	mov rax, [rel f_rflags]
	and rax, FL_RF
	CHECK_EQ rax, 0, "exec bp: RF clear in the frame"
	; G3 enables it as well; it comes before #BP from the same INT3
	NEWLOG
	lea rax, [rel .x2]
	mov dr3, rax
	SETDR7 0x400 | 0x80                     ; G3
.x2:	int3
	SETDR7 0x400
	CHECK_EQ [rel nlog], 2, "exec bp on int3: two events"
	CHECK_EQ [rel log], VEC_DB | (VEC_BP << 8), "exec bp on int3: #DB then #BP"
	; ... and before #UD
	NEWLOG
	lea rax, [rel .x3]
	mov dr1, rax
	SETDR7 0x400 | 4                        ; L1
	EXPECTF .x3r
.x3:	ud2
.x3r:	SETDR7 0x400
	CHECK_EQ [rel log], VEC_DB | (VEC_UD << 8), "exec bp on ud2: #DB then #UD"
	CHECK_EQ [rel f_dr6], DR6_FIX | 2, "exec bp on ud2: DR6.B1"

	; ---- data breakpoints ----
	; write, LEN 4 (11b), DR2 misaligned: covers data+4..data+7
	NEWLOG
	lea rax, [rel data + 5]
	mov dr2, rax
	SETDR7 0x400 | 0x10 | (1 << 24) | (3 << 26)
	lea rbx, [rel data]
	mov eax, [rbx + 4]                      ; a read: no
	mov [rbx + 2], ax                       ; bytes 2-3: no
	mov [rbx + 6], ax                       ; bytes 6-7: trap after it
.d1:	nop
	SETDR7 0x400
	CHECK_EQ [rel nlog], 1, "data write bp: one #DB"
	CHECK_EQ [rel f_dr6], DR6_FIX | 4, "data write bp: DR6.B2"
	lea rbx, [rel .d1]
	CHECK_EQ [rel f_rip], rbx, "data write bp: trap (RIP after the write)"
	; read/write, LEN 8 (10b): a read of bytes 0xe-0x11 touches 0x10-0x17
	NEWLOG
	lea rax, [rel data + 0x13]
	mov dr0, rax
	SETDR7 0x400 | 1 | (3 << 16) | (2 << 18)
	lea rbx, [rel data]
	mov eax, [rbx + 8]
	mov eax, [rbx + 0xe]
.d2:	nop
	SETDR7 0x400
	CHECK_EQ [rel nlog], 1, "data r/w bp LEN 8: one #DB"
	CHECK_EQ [rel f_dr6], DR6_FIX | 1, "data r/w bp LEN 8: DR6.B0"
	lea rbx, [rel .d2]
	CHECK_EQ [rel f_rip], rbx, "data r/w bp: trap after the read"
	; two enabled slots on one access: both bits
	NEWLOG
	lea rax, [rel data + 0x20]
	mov dr1, rax
	mov dr3, rax
	SETDR7 0x400 | 4 | 0x40 | (1 << 20) | (3 << 28)
	mov byte [rel data + 0x20], 1
	SETDR7 0x400
	CHECK_EQ [rel f_dr6], DR6_FIX | 0xa, "two slots: DR6.B1 and B3"
	; REP MOVSB: the trap after the iteration that wrote the watched byte
	NEWLOG
	lea rax, [rel data + 0x45]
	mov dr0, rax
	SETDR7 0x400 | 1 | (1 << 16)
	lea rsi, [rel data]
	lea rdi, [rel data + 0x40]
	mov ecx, 16
.rep:	rep movsb
	SETDR7 0x400
	CHECK_EQ [rel nlog], 1, "rep movsb bp: one #DB"
	lea rbx, [rel .rep]
	CHECK_EQ [rel f_rip], rbx, "rep movsb bp: RIP on the REP"
	CHECK_EQ [rel f_rcx], 10, "rep movsb bp: after the sixth iteration"
	CHECK_EQ rcx, 0, "rep movsb bp: then finished"

	; ---- I/O breakpoints (CR4.DE is still 1) ----
	NEWLOG
	mov eax, 0x81
	mov dr2, rax
	SETDR7 0x400 | 0x10 | (2 << 24) | (1 << 26)   ; R/W2 = 10 (I/O), LEN2 = 2: ports 0x80-0x81
	out 0x70, al
	out 0x80, al
.io:	nop
	SETDR7 0x400
	CHECK_EQ [rel nlog], 1, "I/O bp: one #DB"
	CHECK_EQ [rel f_dr6], DR6_FIX | 4, "I/O bp: DR6.B2"
	lea rbx, [rel .io]
	CHECK_EQ [rel f_rip], rbx, "I/O bp: trap after OUT"

	; ---- single-step ----
	; POPF setting TF: the trap follows the instruction after POPF
	NEWLOG
	pushfq
	or qword [rsp], FL_TF
	popfq
	inc ecx
.s1:	nop
	CHECK_EQ [rel nlog], 1, "popf TF=1: one #DB"
	CHECK_EQ [rel f_dr6], DR6_FIX | DR6_BS, "popf TF=1: DR6.BS"
	lea rbx, [rel .s1]
	CHECK_EQ [rel f_rip], rbx, "popf TF=1: after the next instruction"
	; POPF clearing TF: the trap follows the POPF
	NEWLOG
	pushfq                                  ; TF=0, for the second POPF
	pushfq
	or qword [rsp], FL_TF
	popfq                                   ; TF=1 from here
	popfq                                   ; TF=1 when it starts, pops TF=0: trap after it
.s2:	nop
	CHECK_EQ [rel nlog], 1, "popf TF=0: one #DB"
	lea rbx, [rel .s2]
	CHECK_EQ [rel f_rip], rbx, "popf TF=0: after the POPF"
	; IRET setting TF: the trap after the first instruction it returns to
	NEWLOG
	mov rax, rsp
	push 0x10
	push rax
	push 0x102
	push 0x08
	lea rax, [rel .s3]
	push rax
	iretq
.s3:	inc ecx
.s3n:	nop
	CHECK_EQ [rel nlog], 1, "iret TF=1: one #DB"
	lea rbx, [rel .s3n]
	CHECK_EQ [rel f_rip], rbx, "iret TF=1: after the first instruction"
	; INT n with TF: no #DB in the handler; its IRET sets TF again, so the
	; trap follows the instruction after INT
	NEWLOG
	pushfq
	or qword [rsp], FL_TF
	popfq
	int 0x40
	inc ecx
.s4:	nop
	CHECK_EQ [rel nlog], 2, "int n TF: two events"
	CHECK_EQ [rel log], 0x40 | (VEC_DB << 8), "int n TF: the handler untraced, then #DB"
	lea rbx, [rel .s4]
	CHECK_EQ [rel f_rip], rbx, "int n TF: after the instruction after INT"
	; SYSCALL: TF masked by SFMASK: no trap at the entry point
	mov ecx, MSR_EFER
	rdmsr
	or eax, 1                               ; SCE
	wrmsr
	mov ecx, MSR_STAR
	xor eax, eax
	mov edx, 0x08                           ; SYSCALL CS = 0x08, SS = 0x10
	wrmsr
	lea rax, [rel sc_entry]
	mov rdx, rax
	shr rdx, 32
	mov ecx, MSR_LSTAR
	wrmsr
	mov ecx, MSR_SFMASK
	mov eax, FL_TF | FL_IF
	xor edx, edx
	wrmsr
	NEWLOG
	pushfq
	or qword [rsp], FL_TF
	popfq
	syscall
	CHECK_EQ [rel nlog], 0, "syscall, TF in SFMASK: no #DB"
	CHECK_EQ [rel sc_count], 1, "syscall reached its entry"
	; ... TF not masked: the trap after SYSCALL, at the entry point
	mov ecx, MSR_SFMASK
	mov eax, FL_IF
	xor edx, edx
	wrmsr
	NEWLOG
	pushfq
	or qword [rsp], FL_TF
	popfq
	syscall
	CHECK_EQ [rel nlog], 1, "syscall, TF kept: one #DB"
	lea rbx, [rel sc_entry]
	CHECK_EQ [rel f_rip], rbx, "syscall, TF kept: #DB at the entry point"

	; ---- the MOV SS shadow ----
	; single-step: no trap after MOV SS, one after the next instruction
	NEWLOG
	mov eax, 0x10
	pushfq
	or qword [rsp], FL_TF
	popfq
	mov ss, eax
	inc ecx
.m1:	nop
	CHECK_EQ [rel nlog], 1, "mov ss TF: one #DB"
	lea rbx, [rel .m1]
	CHECK_EQ [rel f_rip], rbx, "mov ss TF: after the instruction after MOV SS"
	CHECK_EQ [rel f_dr6], DR6_FIX | DR6_BS, "mov ss TF: DR6.BS"
	; a data breakpoint on MOV SS's operand, then INT n: #DB at the handler
	NEWLOG
	mov qword [rel data + 0x80], 0x10
	lea rax, [rel data + 0x80]
	mov dr0, rax
	SETDR7 0x400 | 1 | (3 << 16) | (1 << 18)
	mov ss, [rel data + 0x80]
	int 0x41
	SETDR7 0x400
	CHECK_EQ [rel nlog], 2, "mov ss bp + int: two events"
	CHECK_EQ [rel log], VEC_DB | (0x41 << 8), "mov ss bp + int: #DB first (at the handler), then its body"
	lea rbx, [rel h65]
	CHECK_EQ [rel db_rip], rbx, "mov ss bp + int: #DB frame RIP = handler entry"
	CHECK_EQ [rel f_dr6], DR6_FIX | 1, "mov ss bp + int: DR6.B0"

	xor eax, eax
	mov dr7, rax
	RAXT_DONE

; SYSCALL entry: count, then back to the caller at CPL0 (RCX = return RIP;
; RSP is the caller's, RFLAGS as SFMASK left it: TF and IF clear)
sc_entry:
	inc qword [rel sc_count]
	jmp rcx

; the vectors' stubs: [error code,] then the vector
%assign v 0
%rep NVEC
h %+ v:
	%if v == 8 || (v >= 10 && v <= 14) || v == 17
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
	mov [rel f_rcx], rcx
	push rax
	push rbx
	push rcx
	mov rax, [rsp + 24]
	mov [rel f_vec], rax
	mov rbx, [rel nlog]
	cmp rbx, 8
	jae .full
	lea rcx, [rel log]
	mov [rcx + rbx], al
	inc qword [rel nlog]
.full:	mov rax, [rsp + 32]
	mov [rel f_err], rax
	mov rax, [rsp + 40]
	mov [rel f_rip], rax
	mov rax, [rsp + 56]
	mov [rel f_rflags], rax
	cmp qword [rsp + 24], VEC_DB
	jne .notdb
	mov rax, dr6
	mov [rel f_dr6], rax
	mov rax, dr7
	mov [rel f_dr7], rax
	mov rax, [rsp + 40]
	mov [rel db_rip], rax                   ; (kept when other handlers follow)
	xor eax, eax
	mov dr6, rax
	and qword [rsp + 56], ~FL_TF            ; no more single steps
	or qword [rsp + 56], FL_RF              ; an instruction breakpoint lets it run
	jmp .ret
.notdb:	mov rax, [rel resume]
	test rax, rax
	jz .ret
	mov [rsp + 40], rax                     ; resume at the label, on its stack
	mov rax, [rel resume_rsp]
	mov [rsp + 64], rax
	mov qword [rel resume], 0
.ret:	pop rcx
	pop rbx
	pop rax
	add rsp, 16
	iretq

RAXT_RUNTIME
	align 8, db 0
handlers:
%assign v 0
%rep NVEC
	dq h %+ v
%assign v v + 1
%endrep
idtr:	dw NVEC * 16 - 1
	dq idt
resume:	dq 0
resume_rsp: dq 0
nlog:	dq 0
log:	dq 0
f_vec:	dq 0
f_err:	dq 0
f_rip:	dq 0
f_rflags: dq 0
f_rcx:	dq 0
f_dr6:	dq 0
f_dr7:	dq 0
db_rip:	dq 0
sc_count: dq 0
	align 16, db 0
data:	times 256 db 0
	align 16, db 0
idt:	times NVEC * 16 db 0
