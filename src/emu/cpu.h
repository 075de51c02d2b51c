/*
 * cpu.h - the interpreter's internal CPU context and the helpers every
 * instruction family shares: lazy flags, operand access, guest memory access
 * through the software TLB, the stack, and raising exceptions.
 *
 * Faults unwind with longjmp to the run loop (one setjmp per run/fault, not
 * per instruction), so handlers are written "all checks and loads first,
 * then commit": a fault leaves registers as they were. The run loop also
 * restores RIP and RSP, so handlers may move RSP before their last access.
 */
#ifndef RAX_EMU_CPU_H
#define RAX_EMU_CPU_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu_state.h"
#include "emu/debug.h"
#include "emu/decode.h"
#include "emu/emu.h"
#include "layout.h"

struct rax_vm;

/* Exception vectors */
enum {
	EXC_DE = 0,
	EXC_DB = 1,
	EXC_NMI = 2,
	EXC_BP = 3,
	EXC_OF = 4,
	EXC_BR = 5,
	EXC_UD = 6,
	EXC_NM = 7,
	EXC_DF = 8,
	EXC_TS = 10,
	EXC_NP = 11,
	EXC_SS = 12,
	EXC_GP = 13,
	EXC_PF = 14,
	EXC_MF = 16,
	EXC_AC = 17,
	EXC_MC = 18,
	EXC_XM = 19,
};

/* Lazy flag operations: OSZAPC are derived from (op, size, a, b, res). */
enum lf_op {
	LF_NONE, /* rflags holds the real status bits */
	LF_ADD,
	LF_ADC,
	LF_SUB,
	LF_SBB,
	LF_LOGIC,
	LF_INC,
	LF_DEC, /* CF is the one before the INC/DEC, kept in lf_cin */
	LF_NEG,
	LF_SHL,
	LF_SHR,
	LF_SAR, /* b = the masked count; a = the operand before */
	LF_ROT, /* CF/OF in rflags, the other bits from lf_op2 over the same a, b, res */
	LF_MUL, /* IMUL: CF=OF=lf_cin (overflow), AF clear */
};

/* Memory access kinds (also the TLB index) */
enum { ACC_R = 0, ACC_W = 1, ACC_X = 2 };

#define EMU_TLB_BITS 10
#define EMU_TLB_SIZE (1u << EMU_TLB_BITS)
_Static_assert(3 * EMU_TLB_SIZE <= 65536, "tlb_filled holds 16-bit indices");

/* A translation, and while the page is RAM to be reached directly (not
 * MMIO, not written through the slow path) its host mapping: the fast
 * path compares fast and adds addend to the linear address. Set the
 * mapping with emu_tlb_set_host only. */
struct emu_tlb_entry {
	uint64_t tag;    /* linear page | user<<1 | 1, 0 = invalid */
	uint64_t gpa;    /* guest-physical page address */
	uint64_t fast;   /* tag while the page has a host mapping, else 0 */
	uint64_t addend; /* host address of the page - linear page (while fast) */
};

/* The host mapping of e's page: host (NULL: none, every access slow). */
static inline void emu_tlb_set_host(struct emu_tlb_entry *e, uint8_t *host)
{
	e->fast = host ? e->tag : 0;
	e->addend = host ? (uint64_t)(uintptr_t)host - (e->tag & ~(uint64_t)GUEST_PAGE_OFFSET) : 0;
}

/* Event flags for delivery */
#define EV_SOFT 1u /* INT n / INT3: DPL check, return to next insn */
#define EV_ERR 2u  /* push an error code */
#define EV_TRAP 4u /* trap-like hardware event (#DB from TF, INT1) */

struct emu_cpu {
	/* hot state first */
	uint64_t gpr[16];
	uint64_t rip;      /* address of the instruction being executed */
	uint64_t next_rip; /* where it continues; branch handlers set this */
	uint64_t rflags;   /* status bits valid only when lf_op == LF_NONE */
	uint64_t lf_a, lf_b, lf_res;
	uint8_t lf_op, lf_size, lf_cin;
	uint8_t lf_op2; /* under LF_ROT: the operation that set SF ZF AF PF */
	uint8_t cpl;
	/* VEX.256 lane-wise handlers (EMU_VEX_LANES, insn/sse.h): the lane
	 * being computed, the number of lanes, and lane results held back
	 * until every lane has run */
	uint8_t vlane, vlanes;
	bool in_insn; /* a fault now must roll back to rip/saved_rsp */
	/* The single-step trap follows this instruction: TF when it began
	 * (SYSCALL replaces it with TF after SFMASK masked it). */
	bool tf_trap;
	bool event_delivered; /* the current instruction delivered an event (INT n) */
	uint8_t exit_req;     /* enum rax_exit_kind to leave the loop with, or 0 */
	uint64_t saved_rsp;
	uint64_t icount;         /* instructions retired */
	uint64_t next_stop_poll; /* icount at which to look at vm->stop again */
	uint64_t nintr;          /* external interrupts delivered */
	/* Virtual time not spent retiring this CPU's instructions (halted, or
	 * other CPUs' slices under SMP): now = icount + idle_ns. */
	uint64_t idle_ns;
	uint64_t slice_end; /* SMP: icount at which this CPU's slice ends (smp.c) */
	/*
	 * Run limits (emu_backend.c, history.c). event_at is min(ev_due,
	 * limit_at) as last stored (armed_at), or 0 after a recheck. ev_due:
	 * when service_events wants to look again. limit_at: min(stop_at,
	 * slice_end, the next instruction while a hook is set); a block never
	 * runs past event_at, so where a run stops never changes what it does.
	 * stop_at: end the run there (EMU_EXIT_TARGET). hook: called at every
	 * instruction boundary (phase 0: the instruction before retired, before
	 * events; phase 1: before the next one executes). hist: history.c.
	 */
	uint64_t ev_due, armed_at, limit_at, stop_at, hook_done;
	void (*hook)(struct emu_cpu *c, int phase);
	struct emu_history *hist;
	uint64_t *cow_bits;         /* per RAM page: not yet saved since the last snapshot (shared) */
	struct history_write *wlog; /* the memory writes of the current instruction (hook only) */
	unsigned nwlog;
	bool wlog_over;
	struct emu_trace *trace; /* rax --trace (trace.c), on the BSP */
	bool idle_cut;           /* one CPU: a stop ended a HLT wait early; the next run() waits on */

	struct rax_vm *vm;
	uint8_t *ram;
	uint64_t ram_size;

	struct emu_tlb_entry tlb[3][EMU_TLB_SIZE];
	/* The entries filled since the last flush (acc * EMU_TLB_SIZE + index;
	 * an entry is emptied only by a flush, so each is here once): a
	 * flush clears just these while they are few */
	uint16_t tlb_filled[3 * EMU_TLB_SIZE];
	unsigned ntlb_filled;

	/* everything else architectural (gpr/rip/rflags in s are stale) */
	struct rax_cpu_state s;
	uint64_t tsc_offset; /* TSC = virtual ns (icount + idle_ns) + tsc_offset */
	uint64_t misc_enable;

	uint8_t vhold[2][16]; /* EMU_VEX_LANES: results of lanes 0 and 1 */
	uint8_t vhold_reg;    /* their register, 0xff for none */

	/* fault unwinding */
	jmp_buf jb;
	bool jb_valid;
	int pend_vec;
	uint32_t pend_err;
	unsigned pend_flags;
	int cur_exc; /* hardware exception being delivered, -1 none (for #DF) */

	/* harness hooks */
	bool rdtsc_override, cpuid_override;
	uint64_t rdtsc_value;
	uint32_t cpuid_value[4];
	bool rand_override, rand_ok, aux_override; /* the next RDRAND/RDSEED, RDTSCP/RDPID TSC_AUX */
	uint64_t rand_value;
	uint32_t aux_value;
	/* RDRAND/RDSEED: a generator seeded at power-up (same run, same values) */
	uint64_t rng;
	bool track_writes;
	unsigned nwritten;
	uint64_t written[EMU_MAX_WRITTEN_PAGES];

	/* Interrupts (apic.c): the router devices raise lines into (NULL: no
	 * devices), this CPU's local APIC (NULL: none) and its xAPIC page
	 * (UINT64_MAX: none), and NMI blocking until the next IRET. */
	struct irq_router *irq;
	struct lapic *apic;
	unsigned cpu_index;
	uint64_t apic_page;
	bool nmi_blocked;
	_Atomic uint64_t event_at; /* icount at which to look at devices/interrupts */
	uint64_t shadow_until;     /* interrupts blocked while icount < this (STI, MOV SS) */
	/* Breakpoints: the guest's DR0-DR7 and the host debugger's (debug.h). */
	struct emu_dbg dbg;
	char detail[384];
	struct emu_insn insn; /* the instruction being executed */
	struct emu_block *bcache;
	/* The decode cache's epoch, already in its tag bits (EMU_BTAG_EPOCH_SHIFT):
	 * only blocks whose tag carries it are cached (emu_dcache_flush). */
	uint64_t bc_epoch;
	/* Moves on whenever something a translated block's chained link was
	 * checked against may have changed: a block decoded or dropped, a
	 * code page written, a fetch TLB entry replaced or flushed, a
	 * translation made (jit/jit.c: links checked at one count hold while
	 * it stays). Never goes back (history restores keep it moving). */
	uint64_t chain_gen;
	/* Leave the current block after this instruction: set by anything that
	 * may change how the following bytes execute or whether an event is due
	 * (TLB flush, write to cached code, RFLAGS writes, event rechecks). */
	bool block_break;
	uint32_t *page_gen;  /* per RAM page */
	uint64_t *code_bits; /* per RAM page: holds cached code */
	uint64_t npages;
	/* Outside 64-bit mode (segment.c): the code mode the decoder uses (enum
	 * emu_mode, from CR0.PE, EFER.LMA, CS.L/D; see emu_update_mode) and the
	 * PAE PDPTE registers loaded at MOV CR3/CR0/CR4 (legacy PAE paging). */
	uint8_t dmode;
	uint64_t pdpte[4];
	/* CPU level (enum rax_cpu_level): the decoder leaves out rows above it
	 * (#UD) and CPUID reports its features (emu_set_cpu_level). */
	uint8_t level;
	/* SMP (smp.c): the machine's CPUs (NULL: this is the only one) and what
	 * this CPU is doing (enum emu_cpu_state). */
	struct emu_smp *smp;
	uint8_t state;
	uint8_t dbg_why;     /* enum rax_debug_why of an exit_req RAX_EXIT_DEBUG */
	struct emu_jit *jit; /* the block translator (jit/jit.h), NULL when off */
	bool one_block;      /* rax-diff --jit: leave the run loop after each block (emu_diff_run) */
	bool jit_step;       /* rax-diff --jit-step: step() runs its instruction translated (emu_jit_step) */
};

/* The machine's CPUs when there are several (smp.c). They run on one host
 * thread, one slice at a time; decoded blocks, TLBs and everything
 * architectural are per CPU, RAM's code marks and page generations are
 * shared (a write by one CPU invalidates every CPU's blocks there). */
#define EMU_MAX_CPUS 16
struct emu_smp {
	unsigned n;
	unsigned last;          /* the CPU that ran the last slice */
	uint64_t now;           /* machine time (ns) at the end of the last slice */
	uint64_t stop_total;    /* end the run when the CPUs' icounts add up to this (history.c) */
	struct emu_cpu *resume; /* a slice cut short by a stop, to go on with */
	struct emu_cpu *cpu[EMU_MAX_CPUS];
};

/* What a CPU is doing (SMP scheduling, smp.c). */
enum emu_cpu_state {
	EMU_CPU_RUNNING,
	EMU_CPU_HALTED,    /* HLT: until an interrupt it takes (NMI, INIT, or INTR with IF=1) */
	EMU_CPU_WAIT_SIPI, /* after INIT (and an AP's power-up): until a SIPI */
};

/* run_loop's exit request that ends a CPU's slice (never leaves the backend). */
#define EMU_EXIT_YIELD 0x80
/* run_loop's exit request at stop_at (history.c turns it into RAX_EXIT_STEP). */
#define EMU_EXIT_TARGET 0x81

/*
 * Decode cache: straight-line runs of decoded instructions ("blocks", up to
 * EMU_BLOCK_MAX, never crossing a page) keyed by the guest-physical address
 * of their first byte. Every RAM page that holds cached code is marked; a
 * write to a marked page bumps the page's generation, which invalidates its
 * blocks (self-modifying code, text_poke). Marked pages get no write TLB
 * entries, so writes to them always take the slow path that does the bump.
 */
/* 2^15 entries of 688 bytes: 22.5 MiB of address space per CPU, the
 * entries used resident (its own mapping, emu_backend.c). 2^13 decoded
 * 5.5% of a --jit on Linux boot's time, 2^15 about 3%. */
#define EMU_BCACHE_BITS 15
#define EMU_BCACHE_SIZE (1u << EMU_BCACHE_BITS)
/* 32: the translator runs a block as one piece (jit/), and longer blocks mean
 * fewer exits between them (hot_int: 0.67 s at 16, 0.62 s at 32) */
#define EMU_BLOCK_MAX 32
/* A block's tag: gpa << 1 | 1 with the decode cache's epoch above
 * EMU_BTAG_EPOCH_SHIFT (0 = empty). A flush moves c->bc_epoch on, which
 * leaves every block decoded before it uncached without touching them;
 * after EMU_BC_EPOCHS flushes the epoch comes round again, and that flush
 * clears every tag. */
#define EMU_BTAG_EPOCH_SHIFT 48
#define EMU_BTAG_KEY_MASK ((1ull << EMU_BTAG_EPOCH_SHIFT) - 1)
#define EMU_BC_EPOCHS (1ull << (64 - EMU_BTAG_EPOCH_SHIFT))
struct emu_block {
	uint64_t tag;               /* see EMU_BTAG_EPOCH_SHIFT, 0 = empty */
	uint32_t gen;               /* page_gen of the page when decoded */
	uint8_t n;                  /* instructions in insn[] */
	uint8_t fop[EMU_BLOCK_MAX]; /* fast-op number of each (fastpath.c), 0 = handler */
	/* The translator (jit/jit.c): whole runs of this block so far, and its
	 * translation (NULL: none yet) from code buffer epoch jit_epoch. A
	 * block decoded again starts over, so a translation lives exactly as
	 * long as the decoded block it was made from. */
	uint16_t jit_hits;
	uint32_t jit_epoch;
	const void *jit;
	struct emu_insn insn[EMU_BLOCK_MAX];
};

/* The tag of the block at gpa decoded now; the tag without its epoch
 * (gpa << 1 | 1: the same bytes in any epoch) and the gpa it names. */
static inline uint64_t emu_btag(const struct emu_cpu *c, uint64_t gpa) { return gpa << 1 | 1 | c->bc_epoch; }
static inline uint64_t emu_btag_key(uint64_t tag) { return tag & EMU_BTAG_KEY_MASK; }
static inline uint64_t emu_btag_gpa(uint64_t tag) { return (tag & EMU_BTAG_KEY_MASK) >> 1; }

typedef void emu_handler_fn(struct emu_cpu *c, const struct emu_insn *in);
#define EMU_HANDLER(name) void emu_h_##name(struct emu_cpu *c, const struct emu_insn *in)

/* Virtual time: one retired instruction is one nanosecond (a 1 GHz CPU whose
 * TSC counts nanoseconds), plus the time skipped while halted. */
static inline uint64_t emu_now_ns(const struct emu_cpu *c) { return c->icount + c->idle_ns; }

/* Look at interrupts and device timers before the next instruction (after
 * anything that may unmask an interrupt: STI, POPF, IRET, port writes). */
static inline void emu_recheck_events(struct emu_cpu *c)
{
	atomic_store_explicit(&c->event_at, 0, memory_order_relaxed);
	c->block_break = true;
}

/* No interrupt between this instruction and the next (STI, MOV/POP SS).
 * The block ends here: the run loop runs the next instruction alone, and a
 * block never starts in a shadow any other way (jit/jit.c relies on it). */
static inline void emu_block_interrupts_one(struct emu_cpu *c)
{
	c->shadow_until = c->icount + 2; /* icount is incremented after the handler */
	c->block_break = true;
}

/* ---- the local APIC and taking interrupts (apic.c) ---- */
struct irq_router;
void emu_apic_attach(struct emu_cpu *c, struct irq_router *irq, unsigned index);
/* After IA32_APIC_BASE or the TSC offset changed: the xAPIC page, the timer. */
void emu_apic_sync(struct emu_cpu *c);
/* The xAPIC page (c->apic_page) through physical accesses. */
uint64_t emu_apic_mmio_read(struct emu_cpu *c, uint64_t gpa, unsigned size);
void emu_apic_mmio_write(struct emu_cpu *c, uint64_t gpa, unsigned size, uint64_t v);
/* IA32_APIC_BASE (a bad write raises #GP). */
uint64_t emu_apic_base(struct emu_cpu *c);
void emu_set_apic_base(struct emu_cpu *c, uint64_t v);
/* RDMSR/WRMSR of an MSR the local APIC owns: 1 when handled (#GP raised
 * where the APIC refuses), 0 when msr is not one of them. */
int emu_apic_rdmsr(struct emu_cpu *c, uint32_t msr, uint64_t *v);
int emu_apic_wrmsr(struct emu_cpu *c, uint32_t msr, uint64_t v);
/* CR8 (TPR[7:4] with a local APIC). */
unsigned emu_cr8(struct emu_cpu *c);
void emu_set_cr8(struct emu_cpu *c, unsigned v);
/* The local APIC is globally disabled (CPUID then clears its feature bit). */
bool emu_apic_hw_disabled(struct emu_cpu *c);
/* Deliver a pending NMI or maskable interrupt the CPU accepts now; *next
 * is lowered to when to look again. True when one was delivered. INIT and
 * SIPI go to emu_smp_init_sipi. */
bool emu_take_interrupt(struct emu_cpu *c, uint64_t *next);

/* ---- the run loop (emu_backend.c) ---- */
struct rax_exit;
/* Execute until an exit (single: exactly one instruction). */
void emu_run_loop(struct emu_cpu *c, bool single, struct rax_exit *ex);
/* Idle until woken(c) says the wait is over, advancing c's time (see
 * emu_backend.c); ends early with exit_req STOP when the VM stops. */
void emu_idle(struct emu_cpu *c, bool (*woken)(struct emu_cpu *c));
/* Make s the CPU's architectural state (as a VMM sets it). */
void emu_load_state(struct emu_cpu *c, const struct rax_cpu_state *s);
/* The CPU's architectural state (the backend's get_state, the gdb stub's). */
void emu_save_state(struct emu_cpu *c, struct rax_cpu_state *s);
/* After stop_at, slice_end or hook changed: recompute limit_at and event_at
 * (a pending recheck is kept). */
void emu_set_limits(struct emu_cpu *c);
/* history.c: a RAM page is written for the first time since the last
 * snapshot (its cow bit is set): save its contents, clear the bit. */
void history_cow(struct emu_cpu *c, uint64_t pfn);
/* history.c, from emu_idle: before looking (woke false: console input, a
 * logged wake time in a replay) and when the wait ended (woke true: log
 * the time). history_rx_pending: console input waits to be taken. */
void history_idle(struct emu_cpu *c, bool woke);
bool history_rx_pending(struct emu_cpu *c);

/* ---- several CPUs on one thread (smp.c) ---- */
/* Run the machine's CPUs in turn until an exit the VM must see. */
void emu_smp_run(struct emu_smp *m, struct rax_exit *ex);
/* Take INIT and SIPI (IRQ_EV_INIT/IRQ_EV_SIPI in ev): INIT resets the CPU
 * to wait-for-SIPI, a SIPI starts a waiting one in real mode at vector <<
 * 12. True when the CPU's state changed (its slice must end). */
bool emu_smp_init_sipi(struct emu_cpu *c, unsigned ev);

/* ---- exceptions (exception.c) ---- */
_Noreturn void emu_raise(struct emu_cpu *c, int vec, uint32_t err, unsigned flags);
_Noreturn void emu_internal(struct emu_cpu *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define EMU_GP(c, e) emu_raise(c, EXC_GP, e, EV_ERR)
#define EMU_UD(c) emu_raise(c, EXC_UD, 0, 0)
void emu_deliver(struct emu_cpu *c, int vec, uint32_t err, unsigned flags, uint64_t ret_rip);
void emu_fault_entry(struct emu_cpu *c);

/* ---- flags (flags.c) ---- */
uint64_t emu_flags_slow(struct emu_cpu *c);
static inline uint64_t emu_get_flags(struct emu_cpu *c) { return c->lf_op == LF_NONE ? c->rflags : emu_flags_slow(c); }
/* Make rflags authoritative (materialise lazy bits). */
static inline void emu_flush_flags(struct emu_cpu *c)
{
	if (c->lf_op != LF_NONE) {
		c->rflags = emu_flags_slow(c);
		c->lf_op = LF_NONE;
	}
}
/* Replace the status bits in mask with bits (non-status bits untouched). */
static inline void emu_set_status(struct emu_cpu *c, uint64_t mask, uint64_t bits)
{
	if (mask == RFLAGS_STATUS)
		c->lf_op = LF_NONE; /* every lazy bit is replaced: nothing to materialise */
	else
		emu_flush_flags(c);
	c->rflags = (c->rflags & ~mask) | (bits & mask);
}
static inline void emu_lazy(struct emu_cpu *c, unsigned op, unsigned size, uint64_t a, uint64_t b, uint64_t res)
{
	c->lf_op = (uint8_t)op;
	c->lf_size = (uint8_t)size;
	c->lf_a = a;
	c->lf_b = b;
	c->lf_res = res;
}
bool emu_cond(struct emu_cpu *c, unsigned cc);
bool emu_lazy_cf(const struct emu_cpu *c);
/* A rotate: set CF and OF, keep SF ZF AF PF (lazily when they are lazy). */
void emu_rot_flags(struct emu_cpu *c, bool cf, bool of);
/* CF alone, without materialising the other lazy bits. */
static inline bool emu_cf(struct emu_cpu *c)
{
	return c->lf_op == LF_NONE ? (c->rflags & RFLAGS_CF) != 0 : emu_lazy_cf(c);
}
static inline uint64_t emu_szp(uint64_t res, unsigned size)
{
	uint64_t f = 0;
	uint64_t m = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
	res &= m;
	if (!res)
		f |= RFLAGS_ZF;
	if (res >> (size * 8 - 1))
		f |= RFLAGS_SF;
	if (!__builtin_parity((unsigned)(res & 0xff)))
		f |= RFLAGS_PF;
	return f;
}
/* Write a whole RFLAGS image (POPF, IRET, SYSRET...): fixed bits applied. */
static inline void emu_write_rflags(struct emu_cpu *c, uint64_t v)
{
	c->lf_op = LF_NONE;
	c->rflags = (v & 0x3f7fd5ull) | RFLAGS_FIXED1;
	c->block_break = true; /* TF, IF may have changed */
	if (v & RFLAGS_IF)
		emu_recheck_events(c); /* IF may have just been set */
}

/* ---- size helpers ---- */
static inline uint64_t emu_mask(unsigned size) { return size == 8 ? ~0ull : (1ull << (size * 8)) - 1; }

/* a * b unsigned for operands of size bytes (each < 2^(8*size)): the low
 * half is returned, the high half in *hi (MUL, MULX) */
static inline uint64_t emu_umul(uint64_t a, uint64_t b, unsigned size, uint64_t *hi)
{
	if (size == 8) {
		unsigned __int128 p = (unsigned __int128)a * b;
		*hi = (uint64_t)(p >> 64);
		return (uint64_t)p;
	}
	uint64_t p = a * b;
	*hi = p >> (size * 8);
	return p & emu_mask(size);
}
static inline uint64_t emu_sext(uint64_t v, unsigned size)
{
	switch (size) {
	case 1: return (uint64_t)(int64_t)(int8_t)v;
	case 2: return (uint64_t)(int64_t)(int16_t)v;
	case 4: return (uint64_t)(int64_t)(int32_t)v;
	default: return v;
	}
}

/* ---- registers ---- */
static inline uint64_t emu_reg_get(struct emu_cpu *c, const struct emu_insn *in, unsigned r, unsigned size)
{
	switch (size) {
	case 1:
		if (!(in->pfx & EMU_P_REX) && r >= 4 && r < 8)
			return (c->gpr[r - 4] >> 8) & 0xff;
		return c->gpr[r] & 0xff;
	case 2: return c->gpr[r] & 0xffff;
	case 4: return c->gpr[r] & 0xffffffff;
	default: return c->gpr[r];
	}
}
static inline void emu_reg_set(struct emu_cpu *c, const struct emu_insn *in, unsigned r, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		if (!(in->pfx & EMU_P_REX) && r >= 4 && r < 8)
			c->gpr[r - 4] = (c->gpr[r - 4] & ~0xff00ull) | ((v & 0xff) << 8);
		else
			c->gpr[r] = (c->gpr[r] & ~0xffull) | (v & 0xff);
		break;
	case 2: c->gpr[r] = (c->gpr[r] & ~0xffffull) | (v & 0xffff); break;
	case 4: c->gpr[r] = v & 0xffffffff; break; /* 32-bit writes zero-extend */
	default: c->gpr[r] = v; break;
	}
}

/* ---- memory (mmu.c) ---- */
uint64_t emu_mem_read_slow(struct emu_cpu *c, uint64_t la, unsigned size, int acc, bool user);
void emu_mem_write_slow(struct emu_cpu *c, uint64_t la, unsigned size, uint64_t v, bool user);
void emu_tlb_flush(struct emu_cpu *c);
/* Translate la for access acc; faults (#PF) unless probe; returns -1 on fault when probe. */
int emu_translate(struct emu_cpu *c, uint64_t la, int acc, bool user, bool probe, uint64_t *gpa);
/* Block copies for descriptor tables, stacks of events etc. (atomic w.r.t. faults). */
void emu_read_block(struct emu_cpu *c, uint64_t la, void *buf, unsigned len, bool user);
void emu_write_block(struct emu_cpu *c, uint64_t la, const void *buf, unsigned len, bool user);
/* Physical access used by the page walker and slow paths. */
uint64_t emu_phys_read(struct emu_cpu *c, uint64_t gpa, unsigned size);
void emu_phys_write(struct emu_cpu *c, uint64_t gpa, unsigned size, uint64_t v);
void emu_note_write(struct emu_cpu *c, uint64_t gpa);
/* Decode cache (mmu.c): forget everything / mark a RAM page as holding code. */
void emu_dcache_flush(struct emu_cpu *c);
void emu_mark_code_page(struct emu_cpu *c, uint64_t pfn);
static inline bool emu_is_code_page(const struct emu_cpu *c, uint64_t pfn)
{
	return pfn < c->npages && ((c->code_bits[pfn >> 6] >> (pfn & 63)) & 1);
}
/* Host pointer for linear la (translating, may fault), NULL when not RAM. */
uint8_t *emu_host_page(struct emu_cpu *c, uint64_t la, int acc);

/*
 * Check an n-byte access at seg:off (n <= 4096) for acc before any part of
 * it is done: the segment/canonical rules, then #PF for its first page and,
 * when it crosses, its second (CR2 the second page's first byte, as the CPU
 * reports). Returns the linear address. For instructions that must fault
 * as a whole before writing anything (32-byte operands, masked stores).
 */
uint64_t emu_access_check(struct emu_cpu *c, unsigned seg, uint64_t off, unsigned n, int acc);

static inline bool emu_canonical(uint64_t la) { return (uint64_t)((int64_t)(la << 16) >> 16) == la; }

/* The linear address of the code at offset ip in CS: outside 64-bit mode
 * CS's base is added (real mode's CS << 4 too) and the sum wraps at 4 GiB. */
static inline uint64_t emu_code_linear(const struct emu_cpu *c, uint64_t ip)
{
	if (c->dmode == EMU_MODE_64)
		return ip;
	return (c->s.seg[RAX_SEG_CS].base + ip) & 0xffffffffull;
}

/* Linear address of seg|EMU_SEG_LEG:off outside 64-bit mode: limit and type
 * checks for an access of size bytes (acc), base added, 32-bit wrap (segment.c). */
uint64_t emu_linear_leg(struct emu_cpu *c, unsigned seg, uint64_t off, unsigned size, int acc);

/* Linear address of seg:off for an access of size bytes. In 64-bit mode only
 * FS/GS have bases; the decoder marks legacy-mode segments with EMU_SEG_LEG
 * (>= RAX_SEG_FS), so 64-bit DS/ES/SS accesses pay nothing for them. Both
 * ends of the access must be canonical: #GP(0), #SS(0) for the stack (a
 * qword POP at 0x7FFFFFFFFFFC is #SS on the CPU). */
static inline uint64_t emu_linear_acc(struct emu_cpu *c, unsigned seg, uint64_t off, unsigned size, int acc)
{
	uint64_t la = off;
	if (seg >= RAX_SEG_FS) {
		if (__builtin_expect(seg & EMU_SEG_LEG, 0))
			return emu_linear_leg(c, seg, off, size, acc);
		la += c->s.seg[seg].base;
	}
	if (__builtin_expect(!emu_canonical(la) || !emu_canonical(la + size - 1), 0)) {
		if (seg == RAX_SEG_SS)
			emu_raise(c, EXC_SS, 0, EV_ERR);
		EMU_GP(c, 0);
	}
	return la;
}
static inline uint64_t emu_linear(struct emu_cpu *c, unsigned seg, uint64_t off)
{
	return emu_linear_acc(c, seg, off, 1, ACC_R);
}

static inline uint8_t *emu_tlb_host(struct emu_cpu *c, uint64_t la, int acc, unsigned size)
{
	const struct emu_tlb_entry *e = &c->tlb[acc][(la >> GUEST_PAGE_SHIFT) & (EMU_TLB_SIZE - 1)];
	uint64_t tag = (la & ~GUEST_PAGE_OFFSET) | ((uint64_t)(c->cpl == 3) << 1) | 1;
	if (__builtin_expect(e->fast == tag && (la & GUEST_PAGE_OFFSET) + size <= GUEST_PAGE_SIZE, 1))
		return (uint8_t *)(uintptr_t)(la + e->addend);
	return NULL;
}

/* Read size bytes at linear la through the TLB of access kind acc. */
static inline uint64_t emu_rd_la(struct emu_cpu *c, uint64_t la, unsigned size, int acc)
{
	uint8_t *p = emu_tlb_host(c, la, acc, size);
	if (p) {
		switch (size) {
		case 1: return *p;
		case 2: {
			uint16_t v;
			memcpy(&v, p, 2);
			return v;
		}
		case 4: {
			uint32_t v;
			memcpy(&v, p, 4);
			return v;
		}
		default: {
			uint64_t v;
			memcpy(&v, p, 8);
			return v;
		}
		}
	}
	return emu_mem_read_slow(c, la, size, acc, c->cpl == 3);
}

static inline uint64_t emu_rd(struct emu_cpu *c, unsigned seg, uint64_t off, unsigned size)
{
	return emu_rd_la(c, emu_linear_acc(c, seg, off, size, ACC_R), size, ACC_R);
}

/* The destination of a read-modify-write instruction, read with the
 * access checked and translated for writing: a fault is the write's (#PF
 * with W=1, #GP for a read-only segment), as the CPU reports it, before
 * anything is read. */
static inline uint64_t emu_rd_rmw(struct emu_cpu *c, unsigned seg, uint64_t off, unsigned size)
{
	return emu_rd_la(c, emu_linear_acc(c, seg, off, size, ACC_W), size, ACC_W);
}

static inline void emu_wr(struct emu_cpu *c, unsigned seg, uint64_t off, unsigned size, uint64_t v)
{
	uint64_t la = emu_linear_acc(c, seg, off, size, ACC_W);
	uint8_t *p = emu_tlb_host(c, la, ACC_W, size);
	if (p && !c->track_writes) {
		switch (size) {
		case 1: *p = (uint8_t)v; break;
		case 2: {
			uint16_t t = (uint16_t)v;
			memcpy(p, &t, 2);
			break;
		}
		case 4: {
			uint32_t t = (uint32_t)v;
			memcpy(p, &t, 4);
			break;
		}
		default: memcpy(p, &v, 8); break;
		}
		return;
	}
	emu_mem_write_slow(c, la, size, v, c->cpl == 3);
}

/* ---- operands ---- */
static inline uint64_t emu_ea(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t a = (uint64_t)(int64_t)in->disp;
	if (in->base == EMU_REG_RIP)
		a += c->next_rip;
	else if (in->base != EMU_REG_NONE)
		a += c->gpr[in->base];
	if (in->index != EMU_REG_NONE)
		a += c->gpr[in->index] << in->scale;
	if (in->asz != 8)
		a &= in->asz == 4 ? 0xffffffffull : 0xffffull; /* 16-bit forms exist outside 64-bit mode */
	return a;
}
static inline uint64_t emu_rm_get(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	if (in->mod == 3)
		return emu_reg_get(c, in, in->rm, size);
	return emu_rd(c, in->seg, emu_ea(c, in), size);
}
static inline void emu_rm_set(struct emu_cpu *c, const struct emu_insn *in, unsigned size, uint64_t v)
{
	if (in->mod == 3)
		emu_reg_set(c, in, in->rm, size, v);
	else
		emu_wr(c, in->seg, emu_ea(c, in), size, v);
}
/* Register operands need no ModRM.mod check; memory-only forms do. */
static inline void emu_need_mem(struct emu_cpu *c, const struct emu_insn *in)
{
	if (in->mod == 3)
		EMU_UD(c);
}
static inline void emu_need_cpl0(struct emu_cpu *c)
{
	if (c->cpl)
		EMU_GP(c, 0);
}

/* ---- stack (64-bit mode: SS base 0, 64-bit RSP) ---- */
static inline void emu_push(struct emu_cpu *c, unsigned size, uint64_t v)
{
	uint64_t sp = c->gpr[RAX_REG_RSP] - size;
	emu_wr(c, RAX_SEG_SS, sp, size, v);
	c->gpr[RAX_REG_RSP] = sp;
}
static inline uint64_t emu_pop(struct emu_cpu *c, unsigned size)
{
	uint64_t v = emu_rd(c, RAX_SEG_SS, c->gpr[RAX_REG_RSP], size);
	c->gpr[RAX_REG_RSP] += size;
	return v;
}

/* Branch to target with operand size osz (16-bit truncates, AMD behaviour). */
static inline void emu_branch(struct emu_cpu *c, uint64_t target, unsigned osz)
{
	if (osz == 2)
		target &= 0xffff;
	else if (osz == 4)
		target &= 0xffffffff;
	if (!emu_canonical(target))
		EMU_GP(c, 0);
	c->next_rip = target;
}

/* ---- system helpers (system.c / exception.c) ---- */
void emu_load_seg(struct emu_cpu *c, unsigned seg, uint16_t sel);
int emu_read_descriptor(struct emu_cpu *c, uint16_t sel, uint64_t *lo, uint64_t *hi, uint64_t *addr);
/* Set the accessed bit of the descriptor (low word lo, at addr) behind s, once. */
void emu_desc_set_accessed(struct emu_cpu *c, struct rax_segment *s, uint64_t lo, uint64_t addr);
void emu_update_mode(struct emu_cpu *c);
void emu_pio_check_stop(struct emu_cpu *c);
uint64_t emu_tsc(struct emu_cpu *c);
/* Copy up to n instruction bytes at linear rip without faulting; returns count. */
unsigned emu_peek_code(struct emu_cpu *c, uint64_t rip, uint8_t *buf, unsigned n);

#endif
