/*
 * kernel.c - rax-diff --kernel: a Linux boot prefix, KVM against the emulator.
 *
 * Both VMs get the same bzImage, initrd and command line through the same
 * loader (src/loader/bzimage.c), so they start from the same 64-bit entry
 * state and byte-identical RAM.
 *
 * Exits strategy (the default; CPL0 code cannot be stepped cheaply on KVM):
 *  - Each side runs freely until its next access to a port that KVM hands
 *    to userspace (the serial console, POST, CMOS, ...; the in-kernel
 *    PIC/PIT ports never exit on KVM and so are not exits here). The
 *    emulator stops right after the I/O instruction (vm->io_hook plus
 *    vm_request_stop), KVM at the I/O exit before it completes it.
 *  - At every exit: the port access (port, size, direction, value) and the
 *    full state before the I/O instruction (GPRs, RIP, RFLAGS but RF,
 *    segments, CR0/2/3/4, EFER, GDTR/IDTR/TR/LDTR, CR8, syscall MSRs, PAT,
 *    x87/SSE). RAM (both copies live in this process) is compared with
 *    memcmp, not at every exit: only when the time since the last check is
 *    at least 9x what the last check cost (so RAM checks take about 10% of
 *    the run), and at the end. A RAM check that passes is a checkpoint: a
 *    copy of the emulator's RAM and state.
 *  - Localisation: when an exit differs, both sides are restored to the
 *    last checkpoint and replayed exit by exit (state, access and the pages
 *    that differed) to the first exit y that differs; x is the exit before.
 *    Then a binary search over the emulator's instructions i between x and
 *    y: KVM is started from the emulator's own state (and RAM) before i
 *    and run to its next exit; if that matches the emulator at y, every
 *    instruction from i on was right. The search ends at the one
 *    instruction l from whose state KVM and the emulator disagree and
 *    after which they agree: l is single-stepped on both sides and
 *    reported like a lockstep divergence (state and memory both ways).
 *  - Nondeterminism: when l is RDTSC/RDTSCP/RDMSR(TSC)/RDRAND/RDSEED/
 *    RDPMC, or CPUID (KVM's answers are not exactly the model's), or the
 *    difference is confined to flags l leaves undefined, KVM's result is
 *    adopted (state and RAM), counted in the report with both values, and
 *    the comparison goes on. A difference that does not recur on replay is
 *    counted too (nondet_replays).
 *  - Interrupts: the comparison window ends at the first external
 *    interrupt on the emulator (emu_interrupt_count), the first interrupt
 *    line raised by a device on either side, the first programming of PIT
 *    channel 0 (from then on KVM's in-kernel PIT can interrupt at any
 *    instruction boundary), and the first read of a port whose value
 *    follows host time on KVM (the in-kernel PIT 0x40-0x42 and 0x61, CMOS
 *    0x71). The report says which, and where.
 *  - --steps N: the comparison stops at the first exit at or after the
 *    emulator's Nth instruction (exits are where KVM can be compared).
 *
 * Per-instruction strategy (--step-mode singlestep|trapflag): the KVM
 * oracle steps every instruction as for test images; RDTSC/CPUID values
 * are injected from KVM and timer port reads adopted, all counted.
 */
#define _GNU_SOURCE
#include "kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "emu/decode.h"
#include "emu/emu.h"
#include "flagmask.h"
#include "input_file.h"
#include "step.h"
#include "kvm_probe.h"
#include "layout.h"
#include "loader/bzimage.h"
#include "vm.h"

#define KPAGE 4096ull
#define KSTOP_STATUS 0x4b52 /* vm->stop_status of a harness stop (even: never a guest code) */
#define K_CMP (CMP_ALL | CMP_SYS | CMP_FPU)
#define K_RFLAGS_BITS (0x3f7fd5ull & ~(uint64_t)RFLAGS_RF)
#define K_WATCH 64
#define K_PORT_UART_LCR (PORT_COM1 + 3)

/* ---- small helpers ---- */

/* Copy a message into a smaller buffer; it is cut there on purpose. */
static void str_copy(char *dst, size_t n, const char *src)
{
	if (!n)
		return;
	size_t l = strnlen(src, n - 1);
	memcpy(dst, src, l);
	dst[l] = 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Ports KVM emulates in the kernel (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2). */
static bool in_kernel_port(uint16_t p)
{
	return p == 0x20 || p == 0x21 || p == 0xa0 || p == 0xa1 || p == 0x4d0 || p == 0x4d1 ||
		(p >= PORT_PIT && p <= PORT_PIT + 3) || p == 0x61;
}

/* ---- one side's port observer ---- */

struct kev {
	bool valid;
	bool write;
	uint8_t size;
	uint16_t port;
	uint32_t value;
};

struct kd;

struct kside {
	struct kd *D;
	struct rax_vm *vm;
	bool emu;
	bool passive;  /* observe only: no stops (oracle single steps) */
	struct kev ev; /* the access that ended this run */
	bool have_pre; /* emulator: its state before that I/O instruction */
	struct rax_cpu_state pre;
	unsigned extra; /* more accesses in the same run (string I/O) */
	bool wend;      /* emulator: a window-ending access */
	char wend_why[200];
	uint64_t irq_raises;
	struct rax_backend_ops ops; /* the backend's ops with set_irq observed */
	void (*real_set_irq)(struct rax_vm *vm, unsigned irq, int level);
};

struct kd {
	const struct diff_kernel_options *opt;
	struct diff_result *res;
	struct diff_kernel_stats *ks;
	struct rax_vm emu;
	bool emu_ok;
	struct oracle orc;
	bool orc_ok;
	struct rax_vm *kvm;
	struct kside se, sk;
	uint64_t size;
	/* the checkpoint: emulator RAM and state after exit snap_exit */
	uint8_t *snap;
	struct rax_cpu_state snap_st;
	uint64_t snap_exit, snap_insn; /* exits and emulator instructions before it */
	uint64_t exit_no;              /* exits compared */
	uint64_t insn_base;            /* global instruction number of the emulator's icount 0 */
	uint8_t *buf_lo, *buf_y;       /* localisation copies of RAM */
	double ram_cost, last_ram;
	/* console capture (THR writes with DLAB clear) */
	uint8_t lcr;
	char line[160];
	unsigned linelen;
	bool pit0_armed;
	uint64_t emu_intr0;
	struct diff_hist hist[DIFF_HIST];
	unsigned nhist, hist_pos;
};

static struct kd *volatile watchdog_kd;
static volatile sig_atomic_t watchdog_expired;
static struct timespec watchdog_deadline;

static void kset_status(struct kd *D, enum diff_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kset_status(struct kd *D, enum diff_status st, const char *fmt, ...)
{
	D->res->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(D->res->reason, sizeof(D->res->reason), fmt, ap);
	va_end(ap);
}

static void knote(struct kd *D, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void knote(struct kd *D, const char *fmt, ...)
{
	struct diff_kernel_stats *k = D->ks;
	if (k->nnotes >= KSTATS_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->notes[k->nnotes++], sizeof(k->notes[0]), fmt, ap);
	va_end(ap);
}

static void window_end(struct kd *D, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void window_end(struct kd *D, const char *fmt, ...)
{
	if (D->ks->window_end[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(D->ks->window_end, sizeof(D->ks->window_end), fmt, ap);
	va_end(ap);
}

static void console_byte(struct kd *D, uint8_t c)
{
	D->ks->console_bytes++;
	if (c == '\n' || c == '\r') {
		if (D->linelen) {
			D->line[D->linelen] = 0;
			snprintf(D->ks->console, sizeof(D->ks->console), "%s", D->line);
			D->linelen = 0;
		}
		return;
	}
	if (c >= 0x20 && c < 0x7f && D->linelen + 1 < sizeof(D->line))
		D->line[D->linelen++] = (char)c;
}

static void io_hook(void *opaque, uint16_t port, unsigned size, bool is_write, uint64_t value)
{
	struct kside *s = opaque;
	struct kd *D = s->D;
	if (port == PORT_HARNESS_STEP)
		return; /* the KVM oracle's own stops */
	if (s->emu && port == K_PORT_UART_LCR && is_write)
		D->lcr = (uint8_t)value;
	if (s->emu && port == PORT_COM1 && is_write && !(D->lcr & 0x80) && !s->passive)
		console_byte(D, (uint8_t)value);
	if (s->emu && in_kernel_port(port)) {
		/* KVM runs these in the kernel: no exit to compare at. Reads that
		 * follow host time there, and arming the PIT's interrupt channel,
		 * end the comparison window. */
		bool timer_read = !is_write && port != 0x20 && port != 0x21 && port != 0xa0 && port != 0xa1 &&
			port != 0x4d0 && port != 0x4d1;
		bool arm0 = is_write &&
			(port == PORT_PIT || (port == PORT_PIT + 3 && (value >> 6) == 0 && ((value >> 4) & 3) != 0));
		if (arm0)
			D->pit0_armed = true;
		if ((timer_read || arm0) && !s->wend && !s->passive) {
			s->wend = true;
			snprintf(
				s->wend_why, sizeof(s->wend_why),
				timer_read
					? "read of port 0x%x (in-kernel %s on KVM: its value follows host time)"
					: "PIT channel 0 programmed (port 0x%x, %s): KVM's in-kernel PIT can now interrupt at any instruction",
				port, port == 0x61 ? "PIT gate/speaker port" : "PIT");
			if (!s->have_pre && s->vm->ops->get_state(s->vm, &s->pre, NULL) == 0)
				s->have_pre = true;
			vm_request_stop(s->vm, KSTOP_STATUS);
		}
		return;
	}
	if (s->emu && port == PORT_RTC + 1 && !is_write && !s->passive && !s->wend) {
		s->wend = true;
		snprintf(s->wend_why, sizeof(s->wend_why),
			 "read of CMOS port 0x71: the clock follows host time on KVM and virtual time on the emulator");
	}
	if (s->passive)
		return;
	if (s->ev.valid) {
		s->extra++;
		return;
	}
	s->ev = (struct kev){
		.valid = true, .write = is_write, .size = (uint8_t)size, .port = port, .value = (uint32_t)value
	};
	/* the emulator is inside the I/O instruction: its state is the one before it */
	if (s->emu && !s->have_pre && s->vm->ops->get_state(s->vm, &s->pre, NULL) == 0)
		s->have_pre = true;
	vm_request_stop(s->vm, KSTOP_STATUS);
}

static struct kside *side_of_vm(struct rax_vm *vm)
{
	struct kd *D = watchdog_kd;
	if (!D)
		return NULL;
	return vm == &D->emu ? &D->se : vm == D->kvm ? &D->sk : NULL;
}

static void set_irq_hook(struct rax_vm *vm, unsigned irq, int level)
{
	struct kside *s = side_of_vm(vm);
	if (!s)
		return;
	if (level)
		s->irq_raises++;
	s->real_set_irq(vm, irq, level);
}

static void observe(struct kd *D, struct kside *s, struct rax_vm *vm, bool emu)
{
	s->D = D;
	s->vm = vm;
	s->emu = emu;
	vm->io_hook = io_hook;
	vm->io_hook_opaque = s;
	s->ops = *vm->ops;
	s->real_set_irq = vm->ops->set_irq;
	if (s->real_set_irq) {
		s->ops.set_irq = set_irq_hook;
		vm->ops = &s->ops;
	}
}

/* ---- the wall-clock limit (also the tick KVM's halt detection needs) ---- */

static void on_alarm(int sig)
{
	struct kd *D = watchdog_kd;
	if (!D)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (watchdog_deadline.tv_sec &&
	    (now.tv_sec > watchdog_deadline.tv_sec ||
	     (now.tv_sec == watchdog_deadline.tv_sec && now.tv_nsec >= watchdog_deadline.tv_nsec))) {
		watchdog_expired = 1;
		vm_request_stop(&D->emu, KSTOP_STATUS);
		if (D->kvm)
			vm_request_stop(D->kvm, KSTOP_STATUS);
	}
	if (D->kvm) {
		D->kvm->tick = 1;
		if (D->kvm->kick)
			*D->kvm->kick = 1;
	}
}

static void watchdog_start(struct kd *D, double seconds)
{
	watchdog_kd = D;
	watchdog_expired = 0;
	memset(&watchdog_deadline, 0, sizeof(watchdog_deadline));
	if (seconds > 0) {
		clock_gettime(CLOCK_MONOTONIC, &watchdog_deadline);
		double whole = (double)(long)seconds;
		watchdog_deadline.tv_sec += (time_t)whole;
		watchdog_deadline.tv_nsec += (long)((seconds - whole) * 1e9);
		if (watchdog_deadline.tv_nsec >= 1000000000L) {
			watchdog_deadline.tv_sec++;
			watchdog_deadline.tv_nsec -= 1000000000L;
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_interval = { 0, VM_TICK_US }, .it_value = { 0, VM_TICK_US } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void watchdog_stop(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
	watchdog_kd = NULL;
}

/* ---- running each side to its next exit ---- */

enum kstop { KS_IO, KS_WINDOW, KS_HALT, KS_SHUTDOWN, KS_INTERNAL, KS_TIMEOUT, KS_HOST };

static const char *kstop_name(enum kstop k)
{
	switch (k) {
	case KS_IO: return "port access";
	case KS_WINDOW: return "window end";
	case KS_HALT: return "halt";
	case KS_SHUTDOWN: return "triple fault";
	case KS_INTERNAL: return "internal error";
	case KS_TIMEOUT: return "timeout";
	case KS_HOST: return "host error";
	}
	return "?";
}

static void side_reset(struct kside *s)
{
	s->ev.valid = false;
	s->have_pre = false;
	s->extra = 0;
	s->vm->stop = 0;
	s->vm->stop_status = 0;
}

static enum kstop classify_exit(struct kside *s, const struct rax_exit *ex, char *detail, size_t dn)
{
	if (ex->kind == RAX_EXIT_HLT)
		return KS_HALT;
	if (ex->kind == RAX_EXIT_SHUTDOWN) {
		str_copy(detail, dn, ex->detail);
		return KS_SHUTDOWN;
	}
	if (ex->kind == RAX_EXIT_INTERNAL) {
		str_copy(detail, dn, ex->detail);
		return KS_INTERNAL;
	}
	if (watchdog_expired)
		return KS_TIMEOUT;
	if (s->wend)
		return KS_WINDOW;
	if (s->ev.valid)
		return KS_IO;
	snprintf(detail, dn, "stopped with status %d (%s)", (int)s->vm->stop_status,
		 rax_status_name(s->vm->stop_status));
	return KS_INTERNAL;
}

static enum kstop emu_to_exit(struct kd *D, char *detail, size_t dn)
{
	struct kside *s = &D->se;
	side_reset(s);
	struct rax_exit ex;
	memset(&ex, 0, sizeof(ex));
	struct rax_err err = { 0 };
	if (D->emu.ops->run(&D->emu, &ex, &err) < 0) {
		str_copy(detail, dn, err.msg);
		return KS_HOST;
	}
	return classify_exit(s, &ex, detail, dn);
}

static enum kstop kvm_to_exit(struct kd *D, char *detail, size_t dn)
{
	struct kside *s = &D->sk;
	side_reset(s);
	struct rax_exit ex;
	memset(&ex, 0, sizeof(ex));
	struct rax_err err = { 0 };
	if (D->kvm->ops->run(D->kvm, &ex, &err) < 0) {
		str_copy(detail, dn, err.msg);
		return KS_HOST;
	}
	return classify_exit(s, &ex, detail, dn);
}

/* Load a state (and RAM) into KVM after whatever it stopped on. */
static int kvm_load(struct kd *D, const struct rax_cpu_state *st, const uint8_t *ram, struct rax_err *err)
{
	if (ram)
		memcpy(D->kvm->mem.host, ram, D->size);
	if (oracle_kvm_settle(&D->orc, err) < 0)
		return -1;
	side_reset(&D->sk);
	return D->kvm->ops->set_state(D->kvm, st, err);
}

static int emu_load(struct kd *D, const struct rax_cpu_state *st, const uint8_t *ram, struct rax_err *err)
{
	if (ram)
		memcpy(D->emu.mem.host, ram, D->size);
	side_reset(&D->se);
	return D->emu.ops->set_state(&D->emu, st, err);
}

static uint64_t emu_icount(struct kd *D) { return emu_instruction_count(&D->emu); }

static void emu_get(struct kd *D, struct rax_cpu_state *s) { D->emu.ops->get_state(&D->emu, s, NULL); }

static void kvm_get(struct kd *D, struct rax_cpu_state *s)
{
	struct rax_err err = { 0 };
	D->kvm->ops->get_state(D->kvm, s, &err);
	oracle_kvm_fpu_fixup(&s->fpu);
}

/* ---- comparisons ---- */

static bool ev_equal(const struct kev *a, const struct kev *b)
{
	return a->valid == b->valid && a->write == b->write && a->size == b->size && a->port == b->port &&
		a->value == b->value;
}

static void ev_text(const struct kev *e, char *buf, size_t n)
{
	if (!e->valid)
		snprintf(buf, n, "none");
	else
		snprintf(buf, n, "%s port 0x%x size %u value 0x%x", e->write ? "out" : "in", e->port, e->size,
			 e->value);
}

/* First differing page of RAM at or after from (excluding the harness area), or -1. */
static int64_t ram_first_diff(const uint8_t *a, const uint8_t *b, uint64_t size, uint64_t from)
{
	const uint64_t chunk = 64 * 1024;
	for (uint64_t off = from & ~(chunk - 1); off < size; off += chunk) {
		uint64_t n = size - off < chunk ? size - off : chunk;
		if (memcmp(a + off, b + off, n) == 0)
			continue;
		for (uint64_t p = off; p < off + n; p += KPAGE) {
			if (p < from || (p >= LAYOUT_HARNESS_KERNEL && p < LAYOUT_HARNESS_KERNEL + LAYOUT_HARNESS_SIZE))
				continue;
			if (memcmp(a + p, b + p, KPAGE))
				return (int64_t)p;
		}
	}
	return -1;
}

/* Differing pages of two RAM images, up to max; returns the count stored. */
static unsigned ram_diff_pages(const uint8_t *a, const uint8_t *b, uint64_t size, uint64_t *pages, unsigned max)
{
	unsigned n = 0;
	int64_t p = -1;
	while (n < max && (p = ram_first_diff(a, b, size, (uint64_t)(p + (int64_t)KPAGE))) >= 0)
		pages[n++] = (uint64_t)p;
	return n;
}

/* Byte runs of the first differing pages into d. */
static void ram_runs(struct kd *D, const uint8_t *emu, const uint8_t *kvm, struct diff_divergence *d)
{
	uint64_t pages[8];
	unsigned np = ram_diff_pages(emu, kvm, D->size, pages, 8);
	for (unsigned i = 0; i < np; i++) {
		unsigned room = d->nmem < 8 ? 8 - d->nmem : 0;
		unsigned n = diff_mem_runs(pages[i], emu + pages[i], kvm + pages[i], KPAGE, d->mem + d->nmem, room);
		d->nmem += n < room ? n : room;
		d->mem_total += n;
	}
}


/* ---- divergence records ---- */

static struct diff_divergence *kdiv(struct kd *D)
{
	struct diff_result *r = D->res;
	r->ndiv_total++;
	if (!r->div)
		r->div = calloc(DIFF_MAX_STORED, sizeof(*r->div));
	if (!r->div || r->ndiv >= DIFF_MAX_STORED)
		return NULL;
	struct diff_divergence *d = &r->div[r->ndiv++];
	memset(d, 0, sizeof(*d));
	d->compared = K_CMP;
	d->rflags_bits = K_RFLAGS_BITS;
	return d;
}

static void summarize_fields(struct diff_divergence *d, const char *prefix)
{
	char a[48], b[48];
	size_t l = (size_t)snprintf(d->what, sizeof(d->what), "%s", prefix);
	if (l >= sizeof(d->what))
		return;
	if (d->nfields) {
		const struct diff_field *f = &d->fields[0];
		if (!strcmp(f->name, "rflags")) {
			char nb[64];
			flagmask_names((f->emu ^ f->oracle) & f->mask, nb, sizeof(nb));
			snprintf(d->what + l, sizeof(d->what) - l, "rflags %s: emu 0x%llx, oracle 0x%llx%s", nb,
				 (unsigned long long)(f->emu & f->mask), (unsigned long long)(f->oracle & f->mask),
				 d->nfields > 1 ? " (and more fields)" : "");
		} else {
			snprintf(d->what + l, sizeof(d->what) - l, "%s: emu %s, oracle %s%s", f->name,
				 diff_field_value(f, 0, a, sizeof(a)), diff_field_value(f, 1, b, sizeof(b)),
				 d->nfields > 1 ? " (and more fields)" : "");
		}
	} else if (d->mem_total) {
		snprintf(d->what + l, sizeof(d->what) - l, "memory at 0x%llx (%u bytes): emu %02x.., oracle %02x..",
			 (unsigned long long)d->mem[0].addr, d->mem[0].len, d->mem[0].emu[0], d->mem[0].oracle[0]);
	}
}

static void fill_insn(struct kd *D, struct diff_divergence *d, uint64_t insn_no, const struct rax_cpu_state *at)
{
	d->step = insn_no;
	d->rip = at->rip;
	uint8_t b[15];
	unsigned nb = 0;
	for (; nb < 15; nb++) {
		uint64_t gpa;
		if (D->emu.ops->translate(&D->emu, at->rip + nb, &gpa) < 0 ||
		    guest_mem_read(&D->emu.mem, gpa, &b[nb], 1) < 0)
			break;
	}
	memcpy(d->bytes, b, nb);
	d->nbytes = nb;
	struct emu_insn in;
	if (nb && emu_decode(b, nb, &in) == EMU_DEC_OK) {
		emu_disasm_at(&in, at->rip, d->disasm, sizeof(d->disasm));
		d->nbytes = in.len;
	} else {
		snprintf(d->disasm, sizeof(d->disasm), "(undecodable)");
	}
}

static void hist_clear(struct kd *D) { D->nhist = D->hist_pos = 0; }

static void hist_push(struct kd *D, uint64_t rip)
{
	struct diff_hist *h = &D->hist[D->hist_pos];
	h->rip = rip;
	if (!emu_disasm_guest(&D->emu, rip, h->dis, sizeof(h->dis)))
		snprintf(h->dis, sizeof(h->dis), "(undecodable)");
	D->hist_pos = (D->hist_pos + 1) % DIFF_HIST;
	if (D->nhist < DIFF_HIST)
		D->nhist++;
}

static void hist_into(struct kd *D, struct diff_divergence *d)
{
	d->nhist = D->nhist;
	for (unsigned i = 0; i < D->nhist; i++)
		d->hist[i] = D->hist[(D->hist_pos + DIFF_HIST - D->nhist + i) % DIFF_HIST];
}

/* ---- checkpoints ---- */

static void checkpoint(struct kd *D, const struct rax_cpu_state *st)
{
	double t0 = now_s();
	memcpy(D->snap, D->emu.mem.host, D->size);
	D->snap_st = *st;
	D->snap_exit = D->exit_no;
	D->snap_insn = D->insn_base + emu_icount(D);
	D->ks->ram_seconds += now_s() - t0;
}

/* Whole-RAM comparison; the time it takes is budgeted (see the file comment). */
static int64_t ram_check(struct kd *D)
{
	double t0 = now_s();
	int64_t p = ram_first_diff(D->emu.mem.host, D->kvm->mem.host, D->size, 0);
	double t1 = now_s();
	D->ks->ram_checks++;
	D->ks->ram_seconds += t1 - t0;
	D->ram_cost = t1 - t0;
	D->last_ram = t1;
	return p;
}

static bool ram_check_due(struct kd *D)
{
	return now_s() - D->last_ram >= 9 * D->ram_cost * 2; /* compare + snapshot */
}

/* ---- instruction classes that legitimately differ ---- */


/* ---- localisation ---- */

enum kloc { KL_RESUME, KL_STOP };

struct yref {
	struct kev ev;
	struct rax_cpu_state pre; /* emulator before the I/O instruction at y */
	enum kstop kind;
};

/* One emulator step; false when it cannot go on. */
static bool emu_step1(struct kd *D, struct rax_exit *ex)
{
	struct rax_err err = { 0 };
	struct rax_cpu_state s;
	emu_get(D, &s);
	hist_push(D, s.rip);
	memset(ex, 0, sizeof(*ex));
	return D->emu.ops->step(&D->emu, ex, &err) == 0 && ex->kind != RAX_EXIT_INTERNAL &&
		ex->kind != RAX_EXIT_SHUTDOWN;
}

/*
 * P(m): started from the emulator's current state and RAM, does KVM reach
 * the next exit exactly as the emulator reached y? fields/nf: what differed.
 */
static bool probe(struct kd *D, const struct yref *y, struct diff_field *f, unsigned *nf, char *why, size_t wn)
{
	struct rax_cpu_state s, k;
	struct rax_err err = { 0 };
	emu_get(D, &s);
	D->ks->probes++;
	*nf = 0;
	why[0] = 0;
	if (kvm_load(D, &s, D->emu.mem.host, &err) < 0) {
		str_copy(why, wn, err.msg);
		return false;
	}
	char det[200] = "";
	enum kstop ks = kvm_to_exit(D, det, sizeof(det));
	if (ks != y->kind) {
		snprintf(why, wn, "KVM ended with %s (%s), the emulator with %s", kstop_name(ks), det,
			 kstop_name(y->kind));
		return false;
	}
	kvm_get(D, &k);
	if (!ev_equal(&D->sk.ev, &y->ev)) {
		char a[80], b[80];
		ev_text(&y->ev, a, sizeof(a));
		ev_text(&D->sk.ev, b, sizeof(b));
		snprintf(why, wn, "port access: emu %s, KVM %s", a, b);
		return false;
	}
	*nf = diff_compare_state(&y->pre, &k, K_CMP, K_RFLAGS_BITS, f, 48);
	if (*nf)
		return false;
	int64_t p = ram_first_diff(D->buf_y, D->kvm->mem.host, D->size, 0);
	if (p >= 0) {
		snprintf(why, wn, "RAM differs at 0x%llx", (unsigned long long)p);
		return false;
	}
	return true;
}

/* Bring the emulator to position m (steps after lo); false on failure. */
static bool emu_goto(struct kd *D, uint64_t *cur, uint64_t lo, const struct rax_cpu_state *st_lo, uint64_t m)
{
	struct rax_err err = { 0 };
	if (m < *cur) {
		emu_load(D, st_lo, D->buf_lo, &err);
		*cur = lo;
		hist_clear(D);
	}
	while (*cur < m) {
		struct rax_exit ex;
		if (!emu_step1(D, &ex))
			return false;
		(*cur)++;
	}
	return true;
}

/* Resynchronise both sides on KVM's state and RAM (after an adopted difference). */
static int resync_from_kvm(struct kd *D, const struct rax_cpu_state *k)
{
	struct rax_err err = { 0 };
	memcpy(D->emu.mem.host, D->kvm->mem.host, D->size);
	/* the trap-flag oracle's area is the harness's, not the guest's */
	memcpy(D->emu.mem.host + LAYOUT_HARNESS_KERNEL, D->snap + LAYOUT_HARNESS_KERNEL, LAYOUT_HARNESS_SIZE);
	memcpy(D->kvm->mem.host + LAYOUT_HARNESS_KERNEL, D->snap + LAYOUT_HARNESS_KERNEL, LAYOUT_HARNESS_SIZE);
	if (emu_load(D, k, NULL, &err) < 0 || kvm_load(D, k, NULL, &err) < 0)
		return -1;
	checkpoint(D, k);
	return 0;
}

/*
 * Phase 1: replay both sides from the checkpoint, exit by exit, to the first
 * exit that differs (state, access, watched pages, or all of RAM when
 * full_ram). Returns that exit's number (0: none up to last), with the
 * emulator's reference at it in *y (RAM in D->buf_y).
 */
static uint64_t replay_find(struct kd *D, uint64_t last, const uint64_t *watch, unsigned nwatch, bool full_ram,
			    struct yref *y, uint64_t *x_rel_insn, char *why, size_t wn)
{
	struct rax_err err = { 0 };
	if (emu_load(D, &D->snap_st, D->snap, &err) < 0 || kvm_load(D, &D->snap_st, D->snap, &err) < 0) {
		str_copy(why, wn, err.msg);
		return 0;
	}
	uint64_t ic0 = emu_icount(D);
	*x_rel_insn = 0;
	for (uint64_t e = D->snap_exit + 1; e <= last; e++) {
		char d1[200] = "", d2[200] = "";
		enum kstop a = emu_to_exit(D, d1, sizeof(d1));
		y->kind = a;
		y->ev = D->se.ev;
		if (D->se.have_pre)
			y->pre = D->se.pre;
		else
			emu_get(D, &y->pre);
		enum kstop b = kvm_to_exit(D, d2, sizeof(d2));
		bool differs = a != b || a != KS_IO;
		struct rax_cpu_state k;
		kvm_get(D, &k);
		struct diff_field f[4];
		if (!differs)
			differs = !ev_equal(&D->se.ev, &D->sk.ev) ||
				diff_compare_state(&y->pre, &k, K_CMP, K_RFLAGS_BITS, f, 4);
		for (unsigned i = 0; !differs && i < nwatch; i++)
			differs = memcmp(D->emu.mem.host + watch[i], D->kvm->mem.host + watch[i], KPAGE) != 0;
		if (!differs && (full_ram || e == last))
			differs = ram_first_diff(D->emu.mem.host, D->kvm->mem.host, D->size, 0) >= 0;
		if (differs) {
			memcpy(D->buf_y, D->emu.mem.host, D->size);
			return e;
		}
		*x_rel_insn = emu_icount(D) - ic0;
	}
	return 0;
}

/*
 * A difference was seen at exit `at` (the emulator and KVM stopped there).
 * Find the instruction, report or adopt it. Returns KL_RESUME when both
 * sides are in step again (at a new checkpoint), KL_STOP otherwise.
 */
static enum kloc localise(struct kd *D, uint64_t at, const char *seen)
{
	double t0 = now_s();
	D->ks->localisations++;
	uint64_t g_at = D->insn_base + emu_icount(D);
	struct rax_cpu_state e_at, k_at; /* as seen at the exit, for a report that cannot narrow it down */
	if (D->se.have_pre)
		e_at = D->se.pre;
	else
		emu_get(D, &e_at);
	kvm_get(D, &k_at);
	struct rax_err err = { 0 };
	char why[256] = "";
	if (!D->buf_lo)
		D->buf_lo = malloc(D->size);
	if (!D->buf_y)
		D->buf_y = malloc(D->size);
	if (!D->buf_lo || !D->buf_y) {
		kset_status(D, DIFF_DIVERGE, "exit %llu: %s (no memory left to localise it)", (unsigned long long)at,
			    seen);
		return KL_STOP;
	}
	uint64_t watch[K_WATCH];
	unsigned nwatch = ram_diff_pages(D->emu.mem.host, D->kvm->mem.host, D->size, watch, K_WATCH);
	struct yref y;
	memset(&y, 0, sizeof(y));
	uint64_t x_rel = 0, n = 0, lo = 0, hi = 0, cur = 0;
	struct rax_cpu_state st_lo, st_x;
	struct diff_field pf[48];
	unsigned pnf = 0;
	char pwhy[256] = "";
	uint64_t ye = 0;
	for (int pass = 0; pass < 2; pass++) {
		ye = replay_find(D, at, watch, nwatch, pass == 1, &y, &x_rel, why, sizeof(why));
		if (!ye) {
			if (why[0])
				goto fail;
			/* it did not happen again: host nondeterminism (both sides are at `at` now) */
			D->ks->nondet_replays++;
			knote(D,
			      "exit %llu: \"%s\" did not recur when replayed from exit %llu (host nondeterminism; resynchronised there)",
			      (unsigned long long)at, seen, (unsigned long long)D->snap_exit);
			struct rax_cpu_state k;
			emu_get(D, &k);
			D->exit_no = at;
			D->insn_base = g_at - emu_icount(D);
			checkpoint(D, &k);
			D->ks->localise_seconds += now_s() - t0;
			return KL_RESUME;
		}
		/* the emulator at x: replay it alone from the checkpoint */
		emu_load(D, &D->snap_st, D->snap, &err);
		uint64_t ic0 = emu_icount(D);
		for (uint64_t e = D->snap_exit + 1; e < ye; e++) {
			char d[200];
			if (emu_to_exit(D, d, sizeof(d)) != KS_IO) {
				snprintf(why, sizeof(why), "emulator replay to exit %llu failed: %s",
					 (unsigned long long)e, d);
				goto fail;
			}
		}
		if (emu_icount(D) - ic0 != x_rel) {
			snprintf(why, sizeof(why),
				 "emulator replay is not deterministic (%llu instructions, then %llu)",
				 (unsigned long long)x_rel, (unsigned long long)(emu_icount(D) - ic0));
			goto fail;
		}
		emu_get(D, &st_x);
		memcpy(D->buf_lo, D->emu.mem.host, D->size);
		/* n: steps from x through the I/O instruction at y */
		hist_clear(D);
		side_reset(&D->se);
		for (n = 0; !D->se.ev.valid && !D->se.wend;) {
			struct rax_exit ex;
			if (!emu_step1(D, &ex)) {
				snprintf(why, sizeof(why), "emulator step failed after x + %llu",
					 (unsigned long long)n);
				goto fail;
			}
			n++;
			if (watchdog_expired) {
				snprintf(why, sizeof(why), "timeout while localising");
				goto fail;
			}
		}
		/* P(0): KVM from x; false unless x already differed somewhere unwatched */
		emu_load(D, &st_x, D->buf_lo, &err);
		cur = 0;
		if (!probe(D, &y, pf, &pnf, pwhy, sizeof(pwhy)))
			break;
		if (pass == 1) {
			snprintf(
				why, sizeof(why),
				"KVM started from the emulator's state at exit %llu reproduces exit %llu: cannot narrow it down",
				(unsigned long long)(ye - 1), (unsigned long long)ye);
			goto fail;
		}
	}
	st_lo = st_x;
	lo = 0;
	hi = n;
	struct diff_hist hist_lo[DIFF_HIST];
	unsigned nhist_lo = 0;
	hist_clear(D);
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (!emu_goto(D, &cur, lo, &st_lo, mid)) {
			snprintf(why, sizeof(why), "emulator step failed at x + %llu", (unsigned long long)mid);
			goto fail;
		}
		struct diff_field f[48];
		unsigned nf;
		char w[256];
		if (probe(D, &y, f, &nf, w, sizeof(w))) {
			hi = mid;
		} else {
			lo = mid;
			emu_get(D, &st_lo);
			memcpy(D->buf_lo, D->emu.mem.host, D->size);
			memcpy(pf, f, sizeof(f));
			pnf = nf;
			snprintf(pwhy, sizeof(pwhy), "%s", w);
			nhist_lo = D->nhist;
			for (unsigned i = 0; i < D->nhist; i++)
				hist_lo[i] = D->hist[(D->hist_pos + DIFF_HIST - D->nhist + i) % DIFF_HIST];
		}
		if (watchdog_expired) {
			snprintf(why, sizeof(why), "timeout while localising (between x + %llu and x + %llu)",
				 (unsigned long long)lo, (unsigned long long)hi);
			goto fail;
		}
	}
	/* instruction lo (from st_lo) is the one: step it on both sides */
	{
		uint64_t insn_no = D->snap_insn + x_rel + lo + 1; /* 1-based, counted by the emulator */
		emu_load(D, &st_lo, D->buf_lo, &err);
		struct step_engine E = {
			.emu = &D->emu, .orc = &D->orc, .strict_flags = D->opt->strict_flags, .entered = true
		};
		struct step *S = malloc(sizeof(*S));
		if (!S) {
			snprintf(why, sizeof(why), "out of memory");
			goto fail;
		}
		step_fetch(&E, S);
		enum insn_nondet nd = S->nd;
		uint64_t undefined = S->undefined;
		step_emu(&E, S, &err);
		struct rax_cpu_state e1 = S->e1, o1;
		bool stepped = false;
		memcpy(D->kvm->mem.host, D->buf_lo, D->size);
		if (oracle_kvm_settle(&D->orc, &err) == 0 && D->orc.ops->set_state(&D->orc, &st_lo, &err) == 0) {
			D->sk.passive = true;
			int rc = step_oracle(&E, S, &err);
			D->sk.passive = false;
			stepped = rc == 0 && S->r.kind == ORACLE_STEPPED;
		}
		o1 = S->o1;
		const struct oracle_result r = S->r;
		free(S);
		if (r.kind == ORACLE_CANNOT) {
			/* the difference at the exit is in this instruction, which the
			 * host cannot step: as far as this host can check */
			kset_status(D, DIFF_SKIP,
				    "exit %llu differs (%.150s) in instruction %llu at 0x%llx, which this "
				    "host's KVM cannot single-step (%.150s): the comparison ends there; the %llu "
				    "instructions before it compared equal",
				    (unsigned long long)at, seen, (unsigned long long)insn_no,
				    (unsigned long long)st_lo.rip, r.detail, (unsigned long long)(insn_no - 1));
			window_end(D, "instruction %llu cannot be single-stepped on this host's KVM",
				   (unsigned long long)insn_no);
			D->ks->localise_seconds += now_s() - t0;
			return KL_STOP;
		}
		struct diff_divergence tmp;
		memset(&tmp, 0, sizeof(tmp));
		struct diff_divergence *d = &tmp;
		d->compared = K_CMP;
		fill_insn(D, d, insn_no, &st_lo);
		d->nhist = nhist_lo;
		memcpy(d->hist, hist_lo, sizeof(hist_lo[0]) * nhist_lo);
		if (d->nhist < DIFF_HIST)
			d->hist[d->nhist++] = (struct diff_hist){ .rip = st_lo.rip };
		str_copy(d->hist[d->nhist - 1].dis, sizeof(d->hist[0].dis), d->disasm);
		if (stepped) {
			/* the trap-flag oracle's harness area is not the guest's */
			memcpy(D->kvm->mem.host + LAYOUT_HARNESS_KERNEL, D->emu.mem.host + LAYOUT_HARNESS_KERNEL,
			       LAYOUT_HARNESS_SIZE);
			uint64_t rbits = D->orc.rflags_bits & K_RFLAGS_BITS;
			unsigned nf_all = diff_compare_state(&e1, &o1, K_CMP, rbits, d->fields, 48);
			unsigned nf_def = diff_compare_state(&e1, &o1, K_CMP, rbits & ~undefined, d->fields, 48);
			d->nfields = nf_def < 48 ? nf_def : 48;
			d->undefined = undefined;
			d->rflags_bits = rbits & ~undefined;
			d->emu = e1;
			d->oracle = o1;
			ram_runs(D, D->emu.mem.host, D->kvm->mem.host, d);
			bool same = !nf_def && !d->mem_total;
			char a[80] = "", b[80] = "";
			if (nd != INSN_ND_NONE || (same && nf_all)) {
				if (nd == INSN_ND_TSC || nd == INSN_ND_TSC_MSR || nd == INSN_ND_ADOPT ||
				    nd == INSN_ND_AUX)
					D->ks->rdtsc++; /* (RDPMC and RDPID too) */
				else if (nd == INSN_ND_RAND)
					D->ks->rdrand++;
				else if (nd == INSN_ND_CPUID)
					D->ks->cpuid_diff++;
				else
					D->ks->undefined_adopted++;
				if (nd == INSN_ND_CPUID)
					snprintf(a, sizeof(a), " leaf 0x%x.%x", (unsigned)st_lo.gpr[RAX_REG_RAX],
						 (unsigned)st_lo.gpr[RAX_REG_RCX]);
				summarize_fields(d, "");
				str_copy(b, sizeof(b), nd == INSN_ND_NONE ? "undefined flags" : d->disasm);
				knote(D, "instruction %llu at 0x%llx (%s%s): KVM's result adopted: %.100s",
				      (unsigned long long)insn_no, (unsigned long long)st_lo.rip, b, a,
				      d->nfields || d->mem_total ? d->what : "same result when single-stepped");
				D->exit_no = ye - 1;
				D->insn_base = insn_no - emu_icount(D);
				if (resync_from_kvm(D, &o1) < 0) {
					snprintf(why, sizeof(why), "cannot resynchronise: %.200s", err.msg);
					goto fail;
				}
				D->ks->localise_seconds += now_s() - t0;
				return KL_RESUME;
			}
			if (same) {
				snprintf(
					d->what, sizeof(d->what),
					"instruction %llu at 0x%llx (%.96s): KVM run from the state before it reaches exit %llu differently, from the state after it the same; single-stepped, both sides agree (%.200s)",
					(unsigned long long)insn_no, (unsigned long long)st_lo.rip, d->disasm,
					(unsigned long long)ye, pwhy[0] ? pwhy : "a field that is not compared");
			} else {
				summarize_fields(d, "");
			}
		} else {
			/* no single step here: report the probe's view at exit y */
			d->nfields = pnf < 48 ? pnf : 48;
			memcpy(d->fields, pf, sizeof(pf[0]) * d->nfields);
			d->emu = y.pre;
			kvm_get(D, &d->oracle);
			char w[200];
			snprintf(w, sizeof(w), "%s", pwhy);
			snprintf(
				d->what, sizeof(d->what),
				"instruction %llu at 0x%llx (%.96s): started before it KVM reaches exit %llu differently (%.150s), started after it the same [KVM could not single-step it: %.100s]",
				(unsigned long long)insn_no, (unsigned long long)st_lo.rip, d->disasm,
				(unsigned long long)ye, w[0] ? w : (pnf ? d->fields[0].name : "?"),
				r.detail[0]          ? r.detail
					: err.msg[0] ? err.msg
						     : "trap-flag stepping needs the guest to map the harness area");
		}
		struct diff_divergence *dd = kdiv(D);
		if (dd)
			*dd = *d;
		kset_status(D, DIFF_DIVERGE, "instruction %llu, rip 0x%llx (%s): %s", (unsigned long long)insn_no,
			    (unsigned long long)st_lo.rip, d->disasm, d->what);
		D->ks->localise_seconds += now_s() - t0;
		if (D->opt->keep_going && stepped) {
			D->exit_no = ye - 1;
			D->insn_base = insn_no - emu_icount(D);
			if (resync_from_kvm(D, &o1) == 0)
				return KL_RESUME;
		}
		return KL_STOP;
	}
fail : {
	struct diff_divergence *d = kdiv(D);
	if (d) {
		fill_insn(D, d, g_at, &e_at);
		d->emu = e_at;
		d->oracle = k_at;
		unsigned nf = diff_compare_state(&e_at, &k_at, K_CMP, K_RFLAGS_BITS, d->fields, 48);
		d->nfields = nf < 48 ? nf : 48;
		snprintf(d->what, sizeof(d->what), "exit %llu: %.200s (not localised: %.200s)", (unsigned long long)at,
			 seen, why);
	}
	kset_status(D, DIFF_DIVERGE, "exit %llu: %s (not localised to one instruction: %s)", (unsigned long long)at,
		    seen, why);
	D->ks->localise_seconds += now_s() - t0;
	return KL_STOP;
}
}

/* ---- the exits strategy ---- */

/*
 * The comparison stopped after the emulator ran past the last compared exit
 * (window end, timeout): compare RAM at that exit too, replaying the
 * emulator alone from the checkpoint to it. KVM still sits there.
 */
static void tail_ram(struct kd *D, bool emu_moved)
{
	if (D->exit_no == D->snap_exit || D->res->status == DIFF_DIVERGE)
		return;
	struct rax_err err = { 0 };
	bool ok = true;
	if (emu_moved) {
		emu_load(D, &D->snap_st, D->snap, &err);
		for (uint64_t e = D->snap_exit + 1; ok && e <= D->exit_no; e++) {
			char d[200];
			ok = emu_to_exit(D, d, sizeof(d)) == KS_IO;
		}
	}
	if (!ok) {
		knote(D, "RAM at the last exit (%llu) not compared: the emulator's replay to it failed",
		      (unsigned long long)D->exit_no);
		return;
	}
	int64_t p = ram_check(D);
	if (p >= 0) {
		char seen[96];
		snprintf(seen, sizeof(seen), "RAM differs at 0x%llx", (unsigned long long)p);
		localise(D, D->exit_no, seen);
	}
}

static void run_exits(struct kd *D)
{
	struct diff_kernel_stats *ks = D->ks;
	D->last_ram = now_s();
	D->ram_cost = 0;
	D->emu_intr0 = emu_interrupt_count(&D->emu);
	uint64_t raises0 = D->se.irq_raises + D->sk.irq_raises;
	for (;;) {
		uint64_t done = D->insn_base + emu_icount(D);
		ks->instructions = done;
		if (done >= D->opt->steps) {
			window_end(
				D,
				"--steps %llu reached (the first exit at or after it is exit %llu, instruction %llu)",
				(unsigned long long)D->opt->steps, (unsigned long long)D->exit_no,
				(unsigned long long)done);
			tail_ram(D, false);
			return;
		}
		char d1[300] = "", d2[300] = "";
		enum kstop a = emu_to_exit(D, d1, sizeof(d1));
		uint64_t now_insn = D->insn_base + emu_icount(D);
		uint64_t intr = emu_interrupt_count(&D->emu);
		if (intr != D->emu_intr0) {
			ks->emu_interrupts = intr - D->emu_intr0;
			window_end(
				D,
				"the emulator delivered an external interrupt between instructions %llu and %llu (the two sides take interrupts at different instruction boundaries)",
				(unsigned long long)done, (unsigned long long)now_insn);
			tail_ram(D, true);
			return;
		}
		if (a == KS_WINDOW) {
			window_end(D, "%s, at instruction %llu (rip 0x%llx)", D->se.wend_why,
				   (unsigned long long)now_insn, (unsigned long long)D->se.pre.rip);
			tail_ram(D, true);
			return;
		}
		if (a == KS_TIMEOUT) {
			window_end(D, "--timeout %g s expired", D->opt->timeout);
			tail_ram(D, true);
			return;
		}
		if (a == KS_HOST || a == KS_INTERNAL) {
			struct rax_cpu_state e;
			emu_get(D, &e);
			kset_status(
				D, DIFF_ERROR,
				"the emulator stopped between instructions %llu and %llu (rip 0x%llx): %s; the %llu exits before compared equal",
				(unsigned long long)done, (unsigned long long)now_insn, (unsigned long long)e.rip, d1,
				(unsigned long long)D->exit_no);
			tail_ram(D, true);
			return;
		}
		enum kstop b = kvm_to_exit(D, d2, sizeof(d2));
		if (b == KS_INTERNAL && !kvm_probe()->cpl0_native.ok) {
			/* KVM ran on past the last compared exit and cannot go on: a
			 * limit of the host (it emulates CPL0 code), not a divergence */
			window_end(D, "this host's KVM emulates CPL0 code and cannot go on after exit %llu: %.300s",
				   (unsigned long long)D->exit_no, d2);
			return;
		}
		if (b == KS_TIMEOUT) {
			window_end(D, "--timeout %g s expired (KVM running)", D->opt->timeout);
			tail_ram(D, true);
			return;
		}
		if (b == KS_HOST) {
			kset_status(D, DIFF_ERROR, "KVM: %s", d2);
			return;
		}
		struct rax_cpu_state pre, k;
		if (D->se.have_pre)
			pre = D->se.pre;
		else
			emu_get(D, &pre);
		kvm_get(D, &k);
		D->exit_no++;
		char seen[300] = "";
		struct diff_field f[2];
		char ea[80], eb[80];
		if (a != b) {
			snprintf(seen, sizeof(seen), "the emulator stopped on %s, KVM on %s%s%.200s", kstop_name(a),
				 kstop_name(b), d2[0] ? ": " : "", d2);
		} else if (a == KS_IO && !ev_equal(&D->se.ev, &D->sk.ev)) {
			ev_text(&D->se.ev, ea, sizeof(ea));
			ev_text(&D->sk.ev, eb, sizeof(eb));
			snprintf(seen, sizeof(seen), "port access: emu %s, KVM %s", ea, eb);
		} else if (diff_compare_state(&pre, &k, K_CMP, K_RFLAGS_BITS, f, 2)) {
			snprintf(seen, sizeof(seen), "state before the I/O instruction differs (%s first)", f[0].name);
		}
		bool last = a != KS_IO || now_insn >= D->opt->steps;
		if (!seen[0] && (last || ram_check_due(D))) {
			int64_t p = ram_check(D);
			if (p >= 0) {
				snprintf(seen, sizeof(seen), "RAM differs at 0x%llx", (unsigned long long)p);
			} else {
				struct rax_cpu_state post;
				emu_get(D, &post);
				checkpoint(D, &post);
			}
		}
		ks->exits = D->exit_no;
		ks->instructions = now_insn;
		if (seen[0]) {
			if (localise(D, D->exit_no, seen) == KL_RESUME)
				continue;
			return;
		}
		if (D->se.irq_raises + D->sk.irq_raises != raises0) {
			ks->irq_raises = D->se.irq_raises + D->sk.irq_raises - raises0;
			window_end(
				D,
				"a device raised an interrupt line (%llu on the emulator, %llu on KVM) before exit %llu",
				(unsigned long long)D->se.irq_raises, (unsigned long long)D->sk.irq_raises,
				(unsigned long long)D->exit_no);
			tail_ram(D, false);
			return;
		}
		if (a != KS_IO) {
			window_end(D, "the guest ended (%s) at instruction %llu", kstop_name(a),
				   (unsigned long long)now_insn);
			return;
		}
	}
}

/* ---- the per-instruction strategy ---- */

static bool io_in_kernel_read(const struct emu_insn *in, const struct rax_cpu_state *s)
{
	int port = (insn_facts(in) & EMU_F_PIN) ? insn_port(in, s) : -1;
	return port >= 0 && in_kernel_port((uint16_t)port);
}

static void add_page(uint64_t *pages, unsigned *n, unsigned max, uint64_t gpa)
{
	gpa &= ~(KPAGE - 1);
	for (unsigned i = 0; i < *n; i++)
		if (pages[i] == gpa)
			return;
	if (*n < max)
		pages[(*n)++] = gpa;
}

static void add_lin(struct kd *D, uint64_t *pages, unsigned *n, unsigned max, uint64_t la)
{
	uint64_t gpa;
	if (D->emu.ops->translate(&D->emu, la, &gpa) == 0)
		add_page(pages, n, max, gpa);
}

static void run_steps(struct kd *D)
{
	struct diff_kernel_stats *ks = D->ks;
	struct rax_err err = { 0 };
	D->se.passive = D->sk.passive = true;
	D->emu_intr0 = emu_interrupt_count(&D->emu);
	uint64_t raises0 = D->se.irq_raises + D->sk.irq_raises;
	hist_clear(D);
	/* cpuid, rdtsc, rdtscp, rdmsr of the TSC, rdrand, rdseed, rdpid: the
	 * oracle first, its values injected; rdpmc: the oracle's result adopted */
	struct step_engine E = { .emu = &D->emu,
				 .orc = &D->orc,
				 .strict_flags = D->opt->strict_flags,
				 .first = (1u << INSN_ND_CPUID) | (1u << INSN_ND_TSC) | (1u << INSN_ND_TSC_MSR) |
					 (1u << INSN_ND_RAND) | (1u << INSN_ND_AUX),
				 .adopt = 1u << INSN_ND_ADOPT,
				 .entered = true };
	struct step *S = malloc(sizeof(*S));
	if (!S) {
		kset_status(D, DIFF_ERROR, "out of memory");
		return;
	}
	for (uint64_t step = 1; step <= D->opt->steps; step++) {
		if (watchdog_expired) {
			window_end(D, "--timeout %g s expired", D->opt->timeout);
			goto out;
		}
		struct rax_cpu_state e0, e1, o1;
		step_fetch(&E, S);
		e0 = S->e0;
		const struct emu_insn in = S->in;
		bool dec = S->dec;
		hist_push(D, e0.rip);
		uint64_t undefined = S->undefined;
		if (step_oracle_first(&E, S, &err) < 0)
			goto host;
		if (S->injected == STEP_INJ_CPUID)
			ks->cpuid_diff++;
		else if (S->injected == STEP_INJ_TSC || S->injected == STEP_INJ_AUX)
			ks->rdtsc++;
		else if (S->injected == STEP_INJ_RAND)
			ks->rdrand++;
		if (step_emu(&E, S, &err) < 0)
			goto host;
		D->emu.stop = 0;
		D->emu.stop_status = 0;
		const struct rax_exit ex = S->ex;
		if (ex.kind == RAX_EXIT_INTERNAL) {
			kset_status(D, DIFF_ERROR,
				    "the emulator stopped at instruction %llu: %s; %llu instructions compared equal",
				    (unsigned long long)step, ex.detail, (unsigned long long)(step - 1));
			goto out;
		}
		e1 = S->e1;
		const uint64_t *wp = S->written;
		int nw = S->nw;
		if (emu_interrupt_count(&D->emu) != D->emu_intr0) {
			ks->emu_interrupts = emu_interrupt_count(&D->emu) - D->emu_intr0;
			window_end(D, "the emulator delivered an external interrupt at instruction %llu",
				   (unsigned long long)step);
			goto out;
		}
		if (step_oracle(&E, S, &err) < 0)
			goto host;
		o1 = S->o1;
		const struct oracle_result r = S->r;
		if (r.kind == ORACLE_INTERNAL) {
			kset_status(D, DIFF_ERROR, "KVM (%s) failed at instruction %llu, rip 0x%llx: %s", D->orc.name,
				    (unsigned long long)step, (unsigned long long)e0.rip, r.detail);
			goto out;
		}
		if (r.kind == ORACLE_CANNOT) {
			window_end(D, "instruction %llu at rip 0x%llx cannot run on this host's KVM: %.300s",
				   (unsigned long long)step, (unsigned long long)e0.rip, r.detail);
			goto out;
		}
		ks->instructions = step;
		/* values KVM's side takes from host time or randomness: adopt, count */
		if (dec && io_in_kernel_read(&in, &e0) && e1.gpr[RAX_REG_RAX] != o1.gpr[RAX_REG_RAX]) {
			e1.gpr[RAX_REG_RAX] = o1.gpr[RAX_REG_RAX];
			D->emu.ops->set_state(&D->emu, &e1, &err);
			ks->port_in_injected++;
		}
		S->e1 = e1;
		if (step_take_result(&E, S, &err)) {
			e1 = S->e1;
			ks->rdrand++;
		}
		uint64_t rbits = D->orc.rflags_bits & K_RFLAGS_BITS & ~undefined;
		struct diff_divergence tmp;
		memset(&tmp, 0, sizeof(tmp));
		unsigned nf = diff_compare_state(&e1, &o1, K_CMP, rbits, tmp.fields, 48);
		uint64_t pages[EMU_MAX_WRITTEN_PAGES + 8];
		unsigned np = 0;
		for (int i = 0; i < nw; i++)
			add_page(pages, &np, EMU_MAX_WRITTEN_PAGES + 8, wp[i]);
		if (dec && in.modrm && in.mod != 3) {
			add_lin(D, pages, &np, EMU_MAX_WRITTEN_PAGES + 8, emu_insn_linear(&in, &e0));
		}
		add_lin(D, pages, &np, EMU_MAX_WRITTEN_PAGES + 8, e0.gpr[RAX_REG_RSP] - 8);
		add_lin(D, pages, &np, EMU_MAX_WRITTEN_PAGES + 8, e1.gpr[RAX_REG_RSP]);
		for (unsigned i = 0; i < np; i++) {
			if (pages[i] + KPAGE > D->size ||
			    (pages[i] >= LAYOUT_HARNESS_KERNEL &&
			     pages[i] < LAYOUT_HARNESS_KERNEL + LAYOUT_HARNESS_SIZE))
				continue;
			const uint8_t *ep = D->emu.mem.host + pages[i], *kp = D->kvm->mem.host + pages[i];
			if (!memcmp(ep, kp, KPAGE))
				continue;
			unsigned room = tmp.nmem < 8 ? 8 - tmp.nmem : 0;
			unsigned n = diff_mem_runs(pages[i], ep, kp, KPAGE, tmp.mem + tmp.nmem, room);
			tmp.nmem += n < room ? n : room;
			tmp.mem_total += n;
		}
		if (nf || tmp.mem_total) {
			struct diff_divergence *d = kdiv(D);
			if (!d)
				d = &tmp;
			else
				*d = tmp;
			d->compared = K_CMP;
			d->nfields = nf < 48 ? nf : 48;
			fill_insn(D, d, step, &e0);
			hist_into(D, d);
			d->undefined = undefined;
			d->rflags_bits = rbits;
			d->emu = e1;
			d->oracle = o1;
			summarize_fields(d, "");
			if (!D->opt->keep_going) {
				kset_status(D, DIFF_DIVERGE, "instruction %llu, rip 0x%llx (%s): %s",
					    (unsigned long long)step, (unsigned long long)e0.rip, d->disasm, d->what);
				goto out;
			}
			for (unsigned i = 0; i < np; i++)
				if (pages[i] + KPAGE <= D->size)
					memcpy(D->emu.mem.host + pages[i], D->kvm->mem.host + pages[i], KPAGE);
			D->emu.ops->set_state(&D->emu, &o1, &err);
			continue;
		}
		S->e1 = e1;
		if (step_adopt_undefined(&E, S, &err))
			ks->undefined_adopted++;
		if (D->pit0_armed) {
			window_end(
				D,
				"PIT channel 0 programmed at instruction %llu: KVM's in-kernel PIT can now interrupt at any instruction",
				(unsigned long long)step);
			goto out;
		}
		if (D->se.irq_raises + D->sk.irq_raises != raises0) {
			window_end(D, "a device raised an interrupt line at instruction %llu",
				   (unsigned long long)step);
			goto out;
		}
		if (r.kind == ORACLE_EXITED || ex.kind == RAX_EXIT_HLT || ex.kind == RAX_EXIT_SHUTDOWN) {
			window_end(D, "the guest ended at instruction %llu (%s)", (unsigned long long)step,
				   r.kind == ORACLE_EXITED ? r.detail : "emulator halted");
			goto out;
		}
	}
	window_end(D, "--steps %llu reached", (unsigned long long)D->opt->steps);
	goto out;
host:
	kset_status(D, DIFF_ERROR, "%s", err.msg[0] ? err.msg : "host error while stepping");
out:
	free(S);
}

/* ---- set-up ---- */

int diff_kernel_check_inputs(const struct diff_kernel_options *o, struct rax_err *err)
{
	if (!o->steps)
		return rax_errf(err, RAX_STATUS_USAGE, "--kernel needs --steps N (how many instructions to compare)");
	if (o->mem_size < GUEST_MEM_MIN || o->mem_size > GUEST_MEM_MAX)
		return rax_errf(err, RAX_STATUS_USAGE, "--mem out of range (16M to 3G)");
	if (o->cmdline && strlen(o->cmdline) + 1 > LAYOUT_CMDLINE_MAX)
		return rax_errf(err, RAX_STATUS_USAGE, "--cmdline is longer than %llu bytes",
				(unsigned long long)LAYOUT_CMDLINE_MAX - 1);
	/* the whole file: the setup header's sizes are checked against it */
	uint8_t *buf;
	size_t len;
	if (rax_input_read(o->kernel, &(struct rax_input_spec){ .what = "kernel", .verb = "read", .max = o->mem_size },
			   &buf, &len, err) < 0)
		return -1;
	struct bzimage_info bi;
	struct rax_err e2 = { 0 };
	int ok = bzimage_parse(buf, len, &bi, &e2) == 0;
	free(buf);
	if (!ok)
		return rax_errf(err, RAX_STATUS_USAGE, "kernel '%s': %.400s", o->kernel, e2.msg);
	/* the initrd is read when the run loads it: here only whether it can be */
	if (o->initrd &&
	    rax_input_check(o->initrd, &(struct rax_input_spec){ .what = "initrd", .verb = "read", .max = o->mem_size },
			    err) < 0)
		return -1;
	return 0;
}

void diff_run_kernel(const struct diff_kernel_options *o, struct diff_result *res)
{
	memset(res, 0, sizeof(*res));
	const char *base = strrchr(o->kernel, '/');
	snprintf(res->name, sizeof(res->name), "%s", base ? base + 1 : o->kernel);
	double t0 = now_s();
	struct kd *D = calloc(1, sizeof(*D));
	res->kernel = calloc(1, sizeof(*res->kernel));
	if (!D || !res->kernel) {
		free(D);
		res->status = DIFF_ERROR;
		snprintf(res->reason, sizeof(res->reason), "out of memory");
		return;
	}
	D->opt = o;
	D->res = res;
	D->ks = res->kernel;
	D->size = o->mem_size;
	const char *cmdline = o->cmdline ? o->cmdline : DIFF_KERNEL_CMDLINE;
	snprintf(D->ks->cmdline, sizeof(D->ks->cmdline), "%s", cmdline);
	if (!strstr(cmdline, "nokaslr"))
		knote(D,
		      "the command line has no nokaslr: KASLR draws on RDTSC/RDRAND, expect those differences early");
	snprintf(D->ks->strategy, sizeof(D->ks->strategy), "%s%s",
		 o->per_insn ? "per-instruction, kvm/" : "exits (single steps: kvm/", kvm_step_mode_name(o->mode));
	if (!o->per_insn)
		strncat(D->ks->strategy, ")", sizeof(D->ks->strategy) - strlen(D->ks->strategy) - 1);
	struct rax_err err = { 0 };
	struct rax_config cfg = { .backend = RAX_BACKEND_EMULATOR,
				  .mem_size = o->mem_size,
				  .kernel = o->kernel,
				  .initrd = o->initrd,
				  .cmdline = cmdline,
				  .console_in = -1,
				  .console_out = -1 };
	struct rax_cpu_state st;
	if (vm_create(&D->emu, &cfg, &err) < 0) {
		kset_status(D, DIFF_ERROR, "%s", err.msg);
		goto out;
	}
	D->emu_ok = true;
	if (bzimage_load(&D->emu.mem, o->kernel, o->initrd, cmdline, 1, &st, &err) < 0 ||
	    vm_create_backend(&D->emu, &err) < 0 || D->emu.ops->set_state(&D->emu, &st, &err) < 0) {
		kset_status(D, DIFF_ERROR, "%s", err.msg);
		goto out;
	}
	D->snap = malloc(D->size);
	if (!D->snap) {
		kset_status(D, DIFF_ERROR, "out of memory (a %llu MiB RAM snapshot)",
			    (unsigned long long)(D->size >> 20));
		goto out;
	}
	if (oracle_kvm_open(&D->orc, o->mode, D->emu.mem.host, D->size, &st, LAYOUT_HARNESS_KERNEL, &err) < 0) {
		kset_status(D, DIFF_ERROR, "%s", err.msg);
		goto out;
	}
	D->orc_ok = true;
	snprintf(res->oracle, sizeof(res->oracle), "%s", D->orc.name);
	D->kvm = oracle_kvm_vm(&D->orc);
	/* the oracle put its stub into its copy of RAM: both sides hold it */
	memcpy(D->emu.mem.host + LAYOUT_HARNESS_KERNEL, D->kvm->mem.host + LAYOUT_HARNESS_KERNEL, LAYOUT_HARNESS_SIZE);
	if (D->kvm->ops->set_state(D->kvm, &st, &err) < 0) {
		kset_status(D, DIFF_ERROR, "%s", err.msg);
		goto out;
	}
	observe(D, &D->se, &D->emu, true);
	observe(D, &D->sk, D->kvm, false);
	checkpoint(D, &st);
	watchdog_start(D, o->timeout);
	if (o->per_insn)
		run_steps(D);
	else
		run_exits(D);
	watchdog_stop();
	if (D->linelen && !D->ks->console[0]) {
		D->line[D->linelen] = 0;
		snprintf(D->ks->console, sizeof(D->ks->console), "%s", D->line);
	}
	res->steps = D->ks->instructions;
	res->cpuid_injected = D->ks->cpuid_diff;
	res->rdtsc_injected = D->ks->rdtsc;
	res->port_in_injected = D->ks->port_in_injected;
	res->undefined_adopted = D->ks->undefined_adopted;
	snprintf(res->guest_end, sizeof(res->guest_end), "%.*s", (int)sizeof(res->guest_end) - 1, D->ks->window_end);
	if (res->status == DIFF_PASS && res->ndiv_total)
		kset_status(D, DIFF_DIVERGE, "%u divergences (--keep-going)", res->ndiv_total);
	else if (res->status == DIFF_PASS && !res->reason[0])
		kset_status(D, DIFF_PASS, "%llu instructions compared equal%s%llu exits; window end: %.300s",
			    (unsigned long long)D->ks->instructions, o->per_insn ? " (per instruction); " : " at ",
			    (unsigned long long)D->ks->exits, D->ks->window_end);
out:
	if (watchdog_kd)
		watchdog_stop();
	if (D->orc_ok)
		D->orc.ops->close(&D->orc);
	if (D->emu_ok)
		vm_destroy(&D->emu);
	free(D->snap);
	free(D->buf_lo);
	free(D->buf_y);
	free(D);
	res->seconds = now_s() - t0;
}
