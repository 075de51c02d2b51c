/*
 * main.c - the rax-diff command line: choose the oracle, shard and run the
 * images, print one line per test, the divergence reports and a summary,
 * and turn the outcome into a documented exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "lockstep.h"
#include "report.h"
#include "vm.h"

/* Exit statuses of rax-diff */
enum {
	DX_OK = 0,          /* every test PASS */
	DX_DIVERGE = 1,     /* at least one DIVERGE */
	DX_USAGE = 2,       /* bad command line */
	DX_ERROR = 3,       /* no divergence, but a test could not run (bad image, oracle failure) */
	DX_SKIP = 4,        /* nothing failed, but some test (or all) could not be checked here */
	DX_NO_ORACLE = 14,  /* the requested oracle is unavailable (KVM unavailable) */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rax-diff [options] IMAGE...\n"
		"       rax-diff --kernel bzImage [--initrd F] [--cmdline S] --steps N\n"
		"\n"
		"Run each test image on RAX's interpreter and on an oracle (the real CPU)\n"
		"in lockstep, comparing the architectural state after every instruction.\n"
		"\n"
		"  --oracle auto|kvm|native  kvm: RAX's KVM backend; native: CPL3 images run\n"
		"                            in a ptrace'd host process; auto (default): kvm when\n"
		"                            /dev/kvm is usable, else native for CPL3 images,\n"
		"                            else SKIP with the reason\n"
		"  --step-mode auto|singlestep|trapflag   KVM stepping (auto probes the host)\n"
		"  --strict-flags            compare flags the architecture leaves undefined\n"
		"  --keep-going              re-sync from the oracle after a divergence, count them\n"
		"  --steps N                 step limit per test (default: the image's, else %llu)\n"
		"  --json FILE               machine-readable report\n"
		"  --shard I/N               run only images whose index (after sorting the names)\n"
		"                            is I modulo N (0 <= I < N)\n"
		"  --mem SIZE                emulator RAM (default 64M)\n"
		"  --quiet                   no divergence reports, only the per-test lines\n"
		"  --help\n"
		"\n"
		"Per test: PASS, DIVERGE, ERROR or SKIP (with the reason); a test that\n"
		"cannot be checked is never PASS.\n"
		"Exit status: 0 all PASS; 1 a divergence; 2 usage error; 3 a test ERROR\n"
		"(corrupt or truncated image, oracle or emulator failure) and no divergence;\n"
		"4 nothing failed but some tests were SKIPped (a run with only SKIPs is 4);\n"
		"14 the oracle asked for is unavailable (--oracle kvm or --kernel without a\n"
		"usable /dev/kvm: \"KVM unavailable\").\n"
		"Debugging rax-diff itself: RAX_EMU_PLANT=flag|result|memory|fault breaks one\n"
		"emulator behaviour on purpose (see src/emu/plant.h).\n",
		(unsigned long long)DIFF_DEFAULT_STEPS);
}

static int die(int status, const char *fmt, const char *arg)
{
	fprintf(stderr, "rax-diff: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return status;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum { O_ORACLE = 256, O_MODE, O_STRICT, O_KEEP, O_STEPS, O_JSON, O_SHARD, O_MEM, O_KERNEL,
       O_INITRD, O_CMDLINE, O_QUIET };

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
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct diff_options opt = { .oracle = DIFF_ORACLE_AUTO, .step_mode = KVM_STEP_AUTO,
				    .mem_size = 64ull << 20 };
	const char *json_path = NULL, *kernel = NULL;
	unsigned shard_i = 0, shard_n = 1;
	bool quiet = false;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_ORACLE:
			if (!strcmp(optarg, "auto"))
				opt.oracle = DIFF_ORACLE_AUTO;
			else if (!strcmp(optarg, "kvm"))
				opt.oracle = DIFF_ORACLE_KVM;
			else if (!strcmp(optarg, "native"))
				opt.oracle = DIFF_ORACLE_NATIVE;
			else
				return die(DX_USAGE, "unknown --oracle '%s' (auto, kvm or native)", optarg);
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
			break;
		case O_STRICT: opt.strict_flags = true; break;
		case O_KEEP: opt.keep_going = true; break;
		case O_QUIET: quiet = true; break;
		case O_STEPS: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg || !v)
				return die(DX_USAGE, "malformed --steps '%s' (a positive count)", optarg);
			opt.max_steps = v;
			break;
		}
		case O_JSON: json_path = optarg; break;
		case O_SHARD:
			if (sscanf(optarg, "%u/%u", &shard_i, &shard_n) != 2 || shard_n == 0 || shard_i >= shard_n)
				return die(DX_USAGE, "malformed --shard '%s' (I/N with 0 <= I < N)", optarg);
			break;
		case O_MEM:
			if (parse_size(optarg, &opt.mem_size) < 0 || opt.mem_size < GUEST_MEM_MIN ||
			    opt.mem_size > GUEST_MEM_MAX)
				return die(DX_USAGE, "malformed --mem '%s' (16M to 3G)", optarg);
			break;
		case O_KERNEL: kernel = optarg; break;
		case O_INITRD:
		case O_CMDLINE: break; /* kernel mode only */
		case 'h': usage(stdout); return DX_OK;
		case ':': return die(DX_USAGE, "option '%s' needs a value (see --help)", argv[optind - 1]);
		default: return die(DX_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}

	/* KVM: probe once, before any test */
	if (opt.oracle != DIFF_ORACLE_NATIVE) {
		opt.kvm_usable = oracle_kvm_available(opt.kvm_why, sizeof(opt.kvm_why));
		if (opt.kvm_usable && opt.step_mode == KVM_STEP_AUTO) {
			struct rax_err err = { 0 };
			char why[256];
			if (oracle_kvm_probe(&opt.step_mode, why, sizeof(why), &err) < 0) {
				opt.kvm_usable = false;
				snprintf(opt.kvm_why, sizeof(opt.kvm_why), "%s", err.msg);
			}
		}
	} else {
		snprintf(opt.kvm_why, sizeof(opt.kvm_why), "--oracle native");
	}
	if (kernel) {
		if (!opt.kvm_usable) {
			fprintf(stderr, "rax-diff: KVM unavailable: %s (the kernel boot prefix needs the KVM oracle)\n",
				opt.kvm_why);
			return DX_NO_ORACLE;
		}
		fprintf(stderr, "rax-diff: --kernel: the boot-prefix comparison at exits is not implemented yet\n");
		return DX_ERROR;
	}
	if (opt.oracle == DIFF_ORACLE_KVM && !opt.kvm_usable) {
		fprintf(stderr, "rax-diff: KVM unavailable: %s\n", opt.kvm_why);
		return DX_NO_ORACLE;
	}
	if (optind >= argc)
		return die(DX_USAGE, "no test image given%s", " (see --help)");

	int nimg = argc - optind;
	const char **img = calloc((size_t)nimg, sizeof(*img));
	if (!img)
		return die(DX_ERROR, "%s", "out of memory");
	for (int i = 0; i < nimg; i++)
		img[i] = argv[optind + i];
	qsort(img, (size_t)nimg, sizeof(*img), cmp_str);

	FILE *jf = NULL;
	struct json w;
	if (json_path) {
		jf = fopen(json_path, "w");
		if (!jf)
			return die(DX_USAGE, "cannot write --json file '%s'", json_path);
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
	uint64_t total_steps = 0;
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
		diff_run_image(img[i], &opt, &r);
		done++;
		if (tty)
			printf("\r\033[K");
		count[r.status]++;
		total_steps += r.steps;
		printf("%-7s %s  %llu steps  %.3fs  [%s]", diff_status_name(r.status), img[i],
		       (unsigned long long)r.steps, r.seconds, r.oracle[0] ? r.oracle : "-");
		if (r.status != DIFF_PASS || r.reason[0])
			printf("  %s", r.reason);
		if (r.cpuid_injected || r.rdtsc_injected || r.port_in_injected)
			printf("  (injected: cpuid %llu, rdtsc %llu, port-in %llu)",
			       (unsigned long long)r.cpuid_injected, (unsigned long long)r.rdtsc_injected,
			       (unsigned long long)r.port_in_injected);
		printf("\n");
		if (!quiet)
			for (unsigned k = 0; k < r.ndiv; k++)
				report_divergence(stdout, &r, &r.div[k]);
		if (jf)
			report_json_test(&w, &r);
		diff_result_free(&r);
		fflush(stdout);
	}
	printf("rax-diff: %d tests: %u passed, %u diverged, %u errors, %u skipped; %llu steps\n", done,
	       count[DIFF_PASS], count[DIFF_DIVERGE], count[DIFF_ERROR], count[DIFF_SKIP],
	       (unsigned long long)total_steps);
	if (jf) {
		json_end_array(&w);
		json_key(&w, "summary");
		json_begin_object(&w);
		json_key(&w, "pass");
		json_u64(&w, count[DIFF_PASS]);
		json_key(&w, "diverge");
		json_u64(&w, count[DIFF_DIVERGE]);
		json_key(&w, "error");
		json_u64(&w, count[DIFF_ERROR]);
		json_key(&w, "skip");
		json_u64(&w, count[DIFF_SKIP]);
		json_end_object(&w);
		json_end_object(&w);
		fputc('\n', jf);
		fclose(jf);
	}
	free(img);
	if (count[DIFF_DIVERGE])
		return DX_DIVERGE;
	if (count[DIFF_ERROR])
		return DX_ERROR;
	if (count[DIFF_SKIP])
		return DX_SKIP;
	return DX_OK;
}
