/*
 * jitdiff.h - rax-diff --jit: the block translator against the interpreter.
 */
#ifndef RAX_HARNESS_JITDIFF_H
#define RAX_HARNESS_JITDIFF_H

#include "kernel.h"
#include "lockstep.h"

/*
 * Run one test image twice in lockstep, block by block: once with every
 * block translated as soon as it runs whole (--jit on, --jit-hot 1) and
 * once on the interpreter alone, comparing the whole CPU state, the
 * instruction count, how the run stopped and the pages either side wrote
 * after every block of the translated side. The first difference is
 * reported at its block (rip, instruction count, the block's
 * instructions) and field; never fails as a function.
 */
void diff_run_jit(const char *path, const struct diff_options *opt, struct diff_result *res);

/*
 * The same over a Linux boot prefix (rax-diff --jit --kernel): both VMs
 * boot o->kernel as `rax --kernel` does (one CPU, the virtual clock) and
 * are compared after every block for the first o->steps instructions (or
 * until the guest ends, or o->timeout seconds). The translated side's
 * writes are not tracked, so its inline stores run; whole-RAM checks
 * catch what the interpreter's tracked pages do not show, localised to
 * the block by a second run (jitdiff.c). Never fails as a function.
 */
void diff_run_jit_kernel(const struct diff_kernel_options *o, struct diff_result *res);

#endif
