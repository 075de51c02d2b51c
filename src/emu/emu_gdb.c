/*
 * emu_gdb.c - the interpreter's debugger ops (struct rax_backend_ops, used
 * by the gdb stub in src/gdb/).
 *
 * Breakpoints. Every breakpoint and watchpoint is one of the interpreter's
 * host slots (debug.h; gdb's Z0 and Z1 alike: exact, no byte of guest
 * memory written). An execution slot is looked at only when a block is
 * decoded: a block ends before one and a block that starts at one is not
 * cached but ends the run before the instruction (emu_backend.c,
 * fetch_block), so nothing is checked on the paths that run cached code.
 *
 * Writes. With reverse execution on (history.h) a debugger's register and
 * memory writes are logged as inputs (history_poke_state/_mem), so that a
 * replay repeats them; without it they are made directly (and decoded code
 * on a written page is dropped).
 *
 * Reverse execution (gdb's bs/bc, GDB manual E.2 "Packets"): a reverse
 * step goes to the previous position (instruction count); a reverse
 * continue finds, by re-execution, the last earlier position where a
 * forward run would have stopped: a CPU about to execute an execution
 * breakpoint, or the instruction before it having made an access a
 * watchpoint matches (write, read or access: the replay runs with the
 * watchpoints' host slots in record mode, debug.h, so they match exactly as
 * forward, on linear addresses, without stopping). With none, it goes
 * to the oldest position kept and says so (replaylog:begin). A debugger's
 * stop request (Ctrl-C) ends the search in the interval it is replaying,
 * at its last position (reported as an interrupt).
 */
#include "emu/emu_gdb.h"

#include <stdlib.h>
#include <string.h>

#include "emu/cpu.h"
#include "emu/emu.h"
#include "emu/history.h"
#include "guest_mem.h"
#include "vm.h"

static struct emu_cpu *bsp_of(struct rax_vm *vm) { return vm->backend; }

/* CPU i (0: the BSP), NULL when there is no such CPU. */
static struct emu_cpu *cpu_n(struct rax_vm *vm, unsigned i)
{
	struct emu_cpu *c = bsp_of(vm);
	if (!c->smp)
		return i == 0 ? c : NULL;
	return i < c->smp->n ? c->smp->cpu[i] : NULL;
}


int emu_gdb_get_state(struct rax_vm *vm, unsigned i, struct rax_cpu_state *s, struct rax_err *err)
{
	struct emu_cpu *c = cpu_n(vm, i);
	if (!c)
		return rax_errf(err, RAX_STATUS_USAGE, "no CPU %u", i);
	emu_save_state(c, s);
	return 0;
}

int emu_gdb_set_state(struct rax_vm *vm, unsigned i, const struct rax_cpu_state *s, struct rax_err *err)
{
	if (!cpu_n(vm, i))
		return rax_errf(err, RAX_STATUS_USAGE, "no CPU %u", i);
	return history_poke_state(vm, i, s, err); /* logged when history is on */
}

int emu_gdb_translate(struct rax_vm *vm, unsigned i, uint64_t gva, uint64_t *gpa)
{
	struct emu_cpu *c = cpu_n(vm, i);
	if (!c || !emu_canonical(gva))
		return -1;
	return emu_translate(c, gva, ACC_R, false, true, gpa);
}

int emu_gdb_mem_write(struct rax_vm *vm, uint64_t gpa, const void *buf, size_t len, struct rax_err *err)
{
	return history_poke_mem(vm, gpa, buf, len, err);
}

/*
 * One instruction of CPU i alone. Under --smp the machine's clock moves
 * with it as in a slice of one instruction; a CPU that is halted or waits
 * for a SIPI does not move (the step reports where it is).
 */
int emu_gdb_step(struct rax_vm *vm, unsigned i, struct rax_exit *ex, struct rax_err *err)
{
	struct emu_cpu *c = cpu_n(vm, i);
	if (!c)
		return rax_errf(err, RAX_STATUS_USAGE, "no CPU %u", i);
	memset(ex, 0, sizeof(*ex));
	if (c->smp && c->state != EMU_CPU_RUNNING) {
		*ex = (struct rax_exit){ .kind = RAX_EXIT_DEBUG, .why = RAX_DEBUG_STEP, .rip = c->rip, .cpu = i };
		return 0;
	}
	if (history_active(vm)) {
		/* through history, so that snapshots and logged inputs stay in
		 * step: one instruction of the machine (under --smp, of the CPU
		 * whose turn it is) */
		if (history_run_to(vm, history_icount(vm) + 1, ex, err) < 0)
			return -1;
		if (c->smp)
			c = cpu_n(vm, i = history_cpu(vm));
	} else {
		if (c->smp)
			c->idle_ns = c->smp->now - c->icount;
		c->slice_end = UINT64_MAX;
		emu_run_loop(c, true, ex);
		if (c->smp) {
			c->smp->now = emu_now_ns(c);
			if ((unsigned)ex->kind == EMU_EXIT_YIELD || ex->kind == RAX_EXIT_HLT)
				ex->kind = RAX_EXIT_STEP; /* the scheduler takes it from here */
		}
	}
	if (ex->kind == RAX_EXIT_STEP) {
		ex->kind = RAX_EXIT_DEBUG;
		ex->why = RAX_DEBUG_STEP;
	}
	ex->cpu = i;
	ex->rip = c->rip;
	return 0;
}

/* The debugger's breakpoints and watchpoints as it set them (for the
 * reverse search), one VM per process. */
static struct {
	struct rax_breakpoint bp[RAX_MAX_BREAKPOINTS];
	unsigned n;
} dbg;

int emu_gdb_set_breakpoints(struct rax_vm *vm, const struct rax_breakpoint *bp, unsigned n, struct rax_err *err)
{
	static const uint8_t slot_kind[] = { [RAX_BP_SW] = EMU_BP_EXEC,
					     [RAX_BP_HW] = EMU_BP_EXEC,
					     [RAX_WP_WRITE] = EMU_BP_WRITE,
					     [RAX_WP_READ] = EMU_BP_READ,
					     [RAX_WP_ACCESS] = EMU_BP_ACCESS };
	if (n > EMU_DBG_HOST_SLOTS)
		return rax_errf(err, RAX_STATUS_USAGE, "at most %d breakpoints and watchpoints on the interpreter",
				EMU_DBG_HOST_SLOTS);
	emu_dbg_host_clear(vm);
	for (unsigned k = 0; k < n; k++)
		if (emu_dbg_host_add(vm, (enum emu_bp_kind)slot_kind[bp[k].kind], bp[k].addr,
				     bp[k].len ? bp[k].len : 1) < 0) {
			emu_dbg_host_clear(vm);
			dbg.n = 0;
			return rax_errf(err, RAX_STATUS_USAGE, "breakpoint at %#llx: bad length %llu",
					(unsigned long long)bp[k].addr, (unsigned long long)bp[k].len);
		}
	memcpy(dbg.bp, bp, n * sizeof(*bp));
	dbg.n = n;
	return 0;
}

uint64_t emu_gdb_icount(struct rax_vm *vm) { return emu_instruction_count(vm); }

bool emu_gdb_can_reverse(struct rax_vm *vm) { return history_active(vm); }

/* ---- reverse ---- */

struct rev_probe {
	/* what the last hit was */
	int why;
	uint64_t addr;
	uint8_t kind;
};

static bool rev_probe(struct rax_vm *vm, uint64_t k, void *arg)
{
	struct rev_probe *p = arg;
	(void)k;
	if (vm->debug_cancel) { /* gdb's Ctrl-C: the search ends about here */
		p->why = RAX_DEBUG_INTERRUPT;
		return true;
	}
	struct emu_cpu *c = cpu_n(vm, history_cpu(vm));
	for (unsigned i = 0; c && i < dbg.n; i++) {
		if (dbg.bp[i].kind <= RAX_BP_HW && dbg.bp[i].addr == c->rip) {
			p->why = RAX_DEBUG_BREAK;
			return true;
		}
	}
	struct emu_dbg_stop seen;
	if (c && emu_dbg_host_seen(c, &seen)) {
		p->why = RAX_DEBUG_WATCH;
		p->addr = seen.addr;
		p->kind = emu_dbg_gdb_kind(seen.kind);
		return true;
	}
	return false;
}

static int reverse(struct rax_vm *vm, unsigned cpu, bool step, struct rax_exit *ex, struct rax_err *err);

int emu_gdb_reverse(struct rax_vm *vm, unsigned cpu, bool step, struct rax_exit *ex, struct rax_err *err)
{
	/* the replay runs through breakpoints (rev_probe looks at RIP) and
	 * notes watchpoints' matches without stopping */
	emu_dbg_host_record(vm, true);
	int rc = reverse(vm, cpu, step, ex, err);
	emu_dbg_host_record(vm, false);
	return rc;
}

/* Several CPUs: did CPU *arg retire the instruction before this position? */
static bool cpu_probe(struct rax_vm *vm, uint64_t k, void *arg)
{
	(void)k;
	return history_cpu(vm) == *(const unsigned *)arg;
}

static int reverse(struct rax_vm *vm, unsigned cpu, bool step, struct rax_exit *ex, struct rax_err *err)
{
	struct emu_cpu *bsp = bsp_of(vm);
	if (!history_active(vm))
		return rax_errf(err, RAX_STATUS_USAGE, "reverse execution needs history (--gdb-history)");
	memset(ex, 0, sizeof(*ex));
	ex->kind = RAX_EXIT_DEBUG;
	uint64_t now = history_icount(vm), oldest = history_oldest(vm);
	if (now <= oldest) {
		ex->why = RAX_DEBUG_HISTORY_BEGIN;
	} else if (step && !bsp->smp) {
		if (history_goto(vm, now - 1, err) < 0)
			return -1;
		ex->why = RAX_DEBUG_STEP;
	} else if (step) {
		/* that CPU's last instruction: the last position k whose
		 * instruction it retired, then back to before it (history.h) */
		uint64_t k = now;
		int r = 1;
		if (history_cpu(vm) != cpu) /* (the one before now is the last one's) */
			r = cpu_n(vm, cpu) ? history_find_last(vm, oldest, now, cpu_probe, &cpu, &k, err) : 0;
		if (r < 0)
			return -1;
		if (r == 0 || k <= oldest) {
			/* it retired nothing since the oldest position: the machine
			 * stays where it is (find_last put it back) */
			ex->why = RAX_DEBUG_HISTORY_BEGIN;
		} else {
			if (history_goto(vm, k - 1, err) < 0)
				return -1;
			ex->why = RAX_DEBUG_STEP;
		}
		ex->cpu = cpu;
		ex->rip = cpu_n(vm, cpu) ? cpu_n(vm, cpu)->rip : 0;
		return 0;
	} else {
		struct rev_probe p = { 0 };
		uint64_t found;
		int r = history_find_last(vm, oldest, now, rev_probe, &p, &found, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			if (history_goto(vm, oldest, err) < 0)
				return -1;
			ex->why = RAX_DEBUG_HISTORY_BEGIN;
		} else {
			ex->why = (uint8_t)p.why;
			ex->watch_addr = p.addr;
			ex->watch_kind = p.kind;
		}
	}
	unsigned at = bsp->smp ? history_cpu(vm) : 0; /* the CPU that got there */
	ex->cpu = at;
	ex->rip = cpu_n(vm, at)->rip;
	return 0;
}
