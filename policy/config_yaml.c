/*
 * attesta.yaml bytes -> a small tree of scalars, sequences and mappings
 * with source positions (config_internal.h). The file is untrusted: anyone
 * who can edit it (a teammate, an agent with write access to the project)
 * controls every byte. Before libyaml sees it the whole buffer is checked
 * to be UTF-8 without control characters; while events are turned into
 * nodes every cap of pol_limits.h applies (depth, scalar length, items per
 * collection), and anchors, aliases, explicit tags and a second document
 * are rejected outright, so no input can make the tree larger than the
 * file or expand it the way a "billion laughs" alias bomb does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"
#include "pol_limits.h"

void cfg_node_free(struct cfg_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->count; i++)
		cfg_node_free(node->items[i]);
	free(node->items);
	free(node->text);
	free(node);
}

/* Line and column (1-based, columns in code points) of byte offset off,
 * counting line breaks the way libyaml does for LF, CRLF and CR. */
static void position_of_byte(const char *buf, size_t len, size_t off,
			     unsigned *ret_line, unsigned *ret_column)
{
	unsigned line = 1, column = 1;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n' || (c == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
			line++;
			column = 1;
		} else if (c == '\r' || (c & 0xC0) == 0x80) {
			continue;
		} else {
			column++;
		}
	}
	*ret_line = line;
	*ret_column = column;
}

size_t cfg_byte_offset(const char *buf, size_t len, size_t char_index)
{
	size_t off = 0;

	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		off = 3; /* libyaml does not count the BOM */
	while (off < len) {
		if (((unsigned char)buf[off] & 0xC0) != 0x80) {
			if (!char_index)
				break;
			char_index--;
		}
		off++;
	}
	return off;
}

/* SECURITY: libyaml decodes UTF-8 itself, but its reader errors carry a
 * byte offset only and it accepts some code points we never want in a
 * policy file (NUL via "\0" escapes is handled at the scalar). Check the
 * whole buffer first so every encoding problem gets a precise location. */
static int check_encoding(const char *name, const char *buf, size_t len,
			  struct pol_diag *diag)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;
		unsigned line, column;

		if (c < 0x80) {
			cp = c;
			n = 1;
		} else if (c >= 0xC2 && c <= 0xDF) {
			cp = c & 0x1F;
			n = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			cp = c & 0x0F;
			n = 3;
		} else if (c >= 0xF0 && c <= 0xF4) {
			cp = c & 0x07;
			n = 4;
		} else {
			goto bad_utf8;
		}
		if (n > len - i)
			goto bad_utf8;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad_utf8;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad_utf8;
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F ||
		    (cp >= 0x80 && cp <= 0x9F && cp != 0x85) || cp == 0xFFFE || cp == 0xFFFF ||
		    (cp == 0xFEFF && i != 0)) {
			position_of_byte(buf, len, i, &line, &column);
			return pol_diag_set(diag, name, line, column,
					    "control character U+%04X is not allowed", (unsigned)cp);
		}
		i += n;
		continue;
bad_utf8:
		position_of_byte(buf, len, i, &line, &column);
		return pol_diag_set(diag, name, line, column,
				    "invalid UTF-8 (byte 0x%02X): the config must be UTF-8", c);
	}
	return 0;
}

static int parser_error(const char *name, const char *buf, size_t len,
			const yaml_parser_t *parser,
			struct pol_diag *diag)
{
	unsigned line, column;

	if (parser->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (parser->error == YAML_READER_ERROR) {
		position_of_byte(buf, len, parser->problem_offset, &line, &column);
		return pol_diag_set(diag, name, line, column, "invalid yaml: %s",
				    parser->problem ? parser->problem : "unreadable input");
	}
	if (parser->context)
		return pol_diag_set(diag, name, (unsigned)parser->problem_mark.line + 1,
				    (unsigned)parser->problem_mark.column + 1,
				    "invalid yaml: %s %s", parser->context,
				    parser->problem ? parser->problem : "");
	return pol_diag_set(diag, name, (unsigned)parser->problem_mark.line + 1,
			    (unsigned)parser->problem_mark.column + 1, "invalid yaml: %s",
			    parser->problem ? parser->problem : "syntax error");
}

static struct cfg_node *node_new(enum cfg_kind kind, const yaml_mark_t *mark)
{
	struct cfg_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->kind = kind;
	node->line = (unsigned)mark->line + 1;
	node->column = (unsigned)mark->column + 1;
	node->char_index = mark->index;
	return node;
}

static int node_append(struct cfg_node *parent, struct cfg_node *child)
{
	if (parent->count == parent->capacity) {
		size_t cap = parent->capacity ? parent->capacity * 2 : 8;
		struct cfg_node **items = realloc(parent->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		parent->items = items;
		parent->capacity = cap;
	}
	parent->items[parent->count++] = child;
	return 0;
}

/* Anchors and explicit tags on any node: rejected with the node's place. */
static int check_node_props(const char *name, const yaml_event_t *event,
			    const yaml_char_t *anchor, const yaml_char_t *tag,
			    struct pol_diag *diag)
{
	unsigned line = (unsigned)event->start_mark.line + 1;
	unsigned column = (unsigned)event->start_mark.column + 1;

	if (anchor)
		return pol_diag_set(diag, name, line, column,
				    "yaml anchors are not allowed ('&%.64s'): the config may not use anchors or aliases",
				    (const char *)anchor);
	if (tag)
		return pol_diag_set(diag, name, line, column,
				    "yaml tags are not allowed ('%.64s')", (const char *)tag);
	return 0;
}

static int attach(const char *name, struct cfg_node **stack, unsigned depth,
		  struct cfg_node **root, struct cfg_node *node, struct pol_diag *diag)
{
	struct cfg_node *parent;
	size_t items;

	if (!depth) {
		*root = node;
		return 0;
	}
	parent = stack[depth - 1];
	items = parent->kind == CFG_MAPPING ? parent->count / 2 : parent->count;
	if (items >= POL_CONFIG_MAX_ITEMS)
		return pol_diag_set(diag, name, node->line, node->column,
				    "too many items in one %s (more than %d)",
				    parent->kind == CFG_MAPPING ? "mapping" : "list",
				    POL_CONFIG_MAX_ITEMS);
	return node_append(parent, node);
}

static bool is_null_scalar(const struct cfg_node *node)
{
	return node->kind == CFG_SCALAR && node->plain &&
	       (!node->len || !strcmp(node->text, "~") || !strcmp(node->text, "null") ||
		!strcmp(node->text, "Null") || !strcmp(node->text, "NULL"));
}

int cfg_tree_parse(const char *name, const char *buf, size_t len,
		   struct cfg_node **ret_root, struct pol_diag *diag)
{
	yaml_parser_t parser;
	yaml_event_t event;
	struct cfg_node *stack[POL_CONFIG_MAX_DEPTH];
	struct cfg_node *root = NULL;
	unsigned depth = 0, documents = 0;
	bool done = false, have_event = false;
	int r;

	r = check_encoding(name, buf, len, diag);
	if (r < 0)
		return r;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	while (!done) {
		struct cfg_node *node = NULL;
		unsigned line, column;

		if (!yaml_parser_parse(&parser, &event)) {
			r = parser_error(name, buf, len, &parser, diag);
			goto out;
		}
		have_event = true;
		line = (unsigned)event.start_mark.line + 1;
		column = (unsigned)event.start_mark.column + 1;

		switch (event.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				r = pol_diag_set(diag, name, line, column,
						 "multiple yaml documents are not supported: the config is one document");
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			r = pol_diag_set(diag, name, line, column,
					 "yaml aliases are not allowed ('*%.64s'): the config may not use anchors or aliases",
					 (const char *)event.data.alias.anchor);
			goto out;
		case YAML_SCALAR_EVENT: {
			const yaml_scalar_style_t style = event.data.scalar.style;
			size_t n = event.data.scalar.length;

			r = check_node_props(name, &event, event.data.scalar.anchor,
					     event.data.scalar.tag, diag);
			if (r < 0)
				goto out;
			if (n > POL_CONFIG_MAX_SCALAR) {
				r = pol_diag_set(diag, name, line, column,
						 "value is too long (%zu bytes, at most %d)", n,
						 POL_CONFIG_MAX_SCALAR);
				goto out;
			}
			if (memchr(event.data.scalar.value, '\0', n)) {
				r = pol_diag_set(diag, name, line, column,
						 "value contains a NUL character");
				goto out;
			}
			node = node_new(CFG_SCALAR, &event.start_mark);
			if (!node || !(node->text = malloc(n + 1))) {
				cfg_node_free(node);
				r = -ENOMEM;
				goto out;
			}
			memcpy(node->text, event.data.scalar.value, n);
			node->text[n] = '\0';
			node->len = n;
			node->plain = style == YAML_PLAIN_SCALAR_STYLE;
			node->quoted = (style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
					style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
				       event.start_mark.line == event.end_mark.line;
			r = attach(name, stack, depth, &root, node, diag);
			if (r < 0) {
				cfg_node_free(node);
				goto out;
			}
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			bool seq = event.type == YAML_SEQUENCE_START_EVENT;

			r = seq ? check_node_props(name, &event, event.data.sequence_start.anchor,
						   event.data.sequence_start.tag, diag)
				: check_node_props(name, &event, event.data.mapping_start.anchor,
						   event.data.mapping_start.tag, diag);
			if (r < 0)
				goto out;
			if (depth >= POL_CONFIG_MAX_DEPTH) {
				r = pol_diag_set(diag, name, line, column,
						 "nesting is too deep (more than %d levels)",
						 POL_CONFIG_MAX_DEPTH);
				goto out;
			}
			node = node_new(seq ? CFG_SEQUENCE : CFG_MAPPING, &event.start_mark);
			if (!node) {
				r = -ENOMEM;
				goto out;
			}
			r = attach(name, stack, depth, &root, node, diag);
			if (r < 0) {
				cfg_node_free(node);
				goto out;
			}
			stack[depth++] = node;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth)
				depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&event);
		have_event = false;
	}

	if (root && is_null_scalar(root)) {
		cfg_node_free(root);
		root = NULL;
	}
	*ret_root = root;
	root = NULL;
	r = 0;
out:
	if (have_event)
		yaml_event_delete(&event);
	yaml_parser_delete(&parser);
	cfg_node_free(root);
	return r;
}
