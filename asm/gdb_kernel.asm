; gdb_kernel.asm - the gdb stub's test kernel (pytest/test_gdb.py).
;
; One source, two outputs: `nasm -f bin` makes the multiboot kernel (a.out
; kludge, loaded at 1 MiB) that rax boots, and `nasm -f elf64 -g -F dwarf
; -DELF` linked at 1 MiB (build: asm/gdb_kernel.elf) the ELF with the same
; bytes at the same addresses and the symbols gdb breaks on. Every address
; is absolute (no RIP-relative operands), so both outputs hold identical
; code.
;
; It enters long mode (identity map of the first GiB, 2 MiB pages), then
; calls `tick` (counter += 1, watched = counter) until the debugger sets
; `go`, and leaves through the debug-exit port with `result` plus RBX: the
; process status is ((result + rbx) << 1) | 1, so a test sees the values
; the debugger wrote. It never ends by itself.

%ifdef ELF
bits 32
section .text
global start
%else
bits 32
org 0x100000
%endif

%include "include/mb_aout_header.inc"

MB_AOUT_HEADER start

PML4 equ 0x200000 ; page tables: three pages at 2 MiB (RAM, outside the image)

start:
	cli
	mov edi, PML4
	xor eax, eax
	mov ecx, 3 * 1024
	rep stosd
	mov dword [PML4], PML4 + 0x1003
	mov dword [PML4 + 0x1000], PML4 + 0x2003
	mov edi, PML4 + 0x2000
	mov eax, 0x83                   ; present, writable, 2 MiB page
	mov ecx, 512
.pd:
	mov [edi], eax
	add eax, 0x200000
	add edi, 8
	loop .pd
	mov eax, PML4
	mov cr3, eax
	mov eax, cr4
	or eax, (1 << 5) | (1 << 9) | (1 << 10) ; PAE, OSFXSR, OSXMMEXCPT
	mov cr4, eax
	mov ecx, 0xc0000080             ; EFER.LME
	rdmsr
	or eax, 1 << 8
	wrmsr
	mov eax, cr0
	or eax, 0x80000001              ; PG, PE
	mov cr0, eax
	lgdt [gdt_ptr]
	jmp 0x08:long_mode

bits 64
long_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, stack_top
	xor ebx, ebx
main_loop:
	call tick
	cmp qword [go], 0
	je main_loop
finish:
	mov rax, [result]
	add rax, rbx
	out 0xf4, al
	cli
	hlt

tick:
	inc qword [counter]
	mov rax, [counter]
	mov [watched], rax
	ret

	align 4096                      ; data on a page of its own: writes to a page
					; with decoded code would drop that code each time
counter: dq 0
watched: dq 0
go: dq 0
result: dq 0

	align 8
gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: 64-bit code
	dq 0x00cf92000000ffff           ; 0x10: data
gdt_ptr:
	dw gdt_ptr - gdt - 1
	dd gdt

	align 16
stack:
	times 4096 db 0
stack_top:
