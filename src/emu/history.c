/*
 * history.c - snapshots, deterministic replay and the backwards search
 * (history.h).
 *
 * The timeline is a list of snapshots at increasing positions. Snapshot i
 * holds the state at its position (every CPU's struct emu_cpu, the device
 * models, the UART's registers, the SMP scheduler's turn) and the old
 * contents of each RAM page first written during its interval
 * [pos_i, pos_i+1). Writing those pages back from the newest interval down
 * to interval i turns RAM into what it was at pos_i; decoded code (and its
 * translations) on those pages goes, the rest stays valid and is kept.
 *
 * Copy-on-write: cow_bits marks the pages not yet saved in the current
 * interval. Their write-TLB entries keep their translation but lose their
 * host pointer, so a write takes the slow path (mmu.c), which calls
 * history_cow() before the first byte changes; the page is saved, its bit
 * cleared and its TLB entries get their host pointer back. Entering an
 * interval (a new snapshot, or a replay crossing an old one) marks every
 * page but those the interval already saved.
 *
 * The driver (drive) runs the machine from stop point to stop point: the
 * caller's target, the next snapshot (pos + interval, or the next old one),
 * the next logged input, and the newest position (below it the console's
 * output is muted: it was printed the first time). Stops are exact and
 * change nothing (emu_backend.c), so a replay retires the same
 * instructions as the first run did.
 */
#include "emu/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "devices/devices.h"
#include "devices/uart16550.h"
#include "emu/cpu.h"
#include "layout.h"
#include "vm.h"

/* One saved RAM page: its contents when its interval began. */
struct hpage {
	uint64_t pfn;
	uint8_t *data;
};

struct hsnap {
	uint64_t pos;
	struct emu_cpu *cpu; /* ncpu copies */
	void *dev;           /* devices_save() image */
	uint64_t smp_now;
	unsigned smp_last;
	int smp_resume; /* CPU index of a slice cut short, -1 none */
	struct hpage *pages;
	size_t npages, cap;
};

/* Inputs: console bytes (at a stop point, or while idle at a time), a
 * wait's end (IDLE: its time, so that a realtime clock replays), debugger
 * writes. */
enum { IN_UART, IN_MEM, IN_STATE, IN_IDLE };

struct hinput {
	uint64_t pos;
	uint64_t time; /* idle entries: virtual ns */
	bool idle;     /* taken in emu_idle (not at a stop point) */
	uint8_t kind, cpu;
	uint64_t gpa;
	size_t len;
	void *data; /* bytes, or a struct rax_cpu_state */
};

struct emu_history {
	struct rax_vm *vm;
	struct emu_cpu *bsp;
	unsigned ncpu;
	uint64_t max_bytes, interval, bytes, dropped, npages_held;
	size_t devsz;
	struct hsnap *snaps;
	size_t nsnaps, cap, cur; /* cur: the interval the machine is in */
	bool want_snap;          /* the current interval saved too much: end it */
	uint64_t *cow_bits;
	size_t nwords;
	uint64_t newest;
	struct hinput *in;
	size_t nin, incap, next_in;
	/* per-instruction probe */
	history_probe_fn probe;
	void *probe_arg;
	uint64_t probe_lo, probe_hi, probe_found;
	bool probe_hit, probing;
	bool searching; /* in history_find_last: no snapshots near its gotos */
	int probe_phase, found_phase;
	uint64_t p0_rip[EMU_MAX_CPUS];
	struct history_write wbuf[EMU_MAX_CPUS][HISTORY_MAX_WRITES]; /* each CPU's last instruction's */
	unsigned last_cpu;
	struct emu_cpu *scratch; /* a struct emu_cpu for restores */
	/* console input from the input thread, waiting for the CPU thread */
	pthread_mutex_t rx_lock;
	uint8_t rx[256];
	unsigned nrx;
	_Atomic bool rx_pending, live; /* live: at the newest position (recording) */
};

static struct emu_cpu *bsp_of(struct rax_vm *vm) { return vm->backend; }
static struct emu_history *hist_of(struct rax_vm *vm) { return vm->backend ? bsp_of(vm)->hist : NULL; }
static unsigned ncpu_of(struct emu_cpu *b) { return b->smp ? b->smp->n : 1; }
static struct emu_cpu *cpu_k(struct emu_cpu *b, unsigned k) { return b->smp ? b->smp->cpu[k] : b; }

static uint64_t machine_count(struct emu_cpu *b)
{
	uint64_t n = 0;
	for (unsigned k = 0; k < ncpu_of(b); k++)
		n += cpu_k(b, k)->icount;
	return n;
}

uint64_t history_icount(struct rax_vm *vm) { return machine_count(bsp_of(vm)); }

/* ---- the machine's stop point ---- */

static void set_machine_stop(struct emu_cpu *b, uint64_t total)
{
	if (b->smp) {
		b->smp->stop_total = total;
		uint64_t now = machine_count(b);
		for (unsigned k = 0; k < b->smp->n; k++) {
			struct emu_cpu *c = b->smp->cpu[k];
			/* the slice that goes on (or starts) gets its own stop in smp.c */
			c->stop_at = total == UINT64_MAX ? UINT64_MAX : c->icount + (total > now ? total - now : 0);
			emu_set_limits(c);
		}
	} else {
		b->stop_at = total;
		emu_set_limits(b);
	}
}

/* Run the machine (one CPU or the SMP scheduler) until an exit. */
static void run_machine(struct emu_cpu *b, struct rax_exit *ex)
{
	memset(ex, 0, sizeof(*ex));
	if (b->smp)
		emu_smp_run(b->smp, ex);
	else
		emu_run_loop(b, false, ex);
}

/* ---- RAM pages ---- */

static void drop_write_hosts(struct emu_history *h)
{
	for (unsigned k = 0; k < h->ncpu; k++) {
		struct emu_cpu *c = cpu_k(h->bsp, k);
		for (unsigned i = 0; i < EMU_TLB_SIZE; i++)
			emu_tlb_set_host(&c->tlb[ACC_W][i], NULL);
	}
}

/* Enter interval i: every page unsaved but those it saved already. */
static void enter_interval(struct emu_history *h, size_t i)
{
	h->cur = i;
	memset(h->cow_bits, 0xff, h->nwords * sizeof(uint64_t));
	const struct hsnap *s = &h->snaps[i];
	for (size_t p = 0; p < s->npages; p++)
		h->cow_bits[s->pages[p].pfn >> 6] &= ~(1ull << (s->pages[p].pfn & 63));
	drop_write_hosts(h);
}

static void drop_oldest(struct emu_history *h);

/* arr (n elements of size bytes, room for *cap) with room for one more:
 * the capacity doubled from 64 when full; NULL when out of memory (arr
 * and *cap unchanged). */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : 64;
	void *na = realloc(arr, nc * size);
	if (na)
		*cap = nc;
	return na;
}

void history_cow(struct emu_cpu *c, uint64_t pfn)
{
	struct emu_history *h = c->hist;
	h->cow_bits[pfn >> 6] &= ~(1ull << (pfn & 63));
	struct hsnap *s = &h->snaps[h->cur];
	struct hpage *np = grow(s->pages, &s->cap, s->npages, sizeof(*np));
	if (!np)
		emu_internal(c, "history: out of memory");
	s->pages = np;
	uint8_t *d = malloc(GUEST_PAGE_SIZE);
	if (!d)
		emu_internal(c, "history: out of memory");
	memcpy(d, c->ram + (pfn << GUEST_PAGE_SHIFT), GUEST_PAGE_SIZE);
	s->pages[s->npages++] = (struct hpage){ pfn, d };
	h->bytes += GUEST_PAGE_SIZE + sizeof(struct hpage);
	h->npages_held++;
	/* the page's write entries may take the fast path again (unless a
	 * watchpoint needs the slow path there: debug.c) */
	uint64_t gpa = pfn << GUEST_PAGE_SHIFT;
	if (!emu_is_code_page(c, pfn))
		for (unsigned k = 0; k < h->ncpu; k++) {
			struct emu_cpu *o = cpu_k(h->bsp, k);
			if (gpa == o->apic_page)
				continue;
			bool watch = o->dbg.active & EMU_DBG_DATA;
			for (unsigned i = 0; i < EMU_TLB_SIZE; i++) {
				struct emu_tlb_entry *e = &o->tlb[ACC_W][i];
				if (e->tag && e->gpa == gpa && !e->fast &&
				    !(watch && emu_dbg_page_watched(o, e->tag & ~GUEST_PAGE_OFFSET)))
					emu_tlb_set_host(e, c->ram + gpa);
			}
		}
	/* over the bound: drop old snapshots; one interval alone too big: end it soon */
	while (h->bytes > h->max_bytes && h->cur > 0)
		drop_oldest(h);
	s = &h->snaps[h->cur]; /* (dropping moved the list) */
	if (!h->want_snap && s->npages * (uint64_t)GUEST_PAGE_SIZE > h->max_bytes / 8) {
		h->want_snap = true;
		c->stop_at = c->icount + 1; /* the driver takes a snapshot there */
		if (c->smp)
			c->smp->stop_total = machine_count(h->bsp) + 1;
		emu_set_limits(c);
		c->block_break = true;
	}
}

/* ---- snapshots ---- */

static uint64_t snap_fixed_bytes(const struct emu_history *h)
{
	return h->ncpu * sizeof(struct emu_cpu) + h->devsz + h->nwords * sizeof(uint64_t) + sizeof(struct hsnap);
}

static void free_snap(struct emu_history *h, struct hsnap *s)
{
	for (size_t p = 0; p < s->npages; p++)
		free(s->pages[p].data);
	h->bytes -= s->npages * (GUEST_PAGE_SIZE + sizeof(struct hpage)) + snap_fixed_bytes(h);
	h->npages_held -= s->npages;
	free(s->pages);
	free(s->cpu);
	free(s->dev);
	memset(s, 0, sizeof(*s));
}

static void drop_oldest(struct emu_history *h)
{
	free_snap(h, &h->snaps[0]);
	memmove(h->snaps, h->snaps + 1, (h->nsnaps - 1) * sizeof(*h->snaps));
	h->nsnaps--;
	h->cur--;
	h->dropped++;
	size_t k = 0; /* inputs before the oldest position can never be replayed */
	while (k < h->nin && h->in[k].pos < h->snaps[0].pos)
		free(h->in[k++].data);
	if (k) {
		memmove(h->in, h->in + k, (h->nin - k) * sizeof(*h->in));
		h->nin -= k;
	}
	h->next_in = h->next_in > k ? h->next_in - k : 0;
}

/* A snapshot's image of the machine at pos (no saved pages yet). */
static int fill_snapshot(struct emu_history *h, uint64_t pos, struct hsnap *s, struct rax_err *err)
{
	*s = (struct hsnap){ .pos = pos, .smp_resume = -1 };
	s->cpu = malloc(h->ncpu * sizeof(struct emu_cpu));
	s->dev = malloc(h->devsz);
	if (!s->cpu || !s->dev) {
		free(s->cpu);
		free(s->dev);
		return rax_errf(err, RAX_STATUS_HOST, "history: out of memory");
	}
	for (unsigned k = 0; k < h->ncpu; k++)
		memcpy(&s->cpu[k], cpu_k(h->bsp, k), sizeof(struct emu_cpu));
	devices_save(h->vm, s->dev);
	if (h->bsp->smp) {
		s->smp_now = h->bsp->smp->now;
		s->smp_last = h->bsp->smp->last;
		s->smp_resume = h->bsp->smp->resume ? (int)h->bsp->smp->resume->cpu_index : -1;
	}
	h->bytes += snap_fixed_bytes(h);
	return 0;
}

/* Room for one more snapshot in the list. */
static int grow_snaps(struct emu_history *h, struct rax_err *err)
{
	struct hsnap *ns = grow(h->snaps, &h->cap, h->nsnaps, sizeof(*ns));
	if (!ns)
		return rax_errf(err, RAX_STATUS_HOST, "history: out of memory");
	h->snaps = ns;
	return 0;
}

static int take_snapshot(struct emu_history *h, uint64_t pos, struct rax_err *err)
{
	struct hsnap s;
	if (grow_snaps(h, err) < 0 || fill_snapshot(h, pos, &s, err) < 0)
		return -1;
	h->snaps[h->nsnaps++] = s;
	enter_interval(h, h->nsnaps - 1);
	h->want_snap = false;
	while (h->bytes > h->max_bytes && h->cur > 0)
		drop_oldest(h);
	return 0;
}

/*
 * A snapshot at the current position pos, inside interval i = cur (a
 * replay): it becomes interval i + 1 and ends i there. It starts with no
 * saved pages: from here on copy-on-write saves each page before its first
 * write, as for a new snapshot, and a replay only goes forward from here
 * (or from an earlier snapshot, through here), so every page the rest of
 * the old interval writes is saved before a position past it is reached.
 * Skipped (false) when the memory bound has no room for it.
 */
static bool insert_snapshot(struct emu_history *h, uint64_t pos)
{
	size_t i = h->cur;
	struct rax_err err;
	struct hsnap s;
	if (pos <= h->snaps[i].pos || (i + 1 < h->nsnaps && pos >= h->snaps[i + 1].pos) ||
	    h->bytes + snap_fixed_bytes(h) > h->max_bytes || grow_snaps(h, &err) < 0 ||
	    fill_snapshot(h, pos, &s, &err) < 0)
		return false;
	memmove(&h->snaps[i + 2], &h->snaps[i + 1], (h->nsnaps - i - 1) * sizeof(*h->snaps));
	h->snaps[i + 1] = s;
	h->nsnaps++;
	enter_interval(h, i + 1);
	return true;
}

/*
 * A CPU back to a snapshot's image. Host-side fields (pointers, the
 * harness's overrides, hooks, the debuggers' breakpoints) stay as they are
 * now; everything the guest can see or that decides what happens next
 * (registers, TLB, time, events, the scheduler's slice) comes back.
 */
static void restore_cpu(struct emu_history *h, struct emu_cpu *c, const struct emu_cpu *img)
{
	struct emu_cpu *live = h->scratch;
	memcpy(live, c, sizeof(*c));
	memcpy(c, img, sizeof(*c));
	c->vm = live->vm;
	c->ram = live->ram;
	c->ram_size = live->ram_size;
	c->jb_valid = false;
	c->rdtsc_override = live->rdtsc_override;
	c->cpuid_override = live->cpuid_override;
	c->rand_override = live->rand_override;
	c->aux_override = live->aux_override;
	c->track_writes = live->track_writes;
	c->nwritten = 0;
	c->irq = live->irq;
	c->apic = live->apic;
	c->cpu_index = live->cpu_index;
	c->bcache = live->bcache;
	c->bc_epoch = live->bc_epoch;       /* never back: old epochs' blocks are stale */
	c->chain_gen = live->chain_gen + 1; /* nor links checked against the live TLB and blocks */
	c->page_gen = live->page_gen;
	c->code_bits = live->code_bits;
	c->npages = live->npages;
	c->smp = live->smp;
	c->hook = live->hook;
	c->hook_done = UINT64_MAX;
	c->hist = live->hist;
	c->cow_bits = live->cow_bits;
	c->wlog = live->wlog;
	c->nwlog = 0;
	c->stop_at = UINT64_MAX;
	/* the fields after `state` (cpu.h: the host debugger's breakpoints and
	 * its stop reason) are the host's: kept */
	size_t tail = offsetof(struct emu_cpu, state) + sizeof(c->state);
	memcpy((char *)c + tail, (char *)live + tail, sizeof(*c) - tail);
	/* the guest's debug registers come back; the host debugger's slots stay */
	memcpy(c->dbg.host, live->dbg.host, sizeof(c->dbg.host));
	c->dbg.host_used = live->dbg.host_used;
	c->dbg.host_skip = live->dbg.host_skip;
	c->dbg.host_record = live->dbg.host_record;
	c->dbg.seen = 0;
	c->dbg.skip_rip = live->dbg.skip_rip;
	c->dbg.stopped = live->dbg.stopped;
	c->dbg.stop = live->dbg.stop;
	if (c->dbg.host_used || live->dbg.active || c->dbg.active)
		emu_dbg_update(c);        /* `active` for both */
	if (c->dbg.active & EMU_DBG_DATA) /* watched pages: the slow path (write entries: enter_interval) */
		for (unsigned i = 0; i < EMU_TLB_SIZE; i++)
			emu_tlb_set_host(&c->tlb[ACC_R][i], NULL);
	c->exit_req = 0;
	/* decoded code (and its translations) stays: restore() dropped what
	 * was decoded from the pages it wrote back; blocks decoded for another
	 * code mode go, as a mode change drops them (segment.c) */
	if (c->dmode != live->dmode)
		emu_dcache_flush(c);
}

/* Back to snapshot i: RAM by the saved pages from the current interval down to i. */
static void restore(struct emu_history *h, size_t i)
{
	struct emu_cpu *b = h->bsp;
	for (size_t j = h->cur + 1; j-- > i;) {
		const struct hsnap *s = &h->snaps[j];
		for (size_t p = 0; p < s->npages; p++) {
			uint64_t pfn = s->pages[p].pfn;
			if (emu_is_code_page(b, pfn)) { /* its decoded blocks go (the marks are the machine's) */
				b->page_gen[pfn]++;
				b->chain_gen++;
				b->code_bits[pfn >> 6] &= ~(1ull << (pfn & 63));
			}
			memcpy(b->ram + (pfn << GUEST_PAGE_SHIFT), s->pages[p].data, GUEST_PAGE_SIZE);
		}
	}
	const struct hsnap *s = &h->snaps[i];
	for (unsigned k = 0; k < h->ncpu; k++)
		restore_cpu(h, cpu_k(h->bsp, k), &s->cpu[k]);
	devices_restore(h->vm, s->dev);
	if (h->bsp->smp) {
		h->bsp->smp->now = s->smp_now;
		h->bsp->smp->last = s->smp_last;
		h->bsp->smp->resume = s->smp_resume >= 0 ? h->bsp->smp->cpu[s->smp_resume] : NULL;
	}
	enter_interval(h, i);
	h->want_snap = false;
	h->next_in = 0;
	while (h->next_in < h->nin && h->in[h->next_in].pos < s->pos)
		h->next_in++;
}

/* ---- inputs ---- */

static int log_input(struct emu_history *h, const struct hinput *in, struct rax_err *err)
{
	struct hinput *ni = grow(h->in, &h->incap, h->nin, sizeof(*ni));
	if (!ni)
		return rax_errf(err, RAX_STATUS_HOST, "history: out of memory");
	h->in = ni;
	h->in[h->nin++] = *in;
	h->next_in = h->nin;
	h->bytes += in->len + sizeof(*in);
	return 0;
}

static void write_ram(struct emu_history *h, uint64_t gpa, const uint8_t *buf, size_t len)
{
	struct emu_cpu *b = h->bsp;
	for (size_t i = 0; i < len;) {
		uint64_t pfn = (gpa + i) >> GUEST_PAGE_SHIFT;
		size_t n = GUEST_PAGE_SIZE - ((gpa + i) & GUEST_PAGE_OFFSET);
		if (n > len - i)
			n = len - i;
		if (h->cow_bits[pfn >> 6] >> (pfn & 63) & 1)
			history_cow(b, pfn);
		bool track = b->track_writes;
		b->track_writes = false;
		emu_note_write(b, gpa + i); /* drops code decoded there */
		b->track_writes = track;
		memcpy(b->ram + gpa + i, buf + i, n);
		i += n;
	}
}

static void apply_input(struct emu_history *h, const struct hinput *in)
{
	switch (in->kind) {
	case IN_IDLE: break;
	case IN_UART:
		if (h->vm->uart)
			uart_receive(h->vm->uart, in->data, (unsigned)in->len);
		break;
	case IN_MEM: write_ram(h, in->gpa, in->data, in->len); break;
	case IN_STATE: emu_load_state(cpu_k(h->bsp, in->cpu), in->data); break;
	}
}

/* A debugger's change at the current position: the recorded future goes. */
static void truncate_future(struct emu_history *h, uint64_t pos)
{
	while (h->nsnaps > h->cur + 1)
		free_snap(h, &h->snaps[--h->nsnaps]);
	while (h->nin && h->in[h->nin - 1].pos > pos) {
		h->nin--;
		h->bytes -= h->in[h->nin].len + sizeof(struct hinput);
		free(h->in[h->nin].data);
	}
	h->next_in = h->nin;
	h->newest = pos;
	if (h->vm->uart)
		h->vm->uart->mute = false;
}

int history_poke_mem(struct rax_vm *vm, uint64_t gpa, const void *buf, size_t len, struct rax_err *err)
{
	struct emu_history *h = hist_of(vm);
	struct emu_cpu *b = bsp_of(vm);
	if (gpa > b->ram_size || len > b->ram_size - gpa)
		return rax_errf(err, RAX_STATUS_USAGE, "history: write outside RAM");
	if (!h) {
		memcpy(b->ram + gpa, buf, len);
		for (uint64_t p = gpa & ~GUEST_PAGE_OFFSET; p < gpa + len; p += GUEST_PAGE_SIZE)
			emu_note_write(b, p);
		return 0;
	}
	uint64_t pos = machine_count(b);
	truncate_future(h, pos);
	struct hinput in = { .pos = pos, .kind = IN_MEM, .gpa = gpa, .len = len, .data = malloc(len ? len : 1) };
	if (!in.data)
		return rax_errf(err, RAX_STATUS_HOST, "history: out of memory");
	memcpy(in.data, buf, len);
	if (log_input(h, &in, err) < 0) {
		free(in.data);
		return -1;
	}
	apply_input(h, &in);
	return 0;
}

int history_poke_state(struct rax_vm *vm, unsigned cpu, const struct rax_cpu_state *s, struct rax_err *err)
{
	struct emu_history *h = hist_of(vm);
	struct emu_cpu *b = bsp_of(vm);
	if (cpu >= ncpu_of(b))
		return rax_errf(err, RAX_STATUS_USAGE, "no CPU %u", cpu);
	if (!h) {
		emu_load_state(cpu_k(b, cpu), s);
		return 0;
	}
	uint64_t pos = machine_count(b);
	truncate_future(h, pos);
	struct hinput in = {
		.pos = pos, .kind = IN_STATE, .cpu = (uint8_t)cpu, .len = sizeof(*s), .data = malloc(sizeof(*s))
	};
	if (!in.data)
		return rax_errf(err, RAX_STATUS_HOST, "history: out of memory");
	memcpy(in.data, s, sizeof(*s));
	if (log_input(h, &in, err) < 0) {
		free(in.data);
		return -1;
	}
	apply_input(h, &in);
	return 0;
}

/* ---- console input and idle waits ---- */

/* The input thread: bytes for the CPU thread to take. */
static unsigned hist_console_rx(struct rax_vm *vm, const uint8_t *buf, unsigned len)
{
	struct emu_history *h = bsp_of(vm)->hist;
	pthread_mutex_lock(&h->rx_lock);
	unsigned n = sizeof(h->rx) - h->nrx < len ? (unsigned)(sizeof(h->rx) - h->nrx) : len;
	memcpy(h->rx + h->nrx, buf, n);
	h->nrx += n;
	if (h->nrx)
		atomic_store(&h->rx_pending, true);
	pthread_mutex_unlock(&h->rx_lock);
	vm_wake(vm); /* an idle CPU looks */
	return n;
}

bool history_rx_pending(struct emu_cpu *c)
{
	return atomic_load_explicit(&c->hist->rx_pending, memory_order_relaxed) &&
		atomic_load_explicit(&c->hist->live, memory_order_relaxed);
}

/* Recording: hand pending console bytes to the UART (as many as its FIFO
 * takes) and log them at the position (and time, when idle). */
static void take_rx(struct emu_history *h, bool idle, uint64_t time)
{
	if (!atomic_load(&h->rx_pending) || !h->vm->uart)
		return;
	pthread_mutex_lock(&h->rx_lock);
	unsigned n = uart_receive(h->vm->uart, h->rx, h->nrx);
	struct hinput in = { .pos = machine_count(h->bsp),
			     .time = time,
			     .idle = idle,
			     .kind = IN_UART,
			     .len = n,
			     .data = malloc(n ? n : 1) };
	if (n && in.data) {
		memcpy(in.data, h->rx, n);
		memmove(h->rx, h->rx + n, h->nrx - n);
		h->nrx -= n;
	}
	atomic_store(&h->rx_pending, h->nrx != 0);
	pthread_mutex_unlock(&h->rx_lock);
	struct rax_err err;
	if (!n || !in.data || log_input(h, &in, &err) < 0)
		free(in.data);
}

void history_idle(struct emu_cpu *c, bool woke)
{
	struct emu_history *h = c->hist;
	uint64_t pos = machine_count(h->bsp);
	if (h->next_in < h->nin && h->in[h->next_in].pos == pos && h->in[h->next_in].idle) {
		/* a replay: the logged input and wake time at this position */
		struct hinput *in = &h->in[h->next_in];
		uint64_t now = emu_now_ns(c);
		if (in->time > now)
			c->idle_ns += in->time - now;
		if (!woke || in->kind == IN_IDLE) {
			h->next_in++;
			apply_input(h, in);
		}
		return;
	}
	if (pos < h->newest)
		return;
	if (!woke) {
		take_rx(h, true, emu_now_ns(c));
		return;
	}
	struct hinput in = { .pos = pos, .time = emu_now_ns(c), .idle = true, .kind = IN_IDLE };
	struct rax_err err;
	log_input(h, &in, &err);
}

/* ---- the driver ---- */

/*
 * At a stop point pos: enter an old snapshot's interval (replay) or take a
 * new snapshot when the interval is over, then the inputs logged at pos.
 */
static int at_point(struct emu_history *h, uint64_t pos, struct rax_err *err)
{
	if (h->cur + 1 < h->nsnaps && h->snaps[h->cur + 1].pos == pos) {
		enter_interval(h, h->cur + 1);
	} else if (h->cur + 1 == h->nsnaps && pos > h->snaps[h->cur].pos &&
		   (pos >= h->snaps[h->cur].pos + h->interval || h->want_snap) && pos >= h->newest) {
		if (take_snapshot(h, pos, err) < 0)
			return -1;
	}
	while (h->next_in < h->nin && h->in[h->next_in].pos == pos && !h->in[h->next_in].idle)
		apply_input(h, &h->in[h->next_in++]);
	atomic_store(&h->live, pos >= h->newest);
	/* A stop that cut a wait short (HLT, then a debugger's Ctrl-C) resumes
	 * inside emu_idle: input taken here is logged as taken while idle, at
	 * the wait's time, because a replay reaches this position in the wait
	 * too, before any stop point, and must take it there. */
	if (pos >= h->newest)
		take_rx(h, h->bsp->idle_cut, h->bsp->idle_cut ? emu_now_ns(h->bsp) : 0);
	if (h->vm->uart)
		h->vm->uart->mute = pos < h->newest;
	return 0;
}

/* Run to target or an exit; snapshots and inputs on the way. */
static int drive(struct emu_history *h, uint64_t target, struct rax_exit *ex, struct rax_err *err)
{
	struct emu_cpu *b = h->bsp;
	for (;;) {
		uint64_t pos = machine_count(b);
		if (pos > h->newest)
			h->newest = pos;
		if (pos >= target) {
			memset(ex, 0, sizeof(*ex));
			ex->kind = RAX_EXIT_STEP;
			ex->rip = b->rip;
			return 0;
		}
		if (at_point(h, pos, err) < 0)
			return -1;
		uint64_t next = target;
		if (h->cur + 1 < h->nsnaps) {
			if (h->snaps[h->cur + 1].pos < next)
				next = h->snaps[h->cur + 1].pos;
		} else if (h->snaps[h->cur].pos + h->interval < next) {
			next = h->snaps[h->cur].pos + h->interval;
		}
		if (h->next_in < h->nin && h->in[h->next_in].pos < next)
			next = h->in[h->next_in].pos;
		if (pos < h->newest && h->newest < next)
			next = h->newest;
		if (next <= pos)
			next = pos + 1;
		set_machine_stop(b, next);
		run_machine(b, ex);
		set_machine_stop(b, UINT64_MAX);
		if ((unsigned)ex->kind != EMU_EXIT_TARGET) {
			pos = machine_count(b);
			if (pos > h->newest)
				h->newest = pos;
			return 0;
		}
	}
}

/* Without history: run to target, nothing else. */
static int plain_run_to(struct emu_cpu *b, uint64_t target, struct rax_exit *ex)
{
	if (machine_count(b) >= target) {
		memset(ex, 0, sizeof(*ex));
		ex->kind = RAX_EXIT_STEP;
		ex->rip = b->rip;
		return 0;
	}
	set_machine_stop(b, target);
	run_machine(b, ex);
	set_machine_stop(b, UINT64_MAX);
	if ((unsigned)ex->kind == EMU_EXIT_TARGET)
		ex->kind = RAX_EXIT_STEP;
	return 0;
}

int history_run_to(struct rax_vm *vm, uint64_t target, struct rax_exit *ex, struct rax_err *err)
{
	struct emu_history *h = hist_of(vm);
	if (!bsp_of(vm)->hook)
		bsp_of(vm)->track_writes = false;
	if (!h)
		return plain_run_to(bsp_of(vm), target, ex);
	return drive(h, target, ex, err);
}

/* The backend's run() while history is on. */
int history_backend_run(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	struct emu_history *h = hist_of(vm);
	if (drive(h, UINT64_MAX, ex, err) < 0) {
		memset(ex, 0, sizeof(*ex));
		ex->kind = RAX_EXIT_INTERNAL;
		snprintf(ex->detail, sizeof(ex->detail), "%.440s", err->msg);
	}
	return 0;
}

static size_t snap_at_or_before(const struct emu_history *h, uint64_t k)
{
	size_t lo = 0, hi = h->nsnaps; /* the last i with pos_i <= k */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (h->snaps[mid].pos <= k)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint64_t history_oldest(struct rax_vm *vm)
{
	struct emu_history *h = hist_of(vm);
	return h && h->nsnaps ? h->snaps[0].pos : history_icount(vm);
}

uint64_t history_newest(struct rax_vm *vm)
{
	struct emu_history *h = hist_of(vm);
	uint64_t now = history_icount(vm);
	return h && h->newest > now ? h->newest : now;
}

int history_goto(struct rax_vm *vm, uint64_t k, struct rax_err *err)
{
	struct emu_history *h = hist_of(vm);
	struct rax_exit ex;
	if (!h) {
		if (k < history_icount(vm))
			return rax_errf(err, RAX_STATUS_USAGE, "history: not enabled, cannot go back");
		plain_run_to(bsp_of(vm), k, &ex);
	} else {
		if (k < h->snaps[0].pos)
			return rax_errf(err, RAX_STATUS_USAGE,
					"history: position %llu is before the oldest snapshot (%llu)",
					(unsigned long long)k, (unsigned long long)h->snaps[0].pos);
		uint64_t pos = machine_count(h->bsp);
		size_t i = snap_at_or_before(h, k);
		/* backwards: from snapshot i (the saved pages only go back in time);
		 * forwards: on from here, replaying */
		if (k < pos) {
			restore(h, i);
			if (!h->searching && k - h->snaps[i].pos > HISTORY_NEAR_GAP) {
				/* step by step backwards: a snapshot near k for the next step */
				if (drive(h, k - HISTORY_NEAR_GAP / 2, &ex, err) < 0)
					return -1;
				if (ex.kind == RAX_EXIT_STEP)
					insert_snapshot(h, k - HISTORY_NEAR_GAP / 2);
			}
		}
		if (drive(h, k, &ex, err) < 0)
			return -1;
	}
	if (ex.kind != RAX_EXIT_STEP)
		return rax_errf(err, RAX_STATUS_USAGE,
				"history: the guest stopped at position %llu before reaching %llu (exit %d)",
				(unsigned long long)history_icount(vm), (unsigned long long)k, (int)ex.kind);
	return 0;
}

/* ---- the per-instruction hook: probes ---- */

const struct history_write *history_writes(struct rax_vm *vm, unsigned *n, bool *overflow)
{
	struct emu_history *h = hist_of(vm);
	struct emu_cpu *c = cpu_k(h->bsp, h->last_cpu);
	*n = c->nwlog;
	if (overflow)
		*overflow = c->wlog_over;
	return h->wbuf[h->last_cpu];
}

unsigned history_cpu(struct rax_vm *vm)
{
	struct emu_history *h = hist_of(vm);
	struct emu_cpu *b = bsp_of(vm);
	if ((h && h->probing) || !b->smp)
		return h && h->probing ? h->last_cpu : 0;
	/* outside a probe: the CPU whose slice goes on, or that ran last */
	return b->smp->resume ? b->smp->resume->cpu_index : b->smp->last;
}

/*
 * Phase 0 (position k, the instruction before it retired): the probe.
 * Phase 1 (the next instruction is about to run): when an event was
 * delivered in between (RIP moved: an interrupt, an exception), the probe
 * again on that state (phase 1), with the delivery's writes.
 */
static void probe_at(struct emu_history *h, struct emu_cpu *c, int phase, uint64_t k);

static void probe_hook(struct emu_cpu *c, int phase)
{
	struct emu_history *h = c->hist;
	uint64_t k = machine_count(h->bsp);
	/* SMP: a CPU whose slice ended right after an instruction (HLT, PAUSE:
	 * no phase 0 then) gets it now, before this CPU has retired anything,
	 * at the position that instruction led to */
	for (unsigned i = 0; h->bsp->smp && i < h->ncpu; i++) {
		struct emu_cpu *o = h->bsp->smp->cpu[i];
		if (o != c && o->hook_done != o->icount) {
			o->hook_done = o->icount;
			probe_at(h, o, 0, k);
		}
	}
	probe_at(h, c, phase, k);
}

static void probe_at(struct emu_history *h, struct emu_cpu *c, int phase, uint64_t k)
{
	h->last_cpu = c->cpu_index;
	if (phase == 0)
		h->p0_rip[c->cpu_index] = c->rip;
	if ((phase == 0 || c->rip != h->p0_rip[c->cpu_index]) && k >= h->probe_lo && k < h->probe_hi) {
		h->probe_phase = phase;
		if (h->probe(h->vm, k, h->probe_arg)) {
			h->probe_hit = true;
			h->probe_found = k;
			h->found_phase = phase;
		}
	}
	if (phase == 1) { /* the next instruction's writes start here */
		h->p0_rip[c->cpu_index] = c->rip;
		c->nwlog = 0;
		c->wlog_over = false;
	}
}

int history_probe_phase(struct rax_vm *vm) { return hist_of(vm)->probe_phase; }

static void stop_phase1(struct emu_cpu *c, int phase)
{
	if (phase == 1)
		c->exit_req = EMU_EXIT_TARGET;
}

/* From position k (phase 0) to just after the events taken at k. */
static void land_after_events(struct emu_history *h)
{
	struct rax_exit ex;
	for (unsigned k = 0; k < h->ncpu; k++) {
		cpu_k(h->bsp, k)->hook = stop_phase1;
		cpu_k(h->bsp, k)->hook_done = UINT64_MAX;
	}
	set_machine_stop(h->bsp, machine_count(h->bsp) + 1);
	run_machine(h->bsp, &ex);
	for (unsigned k = 0; k < h->ncpu; k++)
		cpu_k(h->bsp, k)->hook = NULL;
	set_machine_stop(h->bsp, UINT64_MAX);
}

static void set_hooks(struct emu_history *h, bool on)
{
	h->probing = on;
	for (unsigned k = 0; k < h->ncpu; k++) {
		struct emu_cpu *c = cpu_k(h->bsp, k);
		c->hook = on ? probe_hook : NULL;
		c->wlog = on ? h->wbuf[k] : NULL;
		c->nwlog = 0;
		c->track_writes = on;     /* every write through emu_phys_write, logged */
		c->hook_done = c->icount; /* (the first position has no instruction before it) */
		h->p0_rip[k] = c->rip;
		emu_set_limits(c);
	}
}

/* history_find_last's search, interval by interval from the newest; 1: found and there. */
static int find_last(struct emu_history *h, uint64_t lo, uint64_t hi, uint64_t *found, struct rax_err *err)
{
	struct rax_vm *vm = h->vm;
	size_t i = hi > lo ? snap_at_or_before(h, hi - 1) : 0;
	while (hi > lo) {
		uint64_t start = h->snaps[i].pos > lo ? h->snaps[i].pos : lo;
		/* from one position earlier, so that the first probe sees its writes */
		uint64_t from = start > h->snaps[0].pos ? start - 1 : start;
		if (history_goto(vm, from, err) < 0)
			return -1;
		h->probe_lo = start;
		h->probe_hi = hi;
		h->probe_hit = false;
		/* each position gets the hook's phase 0, from `from` (not probed
		 * unless it is `start`: the oldest position, with no writes) to hi - 1 */
		set_hooks(h, true);
		struct rax_exit ex;
		int r = drive(h, hi, &ex, err);
		set_hooks(h, false);
		if (r < 0)
			return -1;
		if (h->probe_hit) {
			*found = h->probe_found;
			if (history_goto(vm, h->probe_found, err) < 0)
				return -1;
			if (h->found_phase == 1)
				land_after_events(h);
			h->probe_phase = h->found_phase;
			return 1;
		}
		hi = start;
		if (i == 0)
			break;
		i--;
	}
	return 0;
}

int history_find_last(struct rax_vm *vm, uint64_t lo, uint64_t hi, history_probe_fn probe, void *arg, uint64_t *found,
		      struct rax_err *err)
{
	struct emu_history *h = hist_of(vm);
	if (!h)
		return rax_errf(err, RAX_STATUS_USAGE, "history: not enabled");
	uint64_t back = machine_count(h->bsp);
	if (lo < h->snaps[0].pos)
		lo = h->snaps[0].pos;
	if (hi > h->newest + 1)
		hi = h->newest + 1;
	h->probe = probe;
	h->probe_arg = arg;
	h->searching = true;
	int r = find_last(h, lo, hi, found, err);
	h->searching = false;
	if (r == 0 && history_goto(vm, back, err) < 0) /* nothing: back where it was */
		return -1;
	return r;
}

/* ---- life ---- */

int history_enable(struct rax_vm *vm, uint64_t max_bytes, uint64_t interval, struct rax_err *err)
{
	if (vm->ops != &rax_emu_backend || !vm->backend)
		return rax_errf(err, RAX_STATUS_USAGE, "history needs the interpreter (--backend emulator)");
	struct emu_cpu *b = bsp_of(vm);
	if (b->hist)
		return 0;
	struct emu_history *h = calloc(1, sizeof(*h));
	if (!h)
		return rax_errf(err, RAX_STATUS_HOST, "history: out of memory");
	h->vm = vm;
	h->bsp = b;
	h->ncpu = ncpu_of(b);
	h->max_bytes = max_bytes ? max_bytes : HISTORY_DEFAULT_BYTES;
	h->interval = interval ? interval : HISTORY_DEFAULT_INTERVAL;
	h->devsz = devices_state_size(vm);
	h->nwords = (b->npages + 63) / 64;
	h->cow_bits = calloc(h->nwords, sizeof(uint64_t));
	h->scratch = malloc(sizeof(struct emu_cpu));
	if (!h->cow_bits || !h->scratch) {
		free(h->cow_bits);
		free(h->scratch);
		free(h);
		return rax_errf(err, RAX_STATUS_HOST, "history: out of memory");
	}
	for (unsigned k = 0; k < h->ncpu; k++) {
		cpu_k(b, k)->hist = h;
		cpu_k(b, k)->cow_bits = h->cow_bits;
	}
	h->newest = machine_count(b);
	pthread_mutex_init(&h->rx_lock, NULL);
	atomic_store(&h->live, true);
	vm->console_rx = hist_console_rx;
	if (take_snapshot(h, h->newest, err) < 0) {
		history_disable(vm);
		return -1;
	}
	return 0;
}

void history_disable(struct rax_vm *vm)
{
	struct emu_history *h = hist_of(vm);
	if (!h)
		return;
	for (unsigned k = 0; k < h->ncpu; k++) {
		struct emu_cpu *c = cpu_k(h->bsp, k);
		c->hist = NULL;
		c->cow_bits = NULL;
		c->hook = NULL;
		c->wlog = NULL;
	}
	while (h->nsnaps)
		free_snap(h, &h->snaps[--h->nsnaps]);
	for (size_t k = 0; k < h->nin; k++)
		free(h->in[k].data);
	if (vm->uart)
		vm->uart->mute = false;
	vm->console_rx = NULL; /* (the input thread may still be in hist_console_rx: rare, at exit) */
	free(h->in);
	free(h->snaps);
	free(h->cow_bits);
	free(h->scratch);
	free(h);
}

bool history_active(struct rax_vm *vm) { return vm->ops == &rax_emu_backend && hist_of(vm) != NULL; }

void history_stats(struct rax_vm *vm, struct history_stats *st)
{
	struct emu_history *h = hist_of(vm);
	memset(st, 0, sizeof(*st));
	st->now = history_icount(vm);
	if (!h)
		return;
	st->bytes = h->bytes;
	st->max_bytes = h->max_bytes;
	st->snapshots = h->nsnaps;
	st->dropped = h->dropped;
	st->pages = h->npages_held;
	st->inputs = h->nin;
	st->oldest = h->snaps[0].pos;
}

int history_format(struct rax_vm *vm, char *buf, size_t n)
{
	struct history_stats st;
	history_stats(vm, &st);
	return snprintf(buf, n,
			"history: %llu snapshots (%llu dropped), %.1f MiB of %.1f MiB (%llu saved pages), "
			"positions %llu..%llu, %llu inputs",
			(unsigned long long)st.snapshots, (unsigned long long)st.dropped, st.bytes / 1048576.0,
			st.max_bytes / 1048576.0, (unsigned long long)st.pages, (unsigned long long)st.oldest,
			(unsigned long long)st.now, (unsigned long long)st.inputs);
}
