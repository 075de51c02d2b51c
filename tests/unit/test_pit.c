/*
 * test_pit.c - the 8254 and port 0x61 through their ports, as Linux drives
 * them: periodic mode 2 at HZ, one-shot mode 4 / mode 0, counter latch and
 * read-back, channel 2 with the gate and OUT2 in port 0x61 as in
 * pit_calibrate_tsc() and quick_pit_calibrate(), plus modes 1, 3, 5, BCD,
 * LSB/MSB-only access and IRQ 0 timing. Counts are checked against the
 * 1.193182 MHz clock: tick T happens at ceil(T * 1e9 / 1193182) ns.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layout.h"
#include "test_dev_util.h"
#include "unit.h"

static unsigned irq0_rises, irq0_falls;
static uint64_t irq0_last_rise;

static void observe_irq(unsigned irq, int level)
{
	if (irq == 0) {
		if (level) {
			irq0_rises++;
			irq0_last_rise = fake_now;
		} else {
			irq0_falls++;
		}
	}
}

/* First ns at which PIT tick t has happened. */
static uint64_t tick_time(uint64_t t) { return (uint64_t)(((unsigned __int128)t * 1000000000u + 1193181) / 1193182); }

static uint64_t ticks_at(uint64_t ns) { return (uint64_t)((unsigned __int128)ns * 1193182 / 1000000000u); }

static void at_tick(uint64_t t) { fake_now = tick_time(t); }

/* outb(0x00 | ch << 6, 0x43) then LSB, MSB (i8253_read) */
static unsigned latched(unsigned ch)
{
	out8(PORT_PIT_CMD, (uint8_t)(ch << 6));
	unsigned lo = in8(PORT_PIT + ch);
	return lo | in8(PORT_PIT + ch) << 8;
}

static unsigned live(unsigned ch)
{
	unsigned lo = in8(PORT_PIT + ch);
	return lo | in8(PORT_PIT + ch) << 8;
}

/* read-back status of one channel (command 0xe0 | 2 << ch) */
static uint8_t status(unsigned ch)
{
	out8(PORT_PIT_CMD, (uint8_t)(0xe0 | 2u << ch));
	return in8(PORT_PIT + ch);
}

static void program(unsigned ch, uint8_t cw, unsigned count)
{
	out8(PORT_PIT_CMD, cw);
	out8(PORT_PIT + ch, count & 0xff);
	out8(PORT_PIT + ch, (count >> 8) & 0xff);
}

static bool out2(void) { return in8(PORT_SYSCTL_B) & 0x20; }

#define LATCH_HZ250 4773 /* (1193182 + 125) / 250 */

static void test_periodic(void)
{
	/* pit_set_periodic(): mode 2, written at tick 1, loaded at tick 2 */
	fake_now = 1000;
	CHECK_EQ(ticks_at(fake_now), 1);
	out8(PORT_PIT_CMD, 0x34);
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	out8(PORT_PIT, LATCH_HZ250 & 0xff);
	out8(PORT_PIT, LATCH_HZ250 >> 8);
	CHECK_EQ(status(0), 0xf4); /* OUT high, NULL COUNT until the load */
	at_tick(2);
	CHECK_EQ(status(0), 0x34 | 0x80);
	CHECK_EQ(latched(0), LATCH_HZ250);
	at_tick(3);
	CHECK_EQ(latched(0), LATCH_HZ250 - 1);
	/* OUT0 rises on reload, 4773 clocks after the load: tick 4775, 4001905 ns */
	CHECK_EQ(devices_next_deadline(&vm), 4001905);
	devices_advance(&vm, 4001904);
	CHECK_EQ(irq0_rises, 0);
	at_tick(4774);
	CHECK_EQ(latched(0), 1);
	CHECK_EQ(status(0), 0x34); /* OUT low at count 1 */
	devices_advance(&vm, 4001905);
	CHECK_EQ(irq0_rises, 1);
	CHECK_EQ(irq0_falls, 1); /* a pulse: 1 then 0 */
	CHECK_EQ(devices_next_deadline(&vm), 8002133);
	at_tick(4775);
	CHECK_EQ(latched(0), LATCH_HZ250);
	CHECK_EQ(status(0), 0xb4);
	at_tick(4775 + 100);
	CHECK_EQ(latched(0), LATCH_HZ250 - 100);

	/* a latch holds until read; a second latch command is ignored */
	at_tick(6000);
	out8(PORT_PIT_CMD, 0x00);
	at_tick(6500);
	out8(PORT_PIT_CMD, 0x00);
	unsigned lo = in8(PORT_PIT);
	unsigned v = lo | in8(PORT_PIT) << 8;
	CHECK_EQ(v, LATCH_HZ250 - (6000 - 4775));
	CHECK_EQ(live(0), LATCH_HZ250 - (6500 - 4775));

	/* the port read delivered the rise at tick 2 + 2 * 4773 first */
	at_tick(2 + 2 * LATCH_HZ250);
	CHECK_EQ(latched(0), LATCH_HZ250);
	CHECK_EQ(irq0_rises, 2);
	CHECK_EQ(irq0_last_rise, tick_time(2 + 2 * LATCH_HZ250));

	/* a long gap delivers one pulse (the PIC would latch one edge anyway) */
	devices_advance(&vm, tick_time(2 + 10 * LATCH_HZ250 + 7));
	CHECK_EQ(irq0_rises, 3);
	CHECK_EQ(devices_next_deadline(&vm), tick_time(2 + 11 * LATCH_HZ250));

	/* a new count while counting takes effect at the next reload */
	uint64_t base = 2 + 11 * LATCH_HZ250;
	at_tick(base + 300);
	out8(PORT_PIT, 1000 & 0xff);
	out8(PORT_PIT, 1000 >> 8);
	CHECK_EQ(devices_next_deadline(&vm), tick_time(base + LATCH_HZ250));
	at_tick(base + LATCH_HZ250 - 1);
	CHECK_EQ(latched(0), 1);
	at_tick(base + LATCH_HZ250);
	CHECK_EQ(latched(0), 1000);
	devices_advance(&vm, fake_now);
	CHECK_EQ(irq0_rises, 5); /* the rises at base and base + 4773 */
	CHECK_EQ(irq0_last_rise, tick_time(base + LATCH_HZ250));
	CHECK_EQ(devices_next_deadline(&vm), tick_time(base + LATCH_HZ250 + 1000));
	at_tick(base + LATCH_HZ250 + 999);
	CHECK_EQ(latched(0), 1);
}

static void test_oneshot(void)
{
	/* pit_set_oneshot(): mode 4; pit_next_event(): LSB, MSB */
	uint64_t t0 = 100000;
	at_tick(t0);
	out8(PORT_PIT_CMD, 0x38);
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	CHECK_EQ(status(0) & 0x80, 0x80); /* mode 4: OUT high */
	out8(PORT_PIT, 1000 & 0xff);
	out8(PORT_PIT, 1000 >> 8);
	/* loaded at t0 + 1, terminal count at t0 + 1001: OUT low one clock, IRQ edge after */
	CHECK_EQ(devices_next_deadline(&vm), tick_time(t0 + 1002));
	at_tick(t0 + 1001);
	CHECK_EQ(latched(0), 0);
	CHECK_EQ(status(0) & 0x80, 0);
	unsigned before = irq0_rises;
	devices_advance(&vm, tick_time(t0 + 1002) - 1);
	CHECK_EQ(irq0_rises, before);
	devices_advance(&vm, tick_time(t0 + 1002));
	CHECK_EQ(irq0_rises, before + 1);
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	at_tick(t0 + 1006);
	CHECK_EQ(latched(0), 65531); /* keeps counting, wrapped */
	CHECK_EQ(status(0) & 0x80, 0x80);

	/* a new count before the event replaces it */
	uint64_t t1 = t0 + 5000;
	at_tick(t1);
	out8(PORT_PIT, 200);
	out8(PORT_PIT, 0);
	at_tick(t1 + 50);
	out8(PORT_PIT, 100);
	out8(PORT_PIT, 0);
	CHECK_EQ(devices_next_deadline(&vm), tick_time(t1 + 50 + 102));
	at_tick(t1 + 300);
	devices_advance(&vm, fake_now);
	CHECK_EQ(irq0_rises, before + 2);
	CHECK_EQ(irq0_last_rise, tick_time(t1 + 300));

	/* mode 0: OUT low from the control word, high N + 1 clocks after the count */
	uint64_t t2 = t1 + 10000;
	at_tick(t2);
	program(0, 0x30, 100);
	CHECK_EQ(status(0), 0x70); /* OUT low, NULL COUNT, LSB/MSB, mode 0 */
	CHECK_EQ(devices_next_deadline(&vm), tick_time(t2 + 101));
	at_tick(t2 + 100);
	CHECK_EQ(latched(0), 1);
	CHECK_EQ(status(0), 0x30);
	at_tick(t2 + 101);
	CHECK_EQ(status(0), 0xb0);
	CHECK_EQ(latched(0), 0);
	devices_advance(&vm, fake_now);
	CHECK_EQ(irq0_rises, before + 3);
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX); /* OUT stays high */

	/* mode 0: the LSB alone stops counting with OUT low */
	at_tick(t2 + 200);
	program(0, 0x30, 5000);
	at_tick(t2 + 300);
	out8(PORT_PIT, 0x10);
	unsigned frozen = latched(0);
	CHECK_EQ(frozen, 5000 - 99);
	at_tick(t2 + 400);
	CHECK_EQ(latched(0), frozen);
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	out8(PORT_PIT, 0x00); /* MSB: count 0x0010 loaded on the next clock */
	CHECK_EQ(devices_next_deadline(&vm), tick_time(t2 + 400 + 17));

	/* pit_shutdown(): mode 0, count 0, mode 0 again: no interrupt */
	out8(PORT_PIT_CMD, 0x30);
	out8(PORT_PIT, 0);
	out8(PORT_PIT, 0);
	CHECK_EQ(devices_next_deadline(&vm), tick_time(t2 + 400 + 65537));
	out8(PORT_PIT_CMD, 0x30);
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	devices_advance(&vm, tick_time(t2 + 400 + 200000));
	CHECK_EQ(irq0_rises, before + 3);
}

static void test_calibration(void)
{
	/* pit_calibrate_tsc(): gate high, speaker off, mode 0 on channel 2 */
	uint64_t t0 = 1000000;
	at_tick(t0);
	uint8_t b = in8(PORT_SYSCTL_B);
	out8(PORT_SYSCTL_B, (b & ~0x02) | 0x01);
	CHECK_EQ(in8(PORT_SYSCTL_B) & 0x0f, 0x01);
	unsigned latch = 1193182 / 100; /* CAL_LATCH, 10 ms */
	out8(PORT_PIT_CMD, 0xb0);
	out8(0x42, latch & 0xff);
	out8(0x42, latch >> 8);
	CHECK(!out2());
	at_tick(t0 + latch);
	CHECK(!out2());
	at_tick(t0 + latch + 1);
	CHECK(out2());
	/* polling as Linux does: OUT2 is seen 10 ms of guest time after the write */
	at_tick(t0 + 20000);
	program(2, 0xb0, latch);
	uint64_t start = fake_now;
	unsigned polls = 0;
	while (!out2() && polls < 100000) {
		fake_now += 1000;
		polls++;
	}
	CHECK(fake_now - start >= 10000000 && fake_now - start < 10002000);

	/* quick_pit_calibrate(): 0xffff in mode 0, watch the MSB go down */
	out8(PORT_SYSCTL_B, (in8(PORT_SYSCTL_B) & ~0x02) | 0x01);
	uint64_t t1 = t0 + 50000;
	at_tick(t1);
	out8(PORT_PIT_CMD, 0xb0);
	out8(0x42, 0xff);
	out8(0x42, 0xff);
	uint64_t load = t1 + 1;
	/* before the clock that loads it, a counter fresh from its control word
	 * (contents undefined) shows the new count */
	CHECK_EQ(live(2), 0xffff);
	at_tick(load + 255);
	CHECK_EQ(live(2), 0xff00);
	at_tick(load + 256);
	CHECK_EQ(live(2), 0xfeff);
	/* the MSB steps exactly every 256 clocks: 214.5 us */
	uint64_t t2 = t1 + 100000;
	at_tick(t2);
	program(2, 0xb0, 0xffff);
	load = t2 + 1;
	fake_now += 1000; /* Linux's pit_verify_msb(0): let the count load */
	uint64_t first = 0, last = 0;
	unsigned steps = 0, msb = 0xff;
	while (steps < 50) {
		fake_now += 700; /* two inb per loop */
		in8(0x42);
		unsigned m = in8(0x42);
		if (m != msb) {
			CHECK_EQ(m, msb - 1);
			msb = m;
			if (!first)
				first = fake_now;
			last = fake_now;
			steps++;
		}
	}
	/* 49 steps of 256 clocks between first and last, within the 700 ns sampling */
	int64_t expect = (int64_t)(tick_time(load + 50 * 256) - tick_time(load + 256));
	int64_t got = (int64_t)(last - first);
	CHECK(got > expect - 700 && got < expect + 700);

	/* port 0x61 bit 4 toggles every 18 clocks */
	at_tick(18 * 200001);
	CHECK_EQ(in8(PORT_SYSCTL_B) & 0x10, 0x10);
	at_tick(18 * 200002 - 1);
	CHECK_EQ(in8(PORT_SYSCTL_B) & 0x10, 0x10);
	at_tick(18 * 200002);
	CHECK_EQ(in8(PORT_SYSCTL_B) & 0x10, 0x00);
}

static void test_gate_and_modes(void)
{
	uint64_t t = 5000000;
	/* mode 0 with the gate low: loaded but not counting; gate high resumes */
	at_tick(t);
	out8(PORT_SYSCTL_B, 0x00);
	program(2, 0xb0, 1000);
	at_tick(t + 50);
	CHECK_EQ(latched(2), 1000);
	out8(PORT_SYSCTL_B, 0x01);
	at_tick(t + 150);
	CHECK_EQ(latched(2), 900);
	out8(PORT_SYSCTL_B, 0x00);
	at_tick(t + 5000);
	CHECK_EQ(latched(2), 900);
	CHECK(!out2());
	out8(PORT_SYSCTL_B, 0x01);
	at_tick(t + 5000 + 899);
	CHECK_EQ(latched(2), 1);
	CHECK(!out2());
	at_tick(t + 5000 + 900);
	CHECK(out2());

	/* mode 3 square wave (pcspkr's 0xb6): even count */
	t += 10000;
	at_tick(t);
	program(2, 0xb6, 4);
	static const unsigned v4[] = { 4, 2, 4, 2, 4, 2, 4, 2 };
	static const bool o4[] = { 1, 1, 0, 0, 1, 1, 0, 0 };
	for (unsigned i = 0; i < 8; i++) {
		at_tick(t + 1 + i);
		CHECK_EQ(latched(2), v4[i]);
		CHECK_EQ(out2(), o4[i]);
	}
	/* odd count: high (N + 1) / 2 clocks, low (N - 1) / 2 */
	t += 100;
	at_tick(t);
	program(2, 0xb6, 5);
	static const unsigned v5[] = { 5, 4, 2, 5, 2, 5, 4, 2, 5, 2 };
	static const bool o5[] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
	for (unsigned i = 0; i < 10; i++) {
		at_tick(t + 1 + i);
		CHECK_EQ(latched(2), v5[i]);
		CHECK_EQ(out2(), o5[i]);
	}
	/* gate low forces OUT high; gate high restarts the cycle */
	at_tick(t + 1 + 3);
	CHECK(!out2());
	out8(PORT_SYSCTL_B, 0x00);
	CHECK(out2());
	at_tick(t + 40);
	out8(PORT_SYSCTL_B, 0x01);
	at_tick(t + 41);
	CHECK_EQ(latched(2), 5);
	at_tick(t + 44);
	CHECK(!out2());

	/* BCD mode 0: decimal count, wraps to 9999 */
	t += 1000;
	at_tick(t);
	program(2, 0xb1, 0x1000);
	at_tick(t + 1);
	CHECK_EQ(latched(2), 0x1000);
	at_tick(t + 2);
	CHECK_EQ(latched(2), 0x0999);
	at_tick(t + 1001);
	CHECK_EQ(latched(2), 0x0000);
	CHECK(out2());
	at_tick(t + 1002);
	CHECK_EQ(latched(2), 0x9999);

	/* LSB-only and MSB-only access */
	t += 2000;
	at_tick(t);
	out8(PORT_PIT_CMD, 0x90);
	out8(0x42, 0x10);
	at_tick(t + 2);
	out8(PORT_PIT_CMD, 0x80);
	CHECK_EQ(in8(0x42), 15);
	CHECK_EQ(in8(0x42), 15 - 0); /* LSB mode: every read is the LSB of the live count */
	at_tick(t + 10);
	out8(PORT_PIT_CMD, 0xa0);
	out8(0x42, 0x01);
	at_tick(t + 11);
	CHECK_EQ(in8(0x42), 0x01);
	at_tick(t + 12);
	CHECK_EQ(in8(0x42), 0x00);

	/* read-back of count and status together: status first */
	t += 1000;
	at_tick(t);
	out8(PORT_PIT_CMD, 0xb0);
	out8(PORT_PIT_CMD, 0xe8);
	CHECK_EQ(in8(0x42), 0x70); /* control word only: NULL COUNT */
	out8(0x42, 0x34);
	out8(0x42, 0x12);
	at_tick(t + 3);
	out8(PORT_PIT_CMD, 0xc8);
	CHECK_EQ(in8(0x42), 0x30);
	CHECK_EQ(in8(0x42), 0x32);
	CHECK_EQ(in8(0x42), 0x12);

	/* mode 1: the gate's rising edge triggers a low pulse of N clocks */
	t += 1000;
	at_tick(t);
	out8(PORT_SYSCTL_B, 0x00);
	program(2, 0xb2, 10);
	CHECK(out2());
	at_tick(t + 5);
	CHECK(out2());
	out8(PORT_SYSCTL_B, 0x01);
	at_tick(t + 6);
	CHECK(!out2());
	CHECK_EQ(latched(2), 10);
	at_tick(t + 15);
	CHECK(!out2());
	at_tick(t + 16);
	CHECK(out2());

	/* mode 5: the trigger starts a count ending in a one-clock low strobe */
	t += 1000;
	at_tick(t);
	out8(PORT_SYSCTL_B, 0x00);
	program(2, 0xba, 10);
	out8(PORT_SYSCTL_B, 0x01);
	at_tick(t + 10);
	CHECK(out2());
	at_tick(t + 11);
	CHECK(!out2());
	at_tick(t + 12);
	CHECK(out2());
}

/* Any port traffic at any pace is harmless (run under ASan/UBSan by ci/test.sh). */
static void test_random_traffic(void)
{
	static const uint16_t ports[] = {
		0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71, 0x4d0, 0x4d1
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint64_t t0 = fake_now;
	for (unsigned i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint16_t port = ports[x % (sizeof(ports) / sizeof(ports[0]))];
		uint8_t v = (uint8_t)(x >> 16);
		if ((x >> 24) & 1)
			out8(port, v);
		else
			in8(port);
		fake_now += (x >> 32) % 4 == 0 ? (x >> 40) % 100000000 : (x >> 40) % 2000;
		if ((x >> 28) % 8 == 0) {
			devices_advance(&vm, fake_now);
			uint64_t d = devices_next_deadline(&vm);
			CHECK(d > fake_now);
		}
		if ((x >> 30) % 16 == 0)
			devices_set_line(&vm, (unsigned)(x >> 48) % 20, (int)(x >> 52) & 1);
		if ((x >> 31) % 32 == 0 && intr_pending(&vm))
			intr_ack(&vm);
	}
	/* the deadline is always in the future once the devices are brought up to now */
	devices_advance(&vm, fake_now);
	CHECK(devices_next_deadline(&vm) > fake_now);
	CHECK(fake_now > t0);
}

static void test_timing(void)
{
	at_tick(10000000);
	program(0, 0x34, LATCH_HZ250);
	const unsigned n = 1000000;
	struct timespec a, b;
	unsigned rises = irq0_rises;
	uint64_t sum = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < n; i++) {
		fake_now += 1000;
		devices_advance(&vm, fake_now);
		sum += devices_next_deadline(&vm) & 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("devices_advance + devices_next_deadline: %.1f ns per call (%u calls, %u IRQ 0, %llu)\n", ns / n, n,
	       irq0_rises - rises, (unsigned long long)sum);
	/* 1 s of guest time at 250 Hz */
	CHECK(irq0_rises - rises >= 249 && irq0_rises - rises <= 251);
}

int main(void)
{
	dev_setup(0, observe_irq);
	test_periodic();
	test_oneshot();
	test_calibration();
	test_gate_and_modes();
	test_timing();
	test_random_traffic();
	dev_teardown();
	return unit_finish("test_pit");
}
