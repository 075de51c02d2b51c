/*
 * aes.c - AES-NI (AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC,
 * AESKEYGENASSIST) and PCLMULQDQ, legacy SSE and VEX.128 forms
 * (opcodes_aes.def).
 *
 * Everything is computed in portable C from the definitions; the host's
 * AES-NI and PCLMULQDQ are never used, so the interpreter runs on any
 * x86-64 host.
 *
 * AES (FIPS-197): the 16-byte state is the XMM register with byte i in row
 * i mod 4, column i / 4 (FIPS-197 3.4, in[r + 4c] = s[r, c]). One round of
 * the SDM's pseudo-code (vol. 2, AESENC ... AESKEYGENASSIST):
 *   AESENC      ShiftRows, SubBytes, MixColumns, XOR round key
 *   AESENCLAST  ShiftRows, SubBytes, XOR round key
 *   AESDEC      InvShiftRows, InvSubBytes, InvMixColumns, XOR round key
 *   AESDECLAST  InvShiftRows, InvSubBytes, XOR round key
 *   AESIMC      InvMixColumns of the source (turns an encryption round key
 *               into one for AESDEC, FIPS-197 5.3.5 equivalent inverse)
 *   AESKEYGENASSIST  with X1 = src[63:32], X3 = src[127:96], RCON = imm8:
 *               dst = RotWord(SubWord(X3)) ^ RCON : SubWord(X3) :
 *                     RotWord(SubWord(X1)) ^ RCON : SubWord(X1)
 *               (RotWord [a0 a1 a2 a3] -> [a1 a2 a3 a0], a0 the low byte)
 * The state is the first source (the destination register for the legacy
 * form, VEX.vvvv for the VEX form) and the round key the second
 * (xmm/m128). The S-box is built once at start-up from its definition
 * (FIPS-197 5.1.1: the multiplicative inverse in GF(2^8) modulo
 * x^8 + x^4 + x^3 + x + 1, 0 mapped to 0, then the affine map
 * b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63); the unit test
 * checks it against the FIPS-197 appendix vectors.
 *
 * PCLMULQDQ: the carry-less (GF(2)[x]) product of two quadwords into 128
 * bits; imm8 bit 0 picks the quadword of the first source (the destination
 * register for the legacy form, VEX.vvvv for VEX), bit 4 that of the second
 * (xmm/m128); the other imm8 bits are ignored.
 *
 * Faults (SDM exception class 4): emu_sse_check first (legacy: #UD for
 * CR0.EM or !CR4.OSFXSR, #NM for CR0.TS; VEX: AVX's rules), then the
 * memory operand: legacy m128 must be 16-byte aligned (#GP(0)), VEX m128
 * has no alignment rule. The destination is written last. Flags and MXCSR
 * are untouched.
 */
#include "emu/insn/sse.h"

#include "emu/insn/handlers.h"

static uint8_t aes_sbox[256], aes_inv_sbox[256];
/* products by the InvMixColumns coefficients {09} {0b} {0d} {0e} */
static uint8_t aes_mul9[256], aes_mul11[256], aes_mul13[256], aes_mul14[256];

/* GF(2^8) multiplication by x modulo the AES polynomial 0x11b (xtime) */
static inline uint8_t xtime(uint8_t a) { return (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0)); }

/* GF(2^8) product (FIPS-197 4.2) */
static uint8_t gmul(uint8_t a, uint8_t b)
{
	uint8_t p = 0;
	while (b) {
		if (b & 1)
			p ^= a;
		a = xtime(a);
		b >>= 1;
	}
	return p;
}

static inline uint8_t rotl8(uint8_t b, unsigned n) { return (uint8_t)((b << n) | (b >> (8 - n))); }

/* The S-box and its inverse from the definition (FIPS-197 5.1.1, 5.3.2):
 * powers of the generator 0x03 give every nonzero element, and the inverse
 * of 3^k is 3^(255-k). And the InvMixColumns product tables. */
__attribute__((constructor)) static void aes_sbox_init(void)
{
	uint8_t exp[255], inv[256];
	uint8_t e = 1;
	for (unsigned k = 0; k < 255; k++) {
		exp[k] = e;
		e = gmul(e, 3);
	}
	inv[0] = 0;
	for (unsigned k = 0; k < 255; k++)
		inv[exp[k]] = exp[(255 - k) % 255];
	for (unsigned x = 0; x < 256; x++) {
		uint8_t b = inv[x];
		uint8_t s = (uint8_t)(b ^ rotl8(b, 1) ^ rotl8(b, 2) ^ rotl8(b, 3) ^ rotl8(b, 4) ^ 0x63);
		aes_sbox[x] = s;
		aes_inv_sbox[s] = (uint8_t)x;
		aes_mul9[x] = gmul((uint8_t)x, 0x09);
		aes_mul11[x] = gmul((uint8_t)x, 0x0b);
		aes_mul13[x] = gmul((uint8_t)x, 0x0d);
		aes_mul14[x] = gmul((uint8_t)x, 0x0e);
	}
}

/* ShiftRows then SubBytes (they commute): s'[r, c] = S(s[r, (c + r) mod 4]) */
static void aes_shift_sub(uint8_t *o, const uint8_t *s)
{
	for (unsigned c = 0; c < 4; c++)
		for (unsigned r = 0; r < 4; r++)
			o[r + 4 * c] = aes_sbox[s[r + 4 * ((c + r) & 3)]];
}

/* InvShiftRows then InvSubBytes: s'[r, (c + r) mod 4] = InvS(s[r, c]) */
static void aes_inv_shift_sub(uint8_t *o, const uint8_t *s)
{
	for (unsigned c = 0; c < 4; c++)
		for (unsigned r = 0; r < 4; r++)
			o[r + 4 * ((c + r) & 3)] = aes_inv_sbox[s[r + 4 * c]];
}

/* MixColumns (FIPS-197 5.1.3): each column times {03}x^3 + {01}x^2 + {01}x + {02} */
static void aes_mix(uint8_t *s)
{
	for (unsigned c = 0; c < 4; c++) {
		uint8_t *p = s + 4 * c, a0 = p[0], a1 = p[1], a2 = p[2], a3 = p[3];
		p[0] = (uint8_t)(xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3);
		p[1] = (uint8_t)(a0 ^ xtime(a1) ^ xtime(a2) ^ a2 ^ a3);
		p[2] = (uint8_t)(a0 ^ a1 ^ xtime(a2) ^ xtime(a3) ^ a3);
		p[3] = (uint8_t)(xtime(a0) ^ a0 ^ a1 ^ a2 ^ xtime(a3));
	}
}

/* InvMixColumns (FIPS-197 5.3.3): times {0b}x^3 + {0d}x^2 + {09}x + {0e} */
static void aes_inv_mix(uint8_t *s)
{
	for (unsigned c = 0; c < 4; c++) {
		uint8_t *p = s + 4 * c, a0 = p[0], a1 = p[1], a2 = p[2], a3 = p[3];
		p[0] = (uint8_t)(aes_mul14[a0] ^ aes_mul11[a1] ^ aes_mul13[a2] ^ aes_mul9[a3]);
		p[1] = (uint8_t)(aes_mul9[a0] ^ aes_mul14[a1] ^ aes_mul11[a2] ^ aes_mul13[a3]);
		p[2] = (uint8_t)(aes_mul13[a0] ^ aes_mul9[a1] ^ aes_mul14[a2] ^ aes_mul11[a3]);
		p[3] = (uint8_t)(aes_mul11[a0] ^ aes_mul13[a1] ^ aes_mul9[a2] ^ aes_mul14[a3]);
	}
}

enum aes_op { AES_ENC, AES_ENCLAST, AES_DEC, AES_DECLAST };

/* One round: state = first source, round key = second source */
static void aes_round(struct emu_cpu *c, const struct emu_insn *in, enum aes_op op)
{
	emu_sse_check(c, in);
	uint8_t key[16], st[16], o[16];
	_mm_storeu_si128((__m128i *)(void *)key, emu_sse_W(c, in, true));
	_mm_storeu_si128((__m128i *)(void *)st, emu_sse_A(c, in));
	if (op == AES_ENC || op == AES_ENCLAST) {
		aes_shift_sub(o, st);
		if (op == AES_ENC)
			aes_mix(o);
	} else {
		aes_inv_shift_sub(o, st);
		if (op == AES_DEC)
			aes_inv_mix(o);
	}
	for (unsigned i = 0; i < 16; i++)
		o[i] ^= key[i];
	emu_sse_D(c, in, _mm_loadu_si128((const __m128i *)(const void *)o));
}

/* 66 0F 38 DC: AESENC xmm1, xmm2/m128; VEX.128.66.0F38 DC: VAESENC xmm1, xmm2, xmm3/m128 */
EMU_HANDLER(aesenc_VW) { aes_round(c, in, AES_ENC); }
/* 66 0F 38 DD: AESENCLAST; VEX.128.66.0F38 DD: VAESENCLAST */
EMU_HANDLER(aesenclast_VW) { aes_round(c, in, AES_ENCLAST); }
/* 66 0F 38 DE: AESDEC; VEX.128.66.0F38 DE: VAESDEC */
EMU_HANDLER(aesdec_VW) { aes_round(c, in, AES_DEC); }
/* 66 0F 38 DF: AESDECLAST; VEX.128.66.0F38 DF: VAESDECLAST */
EMU_HANDLER(aesdeclast_VW) { aes_round(c, in, AES_DECLAST); }

/* 66 0F 38 DB: AESIMC xmm1, xmm2/m128; VEX.128.66.0F38 DB: VAESIMC (vvvv = 1111b) */
EMU_HANDLER(aesimc_VW)
{
	emu_sse_check(c, in);
	uint8_t s[16];
	_mm_storeu_si128((__m128i *)(void *)s, emu_sse_W(c, in, true));
	aes_inv_mix(s);
	emu_sse_D(c, in, _mm_loadu_si128((const __m128i *)(const void *)s));
}

/* SubWord: the S-box on each byte of a 32-bit word */
static uint32_t aes_subword(uint32_t w)
{
	uint32_t r = 0;
	for (unsigned i = 0; i < 4; i++)
		r |= (uint32_t)aes_sbox[(w >> (8 * i)) & 0xff] << (8 * i);
	return r;
}

/* RotWord: [a0 a1 a2 a3] -> [a1 a2 a3 a0] with a0 the least significant
 * byte, a rotation right by 8 bits */
static inline uint32_t aes_rotword(uint32_t w) { return (w >> 8) | (w << 24); }

/* 66 0F 3A DF ib: AESKEYGENASSIST xmm1, xmm2/m128, imm8; VEX.128.66.0F3A DF ib (vvvv = 1111b) */
EMU_HANDLER(aeskeygenassist_VWIb)
{
	emu_sse_check(c, in);
	uint32_t x[4], d[4], rcon = (uint32_t)in->imm & 0xff;
	_mm_storeu_si128((__m128i *)(void *)x, emu_sse_W(c, in, true));
	d[0] = aes_subword(x[1]);
	d[1] = aes_rotword(d[0]) ^ rcon;
	d[2] = aes_subword(x[3]);
	d[3] = aes_rotword(d[2]) ^ rcon;
	emu_sse_D(c, in, _mm_loadu_si128((const __m128i *)(const void *)d));
}

/* The 128-bit carry-less product of a and b: XOR of a << i for every set bit i of b */
static void clmul64(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
	uint64_t l = 0, h = 0;
	for (unsigned i = 0; i < 64; i++)
		if ((b >> i) & 1) {
			l ^= a << i;
			if (i)
				h ^= a >> (64 - i);
		}
	*lo = l;
	*hi = h;
}

/* 66 0F 3A 44 ib: PCLMULQDQ xmm1, xmm2/m128, imm8;
 * VEX.128.66.0F3A 44 ib: VPCLMULQDQ xmm1, xmm2, xmm3/m128, imm8 */
EMU_HANDLER(pclmulqdq_VWIb)
{
	emu_sse_check(c, in);
	uint64_t a[2], b[2], r[2];
	_mm_storeu_si128((__m128i *)(void *)b, emu_sse_W(c, in, true));
	_mm_storeu_si128((__m128i *)(void *)a, emu_sse_A(c, in));
	clmul64(a[in->imm & 1], b[(in->imm >> 4) & 1], &r[0], &r[1]);
	emu_sse_D(c, in, _mm_loadu_si128((const __m128i *)(const void *)r));
}
