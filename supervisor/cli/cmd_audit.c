/*
 * `attesta audit verify|export|rubber-stamps|stats|get ID|inspect`: the
 * command-line readers of the hash-chained audit log. This file parses the
 * shared options (-c FILE, --log PATH, --key FILE, --json, filters) and runs
 * verify; cmd_audit_query.c has the others. The log is untrusted input and
 * is only ever read here.
 *
 * Exit codes: 0 ok / intact, 1 broken log (verify) or nothing found (get),
 * 2 usage error or unreadable log or key.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd_audit.h"
#include "commands.h"
#include "config.h"

#define AUDIT_EXIT_BROKEN 1
#define AUDIT_EXIT_UNREADABLE 2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta audit COMMAND [-c FILE | --log PATH] [--key FILE] [--json]\n"
		"\n"
		"  verify                 check the hash chain (exit 0 intact, 1 broken, 2 unreadable)\n"
		"  export [--format jsonl|json|csv] [FILTERS]\n"
		"  rubber-stamps [--min-risk LEVEL] [--max-seconds S]\n"
		"  stats [FILTERS]\n"
		"  get ID                 print the entries with this entry_id\n"
		"  inspect [FILTERS]      list entries (e.g. --reason-prefix attestation:)\n"
		"\n"
		"FILTERS: --action NAME --verdict V --agent ID --since ISO --until ISO\n"
		"         --reason-prefix P\n"
		"-c FILE reads audit.path and audit.hmac_key_file from a config; --log and\n"
		"--key override them. --no-head skips the head file check.\n");
}

static int level_rank(const char *name)
{
	static const char *const levels[] = { "low", "medium", "high", "critical" };

	for (int i = 0; i < 4; i++)
		if (!strcasecmp(name, levels[i]))
			return i;
	return -1;
}

/* --- verify ---------------------------------------------------------------- */

struct verify_out {
	bool json;
	uint64_t *broken;
	size_t n_broken, cap;
	uint64_t last_line;
	bool first_problem;
};

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7F)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void on_problem(void *ctx, uint64_t line, enum pol_audit_problem problem,
		       const char *detail)
{
	struct verify_out *out = ctx;

	if (line != UINT64_MAX && (out->n_broken == 0 || out->last_line != line)) {
		if (out->n_broken == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 64;
			uint64_t *b = realloc(out->broken, cap * sizeof(*b));

			if (b) {
				out->broken = b;
				out->cap = cap;
			}
		}
		if (out->n_broken < out->cap)
			out->broken[out->n_broken++] = line;
		out->last_line = line;
	}
	if (out->json) {
		printf("%s{\"line\":", out->first_problem ? "" : ",");
		if (line == UINT64_MAX)
			printf("null");
		else
			printf("%llu", (unsigned long long)line);
		printf(",\"problem\":\"%s\",\"detail\":", pol_audit_problem_name(problem));
		json_str(detail);
		putchar('}');
		out->first_problem = false;
	} else {
		char shown[256];

		/* SECURITY: details quote the log (an entry id); no control
		 * characters from a hostile log reach the terminal */
		snprintf(shown, sizeof(shown), "%s", detail);
		for (char *p = shown; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7F)
				*p = '?';
		if (line == UINT64_MAX)
			printf("log: %s: %s\n", pol_audit_problem_name(problem), shown);
		else
			printf("line %llu: %s: %s\n", (unsigned long long)line,
			       pol_audit_problem_name(problem), shown);
	}
}

static int run_verify(struct audit_cli *cli)
{
	struct verify_out out = { .json = cli->json, .first_problem = true };
	struct pol_audit_verify_result res;
	int r;

	if (cli->json) {
		printf("{\"path\":");
		json_str(cli->log_path);
		printf(",\"problems\":[");
	}
	r = pol_audit_verify(cli->log_path, cli->key, cli->key_len,
			     (cli->no_head ? POL_AUDIT_VERIFY_NO_HEAD : 0) | POL_AUDIT_VERIFY_THREADS, on_problem, &out, &res);
	if (r < 0) {
		if (cli->json)
			printf("],\"error\":\"%s\"}\n", strerror(-r));
		fprintf(stderr, "attesta: cannot read audit log '%s': %s\n", cli->log_path,
			strerror(-r));
		free(out.broken);
		return AUDIT_EXIT_UNREADABLE;
	}
	if (cli->json) {
		printf("],\"intact\":%s,\"total\":%llu,\"entries\":%llu,\"broken\":[",
		       res.problems ? "false" : "true", (unsigned long long)res.lines,
		       (unsigned long long)res.entries);
		for (size_t i = 0; i < out.n_broken; i++)
			printf("%s%llu", i ? "," : "", (unsigned long long)out.broken[i]);
		printf("],\"head_checked\":%s,\"mac_checked\":%s,\"continuation\":%s}\n",
		       res.head_checked ? "true" : "false", cli->key ? "true" : "false",
		       res.continuation ? "true" : "false");
	} else if (!res.problems) {
		printf("audit log '%s': %llu entries, chain intact%s%s%s\n", cli->log_path,
		       (unsigned long long)res.lines, cli->key ? ", macs valid" : "",
		       res.head_checked ? ", head file matches" : "",
		       res.continuation ? " (continues a rotated log)" : "");
	} else {
		printf("audit log '%s': %llu entries, BROKEN (%llu problems)\nbroken lines:",
		       cli->log_path, (unsigned long long)res.lines,
		       (unsigned long long)res.problems);
		for (size_t i = 0; i < out.n_broken; i++)
			printf("%s%llu", i ? "," : " ", (unsigned long long)out.broken[i]);
		printf("%s\n", out.n_broken ? "" : " (none: see the log-level problems above)");
	}
	free(out.broken);
	return res.problems ? AUDIT_EXIT_BROKEN : CLI_EXIT_OK;
}

/* --- options --------------------------------------------------------------- */

enum {
	OPT_LOG = 256, OPT_KEY, OPT_JSON, OPT_NO_HEAD, OPT_FORMAT, OPT_ACTION, OPT_VERDICT,
	OPT_AGENT, OPT_SINCE, OPT_UNTIL, OPT_REASON, OPT_MIN_RISK, OPT_MAX_SECONDS,
};

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "no-head", no_argument, NULL, OPT_NO_HEAD },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "action", required_argument, NULL, OPT_ACTION },
		{ "verdict", required_argument, NULL, OPT_VERDICT },
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "reason-prefix", required_argument, NULL, OPT_REASON },
		{ "min-risk", required_argument, NULL, OPT_MIN_RISK },
		{ "max-seconds", required_argument, NULL, OPT_MAX_SECONDS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_cli cli = { .format = "jsonl", .min_risk = 2, .max_seconds = 5.0 };
	const char *config_path = NULL, *key_path = NULL, *sub;
	struct pol_config *config = NULL;
	struct pol_diag diag = { 0 };
	char msg[1200], *end;
	int opt, r, rc = CLI_EXIT_USAGE;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	sub = argv[1];
	optind = 1;
	while ((opt = getopt_long(argc - 1, argv + 1, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case OPT_LOG: cli.log_path = optarg; break;
		case OPT_KEY: key_path = optarg; break;
		case OPT_JSON: cli.json = true; break;
		case OPT_NO_HEAD: cli.no_head = true; break;
		case OPT_FORMAT: cli.format = optarg; break;
		case OPT_ACTION: cli.action = optarg; break;
		case OPT_VERDICT: cli.verdict = optarg; break;
		case OPT_AGENT: cli.agent = optarg; break;
		case OPT_SINCE: cli.since = optarg; break;
		case OPT_UNTIL: cli.until = optarg; break;
		case OPT_REASON: cli.reason_prefix = optarg; break;
		case OPT_MIN_RISK:
			if ((cli.min_risk = level_rank(optarg)) < 0) {
				fprintf(stderr, "attesta: unknown risk level '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_MAX_SECONDS:
			cli.max_seconds = strtod(optarg, &end);
			if (end == optarg || *end) {
				fprintf(stderr, "attesta: invalid --max-seconds '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!strcmp(sub, "get")) {
		if (optind + 1 >= argc) {
			fprintf(stderr, "attesta: audit get needs an entry id\n");
			return CLI_EXIT_USAGE;
		}
		cli.id = argv[optind + 1];
		optind++;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "attesta: unexpected argument '%s'\n", argv[optind + 1]);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(cli.format, "jsonl") && strcmp(cli.format, "json") && strcmp(cli.format, "csv")) {
		fprintf(stderr, "attesta: unknown export format '%s' (jsonl, json, csv)\n", cli.format);
		return CLI_EXIT_USAGE;
	}
	if (config_path) {
		r = pol_config_load(config_path, &config, &diag);
		if (r < 0) {
			pol_diag_format(&diag, msg, sizeof(msg));
			fprintf(stderr, "attesta: %s\n", msg);
			return CLI_EXIT_USAGE;
		}
		if (!cli.log_path)
			cli.log_path = config->audit_path;
		if (!key_path)
			key_path = config->audit_hmac_key_file;
	}
	if (!cli.log_path)
		cli.log_path = ".attesta/audit.jsonl";
	if (key_path && (r = pol_audit_key_load(key_path, &cli.key, &cli.key_len, &diag)) < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: %s\n", msg);
		rc = AUDIT_EXIT_UNREADABLE;
		goto out;
	}
	if (!strcmp(sub, "verify"))
		rc = run_verify(&cli);
	else if (!strcmp(sub, "export"))
		rc = audit_cli_export(&cli);
	else if (!strcmp(sub, "stats"))
		rc = audit_cli_stats(&cli);
	else if (!strcmp(sub, "get"))
		rc = audit_cli_get(&cli);
	else if (!strcmp(sub, "inspect"))
		rc = audit_cli_inspect(&cli);
	else if (!strcmp(sub, "rubber-stamps"))
		rc = audit_cli_rubber_stamps(&cli);
	else {
		fprintf(stderr, "attesta: unknown audit command '%s'\n", sub);
		usage(stderr);
		rc = CLI_EXIT_USAGE;
	}
out:
	free(cli.key);
	pol_config_free(config);
	return rc;
}
