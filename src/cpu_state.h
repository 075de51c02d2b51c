/*
 * cpu_state.h - the one canonical x86-64 CPU state.
 *
 * Both backends convert to and from this struct; rax-diff compares it.
 * KVM's own structures never leave src/kvm/. Register arrays are indexed
 * in x86 encoding order so the decoder's register numbers index them.
 */
#ifndef RAX_CPU_STATE_H
#define RAX_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum rax_gpr {
	RAX_REG_RAX,
	RAX_REG_RCX,
	RAX_REG_RDX,
	RAX_REG_RBX,
	RAX_REG_RSP,
	RAX_REG_RBP,
	RAX_REG_RSI,
	RAX_REG_RDI,
	RAX_REG_R8,
	RAX_REG_R9,
	RAX_REG_R10,
	RAX_REG_R11,
	RAX_REG_R12,
	RAX_REG_R13,
	RAX_REG_R14,
	RAX_REG_R15,
	RAX_NGPR
};

enum rax_sreg { RAX_SEG_ES, RAX_SEG_CS, RAX_SEG_SS, RAX_SEG_DS, RAX_SEG_FS, RAX_SEG_GS, RAX_NSEG };

/* RFLAGS bits */
#define RFLAGS_CF (1u << 0)
#define RFLAGS_FIXED1 (1u << 1)
#define RFLAGS_PF (1u << 2)
#define RFLAGS_AF (1u << 4)
#define RFLAGS_ZF (1u << 6)
#define RFLAGS_SF (1u << 7)
#define RFLAGS_TF (1u << 8)
#define RFLAGS_IF (1u << 9)
#define RFLAGS_DF (1u << 10)
#define RFLAGS_OF (1u << 11)
#define RFLAGS_IOPL (3u << 12)
#define RFLAGS_NT (1u << 14)
#define RFLAGS_RF (1u << 16)
#define RFLAGS_VM (1u << 17)
#define RFLAGS_AC (1u << 18)
#define RFLAGS_VIF (1u << 19)
#define RFLAGS_VIP (1u << 20)
#define RFLAGS_ID (1u << 21)
#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* Control register bits */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_VME (1ull << 0)
#define CR4_PVI (1ull << 1)
#define CR4_TSD (1ull << 2)
#define CR4_DE (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_PGE (1ull << 7)
#define CR4_PCE (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP (1ull << 11)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
/* XCR0 / XSAVE state components the model has (CPUID 0xD) */
#define XFEATURE_X87 (1ull << 0)
#define XFEATURE_SSE (1ull << 1)
#define XFEATURE_AVX (1ull << 2)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* MSR numbers the canonical state carries */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103
#define MSR_K7_HWCR 0xc0010015
#define HWCR_TSC_FREQ_SEL (1ull << 24) /* the TSC counts at the P0 frequency (reads as 1 on family 10h+) */

/* A segment register with its hidden (descriptor cache) part. */
struct rax_segment {
	uint64_t base;
	uint32_t limit; /* byte granular, already scaled by G */
	uint16_t selector;
	uint8_t type; /* descriptor type field, 4 bits */
	uint8_t s, dpl, present, avl, l, db, g;
	uint8_t unusable;
};

struct rax_dtable {
	uint64_t base;
	uint16_t limit;
};

/* x87/SSE/AVX state in FXSAVE terms (values, not the memory image). */
struct rax_fpu_state {
	uint16_t fcw, fsw;
	uint8_t ftw; /* abridged tag word, as in FXSAVE */
	uint16_t fop;
	uint64_t fip, fdp;
	uint8_t st[8][16]; /* 80-bit registers, padded, physical order */
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	/* AVX state (XSAVE component 2): bits 255:128 of YMM0-15. No VEX
	 * instruction runs yet; XSAVE/XRSTOR save and load them, legacy SSE
	 * instructions leave them unchanged. */
	uint8_t ymmh[16][16];
};

struct rax_cpu_state {
	uint64_t gpr[RAX_NGPR];
	uint64_t rip;
	uint64_t rflags;
	struct rax_segment seg[RAX_NSEG];
	struct rax_segment tr, ldtr;
	struct rax_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t dr[4], dr6, dr7;
	/* MSRs that matter for 64-bit guests */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t pat, apic_base, tsc_aux;
	uint64_t xcr0; /* XFEATURE_ENABLED_MASK: bit 0 always set (XSETBV, src/emu/insn/xsave.c) */
	struct rax_fpu_state fpu;
};

/* Names used in reports, indexed by enum rax_gpr / enum rax_sreg. */
extern const char *const rax_gpr_names[RAX_NGPR];
extern const char *const rax_seg_names[RAX_NSEG];

/* Reset state of a processor (real mode at F000:FFF0, as after INIT). */
void cpu_state_reset(struct rax_cpu_state *s);

/* Flat 64-bit code/data segments at privilege level dpl. */
void cpu_state_flat64(struct rax_segment *cs, struct rax_segment *ds, unsigned dpl);

/* Current privilege level as the CPU sees it (CS.DPL in protected mode). */
static inline unsigned cpu_state_cpl(const struct rax_cpu_state *s) { return s->seg[RAX_SEG_CS].dpl; }

#endif
