/*
 * Diagnostic formatting for parsers of untrusted input (see diag.h).
 * Trusts nothing: every string is bounded and NUL-terminated.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

int pol_diag_set(struct pol_diag *diag, const char *file, unsigned line,
		 unsigned column, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return -EINVAL;
	snprintf(diag->file, sizeof(diag->file), "%s", file ? file : "");
	diag->line = line;
	diag->column = column;
	va_start(ap, fmt);
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void pol_diag_format(const struct pol_diag *diag, char *buf, size_t size)
{
	if (!size)
		return;
	if (diag->line)
		snprintf(buf, size, "%s:%u:%u: %s", diag->file, diag->line,
			 diag->column, diag->message);
	else if (diag->file[0])
		snprintf(buf, size, "%s: %s", diag->file, diag->message);
	else
		snprintf(buf, size, "%s", diag->message);
}
