; mb_idle.asm - a multiboot (v1) kernel that prints "idle" on COM1 and then
; halts with interrupts enabled and no timer programmed, forever: only a
; stop from outside ends it (signals, --timeout), and an idle CPU must
; sleep on the host meanwhile.
bits 32
org 0x100000

%include "include/mb_aout_header.inc"

MB_AOUT_HEADER start

start:
	mov esi, banner
	mov dx, 0x3f8
.print:
	lodsb
	test al, al
	jz .idle
	out dx, al
	jmp .print
.idle:
	sti
	hlt
	jmp .idle

banner: db "idle", 10, 0
