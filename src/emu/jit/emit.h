/*
 * emit.h - what the block translator's emitters share across files: the
 * state of one translation (struct tr), its out-of-line pieces, the frame
 * of the generated code, guest-state operands, and the helpers of jit.c
 * that the SSE emitters (sse.c) use. jit.c's file comment says how the
 * generated code runs.
 */
#ifndef RAX_EMU_JIT_EMIT_H
#define RAX_EMU_JIT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/cpu.h"
#include "emu/jit/x64.h"

/* The generated code's own stack slots (an instruction's operands kept
 * across a slow path's call): [rsp], [rsp + 8], [rsp + 16]; the host's
 * MXCSR while SSE code runs under the guest's (sse.c) at [rsp + 32] and
 * the value loaded at [rsp + 36]. */
#define JIT_FRAME 40
#define SLOT_A x64_m(X_RSP, 0)
#define SLOT_B x64_m(X_RSP, 8)
#define SLOT_CIN x64_m(X_RSP, 16)
#define SLOT_CPL_OFF 24 /* the CPL before a handler (SH_SYNC, SH_AFTER) */
#define SLOT_MXCSR_HOST x64_m(X_RSP, 32)
#define SLOT_MXCSR_TMP x64_m(X_RSP, 36)
/* Out-of-line pieces of one block (slow paths, exits). */
#define JIT_MAX_COLD (4 * EMU_BLOCK_MAX + 4)

/* Guest state, addressed from rbx */
#define CPU(field) ((int32_t)offsetof(struct emu_cpu, field))
#define M(off) x64_m(X_RBX, (off))
#define GPR(r) (CPU(gpr) + 8 * (int32_t)(r))
#define SEG_BASE(seg) (CPU(s.seg) + (int32_t)((seg) * sizeof(struct rax_segment) + offsetof(struct rax_segment, base)))

/* Unknown lazy operation (translation-time knowledge of the flags). */
#define LF_UNKNOWN 0xffu
/* The lazy op the block was entered with: no instruction of it has set the flags yet. */
#define LF_ENTRY 0xfeu

/*
 * The register cache: guest general registers held in host registers
 * within a block. A register written is stored back (made clean) before
 * anything else may look at struct emu_cpu's copy: before every call
 * (handlers, C helpers: a fault longjmps from them), before every exit
 * from the block, and before the instruction reads or writes a byte or
 * word of it in memory; a cold piece stores what was dirty where it was
 * jumped to. The host registers are caller-saved ones the hot code uses
 * for nothing else: a call in the hot code forgets them all, a slow
 * path's call reloads what they held on the way back.
 */
#define JIT_NREGS 6

/* One instruction of a translation, for the C helpers: the handler's
 * operand, where it is, and a memory access's kind. */
struct jit_insn {
	struct emu_insn in;
	uint64_t rip;
	uint32_t i; /* its index in the block */
	uint8_t seg, size, acc;
};

/* A translation as it lies in the code buffer: this header, the block's
 * instructions, then the code. */
struct jit_tb {
	uint64_t rip;      /* the linear address it was translated for */
	const void *body;  /* entry from the run loop (jit_enter) */
	const void *chain; /* entry from another block: the run loop's checks first */
	uint64_t tag;      /* the block's tag (emu_btag_key: any epoch) and page generation */
	uint32_t gen;
	unsigned n;
	struct jit_insn insn[];
};

struct jit_link;
struct emu_jit;

/* An out-of-line piece: jumped to from the hot code (from[]), emitted
 * after it. */
enum cold_kind {
	COLD_LOAD,      /* emu_rd (rmw: acc ACC_W) of seg:r14, rax = the value; back */
	COLD_STORE,     /* emu_wr of r15 to seg:r14; back */
	COLD_BREAK,     /* leave for the run loop at fall (a slow path set a break) */
	COLD_BREAK_RAX, /* the same at rax */
	COLD_DIRECT,    /* leave for target, chained through link */
	COLD_INDIRECT,  /* leave for rax, chained through the inline cache */
	COLD_TAKEN,     /* a handler branched to rax: leave (chained unless it broke) */
	COLD_GP,        /* #GP(0) at this instruction */
	COLD_OUT,       /* the chained entry's checks failed: to the run loop at the block's start */
	COLD_COND,      /* al = emu_cond(c, target); back */
	COLD_EXT,       /* emitted by its own emitter (k->emit) */
};

/* Lazy flags not stored where they were set: a register ALU op whose
 * flags only the Jcc right after it reads (from the host's flags), and
 * replaced after that: stored where the Jcc leaves, from the registers
 * (unchanged there) and the immediate (emit_sunk). */
struct jit_sunk {
	bool valid, test;
	uint8_t op, size; /* enum x64_alu; the operand size */
	uint8_t hd, hs;   /* host registers of the destination and the source (X_NOREG: imm) */
	uint64_t imm;
};

struct tr;
struct cold {
	uint8_t kind, seg, size, acc;
	unsigned i, cnt; /* the instruction; instructions retired when leaving */
	uint64_t rip, fall, target;
	size_t from[4];
	unsigned nfrom;
	size_t back; /* where a slow path goes on */
	struct jit_link *link;
	void (*emit)(struct tr *t, struct cold *k); /* COLD_EXT */
	unsigned arg;                               /* COLD_EXT: its emitter's own */
	/* the register cache where it was jumped to (stored first where dirty)
	 * and where it goes back to (reloaded after a call) */
	int8_t held[JIT_NREGS], back_held[JIT_NREGS];
	uint8_t dirty;
	struct jit_sunk sunk; /* COLD_DIRECT: lazy flags to store first */
};

struct tr {
	struct x64_buf x;
	struct emu_jit *j;
	const struct jit_tb *tb;   /* where the translation will lie (insn addresses) */
	const struct emu_block *b; /* the block */
	unsigned i, n;             /* the instruction being translated, of n */
	uint64_t start;            /* the block's address */
	uint64_t rip, fall;        /* its address and the next one */
	/* the host's flags hold the guest's, as the last lazy op left them
	 * (hf_nocf: all of them but CF) */
	bool hf_valid, hf_nocf;
	uint8_t entry_op, entry_size; /* c->lf_op and c->lf_size when the block was translated */
	/* the lazy op the last flag-setting instruction stored (LF_UNKNOWN: not known) */
	uint8_t lf_op, lf_size;
	bool slow;                /* this instruction has a slow path (which may set ebp) */
	bool flags_dead;          /* a later register ALU op of the block replaces this one's flags unread */
	bool flags_sunk;          /* only the Jcc after this one reads its flags, then they are replaced */
	struct jit_sunk sunk;     /* the flags the Jcc being translated must store where it leaves */
	bool ended;               /* the block left unconditionally */
	bool sse_mx;              /* the host's MXCSR is the guest's (sse.c) */
	struct cold *sse_run;     /* the fallback of the run of inline SSE forms being translated */
	int8_t held[JIT_NREGS];   /* the guest register cache_host[k] holds, -1 none */
	uint8_t dirty;            /* bit k: cache_host[k] is newer than struct emu_cpu's copy */
	uint32_t used[JIT_NREGS]; /* when each was last used (the least recent goes first) */
	uint32_t clock;
	struct cold cold[JIT_MAX_COLD];
	unsigned ncold;
	struct jit_insn d[EMU_BLOCK_MAX]; /* the descriptors the translation's header will hold */
	bool overflow;                    /* too many cold pieces or links */
};

/* jit.c's helpers */
void jit_sync(struct emu_cpu *c, const struct jit_insn *d, uint64_t icount);
struct cold *cold_new(struct tr *t, enum cold_kind kind);
void cold_jcc(struct tr *t, struct cold *k, unsigned cc);
void emit_helper_args(struct tr *t, unsigned i);
void emit_break_check(struct tr *t);
unsigned emit_tlb_probe(struct tr *t, unsigned seg, unsigned size, int acc, struct cold *k);
void access_end(struct tr *t, struct cold *k);
void emit_load(struct tr *t, unsigned seg, unsigned size, int acc);
void emit_store(struct tr *t, unsigned seg, unsigned size);
void emit_ea(struct tr *t, const struct emu_insn *in, unsigned dst);
void emit_generic(struct tr *t, const struct emu_insn *in);
void reg_rd(struct tr *t, bool w, unsigned dst, unsigned g);
void reg_wr(struct tr *t, unsigned g, unsigned src);
void rc_reset(struct tr *t);
void emit_reload(struct tr *t, const struct cold *k);

/* sse.c: translate in inline when it is one of the SSE forms done there
 * (false: it is not) */
bool emit_sse(struct tr *t, const struct emu_insn *in);

#endif
