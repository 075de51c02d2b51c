/*
 * state_print.h - the CPU state as stable text (rax --test, rax-diff).
 *
 * Format: "name=0x<hex>" fields, several per line, lower-case names as in
 * rax_gpr_names / rax_seg_names; RFLAGS is followed by its set flags in
 * brackets. Tools may parse it with the regex (\w+)=(0x[0-9a-f]+).
 */
#ifndef RAX_STATE_PRINT_H
#define RAX_STATE_PRINT_H

#include <stddef.h>
#include <stdio.h>

#include "cpu_state.h"

/* Names of the set RFLAGS bits, e.g. "CF ZF IF IOPL=3", into buf. */
void rflags_decode(uint64_t rflags, char *buf, size_t n);

void cpu_state_print(FILE *f, const struct rax_cpu_state *s);

#endif
