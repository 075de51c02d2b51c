/*
 * segment.c - descriptor-table reads, segment-register loads, the code mode
 * and segmentation outside 64-bit mode.
 *
 * In 64-bit mode segmentation is mostly off (only FS/GS bases matter), but
 * loading a selector still reads and checks its descriptor in the GDT/LDT
 * and sets its accessed bit: Linux early boot relies on that for DS/SS/FS/GS.
 * In protected and compatibility mode every access adds the segment base,
 * checks the limit (expand-up and expand-down) and type (read-only data,
 * execute-only code) and wraps at 4 GiB; the stack is ESP or SP by SS.B.
 *
 * The limit check covers every byte of an access, also with a 4 GiB limit:
 * a dword at offset 0xFFFFFFFD of a flat segment is #GP(0) (#SS(0) for SS),
 * as on AMD CPUs (measured on Zen 4 in compatibility mode; the SDM,
 * "Limit Checking", leaves 4 GiB limits implementation-specific, and Intel
 * CPUs are reported to skip the check for flat segments). The linear address
 * base + offset is 32 bits: past 0xFFFFFFFF it wraps to 0, also in the
 * middle of an access (mmu.c).
 */
#include "emu/legacy.h"

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

/* Load a data segment register (DS ES FS GS SS). */
void emu_load_seg(struct emu_cpu *c, unsigned seg, uint16_t sel)
{
	if (emu_real(c)) {
		emu_real_load_seg(c, seg, sel);
		return;
	}
	unsigned rpl = sel & 3, cpl = c->cpl;
	if ((sel & 0xfffc) == 0) {
		if (seg == RAX_SEG_SS && (cpl == 3 || rpl != cpl || c->dmode != EMU_MODE_64))
			EMU_GP(c, 0); /* outside 64-bit mode SS is never null */
		/* Null selector: unusable; the base is cleared (Intel, and AMD Zen 3+
		 * with NullSelectorClearsBase). */
		c->s.seg[seg] = (struct rax_segment){ .selector = sel, .unusable = 1, .dpl = (uint8_t)cpl };
		if (seg == RAX_SEG_SS)
			c->s.seg[seg].db = 1, c->s.seg[seg].s = 1, c->s.seg[seg].type = 3, c->s.seg[seg].present = 1;
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
	emu_desc_set_accessed(c, &d, lo, addr);
	c->s.seg[seg] = d;
}

void emu_desc_set_accessed(struct emu_cpu *c, struct rax_segment *s, uint64_t lo, uint64_t addr)
{
	if (s->type & 1)
		return;
	uint8_t acc = (uint8_t)((lo >> 40) | 1);
	emu_write_block(c, addr + 5, &acc, 1, false);
	s->type |= 1;
}

/*
 * Recompute CPL and the code mode after CS, CR0, EFER or RFLAGS.VM changed.
 * Decoded blocks depend on the mode: a change flushes the decode cache (mode
 * switches are rare: boot, far jumps between compatibility and 64-bit code)
 * and ends the current block.
 */
void emu_update_mode(struct emu_cpu *c)
{
	const struct rax_segment *cs = &c->s.seg[RAX_SEG_CS];
	unsigned m;
	c->cpl = cs->dpl;
	if (c->rflags & RFLAGS_VM)
		m = EMU_MODE_NONE; /* virtual-8086 mode is not emulated */
	else if (emu_real(c))
		m = EMU_MODE_16; /* real mode: 16-bit code (realmode.c) */
	else if ((c->s.efer & EFER_LMA) && cs->l)
		m = EMU_MODE_64;
	else
		m = cs->db ? EMU_MODE_32 : EMU_MODE_16;
	if (m != c->dmode) {
		c->dmode = (uint8_t)m;
		if (c->bcache)
			emu_dcache_flush(c);
		c->block_break = true;
	}
}

void emu_set_cs(struct emu_cpu *c, const struct rax_segment *cs)
{
	c->s.seg[RAX_SEG_CS] = *cs;
	emu_update_mode(c);
}

void emu_seg_check(struct emu_cpu *c, const struct rax_segment *s, uint64_t off, unsigned size, int acc, int vec)
{
	if (s->unusable || !s->present)
		emu_raise(c, vec, 0, EV_ERR); /* a null selector */
	uint64_t last = off + size - 1;
	if (s->type & 8) {
		/* code: execute always, read when readable, never written */
		if (acc == ACC_W || (acc == ACC_R && !(s->type & 2)))
			emu_raise(c, vec, 0, EV_ERR);
		if (last > s->limit)
			emu_raise(c, vec, 0, EV_ERR);
		return;
	}
	if (acc == ACC_W && !(s->type & 2))
		emu_raise(c, vec, 0, EV_ERR);
	if (s->type & 4) { /* expand-down: valid offsets are limit+1 .. 0xffff or 0xffffffff */
		uint64_t top = s->db ? 0xffffffffull : 0xffffull;
		if (off <= s->limit || last > top)
			emu_raise(c, vec, 0, EV_ERR);
	} else if (last > s->limit) {
		emu_raise(c, vec, 0, EV_ERR);
	}
}

uint64_t emu_linear_leg(struct emu_cpu *c, unsigned seg, uint64_t off, unsigned size, int acc)
{
	seg &= 7;
	const struct rax_segment *s = &c->s.seg[seg];
	if (s->limit == 0xffffffffu && (s->type & 0xe) == 2 && !s->unusable) {
		/* 4 GiB expand-up data (every 32-bit kernel's): only the limit, which
		 * every byte of the access must be within also here */
		if (__builtin_expect(off + size - 1 > 0xffffffffull, 0))
			emu_raise(c, seg == RAX_SEG_SS ? EXC_SS : EXC_GP, 0, EV_ERR);
	} else {
		emu_seg_check(c, s, off, size, acc, seg == RAX_SEG_SS ? EXC_SS : EXC_GP);
	}
	/* the linear address space is 4 GiB: base + offset wraps */
	return (s->base + off) & 0xffffffffull;
}

void emu_push_leg(struct emu_cpu *c, unsigned size, uint64_t v)
{
	uint64_t sp = (c->gpr[RAX_REG_RSP] - size) & emu_sp_mask(c);
	emu_wr(c, RAX_SEG_SS | EMU_SEG_LEG, sp, size, v);
	emu_sp_set_leg(c, sp);
}

uint64_t emu_pop_leg(struct emu_cpu *c, unsigned size)
{
	uint64_t sp = c->gpr[RAX_REG_RSP] & emu_sp_mask(c);
	uint64_t v = emu_rd(c, RAX_SEG_SS | EMU_SEG_LEG, sp, size);
	emu_sp_set_leg(c, sp + size);
	return v;
}
