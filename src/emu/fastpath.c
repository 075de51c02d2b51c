/*
 * fastpath.c - the threaded inner loop that runs one cached block.
 *
 * When a block is decoded, each instruction gets a fast-op number
 * (emu_fast_select): 0 means "call the handler from the opcode table", any
 * other number names a specialised copy of a frequent handler with its
 * operand size (4 or 8) fixed and, for ModRM forms, the register or memory
 * form chosen. emu_run_block() executes the block with computed gotos: every
 * fast op ends with its own dispatch to the next one, so the host's branch
 * predictor sees one indirect jump per form instead of one shared call site.
 *
 * Semantics are exactly the handlers' (the bodies use the same cpu.h/alu.h
 * helpers); only the per-instruction bookkeeping is trimmed where it cannot
 * matter: register-only forms cannot fault, branch or stop the block, so
 * they skip saving RSP/next RIP and the end-of-instruction checks. Block
 * boundaries are those of the generic loop (same taken-branch, break and
 * exit rules), so interrupt timing and instruction counts are unchanged.
 * Fast ops are chosen only in 64-bit mode and without a planted bug in the
 * handlers (plant.h); step() runs instructions through emu_run_block too, so
 * rax-diff compares these forms against the CPU.
 *
 * RAX_EMU_PLANT=fastop swaps one form for a wrong copy (FOP_planted) at
 * selection time, so the runner itself never tests for it.
 */
#include "emu/emu.h"

#include "backend.h"

#include "emu/cond.h"
#include "emu/cpu.h"
#include "emu/fastpath.h"
#include "emu/insn/alu.h"
#include "emu/insn/handlers.h"
#include "emu/insn/shift.h"
#include "emu/plant.h"

#define FAST_INLINE static inline __attribute__((always_inline))


/* Handlers with fast ops, identified by function pointer. */
enum fast_kind {
	FK_NONE,
	FK_MOV_EvGv,
	FK_MOV_GvEv,
	FK_MOV_EvIz,
	FK_MOV_ZvIv,
	FK_ADD_EvGv,
	FK_ADD_GvEv,
	FK_ADD_EvIz,
	FK_OR_EvGv,
	FK_OR_GvEv,
	FK_OR_EvIz,
	FK_AND_EvGv,
	FK_AND_GvEv,
	FK_AND_EvIz,
	FK_SUB_EvGv,
	FK_SUB_GvEv,
	FK_SUB_EvIz,
	FK_XOR_EvGv,
	FK_XOR_GvEv,
	FK_XOR_EvIz,
	FK_CMP_EvGv,
	FK_CMP_GvEv,
	FK_CMP_EvIz,
	FK_TEST_EvGv,
	FK_LEA,
	FK_MOVZXB,
	FK_MOVZXW,
	FK_MOVSXD,
	FK_CMOV,
	FK_IMUL,
	FK_SETCC,
	FK_PUSH,
	FK_POP,
	FK_JCC,
	FK_JMP,
	FK_CALL,
	FK_RET,
	FK_SHIFT_I,
	FK_SHIFT_1,
	FK_SHIFT_CL,
};

static enum fast_kind kind_of(emu_handler_fn *h)
{
	static const struct {
		emu_handler_fn *h;
		enum fast_kind k;
	} map[] = {
		{ emu_h_mov_EvGv, FK_MOV_EvGv },   { emu_h_mov_GvEv, FK_MOV_GvEv },
		{ emu_h_mov_EvIz, FK_MOV_EvIz },   { emu_h_mov_ZvIv, FK_MOV_ZvIv },
		{ emu_h_add_EvGv, FK_ADD_EvGv },   { emu_h_add_GvEv, FK_ADD_GvEv },
		{ emu_h_add_EvIz, FK_ADD_EvIz },   { emu_h_or_EvGv, FK_OR_EvGv },
		{ emu_h_or_GvEv, FK_OR_GvEv },     { emu_h_or_EvIz, FK_OR_EvIz },
		{ emu_h_and_EvGv, FK_AND_EvGv },   { emu_h_and_GvEv, FK_AND_GvEv },
		{ emu_h_and_EvIz, FK_AND_EvIz },   { emu_h_sub_EvGv, FK_SUB_EvGv },
		{ emu_h_sub_GvEv, FK_SUB_GvEv },   { emu_h_sub_EvIz, FK_SUB_EvIz },
		{ emu_h_xor_EvGv, FK_XOR_EvGv },   { emu_h_xor_GvEv, FK_XOR_GvEv },
		{ emu_h_xor_EvIz, FK_XOR_EvIz },   { emu_h_cmp_EvGv, FK_CMP_EvGv },
		{ emu_h_cmp_GvEv, FK_CMP_GvEv },   { emu_h_cmp_EvIz, FK_CMP_EvIz },
		{ emu_h_test_EvGv, FK_TEST_EvGv }, { emu_h_lea_GvM, FK_LEA },
		{ emu_h_movzx_GvEb, FK_MOVZXB },   { emu_h_movzx_GvEw, FK_MOVZXW },
		{ emu_h_movsxd_GvEd, FK_MOVSXD },  { emu_h_cmovcc_GvEv, FK_CMOV },
		{ emu_h_imul_GvEv, FK_IMUL },      { emu_h_setcc_Eb, FK_SETCC },
		{ emu_h_push_Zv, FK_PUSH },        { emu_h_pop_Zv, FK_POP },
		{ emu_h_jcc_Jb, FK_JCC },          { emu_h_jcc_Jz, FK_JCC },
		{ emu_h_jmp_Jb, FK_JMP },          { emu_h_jmp_Jz, FK_JMP },
		{ emu_h_call_Jz, FK_CALL },        { emu_h_ret, FK_RET },
		{ emu_h_shift_EvIb, FK_SHIFT_I },  { emu_h_shift_Ev1, FK_SHIFT_1 },
		{ emu_h_shift_EvCL, FK_SHIFT_CL },
	};
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].h == h)
			return map[i].k;
	return FK_NONE;
}

/* Row -> fast kind, filled on first use. */
static uint8_t *row_kind;

static void row_kind_init(void)
{
	static uint8_t kinds[65536]; /* rows are uint16_t */
	for (unsigned i = 0; i < emu_noprows; i++)
		kinds[i] = (uint8_t)kind_of(emu_handlers[i]);
	row_kind = kinds;
}

/* Pick the R/M and size-4/8 variant starting at fop (the R4 entry). */
#define RM_SIZED(base) ((in->mod == 3 ? FOP_##base##_R4 : FOP_##base##_M4) + (in->osz == 8))
#define ALU_SEL(K, k)                                  \
	case FK_##K##_EvGv: return RM_SIZED(k##_EvGv); \
	case FK_##K##_GvEv: return RM_SIZED(k##_GvEv); \
	case FK_##K##_EvIz: return RM_SIZED(k##_EvIz);

static uint8_t select_fop(const struct emu_cpu *c, const struct emu_insn *in)
{
	if (!row_kind)
		row_kind_init();
	/* the other plants break handlers: every instruction must reach them */
	bool handler_plant = emu_plant_in_handlers();
	if (handler_plant || !c->s.seg[RAX_SEG_CS].l || in->asz != 8)
		return FOP_generic;
	enum fast_kind k = (enum fast_kind)row_kind[in->row];
	if (k == FK_NONE)
		return FOP_generic;
	switch (k) {
	case FK_SETCC: return in->mod == 3 ? FOP_setcc_R : FOP_setcc_M;
	case FK_JCC:
	case FK_JMP:
	case FK_CALL:
	case FK_RET:
	case FK_PUSH:
	case FK_POP:
		if (in->osz != 8)
			return FOP_generic;
		return k == FK_JCC     ? FOP_jcc
			: k == FK_JMP  ? FOP_jmp
			: k == FK_CALL ? FOP_call
			: k == FK_RET  ? FOP_ret
			: k == FK_PUSH ? FOP_push
				       : FOP_pop;
	default: break;
	}
	if (in->osz != 4 && in->osz != 8)
		return FOP_generic;
	switch (k) {
	case FK_MOV_EvGv: return RM_SIZED(mov_EvGv);
	case FK_MOV_GvEv: return RM_SIZED(mov_GvEv);
	case FK_MOV_EvIz: return RM_SIZED(mov_EvIz);
	case FK_MOV_ZvIv:
		return FOP_mov_ZvIv4 + (in->osz == 8);
		ALU_SEL(ADD, add)
		ALU_SEL(OR, or)
		ALU_SEL(AND, and)
		ALU_SEL(SUB, sub)
		ALU_SEL(XOR, xor)
		ALU_SEL(CMP, cmp)
	case FK_TEST_EvGv: return RM_SIZED(test_EvGv);
	case FK_LEA: return in->mod == 3 ? FOP_generic : FOP_lea4 + (in->osz == 8);
	case FK_MOVZXB: return RM_SIZED(movzxb);
	case FK_MOVZXW: return RM_SIZED(movzxw);
	case FK_MOVSXD: return in->osz == 8 ? (in->mod == 3 ? FOP_movsxd_R : FOP_movsxd_M) : FOP_generic;
	case FK_CMOV: return RM_SIZED(cmov);
	case FK_IMUL: return in->mod == 3 ? FOP_imul_R4 + (in->osz == 8) : FOP_generic;
	case FK_SHIFT_I:
		if (in->mod == 3) {
			switch (in->reg & 7) {
			case S_ROL: return FOP_rol_I_R4 + (in->osz == 8);
			case S_ROR: return FOP_ror_I_R4 + (in->osz == 8);
			case S_SHL:
			case S_SAL: return FOP_shl_I_R4 + (in->osz == 8);
			case S_SHR: return FOP_shr_I_R4 + (in->osz == 8);
			case S_SAR: return FOP_sar_I_R4 + (in->osz == 8);
			default: break;
			}
		}
		return RM_SIZED(shift);
	case FK_SHIFT_1:
	case FK_SHIFT_CL: return RM_SIZED(shift);
	default: return FOP_generic;
	}
}

uint8_t emu_fast_select(const struct emu_cpu *c, const struct emu_insn *in)
{
	uint8_t f = select_fop(c, in);
	if (__builtin_expect(emu_plant == EMU_PLANT_FASTOP, 0) && f == FOP_add_EvGv_R8)
		f = FOP_planted;
	return f;
}

bool emu_fast_leaves(uint8_t fop, const struct emu_insn *in)
{
	return (fop == FOP_jmp || fop == FOP_call) && in->imm != 0;
}

/* IMUL r, r/m (two-operand form), flags as muldiv.c: SF ZF PF of the low
 * half, CF=OF=overflow, AF clear (lazily: LF_MUL). */
FAST_INLINE void imul_rr(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	int64_t a = (int64_t)emu_sext(emu_reg_get(c, in, in->rm, size), size);
	int64_t b = (int64_t)emu_sext(emu_reg_get(c, in, in->reg, size), size);
	bool ovf;
	uint64_t lo = imul_trunc(a, b, size, &ovf);
	emu_reg_set(c, in, in->reg, size, lo);
	emu_lazy(c, LF_MUL, size, 0, 0, lo);
	c->lf_cin = ovf;
}

/* RAX_EMU_PLANT=fastop: ADD r/m64, r64 (register form) with the halves added
 * apart, so a carry out of bit 31 is lost; flags as ADD's of that result. */
static void planted_add(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t a = c->gpr[in->rm], b = c->gpr[in->reg];
	uint64_t r = ((a + b) & 0xffffffff) | (((a >> 32) + (b >> 32)) << 32);
	c->gpr[in->rm] = r;
	alu_flags(c, K_ADD, 8, a, b, r, 0);
}

/* ALU op k on register d with source b, sizes 4 and 8 (cannot fault). */
FAST_INLINE void alu_reg(struct emu_cpu *c, unsigned k, unsigned size, unsigned d, uint64_t b)
{
	uint64_t m = emu_mask(size), a = c->gpr[d] & m;
	unsigned cin = 0;
	uint64_t r = alu_calc(c, k, a, b, &cin);
	if (alu_writes(k))
		c->gpr[d] = r & m;
	alu_flags(c, k, size, a, b, r, cin);
}

/* Group 2 kind with an immediate count on a register, sizes 4 and 8. */
FAST_INLINE void shift_reg(struct emu_cpu *c, const struct emu_insn *in, unsigned kind, unsigned size)
{
	unsigned cnt = (unsigned)in->imm & (size == 8 ? 63 : 31);
	uint64_t a = c->gpr[in->rm] & emu_mask(size);
	if (!cnt) {
		c->gpr[in->rm] = a;
		return;
	}
	struct shift_out o = shift_calc(c, kind, size, a, cnt);
	c->gpr[in->rm] = o.r;
	shift_flags(c, kind, size, a, cnt, &o);
}

/* The count operand of a group-2 row (Ib, 1 or CL). */
FAST_INLINE unsigned shift_count(const struct emu_cpu *c, const struct emu_insn *in)
{
	switch (in->op) {
	case 0xd1: return 1;
	case 0xd3: return c->gpr[1] & 0xff;
	default: return (unsigned)in->imm & 0xff; /* C1 */
	}
}

FAST_INLINE void cmov(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	uint64_t v = emu_rm_get(c, in, size);
	if (emu_cond_inline(c, in->op & 15))
		emu_reg_set(c, in, in->reg, size, v);
	else if (size == 4)
		c->gpr[in->reg] &= 0xffffffff;
}

/*
 * Run the n instructions of a block (fop[i] chosen by emu_fast_select, or
 * NULL for all generic) starting at c->rip, with the rules of the generic
 * loop: leave after a taken branch (next RIP not the fall-through), a
 * block_break or an exit request. Faults longjmp out to the run loop.
 */
void emu_run_block(struct emu_cpu *c, const struct emu_insn *in, const uint8_t *fop, unsigned n)
{
	static const uint8_t all_generic[EMU_BLOCK_MAX];
	static void *const labels[] = {
#define X(name) &&L_##name,
		FAST_OPS(X)
#undef X
	};
	const struct emu_insn *base = in, *end = in + n;
	/* RIP and the instruction count live in registers; they are stored
	 * (SYNC) before anything that may fault or look at them. */
	uint64_t rip = c->rip, icount0 = c->icount;
	if (!fop)
		fop = all_generic;
	c->block_break = false;
	c->in_insn = true;

#define SYNC()                                               \
	do {                                                 \
		c->rip = rip;                                \
		c->icount = icount0 + (uint64_t)(in - base); \
	} while (0)
/* to the next instruction of the block, or out */
#define NEXT()                        \
	do {                          \
		if (++in == end)      \
			goto done;    \
		goto *labels[*++fop]; \
	} while (0)
/* register-only forms: no fault, no branch, no break */
#define REG_OP(name, body)      \
	L_##name:               \
	{                       \
		body;           \
		rip += in->len; \
		NEXT();         \
	}
/* may fault (memory) or stop the block (MMIO, code writes), never branches */
#define MEM_OP(name, body)                          \
	L_##name:                                   \
	{                                           \
		SYNC();                             \
		c->saved_rsp = c->gpr[RAX_REG_RSP]; \
		c->next_rip = rip + in->len;        \
		body;                               \
		rip += in->len;                     \
		if (c->block_break | c->exit_req) { \
			in++;                       \
			goto done;                  \
		}                                   \
		NEXT();                             \
	}
/* anything, branches included (the generic loop's rules) */
#define ANY_OP(name, body)                                          \
	L_##name:                                                   \
	{                                                           \
		uint64_t fall = rip + in->len;                      \
		SYNC();                                             \
		c->saved_rsp = c->gpr[RAX_REG_RSP];                 \
		c->next_rip = fall;                                 \
		body;                                               \
		rip = c->next_rip;                                  \
		if (rip != fall || c->block_break || c->exit_req) { \
			in++;                                       \
			goto done;                                  \
		}                                                   \
		NEXT();                                             \
	}
#define S4_8(M, name, body_of) M(name##4, body_of(4)) M(name##8, body_of(8))

	goto *labels[*fop];

	ANY_OP(generic, emu_handlers[in->row](c, in))

#define B_MOV_EvGv_R(S) emu_reg_set(c, in, in->rm, S, emu_reg_get(c, in, in->reg, S))
#define B_MOV_EvGv_M(S) emu_wr(c, in->seg, emu_ea(c, in), S, emu_reg_get(c, in, in->reg, S))
#define B_MOV_GvEv_R(S) emu_reg_set(c, in, in->reg, S, emu_reg_get(c, in, in->rm, S))
#define B_MOV_GvEv_M(S) emu_reg_set(c, in, in->reg, S, emu_rd(c, in->seg, emu_ea(c, in), S))
#define B_MOV_EvIz_R(S) emu_reg_set(c, in, in->rm, S, in->imm)
#define B_MOV_EvIz_M(S) emu_wr(c, in->seg, emu_ea(c, in), S, in->imm)
#define B_MOV_ZvIv(S) emu_reg_set(c, in, in->opreg, S, in->imm)
	S4_8(REG_OP, mov_EvGv_R, B_MOV_EvGv_R)
	S4_8(MEM_OP, mov_EvGv_M, B_MOV_EvGv_M)
	S4_8(REG_OP, mov_GvEv_R, B_MOV_GvEv_R)
	S4_8(MEM_OP, mov_GvEv_M, B_MOV_GvEv_M)
	S4_8(REG_OP, mov_EvIz_R, B_MOV_EvIz_R)
	S4_8(MEM_OP, mov_EvIz_M, B_MOV_EvIz_M)
	S4_8(REG_OP, mov_ZvIv, B_MOV_ZvIv)

#define ALU_BODIES(k, K)                                                                       \
	REG_OP(k##_EvGv_R4, alu_reg(c, K, 4, in->rm, c->gpr[in->reg] & 0xffffffff))            \
	REG_OP(k##_EvGv_R8, alu_reg(c, K, 8, in->rm, c->gpr[in->reg]))                         \
	MEM_OP(k##_EvGv_M4, alu_E(c, in, K, 4, emu_reg_get(c, in, in->reg, 4)))                \
	MEM_OP(k##_EvGv_M8, alu_E(c, in, K, 8, emu_reg_get(c, in, in->reg, 8)))                \
	REG_OP(k##_GvEv_R4, alu_reg(c, K, 4, in->reg, c->gpr[in->rm] & 0xffffffff))            \
	REG_OP(k##_GvEv_R8, alu_reg(c, K, 8, in->reg, c->gpr[in->rm]))                         \
	MEM_OP(k##_GvEv_M4, alu_G(c, in, K, 4, in->reg, emu_rd(c, in->seg, emu_ea(c, in), 4))) \
	MEM_OP(k##_GvEv_M8, alu_G(c, in, K, 8, in->reg, emu_rd(c, in->seg, emu_ea(c, in), 8))) \
	REG_OP(k##_EvIz_R4, alu_reg(c, K, 4, in->rm, in->imm & 0xffffffff))                    \
	REG_OP(k##_EvIz_R8, alu_reg(c, K, 8, in->rm, in->imm))                                 \
	MEM_OP(k##_EvIz_M4, alu_E(c, in, K, 4, in->imm & 0xffffffff))                          \
	MEM_OP(k##_EvIz_M8, alu_E(c, in, K, 8, in->imm))
	ALU_BODIES(add, K_ADD)
	ALU_BODIES(or, K_OR)
	ALU_BODIES(and, K_AND)
	ALU_BODIES(sub, K_SUB)
	ALU_BODIES(xor, K_XOR)
	ALU_BODIES(cmp, K_CMP)

#define B_TEST(S) alu_E(c, in, K_TEST, S, emu_reg_get(c, in, in->reg, S))
#define B_LEA(S) emu_reg_set(c, in, in->reg, S, emu_ea(c, in))
#define B_MOVZXB(S) emu_reg_set(c, in, in->reg, S, emu_rm_get(c, in, 1))
#define B_MOVZXW(S) emu_reg_set(c, in, in->reg, S, emu_rm_get(c, in, 2))
#define B_CMOV(S) cmov(c, in, S)
#define B_IMUL(S) imul_rr(c, in, S)
	S4_8(REG_OP, test_EvGv_R, B_TEST)
	S4_8(MEM_OP, test_EvGv_M, B_TEST)
	S4_8(MEM_OP, lea, B_LEA) /* cannot fault, but RIP-relative needs next_rip */
	S4_8(REG_OP, movzxb_R, B_MOVZXB)
	S4_8(MEM_OP, movzxb_M, B_MOVZXB)
	S4_8(REG_OP, movzxw_R, B_MOVZXW)
	S4_8(MEM_OP, movzxw_M, B_MOVZXW)
	REG_OP(movsxd_R, c->gpr[in->reg] = emu_sext(emu_rm_get(c, in, 4), 4))
	MEM_OP(movsxd_M, c->gpr[in->reg] = emu_sext(emu_rm_get(c, in, 4), 4))
	S4_8(REG_OP, cmov_R, B_CMOV)
	S4_8(MEM_OP, cmov_M, B_CMOV)
	S4_8(REG_OP, imul_R, B_IMUL)
	REG_OP(setcc_R, emu_reg_set(c, in, in->rm, 1, emu_cond_inline(c, in->op & 15)))
	MEM_OP(setcc_M, emu_wr(c, in->seg, emu_ea(c, in), 1, emu_cond_inline(c, in->op & 15)))
	MEM_OP(push, emu_push(c, 8, c->gpr[in->opreg]))
	MEM_OP(pop, uint64_t v = emu_pop(c, 8); c->gpr[in->opreg] = v)
	ANY_OP(jcc, if (emu_cond_inline(c, in->op & 15)) emu_branch(c, fall + in->imm, 8))
	ANY_OP(jmp, emu_branch(c, fall + in->imm, 8))
	ANY_OP(call, emu_branch(c, fall + in->imm, 8); emu_push(c, 8, fall))
	ANY_OP(ret, emu_branch(c, emu_pop(c, 8), 8))

#define B_ROL(S) shift_reg(c, in, S_ROL, S)
#define B_ROR(S) shift_reg(c, in, S_ROR, S)
#define B_SHL(S) shift_reg(c, in, S_SHL, S)
#define B_SHR(S) shift_reg(c, in, S_SHR, S)
#define B_SAR(S) shift_reg(c, in, S_SAR, S)
#define B_SHIFT(S) shift_rm(c, in, S, shift_count(c, in))
	S4_8(REG_OP, rol_I_R, B_ROL)
	S4_8(REG_OP, ror_I_R, B_ROR)
	S4_8(REG_OP, shl_I_R, B_SHL)
	S4_8(REG_OP, shr_I_R, B_SHR)
	S4_8(REG_OP, sar_I_R, B_SAR)
	S4_8(REG_OP, shift_R, B_SHIFT)
	S4_8(MEM_OP, shift_M, B_SHIFT)
	REG_OP(planted, planted_add(c, in))

	/* a host debugger's breakpoint (emu_fast_break): leave before the
	 * instruction, which retires nothing */
L_dbgbreak:
	c->exit_req = RAX_EXIT_DEBUG;
	c->dbg_why = RAX_DEBUG_BREAK;
	goto done;

done: /* in: the first instruction not executed */
	c->in_insn = false;
	c->rip = c->next_rip = rip;
	c->icount = icount0 + (uint64_t)(in - base);
}

const uint8_t *emu_fast_break(void)
{
	static const uint8_t op[1] = { FOP_dbgbreak };
	return op;
}
