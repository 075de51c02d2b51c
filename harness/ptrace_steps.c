/*
 * ptrace_steps.c - the raw cost of the native oracle's host mechanism: a
 * child single-stepped N times with PTRACE_SINGLESTEP over a tight loop,
 * no register reads, no comparison. Prints steps per second.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		for (volatile unsigned long x = 0;; x++)
			;
	}
	int st;
	waitpid(pid, &st, 0);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
		waitpid(pid, &st, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
	printf("raw     PTRACE_SINGLESTEP loop %30ld steps %7.3fs %9.0f steps/s (host mechanism alone)\n", n, t,
	       (double)n / t);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 0;
}
