/*
 * rtc_cmos.h - MC146818 real-time clock and CMOS RAM (ports 0x70/0x71).
 *
 * Port 0x70 selects one of 128 bytes (bit 7 is the NMI disable bit, kept
 * but ignored); 0x71 reads or writes it. Bytes 0-9 are the clock (seconds,
 * alarm seconds, minutes, alarm minutes, hours, alarm hours, day of week,
 * day, month, year), 0x0A-0x0D registers A-D, the rest battery-backed RAM,
 * except 0x32, the century, which the clock keeps with the year.
 *
 * The time is kept as decoded register fields at a reference time, plus
 * the updates since, and shown in BCD or binary, 12 or 24 hours, as
 * register B asks (changing DM or 24/12 re-encodes the same time). It shows cfg.rtc_epoch at guest time 0 and
 * advances with guest time; updates happen on whole seconds of the divider
 * chain, the update-in-progress bit is set for the 244 us + 1984 us before
 * each, and writes to the time bytes (SET bit or not) move the clock.
 * Periodic (register A rate), alarm and update-ended interrupts set their
 * flags in register C and, when enabled, hold IRQ 8 high until register C
 * is read. Not modelled: daylight saving (DSE), the square-wave pin (SQWE),
 * the divider's test modes (every DV value but 11x runs at 32.768 kHz) and
 * the second CMOS bank at 0x72/0x73. There is no host timer: rtc_advance() brings the flags up to a
 * time, rtc_next_deadline() says when the next enabled interrupt is due.
 */
#ifndef RAX_RTC_CMOS_H
#define RAX_RTC_CMOS_H

#include <stdbool.h>
#include <stdint.h>

/* CMOS byte indices */
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32
#define RTC_CMOS_SIZE 128

/* Register A */
#define RTC_A_UIP 0x80
#define RTC_A_DV_MASK 0x70
#define RTC_A_DV_RESET 0x60 /* DV2-DV1 = 11: divider chain held in reset */
#define RTC_A_RS_MASK 0x0f
/* Register B */
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_B_DSE 0x01
/* Register C */
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
/* Register D */
#define RTC_D_VRT 0x80

/* An alarm byte with bits 7-6 set matches every value. */
#define RTC_ALARM_DONT_CARE 0xc0

/* UIP is set this long before each update: 244 us set-up + 1984 us update. */
#define RTC_UIP_NS 2228000ull
#define RTC_NEVER UINT64_MAX

/* The time registers decoded to numbers but not normalised: a date written
 * one byte at a time may be invalid for a moment, as on the chip. */
struct rtc_fields {
	int64_t year;                       /* century * 100 + year */
	unsigned mon, mday, hour, min, sec; /* hour 0-23 */
	unsigned wday;                      /* 1-7, Sunday = 1: a counter of its own, stepped at midnight */
};

struct rtc_cmos {
	uint8_t index;              /* last byte written to port 0x70 */
	uint8_t ram[RTC_CMOS_SIZE]; /* RAM bytes and the three alarm bytes */
	uint8_t reg_a, reg_b;
	uint8_t flags;        /* register C PF, AF, UF */
	struct rtc_fields tm; /* the time shown at ref_ns ... */
	uint64_t ref_ns;      /* ... plus the updates after it while running */
	int64_t div_base_ns;  /* divider phase: updates at div_base_ns + k s */
	uint64_t synced_ns;   /* register C flags are up to date to here */
	bool irq_level;
	void (*set_irq)(void *opaque, int level);
	void *irq_opaque;
};

/* Power-on state as a BIOS leaves it: 24 hours, BCD, 1024 Hz rate, divider running. */
void rtc_init(struct rtc_cmos *r, int64_t epoch, void (*set_irq)(void *, int), void *opaque);

/* Port access: offset 0 (index, 0x70) or 1 (data, 0x71). */
uint8_t rtc_read(struct rtc_cmos *r, uint64_t now_ns, unsigned offset);
void rtc_write(struct rtc_cmos *r, uint64_t now_ns, unsigned offset, uint8_t v);

/* Bring the flags and IRQ 8 up to now_ns. */
void rtc_advance(struct rtc_cmos *r, uint64_t now_ns);
/* When the next enabled interrupt becomes due; RTC_NEVER when none. */
uint64_t rtc_next_deadline(const struct rtc_cmos *r);

/* The Unix time the clock shows at now_ns. */
int64_t rtc_time(const struct rtc_cmos *r, uint64_t now_ns);

#endif
