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
};

struct rax_exit {
	enum rax_exit_kind kind;
	uint64_t rip;     /* guest RIP where the exit happened */
	unsigned cpu;     /* the CPU it happened on (0: the bootstrap processor) */
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
};

extern const struct rax_backend_ops rax_kvm_backend;
extern const struct rax_backend_ops rax_emu_backend;

#endif
