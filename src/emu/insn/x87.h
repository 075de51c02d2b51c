/*
 * x87.h - what the x87 families share (x87.c: control, environment, FXSAVE;
 * x87_arith.c: data transfer, arithmetic, compares, transcendentals;
 * x87_host.c: running x87 instructions on the host FPU).
 *
 * Register file (struct rax_fpu_state, kept in FXSAVE terms so that the KVM
 * mapping and FXSAVE/FXRSTOR images are plain copies):
 *   st[i]  = ST(i), the register at stack position i (FXSAVE image order),
 *            i.e. physical register (TOP + i) & 7; bytes 0-7 significand,
 *            8-9 sign and exponent, 10-15 zero;
 *   ftw    = abridged tag word, bit p = physical register p is not empty;
 *   fsw    = status word with TOP in bits 11-13.
 * A push or pop therefore rotates st[] by one slot (128 bytes, no
 * allocation); the contents of an empty register stay where they were, as
 * FXSAVE shows them on the real CPU. MMX code (sse.h) uses the same layout.
 */
#ifndef RAX_EMU_INSN_X87_H
#define RAX_EMU_INSN_X87_H

#include "emu/cpu.h"

/* FSW */
#define X87_SW_IE 0x0001u
#define X87_SW_DE 0x0002u
#define X87_SW_ZE 0x0004u
#define X87_SW_OE 0x0008u
#define X87_SW_UE 0x0010u
#define X87_SW_PE 0x0020u
#define X87_SW_EXC 0x003fu /* the six exception flags (masked by FCW bits 0-5) */
#define X87_SW_SF 0x0040u
#define X87_SW_ES 0x0080u
#define X87_SW_C0 0x0100u
#define X87_SW_C1 0x0200u
#define X87_SW_C2 0x0400u
#define X87_SW_TOP 0x3800u
#define X87_SW_C3 0x4000u
#define X87_SW_B 0x8000u
#define X87_SW_CC (X87_SW_C0 | X87_SW_C1 | X87_SW_C2 | X87_SW_C3)

#define X87_FCW_INIT 0x037f

/* A control word as loaded (FLDCW, FLDENV, FRSTOR, FXRSTOR): the modelled
 * AMD CPU keeps bit 6 set and bits 7 and 13-15 clear, as measured on Zen. */
static inline uint16_t x87_fcw_load(uint16_t v) { return (uint16_t)((v & 0x1f3fu) | 0x40u); }

static inline unsigned x87_top(const struct rax_fpu_state *f) { return (f->fsw >> 11) & 7; }

/* Physical register number of ST(i). */
static inline unsigned x87_phys(const struct rax_fpu_state *f, unsigned i) { return (x87_top(f) + i) & 7; }

static inline bool x87_empty(const struct rax_fpu_state *f, unsigned i) { return !((f->ftw >> x87_phys(f, i)) & 1); }

static inline void x87_set_valid(struct rax_fpu_state *f, unsigned i)
{
	f->ftw = (uint8_t)(f->ftw | (1u << x87_phys(f, i)));
}

static inline void x87_set_empty(struct rax_fpu_state *f, unsigned i)
{
	f->ftw = (uint8_t)(f->ftw & ~(1u << x87_phys(f, i)));
}

/* ES and B summarise the pending exceptions: any flag whose FCW mask bit is
 * clear. The CPU recomputes them whenever FSW or FCW is loaded. */
static inline uint16_t x87_summary(uint16_t fsw, uint16_t fcw)
{
	fsw &= (uint16_t) ~(X87_SW_ES | X87_SW_B);
	if (fsw & ~fcw & X87_SW_EXC)
		fsw |= X87_SW_ES | X87_SW_B;
	return fsw;
}

/* Availability of every x87 instruction: #NM when CR0.EM or CR0.TS is set. */
static inline void x87_check(struct emu_cpu *c)
{
	if (__builtin_expect(c->s.cr0 & (CR0_EM | CR0_TS), 0))
		emu_raise(c, EXC_NM, 0, 0);
}

/*
 * The waiting x87 instructions (all but FNINIT, FNCLEX, FNSTSW, FNSTCW,
 * FNSTENV, FNSAVE and the 8087/287 no-ops) first check availability, then
 * report a pending unmasked exception (FSW.ES) as #MF when CR0.NE=1. With
 * CR0.NE=0 a PC would signal FERR# to IRQ 13; this platform has no such
 * line, so the instruction goes on as if IGNNE# were asserted.
 * FWAIT (system.c) should call x87_wait_check() after its own #NM rule.
 */
static inline void x87_wait(struct emu_cpu *c)
{
	x87_check(c);
	if (__builtin_expect((c->s.fpu.fsw & X87_SW_ES) && (c->s.cr0 & CR0_NE), 0))
		emu_raise(c, EXC_MF, 0, 0);
}

/* The #MF part alone (for FWAIT, whose #NM rule differs). */
static inline void x87_wait_check(struct emu_cpu *c)
{
	if (__builtin_expect((c->s.fpu.fsw & X87_SW_ES) && (c->s.cr0 & CR0_NE), 0))
		emu_raise(c, EXC_MF, 0, 0);
}

/* Rotate st[] for a push (TOP - 1): the new ST(0) is the old ST(7). */
void x87_rotate_push(struct rax_fpu_state *f);
/* Rotate st[] for a pop (TOP + 1): the old ST(0) becomes ST(7). */
void x87_rotate_pop(struct rax_fpu_state *f);

/* Load TOP, keeping each physical register's contents (FNINIT, FLDENV). */
void x87_set_top(struct rax_fpu_state *f, unsigned top);

/* Pop: mark ST(0) empty, TOP + 1. */
static inline void x87_pop(struct rax_fpu_state *f)
{
	x87_set_empty(f, 0);
	x87_rotate_pop(f);
}

/* Full (two-bit) tag word from the abridged one and the contents, as
 * FNSTENV/FNSAVE store it: 00 valid, 01 zero, 10 special, 11 empty. */
uint16_t x87_full_tag(const struct rax_fpu_state *f);
/* Abridged tag word from a full one (any tag but 11 is "not empty"). */
uint8_t x87_abridge_tag(uint16_t ftw);

/* The instruction and data pointers of the last non-control instruction:
 * FOP = opcode bits 0-2 and ModRM, FIP = its address (prefixes included);
 * FDP = the effective address (offset, without segment base) of its memory
 * operand, left alone by register forms. */
static inline void x87_note(struct emu_cpu *c, const struct emu_insn *in)
{
	c->s.fpu.fop = (uint16_t)(((in->op & 7) << 8) | in->modrm);
	c->s.fpu.fip = c->rip;
}
void x87_note_mem(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea);

/* Selectors the 32-bit environment and FXSAVE images carry (FCS, FDS). */
uint16_t x87_fcs(const struct emu_cpu *c);
uint16_t x87_fds(const struct emu_cpu *c);

/* The x87 part of an FXSAVE-format image (bytes 0-23 but MXCSR, and the
 * ST registers at 32-159), as FXSAVE and XSAVE's x87 component store and
 * load it; REX.W selects the 64-bit pointer format. The store writes only
 * those bytes (zeros in the reserved ones). */
void x87_fx_store(struct emu_cpu *c, const struct emu_insn *in, uint8_t *img);
void x87_fx_load(struct emu_cpu *c, const struct emu_insn *in, const uint8_t *img);

/* ---- the common cases in C (x87_soft.c) ----
 * All return false, leaving the work to the host FPU, unless every operand
 * is a normal number or zero and so is the result. *sw receives PE and C1
 * (rounded up). r is ModRM.reg of the D8 forms: 0 add, 1 mul, 4 ST0 - src,
 * 5 src - ST0, 6 ST0 / src, 7 src / ST0. */
bool x87_soft_arith(unsigned r, const uint8_t *st0, const uint8_t *src, uint16_t fcw, uint8_t *out, uint16_t *sw);
/* C3/C2/C0 of FCOM ST(0), src. */
bool x87_soft_compare(const uint8_t *st0, const uint8_t *src, uint16_t *cc);
/* ST(0) rounded to m32fp (size 4) or m64fp (8) by FCW.RC. */
bool x87_soft_to_fp(const uint8_t *st0, unsigned size, uint16_t fcw, uint8_t *out, uint16_t *sw);
/* ST(0) rounded to a size-byte integer with rounding rc (3: truncate). */
bool x87_soft_to_int(const uint8_t *st0, unsigned size, unsigned rc, uint8_t *out, uint16_t *sw);
/* FXAM's C3 C2 C1 C0 for a register that is not empty. */
uint16_t x87_soft_fxam(const uint8_t *st0);

/* ---- the host FPU (x87_host.c) ---- */

/*
 * Every x87 computation runs on the host's own x87 unit, so rounding,
 * precision control, NaN propagation, exception flags and the condition
 * codes are what the CPU computes, bit for bit. A stub is one x87
 * instruction (the guest's opcode byte and ModRM, register forms as
 * encoded, memory forms rewritten to [rsi]) followed by RET.
 */
const void *x87_stub_reg(unsigned op, unsigned modrm);
const void *x87_stub_mem(unsigned op, unsigned reg);

/* Host ST(0) = a, ST(1) = b, FCW = cw (the caller masks all exceptions);
 * run stub (memory operand at mem); a and b receive host ST(0) and ST(1)
 * afterwards. Returns the host FSW. The stub must leave two registers. */
uint16_t x87_host_op2(const void *stub, uint16_t cw, uint8_t *a, uint8_t *b, const void *mem);
/* Empty host stack; the stub pushes one value, stored to out. */
uint16_t x87_host_load(const void *stub, uint16_t cw, uint8_t *out, const void *mem);
/* Host ST(0) = a; the stub stores to mem and pops. */
uint16_t x87_host_store(const void *stub, uint16_t cw, const uint8_t *a, void *mem);

/*
 * The whole x87 state on the host: img is an FXSAVE64 image (x87 part
 * filled by the caller, MXCSR and XMM taken from the host), stub runs with
 * RFLAGS status bits from rflags and mem as [rsi]; img then holds the state
 * after it and the returned value the RFLAGS after it. The host's own
 * x87/SSE state is saved and restored around it. Used for the rare
 * instructions and for every case with a stack fault or an unmasked
 * exception, so those follow the CPU exactly.
 */
struct x87_host_ctx {
	_Alignas(64) uint8_t img[512];
	_Alignas(64) uint8_t save[512];
	uint8_t *mem;
	uint64_t rflags;
};
void x87_host_exec(struct x87_host_ctx *ctx, const void *stub);

#endif
