/*
 * The canonical writer of canonjson.h: Python's json.dumps with
 * sort_keys=True, separators=(",", ":") and ensure_ascii=True, byte for
 * byte, floats in Python's repr. Trusts its tree to be well formed
 * (built by the reader or the builders); strings are decoded defensively
 * anyway, so a malformed one cannot make it read out of bounds.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canonjson.h"
#include "pol_limits.h"

/* --- floats ---------------------------------------------------------------- */

/* Does "%.{prec}e" of v read back as v? Leaves the text in buf. */
static bool round_trips(double v, int prec, char *buf, size_t size)
{
	snprintf(buf, size, "%.*e", prec, v);
	return strtod(buf, NULL) == v;
}

/* Significant digits in a decimal text (leading and trailing zeros of the
 * mantissa dropped), 0 if none. */
static int hint_digits(const char *text, size_t len)
{
	int first = -1, last = -1, n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == 'e' || c == 'E')
			break;
		if (c < '0' || c > '9')
			continue;
		if (c != '0') {
			if (first < 0)
				first = n;
			last = n;
		}
		n++;
	}
	return first < 0 ? 0 : last - first + 1;
}

/* Significant digits and decimal point position of a JSON number text
 * (value = 0.DIGITS x 10^decpt). False if it has none or is malformed. */
static bool text_digits(const char *t, size_t len, char *digits, int cap, int *ret_n,
			int *ret_decpt)
{
	size_t i = 0;
	int n = 0, decpt = 0, zeros = 0;
	long exp10 = 0;
	bool seen_nonzero = false, after_point = false;

	if (i < len && t[i] == '-')
		i++;
	for (; i < len && t[i] != 'e' && t[i] != 'E'; i++) {
		if (t[i] == '.') {
			after_point = true;
			continue;
		}
		if (t[i] < '0' || t[i] > '9')
			return false;
		if (!seen_nonzero && t[i] == '0') {
			if (after_point)
				decpt--;
			continue;
		}
		seen_nonzero = true;
		if (!after_point)
			decpt++;
		if (t[i] == '0') {
			zeros++; /* pending: kept only if a non-zero digit follows */
			continue;
		}
		while (zeros > 0 && n < cap) {
			digits[n++] = '0';
			zeros--;
		}
		if (n >= cap)
			return false;
		digits[n++] = t[i];
	}
	if (!seen_nonzero)
		return false;
	if (i < len) {
		char *end;
		char ebuf[16];
		size_t el = len - i - 1;

		if (el == 0 || el >= sizeof(ebuf))
			return false;
		memcpy(ebuf, t + i + 1, el);
		ebuf[el] = '\0';
		exp10 = strtol(ebuf, &end, 10);
		if (*end)
			return false;
	}
	*ret_n = n;
	*ret_decpt = decpt + (int)exp10;
	return true;
}

size_t pol_json_float_repr(double value, const char *text_hint, size_t hint_len,
			   char *buf, size_t size)
{
	char sci[40], digits[20];
	int lo = 0, hi = 16, guess, exp10, nd = 0, decpt;
	const char *e;
	size_t o = 0;

	if (isnan(value))
		return (size_t)snprintf(buf, size, "NaN");
	if (isinf(value))
		return (size_t)snprintf(buf, size, value < 0 ? "-Infinity" : "Infinity");
	if (value == 0)
		return (size_t)snprintf(buf, size, signbit(value) ? "-0.0" : "0.0");

	/* Fast path for text read from a log: a decimal of at most 15
	 * significant digits (DBL_DIG) in the normal range is the only decimal
	 * of that length or shorter that reads as this double, so its digits
	 * are the shortest round-trip digits Python prints. */
	if (text_hint && hint_len < 40 &&
	    text_digits(text_hint, hint_len, digits, 15, &nd, &decpt) && nd <= 15 &&
	    decpt > -290 && decpt < 290)
		goto format;
	nd = 0;

	/* shortest precision that round-trips; round-tripping is monotone in
	 * the precision, and a correctly rounded %e at that precision is the
	 * closest such decimal, which is what Python's repr picks */
	guess = text_hint ? hint_digits(text_hint, hint_len) - 1 : -1;
	if (guess >= 0 && guess <= 16) {
		if (round_trips(value, guess, sci, sizeof(sci))) {
			hi = guess;
			if (guess == 0 || !round_trips(value, guess - 1, sci, sizeof(sci)))
				lo = guess;
		} else {
			lo = guess + 1;
		}
	}
	/* No hint: one try at 15 significant digits settles most values. If
	 * the correctly rounded 15-digit decimal reads back as value, the
	 * shortest round-trip decimal has at most 15 digits too, and being
	 * within half a binary ulp of value (relative 1.1e-16, less than half
	 * the 15-digit spacing) it is that same decimal, padded with zeros:
	 * the zeros are dropped below. Otherwise 16 or 17 digits are needed.
	 * Not for subnormals: their ulp is relatively much larger. */
	if ((guess < 0 || guess > 16) && isnormal(value)) {
		if (round_trips(value, 14, sci, sizeof(sci)))
			goto have_sci;
		lo = 15;
	}
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (round_trips(value, mid, sci, sizeof(sci)))
			hi = mid;
		else
			lo = mid + 1;
	}
	round_trips(value, lo, sci, sizeof(sci));
have_sci:
	/* sci is "[-]d[.ddd]e[+-]XX" */
	for (const char *c = sci; *c && *c != 'e'; c++)
		if (*c >= '0' && *c <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *c;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	e = strchr(sci, 'e');
	exp10 = e ? atoi(e + 1) : 0;
	decpt = exp10 + 1;
format:
	exp10 = decpt - 1;

#define PUT(ch) do { if (o + 1 < size) buf[o] = (ch); o++; } while (0)
	if (value < 0)
		PUT('-');
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) {
			PUT('0');
			PUT('.');
			for (int i = 0; i < -decpt; i++)
				PUT('0');
			for (int i = 0; i < nd; i++)
				PUT(digits[i]);
		} else if (decpt >= nd) {
			for (int i = 0; i < nd; i++)
				PUT(digits[i]);
			for (int i = nd; i < decpt; i++)
				PUT('0');
			PUT('.');
			PUT('0');
		} else {
			for (int i = 0; i < nd; i++) {
				if (i == decpt)
					PUT('.');
				PUT(digits[i]);
			}
		}
	} else {
		char ebuf[8];
		int en = snprintf(ebuf, sizeof(ebuf), "%c%02d", exp10 < 0 ? '-' : '+',
				  exp10 < 0 ? -exp10 : exp10);

		PUT(digits[0]);
		if (nd > 1) {
			PUT('.');
			for (int i = 1; i < nd; i++)
				PUT(digits[i]);
		}
		PUT('e');
		for (int i = 0; i < en; i++)
			PUT(ebuf[i]);
	}
#undef PUT
	if (size)
		buf[o < size ? o : size - 1] = '\0';
	return o;
}

/* 1 for bytes that stand for themselves inside a JSON string, both when
 * read and when written canonically: 0x20-0x7E except '"' and '\\'. */
static const unsigned char plain_byte[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1,
};

/* --- strings --------------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

static char *put_u(char *o, unsigned unit)
{
	o[0] = '\\';
	o[1] = 'u';
	o[2] = hexdig[(unit >> 12) & 0xF];
	o[3] = hexdig[(unit >> 8) & 0xF];
	o[4] = hexdig[(unit >> 4) & 0xF];
	o[5] = hexdig[unit & 0xF];
	return o + 6;
}

/* Decode one code point of generalized UTF-8; a malformed byte B is taken
 * as U+DC00+B (it cannot occur in trees we build). */
static unsigned next_cp(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	unsigned c = p[0];
	size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	unsigned cp;

	if (c < 0x80 || c > 0xF4 || (c >= 0x80 && c < 0xC2) || (size_t)(end - p) < need)
		goto bad;
	for (size_t i = 1; i < need; i++)
		if ((p[i] & 0xC0) != 0x80)
			goto bad;
	if (need == 2)
		cp = (c & 0x1F) << 6 | (p[1] & 0x3F);
	else if (need == 3)
		cp = (c & 0x0F) << 12 | (p[1] & 0x3F) << 6 | (p[2] & 0x3F);
	else
		cp = (c & 0x07) << 18 | (p[1] & 0x3F) << 12 | (p[2] & 0x3F) << 6 | (p[3] & 0x3F);
	*pp = p + need;
	return cp;
bad:
	*pp = p + 1;
	return c < 0x80 ? c : 0xDC00u + c;
}

static int canon_string(const char *text, size_t len, bool plain, struct pol_jbuf *out)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	char *o;
	int r;

	if (plain) { /* read from a line and needing no escape: as it was */
		if ((len + 2 >= out->cap || out->len + len + 3 > out->cap) &&
		    (r = pol_jbuf_reserve(out, len + 2)) < 0)
			return r;
		out->data[out->len] = '"';
		memcpy(out->data + out->len + 1, text, len);
		out->len += len + 2;
		out->data[out->len - 1] = '"';
		out->data[out->len] = '\0';
		return 0;
	}
	/* worst case: 4 bytes -> 12 ("\ud83d\ude00"), 1 byte -> 6 */
	if ((r = pol_jbuf_reserve(out, len * 6 + 2)) < 0)
		return r;
	o = out->data + out->len;
	*o++ = '"';
	while (p < end) {
		unsigned c = *p;
		const unsigned char *run = p;

		while (run < end && plain_byte[*run])
			run++;
		if (run > p) {
			memcpy(o, p, (size_t)(run - p));
			o += run - p;
			p = run;
			continue;
		}
		if (c < 0x80) {
			p++;
			*o++ = '\\';
			switch (c) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			case '\b': *o++ = 'b'; break;
			case '\f': *o++ = 'f'; break;
			default:
				o = put_u(o - 1, c);
			}
			continue;
		}
		c = next_cp(&p, end);
		if (c >= 0x10000) {
			c -= 0x10000;
			o = put_u(o, 0xD800 + (c >> 10));
			o = put_u(o, 0xDC00 + (c & 0x3FF));
		} else {
			o = put_u(o, c);
		}
	}
	*o++ = '"';
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* len bytes, without a call in the common case. */
static inline int put_bytes(struct pol_jbuf *out, const char *bytes, size_t len)
{
	int r;

	if ((len >= out->cap || out->len + len + 1 > out->cap) &&
	    (r = pol_jbuf_reserve(out, len)) < 0)
		return r;
	memcpy(out->data + out->len, bytes, len);
	out->len += len;
	out->data[out->len] = '\0';
	return 0;
}

/* One byte, without a call in the common case (the writer emits many). */
static inline int put1(struct pol_jbuf *out, char c)
{
	int r;

	if (out->len + 2 > out->cap && (r = pol_jbuf_reserve(out, 1)) < 0)
		return r;
	out->data[out->len++] = c;
	out->data[out->len] = '\0';
	return 0;
}

/* --- values ---------------------------------------------------------------- */

struct member_ref {
	const struct pol_json *node;
	size_t index;
};

static int member_cmp(const void *a, const void *b)
{
	const struct member_ref *x = a, *y = b;
	size_t n = x->node->key_len < y->node->key_len ? x->node->key_len : y->node->key_len;
	int c = memcmp(x->node->key, y->node->key, n);

	if (c)
		return c;
	if (x->node->key_len != y->node->key_len)
		return x->node->key_len < y->node->key_len ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Are the members in strictly ascending key order (so no key repeats)?
 * Trees built in key order (the audit entry) are written without a sort. */
static bool strictly_sorted(const struct pol_json *v)
{
	const struct pol_json *m = v->first;

	for (size_t i = 1; m && m->next && i < v->count; i++, m = m->next) {
		const struct pol_json *n = m->next;
		size_t l = m->key_len < n->key_len ? m->key_len : n->key_len, at = 0;

		/* keys are short and differ early: no call */
		while (at < l && m->key[at] == n->key[at])
			at++;
		if (at < l ? (unsigned char)m->key[at] > (unsigned char)n->key[at]
			   : m->key_len >= n->key_len)
			return false;
	}
	return true;
}

static bool skipped(const struct pol_json *m, const char *const *skip_keys)
{
	for (; skip_keys && *skip_keys; skip_keys++)
		if ((*skip_keys)[0] == (m->key_len ? m->key[0] : 0) &&
		    strlen(*skip_keys) == m->key_len && !memcmp(*skip_keys, m->key, m->key_len))
			return true;
	return false;
}

static int canon_value(const struct pol_json *v, const char *const *skip_keys,
		       struct pol_jbuf *out, unsigned depth);

/* Where members with the mark keys would go (pol_json_canon_marked). */
struct canon_marks {
	const char *const *keys; /* ascending, NULL-terminated */
	struct pol_json_mark *at;
	size_t next;             /* first key not placed yet */
};

/* The byte order of a mark key (a C string) and a member key: < 0 when
 * the mark key sorts first (a prefix sorts first), 0 when equal. */
static inline int mark_cmp(const char *k, const char *key, size_t key_len)
{
	for (size_t i = 0;; i++) {
		if (!k[i])
			return i == key_len ? 0 : -1;
		if (i == key_len)
			return 1;
		if (k[i] != key[i])
			return (unsigned char)k[i] < (unsigned char)key[i] ? -1 : 1;
	}
}

/* Place every mark key that sorts before key (all of them for key NULL)
 * at the current end of out. */
static void place_marks(struct canon_marks *mk, const char *key, size_t key_len,
			const struct pol_jbuf *out, bool after_member)
{
	/* key NULL: the closing brace, no member follows */
	for (; mk && mk->keys[mk->next]; mk->next++) {
		const char *k = mk->keys[mk->next];

		if (key && mark_cmp(k, key, key_len) >= 0)
			return;
		mk->at[mk->next].offset = out->len;
		mk->at[mk->next].after_member = after_member;
		mk->at[mk->next].before_member = key != NULL;
	}
}

static int canon_object(const struct pol_json *v, const char *const *skip_keys,
			struct pol_jbuf *out, unsigned depth, struct canon_marks *marks)
{
	struct member_ref stack_refs[64], *refs = stack_refs;
	size_t n = 0;
	bool first = true;
	int r = 0;

	if (strictly_sorted(v)) {
		/* in order already: no refs, no sort, no duplicate to skip */
		if ((r = put1(out, '{')) < 0)
			return r;
		n = 0;
		for (const struct pol_json *m = v->first; m && n < v->count; m = m->next, n++) {
			if (skipped(m, skip_keys))
				continue;
			place_marks(marks, m->key, m->key_len, out, !first);
			if (!first && (r = put1(out, ',')) < 0)
				return r;
			first = false;
			if ((r = canon_string(m->key, m->key_len, m->key_plain, out)) < 0 ||
			    (r = put1(out, ':')) < 0 || (r = canon_value(m, NULL, out, depth + 1)) < 0)
				return r;
		}
		place_marks(marks, NULL, 0, out, !first);
		return put1(out, '}');
	}
	if (v->count > 64) {
		refs = calloc(v->count, sizeof(*refs));
		if (!refs)
			return -ENOMEM;
	}
	for (const struct pol_json *m = v->first; m && n < v->count; m = m->next, n++) {
		refs[n].node = m;
		refs[n].index = n;
	}
	/* lines written canonically are already sorted: insertion sort is
	 * linear on them; big (hostile) objects get qsort */
	if (n <= 64) {
		for (size_t i = 1; i < n; i++) {
			struct member_ref t = refs[i];
			size_t j = i;

			while (j > 0 && member_cmp(&refs[j - 1], &t) > 0) {
				refs[j] = refs[j - 1];
				j--;
			}
			refs[j] = t;
		}
	} else {
		qsort(refs, n, sizeof(*refs), member_cmp);
	}
	if ((r = put1(out, '{')) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct pol_json *m = refs[i].node;

		/* duplicate keys: Python keeps the last value */
		if (i + 1 < n && m->key_len == refs[i + 1].node->key_len &&
		    !memcmp(m->key, refs[i + 1].node->key, m->key_len))
			continue;
		if (skipped(m, skip_keys))
			continue;
		place_marks(marks, m->key, m->key_len, out, !first);
		if (!first && (r = put1(out, ',')) < 0)
			goto out;
		first = false;
		if ((r = canon_string(m->key, m->key_len, m->key_plain, out)) < 0 ||
		    (r = put1(out, ':')) < 0 ||
		    (r = canon_value(m, NULL, out, depth + 1)) < 0)
			goto out;
	}
	place_marks(marks, NULL, 0, out, !first);
	r = put1(out, '}');
out:
	if (refs != stack_refs)
		free(refs);
	return r;
}

static int canon_value(const struct pol_json *v, const char *const *skip_keys,
		       struct pol_jbuf *out, unsigned depth)
{
	char num[40];
	size_t n;
	int r;

	if (depth > POL_JSON_MAX_DEPTH + 1)
		return -E2BIG;
	switch (v->kind) {
	case POL_JSON_NULL:
		return put_bytes(out, "null", 4);
	case POL_JSON_FALSE:
		return put_bytes(out, "false", 5);
	case POL_JSON_TRUE:
		return put_bytes(out, "true", 4);
	case POL_JSON_INT:
		return put_bytes(out, v->text, v->len);
	case POL_JSON_FLOAT:
		if (v->plain && v->text) /* pol_json_float(): text is the repr already */
			return put_bytes(out, v->text, v->len);
		n = pol_json_float_repr(v->number, v->text, v->text ? v->len : 0, num, sizeof(num));
		return put_bytes(out, num, n);
	case POL_JSON_STRING:
		return canon_string(v->text, v->len, v->plain, out);
	case POL_JSON_ARRAY:
		if ((r = put1(out, '[')) < 0)
			return r;
		for (const struct pol_json *c = v->first; c; c = c->next) {
			if (c != v->first && (r = put1(out, ',')) < 0)
				return r;
			if ((r = canon_value(c, NULL, out, depth + 1)) < 0)
				return r;
		}
		return put1(out, ']');
	case POL_JSON_OBJECT:
		return canon_object(v, skip_keys, out, depth, NULL);
	}
	return -EINVAL;
}

int pol_json_canon(const struct pol_json *value, const char *const *skip_keys,
		   struct pol_jbuf *out)
{
	return canon_value(value, skip_keys, out, 0);
}

int pol_json_canon_marked(const struct pol_json *object, const char *const *skip_keys,
			  const char *const *mark_keys, struct pol_json_mark *ret_marks,
			  struct pol_jbuf *out)
{
	struct canon_marks mk = { .keys = mark_keys, .at = ret_marks, .next = 0 };

	if (object->kind != POL_JSON_OBJECT)
		return -EINVAL;
	return canon_object(object, skip_keys, out, 0, &mk);
}
