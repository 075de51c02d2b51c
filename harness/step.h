/*
 * step.h - the one per-instruction step engine of rax-diff, used by both
 * modes (lockstep.c for test images, kernel.c for a Linux boot prefix).
 *
 * One compared instruction is, in order:
 *   step_fetch()        the emulator's state and next instruction: decode,
 *                       disassembly, the undefined-flag mask and whether the
 *                       result is the oracle's (flagmask.h, from the opcode
 *                       table);
 *   step_oracle_first() for results the emulator cannot know (CPUID, the
 *                       TSC): the oracle steps first and its values are
 *                       injected into the emulator;
 *   step_emu()          the emulator's step and the pages it wrote;
 *   step_oracle()       the oracle's step with the emulator's hint (where it
 *                       went, whether it entered a handler), re-stepped over
 *                       every iteration of a REP string instruction;
 *   step_take_result()  results the oracle's state decides (RDPMC) become
 *                       the emulator's before the comparison;
 *   step_adopt_undefined() after an equal comparison, undefined flags
 *                       become the oracle's.
 * A mode calls them with its own checks in between (exits, interrupts,
 * pseudo-steps) and compares state and memory its own way.
 */
#ifndef RAX_HARNESS_STEP_H
#define RAX_HARNESS_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "cpu_state.h"
#include "emu/decode.h"
#include "emu/emu.h"
#include "flagmask.h"
#include "lockstep.h"
#include "oracle.h"

struct step_engine {
	struct rax_vm *emu;
	struct oracle *orc;
	bool strict_flags;
	unsigned first; /* 1u << INSN_ND_*: the oracle steps first, its result is injected */
	unsigned adopt; /* 1u << INSN_ND_*: the emulator adopts the oracle's state after the step */
	bool disasm;    /* step_fetch() disassembles (else dis is empty) */
	bool frame_tf;  /* clear the stepping mechanism's TF in an event frame the oracle pushed */
	bool entered;   /* tell the oracle when the emulator entered a handler (hint.entered) */
};

enum step_inject { STEP_INJ_NONE, STEP_INJ_CPUID, STEP_INJ_TSC, STEP_INJ_RAND, STEP_INJ_AUX };

struct step {
	struct rax_cpu_state e0, e1, o1; /* emulator before and after, oracle after */
	struct emu_insn in;
	bool dec; /* in is valid */
	uint8_t bytes[15];
	unsigned nb;
	char dis[DIFF_DISASM_LEN];
	enum insn_nondet nd;
	uint64_t undefined; /* status flags left undefined (0 with strict_flags) */
	bool oracle_first;  /* the oracle stepped in step_oracle_first() */
	enum step_inject injected;
	struct rax_exit ex; /* the emulator's exit */
	uint64_t written[EMU_MAX_WRITTEN_PAGES];
	int nw; /* pages in written; < 0: unknown (compare everything) */
	struct oracle_hint hint;
	struct oracle_result r;
};

/* The emulator's state and next instruction; resets s. */
void step_fetch(const struct step_engine *E, struct step *s);
/* Oracle first where the result is the oracle's (E->first); -1: host error. */
int step_oracle_first(const struct step_engine *E, struct step *s, struct rax_err *err);
/* The emulator's step; -1: host error. */
int step_emu(const struct step_engine *E, struct step *s, struct rax_err *err);
/* The oracle's step after the emulator's (unless it stepped first); -1: host error. */
int step_oracle(const struct step_engine *E, struct step *s, struct rax_err *err);
/* Before the comparison: a result the emulator takes from the oracle
 * (E->adopt) becomes its state. Returns whether it did. */
bool step_take_result(const struct step_engine *E, struct step *s, struct rax_err *err);
/* After an equal comparison: undefined flags that differ become the
 * oracle's, so later instructions (PUSHF, ADC, Jcc) compare what is
 * defined. Returns whether any did. */
bool step_adopt_undefined(const struct step_engine *E, struct step *s, struct rax_err *err);

#endif
