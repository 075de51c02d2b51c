/*
 * test_emu_util.h - a tiny VM for the emulator unit tests: 16 MiB of RAM,
 * identity-mapped (2 MiB pages over the first 1 GiB), a GDT with kernel and
 * user segments and a 64-bit TSS, and an IDT whose vector v points at a HLT
 * at TV_HANDLERS + 16*v, so a delivered exception ends run() with HLT at a
 * RIP that names the vector.
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

static inline uint8_t *tv_ptr(struct tvm *t, uint64_t gpa)
{
	return t->vm.mem.host + gpa;
}
static inline void tv_w64(struct tvm *t, uint64_t gpa, uint64_t v)
{
	memcpy(tv_ptr(t, gpa), &v, 8);
}
static inline uint64_t tv_r64(struct tvm *t, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, tv_ptr(t, gpa), 8);
	return v;
}

static inline void tv_gate(struct tvm *t, unsigned vec, uint64_t target, unsigned type, unsigned dpl,
			   unsigned ist)
{
	uint64_t lo = (target & 0xffff) | ((uint64_t)SEL_KCODE << 16) | ((uint64_t)ist << 32) |
		      ((uint64_t)type << 40) | ((uint64_t)dpl << 45) | (1ull << 47) |
		      ((target >> 16) & 0xffff) << 48;
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
	s->seg[RAX_SEG_ES] = s->seg[RAX_SEG_SS] = s->seg[RAX_SEG_FS] = s->seg[RAX_SEG_GS] =
		s->seg[RAX_SEG_DS];
	s->gdt.base = TV_GDT;
	s->gdt.limit = 0x37;
	s->idt.base = TV_IDT;
	s->idt.limit = 0xfff;
	s->tr = (struct rax_segment){ .selector = SEL_TSS, .base = TV_TSS, .limit = 0x67, .type = 11,
				      .present = 1 };
	s->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_WP | CR0_NE;
	s->cr3 = TV_PML4;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
	s->rip = TV_CODE;
	s->gpr[RAX_REG_RSP] = TV_STACK;
	s->rflags = RFLAGS_FIXED1;
}

static inline void tv_code(struct tvm *t, const void *code, size_t n)
{
	memcpy(tv_ptr(t, t->s.rip), code, n);
}

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

static inline void tv_free(struct tvm *t)
{
	t->vm.ops->destroy(&t->vm);
	guest_mem_free(&t->vm.mem);
}

#endif
