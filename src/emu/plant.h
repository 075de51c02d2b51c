/*
 * plant.h - planted bugs: a debug-only switch that breaks one emulator
 * behaviour on purpose, so tests can prove rax-diff finds it precisely.
 *
 * RAX_EMU_PLANT=flag|result|memory|fault|fastop|jit|jit-adc|jit-inc, read once by
 * emu_plant_init():
 *   flag    ADD computes CF inverted
 *   result  SUB's result is off by one
 *   memory  MOV to memory stores the low byte XOR 0x01
 *   fault   DIV/IDIV by zero does not raise #DE (the destination is left alone)
 *   fastop  the fast path's ADD r/m64, r64 register form (fastpath.c) drops
 *           the carry from bit 31 into bit 32; the ADD handler stays right
 *   jit     the translator's ADD r/m64, r64 register form (jit/jit.c) adds
 *           only the low halves (the result's high half is lost); the
 *           interpreter stays right
 *   jit-adc the translator's ADC forms add no carry in (the result is one
 *           short when CF was set); the lazy carry in stays right
 *   jit-inc the translator's INC/DEC forms keep CF clear instead of the
 *           CF before them
 * Unset (the default) costs one predictable branch in those handlers; the
 * first four turn the fast ops off (their bugs live in the handlers), fastop
 * is chosen at decode time and costs the block runner nothing, the jit
 * ones at translation time.
 */
#ifndef RAX_EMU_PLANT_H
#define RAX_EMU_PLANT_H

enum emu_plant_kind {
	EMU_PLANT_NONE,
	EMU_PLANT_FLAG,
	EMU_PLANT_RESULT,
	EMU_PLANT_MEMORY,
	EMU_PLANT_FAULT,
	EMU_PLANT_FASTOP,
	EMU_PLANT_JIT,
	EMU_PLANT_JIT_ADC,
	EMU_PLANT_JIT_INC
};

extern int emu_plant;

/* A plant that breaks handlers (flag, result, memory, fault): every
 * instruction must reach its handler (no fast op, no translated form). */
static inline int emu_plant_in_handlers(void)
{
	return emu_plant == EMU_PLANT_FLAG || emu_plant == EMU_PLANT_RESULT || emu_plant == EMU_PLANT_MEMORY ||
		emu_plant == EMU_PLANT_FAULT;
}

/* Read RAX_EMU_PLANT (idempotent; called by the emulator's create). */
void emu_plant_init(void);

#endif
