/*
 * `attesta trust show|list|revoke|reinstate|incident`: read and change the
 * trust store (policy/trust.h, docs/trust.md). The store path comes from
 * the config (-c FILE, trust.path) unless --store names one. Trusts its
 * arguments no more than any user input; the store itself is parsed
 * strictly by the policy library, and a corrupt store is reported, never
 * rewritten.
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
#include "policy/config.h"
#include "policy/trust.h"
#include "trust_db.h"

struct trust_opts {
	const char *config_path;
	const char *store_path;
	const char *agent;
	const char *domain;
	const char *action;
	enum pol_trust_severity severity;
	bool json;
	bool db;           /* --db: the fleet database (trust_db.h) */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta trust [-c FILE] [--store PATH | --db] [--json] COMMAND\n"
		"\n"
		"  show AGENT | show --agent AGENT   trust of one agent, per domain\n"
		"  list                              every agent in the store\n"
		"  revoke AGENT                      set trust to 0 until reinstated\n"
		"  reinstate AGENT                   lift a revocation (starts again at the initial score)\n"
		"  incident AGENT [--severity low|medium|high|critical] [--action NAME] [--domain D]\n"
		"                                    record an incident (multiplicative penalty)\n"
		"\n"
		"  --db: the fleet database (fleet.database, or libpq's PG* environment);\n"
		"        the default with trust.backend: postgres\n"
		"\n"
		"exit status: 0 ok, 1 invalid input (corrupt store, bad agent id), 2 usage\n");
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void format_time(double t, char *buf, size_t size)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&secs, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "-");
}

static void print_diag(const struct pol_diag *diag, int r)
{
	char buf[1200];

	if (diag->message[0]) {
		pol_diag_format(diag, buf, sizeof(buf));
		fprintf(stderr, "attesta: %s\n", buf);
	} else {
		fprintf(stderr, "attesta: trust store: %s\n", strerror(-r));
	}
}

static int print_json(cJSON *json)
{
	char *text;

	if (!json) {
		fprintf(stderr, "attesta: out of memory\n");
		return CLI_EXIT_INVALID;
	}
	text = cJSON_Print(json);
	cJSON_Delete(json);
	if (!text) {
		fprintf(stderr, "attesta: out of memory\n");
		return CLI_EXIT_INVALID;
	}
	printf("%s\n", text);
	free(text);
	return CLI_EXIT_OK;
}

static uint64_t total_incidents(const struct pol_trust_domain *d)
{
	uint64_t n = 0;

	for (unsigned s = 0; s < POL_TRUST_SEVERITY_COUNT; s++)
		n += d->incidents[s];
	return n;
}

static int show_agent(const struct pol_trust_store *store, const char *id,
		      const struct trust_opts *opts, double now)
{
	const struct pol_trust_agent *agent = pol_trust_agent_find(store, id);
	const struct pol_trust_params *params = pol_trust_store_params(store);
	char when[32];

	if (opts->json)
		return print_json(pol_trust_agent_to_json(store, id, now));
	printf("agent '%s': trust %.3f (initial %.2f, ceiling %.2f)\n", id,
	       pol_trust_score(store, id, opts->domain, now), params->initial_score, params->ceiling);
	if (!agent) {
		printf("  no history\n");
		return CLI_EXIT_OK;
	}
	format_time(agent->revoked_at, when, sizeof(when));
	if (agent->revoked)
		printf("  revoked: yes, since %s\n", when);
	else
		printf("  revoked: no\n");
	if (!agent->n_domains)
		return CLI_EXIT_OK;
	printf("  %-20s %6s %10s %8s %18s  %s\n", "DOMAIN", "TRUST", "APPROVALS", "DENIALS",
	       "INCIDENTS(L/M/H/C)", "LAST ACTIVITY");
	for (size_t i = 0; i < agent->n_domains; i++) {
		const struct pol_trust_domain *d = &agent->domains[i];
		char counts[80];

		if (opts->domain && strcmp(opts->domain, d->name))
			continue;
		snprintf(counts, sizeof(counts), "%llu/%llu/%llu/%llu",
			 (unsigned long long)d->incidents[0], (unsigned long long)d->incidents[1],
			 (unsigned long long)d->incidents[2], (unsigned long long)d->incidents[3]);
		format_time(d->last_activity, when, sizeof(when));
		printf("  %-20s %6.3f %10llu %8llu %18s  %s\n", d->name,
		       pol_trust_score(store, id, d->name, now), (unsigned long long)d->approvals,
		       (unsigned long long)d->denials, counts, when);
		if (d->last_incident_action) {
			format_time(d->last_incident_at, when, sizeof(when));
			printf("  %-20s last incident %s: %s\n", "", when, d->last_incident_action);
		}
	}
	return CLI_EXIT_OK;
}

static int list_agents(const struct pol_trust_store *store, const struct trust_opts *opts,
		       double now)
{
	size_t n = pol_trust_agent_count(store);

	if (opts->json) {
		cJSON *array = cJSON_CreateArray();
		for (size_t i = 0; array && i < n; i++) {
			cJSON *item = pol_trust_agent_to_json(store, pol_trust_agent_at(store, i)->id, now);
			if (!item || !cJSON_AddItemToArray(array, item)) {
				cJSON_Delete(item);
				cJSON_Delete(array);
				array = NULL;
			}
		}
		return print_json(array);
	}
	printf("%-24s %6s %8s %10s %8s %10s  %s\n", "AGENT", "TRUST", "REVOKED", "APPROVALS",
	       "DENIALS", "INCIDENTS", "LAST ACTIVITY");
	for (size_t i = 0; i < n; i++) {
		const struct pol_trust_agent *a = pol_trust_agent_at(store, i);
		unsigned long long approvals = 0, denials = 0, incidents = 0;
		double last = 0;
		char when[32];

		for (size_t j = 0; j < a->n_domains; j++) {
			approvals += a->domains[j].approvals;
			denials += a->domains[j].denials;
			incidents += total_incidents(&a->domains[j]);
			if (a->domains[j].last_activity > last)
				last = a->domains[j].last_activity;
		}
		format_time(last, when, sizeof(when));
		printf("%-24s %6.3f %8s %10llu %8llu %10llu  %s\n", a->id,
		       pol_trust_score(store, a->id, NULL, now), a->revoked ? "yes" : "no", approvals,
		       denials, incidents, when);
	}
	return CLI_EXIT_OK;
}

static int changed(const struct pol_trust_store *store, const char *verb,
		   const struct trust_opts *opts, double now);

/* Apply one change and save; report errors from either step. */
static int change(struct pol_trust_store *store, const char *verb, const struct trust_opts *opts,
		  double now)
{
	struct pol_diag diag = { 0 };
	int r;

	if (!strcmp(verb, "revoke"))
		r = pol_trust_revoke(store, opts->agent, now);
	else if (!strcmp(verb, "reinstate"))
		r = pol_trust_reinstate(store, opts->agent, now);
	else
		r = pol_trust_incident(store, opts->agent, opts->domain, opts->severity, opts->action, now);
	if (r == -ENOENT) {
		fprintf(stderr, "attesta: agent '%s' is not revoked\n", opts->agent);
		return CLI_EXIT_INVALID;
	}
	if (r < 0) {
		fprintf(stderr, "attesta: cannot %s '%s': %s\n", verb, opts->agent,
			r == -EINVAL ? "invalid agent id or domain" : strerror(-r));
		return CLI_EXIT_INVALID;
	}
	r = pol_trust_store_save(store, &diag);
	if (r < 0) {
		print_diag(&diag, r);
		return CLI_EXIT_INVALID;
	}
	return changed(store, verb, opts, now);
}

/* What a change did (the local store saved, or the database changed). */
static int changed(const struct pol_trust_store *store, const char *verb,
		   const struct trust_opts *opts, double now)
{
	if (opts->json)
		return print_json(pol_trust_agent_to_json(store, opts->agent, now));
	if (!strcmp(verb, "incident"))
		printf("agent '%s': %s incident recorded, trust now %.3f\n", opts->agent,
		       pol_trust_severity_name(opts->severity),
		       pol_trust_score(store, opts->agent, NULL, now));
	else
		printf("agent '%s': %sd, trust now %.3f\n", opts->agent, verb,
		       pol_trust_score(store, opts->agent, NULL, now));
	return CLI_EXIT_OK;
}

int cmd_trust(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "db", no_argument, NULL, 'D' },
		{ "agent", required_argument, NULL, 'a' },
		{ "domain", required_argument, NULL, 'd' },
		{ "severity", required_argument, NULL, 'S' },
		{ "action", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trust_opts opts = { .severity = POL_TRUST_SEVERITY_MEDIUM };
	struct pol_config *config = NULL;
	struct pol_trust_store *store = NULL;
	struct pol_diag diag = { 0 };
	const char *verb;
	bool severity_set = false, action_set = false;
	double now = now_seconds();
	int c, r, rc = CLI_EXIT_USAGE;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opts.config_path = optarg; break;
		case 's': opts.store_path = optarg; break;
		case 'j': opts.json = true; break;
		case 'D': opts.db = true; break;
		case 'a': opts.agent = optarg; break;
		case 'd': opts.domain = optarg; break;
		case 'A': opts.action = optarg; action_set = true; break;
		case 'S':
			if (pol_trust_severity_parse(optarg, &opts.severity) < 0) {
				fprintf(stderr, "attesta: invalid severity '%s' (low, medium, high, critical)\n",
					optarg);
				return CLI_EXIT_USAGE;
			}
			severity_set = true;
			break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return cli_option_error(c, argv, usage);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	verb = argv[optind++];
	if (strcmp(verb, "show") && strcmp(verb, "list") && strcmp(verb, "revoke") &&
	    strcmp(verb, "reinstate") && strcmp(verb, "incident")) {
		fprintf(stderr, "attesta: unknown trust command '%s'\n", verb);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(verb, "list") && !opts.agent && optind < argc)
		opts.agent = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "attesta: unexpected argument '%s'\n", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(verb, "list") && !opts.agent) {
		fprintf(stderr, "attesta: trust %s needs an agent id\n", verb);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(verb, "list") && opts.agent) {
		fprintf(stderr, "attesta: trust list takes no agent\n");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(verb, "incident") && (severity_set || action_set)) {
		fprintf(stderr, "attesta: --severity and --action go with 'trust incident'\n");
		return CLI_EXIT_USAGE;
	}

	r = opts.config_path ? pol_config_load(opts.config_path, &config, &diag)
			     : ((config = pol_config_new_default()) ? 0 : -ENOMEM);
	if (r < 0) {
		print_diag(&diag, r);
		rc = CLI_EXIT_INVALID;
		goto out;
	}
	if (opts.store_path && opts.db) {
		fprintf(stderr, "attesta: --store and --db exclude each other\n");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (opts.db || (!opts.store_path && config->trust_backend == POL_TRUST_BACKEND_POSTGRES)) {
		struct trust_db_change ch = { .verb = verb, .agent = opts.agent,
					      .domain = opts.domain, .action = opts.action,
					      .severity = opts.severity };

		rc = trust_db_run(config->fleet_database, config, &ch, &store);
		if (rc != CLI_EXIT_OK)
			goto out;
		if (!strcmp(verb, "show"))
			rc = show_agent(store, opts.agent, &opts, now);
		else if (!strcmp(verb, "list"))
			rc = list_agents(store, &opts, now);
		else
			rc = changed(store, verb, &opts, now);
		goto out;
	}
	r = pol_trust_store_load(opts.store_path, config, &store, &diag);
	if (r < 0) {
		print_diag(&diag, r);
		rc = CLI_EXIT_INVALID;
		goto out;
	}
	if (!strcmp(verb, "show"))
		rc = show_agent(store, opts.agent, &opts, now);
	else if (!strcmp(verb, "list"))
		rc = list_agents(store, &opts, now);
	else
		rc = change(store, verb, &opts, now);
out:
	pol_trust_store_free(store);
	pol_config_free(config);
	return rc;
}
