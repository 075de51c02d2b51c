/*
 * test_emu_mode32.c - the interpreter outside 64-bit mode: 32-bit protected
 * mode with paging off (the multiboot entry state), the switch to IA-32e
 * mode and compatibility mode, legacy-only opcodes, segmentation, 32-bit
 * IDT delivery with and without a privilege change, legacy 2-level and PAE
 * paging, and 16-bit code.
 *
 * The guest programs are NASM sources (shown above each byte array),
 * assembled with `nasm -f bin`; L_* labels became the *_FAULT/_AFTER/_RET
 * constants. Expected values come from the SDM/APM.
 */
#include <string.h>

#include "cpu_state.h"
#include "emu/decode.h"
#include "test_emu_util.h"
#include "unit.h"

/* exception vectors (cpu.h is internal to the interpreter) */
enum { EXC_DE = 0, EXC_OF = 4, EXC_BR = 5, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14 };

/* clang-format off */
/*
 * bits 32
 * org 0x100000
 *     mov eax, 5
 *     xor ecx, ecx
 *     mov edi, 0x7fffffff
 *     stc
 *     inc eax            ; 40
 *     dec ecx            ; 49
 *     inc edi            ; 47: 0x80000000, OF=1 SF=1, CF kept
 *     hlt
 */
static const uint8_t incdec_code[] = {
	0xb8, 0x05, 0x00, 0x00, 0x00, 0x31, 0xc9, 0xbf, 0xff, 0xff, 0xff, 0x7f,
	0xf9, 0x40, 0x49, 0x47, 0xf4,
};

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov ecx, 0xaaaa0000
 *     mov eax, 0x11223344
 *     push eax        ; 4 bytes
 *     push word 0x5566    ; 66 68: 2 bytes
 *     push -1            ; 6a ff: 4 bytes
 *     pop ebx
 *     pop cx            ; 66 59
 *     call sub1
 * L_ret:    hlt
 * sub1:    mov edx, [esp]
 *     ret
 */
static const uint8_t pushpop_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xb9, 0x00, 0x00, 0xaa, 0xaa, 0xb8, 0x44,
	0x33, 0x22, 0x11, 0x50, 0x66, 0x68, 0x66, 0x55, 0x6a, 0xff, 0x5b, 0x66,
	0x59, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0x8b, 0x14, 0x24, 0xc3,
};
#define PUSHPOP_RET 0x10001eull

/*
 * bits 32
 * org 0x100000
 *     mov ax, 0x88        ; data segment with B=0: SP-sized stack
 *     mov ss, ax
 *     mov esp, 0x12340000
 *     mov eax, 0xcafef00d
 *     push eax        ; SP 0 -> 0xfffc, ESP upper half kept
 *     mov ebx, esp
 *     pop edx
 *     hlt
 */
static const uint8_t stack16_code[] = {
	0x66, 0xb8, 0x88, 0x00, 0x8e, 0xd0, 0xbc, 0x00, 0x00, 0x34, 0x12, 0xb8,
	0x0d, 0xf0, 0xfe, 0xca, 0x50, 0x89, 0xe3, 0x5a, 0xf4,
};

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov eax, 1
 *     mov ecx, 2
 *     mov edx, 3
 *     mov ebx, 4
 *     mov ebp, 6
 *     mov esi, 7
 *     mov edi, 8
 *     pushad
 *     mov eax, [esp+28]    ; EAX, pushed first
 *     mov [0x400000], eax
 *     mov eax, [esp+12]    ; the original ESP
 *     mov [0x400004], eax
 *     mov eax, [esp]        ; EDI, pushed last
 *     mov [0x400008], eax
 *     mov dword [esp+16], 0x99    ; EBX slot
 *     mov dword [esp+12], 0xdead    ; ignored by POPAD
 *     xor eax, eax
 *     xor ebx, ebx
 *     xor ecx, ecx
 *     xor edx, edx
 *     xor ebp, ebp
 *     xor esi, esi
 *     xor edi, edi
 *     popad
 *     pushaw            ; 66 60: eight words
 *     mov [0x40000c], esp
 *     popaw
 *     hlt
 */
static const uint8_t pusha_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xb9, 0x02,
	0x00, 0x00, 0x00, 0xba, 0x03, 0x00, 0x00, 0x00, 0xbb, 0x04, 0x00, 0x00,
	0x00, 0xbd, 0x06, 0x00, 0x00, 0x00, 0xbe, 0x07, 0x00, 0x00, 0x00, 0xbf,
	0x08, 0x00, 0x00, 0x00, 0x60, 0x8b, 0x44, 0x24, 0x1c, 0xa3, 0x00, 0x00,
	0x40, 0x00, 0x8b, 0x44, 0x24, 0x0c, 0xa3, 0x04, 0x00, 0x40, 0x00, 0x8b,
	0x04, 0x24, 0xa3, 0x08, 0x00, 0x40, 0x00, 0xc7, 0x44, 0x24, 0x10, 0x99,
	0x00, 0x00, 0x00, 0xc7, 0x44, 0x24, 0x0c, 0xad, 0xde, 0x00, 0x00, 0x31,
	0xc0, 0x31, 0xdb, 0x31, 0xc9, 0x31, 0xd2, 0x31, 0xed, 0x31, 0xf6, 0x31,
	0xff, 0x61, 0x66, 0x60, 0x89, 0x25, 0x0c, 0x00, 0x40, 0x00, 0x66, 0x61,
	0xf4,
};

/*
 * bits 32
 * org 0x100000
 *     mov ax, 0x80        ; base 0x10000, limit 0xffff
 *     mov ds, ax
 *     mov eax, [0x100]    ; linear 0x10100
 *     mov ebx, [fs:0x400000]    ; FS flat
 *     mov dx, 0x80
 *     mov fs, dx
 *     mov ecx, [fs:0x104]    ; linear 0x10104
 * L_fault:
 *     mov edx, [0xfffd]    ; beyond the limit: #GP(0)
 *     hlt
 */
static const uint8_t segbase_code[] = {
	0x66, 0xb8, 0x80, 0x00, 0x8e, 0xd8, 0xa1, 0x00, 0x01, 0x00, 0x00, 0x64,
	0x8b, 0x1d, 0x00, 0x00, 0x40, 0x00, 0x66, 0xba, 0x80, 0x00, 0x8e, 0xe2,
	0x64, 0x8b, 0x0d, 0x04, 0x01, 0x00, 0x00, 0x8b, 0x15, 0xfd, 0xff, 0x00,
	0x00, 0xf4,
};
#define SEGBASE_FAULT 0x10001full

/*
 * bits 32
 * org 0x100000
 *     mov ax, 0x70        ; read-only data
 *     mov es, ax
 *     mov eax, [es:0x400000]
 *     mov cx, 0x78        ; expand-down, limit 0xfff
 *     mov gs, cx
 *     mov ebx, [gs:0x400000]
 * L_fault:
 *     mov dword [es:0x400000], 1    ; write to read-only: #GP(0)
 *     hlt
 */
static const uint8_t segro_code[] = {
	0x66, 0xb8, 0x70, 0x00, 0x8e, 0xc0, 0x26, 0xa1, 0x00, 0x00, 0x40, 0x00,
	0x66, 0xb9, 0x78, 0x00, 0x8e, 0xe9, 0x65, 0x8b, 0x1d, 0x00, 0x00, 0x40,
	0x00, 0x26, 0xc7, 0x05, 0x00, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00,
	0xf4,
};
#define SEGRO_FAULT 0x100019ull

/*
 * bits 32
 * org 0x100000
 *     mov ax, 0x78        ; expand-down, limit 0xfff
 *     mov gs, ax
 * L_fault:
 *     mov ebx, [gs:0x800]    ; at or below the limit: #GP(0)
 *     hlt
 */
static const uint8_t segexpdown_code[] = {
	0x66, 0xb8, 0x78, 0x00, 0x8e, 0xe8, 0x65, 0x8b, 0x1d, 0x00, 0x08, 0x00,
	0x00, 0xf4,
};
#define SEGEXPDOWN_FAULT 0x100006ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov ax, 0x1003        ; beyond the GDT limit
 * L_fault:
 *     mov ds, ax        ; #GP(0x1000)
 *     hlt
 */
static const uint8_t segsel_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0x66, 0xb8, 0x03, 0x10, 0x8e, 0xd8, 0xf4,
};
#define SEGSEL_FAULT 0x100009ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov ax, 0x90        ; a data segment that is not present
 * L_fault:
 *     mov es, ax        ; #NP(0x90)
 *     hlt
 */
static const uint8_t segnp_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0x66, 0xb8, 0x90, 0x00, 0x8e, 0xc0, 0xf4,
};
#define SEGNP_FAULT 0x100009ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov ax, 0x90
 * L_fault:
 *     mov ss, ax        ; #SS(0x90)
 *     hlt
 */
static const uint8_t segssnp_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0x66, 0xb8, 0x90, 0x00, 0x8e, 0xd0, 0xf4,
};
#define SEGSSNP_FAULT 0x100009ull

/*
 * bits 32
 * org 0x100000
 *     mov ebx, 0xffffe000    ; 16-bit forms use BX only
 *     mov esi, 0x00010010
 *     mov eax, [bx+si]    ; 0xe010
 *     mov ebp, 0xe020
 *     mov ecx, [bp+4]        ; SS:0xe024
 *     mov edi, 0x30
 *     mov edx, [bx+di-0x10]    ; 0xe020
 *     movzx esi, word [word 0xe040]    ; mod=00 rm=110: disp16
 *     lea edi, [bx+0x2010]    ; 0xe000+0x2010 = 0x10010 -> 0x0010
 *     mov [0x400010], eax    ; disp32 absolute, not RIP-relative
 *     mov ebx, 0xfffffff0
 *     mov ebp, [ebx+0x400020]    ; wraps at 4 GiB to 0x400010
 *     hlt
 */
static const uint8_t addr_code[] = {
	0xbb, 0x00, 0xe0, 0xff, 0xff, 0xbe, 0x10, 0x00, 0x01, 0x00, 0x67, 0x8b,
	0x00, 0xbd, 0x20, 0xe0, 0x00, 0x00, 0x67, 0x8b, 0x4e, 0x04, 0xbf, 0x30,
	0x00, 0x00, 0x00, 0x67, 0x8b, 0x51, 0xf0, 0x67, 0x0f, 0xb7, 0x36, 0x40,
	0xe0, 0x67, 0x8d, 0xbf, 0x10, 0x20, 0xa3, 0x10, 0x00, 0x40, 0x00, 0xbb,
	0xf0, 0xff, 0xff, 0xff, 0x8b, 0xab, 0x20, 0x00, 0x40, 0x00, 0xf4,
};

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     call twice        ; the bytes at twice, decoded as 32-bit code
 *     mov [0x400000], eax
 *     mov edi, 0x20000    ; PML4, PDPT, PD
 *     mov ecx, 0x3000 / 4
 *     xor eax, eax
 *     rep stosd
 *     mov dword [0x20000], 0x21003
 *     mov dword [0x21000], 0x22003
 *     mov edi, 0x22000
 *     mov eax, 0x83
 *     mov ecx, 8
 * .map:    mov [edi], eax
 *     add eax, 0x200000
 *     add edi, 8
 *     loop .map
 *     lgdt [gdtr]
 *     mov eax, cr4
 *     or eax, 0x20        ; PAE
 *     mov cr4, eax
 *     mov ecx, 0xc0000080
 *     rdmsr
 *     or eax, 0x100        ; LME
 *     wrmsr
 *     mov eax, 0x20000
 *     mov cr3, eax
 *     mov eax, cr0
 *     or eax, 0x80000000    ; PG: IA-32e mode, compatibility mode
 *     mov cr0, eax
 *     mov esi, 0x1234        ; still 32-bit code
 *     jmp far [farptr]    ; FF /5 m16:32 to 64-bit code
 * bits 64
 * long64:
 *     mov rax, 0x123456789abcdef0
 *     mov r9, rax
 *     mov eax, 5
 *     call twice        ; the same bytes, now 64-bit code
 *     mov [0x400008], rax
 *     hlt
 * twice:    db 0x48, 0x89, 0xc3    ; 32-bit: dec eax; mov ebx, eax. 64-bit: mov rbx, rax
 *     ret
 * align 8
 * farptr:    dd long64
 *     dw 0x08
 * gdtr:    dw 0x8f
 *     dd 0x9000
 */
static const uint8_t lmswitch_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xe8, 0x9e, 0x00, 0x00, 0x00, 0xa3, 0x00,
	0x00, 0x40, 0x00, 0xbf, 0x00, 0x00, 0x02, 0x00, 0xb9, 0x00, 0x0c, 0x00,
	0x00, 0x31, 0xc0, 0xf3, 0xab, 0xc7, 0x05, 0x00, 0x00, 0x02, 0x00, 0x03,
	0x10, 0x02, 0x00, 0xc7, 0x05, 0x00, 0x10, 0x02, 0x00, 0x03, 0x20, 0x02,
	0x00, 0xbf, 0x00, 0x20, 0x02, 0x00, 0xb8, 0x83, 0x00, 0x00, 0x00, 0xb9,
	0x08, 0x00, 0x00, 0x00, 0x89, 0x07, 0x05, 0x00, 0x00, 0x20, 0x00, 0x83,
	0xc7, 0x08, 0xe2, 0xf4, 0x0f, 0x01, 0x15, 0xb6, 0x00, 0x10, 0x00, 0x0f,
	0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0xb9, 0x80, 0x00, 0x00,
	0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0xb8, 0x00,
	0x00, 0x02, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00,
	0x00, 0x80, 0x0f, 0x22, 0xc0, 0xbe, 0x34, 0x12, 0x00, 0x00, 0xff, 0x2d,
	0xb0, 0x00, 0x10, 0x00, 0x48, 0xb8, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56,
	0x34, 0x12, 0x49, 0x89, 0xc1, 0xb8, 0x05, 0x00, 0x00, 0x00, 0xe8, 0x09,
	0x00, 0x00, 0x00, 0x48, 0x89, 0x04, 0x25, 0x08, 0x00, 0x40, 0x00, 0xf4,
	0x48, 0x89, 0xc3, 0xc3, 0x90, 0x90, 0x90, 0x90, 0x88, 0x00, 0x10, 0x00,
	0x08, 0x00, 0x8f, 0x00, 0x00, 0x90, 0x00, 0x00,
};

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov eax, cr4
 *     or eax, 0x20
 *     mov cr4, eax
 *     mov ecx, 0xc0000080
 *     rdmsr
 *     or eax, 0x100
 *     wrmsr
 *     mov eax, 0x1000        ; the harness's 4-level tables
 *     mov cr3, eax
 *     mov eax, cr0
 *     or eax, 0x80000000
 *     mov cr0, eax
 *     push dword 0x08
 *     push dword long64
 *     retf            ; to 64-bit code
 * bits 64
 * long64:
 *     mov rcx, 0x1122334455667788
 *     jmp far dword [rel p32]
 * align 8
 * p32:    dd compat32
 *     dw 0x38
 * bits 32
 * compat32:
 *     hlt
 */
static const uint8_t lmretf_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f,
	0x22, 0xe0, 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01,
	0x00, 0x00, 0x0f, 0x30, 0xb8, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x22, 0xd8,
	0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0x6a,
	0x08, 0x68, 0x37, 0x00, 0x10, 0x00, 0xcb, 0x48, 0xb9, 0x88, 0x77, 0x66,
	0x55, 0x44, 0x33, 0x22, 0x11, 0xff, 0x2d, 0x01, 0x00, 0x00, 0x00, 0x90,
	0x4e, 0x00, 0x10, 0x00, 0x38, 0x00, 0xf4,
};

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov ecx, 0xc0000080
 *     rdmsr
 *     or eax, 0x100        ; LME
 *     wrmsr
 *     mov eax, 0x1000
 *     mov cr3, eax
 *     mov eax, cr0
 *     or eax, 0x80000000
 * L_fault:
 *     mov cr0, eax        ; PG with LME and no PAE: #GP(0)
 *     hlt
 */
static const uint8_t lmnopae_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32,
	0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0xb8, 0x00, 0x10, 0x00, 0x00,
	0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f,
	0x22, 0xc0, 0xf4,
};
#define LMNOPAE_FAULT 0x100023ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov eax, 0x12345678
 *     inc eax            ; INC, not REX
 *     push dword 0xabcd    ; 4 bytes on the 32-bit stack
 *     pop edx
 *     int 0x30        ; 64-bit IDT; the handler is IRETQ
 *     mov ebx, esp
 *     mov esi, [0x400000]    ; 4-level paging
 *     push dword 0x08
 *     push dword long64
 *     retf
 * bits 64
 * long64:
 *     mov rcx, 0x1122334455667788
 *     jmp far dword [rel ptr32]    ; FF /5 m16:32 back to compatibility mode
 * bits 32
 * compat2:
 *     mov edi, 0x77
 *     int 0x31        ; HLT handler: look at the 64-bit frame
 * align 8
 * ptr32:    dd compat2
 *     dw 0x38
 */
static const uint8_t compat_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xb8, 0x78, 0x56, 0x34, 0x12, 0x40, 0x68,
	0xcd, 0xab, 0x00, 0x00, 0x5a, 0xcd, 0x30, 0x89, 0xe3, 0x8b, 0x35, 0x00,
	0x00, 0x40, 0x00, 0x6a, 0x08, 0x68, 0x23, 0x00, 0x10, 0x00, 0xcb, 0x48,
	0xb9, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xff, 0x2d, 0x0d,
	0x00, 0x00, 0x00, 0xbf, 0x77, 0x00, 0x00, 0x00, 0xcd, 0x31, 0x90, 0x90,
	0x90, 0x90, 0x90, 0x90, 0x33, 0x00, 0x10, 0x00, 0x38, 0x00,
};

/*
 * bits 32
 * org 0x100000
 *     mov eax, cr0
 *     and eax, 0x7fffffff
 *     mov cr0, eax        ; leaves IA-32e mode: protected mode, no paging
 *     mov ebx, 1
 *     hlt
 */
static const uint8_t compatpgoff_code[] = {
	0x0f, 0x20, 0xc0, 0x25, 0xff, 0xff, 0xff, 0x7f, 0x0f, 0x22, 0xc0, 0xbb,
	0x01, 0x00, 0x00, 0x00, 0xf4,
};

/*
 * bits 64
 * org 0x100000
 *     mov rax, cr0
 *     btr eax, 31
 * L_fault:
 *     mov cr0, rax        ; #GP(0): not from 64-bit mode
 *     hlt
 */
static const uint8_t pgoff64_code[] = {
	0x0f, 0x20, 0xc0, 0x0f, 0xba, 0xf0, 0x1f, 0x0f, 0x22, 0xc0, 0xf4,
};
#define PGOFF64_FAULT 0x100007ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov eax, 0x1111
 *     int 0x42        ; handler: IRETD
 *     mov ebx, esp
 *     pushfd
 *     pop ecx
 *     int 0x43        ; handler: HLT
 * L_after:
 *     hlt
 */
static const uint8_t idtsame_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xb8, 0x11, 0x11, 0x00, 0x00, 0xcd, 0x42,
	0x89, 0xe3, 0x9c, 0x59, 0xcd, 0x43, 0xf4,
};
#define IDTSAME_AFTER 0x100012ull

/*
 * bits 32
 * org 0x100000
 *     mov eax, 0x1111
 *     int 0x40        ; CPL3 -> CPL0 on the TSS stack; handler: IRETD
 *     mov ebx, 0x2222
 *     mov ecx, esp
 *     int 0x41        ; handler: HLT
 * L_after:
 *     hlt
 */
static const uint8_t idtpriv_code[] = {
	0xb8, 0x11, 0x11, 0x00, 0x00, 0xcd, 0x40, 0xbb, 0x22, 0x22, 0x00, 0x00,
	0x89, 0xe1, 0xcd, 0x41, 0xf4,
};
#define IDTPRIV_AFTER 0x100010ull

/*
 * bits 32
 * org 0x100000
 * L_fault:
 *     cli            ; CPL3 > IOPL: #GP(0) with a privilege change
 *     hlt
 */
static const uint8_t idtcpl3gp_code[] = {
	0xfa, 0xf4,
};
#define IDTCPL3GP_FAULT 0x100000ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov eax, cr4
 *     or eax, 0x20        ; PAE
 *     mov cr4, eax
 *     mov eax, 0x30000
 *     mov cr3, eax        ; loads the PDPTEs
 *     mov eax, cr0
 *     or eax, 0x80010000    ; PG | WP
 *     mov cr0, eax
 *     mov eax, [0x40000000]    ; 4K page -> 0x500000
 *     mov dword [0x40000004], 0x77
 *     mov ebx, [0x40001000]    ; read-only page
 *     mov ecx, [0x40600000]    ; 2M page -> 0x600000
 * L_fault:
 *     mov dword [0x40001000], 1    ; #PF P|W
 *     hlt
 */
static const uint8_t pae_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f,
	0x22, 0xe0, 0xb8, 0x00, 0x00, 0x03, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20,
	0xc0, 0x0d, 0x00, 0x00, 0x01, 0x80, 0x0f, 0x22, 0xc0, 0xa1, 0x00, 0x00,
	0x00, 0x40, 0xc7, 0x05, 0x04, 0x00, 0x00, 0x40, 0x77, 0x00, 0x00, 0x00,
	0x8b, 0x1d, 0x00, 0x10, 0x00, 0x40, 0x8b, 0x0d, 0x00, 0x00, 0x60, 0x40,
	0xc7, 0x05, 0x00, 0x10, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0xf4,
};
#define PAE_FAULT 0x10003cull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov eax, cr4
 *     or eax, 0x20
 *     mov cr4, eax
 *     mov eax, 0x30000
 *     mov cr3, eax
 *     mov eax, cr0
 *     or eax, 0x80000000
 *     mov cr0, eax
 * L_fault:
 *     mov eax, [0x40002000]    ; not present: #PF 0
 *     hlt
 */
static const uint8_t paenp_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f,
	0x22, 0xe0, 0xb8, 0x00, 0x00, 0x03, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20,
	0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0xa1, 0x00, 0x20,
	0x00, 0x40, 0xf4,
};
#define PAENP_FAULT 0x100021ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov eax, cr4
 *     or eax, 0x10        ; PSE: 4M pages
 *     mov cr4, eax
 *     mov eax, 0x34000
 *     mov cr3, eax
 *     mov eax, cr0
 *     or eax, 0x80010000    ; PG | WP
 *     mov cr0, eax
 *     mov eax, [0x40000000]    ; 4K page -> 0x500000
 *     mov dword [0x40000004], 0x66
 *     mov ebx, [0x40001000]    ; read-only page
 *     mov ecx, [0x80400000]    ; 4M page -> 0x400000
 * L_fault:
 *     mov dword [0x40001000], 1    ; #PF P|W
 *     hlt
 */
static const uint8_t pg2_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x10, 0x0f,
	0x22, 0xe0, 0xb8, 0x00, 0x40, 0x03, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20,
	0xc0, 0x0d, 0x00, 0x00, 0x01, 0x80, 0x0f, 0x22, 0xc0, 0xa1, 0x00, 0x00,
	0x00, 0x40, 0xc7, 0x05, 0x04, 0x00, 0x00, 0x40, 0x66, 0x00, 0x00, 0x00,
	0x8b, 0x1d, 0x00, 0x10, 0x00, 0x40, 0x8b, 0x0d, 0x00, 0x00, 0x40, 0x80,
	0xc7, 0x05, 0x00, 0x10, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0xf4,
};
#define PG2_FAULT 0x10003cull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov eax, 0x34000
 *     mov cr3, eax
 *     mov eax, cr0
 *     or eax, 0x80000000    ; no PSE: the 4M PDEs are not used for code here
 *     mov cr0, eax
 * L_fault:
 *     mov dword [0x40002000], 5    ; not present, write: #PF 2
 *     hlt
 */
static const uint8_t pg2np_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xb8, 0x00, 0x40, 0x03, 0x00, 0x0f, 0x22,
	0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0,
	0xc7, 0x05, 0x00, 0x20, 0x00, 0x40, 0x05, 0x00, 0x00, 0x00, 0xf4,
};
#define PG2NP_FAULT 0x100018ull

/*
 * bits 32
 * org 0x100000
 *     mov al, 0x79
 *     add al, 0x35        ; AE
 *     daa            ; 14, CF=1 AF=1
 *     mov bl, al
 *     setc bh
 *     mov al, 0x35
 *     sub al, 0x47        ; EE
 *     das            ; 88, CF=1
 *     mov cl, al
 *     setc ch
 *     mov ax, 0x0009
 *     add al, 0x08        ; 11, AF=1
 *     aaa            ; AX=0107, CF=1
 *     mov dx, ax
 *     setc [0x400000]
 *     mov ax, 0x0203
 *     sub al, 0x05        ; FE, AF=1
 *     aas            ; AX=0108, CF=1
 *     mov si, ax
 *     mov al, 0x3f
 *     aam            ; AX=0603
 *     mov di, ax
 *     mov ax, 0x0607
 *     aad            ; AX=0043
 *     mov bp, ax
 *     mov al, 0x3f
 *     aam 16            ; AX=030F
 *     hlt
 */
static const uint8_t bcd_code[] = {
	0xb0, 0x79, 0x04, 0x35, 0x27, 0x88, 0xc3, 0x0f, 0x92, 0xc7, 0xb0, 0x35,
	0x2c, 0x47, 0x2f, 0x88, 0xc1, 0x0f, 0x92, 0xc5, 0x66, 0xb8, 0x09, 0x00,
	0x04, 0x08, 0x37, 0x66, 0x89, 0xc2, 0x0f, 0x92, 0x05, 0x00, 0x00, 0x40,
	0x00, 0x66, 0xb8, 0x03, 0x02, 0x2c, 0x05, 0x3f, 0x66, 0x89, 0xc6, 0xb0,
	0x3f, 0xd4, 0x0a, 0x66, 0x89, 0xc7, 0x66, 0xb8, 0x07, 0x06, 0xd5, 0x0a,
	0x66, 0x89, 0xc5, 0xb0, 0x3f, 0xd4, 0x10, 0xf4,
};

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov al, 1
 * L_fault:
 *     aam 0            ; #DE
 *     hlt
 */
static const uint8_t aam0_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xb0, 0x01, 0xd4, 0x00, 0xf4,
};
#define AAM0_FAULT 0x100007ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     push es            ; 06
 *     push cs            ; 0e
 *     pop ebx            ; 0x38
 *     pop ds            ; 1f
 *     mov dword [0x400000], 0x12345678
 *     mov word [0x400004], 0x80
 *     les eax, [0x400000]    ; ES = 0x80, EAX = 0x12345678
 *     mov edx, [es:0x100]    ; ES base 0x10000
 *     lds ecx, [0x400000]
 *     push ss
 *     pop ds            ; DS = SS = 0x10 again
 *     call 0x38:farsub    ; 9a ptr16:32
 *     mov edi, 0x0b
 *     mov esi, 0x08
 *     arpl si, di        ; RPL 0 < 3: SI = 0x0b, ZF=1
 *     setz [0x400010]
 *     mov al, 3
 *     db 0x82, 0xc0, 0x05    ; add al, 5 (82 /0)
 *     hlt
 * farsub:    mov ebp, [esp+4]    ; the pushed CS
 *     retf
 */
static const uint8_t misc_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0x06, 0x0e, 0x5b, 0x1f, 0xc7, 0x05, 0x00,
	0x00, 0x40, 0x00, 0x78, 0x56, 0x34, 0x12, 0x66, 0xc7, 0x05, 0x04, 0x00,
	0x40, 0x00, 0x80, 0x00, 0xc4, 0x05, 0x00, 0x00, 0x40, 0x00, 0x26, 0x8b,
	0x15, 0x00, 0x01, 0x00, 0x00, 0xc5, 0x0d, 0x00, 0x00, 0x40, 0x00, 0x16,
	0x1f, 0x9a, 0x51, 0x00, 0x10, 0x00, 0x38, 0x00, 0xbf, 0x0b, 0x00, 0x00,
	0x00, 0xbe, 0x08, 0x00, 0x00, 0x00, 0x63, 0xfe, 0x0f, 0x94, 0x05, 0x10,
	0x00, 0x40, 0x00, 0xb0, 0x03, 0x82, 0xc0, 0x05, 0xf4, 0x8b, 0x6c, 0x24,
	0x04, 0xcb,
};

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov ebp, 0x12345678
 *     enter 16, 0        ; push ebp; ebp = esp; esp -= 16
 *     mov eax, esp
 *     mov ebx, ebp
 *     mov dword [ebp-4], 0xabc
 *     leave
 *     push ss
 *     pop ss            ; 17
 *     hlt
 */
static const uint8_t enter_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xbd, 0x78, 0x56, 0x34, 0x12, 0xc8, 0x10,
	0x00, 0x00, 0x89, 0xe0, 0x89, 0xeb, 0xc7, 0x45, 0xfc, 0xbc, 0x0a, 0x00,
	0x00, 0xc9, 0x16, 0x17, 0xf4,
};

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov al, 0x7f
 *     add al, 1        ; OF=1
 *     into
 * L_after:
 *     hlt
 */
static const uint8_t into_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xb0, 0x7f, 0x04, 0x01, 0xce, 0xf4,
};
#define INTO_AFTER 0x10000aull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     mov dword [0x400000], 0
 *     mov dword [0x400004], 4
 *     mov eax, 4
 *     bound eax, [0x400000]    ; in range
 *     mov eax, 5
 * L_fault:
 *     bound eax, [0x400000]    ; #BR
 *     hlt
 */
static const uint8_t bound_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xc7, 0x05, 0x00, 0x00, 0x40, 0x00, 0x00,
	0x00, 0x00, 0x00, 0xc7, 0x05, 0x04, 0x00, 0x40, 0x00, 0x04, 0x00, 0x00,
	0x00, 0xb8, 0x04, 0x00, 0x00, 0x00, 0x62, 0x05, 0x00, 0x00, 0x40, 0x00,
	0xb8, 0x05, 0x00, 0x00, 0x00, 0x62, 0x05, 0x00, 0x00, 0x40, 0x00, 0xf4,
};
#define BOUND_FAULT 0x100029ull

/*
 * bits 32
 * org 0x100000
 *     mov esp, 0x90000
 *     jmp 0x60:0x7000        ; 16-bit code segment
 *     times 0x20-($-$$) db 0x90
 * back32:
 *     mov [0x400000], esp
 *     hlt
 */
static const uint8_t code16start_code[] = {
	0xbc, 0x00, 0x00, 0x09, 0x00, 0xea, 0x00, 0x70, 0x00, 0x00, 0x60, 0x00,
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x89, 0x25, 0x00, 0x00,
	0x40, 0x00, 0xf4,
};

/*
 * bits 16
 * org 0x7000
 *     mov ax, 0x1234
 *     mov bx, 0xe000
 *     mov si, 0x10
 *     mov cx, [bx+si]        ; 0xe010
 *     mov bp, 0xe020
 *     mov dx, [bp+4]        ; SS:0xe024
 *     mov edi, 0x12345678    ; 66 prefix
 *     push ax            ; 2 bytes
 *     push dword 5        ; 4 bytes
 *     pop esi
 *     pop si
 *     inc ax            ; 40: AX = 0x1235
 *     call sub16
 *     mov [0xe100], sp
 *     jmp dword 0x38:0x100020    ; 66 ea ptr16:32 back to 32-bit code
 * sub16:    mov word [0xe102], 0xbeef
 *     ret
 */
static const uint8_t code16_code[] = {
	0xb8, 0x34, 0x12, 0xbb, 0x00, 0xe0, 0xbe, 0x10, 0x00, 0x8b, 0x08, 0xbd,
	0x20, 0xe0, 0x8b, 0x56, 0x04, 0x66, 0xbf, 0x78, 0x56, 0x34, 0x12, 0x50,
	0x66, 0x6a, 0x05, 0x66, 0x5e, 0x5e, 0x40, 0xe8, 0x0c, 0x00, 0x89, 0x26,
	0x00, 0xe1, 0x66, 0xea, 0x20, 0x00, 0x10, 0x00, 0x38, 0x00, 0xc7, 0x06,
	0x02, 0xe1, 0xef, 0xbe, 0xc3,
};

/*
 * bits 16
 * org 0x7000
 *     jmp dword 0x20000    ; 66 e9: beyond the 0xffff CS limit: #GP(0)
 */
static const uint8_t code16lim_code[] = {
	0x66, 0xe9, 0xfa, 0x8f, 0x01, 0x00,
};
/* clang-format on */

static struct tvm t;

static void start32(const uint8_t *code, size_t n)
{
	tv_init32(&t);
	tv_code(&t, code, n);
}

/* The exception frame a 32-bit gate pushed at ESP (same privilege). */
static uint32_t frame32(unsigned k) { return tv_r32(&t, (t.s.gpr[RAX_REG_RSP] & 0xffffffff) + 4 * k); }

static void test_decode_modes(void)
{
	struct emu_insn in;
	uint8_t b[16];
	/* 40: INC eax outside 64-bit mode, a REX prefix in it */
	memcpy(b, "\x40\x90", 2);
	CHECK_EQ(emu_decode_mode(b, 2, EMU_MODE_32, &in), EMU_DEC_OK);
	CHECK_EQ(in.len, 1);
	CHECK(!strcmp(emu_oprows[in.row].handler_name, "inc_Zv"));
	CHECK_EQ(emu_decode(b, 2, &in), EMU_DEC_OK);
	CHECK_EQ(in.len, 2);
	/* legacy-only opcodes are #UD in 64-bit mode */
	static const uint8_t only32[] = { 0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27,
					  0x2f, 0x37, 0x3f, 0x60, 0x61, 0xce, 0xd4, 0xd5 };
	for (unsigned i = 0; i < sizeof(only32); i++) {
		b[0] = only32[i];
		b[1] = 0x0a;
		CHECK_EQ(emu_decode(b, 8, &in), EMU_DEC_UD);
		CHECK_EQ(emu_decode_mode(b, 8, EMU_MODE_32, &in), EMU_DEC_OK);
	}
	memcpy(b, "\x82\xc0\x05", 3);
	CHECK_EQ(emu_decode(b, 3, &in), EMU_DEC_UD);
	CHECK_EQ(emu_decode_mode(b, 3, EMU_MODE_32, &in), EMU_DEC_OK);
	/* 63: MOVSXD in 64-bit mode, ARPL outside */
	memcpy(b, "\x63\xfe", 2);
	CHECK_EQ(emu_decode_mode(b, 2, EMU_MODE_32, &in), EMU_DEC_OK);
	CHECK(!strcmp(emu_oprows[in.row].handler_name, "arpl_EwGw"));
	CHECK_EQ(emu_decode(b, 2, &in), EMU_DEC_OK);
	CHECK(!strcmp(emu_oprows[in.row].handler_name, "movsxd_GvEd"));
	/* C4/C5 with a register operand (VEX) stay #UD; LES with memory decodes */
	memcpy(b, "\xc4\xc0\x00\x00", 4);
	CHECK_EQ(emu_decode_mode(b, 4, EMU_MODE_32, &in), EMU_DEC_UD);
	memcpy(b, "\xc4\x05\x00\x00\x40\x00", 6);
	CHECK_EQ(emu_decode_mode(b, 6, EMU_MODE_32, &in), EMU_DEC_OK);
	CHECK_EQ(in.len, 6);
	CHECK_EQ(in.base, EMU_REG_NONE); /* disp32 absolute */
	/* D64 rows: 32-bit operands outside 64-bit mode, 16 with 66 */
	b[0] = 0x50;
	CHECK_EQ(emu_decode_mode(b, 1, EMU_MODE_32, &in), EMU_DEC_OK);
	CHECK_EQ(in.osz, 4);
	CHECK_EQ(emu_decode_mode(b, 1, EMU_MODE_16, &in), EMU_DEC_OK);
	CHECK_EQ(in.osz, 2);
	/* 16-bit code: mov eax, imm32 needs 66; [bp+si] is SS-relative */
	memcpy(b, "\x66\xb8\x01\x00\x00\x00", 6);
	CHECK_EQ(emu_decode_mode(b, 6, EMU_MODE_16, &in), EMU_DEC_OK);
	CHECK_EQ(in.len, 6);
	CHECK_EQ(in.osz, 4);
	memcpy(b, "\x8b\x02", 2); /* mov ax, [bp+si] */
	CHECK_EQ(emu_decode_mode(b, 2, EMU_MODE_16, &in), EMU_DEC_OK);
	CHECK_EQ(in.asz, 2);
	CHECK_EQ(in.base, RAX_REG_RBP);
	CHECK_EQ(in.index, RAX_REG_RSI);
	CHECK_EQ(in.seg & 7, RAX_SEG_SS);
	char buf[64];
	emu_disasm(&in, buf, sizeof(buf));
	CHECK(!strcmp(buf, "mov ax, word [bp+si*1]") || !strcmp(buf, "mov ax, word [bp+si]"));
	/* ptr16:32 */
	memcpy(b, "\xea\x78\x56\x34\x12\x08\x00", 7);
	CHECK_EQ(emu_decode_mode(b, 7, EMU_MODE_32, &in), EMU_DEC_OK);
	CHECK_EQ(in.len, 7);
	CHECK_EQ(in.imm, 0x12345678);
	CHECK_EQ(in.imm2, 8);
	CHECK_EQ(emu_decode(b, 7, &in), EMU_DEC_UD);
}

static void test_incdec(void)
{
	start32(incdec_code, sizeof(incdec_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 6);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0xffffffff);
	CHECK_EQ(t.s.gpr[RAX_REG_RDI], 0x80000000);
	CHECK_EQ(t.s.rip, TV_CODE + sizeof(incdec_code));
	CHECK(t.s.rflags & RFLAGS_CF); /* kept by INC/DEC */
	CHECK(t.s.rflags & RFLAGS_OF);
	CHECK(t.s.rflags & RFLAGS_SF);
	CHECK(!(t.s.rflags & RFLAGS_ZF));
	/* the state round-trips: still 32-bit protected mode */
	CHECK_EQ(t.s.cr0, CR0_PE | CR0_ET);
	CHECK_EQ(t.s.efer, 0);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].db, 1);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].selector, SEL_KCODE32);
	tv_free(&t);
}

static void test_pushpop(void)
{
	start32(pushpop_code, sizeof(pushpop_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0xffffffff);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0xaaaa5566);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX], PUSHPOP_RET);
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], 0x8fffc);
	CHECK_EQ(tv_r32(&t, 0x8fffc), 0x11223344);
	CHECK_EQ(t.s.rip, PUSHPOP_RET + 1);
	tv_free(&t);

	/* SS.B=0: the stack pointer is SP, ESP's upper half stays */
	start32(stack16_code, sizeof(stack16_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x1234fffc);
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], 0x12340000);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX], 0xcafef00d);
	CHECK_EQ(tv_r32(&t, 0xfffc), 0xcafef00d);
	CHECK_EQ(t.s.seg[RAX_SEG_SS].selector, SEL_STACK16);
	CHECK_EQ(t.s.seg[RAX_SEG_SS].db, 0);
	tv_free(&t);
}

static void test_pusha(void)
{
	start32(pusha_code, sizeof(pusha_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_r32(&t, TV_DATA), 1);
	CHECK_EQ(tv_r32(&t, TV_DATA + 4), 0x90000);
	CHECK_EQ(tv_r32(&t, TV_DATA + 8), 8);
	CHECK_EQ(tv_r32(&t, TV_DATA + 12), 0x90000 - 16);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 1);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 2);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX], 3);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x99);
	CHECK_EQ(t.s.gpr[RAX_REG_RBP], 6);
	CHECK_EQ(t.s.gpr[RAX_REG_RSI], 7);
	CHECK_EQ(t.s.gpr[RAX_REG_RDI], 8);
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], 0x90000);
	tv_free(&t);
}

static void test_segments(void)
{
	start32(segbase_code, sizeof(segbase_code));
	tv_w32(&t, 0x10100, 0xaabbccdd);
	tv_w32(&t, 0x10104, 0x01020304);
	tv_w32(&t, TV_DATA, 0x55667788);
	t.s.gpr[RAX_REG_RSP] = 0x90000;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX] & 0xffffffff, 0xaabbccdd);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x55667788);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x01020304);
	CHECK_EQ(t.s.seg[RAX_SEG_DS].base, 0x10000);
	CHECK_EQ(t.s.seg[RAX_SEG_DS].limit, 0xffff);
	CHECK_EQ(frame32(0), 0);             /* error code */
	CHECK_EQ(frame32(1), SEGBASE_FAULT); /* EIP of the faulting MOV */
	CHECK_EQ(frame32(2), SEL_KCODE32);
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], 0x90000 - 16);
	tv_free(&t);

	start32(segro_code, sizeof(segro_code));
	tv_w32(&t, TV_DATA, 0x31415926);
	t.s.gpr[RAX_REG_RSP] = 0x90000;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(frame32(0), 0);
	CHECK_EQ(frame32(1), SEGRO_FAULT);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0x31415926);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x31415926); /* expand-down above its limit */
	CHECK_EQ(tv_r32(&t, TV_DATA), 0x31415926);
	tv_free(&t);

	start32(segexpdown_code, sizeof(segexpdown_code));
	t.s.gpr[RAX_REG_RSP] = 0x90000;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(frame32(1), SEGEXPDOWN_FAULT);
	tv_free(&t);

	start32(segsel_code, sizeof(segsel_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(frame32(0), 0x1000); /* the selector's index as the error code */
	CHECK_EQ(frame32(1), SEGSEL_FAULT);
	CHECK_EQ(t.s.seg[RAX_SEG_DS].selector, SEL_KDATA);
	tv_free(&t);
}

static void test_segment_loads(void)
{
	start32(segnp_code, sizeof(segnp_code));
	tv_w64(&t, TV_GDT + 0x90, tv_desc(0, 0xfffff, 0x12, 0xc)); /* P=0 */
	t.s.gdt.limit = 0x97;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_NP);
	CHECK_EQ(frame32(0), 0x90);
	CHECK_EQ(frame32(1), SEGNP_FAULT);
	CHECK_EQ(t.s.seg[RAX_SEG_ES].selector, SEL_KDATA);
	tv_free(&t);

	start32(segssnp_code, sizeof(segssnp_code));
	tv_w64(&t, TV_GDT + 0x90, tv_desc(0, 0xfffff, 0x12, 0xc));
	t.s.gdt.limit = 0x97;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_SS);
	CHECK_EQ(frame32(0), 0x90);
	CHECK_EQ(frame32(1), SEGSSNP_FAULT);
	tv_free(&t);

	/* a null SS is #GP(0) outside 64-bit mode */
	static const uint8_t nullss[] = { 0x31, 0xc0, 0x8e, 0xd0, 0xf4 }; /* xor eax,eax; mov ss,ax; hlt */
	start32(nullss, sizeof(nullss));
	t.s.gpr[RAX_REG_RSP] = 0x90000;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(frame32(0), 0);
	CHECK_EQ(frame32(1), TV_CODE + 2);
	tv_free(&t);
}

static void test_addressing(void)
{
	start32(addr_code, sizeof(addr_code));
	tv_w32(&t, 0xe010, 0x10101010);
	tv_w32(&t, 0xe020, 0x20202020);
	tv_w32(&t, 0xe024, 0x24242424);
	tv_w32(&t, 0xe040, 0x4444beef);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0x10101010);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x24242424);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX], 0x20202020);
	CHECK_EQ(t.s.gpr[RAX_REG_RSI], 0xbeef);
	CHECK_EQ(t.s.gpr[RAX_REG_RDI], 0x0010);
	CHECK_EQ(tv_r32(&t, TV_DATA + 0x10), 0x10101010);
	CHECK_EQ(t.s.gpr[RAX_REG_RBP], 0x10101010); /* [ebx+disp32] wrapped at 4 GiB */
	tv_free(&t);
}

static void test_long_mode_switch(void)
{
	start32(lmswitch_code, sizeof(lmswitch_code));
	t.s.gpr[RAX_REG_RAX] = 0x2badb002;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK(t.s.efer & EFER_LMA);
	CHECK(t.s.efer & EFER_LME);
	CHECK(t.s.cr0 & CR0_PG);
	CHECK_EQ(t.s.cr3, 0x20000);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].selector, SEL_KCODE);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].l, 1);
	CHECK_EQ(t.s.gpr[RAX_REG_R9], 0x123456789abcdef0ull);
	CHECK_EQ(t.s.gpr[RAX_REG_RSI], 0x1234);
	CHECK_EQ(t.s.gdt.limit, 0x8f);
	/* the same bytes ran as 32-bit code (DEC EAX) and then as 64-bit code */
	CHECK_EQ(tv_r32(&t, TV_DATA), 0x2badb001);
	CHECK_EQ(tv_r64(&t, TV_DATA + 8), 5);
	CHECK_EQ(tv_r64(&t, 0x22000 + 16), 0x400083 | 0x60); /* A and D set by the walk */
	tv_free(&t);

	/* RETF into 64-bit code, then JMP FAR [m16:32] back to compatibility mode */
	start32(lmretf_code, sizeof(lmretf_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK(t.s.efer & EFER_LMA);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x1122334455667788ull);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].selector, SEL_KCODE32);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].l, 0);
	tv_free(&t);

	/* PG with LME but without PAE: #GP(0), nothing changes */
	start32(lmnopae_code, sizeof(lmnopae_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(frame32(0), 0);
	CHECK_EQ(frame32(1), LMNOPAE_FAULT);
	CHECK(t.s.efer & EFER_LME);
	CHECK(!(t.s.efer & EFER_LMA));
	CHECK(!(t.s.cr0 & CR0_PG));
	tv_free(&t);
}

/* IA-32e mode with CS = SEL_KCODE32: compatibility mode. */
static void start_compat(const uint8_t *code, size_t n)
{
	tv_init(&t);
	tv_gdt32(&t);
	t.s.seg[RAX_SEG_CS] = tv_seg(SEL_KCODE32, tv_desc(0, 0xfffff, 0x9b, 0xc));
	tv_code(&t, code, n);
}

static void test_compat_mode(void)
{
	start_compat(compat_code, sizeof(compat_code));
	tv_ptr(&t, TV_HANDLERS + 0x30 * 16)[0] = 0x48; /* iretq */
	tv_ptr(&t, TV_HANDLERS + 0x30 * 16)[1] = 0xcf;
	tv_w32(&t, TV_DATA, 0x600d600d);
	t.s.gpr[RAX_REG_RAX] = 0xffffffff00000000ull;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), 0x31);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0x12345679);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX], 0xabcd);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x90000);
	CHECK_EQ(t.s.gpr[RAX_REG_RSI], 0x600d600d);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x1122334455667788ull);
	CHECK_EQ(t.s.gpr[RAX_REG_RDI], 0x77);
	/* INT from compatibility mode: the 64-bit IDT and a 64-bit frame */
	CHECK_EQ(t.s.seg[RAX_SEG_CS].selector, SEL_KCODE);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].l, 1);
	uint64_t sp = t.s.gpr[RAX_REG_RSP];
	CHECK_EQ(sp, 0x90000 - 40);
	CHECK_EQ(tv_r64(&t, sp + 8), SEL_KCODE32);
	CHECK_EQ(tv_r64(&t, sp + 24), 0x90000);
	CHECK_EQ(tv_r64(&t, sp + 32), SEL_KDATA);
	tv_free(&t);

	/* MOV CR0 clearing PG from compatibility mode leaves IA-32e mode */
	start_compat(compatpgoff_code, sizeof(compatpgoff_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 1);
	CHECK(!(t.s.efer & EFER_LMA));
	CHECK(t.s.efer & EFER_LME);
	CHECK(!(t.s.cr0 & CR0_PG));
	tv_free(&t);

	/* ... and is #GP(0) in 64-bit mode */
	tv_init(&t);
	tv_code(&t, pgoff64_code, sizeof(pgoff64_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(tv_r64(&t, t.s.gpr[RAX_REG_RSP] + 8), PGOFF64_FAULT);
	CHECK(t.s.efer & EFER_LMA);
	CHECK(t.s.cr0 & CR0_PG);
	tv_free(&t);
}

static void test_idt32(void)
{
	/* same privilege: EFLAGS, CS, EIP; IRETD returns */
	start32(idtsame_code, sizeof(idtsame_code));
	tv_ptr(&t, TV_HANDLERS + 0x42 * 16)[0] = 0xcf; /* iretd */
	t.s.rflags = RFLAGS_FIXED1 | RFLAGS_IF;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), 0x43);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x90000);
	CHECK(t.s.gpr[RAX_REG_RCX] & RFLAGS_IF); /* restored by IRETD */
	CHECK(!(t.s.rflags & RFLAGS_IF));        /* cleared by the interrupt gate */
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], 0x90000 - 12);
	CHECK_EQ(frame32(0), IDTSAME_AFTER);
	CHECK_EQ(frame32(1), SEL_KCODE32);
	CHECK(frame32(2) & RFLAGS_IF);
	tv_free(&t);

	/* a trap gate leaves IF alone */
	start32(idtsame_code, sizeof(idtsame_code));
	tv_ptr(&t, TV_HANDLERS + 0x42 * 16)[0] = 0xcf;
	tv_gate32(&t, 0x43, (uint32_t)(TV_HANDLERS + 0x43 * 16), 0xf, 3);
	memcpy(tv_ptr(&t, TV_HANDLERS + 0x43 * 16), "\x9c\x58\xfa\xf4", 4); /* pushfd; pop eax; cli; hlt */
	t.s.rflags = RFLAGS_FIXED1 | RFLAGS_IF;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), 0x43);
	CHECK(t.s.gpr[RAX_REG_RAX] & RFLAGS_IF);
	tv_free(&t);

	/* CPL3 -> CPL0: the stack from the TSS, SS:ESP pushed; IRETD back to CPL3 */
	start32(idtpriv_code, sizeof(idtpriv_code));
	tv_ptr(&t, TV_HANDLERS + 0x40 * 16)[0] = 0xcf;
	t.s.seg[RAX_SEG_CS] = tv_seg(SEL_UCODE32, tv_desc(0, 0xfffff, 0xfb, 0xc));
	struct rax_segment uds = tv_seg(SEL_UDATA32, tv_desc(0, 0xfffff, 0xf3, 0xc));
	t.s.seg[RAX_SEG_SS] = t.s.seg[RAX_SEG_DS] = t.s.seg[RAX_SEG_ES] = uds;
	t.s.gpr[RAX_REG_RSP] = 0x80000;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), 0x41);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x2222);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x80000); /* IRETD restored the user ESP */
	CHECK_EQ(t.s.seg[RAX_SEG_CS].selector, SEL_KCODE32);
	CHECK_EQ(t.s.seg[RAX_SEG_SS].selector, SEL_KDATA);
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], TV_RSP0 - 20);
	CHECK_EQ(frame32(0), IDTPRIV_AFTER);
	CHECK_EQ(frame32(1), SEL_UCODE32);
	CHECK_EQ(frame32(3), 0x80000);
	CHECK_EQ(frame32(4), SEL_UDATA32);
	tv_free(&t);

	/* a fault at CPL3 with an error code and a privilege change */
	start32(idtcpl3gp_code, sizeof(idtcpl3gp_code));
	t.s.seg[RAX_SEG_CS] = tv_seg(SEL_UCODE32, tv_desc(0, 0xfffff, 0xfb, 0xc));
	t.s.seg[RAX_SEG_SS] = tv_seg(SEL_UDATA32, tv_desc(0, 0xfffff, 0xf3, 0xc));
	t.s.gpr[RAX_REG_RSP] = 0x80000;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], TV_RSP0 - 24);
	CHECK_EQ(frame32(0), 0);
	CHECK_EQ(frame32(1), IDTCPL3GP_FAULT);
	CHECK_EQ(frame32(2), SEL_UCODE32);
	CHECK_EQ(frame32(4), 0x80000);
	CHECK_EQ(frame32(5), SEL_UDATA32);
	tv_free(&t);
}

/* PAE tables: PDPT at 0x30000; PD0 identity-maps 0-6M with 2M pages; PD1
 * maps 0x40000000 (PT at 0x33000: RW page -> 0x500000, RO page -> 0x501000,
 * a missing page) and 0x40600000 (2M page -> 0x600000). */
static void pae_tables(void)
{
	tv_w64(&t, 0x30000, 0x31000 | 1);
	tv_w64(&t, 0x30008, 0x32000 | 1);
	for (uint64_t i = 0; i < 3; i++)
		tv_w64(&t, 0x31000 + 8 * i, (i << 21) | 0x83);
	tv_w64(&t, 0x32000, 0x33000 | 3);
	tv_w64(&t, 0x32000 + 3 * 8, 0x600000 | 0x83);
	tv_w64(&t, 0x33000, 0x500000 | 3);
	tv_w64(&t, 0x33008, 0x501000 | 1);
	tv_w32(&t, 0x500000, 0xfeedface);
	tv_w32(&t, 0x501000, 0x0badcafe);
	tv_w32(&t, 0x600000, 0x22222222);
}

static void test_pae_paging(void)
{
	start32(pae_code, sizeof(pae_code));
	pae_tables();
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_PF);
	CHECK(!(t.s.efer & EFER_LMA));
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0xfeedface);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x0badcafe);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x22222222);
	CHECK_EQ(tv_r32(&t, 0x500004), 0x77);
	CHECK_EQ(tv_r64(&t, 0x33000), 0x500000 | 3 | 0x20 | 0x40); /* A and D */
	CHECK_EQ(tv_r64(&t, 0x33008), 0x501000 | 1 | 0x20);        /* A only */
	CHECK(tv_r64(&t, 0x32000) & 0x20);                         /* A on the PDE */
	CHECK_EQ(t.s.cr2, 0x40001000);
	CHECK_EQ(frame32(0), 3); /* P | W */
	CHECK_EQ(frame32(1), PAE_FAULT);
	tv_free(&t);

	start32(paenp_code, sizeof(paenp_code));
	pae_tables();
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_PF);
	CHECK_EQ(t.s.cr2, 0x40002000);
	CHECK_EQ(frame32(0), 0);
	CHECK_EQ(frame32(1), PAENP_FAULT);
	tv_free(&t);

	/* a PDPTE with reserved bits set: MOV CR3 (PAE paging on) is #GP(0) */
	start32(paenp_code, sizeof(paenp_code));
	pae_tables();
	tv_w64(&t, 0x30008, 0x32000 | 1 | 0x80); /* bit 7 reserved */
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK(!(t.s.cr0 & CR0_PG));
	tv_free(&t);
}

/* 2-level tables: PD at 0x34000 with 4M pages for 0-8M and 0x80400000 -> 0x400000,
 * and 0x40000000 through the PT at 0x35000 (like the PAE case). */
static void pg2_tables(void)
{
	tv_w32(&t, 0x34000, 0x000000 | 0x83);
	tv_w32(&t, 0x34004, 0x400000 | 0x83);
	tv_w32(&t, 0x34000 + 4 * (0x80400000u >> 22), 0x400000 | 0x83);
	tv_w32(&t, 0x34000 + 4 * (0x40000000u >> 22), 0x35000 | 3);
	tv_w32(&t, 0x35000, 0x500000 | 3);
	tv_w32(&t, 0x35004, 0x501000 | 1);
	tv_w32(&t, 0x500000, 0xfeedface);
	tv_w32(&t, 0x501000, 0x0badcafe);
	tv_w32(&t, 0x400000, 0x44444444);
}

static void test_2level_paging(void)
{
	start32(pg2_code, sizeof(pg2_code));
	pg2_tables();
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_PF);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0xfeedface);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x0badcafe);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x44444444);
	CHECK_EQ(tv_r32(&t, 0x500004), 0x66);
	CHECK_EQ(tv_r32(&t, 0x35000), 0x500000 | 3 | 0x20 | 0x40);
	CHECK_EQ(tv_r32(&t, 0x35004), 0x501000 | 1 | 0x20);
	CHECK(tv_r32(&t, 0x34000 + 4 * 0x100) & 0x20);
	CHECK_EQ(t.s.cr2, 0x40001000);
	CHECK_EQ(frame32(0), 3);
	CHECK_EQ(frame32(1), PG2_FAULT);
	tv_free(&t);

	/* without CR4.PSE the PS bit is ignored: a PDE at 0 maps a page table,
	 * so identity-map the first 2M with a PT for the code to run */
	start32(pg2np_code, sizeof(pg2np_code));
	pg2_tables();
	tv_w32(&t, 0x34000, 0x36000 | 3);
	for (uint32_t i = 0; i < 1024; i++)
		tv_w32(&t, 0x36000 + 4 * i, (i << 12) | 3);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_PF);
	CHECK_EQ(t.s.cr2, 0x40002000);
	CHECK_EQ(frame32(0), 2); /* not present, write */
	CHECK_EQ(frame32(1), PG2NP_FAULT);
	tv_free(&t);
}

static void test_bcd(void)
{
	start32(bcd_code, sizeof(bcd_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	uint64_t *g = t.s.gpr;
	CHECK_EQ(g[RAX_REG_RBX] & 0xffff, 0x0114); /* DAA: 14, CF=1 */
	CHECK_EQ(g[RAX_REG_RCX] & 0xffff, 0x0188); /* DAS: 88, CF=1 */
	CHECK_EQ(g[RAX_REG_RDX] & 0xffff, 0x0107); /* AAA */
	CHECK_EQ(tv_ptr(&t, TV_DATA)[0], 1);       /* AAA: CF=1 */
	CHECK_EQ(g[RAX_REG_RSI] & 0xffff, 0x0108); /* AAS */
	CHECK_EQ(g[RAX_REG_RDI] & 0xffff, 0x0603); /* AAM */
	CHECK_EQ(g[RAX_REG_RBP] & 0xffff, 0x0043); /* AAD */
	CHECK_EQ(g[RAX_REG_RAX] & 0xffff, 0x030f); /* AAM 16 */
	CHECK(!(t.s.rflags & RFLAGS_ZF));
	tv_free(&t);

	start32(aam0_code, sizeof(aam0_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_DE);
	CHECK_EQ(frame32(0), AAM0_FAULT);
	tv_free(&t);
}

static void test_legacy_misc(void)
{
	start32(misc_code, sizeof(misc_code));
	tv_w32(&t, 0x10100, 0x5a5a5a5a);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], SEL_KCODE32);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX] & 0xff, 8);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX], 0x12345678);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX], 0x5a5a5a5a);
	CHECK_EQ(t.s.seg[RAX_SEG_ES].selector, SEL_BASE64K);
	CHECK_EQ(t.s.seg[RAX_SEG_DS].selector, SEL_KDATA);
	CHECK_EQ(t.s.gpr[RAX_REG_RBP], SEL_KCODE32);
	CHECK_EQ(t.s.gpr[RAX_REG_RSI], 0x0b);
	CHECK_EQ(tv_ptr(&t, TV_DATA + 0x10)[0], 1);
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], 0x90000);
	tv_free(&t);

	start32(enter_code, sizeof(enter_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX], 0x8ffec);
	CHECK_EQ(t.s.gpr[RAX_REG_RBX], 0x8fffc);
	CHECK_EQ(t.s.gpr[RAX_REG_RBP], 0x12345678);
	CHECK_EQ(t.s.gpr[RAX_REG_RSP], 0x90000);
	CHECK_EQ(tv_r32(&t, 0x8fff8), 0xabc);
	CHECK_EQ(tv_r32(&t, 0x8fffc), SEL_KDATA); /* PUSH SS after LEAVE */
	CHECK_EQ(t.s.seg[RAX_SEG_SS].selector, SEL_KDATA);
	tv_free(&t);

	start32(into_code, sizeof(into_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_OF);
	CHECK_EQ(frame32(0), INTO_AFTER); /* a trap: after INTO */
	tv_free(&t);

	start32(bound_code, sizeof(bound_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_BR);
	CHECK_EQ(frame32(0), BOUND_FAULT); /* a fault: at BOUND */
	tv_free(&t);
}

static void test_code16(void)
{
	start32(code16start_code, sizeof(code16start_code));
	memcpy(tv_ptr(&t, 0x7000), code16_code, sizeof(code16_code));
	tv_w32(&t, 0xe010, 0x10101010);
	tv_w32(&t, 0xe024, 0x24242424);
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(t.s.seg[RAX_SEG_CS].selector, SEL_KCODE32);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX] & 0xffff, 0x1235);
	CHECK_EQ(t.s.gpr[RAX_REG_RCX] & 0xffff, 0x1010);
	CHECK_EQ(t.s.gpr[RAX_REG_RDX] & 0xffff, 0x2424);
	CHECK_EQ(t.s.gpr[RAX_REG_RDI], 0x12345678);
	CHECK_EQ(t.s.gpr[RAX_REG_RSI], 0x1234);        /* POP ESI got 5, POP SI then 0x1234 */
	CHECK_EQ(tv_r32(&t, 0xe100) & 0xffff, 0x0000); /* SP after the pops: 0x90000 & 0xffff */
	CHECK_EQ(tv_r32(&t, 0xe100) >> 16, 0xbeef);
	CHECK_EQ(tv_r32(&t, TV_DATA), 0x90000);
	tv_free(&t);
}

static void test_cs_limit(void)
{
	start32(code16start_code, sizeof(code16start_code));
	memcpy(tv_ptr(&t, 0x7000), code16lim_code, sizeof(code16lim_code));
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	CHECK_EQ(tv_vector(&t), EXC_GP);
	CHECK_EQ(frame32(0), 0);
	CHECK_EQ(frame32(1), 0x7000);
	CHECK_EQ(frame32(2), SEL_CODE16);
	tv_free(&t);
}

int main(void)
{
	test_decode_modes();
	test_incdec();
	test_pushpop();
	test_pusha();
	test_segments();
	test_segment_loads();
	test_addressing();
	test_long_mode_switch();
	test_compat_mode();
	test_idt32();
	test_pae_paging();
	test_2level_paging();
	test_bcd();
	test_legacy_misc();
	test_code16();
	test_cs_limit();
	return unit_finish("test_emu_mode32");
}
