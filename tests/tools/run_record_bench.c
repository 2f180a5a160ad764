/*
 * run_record_bench: the record stage (supervisor/run/record.c) on its own,
 * for instruction counts (docs/BENCHMARKS.md, "Session 5: the record
 * stage"): N auto-approved unlink decisions, each evaluated once by the
 * engine beforehand, recorded through sup_record() into LOG exactly as
 * the loop records them (verdict entry built, canonicalized, chained,
 * written).
 *
 *   run_record_bench LOG N [-s off|tiered|always] [-K KEYFILE]
 *
 * Measure with
 *   valgrind --tool=callgrind --toggle-collect=sup_record \
 *       build/tools/run_record_bench /tmp/x.jsonl 2000
 * (instructions of sup_record / N = instructions per entry).
 *
 * Exit 0 when all N were written, 1 on a failed append, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/audit.h"
#include "policy/config.h"
#include "policy/engine.h"
#include "supervisor/run/clock.h"
#include "supervisor/run/decision.h"
#include "supervisor/run/gate.h"
#include "supervisor/run/loop.h"
#include "supervisor/run/record.h"

#define N_ACTIONS 64

int main(int argc, char **argv)
{
	const char *sync = "tiered", *keyfile = NULL;
	struct pol_config *config;
	struct pol_engine *engine = NULL;
	struct pol_audit_log *log = NULL;
	struct pol_diag diag = { 0 };
	struct pol_action *acts[N_ACTIONS];
	struct pol_decision decisions[N_ACTIONS];
	struct sup_gate gate;
	struct sup_held held;
	long n;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "s:K:")) != -1) {
		switch (opt) {
		case 's': sync = optarg; break;
		case 'K': keyfile = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: run_record_bench LOG N [-s SYNC] [-K KEYFILE]\n");
		return 2;
	}
	n = atol(argv[optind + 1]);
	config = pol_config_new_default();
	if (!config || pol_engine_new(config, &engine, &diag) < 0) {
		fprintf(stderr, "run_record_bench: %s\n", diag.message);
		return 2;
	}
	config->audit_sync = !strcmp(sync, "always") ? POL_SYNC_ALWAYS
			     : !strcmp(sync, "off") ? POL_SYNC_OFF : POL_SYNC_TIERED;
	if (keyfile && !(config->audit_hmac_key_file = strdup(keyfile)))
		return 2;
	if (pol_audit_open(config, argv[optind], &log, &diag) < 0) {
		fprintf(stderr, "run_record_bench: %s\n", diag.message);
		return 2;
	}
	for (int i = 0; i < N_ACTIONS; i++) {
		char path[128];
		struct pol_action *a = pol_action_new(POL_ACTION_UNLINK);

		snprintf(path, sizeof path, "/tmp/attesta-bench/tree/d%02d/file-%03d.txt", i % 8, i);
		if (!a || pol_action_set(&a->function_name, "unlink") < 0 ||
		    pol_action_set(&a->path, path) < 0 || pol_strv_push(&a->args, path, strlen(path)) < 0 ||
		    pol_action_set(&a->cwd, "/tmp/attesta-bench") < 0 ||
		    pol_action_set(&a->exe, "/usr/bin/rm") < 0)
			return 2;
		a->pid = a->tgid = 4242;
		a->ppid = 4200;
		a->file.known = true;
		snprintf(a->file.type, sizeof a->file.type, "file");
		a->file.size = 1000 + (uint64_t)i;
		a->file.owner = 1000;
		acts[i] = a;
		if (pol_engine_evaluate(engine, a, 0.5, false, &decisions[i]) < 0)
			return 2;
	}
	memset(&gate, 0, sizeof gate);
	gate.config = config;
	gate.engine = engine;
	gate.agent_id = "default";
	snprintf(gate.session_id, sizeof gate.session_id, "0f6c5b3e9d2a4c1b8e7f6a5b4c3d2e1f");
	gate.environment = "development";
	gate.audit = log;
	for (long i = 0; i < n && rc == 0; i++) {
		memset(&held, 0, sizeof held);
		held.kept_fd = held.kept_fd2 = -1;
		held.req.pid = 4242;
		held.req.data.nr = 87; /* SYS_unlink on x86_64 */
		held.action = acts[i % N_ACTIONS];
		held.evaluated = true;
		held.decision = decisions[i % N_ACTIONS];
		held.intercepted_at = sup_now();
		sup_verdict_set(&held.verdict, SUP_VERDICT_APPROVED, SUP_SRC_POLICY,
				"auto-approved: risk %s", "low");
		if (sup_record(&gate, &held, NULL) < 0) {
			fprintf(stderr, "run_record_bench: append %ld failed\n", i);
			rc = 1;
		}
	}
	pol_json_arena_free(gate.entry_arena);
	pol_audit_close(log);
	for (int i = 0; i < N_ACTIONS; i++) {
		pol_decision_release(&decisions[i]);
		pol_action_free(acts[i]);
	}
	pol_engine_free(engine);
	pol_config_free(config);
	return rc;
}
