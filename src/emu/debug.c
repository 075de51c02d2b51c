/*
 * debug.c - breakpoints on the interpreter (debug.h): the guest's debug
 * registers and the host debugger's slots, matched by one set of checks.
 *
 * The rules, from the Intel SDM vol. 3 ch. 17 ("Debug registers", "Debug
 * exceptions") and the AMD APM vol. 2 ch. 13, as this interpreter applies
 * them (an AMD Zen 4 host, so no RTM bits):
 *
 * - DR7: L0-L3/G0-G3 enable DR0-DR3 (either bit; LE/GE are ignored, as on
 *   every CPU since the P6); R/Wn 00 execution, 01 data write, 11 data read
 *   or write, 10 I/O read or write when CR4.DE=1 (with CR4.DE=0 the
 *   encoding is undefined: such a slot never matches here); LENn 00 1 byte,
 *   01 2, 11 4, 10 8. A data or I/O breakpoint covers the LEN-aligned bytes
 *   around DRn (its low address bits are ignored, SDM 17.2.5), and matches
 *   an access touching any of them. An execution breakpoint matches the
 *   linear address of an instruction's first byte (its first prefix).
 * - Execution breakpoints are faults, taken before the instruction (after
 *   traps of the previous one and after interrupts, before fetch faults:
 *   SDM Table 6-2); RFLAGS.RF=1 suppresses them for one instruction. Data
 *   and I/O breakpoints are traps after the instruction that made the
 *   access (a REP string instruction: after the iteration, with RCX/RSI/RDI
 *   describing the iterations done and RIP on the instruction when more are
 *   left); accesses of an instruction that faults do not count. Implicit
 *   accesses (the stack of an event, descriptor tables) match like others.
 * - DR6: on each #DB, B0-B3 are replaced by the slots that caused it (only
 *   enabled slots: the SDM lets disabled matching slots set their bit or
 *   not; KVM, whose behaviour rax-diff's KVM oracle shows, sets only
 *   enabled ones); BD, BS, BT are set and never cleared by the CPU. Bits
 *   4-11 and 16-31 read as 1, bit 12 as 0 (DR6_FIXED1).
 * - A #DB clears DR7.GD as it enters the handler (SDM 17.2.4).
 * - MOV SS and POP SS hold debug traps (data breakpoints, single-step) of
 *   that instruction and of the next one back until the boundary after the
 *   next instruction, even when that one is INT n or SYSCALL (the #DB then
 *   arrives at the handler's first instruction; SDM 6.8.3); an execution
 *   breakpoint on the instruction in that shadow is not taken.
 */
#include "emu/debug.h"

#include "backend.h"
#include "emu/cpu.h"
#include "vm.h"

static struct emu_cpu *cpu_of(struct rax_vm *vm) { return vm->backend; }

/* Every CPU of the machine in turn (i = 0..n-1). */
static unsigned ncpus(struct emu_cpu *c) { return c->smp ? c->smp->n : 1; }
static struct emu_cpu *cpu_at(struct emu_cpu *c, unsigned i) { return c->smp ? c->smp->cpu[i] : c; }

/* DR7 LENn (2 bits) -> bytes */
static uint64_t dr7_len(unsigned len) { return len == 0 ? 1 : len == 1 ? 2 : len == 2 ? 8 : 4; }

static bool is_data(unsigned kind) { return kind == EMU_BP_WRITE || kind == EMU_BP_ACCESS || kind == EMU_BP_READ; }

static uint8_t kind_bit(unsigned kind)
{
	return kind == EMU_BP_EXEC ? EMU_DBG_EXEC : kind == EMU_BP_IO ? EMU_DBG_IO : EMU_DBG_DATA;
}

/* Host slot i takes part in matching at run time: a data or I/O slot
 * (execution slots are looked at when blocks are decoded: host_exec). */
static bool host_on(const struct emu_dbg *d, unsigned i)
{
	return (d->host_used >> i & 1) && d->host[i].kind != EMU_BP_EXEC;
}

static unsigned host_exec_count(const struct emu_dbg *d)
{
	unsigned n = 0;
	for (unsigned i = 0; i < EMU_DBG_HOST_SLOTS; i++)
		n += (d->host_used >> i & 1) && d->host[i].kind == EMU_BP_EXEC;
	return d->host_record ? 0 : n;
}

void emu_dbg_update(struct emu_cpu *c)
{
	struct emu_dbg *d = &c->dbg;
	uint64_t dr7 = c->s.dr7;
	uint8_t active = 0;
	bool data_changed = false;
	for (unsigned n = 0; n < 4; n++) {
		struct emu_bp b = { 0 };
		unsigned rw = (dr7 >> (16 + 4 * n)) & 3, len = (dr7 >> (18 + 4 * n)) & 3;
		b.on = (dr7 >> (2 * n)) & 3;
		b.kind = (uint8_t)(rw == 0           ? EMU_BP_EXEC
					   : rw == 1 ? EMU_BP_WRITE
					   : rw == 3 ? EMU_BP_ACCESS
						     : EMU_BP_IO);
		if (b.kind == EMU_BP_IO && !(c->s.cr4 & CR4_DE))
			b.on = false; /* R/W=10 is undefined without CR4.DE */
		if (b.kind == EMU_BP_EXEC) {
			b.lo = b.hi = c->s.dr[n];
		} else {
			uint64_t sz = dr7_len(len);
			b.lo = c->s.dr[n] & ~(sz - 1);
			b.hi = b.lo + sz - 1;
		}
		if (!b.on)
			b.lo = b.hi = 0;
		struct emu_bp *o = &d->guest[n];
		if ((is_data(b.kind) && b.on) || (is_data(o->kind) && o->on))
			data_changed |= o->on != b.on || o->kind != b.kind || o->lo != b.lo || o->hi != b.hi;
		*o = b;
		if (b.on)
			active |= kind_bit(b.kind);
	}
	for (unsigned i = 0; i < EMU_DBG_HOST_SLOTS; i++)
		if (host_on(d, i))
			active |= kind_bit(d->host[i].kind);
	d->active = active;
	d->host_exec = host_exec_count(d);
	d->xlo = UINT64_MAX;
	d->xhi = 0;
	for (unsigned n = 0; n < 4; n++) { /* (the guest's: the host's are looked at when decoding) */
		const struct emu_bp *b = &d->guest[n];
		if (b->on && b->kind == EMU_BP_EXEC) {
			d->xlo = b->lo < d->xlo ? b->lo : d->xlo;
			d->xhi = b->lo > d->xhi ? b->lo : d->xhi;
		}
	}
	c->block_break = true; /* the next instruction may start at a breakpoint */
	if (data_changed)
		emu_tlb_flush(c); /* watched pages lose their host pointers (emu_translate) */
}

static bool overlaps(const struct emu_bp *b, uint64_t lo, uint64_t hi) { return b->lo <= hi && lo <= b->hi; }

bool emu_dbg_page_watched(const struct emu_cpu *c, uint64_t la)
{
	const struct emu_dbg *d = &c->dbg;
	uint64_t lo = la & ~(uint64_t)GUEST_PAGE_OFFSET, hi = lo + GUEST_PAGE_OFFSET;
	for (unsigned n = 0; n < 4; n++)
		if (d->guest[n].on && is_data(d->guest[n].kind) && overlaps(&d->guest[n], lo, hi))
			return true;
	for (unsigned i = 0; i < EMU_DBG_HOST_SLOTS; i++)
		if ((d->host_used & (1u << i)) && is_data(d->host[i].kind) && overlaps(&d->host[i], lo, hi))
			return true;
	return false;
}

static void host_match(struct emu_cpu *c, unsigned i, uint64_t access)
{
	struct emu_dbg *d = &c->dbg;
	if (!d->host_hit)
		d->host_access = access;
	d->host_hit |= 1u << i;
	c->block_break = true;
}

void emu_dbg_data(struct emu_cpu *c, uint64_t la, unsigned size, bool write)
{
	struct emu_dbg *d = &c->dbg;
	uint64_t hi = la + size - 1;
	for (unsigned n = 0; n < 4; n++) {
		const struct emu_bp *b = &d->guest[n];
		if (b->on && (b->kind == EMU_BP_ACCESS || (write && b->kind == EMU_BP_WRITE)) && overlaps(b, la, hi)) {
			d->hit |= DR6_B(n);
			c->block_break = true;
		}
	}
	for (unsigned i = 0; d->host_used >> i; i++) {
		const struct emu_bp *b = &d->host[i];
		if (!(d->host_used & (1u << i)) || !is_data(b->kind) || !overlaps(b, la, hi))
			continue;
		if (b->kind == EMU_BP_ACCESS || (write ? b->kind == EMU_BP_WRITE : b->kind == EMU_BP_READ))
			host_match(c, i, la);
	}
}

void emu_dbg_io(struct emu_cpu *c, uint16_t port, unsigned size)
{
	struct emu_dbg *d = &c->dbg;
	uint64_t hi = (uint64_t)port + size - 1;
	for (unsigned n = 0; n < 4; n++) {
		const struct emu_bp *b = &d->guest[n];
		if (b->on && b->kind == EMU_BP_IO && overlaps(b, port, hi)) {
			d->hit |= DR6_B(n);
			c->block_break = true;
		}
	}
	for (unsigned i = 0; d->host_used >> i; i++)
		if ((d->host_used & (1u << i)) && d->host[i].kind == EMU_BP_IO && overlaps(&d->host[i], port, hi))
			host_match(c, i, port);
}

/* The stop record of a match of slots (the lowest one names it). */
static struct emu_dbg_stop stop_of(const struct emu_cpu *c, uint32_t slots, uint64_t access)
{
	unsigned i = (unsigned)__builtin_ctz(slots);
	return (struct emu_dbg_stop){ .slot = (int)i,
				      .kind = (enum emu_bp_kind)c->dbg.host[i].kind,
				      .addr = c->dbg.host[i].lo,
				      .access = access,
				      .slots_hit = slots,
				      .cpu = c->cpu_index };
}

/* A host slot hit: end the run with RAX_EXIT_DEBUG and remember why. */
static void host_stop(struct emu_cpu *c, uint32_t slots, uint64_t access)
{
	struct emu_dbg *d = &c->dbg;
	d->stopped = true;
	d->stop = stop_of(c, slots, access);
	c->exit_req = RAX_EXIT_DEBUG;
	c->dbg_why = d->stop.kind == EMU_BP_EXEC ? RAX_DEBUG_BREAK : RAX_DEBUG_WATCH;
}

/* After delivering a #DB: its own stack writes may have hit a watch; they
 * are looked at the next boundary (by the run loop, never recursively). */
static void after_delivery(struct emu_cpu *c)
{
	emu_recheck_events(c); /* (also a boundary for whoever watches them) */
}

/* Deliver the held-back trap bits as one #DB (trap: RIP is the next instruction). */
static void deliver_pending(struct emu_cpu *c)
{
	uint32_t bits = c->dbg.pend;
	c->dbg.pend = 0;
	c->s.dr6 = (c->s.dr6 & ~0xfull) | bits;
	emu_deliver(c, EXC_DB, 0, EV_TRAP, c->rip);
	after_delivery(c);
}

/* Move the current matches to pend (and BS), a host match to a stop. */
static void collect(struct emu_cpu *c, bool bs)
{
	struct emu_dbg *d = &c->dbg;
	d->pend |= d->hit | (bs ? DR6_BS : 0);
	d->hit = 0;
	if (d->host_hit && d->host_record) {
		d->seen = d->host_hit;
		d->seen_at = c->icount;
		d->host_hit = 0;
	} else if (d->host_hit) {
		host_stop(c, d->host_hit, d->host_access);
		d->host_hit = 0;
	}
}

void emu_dbg_clear_gd(struct emu_cpu *c) { c->s.dr7 &= ~(uint64_t)DR7_GD; }

void emu_dbg_trap(struct emu_cpu *c, bool bs)
{
	struct emu_dbg *d = &c->dbg;
	collect(c, bs);
	if (!d->pend)
		return;
	if (c->icount < d->ss_shadow_until || c->exit_req == RAX_EXIT_DEBUG) {
		emu_recheck_events(c); /* the run loop looks again at the next boundary */
		return;
	}
	deliver_pending(c);
}

bool emu_dbg_boundary(struct emu_cpu *c)
{
	struct emu_dbg *d = &c->dbg;
	collect(c, false);
	if (c->exit_req == RAX_EXIT_DEBUG)
		return true; /* a host stop: the trap waits for the next run */
	if (!d->pend || c->icount < d->ss_shadow_until)
		return false;
	deliver_pending(c);
	return true;
}

bool emu_dbg_exec(struct emu_cpu *c, bool rf)
{
	struct emu_dbg *d = &c->dbg;
	uint64_t la = emu_code_linear(c, c->rip);
	if (la < d->xlo || la > d->xhi)
		return false;
	if (rf || c->icount < d->ss_shadow_until)
		return false; /* RF=1, or in the MOV SS shadow */
	uint32_t bits = 0;
	for (unsigned n = 0; n < 4; n++)
		if (d->guest[n].on && d->guest[n].kind == EMU_BP_EXEC && d->guest[n].lo == la)
			bits |= DR6_B(n);
	if (!bits)
		return false;
	c->s.dr6 = (c->s.dr6 & ~0xfull) | bits;
	emu_deliver(c, EXC_DB, 0, 0, c->rip); /* a fault: RIP of the instruction, RF not pushed */
	after_delivery(c);
	return true;
}

/* The host execution slots at la (a bit each). */
static uint32_t host_exec_slots(const struct emu_dbg *d, uint64_t la)
{
	uint32_t slots = 0;
	for (unsigned i = 0; d->host_used >> i; i++)
		if ((d->host_used >> i & 1) && d->host[i].kind == EMU_BP_EXEC && d->host[i].lo == la)
			slots |= 1u << i;
	return slots;
}

bool emu_dbg_host_exec_at(const struct emu_cpu *c, uint64_t la) { return host_exec_slots(&c->dbg, la) != 0; }

int emu_dbg_host_break(struct emu_cpu *c, uint64_t la)
{
	struct emu_dbg *d = &c->dbg;
	uint32_t slots = host_exec_slots(d, la);
	if (!slots)
		return 0;
	if (d->host_skip && c->rip == d->skip_rip) {
		d->host_skip = false;
		return -1;
	}
	host_stop(c, slots, la);
	return 1;
}

unsigned emu_dbg_cut(struct emu_cpu *c, const struct emu_insn *in, unsigned n)
{
	const struct emu_dbg *d = &c->dbg;
	uint64_t la = emu_code_linear(c, c->rip), end = la;
	for (unsigned k = 0; k + 1 < n; k++)
		end += in[k].len; /* the last instruction's start */
	if (end < d->xlo || la >= d->xhi)
		return n; /* no breakpoint after the first instruction */
	for (unsigned k = 1; k < n; k++) {
		la += in[k - 1].len;
		for (unsigned j = 0; j < 4; j++)
			if (d->guest[j].on && d->guest[j].kind == EMU_BP_EXEC && d->guest[j].lo == la)
				return k;
	}
	return n;
}

void emu_dbg_fault(struct emu_cpu *c)
{
	/* the faulting instruction's accesses do not count */
	c->dbg.hit = 0;
	c->dbg.host_hit = 0;
	/* the event's delivery reaches an instruction boundary: a trap held
	 * back by MOV SS comes now, at the handler's first instruction */
	c->dbg.ss_shadow_until = 0;
}

void emu_dbg_resume(struct emu_cpu *c)
{
	c->dbg.stopped = false;
	/* (looked at only where a block starting at RIP is decoded, which a
	 * host execution slot there makes sure of) */
	c->dbg.host_skip = c->dbg.host_exec && host_exec_slots(&c->dbg, emu_code_linear(c, c->rip));
	c->dbg.skip_rip = c->rip;
}

/* ---- the host debugger's slots ---- */

/* After a change of p's host slots (exec: host_exec before it): active and
 * host_exec again; decoded blocks go when the execution slots in effect
 * changed (blocks are cut around them when decoded), the TLB's host
 * pointers when data slots may have (watched pages lose theirs). */
static void host_changed(struct emu_cpu *p, uint32_t exec, bool data)
{
	emu_dbg_update(p);
	if (exec != p->dbg.host_exec)
		emu_dcache_flush(p);
	if (data)
		emu_tlb_flush(p);
}

int emu_dbg_host_add(struct rax_vm *vm, enum emu_bp_kind kind, uint64_t addr, uint64_t len)
{
	struct emu_cpu *c = cpu_of(vm);
	if (len == 0 || addr + (len - 1) < addr || (unsigned)kind > EMU_BP_READ)
		return -1;
	if (kind == EMU_BP_EXEC)
		len = 1;
	unsigned i = 0;
	while (i < EMU_DBG_HOST_SLOTS && (c->dbg.host_used & (1u << i)))
		i++;
	if (i == EMU_DBG_HOST_SLOTS)
		return -1;
	for (unsigned k = 0; k < ncpus(c); k++) {
		struct emu_cpu *p = cpu_at(c, k);
		uint32_t exec = p->dbg.host_exec;
		p->dbg.host[i] = (struct emu_bp){ .lo = addr, .hi = addr + len - 1, .kind = (uint8_t)kind, .on = true };
		p->dbg.host_used |= 1u << i;
		host_changed(p, exec, is_data(kind));
	}
	return (int)i;
}

int emu_dbg_host_remove(struct rax_vm *vm, enum emu_bp_kind kind, uint64_t addr, uint64_t len)
{
	struct emu_cpu *c = cpu_of(vm);
	uint64_t hi = addr + (kind == EMU_BP_EXEC ? 0 : len - 1);
	for (unsigned i = 0; i < EMU_DBG_HOST_SLOTS; i++) {
		const struct emu_bp *b = &c->dbg.host[i];
		if (!(c->dbg.host_used & (1u << i)) || b->kind != kind || b->lo != addr || b->hi != hi)
			continue;
		for (unsigned k = 0; k < ncpus(c); k++) {
			struct emu_cpu *p = cpu_at(c, k);
			uint32_t exec = p->dbg.host_exec;
			p->dbg.host_used &= ~(1u << i);
			host_changed(p, exec, is_data(kind));
		}
		return 0;
	}
	return -1;
}

void emu_dbg_host_clear(struct rax_vm *vm)
{
	struct emu_cpu *c = cpu_of(vm);
	for (unsigned k = 0; k < ncpus(c); k++) {
		struct emu_cpu *p = cpu_at(c, k);
		uint32_t exec = p->dbg.host_exec;
		p->dbg.host_used = 0;
		host_changed(p, exec, true);
	}
}

void emu_dbg_host_record(struct rax_vm *vm, bool on)
{
	struct emu_cpu *c = cpu_of(vm);
	for (unsigned k = 0; k < ncpus(c); k++) {
		struct emu_cpu *p = cpu_at(c, k);
		uint32_t exec = p->dbg.host_exec;
		p->dbg.host_record = on;
		p->dbg.seen = 0;
		host_changed(p, exec, false);
	}
}

bool emu_dbg_host_seen(const struct emu_cpu *c, struct emu_dbg_stop *out)
{
	if (!c->dbg.seen || c->dbg.seen_at != c->icount)
		return false;
	*out = stop_of(c, c->dbg.seen, 0);
	return true;
}

uint8_t emu_dbg_gdb_kind(enum emu_bp_kind kind)
{
	static const uint8_t gdb_kind[] = { [EMU_BP_EXEC] = RAX_BP_HW,
					    [EMU_BP_WRITE] = RAX_WP_WRITE,
					    [EMU_BP_IO] = RAX_WP_ACCESS,
					    [EMU_BP_ACCESS] = RAX_WP_ACCESS,
					    [EMU_BP_READ] = RAX_WP_READ };
	return gdb_kind[kind];
}

void emu_dbg_exit(const struct emu_cpu *c, struct rax_exit *ex)
{
	if (ex->kind != RAX_EXIT_DEBUG || !c->dbg.stopped)
		return;
	ex->watch_addr = c->dbg.stop.addr;
	ex->watch_kind = emu_dbg_gdb_kind(c->dbg.stop.kind);
}

bool emu_dbg_last_stop(struct rax_vm *vm, struct emu_dbg_stop *out)
{
	struct emu_cpu *c = cpu_of(vm);
	for (unsigned k = 0; k < ncpus(c); k++) {
		struct emu_cpu *p = cpu_at(c, k);
		if (p->dbg.stopped) {
			*out = p->dbg.stop;
			return true;
		}
	}
	return false;
}
