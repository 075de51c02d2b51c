/*
 * diffrun.c - running the interpreter a block at a time for rax-diff --jit
 * (harness/jitdiff.c): one VM runs each block translated, the other runs
 * the interpreter to the same instruction count, and the harness compares
 * them after every block.
 */
#include "emu/emu.h"

#include "backend.h"
#include "emu/cpu.h"
#include "vm.h"

_Static_assert(EMU_DIFF_STOPPED == EMU_EXIT_TARGET, "emu_diff_run reports a stop at the target as EMU_EXIT_TARGET");

void emu_diff_run(struct rax_vm *vm, bool one_block, uint64_t stop_icount, bool track, struct rax_exit *ex)
{
	struct emu_cpu *c = vm->backend;
	c->track_writes = track;
	c->nwritten = 0;
	c->one_block = one_block;
	c->stop_at = stop_icount;
	emu_set_limits(c);
	emu_run_loop(c, false, ex);
	c->one_block = false;
	c->stop_at = UINT64_MAX;
	emu_set_limits(c);
	c->track_writes = false;
}
