/*
 * x87.c - x87 control and state instructions and the FXSAVE family:
 * FNINIT, FNCLEX (and the 8087/287 no-ops FNENI/FNDISI/FNSETPM), FLDCW,
 * FNSTCW, FNSTSW (AX and m16), FXSAVE/FXRSTOR (legacy and REX.W forms),
 * LDMXCSR, STMXCSR, EMMS. FWAIT lives in system.c.
 *
 * The x87/SSE registers are kept in the canonical state (c->s.fpu), so
 * get/set_state need no conversion. st[i] holds ST(i) in FXSAVE image order;
 * with no arithmetic emulated yet TOP stays 0 and that is also the physical
 * order. x87 arithmetic is not emulated: those rows stay UNIMPL.
 *
 * Faults (SDM vol. 1 13.x / vol. 3 table 2-2, APM vol. 2 table 15-x):
 * x87 instructions raise #NM when CR0.EM or CR0.TS is set. FXSAVE/FXRSTOR
 * raise #NM when CR0.TS or CR0.EM is set, #GP(0) on a misaligned (16) operand;
 * FXRSTOR #GP(0) when the image's MXCSR sets bits outside MXCSR_MASK.
 * LDMXCSR/STMXCSR are SSE instructions: #UD when CR0.EM=1 or CR4.OSFXSR=0,
 * #NM when CR0.TS=1, and LDMXCSR #GP(0) on reserved bits.
 */
#include "emu/insn/handlers.h"
#include "emu/insn/sse.h"

/* x87 instruction availability. */
static void x87_check(struct emu_cpu *c)
{
	if (__builtin_expect(c->s.cr0 & (CR0_EM | CR0_TS), 0))
		emu_raise(c, EXC_NM, 0, 0);
}

/* Recompute FSW.ES and FSW.B from the pending exceptions and the masks. */
static uint16_t fsw_summary(uint16_t fsw, uint16_t fcw)
{
	fsw &= (uint16_t)~0x8080u;
	if (fsw & ~fcw & 0x3f)
		fsw |= 0x8080;
	return fsw;
}

/* DB E0-E7: FNENI, FNDISI, FNCLEX, FNINIT, FNSETPM; E5-E7 are invalid. */
EMU_HANDLER(x87_db4)
{
	unsigned sub = in->rm & 7;
	if (sub > 4)
		EMU_UD(c);
	x87_check(c);
	struct rax_fpu_state *f = &c->s.fpu;
	switch (sub) {
	case 2: /* FNCLEX: clear PE UE OE ZE DE IE SF ES B */
		f->fsw &= 0x7f00;
		break;
	case 3: /* FNINIT */
		f->fcw = EMU_FCW_INIT;
		f->fsw = 0;
		f->ftw = 0; /* abridged: all empty */
		f->fop = 0;
		f->fip = 0;
		f->fdp = 0;
		break;
	default: /* FNENI/FNDISI/FNSETPM: no-ops since the 387 */
		break;
	}
}

EMU_HANDLER(fldcw_Mw)
{
	x87_check(c);
	uint16_t v = (uint16_t)emu_rd(c, in->seg, emu_ea(c, in), 2);
	c->s.fpu.fcw = v;
	c->s.fpu.fsw = fsw_summary(c->s.fpu.fsw, v);
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
	if ((in->rm & 7) != 0)
		EMU_UD(c);
	x87_check(c);
	c->gpr[0] = (c->gpr[0] & ~0xffffull) | c->s.fpu.fsw;
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

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/*
 * The image (SDM vol. 1 table 10-2/10-3): 0 FCW, 2 FSW, 4 abridged FTW,
 * 6 FOP, 8 FIP (REX.W: 64 bits; else 32 bits + FCS at 12), 16 FDP (REX.W: 64
 * bits; else 32 bits + FDS at 20), 24 MXCSR, 28 MXCSR_MASK, 32 ST0-ST7
 * (16 bytes each, 10 used), 160 XMM0-XMM15. Bytes 416-511 are not written.
 * With CR4.OSFXSR=0 the XMM registers are neither saved nor restored.
 */
#define FX_LEN 416

EMU_HANDLER(fxsave_M)
{
	uint64_t la = fx_addr(c, in);
	const struct rax_fpu_state *f = &c->s.fpu;
	bool xmm = c->s.cr4 & CR4_OSFXSR;
	unsigned len = xmm ? FX_LEN : 160;
	uint8_t img[FX_LEN];
	memset(img, 0, sizeof(img));
	put16(img + 0, f->fcw);
	put16(img + 2, f->fsw);
	img[4] = f->ftw;
	put16(img + 6, f->fop & 0x7ff);
	if (in->rex & 8) {
		put64(img + 8, f->fip);
		put64(img + 16, f->fdp);
	} else {
		put32(img + 8, (uint32_t)f->fip); /* FCS (12) and FDS (20) read as 0 */
		put32(img + 16, (uint32_t)f->fdp);
	}
	put32(img + 24, f->mxcsr);
	put32(img + 28, EMU_MXCSR_MASK);
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, f->st[i], 10);
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
	uint32_t mxcsr = get32(img + 24);
	if (mxcsr & ~(uint32_t)EMU_MXCSR_MASK)
		EMU_GP(c, 0);
	f->fcw = get16(img + 0);
	f->fsw = get16(img + 2);
	f->ftw = img[4];
	f->fop = get16(img + 6) & 0x7ff;
	if (in->rex & 8) {
		f->fip = get64(img + 8);
		f->fdp = get64(img + 16);
	} else {
		f->fip = get32(img + 8);
		f->fdp = get32(img + 16);
	}
	f->mxcsr = mxcsr;
	for (unsigned i = 0; i < 8; i++) {
		memcpy(f->st[i], img + 32 + 16 * i, 10);
		memset(f->st[i] + 10, 0, 6);
	}
	if (xmm)
		memcpy(f->xmm, img + 160, 256);
}

EMU_HANDLER(ldmxcsr_Md)
{
	emu_sse_check(c);
	uint32_t v = (uint32_t)emu_rd(c, in->seg, emu_ea(c, in), 4);
	if (v & ~(uint32_t)EMU_MXCSR_MASK)
		EMU_GP(c, 0);
	c->s.fpu.mxcsr = v;
}

EMU_HANDLER(stmxcsr_Md)
{
	emu_sse_check(c);
	emu_wr(c, in->seg, emu_ea(c, in), 4, c->s.fpu.mxcsr);
}

/* NP 0F 77: EMMS marks every x87/MMX register empty. An MMX instruction:
 * #UD when CR0.EM=1, #NM when CR0.TS=1. */
EMU_HANDLER(emms)
{
	if (c->s.cr0 & CR0_EM)
		EMU_UD(c);
	if (c->s.cr0 & CR0_TS)
		emu_raise(c, EXC_NM, 0, 0);
	c->s.fpu.ftw = 0; /* abridged tag word: all empty */
}
