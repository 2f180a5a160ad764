/*
 * audit_writer: append N entries to an audit log through pol_audit_append,
 * as the supervisor would. Used by the audit fault tests (many processes
 * on one log, SIGKILL mid-stream, full filesystem) and the benchmark.
 *
 *   audit_writer LOG N [-s always|tiered|off] [-k deny|auto] [-K KEYFILE]
 *                [-t TAG] [-b ARGV_BYTES] [-T]
 *
 * -T prints timings to stderr: "open_us=N append_us=M" (M per entry).
 *
 * Exit 0 when all N were written, 3 with the errno text on the first
 * failed append (after printing how many succeeded), 2 on usage errors.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"

int main(int argc, char **argv)
{
	enum pol_audit_kind kind = POL_AUDIT_AUTO;
	struct pol_config *config;
	struct pol_audit_log *log;
	struct pol_diag diag = { 0 };
	const char *tag = "w", *sync = NULL, *keyfile = NULL;
	long n, done = 0, argv_bytes = 0;
	char *pad = NULL;
	bool timing = false;
	struct timespec t0, t1, t2;
	int opt, r;

	while ((opt = getopt(argc, argv, "s:k:K:t:b:T")) != -1) {
		switch (opt) {
		case 's': sync = optarg; break;
		case 'k': kind = !strcmp(optarg, "deny") ? POL_AUDIT_DENY : POL_AUDIT_AUTO; break;
		case 'K': keyfile = optarg; break;
		case 't': tag = optarg; break;
		case 'b': argv_bytes = atol(optarg); break;
		case 'T': timing = true; break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: audit_writer LOG N [-s SYNC] [-k KIND] [-K KEY] [-t TAG] [-b BYTES]\n");
		return 2;
	}
	n = atol(argv[optind + 1]);
	config = pol_config_new_default();
	if (!config)
		return 2;
	if (sync)
		config->audit_sync = !strcmp(sync, "always") ? POL_SYNC_ALWAYS
				     : !strcmp(sync, "off") ? POL_SYNC_OFF : POL_SYNC_TIERED;
	if (keyfile)
		config->audit_hmac_key_file = strdup(keyfile);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = pol_audit_open(config, argv[optind], &log, &diag);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r < 0) {
		char msg[1200];

		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "audit_writer: %s\n", msg);
		pol_config_free(config);
		return 3;
	}
	if (argv_bytes > 0) {
		pad = malloc((size_t)argv_bytes + 1);
		memset(pad, 'x', (size_t)argv_bytes);
		pad[argv_bytes] = '\0';
	}
	for (long i = 0; i < n; i++) {
		cJSON *f = cJSON_CreateObject(), *av = cJSON_AddArrayToObject(f, "argv"),
		      *meta = cJSON_AddObjectToObject(f, "metadata");
		char name[64], id[33];

		snprintf(name, sizeof(name), "%s-%ld", tag, i);
		cJSON_AddStringToObject(f, "action_name", "exec");
		cJSON_AddStringToObject(f, "action_class", "exec");
		cJSON_AddStringToObject(f, "action_description", name);
		cJSON_AddStringToObject(f, "agent_id", tag);
		cJSON_AddNumberToObject(f, "risk_score", 0.12 + (double)(i % 50) / 100);
		cJSON_AddStringToObject(f, "risk_level", i % 7 ? "low" : "high");
		cJSON_AddStringToObject(f, "verdict", kind == POL_AUDIT_DENY ? "denied" : "approved");
		cJSON_AddNumberToObject(f, "review_duration_seconds", (double)(i % 3));
		cJSON_AddNumberToObject(f, "pid", (double)getpid());
		cJSON_AddStringToObject(f, "exe", "/usr/bin/ls");
		cJSON_AddItemToArray(av, cJSON_CreateString("ls"));
		cJSON_AddItemToArray(av, cJSON_CreateString("-la"));
		if (pad)
			cJSON_AddItemToArray(av, cJSON_CreateString(pad));
		cJSON_AddStringToObject(f, "cwd", "/home/agent/w\xc3\xa9rk/\xff");
		cJSON_AddStringToObject(f, "reason", "auto-approved: low risk");
		cJSON_AddStringToObject(f, "decision_source", "policy");
		cJSON_AddStringToObject(meta, "writer", tag);
		cJSON_AddNumberToObject(meta, "i", (double)i);
		r = pol_audit_append(log, f, kind, id, sizeof(id));
		cJSON_Delete(f);
		if (r < 0) {
			printf("%ld\n", done);
			fprintf(stderr, "audit_writer: append %ld: %s\n", i, strerror(-r));
			pol_audit_close(log);
			pol_config_free(config);
			free(pad);
			return 3;
		}
		done++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	if (timing)
		fprintf(stderr, "open_us=%.0f append_us=%.1f\n",
			(double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3,
			n ? ((double)(t2.tv_sec - t1.tv_sec) * 1e6 +
			     (double)(t2.tv_nsec - t1.tv_nsec) / 1e3) / (double)n : 0.0);
	pol_audit_close(log);
	pol_config_free(config);
	free(pad);
	printf("%ld\n", done);
	return 0;
}
