; mb_cpuid.asm - a multiboot (v1) kernel that reports the CPU level the
; model presents: it exits through the debug-exit port with
; bit 0 = CPUID.1:ECX.SSE4_2, bit 1 = POPCNT, bit 2 = SSE3 (so v1 gives
; status 1 and v2 status 15), the same on both backends.
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
	mov eax, 1
	cpuid
	xor eax, eax
	bt ecx, 20                      ; SSE4.2
	adc eax, 0
	bt ecx, 23                      ; POPCNT
	jnc .no_popcnt
	or eax, 2
.no_popcnt:
	bt ecx, 0                       ; SSE3
	jnc .out
	or eax, 4
.out:
	mov dx, 0xf4
	out dx, al
.stop:
	hlt
	jmp .stop
