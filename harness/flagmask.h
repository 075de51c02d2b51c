/*
 * flagmask.h - facts about an instruction that rax-diff needs, read from the
 * one opcode table (src/emu/opcodes.def: the EMU_F_* fact bits of decode.h):
 * the RFLAGS status bits the architecture leaves undefined (Intel SDM vol. 2
 * "Flags Affected", AMD APM vol. 3 appendix), so rax-diff compares only what
 * the manuals define, and results that are the oracle's (CPUID, the TSC).
 *
 * Where a fact depends on operand values (shift counts, ECX of RDMSR) it is
 * computed here from the state before the step, keyed by the row's bits.
 */
#ifndef RAX_HARNESS_FLAGMASK_H
#define RAX_HARNESS_FLAGMASK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_state.h"
#include "emu/decode.h"

/* The fact bits (EMU_F_*) of a decoded instruction's row (0 for "(bad)"). */
static inline uint64_t insn_facts(const struct emu_insn *in)
{
	return in->row < emu_noprows ? emu_oprows[in->row].flags : 0;
}

/*
 * Undefined status flags of the decoded instruction in, executed from state
 * before (a mask of RFLAGS_* bits; 0 when every flag it writes is defined).
 */
uint64_t flagmask_undefined(const struct emu_insn *in, const struct rax_cpu_state *before);

/* The same by the row's flags (EMU_F_U*), operand size and masked count
 * (count < 0: unknown). */
uint64_t flagmask_for(uint64_t rowflags, unsigned opsize, int count);

/* "CF|ZF|..." for a status-flag mask, for reports. */
const char *flagmask_names(uint64_t mask, char *buf, unsigned n);

/* Results the emulator cannot know and takes from the oracle. */
enum insn_nondet {
	INSN_ND_NONE,
	INSN_ND_CPUID,   /* CPUID: the oracle steps first, its registers are injected */
	INSN_ND_TSC,     /* RDTSC, RDTSCP: the oracle steps first, its TSC (and TSC_AUX) injected */
	INSN_ND_TSC_MSR, /* RDMSR of IA32_TSC: as INSN_ND_TSC */
	INSN_ND_ADOPT,   /* RDPMC: both step, the emulator adopts the oracle's state */
	INSN_ND_RAND,    /* RDRAND, RDSEED: the oracle steps first, its value and CF are injected */
	INSN_ND_AUX,     /* RDPID: the oracle steps first, its TSC_AUX is injected */
};
enum insn_nondet insn_nondet(const struct emu_insn *in, const struct rax_cpu_state *before);

/* Port I/O (IN, OUT, INS, OUTS). */
static inline bool insn_port_io(const struct emu_insn *in) { return (insn_facts(in) & (EMU_F_PIN | EMU_F_POUT)) != 0; }

/* The port of a non-string IN or OUT (imm8 or DX), -1 for others. */
int insn_port(const struct emu_insn *in, const struct rax_cpu_state *before);

#endif
