/* console_out.c - buffered console output drained by a writer thread (see console_out.h). */
#include "console_out.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Largest piece handed to one write(). */
#define CHUNK 4096u

/*
 * The signal console_out_destroy() sends the writer to break a write()
 * blocked on a stalled reader (EINTR; the handler does nothing). The writer
 * blocks every other signal, so the run's signals reach the vCPU thread.
 */
#define WAKE_SIGNAL SIGUSR1

static void on_wake_signal(int sig) { (void)sig; }

static void *writer_main(void *arg)
{
	struct console_out *o = arg;
	sigset_t only;
	sigfillset(&only);
	sigdelset(&only, WAKE_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &only, NULL);
	uint8_t chunk[CHUNK];
	pthread_mutex_lock(&o->lock);
	for (;;) {
		while (!o->count && !o->quit)
			pthread_cond_wait(&o->cond, &o->lock);
		if (o->quit)
			break;
		unsigned n = o->count, contiguous = CONSOLE_OUT_CAP - o->head;
		if (n > contiguous)
			n = contiguous;
		if (n > CHUNK)
			n = CHUNK;
		memcpy(chunk, o->buf + o->head, n);
		pthread_mutex_unlock(&o->lock);

		ssize_t w;
		int e = 0;
		for (;;) {
			w = write(o->fd, chunk, n);
			if (w >= 0 || atomic_load(&o->quit))
				break;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* an fd someone else made non-blocking: wait until it takes more */
				struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };
				poll(&pfd, 1, 100);
			} else if (errno != EINTR) {
				break;
			}
		}
		if (w < 0)
			e = errno;

		pthread_mutex_lock(&o->lock);
		if (o->quit)
			break;
		if (w <= 0) {
			o->error = w < 0 ? e : EIO;
			o->dropped += o->count;
			o->count = 0;
			pthread_cond_broadcast(&o->cond);
			pthread_mutex_unlock(&o->lock);
			if (o->on_closed)
				o->on_closed(o->opaque);
			if (o->on_space)
				o->on_space(o->opaque); /* a held byte goes (to nowhere) */
			atomic_store(&o->done, true);
			return NULL;
		}
		bool was_full = o->count == CONSOLE_OUT_CAP;
		o->head = (o->head + (unsigned)w) % CONSOLE_OUT_CAP;
		o->count -= (unsigned)w;
		o->written += (uint64_t)w;
		pthread_cond_broadcast(&o->cond);
		if (was_full && o->on_space) {
			pthread_mutex_unlock(&o->lock);
			o->on_space(o->opaque);
			pthread_mutex_lock(&o->lock);
		}
	}
	pthread_mutex_unlock(&o->lock);
	atomic_store(&o->done, true);
	return NULL;
}

int console_out_init(struct console_out *o, int fd, void (*on_space)(void *), void (*on_closed)(void *), void *opaque)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->on_space = on_space;
	o->on_closed = on_closed;
	o->opaque = opaque;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->cond, NULL);
	if (fd < 0)
		return 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake_signal; /* no SA_RESTART: write() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(WAKE_SIGNAL, &sa, NULL);
	if (!(o->buf = malloc(CONSOLE_OUT_CAP)))
		return -1;
	if (pthread_create(&o->thread, NULL, writer_main, o) != 0) {
		free(o->buf);
		o->buf = NULL;
		return -1;
	}
	o->started = true;
	return 0;
}

bool console_out_put(struct console_out *o, uint8_t byte)
{
	if (!o->started)
		return true;
	pthread_mutex_lock(&o->lock);
	bool taken = true;
	if (o->error) {
		o->dropped++;
	} else if (o->count == CONSOLE_OUT_CAP) {
		taken = false;
	} else {
		o->buf[(o->head + o->count) % CONSOLE_OUT_CAP] = byte;
		if (o->count++ == 0)
			pthread_cond_broadcast(&o->cond);
	}
	pthread_mutex_unlock(&o->lock);
	return taken;
}

static bool passed(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* pthread_cond_timedwait's deadline (CLOCK_REALTIME) ms from now. */
static struct timespec in_ms(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += ms * 1000 * 1000;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

void console_out_wait_room(struct console_out *o, const volatile int *stop)
{
	if (!o->started)
		return;
	pthread_mutex_lock(&o->lock);
	/* wake up now and then to look at *stop (set from signal handlers) */
	while (!o->error && o->count == CONSOLE_OUT_CAP && !(stop && *stop)) {
		struct timespec t = in_ms(20);
		pthread_cond_timedwait(&o->cond, &o->lock, &t);
	}
	pthread_mutex_unlock(&o->lock);
}

unsigned console_out_flush(struct console_out *o, const volatile int *stop, const struct timespec *deadline)
{
	if (!o->started)
		return 0;
	pthread_mutex_lock(&o->lock);
	/* wake up now and then to look at *stop and the deadline (set from signal handlers) */
	while (o->count && !o->error && !(stop && *stop) && !(deadline && passed(deadline))) {
		struct timespec t = in_ms(20);
		pthread_cond_timedwait(&o->cond, &o->lock, &t);
	}
	unsigned left = o->error ? 0 : o->count;
	pthread_mutex_unlock(&o->lock);
	return left;
}

void console_out_destroy(struct console_out *o)
{
	if (o->started) {
		pthread_mutex_lock(&o->lock);
		o->quit = true;
		o->dropped += o->count;
		o->count = 0;
		pthread_cond_broadcast(&o->cond);
		pthread_mutex_unlock(&o->lock);
		/* a writer blocked in write() returns EINTR; one about to call write() gets the next signal */
		while (!atomic_load(&o->done)) {
			pthread_kill(o->thread, WAKE_SIGNAL);
			struct timespec ts = { 0, 2 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		pthread_join(o->thread, NULL);
		o->started = false;
	}
	free(o->buf);
	o->buf = NULL;
	pthread_cond_destroy(&o->cond);
	pthread_mutex_destroy(&o->lock);
}
