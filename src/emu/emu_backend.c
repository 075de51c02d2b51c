/*
 * emu_backend.c - the interpreter as a RAX backend (rax_emu_backend) and the
 * fetch-decode-dispatch loop.
 *
 * The loop sets up one setjmp per run() call; faults longjmp back to it and
 * are delivered (or end the run on a triple fault), then execution goes on.
 * Handlers are called through a table built from opcodes.def, or through the
 * fast ops of the threaded block runner (fastpath.c). A step is one
 * instruction, run by that same block runner as a block of one (so step()
 * executes the code run() executes): a faulting instruction is a step that
 * ends at the handler's first instruction, and a TF trap is delivered within
 * the step that caused it. Protected, compatibility and 64-bit mode are
 * emulated (decoded blocks belong to one code mode: emu_update_mode flushes
 * them on a change); real mode runs as 16-bit code (realmode.c), virtual-8086
 * mode ends the run.
 */
#include "emu/emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "backend.h"
#include "devices/devices.h"
#include "devices/irq.h"
#include "devices/lapic.h"
#include "emu/cpu.h"
#include "emu/emu_gdb.h"
#include "emu/insn/handlers.h"
#include "emu/fastpath.h"
#include "emu/history.h"
#include "emu/jit/jit.h"
#include "emu/trace.h"
#include "emu/plant.h"
#include "layout.h"
#include "vm.h"

/* Handlers by row (handlers.h); also used by the fast path (fastpath.c). */
emu_handler_fn *const emu_handlers[] = {
	emu_h_ud,
#define OP(map, opc, reg, handler, mnem, operands, flags) emu_h_##handler,
#include "emu/opcodes.def"
#undef OP
};

_Static_assert(sizeof(emu_handlers) / sizeof(emu_handlers[0]) < 65536, "row index must fit uint16_t");

/* Check run-time stop requests about every this many instructions. */
#define STOP_POLL_INTERVAL 0x10000u

static struct emu_cpu *cpu_of(struct rax_vm *vm) { return vm->backend; }

unsigned emu_peek_code(struct emu_cpu *c, uint64_t rip, uint8_t *buf, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa, la = emu_code_linear(c, rip + i);
		if (!emu_canonical(la) || emu_translate(c, la, ACC_X, c->cpl == 3, true, &gpa) < 0)
			return i;
		buf[i] = (uint8_t)emu_phys_read(c, gpa, 1);
	}
	return n;
}

/* Decode one instruction that is not cached (page-crossing or outside RAM,
 * or the first of a block that does not decode): faults raise. */
static const struct emu_insn *decode_uncached(struct emu_cpu *c, const uint8_t *p, unsigned avail)
{
	enum emu_decode_status st = emu_decode_level(p, avail, c->dmode, c->level, &c->insn);
	if (st == EMU_DEC_MORE) {
		/* the instruction continues on the next page: fetch it (may #PF there) */
		uint8_t full[16];
		memcpy(full, p, avail);
		uint64_t next = emu_code_linear(c, c->rip + avail), gpa2;
		if (!emu_canonical(next))
			EMU_GP(c, 0);
		emu_translate(c, next, ACC_X, c->cpl == 3, false, &gpa2);
		for (unsigned i = avail; i < 15; i++)
			full[i] = (uint8_t)emu_phys_read(c, gpa2 + (i - avail), 1);
		st = emu_decode_level(full, 15, c->dmode, c->level, &c->insn);
	}
	if (st == EMU_DEC_UD)
		EMU_UD(c);
	if (st == EMU_DEC_GP)
		EMU_GP(c, 0);
	return &c->insn;
}

/*
 * The instructions starting at c->rip: a cached block, a newly decoded one,
 * or (page-crossing, outside RAM) a single instruction in c->one. Faults
 * raise. *n receives the count, *fop the fast-op numbers (NULL: none),
 * *blk the cached block (NULL: none).
 */
/* What fetch_block returns at a breakpoint: one instruction whose fast op
 * ends the run before it (emu_fast_break). */
static const struct emu_insn *break_block(unsigned *n, const uint8_t **fop)
{
	static const struct emu_insn none;
	*n = 1;
	*fop = emu_fast_break();
	return &none;
}

static const struct emu_insn *fetch_block(struct emu_cpu *c, unsigned *n, const uint8_t **fop, struct emu_block **blk)
{
	*blk = NULL;
	uint64_t la = emu_code_linear(c, c->rip);
	uint8_t buf[16];
	const uint8_t *p;
	uint64_t gpa;
	if (!emu_canonical(la))
		EMU_GP(c, 0);
	unsigned off = la & GUEST_PAGE_OFFSET, avail = GUEST_PAGE_SIZE - off;
	if (avail > 15)
		avail = 15;
	const struct emu_tlb_entry *e = &c->tlb[ACC_X][(la >> GUEST_PAGE_SHIFT) & (EMU_TLB_SIZE - 1)];
	uint64_t tag = (la & ~GUEST_PAGE_OFFSET) | ((uint64_t)(c->cpl == 3) << 1) | 1;
	if (__builtin_expect(e->fast == tag, 1)) {
		gpa = e->gpa | off;
		p = (const uint8_t *)(uintptr_t)(la + e->addend);
	} else {
		emu_translate(c, la, ACC_X, c->cpl == 3, false, &gpa);
		if (gpa + avail <= c->ram_size) {
			p = c->ram + gpa;
		} else {
			if (__builtin_expect(c->dbg.host_exec != 0, 0) && emu_dbg_host_break(c, la) > 0)
				return break_block(n, fop);
			for (unsigned i = 0; i < avail; i++)
				buf[i] = (uint8_t)emu_phys_read(c, gpa + i, 1);
			*n = 1;
			*fop = NULL;
			return decode_uncached(c, buf, avail);
		}
	}
	uint64_t pfn = gpa >> GUEST_PAGE_SHIFT;
	struct emu_block *b = &c->bcache[(gpa ^ (gpa >> EMU_BCACHE_BITS)) & (EMU_BCACHE_SIZE - 1)];
	if (__builtin_expect(b->tag == emu_btag(c, gpa) && b->gen == c->page_gen[pfn], 1)) {
		*n = b->n;
		*fop = b->fop;
		*blk = b;
		return b->insn;
	}
	if (b->tag && (b->tag & ~EMU_BTAG_KEY_MASK) == c->bc_epoch)
		c->chain_gen++; /* a live block goes: jit/jit.c's links to it must be checked again */
	/* decode a straight run within this page; with host execution
	 * breakpoints (debug.h) it ends before one, and a block that starts at
	 * one is not cached: it stops the run, or (passed once by a resumed
	 * run) is one instruction decoded for this time only */
	if (__builtin_expect(c->dbg.host_exec != 0, 0)) {
		int r = emu_dbg_host_break(c, la);
		if (r) {
			b->tag = 0;
			if (r > 0)
				return break_block(n, fop);
			*n = 1;
			*fop = NULL;
			return decode_uncached(c, p, avail);
		}
	}
	unsigned k = 0, pos = off;
	while (k < EMU_BLOCK_MAX && pos < GUEST_PAGE_SIZE) {
		if (__builtin_expect(c->dbg.host_exec != 0, 0) && k && emu_dbg_host_exec_at(c, la - off + pos))
			break;
		unsigned av = GUEST_PAGE_SIZE - pos < 15 ? GUEST_PAGE_SIZE - pos : 15;
		if (emu_decode_level(c->ram + (gpa & ~GUEST_PAGE_OFFSET) + pos, av, c->dmode, c->level, &b->insn[k]) !=
		    EMU_DEC_OK)
			break;
		pos += b->insn[k].len;
		b->fop[k] = emu_fast_select(c, &b->insn[k]);
		k++;
		if (emu_fast_leaves(b->fop[k - 1], &b->insn[k - 1]))
			break; /* a direct JMP/CALL elsewhere: what follows never runs here */
	}
	if (k == 0) {
		b->tag = 0;
		*n = 1;
		*fop = NULL;
		return decode_uncached(c, p, avail);
	}
	if (!emu_is_code_page(c, pfn))
		emu_mark_code_page(c, pfn);
	b->tag = emu_btag(c, gpa);
	b->gen = c->page_gen[pfn];
	b->n = (uint8_t)k;
	b->jit = NULL; /* a new block: its translation, if any, is gone with the old one */
	b->jit_hits = 0;
	*n = k;
	*fop = b->fop;
	*blk = b;
	return b->insn;
}

/*
 * Bring devices up to the current virtual time, deliver a pending external
 * interrupt when the CPU accepts one, and decide when to look again.
 * Returns true when an interrupt was delivered.
 */
static bool service_events(struct emu_cpu *c)
{
	struct rax_vm *vm = c->vm;
	uint64_t now = emu_now_ns(c);
	uint64_t next = UINT64_MAX;
	if (!vm) {
		c->ev_due = UINT64_MAX;
		c->armed_at = c->limit_at;
		atomic_store_explicit(&c->event_at, c->armed_at, memory_order_relaxed);
		return false;
	}
	devices_advance(vm, now); /* timers: PIT, RTC, local APIC timers */
	if (c->irq)
		irq_sync(c->irq); /* lines raised since last time, to the PIC and the I/O APIC */
	uint64_t dl = devices_next_deadline(vm);
	if (dl != UINT64_MAX)
		next = dl > now ? c->icount + (dl - now) : c->icount + 1;
	bool delivered = emu_take_interrupt(c, &next);
	/* a look asked for earlier still stands (from CPU state only, never
	 * from event_at, which other threads write) */
	if (c->ev_due > c->icount)
		next = next < c->ev_due ? next : c->ev_due;
	c->ev_due = next;
	c->armed_at = next < c->limit_at ? next : c->limit_at;
	atomic_store_explicit(&c->event_at, c->armed_at, memory_order_relaxed);
	/* a line raised from another thread meanwhile: look again at once */
	if (c->irq && irq_posted(c->irq))
		atomic_store_explicit(&c->event_at, 0, memory_order_relaxed);
	return delivered;
}

/* The host's monotonic clock in nanoseconds (--clock realtime). */
static uint64_t host_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * HLT with IF=1: wait for an interrupt. With the virtual clock, time jumps
 * to the next timer deadline, so idle costs nothing and runs stay
 * deterministic. With the realtime clock, idle time passes as fast as the
 * host's: the CPU sleeps on the host until the deadline comes on the wall
 * clock, and an interrupt from outside (console input) arrives at the
 * virtual time that corresponds to when it came. With no timer armed only
 * an outside event or a stop can wake the CPU; it sleeps in vm_idle_wait().
 * woken(c) brings the devices to c's time and says whether the wait is over
 * (one CPU: service_events, which delivers the interrupt; SMP: smp.c).
 */
void emu_idle(struct emu_cpu *c, bool (*woken)(struct emu_cpu *c))
{
	struct rax_vm *vm = c->vm;
	bool realtime = vm->cfg.clock == RAX_CLOCK_REALTIME;
	uint64_t v0 = emu_now_ns(c), w0 = realtime ? host_ns() : 0;
	for (;;) {
		atomic_store(&vm->idle, 1); /* before looking: a line raised from now on wakes us */
		if (c->hist)
			history_idle(c, false); /* logged (replay) or new console input, the logged wake time */
		if (woken(c)) {
			if (c->hist)
				history_idle(c, true);
			break;
		}
		if (vm->stop || vm->debug_req) {
			if (vm->stop) {
				c->exit_req = RAX_EXIT_STOP;
			} else {
				c->exit_req = RAX_EXIT_DEBUG;
				c->dbg_why = RAX_DEBUG_INTERRUPT;
			}
			/* one CPU: the next run waits on (a stop changes nothing) */
			c->idle_cut = !c->smp && woken == service_events;
			break;
		}
		uint64_t now = emu_now_ns(c), dl = devices_next_deadline(vm);
		if (dl != UINT64_MAX && dl <= now) {
			c->idle_ns += 1; /* always move on */
			continue;
		}
		if (!realtime) {
			if (dl != UINT64_MAX) {
				c->idle_ns += dl - now;
				continue;
			}
			vm_idle_wait(vm, -1);
			continue;
		}
		uint64_t paced = v0 + (host_ns() - w0); /* virtual time the wall clock has reached */
		if (paced >= dl) {
			c->idle_ns += dl - now;
			continue;
		}
		if (paced > now) {
			c->idle_ns += paced - now;
			now = paced;
		}
		vm_idle_wait(vm, dl == UINT64_MAX ? -1 : (int64_t)(dl - now));
	}
	atomic_store(&vm->idle, 0);
}

/* rax-diff --jit-step: the instruction as a one-instruction block through
 * the translator, write tracking off (its inline stores run); false when
 * the translator leaves it to the interpreter. */
static bool run_one_translated(struct emu_cpu *c, const struct emu_insn *in, uint8_t fop)
{
	struct emu_block b;
	b.tag = 0;
	b.gen = 0;
	b.n = 1;
	b.fop[0] = fop;
	b.insn[0] = *in;
	b.jit = NULL;
	b.jit_epoch = 0;
	b.jit_hits = UINT16_MAX - 1; /* hot now, whatever --jit-hot says */
	bool track = c->track_writes;
	c->track_writes = false;
	bool ran = emu_jit_run(c, &b);
	c->track_writes = track;
	return ran;
}

/*
 * One instruction (the first of the block fetched at c->rip), with the TF
 * trap after it: step(), and run() under TF or RF. It goes through the block
 * runner as a block of one, so it executes the same fast op that run() would
 * (and rax-diff compares that code against the CPU). RF lasts until the
 * instruction completes (it only masks instruction breakpoints, which are not
 * modelled; IRET may set it again).
 */
static void run_one(struct emu_cpu *c, const struct emu_insn *in, const uint8_t *fop, bool tf)
{
	c->rflags &= ~(uint64_t)RFLAGS_RF;
	c->event_delivered = false;
	c->tf_trap = tf;
	if (!__builtin_expect(c->jit_step, 0) || !c->jit || !fop || !run_one_translated(c, in, fop[0]))
		emu_run_block(c, in, fop, 1);
	/* the single-step trap (DR6.BS) and data breakpoints: one #DB after it */
	bool bs = c->tf_trap && !c->event_delivered && c->exit_req != RAX_EXIT_DEBUG;
	if (bs || __builtin_expect(c->dbg.hit | c->dbg.host_hit | c->dbg.pend, 0))
		emu_dbg_trap(c, bs);
}

/* The debugger asked for a stop (vm->debug_req): leave between two
 * instructions, as for vm->stop. */
static void debug_interrupt(struct emu_cpu *c)
{
	c->exit_req = RAX_EXIT_DEBUG;
	c->dbg_why = RAX_DEBUG_INTERRUPT;
}

void emu_set_limits(struct emu_cpu *c)
{
	uint64_t l = c->stop_at < c->slice_end ? c->stop_at : c->slice_end;
	/* a hook: this position if its phase 0 is still to come, else the next */
	uint64_t h = c->hook_done == c->icount ? c->icount + 1 : c->icount;
	if (c->hook && h < l)
		l = h;
	c->limit_at = l;
	uint64_t want = c->ev_due < l ? c->ev_due : l, old = c->armed_at;
	/* a recheck's zero (from any thread) stays until the look */
	atomic_compare_exchange_strong_explicit(&c->event_at, &old, want, memory_order_relaxed, memory_order_relaxed);
	c->armed_at = want;
}

/*
 * icount reached limit_at: stop at stop_at (EMU_EXIT_TARGET), or give the
 * hook its phase 0 (once per position), or end an SMP slice; then set the
 * next limit. True when the run must end here.
 */
static bool at_limit(struct emu_cpu *c)
{
	if (c->icount >= c->stop_at) {
		c->exit_req = EMU_EXIT_TARGET;
		return true;
	}
	if (c->hook && c->hook_done != c->icount) {
		c->hook_done = c->icount;
		c->hook(c, 0);
		if (c->exit_req)
			return true;
	}
	if (c->icount >= c->slice_end) {
		c->exit_req = EMU_EXIT_YIELD;
		return true;
	}
	emu_set_limits(c);
	return false;
}

/* Execute until an exit; single: exactly one instruction. */
void emu_run_loop(struct emu_cpu *c, bool single, struct rax_exit *ex)
{
	c->exit_req = 0;
	c->cur_exc = -1;
	c->in_insn = false;
	if (setjmp(c->jb)) {
		emu_fault_entry(c); /* may longjmp here again for a nested fault */
		if (c->hook)
			c->hook(c, 1); /* the handler's first instruction is next */
		if (single && !c->exit_req)
			c->exit_req = RAX_EXIT_STEP;
		/* a handler that faults forever retires nothing: poll stop here too */
		if (!c->exit_req && c->vm && c->vm->stop)
			c->exit_req = RAX_EXIT_STOP;
		else if (!c->exit_req && c->vm && c->vm->debug_req)
			debug_interrupt(c);
	}
	c->jb_valid = true;
	if (__builtin_expect(c->idle_cut, 0)) { /* a wait a stop cut short goes on (a step leaves it) */
		c->idle_cut = false;
		if (!single)
			emu_idle(c, service_events);
	}
	while (!c->exit_req) {
		if (__builtin_expect(c->icount >= atomic_load_explicit(&c->event_at, memory_order_relaxed), 0)) {
			/* a stop point or hook first (position icount, before its events) */
			if (c->icount >= c->limit_at && at_limit(c))
				break;
			/* debug traps held back (MOV SS shadow, a host stop) come before interrupts */
			if (__builtin_expect(c->dbg.pend | c->dbg.hit | c->dbg.host_hit, 0) && emu_dbg_boundary(c) &&
			    (single || c->exit_req)) {
				if (!c->exit_req)
					c->exit_req = RAX_EXIT_STEP; /* the step was the #DB's delivery */
				break;
			}
			/* events: asked for by a recheck (event_at zeroed), or due */
			if (atomic_load_explicit(&c->event_at, memory_order_relaxed) != c->armed_at ||
			    c->icount >= c->ev_due) {
				if (service_events(c) && single) {
					c->exit_req = RAX_EXIT_STEP; /* the step was the interrupt's delivery */
					break;
				}
			}
			if (c->hook) {
				c->hook(c, 1); /* the next instruction is about to execute */
				if (c->exit_req)
					break;
			}
		}
		if (__builtin_expect(c->dmode == EMU_MODE_NONE, 0)) {
			snprintf(c->detail, sizeof(c->detail),
				 "virtual-8086 mode is not emulated (RFLAGS=0x%llx) at rip 0x%llx",
				 (unsigned long long)c->rflags, (unsigned long long)c->rip);
			c->exit_req = RAX_EXIT_INTERNAL;
			break;
		}
		bool tf = c->rflags & RFLAGS_TF;
		bool rf = c->rflags & RFLAGS_RF; /* set by IRET from a fault frame */
		unsigned n;
		const uint8_t *fop;
		/* instruction breakpoints: faults before fetching (SDM Table 6-2) */
		if (__builtin_expect(c->dbg.active & EMU_DBG_EXEC, 0) && emu_dbg_exec(c, rf)) {
			if (single && !c->exit_req)
				c->exit_req = RAX_EXIT_STEP; /* the step was the #DB's delivery */
			continue;
		}
		struct emu_block *blk;
		const struct emu_insn *in = fetch_block(c, &n, &fop, &blk);
		if (__builtin_expect(single || tf || rf, 0)) {
			run_one(c, in, fop, tf);
			if (single) {
				if (!c->exit_req || c->exit_req == RAX_EXIT_HLT)
					c->exit_req = (c->exit_req == RAX_EXIT_HLT && !(c->rflags & RFLAGS_IF))
						? RAX_EXIT_HLT
						: RAX_EXIT_STEP;
				break;
			}
		} else {
			/* a straight run: leave it at a taken branch, an exit request or a break;
			 * in an interrupt shadow (STI, MOV SS) only its one instruction, so that
			 * an interrupt is taken right after it */
			if (__builtin_expect(c->icount < c->shadow_until, 0))
				n = 1;
			/* and never past event_at: events and stops come at exact
			 * counts, wherever blocks begin (a zeroed event_at wraps) */
			uint64_t room = atomic_load_explicit(&c->event_at, memory_order_relaxed) - c->icount;
			if (__builtin_expect(room < n, 0))
				n = room ? (unsigned)room : 1;
			if (__builtin_expect(c->dbg.active & EMU_DBG_EXEC, 0))
				n = emu_dbg_cut(c, in, n); /* stop before an instruction breakpoint */
			/* the translator runs whole cached blocks only (jit/jit.h) */
			if (!c->jit || !blk || n != blk->n || !emu_jit_run(c, blk))
				emu_run_block(c, in, fop, n);
			if (__builtin_expect(c->dbg.hit | c->dbg.host_hit | c->dbg.pend, 0))
				emu_dbg_trap(c, false); /* the block ended at the instruction that hit */
		}
		if (__builtin_expect(c->one_block, 0) && !c->exit_req)
			c->exit_req = EMU_EXIT_TARGET; /* rax-diff --jit: a block at a time (emu_diff_run) */
		if (c->exit_req == RAX_EXIT_HLT && c->smp) {
			c->state = EMU_CPU_HALTED; /* the scheduler decides when it wakes */
			c->exit_req = EMU_EXIT_YIELD;
		} else if (c->exit_req == RAX_EXIT_HLT && (c->rflags & RFLAGS_IF)) {
			c->exit_req = 0;
			if (c->vm)
				emu_idle(c, service_events);
			else
				c->exit_req = RAX_EXIT_HLT; /* no devices: nothing can wake it */
		}
		if (__builtin_expect(c->icount >= c->next_stop_poll, 0)) {
			c->next_stop_poll = c->icount + STOP_POLL_INTERVAL;
			if (c->vm && c->vm->stop)
				c->exit_req = RAX_EXIT_STOP;
			else if (__builtin_expect(c->hist != NULL, 0) && history_rx_pending(c))
				c->exit_req = EMU_EXIT_TARGET; /* console input: history.c takes it here */
			else if (c->vm && c->vm->debug_req)
				debug_interrupt(c);
			if (c->icount >= c->slice_end && !c->exit_req)
				c->exit_req = EMU_EXIT_YIELD; /* SMP: the next CPU's turn */
			if (c->next_stop_poll > c->slice_end)
				c->next_stop_poll = c->slice_end;
		}
	}
	c->jb_valid = false;
	ex->kind = (enum rax_exit_kind)c->exit_req;
	ex->rip = c->rip;
	ex->detail[0] = 0;
	ex->cpu = c->cpu_index;
	if (ex->kind == RAX_EXIT_DEBUG)
		ex->why = c->dbg_why;
	emu_dbg_exit(c, ex); /* a host breakpoint or watchpoint: which */
	if (ex->kind == RAX_EXIT_INTERNAL)
		snprintf(ex->detail, sizeof(ex->detail), "%s", c->detail);
	else if (ex->kind == RAX_EXIT_SHUTDOWN)
		snprintf(ex->detail, sizeof(ex->detail), "triple fault at rip 0x%llx", (unsigned long long)c->rip);
}

/* ---- backend ops ---- */

/* The RDRAND/RDSEED generator's seed ("RAXRDRND"): every run draws the
 * same values (system.c steps the generator). */
#define EMU_RNG_SEED 0x5241585244524e44ull

/* The block cache: its own zero-filled mapping, so that only the entries
 * used are ever touched (a flush touches none), whether the VM is the
 * first or the thousandth one of the process (calloc of a size that the
 * heap serves after a free clears all of it). */
#define BCACHE_BYTES ((size_t)EMU_BCACHE_SIZE * sizeof(struct emu_block))
static struct emu_block *bcache_new(void)
{
	void *p = mmap(NULL, BCACHE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void bcache_free(struct emu_block *b)
{
	if (b)
		munmap(b, BCACHE_BYTES);
}

/* CPU `index` in its power-up state; the BSP (index 0) allocates the RAM
 * page marks that every CPU shares. NULL when out of memory. */
static void cpu_free(struct emu_cpu *c, bool bsp);

static struct emu_cpu *cpu_new(struct rax_vm *vm, unsigned index, const struct emu_cpu *bsp)
{
	struct emu_cpu *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->vm = vm;
	c->ram = vm->mem.host;
	c->ram_size = vm->mem.size;
	c->npages = (c->ram_size + GUEST_PAGE_OFFSET) >> GUEST_PAGE_SHIFT;
	c->bcache = bcache_new();
	c->page_gen = bsp ? bsp->page_gen : calloc(c->npages, sizeof(*c->page_gen));
	c->code_bits = bsp ? bsp->code_bits : calloc((c->npages + 63) / 64, sizeof(uint64_t));
	if (!c->bcache || !c->page_gen || !c->code_bits) {
		bcache_free(c->bcache);
		if (!bsp) {
			free(c->page_gen);
			free(c->code_bits);
		}
		free(c);
		return NULL;
	}
	if (vm->cfg.jit && !(c->jit = emu_jit_new(vm->cfg.jit_hot))) {
		cpu_free(c, !bsp);
		return NULL;
	}
	c->cur_exc = -1;
	c->misc_enable = 1; /* fast strings */
	c->level = (uint8_t)(vm->cfg.cpu_level ? vm->cfg.cpu_level : RAX_CPU_LEVEL_DEFAULT);
	c->slice_end = UINT64_MAX;
	c->stop_at = c->limit_at = c->hook_done = UINT64_MAX;
	c->armed_at = UINT64_MAX;      /* event_at starts at 0: look first */
	c->rng = EMU_RNG_SEED + index; /* each CPU its own sequence */
	cpu_state_reset(&c->s);
	memcpy(c->gpr, c->s.gpr, sizeof(c->gpr));
	c->rip = c->s.rip;
	c->rflags = c->s.rflags;
	emu_update_mode(c);
	atomic_init(&c->event_at, 0);
	c->apic_page = UINT64_MAX;
	emu_apic_attach(c, devices_irq(vm), index);
	if (c->apic)
		c->s.apic_base = lapic_base(c->apic);
	/* application processors wait for the BSP's INIT/SIPI */
	c->state = index ? EMU_CPU_WAIT_SIPI : EMU_CPU_RUNNING;
	return c;
}

static void cpu_free(struct emu_cpu *c, bool bsp)
{
	if (!c)
		return;
	emu_jit_free(c->jit);
	bcache_free(c->bcache);
	if (bsp) {
		free(c->page_gen);
		free(c->code_bits);
	}
	free(c);
}

static void emu_destroy(struct rax_vm *vm)
{
	struct emu_cpu *c = cpu_of(vm);
	if (c && c->smp) {
		for (unsigned i = 1; i < c->smp->n; i++)
			cpu_free(c->smp->cpu[i], false);
		free(c->smp);
	}
	cpu_free(c, true);
	vm->backend = NULL;
}

static int emu_create(struct rax_vm *vm, struct rax_err *err)
{
	emu_plant_init();
	unsigned n = rax_ncpus(&vm->cfg);
	struct emu_cpu *bsp = cpu_new(vm, 0, NULL);
	if (!bsp)
		return rax_errf(err, RAX_STATUS_HOST, "emulator: out of memory");
	vm->backend = bsp;
	if (n > 1) {
		struct emu_smp *m = calloc(1, sizeof(*m));
		if (!m) {
			emu_destroy(vm);
			return rax_errf(err, RAX_STATUS_HOST, "emulator: out of memory");
		}
		m->n = 1;
		m->stop_total = UINT64_MAX;
		m->cpu[0] = bsp;
		bsp->smp = m;
		for (unsigned i = 1; i < n; i++) {
			struct emu_cpu *ap = cpu_new(vm, i, bsp);
			if (!ap) {
				emu_destroy(vm);
				return rax_errf(err, RAX_STATUS_HOST, "emulator: out of memory for CPU %u", i);
			}
			ap->smp = m;
			m->cpu[m->n++] = ap;
		}
	}
	return 0;
}

void emu_load_state(struct emu_cpu *c, const struct rax_cpu_state *s)
{
	c->s = *s;
	memcpy(c->gpr, s->gpr, sizeof(c->gpr));
	c->rip = s->rip;
	c->lf_op = LF_NONE;
	c->rflags = (s->rflags & 0x3f7fd5ull) | RFLAGS_FIXED1;
	emu_update_mode(c);
	emu_dbg_update(c); /* DR0-DR3, DR7, CR4.DE */
	if ((s->cr0 & CR0_PG) && (s->cr4 & CR4_PAE) && !(s->efer & EFER_LMA))
		for (unsigned i = 0; i < 4; i++) /* legacy PAE paging: the PDPTE registers */
			c->pdpte[i] = emu_phys_read(c, (s->cr3 & ~0x1full) + 8 * i, 8);
	emu_tlb_flush(c);
	emu_dcache_flush(c); /* the caller may have rewritten guest memory */
	if (c->apic) {
		/* as a VMM sets them: any base the MSR can hold, then CR8 = TPR[7:4] */
		if (lapic_set_base(c->apic, s->apic_base, emu_now_ns(c)) < 0)
			c->apic->base = s->apic_base;
		if (lapic_cr8(c->apic) != (s->cr8 & 15))
			lapic_set_cr8(c->apic, (unsigned)s->cr8); /* (an unchanged CR8 keeps TPR[3:0]) */
		emu_apic_sync(c);
	}
}

static int emu_set_state(struct rax_vm *vm, const struct rax_cpu_state *s, struct rax_err *err)
{
	emu_load_state(cpu_of(vm), s);
	return 0;
}

void emu_save_state(struct emu_cpu *c, struct rax_cpu_state *s)
{
	*s = c->s;
	memcpy(s->gpr, c->gpr, sizeof(c->gpr));
	s->rip = c->rip;
	s->rflags = emu_get_flags(c);
	s->apic_base = emu_apic_base(c);
	s->cr8 = emu_cr8(c);
}

static int emu_get_state(struct rax_vm *vm, struct rax_cpu_state *s, struct rax_err *err)
{
	(void)err;
	emu_save_state(cpu_of(vm), s);
	return 0;
}

static int emu_run(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	struct emu_cpu *c = cpu_of(vm);
	c->track_writes = false;
	for (unsigned i = 0; i < (c->smp ? c->smp->n : 1); i++)
		emu_dbg_resume(c->smp ? c->smp->cpu[i] : c); /* not stopping where each CPU is */
	if (c->trace)
		return trace_backend_run(vm, ex, err);
	if (c->hist)
		return history_backend_run(vm, ex, err);
	if (c->smp)
		emu_smp_run(c->smp, ex);
	else
		emu_run_loop(c, false, ex);
	return 0;
}

static int emu_step(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	struct emu_cpu *c = cpu_of(vm);
	c->track_writes = true;
	c->nwritten = 0;
	c->slice_end = UINT64_MAX; /* one instruction of the BSP, outside any SMP slice */
	emu_dbg_resume(c);
	emu_run_loop(c, true, ex);
	c->track_writes = false;
	return 0;
}

static uint64_t emu_now_ns_op(struct rax_vm *vm)
{
	struct emu_cpu *c = cpu_of(vm);
	return emu_now_ns(c->smp ? c->smp->cpu[c->smp->last] : c);
}

static int emu_translate_op(struct rax_vm *vm, uint64_t gva, uint64_t *gpa)
{
	struct emu_cpu *c = cpu_of(vm);
	if (!emu_canonical(gva))
		return -1;
	return emu_translate(c, gva, ACC_R, false, true, gpa);
}

/* A line change from any thread: posted to the router, taken at the next look. */
static void emu_set_irq(struct rax_vm *vm, unsigned line, int level)
{
	struct emu_cpu *c = cpu_of(vm);
	if (!c || !c->irq)
		return;
	irq_post(c->irq, line, level);
	if (!c->smp)
		emu_recheck_events(c);
	for (unsigned i = 0; c->smp && i < c->smp->n; i++)
		emu_recheck_events(c->smp->cpu[i]); /* whichever runs takes it to the controllers */
}

const struct rax_backend_ops rax_emu_backend = {
	.name = "emulator",
	.create = emu_create,
	.destroy = emu_destroy,
	.set_state = emu_set_state,
	.get_state = emu_get_state,
	.run = emu_run,
	.step = emu_step,
	.translate = emu_translate_op,
	.set_irq = emu_set_irq,
	.now_ns = emu_now_ns_op,
	.cpu_get_state = emu_gdb_get_state,
	.cpu_set_state = emu_gdb_set_state,
	.cpu_translate = emu_gdb_translate,
	.debug_step = emu_gdb_step,
	.set_breakpoints = emu_gdb_set_breakpoints,
	.mem_write = emu_gdb_mem_write,
	.icount = emu_gdb_icount,
	.can_reverse = emu_gdb_can_reverse,
	.reverse = emu_gdb_reverse,
};

/* ---- emu.h ---- */

uint64_t emu_instruction_count(struct rax_vm *vm)
{
	struct emu_cpu *c = cpu_of(vm);
	uint64_t n = c->icount;
	for (unsigned i = 1; c->smp && i < c->smp->n; i++)
		n += c->smp->cpu[i]->icount;
	return n;
}

void emu_jit_step(struct rax_vm *vm, bool on) { cpu_of(vm)->jit_step = on; }

void emu_jit_vm_stats(struct rax_vm *vm, struct emu_jit_stats *s)
{
	struct emu_cpu *c = cpu_of(vm);
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < (c->smp ? c->smp->n : 1); i++) {
		struct emu_cpu *k = c->smp ? c->smp->cpu[i] : c;
		struct emu_jit_stats one;
		if (!k->jit)
			continue;
		emu_jit_get_stats(k->jit, &one);
		s->blocks += one.blocks;
		s->failed += one.failed;
		s->runs += one.runs;
		s->code_bytes += one.code_bytes;
		s->flushes += one.flushes;
		s->links += one.links;
		s->disarms += one.disarms;
		s->realiased += one.realiased;
		s->translate_ns += one.translate_ns;
	}
}

uint64_t emu_interrupt_count(struct rax_vm *vm)
{
	struct emu_cpu *c = cpu_of(vm);
	uint64_t n = c->nintr;
	for (unsigned i = 1; c->smp && i < c->smp->n; i++)
		n += c->smp->cpu[i]->nintr;
	return n;
}

int emu_written_pages(struct rax_vm *vm, uint64_t *pages, unsigned max)
{
	struct emu_cpu *c = cpu_of(vm);
	if (c->nwritten > EMU_MAX_WRITTEN_PAGES || c->nwritten > max)
		return -1;
	memcpy(pages, c->written, c->nwritten * sizeof(uint64_t));
	return (int)c->nwritten;
}

void emu_override_rdtsc(struct rax_vm *vm, uint64_t value)
{
	struct emu_cpu *c = cpu_of(vm);
	c->rdtsc_override = true;
	c->rdtsc_value = value;
}

void emu_override_rand(struct rax_vm *vm, uint64_t value, bool ok)
{
	struct emu_cpu *c = cpu_of(vm);
	c->rand_override = true;
	c->rand_ok = ok;
	c->rand_value = value;
}

void emu_override_tsc_aux(struct rax_vm *vm, uint32_t value)
{
	struct emu_cpu *c = cpu_of(vm);
	c->aux_override = true;
	c->aux_value = value;
}

void emu_override_cpuid(struct rax_vm *vm, const uint32_t regs[4])
{
	struct emu_cpu *c = cpu_of(vm);
	c->cpuid_override = true;
	memcpy(c->cpuid_value, regs, sizeof(c->cpuid_value));
}

int emu_set_cpu_level(struct rax_vm *vm, unsigned level)
{
	struct emu_cpu *c = cpu_of(vm);
	if (level < RAX_CPU_V1 || level > RAX_CPU_LEVEL_MAX)
		return -1;
	for (unsigned i = 0; i < (c->smp ? c->smp->n : 1); i++) {
		struct emu_cpu *k = c->smp ? c->smp->cpu[i] : c;
		k->level = (uint8_t)level;
		emu_dcache_flush(k); /* blocks were decoded for the old level */
	}
	return 0;
}

unsigned emu_cpu_level(struct rax_vm *vm) { return cpu_of(vm)->level; }

unsigned emu_disasm_guest(struct rax_vm *vm, uint64_t rip, char *buf, unsigned n)
{
	struct emu_cpu *c = cpu_of(vm);
	uint8_t b[15];
	unsigned got = emu_peek_code(c, rip, b, 15);
	struct emu_insn in;
	enum emu_decode_status st = emu_decode_level(b, got, c->dmode == EMU_MODE_NONE ? EMU_MODE_64 : c->dmode,
						     c->level, &in);
	if (st != EMU_DEC_OK) {
		snprintf(buf, n, "%s", st == EMU_DEC_MORE ? "(cannot fetch)" : "(bad)");
		return 0;
	}
	emu_disasm_at(&in, rip, buf, n);
	return in.len;
}
