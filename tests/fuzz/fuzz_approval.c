/*
 * libFuzzer harness for the approval-socket messages as `attesta pending`
 * and `attesta approve` show them (supervisor/common/approval_text.c,
 * termsafe.c): the bytes are one JSON line from the approval socket,
 * whose strings (argv, paths, host names, reasons) may come from the
 * sandboxed agent. The line is parsed as the client parses it and every
 * renderer is run on it (the item description, its list line, and each
 * of its questions); the text must never carry a terminal control
 * character other than '\n' (no ESC, no DEL, no C1 control, no invalid
 * UTF-8 byte that a terminal could take for one). The raw bytes also go
 * through sup_term_safe() directly with a roomy and a tight buffer.
 * The supervisor side of the socket (approval_sock.c) has no pure parser
 * to fuzz: its requests are cJSON objects dispatched on the live table.
 * Seeds: tests/fuzz/corpus/approval/. Built and run by tests/fuzz/run.sh.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/common/approval_text.h"
#include "supervisor/common/termsafe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No control character but '\n' (allow_newline), valid UTF-8, no C1. */
static void check_terminal_safe(const char *s, bool allow_newline)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned char c = *p;
		size_t n;

		if (c < 0x20) {
			if (!(allow_newline && c == '\n'))
				abort();
			p++;
			continue;
		}
		if (c == 0x7f)
			abort();
		if (c < 0x80) {
			p++;
			continue;
		}
		n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (n == 0 || c > 0xf4)
			abort(); /* a lone continuation byte or an invalid lead */
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				abort();
		if (c == 0xc2 && p[1] < 0xa0)
			abort(); /* U+0080..U+009F: C1 controls (0x9b is CSI) */
		p += n;
	}
}

static void check_rendered(char *text)
{
	if (text)
		check_terminal_safe(text, true);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), roomy[4096], tight[8];
	cJSON *msg, *item, *items, *questions, *q;
	size_t number = 1;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	check_terminal_safe(sup_term_safe(copy, roomy, sizeof(roomy)), false);
	check_terminal_safe(sup_term_safe(copy, tight, sizeof(tight)), false);
	if (strlen(sup_term_safe(copy, tight, sizeof(tight))) >= sizeof(tight))
		abort();
	free(copy);

	msg = cJSON_ParseWithLength((const char *)data, size);
	if (!cJSON_IsObject(msg)) {
		cJSON_Delete(msg);
		return 0;
	}
	/* A reply to "pending" holds "pending"; one to "begin" holds an "item"
	 * (and its "questions"); accept the item itself too. */
	items = cJSON_GetObjectItemCaseSensitive(msg, "pending");
	cJSON_ArrayForEach(item, items) {
		check_rendered(sup_approval_text_line(item));
		check_rendered(sup_approval_text_describe(item));
	}
	item = cJSON_GetObjectItemCaseSensitive(msg, "item");
	if (!item)
		item = msg;
	check_rendered(sup_approval_text_line(item));
	check_rendered(sup_approval_text_describe(item));
	questions = cJSON_GetObjectItemCaseSensitive(msg, "questions");
	if (!questions)
		questions = cJSON_GetObjectItemCaseSensitive(item, "questions");
	cJSON_ArrayForEach(q, questions)
		check_rendered(sup_approval_text_question(q, number++));
	cJSON_Delete(msg);
	return 0;
}
