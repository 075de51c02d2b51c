/*
 * irq.h - the interrupt router: the one seam between the devices that raise
 * interrupt lines and the CPUs that take interrupts, for backends without
 * an in-kernel interrupt controller (the interpreter).
 *
 * Lines. Devices drive lines with vm_set_irq(vm, line, level), from any
 * thread. Lines are numbered as KVM_IRQ_LINE numbers its GSIs, so both
 * backends route a line the same way: line n < 16 is ISA IRQ n and goes
 * to 8259 input n; every line also goes to I/O APIC pin
 * irq_line_ioapic_pin(n), which is n except for ISA IRQ 0, at pin 2 (the
 * interrupt source override the MADT declares; ISA IRQ 2 is the 8259
 * cascade and reaches no pin). The backend's set_irq posts a change here
 * (irq_post: atomic, any thread) and the CPU thread hands the posted
 * changes to the controllers (irq_sync); a pulse (raise and lower before
 * the CPU looks) is kept as an edge.
 *
 * CPUs. irq_cpu_events() says what CPU n would take now: a maskable
 * interrupt, an NMI, INIT or SIPI. irq_cpu_ack() is the interrupt
 * acknowledge cycle for the maskable one: the local APIC's highest
 * deliverable vector first, otherwise ExtINT, the 8259's vector, which
 * reaches the CPU through LINT0 (the APIC globally disabled, or LVT LINT0
 * unmasked ExtINT) or through an I/O APIC ExtINT message.
 *
 * APIC bus. I/O APIC redirections and IPIs are messages (struct apic_msg)
 * that irq_apic_send() hands to the local APICs they name; the EOI of a
 * level-triggered vector comes back through irq_apic_eoi() to the I/O APIC.
 *
 * A new interrupt controller is one file: its model, a pointer here, and
 * the line it listens to in irq_set_line() (or the messages it takes).
 * Everything but irq_post() runs on the CPU thread.
 */
#ifndef RAX_IRQ_H
#define RAX_IRQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/lapic.h"

struct pic8259;
struct ioapic;

#define IRQ_LINES 24    /* ISA IRQ 0-15, then I/O APIC-only lines 16-23 */
#define IRQ_MAX_CPUS 16 /* local APICs the router can hold */

/* Where line goes: 8259 input (-1: none) and I/O APIC pin (-1: none). */
int irq_line_pic_input(unsigned line);
int irq_line_ioapic_pin(unsigned line);

/* What a CPU would take now (irq_cpu_events) */
#define IRQ_EV_INTR 1u /* a maskable interrupt (IF decides) */
#define IRQ_EV_NMI 2u
#define IRQ_EV_INIT 4u
#define IRQ_EV_SIPI 8u

struct irq_router {
	atomic_uint level, edges; /* posted by irq_post (any thread) */
	unsigned seen;            /* the levels the controllers have seen */
	struct pic8259 *pic;
	struct ioapic *ioapic;
	struct lapic *lapic; /* ncpus of them, index = CPU */
	unsigned ncpus;
};

void irq_router_init(struct irq_router *r, struct pic8259 *pic, struct ioapic *ioapic, struct lapic *lapics,
		     unsigned ncpus);

/* Post a line change (any thread). */
void irq_post(struct irq_router *r, unsigned line, int level);
/* Changes posted and not yet synced (a cheap look, any thread). */
bool irq_posted(struct irq_router *r);
/* Hand the posted changes to the controllers (CPU thread). */
void irq_sync(struct irq_router *r);
/* Set a line now (CPU thread): to the 8259 and the I/O APIC. */
void irq_set_line(struct irq_router *r, unsigned line, int level);

/* The CPU side (see above). irq_cpu_ack() returns the vector. */
unsigned irq_cpu_events(struct irq_router *r, unsigned cpu);
int irq_cpu_ack(struct irq_router *r, unsigned cpu);
/* The CPU took (or dropped) these events: NMI, INIT, SIPI. */
void irq_cpu_clear(struct irq_router *r, unsigned cpu, unsigned events);
struct lapic *irq_cpu_lapic(struct irq_router *r, unsigned cpu);

/* The APIC bus. */
void irq_apic_send(struct irq_router *r, const struct apic_msg *m);
void irq_apic_eoi(struct irq_router *r, uint8_t vector);

/* The timers the router owns (local APIC timers). */
void irq_advance(struct irq_router *r, uint64_t now);
uint64_t irq_next_deadline(const struct irq_router *r);

#endif
