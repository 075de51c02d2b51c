/*
 * rtc_cmos.c - MC146818 clock: calendar arithmetic, the divider chain's
 * update and periodic events, alarm search, register C and IRQ 8
 * (see rtc_cmos.h).
 *
 * Nothing runs between accesses: every access first brings the flags up
 * to its time (rtc_sync), and any register write that changes how the
 * clock runs rebases the clock at that time, so the state is constant
 * between two syncs and events follow from closed forms.
 */
#include "rtc_cmos.h"

#include <string.h>

#define NS_PER_S 1000000000ll
#define DIV_HZ 32768 /* the divider chain's time base */
/* Range of times the clock can show: 0001-01-01 to 9999-12-31 23:59:59. */
#define RTC_TIME_MIN (-62135596800ll)
#define RTC_TIME_MAX 253402300799ll

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t floormod(int64_t a, int64_t b) { return a - floordiv(a, b) * b; }

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floordiv(y, 400);
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = floordiv(z, 146097);
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void split(int64_t t, struct rtc_fields *f)
{
	int64_t days = floordiv(t, 86400), tod = t - days * 86400;
	civil_from_days(days, &f->year, &f->mon, &f->mday);
	f->hour = (unsigned)(tod / 3600);
	f->min = (unsigned)(tod / 60 % 60);
	f->sec = (unsigned)(tod % 60);
	f->wday = (unsigned)floormod(days + 4, 7) + 1; /* 1970-01-01 was a Thursday */
}

static int64_t clamp_time(int64_t t) { return t < RTC_TIME_MIN ? RTC_TIME_MIN : t > RTC_TIME_MAX ? RTC_TIME_MAX : t; }

/* Fields out of range carry into the larger ones, as mktime does. */
static int64_t join(const struct rtc_fields *f)
{
	int64_t mm = (int64_t)f->mon - 1;
	int64_t year = f->year + floordiv(mm, 12);
	mm = floormod(mm, 12);
	int64_t days = days_from_civil(year, (unsigned)mm + 1, 1) + f->mday - 1;
	return clamp_time(days * 86400 + f->hour * 3600 + f->min * 60 + f->sec);
}

/* ---- register encodings ---- */

static bool binary(const struct rtc_cmos *r) { return r->reg_b & RTC_B_DM_BINARY; }

static bool h24(const struct rtc_cmos *r) { return r->reg_b & RTC_B_24H; }

static uint8_t enc(const struct rtc_cmos *r, unsigned v)
{
	v %= 100;
	return binary(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t enc_hour(const struct rtc_cmos *r, unsigned h)
{
	if (h24(r))
		return enc(r, h);
	unsigned h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

/* Strict decoding (alarm compare): -1 for a byte the clock never shows. */
static int dec(const struct rtc_cmos *r, uint8_t b)
{
	if (binary(r))
		return b;
	if ((b >> 4) > 9 || (b & 15) > 9)
		return -1;
	return (b >> 4) * 10 + (b & 15);
}

static int dec_hour(const struct rtc_cmos *r, uint8_t b)
{
	if (h24(r)) {
		int v = dec(r, b);
		return v > 23 ? -1 : v;
	}
	int v = dec(r, b & 0x7f);
	if (v < 1 || v > 12)
		return -1;
	return v % 12 + (b & 0x80 ? 12 : 0);
}

/* Lenient decoding (guest writes): bad digits still give a number. */
static unsigned dec_loose(const struct rtc_cmos *r, uint8_t b) { return binary(r) ? b : (b >> 4) * 10u + (b & 15); }

static unsigned dec_hour_loose(const struct rtc_cmos *r, uint8_t b)
{
	if (h24(r))
		return dec_loose(r, b);
	return dec_loose(r, b & 0x7f) % 12 + (b & 0x80 ? 12 : 0);
}

/* ---- the divider chain ---- */

static bool div_running(const struct rtc_cmos *r) { return (r->reg_a & RTC_A_DV_RESET) != RTC_A_DV_RESET; }

static bool clock_running(const struct rtc_cmos *r) { return div_running(r) && !(r->reg_b & RTC_B_SET); }

/* Index of the last whole second of the divider at or before t. */
static int64_t second_index(const struct rtc_cmos *r, uint64_t t)
{
	return floordiv((int64_t)t - r->div_base_ns, NS_PER_S);
}

static uint64_t next_update(const struct rtc_cmos *r, uint64_t t)
{
	return (uint64_t)(r->div_base_ns + (second_index(r, t) + 1) * NS_PER_S);
}

/* Periodic interrupt period in divider cycles (register A rate select). */
static unsigned periodic_cycles(const struct rtc_cmos *r)
{
	unsigned rs = r->reg_a & RTC_A_RS_MASK;
	if (rs == 0)
		return 0;
	return rs <= 2 ? 64u << rs : 1u << (rs - 1);
}

static uint64_t periodic_index(const struct rtc_cmos *r, uint64_t t, unsigned cycles)
{
	int64_t d = (int64_t)t - r->div_base_ns;
	if (d <= 0)
		return 0;
	return (uint64_t)((unsigned __int128)d * DIV_HZ / ((unsigned __int128)cycles * NS_PER_S));
}

static uint64_t next_periodic(const struct rtc_cmos *r, uint64_t t, unsigned cycles)
{
	unsigned __int128 m = periodic_index(r, t, cycles) + 1;
	__int128 ns = (__int128)((m * cycles * NS_PER_S + DIV_HZ - 1) / DIV_HZ) + r->div_base_ns;
	return ns < 0 || ns > (__int128)UINT64_MAX ? RTC_NEVER : (uint64_t)ns;
}

/* Updates since the reference time. */
static int64_t updates(const struct rtc_cmos *r, uint64_t now)
{
	if (!clock_running(r) || now <= r->ref_ns)
		return 0;
	return second_index(r, now) - second_index(r, r->ref_ns);
}

int64_t rtc_time(const struct rtc_cmos *r, uint64_t now_ns) { return clamp_time(join(&r->tm) + updates(r, now_ns)); }

/* The time registers at now: as written until the next update, then counted on. */
static void current(const struct rtc_cmos *r, uint64_t now, struct rtc_fields *f)
{
	int64_t n = updates(r, now);
	if (n == 0) {
		*f = r->tm;
		return;
	}
	int64_t t0 = join(&r->tm), t1 = clamp_time(t0 + n);
	int64_t wday = (int64_t)r->tm.wday - 1 + floordiv(t1, 86400) - floordiv(t0, 86400);
	split(t1, f); /* f may be &r->tm */
	f->wday = (unsigned)floormod(wday, 7) + 1;
}

/* Move the reference to now (same time shown) before the way the clock runs changes. */
static void rebase(struct rtc_cmos *r, uint64_t now)
{
	current(r, now, &r->tm);
	r->ref_ns = now;
}

/* ---- alarm ---- */

/* An alarm byte: the value to match, -1 for "don't care", -2 for never. */
static int alarm_field(const struct rtc_cmos *r, uint8_t b, bool hour)
{
	if ((b & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE)
		return -1;
	int v = hour ? dec_hour(r, b) : dec(r, b);
	return v < 0 || v > 59 ? -2 : v;
}

static int fmatch(int f, int from, int max)
{
	if (from > max)
		return -1;
	if (f < 0)
		return from;
	return f >= from ? f : -1;
}

/* First time of day >= t0 that matches, or -1. */
static int64_t first_match(int64_t t0, int ah, int am, int as)
{
	int h0 = (int)(t0 / 3600), m0 = (int)(t0 / 60 % 60), s0 = (int)(t0 % 60);
	for (int h = fmatch(ah, h0, 23); h >= 0; h = fmatch(ah, h + 1, 23)) {
		int mf = h == h0 ? m0 : 0;
		for (int m = fmatch(am, mf, 59); m >= 0; m = fmatch(am, m + 1, 59)) {
			int s = fmatch(as, h == h0 && m == m0 ? s0 : 0, 59);
			if (s >= 0)
				return h * 3600 + m * 60 + s;
		}
	}
	return -1;
}

/* Guest time of the first update after t whose new time matches the alarm. */
static uint64_t alarm_due(const struct rtc_cmos *r, uint64_t t)
{
	int as = alarm_field(r, r->ram[RTC_SECONDS_ALARM], false);
	int am = alarm_field(r, r->ram[RTC_MINUTES_ALARM], false);
	int ah = alarm_field(r, r->ram[RTC_HOURS_ALARM], true);
	if (as == -2 || am == -2 || ah == -2)
		return RTC_NEVER;
	int64_t now_s = rtc_time(r, t);
	int64_t day = floordiv(now_s, 86400), tod = now_s - day * 86400;
	int64_t match = -1;
	for (int d = 0; d < 2 && match < 0; d++) {
		int64_t x = first_match(d ? 0 : tod + 1, ah, am, as);
		if (x >= 0)
			match = (day + d) * 86400 + x;
	}
	if (match < 0)
		return RTC_NEVER;
	return (uint64_t)(r->div_base_ns + (second_index(r, t) + (match - now_s)) * NS_PER_S);
}

/* ---- flags and IRQ 8 ---- */

static void update_irq(struct rtc_cmos *r)
{
	bool level = (r->flags & r->reg_b & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE)) != 0;
	if (level != r->irq_level) {
		r->irq_level = level;
		if (r->set_irq)
			r->set_irq(r->irq_opaque, level);
	}
}

/* Record the events of (synced_ns, now]; the state is constant over it. */
static uint64_t sync(struct rtc_cmos *r, uint64_t now)
{
	uint64_t a = r->synced_ns;
	if (now <= a)
		return a;
	if (div_running(r)) {
		unsigned cycles = periodic_cycles(r);
		if (cycles && periodic_index(r, now, cycles) > periodic_index(r, a, cycles))
			r->flags |= RTC_C_PF;
		if (!(r->reg_b & RTC_B_SET) && second_index(r, now) > second_index(r, a)) {
			r->flags |= RTC_C_UF;
			if (alarm_due(r, a) <= now)
				r->flags |= RTC_C_AF;
		}
	}
	r->synced_ns = now;
	update_irq(r);
	return now;
}

void rtc_advance(struct rtc_cmos *r, uint64_t now_ns) { sync(r, now_ns); }

uint64_t rtc_next_deadline(const struct rtc_cmos *r)
{
	if (r->irq_level || !div_running(r))
		return RTC_NEVER;
	uint64_t a = r->synced_ns, d = RTC_NEVER;
	unsigned cycles = periodic_cycles(r);
	if ((r->reg_b & RTC_B_PIE) && cycles)
		d = next_periodic(r, a, cycles);
	if (!(r->reg_b & RTC_B_SET)) {
		if ((r->reg_b & RTC_B_UIE) && next_update(r, a) < d)
			d = next_update(r, a);
		if (r->reg_b & RTC_B_AIE) {
			uint64_t al = alarm_due(r, a);
			if (al < d)
				d = al;
		}
	}
	return d;
}

/* ---- registers ---- */

static uint8_t time_byte(const struct rtc_cmos *r, uint64_t now, unsigned i)
{
	struct rtc_fields f;
	current(r, now, &f);
	switch (i) {
	case RTC_SECONDS: return enc(r, f.sec);
	case RTC_MINUTES: return enc(r, f.min);
	case RTC_HOURS: return enc_hour(r, f.hour);
	case RTC_DAY_OF_WEEK: return enc(r, f.wday);
	case RTC_DAY_OF_MONTH: return enc(r, f.mday);
	case RTC_MONTH: return enc(r, f.mon);
	case RTC_YEAR: return enc(r, (unsigned)floormod(f.year, 100));
	default: return enc(r, (unsigned)floormod(floordiv(f.year, 100), 100)); /* century */
	}
}

static void write_time(struct rtc_cmos *r, uint64_t now, unsigned i, uint8_t v)
{
	rebase(r, now);
	struct rtc_fields *f = &r->tm;
	unsigned x = dec_loose(r, v);
	switch (i) {
	case RTC_SECONDS: f->sec = x; break;
	case RTC_MINUTES: f->min = x; break;
	case RTC_HOURS: f->hour = dec_hour_loose(r, v); break;
	case RTC_DAY_OF_WEEK: f->wday = x; break;
	case RTC_DAY_OF_MONTH: f->mday = x; break;
	case RTC_MONTH: f->mon = x; break;
	case RTC_YEAR: f->year = floordiv(f->year, 100) * 100 + x; break;
	default: f->year = (int64_t)x * 100 + floormod(f->year, 100); break; /* century */
	}
}

static bool is_time_byte(unsigned i)
{
	return i == RTC_SECONDS || i == RTC_MINUTES || i == RTC_HOURS || i == RTC_CENTURY ||
		(i >= RTC_DAY_OF_WEEK && i <= RTC_YEAR);
}

static uint8_t read_data(struct rtc_cmos *r, uint64_t now)
{
	unsigned i = r->index & 0x7f; /* bit 7 is the NMI mask */
	uint8_t v;
	if (is_time_byte(i))
		return time_byte(r, now, i);
	switch (i) {
	case RTC_REG_A:
		v = r->reg_a;
		if (clock_running(r) && next_update(r, now) - now <= RTC_UIP_NS)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_B: return r->reg_b;
	case RTC_REG_C:
		v = r->flags;
		if (v & r->reg_b & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE))
			v |= RTC_C_IRQF;
		r->flags = 0;
		update_irq(r);
		return v;
	case RTC_REG_D: return RTC_D_VRT;
	default: return r->ram[i];
	}
}

static void write_data(struct rtc_cmos *r, uint64_t now, uint8_t v)
{
	unsigned i = r->index & 0x7f;
	if (is_time_byte(i)) {
		write_time(r, now, i, v);
		return;
	}
	switch (i) {
	case RTC_REG_A: {
		bool was = div_running(r);
		rebase(r, now);
		r->reg_a = v & (uint8_t)~RTC_A_UIP;
		/* out of divider reset, the first update comes half a second later */
		if (!was && div_running(r))
			r->div_base_ns = (int64_t)now - NS_PER_S / 2;
		break;
	}
	case RTC_REG_B:
		rebase(r, now);
		if (v & RTC_B_SET)
			v &= (uint8_t)~RTC_B_UIE;
		r->reg_b = v;
		update_irq(r);
		break;
	case RTC_REG_C:
	case RTC_REG_D: break; /* read-only */
	default: r->ram[i] = v; break;
	}
}

void rtc_init(struct rtc_cmos *r, int64_t epoch, void (*set_irq)(void *, int), void *opaque)
{
	memset(r, 0, sizeof(*r));
	r->reg_a = 0x26; /* 32.768 kHz time base running, 1024 Hz periodic rate */
	r->reg_b = RTC_B_24H;
	split(clamp_time(epoch), &r->tm);
	r->set_irq = set_irq;
	r->irq_opaque = opaque;
}

uint8_t rtc_read(struct rtc_cmos *r, uint64_t now_ns, unsigned offset)
{
	if (!(offset & 1))
		return r->index;
	return read_data(r, sync(r, now_ns));
}

void rtc_write(struct rtc_cmos *r, uint64_t now_ns, unsigned offset, uint8_t v)
{
	if (!(offset & 1))
		r->index = v;
	else
		write_data(r, sync(r, now_ns), v);
}
