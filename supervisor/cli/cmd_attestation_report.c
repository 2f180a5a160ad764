/*
 * `attesta attestation report [--since DURATION] [--json] [--audit LOG] [LOG...]`
 * (docs/fleet.md, runbook step 3, "soak"): the advisory would-deny
 * entries of the local audit log (would_deny: true, written by attesta-run
 * in advisory mode) counted per node and reason, so "are advisory denies
 * zero?" is one command. Exit 0: none; 1: some; 2: usage; 3: the log
 * cannot be read (never "zero" for a log that was not read). The log is
 * untrusted input: lines are parsed as JSON one by one and bounded.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli_args.h"
#include "commands.h"
#include "fleet_common.h"
#include "policy/pol_limits.h"

#define REPORT_EXIT_UNREADABLE 3
#define REPORT_MAX_ROWS 1024

struct row {
	char node[260];
	char reason[160];
	unsigned long count;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta attestation report [-c FILE] [--since DURATION] [--json] [--audit LOG] [LOG...]\n"
		"\n"
		"Count advisory would-denies (audit entries with would_deny: true) per node and\n"
		"reason, over every LOG named (one per node, or a log they share). DURATION: N\n"
		"followed by s, m, h or d (e.g. 24h). Without a LOG: audit.path of the config.\n"
		"exit status: 0 none, 1 some, 2 usage, 3 the log cannot be read\n");
}

/* "30s" "15m" "24h" "7d": seconds, or -1. */
static double parse_duration(const char *s)
{
	char *end;
	double mult;

	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (end[0]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: return -1;
	}
	return v * mult;
}

/* "2026-12-07T02:07:42.123456+00:00" (attesta-run writes UTC): epoch, or -1. */
static double parse_time(const char *s)
{
	struct tm tm;
	const char *rest;

	memset(&tm, 0, sizeof tm);
	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	double frac = rest[0] == '.' ? strtod(rest, NULL) : 0;
	return (double)timegm(&tm) + frac;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int add(struct row *rows, size_t *n, const char *node, const char *reason)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(rows[i].node, node) && !strcmp(rows[i].reason, reason)) {
			rows[i].count++;
			return 0;
		}
	if (*n >= REPORT_MAX_ROWS)
		return -E2BIG;
	snprintf(rows[*n].node, sizeof rows[*n].node, "%s", node);
	snprintf(rows[*n].reason, sizeof rows[*n].reason, "%s", reason);
	rows[(*n)++].count = 1;
	return 0;
}

static int print(const struct row *rows, size_t n, unsigned long total, bool json)
{
	if (json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "would_deny");
		char *text;

		for (size_t i = 0; arr && i < n; i++) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "node_id", rows[i].node);
			cJSON_AddStringToObject(r, "reason", rows[i].reason);
			cJSON_AddNumberToObject(r, "count", (double)rows[i].count);
			cJSON_AddItemToArray(arr, r);
		}
		cJSON_AddNumberToObject(o, "total", (double)total);
		text = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (!text)
			return -ENOMEM;
		printf("%s\n", text);
		free(text);
		return 0;
	}
	if (n)
		printf("%-24s %-36s %s\n", "NODE_ID", "REASON", "COUNT");
	for (size_t i = 0; i < n; i++)
		printf("%-24s %-36s %lu\n", rows[i].node, rows[i].reason, rows[i].count);
	printf("%lu advisory would-deny %s\n", total, total == 1 ? "entry" : "entries");
	return 0;
}

/* Add the would-denies of one log. 0, or -1 after saying why. */
static int count_log(const char *path, double cutoff, struct row *rows, size_t *n,
		     unsigned long *total)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f) {
		fprintf(stderr, "attesta: cannot read audit log '%s': %m\n", path);
		return -1;
	}
	for (;;) {
		ssize_t len = getline(&line, &cap, f);
		if (len < 0)
			break;
		if (len > POL_AUDIT_MAX_LINE)
			continue;
		cJSON *e = cJSON_ParseWithLength(line, (size_t)len);
		if (!e)
			continue;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "would_deny")) &&
		    (cutoff < 0 || parse_time(str_of(e, "intercepted_at")) >= cutoff)) {
			const char *node = str_of(e, "node_id");
			const char *reason = str_of(e, "reason");
			if (add(rows, n, node ? node : "<none>", reason ? reason : "<none>") < 0) {
				fprintf(stderr, "attesta: too many (node, reason) pairs\n");
				r = -1;
			}
			(*total)++;
		}
		cJSON_Delete(e);
		if (r < 0)
			break;
	}
	if (r == 0 && ferror(f)) {
		fprintf(stderr, "attesta: cannot read audit log '%s'\n", path);
		r = -1;
	}
	free(line);
	fclose(f);
	return r;
}

int cmd_attestation_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "audit", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet_opts opts = { 0 };
	struct pol_config *config = NULL;
	const char *log = NULL, *since = NULL;
	double cutoff = -1;
	struct row *rows = NULL;
	size_t n = 0;
	unsigned long total = 0;
	int c, rc = CLI_EXIT_USAGE;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opts.config_path = optarg; break;
		case 'a': log = optarg; break;
		case 's': since = optarg; break;
		case 'j': opts.json = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return cli_option_error(c, argv, usage);
		}
	}
	if (since) {
		double d = parse_duration(since);
		if (d < 0) {
			fprintf(stderr, "attesta: invalid --since '%s' (e.g. 30s, 15m, 24h, 7d)\n", since);
			return CLI_EXIT_USAGE;
		}
		cutoff = (double)time(NULL) - d;
	}
	if (!log && optind == argc) {
		if (fleet_load_config(&opts, &config))
			return REPORT_EXIT_UNREADABLE;
		log = config->audit_path;
	}
	rc = REPORT_EXIT_UNREADABLE;
	if (!(rows = calloc(REPORT_MAX_ROWS, sizeof *rows)))
		goto out;
	for (int k = log ? optind - 1 : optind; k < argc; k++) {
		const char *path = k < optind ? log : argv[k];
		if (count_log(path, cutoff, rows, &n, &total) < 0)
			goto out;
	}
	if (print(rows, n, total, opts.json) < 0)
		goto out;
	rc = total ? CLI_EXIT_INVALID : CLI_EXIT_OK;
out:
	free(rows);
	pol_config_free(config);
	return rc;
}
