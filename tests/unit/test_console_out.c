/*
 * test_console_out.c - the UART's output side with a reader that stalls,
 * resumes and goes away: the vCPU side never blocks, a full buffer makes
 * the line busy (LSR THRE/TEMT clear, the byte held in THR), room again
 * raises THRE and its interrupt, no byte is lost while the reader lives
 * (a guest that ignores THRE waits for room until the run stops),
 * a closed reader is reported once, and destroy ends a blocked writer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/uart16550.h"
#include "unit.h"

/* A reader that sleeps, then reads everything until EOF (rude-writer case). */
struct slow_reader {
	int fd;
	unsigned got;
	bool in_order;
};

static void *slow_read(void *arg)
{
	struct slow_reader *r = arg;
	usleep(200 * 1000);
	uint8_t b[8192];
	ssize_t n;
	while ((n = read(r->fd, b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			r->in_order &= b[i] == (uint8_t)(r->got + (unsigned)i);
		r->got += (unsigned)n;
	}
	return NULL;
}

static int irq_level;
static volatile int closed_calls;

static void on_irq(void *opaque, int level)
{
	(void)opaque;
	irq_level = level;
}

static void on_closed(void *opaque)
{
	(void)opaque;
	closed_calls++;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Read from fd (non-blocking) until want bytes came or 10 s passed; checks
 * that byte i is i mod 256. Returns the bytes read. */
static unsigned drain(int fd, unsigned want, bool *in_order)
{
	uint8_t b[8192];
	unsigned got = 0;
	double t0 = now_s();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*in_order = true;
	while (got < want && now_s() - t0 < 10) {
		ssize_t r = read(fd, b, sizeof(b));
		if (r <= 0) {
			usleep(1000);
			continue;
		}
		for (ssize_t i = 0; i < r; i++)
			*in_order &= b[i] == (uint8_t)(got + (unsigned)i);
		got += (unsigned)r;
	}
	return got;
}

static bool lsr_busy(struct uart16550 *u) { return !(uart_read(u, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT)); }

/* Transmit until the line reports busy; returns the bytes taken. */
static unsigned fill(struct uart16550 *u, unsigned *next)
{
	unsigned n = 0;
	double t0 = now_s();
	while (!lsr_busy(u) && now_s() - t0 < 10) {
		uart_write(u, UART_RBR_THR_DLL, (uint8_t)(*next)++);
		n++;
	}
	return n;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	struct uart16550 u;
	CHECK_EQ(uart_init(&u, p[1], on_irq, on_closed, NULL), 0);
	uart_write(&u, UART_MCR, UART_MCR_OUT2);
	uart_write(&u, UART_IER_DLM, UART_IER_THRI);
	uart_read(&u, UART_IIR_FCR); /* acknowledge the THRE interrupt of enabling it */

	/* nobody reads: writes never block; the buffer and the pipe fill, then the line is busy */
	unsigned next = 0;
	double t0 = now_s();
	unsigned taken = fill(&u, &next);
	CHECK(now_s() - t0 < 5);
	CHECK(lsr_busy(&u));
	CHECK(taken >= CONSOLE_OUT_CAP);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR) & 0x0f, UART_IIR_NO_INT); /* no THRE while busy */
	CHECK_EQ(irq_level, 0);
	struct timespec soon;
	clock_gettime(CLOCK_MONOTONIC, &soon);
	soon.tv_nsec += 50 * 1000 * 1000;
	if (soon.tv_nsec >= 1000000000L) {
		soon.tv_sec++;
		soon.tv_nsec -= 1000000000L;
	}
	CHECK(uart_flush(&u, NULL, &soon) > 0); /* a flush with a deadline gives up */

	/* the reader resumes: every byte arrives in order, THRE comes back with its interrupt */
	bool in_order;
	unsigned got = drain(p[0], next, &in_order);
	CHECK_EQ(got, next); /* including the byte THR held */
	CHECK(in_order);
	CHECK(!lsr_busy(&u));
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR) & 0x0f, UART_IIR_THRI);
	CHECK_EQ(u.tx_overrun, 0);

	/* the reader goes away: reported once, later output discarded, the line idle */
	close(p[0]);
	uart_write(&u, UART_RBR_THR_DLL, 'x');
	t0 = now_s();
	while (!closed_calls && now_s() - t0 < 5)
		usleep(1000);
	CHECK_EQ(closed_calls, 1);
	for (int i = 0; i < 100000; i++)
		uart_write(&u, UART_RBR_THR_DLL, 'y');
	CHECK(!lsr_busy(&u));
	CHECK_EQ(uart_flush(&u, NULL, NULL), 0);
	CHECK_EQ(closed_calls, 1);
	uart_destroy(&u);
	close(p[1]);

	/* destroy ends a writer blocked in write() on a stalled reader */
	if (pipe(p) < 0)
		return 1;
	struct uart16550 v;
	CHECK_EQ(uart_init(&v, p[1], NULL, on_closed, NULL), 0);
	next = 0;
	fill(&v, &next);
	CHECK(lsr_busy(&v));
	t0 = now_s();
	uart_destroy(&v);
	CHECK(now_s() - t0 < 2);
	close(p[0]);
	close(p[1]);

	/* a guest that never looks at THRE while the reader stalls: it waits
	 * for room and loses nothing; a stop request ends such a wait */
	if (pipe(p) < 0)
		return 1;
	static volatile int stop;
	CHECK_EQ(uart_init(&v, p[1], NULL, on_closed, NULL), 0);
	v.stop = &stop;
	struct slow_reader sr = { .fd = p[0], .in_order = true };
	pthread_t th;
	pthread_create(&th, NULL, slow_read, &sr);
	const unsigned rude = 3 * CONSOLE_OUT_CAP;
	for (unsigned i = 0; i < rude; i++)
		uart_write(&v, UART_RBR_THR_DLL, (uint8_t)i);
	CHECK_EQ(uart_flush(&v, NULL, NULL), 0);
	uart_destroy(&v);
	close(p[1]);
	pthread_join(th, NULL);
	CHECK_EQ(sr.got, rude);
	CHECK(sr.in_order);
	close(p[0]);
	if (pipe(p) < 0)
		return 1;
	CHECK_EQ(uart_init(&v, p[1], NULL, on_closed, NULL), 0);
	v.stop = &stop;
	next = 0;
	fill(&v, &next);
	stop = 1; /* the run ends: the next rude write must not wait */
	t0 = now_s();
	uart_write(&v, UART_RBR_THR_DLL, 0);
	uart_write(&v, UART_RBR_THR_DLL, 0);
	CHECK(now_s() - t0 < 1);
	uart_destroy(&v);
	close(p[0]);
	close(p[1]);

	/* an output fd someone made non-blocking: EAGAIN is a full line, not a closed one */
	if (pipe(p) < 0)
		return 1;
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	closed_calls = 0;
	CHECK_EQ(uart_init(&v, p[1], NULL, on_closed, NULL), 0);
	next = 0;
	fill(&v, &next);
	CHECK(lsr_busy(&v));
	got = drain(p[0], next, &in_order);
	CHECK_EQ(got, next);
	CHECK(in_order);
	CHECK_EQ(closed_calls, 0);
	uart_destroy(&v);
	close(p[0]);
	close(p[1]);
	return unit_finish("test_console_out");
}
