/*
 * Text rules shared by the challenges: answer normalization (case,
 * whitespace, trailing slash), whole-word matching for teach-back key
 * terms ("rm" is not in "firmware") and word counting. ASCII case folding
 * only: bytes >= 0x80 are compared exactly and count as word characters,
 * so a non-ASCII name is matched whole too. Trusts its inputs only to be
 * NUL-terminated.
 */
#include <ctype.h>
#include <string.h>

#include "challenge.h"

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_word(unsigned char c)
{
	return c >= 0x80 || (c < 0x80 && (isalnum(c) || c == '_'));
}

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

size_t pol_answer_normalize(const char *answer, char *buf, size_t size)
{
	size_t len = 0;
	bool pending_space = false;

	if (!size)
		return 0;
	for (const unsigned char *p = (const unsigned char *)answer; *p; p++) {
		if (is_space(*p)) {
			pending_space = len > 0;
			continue;
		}
		if (pending_space && len + 1 < size)
			buf[len++] = ' ';
		pending_space = false;
		if (len + 1 < size)
			buf[len++] = (char)fold(*p);
	}
	while (len > 1 && buf[len - 1] == '/')
		len--;
	buf[len] = '\0';
	return len;
}

bool pol_text_has_word(const char *text, const char *term)
{
	size_t tlen = strlen(term), len = strlen(text);
	bool word_start, word_end;

	if (!tlen || tlen > len)
		return false;
	word_start = is_word((unsigned char)term[0]);
	word_end = is_word((unsigned char)term[tlen - 1]);
	for (size_t i = 0; i + tlen <= len; i++) {
		size_t j = 0;
		while (j < tlen && fold((unsigned char)text[i + j]) == fold((unsigned char)term[j]))
			j++;
		if (j < tlen)
			continue;
		if (word_start && i > 0 && is_word((unsigned char)text[i - 1]))
			continue;
		if (word_end && i + tlen < len && is_word((unsigned char)text[i + tlen]))
			continue;
		return true;
	}
	return false;
}

unsigned pol_text_word_count(const char *text)
{
	unsigned count = 0;
	bool in_token = false, token_counts = false;

	for (const unsigned char *p = (const unsigned char *)text;; p++) {
		if (!*p || is_space(*p)) {
			if (in_token && token_counts)
				count++;
			in_token = token_counts = false;
			if (!*p)
				break;
			continue;
		}
		in_token = true;
		if (*p >= 0x80 || isalnum(*p))
			token_counts = true;
	}
	return count;
}
