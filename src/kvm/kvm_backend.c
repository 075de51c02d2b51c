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
 *
 * Several CPUs (--smp N): one vCPU per CPU, ids 0..N-1, each with its own
 * run area and CPUID (its initial APIC ID). vCPU 0, the bootstrap
 * processor, runs on the thread that calls run(); get_state, set_state,
 * step and translate are vCPU 0's. Each application processor runs in its
 * own thread, started by the first run(), and only while run() is in
 * progress; it starts in KVM's wait-for-SIPI state (the in-kernel APIC
 * gives non-BSP vCPUs that), so the guest's own INIT/SIPI brings it up.
 * The first fatal exit of any vCPU (triple fault, internal error, a failed
 * KVM_RUN) ends run() with that exit; stop requests kick every vCPU out of
 * KVM_RUN (immediate_exit and KICK_SIGNAL to its thread). The guest is
 * halted for good when every vCPU is halted with IF=0 or waits for SIPI:
 * vCPU 0 looks on each tick, with the APs parked so that none moves while
 * it looks.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "cpuid_model.h"
#include "devices/irq.h"
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

/*
 * The signal that gets a vCPU thread out of KVM_RUN (its handler does
 * nothing; KVM_RUN returns EINTR). SIGUSR1 is the console writer's
 * (console_out.c). AP threads block every other signal, so the process's
 * signals (SIGINT, SIGALRM, ...) reach the thread that runs vCPU 0.
 */
#define KICK_SIGNAL SIGUSR2
/* How long vCPU 0 waits for the APs to park before it looks at them. */
#define PARK_WAIT_MS 100

struct kvm_vcpu {
	struct rax_vm *vm;
	unsigned id; /* vCPU id = APIC ID = CPU number */
	int fd;
	struct kvm_run *run;
	pthread_t thread; /* APs: its thread, once started */
	bool thread_started;
	_Atomic bool done;  /* the AP thread has ended */
	bool parked_halted; /* parked: halted with IF=0 or waiting for SIPI */
};

struct kvm_ctx {
	int kvm_fd, vm_fd;
	size_t run_size;
	unsigned ncpus;
	struct kvm_vcpu cpu[RAX_MAX_CPUS];
	bool immediate_exit; /* KVM_CAP_IMMEDIATE_EXIT */
	int singlestep_on;
	struct timespec t0; /* creation time: the origin of vm_now_ns() */
	/* the thread running vCPU 0 while it is in run() or step() */
	pthread_t bsp_thread;
	_Atomic bool bsp_in_run;
	/* the APs' threads: they run while `running` and nothing holds them */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool lock_ready;
	unsigned nthreads; /* AP threads started */
	unsigned parked;   /* AP threads parked (under lock) */
	_Atomic bool running, pause, quit;
	/* the first fatal exit of any vCPU: it ends run() (under lock) */
	_Atomic bool fatal;
	int fatal_rc; /* -1: fatal_err, a host error; 0: fatal_ex */
	struct rax_exit fatal_ex;
	struct rax_err fatal_err;
};

static struct kvm_ctx *ctx_of(struct rax_vm *vm) { return vm->backend; }
static struct kvm_vcpu *bsp(struct kvm_ctx *k) { return &k->cpu[0]; }

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

/*
 * The XSAVE features the host's KVM can give a guest (KVM_GET_SUPPORTED_CPUID):
 * XSAVE itself, the XCR0 components (leaf 0xD.0 EAX) and the XSAVE
 * extensions (0xD.1 EAX: XSAVEOPT, XSAVEC, XGETBV1). The guest executes
 * these on the CPU, so the model offers on KVM only what the host has: a
 * KVM nested in QEMU's TCG has no XSAVEC, and a guest that used it would
 * take #UD in its FPU code. Found once per process.
 */
struct xsave_support {
	bool xsave;
	uint32_t xcr0_lo, ext;
	/* and RDRAND, RDTSCP, RDSEED, RDPID: the host's leaf 1 ECX,
	 * 0x80000001 EDX, leaf 7.0 EBX and ECX */
	uint32_t f1_ecx, x1_edx, l7_ebx, l7_ecx;
};

#define CPUID_1_ECX_XSAVE (1u << 26)
#define XSAVE_LEGACY_AREA 576 /* legacy region and XSAVE header */

static struct xsave_support host_xsave_support(int kvm_fd)
{
	static struct xsave_support s;
	static bool known;
	if (known)
		return s;
	unsigned nent = 64;
	struct kvm_cpuid2 *c = NULL;
	for (;;) {
		free(c);
		c = calloc(1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));
		if (!c)
			return s; /* out of memory: offer no XSAVE (not cached) */
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		if (errno != E2BIG || nent >= 4096) {
			free(c);
			return s;
		}
		nent *= 2;
	}
	for (unsigned i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1) {
			s.xsave = e->ecx & CPUID_1_ECX_XSAVE;
			s.f1_ecx = e->ecx;
		} else if (e->function == 0x80000001) {
			s.x1_edx = e->edx;
		} else if (e->function == 7 && e->index == 0) {
			s.l7_ebx = e->ebx;
			s.l7_ecx = e->ecx;
		}
		if (e->function == 0xd && e->index == 0)
			s.xcr0_lo = e->eax;
		else if (e->function == 0xd && e->index == 1)
			s.ext = e->eax;
	}
	free(c);
	known = true;
	return s;
}

/* Leave out of the model's leaves the XSAVE features, and the features
 * guests run on the CPU (CPUID_*_ONCPU: RDRAND, RDTSCP, RDSEED, RDPID and
 * the v3 set), that the host lacks; AVX, AVX2, FMA and F16C also go when
 * XSAVE or its AVX component does. */
static void mask_xsave(struct cpuid_leaf *l, unsigned n, struct xsave_support host)
{
	bool avx_state = host.xsave && (host.xcr0_lo & 4);
	for (unsigned i = 0; i < n; i++) {
		if (l[i].function == 1) {
			l[i].ecx &= ~CPUID_1_ECX_ONCPU | host.f1_ecx;
			if (!avx_state)
				l[i].ecx &= ~CPUID_1_ECX_AVXSTATE;
		} else if (l[i].function == 0x80000001) {
			l[i].edx &= ~CPUID_X1_EDX_RDTSCP | host.x1_edx;
		} else if (l[i].function == 7 && l[i].index == 0) {
			l[i].ebx &= ~CPUID_7_EBX_ONCPU | host.l7_ebx;
			if (!avx_state)
				l[i].ebx &= ~CPUID_7_EBX_AVXSTATE;
			l[i].ecx &= ~CPUID_7_ECX_RDPID | host.l7_ecx;
		}
		if (l[i].function == 1 && !host.xsave)
			l[i].ecx &= ~CPUID_1_ECX_XSAVE;
		else if (l[i].function == 0xd && !host.xsave)
			l[i].eax = l[i].ebx = l[i].ecx = l[i].edx = 0;
		else if (l[i].function == 0xd && l[i].index == 0)
			l[i].eax &= host.xcr0_lo;
		else if (l[i].function == 0xd && l[i].index == 1)
			l[i].eax &= host.ext;
		else if (l[i].function == 0xd && l[i].index >= 2 && !((host.xcr0_lo >> l[i].index) & 1))
			l[i].eax = l[i].ebx = l[i].ecx = l[i].edx = 0; /* a component the host lacks */
	}
	/* the largest area XCR0 can ask for: the end of the last component left */
	for (unsigned i = 0; i < n; i++) {
		if (l[i].function != 0xd || l[i].index != 0 || !l[i].eax)
			continue;
		l[i].ecx = XSAVE_LEGACY_AREA;
		for (unsigned j = 0; j < n; j++)
			if (l[j].function == 0xd && l[j].index >= 2 && ((l[i].eax >> l[j].index) & 1) &&
			    l[j].eax + l[j].ebx > l[i].ecx)
				l[i].ecx = l[j].eax + l[j].ebx;
	}
}

/* CPU `cpu`'s CPUID: the model's leaves with its initial APIC ID and the
 * package's topology (cpuid_model_cpu), less the XSAVE features the host
 * cannot give. */
static int kvm_set_cpuid(struct kvm_vcpu *v, int kvm_fd, unsigned level, unsigned ncpus, struct rax_err *err)
{
	struct cpuid_leaf leaves[CPUID_MODEL_MAX_LEAVES];
	unsigned n = cpuid_model_cpu(level ? level : RAX_CPU_LEVEL_DEFAULT, v->id, ncpus, leaves);
	struct xsave_support host = host_xsave_support(kvm_fd);
	if (host.xsave && !kvm_probe_xsave_ok())
		host.xsave = false; /* KVM offers it, but XRSTOR does not work here (kvm_probe.h) */
	mask_xsave(leaves, n, host);
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
			/* leaf 0xD's sub-leaves differ by ECX */
			.flags = cpuid_leaf_indexed(leaves[i].function) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
		};
	}
	int r = xioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? kvm_fail(err, "KVM_SET_CPUID2") : 0;
}

/* Route the in-kernel PIC to the BSP: LINT0 as ExtINT, LINT1 as NMI. */
static int kvm_setup_lapic(struct kvm_vcpu *v, struct rax_err *err)
{
	struct kvm_lapic_state l;
	if (xioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return kvm_fail(err, "KVM_GET_LAPIC");
	uint32_t v0 = APIC_MODE_EXTINT, v1 = APIC_MODE_NMI;
	memcpy(l.regs + APIC_LVT0, &v0, 4);
	memcpy(l.regs + APIC_LVT1, &v1, 4);
	if (xioctl(v->fd, KVM_SET_LAPIC, &l) < 0)
		return kvm_fail(err, "KVM_SET_LAPIC");
	return 0;
}

/*
 * Interrupt lines to the in-kernel chips as the MADT describes them
 * (src/loader/acpi.c), from the interrupt router's own tables
 * (devices/irq.h), so both backends route a line the same way: line n
 * (KVM_IRQ_LINE n, the in-kernel PIT on line 0) drives 8259 input
 * irq_line_pic_input(n) and I/O APIC pin irq_line_ioapic_pin(n): the PIT's
 * line 0 reaches pin 2 (the interrupt source override IRQ 0 -> GSI 2), line
 * 2 (the cascade) has no route, lines 16-23 reach the I/O APIC only.
 * (KVM's default routing puts line 0 on pin 0, where a guest that read the
 * MADT never looks for the timer; an EOI on pin 2 must also map back to
 * line 0 for the PIT's interrupt acknowledgement.)
 */
static int kvm_setup_irq_routing(struct kvm_ctx *k, struct rax_err *err)
{
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + 2 * IRQ_LINES * sizeof(r->entries[0]));
	if (!r)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	unsigned n = 0;
	for (unsigned line = 0; line < IRQ_LINES; line++) {
		int in = irq_line_pic_input(line), pin = irq_line_ioapic_pin(line);
		if (in >= 0)
			r->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = line,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = in < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					       .pin = (unsigned)in % 8 },
			};
		if (pin >= 0)
			r->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = line,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = (unsigned)pin },
			};
	}
	r->nr = n;
	int rc = xioctl(k->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	return rc < 0 ? kvm_fail(err, "KVM_SET_GSI_ROUTING") : 0;
}

static void on_kick_signal(int sig) { (void)sig; }

/* Make vCPU v leave KVM_RUN: its immediate_exit for a vCPU about to enter,
 * a signal for one inside (async-signal-safe). */
static void kick_vcpu(struct kvm_ctx *k, struct kvm_vcpu *v)
{
	if (!v->run)
		return;
	if (k->immediate_exit)
		v->run->immediate_exit = 1;
	atomic_thread_fence(memory_order_seq_cst);
	pthread_t self = pthread_self();
	if (v->id == 0) {
		if (atomic_load(&k->bsp_in_run) && !pthread_equal(k->bsp_thread, self))
			pthread_kill(k->bsp_thread, KICK_SIGNAL);
	} else if (v->thread_started && !pthread_equal(v->thread, self)) {
		pthread_kill(v->thread, KICK_SIGNAL);
	}
}

static void kick_aps(struct kvm_ctx *k)
{
	for (unsigned i = 1; i < k->ncpus; i++)
		kick_vcpu(k, &k->cpu[i]);
}

/* vm->kick_cpus: async-signal-safe (called from vm_request_stop and the tick). */
static void kvm_kick_cpus(struct rax_vm *vm, bool all)
{
	struct kvm_ctx *k = ctx_of(vm);
	if (!k)
		return;
	kick_vcpu(k, bsp(k));
	if (all)
		kick_aps(k);
}

/* Before a vCPU thread looks at the flags that say whether to enter the
 * guest: a kick that comes after this is seen, by the flags or by KVM_RUN. */
static void kick_clear(struct kvm_ctx *k, struct kvm_vcpu *v)
{
	if (k->immediate_exit)
		v->run->immediate_exit = 0;
	atomic_thread_fence(memory_order_seq_cst);
}

/* Record the first fatal exit of any vCPU (ex, or a host error in err when
 * rc < 0) and get every vCPU out of the guest. */
static void fatal_record(struct kvm_ctx *k, unsigned cpu, const struct rax_exit *ex, int rc, const struct rax_err *err)
{
	pthread_mutex_lock(&k->lock);
	if (!atomic_load(&k->fatal)) {
		k->fatal_rc = rc;
		if (rc < 0) {
			k->fatal_err = *err;
			if (k->ncpus > 1)
				snprintf(k->fatal_err.msg, sizeof(k->fatal_err.msg), "CPU %u: %.480s", cpu, err->msg);
		} else {
			k->fatal_ex = *ex;
			k->fatal_ex.cpu = cpu;
		}
		atomic_store(&k->fatal, true);
		pthread_cond_broadcast(&k->cond);
	}
	pthread_mutex_unlock(&k->lock);
	kick_vcpu(k, bsp(k));
	kick_aps(k);
}

/* The recorded fatal exit, as run() returns it. */
static int fatal_take(struct kvm_ctx *k, struct rax_exit *ex, struct rax_err *err)
{
	pthread_mutex_lock(&k->lock);
	int rc = k->fatal_rc;
	if (rc < 0)
		*err = k->fatal_err;
	else
		*ex = k->fatal_ex;
	pthread_mutex_unlock(&k->lock);
	return rc;
}

static void vcpu_unmap(struct kvm_vcpu *v)
{
	if (v->run)
		munmap(v->run, v->vm ? ctx_of(v->vm)->run_size : 0);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

static void kvm_destroy(struct rax_vm *vm)
{
	struct kvm_ctx *k = ctx_of(vm);
	if (!k)
		return;
	vm->kick_cpus = NULL;
	if (bsp(k)->run && vm->kick == &bsp(k)->run->immediate_exit)
		vm->kick = NULL;
	if (k->nthreads) {
		/* the run is over: an AP that waits in a device (the UART's wait
		 * for console room) stops waiting, then sees quit */
		vm->stop = 1;
		pthread_mutex_lock(&k->lock);
		atomic_store(&k->quit, true);
		pthread_cond_broadcast(&k->cond);
		pthread_mutex_unlock(&k->lock);
		for (unsigned i = 1; i < k->ncpus; i++) {
			struct kvm_vcpu *v = &k->cpu[i];
			if (!v->thread_started)
				continue;
			/* without KVM_CAP_IMMEDIATE_EXIT a signal can come just
			 * before KVM_RUN: send it until the thread has ended */
			while (!atomic_load(&v->done)) {
				kick_vcpu(k, v);
				struct timespec ts = { 0, 2 * 1000 * 1000 };
				nanosleep(&ts, NULL);
			}
			pthread_join(v->thread, NULL);
			v->thread_started = false;
		}
		k->nthreads = 0;
	}
	for (unsigned i = 0; i < RAX_MAX_CPUS; i++)
		vcpu_unmap(&k->cpu[i]);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	if (k->lock_ready) {
		pthread_cond_destroy(&k->cond);
		pthread_mutex_destroy(&k->lock);
	}
	free(k);
	vm->backend = NULL;
}

/* The KVM device; RAX_KVM_DEVICE overrides it (tests use this). */
static const char *kvm_device_path(void)
{
	const char *p = getenv("RAX_KVM_DEVICE");
	return p && *p ? p : "/dev/kvm";
}

/* The most vCPUs this host's KVM gives a VM (KVM API: KVM_CAP_MAX_VCPUS,
 * else KVM_CAP_NR_VCPUS, else 4). */
static int kvm_max_vcpus(int kvm_fd)
{
	int n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? n : 4;
}

/* vCPU v->id: its run area and CPUID; the BSP's LINT0/LINT1 too. */
static int vcpu_create(struct rax_vm *vm, struct kvm_vcpu *v, struct rax_err *err)
{
	struct kvm_ctx *k = ctx_of(vm);
	v->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (v->fd < 0) {
		if (v->id)
			return rax_errf(err, RAX_STATUS_HOST, "KVM: KVM_CREATE_VCPU for CPU %u (--smp %u) failed: %s",
					v->id, k->ncpus, strerror(errno));
		return kvm_fail(err, "KVM_CREATE_VCPU");
	}
	v->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return kvm_fail(err, "mmap of the vCPU run area");
	}
	if (kvm_set_cpuid(v, k->kvm_fd, vm->cfg.cpu_level, k->ncpus, err) < 0)
		return -1;
	return v->id == 0 ? kvm_setup_lapic(v, err) : 0;
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
	k->vm_fd = -1;
	k->ncpus = rax_ncpus(&vm->cfg);
	for (unsigned i = 0; i < RAX_MAX_CPUS; i++)
		k->cpu[i] = (struct kvm_vcpu){ .vm = vm, .id = i, .fd = -1 };
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	k->lock_ready = true;
	clock_gettime(CLOCK_MONOTONIC, &k->t0);
	vm->backend = k;

	errno = EINVAL;
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		rax_errf(err, RAX_STATUS_HOST,
			 "%s is not a usable KVM device (KVM_GET_API_VERSION: %s); use --backend emulator", path,
			 strerror(errno));
		goto fail;
	}
	int max = kvm_max_vcpus(fd);
	if (k->ncpus > (unsigned)max) {
		rax_errf(err, RAX_STATUS_HOST, "this host's KVM gives a VM at most %d vCPUs (--smp %u)", max, k->ncpus);
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
	int sz = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0) {
		kvm_fail(err, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	k->run_size = (size_t)sz;
	for (unsigned i = 0; i < k->ncpus; i++)
		if (vcpu_create(vm, &k->cpu[i], err) < 0)
			goto fail;
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) <= 0) {
		rax_errf(err, RAX_STATUS_HOST, "%s lacks KVM_CAP_XSAVE (Linux 2.6.36+); use --backend emulator", path);
		goto fail;
	}
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0) {
		k->immediate_exit = true;
		vm->kick = &bsp(k)->run->immediate_exit;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick_signal; /* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);
	vm->kick_cpus = kvm_kick_cpus;
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
 * Legacy area layout: FXSAVE's (SDM Vol. 1, 10.5.1); XSTATE_BV at 512;
 * the AVX component (YMM upper halves) at 576, its offset in CPUID 0xD.2
 * and in KVM's standard-format image on every x86 host. Its XSTATE_BV bit
 * is set only when some upper half is not zero (so a model without AVX in
 * XCR0's supported bits never hands KVM a bit it refuses). XCR0 goes
 * through KVM_GET/SET_XCRS.
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
#define XS_AVX 576
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
	static const uint8_t zero[sizeof(f->ymmh)];
	uint64_t bv;
	memcpy(&bv, a + XS_XSTATE_BV, 8);
	bv |= XFEATURE_X87_SSE;
	if (memcmp(f->ymmh, zero, sizeof(zero))) {
		memcpy(a + XS_AVX, f->ymmh, sizeof(f->ymmh));
		bv |= XFEATURE_AVX;
	} else {
		bv &= ~XFEATURE_AVX; /* the initial state: all zero */
	}
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
	if (bv & XFEATURE_AVX)
		memcpy(f->ymmh, a + XS_AVX, sizeof(f->ymmh));
}

/* XCR0 as KVM has it; 1 (the reset value) where KVM cannot say. */
static uint64_t xcr0_get(struct kvm_vcpu *v)
{
	struct kvm_xcrs x;
	memset(&x, 0, sizeof(x));
	if (xioctl(v->fd, KVM_GET_XCRS, &x) < 0)
		return 1;
	for (unsigned i = 0; i < x.nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (x.xcrs[i].xcr == 0)
			return x.xcrs[i].value;
	return 1;
}

static int xcr0_set(struct kvm_vcpu *v, uint64_t xcr0, struct rax_err *err)
{
	if (xcr0_get(v) == xcr0)
		return 0;
	struct kvm_xcrs x;
	memset(&x, 0, sizeof(x));
	x.nr_xcrs = 1;
	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = xcr0;
	return xioctl(v->fd, KVM_SET_XCRS, &x) < 0 ? kvm_fail(err, "KVM_SET_XCRS") : 0;
}

static int fpu_set(struct kvm_vcpu *v, const struct rax_cpu_state *s, struct rax_err *err)
{
	if (xcr0_set(v, s->xcr0, err) < 0)
		return -1;
	struct kvm_xsave x;
	if (xioctl(v->fd, KVM_GET_XSAVE, &x) < 0)
		return kvm_fail(err, "KVM_GET_XSAVE");
	fpu_to_xsave(&s->fpu, (uint8_t *)x.region);
	return xioctl(v->fd, KVM_SET_XSAVE, &x) < 0 ? kvm_fail(err, "KVM_SET_XSAVE") : 0;
}

static int fpu_get(struct kvm_vcpu *v, struct rax_cpu_state *s, struct rax_err *err)
{
	struct kvm_xsave x;
	if (xioctl(v->fd, KVM_GET_XSAVE, &x) < 0)
		return kvm_fail(err, "KVM_GET_XSAVE");
	fpu_from_xsave((const uint8_t *)x.region, &s->fpu);
	s->xcr0 = xcr0_get(v);
	return 0;
}

static int vcpu_set_state(struct kvm_vcpu *v, const struct rax_cpu_state *s, struct rax_err *err)
{
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	__u64 *g[RAX_NGPR] = { &r.rax, &r.rcx, &r.rdx, &r.rbx, &r.rsp, &r.rbp, &r.rsi, &r.rdi,
			       &r.r8,  &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15 };
	for (int i = 0; i < RAX_NGPR; i++)
		*g[i] = s->gpr[i];
	r.rip = s->rip;
	r.rflags = s->rflags;

	struct kvm_sregs sr;
	if (xioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
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
	if (xioctl(v->fd, KVM_SET_SREGS, &sr) < 0)
		return kvm_fail(err, "KVM_SET_SREGS");
	if (xioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return kvm_fail(err, "KVM_SET_REGS");

	union msr_buf mb;
	memset(&mb, 0, sizeof(mb));
	mb.hdr.nmsrs = N_STATE_MSRS;
	struct rax_cpu_state tmp = *s;
	for (unsigned i = 0; i < N_STATE_MSRS; i++) {
		mb.hdr.entries[i].index = state_msrs[i];
		mb.hdr.entries[i].data = *msr_field(&tmp, state_msrs[i]);
	}
	if (ioctl(v->fd, KVM_SET_MSRS, &mb) < 0)
		return kvm_fail(err, "KVM_SET_MSRS");

	if (fpu_set(v, s, err) < 0)
		return -1;

	struct kvm_debugregs d;
	memset(&d, 0, sizeof(d));
	memcpy(d.db, s->dr, sizeof(d.db));
	d.dr6 = s->dr6;
	d.dr7 = s->dr7;
	if (xioctl(v->fd, KVM_SET_DEBUGREGS, &d) < 0)
		return kvm_fail(err, "KVM_SET_DEBUGREGS");
	return 0;
}

static int vcpu_get_state(struct kvm_vcpu *v, struct rax_cpu_state *s, struct rax_err *err)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	if (xioctl(v->fd, KVM_GET_REGS, &r) < 0)
		return kvm_fail(err, "KVM_GET_REGS");
	if (xioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
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
	int n = ioctl(v->fd, KVM_GET_MSRS, &mb);
	if (n < 0)
		return kvm_fail(err, "KVM_GET_MSRS");
	for (int i = 0; i < n; i++)
		*msr_field(s, mb.hdr.entries[i].index) = mb.hdr.entries[i].data;

	if (fpu_get(v, s, err) < 0)
		return -1;

	struct kvm_debugregs d;
	if (xioctl(v->fd, KVM_GET_DEBUGREGS, &d) < 0)
		return kvm_fail(err, "KVM_GET_DEBUGREGS");
	memcpy(s->dr, d.db, sizeof(s->dr));
	s->dr6 = d.dr6;
	s->dr7 = d.dr7;
	return 0;
}

static int vcpu_translate(struct kvm_vcpu *v, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = gva };
	if (xioctl(v->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return -1;
	*gpa = t.physical_address;
	return 0;
}

static int kvm_translate(struct rax_vm *vm, uint64_t gva, uint64_t *gpa)
{
	return vcpu_translate(bsp(ctx_of(vm)), gva, gpa);
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
	struct kvm_vcpu *v = opaque;
	struct kvm_regs r;
	struct kvm_sregs sr;
	if (xioctl(v->fd, KVM_GET_REGS, &r) < 0 || xioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
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
		if ((i == 0 || ((lin + i) & 0xfff) == 0) && vcpu_translate(v, lin + i, &gpa) < 0)
			break;
		if (guest_mem_read(&v->vm->mem, gpa, &w->bytes[i], 1) < 0)
			break;
		w->nbytes++;
		gpa++;
	}
	return 0;
}

/*
 * True when the vCPU can run no more instructions by itself: in HLT with
 * interrupts disabled, or waiting for INIT/SIPI (an AP never started, or
 * sent INIT). Asked by the vCPU's own thread, or about a parked one.
 */
static bool vcpu_halted_for_good(struct kvm_vcpu *v)
{
	struct kvm_mp_state mp;
	struct kvm_regs r;
	if (xioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0)
		return false;
	if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED || mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return true;
	if (mp.mp_state != KVM_MP_STATE_HALTED)
		return false;
	return xioctl(v->fd, KVM_GET_REGS, &r) == 0 && !(r.rflags & RFLAGS_IF);
}

/* ---- application processors ---- */

/* An AP may enter the guest: vCPU 0 is in run() and nothing holds it. */
static bool ap_may_run(struct kvm_ctx *k, struct rax_vm *vm)
{
	return atomic_load(&k->running) && !atomic_load(&k->pause) && !atomic_load(&k->quit) &&
		!atomic_load(&k->fatal) && !vm->stop;
}

/* Wait outside the guest until the AP may run again; false: quit. While
 * parked the vCPU cannot move, so what it says about itself here holds. */
static bool ap_park(struct kvm_ctx *k, struct kvm_vcpu *v)
{
	bool halted = vcpu_halted_for_good(v);
	pthread_mutex_lock(&k->lock);
	v->parked_halted = halted;
	k->parked++;
	pthread_cond_broadcast(&k->cond);
	while (!atomic_load(&k->quit) && !ap_may_run(k, v->vm))
		pthread_cond_wait(&k->cond, &k->lock);
	k->parked--;
	bool quit = atomic_load(&k->quit);
	pthread_mutex_unlock(&k->lock);
	return !quit;
}

static bool cpl0_emulated(void *opaque);

static void *ap_main(void *arg)
{
	struct kvm_vcpu *v = arg;
	struct rax_vm *vm = v->vm;
	struct kvm_ctx *k = ctx_of(vm);
	sigset_t only;
	sigfillset(&only);
	sigdelset(&only, KICK_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &only, NULL);
	const struct kvm_exit_vcpu vcpu = {
		.opaque = v,
		.where = vcpu_where,
		.cpl0_emulated = cpl0_emulated,
	};
	for (;;) {
		kick_clear(k, v);
		if (!ap_may_run(k, vm)) {
			if (!ap_park(k, v))
				break;
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			/* EAGAIN: an AP left wait-for-SIPI for wait-for-SIPI after INIT */
			if (errno != EINTR && errno != EAGAIN) {
				struct rax_err e = { 0 };
				kvm_fail(&e, "KVM_RUN");
				fatal_record(k, v->id, NULL, -1, &e);
			}
			continue;
		}
		struct rax_exit ex;
		memset(&ex, 0, sizeof(ex));
		/* HLT with IF=0 reaches here only without an in-kernel APIC,
		 * which RAX always creates: the vCPU halts inside KVM */
		if (kvm_exit_handle(vm, v->run, &vcpu, &ex) == KVM_EXIT_NEXT_RETURN &&
		    (ex.kind == RAX_EXIT_SHUTDOWN || ex.kind == RAX_EXIT_INTERNAL))
			fatal_record(k, v->id, &ex, 0, NULL);
	}
	atomic_store(&v->done, true);
	return NULL;
}

/* Start the AP threads (the first run()); they start parked. */
static int aps_start(struct kvm_ctx *k, struct rax_err *err)
{
	if (k->nthreads == k->ncpus - 1)
		return 0;
	/* the threads begin with every signal blocked, then open KICK_SIGNAL */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (unsigned i = 1 + k->nthreads; i < k->ncpus; i++) {
		struct kvm_vcpu *v = &k->cpu[i];
		if ((rc = pthread_create(&v->thread, NULL, ap_main, v)) != 0)
			break;
		v->thread_started = true;
		k->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return rax_errf(err, RAX_STATUS_HOST, "cannot start the thread of CPU %u: %s", k->nthreads + 1,
				strerror(rc));
	return 0;
}

/*
 * Every CPU halted for good (vCPU 0's thread, on a tick, vCPU 0 halted):
 * park the APs, look at each, let them go. An AP that does not park in
 * time is busy outside the guest (a device), so not halted.
 */
static bool aps_halted_for_good(struct kvm_ctx *k)
{
	pthread_mutex_lock(&k->lock);
	atomic_store(&k->pause, true);
	pthread_mutex_unlock(&k->lock);
	kick_aps(k);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += PARK_WAIT_MS * 1000L * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&k->lock);
	while (k->parked < k->nthreads && !atomic_load(&k->fatal))
		if (pthread_cond_timedwait(&k->cond, &k->lock, &until) == ETIMEDOUT)
			break;
	bool all = k->parked == k->nthreads && !atomic_load(&k->fatal);
	for (unsigned i = 1; all && i < k->ncpus; i++)
		all = k->cpu[i].parked_halted;
	/* vCPU 0 again: an AP may have woken it before it parked */
	all = all && vcpu_halted_for_good(bsp(k));
	atomic_store(&k->pause, false);
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	return all;
}

/* The whole machine is halted for good (asked on vCPU 0's thread about
 * vCPU 0, struct kvm_vcpu). */
static bool halted_for_good(void *opaque)
{
	struct kvm_ctx *k = ctx_of(((struct kvm_vcpu *)opaque)->vm);
	if (!vcpu_halted_for_good(bsp(k)))
		return false;
	return k->ncpus == 1 || aps_halted_for_good(k);
}

/* Only asked after an internal error at CPL0: the probe runs at most once,
 * and never while other vCPU threads run (its VMs take over the process's
 * signals): with several vCPUs the answer comes without probing. */
static bool cpl0_emulated(void *opaque)
{
	struct kvm_vcpu *v = opaque;
	if (ctx_of(v->vm)->ncpus > 1)
		return kvm_probe_cpl0_emulated_now();
	return !kvm_probe()->cpl0_native.ok;
}

/* vCPU 0 enters run() or step(): kicks signal this thread; APs may run. */
static void bsp_enter(struct kvm_ctx *k, bool aps)
{
	k->bsp_thread = pthread_self();
	atomic_store(&k->bsp_in_run, true);
	if (!aps)
		return;
	pthread_mutex_lock(&k->lock);
	atomic_store(&k->running, true);
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

/* ... and leaves: the APs park (not waited for: one may be held in a
 * device until the stop that follows). */
static void bsp_leave(struct kvm_ctx *k)
{
	atomic_store(&k->bsp_in_run, false);
	if (!k->nthreads)
		return;
	atomic_store(&k->running, false);
	kick_aps(k);
}

/* Run until an exit the VM must see; `want_debug` ends on KVM_EXIT_DEBUG. */
static int kvm_loop(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err, bool want_debug)
{
	struct kvm_ctx *k = ctx_of(vm);
	struct kvm_vcpu *v = bsp(k);
	struct kvm_run *run = v->run;
	const struct kvm_exit_vcpu vcpu = {
		.opaque = v,
		.where = vcpu_where,
		.halted_for_good = halted_for_good,
		.cpl0_emulated = cpl0_emulated,
		.want_debug = want_debug,
	};
	for (;;) {
		if (atomic_load(&k->fatal))
			return fatal_take(k, ex, err);
		if (vm->stop) {
			ex->kind = RAX_EXIT_STOP;
			return 0;
		}
		if (vm->debug_req) { /* the debugger's stop (gdb's Ctrl-C) */
			ex->kind = RAX_EXIT_DEBUG;
			ex->why = RAX_DEBUG_INTERRUPT;
			ex->cpu = 0;
			return 0;
		}
		int r = ioctl(v->fd, KVM_RUN, 0);
		if (r < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				if (k->ncpus == 1)
					return kvm_fail(err, "KVM_RUN");
				struct rax_err e = { 0 };
				kvm_fail(&e, "KVM_RUN");
				fatal_record(k, 0, NULL, -1, &e);
				continue;
			}
			kick_clear(k, v);
			if (vm->tick) {
				vm->tick = 0;
				if (halted_for_good(v)) {
					ex->kind = RAX_EXIT_HLT;
					return 0;
				}
			}
			continue;
		}
		if (kvm_exit_handle(vm, run, &vcpu, ex) == KVM_EXIT_NEXT_RETURN) {
			if (k->ncpus > 1 && (ex->kind == RAX_EXIT_SHUTDOWN || ex->kind == RAX_EXIT_INTERNAL)) {
				fatal_record(k, 0, ex, 0, NULL); /* unless an AP's came first */
				continue;
			}
			return 0;
		}
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
	if (xioctl(bsp(k)->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return kvm_fail(err, "KVM_SET_GUEST_DEBUG");
	k->singlestep_on = on;
	return 0;
}

static int kvm_run_debug(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err);

static int kvm_run_vcpu(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	struct kvm_ctx *k = ctx_of(vm);
	if (vm->debugger) /* the gdb stub: its breakpoints, no rax-diff single-step */
		return kvm_run_debug(vm, ex, err);
	if (kvm_singlestep(k, false, err) < 0 || aps_start(k, err) < 0)
		return -1;
	bsp_enter(k, true);
	int rc = kvm_loop(vm, ex, err, false);
	bsp_leave(k);
	return rc;
}

/* One instruction of vCPU 0, the APs held (rax-diff and --test are
 * single-CPU). */
static int kvm_step(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	struct kvm_ctx *k = ctx_of(vm);
	if (kvm_singlestep(k, true, err) < 0)
		return -1;
	bsp_enter(k, false);
	int rc = kvm_loop(vm, ex, err, true);
	bsp_leave(k);
	return rc;
}

static int kvm_set_state(struct rax_vm *vm, const struct rax_cpu_state *s, struct rax_err *err)
{
	return vcpu_set_state(bsp(ctx_of(vm)), s, err);
}

static int kvm_get_state(struct rax_vm *vm, struct rax_cpu_state *s, struct rax_err *err)
{
	return vcpu_get_state(bsp(ctx_of(vm)), s, err);
}

/* ---- debugger support (src/gdb/) ----
 *
 * The host debugger's breakpoints live in vCPU 0's KVM_SET_GUEST_DEBUG
 * (KVM API, 4.35): software breakpoints are int3 bytes RAX writes into
 * guest memory while run() is in progress (put in when it starts, taken
 * out when it ends, so the debugger never reads them) with
 * KVM_GUESTDBG_USE_SW_BP, which makes every #BP exit to us; hardware
 * breakpoints and watchpoints are the debug registers (at most four, with
 * the x86 rules: lengths 1, 2, 4 or 8 aligned to their length, no
 * read-only watchpoint) with KVM_GUESTDBG_USE_HW_BP. Other vCPUs (--smp)
 * run without them. A step is KVM_GUESTDBG_SINGLESTEP on vCPU 0 alone.
 */

static struct kvm_vcpu *vcpu_n(struct rax_vm *vm, unsigned i)
{
	struct kvm_ctx *k = ctx_of(vm);
	return i < k->ncpus ? &k->cpu[i] : NULL;
}

static int kvm_cpu_get_state(struct rax_vm *vm, unsigned i, struct rax_cpu_state *s, struct rax_err *err)
{
	struct kvm_vcpu *v = vcpu_n(vm, i);
	return v ? vcpu_get_state(v, s, err) : rax_errf(err, RAX_STATUS_USAGE, "no CPU %u", i);
}

static int kvm_cpu_set_state(struct rax_vm *vm, unsigned i, const struct rax_cpu_state *s, struct rax_err *err)
{
	struct kvm_vcpu *v = vcpu_n(vm, i);
	return v ? vcpu_set_state(v, s, err) : rax_errf(err, RAX_STATUS_USAGE, "no CPU %u", i);
}

static int kvm_cpu_translate(struct rax_vm *vm, unsigned i, uint64_t gva, uint64_t *gpa)
{
	struct kvm_vcpu *v = vcpu_n(vm, i);
	return v ? vcpu_translate(v, gva, gpa) : -1;
}

struct kvm_dbg {
	struct kvm_guest_debug gd; /* control 0: none */
	struct rax_breakpoint hw[4];
	unsigned nhw;
	struct {
		uint64_t addr, gpa;
		uint8_t saved;
		bool in;
	} sw[RAX_MAX_BREAKPOINTS];
	unsigned nsw;
};

static struct kvm_dbg *dbg_of(struct rax_vm *vm)
{
	static struct kvm_dbg d; /* one VM per process has a debugger */
	(void)vm;
	return &d;
}

static int guest_debug_set(struct kvm_ctx *k, bool step, struct rax_err *err)
{
	struct kvm_guest_debug gd = dbg_of(NULL)->gd;
	if (step)
		gd.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	if (xioctl(bsp(k)->fd, KVM_SET_GUEST_DEBUG, &gd) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "this host's KVM refuses KVM_SET_GUEST_DEBUG (%s%s): %s",
				step ? "single-step" : "breakpoints",
				gd.control & KVM_GUESTDBG_USE_HW_BP ? ", debug registers" : "", strerror(errno));
	k->singlestep_on = step;
	return 0;
}

static int kvm_set_breakpoints(struct rax_vm *vm, const struct rax_breakpoint *bp, unsigned n, struct rax_err *err)
{
	struct kvm_ctx *k = ctx_of(vm);
	struct kvm_dbg *d = dbg_of(vm), nd;
	memset(&nd, 0, sizeof(nd));
	uint64_t dr7 = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct rax_breakpoint *b = &bp[i];
		if (b->kind == RAX_BP_SW) {
			uint64_t gpa;
			/* a host that emulates CPL0 code stops at int3 with an emulation failure */
			bool emulated = k->ncpus == 1 ? !kvm_probe()->cpl0_native.ok : kvm_probe_cpl0_emulated_now();
			if (emulated)
				return rax_errf(err, RAX_STATUS_USAGE,
						"this host's KVM emulates CPL0 code (kvm_pvm) and stops at int3: "
						"use hbreak (debug registers) or --backend emulator");
			if (vcpu_translate(bsp(k), b->addr, &gpa) < 0 || !guest_mem_contains(&vm->mem, gpa, 1))
				return rax_errf(
					err, RAX_STATUS_USAGE,
					"KVM: no software breakpoint at 0x%llx: not mapped to RAM now (use hbreak)",
					(unsigned long long)b->addr);
			nd.sw[nd.nsw].addr = b->addr;
			nd.sw[nd.nsw].gpa = gpa;
			nd.nsw++;
			continue;
		}
		if (nd.nhw == 4)
			return rax_errf(err, RAX_STATUS_USAGE,
					"KVM: at most 4 hardware breakpoints and watchpoints (the debug registers)");
		unsigned rw, len;
		if (b->kind == RAX_BP_HW) {
			rw = 0;
			len = 0;
		} else {
			if (b->kind == RAX_WP_READ)
				return rax_errf(err, RAX_STATUS_USAGE,
						"KVM: the debug registers have no read-only watchpoint (use awatch)");
			if ((b->len != 1 && b->len != 2 && b->len != 4 && b->len != 8) || (b->addr & (b->len - 1)))
				return rax_errf(err, RAX_STATUS_USAGE,
						"KVM: a watchpoint must be 1, 2, 4 or 8 bytes aligned to its length "
						"(0x%llx, %u bytes)",
						(unsigned long long)b->addr, b->len);
			rw = b->kind == RAX_WP_WRITE ? 1 : 3;
			len = b->len == 1 ? 0 : b->len == 2 ? 1 : b->len == 8 ? 2 : 3;
		}
		unsigned slot = nd.nhw;
		nd.hw[nd.nhw++] = *b;
		nd.gd.arch.debugreg[slot] = b->addr;
		dr7 |= 2ull << (2 * slot); /* G0..G3 */
		dr7 |= (uint64_t)(rw | len << 2) << (16 + 4 * slot);
	}
	if (nd.nsw || nd.nhw)
		nd.gd.control = KVM_GUESTDBG_ENABLE;
	if (nd.nsw)
		nd.gd.control |= KVM_GUESTDBG_USE_SW_BP;
	if (nd.nhw) {
		nd.gd.control |= KVM_GUESTDBG_USE_HW_BP;
		nd.gd.arch.debugreg[7] = dr7 | 0x400;
	}
	struct kvm_dbg old = *d;
	*d = nd;
	if (guest_debug_set(k, false, err) < 0) {
		*d = old;
		return -1;
	}
	return 0;
}

/* int3 in while the guest runs, out when it stops (only bytes still ours). */
static void sw_insert(struct rax_vm *vm)
{
	struct kvm_dbg *d = dbg_of(vm);
	for (unsigned i = 0; i < d->nsw; i++) {
		uint8_t *p = guest_mem_ptr(&vm->mem, d->sw[i].gpa, 1);
		if (!p || d->sw[i].in)
			continue;
		d->sw[i].saved = *p;
		*p = 0xcc;
		d->sw[i].in = true;
	}
}

static void sw_remove(struct rax_vm *vm)
{
	struct kvm_dbg *d = dbg_of(vm);
	for (unsigned i = d->nsw; i-- > 0;) {
		uint8_t *p = guest_mem_ptr(&vm->mem, d->sw[i].gpa, 1);
		if (p && d->sw[i].in && *p == 0xcc)
			*p = d->sw[i].saved;
		d->sw[i].in = false;
	}
}

/* A KVM_EXIT_DEBUG (kvm_loop returned it as a STEP) as the stub sees it. */
static void debug_exit_why(struct rax_vm *vm, struct rax_exit *ex)
{
	struct kvm_dbg *d = dbg_of(vm);
	const struct kvm_debug_exit_arch *a = &bsp(ctx_of(vm))->run->debug.arch;
	ex->kind = RAX_EXIT_DEBUG;
	ex->rip = a->pc;
	ex->cpu = 0;
	if (a->exception == 3) { /* #BP: one of ours, or the guest's own int3 (reported too) */
		ex->why = RAX_DEBUG_BREAK;
		return;
	}
	for (unsigned i = 0; i < d->nhw; i++) {
		if (!(a->dr6 & (1u << i)))
			continue;
		if (d->hw[i].kind == RAX_BP_HW) {
			ex->why = RAX_DEBUG_BREAK;
		} else {
			ex->why = RAX_DEBUG_WATCH;
			ex->watch_addr = d->hw[i].addr;
			ex->watch_kind = d->hw[i].kind;
		}
		return;
	}
	ex->why = RAX_DEBUG_STEP;
}

/* A run with the debugger's breakpoints: the loop ends at a debug exit or
 * the debugger's stop request. */
static int kvm_debug_loop(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err, bool step)
{
	struct kvm_ctx *k = ctx_of(vm);
	struct kvm_dbg *d = dbg_of(vm);
	bool want = step || d->gd.control;
	sw_insert(vm);
	int rc = kvm_loop(vm, ex, err, want);
	sw_remove(vm);
	(void)k;
	if (rc == 0 && want && ex->kind == RAX_EXIT_STEP)
		debug_exit_why(vm, ex);
	return rc;
}

static int kvm_debug_step(struct rax_vm *vm, unsigned i, struct rax_exit *ex, struct rax_err *err)
{
	struct kvm_ctx *k = ctx_of(vm);
	if (i != 0)
		return rax_errf(err, RAX_STATUS_USAGE, "KVM: only CPU 0 can be single-stepped (thread 1)");
	struct rax_cpu_state s;
	if (vcpu_get_state(bsp(k), &s, err) < 0)
		return -1;
	/* where the probe found that KVM does not stop after one instruction,
	 * a step would run the guest away: refuse it (one CPU: the probe may run) */
	if (k->ncpus == 1) {
		const struct kvm_caps *caps = kvm_probe();
		const struct kvm_finding *f = cpu_state_cpl(&s) == 3 ? &caps->singlestep_cpl3 : &caps->singlestep;
		if (!f->ok)
			return rax_errf(err, RAX_STATUS_HOST, "this host's KVM cannot single-step CPL%u code: %s",
					cpu_state_cpl(&s), f->why);
	}
	if (guest_debug_set(k, true, err) < 0)
		return -1;
	bsp_enter(k, false);
	int rc = kvm_debug_loop(vm, ex, err, true);
	bsp_leave(k);
	struct rax_err e2 = { 0 };
	guest_debug_set(k, false, &e2);
	return rc;
}

static int kvm_run_debug(struct rax_vm *vm, struct rax_exit *ex, struct rax_err *err)
{
	struct kvm_ctx *k = ctx_of(vm);
	if (aps_start(k, err) < 0)
		return -1;
	bsp_enter(k, true);
	int rc = kvm_debug_loop(vm, ex, err, false);
	bsp_leave(k);
	return rc;
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
	.cpu_get_state = kvm_cpu_get_state,
	.cpu_set_state = kvm_cpu_set_state,
	.cpu_translate = kvm_cpu_translate,
	.debug_step = kvm_debug_step,
	.set_breakpoints = kvm_set_breakpoints,
};
