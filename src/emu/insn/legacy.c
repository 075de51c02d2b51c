/*
 * legacy.c - instructions that exist only outside 64-bit mode (I64 rows of
 * opcodes.def): INC/DEC r (40-4F), the BCD adjusts DAA DAS AAA AAS AAM AAD,
 * PUSHA/POPA and ARPL. (PUSH/POP ES CS SS DS and LES/LDS are in data.c,
 * far JMP/CALL ptr16:32, INTO and BOUND in control.c.)
 *
 * The BCD adjusts follow the SDM pseudocode; flags it leaves undefined are
 * cleared (OF for DAA/DAS; OF SF ZF PF for AAA/AAS; OF AF CF for AAM/AAD).
 */
#include "emu/insn/handlers.h"
#include "emu/legacy.h"

static void incdec_reg(struct emu_cpu *c, const struct emu_insn *in, bool dec)
{
	unsigned size = in->osz;
	uint64_t a = emu_reg_get(c, in, in->opreg, size);
	uint64_t r = dec ? a - 1 : a + 1;
	emu_reg_set(c, in, in->opreg, size, r);
	bool cf = emu_cf(c); /* INC/DEC keep CF */
	emu_lazy(c, dec ? LF_DEC : LF_INC, size, a, 1, r);
	c->lf_cin = cf;
}
EMU_HANDLER(inc_Zv) { incdec_reg(c, in, false); }
EMU_HANDLER(dec_Zv) { incdec_reg(c, in, true); }

static void set_al(struct emu_cpu *c, uint64_t al) { c->gpr[0] = (c->gpr[0] & ~0xffull) | (al & 0xff); }

EMU_HANDLER(daa)
{
	uint64_t f = emu_get_flags(c);
	unsigned al = c->gpr[0] & 0xff, old_al = al;
	bool old_cf = f & RFLAGS_CF, cf = false, af = false;
	if ((al & 0xf) > 9 || (f & RFLAGS_AF)) {
		cf = old_cf || al + 6 > 0xff;
		al = (al + 6) & 0xff;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = (al + 0x60) & 0xff;
		cf = true;
	} else {
		cf = false;
	}
	set_al(c, al);
	emu_set_status(c, RFLAGS_STATUS, emu_szp(al, 1) | (cf ? RFLAGS_CF : 0) | (af ? RFLAGS_AF : 0));
}

EMU_HANDLER(das)
{
	uint64_t f = emu_get_flags(c);
	unsigned al = c->gpr[0] & 0xff, old_al = al;
	bool old_cf = f & RFLAGS_CF, cf = false, af = false;
	if ((al & 0xf) > 9 || (f & RFLAGS_AF)) {
		cf = old_cf || al < 6;
		al = (al - 6) & 0xff;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = (al - 0x60) & 0xff;
		cf = true;
	}
	set_al(c, al);
	emu_set_status(c, RFLAGS_STATUS, emu_szp(al, 1) | (cf ? RFLAGS_CF : 0) | (af ? RFLAGS_AF : 0));
}

static void ascii_adjust(struct emu_cpu *c, bool sub)
{
	uint64_t f = emu_get_flags(c);
	uint64_t ax = c->gpr[0] & 0xffff;
	bool adj = (ax & 0xf) > 9 || (f & RFLAGS_AF);
	if (adj)
		ax = sub ? ((ax - 6) & 0xff) | ((((ax >> 8) - 1) & 0xff) << 8) : ax + 0x106;
	ax &= 0xff0f;
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | ax;
	emu_set_status(c, RFLAGS_STATUS, adj ? RFLAGS_AF | RFLAGS_CF : 0);
}
EMU_HANDLER(aaa) { ascii_adjust(c, false); }
EMU_HANDLER(aas) { ascii_adjust(c, true); }

EMU_HANDLER(aam_Ib)
{
	unsigned base = in->imm & 0xff, al = c->gpr[0] & 0xff;
	if (!base)
		emu_raise(c, EXC_DE, 0, 0);
	unsigned ah = al / base;
	al %= base;
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | (ah << 8) | al;
	emu_set_status(c, RFLAGS_STATUS, emu_szp(al, 1));
}

EMU_HANDLER(aad_Ib)
{
	unsigned base = in->imm & 0xff;
	unsigned al = (unsigned)((c->gpr[0] & 0xff) + ((c->gpr[0] >> 8) & 0xff) * base) & 0xff;
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | al;
	emu_set_status(c, RFLAGS_STATUS, emu_szp(al, 1));
}

/* PUSHA: AX CX DX BX, the original SP, BP SI DI. */
EMU_HANDLER(pusha)
{
	unsigned sz = in->osz;
	uint64_t sp = c->gpr[RAX_REG_RSP];
	for (unsigned r = 0; r < 8; r++)
		emu_push_leg(c, sz, r == RAX_REG_RSP ? sp : c->gpr[r]);
}

/* POPA: the reverse, skipping the stored SP; all reads before any write. */
EMU_HANDLER(popa)
{
	unsigned sz = in->osz;
	uint64_t v[8];
	for (unsigned k = 0; k < 8; k++)
		v[7 - k] = emu_stk_peek(c, in, (uint64_t)k * sz, sz);
	for (unsigned r = 0; r < 8; r++)
		if (r != RAX_REG_RSP)
			emu_reg_set(c, in, r, sz, v[r]);
	emu_sp_set_leg(c, c->gpr[RAX_REG_RSP] + 8 * sz);
}

/* ARPL: raise the destination selector's RPL to the source's; ZF says so. */
EMU_HANDLER(arpl_EwGw)
{
	uint64_t d = emu_rm_get(c, in, 2), s = emu_reg_get(c, in, in->reg, 2);
	if ((d & 3) < (s & 3)) {
		emu_rm_set(c, in, 2, (d & ~3ull) | (s & 3));
		emu_set_status(c, RFLAGS_ZF, RFLAGS_ZF);
	} else {
		emu_set_status(c, RFLAGS_ZF, 0);
	}
}
