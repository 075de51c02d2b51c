/*
 * test_emu_x87.c - the x87 instruction set of the interpreter against the
 * host CPU, plus the rules the host cannot show from user mode.
 *
 * Differential part: every valid D8-DF encoding (memory forms addressing
 * [rsi]) runs on the emulator and natively on the host's x87 unit from the
 * same random state (FCW with any precision, rounding and masks; TOP, tags,
 * condition codes, masked flags; registers drawn from every class: zeros,
 * normals near 1 and at the exponent extremes, denormals, pseudo-denormals,
 * unnormals, infinities, QNaN, SNaN, pseudo-NaN; memory operands likewise;
 * RFLAGS for FCMOVcc), and FSW, the tag word, all eight registers, RFLAGS
 * and the memory operand must come out identical. The native side is a few
 * bytes of code built here (FXRSTOR64, the instruction, FXSAVE64), so it
 * shares nothing with the emulator's own use of the host FPU.
 *
 * Directed part: #UD encodings, #NM, #MF and its ordering, FIP/FDP/FOP,
 * FNSTENV/FLDENV/FNSAVE/FRSTOR formats, FCMOVcc conditions, the MMX
 * aliasing of the register file, and a throughput figure.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#include "emu/decode.h"
#include "test_emu_util.h"
#include "unit.h"

static struct tvm t;
static struct rax_cpu_state base;

enum { V_UD = 6, V_NM = 7, V_MF = 16 };

/* ---- random numbers and values ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

static void put80(uint8_t *p, uint64_t m, uint16_t se)
{
	memcpy(p, &m, 8);
	memcpy(p + 8, &se, 2);
}

/* A value of a random class. */
static void rand80(uint8_t *p)
{
	uint16_t s = (uint16_t)(rndn(2) << 15);
	uint64_t m = rnd();
	switch (rndn(16)) {
	case 0: put80(p, 0, s); break;                                                  /* zero */
	case 1: put80(p, m >> 1, s); break;                                             /* denormal */
	case 2: put80(p, m | 1ull << 63, s); break;                                     /* pseudo-denormal */
	case 3: put80(p, m & ~(1ull << 63), (uint16_t)(s | (1 + rndn(0x7ffe)))); break; /* unnormal */
	case 4: put80(p, 1ull << 63, s | 0x7fff); break;                                /* infinity */
	case 5: put80(p, m | 3ull << 62, s | 0x7fff); break;                            /* QNaN */
	case 6: put80(p, ((m | 1) & ~(1ull << 62)) | 1ull << 63, s | 0x7fff); break;    /* SNaN */
	case 7: put80(p, m & ~(1ull << 63), s | 0x7fff); break;                         /* pseudo-NaN/inf */
	case 8: put80(p, m | 1ull << 63, (uint16_t)(s | (1 + rndn(64)))); break;        /* tiny */
	case 9: put80(p, m | 1ull << 63, (uint16_t)(s | (0x7ffe - rndn(64)))); break;   /* huge */
	case 10:                                                                        /* small integer */
		put80(p, (rnd() & 0xffff) << 48 | 1ull << 63, (uint16_t)(s | (0x3fff + rndn(16))));
		break;
	case 11: /* near the int64/int32/int16 limits */
		put80(p, m | 1ull << 63, (uint16_t)(s | (0x3fff + (const unsigned[]){ 15, 31, 63, 64 }[rndn(4)])));
		break;
	default: /* normal, near 1 */ put80(p, m | 1ull << 63, (uint16_t)(s | (0x3fff - 40 + rndn(80)))); break;
	}
}

/* A memory operand of `size` bytes for instruction op/reg. */
static void rand_mem(uint8_t *p, unsigned op, unsigned reg)
{
	for (unsigned i = 0; i < 16; i++)
		p[i] = (uint8_t)rnd();
	bool fp32 = op == 0xd8 || (op == 0xd9 && reg == 0);
	bool fp64 = op == 0xdc || (op == 0xdd && reg == 0);
	bool m80 = (op == 0xdb && reg == 5);
	bool bcd = op == 0xdf && reg == 4;
	if (fp32) {
		uint32_t v = (uint32_t)rnd();
		switch (rndn(8)) {
		case 0: v &= 0x807fffff; break;                   /* denormal or zero */
		case 1: v |= 0x7f800000; break;                   /* NaN/inf */
		case 2: v = (v & 0x80000000) | 0x7f800000; break; /* inf */
		case 3: v = (v & 0x80000000); break;              /* zero */
		case 4: v = (v & 0x803fffff) | 0x7f800001; break; /* SNaN */
		default: v = (v & 0x807fffff) | (uint32_t)(127 - 20 + rndn(40)) << 23; break;
		}
		memcpy(p, &v, 4);
	} else if (fp64) {
		uint64_t v = rnd();
		switch (rndn(8)) {
		case 0: v &= 0x800fffffffffffffull; break;
		case 1: v |= 0x7ff0000000000000ull; break;
		case 2: v = (v & 1ull << 63) | 0x7ff0000000000000ull; break;
		case 3: v &= 1ull << 63; break;
		case 4: v = (v & 0x8007ffffffffffffull) | 0x7ff0000000000001ull; break;
		default: v = (v & 0x800fffffffffffffull) | (uint64_t)(1023 - 20 + rndn(40)) << 52; break;
		}
		memcpy(p, &v, 8);
	} else if (m80) {
		rand80(p);
	} else if (bcd) {
		for (unsigned i = 0; i < 9; i++)
			p[i] = (uint8_t)(rndn(10) | rndn(10) << 4);
		p[9] = (uint8_t)(rndn(2) << 7);
		if (!rndn(8))
			p[rndn(9)] = 0xfa; /* invalid digit */
	} else if (rndn(4) == 0) {
		memset(p, 0, 16); /* integer zero */
	}
}

/* ---- which encodings exist (measured on the host CPU) ---- */

static bool valid_mem(unsigned op, unsigned r)
{
	return !((op == 0xd9 && r == 1) || (op == 0xdb && (r == 4 || r == 6)) || (op == 0xdd && r == 5));
}

static bool valid_reg(unsigned op, unsigned modrm)
{
	unsigned r = (modrm >> 3) & 7, i = modrm & 7;
	switch (op) {
	case 0xd9:
		if (r == 2)
			return i == 0;
		if (r == 4)
			return i == 0 || i == 1 || i == 4 || i == 5;
		if (r == 5)
			return i != 7;
		return true;
	case 0xda: return r < 4 || modrm == 0xe9;
	case 0xdb: return r != 7 && !(r == 4 && i > 4);
	case 0xdd: return r < 6;
	case 0xde: return r != 3 || i == 1;
	case 0xdf: return r != 7 && !(r == 4 && i != 0);
	default: return true;
	}
}

/* Instructions the differential run covers (not the control/environment
 * ones, which have directed tests, nor FNSTSW AX). */
static bool diff_mem(unsigned op, unsigned r)
{
	if (!valid_mem(op, r))
		return false;
	if (op == 0xd9 && r >= 4)
		return false;
	if (op == 0xdd && (r == 4 || r == 6 || r == 7))
		return false;
	return true;
}

/* ---- the native oracle ---- */

struct oracle_ctx {
	_Alignas(64) uint8_t img[512];
	_Alignas(64) uint8_t save[512];
	_Alignas(16) uint8_t mem[16];
	uint64_t rflags;
};

static uint8_t *ocode;

/* fxsave64 [rdx]; fxrstor64 [rdi]; push qword [rcx]; popfq; INSN; pushfq;
 * pop qword [rcx]; fxsave64 [rdi]; fxrstor64 [rdx]; ret */
static void oracle_build(const uint8_t *insn, unsigned n)
{
	uint8_t *p = ocode;
	static const uint8_t pre[] = { 0x48, 0x0f, 0xae, 0x02, 0x48, 0x0f, 0xae, 0x0f, 0xff, 0x31, 0x9d };
	static const uint8_t post[] = { 0x9c, 0x8f, 0x01, 0x48, 0x0f, 0xae, 0x07, 0x48, 0x0f, 0xae, 0x0a, 0xc3 };
	memcpy(p, pre, sizeof(pre));
	p += sizeof(pre);
	memcpy(p, insn, n);
	p += n;
	memcpy(p, post, sizeof(post));
}

static void oracle_run(struct oracle_ctx *o)
{
	void (*fn)(void *, void *, void *, uint64_t *) = (void (*)(void *, void *, void *, uint64_t *))(void *)ocode;
	fn(o->img, o->mem, o->save, &o->rflags);
}

/* ---- one differential case ---- */

struct xstate {
	uint16_t fcw, fsw;
	uint8_t ftw;
	uint8_t st[8][10];
	uint8_t mem[16];
	uint64_t flags;
};

static void rand_state(struct xstate *x, unsigned op, unsigned modrm)
{
	static const uint16_t pcrc[] = { 0x0000, 0x0200, 0x0300, 0x0400, 0x0800, 0x0c00, 0x0f00, 0x0300 };
	x->fcw = (uint16_t)(0x0040 | pcrc[rndn(8)] | (rndn(4) ? 0x3f : (rnd() & 0x3f)));
	if (!rndn(8))
		x->fcw |= 0x1000;                         /* the infinity-control bit (ignored) */
	unsigned flags = (unsigned)rnd() & x->fcw & 0x3f; /* only masked flags: nothing pending */
	x->fsw = (uint16_t)(flags | ((rnd() & 0x4700)) | (rndn(8) << 11) | (rndn(4) ? 0 : 0x40));
	switch (rndn(4)) {
	case 0: x->ftw = (uint8_t)rnd(); break;
	case 1: x->ftw = 0xff; break;
	default: { /* a proper stack of depth d below TOP */
		unsigned top = (x->fsw >> 11) & 7, d = rndn(9);
		x->ftw = 0;
		for (unsigned i = 0; i < d; i++)
			x->ftw |= (uint8_t)(1u << ((top + i) & 7));
	} break;
	}
	for (unsigned i = 0; i < 8; i++)
		rand80(x->st[i]);
	rand_mem(x->mem, op, (modrm >> 3) & 7);
	x->flags = rnd() & RFLAGS_STATUS;
}

static unsigned ncases, nmismatch;

static void report(const char *what, const uint8_t *insn, unsigned n, const struct xstate *x)
{
	if (++nmismatch > 40)
		return;
	fprintf(stderr, "x87 diff: %s for %02x %02x (fcw %04x fsw %04x ftw %02x flags %llx)\n", what, insn[0], insn[1],
		x->fcw, x->fsw, x->ftw, (unsigned long long)x->flags);
	(void)n;
}

static void diff_case(const uint8_t *insn, unsigned n, const struct xstate *x)
{
	/* native */
	struct oracle_ctx o;
	memset(&o, 0, sizeof(o));
	memcpy(o.img + 0, &x->fcw, 2);
	memcpy(o.img + 2, &x->fsw, 2);
	o.img[4] = x->ftw;
	uint32_t mxcsr = __builtin_ia32_stmxcsr();
	memcpy(o.img + 24, &mxcsr, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(o.img + 32 + 16 * i, x->st[i], 10);
	memcpy(o.mem, x->mem, 16);
	o.rflags = (__builtin_ia32_readeflags_u64() & ~(uint64_t)RFLAGS_STATUS) | x->flags;
	oracle_run(&o);

	/* emulator */
	t.s = base;
	struct rax_fpu_state *f = &t.s.fpu;
	f->fcw = x->fcw;
	f->fsw = x->fsw;
	f->ftw = x->ftw;
	for (unsigned i = 0; i < 8; i++)
		memcpy(f->st[i], x->st[i], 10);
	t.s.rflags = RFLAGS_FIXED1 | x->flags;
	t.s.gpr[RAX_REG_RSI] = TV_DATA;
	memcpy(tv_ptr(&t, TV_DATA), x->mem, 16);
	uint8_t code[16];
	memcpy(code, insn, n);
	code[n] = 0xf4;
	tv_code(&t, code, n + 1);
	enum rax_exit_kind k = tv_run(&t);
	ncases++;
	if (k != RAX_EXIT_HLT || t.s.rip != TV_CODE + n + 1) {
		report("did not complete", insn, n, x);
		unit_fail++;
		return;
	}
	uint16_t ofsw, oftw;
	memcpy(&ofsw, o.img + 2, 2);
	oftw = o.img[4];
	bool ok = true;
	if (f->fsw != ofsw) {
		char b[64];
		snprintf(b, sizeof(b), "fsw emu %04x cpu %04x", f->fsw, ofsw);
		report(b, insn, n, x);
		ok = false;
	}
	if (f->ftw != oftw) {
		char b[64];
		snprintf(b, sizeof(b), "ftw emu %02x cpu %02x", f->ftw, oftw);
		report(b, insn, n, x);
		ok = false;
	}
	for (unsigned i = 0; i < 8; i++)
		if (memcmp(f->st[i], o.img + 32 + 16 * i, 10)) {
			char b[96];
			uint64_t em, om;
			uint16_t ee, oe;
			memcpy(&em, f->st[i], 8);
			memcpy(&ee, f->st[i] + 8, 2);
			memcpy(&om, o.img + 32 + 16 * i, 8);
			memcpy(&oe, o.img + 40 + 16 * i, 2);
			snprintf(b, sizeof(b), "st%u emu %04x_%016llx cpu %04x_%016llx", i, ee, (unsigned long long)em,
				 oe, (unsigned long long)om);
			report(b, insn, n, x);
			ok = false;
		}
	if ((t.s.rflags ^ o.rflags) & RFLAGS_STATUS) {
		char b[64];
		snprintf(b, sizeof(b), "rflags emu %llx cpu %llx", (unsigned long long)(t.s.rflags & RFLAGS_STATUS),
			 (unsigned long long)(o.rflags & RFLAGS_STATUS));
		report(b, insn, n, x);
		ok = false;
	}
	if (memcmp(tv_ptr(&t, TV_DATA), o.mem, 16)) {
		report("memory operand", insn, n, x);
		ok = false;
	}
	if (ok)
		unit_pass++;
	else
		unit_fail++;
}

static void test_differential(unsigned per_insn)
{
	ocode = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ocode == MAP_FAILED) {
		printf("SKIP: differential x87 test (no executable mapping)\n");
		return;
	}
	unsigned ninsn = 0;
	for (unsigned op = 0xd8; op <= 0xdf; op++) {
		for (unsigned m = 0; m < 8 + 64; m++) {
			uint8_t insn[2] = { (uint8_t)op, 0 };
			if (m < 8) {
				if (!diff_mem(op, m))
					continue;
				insn[1] = (uint8_t)(m << 3 | 6); /* [rsi] */
			} else {
				insn[1] = (uint8_t)(0xc0 + m - 8);
				if (!valid_reg(op, insn[1]) || (op == 0xdf && insn[1] == 0xe0))
					continue;
			}
			oracle_build(insn, 2);
			ninsn++;
			for (unsigned k = 0; k < per_insn; k++) {
				struct xstate x;
				rand_state(&x, op, insn[1]);
				diff_case(insn, 2, &x);
			}
		}
	}
	printf("x87 differential: %u encodings, %u cases, %u mismatches\n", ninsn, ncases, nmismatch);
	munmap(ocode, 4096);
}

/* ---- directed tests ---- */

static size_t code_len;

static void prep(const char *hex)
{
	uint8_t b[512];
	size_t n = unit_hex(hex, b);
	b[n++] = 0xf4;
	t.s = base;
	t.s.fpu.fcw = 0x037f;
	t.s.fpu.fsw = 0;
	t.s.fpu.ftw = 0;
	memset(t.s.fpu.st, 0, sizeof(t.s.fpu.st));
	t.s.fpu.fop = 0;
	t.s.fpu.fip = t.s.fpu.fdp = 0;
	tv_code(&t, b, n);
	code_len = n;
}

static int go(void)
{
	enum rax_exit_kind k = tv_run(&t);
	if (k == RAX_EXIT_HLT && t.s.rip == TV_CODE + code_len)
		return -1;
	int v = tv_vector(&t);
	if (v < 0)
		fprintf(stderr, "go: exit %d at rip 0x%llx (%s)\n", k, (unsigned long long)t.s.rip, t.ex.detail);
	return v;
}

static uint64_t m64(uint64_t off) { return tv_r64(&t, TV_DATA + off); }
static uint32_t m32(uint64_t off)
{
	uint32_t v;
	memcpy(&v, tv_ptr(&t, TV_DATA + off), 4);
	return v;
}
static uint16_t m16(uint64_t off)
{
	uint16_t v;
	memcpy(&v, tv_ptr(&t, TV_DATA + off), 2);
	return v;
}
static uint64_t st_m(unsigned i)
{
	uint64_t v;
	memcpy(&v, t.s.fpu.st[i], 8);
	return v;
}
static uint16_t st_e(unsigned i)
{
	uint16_t v;
	memcpy(&v, t.s.fpu.st[i] + 8, 2);
	return v;
}

static const char *mnem(const char *hex, char *buf, size_t n)
{
	uint8_t b[16];
	size_t len = unit_hex(hex, b);
	struct emu_insn in;
	if (emu_decode(b, (unsigned)len, &in) != EMU_DEC_OK)
		return "(ud)";
	return emu_mnemonic(&in, buf, n);
}

static void test_decode_rows(void)
{
	char b[32];
	/* every D8-DF row is implemented: no UNIMPL row left */
	for (unsigned op = 0xd8; op <= 0xdf; op++)
		for (unsigned m = 0; m < 256; m++) {
			uint8_t code[8] = { (uint8_t)op, (uint8_t)m, 0, 0, 0, 0, 0, 0 };
			struct emu_insn in;
			if (emu_decode(code, sizeof(code), &in) == EMU_DEC_OK)
				CHECK(!(emu_oprows[in.row].flags & EMU_F_UNIMPL));
		}
	CHECK(!strcmp(mnem("d9 00", b, sizeof(b)), "fld"));
	CHECK(!strcmp(mnem("d9 08", b, sizeof(b)), "(ud)"));
	CHECK(!strcmp(mnem("dd 28", b, sizeof(b)), "(ud)"));
	CHECK(!strcmp(mnem("db 20", b, sizeof(b)), "(ud)"));
	CHECK(!strcmp(mnem("db 30", b, sizeof(b)), "(ud)"));
	CHECK(!strcmp(mnem("da e0", b, sizeof(b)), "(ud)"));
	CHECK(!strcmp(mnem("da e9", b, sizeof(b)), "fucompp"));
	CHECK(!strcmp(mnem("de d9", b, sizeof(b)), "fcompp"));
	CHECK(!strcmp(mnem("d9 eb", b, sizeof(b)), "fldpi"));
	CHECK(!strcmp(mnem("d9 fe", b, sizeof(b)), "fsin"));
	CHECK(!strcmp(mnem("dc e9", b, sizeof(b)), "fsub"));
	CHECK(!strcmp(mnem("de f9", b, sizeof(b)), "fdivp"));
	CHECK(!strcmp(mnem("df f1", b, sizeof(b)), "fcomip"));
	CHECK(!strcmp(mnem("df c1", b, sizeof(b)), "ffreep"));
	CHECK(!strcmp(mnem("dd 30", b, sizeof(b)), "fnsave"));
	CHECK(!strcmp(mnem("df 38", b, sizeof(b)), "fistp"));
	CHECK(!strcmp(mnem("66 d9 30", b, sizeof(b)), "fnstenv"));
	/* the invalid encodings raise #UD, before #NM */
	static const char *const ud[] = { "d9 d1", "d9 e2",  "d9 e3", "d9 e6", "d9 e7", "d9 ef", "da e8",
					  "da f0", "da c0+", "db f8", "db e5", "dd f0", "dd f8", "de d8",
					  "de da", "df e1",  "df f8", "d9 08", "db 20", "db 30", "dd 28" };
	for (unsigned k = 0; k < sizeof(ud) / sizeof(ud[0]); k++) {
		if (strchr(ud[k], '+'))
			continue;
		prep(ud[k]);
		t.s.cr0 |= CR0_TS;
		CHECK_EQ(go(), V_UD);
	}
}

static void test_faults(void)
{
	/* #NM with CR0.TS or CR0.EM on data and arithmetic instructions */
	prep("d9 e8");
	t.s.cr0 |= CR0_TS;
	CHECK_EQ(go(), V_NM);
	prep("de c1");
	t.s.cr0 |= CR0_EM;
	CHECK_EQ(go(), V_NM);

	/* #MF: fld1; fldz; fdivp with ZE unmasked -> the divide completes with ZE
	 * and ES pending; the next waiting instruction (fld1) faults, before
	 * doing anything, and RIP points at it */
	prep("66 c7 04 25 00 00 40 00 7b 03  d9 2c 25 00 00 40 00  d9 e8 d9 ee de f9  d9 e8");
	CHECK_EQ(go(), V_MF);
	CHECK_EQ(t.s.fpu.fsw & 0xffff, 0xb084); /* B, TOP 6, ES, ZE: no pop */
	CHECK_EQ(t.s.fpu.ftw, 0xc0);
	CHECK_EQ(tv_r64(&t, TV_STACK - 40), TV_CODE + 23); /* the faulting fld1 */
	CHECK_EQ(t.s.fpu.fip, TV_CODE + 21);               /* the FDIVP */
	CHECK_EQ(t.s.fpu.fop, 0x6f9);
	/* non-waiting instructions do not fault: fnstsw ax, fnstenv, fnclex; then fld1 is fine */
	prep("66 c7 04 25 00 00 40 00 7b 03  d9 2c 25 00 00 40 00  d9 e8 d9 ee de f9"
	     "  df e0  d9 34 25 20 00 40 00  db e2  d9 e8");
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX] & 0xffff, 0xb084);
	CHECK_EQ(m32(0x24), 0xffffb084); /* FSW in the environment */
	CHECK_EQ(t.s.fpu.fcw, 0x037f);   /* FNSTENV masked everything */
	/* with CR0.NE=0 no #MF (no FERR# line on this platform) */
	prep("66 c7 04 25 00 00 40 00 7b 03  d9 2c 25 00 00 40 00  d9 e8 d9 ee de f9  d9 e8");
	t.s.cr0 &= ~(uint64_t)CR0_NE;
	CHECK_EQ(go(), -1);
	/* FLDCW that unmasks a pending flag: the next waiting instruction faults */
	prep("d9 e8 d9 ee de f9  66 c7 04 25 00 00 40 00 7b 03  d9 2c 25 00 00 40 00  d9 e1");
	CHECK_EQ(go(), V_MF);
	CHECK_EQ(tv_r64(&t, TV_STACK - 40), TV_CODE + 23);
	/* #MF before #PF: a pending exception is reported first */
	prep("d9 2c 25 00 00 40 00  d9 04 25 00 00 00 c0");
	memcpy(tv_ptr(&t, TV_DATA), &(uint16_t){ 0x037e }, 2);
	t.s.fpu.fsw = 0x0001;
	CHECK_EQ(go(), V_MF);
	/* a memory fault leaves the x87 state alone: fld1; fstp m64 to an unmapped page */
	prep("d9 e8  dd 1c 25 00 00 00 c0");
	CHECK_EQ(go(), 14);
	CHECK_EQ(t.s.fpu.ftw, 0x80);
	CHECK_EQ(t.s.fpu.fsw, 0x3800);
	CHECK_EQ(t.s.fpu.fip, TV_CODE);
}

static void test_pointers(void)
{
	/* FOP/FIP/FDP: fld qword [rsi+8] sets all three; fld1 (register form)
	 * sets FOP/FIP, keeps FDP; FLDCW and FNSTSW (control) keep all three */
	prep("dd 46 08  d9 e8  d9 2c 25 00 00 40 00  dd 3c 25 10 00 40 00");
	t.s.gpr[RAX_REG_RSI] = TV_DATA + 0x100;
	memcpy(tv_ptr(&t, TV_DATA), &(uint16_t){ 0x037f }, 2);
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fop, 0x1e8);
	CHECK_EQ(t.s.fpu.fip, TV_CODE + 3);
	CHECK_EQ(t.s.fpu.fdp, TV_DATA + 0x108);
	/* a 67 prefix: 32-bit effective address; an FS override: the offset */
	prep("67 dd 46 08  64 d9 47 04");
	t.s.gpr[RAX_REG_RSI] = 0x100000000ull | TV_DATA;
	t.s.gpr[RAX_REG_RDI] = TV_DATA - 0x1000;
	t.s.seg[RAX_SEG_FS].base = 0x1000;
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fip, TV_CODE + 4);
	CHECK_EQ(t.s.fpu.fop, 0x147);
	CHECK_EQ(t.s.fpu.fdp, TV_DATA - 0x1000 + 4);
	prep("67 dd 46 08");
	t.s.gpr[RAX_REG_RSI] = 0x100000000ull | TV_DATA;
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fdp, TV_DATA + 8);
}

static void test_env(void)
{
	/* fld1; fldz; fld qword [D+0x100] (an SNaN, IE masked); fnstenv [D] */
	prep("d9 e8  d9 ee  dd 04 25 00 01 40 00  d9 34 25 00 00 40 00");
	tv_w64(&t, TV_DATA + 0x100, 0x7ff0000000000001ull);
	CHECK_EQ(go(), -1);
	CHECK_EQ(m32(0), 0xffff037f);
	CHECK_EQ(m32(4), 0xffff2801); /* TOP 5, IE */
	CHECK_EQ(m32(8), 0xffff1bff); /* phys 5 special (the quieted NaN), 6 zero, 7 valid */
	CHECK_EQ(m32(12), (uint32_t)(TV_CODE + 4));
	CHECK_EQ(m32(16), SEL_KCODE | 0x504u << 16);
	CHECK_EQ(m32(20), (uint32_t)(TV_DATA + 0x100));
	CHECK_EQ(m32(24), 0xffff0000u | SEL_KDATA);
	CHECK_EQ(t.s.fpu.fcw, 0x037f);

	/* 16-bit format: 66 fnstenv */
	prep("d9 e8  66 d9 34 25 00 00 40 00");
	CHECK_EQ(go(), -1);
	CHECK_EQ(m16(0), 0x037f);
	CHECK_EQ(m16(2), 0x3800);
	CHECK_EQ(m16(4), 0x3fff);
	CHECK_EQ(m16(6), (uint16_t)TV_CODE);
	CHECK_EQ(m16(8), SEL_KCODE);
	CHECK_EQ(m16(12), 0); /* no memory operand since FNINIT: FDS still 0 */

	/* fldenv: tags other than 11 mean valid; ES recomputed; FOP from bits 16-26 */
	prep("d9 24 25 00 00 40 00");
	memset(tv_ptr(&t, TV_DATA), 0, 28);
	memcpy(tv_ptr(&t, TV_DATA + 0), &(uint32_t){ 0xffff037e }, 4);
	memcpy(tv_ptr(&t, TV_DATA + 4), &(uint32_t){ 0xffff3001 }, 4); /* IE, unmasked */
	memcpy(tv_ptr(&t, TV_DATA + 8), &(uint32_t){ 0xffff9fff }, 4); /* phys 6 special, 7 zero */
	memcpy(tv_ptr(&t, TV_DATA + 12), &(uint32_t){ 0x11223344 }, 4);
	memcpy(tv_ptr(&t, TV_DATA + 16), &(uint32_t){ 0xf7ff0033 }, 4);
	memcpy(tv_ptr(&t, TV_DATA + 20), &(uint32_t){ 0x55667788 }, 4);
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fcw, 0x037e);
	CHECK_EQ(t.s.fpu.fsw, 0xb081);
	CHECK_EQ(t.s.fpu.ftw, 0xc0);
	CHECK_EQ(t.s.fpu.fip, 0x11223344);
	CHECK_EQ(t.s.fpu.fop, 0x7ff);
	CHECK_EQ(t.s.fpu.fdp, 0x55667788);

	/* fnsave/frstor round trip: fld1; fldpi; fnsave [D]; (state is FNINIT's);
	 * frstor [D] */
	prep("d9 e8  d9 eb  dd 34 25 00 00 40 00");
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fcw, 0x037f);
	CHECK_EQ(t.s.fpu.fsw, 0);
	CHECK_EQ(t.s.fpu.ftw, 0);
	CHECK_EQ(m32(8), 0xffff0fff);
	CHECK_EQ(m64(28), 0xc90fdaa22168c235ull); /* ST0 = pi */
	CHECK_EQ(m16(36), 0x4000);
	CHECK_EQ(m64(38), 1ull << 63); /* ST1 = 1 */
	CHECK_EQ(m16(46), 0x3fff);
	prep("dd 24 25 00 00 40 00");
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fsw, 0x3000);
	CHECK_EQ(t.s.fpu.ftw, 0xc0);
	CHECK_EQ(st_m(0), 0xc90fdaa22168c235ull);
	CHECK_EQ(st_e(1), 0x3fff);
	/* 16-bit fnsave: 94 bytes */
	prep("d9 e8  66 dd 34 25 00 00 40 00");
	memset(tv_ptr(&t, TV_DATA), 0xcc, 128);
	CHECK_EQ(go(), -1);
	CHECK_EQ(m64(14), 1ull << 63);
	CHECK_EQ(m16(22), 0x3fff);
	CHECK_EQ(tv_ptr(&t, TV_DATA)[93], 0);
	CHECK_EQ(tv_ptr(&t, TV_DATA)[94], 0xcc);
}

static void test_stack(void)
{
	/* push wraps TOP; pop leaves the contents in place, only the tag clears */
	prep("d9 e8 d9 ee dd d8");
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fsw, 0x3800);
	CHECK_EQ(t.s.fpu.ftw, 0x80);
	CHECK_EQ(st_e(0), 0x3fff);
	CHECK_EQ(st_e(7), 0); /* the popped zero, still there */
	/* overflow, masked: ninth push stores the indefinite, IE SF C1 */
	prep("d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 ee");
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fsw, 0x3a41); /* TOP 7, C1, SF, IE */
	CHECK_EQ(t.s.fpu.ftw, 0xff);
	CHECK_EQ(st_m(0), 0xc000000000000000ull);
	CHECK_EQ(st_e(0), 0xffff);
	/* underflow, masked: fadd on an empty stack */
	prep("d8 c1");
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fsw, 0x0041);
	CHECK_EQ(t.s.fpu.ftw, 0x01);
	CHECK_EQ(st_e(0), 0xffff);
	/* underflow, unmasked: nothing changes but the flags */
	prep("d8 c1");
	t.s.fpu.fcw = 0x037e;
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fsw, 0x80c1);
	CHECK_EQ(t.s.fpu.ftw, 0);
	/* fincstp/fdecstp move TOP only */
	prep("d9 e8 d9 f7 d9 f6 d9 f6");
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.fpu.fsw, 0x3000);
	CHECK_EQ(t.s.fpu.ftw, 0x80);
	CHECK_EQ(st_e(1), 0x3fff);
}

static void test_fcmov(void)
{
	/* fld1 ; fldz ; stc/clc... ; fcmovb st0, st1 */
	static const struct {
		const char *code;
		unsigned moved;
	} cases[] = {
		{ "f9 da c1", 1 },       { "f8 da c1", 0 },          /* fcmovb */
		{ "f9 db c1", 0 },       { "f8 db c1", 1 },          /* fcmovnb */
		{ "31 c0 da c9", 1 },    { "31 c0 db c9", 0 },       /* fcmove / fcmovne after xor: ZF=1 */
		{ "31 c0 da d9", 1 },    { "31 c0 db d9", 0 },       /* PF=1 */
		{ "f8 31 c0 da d1", 1 }, { "83 c8 01 f8 db d1", 1 }, /* be / nbe */
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char buf[96];
		snprintf(buf, sizeof(buf), "d9 e8 d9 ee %s", cases[k].code);
		prep(buf);
		CHECK_EQ(go(), -1);
		CHECK_EQ(st_e(0), cases[k].moved ? 0x3fff : 0);
	}
}

static void test_values(void)
{
	/* fild dword [D] (-7); fild word [D+4] (2); fdivp; fistp dword [D+8]
	 * (RC nearest: -3.5 -> -4); fld1; fchs; fst qword [D+16]; fabs; fstp
	 * dword [D+24]; fldpi; fstp tword [D+32] */
	prep("db 04 25 00 00 40 00  df 04 25 04 00 40 00  de f9  db 1c 25 08 00 40 00"
	     "  d9 e8 d9 e0 dd 14 25 10 00 40 00  d9 e1 d9 1c 25 18 00 40 00"
	     "  d9 eb db 3c 25 20 00 40 00");
	memcpy(tv_ptr(&t, TV_DATA), &(int32_t){ -7 }, 4);
	memcpy(tv_ptr(&t, TV_DATA + 4), &(int16_t){ 2 }, 2);
	CHECK_EQ(go(), -1);
	CHECK_EQ(m32(8), (uint32_t)-4);
	CHECK_EQ(m64(16), 0xbff0000000000000ull);
	CHECK_EQ(m32(24), 0x3f800000u);
	CHECK_EQ(m64(32), 0xc90fdaa22168c235ull);
	CHECK_EQ(m16(40), 0x4000);
	CHECK_EQ(t.s.fpu.fsw & 0x3f, 0x20); /* the FISTP rounded: PE */
	CHECK_EQ(t.s.fpu.ftw, 0);
	/* precision control: 1/3 with PC=single, then FST m80 */
	prep("d9 2c 25 00 00 40 00  d9 e8 d8 34 25 08 00 40 00  db 3c 25 10 00 40 00");
	memcpy(tv_ptr(&t, TV_DATA), &(uint16_t){ 0x007f }, 2);
	memcpy(tv_ptr(&t, TV_DATA + 8), &(float){ 3.0f }, 4);
	CHECK_EQ(go(), -1);
	CHECK_EQ(m64(16), 0xaaaaab0000000000ull);
	CHECK_EQ(m16(24), 0x3ffd);
	/* FLDPI rounds by RC: up gives ...235, down ...234 */
	prep("d9 2c 25 00 00 40 00  d9 eb  db 3c 25 10 00 40 00");
	memcpy(tv_ptr(&t, TV_DATA), &(uint16_t){ 0x077f }, 2);
	CHECK_EQ(go(), -1);
	CHECK_EQ(m64(16), 0xc90fdaa22168c234ull);
	/* fsin of a small value, fpatan: exact on the host's unit */
	prep("d9 e8 d9 fe dd 1c 25 00 00 40 00  d9 e8 d9 e8 d9 f3 dd 1c 25 08 00 40 00");
	CHECK_EQ(go(), -1);
	CHECK_EQ(m64(0), 0x3feaed548f090ceeull); /* sin 1 */
	CHECK_EQ(m64(8), 0x3fe921fb54442d18ull); /* atan2(1, 1) = pi/4 */
	/* fcomi: ZF PF CF, OF SF AF cleared */
	prep("d9 e8 d9 ee db f1 9c 58");
	t.s.rflags |= RFLAGS_OF | RFLAGS_SF | RFLAGS_AF;
	CHECK_EQ(go(), -1);
	CHECK_EQ(t.s.gpr[RAX_REG_RAX] & RFLAGS_STATUS, RFLAGS_CF);
}

/* MMX aliases the significands of the physical registers (sse.h). */
static void test_mmx_alias(void)
{
	/* fld1 (TOP 7, phys 7); emms; ... the FXSAVE image keeps ST order */
	prep("d9 e8 d9 ee 48 0f ae 04 25 00 00 40 00");
	t.s.cr4 |= CR4_OSFXSR;
	CHECK_EQ(go(), -1);
	CHECK_EQ(m16(2), 0x3000);
	CHECK_EQ(tv_ptr(&t, TV_DATA)[4], 0xc0);
	CHECK_EQ(m64(32), 0);          /* ST0 = 0 */
	CHECK_EQ(m64(48), 1ull << 63); /* ST1 = 1 */
}

/* Best of three runs of a loop, in ns per instruction (6 x n instructions). */
static double loop_ns(const char *hex, unsigned n)
{
	double best = 1e30;
	for (unsigned k = 0; k < 3; k++) {
		prep(hex);
		t.s.gpr[RAX_REG_RCX] = n;
		memcpy(tv_ptr(&t, TV_DATA), &(double){ 1.5 }, 8);
		memcpy(tv_ptr(&t, TV_DATA + 8), &(double){ 0.25 }, 8);
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		CHECK_EQ(go(), -1);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
		if (ns < best)
			best = ns;
	}
	return best / (6.0 * n);
}

static void test_speed(void)
{
	/* fld qword; fmul st0, st0; fadd qword; fstp qword; dec ecx; jnz */
	double x = loop_ns("dd 04 25 00 00 40 00  d8 c8  dc 04 25 08 00 40 00"
			   "  dd 1c 25 10 00 40 00  ff c9  75 e5",
			   100000);
	uint64_t r;
	memcpy(&r, tv_ptr(&t, TV_DATA + 16), 8);
	CHECK_EQ(r, 0x4004000000000000ull); /* 1.5 * 1.5 + 0.25 = 2.5 */
	/* the same shape in integer instructions: mov rax, [m]; imul rax, rax;
	 * add rax, [m]; mov [m], rax; dec ecx; jnz */
	double y = loop_ns("48 8b 04 25 00 00 40 00  48 0f af c0  48 03 04 25 08 00 40 00"
			   "  48 89 04 25 10 00 40 00  ff c9  75 e0",
			   100000);
	printf("x87 speed: %.1f ns per instruction in an fld/fmul/fadd/fstp loop, %.1f ns in the"
	       " same loop of integer instructions\n",
	       x, y);
}

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : unit_cases(60);
	tv_init(&t);
	emu_set_cpu_level(&t.vm, RAX_CPU_LEVEL_MAX); /* FISTTP (SSE3, level v2) is compared with the host */
	base = t.s;
	test_decode_rows();
	test_faults();
	test_pointers();
	test_env();
	test_stack();
	test_fcmov();
	test_values();
	test_mmx_alias();
	test_speed();
	test_differential(per);
	tv_free(&t);
	return unit_finish("test_emu_x87");
}
