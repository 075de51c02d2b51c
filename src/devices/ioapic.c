/* ioapic.c - the I/O APIC: redirection table, edge and level pins, remote IRR (see ioapic.h). */
#include "devices/ioapic.h"

#include <string.h>

#include "devices/irq.h"

/* Bits of an entry a write keeps: all but delivery status and remote IRR
 * (the reserved ones too, as KVM keeps them); the destination is 63:56. */
#define RE_WRITABLE_LO (0xffffffffull & ~(IOAPIC_RE_PENDING | IOAPIC_RE_REMOTE_IRR))
#define RE_WRITABLE_HI 0xffffffff00000000ull

void ioapic_init(struct ioapic *io, struct irq_router *bus)
{
	memset(io, 0, sizeof(*io));
	io->bus = bus;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = IOAPIC_RE_MASKED;
}

/* Send pin's message (the entry is unmasked). */
static void send(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];
	struct apic_msg m = {
		.dest = (uint32_t)(e >> 56),
		.vector = (uint8_t)e,
		.mode = (uint8_t)((e >> 8) & 7),
		.logical = e & IOAPIC_RE_LOGICAL,
		.level = e & IOAPIC_RE_LEVEL,
		.src = -1,
	};
	if (m.level)
		io->redir[pin] |= IOAPIC_RE_REMOTE_IRR;
	if (io->bus)
		irq_apic_send(io->bus, &m);
}

/* A level pin that is asserted, unmasked and not awaiting EOI sends. */
static void service_level(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];
	if ((e & IOAPIC_RE_LEVEL) && !(e & (IOAPIC_RE_MASKED | IOAPIC_RE_REMOTE_IRR)) && ((io->lines >> pin) & 1))
		send(io, pin);
}

void ioapic_set_pin(struct ioapic *io, unsigned pin, int level)
{
	if (pin >= IOAPIC_PINS)
		return;
	uint32_t bit = 1u << pin;
	bool was = io->lines & bit;
	if (level)
		io->lines |= bit;
	else
		io->lines &= ~bit;
	uint64_t e = io->redir[pin];
	if (e & IOAPIC_RE_LEVEL)
		service_level(io, pin);
	else if (level && !was && !(e & IOAPIC_RE_MASKED))
		send(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned i = 0; i < IOAPIC_PINS; i++) {
		uint64_t e = io->redir[i];
		if ((uint8_t)e != vector || !(e & IOAPIC_RE_REMOTE_IRR))
			continue;
		io->redir[i] &= ~IOAPIC_RE_REMOTE_IRR;
		service_level(io, i);
	}
}

static uint32_t read_indirect(struct ioapic *io)
{
	unsigned r = io->regsel;
	switch (r) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB: return (io->id & 0xf) << 24;
	case IOAPIC_REG_VER: return IOAPIC_VERSION;
	}
	if (r >= IOAPIC_REG_REDIR && r < IOAPIC_REG_REDIR + 2 * IOAPIC_PINS) {
		uint64_t e = io->redir[(r - IOAPIC_REG_REDIR) >> 1];
		return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	return 0xffffffffu;
}

static void write_indirect(struct ioapic *io, uint32_t v)
{
	unsigned r = io->regsel;
	if (r == IOAPIC_REG_ID) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	if (r < IOAPIC_REG_REDIR || r >= IOAPIC_REG_REDIR + 2 * IOAPIC_PINS)
		return; /* version, arbitration: read-only */
	unsigned pin = (r - IOAPIC_REG_REDIR) >> 1;
	uint64_t e = io->redir[pin];
	if (r & 1)
		e = (e & ~RE_WRITABLE_HI) | (((uint64_t)v << 32) & RE_WRITABLE_HI);
	else
		e = (e & ~RE_WRITABLE_LO) | (v & RE_WRITABLE_LO);
	if (!(e & IOAPIC_RE_LEVEL))
		e &= ~IOAPIC_RE_REMOTE_IRR; /* an edge entry has no remote IRR */
	io->redir[pin] = e;
	service_level(io, pin);
}

uint64_t ioapic_mmio_read(struct ioapic *io, unsigned offset, unsigned size)
{
	uint32_t v;
	switch (offset & ~3u) {
	case IOAPIC_REGSEL: v = io->regsel; break;
	case IOAPIC_WINDOW: v = read_indirect(io); break;
	default: v = 0; break;
	}
	v >>= 8 * (offset & 3);
	return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void ioapic_mmio_write(struct ioapic *io, unsigned offset, unsigned size, uint64_t v)
{
	switch (offset) {
	case IOAPIC_REGSEL: io->regsel = (uint8_t)v; break;
	case IOAPIC_WINDOW:
		if (size == 4)
			write_indirect(io, (uint32_t)v);
		break;
	default: break;
	}
}
