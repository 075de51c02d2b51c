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
	uint64_t steps;            /* instructions to compare (at least; see kernel.c) */
	bool per_insn;             /* step every instruction on KVM */
	enum kvm_step_mode mode;   /* resolved KVM stepping strategy */
	bool strict_flags, keep_going;
	double timeout;            /* wall-clock limit in seconds (0: none) */
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

struct diff_kernel_stats {
	char strategy[48];            /* "exits" or "per-instruction (kvm/singlestep)" */
	char cmdline[256];
	uint64_t instructions;        /* emulator instructions compared */
	uint64_t exits;               /* port exits compared (state + access) */
	uint64_t ram_checks;          /* whole-RAM comparisons */
	double ram_seconds;           /* time spent comparing and snapshotting RAM */
	uint64_t localisations, probes;
	double localise_seconds;
#define X(m, key, text) uint64_t m;
	DIFF_KERNEL_NONDET_FIELDS(X)
#undef X
	uint64_t emu_interrupts, irq_raises;
	char window_end[320];         /* why the comparison ended where it did */
	char console[160];            /* the last console line the guest printed */
	uint64_t console_bytes;
	unsigned nnotes;
	char notes[KSTATS_NOTES][200]; /* nondeterminism and model differences, one line each */
};

/* Check the files and options before anything else (exit status 2 on error). */
int diff_kernel_check_inputs(const struct diff_kernel_options *o, struct rax_err *err);

/* Run the boot prefix; the outcome is in res (res->kernel is allocated). */
void diff_run_kernel(const struct diff_kernel_options *o, struct diff_result *res);

#endif
