/*
 * vm.h - one virtual machine: configuration, RAM, bus, devices, backend.
 *
 * The VM owns everything both backends share. vm_run() is the exit loop
 * that turns backend exits into an enum rax_status, the process exit code.
 */
#ifndef RAX_VM_H
#define RAX_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "bus.h"
#include "cpu_state.h"
#include "err.h"
#include "guest_mem.h"

/*
 * Process exit status. RAX's own codes are even; the guest's debug-exit
 * port produces odd codes ((value << 1) | 1), so the two never collide.
 */
enum rax_status {
	RAX_STATUS_OK = 0,                 /* guest powered off, or halted with IF=0 */
	RAX_STATUS_USAGE = 2,              /* bad command line or bad input file */
	RAX_STATUS_RESET = 4,              /* guest requested a reset (i8042 0xFE) */
	RAX_STATUS_SHUTDOWN = 6,           /* triple fault */
	RAX_STATUS_INTERNAL = 8,           /* backend cannot continue (emulation failure, unknown insn) */
	RAX_STATUS_TIMEOUT = 10,           /* --timeout expired */
	RAX_STATUS_SIGNAL = 12,            /* SIGINT, SIGTERM, SIGHUP or SIGQUIT (or Ctrl-A x) */
	RAX_STATUS_HOST = 14,              /* host problem: /dev/kvm unusable, out of memory */
	RAX_STATUS_OUTPUT = 16,            /* the console output's reader went away */
	RAX_STATUS_DEBUG_EXIT_RANGE = 127, /* the guest's debug-exit value was above RAX_DEBUG_EXIT_MAX */
};

/*
 * The guest's debug-exit port (0xF4): a value v up to RAX_DEBUG_EXIT_MAX
 * ends the run with (v << 1) | 1 (1..125); any larger value, which would
 * wrap onto another value's status in 8 bits, with 127.
 */
#define RAX_DEBUG_EXIT_MAX 62
static inline int rax_debug_exit_status(uint64_t v)
{
	return v <= RAX_DEBUG_EXIT_MAX ? (int)((v << 1) | 1) : RAX_STATUS_DEBUG_EXIT_RANGE;
}

/* Period of the timer that checks --timeout and kicks the backend. */
#define VM_TICK_US 50000

enum rax_backend_kind { RAX_BACKEND_KVM, RAX_BACKEND_EMULATOR };

/*
 * The emulator's clock: virtual time is one nanosecond per retired
 * instruction and jumps over idle time (reproducible); realtime paces it to
 * the wall clock while the CPU is idle, so an idle guest sleeps on the host.
 * KVM's clock is always the host's.
 */
enum rax_clock { RAX_CLOCK_VIRTUAL, RAX_CLOCK_REALTIME };

struct rax_config {
	enum rax_backend_kind backend;
	uint64_t mem_size;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	double timeout;    /* seconds, 0 = none */
	int console_in;    /* fd the UART receives from, -1 for none */
	int console_out;   /* fd the UART transmits to */
	int64_t rtc_epoch; /* Unix time the CMOS clock shows at vm_now_ns() == 0 */
	enum rax_clock clock;
	unsigned cpu_level; /* enum rax_cpu_level (cpuid_model.h) both backends present; 0: the default */
	unsigned ncpus;     /* --smp: CPUs, 1..RAX_MAX_CPUS; 0 means 1 */
	bool jit;           /* emulator: --jit on, the block translator (src/emu/jit/) */
	unsigned jit_hot;   /* runs of a block before it is translated (0: the default) */
};

/* The most CPUs a VM can have (--smp): the interrupt router's limit. */
#define RAX_MAX_CPUS 16
/* cfg->ncpus with 0 read as 1. */
static inline unsigned rax_ncpus(const struct rax_config *cfg) { return cfg->ncpus ? cfg->ncpus : 1; }

struct uart16550;
struct rax_devices; /* the rest of the device models (devices.c) */
struct rax_vm;

/*
 * A debugger attached to vm_run(): `start` before the first instruction,
 * `stopped` for every RAX_EXIT_DEBUG, `ended` once with the run's status.
 * start and stopped return -1 to let the guest run on, or a status to end
 * the run with (gdb's kill, a signal while stopped).
 */
struct rax_vm_debugger {
	int (*start)(struct rax_vm *vm, void *opaque);
	int (*stopped)(struct rax_vm *vm, void *opaque, const struct rax_exit *ex);
	void (*ended)(struct rax_vm *vm, void *opaque, int status);
}; /* the rest of the device models (devices.c) */

struct rax_vm {
	struct rax_config cfg;
	struct guest_mem mem;
	struct bus bus;
	const struct rax_backend_ops *ops;
	void *backend;
	struct uart16550 *uart;
	struct rax_devices *devices;
	/* Set (from any thread or a signal handler) to end vm_run(). */
	volatile sig_atomic_t stop;
	volatile sig_atomic_t stop_status; /* enum rax_status or debug-exit code */
	/* Set every VM_TICK_US by a timer so a blocked backend can look around. */
	volatile sig_atomic_t tick;
	/* A backend's "leave the guest now" byte for CPU 0 (KVM: vCPU 0's
	 * run->immediate_exit; rax-diff sets and clears it itself). */
	volatile uint8_t *kick;
	/*
	 * The backend's way to get CPUs out of the guest now: CPU 0 only
	 * (all = false: the tick) or every CPU (a stop request). KVM with
	 * several vCPU threads sets each vCPU's immediate_exit and signals its
	 * thread. Async-signal-safe; NULL: *kick alone does.
	 */
	void (*kick_cpus)(struct rax_vm *vm, bool all);
	/* Serialises device access from several CPU threads (vm_pio_*,
	 * vm_mmio_*, devices_advance in vm_run); ready once vm_create made it. */
	pthread_mutex_t bus_lock;
	bool bus_lock_ready;
	/* A debugger asks the backend to stop (vm_request_debug_stop: gdb's
	 * Ctrl-C); the backend's run() ends with RAX_EXIT_DEBUG, why
	 * INTERRUPT, where it polls vm->stop. The debugger clears it. */
	volatile sig_atomic_t debug_req;
	/* The debugger's Ctrl-C while a reverse search re-executes (replays
	 * must not stop): the search looks at it and ends. */
	volatile sig_atomic_t debug_cancel;
	/* The debugger attached to vm_run (src/gdb/), NULL for none. */
	const struct rax_vm_debugger *debugger;
	void *debugger_opaque;
	/* The value the guest wrote to the debug-exit port to end the run. */
	uint64_t debug_exit_value;
	bool debug_exit_written;
	/* Written to wake a CPU waiting in vm_idle_wait() (eventfd). */
	int wake_fd;
	_Atomic int idle; /* a CPU waits in vm_idle_wait() */
	/* Console input goes here instead of the UART when set (history.c
	 * takes it at an instruction boundary and logs it); returns how many
	 * bytes it took (0: full, try again). Called by the input thread. */
	unsigned (*console_rx)(struct rax_vm *vm, const uint8_t *buf, unsigned len);
	/* stdin reader feeding the UART */
	pthread_t input_thread;
	bool input_running;
	volatile sig_atomic_t input_stop;
	/* Optional observer of every port access (rax-diff), called before the
	 * device sees a write and after it answered a read. */
	void (*io_hook)(void *opaque, uint16_t port, unsigned size, bool is_write, uint64_t value);
	void *io_hook_opaque;
};

/* Resolve a backend by kind; fills err when it is not available. */
const struct rax_backend_ops *vm_backend_ops(enum rax_backend_kind kind, struct rax_err *err);

/*
 * Allocate RAM and register devices; then, once the guest image is in RAM
 * (so bad input is reported before any backend problem), create the CPU.
 */
int vm_create(struct rax_vm *vm, const struct rax_config *cfg, struct rax_err *err);
int vm_create_backend(struct rax_vm *vm, struct rax_err *err);
void vm_destroy(struct rax_vm *vm);

/* Ask vm_run() to end with the given process status (async-signal-safe). */
void vm_request_stop(struct rax_vm *vm, int status);

/* Ask the backend to leave the guest for the debugger (any thread): its
 * run() ends with RAX_EXIT_DEBUG, why RAX_DEBUG_INTERRUPT. */
void vm_request_debug_stop(struct rax_vm *vm);

/*
 * An idle CPU (HLT) sleeps on the host in vm_idle_wait() until vm_wake()
 * (async-signal-safe: a stop request, an interrupt line raised from another
 * thread) or timeout_ns (-1: none) passes. The CPU sets vm->idle before it
 * last looks for work and clears it after the wait, so that an interrupt
 * raised in between wakes it (vm_set_irq wakes an idle CPU).
 */
void vm_wake(struct rax_vm *vm);
void vm_idle_wait(struct rax_vm *vm, int64_t timeout_ns);

/* Catch SIGINT, SIGTERM, SIGHUP and SIGQUIT (latched until a run sees them)
 * and ignore SIGPIPE from now on; a program calls it first thing. */
void vm_signals_init(void);

/* The --timeout deadline of the current run has passed. */
bool vm_deadline_passed(void);
/* The signal that ended the run ("SIGHUP"), NULL for none. */
const char *vm_signal_name(void);

/* Run until the guest ends; returns the process status, err for INTERNAL. */
int vm_run(struct rax_vm *vm, struct rax_err *err);

/* The one line for a run that status ended from outside (timeout, signal,
 * closed console reader) into err; nothing for any other status. */
void vm_stop_message(struct rax_vm *vm, int status, struct rax_err *err);

/*
 * The timeout (cfg.timeout), SIGINT/SIGTERM and the periodic tick for code
 * that drives the backend itself (step loops) instead of calling vm_run():
 * a step that blocks in the guest then still ends (HLT, stop, timeout).
 */
void vm_watch_begin(struct rax_vm *vm);
void vm_watch_end(void);

/*
 * Port I/O and MMIO from a backend: dispatch to the bus, one access at a
 * time (any thread: KVM runs each vCPU in its own). A device may block
 * inside (the UART's wait for console room) until the run stops, so
 * vm_request_stop() never takes this lock.
 */
uint64_t vm_pio_in(struct rax_vm *vm, uint16_t port, unsigned size);
void vm_pio_out(struct rax_vm *vm, uint16_t port, unsigned size, uint64_t value);
uint64_t vm_mmio_read(struct rax_vm *vm, uint64_t addr, unsigned size);
void vm_mmio_write(struct rax_vm *vm, uint64_t addr, unsigned size, uint64_t value);

/*
 * Guest time in nanoseconds since the CPU was created. The emulator's is
 * virtual (advances with retired instructions and jumps over idle HLT, so
 * runs are deterministic); KVM's is the host's monotonic clock.
 */
uint64_t vm_now_ns(struct rax_vm *vm);

/* Raise or lower interrupt line `line` through the backend, from any
 * thread: ISA IRQ n is line n, 16-23 the I/O APIC's other inputs, numbered
 * as KVM_IRQ_LINE numbers its GSIs (src/devices/irq.h routes them). */
void vm_set_irq(struct rax_vm *vm, unsigned line, int level);

/* Start the console input thread (stdin -> UART). */
int vm_start_input(struct rax_vm *vm, struct rax_err *err);

const char *rax_status_name(int status);

#endif
