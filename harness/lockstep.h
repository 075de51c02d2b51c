/*
 * lockstep.h - run one test image on the emulator and an oracle in
 * lockstep, one instruction at a time, and record every divergence.
 */
#ifndef RAX_HARNESS_LOCKSTEP_H
#define RAX_HARNESS_LOCKSTEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare.h"
#include "cpu_state.h"
#include "oracle.h"

enum diff_oracle_kind { DIFF_ORACLE_AUTO, DIFF_ORACLE_KVM, DIFF_ORACLE_NATIVE };

struct diff_options {
	enum diff_oracle_kind oracle;
	enum kvm_step_mode step_mode; /* resolved (never AUTO) when oracle may be kvm */
	bool kvm_usable;
	unsigned kvm_caps; /* ORACLE_* the KVM oracle has on this host (oracle_kvm_usable) */
	char kvm_why[sizeof(((struct rax_err *)0)->msg)]; /* why KVM is unusable (an error message) */
	bool strict_flags;
	bool keep_going;
	bool jit_step;      /* --jit-step: each emulator step runs translated (emu_jit_step) */
	uint64_t max_steps; /* 0: the image's step limit, else DIFF_DEFAULT_STEPS */
	uint64_t mem_size;
};

#define DIFF_DEFAULT_STEPS 1000000ull
#define DIFF_MAX_STORED 64 /* divergences kept in full per test */
#define DIFF_HIST 8        /* the last instructions a lockstep divergence lists */
#define DIFF_LISTING 32    /* at most this many listed: rax-diff --jit lists a whole block (EMU_BLOCK_MAX) */

#define DIFF_DISASM_LEN 96

struct diff_hist {
	uint64_t rip;
	char dis[DIFF_DISASM_LEN];
};

struct diff_divergence {
	uint64_t step;
	uint64_t rip;
	uint8_t bytes[15];
	unsigned nbytes;
	char disasm[DIFF_DISASM_LEN];
	char what[512];       /* one-line summary */
	uint64_t undefined;   /* status flags masked as undefined this step */
	uint64_t rflags_bits; /* RFLAGS bits compared */
	unsigned compared;    /* CMP_* */
	struct rax_cpu_state emu, oracle;
	unsigned nfields;
	struct diff_field fields[48];
	unsigned nmem, mem_total;
	struct diff_memrun mem[8];
	unsigned nhist;
	struct diff_hist hist[DIFF_LISTING]; /* oldest first, the divergent one last */
};

struct diff_kernel_stats;

enum diff_status { DIFF_PASS, DIFF_DIVERGE, DIFF_ERROR, DIFF_SKIP };

/*
 * Values the emulator took from the oracle, counted per test: one list
 * makes the struct diff_result members, the JSON object "injected" and the
 * "(injected: ...)" part of the result line. X(member, JSON key, text).
 */
#define DIFF_INJECTED_FIELDS(X)               \
	X(cpuid_injected, "cpuid", "cpuid")   \
	X(rdtsc_injected, "rdtsc", "rdtsc")   \
	X(rand_injected, "rdrand", "rdrand")  \
	X(aux_injected, "tsc_aux", "tsc-aux") \
	X(port_in_injected, "port_in", "port-in")

/*
 * The scalar result fields, in the order of the JSON test object: one list
 * makes the struct diff_result members and the JSON keys (report.c).
 * X(kind, member, JSON key, array size). Kinds: STR (char[size]), STATUS
 * (enum diff_status, written as its name), U64, UINT (unsigned), F64
 * (double), INJECTED (the DIFF_INJECTED_FIELDS counters, one nested JSON
 * object), KERNEL (the --kernel statistics, a nested object written only
 * when present), and U64_NOJSON (a member the JSON report leaves out).
 */
#define DIFF_RESULT_FIELDS(X)                                                                          \
	X(STR, name, "name", 256)                                                                      \
	X(STATUS, status, "status", 0)                                                                 \
	X(STR, reason, "reason", 512)                                                                  \
	X(STR, oracle, "oracle", 48)                                                                   \
	X(U64, steps, "steps", 0)               /* compared instructions */                            \
	X(U64, emu_substeps, "emu_substeps", 0) /* runtime-stub instructions the emulator ran alone */ \
	X(F64, seconds, "seconds", 0)                                                                  \
	X(STR, guest_end, "guest_end", 200)                                                            \
	X(INJECTED, injected, "injected", 0)                                                           \
	X(U64, pages_compared, "pages_compared", 0)                                                    \
	X(U64, translated_steps, "translated_steps", 0) /* --jit-step: steps the translator ran */     \
	X(KERNEL, kernel, "kernel", 0)                  /* --kernel runs only (kernel.h) */            \
	X(UINT, ndiv_total, "divergence_count", 0)                                                     \
	X(U64_NOJSON, undefined_adopted, "", 0) /* steps where undefined flags differed (oracle's kept) */

/* The struct member(s) of one DIFF_RESULT_FIELDS row. */
#define DIFF_MEMBER_STR(m, n) char m[n];
#define DIFF_MEMBER_STATUS(m, n) enum diff_status m;
#define DIFF_MEMBER_U64(m, n) uint64_t m;
#define DIFF_MEMBER_U64_NOJSON(m, n) uint64_t m;
#define DIFF_MEMBER_UINT(m, n) unsigned m;
#define DIFF_MEMBER_F64(m, n) double m;
#define DIFF_MEMBER_INJ(m, key, text) uint64_t m;
#define DIFF_MEMBER_INJECTED(m, n) DIFF_INJECTED_FIELDS(DIFF_MEMBER_INJ)
#define DIFF_MEMBER_KERNEL(m, n) struct diff_kernel_stats *m;
#define DIFF_MEMBER(kind, m, key, n) DIFF_MEMBER_##kind(m, n)

struct diff_result {
	DIFF_RESULT_FIELDS(DIFF_MEMBER)
	unsigned ndiv; /* divergences stored in div (at most DIFF_MAX_STORED) */
	struct diff_divergence *div;
};

const char *diff_status_name(enum diff_status s);

/*
 * The oracle for an image of privilege level cpl (pure; lockstep.c says
 * the rule). native_ok: the native oracle works here; why gets the reason
 * when the answer is DIFF_PICK_NONE (an empty why then: the native
 * oracle's own reason, already in it).
 */
enum diff_pick { DIFF_PICK_NONE, DIFF_PICK_KVM, DIFF_PICK_NATIVE };
enum diff_pick diff_pick_oracle(const struct diff_options *o, unsigned cpl, bool native_ok, char *why, size_t wn);

/* Run one image; never fails as a function: the outcome is in res. */
void diff_run_image(const char *path, const struct diff_options *opt, struct diff_result *res);

void diff_result_free(struct diff_result *res);

struct rax_vm;

/* Bytes at a guest-linear address through the emulator's page tables. */
bool diff_emu_read_lin(struct rax_vm *vm, uint64_t la, void *buf, size_t n);

/*
 * Whether the emulator's step from e0 to e1 (instruction length len)
 * delivered an exception or interrupt (ended on a handler's first
 * instruction with the interrupted RIP/CS/RFLAGS/SS as a 64-bit frame at
 * RSP) or otherwise entered more privileged code. *rfl_off: offset of the
 * frame's RFLAGS image from RSP, or -1 when there is no frame.
 */
bool diff_emu_entered(struct rax_vm *vm, const struct rax_cpu_state *e0, const struct rax_cpu_state *e1, unsigned len,
		      int *rfl_off);

#endif
