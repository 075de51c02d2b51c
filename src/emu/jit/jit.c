/*
 * jit.c - the block translator: one decoded block (emu_block: instructions
 * and fast-op numbers) to host x86-64 code, the code buffer it lives in,
 * chaining translated blocks to each other, and running them.
 *
 * Generated code runs inside one frame that jit_enter (a trampoline at the
 * start of the code buffer) sets up: guest state lives in struct emu_cpu,
 * addressed from one pinned host register (rbx), and within a block the
 * guest registers it uses in six caller-saved host registers (the register
 * cache, emit.h: written back before every call, exit and slow path); the
 * instruction count at the current block's entry is in r12, the software
 * TLB's tag bits for the current CPL in r13, and ebp is nonzero once a
 * slow path (a C helper) set block_break or exit_req. Every instruction
 * is one of:
 *
 *  - translated inline: the register forms of MOV, ALU, TEST, LEA, MOVZX,
 *    MOVSXD, CMOV, SETcc, IMUL, INC/DEC, shifts and rotates by an
 *    immediate, Jcc/JMP/CALL/RET and PUSH/POP, and the memory forms of
 *    most of them. Flags are stored lazily as emu_lazy() does (op, size,
 *    a, b, result; whole registers, the readers mask them), and not at all
 *    where a later instruction of the block replaces them unread (only
 *    register forms that cannot fault between), nor, for a register ALU
 *    op only the Jcc after it reads, anywhere but where that Jcc is taken
 *    (emit_sunk); a logic op's operands are never stored (its flags come
 *    from the result). A condition is read from
 *    the host's own flags when its producer is the previous instruction of
 *    the block, recomputed by the host from the lazy fields when the
 *    producer is known at translation time or (checked at run time) is the
 *    one the block was entered with when it was translated, and asked of
 *    emu_cond() otherwise. Memory goes through the software TLB inline
 *    (emu_tlb_host's rule: the entry's fast tag, then its addend added to
 *    the linear address; emu_wr's: no fast writes while writes are
 *    tracked) and through emu_rd/emu_wr out of line otherwise;
 *  - translated inline by sse.c: the common SSE/SSE2 forms (its file
 *    comment says how they stay exact: MXCSR, the #UD/#NM checks);
 *  - everything else: a call of the instruction's handler, with the block
 *    runner's bookkeeping.
 *
 * Slow paths and block exits are out of line, after the block's hot code.
 * Before anything that may fault or look at the CPU (a slow memory access,
 * a handler) the code stores what emu_run_block's SYNC stores: RIP, the
 * instruction count, the RSP to restore and the next RIP. A fault then
 * longjmps from the C helper through the generated frame to the run loop,
 * as it does from a handler: generated code holds nothing but callee-saved
 * registers that longjmp restores, and (the register cache written back
 * first) no guest state outside struct emu_cpu. Blocks end where
 * emu_run_block ends them: after a taken branch
 * (next RIP not the fall-through), after an instruction that set
 * block_break or exit_req, and after the last instruction.
 *
 * Chaining: a block that ends at a known next RIP (a direct branch or the
 * fall-through) jumps to the next block's translation through a link in
 * the data area (struct jit_link); RET and branches a handler took look in
 * an inline cache keyed by the target. A link is taken only when it holds
 * exactly what the run loop would find: the fetch TLB entry maps the
 * target to the linked block's physical address (fetch_block's hit), and
 * the block cache still holds that block, decoded in its current epoch
 * (cpu.h EMU_BTAG_EPOCH_SHIFT), at its page's generation with this
 * translation. A link that passes that check is armed: it jumps straight
 * to its target from then on, while nothing it looked at has changed.
 * c->chain_gen moves on with every change (a block decoded or dropped, a
 * code page written, a fetch TLB entry replaced or flushed) and with a new
 * CPL; the next run then disarms every link armed (they go through the
 * check again). Inside a run nothing changes without a break that ends
 * the run first. The check always fails, and nothing is armed, while
 * nochain (rax-diff's one block at a time, a block that is not cached,
 * debug slots). The next block's own entry then checks the run loop's
 * rules before it runs whole: icount + its length within event_at
 * (events, stops, hooks, SMP slices) and next_stop_poll not reached (an
 * interrupt shadow never reaches it: the instruction that starts one
 * ends the run). Otherwise it returns to the run loop, which
 * fills the link when it runs the target translated. Counts, interrupt
 * points and stops are the run loop's.
 *
 * The code buffer is mapped W^X: translations are made in a scratch
 * buffer and copied in batches, the pages they go to made writable for the
 * copy and executable again right after, never both; a block runs on the
 * interpreter until its batch is in. The data area beside it (links,
 * inline cache) is never executable. When either fills up every
 * translation is dropped at once (a new epoch).
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
#include "emu/insn/shift.h"
#include "emu/jit/emit.h"
#include "emu/jit/x64.h"
#include "emu/plant.h"
#include "layout.h"

/* The code buffer of one CPU (address space reserved, pages made as used);
 * its first page holds jit_enter and the shared exit. */
#define JIT_BUF_SIZE (64u << 20)
#define JIT_HOST_PAGE 4096u
#define JIT_TRAMP_SIZE JIT_HOST_PAGE
/* The data area right after it (within reach of RIP-relative operands). */
#define JIT_DATA_SIZE (8u << 20)
/* Links armed at once at most (more are taken, checked, unarmed). */
#define JIT_MAX_ARMED 16384
/* The inline cache of indirect targets. */
#define JIT_CACHE_BITS 12
#define JIT_CACHE_SIZE (1u << JIT_CACHE_BITS)
/* Translations waiting to be copied into the buffer together (one pair of
 * mprotect calls for a batch): at most this many, this many bytes, or
 * until the run loop has come this many times. */
#define JIT_BATCH_MAX 32
#define JIT_BATCH_BYTES (256u << 10)
#define JIT_BATCH_WAIT 256
/* Room for one batch (and one block's largest translation) before the copy. */
#define JIT_SCRATCH_SIZE (JIT_BATCH_BYTES + (64u << 10))
/* Translations start on this alignment. */
#define JIT_ALIGN 16u
/* Translations by block (tag, generation), to give a block decoded again
 * (evicted from the block cache and back, unchanged) its translation. */
#define JIT_REUSE_BITS 15
#define JIT_REUSE_SIZE (1u << JIT_REUSE_BITS)

/* A link to a translated block, valid while it matches what fetch_block
 * would find (see the file comment); an empty one names jit_nowhere. */
struct jit_link {
	const void *code;            /* jumped to: target when armed, else its check (link_check) */
	const void *target;          /* the target translation's chained entry */
	const struct emu_block *blk; /* its block cache entry */
	const void *tb;              /* the translation (blk->jit) */
	uint64_t tag;                /* blk->tag: the target's gpa << 1 | 1, decode cache epoch */
	const uint32_t *pgen;        /* the page's generation (blk->gen while unwritten) */
	uint64_t rip;                /* the target */
	uint64_t pad;
};

/* The data area: read and written by generated code, never executed. */
struct jit_data {
	struct jit_link *link_req; /* the link a block left through unfilled (for emu_jit_run) */
	uint8_t nochain;           /* go back to the run loop after every block */
	/* The links armed (checked and jumping straight to their target)
	 * since emu_jit.armed_gen: disarmed together when c->chain_gen
	 * moves on. Nothing a link's check looks at changes within one run
	 * without a break that leaves it (a code write, a TLB or decode cache
	 * flush all set block_break; blocks are decoded and evicted, and the
	 * code buffer starts over, only in the run loop). */
	uint32_t narmed;
	struct jit_link *armed[JIT_MAX_ARMED];
	struct jit_link cache[JIT_CACHE_SIZE];
	struct jit_link links[];
};
#define JIT_MAX_LINKS ((JIT_DATA_SIZE - sizeof(struct jit_data)) / sizeof(struct jit_link))

/* Code shared by every translation, in the buffer's first page. */
enum jit_shared {
	SH_LEAVE,          /* pop the frame, back to emu_jit_run (RIP, count stored) */
	SH_CHECK,          /* rsi = a link: ZF when it may be taken (the run loop would run its target) */
	SH_MISS_LINK,      /* leave for link rsi's target, count r12, asking for the link */
	SH_MISS_CACHE,     /* leave for rax, count r12, asking for cache entry rsi */
	SH_VALIDATE_LINK,  /* link rsi not checked in this run: check it, take it or miss */
	SH_VALIDATE_CACHE, /* the same for cache entry rsi whose rip is rax */
	SH_SYNC,           /* rsi = an instruction's descriptor: emu_run_block's SYNC, the CPL noted */
	SH_AFTER,          /* after its handler: eax 0 go on, 1 leave (stored), 2 leave for rdx */
	SH_LOAD,           /* thunks to the C helpers below */
	SH_STORE,
	SH_GP,
	SH_COND,
	SH_COUNT
};

/* A translation made but not copied into the buffer yet: its block runs
 * on the interpreter meanwhile (blk->jit names this entry). */
struct jit_pend {
	struct emu_block *blk;
	struct jit_tb *tb;
};

struct emu_jit {
	uint8_t *buf;
	struct jit_data *data;
	size_t used, nlinks;
	size_t committed; /* the buffer up to here is in place; scratch holds committed..used */
	struct jit_pend pend[JIT_BATCH_MAX];
	unsigned npend, pend_wait;
	const struct jit_tb *reuse[JIT_REUSE_SIZE]; /* this epoch's, by reuse_index */
	uint32_t epoch;
	uint8_t cpl;        /* of the last run (emu_jit_run) */
	uint64_t armed_gen; /* c->chain_gen when the links armed now were checked */
	unsigned hot;
	uint8_t *scratch;
	void (*enter)(struct emu_cpu *c, const void *body);
	const uint8_t *sh[SH_COUNT];
	struct emu_jit_stats st;
};

/* A block that cannot be translated (until the next epoch). */
static const struct jit_tb jit_none;
/* What an empty link names: no block has tag 0. */
static const struct emu_block jit_nowhere;

bool emu_jit_supported(void) { return true; }

static bool link_cached(const struct emu_jit *j, const struct jit_link *l)
{
	return l >= j->data->cache && l < j->data->cache + JIT_CACHE_SIZE;
}

/* What an unarmed link jumps to: the shared code that checks it. */
static const void *link_check(const struct emu_jit *j, const struct jit_link *l)
{
	return j->sh[link_cached(j, l) ? SH_VALIDATE_CACHE : SH_VALIDATE_LINK];
}

static void link_clear(struct emu_jit *j, struct jit_link *l, uint64_t rip)
{
	l->code = link_check(j, l);
	l->target = NULL;
	l->blk = &jit_nowhere;
	l->tb = NULL;
	l->tag = 1;
	l->pgen = NULL;
	l->rip = rip;
}

/* Forget every link and cached target (a new epoch). */
static void data_reset(struct emu_jit *j)
{
	j->data->link_req = NULL;
	j->data->narmed = 0;
	for (unsigned i = 0; i < JIT_CACHE_SIZE; i++)
		link_clear(j, &j->data->cache[i], ~0ull);
	j->nlinks = 0;
}

#define TLB(acc) (CPU(tlb) + (int32_t)((acc) * sizeof(((struct emu_cpu *)0)->tlb[0])))
#define TLBF(field) ((int32_t)offsetof(struct emu_tlb_entry, field))
#define TLBE_SHIFT 5 /* log2 sizeof(struct emu_tlb_entry) */
#define BLK(field) ((int32_t)offsetof(struct emu_block, field))
#define LINK(field) ((int32_t)offsetof(struct jit_link, field))
/* lf_op and lf_size are stored and compared as one word */
_Static_assert(offsetof(struct emu_cpu, lf_size) == offsetof(struct emu_cpu, lf_op) + 1, "lf_size follows lf_op");

_Static_assert(sizeof(struct emu_tlb_entry) == 1u << TLBE_SHIFT, "the TLB probe scales the index by a shift");
_Static_assert(sizeof(struct jit_link) == 64, "the inline cache scales the index by 64");
/* r (32 bits of a linear address) = the offset of its TLB entry in an
 * array (emu_tlb_host's index, scaled) */
static void emit_tlb_index(struct x64_buf *x, unsigned r)
{
	x64_shift_ri(x, false, X_SHR, r, GUEST_PAGE_SHIFT - TLBE_SHIFT);
	x64_alu_ri(x, false, X_AND, r, (EMU_TLB_SIZE - 1) << TLBE_SHIFT);
}
_Static_assert(offsetof(struct jit_insn, in) == 0, "a descriptor is its handler's operand");

/* ---- the C helpers (slow paths, handlers) ---- */

/* Two values back in rax:rdx. */
struct jit_pair {
	uint64_t a, b;
};

/* emu_run_block's SYNC for instruction d of a block entered at icount,
 * with the RSP to restore on a fault and the fall-through as next RIP. */
void jit_sync(struct emu_cpu *c, const struct jit_insn *d, uint64_t icount)
{
	c->rip = d->rip;
	c->icount = icount + d->i;
	c->saved_rsp = c->gpr[RAX_REG_RSP];
	c->next_rip = d->rip + d->in.len;
}

static uint64_t broke(const struct emu_cpu *c) { return (uint64_t)(c->block_break | c->exit_req); }

/* d's load at ea: the value, and whether the block must end after d. */
static struct jit_pair jit_load(struct emu_cpu *c, const struct jit_insn *d, uint64_t icount, uint64_t ea)
{
	jit_sync(c, d, icount);
	uint64_t v = d->acc == ACC_W ? emu_rd_rmw(c, d->seg, ea, d->size) : emu_rd(c, d->seg, ea, d->size);
	return (struct jit_pair){ v, broke(c) };
}

/* d's store of v at ea: whether the block must end after d. */
static uint64_t jit_store(struct emu_cpu *c, const struct jit_insn *d, uint64_t icount, uint64_t ea, uint64_t v)
{
	jit_sync(c, d, icount);
	emu_wr(c, d->seg, ea, d->size, v);
	return broke(c);
}

static _Noreturn void jit_gp(struct emu_cpu *c, const struct jit_insn *d, uint64_t icount)
{
	jit_sync(c, d, icount);
	EMU_GP(c, 0);
}

/* The host's callee-saved registers, which the generated frame uses (pushed in this order). */
static const uint8_t frame_regs[] = { X_RBX, X_RBP, X_R12, X_R13, X_R14, X_R15 };
#define NFRAME_REGS (sizeof(frame_regs) / sizeof(frame_regs[0]))
_Static_assert((NFRAME_REGS * 8 + JIT_FRAME + 8) % 16 == 0, "calls from generated code see a 16-byte aligned stack");

/* The code shared by every translation (enum jit_shared). */
static void emit_shared(struct emu_jit *j, struct x64_buf *x)
{
	for (unsigned k = 0; k < NFRAME_REGS; k++)
		x64_push(x, frame_regs[k]);
	x64_alu_ri(x, true, X_SUB, X_RSP, JIT_FRAME); /* six pushes and this: calls see a 16-byte aligned stack */
	x64_mov_rr(x, true, X_RBX, X_RDI);
	x64_load(x, true, X_R12, M(CPU(icount)));
	/* r13 = the TLB tag bits: 1 | (CPL == 3) << 1 (emu_tlb_host) */
	x64_alu_rr(x, false, X_XOR, X_RAX, X_RAX);
	x64_cmp_m8i(x, M(CPU(cpl)), 3);
	x64_setcc_r8(x, X_CC_E, X_RAX);
	x64_lea(x, X_R13, x64_mi(X_RAX, X_RAX, 0, 1));
	x64_alu_rr(x, false, X_XOR, X_RBP, X_RBP);
	x64_u8(x, 0xff); /* jmp rsi */
	x64_u8(x, 0xe6);

	j->sh[SH_LEAVE] = x64_here(x);
	x64_alu_ri(x, true, X_ADD, X_RSP, JIT_FRAME);
	for (unsigned k = NFRAME_REGS; k-- > 0;)
		x64_pop(x, frame_regs[k]);
	x64_ret(x);

	/* SH_CHECK: the block cache entry still holds this block, at this
	 * page's generation, with this translation, and the fetch TLB maps
	 * the target to its page in the decode cache's epoch (fetch_block's
	 * hit). Uses rax rcx rdx rdi. */
	j->sh[SH_CHECK] = x64_here(x);
	x64_load(x, true, X_RDX, x64_m(X_RSI, LINK(blk)));
	x64_load(x, true, X_RAX, x64_m(X_RSI, LINK(tag)));
	x64_alu_rm(x, true, X_CMP, X_RAX, x64_m(X_RDX, BLK(tag)));
	size_t r1 = x64_jcc_fwd(x, X_CC_NE);
	x64_load(x, false, X_RCX, x64_m(X_RDX, BLK(gen)));
	x64_load(x, true, X_RDI, x64_m(X_RSI, LINK(pgen)));
	x64_alu_rm(x, false, X_CMP, X_RCX, x64_m(X_RDI, 0));
	size_t r2 = x64_jcc_fwd(x, X_CC_NE);
	x64_load(x, true, X_RCX, x64_m(X_RSI, LINK(tb)));
	x64_alu_rm(x, true, X_CMP, X_RCX, x64_m(X_RDX, BLK(jit)));
	size_t r3 = x64_jcc_fwd(x, X_CC_NE);
	x64_load(x, true, X_RDI, x64_m(X_RSI, LINK(rip)));
	x64_mov_rr(x, false, X_RDX, X_RDI);
	emit_tlb_index(x, X_RDX);
	x64_lea(x, X_RDX, x64_mi(X_RBX, X_RDX, 0, TLB(ACC_X)));
	x64_mov_rr(x, true, X_RCX, X_RDI);
	x64_alu_ri(x, true, X_AND, X_RCX, (int32_t)~GUEST_PAGE_OFFSET);
	x64_alu_rr(x, true, X_OR, X_RCX, X_R13);
	x64_alu_rm(x, true, X_CMP, X_RCX, x64_m(X_RDX, TLBF(fast)));
	size_t r4 = x64_jcc_fwd(x, X_CC_NE);
	x64_mov_rr(x, false, X_RCX, X_RDI);
	x64_alu_ri(x, false, X_AND, X_RCX, (int32_t)GUEST_PAGE_OFFSET);
	x64_alu_rm(x, true, X_OR, X_RCX, x64_m(X_RDX, TLBF(gpa)));
	x64_lea(x, X_RCX, x64_mi(X_RCX, X_RCX, 0, 1));
	x64_alu_rm(x, true, X_OR, X_RCX, M(CPU(bc_epoch)));
	x64_alu_rr(x, true, X_CMP, X_RCX, X_RAX);
	x64_patch(x, r1);
	x64_patch(x, r2);
	x64_patch(x, r3);
	x64_patch(x, r4);
	x64_ret(x);

	/* SH_MISS_LINK / SH_MISS_CACHE: back to the run loop, asking for the link */
	j->sh[SH_MISS_LINK] = x64_here(x);
	x64_load(x, true, X_RAX, x64_m(X_RSI, LINK(rip)));
	j->sh[SH_MISS_CACHE] = x64_here(x);
	x64_store(x, true, M(CPU(icount)), X_R12);
	x64_store(x, true, x64_rip(&j->data->link_req), X_RSI);
	x64_store(x, true, M(CPU(rip)), X_RAX);
	x64_store(x, true, M(CPU(next_rip)), X_RAX);
	x64_jmp_abs(x, j->sh[SH_LEAVE]);

	/* SH_SYNC (rsi = a jit_insn, whose emu_insn comes first) */
#define JI(field) ((int32_t)offsetof(struct jit_insn, field))
	j->sh[SH_SYNC] = x64_here(x);
	x64_load(x, true, X_RAX, x64_m(X_RSI, JI(rip)));
	x64_store(x, true, M(CPU(rip)), X_RAX);
	x64_load_zx8(x, X_RCX, x64_m(X_RSI, JI(in.len)));
	x64_alu_rr(x, true, X_ADD, X_RAX, X_RCX);
	x64_store(x, true, M(CPU(next_rip)), X_RAX);
	x64_load(x, false, X_RAX, x64_m(X_RSI, JI(i)));
	x64_alu_rr(x, true, X_ADD, X_RAX, X_R12);
	x64_store(x, true, M(CPU(icount)), X_RAX);
	x64_load(x, true, X_RAX, M(GPR(RAX_REG_RSP)));
	x64_store(x, true, M(CPU(saved_rsp)), X_RAX);
	x64_load_zx8(x, X_RAX, M(CPU(cpl)));
	x64_store(x, true, x64_m(X_RSP, 8 + SLOT_CPL_OFF), X_RAX);
	x64_ret(x);
	/* SH_AFTER (rsi = the same): a taken branch, a break, an exit request or a new CPL end the block */
	j->sh[SH_AFTER] = x64_here(x);
	x64_load(x, true, X_RDX, M(CPU(next_rip)));
	x64_load_zx8(x, X_RCX, M(CPU(block_break)));
	x64_or_r8m(x, X_RCX, M(CPU(exit_req)));
	size_t stop1 = x64_jcc_fwd(x, X_CC_NE);
	x64_load_zx8(x, X_RCX, M(CPU(cpl)));
	x64_alu_rm(x, true, X_CMP, X_RCX, x64_m(X_RSP, 8 + SLOT_CPL_OFF));
	size_t stop2 = x64_jcc_fwd(x, X_CC_NE);
	x64_load(x, true, X_RAX, x64_m(X_RSI, JI(rip)));
	x64_load_zx8(x, X_RCX, x64_m(X_RSI, JI(in.len)));
	x64_alu_rr(x, true, X_ADD, X_RAX, X_RCX);
	x64_alu_rr(x, true, X_CMP, X_RDX, X_RAX);
	size_t taken = x64_jcc_fwd(x, X_CC_NE);
	x64_alu_rr(x, false, X_XOR, X_RAX, X_RAX);
	x64_ret(x);
	x64_patch(x, taken);
	x64_mov_imm(x, X_RAX, 2);
	x64_ret(x);
	x64_patch(x, stop1);
	x64_patch(x, stop2);
	x64_store(x, true, M(CPU(rip)), X_RDX); /* leave at next_rip, d retired */
	x64_load(x, false, X_RAX, x64_m(X_RSI, JI(i)));
	x64_lea(x, X_RAX, x64_mi(X_R12, X_RAX, 0, 1));
	x64_store(x, true, M(CPU(icount)), X_RAX);
	x64_mov_imm(x, X_RAX, 1);
	x64_ret(x);
#undef JI

	/* SH_VALIDATE_LINK / SH_VALIDATE_CACHE: never while nochain; else
	 * SH_CHECK, and a link that passes is armed (jumps to its target
	 * until emu_jit_run disarms it) and taken */
	j->sh[SH_VALIDATE_LINK] = x64_here(x);
	x64_movzx8_m(x, X_RAX, x64_rip(&j->data->nochain));
	x64_test_rr(x, false, X_RAX, X_RAX);
	x64_jcc_abs(x, X_CC_NE, j->sh[SH_MISS_LINK]);
	x64_call_abs(x, j->sh[SH_CHECK]);
	x64_jcc_abs(x, X_CC_NE, j->sh[SH_MISS_LINK]);
	size_t arm = x64_jmp_fwd(x);
	j->sh[SH_VALIDATE_CACHE] = x64_here(x);
	x64_push(x, X_RAX);
	x64_movzx8_m(x, X_RAX, x64_rip(&j->data->nochain));
	x64_test_rr(x, false, X_RAX, X_RAX);
	size_t no = x64_jcc_fwd(x, X_CC_NE);
	x64_call_abs(x, j->sh[SH_CHECK]);
	x64_patch(x, no);
	x64_pop(x, X_RAX); /* pop leaves the flags alone */
	x64_jcc_abs(x, X_CC_NE, j->sh[SH_MISS_CACHE]);
	x64_patch(x, arm);
	x64_load(x, false, X_RCX, x64_rip(&j->data->narmed));
	x64_alu_ri(x, false, X_CMP, X_RCX, JIT_MAX_ARMED);
	size_t full = x64_jcc_fwd(x, X_CC_AE);
	x64_lea(x, X_RAX, x64_rip(&j->data->armed[0]));
	x64_store(x, true, x64_mi(X_RAX, X_RCX, 3, 0), X_RSI);
	x64_alu_ri(x, false, X_ADD, X_RCX, 1);
	x64_store(x, false, x64_rip(&j->data->narmed), X_RCX);
	x64_load(x, true, X_RCX, x64_m(X_RSI, LINK(target)));
	x64_store(x, true, x64_m(X_RSI, LINK(code)), X_RCX);
	x64_patch(x, full);
	x64_jmp_m(x, x64_m(X_RSI, LINK(target)));

	static const struct {
		enum jit_shared k;
		const void *fn;
	} thunks[] = {
		{ SH_LOAD, (const void *)jit_load },
		{ SH_STORE, (const void *)jit_store },
		{ SH_GP, (const void *)jit_gp },
		{ SH_COND, (const void *)emu_cond },
	};
	for (unsigned n = 0; n < sizeof(thunks) / sizeof(thunks[0]); n++) {
		while (x64_len(x) % 8)
			x64_u8(x, 0xcc);
		j->sh[thunks[n].k] = x64_here(x);
		x64_mov_imm(x, X_RAX, (uint64_t)(uintptr_t)thunks[n].fn);
		x64_u8(x, 0xff); /* jmp rax */
		x64_u8(x, 0xe0);
	}
}

static bool make_trampoline(struct emu_jit *j)
{
	struct x64_buf x;
	x64_init(&x, j->scratch, JIT_TRAMP_SIZE, (uint64_t)(uintptr_t)j->buf);
	emit_shared(j, &x);
	if (x.full || mprotect(j->buf, JIT_TRAMP_SIZE, PROT_READ | PROT_WRITE) < 0)
		return false;
	memcpy(j->buf, j->scratch, x64_len(&x));
	if (mprotect(j->buf, JIT_TRAMP_SIZE, PROT_READ | PROT_EXEC) < 0)
		return false;
	j->enter = (void (*)(struct emu_cpu *, const void *))(void *)j->buf;
	return true;
}

struct emu_jit *emu_jit_new(unsigned hot_runs)
{
	struct emu_jit *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->scratch = malloc(JIT_SCRATCH_SIZE);
	j->buf = mmap(NULL, JIT_BUF_SIZE + JIT_DATA_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		      0);
	if (!j->scratch || j->buf == MAP_FAILED)
		goto fail;
	j->data = (struct jit_data *)(j->buf + JIT_BUF_SIZE);
	if (mprotect(j->data, JIT_DATA_SIZE, PROT_READ | PROT_WRITE) < 0 || !make_trampoline(j))
		goto fail;
	data_reset(j);
	j->used = j->committed = JIT_TRAMP_SIZE;
	j->hot = hot_runs ? hot_runs : EMU_JIT_HOT_RUNS;
	j->epoch = 1;
	return j;
fail:
	if (j->buf != MAP_FAILED && j->buf)
		munmap(j->buf, JIT_BUF_SIZE + JIT_DATA_SIZE);
	free(j->scratch);
	free(j);
	return NULL;
}

void emu_jit_free(struct emu_jit *j)
{
	if (!j)
		return;
	munmap(j->buf, JIT_BUF_SIZE + JIT_DATA_SIZE);
	free(j->scratch);
	free(j);
}

void emu_jit_get_stats(const struct emu_jit *j, struct emu_jit_stats *s) { *s = j->st; }

/* ---- translation ---- */

/* ---- the register cache (emit.h) ---- */

static const uint8_t cache_host[JIT_NREGS] = { X_RSI, X_RDI, X_R8, X_R9, X_R10, X_R11 };

/* Store the dirty registers of held (a bit mask of dirty). */
static void rc_store(struct tr *t, const int8_t *held, uint8_t dirty)
{
	for (unsigned k = 0; k < JIT_NREGS; k++)
		if (dirty & (1u << k))
			x64_store(&t->x, true, M(GPR((unsigned)held[k])), cache_host[k]);
}

/* Every register written is stored back; the cache stays. */
static void rc_flush(struct tr *t)
{
	rc_store(t, t->held, t->dirty);
	t->dirty = 0;
}

/* Forget the cache (after a call took the registers; flushed before). */
void rc_reset(struct tr *t)
{
	memset(t->held, -1, sizeof(t->held));
	t->dirty = 0;
}

/* Slot k stored back if it was written (the cache keeps it). */
static void rc_clean(struct tr *t, unsigned k)
{
	if (t->dirty & (1u << k))
		x64_store(&t->x, true, M(GPR((unsigned)t->held[k])), cache_host[k]);
	t->dirty &= (uint8_t) ~(1u << k);
}

static int rc_find(const struct tr *t, unsigned g)
{
	for (int k = 0; k < JIT_NREGS; k++)
		if (t->held[k] == (int8_t)g)
			return k;
	return -1;
}

/* The slot of g: the one that holds it (*had), else a free one or the
 * least recently used (stored back first when dirty), given to g. */
static unsigned rc_slot(struct tr *t, unsigned g, bool *had)
{
	int k = rc_find(t, g);
	*had = k >= 0;
	if (k < 0) {
		k = 0;
		for (int n = 0; n < JIT_NREGS; n++) {
			if (t->held[n] < 0) {
				k = n;
				break;
			}
			if (t->used[n] < t->used[k])
				k = n;
		}
		rc_clean(t, (unsigned)k);
		t->held[k] = (int8_t)g;
	}
	t->used[k] = ++t->clock;
	return (unsigned)k;
}

/* The host register holding guest register g, loaded if it was not;
 * valid until the next rc_slot (two calls in a row give two registers). */
static unsigned reg_get(struct tr *t, unsigned g)
{
	bool had;
	unsigned k = rc_slot(t, g, &had);
	if (!had)
		x64_load(&t->x, true, cache_host[k], M(GPR(g)));
	return cache_host[k];
}

/* dst = guest register g (w: all of it, else the low half zero-extended) */
void reg_rd(struct tr *t, bool w, unsigned dst, unsigned g) { x64_mov_rr(&t->x, w, dst, reg_get(t, g)); }

/* The host register for a new value of all of guest register g (stored back later). */
static unsigned reg_def(struct tr *t, unsigned g)
{
	bool had;
	unsigned k = rc_slot(t, g, &had);
	t->dirty |= (uint8_t)(1u << k);
	return cache_host[k];
}

/* Guest register g (held: just given by reg_get) was changed in its host register. */
static void reg_dirty(struct tr *t, unsigned g)
{
	int k = rc_find(t, g);
	if (k >= 0)
		t->dirty |= (uint8_t)(1u << k);
}

/* The host register holding guest register g, to be changed in place
 * (a byte or a word of it): loaded if it was not, stored back later. */
static unsigned reg_upd(struct tr *t, unsigned g)
{
	unsigned h = reg_get(t, g);
	reg_dirty(t, g);
	return h;
}

/* guest register g = all of src (stored back later) */
void reg_wr(struct tr *t, unsigned g, unsigned src) { x64_mov_rr(&t->x, true, reg_def(t, g), src); }

/* guest register d = guest register s (w: all of it, else zero-extended) */
static void reg_mov(struct tr *t, bool w, unsigned d, unsigned s)
{
	unsigned hs = reg_get(t, s);
	x64_mov_rr(&t->x, w, reg_def(t, d), hs);
}

/* Guest register g's copy in struct emu_cpu is to be read or written
 * directly (a byte or a word of it): stored back first, and forgotten
 * when it is to be written. */
static void reg_mem(struct tr *t, unsigned g, bool write)
{
	int k = rc_find(t, g);
	if (k < 0)
		return;
	rc_clean(t, (unsigned)k);
	if (write)
		t->held[k] = -1;
}

struct cold *cold_new(struct tr *t, enum cold_kind kind)
{
	if (t->ncold == JIT_MAX_COLD) {
		t->overflow = true;
		return &t->cold[0]; /* the translation is dropped anyway */
	}
	struct cold *k = &t->cold[t->ncold++];
	memset(k, 0, sizeof(*k));
	k->kind = (uint8_t)kind;
	k->i = t->i;
	k->rip = t->rip;
	k->fall = t->fall;
	k->cnt = t->i + 1;
	return k;
}

/* A conditional jump from here to k. */
void cold_jcc(struct tr *t, struct cold *k, unsigned cc)
{
	if (k->nfrom < 4)
		k->from[k->nfrom++] = x64_jcc_fwd(&t->x, cc);
	else
		t->overflow = true;
	memcpy(k->held, t->held, sizeof(k->held)); /* the same at each jump of one instruction's */
	memcpy(k->back_held, t->held, sizeof(k->back_held));
	k->dirty = t->dirty;
}

static struct jit_link *link_new(struct tr *t, uint64_t target)
{
	if (t->j->nlinks == JIT_MAX_LINKS) {
		t->overflow = true;
		return &t->j->data->links[0];
	}
	struct jit_link *l = &t->j->data->links[t->j->nlinks++];
	link_clear(t->j, l, target);
	return l;
}

/* c->icount = r12 + cnt. */
static void emit_icount(struct tr *t, unsigned cnt)
{
	if (cnt) {
		x64_lea(&t->x, X_RCX, x64_m(X_R12, (int32_t)cnt));
		x64_store(&t->x, true, M(CPU(icount)), X_RCX);
	} else {
		x64_store(&t->x, true, M(CPU(icount)), X_R12);
	}
}

/* Back to the run loop with RIP = rax (instructions counted already). */
static void emit_leave_rax(struct tr *t)
{
	x64_store(&t->x, true, M(CPU(rip)), X_RAX);
	x64_store(&t->x, true, M(CPU(next_rip)), X_RAX);
	x64_jmp_abs(&t->x, t->j->sh[SH_LEAVE]);
}

/* call a shared piece (a C helper's thunk) */
static void emit_call_sh(struct tr *t, enum jit_shared k) { x64_call_abs(&t->x, t->j->sh[k]); }

/* rdi = c, rsi = instruction i's descriptor, rdx = the count at the block's entry */
void emit_helper_args(struct tr *t, unsigned i)
{
	x64_mov_rr(&t->x, true, X_RDI, X_RBX);
	x64_lea(&t->x, X_RSI, x64_rip(&t->tb->insn[i]));
	x64_mov_rr(&t->x, true, X_RDX, X_R12);
}

/* At the end of an instruction with a slow path: leave when it broke. */
void emit_break_check(struct tr *t)
{
	if (!t->slow)
		return;
	x64_test_rr(&t->x, false, X_RBP, X_RBP);
	cold_jcc(t, cold_new(t, COLD_BREAK), X_CC_NE);
	t->slow = false;
	t->hf_valid = t->hf_nocf = false;
}

/*
 * Leave for target with cnt instructions retired: into its translation
 * when link names it and it is what the run loop would run there, else
 * back to the run loop asking it to fill the link. Never after a break
 * (emit_break_check comes first).
 */
static void emit_direct_exit(struct tr *t, uint64_t target, unsigned cnt, struct jit_link *l)
{
	(void)target; /* l->rip */
	struct x64_buf *x = &t->x;
	x64_lea(x, X_R12, x64_m(X_R12, (int32_t)cnt));
	x64_lea(x, X_RSI, x64_rip(l));
	x64_jmp_m(x, x64_rip(&l->code)); /* armed: the target; else SH_VALIDATE_LINK */
}

/* The same for the target in rax, through the inline cache. */
static void emit_indirect_exit(struct tr *t, unsigned cnt)
{
	struct x64_buf *x = &t->x;
	x64_lea(x, X_R12, x64_m(X_R12, (int32_t)cnt));
	/* rsi = &cache[(rax ^ rax >> 12) % JIT_CACHE_SIZE] */
	x64_mov_rr(x, true, X_RSI, X_RAX);
	x64_shift_ri(x, true, X_SHR, X_RSI, GUEST_PAGE_SHIFT);
	x64_alu_rr(x, false, X_XOR, X_RSI, X_RAX);
	x64_alu_ri(x, false, X_AND, X_RSI, JIT_CACHE_SIZE - 1);
	x64_shift_ri(x, false, X_SHL, X_RSI, 6);
	x64_lea(x, X_RCX, x64_rip(&t->j->data->cache[0]));
	x64_alu_rr(x, true, X_ADD, X_RSI, X_RCX);
	x64_alu_rm(x, true, X_CMP, X_RAX, x64_m(X_RSI, LINK(rip)));
	x64_jcc_abs(x, X_CC_NE, t->j->sh[SH_MISS_CACHE]);
	x64_jmp_m(x, x64_m(X_RSI, LINK(code))); /* armed: the target; else SH_VALIDATE_CACHE */
}

/* ---- memory ---- */

/*
 * The inline TLB probe for an access of size bytes at seg:r14 (kind acc):
 * emu_tlb_host's hit rule, and for writes emu_wr's (not while writes are
 * tracked). On a hit rax + the register returned (the linear address:
 * r14, or rdx with an FS or GS base) is the host address (rax the
 * entry's addend); every
 * miss jumps to k. The tag compared is that of the access's last byte, so
 * an access that crosses into the next page misses (that page's tag is
 * never in this page's entry).
 */
unsigned emit_tlb_probe(struct tr *t, unsigned seg, unsigned size, int acc, struct cold *k)
{
	struct x64_buf *x = &t->x;
	unsigned la = X_R14;
	if (seg >= RAX_SEG_FS) {
		la = X_RDX;
		x64_mov_rr(x, true, X_RDX, X_R14);
		x64_alu_rm(x, true, X_ADD, X_RDX, M(SEG_BASE(seg)));
	}
	x64_mov_rr(x, false, X_RAX, la);
	emit_tlb_index(x, X_RAX);
	x64_lea(x, X_RCX, x64_m(la, (int32_t)size - 1));
	x64_alu_ri(x, true, X_AND, X_RCX, (int32_t)~GUEST_PAGE_OFFSET);
	x64_alu_rr(x, true, X_OR, X_RCX, X_R13);
	x64_alu_rm(x, true, X_CMP, X_RCX, x64_mi(X_RBX, X_RAX, 0, TLB(acc) + TLBF(fast)));
	cold_jcc(t, k, X_CC_NE);
	x64_load(x, true, X_RAX, x64_mi(X_RBX, X_RAX, 0, TLB(acc) + TLBF(addend)));
	if (acc == ACC_W) {
		x64_cmp_m8i(x, M(CPU(track_writes)), 0);
		cold_jcc(t, k, X_CC_NE);
	}
	return la;
}

/* An inline access: its descriptor, the TLB probe (a miss goes to the
 * returned cold piece of kind) and, after the caller's move through *at
 * (the host address), access_end (where the slow path comes back). */
static struct cold *access_begin(struct tr *t, enum cold_kind kind, unsigned seg, unsigned size, int acc,
				 struct x64_mem *at)
{
	struct cold *k = cold_new(t, kind);
	t->d[t->i].seg = (uint8_t)seg;
	t->d[t->i].size = (uint8_t)size;
	*at = x64_mi(X_RAX, emit_tlb_probe(t, seg, size, acc, k), 0, 0);
	return k;
}

void access_end(struct tr *t, struct cold *k)
{
	k->back = x64_len(&t->x);
	t->slow = true;
	t->hf_valid = t->hf_nocf = false;
}

/* rax = the size-byte value at seg:r14, zero-extended (emu_rd; emu_rd_rmw for acc ACC_W). */
void emit_load(struct tr *t, unsigned seg, unsigned size, int acc)
{
	struct x64_mem at;
	struct cold *k = access_begin(t, COLD_LOAD, seg, size, acc, &at);
	t->d[t->i].acc = (uint8_t)acc;
	switch (size) {
	case 1: x64_load_zx8(&t->x, X_RAX, at); break;
	case 2: x64_load_zx16(&t->x, X_RAX, at); break;
	case 4: x64_load(&t->x, false, X_RAX, at); break;
	default: x64_load(&t->x, true, X_RAX, at); break;
	}
	access_end(t, k);
}

/* seg:r14 = the low size bytes of r15 (emu_wr). */
void emit_store(struct tr *t, unsigned seg, unsigned size)
{
	struct x64_mem at;
	struct cold *k = access_begin(t, COLD_STORE, seg, size, ACC_W, &at);
	switch (size) {
	case 1: x64_store8(&t->x, at, X_R15); break;
	case 2: x64_store16(&t->x, at, X_R15); break;
	case 4: x64_store(&t->x, false, at, X_R15); break;
	default: x64_store(&t->x, true, at, X_R15); break;
	}
	access_end(t, k);
}

/* After a slow path's call: the register cache as it is at k->back. */
void emit_reload(struct tr *t, const struct cold *k)
{
	for (unsigned r = 0; r < JIT_NREGS; r++)
		if (k->back_held[r] >= 0)
			x64_load(&t->x, true, cache_host[r], M(GPR((unsigned)k->back_held[r])));
}

static void emit_cond_call(struct tr *t, unsigned cc);
static void emit_sunk(struct tr *t, const struct jit_sunk *s);

/* The out-of-line pieces, after the hot code. */
static void emit_cold(struct tr *t)
{
	for (unsigned n = 0; n < t->ncold; n++) {
		struct cold *k = &t->cold[n];
		for (unsigned f = 0; f < k->nfrom; f++)
			x64_patch(&t->x, k->from[f]);
		rc_store(t, k->held, k->dirty); /* before a call or an exit */
		switch (k->kind) {
		case COLD_LOAD:
		case COLD_STORE: /* rax (the value), rdx (broke) = jit_load(c, d, r12, r14); jit_store(c, d, r12, r14, r15) */
			emit_helper_args(t, k->i);
			x64_mov_rr(&t->x, true, X_RCX, X_R14);
			if (k->kind == COLD_LOAD) {
				emit_call_sh(t, SH_LOAD);
				x64_alu_rr(&t->x, false, X_OR, X_RBP, X_RDX);
			} else {
				x64_mov_rr(&t->x, true, X_R8, X_R15);
				emit_call_sh(t, SH_STORE);
				x64_alu_rr(&t->x, false, X_OR, X_RBP, X_RAX);
			}
			emit_reload(t, k);
			x64_jmp_to(&t->x, k->back);
			break;
		case COLD_BREAK:
			emit_icount(t, k->cnt);
			x64_mov_imm(&t->x, X_RAX, k->fall);
			emit_leave_rax(t);
			break;
		case COLD_BREAK_RAX:
			emit_icount(t, k->cnt);
			emit_leave_rax(t);
			break;
		case COLD_DIRECT:
			if (k->sunk.valid)
				emit_sunk(t, &k->sunk);
			emit_direct_exit(t, k->target, k->cnt, k->link);
			break;
		case COLD_INDIRECT: emit_indirect_exit(t, k->cnt); break;
		case COLD_TAKEN: /* SH_AFTER's 1 (leave, stored) or 2 (rdx: the target) */
			x64_alu_ri(&t->x, false, X_CMP, X_RAX, 1);
			x64_jcc_abs(&t->x, X_CC_E, t->j->sh[SH_LEAVE]);
			x64_mov_rr(&t->x, true, X_RAX, X_RDX);
			emit_indirect_exit(t, k->cnt);
			break;
		case COLD_GP:
			emit_helper_args(t, k->i);
			emit_call_sh(t, SH_GP);
			break;
		case COLD_COND:
			emit_cond_call(t, (unsigned)k->target);
			emit_reload(t, k);
			x64_jmp_to(&t->x, k->back);
			break;
		case COLD_OUT:
			emit_icount(t, 0);
			x64_mov_imm(&t->x, X_RAX, t->start);
			emit_leave_rax(t);
			break;
		case COLD_EXT: k->emit(t, k); break;
		}
	}
}

/* dst = the effective address of in (64-bit addressing). */
void emit_ea(struct tr *t, const struct emu_insn *in, unsigned dst)
{
	int64_t disp = in->disp;
	if (in->base == EMU_REG_RIP) {
		x64_mov_imm(&t->x, dst, t->fall + (uint64_t)disp);
		return;
	}
	if (in->base == EMU_REG_NONE) {
		x64_mov_imm(&t->x, dst, (uint64_t)disp);
		if (in->index != EMU_REG_NONE)
			x64_lea(&t->x, dst, x64_mi(dst, reg_get(t, in->index), in->scale, 0));
		return;
	}
	unsigned base = reg_get(t, in->base);
	if (in->index != EMU_REG_NONE)
		x64_lea(&t->x, dst, x64_mi(base, reg_get(t, in->index), in->scale, (int32_t)disp));
	else
		x64_lea(&t->x, dst, x64_m(base, (int32_t)disp));
}

/* ---- flags and conditions ---- */

/* The lazy flags of op whose operands are stored (or not needed): its
 * result and op (nothing when they are dead). */
static void lazy_result(struct tr *t, unsigned op, unsigned size, unsigned res)
{
	if (t->flags_dead) { /* a later instruction of the block replaces these flags before anything reads them */
		t->lf_op = LF_UNKNOWN;
		return;
	}
	x64_store(&t->x, true, M(CPU(lf_res)), res);
	x64_store16_imm(&t->x, M(CPU(lf_op)),
			(uint16_t)(op | size << 8)); /* one store: read as one by the entry check */
	t->lf_op = (uint8_t)op;
	t->lf_size = (uint8_t)size;
}

/* Store the lazy flags of op over (a, b, result) in rax-free registers
 * (nothing when they are dead). */
static void emit_lazy(struct tr *t, unsigned op, unsigned size, unsigned ra, unsigned rb, unsigned rres)
{
	if (!t->flags_dead && op != LF_LOGIC) { /* a logic op's flags come from its result alone (flags.c) */
		x64_store(&t->x, true, M(CPU(lf_a)), ra);
		x64_store(&t->x, true, M(CPU(lf_b)), rb);
	}
	lazy_result(t, op, size, rres);
}

/* dst = the size-byte value at m, zero-extended */
static void emit_load_sized(struct tr *t, unsigned size, unsigned dst, struct x64_mem m)
{
	switch (size) {
	case 1: x64_load_zx8(&t->x, dst, m); break;
	case 2: x64_load_zx16(&t->x, dst, m); break;
	case 4: x64_load(&t->x, false, dst, m); break;
	default: x64_load(&t->x, true, dst, m); break;
	}
}

/* op dst, [m] at operand size size (1: dst is al..bl) */
static void emit_op_sized(struct tr *t, unsigned size, enum x64_alu op, unsigned dst, struct x64_mem m)
{
	if (size == 1)
		x64_alu8_rm(&t->x, op, dst, m);
	else
		x64_alu_rm(&t->x, size == 8, op, dst, m);
}

/* The host's flags as the lazy op over lf_a, lf_b (lf_cin) and lf_res set
 * them (CF, OF, SF, ZF and PF as the guest's); false for an op that has
 * no such form. */
static bool emit_lazy_flags(struct tr *t, unsigned op, unsigned size)
{
	switch (op) {
	case LF_SUB: /* the host's CMP over the same operands sets the same flags */
	case LF_ADD:
		emit_load_sized(t, size, X_RAX, M(CPU(lf_a)));
		emit_op_sized(t, size, op == LF_ADD ? X_ADD : X_CMP, X_RAX, M(CPU(lf_b)));
		return true;
	case LF_ADC: /* the same with the carry in */
	case LF_SBB:
		x64_load_zx8(&t->x, X_RCX, M(CPU(lf_cin)));
		emit_load_sized(t, size, X_RAX, M(CPU(lf_a)));
		x64_bt_ri(&t->x, false, X_RCX, 0);
		emit_op_sized(t, size, op == LF_ADC ? X_ADC : X_SBB, X_RAX, M(CPU(lf_b)));
		return true;
	case LF_INC: /* CF from before, the rest as the host's INC/DEC sets them */
	case LF_DEC:
		x64_load_zx8(&t->x, X_RCX, M(CPU(lf_cin)));
		emit_load_sized(t, size, X_RAX, M(CPU(lf_a)));
		x64_bt_ri(&t->x, false, X_RCX, 0);
		if (size == 1)
			x64_incdec8(&t->x, op == LF_DEC, X_RAX);
		else
			x64_incdec(&t->x, size == 8, op == LF_DEC, X_RAX);
		return true;
	case LF_LOGIC: /* CF = OF = 0, SF ZF PF of the result */
		emit_load_sized(t, size, X_RAX, M(CPU(lf_res)));
		if (size == 1)
			x64_alu8_rr(&t->x, X_AND, X_RAX, X_RAX);
		else
			x64_test_rr(&t->x, size == 8, X_RAX, X_RAX);
		return true;
	default: return false;
	}
}

/* Whether emit_lazy_flags has a form for op. */
static bool lazy_flags_inline(unsigned op)
{
	return op == LF_SUB || op == LF_ADD || op == LF_ADC || op == LF_SBB || op == LF_INC || op == LF_DEC ||
		op == LF_LOGIC;
}

/* emu_cond's answer in al (0 or 1): the registers the call takes are lost. */
static void emit_cond_call(struct tr *t, unsigned cc)
{
	x64_mov_rr(&t->x, true, X_RDI, X_RBX);
	x64_mov_imm(&t->x, X_RSI, cc);
	emit_call_sh(t, SH_COND);
}

/* Host flags that decide guest condition cc; returns the host condition
 * to test (cc itself, or NE over emu_cond's answer). */
static unsigned emit_cond(struct tr *t, unsigned cc)
{
	/* B, AE, BE, A read CF */
	bool cf = (cc & 0xe) == X_CC_B || (cc & 0xe) == X_CC_BE;
	if (t->hf_valid || (t->hf_nocf && !cf))
		return cc;
	if (t->lf_op == LF_ENTRY && lazy_flags_inline(t->entry_op)) {
		/* the lazy op the block was entered with, as it was when it was
		 * translated; emu_cond out of line when it is another */
		struct cold *k = cold_new(t, COLD_COND);
		k->target = cc;
		x64_cmp_m16i(&t->x, M(CPU(lf_op)), (uint16_t)(t->entry_op | t->entry_size << 8));
		cold_jcc(t, k, X_CC_NE);
		emit_lazy_flags(t, t->entry_op, t->entry_size);
		x64_setcc_r8(&t->x, cc, X_RAX);
		k->back = x64_len(&t->x);
		x64_movzx8_rr(&t->x, X_RAX, X_RAX);
		x64_test_rr(&t->x, false, X_RAX, X_RAX);
		return X_CC_NE;
	}
	if (t->lf_op != LF_ENTRY && emit_lazy_flags(t, t->lf_op, t->lf_size)) {
		t->hf_valid = true;
		return cc;
	}
	rc_flush(t);
	rc_reset(t);
	emit_cond_call(t, cc);
	x64_movzx8_rr(&t->x, X_RAX, X_RAX); /* a bool: only al is defined */
	x64_test_rr(&t->x, false, X_RAX, X_RAX);
	return X_CC_NE;
}

/* r = the guest's CF (0 or 1; r is rax or rcx), as emu_cf() */
static void emit_cf(struct tr *t, unsigned r)
{
	if (!t->hf_valid && (t->lf_op == LF_INC || t->lf_op == LF_DEC)) {
		x64_load_zx8(&t->x, r, M(CPU(lf_cin)));
		return;
	}
	unsigned cc = emit_cond(t, X_CC_B);
	x64_setcc_r8(&t->x, cc, r);
	x64_movzx8_rr(&t->x, r, r);
}

/* ---- the forms ---- */

/* AH..BH: 8-bit register r of in names the second byte of a register */
static bool gpr8_high(const struct emu_insn *in, unsigned r) { return !(in->pfx & EMU_P_REX) && r >= 4 && r < 8; }

/* dst = register r of in at operand size size (1: r names a byte register), zero-extended */
static void reg_rd_sized(struct tr *t, const struct emu_insn *in, unsigned size, unsigned dst, unsigned r)
{
	if (size >= 4) {
		reg_rd(t, size == 8, dst, r);
	} else if (size == 1 && gpr8_high(in, r)) { /* AH..BH: from struct emu_cpu */
		reg_mem(t, r - 4, false);
		x64_load_zx8(&t->x, dst, M(GPR(r - 4) + 1));
	} else if (size == 1) {
		x64_movzx8_rr(&t->x, dst, reg_get(t, r));
	} else {
		x64_movzx16_rr(&t->x, dst, reg_get(t, r));
	}
}

/* Register r of in = src at operand size size (4: zero-extended, as src
 * must be; 1 and 2: the rest of the register kept) */
static void reg_wr_sized(struct tr *t, const struct emu_insn *in, unsigned size, unsigned r, unsigned src)
{
	if (size >= 4) {
		reg_wr(t, r, src);
	} else if (size == 1 && gpr8_high(in, r)) { /* AH..BH: in struct emu_cpu */
		reg_mem(t, r - 4, true);
		x64_store8(&t->x, M(GPR(r - 4) + 1), src);
	} else if (size == 1) {
		x64_mov8_rr(&t->x, reg_upd(t, r), src);
	} else {
		x64_mov16_rr(&t->x, reg_upd(t, r), src);
	}
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
	bool plant = emu_plant == EMU_PLANT_JIT && op == X_ADD && size == 8 && s != X_NOREG && !test;
	bool sink = t->flags_sunk && !plant;
	if (sink)
		t->flags_dead = true; /* on the way through; the Jcc's exit stores them */
	bool w = size == 8, live = !t->flags_dead, writes = op != X_CMP && !test;
	/* operands kept for the lazy flags (a logic op's come from its result) */
	bool operands = live && alu_lf(op) != LF_LOGIC;
	unsigned hd, hs = X_NOREG, res;
	if (s == X_NOREG && !operands && (!w || (int64_t)imm == (int32_t)imm)) { /* op r, imm32 */
		hd = res = reg_get(t, d);
		int32_t i32 = (int32_t)(uint32_t)imm;
		if (test && live) { /* the result to the lazy flags */
			x64_mov_imm(&t->x, X_RAX, imm & mask_of(size));
			x64_alu_rr(&t->x, w, X_AND, X_RAX, hd);
			res = X_RAX;
		} else if (test) {
			x64_test_ri(&t->x, w, hd, i32);
		} else {
			x64_alu_ri(&t->x, w, op, hd, i32);
		}
	} else {
		unsigned hb = X_RCX;
		if (s == X_NOREG)
			x64_mov_imm(&t->x, X_RCX, imm & mask_of(size));
		hd = res = reg_get(t, d);
		if (s != X_NOREG)
			hb = hs = reg_get(t, s);
		if (operands) { /* whole registers: the lazy flags' readers mask them to the size */
			x64_store(&t->x, true, M(CPU(lf_a)), hd);
			x64_store(&t->x, true, M(CPU(lf_b)), hb);
		}
		if (writes) {
			x64_alu_rr(&t->x, w && !plant, op, hd, hb); /* the plant: a 32-bit ADD */
		} else if (live) { /* CMP as SUB and TEST as AND: the result goes to the lazy flags */
			x64_mov_rr(&t->x, true, X_RAX, hd);
			x64_alu_rr(&t->x, w, host_op(op, test), X_RAX, hb);
			res = X_RAX;
		} else if (test) {
			x64_test_rr(&t->x, w, hd, hb);
		} else {
			x64_alu_rr(&t->x, w, X_CMP, hd, hb);
		}
	}
	if (writes)
		reg_dirty(t, d);
	t->hf_valid = true;
	lazy_result(t, alu_lf(op), size, res);
	if (sink)
		t->sunk = (struct jit_sunk){ true, test, (uint8_t)op, (uint8_t)size, (uint8_t)hd, (uint8_t)hs, imm };
}

/* The lazy flags of s stored, from what is in its registers at the Jcc
 * (emit_alu_reg's and emit_alu_gen's); uses rax and rcx. */
static void emit_sunk(struct tr *t, const struct jit_sunk *s)
{
	struct x64_buf *x = &t->x;
	enum x64_alu op = (enum x64_alu)s->op;
	unsigned lf = alu_lf(op), hb = s->hs, res = s->hd;
	if (hb == X_NOREG) {
		x64_mov_imm(x, X_RCX, s->imm & mask_of(s->size));
		hb = X_RCX;
	}
	/* whole registers, as the forms store them: the readers mask them to the size */
	if (s->test || op == X_CMP) { /* no result written: computed */
		x64_mov_rr(x, true, X_RAX, s->hd);
		x64_alu_rr(x, true, host_op(op, s->test), X_RAX, hb);
		res = X_RAX;
	}
	x64_store(x, true, M(CPU(lf_res)), res);
	if (lf != LF_LOGIC) {
		if (op == X_CMP) {
			x64_store(x, true, M(CPU(lf_a)), s->hd);
		} else { /* the first operand from the result: res - b (ADD), res + b (SUB) */
			x64_mov_rr(x, true, X_RAX, res);
			x64_alu_rr(x, true, op == X_ADD ? X_SUB : X_ADD, X_RAX, hb);
			x64_store(x, true, M(CPU(lf_a)), X_RAX);
		}
		x64_store(x, true, M(CPU(lf_b)), hb);
	}
	x64_store16_imm(x, M(CPU(lf_op)), (uint16_t)(lf | s->size << 8));
}

/* ALU op on memory (dst_mem) or on register reg with a memory source, as alu_E/alu_G. */
static void emit_alu_mem(struct tr *t, const struct emu_insn *in, enum x64_alu op, bool test, unsigned size,
			 bool dst_mem, bool has_imm)
{
	bool w = size == 8, writes = op != X_CMP && !test;
	emit_ea(t, in, X_R14);
	if (dst_mem) {
		emit_load(t, in->seg, size, writes ? ACC_W : ACC_R);
		x64_store(&t->x, true, x64_m(X_RSP, 0), X_RAX); /* a, kept in the frame across the store */
		if (has_imm)
			x64_mov_imm(&t->x, X_RCX, in->imm & mask_of(size));
		else
			reg_rd(t, w, X_RCX, in->reg);
		x64_alu_rr(&t->x, w, host_op(op, test), X_RAX, X_RCX);
		x64_mov_rr(&t->x, true, X_R15, X_RAX);
		if (writes)
			emit_store(t, in->seg, size); /* may fault: the flags after */
		if (has_imm)
			x64_mov_imm(&t->x, X_RCX, in->imm & mask_of(size));
		else
			reg_rd(t, w, X_RCX, in->reg);
		x64_load(&t->x, true, X_RDX, x64_m(X_RSP, 0));
		emit_lazy(t, alu_lf(op), size, X_RDX, X_RCX, X_R15);
	} else {
		emit_load(t, in->seg, size, ACC_R);
		x64_mov_rr(&t->x, true, X_RCX, X_RAX); /* b */
		reg_rd(t, w, X_RAX, in->reg);
		x64_mov_rr(&t->x, true, X_RDX, X_RAX); /* a */
		x64_alu_rr(&t->x, w, host_op(op, test), X_RAX, X_RCX);
		if (writes)
			reg_wr(t, in->reg, X_RAX);
		emit_lazy(t, alu_lf(op), size, X_RDX, X_RCX, X_RAX);
	}
	emit_break_check(t);
}

/* SHL/SHR/SAR register by an immediate, as shift_reg(). */
static void emit_shift_reg(struct tr *t, const struct emu_insn *in, enum x64_shift op, unsigned size, unsigned count)
{
	bool w = size == 8;
	unsigned cnt = count & (w ? 63 : 31);
	if (!cnt) { /* nothing changes but a 32-bit register's upper half */
		if (!w)
			reg_mov(t, false, in->rm, in->rm);
		return;
	}
	if (t->flags_dead) { /* in place */
		x64_shift_ri(&t->x, w, op, reg_upd(t, in->rm), (uint8_t)cnt);
	} else {
		reg_rd(t, w, X_RAX, in->rm);
		x64_mov_rr(&t->x, true, X_RDX, X_RAX);
		x64_shift_ri(&t->x, w, op, X_RAX, (uint8_t)cnt);
		reg_wr(t, in->rm, X_RAX);
		x64_mov_imm(&t->x, X_RCX, cnt);
	}
	emit_lazy(t, op == X_SHL ? LF_SHL : op == X_SHR ? LF_SHR : LF_SAR, size, X_RDX, X_RCX, X_RAX);
	/* by one the host's flags are the model's (AF aside, which no condition reads);
	 * after a multi-bit shift the host's OF is not */
	t->hf_valid = cnt == 1;
	t->lf_op = LF_UNKNOWN;
}

/* ROL/ROR register by an immediate, as shift_calc and emu_rot_flags: CF
 * and OF go to rflags, and the operation that set the other flags stays
 * behind LF_ROT. */
static void emit_rot_reg(struct tr *t, const struct emu_insn *in, bool ror, unsigned size, unsigned count)
{
	bool w = size == 8;
	unsigned bits = size * 8, cnt = count & (bits - 1);
	reg_rd(t, w, X_RAX, in->rm);
	if (!cnt) { /* nothing changes but a 32-bit register's upper half */
		if (!w)
			reg_wr(t, in->rm, X_RAX);
		return;
	}
	x64_shift_ri(&t->x, w, ror ? X_ROR : X_ROL, X_RAX, (uint8_t)cnt);
	reg_wr(t, in->rm, X_RAX);
	if (t->flags_dead) {
		t->lf_op = LF_UNKNOWN;
		return;
	}
	/* ROL: CF = bit 0, OF = the top bit ^ CF; ROR: CF = the top bit, OF = the top two bits' xor */
	unsigned cf = ror ? X_RCX : X_RDX, of = ror ? X_RDX : X_RCX;
	x64_mov_rr(&t->x, w, X_RCX, X_RAX);
	x64_shift_ri(&t->x, w, X_SHR, X_RCX, (uint8_t)(bits - 1));
	x64_mov_rr(&t->x, w, X_RDX, X_RAX);
	if (ror)
		x64_shift_ri(&t->x, w, X_SHR, X_RDX, (uint8_t)(bits - 2));
	x64_alu_ri(&t->x, false, X_AND, X_RDX, 1);
	x64_alu_rr(&t->x, false, X_XOR, of, cf);
	x64_shift_ri(&t->x, false, X_SHL, of, 11);
	x64_alu_rr(&t->x, false, X_OR, of, cf);
	x64_load(&t->x, true, X_RAX, M(CPU(rflags)));
	x64_alu_ri(&t->x, true, X_AND, X_RAX, (int32_t) ~(RFLAGS_CF | RFLAGS_OF));
	x64_alu_rr(&t->x, true, X_OR, X_RAX, of);
	x64_store(&t->x, true, M(CPU(rflags)), X_RAX);
	if (t->lf_op != LF_UNKNOWN && t->lf_op != LF_ENTRY) { /* a lazy op of this block (never LF_NONE or LF_ROT) */
		x64_store_imm8(&t->x, M(CPU(lf_op2)), t->lf_op);
		x64_store_imm8(&t->x, M(CPU(lf_op)), LF_ROT);
	} else { /* as emu_rot_flags: LF_NONE and LF_ROT stay */
		x64_load_zx8(&t->x, X_RCX, M(CPU(lf_op)));
		x64_test_rr(&t->x, false, X_RCX, X_RCX);
		size_t none = x64_jcc_fwd(&t->x, X_CC_E);
		x64_alu_ri(&t->x, false, X_CMP, X_RCX, LF_ROT);
		size_t rot = x64_jcc_fwd(&t->x, X_CC_E);
		x64_store8(&t->x, M(CPU(lf_op2)), X_RCX);
		x64_store_imm8(&t->x, M(CPU(lf_op)), LF_ROT);
		x64_patch(&t->x, none);
		x64_patch(&t->x, rot);
	}
	t->lf_op = LF_UNKNOWN;
}

/* reg = rax * rcx at size, with IMUL's flags (LF_MUL: the overflow in lf_cin). */
static void emit_imul_rax_rcx(struct tr *t, const struct emu_insn *in, unsigned size)
{
	bool w = size == 8;
	x64_imul_rr(&t->x, w, X_RAX, X_RCX);
	if (!t->flags_dead)
		x64_setcc_m(&t->x, X_CC_O, M(CPU(lf_cin)));
	reg_wr(t, in->reg, X_RAX);
	if (!t->flags_dead)
		x64_alu_rr(&t->x, false, X_XOR, X_RCX, X_RCX);
	emit_lazy(t, LF_MUL, size, X_RCX, X_RCX, X_RAX);
	t->hf_valid = t->hf_nocf = false;
	t->lf_op = LF_UNKNOWN;
}

/* IMUL reg, reg (two-operand form), as imul_rr(). */
static void emit_imul_reg(struct tr *t, const struct emu_insn *in, unsigned size)
{
	reg_rd(t, size == 8, X_RAX, in->reg);
	reg_rd(t, size == 8, X_RCX, in->rm);
	emit_imul_rax_rcx(t, in, size);
}

/* IMUL reg, r/m, imm (imul3: the flags as imul_rr's, LF_MUL) */
static void emit_imul_imm(struct tr *t, const struct emu_insn *in, unsigned size)
{
	bool w = size == 8;
	if (in->mod == 3) {
		reg_rd(t, w, X_RAX, in->rm);
	} else {
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, size, ACC_R);
	}
	x64_mov_imm(&t->x, X_RCX, in->imm & emu_mask(size));
	emit_imul_rax_rcx(t, in, size);
	emit_break_check(t);
}

/* A call of the instruction's handler with emu_run_block's bookkeeping (SH_SYNC, SH_AFTER). */
void emit_generic(struct tr *t, const struct emu_insn *in)
{
	rc_flush(t);
	rc_reset(t);
	x64_lea(&t->x, X_RSI, x64_rip(&t->tb->insn[t->i]));
	emit_call_sh(t, SH_SYNC);
	x64_mov_rr(&t->x, true, X_RDI, X_RBX);
	x64_mov_imm(&t->x, X_RAX, (uint64_t)(uintptr_t)emu_handlers[in->row]);
	x64_call_r(&t->x, X_RAX);
	x64_lea(&t->x, X_RSI, x64_rip(&t->tb->insn[t->i]));
	emit_call_sh(t, SH_AFTER);
	x64_test_rr(&t->x, false, X_RAX, X_RAX);
	cold_jcc(t, cold_new(t, COLD_TAKEN), X_CC_NE);
	t->hf_valid = t->hf_nocf = false;
	t->lf_op = LF_UNKNOWN;
}

/* A value an instruction keeps across its own code: in a stack slot when
 * a slow path (a call) may come between, else in a register that nothing
 * else of the instruction uses. */
struct kept {
	bool in_reg;
	unsigned r;
	struct x64_mem slot;
};

static struct kept keep(bool slow, struct x64_mem slot, unsigned r) { return (struct kept){ !slow, r, slot }; }

static void keep_put(struct tr *t, struct kept k, unsigned src)
{
	if (k.in_reg)
		x64_mov_rr(&t->x, true, k.r, src);
	else
		x64_store(&t->x, true, k.slot, src);
}

static void keep_get(struct tr *t, unsigned dst, struct kept k)
{
	if (k.in_reg)
		x64_mov_rr(&t->x, true, dst, k.r);
	else
		x64_load(&t->x, true, dst, k.slot);
}

/*
 * The ALU forms the fast path leaves to handlers (byte operands, ADC, SBB,
 * TEST with an immediate, AL/rAX with an immediate), as alu_E/alu_G with
 * alu_calc/alu_flags: k is the ModRM.reg digit (K_ADD..K_CMP, 8 for TEST);
 * the destination is r/m (dst_rm) or register dreg; the source is an
 * immediate (has_imm), r/m (when the destination is a register) or
 * register sreg.
 */
static void emit_alu_gen(struct tr *t, const struct emu_insn *in, unsigned k, unsigned size, bool dst_rm, unsigned dreg,
			 bool has_imm, unsigned sreg)
{
	bool test = k == 8, writes = k != X_CMP && !test, carry = k == X_ADC || k == X_SBB, w = size == 8;
	enum x64_alu op = test ? X_AND : k == X_CMP ? X_SUB : (enum x64_alu)k;
	bool mem = in->mod != 3 && (dst_rm || !has_imm);
	bool dst_mem = mem && dst_rm;
	unsigned dr = dst_rm ? in->rm : dreg;
	struct kept ka = keep(mem, SLOT_A, X_R14), kb = keep(mem, SLOT_B, X_R15), kc = keep(mem, SLOT_CIN, X_RDX);
	if (carry) { /* CF before anything else (emu_cf) */
		emit_cf(t, X_RAX);
		keep_put(t, kc, X_RAX);
	}
	/* rcx = b */
	if (has_imm) {
		x64_mov_imm(&t->x, X_RCX, in->imm & emu_mask(size));
	} else if (mem && !dst_rm) { /* the r/m source */
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, size, ACC_R);
		x64_mov_rr(&t->x, true, X_RCX, X_RAX);
	} else {
		(void)sreg;
		reg_rd_sized(t, in, size, X_RCX, dst_rm ? in->reg : in->rm);
	}
	keep_put(t, kb, X_RCX);
	/* rax = a */
	if (dst_mem) {
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, size, writes ? ACC_W : ACC_R);
		keep_get(t, X_RCX, kb);
	} else {
		reg_rd_sized(t, in, size, X_RAX, dr);
	}
	keep_put(t, ka, X_RAX);
	if (carry) {
		keep_get(t, X_RDX, kc);
		if (emu_plant == EMU_PLANT_JIT_ADC && k == X_ADC)
			x64_alu_rr(&t->x, false, X_XOR, X_RDX, X_RDX); /* the plant: no carry in */
		x64_bt_ri(&t->x, false, X_RDX, 0);
	}
	if (size == 1)
		x64_alu8_rr(&t->x, op, X_RAX, X_RCX);
	else
		x64_alu_rr(&t->x, w, op, X_RAX, X_RCX);
	t->hf_valid = true;
	if (writes) {
		if (dst_mem) {
			x64_mov_rr(&t->x, true, X_R15, X_RAX);
			emit_store(t, in->seg, size); /* may fault: the flags after */
			x64_mov_rr(&t->x, true, X_RAX, X_R15);
		} else {
			reg_wr_sized(t, in, size, dr, X_RAX);
		}
	}
	if (t->flags_sunk && !mem && !carry) { /* stored where the Jcc after is taken: the result in rax, b in rcx */
		t->sunk = (struct jit_sunk){ true, false, (uint8_t)op, (uint8_t)size, X_RAX, X_RCX, 0 };
		t->flags_dead = true;
	}
	if (t->flags_dead) { /* a later instruction of the block replaces them before anything reads them */
		t->lf_op = LF_UNKNOWN;
		emit_break_check(t);
		return;
	}
	/* the lazy flags, as alu_flags stores them */
	unsigned lf = k == X_ADD             ? LF_ADD
		: k == X_ADC                 ? LF_ADC
		: k == X_SBB                 ? LF_SBB
		: (k == X_SUB || k == X_CMP) ? LF_SUB
					     : LF_LOGIC;
	x64_store(&t->x, true, M(CPU(lf_res)), X_RAX);
	keep_get(t, X_RCX, ka);
	x64_store(&t->x, true, M(CPU(lf_a)), X_RCX);
	keep_get(t, X_RCX, kb);
	x64_store(&t->x, true, M(CPU(lf_b)), X_RCX);
	if (carry) {
		keep_get(t, X_RCX, kc);
		x64_store8(&t->x, M(CPU(lf_cin)), X_RCX);
	}
	x64_store16_imm(&t->x, M(CPU(lf_op)), (uint16_t)(lf | size << 8));
	t->lf_op = (uint8_t)lf;
	t->lf_size = (uint8_t)size;
	emit_break_check(t);
}

/* ALU kind k (8: TEST; not ADC or SBB) of register r with an immediate
 * at size 4 or 8: emit_alu_reg's form. */
static void emit_alu_imm(struct tr *t, const struct emu_insn *in, unsigned k, unsigned size, unsigned r)
{
	emit_alu_reg(t, k == 8 ? X_AND : (enum x64_alu)k, k == 8, size, r, X_NOREG, in->imm);
}

/* INC/DEC r/m, as incdec(): CF kept (lf_cin) */
static void emit_incdec(struct tr *t, const struct emu_insn *in, unsigned size, bool dec)
{
	bool w = size == 8, mem = in->mod != 3;
	struct kept ka = keep(mem, SLOT_A, X_R14), kc = keep(mem, SLOT_CIN, X_RDX);
	emit_cf(t, X_RAX);
	bool exact = t->hf_valid && !mem;     /* the host's CF is the guest's: the INC below keeps it */
	if (emu_plant == EMU_PLANT_JIT_INC) { /* the plant: CF cleared */
		x64_alu_rr(&t->x, false, X_XOR, X_RAX, X_RAX);
		exact = false;
	}
	keep_put(t, kc, X_RAX);
	if (mem) {
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, size, ACC_W);
	} else {
		reg_rd_sized(t, in, size, X_RAX, in->rm);
	}
	keep_put(t, ka, X_RAX);
	x64_mov_rr(&t->x, true, X_R15, X_RAX);
	if (size == 1) {
		x64_u8(&t->x, 0x41); /* inc/dec r15b */
		x64_u8(&t->x, 0xfe);
		x64_u8(&t->x, (uint8_t)(0xc7 | (dec ? 8 : 0)));
	} else {
		x64_incdec(&t->x, w, dec, X_R15);
	}
	if (mem)
		emit_store(t, in->seg, size);
	else
		reg_wr_sized(t, in, size, in->rm, X_R15);
	t->hf_valid = exact;
	t->hf_nocf = !mem;   /* the host's INC/DEC: OF SF ZF AF PF (CF is lf_cin) */
	if (t->flags_dead) { /* replaced before anything reads them */
		t->lf_op = LF_UNKNOWN;
		emit_break_check(t);
		return;
	}
	x64_store(&t->x, true, M(CPU(lf_res)), X_R15);
	keep_get(t, X_RCX, ka);
	x64_store(&t->x, true, M(CPU(lf_a)), X_RCX);
	x64_mov_imm(&t->x, X_RCX, 1);
	x64_store(&t->x, true, M(CPU(lf_b)), X_RCX);
	keep_get(t, X_RCX, kc);
	x64_store8(&t->x, M(CPU(lf_cin)), X_RCX);
	unsigned lf = dec ? LF_DEC : LF_INC;
	x64_store16_imm(&t->x, M(CPU(lf_op)), (uint16_t)(lf | size << 8));
	t->lf_op = (uint8_t)lf;
	t->lf_size = (uint8_t)size;
	emit_break_check(t);
}

/* MOV Eb,Gb / Gb,Eb / Eb,Ib */
static void emit_mov8(struct tr *t, const struct emu_insn *in, bool to_rm, bool has_imm)
{
	if (in->mod == 3) {
		if (has_imm)
			x64_mov_imm(&t->x, X_RAX, in->imm & 0xff);
		else
			reg_rd_sized(t, in, 1, X_RAX, to_rm ? in->reg : in->rm);
		reg_wr_sized(t, in, 1, to_rm ? in->rm : in->reg, X_RAX);
		return;
	}
	emit_ea(t, in, X_R14);
	if (to_rm) {
		if (has_imm)
			x64_mov_imm(&t->x, X_R15, in->imm & 0xff);
		else
			reg_rd_sized(t, in, 1, X_R15, in->reg);
		emit_store(t, in->seg, 1);
	} else {
		emit_load(t, in->seg, 1, ACC_R);
		reg_wr_sized(t, in, 1, in->reg, X_RAX);
	}
	emit_break_check(t);
}

/* A register form that cannot fault, branch or break (fastpath.c's
 * REG_OP): its handler called directly, without the bookkeeping. */
static void emit_direct(struct tr *t, const struct emu_insn *in)
{
	rc_flush(t);
	rc_reset(t);
	x64_mov_rr(&t->x, true, X_RDI, X_RBX);
	x64_lea(&t->x, X_RSI, x64_rip(&t->tb->insn[t->i].in));
	x64_mov_imm(&t->x, X_RAX, (uint64_t)(uintptr_t)emu_handlers[in->row]);
	x64_call_r(&t->x, X_RAX);
	t->hf_valid = t->hf_nocf = false;
	t->lf_op = LF_UNKNOWN;
}

/* Whether emit_other translates in inline (handler-found forms) */
static bool other_inline(const struct emu_insn *in)
{
	return in->asz == 8 && !(in->pfx & EMU_P_LOCK) && !emu_plant_in_handlers();
}

/* Forms found by their handler (fop generic); false: call the handler. */
static bool emit_other(struct tr *t, const struct emu_insn *in)
{
	if (!other_inline(in))
		return false;
	emu_handler_fn *h = emu_handlers[in->row];
	unsigned v = in->osz;
	bool vok = v == 4 || v == 8;
#define ALU_OTHER(name, k)                                                        \
	if (h == emu_h_##name##_EbGb)                                             \
		return emit_alu_gen(t, in, k, 1, true, 0, false, 0), true;        \
	if (h == emu_h_##name##_GbEb)                                             \
		return emit_alu_gen(t, in, k, 1, false, in->reg, false, 0), true; \
	if (h == emu_h_##name##_EbIb)                                             \
		return emit_alu_gen(t, in, k, 1, true, 0, true, 0), true;         \
	if (h == emu_h_##name##_ALIb)                                             \
		return emit_alu_gen(t, in, k, 1, false, 0, true, 0), true;        \
	if (h == emu_h_##name##_rAXIz && vok && k != X_ADC && k != X_SBB)         \
		return emit_alu_imm(t, in, k, v, RAX_REG_RAX), true;              \
	if (h == emu_h_##name##_rAXIz && vok)                                     \
		return emit_alu_gen(t, in, k, v, false, 0, true, 0), true;
	ALU_OTHER(add, X_ADD)
	ALU_OTHER(or, X_OR)
	ALU_OTHER(adc, X_ADC)
	ALU_OTHER(sbb, X_SBB)
	ALU_OTHER(and, X_AND)
	ALU_OTHER(sub, X_SUB)
	ALU_OTHER(xor, X_XOR)
	ALU_OTHER(cmp, X_CMP)
#undef ALU_OTHER
	if ((h == emu_h_adc_EvGv || h == emu_h_sbb_EvGv) && vok)
		return emit_alu_gen(t, in, h == emu_h_adc_EvGv ? X_ADC : X_SBB, v, true, 0, false, 0), true;
	if ((h == emu_h_adc_GvEv || h == emu_h_sbb_GvEv) && vok)
		return emit_alu_gen(t, in, h == emu_h_adc_GvEv ? X_ADC : X_SBB, v, false, in->reg, false, 0), true;
	if ((h == emu_h_adc_EvIz || h == emu_h_sbb_EvIz) && vok)
		return emit_alu_gen(t, in, h == emu_h_adc_EvIz ? X_ADC : X_SBB, v, true, 0, true, 0), true;
	if (h == emu_h_test_EbGb)
		return emit_alu_gen(t, in, 8, 1, true, 0, false, 0), true;
	if (h == emu_h_test_EbIb)
		return emit_alu_gen(t, in, 8, 1, true, 0, true, 0), true;
	if (h == emu_h_test_ALIb)
		return emit_alu_gen(t, in, 8, 1, false, 0, true, 0), true;
	if (h == emu_h_test_EvIz && vok && in->mod == 3)
		return emit_alu_imm(t, in, 8, v, in->rm), true;
	if (h == emu_h_test_EvIz && vok)
		return emit_alu_gen(t, in, 8, v, true, 0, true, 0), true;
	if (h == emu_h_test_rAXIz && vok)
		return emit_alu_imm(t, in, 8, v, RAX_REG_RAX), true;
	if (h == emu_h_inc_Ev && vok)
		return emit_incdec(t, in, v, false), true;
	if (h == emu_h_dec_Ev && vok)
		return emit_incdec(t, in, v, true), true;
	if (h == emu_h_inc_Eb || h == emu_h_dec_Eb)
		return emit_incdec(t, in, 1, h == emu_h_dec_Eb), true;
	if (h == emu_h_mov_EbGb)
		return emit_mov8(t, in, true, false), true;
	if (h == emu_h_mov_GbEb)
		return emit_mov8(t, in, false, false), true;
	if (h == emu_h_mov_EbIb)
		return emit_mov8(t, in, true, true), true;
	if ((h == emu_h_imul_GvEvIz || h == emu_h_imul_GvEvIb) && vok)
		return emit_imul_imm(t, in, v), true;
	bool reg_only = h == emu_h_imul_GvEvIz || h == emu_h_imul_GvEvIb || h == emu_h_shift_EbIb ||
		h == emu_h_shift_Eb1 || h == emu_h_shift_EbCL || h == emu_h_shift_EvIb || h == emu_h_shift_Ev1 ||
		h == emu_h_shift_EvCL;
	if (reg_only && in->mod == 3)
		return emit_direct(t, in), true;
	return false;
}

static bool canonical(uint64_t la) { return emu_canonical(la); }

/* Translate instruction i of b; false when it must not be translated at all. */
static bool emit_insn(struct tr *t, const struct emu_insn *in, uint8_t fop)
{
	bool hf = t->hf_valid, nocf = t->hf_nocf;
	t->hf_valid = t->hf_nocf = false; /* kept only by forms that leave the host's flags alone */
	switch (fop) {
#define SZ(name)            \
	case FOP_##name##4: \
	case FOP_##name##8
		SZ(mov_EvGv_R) : reg_mov(t, in->osz == 8, in->rm, in->reg);
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return true;
		SZ(mov_GvEv_R) : reg_mov(t, in->osz == 8, in->reg, in->rm);
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return true;
		SZ(mov_EvIz_R) : x64_mov_imm(&t->x, reg_def(t, in->rm), in->imm & mask_of(in->osz));
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return true;
		SZ(mov_ZvIv) : x64_mov_imm(&t->x, reg_def(t, in->opreg), in->imm & mask_of(in->osz));
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return true;
		SZ(lea) : emit_ea(t, in, X_RAX);
		if (in->osz == 4)
			x64_mov_rr(&t->x, false, X_RAX, X_RAX);
		reg_wr(t, in->reg, X_RAX);
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return true;
		SZ(movzxb_R) : reg_rd_sized(t, in, 1, X_RAX, in->rm);
		reg_wr(t, in->reg, X_RAX);
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return true;
		SZ(movzxw_R) : reg_rd_sized(t, in, 2, X_RAX, in->rm);
		reg_wr(t, in->reg, X_RAX);
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return true;
	case FOP_movsxd_R:
		x64_movsxd_rr(&t->x, X_RAX, reg_get(t, in->rm));
		reg_wr(t, in->reg, X_RAX);
		t->hf_valid = hf;
		t->hf_nocf = nocf;
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
		SZ(shl_I_R) : emit_shift_reg(t, in, X_SHL, in->osz, (unsigned)in->imm);
		return true;
		SZ(shr_I_R) : emit_shift_reg(t, in, X_SHR, in->osz, (unsigned)in->imm);
		return true;
		SZ(sar_I_R) : emit_shift_reg(t, in, X_SAR, in->osz, (unsigned)in->imm);
		return true;
		SZ(imul_R) : emit_imul_reg(t, in, in->osz);
		return true;
		SZ(shift_R) : if (in->op == 0xd1 && (in->reg & 7) >= S_SHL) /* by one: SHL, SHR, SAL, SAR */
		{
			unsigned k = in->reg & 7;
			emit_shift_reg(t, in, k == S_SHR ? X_SHR : k == S_SAR ? X_SAR : X_SHL, in->osz, 1);
			return true;
		}
		emit_direct(t, in);
		return true;
		SZ(rol_I_R) : emit_rot_reg(t, in, false, in->osz, (unsigned)in->imm);
		return true;
		SZ(ror_I_R) : emit_rot_reg(t, in, true, in->osz, (unsigned)in->imm);
		return true;
		SZ(cmov_R) :
		{
			t->hf_valid = hf;
			t->hf_nocf = nocf;
			unsigned cc = emit_cond(t, in->op & 15);
			bool w = in->osz == 8;
			reg_rd(t, w, X_RAX, in->rm);
			reg_rd(t, w, X_RCX, in->reg);
			x64_cmov_rr(&t->x, w, cc, X_RCX, X_RAX); /* the 32-bit form zero-extends either way */
			reg_wr(t, in->reg, X_RCX);
			t->hf_valid = t->hf_valid && cc == (in->op & 15u);
			t->hf_nocf = t->hf_nocf && cc == (in->op & 15u);
			return true;
		}
	case FOP_setcc_R: {
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		unsigned cc = emit_cond(t, in->op & 15);
		if (gpr8_high(in, in->rm)) {
			x64_setcc_r8(&t->x, cc, X_RAX);
			reg_wr_sized(t, in, 1, in->rm, X_RAX);
		} else {
			x64_setcc_r8(&t->x, cc, reg_upd(t, in->rm));
		}
		t->hf_valid = t->hf_valid && cc == (in->op & 15u);
		t->hf_nocf = t->hf_nocf && cc == (in->op & 15u);
		return true;
	}
		/* memory forms */
		SZ(mov_EvGv_M) : emit_ea(t, in, X_R14);
		reg_rd(t, in->osz == 8, X_R15, in->reg);
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
		reg_wr(t, in->reg, X_RAX);
		emit_break_check(t);
		return true;
		SZ(movzxb_M) : emit_ea(t, in, X_R14);
		emit_load(t, in->seg, 1, ACC_R);
		reg_wr(t, in->reg, X_RAX);
		emit_break_check(t);
		return true;
		SZ(movzxw_M) : emit_ea(t, in, X_R14);
		emit_load(t, in->seg, 2, ACC_R);
		reg_wr(t, in->reg, X_RAX);
		emit_break_check(t);
		return true;
	case FOP_movsxd_M:
		emit_ea(t, in, X_R14);
		emit_load(t, in->seg, 4, ACC_R);
		x64_movsxd_rr(&t->x, X_RAX, X_RAX);
		reg_wr(t, in->reg, X_RAX);
		emit_break_check(t);
		return true;
		SZ(cmov_M) :
		{
			bool w = in->osz == 8;
			emit_ea(t, in, X_R14);
			emit_load(t, in->seg, in->osz, ACC_R);
			x64_mov_rr(&t->x, true, X_R15, X_RAX);
			unsigned cc = emit_cond(t, in->op & 15);
			reg_rd(t, w, X_RCX, in->reg);
			x64_cmov_rr(&t->x, w, cc, X_RCX, X_R15);
			reg_wr(t, in->reg, X_RCX);
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
		reg_rd(t, true, X_R15, in->opreg);
		reg_rd(t, true, X_R14, RAX_REG_RSP);
		x64_lea(&t->x, X_R14, x64_m(X_R14, -8));
		emit_store(t, RAX_SEG_SS, 8);
		reg_wr(t, RAX_REG_RSP, X_R14);
		emit_break_check(t);
		return true;
	case FOP_pop: /* emu_pop, then the register (POP RSP loads the value) */
		reg_rd(t, true, X_R14, RAX_REG_RSP);
		emit_load(t, RAX_SEG_SS, 8, ACC_R);
		x64_lea(&t->x, X_RCX, x64_m(X_R14, 8));
		reg_wr(t, RAX_REG_RSP, X_RCX);
		reg_wr(t, in->opreg, X_RAX);
		emit_break_check(t);
		return true;
	/* branches */
	case FOP_jcc: {
		uint64_t target = t->fall + in->imm;
		if (!canonical(target))
			break; /* the handler raises #GP when it is taken */
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		unsigned cc = emit_cond(t, in->op & 15);
		bool keep = t->hf_valid && cc == (in->op & 15u);
		if (target != t->fall) {
			struct cold *k = cold_new(t, COLD_DIRECT);
			k->target = target;
			k->link = link_new(t, target);
			k->sunk = t->sunk; /* the flags the instruction before set, stored where it is taken */
			cold_jcc(t, k, cc);
		}
		t->sunk.valid = false;
		t->hf_valid = keep;
		return true;
	}
	case FOP_jmp: {
		uint64_t target = t->fall + in->imm;
		if (!canonical(target))
			break;
		if (target != t->fall) {
			rc_flush(t);
			emit_direct_exit(t, target, t->i + 1, link_new(t, target));
			t->ended = true;
		}
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return true;
	}
	case FOP_call: { /* emu_branch's check, then the push */
		uint64_t target = t->fall + in->imm;
		if (!canonical(target))
			break;
		x64_mov_imm(&t->x, X_R15, t->fall);
		reg_rd(t, true, X_R14, RAX_REG_RSP);
		x64_lea(&t->x, X_R14, x64_m(X_R14, -8));
		emit_store(t, RAX_SEG_SS, 8);
		reg_wr(t, RAX_REG_RSP, X_R14);
		x64_test_rr(&t->x, false, X_RBP, X_RBP); /* the push broke: leave at the target */
		struct cold *k = cold_new(t, COLD_BREAK);
		k->fall = target;
		cold_jcc(t, k, X_CC_NE);
		t->slow = false;
		if (target != t->fall) {
			rc_flush(t);
			emit_direct_exit(t, target, t->i + 1, link_new(t, target));
			t->ended = true;
		}
		return true;
	}
	case FOP_ret: { /* emu_pop, then emu_branch (#GP on a non-canonical target) */
		reg_rd(t, true, X_R14, RAX_REG_RSP);
		emit_load(t, RAX_SEG_SS, 8, ACC_R);
		x64_mov_rr(&t->x, true, X_RCX, X_RAX);
		x64_shift_ri(&t->x, true, X_SHL, X_RCX, 16);
		x64_shift_ri(&t->x, true, X_SAR, X_RCX, 16);
		x64_alu_rr(&t->x, true, X_CMP, X_RCX, X_RAX);
		cold_jcc(t, cold_new(t, COLD_GP), X_CC_NE);
		x64_lea(&t->x, X_RCX, x64_m(X_R14, 8));
		reg_wr(t, RAX_REG_RSP, X_RCX);
		x64_test_rr(&t->x, false, X_RBP, X_RBP); /* the pop broke: leave at the target */
		cold_jcc(t, cold_new(t, COLD_BREAK_RAX), X_CC_NE);
		t->slow = false;
		x64_mov_imm(&t->x, X_RCX, t->fall);
		x64_alu_rr(&t->x, true, X_CMP, X_RAX, X_RCX);
		cold_jcc(t, cold_new(t, COLD_INDIRECT), X_CC_NE);
		return true;
	}
	case FOP_planted:
	case FOP_dbgbreak: return false; /* only the block runner has these */
	default:
		if (emit_sse(t, in))
			return true;
		/* the host's flags as they were: ADC, SBB, INC and DEC read CF before anything else */
		t->hf_valid = hf;
		t->hf_nocf = nocf;
		return emit_other(t, in) || (emit_generic(t, in), true);
#undef ALU_CASES
#undef SZ
	}
	emit_generic(t, in);
	return true;
}

/* Whether instruction k of b is a register form that neither reads nor
 * writes flags and cannot fault or leave the block. */
static bool quiet(const struct emu_block *b, unsigned k)
{
	const struct emu_insn *in = &b->insn[k];
	emu_handler_fn *h = emu_handlers[in->row];
	if (b->fop[k] == FOP_generic)
		return in->mod == 3 && other_inline(in) &&
			(h == emu_h_mov_EbGb || h == emu_h_mov_GbEb || h == emu_h_mov_EbIb);
	switch (b->fop[k]) {
	case FOP_mov_EvGv_R4:
	case FOP_mov_EvGv_R8:
	case FOP_mov_GvEv_R4:
	case FOP_mov_GvEv_R8:
	case FOP_mov_EvIz_R4:
	case FOP_mov_EvIz_R8:
	case FOP_mov_ZvIv4:
	case FOP_mov_ZvIv8:
	case FOP_lea4:
	case FOP_lea8:
	case FOP_movzxb_R4:
	case FOP_movzxb_R8:
	case FOP_movzxw_R4:
	case FOP_movzxw_R8:
	case FOP_movsxd_R: return true;
	default: return false;
	}
}

/* The same for forms emit_other translates: register ALU forms without a
 * carry in (and TEST) of any size with an immediate or a register, and
 * IMUL with an immediate. */
static bool other_sets_flags(const struct emu_insn *in)
{
	if (!other_inline(in))
		return false;
	emu_handler_fn *h = emu_handlers[in->row];
	bool vok = in->osz == 4 || in->osz == 8, reg = in->mod == 3;
#define ALU_SETS(name)                                                                                   \
	if (h == emu_h_##name##_ALIb || (h == emu_h_##name##_rAXIz && vok) ||                            \
	    (reg && (h == emu_h_##name##_EbGb || h == emu_h_##name##_GbEb || h == emu_h_##name##_EbIb))) \
		return true;
	ALU_SETS(add)
	ALU_SETS(or)
	ALU_SETS(and)
	ALU_SETS(sub)
	ALU_SETS(xor)
	ALU_SETS(cmp)
#undef ALU_SETS
	if (h == emu_h_test_ALIb || (h == emu_h_test_rAXIz && vok) ||
	    (reg && (h == emu_h_test_EbGb || h == emu_h_test_EbIb || (h == emu_h_test_EvIz && vok))))
		return true;
	return reg && vok && (h == emu_h_imul_GvEvIz || h == emu_h_imul_GvEvIb);
}

/* Whether instruction k of b is a register form that sets every status
 * flag without reading one, and cannot fault or leave the block: the
 * register ALU forms, IMUL and shifts by a nonzero immediate (and the
 * same found by their handler, other_sets_flags). */
static bool sets_flags(const struct emu_block *b, unsigned k)
{
	uint8_t f = b->fop[k];
	const struct emu_insn *in = &b->insn[k];
#define W(k)                                                                                                     \
	(f == FOP_##k##_EvGv_R4 || f == FOP_##k##_EvGv_R8 || f == FOP_##k##_GvEv_R4 || f == FOP_##k##_GvEv_R8 || \
	 f == FOP_##k##_EvIz_R4 || f == FOP_##k##_EvIz_R8)
	if (W(add) || W(or) || W(and) || W(sub) || W(xor) || W(cmp) || f == FOP_test_EvGv_R4 || f == FOP_test_EvGv_R8 ||
	    f == FOP_imul_R4 || f == FOP_imul_R8)
		return true;
#undef W
	if (f == FOP_shl_I_R4 || f == FOP_shr_I_R4 || f == FOP_sar_I_R4)
		return (in->imm & 31) != 0;
	if (f == FOP_shl_I_R8 || f == FOP_shr_I_R8 || f == FOP_sar_I_R8)
		return (in->imm & 63) != 0;
	return f == FOP_generic && other_sets_flags(in);
}

/* The flags instruction i of b sets are replaced, unread, by a later one of
 * the block: only quiet register forms between (no fault, exit or reader). */
static bool flags_dead_after(const struct emu_block *b, unsigned i)
{
	if (emu_plant == EMU_PLANT_JIT)
		return false; /* the plant's ADD must show in the flags too */
	for (unsigned k = i + 1; k < b->n; k++) {
		if (sets_flags(b, k))
			return true;
		if (!quiet(b, k))
			return false;
	}
	return false;
}

/* Only the Jcc right after instruction i of b (at fall) reads the flags
 * i sets, and they are replaced after it as flags_dead_after says: the
 * Jcc leaves (its target not fall, canonical) and nothing else looks. */
static bool flags_sunk_after(const struct emu_block *b, unsigned i, uint64_t fall)
{
	if (i + 1 >= b->n || b->fop[i + 1] != FOP_jcc)
		return false;
	uint64_t next = fall + b->insn[i + 1].len, target = next + b->insn[i + 1].imm;
	return target != next && canonical(target) && flags_dead_after(b, i + 1);
}

/* Translate b (at c->rip) into j->scratch for tb; returns the code's length, 0 when it cannot. */
static size_t translate(struct emu_jit *j, struct emu_cpu *c, const struct emu_block *b, const struct jit_tb *tb,
			uint8_t *scratch, size_t head, size_t *body, struct jit_insn *d)
{
	struct tr t;
	memset(&t, 0, offsetof(struct tr, cold));
	t.ncold = 0;
	t.overflow = false;
	t.j = j;
	t.tb = tb;
	t.b = b;
	t.n = b->n;
	t.start = c->rip;
	t.lf_op = LF_ENTRY;
	t.entry_op = c->lf_op;
	t.entry_size = c->lf_size;
	rc_reset(&t);
	x64_init(&t.x, scratch + head, (size_t)(j->scratch + JIT_SCRATCH_SIZE - scratch) - head,
		 (uint64_t)(uintptr_t)tb + head);
	/* the chained entry: the run loop's checks before a whole run */
	struct cold *out = cold_new(&t, COLD_OUT);
	x64_lea(&t.x, X_RAX, x64_m(X_R12, (int32_t)b->n));
	x64_alu_rm(&t.x, true, X_CMP, X_RAX, M(CPU(event_at)));
	cold_jcc(&t, out, X_CC_A);
	x64_alu_rm(&t.x, true, X_CMP, X_R12, M(CPU(next_stop_poll)));
	cold_jcc(&t, out, X_CC_AE);
	/* never in an interrupt shadow: the instruction that starts one ends
	 * the run (emu_block_interrupts_one) */
	*body = x64_len(&t.x);
	uint64_t rip = c->rip;
	for (unsigned i = 0; i < b->n && !t.ended; i++) {
		t.i = i;
		t.rip = rip;
		t.fall = rip = rip + b->insn[i].len;
		t.flags_dead = flags_dead_after(b, i);
		t.flags_sunk = !t.flags_dead && flags_sunk_after(b, i, t.fall);
		t.d[i].in = b->insn[i];
		t.d[i].rip = t.rip;
		t.d[i].i = i;
		if (t.sunk.valid && b->fop[i] != FOP_jcc)
			return 0; /* (never: flags_sunk_after) */
		if (!emit_insn(&t, &b->insn[i], b->fop[i]))
			return 0;
	}
	if (!t.ended) {
		t.i = b->n - 1;
		rc_flush(&t);
		emit_direct_exit(&t, rip, b->n, link_new(&t, rip));
	}
	emit_cold(&t);
	if (t.x.full || t.overflow)
		return 0;
	memcpy(d, t.d, b->n * sizeof(*d));
	return head + x64_len(&t.x);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Drop every translation and link: the buffer starts over (a new epoch). */
static void flush(struct emu_jit *j)
{
	j->epoch++;
	j->used = j->committed = JIT_TRAMP_SIZE;
	j->npend = 0; /* their blocks see the new epoch */
	memset(j->reuse, 0, sizeof(j->reuse));
	j->st.flushes++;
	mprotect(j->buf + JIT_TRAMP_SIZE, JIT_BUF_SIZE - JIT_TRAMP_SIZE, PROT_NONE);
	madvise(j->buf + JIT_TRAMP_SIZE, JIT_BUF_SIZE - JIT_TRAMP_SIZE, MADV_DONTNEED);
	data_reset(j);
}

static unsigned reuse_index(uint64_t tag, uint32_t gen)
{
	uint64_t h = (tag ^ ((uint64_t)gen << 32)) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> (64 - JIT_REUSE_BITS));
}

/* A translation made this epoch for block b at rip, if b (decoded again)
 * is exactly the block it was made from: same bytes (tag, generation) and
 * the same decode (rows, lengths, fast ops). */
static const struct jit_tb *reuse(struct emu_jit *j, const struct emu_block *b, uint64_t rip)
{
	uint64_t key = emu_btag_key(b->tag);
	const struct jit_tb *tb = j->reuse[reuse_index(key, b->gen)];
	if (!tb || tb->tag != key || tb->gen != b->gen || tb->rip != rip || tb->n != b->n)
		return NULL;
	for (unsigned i = 0; i < b->n; i++) {
		const struct emu_insn *a = &tb->insn[i].in, *d = &b->insn[i];
		if (a->row != d->row || a->len != d->len || memcmp(a, d, sizeof(*a)))
			return NULL;
	}
	return tb;
}

/* Copy the pending translations into the buffer (W^X: its pages are
 * writable only for the copy) and give them to their blocks. */
static void commit(struct emu_jit *j)
{
	uint64_t t0 = now_ns();
	j->pend_wait = 0;
	if (j->used == j->committed)
		return;
	uintptr_t lo = (uintptr_t)(j->buf + j->committed) & ~(uintptr_t)(JIT_HOST_PAGE - 1);
	uintptr_t hi = ((uintptr_t)(j->buf + j->used) + JIT_HOST_PAGE - 1) & ~(uintptr_t)(JIT_HOST_PAGE - 1);
	bool ok = mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE) == 0;
	if (ok) {
		memcpy(j->buf + j->committed, j->scratch, j->used - j->committed);
		ok = mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC) == 0;
		if (!ok)
			mprotect((void *)lo, hi - lo, PROT_NONE);
	}
	for (unsigned k = 0; k < j->npend; k++) {
		struct jit_pend *p = &j->pend[k];
		/* the block may have been decoded again meanwhile: then it names another entry or none */
		if (ok)
			j->reuse[reuse_index(p->tb->tag, p->tb->gen)] = p->tb;
		if (p->blk->jit == (const void *)p && p->blk->jit_epoch == j->epoch)
			p->blk->jit = ok ? (const void *)p->tb : (const void *)&jit_none;
	}
	j->npend = 0;
	j->committed = j->used;
	if (!ok) { /* nothing runs from there: start over next time */
		j->st.failed++;
		j->used = JIT_BUF_SIZE;
	}
	j->st.translate_ns += now_ns() - t0;
}

/* Make a translation of b for c->rip; &jit_none when it cannot be, else
 * the translation or (batched) its pending entry. */
static const void *make(struct emu_jit *j, struct emu_cpu *c, struct emu_block *b)
{
	uint64_t t0 = now_ns();
	b->jit_epoch = j->epoch;
	if (c->dmode != EMU_MODE_64) {
		j->st.failed++;
		return b->jit = &jit_none;
	}
	size_t head = (sizeof(struct jit_tb) + b->n * sizeof(struct jit_insn) + JIT_ALIGN - 1) &
		~(size_t)(JIT_ALIGN - 1);
	size_t at = (j->used + JIT_ALIGN - 1) & ~(size_t)(JIT_ALIGN - 1), body = 0, nlinks = j->nlinks;
	struct jit_insn d[EMU_BLOCK_MAX];
	struct jit_tb *tb = (struct jit_tb *)(j->buf + at);
	uint8_t *scratch = j->scratch + (at - j->committed);
	size_t len = translate(j, c, b, tb, scratch, head, &body, d);
	if ((!len && j->nlinks == JIT_MAX_LINKS) || (len && at + len > JIT_BUF_SIZE)) { /* full: start over */
		j->nlinks = nlinks;
		flush(j);
		at = j->used;
		tb = (struct jit_tb *)(j->buf + at);
		scratch = j->scratch;
		nlinks = j->nlinks;
		len = translate(j, c, b, tb, scratch, head, &body, d);
	}
	b->jit_epoch = j->epoch;
	if (!len) {
		j->nlinks = nlinks;
		j->st.failed++;
		return b->jit = &jit_none;
	}
	struct jit_tb *h = (struct jit_tb *)scratch;
	h->rip = c->rip;
	h->chain = (const uint8_t *)tb + head;
	h->body = (const uint8_t *)tb + head + body;
	h->n = b->n;
	h->tag = emu_btag_key(b->tag);
	h->gen = b->gen;
	memcpy(h->insn, d, b->n * sizeof(h->insn[0]));
	j->used = (at + len + JIT_ALIGN - 1) & ~(size_t)(JIT_ALIGN - 1);
	j->st.blocks++;
	j->st.code_bytes += len;
	j->st.translate_ns += now_ns() - t0;
	/* a block that is not cached, or every block translated at once: no waiting */
	struct jit_pend *p = &j->pend[j->npend++];
	p->blk = b;
	p->tb = tb;
	b->jit = p;
	b->jit_epoch = j->epoch;
	if (!b->tag || j->hot == 1 || j->npend == JIT_BATCH_MAX || j->used - j->committed >= JIT_BATCH_BYTES)
		commit(j); /* b->jit: the translation now */
	return b->jit;
}

static unsigned cache_index(uint64_t rip) { return (unsigned)(rip ^ (rip >> GUEST_PAGE_SHIFT)) & (JIT_CACHE_SIZE - 1); }

/* Whether x (a block's jit) is a translation waiting for its batch. */
static bool pending(const struct emu_jit *j, const void *x)
{
	return (const struct jit_pend *)x >= j->pend && (const struct jit_pend *)x < j->pend + JIT_BATCH_MAX;
}

/* Every armed link checked again before it is taken. */
static void disarm(struct emu_jit *j)
{
	for (uint32_t i = 0; i < j->data->narmed; i++)
		j->data->armed[i]->code = link_check(j, j->data->armed[i]);
	j->data->narmed = 0;
	j->st.disarms++;
}

/* The run loop runs tb for b at c->rip: fill the link the last block left
 * through unfilled, when it was for this target. */
static void link_fill(struct emu_jit *j, struct emu_cpu *c, const struct emu_block *b, const struct jit_tb *tb)
{
	struct jit_link *l = j->data->link_req;
	j->data->link_req = NULL;
	if (!b->tag)
		return; /* not a cached block */
	if (link_cached(j, l) ? l != &j->data->cache[cache_index(c->rip)] : l->rip != c->rip)
		return;
	l->code = link_check(j, l); /* checked before it is taken */
	l->target = tb->chain;
	l->blk = b;
	l->tb = tb;
	l->tag = b->tag;
	l->pgen = &c->page_gen[emu_btag_gpa(b->tag) >> GUEST_PAGE_SHIFT];
	l->rip = c->rip;
	j->st.links++;
}

bool emu_jit_run(struct emu_cpu *c, struct emu_block *b)
{
	struct emu_jit *j = c->jit;
	if (j->npend && ++j->pend_wait >= JIT_BATCH_WAIT)
		commit(j);
	const void *x = b->jit;
	if (x && x != &jit_none && !pending(j, x) && b->jit_epoch == j->epoch &&
	    ((const struct jit_tb *)x)->rip != c->rip) {
		/* these bytes were translated at another linear address (an alias
		 * of their page: the kernel's text runs at its physical address
		 * before it moves to its own mapping): translated again for this one */
		b->jit = x = NULL;
		b->jit_hits = 0;
		j->st.realiased++;
	}
	if (!x || b->jit_epoch != j->epoch) {
		if (x) { /* made before the buffer started over */
			b->jit = NULL;
			b->jit_hits = 0;
		}
		const struct jit_tb *old = b->tag && c->dmode == EMU_MODE_64 ? reuse(j, b, c->rip) : NULL;
		if (old) { /* decoded again, unchanged */
			b->jit = x = old;
			b->jit_epoch = j->epoch;
		} else if (++b->jit_hits < j->hot) {
			return false;
		} else {
			x = make(j, c, b);
		}
	}
	if (pending(j, x))
		return false; /* waiting for its batch */
	const struct jit_tb *tb = x;
	if (!tb->body || tb->rip != c->rip)
		return false;
	if (j->data->link_req)
		link_fill(j, c, b, tb);
	/* what makes the run loop look after every block (see the file comment) */
	j->data->nochain = c->one_block || !b->tag || c->dbg.active;
	if (c->cpl != j->cpl) { /* the fetch TLB's tags differ by CPL */
		j->cpl = c->cpl;
		c->chain_gen++;
	}
	if (j->data->narmed && (j->data->nochain || j->armed_gen != c->chain_gen))
		disarm(j);
	j->armed_gen = c->chain_gen;
	c->block_break = false;
	c->in_insn = true;
	j->enter(c, tb->body);
	c->in_insn = false;
	j->st.runs++;
	return true;
}
