/*
 * native_exec.h - the differential unit tests' shared machinery: run a few
 * instruction bytes natively on the host CPU (the ground truth) and on the
 * interpreter, from the same register state, and compare the outcome.
 *
 * Native side (native_exec.c): an asm stub loads XMM or YMM, MMX, the GPRs
 * (not RSP), RFLAGS and MXCSR from a struct nx_state, calls the bytes
 * (followed by RET) in an executable page and stores the registers back;
 * SIGILL, SIGSEGV, SIGBUS and SIGFPE come back as the vector of the
 * exception (#UD, #GP or #PF, #XM). The operand memory is NX_MEMN bytes at
 * nx_mem; with NX_EDGE they end where an inaccessible page starts.
 *
 * Emulator side: the same state and memory in a struct tvm (test_emu_util.h)
 * at nx_gpa(flags), the bytes at TV_CODE followed by HLT.
 *
 * The flags, given to nx_init() and to the emulator-side helpers alike:
 *   NX_YMM   256-bit registers (VMOVDQU, VZEROUPPER: only where the host has
 *            AVX); the guest gets CR4.OSXSAVE and XCR0 = x87|SSE|AVX;
 *   NX_MMX   the MMX registers are part of the state (loaded into the
 *            emulator's x87 registers, compared);
 *   NX_EDGE  the memory ends at an inaccessible page (natively PROT_NONE, in
 *            the guest a not-present PTE): SIGSEGV other than SI_KERNEL is
 *            #PF, with the address in fault as an offset from the memory;
 *   NX_ADDR  RBX and RDI hold offsets into the memory, made addresses on
 *            either side;
 *   NX_FAULT_MXCSR  a fault may set MXCSR flags (#XM: MXCSR is compared;
 *            others: the start state with the emulator's MXCSR);
 *   NX_FAULT_REGS   after a fault compare the registers of the signal
 *            context (a gather's progress) and the memory, not the start.
 * Without either NX_FAULT_ flag a fault must change nothing.
 */
#ifndef RAX_NATIVE_EXEC_H
#define RAX_NATIVE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "test_emu_util.h"

enum { V_UD = 6, V_NM = 7, V_GP = 13, V_PF = 14, V_MF = 16, V_XM = 19, V_NONE = -1 };

#define NX_YMM 1u
#define NX_MMX 2u
#define NX_EDGE 4u
#define NX_ADDR 8u
#define NX_FAULT_MXCSR 16u
#define NX_FAULT_REGS 32u

#define NX_MEMN 512

struct nx_state {
	uint8_t ymm[16][32]; /* 0: XMM in the low 16 bytes */
	uint64_t mm[8];      /* 512 */
	uint64_t gpr[16];    /* 576: by register number; RSP is not loaded */
	uint64_t rflags;     /* 704 */
	uint32_t mxcsr;      /* 712 */
	uint32_t pad;
	void *code;     /* 720 */
	uint64_t fault; /* after a #PF: the address as an offset from the memory */
};

/* ---- native ---- */

extern uint8_t *nx_mem; /* NX_MEMN bytes, 64-byte aligned */

void nx_init(unsigned flags);
void nx_fini(void);
/* Call fn(arg) with the signals caught: V_NONE or the vector of the fault. */
int nx_guard(void (*fn)(void *), void *arg);
/* Run code natively on s and nx_mem; the vector taken or V_NONE. */
int nx_exec(const uint8_t *code, size_t n, struct nx_state *s);
/* After a fault: YMM, RAX/RCX/RDX and MXCSR of the signal context into s. */
void nx_at_fault(struct nx_state *s);

/* ---- emulator ---- */

/* where the memory is in the guest */
static inline uint64_t nx_gpa(unsigned flags) { return (flags & NX_EDGE) ? TV_DATA + 0x1000 - NX_MEMN : TV_DATA; }
/* a fresh VM (SSE enabled; NX_YMM: AVX; NX_EDGE: TV_DATA + 0x1000 not present) */
void nx_vm_fresh(struct tvm *t, unsigned flags);
/* code then HLT at TV_CODE */
void nx_emu_code(struct tvm *t, const uint8_t *code, size_t n);
/* run the n bytes at TV_CODE: V_NONE at the HLT after them, else the vector (100 + exit kind if none) */
int nx_emu_run(struct tvm *t, size_t n);
void nx_emu_load(struct tvm *t, const struct nx_state *s, unsigned flags);
void nx_emu_save(struct tvm *t, struct nx_state *s, unsigned flags);
/* all of it, on a VM the caller has made fresh: the vector; state and memory back */
int nx_emu_exec(struct tvm *t, const uint8_t *code, size_t n, struct nx_state *s, uint8_t *mem, unsigned flags);

/* ---- comparison ---- */

/* one random case: fill code, n, s0 and m0, then nx_case_run() */
struct nx_case {
	uint8_t code[16];
	size_t n;
	struct nx_state s0, ns, es; /* start, native, emulator */
	uint8_t m0[NX_MEMN], em[NX_MEMN];
	int nv, ev;
	char why[256];
};

typedef int (*nx_emu_fn)(const uint8_t *code, size_t n, struct nx_state *s, uint8_t *mem);

/* XMM/YMM, MMX (NX_MMX), RAX/RCX/RDX, RFLAGS & fmask, MXCSR and memory */
bool nx_same(const struct nx_state *a, const struct nx_state *b, const uint8_t *ma, const uint8_t *mb, uint64_t fmask,
	     unsigned flags, char *why);
/* Run c natively and with emu; do they agree (fmask: the flags compared
 * when there is no fault)? If not, c->why says why. */
bool nx_case_run(struct nx_case *c, nx_emu_fn emu, uint64_t fmask, unsigned flags);

/* "what name [bytes] mxcsr M: why" on stderr (mxcsr < 0: without) */
void nx_report(const char *what, const char *name, const uint8_t *code, size_t n, long mxcsr, const char *why);

/* outcome counts of the native runs */
struct nx_tally {
	unsigned clean, xm, gp, pf, ud;
};
static inline void nx_tally_add(struct nx_tally *t, int v)
{
	t->clean += v == V_NONE;
	t->xm += v == V_XM;
	t->gp += v == V_GP;
	t->pf += v == V_PF;
	t->ud += v == V_UD;
}

/* ---- host and random numbers ---- */

void nx_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]);
bool nx_host_amd(void);
/* CPUID.1:ECX has every bit of ecx1 and OSXSAVE and AVX, and XCR0 enables SSE and AVX state */
bool nx_host_avx(uint32_t ecx1);

static inline uint64_t nx_xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

#endif
