/* test_testimg.c - test-image header parsing: good images and each kind of bad one. */
#include <string.h>

#include "layout.h"
#include "loader/testimg.h"
#include "unit.h"
#include "vm.h"

static uint8_t img[4096];

static size_t make(unsigned nregs, unsigned nregions)
{
	memset(img, 0, sizeof(img));
	uint16_t hs = (uint16_t)(TESTIMG_FIXED_SIZE + nregs * TESTIMG_REG_SIZE + nregions * TESTIMG_REGION_SIZE);
	memcpy(img, "RAXT", 4);
	img[TESTIMG_OFF_VERSION] = 1;
	memcpy(img + TESTIMG_OFF_HDR_SIZE, &hs, 2);
	img[TESTIMG_OFF_MODE] = 64;
	img[TESTIMG_OFF_CPL] = 3;
	img[TESTIMG_OFF_NREGS] = (uint8_t)nregs;
	img[TESTIMG_OFF_NREGIONS] = (uint8_t)nregions;
	uint64_t entry = LAYOUT_TEST_LOAD + hs;
	memcpy(img + TESTIMG_OFF_ENTRY, &entry, 8);
	for (unsigned i = 0; i < nregs; i++)
		img[TESTIMG_FIXED_SIZE + i * TESTIMG_REG_SIZE] = (uint8_t)i;
	for (unsigned i = 0; i < nregions; i++) {
		uint8_t *r = img + TESTIMG_FIXED_SIZE + nregs * TESTIMG_REG_SIZE + i * TESTIMG_REGION_SIZE;
		uint64_t a = 0x1000000 + i * 0x200000, sz = 0x1000;
		memcpy(r, &a, 8);
		memcpy(r + 8, &sz, 8);
		r[16] = TESTIMG_R_WRITE;
	}
	img[hs] = 0xf4;
	return hs + 1u;
}

static int bad(size_t len, const char *want)
{
	struct testimg_info info;
	struct rax_err err = { 0 };
	int rc = testimg_parse(img, len, &info, &err);
	if (rc == 0 || !strstr(err.msg, want) || err.code != RAX_STATUS_USAGE) {
		fprintf(stderr, "expected error '%s', got rc %d '%s'\n", want, rc, err.msg);
		return 0;
	}
	return 1;
}

int main(void)
{
	struct testimg_info info;
	struct rax_err err = { 0 };
	size_t len = make(2, 1);
	CHECK(testimg_parse(img, len, &info, &err) == 0);
	CHECK(info.has_header);
	CHECK_EQ(info.cpl, 3);
	CHECK_EQ(info.nregs, 2);
	CHECK_EQ(info.nregions, 1);
	CHECK_EQ(info.load, LAYOUT_TEST_LOAD);
	CHECK_EQ(info.region[0].addr, 0x1000000);
	CHECK_EQ(info.end_mask, TESTIMG_END_ALL);

	/* headerless: defaults */
	uint8_t hlt[2] = { 0xfa, 0xf4 };
	CHECK(testimg_parse(hlt, 2, &info, &err) == 0);
	CHECK(!info.has_header);
	CHECK_EQ(info.entry, LAYOUT_TEST_LOAD);
	CHECK_EQ(info.cpl, 0);

	len = make(0, 0);
	CHECK(bad(0, "empty"));
	CHECK(bad(20, "truncated"));
	img[TESTIMG_OFF_VERSION] = 2;
	CHECK(bad(len, "version 2"));
	len = make(0, 0);
	img[TESTIMG_OFF_MODE] = 16;
	CHECK(bad(len, "16-bit mode"));
	img[TESTIMG_OFF_MODE] = 99;
	CHECK(bad(len, "invalid CPU mode"));
	len = make(0, 0);
	img[TESTIMG_OFF_CPL] = 1;
	CHECK(bad(len, "privilege level 1"));
	len = make(0, 0);
	img[TESTIMG_OFF_HDR_SIZE] = 57;
	CHECK(bad(len, "header size 57"));
	len = make(3, 0);
	CHECK(bad(60, "truncated"));
	len = make(1, 0);
	img[TESTIMG_FIXED_SIZE] = 30;
	CHECK(bad(len, "register 30"));
	len = make(1, 0);
	img[TESTIMG_FIXED_SIZE] = TESTIMG_REG_RFLAGS;
	img[TESTIMG_FIXED_SIZE + 10] = 0x02; /* bit 17: VM */
	CHECK(bad(len, "impossible initial RFLAGS"));
	len = make(1, 0);
	img[TESTIMG_FIXED_SIZE + 3] = 1;
	CHECK(bad(len, "padding"));
	len = make(0, 1);
	img[TESTIMG_FIXED_SIZE + 16] = 0x40;
	CHECK(bad(len, "unknown flags"));
	len = make(0, 1);
	memset(img + TESTIMG_FIXED_SIZE, 0, 8); /* region at 0 */
	CHECK(bad(len, "system area"));
	len = make(0, 0);
	uint64_t v = 0x10;
	memcpy(img + TESTIMG_OFF_ENTRY, &v, 8);
	CHECK(bad(len, "entry point"));
	len = make(0, 0);
	v = 0x700000;
	memcpy(img + TESTIMG_OFF_LOAD, &v, 8);
	v = 0x700000 + TESTIMG_FIXED_SIZE;
	memcpy(img + TESTIMG_OFF_ENTRY, &v, 8);
	CHECK(bad(len, "default stack"));
	len = make(0, 0);
	v = 0x123457;
	memcpy(img + TESTIMG_OFF_STACK, &v, 8);
	CHECK(bad(len, "stack_top"));
	len = make(0, 0);
	v = LAYOUT_TEST_LOAD + 4;
	memcpy(img + TESTIMG_OFF_CATCH, &v, 8);
	CHECK(bad(len, "catch block"));
	len = make(0, 0);
	img[TESTIMG_OFF_END] = 0x10;
	CHECK(bad(len, "end flags"));

	/* fuzz: every truncation and single-byte corruption parses or fails cleanly */
	len = make(2, 2);
	for (size_t n = 0; n <= len; n++)
		testimg_parse(img, n, &info, &err);
	uint32_t x = 12345;
	for (int i = 0; i < 20000; i++) {
		len = make(2, 2);
		x = x * 1103515245u + 12345u;
		img[(x >> 8) % len] = (uint8_t)(x >> 20);
		x = x * 1103515245u + 12345u;
		img[(x >> 8) % len] ^= (uint8_t)(1u << ((x >> 4) & 7));
		if (testimg_parse(img, len, &info, &err) == 0) {
			CHECK(info.entry >= info.load && info.entry < info.load + len);
			CHECK(info.load >= LAYOUT_TEST_SYS_END);
		}
	}

	/* load into real guest memory */
	struct guest_mem mem;
	CHECK(guest_mem_init(&mem, 32ull << 20, &err) == 0);
	struct rax_cpu_state st;
	len = make(2, 1);
	CHECK(testimg_load_buf(&mem, img, len, &st, &info, &err) == 0);
	CHECK_EQ(st.rip, info.entry);
	CHECK_EQ(st.seg[RAX_SEG_CS].selector, TESTIMG_SEL_CODE3);
	CHECK_EQ(cpu_state_cpl(&st), 3);
	CHECK_EQ(st.cr3, LAYOUT_TEST_PML4);
	CHECK_EQ(mem.host[LAYOUT_TEST_LOAD], 'R');
	uint64_t pde;
	memcpy(&pde, mem.host + LAYOUT_TEST_PD + (LAYOUT_TEST_LOAD >> 21) * 8, 8);
	CHECK_EQ(pde & 0x87, 0x87); /* P RW US PS */
	guest_mem_free(&mem);
	return unit_finish("test_testimg");
}
