/*
 * plant.h - planted bugs: a debug-only switch that breaks one emulator
 * behaviour on purpose, so tests can prove rax-diff finds it precisely.
 *
 * RAX_EMU_PLANT=flag|result|memory|fault, read once by emu_plant_init():
 *   flag    ADD computes CF inverted
 *   result  SUB's result is off by one
 *   memory  MOV to memory stores the low byte XOR 0x01
 *   fault   DIV/IDIV by zero does not raise #DE (the destination is left alone)
 * Unset (the default) costs one predictable branch in those handlers.
 */
#ifndef RAX_EMU_PLANT_H
#define RAX_EMU_PLANT_H

enum emu_plant_kind { EMU_PLANT_NONE, EMU_PLANT_FLAG, EMU_PLANT_RESULT, EMU_PLANT_MEMORY, EMU_PLANT_FAULT };

extern int emu_plant;

/* Read RAX_EMU_PLANT (idempotent; called by the emulator's create). */
void emu_plant_init(void);

#endif
