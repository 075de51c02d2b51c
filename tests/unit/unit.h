/*
 * unit.h - a minimal unit-test harness for the C tests in tests/unit/.
 *
 * CHECK() records a failure and goes on; the test's main() returns
 * unit_finish(), which prints "N passed, N failed" and the exit status.
 */
#ifndef RAX_UNIT_H
#define RAX_UNIT_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int unit_pass, unit_fail;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (cond) {                                                                      \
			unit_pass++;                                                             \
		} else {                                                                         \
			unit_fail++;                                                             \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                                                         \
	do {                                                                                                   \
		uint64_t ua_ = (uint64_t)(a), ub_ = (uint64_t)(b);                                             \
		if (ua_ == ub_) {                                                                              \
			unit_pass++;                                                                           \
		} else {                                                                                       \
			unit_fail++;                                                                           \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")\n", \
				__FILE__, __LINE__, #a, #b, ua_, ub_);                                         \
		}                                                                                              \
	} while (0)

/* "48 89 c8" -> bytes; returns the count (space-separated hex pairs). */
static inline size_t unit_hex(const char *hex, uint8_t *b)
{
	size_t n = 0;
	for (const char *p = hex; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		unsigned v;
		sscanf(p, "%2x", &v);
		b[n++] = (uint8_t)v;
		p += 2;
	}
	return n;
}

static inline int unit_finish(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

/* Random cases per form for the differential tests: $RAX_UNIT_CASES when
 * set (ci/test.sh lowers it for the slow sanitizer build), else dflt. */
static inline unsigned unit_cases(unsigned dflt)
{
	const char *e = getenv("RAX_UNIT_CASES");
	return e && atoi(e) > 0 ? (unsigned)atoi(e) : dflt;
}

#endif
