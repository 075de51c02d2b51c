/* test_testimg_format.c - what a file given as a test image plainly is instead. */
#include <string.h>

#include "loader/bzimage.h"
#include "loader/testimg.h"
#include "unit.h"

static uint8_t b[16384];

static const char *other(size_t len, bool *kernel) { return testimg_other_format(b, len, kernel); }

int main(void)
{
	bool k;
	const char *s;
	memcpy(b, "RAXT", 4);
	CHECK(other(64, &k) == NULL);

	memset(b, 0, sizeof(b));
	memcpy(b + BZ_HEADER, "HdrS", 4);
	CHECK((s = other(0x1000, &k)) && strstr(s, "bzImage") && k);
	CHECK(other(BZ_HEADER + 3, &k) == NULL); /* too short for the header: raw code */

	memset(b, 0, sizeof(b));
	memcpy(b,
	       "\x7f"
	       "ELF",
	       4);
	CHECK((s = other(64, &k)) && strstr(s, "ELF") && k);

	memset(b, 0x90, sizeof(b));
	uint32_t mb[3] = { 0x1badb002, 0, (uint32_t) - (0x1badb002u) };
	memcpy(b + 64, mb, sizeof(mb));
	CHECK((s = other(sizeof(b), &k)) && strstr(s, "multiboot") && k);
	mb[2]++; /* a bad checksum: just bytes */
	memcpy(b + 64, mb, sizeof(mb));
	CHECK(other(sizeof(b), &k) == NULL);

	const char *text = "#!/bin/sh\n\techo hi\r\n";
	memcpy(b, text, strlen(text));
	CHECK((s = other(strlen(text), &k)) && strstr(s, "text") && !k);
	CHECK(other(8, &k) == NULL); /* printable but no line: may be code (push/pop...) */

	/* headerless code stays headerless code */
	static const uint8_t code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xfa, 0xf4 };
	memcpy(b, code, sizeof(code));
	CHECK(other(sizeof(code), &k) == NULL);
	return unit_finish("test_testimg_format");
}
