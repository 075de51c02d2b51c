; mb_aout.asm - a multiboot (v1) test kernel in the a.out kludge format: a
; flat binary whose header (flag bit 16) gives the load addresses. It is
; loaded at 1 MiB; the file ends with bytes that are not loaded
; (load_end_addr stops before them) and lie where the bss goes, so a loader
; that copies them instead of zeroing the bss is caught. Body and output:
; mb_common.inc. Runs under `rax --kernel` and `qemu-system-x86_64 -kernel`.

%define KIND "aout"
%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010003             ; page-aligned modules, memory info, a.out kludge

bits 32
org 0x100000

image_start:
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header                    ; header_addr
	dd image_start                  ; load_addr
	dd load_end                     ; load_end_addr
	dd BSS_END                      ; bss_end_addr
	dd mb_main                      ; entry_addr

image_check:
	ret

%include "mb_common.inc"

	align 4
load_end:
	times 64 db 0xee                ; in the file, not loaded: the bss reads as zero

BSS_START equ load_end
BSS_CHECK equ 64
BSS_END equ load_end + 0x2000
STACK_TOP equ BSS_END
