/*
 * flagmask.h - the one table of RFLAGS status bits the architecture leaves
 * undefined, per instruction (Intel SDM vol. 2 "Flags Affected", AMD APM
 * vol. 3 appendix), so rax-diff compares only what the manuals define.
 *
 * Keyed by mnemonic (the decoder's name for the operand size); shifts and
 * rotates depend on the masked count, read from the state before the step.
 */
#ifndef RAX_HARNESS_FLAGMASK_H
#define RAX_HARNESS_FLAGMASK_H

#include <stdint.h>

#include "cpu_state.h"
#include "emu/decode.h"

/*
 * Undefined status flags of the decoded instruction in, executed from state
 * before (a mask of RFLAGS_* bits; 0 when every flag it writes is defined).
 */
uint64_t flagmask_undefined(const struct emu_insn *in, const struct rax_cpu_state *before);

/* The same by mnemonic and count (count < 0: not a shift/rotate or unknown). */
uint64_t flagmask_for(const char *mnemonic, unsigned opsize, int count);

/* "CF|ZF|..." for a status-flag mask, for reports. */
const char *flagmask_names(uint64_t mask, char *buf, unsigned n);

#endif
