/*
 * kvm_probe.c - find out what this host's KVM can do by trying it.
 *
 * Each experiment is a tiny test image (testcases/FORMAT.md: the loader
 * builds GDT, TSS, IDT and the runtime stub around a few bytes of code)
 * run on the KVM backend with a short timeout, so that nothing here can
 * hang. kvm_probe_observe() records what happened; kvm_probe_decide()
 * turns that into findings and is pure, so its rules are unit-tested.
 */
#include "kvm_probe.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "loader/testimg.h"
#include "vm.h"

/* Seconds any one experiment may take (a CPL0 loop emulated by the host
 * runs ~1.6 M instructions/s; the loop below is 40k instructions). */
#define PROBE_TIMEOUT_S 2.0
#define LOOP_ITERATIONS 20000u
/* CPL0 instructions per second below which the host may be emulating
 * them: silicon (even nested under hardware SVM/VMX) runs this loop at
 * hundreds of millions per second, the kvm_pvm host at ~1.6 million. A
 * slow host is still a complete CPU (KVM nested in QEMU's TCG) when SSE
 * at CPL0 works, which the kvm_pvm host's partial emulator cannot do. */
#define NATIVE_MIN_IPS 20e6
#define PVM_MODULE "/sys/module/kvm_pvm"

/* A test image with a header: cpl, initial RFLAGS, then code at the entry. */
static size_t make_image(uint8_t *buf, unsigned cpl, uint64_t rflags, const uint8_t *code, size_t n)
{
	const size_t hdr = TESTIMG_FIXED_SIZE + TESTIMG_REG_SIZE;
	memset(buf, 0, hdr);
	memcpy(buf, TESTIMG_MAGIC, 4);
	uint16_t v16 = TESTIMG_VERSION;
	memcpy(buf + TESTIMG_OFF_VERSION, &v16, 2);
	v16 = (uint16_t)hdr;
	memcpy(buf + TESTIMG_OFF_HDR_SIZE, &v16, 2);
	buf[TESTIMG_OFF_MODE] = TESTIMG_MODE_64;
	buf[TESTIMG_OFF_CPL] = (uint8_t)cpl;
	buf[TESTIMG_OFF_NREGS] = 1;
	uint64_t load = LAYOUT_TEST_LOAD, entry = LAYOUT_TEST_LOAD + hdr;
	memcpy(buf + TESTIMG_OFF_LOAD, &load, 8);
	memcpy(buf + TESTIMG_OFF_ENTRY, &entry, 8);
	buf[TESTIMG_FIXED_SIZE] = TESTIMG_REG_RFLAGS;
	memcpy(buf + TESTIMG_FIXED_SIZE + 8, &rflags, 8);
	memcpy(buf + hdr, code, n);
	return hdr + n;
}

struct probe_vm {
	struct rax_vm vm;
	struct rax_cpu_state st;
	struct testimg_info info;
};

/* A VM with the image loaded and its state set; on failure r says why. */
static int probe_vm_open_smp(struct probe_vm *p, unsigned ncpus, unsigned cpl, uint64_t rflags, const uint8_t *code,
			     size_t n, struct kvm_probe_run *r)
{
	struct rax_err e = { 0 }, *err = &e;
	struct rax_config cfg = { .backend = RAX_BACKEND_KVM,
				  .mem_size = GUEST_MEM_MIN,
				  .console_in = -1,
				  .console_out = -1,
				  .timeout = PROBE_TIMEOUT_S,
				  .ncpus = ncpus };
	uint8_t img[256];
	size_t len = make_image(img, cpl, rflags | RFLAGS_FIXED1, code, n);
	if (vm_create(&p->vm, &cfg, err) == 0) {
		if (testimg_load_buf(&p->vm.mem, img, len, &p->st, &p->info, err) == 0 &&
		    vm_create_backend(&p->vm, err) == 0 && p->vm.ops->set_state(&p->vm, &p->st, err) == 0)
			return 0;
		vm_destroy(&p->vm);
	}
	r->end = KVM_PROBE_OTHER;
	snprintf(r->detail, sizeof(r->detail), "%.390s", e.msg);
	return -1;
}

static int probe_vm_open(struct probe_vm *p, unsigned cpl, uint64_t rflags, const uint8_t *code, size_t n,
			 struct kvm_probe_run *r)
{
	return probe_vm_open_smp(p, 1, cpl, rflags, code, n, r);
}

static const struct testimg_result *result_of(struct probe_vm *p)
{
	return guest_mem_ptr(&p->vm.mem, LAYOUT_TEST_RESULT, sizeof(struct testimg_result));
}

/* Point interrupt gate vec at a CPL0 target (same selector and IST). */
static void point_gate(struct probe_vm *p, unsigned vec, uint64_t target)
{
	uint8_t *g = guest_mem_ptr(&p->vm.mem, LAYOUT_TEST_IDT + vec * 16, 16);
	g[0] = (uint8_t)target;
	g[1] = (uint8_t)(target >> 8);
	g[6] = (uint8_t)(target >> 16);
	g[7] = (uint8_t)(target >> 24);
	memcpy(g + 8, (uint32_t[]){ (uint32_t)(target >> 32) }, 4);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run to the end; classify against the expected status. */
static void run_expect(struct probe_vm *p, int want, struct kvm_probe_run *out, double *seconds)
{
	struct rax_err err = { 0 };
	double t0 = now_s();
	int status = vm_run(&p->vm, &err);
	if (seconds)
		*seconds = now_s() - t0;
	if (status == want) {
		out->end = KVM_PROBE_EXPECTED;
		return;
	}
	out->end = status == RAX_STATUS_INTERNAL ? KVM_PROBE_INTERNAL : KVM_PROBE_OTHER;
	snprintf(out->detail, sizeof(out->detail), "%.390s", err.msg[0] ? err.msg : rax_status_name(status));
}

/* debug-exit with value 0 */
#define EXIT0_STATUS 1

static void observe_loop(struct kvm_probe_obs *o)
{
	const uint32_t n = LOOP_ITERATIONS;
	const uint8_t code[] = {
		0xb9,
		(uint8_t)n,
		(uint8_t)(n >> 8),
		(uint8_t)(n >> 16),
		(uint8_t)(n >> 24), /* mov ecx, n */
		0xff,
		0xc9, /* 1: dec ecx */
		0x75,
		0xfc, /* jnz 1b */
		0x31,
		0xc0, /* xor eax, eax */
		0xe6,
		PORT_DEBUG_EXIT, /* out 0xf4, al */
	};
	struct probe_vm p;
	struct kvm_probe_run r;
	if (probe_vm_open(&p, 0, 0, code, sizeof(code), &r) < 0) {
		snprintf(o->open_error, sizeof(o->open_error), "%.390s", r.detail);
		return;
	}
	o->opened = true;
	o->cpl0_loop_insns = 2ul * n + 3;
	run_expect(&p, EXIT0_STATUS, &o->cpl0_loop, &o->cpl0_loop_seconds);
	vm_destroy(&p.vm);
}

/*
 * KVM_GUESTDBG_SINGLESTEP over two nops at cpl: one exit per instruction.
 * Whatever goes wrong ends on its own: the code then reaches a debug-exit,
 * and so does a #DB or #UD the host delivers to the guest instead (their
 * gates are pointed at an `out` to the debug-exit port), so no step can
 * block in KVM_RUN.
 */
static void observe_singlestep(struct kvm_probe_run *r, unsigned cpl)
{
	static const uint8_t code[] = { 0x90, 0x90, 0x31, 0xc0, 0xcd, TESTIMG_VEC_EXIT, 0xe6, PORT_DEBUG_EXIT,
					0xeb, 0xfe };
	const unsigned cpl0_exit = 6; /* offset of the `out` above, run at CPL0 */
	struct probe_vm p;
	struct rax_err err = { 0 };
	if (probe_vm_open(&p, cpl, 0, code, sizeof(code), r) < 0)
		return;
	point_gate(&p, 1, p.st.rip + cpl0_exit);
	point_gate(&p, 6, p.st.rip + cpl0_exit);
	r->end = KVM_PROBE_EXPECTED;
	vm_watch_begin(&p.vm);
	for (unsigned i = 1; i <= 2 && r->end == KVM_PROBE_EXPECTED; i++) {
		struct rax_exit ex;
		struct rax_cpu_state s;
		memset(&ex, 0, sizeof(ex));
		if (p.vm.ops->step(&p.vm, &ex, &err) < 0) {
			r->end = KVM_PROBE_OTHER;
			snprintf(r->detail, sizeof(r->detail), "%.390s", err.msg);
		} else if (ex.kind == RAX_EXIT_INTERNAL) {
			r->end = KVM_PROBE_INTERNAL;
			snprintf(r->detail, sizeof(r->detail), "%.390s", ex.detail);
		} else if (ex.kind != RAX_EXIT_STEP || p.vm.ops->get_state(&p.vm, &s, &err) < 0 ||
			   s.rip != p.st.rip + i) {
			r->end = KVM_PROBE_OTHER;
			snprintf(r->detail, sizeof(r->detail), "CPL%u: step %u did not stop after one instruction%s",
				 cpl, i, ex.kind == RAX_EXIT_STOP ? " (the #DB reached the guest)" : "");
		}
	}
	vm_watch_end();
	vm_destroy(&p.vm);
}

/* TF set at CPL0: the #DB after the first nop goes through an IST gate to
 * the CPL0 runtime stub, which records it and halts (rax-diff's trap-flag
 * stepping relies on exactly this delivery). */
static void observe_trapflag(struct kvm_probe_obs *o)
{
	static const uint8_t code[] = { 0x90, 0x90, 0x31, 0xc0, 0xe6, PORT_DEBUG_EXIT };
	struct probe_vm p;
	struct kvm_probe_run *r = &o->trapflag;
	if (probe_vm_open(&p, 0, RFLAGS_TF, code, sizeof(code), r) < 0)
		return;
	run_expect(&p, RAX_STATUS_OK, r, NULL);
	const struct testimg_result *res = result_of(&p);
	if (r->end == KVM_PROBE_EXPECTED &&
	    (res->magic != TESTIMG_RESULT_EXCEPTION || res->vector != 1 || res->rip != p.st.rip + 1)) {
		r->end = KVM_PROBE_OTHER;
		snprintf(r->detail, sizeof(r->detail), "no #DB after one instruction (vector %llu at rip 0x%llx)",
			 (unsigned long long)res->vector, (unsigned long long)res->rip);
	}
	vm_destroy(&p.vm);
}

/* int 0x30 (the exit service, a DPL3 gate) from CPL3; the #UD gate is
 * pointed at the stub's halt so that an `int` the host turns into #UD
 * cannot be mistaken for a delivered one. */
static void observe_int_cpl3(struct kvm_probe_obs *o)
{
	static const uint8_t code[] = { 0x31, 0xc0, 0xcd, TESTIMG_VEC_EXIT };
	struct probe_vm p;
	struct kvm_probe_run *r = &o->int_cpl3;
	if (probe_vm_open(&p, 3, 0, code, sizeof(code), r) < 0)
		return;
	point_gate(&p, 6, LAYOUT_TEST_STUB + TESTIMG_STUB_HALT);
	run_expect(&p, EXIT0_STATUS, r, NULL);
	if (r->end == KVM_PROBE_OTHER && strcmp(r->detail, rax_status_name(RAX_STATUS_OK)) == 0)
		snprintf(r->detail, sizeof(r->detail), "int 0x30 at CPL3 arrives as #UD, not through its gate");
	vm_destroy(&p.vm);
}

/* ldmxcsr at CPL0 */
static void observe_sse(struct kvm_probe_obs *o)
{
	static const uint8_t code[] = {
		0x0f, 0xae,
		0x15, 0x04,
		0x00, 0x00,
		0x00,                  /* ldmxcsr [rip + 4] */
		0x31, 0xc0,            /* xor eax, eax */
		0xe6, PORT_DEBUG_EXIT, /* out 0xf4, al */
		0x80, 0x1f,
		0x00, 0x00, /* dd 0x1f80 */
	};
	struct probe_vm p;
	struct kvm_probe_run *r = &o->sse_cpl0;
	if (probe_vm_open(&p, 0, 0, code, sizeof(code), r) < 0)
		return;
	run_expect(&p, EXIT0_STATUS, r, NULL);
	vm_destroy(&p.vm);
}

/* addps from a misaligned address at CPL3: #GP(0) through its gate. (A
 * kvm_pvm host intercepts the #GP and tries to emulate the instruction:
 * plain moves then still fault right, arithmetic arrives as #UD.) */
static void observe_gp_cpl3(struct kvm_probe_obs *o)
{
	static const uint8_t code[] = { 0x0f, 0x58, 0x44, 0x24, 0xf8 }; /* addps xmm0, [rsp - 8] */
	struct probe_vm p;
	struct kvm_probe_run *r = &o->gp_cpl3;
	if (probe_vm_open(&p, 3, 0, code, sizeof(code), r) < 0)
		return;
	run_expect(&p, RAX_STATUS_OK, r, NULL);
	const struct testimg_result *res = result_of(&p);
	if (r->end == KVM_PROBE_EXPECTED && (res->magic != TESTIMG_RESULT_EXCEPTION || res->vector != 13)) {
		r->end = KVM_PROBE_OTHER;
		snprintf(r->detail, sizeof(r->detail), "a misaligned addps at CPL3 raised vector %llu, not #GP",
			 (unsigned long long)res->vector);
	}
	vm_destroy(&p.vm);
}

/* pushfq; pop rbx at CPL3 with IF=0, then the exit service (through #UD
 * where the host turns INT n into it): RBX must show IF=0. */
static void observe_pushf_cpl3(struct kvm_probe_obs *o)
{
	static const uint8_t code[] = { 0x9c, 0x5b, 0x31, 0xc0, 0xcd, TESTIMG_VEC_EXIT };
	struct probe_vm p;
	struct kvm_probe_run *r = &o->pushf_cpl3;
	if (probe_vm_open(&p, 3, 0, code, sizeof(code), r) < 0)
		return;
	run_expect(&p, EXIT0_STATUS, r, NULL);
	struct rax_cpu_state s;
	struct rax_err err = { 0 };
	if (r->end == KVM_PROBE_EXPECTED && p.vm.ops->get_state(&p.vm, &s, &err) == 0 &&
	    (s.gpr[RAX_REG_RBX] & RFLAGS_IF)) {
		r->end = KVM_PROBE_OTHER;
		snprintf(
			r->detail, sizeof(r->detail),
			"PUSHF at CPL3 pushed IF=1 with the guest's IF=0 (the host runs CPL3 code with interrupts on)");
	}
	vm_destroy(&p.vm);
}

/*
 * --smp: a second vCPU, started the way every guest starts its APs. The
 * BSP (CPL0, 64-bit) switches its local APIC to x2APIC mode (no MMIO
 * mapping needed) and sends INIT and two SIPIs to APIC ID 1; the AP
 * starts in real mode at the SIPI page and writes the debug-exit port.
 * The BSP spins meanwhile, so only the AP can end the run as expected; a
 * host that cannot run real-mode code on an AP (or refuses a second vCPU)
 * ends it otherwise and says how.
 */
#define SMP_SIPI_PAGE (LAYOUT_TEST_STUB + LAYOUT_TEST_STUB_MAX) /* free in the test layout */
#define SMP_EXIT_VALUE 0x2a
_Static_assert(SMP_SIPI_PAGE % 4096 == 0 && SMP_SIPI_PAGE < LAYOUT_TEST_PML4 && SMP_SIPI_PAGE < 0x100000,
	       "a free page below 1 MiB for the AP's real-mode code");

static void observe_smp(struct kvm_probe_obs *o)
{
	const uint8_t vec = (uint8_t)(SMP_SIPI_PAGE >> 12);
	const uint8_t code[] = {
		0xb9, 0x1b, 0x00, 0x00, 0x00, /* mov ecx, IA32_APIC_BASE */
		0x0f, 0x32,                   /* rdmsr */
		0x0d, 0x00, 0x0c, 0x00, 0x00, /* or eax, EN | EXTD (x2APIC) */
		0x0f, 0x30,                   /* wrmsr */
		0xb9, 0x30, 0x08, 0x00, 0x00, /* mov ecx, x2APIC ICR */
		0xba, 0x01, 0x00, 0x00, 0x00, /* mov edx, 1 (destination APIC ID) */
		0xb8, 0x00, 0x45, 0x00, 0x00, /* mov eax, INIT | assert */
		0x0f, 0x30,                   /* wrmsr */
		0xb8, vec,  0x46, 0x00, 0x00, /* mov eax, SIPI | assert | vector */
		0x0f, 0x30,                   /* wrmsr */
		0x0f, 0x30,                   /* wrmsr (the second SIPI) */
		0xf3, 0x90,                   /* 1: pause */
		0xeb, 0xfc,                   /* jmp 1b */
	};
	static const uint8_t ap_code[] = {
		0xb0, SMP_EXIT_VALUE,  /* mov al, SMP_EXIT_VALUE */
		0xe6, PORT_DEBUG_EXIT, /* out 0xf4, al */
		0xf4,                  /* 1: hlt */
		0xeb, 0xfd,            /* jmp 1b */
	};
	struct probe_vm p;
	struct kvm_probe_run *r = &o->smp;
	if (probe_vm_open_smp(&p, 2, 0, 0, code, sizeof(code), r) < 0)
		return;
	memcpy(guest_mem_ptr(&p.vm.mem, SMP_SIPI_PAGE, sizeof(ap_code)), ap_code, sizeof(ap_code));
	run_expect(&p, rax_debug_exit_status(SMP_EXIT_VALUE), r, NULL);
	if (r->end == KVM_PROBE_OTHER && strstr(r->detail, "timeout"))
		snprintf(r->detail, sizeof(r->detail),
			 "CPU 1 did not run its real-mode start-up code within %g s of INIT/SIPI", PROBE_TIMEOUT_S);
	vm_destroy(&p.vm);
}

/* XSETBV (XCR0 = x87 | SSE), then with SSE in use XSAVE, a VM exit, and
 * XRSTOR of what XSAVE wrote, every component requested, at CPL0: what
 * Linux does with a signal frame when CPUID offers XSAVE. (Under QEMU
 * 7.2's nested SVM the XRSTOR faults after the exit, not without one.) */
static void observe_xsave(struct kvm_probe_run *r)
{
	// clang-format off
	static const uint8_t code[] = {
		0x0f, 0x20, 0xe0,                   /* mov rax, cr4 */
		0x0f, 0xba, 0xe8, 0x12,             /* bts eax, 18: OSXSAVE */
		0x0f, 0x22, 0xe0,                   /* mov cr4, rax */
		0x31, 0xc9,                         /* xor ecx, ecx */
		0x31, 0xd2,                         /* xor edx, edx */
		0xb8, 0x03, 0x00, 0x00, 0x00,       /* mov eax, 3 */
		0x0f, 0x01, 0xd1,                   /* xsetbv: XCR0 = x87 | SSE */
		0x48, 0x83, 0xe4, 0xc0,             /* and rsp, -64 */
		0x48, 0x81, 0xec, 0x00, 0x04, 0x00, 0x00, /* sub rsp, 1024 */
		0x31, 0xc0,                         /* xor eax, eax */
		0xb9, 0x08, 0x00, 0x00, 0x00,       /* mov ecx, 8 */
		0x48, 0x89, 0x84, 0xcc, 0xf8, 0x01, 0x00, 0x00, /* mov [rsp + 8 * rcx + 504], rax */
		0xe2, 0xf6,                         /* loop: the XSAVE header zeroed */
		0x66, 0x0f, 0x76, 0xc0,             /* pcmpeqd xmm0, xmm0: SSE in use */
		0xb8, 0xff, 0xff, 0xff, 0xff,       /* mov eax, -1 */
		0x89, 0xc2,                         /* mov edx, eax: every component */
		0x0f, 0xae, 0x24, 0x24,             /* xsave [rsp] */
		0xe6, PORT_POST,                    /* out 0x80, al: a VM exit in between */
		0x0f, 0xae, 0x2c, 0x24,             /* xrstor [rsp] */
		0x31, 0xc0,                         /* xor eax, eax */
		0xe6, PORT_DEBUG_EXIT,              /* out 0xf4, al */
	};
	// clang-format on
	struct probe_vm p;
	if (probe_vm_open(&p, 0, 0, code, sizeof(code), r) < 0)
		return;
	run_expect(&p, EXIT0_STATUS, r, NULL);
	vm_destroy(&p.vm);
}

void kvm_probe_observe(struct kvm_probe_obs *o, struct kvm_caps *so_far)
{
	memset(o, 0, sizeof(*o));
	o->pvm_module = access(PVM_MODULE, F_OK) == 0;
	observe_loop(o);
	kvm_probe_decide(o, so_far);
	if (!o->opened || o->cpl0_loop.end != KVM_PROBE_EXPECTED)
		return;
	observe_singlestep(&o->singlestep, 0);
	observe_singlestep(&o->singlestep_cpl3, 3);
	observe_trapflag(o);
	observe_int_cpl3(o);
	observe_sse(o);
	observe_gp_cpl3(o);
	observe_pushf_cpl3(o);
	observe_smp(o);
	observe_xsave(&o->xsave);
}

static void finding(struct kvm_finding *f, bool ok, const char *fmt, const char *detail)
{
	f->ok = ok;
	snprintf(f->why, sizeof(f->why), fmt, detail);
}

static void from_run(struct kvm_finding *f, const struct kvm_probe_run *r, const char *yes)
{
	switch (r->end) {
	case KVM_PROBE_EXPECTED: finding(f, true, "%s", yes); break;
	case KVM_PROBE_NOT_RUN: finding(f, false, "%s", "not probed: KVM is not usable"); break;
	case KVM_PROBE_INTERNAL: finding(f, false, "the host's KVM cannot run it: %s", r->detail); break;
	case KVM_PROBE_OTHER: finding(f, false, "%s", r->detail); break;
	}
}

/*
 * Whether the guest is offered XSAVE: the experiment must run, and CPL0
 * code must run on silicon. A software CPU under the guest gets XSAVE
 * state wrong where the experiment cannot see it: a kvm_pvm host cannot
 * emulate XSAVE/XRSTOR at CPL0 at all, and under QEMU 7.2's nested SVM
 * (ci/kvm-in-qemu.sh) the experiment passes but Linux's XRSTOR of a signal
 * frame faults and kills init (measured: "bad frame in rt_sigreturn").
 */
static void decide_xsave(const struct kvm_probe_obs *o, double cpl0_ips, struct kvm_finding *f)
{
	char why[160];
	from_run(f, &o->xsave, "XSETBV, XSAVE and XRSTOR run at CPL0: the guest is offered XSAVE");
	if (!f->ok)
		return;
	if (o->pvm_module || cpl0_ips < NATIVE_MIN_IPS) {
		snprintf(why, sizeof(why),
			 "CPL0 code runs on a software CPU (%.1f M instructions/s), whose XSAVE "
			 "state Linux cannot rely on: XSAVE is hidden from the guest",
			 cpl0_ips / 1e6);
		finding(f, false, "%s", why);
	}
}

void kvm_probe_decide(const struct kvm_probe_obs *o, struct kvm_caps *c)
{
	memset(c, 0, sizeof(*c));
	if (!o->opened) {
		finding(&c->usable, false, "%s", o->open_error[0] ? o->open_error : "no KVM");
	} else if (o->cpl0_loop.end != KVM_PROBE_EXPECTED) {
		finding(&c->usable, false, "a VM opens but its first CPL0 code does not run: %.380s",
			o->cpl0_loop.detail);
	} else {
		finding(&c->usable, true, "%s", "a VM runs CPL0 code");
	}
	if (o->opened && o->cpl0_loop.end == KVM_PROBE_EXPECTED && o->cpl0_loop_seconds > 0)
		c->cpl0_ips = (double)o->cpl0_loop_insns / o->cpl0_loop_seconds;
	char ips[96];
	snprintf(ips, sizeof(ips), "%.1f M CPL0 instructions/s", c->cpl0_ips / 1e6);
	if (!c->usable.ok)
		finding(&c->cpl0_native, false, "%s", "not probed: KVM is not usable");
	else if (o->pvm_module)
		finding(&c->cpl0_native, false, "emulated by the host: the kvm_pvm module is loaded (%s)", ips);
	else if (c->cpl0_ips >= NATIVE_MIN_IPS)
		finding(&c->cpl0_native, true, "runs on the CPU (%s)", ips);
	else if (o->sse_cpl0.end == KVM_PROBE_EXPECTED)
		finding(&c->cpl0_native, true,
			"runs on a complete CPU model, slowly (%s: nested or software virtualization)", ips);
	else
		finding(&c->cpl0_native, false, "emulated by the host: only %s, and ldmxcsr at CPL0 fails", ips);
	from_run(&c->singlestep, &o->singlestep, "KVM_GUESTDBG_SINGLESTEP steps one CPL0 instruction");
	from_run(&c->singlestep_cpl3, &o->singlestep_cpl3, "KVM_GUESTDBG_SINGLESTEP steps one CPL3 instruction");
	from_run(&c->trapflag, &o->trapflag, "TF raises #DB through an IST gate to CPL0 code after one instruction");
	from_run(&c->int_cpl3, &o->int_cpl3, "int 0x30 at CPL3 reaches its DPL3 gate");
	from_run(&c->sse_cpl0, &o->sse_cpl0, "ldmxcsr at CPL0 runs");
	from_run(&c->gp_cpl3, &o->gp_cpl3, "a misaligned addps at CPL3 raises #GP in the guest");
	from_run(&c->pushf_cpl3, &o->pushf_cpl3, "PUSHF at CPL3 pushes the guest's IF");
	from_run(&c->smp, &o->smp, "INIT/SIPI from CPU 0 starts CPU 1 in real mode");
	decide_xsave(o, c->cpl0_ips, &c->xsave);
	if (!c->usable.ok)
		finding(&c->linux_boot, false, "%s", "not probed: KVM is not usable");
	else if (!c->cpl0_native.ok)
		finding(&c->linux_boot, false, "%s",
			"CPL0 code is emulated by the host, which stops on instructions Linux needs "
			"(ldmxcsr, lock cmpxchg16b, ...): use --backend emulator");
	else if (!c->sse_cpl0.ok)
		finding(&c->linux_boot, false, "%s", "SSE does not run at CPL0");
	else
		finding(&c->linux_boot, true, "%s", "CPL0 code runs on the CPU");
}

static struct kvm_caps caps;
static enum { FRESH, PROBING, DONE } state;

const struct kvm_caps *kvm_probe(void)
{
	/* The KVM backend asks for the findings when it describes an internal
	 * error, as it does during the probe's own experiments: those get the
	 * findings so far (the CPL0 one is decided first). */
	if (state != FRESH)
		return &caps;
	state = PROBING;
	struct kvm_probe_obs obs;
	kvm_probe_observe(&obs, &caps);
	kvm_probe_decide(&obs, &caps);
	state = DONE;
	return &caps;
}

bool kvm_probe_xsave_ok(void)
{
	static enum { UNKNOWN, TRYING, YES, NO } xs;
	if (state == DONE)
		return caps.xsave.ok;
	if (state == PROBING)
		return true; /* the probe's VMs: its xsave experiment needs it */
	if (xs == UNKNOWN) {
		/* the two experiments the decision needs, not the whole probe */
		struct kvm_probe_obs o;
		memset(&o, 0, sizeof(o));
		xs = TRYING;
		o.pvm_module = access(PVM_MODULE, F_OK) == 0;
		observe_loop(&o);
		observe_xsave(&o.xsave);
		double ips = o.cpl0_loop.end == KVM_PROBE_EXPECTED && o.cpl0_loop_seconds > 0
			? (double)o.cpl0_loop_insns / o.cpl0_loop_seconds
			: 0;
		struct kvm_finding f;
		decide_xsave(&o, ips, &f);
		xs = f.ok ? YES : NO;
	}
	return xs != NO; /* (TRYING: the experiment's own VM) */
}

bool kvm_probe_cpl0_emulated_now(void)
{
	if (state == DONE)
		return !caps.cpl0_native.ok;
	return access(PVM_MODULE, F_OK) == 0;
}

void kvm_caps_print(FILE *f, const struct kvm_caps *c)
{
	const struct {
		const char *name;
		const struct kvm_finding *f;
	} rows[] = {
		{ "usable", &c->usable },         { "cpl0-native", &c->cpl0_native },
		{ "singlestep", &c->singlestep }, { "singlestep-cpl3", &c->singlestep_cpl3 },
		{ "trapflag", &c->trapflag },     { "int-cpl3", &c->int_cpl3 },
		{ "sse-cpl0", &c->sse_cpl0 },     { "gp-cpl3", &c->gp_cpl3 },
		{ "pushf-cpl3", &c->pushf_cpl3 }, { "smp", &c->smp },
		{ "xsave", &c->xsave },           { "linux-boot", &c->linux_boot },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(f, "%s: %s (%s)\n", rows[i].name, rows[i].f->ok ? "yes" : "no", rows[i].f->why);
}
