; mb_wild.asm - a multiboot (v1) kernel that reads and writes physical
; memory where there is no RAM: just past the end of RAM, across the end
; (an access whose first bytes are RAM and whose last are not), far above
; it, in the legacy video/BIOS hole (0xA0000-0xFFFFF, which is RAM in rax),
; at the IOAPIC (0xFEC00000) and local APIC (0xFEE00000) pages and at the
; top of the 4 GiB space; first in 32-bit protected mode with paging off,
; then in 64-bit mode (identity-mapped with 2 MiB pages up to 8 GiB).
;
; The end of RAM comes from the boot information (mem_upper). Each probe
; prints one line over COM1,
;
;   WILD: MODE NAME 0xADDRESS 0xVALUE
;
; (MODE m32: dwords, 8 digits; m64: qwords, 16 digits), the test compares
; them with what rax promises (pytest/test_hostile.py): RAM holds what was
; written; an address nothing claims reads as all ones and drops writes;
; an access across the end of RAM is RAM for its first bytes only. The
; kernel ends with "WILD: done" and debug-exit value 0 (status 1).
; Only plain instructions; no IDT (a fault would be a triple fault).

%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010002             ; memory info, a.out kludge
%define COM1 0x3f8
%define DEBUG_EXIT 0xf4

%define PATTERN 0x12345678
%define SEL_CODE64 0x08
%define SEL_DATA 0x10

bits 32
org 0x100000

image_start:
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header
	dd image_start
	dd load_end
	dd bss_end
	dd main

; ---- 32-bit probes: PROBE32 name, address register/expression ----
; R: read the dword at edi and print it
; W: write PATTERN to the dword at edi, then read and print it
%macro R32 2
	mov edi, %2
	mov esi, %1
	call read32
%endmacro
%macro W32 2
	mov edi, %2
	mov esi, %1
	mov dword [edi], PATTERN
	call read32
%endmacro

main:
	cli
	mov esp, stack_top
	mov eax, [ebx + 8]              ; mem_upper: KiB above 1 MiB
	add eax, 1024
	shl eax, 10
	mov [ram_end], eax
	mov ebp, eax                    ; ebp: the end of RAM

	mov esi, s_ram_end
	call puts
	mov eax, ebp
	call puthex
	call putnl

	; the legacy hole is RAM here
	W32 s_vga, 0xa0000
	W32 s_bios, 0xffffc
	; past the end of RAM: all ones, writes dropped
	R32 s_end_read, ebp
	W32 s_end, ebp
	lea eax, [ebp + 0x100000]
	W32 s_far, eax
	W32 s_2g, 0x80000000
	W32 s_3g, 0xc0000000
	; the IOAPIC and local APIC pages: registers that do nothing
	R32 s_ioapic, 0xfec00000
	W32 s_ioapic_rsvd, 0xfec00020
	W32 s_lapic_rsvd, 0xfee00000
	R32 s_lapic_ver, 0xfee00030
	; the top of the 4 GiB space
	W32 s_top, 0xfffffff0
	W32 s_top4, 0xfffffffc

	; a dword across the end: two bytes of RAM, two of nothing
	mov dword [ebp - 4], 0x44332211
	lea edi, [ebp - 2]
	R32 s_across_before, edi
	mov dword [ebp - 2], 0xaabbccdd
	R32 s_across, edi
	lea edi, [ebp - 4]
	R32 s_across_ram, edi
	; a word across the end
	mov word [ebp - 1], 0xbeef
	lea edi, [ebp - 4]
	R32 s_across16, edi
	movzx eax, word [ebp - 1]
	mov esi, s_across16_read
	lea edi, [ebp - 1]
	call print32

	; rep stosd over the end: RAM filled, the rest dropped
	lea edi, [ebp - 8]
	mov ecx, 4
	mov eax, 0x77777777
	cld
	rep stosd
	lea eax, [ebp - 8]
	R32 s_stos_lo, eax
	lea eax, [ebp - 4]
	R32 s_stos_hi, eax
	R32 s_stos_past, ebp
	; rep movsb from across the end into RAM
	lea esi, [ebp - 4]
	mov edi, buf
	mov ecx, 8
	rep movsb
	R32 s_movs_lo, buf
	R32 s_movs_hi, buf + 4

	call long_mode                  ; does not return

; esi: name, edi: address; reads the dword and prints the line
read32:
	mov eax, [edi]
print32:                                ; esi: name, edi: address, eax: value
	push eax
	push esi
	mov esi, s_m32
	call puts
	pop esi
	call puts
	mov al, ' '
	call putc
	mov eax, edi
	call puthex
	mov al, ' '
	call putc
	pop eax
	call puthex
	call putnl
	ret

; ---- into 64-bit mode: identity map [0, 8 GiB) with 2 MiB pages ----
long_mode:
	mov edi, pml4                   ; (bss: zero)
	mov dword [edi], pdpt + 3
	mov edi, pdpt
	mov eax, pd + 3
	xor ecx, ecx
.pdpt:
	mov [edi + ecx * 8], eax
	add eax, 0x1000
	inc ecx
	cmp ecx, 8
	jb .pdpt
	mov edi, pd                     ; 8 x 512 entries: 2 MiB each
	xor ecx, ecx
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83                    ; present, writable, 2 MiB
	mov [edi + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                     ; bits 32+ of the address
	mov [edi + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 8 * 512
	jb .pd
	lgdt [gdtr]
	mov eax, cr4
	or eax, 0x20                    ; PAE
	mov cr4, eax
	mov eax, pml4
	mov cr3, eax
	mov ecx, 0xc0000080             ; EFER.LME
	rdmsr
	or eax, 0x100
	wrmsr
	mov eax, cr0
	or eax, 0x80000000
	mov cr0, eax
	jmp SEL_CODE64:main64

bits 64
%macro R64 2
	mov rdi, %2
	lea rsi, [rel %1]
	call read64
%endmacro
%macro W64 2
	mov rdi, %2
	lea rsi, [rel %1]
	mov rax, 0x0123456789abcdef
	mov [rdi], rax
	call read64
%endmacro

main64:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, stack_top
	mov ebp, [ram_end]              ; rbp: the end of RAM (zero-extended)

	W64 s_vga, 0xa0008
	R64 s_end_read, rbp
	W64 s_end, rbp
	mov rax, 0x100000000
	W64 s_4g, rax
	mov rax, 0x1fffffff8
	W64 s_8g, rax
	R64 s_top8, 0xfffffff8
	; a qword across the end: four bytes of RAM, four of nothing
	mov rax, 0x8877665544332211
	mov [rbp - 8], rax
	lea rdi, [rbp - 4]
	mov rax, 0x0102030405060708
	mov [rdi], rax
	R64 s_across, rdi
	lea rdi, [rbp - 8]
	R64 s_across_ram, rdi
	; a qword across 4 GiB (where the RAM ends with --mem 4G if it could)
	R64 s_across_4g, 0xfffffffc

	lea rsi, [rel s_done]
	call puts64
	xor eax, eax
	out DEBUG_EXIT, al
	cli
.halt:
	hlt
	jmp .halt

read64:                                 ; rsi: name, rdi: address
	mov rax, [rdi]
	push rax
	push rsi
	lea rsi, [rel s_m64]
	call puts64
	pop rsi
	call puts64
	mov al, ' '
	call putc64
	mov rax, rdi
	call puthex64
	mov al, ' '
	call putc64
	pop rax
	call puthex64
	mov al, 10
	call putc64
	ret

putc64:                                 ; al
	push rdx
	push rax
	mov dx, COM1 + 5
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	pop rax
	mov dx, COM1
	out dx, al
	pop rdx
	ret

puts64:                                 ; rsi: NUL-terminated
	push rsi
	push rax
.next:
	mov al, [rsi]
	test al, al
	jz .end
	call putc64
	inc rsi
	jmp .next
.end:
	pop rax
	pop rsi
	ret

puthex64:                               ; rax as 0x + 16 digits
	push rcx
	push rax
	mov al, '0'
	call putc64
	mov al, 'x'
	call putc64
	mov rax, [rsp]
	mov ecx, 16
.digit:
	rol rax, 4
	push rax
	and al, 0xf
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'a' - '0' - 10
.out:
	call putc64
	pop rax
	dec ecx
	jnz .digit
	pop rax
	pop rcx
	ret

bits 32
; ---- COM1 output (32-bit) ----
%include "include/com1.inc"

	align 8
gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08 code64
	dq 0x00cf92000000ffff           ; 0x10 data
gdtr:
	dw gdtr - gdt - 1
	dd gdt

s_ram_end db "WILD: ram_end ", 0
s_m32 db "WILD: m32 ", 0
s_m64 db "WILD: m64 ", 0
s_vga db "vga", 0
s_bios db "bios", 0
s_end_read db "end-read", 0
s_end db "end", 0
s_far db "far", 0
s_2g db "2g", 0
s_3g db "3g", 0
s_4g db "4g", 0
s_8g db "8g", 0
s_ioapic db "ioapic", 0
s_ioapic_rsvd db "ioapic-rsvd", 0
s_lapic_rsvd db "lapic-rsvd", 0
s_lapic_ver db "lapic-ver", 0
s_top db "top", 0
s_top4 db "top4", 0
s_top8 db "top8", 0
s_across_before db "across-before", 0
s_across db "across", 0
s_across_ram db "across-ram", 0
s_across16 db "across16-ram", 0
s_across16_read db "across16", 0
s_across_4g db "across-4g", 0
s_stos_lo db "stos-lo", 0
s_stos_hi db "stos-hi", 0
s_stos_past db "stos-past", 0
s_movs_lo db "movs-lo", 0
s_movs_hi db "movs-hi", 0
s_done db "WILD: done", 10, 0

	align 4
load_end:

absolute 0x110000                       ; the bss (zeroed by the loader)
	resb 0x1000
stack_top:
ram_end: resd 1
buf: resb 16
	alignb 4096
pml4: resb 4096
pdpt: resb 4096
pd: resb 8 * 4096
bss_end:
