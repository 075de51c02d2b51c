/*
 * backend.h - the one CPU-backend interface (KVM or the interpreter).
 *
 * The CLI and rax-diff only ever talk to a backend through these ops. A
 * backend handles port I/O and MMIO itself by calling vm_pio()/vm_mmio()
 * (the shared bus), and returns from run()/step() only for events the VM
 * must decide on.
 */
#ifndef RAX_BACKEND_H
#define RAX_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_state.h"
#include "err.h"

struct rax_vm;

enum rax_exit_kind {
	RAX_EXIT_NONE,
	RAX_EXIT_HLT,      /* HLT with no interrupt able to wake the CPU (IF=0) */
	RAX_EXIT_SHUTDOWN, /* triple fault */
	RAX_EXIT_STOP,     /* vm->stop was set: device request, timeout, signal */
	RAX_EXIT_STEP,     /* step() completed one instruction */
	RAX_EXIT_INTERNAL, /* the backend cannot go on; detail says why */
	RAX_EXIT_DEBUG,    /* a debugger's stop: vm->debug_req, a breakpoint, a watchpoint, a debug step */
};

/* Why a RAX_EXIT_DEBUG happened (struct rax_exit.why). */
enum rax_debug_why {
	RAX_DEBUG_INTERRUPT,     /* vm_request_debug_stop(): the debugger asked (gdb's Ctrl-C) */
	RAX_DEBUG_STEP,          /* debug_step() retired one instruction (or delivered an event) */
	RAX_DEBUG_BREAK,         /* an execution breakpoint at rip: the instruction has not run */
	RAX_DEBUG_WATCH,         /* a data watchpoint: watch_addr, watch_kind; the access has completed */
	RAX_DEBUG_HISTORY_BEGIN, /* reverse execution reached the oldest position it keeps */
};

/* Breakpoint and watchpoint kinds, numbered as gdb's Z packets number them. */
enum rax_bp_kind { RAX_BP_SW = 0, RAX_BP_HW = 1, RAX_WP_WRITE = 2, RAX_WP_READ = 3, RAX_WP_ACCESS = 4 };

struct rax_breakpoint {
	uint64_t addr; /* guest-virtual (linear) address */
	uint8_t kind;  /* enum rax_bp_kind */
	uint8_t len;   /* watchpoints: 1, 2, 4 or 8 bytes; breakpoints: gdb's kind (1) */
};

/* The most breakpoints and watchpoints a debugger may have set at once. */
#define RAX_MAX_BREAKPOINTS 256

struct rax_exit {
	enum rax_exit_kind kind;
	uint64_t rip; /* guest RIP where the exit happened */
	unsigned cpu; /* the CPU it happened on (0: the bootstrap processor) */
	/* RAX_EXIT_DEBUG: enum rax_debug_why, and for a watchpoint the address
	 * gdb set it on and its enum rax_bp_kind */
	uint8_t why, watch_kind;
	uint64_t watch_addr;
	char detail[448]; /* human-readable description for INTERNAL */
};

struct rax_backend_ops {
	const char *name;
	/* Create the CPU on vm->mem; stores its context in vm->backend. */
	int (*create)(struct rax_vm *vm, struct rax_err *err);
	void (*destroy)(struct rax_vm *vm);
	int (*set_state)(struct rax_vm *vm, const struct rax_cpu_state *s, struct rax_err *err);
	int (*get_state)(struct rax_vm *vm, struct rax_cpu_state *s, struct rax_err *err);
	/* Run until an exit the VM must see. Returns -1 only on host errors. */
	int (*run)(struct rax_vm *vm, struct rax_exit *exit, struct rax_err *err);
	/* Execute exactly one instruction (NULL when the backend cannot). */
	int (*step)(struct rax_vm *vm, struct rax_exit *exit, struct rax_err *err);
	/* Guest-virtual to guest-physical through the current page tables. */
	int (*translate)(struct rax_vm *vm, uint64_t gva, uint64_t *gpa);
	/* Drive interrupt line `line` (devices/irq.h: ISA IRQ n is line n, as
	 * KVM_IRQ_LINE numbers them; may be called from another thread). */
	void (*set_irq)(struct rax_vm *vm, unsigned line, int level);
	/* The interrupt controllers and the PIT are in the backend (KVM's
	 * in-kernel irqchip): the device models stay off the bus. */
	bool kernel_irqchip;
	/* Guest time in ns since the CPU was created (see vm_now_ns()). */
	uint64_t (*now_ns)(struct rax_vm *vm);

	/*
	 * Debugger support (src/gdb/), called on the thread that calls run(),
	 * only while no run() is in progress. `cpu` is 0..ncpus-1; NULL
	 * members: the backend cannot (the stub answers with an error).
	 */
	int (*cpu_get_state)(struct rax_vm *vm, unsigned cpu, struct rax_cpu_state *s, struct rax_err *err);
	int (*cpu_set_state)(struct rax_vm *vm, unsigned cpu, const struct rax_cpu_state *s, struct rax_err *err);
	/* Guest-virtual to guest-physical through CPU cpu's page tables. */
	int (*cpu_translate)(struct rax_vm *vm, unsigned cpu, uint64_t gva, uint64_t *gpa);
	/* One instruction of CPU cpu, the others held: RAX_EXIT_DEBUG with why
	 * STEP (or BREAK/WATCH), or the exit that ended the guest. -1 with err
	 * when this host cannot (err says why in one line). */
	int (*debug_step)(struct rax_vm *vm, unsigned cpu, struct rax_exit *exit, struct rax_err *err);
	/* Replace the debugger's breakpoints and watchpoints (n = 0: none);
	 * run() and debug_step() then end with RAX_EXIT_DEBUG on a hit. -1 with
	 * err when the backend cannot set one of them (too many, a kind or
	 * length it lacks, an unmapped software breakpoint on KVM). */
	int (*set_breakpoints)(struct rax_vm *vm, const struct rax_breakpoint *bp, unsigned n, struct rax_err *err);
	/* The debugger writes guest RAM [gpa, gpa+len) (the interpreter drops
	 * code it decoded there and logs the write for replays; NULL: the
	 * caller writes guest memory itself). */
	int (*mem_write)(struct rax_vm *vm, uint64_t gpa, const void *buf, size_t len, struct rax_err *err);
	/* The interpreter's retired-instruction count (NULL elsewhere). */
	uint64_t (*icount)(struct rax_vm *vm);
	/* Reverse execution (the interpreter with history on; NULL or false
	 * elsewhere): one instruction of CPU cpu back (step), or back to the last
	 * position where a forward run would have stopped at a breakpoint or
	 * watchpoint; RAX_EXIT_DEBUG with why STEP, BREAK, WATCH, or
	 * HISTORY_BEGIN when the oldest position kept was reached. */
	bool (*can_reverse)(struct rax_vm *vm);
	int (*reverse)(struct rax_vm *vm, unsigned cpu, bool step, struct rax_exit *exit, struct rax_err *err);
};

extern const struct rax_backend_ops rax_kvm_backend;
extern const struct rax_backend_ops rax_emu_backend;

#endif
