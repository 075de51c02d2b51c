/*
 * pit8254.c - 8254 counters as closed-form functions of the PIT tick count
 * (see pit8254.h).
 *
 * A channel's counting is one segment: from tick `start` on, the counter
 * value and OUT follow from the mode and the loaded count; before `start`
 * (and while stopped) the counter holds `hold_value` and OUT `hold_out`.
 * Modes 2 and 3 may queue a second segment that takes over at the end of
 * the current cycle or half-cycle; settle() switches to it once reached.
 */
#include "pit8254.h"

#include <string.h>

/* The refresh request bit of port 0x61 toggles every 18 PIT clocks (15.085 us). */
#define PIT_REFRESH_TICKS 18

uint64_t pit_ticks(uint64_t ns) { return (uint64_t)((unsigned __int128)ns * PIT_HZ / 1000000000u); }

uint64_t pit_tick_ns(uint64_t tick)
{
	if (tick == PIT_NEVER)
		return PIT_NEVER;
	unsigned __int128 ns = ((unsigned __int128)tick * 1000000000u + PIT_HZ - 1) / PIT_HZ;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static unsigned emode(const struct pit_channel *c) { return c->mode >= 6 ? c->mode - 4u : c->mode; }

static uint32_t modulus(const struct pit_channel *c) { return c->bcd ? 10000 : 65536; }

static uint16_t encode(const struct pit_channel *c, uint32_t v)
{
	v %= modulus(c);
	if (!c->bcd)
		return (uint16_t)v;
	return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static uint32_t decode(const struct pit_channel *c, uint16_t raw)
{
	uint32_t v = raw;
	if (c->bcd)
		v = (raw >> 12) * 1000u + (raw >> 8 & 15) * 100u + (raw >> 4 & 15) * 10u + (raw & 15);
	v %= modulus(c);
	return v ? v : modulus(c); /* 0 is the largest count */
}

/* Mode 3 half-cycle lengths: odd counts make the high half one clock longer. */
static uint32_t high_half(uint32_t n) { return (n + 1) / 2; }

static uint32_t seg_value(const struct pit_channel *c, const struct pit_seg *s, uint64_t t)
{
	if (s->start == PIT_NEVER || t < s->start)
		return s->hold_value;
	uint64_t k = t - s->start;
	uint32_t n = s->n, m = modulus(c);
	switch (emode(c)) {
	case 2: return n - (uint32_t)(k % n);
	case 3: {
		/* loads n, then counts down by 2 (odd n: by 1 first in the high half,
		 * by 3 first in the low half) and reloads at each half's end */
		uint32_t hi = high_half(n), off = s->low_first ? hi : 0;
		uint32_t j = (uint32_t)((k + off) % n);
		uint32_t i = j < hi ? j : j - hi;
		if (i == 0)
			return n;
		if (!(n & 1))
			return n - 2 * i;
		return j < hi ? n + 1 - 2 * i : n - 1 - 2 * i;
	}
	default: /* 0, 1, 4, 5: count down and wrap */ return (uint32_t)((n + m - k % m) % m);
	}
}

static bool seg_out(const struct pit_channel *c, const struct pit_seg *s, uint64_t t)
{
	if (s->start == PIT_NEVER || t < s->start)
		return s->hold_out;
	uint64_t k = t - s->start;
	uint32_t n = s->n;
	switch (emode(c)) {
	case 0:
	case 1: return s->fired || k >= n;
	case 2: return k % n != n - 1; /* low for the clock at count 1 */
	case 3: {
		uint32_t hi = high_half(n), off = s->low_first ? hi : 0;
		return (k + off) % n < hi;
	}
	default: /* 4, 5: low for the clock at terminal count */ return s->fired || k != n;
	}
}

/* First tick after t at which OUT rises within this segment, or PIT_NEVER. */
static uint64_t seg_next_rise(const struct pit_channel *c, const struct pit_seg *s, uint64_t t)
{
	if (s->start == PIT_NEVER)
		return PIT_NEVER;
	if (t < s->start) {
		if (!s->hold_out && seg_out(c, s, s->start))
			return s->start;
		t = s->start;
	}
	uint64_t k = t - s->start;
	uint32_t n = s->n;
	switch (emode(c)) {
	case 0:
	case 1: return !s->fired && k < n ? s->start + n : PIT_NEVER;
	case 2: return n < 2 ? PIT_NEVER : s->start + (k / n + 1) * n;
	case 3: {
		if (n < 2)
			return PIT_NEVER;
		uint32_t off = s->low_first ? high_half(n) : 0;
		return s->start + ((k + off) / n + 1) * n - off;
	}
	default: return !s->fired && k <= n ? s->start + n + 1 : PIT_NEVER;
	}
}

static void settle(struct pit_channel *c, uint64_t t)
{
	if (c->has_pend && t >= c->pend.start) {
		c->seg = c->pend;
		c->has_pend = false;
	}
}

static uint64_t ch_next_rise(const struct pit_channel *c, uint64_t t)
{
	uint64_t r = seg_next_rise(c, &c->seg, t);
	if (c->has_pend && (t >= c->pend.start || r >= c->pend.start))
		return seg_next_rise(c, &c->pend, t);
	return r;
}

static void stop(struct pit_channel *c, uint64_t t, bool out)
{
	uint32_t v = seg_value(c, &c->seg, t);
	c->seg = (struct pit_seg){ .start = PIT_NEVER, .n = 1, .hold_value = v, .hold_out = out };
	c->has_pend = false;
}

/*
 * Load count n on the next clock (counting == false: loaded but held by the
 * gate). Until that clock a running counter shows its old count; one that
 * was stopped (after a control word its contents are undefined) shows n.
 */
static void load(struct pit_channel *c, uint64_t t, uint32_t n, bool out, bool counting)
{
	struct pit_seg s = { .start = t + 1,
			     .n = n,
			     .hold_out = out,
			     .hold_value = c->seg.start == PIT_NEVER ? n : seg_value(c, &c->seg, t) };
	if (!counting) {
		s.start = PIT_NEVER;
		s.hold_value = n;
	}
	c->seg = s;
	c->has_pend = false;
}

/* Modes 2, 3: a count written while counting starts at the end of the cycle (half-cycle). */
static void queue(struct pit_channel *c, uint64_t t, uint32_t n)
{
	const struct pit_seg *s = &c->seg;
	uint64_t k = t - s->start;
	struct pit_seg p = { .n = n };
	if (emode(c) == 2 || s->n < 2) {
		p.start = s->start + (k / s->n + 1) * s->n;
	} else {
		uint32_t hi = high_half(s->n), off = s->low_first ? hi : 0;
		uint64_t kk = k + off;
		uint32_t j = (uint32_t)(kk % s->n);
		p.low_first = j < hi;
		p.start = s->start + kk - j + (j < hi ? hi : s->n) - off;
	}
	p.hold_value = seg_value(c, s, p.start - 1);
	p.hold_out = seg_out(c, s, p.start - 1);
	c->pend = p;
	c->has_pend = true;
	c->null_until = p.start;
}

/* Modes 0, 4: the gate going low freezes the count. */
static void pause_count(struct pit_channel *c, uint64_t t)
{
	struct pit_seg *s = &c->seg;
	if (s->start == PIT_NEVER)
		return;
	if (t < s->start) {
		s->start = PIT_NEVER;
		s->hold_value = s->n;
		return;
	}
	uint32_t v = seg_value(c, s, t);
	bool out = seg_out(c, s, t);
	uint64_t k = t - s->start;
	if (!s->fired && k < s->n) {
		s->n -= (uint32_t)k;
	} else {
		s->fired = true;
		s->n = v;
	}
	s->hold_value = v;
	s->hold_out = out;
	s->start = PIT_NEVER;
}

static void write_count(struct pit_channel *c, uint64_t t, uint16_t raw)
{
	uint32_t n = decode(c, raw);
	c->cr = n;
	c->armed = true;
	switch (emode(c)) {
	case 0:
		load(c, t, n, false, c->gate); /* a new count drops OUT */
		c->null_until = t + 1;
		break;
	case 4:
		load(c, t, n, seg_out(c, &c->seg, t), c->gate);
		c->null_until = t + 1;
		break;
	case 1:
	case 5:
		c->null_until = PIT_NEVER; /* loaded by the next gate trigger */
		break;
	default:
		if (c->gate && c->seg.start != PIT_NEVER && t >= c->seg.start) {
			queue(c, t, n);
		} else {
			load(c, t, n, true, c->gate);
			c->null_until = t + 1;
		}
		break;
	}
}

static void set_gate(struct pit_channel *c, uint64_t t, bool g)
{
	settle(c, t);
	if (g == c->gate)
		return;
	c->gate = g;
	switch (emode(c)) {
	case 0:
	case 4:
		if (!g)
			pause_count(c, t);
		else if (c->armed && c->seg.start == PIT_NEVER)
			c->seg.start = t; /* counting resumes with the next clock */
		break;
	case 1:
	case 5:
		if (g && c->armed) { /* trigger: (re)load on the next clock */
			load(c, t, c->cr, seg_out(c, &c->seg, t), true);
			if (c->null_until > t + 1)
				c->null_until = t + 1;
		}
		break;
	default:
		if (!g) {
			stop(c, t, true); /* OUT high at once, counting suspended */
		} else if (c->armed) {
			load(c, t, c->cr, true, true);
			if (c->null_until > t + 1)
				c->null_until = t + 1;
		}
		break;
	}
}

static void control(struct pit_channel *c, uint64_t t, uint8_t v)
{
	settle(c, t);
	if (((v >> 4) & 3) == 0) { /* counter latch command */
		if (!c->count_latched) {
			c->latch = encode(c, seg_value(c, &c->seg, t));
			c->count_latched = true;
		}
		return;
	}
	uint32_t cur = seg_value(c, &c->seg, t);
	c->mode = (v >> 1) & 7;
	c->rw = (v >> 4) & 3;
	c->bcd = v & 1;
	c->armed = false;
	c->wr_msb = c->rd_msb = false;
	c->count_latched = c->status_latched = false;
	c->null_until = PIT_NEVER;
	c->seg = (struct pit_seg){ .start = PIT_NEVER, .n = 1, .hold_value = cur, .hold_out = emode(c) != 0 };
	c->has_pend = false;
}

static void read_back(struct pit8254 *p, uint64_t t, uint8_t v)
{
	for (unsigned i = 0; i < 3; i++) {
		if (!(v & (2u << i)))
			continue;
		struct pit_channel *c = &p->ch[i];
		settle(c, t);
		if (!(v & 0x20) && !c->count_latched) {
			c->latch = encode(c, seg_value(c, &c->seg, t));
			c->count_latched = true;
		}
		if (!(v & 0x10) && !c->status_latched) {
			c->status = (uint8_t)(seg_out(c, &c->seg, t) << 7 | (t < c->null_until) << 6 | c->rw << 4 |
					      c->mode << 1 | c->bcd);
			c->status_latched = true;
		}
	}
}

static uint8_t read_data(struct pit_channel *c, uint64_t t)
{
	settle(c, t);
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	uint16_t v = c->count_latched ? c->latch : encode(c, seg_value(c, &c->seg, t));
	switch (c->rw) {
	case 1: c->count_latched = false; return (uint8_t)v;
	case 2: c->count_latched = false; return (uint8_t)(v >> 8);
	default:
		c->rd_msb = !c->rd_msb;
		if (c->rd_msb)
			return (uint8_t)v;
		c->count_latched = false;
		return (uint8_t)(v >> 8);
	}
}

static void write_data(struct pit_channel *c, uint64_t t, uint8_t b)
{
	settle(c, t);
	switch (c->rw) {
	case 1: write_count(c, t, b); break;
	case 2: write_count(c, t, (uint16_t)(b << 8)); break;
	default:
		if (!c->wr_msb) {
			c->wr_lsb = b;
			c->wr_msb = true;
			if (emode(c) == 0) { /* mode 0: the first byte stops counting, OUT low */
				stop(c, t, false);
				c->armed = false;
			}
		} else {
			c->wr_msb = false;
			write_count(c, t, (uint16_t)(c->wr_lsb | b << 8));
		}
		break;
	}
}

void pit_init(struct pit8254 *p, void (*irq_pulse)(void *), void *opaque)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < 3; i++) {
		struct pit_channel *c = &p->ch[i];
		c->rw = 3;
		c->gate = i != 2; /* channels 0, 1: gate tied high; 2: port 0x61 bit 0 */
		c->null_until = PIT_NEVER;
		c->seg = (struct pit_seg){ .start = PIT_NEVER, .n = 1 };
	}
	p->irq_pulse = irq_pulse;
	p->irq_opaque = opaque;
}

void pit_advance(struct pit8254 *p, uint64_t now_ns)
{
	uint64_t t = pit_ticks(now_ns);
	if (t <= p->irq_tick)
		return;
	struct pit_channel *c = &p->ch[0];
	uint64_t r = ch_next_rise(c, p->irq_tick);
	p->irq_tick = t;
	settle(c, t);
	if (r <= t && p->irq_pulse)
		p->irq_pulse(p->irq_opaque);
}

uint64_t pit_next_deadline(const struct pit8254 *p) { return pit_tick_ns(ch_next_rise(&p->ch[0], p->irq_tick)); }

/* Deliver what is due, then return the current tick (never earlier than delivered). */
static uint64_t now_tick(struct pit8254 *p, uint64_t now_ns)
{
	pit_advance(p, now_ns);
	return p->irq_tick;
}

uint8_t pit_read(struct pit8254 *p, uint64_t now_ns, unsigned offset)
{
	if (offset >= 3)
		return 0xff; /* the mode register is write-only */
	return read_data(&p->ch[offset], now_tick(p, now_ns));
}

void pit_write(struct pit8254 *p, uint64_t now_ns, unsigned offset, uint8_t v)
{
	uint64_t t = now_tick(p, now_ns);
	if (offset < 3)
		write_data(&p->ch[offset], t, v);
	else if (offset == 3 && (v >> 6) == 3)
		read_back(p, t, v);
	else if (offset == 3)
		control(&p->ch[v >> 6], t, v);
}

uint8_t pit_portb_read(struct pit8254 *p, uint64_t now_ns)
{
	uint64_t t = now_tick(p, now_ns);
	struct pit_channel *c = &p->ch[2];
	settle(c, t);
	uint8_t v = p->portb & PIT_PORTB_RW;
	if ((t / PIT_REFRESH_TICKS) & 1)
		v |= PIT_PORTB_REFRESH;
	if (seg_out(c, &c->seg, t))
		v |= PIT_PORTB_OUT2;
	return v;
}

void pit_portb_write(struct pit8254 *p, uint64_t now_ns, uint8_t v)
{
	uint64_t t = now_tick(p, now_ns);
	p->portb = v & PIT_PORTB_RW;
	set_gate(&p->ch[2], t, v & PIT_PORTB_GATE2);
}
