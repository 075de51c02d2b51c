/* compare.c - state and memory comparison (see compare.h). */
#include "compare.h"

#include <stdio.h>
#include <string.h>

uint32_t diff_seg_attr(const struct rax_segment *s)
{
	return (uint32_t)(s->type & 0xf) | (uint32_t)(s->s & 1) << 4 | (uint32_t)(s->dpl & 3) << 5 |
	       (uint32_t)(s->present & 1) << 7 | (uint32_t)(s->avl & 1) << 12 |
	       (uint32_t)(s->l & 1) << 13 | (uint32_t)(s->db & 1) << 14 | (uint32_t)(s->g & 1) << 15 |
	       (uint32_t)(s->unusable & 1) << 16;
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
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->emu = e;
		f->oracle = o;
		f->mask = mask;
	}
	c->n++;
}

unsigned diff_compare_state(const struct rax_cpu_state *e, const struct rax_cpu_state *o,
			    unsigned what, uint64_t rflags_mask, struct diff_field *out, unsigned max)
{
	struct cmp_ctx c = { out, max, 0 };
	char name[16];
	if (what & CMP_RIP)
		field(&c, "rip", e->rip, o->rip, ~0ull);
	if (what & CMP_GPR)
		for (int i = 0; i < RAX_NGPR; i++)
			field(&c, rax_gpr_names[i], e->gpr[i], o->gpr[i], ~0ull);
	if (what & CMP_RFLAGS)
		field(&c, "rflags", e->rflags, o->rflags, rflags_mask);
	if (what & CMP_SEG) {
		for (int i = 0; i < RAX_NSEG; i++) {
			const struct rax_segment *a = &e->seg[i], *b = &o->seg[i];
			snprintf(name, sizeof(name), "%s.sel", rax_seg_names[i]);
			field(&c, name, a->selector, b->selector, ~0ull);
			/* an unusable data segment's cached base/limit carry no meaning */
			if (a->unusable && b->unusable && i != RAX_SEG_CS)
				continue;
			snprintf(name, sizeof(name), "%s.base", rax_seg_names[i]);
			field(&c, name, a->base, b->base, ~0ull);
			snprintf(name, sizeof(name), "%s.limit", rax_seg_names[i]);
			field(&c, name, a->limit, b->limit, ~0ull);
			snprintf(name, sizeof(name), "%s.attr", rax_seg_names[i]);
			/* the accessed bit (type bit 0) is set by hardware on load; compare it too */
			field(&c, name, diff_seg_attr(a), diff_seg_attr(b), ~0ull);
		}
	}
	if (what & CMP_CTRL) {
		field(&c, "cr0", e->cr0, o->cr0, ~0ull);
		field(&c, "cr2", e->cr2, o->cr2, ~0ull);
		field(&c, "cr3", e->cr3, o->cr3, ~0ull);
		field(&c, "cr4", e->cr4, o->cr4, ~0ull);
		field(&c, "efer", e->efer, o->efer, ~0ull);
	}
	return c.n;
}

unsigned diff_mem_runs(uint64_t base, const uint8_t *a, const uint8_t *b, size_t len,
		       struct diff_memrun *out, unsigned max)
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
