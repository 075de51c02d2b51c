/* acpi_pm.c - ACPI PM1 event and control registers (see acpi_pm.h). */
#include "acpi_pm.h"

void acpi_pm_init(struct acpi_pm *pm, void (*power_off)(void *opaque), void *opaque)
{
	*pm = (struct acpi_pm){ .power_off = power_off, .opaque = opaque };
}

uint8_t acpi_pm_read(struct acpi_pm *pm, unsigned off)
{
	uint16_t v;
	switch (off & ~1u) {
	case ACPI_PM_STS: v = 0; break; /* no event source: nothing is ever pending */
	case ACPI_PM_EN: v = pm->en; break;
	case ACPI_PM_CNT: v = (uint16_t)(pm->cnt | ACPI_PM1_SCI_EN); break;
	default: return 0xff;
	}
	return (uint8_t)(off & 1 ? v >> 8 : v);
}

void acpi_pm_write(struct acpi_pm *pm, unsigned off, uint8_t v)
{
	unsigned shift = off & 1 ? 8 : 0;
	uint16_t bits = (uint16_t)(v << shift), keep = (uint16_t) ~(0xffu << shift);
	switch (off & ~1u) {
	case ACPI_PM_STS: break; /* write-one-to-clear of bits that are never set */
	case ACPI_PM_EN: pm->en = (uint16_t)((pm->en & keep) | (bits & ACPI_PM1_EN_MASK)); break;
	case ACPI_PM_CNT: {
		/* SCI_EN is fixed at 1, GBL_RLS and SLP_EN are write-only strobes */
		uint16_t stored = ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP_MASK;
		pm->cnt = (uint16_t)((pm->cnt & keep) | (bits & stored));
		if ((bits & ACPI_PM1_SLP_EN) &&
		    (pm->cnt & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT == ACPI_PM_SLP_TYP_S5 && pm->power_off)
			pm->power_off(pm->opaque);
		break;
	}
	default: break;
	}
}
