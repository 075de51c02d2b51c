/* err.c - formatting of error values (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int rax_errf(struct rax_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return -1;
}
