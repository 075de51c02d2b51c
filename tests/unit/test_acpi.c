/*
 * test_acpi.c - the ACPI tables (src/loader/acpi.c) read back from guest
 * memory the way an OS finds them, and the PM1 registers (acpi_pm.c).
 *
 * The reader here is independent of the builder: it scans the BIOS area
 * for the RSDP as Linux does, follows the XSDT and RSDT, and checks every
 * signature, length, checksum and field against the ACPI 6.0 layouts.
 */
#include <string.h>

#include "devices/acpi_pm.h"
#include "layout.h"
#include "loader/acpi.h"
#include "unit.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* What Linux does without acpi_rsdp_addr: 16-byte steps over 0xE0000-0xFFFFF,
 * "RSD PTR " with a valid ACPI 1.0 checksum (and, for revision 2, the extended one). */
static uint64_t scan_rsdp(const struct guest_mem *m)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
		const uint8_t *p = m->host + a;
		if (memcmp(p, "RSD PTR ", 8) || sum(p, 20))
			continue;
		if (p[15] >= 2 && sum(p, rd32(p + 20)))
			continue;
		return a;
	}
	return 0;
}

/* A table's header at gpa: inside the BIOS area, signature, length, checksum, IDs. */
static const uint8_t *table(const struct guest_mem *m, uint64_t gpa, const char *sig, uint8_t rev)
{
	CHECK(gpa >= LAYOUT_ACPI && gpa < LAYOUT_ACPI_END);
	if (gpa < LAYOUT_ACPI || gpa >= LAYOUT_ACPI_END)
		return NULL;
	const uint8_t *t = m->host + gpa;
	uint32_t len = rd32(t + 4);
	CHECK(memcmp(t, sig, 4) == 0);
	CHECK(len >= 36 && gpa + len <= LAYOUT_ACPI_END);
	CHECK_EQ(sum(t, len), 0);
	CHECK_EQ(t[8], rev);
	CHECK(memcmp(t + 10, "RAX   ", 6) == 0);
	CHECK(memcmp(t + 16, "RAXVM   ", 8) == 0);
	CHECK(memcmp(t + 28, "RAX ", 4) == 0);
	CHECK_EQ(gpa & 15, 0);
	return t;
}

/* The first table with this signature in the XSDT, 0 when none. */
static uint64_t xsdt_find(const struct guest_mem *m, const uint8_t *xsdt, const char *sig)
{
	for (uint32_t off = 36; off + 8 <= rd32(xsdt + 4); off += 8) {
		uint64_t a = rd64(xsdt + off);
		if (a < m->size && !memcmp(m->host + a, sig, 4))
			return a;
	}
	return 0;
}

static void check_gas_io(const uint8_t *g, uint16_t port, unsigned bytes)
{
	CHECK_EQ(g[0], 1); /* System I/O */
	CHECK_EQ(g[1], bytes * 8);
	CHECK_EQ(g[2], 0);
	CHECK_EQ(rd64(g + 4), port);
}

static void check_madt(const uint8_t *t, unsigned ncpus)
{
	uint32_t len = rd32(t + 4);
	CHECK_EQ(rd32(t + 36), LAYOUT_APIC_BASE);
	CHECK_EQ(rd32(t + 40), 1); /* PCAT_COMPAT */
	unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0, bad = 0;
	uint32_t off = 44;
	while (off + 2 <= len) {
		const uint8_t *e = t + off;
		if (e[1] < 2 || off + e[1] > len) {
			bad++;
			break;
		}
		switch (e[0]) {
		case 0: /* Processor Local APIC, in order, UID = APIC ID = index */
			CHECK_EQ(e[1], 8);
			CHECK_EQ(e[2], lapics);
			CHECK_EQ(e[3], lapics);
			CHECK_EQ(rd32(e + 4), 1); /* enabled */
			lapics++;
			break;
		case 1: /* I/O APIC */
			CHECK_EQ(e[1], 12);
			CHECK_EQ(e[2], 0);
			CHECK_EQ(rd32(e + 4), LAYOUT_IOAPIC_BASE);
			CHECK_EQ(rd32(e + 8), 0);
			ioapics++;
			break;
		case 2: /* Interrupt Source Override on the ISA bus */
			CHECK_EQ(e[1], 10);
			CHECK_EQ(e[2], 0);
			if (e[3] == 0) {
				CHECK_EQ(rd32(e + 4), 2);
				CHECK_EQ(rd16(e + 8), 0); /* edge, active high: as ISA */
			} else {
				CHECK_EQ(e[3], 9); /* the SCI */
				CHECK_EQ(rd32(e + 4), 9);
				CHECK_EQ(rd16(e + 8), 0xd); /* level, active high */
			}
			isos++;
			break;
		case 4: /* Local APIC NMI: all processors, LINT1 */
			CHECK_EQ(e[1], 6);
			CHECK_EQ(e[2], 0xff);
			CHECK_EQ(e[5], 1);
			nmis++;
			break;
		default: bad++; break;
		}
		off += e[1];
	}
	CHECK_EQ(off, len);
	CHECK_EQ(bad, 0);
	CHECK_EQ(lapics, ncpus);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(isos, 2);
	CHECK_EQ(nmis, 1);
}

static void check_tables(unsigned ncpus)
{
	struct guest_mem m;
	struct rax_err err = { 0 };
	CHECK(guest_mem_init(&m, 16 << 20, &err) == 0);
	memset(m.host + LAYOUT_ACPI, 0xcc, LAYOUT_ACPI_END - LAYOUT_ACPI); /* the builder clears the area */
	struct acpi_tables at;
	CHECK(acpi_build(&m, ncpus, &at, &err) == 0);

	uint64_t rsdp_gpa = scan_rsdp(&m);
	CHECK_EQ(rsdp_gpa, LAYOUT_ACPI);
	CHECK_EQ(rsdp_gpa, at.rsdp);
	if (!rsdp_gpa) {
		guest_mem_free(&m);
		return;
	}
	const uint8_t *rsdp = m.host + rsdp_gpa;
	CHECK_EQ(rsdp[15], 2);
	CHECK_EQ(rd32(rsdp + 20), 36);
	CHECK_EQ(sum(rsdp, 20), 0);
	CHECK_EQ(sum(rsdp, 36), 0);
	CHECK(memcmp(rsdp + 9, "RAX   ", 6) == 0);
	CHECK(!rsdp[33] && !rsdp[34] && !rsdp[35]);

	const uint8_t *xsdt = table(&m, rd64(rsdp + 24), "XSDT", 1);
	const uint8_t *rsdt = table(&m, rd32(rsdp + 16), "RSDT", 1);
	if (!xsdt || !rsdt) {
		guest_mem_free(&m);
		return;
	}
	/* the RSDT lists the same tables in the same order, as 32-bit pointers */
	uint32_t nx = (rd32(xsdt + 4) - 36) / 8, nr = (rd32(rsdt + 4) - 36) / 4;
	CHECK_EQ(rd32(xsdt + 4), 36 + 8 * nx);
	CHECK_EQ(rd32(rsdt + 4), 36 + 4 * nr);
	CHECK_EQ(nx, 2);
	CHECK_EQ(nx, nr);
	for (uint32_t i = 0; i < nx && i < nr; i++)
		CHECK_EQ(rd64(xsdt + 36 + 8 * i), rd32(rsdt + 36 + 4 * i));

	uint64_t fadt_gpa = xsdt_find(&m, xsdt, "FACP"), madt_gpa = xsdt_find(&m, xsdt, "APIC");
	CHECK_EQ(fadt_gpa, at.fadt);
	CHECK_EQ(madt_gpa, at.madt);
	const uint8_t *fadt = table(&m, fadt_gpa, "FACP", 6);
	const uint8_t *madt = table(&m, madt_gpa, "APIC", 4);
	if (!fadt || !madt) {
		guest_mem_free(&m);
		return;
	}

	/* FADT 6.0: 276 bytes, full (not hardware-reduced) ACPI with PM1a blocks */
	CHECK_EQ(rd32(fadt + 4), 276);
	CHECK_EQ(fadt[131], 0);                     /* minor version: 6.0 */
	CHECK_EQ(rd32(fadt + 112) & (1u << 20), 0); /* HW_REDUCED_ACPI clear */
	CHECK_EQ(rd32(fadt + 112) & 0x30, 0x30);    /* no fixed power/sleep button */
	CHECK_EQ(rd16(fadt + 46), IRQ_ACPI_SCI);
	CHECK_EQ(rd32(fadt + 48), 0); /* SMI_CMD */
	CHECK_EQ(rd32(fadt + 56), PORT_ACPI_PM1A_EVT);
	CHECK_EQ(rd32(fadt + 64), PORT_ACPI_PM1A_CNT);
	CHECK_EQ(rd32(fadt + 76), 0); /* no PM timer */
	CHECK_EQ(rd32(fadt + 80), 0); /* no GPE0 */
	CHECK_EQ(fadt[88], 4);
	CHECK_EQ(fadt[89], 2);
	CHECK_EQ(fadt[91], 0);
	CHECK(rd16(fadt + 96) > 100 && rd16(fadt + 98) > 1000);
	CHECK_EQ(rd16(fadt + 109) & 2, 0); /* no 8042 controller */
	check_gas_io(fadt + 148, PORT_ACPI_PM1A_EVT, 4);
	check_gas_io(fadt + 172, PORT_ACPI_PM1A_CNT, 2);
	CHECK_EQ(rd64(fadt + 208), 0); /* X_PM_TMR_BLK address */

	/* FACS through X_FIRMWARE_CTRL (FIRMWARE_CTRL zero) */
	CHECK_EQ(rd32(fadt + 36), 0);
	uint64_t facs_gpa = rd64(fadt + 132);
	CHECK_EQ(facs_gpa, at.facs);
	CHECK(facs_gpa >= LAYOUT_ACPI && facs_gpa + 64 <= LAYOUT_ACPI_END);
	CHECK_EQ(facs_gpa & 63, 0);
	const uint8_t *facs = m.host + facs_gpa;
	CHECK(memcmp(facs, "FACS", 4) == 0);
	CHECK_EQ(rd32(facs + 4), 64);
	CHECK_EQ(facs[32], 2);
	CHECK_EQ(rd32(facs + 16), 0); /* global lock free */

	/* DSDT: the same through DSDT and X_DSDT; its AML is \_S5 */
	CHECK_EQ(rd32(fadt + 40), rd64(fadt + 140));
	CHECK_EQ(rd64(fadt + 140), at.dsdt);
	const uint8_t *dsdt = table(&m, rd64(fadt + 140), "DSDT", 2);
	if (dsdt) {
		static const uint8_t s5[] = {
			0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, ACPI_PM_SLP_TYP_S5, 0x00
		};
		CHECK_EQ(rd32(dsdt + 4), 36 + sizeof(s5));
		CHECK(memcmp(dsdt + 36, s5, sizeof(s5)) == 0);
	}

	check_madt(madt, ncpus);

	/* nothing overlaps, and everything lies below the reported end */
	struct {
		uint64_t a, len;
	} r[] = { { at.rsdp, 36 },
		  { at.xsdt, rd32(xsdt + 4) },
		  { at.rsdt, rd32(rsdt + 4) },
		  { at.fadt, 276 },
		  { at.facs, 64 },
		  { at.dsdt, dsdt ? rd32(dsdt + 4) : 0 },
		  { at.madt, rd32(madt + 4) } };
	size_t n = sizeof(r) / sizeof(r[0]);
	for (size_t i = 0; i < n; i++) {
		CHECK(r[i].a + r[i].len <= at.end);
		for (size_t j = i + 1; j < n; j++)
			CHECK(r[i].a + r[i].len <= r[j].a || r[j].a + r[j].len <= r[i].a);
	}
	/* the rest of the BIOS area is zero */
	size_t nonzero = 0;
	for (uint64_t a = at.end; a < LAYOUT_ACPI_END; a++)
		nonzero += m.host[a] != 0;
	CHECK_EQ(nonzero, 0);

	/* the same input builds the same bytes */
	static uint8_t copy[LAYOUT_ACPI_END - LAYOUT_ACPI];
	memcpy(copy, m.host + LAYOUT_ACPI, sizeof(copy));
	CHECK(acpi_build(&m, ncpus, NULL, &err) == 0);
	CHECK(memcmp(copy, m.host + LAYOUT_ACPI, sizeof(copy)) == 0);
	guest_mem_free(&m);
}

static void test_limits(void)
{
	struct guest_mem m;
	struct rax_err err = { 0 };
	CHECK(guest_mem_init(&m, 16 << 20, &err) == 0);
	CHECK(acpi_build(&m, 0, NULL, &err) < 0 && strstr(err.msg, "CPUs"));
	CHECK(acpi_build(&m, ACPI_MAX_CPUS + 1, NULL, &err) < 0);
	CHECK(acpi_build(&m, ACPI_MAX_CPUS, NULL, &err) == 0);
	guest_mem_free(&m);
	/* RAM that ends below the BIOS area */
	struct guest_mem small = { .host = calloc(1, 0x80000), .size = 0x80000 };
	CHECK(acpi_build(&small, 1, NULL, &err) < 0 && strstr(err.msg, "too small"));
	free(small.host);
}

static int powered_off;
static void on_power_off(void *opaque) { powered_off++; }

static void test_pm(void)
{
	struct acpi_pm pm;
	acpi_pm_init(&pm, on_power_off, NULL);
	/* status: nothing pending, writes clear nothing */
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_STS), 0);
	acpi_pm_write(&pm, ACPI_PM_STS + 1, 0xff);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_STS + 1), 0);
	/* enable: the defined bits stick (GBL_EN, RTC_EN), reserved ones read 0 */
	acpi_pm_write(&pm, ACPI_PM_EN, 0xff);
	acpi_pm_write(&pm, ACPI_PM_EN + 1, 0xff);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_EN), 0x21);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_EN + 1), 0x47);
	acpi_pm_write(&pm, ACPI_PM_EN + 1, 0x00);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_EN + 1), 0);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_EN), 0x21);
	/* control: SCI_EN always 1; SLP_TYP stored; S1 is not offered */
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_CNT), 1);
	acpi_pm_write(&pm, ACPI_PM_CNT, 0);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_CNT), 1);
	acpi_pm_write(&pm, ACPI_PM_CNT + 1, (uint8_t)((1 << 2) | 0x20)); /* SLP_TYP 1 + SLP_EN */
	CHECK_EQ(powered_off, 0);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_CNT + 1), 1 << 2); /* SLP_EN reads 0 */
	/* S5: the type first, then the type with SLP_EN, as ACPICA writes them */
	acpi_pm_write(&pm, ACPI_PM_CNT + 1, ACPI_PM_SLP_TYP_S5 << 2);
	CHECK_EQ(powered_off, 0);
	acpi_pm_write(&pm, ACPI_PM_CNT + 1, (uint8_t)(ACPI_PM_SLP_TYP_S5 << 2 | 0x20));
	CHECK_EQ(powered_off, 1);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_LEN), 0xff);
}

int main(void)
{
	check_tables(1);
	check_tables(4);
	check_tables(ACPI_MAX_CPUS);
	test_limits();
	test_pm();
	return unit_finish("test_acpi");
}
