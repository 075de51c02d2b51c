/*
 * compare.h - comparing two canonical CPU states and two byte ranges.
 *
 * Pure functions (unit-tested in tests/unit/test_diff_compare.c): the
 * lockstep runner decides what to compare, these say what differs.
 */
#ifndef RAX_HARNESS_COMPARE_H
#define RAX_HARNESS_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_state.h"

/* What to compare (bits of the `what` argument). */
#define CMP_GPR 0x1u
#define CMP_RIP 0x2u
#define CMP_RFLAGS 0x4u
#define CMP_SEG 0x8u   /* CS..GS selector, base, limit, attributes */
#define CMP_CTRL 0x10u /* CR0, CR2, CR3, CR4, EFER */
/*
 * x87 and SSE: FCW, FSW, the abridged tag word, ST0-ST7 (80-bit values;
 * only registers both sides tag as non-empty: an empty register's stale
 * bits are not part of the architectural stack), XMM0-XMM15 and MXCSR.
 * FIP, FDP and FOP are not compared: AMD CPUs record them only while an
 * x87 exception is pending (FXSAVE stores zeros otherwise), Intel CPUs
 * may deprecate FCS/FDS and record FDP only for unmasked exceptions
 * (FDP_EXCPTN_ONLY), so their values on the real CPU are vendor-specific.
 */
#define CMP_FPU 0x20u
/* GDTR, IDTR, TR, LDTR, CR8 and the syscall/sysenter/PAT MSRs (kernel mode) */
#define CMP_SYS 0x40u
/* DR0-DR3, DR6, DR7 (the KVM oracle reports the test's: its own stepping
 * #DB does not show; a ptrace'd process has only Linux's virtual DR6) */
#define CMP_DEBUG 0x80u
#define CMP_USER (CMP_GPR | CMP_RIP | CMP_RFLAGS)
#define CMP_ALL (CMP_USER | CMP_SEG | CMP_CTRL)

/*
 * One differing field: name, both values, and for RFLAGS the compared bits.
 * x87 and XMM registers are wider than 64 bits: width is their size in
 * bytes (10 or 16) and the values are in ewide/owide (little-endian);
 * emu/oracle then hold the low 64 bits.
 */
struct diff_field {
	char name[16];
	uint64_t emu, oracle;
	uint64_t mask; /* bits compared (all ones except for rflags) */
	uint8_t width; /* 0: a 64-bit value; else bytes in ewide/owide */
	uint8_t ewide[16], owide[16];
};

/* A field's value as text: "0x..." (wide values most significant byte first). */
const char *diff_field_value(const struct diff_field *f, int oracle_side, char *buf, unsigned n);

/* Whether x87 register ST(i) is tagged non-empty in state f (abridged FTW, TOP). */
int diff_st_valid(const struct rax_fpu_state *f, unsigned i);

/*
 * Compare emu against oracle; rflags_mask selects the RFLAGS bits that
 * count. Writes up to max differing fields; returns how many differ.
 */
unsigned diff_compare_state(const struct rax_cpu_state *emu, const struct rax_cpu_state *oracle, unsigned what,
			    uint64_t rflags_mask, struct diff_field *out, unsigned max);

/* Attribute bits of a segment packed as in a descriptor (type..g, unusable at 16). */
uint32_t diff_seg_attr(const struct rax_segment *s);

#define DIFF_RUN_BYTES 32

/* A run of differing bytes: address, length and up to DIFF_RUN_BYTES of each side. */
struct diff_memrun {
	uint64_t addr;
	unsigned len;
	uint8_t emu[DIFF_RUN_BYTES], oracle[DIFF_RUN_BYTES];
};

/*
 * Runs of differing bytes between a and b (len bytes at address base);
 * runs closer than 8 equal bytes are merged. Returns the number of runs
 * (it may exceed max; only max are stored).
 */
unsigned diff_mem_runs(uint64_t base, const uint8_t *emu, const uint8_t *oracle, size_t len, struct diff_memrun *out,
		       unsigned max);

#endif
