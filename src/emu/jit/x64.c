/*
 * x64.c - the x86-64 encoder behind x64.h: REX, ModRM and SIB for register
 * and [base + index*scale + disp] operands, and the forms the translator
 * emits. Every instruction is at most X64_MAX_INSN bytes; an emitter checks
 * that much room first, so a full buffer never gets half an instruction.
 */
#include "emu/jit/x64.h"

#include <string.h>

/* The longest instruction emitted here (REX.W B8+r imm64 is 10 bytes). */
#define X64_MAX_INSN 16

/* Encoding flags of x64_op */
#define OP_W 1u  /* REX.W */
#define OP_0F 2u /* two-byte opcode (0F xx) */
#define OP_66 4u /* operand-size prefix */
#define OP_F2 8u /* mandatory prefixes of SSE forms */
#define OP_F3 16u
#define OP_B8 32u /* byte registers: 4..7 name spl..dil (a REX prefix), never ah..bh */

#define REX_BASE 0x40u
#define REX_W 8u
#define REX_R 4u
#define REX_X 2u
#define REX_B 1u
#define MOD_DISP0 0u
#define MOD_DISP8 1u
#define MOD_DISP32 2u
#define MOD_REG 3u
#define RM_SIB 4u   /* ModRM.rm 100: a SIB byte follows */
#define SIB_NONE 4u /* SIB.index 100: no index */
#define RM_DISP 5u  /* base 101 with mod 00 means disp32 (or RIP) instead */

void x64_init(struct x64_buf *b, uint8_t *mem, size_t size, uint64_t origin)
{
	b->p = b->start = mem;
	b->end = mem + size;
	b->origin = origin;
	b->full = false;
}

/* The rel32 from the end of the instruction being written (which ends
 * `after` bytes past the current position) to address to; full when it
 * does not fit. */
static uint32_t rel_to(struct x64_buf *b, unsigned after, uint64_t to)
{
	int64_t rel = (int64_t)(to - (b->origin + x64_len(b) + after));
	if (rel != (int32_t)rel) {
		b->full = true;
		return 0;
	}
	return (uint32_t)rel;
}

static bool room(struct x64_buf *b)
{
	if (b->full || b->end - b->p < X64_MAX_INSN) {
		b->full = true;
		return false;
	}
	return true;
}

void x64_u8(struct x64_buf *b, uint8_t v)
{
	if (b->p < b->end)
		*b->p++ = v;
	else
		b->full = true;
}

void x64_u32(struct x64_buf *b, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		x64_u8(b, (uint8_t)(v >> (8 * i)));
}

void x64_u64(struct x64_buf *b, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		x64_u8(b, (uint8_t)(v >> (8 * i)));
}

static bool fits8(int32_t d) { return d >= -128 && d <= 127; }

/* Prefixes, REX and opcode; rex_rxb holds REX.R/X/B. */
static void opcode(struct x64_buf *b, unsigned flags, unsigned op, unsigned rex_rxb, bool force_rex)
{
	if (flags & OP_66)
		x64_u8(b, 0x66);
	if (flags & OP_F2)
		x64_u8(b, 0xf2);
	if (flags & OP_F3)
		x64_u8(b, 0xf3);
	unsigned rex = rex_rxb | ((flags & OP_W) ? REX_W : 0);
	if (rex || force_rex)
		x64_u8(b, (uint8_t)(REX_BASE | rex));
	if (flags & OP_0F)
		x64_u8(b, 0x0f);
	x64_u8(b, (uint8_t)op);
}

/* op reg, r/m with a register r/m. */
static void op_rr(struct x64_buf *b, unsigned flags, unsigned op, unsigned reg, unsigned rm)
{
	if (!room(b))
		return;
	bool b8 = (flags & OP_B8) && ((reg >= 4 && reg < 8) || (rm >= 4 && rm < 8));
	opcode(b, flags, op, ((reg & 8) ? REX_R : 0) | ((rm & 8) ? REX_B : 0), b8);
	x64_u8(b, (uint8_t)(MOD_REG << 6 | (reg & 7) << 3 | (rm & 7)));
}

/* op reg, r/m with a memory r/m, then imm_len bytes of immediate (the
 * caller's: a RIP-relative displacement counts from after them). */
static void op_rm_i(struct x64_buf *b, unsigned flags, unsigned op, unsigned reg, struct x64_mem m, unsigned imm_len)
{
	if (!room(b))
		return;
	if (m.base == X_RIP) { /* mod 00, rm 101: disp32 from the next instruction */
		opcode(b, flags, op, (reg & 8) ? REX_R : 0, false);
		x64_u8(b, (uint8_t)(MOD_DISP0 << 6 | (reg & 7) << 3 | RM_DISP));
		x64_u32(b, rel_to(b, 4 + imm_len, m.abs));
		return;
	}
	bool sib = m.index != X_NOREG || (m.base & 7) == X_RSP;
	unsigned rex = ((reg & 8) ? REX_R : 0) | ((m.base & 8) ? REX_B : 0);
	if (m.index != X_NOREG && (m.index & 8))
		rex |= REX_X;
	opcode(b, flags, op, rex, false);
	unsigned mod = m.disp == 0 && (m.base & 7) != RM_DISP ? MOD_DISP0 : fits8(m.disp) ? MOD_DISP8 : MOD_DISP32;
	x64_u8(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (sib ? RM_SIB : (m.base & 7))));
	if (sib)
		x64_u8(b,
		       (uint8_t)(m.scale << 6 | (m.index == X_NOREG ? SIB_NONE : (m.index & 7)) << 3 | (m.base & 7)));
	if (mod == MOD_DISP8)
		x64_u8(b, (uint8_t)(int8_t)m.disp);
	else if (mod == MOD_DISP32)
		x64_u32(b, (uint32_t)m.disp);
}

static void op_rm(struct x64_buf *b, unsigned flags, unsigned op, unsigned reg, struct x64_mem m)
{
	op_rm_i(b, flags, op, reg, m, 0);
}

void x64_load(struct x64_buf *b, bool w, unsigned dst, struct x64_mem m) { op_rm(b, w ? OP_W : 0, 0x8b, dst, m); }
void x64_store(struct x64_buf *b, bool w, struct x64_mem m, unsigned src) { op_rm(b, w ? OP_W : 0, 0x89, src, m); }
void x64_store8(struct x64_buf *b, struct x64_mem m, unsigned src) { op_rm(b, 0, 0x88, src, m); }
void x64_store16(struct x64_buf *b, struct x64_mem m, unsigned src) { op_rm(b, OP_66, 0x89, src, m); }
void x64_load_zx8(struct x64_buf *b, unsigned dst, struct x64_mem m) { op_rm(b, OP_0F, 0xb6, dst, m); }
void x64_load_zx16(struct x64_buf *b, unsigned dst, struct x64_mem m) { op_rm(b, OP_0F, 0xb7, dst, m); }
void x64_load_sx32(struct x64_buf *b, unsigned dst, struct x64_mem m) { op_rm(b, OP_W, 0x63, dst, m); }
void x64_mov_rr(struct x64_buf *b, bool w, unsigned dst, unsigned src) { op_rr(b, w ? OP_W : 0, 0x89, src, dst); }
void x64_movsxd_rr(struct x64_buf *b, unsigned dst, unsigned src) { op_rr(b, OP_W, 0x63, dst, src); }
void x64_movzx8_rr(struct x64_buf *b, unsigned dst, unsigned src) { op_rr(b, OP_0F | OP_B8, 0xb6, dst, src); }
void x64_movzx16_rr(struct x64_buf *b, unsigned dst, unsigned src) { op_rr(b, OP_0F, 0xb7, dst, src); }
void x64_mov8_rr(struct x64_buf *b, unsigned dst, unsigned src) { op_rr(b, OP_B8, 0x88, src, dst); }
void x64_mov16_rr(struct x64_buf *b, unsigned dst, unsigned src) { op_rr(b, OP_66, 0x89, src, dst); }

void x64_mov_imm(struct x64_buf *b, unsigned dst, uint64_t v)
{
	if (!room(b))
		return;
	if (v <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
		opcode(b, 0, 0xb8 + (dst & 7), (dst & 8) ? REX_B : 0, false);
		x64_u32(b, (uint32_t)v);
	} else if ((int64_t)v == (int32_t)v) { /* REX.W C7 /0: sign-extended imm32 */
		opcode(b, OP_W, 0xc7, (dst & 8) ? REX_B : 0, false);
		x64_u8(b, (uint8_t)(MOD_REG << 6 | (dst & 7)));
		x64_u32(b, (uint32_t)v);
	} else {
		opcode(b, OP_W, 0xb8 + (dst & 7), (dst & 8) ? REX_B : 0, false);
		x64_u64(b, v);
	}
}

void x64_store_imm8(struct x64_buf *b, struct x64_mem m, uint8_t v)
{
	op_rm_i(b, 0, 0xc6, 0, m, 1);
	x64_u8(b, v);
}

void x64_alu_rr(struct x64_buf *b, bool w, enum x64_alu op, unsigned dst, unsigned src)
{
	op_rr(b, w ? OP_W : 0, (unsigned)op * 8 + 1, src, dst);
}

void x64_alu_rm(struct x64_buf *b, bool w, enum x64_alu op, unsigned dst, struct x64_mem m)
{
	op_rm(b, w ? OP_W : 0, (unsigned)op * 8 + 3, dst, m);
}

void x64_alu_ri(struct x64_buf *b, bool w, enum x64_alu op, unsigned dst, int32_t imm)
{
	if (fits8(imm)) {
		op_rr(b, w ? OP_W : 0, 0x83, (unsigned)op, dst);
		x64_u8(b, (uint8_t)(int8_t)imm);
	} else {
		op_rr(b, w ? OP_W : 0, 0x81, (unsigned)op, dst);
		x64_u32(b, (uint32_t)imm);
	}
}

void x64_or_r8m(struct x64_buf *b, unsigned dst, struct x64_mem m) { op_rm(b, 0, 0x0a, dst, m); }

void x64_cmp_m8i(struct x64_buf *b, struct x64_mem m, uint8_t imm)
{
	op_rm_i(b, 0, 0x80, X_CMP, m, 1);
	x64_u8(b, imm);
}

void x64_cmp_m16i(struct x64_buf *b, struct x64_mem m, uint16_t imm)
{
	op_rm_i(b, OP_66, 0x81, X_CMP, m, 2);
	x64_u8(b, (uint8_t)imm);
	x64_u8(b, (uint8_t)(imm >> 8));
}

void x64_test_rr(struct x64_buf *b, bool w, unsigned a, unsigned c) { op_rr(b, w ? OP_W : 0, 0x85, c, a); }
void x64_lea(struct x64_buf *b, unsigned dst, struct x64_mem m) { op_rm(b, OP_W, 0x8d, dst, m); }

void x64_shift_ri(struct x64_buf *b, bool w, enum x64_shift op, unsigned dst, uint8_t cnt)
{
	op_rr(b, w ? OP_W : 0, 0xc1, (unsigned)op, dst);
	x64_u8(b, cnt);
}

void x64_incdec(struct x64_buf *b, bool w, bool dec, unsigned dst) { op_rr(b, w ? OP_W : 0, 0xff, dec ? 1 : 0, dst); }
void x64_movzx8_m(struct x64_buf *b, unsigned dst, struct x64_mem m) { op_rm(b, OP_0F, 0xb6, dst, m); }

void x64_store16_imm(struct x64_buf *b, struct x64_mem m, uint16_t v)
{
	op_rm_i(b, OP_66, 0xc7, 0, m, 2);
	x64_u8(b, (uint8_t)v);
	x64_u8(b, (uint8_t)(v >> 8));
}

void x64_bt_ri(struct x64_buf *b, bool w, unsigned r, uint8_t bit)
{
	op_rr(b, (w ? OP_W : 0) | OP_0F, 0xba, 4, r);
	x64_u8(b, bit);
}

void x64_alu8_rr(struct x64_buf *b, enum x64_alu op, unsigned dst, unsigned src)
{
	op_rr(b, OP_B8, (unsigned)op * 8, src, dst);
}
void x64_alu8_rm(struct x64_buf *b, enum x64_alu op, unsigned dst, struct x64_mem m)
{
	op_rm(b, 0, (unsigned)op * 8 + 2, dst, m);
}
void x64_incdec8(struct x64_buf *b, bool dec, unsigned dst) { op_rr(b, OP_B8, 0xfe, dec ? 1 : 0, dst); }

void x64_imul_rr(struct x64_buf *b, bool w, unsigned dst, unsigned src)
{
	op_rr(b, (w ? OP_W : 0) | OP_0F, 0xaf, dst, src);
}

void x64_setcc_r8(struct x64_buf *b, unsigned cc, unsigned dst) { op_rr(b, OP_0F | OP_B8, 0x90 + (cc & 15), 0, dst); }
void x64_setcc_m(struct x64_buf *b, unsigned cc, struct x64_mem m) { op_rm(b, OP_0F, 0x90 + (cc & 15), 0, m); }

void x64_cmov_rr(struct x64_buf *b, bool w, unsigned cc, unsigned dst, unsigned src)
{
	op_rr(b, (w ? OP_W : 0) | OP_0F, 0x40 + (cc & 15), dst, src);
}

void x64_test_ri(struct x64_buf *b, bool w, unsigned r, int32_t imm)
{
	op_rr(b, w ? OP_W : 0, 0xf7, 0, r);
	x64_u32(b, (uint32_t)imm);
}

void x64_test_m8i(struct x64_buf *b, struct x64_mem m, uint8_t imm)
{
	op_rm_i(b, 0, 0xf6, 0, m, 1);
	x64_u8(b, imm);
}

/* The encoding flags of an SSE form's mandatory prefix */
static unsigned sse_flags(unsigned pfx, bool w)
{
	return OP_0F | (w ? OP_W : 0) | (pfx == 0x66 ? OP_66 : pfx == 0xf2 ? OP_F2 : pfx == 0xf3 ? OP_F3 : 0);
}

void x64_sse_rr(struct x64_buf *b, unsigned pfx, bool w, unsigned op, unsigned reg, unsigned rm)
{
	op_rr(b, sse_flags(pfx, w), op, reg, rm);
}

static void x64_sse_rm(struct x64_buf *b, unsigned pfx, bool w, unsigned op, unsigned reg, struct x64_mem m)
{
	op_rm(b, sse_flags(pfx, w), op, reg, m);
}

void x64_movdqu_load(struct x64_buf *b, unsigned x, struct x64_mem m) { x64_sse_rm(b, 0xf3, false, 0x6f, x, m); }
void x64_movdqu_store(struct x64_buf *b, struct x64_mem m, unsigned x) { x64_sse_rm(b, 0xf3, false, 0x7f, x, m); }
void x64_movq_xr(struct x64_buf *b, unsigned x, unsigned r) { x64_sse_rr(b, 0x66, true, 0x6e, x, r); }
void x64_ldmxcsr(struct x64_buf *b, struct x64_mem m) { op_rm(b, OP_0F, 0xae, 2, m); }
void x64_stmxcsr(struct x64_buf *b, struct x64_mem m) { op_rm(b, OP_0F, 0xae, 3, m); }

void x64_call_r(struct x64_buf *b, unsigned r) { op_rr(b, 0, 0xff, 2, r); }
void x64_jmp_m(struct x64_buf *b, struct x64_mem m) { op_rm(b, 0, 0xff, 4, m); }

void x64_push(struct x64_buf *b, unsigned r)
{
	if (room(b))
		opcode(b, 0, 0x50 + (r & 7), (r & 8) ? REX_B : 0, false);
}

void x64_pop(struct x64_buf *b, unsigned r)
{
	if (room(b))
		opcode(b, 0, 0x58 + (r & 7), (r & 8) ? REX_B : 0, false);
}

void x64_pushf(struct x64_buf *b)
{
	if (room(b))
		x64_u8(b, 0x9c);
}

void x64_ret(struct x64_buf *b)
{
	if (room(b))
		x64_u8(b, 0xc3);
}

size_t x64_jcc_fwd(struct x64_buf *b, unsigned cc)
{
	if (!room(b))
		return 0;
	x64_u8(b, 0x0f);
	x64_u8(b, (uint8_t)(0x80 + (cc & 15)));
	x64_u32(b, 0);
	return x64_len(b);
}

size_t x64_jmp_fwd(struct x64_buf *b)
{
	if (!room(b))
		return 0;
	x64_u8(b, 0xe9);
	x64_u32(b, 0);
	return x64_len(b);
}

void x64_patch(struct x64_buf *b, size_t at)
{
	if (b->full || at < 4)
		return;
	uint32_t rel = (uint32_t)(x64_len(b) - at);
	memcpy(b->start + at - 4, &rel, 4);
}

void x64_jmp_to(struct x64_buf *b, size_t pos)
{
	if (!room(b))
		return;
	int64_t rel = (int64_t)pos - (int64_t)(x64_len(b) + 2);
	if (rel >= -128 && rel <= 127) {
		x64_u8(b, 0xeb);
		x64_u8(b, (uint8_t)(int8_t)rel);
		return;
	}
	x64_u8(b, 0xe9);
	x64_u32(b, (uint32_t)(int32_t)((int64_t)pos - (int64_t)(x64_len(b) + 4)));
}

void x64_jmp_abs(struct x64_buf *b, const void *addr)
{
	if (!room(b))
		return;
	x64_u8(b, 0xe9);
	x64_u32(b, rel_to(b, 4, (uint64_t)(uintptr_t)addr));
}

void x64_jcc_abs(struct x64_buf *b, unsigned cc, const void *addr)
{
	if (!room(b))
		return;
	x64_u8(b, 0x0f);
	x64_u8(b, (uint8_t)(0x80 + (cc & 15)));
	x64_u32(b, rel_to(b, 4, (uint64_t)(uintptr_t)addr));
}

void x64_call_abs(struct x64_buf *b, const void *addr)
{
	if (!room(b))
		return;
	x64_u8(b, 0xe8);
	x64_u32(b, rel_to(b, 4, (uint64_t)(uintptr_t)addr));
}
