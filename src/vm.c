/*
 * vm.c - VM lifetime, the exit loop, console input, timeout and signals.
 */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "devices/devices.h"
#include "devices/uart16550.h"

/* The VM that signal handlers act on (one VM runs per process at a time). */
static struct rax_vm *volatile signal_vm;
static struct timespec run_deadline; /* zero when no --timeout */

const char *rax_status_name(int status)
{
	switch (status) {
	case RAX_STATUS_OK: return "guest powered off";
	case RAX_STATUS_USAGE: return "usage error";
	case RAX_STATUS_RESET: return "guest reset";
	case RAX_STATUS_SHUTDOWN: return "triple fault";
	case RAX_STATUS_INTERNAL: return "internal error";
	case RAX_STATUS_TIMEOUT: return "timeout";
	case RAX_STATUS_SIGNAL: return "interrupted";
	case RAX_STATUS_HOST: return "host error";
	case RAX_STATUS_OUTPUT: return "console output closed";
	case RAX_STATUS_DEBUG_EXIT_RANGE: return "guest debug-exit value out of range";
	default: return (status & 1) ? "guest debug-exit" : "unknown";
	}
}

const struct rax_backend_ops *vm_backend_ops(enum rax_backend_kind kind, struct rax_err *err)
{
	if (kind == RAX_BACKEND_EMULATOR)
		return &rax_emu_backend;
#ifdef RAX_HAVE_KVM
	return &rax_kvm_backend;
#else
	rax_errf(err, RAX_STATUS_HOST,
		 "this rax was built without linux/kvm.h: the KVM backend is not available; use --backend emulator");
	return NULL;
#endif
}

static void vm_bus_lock_destroy(struct rax_vm *vm)
{
	if (vm->bus_lock_ready)
		pthread_mutex_destroy(&vm->bus_lock);
	vm->bus_lock_ready = false;
}

int vm_create(struct rax_vm *vm, const struct rax_config *cfg, struct rax_err *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->wake_fd = -1;
	vm->ops = vm_backend_ops(cfg->backend, err);
	if (!vm->ops)
		return -1;
	if ((vm->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "eventfd: %s", strerror(errno));
	pthread_mutex_init(&vm->bus_lock, NULL);
	vm->bus_lock_ready = true;
	if (guest_mem_init(&vm->mem, cfg->mem_size, err) < 0) {
		vm_bus_lock_destroy(vm);
		close(vm->wake_fd);
		return -1;
	}
	if (devices_register(vm, err) < 0) {
		devices_destroy(vm);
		guest_mem_free(&vm->mem);
		vm_bus_lock_destroy(vm);
		close(vm->wake_fd);
		return -1;
	}
	return 0;
}

int vm_create_backend(struct rax_vm *vm, struct rax_err *err) { return vm->ops->create(vm, err); }

void vm_destroy(struct rax_vm *vm)
{
	if (signal_vm == vm)
		signal_vm = NULL;
	if (vm->input_running) {
		vm->input_stop = 1;
		pthread_join(vm->input_thread, NULL);
		vm->input_running = false;
	}
	if (vm->backend)
		vm->ops->destroy(vm);
	devices_destroy(vm);
	guest_mem_free(&vm->mem);
	vm_bus_lock_destroy(vm);
	if (vm->wake_fd >= 0)
		close(vm->wake_fd);
	vm->wake_fd = -1;
}

void vm_request_stop(struct rax_vm *vm, int status)
{
	if (!vm->stop) {
		vm->stop_status = status;
		vm->stop = 1;
	}
	if (vm->kick_cpus)
		vm->kick_cpus(vm, true);
	else if (vm->kick)
		*vm->kick = 1;
	vm_wake(vm);
}

void vm_request_debug_stop(struct rax_vm *vm)
{
	vm->debug_req = 1;
	if (vm->kick_cpus)
		vm->kick_cpus(vm, true);
	else if (vm->kick)
		*vm->kick = 1;
	vm_wake(vm);
}

void vm_wake(struct rax_vm *vm)
{
	uint64_t one = 1;
	if (vm->wake_fd >= 0 && write(vm->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, a wake-up is pending anyway */
	}
}

void vm_idle_wait(struct rax_vm *vm, int64_t timeout_ns)
{
	struct pollfd pfd = { .fd = vm->wake_fd, .events = POLLIN };
	int ms = -1;
	if (timeout_ns >= 0) /* rounded up: waking early would only spin */
		ms = timeout_ns >= (int64_t)INT_MAX * 1000000 ? INT_MAX : (int)((timeout_ns + 999999) / 1000000);
	if (!vm->stop && poll(&pfd, 1, ms) > 0) {
		uint64_t n;
		if (read(vm->wake_fd, &n, sizeof(n)) < 0) {
			/* EAGAIN: another waiter took it */
		}
	}
}

static void bus_enter(struct rax_vm *vm)
{
	if (vm->bus_lock_ready)
		pthread_mutex_lock(&vm->bus_lock);
}

static void bus_leave(struct rax_vm *vm)
{
	if (vm->bus_lock_ready)
		pthread_mutex_unlock(&vm->bus_lock);
}

uint64_t vm_pio_in(struct rax_vm *vm, uint16_t port, unsigned size)
{
	bus_enter(vm);
	uint64_t v = bus_read(&vm->bus, BUS_PIO, port, size);
	if (vm->io_hook)
		vm->io_hook(vm->io_hook_opaque, port, size, false, v);
	bus_leave(vm);
	return v;
}

void vm_pio_out(struct rax_vm *vm, uint16_t port, unsigned size, uint64_t value)
{
	bus_enter(vm);
	if (vm->io_hook)
		vm->io_hook(vm->io_hook_opaque, port, size, true, value);
	bus_write(&vm->bus, BUS_PIO, port, size, value);
	bus_leave(vm);
}

uint64_t vm_mmio_read(struct rax_vm *vm, uint64_t addr, unsigned size)
{
	bus_enter(vm);
	uint64_t v = bus_read(&vm->bus, BUS_MMIO, addr, size);
	bus_leave(vm);
	return v;
}

void vm_mmio_write(struct rax_vm *vm, uint64_t addr, unsigned size, uint64_t value)
{
	bus_enter(vm);
	bus_write(&vm->bus, BUS_MMIO, addr, size, value);
	bus_leave(vm);
}

uint64_t vm_now_ns(struct rax_vm *vm) { return vm->ops && vm->backend && vm->ops->now_ns ? vm->ops->now_ns(vm) : 0; }

void vm_set_irq(struct rax_vm *vm, unsigned irq, int level)
{
	if (vm->ops && vm->ops->set_irq && vm->backend)
		vm->ops->set_irq(vm, irq, level);
	if (atomic_load(&vm->idle))
		vm_wake(vm);
}

/* ---- signals and the periodic tick ---- */

/*
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT end a run with RAX_STATUS_SIGNAL and
 * one line naming the signal; the handlers are installed when the program
 * starts (vm_signals_init) and stay for the life of the process, so one
 * arriving before the first run (while input files load, during the KVM
 * probe), between two runs (the probe's VMs, then the guest's) or while
 * output drains at the end is latched and still ends the run, never kills
 * rax with the terminal left raw. SIGPIPE is ignored: a closed console
 * reader is seen as EPIPE.
 */
static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
	struct rax_vm *vm = signal_vm;
	if (sig != SIGALRM && !signalled)
		signalled = sig;
	if (!vm)
		return;
	if (sig == SIGALRM) {
		if (run_deadline.tv_sec && vm_deadline_passed())
			vm_request_stop(vm, RAX_STATUS_TIMEOUT);
		/* the tick lets a backend blocked in the guest look around */
		vm->tick = 1;
		if (vm->kick_cpus)
			vm->kick_cpus(vm, false);
		else if (vm->kick)
			*vm->kick = 1;
		return;
	}
	vm_request_stop(vm, RAX_STATUS_SIGNAL);
}

void vm_signals_init(void)
{
	static bool installed;
	if (installed)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return EINTR */
	sigemptyset(&sa.sa_mask);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	installed = true;
}

static void install_signals(struct rax_vm *vm)
{
	vm_signals_init();
	signal_vm = vm;
	struct itimerval it = { .it_interval = { 0, VM_TICK_US }, .it_value = { 0, VM_TICK_US } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void remove_signals(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal_vm = NULL;
}

bool vm_deadline_passed(void)
{
	if (!run_deadline.tv_sec)
		return false;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > run_deadline.tv_sec ||
		(now.tv_sec == run_deadline.tv_sec && now.tv_nsec >= run_deadline.tv_nsec);
}

const char *vm_signal_name(void)
{
	switch (signalled) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGQUIT: return "SIGQUIT";
	default: return NULL;
	}
}

void vm_watch_begin(struct rax_vm *vm)
{
	memset(&run_deadline, 0, sizeof(run_deadline));
	if (vm->cfg.timeout > 0) {
		clock_gettime(CLOCK_MONOTONIC, &run_deadline);
		double whole = (double)(long)vm->cfg.timeout;
		run_deadline.tv_sec += (time_t)whole;
		run_deadline.tv_nsec += (long)((vm->cfg.timeout - whole) * 1e9);
		if (run_deadline.tv_nsec >= 1000000000L) {
			run_deadline.tv_sec++;
			run_deadline.tv_nsec -= 1000000000L;
		}
	}
	install_signals(vm);
	if (signalled)
		vm_request_stop(vm, RAX_STATUS_SIGNAL);
}

void vm_watch_end(void) { remove_signals(); }

/*
 * The guest has ended: let the console's writer deliver what is queued.
 * A run that ended by itself waits for a live reader until a signal or the
 * --timeout deadline (which then become the status); one that was stopped
 * (signal, timeout, closed reader) gives the writer a moment only. A
 * reader that stopped reading loses the rest, and one line says how much.
 */
static int finish_output(struct rax_vm *vm, int status, struct rax_err *err)
{
	if (!vm->uart)
		return status;
	bool stopped = status == RAX_STATUS_SIGNAL || status == RAX_STATUS_TIMEOUT || status == RAX_STATUS_OUTPUT;
	struct timespec grace, *deadline = NULL;
	if (stopped || run_deadline.tv_sec) {
		if (stopped) {
			clock_gettime(CLOCK_MONOTONIC, &grace);
			grace.tv_nsec += 250 * 1000 * 1000;
			if (grace.tv_nsec >= 1000000000L) {
				grace.tv_sec++;
				grace.tv_nsec -= 1000000000L;
			}
		} else {
			grace = run_deadline;
		}
		deadline = &grace;
	}
	unsigned left = uart_flush(vm->uart, stopped ? NULL : &signalled, deadline);
	if (!left)
		return status;
	fprintf(stderr, "rax: %u bytes of console output not written: the reader stopped reading\n", left);
	if (stopped)
		return status;
	if (err->msg[0] && status != RAX_STATUS_OK && !(status & 1))
		fprintf(stderr, "rax: %s\n", err->msg); /* the guest's own end, replaced below */
	return signalled ? RAX_STATUS_SIGNAL : RAX_STATUS_TIMEOUT;
}

int vm_run(struct rax_vm *vm, struct rax_err *err)
{
	vm_watch_begin(vm);
	int status;
	if (vm->debugger && (status = vm->debugger->start(vm, vm->debugger_opaque)) >= 0)
		goto out;
	for (;;) {
		struct rax_exit ex;
		memset(&ex, 0, sizeof(ex));
		if (vm->stop) {
			status = vm->stop_status;
			break;
		}
		if (vm->ops->run(vm, &ex, err) < 0) {
			status = err->code ? err->code : RAX_STATUS_HOST;
			break;
		}
		if (ex.kind == RAX_EXIT_HLT) {
			status = RAX_STATUS_OK;
			break;
		}
		if (ex.kind == RAX_EXIT_DEBUG) {
			if (vm->debugger && (status = vm->debugger->stopped(vm, vm->debugger_opaque, &ex)) >= 0)
				break;
			if (!vm->debugger)
				vm->debug_req = 0;
			continue;
		}
		/* with several CPUs the message names the one that ended the run */
		char on_cpu[32] = "";
		if (rax_ncpus(&vm->cfg) > 1)
			snprintf(on_cpu, sizeof(on_cpu), " on CPU %u", ex.cpu);
		if (ex.kind == RAX_EXIT_SHUTDOWN) {
			if (ex.rip == 0xfff0) /* the vCPU was reset already (AMD) */
				rax_errf(err, RAX_STATUS_SHUTDOWN, "guest triple fault (shutdown)%s", on_cpu);
			else
				rax_errf(err, RAX_STATUS_SHUTDOWN, "guest triple fault (shutdown)%s at rip 0x%llx",
					 on_cpu, (unsigned long long)ex.rip);
			status = RAX_STATUS_SHUTDOWN;
			break;
		}
		if (ex.kind == RAX_EXIT_INTERNAL) {
			if (on_cpu[0])
				rax_errf(err, RAX_STATUS_INTERNAL, "CPU %u: %s", ex.cpu, ex.detail);
			else
				rax_errf(err, RAX_STATUS_INTERNAL, "%s", ex.detail);
			status = RAX_STATUS_INTERNAL;
			break;
		}
		/* device timers the backend does not drive itself (the RTC on KVM) */
		bus_enter(vm);
		devices_advance(vm, vm_now_ns(vm));
		bus_leave(vm);
		/* STOP re-checks vm->stop at the top; STEP/NONE just go on */
	}
out:
	if (vm->debugger)
		vm->debugger->ended(vm, vm->debugger_opaque, status);
	status = finish_output(vm, status, err);
	vm_watch_end();
	vm_stop_message(vm, status, err);
	return status;
}

void vm_stop_message(struct rax_vm *vm, int status, struct rax_err *err)
{
	if (status == RAX_STATUS_TIMEOUT) {
		rax_errf(err, RAX_STATUS_TIMEOUT, "timeout after %g seconds", vm->cfg.timeout);
	} else if (status == RAX_STATUS_SIGNAL) {
		const char *sig = vm_signal_name();
		if (sig)
			rax_errf(err, RAX_STATUS_SIGNAL, "interrupted by %s", sig);
		else
			rax_errf(err, RAX_STATUS_SIGNAL, "interrupted");
	} else if (status == RAX_STATUS_OUTPUT) {
		rax_errf(err, RAX_STATUS_OUTPUT, "console output closed (%s): the reader went away",
			 strerror(vm->uart && vm->uart->out.error ? vm->uart->out.error : EPIPE));
	}
}

/* ---- console input: stdin -> UART ---- */

static struct termios saved_termios;
static int saved_termios_fd = -1;

static void restore_terminal(void)
{
	if (saved_termios_fd >= 0) {
		tcsetattr(saved_termios_fd, TCSANOW, &saved_termios);
		saved_termios_fd = -1;
	}
}

/* Raw mode so keys reach the guest; restored by atexit on every exit path. */
static void raw_terminal(int fd)
{
	if (!isatty(fd) || tcgetattr(fd, &saved_termios) < 0)
		return;
	struct termios t = saved_termios;
	cfmakeraw(&t);
	t.c_oflag |= OPOST | ONLCR; /* keep host output readable */
	if (tcsetattr(fd, TCSANOW, &t) == 0) {
		saved_termios_fd = fd;
		atexit(restore_terminal);
	}
}

/* Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A (as in other emulators). */
#define ESCAPE_CHAR 0x01

static void *input_main(void *arg)
{
	struct rax_vm *vm = arg;
	int fd = vm->cfg.console_in;
	bool escape = false;
	while (!vm->input_stop) {
		/* poll with a timeout so vm_destroy() can end us without pthread_cancel */
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, 100);
		if (pr < 0 && errno != EINTR)
			return NULL;
		if (pr <= 0)
			continue;
		uint8_t buf[64];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		for (ssize_t i = 0; i < n; i++) {
			uint8_t c = buf[i];
			if (escape) {
				escape = false;
				if (c == 'x' || c == 'X') {
					vm_request_stop(vm, RAX_STATUS_SIGNAL);
					return NULL;
				}
				if (c != ESCAPE_CHAR)
					continue;
			} else if (c == ESCAPE_CHAR && saved_termios_fd >= 0) {
				escape = true;
				continue;
			}
			/* back-pressure: wait for the guest to drain its FIFO */
			while ((vm->console_rx ? vm->console_rx(vm, &c, 1) : uart_receive(vm->uart, &c, 1)) == 0 &&
			       !vm->input_stop) {
				struct timespec ts = { 0, 1000000 };
				nanosleep(&ts, NULL);
			}
		}
	}
	return NULL;
}

int vm_start_input(struct rax_vm *vm, struct rax_err *err)
{
	if (vm->cfg.console_in < 0)
		return 0;
	raw_terminal(vm->cfg.console_in);
	if (pthread_create(&vm->input_thread, NULL, input_main, vm) != 0)
		return rax_errf(err, RAX_STATUS_HOST, "cannot start the console input thread");
	vm->input_running = true;
	return 0;
}
