/*
 * libFuzzer harness for the ActionContext JSON reader (pol_action_from_json,
 * policy/action_json.c), the input of `attesta score --context`: any bytes
 * must either be rejected with a diagnostic or give an action that the
 * rest of the pipeline can use without crashing: its description, its JSON
 * form, its argument text, the reference scorer (score in [0, 1]) and the
 * whole engine with the default config. The bytes are untrusted: whatever
 * an agent framework hands over. Seeds: tests/fuzz/corpus/context/ (taken
 * from tests/data/reference_scores.jsonl). Built and run by
 * tests/fuzz/run.sh.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "action.h"
#include "engine.h"
#include "risk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pol_config *config;
static struct pol_engine *engine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_action *action = NULL;
	struct pol_assessment assessment;
	struct pol_decision decision;
	struct pol_diag diag;
	cJSON *json;
	int r;

	if (!engine) {
		config = pol_config_new_default();
		if (!config || pol_engine_new(config, &engine, &diag) < 0)
			abort();
	}
	diag.message[0] = '\0';
	r = pol_action_from_json("fuzz.json", (const char *)data, size, &action, &diag);
	if (r < 0) {
		if (action || (r == -EINVAL && !diag.message[0]))
			abort();
		return 0;
	}
	if (!action)
		abort();
	free(pol_action_describe(action));
	free(pol_risk_args_text(action));
	json = pol_action_to_json(action);
	if (json) {
		free(cJSON_PrintUnformatted(json));
		cJSON_Delete(json);
	}
	pol_assessment_init(&assessment);
	if (pol_risk_score_reference(action, 0, &assessment) == 0 &&
	    !(assessment.score >= 0.0 && assessment.score <= 1.0))
		abort();
	pol_assessment_release(&assessment);
	if (pol_engine_evaluate(engine, action, 0.5, false, &decision) == 0) {
		if (!(decision.assessment.score >= 0.0 && decision.assessment.score <= 1.0))
			abort();
		pol_decision_release(&decision);
	}
	pol_action_free(action);
	return 0;
}
