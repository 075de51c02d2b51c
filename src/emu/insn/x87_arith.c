/*
 * x87_arith.c - the x87 data, arithmetic, compare and transcendental
 * instructions: FLD/FST/FSTP (m32fp, m64fp, m80fp, ST(i)), FILD/FIST/FISTP/
 * FISTTP, FBLD/FBSTP, FXCH, FCMOVcc, the constants, FADD/FSUB(R)/FMUL/
 * FDIV(R) in all forms with their integer variants, FCOM/FUCOM/FICOM and
 * the popping forms, FCOMI/FUCOMI(P), FTST, FXAM, FCHS, FABS, FSQRT,
 * FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1, FSIN/FCOS/FSINCOS/FPTAN/FPATAN,
 * F2XM1, FYL2X, FYL2XP1, FFREE(P), FINCSTP, FDECSTP, FNOP.
 *
 * Values are computed by the host's x87 unit (x87_host.c) on the guest's
 * own operands and control word, so results, rounding, precision control,
 * exception flags and condition codes are the CPU's. Two paths:
 *
 * - fast: the stack bookkeeping (TOP, tags, pops) is done here; the host
 *   runs just the operation with every exception masked. The common
 *   instructions go this way, and FLD m32/m64 of normal numbers, FILD,
 *   FLD/FST m80, FXCH, FCHS/FABS, FLD1/FLDZ and the register moves never
 *   touch the host FPU at all. What the host FSW says is merged as the CPU
 *   does it: the instructions measured leave the "undefined" C0/C2/C3 bits
 *   unchanged and set C1 as the host does (FCOMI, FCMOVcc and FNOP keep it).
 * - exact (x87_slow): the host runs the guest's instruction on a complete
 *   copy of the guest's x87 state and the state comes back whole. Taken by
 *   every stack overflow/underflow, every time the fast run shows an
 *   exception that the guest's FCW leaves unmasked (pre-computation
 *   exceptions then leave the stack alone, post-computation ones store the
 *   bias-adjusted result, stores are suppressed: whatever the CPU does),
 *   and always by the rare instructions (transcendentals, FPREM, FSCALE,
 *   FXTRACT, FBLD/FBSTP).
 *
 * Precision limits: none of our own. On an Intel host the transcendental
 * instructions give Intel's results (they differ from AMD's in the last
 * bits of some FSIN/FCOS/FPTAN/F2XM1/FYL2X results); everything else is
 * specified to the bit by IEEE 754 and the SDM/APM and agrees.
 *
 * FOP/FIP/FDP are set by every non-control instruction (including one that
 * raises an unmasked exception); FDP only by those with a memory operand.
 */
#include "emu/insn/x87.h"

#include "emu/insn/handlers.h"
#include "layout.h"

#define X87_SW_FLAGS (X87_SW_EXC | X87_SW_SF)

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* FCW with every exception masked, for the fast host runs. */
static inline uint16_t cw_masked(const struct rax_fpu_state *f) { return (uint16_t)(f->fcw | X87_SW_EXC); }

/* An exception the guest's FCW leaves unmasked: redo the exact way. */
static inline bool unmasked(const struct rax_fpu_state *f, uint16_t hsw)
{
	return __builtin_expect(hsw & ~f->fcw & X87_SW_EXC, 0);
}

/* With UM clear the CPU signals underflow for every tiny result, exact or
 * not, where the masked run flags only inexact ones: the instructions that
 * can underflow take the exact path then (never under the usual FCW). */
static inline bool ue_unmasked(const struct rax_fpu_state *f) { return __builtin_expect(!(f->fcw & X87_SW_UE), 0); }

/* Merge the host's exception flags and the status bits in cc into FSW. */
static inline void set_fsw(struct rax_fpu_state *f, uint16_t hsw, uint16_t cc)
{
	f->fsw = x87_summary((uint16_t)((f->fsw & ~cc) | (hsw & cc) | (hsw & X87_SW_EXC)), f->fcw);
}

static inline void set_reg(struct rax_fpu_state *f, unsigned i, const uint8_t *v)
{
	memcpy(f->st[i], v, 10);
	memset(f->st[i] + 10, 0, 6);
}

/* ---- memory operands ---- */

static uint64_t ea_add(const struct emu_insn *in, uint64_t ea, unsigned k)
{
	ea += k;
	return in->asz == 4 ? (ea & 0xffffffffull) : ea;
}

static void mem_read(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea, uint8_t *buf, unsigned size)
{
	if (size <= 8) {
		uint64_t v = emu_rd(c, in->seg, ea, size);
		memcpy(buf, &v, size);
		return;
	}
	uint64_t la = emu_linear_acc(c, in->seg, ea, size, ACC_R);
	if ((la & GUEST_PAGE_OFFSET) > GUEST_PAGE_SIZE - size) {
		emu_read_block(c, la, buf, size, c->cpl == 3);
		return;
	}
	uint64_t lo = emu_rd(c, in->seg, ea, 8);
	uint64_t hi = emu_rd(c, in->seg, ea_add(in, ea, 8), 2);
	put64(buf, lo);
	put16(buf + 8, (uint16_t)hi);
}

/* Writes all or nothing: a fault leaves memory and the x87 state alone. */
static void mem_write(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea, const uint8_t *buf, unsigned size)
{
	if (size <= 8) {
		uint64_t v = 0;
		memcpy(&v, buf, size);
		emu_wr(c, in->seg, ea, size, v);
		return;
	}
	uint64_t la = emu_linear_acc(c, in->seg, ea, size, ACC_W);
	if ((la & GUEST_PAGE_OFFSET) > GUEST_PAGE_SIZE - size) {
		emu_write_block(c, la, buf, size, c->cpl == 3);
		return;
	}
	uint64_t lo;
	memcpy(&lo, buf, 8);
	emu_wr(c, in->seg, ea, 8, lo);
	emu_wr(c, in->seg, ea_add(in, ea, 8), 2, get16(buf + 8));
}

/* ---- the exact path ---- */

static void slow_fill(struct x87_host_ctx *x, const struct rax_fpu_state *f, uint64_t rflags)
{
	memset(x->img, 0, sizeof(x->img));
	put16(x->img + 0, f->fcw);
	/* No flags: a waiting host instruction must not see a pending exception
	 * (the guest's own #MF was decided before); they are merged back after. */
	put16(x->img + 2, (uint16_t)(f->fsw & ~(X87_SW_FLAGS | X87_SW_ES | X87_SW_B)));
	x->img[4] = f->ftw;
	for (unsigned i = 0; i < 8; i++)
		memcpy(x->img + 32 + 16 * i, f->st[i], 10);
	x->rflags = rflags;
}

static bool all_bytes(const uint8_t *p, unsigned n, uint8_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/*
 * Run the instruction on the host with the whole x87 state. mem: the
 * memory source operand already read (NULL for none); dst: the size of a
 * memory destination (0 for none). Whether the CPU stored at all (it does
 * not with some unmasked exceptions) shows as an untouched canary: a store
 * can match one canary but not both.
 */
static void x87_slow(struct emu_cpu *c, const struct emu_insn *in, uint8_t *mem, unsigned dst, uint64_t ea)
{
	struct rax_fpu_state *f = &c->s.fpu;
	struct x87_host_ctx x;
	uint8_t buf[16];
	const void *stub = in->mod == 3 ? x87_stub_reg(in->op, in->modrm) : x87_stub_mem(in->op, (in->modrm >> 3) & 7);
	uint64_t fl = emu_get_flags(c);
	x.mem = mem ? mem : buf;
	memset(buf, 0, sizeof(buf));
	slow_fill(&x, f, fl);
	x87_host_exec(&x, stub);
	bool stored = dst != 0;
	if (dst && all_bytes(buf, dst, 0)) {
		memset(buf, 0xff, sizeof(buf));
		slow_fill(&x, f, fl);
		x87_host_exec(&x, stub);
		stored = !all_bytes(buf, dst, 0xff);
	}
	if (stored)
		mem_write(c, in, ea, buf, dst);

	/* commit */
	uint16_t hsw = get16(x.img + 2);
	f->fsw = x87_summary((uint16_t)(hsw | (f->fsw & X87_SW_FLAGS)), f->fcw);
	f->ftw = x.img[4];
	for (unsigned i = 0; i < 8; i++)
		set_reg(f, i, x.img + 32 + 16 * i);
	/* FCOMI, FUCOMI, FCOMIP, FUCOMIP write ZF PF CF and clear OF SF AF */
	unsigned r = (in->modrm >> 3) & 7;
	if (in->mod == 3 && (in->op == 0xdb || in->op == 0xdf) && (r == 5 || r == 6))
		emu_set_status(c, RFLAGS_STATUS, x.rflags);
	if (in->mod == 3)
		x87_note(c, in);
	else
		x87_note_mem(c, in, ea);
}

static void slow_reg(struct emu_cpu *c, const struct emu_insn *in) { x87_slow(c, in, NULL, 0, 0); }

/* ---- conversions done without the host ---- */

/* m32fp/m64fp zero or normal number -> 80-bit (exact, no exception). */
static bool fp_to_80(const uint8_t *m, unsigned size, uint8_t *v)
{
	uint64_t mant;
	unsigned se;
	if (size == 4) {
		uint32_t b;
		memcpy(&b, m, 4);
		unsigned e = (b >> 23) & 0xff, s = b >> 31;
		uint32_t frac = b & 0x7fffff;
		if (e == 0 && frac == 0) {
			mant = 0;
			se = s << 15;
		} else if (e != 0 && e != 0xff) {
			mant = (1ull << 63) | ((uint64_t)frac << 40);
			se = (s << 15) | (e - 127 + 16383);
		} else {
			return false;
		}
	} else {
		uint64_t b;
		memcpy(&b, m, 8);
		unsigned e = (unsigned)(b >> 52) & 0x7ff, s = (unsigned)(b >> 63);
		uint64_t frac = b & ((1ull << 52) - 1);
		if (e == 0 && frac == 0) {
			mant = 0;
			se = s << 15;
		} else if (e != 0 && e != 0x7ff) {
			mant = (1ull << 63) | (frac << 11);
			se = (s << 15) | (e - 1023 + 16383);
		} else {
			return false;
		}
	}
	put64(v, mant);
	put16(v + 8, (uint16_t)se);
	return true;
}

/* Integer -> 80-bit: always exact (FILD raises nothing but #IS). */
static void int_to_80(int64_t i, uint8_t *v)
{
	if (i == 0) {
		put64(v, 0);
		put16(v + 8, 0);
		return;
	}
	unsigned s = i < 0;
	uint64_t m = s ? -(uint64_t)i : (uint64_t)i;
	unsigned sh = (unsigned)__builtin_clzll(m);
	put64(v, m << sh);
	put16(v + 8, (uint16_t)((s << 15) | (16383 + 63 - sh)));
}

/* ---- stack helpers ---- */

/* Push v (C1 = 0, the host's flags in hsw). The caller checked that the
 * register below ST(0) is empty. */
static void push(struct rax_fpu_state *f, const uint8_t *v, uint16_t hsw)
{
	x87_rotate_push(f);
	set_reg(f, 0, v);
	x87_set_valid(f, 0);
	set_fsw(f, hsw & X87_SW_EXC, X87_SW_C1);
}

static inline bool push_ok(const struct rax_fpu_state *f) { return x87_empty(f, 7); }

/* ---- loads ---- */

/* D9 /0 FLD m32fp, DD /0 FLD m64fp, DB /5 FLD m80fp */
EMU_HANDLER(fld_M)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned size = in->op == 0xd9 ? 4 : in->op == 0xdd ? 8 : 10;
	uint64_t ea = emu_ea(c, in);
	uint8_t m[16] = { 0 }, v[16] = { 0 };
	uint16_t hsw = 0;
	mem_read(c, in, ea, m, size);
	if (!push_ok(f)) {
		x87_slow(c, in, m, 0, ea);
		return;
	}
	if (size == 10) {
		memcpy(v, m, 10); /* no exception, not even for an SNaN */
	} else if (!fp_to_80(m, size, v)) {
		hsw = x87_host_load(x87_stub_mem(in->op, 0), cw_masked(f), v, m);
		if (unmasked(f, hsw)) {
			x87_slow(c, in, m, 0, ea);
			return;
		}
	}
	push(f, v, hsw);
	x87_note_mem(c, in, ea);
}

/* DF /0 FILD m16int, DB /0 FILD m32int, DF /5 FILD m64int */
EMU_HANDLER(fild_M)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned size = in->op == 0xdb ? 4 : ((in->modrm >> 3) & 7) == 5 ? 8 : 2;
	uint64_t ea = emu_ea(c, in);
	uint64_t raw = emu_rd(c, in->seg, ea, size);
	uint8_t v[16] = { 0 };
	if (!push_ok(f)) {
		uint8_t m[16];
		memcpy(m, &raw, 8);
		x87_slow(c, in, m, 0, ea);
		return;
	}
	int_to_80((int64_t)emu_sext(raw, size), v);
	push(f, v, 0);
	x87_note_mem(c, in, ea);
}

/* DF /4 FBLD m80bcd */
EMU_HANDLER(fbld_M)
{
	x87_wait(c);
	uint64_t ea = emu_ea(c, in);
	uint8_t m[16] = { 0 };
	mem_read(c, in, ea, m, 10);
	x87_slow(c, in, m, 0, ea);
}

/* D9 C0+i FLD ST(i) */
EMU_HANDLER(fld_STi)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned i = in->modrm & 7;
	if (x87_empty(f, i) || !push_ok(f)) {
		slow_reg(c, in);
		return;
	}
	uint8_t v[16];
	memcpy(v, f->st[i], 16);
	push(f, v, 0);
	x87_note(c, in);
}

/* D9 E8-EE: FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ (EF invalid). The
 * irrational ones are rounded by FCW.RC, so the host loads them. */
EMU_HANDLER(x87_d9_5)
{
	unsigned k = in->modrm & 7;
	if (k == 7)
		EMU_UD(c);
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	if (!push_ok(f)) {
		slow_reg(c, in);
		return;
	}
	uint8_t v[16] = { 0 };
	uint16_t hsw = 0;
	if (k == 0) {
		put64(v, 1ull << 63);
		put16(v + 8, 0x3fff);
	} else if (k != 6) {
		hsw = x87_host_load(x87_stub_reg(0xd9, in->modrm), cw_masked(f), v, NULL);
	}
	push(f, v, hsw);
	x87_note(c, in);
}

/* ---- stores ---- */

/* D9 /2 /3 FST(P) m32fp, DD /2 /3 FST(P) m64fp, DB /7 FSTP m80fp */
EMU_HANDLER(fst_M)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned r = (in->modrm >> 3) & 7;
	unsigned size = in->op == 0xd9 ? 4 : in->op == 0xdd ? 8 : 10;
	bool pop = r != 2;
	uint64_t ea = emu_ea(c, in);
	uint8_t out[16] = { 0 };
	uint16_t hsw = 0;
	if (x87_empty(f, 0) || (ue_unmasked(f) && size != 10)) {
		x87_slow(c, in, NULL, size, ea);
		return;
	}
	if (size == 10) {
		memcpy(out, f->st[0], 10);
	} else if (!x87_soft_to_fp(f->st[0], size, f->fcw, out, &hsw)) {
		/* the popping form leaves the host stack empty */
		hsw = x87_host_store(x87_stub_mem(in->op, 3), cw_masked(f), f->st[0], out);
	}
	if (unmasked(f, hsw)) {
		x87_slow(c, in, NULL, size, ea);
		return;
	}
	mem_write(c, in, ea, out, size);
	set_fsw(f, hsw, X87_SW_C1);
	if (pop)
		x87_pop(f);
	x87_note_mem(c, in, ea);
}

/* DB /1 /2 /3 FISTTP/FIST/FISTP m32int, DF /1 /2 /3 the m16int ones,
 * DF /7 FISTP m64int, DD /1 FISTTP m64int */
EMU_HANDLER(fist_M)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned r = (in->modrm >> 3) & 7;
	unsigned size = in->op == 0xdb ? 4 : in->op == 0xdd ? 8 : r == 7 ? 8 : 2;
	bool pop = r != 2;
	uint64_t ea = emu_ea(c, in);
	uint8_t out[16] = { 0 };
	if (x87_empty(f, 0)) {
		x87_slow(c, in, NULL, size, ea);
		return;
	}
	uint16_t hsw;
	if (!x87_soft_to_int(f->st[0], size, r == 1 ? 3 : (f->fcw >> 10) & 3, out, &hsw))
		hsw = x87_host_store(x87_stub_mem(in->op, r == 2 ? 3 : r), cw_masked(f), f->st[0], out);
	if (unmasked(f, hsw)) {
		x87_slow(c, in, NULL, size, ea);
		return;
	}
	mem_write(c, in, ea, out, size);
	set_fsw(f, hsw, X87_SW_C1);
	if (pop)
		x87_pop(f);
	x87_note_mem(c, in, ea);
}

/* DF /6 FBSTP m80bcd */
EMU_HANDLER(fbstp_M)
{
	x87_wait(c);
	x87_slow(c, in, NULL, 10, emu_ea(c, in));
}

/* DD D0+i FST ST(i); DD D8+i FSTP ST(i) and its aliases D9 D8+i, DF D0+i,
 * DF D8+i */
EMU_HANDLER(fst_STi)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned i = in->modrm & 7;
	bool pop = !(in->op == 0xdd && ((in->modrm >> 3) & 7) == 2);
	if (x87_empty(f, 0)) {
		slow_reg(c, in);
		return;
	}
	memcpy(f->st[i], f->st[0], 16);
	x87_set_valid(f, i);
	f->fsw &= (uint16_t)~X87_SW_C1;
	if (pop)
		x87_pop(f);
	x87_note(c, in);
}

/* ---- register operations ---- */

/* D9 C8+i FXCH ST(i) and its aliases DD C8+i, DF C8+i */
EMU_HANDLER(fxch_STi)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned i = in->modrm & 7;
	if (x87_empty(f, 0) || x87_empty(f, i)) {
		slow_reg(c, in);
		return;
	}
	uint8_t t[16];
	memcpy(t, f->st[0], 16);
	memcpy(f->st[0], f->st[i], 16);
	memcpy(f->st[i], t, 16);
	f->fsw &= (uint16_t)~X87_SW_C1;
	x87_note(c, in);
}

/* DD C0+i FFREE ST(i); DF C0+i FFREEP ST(i) (free, then pop) */
EMU_HANDLER(ffree_STi)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	x87_set_empty(f, in->modrm & 7);
	f->fsw &= (uint16_t)~X87_SW_C1;
	if (in->op == 0xdf)
		x87_pop(f);
	x87_note(c, in);
}

/* DA C0-DF FCMOVB/E/BE/U, DB C0-DF FCMOVNB/NE/NBE/NU ST(0), ST(i) */
EMU_HANDLER(fcmov_ST0STi)
{
	static const uint8_t cc[8] = { 2, 4, 6, 10, 3, 5, 7, 11 }; /* Jcc condition codes */
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned i = in->modrm & 7;
	if (x87_empty(f, 0) || x87_empty(f, i)) {
		slow_reg(c, in);
		return;
	}
	if (emu_cond(c, cc[(in->op & 1) * 4 + ((in->modrm >> 3) & 3)]))
		memcpy(f->st[0], f->st[i], 16);
	x87_note(c, in);
}

/* D9 D0 FNOP (D1-D7 invalid) */
EMU_HANDLER(x87_d9_2)
{
	if ((in->modrm & 7) != 0)
		EMU_UD(c);
	x87_wait(c);
	x87_note(c, in);
}

/* Run a one- or two-operand stub on the host (ST(0) = a, ST(1) = b). */
static inline uint16_t op2(struct rax_fpu_state *f, const void *stub, uint8_t *a, uint8_t *b, const void *mem)
{
	return x87_host_op2(stub, cw_masked(f), a, b, mem);
}

/* D9 E0 FCHS, E1 FABS, E4 FTST, E5 FXAM (E2 E3 E6 E7 invalid) */
EMU_HANDLER(x87_d9_4)
{
	unsigned k = in->modrm & 7;
	if (k == 2 || k == 3 || k > 5)
		EMU_UD(c);
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	if (x87_empty(f, 0)) {
		slow_reg(c, in);
		return;
	}
	if (k <= 1) { /* sign bit only: no exception, not even for an SNaN */
		if (k == 0)
			f->st[0][9] ^= 0x80;
		else
			f->st[0][9] &= 0x7f;
		f->fsw &= (uint16_t)~X87_SW_C1;
	} else if (k == 5) { /* FXAM: classification only, no exception */
		f->fsw = (uint16_t)((f->fsw & ~X87_SW_CC) | x87_soft_fxam(f->st[0]));
	} else { /* FTST: compare with +0 */
		static const uint8_t zero[10];
		uint16_t hsw;
		if (!x87_soft_compare(f->st[0], zero, &hsw)) {
			uint8_t a[16], b[16] = { 0 };
			memcpy(a, f->st[0], 16);
			hsw = op2(f, x87_stub_reg(0xd9, in->modrm), a, b, NULL);
			if (unmasked(f, hsw)) {
				slow_reg(c, in);
				return;
			}
		}
		set_fsw(f, hsw, X87_SW_CC);
	}
	x87_note(c, in);
}

/* D9 F0-F7: F2XM1 FYL2X FPTAN FPATAN FXTRACT FPREM1 FDECSTP FINCSTP */
EMU_HANDLER(x87_d9_6)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned k = in->modrm & 7;
	if (k < 6) {
		slow_reg(c, in);
		return;
	}
	if (k == 6)
		x87_rotate_push(f); /* FDECSTP: TOP - 1, tags and contents stay */
	else
		x87_rotate_pop(f); /* FINCSTP: TOP + 1 */
	f->fsw &= (uint16_t)~X87_SW_C1;
	x87_note(c, in);
}

/* D9 F8-FF: FPREM FYL2XP1 FSQRT FSINCOS FRNDINT FSCALE FSIN FCOS */
EMU_HANDLER(x87_d9_7)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned k = in->modrm & 7;
	if ((k != 2 && k != 4) || x87_empty(f, 0)) {
		slow_reg(c, in);
		return;
	}
	uint8_t a[16], b[16] = { 0 };
	memcpy(a, f->st[0], 16);
	uint16_t hsw = op2(f, x87_stub_reg(0xd9, in->modrm), a, b, NULL);
	if (unmasked(f, hsw)) {
		slow_reg(c, in);
		return;
	}
	set_reg(f, 0, a);
	set_fsw(f, hsw, X87_SW_C1);
	x87_note(c, in);
}

/* ---- arithmetic ---- */

/*
 * ModRM.reg names the operation the same way in D8, DC and DE register
 * forms when read as (ST(0), ST(i)): /0 add, /1 mul, /4 ST(0)-ST(i),
 * /5 ST(i)-ST(0), /6 ST(0)/ST(i), /7 ST(i)/ST(0); D8 writes ST(0), DC
 * writes ST(i) and DE also pops. The host runs the D8 or DC form with
 * ST(i) as its ST(1) (or ST(0) when i = 0), so the operand roles and hence
 * NaN selection stay those of the guest's instruction.
 *
 * compute(): the result of ST(0) op src into res, the FSW bits (flags, C1)
 * into *hsw; false when only the exact path will do.
 */
static bool compute(struct rax_fpu_state *f, unsigned r, const uint8_t *st0, const uint8_t *src, bool src_ok,
		    const void *stub, const uint8_t *mem, bool res_in_b, uint8_t *res, uint16_t *hsw)
{
	if (src_ok && x87_soft_arith(r, st0, src, f->fcw, res, hsw))
		return !unmasked(f, *hsw);
	if (ue_unmasked(f))
		return false;
	uint8_t a[16], b[16] = { 0 };
	memcpy(a, st0, 10);
	if (!mem)
		memcpy(b, src, 10);
	*hsw = op2(f, stub, a, b, mem);
	memcpy(res, res_in_b ? b : a, 10);
	return !unmasked(f, *hsw);
}

static void compare_commit(struct rax_fpu_state *f, uint16_t hsw, unsigned pops)
{
	set_fsw(f, hsw, X87_SW_CC);
	while (pops--)
		x87_pop(f);
}

/* Compare ST(0) with src (FCOM or, unordered, FUCOM); false when the exact
 * path must run. */
static bool compare(struct rax_fpu_state *f, const uint8_t *src, bool src_ok, const void *stub, const uint8_t *mem,
		    uint16_t *hsw)
{
	if (src_ok && x87_soft_compare(f->st[0], src, hsw))
		return true;
	uint8_t a[16], b[16] = { 0 };
	memcpy(a, f->st[0], 10);
	if (!mem)
		memcpy(b, src, 10);
	*hsw = op2(f, stub, a, b, mem);
	return !unmasked(f, *hsw);
}

static const void *compare_stub(unsigned i, bool unordered)
{
	return unordered ? x87_stub_reg(0xdd, 0xe0 | (i != 0)) : x87_stub_reg(0xd8, 0xd0 | (i != 0));
}

static void arith_reg(struct emu_cpu *c, const struct emu_insn *in, bool to_sti, bool pop)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned i = in->modrm & 7, r = (in->modrm >> 3) & 7;
	uint16_t hsw;
	if (x87_empty(f, 0) || x87_empty(f, i)) {
		slow_reg(c, in);
		return;
	}
	if (!to_sti && (r == 2 || r == 3)) { /* FCOM, FCOMP */
		if (!compare(f, f->st[i], true, compare_stub(i, false), NULL, &hsw)) {
			slow_reg(c, in);
			return;
		}
		compare_commit(f, hsw, r == 3);
	} else {
		uint8_t res[16];
		const void *stub = x87_stub_reg(to_sti ? 0xdc : 0xd8, 0xc0 | r << 3 | (i != 0));
		if (!compute(f, r, f->st[0], f->st[i], true, stub, NULL, to_sti && i, res, &hsw)) {
			slow_reg(c, in);
			return;
		}
		set_reg(f, to_sti ? i : 0, res);
		set_fsw(f, hsw, X87_SW_C1);
		if (pop)
			x87_pop(f);
	}
	x87_note(c, in);
}

/* D8 C0-FF: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR ST(0), ST(i) */
EMU_HANDLER(x87_arith_ST0STi) { arith_reg(c, in, false, false); }

/* DC C0-CF, E0-FF: FADD FMUL FSUBR FSUB FDIVR FDIV ST(i), ST(0); DE: the
 * popping forms FADDP FMULP FSUBRP FSUBP FDIVRP FDIVP */
EMU_HANDLER(x87_arith_STiST0) { arith_reg(c, in, true, in->op == 0xde); }

/* D8 m32fp, DC m64fp, DA m32int, DE m16int: FADD FMUL FCOM FCOMP FSUB
 * FSUBR FDIV FDIVR and FIADD FIMUL FICOM FICOMP FISUB FISUBR FIDIV FIDIVR.
 * The conversion of the operand is exact; when it is not a normal number
 * or zero, the host runs the same instruction on the same memory bytes, so
 * an SNaN or denormal source behaves as it does on the CPU. */
EMU_HANDLER(x87_arith_M)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned r = (in->modrm >> 3) & 7;
	bool integer = in->op == 0xda || in->op == 0xde;
	unsigned size = in->op == 0xdc ? 8 : in->op == 0xde ? 2 : 4;
	uint64_t ea = emu_ea(c, in);
	uint8_t m[16] = { 0 }, src[16] = { 0 };
	uint16_t hsw;
	mem_read(c, in, ea, m, size);
	if (x87_empty(f, 0)) {
		x87_slow(c, in, m, 0, ea);
		return;
	}
	bool src_ok = true;
	if (integer) {
		uint64_t raw = 0;
		memcpy(&raw, m, size);
		int_to_80((int64_t)emu_sext(raw, size), src);
	} else {
		src_ok = fp_to_80(m, size, src);
	}
	if (r == 2 || r == 3) {
		if (!compare(f, src, src_ok, x87_stub_mem(in->op, 2), m, &hsw)) {
			x87_slow(c, in, m, 0, ea);
			return;
		}
		compare_commit(f, hsw, r == 3);
	} else {
		uint8_t res[16];
		if (!compute(f, r, f->st[0], src, src_ok, x87_stub_mem(in->op, r), m, false, res, &hsw)) {
			x87_slow(c, in, m, 0, ea);
			return;
		}
		set_reg(f, 0, res);
		set_fsw(f, hsw, X87_SW_C1);
	}
	x87_note_mem(c, in, ea);
}

/* ---- compares ---- */

/* DC D0+i FCOM2, DC D8+i FCOMP3, DE D0+i FCOMP5, DD E0+i FUCOM, DD E8+i FUCOMP */
EMU_HANDLER(fcom_STi)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned i = in->modrm & 7, r = (in->modrm >> 3) & 7;
	bool pop = in->op == 0xde || (r & 1);
	uint16_t hsw;
	if (x87_empty(f, 0) || x87_empty(f, i) ||
	    !compare(f, f->st[i], true, compare_stub(i, in->op == 0xdd), NULL, &hsw)) {
		slow_reg(c, in);
		return;
	}
	compare_commit(f, hsw, pop);
	x87_note(c, in);
}

static void compare_pp(struct emu_cpu *c, const struct emu_insn *in, bool unordered)
{
	if ((in->modrm & 7) != 1)
		EMU_UD(c);
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	uint16_t hsw;
	if (x87_empty(f, 0) || x87_empty(f, 1) || !compare(f, f->st[1], true, compare_stub(1, unordered), NULL, &hsw)) {
		slow_reg(c, in);
		return;
	}
	compare_commit(f, hsw, 2);
	x87_note(c, in);
}

/* DE D9 FCOMPP (other DE D8-DF invalid) */
EMU_HANDLER(fcompp) { compare_pp(c, in, false); }

/* DA E9 FUCOMPP (other DA E8-EF invalid) */
EMU_HANDLER(fucompp) { compare_pp(c, in, true); }

/* DB E8+i FUCOMI, DB F0+i FCOMI, DF E8+i FUCOMIP, DF F0+i FCOMIP: ZF PF CF
 * from the comparison, OF SF AF cleared; C0-C3 unchanged. */
EMU_HANDLER(fcomi_ST0STi)
{
	x87_wait(c);
	struct rax_fpu_state *f = &c->s.fpu;
	unsigned i = in->modrm & 7;
	bool unord = ((in->modrm >> 3) & 7) == 5;
	uint16_t hsw;
	if (x87_empty(f, 0) || x87_empty(f, i) || !compare(f, f->st[i], true, compare_stub(i, unord), NULL, &hsw)) {
		slow_reg(c, in);
		return;
	}
	uint64_t fl = 0;
	if (hsw & X87_SW_C3)
		fl |= RFLAGS_ZF;
	if (hsw & X87_SW_C2)
		fl |= RFLAGS_PF;
	if (hsw & X87_SW_C0)
		fl |= RFLAGS_CF;
	emu_set_status(c, RFLAGS_STATUS, fl);
	set_fsw(f, hsw, 0);
	if (in->op == 0xdf)
		x87_pop(f);
	x87_note(c, in);
}
