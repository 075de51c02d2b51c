/*
 * devices.h - the platform's device table.
 *
 * devices_register() puts every device on the VM's bus from one explicit
 * table in devices.c. Small devices with no state worth a file of their
 * own (i8042 reset line, debug-exit port) live in devices.c too.
 */
#ifndef RAX_DEVICES_H
#define RAX_DEVICES_H

#include "err.h"

struct rax_vm;

int devices_register(struct rax_vm *vm, struct rax_err *err);
void devices_destroy(struct rax_vm *vm);

/* i8042 command that pulses the CPU reset line. */
#define I8042_CMD_RESET 0xfe

#endif
