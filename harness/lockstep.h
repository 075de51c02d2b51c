/*
 * lockstep.h - run one test image on the emulator and an oracle in
 * lockstep, one instruction at a time, and record every divergence.
 */
#ifndef RAX_HARNESS_LOCKSTEP_H
#define RAX_HARNESS_LOCKSTEP_H

#include <stdbool.h>
#include <stdint.h>

#include "compare.h"
#include "cpu_state.h"
#include "oracle.h"

enum diff_oracle_kind { DIFF_ORACLE_AUTO, DIFF_ORACLE_KVM, DIFF_ORACLE_NATIVE };

struct diff_options {
	enum diff_oracle_kind oracle;
	enum kvm_step_mode step_mode; /* resolved (never AUTO) when oracle may be kvm */
	bool kvm_usable;
	char kvm_why[256];
	bool strict_flags;
	bool keep_going;
	uint64_t max_steps; /* 0: the image's step limit, else DIFF_DEFAULT_STEPS */
	uint64_t mem_size;
};

#define DIFF_DEFAULT_STEPS 1000000ull
#define DIFF_MAX_STORED 64 /* divergences kept in full per test */
#define DIFF_HIST 8

struct diff_hist {
	uint64_t rip;
	char dis[80];
};

struct diff_divergence {
	uint64_t step;
	uint64_t rip;
	uint8_t bytes[15];
	unsigned nbytes;
	char disasm[96];
	char what[200];         /* one-line summary */
	uint64_t undefined;     /* status flags masked as undefined this step */
	uint64_t rflags_bits;   /* RFLAGS bits compared */
	unsigned compared;      /* CMP_* */
	struct rax_cpu_state emu, oracle;
	unsigned nfields;
	struct diff_field fields[48];
	unsigned nmem, mem_total;
	struct diff_memrun mem[8];
	unsigned nhist;
	struct diff_hist hist[DIFF_HIST]; /* oldest first, the divergent one last */
};

enum diff_status { DIFF_PASS, DIFF_DIVERGE, DIFF_ERROR, DIFF_SKIP };

struct diff_result {
	char name[256];
	enum diff_status status;
	char reason[512];
	char oracle[48];
	uint64_t steps;        /* compared instructions */
	uint64_t emu_substeps; /* runtime-stub instructions the emulator ran alone */
	uint64_t cpuid_injected, rdtsc_injected, port_in_injected;
	uint64_t pages_compared;
	uint64_t undefined_adopted; /* steps where undefined flags differed (oracle's kept) */
	char guest_end[200];
	double seconds;
	unsigned ndiv_total, ndiv;
	struct diff_divergence *div;
};

const char *diff_status_name(enum diff_status s);

/* Run one image; never fails as a function: the outcome is in res. */
void diff_run_image(const char *path, const struct diff_options *opt, struct diff_result *res);

void diff_result_free(struct diff_result *res);

#endif
