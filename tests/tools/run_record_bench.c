/*
 * run_record_bench: the record stage (supervisor/run/record.c) on its own,
 * for instruction counts (docs/BENCHMARKS.md, "Session 5: the record
 * stage"): N auto-approved unlink decisions, each evaluated once by the
 * engine beforehand, recorded through sup_record() into LOG exactly as
 * the loop records them (verdict entry built, canonicalized, chained,
 * written).
 *
 *   run_record_bench LOG N [-s off|tiered|always] [-K KEYFILE] [-a]
 *
 * -a records N rounds of every kind of entry instead (exec with its
 * interpreter, ELF interpreter, loader target, process chain and shim
 * claims; rename; connect; a denial; a human decision with a challenge
 * result; a session grant; a chain hop; an event without an action):
 * two builds' logs compared field by field show that they write the same
 * entries (docs/BENCHMARKS.md, "Session 5").
 *
 * Measure with
 *   valgrind --tool=callgrind --toggle-collect=sup_record \
 *       build/tools/run_record_bench /tmp/x.jsonl 2000
 * (instructions of sup_record / N = instructions per entry).
 *
 * Exit 0 when all N were written, 1 on a failed append, 2 usage.
 */
#include <cjson/cJSON.h>
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
#include "supervisor/run/verdict_entry.h"

#define N_ACTIONS 64

static struct pol_action *action(enum pol_action_class cls, const char *fn, const char *path)
{
	struct pol_action *a = pol_action_new(cls);

	if (!a || pol_action_set(&a->function_name, fn) < 0 ||
	    (path && pol_action_set(&a->path, path) < 0) ||
	    pol_action_set(&a->cwd, "/home/u/w\xff\"q\"") < 0 || pol_action_set(&a->exe, "/usr/bin/agent") < 0)
		exit(2);
	a->pid = a->tgid = 4242;
	a->ppid = 4200;
	return a;
}

static void push(struct pol_strv *v, const char *s)
{
	if (pol_strv_push(v, s, strlen(s)) < 0)
		exit(2);
}

/* One round of every kind of entry (-a). */
static int all_kinds(struct sup_gate *gate, struct pol_engine *engine, long round)
{
	static const char *const approvers[] = { "alice", "b\xc3\xb6" "b", NULL };
	struct pol_action *acts[5];
	struct sup_verdict_extra x = { 0 };
	struct sup_held held;
	cJSON *cr = cJSON_CreateObject();
	int rc = 0;

	/* exec with everything an exec entry can carry */
	acts[0] = action(POL_ACTION_EXEC, "python3", "/usr/bin/python3.11");
	pol_action_set(&acts[0]->argv0, "python3");
	push(&acts[0]->args, "-c");
	push(&acts[0]->args, "print(\"\\x01\")\n\t\x7f\xed\xb3\xbf");
	pol_action_set(&acts[0]->interpreter, "/usr/bin/env");
	pol_action_set(&acts[0]->elf_interp, "/lib64/ld-linux-x86-64.so.2");
	acts[0]->elf_interp_dev = 66306;
	acts[0]->elf_interp_ino = 9007199254740993ull; /* above 2^53: a float */
	acts[0]->elf_interp_loader = true;
	pol_action_set(&acts[0]->loader_target, "/opt/x");
	acts[0]->loader_target_dev = 1;
	acts[0]->loader_target_ino = 2;
	push(&acts[0]->loader_argv, "x");
	push(&acts[0]->chain, "bash");
	push(&acts[0]->chain, "agent");
	acts[0]->exec_anonymous = true;
	pol_action_set(&acts[0]->libc_entry, "system");
	pol_action_set(&acts[0]->libc_command, "python3 -c ...");
	/* rename replacing a file */
	acts[1] = action(POL_ACTION_RENAME, "rename", "/w/a");
	pol_action_set(&acts[1]->dest_path, "/w/b");
	push(&acts[1]->args, "/w/a");
	push(&acts[1]->args, "/w/b");
	acts[1]->file.known = acts[1]->dest_file.known = true;
	snprintf(acts[1]->file.type, sizeof acts[1]->file.type, "file");
	snprintf(acts[1]->dest_file.type, sizeof acts[1]->dest_file.type, "dir");
	acts[1]->rename_replaces = true;
	acts[1]->rename_flags = 1;
	/* connect with a claimed host */
	acts[2] = action(POL_ACTION_CONNECT, "connect", NULL);
	push(&acts[2]->args, "93.184.216.34:443");
	pol_action_set(&acts[2]->address, "93.184.216.34");
	acts[2]->port = 443;
	pol_action_set(&acts[2]->host, "example.com");
	acts[2]->host_verified = true;
	/* rmdir of an unknown target, unlink of a huge file */
	acts[3] = action(POL_ACTION_RMDIR, "rmdir", "/w/d");
	acts[4] = action(POL_ACTION_UNLINK, "unlink", "/w/big");
	acts[4]->file.known = true;
	snprintf(acts[4]->file.type, sizeof acts[4]->file.type, "file");
	acts[4]->file.size = 1ull << 60;
	acts[4]->file.owner = 0;
	cJSON_AddStringToObject(cr, "challenge", "quiz");
	cJSON_AddNumberToObject(cr, "score", 1);
	cJSON_AddNumberToObject(cr, "n", 3);
	cJSON_AddRawToObject(cr, "raw", "2.50");
	cJSON_AddTrueToObject(cr, "passed");

	for (int k = 0; k < 9 && rc == 0; k++) {
		struct pol_action *a = acts[k % 5];

		memset(&held, 0, sizeof held);
		held.kept_fd = held.kept_fd2 = -1;
		held.req.pid = 4243;
		held.req.data.nr = a->action_class == POL_ACTION_EXEC ? 59 : a->action_class == POL_ACTION_RENAME ? 82
				   : a->action_class == POL_ACTION_CONNECT ? 42 : a->action_class == POL_ACTION_RMDIR ? 84 : 87;
		held.action = a;
		held.intercepted_at = 1.7e9 + (double)round + k / 7.0;
		if (k != 8 && pol_engine_evaluate(engine, a, 0.5 + k / 100.0, false, &held.decision) == 0)
			held.evaluated = true;
		memset(&x, 0, sizeof x);
		switch (k) {
		case 0: case 1: case 2: case 3: case 4: /* automatic */
			sup_verdict_set(&held.verdict, k == 3 ? SUP_VERDICT_DENIED : SUP_VERDICT_APPROVED,
					SUP_SRC_POLICY, "kind %d", k);
			break;
		case 5: /* a human decision with a challenge result */
			held.decision.challenge = POL_CHALLENGE_QUIZ;
			held.decision.minimum_review_seconds = 5;
			held.decision.critical_action = true;
			sup_verdict_set(&held.verdict, SUP_VERDICT_APPROVED, SUP_SRC_HUMAN, "approved by %s", "alice");
			held.verdict.approver_ids = approvers;
			x.challenge_presented = true;
			x.challenge_passed = true;
			x.review_seconds = 7.25;
			x.min_review_met = true;
			x.challenge_result = cr;
			x.escalation = true;
			x.warning = true;
			break;
		case 6: /* a session grant */
			held.decision.challenge = POL_CHALLENGE_CONFIRM;
			sup_verdict_set(&held.verdict, SUP_VERDICT_APPROVED, SUP_SRC_SESSION, "%s", "");
			snprintf(held.verdict.grant, sizeof held.verdict.grant, "0123456789abcdef0123456789abcdef");
			x.session_grant = true;
			break;
		case 7: /* timed out, never presented */
			held.decision.challenge = POL_CHALLENGE_CONFIRM;
			sup_verdict_set(&held.verdict, SUP_VERDICT_TIMED_OUT, SUP_SRC_TIMEOUT, "no answer");
			break;
		default: /* not evaluated: a decoder failure */
			sup_verdict_set(&held.verdict, SUP_VERDICT_DENIED, SUP_SRC_DECODER, "bad pointer");
			break;
		}
		rc = sup_record(gate, &held, k >= 5 ? &x : NULL);
		if (held.evaluated)
			pol_decision_release(&held.decision);
	}
	if (rc == 0)
		rc = sup_record_event(gate, 4244, 101, SUP_SRC_FILTER, "ptrace refused");
	for (int i = 0; i < 5; i++)
		pol_action_free(acts[i]);
	cJSON_Delete(cr);
	return rc;
}

int main(int argc, char **argv)
{
	const char *sync = "tiered", *keyfile = NULL;
	bool all = false;
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

	while ((opt = getopt(argc, argv, "s:K:a")) != -1) {
		switch (opt) {
		case 'a': all = true; break;
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
	for (long i = 0; all && i < n && rc == 0; i++)
		if (all_kinds(&gate, engine, i) < 0) {
			fprintf(stderr, "run_record_bench: round %ld failed\n", i);
			rc = 1;
		}
	for (long i = 0; !all && i < n && rc == 0; i++) {
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
