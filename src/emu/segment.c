/*
 * segment.c - descriptor-table reads and segment-register loads.
 *
 * In 64-bit mode segmentation is mostly off (only FS/GS bases matter), but
 * loading a selector still reads and checks its descriptor in the GDT/LDT
 * and sets its accessed bit: Linux early boot relies on that for DS/SS/FS/GS.
 */
#include "emu/cpu.h"

int emu_read_descriptor(struct emu_cpu *c, uint16_t sel, uint64_t *lo, uint64_t *hi, uint64_t *addr)
{
	uint64_t base;
	uint32_t limit;
	if (sel & 4) {
		if (c->s.ldtr.unusable || !c->s.ldtr.present)
			return -1;
		base = c->s.ldtr.base;
		limit = c->s.ldtr.limit;
	} else {
		base = c->s.gdt.base;
		limit = c->s.gdt.limit;
	}
	uint32_t idx = sel & ~7u;
	if (idx + (hi ? 15u : 7u) > limit)
		return -1;
	uint64_t d[2];
	emu_read_block(c, base + idx, d, hi ? 16 : 8, false);
	*lo = d[0];
	if (hi)
		*hi = d[1];
	if (addr)
		*addr = base + idx;
	return 0;
}

void emu_desc_to_seg(uint64_t lo, uint16_t sel, struct rax_segment *s)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = ((lo >> 16) & 0xffffff) | ((lo >> 56) << 24);
	uint32_t limit = (uint32_t)((lo & 0xffff) | ((lo >> 32) & 0xf0000));
	s->g = (lo >> 55) & 1;
	s->limit = s->g ? (limit << 12) | 0xfff : limit;
	s->type = (lo >> 40) & 0xf;
	s->s = (lo >> 44) & 1;
	s->dpl = (lo >> 45) & 3;
	s->present = (lo >> 47) & 1;
	s->avl = (lo >> 52) & 1;
	s->l = (lo >> 53) & 1;
	s->db = (lo >> 54) & 1;
}

/* Load a data segment register (DS ES FS GS SS) in 64-bit mode. */
void emu_load_seg(struct emu_cpu *c, unsigned seg, uint16_t sel)
{
	unsigned rpl = sel & 3, cpl = c->cpl;
	if ((sel & 0xfffc) == 0) {
		if (seg == RAX_SEG_SS && (cpl == 3 || rpl != cpl))
			EMU_GP(c, 0);
		/* Null selector: unusable; the base is cleared (Intel, and AMD Zen 3+
		 * with NullSelectorClearsBase). */
		c->s.seg[seg] = (struct rax_segment){ .selector = sel, .unusable = 1, .dpl = (uint8_t)cpl };
		if (seg == RAX_SEG_SS)
			c->s.seg[seg].db = 1, c->s.seg[seg].s = 1, c->s.seg[seg].type = 3,
			c->s.seg[seg].present = 1;
		return;
	}
	uint64_t lo, addr;
	if (emu_read_descriptor(c, sel, &lo, NULL, &addr) < 0)
		EMU_GP(c, sel & 0xfffc);
	struct rax_segment d;
	emu_desc_to_seg(lo, sel, &d);
	if (!d.s)
		EMU_GP(c, sel & 0xfffc);
	if (seg == RAX_SEG_SS) {
		if (rpl != cpl || d.dpl != cpl || (d.type & 0xa) != 0x2)
			EMU_GP(c, sel & 0xfffc);
		if (!d.present)
			emu_raise(c, EXC_SS, sel & 0xfffc, EV_ERR);
	} else {
		bool code = d.type & 8;
		if (code && !(d.type & 2))
			EMU_GP(c, sel & 0xfffc); /* execute-only code */
		if ((!code || !(d.type & 4)) && (d.dpl < cpl || d.dpl < rpl))
			EMU_GP(c, sel & 0xfffc);
		if (!d.present)
			emu_raise(c, EXC_NP, sel & 0xfffc, EV_ERR);
	}
	if (!(d.type & 1)) {
		uint8_t acc = (uint8_t)((lo >> 40) | 1);
		emu_write_block(c, addr + 5, &acc, 1, false);
		d.type |= 1;
	}
	c->s.seg[seg] = d;
}

void emu_update_mode(struct emu_cpu *c)
{
	c->cpl = c->s.seg[RAX_SEG_CS].dpl;
}
