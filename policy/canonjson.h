/*
 * Canonical JSON for the audit chain: a small lossless JSON reader and the
 * one writer whose output is byte-identical to Python's
 * json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).
 *
 * Why not cJSON alone: cJSON turns every number into a double, so `1` and
 * `1.0` (which Python hashes differently) and integers above 2^53 cannot be
 * re-serialized exactly. Here each number keeps its kind: an integer keeps
 * its exact decimal digits, a float is written in Python's repr (shortest
 * round-trip digits, `100.0`, `1e-05`, `1e+16`, `-0.0`, `NaN`,
 * `Infinity`).
 *
 * Strings are held as Python holds them, one code point after another,
 * stored as generalized UTF-8 ("WTF-8": a lone surrogate U+D800..U+DFFF is
 * kept as its 3-byte form), so a lone `\udc80` read from a log is written
 * back unchanged. Byte strings from outside (paths, argv) enter through
 * pol_json_string_from_bytes(), which decodes UTF-8 the way Python's
 * surrogateescape handler does: every byte that is not part of a valid
 * sequence becomes U+DC80..U+DCFF, written as `\udcXX`;
 * pol_json_string_to_bytes() reverses it.
 *
 * Trust: the reader takes untrusted bytes (a log line an attacker may have
 * edited); it is bounded by its length argument and POL_JSON_MAX_DEPTH and
 * never reads outside it. Nodes live in an arena owned by the caller; a
 * parsed tree may point into the parsed text, which must outlive it.
 * Thread-safety: none inside one arena; separate arenas are independent.
 */
#ifndef ATTESTA_CANONJSON_H
#define ATTESTA_CANONJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

enum pol_json_kind {
	POL_JSON_NULL = 0,
	POL_JSON_FALSE,
	POL_JSON_TRUE,
	POL_JSON_INT,    /* text: canonical decimal digits, optional '-' */
	POL_JSON_FLOAT,  /* number (text, if set, is the lexical form read) */
	POL_JSON_STRING, /* text/len: generalized UTF-8, may hold NUL */
	POL_JSON_ARRAY,  /* first child .. next */
	POL_JSON_OBJECT, /* first member .. next, each with key/key_len */
};

struct pol_json {
	enum pol_json_kind kind;
	const char *text;  /* INT digits, STRING contents, FLOAT lexical form or NULL */
	size_t len;
	double number;     /* FLOAT */
	const char *key;   /* set when this node is an object member */
	size_t key_len;
	bool plain;        /* STRING text is only bytes 0x20-0x7E other than " and \
			    * (written canonically as it is); FLOAT text is the
			    * shortest repr (pol_json_float), written as it is */
	bool key_plain;    /* the same for key */
	struct pol_json *first; /* ARRAY / OBJECT children in document order */
	struct pol_json *next;
	size_t count;      /* number of children */
};

/* A growable byte buffer (always NUL-terminated after a successful call). */
struct pol_jbuf {
	char *data;
	size_t len;
	size_t cap;
};
int pol_jbuf_reserve(struct pol_jbuf *buf, size_t extra);
int pol_jbuf_append(struct pol_jbuf *buf, const void *bytes, size_t len);
void pol_jbuf_release(struct pol_jbuf *buf);

/* Chunked allocator for nodes and decoded strings. */
struct pol_json_arena;
struct pol_json_arena *pol_json_arena_new(void);
/* Forget every node (keeps the first chunk for reuse). */
void pol_json_arena_reset(struct pol_json_arena *arena);
void pol_json_arena_free(struct pol_json_arena *arena);
void *pol_json_arena_alloc(struct pol_json_arena *arena, size_t size);

/* Parse exactly one JSON value spanning text[0..len) (surrounding JSON
 * whitespace allowed), as Python's json.loads would: duplicate keys are
 * kept here and resolved (last wins) by the writer; NaN, Infinity and
 * -Infinity are accepted; raw control characters in strings and invalid
 * UTF-8 are rejected. Returns 0, -EINVAL (ret_error_offset, if not NULL,
 * gets the byte offset of the error), -E2BIG (nesting over
 * POL_JSON_MAX_DEPTH or an integer over POL_JSON_MAX_INT_DIGITS), or
 * -ENOMEM. */
int pol_json_parse(struct pol_json_arena *arena, const char *text, size_t len,
		   struct pol_json **ret_value, size_t *ret_error_offset);

/* Append the canonical form of value to out. At the top level only, the
 * members named in skip_keys (NULL-terminated list, may be NULL) are left
 * out, as the chain hash leaves out chain_hash and mac. Returns 0 or
 * -ENOMEM (out keeps what was appended before the failure). */
int pol_json_canon(const struct pol_json *value, const char *const *skip_keys,
		   struct pol_jbuf *out);

/* Where a member that is not in an object would go in its canonical
 * form: at offset, preceded by ',' if after_member, followed by ',' if
 * before_member and not after_member (the separator rule of the form). */
struct pol_json_mark {
	size_t offset;
	bool after_member;
	bool before_member;
};

/* pol_json_canon() of an object, also giving for each of mark_keys
 * (ascending byte order, NULL-terminated, none of them in the object or
 * all of them skipped) where a member with that key would be inserted:
 * the audit writer hashes the form without chain_hash and mac, then
 * splices them in instead of writing the entry twice. ret_marks has one
 * element per key. -EINVAL if object is not an object. */
int pol_json_canon_marked(const struct pol_json *object, const char *const *skip_keys,
			  const char *const *mark_keys, struct pol_json_mark *ret_marks,
			  struct pol_jbuf *out);

/* Python repr() of a double as json.dumps writes it. buf >= 32 bytes;
 * returns the length. text_hint (may be NULL) is a decimal form of the same
 * value, used only to guess the digit count faster. */
size_t pol_json_float_repr(double value, const char *text_hint, size_t hint_len,
			   char *buf, size_t size);

/* Look up a member of an object (last one wins, as in Python); NULL if
 * absent or value is not an object. */
const struct pol_json *pol_json_get(const struct pol_json *object, const char *key);
/* A number member (INT or FLOAT) as a double; false if absent/not a number. */
bool pol_json_get_number(const struct pol_json *object, const char *key, double *ret_number);

/* Node builders (arena-owned). Strings are copied. */
struct pol_json *pol_json_new(struct pol_json_arena *arena, enum pol_json_kind kind);
/* A string from arbitrary bytes, decoded as UTF-8 with surrogateescape. */
struct pol_json *pol_json_string_from_bytes(struct pol_json_arena *arena, const char *bytes,
					    size_t len);
/* The same bytes without copying when they need no decoding (printable
 * ASCII other than '"' and '\\': the node points at bytes, which must
 * outlive every use of the node); otherwise as pol_json_string_from_bytes.
 * For builders whose strings live longer than the tree (the gate's decoded
 * action while its entry is written). */
struct pol_json *pol_json_string_borrow(struct pol_json_arena *arena, const char *bytes,
					size_t len);
struct pol_json *pol_json_int(struct pol_json_arena *arena, long long value);
/* value in decimal as %lld writes it, NUL-terminated; returns the length. */
size_t pol_json_format_int(long long value, char buf[24]);
struct pol_json *pol_json_float(struct pol_json_arena *arena, double value);
/* A number as pol_json_from_cjson() writes a cJSON number: an integer if
 * it is integral and |value| < 2^53 (and always_float is false), else a
 * float. */
struct pol_json *pol_json_number(struct pol_json_arena *arena, double value, bool always_float);
/* Append child to an array, or member (with key given as raw bytes, decoded
 * like pol_json_string_from_bytes) to an object. Return 0 or -ENOMEM. */
int pol_json_add(struct pol_json_arena *arena, struct pol_json *container, const char *key,
		 struct pol_json *child);

/* Convert a cJSON tree. Strings and keys are byte strings decoded with
 * surrogateescape. A cJSON number is an integer if its value is integral
 * and |v| < 2^53, else a float, except members whose key is listed in
 * float_keys (NULL-terminated, any depth), which are always floats. A
 * cJSON_Raw node must hold one JSON value and is parsed (use it for an
 * exact float such as "1.0" or a large integer). -EINVAL for a bad raw
 * node or a cJSON_Invalid node, -E2BIG if too deep, -ENOMEM. */
int pol_json_from_cjson(struct pol_json_arena *arena, const struct cJSON *item,
			const char *const *float_keys, struct pol_json **ret_value);

/* Decode a STRING's code points back to bytes: U+DC80..U+DCFF become the
 * byte they escaped, everything else UTF-8 (a lone surrogate outside that
 * range is written as its 3-byte form). out is reset first. */
int pol_json_string_to_bytes(const struct pol_json *string, struct pol_jbuf *out);

#endif
