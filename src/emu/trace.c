/*
 * trace.c - rax --trace (trace.h; the binary format is in docs/TRACE.md).
 *
 * Phase 1 of the hook (an instruction is about to run) keeps the CPU's
 * state (emu_save_state) and empties the write log; phase 0 (it retired)
 * compares the registers of the table below and writes the record, with
 * the write log's stores merged where they are contiguous. An event delivered between phase 0 and
 * phase 1 (RIP moved without an instruction) is an event record. The
 * binary form names each distinct (RIP, bytes, mode) by a number and
 * carries its disassembly once, so that tools/rax-trace.py needs no
 * decoder.
 */
#include "emu/trace.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid_model.h"
#include "emu/cpu.h"
#include "emu/history.h"
#include "vm.h"

struct pre {
	bool valid;
	uint64_t pos, icount, rip;
	struct rax_cpu_state st;
	uint16_t cs;
	uint8_t len, mode;
	uint8_t bytes[15];
	uint64_t last_rip; /* RIP at the last phase: an event (interrupt, fault) moves it */
	bool seen;
};

/* (CS, RIP, mode, bytes) -> instruction number, open addressing */
struct dent {
	uint64_t rip;
	uint16_t cs;
	uint8_t len, mode, used;
	uint8_t bytes[15];
	uint32_t id;
};

struct emu_trace {
	struct rax_vm *vm;
	struct trace_options o;
	FILE *f;
	bool done, on;
	uint64_t records;
	uint64_t last_count; /* binary: counts are written as deltas */
	struct pre pre[EMU_MAX_CPUS];
	struct history_write wbuf[EMU_MAX_CPUS][HISTORY_MAX_WRITES]; /* each CPU's last instruction's writes */
	struct dent *tab;
	size_t tabsize, nent;
};

/*
 * The registers a record lists when they changed, by number (the binary
 * form's reg byte, docs/TRACE.md): a name, where the value lives in
 * struct rax_cpu_state, and its width (8 bytes at most: a varint in the
 * binary form; wider: raw bytes). ymmN (TREG_YMM0 + N) is xmmN and the
 * upper half, listed in place of xmmN when the upper half changed.
 */
struct treg {
	char name[8];
	unsigned off, size;
};
enum {
	TREG_RFLAGS = 16,
	TREG_SEL0 = 17,
	TREG_FS_BASE = 23,
	TREG_ST0 = 35,
	TREG_XMM0 = 43,
	TREG_YMM0 = 59,
	TREG_COUNT = 75,
};
static struct treg tregs[TREG_COUNT];

#define ST(f) offsetof(struct rax_cpu_state, f)

static void treg_set(unsigned r, const char *name, unsigned off, unsigned size)
{
	snprintf(tregs[r].name, sizeof(tregs[r].name), "%s", name);
	tregs[r].off = off;
	tregs[r].size = size;
}

static void tregs_init(void)
{
	static const struct {
		const char *name;
		unsigned off, size;
	} fixed[] = { { "rflags", ST(rflags), 8 },
		      { "fs_base", ST(seg[RAX_SEG_FS].base), 8 },
		      { "gs_base", ST(seg[RAX_SEG_GS].base), 8 },
		      { "cr0", ST(cr0), 8 },
		      { "cr2", ST(cr2), 8 },
		      { "cr3", ST(cr3), 8 },
		      { "cr4", ST(cr4), 8 },
		      { "cr8", ST(cr8), 8 },
		      { "efer", ST(efer), 8 },
		      { "mxcsr", ST(fpu.mxcsr), 4 },
		      { "fcw", ST(fpu.fcw), 2 },
		      { "fsw", ST(fpu.fsw), 2 },
		      { "ftw", ST(fpu.ftw), 1 } };
	_Static_assert(TREG_FS_BASE + sizeof(fixed) / sizeof(fixed[0]) - 1 == TREG_ST0, "the numbers of docs/TRACE.md");
	char name[8];
	for (unsigned i = 0; i < RAX_NGPR; i++)
		treg_set(i, rax_gpr_names[i], ST(gpr) + 8 * i, 8);
	treg_set(TREG_RFLAGS, fixed[0].name, fixed[0].off, fixed[0].size);
	for (unsigned i = 0; i < RAX_NSEG; i++)
		treg_set(TREG_SEL0 + i, rax_seg_names[i],
			 ST(seg) + sizeof(struct rax_segment) * i + offsetof(struct rax_segment, selector), 2);
	for (unsigned i = 1; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		treg_set(TREG_FS_BASE + i - 1, fixed[i].name, fixed[i].off, fixed[i].size);
	for (unsigned i = 0; i < 8; i++) { /* ST(i), in stack order as FXSAVE stores them */
		snprintf(name, sizeof(name), "st%u", i);
		treg_set(TREG_ST0 + i, name, ST(fpu.st) + 16 * i, 10);
	}
	for (unsigned i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "xmm%u", i);
		treg_set(TREG_XMM0 + i, name, ST(fpu.xmm) + 16 * i, 16);
		snprintf(name, sizeof(name), "ymm%u", i);
		treg_set(TREG_YMM0 + i, name, 0, 32);
	}
}

/* Register r's value in s (32 bytes at most). */
static unsigned reg_value(const struct rax_cpu_state *s, unsigned r, uint8_t *out)
{
	if (r >= TREG_YMM0) {
		memcpy(out, s->fpu.xmm[r - TREG_YMM0], 16);
		memcpy(out + 16, s->fpu.ymmh[r - TREG_YMM0], 16);
		return 32;
	}
	memcpy(out, (const char *)s + tregs[r].off, tregs[r].size);
	return tregs[r].size;
}

/* The registers that differ between a and b, in number order. */
static unsigned changed_regs(const struct rax_cpu_state *a, const struct rax_cpu_state *b, uint8_t *regs)
{
	unsigned n = 0;
	for (unsigned r = 0; r < TREG_YMM0; r++) {
		if (!memcmp((const char *)a + tregs[r].off, (const char *)b + tregs[r].off, tregs[r].size))
			continue;
		if (r >= TREG_XMM0 && memcmp(a->fpu.ymmh[r - TREG_XMM0], b->fpu.ymmh[r - TREG_XMM0], 16))
			continue; /* its ymm, below */
		regs[n++] = (uint8_t)r;
	}
	for (unsigned i = 0; i < 16; i++)
		if (memcmp(a->fpu.ymmh[i], b->fpu.ymmh[i], 16))
			regs[n++] = (uint8_t)(TREG_YMM0 + i);
	return n;
}

/* A store of the record: the write log's entries merged where they are
 * contiguous (both linear or both physical), up to TRACE_MEM_MAX bytes. */
#define TRACE_MEM_MAX 32
#define TRACE_MEM_PHYS 0x80 /* binary form: the size byte's flag for a physical address */
struct tmem {
	uint64_t addr; /* linear, or guest-physical when phys */
	bool phys;
	uint8_t size;
	uint8_t bytes[TRACE_MEM_MAX];
};

static unsigned merge_writes(const struct history_write *w, unsigned n, struct tmem *out)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		bool phys = w[i].la == HISTORY_NO_LA;
		uint64_t addr = phys ? w[i].gpa : w[i].la;
		struct tmem *m = k ? &out[k - 1] : NULL;
		if (!m || m->phys != phys || m->addr + m->size != addr || m->size + w[i].size > TRACE_MEM_MAX) {
			m = &out[k++];
			*m = (struct tmem){ .addr = addr, .phys = phys };
		}
		memcpy(m->bytes + m->size, &w[i].value, w[i].size); /* (little-endian host) */
		m->size = (uint8_t)(m->size + w[i].size);
	}
	return k;
}

/* Little-endian bytes as one hex number: up to 8 bytes without leading
 * zeros, wider values with all their digits. */
static void put_hex(FILE *f, const uint8_t *b, unsigned n)
{
	if (n <= 8) {
		uint64_t v = 0;
		memcpy(&v, b, n); /* (little-endian host) */
		fprintf(f, "%llx", (unsigned long long)v);
		return;
	}
	for (unsigned i = n; i--;)
		fprintf(f, "%02x", b[i]);
}

static struct emu_cpu *bsp_of(struct rax_vm *vm) { return vm->backend; }
static unsigned ncpu_of(struct emu_cpu *b) { return b->smp ? b->smp->n : 1; }
static struct emu_cpu *cpu_k(struct emu_cpu *b, unsigned k) { return b->smp ? b->smp->cpu[k] : b; }

static uint64_t position(struct emu_cpu *b)
{
	uint64_t n = 0;
	for (unsigned k = 0; k < ncpu_of(b); k++)
		n += cpu_k(b, k)->icount;
	return n;
}

static void put(struct emu_trace *t, const void *p, size_t n) { fwrite(p, 1, n, t->f); }
static void put8(struct emu_trace *t, uint8_t v) { put(t, &v, 1); }
static void put16(struct emu_trace *t, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	put(t, b, 2);
}
static void put32(struct emu_trace *t, uint32_t v)
{
	put16(t, (uint16_t)v);
	put16(t, (uint16_t)(v >> 16));
}
static void put64(struct emu_trace *t, uint64_t v)
{
	put32(t, (uint32_t)v);
	put32(t, (uint32_t)(v >> 32));
}

/* LEB128: 7 bits a byte, low first, high bit = more */
static void putv(struct emu_trace *t, uint64_t v)
{
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		put8(t, (uint8_t)(b | (v ? 0x80 : 0)));
	} while (v);
}

/* A signed delta as an unsigned varint: 0, -1, 1, -2... -> 0, 1, 2, 3... */
static uint64_t zigzag(uint64_t d) { return (d << 1) ^ (uint64_t)((int64_t)d >> 63); }

static void disasm(const struct pre *p, char *buf, size_t n)
{
	struct emu_insn in;
	if (!p->len || emu_decode_level(p->bytes, p->len, p->mode, RAX_CPU_LEVEL_MAX, &in) != EMU_DEC_OK) {
		snprintf(buf, n, "(bad)");
		return;
	}
	emu_disasm_at(&in, p->rip, buf, n);
}

/* The binary form's number for p's instruction, its 'D' record written the first time. */
static uint32_t dict_id(struct emu_trace *t, const struct pre *p)
{
	if (t->nent * 2 >= t->tabsize) {
		size_t ns = t->tabsize ? t->tabsize * 2 : 4096;
		struct dent *nt = calloc(ns, sizeof(*nt));
		if (!nt)
			return UINT32_MAX;
		for (size_t i = 0; i < t->tabsize; i++) {
			if (!t->tab[i].used)
				continue;
			size_t h = (t->tab[i].rip * 0x9e3779b97f4a7c15ull) >> 20;
			while (nt[h & (ns - 1)].used)
				h++;
			nt[h & (ns - 1)] = t->tab[i];
		}
		free(t->tab);
		t->tab = nt;
		t->tabsize = ns;
	}
	size_t h = (p->rip * 0x9e3779b97f4a7c15ull) >> 20;
	for (;; h++) {
		struct dent *e = &t->tab[h & (t->tabsize - 1)];
		if (!e->used) {
			*e = (struct dent){ .rip = p->rip,
					    .cs = p->cs,
					    .len = p->len,
					    .mode = p->mode,
					    .used = 1,
					    .id = (uint32_t)t->nent++ };
			memcpy(e->bytes, p->bytes, p->len);
			char text[160];
			disasm(p, text, sizeof(text));
			size_t n = strlen(text);
			put8(t, 'D');
			putv(t, e->id);
			put16(t, p->cs);
			put64(t, p->rip);
			put8(t, p->len);
			put(t, p->bytes, p->len);
			putv(t, n);
			put(t, text, n);
			return e->id;
		}
		if (e->rip == p->rip && e->cs == p->cs && e->len == p->len && e->mode == p->mode &&
		    !memcmp(e->bytes, p->bytes, p->len))
			return e->id;
	}
}

static bool in_range(const struct emu_trace *t, uint64_t rip) { return rip >= t->o.rip_lo && rip < t->o.rip_hi; }

/* Phase 0: the instruction kept in phase 1 retired; its record. */
static void record(struct emu_trace *t, struct emu_cpu *c, struct pre *p)
{
	if (!in_range(t, p->rip))
		return;
	struct rax_cpu_state now;
	emu_save_state(c, &now);
	uint8_t regs[TREG_COUNT], val[32];
	unsigned nregs = changed_regs(&p->st, &now, regs);
	struct tmem mem[HISTORY_MAX_WRITES];
	unsigned nmem = merge_writes(t->wbuf[c->cpu_index], c->nwlog, mem);
	t->records++;
	if (t->o.format == TRACE_BINARY) {
		uint32_t id = dict_id(t, p);
		put8(t, 'I');
		put8(t, (uint8_t)c->cpu_index);
		putv(t, zigzag(p->pos - t->last_count));
		t->last_count = p->pos;
		putv(t, id);
		putv(t, nregs);
		for (unsigned i = 0; i < nregs; i++) {
			unsigned n = reg_value(&now, regs[i], val);
			put8(t, regs[i]);
			if (n <= 8) {
				uint64_t v = 0;
				memcpy(&v, val, n);
				putv(t, v);
			} else {
				put(t, val, n);
			}
		}
		putv(t, nmem);
		for (unsigned i = 0; i < nmem; i++) {
			put8(t, (uint8_t)(mem[i].size | (mem[i].phys ? TRACE_MEM_PHYS : 0)));
			putv(t, mem[i].addr);
			put(t, mem[i].bytes, mem[i].size);
		}
		return;
	}
	char hex[31], text[160];
	for (unsigned i = 0; i < p->len; i++)
		snprintf(hex + 2 * i, 3, "%02x", p->bytes[i]);
	hex[2 * p->len] = 0;
	disasm(p, text, sizeof(text));
	fprintf(t->f, "%llu cpu%u %04x:%016llx %-30s %s", (unsigned long long)p->pos, c->cpu_index, p->cs,
		(unsigned long long)p->rip, hex, text);
	if (nregs || nmem)
		fputs(" ;", t->f);
	for (unsigned i = 0; i < nregs; i++) {
		unsigned n = reg_value(&now, regs[i], val);
		fprintf(t->f, " %s=", tregs[regs[i]].name);
		put_hex(t->f, val, n);
	}
	for (unsigned i = 0; i < nmem; i++) {
		fprintf(t->f, " [%s%llx]%u=", mem[i].phys ? "p:" : "", (unsigned long long)mem[i].addr, mem[i].size);
		put_hex(t->f, mem[i].bytes, mem[i].size);
	}
	fputc('\n', t->f);
}

static void event(struct emu_trace *t, struct emu_cpu *c, uint64_t pos, uint64_t from)
{
	uint16_t cs = c->s.seg[RAX_SEG_CS].selector;
	if (!in_range(t, c->rip))
		return;
	t->records++;
	if (t->o.format == TRACE_BINARY) {
		put8(t, 'E');
		put8(t, (uint8_t)c->cpu_index);
		putv(t, zigzag(pos - t->last_count));
		t->last_count = pos;
		put16(t, cs);
		put64(t, c->rip);
		put64(t, from);
		return;
	}
	fprintf(t->f, "%llu cpu%u -> %04x:%016llx (event at %016llx)\n", (unsigned long long)pos, c->cpu_index, cs,
		(unsigned long long)c->rip, (unsigned long long)from);
}

static struct emu_trace *trace_of(struct emu_cpu *c) { return bsp_of(c->vm)->trace; }

static void trace_hook(struct emu_cpu *c, int phase)
{
	struct emu_trace *t = trace_of(c);
	struct pre *p = &t->pre[c->cpu_index];
	struct emu_cpu *b = bsp_of(c->vm);
	uint64_t pos = position(b);
	/* SMP: another CPU's last instruction before its slice ended (HLT, PAUSE
	 * leave without a phase 0): its record first, so records stay in order */
	for (unsigned k = 0; b->smp && k < b->smp->n; k++) {
		struct emu_cpu *o = b->smp->cpu[k];
		if (o != c && t->pre[k].valid && o->icount > t->pre[k].icount) {
			record(t, o, &t->pre[k]);
			t->pre[k].valid = false;
		}
	}
	if (phase == 0) {
		if (p->valid && c->icount > p->icount)
			record(t, c, p);
		p->valid = false;
		p->seen = true;
		p->last_rip = c->rip;
		return;
	}
	if (p->seen && c->rip != p->last_rip)
		event(t, c, pos, p->last_rip);
	p->seen = true;
	p->last_rip = c->rip;
	p->valid = true;
	p->pos = pos;
	p->icount = c->icount;
	p->rip = c->rip;
	p->cs = c->s.seg[RAX_SEG_CS].selector;
	emu_save_state(c, &p->st);
	p->mode = c->dmode == EMU_MODE_NONE ? EMU_MODE_16 : c->dmode;
	uint8_t code[15];
	unsigned got = emu_peek_code(c, c->rip, code, 15);
	struct emu_insn in;
	p->len = 0;
	if (got && emu_decode_level(code, got, p->mode, c->level, &in) == EMU_DEC_OK)
		p->len = in.len;
	else
		p->len = (uint8_t)(got < 1 ? got : 1);
	memcpy(p->bytes, code, p->len);
	c->nwlog = 0;
	c->wlog_over = false;
}

static void hooks(struct emu_trace *t, bool on)
{
	struct emu_cpu *b = bsp_of(t->vm);
	for (unsigned k = 0; k < ncpu_of(b); k++) {
		struct emu_cpu *c = cpu_k(b, k);
		/* the window's last instruction: its phase 0 never came (the stop is first) */
		if (!on && t->pre[k].valid && c->icount > t->pre[k].icount)
			record(t, c, &t->pre[k]);
		c->hook = on ? trace_hook : NULL;
		c->wlog = on ? t->wbuf[k] : NULL;
		c->nwlog = 0;
		c->track_writes = on;
		c->hook_done = UINT64_MAX;
		t->pre[k].valid = t->pre[k].seen = false;
		emu_set_limits(c);
	}
	t->on = on;
}

int trace_open(struct rax_vm *vm, const struct trace_options *o, struct rax_err *err)
{
	if (vm->ops != &rax_emu_backend || !vm->backend)
		return rax_errf(err, RAX_STATUS_USAGE, "--trace needs --backend emulator");
	struct emu_trace *t = calloc(1, sizeof(*t));
	if (!t)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	tregs_init();
	t->vm = vm;
	t->o = *o;
	t->f = fopen(o->path, "wb");
	if (!t->f) {
		free(t);
		return rax_errf(err, RAX_STATUS_USAGE, "--trace '%s': cannot write it", o->path);
	}
	static char buf[1 << 16];
	setvbuf(t->f, buf, _IOFBF, sizeof(buf));
	if (o->format == TRACE_BINARY)
		put(t, "RAXTRC3\n", 8);
	bsp_of(vm)->trace = t;
	return 0;
}

uint64_t trace_close(struct rax_vm *vm)
{
	struct emu_trace *t = vm->backend ? bsp_of(vm)->trace : NULL;
	if (!t)
		return 0;
	if (t->on)
		hooks(t, false);
	uint64_t n = t->records;
	fclose(t->f);
	free(t->tab);
	free(t);
	bsp_of(vm)->trace = NULL;
	return n;
}

int trace_backend_run(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	struct emu_trace *t = bsp_of(vm)->trace;
	uint64_t end = t->o.count ? t->o.from + t->o.count : UINT64_MAX;
	if (end < t->o.from)
		end = UINT64_MAX;
	if (!t->done) {
		if (position(bsp_of(vm)) < t->o.from) {
			if (history_run_to(vm, t->o.from, ex, err) < 0 || ex->kind != RAX_EXIT_STEP)
				return 0;
		}
		if (!t->on)
			hooks(t, true);
		int r = history_run_to(vm, end, ex, err);
		if (r < 0 || ex->kind != RAX_EXIT_STEP)
			return 0; /* the guest ended (or stopped) inside the window */
		hooks(t, false);
		fflush(t->f);
		t->done = true;
	}
	return history_run_to(vm, UINT64_MAX, ex, err);
}
