/*
 * The lossless JSON reader of canonjson.h, its arena and byte buffer. It
 * reads untrusted audit lines: every access is bounded by the caller's
 * length, nesting by POL_JSON_MAX_DEPTH, integers by
 * POL_JSON_MAX_INT_DIGITS, and the grammar is Python's json.loads (strict
 * strings, NaN/Infinity accepted), so a line either parses to the same
 * value Python sees or is rejected.
 */
#include <errno.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "canonjson.h"
#include "pol_limits.h"

/* 1 for bytes that stand for themselves inside a JSON string, both when
 * read and when written canonically: 0x20-0x7E except '"' and '\\'. */
static const unsigned char plain_byte[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1,
};

/* How many of the first len bytes are plain (plain_byte), eight at a time:
 * a word has no byte below 0x20, none at or above 0x7F, no '"' and no '\\'
 * exactly when every test below finds no byte (each is exact for "some
 * byte", which is all that is asked); the rest byte by byte. */
static size_t plain_prefix(const unsigned char *p, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;

#ifdef __SSE2__
	/* sixteen at a time: a signed compare with 0x20 also finds the bytes
	 * at or above 0x80 (negative) */
	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i bad = _mm_or_si128(
			_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
				     _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F))),
			_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
				     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));

		if (_mm_movemask_epi8(bad))
			break;
	}
#endif
	for (; i + 8 <= len; i += 8) {
		uint64_t x, quote, bslash, del;

		memcpy(&x, p + i, 8);
		quote = x ^ (ones * '"');
		bslash = x ^ (ones * '\\');
		del = x ^ (ones * 0x7F);
		if ((x & highs) || ((x - ones * 0x20) & ~x & highs) ||
		    ((quote - ones) & ~quote & highs) || ((bslash - ones) & ~bslash & highs) ||
		    ((del - ones) & ~del & highs))
			break;
	}
	while (i < len && plain_byte[p[i]])
		i++;
	return i;
}

/* --- reader ---------------------------------------------------------------- */

struct reader {
	struct pol_json_arena *arena;
	const unsigned char *p;   /* cursor */
	const unsigned char *end;
	const unsigned char *start;
	int error;                /* -EINVAL / -E2BIG / -ENOMEM */
};

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool fail(struct reader *r, int error)
{
	if (!r->error)
		r->error = error;
	return false;
}

static bool literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return fail(r, -EINVAL);
	r->p += n;
	return true;
}

/* Length of the valid (strict, Python-accepted) UTF-8 sequence at p, or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	size_t avail = (size_t)(end - p);
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;

		return avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;

		return avail >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 &&
		       (p[3] & 0xC0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static int hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t put_cp(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) { /* surrogates too: generalized UTF-8 */
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Read a string at r->p (on the opening quote) into ret and ret_len. */
static bool read_string(struct reader *r, const char **ret, size_t *ret_len, bool *ret_ascii)
{
	const unsigned char *s = ++r->p, *q = s;
	bool plain = true, ascii = true;
	unsigned char *out, *o;

	/* first pass: find the end, validate raw bytes */
	while (q < r->end && *q != '"') {
		if (plain_byte[*q]) {
			q++;
			continue;
		}
		ascii = false;
		if (*q == '\\') {
			plain = false;
			q += 2;
			continue;
		}
		if (*q < 0x20) {
			r->p = q;
			return fail(r, -EINVAL);
		}
		if (*q >= 0x80) {
			size_t n = utf8_seq(q, r->end);

			if (!n) {
				r->p = q;
				return fail(r, -EINVAL);
			}
			q += n;
			continue;
		}
		q++;
	}
	if (q >= r->end) {
		r->p = r->end;
		return fail(r, -EINVAL);
	}
	*ret_ascii = ascii;
	if (plain) { /* valid UTF-8 without escapes is already our form */
		*ret = (const char *)s;
		*ret_len = (size_t)(q - s);
		r->p = q + 1;
		return true;
	}
	out = pol_json_arena_alloc(r->arena, (size_t)(q - s) + 1);
	if (!out)
		return fail(r, -ENOMEM);
	o = out;
	for (const unsigned char *c = s; c < q;) {
		if (*c != '\\') {
			*o++ = *c++;
			continue;
		}
		c++;
		switch (*c) {
		case '"': case '\\': case '/':
			*o++ = *c++;
			break;
		case 'b': *o++ = '\b'; c++; break;
		case 'f': *o++ = '\f'; c++; break;
		case 'n': *o++ = '\n'; c++; break;
		case 'r': *o++ = '\r'; c++; break;
		case 't': *o++ = '\t'; c++; break;
		case 'u': {
			int cp, lo;

			if (q - c < 5 || (cp = hex4(c + 1)) < 0) {
				r->p = c;
				return fail(r, -EINVAL);
			}
			c += 5;
			/* a high surrogate followed by an escaped low one is one
			 * astral code point; anything else stays a lone surrogate */
			if (cp >= 0xD800 && cp <= 0xDBFF && q - c >= 6 && c[0] == '\\' &&
			    c[1] == 'u' && (lo = hex4(c + 2)) >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				c += 6;
			}
			o += put_cp(o, (unsigned)cp);
			break;
		}
		default:
			r->p = c;
			return fail(r, -EINVAL);
		}
	}
	*o = '\0';
	*ret = (const char *)out;
	*ret_len = (size_t)(o - out);
	r->p = q + 1;
	return true;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool read_number(struct reader *r, struct pol_json *v)
{
	const unsigned char *s = r->p, *int_start, *int_end;
	bool is_float = false;
	char tmp[64], *heap = NULL;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	int_start = r->p;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (r->p < r->end && is_digit(*r->p) && *r->p != '0')
		while (r->p < r->end && is_digit(*r->p))
			r->p++;
	else
		return fail(r, -EINVAL);
	int_end = r->p;
	if (r->end - r->p >= 2 && *r->p == '.' && is_digit(r->p[1])) {
		is_float = true;
		r->p++;
		while (r->p < r->end && is_digit(*r->p))
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		const unsigned char *e = r->p + 1;

		if (e < r->end && (*e == '+' || *e == '-'))
			e++;
		if (e < r->end && is_digit(*e)) {
			is_float = true;
			while (e < r->end && is_digit(*e))
				e++;
			r->p = e;
		}
	}
	if (!is_float) {
		size_t digits = (size_t)(int_end - int_start);

		if (digits > POL_JSON_MAX_INT_DIGITS)
			return fail(r, -E2BIG);
		v->kind = POL_JSON_INT;
		/* Python's int has no negative zero */
		if (digits == 1 && *int_start == '0')
			s = int_start;
		v->text = (const char *)s;
		v->len = (size_t)(int_end - s);
		return true;
	}
	v->kind = POL_JSON_FLOAT;
	v->text = (const char *)s;
	v->len = (size_t)(r->p - s);
	if (v->len < sizeof(tmp)) {
		memcpy(tmp, s, v->len);
		tmp[v->len] = '\0';
		v->number = strtod(tmp, NULL);
	} else {
		heap = malloc(v->len + 1);
		if (!heap)
			return fail(r, -ENOMEM);
		memcpy(heap, s, v->len);
		heap[v->len] = '\0';
		v->number = strtod(heap, NULL);
		free(heap);
	}
	return true;
}

static bool read_value(struct reader *r, struct pol_json **ret, unsigned depth);

static bool read_container(struct reader *r, struct pol_json *v, unsigned depth)
{
	bool object = v->kind == POL_JSON_OBJECT;
	unsigned char close = object ? '}' : ']';
	struct pol_json **tail = &v->first, *child;
	const char *key = NULL;
	size_t key_len = 0;
	bool key_plain = false;

	if (depth >= POL_JSON_MAX_DEPTH)
		return fail(r, -E2BIG);
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return true;
	}
	for (;;) {
		if (object) {
			skip_ws(r);
			if (r->p >= r->end || *r->p != '"')
				return fail(r, -EINVAL);
			if (!read_string(r, &key, &key_len, &key_plain))
				return false;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return fail(r, -EINVAL);
			r->p++;
		}
		if (!read_value(r, &child, depth + 1))
			return false;
		child->key = key;
		child->key_len = key_len;
		child->key_plain = key_plain;
		*tail = child;
		tail = &child->next;
		v->count++;
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return true;
		}
		return fail(r, -EINVAL);
	}
}

static bool read_value(struct reader *r, struct pol_json **ret, unsigned depth)
{
	struct pol_json *v;

	skip_ws(r);
	if (r->p >= r->end)
		return fail(r, -EINVAL);
	v = pol_json_new(r->arena, POL_JSON_NULL);
	if (!v)
		return fail(r, -ENOMEM);
	*ret = v;
	switch (*r->p) {
	case '{':
		v->kind = POL_JSON_OBJECT;
		return read_container(r, v, depth);
	case '[':
		v->kind = POL_JSON_ARRAY;
		return read_container(r, v, depth);
	case '"':
		v->kind = POL_JSON_STRING;
		return read_string(r, &v->text, &v->len, &v->plain);
	case 'n':
		return literal(r, "null");
	case 't':
		v->kind = POL_JSON_TRUE;
		return literal(r, "true");
	case 'f':
		v->kind = POL_JSON_FALSE;
		return literal(r, "false");
	case 'N':
		v->kind = POL_JSON_FLOAT;
		v->number = __builtin_nan("");
		return literal(r, "NaN");
	case 'I':
		v->kind = POL_JSON_FLOAT;
		v->number = __builtin_inf();
		return literal(r, "Infinity");
	case '-':
		if (r->end - r->p > 1 && r->p[1] == 'I') {
			v->kind = POL_JSON_FLOAT;
			v->number = -__builtin_inf();
			return literal(r, "-Infinity");
		}
		return read_number(r, v);
	default:
		return read_number(r, v);
	}
}

int pol_json_parse(struct pol_json_arena *arena, const char *text, size_t len,
		   struct pol_json **ret_value, size_t *ret_error_offset)
{
	struct reader r = {
		.arena = arena,
		.p = (const unsigned char *)text,
		.end = (const unsigned char *)text + len,
		.start = (const unsigned char *)text,
	};
	struct pol_json *v = NULL;

	if (read_value(&r, &v, 0)) {
		skip_ws(&r);
		if (r.p == r.end) {
			*ret_value = v;
			return 0;
		}
		fail(&r, -EINVAL);
	}
	if (ret_error_offset)
		*ret_error_offset = (size_t)(r.p - r.start);
	return r.error ? r.error : -EINVAL;
}

/* --- lookups --------------------------------------------------------------- */

const struct pol_json *pol_json_get(const struct pol_json *object, const char *key)
{
	const struct pol_json *found = NULL;
	size_t n = strlen(key);

	if (!object || object->kind != POL_JSON_OBJECT)
		return NULL;
	for (const struct pol_json *m = object->first; m; m = m->next)
		if (m->key_len == n && !memcmp(m->key, key, n))
			found = m;
	return found;
}

bool pol_json_get_number(const struct pol_json *object, const char *key, double *ret_number)
{
	const struct pol_json *v = pol_json_get(object, key);
	char tmp[64];

	if (!v)
		return false;
	if (v->kind == POL_JSON_FLOAT) {
		*ret_number = v->number;
		return true;
	}
	if (v->kind != POL_JSON_INT || v->len >= sizeof(tmp))
		return false;
	memcpy(tmp, v->text, v->len);
	tmp[v->len] = '\0';
	*ret_number = strtod(tmp, NULL);
	return true;
}

int pol_json_string_to_bytes(const struct pol_json *string, struct pol_jbuf *out)
{
	const unsigned char *p = (const unsigned char *)string->text, *end = p + string->len;
	int r;

	out->len = 0;
	if ((r = pol_jbuf_reserve(out, string->len)) < 0)
		return r;
	while (p < end) {
		/* ED B2 80..ED B3 BF is U+DC80..U+DCFF: one escaped byte */
		if (end - p >= 3 && p[0] == 0xED && (p[1] == 0xB2 || p[1] == 0xB3)) {
			out->data[out->len++] = (char)(0x80 | ((p[1] & 0x01) << 6) | (p[2] & 0x3F));
			p += 3;
			continue;
		}
		out->data[out->len++] = (char)*p++;
	}
	out->data[out->len] = '\0';
	return 0;
}

struct pol_json *pol_json_string_borrow(struct pol_json_arena *arena, const char *bytes,
					size_t len)
{
	struct pol_json *v;

	if (plain_prefix((const unsigned char *)bytes, len) != len)
		return pol_json_string_from_bytes(arena, bytes, len);
	if (!(v = pol_json_new(arena, POL_JSON_STRING)))
		return NULL;
	v->text = bytes;
	v->len = len;
	v->plain = true;
	return v;
}

struct pol_json *pol_json_string_from_bytes(struct pol_json_arena *arena, const char *bytes,
					    size_t len)
{
	const unsigned char *p = (const unsigned char *)bytes, *end = p + len;
	struct pol_json *v = pol_json_new(arena, POL_JSON_STRING);
	unsigned char *out, *o;

	const unsigned char *q = p;

	if (!v || len > SIZE_MAX / 3 - 1)
		return NULL;
	/* The common case: printable ASCII needing no escape, copied once and
	 * marked plain so the writer copies it as it is. */
	q += plain_prefix(q, len);
	if (q == end) {
		out = pol_json_arena_alloc(arena, len + 1);
		if (!out)
			return NULL;
		memcpy(out, bytes, len);
		out[len] = '\0';
		v->text = (const char *)out;
		v->len = len;
		v->plain = true;
		return v;
	}
	/* worst case every byte is escaped: 1 byte -> 3 */
	out = pol_json_arena_alloc(arena, len * 3 + 1);
	if (!out)
		return NULL;
	o = out;
	while (p < end) {
		size_t n;

		for (q = p; q < end && *q < 0x80; q++)
			;
		if (q > p) { /* an ASCII run */
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
			continue;
		}
		n = utf8_seq(p, end);

		if (n) {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else { /* surrogateescape: byte B -> U+DC00+B */
			o += put_cp(o, 0xDC00u + *p++);
		}
	}
	*o = '\0';
	v->text = (const char *)out;
	v->len = (size_t)(o - out);
	return v;
}
