/*
 * history.h - reverse execution on the interpreter: run to an exact
 * instruction count, periodic snapshots, deterministic replay, and a
 * backwards search by re-execution.
 *
 * Positions. The machine's position is its instruction count: the
 * instructions retired by all CPUs together (emu_instruction_count). With
 * several CPUs the order in which they run is fixed (smp.c), so a count
 * names one machine state. Position k is the state after k instructions
 * retired and before anything due at k happens (an interrupt delivered at
 * k, a pending event taken at k): goto(k) lands there, and a forward step
 * from there may first deliver that interrupt. Stopping at any position and
 * going on changes nothing (blocks never run past the next event or stop
 * point: emu_backend.c), so a run that stops often and one that never
 * stops retire the same instructions.
 *
 * Snapshots. history_enable() makes the backend's run() take a snapshot
 * every `interval` instructions (and at the first run): every CPU's state,
 * every device's state (PIC, PIT, RTC, UART registers and receive FIFO,
 * local APICs, I/O APIC, ACPI PM, the interrupt router), the RDRAND
 * generators and virtual time. RAM is not copied: after a snapshot the
 * first write to each page saves that page's old contents (copy-on-write
 * through the software TLB, mmu.c), so a snapshot costs the pages the guest
 * wrote until the next one. goto(k) restores the nearest snapshot at or
 * before k (writing back the saved pages) and re-executes to k; going back
 * far past the nearest snapshot also leaves a snapshot near k on the way
 * (HISTORY_NEAR_GAP), so that a next step back is short. Decoded
 * code is dropped on a restore; the TLBs are restored as they were.
 *
 * Inputs. Console input (UART receive) is taken by the CPU thread at an
 * instruction boundary and logged with its position; a replay feeds the
 * same bytes at the same positions, so a run with typed input replays
 * exactly. Writes by a debugger (registers, memory) while history is on
 * must go through history_poke_*: they are logged the same way (and the
 * recorded future after the current position is dropped).
 *
 * Memory. Snapshot memory (saved pages, device and CPU images, the input
 * log) is bounded by the size given to history_enable(); the oldest
 * snapshots are dropped to stay under it. history_stats() and
 * history_format() report it (rax prints it at exit with --gdb-history).
 *
 * Threads. Every function runs on the thread that calls the backend's run()
 * and only while no run() is in progress.
 */
#ifndef RAX_EMU_HISTORY_H
#define RAX_EMU_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "err.h"

struct rax_vm;

/* Default bound of snapshot memory (--gdb-history) and snapshot interval. */
#define HISTORY_DEFAULT_BYTES (256ull << 20)
#define HISTORY_DEFAULT_INTERVAL 10000000ull
/* goto(k) backwards more than this past the nearest snapshot inserts one
 * HISTORY_NEAR_GAP / 2 before k (while the memory bound allows), so that
 * going back step by step replays at most about that much each time. */
#define HISTORY_NEAR_GAP 250000ull

/* Turn history on for an interpreter VM (after vm_create_backend and the
 * loader, before or between runs). interval 0: the default. The first
 * snapshot is taken now. -1 with err: not the interpreter, out of memory. */
int history_enable(struct rax_vm *vm, uint64_t max_bytes, uint64_t interval, struct rax_err *err);
void history_disable(struct rax_vm *vm);
bool history_active(struct rax_vm *vm);

/* The machine's position now (instructions retired by all CPUs). */
uint64_t history_icount(struct rax_vm *vm);
/* The oldest position goto can reach (the oldest snapshot kept). */
uint64_t history_oldest(struct rax_vm *vm);
/* The furthest position ever reached on the current timeline (a goto back
 * keeps it; going forward again replays the same inputs up to it). */
uint64_t history_newest(struct rax_vm *vm);

/*
 * Run forward to position target (works without history too): returns 0
 * with ex->kind RAX_EXIT_STEP and the machine exactly at target, or the
 * exit that ended the run earlier (HLT with IF=0, STOP, a debugger's
 * breakpoint, ...). Snapshots are taken on the way when history is on.
 */
int history_run_to(struct rax_vm *vm, uint64_t target, struct rax_exit *ex, struct rax_err *err);

/*
 * Several CPUs: positions count the machine's instructions, so goto(k - 1)
 * steps back over the machine's last instruction, whichever CPU retired it.
 * A reverse-stepi of one CPU (gdb's thread) is the last position before
 * now at which that CPU retired an instruction: history_find_last with a
 * probe that checks history_cpu(vm) (the gdb stub's choice, emu_gdb.c).
 *
 * Go to position k, backwards or forwards: restore the nearest snapshot
 * at or before k and re-execute to k. -1 with err when k is before
 * history_oldest() or the guest ends before k (err says which).
 */
int history_goto(struct rax_vm *vm, uint64_t k, struct rax_err *err);

/*
 * A predicate over positions for the backwards search. Called with the
 * machine at position k (state readable through the backend's get_state /
 * cpu_get_state and guest memory), after the instruction that led to k
 * retired; history_writes() lists that instruction's memory writes.
 * Returns true when it holds at k.
 */
typedef bool (*history_probe_fn)(struct rax_vm *vm, uint64_t k, void *arg);

/*
 * The last position k in [lo, hi) where probe holds, found by re-executing
 * from snapshots, newest interval first (each instruction replayed one at a
 * time under the probe, about 20-50 M instructions/s). Returns 1 with *found
 * = k and the machine at k; 0 when it holds nowhere (the machine is put
 * back at hi); -1 with err. lo below history_oldest() is raised to it.
 * reverse-continue: lo = history_oldest(vm), hi = the current position.
 */
int history_find_last(struct rax_vm *vm, uint64_t lo, uint64_t hi, history_probe_fn probe, void *arg, uint64_t *found,
		      struct rax_err *err);

/* Within a probe: 0 when called at position k (before the events due at
 * k), 1 when called again at k because an event was delivered there (an
 * interrupt or exception moved RIP: a breakpoint on a handler's first
 * instruction holds in phase 1). After find_last found k in phase 1 the
 * machine is left after that delivery; history_goto(k) lands before it. */
int history_probe_phase(struct rax_vm *vm);

/* One memory write of the instruction before the probe's position. */
struct history_write {
	uint64_t gpa;   /* guest-physical address */
	uint64_t value; /* the bytes written, little-endian */
	uint8_t size;   /* 1..8 bytes (wider stores are split) */
	uint8_t cpu;    /* the CPU that wrote */
	uint64_t la;    /* linear address, HISTORY_NO_LA for a physical write (page-table A/D bits) */
};
#define HISTORY_NO_LA UINT64_MAX
/* Within a probe (and a trace hook): the writes of the last instruction;
 * *n receives the count (at most HISTORY_MAX_WRITES, more are dropped and
 * *overflow says so). */
#define HISTORY_MAX_WRITES 64
const struct history_write *history_writes(struct rax_vm *vm, unsigned *n, bool *overflow);
/* Within a probe: the CPU that retired the instruction before k; elsewhere
 * the CPU that runs next (a slice a stop cut short) or ran last (0 with
 * one CPU). */
unsigned history_cpu(struct rax_vm *vm);

/* A debugger changed state while history is on: log it at the current
 * position (dropping the recorded future) so that replays include it.
 * history_poke_mem writes guest-physical RAM itself. */
int history_poke_mem(struct rax_vm *vm, uint64_t gpa, const void *buf, size_t len, struct rax_err *err);
int history_poke_state(struct rax_vm *vm, unsigned cpu, const struct rax_cpu_state *s, struct rax_err *err);

/* The interpreter's run() while history is on (emu_backend.c). */
int history_backend_run(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err);

struct history_stats {
	uint64_t bytes;       /* snapshot memory in use now */
	uint64_t max_bytes;   /* the bound */
	uint64_t snapshots;   /* snapshots kept */
	uint64_t dropped;     /* snapshots dropped to stay under the bound */
	uint64_t pages;       /* saved RAM pages held */
	uint64_t inputs;      /* logged console input bytes and debugger writes */
	uint64_t oldest, now; /* positions */
};
void history_stats(struct rax_vm *vm, struct history_stats *st);
/* One line: "history: N snapshots, X MiB of M MiB, positions A..B". */
int history_format(struct rax_vm *vm, char *buf, size_t n);

#endif
