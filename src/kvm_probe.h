/*
 * kvm_probe.h - what this host's KVM can do, found by trying.
 *
 * Machines come with no /dev/kvm, with a nested software-assisted KVM
 * (host module kvm_pvm: CPL3 guest code runs on the CPU, CPL0 code is
 * emulated by the host kernel and stops on instructions it cannot
 * emulate), or with hardware KVM. One probe, run at most once per process
 * (kvm_probe() caches it), tells them apart with short, bounded guest runs
 * and is what every choice in rax, rax-diff and the tests is made from;
 * `rax --kvm-info` prints it, one line per finding.
 *
 * The experiments fill a struct kvm_probe_obs with raw observations; a pure
 * function turns them into findings, so the decisions are unit-tested on
 * synthetic observations on any host.
 */
#ifndef RAX_KVM_PROBE_H
#define RAX_KVM_PROBE_H

#include <stdbool.h>
#include <stdio.h>

/* One finding: yes or no, and the evidence in a few words. */
struct kvm_finding {
	bool ok;
	char why[440];
};

/* How one probe run ended (kvm_probe_obs). */
enum kvm_probe_end {
	KVM_PROBE_NOT_RUN,  /* not attempted (an earlier step failed) */
	KVM_PROBE_EXPECTED, /* reached the end the probe expected */
	KVM_PROBE_INTERNAL, /* KVM internal error (emulation failure, ...) */
	KVM_PROBE_OTHER,    /* something else: wrong port, vector, state */
};

struct kvm_probe_run {
	enum kvm_probe_end end;
	char detail[400]; /* what happened instead, for the finding's why */
};

/* Raw observations of the experiments. */
struct kvm_probe_obs {
	bool opened;                    /* a VM with one vCPU was created */
	char open_error[400];           /* why not */
	bool pvm_module;                /* /sys/module/kvm_pvm exists */
	struct kvm_probe_run cpl0_loop; /* a CPL0 loop of cpl0_loop_insns instructions */
	double cpl0_loop_seconds;       /* its wall time */
	unsigned long cpl0_loop_insns;
	struct kvm_probe_run singlestep;      /* KVM_GUESTDBG_SINGLESTEP over two CPL0 nops */
	struct kvm_probe_run singlestep_cpl3; /* the same at CPL3 */
	struct kvm_probe_run trapflag;        /* TF, #DB on an IST stack, `out` from the handler */
	struct kvm_probe_run int_cpl3;        /* int 0x30 at CPL3 through a DPL3 gate */
	struct kvm_probe_run sse_cpl0;        /* ldmxcsr at CPL0 */
	struct kvm_probe_run gp_cpl3;         /* a misaligned addps at CPL3 */
	struct kvm_probe_run pushf_cpl3;      /* PUSHF at CPL3 with IF=0 */
	struct kvm_probe_run smp;             /* vCPU 1 started by INIT/SIPI runs real-mode code */
	struct kvm_probe_run xsave;           /* XSETBV, XSAVE, XRSTOR at CPL0 */
};

/* What the host's KVM can do. */
struct kvm_caps {
	struct kvm_finding usable;          /* a VM can be created and runs CPL0 code */
	struct kvm_finding cpl0_native;     /* CPL0 code runs on the CPU (not emulated by the host) */
	struct kvm_finding singlestep;      /* KVM_GUESTDBG_SINGLESTEP steps one CPL0 instruction */
	struct kvm_finding singlestep_cpl3; /* ... and one CPL3 instruction */
	struct kvm_finding trapflag;        /* rax-diff's trap-flag harness (#DB on IST, port stop) runs */
	struct kvm_finding int_cpl3;        /* int n at CPL3 reaches the guest's IDT gate */
	struct kvm_finding sse_cpl0;        /* SSE instructions at CPL0 run (ldmxcsr) */
	struct kvm_finding gp_cpl3;         /* a #GP at CPL3 reaches the guest as #GP */
	struct kvm_finding pushf_cpl3;      /* PUSHF at CPL3 pushes the guest's IF */
	struct kvm_finding smp;             /* --smp: the guest's INIT/SIPI starts an AP in real mode */
	struct kvm_finding xsave;           /* XSAVE and XRSTOR work at CPL0: the model may offer XSAVE */
	struct kvm_finding linux_boot;      /* a full Linux boot can work here */
	double cpl0_ips;                    /* measured CPL0 instructions per second (0: not measured) */
};

/* Whether the guest may be offered XSAVE: XSETBV, XSAVE and XRSTOR run at
 * CPL0 in a VM (the probe's xsave experiment alone, run once per process
 * when the full probe has not run). The KVM backend hides XSAVE where not:
 * a kvm_pvm host cannot emulate XRSTOR at CPL0, and under QEMU 7.2's
 * nested SVM a guest's XRSTOR of what XSAVE just wrote faults. True while
 * the experiment itself runs (its VM needs XSAVE). */
bool kvm_probe_xsave_ok(void);

/* The findings for this host: probed on the first call, then cached. */
const struct kvm_caps *kvm_probe(void);

/* Whether CPL0 code is emulated by the host, without running anything:
 * the probe's finding once it has run, else whether the kvm_pvm module is
 * loaded (for a VM whose other vCPU threads are running, where the probe's
 * own VMs must not start). */
bool kvm_probe_cpl0_emulated_now(void);

/* Run the experiments (no caching); so_far gets the findings decided from
 * the first experiment (usable, cpl0_native) before the others run. */
void kvm_probe_observe(struct kvm_probe_obs *obs, struct kvm_caps *so_far);

/* Findings from observations (pure). */
void kvm_probe_decide(const struct kvm_probe_obs *obs, struct kvm_caps *caps);

/* One line per finding: "name: yes|no (why)". */
void kvm_caps_print(FILE *f, const struct kvm_caps *caps);

#endif
