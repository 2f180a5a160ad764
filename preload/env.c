/*
 * Exec skipping: ATTESTA_SHIM_SKIP names programs (basenames, colon
 * separated) that attesta-run's policy marks as not to be annotated; when a
 * hooked exec or spawn entry runs one of them, the shim removes itself from
 * LD_PRELOAD in the new program's environment. The skip list is copied
 * once by the constructor. The rewrite happens in vfork children too, so it
 * uses only the caller's stack: a bounded copy of the envp pointer array
 * and one buffer for the rewritten LD_PRELOAD value. envp is program
 * memory and is read with shim_peek (a bad pointer means "do not rewrite",
 * never a crash). Skipping is a courtesy, not a security boundary: the
 * supervisor gates the skipped program's syscalls like any other.
 */
#include <stdlib.h>
#include <string.h>

#include "preload/shim.h"

#define SKIP_MAX 1024
static char skip_list[SKIP_MAX];

void shim_skip_init(void)
{
	const char *s = getenv(SHIM_ENV_SKIP);
	size_t len;

	if (s == NULL)
		return;
	len = strnlen(s, SKIP_MAX);
	if (len == SKIP_MAX) {
		/* Too long: keep the entries that fit whole. */
		len = SKIP_MAX - 1;
		while (len > 0 && s[len] != ':')
			len--;
	}
	memcpy(skip_list, s, len);
	skip_list[len] = '\0';
}

int shim_skip_active(void)
{
	return skip_list[0] != '\0';
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

int shim_skip_wanted(const char *path)
{
	const char *base, *p = skip_list;
	size_t blen;

	if (path == NULL || skip_list[0] == '\0')
		return 0;
	base = base_name(path);
	blen = strlen(base);
	if (blen == 0)
		return 0;
	while (*p != '\0') {
		const char *end = strchr(p, ':');
		size_t elen = end != NULL ? (size_t)(end - p) : strlen(p);

		if (elen == blen && memcmp(p, base, blen) == 0)
			return 1;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

static int is_sep(char c)
{
	return c == ':' || c == ' ' || c == '\t';
}

/* Remove every entry naming this library from the LD_PRELOAD value in
 * val (NUL-terminated), in place; the survivors are joined with ':'.
 * Returns the new length. */
static size_t strip_value(char *val)
{
	size_t in = 0, out = 0;
	const size_t namelen = sizeof(SHIM_LIB_NAME) - 1;

	while (val[in] != '\0') {
		size_t start, len;

		while (is_sep(val[in]))
			in++;
		start = in;
		while (val[in] != '\0' && !is_sep(val[in]))
			in++;
		len = in - start;
		if (len == 0)
			break;
		if (len >= namelen && memcmp(val + start + len - namelen, SHIM_LIB_NAME, namelen) == 0 &&
		    (len == namelen || val[start + len - namelen - 1] == '/'))
			continue;
		if (out > 0)
			val[out++] = ':';
		memmove(val + out, val + start, len);
		out += len;
	}
	val[out] = '\0';
	return out;
}

char **shim_env_strip(char *const *envp, char **out, size_t cap, char *valbuf, size_t valcap)
{
	static const char key[] = "LD_PRELOAD=";
	const size_t klen = sizeof(key) - 1;
	size_t n = 0, found = 0;

	if (envp == NULL || cap == 0 || valcap <= klen)
		return NULL;
	for (size_t i = 0;; i++) {
		char *entry;
		char head[sizeof(key) - 1];
		size_t got;

		if (shim_peek(&entry, &envp[i], sizeof(entry)) != sizeof(entry))
			return NULL;
		if (entry == NULL)
			break;
		if (n + 1 >= cap)
			return NULL; /* more variables than our stack copy holds */
		got = shim_peek(head, entry, klen);
		if (got == klen && memcmp(head, key, klen) == 0) {
			int truncated = 0;

			if (found++ > 0)
				return NULL; /* two LD_PRELOADs: leave the env alone */
			(void)shim_peek_str(valbuf, valcap, entry, &truncated);
			if (truncated)
				return NULL;
			if (strip_value(valbuf + klen) == 0)
				continue; /* nothing else preloaded: drop the variable */
			out[n++] = valbuf;
			continue;
		}
		out[n++] = entry;
	}
	if (found == 0)
		return NULL;
	out[n] = NULL;
	return out;
}
