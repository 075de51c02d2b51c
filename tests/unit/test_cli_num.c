/* test_cli_num.c - the strict command-line number parsers (src/cli_num.c). */
#include <string.h>

#include "cli_num.h"
#include "unit.h"

static int u64_bad(const char *s, uint64_t min, uint64_t max, const char *why_has)
{
	uint64_t v = 12345;
	const char *why = NULL;
	if (cli_parse_u64(s, min, max, &v, &why) == 0) {
		fprintf(stderr, "'%s' accepted as %llu\n", s, (unsigned long long)v);
		return 0;
	}
	if (v != 12345 || !why || !strstr(why, why_has)) {
		fprintf(stderr, "'%s': why '%s', want '%s'\n", s, why ? why : "(null)", why_has);
		return 0;
	}
	return 1;
}

static void test_u64(void)
{
	uint64_t v;
	const char *why;
	CHECK(cli_parse_u64("0", 0, 10, &v, &why) == 0 && v == 0);
	CHECK(cli_parse_u64("007", 0, 10, &v, &why) == 0 && v == 7); /* decimal, not octal */
	CHECK(cli_parse_u64("18446744073709551615", 0, UINT64_MAX, &v, &why) == 0 && v == UINT64_MAX);
	CHECK(u64_bad("18446744073709551616", 0, UINT64_MAX, "too large"));
	CHECK(u64_bad("99999999999999999999999", 0, UINT64_MAX, "too large"));
	CHECK(u64_bad("", 0, 10, "empty"));
	CHECK(u64_bad("-1", 0, 10, "sign"));
	CHECK(u64_bad("+1", 0, 10, "sign"));
	CHECK(u64_bad(" 1", 0, 10, "space"));
	CHECK(u64_bad("1 ", 0, 10, "after the number"));
	CHECK(u64_bad("1x", 0, 10, "after the number"));
	CHECK(u64_bad("0x10", 0, 100, "after the number"));
	CHECK(u64_bad("abc", 0, 10, "not a decimal number"));
	CHECK(u64_bad("11", 0, 10, "out of range"));
	CHECK(u64_bad("0", 1, 10, "out of range"));
	CHECK(u64_bad(NULL, 0, 10, "empty"));
}

static void test_size(void)
{
	uint64_t v;
	const char *why;
	CHECK(cli_parse_size("256M", &v, &why) == 0 && v == 256ull << 20);
	CHECK(cli_parse_size("1G", &v, &why) == 0 && v == 1ull << 30);
	CHECK(cli_parse_size("1GiB", &v, &why) == 0 && v == 1ull << 30);
	CHECK(cli_parse_size("1GB", &v, &why) == 0 && v == 1ull << 30);
	CHECK(cli_parse_size("512k", &v, &why) == 0 && v == 512ull << 10);
	CHECK(cli_parse_size("4096", &v, &why) == 0 && v == 4096);
	CHECK(cli_parse_size("", &v, &why) < 0);
	CHECK(cli_parse_size("M", &v, &why) < 0);
	CHECK(cli_parse_size("-5M", &v, &why) < 0 && strstr(why, "sign"));
	CHECK(cli_parse_size("+5M", &v, &why) < 0 && strstr(why, "sign"));
	CHECK(cli_parse_size("5MM", &v, &why) < 0);
	CHECK(cli_parse_size("5Mi", &v, &why) < 0);
	CHECK(cli_parse_size("5 M", &v, &why) < 0);
	CHECK(cli_parse_size("0x10M", &v, &why) < 0);
	CHECK(cli_parse_size("17179869184G", &v, &why) < 0 && strstr(why, "too large"));
	CHECK(cli_parse_size("99999999999999999999G", &v, &why) < 0 && strstr(why, "too large"));
}

static void test_seconds(void)
{
	double d;
	const char *why;
	CHECK(cli_parse_seconds("2", 1e6, &d, &why) == 0 && d == 2.0);
	CHECK(cli_parse_seconds("0.5", 1e6, &d, &why) == 0 && d == 0.5);
	CHECK(cli_parse_seconds(".25", 1e6, &d, &why) == 0 && d == 0.25);
	CHECK(cli_parse_seconds("3.", 1e6, &d, &why) == 0 && d == 3.0);
	CHECK(cli_parse_seconds("1000000", 1e6, &d, &why) == 0);
	static const char *bad[] = { "",    ".",   "0",    "0.0",  "-1",    "+1", " 1",      "1 ", "1e3",
				     "inf", "nan", "0x10", "1..2", "1.2.3", "1s", "1000001", "1,5" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = -7;
		int rc = cli_parse_seconds(bad[i], 1e6, &d, &why);
		CHECK(rc < 0 && d == -7 && why && why[0]);
		if (rc == 0)
			fprintf(stderr, "seconds '%s' accepted\n", bad[i]);
	}
}

static void test_shard(void)
{
	unsigned i, n;
	const char *why;
	CHECK(cli_parse_shard("0/1", &i, &n, &why) == 0 && i == 0 && n == 1);
	CHECK(cli_parse_shard("2/3", &i, &n, &why) == 0 && i == 2 && n == 3);
	CHECK(cli_parse_shard("0/4294967295", &i, &n, &why) == 0 && n == 4294967295u);
	CHECK(cli_parse_shard("4/4", &i, &n, &why) < 0 && strstr(why, "less than"));
	CHECK(cli_parse_shard("0/0", &i, &n, &why) < 0);
	CHECK(cli_parse_shard("0/4294967296", &i, &n, &why) < 0 && strstr(why, "too large"));
	CHECK(cli_parse_shard("0/4294967297", &i, &n, &why) < 0);
	static const char *bad[] = { "1/3/4", "/3",   "1/",   "1",    "",    "-1/3", "+1/3", "1/-3",
				     " 1/3",  "1/3 ", "1 /3", "1/ 3", "a/b", "1:3",  "0x1/3" };
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int rc = cli_parse_shard(bad[k], &i, &n, &why);
		CHECK(rc < 0 && why && why[0]);
		if (rc == 0)
			fprintf(stderr, "shard '%s' accepted\n", bad[k]);
	}
}

int main(void)
{
	test_u64();
	test_size();
	test_seconds();
	test_shard();
	return unit_finish("test_cli_num");
}
