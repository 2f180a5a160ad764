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
#include <string.h>

#include "canonjson.h"
#include "pol_limits.h"

/* --- builders -------------------------------------------------------------- */

struct pol_json *pol_json_int(struct pol_json_arena *arena, long long value)
{
	struct pol_json *v = pol_json_new(arena, POL_JSON_INT);
	char *text;

	if (!v || !(text = pol_json_arena_alloc(arena, 24)))
		return NULL;
	v->len = (size_t)snprintf(text, 24, "%lld", value);
	v->text = text;
	return v;
}

struct pol_json *pol_json_float(struct pol_json_arena *arena, double value)
{
	struct pol_json *v = pol_json_new(arena, POL_JSON_FLOAT);

	if (v)
		v->number = value;
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
	}
	for (tail = &container->first; *tail; tail = &(*tail)->next)
		;
	*tail = child;
	child->next = NULL;
	container->count++;
	return 0;
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
	case cJSON_Number: {
		double d = item->valuedouble;

		if (!is_float_key(item->string, float_keys) && isfinite(d) && d == floor(d) &&
		    fabs(d) < 9007199254740992.0)
			v = pol_json_int(arena, (long long)d);
		else
			v = pol_json_float(arena, d);
		break;
	}
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
