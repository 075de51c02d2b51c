/*
 * devices.c - the device table and the two one-register devices.
 *
 * COM1: 16550A UART (uart16550.c), IRQ 4.
 * PIC: 8259A pair at 0x20 / 0xA0 and the ELCR at 0x4D0 (pic8259.c).
 * I/O APIC: at LAYOUT_IOAPIC_BASE (ioapic.c); the local APICs (lapic.c)
 *   are each CPU's own, reached by the CPU, not through the bus. The
 *   interrupt router (irq.c) connects the lines to the 8259s and the I/O
 *   APIC and the controllers to the CPUs.
 * PIT: 8254 at 0x40-0x43 on IRQ 0, and port 0x61 (pit8254.c).
 * RTC: MC146818 and CMOS RAM at 0x70 / 0x71 on IRQ 8 (rtc_cmos.c).
 * ACPI PM1 registers at 0x600-0x605 (acpi_pm.c): what the FADT describes;
 *   S5 through PM1_CNT powers off (status 0).
 * i8042: only the reset line. Reads return all ones, which Linux reads as
 *   "no controller", so it does not wait on a keyboard we do not have;
 *   command 0xFE on port 0x64 ends the VM with RAX_STATUS_RESET.
 * debug-exit (0xF4): QEMU's isa-debug-exit convention, a write of v ends
 *   the process with status (v << 1) | 1 for v up to 62, 127 above
 *   (rax_debug_exit_status() in vm.h).
 * Port 0x80 (POST) and every unclaimed port fall through the bus as
 * harmless: writes dropped, reads all ones.
 */
#include "devices.h"

#include <stdlib.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/ioapic.h"
#include "devices/irq.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/rtc_cmos.h"
#include "devices/uart16550.h"
#include "layout.h"
#include "vm.h"

/* A byte-wide legacy device on a port range; wider accesses are split. */
struct byte_port {
	const char *name;
	uint16_t base, len;
	uint8_t (*read)(struct rax_vm *vm, unsigned off);
	void (*write)(struct rax_vm *vm, unsigned off, uint8_t v);
};

struct port_ctx {
	struct rax_vm *vm;
	const struct byte_port *port;
};

#define MAX_BYTE_PORTS 8

_Static_assert(RAX_MAX_CPUS <= IRQ_MAX_CPUS, "one local APIC per CPU");

struct rax_devices {
	struct pic8259 pic;
	struct pit8254 pit;
	struct rtc_cmos rtc;
	struct acpi_pm pm;
	struct ioapic ioapic;
	struct lapic lapic[IRQ_MAX_CPUS];
	struct irq_router irq;
	bool irqchip; /* the interrupt controllers are these models, not the backend's */
	struct port_ctx ctx[MAX_BYTE_PORTS];
	unsigned nctx;
};

static uint64_t uart_bus_read(void *opaque, uint64_t off, unsigned size) { return uart_read(opaque, (unsigned)off); }

static void uart_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	uart_write(opaque, (unsigned)off, (uint8_t)v);
}

static void uart_irq(void *opaque, int level) { vm_set_irq(opaque, IRQ_COM1, level); }

static void uart_output_closed(void *opaque) { vm_request_stop(opaque, RAX_STATUS_OUTPUT); }

static int com1_init(struct rax_vm *vm, struct rax_err *err)
{
	vm->uart = calloc(1, sizeof(*vm->uart));
	if (!vm->uart)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	if (uart_init(vm->uart, vm->cfg.console_out, uart_irq, uart_output_closed, vm) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "cannot start the console output thread");
	vm->uart->stop = &vm->stop;
	struct bus_device d = { .name = "com1",
				.space = BUS_PIO,
				.base = PORT_COM1,
				.len = 8,
				.opaque = vm->uart,
				.read = uart_bus_read,
				.write = uart_bus_write };
	return bus_register(&vm->bus, &d);
}

static void i8042_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	if ((uint8_t)v == I8042_CMD_RESET)
		vm_request_stop(opaque, RAX_STATUS_RESET);
}

static int i8042_init(struct rax_vm *vm, struct rax_err *err)
{
	struct bus_device d = {
		.name = "i8042", .space = BUS_PIO, .base = PORT_I8042_CMD, .len = 1, .opaque = vm, .write = i8042_write
	};
	return bus_register(&vm->bus, &d);
}

/* The first write ends the run; its value is kept for the message a large one needs. */
static void debug_exit_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct rax_vm *vm = opaque;
	if (!vm->stop && !vm->debug_exit_written) {
		vm->debug_exit_value = v;
		vm->debug_exit_written = true;
	}
	vm_request_stop(vm, rax_debug_exit_status(v));
}

static int debug_exit_init(struct rax_vm *vm, struct rax_err *err)
{
	struct bus_device d = { .name = "debug-exit",
				.space = BUS_PIO,
				.base = PORT_DEBUG_EXIT,
				.len = 1,
				.opaque = vm,
				.write = debug_exit_write };
	return bus_register(&vm->bus, &d);
}

/* ---- byte-wide port devices: PIC, PIT, RTC ---- */

static uint64_t byte_port_read(void *opaque, uint64_t off, unsigned size)
{
	struct port_ctx *c = opaque;
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint64_t b = off + i < c->port->len ? c->port->read(c->vm, (unsigned)(off + i)) : 0xff;
		v |= b << (8 * i);
	}
	return v;
}

static void byte_port_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct port_ctx *c = opaque;
	for (unsigned i = 0; i < size && off + i < c->port->len; i++)
		c->port->write(c->vm, (unsigned)(off + i), (uint8_t)(v >> (8 * i)));
}

static int register_byte_port(struct rax_vm *vm, const struct byte_port *p)
{
	struct rax_devices *d = vm->devices;
	if (d->nctx == MAX_BYTE_PORTS)
		return -1;
	struct port_ctx *c = &d->ctx[d->nctx++];
	c->vm = vm;
	c->port = p;
	struct bus_device bd = { .name = p->name,
				 .space = BUS_PIO,
				 .base = p->base,
				 .len = p->len,
				 .opaque = c,
				 .read = byte_port_read,
				 .write = byte_port_write };
	return bus_register(&vm->bus, &bd);
}

static uint8_t pic_master_read(struct rax_vm *vm, unsigned off) { return pic_read(&vm->devices->pic, 0, off); }

static void pic_master_write(struct rax_vm *vm, unsigned off, uint8_t v) { pic_write(&vm->devices->pic, 0, off, v); }

static uint8_t pic_slave_read(struct rax_vm *vm, unsigned off) { return pic_read(&vm->devices->pic, 1, off); }

static void pic_slave_write(struct rax_vm *vm, unsigned off, uint8_t v) { pic_write(&vm->devices->pic, 1, off, v); }

static uint8_t elcr_read(struct rax_vm *vm, unsigned off) { return pic_elcr_read(&vm->devices->pic, off); }

static void elcr_write(struct rax_vm *vm, unsigned off, uint8_t v) { pic_elcr_write(&vm->devices->pic, off, v); }

static const struct byte_port pic_ports[] = {
	{ "pic-master", PORT_PIC_MASTER, 2, pic_master_read, pic_master_write },
	{ "pic-slave", PORT_PIC_SLAVE, 2, pic_slave_read, pic_slave_write },
	{ "elcr", PORT_ELCR, 2, elcr_read, elcr_write },
};

static int pic_dev_init(struct rax_vm *vm, struct rax_err *err)
{
	pic_init(&vm->devices->pic);
	for (size_t i = 0; i < sizeof(pic_ports) / sizeof(pic_ports[0]); i++)
		if (register_byte_port(vm, &pic_ports[i]) < 0)
			return -1;
	return 0;
}

/* OUT0 rose: a pulse, so an emulator sampling the line cannot miss it. */
static void pit_irq_pulse(void *opaque)
{
	vm_set_irq(opaque, IRQ_PIT, 1);
	vm_set_irq(opaque, IRQ_PIT, 0);
}

static uint8_t pit_port_read(struct rax_vm *vm, unsigned off)
{
	return pit_read(&vm->devices->pit, vm_now_ns(vm), off);
}

static void pit_port_write(struct rax_vm *vm, unsigned off, uint8_t v)
{
	pit_write(&vm->devices->pit, vm_now_ns(vm), off, v);
}

static uint8_t portb_read(struct rax_vm *vm, unsigned off) { return pit_portb_read(&vm->devices->pit, vm_now_ns(vm)); }

static void portb_write(struct rax_vm *vm, unsigned off, uint8_t v)
{
	pit_portb_write(&vm->devices->pit, vm_now_ns(vm), v);
}

static const struct byte_port pit_ports[] = {
	{ "pit", PORT_PIT, 4, pit_port_read, pit_port_write },
	{ "sysctl-b", PORT_SYSCTL_B, 1, portb_read, portb_write },
};

static int pit_dev_init(struct rax_vm *vm, struct rax_err *err)
{
	pit_init(&vm->devices->pit, pit_irq_pulse, vm);
	for (size_t i = 0; i < sizeof(pit_ports) / sizeof(pit_ports[0]); i++)
		if (register_byte_port(vm, &pit_ports[i]) < 0)
			return -1;
	return 0;
}

static void rtc_irq(void *opaque, int level) { vm_set_irq(opaque, IRQ_RTC, level); }

static uint8_t rtc_port_read(struct rax_vm *vm, unsigned off)
{
	return rtc_read(&vm->devices->rtc, vm_now_ns(vm), off);
}

static void rtc_port_write(struct rax_vm *vm, unsigned off, uint8_t v)
{
	rtc_write(&vm->devices->rtc, vm_now_ns(vm), off, v);
}

static const struct byte_port rtc_port = { "rtc", PORT_RTC, 2, rtc_port_read, rtc_port_write };

static int rtc_dev_init(struct rax_vm *vm, struct rax_err *err)
{
	rtc_init(&vm->devices->rtc, vm->cfg.rtc_epoch, rtc_irq, vm);
	return register_byte_port(vm, &rtc_port);
}

static uint64_t ioapic_bus_read(void *opaque, uint64_t off, unsigned size)
{
	return ioapic_mmio_read(opaque, (unsigned)off, size);
}

static void ioapic_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	ioapic_mmio_write(opaque, (unsigned)off, size, v);
}

static int ioapic_dev_init(struct rax_vm *vm, struct rax_err *err)
{
	struct bus_device d = { .name = "ioapic",
				.space = BUS_MMIO,
				.base = LAYOUT_IOAPIC_BASE,
				.len = IOAPIC_MMIO_SIZE,
				.opaque = &vm->devices->ioapic,
				.read = ioapic_bus_read,
				.write = ioapic_bus_write };
	return bus_register(&vm->bus, &d);
}

/* S5 through PM1_CNT: the guest powered the machine off. */
static void acpi_power_off(void *opaque) { vm_request_stop(opaque, RAX_STATUS_OK); }

static uint8_t acpi_pm_port_read(struct rax_vm *vm, unsigned off) { return acpi_pm_read(&vm->devices->pm, off); }

static void acpi_pm_port_write(struct rax_vm *vm, unsigned off, uint8_t v) { acpi_pm_write(&vm->devices->pm, off, v); }

static const struct byte_port acpi_pm_port = { "acpi-pm", PORT_ACPI_PM1A_EVT, ACPI_PM_LEN, acpi_pm_port_read,
					       acpi_pm_port_write };

static int acpi_pm_dev_init(struct rax_vm *vm, struct rax_err *err)
{
	acpi_pm_init(&vm->devices->pm, acpi_power_off, vm);
	return register_byte_port(vm, &acpi_pm_port);
}

static const struct {
	const char *name;
	int (*init)(struct rax_vm *vm, struct rax_err *err);
	bool irqchip; /* a backend with an in-kernel irqchip has its own (KVM_CREATE_IRQCHIP/PIT2) */
} device_table[] = {
	{ "com1", com1_init, false },
	{ "i8042", i8042_init, false },
	{ "debug-exit", debug_exit_init, false },
	{ "pic", pic_dev_init, true },
	{ "pit", pit_dev_init, true },
	{ "rtc", rtc_dev_init, false },
	{ "ioapic", ioapic_dev_init, true },
	{ "acpi-pm", acpi_pm_dev_init, false },
};

int devices_register(struct rax_vm *vm, struct rax_err *err)
{
	vm->devices = calloc(1, sizeof(*vm->devices));
	if (!vm->devices)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	struct rax_devices *d = vm->devices;
	/* idle models for the devices a backend keeps in its kernel: no ports, no IRQs */
	pic_init(&d->pic);
	pit_init(&d->pit, pit_irq_pulse, vm);
	ioapic_init(&d->ioapic, &d->irq);
	unsigned ncpus = rax_ncpus(&vm->cfg); /* CPU 0 is the BSP */
	for (unsigned i = 0; i < ncpus; i++)
		lapic_init(&d->lapic[i], &d->irq, i, i == 0);
	irq_router_init(&d->irq, &d->pic, &d->ioapic, d->lapic, ncpus);
	d->irqchip = !(vm->ops && vm->ops->kernel_irqchip);
	for (size_t i = 0; i < sizeof(device_table) / sizeof(device_table[0]); i++) {
		if (device_table[i].irqchip && !d->irqchip)
			continue; /* the backend has its own, in the kernel */
#ifdef RAX_EXPERIMENT_NO_RTC
		if (!strcmp(device_table[i].name, "rtc"))
			continue;
#endif
		err->code = 0;
		if (device_table[i].init(vm, err) < 0) {
			if (!err->code)
				rax_errf(err, RAX_STATUS_HOST, "cannot register device %s", device_table[i].name);
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
	free(vm->devices);
	vm->devices = NULL;
}

void devices_advance(struct rax_vm *vm, uint64_t now_ns)
{
	struct rax_devices *d = vm->devices;
	if (!d)
		return;
	pit_advance(&d->pit, now_ns);
	rtc_advance(&d->rtc, now_ns);
	if (d->irqchip)
		irq_advance(&d->irq, now_ns);
}

uint64_t devices_next_deadline(struct rax_vm *vm)
{
	struct rax_devices *d = vm->devices;
	if (!d)
		return UINT64_MAX;
	uint64_t pit = pit_next_deadline(&d->pit), rtc = rtc_next_deadline(&d->rtc);
	uint64_t t = pit < rtc ? pit : rtc;
	if (d->irqchip) {
		uint64_t apic = irq_next_deadline(&d->irq);
		t = apic < t ? apic : t;
	}
	return t;
}

struct irq_router *devices_irq(struct rax_vm *vm)
{
	return vm->devices && vm->devices->irqchip ? &vm->devices->irq : NULL;
}

void devices_set_line(struct rax_vm *vm, unsigned line, int level)
{
	struct irq_router *r = devices_irq(vm);
	if (r)
		irq_set_line(r, line, level);
}

/*
 * The models in struct rax_devices are plain data whose pointers (the
 * router's controllers, the APICs' bus, the port contexts) point into the
 * same struct or at the VM, so a byte copy of it is its state; the UART
 * lives apart, behind its lock, with its output buffer left out.
 */
size_t devices_state_size(struct rax_vm *vm) { return sizeof(struct rax_devices) + sizeof(struct uart_regs); }

void devices_save(struct rax_vm *vm, void *buf)
{
	memcpy(buf, vm->devices, sizeof(struct rax_devices));
	if (vm->uart)
		uart_save(vm->uart, (struct uart_regs *)((char *)buf + sizeof(struct rax_devices)));
}

void devices_restore(struct rax_vm *vm, const void *buf)
{
	memcpy(vm->devices, buf, sizeof(struct rax_devices));
	if (vm->uart)
		uart_restore(vm->uart, (const struct uart_regs *)((const char *)buf + sizeof(struct rax_devices)));
}
