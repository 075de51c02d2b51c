/*
 * kernel.h - rax-diff --kernel: the first instructions of a Linux boot from
 * the 64-bit entry (the state `rax --kernel` starts from), on KVM and on
 * the emulator, compared.
 *
 * Two strategies:
 *  - exits (default): both sides run freely to their next userspace port
 *    access (the serial console, ...). There the full state and the port
 *    access are compared, and RAM at some of them (see kernel.c). A
 *    difference is localised by replaying from the last matching
 *    checkpoint down to one instruction.
 *  - per instruction (--step-mode singlestep|trapflag): the KVM oracle
 *    steps every instruction, as for test images.
 */
#ifndef RAX_HARNESS_KERNEL_H
#define RAX_HARNESS_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "lockstep.h"
#include "oracle.h"

/* The command line rax-diff builds when none is given: rax's default plus
 * nokaslr (KASLR draws on RDTSC/RDRAND, which differ on the two sides). */
#define DIFF_KERNEL_CMDLINE "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 reboot=k nokaslr"
#define DIFF_KERNEL_MEM (256ull << 20)

struct diff_kernel_options {
	const char *kernel, *initrd, *cmdline;
	uint64_t mem_size;
	uint64_t steps;          /* instructions to compare (at least; see kernel.c) */
	bool per_insn;           /* step every instruction on KVM */
	enum kvm_step_mode mode; /* resolved KVM stepping strategy */
	bool strict_flags, keep_going;
	double timeout; /* wall-clock limit in seconds (0: none) */
	uint64_t skip;  /* --jit --skip N: the first N instructions run uncompared (checked whole at N) */
	uint64_t chunk; /* --jit --chunk N: compared every N instructions (chained), not every block */
};

#define KSTATS_NOTES 8

/*
 * Nondeterminism and model differences of a --kernel run (KVM's result
 * adopted), counted: one list makes the struct members, the JSON object
 * "nondeterminism" and the report line. X(member, JSON key, text).
 */
#define DIFF_KERNEL_NONDET_FIELDS(X)                                \
	X(rdtsc, "rdtsc", "rdtsc")                                  \
	X(rdrand, "rdrand", "rdrand")                               \
	X(cpuid_diff, "cpuid", "cpuid")                             \
	X(undefined_adopted, "undefined_flags", "undefined flags")  \
	X(port_in_injected, "timer_port_reads", "timer port reads") \
	X(nondet_replays, "not_recurring", "not recurring on replay")

/*
 * The statistics of a --kernel run, in the order of the JSON object
 * "kernel": one list makes the struct members and the JSON keys
 * (report.c). X(kind, member, JSON key, array size), kinds as in
 * DIFF_RESULT_FIELDS (lockstep.h) plus F64_NOJSON, NONDET (the
 * DIFF_KERNEL_NONDET_FIELDS counters, one nested object) and NOTES
 * (nnotes lines of at most size bytes each, a JSON array of strings).
 */
#define DIFF_KERNEL_STATS_FIELDS(X)                                                                         \
	X(STR, strategy, "strategy", 48) /* "exits" or "per-instruction (kvm/singlestep)" */                \
	X(STR, cmdline, "cmdline", 256)                                                                     \
	X(U64, instructions, "instructions", 0) /* emulator instructions compared */                        \
	X(U64, exits, "exits", 0)               /* port exits compared (state + access) */                  \
	X(U64, ram_checks, "ram_checks", 0)     /* whole-RAM comparisons */                                 \
	X(F64, ram_seconds, "ram_seconds", 0)   /* time spent comparing and snapshotting RAM */             \
	X(U64, localisations, "localisations", 0)                                                           \
	X(U64, probes, "probes", 0)                                                                         \
	X(F64_NOJSON, localise_seconds, "", 0)                                                              \
	X(NONDET, nondet, "nondeterminism", 0)                                                              \
	X(U64_NOJSON, emu_interrupts, "", 0)                                                                \
	X(U64_NOJSON, irq_raises, "", 0)                                                                    \
	X(NOTES, notes, "notes", 200)             /* nondeterminism and model differences, one line each */ \
	X(STR, window_end, "window_end", 320)     /* why the comparison ended where it did */               \
	X(STR, console, "console_last_line", 160) /* the last console line the guest printed */             \
	X(U64_NOJSON, console_bytes, "", 0)

#define DIFF_MEMBER_F64_NOJSON(m, n) double m;
#define DIFF_MEMBER_NONDET(m, n) DIFF_KERNEL_NONDET_FIELDS(DIFF_MEMBER_INJ)
#define DIFF_MEMBER_NOTES(m, n) \
	unsigned nnotes;        \
	char m[KSTATS_NOTES][n];

struct diff_kernel_stats {
	DIFF_KERNEL_STATS_FIELDS(DIFF_MEMBER)
};

/* Check the files and options before anything else (exit status 2 on error). */
int diff_kernel_check_inputs(const struct diff_kernel_options *o, struct rax_err *err);

/* Run the boot prefix; the outcome is in res (res->kernel is allocated). */
void diff_run_kernel(const struct diff_kernel_options *o, struct diff_result *res);

#endif
