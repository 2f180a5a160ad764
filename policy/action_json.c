/*
 * pol_action_from_json(): a strict reader for a reference ActionContext
 * written as JSON (`attesta score --context FILE`). The file is untrusted:
 * it is read with a (position, length) cursor under explicit caps (size,
 * depth, items, integer digits; pol_limits.h) and rejected whole on the first
 * error with line:column (1-based, column in bytes). Strict RFC 8259: no
 * comments, no trailing commas, no NaN/Infinity, no raw control characters
 * or invalid UTF-8 in strings, no duplicate keys. Two things Python's
 * json.loads accepts are refused because a C string cannot hold them:
 * "\u0000" and lone surrogates. Numbers keep their lexical form in the
 * cJSON node's valuestring so str() of an int stays exact (pystr.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "action.h"
#include "diag.h"
#include "pol_limits.h"
#include "pystr.h"

struct reader {
	const char *s;
	size_t len;
	size_t pos;
	unsigned depth;
	const char *name;
	struct pol_diag *diag;
};

static int fail_at(struct reader *rd, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct reader *rd, size_t offset, const char *fmt, ...)
{
	unsigned line = 1, column = 1;
	char message[400];
	va_list ap;

	for (size_t i = 0; i < offset && i < rd->len; i++) {
		if (rd->s[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return pol_diag_set(rd->diag, rd->name, line, column, "%s", message);
}

/* Name the byte at offset for a message: 'x', or \xHH when unprintable. */
static const char *describe_byte(const struct reader *rd, size_t offset, char buf[8])
{
	unsigned char c = (unsigned char)rd->s[offset];

	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

static void skip_ws(struct reader *rd)
{
	while (rd->pos < rd->len) {
		char c = rd->s[rd->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		rd->pos++;
	}
}

static int hex4(const struct reader *rd, size_t at, unsigned *ret)
{
	unsigned v = 0;

	if (rd->len - at < 4)
		return -1;
	for (size_t i = at; i < at + 4; i++) {
		char c = rd->s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static int put_utf8(struct pol_text *out, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return pol_text_append(out, b, n);
}

/* rd->pos is at the opening quote. On success out holds the decoded,
 * NUL-terminated UTF-8 and rd->pos is past the closing quote. */
static int read_string(struct reader *rd, struct pol_text *out)
{
	size_t start = rd->pos++;
	int r;

	if ((r = pol_text_append(out, "", 0)) < 0)
		return r;
	for (;;) {
		size_t at = rd->pos;
		unsigned char c;

		if (at >= rd->len)
			return fail_at(rd, start, "unterminated string");
		c = (unsigned char)rd->s[at];
		if (c == '"') {
			rd->pos++;
			return 0;
		}
		if (c < 0x20)
			return fail_at(rd, at, "control character \\x%02x in string", c);
		if (c == '\\') {
			unsigned cp, lo;
			char e;

			if (at + 1 >= rd->len)
				return fail_at(rd, start, "unterminated string");
			e = rd->s[at + 1];
			rd->pos = at + 2;
			switch (e) {
			case '"': case '\\': case '/':
				r = pol_text_append(out, &e, 1);
				break;
			case 'b': r = pol_text_append(out, "\b", 1); break;
			case 'f': r = pol_text_append(out, "\f", 1); break;
			case 'n': r = pol_text_append(out, "\n", 1); break;
			case 'r': r = pol_text_append(out, "\r", 1); break;
			case 't': r = pol_text_append(out, "\t", 1); break;
			case 'u':
				if (hex4(rd, at + 2, &cp) < 0)
					return fail_at(rd, at, "invalid \\u escape");
				rd->pos = at + 6;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail_at(rd, at, "lone surrogate \\u%04x in string", cp);
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (rd->len - rd->pos < 6 || rd->s[rd->pos] != '\\' ||
					    rd->s[rd->pos + 1] != 'u' || hex4(rd, rd->pos + 2, &lo) < 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return fail_at(rd, at, "lone surrogate \\u%04x in string", cp);
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					rd->pos += 6;
				}
				if (cp == 0)
					return fail_at(rd, at, "\\u0000 in string is not supported");
				r = put_utf8(out, cp);
				break;
			default:
				return fail_at(rd, at, "invalid escape '\\%c'", e >= 0x20 && e < 0x7f ? e : '?');
			}
			if (r < 0)
				return r;
			continue;
		}
		{
			uint32_t cp;
			size_t n = pol_utf8_next(rd->s + at, rd->len - at, &cp);

			if (n == 0)
				return fail_at(rd, at, "invalid UTF-8 in string");
			if ((r = pol_text_append(out, rd->s + at, n)) < 0)
				return r;
			rd->pos = at + n;
		}
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int read_number(struct reader *rd, cJSON **ret)
{
	size_t start = rd->pos, p = rd->pos, int_digits;
	char *lex;
	cJSON *item;

	if (p < rd->len && rd->s[p] == '-')
		p++;
	if (p >= rd->len || !is_digit(rd->s[p]))
		return fail_at(rd, p, "invalid number");
	if (rd->s[p] == '0') {
		p++;
		if (p < rd->len && is_digit(rd->s[p]))
			return fail_at(rd, p, "leading zero in number");
	} else {
		while (p < rd->len && is_digit(rd->s[p]))
			p++;
	}
	int_digits = p - start;
	if (p < rd->len && rd->s[p] == '.') {
		p++;
		if (p >= rd->len || !is_digit(rd->s[p]))
			return fail_at(rd, p, "invalid number: digit expected after '.'");
		while (p < rd->len && is_digit(rd->s[p]))
			p++;
	}
	if (p < rd->len && (rd->s[p] == 'e' || rd->s[p] == 'E')) {
		p++;
		if (p < rd->len && (rd->s[p] == '+' || rd->s[p] == '-'))
			p++;
		if (p >= rd->len || !is_digit(rd->s[p]))
			return fail_at(rd, p, "invalid number: digit expected in exponent");
		while (p < rd->len && is_digit(rd->s[p]))
			p++;
	}
	if (p - start == int_digits && int_digits > POL_CONTEXT_MAX_INT_DIGITS)
		return fail_at(rd, start, "integer longer than %d digits", POL_CONTEXT_MAX_INT_DIGITS);
	/* A float literal may be long too, but strtod reads it in linear time
	 * and the input as a whole is capped. */
	lex = cJSON_malloc(p - start + 1);
	if (!lex)
		return -ENOMEM;
	memcpy(lex, rd->s + start, p - start);
	lex[p - start] = '\0';
	item = cJSON_CreateNumber(pol_strtod_c(lex));
	if (!item) {
		cJSON_free(lex);
		return -ENOMEM;
	}
	item->valuestring = lex;
	rd->pos = p;
	*ret = item;
	return 0;
}

static int read_value(struct reader *rd, cJSON **ret);

static int read_container(struct reader *rd, cJSON **ret)
{
	bool object = rd->s[rd->pos] == '{';
	char close = object ? '}' : ']';
	size_t open = rd->pos, count = 0;
	cJSON *c = object ? cJSON_CreateObject() : cJSON_CreateArray();
	struct pol_text key = { 0 };
	int r = 0;

	if (!c)
		return -ENOMEM;
	if (++rd->depth > POL_CONTEXT_MAX_DEPTH) {
		r = fail_at(rd, open, "nesting deeper than %d levels", POL_CONTEXT_MAX_DEPTH);
		goto out;
	}
	rd->pos++;
	skip_ws(rd);
	if (rd->pos < rd->len && rd->s[rd->pos] == close) {
		rd->pos++;
		goto out;
	}
	for (;;) {
		cJSON *item = NULL;
		size_t key_at = rd->pos;
		char bbuf[8];

		if (++count > POL_CONTEXT_MAX_ITEMS) {
			r = fail_at(rd, rd->pos, "more than %d items in one %s", POL_CONTEXT_MAX_ITEMS,
				    object ? "object" : "array");
			goto out;
		}
		if (object) {
			if (rd->pos >= rd->len || rd->s[rd->pos] != '"') {
				r = rd->pos >= rd->len ? fail_at(rd, rd->pos, "unexpected end of input")
						       : fail_at(rd, rd->pos, "expected a string key, found %s",
								 describe_byte(rd, rd->pos, bbuf));
				goto out;
			}
			key.len = 0;
			if ((r = read_string(rd, &key)) < 0)
				goto out;
			if (cJSON_GetObjectItemCaseSensitive(c, key.data)) {
				r = fail_at(rd, key_at, "duplicate key '%s'", key.data);
				goto out;
			}
			skip_ws(rd);
			if (rd->pos >= rd->len || rd->s[rd->pos] != ':') {
				r = fail_at(rd, rd->pos, "expected ':' after key '%s'", key.data);
				goto out;
			}
			rd->pos++;
		}
		if ((r = read_value(rd, &item)) < 0)
			goto out;
		if (!(object ? cJSON_AddItemToObject(c, key.data, item) : cJSON_AddItemToArray(c, item))) {
			cJSON_Delete(item);
			r = -ENOMEM;
			goto out;
		}
		skip_ws(rd);
		if (rd->pos >= rd->len) {
			r = fail_at(rd, rd->pos, "unexpected end of input");
			goto out;
		}
		if (rd->s[rd->pos] == close) {
			rd->pos++;
			break;
		}
		if (rd->s[rd->pos] != ',') {
			r = fail_at(rd, rd->pos, "expected ',' or '%c', found %s", close,
				    describe_byte(rd, rd->pos, bbuf));
			goto out;
		}
		rd->pos++;
		skip_ws(rd);
		if (rd->pos < rd->len && rd->s[rd->pos] == close) {
			r = fail_at(rd, rd->pos, "trailing comma");
			goto out;
		}
	}
out:
	rd->depth--;
	pol_text_release(&key);
	if (r < 0) {
		cJSON_Delete(c);
		return r;
	}
	*ret = c;
	return 0;
}

static int read_value(struct reader *rd, cJSON **ret)
{
	static const struct {
		const char *word;
		int type;
	} literals[] = { { "true", cJSON_True }, { "false", cJSON_False }, { "null", cJSON_NULL } };
	char bbuf[8];
	char c;

	skip_ws(rd);
	if (rd->pos >= rd->len)
		return fail_at(rd, rd->pos, "unexpected end of input");
	c = rd->s[rd->pos];
	if (c == '{' || c == '[')
		return read_container(rd, ret);
	if (c == '"') {
		struct pol_text text = { 0 };
		cJSON *item = NULL;
		int r = read_string(rd, &text);

		if (r == 0 && !(item = cJSON_CreateString(text.data)))
			r = -ENOMEM;
		pol_text_release(&text);
		if (r == 0)
			*ret = item;
		return r;
	}
	if (c == '-' || is_digit(c))
		return read_number(rd, ret);
	for (size_t i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
		size_t n = strlen(literals[i].word);

		if (rd->len - rd->pos >= n && !memcmp(rd->s + rd->pos, literals[i].word, n)) {
			cJSON *item = literals[i].type == cJSON_NULL ? cJSON_CreateNull()
								     : cJSON_CreateBool(literals[i].type == cJSON_True);

			if (!item)
				return -ENOMEM;
			rd->pos += n;
			*ret = item;
			return 0;
		}
	}
	return fail_at(rd, rd->pos, "unexpected %s", describe_byte(rd, rd->pos, bbuf));
}

/* ---- the ActionContext schema ------------------------------------------ */

enum key_kind { K_STRING, K_STRING_OR_NULL, K_ARRAY, K_OBJECT };

static const struct {
	const char *key;
	enum key_kind kind;
} context_keys[] = {
	{ "function_name", K_STRING },   { "args", K_ARRAY },
	{ "kwargs", K_OBJECT },          { "function_doc", K_STRING_OR_NULL },
	{ "hints", K_OBJECT },           { "environment", K_STRING_OR_NULL },
	{ "agent_id", K_STRING_OR_NULL }, { "session_id", K_STRING_OR_NULL },
};

static const char *const kind_names[] = {
	[K_STRING] = "a string",
	[K_STRING_OR_NULL] = "a string or null",
	[K_ARRAY] = "an array",
	[K_OBJECT] = "an object",
};

static bool kind_ok(enum key_kind kind, const cJSON *v)
{
	switch (kind) {
	case K_STRING:
		return cJSON_IsString(v);
	case K_STRING_OR_NULL:
		return cJSON_IsString(v) || cJSON_IsNull(v);
	case K_ARRAY:
		return cJSON_IsArray(v);
	case K_OBJECT:
		return cJSON_IsObject(v);
	}
	return false;
}

/* Move a member's value into the action. */
static int take_member(struct pol_action *a, const char *key, cJSON *v)
{
	if (!strcmp(key, "args")) {
		a->generic_args = v;
		return 1;
	}
	if (!strcmp(key, "kwargs")) {
		a->generic_kwargs = v;
		return 1;
	}
	if (!strcmp(key, "hints")) {
		a->hints = v;
		return 1;
	}
	if (cJSON_IsNull(v))
		return 0;
	if (!strcmp(key, "function_name"))
		return pol_action_set(&a->function_name, v->valuestring);
	if (!strcmp(key, "function_doc"))
		return pol_action_set(&a->function_doc, v->valuestring);
	if (!strcmp(key, "environment"))
		return pol_action_set(&a->environment, v->valuestring);
	if (!strcmp(key, "agent_id"))
		return pol_action_set(&a->agent_id, v->valuestring);
	return pol_action_set(&a->session_id, v->valuestring);
}

int pol_action_from_json(const char *name, const char *json, size_t len, struct pol_action **ret_action,
			 struct pol_diag *diag)
{
	struct reader rd = { .s = json, .len = len, .name = name ? name : "<context>", .diag = diag };
	struct pol_action *a = NULL;
	struct pol_text key = { 0 };
	bool seen[sizeof(context_keys) / sizeof(context_keys[0])] = { false };
	size_t open;
	char bbuf[8];
	int r = 0;

	if (len > POL_CONTEXT_MAX_BYTES) {
		pol_diag_set(diag, rd.name, 0, 0, "context larger than %d bytes", POL_CONTEXT_MAX_BYTES);
		return -E2BIG;
	}
	a = pol_action_new(POL_ACTION_GENERIC);
	if (!a)
		return -ENOMEM;
	skip_ws(&rd);
	open = rd.pos;
	if (rd.pos >= rd.len || rd.s[rd.pos] != '{') {
		r = rd.pos >= rd.len ? fail_at(&rd, rd.pos, "empty input: expected a JSON object")
				     : fail_at(&rd, rd.pos, "expected a JSON object, found %s",
					       describe_byte(&rd, rd.pos, bbuf));
		goto out;
	}
	rd.pos++;
	rd.depth = 1;
	skip_ws(&rd);
	if (rd.pos < rd.len && rd.s[rd.pos] == '}') {
		rd.pos++;
	} else {
		for (;;) {
			size_t key_at = rd.pos, value_at, k;
			cJSON *v = NULL;

			if (rd.pos >= rd.len || rd.s[rd.pos] != '"') {
				r = rd.pos >= rd.len ? fail_at(&rd, rd.pos, "unexpected end of input")
						     : fail_at(&rd, rd.pos, "expected a string key, found %s",
							       describe_byte(&rd, rd.pos, bbuf));
				goto out;
			}
			key.len = 0;
			if ((r = read_string(&rd, &key)) < 0)
				goto out;
			for (k = 0; k < sizeof(context_keys) / sizeof(context_keys[0]); k++)
				if (!strcmp(key.data, context_keys[k].key))
					break;
			if (k == sizeof(context_keys) / sizeof(context_keys[0])) {
				r = fail_at(&rd, key_at, "unknown key '%s'", key.data);
				goto out;
			}
			if (seen[k]) {
				r = fail_at(&rd, key_at, "duplicate key '%s'", key.data);
				goto out;
			}
			seen[k] = true;
			skip_ws(&rd);
			if (rd.pos >= rd.len || rd.s[rd.pos] != ':') {
				r = fail_at(&rd, rd.pos, "expected ':' after key '%s'", key.data);
				goto out;
			}
			rd.pos++;
			skip_ws(&rd);
			value_at = rd.pos;
			if ((r = read_value(&rd, &v)) < 0)
				goto out;
			if (!kind_ok(context_keys[k].kind, v)) {
				cJSON_Delete(v);
				r = fail_at(&rd, value_at, "'%s' must be %s", key.data, kind_names[context_keys[k].kind]);
				goto out;
			}
			r = take_member(a, key.data, v);
			if (r != 1)
				cJSON_Delete(v);
			if (r < 0)
				goto out;
			skip_ws(&rd);
			if (rd.pos >= rd.len) {
				r = fail_at(&rd, rd.pos, "unexpected end of input");
				goto out;
			}
			if (rd.s[rd.pos] == '}') {
				rd.pos++;
				break;
			}
			if (rd.s[rd.pos] != ',') {
				r = fail_at(&rd, rd.pos, "expected ',' or '}', found %s", describe_byte(&rd, rd.pos, bbuf));
				goto out;
			}
			rd.pos++;
			skip_ws(&rd);
		}
	}
	skip_ws(&rd);
	if (rd.pos < rd.len) {
		r = fail_at(&rd, rd.pos, "unexpected data after the context object");
		goto out;
	}
	if (!a->function_name) {
		r = fail_at(&rd, open, "missing required key 'function_name'");
		goto out;
	}
	r = 0;
	*ret_action = a;
	a = NULL;
out:
	pol_text_release(&key);
	pol_action_free(a);
	return r;
}
