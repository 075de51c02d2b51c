; testkernel.asm - a tiny "kernel" shaped as a bzImage, for loader and
; exit-path tests on both backends.
;
; It has a valid setup header (boot protocol 2.15, XLF_KERNEL_64) and a
; 64-bit entry point at offset 0x200 of the protected-mode part. At entry
; it checks what the 64-bit boot protocol promises (RSI = zero page with
; the setup header, long mode, identity map), prints a banner, the command
; line and the initrd size over COM1, then acts on the command line:
;   (empty)/other  exit through debug-exit with value 0 (status 1)
;   halt           cli; hlt               (clean power-off, status 0)
;   reset          i8042 command 0xfe     (status 4)
;   triple         ud2 with an empty IDT (status 6; ud2, not int3: a host
;                  that emulates CPL0 code cannot emulate int3)
;   spin           loop forever           (for --timeout, status 10)
;   echo           echo COM1 input until 'q', then exit value 0
;   count          run a 2,000,000-iteration CPL0 loop, then exit value 0
;                  (times how fast a backend runs kernel-mode code)
; A failed check exits through debug-exit with value 3 (status 7).

%define COM1 0x3f8
%define DEBUG_EXIT 0xf4

bits 16
org 0
setup_start:
	times 0x1f1 - ($ - $$) db 0
	db SETUP_SECTS              ; 0x1f1 setup_sects
	dw 0                        ; 0x1f2 root_flags
	dd (kernel_end - kernel_start + 15) / 16 ; 0x1f4 syssize
	dw 0                        ; 0x1f8 ram_size
	dw 0xffff                   ; 0x1fa vid_mode
	dw 0                        ; 0x1fc root_dev
	dw 0xaa55                   ; 0x1fe boot_flag
	db 0xeb, hdr_end - 0x202    ; 0x200 jump over the header
	db "HdrS"                   ; 0x202 header
	dw 0x020f                   ; 0x206 version 2.15
	dd 0                        ; 0x208 realmode_swtch
	dw 0                        ; 0x20c start_sys_seg
	dw 0                        ; 0x20e kernel_version
	db 0                        ; 0x210 type_of_loader
	db 0x01                     ; 0x211 loadflags: LOADED_HIGH
	dw 0                        ; 0x212 setup_move_size
	dd 0x100000                 ; 0x214 code32_start
	dd 0                        ; 0x218 ramdisk_image
	dd 0                        ; 0x21c ramdisk_size
	dd 0                        ; 0x220 bootsect_kludge
	dw 0                        ; 0x224 heap_end_ptr
	db 0, 0                     ; 0x226 ext_loader_ver, ext_loader_type
	dd 0                        ; 0x228 cmd_line_ptr
	dd 0x7fffffff               ; 0x22c initrd_addr_max
	dd 0x200000                 ; 0x230 kernel_alignment
	db 0, 0                     ; 0x234 relocatable_kernel, min_alignment
	dw 0x0001                   ; 0x236 xloadflags: XLF_KERNEL_64
	dd 2047                     ; 0x238 cmdline_size
	dd 0                        ; 0x23c hardware_subarch
	dq 0                        ; 0x240 hardware_subarch_data
	dd 0, 0                     ; 0x248 payload_offset, payload_length
	dq 0                        ; 0x250 setup_data
	dq 0x100000                 ; 0x258 pref_address
	dd kernel_end - kernel_start ; 0x260 init_size
	dd 0                        ; 0x264 handover_offset
	dd 0                        ; 0x268 kernel_info_offset
hdr_end:
	align 512, db 0
SETUP_SECTS equ ($ - setup_start) / 512 - 1

kernel_start:
bits 32
	; 32-bit entry (unused by RAX): stop.
	cli
	hlt
	times 0x200 - ($ - kernel_start) db 0xcc

bits 64
entry64:
	mov rbx, rsi                        ; zero page
	cmp dword [rbx + 0x202], 'HdrS'
	jne fail
	mov rax, cr0                        ; paging and protection on
	bt eax, 31
	jnc fail
	mov ecx, 0xc0000080                 ; EFER.LMA set
	rdmsr
	bt eax, 10
	jnc fail

	lea rsi, [rel banner]
	call puts
	mov esi, [rbx + 0x228]              ; cmd_line_ptr
	mov r12, rsi
	call puts
	lea rsi, [rel nl]
	call puts
	lea rsi, [rel initrd_msg]
	call puts
	mov eax, [rbx + 0x21c]              ; ramdisk_size
	call putdec
	lea rsi, [rel nl]
	call puts

	mov rsi, r12
	lea rdi, [rel w_halt]
	call streq
	je do_halt
	lea rdi, [rel w_reset]
	call streq
	je do_reset
	lea rdi, [rel w_triple]
	call streq
	je do_triple
	lea rdi, [rel w_spin]
	call streq
	je do_spin
	lea rdi, [rel w_echo]
	call streq
	je do_echo
	lea rdi, [rel w_count]
	call streq
	je do_count
exit0:
	mov al, 0
	out DEBUG_EXIT, al
	hlt
fail:
	mov al, 3
	out DEBUG_EXIT, al
	hlt

do_halt:
	cli
	hlt
	jmp do_halt
do_reset:
	mov al, 0xfe
	out 0x64, al
	hlt
do_triple:
	lidt [rel null_idt]
	ud2
	hlt
do_spin:
	pause
	jmp do_spin
do_count:
	mov ecx, 2000000
.loop:
	dec ecx
	jnz .loop
	jmp exit0
do_echo:
	mov dx, COM1 + 5                    ; LSR: wait for data ready
.wait:
	in al, dx
	test al, 1
	jz .wait
	mov dx, COM1
	in al, dx
	cmp al, 'q'
	je exit0
	call putc
	jmp do_echo

; streq: ZF=1 when the NUL-terminated strings at rsi and rdi are equal.
streq:
	push rsi
	push rdi
.loop:
	mov al, [rsi]
	cmp al, [rdi]
	jne .done
	inc rsi
	inc rdi
	test al, al
	jnz .loop
.done:
	pop rdi
	pop rsi
	ret

; putc: write al to COM1 once the transmitter is empty.
putc:
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

; puts: write the NUL-terminated string at rsi.
puts:
	push rsi
.loop:
	mov al, [rsi]
	test al, al
	jz .done
	call putc
	inc rsi
	jmp .loop
.done:
	pop rsi
	ret

; putdec: write eax in decimal.
putdec:
	push rbx
	mov ebx, 10
	xor ecx, ecx
.div:
	xor edx, edx
	div ebx
	push rdx
	inc ecx
	test eax, eax
	jnz .div
.out:
	pop rax
	add al, '0'
	call putc
	loop .out
	pop rbx
	ret

banner:     db "RAX testkernel: 64-bit entry ok", 13, 10, "cmdline: ", 0
initrd_msg: db "initrd size: ", 0
nl:         db 13, 10, 0
w_halt:     db "halt", 0
w_reset:    db "reset", 0
w_triple:   db "triple", 0
w_spin:     db "spin", 0
w_echo:     db "echo", 0
w_count:    db "count", 0
null_idt:   dw 0
            dq 0
	align 16, db 0
kernel_end:
