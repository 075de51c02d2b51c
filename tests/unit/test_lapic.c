/*
 * test_lapic.c - the local APIC model (src/devices/lapic.c) through its
 * registers, on a router with one or two CPUs: reset state, register masks,
 * priorities (PPR, nested in-service vectors, TPR and CR8), EOI, the timer
 * in one-shot, periodic and TSC-deadline modes on virtual time with its
 * divides, ICR delivery modes, shorthands and destinations, ESR, software
 * disable, the 8259's path through LINT0, and x2APIC: the base MSR's
 * transitions and the #GP rules of its MSRs.
 */
#include <string.h>

#include "devices/irq.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"
#include "layout.h"
#include "unit.h"

static struct irq_router router;
static struct pic8259 pic;
static struct lapic cpu[2];
static uint64_t now;

static void setup(unsigned ncpus)
{
	pic_init(&pic);
	irq_router_init(&router, &pic, NULL, cpu, ncpus);
	for (unsigned i = 0; i < ncpus; i++)
		lapic_init(&cpu[i], &router, i, i == 0);
	now = 1000;
}

static uint32_t rd(struct lapic *a, unsigned reg) { return (uint32_t)lapic_mmio_read(a, now, reg, 4); }
static void wr(struct lapic *a, unsigned reg, uint32_t v) { lapic_mmio_write(a, now, reg, 4, v); }
static bool irr(struct lapic *a, unsigned v) { return (rd(a, LAPIC_IRR + (v / 32) * 16) >> (v % 32)) & 1; }
static bool isr(struct lapic *a, unsigned v) { return (rd(a, LAPIC_ISR + (v / 32) * 16) >> (v % 32)) & 1; }
static bool tmr(struct lapic *a, unsigned v) { return (rd(a, LAPIC_TMR + (v / 32) * 16) >> (v % 32)) & 1; }
static void self_ipi(struct lapic *a, unsigned v) { wr(a, LAPIC_ICR_LO, (APIC_DEST_SELF << 18) | v); }
static void enable(struct lapic *a) { wr(a, LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff); }

static void test_reset(void)
{
	setup(2);
	struct lapic *a = &cpu[0], *b = &cpu[1];
	CHECK_EQ(lapic_base(a), LAYOUT_APIC_BASE | APIC_BASE_EN | APIC_BASE_BSP);
	CHECK_EQ(lapic_base(b), LAYOUT_APIC_BASE | APIC_BASE_EN);
	CHECK_EQ(lapic_mmio_page(a), LAYOUT_APIC_BASE);
	CHECK_EQ(rd(a, LAPIC_ID), 0);
	CHECK_EQ(rd(b, LAPIC_ID), 1u << 24);
	CHECK_EQ(rd(a, LAPIC_LVR), 0x50014);
	CHECK_EQ(rd(a, LAPIC_SVR), 0xff);
	CHECK_EQ(rd(a, LAPIC_DFR), 0xffffffff);
	CHECK_EQ(rd(a, LAPIC_TPR), 0);
	CHECK_EQ(rd(a, LAPIC_PPR), 0);
	CHECK_EQ(rd(a, LAPIC_LVT_TIMER), LAPIC_LVT_MASKED);
	CHECK_EQ(rd(a, LAPIC_LVT_LINT0), 0x700); /* ExtINT: the 8259 in virtual wire mode */
	CHECK_EQ(rd(a, LAPIC_LVT_LINT1), 0x400); /* NMI */
	CHECK_EQ(rd(b, LAPIC_LVT_LINT0), LAPIC_LVT_MASKED);
	CHECK_EQ(rd(a, LAPIC_LVT_ERROR), LAPIC_LVT_MASKED);
	CHECK_EQ(rd(a, LAPIC_TIMER_DCR), 0);
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 0);
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	CHECK(lapic_accepts_pic(a));
	CHECK(!lapic_accepts_pic(b));
	/* pieces of a register; unknown registers read 0 */
	CHECK_EQ(lapic_mmio_read(a, now, LAPIC_LVR + 2, 1), 0x05);
	CHECK_EQ(lapic_mmio_read(a, now, LAPIC_LVR, 2), 0x0014);
	CHECK_EQ(lapic_mmio_read(a, now, 0x3c0, 4), 0);
	CHECK_EQ(lapic_mmio_read(a, now, LAPIC_LVR + 2, 4), 0); /* crosses the dword */
}

static void test_register_masks(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	wr(a, LAPIC_TPR, 0x1ff);
	CHECK_EQ(rd(a, LAPIC_TPR), 0xff);
	wr(a, LAPIC_LDR, 0x12345678);
	CHECK_EQ(rd(a, LAPIC_LDR), 0x12000000);
	wr(a, LAPIC_DFR, 0);
	CHECK_EQ(rd(a, LAPIC_DFR), 0x0fffffff);
	wr(a, LAPIC_SVR, 0xffffffff);
	CHECK_EQ(rd(a, LAPIC_SVR), 0x3ff);
	wr(a, LAPIC_ID, 0x05000000);
	CHECK_EQ(rd(a, LAPIC_ID), 0x05000000);
	wr(a, LAPIC_LVR, 0);
	CHECK_EQ(rd(a, LAPIC_LVR), 0x50014); /* read-only */
	/* what KVM keeps: delivery status and LINT remote IRR as written too */
	wr(a, LAPIC_LVT_LINT0, 0xffffffff);
	CHECK_EQ(rd(a, LAPIC_LVT_LINT0), 0x1f7ff);
	wr(a, LAPIC_LVT_TIMER, 0xffffffff);
	CHECK_EQ(rd(a, LAPIC_LVT_TIMER), 0x710ff);
	wr(a, LAPIC_LVT_ERROR, 0xffffffff);
	CHECK_EQ(rd(a, LAPIC_LVT_ERROR), 0x110ff);
	wr(a, LAPIC_LVT_PMC, 0xffffffff);
	CHECK_EQ(rd(a, LAPIC_LVT_PMC), 0x117ff);
	wr(a, LAPIC_TIMER_DCR, 0xff);
	CHECK_EQ(rd(a, LAPIC_TIMER_DCR), 0xb);
	wr(a, LAPIC_ICR_HI, 0xffffffff);
	CHECK_EQ(rd(a, LAPIC_ICR_HI), 0xff000000);
	/* writes other than aligned dwords are dropped */
	lapic_mmio_write(a, now, LAPIC_TPR, 1, 0x20);
	lapic_mmio_write(a, now, LAPIC_TPR + 4, 4, 0x20);
	CHECK_EQ(rd(a, LAPIC_TPR), 0xff);
}

static void test_priorities(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	self_ipi(a, 0x40); /* software-disabled: fixed interrupts are dropped */
	CHECK(!irr(a, 0x40));
	enable(a);
	self_ipi(a, 0x40);
	self_ipi(a, 0x50);
	CHECK(irr(a, 0x40) && irr(a, 0x50));
	CHECK(!tmr(a, 0x50));
	CHECK_EQ(lapic_deliverable(a), 0x50);
	CHECK_EQ(lapic_ack(a), 0x50);
	CHECK(isr(a, 0x50) && !irr(a, 0x50));
	CHECK_EQ(rd(a, LAPIC_PPR), 0x50);
	CHECK_EQ(lapic_deliverable(a), -1); /* 0x40 waits below the class in service */
	self_ipi(a, 0x55);
	CHECK_EQ(lapic_deliverable(a), -1); /* same class: held too */
	self_ipi(a, 0x61);
	CHECK_EQ(lapic_ack(a), 0x61); /* a higher class nests */
	CHECK_EQ(rd(a, LAPIC_PPR), 0x60);
	CHECK_EQ(lapic_deliverable(a), -1);
	wr(a, LAPIC_EOI, 0); /* retires 0x61, the highest in service */
	CHECK(!isr(a, 0x61) && isr(a, 0x50));
	CHECK_EQ(lapic_deliverable(a), -1); /* 0x55 is still below 0x50's class */
	wr(a, LAPIC_EOI, 0);
	CHECK_EQ(rd(a, LAPIC_PPR), 0);
	CHECK_EQ(lapic_ack(a), 0x55);
	wr(a, LAPIC_EOI, 0);
	/* TPR: a class at or below TPR's waits; PPR is TPR when that is higher */
	wr(a, LAPIC_TPR, 0x40);
	CHECK_EQ(rd(a, LAPIC_PPR), 0x40);
	CHECK_EQ(lapic_deliverable(a), -1);
	wr(a, LAPIC_TPR, 0x3f);
	CHECK_EQ(lapic_deliverable(a), 0x40);
	CHECK_EQ(lapic_ack(a), 0x40);
	CHECK_EQ(rd(a, LAPIC_PPR), 0x40); /* ISRV class 4 above TPR 0x3f */
	wr(a, LAPIC_TPR, 0x4a);
	CHECK_EQ(rd(a, LAPIC_PPR), 0x4a); /* TPR class 4 >= ISRV class 4: all of TPR */
	wr(a, LAPIC_EOI, 0);
	CHECK(!isr(a, 0x40));
	wr(a, LAPIC_EOI, 0); /* nothing in service: nothing happens */
	/* CR8 is TPR[7:4] */
	lapic_set_cr8(a, 3);
	CHECK_EQ(rd(a, LAPIC_TPR), 0x30);
	wr(a, LAPIC_TPR, 0x9f);
	CHECK_EQ(lapic_cr8(a), 9);
	lapic_set_cr8(a, 0x1f);
	CHECK_EQ(rd(a, LAPIC_TPR), 0xf0);
}

static void test_timer_oneshot(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	enable(a);
	wr(a, LAPIC_LVT_TIMER, 0x31);
	wr(a, LAPIC_TIMER_DCR, 0x1); /* divide by 4 */
	now = 100;
	wr(a, LAPIC_TIMER_ICR, 1000);
	CHECK_EQ(lapic_next_deadline(a), 100 + 4000 * LAPIC_BUS_NS);
	CHECK_EQ(rd(a, LAPIC_TIMER_ICR), 1000);
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 1000);
	now = 100 + 403;
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 900); /* 100 counts of 4 ns */
	lapic_advance(a, 4099);
	CHECK(!irr(a, 0x31));
	lapic_advance(a, 4100);
	CHECK(irr(a, 0x31));
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	now = 5000;
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 0);
	CHECK_EQ(lapic_ack(a), 0x31);
	wr(a, LAPIC_EOI, 0);
	/* divides: 0 -> 2, 0xa -> 128, 0xb -> 1 */
	const uint32_t dcr[] = { 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb };
	const unsigned div[] = { 2, 4, 8, 16, 32, 64, 128, 1 };
	for (unsigned i = 0; i < 8; i++) {
		wr(a, LAPIC_TIMER_DCR, dcr[i]);
		wr(a, LAPIC_TIMER_ICR, 10);
		CHECK_EQ(lapic_next_deadline(a), now + 10 * div[i]);
	}
	/* ICR 0 stops it */
	wr(a, LAPIC_TIMER_ICR, 0);
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 0);
	/* masked: it counts and expires without an interrupt */
	wr(a, LAPIC_LVT_TIMER, 0x31 | LAPIC_LVT_MASKED);
	wr(a, LAPIC_TIMER_DCR, 0xb);
	wr(a, LAPIC_TIMER_ICR, 5);
	lapic_advance(a, now + 5);
	CHECK(!irr(a, 0x31));
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	/* a divide change mid-count goes on from the current count */
	wr(a, LAPIC_LVT_TIMER, 0x31);
	wr(a, LAPIC_TIMER_ICR, 100); /* divide 1 */
	now += 40;
	wr(a, LAPIC_TIMER_DCR, 0x0); /* divide 2: 60 counts left, 120 ns */
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 60);
	CHECK_EQ(lapic_next_deadline(a), now + 120);
}

static void test_timer_periodic(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	enable(a);
	wr(a, LAPIC_LVT_TIMER, (LAPIC_TIMER_PERIODIC << 17) | 0x32);
	wr(a, LAPIC_TIMER_DCR, 0xb);
	now = 0;
	wr(a, LAPIC_TIMER_ICR, 100);
	CHECK_EQ(lapic_next_deadline(a), 100);
	now = 30;
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 70);
	lapic_advance(a, 100);
	CHECK(irr(a, 0x32));
	CHECK_EQ(lapic_next_deadline(a), 200);
	now = 150;
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 50);
	CHECK_EQ(lapic_ack(a), 0x32);
	/* several periods at once (an idle jump) coalesce into one interrupt */
	lapic_advance(a, 570);
	CHECK(irr(a, 0x32));
	CHECK_EQ(lapic_next_deadline(a), 600);
	now = 570;
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 30);
	/* to one-shot: the current count runs out, then it stops */
	wr(a, LAPIC_LVT_TIMER, 0x32);
	CHECK_EQ(lapic_next_deadline(a), 600);
	lapic_advance(a, 600);
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	now = 700;
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 0);
}

static void test_timer_tsc_deadline(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	enable(a);
	uint64_t v;
	lapic_set_tsc_offset(a, 1000, now);
	CHECK_EQ(lapic_msr_write(a, now, MSR_IA32_TSC_DEADLINE, 5000), 0); /* one-shot mode: ignored */
	CHECK_EQ(lapic_msr_read(a, now, MSR_IA32_TSC_DEADLINE, &v), 0);
	CHECK_EQ(v, 0);
	wr(a, LAPIC_TIMER_ICR, 100);
	wr(a, LAPIC_LVT_TIMER, (LAPIC_TIMER_TSC_DEADLINE << 17) | 0x33); /* disarms the count */
	CHECK_EQ(rd(a, LAPIC_TIMER_ICR), 0);
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	wr(a, LAPIC_TIMER_ICR, 100); /* ignored in TSC-deadline mode */
	CHECK_EQ(rd(a, LAPIC_TIMER_ICR), 0);
	CHECK_EQ(rd(a, LAPIC_TIMER_CCR), 0);
	lapic_msr_write(a, now, MSR_IA32_TSC_DEADLINE, 5000);
	CHECK_EQ(lapic_next_deadline(a), 4000); /* TSC = ns + 1000 */
	lapic_msr_read(a, now, MSR_IA32_TSC_DEADLINE, &v);
	CHECK_EQ(v, 5000);
	lapic_set_tsc_offset(a, 2000, now); /* WRMSR TSC: the deadline moves */
	CHECK_EQ(lapic_next_deadline(a), 3000);
	lapic_advance(a, 2999);
	CHECK(!irr(a, 0x33));
	lapic_advance(a, 3000);
	CHECK(irr(a, 0x33));
	lapic_msr_read(a, now, MSR_IA32_TSC_DEADLINE, &v);
	CHECK_EQ(v, 0); /* fired: disarmed */
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	/* a deadline in the past fires at once; 0 disarms */
	lapic_msr_write(a, now, MSR_IA32_TSC_DEADLINE, 1);
	CHECK_EQ(lapic_next_deadline(a), 0);
	lapic_msr_write(a, now, MSR_IA32_TSC_DEADLINE, 0);
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	/* leaving TSC-deadline mode disarms */
	lapic_msr_write(a, now, MSR_IA32_TSC_DEADLINE, 90000);
	wr(a, LAPIC_LVT_TIMER, 0x33);
	CHECK_EQ(lapic_next_deadline(a), UINT64_MAX);
	lapic_msr_read(a, now, MSR_IA32_TSC_DEADLINE, &v);
	CHECK_EQ(v, 0);
}

static void test_icr(void)
{
	setup(2);
	struct lapic *a = &cpu[0], *b = &cpu[1];
	enable(a);
	enable(b);
	/* physical destination: CPU 1 */
	wr(a, LAPIC_ICR_HI, 1u << 24);
	wr(a, LAPIC_ICR_LO, 0x41);
	CHECK(irr(b, 0x41) && !irr(a, 0x41));
	CHECK_EQ(rd(a, LAPIC_ICR_LO), 0x41); /* delivery status reads idle */
	/* broadcast 0xFF, all-including-self, all-but-self */
	wr(a, LAPIC_ICR_HI, 0xffu << 24);
	wr(a, LAPIC_ICR_LO, 0x42);
	CHECK(irr(a, 0x42) && irr(b, 0x42));
	wr(a, LAPIC_ICR_LO, (APIC_DEST_ALL << 18) | 0x43);
	CHECK(irr(a, 0x43) && irr(b, 0x43));
	wr(a, LAPIC_ICR_LO, (APIC_DEST_OTHERS << 18) | 0x44);
	CHECK(!irr(a, 0x44) && irr(b, 0x44));
	self_ipi(b, 0x45);
	CHECK(!irr(a, 0x45) && irr(b, 0x45));
	/* logical, flat model */
	wr(a, LAPIC_LDR, 0x01000000);
	wr(b, LAPIC_LDR, 0x02000000);
	wr(a, LAPIC_ICR_HI, 0x02u << 24);
	wr(a, LAPIC_ICR_LO, LAPIC_ICR_LOGICAL | 0x46);
	CHECK(!irr(a, 0x46) && irr(b, 0x46));
	wr(a, LAPIC_ICR_HI, 0x03u << 24);
	wr(a, LAPIC_ICR_LO, LAPIC_ICR_LOGICAL | 0x47);
	CHECK(irr(a, 0x47) && irr(b, 0x47));
	/* logical, cluster model: cluster 1, members 1 and 2 */
	wr(a, LAPIC_DFR, 0x0fffffff);
	wr(b, LAPIC_DFR, 0x0fffffff);
	wr(a, LAPIC_LDR, 0x11000000);
	wr(b, LAPIC_LDR, 0x12000000);
	wr(a, LAPIC_ICR_HI, 0x12u << 24);
	wr(a, LAPIC_ICR_LO, LAPIC_ICR_LOGICAL | 0x48);
	CHECK(!irr(a, 0x48) && irr(b, 0x48));
	wr(a, LAPIC_ICR_HI, 0x22u << 24); /* another cluster */
	wr(a, LAPIC_ICR_LO, LAPIC_ICR_LOGICAL | 0x49);
	CHECK(!irr(a, 0x49) && !irr(b, 0x49));
	/* lowest priority: the CPU with the lower processor priority */
	wr(a, LAPIC_TPR, 0x20);
	wr(a, LAPIC_ICR_HI, 0x13u << 24);
	wr(a, LAPIC_ICR_LO, LAPIC_ICR_LOGICAL | (APIC_DM_LOWEST << 8) | 0x4a);
	CHECK(!irr(a, 0x4a) && irr(b, 0x4a));
	/* NMI, INIT (assert; de-assert does nothing), SIPI */
	wr(a, LAPIC_ICR_HI, 1u << 24);
	wr(a, LAPIC_ICR_LO, APIC_DM_NMI << 8);
	CHECK(b->nmi_pending && !a->nmi_pending);
	CHECK(irq_cpu_events(&router, 1) & IRQ_EV_NMI);
	irq_cpu_clear(&router, 1, IRQ_EV_NMI);
	CHECK(!b->nmi_pending);
	wr(a, LAPIC_ICR_LO, LAPIC_ICR_LEVEL | (APIC_DM_INIT << 8));
	CHECK(!b->init_pending);
	wr(a, LAPIC_ICR_LO, LAPIC_ICR_LEVEL | LAPIC_ICR_ASSERT | (APIC_DM_INIT << 8));
	CHECK(b->init_pending);
	wr(a, LAPIC_ICR_LO, (APIC_DM_SIPI << 8) | 0x9a);
	CHECK(b->sipi_pending && b->sipi_vector == 0x9a);
	CHECK_EQ(irq_cpu_events(&router, 1) & (IRQ_EV_INIT | IRQ_EV_SIPI), IRQ_EV_INIT | IRQ_EV_SIPI);
	/* a software-disabled target drops fixed interrupts, not NMIs */
	wr(b, LAPIC_SVR, 0xff);
	self_ipi(b, 0x4b);
	CHECK(!irr(b, 0x4b));
	wr(a, LAPIC_ICR_LO, APIC_DM_NMI << 8);
	CHECK(b->nmi_pending);
	/* a globally disabled one takes nothing */
	b->nmi_pending = false;
	CHECK_EQ(lapic_set_base(b, LAYOUT_APIC_BASE, now), 0);
	wr(a, LAPIC_ICR_LO, APIC_DM_NMI << 8);
	CHECK(!b->nmi_pending);
}

/* Vectors 0-15 are delivered and the ESR records no error, as in KVM; the
 * ESR reads what was pending at its last write. ICR and TMR as KVM keeps them. */
static void test_esr_icr(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	enable(a);
	self_ipi(a, 5);
	CHECK(irr(a, 5));
	wr(a, LAPIC_ESR, 0);
	CHECK_EQ(rd(a, LAPIC_ESR), 0);
	a->esr_pending = 0x40;
	CHECK_EQ(rd(a, LAPIC_ESR), 0);
	wr(a, LAPIC_ESR, 0);
	CHECK_EQ(rd(a, LAPIC_ESR), 0x40);
	wr(a, LAPIC_ESR, 0);
	CHECK_EQ(rd(a, LAPIC_ESR), 0);
	/* the ICR reads back what was written, but an idle delivery status */
	wr(a, LAPIC_ICR_LO, 0xfff3e0ffu | (APIC_DEST_SELF << 18) | 0x1000);
	CHECK_EQ(rd(a, LAPIC_ICR_LO), (0xfff3e0ffu | (APIC_DEST_SELF << 18)) & ~0x1000u);
	/* a level-triggered fixed IPI sets TMR; a level de-assert delivers nothing */
	wr(a, LAPIC_ICR_LO, (APIC_DEST_SELF << 18) | LAPIC_ICR_LEVEL | LAPIC_ICR_ASSERT | 0x66);
	CHECK(irr(a, 0x66) && tmr(a, 0x66));
	wr(a, LAPIC_ICR_LO, (APIC_DEST_SELF << 18) | LAPIC_ICR_LEVEL | 0x67);
	CHECK(!irr(a, 0x67));
	self_ipi(a, 0x66);
	CHECK(!tmr(a, 0x66)); /* an edge one clears it */
}

static void test_software_disable(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	enable(a);
	wr(a, LAPIC_LVT_TIMER, 0x31);
	wr(a, LAPIC_LVT_ERROR, 0x32);
	self_ipi(a, 0x40);
	wr(a, LAPIC_SVR, 0x1ff & ~LAPIC_SVR_ENABLE);
	CHECK_EQ(rd(a, LAPIC_LVT_TIMER), 0x31 | LAPIC_LVT_MASKED);
	CHECK_EQ(rd(a, LAPIC_LVT_ERROR), 0x32 | LAPIC_LVT_MASKED);
	CHECK_EQ(rd(a, LAPIC_LVT_LINT0), 0x700 | LAPIC_LVT_MASKED);
	wr(a, LAPIC_LVT_TIMER, 0x31); /* the mask cannot be cleared while disabled */
	CHECK_EQ(rd(a, LAPIC_LVT_TIMER), 0x31 | LAPIC_LVT_MASKED);
	CHECK_EQ(lapic_deliverable(a), 0x40); /* what is pending is held, and taken */
	enable(a);
	CHECK_EQ(rd(a, LAPIC_LVT_TIMER), 0x31 | LAPIC_LVT_MASKED); /* still masked */
}

static void test_pic_path(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	/* 8259 initialised (vector base 0x30), IRQ 3 raised: INTR through LINT0 */
	pic_write(&pic, 0, 0, 0x11);
	pic_write(&pic, 0, 1, 0x30);
	pic_write(&pic, 0, 1, 0x04);
	pic_write(&pic, 0, 1, 0x01);
	pic_write(&pic, 0, 1, 0x00);
	irq_set_line(&router, 3, 1);
	CHECK(irq_cpu_events(&router, 0) & IRQ_EV_INTR);
	/* LINT0 masked: the 8259 does not reach the CPU */
	wr(a, LAPIC_LVT_LINT0, 0x700 | LAPIC_LVT_MASKED);
	CHECK(!(irq_cpu_events(&router, 0) & IRQ_EV_INTR));
	/* an I/O APIC ExtINT message lets one through */
	struct apic_msg m = { .mode = APIC_DM_EXTINT, .src = -1 };
	lapic_accept(a, &m);
	CHECK(irq_cpu_events(&router, 0) & IRQ_EV_INTR);
	CHECK_EQ(irq_cpu_ack(&router, 0), 0x33);
	CHECK(!a->extint_pending);
	pic_write(&pic, 0, 0, 0x20);
	irq_set_line(&router, 3, 0);
	irq_set_line(&router, 3, 1);
	CHECK(!(irq_cpu_events(&router, 0) & IRQ_EV_INTR));
	/* the APIC globally disabled: the 8259 goes straight to INTR */
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | APIC_BASE_BSP, now), 0);
	CHECK_EQ(lapic_mmio_page(a), UINT64_MAX);
	CHECK(irq_cpu_events(&router, 0) & IRQ_EV_INTR);
	/* the local APIC comes before ExtINT */
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | APIC_BASE_EN | APIC_BASE_BSP, now), 0);
	enable(a);
	wr(a, LAPIC_LVT_LINT0, 0x700);
	self_ipi(a, 0x80);
	CHECK_EQ(irq_cpu_ack(&router, 0), 0x80);
	CHECK_EQ(irq_cpu_ack(&router, 0), 0x33);
}

static void test_base_msr(void)
{
	setup(1);
	struct lapic *a = &cpu[0];
	uint64_t en = APIC_BASE_EN | APIC_BASE_BSP;
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | en | 1, now), -1);            /* reserved bit 0 */
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | en | (1ull << 9), now), -1);  /* reserved bit 9 */
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | en | (1ull << 40), now), -1); /* above MAXPHYADDR */
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | APIC_BASE_EXTD, now), -1);    /* EXTD without EN */
	CHECK_EQ(lapic_base(a), LAYOUT_APIC_BASE | en);
	/* relocation */
	CHECK_EQ(lapic_set_base(a, 0xfed00000 | en, now), 0);
	CHECK_EQ(lapic_mmio_page(a), 0xfed00000);
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | en, now), 0);
	/* an xAPIC ID written, then the APIC disabled and enabled again: the initial ID */
	wr(a, LAPIC_ID, 0x07000000);
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE, now), 0);
	CHECK_EQ(lapic_mmio_page(a), UINT64_MAX);
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | APIC_BASE_EXTD | APIC_BASE_EN, now), -1); /* not from disabled */
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | en, now), 0);
	CHECK_EQ(rd(a, LAPIC_ID), 0);
}

static void test_x2apic(void)
{
	setup(2);
	struct lapic *a = &cpu[0], *b = &cpu[1];
	uint64_t v, xa = LAYOUT_APIC_BASE | APIC_BASE_EN | APIC_BASE_BSP;
	CHECK_EQ(lapic_msr_read(a, now, 0x802, &v), -1); /* xAPIC mode: no x2APIC MSRs */
	CHECK_EQ(lapic_msr_write(a, now, 0x808, 0), -1);
	CHECK_EQ(lapic_set_base(a, xa | APIC_BASE_EXTD, now), 0);
	CHECK_EQ(lapic_set_base(b, LAYOUT_APIC_BASE | APIC_BASE_EN | APIC_BASE_EXTD, now), 0);
	CHECK(lapic_x2apic(a));
	CHECK_EQ(lapic_mmio_page(a), UINT64_MAX); /* no MMIO in x2APIC mode */
	CHECK_EQ(lapic_msr_read(a, now, 0x802, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(lapic_msr_read(b, now, 0x802, &v), 0);
	CHECK_EQ(v, 1); /* 32-bit ID, not in bits 31:24 */
	CHECK_EQ(lapic_msr_read(a, now, 0x803, &v), 0);
	CHECK_EQ(v, 0x50014);
	CHECK_EQ(lapic_msr_read(b, now, 0x80d, &v), 0);
	CHECK_EQ(v, 0x00000002); /* logical ID: cluster 0, bit 1 */
	/* read-only, write-only and absent registers: #GP */
	CHECK_EQ(lapic_msr_write(a, now, 0x802, 0), -1); /* ID */
	CHECK_EQ(lapic_msr_write(a, now, 0x803, 0), -1); /* version */
	CHECK_EQ(lapic_msr_write(a, now, 0x80a, 0), -1); /* PPR */
	CHECK_EQ(lapic_msr_write(a, now, 0x80d, 0), -1); /* LDR */
	CHECK_EQ(lapic_msr_write(a, now, 0x810, 0), -1); /* ISR */
	CHECK_EQ(lapic_msr_write(a, now, 0x839, 0), -1); /* current count */
	CHECK_EQ(lapic_msr_read(a, now, 0x80b, &v), -1); /* EOI */
	CHECK_EQ(lapic_msr_read(a, now, 0x83f, &v), -1); /* SELF IPI */
	CHECK_EQ(lapic_msr_read(a, now, 0x809, &v), -1); /* APR */
	CHECK_EQ(lapic_msr_read(a, now, 0x80c, &v), -1); /* RRD */
	CHECK_EQ(lapic_msr_read(a, now, 0x80e, &v), -1); /* DFR */
	CHECK_EQ(lapic_msr_read(a, now, 0x831, &v), -1); /* ICR high */
	CHECK_EQ(lapic_msr_read(a, now, 0x82f, &v), -1); /* LVT CMCI: five LVTs */
	CHECK_EQ(lapic_msr_read(a, now, 0x8ff, &v), -1);
	CHECK_EQ(lapic_msr_write(a, now, 0x80e, 0), -1);
	/* 32-bit registers: bits 63:32 must be 0; ESR takes only 0 */
	CHECK_EQ(lapic_msr_write(a, now, 0x808, 1ull << 32), -1);
	CHECK_EQ(lapic_msr_write(a, now, 0x828, 1), -1);
	CHECK_EQ(lapic_msr_write(a, now, 0x828, 0), 0);
	CHECK_EQ(lapic_msr_write(a, now, 0x808, 0x20), 0);
	CHECK_EQ(lapic_msr_read(a, now, 0x808, &v), 0);
	CHECK_EQ(v, 0x20);
	CHECK_EQ(lapic_cr8(a), 2);
	CHECK_EQ(lapic_msr_write(a, now, 0x808, 0), 0);
	CHECK_EQ(lapic_msr_write(a, now, 0x80f, 0x1ff), 0);
	CHECK_EQ(lapic_msr_write(b, now, 0x80f, 0x1ff), 0);
	/* the SELF IPI register and the 64-bit ICR; their reserved bits #GP (KVM) */
	CHECK_EQ(lapic_msr_write(a, now, 0x83f, 0x151), -1);
	CHECK_EQ(lapic_msr_write(a, now, 0x830, 0x100000 | 0x52), -1);
	CHECK_EQ(lapic_msr_write(a, now, 0x830, 0x2000 | 0x52), -1);
	CHECK_EQ(lapic_msr_write(a, now, 0x808, 0x100), 0); /* other reserved bits are dropped */
	CHECK_EQ(lapic_msr_read(a, now, 0x808, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(lapic_msr_write(a, now, 0x80b, 1), 0); /* EOI takes any 32-bit value */
	CHECK_EQ(lapic_msr_write(a, now, 0x83f, 0x51), 0);
	CHECK(irr(a, 0x51));
	CHECK_EQ(lapic_msr_write(a, now, 0x830, (1ull << 32) | 0x52), 0); /* physical, x2APIC ID 1 */
	CHECK(irr(b, 0x52) && !irr(a, 0x52));
	CHECK_EQ(lapic_msr_read(a, now, 0x830, &v), 0);
	CHECK_EQ(v, (1ull << 32) | 0x52);
	CHECK_EQ(lapic_msr_write(a, now, 0x830, (0xffffffffull << 32) | 0x53), 0); /* broadcast */
	CHECK(irr(a, 0x53) && irr(b, 0x53));
	CHECK_EQ(lapic_msr_write(a, now, 0x830, (0x00000002ull << 32) | LAPIC_ICR_LOGICAL | 0x54), 0);
	CHECK(irr(b, 0x54) && !irr(a, 0x54)); /* logical: cluster 0, member bit 1 */
	CHECK_EQ(lapic_ack(a), 0x53);
	CHECK_EQ(lapic_msr_write(a, now, 0x80b, 0), 0); /* EOI */
	CHECK_EQ(lapic_msr_read(a, now, 0x810 + (0x53 >> 5), &v), 0);
	CHECK_EQ((v >> (0x53 & 31)) & 1, 0);
	/* the timer through MSRs */
	CHECK_EQ(lapic_msr_write(a, now, 0x832, 0x60), 0);
	CHECK_EQ(lapic_msr_write(a, now, 0x83e, 0xb), 0);
	CHECK_EQ(lapic_msr_write(a, now, 0x838, 50), 0);
	CHECK_EQ(lapic_next_deadline(a), now + 50);
	now += 20;
	CHECK_EQ(lapic_msr_read(a, now, 0x839, &v), 0);
	CHECK_EQ(v, 30);
	/* mode transitions: x2APIC -> xAPIC #GP, -> disabled -> xAPIC fine, disabled -> x2APIC #GP */
	CHECK_EQ(lapic_set_base(a, xa, now), -1);
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | APIC_BASE_BSP, now), 0);
	CHECK_EQ(lapic_set_base(a, LAYOUT_APIC_BASE | APIC_BASE_BSP | APIC_BASE_EN | APIC_BASE_EXTD, now), -1);
	CHECK_EQ(lapic_set_base(a, xa, now), 0);
	CHECK_EQ(lapic_mmio_page(a), LAYOUT_APIC_BASE);
	CHECK_EQ(rd(a, LAPIC_ID), 0);
	CHECK_EQ(lapic_msr_read(a, now, 0x802, &v), -1);
}

int main(void)
{
	test_reset();
	test_register_masks();
	test_priorities();
	test_timer_oneshot();
	test_timer_periodic();
	test_timer_tsc_deadline();
	test_icr();
	test_esr_icr();
	test_software_disable();
	test_pic_path();
	test_base_msr();
	test_x2apic();
	return unit_finish("test_lapic");
}
