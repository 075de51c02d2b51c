/*
 * bitcnt.c - the general-purpose instructions of x86-64-v2
 * (opcodes_v2.def): POPCNT, LZCNT (AMD ABM), CRC32 (SSE4.2, all sizes) and
 * MOVBE.
 *
 * POPCNT clears OF SF AF CF PF and sets ZF for a zero source. LZCNT sets CF
 * for a zero source (the result is then the operand width) and ZF for a zero
 * result; OF SF AF PF are undefined (cleared here, rax-diff masks them).
 * CRC32 accumulates CRC-32C (polynomial 0x11EDC6F41, bit-reflected, no
 * inversion) of a 1/2/4/8-byte source into the low 32 bits of the
 * destination, which is zero-extended; flags are unchanged. MOVBE loads or
 * stores with the bytes reversed (memory operand only), flags unchanged.
 */
#include "emu/insn/handlers.h"

/* F3 0F B8: POPCNT r, r/m (16/32/64) */
EMU_HANDLER(popcnt_GvEv)
{
	uint64_t v = emu_rm_get(c, in, in->osz);
	emu_reg_set(c, in, in->reg, in->osz, (uint64_t)__builtin_popcountll(v));
	emu_set_status(c, RFLAGS_STATUS, v ? 0 : RFLAGS_ZF);
}

/* F3 0F BD: LZCNT r, r/m (16/32/64) */
EMU_HANDLER(lzcnt_GvEv)
{
	unsigned bits = in->osz * 8;
	uint64_t v = emu_rm_get(c, in, in->osz);
	unsigned n = v ? (unsigned)__builtin_clzll(v) - (64 - bits) : bits;
	emu_reg_set(c, in, in->reg, in->osz, n);
	/* CF and ZF; SF AF PF cleared and OF unchanged, as the AMD Zen 4 host does */
	emu_set_status(c, RFLAGS_STATUS & ~RFLAGS_OF, (v ? 0 : RFLAGS_CF) | (n ? 0 : RFLAGS_ZF));
}

/* CRC-32C of size bytes of v (least significant first) onto crc */
static uint32_t crc32c(uint32_t crc, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++) {
		crc ^= (uint8_t)(v >> (8 * i));
		for (unsigned k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
	}
	return crc;
}

/* F2 (REX.W) 0F 38 F0: CRC32 r32/r64, r/m8 */
EMU_HANDLER(crc32_GyEb)
{
	uint64_t v = emu_rm_get(c, in, 1);
	c->gpr[in->reg] = crc32c((uint32_t)c->gpr[in->reg], v, 1);
}

/* F2 (66 / REX.W) 0F 38 F1: CRC32 r32, r/m16 / r/m32; r64, r/m64 */
EMU_HANDLER(crc32_GyEv)
{
	uint64_t v = emu_rm_get(c, in, in->osz);
	c->gpr[in->reg] = crc32c((uint32_t)c->gpr[in->reg], v, in->osz);
}

static uint64_t bswap_n(uint64_t v, unsigned size)
{
	switch (size) {
	case 2: return __builtin_bswap16((uint16_t)v);
	case 4: return __builtin_bswap32((uint32_t)v);
	default: return __builtin_bswap64(v);
	}
}

/* (66) 0F 38 F0: MOVBE r, m (16/32/64) */
EMU_HANDLER(movbe_GvMv)
{
	emu_need_mem(c, in);
	uint64_t v = emu_rd(c, in->seg, emu_ea(c, in), in->osz);
	emu_reg_set(c, in, in->reg, in->osz, bswap_n(v, in->osz));
}

/* (66) 0F 38 F1: MOVBE m, r (16/32/64) */
EMU_HANDLER(movbe_MvGv)
{
	emu_need_mem(c, in);
	uint64_t v = emu_reg_get(c, in, in->reg, in->osz);
	emu_wr(c, in->seg, emu_ea(c, in), in->osz, bswap_n(v, in->osz));
}
