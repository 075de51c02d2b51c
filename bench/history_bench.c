/*
 * history_bench.c - what reverse execution costs on a Linux boot
 * (bench/history-cost.sh runs it): boot the kernel on the interpreter with
 * history on to position N, then time goto(N - 1) (reverse-stepi) and a
 * backwards search (reverse-continue to the last time RIP was where it was
 * at N - back), and print the snapshot memory.
 *
 *   history-bench KERNEL INITRD N BACK RUNS
 *
 * Output, one "key value" a line: snapshot_mib, snapshots, boot_to_n_s,
 * goto_back1_s (median), scan_back_s (a search over the last BACK
 * instructions that finds nothing, median) and its rate, find_last_s (the
 * search for RIP as at N - BACK, median) and how far back it found it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu/history.h"
#include "loader/bzimage.h"
#include "vm.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define STEPS_IN_A_ROW 100

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static uint64_t want_rip;
static bool rip_is(struct rax_vm *vm, uint64_t k, void *arg)
{
	struct rax_cpu_state s;
	struct rax_err err;
	vm->ops->get_state(vm, &s, &err);
	return s.rip == want_rip;
}

static uint64_t ram_hash(struct rax_vm *vm)
{
	uint64_t h = 1469598103934665603ull;
	const uint64_t *p = (const uint64_t *)vm->mem.host;
	for (size_t i = 0; i < vm->mem.size / 8; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static bool never(struct rax_vm *vm, uint64_t k, void *arg) { return false; }

static void die(const char *what, const struct rax_err *err)
{
	fprintf(stderr, "history-bench: %s: %s\n", what, err->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: history-bench KERNEL INITRD N BACK RUNS [NCPUS]\n");
		return 2;
	}
	unsigned ncpus = argc == 7 ? (unsigned)atoi(argv[6]) : 1;
	uint64_t n = strtoull(argv[3], NULL, 10), back = strtoull(argv[4], NULL, 10);
	int runs = atoi(argv[5]);
	struct rax_config cfg = { .backend = RAX_BACKEND_EMULATOR,
				  .mem_size = 256ull << 20,
				  .console_in = -1,
				  .console_out = open("/dev/null", O_WRONLY),
				  .clock = RAX_CLOCK_VIRTUAL,
				  .rtc_epoch = 1767225600,
				  .ncpus = ncpus };
	struct rax_vm vm;
	struct rax_err err = { 0 };
	struct rax_cpu_state st;
	struct rax_exit ex;
	if (vm_create(&vm, &cfg, &err) < 0 ||
	    bzimage_load(&vm.mem, argv[1], argv[2], BZ_DEFAULT_CMDLINE, ncpus, &st, &err) < 0 ||
	    vm_create_backend(&vm, &err) < 0 || vm.ops->set_state(&vm, &st, &err) < 0)
		die("setup", &err);
	if (history_enable(&vm, 4ull << 30, 0, &err) < 0)
		die("history", &err);
	double t0 = now_s();
	if (history_run_to(&vm, n, &ex, &err) < 0 || ex.kind != RAX_EXIT_STEP)
		die("boot to N", &err);
	double boot = now_s() - t0;
	struct history_stats hs;
	history_stats(&vm, &hs);
	printf("instructions %llu\nboot_to_n_s %.3f\nsnapshots %llu\nsnapshot_mib %.1f\n", (unsigned long long)n, boot,
	       (unsigned long long)hs.snapshots, hs.bytes / 1048576.0);
	/* replay check: registers and RAM at N, again after goto(N / 2) and back */
	struct rax_cpu_state s1, s2;
	vm.ops->get_state(&vm, &s1, &err);
	uint64_t h1 = ram_hash(&vm);
	if (history_goto(&vm, n / 2, &err) < 0 || history_goto(&vm, n, &err) < 0)
		die("goto", &err);
	vm.ops->get_state(&vm, &s2, &err);
	printf("replay_exact %s\n",
	       h1 == ram_hash(&vm) && !memcmp(s1.gpr, s2.gpr, sizeof(s1.gpr)) && s1.rip == s2.rip ? "yes" : "NO");
	double *tg = calloc((size_t)runs, sizeof(double)), *tf = calloc((size_t)runs, sizeof(double));
	for (int i = 0; i < runs; i++) { /* reverse-stepi: goto(N - 1), then back to N */
		double a = now_s();
		if (history_goto(&vm, n - 1, &err) < 0)
			die("goto", &err);
		tg[i] = now_s() - a;
		if (history_goto(&vm, n, &err) < 0)
			die("goto", &err);
	}
	if (history_goto(&vm, n - back, &err) < 0)
		die("goto", &err);
	vm.ops->get_state(&vm, &st, &err);
	want_rip = st.rip;
	uint64_t found = 0;
	for (int i = 0; i < runs; i++) { /* reverse-continue from N to a breakpoint at that RIP */
		if (history_goto(&vm, n, &err) < 0)
			die("goto", &err);
		double a = now_s();
		if (history_find_last(&vm, 0, n, rip_is, NULL, &found, &err) != 1)
			die("find_last", &err);
		tf[i] = now_s() - a;
	}
	/* reverse-continue with no hit over the last BACK instructions: the replay rate */
	double *ts = calloc((size_t)runs, sizeof(double));
	for (int i = 0; i < runs; i++) {
		double a = now_s();
		if (history_find_last(&vm, n - back, n, never, NULL, &found, &err) != 0)
			die("find_last", &err);
		ts[i] = now_s() - a;
	}
	/* reverse-stepi 100 times in a row from N: the first leaves a snapshot
	 * near (HISTORY_NEAR_GAP), the others start there */
	if (history_goto(&vm, n, &err) < 0)
		die("goto", &err);
	double a100 = now_s();
	for (int i = 0; i < STEPS_IN_A_ROW; i++)
		if (history_goto(&vm, history_icount(&vm) - 1, &err) < 0)
			die("goto", &err);
	printf("goto_back_row_s %.4f\n", (now_s() - a100) / STEPS_IN_A_ROW);
	qsort(ts, (size_t)runs, sizeof(double), cmp_d);
	printf("scan_back_s %.3f\nscan_back_mips %.1f\n", ts[runs / 2], back / ts[runs / 2] / 1e6);
	qsort(tg, (size_t)runs, sizeof(double), cmp_d);
	qsort(tf, (size_t)runs, sizeof(double), cmp_d);
	printf("goto_back1_s %.4f\nfind_last_s %.3f\nfind_last_distance %llu\n", tg[runs / 2], tf[runs / 2],
	       (unsigned long long)(n - found));
	history_disable(&vm);
	return 0;
}
