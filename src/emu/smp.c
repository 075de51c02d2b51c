/*
 * smp.c - several CPUs on the interpreter's one host thread.
 *
 * The CPUs take turns in a fixed order, each for a slice of at most
 * EMU_SMP_QUANTUM instructions (cut short by HLT, PAUSE, INIT, or a stop),
 * so a run is exactly reproducible: the same instructions in the same order
 * and the same bytes every time. Every instruction is therefore atomic and
 * memory sequentially consistent, which is what LOCK and x86 ordering
 * promise and more.
 *
 * Time. The machine has one virtual clock: a slice starts at the time the
 * previous one ended and each instruction retired advances it one
 * nanosecond, whichever CPU retires it; so each CPU runs at 1 GHz divided
 * by the number of CPUs running, and the clock, the TSC every CPU reads and
 * the device timers never go backwards. A CPU's own now = icount + idle_ns,
 * and its idle_ns is set at the start of its slice so that now is the
 * machine's. When no CPU can run, time jumps to the next timer deadline as
 * for one CPU (emu_idle), or follows the wall clock with --clock realtime.
 *
 * States. The BSP starts running; application processors start waiting for
 * a SIPI, as after power-up. HLT makes a CPU halted until an event it takes
 * (an NMI, INIT, or an interrupt with IF=1). INIT puts an AP back into
 * wait-for-SIPI with its registers and local APIC reset (SDM 9.1.1, Table
 * 9-1; x87/SSE/AVX state and XCR0 kept); a SIPI then starts it in real mode at
 * vector << 12 (CS = vector << 8, IP = 0). The BSP ignores INIT: there is
 * no firmware at the reset vector for it to restart in. When every CPU is
 * halted with interrupts off or waits for a SIPI, the machine is off: the
 * run ends as a halt with IF=0 does on one CPU.
 *
 * Events. Lines raised from other threads zero every CPU's event_at;
 * IPIs and I/O APIC messages land in the target's local APIC, which the
 * target looks at first thing in its slice.
 */
#include "backend.h"
#include "cpuid_model.h"
#include "devices/devices.h"
#include "devices/irq.h"
#include "devices/lapic.h"
#include "emu/legacy.h"
#include "vm.h"

_Static_assert(RAX_MAX_CPUS <= EMU_MAX_CPUS, "struct emu_smp holds every CPU");

/* Instructions a CPU runs before the next one's turn. A spinning CPU gives
 * its turn up at PAUSE, so a lock holder gets to run soon. */
#define EMU_SMP_QUANTUM 4096

/* INIT: the power-up state but x87/SSE, a reset local APIC, wait-for-SIPI. */
static void take_init(struct emu_cpu *c)
{
	struct rax_cpu_state s;
	cpu_state_reset(&s);
	s.fpu = c->s.fpu;   /* x87, SSE and the YMM upper halves stay */
	s.xcr0 = c->s.xcr0; /* so does XCR0 (SDM Table 9-1) */
	uint32_t sig[4];
	cpuid_model_query_level(c->level, 1, 0, sig);
	s.gpr[RAX_REG_RDX] = sig[0]; /* family, model, stepping */
	s.seg[RAX_SEG_CS].base = 0;  /* no reset vector for an AP: it waits */
	s.rip = 0;
	lapic_init_reset(c->apic);
	s.apic_base = lapic_base(c->apic);
	emu_load_state(c, &s);
	c->nmi_blocked = false;
	c->shadow_until = 0;
	c->cur_exc = -1;
	c->state = EMU_CPU_WAIT_SIPI;
}

/* SIPI: real mode at vector << 12. */
static void take_sipi(struct emu_cpu *c, uint8_t vector)
{
	struct rax_segment *cs = &c->s.seg[RAX_SEG_CS];
	cs->selector = (uint16_t)(vector << 8);
	cs->base = (uint64_t)vector << 12;
	c->rip = 0;
	emu_update_mode(c);
	c->block_break = true;
	c->state = EMU_CPU_RUNNING;
}

bool emu_smp_init_sipi(struct emu_cpu *c, unsigned ev)
{
	uint8_t vector = c->apic->sipi_vector;
	bool changed = false;
	if (ev & IRQ_EV_INIT) {
		irq_cpu_clear(c->irq, c->cpu_index, IRQ_EV_INIT);
		if (c->smp && c->cpu_index != 0) {
			take_init(c);
			changed = true;
		}
	}
	if (ev & IRQ_EV_SIPI) {
		irq_cpu_clear(c->irq, c->cpu_index, IRQ_EV_SIPI);
		if (c->state == EMU_CPU_WAIT_SIPI) { /* elsewhere a SIPI is dropped */
			take_sipi(c, vector);
			changed = true;
		}
	}
	if (changed)
		c->exit_req = EMU_EXIT_YIELD;
	return changed;
}

/* Can c run a slice now? Takes INIT and SIPI; a halted CPU wakes for an
 * event it would take. */
static bool runnable(struct emu_cpu *c)
{
	unsigned ev = irq_cpu_events(c->irq, c->cpu_index);
	if (ev & (IRQ_EV_INIT | IRQ_EV_SIPI))
		emu_smp_init_sipi(c, ev);
	if (c->state == EMU_CPU_HALTED &&
	    (((ev & IRQ_EV_NMI) && !c->nmi_blocked) || ((ev & IRQ_EV_INTR) && (c->rflags & RFLAGS_IF))))
		c->state = EMU_CPU_RUNNING;
	return c->state == EMU_CPU_RUNNING;
}

/* The next CPU in turn after the last one that can run, NULL for none. */
static struct emu_cpu *next_cpu(struct emu_smp *m)
{
	for (unsigned k = 1; k <= m->n; k++) {
		struct emu_cpu *c = m->cpu[(m->last + k) % m->n];
		if (runnable(c))
			return c;
	}
	return NULL;
}

/* Could an interrupt still wake some CPU (one halted with IF=1)? */
static bool wakeable(const struct emu_smp *m)
{
	for (unsigned k = 0; k < m->n; k++)
		if (m->cpu[k]->state == EMU_CPU_HALTED && (m->cpu[k]->rflags & RFLAGS_IF))
			return true;
	return false;
}

/* emu_idle's question while no CPU runs: devices to c's time, then can one? */
static bool smp_woken(struct emu_cpu *c)
{
	devices_advance(c->vm, emu_now_ns(c));
	irq_sync(c->irq);
	for (unsigned k = 0; k < c->smp->n; k++)
		if (runnable(c->smp->cpu[k]))
			return true;
	return false;
}

/*
 * Run c's slice (set up by the caller); true when the run must end with
 * *ex. A slice cut short by a stop (vm->stop, the debugger, a machine
 * count) is resumed by the next emu_smp_run as it was: the machine's time
 * and turn are left as the slice found them, as if it had not stopped.
 */
static bool smp_slice(struct emu_smp *m, struct emu_cpu *c, struct rax_exit *ex)
{
	emu_run_loop(c, false, ex);
	unsigned k = (unsigned)ex->kind;
	if (k == EMU_EXIT_TARGET || k == RAX_EXIT_STOP || k == RAX_EXIT_DEBUG) {
		m->resume = c;
		ex->cpu = c->cpu_index;
		return true;
	}
	m->now = emu_now_ns(c);
	m->last = c->cpu_index;
	if (k == EMU_EXIT_YIELD || k == RAX_EXIT_NONE)
		return false;
	ex->cpu = c->cpu_index; /* vm_run names it */
	return true;
}

void emu_smp_run(struct emu_smp *m, struct rax_exit *ex)
{
	struct rax_vm *vm = m->cpu[0]->vm;
	for (;;) {
		if (vm->stop) {
			*ex = (struct rax_exit){ .kind = RAX_EXIT_STOP, .rip = m->cpu[0]->rip };
			return;
		}
		if (vm->debug_req) { /* the debugger's stop, between two slices */
			*ex = (struct rax_exit){ .kind = RAX_EXIT_DEBUG,
						 .why = RAX_DEBUG_INTERRUPT,
						 .rip = m->cpu[m->last]->rip,
						 .cpu = m->last };
			return;
		}
		/* a run to a machine count (history.c) ends between two instructions */
		uint64_t total = 0;
		for (unsigned k = 0; m->stop_total != UINT64_MAX && k < m->n; k++)
			total += m->cpu[k]->icount;
		if (m->stop_total != UINT64_MAX && total >= m->stop_total) {
			*ex = (struct rax_exit){ .kind = (enum rax_exit_kind)EMU_EXIT_TARGET, .rip = m->cpu[0]->rip };
			return;
		}
		if (m->resume) { /* a slice a stop cut short goes on as if never stopped */
			struct emu_cpu *c = m->resume;
			m->resume = NULL;
			c->stop_at = m->stop_total == UINT64_MAX ? UINT64_MAX : c->icount + (m->stop_total - total);
			emu_set_limits(c);
			if (smp_slice(m, c, ex))
				return;
			continue;
		}
		struct emu_cpu *c = next_cpu(m);
		if (!c) {
			c = m->cpu[m->last];
			if (!wakeable(m)) { /* every CPU halted with IF=0 or waiting for a SIPI: off */
				*ex = (struct rax_exit){ .kind = RAX_EXIT_HLT, .rip = m->cpu[0]->rip };
				return;
			}
			c->exit_req = 0;
			emu_idle(c, smp_woken);
			m->now = emu_now_ns(c);
			continue;
		}
		/* the slice: from the machine's time, looking at events first */
		c->idle_ns = m->now - c->icount;
		atomic_store_explicit(&c->event_at, 0, memory_order_relaxed);
		c->slice_end = c->icount + EMU_SMP_QUANTUM;
		if (c->next_stop_poll > c->slice_end)
			c->next_stop_poll = c->slice_end;
		c->stop_at = m->stop_total == UINT64_MAX ? UINT64_MAX : c->icount + (m->stop_total - total);
		emu_set_limits(c);
		if (smp_slice(m, c, ex))
			return;
	}
}
