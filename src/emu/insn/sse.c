/*
 * sse.c - SSE/SSE2 moves and integer operations: MOVUPS/MOVUPD/MOVDQU,
 * MOVAPS/MOVAPD/MOVDQA, MOVNTPS/MOVNTPD/MOVNTDQ, MOVD/MOVQ (GPR and XMM),
 * XORPS/XORPD/PXOR, PCMPEQB, PMOVMSKB. MMX (no-prefix integer) forms are
 * not emulated yet; their rows stay UNIMPL.
 *
 * Every handler starts with emu_sse_check() (#UD: CR0.EM or !CR4.OSFXSR;
 * #NM: CR0.TS). Aligned forms raise #GP(0) on a memory operand that is not
 * 16-byte aligned. 128-bit accesses are all-or-nothing with respect to faults.
 */
#include "emu/insn/handlers.h"
#include "emu/insn/sse.h"

/* ---- 128-bit memory access ---- */
static struct emu_xmm rd128(struct emu_cpu *c, const struct emu_insn *in, bool aligned)
{
	uint64_t la = emu_linear(c, in->seg, emu_ea(c, in));
	struct emu_xmm v;
	if (aligned && (la & 15))
		EMU_GP(c, 0);
	const uint8_t *p = emu_tlb_host(c, la, ACC_R, 16);
	if (p) {
		memcpy(&v, p, 16);
	} else if ((la & 0xfff) <= 0xff0) {
		v.q[0] = emu_mem_read_slow(c, la, 8, ACC_R, c->cpl == 3);
		v.q[1] = emu_mem_read_slow(c, la + 8, 8, ACC_R, c->cpl == 3);
	} else {
		emu_read_block(c, la, &v, 16, c->cpl == 3);
	}
	return v;
}

static void wr128(struct emu_cpu *c, const struct emu_insn *in, bool aligned, struct emu_xmm v)
{
	uint64_t la = emu_linear(c, in->seg, emu_ea(c, in));
	if (aligned && (la & 15))
		EMU_GP(c, 0);
	uint8_t *p = emu_tlb_host(c, la, ACC_W, 16);
	if (p && !c->track_writes) {
		memcpy(p, &v, 16);
	} else if ((la & 0xfff) <= 0xff0) {
		/* one page: the first write's translation covers the second */
		emu_mem_write_slow(c, la, 8, v.q[0], c->cpl == 3);
		emu_mem_write_slow(c, la + 8, 8, v.q[1], c->cpl == 3);
	} else {
		emu_write_block(c, la, &v, 16, c->cpl == 3);
	}
}

static struct emu_xmm src_W(struct emu_cpu *c, const struct emu_insn *in, bool aligned)
{
	if (in->mod == 3)
		return emu_xmm_get(c, in->rm);
	return rd128(c, in, aligned);
}

static void dst_W(struct emu_cpu *c, const struct emu_insn *in, bool aligned, struct emu_xmm v)
{
	if (in->mod == 3)
		emu_xmm_set(c, in->rm, v);
	else
		wr128(c, in, aligned, v);
}

/* ---- moves ---- */
/* MOVUPS/MOVUPD/MOVDQU xmm, xmm/m128 */
EMU_HANDLER(movups_VW)
{
	emu_sse_check(c);
	emu_xmm_set(c, in->reg, src_W(c, in, false));
}
EMU_HANDLER(movups_WV)
{
	emu_sse_check(c);
	dst_W(c, in, false, emu_xmm_get(c, in->reg));
}
/* MOVAPS/MOVAPD/MOVDQA (and the MOVNT stores): 16-byte aligned */
EMU_HANDLER(movaps_VW)
{
	emu_sse_check(c);
	emu_xmm_set(c, in->reg, src_W(c, in, true));
}
EMU_HANDLER(movaps_WV)
{
	emu_sse_check(c);
	dst_W(c, in, true, emu_xmm_get(c, in->reg));
}
EMU_HANDLER(movdqa_VW)
{
	emu_sse_check(c);
	emu_xmm_set(c, in->reg, src_W(c, in, true));
}
EMU_HANDLER(movdqa_WV)
{
	emu_sse_check(c);
	dst_W(c, in, true, emu_xmm_get(c, in->reg));
}

/* 66 [REX.W] 0F 6E: MOVD/MOVQ xmm, r/m32|64 (zero-extends into the register) */
EMU_HANDLER(movd_VEy)
{
	emu_sse_check(c);
	unsigned sz = in->osz == 8 ? 8 : 4;
	struct emu_xmm v = { { emu_rm_get(c, in, sz), 0 } };
	emu_xmm_set(c, in->reg, v);
}
/* 66 [REX.W] 0F 7E: MOVD/MOVQ r/m32|64, xmm */
EMU_HANDLER(movd_EyV)
{
	emu_sse_check(c);
	unsigned sz = in->osz == 8 ? 8 : 4;
	uint64_t v = emu_xmm_get(c, in->reg).q[0];
	emu_rm_set(c, in, sz, sz == 8 ? v : v & 0xffffffff);
}
/* F3 0F 7E: MOVQ xmm, xmm/m64 (upper quadword cleared) */
EMU_HANDLER(movq_VWq)
{
	emu_sse_check(c);
	uint64_t lo = in->mod == 3 ? emu_xmm_get(c, in->rm).q[0] : emu_rd(c, in->seg, emu_ea(c, in), 8);
	struct emu_xmm v = { { lo, 0 } };
	emu_xmm_set(c, in->reg, v);
}
/* 66 0F D6: MOVQ xmm/m64, xmm (a register destination's upper half is cleared) */
EMU_HANDLER(movq_WqV)
{
	emu_sse_check(c);
	uint64_t lo = emu_xmm_get(c, in->reg).q[0];
	if (in->mod == 3) {
		struct emu_xmm v = { { lo, 0 } };
		emu_xmm_set(c, in->rm, v);
	} else {
		emu_wr(c, in->seg, emu_ea(c, in), 8, lo);
	}
}

/* ---- integer / logical ---- */
/* PXOR (66), XORPS (NP), XORPD (66): bitwise, memory operand aligned */
EMU_HANDLER(pxor_VW)
{
	emu_sse_check(c);
	struct emu_xmm a = emu_xmm_get(c, in->reg), b = src_W(c, in, true);
	a.q[0] ^= b.q[0];
	a.q[1] ^= b.q[1];
	emu_xmm_set(c, in->reg, a);
}

/* 66 0F 74: PCMPEQB: each byte 0xff where equal, else 0 */
EMU_HANDLER(pcmpeqb_VW)
{
	emu_sse_check(c);
	struct emu_xmm a = emu_xmm_get(c, in->reg), b = src_W(c, in, true);
	uint8_t x[16], y[16];
	memcpy(x, &a, 16);
	memcpy(y, &b, 16);
	for (unsigned i = 0; i < 16; i++)
		x[i] = x[i] == y[i] ? 0xff : 0;
	memcpy(&a, x, 16);
	emu_xmm_set(c, in->reg, a);
}

/* 66 0F D7 (register source only): PMOVMSKB r32/64, xmm: byte sign bits */
EMU_HANDLER(pmovmskb_GdU)
{
	emu_sse_check(c);
	struct emu_xmm a = emu_xmm_get(c, in->rm);
	uint8_t x[16];
	memcpy(x, &a, 16);
	uint64_t m = 0;
	for (unsigned i = 0; i < 16; i++)
		m |= (uint64_t)(x[i] >> 7) << i;
	c->gpr[in->reg] = m; /* zero-extended to 64 bits */
}
