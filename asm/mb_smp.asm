; mb_smp.asm - a multiboot (v1) test kernel that starts every CPU of the
; machine and checks, from inside, what a multiprocessor guest relies on.
; It stays in 32-bit protected mode without paging (the APIC pages are
; reachable as physical addresses) and checks:
;
;   ACPI          the RSDP (found by scanning 0xE0000-0xFFFFF, checksums),
;                 the XSDT or RSDT, the MADT: the local APIC address, the
;                 I/O APIC at 0xFEC00000, the enabled Processor Local APIC
;                 entries (count, unique IDs, the BSP's among them)
;   the BSP       IA32_APIC_BASE (base, BSP and enable bits), the LAPIC ID
;                 register against CPUID leaf 1 EBX[31:24], CPUID's logical
;                 count (leaf 1 EBX[23:16] and HTT, leaf 0x80000008
;                 ECX[7:0]) against the MADT when there are several CPUs
;                 (all in one package: RAX's model, QEMU's plain -smp N)
;   start-up      each AP through INIT (assert, old-style de-assert), 10 ms,
;                 SIPI to a real-mode trampoline at 0x8000, 200 us, a
;                 second SIPI when it has not checked in, 200 us; then one
;                 wait of at most 1 s for all of them (every delay and
;                 bound on PIT channel 2: an AP that never comes is a FAIL,
;                 not a hang). The trampoline runs once per AP, loads a GDT
;                 with lgdtl and enters 32-bit code; each AP takes the stack
;                 of its APIC ID and checks in with its LAPIC ID, CPUID
;                 initial APIC ID and APIC base MSR (BSP bit clear)
;   atomicity     every CPU (BSP included) 20000 times: LOCK XADD (the old
;                 values each CPU saw must sum to T(T-1)/2 over all CPUs:
;                 every value returned exactly once), a LOCK CMPXCHG loop
;                 (the same), LOCK INC, its own plain dword counter and its
;                 own byte in a shared dword (a byte store must not disturb
;                 the neighbours), and every 4th time an XCHG spinlock whose
;                 section checks it is alone and counts entries non-atomically
;   cross-        the BSP rewrites the immediate of `mov eax, 1; ret` in
;   modifying     a page of its own while every AP runs it in a loop; after
;   code          CPUID (serializing, as the SDM asks of the executing CPU)
;                 each AP must run the new code (an interpreter's decoded
;                 blocks on one CPU must see another CPU's write)
;   IPIs          fixed to each AP by physical destination; a ping that
;                 each AP answers with an IPI to the BSP; all-excluding-self
;                 (each AP once, not the BSP); all-including-self (every CPU
;                 once); logical flat destination (the odd APIC IDs only);
;                 lowest priority (exactly one AP); NMI to one AP (that AP
;                 only); the ESR stays clear
;   the end       each AP parks in CLI; HLT after a wake-up IPI; no CPU saw
;                 an exception or an unexpected vector
;
; With one CPU the AP parts check that nothing arrives where nobody is.
;
; Output over COM1 (the BSP alone writes it): "SMP: cpus N ids A B ...",
; "SMP: FAIL [cpu I ]name got 0x.. want 0x.." for each failed check, then
; "SMP: SUMMARY N passed, M failed", and isa-debug-exit with value 0
; (status 1) when all passed, 3 (status 7) otherwise. An unexpected
; exception on the BSP prints "SMP: FAIL exception 0x.. at 0x.." and exits
; with 3; on an AP it is recorded and reported by the BSP.

%define COM1 0x3f8
%define DEBUG_EXIT 0xf4
%define APIC 0xfee00000
%define IOAPIC 0xfec00000

%define SEL_CODE 0x08
%define SEL_DATA 0x10

; local APIC registers
%define ID 0x20
%define TPR 0x80
%define EOI 0xb0
%define LDR 0xd0
%define DFR 0xe0
%define SVR 0xf0
%define ESR 0x280
%define ICR 0x300
%define ICR2 0x310

; ICR fields
%define ICR_FIXED 0x000
%define ICR_LOWEST 0x100
%define ICR_NMI 0x400
%define ICR_INIT 0x500
%define ICR_STARTUP 0x600
%define ICR_LOGICAL 0x800
%define ICR_BUSY 0x1000
%define ICR_ASSERT 0x4000
%define ICR_LEVEL 0x8000
%define ICR_SELF_ALL 0x80000             ; shorthand: all including self
%define ICR_OTHERS 0xc0000               ; shorthand: all excluding self

; the vectors
%define V_FIXED 0x40                    ; BSP -> AP, physical
%define V_PING 0x41                     ; BSP -> AP, which answers with
%define V_PONG 0x42                     ; AP -> BSP
%define V_OTHERS 0x43                   ; all excluding self
%define V_ALL 0x44                      ; all including self
%define V_LOGICAL 0x45                  ; logical flat destination
%define V_LOWEST 0x46                   ; lowest priority
%define V_WAKE 0x47                     ; the end: park
%define V_SPURIOUS 0xff

%define MAX_CPUS 16                     ; APIC IDs 0..15
%define TRAMP 0x8000                    ; the trampoline's page (SIPI vector 8)
%define ITER 20000                      ; increments per CPU
%define LOCK_EVERY 4                    ; the spinlock section every 4th iteration
%define AP_WAIT_MS 1000                 ; how long the APs may take to check in, all together

; per-CPU records, indexed by APIC ID, 128 bytes each
%define P_PRESENT 0                     ; checked in
%define P_LAPIC_ID 4                    ; LAPIC ID register >> 24
%define P_CPUID_ID 8                    ; CPUID.1 EBX[31:24]
%define P_APIC_BASE 12                  ; IA32_APIC_BASE, low half
%define P_PLAIN 16                      ; plain counter
%define P_XSUM 20                       ; LOCK XADD old values, 64-bit sum
%define P_CSUM 28                       ; LOCK CMPXCHG old values, 64-bit sum
%define P_LOCKED 36                     ; spinlock section entries
%define P_ALONE_BAD 40                  ; section entered while not alone
%define P_EXC 44                        ; exception vector + 1
%define P_EXC_EIP 48
%define P_NMI 52
%define P_SPURIOUS 56
%define P_PARKED 60
%define P_OTHER 64                      ; unexpected vector + 1
%define P_DONE 68                       ; atomic phase done
%define P_XMC_SEEN 72                   ; ran the code at xmc_code before it was patched
%define P_XMC 76                        ; what xmc_code returned after the patch (and CPUID)
%define P_VEC 80                        ; counts of V_FIXED..V_WAKE (8 dwords)
%define PCPU_SHIFT 7

bits 32
org 0x100000

image_start:
mb_header:
	dd 0x1badb002                   ; magic
	dd 0x00010000                   ; flags: a.out kludge
	dd -(0x1badb002 + 0x00010000)   ; checksum
	dd mb_header                    ; header_addr
	dd image_start                  ; load_addr
	dd 0                            ; load_end_addr: the whole file
	dd bss_end                      ; bss_end_addr
	dd main                         ; entry_addr

main:
	cli
	cld
	lgdt [gdtr]
	jmp SEL_CODE:.cs
.cs:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov edi, bss_start              ; (the loader zeroes it; so do we)
	mov ecx, (bss_end - bss_start) / 4
	xor eax, eax
	rep stosd
	mov esp, bsp_stack_top
	call idt_init
	lidt [idtr]
	mov dword [bsp_id], -1
	mov dword [cur_cpu], -1
	mov esi, s_banner
	call puts
	; the 8259s: vectors 0x20/0x28, every line masked (the firmware may
	; leave the timer on IRQ 0 at vector 8)
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

	mov esi, xmc_old                ; the code the BSP patches while the APs run it
	mov edi, xmc_code
	mov ecx, xmc_old_end - xmc_old
	rep movsb

	call t_bsp
	call t_acpi
	call t_cpuid_count
	call t_startup
	call t_atomic
	call t_xmc
	call t_ipi
	call t_end

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

; ---- output (the BSP only) ----
%include "include/com1.inc"

; check_eq: esi = name, eax = got, edx = want; a FAIL line names [cur_cpu]
; when it is not -1
check_eq:
	cmp eax, edx
	jne .bad
	inc dword [passed]
	ret
.bad:
	inc dword [failed]
	push esi
	mov esi, s_fail
	call puts
	cmp dword [cur_cpu], -1
	je .name
	mov esi, s_cpu
	call puts
	push eax
	mov eax, [cur_cpu]
	call putdec
	pop eax
	push eax
	mov al, ' '
	call putc
	pop eax
.name:
	pop esi
	call puts
	mov esi, s_got
	call puts
	call puthex
	mov esi, s_want
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
	mov esi, %%name
	call check_eq
	jmp %%skip
%%name: db %1, 0
%%skip:
%endmacro

; CHECK_TRUE "name", condition code: the flags say cc
%macro CHECK_TRUE 2
	set%2 al
	movzx eax, al
	CHECK %1, eax, 1
%endmacro

; ---- time: PIT channel 2, gated by port 0x61 bit 0, OUT on bit 5 ----
; pit_start: eax = count (1..65535): one-shot (mode 0), OUT rises at 0
pit_start:
	push eax
	in al, 0x61
	and al, 0xfc                    ; gate off, speaker off
	out 0x61, al
	mov al, 0xb0                    ; channel 2, low then high byte, mode 0, binary
	out 0x43, al
	mov eax, [esp]
	out 0x42, al
	mov al, ah
	out 0x42, al
	in al, 0x61
	or al, 1                        ; gate on: counting starts
	out 0x61, al
	pop eax
	ret

; pit_expired: ZF clear once the count has run out
pit_expired:
	push eax
	in al, 0x61
	test al, 0x20
	pop eax
	ret

; delay_us: eax = microseconds (at most 50000)
delay_us:
	push eax
	push edx
	push ecx
	mov ecx, 1193182
	mul ecx
	add eax, 999999
	adc edx, 0
	mov ecx, 1000000
	div ecx
	call pit_start
.w:
	call pit_expired
	jz .w
	pop ecx
	pop edx
	pop eax
	ret

%define PIT_MS 1193                     ; PIT counts in one millisecond

; wait_until: with interrupts enabled, until the dword at edi reaches esi
; (unsigned) or ecx milliseconds pass; eax = the dword (interrupts off again)
wait_until:
	push ecx
.ms:
	mov eax, PIT_MS
	call pit_start
.poll:
	sti
	nop
	cli
	cmp [edi], esi
	jae .done
	call pit_expired
	jz .poll
	loop .ms
.done:
	mov eax, [edi]
	pop ecx
	ret

; quiet: interrupts enabled for ecx milliseconds
quiet:
	push ecx
	push eax
.ms:
	mov eax, PIT_MS
	call pit_start
	sti
.poll:
	call pit_expired
	jz .poll
	loop .ms
	cli
	pop eax
	pop ecx
	ret

; ---- the local APIC ----
; send_ipi: ecx = destination (APIC ID or logical mask), eax = ICR low
send_ipi:
	push edx
	call icr_idle
	mov edx, ecx
	shl edx, 24
	mov [APIC + ICR2], edx
	mov [APIC + ICR], eax
	call icr_idle
	pop edx
	ret

; icr_idle: wait (bounded) for the ICR's delivery status to read idle
icr_idle:
	push ecx
	mov ecx, 1000000
.w:
	test dword [APIC + ICR], ICR_BUSY
	jz .r
	pause
	loop .w
	lock inc dword [icr_stuck]
.r:
	pop ecx
	ret

; my_pcpu: ebx = this CPU's record (from its LAPIC ID), ecx = the ID;
; CF set when the ID is out of range
my_pcpu:
	mov ecx, [APIC + ID]
	shr ecx, 24
	cmp ecx, MAX_CPUS
	cmc
	jc .r
	mov ebx, ecx
	shl ebx, PCPU_SHIFT
	add ebx, pcpu
	clc
.r:
	ret

; apic_setup: this CPU's local APIC on: spurious vector 0xFF, TPR 0, the
; flat logical model with LDR bit = APIC ID (IDs 0-7; none above)
apic_setup:
	push ecx
	push eax
	mov dword [APIC + SVR], 0x100 | V_SPURIOUS
	mov dword [APIC + TPR], 0
	mov dword [APIC + DFR], 0xffffffff
	mov ecx, [APIC + ID]
	shr ecx, 24
	xor eax, eax
	cmp ecx, 8
	jae .ldr
	mov eax, 0x01000000
	shl eax, cl
.ldr:
	mov [APIC + LDR], eax
	pop eax
	pop ecx
	ret

; ---- interrupts ----
%include "include/idt_stubs.inc"

idt_init:
	mov edi, idt
	mov esi, stub_table
	mov ecx, 256
.gate:
	mov eax, [esi]
	mov edx, eax
	and eax, 0xffff
	or eax, SEL_CODE << 16
	and edx, 0xffff0000
	or edx, 0x8e00                  ; present, DPL 0, 32-bit interrupt gate
	mov [edi], eax
	mov [edi + 4], edx
	add edi, 8
	add esi, 4
	loop .gate
	ret

; The handler of every vector: stack = vector, error code, EIP, CS, EFLAGS.
isr_common:
	pushad
	mov eax, [esp + 32]             ; vector
	call my_pcpu
	jc .lost
	cmp eax, 2
	je .nmi
	cmp eax, 32
	jb .exception
	cmp eax, V_SPURIOUS
	je .spurious
	cmp eax, V_FIXED
	jb .other
	cmp eax, V_WAKE
	ja .other
	inc dword [ebx + P_VEC + (eax - V_FIXED) * 4]
	cmp eax, V_PING
	jne .eoi
	mov ecx, [bsp_id]               ; answer the BSP
	mov eax, ICR_FIXED | ICR_ASSERT | V_PONG
	call send_ipi
.eoi:
	mov dword [APIC + EOI], 0
.out:
	popad
	add esp, 8
	iretd
.nmi:
	inc dword [ebx + P_NMI]
	jmp .out
.spurious:                              ; no EOI for the spurious vector
	inc dword [ebx + P_SPURIOUS]
	jmp .out
.other:
	inc eax
	mov [ebx + P_OTHER], eax
	jmp .eoi
.exception:
	cmp ecx, [bsp_id]
	je .bsp_exception
	inc eax
	mov [ebx + P_EXC], eax
	mov eax, [esp + 40]
	mov [ebx + P_EXC_EIP], eax
.lost:                                  ; an AP that cannot go on: parked
	cli
	hlt
	jmp .lost
.bsp_exception:
	mov esi, s_exc
	call puts
	call puthex
	mov esi, s_at
	call puts
	mov eax, [esp + 40]
	call puthex
	mov al, 10
	call putc
	mov al, 3
	out DEBUG_EXIT, al
	jmp .lost

; ---- the BSP's own identity ----
t_bsp:
	mov ecx, 0x1b                   ; IA32_APIC_BASE
	rdmsr
	mov [bsp_apic_base], eax
	and eax, 0xfffff000
	CHECK "bsp-apic-base", eax, APIC
	mov eax, [bsp_apic_base]
	and eax, 0x900
	CHECK "bsp-apic-base-bsp-enabled", eax, 0x900
	call apic_setup
	mov eax, [APIC + ID]
	shr eax, 24
	mov [bsp_id], eax
	mov eax, 1
	cpuid
	shr ebx, 24
	CHECK "bsp-cpuid-apic-id", ebx, [bsp_id]
	mov eax, [bsp_id]
	cmp eax, MAX_CPUS
	CHECK_TRUE "bsp-apic-id-range", b
	call my_pcpu
	jc .r
	mov dword [ebx + P_PRESENT], 1
.r:
	ret

; ---- ACPI: RSDP -> XSDT/RSDT -> MADT ----
; table_sum: esi = table, ecx = length -> al = byte sum
table_sum:
	push esi
	push ecx
	xor eax, eax
.l:
	add al, [esi]
	inc esi
	loop .l
	pop ecx
	pop esi
	ret

t_acpi:
	; the RSDP: "RSD PTR " on a 16-byte boundary, the first 20 bytes sum to 0
	mov esi, 0xe0000
.scan:
	cmp dword [esi], 'RSD '
	jne .next
	cmp dword [esi + 4], 'PTR '
	jne .next
	push esi
	mov ecx, 20
	call table_sum
	pop esi
	test al, al
	jz .found
.next:
	add esi, 16
	cmp esi, 0x100000
	jb .scan
	CHECK "rsdp-found", 0, 1
	ret
.found:
	mov [rsdp], esi
	CHECK "rsdp-found", 1, 1
	; revision 2+: the 36-byte extended checksum and the XSDT
	mov esi, [rsdp]
	cmp byte [esi + 15], 2
	jb .rsdt
	mov ecx, 36
	call table_sum
	movzx eax, al
	CHECK "rsdp-extended-checksum", eax, 0
	mov esi, [rsdp]
	mov eax, [esi + 24]             ; XsdtAddress
	cmp dword [esi + 28], 0
	jne .rsdt
	test eax, eax
	jz .rsdt
	mov [sdt], eax
	mov dword [sdt_entry], 8
	mov dword [sdt_sig], 'XSDT'
	jmp .sdt
.rsdt:
	mov esi, [rsdp]
	mov eax, [esi + 16]             ; RsdtAddress
	mov [sdt], eax
	mov dword [sdt_entry], 4
	mov dword [sdt_sig], 'RSDT'
.sdt:
	mov esi, [sdt]
	CHECK "sdt-signature", [esi], [sdt_sig]
	mov esi, [sdt]
	mov ecx, [esi + 4]
	call table_sum
	movzx eax, al
	CHECK "sdt-checksum", eax, 0
	; the MADT among the entries
	mov esi, [sdt]
	mov ecx, [esi + 4]
	sub ecx, 36
	lea edi, [esi + 36]
.entry:
	cmp ecx, [sdt_entry]
	jb .nomadt
	mov eax, [edi]
	cmp dword [sdt_entry], 8
	jne .e32
	cmp dword [edi + 4], 0          ; above 4 GiB: not ours to read
	jne .enext
.e32:
	cmp dword [eax], 'APIC'
	je .madt
.enext:
	add edi, [sdt_entry]
	sub ecx, [sdt_entry]
	jmp .entry
.nomadt:
	CHECK "madt-found", 0, 1
	ret
.madt:
	mov [madt], eax
	CHECK "madt-found", 1, 1
	mov esi, [madt]
	mov ecx, [esi + 4]
	call table_sum
	movzx eax, al
	CHECK "madt-checksum", eax, 0
	mov esi, [madt]
	CHECK "madt-lapic-address", [esi + 36], APIC
	; the entries: type 0 (Processor Local APIC, enabled), type 1 (I/O APIC)
	mov esi, [madt]
	mov edx, esi
	add edx, [esi + 4]              ; end
	add esi, 44
.madt_entry:
	cmp esi, edx
	jae .madt_done
	movzx ecx, byte [esi + 1]       ; length
	cmp ecx, 2
	jb .madt_bad
	cmp byte [esi], 0
	je .lapic
	cmp byte [esi], 1
	jne .madt_next
	cmp dword [esi + 4], IOAPIC
	jne .madt_next
	inc dword [ioapic_entries]
	jmp .madt_next
.lapic:
	test byte [esi + 4], 1          ; enabled
	jz .madt_next
	mov eax, [ncpus]
	cmp eax, MAX_CPUS
	jae .too_many
	movzx ebx, byte [esi + 3]       ; APIC ID
	mov [cpu_ids + eax * 4], ebx
	inc dword [ncpus]
	jmp .madt_next
.too_many:
	inc dword [ncpus_over]
.madt_next:
	add esi, ecx
	jmp .madt_entry
.madt_bad:
	CHECK "madt-entry-length", ecx, 2
.madt_done:
	CHECK "madt-ioapic", [ioapic_entries], 1
	CHECK "madt-cpus-within-16", [ncpus_over], 0
	mov eax, [ncpus]
	test eax, eax
	CHECK_TRUE "madt-has-cpus", nz
	; "SMP: cpus N ids A B ..."
	mov esi, s_cpus
	call puts
	mov eax, [ncpus]
	call putdec
	mov esi, s_ids
	call puts
	xor edi, edi
.print:
	cmp edi, [ncpus]
	jae .printed
	mov al, ' '
	call putc
	mov eax, [cpu_ids + edi * 4]
	call putdec
	inc edi
	jmp .print
.printed:
	mov al, 10
	call putc
	; every ID below 16 and listed once; the BSP's among them
	xor edi, edi
	xor ebp, ebp                    ; times the BSP's ID is listed
.ids:
	cmp edi, [ncpus]
	jae .ids_done
	mov eax, [cpu_ids + edi * 4]
	mov [cur_cpu], eax
	cmp eax, MAX_CPUS
	CHECK_TRUE "madt-apic-id-range", b
	mov eax, [cpu_ids + edi * 4]
	cmp eax, [bsp_id]
	jne .notbsp
	inc ebp
.notbsp:
	xor ecx, ecx                    ; earlier entries with the same ID
	xor ebx, ebx
.dup:
	cmp ebx, edi
	jae .dup_done
	cmp eax, [cpu_ids + ebx * 4]
	jne .dup_next
	inc ecx
.dup_next:
	inc ebx
	jmp .dup
.dup_done:
	CHECK "madt-apic-id-unique", ecx, 0
	inc edi
	jmp .ids
.ids_done:
	mov dword [cur_cpu], -1
	CHECK "madt-lists-bsp", ebp, 1
	ret

; CPUID's count of logical processors against the MADT (several CPUs only)
t_cpuid_count:
	cmp dword [ncpus], 1
	jbe .r
	mov eax, 1
	cpuid
	mov [tmp], ebx
	and edx, 1 << 28
	CHECK "cpuid-htt", edx, 1 << 28
	mov eax, [tmp]
	shr eax, 16
	and eax, 0xff
	CHECK "cpuid-logical-count", eax, [ncpus]
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000008
	jb .r
	mov eax, 0x80000008
	cpuid
	and ecx, 0xff
	mov eax, [ncpus]
	dec eax
	CHECK "cpuid-80000008-count", ecx, eax
.r:
	ret

; ---- start-up ----
; Each AP in turn gets INIT, SIPI and, when it has not checked in 200 us
; later, a second SIPI (the SDM's MP initialization protocol, one AP at a
; time as Linux does it); then one bounded wait for all of them, so that
; an AP that never comes costs one wait, not one per AP.
t_startup:
	; the trampoline into its page
	mov esi, tramp_start
	mov edi, TRAMP
	mov ecx, tramp_end - tramp_start
	rep movsb
	CHECK "no-ap-before-sipi", [ap_arrived], 0
	xor edi, edi
.cpu:
	cmp edi, [ncpus]
	jae .started
	mov ecx, [cpu_ids + edi * 4]
	cmp ecx, [bsp_id]
	je .next
	cmp ecx, MAX_CPUS
	jae .next
	call start_ap
	inc dword [aps]
.next:
	inc edi
	jmp .cpu
.started:
	mov edi, ap_arrived
	mov esi, [aps]
	mov ecx, AP_WAIT_MS
	call wait_until
	CHECK "aps-checked-in", eax, [aps]
	CHECK "trampoline-runs", [TRAMP + tramp_entries - tramp_start], [aps]
	; each AP's record
	xor edi, edi
.check:
	cmp edi, [ncpus]
	jae .done
	mov ecx, [cpu_ids + edi * 4]
	cmp ecx, [bsp_id]
	je .check_next
	cmp ecx, MAX_CPUS
	jae .check_next
	mov [cur_cpu], ecx
	mov ebx, ecx
	shl ebx, PCPU_SHIFT
	add ebx, pcpu
	CHECK "ap-checks-in", [ebx + P_PRESENT], 1
	CHECK "ap-lapic-id", [ebx + P_LAPIC_ID], [cur_cpu]
	CHECK "ap-cpuid-apic-id", [ebx + P_CPUID_ID], [cur_cpu]
	mov eax, [ebx + P_APIC_BASE]
	and eax, 0xfffff900
	CHECK "ap-apic-base-not-bsp", eax, APIC | 0x800
.check_next:
	inc edi
	jmp .check
.done:
	mov dword [cur_cpu], -1
	mov dword [APIC + ESR], 0
	CHECK "bsp-esr-after-startup", [APIC + ESR], 0
	ret

; start_ap: ecx = its APIC ID
start_ap:
	mov ebx, ecx
	shl ebx, PCPU_SHIFT
	add ebx, pcpu
	mov eax, ICR_INIT | ICR_LEVEL | ICR_ASSERT
	call send_ipi
	mov eax, 10000                  ; 10 ms
	call delay_us
	mov eax, ICR_INIT | ICR_LEVEL   ; de-assert (the old sequence; ignored by today's APICs)
	call send_ipi
	mov eax, ICR_STARTUP | ICR_ASSERT | (TRAMP >> 12)
	call send_ipi
	mov eax, 200                    ; 200 us
	call delay_us
	cmp dword [ebx + P_PRESENT], 0
	jne .r
	mov eax, ICR_STARTUP | ICR_ASSERT | (TRAMP >> 12)
	call send_ipi
	mov eax, 200
	call delay_us
.r:
	ret

; ---- the trampoline: copied to TRAMP, entered at CS:IP = (TRAMP >> 4):0 ----
bits 16
tramp_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	mov ss, ax
	lock inc dword [tramp_entries - tramp_start]
	o32 lgdt [tramp_gdtr - tramp_start]
	mov eax, cr0
	or eax, 1                       ; PE
	mov cr0, eax
	jmp dword SEL_CODE:ap_entry     ; 32-bit code, in the image
align 4, db 0
tramp_gdtr:
	dw gdt_end - gdt - 1
	dd gdt
align 4, db 0
tramp_entries:
	dd 0
tramp_end:
bits 32

; ---- the APs ----
ap_entry:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	cld
	mov ecx, [APIC + ID]            ; no stack yet: no calls
	shr ecx, 24
	cmp ecx, MAX_CPUS
	jae .lost
	lea esp, [ecx + 1]              ; the stack of this APIC ID
	shl esp, 12
	add esp, ap_stacks
	lidt [idtr]
	call my_pcpu
	mov [ebx + P_LAPIC_ID], ecx
	push ebx
	mov eax, 1
	cpuid
	shr ebx, 24
	mov eax, ebx
	pop ebx
	mov [ebx + P_CPUID_ID], eax
	mov ecx, 0x1b
	rdmsr
	mov [ebx + P_APIC_BASE], eax
	call apic_setup
	mov dword [ebx + P_PRESENT], 1
	lock inc dword [ap_arrived]
	; the atomicity phase, all CPUs at once
.go:
	pause
	cmp dword [go], 0
	je .go
	call atomic_work
	; cross-modifying code: run xmc_code until the BSP has patched it, then
	; serialize (CPUID, as the SDM asks of the executing CPU) and run it once more
	call my_pcpu
.xmc:
	call xmc_code
	mov [ebx + P_XMC_SEEN], eax
	pause
	cmp dword [xmc_patched], 0
	je .xmc
	push ebx
	xor eax, eax
	cpuid
	pop ebx
	call xmc_code
	mov [ebx + P_XMC], eax
	; IPIs until told to park (STI; HLT: an interrupt between the check and
	; the HLT still wakes it)
.idle:
	cli
	cmp dword [finish], 0
	jne .park
	sti
	hlt
	jmp .idle
.park:
	call my_pcpu
	mov dword [ebx + P_PARKED], 1
.lost:
	cli
	hlt
	jmp .lost

; ---- atomicity ----
; atomic_work: this CPU's share
atomic_work:
	call my_pcpu
	mov ebp, ecx
	inc ebp                         ; the spinlock owner's tag: APIC ID + 1
	mov edi, ITER
.iter:
	mov eax, 1
	lock xadd [ctr_xadd], eax
	add [ebx + P_XSUM], eax
	adc dword [ebx + P_XSUM + 4], 0
	mov eax, [ctr_cmpxchg]
.retry:
	lea edx, [eax + 1]
	lock cmpxchg [ctr_cmpxchg], edx
	jnz .retry
	add [ebx + P_CSUM], eax
	adc dword [ebx + P_CSUM + 4], 0
	lock inc dword [ctr_inc]
	inc dword [ebx + P_PLAIN]
	inc byte [bytes + ecx]          ; (ecx = the APIC ID)
	test edi, LOCK_EVERY - 1
	jnz .next
	; the spinlock: XCHG is locked by itself
.try:
	mov eax, 1
	xchg eax, [spin]
	test eax, eax
	jz .held
.spin:
	pause
	cmp dword [spin], 0
	jne .spin
	jmp .try
.held:
	cmp dword [owner], 0
	je .alone
	inc dword [ebx + P_ALONE_BAD]
.alone:
	mov [owner], ebp
	mov eax, [locked_count]         ; a plain read-modify-write
	inc eax
	mov [locked_count], eax
	inc dword [ebx + P_LOCKED]
	cmp [owner], ebp
	je .still
	inc dword [ebx + P_ALONE_BAD]
.still:
	mov dword [owner], 0
	mov dword [spin], 0             ; release: a plain store (stores are not reordered)
.next:
	dec edi
	jnz .iter
	mov dword [ebx + P_DONE], 1
	lock inc dword [atomic_done]
	ret

t_atomic:
	mov dword [go], 1
	call atomic_work                ; the BSP's share
	mov edi, atomic_done
	mov esi, [ap_arrived]
	inc esi
	mov ecx, 60000                  ; up to 60 s
	call wait_until
	mov ecx, [ap_arrived]
	inc ecx
	mov [participants], ecx
	CHECK "atomic-all-done", eax, [participants]
	; T = participants * ITER increments of each shared counter
	mov eax, [participants]
	mov ecx, ITER
	mul ecx
	mov [total], eax
	CHECK "lock-xadd-total", [ctr_xadd], [total]
	CHECK "lock-cmpxchg-total", [ctr_cmpxchg], [total]
	CHECK "lock-inc-total", [ctr_inc], [total]
	mov eax, [participants]
	mov ecx, ITER / LOCK_EVERY
	mul ecx
	CHECK "spinlock-total", [locked_count], eax
	; every old value 0..T-1 returned once: the sums are T(T-1)/2
	mov eax, [total]
	lea ecx, [eax - 1]
	mul ecx
	shrd eax, edx, 1
	shr edx, 1
	mov [want_lo], eax
	mov [want_hi], edx
	xor eax, eax                    ; the sums over the CPUs
	mov [xs_lo], eax
	mov [xs_hi], eax
	mov [cs_lo], eax
	mov [cs_hi], eax
	xor edi, edi
.cpu:
	cmp edi, [ncpus]
	jae .sums
	mov ecx, [cpu_ids + edi * 4]
	cmp ecx, MAX_CPUS
	jae .nextcpu
	mov ebx, ecx
	shl ebx, PCPU_SHIFT
	add ebx, pcpu
	cmp dword [ebx + P_PRESENT], 0
	je .nextcpu
	mov [cur_cpu], ecx
	mov eax, [ebx + P_XSUM]
	add [xs_lo], eax
	mov eax, [ebx + P_XSUM + 4]
	adc [xs_hi], eax
	mov eax, [ebx + P_CSUM]
	add [cs_lo], eax
	mov eax, [ebx + P_CSUM + 4]
	adc [cs_hi], eax
	CHECK "atomic-done", [ebx + P_DONE], 1
	CHECK "plain-counter", [ebx + P_PLAIN], ITER
	CHECK "spinlock-entries", [ebx + P_LOCKED], ITER / LOCK_EVERY
	CHECK "spinlock-alone", [ebx + P_ALONE_BAD], 0
	mov ecx, [cur_cpu]
	movzx eax, byte [bytes + ecx]
	CHECK "own-byte-counter", eax, ITER & 0xff
.nextcpu:
	inc edi
	jmp .cpu
.sums:
	mov dword [cur_cpu], -1
	CHECK "lock-xadd-unique-lo", [xs_lo], [want_lo]
	CHECK "lock-xadd-unique-hi", [xs_hi], [want_hi]
	CHECK "lock-cmpxchg-unique-lo", [cs_lo], [want_lo]
	CHECK "lock-cmpxchg-unique-hi", [cs_hi], [want_hi]
	ret

; ---- IPIs ----
; vec_of: eax = APIC ID, edx = vector -> eax = that CPU's count of it
vec_of:
	shl eax, PCPU_SHIFT
	mov eax, [pcpu + eax + P_VEC + (edx - V_FIXED) * 4]
	ret

; sum_vec: edx = vector -> eax = its count over all APs that checked in
; (not the BSP)
sum_vec:
	push edi
	push ecx
	push ebx
	xor ebx, ebx
	xor edi, edi
.l:
	cmp edi, [ncpus]
	jae .r
	mov eax, [cpu_ids + edi * 4]
	cmp eax, [bsp_id]
	je .n
	cmp eax, MAX_CPUS
	jae .n
	mov ecx, eax
	shl ecx, PCPU_SHIFT
	cmp dword [pcpu + ecx + P_PRESENT], 0
	je .n
	push edx
	call vec_of
	pop edx
	add ebx, eax
.n:
	inc edi
	jmp .l
.r:
	mov eax, ebx
	pop ebx
	pop ecx
	pop edi
	ret

; wait_vec: until the APs' count of vector edx reaches esi (at most ecx ms)
wait_vec:
	push ecx
.ms:
	mov eax, PIT_MS
	call pit_start
.poll:
	sti
	nop
	cli
	call sum_vec
	cmp eax, esi
	jae .r
	call pit_expired
	jz .poll
	loop .ms
.r:
	pop ecx
	ret

; for_each_ap LABEL: call LABEL with [cur_cpu] = each AP that checked in
%macro FOR_EACH_AP 1
	xor edi, edi
%%l:
	cmp edi, [ncpus]
	jae %%done
	mov eax, [cpu_ids + edi * 4]
	cmp eax, [bsp_id]
	je %%n
	cmp eax, MAX_CPUS
	jae %%n
	mov ecx, eax
	shl ecx, PCPU_SHIFT
	cmp dword [pcpu + ecx + P_PRESENT], 0
	je %%n
	mov [cur_cpu], eax
	push edi
	call %1
	pop edi
%%n:
	inc edi
	jmp %%l
%%done:
	mov dword [cur_cpu], -1
%endmacro

; the count of vector V on [cur_cpu] is want
%macro CHECK_VEC 3                      ; "name", vector, want
	mov eax, [cur_cpu]
	mov edx, %2
	call vec_of
	CHECK %1, eax, %3
%endmacro

%macro CHECK_BSP_VEC 3
	mov eax, [bsp_id]
	mov edx, %2
	call vec_of
	CHECK %1, eax, %3
%endmacro

ipi_fixed_one:
	mov ecx, [cur_cpu]
	mov eax, ICR_FIXED | ICR_ASSERT | V_FIXED
	call send_ipi
	mov edi, [cur_cpu]
	shl edi, PCPU_SHIFT
	add edi, pcpu + P_VEC + (V_FIXED - V_FIXED) * 4
	mov esi, 1
	mov ecx, 1000
	call wait_until
	ret

ipi_ping_one:
	inc dword [pings]
	mov ecx, [cur_cpu]
	mov eax, ICR_FIXED | ICR_ASSERT | V_PING
	call send_ipi
	mov edi, [bsp_id]               ; the answer
	shl edi, PCPU_SHIFT
	add edi, pcpu + P_VEC + (V_PONG - V_FIXED) * 4
	mov esi, [pings]
	mov ecx, 1000
	call wait_until
	ret

check_fixed_one:
	CHECK_VEC "ipi-fixed-physical", V_FIXED, 1
	CHECK_VEC "ipi-ping", V_PING, 1
	CHECK_VEC "ipi-pong-not-to-ap", V_PONG, 0
	ret

check_broadcast_one:
	CHECK_VEC "ipi-all-excluding-self", V_OTHERS, 1
	CHECK_VEC "ipi-all-including-self", V_ALL, 1
	ret

; logical flat: the odd APIC IDs (0-7)
check_logical_one:
	mov eax, [cur_cpu]
	and eax, 1
	cmp dword [cur_cpu], 8
	jb .w
	xor eax, eax
.w:
	mov [tmp], eax
	CHECK_VEC "ipi-logical-flat", V_LOGICAL, [tmp]
	ret

check_nmi_one:
	mov eax, [cur_cpu]
	cmp eax, [nmi_target]
	sete al
	movzx eax, al
	mov [tmp], eax
	mov ebx, [cur_cpu]
	shl ebx, PCPU_SHIFT
	CHECK "ipi-nmi", [pcpu + ebx + P_NMI], [tmp]
	ret

; the mask of APs with IDs 0-7 (for the logical tests) into [lmask]
lmask_one:
	mov ecx, [cur_cpu]
	cmp ecx, 8
	jae .r
	mov eax, 1
	shl eax, cl
	or [lmask], eax
.r:
	ret

nmi_pick:
	mov eax, [cur_cpu]
	mov [nmi_target], eax
	ret

t_ipi:
	; fixed, physical destination, one AP at a time
	FOR_EACH_AP ipi_fixed_one
	; each AP answers a ping with an IPI to the BSP
	FOR_EACH_AP ipi_ping_one
	CHECK_BSP_VEC "ipi-pongs-to-bsp", V_PONG, [pings]
	; all excluding self: every AP once, not the BSP
	mov ecx, 0
	mov eax, ICR_OTHERS | ICR_FIXED | ICR_ASSERT | V_OTHERS
	call send_ipi
	mov edx, V_OTHERS
	mov esi, [ap_arrived]
	mov ecx, 1000
	call wait_vec
	; all including self: every CPU once
	mov ecx, 0
	mov eax, ICR_SELF_ALL | ICR_FIXED | ICR_ASSERT | V_ALL
	call send_ipi
	mov edx, V_ALL
	mov esi, [ap_arrived]
	mov ecx, 1000
	call wait_vec
	mov ecx, 20                     ; whatever was coming has come
	call quiet
	CHECK_BSP_VEC "ipi-all-excluding-self-not-bsp", V_OTHERS, 0
	CHECK_BSP_VEC "ipi-all-including-self-bsp", V_ALL, 1
	CHECK_BSP_VEC "ipi-fixed-not-bsp", V_FIXED, 0
	CHECK_BSP_VEC "ipi-ping-not-bsp", V_PING, 0
	FOR_EACH_AP check_fixed_one
	FOR_EACH_AP check_broadcast_one
	; logical destination, flat model: the odd IDs among 0-7
	FOR_EACH_AP lmask_one
	mov eax, [lmask]
	and eax, 0xaa
	jz .lowest
	mov ecx, eax
	mov eax, ICR_LOGICAL | ICR_FIXED | ICR_ASSERT | V_LOGICAL
	call send_ipi
	mov ecx, [lmask]
	and ecx, 0xaa
	xor esi, esi                    ; how many (no POPCNT on every model)
.bits:
	shr ecx, 1
	adc esi, 0
	test ecx, ecx
	jnz .bits
	mov edx, V_LOGICAL
	mov ecx, 1000
	call wait_vec
	mov ecx, 20
	call quiet
	FOR_EACH_AP check_logical_one
	CHECK_BSP_VEC "ipi-logical-not-bsp", V_LOGICAL, 0
.lowest:
	; lowest priority to all APs among IDs 0-7: exactly one takes it
	cmp dword [lmask], 0
	je .nmi
	mov ecx, [lmask]
	mov eax, ICR_LOGICAL | ICR_LOWEST | ICR_ASSERT | V_LOWEST
	call send_ipi
	mov edx, V_LOWEST
	mov esi, 1
	mov ecx, 1000
	call wait_vec
	mov ecx, 20
	call quiet
	mov edx, V_LOWEST
	call sum_vec
	CHECK "ipi-lowest-priority-one-ap", eax, 1
	CHECK_BSP_VEC "ipi-lowest-priority-not-bsp", V_LOWEST, 0
.nmi:
	; NMI to one AP (the last): that one only
	mov dword [nmi_target], -1
	FOR_EACH_AP nmi_pick
	cmp dword [nmi_target], -1
	je .esr
	mov ecx, [nmi_target]
	mov eax, ICR_NMI | ICR_ASSERT
	call send_ipi
	mov edi, [nmi_target]
	shl edi, PCPU_SHIFT
	add edi, pcpu + P_NMI
	mov esi, 1
	mov ecx, 1000
	call wait_until
	mov ecx, 20
	call quiet
	FOR_EACH_AP check_nmi_one
	mov ebx, [bsp_id]
	shl ebx, PCPU_SHIFT
	CHECK "ipi-nmi-not-bsp", [pcpu + ebx + P_NMI], 0
.esr:
	mov dword [APIC + ESR], 0
	CHECK "bsp-esr-after-ipis", [APIC + ESR], 0
	CHECK "icr-never-stuck", [icr_stuck], 0
	ret

; ---- cross-modifying code ----
; t_xmc: every AP runs xmc_code (mov eax, 1; ret) in a loop; the BSP
; rewrites its immediate to 2 once each AP has run it, then raises
; xmc_patched; each AP, after CPUID, must run the new code.
t_xmc:
	FOR_EACH_AP xmc_wait_seen
	mov byte [xmc_code + 1], 2
	mov dword [xmc_patched], 1
	FOR_EACH_AP xmc_check_one
	ret

xmc_wait_seen:
	mov edi, [cur_cpu]
	shl edi, PCPU_SHIFT
	add edi, pcpu + P_XMC_SEEN
	mov esi, 1
	mov ecx, 1000
	call wait_until
	CHECK "xmc-old-code", eax, 1
	ret

xmc_check_one:
	mov edi, [cur_cpu]
	shl edi, PCPU_SHIFT
	add edi, pcpu + P_XMC
	mov esi, 1
	mov ecx, 1000
	call wait_until
	CHECK "xmc-new-code-after-cpuid", eax, 2
	ret

xmc_old:
	mov eax, 1                      ; (B8 imm32: the immediate is byte 1)
	ret
xmc_old_end:

; ---- the end: every AP parks in CLI; HLT ----
check_end_one:
	mov ebx, [cur_cpu]
	shl ebx, PCPU_SHIFT
	add ebx, pcpu
	CHECK "ap-parked", [ebx + P_PARKED], 1
	CHECK_VEC "ipi-wake", V_WAKE, 1
	call check_clean
	ret

; check_clean: ebx = a record: no exception, unexpected vector, spurious
check_clean:
	CHECK "no-exception", [ebx + P_EXC], 0
	CHECK "no-exception-eip", [ebx + P_EXC_EIP], 0
	CHECK "no-unexpected-vector", [ebx + P_OTHER], 0
	CHECK "no-spurious", [ebx + P_SPURIOUS], 0
	ret

t_end:
	mov dword [finish], 1
	mov ecx, 0
	mov eax, ICR_OTHERS | ICR_FIXED | ICR_ASSERT | V_WAKE
	call send_ipi
	FOR_EACH_AP wait_parked
	FOR_EACH_AP check_end_one
	mov ebx, [bsp_id]
	mov [cur_cpu], ebx
	shl ebx, PCPU_SHIFT
	add ebx, pcpu
	call check_clean
	mov dword [cur_cpu], -1
	ret

wait_parked:
	mov edi, [cur_cpu]
	shl edi, PCPU_SHIFT
	add edi, pcpu + P_PARKED
	mov esi, 1
	mov ecx, 1000
	call wait_until
	ret

s_banner: db "SMP: start", 10, 0
s_cpus: db "SMP: cpus ", 0
s_ids: db " ids", 0
s_fail: db "SMP: FAIL ", 0
s_cpu: db "cpu ", 0
s_got: db " got ", 0
s_want: db " want ", 0
s_exc: db "SMP: FAIL exception ", 0
s_at: db " at ", 0
s_summary: db "SMP: SUMMARY ", 0
s_passed: db " passed, ", 0
s_failed: db " failed", 10, 0

align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff           ; 0x08: code, 32-bit, flat
	dq 0x00cf92000000ffff           ; 0x10: data, flat
gdt_end:
gdtr:
	dw gdt_end - gdt - 1
	dd gdt
idtr:
	dw 256 * 8 - 1
	dd idt

image_end:

absolute image_end
alignb 64
bss_start:
passed: resd 1
failed: resd 1
cur_cpu: resd 1                         ; the CPU a FAIL line names, -1: none
bsp_id: resd 1
bsp_apic_base: resd 1
tmp: resd 1
rsdp: resd 1
sdt: resd 1
sdt_entry: resd 1
sdt_sig: resd 1
madt: resd 1
ioapic_entries: resd 1
ncpus: resd 1
ncpus_over: resd 1
cpu_ids: resd MAX_CPUS
aps: resd 1                             ; APs started
participants: resd 1
total: resd 1
want_lo: resd 1
want_hi: resd 1
xs_lo: resd 1
xs_hi: resd 1
cs_lo: resd 1
cs_hi: resd 1
pings: resd 1
lmask: resd 1
nmi_target: resd 1
icr_stuck: resd 1
; shared between the CPUs, each on its own cache line
alignb 64
ap_arrived: resd 16
go: resd 16
atomic_done: resd 16
finish: resd 16
ctr_xadd: resd 16
ctr_cmpxchg: resd 16
ctr_inc: resd 16
spin: resd 16
owner: resd 1
locked_count: resd 15
bytes: resd 16                          ; one byte per CPU, side by side
xmc_patched: resd 16
alignb 128
pcpu: resb MAX_CPUS << PCPU_SHIFT
alignb 8
idt: resb 256 * 8
alignb 16
bsp_stack: resb 8192
bsp_stack_top:
alignb 4096
xmc_code: resb 4096                     ; a code page of its own
ap_stacks: resb MAX_CPUS * 4096         ; AP with APIC ID i: the page below ap_stacks + (i + 1) * 4096
bss_end:
