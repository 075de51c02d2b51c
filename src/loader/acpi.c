/*
 * acpi.c - RSDP, XSDT, RSDT, FADT, FACS, DSDT and MADT (see acpi.h).
 *
 * Every table is laid out by hand from the ACPI 6.0 specification's field
 * tables (offsets in the comments); multi-byte fields are little-endian.
 */
#include "acpi.h"

#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/rtc_cmos.h"
#include "layout.h"
#include "le.h"
#include "vm.h"

/* Generic Address Structure: address space IDs and access sizes */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_WORD 2


uint8_t acpi_sum(const uint8_t *p, uint64_t len)
{
	uint8_t s = 0;
	for (uint64_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* Set the checksum byte at p[at] so that len bytes from p sum to zero. */
static void fix_sum(uint8_t *p, uint64_t len, unsigned at)
{
	p[at] = 0;
	p[at] = (uint8_t)(0u - acpi_sum(p, len));
}

/* A bump allocator over the table area: b->base is the host view of gpa b->gpa. */
struct area {
	uint8_t *base;
	uint64_t gpa, used, cap;
};

/* Host pointer to len zeroed bytes aligned to align (a power of two); NULL when full. */
static uint8_t *take(struct area *a, uint64_t len, uint64_t align, uint64_t *gpa)
{
	uint64_t at = (a->used + align - 1) & ~(align - 1);
	if (at > a->cap || len > a->cap - at)
		return NULL;
	a->used = at + len;
	*gpa = a->gpa + at;
	return a->base + at;
}

/* The 36-byte System Description Table header; the checksum is set last. */
static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(t + 0, sig, 4);
	wr32(t + 4, len);
	t[8] = rev;
	t[9] = 0; /* checksum */
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	wr32(t + 24, ACPI_OEM_REVISION);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	wr32(t + 32, ACPI_CREATOR_REVISION);
}

static void gas_io(uint8_t *g, uint16_t port, unsigned bytes)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = (uint8_t)(bytes * 8); /* register bit width */
	g[2] = 0;                    /* bit offset */
	g[3] = GAS_ACCESS_WORD;      /* the PM1 registers are 16 bits wide */
	wr64(g + 4, port);
}

static void fadt_fill(uint8_t *t, uint64_t facs, uint64_t dsdt)
{
	header(t, "FACP", ACPI_FADT_LEN, ACPI_FADT_REVISION);
	/* 36 FIRMWARE_CTRL: zero, X_FIRMWARE_CTRL holds the FACS; 40 DSDT, as X_DSDT */
	wr32(t + 40, (uint32_t)dsdt);
	/* 45 Preferred_PM_Profile: 0, unspecified; 46 SCI_INT */
	wr16(t + 46, IRQ_ACPI_SCI);
	/* 48 SMI_CMD: 0, no mode transition (always in ACPI mode); 56 PM1a_EVT_BLK, 64 PM1a_CNT_BLK */
	wr32(t + 56, PORT_ACPI_PM1A_EVT);
	wr32(t + 64, PORT_ACPI_PM1A_CNT);
	/* 76 PM_TMR_BLK, 80 GPE0_BLK, 84 GPE1_BLK: none; 88 PM1_EVT_LEN, 89 PM1_CNT_LEN */
	t[88] = ACPI_PM_EVT_LEN;
	t[89] = ACPI_PM_CNT_LEN;
	/* 96 P_LVL2_LAT above 100: no C2; 98 P_LVL3_LAT above 1000: no C3 */
	wr16(t + 96, 101);
	wr16(t + 98, 1001);
	/* 108 CENTURY: the RTC's century byte; 109 IAPC_BOOT_ARCH; 112 Flags */
	t[108] = RTC_CENTURY;
	wr16(t + 109, ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_VGA_NOT_PRESENT);
	wr32(t + 112,
	     ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC);
	/* 116 RESET_REG, 128 RESET_VALUE, 129 ARM_BOOT_ARCH: none; 131 FADT Minor Version */
	t[131] = ACPI_FADT_MINOR;
	/* 132 X_FIRMWARE_CTRL, 140 X_DSDT, 148 X_PM1a_EVT_BLK, 172 X_PM1a_CNT_BLK */
	wr64(t + 132, facs);
	wr64(t + 140, dsdt);
	gas_io(t + 148, PORT_ACPI_PM1A_EVT, ACPI_PM_EVT_LEN);
	gas_io(t + 172, PORT_ACPI_PM1A_CNT, ACPI_PM_CNT_LEN);
	/* 244 SLEEP_CONTROL_REG, 256 SLEEP_STATUS_REG: hardware-reduced only;
	 * 268 Hypervisor Vendor Identity, zero-padded */
	memcpy(t + 268, "RAX", 3);
	fix_sum(t, ACPI_FADT_LEN, 9);
}

static void facs_fill(uint8_t *f)
{
	memcpy(f + 0, "FACS", 4);
	wr32(f + 4, ACPI_FACS_LEN);
	/* 8 hardware signature, 12 waking vector, 16 global lock, 20 flags, 24 X waking vector: 0 */
	f[32] = ACPI_FACS_VERSION;
}

/*
 * The DSDT's AML: Name (_S5, Package () { ACPI_PM_SLP_TYP_S5, 0 }), the
 * SLP_TYP values for PM1a_CNT and (absent) PM1b_CNT.
 */
/* clang-format off */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',  /* NameOp, NameSeg "_S5_" */
	0x12, 0x05, 0x02,          /* PackageOp, PkgLength (these 5 bytes), NumElements */
	0x0a, ACPI_PM_SLP_TYP_S5,  /* BytePrefix, PM1a_CNT.SLP_TYP */
	0x00,                      /* ZeroOp: PM1b_CNT.SLP_TYP */
};
/* clang-format on */

static uint32_t madt_len(unsigned ncpus) { return ACPI_HEADER_LEN + 8 + 8 * ncpus + 12 + 2 * 10 + 6; }

static void madt_fill(uint8_t *t, unsigned ncpus)
{
	uint32_t len = madt_len(ncpus);
	header(t, "APIC", len, ACPI_MADT_REVISION);
	wr32(t + 36, (uint32_t)LAYOUT_APIC_BASE); /* Local Interrupt Controller Address */
	wr32(t + 40, ACPI_MADT_PCAT_COMPAT);      /* Flags: the 8259s are there too */
	uint8_t *e = t + 44;
	for (unsigned i = 0; i < ncpus; i++, e += 8) {
		e[0] = ACPI_MADT_LAPIC;
		e[1] = 8;
		e[2] = (uint8_t)i; /* ACPI Processor UID */
		e[3] = (uint8_t)i; /* APIC ID */
		wr32(e + 4, ACPI_MADT_ENABLED);
	}
	e[0] = ACPI_MADT_IOAPIC;
	e[1] = 12;
	e[2] = ACPI_IOAPIC_ID;
	e[3] = 0;
	wr32(e + 4, (uint32_t)LAYOUT_IOAPIC_BASE);
	wr32(e + 8, 0); /* Global System Interrupt Base */
	e += 12;
	/* ISA IRQ 0 (the PIT) arrives on GSI 2; edge, active high as ISA */
	e[0] = ACPI_MADT_ISO;
	e[1] = 10;
	e[2] = 0; /* Bus: ISA */
	e[3] = IRQ_PIT;
	wr32(e + 4, GSI_PIT);
	wr16(e + 8, 0);
	e += 10;
	/* The SCI: level-triggered, active high (RAX's lines are asserted high) */
	e[0] = ACPI_MADT_ISO;
	e[1] = 10;
	e[2] = 0;
	e[3] = IRQ_ACPI_SCI;
	wr32(e + 4, IRQ_ACPI_SCI);
	wr16(e + 8, ACPI_INTI_LEVEL | ACPI_INTI_ACTIVE_HIGH);
	e += 10;
	/* LINT1 is the NMI input of every processor */
	e[0] = ACPI_MADT_LAPIC_NMI;
	e[1] = 6;
	e[2] = 0xff; /* all processors */
	wr16(e + 3, 0);
	e[5] = 1; /* LINT1 */
	fix_sum(t, len, 9);
}

int acpi_build(struct guest_mem *mem, unsigned ncpus, struct acpi_tables *out, struct rax_err *err)
{
	if (ncpus < 1 || ncpus > ACPI_MAX_CPUS)
		return rax_errf(err, RAX_STATUS_USAGE, "ACPI tables: %u CPUs (1 to %d)", ncpus, ACPI_MAX_CPUS);
	struct area a = { .gpa = LAYOUT_ACPI, .cap = LAYOUT_ACPI_END - LAYOUT_ACPI };
	a.base = guest_mem_ptr(mem, a.gpa, a.cap);
	if (!a.base)
		return rax_errf(err, RAX_STATUS_USAGE, "guest memory too small for the ACPI tables");
	memset(a.base, 0, a.cap);

	enum { NTABLES = 2 }; /* in the XSDT and RSDT: FADT, MADT */
	struct acpi_tables t;
	uint8_t *rsdp = take(&a, ACPI_RSDP_LEN, 16, &t.rsdp);
	uint8_t *xsdt = take(&a, ACPI_HEADER_LEN + 8 * NTABLES, 16, &t.xsdt);
	uint8_t *rsdt = take(&a, ACPI_HEADER_LEN + 4 * NTABLES, 16, &t.rsdt);
	uint8_t *fadt = take(&a, ACPI_FADT_LEN, 16, &t.fadt);
	uint8_t *facs = take(&a, ACPI_FACS_LEN, 64, &t.facs);
	uint8_t *dsdt = take(&a, ACPI_HEADER_LEN + sizeof(dsdt_aml), 16, &t.dsdt);
	uint8_t *madt = take(&a, madt_len(ncpus), 16, &t.madt);
	if (!rsdp || !xsdt || !rsdt || !fadt || !facs || !dsdt || !madt)
		return rax_errf(err, RAX_STATUS_INTERNAL, "ACPI tables do not fit in the BIOS area");
	t.end = a.gpa + a.used;

	facs_fill(facs);

	header(dsdt, "DSDT", ACPI_HEADER_LEN + sizeof(dsdt_aml), ACPI_DSDT_REVISION);
	memcpy(dsdt + ACPI_HEADER_LEN, dsdt_aml, sizeof(dsdt_aml));
	fix_sum(dsdt, ACPI_HEADER_LEN + sizeof(dsdt_aml), 9);

	fadt_fill(fadt, t.facs, t.dsdt);
	madt_fill(madt, ncpus);

	const uint64_t entries[NTABLES] = { t.fadt, t.madt };
	header(xsdt, "XSDT", ACPI_HEADER_LEN + 8 * NTABLES, ACPI_XSDT_REVISION);
	header(rsdt, "RSDT", ACPI_HEADER_LEN + 4 * NTABLES, ACPI_RSDT_REVISION);
	for (unsigned i = 0; i < NTABLES; i++) {
		wr64(xsdt + ACPI_HEADER_LEN + 8 * i, entries[i]);
		wr32(rsdt + ACPI_HEADER_LEN + 4 * i, (uint32_t)entries[i]);
	}
	fix_sum(xsdt, ACPI_HEADER_LEN + 8 * NTABLES, 9);
	fix_sum(rsdt, ACPI_HEADER_LEN + 4 * NTABLES, 9);

	memcpy(rsdp + 0, "RSD PTR ", 8);
	memcpy(rsdp + 9, ACPI_OEM_ID, 6);
	rsdp[15] = ACPI_RSDP_REVISION;
	wr32(rsdp + 16, (uint32_t)t.rsdt);
	wr32(rsdp + 20, ACPI_RSDP_LEN);
	wr64(rsdp + 24, t.xsdt);
	fix_sum(rsdp, 20, 8);             /* checksum: the ACPI 1.0 part */
	fix_sum(rsdp, ACPI_RSDP_LEN, 32); /* extended checksum: all 36 bytes */

	if (out)
		*out = t;
	return 0;
}
