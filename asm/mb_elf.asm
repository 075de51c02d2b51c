; mb_elf.asm - a multiboot (v1) test kernel as an ELF32 executable, its
; headers written out by hand so that `nasm -f bin` builds it like every
; other guest program. Two PT_LOAD segments: the code at 2 MiB, and at
; 3 MiB a data segment whose bss (p_memsz > p_filesz) overlies bytes the
; file holds after the segment's data: a loader must zero them, not copy
; them. The multiboot header has no a.out kludge, so the ELF headers say
; where things go. Body and output: mb_common.inc.

%define KIND "elf"
%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00000003             ; page-aligned modules, memory info

TEXT_ADDR equ 0x200000
DATA_ADDR equ 0x300000
DATA_OFF equ 0x1000                     ; file offset of the data segment
BSS_SIZE equ 0x2000

bits 32
section .text start=0 vstart=TEXT_ADDR
ehdr:
	db 0x7f, "ELF", 1, 1, 1, 0      ; ELFCLASS32, little-endian, version 1
	times 8 db 0
	dw 2                            ; e_type: ET_EXEC
	dw 3                            ; e_machine: EM_386
	dd 1                            ; e_version
	dd mb_main                      ; e_entry
	dd phdrs - ehdr                 ; e_phoff
	dd 0                            ; e_shoff: no sections
	dd 0                            ; e_flags
	dw 52                           ; e_ehsize
	dw 32                           ; e_phentsize
	dw 2                            ; e_phnum
	dw 40                           ; e_shentsize
	dw 0, 0                         ; e_shnum, e_shstrndx
phdrs:
	; p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align
	dd 1, 0, TEXT_ADDR, TEXT_ADDR, text_end - ehdr, text_end - ehdr, 5, 0x1000
	dd 1, DATA_OFF, DATA_ADDR, DATA_ADDR, data_end - data_start, data_end - data_start + BSS_SIZE, 6, 0x1000

	align 4
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)

; the data segment is where its program header says
image_check:
	mov esi, elf_data
	cmp dword [esi], "MB: "
	jne .bad
	jmp puts
.bad:
	mov esi, f_data
	jmp fail

%include "mb_common.inc"
f_data db "ELF data segment not at its p_paddr", 0
text_end:

section .data start=DATA_OFF vstart=DATA_ADDR
data_start:
elf_data db "MB: elf data segment ok", 10, 0
	align 4
data_end:

section .trailer follows=.data
	times 64 db 0xee                ; in the file after the data: the bss reads as zero

BSS_START equ data_end
BSS_CHECK equ 64
STACK_TOP equ data_end + BSS_SIZE
