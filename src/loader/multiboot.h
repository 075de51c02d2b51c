/*
 * multiboot.h - Multiboot (version 1, spec 0.6.96) kernel loader.
 *
 * multiboot_find_header() and multiboot_parse() work on a byte buffer and
 * touch no guest state (unit-tested on crafted images); multiboot_setup()
 * copies a parsed image and its modules into guest RAM, builds the
 * multiboot information structure and returns the 32-bit entry state;
 * multiboot_load() does all of it from files. Guest addresses: layout.h.
 */
#ifndef RAX_MULTIBOOT_H
#define RAX_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_state.h"
#include "err.h"
#include "guest_mem.h"

/* The OS image header */
#define MB_HEADER_MAGIC 0x1badb002u
#define MB_SEARCH_LEN 8192             /* the header lies wholly in the first 8 KiB */
#define MB_HEADER_MIN 12               /* magic, flags, checksum */
#define MB_HEADER_AOUT_LEN 32          /* ... header_addr .. entry_addr */
#define MB_FLAG_PAGE_ALIGN (1u << 0)   /* modules on 4 KiB boundaries */
#define MB_FLAG_MEMINFO (1u << 1)      /* mem_* (and mmap_*) wanted */
#define MB_FLAG_VIDEO (1u << 2)        /* video mode table wanted: refused */
#define MB_FLAG_AOUT_KLUDGE (1u << 16) /* load from the header's address fields */
#define MB_REQUIRED_MASK 0xffffu       /* bits 0-15: requirements */
#define MB_SUPPORTED_REQUIRED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO)

/* What the boot loader passes in EAX. */
#define MB_BOOT_MAGIC 0x2badb002u

/* Multiboot information structure: byte offsets and flags we fill. */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_BOOT_DEVICE 12
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_BOOT_LOADER_NAME 64
#define MBI_SIZE 120 /* through the framebuffer fields, zeroed */
#define MBI_F_MEM (1u << 0)
#define MBI_F_CMDLINE (1u << 2)
#define MBI_F_MODS (1u << 3)
#define MBI_F_MMAP (1u << 6)
#define MBI_F_LOADER_NAME (1u << 9)
/* A module table entry: mod_start, mod_end (exclusive), string, reserved. */
#define MB_MOD_ENTRY 16
/* A memory map entry: size (of the rest, 20), base_addr, length, type. */
#define MB_MMAP_ENTRY 24
#define MB_MMAP_RAM 1
#define MB_MMAP_RESERVED 2
#define MB_BOOT_LOADER_NAME "rax"

/* Selectors of the entry GDT (LAYOUT_MB_GDT). */
#define MB_SEL_CODE 0x08
#define MB_SEL_DATA 0x10
#define MB_SEL_TSS 0x18

#define MB_MAX_SEGMENTS 32

/* One piece of the image: file bytes [off, off+filesz) to paddr, then
 * zeroes up to memsz (the bss). */
struct mb_segment {
	uint32_t off, paddr, filesz, memsz;
};

struct mb_image {
	uint32_t header_off; /* file offset of the multiboot header */
	uint32_t flags;      /* the header's flags */
	bool aout;           /* loaded through the a.out kludge (else ELF32) */
	uint32_t entry;      /* physical entry point */
	unsigned nseg;
	struct mb_segment seg[MB_MAX_SEGMENTS];
	uint64_t lo, hi; /* physical extent of all segments, bss included */
};

/* A boot module: its bytes and the string the kernel sees for it. */
struct mb_module {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/*
 * Offset of the first valid multiboot header (magic and checksum, 32-bit
 * aligned, within the first 8 KiB), or -1. *first_magic (may be NULL) gets
 * the offset of the first magic number seen, valid or not, or -1: a file
 * with the magic but no valid checksum is a multiboot image gone bad.
 */
long multiboot_find_header(const uint8_t *buf, size_t len, long *first_magic);

/* Validate the header and the executable format against RAM of ram_size bytes. */
int multiboot_parse(const uint8_t *buf, size_t len, uint64_t ram_size, struct mb_image *img, struct rax_err *err);

/*
 * Copy the parsed image (from buf) and the modules into guest RAM, build
 * the information structure with the command line "kernel_name args" (just
 * kernel_name when args is empty), and fill the 32-bit entry state.
 */
int multiboot_setup(struct guest_mem *mem, const struct mb_image *img, const uint8_t *buf, const char *kernel_name,
		    const char *args, const struct mb_module *mods, unsigned nmod, struct rax_cpu_state *st,
		    struct rax_err *err);

/* All of the above from files: the kernel and one module per path; and
 * the ACPI tables of a machine with ncpus CPUs (src/loader/acpi.h), where
 * a multiboot kernel finds them as on a PC: the RSDP in the BIOS area. */
int multiboot_load(struct guest_mem *mem, const char *kernel_path, const char *const *module_paths, unsigned nmod,
		   const char *args, unsigned ncpus, struct rax_cpu_state *st, struct rax_err *err);

#endif
