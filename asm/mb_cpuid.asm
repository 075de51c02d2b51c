; mb_cpuid.asm - a multiboot (v1) kernel that reports the CPU level the
; model presents: it exits through the debug-exit port with
; bit 0 = CPUID.1:ECX.SSE4_2, bit 1 = POPCNT, bit 2 = SSE3 (so v1 gives
; status 1 and v2 status 15), the same on both backends.
bits 32
org 0x100000

%include "include/mb_aout_header.inc"

MB_AOUT_HEADER start

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
