/*
 * jitdiff.c - rax-diff --jit (jitdiff.h): two emulator VMs over the same
 * guest, A with the translator on and every block translated on its first
 * whole run, B the interpreter alone. A runs one block (emu_diff_run with
 * one_block), B runs to A's instruction count, then both are compared; the
 * events between blocks (interrupts, device time) are the same on both
 * sides because virtual time is the instruction count.
 *
 * Memory: B's written pages are tracked and compared after every block.
 * For test images A's are tracked too (its inline stores then take the
 * slow path). For a kernel boot prefix A runs untracked, so the
 * translator's inline TLB stores run as they do in a real boot; a store
 * that went to a page B did not write is then caught by a whole-RAM
 * comparison (memcmp), made whenever the time since the last one is 9
 * times what that one cost (about 10% of the run) and at the end. Such a
 * difference is localised by running the prefix again from the start,
 * deterministically, comparing the differing pages after every block from
 * the last whole-RAM match on: the first block after which they differ is
 * reported.
 */
#include "jitdiff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel.h"
#include "loader/bzimage.h"

#include "emu/cpu.h"
#include "emu/emu.h"
#include "cpuid_model.h"
#include "emu/jit/jit.h"
#include "layout.h"
#include "loader/testimg.h"
#include "vm.h"

/* Fields compared after every block: everything architectural. */
#define JD_COMPARE (CMP_ALL | CMP_FPU | CMP_SYS | CMP_DEBUG)
/* The translated side translates a block on its first whole run. */
#define JD_HOT_RUNS 1

struct jd_side {
	struct rax_vm vm;
	bool ok;
	/* the guest's console (kernel boots, B only): COM1 THR writes with DLAB clear */
	uint8_t lcr;
	char line[160], last[160];
	unsigned linelen;
	uint64_t console_bytes;
};

/* Pages a whole-RAM difference is localised to (rerun, compared every block). */
#define JD_WATCH 8

/* One lockstep run of A and B (jd_loop). */
struct jd_run {
	struct jd_side *a, *b;
	uint64_t limit;  /* stop once this many instructions are compared */
	double deadline; /* monotonic seconds (0: none) */
	bool track_a;    /* A's writes tracked; else the whole-RAM checks */
	struct diff_result *res;
	struct diff_divergence *d;
	uint64_t blocks;
	/* the whole-RAM checks: cost of the last, when it was, totals */
	double ram_cost, last_ram, ram_seconds;
	uint64_t ram_checks;
	uint64_t ram_ok; /* instructions compared at the last matching whole-RAM check */
	bool need_ram;   /* a whole-RAM check after this block (B lost count of its pages) */
	/* RAX_DIFF_JIT_POKE=COUNT:GPA (checking rax-diff itself): the block
	 * that retires instruction COUNT also flips a byte of A's RAM at GPA,
	 * as an untracked stray store would */
	uint64_t poke_at, poke_gpa;
	uint64_t chunk; /* --chunk: compare every chunk instructions, A chained, not every block */
	/* replay: from watch_from on, watch[] compared after every block */
	uint64_t watch_from;
	unsigned nwatch;
	uint64_t watch[JD_WATCH];
	char end[200]; /* why the run ended (a pass) */
	bool progress; /* a progress line on stderr (a terminal) every 5 s */
	double t0, next_progress;
};

enum jd_outcome { JD_RUN, JD_END, JD_DIVERGE, JD_RAM };

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void status(struct diff_result *res, enum diff_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void status(struct diff_result *res, enum diff_status st, const char *fmt, ...)
{
	res->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* A side's machine: the interpreter, no console, translated or not. */
static struct rax_config side_config(uint64_t mem, bool jit)
{
	return (struct rax_config){ .backend = RAX_BACKEND_EMULATOR,
				    .mem_size = mem,
				    .console_in = -1,
				    .console_out = -1,
				    .jit = jit,
				    .jit_hot = JD_HOT_RUNS };
}

static int open_side(struct jd_side *s, const char *path, bool jit, uint64_t mem, struct testimg_info *info,
		     struct rax_err *err)
{
	struct rax_config cfg = side_config(mem, jit);
	struct rax_cpu_state st;
	if (vm_create(&s->vm, &cfg, err) < 0)
		return -1;
	s->ok = true;
	if (testimg_load(&s->vm.mem, path, "test image", &st, info, err) < 0 || vm_create_backend(&s->vm, err) < 0 ||
	    s->vm.ops->set_state(&s->vm, &st, err) < 0)
		return -1;
	emu_set_cpu_level(&s->vm, RAX_CPU_LEVEL_MAX);
	return 0;
}

/* The pages either side wrote in the last run (all of RAM when one lost count). */
static unsigned written_union(struct jd_side *a, struct jd_side *b, uint64_t *pages, unsigned max, bool *all)
{
	uint64_t pa[EMU_MAX_WRITTEN_PAGES], pb[EMU_MAX_WRITTEN_PAGES];
	int na = emu_written_pages(&a->vm, pa, EMU_MAX_WRITTEN_PAGES);
	int nb = emu_written_pages(&b->vm, pb, EMU_MAX_WRITTEN_PAGES);
	*all = na < 0 || nb < 0;
	if (*all)
		return 0;
	unsigned n = 0;
	for (int i = 0; i < na && n < max; i++)
		pages[n++] = pa[i];
	for (int i = 0; i < nb && n < max; i++) {
		bool seen = false;
		for (int k = 0; k < na; k++)
			seen |= pa[k] == pb[i];
		if (!seen)
			pages[n++] = pb[i];
	}
	return n;
}

/* Differing byte runs in [gpa, gpa + len) of RAM into d; returns the count. */
static unsigned mem_diff(struct jd_side *a, struct jd_side *b, uint64_t gpa, uint64_t len, struct diff_divergence *d)
{
	if (gpa >= a->vm.mem.size)
		return 0;
	if (len > a->vm.mem.size - gpa)
		len = a->vm.mem.size - gpa;
	const uint8_t *ma = a->vm.mem.host + gpa, *mb = b->vm.mem.host + gpa;
	if (!memcmp(ma, mb, len))
		return 0;
	unsigned room = (unsigned)(sizeof(d->mem) / sizeof(d->mem[0])) - d->nmem;
	unsigned n = diff_mem_runs(gpa, ma, mb, len, d->mem + d->nmem, room);
	d->nmem += n < room ? n : room;
	d->mem_total += n;
	return n;
}

static const char *exit_name(unsigned kind, char *buf, size_t n)
{
	if (kind == EMU_DIFF_STOPPED)
		return "block end";
	snprintf(buf, n, "exit %u", kind);
	return buf;
}

_Static_assert(DIFF_LISTING >= EMU_BLOCK_MAX, "a divergence lists its whole block");

/* d's place: the block that started at rip0 after count0 instructions and
 * ran k of them on the translated side (its instructions from B's memory). */
static void block_context(struct jd_side *b, struct diff_divergence *d, uint64_t rip0, uint64_t count0, uint64_t k)
{
	d->step = count0;
	d->rip = rip0;
	uint8_t bytes[15];
	if (diff_emu_read_lin(&b->vm, rip0, bytes, sizeof(bytes))) {
		memcpy(d->bytes, bytes, sizeof(bytes));
		d->nbytes = sizeof(bytes);
	}
	uint64_t rip = rip0;
	for (uint64_t i = 0; i < k && i < DIFF_LISTING; i++) {
		unsigned len = emu_disasm_guest(&b->vm, rip, d->hist[i].dis, sizeof(d->hist[i].dis));
		d->hist[i].rip = rip;
		d->nhist = (unsigned)i + 1;
		if (!len)
			break;
		if (i == 0) {
			snprintf(d->disasm, sizeof(d->disasm), "%s", d->hist[0].dis);
			d->nbytes = len;
		}
		rip += len;
	}
}

/* Whether the whole of RAM is the same on both sides; the first differing
 * pages (JD_WATCH at most) go to pages, their count to *n. */
static bool ram_same(struct jd_run *R, uint64_t *pages, unsigned *n)
{
	double t = now_s();
	const uint8_t *ma = R->a->vm.mem.host, *mb = R->b->vm.mem.host;
	uint64_t size = R->a->vm.mem.size;
	bool same = !memcmp(ma, mb, size);
	*n = 0;
	for (uint64_t p = 0; !same && p < size && *n < JD_WATCH; p += GUEST_PAGE_SIZE)
		if (memcmp(ma + p, mb + p, GUEST_PAGE_SIZE))
			pages[(*n)++] = p;
	R->ram_checks++;
	R->res->pages_compared += size / GUEST_PAGE_SIZE;
	R->last_ram = now_s();
	R->ram_cost = R->last_ram - t;
	R->ram_seconds += R->ram_cost;
	return same;
}

/* Compare A and B after a run; fills R->d and returns true when they differ. */
static bool compare(struct jd_run *R, const struct rax_exit *ea, const struct rax_exit *eb)
{
	struct jd_side *a = R->a, *b = R->b;
	struct diff_divergence *d = R->d;
	char x[32], y[32];
	struct rax_err err = { 0 };
	a->vm.ops->get_state(&a->vm, &d->emu, &err);
	b->vm.ops->get_state(&b->vm, &d->oracle, &err);
	d->compared = JD_COMPARE;
	d->rflags_bits = ~0ull;
	/* the same bytes are the same state (the field by field comparison formats names) */
	d->nfields = !memcmp(&d->emu, &d->oracle, sizeof(d->emu))
		? 0
		: diff_compare_state(&d->emu, &d->oracle, JD_COMPARE, ~0ull, d->fields,
				     sizeof(d->fields) / sizeof(d->fields[0]));
	uint64_t ca = emu_instruction_count(&a->vm), cb = emu_instruction_count(&b->vm);
	const char *how = NULL;
	if (ca != cb)
		how = "instruction count";
	else if (ea->kind != eb->kind)
		how = "how the run stopped";
	else if (a->vm.stop != b->vm.stop || (a->vm.stop && a->vm.stop_status != b->vm.stop_status))
		how = "the guest's end";
	uint64_t pages[2 * EMU_MAX_WRITTEN_PAGES];
	bool all;
	unsigned np = written_union(a, b, pages, sizeof(pages) / sizeof(pages[0]), &all);
	if (all && !R->track_a) {
		R->need_ram = !R->chunk; /* B wrote more pages than it lists: a whole-RAM check next
					  * (chunks: the budgeted checks, they write many) */
	} else if (all) {
		mem_diff(a, b, 0, a->vm.mem.size, d);
		R->res->pages_compared += a->vm.mem.size / GUEST_PAGE_SIZE;
	}
	for (unsigned i = 0; i < np; i++)
		mem_diff(a, b, pages[i], GUEST_PAGE_SIZE, d);
	R->res->pages_compared += np;
	if (R->nwatch && ca > R->watch_from) /* a replay: the pages that differed later */
		for (unsigned i = 0; i < R->nwatch; i++) {
			bool listed = false;
			for (unsigned k = 0; k < np; k++)
				listed |= pages[k] == R->watch[i];
			if (!listed)
				mem_diff(a, b, R->watch[i], GUEST_PAGE_SIZE, d);
		}
	if (!how && !d->nfields && !d->mem_total)
		return false;
	if (how)
		snprintf(d->what, sizeof(d->what),
			 "%s differs: translator %llu instructions (%s), interpreter %llu (%s)", how,
			 (unsigned long long)ca, exit_name(ea->kind, x, sizeof(x)), (unsigned long long)cb,
			 exit_name(eb->kind, y, sizeof(y)));
	else if (d->nfields)
		snprintf(
			d->what, sizeof(d->what),
			"first differing field: %.15s (emulator column: the translated block; oracle: the interpreter)",
			d->fields[0].name);
	else
		snprintf(d->what, sizeof(d->what),
			 "memory differs at 0x%llx (emulator column: the translated block; oracle: the interpreter)",
			 (unsigned long long)d->mem[0].addr);
	return true;
}

/* Record a divergence at the block that started at rip0 after count0 instructions. */
static void diverged(struct jd_run *R, uint64_t rip0, uint64_t count0, uint64_t count1)
{
	struct diff_result *res = R->res;
	block_context(R->b, R->d, rip0, count0, count1 - count0);
	res->div = R->d;
	R->d = NULL;
	res->ndiv = res->ndiv_total = 1;
	if (R->chunk) /* the listing is the straight line from rip0: branches not followed */
		status(res, DIFF_DIVERGE, "chunk of %llu instructions from rip 0x%llx (instruction %llu): %.400s",
		       (unsigned long long)(count1 - count0), (unsigned long long)rip0, (unsigned long long)count0,
		       res->div->what);
	else
		status(res, DIFF_DIVERGE, "block at rip 0x%llx (instruction %llu): %.400s", (unsigned long long)rip0,
		       (unsigned long long)count0, res->div->what);
}

/*
 * Run A a block at a time and B to the same count, comparing after every
 * block, until the guest ends, R->limit instructions, the deadline, a
 * difference (JD_DIVERGE, reported in R->res) or, untracked, a whole-RAM
 * check that fails (JD_RAM: the pages in R->watch, matching at R->ram_ok).
 */
static enum jd_outcome jd_loop(struct jd_run *R)
{
	struct jd_side *a = R->a, *b = R->b;
	struct rax_err err = { 0 };
	for (;;) {
		struct rax_cpu_state s0;
		a->vm.ops->get_state(&a->vm, &s0, &err);
		uint64_t count0 = emu_instruction_count(&a->vm);
		struct rax_exit ea, eb;
		memset(&ea, 0, sizeof(ea));
		memset(&eb, 0, sizeof(eb));
		if (R->chunk) /* chained: a run of translated blocks to the count */
			emu_diff_run(&a->vm, false, count0 + R->chunk < R->limit ? count0 + R->chunk : R->limit,
				     R->track_a, &ea);
		else
			emu_diff_run(&a->vm, true, UINT64_MAX, R->track_a, &ea);
		uint64_t ca = emu_instruction_count(&a->vm);
		emu_diff_run(&b->vm, false, ca, true, &eb);
		R->res->steps = ca;
		R->blocks++;
		if (__builtin_expect(R->poke_at != 0, 0) && count0 < R->poke_at && R->poke_at <= ca &&
		    R->poke_gpa < a->vm.mem.size)
			a->vm.mem.host[R->poke_gpa] ^= 0x5a; /* RAX_DIFF_JIT_POKE: a stray store */
		if (compare(R, &ea, &eb)) {
			diverged(R, s0.rip, count0, ca);
			return JD_DIVERGE;
		}
		bool ended = ea.kind != EMU_DIFF_STOPPED || a->vm.stop;
		bool last = ended || ca >= R->limit;
		if (!R->track_a &&
		    (R->need_ram || last || R->last_ram == 0 || now_s() - R->last_ram >= 9 * R->ram_cost)) {
			uint64_t pages[JD_WATCH];
			unsigned n;
			R->need_ram = false;
			if (!ram_same(R, pages, &n)) {
				if (!R->nwatch) { /* the first run: these pages are watched in the second */
					memcpy(R->watch, pages, n * sizeof(pages[0]));
					R->nwatch = n;
				}
				return JD_RAM;
			}
			R->ram_ok = ca;
		}
		if (ended) {
			snprintf(R->end, sizeof(R->end), "%s",
				 a->vm.stop                             ? "guest stopped"
					 : ea.kind == RAX_EXIT_SHUTDOWN ? "guest shutdown (triple fault)"
					 : ea.kind == RAX_EXIT_HLT      ? "guest halted with interrupts off"
									: "guest exit");
			return JD_END;
		}
		if (ca >= R->limit) {
			snprintf(R->end, sizeof(R->end), "step limit");
			return JD_END;
		}
		if ((R->deadline || R->progress) && !(R->blocks & 4095)) {
			double t = now_s();
			if (R->deadline && t >= R->deadline) {
				snprintf(R->end, sizeof(R->end), "--timeout expired");
				return JD_END;
			}
			if (R->progress && t >= R->next_progress) {
				fprintf(stderr, "\rrax-diff --jit: %llu instructions, %llu blocks, %.0fs\033[K",
					(unsigned long long)ca, (unsigned long long)R->blocks, t - R->t0);
				R->next_progress = t + 5;
			}
		}
	}
}

/* --skip: both sides run the first n instructions uncompared (A translated,
 * untracked), then the state and all of RAM are compared once. JD_RUN: go
 * on block by block. */
static enum jd_outcome jd_skip(struct jd_run *R, uint64_t n)
{
	struct jd_side *a = R->a, *b = R->b;
	struct rax_exit ea, eb;
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	emu_diff_run(&a->vm, false, n, false, &ea);
	emu_diff_run(&b->vm, false, emu_instruction_count(&a->vm), false, &eb);
	uint64_t ca = emu_instruction_count(&a->vm);
	R->res->steps = ca;
	uint64_t pages[JD_WATCH];
	unsigned np;
	bool differ = compare(R, &ea, &eb);
	if (!ram_same(R, pages, &np)) {
		for (unsigned i = 0; i < np; i++)
			mem_diff(a, b, pages[i], GUEST_PAGE_SIZE, R->d);
		if (!differ)
			snprintf(R->d->what, sizeof(R->d->what),
				 "memory differs at 0x%llx (emulator column: the translator; oracle: the interpreter)",
				 (unsigned long long)R->d->mem[0].addr);
		differ = true;
	}
	if (differ) {
		struct diff_divergence *d = R->d;
		d->step = ca;
		d->rip = d->oracle.rip;
		R->res->div = d;
		R->d = NULL;
		R->res->ndiv = R->res->ndiv_total = 1;
		status(R->res, DIFF_DIVERGE,
		       "within the --skip prefix (instructions 0 to %llu, not compared block by block): %.400s",
		       (unsigned long long)ca, d->what);
		return JD_DIVERGE;
	}
	R->ram_ok = ca;
	if (ea.kind != EMU_DIFF_STOPPED || a->vm.stop) {
		snprintf(R->end, sizeof(R->end), "the guest ended within --skip");
		return JD_END;
	}
	return JD_RUN;
}

void diff_run_jit(const char *path, const struct diff_options *opt, struct diff_result *res)
{
	memset(res, 0, sizeof(*res));
	const char *base = strrchr(path, '/');
	snprintf(res->name, sizeof(res->name), "%s", base ? base + 1 : path);
	snprintf(res->oracle, sizeof(res->oracle), "interp");
	double t0 = now_s();
	struct jd_side *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct diff_divergence *d = calloc(1, sizeof(*d));
	struct testimg_info info;
	struct rax_err err = { 0 };
	if (!a || !b || !d) {
		status(res, DIFF_ERROR, "out of memory");
		goto out;
	}
	if (!emu_jit_supported()) {
		status(res, DIFF_SKIP, "this build has no translator (it needs an x86-64 host)");
		goto out;
	}
	if (open_side(a, path, true, opt->mem_size, &info, &err) < 0 ||
	    open_side(b, path, false, opt->mem_size, &info, &err) < 0) {
		status(res, DIFF_ERROR, "%.400s", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	struct jd_run R = { .a = a,
			    .b = b,
			    .limit = opt->max_steps   ? opt->max_steps
				    : info.step_limit ? info.step_limit
						      : DIFF_DEFAULT_STEPS,
			    .track_a = true,
			    .res = res,
			    .d = d };
	enum jd_outcome o = jd_loop(&R);
	d = R.d;
	if (o == JD_END) {
		snprintf(res->guest_end, sizeof(res->guest_end), "%s",
			 a->vm.stop                            ? "guest stopped (debug-exit)"
				 : strcmp(R.end, "step limit") ? "guest exit"
							       : R.end);
		res->status = DIFF_PASS;
	}
out:
	if (a && a->ok)
		vm_destroy(&a->vm);
	if (b && b->ok)
		vm_destroy(&b->vm);
	free(a);
	free(b);
	free(d);
	res->seconds = now_s() - t0;
}

/* ---- a Linux boot prefix ---- */

static void console_hook(void *opaque, uint16_t port, unsigned size, bool is_write, uint64_t value)
{
	(void)size;
	struct jd_side *s = opaque;
	if (!is_write)
		return;
	if (port == PORT_COM1 + 3)
		s->lcr = (uint8_t)value;
	if (port != PORT_COM1 || (s->lcr & 0x80))
		return;
	char c = (char)value;
	s->console_bytes++;
	if (c == '\n' || c == '\r') {
		if (s->linelen) {
			s->line[s->linelen] = 0;
			memcpy(s->last, s->line, s->linelen + 1);
			s->linelen = 0;
		}
	} else if (c >= 0x20 && c < 0x7f && s->linelen + 1 < sizeof(s->line)) {
		s->line[s->linelen++] = c;
	}
}

/* One side of a boot: `rax --kernel`'s machine and entry state. */
static int open_kernel_side(struct jd_side *s, const struct diff_kernel_options *o, const char *cmdline, bool jit,
			    struct rax_err *err)
{
	struct rax_config cfg = side_config(o->mem_size, jit);
	cfg.kernel = o->kernel;
	cfg.initrd = o->initrd;
	cfg.cmdline = cmdline;
	struct rax_cpu_state st;
	if (vm_create(&s->vm, &cfg, err) < 0)
		return -1;
	s->ok = true;
	if (bzimage_load(&s->vm.mem, o->kernel, o->initrd, cmdline, 1, &st, err) < 0 ||
	    vm_create_backend(&s->vm, err) < 0 || s->vm.ops->set_state(&s->vm, &st, err) < 0)
		return -1;
	if (!jit) {
		s->vm.io_hook = console_hook;
		s->vm.io_hook_opaque = s;
	}
	return 0;
}

static void close_side(struct jd_side *s)
{
	if (s->ok)
		vm_destroy(&s->vm);
	memset(s, 0, sizeof(*s));
}

void diff_run_jit_kernel(const struct diff_kernel_options *o, struct diff_result *res)
{
	memset(res, 0, sizeof(*res));
	const char *base = strrchr(o->kernel, '/');
	snprintf(res->name, sizeof(res->name), "%s", base ? base + 1 : o->kernel);
	snprintf(res->oracle, sizeof(res->oracle), "interp");
	const char *cmdline = o->cmdline ? o->cmdline : BZ_DEFAULT_CMDLINE;
	double t0 = now_s();
	struct jd_side *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct jd_run R = {
		.a = a, .b = b, .limit = o->steps, .chunk = o->chunk, .res = res, .d = calloc(1, sizeof(*R.d))
	};
	struct rax_err err = { 0 };
	bool replayed = false;
	uint64_t found_at = 0;
	if (!a || !b || !R.d) {
		status(res, DIFF_ERROR, "out of memory");
		goto out;
	}
	if (!emu_jit_supported()) {
		status(res, DIFF_SKIP, "this build has no translator (it needs an x86-64 host)");
		goto out;
	}
	if (o->timeout > 0)
		R.deadline = t0 + o->timeout;
	const char *poke = getenv("RAX_DIFF_JIT_POKE");
	if (poke) {
		char *end;
		R.poke_at = strtoull(poke, &end, 0);
		R.poke_gpa = *end == ':' ? strtoull(end + 1, NULL, 0) : 0;
	}
	R.progress = isatty(STDERR_FILENO);
	R.t0 = t0;
	R.next_progress = t0 + 5;
	for (;;) {
		if (open_kernel_side(a, o, cmdline, true, &err) < 0 ||
		    open_kernel_side(b, o, cmdline, false, &err) < 0) {
			status(res, DIFF_ERROR, "%.400s", err.msg[0] ? err.msg : "out of memory");
			goto out;
		}
		enum jd_outcome oc = o->skip ? jd_skip(&R, o->skip) : JD_RUN;
		if (oc == JD_RUN)
			oc = jd_loop(&R);
		if (oc == JD_DIVERGE) {
			if (replayed) {
				size_t l = strlen(res->reason);
				snprintf(res->reason + l, sizeof(res->reason) - l,
					 " [a whole-RAM check found it at instruction %llu; placed by a second run]",
					 (unsigned long long)found_at);
			}
			break;
		}
		if (oc == JD_RAM && !replayed) {
			/* localise: the same run again, those pages compared after every block */
			found_at = res->steps;
			R.watch_from = R.ram_ok;
			R.limit = found_at;
			replayed = true;
			close_side(a);
			close_side(b);
			R.blocks = 0;
			continue;
		}
		if (oc == JD_RAM || (replayed && oc == JD_END)) {
			/* not reproduced: the place is known to a window only */
			mem_diff(a, b, R.watch[0], GUEST_PAGE_SIZE, R.d);
			res->div = R.d;
			R.d = NULL;
			res->ndiv = res->ndiv_total = 1;
			snprintf(res->div->what, sizeof(res->div->what),
				 "memory differs at 0x%llx (a page neither side's tracked writes listed)",
				 (unsigned long long)res->div->mem[0].addr);
			status(res, DIFF_DIVERGE,
			       "whole-RAM check: page 0x%llx differs, between instructions %llu and %llu (not reproduced when run again)",
			       (unsigned long long)R.watch[0], (unsigned long long)R.watch_from,
			       (unsigned long long)(found_at ? found_at : res->steps));
			break;
		}
		if (R.progress && R.next_progress > t0 + 5)
			fprintf(stderr, "\r\033[K");
		struct emu_jit_stats js;
		emu_jit_vm_stats(&a->vm, &js);
		b->line[b->linelen] = 0;
		const char *last_line = b->linelen ? b->line : b->last;
		double secs = now_s() - t0;
		snprintf(res->guest_end, sizeof(res->guest_end), "%s", R.end);
		uint64_t compared = res->steps - o->skip;
		char skipped[128] = "";
		if (o->skip)
			snprintf(skipped, sizeof(skipped), " after %llu run uncompared (--skip)",
				 (unsigned long long)o->skip);
		if (o->chunk)
			snprintf(skipped + strlen(skipped), sizeof(skipped) - strlen(skipped),
				 " (--chunk: every %llu instructions, chained)", (unsigned long long)o->chunk);
		status(res, DIFF_PASS,
		       "%llu instructions compared in %llu %s%s (%.2f M instructions/s overall), whole RAM %llu times "
		       "(%.1fs); translated: %llu blocks made, %llu left to the interpreter, %llu runs; end: %s; "
		       "console: %llu bytes, last line \"%.120s\"",
		       (unsigned long long)compared, (unsigned long long)R.blocks, o->chunk ? "chunks" : "blocks",
		       skipped, secs > 0 ? res->steps / secs / 1e6 : 0.0, (unsigned long long)R.ram_checks,
		       R.ram_seconds, (unsigned long long)js.blocks, (unsigned long long)js.failed,
		       (unsigned long long)js.runs, R.end, (unsigned long long)b->console_bytes, last_line);
		break;
	}
out:
	if (a)
		close_side(a);
	if (b)
		close_side(b);
	free(a);
	free(b);
	free(R.d);
	res->seconds = now_s() - t0;
}
