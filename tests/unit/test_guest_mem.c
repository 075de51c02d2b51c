/* test_guest_mem.c - guest RAM bounds, size parsing, the device bus. */
#include <string.h>

#include "bus.h"
#include "guest_mem.h"
#include "unit.h"
#include "vm.h"

static uint64_t last_write;
static uint64_t dev_read(void *o, uint64_t off, unsigned size) { return 0x1234 + off; }
static void dev_write(void *o, uint64_t off, unsigned size, uint64_t v) { last_write = v; }

int main(void)
{
	struct guest_mem m;
	struct rax_err err = { 0 };
	CHECK(guest_mem_init(&m, 16 << 20, &err) == 0);
	uint8_t buf[16] = { 1, 2, 3 };
	CHECK(guest_mem_write(&m, 0, buf, 3) == 0);
	CHECK(guest_mem_write(&m, (16 << 20) - 3, buf, 3) == 0);
	CHECK(guest_mem_write(&m, (16 << 20) - 2, buf, 3) < 0);
	CHECK(guest_mem_read(&m, 16 << 20, buf, 1) < 0);
	CHECK(guest_mem_read(&m, ~0ull - 1, buf, 4) < 0); /* wrap-around */
	CHECK(guest_mem_ptr(&m, 1, ~0ull) == NULL);
	CHECK(guest_mem_ptr(&m, 16 << 20, 0) != NULL); /* empty range at the end */
	CHECK(guest_mem_ptr(&m, 5, 10) == m.host + 5);
	/* zeroing: unaligned ends cleared, whole pages between given back (zero), the bytes around kept */
	memset(m.host, 0x5a, 5 * 4096);
	guest_mem_zero(&m, 100, 3 * 4096);
	size_t nz = 0;
	for (size_t i = 0; i < 5 * 4096; i++)
		nz += m.host[i] != 0;
	CHECK_EQ(nz, 2 * 4096 - 100 + 100);
	CHECK(m.host[99] == 0x5a && m.host[100] == 0 && m.host[100 + 3 * 4096 - 1] == 0 &&
	      m.host[100 + 3 * 4096] == 0x5a);
	memset(m.host, 0x5a, 5 * 4096);
	guest_mem_zero(&m, 8191, 2); /* across two pages, neither whole */
	CHECK(m.host[8190] == 0x5a && m.host[8191] == 0 && m.host[8192] == 0 && m.host[8193] == 0x5a);
	guest_mem_free(&m);

	CHECK(guest_mem_init(&m, 1 << 20, &err) < 0 && err.code == RAX_STATUS_USAGE);
	CHECK(guest_mem_init(&m, 64ull << 30, &err) < 0 && strstr(err.msg, "out of range"));
	CHECK(guest_mem_init(&m, (16 << 20) + 1, &err) < 0);

	struct bus b;
	memset(&b, 0, sizeof(b));
	struct bus_device d = {
		.name = "t", .space = BUS_PIO, .base = 0x100, .len = 4, .read = dev_read, .write = dev_write
	};
	CHECK(bus_register(&b, &d) == 0);
	CHECK(bus_register(&b, &d) < 0); /* overlap */
	CHECK_EQ(bus_read(&b, BUS_PIO, 0x102, 2), 0x1236);
	CHECK_EQ(bus_read(&b, BUS_PIO, 0x102, 1), 0x36);
	CHECK_EQ(bus_read(&b, BUS_PIO, 0x80, 1), 0xff); /* unclaimed: all ones */
	CHECK_EQ(bus_read(&b, BUS_PIO, 0x80, 4), 0xffffffff);
	CHECK_EQ(bus_read(&b, BUS_MMIO, 0x100, 1), 0xff); /* other space */
	bus_write(&b, BUS_PIO, 0x103, 1, 0x1ff);
	CHECK_EQ(last_write, 0xff);
	bus_write(&b, BUS_PIO, 0x200, 1, 1); /* harmless */
	return unit_finish("test_guest_mem");
}
