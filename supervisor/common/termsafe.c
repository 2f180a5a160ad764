/*
 * sup_term_safe(): agent-chosen bytes to printable text. See termsafe.h.
 * SECURITY: the attacker is the sandboxed agent, which chose the bytes;
 * the output contains no byte below 0x20, no DEL, no C1 control and only
 * well-formed UTF-8, so nothing it prints can act on the terminal.
 */
#include "supervisor/common/termsafe.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (0: invalid). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	unsigned cp = c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp >= 0x80 && cp <= 0x9f)
		return 0; /* C1 control: escaped like a bad byte */
	return n;
}

char *sup_term_safe(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t o = 0;
	size_t starts[4] = { 0 }; /* offsets where the last pieces began */
	size_t n_starts = 0;
	if (size == 0)
		return out;
	while (*s) {
		char esc[8];
		const char *piece;
		size_t len;
		size_t n = utf8_len(s);
		if (n == 1 && *s >= 0x20 && *s != 0x7f) {
			piece = (const char *)s;
			len = 1;
		} else if (n > 1) {
			piece = (const char *)s;
			len = n;
		} else {
			if (*s == '\n')
				snprintf(esc, sizeof esc, "\\n");
			else if (*s == '\t')
				snprintf(esc, sizeof esc, "\\t");
			else if (*s == '\r')
				snprintf(esc, sizeof esc, "\\r");
			else
				snprintf(esc, sizeof esc, "\\x%02x", *s);
			piece = esc;
			len = strlen(esc);
			n = 1;
		}
		if (o + len + 1 > size) {
			/* Truncate at a piece boundary (never inside a UTF-8
			 * sequence or an escape), leaving room for "...". Each
			 * piece is at least one byte, so the boundary we need is
			 * among the last three pieces copied. */
			size_t k = n_starts;
			while (o + 4 > size && k > 0 && n_starts - k < 4)
				o = starts[--k % 4];
			if (o + 4 <= size) {
				memcpy(out + o, "...", 3);
				o += 3;
			} else {
				o = 0;
			}
			break;
		}
		starts[n_starts++ % 4] = o;
		memcpy(out + o, piece, len);
		o += len;
		s += n;
	}
	out[o] = '\0';
	return out;
}
