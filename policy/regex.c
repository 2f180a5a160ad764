/*
 * PCRE2 wrapper (see regex.h). Patterns come from config files and
 * profiles, subjects from the sandboxed program: both are untrusted, so
 * length and match budget are capped (pol_limits.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pol_limits.h"
#include "regex.h"
#include "warm.h"

struct pol_regex {
	pcre2_code *code;
	char *pattern;
};

static pthread_key_t match_key;
static pthread_once_t match_once = PTHREAD_ONCE_INIT;
static pcre2_match_context *match_ctx;

static void match_data_free(void *p)
{
	pcre2_match_data_free(p);
}

static void match_init(void)
{
	pthread_key_create(&match_key, match_data_free);
	match_ctx = pcre2_match_context_create(NULL);
	if (match_ctx) {
		pcre2_set_match_limit(match_ctx, POL_REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(match_ctx, POL_REGEX_DEPTH_LIMIT);
	}
}

void pol_regex_warm(void)
{
	pthread_once(&match_once, match_init);
}

int pol_regex_compile(const char *pattern, unsigned flags, struct pol_regex **ret_regex,
		      char *err, size_t err_size, size_t *ret_err_offset)
{
	struct pol_regex *re;
	uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
	int errcode = 0;
	PCRE2_SIZE erroffset = 0;
	size_t len = strnlen(pattern, POL_REGEX_MAX_PATTERN + 1);

	if (len > POL_REGEX_MAX_PATTERN) {
		if (err && err_size)
			snprintf(err, err_size, "pattern longer than %d bytes", POL_REGEX_MAX_PATTERN);
		return -E2BIG;
	}
	if (flags & POL_REGEX_CASELESS)
		options |= PCRE2_CASELESS;
	re = calloc(1, sizeof(*re));
	if (!re)
		return -ENOMEM;
	re->pattern = strdup(pattern);
	if (!re->pattern) {
		free(re);
		return -ENOMEM;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len, options, &errcode, &erroffset, NULL);
	if (!re->code) {
		if (err && err_size) {
			PCRE2_UCHAR buf[256];
			pcre2_get_error_message(errcode, buf, sizeof(buf));
			snprintf(err, err_size, "%s", (const char *)buf);
		}
		if (ret_err_offset)
			*ret_err_offset = erroffset;
		free(re->pattern);
		free(re);
		return -EINVAL;
	}
	/* JIT is an optimisation only; a failure leaves the interpreter. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	*ret_regex = re;
	return 0;
}

int pol_regex_search(const struct pol_regex *regex, const char *subject, size_t len,
		     size_t *ret_start, size_t *ret_end)
{
	pcre2_match_data *md;
	int rc;

	pthread_once(&match_once, match_init);
	md = pthread_getspecific(match_key);
	if (!md) {
		md = pcre2_match_data_create(16, NULL);
		if (!md)
			return -ENOMEM;
		pthread_setspecific(match_key, md);
	}
	rc = pcre2_match(regex->code, (PCRE2_SPTR)subject, len, 0, 0, md, match_ctx);
	if (rc >= 0) { /* 0: ovector too small, still a match */
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ret_start)
			*ret_start = ov[0];
		if (ret_end)
			*ret_end = ov[1];
		return 1;
	}
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT)
		return -E2BIG;
	if (rc == PCRE2_ERROR_NOMEMORY)
		return -ENOMEM;
	return -EINVAL;
}

const char *pol_regex_pattern(const struct pol_regex *regex)
{
	return regex->pattern;
}

void pol_regex_free(struct pol_regex *regex)
{
	if (!regex)
		return;
	pcre2_code_free(regex->code);
	free(regex->pattern);
	free(regex);
}
