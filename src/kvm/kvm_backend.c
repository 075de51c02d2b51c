/*
 * kvm_backend.c - the KVM CPU backend.
 *
 * The guest runs on the real CPU through /dev/kvm. We use KVM's in-kernel
 * 8259 PIC pair, local APIC and 8254 PIT (KVM_CREATE_IRQCHIP/PIT2): that is
 * the simplest correct interrupt path for a Linux guest under KVM, and it
 * keeps HLT inside the kernel. Port I/O and MMIO exits go to the shared
 * bus. Since a halted vCPU never exits, the VM's periodic tick kicks
 * KVM_RUN (immediate_exit) so we can see "halted with IF=0" (power-off).
 * What each exit means is decided in kvm_exit.c; this file answers its
 * questions about the vCPU. KVM's own structures never leave src/kvm/:
 * state crosses the backend boundary only as struct rax_cpu_state.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "cpuid_model.h"
#include "emu/decode.h"
#include "kvm/kvm_exit.h"
#include "kvm_probe.h"
#include "layout.h"
#include "vm.h"

/* Addresses KVM needs for its own use on Intel hosts (above our RAM). */
#define KVM_TSS_ADDR 0xfffbd000ull
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull
/* Local APIC register offsets and LVT delivery modes */
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x400
#define APIC_MODE_EXTINT 0x700

struct kvm_ctx {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	int singlestep_on;
	struct timespec t0; /* creation time: the origin of vm_now_ns() */
};

static struct kvm_ctx *ctx_of(struct rax_vm *vm) { return vm->backend; }

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR && req != KVM_RUN);
	return r;
}

static int kvm_fail(struct rax_err *err, const char *what)
{
	return rax_errf(err, RAX_STATUS_HOST, "KVM: %s failed: %s", what, strerror(errno));
}

static int kvm_set_cpuid(struct kvm_ctx *k, unsigned level, struct rax_err *err)
{
	unsigned n;
	const struct cpuid_leaf *leaves = cpuid_model_leaves_level(level ? level : RAX_CPU_LEVEL_DEFAULT, &n);
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
	if (!c)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	c->nent = n;
	for (unsigned i = 0; i < n; i++) {
		c->entries[i] = (struct kvm_cpuid_entry2){
			.function = leaves[i].function,
			.index = leaves[i].index,
			.eax = leaves[i].eax,
			.ebx = leaves[i].ebx,
			.ecx = leaves[i].ecx,
			.edx = leaves[i].edx,
		};
	}
	int r = xioctl(k->vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? kvm_fail(err, "KVM_SET_CPUID2") : 0;
}

/* Route the in-kernel PIC to the CPU: LINT0 as ExtINT, LINT1 as NMI. */
static int kvm_setup_lapic(struct kvm_ctx *k, struct rax_err *err)
{
	struct kvm_lapic_state l;
	if (xioctl(k->vcpu_fd, KVM_GET_LAPIC, &l) < 0)
		return kvm_fail(err, "KVM_GET_LAPIC");
	uint32_t v0 = APIC_MODE_EXTINT, v1 = APIC_MODE_NMI;
	memcpy(l.regs + APIC_LVT0, &v0, 4);
	memcpy(l.regs + APIC_LVT1, &v1, 4);
	if (xioctl(k->vcpu_fd, KVM_SET_LAPIC, &l) < 0)
		return kvm_fail(err, "KVM_SET_LAPIC");
	return 0;
}

/*
 * Interrupt lines to the in-kernel chips as the MADT describes them
 * (src/loader/acpi.c): line n (KVM_IRQ_LINE n, the in-kernel PIT on line 0)
 * drives 8259 input n and I/O APIC pin n, except that the PIT's line 0
 * reaches the I/O APIC on pin 2 (the interrupt source override IRQ 0 ->
 * GSI 2). Line 2 has no route: the master 8259's input 2 is the cascade
 * and I/O APIC pin 2 belongs to line 0. Lines 16-23 reach the I/O APIC only.
 * (KVM's default routing puts line 0 on pin 0, where a guest that read the
 * MADT never looks for the timer; an EOI on pin 2 must also map back to
 * line 0 for the PIT's interrupt acknowledgement.)
 */
#define KVM_IOAPIC_PINS 24

static int kvm_setup_irq_routing(struct kvm_ctx *k, struct rax_err *err)
{
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + 2 * KVM_IOAPIC_PINS * sizeof(r->entries[0]));
	if (!r)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	unsigned n = 0;
	for (unsigned line = 0; line < KVM_IOAPIC_PINS; line++) {
		if (line == IRQ_CASCADE)
			continue;
		if (line < 16)
			r->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = line,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = line < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					       .pin = line % 8 },
			};
		r->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = line,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = line == IRQ_PIT ? GSI_PIT : line },
		};
	}
	r->nr = n;
	int rc = xioctl(k->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	return rc < 0 ? kvm_fail(err, "KVM_SET_GSI_ROUTING") : 0;
}

static void kvm_destroy(struct rax_vm *vm)
{
	struct kvm_ctx *k = ctx_of(vm);
	if (!k)
		return;
	if (k->run) {
		if (vm->kick == &k->run->immediate_exit)
			vm->kick = NULL;
		munmap(k->run, k->run_size);
	}
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	free(k);
	vm->backend = NULL;
}

/* The KVM device; RAX_KVM_DEVICE overrides it (tests use this). */
static const char *kvm_device_path(void)
{
	const char *p = getenv("RAX_KVM_DEVICE");
	return p && *p ? p : "/dev/kvm";
}

static int kvm_create(struct rax_vm *vm, struct rax_err *err)
{
	const char *path = kvm_device_path();
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
			return rax_errf(err, RAX_STATUS_HOST,
					"%s is not available (%s): this host has no usable KVM; use --backend emulator",
					path, strerror(errno));
		return rax_errf(err, RAX_STATUS_HOST,
				"cannot open %s: %s (check permissions or the kvm group); or use --backend emulator",
				path, strerror(errno));
	}
	struct kvm_ctx *k = calloc(1, sizeof(*k));
	if (!k) {
		close(fd);
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	}
	k->kvm_fd = fd;
	k->vm_fd = k->vcpu_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &k->t0);
	vm->backend = k;

	errno = EINVAL;
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		rax_errf(err, RAX_STATUS_HOST,
			 "%s is not a usable KVM device (KVM_GET_API_VERSION: %s); use --backend emulator", path,
			 strerror(errno));
		goto fail;
	}
	do
		k->vm_fd = ioctl(fd, KVM_CREATE_VM, 0);
	while (k->vm_fd < 0 && errno == EINTR);
	if (k->vm_fd < 0) {
		kvm_fail(err, "KVM_CREATE_VM");
		goto fail;
	}
	/* Intel needs these two pages reserved; harmless on AMD. */
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0 && errno != EINVAL) {
		kvm_fail(err, "KVM_SET_TSS_ADDR");
		goto fail;
	}
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t a = KVM_IDENTITY_MAP_ADDR;
		xioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &a);
	}
	if (xioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		kvm_fail(err, "KVM_CREATE_IRQCHIP");
		goto fail;
	}
	if (kvm_setup_irq_routing(k, err) < 0)
		goto fail;
	struct kvm_pit_config pit = {
		.flags = 0
	}; /* in-kernel port 0x61 too: Linux calibrates the TSC with PIT channel 2 */
	if (xioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		kvm_fail(err, "KVM_CREATE_PIT2");
		goto fail;
	}
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem.size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem.host,
	};
	if (xioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		kvm_fail(err, "KVM_SET_USER_MEMORY_REGION");
		goto fail;
	}
	k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
	if (k->vcpu_fd < 0) {
		kvm_fail(err, "KVM_CREATE_VCPU");
		goto fail;
	}
	int sz = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0) {
		kvm_fail(err, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	k->run_size = (size_t)sz;
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		kvm_fail(err, "mmap of the vCPU run area");
		goto fail;
	}
	if (kvm_set_cpuid(k, vm->cfg.cpu_level, err) < 0 || kvm_setup_lapic(k, err) < 0)
		goto fail;
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) <= 0) {
		rax_errf(err, RAX_STATUS_HOST, "%s lacks KVM_CAP_XSAVE (Linux 2.6.36+); use --backend emulator", path);
		goto fail;
	}
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0)
		vm->kick = &k->run->immediate_exit;
	return 0;
fail:
	kvm_destroy(vm);
	return -1;
}

/* ---- state conversion ---- */

static void seg_to_kvm(const struct rax_segment *s, struct kvm_segment *k)
{
	*k = (struct kvm_segment){
		.base = s->base,
		.limit = s->limit,
		.selector = s->selector,
		.type = s->type,
		.present = s->present,
		.dpl = s->dpl,
		.db = s->db,
		.s = s->s,
		.l = s->l,
		.g = s->g,
		.avl = s->avl,
		.unusable = s->unusable,
	};
}

static void seg_from_kvm(const struct kvm_segment *k, struct rax_segment *s)
{
	*s = (struct rax_segment){
		.base = k->base,
		.limit = k->limit,
		.selector = k->selector,
		.type = k->type,
		.present = k->present,
		.dpl = k->dpl,
		.db = k->db,
		.s = k->s,
		.l = k->l,
		.g = k->g,
		.avl = k->avl,
		.unusable = k->unusable,
	};
}

static struct kvm_segment *sreg_slot(struct kvm_sregs *sr, int i)
{
	struct kvm_segment *map[RAX_NSEG] = { &sr->es, &sr->cs, &sr->ss, &sr->ds, &sr->fs, &sr->gs };
	return map[i];
}

static const uint32_t state_msrs[] = {
	MSR_STAR,
	MSR_LSTAR,
	MSR_CSTAR,
	MSR_SFMASK,
	MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP,
	MSR_IA32_PAT,
};
#define N_STATE_MSRS (sizeof(state_msrs) / sizeof(state_msrs[0]))

static uint64_t *msr_field(struct rax_cpu_state *s, uint32_t index)
{
	switch (index) {
	case MSR_STAR: return &s->star;
	case MSR_LSTAR: return &s->lstar;
	case MSR_CSTAR: return &s->cstar;
	case MSR_SFMASK: return &s->sfmask;
	case MSR_KERNEL_GS_BASE: return &s->kernel_gs_base;
	case MSR_IA32_SYSENTER_CS: return &s->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP: return &s->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP: return &s->sysenter_eip;
	case MSR_IA32_PAT: return &s->pat;
	default: return NULL;
	}
}

/* struct kvm_msrs ends in a flexible array: give it room in a union. */
union msr_buf {
	struct kvm_msrs hdr;
	char room[sizeof(struct kvm_msrs) + N_STATE_MSRS * sizeof(struct kvm_msr_entry)];
};

/*
 * x87/SSE state goes through the vCPU's XSAVE image (KVM_GET/SET_XSAVE) so
 * that no guest instruction is needed to make it take effect: KVM_SET_FPU
 * writes the image's legacy area but leaves XSTATE_BV alone, and while the
 * guest has not used x87 or SSE yet, their bits are clear there and the
 * next XRSTOR loads the initial state instead of ours. Setting the bits
 * here replaces the LDMXCSR a guest would otherwise have to run first
 * (which hosts that emulate CPL0 code cannot execute). KVM_CAP_XSAVE is in
 * every KVM since Linux 2.6.36; kvm_create() requires it.
 * Legacy area layout: FXSAVE's (SDM Vol. 1, 10.5.1); XSTATE_BV at 512.
 */
#define XS_FCW 0
#define XS_FSW 2
#define XS_FTW 4
#define XS_FOP 6
#define XS_FIP 8
#define XS_FDP 16
#define XS_MXCSR 24
#define XS_ST 32
#define XS_XMM 160
#define XS_XSTATE_BV 512
#define XFEATURE_X87_SSE 0x3ull

static void fpu_to_xsave(const struct rax_fpu_state *f, uint8_t *a)
{
	memcpy(a + XS_FCW, &f->fcw, 2);
	memcpy(a + XS_FSW, &f->fsw, 2);
	a[XS_FTW] = f->ftw;
	memcpy(a + XS_FOP, &f->fop, 2);
	memcpy(a + XS_FIP, &f->fip, 8);
	memcpy(a + XS_FDP, &f->fdp, 8);
	memcpy(a + XS_MXCSR, &f->mxcsr, 4);
	memcpy(a + XS_ST, f->st, sizeof(f->st));
	memcpy(a + XS_XMM, f->xmm, sizeof(f->xmm));
	uint64_t bv;
	memcpy(&bv, a + XS_XSTATE_BV, 8);
	bv |= XFEATURE_X87_SSE;
	memcpy(a + XS_XSTATE_BV, &bv, 8);
}

/* Components whose XSTATE_BV bit is clear are in their initial state. */
static void fpu_from_xsave(const uint8_t *a, struct rax_fpu_state *f)
{
	uint64_t bv;
	memcpy(&bv, a + XS_XSTATE_BV, 8);
	memset(f, 0, sizeof(*f));
	memcpy(&f->mxcsr, a + XS_MXCSR, 4);
	if (bv & 1) {
		memcpy(&f->fcw, a + XS_FCW, 2);
		memcpy(&f->fsw, a + XS_FSW, 2);
		f->ftw = a[XS_FTW];
		memcpy(&f->fop, a + XS_FOP, 2);
		memcpy(&f->fip, a + XS_FIP, 8);
		memcpy(&f->fdp, a + XS_FDP, 8);
		memcpy(f->st, a + XS_ST, sizeof(f->st));
	} else {
		f->fcw = 0x37f;
	}
	if (bv & 2)
		memcpy(f->xmm, a + XS_XMM, sizeof(f->xmm));
}

static int fpu_set(struct kvm_ctx *k, const struct rax_fpu_state *s, struct rax_err *err)
{
	struct kvm_xsave x;
	if (xioctl(k->vcpu_fd, KVM_GET_XSAVE, &x) < 0)
		return kvm_fail(err, "KVM_GET_XSAVE");
	fpu_to_xsave(s, (uint8_t *)x.region);
	return xioctl(k->vcpu_fd, KVM_SET_XSAVE, &x) < 0 ? kvm_fail(err, "KVM_SET_XSAVE") : 0;
}

static int fpu_get(struct kvm_ctx *k, struct rax_fpu_state *s, struct rax_err *err)
{
	struct kvm_xsave x;
	if (xioctl(k->vcpu_fd, KVM_GET_XSAVE, &x) < 0)
		return kvm_fail(err, "KVM_GET_XSAVE");
	fpu_from_xsave((const uint8_t *)x.region, s);
	return 0;
}

static int kvm_set_state(struct rax_vm *vm, const struct rax_cpu_state *s, struct rax_err *err)
{
	struct kvm_ctx *k = ctx_of(vm);
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	__u64 *g[RAX_NGPR] = { &r.rax, &r.rcx, &r.rdx, &r.rbx, &r.rsp, &r.rbp, &r.rsi, &r.rdi,
			       &r.r8,  &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15 };
	for (int i = 0; i < RAX_NGPR; i++)
		*g[i] = s->gpr[i];
	r.rip = s->rip;
	r.rflags = s->rflags;

	struct kvm_sregs sr;
	if (xioctl(k->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
		return kvm_fail(err, "KVM_GET_SREGS");
	for (int i = 0; i < RAX_NSEG; i++)
		seg_to_kvm(&s->seg[i], sreg_slot(&sr, i));
	seg_to_kvm(&s->tr, &sr.tr);
	seg_to_kvm(&s->ldtr, &sr.ldt);
	sr.gdt = (struct kvm_dtable){ .base = s->gdt.base, .limit = s->gdt.limit };
	sr.idt = (struct kvm_dtable){ .base = s->idt.base, .limit = s->idt.limit };
	sr.cr0 = s->cr0;
	sr.cr2 = s->cr2;
	sr.cr3 = s->cr3;
	sr.cr4 = s->cr4;
	sr.cr8 = s->cr8;
	sr.efer = s->efer;
	if (xioctl(k->vcpu_fd, KVM_SET_SREGS, &sr) < 0)
		return kvm_fail(err, "KVM_SET_SREGS");
	if (xioctl(k->vcpu_fd, KVM_SET_REGS, &r) < 0)
		return kvm_fail(err, "KVM_SET_REGS");

	union msr_buf mb;
	memset(&mb, 0, sizeof(mb));
	mb.hdr.nmsrs = N_STATE_MSRS;
	struct rax_cpu_state tmp = *s;
	for (unsigned i = 0; i < N_STATE_MSRS; i++) {
		mb.hdr.entries[i].index = state_msrs[i];
		mb.hdr.entries[i].data = *msr_field(&tmp, state_msrs[i]);
	}
	if (ioctl(k->vcpu_fd, KVM_SET_MSRS, &mb) < 0)
		return kvm_fail(err, "KVM_SET_MSRS");

	if (fpu_set(k, &s->fpu, err) < 0)
		return -1;

	struct kvm_debugregs d;
	memset(&d, 0, sizeof(d));
	memcpy(d.db, s->dr, sizeof(d.db));
	d.dr6 = s->dr6;
	d.dr7 = s->dr7;
	if (xioctl(k->vcpu_fd, KVM_SET_DEBUGREGS, &d) < 0)
		return kvm_fail(err, "KVM_SET_DEBUGREGS");
	return 0;
}

static int kvm_get_state(struct rax_vm *vm, struct rax_cpu_state *s, struct rax_err *err)
{
	struct kvm_ctx *k = ctx_of(vm);
	struct kvm_regs r;
	struct kvm_sregs sr;
	if (xioctl(k->vcpu_fd, KVM_GET_REGS, &r) < 0)
		return kvm_fail(err, "KVM_GET_REGS");
	if (xioctl(k->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
		return kvm_fail(err, "KVM_GET_SREGS");
	memset(s, 0, sizeof(*s));
	const uint64_t g[RAX_NGPR] = { r.rax, r.rcx, r.rdx, r.rbx, r.rsp, r.rbp, r.rsi, r.rdi,
				       r.r8,  r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 };
	memcpy(s->gpr, g, sizeof(g));
	s->rip = r.rip;
	s->rflags = r.rflags;
	for (int i = 0; i < RAX_NSEG; i++)
		seg_from_kvm(sreg_slot(&sr, i), &s->seg[i]);
	seg_from_kvm(&sr.tr, &s->tr);
	seg_from_kvm(&sr.ldt, &s->ldtr);
	s->gdt = (struct rax_dtable){ .base = sr.gdt.base, .limit = sr.gdt.limit };
	s->idt = (struct rax_dtable){ .base = sr.idt.base, .limit = sr.idt.limit };
	s->cr0 = sr.cr0;
	s->cr2 = sr.cr2;
	s->cr3 = sr.cr3;
	s->cr4 = sr.cr4;
	s->cr8 = sr.cr8;
	s->efer = sr.efer;
	s->apic_base = sr.apic_base;

	union msr_buf mb;
	memset(&mb, 0, sizeof(mb));
	mb.hdr.nmsrs = N_STATE_MSRS;
	for (unsigned i = 0; i < N_STATE_MSRS; i++)
		mb.hdr.entries[i].index = state_msrs[i];
	int n = ioctl(k->vcpu_fd, KVM_GET_MSRS, &mb);
	if (n < 0)
		return kvm_fail(err, "KVM_GET_MSRS");
	for (int i = 0; i < n; i++)
		*msr_field(s, mb.hdr.entries[i].index) = mb.hdr.entries[i].data;

	if (fpu_get(k, &s->fpu, err) < 0)
		return -1;

	struct kvm_debugregs d;
	if (xioctl(k->vcpu_fd, KVM_GET_DEBUGREGS, &d) < 0)
		return kvm_fail(err, "KVM_GET_DEBUGREGS");
	memcpy(s->dr, d.db, sizeof(s->dr));
	s->dr6 = d.dr6;
	s->dr7 = d.dr7;
	s->xcr0 = 1;
	return 0;
}

static int kvm_translate(struct rax_vm *vm, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = gva };
	if (xioctl(ctx_of(vm)->vcpu_fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return -1;
	*gpa = t.physical_address;
	return 0;
}

static void kvm_set_irq(struct rax_vm *vm, unsigned irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)level };
	xioctl(ctx_of(vm)->vm_fd, KVM_IRQ_LINE, &l);
}

static uint64_t kvm_now_ns(struct rax_vm *vm)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	const struct timespec *t0 = &ctx_of(vm)->t0;
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000000000ull + (uint64_t)t.tv_nsec - (uint64_t)t0->tv_nsec;
}

/* struct kvm_exit_vcpu.where: registers and the code at RIP, read through
 * the guest's page tables a page at a time (an instruction may straddle). */
static int vcpu_where(void *opaque, struct kvm_exit_where *w)
{
	struct rax_vm *vm = opaque;
	struct kvm_ctx *k = ctx_of(vm);
	struct kvm_regs r;
	struct kvm_sregs sr;
	if (xioctl(k->vcpu_fd, KVM_GET_REGS, &r) < 0 || xioctl(k->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
		return -1;
	bool pe = sr.cr0 & CR0_PE, v86 = r.rflags & RFLAGS_VM;
	bool mode64 = (sr.efer & EFER_LMA) && sr.cs.l;
	w->rip = r.rip;
	w->cpl = !pe ? 0 : v86 ? 3 : sr.cs.selector & 3;
	/* real and virtual-8086 code decodes as 16-bit code */
	w->mode = mode64 ? EMU_MODE_64 : pe && !v86 && sr.cs.db ? EMU_MODE_32 : EMU_MODE_16;
	uint64_t lin = mode64 ? r.rip : (uint32_t)(sr.cs.base + r.rip);
	uint64_t gpa = 0;
	w->nbytes = 0;
	for (unsigned i = 0; i < sizeof(w->bytes); i++) {
		if ((i == 0 || ((lin + i) & 0xfff) == 0) && kvm_translate(vm, lin + i, &gpa) < 0)
			break;
		if (guest_mem_read(&vm->mem, gpa, &w->bytes[i], 1) < 0)
			break;
		w->nbytes++;
		gpa++;
	}
	return 0;
}

/* True when the vCPU sits in HLT with interrupts disabled: a power-off. */
static bool halted_for_good(void *opaque)
{
	struct kvm_ctx *k = ctx_of(opaque);
	struct kvm_mp_state mp;
	struct kvm_regs r;
	if (xioctl(k->vcpu_fd, KVM_GET_MP_STATE, &mp) < 0 || mp.mp_state != KVM_MP_STATE_HALTED)
		return false;
	return xioctl(k->vcpu_fd, KVM_GET_REGS, &r) == 0 && !(r.rflags & RFLAGS_IF);
}

/* Only asked after an internal error at CPL0: the probe runs at most once. */
static bool cpl0_emulated(void *opaque) { return !kvm_probe()->cpl0_native.ok; }

/* Run until an exit the VM must see; `want_debug` ends on KVM_EXIT_DEBUG. */
static int kvm_loop(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err, bool want_debug)
{
	struct kvm_ctx *k = ctx_of(vm);
	struct kvm_run *run = k->run;
	const struct kvm_exit_vcpu vcpu = {
		.opaque = vm,
		.where = vcpu_where,
		.halted_for_good = halted_for_good,
		.cpl0_emulated = cpl0_emulated,
		.want_debug = want_debug,
	};
	for (;;) {
		if (vm->stop) {
			ex->kind = RAX_EXIT_STOP;
			return 0;
		}
		int r = ioctl(k->vcpu_fd, KVM_RUN, 0);
		if (r < 0) {
			if (errno != EINTR && errno != EAGAIN)
				return kvm_fail(err, "KVM_RUN");
			run->immediate_exit = 0;
			if (vm->tick) {
				vm->tick = 0;
				if (halted_for_good(vm)) {
					ex->kind = RAX_EXIT_HLT;
					return 0;
				}
			}
			continue;
		}
		if (kvm_exit_handle(vm, run, &vcpu, ex) == KVM_EXIT_NEXT_RETURN)
			return 0;
	}
}

static int kvm_singlestep(struct kvm_ctx *k, bool on, struct rax_err *err)
{
	if (k->singlestep_on == on)
		return 0;
	struct kvm_guest_debug dbg;
	memset(&dbg, 0, sizeof(dbg));
	if (on)
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	if (xioctl(k->vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return kvm_fail(err, "KVM_SET_GUEST_DEBUG");
	k->singlestep_on = on;
	return 0;
}

static int kvm_run_vcpu(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	if (kvm_singlestep(ctx_of(vm), false, err) < 0)
		return -1;
	return kvm_loop(vm, ex, err, false);
}

static int kvm_step(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	if (kvm_singlestep(ctx_of(vm), true, err) < 0)
		return -1;
	return kvm_loop(vm, ex, err, true);
}

const struct rax_backend_ops rax_kvm_backend = {
	.name = "kvm",
	.create = kvm_create,
	.destroy = kvm_destroy,
	.set_state = kvm_set_state,
	.get_state = kvm_get_state,
	.run = kvm_run_vcpu,
	.step = kvm_step,
	.translate = kvm_translate,
	.set_irq = kvm_set_irq,
	.kernel_irqchip = true,
	.now_ns = kvm_now_ns,
};
