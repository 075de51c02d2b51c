; stub64.asm - the CPL0 runtime that src/loader/testimg.c places at
; LAYOUT_TEST_STUB for every test image (see testcases/FORMAT.md).
;
; The loader's IDT points every vector at an entry here. The bytes are
; embedded in C (src/loader/testimg_stub.h, generated from this file by
; asm/runtime/gen_stub.py); pytest checks that the two agree.
;
; Fixed offsets (mirrored by TESTIMG_STUB_* in src/loader/testimg.h):
;   0x0000 + 16*v  entry for vector v: push a zero error code when the CPU
;                  pushes none, push v, jump to `exc_common`
;   0x1000         halt: cli; hlt forever (an unexpected exception ends here)
;   0x1010         port-out service (int 0x31: out dx, al)
;   0x1020         port-in service (int 0x32: in al, dx)
;   0x1040         exit service (int 0x30, al = exit value): records the
;                  caller's frame in the result area, then debug-exit
;   0x1100         exc_common exception path
;
; A host whose KVM turns INT n at CPL3 into #UD (the kvm_pvm kind, see
; `rax --kvm-info`) still runs the services: a #UD from CPL3 on the bytes
; of `int 0x30/0x31/0x32` continues in that service as if the gate had
; been taken (RIP after the INT in the frame).
;
; An exception first looks at the image's catch block (header field
; catch_addr, copied by the loader to the result area): when its `resume`
; word is armed, the fault is recorded there and execution resumes at
; `resume` (disarmed). Otherwise the fault is recorded in the result area
; and the CPU halts with every GPR as the faulting code left it.

bits 64

%define STUB_BASE   0x4000          ; LAYOUT_TEST_STUB
%define RESULT      0x1200          ; LAYOUT_TEST_RESULT

; struct testimg_result (src/loader/testimg.h)
%define R_MAGIC     0x00
%define R_VECTOR    0x08
%define R_ERROR     0x10
%define R_RIP       0x18
%define R_CS        0x20
%define R_RFLAGS    0x28
%define R_RSP       0x30
%define R_SS        0x38
%define R_CR2       0x40
%define R_CATCH     0x48
%define MAGIC_EXCEPTION 0x43584552  ; "REXC"
%define MAGIC_EXIT      0x54495845  ; "EXIT"

; catch block in the image (asm/include/raxtest.inc: raxt_catch)
%define C_RESUME    0x00
%define C_VECTOR    0x08
%define C_ERROR     0x10
%define C_RIP       0x18
%define C_CR2       0x20

org STUB_BASE

%assign v 0
%rep 256
	%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
	push strict dword v
	%else
	push strict byte 0
	push strict dword v
	%endif
	jmp strict near exc_common
	times 16 - ($ - $$ - v * 16) db 0xcc
%assign v v + 1
%endrep

halt:                                   ; 0x1000
	cli
	hlt
	jmp halt
	times 0x1010 - ($ - $$) db 0xcc

svc_out:                                ; 0x1010
	out dx, al
	iretq
	times 0x1020 - ($ - $$) db 0xcc

svc_in:                                 ; 0x1020
	in al, dx
	iretq
	times 0x1040 - ($ - $$) db 0xcc

svc_exit:                               ; 0x1040: frame = rip, cs, rflags, rsp, ss
	push rax
	mov rax, [rsp + 8]
	mov [abs RESULT + R_RIP], rax
	mov rax, [rsp + 16]
	mov [abs RESULT + R_CS], rax
	mov rax, [rsp + 24]
	mov [abs RESULT + R_RFLAGS], rax
	mov rax, [rsp + 32]
	mov [abs RESULT + R_RSP], rax
	mov rax, [rsp + 40]
	mov [abs RESULT + R_SS], rax
	mov qword [abs RESULT + R_VECTOR], 0x30
	mov qword [abs RESULT + R_MAGIC], MAGIC_EXIT
	pop rax
	out 0xf4, al
	jmp halt
	times 0x1100 - ($ - $$) db 0xcc

; Stack: vector, error, rip, cs, rflags, rsp, ss (after the two pushes
; below, at rsp+16 ... rsp+64).
exc_common:                                 ; 0x1100
	cmp qword [rsp], 6
	je ud_check
exc_body:
	push rax
	push rbx
	mov rbx, [abs RESULT + R_CATCH]
	test rbx, rbx
	jz .report
	mov rax, [rbx + C_RESUME]
	test rax, rax
	jz .report
	; an expected fault: record it in the catch block and resume there
	mov rax, [rsp + 16]
	mov [rbx + C_VECTOR], rax
	mov rax, [rsp + 24]
	mov [rbx + C_ERROR], rax
	mov rax, [rsp + 32]
	mov [rbx + C_RIP], rax
	mov rax, cr2
	mov [rbx + C_CR2], rax
	mov rax, [rbx + C_RESUME]
	mov [rsp + 32], rax
	mov qword [rbx + C_RESUME], 0
	pop rbx
	pop rax
	add rsp, 16
	iretq
.report:
	mov rax, [rsp + 16]
	mov [abs RESULT + R_VECTOR], rax
	mov rax, [rsp + 24]
	mov [abs RESULT + R_ERROR], rax
	mov rax, [rsp + 32]
	mov [abs RESULT + R_RIP], rax
	mov rax, [rsp + 40]
	mov [abs RESULT + R_CS], rax
	mov rax, [rsp + 48]
	mov [abs RESULT + R_RFLAGS], rax
	mov rax, [rsp + 56]
	mov [abs RESULT + R_RSP], rax
	mov rax, [rsp + 64]
	mov [abs RESULT + R_SS], rax
	mov rax, cr2
	mov [abs RESULT + R_CR2], rax
	mov qword [abs RESULT + R_MAGIC], MAGIC_EXCEPTION
	pop rbx
	pop rax
	jmp halt

; #UD: a service call the host delivered as #UD? Stack: vector, error,
; rip, cs, rflags, rsp, ss (rax pushed on top below).
ud_check:
	push rax
	test byte [rsp + 32], 3                 ; from CPL3?
	jz .no
	mov rax, [rsp + 24]
	cmp byte [rax], 0xcd
	jne .no
	cmp byte [rax + 1], 0x30
	je .exit
	cmp byte [rax + 1], 0x31
	je .out
	cmp byte [rax + 1], 0x32
	je .in
.no:
	pop rax
	jmp exc_body
.exit:
	add qword [rsp + 24], 2
	pop rax
	add rsp, 16
	jmp svc_exit
.out:
	add qword [rsp + 24], 2
	pop rax
	add rsp, 16
	jmp svc_out
.in:
	add qword [rsp + 24], 2
	pop rax
	add rsp, 16
	jmp svc_in
