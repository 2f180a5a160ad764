/*
 * libFuzzer harness for sup_shim_parse and sup_shim_parse_gate
 * (supervisor/common/shim_msg.c), the parsers of datagrams the sandboxed agent can write to the shim socket.
 * Every input is parsed; an accepted message must satisfy the guarantees
 * shim_msg.h promises (terminated strings, counts in range) and is fed
 * through the annotation table's add and lookups. Seeds: real shim
 * messages in tests/fuzz/corpus/shim/. Build (see
 * tests/fuzz/run.sh if present):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. -Ipolicy \
 *     tests/fuzz/fuzz_shim.c supervisor/common/shim_msg.c \
 *     supervisor/common/shim_table.c -o fuzz_shim
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/common/shim_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sup_shim_table *table;
	static uint64_t now;
	struct sup_shim_msg msg;
	struct shim_call_msg call;
	char name[POL_SHIM_MAX_HOST + 1];

	if (table == NULL) {
		struct sup_shim_table_opts o = { .capacity = 16, .rate_per_sec = 1000, .burst = 8 };

		if (sup_shim_table_new(&o, &table) != 0)
			abort();
	}
	now += 7;
	{
		/* The gate socket's parser sees the same hostile bytes. */
		struct shim_gate_request req;

		if (sup_shim_parse_gate(data, size, &req) == 0 &&
		    (strlen(req.text) != req.text_len || req.entry < 1 || req.entry > SHIM_ENTRY_MAX))
			abort();
	}
	if (sup_shim_parse(data, size, &msg) != 0) {
		sup_shim_table_note_garbage(table);
		return 0;
	}
	if (msg.type == SHIM_MSG_RESOLVE) {
		const struct shim_resolve_msg *r = &msg.u.resolve;

		if (r->naddr < 1 || r->naddr > SHIM_MAX_ADDRS || strlen(r->name) != r->name_len)
			abort();
	} else if (msg.type == SHIM_MSG_CALL) {
		if (strlen(msg.u.call.text) != msg.u.call.text_len)
			abort();
	} else {
		abort();
	}
	(void)sup_shim_table_add(table, &msg, 0, now);
	if (msg.type == SHIM_MSG_RESOLVE)
		(void)sup_shim_table_lookup_name(table, msg.u.hdr.pid, msg.u.hdr.tid,
						 &msg.u.resolve.addr[0], now, name, sizeof(name));
	else
		(void)sup_shim_table_take_call(table, msg.u.hdr.tid, 0xffffffffu, now, &call);
	return 0;
}
