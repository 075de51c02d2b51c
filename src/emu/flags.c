/*
 * flags.c - lazy arithmetic flags.
 *
 * ALU handlers record (op, size, a, b, result) instead of computing OSZAPC;
 * this file derives the status bits when something reads them (Jcc, SETcc,
 * PUSHF, get_state...). INC/DEC keep CF: their handlers flush the previous
 * flags into rflags first, so CF is read from there.
 */
#include "emu/cpu.h"
#include "emu/plant.h"

uint64_t emu_flags_slow(struct emu_cpu *c)
{
	unsigned size = c->lf_size;
	uint64_t m = emu_mask(size), sign = 1ull << (size * 8 - 1);
	uint64_t a = c->lf_a & m, b = c->lf_b & m, r = c->lf_res & m;
	uint64_t f = c->rflags & ~(uint64_t)RFLAGS_STATUS;
	f |= emu_szp(r, size);
	switch (c->lf_op) {
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
	default:
		return c->rflags;
	}
	return f;
}

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
	case LF_INC: case LF_DEC: return c->lf_cin;
	case LF_NEG: return a != 0;
	default: return c->rflags & RFLAGS_CF;
	}
}

bool emu_cond(struct emu_cpu *c, unsigned cc)
{
	bool r;
	/* Fast paths for the common compare-and-branch shapes. */
	if (c->lf_op == LF_SUB && (cc & 0xe) != 0 && (cc & 0xe) != 0xa) {
		unsigned size = c->lf_size;
		uint64_t m = emu_mask(size);
		uint64_t a = c->lf_a & m, b = c->lf_b & m;
		int64_t sa = (int64_t)emu_sext(a, size), sb = (int64_t)emu_sext(b, size);
		switch (cc & 0xe) {
		case 0x2: r = a < b; break;
		case 0x4: r = a == b; break;
		case 0x6: r = a <= b; break;
		case 0x8: r = (c->lf_res >> (size * 8 - 1)) & 1; break;
		case 0xc: r = sa < sb; break;
		default: r = sa <= sb; break; /* 0xe */
		}
		return r ^ (cc & 1);
	}
	/* ZF and SF come from the result for every lazy operation */
	if (c->lf_op != LF_NONE && ((cc & 0xe) == 4 || (cc & 0xe) == 8)) {
		if ((cc & 0xe) == 4)
			r = (c->lf_res & emu_mask(c->lf_size)) == 0;
		else
			r = (c->lf_res >> (c->lf_size * 8 - 1)) & 1;
		return r ^ (cc & 1);
	}
	if (c->lf_op == LF_LOGIC && (cc & 0xc) == 0xc) { /* OF=0: L is SF, LE is ZF|SF */
		uint64_t res = c->lf_res & emu_mask(c->lf_size);
		r = (res >> (c->lf_size * 8 - 1)) & 1;
		if (cc & 2)
			r = r || res == 0;
		return r ^ (cc & 1);
	}
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
