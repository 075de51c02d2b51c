/*
 * x64.h - a small x86-64 machine-code emitter for the block translator
 * (jit.c): the instruction forms it needs and nothing else.
 *
 * Code goes into a caller's buffer (struct x64_buf); an emitter that would
 * run past the end writes nothing more and sets full, so a translation is
 * checked once at its end. Memory operands are [base + index*2^scale +
 * disp]; the encodings (ModRM, SIB, REX) follow the Intel SDM vol. 2,
 * chapter 2.
 */
#ifndef RAX_EMU_JIT_X64_H
#define RAX_EMU_JIT_X64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Host registers by their encoding. */
enum x64_reg {
	X_RAX,
	X_RCX,
	X_RDX,
	X_RBX,
	X_RSP,
	X_RBP,
	X_RSI,
	X_RDI,
	X_R8,
	X_R9,
	X_R10,
	X_R11,
	X_R12,
	X_R13,
	X_R14,
	X_R15,
};
#define X_NOREG 0xffu /* no index register */
#define X_RIP 0xfeu   /* base of a RIP-relative operand (x64_rip) */

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc), as the guest's. */
enum x64_cc { X_CC_O, X_CC_NO, X_CC_B, X_CC_AE, X_CC_E, X_CC_NE, X_CC_BE, X_CC_A, X_CC_S, X_CC_NS };

/* The group-1 ALU operations by their ModRM.reg digit (same order as alu.h's K_*). */
enum x64_alu { X_ADD = 0, X_OR = 1, X_ADC = 2, X_SBB = 3, X_AND = 4, X_SUB = 5, X_XOR = 6, X_CMP = 7 };
/* Group-2 shifts by their ModRM.reg digit. */
enum x64_shift { X_ROL = 0, X_ROR = 1, X_SHL = 4, X_SHR = 5, X_SAR = 7 };

struct x64_buf {
	uint8_t *p, *start, *end;
	uint64_t origin; /* the address start will run at (RIP-relative operands, absolute jumps) */
	bool full;       /* something did not fit: the code is incomplete */
};

struct x64_mem {
	uint8_t base, index, scale; /* scale: log2 (0..3) */
	int32_t disp;
	uint64_t abs; /* base X_RIP: the address the operand names */
};

static inline struct x64_mem x64_m(unsigned base, int32_t disp)
{
	return (struct x64_mem){ (uint8_t)base, X_NOREG, 0, disp, 0 };
}
static inline struct x64_mem x64_mi(unsigned base, unsigned index, unsigned scale, int32_t disp)
{
	return (struct x64_mem){ (uint8_t)base, (uint8_t)index, (uint8_t)scale, disp, 0 };
}
/* [rip + the distance to addr] (within 2 GiB of the code; no immediate may follow) */
static inline struct x64_mem x64_rip(const void *addr)
{
	struct x64_mem m = { X_RIP, X_NOREG, 0, 0, 0 };
	m.abs = (uint64_t)(uintptr_t)addr;
	return m;
}

/* mem: where the code is written; origin: where it will run */
void x64_init(struct x64_buf *b, uint8_t *mem, size_t size, uint64_t origin);
static inline size_t x64_len(const struct x64_buf *b) { return (size_t)(b->p - b->start); }
/* Where the next instruction will run (origin + len) */
static inline const uint8_t *x64_here(const struct x64_buf *b)
{
	return (const uint8_t *)(uintptr_t)(b->origin + x64_len(b));
}

void x64_u8(struct x64_buf *b, uint8_t v);
void x64_u32(struct x64_buf *b, uint32_t v);
void x64_u64(struct x64_buf *b, uint64_t v);

/* w: 64-bit operand size (REX.W); otherwise 32-bit (byte and word forms are named). */
void x64_load(struct x64_buf *b, bool w, unsigned dst, struct x64_mem m);  /* mov r, [m] */
void x64_store(struct x64_buf *b, bool w, struct x64_mem m, unsigned src); /* mov [m], r */
void x64_store8(struct x64_buf *b, struct x64_mem m, unsigned src);        /* mov [m], r8 (src: al..bl or r8b..) */
void x64_store16(struct x64_buf *b, struct x64_mem m, unsigned src);       /* mov [m], r16 */
void x64_load_zx8(struct x64_buf *b, unsigned dst, struct x64_mem m);      /* movzx r32, byte [m] */
void x64_load_zx16(struct x64_buf *b, unsigned dst, struct x64_mem m);     /* movzx r32, word [m] */
void x64_load_sx32(struct x64_buf *b, unsigned dst, struct x64_mem m);     /* movsxd r64, dword [m] */
void x64_mov_rr(struct x64_buf *b, bool w, unsigned dst, unsigned src);    /* mov r, r */
void x64_movsxd_rr(struct x64_buf *b, unsigned dst, unsigned src);         /* movsxd r64, r32 */
void x64_movzx8_rr(struct x64_buf *b, unsigned dst, unsigned src);   /* movzx r32, r8 (src: the low byte of any) */
void x64_movzx16_rr(struct x64_buf *b, unsigned dst, unsigned src);  /* movzx r32, r16 */
void x64_mov8_rr(struct x64_buf *b, unsigned dst, unsigned src);     /* mov r8, r8 (low bytes; the rest kept) */
void x64_mov16_rr(struct x64_buf *b, unsigned dst, unsigned src);    /* mov r16, r16 (the rest kept) */
void x64_mov_imm(struct x64_buf *b, unsigned dst, uint64_t v);       /* the shortest mov r64, imm */
void x64_store_imm8(struct x64_buf *b, struct x64_mem m, uint8_t v); /* mov byte [m], imm8 */
void x64_alu_rr(struct x64_buf *b, bool w, enum x64_alu op, unsigned dst, unsigned src);     /* op dst, src */
void x64_alu_rm(struct x64_buf *b, bool w, enum x64_alu op, unsigned dst, struct x64_mem m); /* op dst, [m] */
void x64_alu_ri(struct x64_buf *b, bool w, enum x64_alu op, unsigned dst, int32_t imm);      /* op dst, imm */
void x64_or_r8m(struct x64_buf *b, unsigned dst, struct x64_mem m);                          /* or r8, byte [m] */
void x64_cmp_m8i(struct x64_buf *b, struct x64_mem m, uint8_t imm);                          /* cmp byte [m], imm8 */
void x64_cmp_m16i(struct x64_buf *b, struct x64_mem m, uint16_t imm);                        /* cmp word [m], imm16 */
void x64_test_rr(struct x64_buf *b, bool w, unsigned a, unsigned c);                         /* test a, c */
void x64_lea(struct x64_buf *b, unsigned dst, struct x64_mem m);                             /* lea r64, [m] */
void x64_shift_ri(struct x64_buf *b, bool w, enum x64_shift op, unsigned dst, uint8_t cnt);
void x64_incdec(struct x64_buf *b, bool w, bool dec, unsigned dst);    /* inc/dec dst */
void x64_movzx8_m(struct x64_buf *b, unsigned dst, struct x64_mem m);  /* movzx r32, byte [m] (= x64_load_zx8) */
void x64_store16_imm(struct x64_buf *b, struct x64_mem m, uint16_t v); /* mov word [m], imm16 */
void x64_bt_ri(struct x64_buf *b, bool w, unsigned r, uint8_t bit);    /* bt r, imm8 */
void x64_alu8_rr(struct x64_buf *b, enum x64_alu op, unsigned dst, unsigned src);     /* op r8, r8 (al..bl) */
void x64_alu8_rm(struct x64_buf *b, enum x64_alu op, unsigned dst, struct x64_mem m); /* op r8, byte [m] */
void x64_incdec8(struct x64_buf *b, bool dec, unsigned dst);                          /* inc/dec r8 (al..bl) */
void x64_imul_rr(struct x64_buf *b, bool w, unsigned dst, unsigned src);              /* imul dst, src */
void x64_setcc_r8(struct x64_buf *b, unsigned cc, unsigned dst);    /* setcc r8 (the low byte of any) */
void x64_setcc_m(struct x64_buf *b, unsigned cc, struct x64_mem m); /* setcc byte [m] */
void x64_cmov_rr(struct x64_buf *b, bool w, unsigned cc, unsigned dst, unsigned src);
void x64_test_ri(struct x64_buf *b, bool w, unsigned r, int32_t imm); /* test r, imm32 */
void x64_test_m8i(struct x64_buf *b, struct x64_mem m, uint8_t imm);  /* test byte [m], imm8 */
/* SSE forms "op reg, rm" of the 0F map with mandatory prefix pfx (0, 0x66,
 * 0xf2 or 0xf3) and REX.W when w; reg and rm are XMM or general registers
 * as the form has them (an imm8, if any, is the caller's x64_u8). */
void x64_sse_rr(struct x64_buf *b, unsigned pfx, bool w, unsigned op, unsigned reg, unsigned rm);
void x64_movdqu_load(struct x64_buf *b, unsigned x, struct x64_mem m);  /* movdqu xmm, [m] */
void x64_movdqu_store(struct x64_buf *b, struct x64_mem m, unsigned x); /* movdqu [m], xmm */
void x64_movq_xr(struct x64_buf *b, unsigned x, unsigned r);            /* movq xmm, r64 */
void x64_ldmxcsr(struct x64_buf *b, struct x64_mem m);
void x64_stmxcsr(struct x64_buf *b, struct x64_mem m);
void x64_call_r(struct x64_buf *b, unsigned r);      /* call r */
void x64_jmp_m(struct x64_buf *b, struct x64_mem m); /* jmp [m] */
void x64_push(struct x64_buf *b, unsigned r);
void x64_pop(struct x64_buf *b, unsigned r);
void x64_pushf(struct x64_buf *b); /* pushfq */
void x64_ret(struct x64_buf *b);
/* Jumps forward to a place not known yet: the returned position is given
 * to x64_patch once the target is reached. */
size_t x64_jcc_fwd(struct x64_buf *b, unsigned cc);
size_t x64_jmp_fwd(struct x64_buf *b);
void x64_patch(struct x64_buf *b, size_t at);
/* Jumps to a known place: a position in this buffer, or an address. */
void x64_jmp_to(struct x64_buf *b, size_t pos);
void x64_jmp_abs(struct x64_buf *b, const void *addr);
void x64_jcc_abs(struct x64_buf *b, unsigned cc, const void *addr);
void x64_call_abs(struct x64_buf *b, const void *addr);

#endif
