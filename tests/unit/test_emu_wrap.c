/*
 * test_emu_wrap.c - data accesses at the top of the 4 GiB linear address
 * space, per mode: 32-bit protected mode with paging off, with 2-level and
 * with PAE paging, 16-bit protected mode, compatibility mode and 64-bit mode.
 *
 * What the CPU does (AMD Zen 4, measured in compatibility mode at CPL3;
 * SDM vol. 3A 5.3 "Limit Checking", 3.2.4 "Segmentation in IA-32e Mode"):
 * - The segment-limit check covers every byte of an access, also with a
 *   4 GiB limit: a dword at offset 0xFFFFFFFD of a flat segment is #GP(0),
 *   #SS(0) for SS (the SDM leaves 4 GiB limits implementation-specific).
 * - Outside 64-bit mode linear addresses are 32 bits: base + offset past
 *   0xFFFFFFFF wraps to linear 0, also in the middle of one access; with
 *   paging off linear 0 is physical 0.
 * - 16-bit code: the offset does not wrap at 64 KiB inside an access (the
 *   limit decides); 32-bit addressing behaves as in 32-bit code.
 * - 64-bit mode: no wrap at 4 GiB; an access must be canonical at both
 *   ends, #GP(0) (#SS(0) for the stack) before any page is translated.
 *
 * The guest programs are one instruction and a HLT (NASM source above each
 * array); FS holds the segment under test.
 */
#include <string.h>

#include "cpu_state.h"
#include "test_emu_util.h"
#include "unit.h"

enum { EXC_SS = 12, EXC_GP = 13, EXC_PF = 14 };

/* Physical bytes: linear 0 is physical 0 in every mode here; the dword at
 * linear 0xFFFFFFFC is at TOP_PHYS when paging is on; in IA-32e mode linear
 * 0x100000000 is at ABOVE_PHYS (what an access that did not wrap would read). */
#define TOP_PHYS 0xfffffcull
#define ABOVE_PHYS 0xc00000ull
#define TABLES 0x40000ull /* page tables of the tests (PD/PDPT and PDs) */

/* clang-format off */
/* bits 32: mov eax, [fs:ecx]; hlt */
static const uint8_t rd32[] = { 0x64, 0x8b, 0x01, 0xf4 };
/* bits 32: mov dword [fs:ecx], 0x44332211; hlt */
static const uint8_t wr32[] = { 0x64, 0xc7, 0x01, 0x11, 0x22, 0x33, 0x44, 0xf4 };
/* bits 32: push eax; hlt */
static const uint8_t push32[] = { 0x50, 0xf4 };
/* bits 32: pop eax; hlt */
static const uint8_t pop32[] = { 0x58, 0xf4 };
/* bits 32: fld tword [fs:ecx]; fistp dword [0x400000]; hlt */
static const uint8_t fld32[] = { 0x64, 0xdb, 0x29, 0xdb, 0x1d, 0x00, 0x00, 0x40, 0x00, 0xf4 };
/* bits 32: movdqu xmm0, [fs:ecx]; movd eax, xmm0; hlt */
static const uint8_t movdqu32[] = { 0x64, 0xf3, 0x0f, 0x6f, 0x01, 0x66, 0x0f, 0x7e, 0xc0, 0xf4 };
/* bits 16: mov ax, [fs:ecx]; hlt  (67: 32-bit addressing) */
static const uint8_t rd16a32[] = { 0x64, 0x67, 0x8b, 0x01, 0xf4 };
/* bits 16: mov ax, [fs:bx]; hlt */
static const uint8_t rd16[] = { 0x64, 0x8b, 0x07, 0xf4 };
/* bits 64: mov eax, [rcx]; hlt */
static const uint8_t rd64d[] = { 0x8b, 0x01, 0xf4 };
/* bits 64: mov rax, [rcx]; hlt */
static const uint8_t rd64q[] = { 0x48, 0x8b, 0x01, 0xf4 };
/* bits 64: pop rax; hlt */
static const uint8_t pop64[] = { 0x58, 0xf4 };
/* clang-format on */

/* Data segments (descriptor words for tv_desc/tv_seg). */
#define D_FLAT tv_desc(0, 0xfffff, 0x93, 0xc)      /* base 0, limit 4 GiB */
#define D_BASE10 tv_desc(0x10, 0xfffff, 0x93, 0xc) /* base 0x10, limit 4 GiB */
#define D_RO tv_desc(0, 0xfffff, 0x91, 0xc)        /* flat, read-only */
#define D_LIM64K tv_desc(0, 0xffff, 0x93, 0)       /* base 0, limit 0xFFFF */
#define D_UFLAT tv_desc(0, 0xfffff, 0xf3, 0xc)     /* flat, DPL 3 */
#define D_UCODE32 tv_desc(0, 0xfffff, 0xfb, 0xc)   /* 32-bit code, DPL 3 */

static struct tvm t;

enum pg { PG_OFF, PG_2LEVEL, PG_PAE };

static void fill(void)
{
	tv_w32(&t, 0, 0x13121110);
	tv_w32(&t, TOP_PHYS, 0xafaeadac);
	tv_w32(&t, ABOVE_PHYS, 0xb3b2b1b0);
}

/* 32-bit protected mode (tv_init32) with paging pg; linear 0-8 MiB identity
 * (code, stack, handlers, TV_DATA), the top of linear memory at TOP_PHYS. */
static void start32(enum pg pg, const uint8_t *code, size_t n, uint64_t fs)
{
	tv_init32(&t);
	tv_code(&t, code, n);
	fill();
	t.s.seg[RAX_SEG_FS] = tv_seg(0x18, fs);
	if (pg == PG_2LEVEL) {
		/* 4 MiB pages: 0 -> 0, 4M -> 4M, 0xFFC00000 -> 0xC00000 */
		tv_w32(&t, TABLES, 0x83);
		tv_w32(&t, TABLES + 4, 0x400000 | 0x83);
		tv_w32(&t, TABLES + 4 * 1023, 0xc00000 | 0x83);
		t.s.cr4 = CR4_PSE;
	} else if (pg == PG_PAE) {
		/* 2 MiB pages: 0-6M identity, 0xFFE00000 -> 0xE00000 */
		tv_w64(&t, TABLES, (TABLES + 0x1000) | 1);
		tv_w64(&t, TABLES + 3 * 8, (TABLES + 0x2000) | 1);
		for (uint64_t i = 0; i < 3; i++)
			tv_w64(&t, TABLES + 0x1000 + 8 * i, (i << 21) | 0x83);
		tv_w64(&t, TABLES + 0x2000 + 8 * 511, 0xe00000 | 0x83);
		t.s.cr4 = CR4_PAE;
	}
	if (pg != PG_OFF) {
		t.s.cr3 = TABLES;
		t.s.cr0 |= CR0_PG;
	}
}

/* The exception frame a 32-bit gate pushed at ESP: error code, EIP, ... */
static uint32_t frame32(unsigned k) { return tv_r32(&t, (t.s.gpr[RAX_REG_RSP] & 0xffffffff) + 4 * k); }

/* IA-32e mode (tv_init: 4-level paging, 1 GiB identity) plus linear
 * 0xFFE00000 -> 0xE00000 and 0x100000000 -> ABOVE_PHYS (2 MiB pages). */
static void start_ia32e(const uint8_t *code, size_t n, bool compat)
{
	tv_init(&t);
	tv_gdt32(&t);
	tv_code(&t, code, n);
	fill();
	tv_w64(&t, TV_PDPT + 3 * 8, (TABLES + 0x1000) | 7);
	tv_w64(&t, TV_PDPT + 4 * 8, (TABLES + 0x2000) | 7);
	tv_w64(&t, TABLES + 0x1000 + 8 * 511, 0xe00000 | 0x87);
	tv_w64(&t, TABLES + 0x2000, ABOVE_PHYS | 0x87);
	if (compat)
		t.s.seg[RAX_SEG_CS] = tv_seg(SEL_KCODE32, tv_desc(0, 0xfffff, 0x9b, 0xc));
}

/* Run: the value of EAX (masked to 32 bits) or -vector when a fault ended it. */
static int64_t run_eax(void)
{
	if (tv_run(&t) != RAX_EXIT_HLT)
		return -1000;
	int v = tv_vector(&t);
	if (v >= 0)
		return -v;
	return (int64_t)(t.s.gpr[RAX_REG_RAX] & 0xffffffff);
}

static int64_t read32(enum pg pg, uint64_t fs, uint32_t off)
{
	start32(pg, rd32, sizeof(rd32), fs);
	t.s.gpr[RAX_REG_RCX] = off;
	int64_t r = run_eax();
	if (r < 0) {
		CHECK_EQ(frame32(0), 0);       /* error code 0 */
		CHECK_EQ(frame32(1), TV_CODE); /* a fault: at the instruction */
	}
	tv_free(&t);
	return r;
}

/* The dword at linear 0xFFFFFFFC in mode pg (all-ones: nothing there with paging off). */
static uint32_t top_dword(enum pg pg) { return pg == PG_OFF ? 0xffffffffu : 0xafaeadacu; }

static void test_protected32(enum pg pg)
{
	uint32_t top = top_dword(pg);
	/* the last dword of a flat segment */
	CHECK_EQ(read32(pg, D_FLAT, 0xfffffffc), top);
	/* a dword past the 4 GiB limit: #GP(0), also for a flat writable segment */
	CHECK_EQ(read32(pg, D_FLAT, 0xffffffff), -EXC_GP);
	CHECK_EQ(read32(pg, D_FLAT, 0xfffffffd), -EXC_GP);
	CHECK_EQ(read32(pg, D_RO, 0xffffffff), -EXC_GP);
	/* base 0x10: linear 0xFFFFFFFE 0xFFFFFFFF 0 1 */
	CHECK_EQ(read32(pg, D_BASE10, 0xffffffee), 0x11100000u | (top >> 16));
	/* base 0x10 + 0xFFFFFFF0 = linear 0 */
	CHECK_EQ(read32(pg, D_BASE10, 0xfffffff0), 0x13121110);

	/* a write across 4 GiB: the upper half lands at linear 0 */
	start32(pg, wr32, sizeof(wr32), D_BASE10);
	t.s.gpr[RAX_REG_RCX] = 0xffffffee;
	CHECK_EQ(run_eax(), 0);
	CHECK_EQ(tv_r32(&t, 0), 0x13124433);
	CHECK_EQ(tv_r32(&t, TOP_PHYS), pg == PG_OFF ? 0xafaeadac : 0x2211adac);
	CHECK_EQ(tv_r32(&t, ABOVE_PHYS), 0xb3b2b1b0);
	tv_free(&t);

	/* a 10-byte x87 operand across 4 GiB (a block access): 1.0 whose low
	 * mantissa bytes are at the top (0xFF with paging off: still 1 rounded) */
	start32(pg, fld32, sizeof(fld32), D_BASE10);
	tv_w32(&t, TOP_PHYS, 0);
	tv_w32(&t, 0, 0x80000000);
	tv_w32(&t, 4, 0x3fff);
	t.s.gpr[RAX_REG_RCX] = 0xffffffec;
	CHECK_EQ(run_eax(), 0);
	CHECK_EQ(tv_r32(&t, TV_DATA), 1);
	tv_free(&t);

	/* 10- and 16-byte operands are limit-checked to their last byte */
	start32(pg, fld32, sizeof(fld32), D_FLAT);
	t.s.gpr[RAX_REG_RCX] = 0xfffffff7;
	CHECK_EQ(run_eax(), -EXC_GP);
	tv_free(&t);
	start32(pg, movdqu32, sizeof(movdqu32), D_FLAT);
	t.s.cr4 |= CR4_OSFXSR;
	t.s.gpr[RAX_REG_RCX] = 0xfffffff8;
	CHECK_EQ(run_eax(), -EXC_GP);
	tv_free(&t);
	start32(pg, movdqu32, sizeof(movdqu32), D_FLAT);
	t.s.cr4 |= CR4_OSFXSR;
	tv_w32(&t, TOP_PHYS - 12, 0xa3a2a1a0); /* linear 0xFFFFFFF0 when paged */
	t.s.gpr[RAX_REG_RCX] = 0xfffffff0;
	CHECK_EQ(run_eax(), pg == PG_OFF ? 0xffffffffu : 0xa3a2a1a0u);
	tv_free(&t);
}

/* The stack: a push or pop past the 4 GiB limit of SS is #SS(0). At CPL3,
 * so that the exception gets the TSS stack. */
static void stack32(const uint8_t *code, size_t n, uint32_t esp)
{
	start32(PG_OFF, code, n, D_FLAT);
	t.s.seg[RAX_SEG_CS] = tv_seg(SEL_UCODE32, D_UCODE32);
	t.s.seg[RAX_SEG_SS] = t.s.seg[RAX_SEG_DS] = tv_seg(SEL_UDATA32, D_UFLAT);
	t.s.gpr[RAX_REG_RSP] = esp;
	t.s.gpr[RAX_REG_RAX] = 0x55667788;
}

static void test_stack32(void)
{
	stack32(push32, sizeof(push32), 2);
	CHECK_EQ(run_eax(), -EXC_SS);
	CHECK_EQ(frame32(0), 0);
	CHECK_EQ(frame32(1), TV_CODE);
	CHECK_EQ(frame32(4), 2); /* ESP as it was */
	CHECK_EQ(tv_r32(&t, 0), 0x13121110);
	tv_free(&t);

	stack32(pop32, sizeof(pop32), 0xfffffffe);
	CHECK_EQ(run_eax(), -EXC_SS);
	CHECK_EQ(frame32(0), 0);
	CHECK_EQ(frame32(4), 0xfffffffe);
	tv_free(&t);

	/* the lowest dword: fine (then the HLT at CPL3 is #GP(0)) */
	stack32(push32, sizeof(push32), 4);
	CHECK_EQ(run_eax(), -EXC_GP);
	CHECK_EQ(frame32(1), TV_CODE + 1);
	CHECK_EQ(frame32(4), 0);
	CHECK_EQ(tv_r32(&t, 0), 0x55667788);
	tv_free(&t);
}

/* 16-bit code (SEL_CODE16 at 0x7000) with FS = fs. */
static int64_t read16(const uint8_t *code, size_t n, uint64_t fs, uint32_t ecx, uint32_t ebx)
{
	start32(PG_OFF, code, n, fs);
	memcpy(tv_ptr(&t, 0x7000), code, n);
	t.s.seg[RAX_SEG_CS] = tv_seg(SEL_CODE16, tv_desc(0, 0xffff, 0x9b, 0));
	t.s.rip = 0x7000;
	t.s.gpr[RAX_REG_RCX] = ecx;
	t.s.gpr[RAX_REG_RBX] = ebx;
	tv_w32(&t, 0xfffe, 0x61605f5e);
	int64_t r = run_eax();
	if (r < 0) {
		CHECK_EQ(frame32(0), 0);
		CHECK_EQ(frame32(1), 0x7000);
	}
	tv_free(&t);
	return r < 0 ? r : r & 0xffff;
}

static void test_protected16(void)
{
	/* 32-bit addressing: as in 32-bit code, a word past 4 GiB is #GP(0) */
	CHECK_EQ(read16(rd16a32, sizeof(rd16a32), D_FLAT, 0xffffffff, 0), -EXC_GP);
	CHECK_EQ(read16(rd16a32, sizeof(rd16a32), D_FLAT, 0xfffffffe, 0), 0xffff);
	/* a word at offset 0xFFFF: bytes 0xFFFF and 0x10000 (no wrap at 64 KiB)
	 * when the limit allows, #GP(0) past a 64 KiB limit */
	CHECK_EQ(read16(rd16, sizeof(rd16), D_FLAT, 0, 0xffff), 0x605f);
	CHECK_EQ(read16(rd16, sizeof(rd16), D_LIM64K, 0, 0xffff), -EXC_GP);
	CHECK_EQ(read16(rd16, sizeof(rd16), D_LIM64K, 0, 0xfffe), 0x5f5e);
}

/* Compatibility mode: as 32-bit protected mode with paging (the 64-bit IDT
 * frame: error code, RIP). */
static int64_t read_compat(uint64_t fs, uint32_t off)
{
	start_ia32e(rd32, sizeof(rd32), true);
	t.s.seg[RAX_SEG_FS] = tv_seg(0x18, fs);
	t.s.gpr[RAX_REG_RCX] = off;
	int64_t r = run_eax();
	if (r < 0) {
		CHECK_EQ(tv_r64(&t, t.s.gpr[RAX_REG_RSP]), 0);
		CHECK_EQ(tv_r64(&t, t.s.gpr[RAX_REG_RSP] + 8), TV_CODE);
	}
	tv_free(&t);
	return r;
}

static void test_compat(void)
{
	CHECK_EQ(read_compat(D_FLAT, 0xfffffffc), 0xafaeadac);
	CHECK_EQ(read_compat(D_FLAT, 0xffffffff), -EXC_GP);
	/* wraps to linear 0, not on to 0x100000000 */
	CHECK_EQ(read_compat(D_BASE10, 0xffffffee), 0x1110afae);
	CHECK_EQ(read_compat(D_BASE10, 0xfffffff0), 0x13121110);

	start_ia32e(wr32, sizeof(wr32), true);
	t.s.seg[RAX_SEG_FS] = tv_seg(0x18, D_BASE10);
	t.s.gpr[RAX_REG_RCX] = 0xffffffee;
	CHECK_EQ(run_eax(), 0);
	CHECK_EQ(tv_r32(&t, 0), 0x13124433);
	CHECK_EQ(tv_r32(&t, TOP_PHYS), 0x2211adac);
	CHECK_EQ(tv_r32(&t, ABOVE_PHYS), 0xb3b2b1b0);
	tv_free(&t);
}

static void test_long64(void)
{
	/* no wrap: the bytes after 0xFFFFFFFF are at 0x100000000 */
	start_ia32e(rd64d, sizeof(rd64d), false);
	t.s.gpr[RAX_REG_RCX] = 0xffffffff;
	CHECK_EQ(run_eax(), 0xb2b1b0af);
	tv_free(&t);

	/* a qword whose end is not canonical: #GP(0), before the #PF its
	 * (unmapped) first page would give */
	start_ia32e(rd64q, sizeof(rd64q), false);
	t.s.gpr[RAX_REG_RCX] = 0x7ffffffffffcull;
	CHECK_EQ(run_eax(), -EXC_GP);
	CHECK_EQ(tv_r64(&t, t.s.gpr[RAX_REG_RSP]), 0);
	CHECK_EQ(tv_r64(&t, t.s.gpr[RAX_REG_RSP] + 8), TV_CODE);
	tv_free(&t);

	/* ... and for a stack access #SS(0) (the handler on IST1) */
	start_ia32e(pop64, sizeof(pop64), false);
	tv_gate(&t, EXC_SS, TV_HANDLERS + EXC_SS * 16, 0xe, 3, 1);
	tv_gate(&t, EXC_GP, TV_HANDLERS + EXC_GP * 16, 0xe, 3, 1);
	t.s.gpr[RAX_REG_RSP] = 0x7ffffffffffcull;
	CHECK_EQ(run_eax(), -EXC_SS);
	CHECK_EQ(tv_r64(&t, t.s.gpr[RAX_REG_RSP]), 0);
	CHECK_EQ(tv_r64(&t, t.s.gpr[RAX_REG_RSP] + 8), TV_CODE);
	CHECK_EQ(tv_r64(&t, t.s.gpr[RAX_REG_RSP] + 32), 0x7ffffffffffcull);
	tv_free(&t);
}

int main(void)
{
	test_protected32(PG_OFF);
	test_protected32(PG_2LEVEL);
	test_protected32(PG_PAE);
	test_stack32();
	test_protected16();
	test_compat();
	test_long64();
	return unit_finish("test_emu_wrap");
}
