/* cli_num.c - strict command-line numbers (see cli_num.h). */
#include "cli_num.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

/* Why the text at s does not start a number. */
static const char *not_a_number(const char *s)
{
	if (!s || !*s)
		return "empty";
	if (*s == '-' || *s == '+')
		return "a sign is not allowed";
	if (*s == ' ' || *s == '\t' || *s == '\n')
		return "a space is not allowed";
	return "not a decimal number";
}

/* Decimal digits at *p (at least one), advancing *p past them. */
static int digits(const char **p, uint64_t *v, const char **why)
{
	const char *s = *p;
	if (!s || !is_digit(*s))
		return fail(why, not_a_number(s));
	uint64_t x = 0;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (x > (UINT64_MAX - d) / 10)
			return fail(why, "too large");
		x = x * 10 + d;
	}
	*p = s;
	*v = x;
	return 0;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
	uint64_t v;
	if (digits(&s, &v, why) < 0)
		return -1;
	if (*s)
		return fail(why, "unexpected characters after the number");
	if (v < min || v > max)
		return fail(why, "out of range");
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out, const char **why)
{
	uint64_t v;
	if (digits(&s, &v, why) < 0)
		return -1;
	unsigned shift = 0;
	switch (*s) {
	case 'k':
	case 'K': shift = 10; break;
	case 'm':
	case 'M': shift = 20; break;
	case 'g':
	case 'G': shift = 30; break;
	default: break;
	}
	if (shift) {
		s++;
		if (!strcmp(s, "iB") || !strcmp(s, "B"))
			s += strlen(s);
	}
	if (*s)
		return fail(why, "unexpected characters after the number (a size takes K, M or G)");
	if (shift && v > (UINT64_MAX >> shift))
		return fail(why, "too large");
	*out = v << shift;
	return 0;
}

int cli_parse_seconds(const char *s, double max, double *out, const char **why)
{
	const char *p = s;
	if (!p || (!is_digit(*p) && !(*p == '.' && is_digit(p[1]))))
		return fail(why, not_a_number(p));
	while (is_digit(*p))
		p++;
	if (*p == '.')
		for (p++; is_digit(*p);)
			p++;
	if (*p)
		return fail(why, "unexpected characters after the number");
	/* the text is digits[.digits] now: strtod cannot go astray */
	double v = strtod(s, NULL);
	if (!(v > 0))
		return fail(why, "must be more than 0");
	if (v > max)
		return fail(why, "too large");
	*out = v;
	return 0;
}

int cli_parse_shard(const char *s, unsigned *index, unsigned *count, const char **why)
{
	uint64_t i, n;
	if (digits(&s, &i, why) < 0)
		return -1;
	if (*s != '/')
		return fail(why, "expected I/N");
	s++;
	if (digits(&s, &n, why) < 0)
		return -1;
	if (*s)
		return fail(why, "unexpected characters after I/N");
	if (n == 0)
		return fail(why, "N must be at least 1");
	if (n > UINT32_MAX)
		return fail(why, "N is too large");
	if (i >= n)
		return fail(why, "the index I must be less than N");
	*index = (unsigned)i;
	*count = (unsigned)n;
	return 0;
}
