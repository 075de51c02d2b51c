/* uart16550.c - 16550A register model (see uart16550.h). */
#include "uart16550.h"

#include <string.h>

static void uart_update_irq(struct uart16550 *u);

/* The output buffer has room again: the held byte goes, THR is empty. */
static void tx_space(void *opaque)
{
	struct uart16550 *u = opaque;
	pthread_mutex_lock(&u->lock);
	if (u->tx_held && console_out_put(&u->out, u->tx_byte)) {
		u->tx_held = false;
		u->thr_int = true;
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
}

static void tx_closed(void *opaque)
{
	struct uart16550 *u = opaque;
	if (u->on_closed)
		u->on_closed(u->irq_opaque);
}

int uart_init(struct uart16550 *u, int out_fd, void (*set_irq)(void *, int), void (*on_closed)(void *),
	      void *irq_opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->set_irq = set_irq;
	u->on_closed = on_closed;
	u->irq_opaque = irq_opaque;
	u->divisor = 12; /* 9600 baud */
	u->lcr = 0x03;   /* 8N1 */
	return console_out_init(&u->out, out_fd, tx_space, tx_closed, u);
}

void uart_destroy(struct uart16550 *u)
{
	console_out_destroy(&u->out); /* first: its writer calls back into u */
	pthread_mutex_destroy(&u->lock);
}

unsigned uart_flush(struct uart16550 *u, const volatile int *stop, const struct timespec *deadline)
{
	return console_out_flush(&u->out, stop, deadline);
}

static bool loopback(const struct uart16550 *u) { return u->mcr & UART_MCR_LOOP; }

/* Highest-priority pending interrupt, as IIR reports it. */
static uint8_t uart_iir_id(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr_extra & UART_LSR_OE))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_int)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && u->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/* The PC wires the UART interrupt through the OUT2 modem-control bit. */
static void uart_update_irq(struct uart16550 *u)
{
	int level = uart_iir_id(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2);
	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->set_irq)
			u->set_irq(u->irq_opaque, level);
	}
}

static void rx_push(struct uart16550 *u, uint8_t c)
{
	if (u->rx_count == UART_RX_BUF) {
		u->lsr_extra |= UART_LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_RX_BUF] = c;
	u->rx_count++;
}

static uint8_t uart_msr(const struct uart16550 *u)
{
	uint8_t m;
	if (loopback(u)) {
		m = 0;
		if (u->mcr & UART_MCR_RTS)
			m |= UART_MSR_CTS;
		if (u->mcr & UART_MCR_DTR)
			m |= UART_MSR_DSR;
		if (u->mcr & UART_MCR_OUT1)
			m |= UART_MSR_RI;
		if (u->mcr & UART_MCR_OUT2)
			m |= UART_MSR_DCD;
	} else {
		m = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	}
	return m | u->msr_delta;
}

uint8_t uart_read(struct uart16550 *u, unsigned offset)
{
	pthread_mutex_lock(&u->lock);
	uint8_t v = 0xff;
	bool dlab = u->lcr & UART_LCR_DLAB;
	switch (offset) {
	case UART_RBR_THR_DLL:
		if (dlab) {
			v = u->divisor & 0xff;
		} else if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_RX_BUF;
			u->rx_count--;
		} else {
			v = 0;
		}
		break;
	case UART_IER_DLM: v = dlab ? u->divisor >> 8 : u->ier; break;
	case UART_IIR_FCR:
		v = uart_iir_id(u);
		if (v == UART_IIR_THRI)
			u->thr_int = false; /* reading IIR acknowledges THRE */
		if (u->fcr & UART_FCR_ENABLE)
			v |= UART_IIR_FIFO;
		break;
	case UART_LCR: v = u->lcr; break;
	case UART_MCR: v = u->mcr; break;
	case UART_LSR:
		/* a held byte: the host side cannot keep up, the line is busy */
		v = (u->tx_held ? 0 : UART_LSR_THRE | UART_LSR_TEMT) | u->lsr_extra | (u->rx_count ? UART_LSR_DR : 0);
		u->lsr_extra = 0; /* error bits clear on read */
		break;
	case UART_MSR:
		v = uart_msr(u);
		u->msr_delta = 0;
		break;
	case UART_SCR: v = u->scr; break;
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

/* THR is written while it still holds a byte: the transmitter would lose one. */
static bool overrun(const struct uart16550 *u, unsigned offset)
{
	return offset == UART_RBR_THR_DLL && !(u->lcr & UART_LCR_DLAB) && !loopback(u) && u->tx_held;
}

void uart_write(struct uart16550 *u, unsigned offset, uint8_t value)
{
	pthread_mutex_lock(&u->lock);
	/*
	 * A guest that writes THR without waiting for THRE while the reader
	 * stalls: rather than lose a byte the reader would still take, this
	 * vCPU waits for room; a stop request (signal, --timeout) ends the wait.
	 */
	while (overrun(u, offset) && !(u->stop && *u->stop)) {
		pthread_mutex_unlock(&u->lock);
		console_out_wait_room(&u->out, u->stop);
		pthread_mutex_lock(&u->lock);
		if (u->tx_held && console_out_put(&u->out, u->tx_byte))
			u->tx_held = false;
	}
	bool dlab = u->lcr & UART_LCR_DLAB;
	switch (offset) {
	case UART_RBR_THR_DLL:
		if (dlab) {
			u->divisor = (u->divisor & 0xff00) | value;
		} else {
			if (loopback(u)) {
				rx_push(u, value);
				u->thr_int = true;
			} else if (u->tx_held) {
				u->tx_byte = value; /* stopping: written over the byte THR held */
				u->tx_overrun++;
			} else if (u->mute || console_out_put(&u->out, value)) {
				u->thr_int = true; /* taken at once: THR empty again */
			} else {
				u->tx_held = true; /* THR busy until tx_space() */
				u->tx_byte = value;
				u->thr_int = false;
			}
		}
		break;
	case UART_IER_DLM:
		if (dlab) {
			u->divisor = (uint16_t)((u->divisor & 0xff) | value << 8);
		} else {
			/* enabling THRE while THR is empty raises it immediately */
			if (!(u->ier & UART_IER_THRI) && (value & UART_IER_THRI) && !u->tx_held)
				u->thr_int = true;
			u->ier = value & 0x0f;
		}
		break;
	case UART_IIR_FCR:
		if (value & UART_FCR_CLEAR_RX) {
			u->rx_head = u->rx_count = 0;
		}
		u->fcr = value & 0xc9;
		break;
	case UART_LCR: u->lcr = value; break;
	case UART_MCR: {
		uint8_t old = uart_msr(u);
		u->mcr = value & 0x1f;
		uint8_t now = uart_msr(u) & 0xf0;
		/* delta bits: DCTS, DDSR, TERI (falling RI), DDCD */
		uint8_t changed = (uint8_t)((old & 0xf0) ^ now);
		u->msr_delta |= (uint8_t)(((changed & 0xb0) | (old & ~now & UART_MSR_RI)) >> 4);
		break;
	}
	case UART_LSR:
	case UART_MSR: break; /* read-only */
	case UART_SCR: u->scr = value; break;
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

unsigned uart_receive(struct uart16550 *u, const uint8_t *buf, unsigned len)
{
	pthread_mutex_lock(&u->lock);
	unsigned n = 0;
	while (n < len && u->rx_count < UART_RX_BUF)
		rx_push(u, buf[n++]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

unsigned uart_rx_space(struct uart16550 *u)
{
	pthread_mutex_lock(&u->lock);
	unsigned n = UART_RX_BUF - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return n;
}

// clang-format off
#define UART_REGS(X) \
	X(ier) X(lcr) X(mcr) X(lsr_extra) X(msr_delta) X(scr) X(fcr) X(divisor) X(thr_int) X(tx_held) \
	X(tx_byte) X(rx_head) X(rx_count) X(irq_level)
// clang-format on

void uart_save(struct uart16550 *u, struct uart_regs *r)
{
	pthread_mutex_lock(&u->lock);
#define X(f) r->f = u->f;
	UART_REGS(X)
#undef X
	memcpy(r->rx, u->rx, sizeof(r->rx));
	pthread_mutex_unlock(&u->lock);
}

void uart_restore(struct uart16550 *u, const struct uart_regs *r)
{
	pthread_mutex_lock(&u->lock);
#define X(f) u->f = r->f;
	UART_REGS(X)
#undef X
	memcpy(u->rx, r->rx, sizeof(r->rx));
	pthread_mutex_unlock(&u->lock);
}
