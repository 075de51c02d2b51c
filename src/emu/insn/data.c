/*
 * data.c - data movement: MOV (all forms, moffs, imm64, segment registers),
 * MOVZX MOVSX MOVSXD LEA XCHG XADD CMPXCHG CMPXCHG8B BSWAP CBW-family
 * CWD-family SETcc CMOVcc LAHF SAHF PUSH POP PUSHF POPF ENTER LEAVE XLAT
 * LSS/LFS/LGS MOVNTI, and outside 64-bit mode PUSH/POP ES/CS/SS/DS and LES/LDS.
 * Stack forms use the 64-bit RSP or, outside 64-bit mode, ESP/SP by SS.B.
 *
 * LOCK is accepted by the decoder on the lockable forms; a single interpreter
 * thread makes every read-modify-write atomic already.
 */
#include "emu/insn/handlers.h"
#include "emu/legacy.h"
#include "emu/plant.h"

/* ---- MOV ---- */
EMU_HANDLER(mov_EbGb) { emu_rm_set(c, in, 1, emu_reg_get(c, in, in->reg, 1)); }
EMU_HANDLER(mov_EvGv)
{
	uint64_t v = emu_reg_get(c, in, in->reg, in->osz);
	if (in->mod != 3 && emu_plant == EMU_PLANT_MEMORY)
		v ^= 1; /* planted bug: off unless RAX_EMU_PLANT=memory */
	emu_rm_set(c, in, in->osz, v);
}
EMU_HANDLER(mov_GbEb) { emu_reg_set(c, in, in->reg, 1, emu_rm_get(c, in, 1)); }
EMU_HANDLER(mov_GvEv) { emu_reg_set(c, in, in->reg, in->osz, emu_rm_get(c, in, in->osz)); }
EMU_HANDLER(mov_EbIb) { emu_rm_set(c, in, 1, in->imm); }
EMU_HANDLER(mov_EvIz) { emu_rm_set(c, in, in->osz, in->imm); }
EMU_HANDLER(mov_ZbIb) { emu_reg_set(c, in, in->opreg, 1, in->imm); }
EMU_HANDLER(mov_ZvIv) { emu_reg_set(c, in, in->opreg, in->osz, in->imm); }

static inline uint64_t moffs(const struct emu_insn *in) { return in->asz == 4 ? in->imm2 & 0xffffffff : in->imm2; }
EMU_HANDLER(mov_ALOb) { emu_reg_set(c, in, 0, 1, emu_rd(c, in->seg, moffs(in), 1)); }
EMU_HANDLER(mov_rAXOv) { emu_reg_set(c, in, 0, in->osz, emu_rd(c, in->seg, moffs(in), in->osz)); }
EMU_HANDLER(mov_ObAL) { emu_wr(c, in->seg, moffs(in), 1, c->gpr[0]); }
EMU_HANDLER(mov_OvrAX) { emu_wr(c, in->seg, moffs(in), in->osz, c->gpr[0]); }

EMU_HANDLER(movzx_GvEb) { emu_reg_set(c, in, in->reg, in->osz, emu_rm_get(c, in, 1)); }
EMU_HANDLER(movzx_GvEw) { emu_reg_set(c, in, in->reg, in->osz, emu_rm_get(c, in, 2)); }
EMU_HANDLER(movsx_GvEb) { emu_reg_set(c, in, in->reg, in->osz, emu_sext(emu_rm_get(c, in, 1), 1)); }
EMU_HANDLER(movsx_GvEw) { emu_reg_set(c, in, in->reg, in->osz, emu_sext(emu_rm_get(c, in, 2), 2)); }
EMU_HANDLER(movsxd_GvEd)
{
	if (in->osz == 8)
		c->gpr[in->reg] = emu_sext(emu_rm_get(c, in, 4), 4);
	else /* without REX.W: a plain 16/32-bit move */
		emu_reg_set(c, in, in->reg, in->osz, emu_rm_get(c, in, in->osz));
}

EMU_HANDLER(movnti_MyGy)
{
	emu_need_mem(c, in);
	if (in->osz == 2)
		EMU_UD(c);
	emu_wr(c, in->seg, emu_ea(c, in), in->osz, emu_reg_get(c, in, in->reg, in->osz));
}

EMU_HANDLER(lea_GvM)
{
	emu_need_mem(c, in);
	emu_reg_set(c, in, in->reg, in->osz, emu_ea(c, in));
}

/* ---- exchange and compare ---- */
EMU_HANDLER(xchg_ZvrAX)
{
	unsigned r = in->opreg;
	if (r == 0) {
		/* 90: NOP (also 66 90). F3 90 is PAUSE, the spin-wait hint: in an
		 * SMP slice (smp.c) this CPU gives its turn up, so that the CPU it
		 * waits for runs */
		if ((in->pfx & EMU_P_REP) && c->slice_end != UINT64_MAX)
			c->exit_req = EMU_EXIT_YIELD;
		return;
	}
	uint64_t a = emu_reg_get(c, in, 0, in->osz), b = emu_reg_get(c, in, r, in->osz);
	emu_reg_set(c, in, 0, in->osz, b);
	emu_reg_set(c, in, r, in->osz, a);
}

static void xchg(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	uint64_t b = emu_reg_get(c, in, in->reg, size);
	if (in->mod == 3) {
		uint64_t a = emu_reg_get(c, in, in->rm, size);
		emu_reg_set(c, in, in->rm, size, b);
		emu_reg_set(c, in, in->reg, size, a);
	} else {
		uint64_t ea = emu_ea(c, in);
		uint64_t a = emu_rd_rmw(c, in->seg, ea, size);
		emu_wr(c, in->seg, ea, size, b);
		emu_reg_set(c, in, in->reg, size, a);
	}
}
EMU_HANDLER(xchg_EbGb) { xchg(c, in, 1); }
EMU_HANDLER(xchg_EvGv) { xchg(c, in, in->osz); }

static void xadd(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	uint64_t b = emu_reg_get(c, in, in->reg, size), a, r;
	if (in->mod == 3) {
		a = emu_reg_get(c, in, in->rm, size);
		r = a + b;
		emu_reg_set(c, in, in->reg, size, a);
		emu_reg_set(c, in, in->rm, size, r);
	} else {
		uint64_t ea = emu_ea(c, in);
		a = emu_rd_rmw(c, in->seg, ea, size);
		r = a + b;
		emu_wr(c, in->seg, ea, size, r);
		emu_reg_set(c, in, in->reg, size, a);
	}
	emu_lazy(c, LF_ADD, size, a, b, r);
}
EMU_HANDLER(xadd_EbGb) { xadd(c, in, 1); }
EMU_HANDLER(xadd_EvGv) { xadd(c, in, in->osz); }

static void cmpxchg(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	uint64_t acc = emu_reg_get(c, in, 0, size), src = emu_reg_get(c, in, in->reg, size), d;
	uint64_t ea = 0;
	if (in->mod == 3) {
		d = emu_reg_get(c, in, in->rm, size);
	} else {
		ea = emu_ea(c, in);
		d = emu_rd_rmw(c, in->seg, ea, size); /* written back also when unequal */
	}
	bool eq = d == acc;
	if (in->mod == 3) {
		if (eq)
			emu_reg_set(c, in, in->rm, size, src);
	} else {
		/* the destination is always written (locked RMW), the old value when unequal */
		emu_wr(c, in->seg, ea, size, eq ? src : d);
	}
	if (!eq)
		emu_reg_set(c, in, 0, size, d);
	emu_lazy(c, LF_SUB, size, acc, d, acc - d);
}
EMU_HANDLER(cmpxchg_EbGb) { cmpxchg(c, in, 1); }
EMU_HANDLER(cmpxchg_EvGv) { cmpxchg(c, in, in->osz); }

/* CMPXCHG16B: RDX:RAX against m128, RCX:RBX stored when equal. */
static void cmpxchg16b(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t ea = emu_ea(c, in);
	if (ea & 15)
		EMU_GP(c, 0); /* the operand must be 16-byte aligned */
	uint64_t lo = emu_rd_rmw(c, in->seg, ea, 8), hi = emu_rd_rmw(c, in->seg, ea + 8, 8);
	bool eq = lo == c->gpr[RAX_REG_RAX] && hi == c->gpr[RAX_REG_RDX];
	/* a locked read-modify-write: the destination is always written */
	emu_wr(c, in->seg, ea, 8, eq ? c->gpr[RAX_REG_RBX] : lo);
	emu_wr(c, in->seg, ea + 8, 8, eq ? c->gpr[RAX_REG_RCX] : hi);
	if (!eq) {
		c->gpr[RAX_REG_RAX] = lo;
		c->gpr[RAX_REG_RDX] = hi;
	}
	emu_set_status(c, RFLAGS_ZF, eq ? RFLAGS_ZF : 0);
}

EMU_HANDLER(cmpxchg8b_Mq)
{
	emu_need_mem(c, in);
	if (in->rex & 8) {
		cmpxchg16b(c, in);
		return;
	}
	uint64_t ea = emu_ea(c, in);
	uint64_t m = emu_rd_rmw(c, in->seg, ea, 8);
	uint64_t cmp = (c->gpr[2] << 32) | (c->gpr[0] & 0xffffffff);
	bool eq = m == cmp;
	emu_wr(c, in->seg, ea, 8, eq ? (c->gpr[1] << 32) | (c->gpr[3] & 0xffffffff) : m);
	if (!eq) {
		c->gpr[0] = m & 0xffffffff;
		c->gpr[2] = m >> 32;
	}
	emu_set_status(c, RFLAGS_ZF, eq ? RFLAGS_ZF : 0);
}

EMU_HANDLER(bswap_Zv)
{
	unsigned r = in->opreg;
	if (in->osz == 8)
		c->gpr[r] = __builtin_bswap64(c->gpr[r]);
	else if (in->osz == 4)
		c->gpr[r] = __builtin_bswap32((uint32_t)c->gpr[r]);
	else /* 16-bit BSWAP is undefined: real CPUs clear the low word */
		c->gpr[r] &= ~0xffffull;
}

EMU_HANDLER(cbw)
{
	unsigned s = in->osz;
	emu_reg_set(c, in, 0, s, emu_sext(c->gpr[0], s / 2));
}

EMU_HANDLER(cwd)
{
	unsigned s = in->osz;
	uint64_t a = emu_reg_get(c, in, 0, s);
	emu_reg_set(c, in, 2, s, (a >> (s * 8 - 1)) ? ~0ull : 0);
}

EMU_HANDLER(xlat)
{
	uint64_t ea = (c->gpr[RAX_REG_RBX] + (c->gpr[0] & 0xff)) & emu_mask(in->asz);
	emu_reg_set(c, in, 0, 1, emu_rd(c, in->seg, ea, 1));
}

/* ---- conditional ---- */
EMU_HANDLER(setcc_Eb) { emu_rm_set(c, in, 1, emu_cond(c, in->op & 15)); }

EMU_HANDLER(cmovcc_GvEv)
{
	uint64_t v = emu_rm_get(c, in, in->osz); /* the source is read (and may fault) either way */
	if (emu_cond(c, in->op & 15))
		emu_reg_set(c, in, in->reg, in->osz, v);
	else if (in->osz == 4)
		c->gpr[in->reg] &= 0xffffffff; /* 32-bit CMOV zero-extends even when false */
}

EMU_HANDLER(lahf)
{
	uint64_t f = emu_get_flags(c);
	c->gpr[0] = (c->gpr[0] & ~0xff00ull) | (((f & 0xd5) | 2) << 8); /* AH even with REX */
}

EMU_HANDLER(sahf)
{
	uint64_t ah = (c->gpr[0] >> 8) & 0xff;
	emu_set_status(c, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF, ah);
}

/* ---- stack ---- */
EMU_HANDLER(push_Zv) { emu_ipush(c, in, in->osz, c->gpr[in->opreg]); }
EMU_HANDLER(pop_Zv)
{
	uint64_t v = emu_ipop(c, in, in->osz);
	emu_reg_set(c, in, in->opreg, in->osz, v);
}
EMU_HANDLER(push_Iz) { emu_ipush(c, in, in->osz, in->imm); }
EMU_HANDLER(push_Ib) { emu_ipush(c, in, in->osz, in->imm); }
EMU_HANDLER(push_Ev) { emu_ipush(c, in, in->osz, emu_rm_get(c, in, in->osz)); }
EMU_HANDLER(pop_Ev)
{
	uint64_t v = emu_ipop(c, in, in->osz);
	emu_rm_set(c, in, in->osz, v); /* the address uses the incremented RSP */
}

/* POP into a data segment register: the load checks come before RSP moves. */
static void pop_sreg(struct emu_cpu *c, const struct emu_insn *in, unsigned seg)
{
	uint64_t v = emu_stk_peek(c, in, 0, in->osz);
	emu_load_seg(c, seg, (uint16_t)v);
	if (emu_leg(in))
		emu_sp_set_leg(c, c->gpr[RAX_REG_RSP] + in->osz);
	else
		c->gpr[RAX_REG_RSP] += in->osz;
}
EMU_HANDLER(push_FS) { emu_ipush(c, in, in->osz, c->s.seg[RAX_SEG_FS].selector); }
EMU_HANDLER(push_GS) { emu_ipush(c, in, in->osz, c->s.seg[RAX_SEG_GS].selector); }
EMU_HANDLER(pop_FS) { pop_sreg(c, in, RAX_SEG_FS); }
EMU_HANDLER(pop_GS) { pop_sreg(c, in, RAX_SEG_GS); }
/* 06 0E 16 1E / 07 17 1F: the register is in opcode bits 3-4 */
EMU_HANDLER(push_Sreg) { emu_ipush(c, in, in->osz, c->s.seg[(in->op >> 3) & 3].selector); }
EMU_HANDLER(pop_Sreg)
{
	unsigned seg = (in->op >> 3) & 3;
	pop_sreg(c, in, seg);
	if (seg == RAX_SEG_SS) {
		emu_block_interrupts_one(c); /* the POP SS shadow */
		/* debug traps too (debug.c) */
		c->dbg.ss_shadow_until = c->icount + 2;
	}
}

EMU_HANDLER(pushf)
{
	uint64_t f = emu_get_flags(c) & ~(uint64_t)(RFLAGS_RF | RFLAGS_VM);
	emu_ipush(c, in, in->osz, f);
}

EMU_HANDLER(popf)
{
	uint64_t v = emu_ipop(c, in, in->osz);
	uint64_t old = emu_get_flags(c);
	uint64_t mask = RFLAGS_STATUS | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC | RFLAGS_ID;
	unsigned iopl = (old >> 12) & 3;
	if (c->cpl == 0)
		mask |= RFLAGS_IOPL;
	if (c->cpl <= iopl)
		mask |= RFLAGS_IF;
	if (in->osz == 2)
		mask &= 0xffff;
	emu_write_rflags(c, ((old & ~mask) | (v & mask)) & ~(uint64_t)RFLAGS_RF);
}

/* ENTER outside 64-bit mode: EBP/BP and ESP/SP by SS.B. */
static void enter_leg(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned size = in->osz, level = in->imm2 & 31;
	uint64_t m = emu_sp_mask(c);
	uint64_t bp = c->gpr[RAX_REG_RBP];
	emu_push_leg(c, size, bp);
	uint64_t frame = c->gpr[RAX_REG_RSP] & m;
	if (level) {
		for (unsigned i = 1; i < level; i++) {
			bp -= size;
			emu_push_leg(c, size, emu_rd(c, RAX_SEG_SS | EMU_SEG_LEG, bp & m, size));
		}
		emu_push_leg(c, size, frame);
	}
	uint64_t new_sp = (c->gpr[RAX_REG_RSP] - (in->imm & 0xffff)) & m;
	(void)emu_linear_leg(c, RAX_SEG_SS, new_sp, 1, ACC_W);
	emu_reg_set(c, in, RAX_REG_RBP, size, frame);
	emu_sp_set_leg(c, new_sp);
}

EMU_HANDLER(enter)
{
	if (emu_leg(in)) {
		enter_leg(c, in);
		return;
	}
	unsigned size = in->osz, level = in->imm2 & 31;
	uint64_t alloc = in->imm & 0xffff;
	uint64_t rbp = c->gpr[RAX_REG_RBP];
	emu_push(c, size, rbp);
	uint64_t frame = c->gpr[RAX_REG_RSP];
	if (level) {
		for (unsigned i = 1; i < level; i++) {
			rbp -= size;
			emu_push(c, size, emu_rd(c, RAX_SEG_SS, rbp, size));
		}
		emu_push(c, size, frame);
	}
	uint64_t new_rsp = c->gpr[RAX_REG_RSP] - alloc;
	/* the final stack pointer must be usable (writes probed at the bottom) */
	(void)emu_linear(c, RAX_SEG_SS, new_rsp);
	emu_reg_set(c, in, RAX_REG_RBP, size, frame);
	c->gpr[RAX_REG_RSP] = new_rsp;
}

EMU_HANDLER(leave)
{
	if (emu_leg(in)) {
		uint64_t sp = c->gpr[RAX_REG_RBP] & emu_sp_mask(c);
		uint64_t v = emu_rd(c, RAX_SEG_SS | EMU_SEG_LEG, sp, in->osz);
		emu_sp_set_leg(c, sp + in->osz);
		emu_reg_set(c, in, RAX_REG_RBP, in->osz, v);
		return;
	}
	uint64_t sp = c->gpr[RAX_REG_RBP];
	uint64_t v = emu_rd(c, RAX_SEG_SS, sp, in->osz);
	c->gpr[RAX_REG_RSP] = sp + in->osz;
	emu_reg_set(c, in, RAX_REG_RBP, in->osz, v);
}

/* ---- segment registers ---- */
EMU_HANDLER(mov_EvSw)
{
	unsigned s = in->reg & 7;
	if (s > RAX_SEG_GS)
		EMU_UD(c);
	uint16_t sel = c->s.seg[s].selector;
	if (in->mod == 3)
		emu_reg_set(c, in, in->rm, in->osz, sel);
	else
		emu_wr(c, in->seg, emu_ea(c, in), 2, sel);
}

EMU_HANDLER(mov_SwEw)
{
	unsigned s = in->reg & 7;
	if (s > RAX_SEG_GS || s == RAX_SEG_CS)
		EMU_UD(c);
	emu_load_seg(c, s, (uint16_t)emu_rm_get(c, in, 2));
	if (s == RAX_SEG_SS) {
		emu_block_interrupts_one(c); /* the MOV SS shadow */
		/* debug traps too (debug.c) */
		c->dbg.ss_shadow_until = c->icount + 2;
	}
}

static void load_far(struct emu_cpu *c, const struct emu_insn *in, unsigned seg)
{
	emu_need_mem(c, in);
	uint64_t ea = emu_ea(c, in);
	/* the modelled CPU is AMD: REX.W is ignored, the operand is m16:32 */
	unsigned sz = in->osz == 8 ? 4 : in->osz;
	uint64_t off = emu_rd(c, in->seg, ea, sz);
	uint16_t sel = (uint16_t)emu_rd(c, in->seg, (ea + sz) & emu_mask(in->asz), 2);
	emu_load_seg(c, seg, sel);
	emu_reg_set(c, in, in->reg, sz, off);
}
EMU_HANDLER(lss_GvMp) { load_far(c, in, RAX_SEG_SS); }
EMU_HANDLER(lfs_GvMp) { load_far(c, in, RAX_SEG_FS); }
EMU_HANDLER(lgs_GvMp) { load_far(c, in, RAX_SEG_GS); }
EMU_HANDLER(les_GvMp) { load_far(c, in, RAX_SEG_ES); }
EMU_HANDLER(lds_GvMp) { load_far(c, in, RAX_SEG_DS); }
