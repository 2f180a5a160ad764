/*
 * libFuzzer harness for the trust store file (policy/trust_store.c): any
 * bytes must either be rejected with a diagnostic or load into a store
 * whose every score is a number in [0, 1], whose JSON summaries build, and
 * whose serialized form parses again and serializes to the same bytes
 * (the writer is a fixed point of the reader). The bytes are untrusted: a
 * store file anyone with write access to its directory may have edited.
 * Seeds: tests/fuzz/corpus/trust/. Built and run by tests/fuzz/run.sh.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pol_config *config;

static void check_score(double score)
{
	if (!(score >= 0.0 && score <= 1.0))
		abort();
}

/* Serialize, parse the text again, serialize again: same bytes. */
static void check_round_trip(const struct pol_trust_store *store)
{
	struct trust_table again = { 0 };
	struct pol_diag diag;
	char *once = trust_table_serialize(&store->table), *twice;

	if (!once)
		return; /* ENOMEM */
	if (trust_table_parse("again", once, strlen(once), &again, &diag) < 0)
		abort();
	twice = trust_table_serialize(&again);
	if (twice && strcmp(once, twice) != 0)
		abort();
	free(twice);
	trust_table_release(&again);
	free(once);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_trust_store *store = NULL;
	struct pol_diag diag;
	const double now = 1800000000.0;
	int r;

	if (!config) {
		config = pol_config_new_default();
		if (!config)
			abort();
	}
	memset(&diag, 0, sizeof(diag));
	r = pol_trust_store_parse("fuzz.json", (const char *)data, size, config, &store, &diag);
	if (r < 0) {
		if (store || (r == -EINVAL && !diag.message[0]))
			abort();
		return 0;
	}
	if (!store)
		abort();
	for (size_t i = 0; i < pol_trust_agent_count(store); i++) {
		const struct pol_trust_agent *agent = pol_trust_agent_at(store, i);
		cJSON *summary;

		if (!agent || pol_trust_agent_find(store, agent->id) != agent)
			abort();
		check_score(pol_trust_score(store, agent->id, NULL, now));
		for (size_t d = 0; d < agent->n_domains; d++)
			check_score(pol_trust_score(store, agent->id, agent->domains[d].name, now));
		summary = pol_trust_agent_to_json(store, agent->id, now);
		cJSON_Delete(summary);
	}
	check_round_trip(store);
	/* Events on top of a hostile store: counters near their limits. */
	if (pol_trust_agent_count(store) > 0) {
		const char *id = pol_trust_agent_at(store, 0)->id;

		(void)pol_trust_record(store, id, NULL, POL_TRUST_APPROVED, now);
		(void)pol_trust_record(store, id, "ops", POL_TRUST_DENIED, now);
		(void)pol_trust_incident(store, id, NULL, POL_TRUST_SEVERITY_CRITICAL, "x", now);
		check_score(pol_trust_score(store, id, NULL, now + 86400.0));
	}
	pol_trust_store_free(store);
	return 0;
}
