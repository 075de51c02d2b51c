/*
 * input_file.h - the one way RAX reads an input file: a kernel, an initrd,
 * a multiboot module, a test image.
 *
 * The file is opened with O_NONBLOCK (so a FIFO without a writer, or a
 * device, cannot block the open), checked with fstat to be a regular file
 * of an acceptable size, and only then read; a file whose size changes
 * while it is read (or that says 0 bytes and then has some, as /proc
 * files do) is refused rather than half-read. Every refusal is one line
 * naming the file: "<what> '<path>': not a regular file (a FIFO)".
 */
#ifndef RAX_INPUT_FILE_H
#define RAX_INPUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct rax_input_spec {
	const char *what; /* names the file in messages: "kernel", "--test", "module" */
	const char *verb; /* open failures say "cannot <verb> <what>"; NULL: "open" */
	uint64_t max;     /* the guest RAM size: larger files are refused ("--mem") */
	bool empty_ok;    /* an empty file is fine (else refused) */
};

/* Read the whole file into a malloc'd buffer (never NULL on success, also
 * for an empty file); fills err (usage status 2, or 14 when out of memory)
 * and returns -1 on any refusal, with *buf NULL and *len 0. */
int rax_input_read(const char *path, const struct rax_input_spec *spec, uint8_t **buf, size_t *len,
		   struct rax_err *err);

/* The same checks, then only the first bytes: up to cap into buf, *n of them
 * (fewer when the file is shorter). For a look at a file's format. */
int rax_input_head(const char *path, const struct rax_input_spec *spec, uint8_t *buf, size_t cap, size_t *n,
		   struct rax_err *err);

/* The same checks without reading: the file can be read as given. */
int rax_input_check(const char *path, const struct rax_input_spec *spec, struct rax_err *err);

/* "a directory", "a FIFO", "a character device", ... for a st_mode. */
const char *rax_file_kind(mode_t mode);

#endif
