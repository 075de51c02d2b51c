/*
 * kvm_exit.h - what the KVM backend does with one KVM_RUN exit (private to
 * src/kvm/).
 *
 * kvm_exit_handle() reads the exit out of struct kvm_run, does the device
 * work (port I/O, MMIO, stop requests) and says whether the run loop goes on
 * or returns an exit to the VM. What it needs from the vCPU beyond the run
 * area comes through struct kvm_exit_vcpu, so the unit test feeds synthetic
 * exits with fake answers and needs neither /dev/kvm nor a vCPU.
 */
#ifndef RAX_KVM_EXIT_H
#define RAX_KVM_EXIT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

struct rax_vm;

/* Where the vCPU stopped, for error reports. */
struct kvm_exit_where {
	uint64_t rip;
	unsigned cpl;
	unsigned mode;     /* enum emu_mode the code decodes in */
	uint8_t bytes[15]; /* code at rip */
	unsigned nbytes;   /* how many could be read (0: none) */
};

/* The vCPU as the exit handler sees it: the backend answers with ioctls,
 * the test with fakes. */
struct kvm_exit_vcpu {
	void *opaque;
	/* Registers and code at the vCPU's RIP; -1 when they cannot be read. */
	int (*where)(void *opaque, struct kvm_exit_where *w);
	/* True when the vCPU sits in HLT with IF=0 (MP state and RFLAGS). */
	bool (*halted_for_good)(void *opaque);
	/* True when this host's KVM emulates CPL0 code in software; asked only
	 * for internal errors at CPL0 (the backend runs the host probe then). */
	bool (*cpl0_emulated)(void *opaque);
	bool want_debug; /* single-stepping: KVM_EXIT_DEBUG ends the run */
};

enum kvm_exit_next {
	KVM_EXIT_NEXT_RUN,    /* handled: enter the guest again */
	KVM_EXIT_NEXT_RETURN, /* *ex is filled: return it to the VM */
};

enum kvm_exit_next kvm_exit_handle(struct rax_vm *vm, struct kvm_run *run, const struct kvm_exit_vcpu *vcpu,
				   struct rax_exit *ex);

/* "<what> at rip 0x..., cpl N: <instruction> (bytes ..)"; w NULL when the
 * registers could not be read (pure). */
void kvm_exit_describe(char *buf, size_t n, const char *what, const struct kvm_exit_where *w);

/* The text of a KVM internal error: kvm_exit_describe() plus, at CPL0 on a
 * host whose KVM emulates CPL0 code, what to do instead (pure). */
void kvm_exit_internal_text(char *buf, size_t n, uint32_t suberror, const struct kvm_exit_where *w, bool cpl0_emulated);

#endif
