/*
 * debug.h - breakpoints and watchpoints on the interpreter: the guest's own
 * debug registers (DR0-DR3, DR6, DR7, RFLAGS.TF/RF) and a host debugger's
 * (the gdb stub's Z0-Z4), one mechanism (debug.c).
 *
 * Every breakpoint is a slot {kind, linear address range}. The guest's four
 * slots are decoded from DR0-DR3 and DR7 whenever those, CR4.DE or the state
 * change; the host's are set through the functions below. What a match does
 * differs by owner:
 *
 * - guest slot: the CPU's #DB (Intel SDM vol. 3 ch. 17, AMD APM vol. 2
 *   ch. 13): execution breakpoints are faults before the instruction (RF
 *   suppresses them), data and I/O breakpoints traps after it, reported in
 *   DR6.B0-B3, delivered through the guest's IDT.
 * - host slot: the guest sees nothing. run()/step() return with
 *   exit kind RAX_EXIT_DEBUG and emu_dbg_last_stop() says which slot and address:
 *   an execution breakpoint stops before the instruction at its address
 *   executes (RIP = the address), a watchpoint stops after the instruction
 *   that made the access completed (RIP = the next instruction; for a REP
 *   string instruction after the iteration that made it, RIP still on the
 *   instruction when iterations are left). A #DB the guest's own slots
 *   raised in the same instruction stays pending and is delivered when the
 *   guest runs on.
 *
 * Host watchpoints are exact: any byte of an access in [addr, addr + len)
 * matches, whatever the length or alignment (no DR7 LEN masking), and read
 * watchpoints exist (the CPU has none). A resumed run() or step() never stops
 * at a host execution breakpoint on the instruction it starts with (so
 * "continue" from a breakpoint moves on, as gdb expects).
 *
 * Cost: nothing on the hot path while no slot is enabled. With data slots,
 * the software TLB keeps no host pointers for the watched linear pages, so
 * only accesses to them take the slow path that compares. Guest execution
 * slots are compared at each block start and cut blocks before their
 * addresses; host execution slots are looked at only when a block is
 * decoded (emu_backend.c's fetch_block: a block ends before one, and a
 * block starting at one is never cached), so cached code runs unchecked.
 */
#ifndef RAX_EMU_DEBUG_H
#define RAX_EMU_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

struct rax_vm;
struct emu_cpu;
struct emu_insn;

enum emu_bp_kind {
	EMU_BP_EXEC = 0,   /* instruction whose first byte (prefixes included) is at addr */
	EMU_BP_WRITE = 1,  /* data write */
	EMU_BP_IO = 2,     /* port I/O (IN/OUT/INS/OUTS), addr = port; guest: CR4.DE=1 only */
	EMU_BP_ACCESS = 3, /* data read or write */
	EMU_BP_READ = 4,   /* data read (host slots only) */
};

/* Host slots (a debugger on the host: the gdb stub). */
#define EMU_DBG_HOST_SLOTS 32

/*
 * Add a host breakpoint/watchpoint of kind on [addr, addr + len) (len >= 1;
 * an EXEC breakpoint uses addr only; addresses are guest-linear, i.e.
 * virtual through the current page tables). Returns its slot (>= 0) or -1
 * when all EMU_DBG_HOST_SLOTS are in use or len is 0 or the range wraps.
 * Adding the same (kind, addr, len) twice uses two slots.
 */
int emu_dbg_host_add(struct rax_vm *vm, enum emu_bp_kind kind, uint64_t addr, uint64_t len);
/* Remove one slot matching (kind, addr, len): 0, or -1 when there is none. */
int emu_dbg_host_remove(struct rax_vm *vm, enum emu_bp_kind kind, uint64_t addr, uint64_t len);
/* Remove every host slot (detach). */
void emu_dbg_host_clear(struct rax_vm *vm);

/* Why the last run()/step() returned RAX_EXIT_DEBUG. */
struct emu_dbg_stop {
	int slot;              /* the host slot (the lowest one when several matched) */
	enum emu_bp_kind kind; /* its kind */
	uint64_t addr;         /* its address (gdb's "watch:ADDR"/"hwbreak") */
	uint64_t access;       /* linear address (or port) of the matching access, RIP for EXEC */
	uint32_t slots_hit;    /* bit n: host slot n matched in that instruction */
	unsigned cpu;          /* the CPU it happened on */
};
/* Record mode on or off for every CPU (struct emu_dbg: host_record). */
void emu_dbg_host_record(struct rax_vm *vm, bool on);
/* Record mode: did c's last retired instruction (or the event delivered
 * after it) make an access a host watchpoint matches? Fills *out as
 * emu_dbg_last_stop does. */
bool emu_dbg_host_seen(const struct emu_cpu *c, struct emu_dbg_stop *out);

/* gdb's watchpoint kind (RAX_BP_HW, RAX_WP_*) for a slot kind. */
uint8_t emu_dbg_gdb_kind(enum emu_bp_kind kind);
/* Fills *out and returns true when the last exit was a host hit. */
bool emu_dbg_last_stop(struct rax_vm *vm, struct emu_dbg_stop *out);

/* ---- inside the interpreter (debug.c) ---- */

/* A decoded slot: matches accesses of its kind to bytes [lo, hi]. */
struct emu_bp {
	uint64_t lo, hi;
	uint8_t kind; /* enum emu_bp_kind */
	bool on;
};

/* What is enabled, guest and host together (emu_dbg.active). */
#define EMU_DBG_DATA 1u /* a data slot: watched pages bypass the TLB */
#define EMU_DBG_EXEC 2u /* an execution slot: blocks are cut, each start is checked */
#define EMU_DBG_IO 4u   /* an I/O slot: port accesses are checked */

/* DR6 bits */
#define DR6_B(n) (1u << (n))
#define DR6_BD (1u << 13)
#define DR6_BS (1u << 14)
#define DR6_BT (1u << 15)
#define DR6_FIXED1 0xffff0ff0u /* reads as 1 (AMD: no RTM bit 16, bit 12 reads 0) */
#define DR6_WRITABLE 0xe00fu
/* DR7 bits */
#define DR7_GD (1u << 13)
#define DR7_FIXED1 0x400u
#define DR7_WRITABLE 0xffff2bffu

struct emu_dbg {
	uint8_t active; /* EMU_DBG_* of enabled slots; 0: nothing to do anywhere */
	/* the lowest and highest execution breakpoint address (a quick filter
	 * for the per-block checks; xlo > xhi when there is none) */
	uint64_t xlo, xhi;
	struct emu_bp guest[4];
	struct emu_bp host[EMU_DBG_HOST_SLOTS];
	uint32_t host_used; /* bit n: host[n] is set */
	uint32_t host_exec; /* host execution slots in effect (none in record mode): fetch_block asks */
	/* The instruction being executed: DR6.B0-B3 of enabled guest data and
	 * I/O slots that matched, host slots that matched (and the first
	 * matching access). Nonzero hit ends the decoded block after it. */
	uint32_t hit;
	uint32_t host_hit;
	uint64_t host_access;
	/* Trap bits (B0-B3, BS) held back by the MOV SS/POP SS shadow or by a
	 * host stop, delivered at the next instruction boundary outside it. */
	uint32_t pend;
	uint64_t ss_shadow_until; /* icount below which debug traps wait (MOV SS) */
	/* A resumed run()/step() passes a host execution breakpoint at skip_rip once. */
	bool host_skip;
	uint64_t skip_rip;
	bool stopped; /* the last exit was a host hit (stop below) */
	struct emu_dbg_stop stop;
	/* Record mode (a reverse search replays through the slots): host data
	 * slots that match set seen (at icount seen_at) instead of stopping,
	 * and host execution slots are left to the search. */
	bool host_record;
	uint32_t seen;
	uint64_t seen_at;
};

/* Decode DR7/DR0-DR3/CR4.DE into the guest slots and recompute active
 * (after MOV DR, MOV CR4, set_state); flushes the TLB when data slots change. */
void emu_dbg_update(struct emu_cpu *c);
/* The linear page of la holds a watched byte (no host pointer in the TLB). */
bool emu_dbg_page_watched(const struct emu_cpu *c, uint64_t la);
/* A data access of size bytes at la completed (write: a write, else a read). */
void emu_dbg_data(struct emu_cpu *c, uint64_t la, unsigned size, bool write);
/* A port access of size bytes at port. */
void emu_dbg_io(struct emu_cpu *c, uint16_t port, unsigned size);
/* After an instruction (or an event's delivery) with hit, host_hit or pend
 * set: the trap-class #DB (bs: add DR6.BS, the single-step trap), or the host
 * stop, or held back by the MOV SS shadow. */
void emu_dbg_trap(struct emu_cpu *c, bool bs);
/* At an instruction boundary: deliver held-back trap bits once the shadow
 * is over. True when a #DB was delivered. */
bool emu_dbg_boundary(struct emu_cpu *c);
/* Before the instruction at RIP (rf: RFLAGS.RF when it started): execution
 * breakpoints. True when it must not run now (#DB fault delivered, or a
 * host stop requested). */
bool emu_dbg_exec(struct emu_cpu *c, bool rf);
/* How many of the n decoded instructions at RIP run before the next one
 * that starts at a guest execution breakpoint (at least 1). */
unsigned emu_dbg_cut(struct emu_cpu *c, const struct emu_insn *in, unsigned n);
/* A fault unwound the current instruction (its matches are dropped). */
void emu_dbg_fault(struct emu_cpu *c);
/* run()/step() begins: forget the last stop, pass a host execution
 * breakpoint at RIP once. */
void emu_dbg_resume(struct emu_cpu *c);
/* A block is decoded at linear address la while host_exec: is a host
 * execution slot there? */
bool emu_dbg_host_exec_at(const struct emu_cpu *c, uint64_t la);
/* The same for the block's first instruction, at RIP: 1 when the run
 * stops before it (host_stop: the slot, RAX_DEBUG_BREAK), -1 when it is the
 * one a resumed run passes once (run it, uncached), 0 when there is none. */
int emu_dbg_host_break(struct emu_cpu *c, uint64_t la);
/* The run ended with a host stop: the slot's address and gdb's kind in
 * ex->watch_addr/watch_kind (ex->why is set from c->dbg_why). */
struct rax_exit;
void emu_dbg_exit(const struct emu_cpu *c, struct rax_exit *ex);
/* A #DB enters its handler: DR7.GD is cleared (SDM 17.2.4). */
void emu_dbg_clear_gd(struct emu_cpu *c);

#endif
