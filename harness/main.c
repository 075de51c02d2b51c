/*
 * main.c - the rax-diff command line: choose the oracle, shard and run the
 * images, print one line per test, the divergence reports and a summary,
 * and turn the outcome into a documented exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_num.h"
#include "jitdiff.h"
#include "json.h"
#include "kernel.h"
#include "layout.h"
#include "lockstep.h"
#include "report.h"
#include "vm.h"

/* Exit statuses of rax-diff */
enum {
	DX_OK = 0,         /* every test PASS */
	DX_DIVERGE = 1,    /* at least one DIVERGE */
	DX_USAGE = 2,      /* bad command line */
	DX_ERROR = 3,      /* no divergence, but a test could not run (bad image, oracle failure) */
	DX_SKIP = 4,       /* nothing failed, but some test (or all) could not be checked here */
	DX_NO_ORACLE = 14, /* the requested oracle is unavailable (KVM unavailable) */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rax-diff [options] IMAGE...\n"
		"       rax-diff --kernel bzImage [--initrd F] [--cmdline S] --steps N [options]\n"
		"       rax-diff --jit --kernel bzImage [--initrd F] [--cmdline S] --steps N [--timeout S]\n"
		"\n"
		"Run each test image on RAX's interpreter and on an oracle (the real CPU)\n"
		"in lockstep, comparing the architectural state after every instruction.\n"
		"\n"
		"  --oracle auto|kvm|native  kvm: RAX's KVM backend; native: CPL3 images run\n"
		"                            in a ptrace'd host process; auto (default): kvm when\n"
		"                            /dev/kvm is usable, else native for CPL3 images,\n"
		"                            else SKIP with the reason\n"
		"  --step-mode auto|singlestep|trapflag   KVM stepping (auto probes the host)\n"
		"  --jit                     compare RAX's block translator against its\n"
		"                            interpreter instead (--oracle interp): every block\n"
		"                            translated, the whole state and the written pages\n"
		"                            compared after each block; with --kernel, over the\n"
		"                            first N instructions of that boot (no KVM needed;\n"
		"                            default command line: rax's), the translated side's\n"
		"                            writes untracked and RAM compared whole now and then\n"
		"  --skip N                  --jit --kernel: run the first N instructions on both\n"
		"                            sides uncompared, compare state and all of RAM at N,\n"
		"                            then every block up to --steps (past the kernel's\n"
		"                            decompressor in a short run)\n"
		"  --chunk N                 --jit --kernel: compare every N instructions instead\n"
		"                            of every block, the translated side running its\n"
		"                            blocks chained (every block returns to the run loop\n"
		"                            otherwise); a difference is placed to a chunk\n"
		"  --jit-step                the emulator side runs each step's instruction as a\n"
		"                            one-instruction block through the block translator\n"
		"                            (its inline stores untracked), so the translated\n"
		"                            code is what the oracle checks; what the translator\n"
		"                            leaves to the interpreter is interpreted (the summary\n"
		"                            says how many steps were translated)\n"
		"  --strict-flags            compare flags the architecture leaves undefined\n"
		"  --keep-going              re-sync from the oracle after a divergence, count them\n"
		"  --steps N                 step limit per test (default: the image's, else %llu)\n"
		"  --json FILE               machine-readable report\n"
		"  --shard I/N               run only images whose index (after sorting the names)\n"
		"                            is I modulo N (0 <= I < N)\n"
		"  --mem SIZE                emulator RAM (default 64M; --kernel: 256M)\n"
		"  --quiet                   no divergence reports, only the per-test lines\n"
		"  --help\n"
		"\n"
		"Kernel boot prefix (needs KVM): --kernel FILE boots the bzImage on KVM and\n"
		"on the interpreter from the same 64-bit entry state and compares the first\n"
		"N instructions (--steps N). Default: at every port exit (state, the port\n"
		"access, RAM at some exits), a difference localised to one instruction by\n"
		"replaying; --step-mode singlestep|trapflag: every instruction on KVM.\n"
		"  --initrd FILE, --cmdline STR   as for rax (default command line:\n"
		"                            \"%s\")\n"
		"  --timeout SECONDS         wall-clock limit of the comparison\n"
		"\n"
		"Per test: PASS, DIVERGE, ERROR or SKIP (with the reason); a test that\n"
		"cannot be checked is never PASS.\n"
		"Exit status: 0 all PASS; 1 a divergence; 2 usage error; 3 a test ERROR\n"
		"(corrupt or truncated image, oracle or emulator failure) and no divergence;\n"
		"4 nothing failed but some tests were SKIPped (a run with only SKIPs is 4);\n"
		"14 the oracle asked for is unavailable (--oracle kvm or --kernel without a\n"
		"usable /dev/kvm: \"KVM unavailable\").\n"
		"Debugging rax-diff itself: RAX_EMU_PLANT=flag|result|memory|fault|fastop|jit\n"
		"breaks one emulator behaviour on purpose (see src/emu/plant.h);\n"
		"RAX_DIFF_JIT_POKE=COUNT:GPA (--jit --kernel) flips a byte of the translated\n"
		"side's RAM in the block that retires instruction COUNT (a stray store).\n",
		(unsigned long long)DIFF_DEFAULT_STEPS, DIFF_KERNEL_CMDLINE);
}

/* One line on stderr, "rax-diff: " first; returns status. */
static int die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "rax-diff: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return status;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

enum {
	O_ORACLE = 256,
	O_MODE,
	O_STRICT,
	O_KEEP,
	O_STEPS,
	O_JSON,
	O_SHARD,
	O_MEM,
	O_KERNEL,
	O_INITRD,
	O_CMDLINE,
	O_QUIET,
	O_TIMEOUT,
	O_JIT,
	O_JIT_STEP,
	O_SKIP,
	O_CHUNK
};

static void json_summary(struct json *w, const unsigned count[4])
{
	json_key(w, "summary");
	json_begin_object(w);
	json_key(w, "pass");
	json_u64(w, count[DIFF_PASS]);
	json_key(w, "diverge");
	json_u64(w, count[DIFF_DIVERGE]);
	json_key(w, "error");
	json_u64(w, count[DIFF_ERROR]);
	json_key(w, "skip");
	json_u64(w, count[DIFF_SKIP]);
	json_end_object(w);
}

static void print_line(const char *what, const struct diff_result *r)
{
	printf("%-7s %s  %llu steps  %.3fs  [%s]", diff_status_name(r->status), what, (unsigned long long)r->steps,
	       r->seconds, r->oracle[0] ? r->oracle : "-");
	if (r->status != DIFF_PASS || r->reason[0])
		printf("  %s", r->reason);
	uint64_t injected = 0;
#define X(m, key, text) injected |= r->m;
	DIFF_INJECTED_FIELDS(X)
#undef X
	if (injected) {
		const char *sep = "  (injected: ";
#define X(m, key, text)                                           \
	printf("%s%s %llu", sep, text, (unsigned long long)r->m); \
	sep = ", ";
		DIFF_INJECTED_FIELDS(X)
#undef X
		printf(")");
	}
	printf("\n");
}

static int status_of(const unsigned count[4])
{
	if (count[DIFF_DIVERGE])
		return DX_DIVERGE;
	if (count[DIFF_ERROR])
		return DX_ERROR;
	if (count[DIFF_SKIP])
		return DX_SKIP;
	return DX_OK;
}

/*
 * The --json report file, opened before anything runs (an unwritable path
 * is a usage error, status 2). A run that ends before any test (KVM
 * unavailable) closes it again and removes it when it did not exist.
 */
struct json_out {
	const char *path;
	FILE *f;
	bool created;
};

static int json_open(struct json_out *j, const char *path)
{
	*j = (struct json_out){ .path = path };
	if (!path)
		return 0;
	struct stat sb;
	j->created = stat(path, &sb) < 0;
	if (!(j->f = fopen(path, "w"))) {
		die(DX_USAGE, "cannot write --json file '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void json_abandon(struct json_out *j)
{
	if (!j->f)
		return;
	fclose(j->f);
	j->f = NULL;
	if (j->created)
		unlink(j->path);
}

/* rax-diff --kernel: one boot prefix, reported like one test. */
static int run_kernel(const struct diff_kernel_options *ko, FILE *jf, bool quiet, bool jit)
{
	struct diff_result r;
	if (jit)
		diff_run_jit_kernel(ko, &r);
	else
		diff_run_kernel(ko, &r);
	print_line(ko->kernel, &r);
	report_kernel(stdout, &r);
	if (!quiet)
		for (unsigned k = 0; k < r.ndiv; k++)
			report_divergence(stdout, &r, &r.div[k]);
	unsigned count[4] = { 0 };
	count[r.status]++;
	if (jf) {
		struct json w;
		json_init(&w, jf);
		json_begin_object(&w);
		json_key(&w, "tool");
		json_str(&w, "rax-diff");
		json_key(&w, "tests");
		json_begin_array(&w);
		report_json_test(&w, &r);
		json_end_array(&w);
		json_summary(&w, count);
		json_end_object(&w);
		fputc('\n', jf);
		fclose(jf);
	}
	diff_result_free(&r);
	return status_of(count);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "oracle", required_argument, 0, O_ORACLE },
		{ "step-mode", required_argument, 0, O_MODE },
		{ "strict-flags", no_argument, 0, O_STRICT },
		{ "keep-going", no_argument, 0, O_KEEP },
		{ "steps", required_argument, 0, O_STEPS },
		{ "json", required_argument, 0, O_JSON },
		{ "shard", required_argument, 0, O_SHARD },
		{ "mem", required_argument, 0, O_MEM },
		{ "kernel", required_argument, 0, O_KERNEL },
		{ "initrd", required_argument, 0, O_INITRD },
		{ "cmdline", required_argument, 0, O_CMDLINE },
		{ "quiet", no_argument, 0, O_QUIET },
		{ "timeout", required_argument, 0, O_TIMEOUT },
		{ "jit", no_argument, 0, O_JIT },
		{ "jit-step", no_argument, 0, O_JIT_STEP },
		{ "skip", required_argument, 0, O_SKIP },
		{ "chunk", required_argument, 0, O_CHUNK },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct diff_options opt = { .oracle = DIFF_ORACLE_AUTO, .step_mode = KVM_STEP_AUTO, .mem_size = 64ull << 20 };
	const char *json_path = NULL, *kernel = NULL, *initrd = NULL, *cmdline = NULL;
	unsigned shard_i = 0, shard_n = 1;
	uint64_t skip = 0, chunk = 0;
	bool quiet = false, mem_given = false, mode_given = false, oracle_given = false, shard_given = false,
	     jit = false, oracle_interp = false;
	double timeout = 0;
	const char *why;
	opterr = 0;
	int c;
	/* the leading ':' makes a missing value ':' rather than '?' (unknown) */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_ORACLE:
			if (!strcmp(optarg, "auto"))
				opt.oracle = DIFF_ORACLE_AUTO;
			else if (!strcmp(optarg, "kvm"))
				opt.oracle = DIFF_ORACLE_KVM;
			else if (!strcmp(optarg, "native"))
				opt.oracle = DIFF_ORACLE_NATIVE;
			else if (!strcmp(optarg, "interp"))
				oracle_interp = true;
			else
				return die(DX_USAGE, "unknown --oracle '%s' (auto, kvm, native or interp)", optarg);
			oracle_given = true;
			break;
		case O_MODE:
			if (!strcmp(optarg, "auto"))
				opt.step_mode = KVM_STEP_AUTO;
			else if (!strcmp(optarg, "singlestep"))
				opt.step_mode = KVM_STEP_SINGLESTEP;
			else if (!strcmp(optarg, "trapflag"))
				opt.step_mode = KVM_STEP_TRAPFLAG;
			else
				return die(DX_USAGE, "unknown --step-mode '%s' (auto, singlestep or trapflag)", optarg);
			mode_given = opt.step_mode != KVM_STEP_AUTO;
			break;
		case O_STRICT: opt.strict_flags = true; break;
		case O_JIT: jit = true; break;
		case O_JIT_STEP: opt.jit_step = true; break;
		case O_KEEP: opt.keep_going = true; break;
		case O_QUIET: quiet = true; break;
		case O_STEPS:
			if (cli_parse_u64(optarg, 1, UINT64_MAX, &opt.max_steps, &why) < 0)
				return die(DX_USAGE, "malformed --steps '%s' (a positive count: %s)", optarg, why);
			break;
		case O_SKIP:
			if (cli_parse_u64(optarg, 1, UINT64_MAX, &skip, &why) < 0)
				return die(DX_USAGE, "malformed --skip '%s' (a positive count: %s)", optarg, why);
			break;
		case O_CHUNK:
			if (cli_parse_u64(optarg, 1, UINT64_MAX, &chunk, &why) < 0)
				return die(DX_USAGE, "malformed --chunk '%s' (a positive count: %s)", optarg, why);
			break;
		case O_JSON: json_path = optarg; break;
		case O_SHARD:
			if (cli_parse_shard(optarg, &shard_i, &shard_n, &why) < 0)
				return die(DX_USAGE, "malformed --shard '%s' (I/N with 0 <= I < N: %s)", optarg, why);
			shard_given = true;
			break;
		case O_MEM:
			if (cli_parse_size(optarg, &opt.mem_size, &why) < 0)
				return die(DX_USAGE, "malformed --mem '%s' (16M to 3G: %s)", optarg, why);
			if (opt.mem_size < GUEST_MEM_MIN || opt.mem_size > GUEST_MEM_MAX)
				return die(DX_USAGE, "--mem '%s' is out of range (16M to 3G)", optarg);
			if (opt.mem_size & (GUEST_PAGE_SIZE - 1))
				return die(DX_USAGE, "--mem '%s' is not a multiple of 4 KiB", optarg);
			mem_given = true;
			break;
		case O_KERNEL: kernel = optarg; break;
		case O_INITRD: initrd = optarg; break;
		case O_CMDLINE: cmdline = optarg; break;
		case O_TIMEOUT:
			if (cli_parse_seconds(optarg, 1e6, &timeout, &why) < 0)
				return die(DX_USAGE, "malformed --timeout '%s' (seconds, > 0, e.g. 30 or 2.5: %s)",
					   optarg, why);
			break;
		case 'h': usage(stdout); return DX_OK;
		case ':': return die(DX_USAGE, "option '%s' needs a value (see --help)", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256) { /* a short option */
				char o[3] = { '-', (char)optopt, 0 };
				return die(DX_USAGE, "unknown option '%s' (see --help)", o);
			}
			return die(DX_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}

	struct diff_kernel_options ko = { .kernel = kernel,
					  .initrd = initrd,
					  .cmdline = cmdline,
					  .mem_size = mem_given ? opt.mem_size : DIFF_KERNEL_MEM,
					  .steps = opt.max_steps,
					  .per_insn = mode_given,
					  .strict_flags = opt.strict_flags,
					  .keep_going = opt.keep_going,
					  .timeout = timeout,
					  .skip = skip,
					  .chunk = chunk };
	if (oracle_interp && !jit)
		return die(DX_USAGE, "%s", "--oracle interp checks the translator: add --jit");
	if (jit && oracle_given && !oracle_interp)
		return die(DX_USAGE, "%s", "--jit compares against the interpreter (--oracle interp)");
	if ((skip || chunk) && !(jit && kernel))
		return die(DX_USAGE, "%s", "--skip and --chunk are for --jit --kernel");
	if (skip && opt.max_steps && skip >= opt.max_steps)
		return die(DX_USAGE, "%s", "--skip N must be below --steps");
	if (opt.jit_step && jit)
		return die(DX_USAGE, "%s",
			   "--jit-step checks the translator against the CPU oracle; --jit against the interpreter");
	if (opt.jit_step && kernel)
		return die(DX_USAGE, "%s", "--jit-step runs test images (not --kernel)");
	if (kernel) {
		/* bad input is a usage error before anything about the host */
		if (optind < argc)
			return die(DX_USAGE, "--kernel takes no test images ('%s')", argv[optind]);
		if (shard_given)
			return die(DX_USAGE, "%s", "--shard does not apply to --kernel");
		if (jit && mode_given)
			return die(DX_USAGE, "%s", "--step-mode is for the KVM oracle (--jit compares blocks)");
		if (oracle_given && !jit && opt.oracle == DIFF_ORACLE_NATIVE)
			return die(DX_USAGE, "%s",
				   "--kernel needs the KVM oracle (the native one runs CPL3 code only)");
		struct rax_err kerr = { 0 };
		if (diff_kernel_check_inputs(&ko, &kerr) < 0)
			return die(DX_USAGE, "%s", kerr.msg);
	} else if (initrd || cmdline) {
		return die(DX_USAGE, "%s", "--initrd and --cmdline need --kernel");
	}

	if (!kernel && optind >= argc)
		return die(DX_USAGE, "no test image given%s", " (see --help)");
	struct json_out jo;
	if (json_open(&jo, json_path) < 0)
		return DX_USAGE;

	/* KVM: what this host's can do (one probe, cached), before any test */
	if (jit)
		snprintf(opt.kvm_why, sizeof(opt.kvm_why), "--jit");
	else if (opt.oracle != DIFF_ORACLE_NATIVE)
		opt.kvm_usable = oracle_kvm_usable(&opt.step_mode, &opt.kvm_caps, opt.kvm_why, sizeof(opt.kvm_why));
	else
		snprintf(opt.kvm_why, sizeof(opt.kvm_why), "--oracle native");
	if (kernel && jit)
		return run_kernel(&ko, jo.f, quiet, true);
	if (kernel) {
		if (!opt.kvm_usable) {
			json_abandon(&jo);
			fprintf(stderr, "rax-diff: KVM unavailable: %s (the kernel boot prefix needs the KVM oracle)\n",
				opt.kvm_why);
			return DX_NO_ORACLE;
		}
		ko.mode = opt.step_mode;
		return run_kernel(&ko, jo.f, quiet, false);
	}
	if (opt.oracle == DIFF_ORACLE_KVM && !opt.kvm_usable) {
		json_abandon(&jo);
		fprintf(stderr, "rax-diff: KVM unavailable: %s\n", opt.kvm_why);
		return DX_NO_ORACLE;
	}

	int nimg = argc - optind;
	const char **img = calloc((size_t)nimg, sizeof(*img));
	if (!img) {
		json_abandon(&jo);
		return die(DX_ERROR, "%s", "out of memory");
	}
	for (int i = 0; i < nimg; i++)
		img[i] = argv[optind + i];
	qsort(img, (size_t)nimg, sizeof(*img), cmp_str);

	FILE *jf = jo.f;
	struct json w;
	if (jf) {
		json_init(&w, jf);
		json_begin_object(&w);
		json_key(&w, "tool");
		json_str(&w, "rax-diff");
		json_key(&w, "shard");
		json_begin_array(&w);
		json_u64(&w, shard_i);
		json_u64(&w, shard_n);
		json_end_array(&w);
		json_key(&w, "tests");
		json_begin_array(&w);
	}
	bool tty = isatty(STDOUT_FILENO);
	unsigned count[4] = { 0 };
	uint64_t total_steps = 0, total_translated = 0;
	unsigned tests_translated = 0;
	int todo = 0, done = 0;
	for (int i = 0; i < nimg; i++)
		if ((unsigned)i % shard_n == shard_i)
			todo++;
	for (int i = 0; i < nimg; i++) {
		if ((unsigned)i % shard_n != shard_i)
			continue;
		if (tty) {
			printf("\r[%d/%d] %s ...\033[K", done + 1, todo, img[i]);
			fflush(stdout);
		}
		struct diff_result r;
		if (jit)
			diff_run_jit(img[i], &opt, &r);
		else
			diff_run_image(img[i], &opt, &r);
		done++;
		if (tty)
			printf("\r\033[K");
		count[r.status]++;
		total_steps += r.steps;
		total_translated += r.translated_steps;
		tests_translated += r.translated_steps != 0;
		print_line(img[i], &r);
		if (!quiet)
			for (unsigned k = 0; k < r.ndiv; k++)
				report_divergence(stdout, &r, &r.div[k]);
		if (jf)
			report_json_test(&w, &r);
		diff_result_free(&r);
		fflush(stdout);
	}
	printf("rax-diff: %d tests: %u passed, %u diverged, %u errors, %u skipped; %llu steps", done, count[DIFF_PASS],
	       count[DIFF_DIVERGE], count[DIFF_ERROR], count[DIFF_SKIP], (unsigned long long)total_steps);
	if (opt.jit_step)
		printf(" (%llu translated, in %u tests)", (unsigned long long)total_translated, tests_translated);
	printf("\n");
	if (jf) {
		json_end_array(&w);
		json_summary(&w, count);
		json_end_object(&w);
		fputc('\n', jf);
		fclose(jf);
	}
	free(img);
	return status_of(count);
}
