/*
 * A bounded PCRE2 wrapper for patterns from configs and profiles. Patterns
 * are compiled once (UTF + UCP, so \b, \w and caseless matching follow
 * Unicode as Python's re does) with POL_REGEX_MAX_PATTERN as the length cap,
 * and every match runs under POL_REGEX_MATCH_LIMIT / POL_REGEX_DEPTH_LIMIT
 * so a hostile pattern cannot stall the supervisor.
 *
 * Thread-safety: a compiled regex is immutable; pol_regex_search() uses
 * per-thread match data and may be called from any thread.
 */
#ifndef ATTESTA_REGEX_H
#define ATTESTA_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#define POL_REGEX_CASELESS 0x1u

struct pol_regex;

/* Compile pattern. On error returns -EINVAL and writes PCRE2's message and
 * the 0-based offset of the error into err / ret_err_offset (if not NULL);
 * -E2BIG for a pattern over the cap, -ENOMEM. */
int pol_regex_compile(const char *pattern, unsigned flags, struct pol_regex **ret_regex,
		      char *err, size_t err_size, size_t *ret_err_offset);

/* Search subject (len bytes; invalid UTF-8 is matched byte-wise as
 * PCRE2_MATCH_INVALID_UTF allows). Returns 1 on a match, 0 on none,
 * -E2BIG when the match budget ran out (callers treat it as a match:
 * fail closed), -ENOMEM. If ret_start/ret_end are not NULL they receive
 * the byte range of the match. */
int pol_regex_search(const struct pol_regex *regex, const char *subject, size_t len,
		     size_t *ret_start, size_t *ret_end);

const char *pol_regex_pattern(const struct pol_regex *regex);
void pol_regex_free(struct pol_regex *regex);

#endif
