/*
 * control.c - control transfer: JMP CALL RET (near, indirect, far direct and
 * through memory, RETF), Jcc, LOOP/LOOPE/LOOPNE, JRCXZ, INT3, INT n, INTO,
 * INT1, BOUND, IRET.
 *
 * In 64-bit mode near branches default to 64-bit operand size; with a 66
 * prefix they use a 16-bit operand size and truncate RIP to 16 bits (AMD
 * behaviour; Intel ignores 66 there). Outside it they use the 32/16-bit
 * operand size and the SS.B-sized stack. Far transfers load CS from the
 * GDT/LDT and switch between 64-bit, compatibility and protected-mode code;
 * they support code segments only: call gates and task switches end the
 * run with an INTERNAL exit, as do IRET with NT=1 (task return) and IRET to
 * virtual-8086 mode.
 */
#include "emu/insn/handlers.h"
#include "emu/legacy.h"

#include "backend.h"

/* A near branch; outside 64-bit mode the target must be within the CS limit. */
static inline void near_branch(struct emu_cpu *c, const struct emu_insn *in, uint64_t target)
{
	emu_branch(c, target, in->osz);
	if (emu_leg(in) && c->next_rip > c->s.seg[RAX_SEG_CS].limit)
		EMU_GP(c, 0);
}

EMU_HANDLER(jcc_Jb)
{
	if (emu_cond(c, in->op & 15))
		near_branch(c, in, c->next_rip + in->imm);
}
EMU_HANDLER(jcc_Jz)
{
	if (emu_cond(c, in->op & 15))
		near_branch(c, in, c->next_rip + in->imm);
}
EMU_HANDLER(jmp_Jb) { near_branch(c, in, c->next_rip + in->imm); }
EMU_HANDLER(jmp_Jz) { near_branch(c, in, c->next_rip + in->imm); }
EMU_HANDLER(jmp_Ev) { near_branch(c, in, emu_rm_get(c, in, in->osz)); }

EMU_HANDLER(call_Jz)
{
	uint64_t ret = c->next_rip;
	near_branch(c, in, ret + in->imm);
	emu_ipush(c, in, in->osz, ret);
}
EMU_HANDLER(call_Ev)
{
	uint64_t ret = c->next_rip;
	near_branch(c, in, emu_rm_get(c, in, in->osz));
	emu_ipush(c, in, in->osz, ret);
}
EMU_HANDLER(ret) { near_branch(c, in, emu_ipop(c, in, in->osz)); }
EMU_HANDLER(ret_Iw)
{
	near_branch(c, in, emu_ipop(c, in, in->osz));
	if (emu_leg(in))
		emu_sp_set_leg(c, c->gpr[RAX_REG_RSP] + (in->imm & 0xffff));
	else
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
		near_branch(c, in, c->next_rip + in->imm);
		c->gpr[1] = t;
	}
}
EMU_HANDLER(loope_Jb)
{
	uint64_t save = c->gpr[1];
	if (loop_dec(c, in) && emu_cond(c, 4)) {
		uint64_t t = c->gpr[1];
		c->gpr[1] = save;
		near_branch(c, in, c->next_rip + in->imm);
		c->gpr[1] = t;
	}
}
EMU_HANDLER(loopne_Jb)
{
	uint64_t save = c->gpr[1];
	if (loop_dec(c, in) && emu_cond(c, 5)) {
		uint64_t t = c->gpr[1];
		c->gpr[1] = save;
		near_branch(c, in, c->next_rip + in->imm);
		c->gpr[1] = t;
	}
}
EMU_HANDLER(jrcxz_Jb)
{
	if (emu_reg_get(c, in, 1, in->asz) == 0)
		near_branch(c, in, c->next_rip + in->imm);
}

/* ---- software interrupts ---- */
EMU_HANDLER(int3) { emu_deliver(c, EXC_BP, 0, EV_SOFT, c->next_rip); }
EMU_HANDLER(int_Ib) { emu_deliver(c, (int)(in->imm & 0xff), 0, EV_SOFT, c->next_rip); }
EMU_HANDLER(int1) { emu_deliver(c, EXC_DB, 0, EV_TRAP, c->next_rip); }
EMU_HANDLER(into)
{
	if (emu_get_flags(c) & RFLAGS_OF)
		emu_deliver(c, EXC_OF, 0, EV_SOFT, c->next_rip);
}

/* BOUND: #BR (a fault) unless lower <= index <= upper, signed. */
EMU_HANDLER(bound_GvMa)
{
	unsigned sz = in->osz;
	uint64_t ea = emu_ea(c, in);
	int64_t lo = (int64_t)emu_sext(emu_rd(c, in->seg, ea, sz), sz);
	int64_t hi = (int64_t)emu_sext(emu_rd(c, in->seg, (ea + sz) & emu_mask(in->asz), sz), sz);
	int64_t v = (int64_t)emu_sext(emu_reg_get(c, in, in->reg, sz), sz);
	if (v < lo || v > hi)
		emu_raise(c, EXC_BR, 0, 0);
}

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
static void check_ret_ss(struct emu_cpu *c, uint16_t sel, unsigned cpl, bool target64, struct rax_segment *ss)
{
	if ((sel & 0xfffc) == 0) {
		if (!target64 || cpl == 3 || (sel & 3) != cpl)
			EMU_GP(c, 0);
		*ss = (struct rax_segment){
			.selector = sel, .unusable = 1, .dpl = (uint8_t)cpl, .db = 1, .s = 1, .type = 3, .present = 1
		};
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

/* Is cs a 64-bit code segment (L=1 counts only in IA-32e mode)? */
static bool cs_is64(const struct emu_cpu *c, const struct rax_segment *cs) { return cs->l && (c->s.efer & EFER_LMA); }

static uint64_t target_rip(struct emu_cpu *c, const struct rax_segment *cs, uint64_t off, unsigned osz)
{
	bool l = cs_is64(c, cs);
	if (!l)
		off &= osz == 2 ? 0xffff : 0xffffffff;
	else if (osz == 2)
		off &= 0xffff;
	else if (osz == 4)
		off &= 0xffffffff;
	if (l && !emu_canonical(off))
		EMU_GP(c, 0);
	if (!l && off > cs->limit)
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

/* Set the stack pointer after a far return/IRET (SS already switched). */
static void set_sp(struct emu_cpu *c, const struct emu_insn *in, uint64_t sp, bool to64)
{
	if (!emu_leg(in) || to64)
		c->gpr[RAX_REG_RSP] = sp;
	else
		emu_sp_set_leg(c, sp);
}

static void far_return(struct emu_cpu *c, const struct emu_insn *in, uint64_t extra)
{
	if (emu_real(c)) {
		emu_real_far_return(c, in, extra);
		return;
	}
	unsigned sz = in->osz;
	uint64_t off = emu_stk_peek(c, in, 0, sz);
	uint16_t sel = (uint16_t)emu_stk_peek(c, in, sz, sz);
	struct rax_segment cs, ss;
	uint64_t lo;
	check_ret_cs(c, sel, &cs, &lo);
	unsigned new_cpl = sel & 3;
	bool to64 = cs_is64(c, &cs);
	if ((c->s.efer & EFER_LMA) && cs.l && cs.db)
		EMU_GP(c, sel & 0xfffc);
	uint64_t rip = target_rip(c, &cs, off, sz);
	uint64_t sp = c->gpr[RAX_REG_RSP] + 2 * sz + extra;
	if (new_cpl > c->cpl) {
		uint64_t nsp = emu_stk_peek(c, in, 2 * sz + extra, sz);
		uint16_t ssel = (uint16_t)emu_stk_peek(c, in, 3 * sz + extra, sz);
		check_ret_ss(c, ssel, new_cpl, to64, &ss);
		c->s.seg[RAX_SEG_SS] = ss;
		sp = nsp + extra;
		null_inaccessible(c, new_cpl);
	}
	emu_set_cs(c, &cs);
	set_sp(c, in, sp, to64 && !emu_leg(in));
	c->next_rip = rip;
}

EMU_HANDLER(retf) { far_return(c, in, 0); }
EMU_HANDLER(retf_Iw) { far_return(c, in, in->imm & 0xffff); }

/*
 * IRET. 64-bit mode always pops SS:RSP; outside it (protected and
 * compatibility mode) SS:ESP only on a return to an outer privilege level.
 */
EMU_HANDLER(iret)
{
	if (emu_real(c)) {
		emu_real_iret(c, in);
		return;
	}
	unsigned sz = in->osz;
	bool leg = emu_leg(in), lma = c->s.efer & EFER_LMA;
	uint64_t fl = emu_get_flags(c);
	if (fl & RFLAGS_NT) {
		if (lma)
			EMU_GP(c, 0); /* task return does not exist in IA-32e mode */
		emu_internal(c, "IRET with NT=1 (task return) is not emulated (rip 0x%llx)",
			     (unsigned long long)c->rip);
	}
	uint64_t off = emu_stk_peek(c, in, 0, sz);
	uint16_t sel = (uint16_t)emu_stk_peek(c, in, sz, sz);
	uint64_t nfl = emu_stk_peek(c, in, 2 * sz, sz);
	if (!lma && sz == 4 && (nfl & RFLAGS_VM) && c->cpl == 0)
		emu_internal(c, "IRET to virtual-8086 mode is not emulated (rip 0x%llx)", (unsigned long long)c->rip);
	struct rax_segment cs, ss;
	uint64_t lo;
	check_ret_cs(c, sel, &cs, &lo);
	unsigned new_cpl = sel & 3;
	bool to64 = cs_is64(c, &cs);
	if (lma && cs.l && cs.db)
		EMU_GP(c, sel & 0xfffc);
	uint64_t rip = target_rip(c, &cs, off, sz);
	bool pop_ss = !leg || new_cpl > c->cpl;
	uint64_t nsp = 0;
	if (pop_ss) {
		nsp = emu_stk_peek(c, in, 3 * sz, sz);
		uint16_t ssel = (uint16_t)emu_stk_peek(c, in, 4 * sz, sz);
		check_ret_ss(c, ssel, new_cpl, to64, &ss);
	}

	uint64_t mask = RFLAGS_STATUS | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC | RFLAGS_ID | RFLAGS_RF;
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
	if (pop_ss)
		c->s.seg[RAX_SEG_SS] = ss;
	if (!leg)
		c->gpr[RAX_REG_RSP] = sz == 4 ? nsp & 0xffffffff
			: sz == 2             ? (c->gpr[RAX_REG_RSP] & ~0xffffull) | (nsp & 0xffff)
					      : nsp;
	else if (pop_ss)
		set_sp(c, in, nsp, false);
	else
		emu_sp_set_leg(c, c->gpr[RAX_REG_RSP] + 3 * sz);
	emu_write_rflags(c, newfl);
	c->rflags |= newfl & RFLAGS_RF;
	emu_update_mode(c);
	c->next_rip = rip;
	if (c->nmi_blocked) {
		c->nmi_blocked = false; /* IRET ends NMI blocking */
		emu_recheck_events(c);
	}
}

/* Far JMP/CALL to sel:off (direct ptr16:16/32, or m16:16/32/64 through memory). */
static void far_transfer(struct emu_cpu *c, const struct emu_insn *in, bool call, uint16_t sel, uint64_t off)
{
	if (emu_real(c)) {
		emu_real_far(c, in, call, sel, off);
		return;
	}
	unsigned sz = in->osz;
	if ((sel & 0xfffc) == 0)
		EMU_GP(c, 0);
	uint64_t lo;
	if (emu_read_descriptor(c, sel, &lo, NULL, NULL) < 0)
		EMU_GP(c, sel & 0xfffc);
	struct rax_segment cs;
	emu_desc_to_seg(lo, sel, &cs);
	if (!cs.s)
		emu_internal(c, "far %s through a system descriptor (type %u: call gate or task) is not emulated",
			     call ? "call" : "jmp", cs.type);
	if (!(cs.type & 8))
		EMU_GP(c, sel & 0xfffc);
	if (cs.type & 4) {
		if (cs.dpl > c->cpl)
			EMU_GP(c, sel & 0xfffc);
	} else if ((sel & 3) > c->cpl || cs.dpl != c->cpl) {
		EMU_GP(c, sel & 0xfffc);
	}
	if ((c->s.efer & EFER_LMA) && cs.l && cs.db)
		EMU_GP(c, sel & 0xfffc); /* L=1 with D=1 is reserved in IA-32e mode */
	if (!cs.present)
		emu_raise(c, EXC_NP, sel & 0xfffc, EV_ERR);
	uint64_t rip = target_rip(c, &cs, off, sz);
	if (call) {
		emu_ipush(c, in, sz, c->s.seg[RAX_SEG_CS].selector);
		emu_ipush(c, in, sz, c->next_rip);
	}
	cs.type |= 1;
	cs.selector = (uint16_t)((sel & 0xfffc) | c->cpl);
	cs.dpl = c->cpl; /* CS.DPL holds the CPL, also for conforming code */
	emu_set_cs(c, &cs);
	c->next_rip = rip;
}

static void far_mem(struct emu_cpu *c, const struct emu_insn *in, bool call)
{
	emu_need_mem(c, in);
	unsigned sz = in->osz;
	uint64_t ea = emu_ea(c, in);
	uint64_t off = emu_rd(c, in->seg, ea, sz);
	uint16_t sel = (uint16_t)emu_rd(c, in->seg, (ea + sz) & emu_mask(in->asz), 2);
	far_transfer(c, in, call, sel, off);
}

EMU_HANDLER(jmpf_Mp) { far_mem(c, in, false); }
EMU_HANDLER(callf_Mp) { far_mem(c, in, true); }
EMU_HANDLER(jmpf_Ap) { far_transfer(c, in, false, (uint16_t)in->imm2, in->imm); }
EMU_HANDLER(callf_Ap) { far_transfer(c, in, true, (uint16_t)in->imm2, in->imm); }
