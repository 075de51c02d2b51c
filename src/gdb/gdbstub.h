/*
 * gdbstub.h - a GDB remote stub on RAX's backend interface (either backend).
 *
 * `rax --gdb tcp:HOST:PORT` or `--gdb unix:PATH` listens; gdb attaches
 * with `target remote HOST:PORT`. The stub speaks to the VM only through
 * struct rax_backend_ops (per-CPU state, one-instruction steps, translate,
 * breakpoints) and vm_run's debugger hooks (struct rax_vm_debugger).
 */
#ifndef RAX_GDB_GDBSTUB_H
#define RAX_GDB_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct rax_vm;
struct gdb_stub;

/* Check a --gdb value ("tcp:HOST:PORT", "tcp::PORT", "unix:PATH"); 0 or -1
 * with one line in msg. */
int gdb_spec_check(const char *spec, char *msg, size_t n);

/*
 * Listen on spec and attach to vm (vm->debugger). With wait, vm_run stops
 * before the first instruction until a gdb attaches and resumes it;
 * otherwise the guest runs and a gdb may attach at any time (the guest
 * stops then). One line on stderr says where it listens.
 */
int gdb_stub_open(struct rax_vm *vm, const char *spec, bool wait, struct gdb_stub **out, struct rax_err *err);
void gdb_stub_close(struct gdb_stub *g);

#endif
