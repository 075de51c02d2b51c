; mb_wrap.asm - a multiboot (v1) test kernel that checks what a data access
; does at the top of the 4 GiB linear address space in 32-bit protected
; mode: with paging off, with 2-level paging and with PAE paging.
;
; Per mode it prints one line per probe over COM1,
;
;   WRAP: MODE PROBE 0xVALUE ok          (or "#GP ok", or "... FAIL want X")
;
; (only the paging-off probes when the command line holds "nopaging") and
; finally "WRAP: done N failed", then exits through isa-debug-exit with
; value 0 (status 1) when every probe gave the architectural (AMD) result,
; 3 (status 7) otherwise. What is expected:
;
; - The segment-limit check covers every byte of the access, also for a
;   4 GiB limit: a dword at offset 0xFFFFFFFD..0xFFFFFFFF of a flat segment
;   is #GP(0) (AMD; the SDM calls it implementation-specific, see
;   "Limit Checking").
; - Linear addresses are 32 bits: base + offset past 0xFFFFFFFF wraps to
;   linear 0, byte by byte, also in the middle of one access.
;
; Linear 0xFFFFF000 maps (paging on) to a page whose last bytes are
; AC AD AE AF, linear 0 to one that starts 10 11 12 13; with paging off
; linear 0 is physical 0 (the same bytes are put there) and 0xFFFFFFFx is
; unassigned (reads as 0xFF, writes are dropped).
;
; `rax --kernel build/asm/mb_wrap.bin` and `rax --backend emulator --kernel
; build/asm/mb_wrap.bin`. Only plain 32-bit instructions.

%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010002             ; memory info, a.out kludge
%define COM1 0x3f8
%define DEBUG_EXIT 0xf4

%define PAGE_LO 0x200000                ; linear 0 with paging on
%define PAGE_HI 0x201000                ; linear 0xFFFFF000 with paging on
%define PD2 0x300000                    ; 2-level: page directory
%define PT2_LO 0x301000                 ;          table for linear 0-4 MiB
%define PT2_HI 0x302000                 ;          table for the top 4 MiB
%define PDPT 0x303000                   ; PAE: PDPT, PDs and tables
%define PD_LO 0x304000
%define PD_HI 0x305000
%define PT_LO 0x306000
%define PT_HI 0x307000

%define SEL_CODE 0x08
%define SEL_DATA 0x10                   ; flat
%define SEL_B10 0x18                    ; base 0x10, limit 4 GiB
%define SEL_TOP 0x20                    ; base 0xFFFFF000, limit 0x1FFF
%define SEL_RO 0x28                     ; flat, read-only

%define GP 0xeeee000d                   ; a probe's result when it faulted: 0xEEEE0000 | vector

bits 32
org 0x100000

image_start:
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header
	dd image_start
	dd 0                            ; load_end_addr: the whole file
	dd bss_end
	dd main

main:
	cli
	mov esp, stack_top
	call want_paging
	mov [paging], al
	lgdt [gdtr]
	jmp SEL_CODE:.cs
.cs:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	call idt_setup
	lidt [idtr]
	call pages_setup

	mov esi, s_off
	mov dword [mode_hi], 0xffffffff  ; linear 0xFFFFFFFC.. unassigned
	call probes
	cmp byte [paging], 0
	je .end

	mov eax, PD2                    ; 2-level paging
	mov cr3, eax
	mov eax, cr0
	or eax, 0x80000000
	mov cr0, eax
	mov esi, s_pg2
	mov dword [mode_hi], 0xafaeadac
	call probes
	mov eax, cr0
	and eax, 0x7fffffff
	mov cr0, eax

	mov eax, cr4                    ; PAE paging
	or eax, 0x20
	mov cr4, eax
	mov eax, PDPT
	mov cr3, eax
	mov eax, cr0
	or eax, 0x80000000
	mov cr0, eax
	mov esi, s_pae
	call probes
	mov eax, cr0
	and eax, 0x7fffffff
	mov cr0, eax

.end:
	mov esi, s_done
	call puts
	mov eax, [failed]
	call putdec
	mov esi, s_failed
	call puts
	xor eax, eax
	cmp dword [failed], 0
	je .exit
	mov al, 3
.exit:
	out DEBUG_EXIT, al
	cli
.halt:
	hlt
	jmp .halt

; PROBE name, selector, offset: read the dword at selector:offset (FS), print
; it (or the fault) and compare with edx.
%macro PROBE 3
	mov esi, %1
	mov ax, %2
	mov ecx, %3
	call probe
%endmacro

; ---- the probes of one mode (esi: its name); [mode_hi]: the dword at linear 0xFFFFFFFC ----
probes:
	mov [mode_name], esi
	mov dword [0], 0x13121110       ; physical 0 (paging off) ...
	mov dword [PAGE_LO], 0x13121110 ; ... and the page at linear 0 (paging on)

	; the last dword of a flat segment: no fault
	mov edx, [mode_hi]
	PROBE s_p1, SEL_DATA, 0xfffffffc
	; dwords past the 4 GiB limit: #GP(0)
	mov edx, GP
	PROBE s_p2, SEL_DATA, 0xffffffff
	PROBE s_p3, SEL_DATA, 0xfffffffd
	PROBE s_p4, SEL_RO, 0xffffffff
	; base 0x10: linear 0xFFFFFFFE 0xFFFFFFFF 0 1
	mov edx, [mode_hi]
	shr edx, 16
	or edx, 0x11100000
	PROBE s_p5, SEL_B10, 0xffffffee
	; base 0x10 + 0xFFFFFFF0 = linear 0
	mov edx, 0x13121110
	PROBE s_p6, SEL_B10, 0xfffffff0
	; base 0xFFFFF000: across 4 GiB, at linear 0, and past the limit 0x1FFF
	mov edx, [mode_hi]
	shr edx, 16
	or edx, 0x11100000
	PROBE s_p7, SEL_TOP, 0xffe
	mov edx, 0x13121110
	PROBE s_p8, SEL_TOP, 0x1000
	mov edx, GP
	PROBE s_p9, SEL_TOP, 0x1ffd

	; a write across 4 GiB: its upper half lands at linear 0
	mov ax, SEL_B10
	mov fs, ax
	mov dword [fs:0xffffffee], 0x44332211
	mov ax, SEL_DATA
	mov fs, ax
	mov edx, 0x13124433
	PROBE s_p10, SEL_DATA, 0
	mov dword [0], 0x13121110
	mov dword [PAGE_LO], 0x13121110
	mov dword [PAGE_HI + 0xffc], 0xafaeadac
	ret

probe:
	push edx
	mov fs, ax
	mov [probe_esp], esp
	mov dword [probe_resume], .done
	mov eax, [fs:ecx]
.done:                                  ; eax: the dword or 0xEEEE0000 | vector
	mov cx, SEL_DATA
	mov fs, cx
	pop edx
	push eax
	push esi
	mov esi, s_wrap
	call puts
	mov esi, [mode_name]
	call puts
	mov al, ' '
	call putc
	pop esi
	call puts
	mov al, ' '
	call putc
	pop eax
	call putval
	cmp eax, edx
	jne .bad
	mov esi, s_ok
	call puts
	ret
.bad:
	inc dword [failed]
	mov esi, s_bad
	call puts
	mov eax, edx
	call putval
	call putnl
	ret

; al = 0 when the command line (multiboot information in ebx) holds "nopaging"
want_paging:
	mov al, 1
	test byte [ebx], 4              ; flags bit 2: cmdline
	jz .ret
	mov esi, [ebx + 16]
.at:
	cmp byte [esi], 0
	je .ret
	mov edi, s_nopaging
	xor ecx, ecx
.cmp:
	mov dl, [edi + ecx]
	test dl, dl
	jz .found
	cmp dl, [esi + ecx]
	jne .next
	inc ecx
	jmp .cmp
.next:
	inc esi
	jmp .at
.found:
	xor al, al
.ret:
	ret

; ---- exceptions: every vector ends the probe with 0xEEEE0000 | vector ----
idt_setup:
	mov edi, idt
	mov ebx, handlers
	xor ecx, ecx
.gate:
	mov eax, ebx
	mov [edi], ax                   ; offset 15:0
	mov word [edi + 2], SEL_CODE
	mov word [edi + 4], 0x8e00      ; present 32-bit interrupt gate, DPL 0
	shr eax, 16
	mov [edi + 6], ax
	add edi, 8
	add ebx, HANDLER_SIZE
	inc ecx
	cmp ecx, 32
	jne .gate
	ret

handlers:
%assign v 0
%rep 32
	mov eax, 0xeeee0000 + v
	jmp near fault
%assign v v + 1
%endrep
HANDLER_SIZE equ (fault - handlers) / 32

fault:
	mov esp, [probe_esp]
	jmp [probe_resume]

; ---- page tables for both paging modes ----
pages_setup:
	mov edi, PAGE_HI                ; A0.. with AC AD AE AF at the end
	mov ecx, 0x1000
	mov al, 0xa0
	rep stosb
	mov dword [PAGE_HI + 0xffc], 0xafaeadac
	mov edi, PD2                    ; clear all the tables
	mov ecx, (PT_HI + 0x1000 - PD2) / 4
	xor eax, eax
	rep stosd
	; 2-level: linear 0-4 MiB identity except page 0; the top page
	mov dword [PD2], PT2_LO | 3
	mov dword [PD2 + 4 * 1023], PT2_HI | 3
	mov edi, PT2_LO
	mov eax, 3
.pt2:
	mov [edi], eax
	add eax, 0x1000
	add edi, 4
	cmp edi, PT2_LO + 0x1000
	jne .pt2
	mov dword [PT2_LO], PAGE_LO | 3
	mov dword [PT2_HI + 4 * 1023], PAGE_HI | 3
	; PAE: linear 0-4 MiB identity except page 0; the top page
	mov dword [PDPT], PD_LO | 1
	mov dword [PDPT + 8 * 3], PD_HI | 1
	mov dword [PD_LO], PT_LO | 3
	mov dword [PD_LO + 8], 0x200000 | 0x83 ; 2-4 MiB: one 2 MiB page (the test pages and tables)
	mov dword [PD_HI + 8 * 511], PT_HI | 3
	mov edi, PT_LO
	mov eax, 3
.pt:
	mov [edi], eax
	add eax, 0x1000
	add edi, 8
	cmp edi, PT_LO + 0x1000
	jne .pt
	mov dword [PT_LO], PAGE_LO | 3
	mov dword [PT_HI + 8 * 511], PAGE_HI | 3
	ret

; ---- COM1 output ----
%include "include/com1.inc"

putval:                                 ; eax: "#GP" etc. for a fault, else 0xXXXXXXXX
	push eax
	push ecx
	mov ecx, eax
	and ecx, 0xffff0000
	cmp ecx, 0xeeee0000
	jne .hex
	mov al, '#'
	call putc
	mov ecx, [esp + 4]
	and ecx, 0xff
	mov esi, s_vec
.find:
	cmp byte [esi], 0
	je .num
	cmp [esi], cl
	je .name
	add esi, 4
	jmp .find
.name:
	inc esi
	mov ecx, 2
.nc:
	mov al, [esi]
	call putc
	inc esi
	loop .nc
	jmp .end
.num:
	mov eax, [esp + 4]
	and eax, 0xff
	call putdec
	jmp .end
.hex:
	mov ecx, eax
	mov al, '0'
	call putc
	mov al, 'x'
	call putc
	mov eax, ecx
	mov ecx, 8
.digit:
	rol eax, 4
	push eax
	and al, 0xf
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'a' - '0' - 10
.out:
	call putc
	pop eax
	loop .digit
.end:
	pop ecx
	pop eax
	ret

; ---- data ----
	align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff           ; 0x08 code32, flat
	dq 0x00cf92000000ffff           ; 0x10 data32, flat
	dq 0x00cf92000010ffff           ; 0x18 data32, base 0x10, limit 4 GiB
	dq 0xff4092fff0001fff           ; 0x20 data32, base 0xFFFFF000, limit 0x1FFF (bytes)
	dq 0x00cf90000000ffff           ; 0x28 data32, flat, read-only
gdt_end:
gdtr:
	dw gdt_end - gdt - 1
	dd gdt
idtr:
	dw 32 * 8 - 1
	dd idt

s_wrap: db "WRAP: ", 0
s_off: db "off", 0
s_pg2: db "pg2", 0
s_pae: db "pae", 0
s_p1: db "flat-dword-at-fffffffc", 0
s_p2: db "flat-dword-at-ffffffff", 0
s_p3: db "flat-dword-at-fffffffd", 0
s_p4: db "readonly-dword-at-ffffffff", 0
s_p5: db "base10-dword-across-4g", 0
s_p6: db "base10-dword-at-linear-0", 0
s_p7: db "basetop-dword-across-4g", 0
s_p8: db "basetop-dword-at-linear-0", 0
s_p9: db "basetop-dword-past-limit", 0
s_p10: db "write-across-4g-upper-half", 0
s_ok: db " ok", 10, 0
s_bad: db " FAIL want ", 0
s_done: db "WRAP: done ", 0
s_failed: db " failed", 10, 0
s_vec: db 12, "SS ", 13, "GP ", 14, "PF ", 0
s_nopaging: db "nopaging", 0

	align 16
image_end:
idt equ image_end
failed equ idt + 32 * 8
mode_name equ failed + 4
mode_hi equ failed + 8
probe_esp equ failed + 12
probe_resume equ failed + 16
paging equ failed + 20
bss_end equ image_end + 0x3000
stack_top equ bss_end
