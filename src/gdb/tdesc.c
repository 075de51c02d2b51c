/*
 * tdesc.c - the x86-64 target description and its register numbering.
 *
 * Features (GDB manual, G.5 "Standard Target Features", i386 features):
 * org.gnu.gdb.i386.core (GPRs, RIP, EFLAGS, the six selectors, x87),
 * org.gnu.gdb.i386.sse (XMM0-15, MXCSR), org.gnu.gdb.i386.segments
 * (fs_base, gs_base), org.gnu.gdb.i386.avx (ymm0h-ymm15h, the upper halves,
 * only for a CPU model with AVX), and RAX's own org.rax.x86.system for
 * CR0, CR2, CR3, CR4, CR8 and EFER (group "system"; gdb shows them with
 * `info registers system` and `p $cr3`). Registers are numbered in the
 * order listed, which is the `g` packet's order.
 */
#include "gdb/tdesc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum reg_class {
	R_GPR,
	R_RIP,
	R_EFLAGS,
	R_SEL,
	R_ST,
	R_FCTRL,
	R_FSTAT,
	R_FTAG,
	R_FISEG,
	R_FIOFF,
	R_FOSEG,
	R_FOOFF,
	R_FOP,
	R_XMM,
	R_MXCSR,
	R_FSBASE,
	R_GSBASE,
	R_CR,
	R_EFER,
	R_YMMH
};

struct reg {
	const char *name;
	unsigned char cls, idx, size; /* size in bytes */
};

/* gdb's core order: rax rbx rcx rdx rsi rdi rbp rsp r8-r15 */
static const unsigned char gpr_order[16] = { RAX_REG_RAX, RAX_REG_RBX, RAX_REG_RCX, RAX_REG_RDX,
					     RAX_REG_RSI, RAX_REG_RDI, RAX_REG_RBP, RAX_REG_RSP,
					     8,           9,           10,          11,
					     12,          13,          14,          15 };
static const char *const gpr_names[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
					   "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const sel_names[6] = { "cs", "ss", "ds", "es", "fs", "gs" };
static const unsigned char sel_idx[6] = { RAX_SEG_CS, RAX_SEG_SS, RAX_SEG_DS, RAX_SEG_ES, RAX_SEG_FS, RAX_SEG_GS };
static const char *const cr_names[5] = { "cr0", "cr2", "cr3", "cr4", "cr8" };

#define NREG_BASE 65 /* core 40, sse 17, segments 2, system 6 */
#define NREG_AVX (NREG_BASE + 16)

static struct reg regs[NREG_AVX];
static char names[NREG_AVX][8];

static void regs_init(void)
{
	if (regs[0].name)
		return;
	unsigned n = 0;
	for (unsigned i = 0; i < 16; i++)
		regs[n++] = (struct reg){ gpr_names[i], R_GPR, gpr_order[i], 8 };
	regs[n++] = (struct reg){ "rip", R_RIP, 0, 8 };
	regs[n++] = (struct reg){ "eflags", R_EFLAGS, 0, 4 };
	for (unsigned i = 0; i < 6; i++)
		regs[n++] = (struct reg){ sel_names[i], R_SEL, sel_idx[i], 4 };
	for (unsigned i = 0; i < 8; i++) {
		snprintf(names[n], sizeof(names[n]), "st%u", i);
		regs[n] = (struct reg){ names[n], R_ST, (unsigned char)i, 10 };
		n++;
	}
	static const struct {
		const char *name;
		unsigned char cls;
	} fpc[] = { { "fctrl", R_FCTRL }, { "fstat", R_FSTAT }, { "ftag", R_FTAG },   { "fiseg", R_FISEG },
		    { "fioff", R_FIOFF }, { "foseg", R_FOSEG }, { "fooff", R_FOOFF }, { "fop", R_FOP } };
	for (unsigned i = 0; i < 8; i++)
		regs[n++] = (struct reg){ fpc[i].name, fpc[i].cls, 0, 4 };
	for (unsigned i = 0; i < 16; i++) {
		snprintf(names[n], sizeof(names[n]), "xmm%u", i);
		regs[n] = (struct reg){ names[n], R_XMM, (unsigned char)i, 16 };
		n++;
	}
	regs[n++] = (struct reg){ "mxcsr", R_MXCSR, 0, 4 };
	regs[n++] = (struct reg){ "fs_base", R_FSBASE, 0, 8 };
	regs[n++] = (struct reg){ "gs_base", R_GSBASE, 0, 8 };
	for (unsigned i = 0; i < 5; i++)
		regs[n++] = (struct reg){ cr_names[i], R_CR, (unsigned char)i, 8 };
	regs[n++] = (struct reg){ "efer", R_EFER, 0, 8 };
	for (unsigned i = 0; i < 16; i++) {
		snprintf(names[n], sizeof(names[n]), "ymm%uh", i);
		regs[n] = (struct reg){ names[n], R_YMMH, (unsigned char)i, 16 };
		n++;
	}
}

unsigned tdesc_nregs(bool avx) { return avx ? NREG_AVX : NREG_BASE; }

unsigned tdesc_reg_size(unsigned n)
{
	regs_init();
	return n < NREG_AVX ? regs[n].size : 0;
}

int tdesc_reg_find(const char *name)
{
	regs_init();
	for (unsigned i = 0; i < NREG_AVX; i++)
		if (!strcmp(regs[i].name, name))
			return (int)i;
	return -1;
}

static uint64_t *cr_field(struct rax_cpu_state *s, unsigned i)
{
	switch (i) {
	case 0: return &s->cr0;
	case 1: return &s->cr2;
	case 2: return &s->cr3;
	case 3: return &s->cr4;
	default: return &s->cr8;
	}
}

/* FXSAVE's abridged tag (a bit per physical register: 1 in use) to the
 * full x87 tag word gdb shows (2 bits: 0 valid, 1 zero, 2 special, 3
 * empty), from the register's value; st[] holds ST(i) (FXSAVE order). */
static uint16_t full_tag(const struct rax_fpu_state *f)
{
	unsigned top = (f->fsw >> 11) & 7;
	uint16_t tw = 0;
	for (unsigned p = 0; p < 8; p++) {
		unsigned tag;
		if (!(f->ftw & (1u << p))) {
			tag = 3;
		} else {
			const uint8_t *v = f->st[(p - top) & 7];
			uint16_t exp = (uint16_t)((v[9] & 0x7f) << 8 | v[8]);
			uint64_t man;
			memcpy(&man, v, 8);
			if (exp == 0x7fff)
				tag = 2;
			else if (exp == 0)
				tag = man ? 2 : 1;
			else
				tag = (man >> 63) ? 0 : 2;
		}
		tw |= (uint16_t)(tag << (2 * p));
	}
	return tw;
}

static uint8_t abridged_tag(uint16_t tw)
{
	uint8_t t = 0;
	for (unsigned p = 0; p < 8; p++)
		if (((tw >> (2 * p)) & 3) != 3)
			t |= (uint8_t)(1u << p);
	return t;
}

void tdesc_reg_get(const struct rax_cpu_state *s, unsigned n, uint8_t *buf)
{
	regs_init();
	const struct reg *r = &regs[n];
	uint64_t v = 0;
	switch (r->cls) {
	case R_GPR: v = s->gpr[r->idx]; break;
	case R_RIP: v = s->rip; break;
	case R_EFLAGS: v = s->rflags; break;
	case R_SEL: v = s->seg[r->idx].selector; break;
	case R_ST: memcpy(buf, s->fpu.st[r->idx], 10); return;
	case R_FCTRL: v = s->fpu.fcw; break;
	case R_FSTAT: v = s->fpu.fsw; break;
	case R_FTAG: v = full_tag(&s->fpu); break;
	case R_FISEG: v = 0; break; /* 64-bit FXSAVE format: no FCS */
	case R_FIOFF: v = s->fpu.fip; break;
	case R_FOSEG: v = 0; break;
	case R_FOOFF: v = s->fpu.fdp; break;
	case R_FOP: v = s->fpu.fop; break;
	case R_XMM: memcpy(buf, s->fpu.xmm[r->idx], 16); return;
	case R_MXCSR: v = s->fpu.mxcsr; break;
	case R_FSBASE: v = s->seg[RAX_SEG_FS].base; break;
	case R_GSBASE: v = s->seg[RAX_SEG_GS].base; break;
	case R_CR: v = *cr_field((struct rax_cpu_state *)s, r->idx); break;
	case R_EFER: v = s->efer; break;
	case R_YMMH: memcpy(buf, s->fpu.ymmh[r->idx], 16); return;
	}
	for (unsigned i = 0; i < r->size; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
}

/* Selector writes change only the selector (the hidden part stays, as a
 * debugger's register write on other stubs does). */
void tdesc_reg_set(struct rax_cpu_state *s, unsigned n, const uint8_t *buf)
{
	regs_init();
	const struct reg *r = &regs[n];
	uint64_t v = 0;
	for (unsigned i = 0; i < r->size && i < 8; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	switch (r->cls) {
	case R_GPR: s->gpr[r->idx] = v; break;
	case R_RIP: s->rip = v; break;
	case R_EFLAGS: s->rflags = (s->rflags & ~0xffffffffull) | v; break;
	case R_SEL: s->seg[r->idx].selector = (uint16_t)v; break;
	case R_ST: memcpy(s->fpu.st[r->idx], buf, 10); break;
	case R_FCTRL: s->fpu.fcw = (uint16_t)v; break;
	case R_FSTAT: s->fpu.fsw = (uint16_t)v; break;
	case R_FTAG: s->fpu.ftw = abridged_tag((uint16_t)v); break;
	case R_FISEG:
	case R_FOSEG: break;
	case R_FIOFF: s->fpu.fip = v; break;
	case R_FOOFF: s->fpu.fdp = v; break;
	case R_FOP: s->fpu.fop = (uint16_t)v; break;
	case R_XMM: memcpy(s->fpu.xmm[r->idx], buf, 16); break;
	case R_MXCSR: s->fpu.mxcsr = (uint32_t)v; break;
	case R_FSBASE: s->seg[RAX_SEG_FS].base = v; break;
	case R_GSBASE: s->seg[RAX_SEG_GS].base = v; break;
	case R_CR: *cr_field(s, r->idx) = v; break;
	case R_EFER: s->efer = v; break;
	case R_YMMH: memcpy(s->fpu.ymmh[r->idx], buf, 16); break;
	}
}

/* ---- the XML ---- */

static const char xml_head[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>i386:x86-64</architecture>\n"
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	"<flags id=\"i386_eflags\" size=\"4\">\n"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
	"<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
	"</flags>\n";

static const char xml_sse_types[] =
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
	"<union id=\"vec128\">\n"
	"<field name=\"v4_float\" type=\"v4f\"/>\n"
	"<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>\n"
	"<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>\n"
	"<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>\n"
	"</union>\n"
	"<flags id=\"i386_mxcsr\" size=\"4\">\n"
	"<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>\n"
	"<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>\n"
	"<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>\n"
	"<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
	"</flags>\n";

static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (*len < cap) {
		int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
		if (n > 0)
			*len += (size_t)n;
	}
	va_end(ap);
}

static void reg_xml(char *buf, size_t cap, size_t *len, unsigned n, const char *type, const char *group)
{
	add(buf, cap, len, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\"%s%s%s/>\n", regs[n].name, regs[n].size * 8,
	    type, group ? " group=\"" : "", group ? group : "", group ? "\"" : "");
}

static void build(char *buf, size_t cap, bool avx)
{
	regs_init();
	size_t len = 0;
	add(buf, cap, &len, "%s", xml_head);
	unsigned n = 0;
	for (; n < 16; n++)
		reg_xml(buf, cap, &len, n, n == 6 ? "data_ptr" : n == 7 ? "data_ptr" : "int64", NULL);
	reg_xml(buf, cap, &len, n++, "code_ptr", NULL);
	reg_xml(buf, cap, &len, n++, "i386_eflags", NULL);
	for (unsigned i = 0; i < 6; i++)
		reg_xml(buf, cap, &len, n++, "int32", NULL);
	for (unsigned i = 0; i < 8; i++)
		reg_xml(buf, cap, &len, n++, "i387_ext", NULL);
	for (unsigned i = 0; i < 8; i++)
		reg_xml(buf, cap, &len, n++, "int", "float");
	add(buf, cap, &len, "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n%s", xml_sse_types);
	for (unsigned i = 0; i < 16; i++)
		reg_xml(buf, cap, &len, n++, "vec128", NULL);
	reg_xml(buf, cap, &len, n++, "i386_mxcsr", "vector");
	add(buf, cap, &len, "</feature>\n<feature name=\"org.gnu.gdb.i386.segments\">\n");
	reg_xml(buf, cap, &len, n++, "int", "system");
	reg_xml(buf, cap, &len, n++, "int", "system");
	add(buf, cap, &len, "</feature>\n<feature name=\"org.rax.x86.system\">\n");
	for (unsigned i = 0; i < 6; i++)
		reg_xml(buf, cap, &len, n++, "int64", "system");
	add(buf, cap, &len, "</feature>\n");
	if (avx) {
		add(buf, cap, &len, "<feature name=\"org.gnu.gdb.i386.avx\">\n");
		for (unsigned i = 0; i < 16; i++)
			reg_xml(buf, cap, &len, n++, "uint128", NULL);
		add(buf, cap, &len, "</feature>\n");
	}
	add(buf, cap, &len, "</target>\n");
}

const char *tdesc_xml(bool avx)
{
	static char doc[2][16384];
	char *d = doc[avx];
	if (!d[0])
		build(d, sizeof(doc[0]), avx);
	return d;
}
