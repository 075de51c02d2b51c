; mb_real.asm - a multiboot (v1) test kernel that goes from 32-bit protected
; mode down to real-address mode, checks what real mode does differently,
; and comes back: what an application processor's INIT/SIPI trampoline
; and a BIOS-style call need (SDM vol. 3A 9.9 "Mode switching", 20.1
; "Real-address mode operation").
;
; The 16-bit code is copied to 0x8000 and runs there with CS = 0x0800. It
; stores what it saw in a table at RES; back in protected mode each entry
; is compared with what the CPU gives, one line each:
;
;   REAL: NAME ok                 or   REAL: NAME FAIL got 0xX want 0xY
;
; then "REAL: SUMMARY N passed, M failed" and an exit through isa-debug-exit
; with value 0 (status 1) when every check passed, 3 (status 7) otherwise.
; The checks: a selector load sets the base to selector * 16 (and an
; overlapping segment sees the same byte); FS keeps the 4 GiB limit it had
; in protected mode ("unreal" mode: a 32-bit offset beyond 64 KiB reads);
; INT n through the vector table pushes FLAGS, CS and IP (IF and TF clear
; in the handler, the flags back after IRET); #DE pushes the IP of the DIV
; itself; far CALL/RETF to another segment; far JMP; 32-bit operands with
; 66h; a push at SP = 0 wraps to SS:FFFE; LDS; and the way back to
; protected mode through CR0.PE and a far jump.
;
; `rax --backend emulator --kernel build/asm/mb_real.bin` and `rax --kernel
; build/asm/mb_real.bin` (a KVM that runs CPL0 code natively).

%define DEBUG_EXIT 0xf4
%define RM_BASE 0x8000                  ; where the 16-bit code runs (CS = 0x0800)
%define RM_SEG 0x0800
%define RES 0x7000                      ; results: one dword per check, by index
%define IVT_INT40 (0x40 * 4)
%define UNREAL_ADDR 0x200000            ; read through FS with a 32-bit offset
%define UNREAL_VALUE 0xcafef00d
%define WRAP_SS 0x2000                  ; the stack segment of the SP wrap check

%define SEL_CODE32 0x08
%define SEL_DATA32 0x10                 ; flat, 4 GiB
%define SEL_CODE16 0x18                 ; base 0, limit 0xFFFF, 16-bit
%define SEL_DATA16 0x20                 ; base 0, limit 0xFFFF

; ---- checks: index, name, what the CPU gives ----
%define C_SEGBASE 0     ; mov ds, 0x1000; mov [0x10], 0xBEEF: physical 0x10010
%define C_OVERLAP 1     ; es = 0x1001: [es:0] is the same byte
%define C_UNREAL 2      ; [fs:dword UNREAL_ADDR] with FS's limit from protected mode
%define C_INT_IP 3      ; INT 40h: the pushed IP is the next instruction's
%define C_INT_CS 4      ; ... the pushed CS
%define C_INT_FL 5      ; ... the pushed FLAGS (CF, IF set) and the handler's (IF, TF clear)
%define C_IRET_FL 6     ; FLAGS after IRET: CF and IF as before
%define C_DE_IP 7       ; #DE: the pushed IP is the DIV's
%define C_FARCALL 8     ; far CALL to 0x0700: CS there, back in 0x0800 after RETF
%define C_FARJMP 9      ; far JMP 0x0780:x lands with CS 0x0780
%define C_OP32 10       ; 66h: push eax / pop ebx keeps 32 bits
%define C_SPWRAP 11     ; push at SP = 0: SP = 0xFFFE, the word at SS:FFFE
%define C_LDS 12        ; LDS loads DS and the register; DS base follows
%define C_BACK 13       ; back in 32-bit protected mode
%define NCHECKS 14

bits 32
org 0x100000
%include "include/mb_aout_header.inc"
	MB_AOUT_HEADER main

main:
	cli
	mov esp, stack_top
	lgdt [gdtr]
	jmp SEL_CODE32:.cs
.cs:
	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov al, 0xff                    ; no 8259 interrupt may arrive in real mode
	out 0x21, al
	out 0xa1, al
	mov dword [UNREAL_ADDR], UNREAL_VALUE
	mov dword [0x10010], 0          ; (the selector * 16 check writes here)
	mov edi, RES                    ; results start zeroed
	mov ecx, NCHECKS
	xor eax, eax
	rep stosd
	mov esi, section..real.start     ; the 16-bit code, to where it runs
	mov edi, RM_BASE
	mov ecx, rm_end - RM_BASE
	rep movsb
	mov [saved_esp], esp
	sidt [pm_idtr]
	jmp SEL_CODE16:rm_enter         ; 16-bit protected mode first

back32:                                 ; from real mode, CR0.PE set again
	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, [saved_esp]
	lidt [pm_idtr]
	mov dword [RES + 4 * C_BACK], 1
	mov eax, [0x10010]              ; what real mode wrote through DS = 0x1000
	mov [RES + 4 * C_SEGBASE], eax

	; compare: table of (name, want) by index
	xor ebx, ebx
.check:
	cmp ebx, NCHECKS
	je .done
	mov esi, s_prefix
	call puts
	mov esi, [names + 4 * ebx]
	call puts
	mov eax, [RES + 4 * ebx]
	cmp eax, [wants + 4 * ebx]
	jne .bad
	mov esi, s_ok
	call puts
	inc dword [passed]
	jmp .next
.bad:
	mov esi, s_got
	call puts
	call puthex
	mov esi, s_want
	call puts
	mov eax, [wants + 4 * ebx]
	call puthex
	call putnl
	inc dword [failed]
.next:
	inc ebx
	jmp .check
.done:
	mov esi, s_summary
	call puts
	mov eax, [passed]
	call putdec
	mov esi, s_passed
	call puts
	mov eax, [failed]
	call putdec
	mov esi, s_failed
	call puts
	cmp dword [failed], 0
	mov al, 0
	je .exit
	mov al, 3
.exit:
	out DEBUG_EXIT, al
	cli
.halt:
	hlt
	jmp .halt

%include "include/com1.inc"


	align 4
names:
	dd n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12, n13
wants:
	dd 0xbeef                               ; segment base = selector * 16
	dd 0xbeef
	dd UNREAL_VALUE
	dd int_next - RM_BASE
	dd RM_SEG
	dd 0x02030003                           ; pushed FLAGS (IF, bit 1, CF) << 16 | the handler's (bit 1, CF)
	dd 0x0203
	dd de_div - RM_BASE
	dd 0x07000800
	dd 0x0780
	dd 0x89abcdef
	dd 0xfffe1234
	dd 0x5678abcd
	dd 1
n0: db "selector-sets-base", 0
n1: db "overlapping-segments", 0
n2: db "unreal-fs-limit", 0
n3: db "int-pushes-ip", 0
n4: db "int-pushes-cs", 0
n5: db "int-flags", 0
n6: db "iret-restores-flags", 0
n7: db "de-pushes-fault-ip", 0
n8: db "far-call-retf", 0
n9: db "far-jmp", 0
n10: db "operand-size-66", 0
n11: db "push-wraps-sp", 0
n12: db "lds", 0
n13: db "back-to-protected-mode", 0
s_prefix: db "REAL: ", 0
s_ok: db " ok", 10, 0
s_got: db " FAIL got ", 0
s_want: db " want ", 0
s_summary: db "REAL: SUMMARY ", 0
s_passed: db " passed, ", 0
s_failed: db " failed", 10, 0

	align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff           ; 0x08: 32-bit code, flat
	dq 0x00cf92000000ffff           ; 0x10: data, flat
	dq 0x00009a000000ffff           ; 0x18: 16-bit code, base 0, limit 0xFFFF
	dq 0x000092000000ffff           ; 0x20: 16-bit data, base 0, limit 0xFFFF
gdt_end:
gdtr:
	dw gdt_end - gdt - 1
	dd gdt
pm_idtr:
	dw 0
	dd 0
saved_esp: dd 0
passed: dd 0
failed: dd 0
	align 16
	times 1024 db 0
stack_top:

; ---- the 16-bit code, run at RM_BASE ----
section .real vstart=RM_BASE follows=.text
bits 16
rm_enter:                               ; 16-bit protected mode, CS base 0
	mov ax, SEL_DATA16
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov gs, ax                      ; FS keeps its 4 GiB limit
	lidt [rm_idtr]
	mov eax, cr0
	and eax, ~1
	mov cr0, eax                    ; real mode
	jmp RM_SEG:rm_start - RM_BASE

rm_start:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00

	; selector * 16 is the base
	mov ax, 0x1000                  ; (protected mode reads it back at 0x10010)
	mov ds, ax
	mov word [0x10], 0xbeef
	xor ax, ax
	mov ds, ax
	mov ax, 0x1001
	mov es, ax
	mov ax, [es:0]
	mov [RES + 4 * C_OVERLAP], ax

	; unreal: FS's cached limit is still 4 GiB
	xor ax, ax
	mov fs, ax
	mov eax, [fs:dword UNREAL_ADDR]
	mov [RES + 4 * C_UNREAL], eax

	; INT 40h through the vector table
	mov word [IVT_INT40], int40 - RM_BASE
	mov word [IVT_INT40 + 2], RM_SEG
	mov word [0], de_handler - RM_BASE ; #DE (vector 0)
	mov word [2], RM_SEG
	stc
	sti
	int 0x40
int_next:
	pushf
	cli
	pop ax
	and ax, 0x0203                  ; IF, bit 1, CF
	mov [RES + 4 * C_IRET_FL], ax

	; #DE: the handler sees the DIV's own IP and skips it
	xor cx, cx
	mov ax, 1
	xor dx, dx
de_div:
	div cx                          ; 2 bytes
	; far CALL to segment 0x0700 (the same bytes, 0x100 higher offsets)
	call 0x0700:far_target - RM_BASE + 0x1000
	mov bx, cs
	mov [RES + 4 * C_FARCALL], bx
	; far JMP to segment 0x0780
	jmp 0x0780:far_jmp_target - RM_BASE + 0x800
far_jmp_back:
	; 66h: 32-bit operands in real mode
	mov eax, 0x89abcdef
	push eax
	pop ebx
	mov [RES + 4 * C_OP32], ebx
	; push at SP = 0 wraps
	mov ax, WRAP_SS
	mov ss, ax
	mov sp, 0
	push word 0x1234
	mov bx, sp
	mov cx, [ss:0xfffe]
	xor ax, ax
	mov ss, ax
	mov sp, 0x7c00
	mov [RES + 4 * C_SPWRAP], cx
	mov [RES + 4 * C_SPWRAP + 2], bx
	; LDS: offset and segment from memory
	mov word [lds_ptr], 0xabcd      ; (DS = 0: offsets are linear addresses)
	mov word [lds_ptr + 2], 0x1000
	lds si, [lds_ptr]
	mov ax, [0x10]                  ; DS = 0x1000 now: 0xBEEF
	mov bx, si
	xor cx, cx
	mov ds, cx
	cmp ax, 0xbeef
	jne .lds_bad
	mov word [RES + 4 * C_LDS + 2], 0x5678
.lds_bad:
	mov [RES + 4 * C_LDS], bx

	; back to protected mode
	cli
	o32 lgdt [rm_gdtr]
	mov eax, cr0
	or eax, 1
	mov cr0, eax
	jmp dword SEL_CODE32:back32

int40:                                  ; FLAGS, CS, IP on the stack
	pushf                           ; the handler's own FLAGS, first
	push bp
	mov bp, sp
	mov ax, [bp + 2]
	and ax, 0x0303                  ; TF, IF, bit 1, CF
	mov [RES + 4 * C_INT_FL], ax
	mov ax, [bp + 4]
	mov [RES + 4 * C_INT_IP], ax
	mov ax, [bp + 6]
	mov [RES + 4 * C_INT_CS], ax
	mov ax, [bp + 8]
	and ax, 0x0203
	mov [RES + 4 * C_INT_FL + 2], ax
	pop bp
	popf
	iret

de_handler:
	push bp
	mov bp, sp
	mov ax, [bp + 2]
	mov [RES + 4 * C_DE_IP], ax
	add word [bp + 2], 2            ; skip the DIV
	pop bp
	iret

far_target:                             ; entered as 0x0700:(offset + 0x1000)
	mov ax, cs
	mov [RES + 4 * C_FARCALL + 2], ax
	retf

far_jmp_target:                         ; entered as 0x0780:(offset + 0x800)
	mov ax, cs
	mov [RES + 4 * C_FARJMP], ax
	jmp RM_SEG:far_jmp_back - RM_BASE

	align 4
lds_ptr: dw 0, 0
rm_idtr:
	dw 0x3ff                        ; the vector table at 0
	dd 0
rm_gdtr:                                ; (the protected-mode one is beyond 64 KiB)
	dw gdt_end - gdt - 1
	dd gdt
rm_end:
