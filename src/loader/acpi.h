/*
 * acpi.h - the ACPI tables RAX gives a bzImage guest (ACPI 6.0).
 *
 * acpi_build() writes them into the BIOS area [LAYOUT_ACPI, LAYOUT_ACPI_END)
 * of guest RAM, which the e820 map reserves: the RSDP first (at LAYOUT_ACPI,
 * where Linux's scan of 0xE0000-0xFFFFF finds it on a 16-byte boundary),
 * then the XSDT and RSDT (FADT, MADT), the FADT, the FACS (64-byte
 * aligned), the DSDT and the MADT. Both backends load the same bytes.
 *
 * The machine they describe is a PC with the legacy devices (8259 pair,
 * 8254, RTC; no i8042 controller, no VGA), one local APIC per CPU (APIC and
 * ACPI processor IDs 0..ncpus-1, all enabled, LINT1 as NMI), one I/O APIC
 * (ID 0, the value its ID register holds at reset on both backends; GSIs
 * 0-23), ISA IRQ 0 on GSI 2 and the SCI on IRQ 9, level-triggered. The FADT
 * is a full (not hardware-reduced) one, so that the 8259s and the PIT stay
 * usable (Linux drops both on a hardware-reduced platform): PM1a event and
 * control blocks (src/devices/acpi_pm.c), no PM timer, no GPEs, no SMI
 * command port (always in ACPI mode), no C2/C3, no fixed power or sleep
 * button. The DSDT holds only \_S5, so an OS can power off through PM1_CNT.
 */
#ifndef RAX_ACPI_H
#define RAX_ACPI_H

#include <stdint.h>

#include "err.h"
#include "guest_mem.h"

/* APIC IDs 0..n-1 must stay below the xAPIC broadcast ID 0xFF, and the
 * processor UIDs below 0xFF, which a Local APIC NMI entry reads as "all". */
#define ACPI_MAX_CPUS 255

#define ACPI_OEM_ID "RAX   "         /* 6 bytes */
#define ACPI_OEM_TABLE_ID "RAXVM   " /* 8 bytes */
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "RAX " /* 4 bytes */
#define ACPI_CREATOR_REVISION 1

/* Table revisions (ACPI 6.0) */
#define ACPI_RSDP_REVISION 2 /* ACPI 2.0+ RSDP: XSDT address, length, extended checksum */
#define ACPI_RSDT_REVISION 1
#define ACPI_XSDT_REVISION 1
#define ACPI_FADT_REVISION 6
#define ACPI_FADT_MINOR 0
#define ACPI_MADT_REVISION 4
#define ACPI_DSDT_REVISION 2 /* 2: 64-bit AML integers */
#define ACPI_FACS_VERSION 2

/* Sizes */
#define ACPI_RSDP_LEN 36
#define ACPI_HEADER_LEN 36
#define ACPI_FADT_LEN 276
#define ACPI_FACS_LEN 64

/* MADT */
#define ACPI_MADT_PCAT_COMPAT 1u
#define ACPI_MADT_LAPIC 0
#define ACPI_MADT_IOAPIC 1
#define ACPI_MADT_ISO 2
#define ACPI_MADT_LAPIC_NMI 4
#define ACPI_MADT_ENABLED 1u
#define ACPI_IOAPIC_ID 0
/* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2 (0 = as the bus) */
#define ACPI_INTI_ACTIVE_HIGH 0x1u
#define ACPI_INTI_LEVEL 0xcu

/* FADT fixed feature flags and IA-PC boot architecture flags used here */
#define ACPI_FADT_WBINVD (1u << 0)
#define ACPI_FADT_PROC_C1 (1u << 2)
#define ACPI_FADT_PWR_BUTTON (1u << 4) /* set: no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON (1u << 5) /* set: no fixed-feature sleep button */
#define ACPI_FADT_FIX_RTC (1u << 6)    /* set: no RTC wake status in PM1_STS */
#define ACPI_FADT_HW_REDUCED (1u << 20)
#define ACPI_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_BOOT_8042 (1u << 1)
#define ACPI_BOOT_VGA_NOT_PRESENT (1u << 2)

/* Where each table went (guest-physical addresses); end: first free byte. */
struct acpi_tables {
	uint64_t rsdp, xsdt, rsdt, fadt, facs, dsdt, madt, end;
};

/* Build the tables for ncpus (1..ACPI_MAX_CPUS) CPUs; fills *out when not NULL. */
int acpi_build(struct guest_mem *mem, unsigned ncpus, struct acpi_tables *out, struct rax_err *err);

/* Sum of len bytes, modulo 256 (a valid table sums to 0). */
uint8_t acpi_sum(const uint8_t *p, uint64_t len);

#endif
