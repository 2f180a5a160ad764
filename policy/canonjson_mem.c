/*
 * Memory for canonjson.h: the growable byte buffer and the chunked arena
 * that holds parsed nodes and decoded strings. Trusts its callers (sizes
 * come from bounded parsers); every size computation is checked for
 * overflow anyway.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canonjson.h"

/* --- byte buffer ----------------------------------------------------------- */

int pol_jbuf_reserve(struct pol_jbuf *buf, size_t extra)
{
	size_t want, cap;
	char *grown;

	if (extra > SIZE_MAX - buf->len - 1)
		return -ENOMEM;
	want = buf->len + extra + 1;
	if (want <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 256;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	grown = realloc(buf->data, cap);
	if (!grown)
		return -ENOMEM;
	buf->data = grown;
	buf->cap = cap;
	return 0;
}

int pol_jbuf_append(struct pol_jbuf *buf, const void *bytes, size_t len)
{
	int r = pol_jbuf_reserve(buf, len);

	if (r < 0)
		return r;
	if (len)
		memcpy(buf->data + buf->len, bytes, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

void pol_jbuf_release(struct pol_jbuf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* --- arena ----------------------------------------------------------------- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char bytes[];
};

struct pol_json_arena {
	struct arena_chunk *chunks; /* newest first; the last one is kept on reset */
};

#define ARENA_CHUNK (64 * 1024)

struct pol_json_arena *pol_json_arena_new(void)
{
	return calloc(1, sizeof(struct pol_json_arena));
}

void pol_json_arena_reset(struct pol_json_arena *arena)
{
	struct arena_chunk *c;

	if (!arena)
		return;
	while (arena->chunks && arena->chunks->next) {
		c = arena->chunks;
		arena->chunks = c->next;
		free(c);
	}
	if (arena->chunks)
		arena->chunks->used = 0;
}

void pol_json_arena_free(struct pol_json_arena *arena)
{
	struct arena_chunk *c;

	if (!arena)
		return;
	while ((c = arena->chunks)) {
		arena->chunks = c->next;
		free(c);
	}
	free(arena);
}

void *pol_json_arena_alloc(struct pol_json_arena *arena, size_t size)
{
	struct arena_chunk *c = arena->chunks;
	size_t need = (size + 15) & ~(size_t)15, chunk;
	void *p;

	if (size > SIZE_MAX / 2)
		return NULL;
	if (!c || c->size - c->used < need) {
		chunk = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		c = malloc(sizeof(*c) + chunk);
		if (!c)
			return NULL;
		c->size = chunk;
		c->used = 0;
		/* a big one-off block goes behind the current chunk so the
		 * current chunk keeps serving small nodes */
		if (need > ARENA_CHUNK && arena->chunks) {
			c->next = arena->chunks->next;
			arena->chunks->next = c;
		} else {
			c->next = arena->chunks;
			arena->chunks = c;
		}
	}
	p = c->bytes + c->used;
	c->used += need;
	return p;
}

struct pol_json *pol_json_new(struct pol_json_arena *arena, enum pol_json_kind kind)
{
	struct pol_json *v = pol_json_arena_alloc(arena, sizeof(*v));

	if (v) {
		memset(v, 0, sizeof(*v));
		v->kind = kind;
	}
	return v;
}
