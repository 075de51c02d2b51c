/*
 * mmu.c - linear-to-physical translation and guest memory access.
 *
 * 4-level paging (4K/2M/1G pages) with accessed/dirty updates in the guest's
 * tables, U/S, R/W with CR0.WP, NX with EFER.NXE and reserved-bit checks
 * (MAXPHYADDR 40, as the CPUID model reports). Without EFER.LMA the legacy
 * forms: 32-bit 2-level paging (4K pages, 4M pages with CR4.PSE, PSE-36
 * high address bits) and PAE 3-level paging from the four PDPTE registers
 * loaded at MOV CR3 (and when PAE paging is turned on), with the same A/D,
 * permission and fault rules. With CR0.PG=0, linear equals physical.
 * Successful translations are cached in a direct-mapped software TLB per
 * access kind (read/write/fetch) holding host pointers into RAM; a write
 * entry is only installed once the dirty bit is set, so TLB hits never skip
 * a D update. Physical addresses outside RAM go to the bus as MMIO.
 *
 * Outside 64-bit mode linear addresses are 32 bits: an access that runs past
 * linear 0xFFFFFFFF continues at linear 0 (with paging off, at physical 0),
 * byte for byte, as on the CPU (an AMD Zen 4 in compatibility mode wraps so;
 * see linear_next()). In 64-bit mode the next byte is at 0x100000000 and an
 * access must be canonical at both ends.
 *
 * Data breakpoints and watchpoints (debug.c): while one is enabled, TLB
 * entries for a linear page that holds a watched byte keep no host pointer,
 * so every access there comes through the slow paths below, which report the
 * access once it is translated (a fault first leaves nothing reported).
 *
 * Not modelled: SMEP/SMAP, PKE, PCID, global pages (the TLB is flushed on
 * every CR3 write instead), #AC alignment checks.
 */
#include "emu/cpu.h"
#include "layout.h"

#include "bus.h"
#include "emu/history.h"
#include "vm.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define MAXPHYADDR 40
#define PTE_ADDR (((1ull << MAXPHYADDR) - 1) & ~GUEST_PAGE_OFFSET)
/* bits MAXPHYADDR..51 must be zero in every entry */
#define PTE_RSVD_HI (((1ull << 52) - 1) & ~((1ull << MAXPHYADDR) - 1))

#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_RSVD 8u
#define PF_ID 16u

void emu_tlb_flush(struct emu_cpu *c)
{
	if (c->ntlb_filled < 3 * EMU_TLB_SIZE / 8)
		for (unsigned k = 0; k < c->ntlb_filled; k++)
			memset(&c->tlb[0][0] + c->tlb_filled[k], 0, sizeof(struct emu_tlb_entry));
	else
		memset(c->tlb, 0, sizeof(c->tlb));
	c->ntlb_filled = 0;
	c->block_break = true; /* the next bytes may be mapped differently now */
	c->chain_gen++;
}

/* RAM's physical addresses fit in a block tag below the epoch bits. */
_Static_assert(GUEST_MEM_MAX <= 1ull << (EMU_BTAG_EPOCH_SHIFT - 1), "block tags: RAM too large");

void emu_dcache_flush(struct emu_cpu *c)
{
	/* a new epoch: every block decoded so far misses (cpu.h); when it
	 * comes round to an epoch that tags may still carry, clear them */
	c->bc_epoch += 1ull << EMU_BTAG_EPOCH_SHIFT;
	if (!c->bc_epoch)
		for (unsigned i = 0; i < EMU_BCACHE_SIZE; i++)
			c->bcache[i].tag = 0;
	c->block_break = true; /* links checked in this run may name old blocks */
	c->chain_gen++;
	/* no block is left on any page: no page needs watching (under SMP the
	 * marks are the machine's, other CPUs' blocks still need them) */
	if (!c->smp)
		memset(c->code_bits, 0, ((c->npages + 63) / 64) * sizeof(uint64_t));
}

static void drop_write_entries(struct emu_cpu *c, uint64_t pfn)
{
	for (unsigned i = 0; i < EMU_TLB_SIZE; i++)
		if (c->tlb[ACC_W][i].gpa == pfn << GUEST_PAGE_SHIFT)
			emu_tlb_set_host(&c->tlb[ACC_W][i], NULL);
}

void emu_mark_code_page(struct emu_cpu *c, uint64_t pfn)
{
	c->code_bits[pfn >> 6] |= 1ull << (pfn & 63);
	/* writes to it must take the slow path from now on, on every CPU (the
	 * marks and page generations are shared; each CPU has its blocks) */
	if (!c->smp)
		drop_write_entries(c, pfn);
	for (unsigned k = 0; c->smp && k < c->smp->n; k++)
		drop_write_entries(c->smp->cpu[k], pfn);
}

/* gpa was written: invalidate cached code there; record pages for the harness. */
void emu_note_write(struct emu_cpu *c, uint64_t gpa)
{
	uint64_t pfn = gpa >> GUEST_PAGE_SHIFT;
	if (emu_is_code_page(c, pfn)) {
		c->page_gen[pfn]++;
		c->code_bits[pfn >> 6] &= ~(1ull << (pfn & 63));
		c->block_break = true; /* the running block may be stale now */
		/* and every CPU's links there (the generations are the machine's) */
		if (!c->smp)
			c->chain_gen++;
		for (unsigned k = 0; c->smp && k < c->smp->n; k++)
			c->smp->cpu[k]->chain_gen++;
	}
	/* history.c: the first write since the snapshot saves the page first */
	if (__builtin_expect(c->cow_bits != NULL, 0) && pfn < c->npages && (c->cow_bits[pfn >> 6] >> (pfn & 63) & 1))
		history_cow(c, pfn);
	if (!c->track_writes)
		return;
	uint64_t pg = gpa & ~GUEST_PAGE_OFFSET;
	for (unsigned i = 0; i < c->nwritten && i < EMU_MAX_WRITTEN_PAGES; i++)
		if (c->written[i] == pg)
			return;
	if (c->nwritten < EMU_MAX_WRITTEN_PAGES)
		c->written[c->nwritten] = pg;
	if (c->nwritten <= EMU_MAX_WRITTEN_PAGES)
		c->nwritten++;
}

uint64_t emu_phys_read(struct emu_cpu *c, uint64_t gpa, unsigned size)
{
	if (__builtin_expect((gpa & ~GUEST_PAGE_OFFSET) == c->apic_page, 0))
		return emu_apic_mmio_read(c, gpa, size); /* the local APIC hides what lies below */
	if (gpa < c->ram_size && size <= c->ram_size - gpa) {
		uint64_t v = 0;
		memcpy(&v, c->ram + gpa, size);
		return v;
	}
	if (c->vm)
		return bus_read(&c->vm->bus, BUS_MMIO, gpa, size);
	return emu_mask(size);
}

void emu_phys_write(struct emu_cpu *c, uint64_t gpa, unsigned size, uint64_t v)
{
	if (__builtin_expect((gpa & ~GUEST_PAGE_OFFSET) == c->apic_page, 0)) {
		emu_apic_mmio_write(c, gpa, size, v);
		return;
	}
	emu_note_write(c, gpa);
	if (__builtin_expect(c->wlog != NULL, 0)) { /* a per-instruction hook's write log (history.c) */
		if (c->nwlog < HISTORY_MAX_WRITES)
			c->wlog[c->nwlog++] = (struct history_write){ gpa, v & emu_mask(size), (uint8_t)size,
								      (uint8_t)c->cpu_index, HISTORY_NO_LA };
		else
			c->wlog_over = true;
	}
	if (gpa < c->ram_size && size <= c->ram_size - gpa) {
		memcpy(c->ram + gpa, &v, size);
		return;
	}
	if (c->vm) {
		bus_write(&c->vm->bus, BUS_MMIO, gpa, size, v);
		emu_recheck_events(c); /* a device (the I/O APIC) may have raised or unmasked an interrupt */
	}
}

static _Noreturn void page_fault(struct emu_cpu *c, uint64_t la, uint32_t err)
{
	c->s.cr2 = la;
	emu_raise(c, EXC_PF, err, EV_ERR);
}

/* PDPTE bits that must be zero: 1-2, 5-8, above MAXPHYADDR, and XD (PAE PDPTEs have none). */
#define PDPTE_RSVD (0x1e6ull | PTE_RSVD_HI | PTE_NX)

void emu_load_pdptes(struct emu_cpu *c, uint64_t cr3)
{
	uint64_t e[4];
	for (unsigned i = 0; i < 4; i++) {
		e[i] = emu_phys_read(c, (cr3 & 0xffffffe0ull) + 8 * i, 8);
		if ((e[i] & PTE_P) && (e[i] & PDPTE_RSVD))
			EMU_GP(c, 0);
	}
	memcpy(c->pdpte, e, sizeof(e));
}

/*
 * One paging-structure entry on a walk: its reserved bits r must be clear
 * (#PF with RSVD, or -1 when probing); it narrows U/S and R/W and widens NX.
 */
static int walk_entry(struct emu_cpu *c, uint64_t la, uint64_t pte, uint64_t r, uint32_t err, bool probe, bool nxe,
		      bool *us, bool *rw, bool *nx)
{
	if (pte & r) {
		if (probe)
			return -1;
		page_fault(c, la, err | PF_P | PF_RSVD);
	}
	*us = *us && (pte & PTE_US);
	*rw = *rw && (pte & PTE_RW);
	*nx = *nx || (nxe && (pte & PTE_NX));
	return 0;
}

/*
 * The access check on a leaf, with U/S, R/W and NX accumulated over the walk,
 * then its accessed (and, for a write, dirty) bit: -1 when denied and
 * probing, #PF when denied otherwise.
 */
static int leaf_access(struct emu_cpu *c, uint64_t la, int acc, bool user, bool us, bool rw, bool nx, uint32_t err,
		       bool probe, uint64_t pte, uint64_t pte_addr, unsigned esz)
{
	bool bad = (user && !us) || (acc == ACC_W && !rw && (user || (c->s.cr0 & CR0_WP))) || (acc == ACC_X && nx);
	if (bad) {
		if (probe)
			return -1;
		page_fault(c, la, err | PF_P);
	}
	uint64_t want = PTE_A | (acc == ACC_W ? PTE_D : 0);
	if ((pte & want) != want && !probe)
		emu_phys_write(c, pte_addr, esz, pte | want);
	return 0;
}

/*
 * Legacy (EFER.LMA=0) page walk: 2-level with 4-byte entries, or PAE with
 * the PDPTE registers. Returns the 4K-aligned guest-physical page, or -1
 * (probe only).
 */
static int64_t walk_legacy(struct emu_cpu *c, uint64_t la, int acc, bool user, bool probe)
{
	bool pae = c->s.cr4 & CR4_PAE;
	bool nxe = pae && (c->s.efer & EFER_NXE);
	uint32_t err = (acc == ACC_W ? PF_W : 0) | (user ? PF_U : 0) | (acc == ACC_X && nxe ? PF_ID : 0);
	uint64_t rsvd = pae ? PTE_RSVD_HI | (nxe ? 0 : PTE_NX) : 0;
	unsigned esz = pae ? 8 : 4;
	uint64_t table;
	la &= 0xffffffffull;
	if (pae) {
		uint64_t pdpte = c->pdpte[(la >> 30) & 3];
		if (!(pdpte & PTE_P)) {
			if (probe)
				return -1;
			page_fault(c, la, err);
		}
		table = pdpte & PTE_ADDR;
	} else {
		table = c->s.cr3 & 0xfffff000ull;
	}
	bool us = true, rw = true, nx = false, big = false;
	uint64_t pte = 0, pte_addr = 0;
	for (int level = 2; level >= 1; level--) {
		unsigned idx = pae ? (la >> (3 + 9 * level)) & 511 : (la >> (2 + 10 * level)) & 1023;
		pte_addr = table + idx * esz;
		pte = emu_phys_read(c, pte_addr, esz);
		if (!(pte & PTE_P)) {
			if (probe)
				return -1;
			page_fault(c, la, err);
		}
		uint64_t r = rsvd;
		if (level == 2 && (pte & PTE_PS) && (pae || (c->s.cr4 & CR4_PSE))) {
			big = true;
			/* 2M: frame bits 20:13 must be zero; 4M (PSE-36): bit 21 is reserved */
			r |= pae ? ((1ull << 21) - 1) & ~0x1fffull : 1ull << 21;
		}
		if (walk_entry(c, la, pte, r, err, probe, nxe, &us, &rw, &nx) < 0)
			return -1;
		if (big)
			break;
		if (level == 2) {
			if (!(pte & PTE_A) && !probe)
				emu_phys_write(c, pte_addr, esz, pte | PTE_A);
			table = pae ? pte & PTE_ADDR : pte & 0xfffff000ull;
		}
	}
	if (leaf_access(c, la, acc, user, us, rw, nx, err, probe, pte, pte_addr, esz) < 0)
		return -1;
	if (!big)
		return (int64_t)(pae ? pte & PTE_ADDR : pte & 0xfffff000ull);
	if (pae)
		return (int64_t)(((pte & PTE_ADDR & ~((1ull << 21) - 1)) | (la & ((1ull << 21) - 1))) &
				 ~GUEST_PAGE_OFFSET);
	uint64_t frame = (pte & 0xffc00000ull) | (((pte >> 13) & 0xff) << 32);
	return (int64_t)((frame | (la & 0x3fffff)) & ~GUEST_PAGE_OFFSET);
}

int emu_translate(struct emu_cpu *c, uint64_t la, int acc, bool user, bool probe, uint64_t *gpa)
{
	uint64_t gpa_page;
	if (!(c->s.cr0 & CR0_PG)) {
		gpa_page = la & ~GUEST_PAGE_OFFSET;
	} else if (!(c->s.efer & EFER_LMA)) {
		int64_t pg = walk_legacy(c, la, acc, user, probe);
		if (pg < 0)
			return -1;
		gpa_page = (uint64_t)pg;
	} else {
		bool nxe = c->s.efer & EFER_NXE;
		uint64_t rsvd = PTE_RSVD_HI | (nxe ? 0 : PTE_NX);
		uint64_t table = c->s.cr3 & PTE_ADDR;
		bool us = true, rw = true, nx = false;
		uint32_t err = (acc == ACC_W ? PF_W : 0) | (user ? PF_U : 0) | (acc == ACC_X && nxe ? PF_ID : 0);
		uint64_t pte = 0, pte_addr = 0, page_mask = GUEST_PAGE_OFFSET;
		for (int level = 4; level >= 1; level--) {
			pte_addr = table + ((la >> (3 + 9 * level)) & 511) * 8;
			pte = emu_phys_read(c, pte_addr, 8);
			if (!(pte & PTE_P)) {
				if (probe)
					return -1;
				page_fault(c, la, err);
			}
			uint64_t r = rsvd;
			bool leaf = level == 1;
			if (level == 4)
				r |= PTE_PS;
			else if ((level == 3 || level == 2) && (pte & PTE_PS)) {
				leaf = true;
				/* large-page frame bits below the page size must be zero (bit 12 is PAT) */
				r |= (level == 3 ? (1ull << 30) - 1 : (1ull << 21) - 1) & ~0x1fffull;
			}
			if (walk_entry(c, la, pte, r, err, probe, nxe, &us, &rw, &nx) < 0)
				return -1;
			if (leaf) {
				page_mask = level == 3 ? (1ull << 30) - 1
					: level == 2   ? (1ull << 21) - 1
						       : GUEST_PAGE_OFFSET;
				break;
			}
			if (!(pte & PTE_A) && !probe)
				emu_phys_write(c, pte_addr, 8, pte | PTE_A);
			table = pte & PTE_ADDR;
		}
		if (leaf_access(c, la, acc, user, us, rw, nx, err, probe, pte, pte_addr, 8) < 0)
			return -1;
		gpa_page = ((pte & PTE_ADDR & ~page_mask) | (la & page_mask)) & ~GUEST_PAGE_OFFSET;
	}
	if (!probe) {
		unsigned idx = (unsigned)(la >> GUEST_PAGE_SHIFT) & (EMU_TLB_SIZE - 1);
		struct emu_tlb_entry *e = &c->tlb[acc][idx];
		if (acc == ACC_X && e->tag)
			c->chain_gen++; /* links may have been checked against the entry replaced */
		if (!e->tag)
			c->tlb_filled[c->ntlb_filled++] = (uint16_t)(acc * EMU_TLB_SIZE + idx);
		e->tag = (la & ~GUEST_PAGE_OFFSET) | ((uint64_t)user << 1) | 1;
		e->gpa = gpa_page;
		uint8_t *host = (gpa_page < c->ram_size && c->ram_size - gpa_page >= GUEST_PAGE_SIZE)
			? c->ram + gpa_page
			: NULL;
		if (acc == ACC_W && emu_is_code_page(c, gpa_page >> GUEST_PAGE_SHIFT))
			host = NULL; /* see emu_mark_code_page() */
		if (gpa_page == c->apic_page)
			host = NULL; /* the local APIC's page, even over RAM */
		if (__builtin_expect(c->dbg.active & EMU_DBG_DATA, 0) && acc != ACC_X && emu_dbg_page_watched(c, la))
			host = NULL; /* a watched page: every access takes the slow path, which checks */
		if (__builtin_expect(c->cow_bits != NULL, 0) && acc == ACC_W && host &&
		    (c->cow_bits[gpa_page >> (GUEST_PAGE_SHIFT + 6)] >> ((gpa_page >> GUEST_PAGE_SHIFT) & 63) & 1))
			host = NULL; /* not saved since the snapshot yet (history.c) */
		emu_tlb_set_host(e, host);
	}
	*gpa = gpa_page | (la & GUEST_PAGE_OFFSET);
	return 0;
}

/*
 * The linear address of the byte after a page, for an access that crosses
 * from la's page into the next one. Outside IA-32e mode every linear address
 * is 32 bits, so past 0xFFFFFFFF it is 0. In compatibility mode the data
 * accesses (32-bit offsets plus 32-bit bases, emu_linear_leg) wrap the same
 * way. Not modelled: the system structures of IA-32e mode (GDT, IDT, TSS,
 * the 64-bit stack of an event) have 64-bit addresses even when reached from
 * compatibility mode, so one that straddles 4 GiB (a contrived layout) would
 * not wrap on the CPU but wraps here. In 64-bit mode the next byte must be
 * canonical, #GP(0) otherwise (checked before either half is translated).
 */
static uint64_t linear_next(struct emu_cpu *c, uint64_t la, unsigned n1)
{
	uint64_t la2 = la + n1;
	if (la2 == 1ull << 32 && (!(c->s.efer & EFER_LMA) || c->dmode != EMU_MODE_64))
		return 0;
	if (!emu_canonical(la2))
		EMU_GP(c, 0);
	return la2;
}

/* Linear addresses outside IA-32e mode are 32 bits (a base plus an offset past
 * 4 GiB, or the second half of an access split by its caller, wraps). */
static inline uint64_t linear_in(const struct emu_cpu *c, uint64_t la)
{
	return (c->s.efer & EFER_LMA) ? la : la & 0xffffffffull;
}

/* Translate via the TLB when possible (the caller already missed the fast path). */
static uint64_t xlate(struct emu_cpu *c, uint64_t la, int acc, bool user)
{
	const struct emu_tlb_entry *e = &c->tlb[acc][(la >> GUEST_PAGE_SHIFT) & (EMU_TLB_SIZE - 1)];
	uint64_t tag = (la & ~GUEST_PAGE_OFFSET) | ((uint64_t)user << 1) | 1;
	if (e->tag == tag)
		return e->gpa | (la & GUEST_PAGE_OFFSET);
	uint64_t gpa;
	emu_translate(c, la, acc, user, false, &gpa);
	return gpa;
}

/* Data breakpoints and watchpoints (debug.c) on an access that is made. */
static inline void watch(struct emu_cpu *c, uint64_t la, unsigned size, bool write)
{
	if (__builtin_expect(c->dbg.active & EMU_DBG_DATA, 0))
		emu_dbg_data(c, la, size, write);
}

uint64_t emu_mem_read_slow(struct emu_cpu *c, uint64_t la, unsigned size, int acc, bool user)
{
	la = linear_in(c, la);
	unsigned off = la & GUEST_PAGE_OFFSET;
	if (off + size <= GUEST_PAGE_SIZE) {
		uint64_t gpa = xlate(c, la, acc, user);
		if (acc != ACC_X)
			watch(c, la, size, false);
		return emu_phys_read(c, gpa, size);
	}
	/* crosses a page: translate both halves before reading anything */
	unsigned n1 = GUEST_PAGE_SIZE - off;
	uint64_t la2 = linear_next(c, la, n1);
	uint64_t g1 = xlate(c, la, acc, user), g2 = xlate(c, la2, acc, user);
	if (acc != ACC_X) {
		watch(c, la, n1, false);
		watch(c, la2, size - n1, false);
	}
	uint64_t v1 = emu_phys_read(c, g1, n1), v2 = emu_phys_read(c, g2, size - n1);
	return v1 | (v2 << (8 * n1));
}

/* emu_phys_write for a store to linear address la (the write log keeps it). */
static void write_at(struct emu_cpu *c, uint64_t la, uint64_t gpa, unsigned size, uint64_t v)
{
	unsigned n = c->nwlog;
	emu_phys_write(c, gpa, size, v);
	if (c->wlog && c->nwlog > n)
		c->wlog[n].la = la;
}

void emu_mem_write_slow(struct emu_cpu *c, uint64_t la, unsigned size, uint64_t v, bool user)
{
	la = linear_in(c, la);
	unsigned off = la & GUEST_PAGE_OFFSET;
	if (off + size <= GUEST_PAGE_SIZE) {
		write_at(c, la, xlate(c, la, ACC_W, user), size, v);
		watch(c, la, size, true);
		return;
	}
	unsigned n1 = GUEST_PAGE_SIZE - off;
	uint64_t la2 = linear_next(c, la, n1);
	uint64_t g1 = xlate(c, la, ACC_W, user), g2 = xlate(c, la2, ACC_W, user);
	watch(c, la, n1, true);
	watch(c, la2, size - n1, true);
	write_at(c, la, g1, n1, v);
	write_at(c, la2, g2, size - n1, v >> (8 * n1));
}

void emu_read_block(struct emu_cpu *c, uint64_t la, void *buf, unsigned len, bool user)
{
	uint8_t *b = buf;
	la = linear_in(c, la);
	unsigned n1 = GUEST_PAGE_SIZE - (la & GUEST_PAGE_OFFSET);
	if (n1 > len)
		n1 = len;
	if (!emu_canonical(la))
		EMU_GP(c, 0);
	uint64_t la2 = n1 < len ? linear_next(c, la, n1) : 0; /* (checked before translating anything) */
	uint64_t g1 = xlate(c, la, ACC_R, user);
	uint64_t g2 = n1 < len ? xlate(c, la2, ACC_R, user) : 0;
	watch(c, la, n1, false);
	if (n1 < len)
		watch(c, la2, len - n1, false);
	for (unsigned i = 0; i < len; i++)
		b[i] = (uint8_t)emu_phys_read(c, i < n1 ? g1 + i : g2 + (i - n1), 1);
}

void emu_write_block(struct emu_cpu *c, uint64_t la, const void *buf, unsigned len, bool user)
{
	const uint8_t *b = buf;
	la = linear_in(c, la);
	unsigned n1 = GUEST_PAGE_SIZE - (la & GUEST_PAGE_OFFSET);
	if (n1 > len)
		n1 = len;
	if (!emu_canonical(la))
		EMU_GP(c, 0);
	uint64_t la2 = n1 < len ? linear_next(c, la, n1) : 0; /* (checked before translating anything) */
	uint64_t g1 = xlate(c, la, ACC_W, user);
	uint64_t g2 = n1 < len ? xlate(c, la2, ACC_W, user) : 0;
	watch(c, la, n1, true);
	if (n1 < len)
		watch(c, la2, len - n1, true);
	for (unsigned i = 0; i < len; i++)
		write_at(c, i < n1 ? la + i : la2 + (i - n1), i < n1 ? g1 + i : g2 + (i - n1), 1, b[i]);
}

uint64_t emu_access_check(struct emu_cpu *c, unsigned seg, uint64_t off, unsigned n, int acc)
{
	uint64_t la = emu_linear_acc(c, seg, off, n, acc), gpa;
	emu_translate(c, la, acc, c->cpl == 3, false, &gpa);
	if ((la & GUEST_PAGE_OFFSET) > GUEST_PAGE_SIZE - n)
		emu_translate(c, (la | GUEST_PAGE_OFFSET) + 1, acc, c->cpl == 3, false, &gpa);
	return la;
}

uint8_t *emu_host_page(struct emu_cpu *c, uint64_t la, int acc)
{
	bool user = c->cpl == 3;
	uint64_t gpa = xlate(c, linear_in(c, la), acc, user);
	if (gpa >= c->ram_size || (gpa & ~GUEST_PAGE_OFFSET) == c->apic_page)
		return NULL;
	if (__builtin_expect(c->dbg.active & EMU_DBG_DATA, 0) && emu_dbg_page_watched(c, la))
		return NULL; /* watched: the caller goes element by element through the checks */
	if (acc == ACC_W)
		emu_note_write(c, gpa);
	return c->ram + gpa;
}
