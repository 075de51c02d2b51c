/*
 * test_emu_debug_native.c - the interpreter's debug traps at CPL3 against
 * the host CPU: each scenario runs as a ptrace'd child process with DR0-DR3
 * and DR7 set through PTRACE_POKEUSER (Linux turns them into the thread's
 * debug registers and reports each #DB as a SIGTRAP stop, DR6 through
 * PEEKUSER: Linux's "virtual DR6", the B0-B3 of its slots and BS), and on the
 * interpreter with the same registers in DR0-DR3/DR7 (each #DB reaches the
 * test VM's handler, whose frame is read and resumed as Linux resumes the
 * child: TF cleared, RF set after an execution breakpoint). The list of
 * events, {RIP, DR6's B0-B3 and BS, RCX}, must be the same.
 *
 * What the host lets a process observe limits the scenarios: data and
 * execution breakpoints on aligned addresses (Linux refuses misaligned
 * ones and I/O breakpoints), single-step through POPF. Where the host
 * refuses hardware breakpoints altogether the test says so and passes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_emu_util.h"
#include "unit.h"

#define CODE 0xa00000ull
#define DATA 0xb00000ull
#define STACK 0xc00000ull
#define STACK_TOP (STACK + 0x1000)
#define MAXEV 16

struct scen {
	const char *name;
	const char *hex; /* ends with ud2 */
	uint64_t dr[4];
	uint64_t dr7;
};

struct ev {
	uint64_t rip, dr6, rcx;
};

/* DR7: slot n enabled with R/W rw and LEN len */
#define SLOT(n, rw, len) \
	((1ull << (2 * (n))) | ((uint64_t)(rw) << (16 + 4 * (n))) | ((uint64_t)(len) << (18 + 4 * (n))))

static const struct scen scens[] = {
	{ "write LEN 4: the store, a word inside, a dword across its start",
	  "89 43 08 89 43 0c 66 89 43 0a 89 43 06 0f 0b",
	  { DATA + 8 },
	  SLOT(0, 1, 3) },
	{ "read/write LEN 8: load, miss, RMW, a qword across its start",
	  "8b 43 14 89 43 18 00 43 10 8b 43 0c 48 8b 43 0c 0f 0b",
	  { 0, DATA + 0x10 },
	  SLOT(1, 3, 2) },
	{ "execution: fault before, RF after", "90 90 90 ff c1 ff c1 0f 0b", { 0, 0, CODE + 3 }, SLOT(2, 0, 0) },
	{ "REP MOVSB: after the iteration",
	  "48 8d 33 48 8d bb 00 01 00 00 b9 40 00 00 00 f3 a4 0f 0b",
	  { 0, 0, 0, DATA + 0x128 },
	  SLOT(3, 1, 0) },
	{ "REP STOSQ: after the iteration",
	  "48 8d bb 00 02 00 00 b9 20 00 00 00 f3 48 ab 0f 0b",
	  { DATA + 0x2a8 },
	  SLOT(0, 1, 2) },
	{ "REPE CMPSB with a read: after the iteration",
	  "48 8d 33 48 8d bb 00 01 00 00 b9 20 00 00 00 f3 a6 0f 0b",
	  { 0, 0, DATA + 0x110 },
	  SLOT(2, 3, 0) },
	{ "REP MOVSB under TF: one iteration per trap",
	  "48 8d 33 48 8d bb 00 01 00 00 b9 08 00 00 00 9c 48 81 0c 24 00 01 00 00 9d f3 a4 0f 0b",
	  { 0 },
	  0 },
	{ "POPF sets TF: trap after the next instruction", "9c 48 81 0c 24 00 01 00 00 9d 90 ff c1 0f 0b", { 0 }, 0 },
	{ "TF and a data breakpoint: one #DB",
	  "9c 48 81 0c 24 00 01 00 00 9d 89 03 ff c1 0f 0b",
	  { DATA },
	  SLOT(0, 1, 3) },
	{ "PUSH/POP on a watched stack slot", "50 58 0f 0b", { 0, STACK_TOP - 8 }, SLOT(1, 3, 2) },
	{ "two slots on one access", "88 43 40 0f 0b", { DATA + 0x40, DATA + 0x40 }, SLOT(0, 1, 0) | SLOT(1, 3, 1) },
	{ "data trap, then an execution breakpoint on the next instruction",
	  "89 03 ff c1 0f 0b",
	  { DATA, CODE + 2 },
	  SLOT(0, 1, 3) | SLOT(1, 0, 0) },
};
#define NSCEN (sizeof(scens) / sizeof(scens[0]))

/* the registers both sides start with */
static void start_regs(uint64_t *rax, uint64_t *rbx, uint64_t *rcx)
{
	*rax = 0x11;
	*rbx = DATA;
	*rcx = 0;
}

/* The slots of dr7 that are execution breakpoints (B bits). */
static uint64_t exec_slots(uint64_t dr7)
{
	uint64_t m = 0;
	for (unsigned n = 0; n < 4; n++)
		if (((dr7 >> (2 * n)) & 3) && ((dr7 >> (16 + 4 * n)) & 3) == 0)
			m |= 1u << n;
	return m;
}

static uint8_t *code_map, *data_map, *stack_map;

/* -1: the host refuses (why), else the number of events */
static int run_native(const struct scen *sc, struct ev *ev, char *why, size_t whylen)
{
	uint8_t code[64];
	size_t n = unit_hex(sc->hex, code);
	memset(code_map, 0xcc, 0x1000);
	memcpy(code_map, code, n);
	memset(data_map, 0, 0x1000);
	memset(stack_map, 0, 0x1000);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(0);
	}
	int st, nev = 0;
	waitpid(pid, &st, 0);
	struct user_regs_struct r;
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	uint64_t rax, rbx, rcx;
	start_regs(&rax, &rbx, &rcx);
	r.rip = CODE;
	r.rsp = STACK_TOP;
	r.rax = rax;
	r.rbx = rbx;
	r.rcx = rcx;
	r.rsi = r.rdi = r.rdx = 0;
	r.eflags = 0x202;
	ptrace(PTRACE_SETREGS, pid, 0, &r);
	long o0 = (long)offsetof(struct user, u_debugreg[0]);
	for (unsigned i = 0; i < 4; i++)
		if (sc->dr[i] && ptrace(PTRACE_POKEUSER, pid, o0 + 8 * (long)i, sc->dr[i]) < 0) {
			snprintf(why, whylen, "PTRACE_POKEUSER DR%u: %s", i, strerror(errno));
			nev = -1;
		}
	if (nev == 0 && sc->dr7 && ptrace(PTRACE_POKEUSER, pid, o0 + 8 * 7, sc->dr7) < 0) {
		snprintf(why, whylen, "PTRACE_POKEUSER DR7: %s", strerror(errno));
		nev = -1;
	}
	while (nev >= 0) {
		ptrace(PTRACE_CONT, pid, 0, 0);
		waitpid(pid, &st, 0);
		if (!WIFSTOPPED(st))
			break;
		if (WSTOPSIG(st) != SIGTRAP || nev == MAXEV)
			break; /* the ud2 (SIGILL), or too many */
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		long d6 = ptrace(PTRACE_PEEKUSER, pid, o0 + 8 * 6, 0);
		ev[nev++] = (struct ev){ r.rip, (uint64_t)d6 & 0x400f, r.rcx };
		r.eflags &= ~(unsigned long long)RFLAGS_TF; /* as the guest's handler below */
		ptrace(PTRACE_SETREGS, pid, 0, &r);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return nev;
}

static int run_emu(const struct scen *sc, struct ev *ev)
{
	struct tvm t;
	struct rax_err err;
	tv_init(&t);
	uint8_t code[64];
	size_t n = unit_hex(sc->hex, code);
	memset(tv_ptr(&t, CODE), 0xcc, 0x1000);
	memcpy(tv_ptr(&t, CODE), code, n);
	cpu_state_flat64(&t.s.seg[RAX_SEG_CS], &t.s.seg[RAX_SEG_SS], 3);
	t.s.seg[RAX_SEG_CS].selector = SEL_UCODE;
	t.s.seg[RAX_SEG_SS].selector = SEL_UDATA;
	t.s.seg[RAX_SEG_DS] = t.s.seg[RAX_SEG_ES] = t.s.seg[RAX_SEG_SS];
	t.s.rip = CODE;
	t.s.gpr[RAX_REG_RSP] = STACK_TOP;
	start_regs(&t.s.gpr[RAX_REG_RAX], &t.s.gpr[RAX_REG_RBX], &t.s.gpr[RAX_REG_RCX]);
	t.s.rflags = 0x202;
	memcpy(t.s.dr, sc->dr, sizeof(t.s.dr));
	t.s.dr7 = 0x400 | sc->dr7;
	int nev = 0;
	for (;;) {
		tv_run(&t);
		if (tv_vector(&t) != 1 || nev == MAXEV)
			break;
		uint64_t sp = t.s.gpr[RAX_REG_RSP];
		uint64_t rip = tv_r64(&t, sp), fl = tv_r64(&t, sp + 16), rsp = tv_r64(&t, sp + 24);
		uint64_t b = t.s.dr6 & 0x400f;
		ev[nev++] = (struct ev){ rip, b, t.s.gpr[RAX_REG_RCX] };
		/* resume as Linux does: TF off, RF after an execution breakpoint */
		fl &= ~(uint64_t)RFLAGS_TF;
		if (b & exec_slots(sc->dr7))
			fl |= RFLAGS_RF;
		cpu_state_flat64(&t.s.seg[RAX_SEG_CS], &t.s.seg[RAX_SEG_SS], 3);
		t.s.seg[RAX_SEG_CS].selector = SEL_UCODE;
		t.s.seg[RAX_SEG_SS].selector = SEL_UDATA;
		t.s.rip = rip;
		t.s.rflags = fl;
		t.s.gpr[RAX_REG_RSP] = rsp;
		t.s.dr6 = 0xffff0ff0;
	}
	tv_free(&t);
	(void)err;
	return nev;
}

int main(void)
{
	code_map = mmap((void *)CODE, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	data_map = mmap((void *)DATA, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			-1, 0);
	stack_map = mmap((void *)STACK, 0x1000, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (code_map != (void *)CODE || data_map != (void *)DATA || stack_map != (void *)STACK) {
		printf("test_emu_debug_native: SKIP: cannot map the scenario's fixed addresses\n");
		return 0;
	}
	for (unsigned i = 0; i < NSCEN; i++) {
		struct ev nat[MAXEV], emu[MAXEV];
		char why[160] = "";
		int nn = run_native(&scens[i], nat, why, sizeof(why));
		if (nn < 0) {
			printf("test_emu_debug_native: SKIP: the host refuses hardware breakpoints (%s)\n", why);
			return unit_finish("test_emu_debug_native");
		}
		int ne = run_emu(&scens[i], emu);
		int ok = nn == ne;
		for (int k = 0; ok && k < nn; k++)
			ok = nat[k].rip == emu[k].rip && nat[k].dr6 == emu[k].dr6 && nat[k].rcx == emu[k].rcx;
		CHECK(ok);
		if (!ok || getenv("RAX_DEBUG_NATIVE")) {
			fprintf(stderr, "%s: %s\n", ok ? "same" : "DIFFERS", scens[i].name);
			for (int k = 0; k < nn || k < ne; k++)
				fprintf(stderr,
					"  #%d cpu: %s rip +0x%llx dr6 0x%llx rcx %llu | interpreter: rip +0x%llx dr6 0x%llx rcx %llu\n",
					k, k < nn ? "" : "(none)", k < nn ? (unsigned long long)(nat[k].rip - CODE) : 0,
					k < nn ? (unsigned long long)nat[k].dr6 : 0,
					k < nn ? (unsigned long long)nat[k].rcx : 0,
					k < ne ? (unsigned long long)(emu[k].rip - CODE) : 0,
					k < ne ? (unsigned long long)emu[k].dr6 : 0,
					k < ne ? (unsigned long long)emu[k].rcx : 0);
		}
	}
	return unit_finish("test_emu_debug_native");
}
