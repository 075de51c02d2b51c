/* test_loader.c - bzImage setup-header validation and placement. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "loader/bzimage.h"
#include "unit.h"
#include "vm.h"

#define SETUP_SECTS 1
#define KSIZE 4096

/* A well-formed image: 2 setup sectors then KSIZE bytes of kernel. */
static size_t make_image(uint8_t *b, uint16_t version, uint16_t xlf, uint32_t init_size)
{
	size_t len = (SETUP_SECTS + 1) * 512 + KSIZE;
	memset(b, 0, len);
	b[BZ_SETUP_SECTS] = SETUP_SECTS;
	uint32_t sys = KSIZE / 16;
	memcpy(b + BZ_SYSSIZE, &sys, 4);
	b[BZ_BOOT_FLAG] = 0x55;
	b[BZ_BOOT_FLAG + 1] = 0xaa;
	b[BZ_JUMP] = 0xeb;
	b[BZ_JUMP + 1] = 0x66;
	memcpy(b + BZ_HEADER, "HdrS", 4);
	memcpy(b + BZ_VERSION, &version, 2);
	b[BZ_LOADFLAGS] = BZ_LOADED_HIGH;
	uint32_t amax = 0x7fffffff, cmdsz = 2047;
	memcpy(b + BZ_INITRD_ADDR_MAX, &amax, 4);
	memcpy(b + BZ_XLOADFLAGS, &xlf, 2);
	memcpy(b + BZ_CMDLINE_SIZE, &cmdsz, 4);
	uint64_t pref = 0x100000;
	memcpy(b + BZ_PREF_ADDRESS, &pref, 8);
	memcpy(b + BZ_INIT_SIZE, &init_size, 4);
	b[(SETUP_SECTS + 1) * 512] = 0xab; /* first kernel byte */
	return len;
}

static int parse(const uint8_t *b, size_t len, struct rax_err *err)
{
	struct bzimage_info bi;
	memset(err, 0, sizeof(*err));
	return bzimage_parse(b, len, &bi, err);
}

static void test_parse(void)
{
	static uint8_t b[8192];
	struct rax_err err;
	struct bzimage_info bi;
	size_t len = make_image(b, 0x020f, BZ_XLF_KERNEL_64, 0x10000);
	CHECK(bzimage_parse(b, len, &bi, &err) == 0);
	CHECK_EQ(bi.setup_size, 1024);
	CHECK_EQ(bi.kernel_size, KSIZE);
	CHECK_EQ(bi.version, 0x020f);
	CHECK_EQ(bi.init_size, 0x10000);

	CHECK(parse(b, 100, &err) < 0 && strstr(err.msg, "too short"));
	b[BZ_HEADER] = 'X';
	CHECK(parse(b, len, &err) < 0 && strstr(err.msg, "HdrS"));
	make_image(b, 0x020f, BZ_XLF_KERNEL_64, 0x10000);
	b[BZ_BOOT_FLAG] = 0;
	CHECK(parse(b, len, &err) < 0 && strstr(err.msg, "not a bzImage"));

	make_image(b, 0x020a, BZ_XLF_KERNEL_64, 0x10000);
	CHECK(parse(b, len, &err) < 0 && strstr(err.msg, "too old") && strstr(err.msg, "2.10"));
	CHECK_EQ(err.code, RAX_STATUS_USAGE);

	make_image(b, 0x020f, 0, 0x10000);
	CHECK(parse(b, len, &err) < 0 && strstr(err.msg, "64-bit entry"));

	make_image(b, 0x020f, BZ_XLF_KERNEL_64, 0x10000);
	CHECK(parse(b, len - 1024, &err) < 0 && strstr(err.msg, "truncated"));
	CHECK(parse(b, 0x240, &err) < 0 && strstr(err.msg, "truncated"));
	CHECK(parse(b, 1024, &err) < 0 && strstr(err.msg, "truncated"));

	make_image(b, 0x020f, BZ_XLF_KERNEL_64, 0x10000);
	b[BZ_LOADFLAGS] = 0;
	CHECK(parse(b, len, &err) < 0 && strstr(err.msg, "zImage"));
}

static const char *write_tmp(const void *buf, size_t len)
{
	static char path[64];
	strcpy(path, "/tmp/rax-test-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}
static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void test_load(void)
{
	static uint8_t b[8192];
	size_t len = make_image(b, 0x020f, BZ_XLF_KERNEL_64, 0x10000);
	char kpath[64], ipath[64];
	strcpy(kpath, write_tmp(b, len));
	static uint8_t initrd[10000];
	memset(initrd, 0x5a, sizeof(initrd));
	strcpy(ipath, write_tmp(initrd, sizeof(initrd)));

	struct guest_mem m;
	struct rax_err err = { 0 };
	CHECK(guest_mem_init(&m, 128 << 20, &err) == 0);
	struct rax_cpu_state st;
	CHECK(bzimage_load(&m, kpath, ipath, "console=ttyS0 hello", 1, &st, &err) == 0);
	CHECK_EQ(st.rip, LAYOUT_KERNEL + 0x200);
	CHECK_EQ(st.gpr[RAX_REG_RSI], LAYOUT_ZERO_PAGE);
	CHECK(st.efer & EFER_LMA);
	CHECK(st.cr0 & CR0_PG);
	CHECK_EQ(st.cr3, LAYOUT_PML4);
	CHECK(st.seg[RAX_SEG_CS].l == 1 && st.seg[RAX_SEG_CS].selector == 0x10);
	CHECK_EQ(m.host[LAYOUT_KERNEL], 0xab);
	const uint8_t *zp = m.host + LAYOUT_ZERO_PAGE;
	CHECK(memcmp(zp + BZ_HEADER, "HdrS", 4) == 0);
	CHECK_EQ(zp[BZ_TYPE_OF_LOADER], 0xff);
	CHECK_EQ(rd32(zp + BZ_CMD_LINE_PTR), LAYOUT_CMDLINE);
	CHECK(strcmp((char *)m.host + LAYOUT_CMDLINE, "console=ttyS0 hello") == 0);
	CHECK_EQ(rd32(zp + BZ_RAMDISK_IMAGE), LAYOUT_INITRD);
	CHECK_EQ(rd32(zp + BZ_RAMDISK_SIZE), sizeof(initrd));
	CHECK_EQ(m.host[LAYOUT_INITRD + 9999], 0x5a);
	/* e820: low RAM, reserved hole, high RAM up to the end */
	CHECK_EQ(zp[ZP_E820_ENTRIES], 3);
	CHECK_EQ(rd64(zp + ZP_E820_TABLE + 40), LAYOUT_HIGH_MEM);
	CHECK_EQ(rd64(zp + ZP_E820_TABLE + 48), (128 << 20) - LAYOUT_HIGH_MEM);
	CHECK_EQ(rd32(zp + ZP_E820_TABLE + 36), E820_RESERVED);
	/* identity map: PD entry 1 maps 2 MiB */
	CHECK_EQ(rd64(m.host + LAYOUT_PD + 8) & ~0xfffull, 2 << 20);
	/* ACPI tables in the reserved BIOS area; protocol 2.15 gets acpi_rsdp_addr */
	CHECK(memcmp(m.host + LAYOUT_ACPI, "RSD PTR ", 8) == 0);
	CHECK_EQ(rd64(zp + ZP_ACPI_RSDP_ADDR), LAYOUT_ACPI);
	CHECK(LAYOUT_ACPI >= rd64(zp + ZP_E820_TABLE + 20) && LAYOUT_ACPI_END <= LAYOUT_HIGH_MEM);
	guest_mem_free(&m);

	/* protocol 2.12: the tables, found by the BIOS-area scan only */
	len = make_image(b, 0x020c, BZ_XLF_KERNEL_64, 0x10000);
	unlink(kpath);
	strcpy(kpath, write_tmp(b, len));
	CHECK(guest_mem_init(&m, 32 << 20, &err) == 0);
	CHECK(bzimage_load(&m, kpath, NULL, "", 1, &st, &err) == 0);
	CHECK(memcmp(m.host + LAYOUT_ACPI, "RSD PTR ", 8) == 0);
	CHECK_EQ(rd64(m.host + LAYOUT_ZERO_PAGE + ZP_ACPI_RSDP_ADDR), 0);
	guest_mem_free(&m);
	len = make_image(b, 0x020f, BZ_XLF_KERNEL_64, 0x10000);
	unlink(kpath);
	strcpy(kpath, write_tmp(b, len));

	/* initrd does not fit at 64 MiB in 32 MiB of RAM: placed lower */
	CHECK(guest_mem_init(&m, 32 << 20, &err) == 0);
	CHECK(bzimage_load(&m, kpath, ipath, "", 1, &st, &err) == 0);
	uint32_t at = rd32(m.host + LAYOUT_ZERO_PAGE + BZ_RAMDISK_IMAGE);
	CHECK(at < (32 << 20) && at + sizeof(initrd) <= (32 << 20) && at >= 0x110000 && !(at & 0xfff));
	guest_mem_free(&m);

	/* kernel needing more than RAM */
	len = make_image(b, 0x020f, BZ_XLF_KERNEL_64, 40 << 20);
	strcpy(kpath, write_tmp(b, len));
	CHECK(guest_mem_init(&m, 32 << 20, &err) == 0);
	CHECK(bzimage_load(&m, kpath, NULL, "", 1, &st, &err) < 0 && strstr(err.msg, "--mem"));
	/* missing file */
	CHECK(bzimage_load(&m, "/nonexistent/k", NULL, "", 1, &st, &err) < 0 && strstr(err.msg, "No such file"));
	/* command line longer than cmdline_size */
	len = make_image(b, 0x020f, BZ_XLF_KERNEL_64, 0x10000);
	unlink(kpath);
	strcpy(kpath, write_tmp(b, len));
	static char longcmd[3000];
	memset(longcmd, 'a', sizeof(longcmd) - 1);
	CHECK(bzimage_load(&m, kpath, NULL, longcmd, 1, &st, &err) < 0 && strstr(err.msg, "command line"));
	guest_mem_free(&m);
	unlink(kpath);
	unlink(ipath);
}

int main(void)
{
	test_parse();
	test_load();
	return unit_finish("test_loader");
}
