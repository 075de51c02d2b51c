/*
 * main.c - the rax command line: parse options, build the VM, run it,
 * and turn the outcome into one line on stderr and an exit status.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_num.h"
#include "emu/emu.h"
#include "input_file.h"
#include "layout.h"
#include "loader/bzimage.h"
#include "cpuid_model.h"
#include "kvm_probe.h"
#include "emu/history.h"
#include "emu/jit/jit.h"
#include "emu/trace.h"
#include "gdb/gdbstub.h"
#include "loader/multiboot.h"
#include "loader/testimg.h"
#include "state_print.h"
#include "vm.h"

/* 2026-01-01T00:00:00Z: the emulator's CMOS clock unless --rtc says otherwise. */
#define RTC_FIXED_EPOCH 1767225600LL
/* 2099-12-31T23:59:59Z: the last second a CMOS clock's two-digit year can show. */
#define RTC_MAX_EPOCH 4102444799ULL

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rax --kernel FILE [options]\n"
		"       rax --test IMAGE [--backend NAME] [--mem SIZE] [--timeout SECONDS]\n"
		"\n"
		"Boot a Linux bzImage or a multiboot kernel on KVM or on RAX's x86-64\n"
		"interpreter, or run a test image (testcases/FORMAT.md) and print its\n"
		"final CPU state.\n"
		"\n"
		"  --kernel FILE       kernel to boot: a Linux bzImage (64-bit boot protocol\n"
		"                      2.12+), else a multiboot (v1) kernel, ELF32 or a.out\n"
		"                      kludge, entered in 32-bit protected mode\n"
		"  --test IMAGE        test image to run (instead of --kernel)\n"
		"  --initrd FILE[,FILE...]\n"
		"                      bzImage: the initial ramdisk (one file); multiboot:\n"
		"                      one boot module per file, in order (repeat --initrd\n"
		"                      or separate names with commas; the module string is\n"
		"                      the file name)\n"
		"  --cmdline STR       kernel command line; a bzImage's default:\n"
		"                      \"%s\";\n"
		"                      a multiboot kernel gets \"FILE STR\" (FILE alone\n"
		"                      without --cmdline)\n"
		"  --mem SIZE          guest RAM, K/M/G suffixes (default 256M)\n"
		"  --backend NAME      kvm (default) or emulator\n"
		"  --timeout SECONDS   stop the guest after this long (exit status 10)\n"
		"  --clock KIND        emulator: virtual (one instruction is one ns and idle\n"
		"                      time is skipped: runs are reproducible; the default\n"
		"                      unless stdin is a terminal) or realtime (an idle\n"
		"                      guest sleeps and its clock follows the wall clock;\n"
		"                      the default at a terminal). KVM: realtime only\n"
		"  --cpu LEVEL         the CPU model both backends present: v1 (x86-64\n"
		"                      baseline), v2 (+ SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT\n"
		"                      LZCNT MOVBE XSAVE) or v3 (+ AVX AVX2 FMA F16C BMI1\n"
		"                      BMI2 AES-NI PCLMULQDQ; the default); the emulator\n"
		"                      raises #UD above it, KVM only hides it from CPUID\n"
		"  --smp N             N CPUs (1 to %d; default 1), in the ACPI MADT and\n"
		"                      CPUID; the guest starts the others with INIT/SIPI.\n"
		"                      KVM: one thread per vCPU; emulator: one thread,\n"
		"                      the CPUs interleaved deterministically\n"
		"  --rtc WHEN          what the CMOS clock starts at: host (the host's\n"
		"                      time; default with the realtime clock) or Unix\n"
		"                      seconds (default with the virtual clock: %lld)\n"
		"  --stats             print instructions executed and run time at exit\n"
		"  --jit off|on        emulator: run hot blocks as host code translated from\n"
		"                      them (default on where the host is x86-64; off runs\n"
		"                      the interpreter alone); instruction counts and\n"
		"                      results are the interpreter's\n"
		"  --jit-hot N         with --jit on: translate a block after N whole runs\n"
		"                      (default %d; 1 translates at once)\n"
		"  --gdb WHERE         a gdb stub: tcp:HOST:PORT, tcp::PORT (loopback) or\n"
		"                      unix:PATH; gdb attaches with 'target remote ...'\n"
		"  --gdb-wait          stop before the first instruction until gdb resumes\n"
		"  -s                  --gdb tcp::1234\n"
		"  -S                  --gdb-wait\n"
		"  --gdb-history SIZE  emulator: snapshot memory for reverse execution\n"
		"                      (K/M/G; default 256M with --gdb, 0 turns it off);\n"
		"                      the use is printed at exit\n"
		"  --trace FILE        emulator: one record per retired instruction\n"
		"  --trace-from N      the first instruction traced (count from 0)\n"
		"  --trace-count N     how many instructions are traced\n"
		"  --trace-range LO-HI only instructions with LO <= RIP < HI (0x hex or decimal)\n"
		"  --trace-format F    text or binary (default: binary when FILE ends in .bin)\n"
		"  --kvm-info          probe what this host's KVM can do, one finding a line\n"
		"                      (exit 0 when KVM is usable, 14 when not)\n"
		"  --help, --version\n"
		"\n"
		"The serial console (COM1) is the terminal; Ctrl-A x quits.\n"
		"Exit status: 0 guest powered off or halted, 2 bad usage or input,\n"
		"4 guest reset, 6 triple fault, 8 internal error (unsupported\n"
		"instruction, KVM emulation failure), 10 timeout, 12 SIGINT, SIGTERM,\n"
		"SIGHUP or SIGQUIT, 14 host problem (no usable /dev/kvm), 16 the console\n"
		"output's reader went away; odd values come from the guest's\n"
		"debug-exit port 0xf4: (value << 1) | 1.\n"
		"With --test: 0 passed, 1 failed (nonzero exit value or a forbidden\n"
		"way to end), 3 unexpected exception; the other even codes as above\n"
		"(10 also when the image's step limit is reached).\n",
		BZ_DEFAULT_CMDLINE, RAX_MAX_CPUS, (long long)RTC_FIXED_EPOCH, EMU_JIT_HOT_RUNS);
}

static int die(int status, const char *msg)
{
	fprintf(stderr, "rax: %s\n", msg);
	return status;
}

/* A debug-exit value above RAX_DEBUG_EXIT_MAX cannot be a status: say it. */
static void report_debug_exit(const struct rax_vm *vm, int status)
{
	if (status == RAX_STATUS_DEBUG_EXIT_RANGE && vm->debug_exit_written)
		fprintf(stderr, "rax: guest debug-exit value %#llx (above %d): status %d\n",
			(unsigned long long)vm->debug_exit_value, RAX_DEBUG_EXIT_MAX, RAX_STATUS_DEBUG_EXIT_RANGE);
}

/* rax --test: load a test image, run it, print the final state and outcome. */
static struct trace_options trace_opt; /* --trace* (below) */
static void debug_report(struct rax_vm *vm);

static int run_test(struct rax_config *cfg, const char *path)
{
	cfg->console_in = -1; /* a test reads no terminal input */
	struct rax_err err = { 0 };
	struct rax_vm vm;
	if (vm_create(&vm, cfg, &err) < 0)
		return die(err.code ? err.code : RAX_STATUS_HOST, err.msg);
	struct rax_cpu_state st;
	struct testimg_info info;
	int status;
	if (testimg_load(&vm.mem, path, "--test", &st, &info, &err) < 0 || vm_create_backend(&vm, &err) < 0 ||
	    vm.ops->set_state(&vm, &st, &err) < 0) {
		vm_destroy(&vm);
		return die(err.code ? err.code : RAX_STATUS_HOST, err.msg);
	}
	if (trace_opt.path && (info.step_limit || trace_open(&vm, &trace_opt, &err) < 0)) {
		if (info.step_limit)
			rax_errf(&err, RAX_STATUS_USAGE, "--trace: '%s' runs step by step (it has a step limit)", path);
		vm_destroy(&vm);
		return die(err.code, err.msg);
	}
	err.msg[0] = 0;
	status = testimg_run(&vm, &info, &err);
	if (trace_opt.path)
		debug_report(&vm);
	struct rax_err gerr = { 0 };
	int have_state = vm.ops->get_state(&vm, &st, &gerr) == 0;
	struct testimg_outcome out;
	if (have_state) {
		testimg_outcome(&vm.mem, &info, status, &st, &out);
	} else {
		memset(&out, 0, sizeof(out));
		out.verdict = TESTIMG_ABORTED;
		snprintf(out.text, sizeof(out.text), "aborted: cannot read the final state: %.120s", gerr.msg);
	}
	if (status == RAX_STATUS_DEBUG_EXIT_RANGE && vm.debug_exit_written && out.how == TESTIMG_END_DEBUG_EXIT &&
	    out.verdict == TESTIMG_FAILED) /* the status says 63: the value was larger */
		snprintf(out.text, sizeof(out.text), "failed: debug-exit value %#llx (above %d)",
			 (unsigned long long)vm.debug_exit_value, RAX_DEBUG_EXIT_MAX);
	vm_destroy(&vm);
	fflush(stdout);
	printf("\n== final state ==\n");
	if (have_state)
		cpu_state_print(stdout, &st);
	if (out.verdict == TESTIMG_EXCEPTION)
		printf("exception: vector=0x%02llx error=0x%llx rip=0x%016llx cs=0x%04llx rflags=0x%016llx "
		       "rsp=0x%016llx ss=0x%04llx cr2=0x%016llx\n",
		       (unsigned long long)out.exc.vector, (unsigned long long)out.exc.error,
		       (unsigned long long)out.exc.rip, (unsigned long long)out.exc.cs,
		       (unsigned long long)out.exc.rflags, (unsigned long long)out.exc.rsp,
		       (unsigned long long)out.exc.ss, (unsigned long long)out.exc.cr2);
	printf("outcome: %s\n", out.text);
	fflush(stdout);
	if (out.verdict == TESTIMG_ABORTED && err.msg[0])
		fprintf(stderr, "rax: %s\n", err.msg);
	return testimg_status(&out, status);
}

/* --stats: one line on stderr that scripts (bench/, determinism tests) parse. */
static void print_stats(struct rax_vm *vm, double secs)
{
	if (vm->cfg.backend == RAX_BACKEND_EMULATOR) {
		uint64_t n = emu_instruction_count(vm);
		fprintf(stderr, "rax: stats: instructions=%llu guest_ns=%llu wall_s=%.3f mips=%.1f\n",
			(unsigned long long)n, (unsigned long long)vm_now_ns(vm), secs,
			secs > 0 ? (double)n / secs / 1e6 : 0.0);
		if (vm->cfg.jit) {
			struct emu_jit_stats js;
			emu_jit_vm_stats(vm, &js);
			fprintf(stderr,
				"rax: stats: jit blocks=%llu failed=%llu realiased=%llu runs=%llu links=%llu disarms=%llu "
				"code_bytes=%llu flushes=%llu translate_s=%.3f\n",
				(unsigned long long)js.blocks, (unsigned long long)js.failed,
				(unsigned long long)js.realiased, (unsigned long long)js.runs,
				(unsigned long long)js.links, (unsigned long long)js.disarms,
				(unsigned long long)js.code_bytes, (unsigned long long)js.flushes,
				(double)js.translate_ns * 1e-9);
		}
	} else {
		fprintf(stderr, "rax: stats: wall_s=%.3f\n", secs);
	}
}

enum {
	OPT_KERNEL = 256,
	OPT_INITRD,
	OPT_CMDLINE,
	OPT_MEM,
	OPT_BACKEND,
	OPT_TIMEOUT,
	OPT_VERSION,
	OPT_TEST,
	OPT_RTC,
	OPT_STATS,
	OPT_KVM_INFO,
	OPT_CLOCK,
	OPT_CPU,
	OPT_SMP,
	OPT_JIT,
	OPT_JIT_HOT,
	OPT_GDB,
	OPT_GDB_WAIT,
	OPT_GDB_HISTORY,
	OPT_TRACE,
	OPT_TRACE_FROM,
	OPT_TRACE_COUNT,
	OPT_TRACE_RANGE,
	OPT_TRACE_FORMAT,
};

/* --initrd values, split at commas: the bzImage initrd or the multiboot modules. */
struct initrd_list {
	char **paths;
	unsigned n, cap;
};

static int initrd_add(struct initrd_list *l, const char *arg, char *msg, size_t msglen)
{
	const char *p = arg;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0) {
			snprintf(msg, msglen, "empty file name in --initrd '%s'", arg);
			return -1;
		}
		if (l->n == l->cap) {
			unsigned cap = l->cap ? l->cap * 2 : 16;
			char **np = realloc(l->paths, cap * sizeof(*np));
			if (!np) {
				snprintf(msg, msglen, "out of memory");
				return -1;
			}
			l->paths = np;
			l->cap = cap;
		}
		if (!(l->paths[l->n] = strndup(p, len))) {
			snprintf(msg, msglen, "out of memory");
			return -1;
		}
		l->n++;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static void initrd_free(struct initrd_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
}

enum kernel_kind { KERNEL_BZIMAGE, KERNEL_MULTIBOOT };

/* A bzImage has the Linux setup header, a multiboot kernel its own header. */
static int kernel_kind(const char *path, uint64_t mem_size, enum kernel_kind *kind, struct rax_err *err)
{
	uint8_t buf[MB_SEARCH_LEN];
	size_t n;
	/* empty_ok: a short file gets the "too short" line below */
	if (rax_input_head(path, &(struct rax_input_spec){ .what = "--kernel", .max = mem_size, .empty_ok = true }, buf,
			   sizeof(buf), &n, err) < 0)
		return -1;
	long first_magic;
	if (n >= BZ_HEADER + 4 && memcmp(buf + BZ_HEADER, "HdrS", 4) == 0)
		*kind = KERNEL_BZIMAGE;
	else if (multiboot_find_header(buf, n, &first_magic) >= 0 || first_magic >= 0)
		*kind = KERNEL_MULTIBOOT;
	else if (n < BZ_HEADER + 4)
		return rax_errf(err, RAX_STATUS_USAGE,
				"--kernel '%s' is too short to be a bzImage (%zu bytes) and has no multiboot header",
				path, n);
	else
		return rax_errf(err, RAX_STATUS_USAGE,
				"--kernel '%s' is not a bzImage (no 'HdrS' setup header at 0x%x) nor a multiboot "
				"kernel (no header with magic 0x%08x in its first 8 KiB)",
				path, BZ_HEADER, MB_HEADER_MAGIC);
	return 0;
}

/* --gdb WHERE (or -s) and --gdb-wait (or -S). */
static const char *gdb_spec;
static bool gdb_wait;
/* --gdb-history SIZE (set: history_size is it) and --trace*. */
static bool history_set;
static uint64_t history_size = HISTORY_DEFAULT_BYTES;
static struct trace_options trace_opt = { .rip_hi = UINT64_MAX };
static bool trace_format_set;

/* LO-HI, each decimal or 0x hex, LO < HI. */
static int parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	const char *dash = strchr(s, '-');
	if (!dash || dash == s || !dash[1])
		return -1;
	char a[64], b[64];
	if ((size_t)(dash - s) >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		return -1;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = 0;
	strcpy(b, dash + 1);
	char *v[2] = { a, b };
	uint64_t *out[2] = { lo, hi };
	for (int i = 0; i < 2; i++) {
		const char *p = v[i];
		int base = 10;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			p += 2;
			base = 16;
		}
		if (!*p)
			return -1;
		uint64_t x = 0;
		for (; *p; p++) {
			int d = *p >= '0' && *p <= '9'                 ? *p - '0'
				: base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
				: base == 16 && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
								       : -1;
			if (d < 0 || x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
				return -1;
			x = x * (uint64_t)base + (uint64_t)d;
		}
		*out[i] = x;
	}
	return *lo < *hi ? 0 : -1;
}

/* History and the trace on an interpreter VM before it runs. */
static int debug_setup(struct rax_vm *vm, struct rax_err *err)
{
	bool want = history_set ? history_size > 0 : gdb_spec != NULL;
	if (vm->cfg.backend == RAX_BACKEND_EMULATOR && want && history_enable(vm, history_size, 0, err) < 0)
		return -1;
	if (trace_opt.path && trace_open(vm, &trace_opt, err) < 0)
		return -1;
	return 0;
}

/* At exit: what history used, what the trace wrote. */
static void debug_report(struct rax_vm *vm)
{
	if (vm->cfg.backend != RAX_BACKEND_EMULATOR || !vm->backend)
		return;
	if (history_active(vm)) {
		char line[256];
		history_format(vm, line, sizeof(line));
		fprintf(stderr, "rax: %s\n", line);
		history_disable(vm);
	}
	if (trace_opt.path)
		trace_close(vm);
}

/* rax --kernel: detect the kernel's format, load it and run the VM. */
static int run_kernel(struct rax_config *cfg, const struct initrd_list *initrds, bool cmdline_set, bool stats)
{
	struct rax_err err = { 0 };
	enum kernel_kind kind;
	if (kernel_kind(cfg->kernel, cfg->mem_size, &kind, &err) < 0)
		return die(err.code, err.msg);
	if (kind == KERNEL_BZIMAGE && initrds->n > 1) {
		snprintf(err.msg, sizeof(err.msg),
			 "a bzImage takes one initrd, %u were given (several --initrd files are modules "
			 "for multiboot kernels)",
			 initrds->n);
		return die(RAX_STATUS_USAGE, err.msg);
	}
	cfg->initrd = initrds->n ? initrds->paths[0] : NULL;
	struct rax_vm vm;
	if (vm_create(&vm, cfg, &err) < 0)
		return die(err.code ? err.code : RAX_STATUS_HOST, err.msg);
	struct rax_cpu_state st;
	int status, loaded;
	if (kind == KERNEL_BZIMAGE)
		loaded = bzimage_load(&vm.mem, cfg->kernel, cfg->initrd, cfg->cmdline, rax_ncpus(cfg), &st, &err);
	else
		loaded = multiboot_load(&vm.mem, cfg->kernel, (const char *const *)initrds->paths, initrds->n,
					cmdline_set ? cfg->cmdline : "", rax_ncpus(cfg), &st, &err);
	if (loaded < 0 || vm_create_backend(&vm, &err) < 0 || vm.ops->set_state(&vm, &st, &err) < 0 ||
	    debug_setup(&vm, &err) < 0 || vm_start_input(&vm, &err) < 0) {
		status = err.code ? err.code : RAX_STATUS_HOST;
	} else {
		/* the input is good and the VM exists: now the host's limits */
		if (cfg->backend == RAX_BACKEND_KVM && kind == KERNEL_BZIMAGE && !kvm_probe()->linux_boot.ok &&
		    !vm_signal_name()) /* (a signal cut the probe short: the run ends at once) */
			fprintf(stderr, "rax: warning: a full Linux boot is not possible on this host's KVM: %s\n",
				kvm_probe()->linux_boot.why);
		err.msg[0] = 0;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		struct gdb_stub *stub = NULL;
		if (gdb_spec && gdb_stub_open(&vm, gdb_spec, gdb_wait, &stub, &err) < 0)
			status = err.code ? err.code : RAX_STATUS_HOST;
		else
			status = vm_run(&vm, &err);
		gdb_stub_close(stub);
		debug_report(&vm);
		report_debug_exit(&vm, status);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (stats)
			print_stats(&vm, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
	}
	vm_destroy(&vm);
	if (status != RAX_STATUS_OK && !(status & 1) && err.msg[0])
		fprintf(stderr, "rax: %s\n", err.msg);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, 0, OPT_KERNEL },
		{ "test", required_argument, 0, OPT_TEST },
		{ "initrd", required_argument, 0, OPT_INITRD },
		{ "cmdline", required_argument, 0, OPT_CMDLINE },
		{ "mem", required_argument, 0, OPT_MEM },
		{ "backend", required_argument, 0, OPT_BACKEND },
		{ "timeout", required_argument, 0, OPT_TIMEOUT },
		{ "rtc", required_argument, 0, OPT_RTC },
		{ "stats", no_argument, 0, OPT_STATS },
		{ "kvm-info", no_argument, 0, OPT_KVM_INFO },
		{ "clock", required_argument, 0, OPT_CLOCK },
		{ "cpu", required_argument, 0, OPT_CPU },
		{ "smp", required_argument, 0, OPT_SMP },
		{ "jit", required_argument, 0, OPT_JIT },
		{ "jit-hot", required_argument, 0, OPT_JIT_HOT },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, OPT_VERSION },
		{ "gdb", required_argument, 0, OPT_GDB },
		{ "gdb-wait", no_argument, 0, OPT_GDB_WAIT },
		{ "gdb-history", required_argument, 0, OPT_GDB_HISTORY },
		{ "trace", required_argument, 0, OPT_TRACE },
		{ "trace-from", required_argument, 0, OPT_TRACE_FROM },
		{ "trace-count", required_argument, 0, OPT_TRACE_COUNT },
		{ "trace-range", required_argument, 0, OPT_TRACE_RANGE },
		{ "trace-format", required_argument, 0, OPT_TRACE_FORMAT },
		{ 0, 0, 0, 0 },
	};
	struct rax_config cfg = {
		.backend = RAX_BACKEND_KVM,
		.mem_size = GUEST_MEM_DEFAULT,
		.cmdline = BZ_DEFAULT_CMDLINE,
		.console_in = STDIN_FILENO,
		.console_out = STDOUT_FILENO,
	};
	char msg[600];
	const char *test = NULL;
	bool trace_extra = false, jit_hot_set = false, jit_set = false;
	bool kvm_info = false, kernel_opts = false, rtc_host = false, rtc_set = false, stats = false,
	     cmdline_set = false, clock_set = false;
	static struct initrd_list initrds; /* static: still reachable on early returns */
	const char *why;
	vm_signals_init(); /* a signal while files load or KVM is probed ends rax with status 12 */
	opterr = 0;
	int c;
	/* the leading ':' makes a missing value ':' rather than '?' (unknown) */
	while ((c = getopt_long(argc, argv, ":hsS", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL: cfg.kernel = optarg; break;
		case OPT_TEST: test = optarg; break;
		case OPT_INITRD:
			if (initrd_add(&initrds, optarg, msg, sizeof(msg)) < 0) {
				initrd_free(&initrds);
				return die(RAX_STATUS_USAGE, msg);
			}
			kernel_opts = true;
			break;
		case OPT_CMDLINE:
			cfg.cmdline = optarg;
			kernel_opts = cmdline_set = true;
			break;
		case OPT_MEM:
			if (cli_parse_size(optarg, &cfg.mem_size, &why) < 0) {
				snprintf(msg, sizeof(msg), "malformed --mem '%s' (use e.g. 256M or 1G: %s)", optarg,
					 why);
				return die(RAX_STATUS_USAGE, msg);
			}
			/* now, before any input file is measured against it */
			struct rax_err merr = { 0 };
			if (guest_mem_check_size(cfg.mem_size, &merr) < 0)
				return die(RAX_STATUS_USAGE, merr.msg);
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "kvm") == 0)
				cfg.backend = RAX_BACKEND_KVM;
			else if (strcmp(optarg, "emulator") == 0 || strcmp(optarg, "emu") == 0)
				cfg.backend = RAX_BACKEND_EMULATOR;
			else {
				snprintf(msg, sizeof(msg), "unknown backend '%s' (kvm or emulator)", optarg);
				return die(RAX_STATUS_USAGE, msg);
			}
			break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds(optarg, 1e6, &cfg.timeout, &why) < 0) {
				snprintf(msg, sizeof(msg),
					 "malformed --timeout '%s' (seconds, > 0, e.g. 30 or 2.5: %s)", optarg, why);
				return die(RAX_STATUS_USAGE, msg);
			}
			break;
		case OPT_RTC:
			if (!strcmp(optarg, "host")) {
				rtc_host = true;
			} else {
				uint64_t t;
				if (cli_parse_u64(optarg, 0, RTC_MAX_EPOCH, &t, &why) < 0) {
					snprintf(msg, sizeof(msg),
						 "malformed --rtc '%s' (host, or Unix seconds up to year 2099: %s)",
						 optarg, why);
					return die(RAX_STATUS_USAGE, msg);
				}
				cfg.rtc_epoch = (int64_t)t;
				rtc_set = true;
			}
			break;
		case OPT_CLOCK:
			if (!strcmp(optarg, "virtual")) {
				cfg.clock = RAX_CLOCK_VIRTUAL;
			} else if (!strcmp(optarg, "realtime")) {
				cfg.clock = RAX_CLOCK_REALTIME;
			} else {
				snprintf(msg, sizeof(msg), "unknown --clock '%s' (virtual or realtime)", optarg);
				return die(RAX_STATUS_USAGE, msg);
			}
			clock_set = true;
			break;
		case OPT_CPU:
			if (!(cfg.cpu_level = rax_cpu_level_parse(optarg))) {
				snprintf(msg, sizeof(msg), "unknown --cpu '%s' (v1, v2 or v3)", optarg);
				return die(RAX_STATUS_USAGE, msg);
			}
			break;
		case OPT_SMP: {
			uint64_t n;
			const char *why;
			if (cli_parse_u64(optarg, 1, RAX_MAX_CPUS, &n, &why) < 0) {
				snprintf(msg, sizeof(msg), "malformed --smp '%s' (1 to %d CPUs: %s)", optarg,
					 RAX_MAX_CPUS, why);
				return die(RAX_STATUS_USAGE, msg);
			}
			cfg.ncpus = (unsigned)n;
			break;
		}
		case OPT_JIT:
			if (!strcmp(optarg, "on")) {
				cfg.jit = jit_set = true;
			} else if (!strcmp(optarg, "off")) {
				cfg.jit = false;
				jit_set = true;
			} else {
				snprintf(msg, sizeof(msg), "unknown --jit '%s' (off or on)", optarg);
				return die(RAX_STATUS_USAGE, msg);
			}
			break;
		case OPT_JIT_HOT: {
			uint64_t n;
			if (cli_parse_u64(optarg, 1, UINT16_MAX, &n, &why) < 0) {
				snprintf(msg, sizeof(msg), "malformed --jit-hot '%s' (1 to %u runs: %s)", optarg,
					 UINT16_MAX, why);
				return die(RAX_STATUS_USAGE, msg);
			}
			cfg.jit_hot = (unsigned)n;
			jit_hot_set = true;
			break;
		}
		case OPT_GDB:
		case 's':
			gdb_spec = c == 's' ? "tcp::1234" : optarg;
			if (gdb_spec_check(gdb_spec, msg, sizeof(msg)) < 0)
				return die(RAX_STATUS_USAGE, msg);
			break;
		case OPT_GDB_WAIT:
		case 'S': gdb_wait = true; break;
		case OPT_STATS: stats = true; break;
		case OPT_GDB_HISTORY:
			if (!strcmp(optarg, "0")) {
				history_size = 0;
			} else if (cli_parse_size(optarg, &history_size, &why) < 0 || history_size < (1u << 20)) {
				snprintf(msg, sizeof(msg), "--gdb-history '%s': %s", optarg,
					 why ? why : "at least 1M (or 0: off)");
				return die(RAX_STATUS_USAGE, msg);
			}
			history_set = true;
			break;
		case OPT_TRACE:
			if (!*optarg)
				return die(RAX_STATUS_USAGE, "--trace needs a file name");
			trace_opt.path = optarg;
			break;
		case OPT_TRACE_FROM:
		case OPT_TRACE_COUNT:
			if (cli_parse_u64(optarg, c == OPT_TRACE_COUNT ? 1 : 0, UINT64_MAX / 2,
					  c == OPT_TRACE_FROM ? &trace_opt.from : &trace_opt.count, &why) < 0) {
				snprintf(msg, sizeof(msg), "%s '%s': %s",
					 c == OPT_TRACE_FROM ? "--trace-from" : "--trace-count", optarg, why);
				return die(RAX_STATUS_USAGE, msg);
			}
			trace_extra = true;
			break;
		case OPT_TRACE_RANGE:
			if (parse_range(optarg, &trace_opt.rip_lo, &trace_opt.rip_hi) < 0) {
				snprintf(msg, sizeof(msg),
					 "--trace-range '%s': not LO-HI with LO < HI (0x hex or decimal)", optarg);
				return die(RAX_STATUS_USAGE, msg);
			}
			trace_extra = true;
			break;
		case OPT_TRACE_FORMAT:
			if (strcmp(optarg, "text") && strcmp(optarg, "binary")) {
				snprintf(msg, sizeof(msg), "--trace-format '%s': text or binary", optarg);
				return die(RAX_STATUS_USAGE, msg);
			}
			trace_opt.format = !strcmp(optarg, "binary") ? TRACE_BINARY : TRACE_TEXT;
			trace_format_set = trace_extra = true;
			break;
		case 'h': usage(stdout); return 0;
		case OPT_VERSION: printf("rax %s\n", RAX_VERSION); return 0;
		case OPT_KVM_INFO: kvm_info = true; break;
		case ':':
			snprintf(msg, sizeof(msg), "option '%s' needs a value (see --help)", argv[optind - 1]);
			return die(RAX_STATUS_USAGE, msg);
		default:
			if (optopt > 0 && optopt < 256) /* a short option */
				snprintf(msg, sizeof(msg), "unknown option '-%c' (see --help)", optopt);
			else
				snprintf(msg, sizeof(msg), "unknown option '%s' (see --help)", argv[optind - 1]);
			return die(RAX_STATUS_USAGE, msg);
		}
	}
	if (optind < argc) {
		snprintf(msg, sizeof(msg), "unexpected argument '%s' (see --help)", argv[optind]);
		return die(RAX_STATUS_USAGE, msg);
	}
	if (kvm_info) {
		if (test || cfg.kernel || kernel_opts || gdb_spec || gdb_wait)
			return die(RAX_STATUS_USAGE, "--kvm-info takes no other options");
		const struct kvm_caps *caps = kvm_probe();
		if (vm_signal_name()) { /* the probe's runs were cut short: no findings */
			snprintf(msg, sizeof(msg), "interrupted by %s", vm_signal_name());
			return die(RAX_STATUS_SIGNAL, msg);
		}
		kvm_caps_print(stdout, caps);
		return caps->usable.ok ? RAX_STATUS_OK : RAX_STATUS_HOST;
	}
	if (cfg.backend == RAX_BACKEND_KVM) {
		if (clock_set && cfg.clock == RAX_CLOCK_VIRTUAL)
			return die(RAX_STATUS_USAGE,
				   "--clock virtual needs --backend emulator (KVM's clock is the host's)");
		cfg.clock = RAX_CLOCK_REALTIME;
	} else if (!clock_set) {
		/* someone at a terminal wants a guest that sleeps and keeps time; anything else reproducible runs */
		cfg.clock = !test && isatty(cfg.console_in) ? RAX_CLOCK_REALTIME : RAX_CLOCK_VIRTUAL;
	}
	if (rtc_host || (!rtc_set && cfg.clock == RAX_CLOCK_REALTIME))
		cfg.rtc_epoch = (int64_t)time(NULL);
	else if (!rtc_set)
		cfg.rtc_epoch = RTC_FIXED_EPOCH;
	/* the translator by default: the emulator on an x86-64 host, unless --jit off */
	if (!jit_set)
		cfg.jit = cfg.backend == RAX_BACKEND_EMULATOR && emu_jit_supported();
	if (cfg.jit && cfg.backend != RAX_BACKEND_EMULATOR)
		return die(RAX_STATUS_USAGE, "--jit on needs --backend emulator (KVM runs guest code natively)");
	if (cfg.jit && !emu_jit_supported())
		return die(RAX_STATUS_USAGE, "--jit on: this build has no translator (it needs an x86-64 host)");
	if (jit_hot_set && !cfg.jit)
		return die(RAX_STATUS_USAGE, "--jit-hot needs --jit on");
	if (test && (cfg.kernel || kernel_opts))
		return die(RAX_STATUS_USAGE, "--test cannot be combined with --kernel, --initrd or --cmdline");
	if (gdb_wait && !gdb_spec)
		return die(RAX_STATUS_USAGE, "--gdb-wait (-S) needs --gdb WHERE or -s");
	if (gdb_spec && (test || kvm_info))
		return die(RAX_STATUS_USAGE, "--gdb works with --kernel only");
	if (trace_extra && !trace_opt.path)
		return die(RAX_STATUS_USAGE,
			   "--trace-from, --trace-count, --trace-range and --trace-format need --trace FILE");
	if ((trace_opt.path || (history_set && history_size)) && cfg.backend != RAX_BACKEND_EMULATOR)
		return die(RAX_STATUS_USAGE, "--trace and --gdb-history need --backend emulator");
	if (history_set && test)
		return die(RAX_STATUS_USAGE, "--gdb-history works with --kernel only");
	if (trace_opt.path && !trace_format_set) {
		size_t n = strlen(trace_opt.path);
		trace_opt.format = n > 4 && !strcmp(trace_opt.path + n - 4, ".bin") ? TRACE_BINARY : TRACE_TEXT;
	}
	if (test)
		return run_test(&cfg, test);
	if (!cfg.kernel)
		return die(RAX_STATUS_USAGE, "no --kernel or --test given (see --help)");
	int status = run_kernel(&cfg, &initrds, cmdline_set, stats);
	initrd_free(&initrds);
	return status;
}
