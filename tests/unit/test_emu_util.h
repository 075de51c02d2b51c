/*
 * test_emu_util.h - a tiny VM for the emulator unit tests: 16 MiB of RAM,
 * identity-mapped (2 MiB pages over the first 1 GiB), a GDT with kernel and
 * user segments and a 64-bit TSS, and an IDT whose vector v points at a HLT
 * at TV_HANDLERS + 16*v, so a delivered exception ends run() with HLT at a
 * RIP that names the vector. tv_init32() sets up the same for 32-bit
 * protected mode (legacy GDT entries, 8-byte IDT, 32-bit TSS, paging off).
 */
#ifndef RAX_TEST_EMU_UTIL_H
#define RAX_TEST_EMU_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cpu_state.h"
#include "emu/emu.h"
#include "vm.h"

#define TV_MEM (16ull << 20)
#define TV_PML4 0x1000ull
#define TV_PDPT 0x2000ull
#define TV_PD 0x3000ull
#define TV_PT 0x5000ull /* a 4K page table for the first 2 MiB when needed */
#define TV_IDT 0x8000ull
#define TV_GDT 0x9000ull
#define TV_TSS 0xa000ull
#define TV_CODE 0x100000ull
#define TV_STACK 0x90000ull
#define TV_IST1 0x70000ull
#define TV_RSP0 0x60000ull
#define TV_HANDLERS 0x200000ull
#define TV_DATA 0x400000ull

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define SEL_TSS 0x28

struct tvm {
	struct rax_vm vm;
	struct rax_cpu_state s;
	struct rax_exit ex;
};

static inline uint8_t *tv_ptr(struct tvm *t, uint64_t gpa) { return t->vm.mem.host + gpa; }
static inline void tv_w64(struct tvm *t, uint64_t gpa, uint64_t v) { memcpy(tv_ptr(t, gpa), &v, 8); }
static inline uint64_t tv_r64(struct tvm *t, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, tv_ptr(t, gpa), 8);
	return v;
}

static inline void tv_gate(struct tvm *t, unsigned vec, uint64_t target, unsigned type, unsigned dpl, unsigned ist)
{
	uint64_t lo = (target & 0xffff) | ((uint64_t)SEL_KCODE << 16) | ((uint64_t)ist << 32) | ((uint64_t)type << 40) |
		((uint64_t)dpl << 45) | (1ull << 47) | ((target >> 16) & 0xffff) << 48;
	tv_w64(t, TV_IDT + vec * 16, lo);
	tv_w64(t, TV_IDT + vec * 16 + 8, target >> 32);
}

static inline void tv_init(struct tvm *t)
{
	struct rax_err err;
	memset(t, 0, sizeof(*t));
	if (guest_mem_init(&t->vm.mem, TV_MEM, &err) < 0)
		abort();
	t->vm.ops = &rax_emu_backend;
	if (t->vm.ops->create(&t->vm, &err) < 0)
		abort();
	/* page tables: identity map 1 GiB with 2 MiB pages, user accessible */
	tv_w64(t, TV_PML4, TV_PDPT | 7);
	tv_w64(t, TV_PDPT, TV_PD | 7);
	for (uint64_t i = 0; i < 512; i++)
		tv_w64(t, TV_PD + i * 8, (i << 21) | 0x87);
	/* GDT */
	tv_w64(t, TV_GDT + 0x08, 0x00209a0000000000ull); /* kernel code64 */
	tv_w64(t, TV_GDT + 0x10, 0x00cf92000000ffffull); /* kernel data */
	tv_w64(t, TV_GDT + 0x18, 0x0020fa0000000000ull); /* user code64 */
	tv_w64(t, TV_GDT + 0x20, 0x00cff2000000ffffull); /* user data */
	uint64_t tss_lo = 0x67 | ((TV_TSS & 0xffffff) << 16) | (0x89ull << 40) | ((TV_TSS >> 24) << 56);
	tv_w64(t, TV_GDT + 0x28, tss_lo);
	tv_w64(t, TV_GDT + 0x30, TV_TSS >> 32);
	tv_w64(t, TV_TSS + 4, TV_RSP0);
	tv_w64(t, TV_TSS + 0x24, TV_IST1);
	/* IDT: vector v -> HLT at TV_HANDLERS + 16 v, interrupt gates */
	for (unsigned v = 0; v < 256; v++) {
		tv_ptr(t, TV_HANDLERS + v * 16)[0] = 0xf4;
		tv_gate(t, v, TV_HANDLERS + v * 16, 0xe, 3, 0);
	}
	struct rax_cpu_state *s = &t->s;
	cpu_state_reset(s);
	cpu_state_flat64(&s->seg[RAX_SEG_CS], &s->seg[RAX_SEG_DS], 0);
	s->seg[RAX_SEG_CS].selector = SEL_KCODE;
	s->seg[RAX_SEG_DS].selector = SEL_KDATA;
	s->seg[RAX_SEG_ES] = s->seg[RAX_SEG_SS] = s->seg[RAX_SEG_FS] = s->seg[RAX_SEG_GS] = s->seg[RAX_SEG_DS];
	s->gdt.base = TV_GDT;
	s->gdt.limit = 0x37;
	s->idt.base = TV_IDT;
	s->idt.limit = 0xfff;
	s->tr = (struct rax_segment){ .selector = SEL_TSS, .base = TV_TSS, .limit = 0x67, .type = 11, .present = 1 };
	s->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_WP | CR0_NE;
	s->cr3 = TV_PML4;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
	s->rip = TV_CODE;
	s->gpr[RAX_REG_RSP] = TV_STACK;
	s->rflags = RFLAGS_FIXED1;
}

static inline void tv_code(struct tvm *t, const void *code, size_t n) { memcpy(tv_ptr(t, t->s.rip), code, n); }

static inline void tv_set(struct tvm *t)
{
	struct rax_err err;
	t->vm.ops->set_state(&t->vm, &t->s, &err);
}

static inline void tv_get(struct tvm *t)
{
	struct rax_err err;
	t->vm.ops->get_state(&t->vm, &t->s, &err);
}

/* Load state, execute n steps, read state back. */
static inline enum rax_exit_kind tv_steps(struct tvm *t, unsigned n)
{
	struct rax_err err;
	tv_set(t);
	for (unsigned i = 0; i < n; i++) {
		t->vm.ops->step(&t->vm, &t->ex, &err);
		if (t->ex.kind != RAX_EXIT_STEP)
			break;
	}
	tv_get(t);
	return t->ex.kind;
}

/* Load state and run until an exit (HLT with IF=0 ends the tests). */
static inline enum rax_exit_kind tv_run(struct tvm *t)
{
	struct rax_err err;
	tv_set(t);
	t->vm.ops->run(&t->vm, &t->ex, &err);
	tv_get(t);
	return t->ex.kind;
}

/* The vector whose handler HLT ended the run, or -1. */
static inline int tv_vector(struct tvm *t)
{
	if (t->ex.kind != RAX_EXIT_HLT || t->s.rip < TV_HANDLERS + 1 || t->s.rip > TV_HANDLERS + 256 * 16)
		return -1;
	return (int)((t->s.rip - 1 - TV_HANDLERS) / 16);
}

/* ---- 32-bit protected mode (paging off) ---- */
#define TV_IDT32 0xc000ull /* 8-byte gates */
#define TV_TSS32 0xd000ull
#define SEL_KCODE32 0x38 /* flat 32-bit code, DPL 0 (also compatibility-mode code) */
#define SEL_KDATA32 0x40
#define SEL_UCODE32 0x4b
#define SEL_UDATA32 0x53
#define SEL_TSS32 0x58
#define SEL_CODE16 0x60  /* 16-bit code, base 0, limit 0xffff */
#define SEL_RODATA 0x70  /* flat read-only data */
#define SEL_EXPDOWN 0x78 /* expand-down data, limit 0xfff, B=1 */
#define SEL_BASE64K 0x80 /* data, base 0x10000, limit 0xffff */
#define SEL_STACK16 0x88 /* data, base 0, limit 0xffff, B=0 */

/* An 8-byte segment descriptor: access byte (P DPL S type), flags nibble (G D/B L AVL). */
static inline uint64_t tv_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
		((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

/* The segment register a load of sel with descriptor d gives (hidden part). */
static inline struct rax_segment tv_seg(uint16_t sel, uint64_t d)
{
	struct rax_segment s = { 0 };
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	s.selector = sel;
	s.base = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
	s.g = (d >> 55) & 1;
	s.limit = s.g ? (limit << 12) | 0xfff : limit;
	s.type = (d >> 40) & 0xf;
	s.s = (d >> 44) & 1;
	s.dpl = (d >> 45) & 3;
	s.present = (d >> 47) & 1;
	s.l = (d >> 53) & 1;
	s.db = (d >> 54) & 1;
	return s;
}

/* A 32-bit interrupt (0xe) or trap (0xf) gate in the 8-byte IDT at TV_IDT32. */
static inline void tv_gate32(struct tvm *t, unsigned vec, uint32_t target, unsigned type, unsigned dpl)
{
	uint64_t lo = (target & 0xffff) | ((uint64_t)SEL_KCODE32 << 16) | ((uint64_t)type << 40) |
		((uint64_t)dpl << 45) | (1ull << 47) | ((uint64_t)(target >> 16) << 48);
	tv_w64(t, TV_IDT32 + vec * 8, lo);
}

/* The legacy entries of the GDT (after the 64-bit ones of tv_init). */
static inline void tv_gdt32(struct tvm *t)
{
	tv_w64(t, TV_GDT + SEL_KCODE32, tv_desc(0, 0xfffff, 0x9a, 0xc));
	tv_w64(t, TV_GDT + SEL_KDATA32, tv_desc(0, 0xfffff, 0x92, 0xc));
	tv_w64(t, TV_GDT + (SEL_UCODE32 & ~3), tv_desc(0, 0xfffff, 0xfa, 0xc));
	tv_w64(t, TV_GDT + (SEL_UDATA32 & ~3), tv_desc(0, 0xfffff, 0xf2, 0xc));
	tv_w64(t, TV_GDT + SEL_TSS32, tv_desc((uint32_t)TV_TSS32, 0x67, 0x8b, 0));
	tv_w64(t, TV_GDT + SEL_CODE16, tv_desc(0, 0xffff, 0x9a, 0));
	tv_w64(t, TV_GDT + SEL_RODATA, tv_desc(0, 0xfffff, 0x90, 0xc));
	tv_w64(t, TV_GDT + SEL_EXPDOWN, tv_desc(0, 0xfff, 0x96, 0x4));
	tv_w64(t, TV_GDT + SEL_BASE64K, tv_desc(0x10000, 0xffff, 0x92, 0x4));
	tv_w64(t, TV_GDT + SEL_STACK16, tv_desc(0, 0xffff, 0x92, 0));
	t->s.gdt.limit = 0x8f;
}

/*
 * The state a multiboot loader hands over: 32-bit protected mode, paging
 * off (CR0 = PE|ET), EFER = 0, flat CS (SEL_KCODE32) and data segments
 * (SEL_KDATA), EFLAGS 0x2; plus an 8-byte IDT whose vector v is a 32-bit
 * interrupt gate (DPL 3) to the HLT at TV_HANDLERS + 16 v, and a 32-bit TSS
 * with SS0:ESP0 = SEL_KDATA:TV_RSP0.
 */
static inline void tv_init32(struct tvm *t)
{
	tv_init(t);
	tv_gdt32(t);
	for (unsigned v = 0; v < 256; v++)
		tv_gate32(t, v, (uint32_t)(TV_HANDLERS + v * 16), 0xe, 3);
	uint32_t esp0 = (uint32_t)TV_RSP0, ss0 = SEL_KDATA;
	memcpy(tv_ptr(t, TV_TSS32 + 4), &esp0, 4);
	memcpy(tv_ptr(t, TV_TSS32 + 8), &ss0, 4);
	struct rax_cpu_state *s = &t->s;
	s->seg[RAX_SEG_CS] = tv_seg(SEL_KCODE32, tv_desc(0, 0xfffff, 0x9b, 0xc));
	struct rax_segment ds = tv_seg(SEL_KDATA, tv_desc(0, 0xfffff, 0x93, 0xc));
	s->seg[RAX_SEG_DS] = s->seg[RAX_SEG_ES] = s->seg[RAX_SEG_SS] = s->seg[RAX_SEG_FS] = s->seg[RAX_SEG_GS] = ds;
	s->idt.base = TV_IDT32;
	s->idt.limit = 0x7ff;
	s->tr = tv_seg(SEL_TSS32, tv_desc((uint32_t)TV_TSS32, 0x67, 0x8b, 0));
	s->cr0 = CR0_PE | CR0_ET;
	s->cr3 = 0;
	s->cr4 = 0;
	s->efer = 0;
	s->rflags = RFLAGS_FIXED1;
}

static inline uint32_t tv_r32(struct tvm *t, uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, tv_ptr(t, gpa), 4);
	return v;
}
static inline void tv_w32(struct tvm *t, uint64_t gpa, uint32_t v) { memcpy(tv_ptr(t, gpa), &v, 4); }

static inline void tv_free(struct tvm *t)
{
	t->vm.ops->destroy(&t->vm);
	guest_mem_free(&t->vm.mem);
}

/* t anew (tv_free, tv_init), its machine made again with the translator
 * on (jit: every block translated on its first whole run) or off. */
static inline void tv_fresh_jit(struct tvm *t, bool jit)
{
	struct rax_err err;
	tv_free(t);
	tv_init(t);
	t->vm.ops->destroy(&t->vm);
	t->vm.cfg.jit = jit;
	t->vm.cfg.jit_hot = 1;
	if (t->vm.ops->create(&t->vm, &err) < 0)
		abort();
}

#endif
