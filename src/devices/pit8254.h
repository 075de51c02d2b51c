/*
 * pit8254.h - the 8254 interval timer and system control port B (0x61).
 *
 * Three counters clocked at 1.193182 MHz: channel 0 drives IRQ 0, channel 2
 * is gated by port 0x61 bit 0 and its OUT is read back in bit 5. All six
 * modes are modelled from the guest time a caller passes in: the counter
 * is a closed-form function of the PIT tick count floor(ns * 1193182 / 1e9),
 * so a value read at a given guest time is the one real hardware shows
 * after that many clock pulses. A count is loaded on the clock pulse after
 * it is written (so mode 0 OUT rises N + 1 pulses after the write), modes
 * 2 and 3 take a new count at the end of the current cycle / half-cycle,
 * and the gate pauses (modes 0, 4), restarts (2, 3) or triggers (1, 5).
 * Counter latch, read-back (count and status), LSB / MSB / LSB-then-MSB
 * access and BCD counting are supported.
 *
 * There is no host timer: pit_advance() is called with the current time and
 * pulses IRQ 0 (irq_pulse callback) when OUT0 rose since the last call;
 * pit_next_deadline() says when that happens next.
 */
#ifndef RAX_PIT8254_H
#define RAX_PIT8254_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182u
#define PIT_NEVER UINT64_MAX

/* Port 0x61 bits */
#define PIT_PORTB_GATE2 0x01   /* channel 2 gate */
#define PIT_PORTB_SPEAKER 0x02 /* speaker data enable */
#define PIT_PORTB_RW 0x0f      /* bits 0-3 are read/write */
#define PIT_PORTB_REFRESH 0x10 /* toggles every 15.085 us (18 PIT clocks) */
#define PIT_PORTB_OUT2 0x20

/* One stretch of counting from a load (or a gate event) on. */
struct pit_seg {
	uint64_t start;      /* tick at which the count is in the counter; PIT_NEVER: stopped */
	uint32_t n;          /* modes 2, 3: the count; others: count to terminal (or value once fired) */
	bool fired;          /* one-shot modes: terminal count already passed */
	bool low_first;      /* mode 3: begins with the low half-cycle */
	uint32_t hold_value; /* what the counter shows before start */
	bool hold_out;       /* OUT before start */
};

struct pit_channel {
	uint8_t mode; /* M2-M0 as written (6, 7 act as 2, 3) */
	uint8_t rw;   /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	bool gate;
	bool armed;  /* a count was written since the control word */
	uint32_t cr; /* the count written (1..65536, or 1..10000 in BCD) */
	bool wr_msb; /* LSB-then-MSB: the next write is the MSB */
	uint8_t wr_lsb;
	bool rd_msb; /* LSB-then-MSB: the next read is the MSB */
	bool count_latched, status_latched;
	uint16_t latch;
	uint8_t status;
	uint64_t null_until; /* NULL COUNT (read-back status bit 6) until this tick */
	struct pit_seg seg;
	struct pit_seg pend; /* modes 2, 3: the next count, from pend.start */
	bool has_pend;
};

struct pit8254 {
	struct pit_channel ch[3];
	uint8_t portb;     /* port 0x61 bits 0-3 */
	uint64_t irq_tick; /* OUT0 rising edges up to this tick were delivered */
	void (*irq_pulse)(void *opaque);
	void *irq_opaque;
};

void pit_init(struct pit8254 *p, void (*irq_pulse)(void *), void *opaque);

/* Port access: offset 0-2 data of channel 0-2, 3 mode/command register. */
uint8_t pit_read(struct pit8254 *p, uint64_t now_ns, unsigned offset);
void pit_write(struct pit8254 *p, uint64_t now_ns, unsigned offset, uint8_t v);
/* Port 0x61. */
uint8_t pit_portb_read(struct pit8254 *p, uint64_t now_ns);
void pit_portb_write(struct pit8254 *p, uint64_t now_ns, uint8_t v);

/* Deliver OUT0's rising edges up to now_ns (one IRQ 0 pulse for any number). */
void pit_advance(struct pit8254 *p, uint64_t now_ns);
/* Guest time of OUT0's next rising edge, PIT_NEVER when none is coming. */
uint64_t pit_next_deadline(const struct pit8254 *p);

/* PIT clock pulses up to ns, and the first ns at which tick t has happened. */
uint64_t pit_ticks(uint64_t ns);
uint64_t pit_tick_ns(uint64_t tick);

#endif
