/*
 * Python 3.11 str()/repr() of JSON values (see pystr.h). The reference
 * scorer matches its patterns against str() of every argument, so these
 * bytes decide risk scores: every rule here mirrors CPython's
 * unicode_repr(), float_repr() (shortest round-trip, 'r' mode) and the
 * list/dict reprs. Printability of non-ASCII code points is Python's
 * str.isprintable(), which is "not in Cc Cf Cs Co Cn Zl Zp Zs" and equals
 * PCRE2's [\p{C}\p{Z}] complement for the Unicode 14 tables both ship
 * (checked over every code point; see docs/scoring.md). Input strings are
 * untrusted bytes: they are walked with explicit lengths, never str*.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "canonjson.h"
#include "pystr.h"
#include "regex.h"
#include "warm.h"

/* Deeper than any tree pol_action_from_json() accepts; guards trees built
 * in code against unbounded recursion. */
#define PYSTR_MAX_DEPTH 1000

int pol_text_append(struct pol_text *text, const char *bytes, size_t len)
{
	if (text->len + len + 1 > text->cap) {
		size_t cap = text->cap ? text->cap : 64;
		char *data;

		while (cap < text->len + len + 1) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		data = realloc(text->data, cap);
		if (!data)
			return -ENOMEM;
		text->data = data;
		text->cap = cap;
	}
	if (len)
		memcpy(text->data + text->len, bytes, len);
	text->len += len;
	text->data[text->len] = '\0';
	return 0;
}

int pol_text_append_str(struct pol_text *text, const char *s)
{
	return pol_text_append(text, s, strlen(s));
}

void pol_text_release(struct pol_text *text)
{
	free(text->data);
	text->data = NULL;
	text->len = text->cap = 0;
}

char *pol_text_steal(struct pol_text *text)
{
	char *data;

	if (!text->data && pol_text_append(text, "", 0) < 0)
		return NULL;
	data = text->data;
	text->data = NULL;
	text->len = text->cap = 0;
	return data;
}

/* ---- floats -------------------------------------------------------------- */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

double pol_strtod_c(const char *s)
{
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale)
		return strtod_l(s, NULL, c_locale);
	return strtod(s, NULL);
}

/* Python's repr() spells the non-finite values differently from
 * json.dumps; every finite value (shortest round-trip digits, 'r' mode
 * layout) comes from the canonical JSON writer. */
size_t pol_py_float_repr(double value, char *buf, size_t size)
{
	if (isnan(value))
		return (size_t)snprintf(buf, size, "nan");
	if (isinf(value))
		return (size_t)snprintf(buf, size, value < 0 ? "-inf" : "inf");
	return pol_json_float_repr(value, NULL, 0, buf, size);
}

/* ---- strings ------------------------------------------------------------- */

static pthread_once_t printable_once = PTHREAD_ONCE_INIT;
static struct pol_regex *nonprintable_re;

static void printable_init(void)
{
	/* Python's non-printable categories: C* (Cc Cf Cs Co Cn) and Z*. */
	if (pol_regex_compile("[\\p{C}\\p{Z}]", 0, &nonprintable_re, NULL, 0, NULL) < 0)
		nonprintable_re = NULL;
}

void pol_pystr_warm(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	pthread_once(&printable_once, printable_init);
}

size_t pol_utf8_next(const char *str, size_t n, uint32_t *ret_cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

/* A regex failure answers "not printable": escaping is the safe choice
 * for text shown to an approver. */
bool pol_py_printable(const char *s, size_t len)
{
	if (len == 1)
		return (unsigned char)s[0] >= 0x20 && (unsigned char)s[0] < 0x7f;
	pthread_once(&printable_once, printable_init);
	if (!nonprintable_re)
		return false;
	return pol_regex_search(nonprintable_re, s, len, NULL, NULL) == 0;
}

int pol_py_repr_string(const char *str, size_t len, struct pol_text *out)
{
	const unsigned char *s = (const unsigned char *)str;
	bool has_single = memchr(s, '\'', len) != NULL;
	bool has_double = memchr(s, '"', len) != NULL;
	char quote = has_single && !has_double ? '"' : '\'';
	char esc[16];
	size_t i = 0;
	int r;

	if ((r = pol_text_append(out, &quote, 1)) < 0)
		return r;
	while (i < len) {
		uint32_t cp;
		size_t n = pol_utf8_next(str + i, len - i, &cp);
		const char *piece = esc;
		size_t plen;

		if (n == 0) {
			/* surrogateescape: an undecodable byte is U+DC80+byte. */
			plen = (size_t)snprintf(esc, sizeof(esc), "\\udc%02x", s[i]);
			n = 1;
		} else if (cp == (uint32_t)quote || cp == '\\') {
			esc[0] = '\\';
			esc[1] = (char)cp;
			plen = 2;
		} else if (cp == '\t' || cp == '\n' || cp == '\r') {
			esc[0] = '\\';
			esc[1] = cp == '\t' ? 't' : cp == '\n' ? 'n' : 'r';
			plen = 2;
		} else if (cp < 0x20 || cp == 0x7f) {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", cp);
		} else if (cp < 0x7f || pol_py_printable(str + i, n)) {
			piece = (const char *)s + i;
			plen = n;
		} else if (cp <= 0xff) {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", cp);
		} else if (cp <= 0xffff) {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", cp);
		} else {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\U%08x", cp);
		}
		if ((r = pol_text_append(out, piece, plen)) < 0)
			return r;
		i += n;
	}
	return pol_text_append(out, &quote, 1);
}

/* ---- JSON values ------------------------------------------------------- */

/* Whether a cJSON number is a Python int: its source text has no
 * fraction or exponent (a number built in memory: a finite integral
 * value below 2^53). */
static bool number_is_int(const cJSON *number)
{
	const char *lex = number->valuestring;

	if (lex)
		return !strpbrk(lex, ".eE");
	return isfinite(number->valuedouble) && fabs(number->valuedouble) < 9007199254740992.0 &&
	       number->valuedouble == trunc(number->valuedouble);
}

static int number_repr(const cJSON *number, struct pol_text *out)
{
	char buf[48];
	size_t n;

	if (number_is_int(number)) {
		const char *lex = number->valuestring;

		if (lex) {
			/* JSON forbids leading zeros, so only "-0" is not
			 * already Python's canonical form. */
			if (!strcmp(lex, "-0"))
				lex = "0";
			return pol_text_append_str(out, lex);
		}
		n = (size_t)snprintf(buf, sizeof(buf), "%lld", (long long)number->valuedouble);
		return pol_text_append(out, buf, n);
	}
	n = pol_py_float_repr(number->valuedouble, buf, sizeof(buf));
	return pol_text_append(out, buf, n);
}

static int repr_depth(const cJSON *value, struct pol_text *out, unsigned depth);

static int container_repr(const cJSON *value, struct pol_text *out, unsigned depth)
{
	bool is_object = cJSON_IsObject(value);
	const cJSON *child;
	int r;

	if ((r = pol_text_append(out, is_object ? "{" : "[", 1)) < 0)
		return r;
	for (child = value->child; child; child = child->next) {
		if (child != value->child && (r = pol_text_append(out, ", ", 2)) < 0)
			return r;
		if (is_object) {
			const char *key = child->string ? child->string : "";

			if ((r = pol_py_repr_string(key, strlen(key), out)) < 0 ||
			    (r = pol_text_append(out, ": ", 2)) < 0)
				return r;
		}
		if ((r = repr_depth(child, out, depth + 1)) < 0)
			return r;
	}
	return pol_text_append(out, is_object ? "}" : "]", 1);
}

static int repr_depth(const cJSON *value, struct pol_text *out, unsigned depth)
{
	if (depth > PYSTR_MAX_DEPTH)
		return -E2BIG;
	switch (value->type & 0xff) {
	case cJSON_False:
		return pol_text_append_str(out, "False");
	case cJSON_True:
		return pol_text_append_str(out, "True");
	case cJSON_NULL:
		return pol_text_append_str(out, "None");
	case cJSON_Number:
		return number_repr(value, out);
	case cJSON_String:
		return pol_py_repr_string(value->valuestring, strlen(value->valuestring), out);
	case cJSON_Array:
	case cJSON_Object:
		return container_repr(value, out, depth);
	default:
		return -EINVAL;
	}
}

int pol_py_repr(const cJSON *value, struct pol_text *out)
{
	return repr_depth(value, out, 0);
}

int pol_py_str(const cJSON *value, struct pol_text *out)
{
	/* str() differs from repr() only for str itself. */
	if (cJSON_IsString(value))
		return pol_text_append_str(out, value->valuestring);
	return repr_depth(value, out, 0);
}
