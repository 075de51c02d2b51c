/*
 * exception.c - raising faults and delivering events through the 64-bit IDT.
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
#include "emu/cpu.h"

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
	case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP: return 1;
	case EXC_PF: return 2;
	case EXC_DF: return 3;
	default: return 0;
	}
}

static bool has_error_code(int v)
{
	return v == EXC_DF || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP ||
	       v == EXC_PF || v == EXC_AC;
}

void emu_fault_entry(struct emu_cpu *c)
{
	if (c->in_insn) {
		c->in_insn = false;
		c->gpr[RAX_REG_RSP] = c->saved_rsp;
		c->next_rip = c->rip;
	}
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

void emu_deliver(struct emu_cpu *c, int vec, uint32_t err, unsigned flags, uint64_t ret_rip)
{
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

	if ((sel & 0xfffc) == 0)
		EMU_GP(c, ext);
	uint64_t dlo, daddr;
	if (emu_read_descriptor(c, sel, &dlo, NULL, &daddr) < 0)
		EMU_GP(c, (sel & 0xfffc) | ext);
	struct rax_segment cs;
	emu_desc_to_seg(dlo, sel, &cs);
	if (!cs.s || !(cs.type & 8) || !cs.l || cs.db || cs.dpl > c->cpl)
		EMU_GP(c, (sel & 0xfffc) | ext);
	if (!cs.present)
		emu_raise(c, EXC_NP, (sel & 0xfffc) | ext, EV_ERR);
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
	if (!(cs.type & 1)) {
		uint8_t acc = (uint8_t)((dlo >> 40) | 1);
		emu_write_block(c, daddr + 5, &acc, 1, false);
		cs.type |= 1;
	}
	cs.selector = (uint16_t)((sel & 0xfffc) | new_cpl);
	cs.dpl = (uint8_t)new_cpl;
	c->s.seg[RAX_SEG_CS] = cs;
	c->cpl = (uint8_t)new_cpl;
	if (stack_switch) {
		c->s.seg[RAX_SEG_SS] = (struct rax_segment){ .selector = (uint16_t)new_cpl,
							     .unusable = 1, .dpl = (uint8_t)new_cpl,
							     .db = 1, .s = 1, .type = 3, .present = 1 };
	}
	c->gpr[RAX_REG_RSP] = new_rsp;
	fl &= ~(uint64_t)(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (type == 0xe)
		fl &= ~(uint64_t)RFLAGS_IF;
	emu_write_rflags(c, fl);
	c->rip = c->next_rip = target;
	c->event_delivered = true;
}
