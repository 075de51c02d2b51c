/* lapic.c - a local APIC: registers, priorities, IPIs and the timer (see lapic.h). */
#include "devices/lapic.h"

#include <string.h>

#include "devices/irq.h"
#include "layout.h"

#define NEVER UINT64_MAX

/* Bits of each LVT entry a write keeps (SDM figure "Local Vector Table"):
 * vector, delivery mode, polarity, trigger, mask, timer mode, and as KVM
 * keeps them the delivery status (and LINT0/1's remote IRR) as written;
 * delivery is immediate, so nothing sets them otherwise. */
// clang-format off
static const uint32_t lvt_writable[LAPIC_NLVT] = {
	[LVT_TIMER] = 0x000610ffu | LAPIC_LVT_MASKED,
	[LVT_THERMAL] = 0x000017ffu | LAPIC_LVT_MASKED,
	[LVT_PMC] = 0x000017ffu | LAPIC_LVT_MASKED,
	[LVT_LINT0] = 0x0000f7ffu | LAPIC_LVT_MASKED,
	[LVT_LINT1] = 0x0000f7ffu | LAPIC_LVT_MASKED,
	[LVT_ERROR] = 0x000010ffu | LAPIC_LVT_MASKED,
};
// clang-format on
/* The ICR keeps what was written but the delivery status (always idle). */
#define ICR_BUSY (1u << 12)
/* x2APIC: WRMSR of the ICR with these bits set raises #GP (as KVM). */
#define X2APIC_ICR_RESERVED 0xfff32000u

static bool test_bit(const uint32_t *v, unsigned n) { return (v[n >> 5] >> (n & 31)) & 1; }
static void set_bit(uint32_t *v, unsigned n) { v[n >> 5] |= 1u << (n & 31); }
static void clear_bit(uint32_t *v, unsigned n) { v[n >> 5] &= ~(1u << (n & 31)); }

/* The highest vector set in a 256-bit register, -1 when none. */
static int highest(const uint32_t *v)
{
	for (int i = 7; i >= 0; i--)
		if (v[i])
			return i * 32 + 31 - __builtin_clz(v[i]);
	return -1;
}

static unsigned timer_mode(const struct lapic *a) { return (a->lvt[LVT_TIMER] >> LAPIC_TIMER_MODE_SHIFT) & 3; }

static unsigned divide_shift(uint32_t dcr)
{
	unsigned v = (dcr & 3) | ((dcr >> 1) & 4);
	return (v + 1) & 7; /* 0 -> /2 ... 6 -> /128, 7 -> /1 */
}

void lapic_init(struct lapic *a, struct irq_router *bus, unsigned index, bool bsp)
{
	memset(a, 0, sizeof(*a));
	a->bus = bus;
	a->index = index;
	a->id = index;
	a->base = LAYOUT_APIC_BASE | APIC_BASE_EN | (bsp ? APIC_BASE_BSP : 0);
	a->svr = 0xff;
	a->dfr = 0xffffffffu;
	for (unsigned i = 0; i < LAPIC_NLVT; i++)
		a->lvt[i] = LAPIC_LVT_MASKED;
	if (bsp) {
		/* virtual wire: the 8259 through LINT0, NMI on LINT1 (as the KVM backend sets up) */
		a->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
		a->lvt[LVT_LINT1] = APIC_DM_NMI << 8;
	}
	a->shift = divide_shift(0);
	a->next = NEVER;
}

void lapic_init_reset(struct lapic *a)
{
	uint64_t base = a->base;
	uint32_t id = a->id;
	lapic_init(a, a->bus, a->index, base & APIC_BASE_BSP);
	a->base = base;
	a->id = id;
}

bool lapic_hw_enabled(const struct lapic *a) { return a->base & APIC_BASE_EN; }
bool lapic_x2apic(const struct lapic *a)
{
	return (a->base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}
bool lapic_sw_enabled(const struct lapic *a) { return a->svr & LAPIC_SVR_ENABLE; }
uint64_t lapic_base(const struct lapic *a) { return a->base; }

uint64_t lapic_mmio_page(const struct lapic *a)
{
	if (!lapic_hw_enabled(a) || lapic_x2apic(a))
		return NEVER;
	return a->base & APIC_BASE_ADDR;
}

static uint32_t x2apic_ldr(uint32_t id) { return ((id >> 4) << 16) | (1u << (id & 15)); }

int lapic_set_base(struct lapic *a, uint64_t v, uint64_t now)
{
	(void)now;
	if (v & ~(APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP))
		return -1;
	bool en = v & APIC_BASE_EN, extd = v & APIC_BASE_EXTD;
	bool was_en = lapic_hw_enabled(a), was_x2 = lapic_x2apic(a);
	if (extd && !en)
		return -1; /* invalid state */
	if (was_x2 && en && !extd)
		return -1; /* x2APIC -> xAPIC goes through disabled */
	if (!was_en && extd)
		return -1; /* disabled -> x2APIC goes through xAPIC */
	a->base = v;
	if (en && !was_en)
		a->id = a->index; /* the initial APIC ID again (KVM does the same) */
	if (extd && !was_x2) {
		a->id = a->index;
		a->ldr = x2apic_ldr(a->id);
	}
	return 0;
}

uint32_t lapic_ppr(const struct lapic *a)
{
	int isrv = highest(a->isr);
	uint32_t tpr = a->tpr & 0xff;
	if (isrv < 0 || (tpr & 0xf0) >= ((uint32_t)isrv & 0xf0))
		return tpr;
	return (uint32_t)isrv & 0xf0;
}

int lapic_deliverable(const struct lapic *a)
{
	if (!lapic_hw_enabled(a))
		return -1;
	int v = highest(a->irr);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (lapic_ppr(a) & 0xf0))
		return -1;
	return v;
}

int lapic_ack(struct lapic *a)
{
	int v = lapic_deliverable(a);
	if (v < 0)
		return -1;
	clear_bit(a->irr, (unsigned)v);
	set_bit(a->isr, (unsigned)v);
	return v;
}

bool lapic_accepts_pic(const struct lapic *a)
{
	uint32_t l = a->lvt[LVT_LINT0];
	return !lapic_hw_enabled(a) || (!(l & LAPIC_LVT_MASKED) && ((l >> 8) & 7) == APIC_DM_EXTINT);
}

/* Put a fixed interrupt in IRR (TMR says its trigger mode). */
static void set_irr(struct lapic *a, unsigned v, bool level)
{
	set_bit(a->irr, v);
	if (level)
		set_bit(a->tmr, v);
	else
		clear_bit(a->tmr, v);
}

void lapic_accept(struct lapic *a, const struct apic_msg *m)
{
	switch (m->mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (!lapic_hw_enabled(a) || !lapic_sw_enabled(a))
			return; /* a software-disabled APIC takes no fixed interrupts */
		if (m->deassert)
			return;                  /* a level de-assert message */
		set_irr(a, m->vector, m->level); /* vectors 0-15 too, as KVM */
		return;
	case APIC_DM_NMI: a->nmi_pending = true; return;
	case APIC_DM_INIT:
		if (!m->deassert)
			a->init_pending = true;
		return;
	case APIC_DM_SIPI:
		a->sipi_pending = true;
		a->sipi_vector = m->vector;
		return;
	case APIC_DM_EXTINT: a->extint_pending = true; return;
	default: return; /* SMI and the reserved modes: nothing */
	}
}

bool lapic_match(const struct lapic *a, const struct apic_msg *m)
{
	uint32_t bcast = m->wide ? 0xffffffffu : 0xffu;
	if (m->dest == bcast)
		return true;
	if (!m->logical) {
		if (lapic_x2apic(a) || m->wide)
			return m->dest == a->id;
		return (m->dest & 0xff) == (a->id & 0xff);
	}
	if (lapic_x2apic(a))
		return (m->dest >> 16) == (a->ldr >> 16) && (m->dest & a->ldr & 0xffff);
	uint32_t mda = m->dest & 0xff, lda = a->ldr >> 24;
	if ((a->dfr >> 28) == 0xf) /* flat model */
		return (mda & lda) != 0;
	return (mda >> 4) == (lda >> 4) && (mda & lda & 0xf); /* cluster model */
}

/* A local interrupt from LVT entry i (the timer, the error LVT...). */
static void local_deliver(struct lapic *a, unsigned i)
{
	uint32_t l = a->lvt[i];
	if (l & LAPIC_LVT_MASKED || !lapic_hw_enabled(a))
		return;
	struct apic_msg m = { .vector = (uint8_t)l, .mode = (uint8_t)((l >> 8) & 7), .src = (int)a->index };
	if (i == LVT_TIMER || i == LVT_ERROR)
		m.mode = APIC_DM_FIXED;
	else
		m.level = (l & LAPIC_LVT_LEVEL) && m.mode == APIC_DM_FIXED;
	lapic_accept(a, &m);
}

/* ---- timer ---- */

static uint64_t period_ns(const struct lapic *a) { return ((uint64_t)a->icr * LAPIC_BUS_NS) << a->shift; }

static uint32_t current_count(const struct lapic *a, uint64_t now)
{
	if (timer_mode(a) == LAPIC_TIMER_TSC_DEADLINE || !a->icr || now < a->start)
		return timer_mode(a) == LAPIC_TIMER_TSC_DEADLINE ? 0 : a->icr;
	uint64_t ticks = ((now - a->start) / LAPIC_BUS_NS) >> a->shift;
	if (timer_mode(a) == LAPIC_TIMER_PERIODIC)
		return a->icr - (uint32_t)(ticks % a->icr);
	return ticks >= a->icr ? 0 : a->icr - (uint32_t)ticks;
}

/* A periodic count that wrapped since start: move start to the latest reload. */
static void periodic_rebase(struct lapic *a, uint64_t now)
{
	uint64_t p = period_ns(a);
	if (!p || now < a->start)
		return;
	a->start += (now - a->start) / p * p;
	a->next = a->start + p;
}

static void tsc_deadline_arm(struct lapic *a)
{
	if (!a->tsc_deadline)
		a->next = NEVER;
	else
		a->next = a->tsc_deadline > a->tsc_offset ? a->tsc_deadline - a->tsc_offset : 0;
}

static void write_lvt_timer(struct lapic *a, uint64_t now, uint32_t v)
{
	unsigned old = timer_mode(a);
	a->lvt[LVT_TIMER] = v;
	unsigned mode = timer_mode(a);
	if ((old == LAPIC_TIMER_TSC_DEADLINE) != (mode == LAPIC_TIMER_TSC_DEADLINE)) {
		/* into or out of TSC-deadline mode: the timer is disarmed */
		a->icr = 0;
		a->tsc_deadline = 0;
		a->next = NEVER;
	} else if (old == LAPIC_TIMER_PERIODIC && mode != LAPIC_TIMER_PERIODIC && a->next != NEVER) {
		periodic_rebase(a, now); /* a one-shot count from the current value */
	}
}

static void write_dcr(struct lapic *a, uint64_t now, uint32_t v)
{
	if (timer_mode(a) == LAPIC_TIMER_PERIODIC && a->next != NEVER)
		periodic_rebase(a, now);
	unsigned shift = divide_shift(v);
	if (a->next != NEVER && timer_mode(a) != LAPIC_TIMER_TSC_DEADLINE && now >= a->start) {
		/* go on from the current count at the new rate */
		uint64_t ticks = ((now - a->start) / LAPIC_BUS_NS) >> a->shift;
		a->start = now - ((ticks * LAPIC_BUS_NS) << shift);
		a->shift = shift;
		a->next = a->start + period_ns(a);
	}
	a->dcr = v & 0xb;
	a->shift = shift;
}

static void write_icr_timer(struct lapic *a, uint64_t now, uint32_t v)
{
	if (timer_mode(a) == LAPIC_TIMER_TSC_DEADLINE)
		return; /* ignored in TSC-deadline mode */
	a->icr = v;
	a->start = now;
	a->next = v ? now + period_ns(a) : NEVER;
}

void lapic_advance(struct lapic *a, uint64_t now)
{
	if (a->next > now)
		return;
	switch (timer_mode(a)) {
	case LAPIC_TIMER_TSC_DEADLINE:
		a->tsc_deadline = 0;
		a->next = NEVER;
		break;
	case LAPIC_TIMER_PERIODIC: periodic_rebase(a, now); break;
	default: a->next = NEVER; break;
	}
	local_deliver(a, LVT_TIMER);
}

uint64_t lapic_next_deadline(const struct lapic *a) { return a->next; }

void lapic_set_tsc_offset(struct lapic *a, uint64_t offset, uint64_t now)
{
	(void)now;
	a->tsc_offset = offset;
	if (timer_mode(a) == LAPIC_TIMER_TSC_DEADLINE)
		tsc_deadline_arm(a);
}

/* ---- registers ---- */

static void eoi(struct lapic *a)
{
	int v = highest(a->isr);
	if (v < 0)
		return;
	clear_bit(a->isr, (unsigned)v);
	if (test_bit(a->tmr, (unsigned)v) && a->bus)
		irq_apic_eoi(a->bus, (uint8_t)v);
}

static void send_ipi(struct lapic *a, uint32_t lo, uint32_t dest, bool wide)
{
	struct apic_msg m = {
		.dest = dest,
		.vector = (uint8_t)lo,
		.mode = (uint8_t)((lo >> 8) & 7),
		.logical = lo & LAPIC_ICR_LOGICAL,
		.level = lo & LAPIC_ICR_LEVEL,
		.wide = wide,
		.shorthand = (uint8_t)((lo >> LAPIC_ICR_SHORTHAND_SHIFT) & 3),
		.src = (int)a->index,
	};
	m.deassert = m.level && !(lo & LAPIC_ICR_ASSERT); /* (only INIT has a use for it) */
	if (a->bus)
		irq_apic_send(a->bus, &m);
	else if (m.shorthand == APIC_DEST_SELF || m.shorthand == APIC_DEST_ALL || lapic_match(a, &m))
		lapic_accept(a, &m); /* alone, without a router (unit tests) */
}

static void write_svr(struct lapic *a, uint32_t v)
{
	a->svr = v & 0x3ff;
	if (!lapic_sw_enabled(a))
		for (unsigned i = 0; i < LAPIC_NLVT; i++)
			a->lvt[i] |= LAPIC_LVT_MASKED;
}

static void write_lvt(struct lapic *a, uint64_t now, unsigned i, uint32_t v)
{
	v &= lvt_writable[i];
	if (!lapic_sw_enabled(a))
		v |= LAPIC_LVT_MASKED;
	if (i == LVT_TIMER)
		write_lvt_timer(a, now, v);
	else
		a->lvt[i] = v;
}

/* Register reg (an offset, 16-aligned) as both modes read it; false: none. */
static bool reg_read(struct lapic *a, uint64_t now, unsigned reg, uint32_t *v)
{
	bool x2 = lapic_x2apic(a);
	switch (reg) {
	case LAPIC_ID: *v = x2 ? a->id : a->id << 24; return true;
	case LAPIC_LVR: *v = LAPIC_VERSION; return true;
	case LAPIC_TPR: *v = a->tpr; return true;
	case LAPIC_PPR: *v = lapic_ppr(a); return true;
	case LAPIC_LDR: *v = a->ldr; return true;
	case LAPIC_SVR: *v = a->svr; return true;
	case LAPIC_ESR: *v = a->esr; return true;
	case LAPIC_ICR_LO: *v = a->icr_lo; return true;
	case LAPIC_TIMER_ICR: *v = a->icr; return true;
	case LAPIC_TIMER_CCR: *v = current_count(a, now); return true;
	case LAPIC_TIMER_DCR: *v = a->dcr; return true;
	case LAPIC_APR:
	case LAPIC_EOI:
	case LAPIC_RRD: *v = 0; return !x2; /* xAPIC only; EOI is write-only */
	case LAPIC_DFR: *v = a->dfr; return !x2;
	case LAPIC_ICR_HI: *v = a->icr_hi; return !x2;
	}
	if (reg >= LAPIC_ISR && reg < LAPIC_ISR + 0x80) {
		*v = a->isr[(reg - LAPIC_ISR) >> 4];
		return true;
	}
	if (reg >= LAPIC_TMR && reg < LAPIC_TMR + 0x80) {
		*v = a->tmr[(reg - LAPIC_TMR) >> 4];
		return true;
	}
	if (reg >= LAPIC_IRR && reg < LAPIC_IRR + 0x80) {
		*v = a->irr[(reg - LAPIC_IRR) >> 4];
		return true;
	}
	if (reg >= LAPIC_LVT_TIMER && reg <= LAPIC_LVT_ERROR) {
		*v = a->lvt[(reg - LAPIC_LVT_TIMER) >> 4];
		return true;
	}
	return false;
}

/* A write both modes share (not ID, LDR, DFR, ICR, ESR, SELF IPI); false: not one. */
static bool reg_write_common(struct lapic *a, uint64_t now, unsigned reg, uint32_t v)
{
	switch (reg) {
	case LAPIC_TPR: a->tpr = v & 0xff; return true;
	case LAPIC_EOI: eoi(a); return true;
	case LAPIC_SVR: write_svr(a, v); return true;
	case LAPIC_TIMER_ICR: write_icr_timer(a, now, v); return true;
	case LAPIC_TIMER_DCR: write_dcr(a, now, v); return true;
	}
	if (reg >= LAPIC_LVT_TIMER && reg <= LAPIC_LVT_ERROR) {
		write_lvt(a, now, (reg - LAPIC_LVT_TIMER) >> 4, v);
		return true;
	}
	return false;
}

static void esr_write(struct lapic *a)
{
	a->esr = a->esr_pending;
	a->esr_pending = 0;
}

uint64_t lapic_mmio_read(struct lapic *a, uint64_t now, unsigned offset, unsigned size)
{
	unsigned reg = offset & 0xff0, align = offset & 0xf;
	uint32_t v;
	if (align + size > 4 || !reg_read(a, now, reg, &v))
		return 0;
	v >>= 8 * align;
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

void lapic_mmio_write(struct lapic *a, uint64_t now, unsigned offset, unsigned size, uint64_t value)
{
	if (size != 4 || (offset & 0xf))
		return;
	uint32_t v = (uint32_t)value;
	unsigned reg = offset & 0xff0;
	switch (reg) {
	case LAPIC_ID: a->id = v >> 24; return;
	case LAPIC_LDR: a->ldr = v & 0xff000000u; return;
	case LAPIC_DFR: a->dfr = v | 0x0fffffffu; return;
	case LAPIC_ESR: esr_write(a); return;
	case LAPIC_ICR_HI: a->icr_hi = v & 0xff000000u; return;
	case LAPIC_ICR_LO:
		a->icr_lo = v & ~ICR_BUSY;
		send_ipi(a, a->icr_lo, a->icr_hi >> 24, false);
		return;
	}
	reg_write_common(a, now, reg, v);
}

bool lapic_owns_msr(uint32_t msr)
{
	return msr == MSR_IA32_TSC_DEADLINE || (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

int lapic_msr_read(struct lapic *a, uint64_t now, uint32_t msr, uint64_t *v)
{
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*v = lapic_hw_enabled(a) && timer_mode(a) == LAPIC_TIMER_TSC_DEADLINE ? a->tsc_deadline : 0;
		return 0;
	}
	if (!lapic_x2apic(a))
		return -1;
	unsigned reg = (msr - MSR_X2APIC_FIRST) << 4;
	if (reg == LAPIC_ICR_LO) {
		*v = (uint64_t)a->icr_hi << 32 | a->icr_lo;
		return 0;
	}
	uint32_t r;
	if (!reg_read(a, now, reg, &r))
		return -1;
	*v = r;
	return 0;
}

int lapic_msr_write(struct lapic *a, uint64_t now, uint32_t msr, uint64_t v)
{
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (lapic_hw_enabled(a) && timer_mode(a) == LAPIC_TIMER_TSC_DEADLINE) {
			a->tsc_deadline = v;
			tsc_deadline_arm(a);
		}
		return 0;
	}
	if (!lapic_x2apic(a))
		return -1;
	unsigned reg = (msr - MSR_X2APIC_FIRST) << 4;
	if (reg == LAPIC_ICR_LO) {
		if ((uint32_t)v & X2APIC_ICR_RESERVED)
			return -1;
		a->icr_lo = (uint32_t)v & ~ICR_BUSY;
		a->icr_hi = (uint32_t)(v >> 32);
		send_ipi(a, a->icr_lo, a->icr_hi, true);
		return 0;
	}
	if (v >> 32)
		return -1; /* every other x2APIC register is 32 bits wide */
	uint32_t w = (uint32_t)v;
	switch (reg) {
	case LAPIC_ESR:
		if (w)
			return -1;
		esr_write(a);
		return 0;
	case LAPIC_SELF_IPI:
		if (w >> 8)
			return -1; /* only a vector */
		send_ipi(a, w | (APIC_DEST_SELF << LAPIC_ICR_SHORTHAND_SHIFT), 0, true);
		return 0;
	}
	return reg_write_common(a, now, reg, w) ? 0 : -1;
}

unsigned lapic_cr8(const struct lapic *a) { return (a->tpr >> 4) & 15; }

void lapic_set_cr8(struct lapic *a, unsigned v) { a->tpr = (v & 15) << 4; }
