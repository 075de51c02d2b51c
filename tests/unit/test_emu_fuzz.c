/*
 * test_emu_fuzz.c - random bytes through the decoder and the interpreter.
 *
 * Deterministic (fixed xorshift seed), bounded to about 3 seconds. Each round
 * fills a code page with random bytes (biased towards real opcodes by mixing
 * in prefixes and ModRM-heavy bytes), randomises the GPRs and some flags and
 * steps up to 64 instructions. The test only asserts that nothing crashes
 * (ASan/UBSan builds catch memory errors) and that every exit is a defined
 * kind; the disassembler is run on every decoded instruction too.
 */
#include <stdio.h>
#include <time.h>

#include "emu/decode.h"
#include "test_emu_util.h"
#include "unit.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
	static struct tvm t;
	double end = now() + 3.0;
	unsigned long rounds = 0, steps = 0, decoded = 0;
	unsigned long kinds[8] = { 0 };
	bool bad_kind = false;

	/* decoder alone: random 15-byte windows */
	for (unsigned i = 0; i < 200000; i++) {
		uint8_t b[15];
		for (unsigned k = 0; k < 15; k++)
			b[k] = (uint8_t)next();
		struct emu_insn in;
		unsigned avail = 1 + (unsigned)(next() % 15);
		if (emu_decode(b, avail, &in) == EMU_DEC_OK) {
			char buf[128];
			CHECK(in.len >= 1 && in.len <= avail);
			emu_disasm_at(&in, next(), buf, sizeof(buf));
			decoded++;
		}
	}

	tv_init(&t);
	while (now() < end) {
		if ((rounds & 63) == 0) { /* occasionally start from a clean machine */
			tv_free(&t);
			tv_init(&t);
		}
		uint8_t *code = tv_ptr(&t, TV_CODE);
		for (unsigned k = 0; k < 4096; k++) {
			uint64_t r = next();
			code[k] = (r & 0x300) == 0 ? (uint8_t)(0x40 | (r >> 16 & 15)) : (uint8_t)r;
		}
		struct rax_cpu_state *s = &t.s;
		tv_get(&t);
		for (unsigned r = 0; r < 16; r++) {
			uint64_t v = next();
			/* keep many pointers inside RAM so memory forms do real work */
			s->gpr[r] = (v & 1) ? (v >> 8) % TV_MEM : v;
		}
		s->gpr[RAX_REG_RSP] = TV_STACK - (next() & 0xff0);
		s->gpr[RAX_REG_RCX] &= 0xffff; /* bound REP counts */
		s->rip = TV_CODE + (next() & 0x7ff);
		s->rflags = RFLAGS_FIXED1 | (next() & (RFLAGS_STATUS | RFLAGS_DF));
		if (!(next() & 7))
			s->rflags |= RFLAGS_TF;
		/* a fault handler may have left us at CPL0 in a handler: back to a sane mode */
		cpu_state_flat64(&s->seg[RAX_SEG_CS], &s->seg[RAX_SEG_DS], 0);
		s->seg[RAX_SEG_CS].selector = SEL_KCODE;
		s->seg[RAX_SEG_DS].selector = SEL_KDATA;
		s->seg[RAX_SEG_ES] = s->seg[RAX_SEG_SS] = s->seg[RAX_SEG_DS];
		if (s->cr3 != TV_PML4 || !(s->cr0 & CR0_PG)) {
			s->cr3 = TV_PML4;
			s->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_WP | CR0_NE;
		}
		s->cr4 = CR4_PAE;
		s->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
		s->idt.base = TV_IDT;
		s->idt.limit = 0xfff;
		s->gdt.base = TV_GDT;
		s->gdt.limit = 0x37;
		tv_set(&t);
		struct rax_err err;
		for (unsigned i = 0; i < 64; i++) {
			t.vm.ops->step(&t.vm, &t.ex, &err);
			steps++;
			unsigned k = t.ex.kind;
			if (k >= 8 ||
			    (k != RAX_EXIT_STEP && k != RAX_EXIT_HLT && k != RAX_EXIT_SHUTDOWN &&
			     k != RAX_EXIT_INTERNAL && k != RAX_EXIT_STOP)) {
				bad_kind = true;
				break;
			}
			kinds[k]++;
			if (k != RAX_EXIT_STEP)
				break;
		}
		/* guests may rewrite their page tables and IDT: repair the basics */
		tv_w64(&t, TV_PML4, TV_PDPT | 7);
		tv_w64(&t, TV_PDPT, TV_PD | 7);
		rounds++;
	}
	CHECK(!bad_kind);
	CHECK(rounds > 100);
	printf("fuzz: %lu decoder hits, %lu rounds, %lu steps (step %lu, hlt %lu, shutdown %lu, internal %lu)\n",
	       decoded, rounds, steps, kinds[RAX_EXIT_STEP], kinds[RAX_EXIT_HLT], kinds[RAX_EXIT_SHUTDOWN],
	       kinds[RAX_EXIT_INTERNAL]);
	tv_free(&t);
	return unit_finish("test_emu_fuzz");
}
