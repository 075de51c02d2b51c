/*
 * jit.h - the block translator: decoded blocks of the interpreter's block
 * cache turned into host x86-64 code once they have run often enough.
 *
 * A translation runs a whole block exactly as emu_run_block() does (same
 * instruction count, same block end, same state at every fault), so the run
 * loop may take either for any block it would run whole. Built on x86-64
 * hosts only (RAX_HAVE_JIT); elsewhere emu_jit_new() fails and --jit on is
 * refused.
 */
#ifndef RAX_EMU_JIT_JIT_H
#define RAX_EMU_JIT_JIT_H

#include <stdbool.h>
#include <stdint.h>

struct emu_cpu;
struct emu_block;
struct emu_jit;

/* Whole runs of a block in the interpreter before it is translated. */
#define EMU_JIT_HOT_RUNS 32

/* What a translator did (rax --stats). */
struct emu_jit_stats {
	uint64_t blocks;       /* translations made */
	uint64_t failed;       /* blocks left to the interpreter (too large, not translatable) */
	uint64_t runs;         /* translated blocks run */
	uint64_t code_bytes;   /* host code and data written */
	uint64_t flushes;      /* times the code buffer filled up and started over */
	uint64_t links;        /* links between translations filled (chaining) */
	uint64_t disarms;      /* times the links armed were dropped together (a new chain_gen) */
	uint64_t realiased;    /* translations made again for a block run at another linear address */
	uint64_t translate_ns; /* host time spent translating */
};

/* Whether this build has a translator (an x86-64 host). */
bool emu_jit_supported(void);

/* A translator for one CPU, translating a block after hot_runs whole runs
 * (0: EMU_JIT_HOT_RUNS; 1: at once). NULL when unsupported or out of memory. */
struct emu_jit *emu_jit_new(unsigned hot_runs);
void emu_jit_free(struct emu_jit *j);

/*
 * The run loop is about to run block b (at c->rip) whole: run its
 * translation, translating it first when it has become hot. False when the
 * interpreter must run it (not hot yet, not translatable, or a translation
 * made for another linear address of the same code).
 */
bool emu_jit_run(struct emu_cpu *c, struct emu_block *b);

void emu_jit_get_stats(const struct emu_jit *j, struct emu_jit_stats *s);

#endif
