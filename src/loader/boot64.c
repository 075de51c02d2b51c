/* boot64.c - boot GDT, identity page tables and the 64-bit entry state. */
#include "boot64.h"

#include <string.h>

#include "layout.h"
#include "vm.h"

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_PS 0x80ull

static int put64(struct guest_mem *mem, uint64_t gpa, uint64_t v) { return guest_mem_write(mem, gpa, &v, sizeof(v)); }

int boot64_setup(struct guest_mem *mem, struct rax_cpu_state *st, uint64_t entry, struct rax_err *err)
{
	/* null, unused, 64-bit code (0x10), flat data (0x18) */
	static const uint64_t gdt[] = { 0, 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };
	if (guest_mem_write(mem, LAYOUT_GDT, gdt, sizeof(gdt)) < 0)
		return rax_errf(err, RAX_STATUS_USAGE, "guest memory too small for the boot GDT");

	/*
	 * Identity map with 2 MiB pages. Accessed/dirty are preset so that
	 * the CPU never needs to write these tables: the two backends then
	 * start from, and keep, byte-identical memory.
	 */
	int bad = put64(mem, LAYOUT_PML4, LAYOUT_PDPT | PTE_P | PTE_RW | PTE_A);
	bad |= put64(mem, LAYOUT_PDPT, LAYOUT_PD | PTE_P | PTE_RW | PTE_A);
	for (uint64_t i = 0; i < LAYOUT_IDMAP_SIZE >> 21; i++)
		bad |= put64(mem, LAYOUT_PD + i * 8, (i << 21) | PTE_P | PTE_RW | PTE_PS | PTE_A | PTE_D);
	if (bad)
		return rax_errf(err, RAX_STATUS_USAGE, "guest memory too small for the boot page tables");

	cpu_state_reset(st);
	cpu_state_flat64(&st->seg[RAX_SEG_CS], &st->seg[RAX_SEG_DS], 0);
	st->seg[RAX_SEG_CS].selector = BOOT_CS;
	st->seg[RAX_SEG_DS].selector = BOOT_DS;
	st->seg[RAX_SEG_ES] = st->seg[RAX_SEG_SS] = st->seg[RAX_SEG_FS] = st->seg[RAX_SEG_GS] = st->seg[RAX_SEG_DS];
	/* A usable 64-bit TSS descriptor cache is required by VMX entry. */
	st->tr = (struct rax_segment){ .limit = 0x67, .type = 11, .present = 1 };
	st->ldtr = (struct rax_segment){ .unusable = 1 };
	st->gdt = (struct rax_dtable){ .base = LAYOUT_GDT, .limit = sizeof(gdt) - 1 };
	st->idt = (struct rax_dtable){ .base = 0, .limit = 0 };
	st->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
	st->cr3 = LAYOUT_PML4;
	st->cr4 = CR4_PAE;
	st->efer = EFER_LME | EFER_LMA;
	st->rip = entry;
	st->rflags = RFLAGS_FIXED1;
	st->gpr[RAX_REG_RSP] = LAYOUT_BOOT_STACK_TOP;
	return 0;
}
