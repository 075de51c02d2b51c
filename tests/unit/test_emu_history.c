/*
 * test_emu_history.c - run to an exact instruction count, snapshots and
 * replay (src/emu/history.h) on small 64-bit guests:
 *   - stopping often on the way changes nothing (same state, RAM and devices
 *     as one straight run), and each stop is exactly at its count;
 *   - stepping N forward, then goto back, restores registers and RAM;
 *     goto across snapshot boundaries, forwards and backwards;
 *   - a PIT/PIC/UART-driven guest (timer interrupts, port writes, RDRAND)
 *     replays identically, devices included;
 *   - snapshot memory stays under its bound (the oldest are dropped);
 *   - find_last finds the last write to an address and the last visit of
 *     a RIP, by re-execution;
 *   - console input and (realtime clock) idle waits are logged and replayed.
 */
#include <fcntl.h>
#include <unistd.h>

#include "devices/devices.h"
#include "devices/uart16550.h"
#include "emu/history.h"
#include "test_emu_util.h"
#include "unit.h"

/* g1: for (rcx = 0;; rcx++) table[rcx & 0x7fff] = rcx * 0x9e3779b1 (table at TV_DATA) */
static const uint8_t g1[] = { 0x31, 0xc9, 0x48, 0x89, 0xc8, 0x48, 0x69, 0xc0, 0xb1, 0x79, 0x37, 0x9e,
			      0x48, 0x89, 0xcb, 0x48, 0x81, 0xe3, 0xff, 0x7f, 0x00, 0x00, 0x48, 0x89,
			      0x04, 0xdd, 0x00, 0x00, 0x40, 0x00, 0x48, 0x83, 0xc1, 0x01, 0xeb, 0xde };
/* g2: PIC (IRQ0 only, vectors 0x20), PIT ch0 mode 2 divisor 20, sti; loop:
 * counter at TV_DATA+8, table at TV_DATA+0x2000, RDRAND; IRQ0 handler at
 * TV_CODE+G2_HANDLER: counter at TV_DATA, 'x' to COM1, EOI, IRETQ */
static const uint8_t g2[] = { 0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x20, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6,
			      0x21, 0xb0, 0xfe, 0xe6, 0x21, 0xb0, 0x34, 0xe6, 0x43, 0xb0, 0x14, 0xe6, 0x40, 0x30, 0xc0,
			      0xe6, 0x40, 0x66, 0xba, 0xf9, 0x03, 0x30, 0xc0, 0xee, 0xfb, 0x31, 0xc9, 0x48, 0xff, 0x04,
			      0x25, 0x08, 0x00, 0x40, 0x00, 0x48, 0x89, 0xc8, 0x48, 0x25, 0xff, 0x03, 0x00, 0x00, 0x48,
			      0x89, 0x0c, 0xc5, 0x00, 0x20, 0x40, 0x00, 0x48, 0x83, 0xc1, 0x03, 0x48, 0x0f, 0xc7, 0xf3,
			      0xeb, 0xdd, 0x50, 0x52, 0x48, 0xff, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, 0x66, 0xba, 0xf8,
			      0x03, 0xb0, 0x78, 0xee, 0xb0, 0x20, 0xe6, 0x20, 0x5a, 0x58, 0x48, 0xcf };
#define G2_HANDLER 77
/* g3: polls COM1's LSR, stores each received byte at TV_DATA+0x3000+i;
 * counter at TV_DATA+0x10 */
static const uint8_t g3[] = { 0x31, 0xc9, 0x66, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0x0e, 0x66,
			      0xba, 0xf8, 0x03, 0xec, 0x88, 0x81, 0x00, 0x30, 0x40, 0x00, 0x48, 0xff,
			      0xc1, 0x48, 0xff, 0x04, 0x25, 0x10, 0x00, 0x40, 0x00, 0xeb, 0xdf };
/* g4: g2 with a HLT in its loop (idle until the next timer interrupt) */
static const uint8_t g4[] = { 0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x20, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6,
			      0x21, 0xb0, 0xfe, 0xe6, 0x21, 0xb0, 0x34, 0xe6, 0x43, 0xb0, 0x14, 0xe6, 0x40, 0x30, 0xc0,
			      0xe6, 0x40, 0x66, 0xba, 0xf9, 0x03, 0x30, 0xc0, 0xee, 0xfb, 0x31, 0xc9, 0x48, 0xff, 0x04,
			      0x25, 0x08, 0x00, 0x40, 0x00, 0x48, 0x89, 0xc8, 0x48, 0x25, 0xff, 0x03, 0x00, 0x00, 0x48,
			      0x89, 0x0c, 0xc5, 0x00, 0x20, 0x40, 0x00, 0x48, 0x83, 0xc1, 0x03, 0x48, 0x0f, 0xc7, 0xf3,
			      0xf4, 0xeb, 0xdc, 0x50, 0x52, 0x48, 0xff, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, 0x66, 0xba,
			      0xf8, 0x03, 0xb0, 0x78, 0xee, 0xb0, 0x20, 0xe6, 0x20, 0x5a, 0x58, 0x48, 0xcf };
#define G4_HANDLER 78

/* A test VM with the device models (PIC, PIT, UART...) and the interpreter. */
static void hv_init_clock(struct tvm *t, const uint8_t *code, size_t n, uint64_t handler, enum rax_clock clock)
{
	struct rax_err err;
	tv_init(t);
	t->vm.ops->destroy(&t->vm);
	t->vm.cfg.console_out = open("/dev/null", O_WRONLY);
	t->vm.cfg.console_in = -1;
	t->vm.cfg.backend = RAX_BACKEND_EMULATOR;
	t->vm.wake_fd = -1;
	t->vm.cfg.clock = clock;
	if (devices_register(&t->vm, &err) < 0 || t->vm.ops->create(&t->vm, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		exit(1);
	}
	tv_gate(t, 0x20, TV_CODE + handler, 0xe, 0, 0);
	tv_code(t, code, n);
	tv_set(t);
}

static void hv_init(struct tvm *t, const uint8_t *code, size_t n)
{
	hv_init_clock(t, code, n, G2_HANDLER, RAX_CLOCK_VIRTUAL);
}

static void hv_free(struct tvm *t)
{
	history_disable(&t->vm);
	t->vm.ops->destroy(&t->vm);
	devices_destroy(&t->vm);
	guest_mem_free(&t->vm.mem);
}

/* What must match: registers, a RAM hash, the devices' state (what can
 * be compared without padding bytes: the next timer deadline, the UART's
 * registers and FIFO; the interrupt controllers show in what the guest
 * does next, which the RAM hash at later positions checks). */
struct mstate {
	struct rax_cpu_state s;
	uint64_t ram;
	uint64_t icount;
	uint64_t dev[40];
	size_t devsz;
};

static uint64_t ram_hash(struct tvm *t)
{
	uint64_t h = 1469598103934665603ull;
	const uint64_t *p = (const uint64_t *)t->vm.mem.host;
	for (size_t i = 0; i < t->vm.mem.size / 8; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void capture(struct tvm *t, struct mstate *m)
{
	struct rax_err err;
	memset(m, 0, sizeof(*m));
	t->vm.ops->get_state(&t->vm, &m->s, &err);
	m->ram = ram_hash(t);
	m->icount = history_icount(&t->vm);
	struct uart_regs u;
	uart_save(t->vm.uart, &u);
	uint64_t d[] = { devices_next_deadline(&t->vm),
			 u.ier,
			 u.lcr,
			 u.mcr,
			 u.lsr_extra,
			 u.msr_delta,
			 u.scr,
			 u.fcr,
			 u.divisor,
			 u.thr_int,
			 u.tx_held,
			 u.tx_byte,
			 u.rx_head,
			 u.rx_count,
			 (uint64_t)u.irq_level };
	memcpy(m->dev, d, sizeof(d));
	m->devsz = sizeof(d);
	uint64_t fifo = 0;
	for (unsigned i = 0; i < u.rx_count; i++)
		fifo = fifo * 31 + u.rx[(u.rx_head + i) % UART_RX_BUF];
	m->dev[sizeof(d) / 8] = fifo;
	m->devsz += 8;
}

static bool same(const struct mstate *a, const struct mstate *b)
{
	bool ok = a->icount == b->icount && a->ram == b->ram && !memcmp(a->s.gpr, b->s.gpr, sizeof(a->s.gpr)) &&
		a->s.rip == b->s.rip && a->s.rflags == b->s.rflags && a->devsz == b->devsz &&
		!memcmp(a->dev, b->dev, a->devsz);
	if (!ok)
		fprintf(stderr, "  differ: icount %llu/%llu rip %llx/%llx ram %d gpr %d dev %d\n",
			(unsigned long long)a->icount, (unsigned long long)b->icount, (unsigned long long)a->s.rip,
			(unsigned long long)b->s.rip, a->ram == b->ram, !memcmp(a->s.gpr, b->s.gpr, sizeof(a->s.gpr)),
			!memcmp(a->dev, b->dev, a->devsz));
	for (size_t i = 0; !ok && i < a->devsz / 8; i++)
		if (a->dev[i] != b->dev[i])
			fprintf(stderr, "   dev word %zu: %llx %llx\n", i, (unsigned long long)a->dev[i],
				(unsigned long long)b->dev[i]);
	return ok;
}

static struct mstate ma, mb, mc, md;

/* Stops are exact and invisible: a run with hundreds of stops ends where a
 * straight run does, in the same state. */
static void test_run_to_exact(void)
{
	struct tvm t;
	struct rax_exit ex;
	struct rax_err err;
	const uint64_t end = 400000;
	hv_init(&t, g2, sizeof(g2));
	CHECK_EQ(history_run_to(&t.vm, end, &ex, &err), 0);
	CHECK_EQ(ex.kind, RAX_EXIT_STEP);
	capture(&t, &ma);
	CHECK_EQ(ma.icount, end);
	CHECK(tv_r64(&t, TV_DATA) > 5); /* timer interrupts came */
	hv_free(&t);

	hv_init(&t, g2, sizeof(g2));
	uint64_t k = 0, x = 12345;
	bool exact = true;
	while (k < end) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		k += 1 + (x >> 33) % 3000;
		if (k > end)
			k = end;
		history_run_to(&t.vm, k, &ex, &err);
		exact &= history_icount(&t.vm) == k && ex.kind == RAX_EXIT_STEP;
	}
	CHECK(exact);
	capture(&t, &mb);
	CHECK(same(&ma, &mb));
	hv_free(&t);
}

/* Forward N steps, goto back: registers and RAM as they were. */
static void test_step_and_back(void)
{
	struct tvm t;
	struct rax_exit ex;
	struct rax_err err;
	hv_init(&t, g1, sizeof(g1));
	CHECK_EQ(history_enable(&t.vm, 64ull << 20, 5000, &err), 0);
	CHECK_EQ(history_run_to(&t.vm, 23456, &ex, &err), 0);
	capture(&t, &ma);
	for (int i = 0; i < 300; i++)
		t.vm.ops->step(&t.vm, &ex, &err);
	CHECK_EQ(history_icount(&t.vm), 23456 + 300);
	capture(&t, &mb);
	CHECK_EQ(history_goto(&t.vm, 23456, &err), 0);
	capture(&t, &mc);
	CHECK(same(&ma, &mc));
	/* reverse-stepi 300 times from 23756 (goto(icount - 1) each) */
	CHECK_EQ(history_goto(&t.vm, 23756, &err), 0);
	capture(&t, &mc);
	CHECK(same(&mb, &mc));
	for (int i = 0; i < 300; i++)
		CHECK_EQ(history_goto(&t.vm, history_icount(&t.vm) - 1, &err), 0);
	capture(&t, &mc);
	CHECK(same(&ma, &mc));
	/* across many snapshot boundaries: far forward, then back, then forward */
	CHECK_EQ(history_run_to(&t.vm, 200000, &ex, &err), 0);
	capture(&t, &md);
	CHECK_EQ(history_goto(&t.vm, 23456, &err), 0);
	capture(&t, &mc);
	CHECK(same(&ma, &mc));
	CHECK_EQ(history_goto(&t.vm, 200000, &err), 0);
	capture(&t, &mc);
	CHECK(same(&md, &mc));
	CHECK_EQ(history_goto(&t.vm, 0, &err), 0);
	CHECK_EQ(history_icount(&t.vm), 0);
	CHECK_EQ(tv_r64(&t, TV_DATA + 8), 0); /* the table as it was before any write */
	struct history_stats st;
	history_stats(&t.vm, &st);
	CHECK(st.snapshots >= 40);
	hv_free(&t);
}

/* A timer/UART/RDRAND guest replays identically, devices included. */
static void test_devices_replay(void)
{
	struct tvm t;
	struct rax_exit ex;
	struct rax_err err;
	hv_init(&t, g2, sizeof(g2));
	CHECK_EQ(history_enable(&t.vm, 64ull << 20, 20000, &err), 0);
	CHECK_EQ(history_run_to(&t.vm, 123457, &ex, &err), 0);
	capture(&t, &ma);
	CHECK_EQ(history_run_to(&t.vm, 300001, &ex, &err), 0);
	capture(&t, &mb);
	CHECK(tv_r64(&t, TV_DATA) > 5);
	CHECK_EQ(history_goto(&t.vm, 123457, &err), 0);
	capture(&t, &mc);
	CHECK(same(&ma, &mc));
	CHECK_EQ(history_goto(&t.vm, 300001, &err), 0);
	capture(&t, &mc);
	CHECK(same(&mb, &mc));
	/* the same through the backend's run() with a stop by count */
	CHECK_EQ(history_goto(&t.vm, 1000, &err), 0);
	CHECK_EQ(history_goto(&t.vm, 300001, &err), 0);
	capture(&t, &mc);
	CHECK(same(&mb, &mc));
	hv_free(&t);
}

/* Going back far past the nearest snapshot leaves one near the target
 * (HISTORY_NEAR_GAP), inside an old interval: later steps back start there,
 * and every position still replays to the state it had, before it, after
 * it and across it, timer interrupts and devices included. */
static void test_near_snapshots(void)
{
	struct tvm t;
	struct rax_exit ex;
	struct rax_err err;
	const uint64_t k = 1200000, far = 1900000;
	hv_init(&t, g2, sizeof(g2));
	CHECK_EQ(history_enable(&t.vm, 64ull << 20, 2000000, &err), 0); /* one snapshot, at 0 */
	CHECK_EQ(history_run_to(&t.vm, k - 40, &ex, &err), 0);
	capture(&t, &md);
	CHECK_EQ(history_run_to(&t.vm, k, &ex, &err), 0);
	capture(&t, &ma);
	CHECK_EQ(history_run_to(&t.vm, far, &ex, &err), 0);
	capture(&t, &mb);
	struct history_stats st0, st1;
	history_stats(&t.vm, &st0);
	CHECK_EQ(history_goto(&t.vm, k, &err), 0);
	capture(&t, &mc);
	CHECK(same(&ma, &mc));
	history_stats(&t.vm, &st1);
	CHECK_EQ(st1.snapshots, st0.snapshots + 1); /* at k - HISTORY_NEAR_GAP / 2 */
	for (int i = 0; i < 40; i++)                /* reverse-stepi from there */
		CHECK_EQ(history_goto(&t.vm, history_icount(&t.vm) - 1, &err), 0);
	capture(&t, &mc);
	CHECK(same(&md, &mc));
	history_stats(&t.vm, &st1);
	CHECK_EQ(st1.snapshots, st0.snapshots + 1); /* near enough: no more */
	CHECK_EQ(history_goto(&t.vm, far, &err), 0);
	capture(&t, &mc);
	CHECK(same(&mb, &mc));
	CHECK_EQ(history_goto(&t.vm, 1000, &err), 0);
	CHECK_EQ(history_goto(&t.vm, k, &err), 0);
	capture(&t, &mc);
	CHECK(same(&ma, &mc));
	CHECK_EQ(history_goto(&t.vm, k - 40, &err), 0);
	capture(&t, &mc);
	CHECK(same(&md, &mc));
	hv_free(&t);
}

/* Snapshot memory stays under the bound; the oldest go. */
static void test_bounded(void)
{
	struct tvm t;
	struct rax_exit ex;
	struct rax_err err;
	/* g1 with a 4 MiB table: about 1000 pages written per 32768 writes */
	uint8_t code[sizeof(g1)];
	memcpy(code, g1, sizeof(g1));
	code[18] = 0xff, code[19] = 0xff, code[20] = 0x07; /* and rbx, 0x7ffff */
	hv_init(&t, code, sizeof(code));
	const uint64_t bound = 2ull << 20;
	CHECK_EQ(history_enable(&t.vm, bound, 20000, &err), 0);
	uint64_t peak = 0;
	for (uint64_t k = 50000; k <= 2000000; k += 50000) {
		history_run_to(&t.vm, k, &ex, &err);
		struct history_stats st;
		history_stats(&t.vm, &st);
		peak = st.bytes > peak ? st.bytes : peak;
	}
	struct history_stats st;
	history_stats(&t.vm, &st);
	CHECK(peak <= bound);
	CHECK(st.dropped > 0);
	CHECK(st.oldest > 0);
	CHECK(history_goto(&t.vm, st.oldest - 1, &err) < 0); /* gone */
	capture(&t, &ma);
	CHECK_EQ(history_goto(&t.vm, st.oldest, &err), 0);
	CHECK_EQ(history_goto(&t.vm, 2000000, &err), 0);
	capture(&t, &mb);
	CHECK(same(&ma, &mb));
	char line[256];
	history_format(&t.vm, line, sizeof(line));
	CHECK(strstr(line, "snapshots") != NULL);
	hv_free(&t);
}

/* The last write to TV_DATA (the handler's counter), the last visit of the handler. */
struct wprobe {
	uint64_t gpa;
};
static bool wrote(struct rax_vm *vm, uint64_t k, void *arg)
{
	struct wprobe *w = arg;
	unsigned n;
	const struct history_write *l = history_writes(vm, &n, NULL);
	for (unsigned i = 0; i < n; i++)
		if (l[i].gpa == w->gpa)
			return true;
	return false;
}
static bool at_handler(struct rax_vm *vm, uint64_t k, void *arg)
{
	struct rax_cpu_state s;
	struct rax_err err;
	vm->ops->get_state(vm, &s, &err);
	return s.rip == TV_CODE + G2_HANDLER;
}

static void test_find_last(void)
{
	struct tvm t;
	struct rax_exit ex;
	struct rax_err err;
	hv_init(&t, g2, sizeof(g2));
	CHECK_EQ(history_enable(&t.vm, 64ull << 20, 30000, &err), 0);
	CHECK_EQ(history_run_to(&t.vm, 250000, &ex, &err), 0);
	uint64_t count = tv_r64(&t, TV_DATA);
	struct wprobe w = { TV_DATA };
	uint64_t k = 0;
	CHECK_EQ(history_find_last(&t.vm, 0, 250000, wrote, &w, &k, &err), 1);
	/* at k the INC has just retired: the counter has its final value, and one before it did not */
	CHECK_EQ(history_icount(&t.vm), k);
	CHECK_EQ(tv_r64(&t, TV_DATA), count);
	CHECK_EQ(history_goto(&t.vm, k - 1, &err), 0);
	CHECK_EQ(tv_r64(&t, TV_DATA), count - 1);
	uint64_t h = 0;
	CHECK_EQ(history_find_last(&t.vm, 0, 250000, at_handler, NULL, &h, &err), 1);
	CHECK(h < k && k - h <= 3); /* push, push, inc */
	t.vm.ops->get_state(&t.vm, &t.s, &err);
	CHECK_EQ(t.s.rip, TV_CODE + G2_HANDLER);
	/* nothing in a window without interrupts: back where it started */
	CHECK_EQ(history_find_last(&t.vm, h + 1, h + 20, at_handler, NULL, &k, &err), 0);
	CHECK_EQ(history_icount(&t.vm), h);
	hv_free(&t);
}

/* Console input is taken at an instruction boundary and logged: a replay
 * receives the same bytes at the same positions. */
static void test_console_input(void)
{
	struct tvm t;
	struct rax_exit ex;
	struct rax_err err;
	hv_init(&t, g3, sizeof(g3));
	CHECK_EQ(history_enable(&t.vm, 64ull << 20, 40000, &err), 0);
	CHECK(t.vm.console_rx != NULL);
	CHECK_EQ(history_run_to(&t.vm, 100000, &ex, &err), 0);
	CHECK_EQ(t.vm.console_rx(&t.vm, (const uint8_t *)"abc", 3), 3); /* as the input thread does */
	CHECK_EQ(history_run_to(&t.vm, 200000, &ex, &err), 0);
	CHECK(!memcmp(tv_ptr(&t, TV_DATA + 0x3000), "abc", 4));
	capture(&t, &ma);
	CHECK_EQ(t.vm.console_rx(&t.vm, (const uint8_t *)"de", 2), 2);
	CHECK_EQ(history_run_to(&t.vm, 300000, &ex, &err), 0);
	CHECK(!memcmp(tv_ptr(&t, TV_DATA + 0x3000), "abcde", 6));
	capture(&t, &mb);
	CHECK_EQ(history_goto(&t.vm, 50000, &err), 0);
	CHECK_EQ(tv_ptr(&t, TV_DATA + 0x3000)[0], 0);
	CHECK_EQ(history_goto(&t.vm, 200000, &err), 0);
	capture(&t, &mc);
	CHECK(same(&ma, &mc));
	CHECK_EQ(history_goto(&t.vm, 300000, &err), 0);
	capture(&t, &mc);
	CHECK(same(&mb, &mc));
	struct history_stats st;
	history_stats(&t.vm, &st);
	CHECK_EQ(st.inputs, 2);
	hv_free(&t);
}

/* With the realtime clock a HLT waits on the host's clock: the wake times
 * are logged, so a replay is exact anyway. */
static void test_realtime_idle(void)
{
	struct tvm t;
	struct rax_exit ex;
	struct rax_err err;
	hv_init_clock(&t, g4, sizeof(g4), G4_HANDLER, RAX_CLOCK_REALTIME);
	CHECK_EQ(history_enable(&t.vm, 64ull << 20, 1000, &err), 0);
	CHECK_EQ(history_run_to(&t.vm, 2500, &ex, &err), 0);
	capture(&t, &ma);
	CHECK_EQ(history_run_to(&t.vm, 5000, &ex, &err), 0);
	capture(&t, &mb);
	CHECK(tv_r64(&t, TV_DATA) > 20); /* timer interrupts woke it */
	CHECK_EQ(history_goto(&t.vm, 2500, &err), 0);
	capture(&t, &mc);
	CHECK(same(&ma, &mc));
	CHECK_EQ(history_goto(&t.vm, 5000, &err), 0);
	capture(&t, &mc);
	CHECK(same(&mb, &mc));
	hv_free(&t);
}

int main(void)
{
	test_console_input();
	test_realtime_idle();
	test_run_to_exact();
	test_step_and_back();
	test_devices_replay();
	test_near_snapshots();
	test_bounded();
	test_find_last();
	return unit_finish("test_emu_history");
}
