/*
 * gdbstub.c - the GDB remote stub: connection, packets, run control.
 *
 * Threads. Every backend call happens on the thread that runs vm_run (the
 * backend interface's rule). While the guest is stopped that thread reads
 * and answers gdb's packets itself (serve()). While the guest runs (a
 * continue, a step, a range step) a watcher thread owns the sockets: it
 * turns a 0x03 byte into vm_request_debug_stop() (GDB manual, E.9
 * "Interrupts"), keeps any other bytes for serve(), accepts a gdb that
 * attaches to a running guest (and stops the guest for it) and refuses a
 * second one (accepted and closed at once). A gdb that goes away lets the
 * guest run on, as after `D`; a new one may attach later.
 *
 * Protocol (GDB manual, Appendix E): all-stop mode, no multiprocess
 * extensions, one thread per CPU (thread id = CPU number + 1). Stop
 * replies are `T` packets with `thread:`, and `swbreak:`/`hwbreak:`/
 * `watch:`/`rwatch:`/`awatch:` as the stop reason (E.3 "Stop Reply
 * Packets"; with swbreak+ in qSupported gdb takes the PC as reported, at
 * the breakpoint, without decrementing it). Errors are `E NN`, or
 * `E.text` (E.1: "E.errtext") where gdb shows text to the user.
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "gdb/gdbstub.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpuid_model.h"
#include "gdb/rsp.h"
#include "gdb/tdesc.h"
#include "state_print.h"
#include "vm.h"

/* Bytes read from gdb and not yet looked at. */
#define PEND_MAX 65536
/* The most bytes one m packet returns (two hex digits each). */
#define MEM_MAX ((RSP_PACKET_MAX - 8) / 2)
/* GDB's signal numbers in stop replies (E.3: "AA is the signal number"). */
#define SIG_INT 2
#define SIG_TRAP 5

struct gdb_stub {
	struct rax_vm *vm;
	int lfd, cfd;
	char *unix_path;
	bool wait, noack, avx;
	unsigned ncpus;
	unsigned gcpu, ccpu; /* Hg, Hc */
	bool ccpu_any;       /* Hc-1 or Hc0: no CPU named */
	struct rsp_reader rd;
	uint8_t pend[PEND_MAX];
	size_t pend_len, pend_off; /* pend[pend_off..pend_len) not looked at yet */
	/* the watcher */
	pthread_t watcher;
	bool watching;
	int wake[2];
	volatile bool new_client; /* the watcher accepted a gdb: no stop reply is owed */
	bool reversing;           /* a reverse search runs: 0x03 cancels it (vm->debug_cancel) */
	/* the last stop, for `?` */
	struct rax_exit last;
	bool reply_owed; /* a resume from gdb waits for its stop reply */
	/* breakpoints and watchpoints as gdb set them, and what the backend has */
	struct rax_breakpoint bp[RAX_MAX_BREAKPOINTS];
	unsigned nbp;
	struct rax_breakpoint applied[RAX_MAX_BREAKPOINTS];
	unsigned napplied;
	bool applied_valid;
	char out[RSP_PACKET_MAX + 64]; /* the reply being built */
};

/* ---- listening ---- */

int gdb_spec_check(const char *spec, char *msg, size_t n)
{
	if (!strncmp(spec, "unix:", 5)) {
		size_t len = strlen(spec + 5);
		if (!len) {
			snprintf(msg, n, "malformed --gdb '%s' (unix:PATH needs a path)", spec);
			return -1;
		}
		if (len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(msg, n, "malformed --gdb '%s' (the socket path is longer than %zu bytes)", spec,
				 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return -1;
		}
		return 0;
	}
	if (!strncmp(spec, "tcp:", 4)) {
		const char *colon = strrchr(spec + 4, ':');
		if (!colon) {
			snprintf(msg, n, "malformed --gdb '%s' (tcp:HOST:PORT or tcp::PORT)", spec);
			return -1;
		}
		const char *p = colon + 1;
		unsigned long port = 0;
		if (!*p || strlen(p) > 5) {
			snprintf(msg, n, "malformed --gdb '%s' (the port must be 0 to 65535)", spec);
			return -1;
		}
		for (; *p; p++) {
			if (*p < '0' || *p > '9') {
				snprintf(msg, n, "malformed --gdb '%s' (the port must be 0 to 65535)", spec);
				return -1;
			}
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (port > 65535) {
			snprintf(msg, n, "malformed --gdb '%s' (the port must be 0 to 65535)", spec);
			return -1;
		}
		return 0;
	}
	snprintf(msg, n, "malformed --gdb '%s' (tcp:HOST:PORT, tcp::PORT or unix:PATH)", spec);
	return -1;
}

static int listen_tcp(struct gdb_stub *g, const char *spec, struct rax_err *err)
{
	const char *hp = spec + 4, *colon = strrchr(hp, ':');
	char host[256];
	size_t hl = (size_t)(colon - hp);
	if (hl >= sizeof(host))
		return rax_errf(err, RAX_STATUS_USAGE, "--gdb '%s': host name too long", spec);
	memcpy(host, hp, hl);
	host[hl] = 0;
	/* tcp::PORT listens on the loopback interface only: a debugger can
	 * rewrite the guest, so it is not offered to the network unasked */
	const char *h = hl ? host : "127.0.0.1";
	if (h[0] == '[') { /* [::1] */
		size_t l = strlen(h);
		if (l > 2 && h[l - 1] == ']') {
			memmove(host, h + 1, l - 2);
			host[l - 2] = 0;
			h = host;
		}
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(h, colon + 1, &hints, &res);
	if (rc)
		return rax_errf(err, RAX_STATUS_USAGE, "--gdb '%s': %s", spec, gai_strerror(rc));
	int fd = -1, e = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return rax_errf(err, RAX_STATUS_USAGE, "--gdb '%s': cannot listen: %s", spec, strerror(e));
	g->lfd = fd;
	/* say where (port 0: the one the kernel chose) */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char name[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		getnameinfo((struct sockaddr *)&ss, sl, name, sizeof(name), port, sizeof(port),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	fprintf(stderr, "rax: gdb: listening on tcp:%s:%s%s\n", name, port,
		g->wait ? " (the guest waits for gdb)" : "");
	return 0;
}

static int listen_unix(struct gdb_stub *g, const char *spec, struct rax_err *err)
{
	const char *path = spec + 5;
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return rax_errf(err, RAX_STATUS_USAGE, "--gdb '%s': %s exists and is not a socket", spec, path);
		unlink(path); /* a socket left by an earlier run */
	}
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return rax_errf(err, RAX_STATUS_USAGE, "--gdb '%s': cannot listen: %s", spec, strerror(e));
	}
	g->lfd = fd;
	g->unix_path = strdup(path);
	fprintf(stderr, "rax: gdb: listening on unix:%s%s\n", path, g->wait ? " (the guest waits for gdb)" : "");
	return 0;
}

static void client_close(struct gdb_stub *g)
{
	if (g->cfd >= 0)
		close(g->cfd);
	g->cfd = -1;
	g->noack = false;
	g->pend_len = g->pend_off = 0;
	rsp_reader_reset(&g->rd);
}

static void client_take(struct gdb_stub *g, int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails harmlessly on unix sockets */
	g->cfd = fd;
	g->noack = false;
	g->pend_len = g->pend_off = 0;
	g->gcpu = g->ccpu = 0;
	rsp_reader_reset(&g->rd);
}

/* A gdb while one is attached: refused (accepted and closed at once). */
static void accept_more(struct gdb_stub *g)
{
	int fd = accept4(g->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (g->cfd >= 0) {
		static const char no[] = "rax: another gdb is attached\n";
		if (send(fd, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* it went away already */
		}
		close(fd);
		return;
	}
	client_take(g, fd);
	g->new_client = true;
}

/* ---- the watcher (while the guest runs) ---- */

static void pend_add(struct gdb_stub *g, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] == 0x03) {
			if (g->reversing)
				g->vm->debug_cancel = 1;
			else
				vm_request_debug_stop(g->vm);
			continue;
		}
		if (g->pend_len < PEND_MAX)
			g->pend[g->pend_len++] = b[i];
	}
}

static void *watch_main(void *arg)
{
	struct gdb_stub *g = arg;
	for (;;) {
		struct pollfd p[3] = { { .fd = g->wake[0], .events = POLLIN },
				       { .fd = g->lfd, .events = POLLIN },
				       { .fd = g->cfd, .events = POLLIN } };
		int n = poll(p, g->cfd >= 0 ? 3 : 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (p[0].revents & POLLIN))
			break;
		if (p[1].revents & POLLIN) {
			bool had = g->cfd >= 0;
			accept_more(g);
			if (!had && g->cfd >= 0 && !g->reversing)
				vm_request_debug_stop(g->vm); /* gdb finds the guest stopped */
		}
		if (g->cfd >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			uint8_t buf[4096];
			ssize_t r = recv(g->cfd, buf, sizeof(buf), 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				client_close(g); /* gdb went away: the guest runs on */
				continue;
			}
			pend_add(g, buf, (size_t)r);
		}
	}
	return NULL;
}

static void watch_start(struct gdb_stub *g)
{
	if (g->watching)
		return;
	/* bytes that came with the resume packet may hold a 0x03 already */
	for (size_t i = g->pend_off; i < g->pend_len; i++)
		if (g->pend[i] == 0x03) {
			if (g->reversing)
				g->vm->debug_cancel = 1;
			else
				vm_request_debug_stop(g->vm);
		}
	/* the watcher blocks every signal: they stay the vm_run thread's */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	g->watching = pthread_create(&g->watcher, NULL, watch_main, g) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void watch_stop(struct gdb_stub *g)
{
	if (!g->watching)
		return;
	char b = 1;
	while (write(g->wake[1], &b, 1) < 0 && errno == EINTR) {
	}
	pthread_join(g->watcher, NULL);
	g->watching = false;
	while (read(g->wake[0], &b, 1) == 1) {
	}
}

/* ---- replies ---- */

static int reply(struct gdb_stub *g, const char *s)
{
	if (g->cfd < 0)
		return -1;
	if (rsp_send_str(g->cfd, s) < 0) {
		client_close(g);
		return -1;
	}
	return 0;
}

static int reply_len(struct gdb_stub *g, const char *s, size_t n)
{
	if (g->cfd < 0)
		return -1;
	if (rsp_send(g->cfd, s, n) < 0) {
		client_close(g);
		return -1;
	}
	return 0;
}

/* An `E.text` error: gdb shows the text (E.1, "Standard Replies"). */
static int reply_err(struct gdb_stub *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reply_err(struct gdb_stub *g, const char *fmt, ...)
{
	char text[600];
	va_list ap;
	va_start(ap, fmt);
	snprintf(text, sizeof(text), "E.");
	vsnprintf(text + 2, sizeof(text) - 2, fmt, ap);
	va_end(ap);
	/* gdb shows some E.text replies (monitor), others only as a generic
	 * failure ("Cannot insert breakpoint"): the line goes to stderr too */
	fprintf(stderr, "rax: gdb: %s\n", text + 2);
	return reply(g, text);
}

/* Console output for `monitor` (qRcmd): O packets of hex text. */
static void console_out(struct gdb_stub *g, const char *text)
{
	size_t len = strlen(text);
	while (len) {
		size_t n = len > 1024 ? 1024 : len;
		char buf[2 * 1024 + 2];
		buf[0] = 'O';
		rsp_tohex(buf + 1, (const uint8_t *)text, n);
		if (reply(g, buf) < 0)
			return;
		text += n;
		len -= n;
	}
}

static const struct rax_breakpoint *bp_find(const struct gdb_stub *g, uint64_t addr, int kind)
{
	for (unsigned i = 0; i < g->nbp; i++)
		if (g->bp[i].addr == addr && (kind < 0 || g->bp[i].kind == kind))
			return &g->bp[i];
	return NULL;
}

/* The stop reply for ex (E.3). */
static void stop_reply(struct gdb_stub *g, const struct rax_exit *ex)
{
	char buf[128];
	unsigned tid = ex->cpu + 1;
	if (ex->kind != RAX_EXIT_DEBUG) {
		snprintf(buf, sizeof(buf), "T%02xthread:%x;", SIG_TRAP, tid);
	} else if (ex->why == RAX_DEBUG_INTERRUPT) {
		snprintf(buf, sizeof(buf), "T%02xthread:%x;", SIG_INT, tid);
	} else if (ex->why == RAX_DEBUG_BREAK) {
		const struct rax_breakpoint *b = bp_find(g, ex->rip, RAX_BP_SW);
		snprintf(buf, sizeof(buf), "T%02xthread:%x;%s:;", SIG_TRAP, tid, b ? "swbreak" : "hwbreak");
	} else if (ex->why == RAX_DEBUG_HISTORY_BEGIN) {
		/* E.3: "replaylog: the process reached the beginning of the log" */
		snprintf(buf, sizeof(buf), "T%02xthread:%x;replaylog:begin;", SIG_TRAP, tid);
	} else if (ex->why == RAX_DEBUG_WATCH) {
		const char *w = ex->watch_kind == RAX_WP_READ ? "rwatch"
			: ex->watch_kind == RAX_WP_ACCESS     ? "awatch"
							      : "watch";
		snprintf(buf, sizeof(buf), "T%02xthread:%x;%s:%llx;", SIG_TRAP, tid, w,
			 (unsigned long long)ex->watch_addr);
	} else {
		snprintf(buf, sizeof(buf), "T%02xthread:%x;", SIG_TRAP, tid);
	}
	reply(g, buf);
}

/* ---- registers and memory ---- */

static int get_state(struct gdb_stub *g, unsigned cpu, struct rax_cpu_state *s)
{
	struct rax_err e = { 0 };
	if (!g->vm->ops->cpu_get_state || g->vm->ops->cpu_get_state(g->vm, cpu, s, &e) < 0)
		return -1;
	return 0;
}

static int set_state(struct gdb_stub *g, unsigned cpu, const struct rax_cpu_state *s)
{
	struct rax_err e = { 0 };
	if (!g->vm->ops->cpu_set_state || g->vm->ops->cpu_set_state(g->vm, cpu, s, &e) < 0)
		return -1;
	return 0;
}

/*
 * Guest-virtual memory through CPU cpu's page tables, a page at a time:
 * the count of bytes done before the first address that is not mapped or
 * not RAM (MMIO is not read: a device read has side effects).
 */
static size_t mem_access(struct gdb_stub *g, unsigned cpu, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
	struct rax_vm *vm = g->vm;
	size_t done = 0;
	while (done < len) {
		uint64_t va = addr + done, gpa;
		if (!vm->ops->cpu_translate || vm->ops->cpu_translate(vm, cpu, va, &gpa) < 0)
			break;
		size_t chunk = 4096 - (va & 4095);
		if (chunk > len - done)
			chunk = len - done;
		if (!guest_mem_contains(&vm->mem, gpa, chunk))
			break;
		if (write) {
			struct rax_err e = { 0 };
			if (!vm->ops->mem_write)
				guest_mem_write(&vm->mem, gpa, buf + done, chunk);
			else if (vm->ops->mem_write(vm, gpa, buf + done, chunk, &e) < 0)
				break;
		} else {
			guest_mem_read(&vm->mem, gpa, buf + done, chunk);
		}
		done += chunk;
	}
	return done;
}

static void cmd_g(struct gdb_stub *g)
{
	struct rax_cpu_state s;
	if (get_state(g, g->gcpu, &s) < 0) {
		reply(g, "E01");
		return;
	}
	size_t o = 0;
	for (unsigned n = 0; n < tdesc_nregs(g->avx); n++) {
		uint8_t b[16];
		unsigned sz = tdesc_reg_size(n);
		tdesc_reg_get(&s, n, b);
		rsp_tohex(g->out + o, b, sz);
		o += 2 * sz;
	}
	reply_len(g, g->out, o);
}

static void cmd_G(struct gdb_stub *g, const char *p)
{
	struct rax_cpu_state s;
	if (get_state(g, g->gcpu, &s) < 0) {
		reply(g, "E01");
		return;
	}
	size_t avail = strlen(p);
	for (unsigned n = 0; n < tdesc_nregs(g->avx) && avail; n++) {
		uint8_t b[16];
		unsigned sz = tdesc_reg_size(n);
		if (avail < 2 * sz || rsp_fromhex(b, p, sz) < 0) {
			reply(g, "E02");
			return;
		}
		tdesc_reg_set(&s, n, b);
		p += 2 * sz;
		avail -= 2 * sz;
	}
	reply(g, set_state(g, g->gcpu, &s) < 0 ? "E01" : "OK");
}

static void cmd_p(struct gdb_stub *g, const char *p)
{
	uint64_t n;
	struct rax_cpu_state s;
	if (rsp_parse_hex(&p, &n) < 0 || *p) {
		reply(g, "E02");
		return;
	}
	if (n >= tdesc_nregs(g->avx)) {
		reply(g, "E03");
		return;
	}
	if (get_state(g, g->gcpu, &s) < 0) {
		reply(g, "E01");
		return;
	}
	uint8_t b[16];
	char hex[40];
	tdesc_reg_get(&s, (unsigned)n, b);
	rsp_tohex(hex, b, tdesc_reg_size((unsigned)n));
	reply(g, hex);
}

static void cmd_P(struct gdb_stub *g, const char *p)
{
	uint64_t n;
	struct rax_cpu_state s;
	if (rsp_parse_hex(&p, &n) < 0 || *p++ != '=' || n >= tdesc_nregs(g->avx)) {
		reply(g, "E02");
		return;
	}
	unsigned sz = tdesc_reg_size((unsigned)n);
	uint8_t b[16];
	if (strlen(p) != 2 * sz || rsp_fromhex(b, p, sz) < 0) {
		reply(g, "E02");
		return;
	}
	if (get_state(g, g->gcpu, &s) < 0) {
		reply(g, "E01");
		return;
	}
	tdesc_reg_set(&s, (unsigned)n, b);
	reply(g, set_state(g, g->gcpu, &s) < 0 ? "E01" : "OK");
}

/* "ADDR,LEN" then sep; -1 on anything else. */
static int parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char sep)
{
	if (rsp_parse_hex(p, addr) < 0 || *(*p)++ != ',' || rsp_parse_hex(p, len) < 0)
		return -1;
	if (sep && *(*p)++ != sep)
		return -1;
	if (!sep && **p)
		return -1;
	return 0;
}

static void cmd_m(struct gdb_stub *g, const char *p)
{
	uint64_t addr, len;
	if (parse_addr_len(&p, &addr, &len, 0) < 0) {
		reply(g, "E02");
		return;
	}
	if (len > MEM_MAX)
		len = MEM_MAX; /* a short read: gdb asks again for the rest */
	uint8_t buf[MEM_MAX];
	size_t n = mem_access(g, g->gcpu, addr, buf, len, false);
	if (!n && len) {
		reply(g, "E14"); /* EFAULT */
		return;
	}
	rsp_tohex(g->out, buf, n);
	reply_len(g, g->out, 2 * n);
}

/* M (hex) and X (binary, escapes already undone); all or nothing is not
 * promised: bytes before an unmapped page are written, and E14 says so. */
static void cmd_M(struct gdb_stub *g, const char *p, size_t plen, bool binary)
{
	const char *start = p;
	uint64_t addr, len;
	if (parse_addr_len(&p, &addr, &len, ':') < 0) {
		reply(g, "E02");
		return;
	}
	size_t left = plen - (size_t)(p - start);
	uint8_t buf[RSP_PACKET_MAX];
	if (len > sizeof(buf) || (binary ? left != len : left != 2 * len)) {
		reply(g, "E02");
		return;
	}
	if (binary)
		memcpy(buf, p, len);
	else if (rsp_fromhex(buf, p, len) < 0) {
		reply(g, "E02");
		return;
	}
	size_t n = mem_access(g, g->gcpu, addr, buf, len, true);
	reply(g, n == len ? "OK" : "E14");
}

/* ---- breakpoints ---- */

static void cmd_Z(struct gdb_stub *g, const char *p, bool insert)
{
	uint64_t type, addr, kind;
	if (rsp_parse_hex(&p, &type) < 0 || *p++ != ',' || rsp_parse_hex(&p, &addr) < 0 || *p++ != ',' ||
	    rsp_parse_hex(&p, &kind) < 0) {
		reply(g, "E02");
		return;
	}
	/* Z0/Z1 may carry ";cond" lists (E.2 "Packets"): not offered, ignored */
	if (type > RAX_WP_ACCESS) {
		reply(g, ""); /* not supported */
		return;
	}
	if (!g->vm->ops->set_breakpoints) {
		reply(g, "");
		return;
	}
	if (type >= RAX_WP_WRITE && kind != 1 && kind != 2 && kind != 4 && kind != 8) {
		reply_err(g, "watchpoint length %llu: 1, 2, 4 or 8 bytes", (unsigned long long)kind);
		return;
	}
	for (unsigned i = 0; i < g->nbp; i++) {
		if (g->bp[i].addr == addr && g->bp[i].kind == type && (type < RAX_WP_WRITE || g->bp[i].len == kind)) {
			if (!insert)
				g->bp[i] = g->bp[--g->nbp];
			reply(g, "OK"); /* inserting one that is there: nothing to do */
			return;
		}
	}
	if (!insert) {
		reply(g, "OK");
		return;
	}
	if (g->nbp == RAX_MAX_BREAKPOINTS) {
		reply_err(g, "too many breakpoints (%d)", RAX_MAX_BREAKPOINTS);
		return;
	}
	struct rax_breakpoint nb = { .addr = addr, .kind = (uint8_t)type, .len = (uint8_t)kind };
	/* try it now, so gdb hears at once what this backend cannot do */
	struct rax_err e = { 0 };
	g->bp[g->nbp++] = nb;
	if (g->vm->ops->set_breakpoints(g->vm, g->bp, g->nbp, &e) < 0) {
		g->nbp--;
		g->applied_valid = false;
		reply_err(g, "%s", e.msg);
		return;
	}
	memcpy(g->applied, g->bp, g->nbp * sizeof(g->bp[0]));
	g->napplied = g->nbp;
	g->applied_valid = true;
	reply(g, "OK");
}

/* Give the backend gdb's set, minus execution breakpoints at skip_rip
 * (a step from a breakpoint's address runs that instruction), when it
 * differs from what the backend has. */
static int apply_breakpoints(struct gdb_stub *g, bool skip, uint64_t skip_rip, struct rax_err *err)
{
	struct rax_breakpoint want[RAX_MAX_BREAKPOINTS];
	unsigned n = 0;
	for (unsigned i = 0; i < g->nbp; i++)
		if (!(skip && g->bp[i].addr == skip_rip && g->bp[i].kind <= RAX_BP_HW))
			want[n++] = g->bp[i];
	if (g->applied_valid && n == g->napplied && !memcmp(want, g->applied, n * sizeof(want[0])))
		return 0;
	if (!g->vm->ops->set_breakpoints)
		return 0;
	if (g->vm->ops->set_breakpoints(g->vm, want, n, err) < 0) {
		g->applied_valid = false;
		return -1;
	}
	memcpy(g->applied, want, n * sizeof(want[0]));
	g->napplied = n;
	g->applied_valid = true;
	return 0;
}

/* ---- monitor (qRcmd) ---- */

/* A monitor command's error: gdb takes qRcmd's reply as output or OK, so
 * the text goes out as console output (E.2 "qRcmd"). */
static void monitor_err(struct gdb_stub *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void monitor_err(struct gdb_stub *g, const char *fmt, ...)
{
	char text[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	strcat(text, "\n");
	console_out(g, text);
	reply(g, "OK");
}

static void monitor(struct gdb_stub *g, const char *cmd)
{
	struct rax_vm *vm = g->vm;
	char text[8192];
	if (!strcmp(cmd, "help") || !*cmd) {
		console_out(g,
			    "info registers      this CPU's whole state (segments, control registers, MSRs)\n"
			    "xp ADDR [LEN]       guest-physical memory, LEN bytes (default 16, at most 4096)\n"
			    "icount              instructions retired (the interpreter)\n");
		reply(g, "OK");
		return;
	}
	if (!strcmp(cmd, "info registers")) {
		struct rax_cpu_state s;
		if (get_state(g, g->gcpu, &s) < 0) {
			reply(g, "E01");
			return;
		}
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f) {
			reply(g, "E01");
			return;
		}
		fprintf(f, "CPU %u\n", g->gcpu);
		cpu_state_print(f, &s);
		fclose(f);
		console_out(g, buf);
		free(buf);
		reply(g, "OK");
		return;
	}
	if (!strncmp(cmd, "xp ", 3) || !strncmp(cmd, "xp/", 3)) {
		const char *p = strchr(cmd, ' ');
		char *end;
		errno = 0;
		unsigned long long addr = strtoull(p ? p : "", &end, 0), len = 16;
		if (!p || end == p + 0 || errno) {
			monitor_err(g, "usage: monitor xp ADDR [LEN]");
			return;
		}
		if (*end) {
			char *e2;
			len = strtoull(end, &e2, 0);
			if (*e2 || !len || len > 4096) {
				monitor_err(g, "usage: monitor xp ADDR [LEN] (LEN 1 to 4096)");
				return;
			}
		}
		if (!guest_mem_contains(&vm->mem, addr, len)) {
			monitor_err(g, "0x%llx+%llu is not guest RAM", addr, len);
			return;
		}
		size_t o = 0;
		for (unsigned long long i = 0; i < len; i += 16) {
			uint8_t b[16];
			unsigned n = len - i < 16 ? (unsigned)(len - i) : 16;
			guest_mem_read(&vm->mem, addr + i, b, n);
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%016llx:", addr + i);
			for (unsigned k = 0; k < n; k++)
				o += (size_t)snprintf(text + o, sizeof(text) - o, " %02x", b[k]);
			o += (size_t)snprintf(text + o, sizeof(text) - o, "\n");
			if (o > sizeof(text) - 128) {
				console_out(g, text);
				o = 0;
			}
		}
		text[o] = 0;
		console_out(g, text);
		reply(g, "OK");
		return;
	}
	if (!strcmp(cmd, "icount")) {
		if (!vm->ops->icount) {
			monitor_err(g, "no instruction count on the %s backend (the interpreter has one)",
				    vm->ops->name);
			return;
		}
		snprintf(text, sizeof(text), "%llu\n", (unsigned long long)vm->ops->icount(vm));
		console_out(g, text);
		reply(g, "OK");
		return;
	}
	monitor_err(g, "unknown monitor command '%.200s' (try 'monitor help')", cmd);
}

/* ---- queries ---- */

static bool prefix(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

static void cmd_q(struct gdb_stub *g, const char *p)
{
	if (prefix(p, "qSupported")) {
		bool rev = g->vm->ops->can_reverse && g->vm->ops->can_reverse(g->vm);
		snprintf(g->out, sizeof(g->out),
			 "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+%s",
			 RSP_PACKET_MAX, rev ? ";ReverseStep+;ReverseContinue+" : "");
		reply(g, g->out);
	} else if (prefix(p, "qXfer:features:read:")) {
		const char *a = p + strlen("qXfer:features:read:");
		uint64_t off, len;
		if (!prefix(a, "target.xml:")) {
			reply(g, "E00");
			return;
		}
		a += strlen("target.xml:");
		if (parse_addr_len(&a, &off, &len, 0) < 0) {
			reply(g, "E02");
			return;
		}
		const char *doc = tdesc_xml(g->avx);
		size_t dl = strlen(doc);
		if (len > RSP_PACKET_MAX - 2)
			len = RSP_PACKET_MAX - 2;
		if (off >= dl) {
			reply(g, "l");
			return;
		}
		size_t n = dl - off < len ? dl - off : len;
		g->out[0] = off + n < dl ? 'm' : 'l';
		memcpy(g->out + 1, doc + off, n);
		reply_len(g, g->out, n + 1);
	} else if (!strcmp(p, "qAttached")) {
		reply(g, "1"); /* attached to an existing process: kill is not implied by quit */
	} else if (!strcmp(p, "qfThreadInfo")) {
		size_t o = 0;
		o += (size_t)snprintf(g->out, sizeof(g->out), "m");
		for (unsigned i = 0; i < g->ncpus; i++)
			o += (size_t)snprintf(g->out + o, sizeof(g->out) - o, "%s%x", i ? "," : "", i + 1);
		reply(g, g->out);
	} else if (!strcmp(p, "qsThreadInfo")) {
		reply(g, "l");
	} else if (!strcmp(p, "qC")) {
		snprintf(g->out, sizeof(g->out), "QC%x", g->gcpu + 1);
		reply(g, g->out);
	} else if (prefix(p, "qThreadExtraInfo,")) {
		const char *a = p + strlen("qThreadExtraInfo,");
		uint64_t tid;
		if (rsp_parse_hex(&a, &tid) < 0 || tid == 0 || tid > g->ncpus) {
			reply(g, "E03");
			return;
		}
		char text[32], hex[80];
		snprintf(text, sizeof(text), "CPU %u", (unsigned)tid - 1);
		rsp_tohex(hex, (const uint8_t *)text, strlen(text));
		reply(g, hex);
	} else if (prefix(p, "qRcmd,")) {
		const char *h = p + 6;
		size_t hl = strlen(h);
		char cmd[1024];
		if (hl % 2 || hl / 2 >= sizeof(cmd) || rsp_fromhex((uint8_t *)cmd, h, hl / 2) < 0) {
			reply(g, "E02");
			return;
		}
		cmd[hl / 2] = 0;
		monitor(g, cmd);
	} else if (prefix(p, "qSymbol")) {
		reply(g, "OK");
	} else {
		reply(g, "");
	}
}

/* ---- run control ---- */

/* What ends the run when the guest itself ends during a step. */
static int end_status(struct rax_vm *vm, const struct rax_exit *ex)
{
	switch (ex->kind) {
	case RAX_EXIT_HLT: return RAX_STATUS_OK;
	case RAX_EXIT_SHUTDOWN: return RAX_STATUS_SHUTDOWN;
	case RAX_EXIT_INTERNAL: return RAX_STATUS_INTERNAL;
	case RAX_EXIT_STOP: return vm->stop ? vm->stop_status : RAX_STATUS_SIGNAL;
	default: return -1;
	}
}

enum { SERVE_RESUME = -1 };

/*
 * Steps of CPU cpu while its RIP stays in [lo, hi) (one step when lo ==
 * hi): the stop reply is sent and serving goes on (0), or the guest ended
 * (its status, > 0; RAX_STATUS_OK's 0 is returned as -2).
 */
static int do_step(struct gdb_stub *g, unsigned cpu, uint64_t lo, uint64_t hi)
{
	struct rax_vm *vm = g->vm;
	if (!vm->ops->debug_step) {
		reply_err(g, "the %s backend cannot single-step", vm->ops->name);
		return 0;
	}
	struct rax_exit ex;
	struct rax_err e = { 0 };
	watch_start(g);
	for (;;) {
		struct rax_cpu_state s;
		uint64_t rip = get_state(g, cpu, &s) == 0 ? s.rip : 0;
		if (apply_breakpoints(g, true, rip, &e) < 0 || vm->ops->debug_step(vm, cpu, &ex, &e) < 0) {
			watch_stop(g);
			reply_err(g, "%s", e.msg);
			return 0;
		}
		if (ex.kind != RAX_EXIT_DEBUG || ex.why != RAX_DEBUG_STEP)
			break;
		if (vm->debug_req) { /* Ctrl-C during a range step */
			ex.why = RAX_DEBUG_INTERRUPT;
			break;
		}
		if (vm->stop) {
			ex.kind = RAX_EXIT_STOP;
			break;
		}
		if (ex.rip < lo || ex.rip >= hi || lo == hi)
			break;
	}
	watch_stop(g);
	vm->debug_req = 0;
	int st = end_status(vm, &ex);
	if (st >= 0) {
		if (ex.kind == RAX_EXIT_INTERNAL && ex.detail[0]) {
			char line[600];
			snprintf(line, sizeof(line), "rax: %s\n", ex.detail);
			console_out(g, line);
		}
		return st == 0 ? -2 : st;
	}
	if (g->new_client) { /* a gdb attached meanwhile: it asks with `?` */
		g->new_client = false;
		g->last = ex;
		return 0;
	}
	g->last = ex;
	g->gcpu = ex.cpu;
	stop_reply(g, &ex);
	return 0;
}

/* bs / bc (E.2: "Backward single step" / "Backward continue"), on a
 * backend with history; the stop reply follows. gdb names the CPU with Hc
 * (scheduler-locking) or sends Hc-1: then the selected one (Hg) steps. */
static void do_reverse(struct gdb_stub *g, bool step)
{
	struct rax_vm *vm = g->vm;
	if (!vm->ops->reverse || !vm->ops->can_reverse || !vm->ops->can_reverse(vm)) {
		reply_err(g,
			  "reverse execution needs the interpreter with history (--backend emulator, --gdb-history)");
		return;
	}
	struct rax_exit ex;
	struct rax_err e = { 0 };
	if (apply_breakpoints(g, false, 0, &e) < 0) {
		reply_err(g, "%s", e.msg);
		return;
	}
	/* a reverse-continue searches for a while: Ctrl-C ends it (a gdb that
	 * attaches meanwhile is taken as one that attaches to a stopped guest) */
	g->reversing = true;
	vm->debug_cancel = 0;
	watch_start(g);
	int rc = vm->ops->reverse(vm, g->ccpu_any ? g->gcpu : g->ccpu, step, &ex, &e);
	watch_stop(g);
	g->reversing = false;
	vm->debug_cancel = 0;
	vm->debug_req = 0;
	g->new_client = false;
	if (rc < 0) {
		reply_err(g, "%s", e.msg);
		return;
	}
	g->last = ex;
	g->gcpu = ex.cpu;
	stop_reply(g, &ex);
}

/* Resume for `c`: the run goes on in vm_run; the stop reply is owed. */
static int do_continue(struct gdb_stub *g)
{
	struct rax_err e = { 0 };
	if (apply_breakpoints(g, false, 0, &e) < 0) {
		reply_err(g, "%s", e.msg);
		return 0;
	}
	g->reply_owed = true;
	watch_start(g);
	return SERVE_RESUME;
}

/* Thread id to CPU: -1 (all) and 0 (any) are CPU dflt. */
static int tid_cpu(struct gdb_stub *g, const char *p, unsigned dflt, unsigned *cpu)
{
	if (!strcmp(p, "-1") || !strcmp(p, "0") || !*p) {
		*cpu = dflt;
		return 0;
	}
	uint64_t t;
	if (rsp_parse_hex(&p, &t) < 0 || *p || t == 0 || t > g->ncpus)
		return -1;
	*cpu = (unsigned)t - 1;
	return 0;
}

/* vCont;ACTION[:TID];... (E.2): in all-stop mode the first step or range
 * action names the CPU that moves alone; otherwise all continue. */
static int cmd_vcont(struct gdb_stub *g, const char *p)
{
	bool step = false;
	unsigned cpu = g->ccpu;
	uint64_t lo = 0, hi = 0;
	while (*p == ';') {
		p++;
		char act = *p++;
		uint64_t a = 0, b = 0;
		if (act == 'C' || act == 'S') { /* a signal to deliver: ignored */
			uint64_t sig;
			if (rsp_parse_hex(&p, &sig) < 0)
				goto bad;
		} else if (act == 'r') {
			if (rsp_parse_hex(&p, &a) < 0 || *p++ != ',' || rsp_parse_hex(&p, &b) < 0)
				goto bad;
		} else if (act != 'c' && act != 's' && act != 't') {
			goto bad;
		}
		unsigned tcpu = g->ccpu;
		if (*p == ':') {
			p++;
			char tid[24];
			size_t n = strcspn(p, ";");
			if (n >= sizeof(tid))
				goto bad;
			memcpy(tid, p, n);
			tid[n] = 0;
			p += n;
			if (tid_cpu(g, tid, g->ccpu, &tcpu) < 0)
				goto bad;
		}
		if (!step && (act == 's' || act == 'S' || act == 'r')) {
			step = true;
			cpu = tcpu;
			lo = a;
			hi = b;
		}
	}
	if (*p)
		goto bad;
	if (step)
		return do_step(g, cpu, lo, hi);
	return do_continue(g);
bad:
	reply(g, "E02");
	return 0;
}

/* One packet; SERVE_RESUME, 0 to go on serving, or an end status (> 0;
 * -2 for RAX_STATUS_OK). */
static int handle(struct gdb_stub *g, const char *p, size_t len)
{
	switch (p[0]) {
	case '?': stop_reply(g, &g->last); return 0;
	case 'g': cmd_g(g); return 0;
	case 'G': cmd_G(g, p + 1); return 0;
	case 'p': cmd_p(g, p + 1); return 0;
	case 'P': cmd_P(g, p + 1); return 0;
	case 'm': cmd_m(g, p + 1); return 0;
	case 'M': cmd_M(g, p + 1, len - 1, false); return 0;
	case 'X': cmd_M(g, p + 1, len - 1, true); return 0;
	case 'Z': cmd_Z(g, p + 1, true); return 0;
	case 'z': cmd_Z(g, p + 1, false); return 0;
	case 'q': cmd_q(g, p); return 0;
	case 'H': {
		unsigned cpu;
		if ((p[1] != 'g' && p[1] != 'c') || tid_cpu(g, p + 2, 0, &cpu) < 0) {
			reply(g, "E02");
			return 0;
		}
		if (p[1] == 'g') {
			g->gcpu = cpu;
		} else {
			g->ccpu = cpu;
			g->ccpu_any = !strcmp(p + 2, "-1") || !strcmp(p + 2, "0");
		}
		reply(g, "OK");
		return 0;
	}
	case 'T': {
		unsigned cpu;
		reply(g, tid_cpu(g, p + 1, 0, &cpu) < 0 ? "E03" : "OK");
		return 0;
	}
	case 'Q':
		if (!strcmp(p, "QStartNoAckMode")) {
			reply(g, "OK");
			g->noack = true;
		} else {
			reply(g, "");
		}
		return 0;
	case 'c':
	case 's': {
		if (p[1]) { /* c ADDR / s ADDR: resume at ADDR */
			const char *a = p + 1;
			uint64_t addr;
			struct rax_cpu_state s;
			if (rsp_parse_hex(&a, &addr) < 0 || *a || get_state(g, g->ccpu, &s) < 0) {
				reply(g, "E02");
				return 0;
			}
			s.rip = addr;
			set_state(g, g->ccpu, &s);
		}
		return p[0] == 'c' ? do_continue(g) : do_step(g, g->ccpu, 0, 0);
	}
	case 'v':
		if (!strcmp(p, "vCont?")) {
			reply(g, "vCont;c;C;s;S;r");
		} else if (prefix(p, "vCont;")) {
			return cmd_vcont(g, p + 5);
		} else if (prefix(p, "vKill")) {
			reply(g, "OK");
			fprintf(stderr, "rax: gdb: killed by the debugger\n");
			return RAX_STATUS_SIGNAL;
		} else {
			reply(g, ""); /* vMustReplyEmpty, vFile, vRun...: not supported */
		}
		return 0;
	case 'D': {
		/* detach: breakpoints go, the guest runs on, gdb goes */
		g->nbp = 0;
		struct rax_err e = { 0 };
		apply_breakpoints(g, false, 0, &e);
		reply(g, "OK");
		client_close(g);
		watch_start(g);
		return SERVE_RESUME;
	}
	case 'b':
		if (!strcmp(p, "bs") || !strcmp(p, "bc"))
			do_reverse(g, p[1] == 's');
		else
			reply(g, "");
		return 0;
	case 'k': fprintf(stderr, "rax: gdb: killed by the debugger\n"); return RAX_STATUS_SIGNAL;
	default: reply(g, ""); return 0;
	}
}

/*
 * Serve gdb while the guest is stopped: SERVE_RESUME when it should run
 * (the watcher is running then), or the status to end the run with.
 */
static int serve(struct gdb_stub *g)
{
	struct rax_vm *vm = g->vm;
	for (;;) {
		if (g->cfd < 0) { /* gdb went away: the guest runs on without breakpoints */
			g->nbp = 0;
			struct rax_err e = { 0 };
			apply_breakpoints(g, false, 0, &e);
			g->reply_owed = false;
			watch_start(g);
			return SERVE_RESUME;
		}
		/* (a handler may close the client, which empties pend) */
		while (g->pend_off < g->pend_len) {
			enum rsp_event ev = rsp_feed(&g->rd, g->pend[g->pend_off++]);
			if (ev == RSP_BAD) {
				if (!g->noack && rsp_write_all(g->cfd, "-", 1) < 0)
					client_close(g);
				continue;
			}
			if (ev != RSP_PACKET)
				continue; /* 0x03 while stopped: nothing to interrupt */
			if (!g->noack && rsp_write_all(g->cfd, "+", 1) < 0) {
				client_close(g);
				break;
			}
			int r = handle(g, g->rd.data, g->rd.len);
			if (r == 0)
				continue;
			if (r == SERVE_RESUME) { /* keep what came after the packet */
				memmove(g->pend, g->pend + g->pend_off, g->pend_len - g->pend_off);
				g->pend_len -= g->pend_off;
				g->pend_off = 0;
				return r;
			}
			client_close(g);
			return r == -2 ? RAX_STATUS_OK : r;
		}
		g->pend_len = g->pend_off = 0;
		if (g->cfd < 0)
			continue;
		struct pollfd p[2] = { { .fd = g->cfd, .events = POLLIN }, { .fd = g->lfd, .events = POLLIN } };
		int n = poll(p, 2, -1);
		if (n < 0 && errno != EINTR)
			return RAX_STATUS_HOST;
		if (vm->stop)
			return vm->stop_status;
		if (n <= 0)
			continue;
		if (p[1].revents & POLLIN)
			accept_more(g); /* a second gdb: refused */
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(g->cfd, g->pend, sizeof(g->pend), 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				client_close(g);
				continue;
			}
			g->pend_len = (size_t)r;
		}
	}
}

/* ---- vm_run's hooks ---- */

static int hook_start(struct rax_vm *vm, void *opaque)
{
	struct gdb_stub *g = opaque;
	g->last = (struct rax_exit){ .kind = RAX_EXIT_DEBUG, .why = RAX_DEBUG_STEP };
	if (!g->wait) {
		watch_start(g);
		return -1;
	}
	/* --gdb-wait: nothing runs until a gdb attaches and resumes */
	while (g->cfd < 0) {
		struct pollfd p = { .fd = g->lfd, .events = POLLIN };
		int n = poll(&p, 1, -1);
		if (vm->stop)
			return vm->stop_status;
		if (n < 0 && errno != EINTR)
			return RAX_STATUS_HOST;
		if (n > 0)
			accept_more(g);
	}
	g->new_client = false;
	int r = serve(g);
	return r == SERVE_RESUME ? -1 : r;
}

static int hook_stopped(struct rax_vm *vm, void *opaque, const struct rax_exit *ex)
{
	struct gdb_stub *g = opaque;
	watch_stop(g);
	vm->debug_req = 0;
	if (g->cfd < 0) { /* no gdb (it went away): run on */
		g->reply_owed = false;
		watch_start(g);
		return -1;
	}
	g->last = *ex;
	g->gcpu = ex->cpu;
	if (g->new_client) /* attached to a running guest: gdb asks with `?` */
		g->new_client = false;
	else if (g->reply_owed)
		stop_reply(g, ex);
	g->reply_owed = false;
	int r = serve(g);
	return r == SERVE_RESUME ? -1 : r;
}

static void hook_ended(struct rax_vm *vm, void *opaque, int status)
{
	struct gdb_stub *g = opaque;
	watch_stop(g);
	if (g->cfd >= 0) {
		/* W: the process exited with this status (E.3) */
		char buf[16];
		snprintf(buf, sizeof(buf), "W%02x", status & 0xff);
		reply(g, buf);
		client_close(g);
	}
}

static const struct rax_vm_debugger gdb_hooks = {
	.start = hook_start,
	.stopped = hook_stopped,
	.ended = hook_ended,
};

int gdb_stub_open(struct rax_vm *vm, const char *spec, bool wait, struct gdb_stub **out, struct rax_err *err)
{
	char msg[300];
	if (gdb_spec_check(spec, msg, sizeof(msg)) < 0)
		return rax_errf(err, RAX_STATUS_USAGE, "%s", msg);
	struct gdb_stub *g = calloc(1, sizeof(*g));
	if (!g)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	g->vm = vm;
	g->lfd = g->cfd = -1;
	g->wait = wait;
	g->ncpus = rax_ncpus(&vm->cfg);
	g->avx = (vm->cfg.cpu_level ? vm->cfg.cpu_level : RAX_CPU_LEVEL_DEFAULT) >= RAX_CPU_V3;
	rsp_reader_reset(&g->rd);
	if (pipe2(g->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(g);
		return rax_errf(err, RAX_STATUS_HOST, "pipe: %s", strerror(errno));
	}
	int rc = !strncmp(spec, "unix:", 5) ? listen_unix(g, spec, err) : listen_tcp(g, spec, err);
	if (rc < 0) {
		close(g->wake[0]);
		close(g->wake[1]);
		free(g);
		return -1;
	}
	vm->debugger = &gdb_hooks;
	vm->debugger_opaque = g;
	*out = g;
	return 0;
}

void gdb_stub_close(struct gdb_stub *g)
{
	if (!g)
		return;
	watch_stop(g);
	if (g->vm && g->vm->debugger == &gdb_hooks) {
		g->vm->debugger = NULL;
		g->vm->debugger_opaque = NULL;
	}
	client_close(g);
	if (g->lfd >= 0)
		close(g->lfd);
	if (g->unix_path) {
		unlink(g->unix_path);
		free(g->unix_path);
	}
	close(g->wake[0]);
	close(g->wake[1]);
	free(g);
}
