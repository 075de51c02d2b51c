/* oracle_kvm_none.c - the KVM oracle on a build without linux/kvm.h. */
#include <stdio.h>

#include "oracle.h"
#include "vm.h"

const char *kvm_step_mode_name(enum kvm_step_mode m)
{
	return m == KVM_STEP_SINGLESTEP ? "singlestep" : m == KVM_STEP_TRAPFLAG ? "trapflag" : "auto";
}

bool oracle_kvm_usable(enum kvm_step_mode *mode, unsigned *caps, char *why, size_t n)
{
	snprintf(why, n, "rax-diff was built without linux/kvm.h");
	return false;
}

int oracle_kvm_open(struct oracle *o, enum kvm_step_mode mode, const uint8_t *ram, uint64_t ram_size,
		    const struct rax_cpu_state *st, uint64_t harness_area, struct rax_err *err)
{
	return rax_errf(err, RAX_STATUS_HOST, "rax-diff was built without linux/kvm.h");
}

struct rax_vm *oracle_kvm_vm(struct oracle *o) { return NULL; }

int oracle_kvm_settle(struct oracle *o, struct rax_err *err)
{
	return rax_errf(err, RAX_STATUS_HOST, "KVM unavailable: rax-diff was built without linux/kvm.h");
}

void oracle_kvm_fpu_fixup(struct rax_fpu_state *f) {}
