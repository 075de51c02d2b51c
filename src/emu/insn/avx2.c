/*
 * avx2.c - the AVX and AVX2 instructions that have no SSE counterpart
 * (opcodes_avx2.def): VBROADCASTSS/SD/F128, VPBROADCASTB/W/D/Q,
 * VBROADCASTI128; VINSERTF128/I128, VEXTRACTF128/I128, VPERM2F128/I128;
 * VPERMILPS/PD (imm8 and variable), VPERMQ/VPERMPD, VPERMD/VPERMPS;
 * VMASKMOVPS/PD and VPMASKMOVD/Q (loads and stores); VPSLLVD/Q, VPSRLVD/Q,
 * VPSRAVD; VTESTPS/PD; VPBLENDD; the gathers VGATHERDPS/DPD/QPS/QPD and
 * VPGATHERDD/DQ/QD/QQ.
 *
 * All are integer or bit moves, done element by element in portable C.
 * Rules (SDM vol. 2, the instruction pages; exception classes 4, 6, 12):
 *  - VEX only: #UD unless CR4.OSXSAVE and XCR0 enable SSE and AVX state,
 *    then #NM for CR0.TS (emu_sse_check); no alignment rule anywhere.
 *  - A VEX.128 destination register has bits 255:128 zeroed; the 256-bit
 *    forms that are not lane-wise (permutes across lanes, broadcasts,
 *    inserts) are written here whole, after every load, so a fault leaves
 *    the destination as it was.
 *  - Masked loads and stores touch only the elements whose mask element
 *    (VEX.vvvv) has its sign bit set; the others never fault, not even on
 *    an unmapped page or a non-canonical address. A store checks all of
 *    its elements (limit, canonical, pages) before it writes any.
 *  - Gathers: see vgather_VMH.
 */
#include "emu/insn/sse.h"

#include "emu/insn/handlers.h"

/* A 32-byte vector, element views over host (little-endian) memory. */
union v256 {
	uint8_t b[32];
	uint16_t w[16];
	uint32_t d[8];
	int32_t sd[8];
	uint64_t q[4];
	int64_t sq[4];
};

/* The vector length of the instruction in bytes: 32 for VEX.256, else 16 */
static inline unsigned vbytes(const struct emu_insn *in) { return (in->vex & EMU_VEX_L) ? 32u : 16u; }

static void ymm_get(const struct emu_cpu *c, unsigned r, union v256 *v)
{
	memcpy(v->b, c->s.fpu.xmm[r & 15], 16);
	memcpy(v->b + 16, c->s.fpu.ymmh[r & 15], 16);
}

/* Destination register r: n = 32 bytes, or 16 with bits 255:128 zeroed */
static void ymm_put(struct emu_cpu *c, unsigned r, const union v256 *v, unsigned n)
{
	memcpy(c->s.fpu.xmm[r & 15], v->b, 16);
	if (n == 32)
		memcpy(c->s.fpu.ymmh[r & 15], v->b + 16, 16);
	else
		emu_ymmh_zero(c, r);
}

/* n bytes of register r from byte offset off (of the 32) */
static void ymm_set_bytes(struct emu_cpu *c, unsigned r, unsigned off, const void *p, unsigned n)
{
	const uint8_t *s = p;
	for (unsigned i = 0; i < n; i++, off++)
		(off < 16 ? c->s.fpu.xmm[r & 15] : c->s.fpu.ymmh[r & 15])[off & 15] = s[i];
}

/* n bytes of memory at in->seg:off, checked whole (limit, canonical, both
 * pages) before anything is read */
static void mem_get(struct emu_cpu *c, const struct emu_insn *in, uint64_t off, void *buf, unsigned n)
{
	uint64_t la = emu_linear_acc(c, in->seg, off, n, ACC_R);
	const uint8_t *p = emu_tlb_host(c, la, ACC_R, n);
	if (p)
		memcpy(buf, p, n);
	else
		emu_read_block(c, la, buf, n, c->cpl == 3);
}

/* The r/m source: a register (all 32 bytes) or n bytes of memory */
static void src_W(struct emu_cpu *c, const struct emu_insn *in, union v256 *v, unsigned n)
{
	memset(v, 0, sizeof(*v));
	if (in->mod == 3)
		ymm_get(c, in->rm, v);
	else
		mem_get(c, in, emu_ea(c, in), v->b, n);
}

/* ---------------- broadcasts ---------------- */

/* VBROADCASTSS/SD/F128, VPBROADCASTB/W/D/Q, VBROADCASTI128: the low element
 * of xmm/m (m128 for the 128-bit forms, memory only) in every element */
EMU_HANDLER(vbroadcast_VW)
{
	emu_sse_check(c, in);
	unsigned sz;
	switch (in->op) {
	case 0x78: sz = 1; break;
	case 0x79: sz = 2; break;
	case 0x18:
	case 0x58: sz = 4; break;
	case 0x19:
	case 0x59: sz = 8; break;
	default: sz = 16; break; /* 1A, 5A */
	}
	unsigned n = vbytes(in);
	union v256 s, r;
	src_W(c, in, &s, sz);
	for (unsigned i = 0; i < n; i += sz)
		memcpy(r.b + i, s.b, sz);
	ymm_put(c, in->reg, &r, n);
}

/* ---------------- 128-bit halves ---------------- */

/* VINSERTF128/I128 ymm1, ymm2, xmm/m128, imm8: ymm2 with half imm8[0] replaced */
EMU_HANDLER(vinsertf128_VHWIb)
{
	emu_sse_check(c, in);
	union v256 a, s;
	src_W(c, in, &s, 16);
	ymm_get(c, in->vvvv, &a);
	memcpy(a.b + 16 * (in->imm & 1), s.b, 16);
	ymm_put(c, in->reg, &a, 32);
}

/* VEXTRACTF128/I128 xmm/m128, ymm, imm8: half imm8[0]; a register
 * destination has bits 255:128 zeroed */
EMU_HANDLER(vextractf128_WVIb)
{
	emu_sse_check(c, in);
	union v256 a;
	ymm_get(c, in->reg, &a);
	__m128i h = _mm_loadu_si128((const __m128i *)(const void *)(a.b + 16 * (in->imm & 1)));
	if (in->mod == 3) {
		emu_xmm_st(c, in->rm, h);
		emu_ymmh_zero(c, in->rm);
	} else {
		emu_sse_wr128(c, in, false, h);
	}
}

/* VPERM2F128/I128 ymm1, ymm2, ymm3/m256, imm8: half i of the result is
 * half imm8[4i+1:4i] of ymm2:ymm3 (0, 1: ymm2; 2, 3: ymm3), or zero when
 * imm8[4i+3] is set */
EMU_HANDLER(vperm2f128_VHWIb)
{
	emu_sse_check(c, in);
	union v256 s[2], r;
	src_W(c, in, &s[1], 32);
	ymm_get(c, in->vvvv, &s[0]);
	for (unsigned h = 0; h < 2; h++) {
		unsigned ctl = (unsigned)in->imm >> (4 * h);
		if (ctl & 8)
			memset(r.b + 16 * h, 0, 16);
		else
			memcpy(r.b + 16 * h, s[(ctl >> 1) & 1].b + 16 * (ctl & 1), 16);
	}
	ymm_put(c, in->reg, &r, 32);
}

/* ---------------- permutes ---------------- */

/* VPERMILPS xmm1, xmm2, xmm3/m: dword i of xmm2's lane by the low 2 bits of dword i of xmm3/m */
EMU_HANDLER(vpermilps_VHW)
{
	emu_sse_check(c, in);
	unsigned n = vbytes(in);
	union v256 a, k, r;
	src_W(c, in, &k, n);
	ymm_get(c, in->vvvv, &a);
	for (unsigned i = 0; i < n / 4; i++)
		r.d[i] = a.d[(i & ~3u) | (k.d[i] & 3)];
	ymm_put(c, in->reg, &r, n);
}

/* VPERMILPD: qword i of xmm2's lane by bit 1 of qword i of xmm3/m */
EMU_HANDLER(vpermilpd_VHW)
{
	emu_sse_check(c, in);
	unsigned n = vbytes(in);
	union v256 a, k, r;
	src_W(c, in, &k, n);
	ymm_get(c, in->vvvv, &a);
	for (unsigned i = 0; i < n / 8; i++)
		r.q[i] = a.q[(i & ~1u) | ((k.q[i] >> 1) & 1)];
	ymm_put(c, in->reg, &r, n);
}

/* VPERMILPS xmm1, xmm2/m, imm8: dword i of its lane by imm8[2(i mod 4)+1:2(i mod 4)] */
EMU_HANDLER(vpermilps_VWIb)
{
	emu_sse_check(c, in);
	unsigned n = vbytes(in), imm = (unsigned)in->imm & 0xff;
	union v256 s, r;
	src_W(c, in, &s, n);
	for (unsigned i = 0; i < n / 4; i++)
		r.d[i] = s.d[(i & ~3u) | ((imm >> (2 * (i & 3))) & 3)];
	ymm_put(c, in->reg, &r, n);
}

/* VPERMILPD xmm1, xmm2/m, imm8: qword i of its lane by imm8[i] */
EMU_HANDLER(vpermilpd_VWIb)
{
	emu_sse_check(c, in);
	unsigned n = vbytes(in), imm = (unsigned)in->imm & 0xff;
	union v256 s, r;
	src_W(c, in, &s, n);
	for (unsigned i = 0; i < n / 8; i++)
		r.q[i] = s.q[(i & ~1u) | ((imm >> i) & 1)];
	ymm_put(c, in->reg, &r, n);
}

/* VPERMQ/VPERMPD ymm1, ymm2/m256, imm8: qword i is qword imm8[2i+1:2i] */
EMU_HANDLER(vpermq_VWIb)
{
	emu_sse_check(c, in);
	unsigned imm = (unsigned)in->imm & 0xff;
	union v256 s, r;
	src_W(c, in, &s, 32);
	for (unsigned i = 0; i < 4; i++)
		r.q[i] = s.q[(imm >> (2 * i)) & 3];
	ymm_put(c, in->reg, &r, 32);
}

/* VPERMD/VPERMPS ymm1, ymm2, ymm3/m256: dword i is dword (ymm2.d[i] & 7) of ymm3/m256 */
EMU_HANDLER(vpermd_VHW)
{
	emu_sse_check(c, in);
	union v256 k, s, r;
	src_W(c, in, &s, 32);
	ymm_get(c, in->vvvv, &k);
	for (unsigned i = 0; i < 8; i++)
		r.d[i] = s.d[k.d[i] & 7];
	ymm_put(c, in->reg, &r, 32);
}

/* VPBLENDD xmm1, xmm2, xmm3/m, imm8: dword i from xmm3/m where imm8[i], else xmm2 */
EMU_HANDLER(vpblendd_VHWIb)
{
	emu_sse_check(c, in);
	unsigned n = vbytes(in), imm = (unsigned)in->imm & 0xff;
	union v256 a, b, r;
	src_W(c, in, &b, n);
	ymm_get(c, in->vvvv, &a);
	for (unsigned i = 0; i < n / 4; i++)
		r.d[i] = ((imm >> i) & 1) ? b.d[i] : a.d[i];
	ymm_put(c, in->reg, &r, n);
}

/* ---------------- variable shifts ---------------- */

/* VPSLLVD/Q, VPSRLVD/Q (VEX.W: qwords), VPSRAVD: element i of xmm2 shifted
 * by element i of xmm3/m (unsigned); a count of the element width or more
 * gives 0, or the sign in every bit for VPSRAVD */
enum { SH_LL, SH_RL, SH_RA };
static void shiftv(struct emu_cpu *c, const struct emu_insn *in, unsigned kind)
{
	emu_sse_check(c, in);
	unsigned n = vbytes(in);
	union v256 a, k, r;
	src_W(c, in, &k, n);
	ymm_get(c, in->vvvv, &a);
	if (in->vex & EMU_VEX_W) {
		for (unsigned i = 0; i < n / 8; i++)
			r.q[i] = k.q[i] > 63 ? 0 : kind == SH_LL ? a.q[i] << k.q[i] : a.q[i] >> k.q[i];
	} else {
		for (unsigned i = 0; i < n / 4; i++) {
			uint32_t s = k.d[i];
			if (kind == SH_RA)
				r.sd[i] = a.sd[i] >> (s > 31 ? 31 : s);
			else
				r.d[i] = s > 31 ? 0 : kind == SH_LL ? a.d[i] << s : a.d[i] >> s;
		}
	}
	ymm_put(c, in->reg, &r, n);
}
EMU_HANDLER(vpsllv_VHW) { shiftv(c, in, SH_LL); }
EMU_HANDLER(vpsrlv_VHW) { shiftv(c, in, SH_RL); }
EMU_HANDLER(vpsrav_VHW) { shiftv(c, in, SH_RA); }

/* ---------------- VTESTPS / VTESTPD ---------------- */

/* The sign bits only: ZF = no element of (a AND b) has its sign set, CF = no
 * element of (NOT a AND b) has; OF SF AF PF cleared */
static void vtest(struct emu_cpu *c, const struct emu_insn *in, unsigned es)
{
	emu_sse_check(c, in);
	unsigned n = vbytes(in);
	union v256 a, b;
	src_W(c, in, &b, n);
	ymm_get(c, in->reg, &a);
	unsigned both = 0, nboth = 0;
	for (unsigned i = es - 1; i < n; i += es) {
		both |= a.b[i] & b.b[i] & 0x80;
		nboth |= ~a.b[i] & b.b[i] & 0x80;
	}
	emu_set_status(c, RFLAGS_STATUS, (!both ? RFLAGS_ZF : 0) | (!nboth ? RFLAGS_CF : 0));
}
EMU_HANDLER(vtestps_VW) { vtest(c, in, 4); }
EMU_HANDLER(vtestpd_VW) { vtest(c, in, 8); }

/* ---------------- masked moves ---------------- */

/* Element size: VMASKMOVPS (2C/2E) 4, VMASKMOVPD (2D/2F) 8, VPMASKMOVD/Q
 * (8C/8E) 4 or 8 by VEX.W */
static unsigned maskmov_es(const struct emu_insn *in)
{
	if ((in->op & 0xf0) == 0x80)
		return (in->vex & EMU_VEX_W) ? 8 : 4;
	return (in->op & 1) ? 8 : 4;
}

/* VMASKMOVPS/PD, VPMASKMOVD/Q xmm1, xmm2, m: element i of m where the sign
 * of element i of xmm2 is set, else zero */
EMU_HANDLER(vmaskmov_VHM)
{
	emu_sse_check(c, in);
	unsigned es = maskmov_es(in), n = vbytes(in);
	union v256 m, r;
	ymm_get(c, in->vvvv, &m);
	memset(&r, 0, sizeof(r));
	uint64_t ea = emu_ea(c, in);
	for (unsigned i = 0; i < n / es; i++)
		if (m.b[i * es + es - 1] & 0x80) {
			uint64_t v = emu_rd(c, in->seg, ea + i * es, es);
			memcpy(r.b + i * es, &v, es);
		}
	ymm_put(c, in->reg, &r, n);
}

/* VMASKMOVPS/PD, VPMASKMOVD/Q m, xmm1 (mask), xmm2: element i of xmm2 to
 * m where the sign of element i of xmm1 is set; the others are not
 * written. All elements to be written are checked first. */
EMU_HANDLER(vmaskmov_MHV)
{
	emu_sse_check(c, in);
	unsigned es = maskmov_es(in), n = vbytes(in);
	union v256 m, v;
	ymm_get(c, in->vvvv, &m);
	ymm_get(c, in->reg, &v);
	uint64_t ea = emu_ea(c, in);
	for (unsigned i = 0; i < n / es; i++)
		if (m.b[i * es + es - 1] & 0x80)
			emu_access_check(c, in->seg, ea + i * es, es, ACC_W);
	for (unsigned i = 0; i < n / es; i++)
		if (m.b[i * es + es - 1] & 0x80) {
			uint64_t x = 0;
			memcpy(&x, v.b + i * es, es);
			emu_wr(c, in->seg, ea + i * es, es, x);
		}
}

/* ---------------- gathers ---------------- */

/*
 * VGATHERDPS/DPD/QPS/QPD, VPGATHERDD/DQ/QD/QQ xmm1, vm, xmm2 (66 0F 38
 * 90-93): op bit 0 gives the index size (dword, qword), VEX.W the element
 * size. The memory operand is VSIB: ModRM.rm = 100b and the SIB index names
 * a vector register (xmm4 too: the decoder's "no index" encoding), whose
 * elements, sign-extended and scaled, are added to base + displacement.
 * Elements: VEX.L ? 32 : 16 bytes over the larger of the two sizes.
 *
 * Element j is loaded when the sign bit of mask (xmm2) element j is set;
 * element by element, in order, the load completes into the destination
 * and the mask element becomes zero (loaded or not). A fault leaves the
 * elements before it done and their mask elements cleared, and the rest as
 * they were: the instruction restarts from there. At the end the whole
 * mask register is zero and the destination bits above the elements are
 * zeroed (VEX.128: 255:128; the Q..PS forms also 127:64, or 255:128).
 * #UD: ModRM.rm != 100b (or ModRM.mod = 11b: no row), 16-bit addressing,
 * or any two of destination, index and mask the same register.
 */
EMU_HANDLER(vgather_VMH)
{
	unsigned vi = in->index == EMU_REG_NONE ? 4u : in->index;
	if ((in->modrm & 7) != 4 || in->asz == 2 || in->reg == vi || in->reg == in->vvvv || vi == in->vvvv)
		EMU_UD(c);
	emu_sse_check(c, in);
	unsigned isz = (in->op & 1) ? 8 : 4, esz = (in->vex & EMU_VEX_W) ? 8 : 4;
	unsigned n = vbytes(in), cnt = n / (isz > esz ? isz : esz);
	union v256 idx, m;
	ymm_get(c, vi, &idx);
	ymm_get(c, in->vvvv, &m);
	struct emu_insn b = *in;
	b.index = EMU_REG_NONE;
	uint64_t base = emu_ea(c, &b), amask = in->asz == 4 ? 0xffffffffull : ~0ull;
	static const uint8_t zero[8];
	for (unsigned j = 0; j < cnt; j++) {
		if (m.b[j * esz + esz - 1] & 0x80) {
			int64_t x = isz == 8 ? idx.sq[j] : idx.sd[j];
			uint64_t v = emu_rd(c, in->seg, (base + ((uint64_t)x << in->scale)) & amask, esz);
			ymm_set_bytes(c, in->reg, j * esz, &v, esz);
		}
		ymm_set_bytes(c, in->vvvv, j * esz, zero, esz);
	}
	union v256 z;
	memset(&z, 0, sizeof(z));
	ymm_put(c, in->vvvv, &z, 32);
	ymm_set_bytes(c, in->reg, cnt * esz, z.b, 32 - cnt * esz);
}
