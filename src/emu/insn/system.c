/*
 * system.c - system and miscellaneous instructions: IN/OUT, flag control,
 * NOP forms, CPUID, RDTSC, fences, CLFLUSH, UD0/1/2, HLT, MOV CRn/DRn,
 * descriptor-table registers, LTR/LLDT/STR/SLDT, SMSW/LMSW, RDMSR/WRMSR,
 * SWAPGS, SYSCALL/SYSRET, INVLPG, caches, CLTS, and the "not emulated yet"
 * handler for rows flagged UNIMPL.
 *
 * Privileged instructions raise #GP(0) at CPL > 0. MOV CR0/CR4 and WRMSR
 * EFER implement the long-mode transitions: PG on with EFER.LME (and PAE)
 * activates IA-32e mode (EFER.LMA), PG off (only from compatibility mode)
 * leaves it; legacy PAE paging loads the PDPTEs at MOV CR3/CR0/CR4. Not modelled: the TSS
 * I/O-permission bitmap (CPL > IOPL port access always faults), performance
 * counters (RDPMC #GP). DR0-DR7 drive the breakpoints of debug.c.
 */
#include "emu/insn/handlers.h"
#include "emu/insn/x87.h"
#include "emu/legacy.h"

#include <stdio.h>

#include "backend.h"
#include "cpuid_model.h"
#include "vm.h"

/* ---- port I/O ---- */
static void io_check(struct emu_cpu *c)
{
	if (c->cpl > ((emu_get_flags(c) >> 12) & 3))
		EMU_GP(c, 0);
}

void emu_pio_check_stop(struct emu_cpu *c)
{
	if (c->vm && c->vm->stop)
		c->exit_req = RAX_EXIT_STOP;
	emu_recheck_events(c); /* the device may have raised or unmasked an interrupt */
}

static void do_in(struct emu_cpu *c, const struct emu_insn *in, uint16_t port, unsigned size)
{
	io_check(c);
	uint64_t v = c->vm ? vm_pio_in(c->vm, port, size) : emu_mask(size);
	emu_reg_set(c, in, 0, size, v);
	if (__builtin_expect(c->dbg.active & EMU_DBG_IO, 0))
		emu_dbg_io(c, port, size);
	emu_pio_check_stop(c);
}
static void do_out(struct emu_cpu *c, uint16_t port, unsigned size)
{
	io_check(c);
	if (c->vm)
		vm_pio_out(c->vm, port, size, c->gpr[0] & emu_mask(size));
	if (__builtin_expect(c->dbg.active & EMU_DBG_IO, 0))
		emu_dbg_io(c, port, size);
	emu_pio_check_stop(c);
}
static unsigned io_size(const struct emu_insn *in) { return in->osz == 1 ? 1 : in->osz == 2 ? 2 : 4; }
EMU_HANDLER(in_ALIb) { do_in(c, in, (uint16_t)(in->imm & 0xff), 1); }
EMU_HANDLER(in_eAXIb) { do_in(c, in, (uint16_t)(in->imm & 0xff), io_size(in)); }
EMU_HANDLER(in_ALDX) { do_in(c, in, (uint16_t)c->gpr[2], 1); }
EMU_HANDLER(in_eAXDX) { do_in(c, in, (uint16_t)c->gpr[2], io_size(in)); }
EMU_HANDLER(out_IbAL) { do_out(c, (uint16_t)(in->imm & 0xff), 1); }
EMU_HANDLER(out_IbeAX) { do_out(c, (uint16_t)(in->imm & 0xff), io_size(in)); }
EMU_HANDLER(out_DXAL) { do_out(c, (uint16_t)c->gpr[2], 1); }
EMU_HANDLER(out_DXeAX) { do_out(c, (uint16_t)c->gpr[2], io_size(in)); }

/* ---- flags ---- */
EMU_HANDLER(clc) { emu_set_status(c, RFLAGS_CF, 0); }
EMU_HANDLER(stc) { emu_set_status(c, RFLAGS_CF, RFLAGS_CF); }
EMU_HANDLER(cmc) { emu_set_status(c, RFLAGS_CF, emu_get_flags(c) ^ RFLAGS_CF); }
EMU_HANDLER(cld) { c->rflags &= ~(uint64_t)RFLAGS_DF; }
EMU_HANDLER(std) { c->rflags |= RFLAGS_DF; }
EMU_HANDLER(cli)
{
	io_check(c);
	c->rflags &= ~(uint64_t)RFLAGS_IF;
}
EMU_HANDLER(sti)
{
	io_check(c);
	if (!(c->rflags & RFLAGS_IF))
		emu_block_interrupts_one(c); /* the STI shadow */
	c->rflags |= RFLAGS_IF;
	emu_recheck_events(c);
}

/* ---- no-ops, invalid, not emulated ---- */
EMU_HANDLER(nop_Ev)
{
	(void)c;
	(void)in;
}
EMU_HANDLER(ud) { EMU_UD(c); }
EMU_HANDLER(fwait)
{
	if ((c->s.cr0 & (CR0_TS | CR0_MP)) == (CR0_TS | CR0_MP))
		emu_raise(c, EXC_NM, 0, 0);
	x87_wait_check(c); /* a pending unmasked x87 exception: #MF */
}

EMU_HANDLER(unimpl)
{
	uint8_t b[15];
	char hex[64];
	unsigned n = emu_peek_code(c, c->rip, b, in->len), pos = 0;
	for (unsigned i = 0; i < n && pos + 4 < sizeof(hex); i++)
		pos += (unsigned)snprintf(hex + pos, sizeof(hex) - pos, "%s%02x", i ? " " : "", b[i]);
	hex[pos] = 0;
	emu_internal(c, "unimplemented instruction '%s' (bytes %s) at rip 0x%llx", emu_oprows[in->row].mnem, hex,
		     (unsigned long long)c->rip);
}

EMU_HANDLER(grp15_fence)
{
	if (in->mod != 3)
		EMU_UD(c); /* XRSTOR/XSAVEOPT below level v2, or with a 66/F2/F3 prefix */
}

EMU_HANDLER(grp15_7)
{
	if (in->mod == 3)
		return; /* SFENCE */
	/* CLFLUSH: faults like a byte read, no data access */
	uint64_t la = emu_linear(c, in->seg, emu_ea(c, in)), gpa;
	emu_translate(c, la, ACC_R, c->cpl == 3, false, &gpa);
}

/* ---- identification and time ---- */
uint64_t emu_tsc(struct emu_cpu *c) { return emu_now_ns(c) + c->tsc_offset; }

EMU_HANDLER(cpuid)
{
	uint32_t r[4];
	if (c->cpuid_override) {
		memcpy(r, c->cpuid_value, sizeof(r));
		c->cpuid_override = false;
	} else {
		cpuid_model_query_cpu(c->level, c->cpu_index, c->vm ? rax_ncpus(&c->vm->cfg) : 1, (uint32_t)c->gpr[0],
				      (uint32_t)c->gpr[1], r);
		if ((uint32_t)c->gpr[0] == 1 && emu_apic_hw_disabled(c))
			r[3] &= ~CPUID_1_EDX_APIC; /* the flag follows IA32_APIC_BASE.EN */
		if ((uint32_t)c->gpr[0] == 1 && (c->s.cr4 & CR4_OSXSAVE))
			r[2] |= CPUID_1_ECX_OSXSAVE; /* the flag follows CR4.OSXSAVE */
		if ((uint32_t)c->gpr[0] == 0xd && (uint32_t)c->gpr[1] <= 1 && r[1])
			r[1] = cpuid_model_xsave_size(c->s.xcr0); /* the area XCR0 enables */
	}
	c->gpr[0] = r[0];
	c->gpr[3] = r[1];
	c->gpr[1] = r[2];
	c->gpr[2] = r[3];
}

/* RDTSC and RDTSCP: EDX:EAX = the TSC (#GP(0) outside CPL0 with CR4.TSD). */
static void tsc_to_edx_eax(struct emu_cpu *c)
{
	if ((c->s.cr4 & CR4_TSD) && c->cpl)
		EMU_GP(c, 0);
	uint64_t t = emu_tsc(c);
	if (c->rdtsc_override) {
		t = c->rdtsc_value;
		c->rdtsc_override = false;
	}
	c->gpr[0] = t & 0xffffffff;
	c->gpr[2] = t >> 32;
}

EMU_HANDLER(rdtsc) { tsc_to_edx_eax(c); }

/* IA32_TSC_AUX as RDTSCP and RDPID read it (its low 32 bits: the upper
 * half is reserved) */
static uint32_t tsc_aux(struct emu_cpu *c)
{
	if (c->aux_override) {
		c->aux_override = false;
		return c->aux_value;
	}
	return (uint32_t)c->s.tsc_aux;
}

/* F3 0F C7 /7 (register): RDPID, the register = TSC_AUX (64 bits in 64-bit
 * mode, else 32; operand-size prefixes do not apply). Any CPL, CR4.TSD
 * does not apply. */
EMU_HANDLER(rdpid_Rq) { emu_reg_set(c, in, in->rm, emu_leg(in) ? 4 : 8, tsc_aux(c)); }

/*
 * 0F C7 /6 and /7 (register): RDRAND and RDSEED, 16/32/64-bit. The value
 * comes from a generator seeded at power-up (splitmix64), so a run draws
 * the same values each time; rax-diff injects the oracle's value and CF.
 * CF=1: a value was returned (CF=0 and 0 when the oracle's CPU had none);
 * OF SF ZF AF PF are cleared.
 */
static void rand_to_reg(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	uint64_t v = z ^ (z >> 31);
	bool ok = true;
	if (c->rand_override) {
		c->rand_override = false;
		v = c->rand_value;
		ok = c->rand_ok;
	}
	emu_reg_set(c, in, in->rm, in->osz, ok ? v : 0);
	emu_set_status(c, RFLAGS_STATUS, ok ? RFLAGS_CF : 0);
}

EMU_HANDLER(rdrand_Rv) { rand_to_reg(c, in); }
EMU_HANDLER(rdseed_Rv) { rand_to_reg(c, in); }

EMU_HANDLER(rdpmc) { EMU_GP(c, 0); }

/* ---- halting and caches ---- */
EMU_HANDLER(hlt)
{
	emu_need_cpl0(c);
	c->exit_req = RAX_EXIT_HLT; /* the run loop decides: exit (IF=0) or idle */
}
EMU_HANDLER(invd) { emu_need_cpl0(c); }
EMU_HANDLER(wbinvd) { emu_need_cpl0(c); }
EMU_HANDLER(clts)
{
	emu_need_cpl0(c);
	c->s.cr0 &= ~CR0_TS;
}

/* ---- control and debug registers ---- */
#define CR0_WRITABLE (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)
#define CR4_WRITABLE                                                                                           \
	(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR | \
	 CR4_OSXMMEXCPT)

EMU_HANDLER(mov_RdCd)
{
	emu_need_cpl0(c);
	uint64_t v;
	switch (in->reg) {
	case 0: v = c->s.cr0; break;
	case 2: v = c->s.cr2; break;
	case 3: v = c->s.cr3; break;
	case 4: v = c->s.cr4; break;
	case 8: v = emu_cr8(c); break; /* TPR[7:4] */
	default: EMU_UD(c);
	}
	c->gpr[in->rm] = emu_leg(in) ? v & 0xffffffff : v; /* 32-bit operands outside 64-bit mode */
}

/* Legacy PAE paging (PG, PAE, not IA-32e): the PDPTE registers are in use. */
static bool pae_legacy(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

EMU_HANDLER(mov_CdRd)
{
	emu_need_cpl0(c);
	uint64_t v = c->gpr[in->rm];
	if (emu_leg(in))
		v &= 0xffffffff;
	switch (in->reg) {
	case 0: {
		if ((v >> 32) || (v & ~(uint64_t)(CR0_WRITABLE | CR0_ET)))
			EMU_GP(c, 0);
		if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
			EMU_GP(c, 0);
		uint64_t old = c->s.cr0, efer = c->s.efer;
		if ((efer & EFER_LMA) && !(v & CR0_PG) && !emu_leg(in))
			EMU_GP(c, 0); /* paging is turned off only from compatibility mode */
		if (!(old & CR0_PG) && (v & CR0_PG) && (efer & EFER_LME)) {
			/* activating IA-32e mode: needs PAE, and CS.L=0 */
			if (!(c->s.cr4 & CR4_PAE) || c->s.seg[RAX_SEG_CS].l)
				EMU_GP(c, 0);
			efer |= EFER_LMA;
		} else if ((old & CR0_PG) && !(v & CR0_PG)) {
			efer &= ~(uint64_t)EFER_LMA;
		}
		if (pae_legacy(v, c->s.cr4, efer) && !pae_legacy(old, c->s.cr4, c->s.efer))
			emu_load_pdptes(c, c->s.cr3); /* may #GP: before anything changes */
		c->s.cr0 = v | CR0_ET;
		c->s.efer = efer;
		if ((old ^ v) & (CR0_PG | CR0_WP | CR0_PE))
			emu_tlb_flush(c);
		emu_update_mode(c);
		break;
	}
	case 2: c->s.cr2 = v; break;
	case 3:
		if (v >> 52)
			EMU_GP(c, 0);
		if (pae_legacy(c->s.cr0, c->s.cr4, c->s.efer))
			emu_load_pdptes(c, v);
		c->s.cr3 = v;
		emu_tlb_flush(c); /* no global pages: everything goes */
		break;
	case 4:
		/* OSXSAVE only where CPUID advertises XSAVE (level v2 and up) */
		if (v & ~(uint64_t)(CR4_WRITABLE | (c->level >= RAX_CPU_V2 ? CR4_OSXSAVE : 0)))
			EMU_GP(c, 0);
		if ((c->s.efer & EFER_LMA) && !(v & CR4_PAE))
			EMU_GP(c, 0);
		if (pae_legacy(c->s.cr0, v, c->s.efer) && ((c->s.cr4 ^ v) & (CR4_PAE | CR4_PGE | CR4_PSE)))
			emu_load_pdptes(c, c->s.cr3);
		if ((c->s.cr4 ^ v) & (CR4_PAE | CR4_PGE | CR4_PSE))
			emu_tlb_flush(c);
		c->s.cr4 = v;
		emu_dbg_update(c); /* CR4.DE: I/O breakpoints */
		break;
	case 8:
		if (v & ~15ull)
			EMU_GP(c, 0);
		emu_set_cr8(c, (unsigned)v);
		break;
	default: EMU_UD(c);
	}
}

/*
 * MOV from/to DRn, in the order of the checks (SDM vol. 2 "MOV--Move
 * to/from Debug Registers"): DR8-DR15 #UD; DR4/DR5 #UD with CR4.DE=1, else
 * they are DR6/DR7; CPL > 0 #GP(0); DR7.GD=1 a #DB fault before the
 * instruction with DR6.BD set (general detect, SDM 17.2.4; the #DB clears
 * GD as it enters the handler).
 */
static unsigned dr_index(struct emu_cpu *c, unsigned r)
{
	if (r > 7)
		EMU_UD(c);
	if (r == 4 || r == 5) {
		if (c->s.cr4 & CR4_DE)
			EMU_UD(c);
		r += 2;
	}
	emu_need_cpl0(c);
	if (c->s.dr7 & DR7_GD) {
		c->s.dr6 = (c->s.dr6 & ~0xfull) | DR6_BD;
		emu_raise(c, EXC_DB, 0, 0);
	}
	return r;
}

EMU_HANDLER(mov_RdDd)
{
	unsigned r = dr_index(c, in->reg);
	uint64_t v = r < 4 ? c->s.dr[r] : r == 6 ? c->s.dr6 : c->s.dr7;
	c->gpr[in->rm] = emu_leg(in) ? v & 0xffffffff : v;
}

EMU_HANDLER(mov_DdRd)
{
	unsigned r = dr_index(c, in->reg);
	uint64_t v = c->gpr[in->rm];
	if (emu_leg(in))
		v &= 0xffffffff;
	if (r < 4) {
		c->s.dr[r] = v;
	} else {
		/* DR6/DR7: bits 63:32 must be 0 (#GP(0)); the low half's reserved
		 * bits keep their fixed values (AMD: no RTM bits) */
		if (v >> 32)
			EMU_GP(c, 0);
		if (r == 6)
			c->s.dr6 = (v & DR6_WRITABLE) | DR6_FIXED1;
		else
			c->s.dr7 = (v & DR7_WRITABLE) | DR7_FIXED1;
	}
	emu_dbg_update(c);
}

/* ---- descriptor tables ---- */
/* The address of ea + k in in's address size. */
static uint64_t ea_plus(const struct emu_insn *in, uint64_t ea, unsigned k) { return (ea + k) & emu_mask(in->asz); }

/* SGDT/SIDT outside 64-bit mode store a 4-byte base (AMD: also with 16-bit operands). */
static void store_dt(struct emu_cpu *c, const struct emu_insn *in, const struct rax_dtable *t)
{
	emu_need_mem(c, in);
	uint64_t ea = emu_ea(c, in);
	unsigned bsz = emu_leg(in) ? 4 : 8;
	emu_wr(c, in->seg, ea, 2, t->limit);
	emu_wr(c, in->seg, ea_plus(in, ea, 2), bsz, t->base);
}
EMU_HANDLER(sgdt_M) { store_dt(c, in, &c->s.gdt); }
EMU_HANDLER(sidt_M) { store_dt(c, in, &c->s.idt); }
static void load_dt(struct emu_cpu *c, const struct emu_insn *in, struct rax_dtable *t)
{
	emu_need_mem(c, in);
	emu_need_cpl0(c);
	uint64_t ea = emu_ea(c, in);
	uint16_t limit = (uint16_t)emu_rd(c, in->seg, ea, 2);
	uint64_t base;
	if (emu_leg(in)) { /* a 24-bit base with a 16-bit operand size */
		base = emu_rd(c, in->seg, ea_plus(in, ea, 2), 4);
		if (in->osz == 2)
			base &= 0xffffff;
	} else {
		base = emu_rd(c, in->seg, ea + 2, 8);
	}
	if (!emu_canonical(base))
		EMU_GP(c, 0);
	t->limit = limit;
	t->base = base;
}
EMU_HANDLER(lgdt_M) { load_dt(c, in, &c->s.gdt); }
EMU_HANDLER(lidt_M) { load_dt(c, in, &c->s.idt); }

static void store_sel(struct emu_cpu *c, const struct emu_insn *in, uint16_t sel)
{
	if (in->mod == 3)
		emu_reg_set(c, in, in->rm, in->osz, sel);
	else
		emu_wr(c, in->seg, emu_ea(c, in), 2, sel);
}
EMU_HANDLER(sldt_Ew) { store_sel(c, in, c->s.ldtr.selector); }
EMU_HANDLER(str_Ew) { store_sel(c, in, c->s.tr.selector); }
EMU_HANDLER(smsw_Ew)
{
	if (in->mod == 3)
		emu_reg_set(c, in, in->rm, in->osz, c->s.cr0);
	else
		emu_wr(c, in->seg, emu_ea(c, in), 2, c->s.cr0);
}
EMU_HANDLER(lmsw_Ew)
{
	emu_need_cpl0(c);
	uint64_t v = emu_rm_get(c, in, 2) & 0xf;
	/* LMSW can set PE but never clear it */
	c->s.cr0 = (c->s.cr0 & ~0xeull) | (v & 0xe) | (c->s.cr0 & CR0_PE) | (v & CR0_PE);
}

/* Read a 16-byte system descriptor from the GDT for LLDT/LTR. */
static void sys_desc(struct emu_cpu *c, uint16_t sel, unsigned want_type, struct rax_segment *s, uint64_t *addr,
		     uint64_t *lo)
{
	uint64_t hi;
	if (sel & 4)
		EMU_GP(c, sel & 0xfffc);
	if (emu_read_descriptor(c, sel, lo, &hi, addr) < 0)
		EMU_GP(c, sel & 0xfffc);
	emu_desc_to_seg(*lo, sel, s);
	if (s->s || s->type != want_type)
		EMU_GP(c, sel & 0xfffc);
	if (!s->present)
		emu_raise(c, EXC_NP, sel & 0xfffc, EV_ERR);
	if (!emu_canonical(s->base | (hi << 32)))
		EMU_GP(c, sel & 0xfffc);
	s->base |= hi << 32;
}

EMU_HANDLER(lldt_Ew)
{
	emu_need_cpl0(c);
	uint16_t sel = (uint16_t)emu_rm_get(c, in, 2);
	if ((sel & 0xfffc) == 0) {
		c->s.ldtr = (struct rax_segment){ .selector = sel, .unusable = 1 };
		return;
	}
	struct rax_segment s;
	uint64_t addr, lo;
	sys_desc(c, sel, 2, &s, &addr, &lo);
	c->s.ldtr = s;
}

EMU_HANDLER(ltr_Ew)
{
	emu_need_cpl0(c);
	uint16_t sel = (uint16_t)emu_rm_get(c, in, 2);
	if ((sel & 0xfffc) == 0)
		EMU_GP(c, 0);
	struct rax_segment s;
	uint64_t addr, lo;
	sys_desc(c, sel, 9, &s, &addr, &lo);
	uint8_t b5 = (uint8_t)(((lo >> 40) & 0xff) | 2); /* mark busy */
	emu_write_block(c, addr + 5, &b5, 1, false);
	s.type = 11;
	c->s.tr = s;
}

/* 0F 01 /7 (register): SWAPGS (F8), RDTSCP (F9, from CPU level v2). */
EMU_HANDLER(grp7_7)
{
	if ((in->modrm & 7) == 1) {
		if (c->level < RAX_CPU_V2)
			EMU_UD(c); /* not advertised below v2 (CPUID 0x80000001 EDX) */
		tsc_to_edx_eax(c);
		c->gpr[1] = tsc_aux(c); /* ECX, zero-extended */
		return;
	}
	if ((in->modrm & 7) != 0 || emu_leg(in))
		EMU_UD(c); /* SWAPGS exists in 64-bit mode only */
	emu_need_cpl0(c);
	uint64_t t = c->s.seg[RAX_SEG_GS].base;
	c->s.seg[RAX_SEG_GS].base = c->s.kernel_gs_base;
	c->s.kernel_gs_base = t;
}

/* 0F 01 /7 (memory): INVLPG */
EMU_HANDLER(invlpg_M)
{
	emu_need_cpl0(c);
	emu_tlb_flush(c); /* large pages make a precise single-page flush awkward */
}

/* ---- MSRs ---- */
static bool pat_ok(uint64_t v)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (v >> (i * 8)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

EMU_HANDLER(rdmsr)
{
	emu_need_cpl0(c);
	uint32_t msr = (uint32_t)c->gpr[1];
	uint64_t v;
	switch (msr) {
	case MSR_EFER: v = c->s.efer; break;
	case MSR_STAR: v = c->s.star; break;
	case MSR_LSTAR: v = c->s.lstar; break;
	case MSR_CSTAR: v = c->s.cstar; break;
	case MSR_SFMASK: v = c->s.sfmask; break;
	case MSR_FS_BASE: v = c->s.seg[RAX_SEG_FS].base; break;
	case MSR_GS_BASE: v = c->s.seg[RAX_SEG_GS].base; break;
	case MSR_KERNEL_GS_BASE: v = c->s.kernel_gs_base; break;
	case MSR_IA32_SYSENTER_CS: v = c->s.sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP: v = c->s.sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP: v = c->s.sysenter_eip; break;
	case MSR_IA32_PAT: v = c->s.pat; break;
	case MSR_IA32_APIC_BASE: v = emu_apic_base(c); break;
	case MSR_IA32_TSC:
		v = emu_tsc(c);
		if (c->rdtsc_override) {
			v = c->rdtsc_value;
			c->rdtsc_override = false;
		}
		break;
	case MSR_TSC_AUX: v = c->s.tsc_aux; break;
	case MSR_IA32_MISC_ENABLE: v = c->misc_enable; break;
	case MSR_K7_HWCR: v = HWCR_TSC_FREQ_SEL; break; /* with invariant TSC, Linux checks it (writes #GP) */
	default:
		if (!emu_apic_rdmsr(c, msr, &v)) /* x2APIC registers, TSC deadline */
			EMU_GP(c, 0);
		break;
	}
	c->gpr[0] = v & 0xffffffff;
	c->gpr[2] = v >> 32;
}

EMU_HANDLER(wrmsr)
{
	emu_need_cpl0(c);
	uint32_t msr = (uint32_t)c->gpr[1];
	uint64_t v = (c->gpr[2] << 32) | (c->gpr[0] & 0xffffffff);
	switch (msr) {
	case MSR_EFER: {
		if (v & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			EMU_GP(c, 0);
		if ((c->s.cr0 & CR0_PG) && ((v ^ c->s.efer) & EFER_LME))
			EMU_GP(c, 0);
		uint64_t nv = (v & ~(uint64_t)EFER_LMA) | (c->s.efer & EFER_LMA);
		if ((nv ^ c->s.efer) & EFER_NXE)
			emu_tlb_flush(c);
		c->s.efer = nv;
		break;
	}
	case MSR_STAR: c->s.star = v; break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!emu_canonical(v))
			EMU_GP(c, 0);
		switch (msr) {
		case MSR_LSTAR: c->s.lstar = v; break;
		case MSR_CSTAR: c->s.cstar = v; break;
		case MSR_FS_BASE: c->s.seg[RAX_SEG_FS].base = v; break;
		case MSR_GS_BASE: c->s.seg[RAX_SEG_GS].base = v; break;
		case MSR_KERNEL_GS_BASE: c->s.kernel_gs_base = v; break;
		case MSR_IA32_SYSENTER_ESP: c->s.sysenter_esp = v; break;
		default: c->s.sysenter_eip = v; break;
		}
		break;
	case MSR_SFMASK:
		if (v >> 32)
			EMU_GP(c, 0);
		c->s.sfmask = v;
		break;
	case MSR_IA32_SYSENTER_CS: c->s.sysenter_cs = v & 0xffff; break;
	case MSR_IA32_PAT:
		if (!pat_ok(v))
			EMU_GP(c, 0);
		c->s.pat = v;
		break;
	case MSR_IA32_APIC_BASE: emu_set_apic_base(c, v); break;
	case MSR_IA32_TSC:
		c->tsc_offset = v - emu_now_ns(c);
		emu_apic_sync(c); /* a TSC deadline moves with the TSC */
		break;
	case MSR_TSC_AUX:
		if (v >> 32)
			EMU_GP(c, 0);
		c->s.tsc_aux = v;
		break;
	case MSR_IA32_MISC_ENABLE: c->misc_enable = v; break;
	default:
		if (!emu_apic_wrmsr(c, msr, v))
			EMU_GP(c, 0);
		break;
	}
}

/* ---- fast system calls ---- */
static void flat_seg(struct rax_segment *s, uint16_t sel, bool code, unsigned dpl, bool l)
{
	*s = (struct rax_segment){ .selector = sel,
				   .limit = 0xffffffff,
				   .type = code ? 11 : 3,
				   .s = 1,
				   .dpl = (uint8_t)dpl,
				   .present = 1,
				   .g = 1,
				   .l = l,
				   .db = !l };
}

EMU_HANDLER(syscall)
{
	if (!(c->s.efer & EFER_SCE))
		EMU_UD(c);
	uint64_t fl = emu_get_flags(c);
	uint16_t sel = (uint16_t)(c->s.star >> 32);
	if (!(c->s.efer & EFER_LMA)) {
		/* legacy mode (AMD): flat 32-bit CS from STAR, EIP = STAR[31:0] */
		c->gpr[RAX_REG_RCX] = c->next_rip & 0xffffffff;
		flat_seg(&c->s.seg[RAX_SEG_CS], sel & 0xfffc, true, 0, false);
		flat_seg(&c->s.seg[RAX_SEG_SS], (uint16_t)((sel + 8) & 0xfffc), false, 0, false);
		emu_update_mode(c);
		emu_write_rflags(c, fl & ~(uint64_t)(RFLAGS_IF | RFLAGS_VM | RFLAGS_RF));
		c->next_rip = c->s.star & 0xffffffff;
		return;
	}
	c->gpr[RAX_REG_RCX] = c->next_rip;
	c->gpr[RAX_REG_R11] = fl & ~(uint64_t)RFLAGS_RF;
	flat_seg(&c->s.seg[RAX_SEG_CS], sel & 0xfffc, true, 0, true);
	flat_seg(&c->s.seg[RAX_SEG_SS], (uint16_t)((sel + 8) & 0xfffc), false, 0, false);
	emu_update_mode(c);
	emu_write_rflags(c, fl & ~c->s.sfmask & ~(uint64_t)RFLAGS_RF);
	/* the single-step trap follows SYSCALL only if TF survives SFMASK (a
	 * kernel that masks TF gets no #DB at its entry point) */
	c->tf_trap = c->rflags & RFLAGS_TF;
	c->next_rip = emu_leg(in) ? c->s.cstar : c->s.lstar; /* compatibility mode: CSTAR */
}

EMU_HANDLER(sysret)
{
	if (!(c->s.efer & EFER_SCE))
		EMU_UD(c);
	emu_need_cpl0(c);
	if (!(c->s.efer & EFER_LMA))
		emu_internal(c, "SYSRET outside long mode is not emulated");
	uint16_t sel = (uint16_t)(c->s.star >> 48);
	uint64_t rip;
	bool to64 = in->rex & 8;
	if (to64) {
		rip = c->gpr[RAX_REG_RCX];
		if (!emu_canonical(rip))
			EMU_GP(c, 0);
		flat_seg(&c->s.seg[RAX_SEG_CS], (uint16_t)((sel + 16) | 3), true, 3, true);
	} else {
		rip = c->gpr[RAX_REG_RCX] & 0xffffffff;
		flat_seg(&c->s.seg[RAX_SEG_CS], (uint16_t)(sel | 3), true, 3, false);
	}
	flat_seg(&c->s.seg[RAX_SEG_SS], (uint16_t)((sel + 8) | 3), false, 3, false);
	emu_update_mode(c);
	emu_write_rflags(c, c->gpr[RAX_REG_R11]);
	c->next_rip = rip;
}
