/* testimg.c - test-image header, placement, system tables and outcome. */
#include "testimg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input_file.h"
#include "layout.h"
#include "loader/boot64.h"
#include "loader/bzimage.h"
#include "le.h"
#include "loader/multiboot.h"
#include "loader/testimg_stub.h"
#include "vm.h"

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_PS 0x80ull
#define PTE_NX (1ull << 63)
#define PAGE_2M (1ull << 21)

/* RFLAGS bits a test may set initially (no VM, VIF, VIP or reserved bits). */
#define RFLAGS_SETTABLE                                                                                            \
	(RFLAGS_STATUS | RFLAGS_FIXED1 | RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_RF | \
	 RFLAGS_AC | RFLAGS_ID)

#define XU64(x) ((unsigned long long)(x))


/* [a, a+an) lies inside [b, b+bn) (sizes already known not to overflow). */
static bool inside(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) { return a >= b && an <= bn && a - b <= bn - an; }

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) { return a < b + bn && b < a + an; }

/* A range a test maps must lie between the system area and the map limit. */
static int check_range(const char *what, uint64_t addr, uint64_t size, struct rax_err *err)
{
	if (size == 0)
		return rax_errf(err, RAX_STATUS_USAGE, "%s at 0x%llx is empty", what, XU64(addr));
	if (addr < LAYOUT_TEST_SYS_END)
		return rax_errf(err, RAX_STATUS_USAGE, "%s at 0x%llx overlaps the system area (below 0x%llx)", what,
				XU64(addr), XU64(LAYOUT_TEST_SYS_END));
	if (addr >= LAYOUT_TEST_MAP_LIMIT || size > LAYOUT_TEST_MAP_LIMIT - addr)
		return rax_errf(err, RAX_STATUS_USAGE, "%s [0x%llx, +0x%llx) ends above the mappable limit 0x%llx",
				what, XU64(addr), XU64(size), XU64(LAYOUT_TEST_MAP_LIMIT));
	return 0;
}

static int parse_lists(const uint8_t *buf, struct testimg_info *info, struct rax_err *err)
{
	const uint8_t *p = buf + TESTIMG_FIXED_SIZE;
	for (unsigned i = 0; i < info->nregs; i++, p += TESTIMG_REG_SIZE) {
		for (int k = 1; k < 8; k++)
			if (p[k])
				return rax_errf(err, RAX_STATUS_USAGE,
						"corrupt header: register record %u has nonzero padding", i);
		info->reg_index[i] = p[0];
		info->reg_value[i] = rd64(p + 8);
		if (p[0] > TESTIMG_REG_RFLAGS)
			return rax_errf(err, RAX_STATUS_USAGE,
					"corrupt header: register record %u names register %u (0-15 GPRs, 16 RFLAGS)",
					i, p[0]);
		if (p[0] == TESTIMG_REG_RFLAGS && (info->reg_value[i] & ~(uint64_t)RFLAGS_SETTABLE))
			return rax_errf(err, RAX_STATUS_USAGE,
					"impossible initial RFLAGS 0x%llx (reserved, VM, VIF or VIP bits set)",
					XU64(info->reg_value[i]));
	}
	for (unsigned i = 0; i < info->nregions; i++, p += TESTIMG_REGION_SIZE) {
		struct testimg_region *r = &info->region[i];
		r->addr = rd64(p);
		r->size = rd64(p + 8);
		r->flags = rd32(p + 16);
		if (rd32(p + 20))
			return rax_errf(err, RAX_STATUS_USAGE, "corrupt header: region %u has a nonzero reserved field",
					i);
		if (r->flags & ~(uint32_t)TESTIMG_R_ALL)
			return rax_errf(err, RAX_STATUS_USAGE, "corrupt header: region %u has unknown flags 0x%x", i,
					r->flags);
		char what[32];
		snprintf(what, sizeof(what), "region %u", i);
		if (check_range(what, r->addr, r->size, err) < 0)
			return -1;
	}
	return 0;
}

int testimg_parse(const uint8_t *buf, size_t len, struct testimg_info *info, struct rax_err *err)
{
	memset(info, 0, sizeof(*info));
	info->mode = TESTIMG_MODE_64;
	info->end_mask = TESTIMG_END_ALL;
	info->load = LAYOUT_TEST_LOAD;
	info->size = len;
	if (len == 0)
		return rax_errf(err, RAX_STATUS_USAGE, "empty test image");

	uint64_t hdr_size = 0;
	if (len >= 4 && memcmp(buf, TESTIMG_MAGIC, 4) == 0) {
		info->has_header = true;
		if (len < TESTIMG_FIXED_SIZE)
			return rax_errf(err, RAX_STATUS_USAGE,
					"truncated test image: %zu bytes, the header alone is %d", len,
					TESTIMG_FIXED_SIZE);
		info->version = rd16(buf + TESTIMG_OFF_VERSION);
		if (info->version != TESTIMG_VERSION)
			return rax_errf(err, RAX_STATUS_USAGE,
					"unsupported test-image version %u (this rax reads version %d)", info->version,
					TESTIMG_VERSION);
		hdr_size = rd16(buf + TESTIMG_OFF_HDR_SIZE);
		info->mode = buf[TESTIMG_OFF_MODE];
		info->cpl = buf[TESTIMG_OFF_CPL];
		info->end_mask = rd16(buf + TESTIMG_OFF_END);
		info->nregs = buf[TESTIMG_OFF_NREGS];
		info->nregions = buf[TESTIMG_OFF_NREGIONS];
		uint64_t load = rd64(buf + TESTIMG_OFF_LOAD);
		info->entry = rd64(buf + TESTIMG_OFF_ENTRY);
		info->stack_top = rd64(buf + TESTIMG_OFF_STACK);
		info->step_limit = rd64(buf + TESTIMG_OFF_STEPS);
		info->catch_addr = rd64(buf + TESTIMG_OFF_CATCH);
		if (load)
			info->load = load;

		if (info->mode == 32 || info->mode == 16)
			return rax_errf(err, RAX_STATUS_USAGE,
					"test image asks for %u-bit mode, which is not supported yet (only 64)",
					info->mode);
		if (info->mode != TESTIMG_MODE_64)
			return rax_errf(err, RAX_STATUS_USAGE, "corrupt header: invalid CPU mode %u (64, 32 or 16)",
					info->mode);
		if (info->cpl != 0 && info->cpl != 3)
			return rax_errf(err, RAX_STATUS_USAGE, "corrupt header: invalid privilege level %u (0 or 3)",
					info->cpl);
		if (info->end_mask & ~(unsigned)TESTIMG_END_ALL)
			return rax_errf(err, RAX_STATUS_USAGE, "corrupt header: unknown end flags 0x%x",
					info->end_mask);
		if (!info->end_mask)
			info->end_mask = TESTIMG_END_ALL;
		if (rd16(buf + 14))
			return rax_errf(err, RAX_STATUS_USAGE, "corrupt header: reserved field is not zero");
		if (info->nregs > TESTIMG_MAX_REGS || info->nregions > TESTIMG_MAX_REGIONS)
			return rax_errf(err, RAX_STATUS_USAGE,
					"corrupt header: %u registers and %u regions (at most %d and %d)", info->nregs,
					info->nregions, TESTIMG_MAX_REGS, TESTIMG_MAX_REGIONS);
		uint64_t want = TESTIMG_FIXED_SIZE + (uint64_t)info->nregs * TESTIMG_REG_SIZE +
			(uint64_t)info->nregions * TESTIMG_REGION_SIZE;
		if (hdr_size != want)
			return rax_errf(err, RAX_STATUS_USAGE,
					"corrupt header: header size %llu does not match its lists (%llu)",
					XU64(hdr_size), XU64(want));
		if (hdr_size > len)
			return rax_errf(err, RAX_STATUS_USAGE,
					"truncated test image: %zu bytes, the header alone is %llu", len,
					XU64(hdr_size));
		if (parse_lists(buf, info, err) < 0)
			return -1;
	} else {
		info->entry = info->load;
	}

	if (check_range("image", info->load, len, err) < 0)
		return -1;
	if (!inside(info->entry, 1, info->load + hdr_size, len - hdr_size))
		return rax_errf(err, RAX_STATUS_USAGE,
				"entry point 0x%llx is outside the image's code [0x%llx, 0x%llx)", XU64(info->entry),
				XU64(info->load + hdr_size), XU64(info->load + len));
	if (info->catch_addr && !inside(info->catch_addr, TESTIMG_CATCH_SIZE, info->load + hdr_size, len - hdr_size))
		return rax_errf(err, RAX_STATUS_USAGE, "catch block at 0x%llx is outside the image",
				XU64(info->catch_addr));
	if (info->stack_top == 0) {
		if (overlaps(info->load, len, LAYOUT_TEST_STACK_TOP - PAGE_2M, PAGE_2M))
			return rax_errf(
				err, RAX_STATUS_USAGE,
				"image [0x%llx, 0x%llx) overlaps the default stack [0x%llx, 0x%llx): set stack_top",
				XU64(info->load), XU64(info->load + len), XU64(LAYOUT_TEST_STACK_TOP - PAGE_2M),
				XU64(LAYOUT_TEST_STACK_TOP));
	} else {
		/* the stack's top qword must be in the image or a writable region */
		bool ok = inside(info->stack_top - 8, 8, info->load, len);
		for (unsigned i = 0; i < info->nregions && !ok; i++)
			ok = (info->region[i].flags & TESTIMG_R_WRITE) &&
				inside(info->stack_top - 8, 8, info->region[i].addr, info->region[i].size);
		if (!ok || (info->stack_top & 7))
			return rax_errf(err, RAX_STATUS_USAGE,
					"stack_top 0x%llx is not 8-aligned inside the image or a writable region",
					XU64(info->stack_top));
	}
	return 0;
}

/* Accumulate one mapped range into the per-2 MiB-page flags. */
static void map_range(uint64_t *pd, uint64_t addr, uint64_t size, uint32_t flags)
{
	for (uint64_t pg = addr & ~(PAGE_2M - 1); pg < addr + size; pg += PAGE_2M) {
		uint64_t *e = &pd[pg / PAGE_2M];
		if (!(*e & PTE_P))
			*e = pg | PTE_P | PTE_PS | PTE_A | PTE_D | PTE_NX;
		if (flags & TESTIMG_R_WRITE)
			*e |= PTE_RW;
		if (flags & TESTIMG_R_USER)
			*e |= PTE_US;
		if (flags & TESTIMG_R_EXEC)
			*e &= ~PTE_NX;
	}
}

static uint64_t gate(uint64_t handler, unsigned dpl, unsigned ist, uint64_t *high)
{
	*high = handler >> 32;
	return (handler & 0xffff) | (uint64_t)TESTIMG_SEL_CODE0 << 16 | (uint64_t)ist << 32 |
		(uint64_t)(0x8e | dpl << 5) << 40 | ((handler >> 16) & 0xffff) << 48;
}

static void seg_flat(struct rax_segment *s, uint16_t sel, bool code)
{
	struct rax_segment cs, ds;
	cpu_state_flat64(&cs, &ds, sel & 3);
	*s = code ? cs : ds;
	s->selector = sel;
}

static int build_system(struct guest_mem *mem, const struct testimg_info *info, struct rax_cpu_state *st,
			struct rax_err *err)
{
	if (!guest_mem_contains(mem, 0, LAYOUT_TEST_SYS_END))
		return rax_errf(err, RAX_STATUS_USAGE, "guest memory too small for the test system area");
	uint8_t *ram = mem->host;
	guest_mem_zero(mem, 0, LAYOUT_TEST_SYS_END);

	/* GDT; accessed bits preset so the CPU never writes it (both backends
	 * then keep byte-identical memory). */
	uint64_t tss = LAYOUT_TEST_TSS;
	uint64_t gdt[7] = {
		0,
		0x00af9b000000ffffull, /* 0x08 code64 DPL0 */
		0x00cf93000000ffffull, /* 0x10 data DPL0 */
		0x00cff3000000ffffull, /* 0x18 data DPL3 (selector 0x1b) */
		0x00affb000000ffffull, /* 0x20 code64 DPL3 (selector 0x23) */
		/* 0x28 64-bit TSS, busy (type 11), limit 0x67 */
		0x67 | (tss & 0xffffff) << 16 | 0x8bull << 40 | ((tss >> 24) & 0xff) << 56,
		tss >> 32,
	};
	memcpy(ram + LAYOUT_TEST_GDT, gdt, sizeof(gdt));

	/* TSS: RSP0 at +4, IST1 at +36, I/O map base beyond the limit. */
	uint64_t rsp0 = LAYOUT_TEST_RSP0_TOP, ist1 = LAYOUT_TEST_IST1_TOP;
	memcpy(ram + tss + 4, &rsp0, 8);
	memcpy(ram + tss + 36, &ist1, 8);
	uint16_t iomap = 0x68;
	memcpy(ram + tss + 0x66, &iomap, 2);

	memcpy(ram + LAYOUT_TEST_STUB, testimg_stub, sizeof(testimg_stub));
	_Static_assert(sizeof(testimg_stub) <= LAYOUT_TEST_STUB_MAX, "runtime stub too large");

	for (unsigned v = 0; v < 256; v++) {
		uint64_t h = LAYOUT_TEST_STUB + v * TESTIMG_STUB_ENTRY_SIZE, hi;
		unsigned dpl = 0, ist = 0;
		if (v == 1 || v == 2 || v == 8 || v == 18)
			ist = 1; /* #DB, NMI, #DF, #MC on a known-good stack */
		if (v == 3 || v == 4)
			dpl = 3; /* int3 and into work from CPL3 */
		if (v == TESTIMG_VEC_EXIT)
			h = LAYOUT_TEST_STUB + TESTIMG_STUB_EXIT, dpl = 3;
		if (v == TESTIMG_VEC_OUT)
			h = LAYOUT_TEST_STUB + TESTIMG_STUB_OUT, dpl = 3;
		if (v == TESTIMG_VEC_IN)
			h = LAYOUT_TEST_STUB + TESTIMG_STUB_IN, dpl = 3;
		uint64_t lo = gate(h, dpl, ist, &hi);
		memcpy(ram + LAYOUT_TEST_IDT + v * 16, &lo, 8);
		memcpy(ram + LAYOUT_TEST_IDT + v * 16 + 8, &hi, 8);
	}

	struct testimg_result res = { .catch_addr = info->catch_addr };
	memcpy(ram + LAYOUT_TEST_RESULT, &res, sizeof(res));

	/* Page tables: the upper levels allow everything, the 2 MiB leaves decide. */
	uint64_t *pml4 = (uint64_t *)(ram + LAYOUT_TEST_PML4);
	uint64_t *pdpt = (uint64_t *)(ram + LAYOUT_TEST_PDPT);
	uint64_t *pd = (uint64_t *)(ram + LAYOUT_TEST_PD);
	pml4[0] = LAYOUT_TEST_PDPT | PTE_P | PTE_RW | PTE_US | PTE_A;
	pdpt[0] = LAYOUT_TEST_PD | PTE_P | PTE_RW | PTE_US | PTE_A;
	map_range(pd, 0, LAYOUT_TEST_SYS_END, TESTIMG_R_WRITE | TESTIMG_R_EXEC);
	uint32_t user = info->cpl == 3 ? TESTIMG_R_USER : 0;
	map_range(pd, info->load, info->size, TESTIMG_R_WRITE | TESTIMG_R_EXEC | user);
	if (!info->stack_top)
		map_range(pd, LAYOUT_TEST_STACK_TOP - PAGE_2M, PAGE_2M, TESTIMG_R_WRITE | user);
	for (unsigned i = 0; i < info->nregions; i++)
		map_range(pd, info->region[i].addr, info->region[i].size, info->region[i].flags);

	/* CPU state: long mode, paging, WP, NXE, SSE enabled. */
	cpu_state_reset(st);
	bool u = info->cpl == 3;
	seg_flat(&st->seg[RAX_SEG_CS], u ? TESTIMG_SEL_CODE3 : TESTIMG_SEL_CODE0, true);
	for (int i = 0; i < RAX_NSEG; i++)
		if (i != RAX_SEG_CS)
			seg_flat(&st->seg[i], u ? TESTIMG_SEL_DATA3 : TESTIMG_SEL_DATA0, false);
	st->tr = (struct rax_segment){
		.base = tss, .limit = 0x67, .selector = TESTIMG_SEL_TSS, .type = 11, .present = 1
	};
	st->ldtr = (struct rax_segment){ .unusable = 1 };
	st->gdt = (struct rax_dtable){ .base = LAYOUT_TEST_GDT, .limit = sizeof(gdt) - 1 };
	st->idt = (struct rax_dtable){ .base = LAYOUT_TEST_IDT, .limit = 256 * 16 - 1 };
	st->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	st->cr3 = LAYOUT_TEST_PML4;
	st->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	st->efer = EFER_LME | EFER_LMA | EFER_NXE;
	st->rip = info->entry;
	st->rflags = RFLAGS_FIXED1;
	st->gpr[RAX_REG_RSP] = info->stack_top ? info->stack_top : LAYOUT_TEST_STACK_TOP;
	for (unsigned i = 0; i < info->nregs; i++) {
		if (info->reg_index[i] == TESTIMG_REG_RFLAGS)
			st->rflags = info->reg_value[i] | RFLAGS_FIXED1;
		else
			st->gpr[info->reg_index[i]] = info->reg_value[i];
	}
	return 0;
}

int testimg_load_buf(struct guest_mem *mem, const uint8_t *buf, size_t len, struct rax_cpu_state *st,
		     struct testimg_info *info, struct rax_err *err)
{
	if (testimg_parse(buf, len, info, err) < 0)
		return -1;
	uint64_t top = info->load + len;
	if (!info->stack_top && LAYOUT_TEST_STACK_TOP > top)
		top = LAYOUT_TEST_STACK_TOP;
	for (unsigned i = 0; i < info->nregions; i++)
		if (info->region[i].addr + info->region[i].size > top)
			top = info->region[i].addr + info->region[i].size;
	if (top > mem->size)
		return rax_errf(err, RAX_STATUS_USAGE,
				"test image needs %lluK of RAM (up to 0x%llx) but --mem is %lluK",
				XU64((top + 1023) >> 10), XU64(top), XU64(mem->size >> 10));
	if (build_system(mem, info, st, err) < 0)
		return -1;
	memcpy(mem->host + info->load, buf, len);
	return 0;
}

const char *testimg_other_format(const uint8_t *buf, size_t len, bool *kernel)
{
	*kernel = true;
	if (len >= 4 && memcmp(buf, TESTIMG_MAGIC, 4) == 0)
		return NULL;
	if (len >= BZ_HEADER + 4 && memcmp(buf + BZ_HEADER, "HdrS", 4) == 0)
		return "a Linux bzImage";
	if (len >= 4 &&
	    memcmp(buf,
		   "\x7f"
		   "ELF",
		   4) == 0)
		return "an ELF file";
	long first_magic;
	if (multiboot_find_header(buf, len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN, &first_magic) >= 0)
		return "a multiboot kernel";
	*kernel = false;
	/* printable ASCII in lines: nobody's machine code */
	bool newline = false;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			newline = true;
		else if ((buf[i] < 0x20 || buf[i] > 0x7e) && buf[i] != '\t' && buf[i] != '\r')
			return NULL;
	}
	return newline ? "a text file" : NULL;
}

int testimg_load(struct guest_mem *mem, const char *path, const char *what, struct rax_cpu_state *st,
		 struct testimg_info *info, struct rax_err *err)
{
	uint8_t *buf;
	size_t len;
	/* an empty file gets testimg_parse's "empty test image" */
	if (rax_input_read(path, &(struct rax_input_spec){ .what = what, .max = mem->size, .empty_ok = true }, &buf,
			   &len, err) < 0)
		return -1;
	bool kernel;
	const char *other = testimg_other_format(buf, len, &kernel);
	if (other) {
		free(buf);
		return rax_errf(err, RAX_STATUS_USAGE, "%s '%s': not a RAX test image but %s (no '%s' magic%s)", what,
				path, other, TESTIMG_MAGIC, kernel ? "; a kernel goes to --kernel" : "");
	}
	int rc = testimg_load_buf(mem, buf, len, st, info, err);
	free(buf);
	if (rc < 0 && err && err->code == RAX_STATUS_USAGE) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		rax_errf(err, RAX_STATUS_USAGE, "%s '%s': %s", what, path, msg);
	}
	return rc;
}

int testimg_run(struct rax_vm *vm, const struct testimg_info *info, struct rax_err *err)
{
	if (!info->step_limit || !vm->ops->step)
		return vm_run(vm, err);
	/* Step loop: the step limit bounds the run; --timeout and signals
	 * stop it as they stop vm_run(). */
	int status = -1;
	vm_watch_begin(vm);
	for (uint64_t n = 0; status < 0; n++) {
		if (vm->stop) {
			status = vm->stop_status;
			vm_stop_message(vm, status, err);
			break;
		}
		if (n == info->step_limit) {
			rax_errf(err, RAX_STATUS_TIMEOUT, "step limit of %llu instructions reached",
				 XU64(info->step_limit));
			status = RAX_STATUS_TIMEOUT;
			break;
		}
		struct rax_exit ex;
		memset(&ex, 0, sizeof(ex));
		if (vm->ops->step(vm, &ex, err) < 0) {
			status = err->code ? err->code : RAX_STATUS_HOST;
			break;
		}
		switch (ex.kind) {
		case RAX_EXIT_HLT: status = RAX_STATUS_OK; break;
		case RAX_EXIT_SHUTDOWN:
			rax_errf(err, RAX_STATUS_SHUTDOWN, "guest triple fault (shutdown) at rip 0x%llx", XU64(ex.rip));
			status = RAX_STATUS_SHUTDOWN;
			break;
		case RAX_EXIT_INTERNAL:
			rax_errf(err, RAX_STATUS_INTERNAL, "%s", ex.detail);
			status = RAX_STATUS_INTERNAL;
			break;
		default: break;
		}
	}
	vm_watch_end();
	return status;
}

/* Put back the frame the stub recorded: the test's own RIP, RSP, RFLAGS, CS, SS. */
static void unwind(struct rax_cpu_state *st, const struct testimg_result *r)
{
	st->rip = r->rip;
	st->gpr[RAX_REG_RSP] = r->rsp;
	st->rflags = r->rflags;
	seg_flat(&st->seg[RAX_SEG_CS], (uint16_t)r->cs, true);
	seg_flat(&st->seg[RAX_SEG_SS], (uint16_t)r->ss, false);
}

static const char *end_name(unsigned how)
{
	switch (how) {
	case TESTIMG_END_DEBUG_EXIT: return "debug-exit";
	case TESTIMG_END_EXIT_CALL: return "exit call";
	default: return "halt";
	}
}

void testimg_outcome(const struct guest_mem *mem, const struct testimg_info *info, int status, struct rax_cpu_state *st,
		     struct testimg_outcome *out)
{
	memset(out, 0, sizeof(*out));
	struct testimg_result r;
	if (guest_mem_read(mem, LAYOUT_TEST_RESULT, &r, sizeof(r)) < 0)
		memset(&r, 0, sizeof(r));
	uint64_t halt = LAYOUT_TEST_STUB + TESTIMG_STUB_HALT;
	bool in_halt = st->rip >= halt && st->rip < halt + 4;

	if (status == RAX_STATUS_OK && in_halt && r.magic == TESTIMG_RESULT_EXCEPTION) {
		out->verdict = TESTIMG_EXCEPTION;
		out->exc = r;
		unwind(st, &r);
		snprintf(out->text, sizeof(out->text), "exception vector %llu error 0x%llx at rip 0x%llx (cr2 0x%llx)",
			 XU64(r.vector), XU64(r.error), XU64(r.rip), XU64(r.cr2));
		return;
	}
	if ((status & 1) && status >= 1 && status <= 255) {
		out->how = r.magic == TESTIMG_RESULT_EXIT ? TESTIMG_END_EXIT_CALL : TESTIMG_END_DEBUG_EXIT;
		out->value = (unsigned)status >> 1; /* the low 7 bits of the value */
		if (out->how == TESTIMG_END_EXIT_CALL) {
			unwind(st, &r);
			out->value = (unsigned)(st->gpr[RAX_REG_RAX] & 0xff);
		}
	} else if (status == RAX_STATUS_OK) {
		out->how = TESTIMG_END_HLT;
	} else {
		out->verdict = TESTIMG_ABORTED;
		snprintf(out->text, sizeof(out->text), "aborted: %s", rax_status_name(status));
		return;
	}
	if (!(info->end_mask & out->how)) {
		out->verdict = TESTIMG_FAILED;
		snprintf(out->text, sizeof(out->text), "failed: the test ended by %s, which its header does not allow",
			 end_name(out->how));
	} else if (out->value) {
		out->verdict = TESTIMG_FAILED;
		snprintf(out->text, sizeof(out->text), "failed: %s value %u", end_name(out->how), out->value);
	} else {
		out->verdict = TESTIMG_PASSED;
		snprintf(out->text, sizeof(out->text), "passed (%s)", end_name(out->how));
	}
}

int testimg_status(const struct testimg_outcome *out, int status)
{
	switch (out->verdict) {
	case TESTIMG_PASSED: return TESTIMG_STATUS_PASSED;
	case TESTIMG_FAILED: return TESTIMG_STATUS_FAILED;
	case TESTIMG_EXCEPTION: return TESTIMG_STATUS_EXCEPTION;
	default: return status;
	}
}
