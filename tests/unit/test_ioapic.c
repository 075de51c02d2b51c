/*
 * test_ioapic.c - the I/O APIC model (src/devices/ioapic.c) behind the
 * interrupt router, as a guest programs it through IOREGSEL/IOWIN: the
 * ID, version and arbitration registers, edge and level pins, remote IRR
 * and the local APIC's EOI broadcast, masking, destinations and delivery
 * modes, and the router's lines (ISA IRQ 0 at pin 2, the others at their
 * own pin and at the 8259).
 */
#include <string.h>

#include "devices/ioapic.h"
#include "devices/irq.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"
#include "layout.h"
#include "unit.h"

static struct irq_router router;
static struct pic8259 pic;
static struct ioapic io;
static struct lapic cpu[2];

static void setup(unsigned ncpus)
{
	pic_init(&pic);
	ioapic_init(&io, &router);
	irq_router_init(&router, &pic, &io, cpu, ncpus);
	for (unsigned i = 0; i < ncpus; i++) {
		lapic_init(&cpu[i], &router, i, i == 0);
		lapic_mmio_write(&cpu[i], 0, LAPIC_SVR, 4, 0x1ff);
	}
}

static uint32_t io_rd(unsigned reg)
{
	ioapic_mmio_write(&io, IOAPIC_REGSEL, 4, reg);
	return (uint32_t)ioapic_mmio_read(&io, IOAPIC_WINDOW, 4);
}

static void io_wr(unsigned reg, uint32_t v)
{
	ioapic_mmio_write(&io, IOAPIC_REGSEL, 4, reg);
	ioapic_mmio_write(&io, IOAPIC_WINDOW, 4, v);
}

static void redir(unsigned pin, uint64_t e)
{
	io_wr(IOAPIC_REG_REDIR + 2 * pin + 1, (uint32_t)(e >> 32));
	io_wr(IOAPIC_REG_REDIR + 2 * pin, (uint32_t)e);
}

static uint64_t redir_rd(unsigned pin)
{
	return io_rd(IOAPIC_REG_REDIR + 2 * pin) | (uint64_t)io_rd(IOAPIC_REG_REDIR + 2 * pin + 1) << 32;
}

static bool irr(struct lapic *a, unsigned v) { return (a->irr[v >> 5] >> (v & 31)) & 1; }
static bool tmr(struct lapic *a, unsigned v) { return (a->tmr[v >> 5] >> (v & 31)) & 1; }
static void eoi(struct lapic *a) { lapic_mmio_write(a, 0, LAPIC_EOI, 4, 0); }

static void test_registers(void)
{
	setup(1);
	CHECK_EQ(io_rd(IOAPIC_REG_VER), 0x00170011);
	CHECK_EQ(io_rd(IOAPIC_REG_ID), 0);
	io_wr(IOAPIC_REG_ID, 0x0f000000 | 0xff);
	CHECK_EQ(io_rd(IOAPIC_REG_ID), 0x0f000000);
	CHECK_EQ(io_rd(IOAPIC_REG_ARB), 0x0f000000);
	io_wr(IOAPIC_REG_VER, 0);
	CHECK_EQ(io_rd(IOAPIC_REG_VER), 0x00170011); /* read-only */
	CHECK_EQ(io_rd(0x03), 0xffffffff);
	CHECK_EQ(io_rd(0x40), 0xffffffff); /* past entry 23 */
	for (unsigned p = 0; p < IOAPIC_PINS; p++)
		CHECK_EQ(redir_rd(p), IOAPIC_RE_MASKED);
	ioapic_mmio_write(&io, IOAPIC_REGSEL, 4, 0x1234);
	CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_REGSEL, 4), 0x34); /* 8 bits */
	/* what an entry keeps (KVM's): all but delivery status and remote IRR */
	redir(5, ~0ull);
	CHECK_EQ(redir_rd(5), ~0x5000ull);
	CHECK_EQ(ioapic_mmio_read(&io, 0x20, 4), 0);
	CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_WINDOW + 3, 1), 0xff); /* a byte of the window (entry 5, high) */
}

static void test_edge(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	redir(4, 0x34); /* fixed, physical, APIC ID 0, edge, active high, unmasked */
	irq_set_line(&router, 4, 1);
	CHECK(irr(a, 0x34) && !tmr(a, 0x34));
	CHECK_EQ(lapic_ack(a), 0x34);
	irq_set_line(&router, 4, 1); /* still high: no edge */
	CHECK(!irr(a, 0x34));
	irq_set_line(&router, 4, 0);
	irq_set_line(&router, 4, 1);
	CHECK(irr(a, 0x34));
	CHECK_EQ(redir_rd(4) & IOAPIC_RE_REMOTE_IRR, 0);
	eoi(a);
	/* a masked pin's edge is lost */
	lapic_ack(a);
	eoi(a);
	irq_set_line(&router, 4, 0);
	redir(4, 0x34 | IOAPIC_RE_MASKED);
	irq_set_line(&router, 4, 1);
	redir(4, 0x34);
	CHECK(!irr(a, 0x34));
	/* ISA IRQ 0 arrives at pin 2, not at pin 0 */
	redir(0, 0x30);
	redir(2, 0x32);
	irq_set_line(&router, 0, 1);
	CHECK(irr(a, 0x32) && !irr(a, 0x30));
	CHECK(pic.chip[0].lines & 1); /* and at the 8259's input 0 */
	irq_set_line(&router, 2, 1);  /* the cascade line reaches no pin */
	CHECK(!irr(a, 0x30));
	/* lines 16-23: the I/O APIC only */
	redir(20, 0x44);
	irq_set_line(&router, 20, 1);
	CHECK(irr(a, 0x44));
	CHECK_EQ(irq_line_pic_input(20), -1);
	CHECK_EQ(irq_line_ioapic_pin(24), -1);
}

static void test_level(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	redir(9, IOAPIC_RE_LEVEL | 0x39);
	irq_set_line(&router, 9, 1);
	CHECK(irr(a, 0x39) && tmr(a, 0x39));
	CHECK(redir_rd(9) & IOAPIC_RE_REMOTE_IRR);
	CHECK_EQ(lapic_ack(a), 0x39);
	irq_set_line(&router, 9, 0);
	irq_set_line(&router, 9, 1); /* remote IRR set: no new message */
	CHECK(!irr(a, 0x39));
	eoi(a); /* EOI broadcast: remote IRR clears, the line is still high: again */
	CHECK(irr(a, 0x39));
	CHECK(redir_rd(9) & IOAPIC_RE_REMOTE_IRR);
	CHECK_EQ(lapic_ack(a), 0x39);
	irq_set_line(&router, 9, 0);
	eoi(a);
	CHECK(!irr(a, 0x39));
	CHECK_EQ(redir_rd(9) & IOAPIC_RE_REMOTE_IRR, 0);
	/* asserted while masked: sent when unmasked */
	redir(9, IOAPIC_RE_LEVEL | IOAPIC_RE_MASKED | 0x39);
	irq_set_line(&router, 9, 1);
	CHECK(!irr(a, 0x39));
	redir(9, IOAPIC_RE_LEVEL | 0x39);
	CHECK(irr(a, 0x39));
	/* writing the entry as edge clears remote IRR (Linux's EOI for version 0x11) */
	CHECK(redir_rd(9) & IOAPIC_RE_REMOTE_IRR);
	redir(9, IOAPIC_RE_MASKED | 0x39);
	CHECK_EQ(redir_rd(9) & IOAPIC_RE_REMOTE_IRR, 0);
	CHECK_EQ(lapic_ack(a), 0x39);
	eoi(a);
	/* the EOI of an edge-triggered vector is not broadcast */
	irq_set_line(&router, 9, 0);
	redir(9, IOAPIC_RE_LEVEL | 0x39);
	redir(8, 0x48);
	irq_set_line(&router, 9, 1);
	irq_set_line(&router, 8, 1);
	CHECK(irr(a, 0x48) && !tmr(a, 0x48));
	CHECK_EQ(lapic_ack(a), 0x48);
	eoi(a); /* 0x48, edge: no broadcast */
	CHECK(redir_rd(9) & IOAPIC_RE_REMOTE_IRR);
	CHECK_EQ(lapic_ack(a), 0x39);
	irq_set_line(&router, 9, 0);
	eoi(a);
	CHECK_EQ(redir_rd(9) & IOAPIC_RE_REMOTE_IRR, 0);
	CHECK(!irr(a, 0x39));
	/* polarity is stored; lines are logical (1 = asserted) */
	redir(10, IOAPIC_RE_LOW | IOAPIC_RE_LEVEL | 0x3a);
	CHECK(!irr(a, 0x3a));
	irq_set_line(&router, 10, 1);
	CHECK(irr(a, 0x3a));
}

static void test_destinations(void)
{
	setup(2);
	struct lapic *a = &cpu[0], *b = &cpu[1];
	redir(5, (1ull << 56) | 0x45); /* physical APIC ID 1 */
	irq_set_line(&router, 5, 1);
	CHECK(irr(b, 0x45) && !irr(a, 0x45));
	redir(6, (0xffull << 56) | 0x46); /* broadcast */
	irq_set_line(&router, 6, 1);
	CHECK(irr(a, 0x46) && irr(b, 0x46));
	lapic_mmio_write(a, 0, LAPIC_LDR, 4, 0x01000000);
	lapic_mmio_write(b, 0, LAPIC_LDR, 4, 0x02000000);
	redir(7, (2ull << 56) | IOAPIC_RE_LOGICAL | 0x47); /* logical, flat: b */
	irq_set_line(&router, 7, 1);
	CHECK(irr(b, 0x47) && !irr(a, 0x47));
	redir(11, (3ull << 56) | IOAPIC_RE_LOGICAL | (APIC_DM_LOWEST << 8) | 0x4b); /* lowest priority of a, b */
	lapic_mmio_write(b, 0, LAPIC_TPR, 4, 0x30);
	irq_set_line(&router, 11, 1);
	CHECK(irr(a, 0x4b) && !irr(b, 0x4b));
	redir(12, (1ull << 56) | (APIC_DM_NMI << 8)); /* NMI */
	irq_set_line(&router, 12, 1);
	CHECK(b->nmi_pending && !a->nmi_pending);
	redir(13, (APIC_DM_EXTINT << 8)); /* ExtINT: the 8259's vector */
	irq_set_line(&router, 13, 1);
	CHECK(a->extint_pending);
	redir(14, (9ull << 56) | 0x4e); /* nobody has ID 9 */
	irq_set_line(&router, 14, 1);
	CHECK(!irr(a, 0x4e) && !irr(b, 0x4e));
}

/* Lines posted from any thread reach the controllers at irq_sync(); a pulse is an edge. */
static void test_posted_lines(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	redir(2, 0x30);
	CHECK(!irq_posted(&router));
	irq_post(&router, 0, 1);
	irq_post(&router, 0, 0);
	CHECK(irq_posted(&router));
	CHECK(!irr(a, 0x30));
	irq_sync(&router);
	CHECK(irr(a, 0x30));
	CHECK(!irq_posted(&router));
	CHECK_EQ(lapic_ack(a), 0x30);
	eoi(a);
	irq_post(&router, 0, 1); /* a level held high: one edge */
	irq_sync(&router);
	irq_sync(&router);
	CHECK(irr(a, 0x30));
	CHECK_EQ(lapic_ack(a), 0x30);
	irq_sync(&router);
	CHECK(!irr(a, 0x30));
	irq_post(&router, 99, 1); /* no such line */
	CHECK(!irq_posted(&router));
}

int main(void)
{
	test_registers();
	test_edge();
	test_level();
	test_destinations();
	test_posted_lines();
	return unit_finish("test_ioapic");
}
