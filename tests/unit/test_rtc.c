/*
 * test_rtc.c - the MC146818 CMOS clock through ports 0x70/0x71: the date in
 * BCD and binary, 12/24 hours, leap day rollover, UIP timing, update-ended,
 * periodic and alarm interrupts on IRQ 8 through the PIC, register C
 * read-to-clear, Linux's mc146818_set_time() sequence, divider reset, the
 * day-of-week counter, CMOS RAM and the NMI bit of port 0x70.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/rtc_cmos.h"
#include "layout.h"
#include "test_dev_util.h"
#include "unit.h"

#define S 1000000000ull
/* 2024-02-29 23:59:58 UTC, a Thursday (RTC day of week 5) */
#define EPOCH 1709251198

static int irq8_level;
static unsigned irq8_rises;

static void observe_irq(unsigned irq, int level)
{
	if (irq == 8) {
		if (level && !irq8_level)
			irq8_rises++;
		irq8_level = level;
	}
}

/* CMOS_READ / CMOS_WRITE */
static uint8_t cmos(uint8_t idx)
{
	out8(PORT_RTC, idx);
	return in8(PORT_RTC + 1);
}

static void cmos_set(uint8_t idx, uint8_t v)
{
	out8(PORT_RTC, idx);
	out8(PORT_RTC + 1, v);
}

static void init_pic(void)
{
	static const uint8_t seq[][2] = {
		{ 0x21, 0xff }, { 0xa1, 0xff }, { 0x20, 0x11 }, { 0x21, 0x30 },
		{ 0x21, 0x04 }, { 0x21, 0x01 }, { 0xa0, 0x11 }, { 0xa1, 0x38 },
		{ 0xa1, 0x02 }, { 0xa1, 0x01 }, { 0x21, 0xfb }, { 0xa1, 0xfe }, /* cascade and IRQ 8 open */
	};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		out8(seq[i][0], seq[i][1]);
}

static void eoi8(void)
{
	out8(0xa0, 0x60);
	out8(0x20, 0x62);
}

/* the date as seven register values: sec min hour wday mday mon year */
static int date_is(uint8_t sec, uint8_t min, uint8_t hour, uint8_t wday, uint8_t mday, uint8_t mon, uint8_t year,
		   uint8_t century)
{
	uint8_t got[8] = { cmos(0), cmos(2), cmos(4), cmos(6), cmos(7), cmos(8), cmos(9), cmos(0x32) };
	uint8_t want[8] = { sec, min, hour, wday, mday, mon, year, century };
	if (memcmp(got, want, 8) == 0)
		return 1;
	fprintf(stderr, "date: got %02x:%02x:%02x w%02x %02x/%02x/%02x%02x\n", got[2], got[1], got[0], got[3], got[4],
		got[5], got[7], got[6]);
	return 0;
}

static void test_date(void)
{
	/* a BIOS's leftovers: 32.768 kHz, 1024 Hz rate, 24 h BCD, valid RAM */
	CHECK_EQ(cmos(RTC_REG_A), 0x26);
	CHECK_EQ(cmos(RTC_REG_B), 0x02);
	CHECK_EQ(cmos(RTC_REG_C), 0x00);
	CHECK_EQ(cmos(RTC_REG_D), 0x80);
	CHECK(date_is(0x58, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24, 0x20));
	/* the NMI-disable bit of port 0x70 does not change the index */
	out8(PORT_RTC, 0x80 | RTC_MINUTES);
	CHECK_EQ(in8(PORT_RTC + 1), 0x59);

	/* UIP: set 244 + 1984 us before each update, time changes on the second */
	fake_now = S - RTC_UIP_NS - 1;
	CHECK_EQ(cmos(RTC_REG_A), 0x26);
	fake_now = S - RTC_UIP_NS;
	CHECK_EQ(cmos(RTC_REG_A), 0xa6);
	fake_now = S - 1;
	CHECK_EQ(cmos(RTC_REG_A), 0xa6);
	CHECK_EQ(cmos(RTC_SECONDS), 0x58);
	fake_now = S;
	CHECK_EQ(cmos(RTC_REG_A), 0x26);
	CHECK_EQ(cmos(RTC_SECONDS), 0x59);

	/* register C flags are set without the enables, and a read clears them */
	CHECK_EQ(cmos(RTC_REG_C), RTC_C_UF | RTC_C_PF);
	CHECK_EQ(cmos(RTC_REG_C), 0x00);
	CHECK_EQ(irq8_rises, 0);

	/* leap day into March 1st, a Friday */
	fake_now = 2 * S;
	CHECK(date_is(0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24, 0x20));

	/* binary mode, then 12-hour modes */
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	CHECK(date_is(0, 0, 0, 6, 1, 3, 24, 20));
	cmos_set(RTC_REG_B, RTC_B_DM_BINARY);
	CHECK_EQ(cmos(RTC_HOURS), 12); /* 12 AM */
	cmos_set(RTC_REG_B, 0);
	CHECK_EQ(cmos(RTC_HOURS), 0x12);
	fake_now = 2 * S + 13 * 3600 * S;
	CHECK_EQ(cmos(RTC_HOURS), 0x81); /* 1 PM */
	cmos_set(RTC_REG_B, RTC_B_DM_BINARY);
	CHECK_EQ(cmos(RTC_HOURS), 0x81);
	fake_now = 2 * S + 23 * 3600 * S;
	CHECK_EQ(cmos(RTC_HOURS), 0x8b); /* 11 PM */
	cmos_set(RTC_REG_B, RTC_B_24H);
	CHECK_EQ(cmos(RTC_HOURS), 0x23);
	cmos(RTC_REG_C);
}

static void test_interrupts(void)
{
	init_pic();
	uint64_t t = 30 * 3600 * S; /* well into the day after */
	fake_now = t + S / 2;
	cmos(RTC_REG_C);

	/* update-ended interrupt: due on the next second, through the PIC to vector 0x38 */
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	CHECK_EQ(devices_next_deadline(&vm), t + S);
	devices_advance(&vm, t + S - 1);
	CHECK_EQ(irq8_level, 0);
	CHECK(!intr_pending(&vm));
	devices_advance(&vm, t + S);
	CHECK_EQ(irq8_level, 1);
	CHECK_EQ(irq8_rises, 1);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x38);
	/* held until register C is read: no new deadline meanwhile */
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	fake_now = t + S + 1000;
	CHECK_EQ(cmos(RTC_REG_C), RTC_C_IRQF | RTC_C_UF | RTC_C_PF);
	CHECK_EQ(irq8_level, 0);
	CHECK_EQ(cmos(RTC_REG_C), 0x00);
	eoi8();
	CHECK_EQ(devices_next_deadline(&vm), t + 2 * S);
	/* a flag already set when its enable is turned on raises IRQ 8 at once */
	cmos_set(RTC_REG_B, RTC_B_24H);
	fake_now = t + 3 * S;
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	CHECK_EQ(irq8_level, 1);
	CHECK_EQ(irq8_rises, 2);
	CHECK_EQ(cmos(RTC_REG_C), RTC_C_IRQF | RTC_C_UF | RTC_C_PF);
	CHECK_EQ(intr_ack(&vm), 0x38);
	eoi8();

	/* periodic interrupt at 1024 Hz: every 976562.5 ns of the divider */
	t = 3 * S;
	t += 40 * 3600 * S;
	fake_now = t + 1000;
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	cmos(RTC_REG_C);
	CHECK_EQ(devices_next_deadline(&vm), t + 976563);
	devices_advance(&vm, t + 976562);
	CHECK_EQ(irq8_level, 0);
	devices_advance(&vm, t + 976563);
	CHECK_EQ(irq8_level, 1);
	fake_now = t + 976563;
	CHECK_EQ(cmos(RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
	CHECK_EQ(devices_next_deadline(&vm), t + 1953125);
	intr_ack(&vm);
	eoi8();
	/* 8192 Hz (RS 3): 122070.3125 ns, the 9th period after t */
	cmos_set(RTC_REG_A, 0x23);
	CHECK_EQ(devices_next_deadline(&vm), t + 1098633);
	/* RS 0: no periodic interrupt */
	cmos_set(RTC_REG_A, 0x20);
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	cmos_set(RTC_REG_A, 0x26);
	cmos_set(RTC_REG_B, RTC_B_24H);
	cmos(RTC_REG_C);
}

static void test_alarm(void)
{
	/* now 2024-03-02 16:00:01 (guest second 144003) */
	fake_now = 144003 * S + 976563;
	CHECK(date_is(0x01, 0x00, 0x16, 0x07, 0x02, 0x03, 0x24, 0x20));
	cmos_set(RTC_SECONDS_ALARM, 0x10);
	cmos_set(RTC_MINUTES_ALARM, 0x00);
	cmos_set(RTC_HOURS_ALARM, 0x16);
	CHECK_EQ(cmos(RTC_HOURS_ALARM), 0x16);
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	CHECK_EQ(irq8_level, 0);
	/* due at the update that shows 16:00:10 */
	CHECK_EQ(devices_next_deadline(&vm), 144012 * S);
	devices_advance(&vm, 144012 * S - 1);
	CHECK_EQ(irq8_level, 0);
	devices_advance(&vm, 144012 * S);
	CHECK_EQ(irq8_level, 1);
	CHECK_EQ(intr_ack(&vm), 0x38);
	fake_now = 144012 * S;
	CHECK_EQ(cmos(RTC_SECONDS), 0x10);
	CHECK_EQ(cmos(RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF | RTC_C_PF);
	CHECK_EQ(irq8_level, 0);
	eoi8();
	/* the next match is a day later */
	CHECK_EQ(devices_next_deadline(&vm), (144012 + 86400) * S);
	/* don't-care bytes: every second; hour only: the top of that hour */
	cmos_set(RTC_SECONDS_ALARM, 0xff);
	cmos_set(RTC_MINUTES_ALARM, 0xc0);
	cmos_set(RTC_HOURS_ALARM, 0xd5);
	CHECK_EQ(devices_next_deadline(&vm), 144013 * S);
	cmos_set(RTC_SECONDS_ALARM, 0x00);
	cmos_set(RTC_MINUTES_ALARM, 0x00);
	cmos_set(RTC_HOURS_ALARM, 0x17);
	CHECK_EQ(devices_next_deadline(&vm), 147602 * S);
	cmos_set(RTC_MINUTES_ALARM, 0xc0);
	CHECK_EQ(devices_next_deadline(&vm), 147602 * S);
	/* a byte no time matches: never */
	cmos_set(RTC_SECONDS_ALARM, 0x7a);
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	/* 12-hour alarm: 4:30 PM */
	cmos_set(RTC_REG_B, RTC_B_AIE);
	cmos_set(RTC_SECONDS_ALARM, 0x00);
	cmos_set(RTC_MINUTES_ALARM, 0x30);
	cmos_set(RTC_HOURS_ALARM, 0x84);
	CHECK_EQ(devices_next_deadline(&vm), 145802 * S);
	/* AF is set without AIE too, checked over a long jump */
	cmos_set(RTC_REG_B, RTC_B_24H);
	cmos_set(RTC_HOURS_ALARM, 0x16);
	cmos(RTC_REG_C);
	fake_now = 146000 * S;
	CHECK_EQ(cmos(RTC_REG_C), RTC_C_AF | RTC_C_UF | RTC_C_PF);
	CHECK_EQ(irq8_level, 0);
}

/* drivers/rtc/lib (mc146818_set_time): SET, divider reset, bytes, restore */
static void test_set_time(void)
{
	uint64_t ts = 150000 * S + 123456789;
	fake_now = ts;
	uint8_t wday = cmos(RTC_DAY_OF_WEEK);
	uint8_t ctl = cmos(RTC_REG_B);
	cmos_set(RTC_REG_B, ctl | RTC_B_SET);
	uint8_t freq = cmos(RTC_REG_A);
	cmos_set(RTC_REG_A, freq | 0x70);
	cmos_set(RTC_YEAR, 0x25);
	cmos_set(RTC_DAY_OF_MONTH, 0x31);
	cmos_set(RTC_MONTH, 0x04);
	/* April 31st for a moment: the bytes are kept as written */
	CHECK_EQ(cmos(RTC_DAY_OF_MONTH), 0x31);
	CHECK_EQ(cmos(RTC_MONTH), 0x04);
	cmos_set(RTC_DAY_OF_MONTH, 0x30);
	cmos_set(RTC_HOURS, 0x12);
	cmos_set(RTC_MINUTES, 0x45);
	cmos_set(RTC_SECONDS, 0x30);
	cmos_set(RTC_CENTURY, 0x20);
	/* stopped while SET: no update, no UIP */
	fake_now = ts + 3 * S - 1000000;
	CHECK(date_is(0x30, 0x45, 0x12, wday, 0x30, 0x04, 0x25, 0x20));
	CHECK_EQ(cmos(RTC_REG_A) & RTC_A_UIP, 0);
	fake_now = ts + 3 * S;
	cmos_set(RTC_REG_B, ctl);
	cmos_set(RTC_REG_A, freq);
	/* out of divider reset, the first update is half a second later */
	uint64_t first = ts + 3 * S + S / 2;
	CHECK_EQ(devices_next_deadline(&vm), UINT64_MAX);
	fake_now = first - RTC_UIP_NS - 1;
	CHECK_EQ(cmos(RTC_REG_A), 0x26);
	fake_now = first - RTC_UIP_NS;
	CHECK_EQ(cmos(RTC_REG_A), 0xa6);
	fake_now = first - 1;
	CHECK_EQ(cmos(RTC_SECONDS), 0x30);
	fake_now = first;
	CHECK(date_is(0x31, 0x45, 0x12, wday, 0x30, 0x04, 0x25, 0x20));
	fake_now = first + S;
	CHECK_EQ(cmos(RTC_SECONDS), 0x32);
	/* the update-ended interrupt follows the new phase */
	cmos(RTC_REG_C);
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	CHECK_EQ(devices_next_deadline(&vm), first + 2 * S);
	/* setting SET clears UIE */
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_SET);
	CHECK_EQ(cmos(RTC_REG_B), RTC_B_24H | RTC_B_SET);
	cmos_set(RTC_REG_B, RTC_B_24H);

	/* divider held in reset: the time stands still */
	fake_now = first + 10 * S;
	cmos_set(RTC_REG_A, 0x66);
	fake_now = first + 20 * S;
	CHECK_EQ(cmos(RTC_SECONDS), 0x41);
	CHECK_EQ(cmos(RTC_REG_A), 0x66);
	cmos_set(RTC_REG_A, 0x26);
	fake_now = first + 20 * S + S / 2 - 1;
	CHECK_EQ(cmos(RTC_SECONDS), 0x41);
	fake_now = first + 20 * S + S / 2;
	CHECK_EQ(cmos(RTC_SECONDS), 0x42);

	/* running writes keep the phase; the day-of-week counter steps at midnight */
	uint64_t t = first + 30 * S + S / 2; /* an update instant */
	fake_now = t - S / 4;
	cmos_set(RTC_HOURS, 0x23);
	cmos_set(RTC_MINUTES, 0x59);
	cmos_set(RTC_SECONDS, 0x58);
	cmos_set(RTC_DAY_OF_WEEK, 0x03);
	CHECK(date_is(0x58, 0x59, 0x23, 0x03, 0x30, 0x04, 0x25, 0x20));
	fake_now = t;
	CHECK_EQ(cmos(RTC_SECONDS), 0x59);
	fake_now = t + S;
	CHECK(date_is(0x00, 0x00, 0x00, 0x04, 0x01, 0x05, 0x25, 0x20));
	/* a week later the counter has wrapped through 7 */
	fake_now = t + S + 7 * 86400 * S;
	CHECK(date_is(0x00, 0x00, 0x00, 0x04, 0x08, 0x05, 0x25, 0x20));
	fake_now += 4 * 86400 * S;
	CHECK_EQ(cmos(RTC_DAY_OF_WEEK), 0x01);

	/* binary writes; bad BCD carries into the next field at the update */
	uint64_t u = fake_now; /* an update instant */
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	cmos_set(RTC_SECONDS, 10);
	cmos_set(RTC_MINUTES, 20);
	CHECK_EQ(cmos(RTC_SECONDS), 10);
	cmos_set(RTC_REG_B, RTC_B_24H);
	CHECK_EQ(cmos(RTC_MINUTES), 0x20);
	cmos_set(RTC_SECONDS, 0x7a); /* 80 */
	CHECK_EQ(cmos(RTC_SECONDS), 0x80);
	fake_now = u + S;
	CHECK_EQ(cmos(RTC_SECONDS), 0x21);
	CHECK_EQ(cmos(RTC_MINUTES), 0x21);
	cmos_set(RTC_CENTURY, 0x99);
	cmos_set(RTC_YEAR, 0x99);
	CHECK_EQ(cmos(RTC_CENTURY), 0x99);
	fake_now = u + 2 * S;
	CHECK_EQ(cmos(RTC_YEAR), 0x99);
	cmos_set(RTC_CENTURY, 0x20);
	cmos_set(RTC_YEAR, 0x25);
}

static void test_ram(void)
{
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			cmos_set((uint8_t)i, (uint8_t)(i ^ 0x5a));
	unsigned bad = 0;
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY && cmos((uint8_t)i) != (uint8_t)(i ^ 0x5a))
			bad++;
	CHECK_EQ(bad, 0);
	/* NMI bit: 0x80 | index addresses the same byte; port 0x70 reads back */
	out8(PORT_RTC, 0x80 | 0x40);
	CHECK_EQ(in8(PORT_RTC), 0xc0);
	CHECK_EQ(in8(PORT_RTC + 1), 0x40 ^ 0x5a);
	out8(PORT_RTC + 1, 0x11);
	CHECK_EQ(cmos(0x40), 0x11);
	/* C and D are read-only, A's UIP cannot be written */
	cmos(RTC_REG_C);
	cmos_set(RTC_REG_C, 0xff);
	cmos_set(RTC_REG_D, 0x00);
	CHECK_EQ(cmos(RTC_REG_C), 0x00);
	CHECK_EQ(cmos(RTC_REG_D), 0x80);
	fake_now += S / 2;
	cmos_set(RTC_REG_A, 0xa6);
	CHECK_EQ(cmos(RTC_REG_A), 0x26);
	/* a 16-bit access is two byte accesses */
	vm_pio_out(&vm, PORT_RTC, 2, 0x3341);
	CHECK_EQ(cmos(0x41), 0x33);
}

static void test_timing(void)
{
	/* a guest at 1024 Hz that reads register C on every interrupt */
	cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_PIE | RTC_B_UIE);
	cmos(RTC_REG_C);
	const unsigned n = 1000000;
	unsigned rises = irq8_rises;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < n; i++) {
		fake_now += 1000;
		devices_advance(&vm, fake_now);
		if (irq8_level)
			cmos(RTC_REG_C);
		(void)devices_next_deadline(&vm);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("rtc at 1024 Hz: %.1f ns per devices_advance + devices_next_deadline (%u interrupts in 1 s)\n", ns / n,
	       irq8_rises - rises);
	CHECK_EQ(irq8_rises - rises, 1024);
	cmos_set(RTC_REG_B, RTC_B_24H);
	cmos(RTC_REG_C);
}

int main(void)
{
	dev_setup(EPOCH, observe_irq);
	test_date();
	test_interrupts();
	test_alarm();
	test_set_time();
	test_ram();
	test_timing();
	dev_teardown();
	return unit_finish("test_rtc");
}
