/*
 * xsave.c - the XSAVE feature set (CPU level v2 and up, opcodes_xsave.def):
 * XGETBV/XSETBV (XCR0), XSAVE, XSAVEOPT, XSAVEC and XRSTOR (standard and
 * compacted form), 32-bit and REX.W forms, for the state components the
 * model has: x87 (0), SSE (1) and AVX (2, the upper halves of YMM0-15).
 * XSAVES/XRSTORS are not advertised (no supervisor state) and #UD.
 *
 * Layout (SDM vol. 1 13.4, CPUID 0xD): the legacy region is FXSAVE's
 * (x87 in bytes 0-159 less MXCSR/MXCSR_MASK at 24-31, XMM at 160), the
 * header at 512 (XSTATE_BV, XCOMP_BV), AVX at 576 (256 bytes) in both the
 * standard and the compacted format (it is the first extended component).
 *
 * The init optimization follows the AMD Zen CPU this project checks
 * against (measured with the native CPU):
 * - XINUSE is the state's values: x87 is in use unless FCW=037F, FSW, FTW
 *   (all empty) and the eight registers are all 0 (FOP/FIP/FDP do not
 *   count); SSE unless XMM0-15 are 0; AVX unless the YMM upper halves are 0.
 *   MXCSR counts for SSE where the format ties it to the SSE bit: XSAVEC
 *   (a compacted XRSTOR of XSTATE_BV[1]=0 sets 1F80) and XGETBV with
 *   ECX=1 see SSE in use when MXCSR is not 1F80; XSAVE and XSAVEOPT, whose
 *   standard format always holds MXCSR, do not. The architecture allows
 *   that (XINUSE[i] = 0 only for a component in its initial
 *   configuration); the CPU sometimes keeps a bit set for a component back
 *   in its initial state (FLDCW 037F, MOVAPS of a zero register, LDMXCSR
 *   1F80 after another value), which the interpreter does not.
 * - XSAVE writes every requested component and XSTATE_BV[i] = XINUSE[i]
 *   for the requested bits only (the rest of the header is untouched);
 *   MXCSR/MXCSR_MASK when SSE or AVX is requested.
 * - XSAVEOPT writes only requested components in use (no modified
 *   optimization: allowed, never observable as a difference in what is
 *   saved), MXCSR/MXCSR_MASK always when SSE or AVX is requested.
 * - XSAVEC writes XSTATE_BV = XINUSE & RFBM and XCOMP_BV = RFBM | bit 63
 *   (bytes 512-527 only), and the requested components in use; MXCSR only
 *   with the SSE component (AMD; Intel writes it whenever SSE is requested).
 * - The x87 pointers FOP/FIP/FDP are stored as FXSAVE stores them on AMD:
 *   only while an exception is pending (FSW.ES).
 * - XRSTOR: #GP(0) for XSTATE_BV bits outside XCR0, a non-zero XCOMP_BV or
 *   bytes 16-23 of the header (standard form; bytes 24-63 are ignored), or
 *   in the compacted form XCOMP_BV bits outside XCR0, XSTATE_BV bits
 *   outside XCOMP_BV or non-zero bytes 16-63; whatever RFBM is. A requested
 *   component whose XSTATE_BV bit is clear gets its initial state. MXCSR:
 *   standard form, loaded whenever SSE or AVX is requested (#GP(0) for
 *   reserved bits); compacted form, loaded with the SSE component and 1F80
 *   when SSE is requested but XSTATE_BV[1] is clear.
 * Outside 64-bit mode only XMM0-7 and YMM0-7 are saved and loaded.
 * Faults: #UD with CR4.OSXSAVE=0, #NM with CR0.TS=1, #GP(0) for an area
 * not aligned on 64 bytes.
 */
#include "emu/insn/handlers.h"
#include "emu/insn/sse.h"
#include "emu/insn/x87.h"
#include "le.h"

#define XS_MXCSR 24
#define XS_XMM 160
#define XS_HDR 512
#define XS_AVX 576
#define XS_SIZE (XS_AVX + 256) /* the standard area for XCR0 = 7 (CPUID 0xD.0 EBX/ECX) */
#define XCOMP_COMPACTED (1ull << 63)
#define XCR0_SUPPORTED (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX)


static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* XINUSE (see above); with_mxcsr: MXCSR != 1F80 puts SSE in use. */
static uint64_t emu_xinuse(const struct emu_cpu *c, bool with_mxcsr)
{
	const struct rax_fpu_state *f = &c->s.fpu;
	uint64_t u = 0;
	bool st0 = true;
	for (unsigned i = 0; i < 8; i++)
		st0 = st0 && all_zero(f->st[i], 10);
	if (f->fcw != 0x37f || f->fsw || f->ftw || !st0)
		u |= XFEATURE_X87;
	if ((with_mxcsr && f->mxcsr != 0x1f80) || !all_zero(f->xmm, sizeof(f->xmm)))
		u |= XFEATURE_SSE;
	if (!all_zero(f->ymmh, sizeof(f->ymmh)))
		u |= XFEATURE_AVX;
	return u;
}

/* 0F 01 D0 / D1 (register forms of 0F 01 /2): XGETBV, XSETBV. */
EMU_HANDLER(xgetbv_xsetbv)
{
	if (!(c->s.cr4 & CR4_OSXSAVE) || (in->modrm & 7) > 1)
		EMU_UD(c);
	uint32_t ecx = (uint32_t)c->gpr[RAX_REG_RCX];
	if ((in->modrm & 7) == 0) {
		uint64_t v;
		if (ecx == 0)
			v = c->s.xcr0;
		else if (ecx == 1) /* CPUID 0xD.1 EAX bit 2 */
			v = c->s.xcr0 & emu_xinuse(c, true);
		else
			EMU_GP(c, 0);
		c->gpr[RAX_REG_RAX] = (uint32_t)v;
		c->gpr[RAX_REG_RDX] = (uint32_t)(v >> 32);
		return;
	}
	emu_need_cpl0(c);
	uint64_t v = (uint32_t)c->gpr[RAX_REG_RAX] | (uint64_t)(uint32_t)c->gpr[RAX_REG_RDX] << 32;
	if (ecx != 0 || !(v & XFEATURE_X87) || (v & ~XCR0_SUPPORTED) || ((v & XFEATURE_AVX) && !(v & XFEATURE_SSE)))
		EMU_GP(c, 0);
	c->s.xcr0 = v;
}

/* The checks every save/restore form makes, and the area's linear address. */
static uint64_t xs_addr(struct emu_cpu *c, const struct emu_insn *in, unsigned size, int acc)
{
	if (!(c->s.cr4 & CR4_OSXSAVE))
		EMU_UD(c);
	if (c->s.cr0 & CR0_TS)
		emu_raise(c, EXC_NM, 0, 0);
	uint64_t la = emu_linear_acc(c, in->seg, emu_ea(c, in), size, acc);
	if (la & 63)
		EMU_GP(c, 0);
	return la;
}

static uint64_t rfbm_of(struct emu_cpu *c)
{
	uint64_t mask = (uint32_t)c->gpr[RAX_REG_RAX] | (uint64_t)(uint32_t)c->gpr[RAX_REG_RDX] << 32;
	return mask & c->s.xcr0;
}

static unsigned xmm_regs(const struct emu_cpu *c) { return c->dmode == EMU_MODE_64 ? 16 : 8; }

static void x87_init(struct rax_fpu_state *f)
{
	f->fcw = 0x37f;
	f->fsw = 0;
	f->ftw = 0;
	f->fop = 0;
	f->fip = 0;
	f->fdp = 0;
	memset(f->st, 0, sizeof(f->st));
}

enum xs_kind { XS_STD, XS_OPT, XS_COMPACT };

static void xsave_common(struct emu_cpu *c, const struct emu_insn *in, enum xs_kind kind)
{
	uint64_t la = xs_addr(c, in, XS_SIZE, ACC_W);
	uint64_t rfbm = rfbm_of(c), inuse = emu_xinuse(c, kind == XS_COMPACT);
	uint64_t save = kind == XS_STD ? rfbm : rfbm & inuse;
	bool user = c->cpl == 3;
	unsigned nx = xmm_regs(c);
	const struct rax_fpu_state *f = &c->s.fpu;
	uint8_t img[160], mx[8];
	wr32(mx, f->mxcsr);
	wr32(mx + 4, EMU_MXCSR_MASK);
	bool mxcsr = kind == XS_COMPACT ? (save & XFEATURE_SSE) : (rfbm & (XFEATURE_SSE | XFEATURE_AVX));
	/* the header first: XSAVE/XSAVEOPT read-modify-write XSTATE_BV */
	uint8_t hdr[16];
	if (kind == XS_COMPACT) {
		wr64(hdr, rfbm & inuse);
		wr64(hdr + 8, rfbm | XCOMP_COMPACTED);
	} else if (rfbm) {
		emu_read_block(c, la + XS_HDR, hdr, 8, user);
		wr64(hdr, (rd64(hdr) & ~rfbm) | (inuse & rfbm));
	}
	if (save & XFEATURE_X87) {
		memset(img, 0, 160);
		x87_fx_store(c, in, img);
		emu_write_block(c, la, img, 24, user);
	}
	if (mxcsr)
		emu_write_block(c, la + XS_MXCSR, mx, 8, user);
	if (save & XFEATURE_X87)
		emu_write_block(c, la + 32, img + 32, 128, user);
	if (save & XFEATURE_SSE)
		emu_write_block(c, la + XS_XMM, f->xmm, 16 * nx, user);
	if (kind == XS_COMPACT)
		emu_write_block(c, la + XS_HDR, hdr, 16, user);
	else if (rfbm)
		emu_write_block(c, la + XS_HDR, hdr, 8, user);
	if (save & XFEATURE_AVX)
		emu_write_block(c, la + XS_AVX, f->ymmh, 16 * nx, user);
}

/* NP 0F AE /4: XSAVE m */
EMU_HANDLER(xsave_M) { xsave_common(c, in, XS_STD); }
/* NP 0F AE /6: XSAVEOPT m */
EMU_HANDLER(xsaveopt_M) { xsave_common(c, in, XS_OPT); }
/* NP 0F C7 /4: XSAVEC m */
EMU_HANDLER(xsavec_M) { xsave_common(c, in, XS_COMPACT); }

/* NP 0F AE /5: XRSTOR m (standard or compacted by XCOMP_BV bit 63) */
EMU_HANDLER(xrstor_M)
{
	uint64_t la = xs_addr(c, in, XS_SIZE, ACC_R);
	bool user = c->cpl == 3;
	uint8_t hdr[64];
	emu_read_block(c, la + XS_HDR, hdr, 64, user);
	uint64_t bv = rd64(hdr), comp = rd64(hdr + 8), xcr0 = c->s.xcr0;
	bool compact = comp & XCOMP_COMPACTED;
	if (compact) {
		if ((comp & ~XCOMP_COMPACTED & ~xcr0) || (bv & ~comp) || !all_zero(hdr + 16, 48))
			EMU_GP(c, 0);
	} else if ((bv & ~xcr0) || comp || !all_zero(hdr + 16, 8)) {
		EMU_GP(c, 0);
	}
	uint64_t rfbm = rfbm_of(c), load = rfbm & bv;
	unsigned nx = xmm_regs(c);
	struct rax_fpu_state *f = &c->s.fpu;
	uint8_t img[160], mx[4];
	uint8_t xmm[16][16], ymmh[16][16];
	/* read everything first: a fault leaves the state as it was */
	bool ld_mxcsr = compact ? (load & XFEATURE_SSE) : (rfbm & (XFEATURE_SSE | XFEATURE_AVX));
	if (ld_mxcsr) {
		emu_read_block(c, la + XS_MXCSR, mx, 4, user);
		if (rd32(mx) & ~(uint32_t)EMU_MXCSR_MASK)
			EMU_GP(c, 0);
	}
	if (load & XFEATURE_X87)
		emu_read_block(c, la, img, 160, user);
	if (load & XFEATURE_SSE)
		emu_read_block(c, la + XS_XMM, xmm, 16 * nx, user);
	if (load & XFEATURE_AVX)
		emu_read_block(c, la + XS_AVX, ymmh, 16 * nx, user);
	if (rfbm & XFEATURE_X87) {
		if (load & XFEATURE_X87)
			x87_fx_load(c, in, img);
		else
			x87_init(f);
	}
	if (ld_mxcsr)
		f->mxcsr = rd32(mx);
	else if (compact && (rfbm & XFEATURE_SSE))
		f->mxcsr = 0x1f80;
	if (rfbm & XFEATURE_SSE) {
		if (load & XFEATURE_SSE)
			memcpy(f->xmm, xmm, 16 * nx);
		else
			memset(f->xmm, 0, 16 * nx);
	}
	if (rfbm & XFEATURE_AVX) {
		if (load & XFEATURE_AVX)
			memcpy(f->ymmh, ymmh, 16 * nx);
		else
			memset(f->ymmh, 0, 16 * nx);
	}
}
