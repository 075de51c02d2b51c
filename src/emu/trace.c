/*
 * trace.c - rax --trace (trace.h; the binary format is in docs/TRACE.md).
 *
 * Phase 1 of the hook (an instruction is about to run) keeps the CPU's
 * GPRs, RFLAGS and CS:RIP and empties the write log; phase 0 (it retired)
 * compares and writes the record. An event delivered between phase 0 and
 * phase 1 (RIP moved without an instruction) is an event record. The
 * binary form names each distinct (RIP, bytes, mode) by a number and
 * carries its disassembly once, so that tools/rax-trace.py needs no
 * decoder.
 */
#include "emu/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid_model.h"
#include "emu/cpu.h"
#include "emu/history.h"
#include "vm.h"

struct pre {
	bool valid;
	uint64_t pos, icount, rip, rflags, gpr[16];
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

static const char *const reg_names[17] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",   "r8",
					   "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rflags" };

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
	uint64_t rf = emu_get_flags(c);
	uint8_t regs[17], nregs = 0;
	for (unsigned r = 0; r < 16; r++)
		if (c->gpr[r] != p->gpr[r])
			regs[nregs++] = (uint8_t)r;
	if (rf != p->rflags)
		regs[nregs++] = 16;
	unsigned nmem = c->nwlog;
	t->records++;
	if (t->o.format == TRACE_BINARY) {
		uint32_t id = dict_id(t, p);
		put8(t, 'I');
		put8(t, (uint8_t)c->cpu_index);
		putv(t, zigzag(p->pos - t->last_count));
		t->last_count = p->pos;
		putv(t, id);
		put8(t, (uint8_t)(nregs | (nmem >= 7 ? 7 : nmem) << 5)); /* nregs <= 17; nmem 7: a count follows */
		if (nmem >= 7)
			putv(t, nmem);
		for (unsigned i = 0; i < nregs; i++) {
			put8(t, regs[i]);
			putv(t, regs[i] == 16 ? rf : c->gpr[regs[i]]);
		}
		for (unsigned i = 0; i < nmem; i++) {
			const struct history_write *w = &t->wbuf[c->cpu_index][i];
			put8(t, w->size);
			putv(t, w->gpa);
			put(t, &w->value, w->size); /* (little-endian host) */
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
	for (unsigned i = 0; i < nregs; i++)
		fprintf(t->f, " %s=%llx", reg_names[regs[i]],
			(unsigned long long)(regs[i] == 16 ? rf : c->gpr[regs[i]]));
	for (unsigned i = 0; i < nmem; i++) {
		const struct history_write *w = &t->wbuf[c->cpu_index][i];
		fprintf(t->f, " [%llx]%u=%llx", (unsigned long long)w->gpa, w->size, (unsigned long long)w->value);
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
	p->rflags = emu_get_flags(c);
	memcpy(p->gpr, c->gpr, sizeof(p->gpr));
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
		put(t, "RAXTRC2\n", 8);
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
