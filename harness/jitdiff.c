/*
 * jitdiff.c - rax-diff --jit (jitdiff.h): two emulator VMs over the same
 * image, A with the translator on and every block translated on its first
 * whole run, B the interpreter alone. A runs one block (emu_diff_run with
 * one_block), B runs to A's instruction count, then both are compared; the
 * events between blocks (interrupts, device time) are the same on both
 * sides because virtual time is the instruction count.
 */
#include "jitdiff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
};

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

static int open_side(struct jd_side *s, const char *path, bool jit, uint64_t mem, struct testimg_info *info,
		     struct rax_err *err)
{
	struct rax_config cfg = { .backend = RAX_BACKEND_EMULATOR,
				  .mem_size = mem,
				  .console_in = -1,
				  .console_out = -1,
				  .jit = jit,
				  .jit_hot = JD_HOT_RUNS };
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
	for (uint64_t i = 0; i < k && i < DIFF_HIST; i++) {
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

/* Compare A and B after a run; fills d and returns true when they differ. */
static bool compare(struct jd_side *a, struct jd_side *b, const struct rax_exit *ea, const struct rax_exit *eb,
		    struct diff_divergence *d, uint64_t *pages_compared)
{
	char x[32], y[32];
	struct rax_err err = { 0 };
	a->vm.ops->get_state(&a->vm, &d->emu, &err);
	b->vm.ops->get_state(&b->vm, &d->oracle, &err);
	d->compared = JD_COMPARE;
	d->rflags_bits = ~0ull;
	d->nfields = diff_compare_state(&d->emu, &d->oracle, JD_COMPARE, ~0ull, d->fields,
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
	if (all) {
		mem_diff(a, b, 0, a->vm.mem.size, d);
		*pages_compared += a->vm.mem.size / GUEST_PAGE_SIZE;
	}
	for (unsigned i = 0; i < np; i++)
		mem_diff(a, b, pages[i], GUEST_PAGE_SIZE, d);
	*pages_compared += np;
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
	uint64_t limit = opt->max_steps ? opt->max_steps : info.step_limit ? info.step_limit : DIFF_DEFAULT_STEPS;
	for (;;) {
		struct rax_cpu_state s0;
		a->vm.ops->get_state(&a->vm, &s0, &err);
		uint64_t count0 = emu_instruction_count(&a->vm);
		struct rax_exit ea, eb;
		memset(&ea, 0, sizeof(ea));
		memset(&eb, 0, sizeof(eb));
		emu_diff_run(&a->vm, true, UINT64_MAX, &ea);
		uint64_t ca = emu_instruction_count(&a->vm);
		emu_diff_run(&b->vm, false, ca, &eb);
		res->steps = ca;
		if (compare(a, b, &ea, &eb, d, &res->pages_compared)) {
			block_context(b, d, s0.rip, count0, ca - count0);
			res->div = d;
			d = NULL;
			res->ndiv = res->ndiv_total = 1;
			status(res, DIFF_DIVERGE, "block at rip 0x%llx (instruction %llu): %.400s",
			       (unsigned long long)s0.rip, (unsigned long long)count0, res->div->what);
			goto out;
		}
		if (ea.kind != EMU_DIFF_STOPPED || a->vm.stop) {
			snprintf(res->guest_end, sizeof(res->guest_end), "%s",
				 a->vm.stop ? "guest stopped (debug-exit)" : "guest exit");
			break;
		}
		if (ca >= limit) {
			snprintf(res->guest_end, sizeof(res->guest_end), "step limit");
			break;
		}
	}
	res->status = DIFF_PASS;
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
