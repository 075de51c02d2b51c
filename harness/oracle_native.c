/*
 * oracle_native.c - the real CPU at CPL3 through ptrace.
 *
 * A forked child maps the image's regions at their guest-virtual
 * addresses, installs fault handlers on an alternate signal stack and stops.
 * The parent then owns it: PTRACE_SETREGS loads the test's GPRs, RIP and
 * RFLAGS, PTRACE_SINGLESTEP runs one instruction under the trap flag.
 *
 * A fault arrives as a signal-delivery stop. To learn the x86 vector, error
 * code and CR2 exactly (siginfo does not carry them), the parent lets the
 * signal reach the child's handler, which copies trapno/err/cr2 from its
 * ucontext and stops again; the parent then puts back the registers and
 * x87/SSE state of the fault stop. The handler runs on its own stack, so the
 * test's stack and memory are never touched.
 *
 * Address constraint: regions must lie in [NATIVE_MIN_ADDR, NATIVE_MAX_ADDR)
 * (vm.mmap_min_addr below, rax-diff's own PIE, heap, libraries and stack far
 * above); MAP_FIXED_NOREPLACE turns any other collision into a clear error.
 */
#define _GNU_SOURCE
#include "oracle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <cpuid.h>
#include <ucontext.h>
#include <unistd.h>

#include "emu/decode.h"
#include "flagmask.h"
#include "vm.h"

/* Filled by the child's fault handler, read by the parent (same address after fork). */
struct native_fault {
	volatile uint64_t seq;
	volatile int64_t trapno, err, cr2, signo, code;
};
static struct native_fault native_fault_info;

/* The child's XSAVE image through PTRACE_GETREGSET NT_X86_XSTATE: the
 * standard format, XSTATE_BV at 512 and AVX at 576 on every x86 host. */
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#define NATIVE_XSTATE_MAX 16384
#define NATIVE_XS_BV 512
#define NATIVE_XS_AVX 576

struct native {
	pid_t pid;
	int memfd; /* /proc/PID/mem for writes (ignores page protections) */
	struct user_regs_struct regs;
	bool regs_valid;
	struct user_fpregs_struct fp; /* x87/SSE (the FXSAVE legacy area) */
	bool fp_valid;
	/* AVX: the YMM upper halves, from the child's XSAVE image (NT_X86_XSTATE) */
	uint8_t ymmh[16][16];
	/* the child's own TLS bases: its fault handler runs libc code */
	unsigned long long own_fs_base, own_gs_base;
	/* the test's IF: a host process always runs with IF=1, PUSHF must not show it */
	uint64_t vif;
};

static void native_fault_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	native_fault_info.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	native_fault_info.err = uc->uc_mcontext.gregs[REG_ERR];
	native_fault_info.cr2 = (int64_t)(uintptr_t)si->si_addr;
	native_fault_info.signo = sig;
	native_fault_info.code = si->si_code;
	native_fault_info.seq++;
	raise(SIGSTOP);
	/* the parent never lets us return: it restores the test's registers */
	for (;;)
		pause();
}

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };

/* The child: map, fill, protect, install handlers, stop. Never returns. */
static _Noreturn void child_main(const struct native_region *r, unsigned n, int errfd)
{
	char msg[256];
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (unsigned i = 0; i < n; i++) {
		void *want = (void *)(uintptr_t)r[i].addr;
		void *p = mmap(want, r[i].size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != want) {
			int e = p == MAP_FAILED ? errno : EEXIST;
			int len = snprintf(
				msg, sizeof(msg), "native oracle: cannot map region 0x%llx-0x%llx in the child: %s%s",
				(unsigned long long)r[i].addr, (unsigned long long)(r[i].addr + r[i].size), strerror(e),
				e == EEXIST ? " (collides with a mapping of rax-diff itself)" : "");
			if (write(errfd, msg, (size_t)len) < 0)
				_exit(3);
			_exit(2);
		}
		/* only the pages with data: the fresh mapping is zero, and
		 * touching the rest (most of a 2 MiB stack or region) costs a
		 * page fault each */
		static const uint8_t zero[4096];
		for (uint64_t off = 0; off < r[i].size; off += sizeof(zero))
			if (memcmp(r[i].data + off, zero, sizeof(zero)))
				memcpy((uint8_t *)p + off, r[i].data + off, sizeof(zero));
		int prot = PROT_READ | (r[i].write ? PROT_WRITE : 0) | (r[i].exec ? PROT_EXEC : 0);
		mprotect(p, r[i].size, prot);
	}
	static uint8_t altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = native_fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigaction(fault_signals[i], &sa, NULL);
	close(errfd);
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		_exit(4);
	raise(SIGSTOP);
	_exit(5); /* only reached if the parent detaches */
}

static struct native *nat(struct oracle *o) { return o->priv; }

/* Wait for the next stop; -1 with err when the child is gone. */
static int wait_stop(struct native *k, int *sig, struct rax_err *err)
{
	int st;
	for (;;) {
		pid_t w = waitpid(k->pid, &st, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return rax_errf(err, RAX_STATUS_HOST, "native oracle: waitpid: %s", strerror(errno));
		break;
	}
	if (WIFSTOPPED(st)) {
		*sig = WSTOPSIG(st);
		return 0;
	}
	k->pid = -1;
	if (WIFSIGNALED(st))
		return rax_errf(err, RAX_STATUS_INTERNAL, "native oracle: child killed by signal %d", WTERMSIG(st));
	return rax_errf(err, RAX_STATUS_INTERNAL, "native oracle: child exited with status %d", WEXITSTATUS(st));
}

static int get_regs(struct native *k, struct rax_err *err)
{
	if (ptrace(PTRACE_GETREGS, k->pid, 0, &k->regs) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "native oracle: PTRACE_GETREGS: %s", strerror(errno));
	k->regs_valid = true;
	return 0;
}

static int put_regs(struct native *k, struct rax_err *err)
{
	if (ptrace(PTRACE_SETREGS, k->pid, 0, &k->regs) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "native oracle: PTRACE_SETREGS: %s", strerror(errno));
	return 0;
}

static unsigned long long *reg_slot(struct user_regs_struct *u, int i)
{
	unsigned long long *map[RAX_NGPR] = { &u->rax, &u->rcx, &u->rdx, &u->rbx, &u->rsp, &u->rbp, &u->rsi, &u->rdi,
					      &u->r8,  &u->r9,  &u->r10, &u->r11, &u->r12, &u->r13, &u->r14, &u->r15 };
	return map[i];
}

#define NATIVE_RFLAGS_BITS (RFLAGS_STATUS | RFLAGS_DF)

static int native_read(struct oracle *o, uint64_t addr, void *buf, size_t len)
{
	struct native *k = nat(o);
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t r = process_vm_readv(k->pid, &local, 1, &remote, 1, 0);
	return r == (ssize_t)len ? 0 : -1;
}

static int native_write(struct oracle *o, uint64_t addr, const void *buf, size_t len)
{
	struct native *k = nat(o);
	ssize_t r = pwrite(k->memfd, buf, len, (off_t)addr);
	return r == (ssize_t)len ? 0 : -1;
}

/* The child's YMM upper halves (zeros when it has none); false when the
 * host cannot say (no XSAVE image: then it has no AVX state either). */
static bool get_ymmh(struct native *k, uint8_t ymmh[16][16])
{
	memset(ymmh, 0, 16 * 16);
	uint8_t xs[NATIVE_XSTATE_MAX];
	struct iovec iov = { xs, sizeof(xs) };
	if (ptrace(PTRACE_GETREGSET, k->pid, (void *)NT_X86_XSTATE, &iov) < 0 || iov.iov_len < NATIVE_XS_AVX + 256)
		return false;
	uint64_t bv;
	memcpy(&bv, xs + NATIVE_XS_BV, 8);
	if (bv & XFEATURE_AVX)
		memcpy(ymmh, xs + NATIVE_XS_AVX, 16 * 16);
	return true;
}

/* x87/SSE state: PTRACE_GETFPREGS/SETFPREGS (FXSAVE layout, ST(i) in stack order). */
static int get_fp(struct native *k, struct rax_err *err)
{
	if (k->fp_valid)
		return 0;
	if (ptrace(PTRACE_GETFPREGS, k->pid, 0, &k->fp) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "native oracle: PTRACE_GETFPREGS: %s", strerror(errno));
	get_ymmh(k, k->ymmh);
	k->fp_valid = true;
	return 0;
}

/* The YMM upper halves into the child's XSAVE image, only when they
 * differ from what the child has: on the AMD host measured, a
 * PTRACE_SETREGSET of the XSAVE image leaves the child's SSE component "in
 * use" for XSAVE's XSTATE_BV for good (even after an XRSTOR of its initial
 * state), which PTRACE_SETFPREGS does not. (A host without AVX has no YMM
 * state: then only zeros can be set, which is the state it has.) */
static int put_ymmh(struct native *k, const uint8_t ymmh[16][16], struct rax_err *err)
{
	static const uint8_t zero[16 * 16];
	/* read what the child has now (a signal handler's entry resets it,
	 * so no cached copy will do) */
	uint8_t xs[NATIVE_XSTATE_MAX];
	struct iovec iov = { xs, sizeof(xs) };
	if (ptrace(PTRACE_GETREGSET, k->pid, (void *)NT_X86_XSTATE, &iov) < 0 || iov.iov_len < NATIVE_XS_AVX + 256)
		return memcmp(ymmh, zero, sizeof(zero)) ? rax_errf(err, RAX_STATUS_HOST,
								   "native oracle: the host has no AVX state for the "
								   "YMM upper halves")
							: 0;
	uint64_t bv;
	memcpy(&bv, xs + NATIVE_XS_BV, 8);
	if ((bv & XFEATURE_AVX) ? !memcmp(xs + NATIVE_XS_AVX, ymmh, 16 * 16) : !memcmp(ymmh, zero, sizeof(zero))) {
		memcpy(k->ymmh, ymmh, sizeof(k->ymmh));
		return 0;
	}
	bv |= XFEATURE_AVX;
	memcpy(xs + NATIVE_XS_BV, &bv, 8);
	memcpy(xs + NATIVE_XS_AVX, ymmh, 16 * 16);
	if (ptrace(PTRACE_SETREGSET, k->pid, (void *)NT_X86_XSTATE, &iov) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "native oracle: PTRACE_SETREGSET NT_X86_XSTATE: %s",
				strerror(errno));
	memcpy(k->ymmh, ymmh, sizeof(k->ymmh));
	return 0;
}

static void fp_to_state(const struct user_fpregs_struct *fp, struct rax_fpu_state *f)
{
	f->fcw = fp->cwd;
	f->fsw = fp->swd;
	f->ftw = (uint8_t)fp->ftw;
	f->fop = fp->fop;
	f->fip = fp->rip;
	f->fdp = fp->rdp;
	f->mxcsr = fp->mxcsr;
	for (unsigned i = 0; i < 8; i++) {
		memset(f->st[i], 0, sizeof(f->st[i]));
		memcpy(f->st[i], (const uint8_t *)fp->st_space + 16 * i, 10);
	}
	memcpy(f->xmm, fp->xmm_space, sizeof(f->xmm));
}

static int put_fp(struct native *k, const struct rax_fpu_state *f, struct rax_err *err)
{
	if (get_fp(k, err) < 0)
		return -1;
	struct user_fpregs_struct *fp = &k->fp;
	fp->cwd = f->fcw;
	fp->swd = f->fsw;
	fp->ftw = f->ftw;
	fp->fop = f->fop;
	fp->rip = f->fip;
	fp->rdp = f->fdp;
	fp->mxcsr = f->mxcsr;
	for (unsigned i = 0; i < 8; i++) {
		memset((uint8_t *)fp->st_space + 16 * i, 0, 16);
		memcpy((uint8_t *)fp->st_space + 16 * i, f->st[i], 10);
	}
	memcpy(fp->xmm_space, f->xmm, sizeof(f->xmm));
	if (ptrace(PTRACE_SETFPREGS, k->pid, 0, fp) < 0) {
		k->fp_valid = false;
		return rax_errf(err, RAX_STATUS_HOST,
				"native oracle: PTRACE_SETFPREGS: %s (MXCSR 0x%x outside the host's MXCSR_MASK 0x%x?)",
				strerror(errno), f->mxcsr, fp->mxcr_mask);
	}
	return put_ymmh(k, f->ymmh, err);
}

static int native_get_state(struct oracle *o, struct rax_cpu_state *s, struct rax_err *err)
{
	struct native *k = nat(o);
	if (!k->regs_valid && get_regs(k, err) < 0)
		return -1;
	if (get_fp(k, err) < 0)
		return -1;
	fp_to_state(&k->fp, &s->fpu);
	memcpy(s->fpu.ymmh, k->ymmh, sizeof(s->fpu.ymmh));
	for (int i = 0; i < RAX_NGPR; i++)
		s->gpr[i] = *reg_slot(&k->regs, i);
	s->rip = k->regs.rip;
	s->rflags = (s->rflags & ~(uint64_t)NATIVE_RFLAGS_BITS) | (k->regs.eflags & NATIVE_RFLAGS_BITS);
	s->seg[RAX_SEG_FS].base = k->regs.fs_base;
	s->seg[RAX_SEG_GS].base = k->regs.gs_base;
	return 0;
}

static int native_set_state(struct oracle *o, const struct rax_cpu_state *s, struct rax_err *err)
{
	struct native *k = nat(o);
	if (!k->regs_valid && get_regs(k, err) < 0)
		return -1;
	for (int i = 0; i < RAX_NGPR; i++)
		*reg_slot(&k->regs, i) = s->gpr[i];
	k->regs.rip = s->rip;
	/* TF belongs to ptrace here (tests starting with TF are refused at open) */
	k->regs.eflags = (k->regs.eflags & ~(unsigned long long)(NATIVE_RFLAGS_BITS | RFLAGS_TF)) |
		(s->rflags & NATIVE_RFLAGS_BITS);
	k->regs.fs_base = s->seg[RAX_SEG_FS].base;
	k->regs.gs_base = s->seg[RAX_SEG_GS].base;
	k->regs.orig_rax = (unsigned long long)-1; /* never restart a system call */
	k->vif = s->rflags & RFLAGS_IF;
	if (put_fp(k, &s->fpu, err) < 0)
		return -1;
	return put_regs(k, err);
}

/* Decode the child's instruction at rip. */
static bool decode_at(struct oracle *o, uint64_t rip, struct emu_insn *in)
{
	uint8_t b[15];
	unsigned avail = 15;
	while (avail && native_read(o, rip, b, avail) < 0)
		avail--;
	return avail && emu_decode_level(b, avail, EMU_MODE_64, RAX_CPU_LEVEL_MAX, in) == EMU_DEC_OK;
}

/* Let the pending fault signal reach the child's handler to learn vector, error, CR2. */
static int fault_details(struct oracle *o, int sig, struct oracle_result *r, struct rax_err *err)
{
	struct native *k = nat(o);
	struct user_regs_struct saved = k->regs;
	struct user_fpregs_struct fp;
	bool have_fp = ptrace(PTRACE_GETFPREGS, k->pid, 0, &fp) == 0;
	/* the YMM upper halves too: the handler's entry resets them */
	uint8_t ymmh[16][16];
	bool have_ymmh = get_ymmh(k, ymmh);
	struct native_fault before;
	if (native_read(o, (uint64_t)(uintptr_t)&native_fault_info, &before, sizeof(before)) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "native oracle: cannot read the child's fault record");
	k->regs.fs_base = k->own_fs_base;
	k->regs.gs_base = k->own_gs_base;
	if (put_regs(k, err) < 0)
		return -1;
	if (ptrace(PTRACE_CONT, k->pid, 0, (void *)(uintptr_t)sig) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "native oracle: PTRACE_CONT: %s", strerror(errno));
	int s2;
	if (wait_stop(k, &s2, err) < 0)
		return -1;
	struct native_fault f;
	if (s2 != SIGSTOP || native_read(o, (uint64_t)(uintptr_t)&native_fault_info, &f, sizeof(f)) < 0 ||
	    f.seq == before.seq)
		return rax_errf(err, RAX_STATUS_INTERNAL,
				"native oracle: fault handler did not report (signal %d, then %d)", sig, s2);
	k->regs = saved;
	if (put_regs(k, err) < 0)
		return -1;
	if (have_fp)
		ptrace(PTRACE_SETFPREGS, k->pid, 0, &fp);
	if (have_ymmh && put_ymmh(k, (const uint8_t(*)[16])ymmh, err) < 0)
		return -1;
	k->fp_valid = false;
	r->kind = ORACLE_EXCEPTION;
	r->vector = (int)f.trapno;
	r->error = (uint32_t)f.err;
	r->cr2 = f.trapno == 14 ? (uint64_t)f.cr2 : 0;
	snprintf(r->detail, sizeof(r->detail), "signal %d (si_code %d), trap %lld, error 0x%llx", (int)f.signo,
		 (int)f.code, (long long)f.trapno, (unsigned long long)f.err);
	return 0;
}

static int native_step(struct oracle *o, const struct oracle_hint *hint, struct oracle_result *r, struct rax_err *err)
{
	struct native *k = nat(o);
	memset(r, 0, sizeof(*r));
	if (!k->regs_valid && get_regs(k, err) < 0)
		return -1;
	uint64_t rip0 = k->regs.rip;
	struct emu_insn in;
	bool known = decode_at(o, rip0, &in);
	bool pushf = known && (insn_facts(&in) & EMU_F_PUSHF);
	if (known && (insn_facts(&in) & EMU_F_XCPUID)) {
		/*
		 * CPUID: this host's hypervisor emulates it and the trap flag is
		 * lost over it (the child would run one more instruction), so
		 * execute it here, on the same CPU model, and retire it in the child.
		 */
		unsigned a, b, c, d;
		__cpuid_count((unsigned)k->regs.rax, (unsigned)k->regs.rcx, a, b, c, d);
		k->regs.rax = a;
		k->regs.rbx = b;
		k->regs.rcx = c;
		k->regs.rdx = d;
		k->regs.rip += in.len;
		r->kind = ORACLE_STEPPED;
		return put_regs(k, err);
	}
	int sig;
	siginfo_t si;
	for (unsigned tries = 0;; tries++) {
		if (ptrace(PTRACE_SINGLESTEP, k->pid, 0, 0) < 0)
			return rax_errf(err, RAX_STATUS_HOST, "native oracle: PTRACE_SINGLESTEP: %s", strerror(errno));
		k->regs_valid = false;
		k->fp_valid = false;
		if (wait_stop(k, &sig, err) < 0)
			return -1;
		if (get_regs(k, err) < 0)
			return -1;
		memset(&si, 0, sizeof(si));
		ptrace(PTRACE_GETSIGINFO, k->pid, 0, &si);
		/*
		 * A VEX gather whose element faults: the CPU (AMD Zen 4 under
		 * ptrace) reports the single-step trap with RIP still at the
		 * gather and the elements before the fault done (an interrupted
		 * gather, which the SDM allows); stepping it again resumes it and
		 * raises the fault. The emulator never stops a gather midway.
		 */
		if (!(sig == SIGTRAP && si.si_code != SI_KERNEL && k->regs.rip == rip0 && known && in.vex &&
		      in.map == 2 && in.op >= 0x90 && in.op <= 0x93 && tries < 64))
			break;
	}
	if (sig == SIGTRAP && si.si_code != SI_KERNEL) {
		r->kind = ORACLE_STEPPED;
		if (pushf) {
			/* the CPU pushed our trap flag and the host's IF=1: show the test's own */
			uint64_t v;
			if (native_read(o, k->regs.rsp, &v, 8) == 0) {
				v = (v & ~(uint64_t)(RFLAGS_TF | RFLAGS_IF)) | k->vif;
				native_write(o, k->regs.rsp, &v, 8);
			}
		}
		return 0;
	}
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP)
		return fault_details(o, sig, r, err);
	r->kind = ORACLE_INTERNAL;
	snprintf(r->detail, sizeof(r->detail), "native child stopped by unexpected signal %d at rip 0x%llx", sig,
		 (unsigned long long)k->regs.rip);
	return 0;
}

static void native_close(struct oracle *o)
{
	struct native *k = nat(o);
	if (!k)
		return;
	if (k->pid > 0) {
		kill(k->pid, SIGKILL);
		int st;
		while (waitpid(k->pid, &st, __WALL) < 0 && errno == EINTR)
			;
	}
	if (k->memfd >= 0)
		close(k->memfd);
	free(k);
	o->priv = NULL;
}

/*
 * What a Linux process cannot run faithfully at CPL3: INT n enters CPL0
 * code (a gate that refuses CPL3 raises #GP(vector*8+2), synthesized here
 * from the guest's IDT, as the CPU does; INT3 raises #BP natively too),
 * SYSCALL with EFER.SCE set would be a real system call (without it #UD,
 * synthesized), SYSENTER/SYSEXIT are vendor-specific in long mode, and the
 * host kernel emulates SGDT/SIDT/SLDT/STR/SMSW (UMIP).
 */
/* x87 status word: exception summary */
#define FSW_ES 0x80

static enum oracle_pre native_precheck(struct oracle *o, const struct emu_insn *in, const struct rax_cpu_state *s,
				       struct rax_vm *emu, struct oracle_result *r)
{
	uint64_t f = insn_facts(in);
	if (f & EMU_F_INTN) {
		unsigned v = (unsigned)(in->imm & 0xff);
		uint8_t gate[16];
		if (s->idt.limit < v * 16 + 15 || guest_mem_read(&emu->mem, s->idt.base + v * 16, gate, 16) < 0 ||
		    ((gate[5] >> 5) & 3) < 3 || !(gate[5] & 0x80)) {
			/* the gate refuses CPL3 (or is absent): #GP(vector*8+2), as the CPU does */
			r->vector = 13;
			r->error = v * 8 + 2;
			return ORACLE_PRE_SYNTH;
		}
		if (v == 3)
			return ORACLE_PRE_STEP; /* int3 raises #BP natively too */
		snprintf(r->detail, sizeof(r->detail),
			 "int 0x%x through a DPL3 gate enters CPL0 code the native oracle cannot run", v);
		return ORACLE_PRE_CANNOT;
	}
	if (f & EMU_F_SYSCALL) {
		if (!(s->efer & EFER_SCE)) {
			r->vector = 6;
			r->error = 0;
			return ORACLE_PRE_SYNTH;
		}
		snprintf(r->detail, sizeof(r->detail), "syscall with EFER.SCE=1 would be a real system call natively");
		return ORACLE_PRE_CANNOT;
	}
	if (f & EMU_F_SYSENTER) {
		snprintf(r->detail, sizeof(r->detail),
			 "sysenter/sysexit cannot run in the native oracle (vendor-specific in long mode)");
		return ORACLE_PRE_CANNOT;
	}
	if (f & EMU_F_DBTRAP) {
		snprintf(r->detail, sizeof(r->detail),
			 "int1's #DB and the ptrace single-step trap are the same SIGTRAP to the native oracle");
		return ORACLE_PRE_CANNOT;
	}
	if ((f & EMU_F_X87ENV) && !(s->fpu.fsw & FSW_ES) && (s->fpu.fip || s->fpu.fdp || s->fpu.fop)) {
		/* measured: the same CPU run freely stores the real pointers;
		 * with them all zero (or FSW.ES=1) both sides agree */
		snprintf(r->detail, sizeof(r->detail),
			 "between ptrace steps the host kernel's XSAVE/XRSTOR zeroes FIP/FDP/FOP (AMD restores them "
			 "only while FSW.ES=1), so what this instruction stores is not the CPU's");
		return ORACLE_PRE_CANNOT;
	}
	if ((f & EMU_F_UMIP) || ((f & EMU_F_UMIPM) && in->mod != 3)) {
		snprintf(
			r->detail, sizeof(r->detail),
			"sgdt/sidt/sldt/str/smsw at CPL3 are emulated by the host kernel (UMIP): not checkable natively");
		return ORACLE_PRE_CANNOT;
	}
	return ORACLE_PRE_STEP;
}

/* The child's pages that hold memory, from /proc/PID/pagemap (present or
 * swapped): the others were never touched and read as zeros, so the final
 * memory comparison need not copy them out (which would allocate them). */
static int native_resident(struct oracle *o, uint64_t addr, size_t npages, uint8_t *out)
{
	struct native *k = nat(o);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)k->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	uint64_t ent[512];
	int rc = 0;
	for (size_t i = 0; i < npages && rc == 0;) {
		size_t n = npages - i < 512 ? npages - i : 512;
		ssize_t r = pread(fd, ent, n * 8, (off_t)((addr / 4096 + i) * 8));
		if (r != (ssize_t)(n * 8)) {
			rc = -1;
			break;
		}
		for (size_t j = 0; j < n; j++)
			out[i + j] = (ent[j] >> 62) != 0; /* bit 63 present, 62 swapped */
		i += n;
	}
	close(fd);
	return rc;
}

static const struct oracle_ops native_ops = {
	.name = "native",
	.caps = ORACLE_VIRT | ORACLE_CPL3 | ORACLE_FPU,
	.step = native_step,
	.get_state = native_get_state,
	.set_state = native_set_state,
	.read = native_read,
	.write = native_write,
	.close = native_close,
	.precheck = native_precheck,
	.resident = native_resident,
};

bool oracle_native_available(char *why, size_t n)
{
#if defined(__x86_64__)
	why[0] = 0;
	return true;
#else
	snprintf(why, n, "the native oracle needs an x86-64 host");
	return false;
#endif
}

int oracle_native_open(struct oracle *o, const struct native_region *r, unsigned n, const struct rax_cpu_state *st,
		       struct rax_err *err)
{
	memset(o, 0, sizeof(*o));
	for (unsigned i = 0; i < n; i++) {
		if (r[i].addr < NATIVE_MIN_ADDR || r[i].addr + r[i].size > NATIVE_MAX_ADDR ||
		    r[i].addr + r[i].size < r[i].addr)
			return rax_errf(err, RAX_STATUS_USAGE,
					"native oracle: region 0x%llx-0x%llx is outside [0x%llx, 0x%llx), "
					"the addresses a host process can map",
					(unsigned long long)r[i].addr, (unsigned long long)(r[i].addr + r[i].size),
					NATIVE_MIN_ADDR, NATIVE_MAX_ADDR);
	}
	if (st->rflags & (RFLAGS_TF | RFLAGS_AC))
		return rax_errf(err, RAX_STATUS_USAGE,
				"native oracle: an initial RFLAGS with TF or AC cannot be checked natively");
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return rax_errf(err, RAX_STATUS_HOST, "native oracle: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return rax_errf(err, RAX_STATUS_HOST, "native oracle: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(pfd[0]);
		child_main(r, n, pfd[1]);
	}
	close(pfd[1]);
	struct native *k = calloc(1, sizeof(*k));
	if (!k) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(pfd[0]);
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	}
	k->pid = pid;
	k->memfd = -1;
	o->priv = k;
	o->ops = &native_ops;
	o->caps = native_ops.caps;
	o->rflags_bits = NATIVE_RFLAGS_BITS;
	snprintf(o->name, sizeof(o->name), "native");
	int sig;
	if (wait_stop(k, &sig, err) < 0) {
		char msg[300];
		ssize_t m = read(pfd[0], msg, sizeof(msg) - 1);
		close(pfd[0]);
		if (m > 0) {
			msg[m] = 0;
			rax_errf(err, RAX_STATUS_USAGE, "%s", msg);
		}
		native_close(o);
		return -1;
	}
	close(pfd[0]);
	ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(uintptr_t)PTRACE_O_EXITKILL);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	k->memfd = open(path, O_RDWR | O_CLOEXEC);
	if (k->memfd < 0) {
		rax_errf(err, RAX_STATUS_HOST, "native oracle: open %s: %s", path, strerror(errno));
		native_close(o);
		return -1;
	}
	if (get_regs(k, err) < 0) {
		native_close(o);
		return -1;
	}
	k->own_fs_base = k->regs.fs_base;
	k->own_gs_base = k->regs.gs_base;
	struct rax_cpu_state tmp = *st;
	if (native_set_state(o, &tmp, err) < 0) {
		native_close(o);
		return -1;
	}
	return 0;
}
