; mb_apic.asm - a multiboot (v1) test kernel that checks the local APIC and
; the I/O APIC from inside, the same way on both backends: the interpreter's
; models (src/devices/lapic.c, ioapic.c) and KVM's in-kernel APIC, which is
; the reference.
;
; It switches to 64-bit mode (identity map of the low 4 GiB, so the APIC
; pages are reachable; CR8 exists only there), installs an IDT whose
; handlers log every vector, and checks:
;
;   reset state   IA32_APIC_BASE, ID, version, SVR, LVTs, DFR, TPR/PPR, the
;                 I/O APIC's ID, version and masked redirection entries
;   IPIs          self IPIs through the ICR (fixed, shorthands self/all/
;                 all-but-self, physical and logical destinations,
;                 broadcast), NMI with its blocking until IRET, INIT and
;                 SIPI to the (absent) other CPUs
;   priorities    the order of pending vectors, nesting of a higher class
;                 in a handler, a same or lower class held until EOI, PPR,
;                 TPR and CR8 blocking
;   timer         one-shot (woken from HLT), periodic, masked, stopped,
;                 TSC-deadline (IA32_TSC_DEADLINE, TMICT ignored)
;   I/O APIC      the PIT on pin 2 (the interrupt source override), nothing
;                 on pin 0; the UART on pin 4 edge-triggered, and level-
;                 triggered with remote IRR and the EOI broadcast sending
;                 again while the line stays high; masking; logical and
;                 lowest-priority destinations; writing an entry as edge
;                 clears remote IRR
;   8259          through LINT0 (ExtINT) while the I/O APIC pin is masked,
;                 and not with LINT0 masked
;   x2APIC        the MSRs, 32-bit ID, LDR, SELF IPI, 64-bit ICR, #GP for
;                 read-only, write-only and absent registers and for bits
;                 63:32, no MMIO, the mode transitions of IA32_APIC_BASE
;
; Output over COM1: "APIC: FAIL name got 0x.. want 0x.." for each failed
; check, then "APIC: SUMMARY N passed, M failed", and isa-debug-exit with
; value 0 (status 1) when all passed, 3 (status 7) otherwise; an unexpected
; exception prints "APIC: FAIL exception 0x.." and exits with 3.

%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010000             ; a.out kludge
%define COM1 0x3f8
%define DEBUG_EXIT 0xf4
%define APIC 0xfee00000
%define IOAPIC 0xfec00000

%define SEL_CODE64 0x08
%define SEL_DATA 0x10
%define SEL_CODE32 0x18

; local APIC registers
%define ID 0x20
%define LVR 0x30
%define TPR 0x80
%define PPR 0xa0
%define EOI 0xb0
%define LDR 0xd0
%define DFR 0xe0
%define SVR 0xf0
%define ISR 0x100
%define TMR 0x180
%define IRR 0x200
%define ESR 0x280
%define ICR 0x300
%define ICR2 0x310
%define LVTT 0x320
%define LVTTHERM 0x330
%define LVTPC 0x340
%define LVT0 0x350
%define LVT1 0x360
%define LVTERR 0x370
%define TMICT 0x380
%define TMCCT 0x390
%define TDCR 0x3e0

%define EOI_NONE 0
%define EOI_LAPIC 1
%define EOI_PIC 2
%define EOI_X2APIC 3

%define WAIT_TSC 400000000              ; give up waiting for an interrupt after this many TSC ticks
%define QUIET_TSC 10000000              ; "nothing arrives" means nothing within this many

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
	dd main32

main32:
	cli
	mov esp, stack_top
	mov [mb_info], ebx
	lgdt [gdtr]
	jmp SEL_CODE32:.cs
.cs:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	; identity map 0-4 GiB with 2 MiB pages: PML4 -> PDPT -> 4 PDs
	mov edi, pml4
	xor eax, eax
	mov ecx, 6 * 4096 / 4
	rep stosd
	mov dword [pml4], pdpt + 3
	mov dword [pdpt], pd + 3
	mov dword [pdpt + 8], pd + 0x1000 + 3
	mov dword [pdpt + 16], pd + 0x2000 + 3
	mov dword [pdpt + 24], pd + 0x3000 + 3
	mov edi, pd
	mov eax, 0x83                   ; present, writable, 2 MiB
	xor edx, edx
	mov ecx, 2048
.pd:
	mov [edi], eax
	mov [edi + 4], edx
	add eax, 0x200000
	adc edx, 0
	add edi, 8
	loop .pd
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
	or eax, 0x80000001
	mov cr0, eax
	jmp SEL_CODE64:main64

bits 64

; ---- output ----
%include "include/com1.inc"

; check_eq: rsi = name, eax = got, edx = want
check_eq:
	cmp eax, edx
	jne .bad
	inc dword [passed]
	ret
.bad:
	inc dword [failed]
	push rsi
	mov rsi, s_fail
	call puts
	pop rsi
	call puts
	mov rsi, s_got
	call puts
	call puthex
	mov rsi, s_want
	call puts
	mov eax, edx
	call puthex
	mov al, 10
	call putc
	ret

; CHECK "name", got, want
%macro CHECK 3
	mov eax, %2
	mov edx, %3
	mov rsi, %%name
	call check_eq
	jmp %%skip
%%name: db %1, 0
%%skip:
%endmacro

; CHECK_GE "name", got, min: got >= min (a count of interrupts that may run ahead)
%macro CHECK_GE 3
	mov eax, %2
	cmp eax, %3
	setae al
	movzx eax, al
	CHECK %1, eax, 1
%endmacro

; ---- time, waiting ----
tsc:                                    ; rax = TSC
	push rdx
	rdtsc
	shl rdx, 32
	or rax, rdx
	pop rdx
	ret

; wait_for: with interrupts enabled, until the dword at rdi reaches esi or
; WAIT_TSC passes; returns eax = the dword (interrupts disabled again)
wait_for:
	push rbx
	call tsc
	mov rbx, rax
.l:
	sti
	nop
	cmp [rdi], esi
	jae .done
	call tsc
	sub rax, rbx
	cmp rax, WAIT_TSC
	jb .l
.done:
	cli
	mov eax, [rdi]
	pop rbx
	ret

; quiet: interrupts enabled for QUIET_TSC ticks
quiet:
	push rbx
	call tsc
	mov rbx, rax
	sti
.l:
	nop
	call tsc
	sub rax, rbx
	cmp rax, QUIET_TSC
	jb .l
	cli
	pop rbx
	ret

; clear_log: forget logged vectors and counts
clear_log:
	push rdi
	push rcx
	push rax
	mov rdi, counts
	mov ecx, 256
	xor eax, eax
	rep stosd
	mov dword [log_n], 0
	mov qword [log], 0
	mov qword [log + 8], 0
	pop rax
	pop rcx
	pop rdi
	ret

; the logged vectors as one dword: log[0] | log[1] << 8 | ...
%define LOG4 dword [log]

; ---- I/O APIC ----
io_rd:                                  ; edi = register -> eax
	mov [r14], edi
	mov eax, [r14 + 0x10]
	ret

io_wr:                                  ; edi = register, esi = value
	mov [r14], edi
	mov [r14 + 0x10], esi
	ret

; REDIR pin, low, high
%macro REDIR 3
	mov edi, 0x10 + 2 * (%1) + 1
	mov esi, %3
	call io_wr
	mov edi, 0x10 + 2 * (%1)
	mov esi, %2
	call io_wr
%endmacro

%macro REDIR_LO 1
	mov edi, 0x10 + 2 * (%1)
	call io_rd
%endmacro

; ---- IRR/ISR/TMR bit of a vector ----
%macro APIC_BIT 2                       ; register base, vector -> eax = 0/1
	mov eax, [r15 + %1 + ((%2) / 32) * 16]
	shr eax, (%2) % 32
	and eax, 1
%endmacro

; ---- x2APIC MSR access ----
rdmsr_g:                                ; ecx = MSR -> edx:eax, [gp_count] counts a #GP
	xor eax, eax
	xor edx, edx
	rdmsr
	ret

wrmsr_g:                                ; ecx = MSR, edx:eax = value
	wrmsr
	ret

; ---- the interrupt handlers ----
%include "include/idt_stubs.inc"

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	mov eax, [rsp + 80]             ; vector
	cmp eax, 13
	je .gp
	cmp eax, 2
	je .log
	cmp eax, 32
	jb .unexpected
.log:
	mov ecx, [log_n]
	cmp ecx, 16
	jae .nolog
	mov [log + rcx], al
	inc dword [log_n]
.nolog:
	inc dword [counts + rax * 4]
	mov rcx, [hook]
	test rcx, rcx
	jz .eoi
	mov edi, eax
	call rcx
	mov eax, [rsp + 80]
.eoi:
	cmp eax, 2
	je .out                         ; NMI: no EOI
	mov cl, [eoi_mode]
	cmp cl, EOI_LAPIC
	jne .pic
	mov dword [r15 + EOI], 0
	jmp .out
.pic:
	cmp cl, EOI_PIC
	jne .x2
	mov al, 0x20
	out 0x20, al
	jmp .out
.x2:
	cmp cl, EOI_X2APIC
	jne .out
	mov ecx, 0x80b
	xor eax, eax
	xor edx, edx
	wrmsr
.out:
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16
	iretq
.gp:                                    ; the probes' RDMSR/WRMSR (2 bytes): skip it
	inc dword [gp_count]
	add qword [rsp + 80 + 16], 2
	jmp .out
.unexpected:
	mov rsi, s_exc
	call puts
	call puthex
	mov rsi, s_at
	call puts
	mov rax, [rsp + 80 + 16]
	call puthex
	mov al, 10
	call putc
	mov al, 3
	out DEBUG_EXIT, al
	cli
	hlt

; set_cr8: eax = CR8; with "nocr8" on the command line through TPR instead
; (QEMU 7.2's TCG aborts on a nested guest's MOV to CR8 while a virtual
; interrupt is pending, so the nested-KVM test passes it)
set_cr8:
	cmp byte [no_cr8], 0
	jne .tpr
	mov cr8, rax
	ret
.tpr:
	shl eax, 4
	mov [r15 + TPR], eax
	ret

; the multiboot command line: "nocr8" sets no_cr8
parse_cmdline:
	mov ebx, [mb_info]
	test dword [rbx], 4             ; flags: cmdline present
	jz .r
	mov esi, [rbx + 16]
.scan:
	cmp byte [rsi], 0
	je .r
	cmp dword [rsi], 'nocr'
	jne .next
	cmp byte [rsi + 4], '8'
	jne .next
	mov byte [no_cr8], 1
	ret
.next:
	inc rsi
	jmp .scan
.r:
	ret

; ---- main ----
main64:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, stack_top
	mov r15, APIC
	mov r14, IOAPIC
	; the IDT: 256 interrupt gates
	mov rdi, idt
	mov rsi, stub_table
	mov ecx, 256
.gate:
	mov rax, [rsi]
	mov word [rdi], ax
	mov word [rdi + 2], SEL_CODE64
	mov word [rdi + 4], 0x8e00
	shr rax, 16
	mov word [rdi + 6], ax
	shr rax, 16
	mov dword [rdi + 8], eax
	mov dword [rdi + 12], 0
	add rdi, 16
	add rsi, 8
	loop .gate
	lidt [idtr]
	mov rsi, s_banner
	call puts
	call parse_cmdline
	; the 8259s: initialised (vectors 0x20 / 0x28) and masked
	mov al, 0x11
	out 0x20, al
	out 0xa0, al
	mov al, 0x20
	out 0x21, al
	mov al, 0x28
	out 0xa1, al
	mov al, 4
	out 0x21, al
	mov al, 2
	out 0xa1, al
	mov al, 1
	out 0x21, al
	out 0xa1, al
	mov al, 0xff
	out 0x21, al
	out 0xa1, al

	call t_reset
	call t_regs
	call t_ipi
	call t_priorities
	call t_tpr
	call t_nmi
	call t_timer
	call t_tsc_deadline
	call t_ioapic_regs
	call t_pit
	call t_uart
	call t_destinations
	call t_pic
	call t_x2apic

	mov rsi, s_summary
	call puts
	mov eax, [passed]
	call putdec
	mov rsi, s_passed
	call puts
	mov eax, [failed]
	call putdec
	mov rsi, s_failed
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

; ---- reset state ----
t_reset:
	mov ecx, 0x1b
	rdmsr
	mov [msr_hi], edx
	CHECK "apic-base", eax, APIC | 0x900
	CHECK "apic-base-hi", [msr_hi], 0
	CHECK "id", [r15 + ID], 0
	CHECK "version", [r15 + LVR], 0x50014
	CHECK "svr-reset", [r15 + SVR], 0xff
	CHECK "dfr-reset", [r15 + DFR], 0xffffffff
	CHECK "tpr-reset", [r15 + TPR], 0
	CHECK "ppr-reset", [r15 + PPR], 0
	CHECK "ldr-reset", [r15 + LDR], 0
	CHECK "lvtt-reset", [r15 + LVTT], 0x10000
	CHECK "lvt-thermal-reset", [r15 + LVTTHERM], 0x10000
	CHECK "lvt-pmc-reset", [r15 + LVTPC], 0x10000
	CHECK "lvt-lint0", [r15 + LVT0], 0x700
	CHECK "lvt-lint1", [r15 + LVT1], 0x400
	CHECK "lvt-error-reset", [r15 + LVTERR], 0x10000
	CHECK "tmict-reset", [r15 + TMICT], 0
	CHECK "tmcct-reset", [r15 + TMCCT], 0
	CHECK "tdcr-reset", [r15 + TDCR], 0
	; software-disabled: a fixed self IPI is dropped
	mov dword [r15 + ICR], 0x40000 | 0x41
	APIC_BIT IRR, 0x41
	CHECK "disabled-drops-ipi", eax, 0
	; LVT writes keep the mask while software-disabled
	mov dword [r15 + LVTT], 0x31
	CHECK "disabled-lvt-masked", [r15 + LVTT], 0x10031
	; software enable, spurious vector 0xff
	mov dword [r15 + SVR], 0x1ff
	CHECK "svr", [r15 + SVR], 0x1ff
	mov dword [r15 + LVTT], 0x10000
	mov dword [r15 + TPR], 0x1f0    ; (KVM on AMD keeps only bits 7:4, the CR8 bits)
	CHECK "tpr-8bits", [r15 + TPR], 0xf0
	mov dword [r15 + TPR], 0
	mov dword [r15 + ESR], 0
	CHECK "esr", [r15 + ESR], 0
	mov byte [eoi_mode], EOI_LAPIC
	ret

; ---- what registers keep (KVM's choices where the SDM leaves one) ----
t_regs:
	call clear_log
	mov dword [r15 + ICR2], 0xffffffff
	CHECK "icr2-keeps", [r15 + ICR2], 0xff000000
	mov dword [r15 + ICR2], 0
	mov dword [r15 + LVT0], 0xffffffff ; delivery status and remote IRR as written
	CHECK "lvt0-keeps", [r15 + LVT0], 0x1f7ff
	mov dword [r15 + LVT0], 0x700
	mov dword [r15 + LVTERR], 0xffffffff
	CHECK "lvterr-keeps", [r15 + LVTERR], 0x110ff
	mov dword [r15 + LVTERR], 0x10000
	mov dword [r15 + LVTT], 0xffffffff
	CHECK "lvtt-keeps", [r15 + LVTT], 0x710ff
	mov dword [r15 + LVTT], 0x10000
	mov dword [r15 + LVTPC], 0xffffffff
	CHECK "lvtpc-keeps", [r15 + LVTPC], 0x117ff
	mov dword [r15 + LVTPC], 0x10000
	mov dword [r15 + TDCR], 0xffffffff
	CHECK "tdcr-keeps", [r15 + TDCR], 0xb
	mov dword [r15 + TDCR], 0
	mov dword [r15 + SVR], 0xffffffff
	CHECK "svr-keeps", [r15 + SVR], 0x3ff
	mov dword [r15 + SVR], 0x1ff
	mov dword [r15 + DFR], 0
	CHECK "dfr-keeps", [r15 + DFR], 0x0fffffff
	mov dword [r15 + DFR], 0xffffffff
	mov dword [r15 + LDR], 0xffffffff
	CHECK "ldr-keeps", [r15 + LDR], 0xff000000
	mov dword [r15 + LDR], 0
	mov dword [r15 + ID], 0x05000000
	CHECK "id-writable", [r15 + ID], 0x05000000
	mov dword [r15 + ID], 0
	CHECK "apr-reads-0", [r15 + 0x90], 0
	CHECK "rrd-reads-0", [r15 + 0xc0], 0
	CHECK "eoi-reads-0", [r15 + EOI], 0
	CHECK "self-ipi-xapic-reads-0", [r15 + 0x3f0], 0
	CHECK "cmci-reads-0", [r15 + 0x2f0], 0
	mov dword [r15 + ICR2], 0x09000000 ; nobody: only the readback matters
	mov dword [r15 + ICR], 0xfff33000 | 0x5c
	CHECK "icr-keeps", [r15 + ICR], 0xfff32000 | 0x5c
	mov dword [r15 + ICR2], 0
	; a vector below 16: in IRR (class 0, never delivered), no ESR error
	mov dword [r15 + ESR], 0
	mov dword [r15 + ICR], 0x40000 | 0x05
	CHECK "low-vector-irr", [r15 + IRR], 0x20
	mov dword [r15 + ESR], 0
	CHECK "low-vector-no-esr", [r15 + ESR], 0
	; a level-triggered fixed IPI sets TMR
	mov dword [r15 + ICR], 0x40000 | 0xc000 | 0x66
	APIC_BIT TMR, 0x66
	CHECK "level-ipi-tmr", eax, 1
	call quiet
	CHECK "level-ipi", [counts + 0x66 * 4], 1
	; disabled and enabled again through IA32_APIC_BASE: the registers stay
	mov dword [r15 + LVTT], 0x123
	mov dword [r15 + TPR], 0x20
	mov dword [r15 + LDR], 0x01000000
	mov ecx, 0x1b
	rdmsr
	mov [base_lo], eax
	and eax, ~0x800
	wrmsr
	mov eax, [r15 + SVR]            ; no local APIC there now: unclaimed MMIO
	CHECK "disabled-reads-ones", eax, 0xffffffff
	mov ecx, 0x1b
	mov eax, [base_lo]
	xor edx, edx
	wrmsr
	CHECK "reenable-svr", [r15 + SVR], 0x1ff
	CHECK "reenable-lvtt", [r15 + LVTT], 0x23
	CHECK "reenable-tpr", [r15 + TPR], 0x20
	CHECK "reenable-lvt0", [r15 + LVT0], 0x700
	CHECK "reenable-ldr", [r15 + LDR], 0x01000000
	mov dword [r15 + TPR], 0
	mov dword [r15 + LVTT], 0x10000
	mov dword [r15 + LDR], 0
	; I/O APIC
	REDIR 6, 0xffffffff, 0xffffffff
	REDIR_LO 6
	CHECK "redir-lo-keeps", eax, 0xffffafff
	mov edi, 0x10 + 2 * 6 + 1
	call io_rd
	CHECK "redir-hi-keeps", eax, 0xffffffff
	REDIR 6, 0x10000, 0
	mov edi, 2
	call io_rd
	CHECK "ioapic-arb", eax, 0
	mov edi, 3
	call io_rd
	CHECK "ioapic-reg3", eax, 0xffffffff
	mov edi, 0x40
	call io_rd
	CHECK "ioapic-reg40", eax, 0xffffffff
	mov edi, 0
	mov esi, 0xffffffff
	call io_wr
	mov edi, 0
	call io_rd
	CHECK "ioapic-id-keeps", eax, 0x0f000000
	mov edi, 2
	call io_rd
	CHECK "ioapic-arb-is-id", eax, 0x0f000000
	mov edi, 0
	xor esi, esi
	call io_wr
	mov dword [r14], 0x12345678
	CHECK "ioregsel-8bits", [r14], 0x78
	CHECK "ioapic-0x20", [r14 + 0x20], 0
	CHECK "ioapic-0x40", [r14 + 0x40], 0
	ret

; ---- IPIs ----
t_ipi:
	call clear_log
	mov dword [r15 + ICR2], 0
	mov dword [r15 + ICR], 0x40000 | 0x42 ; self, fixed, with IF=0: pending
	APIC_BIT IRR, 0x42
	CHECK "ipi-self-irr", eax, 1
	CHECK "icr-readback", [r15 + ICR], 0x40042 ; delivery status idle
	APIC_BIT TMR, 0x42
	CHECK "ipi-edge-tmr", eax, 0
	mov rdi, counts + 0x42 * 4
	mov esi, 1
	call wait_for
	CHECK "ipi-self", eax, 1
	APIC_BIT IRR, 0x42
	CHECK "ipi-irr-clear", eax, 0
	APIC_BIT ISR, 0x42
	CHECK "ipi-isr-clear", eax, 0
	mov dword [r15 + ICR], 0x80000 | 0x43 ; all including self
	mov dword [r15 + ICR], 0xc0000 | 0x44 ; all but self: nobody
	mov dword [r15 + ICR2], 0
	mov dword [r15 + ICR], 0x45     ; physical APIC ID 0
	mov dword [r15 + ICR2], 0x01000000
	mov dword [r15 + ICR], 0x46     ; physical APIC ID 1: nobody
	mov dword [r15 + ICR2], 0xff000000
	mov dword [r15 + ICR], 0x47     ; broadcast
	CHECK "icr2-readback", [r15 + ICR2], 0xff000000
	mov dword [r15 + LDR], 0x01000000 ; flat logical ID 1
	CHECK "ldr", [r15 + LDR], 0x01000000
	mov dword [r15 + ICR2], 0x01000000
	mov dword [r15 + ICR], 0x800 | 0x48 ; logical 0x01: us
	mov dword [r15 + ICR2], 0x02000000
	mov dword [r15 + ICR], 0x800 | 0x49 ; logical 0x02: nobody
	mov dword [r15 + ICR2], 0x01000000
	mov dword [r15 + ICR], 0x800 | 0x100 | 0x4a ; lowest priority
	call quiet
	CHECK "ipi-all", [counts + 0x43 * 4], 1
	CHECK "ipi-others", [counts + 0x44 * 4], 0
	CHECK "ipi-phys-0", [counts + 0x45 * 4], 1
	CHECK "ipi-phys-1", [counts + 0x46 * 4], 0
	CHECK "ipi-broadcast", [counts + 0x47 * 4], 1
	CHECK "ipi-logical", [counts + 0x48 * 4], 1
	CHECK "ipi-logical-other", [counts + 0x49 * 4], 0
	CHECK "ipi-lowest", [counts + 0x4a * 4], 1
	; INIT and SIPI to the other CPUs (there are none): nothing happens here
	mov dword [r15 + ICR], 0xc0000 | 0x4500 ; INIT assert, all but self
	mov dword [r15 + ICR], 0xc0000 | 0x8500 ; INIT de-assert (level)
	mov dword [r15 + ICR], 0xc0000 | 0x0608 ; SIPI, vector 8
	call quiet
	CHECK "init-sipi-others", [log_n], 6
	mov dword [r15 + ESR], 0
	CHECK "esr-after-ipis", [r15 + ESR], 0
	ret

; ---- priorities ----
; The 0x62 handler sends 0x55 (lower class) and 0x71 (higher) and opens a
; window: only 0x71 nests; 0x55 and the earlier 0x41 wait for the EOI.
prio_hook:
	cmp edi, 0x62
	jne .r
	mov eax, [r15 + PPR]
	mov [prio_ppr], eax
	APIC_BIT ISR, 0x62
	mov [prio_isr], eax
	mov dword [r15 + ICR], 0x40000 | 0x55
	mov dword [r15 + ICR], 0x40000 | 0x71
	sti
	nop
	nop
	nop
	cli
	mov eax, [log_n]
	mov [prio_n], eax
.r:
	ret

t_priorities:
	call clear_log
	mov qword [hook], prio_hook
	mov dword [r15 + ICR], 0x40000 | 0x41
	mov dword [r15 + ICR], 0x40000 | 0x62
	APIC_BIT IRR, 0x41
	CHECK "irr-0x41", eax, 1
	APIC_BIT IRR, 0x62
	CHECK "irr-0x62", eax, 1
	mov rdi, log_n
	mov esi, 4
	call wait_for
	mov qword [hook], 0
	CHECK "prio-order", LOG4, 0x41557162 ; 0x62, 0x71 nested, then 0x55, 0x41
	CHECK "prio-ppr-in-handler", [prio_ppr], 0x60
	CHECK "prio-isr-in-handler", [prio_isr], 1
	CHECK "prio-nested-only-higher", [prio_n], 2
	CHECK "ppr-after", [r15 + PPR], 0
	ret

; ---- TPR and CR8 ----
t_tpr:
	call clear_log
	mov dword [r15 + TPR], 0x50
	CHECK "ppr-tpr", [r15 + PPR], 0x50
	mov dword [r15 + ICR], 0x40000 | 0x45 ; class 4 < TPR class 5: held
	mov dword [r15 + ICR], 0x40000 | 0x5e ; class 5 = TPR class: held
	mov dword [r15 + ICR], 0x40000 | 0x65 ; class 6: taken
	call quiet
	CHECK "tpr-blocks", LOG4, 0x65
	mov rax, cr8
	CHECK "cr8-is-tpr", eax, 5
	mov eax, 4
	call set_cr8
	CHECK "cr8-writes-tpr", [r15 + TPR], 0x40
	call quiet
	CHECK "cr8-unblocks", LOG4, 0x5e65
	mov dword [r15 + TPR], 0x30
	mov rax, cr8
	CHECK "cr8-reads-tpr", eax, 3
	xor eax, eax
	call set_cr8
	call quiet
	CHECK "tpr-zero", LOG4, 0x455e65
	ret

; ---- NMI ----
; The NMI handler sends itself another NMI: held until its IRET.
nmi_hook:
	cmp edi, 2
	jne .r
	cmp dword [counts + 2 * 4], 1
	jne .r
	mov dword [r15 + ICR], 0x40000 | 0x400
	mov ecx, 2000
.w:
	nop
	loop .w
	mov eax, [counts + 2 * 4]
	mov [nmi_inside], eax
.r:
	ret

t_nmi:
	call clear_log
	mov qword [hook], nmi_hook
	mov dword [r15 + ICR], 0x40000 | 0x400 ; self NMI: taken with IF=0
	call quiet
	mov qword [hook], 0
	CHECK "nmi", [counts + 2 * 4], 2
	CHECK "nmi-blocked-until-iret", [nmi_inside], 1
	ret

; ---- timer ----
t_timer:
	call clear_log
	; one-shot, divide by 1, 5 ms; wait in HLT
	mov dword [r15 + TDCR], 0xb
	CHECK "tdcr", [r15 + TDCR], 0xb
	mov dword [r15 + LVTT], 0xe1
	mov dword [r15 + TMICT], 5000000
	CHECK "tmict", [r15 + TMICT], 5000000
	mov eax, [r15 + TMCCT]
	cmp eax, 5000000
	setbe al
	movzx eax, al
	CHECK "tmcct-counts", eax, 1
	cmp dword [counts + 0xe1 * 4], 0
	jne .fired
	sti
	hlt                             ; the timer wakes it
	cli
.fired:
	CHECK "oneshot-from-hlt", [counts + 0xe1 * 4], 1
	CHECK "oneshot-tmcct-0", [r15 + TMCCT], 0
	call quiet
	CHECK "oneshot-once", [counts + 0xe1 * 4], 1
	; masked: counts to 0, no interrupt
	mov dword [r15 + LVTT], 0x100e1
	mov dword [r15 + TMICT], 100000
	call quiet
	CHECK "masked-timer", [counts + 0xe1 * 4], 1
	CHECK "masked-timer-tmcct", [r15 + TMCCT], 0
	; periodic, divide by 2, 1 ms: three interrupts, then stopped by TMICT = 0
	mov dword [r15 + TDCR], 0
	mov dword [r15 + LVTT], 0x200e2
	CHECK "lvtt-periodic", [r15 + LVTT], 0x200e2
	mov dword [r15 + TMICT], 500000
	mov rdi, counts + 0xe2 * 4
	mov esi, 3
	call wait_for
	CHECK_GE "periodic", eax, 3
	mov eax, [r15 + TMCCT]
	test eax, eax
	setnz al
	movzx eax, al
	CHECK "periodic-reloads", eax, 1
	mov dword [r15 + TMICT], 0
	call quiet                      ; (one may have been pending)
	mov eax, [counts + 0xe2 * 4]
	mov [periodic_n], eax
	call quiet
	mov eax, [counts + 0xe2 * 4]
	CHECK "periodic-stopped", eax, [periodic_n]
	CHECK "stopped-tmcct", [r15 + TMCCT], 0
	ret

t_tsc_deadline:
	call clear_log
	mov ecx, 0x6e0
	xor eax, eax
	xor edx, edx
	wrmsr                           ; one-shot mode: ignored
	mov dword [r15 + LVTT], 0x400e3 ; TSC-deadline mode
	CHECK "lvtt-tsc-deadline", [r15 + LVTT], 0x400e3
	mov dword [r15 + TMICT], 1000   ; ignored in TSC-deadline mode
	CHECK "tsc-mode-tmict-ignored", [r15 + TMICT], 0
	call tsc
	add rax, 3000000
	mov [deadline], rax
	mov rdx, rax
	shr rdx, 32
	mov ecx, 0x6e0
	wrmsr
	rdmsr
	CHECK "tsc-deadline-readback", eax, [deadline]
	mov rdi, counts + 0xe3 * 4
	mov esi, 1
	call wait_for
	CHECK "tsc-deadline-fires", eax, 1
	call tsc
	cmp rax, [deadline]
	setae al
	movzx eax, al
	CHECK "tsc-deadline-not-early", eax, 1
	mov ecx, 0x6e0
	rdmsr
	CHECK "tsc-deadline-disarmed", eax, 0
	call quiet
	CHECK "tsc-deadline-once", [counts + 0xe3 * 4], 1
	; a deadline in the past fires at once; leaving the mode disarms
	mov ecx, 0x6e0
	mov eax, 1
	xor edx, edx
	wrmsr
	mov rdi, counts + 0xe3 * 4
	mov esi, 2
	call wait_for
	CHECK "tsc-deadline-past", eax, 2
	call tsc
	add rax, 1000000000
	mov rdx, rax
	shr rdx, 32
	mov ecx, 0x6e0
	wrmsr
	mov dword [r15 + LVTT], 0x100e3 ; one-shot, masked: disarms
	mov ecx, 0x6e0
	rdmsr
	CHECK "tsc-deadline-mode-change", eax, 0
	ret

; ---- I/O APIC ----
t_ioapic_regs:
	mov edi, 1
	call io_rd
	CHECK "ioapic-version", eax, 0x00170011
	mov edi, 0
	call io_rd
	CHECK "ioapic-id", eax, 0
	REDIR_LO 0
	CHECK "redir0-reset", eax, 0x10000
	REDIR_LO 23
	CHECK "redir23-reset", eax, 0x10000
	mov edi, 0x10 + 2 * 23 + 1
	call io_rd
	CHECK "redir23-hi-reset", eax, 0
	REDIR 5, 0x1a955, 0x03000000    ; level, logical, lowest, active low, masked
	REDIR_LO 5
	CHECK "redir-readback", eax, 0x1a955
	mov edi, 0x10 + 2 * 5 + 1
	call io_rd
	CHECK "redir-hi-readback", eax, 0x03000000
	REDIR 5, 0x10000, 0
	ret

; program the PIT's channel 0 as a rate generator of eax counts
pit_rate:
	push rax
	mov al, 0x34
	out 0x43, al
	pop rax
	out 0x40, al
	mov al, ah
	out 0x40, al
	ret

t_pit:
	call clear_log
	REDIR 0, 0x30, 0                ; pin 0: nothing should come here
	REDIR 2, 0x32, 0                ; pin 2: ISA IRQ 0 (the override)
	mov eax, 1193                   ; 1 ms
	call pit_rate
	mov rdi, counts + 0x32 * 4
	mov esi, 3
	call wait_for
	CHECK_GE "pit-on-pin2", eax, 3
	CHECK "nothing-on-pin0", [counts + 0x30 * 4], 0
	REDIR 2, 0x10032, 0             ; masked
	call quiet
	mov eax, [counts + 0x32 * 4]
	mov [pit_n], eax
	call quiet
	mov eax, [counts + 0x32 * 4]
	CHECK "pit-masked", eax, [pit_n]
	REDIR 0, 0x10000, 0
	ret

; UART interrupts on pin 4: THR empty with IER.ETBEI and MCR.OUT2.
%define UART_IER (COM1 + 1)
%define UART_IIR (COM1 + 2)
%define UART_MCR (COM1 + 4)

uart_ier:                               ; al = IER
	mov dx, UART_IER
	out dx, al
	ret

; level test: the first interrupt leaves the line high (sent again after the
; EOI); the second reads the remote IRR bit and turns the interrupt off
uart_level_hook:
	cmp edi, 0x34
	jne .r
	REDIR_LO 4
	mov [uart_rirr], eax
	cmp dword [counts + 0x34 * 4], 2
	jb .r
	xor eax, eax
	call uart_ier
.r:
	ret

uart_edge_hook:
	cmp edi, 0x34
	jne .r
	mov dx, UART_IIR                ; reading IIR ends the THRE interrupt
	in al, dx
.r:
	ret

t_uart:
	call clear_log
	mov dx, UART_MCR
	in al, dx
	or al, 0x08                     ; OUT2: the UART drives its IRQ line
	out dx, al
	; edge
	mov qword [hook], uart_edge_hook
	REDIR 4, 0x34, 0
	mov al, 2
	call uart_ier
	mov rdi, counts + 0x34 * 4
	mov esi, 1
	call wait_for
	call quiet
	xor eax, eax                    ; (before a FAIL line writes THR)
	call uart_ier
	CHECK "uart-edge", [counts + 0x34 * 4], 1
	; level: remote IRR, sent again after EOI while the line stays high
	call clear_log
	mov qword [hook], uart_level_hook
	REDIR 4, 0x8034, 0
	mov al, 2
	call uart_ier
	mov rdi, counts + 0x34 * 4
	mov esi, 2
	call wait_for
	call quiet
	mov qword [hook], 0
	CHECK "uart-level-again", [counts + 0x34 * 4], 2
	mov eax, [uart_rirr]
	and eax, 0x4000
	CHECK "remote-irr-in-handler", eax, 0x4000
	REDIR_LO 4
	CHECK "remote-irr-after-eoi", eax, 0x8034
	; level, masked while asserted: sent when unmasked
	call clear_log
	REDIR 4, 0x18034, 0
	mov al, 2
	call uart_ier
	call quiet
	CHECK "level-masked", [counts + 0x34 * 4], 0
	mov byte [eoi_mode], EOI_NONE   ; keep remote IRR set
	REDIR 4, 0x8034, 0
	call quiet
	mov byte [eoi_mode], EOI_LAPIC
	CHECK "level-unmasked", [counts + 0x34 * 4], 1
	REDIR_LO 4
	CHECK "remote-irr-held", eax, 0xc034
	xor eax, eax
	call uart_ier
	REDIR 4, 0x10034, 0             ; written as edge: remote IRR clears
	REDIR_LO 4
	CHECK "edge-clears-remote-irr", eax, 0x10034
	mov dword [r15 + EOI], 0        ; the one left in service
	CHECK "isr-empty", [r15 + PPR], 0
	; edge, masked while the line rises: lost when unmasked
	call clear_log
	mov al, 2
	call uart_ier
	call quiet
	REDIR 4, 0x34, 0
	call quiet
	xor eax, eax
	call uart_ier
	CHECK "masked-edge-lost", [counts + 0x34 * 4], 0
	; polarity: lines are logical (asserted = 1) whatever it says
	REDIR 4, 0xa034, 0              ; level, active low
	call quiet
	CHECK "active-low-idle", [counts + 0x34 * 4], 0
	mov byte [eoi_mode], EOI_NONE
	mov al, 2
	call uart_ier
	call quiet
	mov byte [eoi_mode], EOI_LAPIC
	xor eax, eax
	call uart_ier
	CHECK "active-low-asserted", [counts + 0x34 * 4], 1
	REDIR 4, 0x10034, 0
	mov dword [r15 + EOI], 0
	mov dx, UART_MCR
	in al, dx
	and al, ~0x08
	out dx, al
	ret

; destinations and delivery modes of I/O APIC messages (the PIT as source)
t_destinations:
	call clear_log
	mov eax, 1193
	call pit_rate
	REDIR 2, 0x832, 0x01000000      ; logical 0x01 (our LDR)
	mov rdi, counts + 0x32 * 4
	mov esi, 2
	call wait_for
	CHECK_GE "ioapic-logical", eax, 2
	REDIR 2, 0x933, 0x01000000      ; logical, lowest priority
	mov eax, 1193
	call pit_rate
	mov rdi, counts + 0x33 * 4
	mov esi, 2
	call wait_for
	CHECK_GE "ioapic-lowest", eax, 2
	REDIR 2, 0x834, 0x02000000      ; logical 0x02: nobody
	call quiet
	REDIR 2, 0x35, 0x01000000       ; physical ID 1: nobody
	mov eax, 1193
	call pit_rate
	call quiet
	CHECK "ioapic-nobody", [counts + 0x34 * 4], 0
	CHECK "ioapic-nobody-phys", [counts + 0x35 * 4], 0
	REDIR 2, 0x36, 0xff000000       ; broadcast
	mov eax, 1193                   ; (KVM's PIT waits for the EOI of a tick nobody took: restart it)
	call pit_rate
	mov rdi, counts + 0x36 * 4
	mov esi, 2
	call wait_for
	CHECK_GE "ioapic-broadcast", eax, 2
	REDIR 2, 0x10000, 0
	ret

; ---- the 8259 through LINT0 ----
t_pic:
	call clear_log
	mov byte [eoi_mode], EOI_PIC
	mov eax, 1193
	call pit_rate
	mov al, 0xfe                    ; IRQ 0 only
	out 0x21, al
	mov rdi, counts + 0x20 * 4
	mov esi, 3
	call wait_for
	CHECK_GE "pic-extint", eax, 3
	CHECK "extint-no-isr", [r15 + PPR], 0
	mov dword [r15 + LVT0], 0x10700 ; LINT0 masked
	call quiet
	mov eax, [counts + 0x20 * 4]
	mov [pic_n], eax
	call quiet
	mov eax, [counts + 0x20 * 4]
	CHECK "lint0-masked", eax, [pic_n]
	mov al, 0xff
	out 0x21, al
	mov dword [r15 + LVT0], 0x700
	mov al, 0x30                    ; stop the PIT: mode 0, never reloaded
	out 0x43, al
	mov byte [eoi_mode], EOI_LAPIC
	call quiet
	call clear_log
	ret

; ---- x2APIC ----
; GPMSR "name", rd|wr, msr, value: the access raises #GP
%macro GPMSR 4
	mov dword [gp_count], 0
	mov ecx, %3
	mov rax, %4
	mov rdx, rax
	shr rdx, 32
	%2msr
	CHECK %1, [gp_count], 1
%endmacro

t_x2apic:
	call clear_log
	mov ecx, 0x1b
	rdmsr
	or eax, 0x400                   ; EXTD
	wrmsr
	mov byte [eoi_mode], EOI_X2APIC
	mov ecx, 0x1b
	rdmsr
	CHECK "x2apic-base", eax, APIC | 0xd00
	mov ecx, 0x802
	call rdmsr_g
	CHECK "x2apic-id", eax, 0
	mov ecx, 0x803
	call rdmsr_g
	CHECK "x2apic-version", eax, 0x50014
	mov ecx, 0x80d
	call rdmsr_g
	CHECK "x2apic-ldr", eax, 1
	mov ecx, 0x80f
	call rdmsr_g
	CHECK "x2apic-svr", eax, 0x1ff
	mov eax, [r15 + LVR]            ; no MMIO in x2APIC mode: unclaimed
	CHECK "x2apic-no-mmio", eax, 0xffffffff
	mov dword [gp_count], 0
	GPMSR "gp-wr-id", wr, 0x802, 0
	GPMSR "gp-wr-version", wr, 0x803, 0
	GPMSR "gp-wr-ppr", wr, 0x80a, 0
	GPMSR "gp-wr-ldr", wr, 0x80d, 0
	GPMSR "gp-wr-isr", wr, 0x810, 0
	GPMSR "gp-wr-irr", wr, 0x820, 0
	GPMSR "gp-wr-tmcct", wr, 0x839, 0
	GPMSR "gp-rd-eoi", rd, 0x80b, 0
	GPMSR "gp-rd-self-ipi", rd, 0x83f, 0
	GPMSR "gp-rd-dfr", rd, 0x80e, 0
	GPMSR "gp-rd-icr2", rd, 0x831, 0
	GPMSR "gp-rd-rrd", rd, 0x80c, 0
	GPMSR "gp-rd-reserved", rd, 0x800, 0
	GPMSR "gp-wr-tpr-hi", wr, 0x808, 0x100000000
	GPMSR "gp-wr-esr-nonzero", wr, 0x828, 1
	GPMSR "gp-wr-self-ipi-bit8", wr, 0x83f, 0x151
	GPMSR "gp-wr-icr-reserved", wr, 0x830, 0x100052
	GPMSR "gp-rd-cmci", rd, 0x82f, 0
	GPMSR "gp-rd-apr", rd, 0x809, 0
	GPMSR "gp-rd-8ff", rd, 0x8ff, 0
	; reserved bits of the other registers: dropped, no #GP (KVM)
	mov dword [gp_count], 0
	mov ecx, 0x808
	mov eax, 0x100
	xor edx, edx
	wrmsr
	mov ecx, 0x808
	call rdmsr_g
	CHECK "x2apic-tpr-keeps", eax, 0
	mov ecx, 0x832
	mov eax, 0xffffffff
	xor edx, edx
	wrmsr
	mov ecx, 0x832
	call rdmsr_g
	CHECK "x2apic-lvtt-keeps", eax, 0x710ff
	mov ecx, 0x832
	mov eax, 0x10000
	xor edx, edx
	wrmsr
	mov ecx, 0x80b
	mov eax, 1                      ; EOI with nothing in service
	wrmsr
	mov ecx, 0x6e0
	call rdmsr_g
	CHECK "x2apic-reserved-no-gp", [gp_count], 0
	mov ecx, 0x808
	mov eax, 0x20
	xor edx, edx
	wrmsr
	mov rax, cr8
	CHECK "x2apic-tpr-cr8", eax, 2
	mov ecx, 0x808
	xor eax, eax
	xor edx, edx
	wrmsr
	; SELF IPI and the 64-bit ICR
	mov ecx, 0x83f
	mov eax, 0x51
	xor edx, edx
	wrmsr
	mov ecx, 0x830
	mov eax, 0x52                   ; physical, x2APIC ID 0 (EDX)
	xor edx, edx
	wrmsr
	mov ecx, 0x830
	mov eax, 0x53                   ; x2APIC ID 1: nobody
	mov edx, 1
	wrmsr
	mov ecx, 0x830
	mov eax, 0x54                   ; broadcast 0xFFFFFFFF
	mov edx, -1
	wrmsr
	mov ecx, 0x830
	mov eax, 0x855                  ; logical: cluster 0, bit 0
	mov edx, 1
	wrmsr
	mov ecx, 0x830
	call rdmsr_g
	mov [msr_hi], edx
	CHECK "x2apic-icr-lo", eax, 0x855
	CHECK "x2apic-icr-hi", [msr_hi], 1
	call quiet
	CHECK "x2apic-ipis", LOG4, 0x51525455 ; by priority: 0x55 0x54 0x52 0x51
	; the timer through MSRs
	mov ecx, 0x83e
	mov eax, 0xb
	xor edx, edx
	wrmsr
	mov ecx, 0x832
	mov eax, 0xe4
	wrmsr
	mov ecx, 0x838
	mov eax, 1000000
	wrmsr
	mov rdi, counts + 0xe4 * 4
	mov esi, 1
	call wait_for
	CHECK "x2apic-timer", eax, 1
	; transitions: x2APIC -> xAPIC #GP; -> disabled -> xAPIC fine
	mov ecx, 0x1b
	rdmsr
	and eax, ~0x400
	mov [base_lo], eax
	mov dword [gp_count], 0
	mov ecx, 0x1b
	mov eax, [base_lo]
	xor edx, edx
	wrmsr
	CHECK "gp-x2apic-to-xapic", [gp_count], 1
	mov ecx, 0x1b
	mov eax, [base_lo]
	and eax, ~0xc00                 ; disabled
	xor edx, edx
	wrmsr
	mov eax, [r15 + LVR]
	CHECK "disabled-no-mmio", eax, 0xffffffff
	mov dword [gp_count], 0
	mov ecx, 0x1b
	mov eax, [base_lo]
	and eax, ~0x800
	or eax, 0x400                   ; disabled -> x2APIC: #GP
	xor edx, edx
	wrmsr
	CHECK "gp-disabled-to-x2apic", [gp_count], 1
	mov dword [gp_count], 0
	mov ecx, 0x1b
	mov eax, [base_lo]
	xor edx, edx
	wrmsr                           ; xAPIC again
	CHECK "xapic-again", [gp_count], 0
	CHECK "xapic-again-id", [r15 + ID], 0
	CHECK "xapic-again-version", [r15 + LVR], 0x50014
	mov byte [eoi_mode], EOI_LAPIC
	ret

s_banner: db "APIC: start", 10, 0
s_fail: db "APIC: FAIL ", 0
s_got: db " got ", 0
s_want: db " want ", 0
s_exc: db "APIC: FAIL exception ", 0
s_at: db " at ", 0
s_summary: db "APIC: SUMMARY ", 0
s_passed: db " passed, ", 0
s_failed: db " failed", 10, 0

align 8
gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: code64
	dq 0x00cf92000000ffff           ; 0x10: data
	dq 0x00cf9a000000ffff           ; 0x18: code32
gdt_end:
gdtr:
	dw gdt_end - gdt - 1
	dq gdt
idtr:
	dw 256 * 16 - 1
	dq idt

passed: dd 0
failed: dd 0
gp_count: dd 0
log_n: dd 0
align 8
log: times 16 db 0
hook: dq 0
deadline: dq 0
eoi_mode: db 0
align 4
prio_ppr: dd 0
prio_isr: dd 0
prio_n: dd 0
nmi_inside: dd 0
periodic_n: dd 0
pit_n: dd 0
pic_n: dd 0
uart_rirr: dd 0
base_lo: dd 0
mb_info: dd 0
no_cr8: db 0
align 4
msr_hi: dd 0
counts: times 256 dd 0

image_end:

absolute 0x140000
alignb 4096
pml4: resb 4096
pdpt: resb 4096
pd: resb 4 * 4096
idt: resb 4096
stack: resb 16384
stack_top:
bss_end:
