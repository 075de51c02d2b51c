; mb_ap.asm - a multiboot (v1) kernel whose application processors do one
; thing the command line names: the exit paths of a multiprocessor run
; (pytest/test_kvm_smp.py). 32-bit protected mode, no paging.
;
; Command line (after the file name): MODE N. The BSP copies a real-mode
; start-up routine to 0x7000, sends INIT and then SIPI twice (vector 7) to
; all CPUs but itself through its local APIC, and waits until N APs have
; counted themselves in (LOCK INC), then prints "AP: N in". Each AP, in
; real mode, counts itself in and then, by MODE:
;   exit     writes 5 to the debug-exit port: status 11
;   triple   loads an empty IDT and runs ud2: a triple fault on that AP
;            (status 6; a host that emulates CPL0 code cannot emulate ud2
;            and says so, status 8)
;   hlt      cli; hlt. The BSP, once all are in, does the same: every CPU
;            halted for good, a power-off (status 0)
;   spin     spins with PAUSE. The BSP, once all are in, does cli; hlt:
;            not a power-off while the APs run (only --timeout or a
;            signal ends it)
;   idle     sti; hlt forever; the BSP too (only --timeout or a signal)
; In the exit and triple modes the BSP spins after its greeting, so only
; an AP can end the run. Any other MODE: the APs are never started and
; the BSP halts with cli; hlt at once (status 0).
bits 32
org 0x100000

%include "include/mb_aout_header.inc"

%define COM1 0x3f8
%define APIC_ICR 0xfee00300
%define ICR_BUSY 0x1000
%define ICR_INIT_OTHERS 0xc4500         ; INIT, assert, all excluding self
%define ICR_SIPI_OTHERS 0xc4600         ; SIPI, assert, all excluding self
%define TRAMP 0x7000                    ; the APs' start-up page: SIPI vector 7
%define MODE 0x7f00                     ; byte: the mode's first letter
%define COUNT 0x7f04                    ; dword: APs counted in
%define IDT0 0x7f10                     ; 6 bytes: an empty IDT (limit 0)
%define MB_CMDLINE 16                   ; offset in the multiboot information

MB_AOUT_HEADER start

start:
	cld
	mov esp, stack_top
	mov esi, [ebx + MB_CMDLINE]
	; skip the file name: the mode starts after the first space
.skip:
	lodsb
	test al, al
	jz .bare
	cmp al, ' '
	jne .skip
	mov al, [esi]
	mov [MODE], al
	; N: the number after the mode word
.word:
	lodsb
	test al, al
	jz .no_n
	cmp al, ' '
	jne .word
	jmp .n
.no_n:
	dec esi                         ; N = 0: [esi] is the terminator
.n:
	xor ecx, ecx
.digit:
	movzx eax, byte [esi]
	sub eax, '0'
	cmp eax, 9
	ja .parsed
	imul ecx, ecx, 10
	add ecx, eax
	inc esi
	jmp .digit
.parsed:
	mov [want], ecx
	mov al, [MODE]
	cmp al, 'e'
	je .start_aps
	cmp al, 't'
	je .start_aps
	cmp al, 'h'
	je .start_aps
	cmp al, 's'
	je .start_aps
	cmp al, 'i'
	je .start_aps
.bare:
	cli
	hlt
	jmp .bare

.start_aps:
	mov esi, tramp
	mov edi, TRAMP
	mov ecx, tramp_end - tramp
	rep movsb
	mov dword [COUNT], 0
	mov dword [IDT0], 0
	mov word [IDT0 + 4], 0
	mov eax, ICR_INIT_OTHERS
	call send_ipi
	mov eax, ICR_SIPI_OTHERS | (TRAMP >> 12)
	call send_ipi
	mov eax, ICR_SIPI_OTHERS | (TRAMP >> 12)
	call send_ipi
.wait:
	pause
	mov eax, [COUNT]
	cmp eax, [want]
	jb .wait
	mov esi, msg_in
	call print
	mov al, [MODE]
	cmp al, 'i'
	je .idle
	cmp al, 'h'
	je .bare
	cmp al, 's'
	je .bare
.spin:
	pause
	jmp .spin
.idle:
	sti
	hlt
	jmp .idle

; eax: ICR low word; waits for the delivery to finish
send_ipi:
	mov [APIC_ICR], eax
.busy:
	test dword [APIC_ICR], ICR_BUSY
	jnz .busy
	ret

print:
	mov dx, COM1
.next:
	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:
	ret

; The APs' start-up code, copied to TRAMP: real mode, CS = TRAMP >> 4,
; position-independent (relative jumps, absolute data below 64 KiB).
bits 16
tramp:
	cli
	xor ax, ax
	mov ds, ax
	lock inc dword [COUNT]
	mov al, [MODE]
	cmp al, 'e'
	je .exit
	cmp al, 't'
	je .triple
	cmp al, 'h'
	je .halt
	cmp al, 'i'
	je .idle
.spin:
	pause
	jmp .spin
.exit:
	mov al, 5
	out 0xf4, al
	jmp .halt
.triple:
	lidt [IDT0]
	ud2                             ; #UD, which an empty IDT cannot deliver
.idle:
	sti
	hlt
	jmp .idle
.halt:
	cli
	hlt
	jmp .halt
tramp_end:
bits 32

msg_in: db "AP: all in", 10, 0
align 4
want: dd 0
stack: times 256 db 0
stack_top:
