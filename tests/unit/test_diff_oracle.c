/*
 * test_diff_oracle.c - rax-diff's choice of oracle per image
 * (diff_pick_oracle, harness/lockstep.c) for each kind of host, from the
 * capabilities the KVM probe reports: no KVM, a KVM that emulates CPL0
 * code and delivers INT n from CPL3 as #UD (kvm_pvm), hardware KVM.
 */
#include <string.h>

#include "lockstep.h"
#include "unit.h"

#define HW_CAPS \
	(ORACLE_SYSSTATE | ORACLE_CPL0 | ORACLE_CPL3 | ORACLE_FPU | ORACLE_RUNTIME | ORACLE_INT_CPL3 | ORACLE_CPL0_CPU)
#define PVM_CAPS (ORACLE_SYSSTATE | ORACLE_CPL0 | ORACLE_CPL3 | ORACLE_FPU | ORACLE_RUNTIME)

static struct diff_options host(bool kvm, unsigned caps, enum diff_oracle_kind oracle)
{
	struct diff_options o = { .oracle = oracle, .kvm_usable = kvm, .kvm_caps = caps };
	if (!kvm)
		snprintf(o.kvm_why, sizeof(o.kvm_why), "/dev/kvm is not available");
	return o;
}

static enum diff_pick pick(const struct diff_options *o, unsigned cpl, bool native_ok, char *why)
{
	why[0] = 0;
	return diff_pick_oracle(o, cpl, native_ok, why, 512);
}

int main(void)
{
	char why[512];
	/* hardware KVM: KVM for everything under auto */
	struct diff_options o = host(true, HW_CAPS, DIFF_ORACLE_AUTO);
	CHECK_EQ(pick(&o, 0, false, why), DIFF_PICK_KVM);
	CHECK_EQ(pick(&o, 3, true, why), DIFF_PICK_KVM);

	/* kvm_pvm: CPL3 images natively, CPL0 images skipped with the reason */
	o = host(true, PVM_CAPS, DIFF_ORACLE_AUTO);
	CHECK_EQ(pick(&o, 3, true, why), DIFF_PICK_NATIVE);
	CHECK_EQ(pick(&o, 0, false, why), DIFF_PICK_NONE);
	CHECK(strstr(why, "emulates CPL0 code in software") != NULL);
	CHECK(strstr(why, "--oracle kvm") != NULL);
	/* ... unless the user asks for KVM */
	o = host(true, PVM_CAPS, DIFF_ORACLE_KVM);
	CHECK_EQ(pick(&o, 0, false, why), DIFF_PICK_KVM);
	CHECK_EQ(pick(&o, 3, false, why), DIFF_PICK_KVM);

	/* no KVM: native for CPL3, CPL0 skipped with KVM's reason */
	o = host(false, 0, DIFF_ORACLE_AUTO);
	CHECK_EQ(pick(&o, 3, true, why), DIFF_PICK_NATIVE);
	CHECK_EQ(pick(&o, 0, false, why), DIFF_PICK_NONE);
	CHECK(strstr(why, "CPL0 image needs the KVM oracle (/dev/kvm is not available)") != NULL);
	o = host(false, 0, DIFF_ORACLE_KVM);
	CHECK_EQ(pick(&o, 3, true, why), DIFF_PICK_NONE);
	CHECK(strstr(why, "KVM unavailable") != NULL);

	/* --oracle native never takes KVM */
	o = host(true, HW_CAPS, DIFF_ORACLE_NATIVE);
	snprintf(o.kvm_why, sizeof(o.kvm_why), "--oracle native");
	CHECK_EQ(pick(&o, 3, true, why), DIFF_PICK_NATIVE);
	CHECK_EQ(pick(&o, 0, false, why), DIFF_PICK_NONE);
	CHECK(strstr(why, "--oracle native") != NULL);
	/* a CPL3 image no oracle can run: the native oracle's reason stands */
	o = host(false, 0, DIFF_ORACLE_AUTO);
	CHECK_EQ(pick(&o, 3, false, why), DIFF_PICK_NONE);
	return unit_finish("test_diff_oracle");
}
