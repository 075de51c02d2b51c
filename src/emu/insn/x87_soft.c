/*
 * x87_soft.c - the common x87 operations computed in C, bit-exact.
 *
 * The host FPU gives exact answers (x87_host.c), but reading its status
 * word back costs: FNCLEX alone takes tens of nanoseconds. The operations
 * programs spend their time on - add, subtract, multiply, divide, compare,
 * and the rounding stores to m32fp/m64fp/integers - are done here instead
 * when every operand is a normal number or zero and the result is a normal
 * number or zero. Those cases are fully specified (IEEE 754 rounding of the
 * exact result to the precision in FCW.PC with the rounding in FCW.RC, PE
 * when inexact, C1 = 1 when the significand was rounded up) and raise no
 * other exception. Everything else - NaNs, infinities, denormals,
 * unsupported formats, division by zero, overflow, underflow, integer
 * overflow - returns false and the caller asks the host. The differential
 * test (tests/unit/test_emu_x87.c) checks both against the CPU.
 */
#include "emu/insn/x87.h"

typedef unsigned __int128 u128;

struct f80 {
	uint64_t m;
	int e; /* biased exponent */
	unsigned s;
};

static inline void unpack(const uint8_t *p, struct f80 *v)
{
	uint16_t se;
	memcpy(&v->m, p, 8);
	memcpy(&se, p + 8, 2);
	v->e = se & 0x7fff;
	v->s = se >> 15;
}

static inline void pack(uint8_t *p, unsigned s, int e, uint64_t m)
{
	uint16_t se = (uint16_t)(s << 15 | (unsigned)e);
	memcpy(p, &m, 8);
	memcpy(p + 8, &se, 2);
}

static inline bool is_zero(const struct f80 *v) { return v->e == 0 && v->m == 0; }

/* A normal number (integer bit set, exponent neither 0 nor all ones). */
static inline bool is_normal(const struct f80 *v) { return v->e != 0 && v->e != 0x7fff && (v->m >> 63); }

static inline bool ok_operand(const struct f80 *v) { return is_normal(v) || is_zero(v); }

static inline unsigned clz128(u128 x)
{
	uint64_t hi = (uint64_t)(x >> 64);
	return hi ? (unsigned)__builtin_clzll(hi) : 64 + (unsigned)__builtin_clzll((uint64_t)x);
}

/*
 * Round x (bit 127 set; value x / 2^127 * 2^(e - 16383)) to p bits with
 * rounding rc for sign s. Returns the rounded significand in the top p bits
 * of a 64-bit word, updates *e on a carry out, and reports inexact / up.
 */
static uint64_t round_bits(u128 x, unsigned p, unsigned rc, unsigned s, int *e, bool *inexact, bool *up)
{
	unsigned drop = 128 - p;
	u128 kept = x >> drop;
	u128 rem = x & (((u128)1 << drop) - 1);
	u128 half = (u128)1 << (drop - 1);
	bool inc = false;
	*inexact = rem != 0;
	switch (rc) {
	case 0: inc = rem > half || (rem == half && (kept & 1)); break; /* nearest, ties even */
	case 1: inc = rem && s; break;                                  /* toward -inf */
	case 2: inc = rem && !s; break;                                 /* toward +inf */
	default: break;                                                 /* toward zero */
	}
	if (inc) {
		kept++;
		if (kept >> p) { /* carried out: 1.000... * 2 */
			kept >>= 1;
			(*e)++;
		}
	}
	*up = inc;
	return (uint64_t)kept << (64 - p);
}

static const unsigned pc_bits[4] = { 24, 64, 53, 64 }; /* PC=01 is reserved: 64 */

/* Round and pack a register result; false on overflow or underflow. */
static bool finish(uint8_t *out, unsigned s, int e, u128 x, uint16_t fcw, uint16_t *sw)
{
	if (e <= 0)
		return false; /* tiny: the host knows the denormal/underflow rules */
	bool inexact, up;
	uint64_t m = round_bits(x, pc_bits[(fcw >> 8) & 3], (fcw >> 10) & 3, s, &e, &inexact, &up);
	if (e >= 0x7fff)
		return false;
	pack(out, s, e, m);
	*sw = (uint16_t)((inexact ? X87_SW_PE : 0) | (up ? X87_SW_C1 : 0));
	return true;
}

/* The sign of an exact zero sum of operands with different signs. */
static inline unsigned zero_sign(uint16_t fcw) { return ((fcw >> 10) & 3) == 1; }

static bool add(const struct f80 *a, const struct f80 *b, unsigned sb, uint16_t fcw, uint8_t *out, uint16_t *sw)
{
	if (is_zero(a) && is_zero(b)) {
		pack(out, a->s == sb ? a->s : zero_sign(fcw), 0, 0);
		*sw = 0;
		return true;
	}
	/* x: the larger magnitude (a zero counts as smaller than anything) */
	const struct f80 *x = a, *y = b;
	unsigned sx = a->s, sy = sb;
	if (is_zero(a) || (!is_zero(b) && (b->e > a->e || (b->e == a->e && b->m > a->m)))) {
		x = b;
		y = a;
		sx = sb;
		sy = a->s;
	}
	u128 X = (u128)x->m << 63; /* bits 126..63, a spare bit above for the carry */
	u128 Y = 0;
	if (!is_zero(y)) {
		unsigned d = (unsigned)(x->e - y->e);
		u128 full = (u128)y->m << 63;
		if (d >= 127)
			Y = 1; /* only a sticky bit survives */
		else
			Y = (full >> d) | ((full & (((u128)1 << d) - 1)) != 0);
	}
	u128 S = sx == sy ? X + Y : X - Y;
	if (S == 0) {
		pack(out, zero_sign(fcw), 0, 0);
		*sw = 0;
		return true;
	}
	unsigned lz = clz128(S);
	return finish(out, sx, x->e + 1 - (int)lz, S << lz, fcw, sw);
}

static bool mul(const struct f80 *a, const struct f80 *b, uint16_t fcw, uint8_t *out, uint16_t *sw)
{
	unsigned s = a->s ^ b->s;
	if (is_zero(a) || is_zero(b)) {
		pack(out, s, 0, 0);
		*sw = 0;
		return true;
	}
	u128 P = (u128)a->m * b->m; /* in [2^126, 2^128) */
	int e = a->e + b->e - 16383 + 1;
	if (!(P >> 127)) {
		P <<= 1;
		e--;
	}
	return finish(out, s, e, P, fcw, sw);
}

/* 128/64 division (the quotient must fit in 64 bits). */
static inline uint64_t div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
	uint64_t q, r;
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
	*rem = r;
	return q;
}

static bool divide(const struct f80 *a, const struct f80 *b, uint16_t fcw, uint8_t *out, uint16_t *sw)
{
	unsigned s = a->s ^ b->s;
	if (is_zero(b))
		return false; /* zero divide or 0/0: the host */
	if (is_zero(a)) {
		pack(out, s, 0, 0);
		*sw = 0;
		return true;
	}
	/* q1 = a.m * 2^63 / b.m (a >= b) or a.m * 2^64 / b.m: 64 bits with the
	 * top one set; then 64 more quotient bits and a sticky remainder */
	int e = a->e - b->e + 16383;
	uint64_t hi, lo, r1, r2;
	if (a->m >= b->m) {
		hi = a->m >> 1;
		lo = a->m << 63;
	} else {
		hi = a->m;
		lo = 0;
		e--;
	}
	uint64_t q1 = div128(hi, lo, b->m, &r1);
	uint64_t q2 = div128(r1, 0, b->m, &r2);
	u128 Q = (u128)q1 << 64 | q2 | (r2 != 0);
	return finish(out, s, e, Q, fcw, sw);
}

bool x87_soft_arith(unsigned r, const uint8_t *st0, const uint8_t *src, uint16_t fcw, uint8_t *out, uint16_t *sw)
{
	struct f80 a, b;
	unpack(st0, &a);
	unpack(src, &b);
	if (!ok_operand(&a) || !ok_operand(&b))
		return false;
	switch (r) {
	case 0: return add(&a, &b, b.s, fcw, out, sw);
	case 1: return mul(&a, &b, fcw, out, sw);
	case 4: return add(&a, &b, b.s ^ 1, fcw, out, sw);       /* ST0 - src */
	case 5: a.s ^= 1; return add(&a, &b, b.s, fcw, out, sw); /* src - ST0 */
	case 6: return divide(&a, &b, fcw, out, sw);
	case 7: return divide(&b, &a, fcw, out, sw);
	default: return false;
	}
}

bool x87_soft_compare(const uint8_t *st0, const uint8_t *src, uint16_t *cc)
{
	struct f80 a, b;
	unpack(st0, &a);
	unpack(src, &b);
	if (!ok_operand(&a) || !ok_operand(&b))
		return false;
	int rel;
	if (is_zero(&a) && is_zero(&b)) {
		rel = 0;
	} else if (a.s != b.s) {
		rel = a.s ? -1 : 1;
	} else {
		/* same sign: compare magnitudes (zero below everything) */
		int mag;
		if (is_zero(&a))
			mag = -1;
		else if (is_zero(&b))
			mag = 1;
		else if (a.e != b.e)
			mag = a.e < b.e ? -1 : 1;
		else
			mag = a.m < b.m ? -1 : a.m > b.m;
		rel = a.s ? -mag : mag;
	}
	*cc = rel < 0 ? X87_SW_C0 : rel == 0 ? X87_SW_C3 : 0;
	return true;
}

bool x87_soft_to_fp(const uint8_t *st0, unsigned size, uint16_t fcw, uint8_t *out, uint16_t *sw)
{
	struct f80 a;
	unpack(st0, &a);
	if (!ok_operand(&a))
		return false;
	*sw = 0;
	if (is_zero(&a)) {
		if (size == 4) {
			uint32_t v = a.s << 31;
			memcpy(out, &v, 4);
		} else {
			uint64_t v = (uint64_t)a.s << 63;
			memcpy(out, &v, 8);
		}
		return true;
	}
	unsigned p = size == 4 ? 24 : 53;
	int bias = size == 4 ? 127 : 1023, emax = size == 4 ? 254 : 2046;
	int e = a.e - 16383 + bias;
	if (e <= 0)
		return false; /* tiny in the destination format */
	bool inexact, up;
	uint64_t m = round_bits((u128)a.m << 64, p, (fcw >> 10) & 3, a.s, &e, &inexact, &up);
	if (e > emax)
		return false;
	if (size == 4) {
		uint32_t v = a.s << 31 | (uint32_t)e << 23 | (uint32_t)((m >> 40) & 0x7fffff);
		memcpy(out, &v, 4);
	} else {
		uint64_t v = (uint64_t)a.s << 63 | (uint64_t)e << 52 | ((m >> 11) & ((1ull << 52) - 1));
		memcpy(out, &v, 8);
	}
	*sw = (uint16_t)((inexact ? X87_SW_PE : 0) | (up ? X87_SW_C1 : 0));
	return true;
}

bool x87_soft_to_int(const uint8_t *st0, unsigned size, unsigned rc, uint8_t *out, uint16_t *sw)
{
	struct f80 a;
	unpack(st0, &a);
	if (!ok_operand(&a))
		return false;
	uint64_t mag = 0;
	bool inexact = false, up = false;
	if (!is_zero(&a)) {
		int u = a.e - 16383; /* value = m / 2^63 * 2^u */
		if (u > 63)
			return false;
		uint64_t ip, frac; /* integer part; fraction as a 64-bit binary fraction (+ sticky) */
		bool sticky = false;
		if (u < 0) {
			ip = 0;
			if (u < -64) {
				frac = 0;
				sticky = true;
			} else {
				/* m / 2^(63 - u) = m * 2^(u + 1) / 2^64 */
				unsigned sh = (unsigned)(-u - 1);
				frac = sh >= 64 ? 0 : a.m >> sh;
				sticky = sh && (sh >= 64 ? a.m != 0 : (a.m & ((1ull << sh) - 1)) != 0);
			}
		} else {
			ip = a.m >> (63 - u);
			frac = u == 63 ? 0 : a.m << (u + 1);
		}
		inexact = frac || sticky;
		bool inc = false;
		switch (rc) {
		case 0: inc = frac > (1ull << 63) || (frac == (1ull << 63) && (sticky || (ip & 1))); break;
		case 1: inc = inexact && a.s; break;
		case 2: inc = inexact && !a.s; break;
		default: break;
		}
		if (inc) {
			if (ip == UINT64_MAX)
				return false;
			ip++;
		}
		up = inc;
		mag = ip;
	}
	uint64_t lim = size == 2 ? 0x8000 : size == 4 ? 0x80000000ull : 1ull << 63;
	if (mag > lim || (mag == lim && !a.s))
		return false; /* out of range: the host stores the integer indefinite */
	uint64_t v = a.s ? -mag : mag;
	memcpy(out, &v, size);
	*sw = (uint16_t)((inexact ? X87_SW_PE : 0) | (up ? X87_SW_C1 : 0));
	return true;
}

/* FXAM's classes (C3 C2 C0) of a non-empty register; C1 is the sign. */
uint16_t x87_soft_fxam(const uint8_t *st0)
{
	struct f80 a;
	unpack(st0, &a);
	uint16_t cc;
	bool j = a.m >> 63;
	if (a.e == 0x7fff) {
		if (!j)
			cc = 0; /* pseudo-NaN / pseudo-infinity: unsupported */
		else if (a.m << 1)
			cc = X87_SW_C0; /* NaN */
		else
			cc = X87_SW_C2 | X87_SW_C0; /* infinity */
	} else if (a.e == 0) {
		cc = a.m ? X87_SW_C3 | X87_SW_C2 : X87_SW_C3; /* denormal (pseudo too) or zero */
	} else {
		cc = j ? X87_SW_C2 : 0; /* normal, or unnormal: unsupported */
	}
	return (uint16_t)(cc | (a.s ? X87_SW_C1 : 0));
}
