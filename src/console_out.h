/*
 * console_out.h - the console's host side: a bounded buffer drained into
 * an fd by its own thread, so that a slow or stalled reader never blocks
 * the vCPU.
 *
 * The UART puts each transmitted byte here. While the buffer has room the
 * byte is taken at once (THR empty again, as before); when it is full the
 * UART holds the byte and reports itself busy (LSR THRE/TEMT clear) until
 * the writer has made room and calls on_space, as a slow line would. A
 * guest that writes THR while it is busy waits in console_out_wait_room()
 * until there is room or the run stops, so no byte is lost while the
 * reader lives. A reader that goes away (EPIPE, or any write error) ends
 * the writer: the on_closed callback runs once, later bytes are discarded.
 *
 * Console output of a run whose reader keeps up never fills the buffer, so
 * the guest never sees the UART busy and the run stays deterministic.
 */
#ifndef RAX_CONSOLE_OUT_H
#define RAX_CONSOLE_OUT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CONSOLE_OUT_CAP (64u * 1024u)

struct console_out {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* bytes queued (writer), bytes written (flush) */
	uint8_t *buf;
	unsigned head, count;
	int fd;
	bool started;
	_Atomic bool quit; /* console_out_destroy(): the writer ends */
	_Atomic bool done; /* the writer has ended */
	int error;         /* errno of the write that ended the writer, or 0 */
	uint64_t written;  /* bytes the reader took */
	uint64_t dropped;  /* bytes discarded: after a close, or at exit */
	pthread_t thread;
	void (*on_space)(void *opaque);  /* writer thread: room again */
	void (*on_closed)(void *opaque); /* writer thread: the reader is gone */
	void *opaque;
};

/* fd < 0: output is discarded (nothing is started). */
int console_out_init(struct console_out *o, int fd, void (*on_space)(void *), void (*on_closed)(void *), void *opaque);

/* Queue one byte: true when taken (or discarded because the reader is
 * gone), false when the buffer is full and the caller must hold it. */
bool console_out_put(struct console_out *o, uint8_t byte);

/* Wait until there is room for a byte, the reader is gone, or *stop
 * becomes non-zero (stop may be NULL). */
void console_out_wait_room(struct console_out *o, const volatile int *stop);

/*
 * Wait until everything queued is written, the reader is gone, *stop
 * becomes non-zero, or the monotonic clock passes *deadline (NULL: no
 * deadline). Returns the number of bytes still queued.
 */
unsigned console_out_flush(struct console_out *o, const volatile int *stop, const struct timespec *deadline);

/* Stop the writer (even one blocked in write(): SIGUSR1 breaks it) and
 * free the buffer; what is still queued is counted as dropped. */
void console_out_destroy(struct console_out *o);

#endif
