/*
 * acpi_pm.h - the ACPI fixed-hardware registers the FADT describes.
 *
 * Two register blocks, contiguous in port space (layout.h):
 *   PORT_ACPI_PM1A_EVT (4 bytes): PM1_STS (16 bits), then PM1_EN (16 bits);
 *   PORT_ACPI_PM1A_CNT (2 bytes): PM1_CNT.
 * No event source exists (no PM timer, power or sleep button, RTC alarm or
 * global-lock owner besides the OS), so PM1_STS always reads 0 and the SCI
 * is never raised; the enable bits are plain storage, so an OS that enables
 * an event reads back what it wrote. PM1_CNT.SCI_EN reads 1 (the machine is
 * always in ACPI mode: the FADT has no SMI_CMD). Writing SLP_EN with SLP_TYP
 * = ACPI_PM_SLP_TYP_S5 (the value the DSDT's \_S5 gives) powers the machine
 * off; other sleep types are not offered and are ignored.
 *
 * Byte-wide registers, so any access width works; pure, so it is unit-tested.
 */
#ifndef RAX_ACPI_PM_H
#define RAX_ACPI_PM_H

#include <stdint.h>

/* Byte offsets from PORT_ACPI_PM1A_EVT. */
#define ACPI_PM_STS 0 /* PM1_STS, 2 bytes */
#define ACPI_PM_EN 2  /* PM1_EN, 2 bytes */
#define ACPI_PM_CNT 4 /* PM1_CNT, 2 bytes (PORT_ACPI_PM1A_CNT) */
#define ACPI_PM_LEN 6

#define ACPI_PM_EVT_LEN 4 /* the FADT's PM1_EVT_LEN */
#define ACPI_PM_CNT_LEN 2 /* the FADT's PM1_CNT_LEN */

/* PM1_EN bits that exist: TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS. */
#define ACPI_PM1_EN_MASK 0x4721u
/* PM1_CNT bits */
#define ACPI_PM1_SCI_EN 0x0001u
#define ACPI_PM1_BM_RLD 0x0002u
#define ACPI_PM1_GBL_RLS 0x0004u
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK (7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN 0x2000u

/* The SLP_TYP value of the soft-off state S5 (the DSDT's \_S5 package). */
#define ACPI_PM_SLP_TYP_S5 5

struct acpi_pm {
	uint16_t en;  /* PM1_EN */
	uint16_t cnt; /* PM1_CNT's stored bits: BM_RLD, SLP_TYP */
	void (*power_off)(void *opaque);
	void *opaque;
};

void acpi_pm_init(struct acpi_pm *pm, void (*power_off)(void *opaque), void *opaque);
/* off: byte offset from PORT_ACPI_PM1A_EVT, 0..ACPI_PM_LEN-1 */
uint8_t acpi_pm_read(struct acpi_pm *pm, unsigned off);
void acpi_pm_write(struct acpi_pm *pm, unsigned off, uint8_t v);

#endif
