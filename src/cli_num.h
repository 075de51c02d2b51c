/*
 * cli_num.h - strict parsing of the numbers on rax's and rax-diff's command
 * lines (--mem, --timeout, --rtc, --steps, --shard).
 *
 * Plain decimal digits only: no sign, no spaces, no 0x or octal, nothing
 * after the number but what the form allows (a size suffix, a fraction),
 * no overflow. Each parser returns 0, or -1 with *why set to a short
 * static phrase for the caller's message ("a sign is not allowed") and
 * *out untouched.
 */
#ifndef RAX_CLI_NUM_H
#define RAX_CLI_NUM_H

#include <stdint.h>

/* A whole number in [min, max]. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why);

/* A byte count with an optional K, M or G suffix (powers of 1024), which may
 * be followed by B or iB: 4096, 512K, 256M, 1GiB. */
int cli_parse_size(const char *s, uint64_t *out, const char **why);

/* Seconds, > 0 and <= max: digits with an optional fraction (2, 0.5, .25);
 * no exponent, inf or nan. */
int cli_parse_seconds(const char *s, double max, double *out, const char **why);

/* A shard "I/N": two whole numbers, 0 <= I < N <= UINT32_MAX. */
int cli_parse_shard(const char *s, unsigned *index, unsigned *count, const char **why);

#endif
