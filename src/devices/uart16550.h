/*
 * uart16550.h - a 16550A UART (COM1 by default).
 *
 * Transmit goes to an output fd through a console_out buffer (so a stalled
 * reader makes the line busy instead of blocking the vCPU); received bytes
 * come from uart_receive() (the console input thread). DLAB, loopback, FIFO control, the interrupt
 * identification priorities and the OUT2 interrupt gate are modelled. The
 * state is protected by a mutex, so input can arrive from another thread.
 */
#ifndef RAX_UART16550_H
#define RAX_UART16550_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "console_out.h"

#define UART_RX_BUF 1024

/* Register offsets */
enum {
	UART_RBR_THR_DLL = 0,
	UART_IER_DLM = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_IER_RDI 0x01  /* received data available */
#define UART_IER_THRI 0x02 /* transmitter holding register empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI 0x08  /* modem status */
#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_FIFO 0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_LCR_DLAB 0x80
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

struct uart16550 {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, lsr_extra, msr_delta, scr, fcr;
	uint16_t divisor;
	bool thr_int; /* THRE interrupt pending (cleared by IIR read) */
	uint8_t rx[UART_RX_BUF];
	unsigned rx_head, rx_count;
	struct console_out out;
	bool tx_held; /* THR holds tx_byte: the output buffer is full */
	uint8_t tx_byte;
	uint64_t tx_overrun;      /* bytes the guest wrote over a held one (while stopping) */
	const volatile int *stop; /* non-zero: the run ends, waits for the reader give up */
	bool mute;                /* replay (history.c): transmitted bytes are dropped, THR is free at once */
	int irq_level;
	void (*set_irq)(void *opaque, int level);
	void *irq_opaque;
	void (*on_closed)(void *opaque);
};

/*
 * out_fd < 0 discards output. set_irq and on_closed (the output's reader
 * went away; called once, from the writer thread) get irq_opaque.
 */
int uart_init(struct uart16550 *u, int out_fd, void (*set_irq)(void *, int), void (*on_closed)(void *),
	      void *irq_opaque);
/* Wait for queued output (see console_out_flush); returns bytes left. */
unsigned uart_flush(struct uart16550 *u, const volatile int *stop, const struct timespec *deadline);
void uart_destroy(struct uart16550 *u);
uint8_t uart_read(struct uart16550 *u, unsigned offset);
void uart_write(struct uart16550 *u, unsigned offset, uint8_t value);
/* Queue received bytes; returns how many fitted. Thread-safe. */
unsigned uart_receive(struct uart16550 *u, const uint8_t *buf, unsigned len);
/* Free space in the receive buffer. Thread-safe. */
unsigned uart_rx_space(struct uart16550 *u);

/* The registers and receive FIFO (history.c snapshots), without the
 * output buffer, the lock and the callbacks. */
struct uart_regs {
	uint8_t ier, lcr, mcr, lsr_extra, msr_delta, scr, fcr;
	uint16_t divisor;
	bool thr_int, tx_held;
	uint8_t tx_byte;
	uint8_t rx[UART_RX_BUF];
	unsigned rx_head, rx_count;
	int irq_level;
};
void uart_save(struct uart16550 *u, struct uart_regs *r);
/* The interrupt line is not raised again: its level is the router's. */
void uart_restore(struct uart16550 *u, const struct uart_regs *r);

#endif
