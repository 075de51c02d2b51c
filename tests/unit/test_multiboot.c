/*
 * test_multiboot.c - the multiboot loader on crafted images: header search,
 * flag and checksum checks, the a.out kludge and ELF32 loading with their
 * refusals, then what multiboot_setup() leaves in guest RAM (image, bss,
 * modules, the information structure, memory map, GDT) and the entry state.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "loader/multiboot.h"
#include "unit.h"
#include "vm.h"

#define RAM (32ull << 20)

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}
static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* A multiboot header at off: magic, flags, checksum (+ bad to spoil it). */
static void put_header(uint8_t *b, size_t off, uint32_t flags, uint32_t bad)
{
	wr32(b + off, MB_HEADER_MAGIC);
	wr32(b + off + 4, flags);
	wr32(b + off + 8, (uint32_t) - (MB_HEADER_MAGIC + flags) + bad);
}

/* a.out kludge image: header at file offset 0x20, loaded at 1 MiB. */
#define AOUT_LEN 0x1000
static void make_aout(uint8_t *b, uint32_t flags, uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	for (unsigned i = 0; i < AOUT_LEN; i++)
		b[i] = (uint8_t)(i * 7 + 1);
	put_header(b, 0x20, flags | MB_FLAG_AOUT_KLUDGE, 0);
	wr32(b + 0x20 + 12, 0x100020); /* header_addr */
	wr32(b + 0x20 + 16, 0x100000); /* load_addr */
	wr32(b + 0x20 + 20, load_end);
	wr32(b + 0x20 + 24, bss_end);
	wr32(b + 0x20 + 28, entry);
}

static void set_field(uint8_t *b, unsigned field, uint32_t v) { wr32(b + 0x20 + field, v); }

static int parse(const uint8_t *b, size_t len, struct mb_image *img, struct rax_err *err)
{
	memset(err, 0, sizeof(*err));
	return multiboot_parse(b, len, RAM, img, err);
}

static bool refused(const uint8_t *b, size_t len, const char *words)
{
	static struct mb_image img;
	struct rax_err err;
	if (parse(b, len, &img, &err) == 0) {
		fprintf(stderr, "  accepted, expected '%s'\n", words);
		return false;
	}
	if (!strstr(err.msg, words) || err.code != RAX_STATUS_USAGE || strchr(err.msg, '\n')) {
		fprintf(stderr, "  message '%s', expected '%s'\n", err.msg, words);
		return false;
	}
	return true;
}

static void test_find_header(void)
{
	static uint8_t b[12288];
	long first;
	memset(b, 0, sizeof(b));
	CHECK_EQ(multiboot_find_header(b, sizeof(b), &first), (uint64_t)-1);
	CHECK_EQ(first, (uint64_t)-1);
	put_header(b, 0x40, 0, 0);
	CHECK_EQ(multiboot_find_header(b, sizeof(b), &first), 0x40);
	CHECK_EQ(first, 0x40);
	/* a bad checksum first: the valid one after it is found, the bad one named */
	put_header(b, 0x10, 0, 1);
	CHECK_EQ(multiboot_find_header(b, sizeof(b), &first), 0x40);
	CHECK_EQ(first, 0x10);
	/* not 32-bit aligned */
	memset(b, 0, sizeof(b));
	put_header(b, 0x42, 0, 0);
	CHECK_EQ(multiboot_find_header(b, sizeof(b), &first), (uint64_t)-1);
	CHECK_EQ(first, (uint64_t)-1);
	/* wholly inside the first 8 KiB, or not at all */
	memset(b, 0, sizeof(b));
	put_header(b, MB_SEARCH_LEN - 12, 0, 0);
	CHECK_EQ(multiboot_find_header(b, sizeof(b), NULL), MB_SEARCH_LEN - 12);
	memset(b, 0, sizeof(b));
	put_header(b, MB_SEARCH_LEN - 8, 0, 0);
	CHECK_EQ(multiboot_find_header(b, sizeof(b), NULL), (uint64_t)-1);
	memset(b, 0, sizeof(b));
	put_header(b, MB_SEARCH_LEN, 0, 0);
	CHECK_EQ(multiboot_find_header(b, sizeof(b), &first), (uint64_t)-1);
	CHECK_EQ(first, (uint64_t)-1);
	CHECK(refused(b, sizeof(b), "no multiboot header"));
	/* a buffer shorter than a header */
	CHECK_EQ(multiboot_find_header(b, 8, NULL), (uint64_t)-1);
}

static void test_aout(void)
{
	static uint8_t b[16384];
	struct mb_image img;
	struct rax_err err;
	make_aout(b, MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO, 0x100800, 0x102000, 0x100040);
	CHECK(parse(b, AOUT_LEN, &img, &err) == 0);
	CHECK(img.aout);
	CHECK_EQ(img.header_off, 0x20);
	CHECK_EQ(img.nseg, 1);
	CHECK_EQ(img.seg[0].off, 0);
	CHECK_EQ(img.seg[0].paddr, 0x100000);
	CHECK_EQ(img.seg[0].filesz, 0x800);
	CHECK_EQ(img.seg[0].memsz, 0x2000);
	CHECK_EQ(img.entry, 0x100040);
	CHECK_EQ(img.lo, 0x100000);
	CHECK_EQ(img.hi, 0x102000);

	/* load_end_addr 0: the rest of the file; bss_end_addr 0: no bss */
	make_aout(b, 0, 0, 0, 0x100040);
	CHECK(parse(b, AOUT_LEN, &img, &err) == 0);
	CHECK_EQ(img.seg[0].filesz, AOUT_LEN);
	CHECK_EQ(img.seg[0].memsz, AOUT_LEN);

	/* the file offset of load_addr comes from the header's own offset */
	make_aout(b, 0, 0x100400, 0, 0x100100);
	set_field(b, 12, 0x200010); /* header 0x10 bytes into the loaded part */
	set_field(b, 16, 0x200000);
	set_field(b, 20, 0x200400);
	set_field(b, 28, 0x200100);
	CHECK(parse(b, AOUT_LEN, &img, &err) == 0);
	CHECK_EQ(img.seg[0].off, 0x10);
	CHECK_EQ(img.seg[0].paddr, 0x200000);
	CHECK_EQ(img.entry, 0x200100);
	set_field(b, 28, 0x100100);
	CHECK(refused(b, AOUT_LEN, "entry_addr 0x100100 lies outside"));

	/* optional unknown flags (bits 16-31) are ignored */
	make_aout(b, 1u << 20, 0, 0, 0x100040);
	CHECK(parse(b, AOUT_LEN, &img, &err) == 0);

	make_aout(b, 0, 0, 0, 0x100040);
	set_field(b, 12, 0x100040); /* header 0x40 past load_addr, but at file offset 0x20 */
	CHECK(refused(b, AOUT_LEN, "before the start of the file"));
	make_aout(b, 0, 0, 0, 0x100040);
	set_field(b, 16, 0x100030); /* load_addr above header_addr */
	CHECK(refused(b, AOUT_LEN, "header_addr 0x100020 lies below load_addr"));
	make_aout(b, 0, 0x100800, 0, 0x100800);
	CHECK(refused(b, AOUT_LEN, "entry_addr 0x100800 lies outside the loaded image"));
	make_aout(b, 0, 0x100800, 0, 0xfffff);
	CHECK(refused(b, AOUT_LEN, "outside the loaded image"));
	make_aout(b, 0, 0x100800, 0x100400, 0x100040);
	CHECK(refused(b, AOUT_LEN, "bss_end_addr 0x100400 lies below"));
	make_aout(b, 0, 0x100000, 0, 0x100040);
	CHECK(refused(b, AOUT_LEN, "load_end_addr 0x100000 is not above"));
	/* truncated: the header promises more than the file holds */
	make_aout(b, 0, 0x102000, 0, 0x100040);
	CHECK(refused(b, AOUT_LEN, "truncated"));
	make_aout(b, 0, 0, 0, 0x100040);
	CHECK(refused(b, 0x30, "truncated"));
	/* header address fields past the first 8 KiB */
	memset(b, 0, sizeof(b));
	put_header(b, MB_SEARCH_LEN - 16, MB_FLAG_AOUT_KLUDGE, 0);
	CHECK(refused(b, sizeof(b), "runs past the first 8 KiB"));

	/* outside RAM, or below 1 MiB where the loader's structures are */
	make_aout(b, 0, 0, 0, 0x100040);
	set_field(b, 12, 0x9020);
	set_field(b, 16, 0x9000);
	set_field(b, 28, 0x9040);
	CHECK(refused(b, AOUT_LEN, "outside the RAM a multiboot image may use"));
	make_aout(b, 0, 0, 0, 0x100040);
	set_field(b, 12, (uint32_t)RAM - 0x800 + 0x20);
	set_field(b, 16, (uint32_t)RAM - 0x800);
	set_field(b, 28, (uint32_t)RAM - 0x800 + 0x40);
	CHECK(refused(b, AOUT_LEN, "[0x1fff800, 0x2000800), outside"));
	make_aout(b, 0, 0x100800, 0xfffff000, 0x100040);
	CHECK(refused(b, AOUT_LEN, "outside the RAM"));

	/* flags and checksum */
	make_aout(b, MB_FLAG_VIDEO, 0, 0, 0x100040);
	CHECK(refused(b, AOUT_LEN, "video mode"));
	make_aout(b, 1u << 5, 0, 0, 0x100040);
	CHECK(refused(b, AOUT_LEN, "unsupported required multiboot flags 0x0020"));
	make_aout(b, 1u << 15, 0, 0, 0x100040);
	CHECK(refused(b, AOUT_LEN, "flags 0x8000"));
	make_aout(b, 0, 0, 0, 0x100040);
	b[0x28] ^= 1;
	CHECK(refused(b, AOUT_LEN, "bad multiboot header checksum (magic at offset 0x20)"));
}

/* ELF32: header, program headers at 0x34, code at 0x1000, data at 0x2000. */
#define ELF_LEN 0x3000
static void make_elf(uint8_t *b, unsigned phnum)
{
	memset(b, 0, ELF_LEN);
	memcpy(b, "\177ELF\1\1\1", 7);
	wr16(b + 16, 2); /* ET_EXEC */
	wr16(b + 18, 3); /* EM_386 */
	wr32(b + 20, 1);
	wr32(b + 24, 0xc0100010); /* e_entry, virtual */
	wr32(b + 28, 0x34);
	wr16(b + 40, 52);
	wr16(b + 42, 32);
	wr16(b + 44, (uint16_t)phnum);
	put_header(b, 0x100, MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO, 0);
	/* PT_LOAD code: file 0x1000+0x100 -> 0x100000 (virtual 0xc0100000) */
	uint32_t ph[4][8] = {
		{ 1, 0x1000, 0xc0100000, 0x100000, 0x100, 0x100, 5, 0x1000 },
		{ 4, 0x0, 0, 0, 0x20, 0x20, 4, 4 },                           /* PT_NOTE: not loaded */
		{ 1, 0x2000, 0xc0300000, 0x300000, 0x80, 0x1000, 6, 0x1000 }, /* data + bss */
		{ 1, 0x0, 0xd0000000, 0x7000000, 0, 0, 6, 0x1000 },           /* empty: skipped */
	};
	memcpy(b + 0x34, ph, sizeof(ph));
	for (unsigned i = 0x1000; i < ELF_LEN; i++)
		b[i] = (uint8_t)(i * 13 + 5); /* non-zero everywhere, the bss source too */
}

static void set_ph(uint8_t *b, unsigned i, unsigned field, uint32_t v) { wr32(b + 0x34 + i * 32 + field * 4, v); }

static void test_elf(void)
{
	static uint8_t b[ELF_LEN];
	struct mb_image img;
	struct rax_err err;
	make_elf(b, 4);
	CHECK(parse(b, ELF_LEN, &img, &err) == 0);
	CHECK(!img.aout);
	CHECK_EQ(img.header_off, 0x100);
	CHECK_EQ(img.nseg, 2);
	CHECK_EQ(img.seg[0].paddr, 0x100000);
	CHECK_EQ(img.seg[0].off, 0x1000);
	CHECK_EQ(img.seg[1].paddr, 0x300000);
	CHECK_EQ(img.seg[1].filesz, 0x80);
	CHECK_EQ(img.seg[1].memsz, 0x1000);
	CHECK_EQ(img.entry, 0x100010); /* the virtual entry taken to its segment's p_paddr */
	CHECK_EQ(img.lo, 0x100000);
	CHECK_EQ(img.hi, 0x301000);

	/* the a.out kludge wins over the ELF headers */
	make_elf(b, 4);
	put_header(b, 0x100, MB_FLAG_AOUT_KLUDGE, 0);
	wr32(b + 0x10c, 0x400100);
	wr32(b + 0x110, 0x400000);
	wr32(b + 0x114, 0);
	wr32(b + 0x118, 0);
	wr32(b + 0x11c, 0x400200);
	CHECK(parse(b, ELF_LEN, &img, &err) == 0);
	CHECK(img.aout && img.seg[0].paddr == 0x400000 && img.seg[0].filesz == ELF_LEN);

	make_elf(b, 4);
	b[4] = 2;
	CHECK(refused(b, ELF_LEN, "ELF64"));
	make_elf(b, 4);
	b[4] = 3;
	CHECK(refused(b, ELF_LEN, "unknown ELF class 3"));
	make_elf(b, 4);
	b[5] = 2;
	CHECK(refused(b, ELF_LEN, "little-endian"));
	make_elf(b, 4);
	wr16(b + 18, 62);
	CHECK(refused(b, ELF_LEN, "ELF machine 62 is not x86"));
	make_elf(b, 4);
	wr16(b + 16, 3);
	CHECK(refused(b, ELF_LEN, "not an executable"));
	make_elf(b, 0);
	CHECK(refused(b, ELF_LEN, "no usable program headers"));
	make_elf(b, 4);
	CHECK(refused(b, 0x2040, "truncated: segment 2"));
	wr16(b + 44, 0x200);
	CHECK(refused(b, ELF_LEN, "truncated: program headers end at 0x4034"));
	make_elf(b, 4);
	set_ph(b, 2, 4, 0x2000);
	CHECK(refused(b, ELF_LEN, "p_filesz 0x2000 exceeds p_memsz 0x1000"));
	make_elf(b, 4);
	set_ph(b, 0, 0, 6);
	set_ph(b, 2, 0, 6);
	CHECK(refused(b, ELF_LEN, "no loadable (PT_LOAD) segment"));
	make_elf(b, 4);
	wr32(b + 24, 0x500000);
	CHECK(refused(b, ELF_LEN, "entry point 0x500000 lies outside"));
	make_elf(b, 4);
	wr32(b + 24, 0xc0300100); /* in the bss: not loaded code */
	CHECK(refused(b, ELF_LEN, "outside the loaded segments"));
	make_elf(b, 4);
	set_ph(b, 2, 3, (uint32_t)RAM - 0x800);
	CHECK(refused(b, ELF_LEN, "ELF segment 2 loads to"));
	make_elf(b, 4);
	set_ph(b, 0, 3, 0x8000);
	CHECK(refused(b, ELF_LEN, "ELF segment 0 loads to [0x8000, 0x8100), outside"));
	/* an ELF header cut short (the multiboot header in its e_ident padding) */
	memset(b, 0, ELF_LEN);
	memcpy(b, "\177ELF\1\1\1", 7);
	put_header(b, 8, 0, 0);
	CHECK(refused(b, 48, "truncated ELF header (48 bytes)"));
	/* not ELF, and no a.out kludge */
	make_elf(b, 4);
	b[1] = 'X';
	CHECK(refused(b, ELF_LEN, "not an ELF file"));
	CHECK(refused(b, 0x8, "no multiboot header"));
}

struct setup_out {
	struct guest_mem m;
	struct rax_cpu_state st;
	struct rax_err err;
	const uint8_t *mbi;
};

static int setup(struct setup_out *o, const uint8_t *b, size_t len, const char *args, const struct mb_module *mods,
		 unsigned nmod)
{
	struct mb_image img;
	memset(&o->err, 0, sizeof(o->err));
	if (guest_mem_init(&o->m, RAM, &o->err) < 0 || multiboot_parse(b, len, RAM, &img, &o->err) < 0)
		return -1;
	memset(o->m.host, 0xaa, RAM); /* so that every byte the loader leaves alone shows */
	int r = multiboot_setup(&o->m, &img, b, "/boot/kern.elf", args, mods, nmod, &o->st, &o->err);
	o->mbi = r == 0 ? o->m.host + o->st.gpr[RAX_REG_RBX] : NULL;
	return r;
}

static const char *gstr(const struct setup_out *o, uint32_t gpa)
{
	return gpa < o->m.size ? (const char *)o->m.host + gpa : "(outside RAM)";
}

static void test_setup(void)
{
	static uint8_t b[ELF_LEN];
	static uint8_t big[5000];
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31 + 3);
	const struct mb_module mods[] = {
		{ "a.bin", (const uint8_t *)"hello module A", 14 },
		{ "dir/b.bin", big, sizeof(big) },
		{ "empty.bin", (const uint8_t *)"", 0 },
	};
	struct setup_out o;
	make_elf(b, 4);
	CHECK(setup(&o, b, ELF_LEN, "arg1 arg2=x", mods, 3) == 0);
	const uint8_t *h = o.m.host;

	/* the image: file bytes copied, bss zeroed, nothing else touched */
	CHECK(memcmp(h + 0x100000, b + 0x1000, 0x100) == 0);
	CHECK_EQ(h[0x100100], 0xaa);
	CHECK(memcmp(h + 0x300000, b + 0x2000, 0x80) == 0);
	bool zero = true;
	for (unsigned i = 0x80; i < 0x1000; i++)
		zero &= h[0x300000 + i] == 0;
	CHECK(zero);
	CHECK_EQ(h[0x200000], 0xaa);
	CHECK_EQ(h[0xfffff], 0xaa);

	/* entry state */
	const struct rax_cpu_state *st = &o.st;
	CHECK_EQ(st->rip, 0x100010);
	CHECK_EQ(st->gpr[RAX_REG_RAX], MB_BOOT_MAGIC);
	CHECK_EQ(st->gpr[RAX_REG_RBX], LAYOUT_MB_INFO);
	for (int i = 0; i < RAX_NGPR; i++)
		if (i != RAX_REG_RAX && i != RAX_REG_RBX)
			CHECK_EQ(st->gpr[i], 0);
	CHECK_EQ(st->rflags, 0x2);
	CHECK_EQ(st->cr0, CR0_PE | CR0_ET);
	CHECK_EQ(st->cr4, 0);
	CHECK_EQ(st->efer, 0);
	CHECK_EQ(st->idt.limit, 0);
	const struct rax_segment *cs = &st->seg[RAX_SEG_CS];
	CHECK(cs->base == 0 && cs->limit == 0xffffffff && cs->g && cs->db && !cs->l && cs->type == 0xb && cs->s &&
	      cs->present && cs->dpl == 0 && !cs->unusable);
	for (int i = 0; i < RAX_NSEG; i++) {
		const struct rax_segment *s = &st->seg[i];
		if (i == RAX_SEG_CS)
			continue;
		CHECK(s->base == 0 && s->limit == 0xffffffff && s->g && s->db && s->type == 3 && s->s && s->present &&
		      s->selector == MB_SEL_DATA);
	}
	/* the GDT holds the same segments: a selector reload changes nothing */
	CHECK_EQ(st->gdt.base, LAYOUT_MB_GDT);
	CHECK(st->gdt.limit >= MB_SEL_TSS + 7);
	CHECK_EQ(rd64(h + LAYOUT_MB_GDT + cs->selector), 0x00cf9b000000ffffull);
	CHECK_EQ(rd64(h + LAYOUT_MB_GDT + MB_SEL_DATA), 0x00cf93000000ffffull);
	uint64_t tss = rd64(h + LAYOUT_MB_GDT + st->tr.selector);
	CHECK_EQ(tss, 0x00008b0000000067ull | LAYOUT_MB_TSS << 16);
	CHECK(st->tr.type == 11 && st->tr.present && !st->tr.s && st->tr.base == LAYOUT_MB_TSS && st->tr.limit == 0x67);

	/* the information structure */
	const uint8_t *mbi = o.mbi;
	CHECK_EQ(rd32(mbi + MBI_FLAGS), MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MMAP | MBI_F_LOADER_NAME);
	CHECK_EQ(rd32(mbi + MBI_MEM_LOWER), 639);
	CHECK_EQ(rd32(mbi + MBI_MEM_UPPER), (RAM >> 10) - 1024);
	CHECK_EQ(rd32(mbi + MBI_BOOT_DEVICE), 0);
	CHECK(strcmp(gstr(&o, rd32(mbi + MBI_CMDLINE)), "/boot/kern.elf arg1 arg2=x") == 0);
	CHECK(strcmp(gstr(&o, rd32(mbi + MBI_BOOT_LOADER_NAME)), "rax") == 0);

	/* modules: after the image, page-aligned (flag bit 0), end exclusive */
	CHECK_EQ(rd32(mbi + MBI_MODS_COUNT), 3);
	const uint8_t *mt = h + rd32(mbi + MBI_MODS_ADDR);
	uint32_t prev_end = (uint32_t)0x301000;
	for (unsigned i = 0; i < 3; i++) {
		uint32_t start = rd32(mt + i * 16), end = rd32(mt + i * 16 + 4);
		CHECK_EQ(start & 0xfff, 0);
		CHECK(start >= prev_end);
		CHECK_EQ(end - start, mods[i].len);
		CHECK(memcmp(h + start, mods[i].data, mods[i].len) == 0);
		CHECK(strcmp(gstr(&o, rd32(mt + i * 16 + 8)), mods[i].name) == 0);
		CHECK_EQ(rd32(mt + i * 16 + 12), 0);
		prev_end = end;
	}
	CHECK_EQ(rd32(mt), 0x301000);
	CHECK_EQ(rd32(mt + 16), 0x302000);
	CHECK_EQ(rd32(mt + 32), 0x304000);

	/* memory map: size field first, the BIOS hole reserved */
	CHECK_EQ(rd32(mbi + MBI_MMAP_LENGTH), 3 * 24);
	const uint8_t *mm = h + rd32(mbi + MBI_MMAP_ADDR);
	const uint64_t want[3][3] = { { 0, 0x9fc00, 1 }, { 0x9fc00, 0x60400, 2 }, { 0x100000, RAM - 0x100000, 1 } };
	for (unsigned i = 0; i < 3; i++, mm += 24) {
		CHECK_EQ(rd32(mm), 20);
		CHECK_EQ(rd64(mm + 4), want[i][0]);
		CHECK_EQ(rd64(mm + 12), want[i][1]);
		CHECK_EQ(rd32(mm + 20), want[i][2]);
	}
	/* the boot information stays in its area, clear of the image */
	uint32_t info[] = { rd32(mbi + MBI_CMDLINE), rd32(mbi + MBI_MODS_ADDR), rd32(mbi + MBI_MMAP_ADDR),
			    rd32(mbi + MBI_BOOT_LOADER_NAME), rd32(mt + 40) };
	for (unsigned i = 0; i < sizeof(info) / 4; i++)
		CHECK(info[i] >= LAYOUT_MB_INFO && info[i] < LAYOUT_MB_INFO_END);
	guest_mem_free(&o.m);

	/* without flag bit 0 the modules are packed (8-byte aligned); no args:
	 * the command line is the kernel's name alone */
	make_elf(b, 4);
	put_header(b, 0x100, MB_FLAG_MEMINFO, 0);
	CHECK(setup(&o, b, ELF_LEN, "", mods, 3) == 0);
	mt = o.m.host + rd32(o.mbi + MBI_MODS_ADDR);
	CHECK_EQ(rd32(mt), 0x301000);
	CHECK_EQ(rd32(mt + 16), 0x301010); /* 14 bytes, then 8-byte alignment */
	CHECK_EQ(rd32(mt + 32), 0x301010 + 5000);
	CHECK(strcmp(gstr(&o, rd32(o.mbi + MBI_CMDLINE)), "/boot/kern.elf") == 0);
	guest_mem_free(&o.m);

	/* no modules */
	make_elf(b, 4);
	CHECK(setup(&o, b, ELF_LEN, "x", NULL, 0) == 0);
	CHECK_EQ(rd32(o.mbi + MBI_MODS_COUNT), 0);
	CHECK(rd32(o.mbi + MBI_FLAGS) & MBI_F_MODS);
	guest_mem_free(&o.m);
}

static void test_many_modules(void)
{
	static uint8_t b[ELF_LEN];
	enum { N = 1000 };
	static struct mb_module mods[N];
	static char names[N][32];
	static uint8_t data[N][4];
	for (unsigned i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "testcases/case%04u.bin", i);
		wr32(data[i], i);
		mods[i] = (struct mb_module){ names[i], data[i], 4 };
	}
	struct setup_out o;
	make_elf(b, 4);
	CHECK(setup(&o, b, ELF_LEN, "trace", mods, N) == 0);
	CHECK_EQ(rd32(o.mbi + MBI_MODS_COUNT), N);
	const uint8_t *mt = o.m.host + rd32(o.mbi + MBI_MODS_ADDR);
	bool ok = true;
	for (unsigned i = 0; i < N; i++) {
		uint32_t start = rd32(mt + i * 16);
		ok &= (start & 0xfff) == 0 && rd32(mt + i * 16 + 4) == start + 4 && rd32(o.m.host + start) == i &&
			!strcmp(gstr(&o, rd32(mt + i * 16 + 8)), names[i]);
	}
	CHECK(ok);
	guest_mem_free(&o.m);

	/* names too long for the information area: refused, not overflowed */
	static char longname[2000];
	memset(longname, 'x', sizeof(longname) - 1);
	for (unsigned i = 0; i < 400; i++)
		mods[i].name = longname;
	make_elf(b, 4);
	CHECK(setup(&o, b, ELF_LEN, "", mods, 400) < 0 && strstr(o.err.msg, "boot information area"));
	guest_mem_free(&o.m);

	/* modules that do not fit in RAM */
	static struct mb_module huge[2];
	huge[0] = (struct mb_module){ "huge.bin", calloc(1, 20 << 20), 20 << 20 };
	huge[1] = (struct mb_module){ "huge2.bin", huge[0].data, 20 << 20 };
	CHECK(setup(&o, b, ELF_LEN, "", huge, 2) < 0 && strstr(o.err.msg, "module 2 'huge2.bin'") &&
	      strstr(o.err.msg, "do not fit"));
	free((void *)huge[0].data);
	guest_mem_free(&o.m);
}

static const char *write_tmp(const void *buf, size_t len, char *path)
{
	strcpy(path, "/tmp/rax-mbtest-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

static void test_load_files(void)
{
	static uint8_t b[16384];
	char kpath[64], mpath[64];
	make_aout(b, MB_FLAG_PAGE_ALIGN, 0x100800, 0x102000, 0x100040);
	write_tmp(b, AOUT_LEN, kpath);
	write_tmp("module bytes", 12, mpath);
	struct guest_mem m;
	struct rax_err err = { 0 };
	struct rax_cpu_state st;
	CHECK(guest_mem_init(&m, RAM, &err) == 0);
	const char *paths[] = { mpath, "/nonexistent/mod.bin" };
	CHECK(multiboot_load(&m, kpath, paths, 1, "a b", 1, &st, &err) == 0);
	const uint8_t *mbi = m.host + st.gpr[RAX_REG_RBX];
	char want[160];
	snprintf(want, sizeof(want), "%s a b", kpath);
	CHECK(strcmp((const char *)m.host + rd32(mbi + MBI_CMDLINE), want) == 0);
	const uint8_t *mt = m.host + rd32(mbi + MBI_MODS_ADDR);
	CHECK_EQ(rd32(mt), 0x102000);
	CHECK(memcmp(m.host + 0x102000, "module bytes", 12) == 0);
	CHECK(strcmp((const char *)m.host + rd32(mt + 8), mpath) == 0);
	CHECK_EQ(st.rip, 0x100040);

	CHECK(multiboot_load(&m, kpath, paths, 2, "", 1, &st, &err) < 0);
	CHECK(strstr(err.msg, "cannot open module '/nonexistent/mod.bin'") != NULL);
	b[0x28] ^= 1;
	unlink(kpath);
	write_tmp(b, AOUT_LEN, kpath);
	CHECK(multiboot_load(&m, kpath, paths, 1, "", 1, &st, &err) < 0);
	CHECK(strstr(err.msg, "multiboot kernel '") && strstr(err.msg, "checksum"));
	CHECK_EQ(err.code, RAX_STATUS_USAGE);
	unlink(kpath);
	unlink(mpath);
	guest_mem_free(&m);
}

int main(void)
{
	test_find_header();
	test_aout();
	test_elf();
	test_setup();
	test_many_modules();
	test_load_files();
	return unit_finish("test_multiboot");
}
