/*
 * Building canonjson trees (canonjson.h): numbers, member lists and the
 * cJSON conversion the audit writer uses for the supervisor's fields.
 * Trusts its caller's tree (the gate's own decision); strings are bytes
 * and pass through the surrogateescape decoder, so any bytes are kept.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "canonjson.h"
#include "pol_limits.h"

/* --- builders -------------------------------------------------------------- */

size_t pol_json_format_int(long long value, char buf[24])
{
	/* digits from the right, then moved to the front: no printf (an
	 * audit entry has several integers, docs/BENCHMARKS.md "Session 5") */
	unsigned long long u = value < 0 ? 0ull - (unsigned long long)value
					 : (unsigned long long)value;
	char tmp[24], *p = tmp + sizeof(tmp);
	size_t n;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (value < 0)
		*--p = '-';
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

struct pol_json *pol_json_int(struct pol_json_arena *arena, long long value)
{
	struct pol_json *v = pol_json_new(arena, POL_JSON_INT);
	char *text;

	if (!v || !(text = pol_json_arena_alloc(arena, 24)))
		return NULL;
	v->len = pol_json_format_int(value, text);
	v->text = text;
	return v;
}

/* The shortest repr costs a few snprintf/strtod round trips; the numbers
 * of audit entries (risk factors, scores) repeat from call to call, so
 * remember the last ones, per thread, keyed by their exact bits. */
#define FLOAT_MEMO 128
static __thread struct {
	uint64_t bits;
	unsigned char len; /* 0: empty */
	char text[31];
} float_memo[FLOAT_MEMO];

static size_t float_repr_memo(double value, char *buf, size_t size)
{
	uint64_t bits;
	size_t n, slot;

	memcpy(&bits, &value, sizeof(bits));
	slot = (size_t)((bits * 0x9E3779B97F4A7C15ull) >> 57) % FLOAT_MEMO;
	if (float_memo[slot].len && float_memo[slot].bits == bits &&
	    float_memo[slot].len < size) {
		memcpy(buf, float_memo[slot].text, float_memo[slot].len);
		buf[float_memo[slot].len] = '\0';
		return float_memo[slot].len;
	}
	n = pol_json_float_repr(value, NULL, 0, buf, size);
	if (n > 0 && n < sizeof(float_memo[slot].text) && n < size) {
		float_memo[slot].bits = bits;
		float_memo[slot].len = (unsigned char)n;
		memcpy(float_memo[slot].text, buf, n);
	}
	return n;
}

struct pol_json *pol_json_float(struct pol_json_arena *arena, double value)
{
	struct pol_json *v = pol_json_new(arena, POL_JSON_FLOAT);
	char repr[40], *text;
	size_t n;

	if (!v)
		return NULL;
	v->number = value;
	/* Work out the shortest repr once and keep it as the lexical form:
	 * an entry is written twice (hashed, then the line), and the writer
	 * takes a lexical form's digits without searching again. */
	if (!isfinite(value))
		return v;
	n = float_repr_memo(value, repr, sizeof(repr));
	if (n >= sizeof(repr) || !(text = pol_json_arena_alloc(arena, n + 1)))
		return v; /* no hint: the writer searches itself */
	memcpy(text, repr, n + 1);
	v->text = text;
	v->len = n;
	v->plain = true; /* for a FLOAT: text is exactly what the writer prints */
	return v;
}

int pol_json_add(struct pol_json_arena *arena, struct pol_json *container, const char *key,
		 struct pol_json *child)
{
	struct pol_json **tail;

	if (!child)
		return -ENOMEM;
	if (container->kind == POL_JSON_OBJECT) {
		struct pol_json *k = pol_json_string_from_bytes(arena, key, strlen(key));

		if (!k)
			return -ENOMEM;
		child->key = k->text;
		child->key_len = k->len;
		child->key_plain = k->plain;
	}
	for (tail = &container->first; *tail; tail = &(*tail)->next)
		;
	*tail = child;
	child->next = NULL;
	container->count++;
	return 0;
}

struct pol_json *pol_json_number(struct pol_json_arena *arena, double value, bool always_float)
{
	if (!always_float && isfinite(value) && value == floor(value) &&
	    fabs(value) < 9007199254740992.0)
		return pol_json_int(arena, (long long)value);
	return pol_json_float(arena, value);
}

static bool is_float_key(const char *key, const char *const *float_keys)
{
	for (; key && float_keys && *float_keys; float_keys++)
		if (!strcmp(key, *float_keys))
			return true;
	return false;
}

static int from_cjson(struct pol_json_arena *arena, const cJSON *item,
		      const char *const *float_keys, struct pol_json **ret, unsigned depth)
{
	struct pol_json *v = NULL;
	int r;

	if (depth > POL_JSON_MAX_DEPTH)
		return -E2BIG;
	switch (item->type & 0xFF) {
	case cJSON_False:
		v = pol_json_new(arena, POL_JSON_FALSE);
		break;
	case cJSON_True:
		v = pol_json_new(arena, POL_JSON_TRUE);
		break;
	case cJSON_NULL:
		v = pol_json_new(arena, POL_JSON_NULL);
		break;
	case cJSON_Number:
		v = pol_json_number(arena, item->valuedouble,
				    is_float_key(item->string, float_keys));
		break;
	case cJSON_String:
		v = pol_json_string_from_bytes(arena, item->valuestring ? item->valuestring : "",
					       item->valuestring ? strlen(item->valuestring) : 0);
		break;
	case cJSON_Raw: {
		size_t n = item->valuestring ? strlen(item->valuestring) : 0;
		char *copy = pol_json_arena_alloc(arena, n + 1);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, n ? item->valuestring : "", n);
		copy[n] = '\0';
		if ((r = pol_json_parse(arena, copy, n, &v, NULL)) < 0)
			return r;
		break;
	}
	case cJSON_Array:
	case cJSON_Object:
		v = pol_json_new(arena, (item->type & 0xFF) == cJSON_Array ? POL_JSON_ARRAY
									 : POL_JSON_OBJECT);
		if (!v)
			return -ENOMEM;
		{
		struct pol_json **tail = &v->first;

		for (const cJSON *c = item->child; c; c = c->next) {
			struct pol_json *child;

			if ((r = from_cjson(arena, c, float_keys, &child, depth + 1)) < 0)
				return r;
			if (v->kind == POL_JSON_OBJECT) {
				const char *key = c->string ? c->string : "";
				struct pol_json *k = pol_json_string_from_bytes(arena, key, strlen(key));

				if (!k)
					return -ENOMEM;
				child->key = k->text;
				child->key_len = k->len;
				child->key_plain = k->plain;
			}
			*tail = child;
			tail = &child->next;
			v->count++;
		}
		}
		break;
	default:
		return -EINVAL;
	}
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

int pol_json_from_cjson(struct pol_json_arena *arena, const struct cJSON *item,
			const char *const *float_keys, struct pol_json **ret_value)
{
	return from_cjson(arena, item, float_keys, ret_value, 0);
}
