/*
 * test_kvm_probe.c - the host probe's decisions (src/kvm_probe.c) on
 * synthetic observations of each kind of host: none, a KVM that emulates
 * CPL0 code (kvm_pvm), hardware; and the `rax --kvm-info` line format.
 * Runs on every host: nothing here opens /dev/kvm.
 */
#include <string.h>

#include "kvm_probe.h"
#include "unit.h"

static struct kvm_probe_run ran(enum kvm_probe_end end, const char *detail)
{
	struct kvm_probe_run r = { .end = end };
	snprintf(r.detail, sizeof(r.detail), "%s", detail);
	return r;
}

static struct kvm_probe_obs loop_ok(double seconds, bool pvm)
{
	struct kvm_probe_obs o = {
		.opened = true, .pvm_module = pvm, .cpl0_loop_insns = 40003, .cpl0_loop_seconds = seconds
	};
	o.cpl0_loop = ran(KVM_PROBE_EXPECTED, "");
	return o;
}

static void test_no_kvm(void)
{
	struct kvm_probe_obs o = { 0 };
	snprintf(o.open_error, sizeof(o.open_error), "/dev/kvm is not available (No such file or directory)");
	struct kvm_caps c;
	kvm_probe_decide(&o, &c);
	CHECK(!c.usable.ok);
	CHECK(strstr(c.usable.why, "No such file") != NULL);
	CHECK(!c.cpl0_native.ok && !c.singlestep.ok && !c.trapflag.ok && !c.int_cpl3.ok && !c.linux_boot.ok);
	CHECK(strstr(c.trapflag.why, "not probed") != NULL);
}

static void test_vm_opens_but_code_does_not_run(void)
{
	struct kvm_probe_obs o = { .opened = true };
	o.cpl0_loop = ran(KVM_PROBE_INTERNAL, "KVM entry failed, hardware reason 0x7");
	struct kvm_caps c;
	kvm_probe_decide(&o, &c);
	CHECK(!c.usable.ok);
	CHECK(strstr(c.usable.why, "hardware reason 0x7") != NULL);
	CHECK(!c.linux_boot.ok);
}

static void test_pvm_host(void)
{
	struct kvm_probe_obs o = loop_ok(0.025, true);
	o.singlestep = ran(KVM_PROBE_EXPECTED, "");
	o.singlestep_cpl3 = ran(KVM_PROBE_OTHER, "CPL3: step 1 did not stop after one instruction");
	o.trapflag = ran(KVM_PROBE_EXPECTED, "");
	o.int_cpl3 = ran(KVM_PROBE_OTHER, "int 0x30 at CPL3 arrives as #UD, not through its gate");
	o.sse_cpl0 = ran(KVM_PROBE_INTERNAL, "KVM internal error, suberror 1 (emulation failure)");
	o.gp_cpl3 = ran(KVM_PROBE_OTHER, "a misaligned addps at CPL3 raised vector 6, not #GP");
	o.pushf_cpl3 = ran(KVM_PROBE_OTHER, "PUSHF at CPL3 pushed IF=1 with the guest's IF=0");
	struct kvm_caps c;
	kvm_probe_decide(&o, &c);
	CHECK(c.usable.ok);
	CHECK(!c.cpl0_native.ok);
	CHECK(strstr(c.cpl0_native.why, "kvm_pvm") != NULL);
	CHECK(c.cpl0_ips > 1.5e6 && c.cpl0_ips < 1.7e6);
	CHECK(c.singlestep.ok && !c.singlestep_cpl3.ok && c.trapflag.ok);
	CHECK(!c.int_cpl3.ok && strstr(c.int_cpl3.why, "#UD") != NULL);
	CHECK(!c.sse_cpl0.ok && strstr(c.sse_cpl0.why, "cannot run it") != NULL);
	CHECK(!c.gp_cpl3.ok && !c.pushf_cpl3.ok);
	CHECK(!c.linux_boot.ok && strstr(c.linux_boot.why, "--backend emulator") != NULL);
}

/* Without the module, a slow CPL0 loop is emulation only when CPL0 SSE
 * fails too; a slow complete CPU (KVM nested in QEMU TCG) is native. */
static void test_slow_cpl0_without_module(void)
{
	struct kvm_probe_obs o = loop_ok(0.04, false);
	o.singlestep = o.singlestep_cpl3 = o.trapflag = o.int_cpl3 = o.gp_cpl3 = o.pushf_cpl3 = ran(KVM_PROBE_EXPECTED,
												    "");
	o.sse_cpl0 = ran(KVM_PROBE_INTERNAL, "emulation failure");
	struct kvm_caps c;
	kvm_probe_decide(&o, &c);
	CHECK(c.usable.ok && !c.cpl0_native.ok);
	CHECK(strstr(c.cpl0_native.why, "only 1.0 M") != NULL);
	CHECK(!c.linux_boot.ok);
	o.sse_cpl0 = ran(KVM_PROBE_EXPECTED, "");
	kvm_probe_decide(&o, &c);
	CHECK(c.cpl0_native.ok && c.linux_boot.ok);
	CHECK(strstr(c.cpl0_native.why, "complete CPU model") != NULL);
}

static void test_hardware_host(void)
{
	struct kvm_probe_obs o = loop_ok(0.0002, false);
	o.singlestep = o.singlestep_cpl3 = o.trapflag = o.int_cpl3 = o.sse_cpl0 = o.gp_cpl3 = o.pushf_cpl3 = ran(
		KVM_PROBE_EXPECTED, "");
	struct kvm_caps c;
	kvm_probe_decide(&o, &c);
	CHECK(c.usable.ok && c.cpl0_native.ok && c.singlestep.ok && c.singlestep_cpl3.ok);
	CHECK(c.trapflag.ok && c.int_cpl3.ok && c.sse_cpl0.ok && c.gp_cpl3.ok && c.pushf_cpl3.ok);
	CHECK(c.linux_boot.ok);
	CHECK(strstr(c.cpl0_native.why, "runs on the CPU") != NULL);
}

static void test_print_format(void)
{
	struct kvm_probe_obs o = loop_ok(0.0002, false);
	o.singlestep = ran(KVM_PROBE_OTHER, "CPL0: step 1 did not stop after one instruction");
	o.singlestep_cpl3 = o.trapflag = o.int_cpl3 = o.sse_cpl0 = o.gp_cpl3 = o.pushf_cpl3 = ran(KVM_PROBE_EXPECTED,
												  "");
	struct kvm_caps c;
	kvm_probe_decide(&o, &c);
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	kvm_caps_print(f, &c);
	fclose(f);
	CHECK(strncmp(buf, "usable: yes (", 13) == 0);
	CHECK(strstr(buf, "\nsinglestep: no (CPL0: step 1 did not stop after one instruction)\n") != NULL);
	CHECK(strstr(buf, "\nlinux-boot: yes (") != NULL);
	unsigned lines = 0;
	for (const char *p = buf; *p; p++)
		lines += *p == '\n';
	CHECK_EQ(lines, 12);
	CHECK(strstr(buf, "\nsmp: ") != NULL);
	CHECK(strstr(buf, "\nxsave: ") != NULL);
}

/* xsave: XRSTOR that works, and one the host cannot run. */
static void test_xsave_finding(void)
{
	struct kvm_probe_obs o = loop_ok(0.0002, false);
	struct kvm_caps c;
	o.xsave = ran(KVM_PROBE_EXPECTED, "");
	kvm_probe_decide(&o, &c);
	CHECK(c.xsave.ok && strstr(c.xsave.why, "XRSTOR") != NULL);
	o.xsave = ran(KVM_PROBE_INTERNAL, "xrstor [rsp] faulted");
	kvm_probe_decide(&o, &c);
	CHECK(!c.xsave.ok && strstr(c.xsave.why, "cannot run it: xrstor [rsp] faulted") != NULL);
	o.xsave = ran(KVM_PROBE_NOT_RUN, "");
	kvm_probe_decide(&o, &c);
	CHECK(!c.xsave.ok);
}

/* --smp: an AP that ran its real-mode start-up code, one the host could
 * not run (an internal error on CPU 1), one that never started, and no
 * KVM at all. */
static void test_smp(void)
{
	struct kvm_probe_obs o = loop_ok(0.0002, false);
	o.smp = ran(KVM_PROBE_EXPECTED, "");
	struct kvm_caps c;
	kvm_probe_decide(&o, &c);
	CHECK(c.smp.ok && strstr(c.smp.why, "INIT/SIPI") != NULL);
	o.smp = ran(KVM_PROBE_INTERNAL, "CPU 1: KVM internal error, suberror 1 (emulation failure) at rip 0x0");
	kvm_probe_decide(&o, &c);
	CHECK(!c.smp.ok && strstr(c.smp.why, "the host's KVM cannot run it: CPU 1: ") != NULL);
	o.smp = ran(KVM_PROBE_OTHER, "CPU 1 did not run its real-mode start-up code within 2 s of INIT/SIPI");
	kvm_probe_decide(&o, &c);
	CHECK(!c.smp.ok && strncmp(c.smp.why, "CPU 1 did not run", 17) == 0);
	memset(&o, 0, sizeof(o));
	kvm_probe_decide(&o, &c);
	CHECK(!c.smp.ok && strstr(c.smp.why, "not probed") != NULL);
}

int main(void)
{
	test_no_kvm();
	test_vm_opens_but_code_does_not_run();
	test_pvm_host();
	test_slow_cpl0_without_module();
	test_hardware_host();
	test_print_format();
	test_xsave_finding();
	test_smp();
	return unit_finish("test_kvm_probe");
}
