/*
 * Private to the config loader (config.c, config_yaml.c, config_schema.c):
 * the YAML document as a small tree with source positions. config_yaml.c
 * builds it from libyaml events with every cap of pol_limits.h applied
 * (bytes, depth, scalar length, item count, no aliases or anchors, one
 * document, UTF-8 only); config_schema.c then walks it against the schema
 * and fills a struct pol_config. Nothing here is exported from the library.
 */
#ifndef ATTESTA_CONFIG_INTERNAL_H
#define ATTESTA_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"

enum cfg_kind { CFG_SCALAR, CFG_SEQUENCE, CFG_MAPPING };

struct cfg_node {
	enum cfg_kind kind;
	unsigned line, column;  /* 1-based, as libyaml's start mark + 1 */
	size_t char_index;      /* libyaml's start mark index (code points, BOM excluded) */

	/* CFG_SCALAR: NUL-terminated value (len bytes, no NUL inside). */
	char *text;
	size_t len;
	bool plain;             /* plain style: may be a number, bool or null */
	bool quoted;            /* single- or double-quoted on one line */

	/* CFG_SEQUENCE: items; CFG_MAPPING: key, value, key, value ... */
	struct cfg_node **items;
	size_t count;
	size_t capacity;
};

/* Read a config file whole with the config's size cap (file_read.h);
 * the error is described in diag ("cannot open config: ..."). */
int config_read_file(const char *path, char **ret_buf, size_t *ret_len, struct pol_diag *diag);

/* Parse buf into a tree. *ret_root is NULL for an empty stream (no
 * document, or a document that is a plain null scalar). -EINVAL with diag
 * on bad input, -ENOMEM. */
int cfg_tree_parse(const char *name, const char *buf, size_t len,
		   struct cfg_node **ret_root, struct pol_diag *diag);
void cfg_node_free(struct cfg_node *node);

/* Byte offset in buf of the code point with libyaml index char_index. */
size_t cfg_byte_offset(const char *buf, size_t len, size_t char_index);

/* Walk root against the schema and fill config (which holds defaults).
 * On error config may be partly filled: the caller frees it. */
int cfg_schema_apply(const char *name, const char *buf, size_t len,
		     const struct cfg_node *root, struct pol_config *config,
		     struct pol_diag *diag);

/* The walk's state: where diagnostics go and what is being filled. */
struct schema {
	const char *name;  /* file name for diagnostics */
	const char *buf;   /* the raw file, for columns inside patterns */
	size_t len;
	struct pol_diag *diag;
	struct pol_config *config;
};

/* Readers (config_read.c). Each returns 0 or -EINVAL with s->diag set at
 * the offending node; path is the dotted key ("policy.timeout_seconds").
 * Numbers are plain scalars only: strict decimal, no hex, inf or nan. */
int cfg_fail(struct schema *s, const struct cfg_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *cfg_kind_name(const struct cfg_node *node);
bool cfg_is_null(const struct cfg_node *node);
const char *cfg_describe(const struct cfg_node *v, char *buf, size_t size);
int cfg_read_bool(struct schema *s, const char *path, const struct cfg_node *v, bool *ret);
int cfg_read_double(struct schema *s, const char *path, const struct cfg_node *v,
		    double min, double max, bool min_open, double *ret);
int cfg_read_uint(struct schema *s, const char *path, const struct cfg_node *v,
		  unsigned min, unsigned max, unsigned *ret);
int cfg_read_scalar(struct schema *s, const char *path, const struct cfg_node *v);
int cfg_read_string(struct schema *s, const char *path, const struct cfg_node *v,
		    bool nullable, char **slot);
int cfg_read_enum(struct schema *s, const char *path, const struct cfg_node *v,
		  const char *const *names, unsigned *ret);
int cfg_check_mapping(struct schema *s, const char *path, const struct cfg_node *map);
int cfg_unknown_key(struct schema *s, const char *path, const struct cfg_node *key,
		    const char *const *known);

/* Helpers shared with config.c. */
int cfg_strv_push(struct pol_strv *v, const char *s);
void cfg_strv_release(struct pol_strv *v);

#endif
