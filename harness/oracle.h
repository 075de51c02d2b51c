/*
 * oracle.h - the reference side of a lockstep run, behind one small
 * interface: the real CPU through KVM (oracle_kvm.c: single-step or
 * trap-flag stepping) or, for CPL3 test images, the real CPU through
 * ptrace in a child process (oracle_native.c).
 *
 * An oracle executes exactly one guest instruction per step() and reports
 * how it ended. Memory addresses are guest-physical for KVM and
 * guest-virtual for the native oracle (the image's own addresses; the test
 * loader maps them 1:1, see ORACLE_VIRT).
 */
#ifndef RAX_HARNESS_ORACLE_H
#define RAX_HARNESS_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "cpu_state.h"
#include "err.h"

struct rax_vm;
struct testimg_info;
struct emu_insn;

/* Oracle capabilities (struct oracle.caps): what the lockstep engine may
 * ask of it and compare. */
#define ORACLE_SYSSTATE 0x01u /* segments, control registers, EFER are real */
#define ORACLE_VIRT 0x02u     /* memory is addressed by guest-virtual address */
#define ORACLE_CPL0 0x04u     /* runs CPL0 code */
#define ORACLE_CPL3 0x08u     /* runs CPL3 code */
#define ORACLE_FPU 0x10u      /* x87/SSE state is real */
#define ORACLE_INT_CPL3 0x20u /* INT n at CPL3 goes through the guest's IDT gate */
#define ORACLE_RUNTIME 0x40u  /* runs the test loader's CPL0 runtime stub itself */
#define ORACLE_CPL0_CPU 0x80u /* CPL0 code runs on the CPU (not emulated by the host's kernel) */

enum oracle_event {
	ORACLE_STEPPED,   /* one instruction retired */
	ORACLE_EXCEPTION, /* the instruction raised vector (error, cr2) and did not retire */
	ORACLE_EXITED,    /* the guest ended (debug-exit port, halt): detail says how */
	ORACLE_INTERNAL,  /* the oracle cannot go on (detail) */
	ORACLE_CANNOT,    /* this host cannot execute the instruction (detail): not a divergence */
};

struct oracle_result {
	enum oracle_event kind;
	int vector;     /* ORACLE_EXCEPTION: x86 vector */
	uint32_t error; /* error code when the vector has one */
	uint64_t cr2;   /* page-fault address */
	char detail[sizeof(((struct rax_exit *)0)->detail) + 16];
};

/* What the emulator did in this step, for oracles that need a hint. */
struct oracle_hint {
	bool valid;
	uint64_t next_rip; /* emulator's RIP after the step */
	unsigned next_cpl; /* emulator's CPL after the step */
	bool cpl_changed;
	/* the emulator delivered an event (exception, INT n) or entered CPL0
	 * code (SYSCALL): next_rip is the first instruction of the handler */
	bool entered;
};

/* What an oracle makes of an instruction before it is stepped (its quirks). */
enum oracle_pre {
	ORACLE_PRE_STEP,   /* step it */
	ORACLE_PRE_SYNTH,  /* the CPU raises r->vector (r->error), which this oracle cannot deliver itself */
	ORACLE_PRE_CANNOT, /* this oracle cannot run it faithfully (r->detail): the comparison ends, SKIP */
};

struct oracle;

struct oracle_ops {
	const char *name;
	unsigned caps;
	/* Execute one instruction. */
	int (*step)(struct oracle *o, const struct oracle_hint *hint, struct oracle_result *r, struct rax_err *err);
	int (*get_state)(struct oracle *o, struct rax_cpu_state *s, struct rax_err *err);
	/* Replace the oracle's state (re-sync after a divergence, fault emulation). */
	int (*set_state)(struct oracle *o, const struct rax_cpu_state *s, struct rax_err *err);
	int (*read)(struct oracle *o, uint64_t addr, void *buf, size_t len);
	int (*write)(struct oracle *o, uint64_t addr, const void *buf, size_t len);
	void (*close)(struct oracle *o);
	/* Optional (image mode): instruction in, decoded by the emulator at CPL3
	 * from state s, is next; emu: the emulator's VM, for guest memory the
	 * oracle does not hold (the IDT). NULL: always ORACLE_PRE_STEP. */
	enum oracle_pre (*precheck)(struct oracle *o, const struct emu_insn *in, const struct rax_cpu_state *s,
				    struct rax_vm *emu, struct oracle_result *r);
	/* Optional: which of the npages 4 KiB pages from addr hold memory
	 * (out[i] = 1); a page that holds none reads as zeros. -1: cannot say. */
	int (*resident)(struct oracle *o, uint64_t addr, size_t npages, uint8_t *out);
};

struct oracle {
	const struct oracle_ops *ops;
	void *priv;
	unsigned caps; /* ORACLE_*: ops->caps and what this host allows */
	/* RFLAGS bits this oracle can observe and set (compared when defined). */
	uint64_t rflags_bits;
	char name[48]; /* "native", "kvm/trapflag", ... */
};

/* ---- the native (ptrace) oracle: CPL3 test images only ---- */

/* Lowest address a native image region may use (also vm.mmap_min_addr). */
#define NATIVE_MIN_ADDR 0x10000ull
/* Highest: below where the host process keeps its own mappings. */
#define NATIVE_MAX_ADDR (1ull << 40)

/* One memory region of a native child: [addr, addr+size) with its contents. */
struct native_region {
	uint64_t addr, size; /* page aligned */
	bool write, exec;
	const uint8_t *data; /* size bytes */
};

/*
 * Open a native oracle: fork a traced child, map every region at its
 * guest-virtual address (MAP_FIXED_NOREPLACE) with its contents, and set
 * the GPRs, RIP and RFLAGS of st. Fails with a clear message when a region
 * lies outside [NATIVE_MIN_ADDR, NATIVE_MAX_ADDR) or collides with a
 * mapping of the host process.
 */
int oracle_native_open(struct oracle *o, const struct native_region *r, unsigned n, const struct rax_cpu_state *st,
		       struct rax_err *err);

/* Whether the native oracle works on this host ("" or the reason). */
bool oracle_native_available(char *why, size_t n);

/* ---- the KVM oracle ---- */

enum kvm_step_mode { KVM_STEP_AUTO, KVM_STEP_SINGLESTEP, KVM_STEP_TRAPFLAG };

/*
 * Whether the KVM oracle can run here (kvm_probe(): usable, and a stepping
 * mechanism works), the step mode auto resolves to (single-step when
 * KVM_GUESTDBG_SINGLESTEP works, else the trap flag), and its capabilities
 * on this host. why says why not.
 */
bool oracle_kvm_usable(enum kvm_step_mode *mode, unsigned *caps, char *why, size_t n);

/*
 * Open a KVM oracle over a copy of ram (size ram_size) starting from st.
 * harness_area: guest-physical address of 64 KiB of RAM the test does not
 * use, identity-mapped at CPL0 (trap-flag mode keeps its IDT copy, TSS copy,
 * #DB handler and IST stack there).
 */
int oracle_kvm_open(struct oracle *o, enum kvm_step_mode mode, const uint8_t *ram, uint64_t ram_size,
		    const struct rax_cpu_state *st, uint64_t harness_area, struct rax_err *err);

/* The initial x87/SSE values where KVM_GET_FPU shows an unsaved (zeroed)
 * component of the vCPU's XSAVE image (see oracle_kvm.c). */
void oracle_kvm_fpu_fixup(struct rax_fpu_state *f);

/* The VM behind a KVM oracle (kernel-prefix mode runs it to exits). */
struct rax_vm *oracle_kvm_vm(struct oracle *o);

/*
 * Make the vCPU forget a port access it stopped on (KVM would complete it
 * on the next KVM_RUN, into whatever state is loaded by then), without
 * running any guest code and whatever the guest's paging. The vCPU's state
 * is undefined afterwards: load one (set_state or the VM's ops) next.
 */
int oracle_kvm_settle(struct oracle *o, struct rax_err *err);

const char *kvm_step_mode_name(enum kvm_step_mode m);

#endif
