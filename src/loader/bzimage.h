/*
 * bzimage.h - Linux bzImage loader (64-bit boot protocol, no firmware).
 *
 * bzimage_parse() validates a setup header from a byte buffer (pure, so it
 * is unit-tested on crafted headers); bzimage_load() places kernel, initrd,
 * command line and zero page in guest RAM and returns the entry state.
 */
#ifndef RAX_BZIMAGE_H
#define RAX_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_state.h"
#include "err.h"
#include "guest_mem.h"

/* Setup-header offsets (Documentation/arch/x86/boot.rst) */
#define BZ_SETUP_SECTS 0x1f1
#define BZ_SYSSIZE 0x1f4
#define BZ_BOOT_FLAG 0x1fe
#define BZ_JUMP 0x200
#define BZ_HEADER 0x202
#define BZ_VERSION 0x206
#define BZ_TYPE_OF_LOADER 0x210
#define BZ_LOADFLAGS 0x211
#define BZ_RAMDISK_IMAGE 0x218
#define BZ_RAMDISK_SIZE 0x21c
#define BZ_HEAP_END_PTR 0x224
#define BZ_CMD_LINE_PTR 0x228
#define BZ_INITRD_ADDR_MAX 0x22c
#define BZ_KERNEL_ALIGNMENT 0x230
#define BZ_RELOCATABLE 0x234
#define BZ_XLOADFLAGS 0x236
#define BZ_CMDLINE_SIZE 0x238
#define BZ_PREF_ADDRESS 0x258
#define BZ_INIT_SIZE 0x260
#define BZ_HEADER_END 0x268 /* bytes needed to read every field above */
/* boot_params (zero page) fields outside the setup header */
#define ZP_ACPI_RSDP_ADDR 0x070 /* read by kernels of boot protocol 2.14+ */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0
#define E820_RAM 1
#define E820_RESERVED 2

#define BZ_MIN_VERSION 0x020c  /* 2.12: xloadflags, XLF_KERNEL_64 */
#define BZ_RSDP_VERSION 0x020e /* 2.14: boot_params.acpi_rsdp_addr */
#define BZ_LOADED_HIGH 0x01
#define BZ_CAN_USE_HEAP 0x80
#define BZ_XLF_KERNEL_64 0x01
#define BZ_ENTRY64_OFFSET 0x200

struct bzimage_info {
	uint16_t version;
	uint32_t setup_size;  /* bytes of real-mode setup, boot sector included */
	uint32_t kernel_size; /* bytes of protected-mode kernel in the file */
	uint32_t init_size;   /* memory the kernel needs from its load address */
	uint64_t pref_address;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	unsigned header_end; /* end of the setup header in the file */
};

int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *info, struct rax_err *err);

/* Load kernel (and initrd when not NULL) with cmdline and the ACPI tables
 * of a machine with ncpus CPUs; fills *st (the BSP's state). */
int bzimage_load(struct guest_mem *mem, const char *kernel_path, const char *initrd_path, const char *cmdline,
		 unsigned ncpus, struct rax_cpu_state *st, struct rax_err *err);

/* Default kernel command line: serial console on COM1. */
#define BZ_DEFAULT_CMDLINE "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 reboot=k"

#endif
