/*
 * err.h - errors as values.
 *
 * Library code never exits: it fills a struct rax_err with one line of text
 * and returns -1. The CLI prints that line and picks the exit status.
 */
#ifndef RAX_ERR_H
#define RAX_ERR_H

struct rax_err {
	int code; /* an enum rax_status value (see vm.h), 0 when unset */
	char msg[512];
};

/* Format an error message into err (may be NULL); always returns -1. */
int rax_errf(struct rax_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
