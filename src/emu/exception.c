/*
 * exception.c - raising faults and delivering events through the IDT: the
 * 16-byte gates of IA-32e mode (64-bit and compatibility mode), and the
 * 8-byte 32/16-bit interrupt and trap gates of legacy protected mode with a
 * privilege change through the 32-bit TSS (SS0:ESP0). Task gates end the run
 * with an INTERNAL exit (task switches are not emulated).
 *
 * emu_raise() records the event and longjmps to the run loop, which calls
 * emu_fault_entry(): it rolls the faulting instruction back (RIP, RSP),
 * applies the double-fault rules (contributory/page-fault classes; a fault
 * while delivering #DF is a triple fault) and delivers the event. Delivery
 * reads 16-byte gates, checks the target code segment, switches stacks (TSS
 * RSPn on a privilege change, IST when the gate names one), aligns RSP to 16,
 * and writes the whole frame before changing any register, so a fault during
 * delivery leaves the state untouched for the next attempt.
 */
#include "emu/legacy.h"

#include <stdarg.h>
#include <stdio.h>

#include "backend.h"

_Noreturn void emu_raise(struct emu_cpu *c, int vec, uint32_t err, unsigned flags)
{
	c->pend_vec = vec;
	c->pend_err = err;
	c->pend_flags = flags;
	longjmp(c->jb, 1);
}

_Noreturn void emu_internal(struct emu_cpu *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	c->pend_vec = -2;
	longjmp(c->jb, 1);
}

/* 0 benign, 1 contributory, 2 page fault, 3 double fault */
static int exc_class(int v)
{
	switch (v) {
	case EXC_DE:
	case EXC_TS:
	case EXC_NP:
	case EXC_SS:
	case EXC_GP: return 1;
	case EXC_PF: return 2;
	case EXC_DF: return 3;
	default: return 0;
	}
}

static bool has_error_code(int v)
{
	return v == EXC_DF || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP || v == EXC_PF || v == EXC_AC;
}

void emu_fault_entry(struct emu_cpu *c)
{
	c->vlane = 0; /* a fault inside EMU_VEX_LANES: the held results are dropped */
	c->vlanes = 1;
	if (c->in_insn) {
		c->in_insn = false;
		c->gpr[RAX_REG_RSP] = c->saved_rsp;
		c->next_rip = c->rip;
	}
	if (__builtin_expect(c->dbg.active || c->dbg.pend, 0))
		emu_dbg_fault(c);
	int vec = c->pend_vec;
	uint32_t err = c->pend_err;
	unsigned flags = c->pend_flags;
	if (vec == -2) {
		c->exit_req = RAX_EXIT_INTERNAL;
		c->cur_exc = -1;
		return;
	}
	if (c->cur_exc >= 0) {
		int first = exc_class(c->cur_exc), second = exc_class(vec);
		if (first == 3) {
			c->exit_req = RAX_EXIT_SHUTDOWN; /* triple fault */
			c->cur_exc = -1;
			return;
		}
		if ((first == 1 && second == 1) || (first == 2 && second >= 1)) {
			vec = EXC_DF;
			err = 0;
			flags = EV_ERR;
		}
	}
	if (has_error_code(vec))
		flags |= EV_ERR;
	c->cur_exc = vec;
	emu_deliver(c, vec, err, flags, c->rip);
	c->cur_exc = -1;
	/* the delivery's own accesses hit a watch, or a trap waits: at the handler's first instruction */
	if (__builtin_expect(c->dbg.hit | c->dbg.host_hit | c->dbg.pend, 0))
		emu_dbg_trap(c, false);
}

/* Read a quadword of the TSS (RSPn, ISTn) with the TR limit check. */
static uint64_t tss_read(struct emu_cpu *c, unsigned off)
{
	if (!c->s.tr.present || off + 7 > c->s.tr.limit)
		emu_raise(c, EXC_TS, c->s.tr.selector & 0xfffc, EV_ERR);
	uint64_t v;
	emu_read_block(c, c->s.tr.base + off, &v, 8, false);
	return v;
}

/*
 * The code segment an interrupt gate names: a present code descriptor with
 * DPL <= CPL (and a 64-bit one in long mode), else #GP/#NP with the selector
 * (ext: the event came from outside the program); *dlo and *daddr: the
 * descriptor's low word and address, for setting its accessed bit.
 */
static void gate_code_segment(struct emu_cpu *c, uint16_t sel, uint32_t ext, bool long_mode, struct rax_segment *cs,
			      uint64_t *dlo, uint64_t *daddr)
{
	if ((sel & 0xfffc) == 0)
		EMU_GP(c, ext);
	if (emu_read_descriptor(c, sel, dlo, NULL, daddr) < 0)
		EMU_GP(c, (sel & 0xfffc) | ext);
	emu_desc_to_seg(*dlo, sel, cs);
	if (!cs->s || !(cs->type & 8) || (long_mode && (!cs->l || cs->db)) || cs->dpl > c->cpl)
		EMU_GP(c, (sel & 0xfffc) | ext);
	if (!cs->present)
		emu_raise(c, EXC_NP, (sel & 0xfffc) | ext, EV_ERR);
}

void emu_deliver(struct emu_cpu *c, int vec, uint32_t err, unsigned flags, uint64_t ret_rip)
{
	if (vec == EXC_DB && !(flags & EV_SOFT))
		emu_dbg_clear_gd(c); /* a #DB enters its handler with DR7.GD clear (SDM 17.2.4) */
	if (emu_real(c)) {
		emu_deliver_real(c, vec, flags, ret_rip);
		return;
	}
	if (!(c->s.efer & EFER_LMA)) {
		emu_deliver_leg(c, vec, err, flags, ret_rip);
		return;
	}
	uint32_t ext = (flags & EV_SOFT) ? 0 : 1;
	uint32_t idt_err = (uint32_t)vec * 8 + 2 + ext;
	if ((uint64_t)vec * 16 + 15 > c->s.idt.limit)
		EMU_GP(c, idt_err);
	uint64_t gate[2];
	emu_read_block(c, c->s.idt.base + (uint64_t)vec * 16, gate, 16, false);
	uint64_t lo = gate[0], hi = gate[1];
	unsigned type = (lo >> 40) & 0xf, gdpl = (lo >> 45) & 3, ist = (lo >> 32) & 7;
	if (type != 0xe && type != 0xf)
		EMU_GP(c, idt_err);
	if ((flags & EV_SOFT) && gdpl < c->cpl)
		EMU_GP(c, idt_err);
	if (!((lo >> 47) & 1))
		emu_raise(c, EXC_NP, idt_err, EV_ERR);
	uint16_t sel = (uint16_t)(lo >> 16);
	uint64_t target = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (hi << 32);

	struct rax_segment cs;
	uint64_t dlo, daddr;
	gate_code_segment(c, sel, ext, true, &cs, &dlo, &daddr);
	unsigned new_cpl = (cs.type & 4) ? c->cpl : cs.dpl; /* conforming keeps CPL */

	uint64_t rsp = c->gpr[RAX_REG_RSP];
	bool stack_switch = new_cpl < c->cpl;
	if (stack_switch)
		rsp = tss_read(c, 4 + 8 * new_cpl);
	if (ist)
		rsp = tss_read(c, 0x24 + 8 * (ist - 1));
	rsp &= ~0xfull;

	uint64_t fl = emu_get_flags(c);
	uint64_t pushed_fl = fl;
	if (!(flags & (EV_SOFT | EV_TRAP)) && vec != EXC_DB)
		pushed_fl |= RFLAGS_RF; /* fault-class events: restart without re-triggering */
	uint64_t frame[6];
	unsigned n = 0;
	if (flags & EV_ERR)
		frame[n++] = err;
	frame[n++] = ret_rip;
	frame[n++] = c->s.seg[RAX_SEG_CS].selector;
	frame[n++] = pushed_fl;
	frame[n++] = c->gpr[RAX_REG_RSP];
	frame[n++] = c->s.seg[RAX_SEG_SS].selector;
	uint64_t new_rsp = rsp - 8 * n;
	if (!emu_canonical(new_rsp) || !emu_canonical(rsp - 1))
		emu_raise(c, EXC_SS, ext, EV_ERR);
	emu_write_block(c, new_rsp, frame, 8 * n, false);

	/* commit */
	emu_desc_set_accessed(c, &cs, dlo, daddr);
	cs.selector = (uint16_t)((sel & 0xfffc) | new_cpl);
	cs.dpl = (uint8_t)new_cpl;
	c->s.seg[RAX_SEG_CS] = cs;
	emu_update_mode(c); /* from compatibility mode: now 64-bit */
	if (stack_switch) {
		c->s.seg[RAX_SEG_SS] = (struct rax_segment){ .selector = (uint16_t)new_cpl,
							     .unusable = 1,
							     .dpl = (uint8_t)new_cpl,
							     .db = 1,
							     .s = 1,
							     .type = 3,
							     .present = 1 };
	}
	c->gpr[RAX_REG_RSP] = new_rsp;
	fl &= ~(uint64_t)(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (type == 0xe)
		fl &= ~(uint64_t)RFLAGS_IF;
	emu_write_rflags(c, fl);
	c->rip = c->next_rip = target;
	c->event_delivered = true;
}

/*
 * Legacy protected mode (EFER.LMA=0): 8-byte gates. A 32-bit gate pushes
 * dwords, a 16-bit gate words: [SS, ESP on a privilege change,] EFLAGS, CS,
 * EIP[, error code]. The new stack comes from the 32-bit TSS.
 */
void emu_deliver_leg(struct emu_cpu *c, int vec, uint32_t err, unsigned flags, uint64_t ret_rip)
{
	uint32_t ext = (flags & EV_SOFT) ? 0 : 1;
	uint32_t idt_err = (uint32_t)vec * 8 + 2 + ext;
	if ((uint64_t)vec * 8 + 7 > c->s.idt.limit)
		EMU_GP(c, idt_err);
	uint64_t lo;
	emu_read_block(c, (c->s.idt.base + (uint64_t)vec * 8) & 0xffffffffull, &lo, 8, false);
	unsigned type = (lo >> 40) & 0xf, gdpl = (lo >> 45) & 3;
	if ((lo >> 44) & 1)
		EMU_GP(c, idt_err);
	if (type == 5)
		emu_internal(c, "task gate for vector %d: task switches are not emulated", vec);
	if (type != 6 && type != 7 && type != 0xe && type != 0xf)
		EMU_GP(c, idt_err);
	if ((flags & EV_SOFT) && gdpl < c->cpl)
		EMU_GP(c, idt_err);
	if (!((lo >> 47) & 1))
		emu_raise(c, EXC_NP, idt_err, EV_ERR);
	bool g32 = type & 8;
	uint16_t sel = (uint16_t)(lo >> 16);
	uint64_t target = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull);
	if (!g32)
		target &= 0xffff;

	struct rax_segment cs;
	uint64_t dlo, daddr;
	gate_code_segment(c, sel, ext, false, &cs, &dlo, &daddr);
	if (target > cs.limit)
		EMU_GP(c, ext);
	unsigned new_cpl = (cs.type & 4) ? c->cpl : cs.dpl;

	struct rax_segment ss = c->s.seg[RAX_SEG_SS];
	uint64_t esp = c->gpr[RAX_REG_RSP] & emu_sp_mask(c);
	bool priv = new_cpl < c->cpl;
	if (priv) {
		const struct rax_segment *tr = &c->s.tr;
		uint16_t tsel = tr->selector & 0xfffc;
		if ((tr->type & 7) != 1 && (tr->type & 7) != 3)
			emu_internal(c, "no TSS for a privilege change (TR type %u)", tr->type);
		if (!(tr->type & 8))
			emu_internal(c, "privilege change through a 16-bit TSS is not emulated");
		if (!tr->present || 8 + 8 * new_cpl + 1 > tr->limit)
			emu_raise(c, EXC_TS, tsel | ext, EV_ERR);
		uint32_t nesp;
		uint16_t nss;
		emu_read_block(c, (tr->base + 4 + 8 * new_cpl) & 0xffffffffull, &nesp, 4, false);
		emu_read_block(c, (tr->base + 8 + 8 * new_cpl) & 0xffffffffull, &nss, 2, false);
		uint64_t slo;
		if ((nss & 0xfffc) == 0)
			emu_raise(c, EXC_TS, ext, EV_ERR);
		if (emu_read_descriptor(c, nss, &slo, NULL, NULL) < 0)
			emu_raise(c, EXC_TS, (nss & 0xfffc) | ext, EV_ERR);
		emu_desc_to_seg(slo, nss, &ss);
		if ((nss & 3) != new_cpl || ss.dpl != new_cpl || !ss.s || (ss.type & 0xa) != 0x2)
			emu_raise(c, EXC_TS, (nss & 0xfffc) | ext, EV_ERR);
		if (!ss.present)
			emu_raise(c, EXC_SS, (nss & 0xfffc) | ext, EV_ERR);
		ss.type |= 1;
		esp = nesp & (ss.db ? 0xffffffffull : 0xffffull);
	}

	uint64_t fl = emu_get_flags(c);
	uint64_t pushed_fl = fl;
	if (!(flags & (EV_SOFT | EV_TRAP)) && vec != EXC_DB)
		pushed_fl |= RFLAGS_RF;
	uint32_t frame[6];
	unsigned n = 0; /* lowest address first */
	if (flags & EV_ERR)
		frame[n++] = err;
	frame[n++] = (uint32_t)ret_rip;
	frame[n++] = c->s.seg[RAX_SEG_CS].selector;
	frame[n++] = (uint32_t)pushed_fl;
	if (priv) {
		frame[n++] = (uint32_t)(c->gpr[RAX_REG_RSP] & emu_sp_mask(c));
		frame[n++] = c->s.seg[RAX_SEG_SS].selector;
	}
	unsigned ws = g32 ? 4 : 2;
	uint64_t new_esp = (esp - n * ws) & (ss.db ? 0xffffffffull : 0xffffull);
	emu_seg_check(c, &ss, new_esp, n * ws, ACC_W, EXC_SS);
	uint8_t buf[24];
	for (unsigned i = 0; i < n; i++)
		memcpy(buf + i * ws, &frame[i], ws);
	emu_write_block(c, (ss.base + new_esp) & 0xffffffffull, buf, n * ws, false);

	/* commit */
	emu_desc_set_accessed(c, &cs, dlo, daddr);
	cs.selector = (uint16_t)((sel & 0xfffc) | new_cpl);
	cs.dpl = (uint8_t)new_cpl;
	if (priv) {
		c->s.seg[RAX_SEG_SS] = ss;
		c->s.seg[RAX_SEG_SS].selector = (uint16_t)((ss.selector & 0xfffc) | new_cpl);
	}
	uint64_t m = ss.db ? 0xffffffffull : 0xffffull;
	c->gpr[RAX_REG_RSP] = (c->gpr[RAX_REG_RSP] & ~m) | new_esp;
	fl &= ~(uint64_t)(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (!(type & 1))
		fl &= ~(uint64_t)RFLAGS_IF;
	emu_write_rflags(c, fl);
	emu_set_cs(c, &cs);
	c->rip = c->next_rip = target;
	c->event_delivered = true;
}
