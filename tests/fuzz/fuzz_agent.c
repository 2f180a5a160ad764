/*
 * libFuzzer harness for the agent profile's exec analysis: the bytes are
 * an argv (NUL-separated, as read from a target) scored through the whole
 * engine, so the wrapper unwrapping, the shell script parser and the rule
 * matcher see hostile input. Any input must score without crashing,
 * leaking or reading out of bounds, and the score must stay in [0, 1].
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. -Ipolicy \
 *     -I/usr/include/cjson tests/fuzz/fuzz_agent.c build/libattesta-policy.a \
 *     -lyaml -lpcre2-8 -lcjson -lcrypto -lm -lpthread -o fuzz_agent
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pol_config *config;
static struct pol_engine *engine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_action *action;
	struct pol_decision decision;
	struct pol_diag diag;
	size_t start = 0;

	if (!engine) {
		config = pol_config_new_default();
		if (!config || pol_engine_new(config, &engine, &diag) < 0)
			abort();
	}
	action = pol_action_new(POL_ACTION_EXEC);
	if (!action || pol_action_set(&action->cwd, "/work/ws") < 0)
		abort();
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i])
			continue;
		if (!action->function_name) {
			char name[256];
			size_t n = i - start < sizeof(name) - 1 ? i - start : sizeof(name) - 1;

			memcpy(name, data + start, n);
			name[n] = '\0';
			if (pol_action_set(&action->function_name, name) < 0)
				abort();
		} else if (pol_strv_push(&action->args, (const char *)data + start, i - start) < 0) {
			abort();
		}
		start = i + 1;
	}
	if (pol_engine_evaluate(engine, action, 0.5, false, &decision) == 0) {
		if (!(decision.assessment.score >= 0.0 && decision.assessment.score <= 1.0))
			abort();
		pol_decision_release(&decision);
	}
	pol_action_free(action);
	return 0;
}
