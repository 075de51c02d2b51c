/* compare.c - state and memory comparison (see compare.h). */
#include "compare.h"

#include <stdio.h>
#include <string.h>

uint32_t diff_seg_attr(const struct rax_segment *s)
{
	return (uint32_t)(s->type & 0xf) | (uint32_t)(s->s & 1) << 4 | (uint32_t)(s->dpl & 3) << 5 |
		(uint32_t)(s->present & 1) << 7 | (uint32_t)(s->avl & 1) << 12 | (uint32_t)(s->l & 1) << 13 |
		(uint32_t)(s->db & 1) << 14 | (uint32_t)(s->g & 1) << 15 | (uint32_t)(s->unusable & 1) << 16;
}

struct cmp_ctx {
	struct diff_field *out;
	unsigned max, n;
};

static void field(struct cmp_ctx *c, const char *name, uint64_t e, uint64_t o, uint64_t mask)
{
	if (((e ^ o) & mask) == 0)
		return;
	if (c->n < c->max) {
		struct diff_field *f = &c->out[c->n];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->emu = e;
		f->oracle = o;
		f->mask = mask;
	}
	c->n++;
}

static void wide(struct cmp_ctx *c, const char *name, const uint8_t *e, const uint8_t *o, unsigned w)
{
	if (memcmp(e, o, w) == 0)
		return;
	if (c->n < c->max) {
		struct diff_field *f = &c->out[c->n];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", name);
		memcpy(f->ewide, e, w);
		memcpy(f->owide, o, w);
		memcpy(&f->emu, e, 8);
		memcpy(&f->oracle, o, 8);
		f->mask = ~0ull;
		f->width = (uint8_t)w;
	}
	c->n++;
}

const char *diff_field_value(const struct diff_field *f, int oracle_side, char *buf, unsigned n)
{
	if (!f->width) {
		snprintf(buf, n, "0x%016llx", (unsigned long long)(oracle_side ? f->oracle : f->emu));
		return buf;
	}
	const uint8_t *v = oracle_side ? f->owide : f->ewide;
	unsigned k = 0;
	buf[0] = 0;
	if (n > 2)
		k = (unsigned)snprintf(buf, n, "0x");
	for (unsigned i = f->width; i-- > 0 && k + 3 <= n;) {
		if (f->width == 10 && i == 7)
			buf[k++] = '_'; /* sign/exponent _ significand */
		if (k + 3 > n)
			break;
		k += (unsigned)snprintf(buf + k, n - k, "%02x", v[i]);
	}
	return buf;
}

int diff_st_valid(const struct rax_fpu_state *f, unsigned i)
{
	unsigned top = (f->fsw >> 11) & 7;
	return (f->ftw >> ((top + i) & 7)) & 1;
}

static void cmp_seg(struct cmp_ctx *c, const char *nm, const struct rax_segment *a, const struct rax_segment *b,
		    int data)
{
	char name[16];
	snprintf(name, sizeof(name), "%s.sel", nm);
	field(c, name, a->selector, b->selector, ~0ull);
	/* an unusable data segment's cached base/limit carry no meaning, and
	 * neither do a null selector's (64-bit mode allows null DS/ES/SS; CPUs
	 * and CPU models differ in what they leave in the hidden part then) */
	if (data && ((a->unusable && b->unusable) || ((a->selector | b->selector) & ~3u) == 0))
		return;
	snprintf(name, sizeof(name), "%s.base", nm);
	field(c, name, a->base, b->base, ~0ull);
	snprintf(name, sizeof(name), "%s.limit", nm);
	field(c, name, a->limit, b->limit, ~0ull);
	snprintf(name, sizeof(name), "%s.attr", nm);
	/* the accessed bit (type bit 0) is set by hardware on load; compare it too */
	field(c, name, diff_seg_attr(a), diff_seg_attr(b), ~0ull);
}

static void cmp_fpu(struct cmp_ctx *c, const struct rax_fpu_state *e, const struct rax_fpu_state *o)
{
	char name[16];
	field(c, "fcw", e->fcw, o->fcw, ~0ull);
	field(c, "fsw", e->fsw, o->fsw, ~0ull);
	field(c, "ftw", e->ftw, o->ftw, ~0ull);
	for (unsigned i = 0; i < 8; i++) {
		if (!diff_st_valid(e, i) || !diff_st_valid(o, i))
			continue;
		snprintf(name, sizeof(name), "st%u", i);
		wide(c, name, e->st[i], o->st[i], 10);
	}
	field(c, "mxcsr", e->mxcsr, o->mxcsr, ~0ull);
	for (unsigned i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "xmm%u", i);
		wide(c, name, e->xmm[i], o->xmm[i], 16);
	}
	for (unsigned i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "ymm%uh", i);
		wide(c, name, e->ymmh[i], o->ymmh[i], 16);
	}
}

unsigned diff_compare_state(const struct rax_cpu_state *e, const struct rax_cpu_state *o, unsigned what,
			    uint64_t rflags_mask, struct diff_field *out, unsigned max)
{
	struct cmp_ctx c = { out, max, 0 };
	if (what & CMP_RIP)
		field(&c, "rip", e->rip, o->rip, ~0ull);
	if (what & CMP_GPR)
		for (int i = 0; i < RAX_NGPR; i++)
			field(&c, rax_gpr_names[i], e->gpr[i], o->gpr[i], ~0ull);
	if (what & CMP_RFLAGS)
		field(&c, "rflags", e->rflags, o->rflags, rflags_mask);
	if (what & CMP_SEG)
		for (int i = 0; i < RAX_NSEG; i++)
			cmp_seg(&c, rax_seg_names[i], &e->seg[i], &o->seg[i], i != RAX_SEG_CS);
	if (what & CMP_CTRL) {
		field(&c, "cr0", e->cr0, o->cr0, ~0ull);
		field(&c, "cr2", e->cr2, o->cr2, ~0ull);
		field(&c, "cr3", e->cr3, o->cr3, ~0ull);
		field(&c, "cr4", e->cr4, o->cr4, ~0ull);
		field(&c, "efer", e->efer, o->efer, ~0ull);
	}
	if (what & CMP_SYS) {
		field(&c, "gdtr.base", e->gdt.base, o->gdt.base, ~0ull);
		field(&c, "gdtr.limit", e->gdt.limit, o->gdt.limit, ~0ull);
		field(&c, "idtr.base", e->idt.base, o->idt.base, ~0ull);
		field(&c, "idtr.limit", e->idt.limit, o->idt.limit, ~0ull);
		cmp_seg(&c, "tr", &e->tr, &o->tr, 0);
		cmp_seg(&c, "ldtr", &e->ldtr, &o->ldtr, 1);
		field(&c, "cr8", e->cr8, o->cr8, ~0ull);
		field(&c, "star", e->star, o->star, ~0ull);
		field(&c, "lstar", e->lstar, o->lstar, ~0ull);
		field(&c, "cstar", e->cstar, o->cstar, ~0ull);
		field(&c, "sfmask", e->sfmask, o->sfmask, ~0ull);
		field(&c, "kgsbase", e->kernel_gs_base, o->kernel_gs_base, ~0ull);
		field(&c, "sysenter_cs", e->sysenter_cs, o->sysenter_cs, ~0ull);
		field(&c, "sysenter_esp", e->sysenter_esp, o->sysenter_esp, ~0ull);
		field(&c, "sysenter_eip", e->sysenter_eip, o->sysenter_eip, ~0ull);
		field(&c, "pat", e->pat, o->pat, ~0ull);
	}
	if (what & CMP_DEBUG) {
		for (int i = 0; i < 4; i++) {
			char name[8];
			snprintf(name, sizeof(name), "dr%d", i);
			field(&c, name, e->dr[i], o->dr[i], ~0ull);
		}
		field(&c, "dr6", e->dr6, o->dr6, ~0ull);
		field(&c, "dr7", e->dr7, o->dr7, ~0ull);
	}
	if (what & CMP_FPU)
		cmp_fpu(&c, &e->fpu, &o->fpu);
	return c.n;
}

unsigned diff_mem_runs(uint64_t base, const uint8_t *a, const uint8_t *b, size_t len, struct diff_memrun *out,
		       unsigned max)
{
	unsigned n = 0;
	size_t i = 0;
	while (i < len) {
		if (a[i] == b[i]) {
			i++;
			continue;
		}
		size_t start = i, last = i;
		/* extend while another difference follows within 8 bytes */
		for (size_t j = i + 1; j < len && j <= last + 8; j++)
			if (a[j] != b[j])
				last = j;
		if (n < max) {
			struct diff_memrun *r = &out[n];
			r->addr = base + start;
			r->len = (unsigned)(last - start + 1);
			unsigned k = r->len < DIFF_RUN_BYTES ? r->len : DIFF_RUN_BYTES;
			memcpy(r->emu, a + start, k);
			memcpy(r->oracle, b + start, k);
		}
		n++;
		i = last + 1;
	}
	return n;
}
