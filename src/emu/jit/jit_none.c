/*
 * jit_none.c - the translator's interface where there is no translator (a
 * host that is not x86-64): nothing is ever translated, and rax refuses
 * --jit on with a clear error before a VM is made.
 */
#include "emu/jit/jit.h"

#include <string.h>

bool emu_jit_supported(void) { return false; }

struct emu_jit *emu_jit_new(unsigned hot_runs)
{
	(void)hot_runs;
	return NULL;
}

void emu_jit_free(struct emu_jit *j) { (void)j; }

bool emu_jit_run(struct emu_cpu *c, struct emu_block *b)
{
	(void)c;
	(void)b;
	return false;
}

void emu_jit_get_stats(const struct emu_jit *j, struct emu_jit_stats *s)
{
	(void)j;
	memset(s, 0, sizeof(*s));
}
