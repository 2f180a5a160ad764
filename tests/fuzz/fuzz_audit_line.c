/*
 * libFuzzer harness for the audit-line reader and the canonical writer:
 * any bytes must either be rejected or parse to a value whose canonical
 * form parses again to the same canonical form (the writer is a fixed
 * point), never crash or read out of bounds. Seeds: tests/data/audit/.
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -iquote policy \
 *     tests/fuzz/fuzz_audit_line.c policy/canonjson.c policy/canonjson_mem.c \
 *     policy/canonjson_write.c -lcjson -lm -o fuzz_audit_line
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canonjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_json_arena *arena = pol_json_arena_new();
	struct pol_jbuf once = { 0 }, twice = { 0 };
	struct pol_json *v, *again;

	if (!arena)
		return 0;
	if (pol_json_parse(arena, (const char *)data, size, &v, NULL) == 0) {
		if (pol_json_canon(v, NULL, &once) < 0)
			abort();
		if (pol_json_parse(arena, once.data, once.len, &again, NULL) < 0 ||
		    pol_json_canon(again, NULL, &twice) < 0 || once.len != twice.len ||
		    memcmp(once.data, twice.data, once.len))
			abort();
	}
	pol_jbuf_release(&once);
	pol_jbuf_release(&twice);
	pol_json_arena_free(arena);
	return 0;
}
