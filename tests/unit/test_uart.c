/* test_uart.c - 16550A register model: DLAB, LSR, IIR, IER, loopback, IRQ. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "devices/uart16550.h"
#include "unit.h"

static int irq_level = -1, irq_changes;

static void on_irq(void *opaque, int level)
{
	irq_level = level;
	irq_changes++;
}

int main(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	struct uart16550 u;
	CHECK_EQ(uart_init(&u, p[1], on_irq, NULL, NULL), 0);

	/* transmit goes to the output fd; LSR says THR empty */
	uart_write(&u, UART_RBR_THR_DLL, 'A');
	CHECK_EQ(uart_flush(&u, NULL, NULL), 0);
	char c = 0;
	CHECK(read(p[0], &c, 1) == 1 && c == 'A');
	CHECK_EQ(uart_read(&u, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
	CHECK_EQ(uart_read(&u, UART_LSR) & UART_LSR_DR, 0);

	/* DLAB switches offsets 0/1 to the divisor latch */
	uart_write(&u, UART_LCR, 0x83);
	uart_write(&u, UART_RBR_THR_DLL, 0x01);
	uart_write(&u, UART_IER_DLM, 0x02);
	CHECK_EQ(uart_read(&u, UART_RBR_THR_DLL), 0x01);
	CHECK_EQ(uart_read(&u, UART_IER_DLM), 0x02);
	CHECK_EQ(u.divisor, 0x0201);
	CHECK(read(p[0], &c, 1) == -1); /* DLL write did not transmit */
	uart_write(&u, UART_LCR, 0x03);
	CHECK_EQ(uart_read(&u, UART_IER_DLM), 0); /* IER untouched by DLM write */
	CHECK_EQ(uart_read(&u, UART_LCR), 0x03);

	/* no interrupt pending; FIFO bits in IIR once enabled */
	CHECK_EQ(uart_read(&u, UART_IIR_FCR), UART_IIR_NO_INT);
	uart_write(&u, UART_IIR_FCR, UART_FCR_ENABLE);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR), UART_IIR_NO_INT | UART_IIR_FIFO);

	/* receive: DR set, RDI interrupt only with IER.RDI, line gated by OUT2 */
	const uint8_t in[] = { 'x', 'y' };
	CHECK_EQ(uart_receive(&u, in, 2), 2);
	CHECK(uart_read(&u, UART_LSR) & UART_LSR_DR);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR) & 0x0f, UART_IIR_NO_INT);
	uart_write(&u, UART_IER_DLM, UART_IER_RDI);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR) & 0x0f, UART_IIR_RDI);
	CHECK(irq_level != 1); /* OUT2 clear: line stays low */
	uart_write(&u, UART_MCR, UART_MCR_OUT2);
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(uart_read(&u, UART_RBR_THR_DLL), 'x');
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(uart_read(&u, UART_RBR_THR_DLL), 'y');
	CHECK_EQ(irq_level, 0);
	CHECK_EQ(uart_read(&u, UART_LSR) & UART_LSR_DR, 0);

	/* THRE interrupt: raised on enable, cleared by IIR read, raised by a write */
	uart_write(&u, UART_IER_DLM, UART_IER_RDI | UART_IER_THRI);
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR) & 0x0f, UART_IIR_THRI);
	CHECK_EQ(irq_level, 0);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR) & 0x0f, UART_IIR_NO_INT);
	uart_write(&u, UART_RBR_THR_DLL, 'B');
	CHECK_EQ(irq_level, 1);
	/* RDI has priority over THRI */
	CHECK_EQ(uart_receive(&u, in, 1), 1);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR) & 0x0f, UART_IIR_RDI);
	uart_read(&u, UART_RBR_THR_DLL);
	CHECK_EQ(uart_read(&u, UART_IIR_FCR) & 0x0f, UART_IIR_THRI);
	uart_write(&u, UART_IER_DLM, 0);
	CHECK_EQ(irq_level, 0);

	/* loopback: transmitted bytes come back, MSR mirrors MCR */
	uart_flush(&u, NULL, NULL);
	while (read(p[0], &c, 1) == 1)
		;
	uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	uart_write(&u, UART_RBR_THR_DLL, 0x5a);
	uart_flush(&u, NULL, NULL);
	CHECK(read(p[0], &c, 1) == -1);
	CHECK(uart_read(&u, UART_LSR) & UART_LSR_DR);
	CHECK_EQ(uart_read(&u, UART_RBR_THR_DLL), 0x5a);
	CHECK_EQ(uart_read(&u, UART_MSR) & 0xf0, UART_MSR_CTS | UART_MSR_DCD);
	uart_write(&u, UART_MCR, 0);
	CHECK_EQ(uart_read(&u, UART_MSR) & 0xf0, UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);

	/* scratch register; FIFO clear */
	uart_write(&u, UART_SCR, 0x42);
	CHECK_EQ(uart_read(&u, UART_SCR), 0x42);
	uart_receive(&u, in, 2);
	uart_write(&u, UART_IIR_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	CHECK_EQ(uart_read(&u, UART_LSR) & UART_LSR_DR, 0);

	/* overrun: a full buffer refuses bytes */
	static uint8_t lots[UART_RX_BUF + 10];
	CHECK_EQ(uart_receive(&u, lots, sizeof(lots)), UART_RX_BUF);
	CHECK_EQ(uart_rx_space(&u), 0);

	uart_destroy(&u);
	return unit_finish("test_uart");
}
