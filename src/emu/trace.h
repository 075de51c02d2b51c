/*
 * trace.h - rax --trace: one record per retired instruction on the
 * interpreter (position, CPU, CS:RIP, bytes, disassembly, the GPRs and
 * RFLAGS it changed, the guest-physical memory it wrote), in a window of
 * positions and an optional RIP range.
 *
 * The machine runs to the window's first position with an exact stop
 * (history.h: history_run_to), so nothing before it costs anything; inside
 * the window a per-instruction hook (cpu.h: phase 0 after an instruction
 * retired, phase 1 before the next one runs) writes the records. After the
 * window the run goes on untraced.
 *
 * Text: one line per instruction,
 *   COUNT cpuK CS:RIP BYTES DISASM[ ; REG=VALUE... [GPA]SIZE=VALUE...]
 * COUNT is the position before the instruction (0 for the first one the
 * machine retires), CS 4 hex digits, RIP 16, BYTES in hex padded to 30
 * columns, values in hex without leading zeros, memory as guest-physical
 * address, size in bytes and the value written. An interrupt or exception
 * delivered between two instructions gets a line
 *   COUNT cpuK -> CS:RIP (event at FROM)
 * Binary (--trace-format binary, or a FILE ending in .bin): see
 * docs/TRACE.md; tools/rax-trace.py turns it into the same text.
 */
#ifndef RAX_EMU_TRACE_H
#define RAX_EMU_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "err.h"

struct rax_vm;

enum trace_format { TRACE_TEXT, TRACE_BINARY };

struct trace_options {
	const char *path;
	uint64_t from;   /* first position traced */
	uint64_t count;  /* positions traced; 0: to the end */
	uint64_t rip_lo; /* instructions with rip_lo <= RIP < rip_hi only */
	uint64_t rip_hi; /* (0, UINT64_MAX: every RIP) */
	enum trace_format format;
};

/* Start a trace on an interpreter VM (after the backend exists): the next
 * run() goes through it. -1 with err: not the interpreter, cannot write. */
int trace_open(struct rax_vm *vm, const struct trace_options *o, struct rax_err *err);
/* Flush and close (also ends a window still open); returns the records written. */
uint64_t trace_close(struct rax_vm *vm);
/* The interpreter's run() while a trace is open (emu_backend.c). */
int trace_backend_run(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err);

#endif
