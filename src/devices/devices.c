/*
 * devices.c - the device table and the two one-register devices.
 *
 * COM1: 16550A UART (uart16550.c), IRQ 4.
 * i8042: only the reset line. Reads return all ones, which Linux reads as
 *   "no controller", so it does not wait on a keyboard we do not have;
 *   command 0xFE on port 0x64 ends the VM with RAX_STATUS_RESET.
 * debug-exit (0xF4): QEMU's isa-debug-exit convention, a write of v ends
 *   the process with status (v << 1) | 1.
 * Port 0x80 (POST) and every unclaimed port fall through the bus as
 * harmless: writes dropped, reads all ones.
 */
#include "devices.h"

#include <stdlib.h>

#include "devices/uart16550.h"
#include "layout.h"
#include "vm.h"

static uint64_t uart_bus_read(void *opaque, uint64_t off, unsigned size)
{
	return uart_read(opaque, (unsigned)off);
}

static void uart_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	uart_write(opaque, (unsigned)off, (uint8_t)v);
}

static void uart_irq(void *opaque, int level)
{
	vm_set_irq(opaque, IRQ_COM1, level);
}

static int com1_init(struct rax_vm *vm, struct rax_err *err)
{
	vm->uart = calloc(1, sizeof(*vm->uart));
	if (!vm->uart)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	uart_init(vm->uart, vm->cfg.console_out, uart_irq, vm);
	struct bus_device d = { .name = "com1", .space = BUS_PIO, .base = PORT_COM1, .len = 8,
				.opaque = vm->uart, .read = uart_bus_read, .write = uart_bus_write };
	return bus_register(&vm->bus, &d);
}

static void i8042_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	if ((uint8_t)v == I8042_CMD_RESET)
		vm_request_stop(opaque, RAX_STATUS_RESET);
}

static int i8042_init(struct rax_vm *vm, struct rax_err *err)
{
	struct bus_device d = { .name = "i8042", .space = BUS_PIO, .base = PORT_I8042_CMD, .len = 1,
				.opaque = vm, .write = i8042_write };
	return bus_register(&vm->bus, &d);
}

static void debug_exit_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	vm_request_stop(opaque, (int)(((v << 1) | 1) & 0xff));
}

static int debug_exit_init(struct rax_vm *vm, struct rax_err *err)
{
	struct bus_device d = { .name = "debug-exit", .space = BUS_PIO, .base = PORT_DEBUG_EXIT,
				.len = 1, .opaque = vm, .write = debug_exit_write };
	return bus_register(&vm->bus, &d);
}

static const struct {
	const char *name;
	int (*init)(struct rax_vm *vm, struct rax_err *err);
} device_table[] = {
	{ "com1", com1_init },
	{ "i8042", i8042_init },
	{ "debug-exit", debug_exit_init },
};

int devices_register(struct rax_vm *vm, struct rax_err *err)
{
	for (size_t i = 0; i < sizeof(device_table) / sizeof(device_table[0]); i++) {
		err->code = 0;
		if (device_table[i].init(vm, err) < 0) {
			if (!err->code)
				rax_errf(err, RAX_STATUS_HOST, "cannot register device %s",
					 device_table[i].name);
			return -1;
		}
	}
	return 0;
}

void devices_destroy(struct rax_vm *vm)
{
	if (vm->uart) {
		uart_destroy(vm->uart);
		free(vm->uart);
		vm->uart = NULL;
	}
}
