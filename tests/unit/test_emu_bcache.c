/*
 * test_emu_bcache.c - the decode cache's flush (emu_dcache_flush: a new
 * epoch, cpu.h). Code is rewritten behind the emulator's back (through the
 * host mapping: no page generation moves), so only the flush that
 * set_state makes can drop the old blocks; a block decoded before it must
 * not run again: not from the block cache, not after the epoch counter
 * came round (EMU_BC_EPOCHS flushes), and with the translator not through
 * a chained link or a translation reused from before. Nor may a block
 * whose cache entry another block took be reached through a link. A block
 * run at a second linear address (its page mapped twice) is translated
 * again for it.
 */
#include <stdio.h>
#include <string.h>

#include "emu/cpu.h"
#include "emu/jit/jit.h"
#include "test_emu_util.h"
#include "unit.h"

static struct tvm t;

static struct emu_cpu *cpu(void) { return t.vm.backend; }

/* A fresh machine; jit: every block translated on its first whole run. */
static void fresh(bool jit) { tv_fresh_jit(&t, jit); }

static void put(uint64_t gpa, const char *hex)
{
	uint8_t code[64];
	size_t n = unit_hex(hex, code);
	memcpy(tv_ptr(&t, gpa), code, n);
}

/* Run from TV_CODE (set_state, which flushes, then run) to the HLT; RAX. */
static uint64_t run_rax(void)
{
	t.s.rip = TV_CODE;
	t.s.gpr[RAX_REG_RAX] = 0;
	t.s.gpr[RAX_REG_RSP] = TV_STACK;
	CHECK_EQ(tv_run(&t), RAX_EXIT_HLT);
	return t.s.gpr[RAX_REG_RAX];
}

/* mov eax, 1 / hlt, then mov eax, 2 / hlt in its place */
static void test_flushed_block_misses(bool jit)
{
	fresh(jit);
	put(TV_CODE, "b8 01 00 00 00 f4");
	CHECK_EQ(run_rax(), 1);
	CHECK_EQ(run_rax(), 1);
	put(TV_CODE, "b8 02 00 00 00 f4");
	CHECK_EQ(run_rax(), 2);
}

/* The same across the epoch's wraparound: after the run decoded the block,
 * EMU_BC_EPOCHS - 1 flushes and set_state's make EMU_BC_EPOCHS, and the
 * epoch is the block's again. */
static void test_flushed_block_misses_after_wraparound(bool jit)
{
	fresh(jit);
	put(TV_CODE, "b8 01 00 00 00 f4");
	CHECK_EQ(run_rax(), 1);
	uint64_t epoch = cpu()->bc_epoch;
	put(TV_CODE, "b8 02 00 00 00 f4");
	for (uint64_t i = 0; i < EMU_BC_EPOCHS - 1; i++)
		emu_dcache_flush(cpu());
	CHECK(cpu()->bc_epoch != epoch);
	CHECK_EQ(run_rax(), 2);
	CHECK_EQ(cpu()->bc_epoch, epoch); /* it did come round */
	/* and on: the block decoded in the new round is found, then flushed */
	CHECK_EQ(run_rax(), 2);
	put(TV_CODE, "b8 03 00 00 00 f4");
	CHECK_EQ(run_rax(), 3);
}

/* Run on from where the last run stopped (no set_state: TLB kept); RAX. */
static uint64_t run_on(void)
{
	struct rax_err err;
	t.vm.ops->run(&t.vm, &t.ex, &err);
	tv_get(&t);
	CHECK_EQ(t.ex.kind, RAX_EXIT_HLT);
	return t.s.gpr[RAX_REG_RAX];
}

/*
 * Two translated blocks chained through a link, on two pages:
 *	X: mov eax, 1 / jmp Y
 *	Y: add eax, 10 / hlt / jmp X	(then add eax, 20 in its place)
 * Each run goes on after the HLT, the fetch TLB kept. After the flush X is
 * decoded again and gets its translation back (reuse: the same bytes),
 * whose link still names Y's old block cache entry, which nothing decoded
 * again and the fetch TLB still maps: the link must miss. The links
 * filled again after it must be taken.
 */
static void test_flushed_block_not_reached_through_link(void)
{
	fresh(true);
	put(TV_CODE, "b8 01 00 00 00 e9 f6 0f 00 00");
	put(TV_CODE + 0x1000, "83 c0 0a f4 e9 f7 ef ff ff");
	CHECK_EQ(run_rax(), 11);
	CHECK_EQ(run_on(), 11);
	CHECK_EQ(run_on(), 11);
	struct emu_jit_stats a, b;
	emu_jit_vm_stats(&t.vm, &a);
	CHECK(a.links >= 2); /* X to Y, Y's JMP to X */
	put(TV_CODE + 0x1000, "83 c0 14");
	emu_dcache_flush(cpu());
	CHECK_EQ(run_on(), 21);
	emu_jit_vm_stats(&t.vm, &b);
	CHECK(b.runs > a.runs); /* it did run translated */
	/* the links filled again in this epoch are taken (not filled anew) */
	CHECK_EQ(run_on(), 21);
	emu_jit_vm_stats(&t.vm, &a);
	CHECK_EQ(run_on(), 21);
	emu_jit_vm_stats(&t.vm, &b);
	CHECK_EQ(b.links, a.links);
	CHECK(b.runs > a.runs);
}

/*
 * A block whose cache entry goes to another block (no flush, no write the
 * emulator sees): links to it are checked again before they are taken.
 *	X: mov eax, 1 / jmp Y
 *	Y: add eax, 10 / hlt / jmp X	(then add eax, 20 in its place)
 *	Z: hlt, where its block takes Y's cache entry
 * Links X to Y are taken by the third run; then Y is rewritten behind the
 * emulator's back and Z run (from a RIP set by hand: set_state would
 * flush): a run from X must decode Y again, not take the link to Y's old
 * translation.
 */
static void test_evicted_block_not_reached_through_link(void)
{
	const uint64_t y = TV_CODE + 0x1000, z = 0x109001;
	const unsigned slot = (unsigned)((y ^ (y >> EMU_BCACHE_BITS)) & (EMU_BCACHE_SIZE - 1)); /* fetch_block's */
	CHECK_EQ((z ^ (z >> EMU_BCACHE_BITS)) & (EMU_BCACHE_SIZE - 1), slot);
	fresh(true);
	put(TV_CODE, "b8 01 00 00 00 e9 f6 0f 00 00");
	put(y, "83 c0 0a f4 e9 f7 ef ff ff");
	put(z, "f4");
	CHECK_EQ(run_rax(), 11);
	CHECK_EQ(run_on(), 11);
	CHECK_EQ(run_on(), 11);
	put(y, "83 c0 14");
	cpu()->rip = z;
	CHECK_EQ(run_on(), 11);
	CHECK_EQ(emu_btag_gpa(cpu()->bcache[slot].tag), z); /* Y's entry is Z's */
	cpu()->rip = TV_CODE;
	CHECK_EQ(run_on(), 21);
}

/*
 * B (add eax, 1 / ret) called at its address, then at an alias of its page
 * (the first 2 MiB mapped again at 0x20000000), in one run: the same
 * decoded block, its translation made for the first address; the second
 * call gets its own.
 */
static void test_block_at_an_alias_translated_again(void)
{
	fresh(true);
	tv_w64(&t, TV_PD + 256 * 8, 0x87); /* 0x20000000 -> 0 */
	put(TV_CODE, "e8 1b 00 00 00 ba 20 00 10 20 ff d2 f4");
	put(TV_CODE + 0x20, "83 c0 01 c3");
	struct emu_jit_stats s;
	CHECK_EQ(run_rax(), 2);
	emu_jit_get_stats(cpu()->jit, &s);
	CHECK_EQ(s.realiased, 1);
}

int main(void)
{
	tv_init(&t);
	for (int jit = 0; jit < (emu_jit_supported() ? 2 : 1); jit++) {
		test_flushed_block_misses(jit);
		test_flushed_block_misses_after_wraparound(jit);
	}
	if (emu_jit_supported()) {
		test_flushed_block_not_reached_through_link();
		test_evicted_block_not_reached_through_link();
		test_block_at_an_alias_translated_again();
	}
	tv_free(&t);
	return unit_finish("test_emu_bcache");
}
