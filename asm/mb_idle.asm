; mb_idle.asm - a multiboot (v1) kernel that prints "idle" on COM1 and then
; halts with interrupts enabled and no timer programmed, forever: only a
; stop from outside ends it (signals, --timeout), and an idle CPU must
; sleep on the host meanwhile.
bits 32
org 0x100000

%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010000             ; a.out kludge

image_start:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd image_start                  ; header_addr
	dd image_start                  ; load_addr
	dd 0                            ; load_end_addr: the whole file
	dd 0                            ; bss_end_addr: none
	dd start                        ; entry_addr

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
