/*
 * decode.h - the x86 instruction decoder and disassembler: 64-bit mode, and
 * 32/16-bit code of protected and compatibility mode.
 *
 * emu_decode() turns up to 15 bytes into a struct emu_insn: a compact,
 * pointer-free record (so a later decode cache can keep it keyed by physical
 * address) holding everything a handler needs: resolved register numbers,
 * operand and address size, the effective segment, displacement, immediate
 * and the row of opcodes.def that describes it.
 */
#ifndef RAX_EMU_DECODE_H
#define RAX_EMU_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "cpuid_model.h"

/* Row flags (the short names are used inside opcodes.def only). */
#define EMU_F_MODRM (1u << 0)   /* M: has a ModRM byte */
#define EMU_F_BYTE (1u << 1)    /* B: 8-bit operand size */
#define EMU_F_LOCK (1u << 2)    /* L: LOCK allowed with a memory destination */
#define EMU_F_IMM8 (1u << 3)    /* I8: imm8 (sign-extended into imm) */
#define EMU_F_IMM16 (1u << 4)   /* I16: imm16 (zero-extended) */
#define EMU_F_IMMZ (1u << 5)    /* IZ: imm16/imm32 by operand size, sign-extended */
#define EMU_F_IMMV (1u << 6)    /* IV: imm16/32/64 by operand size (MOV r, imm) */
#define EMU_F_IMM16_8 (1u << 7) /* I16_8: imm16 then imm8 (ENTER) */
#define EMU_F_MOFFS (1u << 8)   /* MOFFS: address-size offset (A0-A3) */
#define EMU_F_D64 (1u << 9)     /* D64: operand size defaults to 64 bits */
#define EMU_F_REL (1u << 10)    /* REL: immediate is a branch displacement */
#define EMU_F_STR (1u << 11)    /* STR: string instruction (REP applies) */
#define EMU_F_UNIMPL (1u << 12) /* UNIMPL: valid but not emulated yet */
/* Mandatory-prefix rows (SSE): the row applies only with that last prefix
 * (F3/F2 win over 66). A row with none of these applies with any prefix and
 * is the fallback for prefixes that have no row of their own. */
#define EMU_F_NP (1u << 13)    /* NP: no 66/F2/F3 */
#define EMU_F_P66 (1u << 14)   /* P66: 66 (and no F2/F3) */
#define EMU_F_PF3 (1u << 15)   /* PF3: F3 */
#define EMU_F_PF2 (1u << 16)   /* PF2: F2 */
#define EMU_F_MEMO (1u << 17)  /* MEMO: only ModRM.mod != 3 (memory operand) */
#define EMU_F_REGO (1u << 18)  /* REGO: only ModRM.mod == 3 (register operand) */
#define EMU_F_RMSEL (1u << 19) /* RMSEL: "a|b|c..." mnemonic picked by ModRM.rm (x87) */
/* I64: the row exists only outside 64-bit mode (protected and compatibility
 * mode): the 64-bit decoder ignores it (#UD or the row's 64-bit meaning), the
 * legacy decoder prefers it over any other row of the opcode. */
#define EMU_F_I64 (1u << 20)
#define EMU_F_PTR (1u << 21) /* PTR: ptr16:16/ptr16:32 (offset in imm, selector in imm2) */
/* The CPU level a row needs (enum rax_cpu_level, cpuid_model.h): rows without
 * a level flag are v1; below its level a row does not exist (the opcode is
 * #UD, or the row it overrides applies: F3 0F BD is BSR below v2). */
#define EMU_F_V2 (1u << 22) /* V2: x86-64-v2 (SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT LZCNT MOVBE) */
#define EMU_F_V3 (1u << 23) /* V3: x86-64-v3 (AVX AVX2 FMA F16C BMI1 BMI2; AES-NI PCLMULQDQ) */
/*
 * VEX rows. A VEX row exists only under a VEX prefix (C4/C5), a legacy row
 * only without one; map is the VEX map (1 = 0F, 2 = 0F38, 3 = 0F3A) and the
 * mandatory-prefix flags match VEX.pp. The decoder fills emu_insn.vex and
 * .vvvv; VEX.W acts as REX.W for the operand size of general-register
 * forms. #UD: a VEX prefix after 66, F2, F3, LOCK or REX, or a map other
 * than 1-3 (SDM vol. 2, 2.3.2).
 */
#define EMU_F_VEX (1u << 24) /* VEX: VEX-encoded row */
#define EMU_F_VW0 (1u << 25) /* VW0: the row applies only with VEX.W = 0 */
#define EMU_F_VW1 (1u << 26) /* VW1: the row applies only with VEX.W = 1 */
#define EMU_F_VL0 (1u << 27) /* VL0: #UD with VEX.L = 1 (128-bit or scalar only) */
#define EMU_F_VL1 (1u << 28) /* VL1: #UD with VEX.L = 0 (256-bit only) */
#define EMU_F_NV (1u << 29)  /* NV: VEX.vvvv is unused and must be 1111b (#UD) */
/* LANE: the 256-bit form is the 128-bit operation on each 128-bit lane
 * (the handler runs once per lane, see EMU_VEX_LANES in insn/sse.h). */
#define EMU_F_LANE (1u << 30)
/* VA: the memory operand must be aligned to its size even under VEX
 * (VMOVAPS, VMOVDQA, VMOVNTx; other VEX forms have no alignment rule). */
#define EMU_F_VA (1u << 31)

/*
 * Facts about the instruction for rax-diff (bits 32 and up; the decoder and
 * the dispatch ignore them). Where a fact depends on operand values (a shift
 * count, ECX of RDMSR) the harness computes it, keyed by these bits.
 */
#define EMU_F_PIN (1ull << 32)      /* PIN: reads an I/O port (IN, INS); I8: the port is imm8, else DX */
#define EMU_F_POUT (1ull << 33)     /* POUT: writes an I/O port (OUT, OUTS) */
#define EMU_F_PUSHF (1ull << 34)    /* PUSHF: pushes an RFLAGS image */
#define EMU_F_XCPUID (1ull << 35)   /* XCPUID: CPUID; its result is the oracle's (injected) */
#define EMU_F_XTSC (1ull << 36)     /* XTSC: reads the TSC (RDTSC); the oracle's value is injected */
#define EMU_F_XTSCP (1ull << 37)    /* XTSCP: the row's register form with rm=1 reads the TSC (RDTSCP) */
#define EMU_F_XTSCMSR (1ull << 38)  /* XTSCMSR: reads the TSC when ECX is IA32_TSC (RDMSR) */
#define EMU_F_XADOPT (1ull << 39)   /* XADOPT: result nondeterministic (RDPMC): the oracle's state is adopted */
#define EMU_F_SIDT (1ull << 40)     /* SIDT: memory form stores IDTR */
#define EMU_F_LIDT (1ull << 41)     /* LIDT: memory form loads IDTR */
#define EMU_F_UMIP (1ull << 42)     /* UMIP: a descriptor-table/MSW store UMIP guards (SLDT, STR, SMSW) */
#define EMU_F_UMIPM (1ull << 43)    /* UMIPM: as UMIP, memory form only (SGDT, SIDT) */
#define EMU_F_SYSCALL (1ull << 44)  /* SYSCALL: fast system call, #UD unless EFER.SCE */
#define EMU_F_SYSENTER (1ull << 45) /* SYSENTER: SYSENTER/SYSEXIT */
#define EMU_F_INTN (1ull << 46)     /* INTN: INT imm8 (software interrupt through an IDT gate) */
/* Status flags the architecture leaves undefined (Intel SDM vol. 2 "Flags
 * Affected", AMD APM vol. 3 appendix): whatever the operands ... */
#define EMU_F_UOF (1ull << 47) /* UOF */
#define EMU_F_USF (1ull << 48) /* USF */
#define EMU_F_UZF (1ull << 49) /* UZF */
#define EMU_F_UAF (1ull << 50) /* UAF */
#define EMU_F_UPF (1ull << 51) /* UPF */
#define EMU_F_UCF (1ull << 52) /* UCF */
/* ... or by the masked count (harness/flagmask.c has the rules) */
#define EMU_F_USHIFT (1ull << 53) /* USHIFT: SHL/SAL/SHR */
#define EMU_F_USAR (1ull << 54)   /* USAR: SAR (CF defined for any count) */
#define EMU_F_UROT (1ull << 55)   /* UROT: ROL/ROR */
#define EMU_F_URC (1ull << 56)    /* URC: RCL/RCR */
#define EMU_F_USHD (1ull << 57)   /* USHD: SHLD/SHRD */
#define EMU_F_UCL (1ull << 58)    /* UCL: the count is CL (else imm8 with I8, else 1) */
#define EMU_F_DBTRAP (1ull << 59) /* DBTRAP: raises #DB as a trap itself (INT1/ICEBP) */
#define EMU_F_X87ENV (1ull << 60) /* X87ENV: stores the x87 environment with FIP/FDP/FOP (FNSTENV, FNSAVE) */
#define EMU_F_XRAND (1ull << 61)  /* XRAND: a random value and CF (RDRAND, RDSEED); the oracle's are injected */
#define EMU_F_XAUX (1ull << 62)   /* XAUX: reads IA32_TSC_AUX (RDPID; RDTSCP by XTSCP); the oracle's is injected */

/* Prefix bits in emu_insn.pfx */
#define EMU_P_66 (1u << 0)
#define EMU_P_67 (1u << 1)
#define EMU_P_LOCK (1u << 2)
#define EMU_P_REP (1u << 3)   /* F3 was the last of F2/F3 */
#define EMU_P_REPNE (1u << 4) /* F2 was the last of F2/F3 */
#define EMU_P_REX (1u << 5)   /* a REX prefix applies (immediately before the opcode) */

/* emu_insn.vex */
#define EMU_VEX_ON 1u /* a VEX prefix */
#define EMU_VEX_L 2u  /* VEX.L: 256-bit vectors */
#define EMU_VEX_W 4u  /* VEX.W */

/* Outside 64-bit mode the decoder marks emu_insn.seg with this bit: memory
 * accesses then go through segment bases, limits and 32-bit wrap-around
 * (emu_linear_leg), and stack handlers use SS.B-sized stack pointers. */
#define EMU_SEG_LEG 8u

/* Decode (code) modes: what CS.L/CS.D and EFER.LMA say about instruction bytes. */
enum emu_mode {
	EMU_MODE_64 = 0,   /* 64-bit mode */
	EMU_MODE_32 = 1,   /* 32-bit protected or compatibility mode (CS.D=1) */
	EMU_MODE_16 = 2,   /* 16-bit protected or compatibility mode (CS.D=0) */
	EMU_MODE_NONE = 3, /* not emulated: virtual-8086 mode (real mode decodes as EMU_MODE_16) */
};

#define EMU_REG_NONE 0xff
#define EMU_REG_RIP 0x10 /* base "register" of a RIP-relative operand */

struct emu_insn {
	uint8_t len;   /* total length in bytes, 1..15 */
	uint8_t map;   /* 0 one-byte, 1 0F, 2 0F38, 3 0F3A */
	uint8_t op;    /* opcode byte within the map */
	uint8_t osz;   /* operand size in bytes: 1, 2, 4, 8 */
	uint8_t asz;   /* address size in bytes: 2 (legacy modes only), 4 or 8 */
	uint8_t pfx;   /* EMU_P_* */
	uint8_t rex;   /* REX byte (0x40..0x4f) or 0 */
	uint8_t seg;   /* segment of the memory operand (enum rax_sreg) | EMU_SEG_LEG outside 64-bit mode */
	uint8_t modrm; /* raw ModRM byte, 0 when absent */
	uint8_t mod;   /* ModRM.mod (3 = register operand) */
	uint8_t reg;   /* ModRM.reg | REX.R << 3 */
	uint8_t rm;    /* ModRM.rm | REX.B << 3 (register form) */
	uint8_t base;  /* memory base register, EMU_REG_RIP or EMU_REG_NONE */
	uint8_t index; /* memory index register or EMU_REG_NONE */
	uint8_t scale; /* log2 of the SIB scale */
	uint8_t opreg; /* register in opcode bits 0-2 | REX.B << 3 */
	uint8_t vex;   /* EMU_VEX_* when a VEX prefix applies, else 0 */
	uint8_t vvvv;  /* VEX.vvvv as a register number (0 without VEX) */
	uint16_t row;  /* index into the opcodes.def table */
	int32_t disp;  /* displacement (sign-extended when used) */
	uint64_t imm;  /* immediate (sign- or zero-extended as the row says) */
	uint64_t imm2; /* second immediate (ENTER's imm8) or the moffs */
};

enum emu_decode_status {
	EMU_DEC_OK = 0,
	EMU_DEC_UD = 1,   /* invalid encoding: #UD */
	EMU_DEC_GP = 2,   /* longer than 15 bytes: #GP(0) */
	EMU_DEC_MORE = 3, /* needs more bytes than were available */
};

/* One row of opcodes.def. */
struct emu_oprow {
	uint8_t map, op;
	int8_t reg;
	uint64_t flags; /* EMU_F_* */
	const char *mnem;
	const char *operands;
	const char *handler_name;
};

extern const struct emu_oprow emu_oprows[];
extern const unsigned emu_noprows;

/* Decode bytes b[0..avail) as 64-bit code; avail may be less than 15 near a page end.
 * emu_decode and emu_decode_mode decode for the default CPU level (v1). */
enum emu_decode_status emu_decode(const uint8_t *b, unsigned avail, struct emu_insn *in);
/* The same for code mode mode (enum emu_mode, not EMU_MODE_NONE). */
enum emu_decode_status emu_decode_mode(const uint8_t *b, unsigned avail, unsigned mode, struct emu_insn *in);
/* The same for a CPU level (enum rax_cpu_level): rows above it do not exist. */
enum emu_decode_status emu_decode_level(const uint8_t *b, unsigned avail, unsigned mode, unsigned level,
					struct emu_insn *in);
/* The CPU level a row needs (RAX_CPU_V1, RAX_CPU_V2, RAX_CPU_V3). */
static inline unsigned emu_row_level(uint64_t flags)
{
	return (flags & EMU_F_V3) ? RAX_CPU_V3 : (flags & EMU_F_V2) ? RAX_CPU_V2 : RAX_CPU_V1;
}

/* Intel-syntax text for a decoded instruction, e.g.
 * "add rax, qword [rbx+rcx*4+0x10]"; branch targets print relative. */
void emu_disasm(const struct emu_insn *in, char *buf, size_t n);
/* The same with the instruction's address, so targets print absolute. */
void emu_disasm_at(const struct emu_insn *in, uint64_t rip, char *buf, size_t n);

struct rax_cpu_state;

/*
 * Linear address of in's memory operand (ModRM.mod != 3) in state s, the
 * state before the instruction: the effective address wrapped to the
 * address size, plus the segment base that applies (FS/GS in 64-bit mode,
 * any segment outside it). For the harness, which sees canonical states;
 * the interpreter computes the same from its own CPU (emu_ea).
 */
uint64_t emu_insn_linear(const struct emu_insn *in, const struct rax_cpu_state *s);

struct rax_segment;

/* The segment cache a code/data descriptor (low 8 bytes lo) loads for
 * selector sel (src/emu/segment.c; the harness reads GDT entries with it). */
void emu_desc_to_seg(uint64_t lo, uint16_t sel, struct rax_segment *s);

/* The mnemonic for the operand size of in. */
const char *emu_mnemonic(const struct emu_insn *in, char *buf, size_t n);

#endif
