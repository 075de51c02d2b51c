/*
 * sse.c - SSE/SSE2/MMX data movement: MOVUPS/MOVUPD/MOVDQU, MOVAPS/MOVAPD/
 * MOVDQA, the non-temporal stores (MOVNTPS/PD/DQ, MOVNTQ) and MASKMOVQ/
 * MASKMOVDQU, MOVSS/MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVHLPS/MOVLHPS,
 * MOVD/MOVQ in all forms (GPR, XMM, MMX), MOVQ2DQ/MOVDQ2Q, MOVMSKPS/PD and
 * PMOVMSKB, the shuffles (SHUFPS/PD, PSHUFD/HW/LW, PSHUFW), PINSRW/PEXTRW,
 * and the MMX-state helpers of sse.h.
 *
 * Fault rules (SDM vol. 2 "exceptions type 4/5" and the MMX tables): every
 * handler starts with emu_sse_check() (XMM forms) or emu_mmx_check() (MMX
 * forms); 16-byte memory operands of the aligned forms raise #GP(0) when not
 * 16-byte aligned, the explicitly unaligned forms (MOVUPS/MOVUPD/MOVDQU) and
 * 8/4/2-byte operands never do. Loads and checks come first, then the
 * commit, so a fault leaves registers unchanged.
 *
 * The XMM handlers also serve the VEX forms (rows in opcodes_avx.def; SDM
 * vol. 2, 2.3 and each instruction's VEX entries): the first source of a
 * three-operand form is VEX.vvvv (emu_sse_A), a VEX.128 or scalar result
 * zeroes bits 255:128 of the destination, VEX memory operands are aligned
 * only for VMOVAPS/APD/DQA and the VMOVNT stores (row flag VA, 32 bytes for
 * VEX.256), and VEX.256 moves and shuffles work on each 128-bit lane
 * (EMU_VEX_LANES). VZEROUPPER/VZEROALL are here too.
 */
#include "emu/insn/sse.h"

#include "emu/insn/handlers.h"
#include "layout.h"

/* ---- shared helpers (sse.h) ---- */

void emu_mmx_rotate(struct emu_cpu *c)
{
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned top = (f->fsw >> 11) & 7;
	uint8_t old[8][16];
	memcpy(old, f->st, sizeof(old));
	/* st[i] is ST(i) = physical (TOP + i) & 7; with TOP = 0 it is physical i */
	for (unsigned i = 0; i < 8; i++)
		memcpy(f->st[i], old[(i - top) & 7], 16);
	f->fsw &= (uint16_t)~FSW_TOP;
}

/* The address of the current lane's 16 bytes, and whether they must be aligned. */
static inline uint64_t lane_ea(struct emu_cpu *c, const struct emu_insn *in, bool *aligned)
{
	uint64_t ea = emu_ea(c, in);
	if (__builtin_expect(in->vex != 0, 0)) {
		*aligned = (emu_oprows[in->row].flags & EMU_F_VA) != 0;
		ea += 16u * c->vlane;
	}
	return ea;
}

void emu_vreg_st_lane(struct emu_cpu *c, const struct emu_insn *in, unsigned r, __m128i v)
{
	if (c->vlanes == 2) {
		/* held back until both lanes ran (emu_vex_lanes_next) */
		_mm_storeu_si128((__m128i *)(void *)c->vhold[c->vlane], v);
		c->vhold_reg = (uint8_t)r;
		return;
	}
	emu_xmm_st(c, r, v);
	if (!(in->vex & EMU_VEX_L))
		emu_ymmh_zero(c, r);
}

/* EMU_VEX_LANES for a VEX.256 form (VEX.L = 1): two lanes for a LANE row */
void emu_vex_lanes_begin256(struct emu_cpu *c, const struct emu_insn *in, int acc)
{
	c->vhold_reg = 0xff;
	if (!(emu_oprows[in->row].flags & EMU_F_LANE))
		return;
	if (in->mod != 3) {
		/* the whole 32 bytes first: limit, alignment, both pages */
		uint64_t la = emu_linear_acc(c, in->seg, emu_ea(c, in), 32, acc);
		if ((emu_oprows[in->row].flags & EMU_F_VA) && (la & 31))
			EMU_GP(c, 0);
		emu_access_check(c, in->seg, emu_ea(c, in), 32, acc);
	}
	c->vlanes = 2;
}

/* Both lanes ran: the held results go to the destination */
void emu_vex_lanes_commit(struct emu_cpu *c)
{
	if (c->vhold_reg != 0xff) {
		memcpy(c->s.fpu.xmm[c->vhold_reg & 15], c->vhold[0], 16);
		memcpy(c->s.fpu.ymmh[c->vhold_reg & 15], c->vhold[1], 16);
	}
	c->vlanes = 1;
}

__m128i emu_sse_rd128(struct emu_cpu *c, const struct emu_insn *in, bool aligned)
{
	uint64_t la = emu_linear_acc(c, in->seg, lane_ea(c, in, &aligned), 16, ACC_R);
	if (aligned && (la & 15))
		EMU_GP(c, 0);
	const uint8_t *p = emu_tlb_host(c, la, ACC_R, 16);
	if (p)
		return _mm_loadu_si128((const __m128i *)(const void *)p);
	uint64_t q[2];
	if ((la & GUEST_PAGE_OFFSET) <= GUEST_PAGE_SIZE - 16) {
		q[0] = emu_mem_read_slow(c, la, 8, ACC_R, c->cpl == 3);
		q[1] = emu_mem_read_slow(c, la + 8, 8, ACC_R, c->cpl == 3);
	} else {
		emu_read_block(c, la, q, 16, c->cpl == 3);
	}
	return emu_v_q(q[0], q[1]);
}

void emu_sse_wr128(struct emu_cpu *c, const struct emu_insn *in, bool aligned, __m128i v)
{
	uint64_t la = emu_linear_acc(c, in->seg, lane_ea(c, in, &aligned), 16, ACC_W);
	if (aligned && (la & 15))
		EMU_GP(c, 0);
	uint8_t *p = emu_tlb_host(c, la, ACC_W, 16);
	if (p && !c->track_writes) {
		_mm_storeu_si128((__m128i *)(void *)p, v);
	} else if ((la & GUEST_PAGE_OFFSET) <= GUEST_PAGE_SIZE - 16) {
		/* one page: the first write's translation covers the second */
		emu_mem_write_slow(c, la, 8, emu_v_lo(v), c->cpl == 3);
		emu_mem_write_slow(c, la + 8, 8, emu_v_hi(v), c->cpl == 3);
	} else {
		uint64_t q[2] = { emu_v_lo(v), emu_v_hi(v) };
		emu_write_block(c, la, q, 16, c->cpl == 3);
	}
}

/* Destination xmm/m128 (the current lane of ymm/m256) */
static void dst_W(struct emu_cpu *c, const struct emu_insn *in, bool aligned, __m128i v)
{
	if (in->mod == 3)
		emu_vreg_st(c, in, in->rm, v);
	else
		emu_sse_wr128(c, in, aligned, v);
}

/* Write a 128-bit result to XMM r: a VEX form of an instruction that has
 * no 256-bit form (scalar and half moves, VMOVD/VMOVQ, VPINSRW) zeroes bits
 * 255:128 whatever VEX.L says; a legacy form leaves them alone. */
static inline void st128(struct emu_cpu *c, const struct emu_insn *in, unsigned r, __m128i v)
{
	emu_xmm_st(c, r, v);
	if (in->vex)
		emu_ymmh_zero(c, r);
}

/* Bits 255:128 of YMM r */
static inline __m128i ymmh_ld(const struct emu_cpu *c, unsigned r)
{
	return _mm_loadu_si128((const __m128i *)(const void *)c->s.fpu.ymmh[r & 15]);
}

static inline uint64_t mem_rd(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	return emu_rd(c, in->seg, emu_ea(c, in), size);
}
static inline void mem_wr(struct emu_cpu *c, const struct emu_insn *in, unsigned size, uint64_t v)
{
	emu_wr(c, in->seg, emu_ea(c, in), size, v);
}

/* ---- full-register moves ---- */
/* MOVUPS/MOVUPD/MOVDQU xmm, xmm/m128 (VMOVUPS/UPD/DQU xmm/ymm) */
EMU_HANDLER(movups_VW)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R) { emu_sse_D(c, in, emu_sse_W(c, in, false)); }
}
EMU_HANDLER(movups_WV)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_W) { dst_W(c, in, false, emu_vreg_ld(c, in->reg)); }
}
/* MOVAPS/MOVAPD (and the MOVNTPS/MOVNTPD stores): 16-byte aligned (VEX:
 * 16 or 32 bytes, by the row's VA flag) */
EMU_HANDLER(movaps_VW)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R) { emu_sse_D(c, in, emu_sse_W(c, in, true)); }
}
EMU_HANDLER(movaps_WV)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_W) { dst_W(c, in, true, emu_vreg_ld(c, in->reg)); }
}
/* MOVDQA (and the MOVNTDQ store) */
EMU_HANDLER(movdqa_VW)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R) { emu_sse_D(c, in, emu_sse_W(c, in, true)); }
}
EMU_HANDLER(movdqa_WV)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_W) { dst_W(c, in, true, emu_vreg_ld(c, in->reg)); }
}

/* ---- scalar moves ---- */
/* The register forms of VMOVSS/VMOVSD merge three registers: dst = the low
 * element (size bytes) of lo, the rest of hi (VEX.vvvv); bits 255:128 zero. */
static void vmov_merge(struct emu_cpu *c, const struct emu_insn *in, unsigned dst, unsigned lo, unsigned size)
{
	uint8_t r[16];
	memcpy(r, c->s.fpu.xmm[in->vvvv & 15], 16);
	memcpy(r, c->s.fpu.xmm[lo & 15], size);
	st128(c, in, dst, _mm_loadu_si128((const __m128i *)(const void *)r));
}

/* F3 0F 10: MOVSS xmm, xmm (low dword only) / xmm, m32 (upper 96 bits
 * cleared). VEX: VMOVSS xmm1, xmm2, xmm3 (xmm3's low dword, xmm2's upper
 * 96 bits) / VMOVSS xmm1, m32. */
EMU_HANDLER(movss_VW)
{
	emu_sse_check(c, in);
	if (in->mod != 3) {
		uint64_t v = mem_rd(c, in, 4);
		st128(c, in, in->reg, emu_v_q(v, 0));
	} else if (in->vex) {
		vmov_merge(c, in, in->reg, in->rm, 4);
	} else {
		memcpy(c->s.fpu.xmm[in->reg], c->s.fpu.xmm[in->rm], 4);
	}
}
/* F3 0F 11: MOVSS xmm/m32, xmm. VEX: VMOVSS xmm1 (rm), xmm2, xmm3 (reg) / VMOVSS m32, xmm1 */
EMU_HANDLER(movss_WV)
{
	emu_sse_check(c, in);
	if (in->mod != 3) {
		uint32_t v;
		memcpy(&v, c->s.fpu.xmm[in->reg], 4);
		mem_wr(c, in, 4, v);
	} else if (in->vex) {
		vmov_merge(c, in, in->rm, in->reg, 4);
	} else {
		memcpy(c->s.fpu.xmm[in->rm], c->s.fpu.xmm[in->reg], 4);
	}
}
/* F2 0F 10: MOVSD xmm, xmm (low qword only) / xmm, m64 (upper qword
 * cleared); VEX as VMOVSS */
EMU_HANDLER(movsd_VW)
{
	emu_sse_check(c, in);
	if (in->mod != 3)
		st128(c, in, in->reg, emu_v_q(mem_rd(c, in, 8), 0));
	else if (in->vex)
		vmov_merge(c, in, in->reg, in->rm, 8);
	else
		emu_xmm_set_q(c, in->reg, 0, emu_xmm_q(c, in->rm, 0));
}
/* F2 0F 11: MOVSD xmm/m64, xmm; VEX as VMOVSS */
EMU_HANDLER(movsd_WV)
{
	emu_sse_check(c, in);
	if (in->mod != 3)
		mem_wr(c, in, 8, emu_xmm_q(c, in->reg, 0));
	else if (in->vex)
		vmov_merge(c, in, in->rm, in->reg, 8);
	else
		emu_xmm_set_q(c, in->rm, 0, emu_xmm_q(c, in->reg, 0));
}

/* ---- half-register moves ----
 * The VEX forms have three operands: the other qword comes from VEX.vvvv
 * (emu_sse_A; the legacy forms keep the destination's), and the stores
 * have no VEX.vvvv (NV); all are VEX.128 only (VL0). */
/* A result [lo, hi] in XMM r */
static inline void st_q2(struct emu_cpu *c, const struct emu_insn *in, unsigned r, uint64_t lo, uint64_t hi)
{
	st128(c, in, r, emu_v_q(lo, hi));
}
/* NP 0F 12 /r (register): MOVHLPS xmm1, xmm2: low qword = xmm2's high qword;
 * VMOVHLPS xmm1, xmm2, xmm3: [xmm3.hi, xmm2.hi] */
EMU_HANDLER(movhlps_VU)
{
	emu_sse_check(c, in);
	st_q2(c, in, in->reg, emu_xmm_q(c, in->rm, 1), emu_v_hi(emu_sse_A(c, in)));
}
/* NP/66 0F 12 (memory): MOVLPS/MOVLPD xmm, m64; VMOVLPS/PD xmm1, xmm2, m64: [m64, xmm2.hi] */
EMU_HANDLER(movlps_VM)
{
	emu_sse_check(c, in);
	uint64_t m = mem_rd(c, in, 8);
	st_q2(c, in, in->reg, m, emu_v_hi(emu_sse_A(c, in)));
}
/* NP/66 0F 13 (memory): MOVLPS/MOVLPD m64, xmm */
EMU_HANDLER(movlps_MV)
{
	emu_sse_check(c, in);
	mem_wr(c, in, 8, emu_xmm_q(c, in->reg, 0));
}
/* NP 0F 16 /r (register): MOVLHPS xmm1, xmm2: high qword = xmm2's low qword;
 * VMOVLHPS xmm1, xmm2, xmm3: [xmm2.lo, xmm3.lo] */
EMU_HANDLER(movlhps_VU)
{
	emu_sse_check(c, in);
	st_q2(c, in, in->reg, emu_v_lo(emu_sse_A(c, in)), emu_xmm_q(c, in->rm, 0));
}
/* NP/66 0F 16 (memory): MOVHPS/MOVHPD xmm, m64; VMOVHPS/PD xmm1, xmm2, m64: [xmm2.lo, m64] */
EMU_HANDLER(movhps_VM)
{
	emu_sse_check(c, in);
	uint64_t m = mem_rd(c, in, 8);
	st_q2(c, in, in->reg, emu_v_lo(emu_sse_A(c, in)), m);
}
/* NP/66 0F 17 (memory): MOVHPS/MOVHPD m64, xmm */
EMU_HANDLER(movhps_MV)
{
	emu_sse_check(c, in);
	mem_wr(c, in, 8, emu_xmm_q(c, in->reg, 1));
}

/* ---- MOVD / MOVQ ----
 * The operand size is 64 bits with REX.W, or VEX.W in 64-bit mode (the
 * decoder's osz); VEX forms are VEX.128 only with no VEX.vvvv. */
/* 66 [REX.W] 0F 6E: MOVD/MOVQ xmm, r/m32|64 (zero-extends into the register) */
EMU_HANDLER(movd_VEy)
{
	emu_sse_check(c, in);
	unsigned sz = in->osz == 8 ? 8 : 4;
	st128(c, in, in->reg, emu_v_q(emu_rm_get(c, in, sz), 0));
}
/* 66 [REX.W] 0F 7E: MOVD/MOVQ r/m32|64, xmm */
EMU_HANDLER(movd_EyV)
{
	emu_sse_check(c, in);
	unsigned sz = in->osz == 8 ? 8 : 4;
	uint64_t v = emu_xmm_q(c, in->reg, 0);
	emu_rm_set(c, in, sz, sz == 8 ? v : v & 0xffffffff);
}
/* F3 0F 7E: MOVQ xmm, xmm/m64 (upper quadword cleared) */
EMU_HANDLER(movq_VWq)
{
	emu_sse_check(c, in);
	uint64_t lo = in->mod == 3 ? emu_xmm_q(c, in->rm, 0) : mem_rd(c, in, 8);
	st128(c, in, in->reg, emu_v_q(lo, 0));
}
/* 66 0F D6: MOVQ xmm/m64, xmm (a register destination's upper half is cleared) */
EMU_HANDLER(movq_WqV)
{
	emu_sse_check(c, in);
	uint64_t lo = emu_xmm_q(c, in->reg, 0);
	if (in->mod == 3)
		st128(c, in, in->rm, emu_v_q(lo, 0));
	else
		mem_wr(c, in, 8, lo);
}
/* NP [REX.W] 0F 6E: MOVD/MOVQ mm, r/m32|64 */
EMU_HANDLER(movd_PEy)
{
	emu_mmx_check(c);
	unsigned sz = (in->rex & 8) ? 8 : 4;
	uint64_t v = emu_rm_get(c, in, sz);
	emu_mmx_enter(c);
	emu_mm_set(c, in->reg, v);
}
/* NP [REX.W] 0F 7E: MOVD/MOVQ r/m32|64, mm */
EMU_HANDLER(movd_EyP)
{
	emu_mmx_check(c);
	unsigned sz = (in->rex & 8) ? 8 : 4;
	uint64_t v = emu_mm_get(c, in->reg);
	emu_rm_set(c, in, sz, sz == 8 ? v : v & 0xffffffff);
	emu_mmx_enter(c);
}
/* NP 0F 6F: MOVQ mm, mm/m64 */
EMU_HANDLER(movq_PQ)
{
	emu_mmx_check(c);
	uint64_t v = emu_mmx_Q(c, in, 8);
	emu_mmx_enter(c);
	emu_mm_set(c, in->reg, v);
}
/* NP 0F 7F: MOVQ mm/m64, mm; NP 0F E7 (memory only): MOVNTQ m64, mm */
EMU_HANDLER(movq_QP)
{
	emu_mmx_check(c);
	uint64_t v = emu_mm_get(c, in->reg);
	if (in->mod != 3)
		mem_wr(c, in, 8, v);
	emu_mmx_enter(c);
	if (in->mod == 3)
		emu_mm_set(c, in->rm, v);
}
/* F3 0F D6 (register only): MOVQ2DQ xmm, mm */
EMU_HANDLER(movq2dq_VN)
{
	emu_sse_check(c, in);
	emu_mmx_pending(c);
	uint64_t v = emu_mm_get(c, in->rm);
	emu_mmx_enter(c);
	emu_xmm_st(c, in->reg, emu_v_q(v, 0));
}
/* F2 0F D6 (register only): MOVDQ2Q mm, xmm */
EMU_HANDLER(movdq2q_PU)
{
	emu_sse_check(c, in);
	emu_mmx_pending(c);
	emu_mmx_enter(c);
	emu_mm_set(c, in->reg, emu_xmm_q(c, in->rm, 0));
}

/* ---- masked stores: MASKMOVQ / MASKMOVDQU ---- */
/* Bytes whose mask byte has bit 7 set are written to DS:rDI (segment
 * override allowed). The whole n-byte destination is checked for writing
 * first, as for an n-byte store, whatever the mask selects (all zero
 * included): the modelled CPU (Zen 4) faults for any byte of the range on a
 * page it may not write, with CR2 the first such byte (the SDM leaves the
 * faults of unselected bytes implementation-specific). So a fault writes
 * nothing. */
static void maskmov(struct emu_cpu *c, const struct emu_insn *in, const uint8_t *data, const uint8_t *mask, unsigned n)
{
	uint64_t base = c->gpr[RAX_REG_RDI];
	if (in->asz == 4)
		base &= 0xffffffff;
	emu_access_check(c, in->seg, base, n, ACC_W);
	for (unsigned i = 0; i < n; i++)
		if (mask[i] & 0x80)
			emu_wr(c, in->seg, base + i, 1, data[i]);
}

/* 66 0F F7 (register only): MASKMOVDQU xmm1, xmm2 (VMASKMOVDQU: VEX.128 only) */
EMU_HANDLER(maskmovdqu_VU)
{
	emu_sse_check(c, in);
	maskmov(c, in, c->s.fpu.xmm[in->reg & 15], c->s.fpu.xmm[in->rm & 15], 16);
}
/* NP 0F F7 (register only): MASKMOVQ mm1, mm2 */
EMU_HANDLER(maskmovq_PN)
{
	emu_mmx_check(c);
	uint64_t d = emu_mm_get(c, in->reg), m = emu_mm_get(c, in->rm);
	uint8_t db[8], mb[8];
	memcpy(db, &d, 8);
	memcpy(mb, &m, 8);
	maskmov(c, in, db, mb, 8);
	emu_mmx_enter(c);
}

/* ---- sign masks ----
 * The VEX.256 forms (VMOVMSKPS/PD, VPMOVMSKB r, ymm) take the upper lane's
 * sign bits as the next 4, 2 or 16 bits. The result is zero-extended into
 * the 64-bit register. */
/* NP 0F 50 (register only): MOVMSKPS r32, xmm */
EMU_HANDLER(movmskps_GU)
{
	emu_sse_check(c, in);
	unsigned m = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(emu_xmm_ld(c, in->rm)));
	if (in->vex & EMU_VEX_L)
		m |= (unsigned)_mm_movemask_ps(_mm_castsi128_ps(ymmh_ld(c, in->rm))) << 4;
	c->gpr[in->reg] = m;
}
/* 66 0F 50 (register only): MOVMSKPD r32, xmm */
EMU_HANDLER(movmskpd_GU)
{
	emu_sse_check(c, in);
	unsigned m = (unsigned)_mm_movemask_pd(_mm_castsi128_pd(emu_xmm_ld(c, in->rm)));
	if (in->vex & EMU_VEX_L)
		m |= (unsigned)_mm_movemask_pd(_mm_castsi128_pd(ymmh_ld(c, in->rm))) << 2;
	c->gpr[in->reg] = m;
}
/* 66 0F D7 (register only): PMOVMSKB r32/64, xmm: byte sign bits, zero-extended */
EMU_HANDLER(pmovmskb_GdU)
{
	emu_sse_check(c, in);
	unsigned m = (unsigned)_mm_movemask_epi8(emu_xmm_ld(c, in->rm));
	if (in->vex & EMU_VEX_L)
		m |= (unsigned)_mm_movemask_epi8(ymmh_ld(c, in->rm)) << 16;
	c->gpr[in->reg] = m;
}
/* NP 0F D7 (register only): PMOVMSKB r32/64, mm */
EMU_HANDLER(pmovmskb_GdN)
{
	emu_mmx_check(c);
	uint64_t v = emu_mm_get(c, in->rm);
	c->gpr[in->reg] = (unsigned)_mm_movemask_epi8(emu_v_q(v, 0)) & 0xff;
	emu_mmx_enter(c);
}

/* ---- shuffles ----
 * VEX.256: each lane is shuffled on its own with the same imm8, except
 * VSHUFPD, whose lane 1 takes imm8 bits 3:2. */
/* NP 0F C6: SHUFPS xmm, xmm/m128, imm8: two dwords from dst, two from src
 * (VSHUFPS: from VEX.vvvv and xmm3/m128) */
EMU_HANDLER(shufps_VWIb)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R)
	{
		__m128i b = emu_sse_W(c, in, true);
		uint32_t x[4], y[4], r[4];
		unsigned imm = (unsigned)in->imm;
		_mm_storeu_si128((__m128i *)(void *)y, b);
		_mm_storeu_si128((__m128i *)(void *)x, emu_sse_A(c, in));
		r[0] = x[imm & 3];
		r[1] = x[(imm >> 2) & 3];
		r[2] = y[(imm >> 4) & 3];
		r[3] = y[(imm >> 6) & 3];
		emu_sse_D(c, in, _mm_loadu_si128((const __m128i *)(const void *)r));
	}
}
/* 66 0F C6: SHUFPD xmm, xmm/m128, imm8 */
EMU_HANDLER(shufpd_VWIb)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R)
	{
		__m128i b = emu_sse_W(c, in, true);
		__m128i a = emu_sse_A(c, in);
		unsigned imm = (unsigned)in->imm >> (2 * c->vlane);
		uint64_t lo = (imm & 1) ? emu_v_hi(a) : emu_v_lo(a);
		uint64_t hi = (imm & 2) ? emu_v_hi(b) : emu_v_lo(b);
		emu_sse_D(c, in, emu_v_q(lo, hi));
	}
}
/* 66 0F 70: PSHUFD xmm, xmm/m128, imm8 */
EMU_HANDLER(pshufd_VWIb)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R)
	{
		__m128i b = emu_sse_W(c, in, true);
		uint32_t y[4], r[4];
		unsigned imm = (unsigned)in->imm;
		_mm_storeu_si128((__m128i *)(void *)y, b);
		for (unsigned i = 0; i < 4; i++)
			r[i] = y[(imm >> (2 * i)) & 3];
		emu_sse_D(c, in, _mm_loadu_si128((const __m128i *)(const void *)r));
	}
}

/* Shuffle the four words of a 64-bit value by imm8. */
static uint64_t shuf4w(uint64_t v, unsigned imm)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < 4; i++)
		r |= ((v >> (16 * ((imm >> (2 * i)) & 3))) & 0xffff) << (16 * i);
	return r;
}

/* F3 0F 70: PSHUFHW xmm, xmm/m128, imm8 (high four words; low qword copied) */
EMU_HANDLER(pshufhw_VWIb)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R)
	{
		__m128i b = emu_sse_W(c, in, true);
		emu_sse_D(c, in, emu_v_q(emu_v_lo(b), shuf4w(emu_v_hi(b), (unsigned)in->imm)));
	}
}
/* F2 0F 70: PSHUFLW xmm, xmm/m128, imm8 (low four words; high qword copied) */
EMU_HANDLER(pshuflw_VWIb)
{
	emu_sse_check(c, in);
	EMU_VEX_LANES(c, in, ACC_R)
	{
		__m128i b = emu_sse_W(c, in, true);
		emu_sse_D(c, in, emu_v_q(shuf4w(emu_v_lo(b), (unsigned)in->imm), emu_v_hi(b)));
	}
}
/* NP 0F 70: PSHUFW mm, mm/m64, imm8 */
EMU_HANDLER(pshufw_PQIb)
{
	emu_mmx_check(c);
	uint64_t v = emu_mmx_Q(c, in, 8);
	emu_mmx_enter(c);
	emu_mm_set(c, in->reg, shuf4w(v, (unsigned)in->imm));
}

/* ---- word insert / extract ---- */
static uint16_t pinsrw_src(struct emu_cpu *c, const struct emu_insn *in)
{
	if (in->mod == 3)
		return (uint16_t)c->gpr[in->rm];
	return (uint16_t)mem_rd(c, in, 2);
}
/* 66 0F C4: PINSRW xmm, r32/m16, imm8; VPINSRW xmm1, xmm2, r32/m16, imm8
 * (the other words from VEX.vvvv) */
EMU_HANDLER(pinsrw_VEwIb)
{
	emu_sse_check(c, in);
	uint16_t w = pinsrw_src(c, in);
	uint8_t r[16];
	_mm_storeu_si128((__m128i *)(void *)r, emu_sse_A(c, in));
	memcpy(r + 2 * (in->imm & 7), &w, 2);
	st128(c, in, in->reg, _mm_loadu_si128((const __m128i *)(const void *)r));
}
/* NP 0F C4: PINSRW mm, r32/m16, imm8 */
EMU_HANDLER(pinsrw_PEwIb)
{
	emu_mmx_check(c);
	uint16_t w = pinsrw_src(c, in);
	unsigned sh = 16 * (unsigned)(in->imm & 3);
	uint64_t v = emu_mm_get(c, in->reg);
	v = (v & ~(0xffffull << sh)) | ((uint64_t)w << sh);
	emu_mmx_enter(c);
	emu_mm_set(c, in->reg, v);
}
/* 66 0F C5 (register only): PEXTRW r32/64, xmm, imm8 (zero-extended) */
EMU_HANDLER(pextrw_GUIb)
{
	emu_sse_check(c, in);
	uint16_t w;
	memcpy(&w, c->s.fpu.xmm[in->rm] + 2 * (in->imm & 7), 2);
	c->gpr[in->reg] = w;
}
/* NP 0F C5 (register only): PEXTRW r32/64, mm, imm8 */
EMU_HANDLER(pextrw_GNIb)
{
	emu_mmx_check(c);
	uint64_t v = emu_mm_get(c, in->rm);
	c->gpr[in->reg] = (v >> (16 * (in->imm & 3))) & 0xffff;
	emu_mmx_enter(c);
}

/* ---- VZEROUPPER / VZEROALL ---- */
/* VEX.0F 77 (no operands): VZEROUPPER (VEX.L = 0) zeroes bits 255:128 of
 * every YMM register, VZEROALL (VEX.L = 1) the whole registers. Outside
 * 64-bit mode only YMM0-7 are written, YMM8-15 keep their values (SDM
 * vol. 2, VZEROUPPER/VZEROALL). */
EMU_HANDLER(vzeroupper)
{
	emu_avx_check(c);
	unsigned n = c->dmode == EMU_MODE_64 ? 16 : 8;
	for (unsigned r = 0; r < n; r++) {
		emu_ymmh_zero(c, r);
		if (in->vex & EMU_VEX_L)
			memset(c->s.fpu.xmm[r], 0, 16);
	}
}
