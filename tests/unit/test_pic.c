/*
 * test_pic.c - the 8259A pair through its ports, as Linux drives it:
 * probe and init_8259A, masks, EOIs, nesting, cascade, spurious IRQ 7 / 15,
 * ELCR level lines, AEOI, rotation, poll, special mask and SFNM modes.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/devices.h"
#include "devices/irq.h"
#include "layout.h"
#include "unit.h"
#include "vm.h"

static uint64_t fake_now;

static void fake_set_irq(struct rax_vm *vm, unsigned irq, int level) { devices_set_line(vm, irq, level); }

/* CPU 0 as the interpreter sees the interrupt router: INTR and the acknowledge cycle. */
static bool intr_pending(struct rax_vm *v)
{
	struct irq_router *r = devices_irq(v);
	return r && (irq_cpu_events(r, 0) & IRQ_EV_INTR);
}

static int intr_ack(struct rax_vm *v)
{
	struct irq_router *r = devices_irq(v);
	return r ? irq_cpu_ack(r, 0) : -1;
}

static uint64_t fake_now_ns(struct rax_vm *vm) { return fake_now; }

static const struct rax_backend_ops fake_ops = { .name = "fake", .set_irq = fake_set_irq, .now_ns = fake_now_ns };

static void setup(struct rax_vm *vm)
{
	static int backend_token;
	memset(vm, 0, sizeof(*vm));
	vm->cfg.console_out = open("/dev/null", O_WRONLY);
	vm->cfg.console_in = -1;
	vm->cfg.backend = RAX_BACKEND_EMULATOR; /* PIC and PIT are on the bus */
	vm->ops = &fake_ops;
	vm->backend = &backend_token;
	struct rax_err err = { 0 };
	if (devices_register(vm, &err) < 0) {
		fprintf(stderr, "devices_register: %s\n", err.msg);
		exit(1);
	}
}

static struct rax_vm vm;

static uint8_t in8(uint16_t port) { return (uint8_t)vm_pio_in(&vm, port, 1); }

static void out8(uint16_t port, uint8_t v) { vm_pio_out(&vm, port, 1, v); }

#define MCMD 0x20
#define MIMR 0x21
#define SCMD 0xa0
#define SIMR 0xa1

/* OCW3 read of ISR, then back to IRR as Linux leaves it. */
static uint8_t isr(uint16_t cmd)
{
	out8(cmd, 0x0b);
	uint8_t v = in8(cmd);
	out8(cmd, 0x0a);
	return v;
}

static uint8_t irr(uint16_t cmd)
{
	out8(cmd, 0x0a);
	return in8(cmd);
}

static void pulse(unsigned irq)
{
	devices_set_line(&vm, irq, 1);
	devices_set_line(&vm, irq, 0);
}

/* arch/x86/kernel/i8259.c init_8259A(), vectors 0x30 / 0x38 */
static void init_8259A(uint8_t master_icw4)
{
	out8(MIMR, 0xff);
	out8(SIMR, 0xff);
	out8(MCMD, 0x11); /* ICW1: edge, cascade, ICW4 */
	out8(MIMR, 0x30); /* ICW2: vector base */
	out8(MIMR, 0x04); /* ICW3: slave on IR2 */
	out8(MIMR, master_icw4);
	out8(SCMD, 0x11);
	out8(SIMR, 0x38);
	out8(SIMR, 0x02); /* ICW3: slave ID 2 */
	out8(SIMR, 0x01); /* ICW4: 8086 mode */
}

static void eoi_all(void)
{
	while (isr(SCMD))
		out8(SCMD, 0x20);
	while (isr(MCMD))
		out8(MCMD, 0x20);
}

int main(void)
{
	setup(&vm);

	/* before ICW1: masks read back (probe_8259A), but nothing is presented */
	out8(SIMR, 0xff);
	out8(MIMR, 0xfb);
	CHECK_EQ(in8(MIMR), 0xfb);
	devices_set_line(&vm, 0, 1);
	CHECK(!intr_pending(&vm));
	devices_set_line(&vm, 0, 0);

	/* init_8259A: after the ICWs the masks are clear, IRR is what OCW3 reads */
	init_8259A(0x01);
	CHECK_EQ(in8(MIMR), 0x00);
	CHECK_EQ(in8(SIMR), 0x00);
	CHECK_EQ(in8(MCMD), 0x00); /* the edge seen before ICW1 was reset */
	CHECK(!intr_pending(&vm));
	out8(MIMR, 0xfb);
	out8(SIMR, 0xff);
	CHECK_EQ(in8(MIMR), 0xfb);

	/* IRQ 0: a pulse is latched, acknowledged into ISR, ended by a specific EOI */
	out8(MIMR, 0xfa);
	pulse(0);
	CHECK(intr_pending(&vm));
	CHECK_EQ(irr(MCMD), 0x01);
	CHECK_EQ(intr_ack(&vm), 0x30);
	CHECK_EQ(isr(MCMD), 0x01);
	CHECK_EQ(irr(MCMD), 0x00);
	CHECK(!intr_pending(&vm));
	pulse(0); /* same level while in service: held in IRR */
	CHECK_EQ(irr(MCMD), 0x01);
	CHECK(!intr_pending(&vm));
	out8(MCMD, 0x60); /* specific EOI, IR0 */
	CHECK_EQ(isr(MCMD), 0x00);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x30);
	out8(MCMD, 0x60);
	CHECK(!intr_pending(&vm));

	/* fully nested priorities */
	out8(MIMR, 0xc8); /* 0, 1, 2, 4, 5 open */
	pulse(4);
	CHECK_EQ(intr_ack(&vm), 0x34);
	pulse(5);
	CHECK(!intr_pending(&vm)); /* lower than IR4 in service */
	pulse(1);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x31);
	CHECK_EQ(isr(MCMD), 0x12);
	out8(MCMD, 0x20); /* non-specific EOI ends the highest: IR1 */
	CHECK_EQ(isr(MCMD), 0x10);
	CHECK(!intr_pending(&vm));
	out8(MCMD, 0x20);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x35);
	out8(MCMD, 0x20);
	CHECK_EQ(isr(MCMD), 0x00);

	/* a masked request waits in IRR */
	pulse(3);
	CHECK(!intr_pending(&vm));
	CHECK_EQ(irr(MCMD), 0x08);
	out8(MIMR, 0xc0);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x33);
	out8(MCMD, 0x63);

	/* edge sensing: a line held high requests once */
	devices_set_line(&vm, 4, 1);
	CHECK_EQ(intr_ack(&vm), 0x34);
	out8(MCMD, 0x64);
	CHECK(!intr_pending(&vm));
	devices_set_line(&vm, 4, 1); /* still high: no edge */
	CHECK(!intr_pending(&vm));
	devices_set_line(&vm, 4, 0);
	devices_set_line(&vm, 4, 1);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x34);
	out8(MCMD, 0x64);
	devices_set_line(&vm, 4, 0);

	/* the slave through IR2 (Linux: specific EOI to the slave, then to IR2) */
	out8(SIMR, 0xee); /* IRQ 8 and 12 open */
	pulse(8);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x38);
	CHECK_EQ(isr(MCMD), 0x04);
	CHECK_EQ(isr(SCMD), 0x01);
	pulse(12);
	CHECK(!intr_pending(&vm));
	out8(SCMD, 0x60);
	out8(MCMD, 0x62);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x3c);
	CHECK_EQ(isr(SCMD), 0x10);
	out8(SCMD, 0x64);
	out8(MCMD, 0x62);
	CHECK(!intr_pending(&vm));
	/* IRQ 8-15 rank between IRQ 1 and IRQ 3 */
	pulse(3);
	CHECK_EQ(intr_ack(&vm), 0x33);
	pulse(8);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x38);
	pulse(1);
	CHECK_EQ(intr_ack(&vm), 0x31);
	CHECK_EQ(isr(MCMD), 0x0e);
	eoi_all();

	/* spurious IRQ 7: nothing to acknowledge, ISR untouched */
	CHECK_EQ(intr_ack(&vm), 0x37);
	CHECK_EQ(isr(MCMD), 0x00);

	/* ELCR: IRQ 0, 1, 2, 8, 13 are edge only */
	out8(0x4d0, 0xff);
	out8(0x4d1, 0xff);
	CHECK_EQ(in8(0x4d0), 0xf8);
	CHECK_EQ(in8(0x4d1), 0xde);
	out8(0x4d0, 0x00);
	out8(0x4d1, 0x00);

	/* a level line that drops before INTA: spurious IRQ 7 */
	out8(0x4d0, 0x20);
	devices_set_line(&vm, 5, 1);
	CHECK(intr_pending(&vm));
	CHECK_EQ(irr(MCMD), 0x20);
	devices_set_line(&vm, 5, 0);
	CHECK_EQ(irr(MCMD), 0x00);
	CHECK(!intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x37);
	CHECK_EQ(isr(MCMD), 0x00);
	out8(0x4d0, 0x00);

	/* level-sensed IRQ 11: requests again after EOI while the line stays high */
	out8(0x4d1, 0x08);
	out8(SIMR, 0xe6);
	devices_set_line(&vm, 11, 1);
	CHECK_EQ(intr_ack(&vm), 0x3b);
	out8(SCMD, 0x63);
	out8(MCMD, 0x62);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x3b);
	devices_set_line(&vm, 11, 0);
	out8(SCMD, 0x63);
	out8(MCMD, 0x62);
	CHECK(!intr_pending(&vm));
	CHECK_EQ(irr(SCMD), 0x00);

	/* spurious IRQ 15: the slave's request vanished after the master latched IR2 */
	devices_set_line(&vm, 11, 1);
	devices_set_line(&vm, 11, 0);
	CHECK(intr_pending(&vm)); /* master IR2 edge is latched */
	CHECK_EQ(intr_ack(&vm), 0x3f);
	CHECK_EQ(isr(MCMD), 0x04);
	CHECK_EQ(isr(SCMD), 0x00);
	out8(MCMD, 0x62);
	CHECK(!intr_pending(&vm));
	out8(0x4d1, 0x00);

	/* AEOI (ICW4 bit 1): acknowledge without ISR */
	init_8259A(0x03);
	out8(MIMR, 0xfa);
	out8(SIMR, 0xff);
	pulse(0);
	CHECK_EQ(intr_ack(&vm), 0x30);
	CHECK_EQ(isr(MCMD), 0x00);
	pulse(0);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x30);

	/* rotation: set priority (IR3 lowest), rotate on non-specific EOI */
	init_8259A(0x01);
	out8(MIMR, 0xe8); /* 0, 1, 2, 4 open */
	out8(SIMR, 0xff);
	out8(MCMD, 0xc3);
	pulse(1);
	pulse(4);
	CHECK_EQ(intr_ack(&vm), 0x34); /* IR4 is now the highest */
	out8(MCMD, 0x20);
	CHECK_EQ(intr_ack(&vm), 0x31);
	out8(MCMD, 0xa0); /* rotate: IR1 becomes the lowest */
	CHECK_EQ(isr(MCMD), 0x00);
	pulse(0);
	pulse(4);
	CHECK_EQ(intr_ack(&vm), 0x34); /* order is 2, 3, 4, ..., 0, 1 */
	out8(MCMD, 0x64);
	CHECK_EQ(intr_ack(&vm), 0x30);
	out8(MCMD, 0xe0); /* rotate on specific EOI of IR0: IR0 lowest */
	pulse(0);
	pulse(1);
	CHECK_EQ(intr_ack(&vm), 0x31);
	out8(MCMD, 0x61);
	CHECK_EQ(intr_ack(&vm), 0x30);
	out8(MCMD, 0x60);
	out8(MCMD, 0xc7); /* back to IR0 highest */

	/* poll mode: the read acknowledges */
	pulse(1);
	out8(MCMD, 0x0c);
	CHECK_EQ(in8(MCMD), 0x81);
	CHECK_EQ(isr(MCMD), 0x02);
	CHECK(!intr_pending(&vm));
	out8(MCMD, 0x20);
	out8(MCMD, 0x0c);
	CHECK_EQ(in8(MCMD), 0x00);

	/* special mask mode: a masked in-service level no longer blocks lower ones */
	out8(MIMR, 0xc8);
	pulse(1);
	CHECK_EQ(intr_ack(&vm), 0x31);
	pulse(5);
	CHECK(!intr_pending(&vm));
	out8(MIMR, 0xca);
	out8(MCMD, 0x68); /* set SMM */
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x35);
	out8(MCMD, 0x65);
	out8(MCMD, 0x61);
	out8(MCMD, 0x48); /* reset SMM */
	out8(MIMR, 0xc8);

	/* special fully nested mode: the slave can nest while IR2 is in service */
	out8(SIMR, 0xee);
	pulse(12);
	CHECK_EQ(intr_ack(&vm), 0x3c);
	pulse(8);
	CHECK(!intr_pending(&vm)); /* normal nesting: IR2 in service blocks it */
	eoi_all();
	CHECK_EQ(intr_ack(&vm), 0x38);
	eoi_all();
	init_8259A(0x11); /* SFNM | 8086 */
	out8(MIMR, 0xfb);
	out8(SIMR, 0xee);
	pulse(12);
	CHECK_EQ(intr_ack(&vm), 0x3c);
	pulse(8);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x38);
	CHECK_EQ(isr(SCMD), 0x11);
	eoi_all();

	/* slave in AEOI with two requests: its INT drops in INTA, so the second
	 * one is a new edge on master IR2 once the master's EOI comes */
	init_8259A(0x01);
	out8(SCMD, 0x11);
	out8(SIMR, 0x38);
	out8(SIMR, 0x02);
	out8(SIMR, 0x03);
	out8(MIMR, 0xfb);
	out8(SIMR, 0xfc); /* IRQ 8, 9 */
	pulse(8);
	pulse(9);
	CHECK_EQ(intr_ack(&vm), 0x38);
	CHECK_EQ(isr(SCMD), 0x00);
	CHECK(!intr_pending(&vm)); /* master IR2 still in service */
	out8(MCMD, 0x62);
	CHECK(intr_pending(&vm));
	CHECK_EQ(intr_ack(&vm), 0x39);
	out8(MCMD, 0x62);
	CHECK(!intr_pending(&vm));

	/* ICW1 LTIM: every input level-sensed */
	out8(MCMD, 0x19);
	out8(MIMR, 0x30);
	out8(MIMR, 0x04);
	out8(MIMR, 0x01);
	out8(MIMR, 0xbf);
	devices_set_line(&vm, 6, 1);
	CHECK_EQ(intr_ack(&vm), 0x36);
	out8(MCMD, 0x66);
	CHECK(intr_pending(&vm));
	devices_set_line(&vm, 6, 0);
	CHECK(!intr_pending(&vm));

	/* bad input: lines out of range, wide accesses, no device state */
	devices_set_line(&vm, 16, 1);
	devices_set_line(&vm, 1000, 1);
	CHECK(!intr_pending(&vm));
	CHECK_EQ(vm_pio_in(&vm, 0x20, 2), 0xbf00u | irr(MCMD));
	struct rax_vm none;
	memset(&none, 0, sizeof(none));
	devices_set_line(&none, 3, 1);
	CHECK(!intr_pending(&none));
	CHECK_EQ(devices_next_deadline(&none), UINT64_MAX);
	devices_advance(&none, 1000);

	close(vm.cfg.console_out);
	devices_destroy(&vm);
	return unit_finish("test_pic");
}
