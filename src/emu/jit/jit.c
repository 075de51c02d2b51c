/*
 * jit.c - the block translator: one decoded block (emu_block: instructions
 * and fast-op numbers) to host x86-64 code, the code buffer it lives in,
 * and running it.
 *
 * Generated code is a function void (*)(struct emu_cpu *c). Guest state
 * stays in struct emu_cpu, addressed from one pinned host register (rbx);
 * the instruction count at entry is in r12, the software TLB's tag bits for
 * the current CPL in r13. Every instruction is one of:
 *
 *  - translated inline: the register forms of MOV, ALU, TEST, LEA, MOVZX,
 *    MOVSXD, CMOV, SETcc, IMUL and shifts by an immediate, Jcc/JMP/CALL/RET
 *    and PUSH/POP, and the memory forms of the same. Flags are stored
 *    lazily exactly as emu_lazy() does (op, size, a, b, result); a
 *    condition is read from the host's own flags when its producer is the
 *    previous instruction of the block, recomputed by the host from the
 *    lazy fields when the producer is known at translation time, and asked
 *    of emu_cond() otherwise. Memory goes through the software TLB inline
 *    (emu_tlb_host's rule, and emu_wr's: no fast writes while writes are
 *    tracked) and through emu_rd/emu_wr otherwise;
 *  - everything else: a call of the instruction's handler, with the block
 *    runner's bookkeeping.
 *
 * Before anything that may fault or look at the CPU (a slow memory access,
 * a handler) the code stores what emu_run_block's SYNC stores: RIP, the
 * instruction count, the RSP to restore and the next RIP. A fault then
 * longjmps from the C helper through the generated frames to the run loop,
 * as it does from a handler: generated code holds nothing but callee-saved
 * registers that longjmp restores, and no guest state outside struct
 * emu_cpu. Blocks end where emu_run_block ends them: after a taken branch
 * (next RIP not the fall-through), after an instruction that set
 * block_break or exit_req, and after the last instruction.
 *
 * The code buffer is mapped W^X: the pages a translation goes to are made
 * writable for the copy and executable again right after, never both. When
 * it fills up every translation is dropped at once (a new epoch).
 */
#include "emu/jit/jit.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "emu/cpu.h"
#include "emu/fastpath.h"
#include "emu/insn/handlers.h"
#include "emu/jit/x64.h"
#include "emu/plant.h"
#include "layout.h"

/* The code buffer of one CPU (address space reserved, pages made as used). */
#define JIT_BUF_SIZE (32u << 20)
/* Room for one block's translation before it is copied into the buffer. */
#define JIT_SCRATCH_SIZE (64u << 10)
/* Translations start on this alignment. */
#define JIT_ALIGN 16u
#define JIT_HOST_PAGE 4096u

/* A translation as it lies in the code buffer: this header, the block's
 * instructions (the handlers' operands), then the code. */
struct jit_tb {
	uint64_t rip; /* the linear address it was translated for */
	void (*entry)(struct emu_cpu *c);
	struct emu_insn insn[EMU_BLOCK_MAX];
};

struct emu_jit {
	uint8_t *buf;
	size_t used;
	uint32_t epoch;
	unsigned hot;
	uint8_t *scratch;
	struct emu_jit_stats st;
};

/* A block that cannot be translated (until the next epoch). */
static const struct jit_tb jit_none;

bool emu_jit_supported(void) { return true; }

struct emu_jit *emu_jit_new(unsigned hot_runs)
{
	struct emu_jit *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->scratch = malloc(JIT_SCRATCH_SIZE);
	j->buf = mmap(NULL, JIT_BUF_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!j->scratch || j->buf == MAP_FAILED) {
		free(j->scratch);
		free(j);
		return NULL;
	}
	j->hot = hot_runs ? hot_runs : EMU_JIT_HOT_RUNS;
	j->epoch = 1;
	return j;
}

void emu_jit_free(struct emu_jit *j)
{
	if (!j)
		return;
	munmap(j->buf, JIT_BUF_SIZE);
	free(j->scratch);
	free(j);
}

void emu_jit_get_stats(const struct emu_jit *j, struct emu_jit_stats *s) { *s = j->st; }

/* ---- translation ---- */

#define CPU(field) ((int32_t)offsetof(struct emu_cpu, field))
#define GPR(r) (CPU(gpr) + 8 * (int32_t)(r))
#define M(off) x64_m(X_RBX, (off))
#define TLB(acc) (CPU(tlb) + (int32_t)((acc) * sizeof(((struct emu_cpu *)0)->tlb[0])))
#define SEG_BASE(seg) (CPU(s.seg) + (int32_t)((seg) * sizeof(struct rax_segment) + offsetof(struct rax_segment, base)))

_Static_assert(sizeof(struct emu_tlb_entry) == 24, "the TLB probe scales the index by 3 * 8");
_Static_assert(offsetof(struct emu_tlb_entry, tag) == 0 && offsetof(struct emu_tlb_entry, host) == 8,
	       "the TLB probe reads tag and host at 0 and 8");

/* Unknown lazy operation (translation-time knowledge of the flags). */
#define LF_UNKNOWN 0xffu

struct tr {
	struct x64_buf x;
	const struct jit_tb *tb; /* where the translation will lie (insn addresses) */
	unsigned i;              /* the instruction being translated */
	uint64_t rip, fall;      /* its address and the next one */
	/* the host's flags hold the guest's, as the last lazy op left them */
	bool hf_valid;
	/* the lazy op the last flag-setting instruction stored (LF_UNKNOWN: not known) */
	uint8_t lf_op, lf_size;
};

static void emit_epilogue(struct tr *t)
{
	x64_alu_ri(&t->x, true, X_ADD, X_RSP, 8);
	x64_pop(&t->x, X_R15);
	x64_pop(&t->x, X_R14);
	x64_pop(&t->x, X_R13);
	x64_pop(&t->x, X_R12);
	x64_pop(&t->x, X_RBP);
	x64_pop(&t->x, X_RBX);
	x64_ret(&t->x);
}

/* r13 = the TLB tag bits: 1 | (CPL == 3) << 1 (emu_tlb_host). */
static void emit_tag_bits(struct tr *t)
{
	x64_alu_rr(&t->x, false, X_XOR, X_RAX, X_RAX);
	x64_cmp_m8i(&t->x, M(CPU(cpl)), 3);
	x64_setcc_r8(&t->x, X_CC_E, X_RAX);
	x64_lea(&t->x, X_R13, x64_mi(X_RAX, X_RAX, 0, 1));
}

/* Leave the block with RIP = rip and count instructions retired. */
static void emit_exit(struct tr *t, uint64_t rip, unsigned count)
{
	x64_mov_imm(&t->x, X_RAX, rip);
	x64_store(&t->x, true, M(CPU(rip)), X_RAX);
	x64_store(&t->x, true, M(CPU(next_rip)), X_RAX);
	x64_lea(&t->x, X_RAX, x64_m(X_R12, (int32_t)count));
	x64_store(&t->x, true, M(CPU(icount)), X_RAX);
	emit_epilogue(t);
}

/* The same with RIP in rax. */
static void emit_exit_rax(struct tr *t, unsigned count)
{
	x64_store(&t->x, true, M(CPU(rip)), X_RAX);
	x64_store(&t->x, true, M(CPU(next_rip)), X_RAX);
	x64_lea(&t->x, X_RAX, x64_m(X_R12, (int32_t)count));
	x64_store(&t->x, true, M(CPU(icount)), X_RAX);
	emit_epilogue(t);
}

/* emu_run_block's SYNC for this instruction, with the RSP to restore on a
 * fault and the fall-through as next RIP. */
static void emit_sync(struct tr *t)
{
	x64_mov_imm(&t->x, X_RAX, t->rip);
	x64_store(&t->x, true, M(CPU(rip)), X_RAX);
	x64_lea(&t->x, X_RAX, x64_m(X_R12, (int32_t)t->i));
	x64_store(&t->x, true, M(CPU(icount)), X_RAX);
	x64_load(&t->x, true, X_RAX, M(GPR(RAX_REG_RSP)));
	x64_store(&t->x, true, M(CPU(saved_rsp)), X_RAX);
	x64_mov_imm(&t->x, X_RAX, t->fall);
	x64_store(&t->x, true, M(CPU(next_rip)), X_RAX);
}

static void emit_call(struct tr *t, const void *fn)
{
	x64_mov_imm(&t->x, X_RAX, (uint64_t)(uintptr_t)fn);
	x64_call_r(&t->x, X_RAX);
}

/* After an instruction that may have set block_break or exit_req (a slow
 * memory access, a handler): leave after it when it did. */
static void emit_break_check(struct tr *t)
{
	x64_load_zx8(&t->x, X_RAX, M(CPU(block_break)));
	x64_or_r8m(&t->x, X_RAX, M(CPU(exit_req)));
	size_t go_on = x64_jcc_fwd(&t->x, X_CC_E);
	emit_exit(t, t->fall, t->i + 1);
	x64_patch(&t->x, go_on);
	t->hf_valid = false;
}

/* ---- memory ---- */

static uint64_t jit_rd(struct emu_cpu *c, uint64_t ea, unsigned seg, unsigned size, int acc)
{
	return acc == ACC_W ? emu_rd_rmw(c, seg, ea, size) : emu_rd(c, seg, ea, size);
}

static void jit_wr(struct emu_cpu *c, uint64_t ea, unsigned seg, unsigned size, uint64_t v)
{
	emu_wr(c, seg, ea, size, v);
}

static _Noreturn void jit_gp(struct emu_cpu *c) { EMU_GP(c, 0); }

/*
 * The inline TLB probe for an access of size bytes at seg:r14 (kind acc):
 * emu_tlb_host's hit rule, and for writes emu_wr's (not while writes are
 * tracked). On a hit rax = the host page, rcx = the offset in it; each
 * miss jumps to a position stored in miss[] (returns how many).
 */
static unsigned emit_tlb_probe(struct tr *t, unsigned seg, unsigned size, int acc, size_t miss[4])
{
	unsigned n = 0;
	x64_mov_rr(&t->x, true, X_RDX, X_R14);
	if (seg >= RAX_SEG_FS)
		x64_alu_rm(&t->x, true, X_ADD, X_RDX, M(SEG_BASE(seg)));
	x64_mov_rr(&t->x, true, X_RAX, X_RDX);
	x64_shift_ri(&t->x, true, X_SHR, X_RAX, GUEST_PAGE_SHIFT);
	x64_alu_ri(&t->x, false, X_AND, X_RAX, EMU_TLB_SIZE - 1);
	x64_lea(&t->x, X_RAX, x64_mi(X_RAX, X_RAX, 1, 0));
	x64_lea(&t->x, X_RAX, x64_mi(X_RBX, X_RAX, 3, TLB(acc)));
	x64_mov_rr(&t->x, true, X_RCX, X_RDX);
	x64_alu_ri(&t->x, true, X_AND, X_RCX, (int32_t)~GUEST_PAGE_OFFSET);
	x64_alu_rr(&t->x, true, X_OR, X_RCX, X_R13);
	x64_alu_rm(&t->x, true, X_CMP, X_RCX, x64_m(X_RAX, 0));
	miss[n++] = x64_jcc_fwd(&t->x, X_CC_NE);
	x64_load(&t->x, true, X_RAX, x64_m(X_RAX, 8));
	x64_test_rr(&t->x, true, X_RAX, X_RAX);
	miss[n++] = x64_jcc_fwd(&t->x, X_CC_E);
	x64_mov_rr(&t->x, false, X_RCX, X_RDX);
	x64_alu_ri(&t->x, false, X_AND, X_RCX, (int32_t)GUEST_PAGE_OFFSET);
	if (size > 1) {
		x64_alu_ri(&t->x, false, X_CMP, X_RCX, (int32_t)(GUEST_PAGE_SIZE - size));
		miss[n++] = x64_jcc_fwd(&t->x, X_CC_A);
	}
	if (acc == ACC_W) {
		x64_cmp_m8i(&t->x, M(CPU(track_writes)), 0);
		miss[n++] = x64_jcc_fwd(&t->x, X_CC_NE);
	}
	return n;
}

/* rax = the size-byte value at seg:r14, zero-extended (emu_rd; emu_rd_rmw for acc ACC_W). */
static void emit_load(struct tr *t, unsigned seg, unsigned size, int acc)
{
	size_t miss[4];
	unsigned n = emit_tlb_probe(t, seg, size, acc, miss);
	struct x64_mem at = x64_mi(X_RAX, X_RCX, 0, 0);
	switch (size) {
	case 1: x64_load_zx8(&t->x, X_RAX, at); break;
	case 2: x64_load_zx16(&t->x, X_RAX, at); break;
	case 4: x64_load(&t->x, false, X_RAX, at); break;
	default: x64_load(&t->x, true, X_RAX, at); break;
	}
	size_t done = x64_jmp_fwd(&t->x);
	for (unsigned k = 0; k < n; k++)
		x64_patch(&t->x, miss[k]);
	emit_sync(t);
	x64_mov_rr(&t->x, true, X_RDI, X_RBX);
	x64_mov_rr(&t->x, true, X_RSI, X_R14);
	x64_mov_imm(&t->x, X_RDX, seg);
	x64_mov_imm(&t->x, X_RCX, size);
	x64_mov_imm(&t->x, X_R8, (uint64_t)acc);
	emit_call(t, (const void *)jit_rd);
	x64_patch(&t->x, done);
	t->hf_valid = false;
}

/* seg:r14 = the low size bytes of r15 (emu_wr). */
static void emit_store(struct tr *t, unsigned seg, unsigned size)
{
	size_t miss[4];
	unsigned n = emit_tlb_probe(t, seg, size, ACC_W, miss);
	struct x64_mem at = x64_mi(X_RAX, X_RCX, 0, 0);
	switch (size) {
	case 1: x64_store8(&t->x, at, X_R15); break;
	case 2: x64_store16(&t->x, at, X_R15); break;
	case 4: x64_store(&t->x, false, at, X_R15); break;
	default: x64_store(&t->x, true, at, X_R15); break;
	}
	size_t done = x64_jmp_fwd(&t->x);
	for (unsigned k = 0; k < n; k++)
		x64_patch(&t->x, miss[k]);
	emit_sync(t);
	x64_mov_rr(&t->x, true, X_RDI, X_RBX);
	x64_mov_rr(&t->x, true, X_RSI, X_R14);
	x64_mov_imm(&t->x, X_RDX, seg);
	x64_mov_imm(&t->x, X_RCX, size);
	x64_mov_rr(&t->x, true, X_R8, X_R15);
	emit_call(t, (const void *)jit_wr);
	x64_patch(&t->x, done);
	t->hf_valid = false;
}

/* dst = the effective address of in (64-bit addressing; dst is not rcx). */
static void emit_ea(struct tr *t, const struct emu_insn *in, unsigned dst)
{
	int64_t disp = in->disp;
	if (in->base == EMU_REG_RIP) {
		x64_mov_imm(&t->x, dst, t->fall + (uint64_t)disp);
		return;
	}
	if (in->base == EMU_REG_NONE) {
		x64_mov_imm(&t->x, dst, (uint64_t)disp);
		disp = 0;
	} else {
		x64_load(&t->x, true, dst, M(GPR(in->base)));
	}
	if (in->index != EMU_REG_NONE) {
		x64_load(&t->x, true, X_RCX, M(GPR(in->index)));
		x64_lea(&t->x, dst, x64_mi(dst, X_RCX, in->scale, (int32_t)disp));
	} else if (disp) {
		x64_lea(&t->x, dst, x64_m(dst, (int32_t)disp));
	}
}

/* ---- flags and conditions ---- */

/* Store the lazy flags of op over (a, b, result) in rax-free registers. */
static void emit_lazy(struct tr *t, unsigned op, unsigned size, unsigned ra, unsigned rb, unsigned rres)
{
	x64_store(&t->x, true, M(CPU(lf_a)), ra);
	x64_store(&t->x, true, M(CPU(lf_b)), rb);
	x64_store(&t->x, true, M(CPU(lf_res)), rres);
	x64_store_imm8(&t->x, M(CPU(lf_op)), (uint8_t)op);
	x64_store_imm8(&t->x, M(CPU(lf_size)), (uint8_t)size);
	t->lf_op = (uint8_t)op;
	t->lf_size = (uint8_t)size;
}

/* Host flags that decide guest condition cc; returns the host condition
 * to test (cc itself, or NE over emu_cond's answer). */
static unsigned emit_cond(struct tr *t, unsigned cc)
{
	if (t->hf_valid)
		return cc;
	bool w = t->lf_size == 8;
	switch (t->lf_op) {
	case LF_SUB: /* the host's CMP over the same operands sets the same flags */
		x64_load(&t->x, w, X_RAX, M(CPU(lf_a)));
		x64_alu_rm(&t->x, w, X_CMP, X_RAX, M(CPU(lf_b)));
		t->hf_valid = true;
		return cc;
	case LF_ADD:
		x64_load(&t->x, w, X_RAX, M(CPU(lf_a)));
		x64_alu_rm(&t->x, w, X_ADD, X_RAX, M(CPU(lf_b)));
		t->hf_valid = true;
		return cc;
	case LF_LOGIC: /* CF = OF = 0, SF ZF PF of the result */
		x64_load(&t->x, w, X_RAX, M(CPU(lf_res)));
		x64_test_rr(&t->x, w, X_RAX, X_RAX);
		t->hf_valid = true;
		return cc;
	default:
		x64_mov_rr(&t->x, true, X_RDI, X_RBX);
		x64_mov_imm(&t->x, X_RSI, cc);
		emit_call(t, (const void *)emu_cond);
		x64_movzx8_rr(&t->x, X_RAX, X_RAX); /* a bool: only al is defined */
		x64_test_rr(&t->x, false, X_RAX, X_RAX);
		return X_CC_NE;
	}
}

/* ---- the forms ---- */

/* Offset of 8-bit register r of in (AH..BH without REX). */
static int32_t gpr8(const struct emu_insn *in, unsigned r)
{
	if (!(in->pfx & EMU_P_REX) && r >= 4 && r < 8)
		return GPR(r - 4) + 1;
	return GPR(r);
}

static uint64_t mask_of(unsigned size) { return size == 8 ? ~0ull : 0xffffffffull; }

/* The lazy op of ALU kind op. */
static unsigned alu_lf(enum x64_alu op)
{
	switch (op) {
	case X_ADD: return LF_ADD;
	case X_SUB:
	case X_CMP: return LF_SUB;
	default: return LF_LOGIC;
	}
}

/* The host operation that computes op's result (CMP's is SUB's, TEST's AND's). */
static enum x64_alu host_op(enum x64_alu op, bool test) { return test ? X_AND : op == X_CMP ? X_SUB : op; }

/* ALU op on register d with source register s (or imm when s is X_NOREG), as alu_reg(). */
static void emit_alu_reg(struct tr *t, enum x64_alu op, bool test, unsigned size, unsigned d, unsigned s, uint64_t imm)
{
	bool w = size == 8;
	x64_load(&t->x, w, X_RAX, M(GPR(d)));
	if (s == X_NOREG)
		x64_mov_imm(&t->x, X_RCX, imm & mask_of(size));
	else
		x64_load(&t->x, w, X_RCX, M(GPR(s)));
	x64_store(&t->x, true, M(CPU(lf_a)), X_RAX);
	x64_store(&t->x, true, M(CPU(lf_b)), X_RCX);
	bool plant = emu_plant == EMU_PLANT_JIT && op == X_ADD && w && s != X_NOREG && !test;
	/* CMP as SUB and TEST as AND: the result goes to the lazy flags, not back */
	x64_alu_rr(&t->x, w && !plant, host_op(op, test), X_RAX, X_RCX); /* the plant: a 32-bit ADD */
	if (op != X_CMP && !test)
		x64_store(&t->x, true, M(GPR(d)), X_RAX);
	x64_store(&t->x, true, M(CPU(lf_res)), X_RAX);
	x64_store_imm8(&t->x, M(CPU(lf_op)), (uint8_t)alu_lf(op));
	x64_store_imm8(&t->x, M(CPU(lf_size)), (uint8_t)size);
	t->hf_valid = true;
	t->lf_op = (uint8_t)alu_lf(op);
	t->lf_size = (uint8_t)size;
}

/* ALU op on memory (dst_mem) or on register reg with a memory source, as alu_E/alu_G. */
static void emit_alu_mem(struct tr *t, const struct emu_insn *in, enum x64_alu op, bool test, unsigned size,
			 bool dst_mem, bool has_imm)
{
	bool w = size == 8, writes = op != X_CMP && !test;
	emit_ea(t, in, X_R14);
	if (dst_mem) {
		emit_load(t, in->seg, size, writes ? ACC_W : ACC_R);
		x64_mov_rr(&t->x, true, X_RBP, X_RAX); /* a */
		if (has_imm)
			x64_mov_imm(&t->x, X_RCX, in->imm & mask_of(size));
		else
			x64_load(&t->x, w, X_RCX, M(GPR(in->reg)));
		x64_alu_rr(&t->x, w, host_op(op, test), X_RAX, X_RCX);
		x64_mov_rr(&t->x, true, X_R15, X_RAX);
		if (writes)
			emit_store(t, in->seg, size); /* may fault: the flags after */
		if (has_imm)
			x64_mov_imm(&t->x, X_RCX, in->imm & mask_of(size));
		else
			x64_load(&t->x, w, X_RCX, M(GPR(in->reg)));
		emit_lazy(t, alu_lf(op), size, X_RBP, X_RCX, X_R15);
	} else {
		emit_load(t, in->seg, size, ACC_R);
		x64_mov_rr(&t->x, true, X_RCX, X_RAX); /* b */
		x64_load(&t->x, w, X_RAX, M(GPR(in->reg)));
		x64_store(&t->x, true, M(CPU(lf_a)), X_RAX);
		x64_store(&t->x, true, M(CPU(lf_b)), X_RCX);
		x64_alu_rr(&t->x, w, host_op(op, test), X_RAX, X_RCX);
		if (writes)
			x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		x64_store(&t->x, true, M(CPU(lf_res)), X_RAX);
		x64_store_imm8(&t->x, M(CPU(lf_op)), (uint8_t)alu_lf(op));
		x64_store_imm8(&t->x, M(CPU(lf_size)), (uint8_t)size);
		t->lf_op = (uint8_t)alu_lf(op);
		t->lf_size = (uint8_t)size;
	}
	emit_break_check(t);
}

/* SHL/SHR/SAR register by an immediate, as shift_reg(). */
static void emit_shift_reg(struct tr *t, const struct emu_insn *in, enum x64_shift op, unsigned size)
{
	bool w = size == 8;
	unsigned cnt = (unsigned)in->imm & (w ? 63 : 31);
	x64_load(&t->x, w, X_RAX, M(GPR(in->rm)));
	if (!cnt) { /* nothing changes but a 32-bit register's upper half */
		if (!w)
			x64_store(&t->x, true, M(GPR(in->rm)), X_RAX);
		return;
	}
	x64_mov_rr(&t->x, true, X_RDX, X_RAX);
	x64_shift_ri(&t->x, w, op, X_RAX, (uint8_t)cnt);
	x64_store(&t->x, true, M(GPR(in->rm)), X_RAX);
	x64_mov_imm(&t->x, X_RCX, cnt);
	emit_lazy(t, op == X_SHL ? LF_SHL : op == X_SHR ? LF_SHR : LF_SAR, size, X_RDX, X_RCX, X_RAX);
	t->hf_valid = false; /* the host's OF after a multi-bit shift is not the model's */
	t->lf_op = LF_UNKNOWN;
}

/* IMUL reg, reg (two-operand form), as imul_rr(). */
static void emit_imul_reg(struct tr *t, const struct emu_insn *in, unsigned size)
{
	bool w = size == 8;
	x64_load(&t->x, w, X_RAX, M(GPR(in->reg)));
	x64_load(&t->x, w, X_RCX, M(GPR(in->rm)));
	x64_imul_rr(&t->x, w, X_RAX, X_RCX);
	x64_setcc_m(&t->x, X_CC_O, M(CPU(lf_cin)));
	x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
	x64_alu_rr(&t->x, false, X_XOR, X_RCX, X_RCX);
	emit_lazy(t, LF_MUL, size, X_RCX, X_RCX, X_RAX);
	t->hf_valid = false;
	t->lf_op = LF_UNKNOWN;
}

/* A call of the instruction's handler with emu_run_block's bookkeeping. */
static void emit_generic(struct tr *t, const struct emu_insn *in)
{
	emit_sync(t);
	x64_mov_rr(&t->x, true, X_RDI, X_RBX);
	x64_mov_imm(&t->x, X_RSI, (uint64_t)(uintptr_t)&t->tb->insn[t->i]);
	emit_call(t, (const void *)emu_handlers[in->row]);
	/* leave at a taken branch, a break or an exit request */
	x64_load(&t->x, true, X_RAX, M(CPU(next_rip)));
	x64_mov_imm(&t->x, X_RCX, t->fall);
	x64_alu_rr(&t->x, true, X_CMP, X_RAX, X_RCX);
	size_t same = x64_jcc_fwd(&t->x, X_CC_E);
	emit_exit_rax(t, t->i + 1);
	x64_patch(&t->x, same);
	emit_break_check(t);
	emit_tag_bits(t); /* the CPL may have changed */
	t->hf_valid = false;
	t->lf_op = LF_UNKNOWN;
}

static bool canonical(uint64_t la) { return emu_canonical(la); }

/* Translate instruction i of b; false when it must not be translated at all. */
static bool emit_insn(struct tr *t, const struct emu_insn *in, uint8_t fop)
{
	bool hf = t->hf_valid;
	t->hf_valid = false; /* kept only by forms that leave the host's flags alone */
	switch (fop) {
#define SZ(name)            \
	case FOP_##name##4: \
	case FOP_##name##8
		SZ(mov_EvGv_R) : x64_load(&t->x, in->osz == 8, X_RAX, M(GPR(in->reg)));
		x64_store(&t->x, true, M(GPR(in->rm)), X_RAX);
		t->hf_valid = hf;
		return true;
		SZ(mov_GvEv_R) : x64_load(&t->x, in->osz == 8, X_RAX, M(GPR(in->rm)));
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		t->hf_valid = hf;
		return true;
		SZ(mov_EvIz_R) : x64_mov_imm(&t->x, X_RAX, in->imm & mask_of(in->osz));
		x64_store(&t->x, true, M(GPR(in->rm)), X_RAX);
		t->hf_valid = hf;
		return true;
		SZ(mov_ZvIv) : x64_mov_imm(&t->x, X_RAX, in->imm & mask_of(in->osz));
		x64_store(&t->x, true, M(GPR(in->opreg)), X_RAX);
		t->hf_valid = hf;
		return true;
		SZ(lea) : emit_ea(t, in, X_RAX);
		if (in->osz == 4)
			x64_mov_rr(&t->x, false, X_RAX, X_RAX);
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		t->hf_valid = hf;
		return true;
		SZ(movzxb_R) : x64_load_zx8(&t->x, X_RAX, M(gpr8(in, in->rm)));
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		t->hf_valid = hf;
		return true;
		SZ(movzxw_R) : x64_load_zx16(&t->x, X_RAX, M(GPR(in->rm)));
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		t->hf_valid = hf;
		return true;
	case FOP_movsxd_R:
		x64_load_sx32(&t->x, X_RAX, M(GPR(in->rm)));
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		t->hf_valid = hf;
		return true;
#define ALU_CASES(k, op)                                                                \
	SZ(k##_EvGv_R) : emit_alu_reg(t, op, false, in->osz, in->rm, in->reg, 0);       \
	return true;                                                                    \
	SZ(k##_GvEv_R) : emit_alu_reg(t, op, false, in->osz, in->reg, in->rm, 0);       \
	return true;                                                                    \
	SZ(k##_EvIz_R) : emit_alu_reg(t, op, false, in->osz, in->rm, X_NOREG, in->imm); \
	return true;                                                                    \
	SZ(k##_EvGv_M) : emit_alu_mem(t, in, op, false, in->osz, true, false);          \
	return true;                                                                    \
	SZ(k##_GvEv_M) : emit_alu_mem(t, in, op, false, in->osz, false, false);         \
	return true;                                                                    \
	SZ(k##_EvIz_M) : emit_alu_mem(t, in, op, false, in->osz, true, true);           \
	return true;
		ALU_CASES(add, X_ADD)
		ALU_CASES(or, X_OR)
		ALU_CASES(and, X_AND)
		ALU_CASES(sub, X_SUB)
		ALU_CASES(xor, X_XOR)
		ALU_CASES(cmp, X_CMP)
		SZ(test_EvGv_R) : emit_alu_reg(t, X_AND, true, in->osz, in->rm, in->reg, 0);
		return true;
		SZ(test_EvGv_M) : emit_alu_mem(t, in, X_AND, true, in->osz, true, false);
		return true;
		SZ(shl_I_R) : emit_shift_reg(t, in, X_SHL, in->osz);
		return true;
		SZ(shr_I_R) : emit_shift_reg(t, in, X_SHR, in->osz);
		return true;
		SZ(sar_I_R) : emit_shift_reg(t, in, X_SAR, in->osz);
		return true;
		SZ(imul_R) : emit_imul_reg(t, in, in->osz);
		return true;
		SZ(cmov_R) :
		{
			t->hf_valid = hf;
			unsigned cc = emit_cond(t, in->op & 15);
			bool w = in->osz == 8;
			x64_load(&t->x, w, X_RAX, M(GPR(in->rm)));
			x64_load(&t->x, w, X_RCX, M(GPR(in->reg)));
			x64_cmov_rr(&t->x, w, cc, X_RCX, X_RAX); /* the 32-bit form zero-extends either way */
			x64_store(&t->x, true, M(GPR(in->reg)), X_RCX);
			t->hf_valid = t->hf_valid && cc == (in->op & 15u);
			return true;
		}
	case FOP_setcc_R: {
		t->hf_valid = hf;
		unsigned cc = emit_cond(t, in->op & 15);
		x64_setcc_m(&t->x, cc, M(gpr8(in, in->rm)));
		t->hf_valid = t->hf_valid && cc == (in->op & 15u);
		return true;
	}
		/* memory forms */
		SZ(mov_EvGv_M) : emit_ea(t, in, X_R14);
		x64_load(&t->x, in->osz == 8, X_R15, M(GPR(in->reg)));
		emit_store(t, in->seg, in->osz);
		emit_break_check(t);
		return true;
		SZ(mov_EvIz_M) : emit_ea(t, in, X_R14);
		x64_mov_imm(&t->x, X_R15, in->imm & mask_of(in->osz));
		emit_store(t, in->seg, in->osz);
		emit_break_check(t);
		return true;
		SZ(mov_GvEv_M) : emit_ea(t, in, X_R14);
		emit_load(t, in->seg, in->osz, ACC_R);
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		emit_break_check(t);
		return true;
		SZ(movzxb_M) : emit_ea(t, in, X_R14);
		emit_load(t, in->seg, 1, ACC_R);
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		emit_break_check(t);
		return true;
		SZ(movzxw_M) : emit_ea(t, in, X_R14);
		emit_load(t, in->seg, 2, ACC_R);
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		emit_break_check(t);
		return true;
	case FOP_movsxd_M:
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, 4, ACC_R);
		x64_movsxd_rr(&t->x, X_RAX, X_RAX);
		x64_store(&t->x, true, M(GPR(in->reg)), X_RAX);
		emit_break_check(t);
		return true;
		SZ(cmov_M) :
		{
			bool w = in->osz == 8;
			emit_ea(t, in, X_R14);
			emit_load(t, in->seg, in->osz, ACC_R);
			x64_mov_rr(&t->x, true, X_RBP, X_RAX);
			unsigned cc = emit_cond(t, in->op & 15);
			x64_load(&t->x, w, X_RCX, M(GPR(in->reg)));
			x64_cmov_rr(&t->x, w, cc, X_RCX, X_RBP);
			x64_store(&t->x, true, M(GPR(in->reg)), X_RCX);
			emit_break_check(t);
			return true;
		}
	case FOP_setcc_M: {
		unsigned cc = emit_cond(t, in->op & 15);
		x64_setcc_r8(&t->x, cc, X_RAX);
		x64_movzx8_rr(&t->x, X_R15, X_RAX);
		emit_ea(t, in, X_R14);
		emit_store(t, in->seg, 1);
		emit_break_check(t);
		return true;
	}
	case FOP_push: /* emu_push: the value first (PUSH RSP pushes the old one) */
		x64_load(&t->x, true, X_R15, M(GPR(in->opreg)));
		x64_load(&t->x, true, X_R14, M(GPR(RAX_REG_RSP)));
		x64_lea(&t->x, X_R14, x64_m(X_R14, -8));
		emit_store(t, RAX_SEG_SS, 8);
		x64_store(&t->x, true, M(GPR(RAX_REG_RSP)), X_R14);
		emit_break_check(t);
		return true;
	case FOP_pop: /* emu_pop, then the register (POP RSP loads the value) */
		x64_load(&t->x, true, X_R14, M(GPR(RAX_REG_RSP)));
		emit_load(t, RAX_SEG_SS, 8, ACC_R);
		x64_lea(&t->x, X_RCX, x64_m(X_R14, 8));
		x64_store(&t->x, true, M(GPR(RAX_REG_RSP)), X_RCX);
		x64_store(&t->x, true, M(GPR(in->opreg)), X_RAX);
		emit_break_check(t);
		return true;
	/* branches */
	case FOP_jcc: {
		uint64_t target = t->fall + in->imm;
		if (!canonical(target))
			break; /* the handler raises #GP when it is taken */
		t->hf_valid = hf;
		unsigned cc = emit_cond(t, in->op & 15);
		bool keep = t->hf_valid && cc == (in->op & 15u);
		if (target != t->fall) {
			size_t not_taken = x64_jcc_fwd(&t->x, cc ^ 1);
			emit_exit(t, target, t->i + 1);
			x64_patch(&t->x, not_taken);
		}
		t->hf_valid = keep;
		return true;
	}
	case FOP_jmp: {
		uint64_t target = t->fall + in->imm;
		if (!canonical(target))
			break;
		if (target != t->fall)
			emit_exit(t, target, t->i + 1);
		t->hf_valid = hf;
		return true;
	}
	case FOP_call: { /* emu_branch's check, then the push */
		uint64_t target = t->fall + in->imm;
		if (!canonical(target))
			break;
		x64_mov_imm(&t->x, X_R15, t->fall);
		x64_load(&t->x, true, X_R14, M(GPR(RAX_REG_RSP)));
		x64_lea(&t->x, X_R14, x64_m(X_R14, -8));
		emit_store(t, RAX_SEG_SS, 8);
		x64_store(&t->x, true, M(GPR(RAX_REG_RSP)), X_R14);
		if (target != t->fall)
			emit_exit(t, target, t->i + 1);
		else
			emit_break_check(t);
		return true;
	}
	case FOP_ret: { /* emu_pop, then emu_branch (#GP on a non-canonical target) */
		x64_load(&t->x, true, X_R14, M(GPR(RAX_REG_RSP)));
		emit_load(t, RAX_SEG_SS, 8, ACC_R);
		x64_mov_rr(&t->x, true, X_RCX, X_RAX);
		x64_shift_ri(&t->x, true, X_SHL, X_RCX, 16);
		x64_shift_ri(&t->x, true, X_SAR, X_RCX, 16);
		x64_alu_rr(&t->x, true, X_CMP, X_RCX, X_RAX);
		size_t ok = x64_jcc_fwd(&t->x, X_CC_E);
		emit_sync(t);
		x64_mov_rr(&t->x, true, X_RDI, X_RBX);
		emit_call(t, (const void *)jit_gp);
		x64_patch(&t->x, ok);
		x64_lea(&t->x, X_RCX, x64_m(X_R14, 8));
		x64_store(&t->x, true, M(GPR(RAX_REG_RSP)), X_RCX);
		x64_mov_imm(&t->x, X_RCX, t->fall);
		x64_alu_rr(&t->x, true, X_CMP, X_RAX, X_RCX);
		size_t same = x64_jcc_fwd(&t->x, X_CC_E);
		emit_exit_rax(t, t->i + 1);
		x64_patch(&t->x, same);
		emit_break_check(t);
		return true;
	}
	case FOP_planted:
	case FOP_dbgbreak: return false; /* only the block runner has these */
	default: break;
#undef ALU_CASES
#undef SZ
	}
	emit_generic(t, in);
	return true;
}

/* Translate b (at c->rip) into j->scratch; returns the code's length, 0 when it cannot. */
static size_t translate(struct emu_jit *j, struct emu_cpu *c, const struct emu_block *b, const struct jit_tb *tb)
{
	struct tr t = { .tb = tb, .lf_op = LF_UNKNOWN };
	size_t head = (sizeof(struct jit_tb) + JIT_ALIGN - 1) & ~(size_t)(JIT_ALIGN - 1);
	x64_init(&t.x, j->scratch + head, JIT_SCRATCH_SIZE - head);
	x64_push(&t.x, X_RBX);
	x64_push(&t.x, X_RBP);
	x64_push(&t.x, X_R12);
	x64_push(&t.x, X_R13);
	x64_push(&t.x, X_R14);
	x64_push(&t.x, X_R15);
	x64_alu_ri(&t.x, true, X_SUB, X_RSP, 8); /* six pushes and this: calls see a 16-byte aligned stack */
	x64_mov_rr(&t.x, true, X_RBX, X_RDI);
	x64_load(&t.x, true, X_R12, M(CPU(icount)));
	emit_tag_bits(&t);
	uint64_t rip = c->rip;
	for (unsigned i = 0; i < b->n; i++) {
		t.i = i;
		t.rip = rip;
		t.fall = rip = rip + b->insn[i].len;
		if (!emit_insn(&t, &b->insn[i], b->fop[i]))
			return 0;
	}
	emit_exit(&t, rip, b->n);
	if (t.x.full)
		return 0;
	return head + x64_len(&t.x);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Make a translation of b for c->rip; &jit_none when it cannot be. */
static const struct jit_tb *make(struct emu_jit *j, struct emu_cpu *c, struct emu_block *b)
{
	uint64_t t0 = now_ns();
	if (c->dmode != EMU_MODE_64) {
		j->st.failed++;
		return &jit_none;
	}
	size_t at = (j->used + JIT_ALIGN - 1) & ~(size_t)(JIT_ALIGN - 1);
	struct jit_tb *tb = (struct jit_tb *)(j->buf + at);
	size_t len = translate(j, c, b, tb);
	if (len && at + len > JIT_BUF_SIZE) { /* full: drop every translation, start over */
		j->epoch++;
		j->used = 0;
		j->st.flushes++;
		mprotect(j->buf, JIT_BUF_SIZE, PROT_NONE);
		madvise(j->buf, JIT_BUF_SIZE, MADV_DONTNEED);
		at = 0;
		tb = (struct jit_tb *)j->buf;
		len = translate(j, c, b, tb);
	}
	if (!len) {
		j->st.failed++;
		return &jit_none;
	}
	struct jit_tb *head = (struct jit_tb *)j->scratch;
	memset(head, 0, sizeof(*head));
	head->rip = c->rip;
	size_t code = (sizeof(struct jit_tb) + JIT_ALIGN - 1) & ~(size_t)(JIT_ALIGN - 1);
	head->entry = (void (*)(struct emu_cpu *))(void *)((uint8_t *)tb + code);
	memcpy(head->insn, b->insn, b->n * sizeof(b->insn[0]));
	/* W^X: the pages the translation goes to are writable only for the copy */
	uintptr_t lo = (uintptr_t)tb & ~(uintptr_t)(JIT_HOST_PAGE - 1);
	uintptr_t hi = ((uintptr_t)tb + len + JIT_HOST_PAGE - 1) & ~(uintptr_t)(JIT_HOST_PAGE - 1);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE) < 0) {
		j->st.failed++;
		return &jit_none;
	}
	memcpy(tb, j->scratch, len);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC) < 0) {
		mprotect((void *)lo, hi - lo, PROT_NONE);
		j->st.failed++;
		return &jit_none;
	}
	j->used = at + len;
	j->st.blocks++;
	j->st.code_bytes += len;
	j->st.translate_ns += now_ns() - t0;
	return tb;
}

bool emu_jit_run(struct emu_cpu *c, struct emu_block *b)
{
	struct emu_jit *j = c->jit;
	const struct jit_tb *tb = b->jit;
	if (!tb || b->jit_epoch != j->epoch) {
		if (tb) { /* made before the buffer started over */
			b->jit = NULL;
			b->jit_hits = 0;
		}
		if (++b->jit_hits < j->hot)
			return false;
		tb = make(j, c, b);
		b->jit = tb;
		b->jit_epoch = j->epoch;
	}
	if (!tb->entry || tb->rip != c->rip)
		return false;
	c->block_break = false;
	c->in_insn = true;
	tb->entry(c);
	c->in_insn = false;
	j->st.runs++;
	return true;
}
