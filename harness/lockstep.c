/*
 * lockstep.c - the per-image lockstep loop of rax-diff.
 *
 * Both sides start from the state and RAM the test loader built. Each step
 * executes one test instruction on the emulator and on the oracle and
 * compares RIP, GPRs, RFLAGS (undefined flags masked per instruction), for
 * KVM also segments and control registers, and the pages either side may
 * have written (xxh3 per 4 KiB page; byte runs on mismatch). The end of the
 * test is compared over whole RAM (KVM) or every region (native).
 *
 * With the native oracle the test runs at CPL3 in a host process, which
 * cannot enter the loader's CPL0 runtime. Runtime work is therefore a
 * pseudo-step: the emulator executes the stub instructions alone (counted
 * as emu_substeps) and the oracle's side is emulated from the architecture:
 *   int 0x30 (exit call)  - the end of the test, compared before it runs;
 *   int 0x31 / int 0x32   - port out / in: RIP += 2 (in: AL from the emulator,
 *                           counted as injected);
 *   a fault               - vector, error code, CR2 and the frame are compared;
 *                           a catch block (FORMAT.md) is filled as the stub would.
 * Instructions a Linux process cannot run faithfully (SYSCALL with EFER.SCE
 * set, SYSENTER, INT n through a DPL3 gate, the UMIP-emulated SGDT family)
 * end the comparison as SKIP, with the step number.
 */
#define _GNU_SOURCE
#include "lockstep.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "emu/decode.h"
#include "emu/emu.h"
#include "emu/jit/jit.h"
#include "flagmask.h"
#include "kvm_probe.h"
#include "layout.h"
#include "loader/testimg.h"
#include "step.h"
#include "vm.h"

#define PAGE 4096ull
#define PAGE_2M (2ull << 20)
#define STUB_MAX_SUBSTEPS 4096
#define CATCH_RESUME 0
#define CATCH_VECTOR 8
#define CATCH_ERROR 16
#define CATCH_RIP 24
#define CATCH_CR2 32

const char *diff_status_name(enum diff_status s)
{
	switch (s) {
	case DIFF_PASS: return "PASS";
	case DIFF_DIVERGE: return "DIVERGE";
	case DIFF_ERROR: return "ERROR";
	case DIFF_SKIP: return "SKIP";
	}
	return "?";
}

void diff_result_free(struct diff_result *res)
{
	free(res->div);
	res->div = NULL;
	free(res->kernel);
	res->kernel = NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Everything one lockstep run holds. */
struct ls {
	const struct diff_options *opt;
	struct diff_result *res;
	struct rax_vm vm; /* the emulator */
	bool vm_ok;
	struct testimg_info info;
	struct oracle orc;
	bool orc_ok;
	unsigned cmp_what;
	/* native: the comparable memory, as 2 MiB chunks (identity-mapped) */
	struct native_region reg[64];
	unsigned nreg;
	uint64_t harness_area; /* KVM: RAM the harness owns (not compared) */
	uint64_t native_cr2;   /* CR2 as the native side's stub would read it */
	struct diff_hist hist[DIFF_HIST];
	unsigned nhist, hist_pos;
	uint8_t *pagebuf;
};

/* The oracle runs the test loader's CPL0 runtime stub itself (KVM). One
 * that does not (native) has the runtime's work done as pseudo-steps and
 * follows the emulator through faults (see the file comment). */
static bool runs_runtime(const struct ls *L) { return (L->orc.caps & ORACLE_RUNTIME) != 0; }

/* The oracle's memory is the image's regions by virtual address (native),
 * not the guest's RAM. */
static bool virt_mem(const struct ls *L) { return (L->orc.caps & ORACLE_VIRT) != 0; }

static void set_status(struct ls *L, enum diff_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_status(struct ls *L, enum diff_status st, const char *fmt, ...)
{
	L->res->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(L->res->reason, sizeof(L->res->reason), fmt, ap);
	va_end(ap);
}

/* ---- emulator access ---- */

static int emu_state(struct ls *L, struct rax_cpu_state *s)
{
	struct rax_err err = { 0 };
	return L->vm.ops->get_state(&L->vm, s, &err);
}

static const uint8_t *emu_page(struct ls *L, uint64_t gpa)
{
	return guest_mem_ptr(&L->vm.mem, gpa & ~(PAGE - 1), PAGE);
}

static void hist_push(struct ls *L, uint64_t rip, const char *dis)
{
	struct diff_hist *h = &L->hist[L->hist_pos];
	h->rip = rip;
	snprintf(h->dis, sizeof(h->dis), "%s", dis);
	L->hist_pos = (L->hist_pos + 1) % DIFF_HIST;
	if (L->nhist < DIFF_HIST)
		L->nhist++;
}

/* ---- memory comparison ---- */

static bool in_native_regions(struct ls *L, uint64_t a)
{
	for (unsigned i = 0; i < L->nreg; i++)
		if (a >= L->reg[i].addr && a - L->reg[i].addr < L->reg[i].size)
			return true;
	return false;
}

/*
 * The native child maps only the pages CPL3 code may use; the test machine
 * also has supervisor pages (the system area, regions without the user
 * flag), where the CPU reports a protection fault (P=1), not a page that is
 * not there: what the child reports as missing there was present.
 */
static void native_fault_on_supervisor_page(struct ls *L, struct oracle_result *r)
{
	uint64_t pde;
	if (!virt_mem(L) || r->kind != ORACLE_EXCEPTION || r->vector != 14 || (r->error & 1) ||
	    r->cr2 >= LAYOUT_TEST_MAP_LIMIT ||
	    guest_mem_read(&L->vm.mem, LAYOUT_TEST_PD + (r->cr2 / PAGE_2M) * 8, &pde, sizeof(pde)) < 0)
		return;
	if (pde & 1) /* present, 2 MiB leaf */
		r->error |= 1;
}

/* Compare one 4 KiB page (gpa == oracle address for both oracles here:
 * test images are identity-mapped). Returns the number of runs added. */
static unsigned compare_page(struct ls *L, uint64_t page, struct diff_divergence *d)
{
	page &= ~(PAGE - 1);
	if (virt_mem(L) ? !in_native_regions(L, page)
			: (page >= L->harness_area && page < L->harness_area + LAYOUT_HARNESS_SIZE))
		return 0;
	const uint8_t *e = emu_page(L, page);
	if (!e || L->orc.ops->read(&L->orc, page, L->pagebuf, PAGE) < 0)
		return 0;
	L->res->pages_compared++;
	if (XXH3_64bits(e, PAGE) == XXH3_64bits(L->pagebuf, PAGE))
		return 0;
	unsigned room = d->nmem < 8 ? 8 - d->nmem : 0;
	unsigned n = diff_mem_runs(page, e, L->pagebuf, PAGE, d->mem + d->nmem, room);
	d->nmem += n < room ? n : room;
	d->mem_total += n;
	return n;
}

static void add_page(uint64_t *pages, unsigned *n, unsigned max, uint64_t a)
{
	a &= ~(PAGE - 1);
	for (unsigned i = 0; i < *n; i++)
		if (pages[i] == a)
			return;
	if (*n < max)
		pages[(*n)++] = a;
}

/* Pages this instruction may have written on either side. */
static unsigned candidate_pages(struct ls *L, const struct emu_insn *in, bool decoded, const struct rax_cpu_state *b,
				const struct rax_cpu_state *a, const uint64_t *written, int nwritten, uint64_t *pages,
				unsigned max)
{
	unsigned n = 0;
	for (int i = 0; i < nwritten; i++)
		add_page(pages, &n, max, written[i]);
	if (decoded && in->modrm && in->mod != 3) {
		uint64_t ea = emu_insn_linear(in, b);
		add_page(pages, &n, max, ea);
		add_page(pages, &n, max, ea + 15);
		if (in->vex & EMU_VEX_L)
			add_page(pages, &n, max, ea + 31); /* 32-byte operands (gathers do not write) */
	}
	if (decoded && (in->row < emu_noprows) && (emu_oprows[in->row].flags & EMU_F_MOFFS))
		add_page(pages, &n, max, in->imm2);
	uint64_t sp = b->gpr[RAX_REG_RSP];
	add_page(pages, &n, max, sp - 8);
	add_page(pages, &n, max, sp - 64);
	add_page(pages, &n, max, a->gpr[RAX_REG_RSP]);
	add_page(pages, &n, max, b->gpr[RAX_REG_RDI]);
	add_page(pages, &n, max, a->gpr[RAX_REG_RDI]);
	return n;
}

/* ---- divergences ---- */

static struct diff_divergence *new_div(struct ls *L)
{
	static struct diff_divergence scratch;
	struct diff_result *r = L->res;
	r->ndiv_total++;
	if (r->ndiv >= DIFF_MAX_STORED) {
		memset(&scratch, 0, sizeof(scratch));
		return &scratch;
	}
	if (!r->div)
		r->div = calloc(DIFF_MAX_STORED, sizeof(*r->div));
	if (!r->div) {
		memset(&scratch, 0, sizeof(scratch));
		return &scratch;
	}
	struct diff_divergence *d = &r->div[r->ndiv++];
	memset(d, 0, sizeof(*d));
	return d;
}

static void fill_div_insn(struct ls *L, struct diff_divergence *d, uint64_t step, uint64_t rip, const uint8_t *bytes,
			  unsigned nb, const char *dis)
{
	d->step = step;
	d->rip = rip;
	d->nbytes = nb;
	memcpy(d->bytes, bytes, nb);
	snprintf(d->disasm, sizeof(d->disasm), "%s", dis);
	d->nhist = L->nhist;
	for (unsigned i = 0; i < L->nhist; i++)
		d->hist[i] = L->hist[(L->hist_pos + DIFF_HIST - L->nhist + i) % DIFF_HIST];
	d->compared = L->cmp_what;
}

static void summarize(struct diff_divergence *d)
{
	if (d->what[0])
		return;
	if (d->nfields) {
		const struct diff_field *f = &d->fields[0];
		char a[48], b[48];
		if (f->width) {
			snprintf(d->what, sizeof(d->what), "%s: emu %s, oracle %s", f->name,
				 diff_field_value(f, 0, a, sizeof(a)), diff_field_value(f, 1, b, sizeof(b)));
		} else if (strcmp(f->name, "rflags") == 0) {
			char nb[64];
			flagmask_names((f->emu ^ f->oracle) & f->mask, nb, sizeof(nb));
			snprintf(d->what, sizeof(d->what), "rflags %s: emu 0x%llx, oracle 0x%llx", nb,
				 (unsigned long long)(f->emu & f->mask), (unsigned long long)(f->oracle & f->mask));
		} else {
			snprintf(d->what, sizeof(d->what), "%s: emu 0x%llx, oracle 0x%llx", f->name,
				 (unsigned long long)f->emu, (unsigned long long)f->oracle);
		}
		if (d->nfields > 1) {
			size_t l = strlen(d->what);
			snprintf(d->what + l, sizeof(d->what) - l, " (+%u more)", d->nfields - 1);
		}
	} else if (d->mem_total) {
		snprintf(d->what, sizeof(d->what), "memory at 0x%llx (%u bytes): emu %02x.., oracle %02x..",
			 (unsigned long long)d->mem[0].addr, d->mem[0].len, d->mem[0].emu[0], d->mem[0].oracle[0]);
	}
}

/* ---- oracle selection and set-up ---- */

/* The native oracle's memory: the 2 MiB pages CPL3 code can touch. */
static void native_chunks(struct ls *L)
{
	static uint8_t chunk[LAYOUT_TEST_MAP_LIMIT / PAGE_2M]; /* bit0 used, 1 write, 2 exec */
	memset(chunk, 0, sizeof(chunk));
	const struct testimg_info *in = &L->info;
#define MARK(a, s, f)                                                                                     \
	for (uint64_t x = (a) & ~(PAGE_2M - 1); x < (a) + (s) && x < LAYOUT_TEST_MAP_LIMIT; x += PAGE_2M) \
		chunk[x / PAGE_2M] |= (uint8_t)(1 | (f));
	MARK(in->load, in->size, 2 | 4);
	if (!in->stack_top)
		MARK(LAYOUT_TEST_STACK_TOP - PAGE_2M, PAGE_2M, 2);
	for (unsigned i = 0; i < in->nregions; i++)
		if (in->region[i].flags & TESTIMG_R_USER)
			MARK(in->region[i].addr, in->region[i].size,
			     ((in->region[i].flags & TESTIMG_R_WRITE) ? 2 : 0) |
				     ((in->region[i].flags & TESTIMG_R_EXEC) ? 4 : 0));
#undef MARK
	L->nreg = 0;
	for (uint64_t c = 0; c < sizeof(chunk) && L->nreg < 64; c++) {
		if (!chunk[c])
			continue;
		uint64_t a = c * PAGE_2M;
		if (a + PAGE_2M > L->vm.mem.size)
			continue;
		struct native_region *r = L->nreg ? &L->reg[L->nreg - 1] : NULL;
		bool w = chunk[c] & 2, x = chunk[c] & 4;
		if (r && r->addr + r->size == a && r->write == w && r->exec == x) {
			r->size += PAGE_2M;
			continue;
		}
		L->reg[L->nreg++] = (struct native_region){
			.addr = a, .size = PAGE_2M, .write = w, .exec = x, .data = L->vm.mem.host + a
		};
	}
}

/*
 * The oracle for this image. --oracle auto takes, per image, the first
 * that can run it on silicon: KVM when the probe says it steps here, runs
 * CPL0 code on the CPU (a CPL0 image) or delivers INT n from CPL3 (a CPL3
 * image: the test runtime's services use it); else the native oracle for
 * a CPL3 image. A host whose KVM emulates CPL0 code in software is no
 * oracle for CPL0 images (--oracle kvm compares against it all the same,
 * until the first instruction it cannot emulate).
 */
enum diff_pick diff_pick_oracle(const struct diff_options *o, unsigned cpl, bool native_ok, char *why, size_t wn)
{
	if (o->oracle == DIFF_ORACLE_KVM) {
		if (o->kvm_usable)
			return DIFF_PICK_KVM;
		snprintf(why, wn, "KVM unavailable: %s", o->kvm_why);
		return DIFF_PICK_NONE;
	}
	unsigned need = cpl == 0 ? ORACLE_CPL0_CPU : ORACLE_INT_CPL3;
	if (o->oracle == DIFF_ORACLE_AUTO && o->kvm_usable && (o->kvm_caps & need))
		return DIFF_PICK_KVM;
	if (cpl == 3 && native_ok)
		return DIFF_PICK_NATIVE;
	if (cpl == 3)
		return DIFF_PICK_NONE; /* why: the native oracle's reason */
	if (o->oracle == DIFF_ORACLE_AUTO && o->kvm_usable)
		snprintf(why, wn,
			 "CPL0 image: this host's KVM emulates CPL0 code in software, which is "
			 "no oracle (rax --kvm-info: cpl0-native); --oracle kvm compares against it anyway");
	else
		snprintf(why, wn, "CPL%u image needs the KVM oracle (%s)", cpl,
			 o->kvm_why[0] ? o->kvm_why : "KVM unavailable");
	return DIFF_PICK_NONE;
}

/* The oracle this image gets (why: the reason when none). */
static enum diff_pick pick_oracle(struct ls *L, char *why, size_t wn)
{
	const struct diff_options *o = L->opt;
	bool native_ok = L->info.cpl == 3 && o->oracle != DIFF_ORACLE_KVM && oracle_native_available(why, wn);
	return diff_pick_oracle(o, L->info.cpl, native_ok, why, wn);
}

/* Does the oracle's machine have XSAVE enabled? The native child is a
 * Linux process (its OS enabled XSAVE); a KVM guest has it where the host
 * offers XSAVE to guests (kvm_probe_xsave_ok). */
static bool oracle_has_xsave(struct ls *L)
{
	char why[sizeof(L->res->reason)] = "";
	return pick_oracle(L, why, sizeof(why)) != DIFF_PICK_KVM || kvm_probe_xsave_ok();
}

static int open_oracle(struct ls *L, const struct rax_cpu_state *st)
{
	const struct diff_options *o = L->opt;
	struct rax_err err = { 0 };
	char why[sizeof(L->res->reason)] = "";
	switch (pick_oracle(L, why, sizeof(why))) {
	case DIFF_PICK_NONE:
		set_status(L, DIFF_SKIP, "%s", why[0] ? why : "no oracle can run this image here");
		return -1;
	case DIFF_PICK_KVM:
		L->harness_area = LAYOUT_HARNESS_TEST;
		if (oracle_kvm_open(&L->orc, o->step_mode, L->vm.mem.host, L->vm.mem.size, st, L->harness_area, &err) <
		    0) {
			set_status(L, DIFF_ERROR, "%s", err.msg);
			return -1;
		}
		L->cmp_what = CMP_ALL | CMP_FPU | CMP_DEBUG;
		break;
	case DIFF_PICK_NATIVE:
		native_chunks(L);
		if (oracle_native_open(&L->orc, L->reg, L->nreg, st, &err) < 0) {
			set_status(L, DIFF_ERROR, "%s", err.msg);
			return -1;
		}
		L->cmp_what = CMP_USER | CMP_FPU;
		break;
	}
	L->orc_ok = true;
	snprintf(L->res->oracle, sizeof(L->res->oracle), "%s", L->orc.name);
	return 0;
}

/* ---- the emulator's exception frame (native pseudo-steps) ---- */

static bool vec_has_error(int v) { return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30; }

/* Vector of the stub entry the emulator is at, or -1. */
static int emu_stub_vector(const struct rax_cpu_state *s)
{
	if (cpu_state_cpl(s) != 0 || s->rip < LAYOUT_TEST_STUB ||
	    s->rip >= LAYOUT_TEST_STUB + 256 * TESTIMG_STUB_ENTRY_SIZE)
		return -1;
	return (int)((s->rip - LAYOUT_TEST_STUB) / TESTIMG_STUB_ENTRY_SIZE);
}

struct frame {
	uint64_t err, rip, cs, rflags, rsp, ss;
};

static bool emu_frame(struct ls *L, const struct rax_cpu_state *s, int vec, struct frame *f)
{
	uint64_t q[6] = { 0 };
	unsigned off = vec_has_error(vec) ? 0 : 1;
	if (guest_mem_read(&L->vm.mem, s->gpr[RAX_REG_RSP], q + off, (6 - off) * 8) < 0)
		return false;
	*f = (struct frame){ q[0], q[1], q[2], q[3], q[4], q[5] };
	return true;
}

/* Step the emulator alone through the runtime stub until it is back at CPL3 or ends. */
static int emu_through_stub(struct ls *L, struct rax_cpu_state *s, uint64_t *written, int *nw, bool *ended)
{
	*ended = false;
	struct rax_err err = { 0 };
	for (int i = 0; i < STUB_MAX_SUBSTEPS; i++) {
		if (cpu_state_cpl(s) == 3)
			return 0;
		struct rax_exit ex;
		memset(&ex, 0, sizeof(ex));
		if (L->vm.ops->step(&L->vm, &ex, &err) < 0)
			return -1;
		L->res->emu_substeps++;
		uint64_t p[EMU_MAX_WRITTEN_PAGES];
		int k = emu_written_pages(&L->vm, p, EMU_MAX_WRITTEN_PAGES);
		for (int j = 0; j < k && *nw < 64; j++)
			written[(*nw)++] = p[j];
		emu_state(L, s);
		if (L->vm.stop || ex.kind == RAX_EXIT_HLT || ex.kind == RAX_EXIT_SHUTDOWN ||
		    ex.kind == RAX_EXIT_INTERNAL) {
			*ended = true;
			return 0;
		}
	}
	return -1;
}

/* ---- event delivery on the emulator's side (KVM oracle) ---- */

bool diff_emu_read_lin(struct rax_vm *vm, uint64_t la, void *buf, size_t n)
{
	uint8_t *b = buf;
	for (size_t i = 0; i < n; i++) {
		uint64_t gpa;
		if (vm->ops->translate(vm, la + i, &gpa) < 0 || guest_mem_read(&vm->mem, gpa, &b[i], 1) < 0)
			return false;
	}
	return true;
}

/*
 * Whether the emulator's step delivered an exception or interrupt (it ended
 * on the handler's first instruction with a 64-bit frame at RSP whose RIP,
 * CS, RFLAGS and SS are the interrupted ones) or otherwise entered more
 * privileged code. *rfl_off: offset of the frame's RFLAGS image from RSP,
 * or -1 when there is no frame.
 */
bool diff_emu_entered(struct rax_vm *vm, const struct rax_cpu_state *e0, const struct rax_cpu_state *e1, unsigned len,
		      int *rfl_off)
{
	*rfl_off = -1;
	if (e1->rip == e0->rip + len || e1->rip == e0->rip)
		return false;
	uint64_t q[6] = { 0 };
	/* a frame without an error code may end at the top of the mapped stack */
	bool okr = diff_emu_read_lin(vm, e1->gpr[RAX_REG_RSP], q, 40);
	bool ok5 = okr && diff_emu_read_lin(vm, e1->gpr[RAX_REG_RSP] + 40, &q[5], 8);
	if (okr) {
		for (unsigned off = 0; off <= (ok5 ? 1u : 0u); off++) { /* without, with an error code */
			uint64_t rip = q[off], cs = q[off + 1], fl = q[off + 2], ss = q[off + 4];
			if ((rip == e0->rip || rip == e0->rip + len) && (uint16_t)cs == e0->seg[RAX_SEG_CS].selector &&
			    (uint16_t)ss == e0->seg[RAX_SEG_SS].selector &&
			    ((fl ^ e0->rflags) & ~(uint64_t)(RFLAGS_RF | RFLAGS_TF)) == 0) {
				*rfl_off = (int)(off + 2) * 8;
				return true;
			}
		}
	}
	return cpu_state_cpl(e1) < cpu_state_cpl(e0);
}

/* ---- the loop ---- */

static const char *vec_name(int v, char *buf, size_t n)
{
	static const char *names[32] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9",
					 "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM" };
	if (v < 0)
		snprintf(buf, n, "none");
	else if (v < 32 && names[v])
		snprintf(buf, n, "%s", names[v]);
	else
		snprintf(buf, n, "vector 0x%x", v);
	return buf;
}

enum special { SP_NONE, SP_END, SP_SVC_OUT, SP_SVC_IN, SP_SYNTH, SP_CANNOT };

/* What the native oracle must do about this instruction instead of executing it. */
static enum special classify(struct ls *L, const struct emu_insn *in, const struct rax_cpu_state *s, int *synth_vec,
			     uint32_t *synth_err, char *why, size_t wn)
{
	uint64_t f = insn_facts(in);
	if (cpu_state_cpl(s) != 3)
		return SP_NONE;
	if (f & EMU_F_INTN) {
		unsigned v = (unsigned)(in->imm & 0xff);
		if (v == TESTIMG_VEC_EXIT)
			return SP_END;
		if (L->orc.caps & ORACLE_INT_CPL3)
			return SP_NONE;
		/* the oracle cannot take INT n from CPL3 through its gate: the
		 * runtime's port services become pseudo-steps */
		if (v == TESTIMG_VEC_OUT)
			return SP_SVC_OUT;
		if (v == TESTIMG_VEC_IN)
			return SP_SVC_IN;
	}
	/* any other INT n, and what the oracle has quirks for */
	if (!L->orc.ops->precheck)
		return SP_NONE;
	struct oracle_result pr;
	memset(&pr, 0, sizeof(pr));
	switch (L->orc.ops->precheck(&L->orc, in, s, &L->vm, &pr)) {
	case ORACLE_PRE_STEP: break;
	case ORACLE_PRE_SYNTH:
		*synth_vec = pr.vector;
		*synth_err = pr.error;
		return SP_SYNTH;
	case ORACLE_PRE_CANNOT: {
		size_t n = strnlen(pr.detail, wn - 1);
		memcpy(why, pr.detail, n);
		why[n] = 0;
		return SP_CANNOT;
	}
	}
	return SP_NONE;
}

/*
 * The runtime stub ran on the emulator alone (a pseudo-step): the oracle
 * gets what it wrote to the loader's system area (the CPL0 stack frame),
 * so that the final whole-RAM comparison of a KVM oracle sees no trace of
 * it. The native oracle has no system area; its write fails and is moot.
 */
static void sync_stub_pages(struct ls *L, const uint64_t *written, int nw)
{
	for (int i = 0; i < nw; i++) {
		uint64_t page = written[i] & ~(PAGE - 1);
		const uint8_t *e = emu_page(L, page);
		if (page < LAYOUT_TEST_SYS_END && e && !virt_mem(L))
			L->orc.ops->write(&L->orc, page, e, PAGE);
	}
}

/* Apply the catch block natively (what stub64's exc_common does); false: not caught. */
static bool native_catch(struct ls *L, struct rax_cpu_state *o, int vec, uint32_t error)
{
	uint64_t c = L->info.catch_addr, resume = 0;
	if (!c || L->orc.ops->read(&L->orc, c + CATCH_RESUME, &resume, 8) < 0 || !resume)
		return false;
	uint64_t rec[4] = { (uint64_t)vec, error, o->rip, L->native_cr2 };
	uint64_t zero = 0;
	L->orc.ops->write(&L->orc, c + CATCH_VECTOR, rec, sizeof(rec));
	L->orc.ops->write(&L->orc, c + CATCH_RESUME, &zero, 8);
	o->rip = resume;
	return true;
}

/* The pages of [a, a + size) (a native region). Where the oracle can say
 * which of its pages hold memory, a page that holds none is zeros there
 * and is compared without reading it (reading it out would allocate it:
 * most of a region's 2 MiB is never touched, and reading every page cost
 * more than the test's own steps). */
static unsigned compare_region(struct ls *L, uint64_t a, uint64_t size, struct diff_divergence *d)
{
	static uint8_t res[PAGE_2M / PAGE];
	static const uint8_t zero[PAGE];
	unsigned n = 0;
	for (uint64_t c = a; c < a + size; c += PAGE_2M) {
		uint64_t len = a + size - c < PAGE_2M ? a + size - c : PAGE_2M;
		bool known = L->orc.ops->resident && L->orc.ops->resident(&L->orc, c, len / PAGE, res) == 0;
		for (uint64_t p = c; p < c + len; p += PAGE) {
			if (known && !res[(p - c) / PAGE]) {
				const uint8_t *e = emu_page(L, p);
				if (!e)
					continue;
				L->res->pages_compared++;
				if (!memcmp(e, zero, PAGE))
					continue;
				unsigned room = d->nmem < 8 ? 8 - d->nmem : 0;
				unsigned k = diff_mem_runs(p, e, zero, PAGE, d->mem + d->nmem, room);
				d->nmem += k < room ? k : room;
				d->mem_total += k;
				n += k;
				continue;
			}
			n += compare_page(L, p, d);
		}
	}
	return n;
}

/* Final whole-memory comparison; returns runs found (recorded in d). */
static unsigned final_memory(struct ls *L, struct diff_divergence *d)
{
	unsigned n = 0;
	if (virt_mem(L)) {
		for (unsigned i = 0; i < L->nreg; i++)
			n += compare_region(L, L->reg[i].addr, L->reg[i].size, d);
	} else {
		for (uint64_t a = 0; a < L->vm.mem.size; a += PAGE)
			n += compare_page(L, a, d);
	}
	return n;
}

static void resync(struct ls *L, const struct rax_cpu_state *o, const struct diff_divergence *d)
{
	struct rax_err err = { 0 };
	for (unsigned i = 0; i < d->nmem; i++) {
		uint8_t buf[DIFF_RUN_BYTES * 8];
		unsigned len = d->mem[i].len < sizeof(buf) ? d->mem[i].len : (unsigned)sizeof(buf);
		if (L->orc.ops->read(&L->orc, d->mem[i].addr, buf, len) == 0)
			guest_mem_write(&L->vm.mem, d->mem[i].addr, buf, len);
	}
	/* set_state also flushes the emulator's TLB (and so any cached code) */
	L->vm.ops->set_state(&L->vm, o, &err);
}

static void lockstep(struct ls *L, struct rax_cpu_state *st)
{
	struct diff_result *res = L->res;
	uint64_t limit = L->opt->max_steps ? L->opt->max_steps
					   : (L->info.step_limit ? L->info.step_limit : DIFF_DEFAULT_STEPS);
	L->native_cr2 = st->cr2;
	struct rax_err err = { 0 };
	/* cpuid, rdtsc, rdtscp, rdrand, rdseed, rdpid: the oracle first, its
	 * values injected */
	struct step_engine E = { .emu = &L->vm,
				 .orc = &L->orc,
				 .strict_flags = L->opt->strict_flags,
				 .first = (1u << INSN_ND_CPUID) | (1u << INSN_ND_TSC) | (1u << INSN_ND_RAND) |
					 (1u << INSN_ND_AUX),
				 .disasm = true,
				 .frame_tf = true,
				 .entered = runs_runtime(L) };
	struct step *S = malloc(sizeof(*S));
	if (!S) {
		set_status(L, DIFF_ERROR, "out of memory");
		return;
	}
	for (uint64_t step = 1;; step++) {
		struct rax_cpu_state e0, e1, o1;
		step_fetch(&E, S);
		e0 = S->e0;
		struct emu_insn in = S->in;
		const char *dis = S->dis;
		bool decoded = S->dec;
		int synth_vec = -1;
		uint32_t synth_err = 0;
		char why[200] = "";
		enum special sp = decoded ? classify(L, &in, &e0, &synth_vec, &synth_err, why, sizeof(why)) : SP_NONE;
		if (sp == SP_END) {
			snprintf(res->guest_end, sizeof(res->guest_end), "exit call (int 0x30), value %u%s",
				 (unsigned)(e0.gpr[RAX_REG_RAX] & 0xff),
				 (e0.gpr[RAX_REG_RAX] & 0xff) ? " (the test's own checks failed)" : "");
			break;
		}
		if (step > limit) {
			snprintf(res->guest_end, sizeof(res->guest_end), "step limit %llu reached",
				 (unsigned long long)limit);
			break;
		}
		if (sp == SP_CANNOT) {
			set_status(L, DIFF_SKIP, "step %llu at rip 0x%llx (%s): %s; %llu steps compared equal",
				   (unsigned long long)step, (unsigned long long)e0.rip, dis, why,
				   (unsigned long long)(step - 1));
			goto out;
		}
		hist_push(L, e0.rip, dis);
		uint64_t undefined = S->undefined;

		uint64_t written[64];
		int nw = 0;
		bool emu_ended = false;

		if (step_oracle_first(&E, S, &err) < 0)
			goto host_error;
		if (S->injected == STEP_INJ_CPUID)
			res->cpuid_injected++;
		else if (S->injected == STEP_INJ_TSC)
			res->rdtsc_injected++;
		else if (S->injected == STEP_INJ_RAND)
			res->rand_injected++;
		else if (S->injected == STEP_INJ_AUX)
			res->aux_injected++;
		if (step_emu(&E, S, &err) < 0)
			goto host_error;
		nw = S->nw < 0 ? 0 : S->nw;
		memcpy(written, S->written, (size_t)nw * sizeof(written[0]));
		e1 = S->e1;
		if (sp == SP_SVC_OUT || sp == SP_SVC_IN) {
			/* runtime port service: the emulator runs the stub; for the oracle only RIP moves */
			if (emu_through_stub(L, &e1, written, &nw, &emu_ended) < 0)
				goto host_error;
			o1 = e0;
			L->orc.ops->get_state(&L->orc, &o1, &err);
			o1.rip += in.len;
			sync_stub_pages(L, written, nw);
			if (sp == SP_SVC_IN) {
				o1.gpr[RAX_REG_RAX] = (o1.gpr[RAX_REG_RAX] & ~0xffull) | (e1.gpr[RAX_REG_RAX] & 0xff);
				res->port_in_injected++;
			}
			L->orc.ops->set_state(&L->orc, &o1, &err);
			S->r.kind = ORACLE_STEPPED;
		} else {
			if (L->vm.stop || S->ex.kind == RAX_EXIT_HLT)
				emu_ended = true;
			if (sp == SP_SYNTH) {
				S->r.kind = ORACLE_EXCEPTION;
				S->r.vector = synth_vec;
				S->r.error = synth_err;
				o1 = e0;
				L->orc.ops->get_state(&L->orc, &o1, &err);
				S->o1 = o1;
			} else if (step_oracle(&E, S, &err) < 0) {
				goto host_error;
			}
			o1 = S->o1;
			native_fault_on_supervisor_page(L, &S->r);
		}
		const struct oracle_result r = S->r;
		const struct rax_exit ex = S->ex;
		if (r.kind == ORACLE_INTERNAL) {
			set_status(L, DIFF_ERROR, "oracle failed at step %llu, rip 0x%llx (%s): %s",
				   (unsigned long long)step, (unsigned long long)e0.rip, dis, r.detail);
			goto out;
		}
		if (r.kind == ORACLE_CANNOT) {
			set_status(L, DIFF_SKIP,
				   "step %llu at rip 0x%llx (%s): the oracle cannot run it on this host: %s; "
				   "%llu steps compared equal",
				   (unsigned long long)step, (unsigned long long)e0.rip, dis, r.detail,
				   (unsigned long long)(step - 1));
			goto out;
		}
		if (ex.kind == RAX_EXIT_INTERNAL) {
			set_status(L, DIFF_ERROR, "emulator stopped at step %llu, rip 0x%llx (%s): %s",
				   (unsigned long long)step, (unsigned long long)e0.rip, dis, ex.detail);
			goto out;
		}
		res->steps = step;

		/* what the emulator's step did, seen as the test sees it */
		int evec = -1;
		struct frame fr = { 0 };
		struct rax_cpu_state ecmp = e1;
		if (!runs_runtime(L) && cpu_state_cpl(&e0) == 3 && (evec = emu_stub_vector(&e1)) >= 0 &&
		    sp != SP_SVC_OUT && sp != SP_SVC_IN) {
			if (emu_frame(L, &e1, evec, &fr)) {
				ecmp = e0;
				memcpy(ecmp.gpr, e1.gpr, sizeof(ecmp.gpr));
				ecmp.rip = fr.rip;
				ecmp.rflags = fr.rflags;
				ecmp.gpr[RAX_REG_RSP] = fr.rsp;
				ecmp.cr2 = e1.cr2;
				/* a fault leaves x87/SSE state as the instruction did
				 * (#XM: MXCSR has the flags that raised it) */
				ecmp.fpu = e1.fpu;
			}
		}
		int ovec = r.kind == ORACLE_EXCEPTION ? r.vector : -1;
		if (ovec == 14)
			L->native_cr2 = r.cr2;

		struct diff_divergence *d = NULL;
		struct diff_divergence tmp;
		memset(&tmp, 0, sizeof(tmp));
		if (!runs_runtime(L) && evec != ovec) {
			char a[24], b[24];
			d = new_div(L);
			snprintf(d->what, sizeof(d->what), "exception: emu %s, oracle %s%s%s",
				 vec_name(evec, a, sizeof(a)), vec_name(ovec, b, sizeof(b)), r.detail[0] ? " - " : "",
				 r.detail);
		} else if (!runs_runtime(L) && evec >= 0 &&
			   ((vec_has_error(evec) && fr.err != r.error) || (evec == 14 && e1.cr2 != r.cr2))) {
			char a[24];
			d = new_div(L);
			snprintf(d->what, sizeof(d->what),
				 "exception %s: emu error 0x%llx cr2 0x%llx, oracle error 0x%x cr2 0x%llx",
				 vec_name(evec, a, sizeof(a)), (unsigned long long)fr.err, (unsigned long long)e1.cr2,
				 r.error, (unsigned long long)r.cr2);
		}
		uint64_t rbits = L->orc.rflags_bits & ~undefined;
		struct diff_field fields[48];
		unsigned nf = diff_compare_state(&ecmp, &o1, L->cmp_what, rbits, fields, 48);
		uint64_t pages[96];
		unsigned np = candidate_pages(L, &in, decoded, &e0, &e1, written, nw, pages, 96);
		struct diff_divergence *md = d ? d : &tmp;
		unsigned nruns = 0;
		if (!emu_ended || runs_runtime(L))
			for (unsigned i = 0; i < np; i++)
				nruns += compare_page(L, pages[i], md);
		if (!d && (nf || nruns)) {
			d = new_div(L);
			*d = tmp;
		}
		if (d) {
			fill_div_insn(L, d, step, e0.rip, S->bytes, S->nb, dis);
			d->undefined = undefined;
			d->rflags_bits = rbits;
			d->emu = ecmp;
			d->oracle = o1;
			d->nfields = nf < 48 ? nf : 48;
			memcpy(d->fields, fields, d->nfields * sizeof(fields[0]));
			summarize(d);
			bool exc_mismatch = !runs_runtime(L) && evec != ovec;
			if (!L->opt->keep_going || exc_mismatch || emu_ended) {
				set_status(L, DIFF_DIVERGE, "step %llu, rip 0x%llx (%s): %s", (unsigned long long)step,
					   (unsigned long long)e0.rip, dis, d->what);
				if (exc_mismatch && L->opt->keep_going)
					strncat(res->reason, " [cannot re-sync across an exception mismatch]",
						sizeof(res->reason) - strlen(res->reason) - 1);
				goto out;
			}
			/* --keep-going: the oracle is right; continue from its state */
			resync(L, &o1, d);
			continue;
		}
		/* undefined flags: the emulator adopts the CPU's values so later
		 * instructions (PUSHF, ADC, Jcc) compare what is defined */
		if (r.kind == ORACLE_STEPPED && evec < 0) {
			S->e1 = e1;
			S->o1 = o1;
			if (step_adopt_undefined(&E, S, &err))
				res->undefined_adopted++;
		}
		/* the native side follows the emulator through a fault */
		if (!runs_runtime(L) && evec >= 0) {
			bool ended = false;
			if (emu_through_stub(L, &e1, written, &nw, &ended) < 0)
				goto host_error;
			char a[24];
			if (ended) {
				snprintf(res->guest_end, sizeof(res->guest_end),
					 "unexpected exception %s at rip 0x%llx (both sides)",
					 vec_name(evec, a, sizeof(a)), (unsigned long long)fr.rip);
				break;
			}
			bool caught = native_catch(L, &o1, evec, r.error);
			L->orc.ops->set_state(&L->orc, &o1, &err);
			if (!caught || o1.rip != e1.rip) {
				d = new_div(L);
				fill_div_insn(L, d, step, e0.rip, S->bytes, S->nb, dis);
				d->emu = e1;
				d->oracle = o1;
				snprintf(d->what, sizeof(d->what),
					 "after %s: emulator resumed at 0x%llx, the catch block says 0x%llx",
					 vec_name(evec, a, sizeof(a)), (unsigned long long)e1.rip,
					 (unsigned long long)(caught ? o1.rip : 0));
				set_status(L, DIFF_DIVERGE, "step %llu, rip 0x%llx (%s): %s", (unsigned long long)step,
					   (unsigned long long)e0.rip, dis, d->what);
				goto out;
			}
			memset(&tmp, 0, sizeof(tmp));
			if (compare_page(L, L->info.catch_addr, &tmp)) {
				d = new_div(L);
				*d = tmp;
				fill_div_insn(L, d, step, e0.rip, S->bytes, S->nb, dis);
				d->emu = e1;
				d->oracle = o1;
				summarize(d);
				set_status(L, DIFF_DIVERGE, "step %llu, rip 0x%llx (%s): catch block %s",
					   (unsigned long long)step, (unsigned long long)e0.rip, dis, d->what);
				goto out;
			}
			continue;
		}
		if (emu_ended) {
			snprintf(res->guest_end, sizeof(res->guest_end), "%s",
				 L->vm.stop ? rax_status_name(L->vm.stop_status) : "halt");
			if (r.kind != ORACLE_EXITED && runs_runtime(L)) {
				d = new_div(L);
				fill_div_insn(L, d, step, e0.rip, S->bytes, S->nb, dis);
				d->emu = e1;
				d->oracle = o1;
				snprintf(d->what, sizeof(d->what), "the emulator ended (%s), the oracle did not",
					 res->guest_end);
				set_status(L, DIFF_DIVERGE, "step %llu: %s", (unsigned long long)step, d->what);
				goto out;
			}
			break;
		}
		if (r.kind == ORACLE_EXITED) {
			d = new_div(L);
			fill_div_insn(L, d, step, e0.rip, S->bytes, S->nb, dis);
			d->emu = e1;
			d->oracle = o1;
			snprintf(d->what, sizeof(d->what), "the oracle ended (%s), the emulator did not", r.detail);
			set_status(L, DIFF_DIVERGE, "step %llu: %s", (unsigned long long)step, d->what);
			goto out;
		}
	}
	/* end of the test: every page of RAM (KVM) or of the regions (native) */
	struct diff_divergence fin;
	memset(&fin, 0, sizeof(fin));
	if (final_memory(L, &fin)) {
		struct diff_divergence *d = new_div(L);
		*d = fin;
		struct rax_cpu_state e;
		emu_state(L, &e);
		d->step = res->steps;
		d->rip = e.rip;
		d->compared = L->cmp_what;
		d->emu = e;
		d->oracle = e;
		summarize(d);
		char w[sizeof(d->what)];
		memcpy(w, d->what, sizeof(w));
		snprintf(d->what, sizeof(d->what), "final memory: %.*s", (int)sizeof(w) - 16, w);
		set_status(L, DIFF_DIVERGE, "end of test: %s", d->what);
		goto out;
	}
	if (res->ndiv_total)
		set_status(L, DIFF_DIVERGE, "%u divergences (--keep-going)", res->ndiv_total);
	else
		set_status(L, DIFF_PASS, "%s", res->guest_end);
	goto out;
host_error:
	set_status(L, DIFF_ERROR, "%s", err.msg[0] ? err.msg : "host error while stepping");
out:
	free(S);
}

void diff_run_image(const char *path, const struct diff_options *opt, struct diff_result *res)
{
	memset(res, 0, sizeof(*res));
	const char *base = strrchr(path, '/');
	snprintf(res->name, sizeof(res->name), "%s", base ? base + 1 : path);
	double t0 = now_s();
	struct ls *L = calloc(1, sizeof(*L));
	if (!L) {
		res->status = DIFF_ERROR;
		snprintf(res->reason, sizeof(res->reason), "out of memory");
		return;
	}
	L->opt = opt;
	L->res = res;
	L->pagebuf = malloc(PAGE);
	struct rax_err err = { 0 };
	struct rax_config cfg = {
		.backend = RAX_BACKEND_EMULATOR,
		.mem_size = opt->mem_size,
		.console_in = -1,
		.console_out = -1,
		.jit = opt->jit_step,
		.jit_hot = 1,
	};
	if (opt->jit_step && !emu_jit_supported()) {
		set_status(L, DIFF_SKIP, "this build has no translator (it needs an x86-64 host)");
		goto out;
	}
	struct rax_cpu_state st;
	if (!L->pagebuf || vm_create(&L->vm, &cfg, &err) < 0) {
		set_status(L, DIFF_ERROR, "%s", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	L->vm_ok = true;
	if (testimg_load(&L->vm.mem, path, "test image", &st, &L->info, &err) < 0) {
		set_status(L, DIFF_ERROR, "%s", err.msg);
		goto out;
	}
	/* The oracle runs under an OS with the XSAVE feature set enabled (the
	 * native child is a Linux process; a KVM guest gets the model's CPUID,
	 * which has XSAVE at the highest level, where the host offers it): so
	 * does the image's machine, with XCR0 enabling every component the
	 * model has (x87, SSE, AVX). */
	if (oracle_has_xsave(L)) {
		st.cr4 |= CR4_OSXSAVE;
		st.xcr0 = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX;
	}
	if (vm_create_backend(&L->vm, &err) < 0 || L->vm.ops->set_state(&L->vm, &st, &err) < 0) {
		set_status(L, DIFF_ERROR, "%s", err.msg);
		goto out;
	}
	/* The oracle is a real CPU (natively or under KVM), which executes every
	 * extension the interpreter implements whatever CPUID says (CPUID
	 * results are the oracle's, injected): compare at the highest level. */
	emu_set_cpu_level(&L->vm, RAX_CPU_LEVEL_MAX);
	if (opt->jit_step)
		emu_jit_step(&L->vm, true);
	if (open_oracle(L, &st) < 0)
		goto out;
	lockstep(L, &st);
	if (opt->jit_step) {
		struct emu_jit_stats js;
		emu_jit_vm_stats(&L->vm, &js);
		res->translated_steps = js.runs;
	}
out:
	if (L->orc_ok)
		L->orc.ops->close(&L->orc);
	if (L->vm_ok)
		vm_destroy(&L->vm);
	free(L->pagebuf);
	free(L);
	res->seconds = now_s() - t0;
}
