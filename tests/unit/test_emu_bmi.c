/*
 * test_emu_bmi.c - BMI1 and BMI2 (ANDN BEXTR BLSI BLSMSK BLSR TZCNT; BZHI
 * MULX PDEP PEXT RORX SARX SHLX SHRX) on the interpreter at CPU level v3.
 *
 * 1. Differential, 64-bit mode: every form (register and memory, VEX.W 0
 *    and 1, operands in rax rcx rdx rbp rsi rdi r8-r12 so that VEX.R/X/B
 *    and vvvv[3] count, [rbx|r13 (+ r14) + disp8] addresses) runs with random operands - 0, all
 *    ones, single bits, small counts, start/length/index values below and
 *    above the operand width, random high control bits - natively on the
 *    host and on the emulator; the registers, the status flags, memory and
 *    the exception taken must agree. Some cases set VEX.L (#UD), a vvvv
 *    other than 1111b for RORX (#UD), a legacy prefix or REX before the VEX
 *    prefix (#UD), or a non-canonical address (#GP). The undefined flags
 *    (AF PF; SF for BEXTR; OF SF for TZCNT) are compared too on an AMD
 *    family 19h host (the handlers follow Zen 4); elsewhere they are masked.
 * 2. Differential, 32-bit code: the same forms with 32-bit registers run on
 *    the host in compatibility mode (a far call through the kernel's 32-bit
 *    code segment, where the kernel offers one) and on the emulator in
 *    compatibility mode and in 32-bit protected mode, with VEX.W, VEX.B and
 *    vvvv[3] random: outside 64-bit mode the operand size is 32 and
 *    vvvv[3] selects no register, but RORX (no vvvv operand) is #UD unless
 *    all four vvvv bits are set.
 * 3. Levels and disassembly: at v2 the VEX forms are #UD and F3 0F BC is
 *    BSF; at v3 it is TZCNT; the disassembler's operand order.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

#include "emu/decode.h"
#include "native_exec.h"
#include "unit.h"

/* The 64-bit runs: the GPRs (but RSP) of a struct nx_state, natively with
 * native_exec.c's stub (the XMM form; no vector state), the base registers
 * pointing at nx_mem. */

/*
 * Native 32-bit code: a 64-bit trampoline (copied below 4 GiB) saves RSP,
 * switches to a stack below 4 GiB and far-calls (m16:32) the kernel's
 * 32-bit user code segment; there the prologue loads the registers and
 * EFLAGS from the state block (EDI points at it), the instruction runs,
 * the epilogue stores them and a 32-bit far return goes back.
 * State block: gpr[8] (u32) at 0, eflags 32, far pointer 40, saved RSP 48,
 * stack top 56.
 */
extern const uint8_t bmi_t64[], bmi_t64_end[], bmi_p32[], bmi_p32_end[], bmi_e32[], bmi_e32_end[];
// clang-format off
__asm__(".section .rodata\n\t"
	".globl bmi_t64, bmi_t64_end, bmi_p32, bmi_p32_end, bmi_e32, bmi_e32_end\n\t"
	".hidden bmi_t64, bmi_t64_end, bmi_p32, bmi_p32_end, bmi_e32, bmi_e32_end\n"
	"bmi_t64:\n\t"
	"push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
	"mov %rsp, 48(%rdi)\n\t"
	"mov 56(%rdi), %rsp\n\t"
	"lcall *40(%rdi)\n\t"
	"mov %edi, %edi\n\t"
	"mov 48(%rdi), %rsp\n\t"
	"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
	"ret\n"
	"bmi_t64_end:\n\t"
	".code32\n"
	"bmi_p32:\n\t"
	"mov %ss, %ax\n\tmov %ax, %ds\n\tmov %ax, %es\n\t"
	"push %edi\n\t"
	"pushl 32(%edi)\n\tpopfl\n\t"
	"mov 0(%edi), %eax\n\tmov 4(%edi), %ecx\n\tmov 8(%edi), %edx\n\tmov 12(%edi), %ebx\n\t"
	"mov 20(%edi), %ebp\n\tmov 24(%edi), %esi\n\tmov 28(%edi), %edi\n"
	"bmi_p32_end:\n"
	"bmi_e32:\n\t"
	"pushfl\n\t"
	"push %edi\n\t"
	"mov 8(%esp), %edi\n\t"
	"mov %eax, 0(%edi)\n\tmov %ecx, 4(%edi)\n\tmov %edx, 8(%edi)\n\tmov %ebx, 12(%edi)\n\t"
	"mov %ebp, 20(%edi)\n\tmov %esi, 24(%edi)\n\t"
	"popl 28(%edi)\n\t"
	"popl 32(%edi)\n\t"
	"pop %edi\n\t"
	"lret\n"
	"bmi_e32_end:\n\t"
	".code64\n\t"
	".previous\n\t");
// clang-format on

/* below 4 GiB for the 32-bit runs: code at +0, state at +0x800, memory operands at +0x1000, stack up to +0x10000 */
static uint8_t *low;
#define LOW_STATE 0x800
#define LOW_MEM 0x1000
#define LOW_SIZE 0x10000

static void native_init(void)
{
	nx_init(0);
	low = mmap(NULL, LOW_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		low = NULL;
}

static void native_fini(void)
{
	nx_fini();
	if (low)
		munmap(low, LOW_SIZE);
}

/* 32-bit: gpr[8] as u32 (ebx, esp not operands), eflags */
struct n32 {
	uint32_t gpr[8];
	uint32_t eflags;
};

static int native_exec32(const uint8_t *code, size_t n, struct n32 *s)
{
	size_t nt = (size_t)(bmi_t64_end - bmi_t64), np = (size_t)(bmi_p32_end - bmi_p32);
	size_t ne = (size_t)(bmi_e32_end - bmi_e32);
	uint8_t *p = low;
	memcpy(p, bmi_t64, nt);
	uint32_t entry = (uint32_t)(uintptr_t)(low + 0x100);
	memcpy(low + 0x100, bmi_p32, np);
	memcpy(low + 0x100 + np, code, n);
	memcpy(low + 0x100 + np + n, bmi_e32, ne);
	uint8_t *st = low + LOW_STATE;
	memcpy(st, s->gpr, 32);
	memcpy(st + 32, &s->eflags, 4);
	uint16_t sel = 0x23; /* __USER32_CS */
	memcpy(st + 40, &entry, 4);
	memcpy(st + 44, &sel, 2);
	uint64_t top = (uint64_t)(uintptr_t)(low + LOW_SIZE - 64);
	memcpy(st + 56, &top, 8);
	int v = nx_guard((void (*)(void *))(void *)p, st);
	if (v != V_NONE)
		return v;
	memcpy(s->gpr, st, 32);
	memcpy(&s->eflags, st + 32, 4);
	return V_NONE;
}

/* ---------------- emulator execution ---------------- */

static struct tvm t;

enum { M_64, M_COMPAT, M_PROT32 };

static void vm_fresh(unsigned level, unsigned mode)
{
	tv_free(&t);
	if (mode == M_PROT32) {
		tv_init32(&t);
	} else {
		tv_init(&t);
		if (mode == M_COMPAT) {
			tv_gdt32(&t);
			t.s.seg[RAX_SEG_CS] = tv_seg(SEL_KCODE32, tv_desc(0, 0xfffff, 0x9b, 0xc));
		}
	}
	CHECK_EQ(emu_set_cpu_level(&t.vm, level), 0);
}

/* Run code (then HLT) with gpr[16] and rflags; base registers (bases) point at TV_DATA. */
static int emu_exec(unsigned mode, const uint8_t *code, size_t n, uint64_t *gpr, uint64_t *rflags, uint32_t bases,
		    uint8_t *mem, size_t memn)
{
	vm_fresh(RAX_CPU_V3, mode);
	nx_emu_code(&t, code, n);
	memcpy(tv_ptr(&t, TV_DATA), mem, memn);
	for (unsigned i = 0; i < 16; i++)
		if (i != RAX_REG_RSP)
			t.s.gpr[i] = (bases >> i & 1) ? TV_DATA : gpr[i];
	t.s.rflags = (*rflags & 0x8d5) | 2;
	int v = nx_emu_run(&t, n);
	for (unsigned i = 0; i < 16; i++)
		if (i != RAX_REG_RSP)
			gpr[i] = t.s.gpr[i];
	*rflags = t.s.rflags;
	memcpy(mem, tv_ptr(&t, TV_DATA), memn);
	return v;
}

/* ---------------- random operands ---------------- */

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) { return nx_xorshift(&rng); }
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* Operand values: edge cases, single bits, BEXTR controls and BZHI/shift indices, random */
static uint64_t rnd_val(void)
{
	switch (rn(10)) {
	case 0: return 0;
	case 1: return rn(2) ? ~0ull : 0xffffffffull;
	case 2: return 1ull << rn(64);
	case 3: return (uint64_t)rn(80) | (uint64_t)rn(80) << 8; /* start, length around 32/64 */
	case 4: return (uint64_t)rn(256) | (uint64_t)rn(256) << 8 | (rn(2) ? rnd() << 16 : 0);
	case 5: return rn(2) ? (uint64_t)rn(70) : (rnd() & ~0xffull) | rn(70); /* indices, counts */
	case 6: return rnd() >> rn(64);
	case 7: return rnd() << rn(64);
	case 8: return 0x8000000000000000ull >> rn(2) | 0x80000000ull >> rn(2);
	default: return rnd();
	}
}

/* ---------------- templates ---------------- */

#define F_IMM 1u /* imm8 follows */
#define F_NV 2u  /* no vvvv operand (must be 1111b) */
#define F_LEG 4u /* legacy encoding (TZCNT: F3 [66] [REX] 0F BC) */
struct tpl {
	const char *name;
	uint8_t map; /* 2: 0F 38, 3: 0F 3A (VEX.mmmmm) */
	uint8_t pp;  /* VEX.pp: 0 none, 1 66, 2 F3, 3 F2 */
	uint8_t op;
	int8_t grp;     /* ModRM.reg of a group row, else -1 */
	uint8_t fl;     /* F_* */
	uint16_t undef; /* architecturally undefined status flags */
};
// clang-format off
static const struct tpl tpls[] = {
	{ "andn", 2, 0, 0xf2, -1, 0, 0x14 },
	{ "blsr", 2, 0, 0xf3, 1, 0, 0x14 },
	{ "blsmsk", 2, 0, 0xf3, 2, 0, 0x14 },
	{ "blsi", 2, 0, 0xf3, 3, 0, 0x14 },
	{ "bextr", 2, 0, 0xf7, -1, 0, 0x94 },
	{ "bzhi", 2, 0, 0xf5, -1, 0, 0x14 },
	{ "pext", 2, 2, 0xf5, -1, 0, 0 },
	{ "pdep", 2, 3, 0xf5, -1, 0, 0 },
	{ "mulx", 2, 3, 0xf6, -1, 0, 0 },
	{ "shlx", 2, 1, 0xf7, -1, 0, 0 },
	{ "sarx", 2, 2, 0xf7, -1, 0, 0 },
	{ "shrx", 2, 3, 0xf7, -1, 0, 0 },
	{ "rorx", 3, 3, 0xf0, -1, F_IMM | F_NV, 0 },
	{ "tzcnt", 1, 2, 0xbc, -1, F_LEG, 0x894 },
};
// clang-format on
#define NTPL (sizeof(tpls) / sizeof(tpls[0]))

/* 64-bit operand registers: rax rcx rdx rsi rdi rbp r8-r12 (not rsp, not
 * the memory base rbx/r13, the index r14, or r15) */
static const uint8_t regs64[] = { 0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12 };
/* 32-bit: eax ecx edx ebp esi edi (ebx is the base) */
static const uint8_t regs32[] = { 0, 1, 2, 5, 6, 7 };

struct enc {
	bool mem, mode32;
	bool noncanon; /* the base register holds a non-canonical address */
	uint32_t bases;
};

/*
 * Encode one instance of tp. 64-bit: registers from regs64; memory is
 * [rbx|r13 (+ r14) + disp8]. 32-bit: registers from regs32, memory
 * [ebx + disp8], VEX.R and VEX.X 0 (the bytes must not read as LES/LDS);
 * VEX.B and vvvv[3] random (ignored there).
 */
static size_t encode(const struct tpl *tp, bool mode32, uint8_t *b, struct enc *e)
{
	size_t n = 0;
	const uint8_t *rs = mode32 ? regs32 : regs64;
	unsigned nr = mode32 ? sizeof(regs32) : sizeof(regs64);
	unsigned reg = tp->grp >= 0 ? (unsigned)tp->grp : rs[rn(nr)];
	unsigned rm = rs[rn(nr)], vvvv = (tp->fl & F_NV) ? 0 : rs[rn(nr)];
	e->mem = rn(2);
	e->mode32 = mode32;
	e->noncanon = false;
	unsigned base = 3, index = 4; /* rbx, no index */
	if (e->mem && !mode32) {
		base = rn(2) ? 3 : 13;
		if (rn(2))
			index = 14;
		e->noncanon = rn(24) == 0;
	}
	e->bases = e->mem ? 1u << base : 0;
	if (mode32) {
		reg &= 7;
		rm &= 7;
		vvvv = (vvvv & 7) | (rn(2) ? 8 : 0); /* vvvv[3] ignored */
		if (tp->fl & F_NV)
			vvvv &= 8;
	}
	if ((tp->fl & F_NV) && rn(10) == 0)
		vvvv = 1 + rn(15); /* #UD (in 64-bit mode) */
	uint8_t modrm = e->mem ? (uint8_t)(0x40 | (reg & 7) << 3 | (index != 4 ? 4 : (base & 7)))
			       : (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	unsigned xb = e->mem ? ((index & 8) ? 2 : 0) | ((base & 8) ? 1 : 0) : ((rm & 8) ? 1 : 0);
	if (tp->fl & F_LEG) {
		if (rn(4) == 0)
			b[n++] = 0x66;
		b[n++] = 0xf3;
		bool w = !mode32 && rn(2);
		uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | (xb & 2) | (xb & 1));
		if (!mode32 && (rex != 0x40 || rn(8) == 0))
			b[n++] = rex;
		b[n++] = 0x0f;
		b[n++] = tp->op;
	} else {
		if (rn(40) == 0) { /* 66 F2 F3 LOCK REX before VEX: #UD */
			static const uint8_t bad[] = { 0x66, 0xf2, 0xf3, 0xf0, 0x40, 0x48 };
			b[n++] = bad[rn(mode32 ? 4 : 6)];
		}
		bool l = rn(10) == 0, w = rn(2);
		if (mode32)
			xb = rn(2); /* VEX.B ignored */
		b[n++] = 0xc4;
		b[n++] = (uint8_t)((mode32 ? 0xc0 : ((reg & 8) ? 0 : 0x80) | ((xb & 2) ? 0 : 0x40)) |
				   ((xb & 1) ? 0 : 0x20) | tp->map);
		b[n++] = (uint8_t)((w ? 0x80 : 0) | (~vvvv & 15) << 3 | (l ? 4 : 0) | tp->pp);
		b[n++] = tp->op;
	}
	b[n++] = modrm;
	if (e->mem && index != 4)
		b[n++] = (uint8_t)(0x00 | (index & 7) << 3 | (base & 7)); /* scale 1 */
	if (e->mem)
		b[n++] = (uint8_t)rn(0x80);
	if (tp->fl & F_IMM)
		b[n++] = (uint8_t)(rn(3) ? rn(70) : rn(256));
	return n;
}

/* Compare the undefined flags too? On AMD family 19h (Zen 3/4), whose
 * choices the handlers follow. */
static bool host_strict_flags(void)
{
	uint32_t r[4];
	if (!nx_host_amd())
		return false;
	nx_cpuid(1, 0, r);
	unsigned fam = (r[0] >> 8) & 0xf;
	if (fam == 0xf)
		fam += (r[0] >> 20) & 0xff;
	return fam == 0x19;
}

static bool host_has_bmi(void)
{
	uint32_t r[4];
	nx_cpuid(0, 0, r);
	if (r[0] < 7)
		return false;
	nx_cpuid(7, 0, r);
	return (r[1] & (1u << 3)) && (r[1] & (1u << 8));
}

static void test_differential64(unsigned per_form, bool strict)
{
	unsigned bad_forms = 0, prints = 0, nclean = 0, ngp = 0, nud = 0;
	for (unsigned k = 0; k < NTPL; k++) {
		const struct tpl *tp = &tpls[k];
		unsigned fails = 0;
		uint64_t fmask = 0x8d5 & ~(strict ? 0u : tp->undef);
		for (unsigned it = 0; it < per_form; it++) {
			uint8_t code[16], mem0[512], emem[512];
			struct enc e;
			size_t n = encode(tp, false, code, &e);
			struct nx_state ns;
			memset(&ns, 0, sizeof(ns));
			ns.mxcsr = 0x1f80;
			for (unsigned i = 0; i < 16; i++)
				ns.gpr[i] = rnd_val();
			ns.gpr[14] = rn(16) * 8; /* the index */
			ns.rflags = 0x202 | (rnd() & 0x8d5);
			for (unsigned i = 0; i < 512; i += 8) {
				uint64_t q = rnd_val();
				memcpy(mem0 + i, &q, 8);
			}
			uint64_t g0[16], eg[16], ef = ns.rflags, f0 = ns.rflags;
			memcpy(g0, ns.gpr, sizeof(g0));
			memcpy(eg, ns.gpr, sizeof(eg));
			uint64_t base = e.noncanon ? 0x8000000000000000ull : (uint64_t)(uintptr_t)nx_mem;
			for (unsigned i = 0; i < 16; i++)
				if (e.bases >> i & 1)
					ns.gpr[i] = base;
			memcpy(nx_mem, mem0, 512);
			memcpy(emem, mem0, 512);
			int nv = nx_exec(code, n, &ns);
			uint32_t skip = e.bases; /* registers not compared */
			if (e.noncanon) {
				/* the emulator gets the same non-canonical base */
				for (unsigned i = 0; i < 16; i++)
					if (e.bases >> i & 1)
						eg[i] = base;
				e.bases = 0;
			}
			int ev = emu_exec(M_64, code, n, eg, &ef, e.bases, emem, 512);
			nclean += nv == V_NONE;
			ngp += nv == V_GP;
			nud += nv == V_UD;
			char why[160] = "";
			bool ok = nv == ev;
			if (!ok)
				sprintf(why, "native vector %d, emulator %d", nv, ev);
			const uint64_t *want = nv == V_NONE ? ns.gpr : g0;
			for (unsigned i = 0; ok && i < 16; i++) {
				if (i == RAX_REG_RSP || ((skip >> i) & 1))
					continue;
				if (want[i] != eg[i]) {
					ok = false;
					sprintf(why, "r%u native %016llx emu %016llx", i, (unsigned long long)want[i],
						(unsigned long long)eg[i]);
				}
			}
			/* a fault changes nothing (the host's flags are lost with the signal: compare with the start) */
			uint64_t wf = nv == V_NONE ? ns.rflags : f0;
			if (ok && ((wf ^ ef) & (nv == V_NONE ? fmask : 0x8d5))) {
				ok = false;
				sprintf(why, "rflags native %llx emu %llx", (unsigned long long)wf,
					(unsigned long long)ef);
			}
			if (ok && memcmp(nx_mem, emem, 512)) {
				ok = false;
				sprintf(why, "memory differs");
			}
			if (!ok) {
				fails++;
				if (prints++ < 40 && fails <= 4)
					nx_report("differential64", tp->name, code, n, -1, why);
			}
		}
		CHECK_EQ(fails, 0);
		bad_forms += fails != 0;
	}
	printf("differential 64-bit: %u forms x %u cases (host: %u completed, %u #GP, %u #UD), "
	       "%u forms disagree with the host%s\n",
	       (unsigned)NTPL, per_form, nclean, ngp, nud, bad_forms,
	       strict ? "" : " (undefined flags not compared on this host)");
	CHECK(nclean > 0 && ngp > 0 && nud > 0);
}

static void test_differential32(unsigned per_form, bool strict)
{
	if (!low) {
		printf("differential 32-bit: skipped: no memory below 4 GiB\n");
		return;
	}
	/* Does the kernel run 32-bit user code? (a NOP through the trampoline) */
	struct n32 p;
	memset(&p, 0, sizeof(p));
	p.eflags = 0x202;
	uint8_t nop = 0x90;
	if (native_exec32(&nop, 1, &p) != V_NONE) {
		printf("differential 32-bit: skipped: the kernel has no 32-bit user code segment\n");
		return;
	}
	unsigned bad_forms = 0, prints = 0, nclean = 0, nud = 0;
	for (unsigned k = 0; k < NTPL; k++) {
		const struct tpl *tp = &tpls[k];
		unsigned fails = 0;
		uint64_t fmask = 0x8d5 & ~(strict ? 0u : tp->undef);
		for (unsigned it = 0; it < per_form; it++) {
			uint8_t code[16], mem0[512];
			struct enc e;
			size_t n = encode(tp, true, code, &e);
			struct n32 ns;
			for (unsigned i = 0; i < 8; i++)
				ns.gpr[i] = (uint32_t)rnd_val();
			ns.gpr[RAX_REG_RBX] = (uint32_t)(uintptr_t)(low + LOW_MEM);
			ns.eflags = (uint32_t)(0x202 | (rnd() & 0x8d5));
			for (unsigned i = 0; i < 512; i += 8) {
				uint64_t q = rnd_val();
				memcpy(mem0 + i, &q, 8);
			}
			struct n32 s0 = ns;
			memcpy(low + LOW_MEM, mem0, 512);
			int nv = native_exec32(code, n, &ns);
			nclean += nv == V_NONE;
			nud += nv == V_UD;
			for (unsigned mode = M_COMPAT; mode <= M_PROT32; mode++) {
				uint64_t eg[16] = { 0 }, ef = s0.eflags;
				uint8_t emem[512];
				memcpy(emem, mem0, 512);
				for (unsigned i = 0; i < 8; i++)
					eg[i] = s0.gpr[i] | (rnd() << 32 & (mode == M_COMPAT ? ~0ull : 0));
				int ev = emu_exec(mode, code, n, eg, &ef, 1u << RAX_REG_RBX, emem, 512);
				char why[160] = "";
				bool ok = nv == ev;
				if (!ok)
					sprintf(why, "native vector %d, emulator %d", nv, ev);
				const uint32_t *want = nv == V_NONE ? ns.gpr : s0.gpr;
				for (unsigned i = 0; ok && i < 8; i++) {
					if (i == RAX_REG_RSP || i == RAX_REG_RBX)
						continue;
					if (want[i] != (uint32_t)eg[i]) {
						ok = false;
						sprintf(why, "r%u native %08x emu %08x", i, want[i], (unsigned)eg[i]);
					}
				}
				uint32_t wf = nv == V_NONE ? ns.eflags : s0.eflags;
				if (ok && ((wf ^ ef) & (nv == V_NONE ? fmask : 0x8d5))) {
					ok = false;
					sprintf(why, "eflags native %x emu %llx", wf, (unsigned long long)ef);
				}
				if (ok && memcmp(low + LOW_MEM, emem, 512)) {
					ok = false;
					sprintf(why, "memory differs");
				}
				if (!ok) {
					fails++;
					if (prints++ < 40 && fails <= 4)
						nx_report(mode == M_COMPAT ? "differential32 (compat)"
									   : "differential32 (protected)",
							  tp->name, code, n, -1, why);
				}
			}
		}
		CHECK_EQ(fails, 0);
		bad_forms += fails != 0;
	}
	printf("differential 32-bit: %u forms x %u cases (host: %u completed, %u #UD), "
	       "compatibility and protected mode, %u forms disagree with the host\n",
	       (unsigned)NTPL, per_form, nclean, nud, bad_forms);
	CHECK(nclean > 0 && nud > 0);
}

/* ---------------- levels, disassembly ---------------- */

static int dec_level(const char *hex, unsigned mode, unsigned level, struct emu_insn *in)
{
	uint8_t b[16];
	size_t n = unit_hex(hex, b);
	return emu_decode_level(b, (unsigned)n, mode, level, in);
}

static void test_levels(void)
{
	struct emu_insn in;
	char b[64];
	/* the VEX forms exist at v3 only; VEX.L = 1 is #UD */
	static const char *const v3[] = {
		"c4 e2 70 f2 c2", "c4 e2 78 f3 c9", "c4 e2 78 f3 d1",    "c4 e2 78 f3 d9", "c4 e2 70 f7 c2",
		"c4 e2 70 f5 c2", "c4 e2 72 f5 c2", "c4 e2 73 f5 c2",    "c4 e2 73 f6 c2", "c4 e2 71 f7 c2",
		"c4 e2 72 f7 c2", "c4 e2 73 f7 c2", "c4 e3 7b f0 c1 05", "f3 0f bc c1",
	};
	for (unsigned i = 0; i < sizeof(v3) / sizeof(v3[0]); i++) {
		int d2 = dec_level(v3[i], EMU_MODE_64, RAX_CPU_V2, &in);
		bool bsf = d2 == EMU_DEC_OK && !strcmp(emu_mnemonic(&in, b, sizeof(b)), "bsf");
		if (!(d2 == EMU_DEC_UD || bsf))
			fprintf(stderr, "expected #UD (or BSF) at v2: %s\n", v3[i]);
		CHECK(d2 == EMU_DEC_UD || bsf);
		int d3 = dec_level(v3[i], EMU_MODE_64, RAX_CPU_V3, &in);
		if (d3 != EMU_DEC_OK)
			fprintf(stderr, "expected a v3 row: %s\n", v3[i]);
		CHECK_EQ(d3, EMU_DEC_OK);
		CHECK_EQ(emu_row_level(emu_oprows[in.row].flags), RAX_CPU_V3);
		/* VEX.L = 1: #UD */
		if (v3[i][0] == 'c') {
			uint8_t x[16];
			size_t n = unit_hex(v3[i], x);
			x[2] |= 4;
			CHECK_EQ(emu_decode_level(x, (unsigned)n, EMU_MODE_64, RAX_CPU_V3, &in), EMU_DEC_UD);
		}
	}
	/* F3 0F BC: BSF below v3, TZCNT at v3; no prefix: BSF */
	CHECK_EQ(dec_level("f3 0f bc c1", EMU_MODE_64, RAX_CPU_V2, &in), EMU_DEC_OK);
	CHECK(!strcmp(emu_mnemonic(&in, b, sizeof(b)), "bsf"));
	CHECK_EQ(dec_level("f3 0f bc c1", EMU_MODE_64, RAX_CPU_V3, &in), EMU_DEC_OK);
	CHECK(!strcmp(emu_mnemonic(&in, b, sizeof(b)), "tzcnt"));
	CHECK_EQ(dec_level("0f bc c1", EMU_MODE_64, RAX_CPU_V3, &in), EMU_DEC_OK);
	CHECK(!strcmp(emu_mnemonic(&in, b, sizeof(b)), "bsf"));
	/* not rows: BLS* group /0 /4-/7, 66/F3/F2 forms that do not exist, RORX with vvvv != 1111b */
	static const char *const none[] = { "c4 e2 78 f3 c1", "c4 e2 78 f3 e1",    "c4 e2 78 f3 f9",
					    "c4 e2 71 f2 c2", "c4 e2 71 f5 c2",    "c4 e2 70 f6 c2",
					    "c4 e2 72 f6 c2", "c4 e3 7a f0 c1 05", "c4 e3 73 f0 c1 05" };
	for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		int d = dec_level(none[i], EMU_MODE_64, RAX_CPU_V3, &in);
		if (d != EMU_DEC_UD)
			fprintf(stderr, "expected #UD: %s\n", none[i]);
		CHECK_EQ(d, EMU_DEC_UD);
	}
	/* Outside 64-bit mode vvvv[3] does not select a register (the host ignores it
	 * for By), but a row without a vvvv operand still needs all four bits set:
	 * the host raises #UD for RORX with vvvv = 0111b in 32-bit code. */
	CHECK_EQ(dec_level("c4 e3 3b f0 c1 05", EMU_MODE_32, RAX_CPU_V3, &in), EMU_DEC_UD);
	CHECK_EQ(dec_level("c4 e3 7b f0 c1 05", EMU_MODE_32, RAX_CPU_V3, &in), EMU_DEC_OK);
	CHECK_EQ(dec_level("c4 e2 30 f2 c2", EMU_MODE_32, RAX_CPU_V3, &in), EMU_DEC_OK);
	CHECK_EQ(in.vvvv, 1);
	/* disassembly: operand order and sizes (VEX.W: 64-bit in 64-bit mode only) */
	static const struct {
		const char *hex, *text;
		unsigned mode;
	} dis[] = {
		{ "c4 e2 70 f2 c2", "andn eax, ecx, edx", EMU_MODE_64 },
		{ "c4 62 b0 f2 43 10", "andn r8, r9, qword [rbx+0x10]", EMU_MODE_64 },
		{ "c4 e2 70 f7 c2", "bextr eax, edx, ecx", EMU_MODE_64 },
		{ "c4 e2 f0 f3 ca", "blsr rcx, rdx", EMU_MODE_64 },
		{ "c4 c2 30 f3 d4", "blsmsk r9d, r12d", EMU_MODE_64 },
		{ "c4 e2 78 f3 1b", "blsi eax, dword [rbx]", EMU_MODE_64 },
		{ "c4 e2 f0 f5 c2", "bzhi rax, rdx, rcx", EMU_MODE_64 },
		{ "c4 e2 73 f6 c2", "mulx eax, ecx, edx", EMU_MODE_64 },
		{ "c4 e2 72 f5 c2", "pext eax, ecx, edx", EMU_MODE_64 },
		{ "c4 e2 f3 f5 c2", "pdep rax, rcx, rdx", EMU_MODE_64 },
		{ "c4 e3 fb f0 c1 07", "rorx rax, rcx, 0x7", EMU_MODE_64 },
		{ "c4 e2 71 f7 c2", "shlx eax, edx, ecx", EMU_MODE_64 },
		{ "f3 48 0f bc c1", "tzcnt rax, rcx", EMU_MODE_64 },
		{ "c4 e2 f0 f2 c2", "andn eax, ecx, edx", EMU_MODE_32 },
		{ "c4 e2 b3 f6 c2", "mulx eax, ecx, edx", EMU_MODE_32 },
	};
	for (unsigned i = 0; i < sizeof(dis) / sizeof(dis[0]); i++) {
		CHECK_EQ(dec_level(dis[i].hex, dis[i].mode, RAX_CPU_V3, &in), EMU_DEC_OK);
		emu_disasm(&in, b, sizeof(b));
		if (strcmp(b, dis[i].text))
			fprintf(stderr, "disasm %s: \"%s\", expected \"%s\"\n", dis[i].hex, b, dis[i].text);
		CHECK(!strcmp(b, dis[i].text));
	}
}

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : unit_cases(400);
	tv_init(&t);
	test_levels();
	if (!host_has_bmi()) {
		printf("differential: skipped: the host lacks BMI1/BMI2\n");
	} else {
		bool strict = host_strict_flags();
		native_init();
		test_differential64(per, strict);
		test_differential32(per / 2, strict);
		native_fini();
	}
	tv_free(&t);
	return unit_finish("test_emu_bmi");
}
