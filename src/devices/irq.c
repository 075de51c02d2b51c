/* irq.c - the interrupt router: lines to controllers, controllers to CPUs (see irq.h). */
#include "devices/irq.h"

#include <string.h>

#include "devices/ioapic.h"
#include "devices/pic8259.h"

#define ISA_IRQS 16
#define ISA_IRQ_CASCADE 2

int irq_line_pic_input(unsigned line) { return line < ISA_IRQS && line != ISA_IRQ_CASCADE ? (int)line : -1; }

int irq_line_ioapic_pin(unsigned line)
{
	if (line == 0)
		return 2; /* ISA IRQ 0 -> GSI 2: the MADT's interrupt source override */
	if (line == ISA_IRQ_CASCADE || line >= IRQ_LINES)
		return -1;
	return (int)line;
}

void irq_router_init(struct irq_router *r, struct pic8259 *pic, struct ioapic *ioapic, struct lapic *lapics,
		     unsigned ncpus)
{
	atomic_init(&r->level, 0);
	atomic_init(&r->edges, 0);
	r->seen = 0;
	r->pic = pic;
	r->ioapic = ioapic;
	r->lapic = lapics;
	r->ncpus = ncpus;
}

void irq_post(struct irq_router *r, unsigned line, int level)
{
	if (line >= IRQ_LINES)
		return;
	unsigned bit = 1u << line;
	if (level) {
		unsigned old = atomic_fetch_or_explicit(&r->level, bit, memory_order_acq_rel);
		if (!(old & bit))
			atomic_fetch_or_explicit(&r->edges, bit, memory_order_acq_rel);
	} else {
		atomic_fetch_and_explicit(&r->level, ~bit, memory_order_acq_rel);
	}
}

bool irq_posted(struct irq_router *r)
{
	return atomic_load_explicit(&r->edges, memory_order_relaxed) ||
		atomic_load_explicit(&r->level, memory_order_relaxed) != r->seen;
}

void irq_set_line(struct irq_router *r, unsigned line, int level)
{
	if (line >= IRQ_LINES)
		return;
	int in = irq_line_pic_input(line), pin = irq_line_ioapic_pin(line);
	if (in >= 0 && r->pic)
		pic_set_irq(r->pic, (unsigned)in, level);
	if (pin >= 0 && r->ioapic)
		ioapic_set_pin(r->ioapic, (unsigned)pin, level);
}

void irq_sync(struct irq_router *r)
{
	unsigned edges = atomic_exchange_explicit(&r->edges, 0, memory_order_acq_rel);
	unsigned level = atomic_load_explicit(&r->level, memory_order_acquire);
	unsigned changed = (level ^ r->seen) | edges;
	while (changed) {
		unsigned line = (unsigned)__builtin_ctz(changed);
		changed &= changed - 1;
		if ((edges >> line) & 1) {
			if ((r->seen >> line) & 1)
				irq_set_line(r, line, 0); /* a new edge on a line seen high */
			irq_set_line(r, line, 1);
		}
		irq_set_line(r, line, (level >> line) & 1);
	}
	r->seen = level;
}

struct lapic *irq_cpu_lapic(struct irq_router *r, unsigned cpu) { return cpu < r->ncpus ? &r->lapic[cpu] : NULL; }

/* The 8259's INTR reaches this CPU (through LINT0 or an ExtINT message). */
static bool extint_ready(struct irq_router *r, struct lapic *a)
{
	return r->pic && (lapic_accepts_pic(a) || a->extint_pending) && pic_pending(r->pic);
}

unsigned irq_cpu_events(struct irq_router *r, unsigned cpu)
{
	struct lapic *a = irq_cpu_lapic(r, cpu);
	if (!a)
		return 0;
	unsigned ev = 0;
	if (a->nmi_pending)
		ev |= IRQ_EV_NMI;
	if (a->init_pending)
		ev |= IRQ_EV_INIT;
	if (a->sipi_pending)
		ev |= IRQ_EV_SIPI;
	if (lapic_deliverable(a) >= 0 || extint_ready(r, a))
		ev |= IRQ_EV_INTR;
	return ev;
}

int irq_cpu_ack(struct irq_router *r, unsigned cpu)
{
	struct lapic *a = irq_cpu_lapic(r, cpu);
	if (!a)
		return -1;
	int v = lapic_ack(a);
	if (v >= 0)
		return v;
	if (r->pic && (lapic_accepts_pic(a) || a->extint_pending)) {
		/* the 8259's INTA cycle: a line that dropped meanwhile gives IRQ 7's vector */
		a->extint_pending = false;
		return pic_ack(r->pic);
	}
	return -1;
}

void irq_cpu_clear(struct irq_router *r, unsigned cpu, unsigned events)
{
	struct lapic *a = irq_cpu_lapic(r, cpu);
	if (!a)
		return;
	if (events & IRQ_EV_NMI)
		a->nmi_pending = false;
	if (events & IRQ_EV_INIT)
		a->init_pending = false;
	if (events & IRQ_EV_SIPI)
		a->sipi_pending = false;
}

void irq_apic_send(struct irq_router *r, const struct apic_msg *m)
{
	struct lapic *lowest = NULL;
	for (unsigned i = 0; i < r->ncpus; i++) {
		struct lapic *a = &r->lapic[i];
		if (!lapic_hw_enabled(a))
			continue;
		bool self = m->src == (int)i, hit;
		switch (m->shorthand) {
		case APIC_DEST_SELF: hit = self; break;
		case APIC_DEST_ALL: hit = true; break;
		case APIC_DEST_OTHERS: hit = !self; break;
		default: hit = lapic_match(a, m); break;
		}
		if (!hit)
			continue;
		if (m->mode == APIC_DM_LOWEST && m->shorthand == APIC_DEST_NONE) {
			/* lowest priority: the target with the lowest processor priority */
			if (!lowest || (lapic_ppr(a) & 0xf0) < (lapic_ppr(lowest) & 0xf0))
				lowest = a;
			continue;
		}
		lapic_accept(a, m);
	}
	if (lowest)
		lapic_accept(lowest, m);
}

void irq_apic_eoi(struct irq_router *r, uint8_t vector)
{
	if (r->ioapic)
		ioapic_eoi(r->ioapic, vector);
}

void irq_advance(struct irq_router *r, uint64_t now)
{
	for (unsigned i = 0; i < r->ncpus; i++)
		lapic_advance(&r->lapic[i], now);
}

uint64_t irq_next_deadline(const struct irq_router *r)
{
	uint64_t d = UINT64_MAX;
	for (unsigned i = 0; i < r->ncpus; i++) {
		uint64_t t = lapic_next_deadline(&r->lapic[i]);
		if (t < d)
			d = t;
	}
	return d;
}
