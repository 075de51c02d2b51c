/*
 * bmi.c - the general-register instructions of x86-64-v3 (opcodes_bmi.def):
 * BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR, TZCNT) and BMI2 (BZHI, MULX,
 * PDEP, PEXT, RORX, SARX, SHLX, SHRX).
 *
 * The VEX forms are 32- or 64-bit: VEX.W selects 64 bits in 64-bit mode,
 * and outside it the operand size is 32 whatever VEX.W says (SDM vol. 2,
 * each instruction's "In 32-bit mode VEX.W1 is ignored"). A 32-bit result
 * is zero-extended into the 64-bit register, as every 32-bit GPR write.
 * Operands: ModRM.reg is the destination (Gy), ModRM.r/m a register or
 * memory source (Ey), VEX.vvvv the second source (By), except BLSI,
 * BLSMSK and BLSR, whose destination is vvvv, and MULX, which writes two.
 *
 * Status flags, defined ones per the SDM, the undefined ones as AMD Zen 4
 * sets them (the rows flag them U*, so rax-diff ignores them on CPUs that
 * differ):
 *   ANDN              SF ZF PF of the result; OF CF AF clear.
 *   BLSI              SF ZF PF of the result; CF = source != 0; OF AF clear.
 *   BLSMSK, BLSR      SF ZF PF of the result; CF = source == 0; OF AF clear.
 *   BZHI              SF ZF PF of the result; CF = index > width - 1; OF AF clear.
 *   BEXTR             ZF PF of the result; AF set; SF OF CF clear.
 *   TZCNT             CF = source == 0, ZF = result == 0; SF AF PF clear;
 *                     OF unchanged.
 *   MULX PDEP PEXT RORX SARX SHLX SHRX: no flag changes.
 * The implementation is portable C: no host BMI instructions.
 */
#include "emu/insn/handlers.h"

/* The VEX form's operand size: 8 with VEX.W in 64-bit mode, else 4 (the
 * decoder leaves osz 4 outside 64-bit mode). */
static inline unsigned vsz(const struct emu_insn *in) { return in->osz == 8 ? 8 : 4; }

/* SF ZF PF of res (size bytes) plus the extra bits; every other status flag clear. */
static inline void set_szp(struct emu_cpu *c, uint64_t res, unsigned size, uint64_t extra)
{
	emu_set_status(c, RFLAGS_STATUS, emu_szp(res, size) | extra);
}

/* VEX.NP 0F38 F2: ANDN Gy, By, Ey - Gy = ~By & Ey */
EMU_HANDLER(andn_GyByEy)
{
	unsigned size = vsz(in);
	uint64_t b = emu_rm_get(c, in, size);
	uint64_t a = emu_reg_get(c, in, in->vvvv, size);
	uint64_t r = ~a & b & emu_mask(size);
	emu_reg_set(c, in, in->reg, size, r);
	emu_lazy(c, LF_LOGIC, size, a, b, r); /* SF ZF PF of r, OF CF AF clear */
}

/* VEX.NP 0F38 F3 /1: BLSR By, Ey - reset the lowest set bit: src & (src - 1) */
EMU_HANDLER(blsr_ByEy)
{
	unsigned size = vsz(in);
	uint64_t s = emu_rm_get(c, in, size);
	uint64_t r = s & (s - 1) & emu_mask(size);
	emu_reg_set(c, in, in->vvvv, size, r);
	set_szp(c, r, size, s ? 0 : RFLAGS_CF);
}

/* VEX.NP 0F38 F3 /2: BLSMSK By, Ey - mask up to the lowest set bit: src ^ (src - 1) */
EMU_HANDLER(blsmsk_ByEy)
{
	unsigned size = vsz(in);
	uint64_t s = emu_rm_get(c, in, size);
	uint64_t r = (s ^ (s - 1)) & emu_mask(size); /* never 0: ZF clear */
	emu_reg_set(c, in, in->vvvv, size, r);
	set_szp(c, r, size, s ? 0 : RFLAGS_CF);
}

/* VEX.NP 0F38 F3 /3: BLSI By, Ey - isolate the lowest set bit: src & -src */
EMU_HANDLER(blsi_ByEy)
{
	unsigned size = vsz(in);
	uint64_t s = emu_rm_get(c, in, size);
	uint64_t r = s & (0 - s) & emu_mask(size);
	emu_reg_set(c, in, in->vvvv, size, r);
	set_szp(c, r, size, s ? RFLAGS_CF : 0);
}

/*
 * VEX.NP 0F38 F7: BEXTR Gy, Ey, By - bit field extract. By[7:0] is the
 * start bit, By[15:8] the length; bits past the operand's top read as 0,
 * so a start >= width gives 0 and a length >= width everything from start
 * up. The rest of By is ignored.
 */
EMU_HANDLER(bextr_GyEyBy)
{
	unsigned size = vsz(in), bits = size * 8;
	uint64_t s = emu_rm_get(c, in, size);
	uint64_t ctl = emu_reg_get(c, in, in->vvvv, size);
	unsigned start = (unsigned)(ctl & 0xff), len = (unsigned)((ctl >> 8) & 0xff);
	uint64_t r = start < bits ? s >> start : 0;
	if (len < 64)
		r &= (1ull << len) - 1;
	emu_reg_set(c, in, in->reg, size, r);
	emu_set_status(c, RFLAGS_STATUS, (emu_szp(r, size) & ~(uint64_t)RFLAGS_SF) | RFLAGS_AF);
}

/*
 * VEX.NP 0F38 F5: BZHI Gy, Ey, By - zero the bits from index By[7:0] up;
 * an index >= width copies the source unchanged and sets CF.
 */
EMU_HANDLER(bzhi_GyEyBy)
{
	unsigned size = vsz(in), bits = size * 8;
	uint64_t s = emu_rm_get(c, in, size);
	unsigned n = (unsigned)(emu_reg_get(c, in, in->vvvv, size) & 0xff);
	uint64_t r = n < bits ? s & ((1ull << n) - 1) : s;
	emu_reg_set(c, in, in->reg, size, r);
	set_szp(c, r, size, n > bits - 1 ? RFLAGS_CF : 0);
}

/* VEX.F2 0F38 F5: PDEP Gy, By, Ey - the low bits of By, in order, to the set bits of the mask Ey */
EMU_HANDLER(pdep_GyByEy)
{
	unsigned size = vsz(in);
	uint64_t m = emu_rm_get(c, in, size);
	uint64_t s = emu_reg_get(c, in, in->vvvv, size), r = 0;
	for (uint64_t k = 1; m; m &= m - 1, k <<= 1)
		if (s & k)
			r |= m & (0 - m); /* the lowest remaining mask bit */
	emu_reg_set(c, in, in->reg, size, r);
}

/* VEX.F3 0F38 F5: PEXT Gy, By, Ey - the bits of By at the set bits of the mask Ey, packed to the low end */
EMU_HANDLER(pext_GyByEy)
{
	unsigned size = vsz(in);
	uint64_t m = emu_rm_get(c, in, size);
	uint64_t s = emu_reg_get(c, in, in->vvvv, size), r = 0;
	for (uint64_t k = 1; m; m &= m - 1, k <<= 1)
		if (s & m & (0 - m))
			r |= k;
	emu_reg_set(c, in, in->reg, size, r);
}

/*
 * VEX.F2 0F38 F6: MULX Gy, By, Ey - unsigned rDX * Ey; the low half to By
 * (vvvv), then the high half to Gy (ModRM.reg), so that the high half is
 * what remains when both name the same register (SDM vol. 2, MULX).
 */
EMU_HANDLER(mulx_GyByEy)
{
	unsigned size = vsz(in);
	uint64_t b = emu_rm_get(c, in, size);
	uint64_t a = emu_reg_get(c, in, RAX_REG_RDX, size), hi, lo = emu_umul(a, b, size, &hi);
	emu_reg_set(c, in, in->vvvv, size, lo);
	emu_reg_set(c, in, in->reg, size, hi);
}

/* VEX.F2 0F3A F0: RORX Gy, Ey, Ib - rotate right by imm8 modulo the width */
EMU_HANDLER(rorx_GyEyIb)
{
	unsigned size = vsz(in), bits = size * 8;
	uint64_t s = emu_rm_get(c, in, size);
	unsigned n = (unsigned)in->imm & (bits - 1);
	uint64_t r = n ? (s >> n | s << (bits - n)) & emu_mask(size) : s;
	emu_reg_set(c, in, in->reg, size, r);
}

/* SARX SHLX SHRX Gy, Ey, By: Ey shifted by By modulo the width */
enum { SX_SHL, SX_SHR, SX_SAR };
static void shiftx(struct emu_cpu *c, const struct emu_insn *in, unsigned kind)
{
	unsigned size = vsz(in), bits = size * 8;
	uint64_t s = emu_rm_get(c, in, size);
	unsigned n = (unsigned)(emu_reg_get(c, in, in->vvvv, size) & (bits - 1));
	uint64_t r;
	switch (kind) {
	case SX_SHL: r = s << n; break;
	case SX_SHR: r = s >> n; break;
	default: r = (uint64_t)((int64_t)emu_sext(s, size) >> n); break;
	}
	emu_reg_set(c, in, in->reg, size, r & emu_mask(size));
}

/* VEX.66 0F38 F7: SHLX */
EMU_HANDLER(shlx_GyEyBy) { shiftx(c, in, SX_SHL); }
/* VEX.F2 0F38 F7: SHRX */
EMU_HANDLER(shrx_GyEyBy) { shiftx(c, in, SX_SHR); }
/* VEX.F3 0F38 F7: SARX */
EMU_HANDLER(sarx_GyEyBy) { shiftx(c, in, SX_SAR); }

/*
 * F3 0F BC: TZCNT Gv, Ev (16/32/64) - count trailing zero bits; a zero
 * source gives the operand width with CF set. ZF: the result is 0.
 */
EMU_HANDLER(tzcnt_GvEv)
{
	unsigned bits = in->osz * 8;
	uint64_t v = emu_rm_get(c, in, in->osz);
	unsigned n = v ? (unsigned)__builtin_ctzll(v) : bits;
	emu_reg_set(c, in, in->reg, in->osz, n);
	emu_set_status(c, RFLAGS_STATUS & ~(uint64_t)RFLAGS_OF, (v ? 0 : RFLAGS_CF) | (n ? 0 : RFLAGS_ZF));
}
