/*
 * test_dev_util.h - the VM the device unit tests (test_pit.c, test_rtc.c)
 * drive: every device model registered as on the emulator backend (PIC and
 * PIT on the bus), a fake backend whose clock is `fake_now` and whose
 * interrupt lines go to the userspace PIC after a test's observer has seen
 * them, and byte-wide port I/O.
 */
#ifndef RAX_TEST_DEV_UTIL_H
#define RAX_TEST_DEV_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/devices.h"
#include "devices/irq.h"
#include "vm.h"

/* Guest time in nanoseconds: the tests move it, the devices read it. */
static uint64_t fake_now;
static struct rax_vm vm;
/* Sees every interrupt line change before the PIC does (may be NULL). */
static void (*dev_irq_observer)(unsigned irq, int level);

static void fake_set_irq(struct rax_vm *v, unsigned irq, int level)
{
	if (dev_irq_observer)
		dev_irq_observer(irq, level);
	devices_set_line(v, irq, level);
}

/* CPU 0 as the interpreter sees the interrupt router: INTR and the acknowledge cycle. */
static inline bool intr_pending(struct rax_vm *v)
{
	struct irq_router *r = devices_irq(v);
	return r && (irq_cpu_events(r, 0) & IRQ_EV_INTR);
}

static inline int intr_ack(struct rax_vm *v)
{
	struct irq_router *r = devices_irq(v);
	return r ? irq_cpu_ack(r, 0) : -1;
}

static uint64_t fake_now_ns(struct rax_vm *v) { return fake_now; }

static const struct rax_backend_ops fake_ops = { .name = "fake", .set_irq = fake_set_irq, .now_ns = fake_now_ns };

/* Register the devices; the CMOS clock shows rtc_epoch at fake_now == 0. */
static void dev_setup(int64_t rtc_epoch, void (*observer)(unsigned irq, int level))
{
	static int backend_token;
	memset(&vm, 0, sizeof(vm));
	vm.cfg.console_out = open("/dev/null", O_WRONLY);
	vm.cfg.console_in = -1;
	vm.cfg.backend = RAX_BACKEND_EMULATOR; /* PIC and PIT are on the bus */
	vm.cfg.rtc_epoch = rtc_epoch;
	vm.ops = &fake_ops;
	vm.backend = &backend_token;
	dev_irq_observer = observer;
	struct rax_err err = { 0 };
	if (devices_register(&vm, &err) < 0) {
		fprintf(stderr, "devices_register: %s\n", err.msg);
		exit(1);
	}
}

static void dev_teardown(void)
{
	close(vm.cfg.console_out);
	devices_destroy(&vm);
}

static uint8_t in8(uint16_t port) { return (uint8_t)vm_pio_in(&vm, port, 1); }

static void out8(uint16_t port, uint8_t v) { vm_pio_out(&vm, port, 1, v); }

#endif
