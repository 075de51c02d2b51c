/*
 * sse.c - the block translator's SSE/SSE2 forms: the legacy (non-VEX)
 * encodings on XMM registers of the moves, packed integer operations,
 * shuffles, floating-point arithmetic and conversions that the handlers
 * (src/emu/insn/sse*.c) compute with one host instruction, translated into
 * that same host instruction on the guest's registers in struct emu_cpu
 * (xmm0 and xmm1 of the host hold the operands). A form is one row of
 * forms[] below; anything else stays a call of its handler.
 *
 * Exactness:
 *  - A run of consecutive translated SSE instructions starts with one test
 *    of what the handlers check first (emu_sse_check: CR0.EM, CR0.TS,
 *    CR4.OSFXSR) and, when the run holds floating point, of MXCSR: every
 *    exception masked. Otherwise the whole run is its handlers' calls, out
 *    of line, which raise #UD/#NM or take fp_slow exactly as without the
 *    translator. Nothing inside a run changes CR0, CR4 or MXCSR's masks.
 *  - With every exception masked a handler runs its host instruction under
 *    the guest's MXCSR with the flags clear (fp_csr: RC, FTZ, DAZ; the
 *    masks set) and ORs the raised flags into the guest's MXCSR. Inline, the
 *    host's MXCSR is saved and that one loaded before the first
 *    floating-point form of a run, and the raised flags ORed into the
 *    guest's and the host's restored after its last one, before any memory
 *    access (whose slow path is C code, and may fault) and before anything
 *    leaves the block: no C code runs under the guest's MXCSR.
 *  - Memory operands go through the software TLB as jit.c's loads and
 *    stores do; a 16-byte operand of an aligned form that is not 16-byte
 *    aligned, a TLB miss and a tracked write take the slow path, which is
 *    the handler's own access (emu_sse_rd128/emu_sse_wr128: its checks, in
 *    its order: canonical address, alignment #GP(0), #PF).
 *  - (U)COMISS/SD store the status flags as emu_set_status does (rflags,
 *    LF_NONE); the translator's knowledge of the lazy flags is dropped.
 *    No other form here reads or writes RFLAGS, so the lazy flags known
 *    before a run hold after it on both paths (inline and the handlers).
 */
#include "emu/jit/emit.h"

#include <emmintrin.h>
#include <string.h>

#include "emu/fastpath.h"
#include "emu/insn/handlers.h"
#include "emu/insn/sse.h"
#include "emu/plant.h"

/* What a form does with its operands */
enum sse_kind {
	SK_OP,       /* xmm(reg) = op(xmm(reg), xmm(rm) or memory) */
	SK_SHIFT,    /* xmm(rm) = op(xmm(rm)) by imm8 (66 0F 71-73 /n ib) */
	SK_LOAD,     /* xmm(reg) = xmm(rm) or m128 */
	SK_STORE,    /* xmm(rm) or m128 = xmm(reg) */
	SK_MOVS,     /* MOVSS/MOVSD xmm, xmm/mN: the low N bytes (memory: the rest cleared) */
	SK_MOVS_ST,  /* MOVSS/MOVSD xmm/mN, xmm: the low N bytes */
	SK_MOVQ,     /* MOVQ xmm, xmm/m64: the low qword, the high one cleared */
	SK_MOVQ_ST,  /* MOVQ xmm/m64, xmm: the low qword (a register's high one cleared) */
	SK_MOVD,     /* MOVD/MOVQ xmm, r/m32|64: zero-extended */
	SK_MOVD_ST,  /* MOVD/MOVQ r/m32|64, xmm */
	SK_HALF,     /* MOVLPS/MOVLPD/MOVHPS/MOVHPD xmm, m64: one qword (SF_HI: the high one) */
	SK_HALF_ST,  /* MOVLPS/MOVLPD/MOVHPS/MOVHPD m64, xmm */
	SK_FROM_GPR, /* xmm(reg) = op(xmm(reg), r/m: msize bytes, 0: 32|64 by REX.W) (CVTSI2SS/SD, PINSRW) */
	SK_COMI,     /* (U)COMISS/SD: ZF PF CF of op(xmm(reg), xmm(rm)/mN), OF SF AF clear */
	SK_TO_GPR,   /* gpr(reg) = op(xmm(rm) or memory), zero-extended from 32 bits without REX.W */
};

#define SF_FP 1u   /* runs under the guest's MXCSR and raises its flags */
#define SF_W 2u    /* REX.W makes the general register 64-bit (SK_TO_GPR) */
#define SF_IMM3 4u /* only imm8[2:0] (the legacy CMPPS family's predicate, as the handler takes it) */
#define SF_UNAL 8u /* a 16-byte memory operand without the alignment rule */
#define SF_HI 16u  /* the high qword (SK_HALF, SK_HALF_ST) */

struct sse_form {
	emu_handler_fn *h;
	uint8_t kind, flags;
	uint8_t msize; /* the memory operand's size (16: aligned unless SF_UNAL) */
};

// clang-format off
#define INT(name) { emu_h_##name, SK_OP, 0, 16 }
#define FPP(name) { emu_h_##name, SK_OP, SF_FP, 16 }
#define FPS(name, size) { emu_h_##name, SK_OP, SF_FP, size }
static const struct sse_form forms[] = {
	/* packed integer and bitwise (sse_int.c), shuffles (sse.c) */
	INT(paddb_VW), INT(paddw_VW), INT(paddd_VW), INT(paddq_VW),
	INT(psubb_VW), INT(psubw_VW), INT(psubd_VW), INT(psubq_VW),
	INT(paddsb_VW), INT(paddsw_VW), INT(paddusb_VW), INT(paddusw_VW),
	INT(psubsb_VW), INT(psubsw_VW), INT(psubusb_VW), INT(psubusw_VW),
	INT(pmullw_VW), INT(pmulhw_VW), INT(pmulhuw_VW), INT(pmuludq_VW), INT(pmaddwd_VW),
	INT(pavgb_VW), INT(pavgw_VW), INT(psadbw_VW),
	INT(pminub_VW), INT(pmaxub_VW), INT(pminsw_VW), INT(pmaxsw_VW),
	INT(pcmpeqb_VW), INT(pcmpeqw_VW), INT(pcmpeqd_VW), INT(pcmpgtb_VW), INT(pcmpgtw_VW), INT(pcmpgtd_VW),
	INT(pand_VW), INT(pandn_VW), INT(por_VW), INT(pxor_VW),
	INT(psrlw_VW), INT(psrld_VW), INT(psrlq_VW), INT(psraw_VW), INT(psrad_VW),
	INT(psllw_VW), INT(pslld_VW), INT(psllq_VW),
	INT(packsswb_VW), INT(packuswb_VW), INT(packssdw_VW),
	INT(punpcklbw_VW), INT(punpcklwd_VW), INT(punpckldq_VW), INT(punpcklqdq_VW),
	INT(punpckhbw_VW), INT(punpckhwd_VW), INT(punpckhdq_VW), INT(punpckhqdq_VW),
	INT(pshufd_VWIb), INT(pshufhw_VWIb), INT(pshuflw_VWIb), INT(shufps_VWIb), INT(shufpd_VWIb),
	INT(movhlps_VU), INT(movlhps_VU),
	{ emu_h_pshift_UIb, SK_SHIFT, 0, 0 },
	/* floating point (sse_fp.c) */
	FPP(addps_VW), FPP(addpd_VW), FPS(addss_VW, 4), FPS(addsd_VW, 8),
	FPP(subps_VW), FPP(subpd_VW), FPS(subss_VW, 4), FPS(subsd_VW, 8),
	FPP(mulps_VW), FPP(mulpd_VW), FPS(mulss_VW, 4), FPS(mulsd_VW, 8),
	FPP(divps_VW), FPP(divpd_VW), FPS(divss_VW, 4), FPS(divsd_VW, 8),
	FPP(minps_VW), FPP(minpd_VW), FPS(minss_VW, 4), FPS(minsd_VW, 8),
	FPP(maxps_VW), FPP(maxpd_VW), FPS(maxss_VW, 4), FPS(maxsd_VW, 8),
	FPP(sqrtps_VW), FPP(sqrtpd_VW), FPS(sqrtss_VW, 4), FPS(sqrtsd_VW, 8),
	FPP(cvtdq2ps_VW), FPP(cvtps2dq_VW), FPP(cvttps2dq_VW),
	FPP(cvtpd2ps_VW), FPP(cvtpd2dq_VW), FPP(cvttpd2dq_VW),
	FPS(cvtps2pd_VW, 8), FPS(cvtdq2pd_VW, 8), FPS(cvtss2sd_VW, 4), FPS(cvtsd2ss_VW, 8),
	{ emu_h_cmpps_VWIb, SK_OP, SF_FP | SF_IMM3, 16 },
	{ emu_h_cmppd_VWIb, SK_OP, SF_FP | SF_IMM3, 16 },
	{ emu_h_cmpss_VWIb, SK_OP, SF_FP | SF_IMM3, 4 },
	{ emu_h_cmpsd_VWIb, SK_OP, SF_FP | SF_IMM3, 8 },
	{ emu_h_cvtsi2ss_VEy, SK_FROM_GPR, SF_FP, 0 },
	{ emu_h_cvtsi2sd_VEy, SK_FROM_GPR, SF_FP, 0 },
	{ emu_h_ucomiss_VW, SK_COMI, SF_FP, 4 },
	{ emu_h_ucomisd_VW, SK_COMI, SF_FP, 8 },
	{ emu_h_comiss_VW, SK_COMI, SF_FP, 4 },
	{ emu_h_comisd_VW, SK_COMI, SF_FP, 8 },
	{ emu_h_cvtss2si_GyW, SK_TO_GPR, SF_FP | SF_W, 4 },
	{ emu_h_cvttss2si_GyW, SK_TO_GPR, SF_FP | SF_W, 4 },
	{ emu_h_cvtsd2si_GyW, SK_TO_GPR, SF_FP | SF_W, 8 },
	{ emu_h_cvttsd2si_GyW, SK_TO_GPR, SF_FP | SF_W, 8 },
	/* moves, sign masks, PINSRW, PEXTRW (sse.c) */
	{ emu_h_movups_VW, SK_LOAD, SF_UNAL, 16 },
	{ emu_h_movups_WV, SK_STORE, SF_UNAL, 16 },
	{ emu_h_movaps_VW, SK_LOAD, 0, 16 },
	{ emu_h_movaps_WV, SK_STORE, 0, 16 },
	{ emu_h_movdqa_VW, SK_LOAD, 0, 16 },
	{ emu_h_movdqa_WV, SK_STORE, 0, 16 },
	{ emu_h_movss_VW, SK_MOVS, 0, 4 },
	{ emu_h_movss_WV, SK_MOVS_ST, 0, 4 },
	{ emu_h_movsd_VW, SK_MOVS, 0, 8 },
	{ emu_h_movsd_WV, SK_MOVS_ST, 0, 8 },
	{ emu_h_movq_VWq, SK_MOVQ, 0, 8 },
	{ emu_h_movq_WqV, SK_MOVQ_ST, 0, 8 },
	{ emu_h_movd_VEy, SK_MOVD, 0, 0 },
	{ emu_h_movd_EyV, SK_MOVD_ST, 0, 0 },
	{ emu_h_movlps_VM, SK_HALF, 0, 8 },
	{ emu_h_movhps_VM, SK_HALF, SF_HI, 8 },
	{ emu_h_movlps_MV, SK_HALF_ST, 0, 8 },
	{ emu_h_movhps_MV, SK_HALF_ST, SF_HI, 8 },
	{ emu_h_pinsrw_VEwIb, SK_FROM_GPR, 0, 2 },
	{ emu_h_movmskps_GU, SK_TO_GPR, 0, 0 },
	{ emu_h_movmskpd_GU, SK_TO_GPR, 0, 0 },
	{ emu_h_pmovmskb_GdU, SK_TO_GPR, 0, 0 },
	{ emu_h_pextrw_GUIb, SK_TO_GPR, 0, 0 },
};
#undef INT
#undef FPP
#undef FPS
// clang-format on

#define XMM(r) (CPU(s.fpu.xmm) + 16 * (int32_t)((r)&15))
#define MXCSR M(CPU(s.fpu.mxcsr))

/* The form of in when it is translated here, else NULL. */
static const struct sse_form *form_of(const struct emu_insn *in)
{
	if (in->vex || in->map != 1 || (in->pfx & EMU_P_LOCK) || (in->mod != 3 && in->asz != 8) ||
	    emu_plant_in_handlers())
		return NULL;
	emu_handler_fn *h = emu_handlers[in->row];
	for (size_t n = 0; n < sizeof(forms) / sizeof(forms[0]); n++)
		if (forms[n].h == h)
			return &forms[n];
	return NULL;
}

/* Instruction i of the block is translated here. */
static const struct sse_form *form_at(const struct tr *t, unsigned i)
{
	return i < t->n && t->b->fop[i] == FOP_generic ? form_of(&t->b->insn[i]) : NULL;
}

/* ---- the C helpers: the handler's own 16-byte accesses ---- */

static __m128i jit_sse_rd(struct emu_cpu *c, const struct jit_insn *d, uint64_t icount, uint64_t aligned)
{
	jit_sync(c, d, icount);
	return emu_sse_rd128(c, &d->in, aligned != 0);
}

static uint64_t jit_sse_wr(struct emu_cpu *c, const struct jit_insn *d, uint64_t icount, uint64_t aligned, __m128i v)
{
	jit_sync(c, d, icount);
	emu_sse_wr128(c, &d->in, aligned != 0, v);
	return (uint64_t)(c->block_break | c->exit_req);
}

/* ---- the host's MXCSR ---- */

/* Save the host's MXCSR and load fp_csr's for the guest (every exception
 * masked: the guest's RC, FTZ, DAZ and masks, no flags). Uses rcx only. */
static void mx_open(struct tr *t)
{
	if (t->sse_mx)
		return;
	struct x64_buf *x = &t->x;
	x64_stmxcsr(x, SLOT_MXCSR_HOST);
	x64_load(x, false, X_RCX, MXCSR);
	x64_alu_ri(x, false, X_AND, X_RCX, 0xffff & ~(int32_t)MXCSR_FLAGS);
	x64_store(x, false, SLOT_MXCSR_TMP, X_RCX);
	x64_ldmxcsr(x, SLOT_MXCSR_TMP);
	t->sse_mx = true;
}

/* The flags raised since mx_open into the guest's MXCSR; the host's back. */
static void mx_close(struct tr *t)
{
	if (!t->sse_mx)
		return;
	struct x64_buf *x = &t->x;
	x64_stmxcsr(x, SLOT_MXCSR_TMP);
	x64_load(x, false, X_RCX, SLOT_MXCSR_TMP);
	x64_alu_ri(x, false, X_AND, X_RCX, MXCSR_FLAGS);
	x64_alu_rm(x, false, X_OR, X_RCX, MXCSR);
	x64_store(x, false, MXCSR, X_RCX);
	x64_ldmxcsr(x, SLOT_MXCSR_HOST);
	t->sse_mx = false;
}

/* ---- memory ---- */

/* ecx = the broke flags of the CPU (block_break | exit_req), ORed into ebp */
static void emit_broke(struct tr *t)
{
	x64_load_zx8(&t->x, X_RCX, M(CPU(block_break)));
	x64_or_r8m(&t->x, X_RCX, M(CPU(exit_req)));
	x64_alu_rr(&t->x, false, X_OR, X_RBP, X_RCX);
}

/* The slow path of a 16-byte access (arg: bit 0 aligned, bit 1 a store,
 * bits 2+ the XMM register a load goes to). */
static void cold_access(struct tr *t, struct cold *k)
{
	struct x64_buf *x = &t->x;
	emit_helper_args(t, k->i);
	x64_mov_imm(x, X_RCX, k->arg & 1);
	if (k->arg & 2) { /* the value is still in xmm0 */
		x64_mov_imm(x, X_RAX, (uint64_t)(uintptr_t)jit_sse_wr);
		x64_call_r(x, X_RAX);
		x64_alu_rr(x, false, X_OR, X_RBP, X_RAX);
	} else {
		x64_mov_imm(x, X_RAX, (uint64_t)(uintptr_t)jit_sse_rd);
		x64_call_r(x, X_RAX);
		if (k->arg >> 2)
			x64_sse_rr(x, 0x66, false, 0x6f, k->arg >> 2, 0); /* movdqa xmmN, xmm0 */
		emit_broke(t);
	}
	emit_reload(t, k); /* the call took the register cache */
	x64_jmp_to(x, k->back);
}

/* The 16-byte access of in (aligned: the legacy rule): a load into host
 * register xn, or a store of xmm0. */
static void emit_access128(struct tr *t, const struct emu_insn *in, bool aligned, bool store, unsigned xn)
{
	struct x64_buf *x = &t->x;
	emit_ea(t, in, X_R14);
	struct cold *k = cold_new(t, COLD_EXT);
	k->emit = cold_access;
	k->arg = (aligned ? 1u : 0u) | (store ? 2u : 0u) | xn << 2;
	if (aligned) {                  /* the linear address's low bits */
		unsigned seg = in->seg; /* (SEG_BASE's parameter is named seg) */
		if (seg >= RAX_SEG_FS) {
			x64_load(x, true, X_RCX, M(SEG_BASE(seg)));
			x64_alu_rr(x, true, X_ADD, X_RCX, X_R14);
			x64_test_ri(x, false, X_RCX, 15);
		} else {
			x64_test_ri(x, false, X_R14, 15);
		}
		cold_jcc(t, k, X_CC_NE);
	}
	struct x64_mem at = x64_mi(X_RAX, emit_tlb_probe(t, in->seg, 16, store ? ACC_W : ACC_R, k), 0, 0);
	if (store)
		x64_movdqu_store(x, at, 0);
	else
		x64_movdqu_load(x, xn, at);
	access_end(t, k);
}

/* Host register xn = in's xmm/m source of size bytes (16: m128 with the
 * form's alignment rule; 8, 4: the low element, the rest zero). */
static void emit_src(struct tr *t, const struct emu_insn *in, const struct sse_form *f, unsigned size, unsigned xn)
{
	if (in->mod == 3) {
		x64_movdqu_load(&t->x, xn, M(XMM(in->rm)));
	} else if (size == 16) {
		emit_access128(t, in, !(f->flags & SF_UNAL), false, xn);
	} else {
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, size, ACC_R);
		x64_movq_xr(&t->x, xn, X_RAX);
	}
}

/* rax = in's r/m32|64 (a general register or memory) */
static void emit_gpr_src(struct tr *t, const struct emu_insn *in, unsigned size)
{
	if (in->mod == 3) {
		reg_rd(t, size == 8, X_RAX, in->rm);
	} else {
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, size, ACC_R);
	}
}

/* XMM register r = rax zero-extended */
static void emit_xmm_from_rax(struct tr *t, unsigned r)
{
	x64_store(&t->x, true, M(XMM(r)), X_RAX);
	x64_alu_rr(&t->x, false, X_XOR, X_RCX, X_RCX);
	x64_store(&t->x, true, M(XMM(r) + 8), X_RCX);
}

/* ---- the forms ---- */

/* The mandatory prefix of in's row */
static unsigned row_pfx(const struct emu_insn *in)
{
	uint64_t fl = emu_oprows[in->row].flags;
	return (fl & EMU_F_P66) ? 0x66 : (fl & EMU_F_PF3) ? 0xf3 : (fl & EMU_F_PF2) ? 0xf2 : 0;
}

/* The host instruction of in's row: "op reg, rm" (reg, rm host registers) and its imm8 */
static void emit_host(struct tr *t, const struct emu_insn *in, const struct sse_form *f, bool w, unsigned reg,
		      unsigned rm)
{
	if (f->flags & SF_FP)
		mx_open(t);
	x64_sse_rr(&t->x, row_pfx(in), w, in->op, reg, rm);
	if (emu_oprows[in->row].flags & EMU_F_IMM8)
		x64_u8(&t->x, (uint8_t)(in->imm & ((f->flags & SF_IMM3) ? 7 : 0xff)));
}

static void emit_form(struct tr *t, const struct emu_insn *in, const struct sse_form *f)
{
	struct x64_buf *x = &t->x;
	bool mem = in->mod != 3, w = (in->rex & 8) != 0;
	if (mem)
		mx_close(t); /* the slow path is C code */
	switch (f->kind) {
	case SK_OP:
		emit_src(t, in, f, f->msize, 1);
		x64_movdqu_load(x, 0, M(XMM(in->reg)));
		emit_host(t, in, f, false, 0, 1);
		x64_movdqu_store(x, M(XMM(in->reg)), 0);
		break;
	case SK_SHIFT: /* ModRM.reg selects the operation */
		x64_movdqu_load(x, 0, M(XMM(in->rm)));
		emit_host(t, in, f, false, in->reg & 7, 0);
		x64_movdqu_store(x, M(XMM(in->rm)), 0);
		break;
	case SK_LOAD:
		emit_src(t, in, f, 16, 1);
		x64_movdqu_store(x, M(XMM(in->reg)), 1);
		break;
	case SK_STORE:
		x64_movdqu_load(x, 0, M(XMM(in->reg)));
		if (mem)
			emit_access128(t, in, !(f->flags & SF_UNAL), true, 0);
		else
			x64_movdqu_store(x, M(XMM(in->rm)), 0);
		break;
	case SK_MOVS:
		if (mem) {
			emit_ea(t, in, X_R14);
			emit_load(t, in->seg, f->msize, ACC_R);
			emit_xmm_from_rax(t, in->reg);
		} else {
			x64_load(x, f->msize == 8, X_RAX, M(XMM(in->rm)));
			x64_store(x, f->msize == 8, M(XMM(in->reg)), X_RAX);
		}
		break;
	case SK_MOVS_ST:
		if (mem) {
			x64_load(x, f->msize == 8, X_R15, M(XMM(in->reg)));
			emit_ea(t, in, X_R14);
			emit_store(t, in->seg, f->msize);
		} else {
			x64_load(x, f->msize == 8, X_RAX, M(XMM(in->reg)));
			x64_store(x, f->msize == 8, M(XMM(in->rm)), X_RAX);
		}
		break;
	case SK_MOVQ:
		if (mem) {
			emit_ea(t, in, X_R14);
			emit_load(t, in->seg, 8, ACC_R);
		} else {
			x64_load(x, true, X_RAX, M(XMM(in->rm)));
		}
		emit_xmm_from_rax(t, in->reg);
		break;
	case SK_MOVQ_ST:
		if (mem) {
			x64_load(x, true, X_R15, M(XMM(in->reg)));
			emit_ea(t, in, X_R14);
			emit_store(t, in->seg, 8);
		} else {
			x64_load(x, true, X_RAX, M(XMM(in->reg)));
			emit_xmm_from_rax(t, in->rm);
		}
		break;
	case SK_MOVD:
		emit_gpr_src(t, in, in->osz == 8 ? 8 : 4);
		emit_xmm_from_rax(t, in->reg);
		break;
	case SK_MOVD_ST:
		if (mem) {
			x64_load(x, in->osz == 8, X_R15, M(XMM(in->reg)));
			emit_ea(t, in, X_R14);
			emit_store(t, in->seg, in->osz == 8 ? 8 : 4);
		} else { /* a 32-bit register write zero-extends */
			x64_load(x, in->osz == 8, X_RAX, M(XMM(in->reg)));
			reg_wr(t, in->rm, X_RAX);
		}
		break;
	case SK_HALF: /* memory only (MEMO rows) */
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, 8, ACC_R);
		x64_store(x, true, M(XMM(in->reg) + ((f->flags & SF_HI) ? 8 : 0)), X_RAX);
		break;
	case SK_HALF_ST:
		x64_load(x, true, X_R15, M(XMM(in->reg) + ((f->flags & SF_HI) ? 8 : 0)));
		emit_ea(t, in, X_R14);
		emit_store(t, in->seg, 8);
		break;
	case SK_FROM_GPR:
		emit_gpr_src(t, in, f->msize ? f->msize : w ? 8 : 4);
		x64_movdqu_load(x, 0, M(XMM(in->reg)));
		emit_host(t, in, f, w && !f->msize, 0, X_RAX);
		x64_movdqu_store(x, M(XMM(in->reg)), 0);
		break;
	case SK_COMI: /* emu_set_status of all six: rflags holds them (LF_NONE) */
		emit_src(t, in, f, f->msize, 1);
		x64_movdqu_load(x, 0, M(XMM(in->reg)));
		emit_host(t, in, f, false, 0, 1);
		x64_pushf(x);
		x64_pop(x, X_RAX);
		x64_alu_ri(x, false, X_AND, X_RAX, (int32_t)RFLAGS_STATUS);
		x64_load(x, true, X_RCX, M(CPU(rflags)));
		x64_alu_ri(x, true, X_AND, X_RCX, ~(int32_t)RFLAGS_STATUS);
		x64_alu_rr(x, true, X_OR, X_RCX, X_RAX);
		x64_store(x, true, M(CPU(rflags)), X_RCX);
		x64_store_imm8(x, M(CPU(lf_op)), LF_NONE);
		t->lf_op = LF_UNKNOWN;
		break;
	case SK_TO_GPR:
		emit_src(t, in, f, f->msize, 1);
		emit_host(t, in, f, w && (f->flags & SF_W), X_RAX, 1);
		reg_wr(t, in->reg, X_RAX);
		break;
	}
	if (mem) {
		mx_close(t); /* before the break check, which may leave */
		emit_break_check(t);
	}
}

/* The out-of-line path of a run of instructions k->i..k->arg whose checks
 * failed: their handlers, one after the other, then back after the run. */
static void cold_run(struct tr *t, struct cold *k)
{
	rc_reset(t); /* stored where it was jumped to (emit_cold); the handlers' calls take it */
	for (unsigned i = k->i; i <= k->arg; i++) {
		t->i = i;
		t->rip = t->d[i].rip;
		t->fall = t->rip + t->d[i].in.len;
		emit_generic(t, &t->d[i].in);
	}
	emit_reload(t, k); /* the register cache the hot code has after the run */
	x64_jmp_to(&t->x, k->back);
}

/* The start of a run at instruction t->i: emu_sse_check's conditions, and
 * every MXCSR exception masked when the run holds floating point. */
static void run_begin(struct tr *t)
{
	struct x64_buf *x = &t->x;
	struct cold *k = cold_new(t, COLD_EXT);
	k->emit = cold_run;
	t->sse_run = k;
	bool fp = false;
	for (unsigned i = t->i; form_at(t, i); i++)
		fp = fp || (form_at(t, i)->flags & SF_FP);
	x64_test_m8i(x, M(CPU(s.cr0)), (uint8_t)(CR0_EM | CR0_TS));
	cold_jcc(t, k, X_CC_NE);
	x64_test_m8i(x, M(CPU(s.cr4) + 1), (uint8_t)(CR4_OSFXSR >> 8));
	cold_jcc(t, k, X_CC_E);
	if (fp) {
		x64_load(x, false, X_RAX, MXCSR);
		x64_alu_ri(x, false, X_AND, X_RAX, MXCSR_MASKS);
		x64_alu_ri(x, false, X_CMP, X_RAX, MXCSR_MASKS);
		cold_jcc(t, k, X_CC_NE);
	}
}

bool emit_sse(struct tr *t, const struct emu_insn *in)
{
	const struct sse_form *f = form_at(t, t->i);
	if (!f)
		return false;
	if (!t->sse_run)
		run_begin(t);
	emit_form(t, in, f);
	if (!form_at(t, t->i + 1)) { /* the run ends here */
		mx_close(t);
		t->sse_run->arg = t->i;
		t->sse_run->back = x64_len(&t->x);
		memcpy(t->sse_run->back_held, t->held, sizeof(t->held));
		t->sse_run = NULL;
	}
	return true;
}
