/*
 * Diagnostics for parsers of untrusted input. A parser that rejects its
 * input fills one of these with where and why; callers print it as
 * "file:line:column: message". Lines and columns are 1-based; 0 means the
 * location is unknown (e.g. the file could not be opened).
 */
#ifndef ATTESTA_DIAG_H
#define ATTESTA_DIAG_H

#include <stddef.h>

struct pol_diag {
	char file[512];
	unsigned line;
	unsigned column;
	char message[512];
};

/* Fill diag (if not NULL) with a printf-style message. Returns -EINVAL so
 * parsers can write `return pol_diag_set(...)`. */
int pol_diag_set(struct pol_diag *diag, const char *file, unsigned line,
		 unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Format "file:line:column: message" (or "file: message" without a
 * location) into buf. Always NUL-terminates. */
void pol_diag_format(const struct pol_diag *diag, char *buf, size_t size);

#endif
