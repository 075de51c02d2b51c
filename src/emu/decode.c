/*
 * decode.c - instruction decoder (64-bit mode, and 32/16-bit code of
 * protected and compatibility mode) and Intel-syntax disassembler.
 *
 * Both are driven by opcodes.def: a constructor folds the rows into two
 * lookup tables (64-bit mode; legacy modes, where I64 rows win) indexed by
 * (map, opcode), with group opcodes resolved by ModRM.reg. Prefix rules
 * follow the SDM/APM: in 64-bit mode CS/DS/ES/SS overrides are ignored, REX
 * only counts when it immediately precedes the opcode and REX.W beats 66;
 * outside it 40-4F are INC/DEC, the default operand and address size come
 * from CS.D (66/67 toggle them), mod=00 rm=101 is an absolute disp32 and
 * 16-bit addressing uses the [bx+si] forms. The last of F2/F3 wins, and an
 * instruction longer than 15 bytes raises #GP(0).
 *
 * VEX (SDM vol. 2, 2.3): C4/C5 start a VEX prefix in 64-bit mode, and in
 * 32-bit code when the next byte has ModRM.mod = 3 (otherwise they are
 * LES/LDS); in 16-bit code they stay LES/LDS. VEX rows live in their own
 * maps (table index 4 + map) and are selected by VEX.pp like the mandatory
 * prefixes, and by VEX.W for VW0/VW1 rows.
 */
#include "emu/decode.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpu_state.h"

#include "emu/opflags.h"

/* Row 0 is the "no such instruction" row every unknown opcode maps to. */
const struct emu_oprow emu_oprows[] = {
	{ 0, 0, -1, 0, "(bad)", "", "ud" },
#define OP(map, opc, reg, handler, mnem, operands, flags) { map, opc, reg, flags, mnem, operands, #handler },
#include "emu/opcodes.def"
#undef OP
};
const unsigned emu_noprows = sizeof(emu_oprows) / sizeof(emu_oprows[0]);

#include "emu/opflags_end.h"

#define PFX_FLAGS (EMU_F_NP | EMU_F_P66 | EMU_F_PF3 | EMU_F_PF2)
#define MOD_FLAGS (EMU_F_MEMO | EMU_F_REGO)

/* Rows by slot: the mandatory prefix (0 none, 1 66, 2 F3, 3 F2; VEX.pp
 * has the same numbering) plus 4 for VEX.W = 1 (VEX maps only). */
#define NSLOT 8
struct optab_ent {
	uint8_t modrm_sel;         /* 1: the row depends on ModRM (grp[][][] applies) */
	uint16_t row[NSLOT];       /* plain opcode rows; 0 = none */
	uint16_t grp[2][8][NSLOT]; /* [mod == 3][ModRM.reg][slot] */
};

/* [level - 1][0]: 64-bit mode, [level - 1][1]: protected/compatibility
 * mode; index (map, or 4 + map for the VEX maps) * 256 + opcode */
static struct optab_ent optab[RAX_CPU_LEVEL_MAX][2][8 * 256];

static unsigned row_specificity(const struct emu_oprow *o)
{
	return (o->reg >= 0) + !!(o->flags & PFX_FLAGS) + !!(o->flags & MOD_FLAGS);
}

static bool pfx_slot_ok(uint64_t fl, unsigned p)
{
	static const uint32_t need[4] = { EMU_F_NP, EMU_F_P66, EMU_F_PF3, EMU_F_PF2 };
	if (p >= 4 && !(fl & EMU_F_VEX))
		return false; /* W slots exist for VEX rows only */
	if ((fl & EMU_F_VW0) && p >= 4)
		return false;
	if ((fl & EMU_F_VW1) && p < 4)
		return false;
	return !(fl & PFX_FLAGS) || (fl & need[p & 3]);
}

static unsigned row_index(const struct emu_oprow *o)
{
	return ((o->flags & EMU_F_VEX) ? 4u + o->map : o->map) * 256u + o->op;
}

/* Does row o take part in table leg of level, and in which pass (more specific later)? */
static int row_pass(const struct emu_oprow *o, bool leg, unsigned level)
{
	if (emu_row_level(o->flags) > level)
		return -1;
	if (o->flags & EMU_F_I64)
		return leg ? 4 + (int)row_specificity(o) : -1;
	return (int)row_specificity(o);
}

/* More specific rows (group, prefix, mod) override less specific ones;
 * in the legacy table I64 rows override every other row of their opcode. */
static void optab_build(struct optab_ent *tab, bool leg, unsigned level)
{
	for (unsigned r = 1; r < emu_noprows; r++) {
		const struct emu_oprow *o = &emu_oprows[r];
		if (row_pass(o, leg, level) >= 0 && (o->reg >= 0 || (o->flags & MOD_FLAGS)))
			tab[row_index(o)].modrm_sel = 1;
	}
	for (int pass = 0; pass <= 7; pass++) {
		for (unsigned r = 1; r < emu_noprows; r++) {
			const struct emu_oprow *o = &emu_oprows[r];
			if (row_pass(o, leg, level) != pass)
				continue;
			struct optab_ent *e = &tab[row_index(o)];
			for (unsigned p = 0; p < NSLOT; p++) {
				if (!pfx_slot_ok(o->flags, p))
					continue;
				if (!e->modrm_sel) {
					e->row[p] = (uint16_t)r;
					continue;
				}
				for (unsigned m = 0; m < 2; m++) {
					if ((m && (o->flags & EMU_F_MEMO)) || (!m && (o->flags & EMU_F_REGO)))
						continue;
					for (unsigned g = 0; g < 8; g++)
						if (o->reg < 0 || (unsigned)o->reg == g)
							e->grp[m][g][p] = (uint16_t)r;
				}
				/* a memory-only I64 row (LES, LDS, BOUND) leaves its register
				 * forms #UD (they are VEX/EVEX prefixes there) */
				if ((o->flags & EMU_F_I64) && (o->flags & EMU_F_MEMO))
					for (unsigned g = 0; g < 8; g++)
						e->grp[1][g][p] = 0;
			}
		}
	}
}

__attribute__((constructor)) static void optab_init(void)
{
	for (unsigned l = 1; l <= RAX_CPU_LEVEL_MAX; l++) {
		optab_build(optab[l - 1][0], false, l);
		optab_build(optab[l - 1][1], true, l);
	}
}

/* Ensure n more bytes at position i are within the 15-byte limit and available. */
#define NEED(n)                              \
	do {                                 \
		if (i + (n) > 15)            \
			return EMU_DEC_GP;   \
		if (i + (n) > avail)         \
			return EMU_DEC_MORE; \
	} while (0)

static inline uint64_t rd_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	memcpy(&v, p, n); /* x86 hosts only: little endian */
	return v;
}

/* 16-bit ModRM forms: base and index per rm (mod != 3) */
static const uint8_t rm16_base[8] = { RAX_REG_RBX, RAX_REG_RBX, RAX_REG_RBP, RAX_REG_RBP,
				      RAX_REG_RSI, RAX_REG_RDI, RAX_REG_RBP, RAX_REG_RBX };
static const uint8_t rm16_index[8] = { RAX_REG_RSI,  RAX_REG_RDI,  RAX_REG_RSI,  RAX_REG_RDI,
				       EMU_REG_NONE, EMU_REG_NONE, EMU_REG_NONE, EMU_REG_NONE };

enum emu_decode_status emu_decode_level(const uint8_t *b, unsigned avail, unsigned mode, unsigned level,
					struct emu_insn *in)
{
	unsigned i = 0;
	uint8_t pfx = 0, rex = 0, seg = 0xff;
	bool leg = mode != EMU_MODE_64;

	for (;;) {
		NEED(1);
		uint8_t c = b[i];
		switch (c) {
		case 0x66: pfx |= EMU_P_66; break;
		case 0x67: pfx |= EMU_P_67; break;
		case 0xf0: pfx |= EMU_P_LOCK; break;
		case 0xf2: pfx = (uint8_t)((pfx & ~EMU_P_REP) | EMU_P_REPNE); break;
		case 0xf3: pfx = (uint8_t)((pfx & ~EMU_P_REPNE) | EMU_P_REP); break;
		case 0x26:
			if (leg)
				seg = RAX_SEG_ES;
			break; /* null prefixes in 64-bit mode */
		case 0x2e:
			if (leg)
				seg = RAX_SEG_CS;
			break;
		case 0x36:
			if (leg)
				seg = RAX_SEG_SS;
			break;
		case 0x3e:
			if (leg)
				seg = RAX_SEG_DS;
			break;
		case 0x64: seg = RAX_SEG_FS; break;
		case 0x65: seg = RAX_SEG_GS; break;
		default:
			if ((c & 0xf0) == 0x40 && !leg) {
				rex = c;
				i++;
				continue;
			}
			if ((c & 0xfe) == 0xc4 && mode != EMU_MODE_16) {
				NEED(2);
				if (!leg || (b[i + 1] & 0xc0) == 0xc0)
					goto vex;
			}
			goto opcode;
		}
		rex = 0; /* a legacy prefix after REX cancels it */
		i++;
	}
opcode:;
	uint8_t map = 0, op = b[i++], vex = 0, vvvv = 0;
	unsigned ps = (pfx & EMU_P_REP) ? 2 : (pfx & EMU_P_REPNE) ? 3 : (pfx & EMU_P_66) ? 1 : 0;
	if (op == 0x0f) {
		NEED(1);
		op = b[i++];
		map = 1;
		if (op == 0x38 || op == 0x3a) {
			map = op == 0x38 ? 2 : 3;
			NEED(1);
			op = b[i++];
		}
	}
	if (0) {
	vex:; /* b[i] is C4 or C5, b[i + 1] (and b[i + 2]) available */
		/* #UD: VEX after 66, F2, F3, LOCK or REX (SDM vol. 2, 2.3.2) */
		bool bad = (pfx & (EMU_P_66 | EMU_P_REP | EMU_P_REPNE | EMU_P_LOCK)) || rex;
		uint8_t v1 = b[i + 1], v2 = v1;
		if (b[i] == 0xc5) {
			map = 1;
			rex = (uint8_t)(0x40 | (~v1 & 0x80) >> 5); /* R */
			i += 2;
		} else {
			NEED(3);
			v2 = b[i + 2];
			map = v1 & 0x1f;
			rex = (uint8_t)(0x40 | (~v1 & 0xe0) >> 5 | (v2 & 0x80) >> 4); /* R X B, W */
			i += 3;
		}
		if (leg)
			rex = (uint8_t)(rex & ~7); /* R X B do not exist outside 64-bit mode */
		vex = (uint8_t)(EMU_VEX_ON | ((v2 >> 1) & EMU_VEX_L) | ((rex & 8) ? EMU_VEX_W : 0));
		vvvv = (uint8_t)((~v2 >> 3) & 15); /* bit 3 is dropped below, after the NV check */
		ps = v2 & 3;
		NEED(1);
		op = b[i++];
		if (bad || map < 1 || map > 3)
			return EMU_DEC_UD;
	}
	if (level < RAX_CPU_V1 || level > RAX_CPU_LEVEL_MAX)
		level = level < RAX_CPU_V1 ? RAX_CPU_V1 : RAX_CPU_LEVEL_MAX;
	const struct optab_ent *e = &optab[level - 1][leg][(vex ? 4u + map : map) * 256u + op];
	if (vex & EMU_VEX_W)
		ps += 4;
	uint16_t row = e->row[ps];
	uint8_t modrm = 0;
	bool has_modrm = false;
	if (e->modrm_sel) {
		NEED(1);
		modrm = b[i];
		has_modrm = true;
		row = e->grp[(modrm >> 6) == 3][(modrm >> 3) & 7][ps];
	}
	if (!row)
		return EMU_DEC_UD;
	uint64_t fl = emu_oprows[row].flags;
	if (vex &&
	    (((fl & EMU_F_VL0) && (vex & EMU_VEX_L)) || ((fl & EMU_F_VL1) && !(vex & EMU_VEX_L)) ||
	     ((fl & EMU_F_NV) && vvvv)))
		return EMU_DEC_UD;
	if (leg)
		vvvv &= 7; /* outside 64-bit mode VEX.vvvv bit 3 is ignored, but not by NV's 1111b rule */

	memset(in, 0, sizeof(*in));
	in->map = map;
	in->op = op;
	in->row = row;
	in->rex = rex;
	in->vex = vex;
	in->vvvv = vvvv;
	if (rex && !vex)
		pfx |= EMU_P_REX;
	in->pfx = pfx;
	if (!leg) {
		in->asz = (pfx & EMU_P_67) ? 4 : 8;
		if (fl & EMU_F_BYTE)
			in->osz = 1;
		else if (rex & 8)
			in->osz = 8;
		else if (vex)
			in->osz = 4;
		else if (pfx & EMU_P_66)
			in->osz = 2;
		else
			in->osz = (fl & EMU_F_D64) ? 8 : 4;
	} else {
		bool d = mode == EMU_MODE_32;
		in->asz = (d ^ !!(pfx & EMU_P_67)) ? 4 : 2;
		in->osz = (fl & EMU_F_BYTE) ? 1 : (d ^ !!(pfx & EMU_P_66)) ? 4 : 2;
	}
	in->opreg = (uint8_t)((op & 7) | ((rex & 1) << 3));
	in->base = in->index = EMU_REG_NONE;
	in->seg = seg == 0xff ? RAX_SEG_DS : seg;
	in->mod = 3;

	if ((fl & EMU_F_MODRM) || has_modrm) {
		NEED(1);
		modrm = b[i++];
		in->modrm = modrm;
		/* MOV to/from CR and DR ignore ModRM.mod: always a register (SDM vol. 2, MOV) */
		in->mod = map == 1 && (op & 0xfc) == 0x20 ? 3 : modrm >> 6;
		in->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) << 1));
		in->rm = (uint8_t)((modrm & 7) | ((rex & 1) << 3));
		/* the gathers' VSIB needs a SIB byte (ModRM.rm = 100b) and 32/64-bit
		 * addressing: otherwise the encoding is invalid (#UD) */
		if (vex && map == 2 && (op & 0xfc) == 0x90 && ((modrm & 7) != 4 || in->asz == 2))
			return EMU_DEC_UD;
		if (in->mod != 3 && in->asz == 2) {
			unsigned rm = modrm & 7, dispsz = in->mod == 1 ? 1 : in->mod == 2 ? 2 : 0;
			if (rm == 6 && in->mod == 0) {
				dispsz = 2;
			} else {
				in->base = rm16_base[rm];
				in->index = rm16_index[rm];
				if (seg == 0xff && in->base == RAX_REG_RBP)
					in->seg = RAX_SEG_SS;
			}
			if (dispsz) {
				NEED(dispsz);
				in->disp = dispsz == 1 ? (int8_t)b[i] : (int16_t)rd_le(b + i, 2);
				i += dispsz;
			}
		} else if (in->mod != 3) {
			unsigned rm = modrm & 7, dispsz = in->mod == 1 ? 1 : in->mod == 2 ? 4 : 0;
			if (rm == 4) {
				NEED(1);
				uint8_t sib = b[i++];
				unsigned sbase = sib & 7, sidx = ((sib >> 3) & 7) | ((rex & 2) << 2);
				in->scale = sib >> 6;
				if (sidx != 4)
					in->index = (uint8_t)sidx;
				if (sbase == 5 && in->mod == 0)
					dispsz = 4;
				else
					in->base = (uint8_t)(sbase | ((rex & 1) << 3));
			} else if (rm == 5 && in->mod == 0) {
				in->base = leg ? EMU_REG_NONE : EMU_REG_RIP; /* disp32 absolute outside 64-bit mode */
				dispsz = 4;
			} else {
				in->base = in->rm;
			}
			if (seg == 0xff && (in->base == RAX_REG_RSP || in->base == RAX_REG_RBP))
				in->seg = RAX_SEG_SS;
			if (dispsz) {
				NEED(dispsz);
				in->disp = dispsz == 1 ? (int8_t)b[i] : (int32_t)(uint32_t)rd_le(b + i, 4);
				i += dispsz;
			}
		}
	}

	if (fl & EMU_F_IMM8) {
		NEED(1);
		in->imm = (uint64_t)(int64_t)(int8_t)b[i];
		i += 1;
	} else if (fl & EMU_F_IMM16) {
		NEED(2);
		in->imm = rd_le(b + i, 2);
		i += 2;
	} else if (fl & EMU_F_IMMZ) {
		if (in->osz == 2) {
			NEED(2);
			in->imm = (uint64_t)(int64_t)(int16_t)rd_le(b + i, 2);
			i += 2;
		} else {
			NEED(4);
			in->imm = (uint64_t)(int64_t)(int32_t)rd_le(b + i, 4);
			i += 4;
		}
	} else if (fl & EMU_F_IMMV) {
		NEED(in->osz);
		in->imm = rd_le(b + i, in->osz);
		i += in->osz;
	} else if (fl & EMU_F_IMM16_8) {
		NEED(3);
		in->imm = rd_le(b + i, 2);
		in->imm2 = b[i + 2];
		i += 3;
	} else if (fl & EMU_F_MOFFS) {
		NEED(in->asz);
		in->imm2 = rd_le(b + i, in->asz);
		i += in->asz;
	} else if (fl & EMU_F_PTR) {
		unsigned n = in->osz == 2 ? 2 : 4;
		NEED(n + 2);
		in->imm = rd_le(b + i, n);
		in->imm2 = rd_le(b + i + n, 2);
		i += n + 2;
	}
	/* After the immediates: an instruction longer than 15 bytes is #GP(0)
	 * even with a LOCK it does not allow (SDM vol. 3, Table 6-2: the length
	 * limit comes before an invalid opcode). */
	if ((pfx & EMU_P_LOCK) && (!(fl & EMU_F_LOCK) || in->mod == 3))
		return EMU_DEC_UD;
	/* a gather naming one vector register twice (destination, VSIB index,
	 * mask) is #UD (SDM vol. 2, VGATHERDPS: "#UD if any pair of the index,
	 * mask, or destination registers are the same") */
	if (vex && map == 2 && (op & 0xfc) == 0x90) {
		unsigned vi = in->index == EMU_REG_NONE ? 4u : in->index;
		if (in->reg == vi || in->reg == vvvv || vi == vvvv)
			return EMU_DEC_UD;
	}
	if (leg)
		in->seg |= EMU_SEG_LEG;
	in->len = (uint8_t)i;
	return EMU_DEC_OK;
}

enum emu_decode_status emu_decode_mode(const uint8_t *b, unsigned avail, unsigned mode, struct emu_insn *in)
{
	return emu_decode_level(b, avail, mode, RAX_CPU_LEVEL_DEFAULT, in);
}

enum emu_decode_status emu_decode(const uint8_t *b, unsigned avail, struct emu_insn *in)
{
	return emu_decode_level(b, avail, EMU_MODE_64, RAX_CPU_LEVEL_DEFAULT, in);
}

/* ---------------- disassembler ---------------- */

static const char *const reg8[] = { "al",  "cl",  "dl",   "bl",   "spl",  "bpl",  "sil",  "dil",
				    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const reg8h[] = { "ah", "ch", "dh", "bh" };
static const char *const reg16[] = { "ax",  "cx",  "dx",   "bx",   "sp",   "bp",   "si",   "di",
				     "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const reg32[] = { "eax", "ecx", "edx",  "ebx",  "esp",  "ebp",  "esi",  "edi",
				     "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };

static const char *regname(const struct emu_insn *in, unsigned r, unsigned size)
{
	switch (size) {
	case 1:
		if (!(in->pfx & EMU_P_REX) && r >= 4 && r < 8)
			return reg8h[r - 4];
		return reg8[r & 15];
	case 2: return reg16[r & 15];
	case 4: return reg32[r & 15];
	default: return rax_gpr_names[r & 15];
	}
}

const char *emu_mnemonic(const struct emu_insn *in, char *buf, size_t n)
{
	const char *m = emu_oprows[in->row].mnem;
	const char *bar = strchr(m, '|');
	if (!bar)
		return m;
	/* "a|b|c": 16, 32, 64-bit forms, or by ModRM.rm for RMSEL rows; a VEX
	 * row's "a|b" by VEX.L (VZEROUPPER|VZEROALL) */
	unsigned pick = in->osz == 2 ? 0 : in->osz == 4 ? 1 : 2;
	if (emu_oprows[in->row].flags & EMU_F_RMSEL)
		pick = in->rm & 7;
	else if ((emu_oprows[in->row].flags & EMU_F_VEX) && !strchr(bar + 1, '|'))
		pick = (in->vex & EMU_VEX_L) ? 1 : 0;
	const char *s = m;
	for (unsigned k = 0; k < pick; k++) {
		const char *nb = strchr(s, '|');
		if (!nb)
			break;
		s = nb + 1;
	}
	size_t len = strcspn(s, "|");
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = 0;
	return buf;
}

static size_t put(char *buf, size_t n, size_t pos, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static size_t put(char *buf, size_t n, size_t pos, const char *fmt, ...)
{
	if (pos >= n)
		return pos;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf + pos, n - pos, fmt, ap);
	va_end(ap);
	if (k < 0)
		return pos;
	return pos + (size_t)k;
}

static size_t put_mem(const struct emu_insn *in, uint64_t rip, unsigned size, char *buf, size_t n, size_t pos)
{
	static const char *const sz[] = { "", "byte ", "word ", "", "dword ", "", "", "", "qword " };
	if (size <= 8)
		pos = put(buf, n, pos, "%s", sz[size]);
	else if (size == 16)
		pos = put(buf, n, pos, "xmmword ");
	else if (size == 32)
		pos = put(buf, n, pos, "ymmword ");
	if (in->seg == RAX_SEG_FS || in->seg == RAX_SEG_GS)
		pos = put(buf, n, pos, "%s:", rax_seg_names[in->seg]);
	else if ((in->seg & EMU_SEG_LEG) && (in->seg & 7) < RAX_NSEG && (in->seg & 7) != RAX_SEG_DS &&
		 !((in->seg & 7) == RAX_SEG_SS && (in->base == RAX_REG_RSP || in->base == RAX_REG_RBP)))
		pos = put(buf, n, pos, "%s:", rax_seg_names[in->seg & 7]);
	pos = put(buf, n, pos, "[");
	bool any = false;
	unsigned as = in->asz;
	if (in->base == EMU_REG_RIP) {
		if (rip)
			pos = put(buf, n, pos, "rip%+d ; 0x%llx", in->disp,
				  (unsigned long long)(rip + in->len + (int64_t)in->disp));
		else
			pos = put(buf, n, pos, "rip%+d", in->disp);
		return put(buf, n, pos, "]");
	}
	if (in->base != EMU_REG_NONE) {
		pos = put(buf, n, pos, "%s", regname(in, in->base, as));
		any = true;
	}
	if (in->vex && in->map == 2 && (in->op & 0xfc) == 0x90) {
		/* VSIB (gathers): the index is a vector register, "none" is xmm4/ymm4;
		 * YMM for eight dword indices (90/92 with W0) or four qword ones (91/93) */
		bool y = (in->vex & EMU_VEX_L) && ((in->op & 1) || !(in->vex & EMU_VEX_W));
		pos = put(buf, n, pos, "%s%s%u*%u", any ? "+" : "", y ? "ymm" : "xmm",
			  in->index == EMU_REG_NONE ? 4u : in->index, 1u << in->scale);
		any = true;
	} else if (in->index != EMU_REG_NONE) {
		pos = put(buf, n, pos, "%s%s*%u", any ? "+" : "", regname(in, in->index, as), 1u << in->scale);
		any = true;
	}
	if (in->disp || !any) {
		if (!any)
			pos = put(buf, n, pos, "0x%x", (uint32_t)in->disp);
		else if (in->disp < 0)
			pos = put(buf, n, pos, "-0x%x", (uint32_t) - (int64_t)in->disp);
		else
			pos = put(buf, n, pos, "+0x%x", (uint32_t)in->disp);
	}
	return put(buf, n, pos, "]");
}

/* Vector register names: "x" forms are YMM with VEX.L = 1, all others
 * ("o", and the fractions h f e of vec_mem_size) XMM. */
static const char *vec_reg(const struct emu_insn *in, char s)
{
	return (s == 'x' && (in->vex & EMU_VEX_L)) ? "ymm" : "xmm";
}

/* Memory operand sizes of W/U forms: q d w b fixed, x 16 or 32 bytes by
 * VEX.L, o 16, and the widening and narrowing forms' fractions of the
 * vector: h half (8 or 16), f a quarter (4 or 8), e an eighth (2 or 4). */
static unsigned vec_mem_size(const struct emu_insn *in, char s)
{
	unsigned l = (in->vex & EMU_VEX_L) ? 2 : 1;
	switch (s) {
	case 'q': return 8;
	case 'd': return 4;
	case 'w': return 2;
	case 'b': return 1;
	case 'x': return 16 * l;
	case 'h': return 8 * l;
	case 'f': return 4 * l;
	case 'e': return 2 * l;
	default: return 16;
	}
}

static unsigned form_size(const struct emu_insn *in, char c)
{
	switch (c) {
	case 'b': return 1;
	case 'w': return 2;
	case 'd': return 4;
	case 'q': return 8;
	case 'y': return in->osz == 8 ? 8 : 4;
	case 'p': return 0;
	default: return in->osz;
	}
}

void emu_disasm_at(const struct emu_insn *in, uint64_t rip, char *buf, size_t n)
{
	char mb[32];
	size_t pos = 0;
	if (!n)
		return;
	buf[0] = 0;
	if (in->pfx & EMU_P_LOCK)
		pos = put(buf, n, pos, "lock ");
	if (emu_oprows[in->row].flags & EMU_F_STR) {
		if (in->pfx & EMU_P_REP)
			pos = put(buf, n, pos,
				  (in->op == 0xa6 || in->op == 0xa7 || in->op == 0xae || in->op == 0xaf) ? "repe "
													 : "rep ");
		else if (in->pfx & EMU_P_REPNE)
			pos = put(buf, n, pos, "repne ");
	}
	pos = put(buf, n, pos, "%s", emu_mnemonic(in, mb, sizeof(mb)));
	const char *f = emu_oprows[in->row].operands;
	bool first = true;
	while (*f) {
		char tok[8];
		size_t tl = strcspn(f, ",");
		if (tl >= sizeof(tok))
			tl = sizeof(tok) - 1;
		memcpy(tok, f, tl);
		tok[tl] = 0;
		f += tl;
		if (*f == ',')
			f++;
		pos = put(buf, n, pos, first ? " " : ", ");
		first = false;
		char *alt = strchr(tok, '/');
		if (alt) { /* "Rd/Mb": the register form, or the memory one */
			if (in->mod == 3)
				*alt = 0;
			else
				memmove(tok, alt + 1, strlen(alt));
		}
		char k = tok[0], s = tok[1];
		if (k == 'E' || (k == 'M' && in->mod != 3)) {
			unsigned size = k == 'M' ? 0 : form_size(in, s);
			if (in->mod == 3)
				pos = put(buf, n, pos, "%s", regname(in, in->rm, size ? size : in->osz));
			else
				pos = put_mem(in, rip, size, buf, n, pos);
		} else if (k == 'M') {
			pos = put(buf, n, pos, "%s", regname(in, in->rm, 8));
		} else if (k == 'V' || k == 'H' || k == 'L') {
			/* V: ModRM.reg, H: VEX.vvvv, L: imm8[7:4] (VEX is4) */
			unsigned r = k == 'V' ? in->reg : k == 'H' ? in->vvvv : (unsigned)(in->imm >> 4) & 15;
			pos = put(buf, n, pos, "%s%u", vec_reg(in, s), r);
		} else if (k == 'W' || k == 'U') {
			if (in->mod == 3)
				pos = put(buf, n, pos, "%s%u", vec_reg(in, s), in->rm);
			else
				pos = put_mem(in, rip, vec_mem_size(in, s), buf, n, pos);
		} else if (k == 'B') {
			pos = put(buf, n, pos, "%s", regname(in, in->vvvv, form_size(in, s)));
		} else if (k == 'G') {
			pos = put(buf, n, pos, "%s", regname(in, in->reg, form_size(in, s)));
		} else if (k == 'R') {
			pos = put(buf, n, pos, "%s", regname(in, in->rm, s == 'd' ? 4 : 8));
		} else if (k == 'Z') {
			pos = put(buf, n, pos, "%s", regname(in, in->opreg, form_size(in, s)));
		} else if (k == 'C') {
			pos = put(buf, n, pos, "cr%u", in->reg);
		} else if (k == 'D' && s == 'd') {
			pos = put(buf, n, pos, "dr%u", in->reg);
		} else if (k == 'S' && s == 'w') {
			pos = put(buf, n, pos, "%s", (in->reg & 7) < 6 ? rax_seg_names[in->reg & 7] : "?");
		} else if (k == 'O') {
			pos = put(buf, n, pos, "%s%s[0x%llx]", s == 'b' ? "byte " : "",
				  (in->seg == RAX_SEG_FS || in->seg == RAX_SEG_GS)
					  ? (in->seg == RAX_SEG_FS ? "fs:" : "gs:")
					  : "",
				  (unsigned long long)in->imm2);
		} else if (k == 'A' && s == 'p') {
			pos = put(buf, n, pos, "0x%x:0x%llx", (unsigned)in->imm2, (unsigned long long)in->imm);
		} else if (k == 'J') {
			if (rip)
				pos = put(buf, n, pos, "0x%llx", (unsigned long long)(rip + in->len + in->imm));
			else
				pos = put(buf, n, pos, "$%+lld", (long long)(in->imm + in->len));
		} else if (k == 'I') {
			uint64_t v = in->imm;
			if (emu_oprows[in->row].flags & EMU_F_IMM16_8)
				v = s == 'w' ? in->imm : in->imm2;
			else if (s == 'b' && (emu_oprows[in->row].flags & PFX_FLAGS))
				v &= 0xff; /* SIMD imm8: a control byte, not an operand-size value */
			else if (s != 'w' && in->osz < 8)
				v &= in->osz == 1 ? 0xff : in->osz == 2 ? 0xffff : 0xffffffffull;
			pos = put(buf, n, pos, "0x%llx", (unsigned long long)v);
		} else if (!strcmp(tok, "AL")) {
			pos = put(buf, n, pos, "al");
		} else if (!strcmp(tok, "rAX") || !strcmp(tok, "eAX")) {
			pos = put(buf, n, pos, "%s", regname(in, 0, tok[0] == 'e' && in->osz == 8 ? 4 : in->osz));
		} else if (!strcmp(tok, "CL")) {
			pos = put(buf, n, pos, "cl");
		} else if (!strcmp(tok, "DX")) {
			pos = put(buf, n, pos, "dx");
		} else if (!strcmp(tok, "FS") || !strcmp(tok, "GS")) {
			pos = put(buf, n, pos, "%s", tok[0] == 'F' ? "fs" : "gs");
		} else {
			pos = put(buf, n, pos, "%s", tok);
		}
	}
}

void emu_disasm(const struct emu_insn *in, char *buf, size_t n) { emu_disasm_at(in, 0, buf, n); }

uint64_t emu_insn_linear(const struct emu_insn *in, const struct rax_cpu_state *s)
{
	uint64_t a = (uint64_t)(int64_t)in->disp;
	if (in->base == EMU_REG_RIP)
		a += s->rip + in->len;
	else if (in->base != EMU_REG_NONE)
		a += s->gpr[in->base];
	if (in->index != EMU_REG_NONE)
		a += s->gpr[in->index] << in->scale;
	if (in->asz != 8)
		a &= in->asz == 4 ? 0xffffffffull : 0xffffull;
	unsigned seg = in->seg & ~EMU_SEG_LEG;
	if (seg >= RAX_NSEG)
		return a;
	if (in->seg & EMU_SEG_LEG)
		return (a + s->seg[seg].base) & 0xffffffffull;
	if (seg == RAX_SEG_FS || seg == RAX_SEG_GS)
		a += s->seg[seg].base;
	return a;
}
