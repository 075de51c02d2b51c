/*
 * multiboot.c - Multiboot (v1) kernels: header search and validation, ELF32
 * and a.out-kludge loading, boot modules, the multiboot information
 * structure, and the 32-bit protected-mode entry state (paging off).
 *
 * Everything the kernel receives lives at fixed places (layout.h): the
 * GDT and TSS, then the information area below 640 KiB; the image at or
 * above 1 MiB; the modules after the image. Anything we cannot load
 * exactly as the specification says is refused with one line.
 */
#include "multiboot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input_file.h"
#include "loader/acpi.h"
#include "layout.h"
#include "loader/boot64.h"
#include "le.h"
#include "vm.h"

/* ELF32 header and program header fields (System V ABI, i386 supplement). */
#define ELF_EHDR_SIZE 52
#define ELF_CLASS 4
#define ELF_DATA 5
#define ELF_TYPE 16
#define ELF_MACHINE 18
#define ELF_ENTRY 24
#define ELF_PHOFF 28
#define ELF_PHENTSIZE 42
#define ELF_PHNUM 44
#define ELF_PHDR_SIZE 32
#define ELF_P_TYPE 0
#define ELF_P_OFFSET 4
#define ELF_P_VADDR 8
#define ELF_P_PADDR 12
#define ELF_P_FILESZ 16
#define ELF_P_MEMSZ 20
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define PT_LOAD 1

/* a.out kludge fields, relative to the header */
#define MBH_FLAGS 4
#define MBH_HEADER_ADDR 12
#define MBH_LOAD_ADDR 16
#define MBH_LOAD_END_ADDR 20
#define MBH_BSS_END_ADDR 24
#define MBH_ENTRY_ADDR 28

/* mem_lower: the RAM below the EBDA, as the memory map says (639 KiB;
 * QEMU's firmware reports the same). */
#define MB_MEM_LOWER_KIB (LAYOUT_EBDA >> 10)
#define MB_TSS_SIZE 104
#define MB_TSS_IOMAP_BASE 102
#define MB_MOD_ALIGN_PAGE 4096u
#define MB_MOD_ALIGN_PACKED 8u

#define KiB(x) ((unsigned long long)(x) >> 10)
#define MiB(x) ((unsigned long long)(x) >> 20)


static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

long multiboot_find_header(const uint8_t *buf, size_t len, long *first_magic)
{
	if (first_magic)
		*first_magic = -1;
	size_t end = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	for (size_t off = 0; off + MB_HEADER_MIN <= end; off += 4) {
		if (rd32(buf + off) != MB_HEADER_MAGIC)
			continue;
		if (first_magic && *first_magic < 0)
			*first_magic = (long)off;
		if ((uint32_t)(MB_HEADER_MAGIC + rd32(buf + off + 4) + rd32(buf + off + 8)) == 0)
			return (long)off;
	}
	return -1;
}

/* Record [paddr, paddr+memsz) after checking it against the usable RAM. */
static int add_segment(struct mb_image *img, uint32_t off, uint64_t paddr, uint64_t filesz, uint64_t memsz,
		       uint64_t ram_size, const char *what, struct rax_err *err)
{
	if (paddr < LAYOUT_MB_IMAGE_MIN || paddr + memsz > ram_size)
		return rax_errf(err, RAX_STATUS_USAGE,
				"%s loads to [0x%llx, 0x%llx), outside the RAM a multiboot image may use "
				"[0x%llx, 0x%llx) with --mem %lluM",
				what, (unsigned long long)paddr, (unsigned long long)(paddr + memsz),
				(unsigned long long)LAYOUT_MB_IMAGE_MIN, (unsigned long long)ram_size, MiB(ram_size));
	if (img->nseg == MB_MAX_SEGMENTS)
		return rax_errf(err, RAX_STATUS_USAGE, "more than %d loadable segments", MB_MAX_SEGMENTS);
	img->seg[img->nseg++] = (struct mb_segment){
		.off = off, .paddr = (uint32_t)paddr, .filesz = (uint32_t)filesz, .memsz = (uint32_t)memsz
	};
	if (img->nseg == 1 || paddr < img->lo)
		img->lo = paddr;
	if (paddr + memsz > img->hi)
		img->hi = paddr + memsz;
	return 0;
}

/* Flag bit 16: the header's address fields say where everything goes. */
static int parse_aout(const uint8_t *buf, size_t len, uint64_t ram_size, struct mb_image *img, struct rax_err *err)
{
	const uint8_t *h = buf + img->header_off;
	if (img->header_off + MB_HEADER_AOUT_LEN > MB_SEARCH_LEN)
		return rax_errf(err, RAX_STATUS_USAGE, "multiboot header at offset 0x%x runs past the first 8 KiB",
				img->header_off);
	if (img->header_off + MB_HEADER_AOUT_LEN > len)
		return rax_errf(err, RAX_STATUS_USAGE,
				"truncated: the multiboot header's address fields "
				"are cut at %zu bytes",
				len);
	uint32_t header_addr = rd32(h + MBH_HEADER_ADDR), load_addr = rd32(h + MBH_LOAD_ADDR);
	uint32_t load_end = rd32(h + MBH_LOAD_END_ADDR), bss_end = rd32(h + MBH_BSS_END_ADDR);
	uint32_t entry = rd32(h + MBH_ENTRY_ADDR);
	if (header_addr < load_addr)
		return rax_errf(err, RAX_STATUS_USAGE, "header_addr 0x%x lies below load_addr 0x%x", header_addr,
				load_addr);
	/* the header's own file offset ties the file to the addresses */
	if (header_addr - load_addr > img->header_off)
		return rax_errf(err, RAX_STATUS_USAGE,
				"load_addr 0x%x lies before the start of the file (header_addr 0x%x at file "
				"offset 0x%x)",
				load_addr, header_addr, img->header_off);
	uint32_t load_off = img->header_off - (header_addr - load_addr);
	uint64_t size;
	if (load_end == 0) {
		size = len - load_off; /* to the end of the file */
	} else {
		if (load_end <= load_addr)
			return rax_errf(err, RAX_STATUS_USAGE, "load_end_addr 0x%x is not above load_addr 0x%x",
					load_end, load_addr);
		size = load_end - load_addr;
		if (load_off + size > len)
			return rax_errf(err, RAX_STATUS_USAGE,
					"truncated: the header loads %llu bytes from file offset 0x%x, the file "
					"has %zu",
					(unsigned long long)size, load_off, len);
	}
	uint64_t memsz = size;
	if (bss_end) {
		if (bss_end < load_addr + size)
			return rax_errf(err, RAX_STATUS_USAGE,
					"bss_end_addr 0x%x lies below the end of the "
					"loaded data 0x%llx",
					bss_end, (unsigned long long)(load_addr + size));
		memsz = bss_end - load_addr;
	}
	if (add_segment(img, load_off, load_addr, size, memsz, ram_size, "the a.out kludge image", err) < 0)
		return -1;
	if (entry < load_addr || entry >= load_addr + size)
		return rax_errf(err, RAX_STATUS_USAGE, "entry_addr 0x%x lies outside the loaded image [0x%x, 0x%llx)",
				entry, load_addr, (unsigned long long)(load_addr + size));
	img->entry = entry;
	img->aout = true;
	return 0;
}

static int parse_elf(const uint8_t *buf, size_t len, uint64_t ram_size, struct mb_image *img, struct rax_err *err)
{
	if (len < 4 || memcmp(buf, "\177ELF", 4) != 0)
		return rax_errf(err, RAX_STATUS_USAGE,
				"not an ELF file, and the multiboot header has no "
				"load addresses (flag bit 16, the a.out kludge)");
	if (len < ELF_EHDR_SIZE)
		return rax_errf(err, RAX_STATUS_USAGE, "truncated ELF header (%zu bytes)", len);
	if (buf[ELF_CLASS] == ELFCLASS64)
		return rax_errf(err, RAX_STATUS_USAGE,
				"ELF64 image: multiboot loads 32-bit ELF executables "
				"only (use the a.out kludge or an ELF32 wrapper)");
	if (buf[ELF_CLASS] != ELFCLASS32)
		return rax_errf(err, RAX_STATUS_USAGE, "unknown ELF class %u", buf[ELF_CLASS]);
	if (buf[ELF_DATA] != ELFDATA2LSB)
		return rax_errf(err, RAX_STATUS_USAGE, "ELF image is not little-endian");
	if (rd16(buf + ELF_MACHINE) != EM_386)
		return rax_errf(err, RAX_STATUS_USAGE, "ELF machine %u is not x86 (EM_386)", rd16(buf + ELF_MACHINE));
	if (rd16(buf + ELF_TYPE) != ET_EXEC)
		return rax_errf(err, RAX_STATUS_USAGE, "ELF type %u is not an executable (ET_EXEC)",
				rd16(buf + ELF_TYPE));
	uint64_t phoff = rd32(buf + ELF_PHOFF), phentsize = rd16(buf + ELF_PHENTSIZE);
	uint64_t phnum = rd16(buf + ELF_PHNUM);
	if (phnum == 0 || phentsize < ELF_PHDR_SIZE)
		return rax_errf(err, RAX_STATUS_USAGE,
				"ELF image has no usable program headers "
				"(e_phnum %llu, e_phentsize %llu)",
				(unsigned long long)phnum, (unsigned long long)phentsize);
	if (phoff + phnum * phentsize > len)
		return rax_errf(err, RAX_STATUS_USAGE,
				"truncated: program headers end at 0x%llx, the file "
				"has %zu bytes",
				(unsigned long long)(phoff + phnum * phentsize), len);
	uint32_t entry = rd32(buf + ELF_ENTRY), phys_entry = entry;
	bool entry_mapped = false;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + i * phentsize;
		uint32_t off = rd32(ph + ELF_P_OFFSET), vaddr = rd32(ph + ELF_P_VADDR);
		uint32_t paddr = rd32(ph + ELF_P_PADDR), filesz = rd32(ph + ELF_P_FILESZ);
		uint32_t memsz = rd32(ph + ELF_P_MEMSZ);
		if (rd32(ph + ELF_P_TYPE) != PT_LOAD || memsz == 0)
			continue;
		if (filesz > memsz)
			return rax_errf(err, RAX_STATUS_USAGE,
					"program header %u: p_filesz 0x%x exceeds "
					"p_memsz 0x%x",
					i, filesz, memsz);
		if ((uint64_t)off + filesz > len)
			return rax_errf(err, RAX_STATUS_USAGE,
					"truncated: segment %u needs file bytes up to "
					"0x%llx, the file has %zu",
					i, (unsigned long long)off + filesz, len);
		char what[40];
		snprintf(what, sizeof(what), "ELF segment %u", i);
		if (add_segment(img, off, paddr, filesz, memsz, ram_size, what, err) < 0)
			return -1;
		/* e_entry is virtual: take it to the physical copy of its segment */
		if (!entry_mapped && entry >= vaddr && entry - vaddr < memsz) {
			phys_entry = entry - vaddr + paddr;
			entry_mapped = true;
		}
	}
	if (img->nseg == 0)
		return rax_errf(err, RAX_STATUS_USAGE, "ELF image has no loadable (PT_LOAD) segment");
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct mb_segment *s = &img->seg[i];
		if (phys_entry >= s->paddr && phys_entry - s->paddr < s->filesz) {
			img->entry = phys_entry;
			return 0;
		}
	}
	return rax_errf(err, RAX_STATUS_USAGE, "entry point 0x%x lies outside the loaded segments", entry);
}

int multiboot_parse(const uint8_t *buf, size_t len, uint64_t ram_size, struct mb_image *img, struct rax_err *err)
{
	memset(img, 0, sizeof(*img));
	long first_magic;
	long off = multiboot_find_header(buf, len, &first_magic);
	if (off < 0) {
		if (first_magic >= 0)
			return rax_errf(err, RAX_STATUS_USAGE,
					"bad multiboot header checksum (magic at offset "
					"0x%lx)",
					first_magic);
		return rax_errf(err, RAX_STATUS_USAGE, "no multiboot header (magic 0x%08x) in the first 8 KiB",
				MB_HEADER_MAGIC);
	}
	img->header_off = (uint32_t)off;
	img->flags = rd32(buf + off + MBH_FLAGS);
	uint32_t unknown = img->flags & MB_REQUIRED_MASK & ~MB_SUPPORTED_REQUIRED;
	if (unknown & MB_FLAG_VIDEO)
		return rax_errf(err, RAX_STATUS_USAGE,
				"the kernel requires video mode information "
				"(multiboot flag bit 2): rax has no display");
	if (unknown)
		return rax_errf(err, RAX_STATUS_USAGE,
				"unsupported required multiboot flags 0x%04x (flags "
				"0x%08x)",
				unknown, img->flags);
	/* bit 16 wins over the executable's own headers, ELF included */
	if (img->flags & MB_FLAG_AOUT_KLUDGE)
		return parse_aout(buf, len, ram_size, img, err);
	return parse_elf(buf, len, ram_size, img, err);
}

/* Bump allocator over the boot information area. */
struct info_area {
	uint64_t next, end;
};

static uint64_t info_alloc(struct info_area *a, uint64_t size, uint64_t align)
{
	uint64_t at = align_up(a->next, align);
	if (at > a->end || size > a->end - at)
		return 0;
	a->next = at + size;
	return at;
}

static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
		(uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

/* GDT and TSS in guest memory, and the state the specification defines. */
static int entry_state(struct guest_mem *mem, uint32_t entry, uint32_t mbi, struct rax_cpu_state *st,
		       struct rax_err *err)
{
	/* access 0x9b/0x93: present, DPL 0, code RX / data RW, accessed; flags 0xc: G, D/B */
	const uint64_t gdt[] = {
		0, gdt_entry(0, 0xfffff, 0x9b, 0xc), gdt_entry(0, 0xfffff, 0x93, 0xc),
		gdt_entry((uint32_t)LAYOUT_MB_TSS, MB_TSS_SIZE - 1, 0x8b, 0), /* 32-bit TSS, busy */
	};
	uint8_t gbytes[sizeof(gdt)], tss[MB_TSS_SIZE];
	for (unsigned i = 0; i < sizeof(gdt) / 8; i++)
		wr64(gbytes + i * 8, gdt[i]);
	memset(tss, 0, sizeof(tss));
	tss[MB_TSS_IOMAP_BASE] = MB_TSS_SIZE; /* no I/O permission bitmap */
	if (guest_mem_write(mem, LAYOUT_MB_GDT, gbytes, sizeof(gbytes)) < 0 ||
	    guest_mem_write(mem, LAYOUT_MB_TSS, tss, sizeof(tss)) < 0)
		return rax_errf(err, RAX_STATUS_USAGE, "guest memory too small for the boot GDT");

	cpu_state_reset(st);
	struct rax_segment code = {
		.limit = 0xffffffff, .selector = MB_SEL_CODE, .type = 11, .s = 1, .present = 1, .db = 1, .g = 1
	};
	struct rax_segment data = code;
	data.selector = MB_SEL_DATA;
	data.type = 3;
	for (int i = 0; i < RAX_NSEG; i++)
		st->seg[i] = data;
	st->seg[RAX_SEG_CS] = code;
	st->tr = (struct rax_segment){
		.base = LAYOUT_MB_TSS, .limit = MB_TSS_SIZE - 1, .selector = MB_SEL_TSS, .type = 11, .present = 1
	};
	st->ldtr = (struct rax_segment){ .unusable = 1 };
	st->gdt = (struct rax_dtable){ .base = LAYOUT_MB_GDT, .limit = sizeof(gdt) - 1 };
	st->idt = (struct rax_dtable){ .base = 0, .limit = 0 };
	st->cr0 = CR0_PE | CR0_ET;
	st->cr4 = 0;
	st->efer = 0;
	st->rflags = RFLAGS_FIXED1;
	st->rip = entry;
	st->gpr[RAX_REG_RAX] = MB_BOOT_MAGIC;
	st->gpr[RAX_REG_RBX] = mbi;
	return 0;
}

int multiboot_setup(struct guest_mem *mem, const struct mb_image *img, const uint8_t *buf, const char *kernel_name,
		    const char *args, const struct mb_module *mods, unsigned nmod, struct rax_cpu_state *st,
		    struct rax_err *err)
{
	if (mem->size < LAYOUT_HIGH_MEM || img->hi > mem->size)
		return rax_errf(err, RAX_STATUS_USAGE, "the image ends at 0x%llx, beyond --mem %lluM",
				(unsigned long long)img->hi, MiB(mem->size));
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct mb_segment *s = &img->seg[i];
		uint8_t *p = guest_mem_ptr(mem, s->paddr, s->memsz);
		memcpy(p, buf + s->off, s->filesz);
		memset(p + s->filesz, 0, s->memsz - s->filesz);
	}

	/* The information area: structure, memory map, names, module table. */
	struct info_area a = { .next = LAYOUT_MB_INFO, .end = LAYOUT_MB_INFO_END };
	size_t klen = strlen(kernel_name), alen = strlen(args);
	uint64_t mbi = info_alloc(&a, MBI_SIZE, 8);
	uint64_t mmap = info_alloc(&a, 3 * MB_MMAP_ENTRY, 8);
	uint64_t name = info_alloc(&a, sizeof(MB_BOOT_LOADER_NAME), 1);
	uint64_t cmdline = info_alloc(&a, klen + 1 + alen + 1, 1);
	uint64_t table = info_alloc(&a, (uint64_t)nmod * MB_MOD_ENTRY, 16);
	bool full = !mbi || !mmap || !name || !cmdline || !table;
	for (unsigned i = 0; i < nmod && !full; i++) {
		uint64_t s = info_alloc(&a, strlen(mods[i].name) + 1, 1);
		full = !s || guest_mem_write(mem, s, mods[i].name, strlen(mods[i].name) + 1) < 0;
		uint8_t e[MB_MOD_ENTRY] = { 0 };
		wr32(e + 8, (uint32_t)s);
		if (!full)
			guest_mem_write(mem, table + i * MB_MOD_ENTRY, e, sizeof(e));
	}
	if (full || a.next > mem->size)
		return rax_errf(err, RAX_STATUS_USAGE,
				"the command line and %u module names do not fit in the %llu KiB boot "
				"information area at 0x%llx",
				nmod, KiB(LAYOUT_MB_INFO_END - LAYOUT_MB_INFO), (unsigned long long)LAYOUT_MB_INFO);

	/* Modules after the image, page-aligned when the kernel asks. */
	uint64_t align = (img->flags & MB_FLAG_PAGE_ALIGN) ? MB_MOD_ALIGN_PAGE : MB_MOD_ALIGN_PACKED;
	uint64_t at = align_up(img->hi, MB_MOD_ALIGN_PAGE);
	for (unsigned i = 0; i < nmod; i++) {
		at = align_up(at, align);
		uint8_t *p = guest_mem_ptr(mem, at, mods[i].len);
		if (!p || at + mods[i].len > UINT32_MAX)
			return rax_errf(err, RAX_STATUS_USAGE,
					"modules do not fit in RAM: module %u '%s' (%zu bytes) would end at "
					"0x%llx, --mem is %lluM",
					i + 1, mods[i].name, mods[i].len, (unsigned long long)(at + mods[i].len),
					MiB(mem->size));
		memcpy(p, mods[i].data, mods[i].len);
		uint8_t *e = guest_mem_ptr(mem, table + i * MB_MOD_ENTRY, 8);
		wr32(e, (uint32_t)at);
		wr32(e + 4, (uint32_t)(at + mods[i].len)); /* mod_end: exclusive */
		at += mods[i].len;
	}

	/* "kernel args", as GRUB passes it */
	char *cl = (char *)guest_mem_ptr(mem, cmdline, klen + 1 + alen + 1);
	memcpy(cl, kernel_name, klen);
	if (alen) {
		cl[klen] = ' ';
		memcpy(cl + klen + 1, args, alen + 1);
	} else {
		cl[klen] = 0;
	}
	guest_mem_write(mem, name, MB_BOOT_LOADER_NAME, sizeof(MB_BOOT_LOADER_NAME));

	/* Memory map: the e820 view of RAM, each entry led by its size. */
	const struct {
		uint64_t base, len;
		uint32_t type;
	} map[3] = {
		{ 0, LAYOUT_EBDA, MB_MMAP_RAM },
		{ LAYOUT_EBDA, LAYOUT_HIGH_MEM - LAYOUT_EBDA, MB_MMAP_RESERVED },
		{ LAYOUT_HIGH_MEM, mem->size - LAYOUT_HIGH_MEM, MB_MMAP_RAM },
	};
	uint8_t *m = guest_mem_ptr(mem, mmap, sizeof(map) / sizeof(map[0]) * MB_MMAP_ENTRY);
	for (unsigned i = 0; m && i < 3; i++, m += MB_MMAP_ENTRY) {
		wr32(m, MB_MMAP_ENTRY - 4);
		wr64(m + 4, map[i].base);
		wr64(m + 12, map[i].len);
		wr32(m + 20, map[i].type);
	}

	uint8_t *p = guest_mem_ptr(mem, mbi, MBI_SIZE);
	if (!p || !m)
		return rax_errf(err, RAX_STATUS_USAGE, "guest memory too small for the boot information");
	memset(p, 0, MBI_SIZE);
	wr32(p + MBI_FLAGS, MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MMAP | MBI_F_LOADER_NAME);
	wr32(p + MBI_MEM_LOWER, MB_MEM_LOWER_KIB);
	wr32(p + MBI_MEM_UPPER, (uint32_t)((mem->size - LAYOUT_HIGH_MEM) >> 10));
	wr32(p + MBI_CMDLINE, (uint32_t)cmdline);
	wr32(p + MBI_MODS_COUNT, nmod);
	wr32(p + MBI_MODS_ADDR, (uint32_t)table);
	wr32(p + MBI_MMAP_LENGTH, 3 * MB_MMAP_ENTRY);
	wr32(p + MBI_MMAP_ADDR, (uint32_t)mmap);
	wr32(p + MBI_BOOT_LOADER_NAME, (uint32_t)name);
	return entry_state(mem, img->entry, (uint32_t)mbi, st, err);
}

int multiboot_load(struct guest_mem *mem, const char *kernel_path, const char *const *module_paths, unsigned nmod,
		   const char *args, unsigned ncpus, struct rax_cpu_state *st, struct rax_err *err)
{
	uint8_t *kbuf = NULL;
	size_t klen = 0;
	int rc = -1;
	struct mb_module *mods = calloc(nmod ? nmod : 1, sizeof(*mods));
	struct mb_image *img = malloc(sizeof(*img));
	if (!mods || !img) {
		rax_errf(err, RAX_STATUS_HOST, "out of memory");
		goto out;
	}
	if (rax_input_read(kernel_path, &(struct rax_input_spec){ .what = "kernel", .max = mem->size }, &kbuf, &klen,
			   err) < 0)
		goto out;
	if (multiboot_parse(kbuf, klen, mem->size, img, err) < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		rax_errf(err, RAX_STATUS_USAGE, "multiboot kernel '%s': %s", kernel_path, msg);
		goto out;
	}
	for (unsigned i = 0; i < nmod; i++) {
		uint8_t *b;
		size_t n;
		/* an empty module is a module like any other */
		if (rax_input_read(module_paths[i],
				   &(struct rax_input_spec){ .what = "module", .max = mem->size, .empty_ok = true }, &b,
				   &n, err) < 0)
			goto out;
		mods[i] = (struct mb_module){ .name = module_paths[i], .data = b, .len = n };
	}
	rc = multiboot_setup(mem, img, kbuf, kernel_path, args, mods, nmod, st, err);
	if (rc == 0)
		rc = acpi_build(mem, ncpus, NULL, err);
out:
	for (unsigned i = 0; mods && i < nmod; i++)
		free((void *)mods[i].data);
	free(mods);
	free(img);
	free(kbuf);
	return rc;
}
