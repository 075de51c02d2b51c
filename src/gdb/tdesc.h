/*
 * tdesc.h - the x86-64 target description gdb reads (qXfer:features:read)
 * and the register numbering of g/G/p/P that follows from it.
 *
 * GDB manual, Appendix G "Target Descriptions": the registers are numbered
 * in the order the document lists them, and `g` sends them in that order,
 * each in target byte order (little-endian) at its bitsize.
 */
#ifndef RAX_GDB_TDESC_H
#define RAX_GDB_TDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_state.h"

/* The XML document (with the AVX feature when avx). Static storage. */
const char *tdesc_xml(bool avx);

/* Registers in the description: with AVX, the YMM upper halves last. */
unsigned tdesc_nregs(bool avx);
/* Size in bytes of register n (0: no such register). */
unsigned tdesc_reg_size(unsigned n);
/* Register n's bytes from s into buf (tdesc_reg_size bytes). */
void tdesc_reg_get(const struct rax_cpu_state *s, unsigned n, uint8_t *buf);
/* Register n from buf into s. */
void tdesc_reg_set(struct rax_cpu_state *s, unsigned n, const uint8_t *buf);
/* Number of register `name` ("rip", "cr3"), -1 when there is none. */
int tdesc_reg_find(const char *name);

#endif
