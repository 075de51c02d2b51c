/*
 * devices.h - the platform's device table.
 *
 * devices_register() puts every device on the VM's bus from one explicit
 * table in devices.c. Small devices with no state worth a file of their
 * own (i8042 reset line, debug-exit port) live in devices.c too. The
 * interrupt and timer models (8259 pair, I/O APIC, local APICs, 8254 +
 * port 0x61, CMOS RTC) live in struct rax_devices; they read guest time
 * only through vm_now_ns() and the times backends pass to
 * devices_advance().
 */
#ifndef RAX_DEVICES_H
#define RAX_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct rax_vm;

int devices_register(struct rax_vm *vm, struct rax_err *err);
void devices_destroy(struct rax_vm *vm);

/* Bring the timer devices (PIT, RTC, local APIC timers) up to guest time now_ns, raising the
 * interrupts that became due. Called by backends from the CPU thread. */
void devices_advance(struct rax_vm *vm, uint64_t now_ns);
/* Earliest guest time at which devices_advance() has something to do;
 * UINT64_MAX when no timer is armed. */
uint64_t devices_next_deadline(struct rax_vm *vm);

/* The interrupt router (irq.h: lines to the 8259s and the I/O APIC, the
 * controllers to the CPUs) when the interrupt controllers are these models
 * (a backend without an in-kernel irqchip); NULL otherwise. */
struct irq_router *devices_irq(struct rax_vm *vm);
/* Set interrupt line `line` (irq.h) now, on the CPU thread; nothing when
 * the backend has the controllers in its kernel. */
void devices_set_line(struct rax_vm *vm, unsigned line, int level);

/* The device models' state as one image (history.c): the PIC, PIT, RTC,
 * ACPI PM, I/O APIC, local APICs, the interrupt router and the UART's
 * registers. devices_save fills devices_state_size() bytes; restore puts
 * them back (same VM). */
size_t devices_state_size(struct rax_vm *vm);
void devices_save(struct rax_vm *vm, void *buf);
void devices_restore(struct rax_vm *vm, const void *buf);

/* i8042 command that pulses the CPU reset line. */
#define I8042_CMD_RESET 0xfe

#endif
