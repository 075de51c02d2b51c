/*
 * testimg.h - test images: a small flat binary with an optional
 * self-describing header (testcases/FORMAT.md, asm/include/raxtest.inc).
 *
 * The loader places the image, maps it (2 MiB pages, U/S, R/W and NX as
 * the header asks), and builds a GDT with CPL0 and CPL3 64-bit selectors,
 * a 64-bit TSS (RSP0, IST1), an IDT and the CPL0 runtime stub
 * (asm/runtime/stub64.asm) that reports exceptions and offers the CPL3
 * services (exit, port out, port in). After the run, testimg_outcome()
 * turns the way the run ended into pass/fail/exception and the final,
 * unwound CPU state.
 */
#ifndef RAX_TESTIMG_H
#define RAX_TESTIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_state.h"
#include "err.h"
#include "guest_mem.h"

struct rax_vm;

#define TESTIMG_MAGIC "RAXT"
#define TESTIMG_VERSION 1
#define TESTIMG_FIXED_SIZE 56  /* fixed part of the header */
#define TESTIMG_REG_SIZE 16    /* one initial-register record */
#define TESTIMG_REGION_SIZE 24 /* one memory-region record */
#define TESTIMG_MAX_REGS 17
#define TESTIMG_MAX_REGIONS 16
#define TESTIMG_REG_RFLAGS 16 /* register index of RFLAGS (0-15: GPRs) */
#define TESTIMG_CATCH_SIZE 40 /* resume, vector, error, rip, cr2 */

/* Header field offsets (all little-endian). */
#define TESTIMG_OFF_VERSION 4
#define TESTIMG_OFF_HDR_SIZE 6
#define TESTIMG_OFF_MODE 8
#define TESTIMG_OFF_CPL 9
#define TESTIMG_OFF_END 10
#define TESTIMG_OFF_NREGS 12
#define TESTIMG_OFF_NREGIONS 13
#define TESTIMG_OFF_LOAD 16
#define TESTIMG_OFF_ENTRY 24
#define TESTIMG_OFF_STACK 32
#define TESTIMG_OFF_STEPS 40
#define TESTIMG_OFF_CATCH 48

/* CPU modes (only 64 is implemented; 32 and 16 are reserved). */
#define TESTIMG_MODE_64 64

/* Ways a test may end (header field end_mask; 0 means all). */
#define TESTIMG_END_DEBUG_EXIT 0x1 /* out 0xf4 at CPL0: value 0 passes */
#define TESTIMG_END_EXIT_CALL 0x2  /* int 0x30 with al = value (any CPL) */
#define TESTIMG_END_HLT 0x4        /* hlt with IF=0 at CPL0: passes */
#define TESTIMG_END_ALL 0x7

/* Region flags. */
#define TESTIMG_R_WRITE 0x1
#define TESTIMG_R_USER 0x2
#define TESTIMG_R_EXEC 0x4
#define TESTIMG_R_ALL 0x7

/* Vectors of the runtime services. */
#define TESTIMG_VEC_EXIT 0x30
#define TESTIMG_VEC_OUT 0x31
#define TESTIMG_VEC_IN 0x32

/* Offsets inside the runtime stub (asm/runtime/stub64.asm). */
#define TESTIMG_STUB_ENTRY_SIZE 16
#define TESTIMG_STUB_HALT 0x1000
#define TESTIMG_STUB_OUT 0x1010
#define TESTIMG_STUB_IN 0x1020
#define TESTIMG_STUB_EXIT 0x1040

/* GDT selectors. */
#define TESTIMG_SEL_CODE0 0x08
#define TESTIMG_SEL_DATA0 0x10
#define TESTIMG_SEL_DATA3 0x1b
#define TESTIMG_SEL_CODE3 0x23
#define TESTIMG_SEL_TSS 0x28

/* struct testimg_result lives at LAYOUT_TEST_RESULT; magic says who wrote it. */
#define TESTIMG_RESULT_EXCEPTION 0x43584552u /* "REXC" */
#define TESTIMG_RESULT_EXIT 0x54495845u      /* "EXIT" */

struct testimg_result {
	uint64_t magic, vector, error, rip, cs, rflags, rsp, ss, cr2;
	uint64_t catch_addr; /* written by the loader, read by the stub */
};

struct testimg_region {
	uint64_t addr, size;
	uint32_t flags;
};

struct testimg_info {
	bool has_header;
	unsigned version, mode, cpl, end_mask;
	uint64_t load, entry, stack_top, step_limit, catch_addr;
	uint64_t size; /* bytes of the file, all placed at load */
	unsigned nregs, nregions;
	uint8_t reg_index[TESTIMG_MAX_REGS];
	uint64_t reg_value[TESTIMG_MAX_REGS];
	struct testimg_region region[TESTIMG_MAX_REGIONS];
};

/*
 * Validate a header (or apply the headerless defaults) without touching
 * guest memory. Checks that do not need the RAM size happen here.
 */
int testimg_parse(const uint8_t *buf, size_t len, struct testimg_info *info, struct rax_err *err);

/*
 * Read, validate and place the image at path; build the machine around it.
 * `what` names the file in messages ("--test", "test image"). A file
 * without the RAXT magic that is plainly something else (a Linux bzImage,
 * an ELF file, a multiboot kernel, text) is refused as "not a RAX test
 * image" instead of being run as headerless code.
 */
int testimg_load(struct guest_mem *mem, const char *path, const char *what, struct rax_cpu_state *st,
		 struct testimg_info *info, struct rax_err *err);

/* Same, from a buffer already in memory. */
int testimg_load_buf(struct guest_mem *mem, const uint8_t *buf, size_t len, struct rax_cpu_state *st,
		     struct testimg_info *info, struct rax_err *err);

/* What a file without the RAXT magic plainly is instead ("a Linux bzImage"),
 * or NULL when it may be a headerless image; *kernel: it is a kernel. */
const char *testimg_other_format(const uint8_t *buf, size_t len, bool *kernel);

/*
 * Run a loaded test: vm_run(), or a step() loop when the header sets a
 * step limit and the backend can step (RAX_STATUS_TIMEOUT when reached).
 */
int testimg_run(struct rax_vm *vm, const struct testimg_info *info, struct rax_err *err);

enum testimg_verdict {
	TESTIMG_PASSED,    /* debug-exit/exit call with 0, or a clean halt */
	TESTIMG_FAILED,    /* debug-exit/exit call with another value, or a forbidden end */
	TESTIMG_EXCEPTION, /* an unexpected exception reached the runtime stub */
	TESTIMG_ABORTED,   /* the run ended otherwise (timeout, triple fault, ...) */
};

/* Process status of rax --test for each verdict (aborted keeps the VM status). */
#define TESTIMG_STATUS_PASSED 0
#define TESTIMG_STATUS_FAILED 1
#define TESTIMG_STATUS_EXCEPTION 3

struct testimg_outcome {
	enum testimg_verdict verdict;
	unsigned how;              /* TESTIMG_END_* for passed/failed, 0 otherwise */
	unsigned value;            /* exit value */
	struct testimg_result exc; /* valid for TESTIMG_EXCEPTION */
	char text[160];            /* one line: "passed", "failed: exit value 1", ... */
};

/*
 * Classify a finished run (status from testimg_run) and unwind st, the
 * state read back from the backend, to the test's own state: after an
 * exit call or an unexpected exception, RIP/RSP/RFLAGS/CS/SS come from the
 * frame the stub recorded (GPRs are untouched by the stub).
 */
void testimg_outcome(const struct guest_mem *mem, const struct testimg_info *info, int status, struct rax_cpu_state *st,
		     struct testimg_outcome *out);

/* The process status for an outcome (status: what testimg_run returned). */
int testimg_status(const struct testimg_outcome *out, int status);

#endif
