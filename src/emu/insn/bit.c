/*
 * bit.c - BT BTS BTR BTC (register and immediate offsets) and BSF BSR.
 *
 * With a memory operand and a register offset the offset is a signed bit
 * index relative to the operand's address (it can reach outside it); with
 * an immediate or a register operand it is taken modulo the operand width.
 * BT* change only CF; the other status flags are undefined and left as they
 * were. BSF/BSR set ZF; a zero source leaves the destination unchanged (as
 * AMD documents); other flags are left unchanged.
 */
#include "emu/insn/handlers.h"

enum { B_BT, B_BTS, B_BTR, B_BTC };

static void bitop(struct emu_cpu *c, const struct emu_insn *in, unsigned kind, uint64_t off, bool reg_off)
{
	unsigned size = in->osz, bits = size * 8;
	uint64_t a, ea = 0, r;
	unsigned bit;
	if (in->mod == 3) {
		bit = (unsigned)(off & (bits - 1));
		a = emu_reg_get(c, in, in->rm, size);
	} else {
		ea = emu_ea(c, in);
		if (reg_off) {
			int64_t so = (int64_t)emu_sext(off, size);
			ea += (uint64_t)((so >> (size == 8 ? 6 : size == 4 ? 5 : 4)) * (int64_t)size);
			if (in->asz == 4)
				ea &= 0xffffffff;
		}
		bit = (unsigned)(off & (bits - 1));
		a = kind == B_BT ? emu_rd(c, in->seg, ea, size) : emu_rd_rmw(c, in->seg, ea, size);
	}
	bool cf = (a >> bit) & 1;
	switch (kind) {
	case B_BTS: r = a | (1ull << bit); break;
	case B_BTR: r = a & ~(1ull << bit); break;
	case B_BTC: r = a ^ (1ull << bit); break;
	default: r = a; break;
	}
	if (kind != B_BT) {
		if (in->mod == 3)
			emu_reg_set(c, in, in->rm, size, r);
		else
			emu_wr(c, in->seg, ea, size, r);
	}
	emu_set_status(c, RFLAGS_CF, cf ? RFLAGS_CF : 0);
}

EMU_HANDLER(bt_EvGv) { bitop(c, in, B_BT, emu_reg_get(c, in, in->reg, in->osz), true); }
EMU_HANDLER(bts_EvGv) { bitop(c, in, B_BTS, emu_reg_get(c, in, in->reg, in->osz), true); }
EMU_HANDLER(btr_EvGv) { bitop(c, in, B_BTR, emu_reg_get(c, in, in->reg, in->osz), true); }
EMU_HANDLER(btc_EvGv) { bitop(c, in, B_BTC, emu_reg_get(c, in, in->reg, in->osz), true); }
EMU_HANDLER(bt_EvIb) { bitop(c, in, B_BT, in->imm & 0xff, false); }
EMU_HANDLER(bts_EvIb) { bitop(c, in, B_BTS, in->imm & 0xff, false); }
EMU_HANDLER(btr_EvIb) { bitop(c, in, B_BTR, in->imm & 0xff, false); }
EMU_HANDLER(btc_EvIb) { bitop(c, in, B_BTC, in->imm & 0xff, false); }

EMU_HANDLER(bsf_GvEv)
{
	uint64_t v = emu_rm_get(c, in, in->osz);
	if (!v) {
		emu_set_status(c, RFLAGS_ZF, RFLAGS_ZF);
		return;
	}
	emu_reg_set(c, in, in->reg, in->osz, (uint64_t)__builtin_ctzll(v));
	emu_set_status(c, RFLAGS_ZF, 0);
}

EMU_HANDLER(bsr_GvEv)
{
	uint64_t v = emu_rm_get(c, in, in->osz);
	if (!v) {
		emu_set_status(c, RFLAGS_ZF, RFLAGS_ZF);
		return;
	}
	emu_reg_set(c, in, in->reg, in->osz, (uint64_t)(63 - __builtin_clzll(v)));
	emu_set_status(c, RFLAGS_ZF, 0);
}
