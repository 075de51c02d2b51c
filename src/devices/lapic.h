/*
 * lapic.h - one CPU's local APIC (xAPIC and x2APIC), for backends without
 * an in-kernel interrupt controller.
 *
 * The register model follows the Intel SDM vol. 3 ch. 10 (11 in newer
 * editions), and where the SDM leaves a choice it is KVM's in-kernel APIC,
 * the reference RAX compares against: version 0x50014 (version 0x14, six
 * LVT entries: timer, thermal, PMC, LINT0, LINT1, error), no directed EOI,
 * and the reset state KVM gives a BSP (ID = CPU index, SVR 0xFF: software
 * disabled, LVT LINT0 ExtINT and LVT LINT1 NMI unmasked as RAX's KVM
 * backend programs them, every other LVT masked).
 *
 * xAPIC: 4 KiB of registers at the base in IA32_APIC_BASE (relocatable;
 * the CPU routes its own accesses there, lapic_mmio_read/write). x2APIC
 * (IA32_APIC_BASE.EXTD): MSRs 0x800-0x8FF instead, with 32-bit IDs, the
 * ICR as one MSR, the SELF IPI MSR and #GP for reserved, read-only and
 * write-only registers (lapic_msr_read/write). CR8 is TPR[7:4].
 *
 * Priorities: PPR = TPR when TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4;
 * the highest IRR vector is delivered only when its class is above PPR's,
 * so an interrupt waits while one of the same or a higher class is in
 * service. EOI retires the highest ISR vector; a level-triggered one (TMR)
 * is broadcast to the I/O APIC (irq_apic_eoi).
 *
 * Timer: one-shot, periodic and TSC-deadline (IA32_TSC_DEADLINE, 0x6E0) on
 * the guest time the caller passes in. The APIC bus clock is 1 GHz, as
 * KVM's default (one count per LAPIC_BUS_NS nanosecond times the divide),
 * and the TSC is guest time plus the CPU's TSC offset.
 *
 * Every function is called from the CPU thread; `now` is guest time in ns.
 */
#ifndef RAX_LAPIC_H
#define RAX_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct irq_router;

#define LAPIC_VERSION 0x00050014u /* version 0x14, max LVT entry 5 (KVM's) */
#define LAPIC_BUS_NS 1            /* one APIC bus clock: 1 ns (KVM's default) */
#define LAPIC_NLVT 6

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + offset / 16. */
enum {
	LAPIC_ID = 0x020,
	LAPIC_LVR = 0x030,
	LAPIC_TPR = 0x080,
	LAPIC_APR = 0x090,
	LAPIC_PPR = 0x0a0,
	LAPIC_EOI = 0x0b0,
	LAPIC_RRD = 0x0c0,
	LAPIC_LDR = 0x0d0,
	LAPIC_DFR = 0x0e0,
	LAPIC_SVR = 0x0f0,
	LAPIC_ISR = 0x100, /* 8 registers, 0x10 apart */
	LAPIC_TMR = 0x180,
	LAPIC_IRR = 0x200,
	LAPIC_ESR = 0x280,
	LAPIC_ICR_LO = 0x300,
	LAPIC_ICR_HI = 0x310,
	LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_THERMAL = 0x330,
	LAPIC_LVT_PMC = 0x340,
	LAPIC_LVT_LINT0 = 0x350,
	LAPIC_LVT_LINT1 = 0x360,
	LAPIC_LVT_ERROR = 0x370,
	LAPIC_TIMER_ICR = 0x380,
	LAPIC_TIMER_CCR = 0x390,
	LAPIC_TIMER_DCR = 0x3e0,
	LAPIC_SELF_IPI = 0x3f0, /* x2APIC only */
};

/* LVT indexes (offset - LAPIC_LVT_TIMER) / 16 */
enum { LVT_TIMER, LVT_THERMAL, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR };

/* Delivery modes (ICR, LVT and I/O APIC bits 10:8) */
enum {
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_SIPI = 6,
	APIC_DM_EXTINT = 7,
};

#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_LVT_LEVEL (1u << 15)
#define LAPIC_TIMER_MODE_SHIFT 17 /* LVT timer bits 18:17 */
enum { LAPIC_TIMER_ONESHOT = 0, LAPIC_TIMER_PERIODIC = 1, LAPIC_TIMER_TSC_DEADLINE = 2 };
#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_SVR_FOCUS_OFF (1u << 9)
#define LAPIC_ICR_LOGICAL (1u << 11)
#define LAPIC_ICR_ASSERT (1u << 14)
#define LAPIC_ICR_LEVEL (1u << 15)
#define LAPIC_ICR_SHORTHAND_SHIFT 18

/* IA32_APIC_BASE */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_ADDR 0x000000fffffff000ull /* 40 physical address bits (CPUID 0x80000008) */
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff

/* Destination shorthands (ICR bits 19:18) */
enum { APIC_DEST_NONE, APIC_DEST_SELF, APIC_DEST_ALL, APIC_DEST_OTHERS };

/* One interrupt message on the APIC bus: an IPI or an I/O APIC redirection. */
struct apic_msg {
	uint32_t dest; /* APIC ID (physical) or message destination address (logical) */
	uint8_t vector;
	uint8_t mode; /* APIC_DM_* */
	bool logical;
	bool level;        /* level-triggered (sets TMR; EOI is broadcast) */
	bool deassert;     /* a level de-assert (ICR level set, assert clear): no effect */
	bool wide;         /* 32-bit destination from an x2APIC ICR (0xFFFFFFFF broadcasts) */
	uint8_t shorthand; /* APIC_DEST_* */
	int src;           /* sending CPU (shorthands), -1: the I/O APIC */
};

struct lapic {
	struct irq_router *bus; /* where IPIs and EOI broadcasts go */
	unsigned index;         /* CPU index; the initial APIC ID */
	uint64_t base;          /* IA32_APIC_BASE */
	uint32_t id;            /* x2APIC: the 32-bit ID; xAPIC: ID register bits 31:24 >> 24 */
	uint32_t tpr, svr, ldr, dfr;
	uint32_t esr, esr_pending; /* ESR (reads what was pending at its last write) */
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LAPIC_NLVT];
	uint32_t irr[8], isr[8], tmr[8];
	/* the timer */
	uint32_t icr;          /* initial count */
	uint32_t dcr;          /* divide configuration */
	unsigned shift;        /* log2 of the divide */
	uint64_t start;        /* guest ns at which the count was last (re)loaded */
	uint64_t next;         /* guest ns of the next expiry, UINT64_MAX: none */
	uint64_t tsc_deadline; /* IA32_TSC_DEADLINE, 0: disarmed */
	uint64_t tsc_offset;   /* TSC = guest ns + tsc_offset (kept by the CPU) */
	/* events for the CPU other than fixed interrupts */
	bool nmi_pending, init_pending, sipi_pending, extint_pending;
	uint8_t sipi_vector;
};

/* Power-up state of CPU `index` (the BSP when bsp), on bus. */
void lapic_init(struct lapic *a, struct irq_router *bus, unsigned index, bool bsp);

/* INIT (an INIT IPI): every register back to its power-up value but the
 * APIC ID and IA32_APIC_BASE (SDM 10.4.7.3). Pending events are dropped. */
void lapic_init_reset(struct lapic *a);

/* IA32_APIC_BASE: the value; a write returns -1 where WRMSR raises #GP
 * (reserved bits, EXTD without EN, x2APIC -> xAPIC, disabled -> x2APIC). */
uint64_t lapic_base(const struct lapic *a);
int lapic_set_base(struct lapic *a, uint64_t v, uint64_t now);
/* Globally enabled (IA32_APIC_BASE.EN) / in x2APIC mode / software enabled. */
bool lapic_hw_enabled(const struct lapic *a);
bool lapic_x2apic(const struct lapic *a);
bool lapic_sw_enabled(const struct lapic *a);
/* Guest-physical page of the xAPIC registers, UINT64_MAX when there is
 * none (disabled, or x2APIC mode). */
uint64_t lapic_mmio_page(const struct lapic *a);

/* xAPIC MMIO at offset (0-0xFFF) in the page; size 1, 2, 4 or 8. Reads of
 * a register's low dword in pieces work, writes other than 4-byte aligned
 * dwords are dropped; unknown registers read 0. */
uint64_t lapic_mmio_read(struct lapic *a, uint64_t now, unsigned offset, unsigned size);
void lapic_mmio_write(struct lapic *a, uint64_t now, unsigned offset, unsigned size, uint64_t v);

/* MSRs the local APIC owns: 0x800-0x8FF (x2APIC) and IA32_TSC_DEADLINE.
 * lapic_owns_msr() says whether msr is one; read/write return -1 for #GP. */
bool lapic_owns_msr(uint32_t msr);
int lapic_msr_read(struct lapic *a, uint64_t now, uint32_t msr, uint64_t *v);
int lapic_msr_write(struct lapic *a, uint64_t now, uint32_t msr, uint64_t v);

/* CR8: TPR[7:4]. */
unsigned lapic_cr8(const struct lapic *a);
void lapic_set_cr8(struct lapic *a, unsigned v);

/* The TSC offset of the CPU changed (WRMSR TSC): TSC-deadline follows. */
void lapic_set_tsc_offset(struct lapic *a, uint64_t offset, uint64_t now);

/* Interrupt side: a message from the bus for this APIC (already matched). */
void lapic_accept(struct lapic *a, const struct apic_msg *m);
/* Does the message's destination name this APIC (no shorthand)? */
bool lapic_match(const struct lapic *a, const struct apic_msg *m);
/* The highest IRR vector whose class is above PPR, or -1. */
int lapic_deliverable(const struct lapic *a);
/* Interrupt acknowledge: IRR -> ISR for lapic_deliverable()'s vector;
 * returns it (-1: none). */
int lapic_ack(struct lapic *a);
/* The processor priority (PPR) and the arbitration priority lowest-
 * priority delivery compares. */
uint32_t lapic_ppr(const struct lapic *a);
/* The 8259's INTR reaches the CPU through LINT0: the APIC is globally
 * disabled, or LVT LINT0 is unmasked ExtINT (KVM's rule). */
bool lapic_accepts_pic(const struct lapic *a);

/* The timer: raise what became due by now; the next expiry (UINT64_MAX: none). */
void lapic_advance(struct lapic *a, uint64_t now);
uint64_t lapic_next_deadline(const struct lapic *a);

#endif
