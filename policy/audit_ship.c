/*
 * Audit shipping, the pure part (audit_ship.h, docs/audit.md "Shipping to
 * PostgreSQL"): what one stored line contributes to its database row
 * besides the line itself. The line is untrusted input like any line a
 * verifier reads: bounded, parsed with the lossless reader, and only
 * well-formed hex ids and hashes are taken from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"
#include "audit_ship.h"
#include "canonjson.h"
#include "pol_limits.h"

static bool hex_string(const struct pol_json *v, size_t min, size_t max)
{
	if (!v || v->kind != POL_JSON_STRING || v->len < min || v->len > max)
		return false;
	for (size_t i = 0; i < v->len; i++)
		if (!((v->text[i] >= '0' && v->text[i] <= '9') ||
		      (v->text[i] >= 'a' && v->text[i] <= 'f')))
			return false;
	return true;
}

/* "YYYY-MM-DDTHH:MM:SS..." with digits where digits belong, else "". */
static void iso_time(const struct pol_json *v, char *out, size_t size)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";

	out[0] = '\0';
	if (!v || v->kind != POL_JSON_STRING || v->len < sizeof(shape) - 1 || v->len >= size)
		return;
	for (size_t i = 0; i < v->len; i++) {
		char c = v->text[i];

		if (i < sizeof(shape) - 1 ? (shape[i] == 'd' ? (c < '0' || c > '9') : c != shape[i])
					  : !strchr("0123456789.:+-Z", c))
			return;
	}
	memcpy(out, v->text, v->len);
	out[v->len] = '\0';
}

int pol_ship_parse_line(struct pol_json_arena *arena, const char *line, size_t len,
			struct pol_ship_entry *out)
{
	const struct pol_json *seq, *id, *hash, *prev;
	struct pol_json *e;
	int r;

	memset(out, 0, sizeof(*out));
	if (len > POL_AUDIT_MAX_LINE)
		return -EBADMSG;
	pol_json_arena_reset(arena);
	r = pol_json_parse(arena, line, len, &e, NULL);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || e->kind != POL_JSON_OBJECT)
		return -EBADMSG;
	seq = pol_json_get(e, "seq");
	id = pol_json_get(e, "entry_id");
	hash = pol_json_get(e, "chain_hash");
	prev = pol_json_get(e, "previous_hash");
	if (!seq || seq->kind != POL_JSON_INT || seq->text[0] == '-' || seq->len > 18 ||
	    !hex_string(id, 1, 32) || !hex_string(hash, AUDIT_HASH_HEX, AUDIT_HASH_HEX) ||
	    !hex_string(prev, AUDIT_HASH_HEX, AUDIT_HASH_HEX))
		return -EBADMSG;
	out->seq = strtoull(seq->text, NULL, 10);
	out->line = line;
	out->len = len;
	memcpy(out->entry_id, id->text, id->len);
	memcpy(out->chain_hash, hash->text, AUDIT_HASH_HEX);
	memcpy(out->previous_hash, prev->text, AUDIT_HASH_HEX);
	iso_time(pol_json_get(e, "intercepted_at"), out->intercepted_at,
		 sizeof(out->intercepted_at));
	return 0;
}
