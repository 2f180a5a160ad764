/*
 * run_trust_record: shared trust in the fleet database (docs/trust.md,
 * "Trust in the fleet database") driven through attesta-run's own code.
 *
 *   run_trust_record record CONFIG AGENT N PATTERN
 *       queue N outcomes through trust_watch.c, as the gate does after a
 *       human decision (PATTERN: a string of 'a' approved / 'd' denied,
 *       repeated), then stop (which sends what is queued)
 *   run_trust_record check CONFIG AGENT APPROVALS DENIALS
 *       read the agent from the database; exit 0 when its counts are
 *       exactly these and its score equals, bit for bit, the local
 *       model's (trust.c) for the same history at the same times
 *
 * Exit 0 ok, 1 mismatch or error, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/config.h"
#include "policy/trust.h"
#include "policy/trust_pg.h"
#include "supervisor/run/gate.h"
#include "supervisor/run/trust_watch.h"

static int record(const struct pol_config *config, const char *agent, long n, const char *pat)
{
	struct sup_gate gate;

	memset(&gate, 0, sizeof gate);
	gate.agent_id = agent;
	if (sup_trust_pg_setup(&gate, config) < 0 || !gate.trust_pg)
		return 1;
	for (long i = 0; i < n; i++) {
		sup_trust_pg_record(gate.trust_pg, pat[i % (long)strlen(pat)] == 'a');
		usleep(1000); /* as decisions come: the queue's bound is 1024 */
	}
	sup_trust_pg_free(gate.trust_pg);
	return 0;
}

static int check(const struct pol_config *config, const char *agent, unsigned long long want_a,
		 unsigned long long want_d)
{
	static const char empty[] = "{\"format\":\"attesta-trust\",\"version\":1,\"agents\":{}}";
	struct pol_trust_pg *db = NULL;
	struct pol_trust_store *got = NULL, *local = NULL;
	const struct pol_trust_agent *a;
	struct pol_diag diag = { 0 };
	int rc = 1;

	if (pol_trust_pg_open(config->fleet_database, &db, &diag) < 0 ||
	    pol_trust_pg_load(db, agent, config, &got, &diag) < 0 ||
	    pol_trust_store_parse("local", empty, sizeof empty - 1, config, &local, &diag) < 0) {
		fprintf(stderr, "run_trust_record: %s\n", diag.message);
		goto out;
	}
	a = pol_trust_agent_find(got, agent);
	if (!a || a->n_domains != 1) {
		fprintf(stderr, "run_trust_record: agent '%s' not in the database\n", agent);
		goto out;
	}
	const struct pol_trust_domain *d = &a->domains[0];
	printf("approvals=%llu denials=%llu\n", (unsigned long long)d->approvals,
	       (unsigned long long)d->denials);
	if (d->approvals != want_a || d->denials != want_d) {
		fprintf(stderr, "run_trust_record: counts %llu/%llu, want %llu/%llu\n",
			(unsigned long long)d->approvals, (unsigned long long)d->denials, want_a,
			want_d);
		goto out;
	}
	/* the same history in the local model: first decision at first_seen,
	 * the others at last_activity (only the counts and the latest time
	 * enter the score: docs/trust.md) */
	for (unsigned long long i = 0; i < want_a + want_d; i++) {
		double t = i == 0 ? d->first_seen : d->last_activity;
		if (pol_trust_record(local, agent, NULL, i < want_a ? POL_TRUST_APPROVED
								    : POL_TRUST_DENIED, t) < 0)
			goto out;
	}
	for (int k = 0; k < 3; k++) {
		double now = d->last_activity + k * 86400.0 * 30;
		double s_db = pol_trust_score(got, agent, NULL, now);
		double s_local = pol_trust_score(local, agent, NULL, now);
		printf("trust(+%dd)=%.17g local=%.17g\n", k * 30, s_db, s_local);
		if (s_db != s_local) {
			fprintf(stderr, "run_trust_record: the score differs from the local model\n");
			goto out;
		}
	}
	rc = 0;
out:
	pol_trust_store_free(got);
	pol_trust_store_free(local);
	pol_trust_pg_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	struct pol_config *config = NULL;
	struct pol_diag diag = { 0 };
	int rc;

	if (argc != 6 || (strcmp(argv[1], "record") && strcmp(argv[1], "check")) ||
	    !argv[5][0]) {
		fprintf(stderr, "usage: run_trust_record record CONFIG AGENT N PATTERN | "
			"check CONFIG AGENT APPROVALS DENIALS\n");
		return 2;
	}
	if (pol_config_load(argv[2], &config, &diag) < 0) {
		fprintf(stderr, "run_trust_record: %s\n", diag.message);
		return 1;
	}
	if (!strcmp(argv[1], "record"))
		rc = record(config, argv[3], strtol(argv[4], NULL, 10), argv[5]);
	else
		rc = check(config, argv[3], strtoull(argv[4], NULL, 10),
			   strtoull(argv[5], NULL, 10));
	pol_config_free(config);
	return rc;
}
