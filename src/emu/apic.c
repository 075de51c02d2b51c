/*
 * apic.c - the interpreter's side of the interrupt seam: its local APIC's
 * registers (the xAPIC page, the APIC MSRs, CR8) and taking interrupts.
 *
 * The local APIC model lives with the other interrupt controllers
 * (src/devices/lapic.c, reached through the router, src/devices/irq.h);
 * this file routes the CPU's own accesses to it: physical accesses to the
 * page IA32_APIC_BASE names (mmu.c asks emu_apic_page()), RDMSR/WRMSR of
 * IA32_APIC_BASE, 0x800-0x8FF and IA32_TSC_DEADLINE, and MOV CR8. A CPU
 * without devices (unit tests) has no local APIC: IA32_APIC_BASE is a plain
 * value, CR8 a plain register and the APIC MSRs raise #GP.
 */
#include "devices/irq.h"
#include "devices/lapic.h"
#include "emu/cpu.h"

void emu_apic_attach(struct emu_cpu *c, struct irq_router *irq, unsigned index)
{
	c->irq = irq;
	c->cpu_index = index;
	c->apic = irq ? irq_cpu_lapic(irq, index) : NULL;
	emu_apic_sync(c);
}

void emu_apic_sync(struct emu_cpu *c)
{
	uint64_t page = c->apic ? lapic_mmio_page(c->apic) : UINT64_MAX;
	if (page != c->apic_page) {
		c->apic_page = page;
		emu_tlb_flush(c); /* RAM under the page is no longer reached directly */
	}
	if (c->apic)
		lapic_set_tsc_offset(c->apic, c->tsc_offset, emu_now_ns(c));
}

uint64_t emu_apic_mmio_read(struct emu_cpu *c, uint64_t gpa, unsigned size)
{
	return lapic_mmio_read(c->apic, emu_now_ns(c), (unsigned)(gpa & GUEST_PAGE_OFFSET), size);
}

void emu_apic_mmio_write(struct emu_cpu *c, uint64_t gpa, unsigned size, uint64_t v)
{
	lapic_mmio_write(c->apic, emu_now_ns(c), (unsigned)(gpa & GUEST_PAGE_OFFSET), size, v);
	emu_recheck_events(c);
}

uint64_t emu_apic_base(struct emu_cpu *c) { return c->apic ? lapic_base(c->apic) : c->s.apic_base; }

void emu_set_apic_base(struct emu_cpu *c, uint64_t v)
{
	if (!c->apic) {
		c->s.apic_base = v;
		return;
	}
	if (lapic_set_base(c->apic, v, emu_now_ns(c)) < 0)
		EMU_GP(c, 0);
	c->s.apic_base = v;
	emu_apic_sync(c);
	emu_recheck_events(c);
}

int emu_apic_rdmsr(struct emu_cpu *c, uint32_t msr, uint64_t *v)
{
	if (!c->apic || !lapic_owns_msr(msr))
		return 0;
	if (lapic_msr_read(c->apic, emu_now_ns(c), msr, v) < 0)
		EMU_GP(c, 0);
	return 1;
}

int emu_apic_wrmsr(struct emu_cpu *c, uint32_t msr, uint64_t v)
{
	if (!c->apic || !lapic_owns_msr(msr))
		return 0;
	if (lapic_msr_write(c->apic, emu_now_ns(c), msr, v) < 0)
		EMU_GP(c, 0);
	emu_recheck_events(c);
	return 1;
}

unsigned emu_cr8(struct emu_cpu *c) { return c->apic ? lapic_cr8(c->apic) : (unsigned)(c->s.cr8 & 15); }

void emu_set_cr8(struct emu_cpu *c, unsigned v)
{
	c->s.cr8 = v & 15;
	if (c->apic) {
		lapic_set_cr8(c->apic, v);
		emu_recheck_events(c); /* a lower TPR may let an interrupt through */
	}
}

bool emu_apic_hw_disabled(struct emu_cpu *c) { return c->apic && !lapic_hw_enabled(c->apic); }

bool emu_take_interrupt(struct emu_cpu *c, uint64_t *next)
{
	if (!c->irq)
		return false;
	unsigned ev = irq_cpu_events(c->irq, c->cpu_index);
	if (!ev)
		return false;
	if ((ev & (IRQ_EV_INIT | IRQ_EV_SIPI)) && emu_smp_init_sipi(c, ev))
		return true; /* reset to wait-for-SIPI: the slice ends */
	bool shadow = c->icount < c->shadow_until;
	if (shadow && (ev & (IRQ_EV_NMI | IRQ_EV_INTR))) {
		*next = c->icount + 1; /* the shadow ends after the next instruction */
		return false;
	}
	if ((ev & IRQ_EV_NMI) && !c->nmi_blocked) {
		irq_cpu_clear(c->irq, c->cpu_index, IRQ_EV_NMI);
		c->nmi_blocked = true; /* until the next IRET */
		c->nintr++;            /* an asynchronous event too (emu_interrupt_count) */
		emu_deliver(c, EXC_NMI, 0, 0, c->rip);
		*next = c->icount + 1;
		return true;
	}
	if ((ev & IRQ_EV_INTR) && (c->rflags & RFLAGS_IF)) {
		int vec = irq_cpu_ack(c->irq, c->cpu_index);
		if (vec < 0)
			return false;
		c->nintr++;
		emu_deliver(c, vec, 0, 0, c->rip);
		*next = c->icount + 1; /* another may be waiting behind this one */
		return true;
	}
	return false; /* IF clear: STI, POPF and IRET look again */
}
