/*
 * x87.c - x87 control and state instructions and the FXSAVE family:
 * FNINIT, FNCLEX (and the 8087/287 no-ops FNENI/FNDISI/FNSETPM), FLDCW,
 * FNSTCW, FNSTSW (AX and m16), FLDENV, FNSTENV, FRSTOR, FNSAVE,
 * FXSAVE/FXRSTOR (legacy and REX.W forms), LDMXCSR, STMXCSR, EMMS, and the
 * helpers of x87.h. FWAIT lives in system.c; the data, arithmetic and
 * transcendental instructions in x87_arith.c.
 *
 * The x87/SSE registers are kept in the canonical state (c->s.fpu), so
 * get/set_state need no conversion: st[i] holds ST(i) in FXSAVE image
 * order (see x87.h).
 *
 * What the images show follows the modelled CPU (AMD, the host this was
 * measured on):
 * - FNSTENV/FNSAVE: the 32-bit format (also with REX.W) fills the reserved
 *   upper halves with 1s; the 16-bit format (66 prefix) has no FOP. The tag
 *   word is computed from the contents (00 valid, 01 zero, 10 special).
 *   FNSTENV then masks all exceptions; FNSAVE then does FNINIT.
 * - FLDENV/FRSTOR: a tag other than 11 means "not empty" (the CPU
 *   reclassifies the contents itself); the 16-bit format clears FOP. ES and
 *   B are recomputed from the flags and masks, as after FXRSTOR and FLDCW.
 * - FXSAVE writes FOP, FIP and FDP (and FCS/FDS in the 32-bit form) only
 *   while an exception is pending (FSW.ES=1), zeros otherwise; FXRSTOR
 *   loads them whatever ES is.
 * - FCS/FDS: the canonical state has no place for the selectors, so the
 *   images carry the current CS and DS selectors (0 while FIP/FDP are 0,
 *   as after FNINIT), and FLDENV/FRSTOR/FXRSTOR drop the ones they load
 *   (the real CPU keeps the CS of the last x87 instruction and the segment
 *   of its memory operand, SS for an RSP/RBP-based one).
 *
 * Faults (SDM vol. 1 13.x / vol. 3 table 2-2, APM vol. 2 table 15-x):
 * x87 instructions raise #NM when CR0.EM or CR0.TS is set, then the waiting
 * ones #MF for a pending unmasked exception. FXSAVE/FXRSTOR raise #NM when
 * CR0.TS or CR0.EM is set, #GP(0) on a misaligned (16) operand; FXRSTOR
 * #GP(0) when the image's MXCSR sets bits outside MXCSR_MASK.
 * LDMXCSR/STMXCSR are SSE instructions: #UD when CR0.EM=1 or CR4.OSFXSR=0,
 * #NM when CR0.TS=1, and LDMXCSR #GP(0) on reserved bits.
 */
#include "emu/insn/x87.h"

#include "emu/insn/handlers.h"
#include "emu/insn/sse.h"
#include "le.h"


/* ---- helpers of x87.h ---- */

void x87_rotate_push(struct rax_fpu_state *f)
{
	uint8_t t[16];
	memcpy(t, f->st[7], 16);
	memmove(f->st[1], f->st[0], 7 * 16);
	memcpy(f->st[0], t, 16);
	f->fsw = (uint16_t)((f->fsw & ~X87_SW_TOP) | (((x87_top(f) - 1) & 7) << 11));
}

void x87_rotate_pop(struct rax_fpu_state *f)
{
	uint8_t t[16];
	memcpy(t, f->st[0], 16);
	memmove(f->st[0], f->st[1], 7 * 16);
	memcpy(f->st[7], t, 16);
	f->fsw = (uint16_t)((f->fsw & ~X87_SW_TOP) | (((x87_top(f) + 1) & 7) << 11));
}

void x87_set_top(struct rax_fpu_state *f, unsigned top)
{
	unsigned old = x87_top(f), d = (top - old) & 7;
	if (d) {
		uint8_t t[8][16];
		memcpy(t, f->st, sizeof(t));
		for (unsigned i = 0; i < 8; i++)
			memcpy(f->st[i], t[(i + d) & 7], 16);
	}
	f->fsw = (uint16_t)((f->fsw & ~X87_SW_TOP) | (top & 7) << 11);
}

uint16_t x87_full_tag(const struct rax_fpu_state *f)
{
	unsigned top = x87_top(f), tag = 0;
	for (unsigned p = 0; p < 8; p++) {
		unsigned t = 3;
		if ((f->ftw >> p) & 1) {
			const uint8_t *r = f->st[(p - top) & 7];
			uint64_t m = rd64(r);
			unsigned e = rd16(r + 8) & 0x7fff;
			if (e == 0x7fff)
				t = 2;
			else if (e == 0)
				t = m ? 2 : 1;
			else
				t = (m >> 63) ? 0 : 2; /* unnormal: integer bit clear */
		}
		tag |= t << (2 * p);
	}
	return (uint16_t)tag;
}

uint8_t x87_abridge_tag(uint16_t ftw)
{
	uint8_t a = 0;
	for (unsigned p = 0; p < 8; p++)
		if (((ftw >> (2 * p)) & 3) != 3)
			a |= (uint8_t)(1u << p);
	return a;
}

void x87_note_mem(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea)
{
	x87_note(c, in);
	c->s.fpu.fdp = ea;
}

/* Without a place for the selectors (see the file comment): the current
 * CS and DS, or 0 while the pointers are still clear (after FNINIT, the
 * CPU's FCS/FDS are 0 until an instruction sets them). */
uint16_t x87_fcs(const struct emu_cpu *c) { return c->s.fpu.fip ? c->s.seg[RAX_SEG_CS].selector : 0; }

uint16_t x87_fds(const struct emu_cpu *c) { return c->s.fpu.fdp ? c->s.seg[RAX_SEG_DS].selector : 0; }

/* ---- control ---- */

static void fninit_state(struct rax_fpu_state *f)
{
	x87_set_top(f, 0); /* the registers keep their contents */
	f->fcw = X87_FCW_INIT;
	f->fsw = 0;
	f->ftw = 0; /* abridged: all empty */
	f->fop = 0;
	f->fip = 0;
	f->fdp = 0;
}

/* DB E0-E7: FNENI, FNDISI, FNCLEX, FNINIT, FNSETPM; E5-E7 are invalid. */
EMU_HANDLER(x87_db4)
{
	unsigned sub = in->modrm & 7;
	if (sub > 4)
		EMU_UD(c);
	x87_check(c);
	struct rax_fpu_state *f = &c->s.fpu;
	switch (sub) {
	case 2: /* FNCLEX: clear PE UE OE ZE DE IE SF ES B */ f->fsw &= 0x7f00; break;
	case 3: /* FNINIT */ fninit_state(f); break;
	default: /* FNENI/FNDISI/FNSETPM: no-ops since the 387 */ break;
	}
}

EMU_HANDLER(fldcw_Mw)
{
	x87_wait(c);
	uint16_t v = (uint16_t)emu_rd(c, in->seg, emu_ea(c, in), 2);
	c->s.fpu.fcw = x87_fcw_load(v);
	c->s.fpu.fsw = x87_summary(c->s.fpu.fsw, c->s.fpu.fcw);
}

EMU_HANDLER(fnstcw_Mw)
{
	x87_check(c);
	emu_wr(c, in->seg, emu_ea(c, in), 2, c->s.fpu.fcw);
}

EMU_HANDLER(fnstsw_Mw)
{
	x87_check(c);
	emu_wr(c, in->seg, emu_ea(c, in), 2, c->s.fpu.fsw);
}

EMU_HANDLER(fnstsw_AX)
{
	if ((in->modrm & 7) != 0)
		EMU_UD(c);
	x87_check(c);
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | c->s.fpu.fsw;
}

/* ---- environment: FLDENV, FNSTENV, FRSTOR, FNSAVE ---- */

/* 14 bytes with a 66 prefix (16-bit format), else 28 (32-bit format). */
static unsigned env_len(const struct emu_insn *in) { return in->osz == 2 ? 14 : 28; }

static void env_store(struct emu_cpu *c, const struct emu_insn *in, uint8_t *p)
{
	const struct rax_fpu_state *f = &c->s.fpu;
	uint16_t tag = x87_full_tag(f);
	uint16_t fcs = x87_fcs(c), fds = x87_fds(c);
	if (in->osz == 2) {
		wr16(p + 0, f->fcw);
		wr16(p + 2, f->fsw);
		wr16(p + 4, tag);
		wr16(p + 6, (uint16_t)f->fip);
		wr16(p + 8, fcs);
		wr16(p + 10, (uint16_t)f->fdp);
		wr16(p + 12, fds);
	} else {
		wr32(p + 0, 0xffff0000u | f->fcw);
		wr32(p + 4, 0xffff0000u | f->fsw);
		wr32(p + 8, 0xffff0000u | tag);
		wr32(p + 12, (uint32_t)f->fip);
		wr32(p + 16, fcs | (uint32_t)(f->fop & 0x7ff) << 16);
		wr32(p + 20, (uint32_t)f->fdp);
		wr32(p + 24, 0xffff0000u | fds);
	}
}

static void env_load(struct emu_cpu *c, const struct emu_insn *in, const uint8_t *p)
{
	struct rax_fpu_state *f = &c->s.fpu;
	uint16_t fsw = rd16(p + (in->osz == 2 ? 2 : 4));
	x87_set_top(f, (fsw >> 11) & 7); /* a new TOP renames the registers */
	f->fcw = x87_fcw_load(rd16(p + 0));
	if (in->osz == 2) {
		f->fsw = rd16(p + 2);
		f->ftw = x87_abridge_tag(rd16(p + 4));
		f->fip = rd16(p + 6);
		f->fop = 0;
		f->fdp = rd16(p + 10);
	} else {
		f->fsw = rd16(p + 4);
		f->ftw = x87_abridge_tag(rd16(p + 8));
		f->fip = rd32(p + 12);
		f->fop = (uint16_t)((rd32(p + 16) >> 16) & 0x7ff);
		f->fdp = rd32(p + 20);
	}
	f->fsw = x87_summary(f->fsw, f->fcw);
}

EMU_HANDLER(fnstenv_M)
{
	x87_check(c);
	uint8_t img[28];
	uint64_t la = emu_linear(c, in->seg, emu_ea(c, in));
	env_store(c, in, img);
	emu_write_block(c, la, img, env_len(in), c->cpl == 3);
	struct rax_fpu_state *f = &c->s.fpu;
	f->fcw |= X87_SW_EXC; /* then all exceptions are masked */
	f->fsw = x87_summary(f->fsw, f->fcw);
}

EMU_HANDLER(fldenv_M)
{
	x87_wait(c);
	uint8_t img[28];
	uint64_t la = emu_linear(c, in->seg, emu_ea(c, in));
	emu_read_block(c, la, img, env_len(in), c->cpl == 3);
	env_load(c, in, img);
}

EMU_HANDLER(fnsave_M)
{
	x87_check(c);
	uint8_t img[108];
	unsigned n = env_len(in);
	uint64_t la = emu_linear(c, in->seg, emu_ea(c, in));
	struct rax_fpu_state *f = &c->s.fpu;
	env_store(c, in, img);
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + n + 10 * i, f->st[i], 10);
	emu_write_block(c, la, img, n + 80, c->cpl == 3);
	fninit_state(f);
}

EMU_HANDLER(frstor_M)
{
	x87_wait(c);
	uint8_t img[108];
	unsigned n = env_len(in);
	uint64_t la = emu_linear(c, in->seg, emu_ea(c, in));
	emu_read_block(c, la, img, n + 80, c->cpl == 3);
	struct rax_fpu_state *f = &c->s.fpu;
	env_load(c, in, img); /* first: it sets TOP, and the image is in ST order */
	for (unsigned i = 0; i < 8; i++) {
		memcpy(f->st[i], img + n + 10 * i, 10);
		memset(f->st[i] + 10, 0, 6);
	}
}

/* ---- FXSAVE / FXRSTOR ---- */

static uint64_t fx_addr(struct emu_cpu *c, const struct emu_insn *in)
{
	if (c->s.cr0 & (CR0_TS | CR0_EM))
		emu_raise(c, EXC_NM, 0, 0);
	uint64_t la = emu_linear(c, in->seg, emu_ea(c, in));
	if (la & 15)
		EMU_GP(c, 0);
	return la;
}

/*
 * The image (SDM vol. 1 table 10-2/10-3): 0 FCW, 2 FSW, 4 abridged FTW,
 * 6 FOP, 8 FIP (REX.W: 64 bits; else 32 bits + FCS at 12), 16 FDP (REX.W: 64
 * bits; else 32 bits + FDS at 20), 24 MXCSR, 28 MXCSR_MASK, 32 ST0-ST7
 * (16 bytes each, 10 used), 160 XMM0-XMM15. Bytes 416-511 are not written.
 * With CR4.OSFXSR=0 the XMM registers are neither saved nor restored.
 */
#define FX_LEN 416

void x87_fx_store(struct emu_cpu *c, const struct emu_insn *in, uint8_t *img)
{
	const struct rax_fpu_state *f = &c->s.fpu;
	wr16(img + 0, f->fcw);
	wr16(img + 2, f->fsw);
	img[4] = f->ftw;
	if (f->fsw & X87_SW_ES) { /* AMD: the error pointers only while one is pending */
		wr16(img + 6, f->fop & 0x7ff);
		if (in->rex & 8) {
			wr64(img + 8, f->fip);
			wr64(img + 16, f->fdp);
		} else {
			wr32(img + 8, (uint32_t)f->fip);
			wr16(img + 12, x87_fcs(c));
			wr32(img + 16, (uint32_t)f->fdp);
			wr16(img + 20, x87_fds(c));
		}
	}
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, f->st[i], 10);
}

void x87_fx_load(struct emu_cpu *c, const struct emu_insn *in, const uint8_t *img)
{
	struct rax_fpu_state *f = &c->s.fpu;
	f->fcw = x87_fcw_load(rd16(img + 0));
	f->fsw = x87_summary(rd16(img + 2), f->fcw);
	f->ftw = img[4];
	f->fop = rd16(img + 6) & 0x7ff;
	if (in->rex & 8) {
		f->fip = rd64(img + 8);
		f->fdp = rd64(img + 16);
	} else {
		f->fip = rd32(img + 8);
		f->fdp = rd32(img + 16);
	}
	for (unsigned i = 0; i < 8; i++) {
		memcpy(f->st[i], img + 32 + 16 * i, 10);
		memset(f->st[i] + 10, 0, 6);
	}
}

EMU_HANDLER(fxsave_M)
{
	uint64_t la = fx_addr(c, in);
	const struct rax_fpu_state *f = &c->s.fpu;
	bool xmm = c->s.cr4 & CR4_OSFXSR;
	unsigned len = xmm ? FX_LEN : 160;
	uint8_t img[FX_LEN];
	memset(img, 0, sizeof(img));
	x87_fx_store(c, in, img);
	wr32(img + 24, f->mxcsr);
	wr32(img + 28, EMU_MXCSR_MASK);
	if (xmm)
		memcpy(img + 160, f->xmm, 256);
	emu_write_block(c, la, img, len, c->cpl == 3);
}

EMU_HANDLER(fxrstor_M)
{
	uint64_t la = fx_addr(c, in);
	struct rax_fpu_state *f = &c->s.fpu;
	bool xmm = c->s.cr4 & CR4_OSFXSR;
	uint8_t img[FX_LEN];
	emu_read_block(c, la, img, xmm ? FX_LEN : 160, c->cpl == 3);
	uint32_t mxcsr = rd32(img + 24);
	if (mxcsr & ~(uint32_t)EMU_MXCSR_MASK)
		EMU_GP(c, 0);
	x87_fx_load(c, in, img);
	f->mxcsr = mxcsr;
	if (xmm)
		memcpy(f->xmm, img + 160, 256);
}

EMU_HANDLER(ldmxcsr_Md)
{
	emu_sse_check(c, in);
	uint32_t v = (uint32_t)emu_rd(c, in->seg, emu_ea(c, in), 4);
	if (v & ~(uint32_t)EMU_MXCSR_MASK)
		EMU_GP(c, 0);
	c->s.fpu.mxcsr = v;
}

EMU_HANDLER(stmxcsr_Md)
{
	emu_sse_check(c, in);
	emu_wr(c, in->seg, emu_ea(c, in), 4, c->s.fpu.mxcsr);
}

/* NP 0F 77: EMMS marks every x87/MMX register empty. An MMX instruction:
 * #UD when CR0.EM=1, #NM when CR0.TS=1, #MF for a pending x87 exception. */
EMU_HANDLER(emms)
{
	if (c->s.cr0 & CR0_EM)
		EMU_UD(c);
	if (c->s.cr0 & CR0_TS)
		emu_raise(c, EXC_NM, 0, 0);
	x87_wait_check(c);
	c->s.fpu.ftw = 0; /* abridged tag word: all empty */
}
