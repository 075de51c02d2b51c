; mbrun.asm - the multiboot (v1) test-image runner: a kernel that runs the
; conformance corpus (testcases/FORMAT.md images) on any machine that boots
; multiboot kernels, so the same bytes run under `rax --kernel mbrun.bin
; --initrd a.bin,b.bin` (either backend) and under `qemu-system-x86_64
; -kernel mbrun.bin -initrd a.bin,b.bin`, and their reports can be compared.
;
; Every module is one test image. For each, the runner rebuilds the machine
; src/loader/testimg.c builds for `rax --test` - the same GDT (0x1000),
; TSS (0x1100, RSP0 0x80000, IST1 0x90000), IDT (0x2000), 2 MiB identity
; map with the image's W/U/NX policy, CR0/CR4/EFER (CR4.OSXSAVE and XCR0 =
; x87|SSE|AVX where CPUID offers XSAVE and AVX, as rax-diff starts images),
; zeroed RAM, x87/SSE/AVX reset state, GPRs from the header - enters the test at its CPL with
; IRETQ, and catches its end: the exit call (int 0x30), an exception the
; test's catch block does not take, or (trace mode) the step limit. It
; then prints the final state on COM1 and goes on with the next module;
; after the last one it exits through isa-debug-exit (port 0xf4, value 0).
;
; Differences from `rax --test`, all the same on every machine:
; - a CPL0 image's `out 0xf4, al; cli; hlt` exit (RAXT_EXIT, bytes
;   E6 F4 FA F4) is patched to `int 0x30; nop; nop`: the port would end the
;   whole run under QEMU's isa-debug-exit before the state is reported;
;   the exit call goes through the IDT, so a CPL0 image that loads its own
;   IDT (asm/t_faults.asm) must restore the runner's before it exits;
; - the runtime services (0x30-0x32) and the exception entries live here,
;   not at 0x4000.
;
; Command line (multiboot cmdline, words anywhere in it):
;   trace  run every test with TF set and print one line per instruction
;          (RIP, RFLAGS, GPRs); POPF in the test keeps TF set.
;   steps  run every test with TF set and report the number of instructions
;          and a hash of the state after each one (RIP, RFLAGS, GPRs, x87/SSE,
;          with AVX the YMM upper halves):
;          two runs that agree on it agree at every instruction
;   dump   after each test also print the bytes of the image, the default
;          stack's top 64 KiB and each region, 64 per line.
;
; Report lines (each starts on a new line with "@@ "):
;   @@ begin INDEX NAME          NAME: the module's string
;   ...                          the test's own COM1 output (int 0x31)
;   @@ t RIP RFLAGS RAX..R15 FX  trace mode: after each instruction (RIP of
;                                the next one); FX: FNV-1a hash of the FXSAVE
;                                image without FOP/FIP/FDP (vendor-specific)
;                                and the MXCSR mask
;   @@ end exit VALUE | end exception VECTOR ERROR CR2 | end timeout STEPS
;        | end error TEXT
;   @@ regs RAX RCX RDX RBX RSP RBP RSI RDI R8..R15
;   @@ frame RIP CS RFLAGS SS
;   @@ x87 FCW FSW FTW(abridged) MXCSR
;   @@ st ST0..ST7               80-bit values, exponent word first
;   @@ xmm XMM0..XMM15           high qword first
;   @@ ymmh YMM0H..YMM15H        the YMM upper halves, high qword first (only
;                                where the runner turned AVX on)
;   @@ mem IMAGE STACK REGION0.. FNV-1a hashes (8 bytes at a time) of the
;                                image, the top 64 KiB of the default
;                                stack (0 without it) and each region
;   @@ steps COUNT HASH          steps or trace mode: instructions, state hash
;   @@ d ADDRESS BYTES           dump mode: 64 bytes from ADDRESS
;   @@ all COUNT                 after the last module
; All numbers are hexadecimal without a prefix.

%define LOAD        0x100000

; system area, as src/layout.h "test images"
%define GDT         0x1000
%define TSS         0x1100
%define IDT         0x2000
%define PML4        0x10000
%define PDPT        0x11000
%define PD          0x12000
%define PD_HI       0x13000          ; 1-2 GiB: the relocated modules (supervisor)
%define RSP0_TOP    0x80000
%define IST1_TOP    0x90000
%define SYS_END     0x200000
%define TEST_LOAD   0x400000
%define STACK_TOP_DEFAULT 0x800000
%define MAP_LIMIT   0x40000000

; the runner's own data (inside the system area, zeroed as bss)
%define MODTAB      0x180000         ; per module: start, size (qwords)
%define NAMES       0x188000         ; per module: 256-byte name
%define NAME_MAX    256
%define MAX_MODS    1024
%define FX_INIT     0x1d0000
%define FX_SAVE     0x1d0400
%define FX_STEP     0x1d0800         ; FXSAVE image, then (AVX) the YMM upper halves at +416
%define YMMH_SAVE   0x1d0600         ; the YMM upper halves at the end of a test (AVX)
%define XS_INIT     0x1d0c00         ; XSAVE image with XSTATE_BV = 0: AVX to its initial state
%define VARS        0x1d1000
%define STACK_TOP   0x1f0000
%define BSS_END     0x1f0000
%define MOD_AREA    0x40000000       ; modules are copied here first

%define SEL_CODE0   0x08
%define SEL_DATA0   0x10
%define SEL_DATA3   0x1b
%define SEL_CODE3   0x23
%define SEL_TSS     0x28

%define COM1        0x3f8
%define DEBUG_EXIT  0xf4

; test-image header (testcases/FORMAT.md)
%define H_VERSION   4
%define H_SIZE      6
%define H_MODE      8
%define H_CPL       9
%define H_NREGS     12
%define H_NREGIONS  13
%define H_LOAD      16
%define H_ENTRY     24
%define H_STACK     32
%define H_STEPS     40
%define H_CATCH     48
%define H_FIXED     56

%define PTE_P       1
%define PTE_RW      2
%define PTE_US      4
%define PTE_A       0x20
%define PTE_D       0x40
%define PTE_PS      0x80

%define R_WRITE     1
%define R_USER      2
%define R_EXEC      4

; end kinds
%define END_EXIT    1
%define END_EXC     2
%define END_TIMEOUT 3

	org LOAD

; ---------------------------------------------------------------------------
; multiboot header: page-aligned modules, memory info, a.out kludge addresses
%define MB_MAGIC    0x1BADB002
%define MB_FLAGS    0x00010003
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header                    ; header_addr
	dd LOAD                         ; load_addr
	dd file_end                     ; load_end_addr
	dd BSS_END                      ; bss_end_addr
	dd entry32                      ; entry_addr

; ---------------------------------------------------------------------------
; 32-bit entry: protected mode, paging off, EAX magic, EBX info structure
	bits 32
entry32:
	cli
	cld
	mov esp, STACK_TOP
	cmp eax, 0x2BADB002
	jne .bad_magic
	mov al, 0xff                    ; mask both 8259s (firmware may have unmasked IRQ0)
	out 0x21, al
	out 0xa1, al
	mov eax, [ebx]                  ; flags
	test eax, 1 << 3
	jz .no_mods
	test eax, 1 << 2                ; cmdline
	jz .mods
	mov esi, [ebx + 16]
	call find_trace32
.mods:
	mov ecx, [ebx + 20]             ; mods_count
	cmp ecx, MAX_MODS
	ja .too_many
	mov [v_nmods], ecx
	mov esi, [ebx + 24]             ; mods_addr
	; the copy goes above every module and above MOD_AREA
	mov edi, MOD_AREA
	xor edx, edx
.find_top:
	cmp edx, ecx
	jae .have_top
	mov eax, edx
	shl eax, 4                      ; entries are 16 bytes
	mov eax, [esi + eax + 4]        ; mod_end
	cmp eax, edi
	jbe .next_top
	mov edi, eax
.next_top:
	inc edx
	jmp .find_top
.have_top:
	add edi, 0xfff
	and edi, ~0xfff
	mov [v_copy], edi
	xor edx, edx                    ; module index
.copy:
	cmp edx, [v_nmods]
	jae .copied
	mov esi, [ebx + 24]
	mov eax, edx
	shl eax, 4
	add esi, eax
	; name
	push esi
	mov esi, [esi + 8]
	mov edi, edx
	shl edi, 8
	add edi, NAMES
	mov ecx, NAME_MAX - 1
	test esi, esi
	jz .name_done
.name:
	lodsb
	test al, al
	jz .name_done
	stosb
	loop .name
.name_done:
	mov byte [edi], 0
	pop esi
	; bytes
	mov eax, [esi]                  ; mod_start
	mov ecx, [esi + 4]              ; mod_end
	sub ecx, eax
	jb .bad_module
	mov edi, [v_copy]
	mov ebp, edx
	shl ebp, 4
	mov [MODTAB + ebp], edi
	mov [MODTAB + ebp + 8], ecx
	mov esi, eax
	mov eax, edi                    ; next copy: page-aligned end (no wrap past 4 GiB)
	add eax, ecx
	cmp eax, edi
	jb .no_room
	cmp eax, 0xfffff000
	ja .no_room
	add eax, 0xfff
	and eax, ~0xfff
	mov [v_copy], eax
	rep movsb
	inc edx
	jmp .copy
.copied:
	; the copies must fit in RAM (mem_upper is KiB above 1 MiB)
	mov eax, [ebx]
	test eax, 1
	jz .no_meminfo
	mov eax, [ebx + 8]
	cmp eax, (0x80000000 - 0x100000) / 1024
	jae .build
	shl eax, 10
	add eax, 0x100000
	cmp [v_copy], eax
	ja .no_room
	jmp .build

.bad_magic:
	mov esi, msg_magic
	jmp fail32
.no_mods:
	mov esi, msg_nomods
	jmp fail32
.too_many:
	mov esi, msg_toomany
	jmp fail32
.bad_module:
	mov esi, msg_badmod
	jmp fail32
.no_room:
	mov esi, msg_noroom
	jmp fail32
.no_meminfo:
	mov esi, msg_nomem
	jmp fail32

.build:
	; page tables: PML4[0] -> PDPT; PDPT[0] -> PD (the test's 1 GiB),
	; PDPT[1] -> PD_HI (the module copies, supervisor, NX)
	mov edi, PML4
	xor eax, eax
	mov ecx, 0x4000 / 4
	rep stosd
	mov dword [PML4], PDPT | PTE_P | PTE_RW | PTE_US | PTE_A
	mov dword [PDPT], PD | PTE_P | PTE_RW | PTE_US | PTE_A
	mov dword [PDPT + 8], PD_HI | PTE_P | PTE_RW | PTE_A
	mov dword [PD], PTE_P | PTE_RW | PTE_PS | PTE_A | PTE_D
	mov edi, PD_HI
	mov eax, MOD_AREA | PTE_P | PTE_RW | PTE_PS | PTE_A | PTE_D
	mov ecx, 512
.hi:
	mov [edi], eax
	mov dword [edi + 4], 0x80000000 ; NX
	add eax, 0x200000
	add edi, 8
	loop .hi
	; GDT: the same descriptors as testimg.c (TSS available until LTR)
	mov edi, GDT
	mov esi, gdt_template
	mov ecx, 7 * 2
	rep movsd
	lgdt [gdtr]
	mov eax, 0x620                  ; CR4: PAE OSFXSR OSXMMEXCPT
	mov cr4, eax
	mov eax, PML4
	mov cr3, eax
	mov ecx, 0xc0000080             ; EFER: LME NXE
	rdmsr
	or eax, 0x900
	wrmsr
	mov eax, 0x80010033             ; CR0: PG WP NE ET MP PE
	mov cr0, eax
	jmp SEL_CODE0:long_entry

; find_trace32: esi -> NUL-terminated command line; sets v_trace on "trace"
find_trace32:
.scan:
	cmp byte [esi], 0
	je .done
	cmp dword [esi], 'dump'
	je .dump
	cmp dword [esi], 'step'
	je .steps
	cmp dword [esi], 'trac'
	jne .next
	cmp byte [esi + 4], 'e'
	jne .next
	mov dword [v_trace], 1
	mov dword [v_step], 1
	jmp .next
.steps:
	cmp byte [esi + 4], 's'
	jne .next
	mov dword [v_step], 1
	jmp .next
.dump:
	mov dword [v_dump], 1
.next:
	inc esi
	jmp .scan
.done:
	ret

; fail32: print esi and exit with status 1 (value 0x7f: (0x7f << 1) | 1 = 255)
fail32:
	mov dx, COM1
.c:
	lodsb
	test al, al
	jz .x
	out dx, al
	jmp .c
.x:
	mov al, 0x7f
	out DEBUG_EXIT, al
	cli
	hlt
	jmp .x

; ---------------------------------------------------------------------------
	bits 64
long_entry:
	mov ax, SEL_DATA0
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov rsp, STACK_TOP
	; TSS: RSP0, IST1, I/O map base beyond the limit
	mov qword [TSS + 4], RSP0_TOP
	mov qword [TSS + 36], IST1_TOP
	mov word [TSS + 0x66], 0x68
	mov ax, SEL_TSS
	ltr ax
	; IDT: vector v -> exc_entries + 16 v (0x30-0x32: the services), DPL3
	; for 3, 4 and the services; IST1 for 1, 2, 8, 18
	xor ecx, ecx
.gate:
	lea rax, [rel exc_entries]
	mov rdx, rcx
	shl rdx, 4
	add rax, rdx
	cmp ecx, 0x30
	jne .g1
	lea rax, [rel svc_exit]
.g1:
	cmp ecx, 0x31
	jne .g2
	lea rax, [rel svc_out]
.g2:
	cmp ecx, 0x32
	jne .g3
	lea rax, [rel svc_in]
.g3:
	; low qword: offset 15:0, selector, IST, type/DPL, offset 31:16
	mov rdx, rax
	and edx, 0xffff
	mov rbx, SEL_CODE0 << 16
	or rdx, rbx
	mov rbx, rax
	shr rbx, 16
	and ebx, 0xffff
	shl rbx, 48
	or rdx, rbx
	mov ebx, 0x8e                   ; present, DPL0, interrupt gate
	cmp ecx, 3
	je .dpl3
	cmp ecx, 4
	je .dpl3
	cmp ecx, 0x30
	jb .dpl_done
	cmp ecx, 0x32
	ja .dpl_done
.dpl3:
	or ebx, 0x60
.dpl_done:
	shl rbx, 40
	or rdx, rbx
	cmp ecx, 1
	je .ist
	cmp ecx, 2
	je .ist
	cmp ecx, 8
	je .ist
	cmp ecx, 18
	jne .noist
.ist:
	bts rdx, 32
.noist:
	mov rbx, rcx
	shl rbx, 4
	mov [IDT + rbx], rdx
	shr rax, 32
	mov [IDT + rbx + 8], rax
	inc ecx
	cmp ecx, 256
	jb .gate
	lidt [idtr]
	; the x87/SSE state every test starts from
	mov word [FX_INIT], 0x37f
	mov dword [FX_INIT + 24], 0x1f80
	mov dword [XS_INIT + 24], 0x1f80
	; XSAVE and AVX where CPUID offers them (rax-diff starts images with
	; CR4.OSXSAVE and XCR0 = x87|SSE|AVX wherever its oracle has XSAVE)
	mov qword [v_cr4], 0x620        ; CR4: PAE OSFXSR OSXMMEXCPT
	mov qword [v_xcr0], 0
	mov eax, 1
	cpuid
	bt ecx, 26                      ; XSAVE
	jnc .no_xsave
	or qword [v_cr4], 1 << 18       ; OSXSAVE
	mov qword [v_xcr0], 3
	bt ecx, 28                      ; AVX
	jnc .no_xsave
	mov qword [v_xcr0], 7
.no_xsave:
	mov qword [v_index], 0

main_loop:
	mov rsp, STACK_TOP
	mov rax, [v_index]
	cmp rax, [v_nmods]
	jae all_done
	call run_test                   ; returns only when the image is refused
	inc qword [v_index]
	jmp main_loop

all_done:
	lea rsi, [rel s_all]
	call puts
	mov rax, [v_nmods]
	call puthex
	mov al, 10
	call putc
	xor eax, eax
	out DEBUG_EXIT, al
.h:
	cli
	hlt
	jmp .h

; ---------------------------------------------------------------------------
; run_test: set up and enter test v_index; the end paths jump to `finish`
run_test:
	lea rsi, [rel s_begin]
	call puts
	mov rax, [v_index]
	call puthex
	mov al, ' '
	call putc
	mov rsi, [v_index]
	shl rsi, 8
	add rsi, NAMES
	call puts
	mov al, 10
	call putc

	mov rax, [v_index]
	shl rax, 4
	mov rsi, [MODTAB + rax]         ; image bytes (copy)
	mov rcx, [MODTAB + rax + 8]     ; size
	mov [v_img], rsi
	mov [v_size], rcx
	; defaults: headerless image
	mov qword [v_load], TEST_LOAD
	mov qword [v_entry], TEST_LOAD
	mov qword [v_stack], 0
	mov qword [v_catch], 0
	mov qword [v_cpl], 0
	mov qword [v_steplimit], 0
	mov qword [v_nregs], 0
	mov qword [v_nregions], 0
	test rcx, rcx
	jz .e_empty
	cmp rcx, 4
	jb .parsed
	cmp dword [rsi], 'RAXT'
	jne .parsed
	cmp rcx, H_FIXED
	jb .e_trunc
	cmp word [rsi + H_VERSION], 1
	jne .e_version
	cmp byte [rsi + H_MODE], 64
	jne .e_mode
	movzx eax, byte [rsi + H_CPL]
	mov [v_cpl], rax
	test eax, eax
	jz .cpl_ok
	cmp eax, 3
	jne .e_cpl
.cpl_ok:
	movzx eax, byte [rsi + H_NREGS]
	cmp eax, 17
	ja .e_lists
	mov [v_nregs], rax
	movzx edx, byte [rsi + H_NREGIONS]
	cmp edx, 16
	ja .e_lists
	mov [v_nregions], rdx
	shl eax, 4
	imul edx, edx, 24
	lea eax, [eax + edx + H_FIXED]
	movzx edx, word [rsi + H_SIZE]
	cmp eax, edx
	jne .e_lists
	cmp rax, rcx
	ja .e_trunc
	mov rax, [rsi + H_LOAD]
	test rax, rax
	jz .load_default
	mov [v_load], rax
.load_default:
	mov rax, [rsi + H_ENTRY]
	mov [v_entry], rax
	mov rax, [rsi + H_STACK]
	mov [v_stack], rax
	mov rax, [rsi + H_STEPS]
	mov [v_steplimit], rax
	mov rax, [rsi + H_CATCH]
	mov [v_catch], rax
.parsed:
	; the image must lie in [SYS_END, MAP_LIMIT)
	mov rdi, [v_load]
	mov rcx, [v_size]
	call check_range
	jc .e_range

	; page directory: entry 0 is the system area, the rest start empty
	lea rdi, [PD + 8]
	xor eax, eax
	mov ecx, 511
	rep stosq
	mov r8d, R_WRITE | R_EXEC
	cmp qword [v_cpl], 3
	jne .img_map
	or r8d, R_USER
.img_map:
	mov rdi, [v_load]
	mov rcx, [v_size]
	call map_range
	cmp qword [v_stack], 0
	jne .regions
	mov r8d, R_WRITE
	cmp qword [v_cpl], 3
	jne .stack_map
	or r8d, R_USER
.stack_map:
	mov rdi, STACK_TOP_DEFAULT - 0x200000
	mov rcx, 0x200000
	call map_range
.regions:
	xor r12d, r12d
.region:
	cmp r12, [v_nregions]
	jae .mapped
	call region_ptr                 ; rbx -> region record r12
	mov rdi, [rbx]
	mov rcx, [rbx + 8]
	call check_range
	jc .e_range
	mov r8d, [rbx + 16]
	cmp r8d, 7
	ja .e_lists
	call map_range
	inc r12
	jmp .region
.mapped:
	; every mapped test page starts zeroed, then the image goes in (WP off:
	; read-only regions are zeroed too; the new PD needs a TLB flush)
	mov rax, cr0
	btr rax, 16
	mov cr0, rax
	mov eax, PML4
	mov cr3, rax
	mov r12d, 1
.zero:
	test qword [PD + r12 * 8], PTE_P
	jz .zero_next
	mov rdi, r12
	shl rdi, 21
	xor eax, eax
	mov ecx, 0x200000 / 8
	rep stosq
.zero_next:
	inc r12d
	cmp r12d, 512
	jb .zero
	mov rsi, [v_img]
	mov rdi, [v_load]
	mov rcx, [v_size]
	rep movsb
	cmp qword [v_cpl], 0
	jne .patched
	call patch_exits
.patched:
	; initial registers: zero, RSP = stack top, RFLAGS = 2, then the header's
	mov edi, v_init
	xor eax, eax
	mov ecx, 17
	rep stosq
	mov rax, [v_stack]
	test rax, rax
	jnz .have_stack
	mov eax, STACK_TOP_DEFAULT
.have_stack:
	mov [v_init + 4 * 8], rax
	mov qword [v_init + 16 * 8], 2
	mov rsi, [v_img]
	add rsi, H_FIXED
	xor ecx, ecx
.reg:
	cmp rcx, [v_nregs]
	jae .regs_done
	movzx eax, byte [rsi]
	cmp eax, 16
	ja .e_lists
	mov rdx, [rsi + 8]
	mov [v_init + rax * 8], rdx
	add rsi, 16
	inc ecx
	jmp .reg
.regs_done:
	or qword [v_init + 16 * 8], 2
	cmp qword [v_step], 0
	je .no_tf
	or qword [v_init + 16 * 8], 0x100
.no_tf:
	mov qword [v_steps], 0
	mov rax, 0xcbf29ce484222325
	mov [v_sthash], rax

	; machine state: the module copies unmapped, CR2/DRs/MSRs/x87/SSE reset
	mov qword [PDPT + 8], 0
	mov rax, 0x80010033
	mov cr0, rax
	mov rax, [v_cr4]
	mov cr4, rax
	call set_xcr0
	mov eax, PML4
	mov cr3, rax
	lgdt [gdtr]
	lidt [idtr]
	xor eax, eax
	mov cr2, rax
	mov dr0, rax
	mov dr1, rax
	mov dr2, rax
	mov dr3, rax
	mov eax, 0xffff0ff0
	mov dr6, rax
	mov eax, 0x400
	mov dr7, rax
	fxrstor [FX_INIT]
	cmp qword [v_xcr0], 7
	jne .no_avx_init
	mov eax, 4                      ; the YMM upper halves: initial (zero)
	xor edx, edx
	xrstor [XS_INIT]
.no_avx_init:
	mov eax, SEL_DATA0
	cmp qword [v_cpl], 3
	jne .sel
	mov eax, SEL_DATA3
.sel:
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	xor eax, eax
	xor edx, edx
	mov ecx, 0xc0000100             ; FS_BASE
	wrmsr
	inc ecx                         ; GS_BASE
	wrmsr
	inc ecx                         ; KERNEL_GS_BASE
	wrmsr
	; IRETQ frame: SS, RSP, RFLAGS, CS, RIP
	cmp qword [v_cpl], 3
	jne .frame0
	push SEL_DATA3
	push qword [v_init + 4 * 8]
	push qword [v_init + 16 * 8]
	push SEL_CODE3
	jmp .frame_rip
.frame0:
	push SEL_DATA0
	push qword [v_init + 4 * 8]
	push qword [v_init + 16 * 8]
	push SEL_CODE0
.frame_rip:
	push qword [v_entry]
	mov qword [v_in_test], 1
	mov rax, [v_init + 0 * 8]
	mov rcx, [v_init + 1 * 8]
	mov rdx, [v_init + 2 * 8]
	mov rbx, [v_init + 3 * 8]
	mov rbp, [v_init + 5 * 8]
	mov rsi, [v_init + 6 * 8]
	mov rdi, [v_init + 7 * 8]
	mov r8, [v_init + 8 * 8]
	mov r9, [v_init + 9 * 8]
	mov r10, [v_init + 10 * 8]
	mov r11, [v_init + 11 * 8]
	mov r12, [v_init + 12 * 8]
	mov r13, [v_init + 13 * 8]
	mov r14, [v_init + 14 * 8]
	mov r15, [v_init + 15 * 8]
	iretq

.e_empty:
	lea rsi, [rel s_e_empty]
	jmp .refuse
.e_trunc:
	lea rsi, [rel s_e_trunc]
	jmp .refuse
.e_version:
	lea rsi, [rel s_e_version]
	jmp .refuse
.e_mode:
	lea rsi, [rel s_e_mode]
	jmp .refuse
.e_cpl:
	lea rsi, [rel s_e_cpl]
	jmp .refuse
.e_lists:
	lea rsi, [rel s_e_lists]
	jmp .refuse
.e_range:
	lea rsi, [rel s_e_range]
.refuse:
	push rsi
	lea rsi, [rel s_end_error]
	call puts
	pop rsi
	call puts
	mov al, 10
	call putc
	ret

; region_ptr: rbx -> region record r12 of the current image
region_ptr:
	mov rbx, [v_nregs]
	shl rbx, 4
	add rbx, [v_img]
	add rbx, H_FIXED
	imul rax, r12, 24
	add rbx, rax
	ret

; check_range: [rdi, rdi+rcx) inside [SYS_END, MAP_LIMIT) and not empty; CF=1 if not
check_range:
	test rcx, rcx
	jz .bad
	cmp rdi, SYS_END
	jb .bad
	mov rax, MAP_LIMIT
	cmp rdi, rax
	jae .bad
	sub rax, rdi
	cmp rcx, rax
	ja .bad
	clc
	ret
.bad:
	stc
	ret

; map_range: [rdi, rdi+rcx) with region flags r8d into the PD (2 MiB pages;
; W/U are or-ed, any executable range clears NX), as testimg.c map_range
map_range:
	lea r9, [rdi + rcx]             ; end
	and rdi, -0x200000
.page:
	cmp rdi, r9
	jae .done
	mov rax, rdi
	shr rax, 21
	lea r10, [PD + rax * 8]
	mov rax, [r10]
	test eax, PTE_P
	jnz .present
	mov rax, rdi
	or rax, PTE_P | PTE_PS | PTE_A | PTE_D
	bts rax, 63
.present:
	test r8d, R_WRITE
	jz .w
	or rax, PTE_RW
.w:
	test r8d, R_USER
	jz .u
	or rax, PTE_US
.u:
	test r8d, R_EXEC
	jz .x
	btr rax, 63
.x:
	mov [r10], rax
	add rdi, 0x200000
	jmp .page
.done:
	ret

; patch_exits: RAXT_EXIT at CPL0 (out 0xf4, al; cli; hlt) -> int 0x30; nop; nop
patch_exits:
	mov rdi, [v_load]
	mov rcx, [v_size]
	sub rcx, 3
	jbe .done
.scan:
	cmp dword [rdi], 0xf4faf4e6
	jne .next
	mov dword [rdi], 0x909030cd
	add rdi, 3
	sub rcx, 3
	jbe .done
.next:
	inc rdi
	dec rcx
	jnz .scan
.done:
	ret

; ---------------------------------------------------------------------------
; exception entries: vector v at exc_entries + 16 v; push 0 when the CPU
; pushes no error code, push v, then the common path
	align 16
exc_entries:
%assign v 0
%rep 256
	%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
	push strict dword v
	%else
	push strict byte 0
	push strict dword v
	%endif
	jmp strict near exc_common
	times 16 - ($ - exc_entries - v * 16) db 0xcc
%assign v v + 1
%endrep

; save_gprs / load_gprs: the test's GPRs (RSP comes from the frame)
%macro SAVE_GPRS 0
	mov [v_gpr + 0 * 8], rax
	mov [v_gpr + 1 * 8], rcx
	mov [v_gpr + 2 * 8], rdx
	mov [v_gpr + 3 * 8], rbx
	mov [v_gpr + 5 * 8], rbp
	mov [v_gpr + 6 * 8], rsi
	mov [v_gpr + 7 * 8], rdi
	mov [v_gpr + 8 * 8], r8
	mov [v_gpr + 9 * 8], r9
	mov [v_gpr + 10 * 8], r10
	mov [v_gpr + 11 * 8], r11
	mov [v_gpr + 12 * 8], r12
	mov [v_gpr + 13 * 8], r13
	mov [v_gpr + 14 * 8], r14
	mov [v_gpr + 15 * 8], r15
%endmacro
%macro LOAD_GPRS 0
	mov rax, [v_gpr + 0 * 8]
	mov rcx, [v_gpr + 1 * 8]
	mov rdx, [v_gpr + 2 * 8]
	mov rbx, [v_gpr + 3 * 8]
	mov rbp, [v_gpr + 5 * 8]
	mov rsi, [v_gpr + 6 * 8]
	mov rdi, [v_gpr + 7 * 8]
	mov r8, [v_gpr + 8 * 8]
	mov r9, [v_gpr + 9 * 8]
	mov r10, [v_gpr + 10 * 8]
	mov r11, [v_gpr + 11 * 8]
	mov r12, [v_gpr + 12 * 8]
	mov r13, [v_gpr + 13 * 8]
	mov r14, [v_gpr + 14 * 8]
	mov r15, [v_gpr + 15 * 8]
%endmacro

; stack: vector, error, rip, cs, rflags, rsp, ss
exc_common:
	SAVE_GPRS
	cld                             ; the test may have left DF set (IRETQ restores it)
	cmp qword [v_in_test], 0
	je internal
	cmp qword [rsp], 1
	jne .not_step
	mov rax, dr6
	bt eax, 14                      ; BS: a single-step trap
	jc step
.not_step:
	mov rbx, [v_catch]
	test rbx, rbx
	jz .report
	mov rax, [rbx]
	test rax, rax
	jz .report
	; an expected fault: record it in the catch block, resume there (disarmed)
	mov rax, [rsp]
	mov [rbx + 8], rax
	mov rax, [rsp + 8]
	mov [rbx + 16], rax
	mov rax, [rsp + 16]
	mov [rbx + 24], rax
	mov rax, cr2
	mov [rbx + 32], rax
	mov rax, [rbx]
	mov [rsp + 16], rax
	mov qword [rbx], 0
	LOAD_GPRS
	add rsp, 16
	iretq
.report:
	mov qword [v_kind], END_EXC
	mov rax, [rsp]
	mov [v_vector], rax
	mov rax, [rsp + 8]
	mov [v_error], rax
	add rsp, 16
	jmp finish

; a trace step: print the state before the next instruction, keep TF
; through POPF, stop at the step limit
step:
	mov eax, 0xffff0ff0
	mov dr6, rax
	inc qword [v_steps]
	mov rax, [v_steplimit]
	test rax, rax
	jz .print
	cmp [v_steps], rax
	jbe .print
	mov qword [v_kind], END_TIMEOUT
	add rsp, 16
	jmp finish
.print:
	mov rax, [rsp + 40]
	mov [v_gpr + 4 * 8], rax
	mov r14, cr0                    ; the test may have set TS or EM: FXSAVE needs both clear
	mov rax, r14
	and rax, ~0xc
	mov cr0, rax
	fxsave [FX_STEP]
	mov edi, FX_STEP + 416
	call save_ymmh
	mov cr0, r14
	xor eax, eax
	mov [FX_STEP + 6], ax
	mov [FX_STEP + 8], rax
	mov [FX_STEP + 16], rax
	mov [FX_STEP + 28], eax
	mov esi, FX_STEP
	mov ecx, 416
	cmp qword [v_xcr0], 7
	jne .hash_fx
	mov ecx, 416 + 256              ; with the YMM upper halves
.hash_fx:
	call hash
	mov r13, rax                    ; x87/SSE state hash
	cmp qword [v_trace], 0
	je .fold
	lea rsi, [rel s_t]
	call puts
	mov rax, [rsp + 16]
	call puthex
	mov al, ' '
	call putc
	mov rax, [rsp + 32]
	call puthex
	call put_gprs
	mov al, ' '
	call putc
	mov rax, r13
	call puthex
	jmp .popf
.fold:
	; steps mode: fold RIP, RFLAGS, the GPRs and the x87/SSE hash into v_sthash
	mov rdx, 0x100000001b3
	mov rax, [v_sthash]
	xor rax, [rsp + 16]
	imul rax, rdx
	xor rax, [rsp + 32]
	imul rax, rdx
	xor ecx, ecx
.fg:
	xor rax, [v_gpr + rcx * 8]
	imul rax, rdx
	inc ecx
	cmp ecx, 16
	jb .fg
	xor rax, r13
	imul rax, rdx
	mov [v_sthash], rax
.popf:
	; POPF next (after prefixes)? set TF in the value it pops
	mov rsi, [rsp + 16]
	mov ecx, 15
.pfx:
	movzx eax, byte [rsi]
	cmp al, 0x66
	je .skip
	mov edx, eax
	and edx, 0xf0
	cmp edx, 0x40
	jne .op
.skip:
	inc rsi
	loop .pfx
	jmp .resume
.op:
	cmp al, 0x9d
	jne .resume
	mov rsi, [rsp + 40]
	or byte [rsi + 1], 1
.resume:
	LOAD_GPRS
	add rsp, 16
	iretq

; an exception in the runner itself: report it and stop (status 255)
internal:
	mov ax, SEL_DATA0
	mov ds, ax
	lea rsi, [rel s_internal]
	call puts
	mov rax, [rsp]
	call puthex_sp
	mov rax, [rsp + 16]
	call puthex_sp
	mov rax, cr2
	call puthex
	mov al, 10
	call putc
	mov al, 0x7f
	out DEBUG_EXIT, al
.h:
	cli
	hlt
	jmp .h

; runtime services (DPL3 gates)
svc_out:
	out dx, al
	iretq
svc_in:
	in al, dx
	iretq
; exit: AL = value; frame rip, cs, rflags, rsp, ss
svc_exit:
	SAVE_GPRS
	cld
	mov qword [v_kind], END_EXIT
	movzx eax, al
	mov [v_vector], rax
	; fall through

; finish: rsp -> the test's frame (rip, cs, rflags, rsp, ss); report, next
finish:
	mov qword [v_in_test], 0
	mov rax, [rsp]
	mov [v_rip], rax
	mov rax, [rsp + 8]
	mov [v_cs], rax
	mov rax, [rsp + 16]
	mov [v_rflags], rax
	mov rax, [rsp + 24]
	mov [v_gpr + 4 * 8], rax
	mov rax, [rsp + 32]
	mov [v_ss], rax
	mov rax, cr2
	mov [v_cr2], rax
	mov ax, SEL_DATA0
	mov ss, ax
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov rsp, STACK_TOP
	mov rax, 0x80010033             ; a test may have changed CR0 (TS, ...)
	mov cr0, rax
	mov edi, YMMH_SAVE              ; (with the test's CR4 and XCR0)
	call save_ymmh
	mov rax, [v_cr4]
	mov cr4, rax
	fxsave [FX_SAVE]
	mov qword [PDPT + 8], PD_HI | PTE_P | PTE_RW | PTE_A
	mov eax, PML4
	mov cr3, rax
	call report
	inc qword [v_index]
	jmp main_loop

; ---------------------------------------------------------------------------
report:
	mov rax, [v_kind]
	cmp rax, END_EXIT
	jne .exc
	lea rsi, [rel s_end_exit]
	call puts
	mov rax, [v_vector]
	call puthex
	jmp .state
.exc:
	cmp rax, END_EXC
	jne .timeout
	lea rsi, [rel s_end_exc]
	call puts
	mov rax, [v_vector]
	call puthex
	mov al, ' '
	call putc
	mov rax, [v_error]
	call puthex
	mov al, ' '
	call putc
	mov rax, [v_cr2]
	call puthex
	jmp .state
.timeout:
	lea rsi, [rel s_end_timeout]
	call puts
	mov rax, [v_steps]
	call puthex
.state:
	lea rsi, [rel s_regs]
	call puts
	call put_gprs
	lea rsi, [rel s_frame]
	call puts
	mov rax, [v_rip]
	call puthex_sp
	mov rax, [v_cs]
	call puthex_sp
	mov rax, [v_rflags]
	call puthex_sp
	mov rax, [v_ss]
	call puthex
	lea rsi, [rel s_x87]
	call puts
	movzx eax, word [FX_SAVE]
	call puthex_sp
	movzx eax, word [FX_SAVE + 2]
	call puthex_sp
	movzx eax, byte [FX_SAVE + 4]
	call puthex_sp
	mov eax, [FX_SAVE + 24]
	call puthex
	lea rsi, [rel s_st]
	call puts
	xor r12d, r12d
.st:
	mov rbx, r12
	shl rbx, 4
	movzx eax, word [FX_SAVE + 32 + rbx + 8]
	call puthex
	mov rax, [FX_SAVE + 32 + rbx]
	call puthex_sp
	inc r12d
	cmp r12d, 8
	jb .st
	lea rsi, [rel s_xmm]
	call puts
	xor r12d, r12d
.xmm:
	mov rbx, r12
	shl rbx, 4
	mov rax, [FX_SAVE + 160 + rbx + 8]
	call puthex
	mov rax, [FX_SAVE + 160 + rbx]
	call puthex_sp
	inc r12d
	cmp r12d, 16
	jb .xmm
	cmp qword [v_xcr0], 7
	jne .no_ymmh
	lea rsi, [rel s_ymmh]
	call puts
	xor r12d, r12d
.ymmh:
	mov rbx, r12
	shl rbx, 4
	mov rax, [YMMH_SAVE + rbx + 8]
	call puthex
	mov rax, [YMMH_SAVE + rbx]
	call puthex_sp
	inc r12d
	cmp r12d, 16
	jb .ymmh
.no_ymmh:
	lea rsi, [rel s_mem]
	call puts
	mov rsi, [v_load]
	mov rcx, [v_size]
	call hash
	call puthex_sp
	xor eax, eax
	cmp qword [v_stack], 0
	jne .stack_done
	mov esi, STACK_TOP_DEFAULT - 0x10000
	mov ecx, 0x10000
	call hash
.stack_done:
	call puthex
	xor r12d, r12d
.hreg:
	cmp r12, [v_nregions]
	jae .hdone
	call region_ptr
	mov rsi, [rbx]
	mov rcx, [rbx + 8]
	call hash
	mov r13, rax
	mov al, ' '
	call putc
	mov rax, r13
	call puthex
	inc r12
	jmp .hreg
.hdone:
	cmp qword [v_step], 0
	je .nosteps
	lea rsi, [rel s_steps]
	call puts
	mov rax, [v_steps]
	call puthex_sp
	mov rax, [v_sthash]
	call puthex
.nosteps:
	cmp qword [v_dump], 0
	je .nodump
	mov rsi, [v_load]
	mov rcx, [v_size]
	call dump
	cmp qword [v_stack], 0
	jne .dregions
	mov esi, STACK_TOP_DEFAULT - 0x10000
	mov ecx, 0x10000
	call dump
.dregions:
	xor r12d, r12d
.dreg:
	cmp r12, [v_nregions]
	jae .nodump
	call region_ptr
	mov rsi, [rbx]
	mov rcx, [rbx + 8]
	call dump
	inc r12
	jmp .dreg
.nodump:
	mov al, 10
	call putc
	ret

; dump: "@@ d ADDRESS HEX" lines of 64 bytes over [rsi, rsi + rcx)
dump:
	test rcx, rcx
	jz .done
	push rsi
	lea rsi, [rel s_d]
	call puts
	pop rsi
	mov rax, rsi
	call puthex
	mov al, ' '
	call putc
	mov edx, 64
.b:
	movzx eax, byte [rsi]
	call puthex8
	inc rsi
	dec rcx
	jz .done
	dec edx
	jnz .b
	jmp dump
.done:
	ret

; puthex8: al as 2 hex digits
puthex8:
	push rax
	shr al, 4
	call .nib
	pop rax
	push rax
	call .nib
	pop rax
	ret
.nib:
	and al, 15
	cmp al, 10
	jb .dig
	add al, 'a' - '0' - 10
.dig:
	add al, '0'
	jmp putc

; hash: FNV-1a over the qwords of [rsi, rsi + rcx rounded up to 8) -> rax
hash:
	mov rax, 0xcbf29ce484222325
	mov rdx, 0x100000001b3
	add rcx, 7
	shr rcx, 3
	jz .done
.q:
	xor rax, [rsi]
	imul rax, rdx
	add rsi, 8
	dec rcx
	jnz .q
.done:
	ret

; put_gprs: " RAX RCX ... R15" from v_gpr
; set_xcr0: XCR0 = v_xcr0 where the runner turned XSAVE on (CR4.OSXSAVE set)
set_xcr0:
	cmp qword [v_xcr0], 0
	je .ret
	push rax
	push rcx
	push rdx
	mov eax, [v_xcr0]
	xor ecx, ecx
	xor edx, edx
	xsetbv
	pop rdx
	pop rcx
	pop rax
.ret:
	ret

; save_ymmh: the YMM upper halves (16 x 16 bytes) to rdi, or zeros where
; AVX is off now (the runner's v_xcr0, the test's CR4.OSXSAVE and XCR0);
; CR0.TS must be clear. Keeps every register but rdi and RFLAGS.
save_ymmh:
	push rax
	push rcx
	push rdx
	cmp qword [v_xcr0], 7
	jne .zero
	mov rax, cr4
	bt rax, 18
	jnc .zero
	xor ecx, ecx
	xgetbv
	and eax, 6
	cmp eax, 6
	jne .zero
%assign i 0
%rep 16
	vextractf128 [rdi + 16 * i], ymm %+ i, 1
%assign i i + 1
%endrep
	jmp .done
.zero:
	xor eax, eax
	mov ecx, 32
.z:
	mov [rdi + 8 * rcx - 8], rax
	loop .z
.done:
	pop rdx
	pop rcx
	pop rax
	ret

put_gprs:
	xor r12d, r12d
.g:
	mov al, ' '
	call putc
	mov rax, [v_gpr + r12 * 8]
	call puthex
	inc r12d
	cmp r12d, 16
	jb .g
	ret

; putc: al to COM1 (QEMU's and rax's UARTs accept bytes at any time)
putc:
	push rdx
	mov dx, COM1
	out dx, al
	pop rdx
	ret

; puts: NUL-terminated string at rsi
puts:
	push rax
.c:
	lodsb
	test al, al
	jz .x
	call putc
	jmp .c
.x:
	pop rax
	ret

; puthex: rax as 16 hex digits; puthex_sp: the same and a space
puthex_sp:
	call puthex
	push rax
	mov al, ' '
	call putc
	pop rax
	ret
puthex:
	push rax
	push rbx
	push rcx
	mov rbx, rax
	mov ecx, 16
.d:
	rol rbx, 4
	mov eax, ebx
	and eax, 15
	cmp eax, 10
	jb .digit
	add eax, 'a' - '0' - 10
.digit:
	add eax, '0'
	call putc
	loop .d
	pop rcx
	pop rbx
	pop rax
	ret

; ---------------------------------------------------------------------------
	align 8
gdt_template:
	dq 0
	dq 0x00af9b000000ffff           ; 0x08 code64 DPL0
	dq 0x00cf93000000ffff           ; 0x10 data DPL0
	dq 0x00cff3000000ffff           ; 0x18 data DPL3 (selector 0x1b)
	dq 0x00affb000000ffff           ; 0x20 code64 DPL3 (selector 0x23)
	dq 0x0000890000000067 | ((TSS & 0xffffff) << 16) ; 0x28 TSS, available
	dq 0
gdtr:
	dw 7 * 8 - 1
	dq GDT
idtr:
	dw 256 * 16 - 1
	dq IDT

s_begin:        db 10, "@@ begin ", 0
s_end_exit:     db 10, "@@ end exit ", 0
s_end_exc:      db 10, "@@ end exception ", 0
s_end_timeout:  db 10, "@@ end timeout ", 0
s_end_error:    db 10, "@@ end error ", 0
s_regs:         db 10, "@@ regs", 0
s_frame:        db 10, "@@ frame ", 0
s_x87:          db 10, "@@ x87 ", 0
s_st:           db 10, "@@ st ", 0
s_ymmh:         db 10, "@@ ymmh ", 0
s_xmm:          db 10, "@@ xmm ", 0
s_mem:          db 10, "@@ mem ", 0
s_t:            db 10, "@@ t ", 0
s_all:          db 10, "@@ all ", 0
s_d:            db 10, "@@ d ", 0
s_steps:        db 10, "@@ steps ", 0
s_internal:     db 10, "@@ internal error: exception VECTOR RIP CR2 in the runner: ", 0
s_e_empty:      db "empty image", 0
s_e_trunc:      db "truncated image", 0
s_e_version:    db "unsupported image version", 0
s_e_mode:       db "image is not for 64-bit mode", 0
s_e_cpl:        db "invalid privilege level", 0
s_e_lists:      db "corrupt register or region list", 0
s_e_range:      db "image or region outside [0x200000, 1 GiB)", 0
msg_magic:      db "mbrun: not started by a multiboot loader (EAX)", 10, 0
msg_nomods:     db "mbrun: no modules (pass test images as modules)", 10, 0
msg_toomany:    db "mbrun: more than 1024 modules", 10, 0
msg_badmod:     db "mbrun: a module ends before it starts", 10, 0
msg_noroom:     db "mbrun: the modules do not fit in RAM above 1 GiB (use more memory)", 10, 0
msg_nomem:      db "mbrun: the loader gave no memory size", 10, 0
	align 4
file_end:

; variables (bss, zeroed by the loader)
absolute VARS
v_nmods:        resq 1
v_cr4:          resq 1
v_xcr0:         resq 1
v_trace:        resq 1
v_dump:         resq 1
v_step:         resq 1
v_sthash:       resq 1
v_copy:         resq 1
v_index:        resq 1
v_img:          resq 1
v_size:         resq 1
v_load:         resq 1
v_entry:        resq 1
v_stack:        resq 1
v_catch:        resq 1
v_cpl:          resq 1
v_steplimit:    resq 1
v_steps:        resq 1
v_nregs:        resq 1
v_nregions:     resq 1
v_kind:         resq 1
v_vector:       resq 1
v_error:        resq 1
v_cr2:          resq 1
v_rip:          resq 1
v_cs:           resq 1
v_rflags:       resq 1
v_ss:           resq 1
v_in_test:      resq 1
v_gpr:          resq 16
v_init:         resq 17
