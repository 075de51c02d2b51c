/*
 * realmode.c - real-address mode (CR0.PE = 0): what differs from 16-bit
 * protected mode.
 *
 * Real mode decodes as 16-bit code (EMU_MODE_16) and addresses memory as
 * protected mode does, through the segment registers' cached base, limit and
 * attributes (segment.c, emu_linear_leg). What real mode changes is how
 * those caches are loaded and how control moves between segments: a
 * selector load sets the base to selector << 4 and keeps the cached limit
 * and attributes (so limits set in protected mode stay: "unreal" mode, as on
 * the CPU); far JMP/CALL/RET and IRET take CS:IP from the instruction or the
 * stack with no descriptor; interrupts and exceptions vector through the
 * interrupt vector table at IDTR.base (4-byte CS:IP entries), pushing FLAGS,
 * CS and IP, with no error code. CPL is 0. That is what application
 * processors need from their reset state through an INIT/SIPI trampoline
 * (16-bit code at vector << 12 that loads a GDT and sets CR0.PE) and what a
 * guest that drops back to real mode for a BIOS-style call uses.
 *
 * Not modelled: virtual-8086 mode, and the descriptor-table instructions
 * that #UD in real mode (LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW) still
 * run their protected-mode forms.
 */
#include "emu/legacy.h"

void emu_real_load_seg(struct emu_cpu *c, unsigned seg, uint16_t sel)
{
	struct rax_segment *s = &c->s.seg[seg];
	s->selector = sel;
	s->base = (uint64_t)sel << 4;
	if (s->unusable || !s->present) {
		/* a null load in protected mode left nothing usable: make it a
		 * real-mode segment (64 KiB read/write data) again */
		s->unusable = 0;
		s->present = 1;
		s->s = 1;
		s->type = 3;
		s->limit = 0xffff;
	}
}

/* CS:IP = sel:off, CS a real-mode code segment (limit and attributes kept). */
static void real_set_cs(struct emu_cpu *c, uint16_t sel, uint64_t off, unsigned osz)
{
	struct rax_segment cs = c->s.seg[RAX_SEG_CS];
	cs.selector = sel;
	cs.base = (uint64_t)sel << 4;
	cs.dpl = 0;
	uint64_t ip = off & (osz == 2 ? 0xffff : 0xffffffff);
	if (ip > cs.limit)
		EMU_GP(c, 0);
	emu_set_cs(c, &cs);
	c->next_rip = ip;
}

void emu_real_far(struct emu_cpu *c, const struct emu_insn *in, bool call, uint16_t sel, uint64_t off)
{
	if (call) {
		emu_ipush(c, in, in->osz, c->s.seg[RAX_SEG_CS].selector);
		emu_ipush(c, in, in->osz, c->next_rip);
	}
	real_set_cs(c, sel, off, in->osz);
}

void emu_real_far_return(struct emu_cpu *c, const struct emu_insn *in, uint64_t extra)
{
	unsigned sz = in->osz;
	uint64_t off = emu_stk_peek(c, in, 0, sz);
	uint16_t sel = (uint16_t)emu_stk_peek(c, in, sz, sz);
	real_set_cs(c, sel, off, sz);
	emu_sp_set_leg(c, c->gpr[RAX_REG_RSP] + 2 * sz + extra);
}

void emu_real_iret(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->osz;
	uint64_t off = emu_stk_peek(c, in, 0, sz);
	uint16_t sel = (uint16_t)emu_stk_peek(c, in, sz, sz);
	uint64_t nfl = emu_stk_peek(c, in, 2 * sz, sz);
	uint64_t fl = emu_get_flags(c);
	/* every flag but VM, VIP and VIF (and RF, which IRET clears here) */
	uint64_t mask = RFLAGS_STATUS | RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_AC |
		RFLAGS_ID;
	if (sz == 2)
		mask &= 0xffff;
	real_set_cs(c, sel, off, sz);
	emu_sp_set_leg(c, c->gpr[RAX_REG_RSP] + 3 * sz);
	emu_write_rflags(c, (fl & ~mask & ~(uint64_t)RFLAGS_RF) | (nfl & mask));
	if (c->nmi_blocked) {
		c->nmi_blocked = false; /* IRET ends NMI blocking */
		emu_recheck_events(c);
	}
}

void emu_deliver_real(struct emu_cpu *c, int vec, unsigned flags, uint64_t ret_rip)
{
	(void)flags; /* no error code, no gate type, no DPL check in real mode */
	if ((uint64_t)vec * 4 + 3 > c->s.idt.limit)
		EMU_GP(c, 0);
	uint32_t ent;
	emu_read_block(c, (c->s.idt.base + (uint64_t)vec * 4) & 0xffffffffull, &ent, 4, false);
	uint64_t fl = emu_get_flags(c);
	uint64_t sp = c->gpr[RAX_REG_RSP] & emu_sp_mask(c);
	uint16_t frame[3] = { (uint16_t)ret_rip, c->s.seg[RAX_SEG_CS].selector, (uint16_t)fl };
	for (unsigned i = 0; i < 3; i++) /* FLAGS, CS, IP: checked before anything changes */
		emu_wr(c, RAX_SEG_SS | EMU_SEG_LEG, (sp - 6 + 2 * i) & emu_sp_mask(c), 2, frame[i]);
	emu_sp_set_leg(c, sp - 6);
	struct rax_segment cs = c->s.seg[RAX_SEG_CS];
	cs.selector = (uint16_t)(ent >> 16);
	cs.base = (uint64_t)(ent >> 16) << 4;
	emu_set_cs(c, &cs);
	emu_write_rflags(c, fl & ~(uint64_t)(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC | RFLAGS_RF));
	c->rip = c->next_rip = ent & 0xffff;
	c->event_delivered = true;
}
