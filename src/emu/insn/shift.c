/*
 * shift.c - SHL/SAL SHR SAR ROL ROR RCL RCR (group 2) and SHLD SHRD.
 *
 * The count is masked to 5 bits (6 for 64-bit operands); a masked count of
 * zero changes neither the operand nor any flag. OF is defined for a count
 * of 1; for larger counts we apply the same formula (what AMD Zen does for
 * the shifts). AF is undefined for shifts: we clear it. Counts beyond the
 * operand width (8/16-bit SHL/SHR, SHLD/SHRD of 16 bits) give the results
 * documented next to each case.
 */
#include "emu/insn/handlers.h"
#include "emu/insn/shift.h"

EMU_HANDLER(shift_EbIb) { shift_rm(c, in, 1, (unsigned)in->imm & 0xff); }
EMU_HANDLER(shift_EvIb) { shift_rm(c, in, in->osz, (unsigned)in->imm & 0xff); }
EMU_HANDLER(shift_Eb1) { shift_rm(c, in, 1, 1); }
EMU_HANDLER(shift_Ev1) { shift_rm(c, in, in->osz, 1); }
EMU_HANDLER(shift_EbCL) { shift_rm(c, in, 1, c->gpr[1] & 0xff); }
EMU_HANDLER(shift_EvCL) { shift_rm(c, in, in->osz, c->gpr[1] & 0xff); }

/*
 * SHLD/SHRD. For 16-bit operands with a count above 16 the result is
 * undefined; we shift through the 48-bit concatenation a:b:a (SHLD) or
 * b:a (SHRD), which is what the long form of the definition gives.
 */
static void shxd(struct emu_cpu *c, const struct emu_insn *in, unsigned cnt, bool left)
{
	unsigned size = in->osz, bits = size * 8;
	uint64_t m = emu_mask(size), sign = 1ull << (bits - 1);
	cnt &= size == 8 ? 63 : 31;
	uint64_t b = emu_reg_get(c, in, in->reg, size);
	uint64_t ea = 0, a;
	if (in->mod == 3) {
		a = emu_reg_get(c, in, in->rm, size);
	} else {
		ea = emu_ea(c, in);
		a = cnt ? emu_rd_rmw(c, in->seg, ea, size) : emu_rd(c, in->seg, ea, size);
	}
	if (!cnt) {
		if (in->mod == 3)
			emu_reg_set(c, in, in->rm, size, a);
		return;
	}
	uint64_t r;
	bool cf;
	if (left) {
		if (size == 2) {
			uint64_t cat = (a << 32) | (b << 16) | a;
			r = (cat << cnt) >> 32 & m;
			cf = (cat >> (48 - cnt)) & 1;
		} else {
			r = ((a << cnt) | (cnt < bits ? b >> (bits - cnt) : 0)) & m;
			cf = (a >> (bits - cnt)) & 1;
		}
	} else {
		if (size == 2) {
			uint64_t cat = (b << 16) | a | (a << 32);
			r = (cat >> cnt) & m;
			cf = (cat >> (cnt - 1)) & 1;
		} else {
			r = ((a >> cnt) | (cnt < bits ? b << (bits - cnt) : 0)) & m;
			cf = (a >> (cnt - 1)) & 1;
		}
	}
	bool of = !!((r ^ a) & sign);
	if (in->mod == 3)
		emu_reg_set(c, in, in->rm, size, r);
	else
		emu_wr(c, in->seg, ea, size, r);
	emu_set_status(c, RFLAGS_STATUS, emu_szp(r, size) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));
}

EMU_HANDLER(shld_EvGvIb) { shxd(c, in, (unsigned)in->imm & 0xff, true); }
EMU_HANDLER(shld_EvGvCL) { shxd(c, in, c->gpr[1] & 0xff, true); }
EMU_HANDLER(shrd_EvGvIb) { shxd(c, in, (unsigned)in->imm & 0xff, false); }
EMU_HANDLER(shrd_EvGvCL) { shxd(c, in, c->gpr[1] & 0xff, false); }
