/* bzimage.c - bzImage validation, placement, zero page and e820 map. */
#include "bzimage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input_file.h"
#include "layout.h"
#include "loader/acpi.h"
#include "loader/boot64.h"
#include "le.h"
#include "vm.h"

#define MiB(x) ((unsigned long long)(x) >> 20)


int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *info, struct rax_err *err)
{
	memset(info, 0, sizeof(*info));
	if (len < BZ_HEADER + 4 || rd16(buf + BZ_BOOT_FLAG) != 0xaa55 || memcmp(buf + BZ_HEADER, "HdrS", 4) != 0)
		return rax_errf(err, RAX_STATUS_USAGE,
				len < BZ_HEADER + 4 ? "file is too short to be a bzImage (%zu bytes)"
						    : "not a bzImage: no 'HdrS' setup header (%zu bytes)",
				len);
	if (len < BZ_VERSION + 2)
		return rax_errf(err, RAX_STATUS_USAGE, "truncated bzImage: setup header cut at %zu bytes", len);
	info->version = rd16(buf + BZ_VERSION);
	if (info->version < BZ_MIN_VERSION)
		return rax_errf(err, RAX_STATUS_USAGE,
				"boot protocol %u.%02u is too old: the 64-bit entry needs 2.12 or later",
				info->version >> 8, info->version & 0xff);
	if (len < BZ_HEADER_END)
		return rax_errf(err, RAX_STATUS_USAGE, "truncated bzImage: setup header cut at %zu bytes", len);
	if (!(buf[BZ_LOADFLAGS] & BZ_LOADED_HIGH))
		return rax_errf(err, RAX_STATUS_USAGE, "not a bzImage: zImage (low-loaded) kernels are not supported");
	if (!(rd16(buf + BZ_XLOADFLAGS) & BZ_XLF_KERNEL_64))
		return rax_errf(err, RAX_STATUS_USAGE, "kernel has no 64-bit entry point (XLF_KERNEL_64 clear)");
	unsigned sects = buf[BZ_SETUP_SECTS] ? buf[BZ_SETUP_SECTS] : 4;
	info->setup_size = (sects + 1) * 512;
	/* syssize counts 16-byte paragraphs, rounded up */
	uint64_t syssize = (uint64_t)rd32(buf + BZ_SYSSIZE) * 16;
	if (len <= info->setup_size || len - info->setup_size + 15 < syssize)
		return rax_errf(err, RAX_STATUS_USAGE, "truncated bzImage: %zu bytes, header promises %llu", len,
				(unsigned long long)(info->setup_size + syssize));
	info->kernel_size = (uint32_t)(len - info->setup_size);
	info->init_size = rd32(buf + BZ_INIT_SIZE);
	info->pref_address = rd64(buf + BZ_PREF_ADDRESS);
	info->initrd_addr_max = rd32(buf + BZ_INITRD_ADDR_MAX);
	info->cmdline_size = rd32(buf + BZ_CMDLINE_SIZE);
	info->header_end = BZ_HEADER_END;
	unsigned hdr_end = BZ_JUMP + 2 + buf[BZ_JUMP + 1]; /* the jump skips the header */
	if (hdr_end > info->header_end && hdr_end <= 0x1000 && hdr_end <= len)
		info->header_end = hdr_end;
	return 0;
}

static void e820_add(uint8_t *zp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = zp[ZP_E820_ENTRIES];
	uint8_t *e = zp + ZP_E820_TABLE + n * 20;
	wr64(e, addr);
	wr64(e + 8, size);
	wr32(e + 16, type);
	zp[ZP_E820_ENTRIES] = (uint8_t)(n + 1);
}

/* Highest 4 KiB-aligned address in [lo, hi) that holds size bytes, or 0. */
static uint64_t place_initrd(uint64_t lo, uint64_t hi, uint64_t size)
{
	if (hi < size || hi - size < lo)
		return 0;
	uint64_t want = LAYOUT_INITRD;
	if (want >= lo && want + size <= hi)
		return want;
	return (hi - size) & ~0xfffull;
}

int bzimage_load(struct guest_mem *mem, const char *kernel_path, const char *initrd_path, const char *cmdline,
		 unsigned ncpus, struct rax_cpu_state *st, struct rax_err *err)
{
	uint8_t *kbuf = NULL, *ibuf = NULL;
	size_t klen = 0, ilen = 0;
	int rc = -1;
	struct bzimage_info bi;

	if (rax_input_read(kernel_path, &(struct rax_input_spec){ .what = "kernel", .max = mem->size }, &kbuf, &klen,
			   err) < 0)
		return -1;
	if (bzimage_parse(kbuf, klen, &bi, err) < 0) {
		/* name the file in the message */
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		rax_errf(err, RAX_STATUS_USAGE, "kernel '%s': %s", kernel_path, msg);
		goto out;
	}
	if (initrd_path &&
	    rax_input_read(initrd_path, &(struct rax_input_spec){ .what = "initrd", .max = mem->size }, &ibuf, &ilen,
			   err) < 0)
		goto out;

	/* The decompressor runs at max(load address, pref_address) for init_size
	 * bytes (a pref_address near 2^64 saturates instead of wrapping past the check). */
	uint64_t run_at = bi.pref_address > LAYOUT_KERNEL ? bi.pref_address : LAYOUT_KERNEL;
	uint64_t span = bi.init_size > bi.kernel_size ? bi.init_size : bi.kernel_size;
	uint64_t kernel_end = LAYOUT_KERNEL + bi.kernel_size;
	uint64_t need = run_at > UINT64_MAX - span ? UINT64_MAX : run_at + span;
	if (kernel_end > need)
		need = kernel_end;
	if (need > mem->size) {
		rax_errf(err, RAX_STATUS_USAGE, "kernel needs %lluM of RAM but --mem is %lluM",
			 MiB(need) + ((need & ((1 << 20) - 1)) != 0), MiB(mem->size));
		goto out;
	}
	size_t cmdlen = strlen(cmdline);
	uint64_t cmdmax = bi.cmdline_size ? bi.cmdline_size : 255;
	if (cmdlen > cmdmax || cmdlen >= LAYOUT_CMDLINE_MAX) {
		rax_errf(err, RAX_STATUS_USAGE, "command line is %zu bytes, the kernel accepts at most %llu", cmdlen,
			 (unsigned long long)cmdmax);
		goto out;
	}

	memcpy(guest_mem_ptr(mem, LAYOUT_KERNEL, bi.kernel_size), kbuf + bi.setup_size, bi.kernel_size);
	guest_mem_write(mem, LAYOUT_CMDLINE, cmdline, cmdlen + 1);

	uint8_t *zp = guest_mem_ptr(mem, LAYOUT_ZERO_PAGE, 4096);
	memset(zp, 0, 4096);
	memcpy(zp + BZ_SETUP_SECTS, kbuf + BZ_SETUP_SECTS, bi.header_end - BZ_SETUP_SECTS);
	zp[BZ_TYPE_OF_LOADER] = 0xff; /* undefined boot loader */
	zp[BZ_LOADFLAGS] |= BZ_CAN_USE_HEAP;
	wr16(zp + BZ_HEAP_END_PTR, 0xfe00);
	wr32(zp + BZ_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE);

	if (ibuf) {
		uint64_t limit = mem->size;
		if (bi.initrd_addr_max && (uint64_t)bi.initrd_addr_max + 1 < limit)
			limit = (uint64_t)bi.initrd_addr_max + 1;
		uint64_t at = place_initrd(need, limit, ilen);
		if (!at) {
			rax_errf(err, RAX_STATUS_USAGE, "kernel (%lluM) plus initrd (%lluM) do not fit in --mem %lluM",
				 MiB(need), MiB(ilen + (1 << 20) - 1), MiB(mem->size));
			goto out;
		}
		memcpy(guest_mem_ptr(mem, at, ilen), ibuf, ilen);
		wr32(zp + BZ_RAMDISK_IMAGE, (uint32_t)at);
		wr32(zp + BZ_RAMDISK_SIZE, (uint32_t)ilen);
		wr32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(at >> 32));
		wr32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)ilen >> 32));
	}

	e820_add(zp, 0, LAYOUT_EBDA, E820_RAM);
	e820_add(zp, LAYOUT_EBDA, LAYOUT_HIGH_MEM - LAYOUT_EBDA, E820_RESERVED);
	e820_add(zp, LAYOUT_HIGH_MEM, mem->size - LAYOUT_HIGH_MEM, E820_RAM);

	/* ACPI tables in the reserved BIOS area */
	struct acpi_tables acpi;
	if (acpi_build(mem, ncpus, &acpi, err) < 0)
		goto out;
	if (bi.version >= BZ_RSDP_VERSION)
		wr64(zp + ZP_ACPI_RSDP_ADDR, acpi.rsdp);

	if (boot64_setup(mem, st, LAYOUT_KERNEL + BZ_ENTRY64_OFFSET, err) < 0)
		goto out;
	st->gpr[RAX_REG_RSI] = LAYOUT_ZERO_PAGE;
	rc = 0;
out:
	free(kbuf);
	free(ibuf);
	return rc;
}
