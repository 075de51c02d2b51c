/*
 * control.c - control transfer: JMP CALL RET (near, indirect, far through
 * memory, RETF), Jcc, LOOP/LOOPE/LOOPNE, JRCXZ, INT3, INT n, INT1, IRET.
 *
 * Near branches default to 64-bit operand size; with a 66 prefix they use a
 * 16-bit operand size and truncate RIP to 16 bits (AMD behaviour; Intel
 * ignores 66 there). Far transfers support code segments only: a call gate
 * ends the run with an INTERNAL exit. Returning to a non-64-bit code segment
 * is allowed; the run loop then reports that compatibility mode is not
 * emulated.
 */
#include "emu/insn/handlers.h"

#include "backend.h"

EMU_HANDLER(jcc_Jb)
{
	if (emu_cond(c, in->op & 15))
		emu_branch(c, c->next_rip + in->imm, in->osz);
}
EMU_HANDLER(jcc_Jz)
{
	if (emu_cond(c, in->op & 15))
		emu_branch(c, c->next_rip + in->imm, in->osz);
}
EMU_HANDLER(jmp_Jb) { emu_branch(c, c->next_rip + in->imm, in->osz); }
EMU_HANDLER(jmp_Jz) { emu_branch(c, c->next_rip + in->imm, in->osz); }
EMU_HANDLER(jmp_Ev) { emu_branch(c, emu_rm_get(c, in, in->osz), in->osz); }

EMU_HANDLER(call_Jz)
{
	uint64_t ret = c->next_rip;
	emu_branch(c, ret + in->imm, in->osz);
	emu_push(c, in->osz, ret);
}
EMU_HANDLER(call_Ev)
{
	uint64_t ret = c->next_rip;
	emu_branch(c, emu_rm_get(c, in, in->osz), in->osz);
	emu_push(c, in->osz, ret);
}
EMU_HANDLER(ret)
{
	emu_branch(c, emu_pop(c, in->osz), in->osz);
}
EMU_HANDLER(ret_Iw)
{
	emu_branch(c, emu_pop(c, in->osz), in->osz);
	c->gpr[RAX_REG_RSP] += in->imm & 0xffff;
}

/* LOOP family: count register by address size; no flags change. */
static bool loop_dec(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t n = (emu_reg_get(c, in, 1, in->asz) - 1) & emu_mask(in->asz);
	emu_reg_set(c, in, 1, in->asz, n);
	return n != 0;
}
EMU_HANDLER(loop_Jb)
{
	uint64_t save = c->gpr[1];
	if (loop_dec(c, in)) {
		uint64_t t = c->gpr[1];
		c->gpr[1] = save; /* a #GP on the target must not leave RCX changed */
		emu_branch(c, c->next_rip + in->imm, in->osz);
		c->gpr[1] = t;
	}
}
EMU_HANDLER(loope_Jb)
{
	uint64_t save = c->gpr[1];
	if (loop_dec(c, in) && emu_cond(c, 4)) {
		uint64_t t = c->gpr[1];
		c->gpr[1] = save;
		emu_branch(c, c->next_rip + in->imm, in->osz);
		c->gpr[1] = t;
	}
}
EMU_HANDLER(loopne_Jb)
{
	uint64_t save = c->gpr[1];
	if (loop_dec(c, in) && emu_cond(c, 5)) {
		uint64_t t = c->gpr[1];
		c->gpr[1] = save;
		emu_branch(c, c->next_rip + in->imm, in->osz);
		c->gpr[1] = t;
	}
}
EMU_HANDLER(jrcxz_Jb)
{
	if (emu_reg_get(c, in, 1, in->asz) == 0)
		emu_branch(c, c->next_rip + in->imm, in->osz);
}

/* ---- software interrupts ---- */
EMU_HANDLER(int3) { emu_deliver(c, EXC_BP, 0, EV_SOFT, c->next_rip); }
EMU_HANDLER(int_Ib) { emu_deliver(c, (int)(in->imm & 0xff), 0, EV_SOFT, c->next_rip); }
EMU_HANDLER(int1) { emu_deliver(c, EXC_DB, 0, EV_TRAP, c->next_rip); }

/* ---- far transfers ---- */

/* Check a code-segment selector for a far return/IRET to privilege rpl. */
static void check_ret_cs(struct emu_cpu *c, uint16_t sel, struct rax_segment *cs, uint64_t *lo)
{
	unsigned rpl = sel & 3;
	if ((sel & 0xfffc) == 0)
		EMU_GP(c, 0);
	if (emu_read_descriptor(c, sel, lo, NULL, NULL) < 0)
		EMU_GP(c, sel & 0xfffc);
	emu_desc_to_seg(*lo, sel, cs);
	if (!cs->s || !(cs->type & 8) || rpl < c->cpl)
		EMU_GP(c, sel & 0xfffc);
	if ((cs->type & 4) ? cs->dpl > rpl : cs->dpl != rpl)
		EMU_GP(c, sel & 0xfffc);
	if (!cs->present)
		emu_raise(c, EXC_NP, sel & 0xfffc, EV_ERR);
	cs->type |= 1;
	cs->dpl = (uint8_t)rpl; /* CS.DPL holds the CPL (see cpu_state_cpl) */
}

/* Check a stack selector for a return to privilege cpl (64-bit target allows null). */
static void check_ret_ss(struct emu_cpu *c, uint16_t sel, unsigned cpl, bool target64,
			 struct rax_segment *ss)
{
	if ((sel & 0xfffc) == 0) {
		if (!target64 || cpl == 3 || (sel & 3) != cpl)
			EMU_GP(c, 0);
		*ss = (struct rax_segment){ .selector = sel, .unusable = 1, .dpl = (uint8_t)cpl,
					    .db = 1, .s = 1, .type = 3, .present = 1 };
		return;
	}
	uint64_t lo;
	if (emu_read_descriptor(c, sel, &lo, NULL, NULL) < 0)
		EMU_GP(c, sel & 0xfffc);
	emu_desc_to_seg(lo, sel, ss);
	if ((sel & 3) != cpl || ss->dpl != cpl || !ss->s || (ss->type & 0xa) != 0x2)
		EMU_GP(c, sel & 0xfffc);
	if (!ss->present)
		emu_raise(c, EXC_SS, sel & 0xfffc, EV_ERR);
	ss->type |= 1;
}

static uint64_t target_rip(struct emu_cpu *c, const struct rax_segment *cs, uint64_t off, unsigned osz)
{
	if (!cs->l)
		off &= 0xffffffff;
	else if (osz == 2)
		off &= 0xffff;
	else if (osz == 4)
		off &= 0xffffffff;
	if (cs->l && !emu_canonical(off))
		EMU_GP(c, 0);
	return off;
}

/* After lowering privilege, data segments the new CPL may not use become null. */
static void null_inaccessible(struct emu_cpu *c, unsigned cpl)
{
	static const unsigned segs[] = { RAX_SEG_ES, RAX_SEG_DS, RAX_SEG_FS, RAX_SEG_GS };
	for (unsigned i = 0; i < 4; i++) {
		struct rax_segment *s = &c->s.seg[segs[i]];
		if (s->unusable)
			continue;
		bool conforming_code = (s->type & 0xc) == 0xc;
		if (!conforming_code && s->dpl < cpl) {
			uint64_t base = s->base;
			*s = (struct rax_segment){ .unusable = 1 };
			if (segs[i] >= RAX_SEG_FS)
				s->base = base; /* FS/GS bases live in MSRs in 64-bit mode */
		}
	}
}

static void far_return(struct emu_cpu *c, const struct emu_insn *in, uint64_t extra)
{
	unsigned sz = in->osz;
	uint64_t sp = c->gpr[RAX_REG_RSP];
	uint64_t off = emu_rd(c, RAX_SEG_SS, sp, sz);
	uint16_t sel = (uint16_t)emu_rd(c, RAX_SEG_SS, sp + sz, sz);
	struct rax_segment cs, ss;
	uint64_t lo;
	check_ret_cs(c, sel, &cs, &lo);
	unsigned new_cpl = sel & 3;
	uint64_t rip = target_rip(c, &cs, off, sz);
	sp += 2 * sz + extra;
	if (new_cpl > c->cpl) {
		uint64_t nsp = emu_rd(c, RAX_SEG_SS, sp, sz);
		uint16_t ssel = (uint16_t)emu_rd(c, RAX_SEG_SS, sp + sz, sz);
		check_ret_ss(c, ssel, new_cpl, cs.l, &ss);
		c->s.seg[RAX_SEG_SS] = ss;
		sp = nsp + extra;
		null_inaccessible(c, new_cpl);
	}
	c->s.seg[RAX_SEG_CS] = cs;
	c->cpl = (uint8_t)new_cpl;
	c->gpr[RAX_REG_RSP] = sp;
	c->next_rip = rip;
}

EMU_HANDLER(retf) { far_return(c, in, 0); }
EMU_HANDLER(retf_Iw) { far_return(c, in, in->imm & 0xffff); }

EMU_HANDLER(iret)
{
	unsigned sz = in->osz;
	uint64_t fl = emu_get_flags(c);
	if (fl & RFLAGS_NT)
		EMU_GP(c, 0); /* task return does not exist in 64-bit mode */
	uint64_t sp = c->gpr[RAX_REG_RSP];
	uint64_t off = emu_rd(c, RAX_SEG_SS, sp, sz);
	uint16_t sel = (uint16_t)emu_rd(c, RAX_SEG_SS, sp + sz, sz);
	uint64_t nfl = emu_rd(c, RAX_SEG_SS, sp + 2 * sz, sz);
	uint64_t nsp = emu_rd(c, RAX_SEG_SS, sp + 3 * sz, sz);
	uint16_t ssel = (uint16_t)emu_rd(c, RAX_SEG_SS, sp + 4 * sz, sz);
	struct rax_segment cs, ss;
	uint64_t lo;
	check_ret_cs(c, sel, &cs, &lo);
	unsigned new_cpl = sel & 3;
	uint64_t rip = target_rip(c, &cs, off, sz);
	check_ret_ss(c, ssel, new_cpl, cs.l, &ss);

	uint64_t mask = RFLAGS_STATUS | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC | RFLAGS_ID |
			RFLAGS_RF;
	unsigned iopl = (fl >> 12) & 3;
	if (c->cpl == 0)
		mask |= RFLAGS_IOPL | RFLAGS_VIF | RFLAGS_VIP;
	if (c->cpl <= iopl)
		mask |= RFLAGS_IF;
	if (sz == 2)
		mask &= 0xffff;
	uint64_t newfl = (fl & ~mask) | (nfl & mask);

	if (new_cpl > c->cpl)
		null_inaccessible(c, new_cpl);
	c->s.seg[RAX_SEG_CS] = cs;
	c->s.seg[RAX_SEG_SS] = ss;
	c->cpl = (uint8_t)new_cpl;
	c->gpr[RAX_REG_RSP] = sz == 4 ? nsp & 0xffffffff : sz == 2 ? (c->gpr[RAX_REG_RSP] & ~0xffffull) | (nsp & 0xffff) : nsp;
	emu_write_rflags(c, newfl);
	c->rflags |= newfl & RFLAGS_RF;
	c->next_rip = rip;
}

/* Far JMP/CALL through memory (m16:16, m16:32 or m16:64 with REX.W). */
static void far_transfer(struct emu_cpu *c, const struct emu_insn *in, bool call)
{
	emu_need_mem(c, in);
	unsigned sz = in->osz;
	uint64_t ea = emu_ea(c, in);
	uint64_t off = emu_rd(c, in->seg, ea, sz);
	uint16_t sel = (uint16_t)emu_rd(c, in->seg, (ea + sz) & (in->asz == 4 ? 0xffffffff : ~0ull), 2);
	if ((sel & 0xfffc) == 0)
		EMU_GP(c, 0);
	uint64_t lo;
	if (emu_read_descriptor(c, sel, &lo, NULL, NULL) < 0)
		EMU_GP(c, sel & 0xfffc);
	struct rax_segment cs;
	emu_desc_to_seg(lo, sel, &cs);
	if (!cs.s)
		emu_internal(c, "far %s through a system descriptor (type %u) is not implemented",
			     call ? "call" : "jmp", cs.type);
	if (!(cs.type & 8))
		EMU_GP(c, sel & 0xfffc);
	if (cs.type & 4) {
		if (cs.dpl > c->cpl)
			EMU_GP(c, sel & 0xfffc);
	} else if ((sel & 3) > c->cpl || cs.dpl != c->cpl) {
		EMU_GP(c, sel & 0xfffc);
	}
	if (!cs.present)
		emu_raise(c, EXC_NP, sel & 0xfffc, EV_ERR);
	uint64_t rip = target_rip(c, &cs, off, sz);
	if (call) {
		emu_push(c, sz, c->s.seg[RAX_SEG_CS].selector);
		emu_push(c, sz, c->next_rip);
	}
	cs.type |= 1;
	cs.selector = (uint16_t)((sel & 0xfffc) | c->cpl);
	cs.dpl = c->cpl; /* CS.DPL holds the CPL, also for conforming code */
	c->s.seg[RAX_SEG_CS] = cs;
	c->next_rip = rip;
}

EMU_HANDLER(jmpf_Mp) { far_transfer(c, in, false); }
EMU_HANDLER(callf_Mp) { far_transfer(c, in, true); }
