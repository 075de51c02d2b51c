/*
 * native_exec.c - see native_exec.h.
 */
#define _GNU_SOURCE
#include "native_exec.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

_Static_assert(__builtin_offsetof(struct nx_state, mm) == 512, "layout used by the stub");
_Static_assert(__builtin_offsetof(struct nx_state, gpr) == 576, "layout used by the stub");
_Static_assert(__builtin_offsetof(struct nx_state, rflags) == 704, "layout used by the stub");
_Static_assert(__builtin_offsetof(struct nx_state, mxcsr) == 712, "layout used by the stub");
_Static_assert(__builtin_offsetof(struct nx_state, code) == 720, "layout used by the stub");

void nx_run_xmm(struct nx_state *s);
void nx_run_ymm(struct nx_state *s);

/*
 * The stub: RDI points at the state; it stays on the stack (with the code
 * address above it) while every GPR but RSP is loaded, RDI last. After the
 * call the flags and the guest RDI are pushed, the state pointer comes back
 * from the stack and everything is stored.
 */
#define NX_LDX(n) "movdqu " #n "*32(%rdi), %xmm" #n "\n\t"
#define NX_STX(n) "movdqu %xmm" #n ", " #n "*32(%rdi)\n\t"
#define NX_LDY(n) "vmovdqu " #n "*32(%rdi), %ymm" #n "\n\t"
#define NX_STY(n) "vmovdqu %ymm" #n ", " #n "*32(%rdi)\n\t"
#define NX_LDM(n) "movq 512+" #n "*8(%rdi), %mm" #n "\n\t"
#define NX_STM(n) "movq %mm" #n ", 512+" #n "*8(%rdi)\n\t"
#define NX_LDG(i, r) "mov 576+" #i "*8(%rdi), %" #r "\n\t"
#define NX_STG(i, r) "mov %" #r ", 576+" #i "*8(%rdi)\n\t"
#define NX_EACH16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)
#define NX_EACH8(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7)
#define NX_GPRS(m)                                                                                                     \
	m(0, rax) m(1, rcx) m(2, rdx) m(3, rbx) m(5, rbp) m(6, rsi) m(8, r8) m(9, r9) m(10, r10) m(11, r11) m(12, r12) \
		m(13, r13) m(14, r14) m(15, r15)
// clang-format off
#define NX_STUB(name, LDV, STV, tail)                                                      \
	__asm__(".text\n\t"                                                                 \
		".globl " #name "\n\t"                                                      \
		".hidden " #name "\n\t"                                                     \
		".type " #name ", @function\n"                                              \
		#name ":\n\t"                                                               \
		"push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t" \
		"push %rdi\n\t"                                                             \
		"pushq 720(%rdi)\n\t"                                                       \
		NX_EACH16(LDV) NX_EACH8(NX_LDM)                                             \
		"ldmxcsr 712(%rdi)\n\t"                                                     \
		"pushq 704(%rdi)\n\tpopfq\n\t"                                              \
		NX_GPRS(NX_LDG) NX_LDG(7, rdi)                                              \
		"call *(%rsp)\n\t"                                                          \
		"pushfq\n\t"                                                                \
		"push %rdi\n\t"                                                             \
		"mov 24(%rsp), %rdi\n\t"                                                    \
		"popq 576+7*8(%rdi)\n\t"                                                    \
		"popq 704(%rdi)\n\t"                                                        \
		NX_GPRS(NX_STG)                                                             \
		"stmxcsr 712(%rdi)\n\t"                                                     \
		NX_EACH16(STV) NX_EACH8(NX_STM)                                             \
		"emms\n\t"                                                                  \
		tail                                                                        \
		"add $16, %rsp\n\t"                                                         \
		"pushq $0x1f80\n\tldmxcsr (%rsp)\n\tpop %rax\n\t"                           \
		"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"  \
		"ret\n\t"                                                                   \
		".size " #name ", .-" #name "\n\t")
NX_STUB(nx_run_xmm, NX_LDX, NX_STX, "");
NX_STUB(nx_run_ymm, NX_LDY, NX_STY, "vzeroupper\n\t");
// clang-format on

/* ---------------- native ---------------- */

uint8_t *nx_mem;
static unsigned nx_flags;
static uint8_t *nx_code, *nx_pages;
static bool nx_rwx; /* one writable and executable mapping, else mprotect per case */
static sigjmp_buf nx_jb;
static volatile int nx_sig, nx_si_code;
static void *volatile nx_addr;
static struct nx_state nx_fs; /* the registers at the fault */

static void nx_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	const uint8_t *fx = (const uint8_t *)uc->uc_mcontext.fpregs;
	memset(&nx_fs, 0, sizeof(nx_fs));
	if (fx) {
		uint32_t magic, mx;
		uint64_t bv = 0;
		memcpy(&magic, fx + 464, 4);
		if (magic == 0x46505853u) /* FP_XSTATE_MAGIC1: an XSAVE image follows */
			memcpy(&bv, fx + 512, 8);
		for (unsigned r = 0; r < 16; r++) {
			memcpy(nx_fs.ymm[r], fx + 160 + 16 * r, 16);
			if (bv & 4)
				memcpy(nx_fs.ymm[r] + 16, fx + 576 + 16 * r, 16);
		}
		memcpy(&mx, fx + 24, 4);
		nx_fs.mxcsr = mx;
	}
	nx_fs.gpr[0] = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
	nx_fs.gpr[1] = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
	nx_fs.gpr[2] = (uint64_t)uc->uc_mcontext.gregs[REG_RDX];
	nx_sig = sig;
	nx_si_code = si->si_code;
	nx_addr = si->si_addr;
	siglongjmp(nx_jb, 1);
}

static const int nx_signals[] = { SIGFPE, SIGSEGV, SIGILL, SIGBUS };

void nx_init(unsigned flags)
{
	nx_flags = flags;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = nx_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	for (unsigned i = 0; i < 4; i++)
		sigaction(nx_signals[i], &sa, NULL);
	nx_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	nx_rwx = nx_code != MAP_FAILED;
	if (!nx_rwx)
		nx_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	nx_pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (nx_code == MAP_FAILED || nx_pages == MAP_FAILED)
		abort();
	if (flags & NX_EDGE)
		mprotect(nx_pages + 4096, 4096, PROT_NONE);
	nx_mem = nx_pages + 4096 - NX_MEMN;
}

void nx_fini(void)
{
	for (unsigned i = 0; i < 4; i++)
		signal(nx_signals[i], SIG_DFL);
	munmap(nx_code, 4096);
	munmap(nx_pages, 8192);
}

int nx_guard(void (*fn)(void *), void *arg)
{
	nx_sig = 0;
	if (sigsetjmp(nx_jb, 1)) {
		__asm__ volatile("emms");
		if (nx_flags & NX_YMM)
			__asm__ volatile("vzeroupper");
		int sig = nx_sig;
		if (sig == SIGFPE)
			return V_XM;
		if (sig == SIGILL)
			return V_UD;
		/* #GP arrives as SIGSEGV with SI_KERNEL, #PF with SEGV_MAPERR/ACCERR
		 * and CR2 in si_addr */
		if ((nx_flags & NX_EDGE) && sig == SIGSEGV && nx_si_code != SI_KERNEL)
			return V_PF;
		return V_GP;
	}
	fn(arg);
	return V_NONE;
}

static void nx_stub(void *s)
{
	if (nx_flags & NX_YMM)
		nx_run_ymm(s);
	else
		nx_run_xmm(s);
}

int nx_exec(const uint8_t *code, size_t n, struct nx_state *s)
{
	if (!nx_rwx)
		mprotect(nx_code, 4096, PROT_READ | PROT_WRITE);
	memcpy(nx_code, code, n);
	nx_code[n] = 0xc3; /* ret */
	if (!nx_rwx)
		mprotect(nx_code, 4096, PROT_READ | PROT_EXEC);
	s->code = nx_code;
	if (nx_flags & NX_ADDR) {
		s->gpr[RAX_REG_RBX] += (uint64_t)(uintptr_t)nx_mem;
		s->gpr[RAX_REG_RDI] += (uint64_t)(uintptr_t)nx_mem;
	}
	int v = nx_guard(nx_stub, s);
	if (v == V_XM)
		s->mxcsr = nx_fs.mxcsr;
	if (v == V_PF)
		s->fault = (uint64_t)((uint8_t *)nx_addr - nx_mem);
	return v;
}

void nx_at_fault(struct nx_state *s)
{
	memcpy(s->ymm, nx_fs.ymm, sizeof(s->ymm));
	memcpy(s->gpr, nx_fs.gpr, 3 * 8);
	s->mxcsr = nx_fs.mxcsr;
}

/* ---------------- emulator ---------------- */

void nx_vm_fresh(struct tvm *t, unsigned flags)
{
	tv_free(t);
	tv_init(t);
	t->s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (flags & NX_YMM) {
		t->s.cr4 |= CR4_OSXSAVE;
		t->s.xcr0 = 7; /* x87 SSE AVX */
	}
	if (flags & NX_EDGE) {
		/* 4K pages for the 2 MiB at TV_DATA: all present but the second */
		tv_w64(t, TV_PD + 8 * (TV_DATA >> 21), TV_PT | 7);
		for (uint64_t i = 0; i < 512; i++)
			tv_w64(t, TV_PT + 8 * i, i == 1 ? 0 : (TV_DATA + (i << 12)) | 7);
	}
}

void nx_emu_code(struct tvm *t, const uint8_t *code, size_t n)
{
	uint8_t b[32];
	memcpy(b, code, n);
	b[n] = 0xf4;
	tv_code(t, b, n + 1);
}

int nx_emu_run(struct tvm *t, size_t n)
{
	enum rax_exit_kind k = tv_run(t);
	if (k == RAX_EXIT_HLT && t->s.rip == TV_CODE + n + 1)
		return V_NONE;
	int v = tv_vector(t);
	return v < 0 ? 100 + (int)k : v; /* no exception, no clean end (internal) */
}

static bool nx_is_addr(unsigned flags, unsigned r)
{
	return (flags & NX_ADDR) && (r == RAX_REG_RBX || r == RAX_REG_RDI);
}

void nx_emu_load(struct tvm *t, const struct nx_state *s, unsigned flags)
{
	for (unsigned r = 0; r < 16; r++) {
		memcpy(t->s.fpu.xmm[r], s->ymm[r], 16);
		if (flags & NX_YMM)
			memcpy(t->s.fpu.ymmh[r], s->ymm[r] + 16, 16);
	}
	if (flags & NX_MMX) {
		for (unsigned i = 0; i < 8; i++) {
			memcpy(t->s.fpu.st[i], &s->mm[i], 8);
			t->s.fpu.st[i][8] = t->s.fpu.st[i][9] = 0xff;
		}
		t->s.fpu.fsw = 0;
		t->s.fpu.ftw = 0xff;
	}
	t->s.fpu.mxcsr = s->mxcsr;
	for (unsigned r = 0; r < 16; r++)
		if (r != RAX_REG_RSP)
			t->s.gpr[r] = s->gpr[r] + (nx_is_addr(flags, r) ? nx_gpa(flags) : 0);
	t->s.rflags = (s->rflags & 0x8d5) | 2;
}

void nx_emu_save(struct tvm *t, struct nx_state *s, unsigned flags)
{
	for (unsigned r = 0; r < 16; r++) {
		memcpy(s->ymm[r], t->s.fpu.xmm[r], 16);
		if (flags & NX_YMM)
			memcpy(s->ymm[r] + 16, t->s.fpu.ymmh[r], 16);
	}
	if (flags & NX_MMX) {
		unsigned top = (t->s.fpu.fsw >> 11) & 7;
		for (unsigned i = 0; i < 8; i++)
			memcpy(&s->mm[i], t->s.fpu.st[(i - top) & 7], 8);
	}
	s->mxcsr = t->s.fpu.mxcsr;
	for (unsigned r = 0; r < 16; r++)
		if (r != RAX_REG_RSP)
			s->gpr[r] = t->s.gpr[r];
	s->rflags = t->s.rflags;
	s->fault = t->s.cr2 - nx_gpa(flags);
}

int nx_emu_exec(struct tvm *t, const uint8_t *code, size_t n, struct nx_state *s, uint8_t *mem, unsigned flags)
{
	nx_emu_code(t, code, n);
	memcpy(tv_ptr(t, nx_gpa(flags)), mem, NX_MEMN);
	nx_emu_load(t, s, flags);
	int v = nx_emu_run(t, n);
	nx_emu_save(t, s, flags);
	memcpy(mem, tv_ptr(t, nx_gpa(flags)), NX_MEMN);
	return v;
}

/* ---------------- comparison ---------------- */

bool nx_same(const struct nx_state *a, const struct nx_state *b, const uint8_t *ma, const uint8_t *mb, uint64_t fmask,
	     unsigned flags, char *why)
{
	unsigned w = (flags & NX_YMM) ? 32 : 16;
	for (unsigned i = 0; i < 16; i++)
		if (memcmp(a->ymm[i], b->ymm[i], w)) {
			uint64_t x[4], y[4];
			memcpy(x, a->ymm[i], 32);
			memcpy(y, b->ymm[i], 32);
			if (w == 16)
				sprintf(why, "xmm%u native %016llx:%016llx emu %016llx:%016llx", i,
					(unsigned long long)x[1], (unsigned long long)x[0], (unsigned long long)y[1],
					(unsigned long long)y[0]);
			else
				sprintf(why,
					"ymm%u native %016llx:%016llx:%016llx:%016llx emu %016llx:%016llx:%016llx:%016llx",
					i, (unsigned long long)x[3], (unsigned long long)x[2], (unsigned long long)x[1],
					(unsigned long long)x[0], (unsigned long long)y[3], (unsigned long long)y[2],
					(unsigned long long)y[1], (unsigned long long)y[0]);
			return false;
		}
	for (unsigned i = 0; (flags & NX_MMX) && i < 8; i++)
		if (a->mm[i] != b->mm[i]) {
			sprintf(why, "mm%u native %016llx emu %016llx", i, (unsigned long long)a->mm[i],
				(unsigned long long)b->mm[i]);
			return false;
		}
	for (unsigned i = 0; i < 3; i++) /* rax rcx rdx */
		if (a->gpr[i] != b->gpr[i]) {
			sprintf(why, "gpr%u native %016llx emu %016llx", i, (unsigned long long)a->gpr[i],
				(unsigned long long)b->gpr[i]);
			return false;
		}
	if ((a->rflags ^ b->rflags) & fmask) {
		sprintf(why, "rflags native %llx emu %llx", (unsigned long long)a->rflags,
			(unsigned long long)b->rflags);
		return false;
	}
	if (a->mxcsr != b->mxcsr) {
		sprintf(why, "mxcsr native %x emu %x", a->mxcsr, b->mxcsr);
		return false;
	}
	for (unsigned i = 0; i < NX_MEMN; i++)
		if (ma[i] != mb[i]) {
			sprintf(why, "memory +0x%x native %02x emu %02x", i, ma[i], mb[i]);
			return false;
		}
	return true;
}

bool nx_case_run(struct nx_case *c, nx_emu_fn emu, uint64_t fmask, unsigned flags)
{
	c->ns = c->s0;
	c->es = c->s0;
	memcpy(nx_mem, c->m0, NX_MEMN);
	memcpy(c->em, c->m0, NX_MEMN);
	c->nv = nx_exec(c->code, c->n, &c->ns);
	c->ev = emu(c->code, c->n, &c->es, c->em);
	c->why[0] = 0;
	if (c->nv != c->ev) {
		sprintf(c->why, "native vector %d, emulator %d", c->nv, c->ev);
		return false;
	}
	if (c->nv == V_NONE)
		return nx_same(&c->ns, &c->es, nx_mem, c->em, fmask, flags, c->why);
	if (flags & NX_FAULT_REGS) {
		/* the registers at the fault (flags aside) and the memory */
		nx_at_fault(&c->ns);
		if (!nx_same(&c->ns, &c->es, nx_mem, c->em, 0, flags, c->why))
			return false;
	} else {
		if ((flags & NX_FAULT_MXCSR) && c->nv == V_XM && c->ns.mxcsr != c->es.mxcsr) {
			sprintf(c->why, "#XM mxcsr native %x emu %x", c->ns.mxcsr, c->es.mxcsr);
			return false;
		}
		if (flags & NX_FAULT_MXCSR)
			c->s0.mxcsr = c->es.mxcsr; /* a fault changes nothing but MXCSR flags */
		if (!nx_same(&c->s0, &c->es, c->m0, c->em, 0x8d5, flags, c->why))
			return false; /* else a fault changes nothing */
	}
	if (c->nv == V_PF && c->ns.fault != c->es.fault) {
		sprintf(c->why, "#PF address: native +0x%llx emulator +0x%llx", (unsigned long long)c->ns.fault,
			(unsigned long long)c->es.fault);
		return false;
	}
	return true;
}

void nx_report(const char *what, const char *name, const uint8_t *code, size_t n, long mxcsr, const char *why)
{
	char hx[64] = "";
	for (size_t i = 0; i < n && i < 16; i++)
		sprintf(hx + 3 * i, "%02x ", code[i]);
	if (mxcsr >= 0)
		fprintf(stderr, "%s %s [%s] mxcsr %lx: %s\n", what, name, hx, (unsigned long)mxcsr, why);
	else
		fprintf(stderr, "%s %s [%s]: %s\n", what, name, hx, why);
}

/* ---------------- host ---------------- */

void nx_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

bool nx_host_amd(void)
{
	uint32_t r[4];
	nx_cpuid(0, 0, r);
	return r[1] == 0x68747541 && r[3] == 0x69746e65 && r[2] == 0x444d4163; /* AuthenticAMD */
}

bool nx_host_avx(uint32_t ecx1)
{
	uint32_t r[4], lo, hi;
	nx_cpuid(1, 0, r);
	uint32_t need = ecx1 | (1u << 27) | (1u << 28); /* OSXSAVE AVX */
	if ((r[2] & need) != need)
		return false;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}
