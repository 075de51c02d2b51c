/*
 * ioapic.h - the I/O APIC (82093AA register model, as KVM's in-kernel one
 * presents it), for backends without an in-kernel interrupt controller.
 *
 * MMIO at LAYOUT_IOAPIC_BASE: IOREGSEL (offset 0x00, 8 bits) selects the
 * register IOWIN (0x10, 32 bits) reads and writes: 0x00 ID (bits 27:24),
 * 0x01 version 0x00170011 (version 0x11, 24 entries: KVM's; it has no EOI
 * register), 0x02 arbitration ID (reads the ID), 0x10-0x3F the 24
 * redirection entries (low dword, high dword); other registers read all ones.
 *
 * An entry: vector, delivery mode (fixed, lowest priority, SMI, NMI, INIT,
 * ExtINT), physical or logical destination (bits 63:56), polarity, trigger
 * mode, mask; delivery status and remote IRR are read-only. Lines are
 * logical (1 = asserted) whatever the polarity says, as KVM treats them.
 * Edge: a rising edge on an unmasked pin sends the message (a masked pin's
 * edge is lost). Level: an asserted, unmasked pin with remote IRR clear
 * sends it and sets remote IRR; the local APIC's EOI of the vector
 * (ioapic_eoi) clears remote IRR and sends again while the line stays
 * asserted. Writing an entry as edge-triggered clears remote IRR too (Linux
 * relies on that with I/O APICs older than version 0x20), and unmasking an
 * asserted level pin sends.
 */
#ifndef RAX_IOAPIC_H
#define RAX_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct irq_router;

#define IOAPIC_PINS 24
#define IOAPIC_VERSION 0x00170011u /* max redirection entry 0x17, version 0x11 */
#define IOAPIC_MMIO_SIZE 0x100
/* MMIO offsets and indirect registers */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDIR 0x10
/* redirection entry bits */
#define IOAPIC_RE_LOGICAL (1ull << 11)
#define IOAPIC_RE_PENDING (1ull << 12) /* delivery status */
#define IOAPIC_RE_LOW (1ull << 13)     /* polarity: active low */
#define IOAPIC_RE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RE_LEVEL (1ull << 15)
#define IOAPIC_RE_MASKED (1ull << 16)

struct ioapic {
	struct irq_router *bus; /* where messages go */
	uint32_t id;            /* bits 27:24 of the ID register */
	uint8_t regsel;
	uint32_t lines; /* pin levels (1 = asserted) */
	uint64_t redir[IOAPIC_PINS];
};

void ioapic_init(struct ioapic *io, struct irq_router *bus);
uint64_t ioapic_mmio_read(struct ioapic *io, unsigned offset, unsigned size);
void ioapic_mmio_write(struct ioapic *io, unsigned offset, unsigned size, uint64_t v);
/* Drive pin (0-23) to level. */
void ioapic_set_pin(struct ioapic *io, unsigned pin, int level);
/* A local APIC retired level-triggered vector (EOI broadcast). */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif
