/*
 * flags.c - lazy arithmetic flags.
 *
 * ALU handlers record (op, size, a, b, result) instead of computing OSZAPC;
 * this file derives the status bits when something reads them (Jcc, SETcc,
 * PUSHF, get_state...). INC/DEC keep CF: their handlers save the previous
 * CF in lf_cin. Shifts are lazy too (a, count, result). Rotates change only
 * CF and OF: they put those in rflags and mark the state LF_ROT, leaving the
 * previous operation (lf_op2, same a/b/res) to supply SF ZF AF PF.
 */
#include "emu/cpu.h"
#include "emu/cond.h"
#include "emu/plant.h"

/* The status bits of lazy operation op over c's (size, a, b, res, cin). */
static uint64_t lazy_flags(const struct emu_cpu *c, unsigned op)
{
	unsigned size = c->lf_size, bits = size * 8;
	uint64_t m = emu_mask(size), sign = 1ull << (bits - 1);
	uint64_t a = c->lf_a & m, b = c->lf_b & m, r = c->lf_res & m;
	uint64_t f = c->rflags & ~(uint64_t)RFLAGS_STATUS;
	f |= emu_szp(r, size);
	switch (op) {
	case LF_ADD:
		if (r < a)
			f |= RFLAGS_CF;
		if (emu_plant == EMU_PLANT_FLAG)
			f ^= RFLAGS_CF; /* planted bug: off unless RAX_EMU_PLANT=flag */
		if ((a ^ r) & (b ^ r) & sign)
			f |= RFLAGS_OF;
		f |= (a ^ b ^ r) & RFLAGS_AF;
		break;
	case LF_ADC:
		if (r < a || (c->lf_cin && r == a))
			f |= RFLAGS_CF;
		if ((a ^ r) & (b ^ r) & sign)
			f |= RFLAGS_OF;
		f |= (a ^ b ^ r) & RFLAGS_AF;
		break;
	case LF_SUB:
		if (a < b)
			f |= RFLAGS_CF;
		if ((a ^ b) & (a ^ r) & sign)
			f |= RFLAGS_OF;
		f |= (a ^ b ^ r) & RFLAGS_AF;
		break;
	case LF_SBB:
		if (a < b || (c->lf_cin && a == b))
			f |= RFLAGS_CF;
		if ((a ^ b) & (a ^ r) & sign)
			f |= RFLAGS_OF;
		f |= (a ^ b ^ r) & RFLAGS_AF;
		break;
	case LF_LOGIC:
		/* CF=OF=0; AF is undefined: Zen clears it. */
		break;
	case LF_INC:
		f |= c->lf_cin ? RFLAGS_CF : 0;
		if (r == sign)
			f |= RFLAGS_OF;
		if ((r & 0xf) == 0)
			f |= RFLAGS_AF;
		break;
	case LF_DEC:
		f |= c->lf_cin ? RFLAGS_CF : 0;
		if (r == sign - 1)
			f |= RFLAGS_OF;
		if ((r & 0xf) == 0xf)
			f |= RFLAGS_AF;
		break;
	case LF_NEG:
		if (a)
			f |= RFLAGS_CF;
		if (a == sign)
			f |= RFLAGS_OF;
		f |= (a ^ r) & RFLAGS_AF;
		break;
	/* shifts (count b, 1..63, never 0): AF clear, OF by the count-1 formula */
	case LF_SHL: {
		bool cf = b <= bits ? (a >> (bits - b)) & 1 : 0;
		f |= (cf ? RFLAGS_CF : 0) | ((!!(r & sign) ^ cf) ? RFLAGS_OF : 0);
		break;
	}
	case LF_SHR: f |= (((a >> (b - 1)) & 1) ? RFLAGS_CF : 0) | ((a & sign) ? RFLAGS_OF : 0); break;
	case LF_SAR: f |= ((((int64_t)emu_sext(a, size) >> (b - 1)) & 1) ? RFLAGS_CF : 0); break;
	case LF_MUL: f |= c->lf_cin ? RFLAGS_CF | RFLAGS_OF : 0; break;
	default: return c->rflags;
	}
	return f;
}

uint64_t emu_flags_slow(struct emu_cpu *c)
{
	if (c->lf_op == LF_ROT) /* a rotate replaced CF and OF only */
		return (lazy_flags(c, c->lf_op2) & ~(uint64_t)(RFLAGS_CF | RFLAGS_OF)) |
			(c->rflags & (RFLAGS_CF | RFLAGS_OF));
	return lazy_flags(c, c->lf_op);
}

void emu_rot_flags(struct emu_cpu *c, bool cf, bool of)
{
	if (c->lf_op != LF_NONE && c->lf_op != LF_ROT) {
		c->lf_op2 = c->lf_op;
		c->lf_op = LF_ROT;
	}
	c->rflags = (c->rflags & ~(uint64_t)(RFLAGS_CF | RFLAGS_OF)) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
}

static inline unsigned size_bits(const struct emu_cpu *c) { return c->lf_size * 8u; }

bool emu_lazy_cf(const struct emu_cpu *c)
{
	uint64_t m = emu_mask(c->lf_size);
	uint64_t a = c->lf_a & m, b = c->lf_b & m, r = c->lf_res & m;
	switch (c->lf_op) {
	case LF_ADD: return (r < a) ^ (emu_plant == EMU_PLANT_FLAG); /* as emu_flags_slow */
	case LF_ADC: return r < a || (c->lf_cin && r == a);
	case LF_SUB: return a < b;
	case LF_SBB: return a < b || (c->lf_cin && a == b);
	case LF_LOGIC: return false;
	case LF_INC:
	case LF_DEC:
	case LF_MUL: return c->lf_cin;
	case LF_NEG: return a != 0;
	case LF_SHL: return b <= size_bits(c) ? (a >> (size_bits(c) - b)) & 1 : 0;
	case LF_SHR: return (a >> (b - 1)) & 1;
	case LF_SAR: return ((int64_t)emu_sext(a, c->lf_size) >> (b - 1)) & 1;
	default: return c->rflags & RFLAGS_CF; /* LF_ROT too */
	}
}

bool emu_cond_rflags(struct emu_cpu *c, unsigned cc)
{
	bool r;
	uint64_t f = emu_get_flags(c);
	switch (cc & 0xe) {
	case 0x0: r = f & RFLAGS_OF; break;
	case 0x2: r = f & RFLAGS_CF; break;
	case 0x4: r = f & RFLAGS_ZF; break;
	case 0x6: r = f & (RFLAGS_CF | RFLAGS_ZF); break;
	case 0x8: r = f & RFLAGS_SF; break;
	case 0xa: r = f & RFLAGS_PF; break;
	case 0xc: r = !!(f & RFLAGS_SF) != !!(f & RFLAGS_OF); break;
	default: r = (f & RFLAGS_ZF) || (!!(f & RFLAGS_SF) != !!(f & RFLAGS_OF)); break;
	}
	return r ^ (cc & 1);
}

bool emu_cond(struct emu_cpu *c, unsigned cc) { return emu_cond_inline(c, cc); }
