/*
 * emu_gdb.h - the interpreter's side of the debugger ops in struct
 * rax_backend_ops (emu_gdb.c): per-CPU state, translate, one-instruction
 * steps, breakpoints, debugger writes, and reverse execution on history.h.
 */
#ifndef RAX_EMU_GDB_H
#define RAX_EMU_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "err.h"

struct rax_vm;
struct emu_cpu;

int emu_gdb_get_state(struct rax_vm *vm, unsigned cpu, struct rax_cpu_state *s, struct rax_err *err);
int emu_gdb_set_state(struct rax_vm *vm, unsigned cpu, const struct rax_cpu_state *s, struct rax_err *err);
int emu_gdb_translate(struct rax_vm *vm, unsigned cpu, uint64_t gva, uint64_t *gpa);
int emu_gdb_step(struct rax_vm *vm, unsigned cpu, struct rax_exit *ex, struct rax_err *err);
int emu_gdb_set_breakpoints(struct rax_vm *vm, const struct rax_breakpoint *bp, unsigned n, struct rax_err *err);
int emu_gdb_mem_write(struct rax_vm *vm, uint64_t gpa, const void *buf, size_t len, struct rax_err *err);
uint64_t emu_gdb_icount(struct rax_vm *vm);
bool emu_gdb_can_reverse(struct rax_vm *vm);
int emu_gdb_reverse(struct rax_vm *vm, unsigned cpu, bool step, struct rax_exit *ex, struct rax_err *err);

#endif
