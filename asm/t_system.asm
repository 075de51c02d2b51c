; t_system.asm - privileged instructions at CPL0: CPUID vendor (the model
; says "AuthenticAMD"), RDMSR/WRMSR of EFER and the FS/GS bases, SWAPGS,
; MOV to/from CR0/CR2/CR3/CR4, LGDT/LIDT/SGDT/SIDT, IRETQ.
; Expected values come from the test-image loader (testcases/FORMAT.md).
%include "include/raxtest.inc"
RAXT_HEADER 0
RAXT_HEADER_END

%define MSR_EFER 0xc0000080
%define MSR_FS_BASE 0xc0000100
%define MSR_GS_BASE 0xc0000101
%define MSR_KERNEL_GS_BASE 0xc0000102

	; CPUID leaf 0: vendor in EBX, EDX, ECX
	xor eax, eax
	cpuid
	CHECK_EQ rbx, 0x68747541, "cpuid vendor ebx 'Auth'"
	mov rax, rdx
	mov rbx, rax
	CHECK_EQ rbx, 0x69746e65, "cpuid vendor edx 'enti'"
	CHECK_EQ rcx, 0x444d4163, "cpuid vendor ecx 'cAMD'"

	; EFER as the loader set it: LME | LMA | NXE
	mov ecx, MSR_EFER
	rdmsr
	CHECK_EQ rax, 0xd00, "rdmsr efer"
	mov rbx, rdx
	CHECK_EQ rbx, 0, "rdmsr efer edx"
	; FS base via WRMSR, used through an fs: access
	lea rax, [rel var]
	mov rdx, rax
	shr rdx, 32
	mov ecx, MSR_FS_BASE
	wrmsr
	mov qword [rel var], 0x1234
	mov rax, [fs:0]
	CHECK_EQ rax, 0x1234, "fs base from wrmsr"
	rdmsr
	lea rbx, [rel var]
	CHECK_EQ rax, rbx, "rdmsr fs base"
	; SWAPGS exchanges GS base and KERNEL_GS_BASE
	mov ecx, MSR_GS_BASE
	mov eax, 0x1000
	xor edx, edx
	wrmsr
	mov ecx, MSR_KERNEL_GS_BASE
	mov eax, 0x2000
	mov edx, 0xffff8000                     ; canonical 0xffff800000002000
	wrmsr
	swapgs
	mov ecx, MSR_GS_BASE
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov rbx, 0xffff800000002000
	CHECK_EQ rax, rbx, "swapgs gs base"
	mov ecx, MSR_KERNEL_GS_BASE
	rdmsr
	shl rdx, 32
	or rax, rdx
	CHECK_EQ rax, 0x1000, "swapgs kernel gs base"
	swapgs

	; control registers as loaded: CR0 = PE MP ET NE WP PG
	mov rax, cr0
	CHECK_EQ rax, 0x80010033, "mov from cr0"
	mov rax, cr3
	CHECK_EQ rax, 0x10000, "mov from cr3"
	mov rax, cr4
	btr rax, 18                             ; OSXSAVE: the multiboot runner sets it where CPUID offers AVX
	CHECK_EQ rax, 0x620, "mov from cr4 (PAE OSFXSR OSXMMEXCPT)"
	mov rax, 0xdead000
	mov cr2, rax
	mov rbx, cr2
	CHECK_EQ rbx, 0xdead000, "mov to/from cr2"
	mov rax, cr0
	btr rax, 16                             ; WP off and on again
	mov cr0, rax
	mov rbx, cr0
	CHECK_EQ rbx, 0x80000033, "mov to cr0 (WP clear)"
	bts rax, 16
	mov cr0, rax
	mov rax, cr3
	mov cr3, rax                            ; reload (flushes the TLB)
	mov rbx, cr3
	CHECK_EQ rbx, 0x10000, "mov to cr3"

	; SGDT / SIDT report the loader's tables; LGDT/LIDT load new ones
	sgdt [rel dtr]
	movzx eax, word [rel dtr]
	CHECK_EQ rax, 0x37, "sgdt limit"
	CHECK_EQ qword [rel dtr + 2], 0x1000, "sgdt base"
	sidt [rel dtr]
	movzx eax, word [rel dtr]
	CHECK_EQ rax, 0xfff, "sidt limit"
	CHECK_EQ qword [rel dtr + 2], 0x2000, "sidt base"
	mov word [rel dtr2], 0x17
	mov qword [rel dtr2 + 2], 0x1000
	lgdt [rel dtr2]
	sgdt [rel dtr]
	movzx eax, word [rel dtr]
	CHECK_EQ rax, 0x17, "lgdt then sgdt limit"
	mov word [rel dtr2], 0x37
	lgdt [rel dtr2]
	mov word [rel dtr2], 0x7ff
	mov qword [rel dtr2 + 2], 0x2000
	lidt [rel dtr2]
	sidt [rel dtr]
	movzx eax, word [rel dtr]
	CHECK_EQ rax, 0x7ff, "lidt then sidt limit"
	mov word [rel dtr2], 0xfff
	lidt [rel dtr2]

	; IRETQ to the same privilege level: pops RIP, CS, RFLAGS, RSP, SS
	mov rbx, rsp
	mov ax, ss
	push rax
	lea rax, [rbx - 0x40]                   ; a different stack pointer
	push rax
	push FL_CF | 2
	mov ax, cs
	push rax
	lea rax, [rel .after_iret]
	push rax
	iretq
	mov eax, 0xbad
.after_iret:
	CHECK_FLAGS FL_CF, FL_CF, "iretq loads rflags"
	lea rax, [rbx - 0x40]
	mov rcx, rsp
	CHECK_EQ rcx, rax, "iretq loads rsp"
	mov rsp, rbx
	mov ax, cs
	movzx eax, ax
	CHECK_EQ rax, 0x08, "cs after iretq"

	RAXT_DONE
RAXT_RUNTIME
var:	dq 0
dtr:	times 16 db 0
dtr2:	times 16 db 0
