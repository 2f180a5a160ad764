/*
 * `attesta audit verify|export|rubber-stamps|stats|get ID|inspect`: the
 * command-line readers of the hash-chained audit log. This file parses the
 * shared options (-c FILE, --log PATH, --key FILE, --json, filters, the
 * log as a positional argument), finds the config as attesta-run does
 * (pol_config_load_or_default: -c FILE, else ./attesta.yaml, else the
 * defaults; docs/config.md) and dispatches; cmd_audit_verify.c runs
 * verify, cmd_audit_query.c the others. The log is untrusted input and is
 * only ever read here.
 *
 * Exit codes (docs/audit.md): verify 0 intact, 1 broken or incomplete, 2
 * unreadable log or key, or MACs it could not check; the others 0, 1 when
 * `get` finds nothing; 2 on usage errors or an unreadable log.
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

#define COMMON_HELP \
	"The log: LOG, else --log PATH, else audit.path of the config; --db [--node-id\n" \
	"ID]: the entries shipped to the fleet database (every node, or one). The config:\n" \
	"-c FILE, else ./attesta.yaml, else the defaults (log .attesta/audit.jsonl).\n" \
	"--key FILE overrides audit.hmac_key_file.\n"
#define FILTER_HELP \
	"FILTERS: --action NAME --verdict V --agent ID --since ISO --until ISO\n" \
	"         --reason-prefix P\n"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta audit COMMAND [OPTIONS] [LOG]   (attesta audit COMMAND --help)\n"
		"\n"
		"  verify [LOG]           check the chain, MACs, head file and sessions\n"
		"                         (exit 0 intact, 1 broken or incomplete, 2 unreadable\n"
		"                         or not verifiable: MACs and no key)\n"
		"  export [--format jsonl|json|csv] [FILTERS] [LOG]\n"
		"  rubber-stamps [--min-risk LEVEL] [--max-seconds S] [LOG]\n"
		"  stats [FILTERS] [LOG]\n"
		"  get ID [LOG]           print the entries with this entry_id\n"
		"  inspect [FILTERS] [LOG] list entries (e.g. --reason-prefix attestation:)\n"
		"  ship [--node-id ID] [--batch N] [LOG...]\n"
		"                         copy local entries into the fleet database\n"
		"\n"
		"--db [--node-id ID]: verify, export, stats, get, inspect and rubber-stamps\n"
		"read the entries shipped to the fleet database (fleet.database, else libpq's\n"
		"environment) instead of a log: every node, or one.\n"
		"\n" FILTER_HELP COMMON_HELP);
}

struct sub_help {
	const char *name;
	const char *text;
};

static const struct sub_help sub_helps[] = {
	{ "verify",
	  "usage: attesta audit verify [-c FILE] [--log PATH | LOG] [--key FILE | --no-mac]\n"
	  "                            [--no-head] [--no-sessions] [--json]\n"
	  "\n"
	  "Check every entry's chain hash and link, seq, entry ids, MACs (with the key),\n"
	  "the head file (a truncated tail), and that every session attesta-run started\n"
	  "has a closing entry. Prints \"chain intact\" only for what it checked:\n"
	  "entries with MACs and no key are \"MACs not checked: no key\n"
	  "(audit.hmac_key_file)\" and exit 2, unless --no-mac skips MACs on purpose.\n"
	  "\n"
	  "  --no-mac       check the plain chain only (says so)\n"
	  "  --no-head      do not compare the head file (LOG.head)\n"
	  "  --no-sessions  do not report sessions without a closing entry (an older\n"
	  "                 rotated file whose sessions continued in the next one)\n"
	  "  --json         one JSON object (docs/audit.md)\n"
	  "\n"
	  "Exit: 0 intact; 1 broken (lines listed) or incomplete (a session's\n"
	  "supervisor died without a closing entry); 2 unreadable log or key, MACs\n"
	  "not checked for want of a key, or a usage error.\n"
	  "\n"
	  "attesta audit verify --db [--node-id ID] [--key FILE] [--json] verifies each\n"
	  "node's chain as shipped to the fleet database (problems named by seq), also\n"
	  "entries missing before the first stored one; after `attesta db prune` a\n"
	  "chain \"starts after pruning\". Exit 0 every node intact, 1 a node broken\n"
	  "(or --node-id has no entries), 2 the database cannot be read.\n" },
	{ "export",
	  "usage: attesta audit export [-c FILE] [--log PATH | LOG] [--format jsonl|json|csv]\n"
	  "                            [FILTERS]\n"
	  "\n"
	  "Print the entries that match: the stored lines (jsonl, the default), a JSON\n"
	  "array of them (json), or CSV with the reference exporter's columns. Does not\n"
	  "verify the log: run `attesta audit verify` for that.\n" },
	{ "rubber-stamps",
	  "usage: attesta audit rubber-stamps [-c FILE] [--log PATH | LOG]\n"
	  "                                   [--min-risk low|medium|high|critical]\n"
	  "                                   [--max-seconds S] [--json]\n"
	  "\n"
	  "List approvals of at least --min-risk (default high) decided in at most\n"
	  "--max-seconds (default 5).\n" },
	{ "stats",
	  "usage: attesta audit stats [-c FILE] [--log PATH | LOG] [FILTERS] [--json]\n"
	  "\n"
	  "Counts by verdict, level and action, and review times.\n" },
	{ "get",
	  "usage: attesta audit get ID [-c FILE] [--log PATH | LOG] [--json]\n"
	  "\n"
	  "Print every entry with entry_id ID (an entry and its advisory shadow).\n"
	  "Exit 1 if there is none.\n" },
	{ "inspect",
	  "usage: attesta audit inspect [-c FILE] [--log PATH | LOG] [FILTERS] [--json]\n"
	  "\n"
	  "List the entries that match (e.g. --reason-prefix attestation:).\n" },
};

static void sub_usage(const char *sub, FILE *out)
{
	for (size_t i = 0; i < sizeof(sub_helps) / sizeof(sub_helps[0]); i++) {
		if (strcmp(sub, sub_helps[i].name))
			continue;
		fprintf(out, "%s\n", sub_helps[i].text);
		if (strcmp(sub, "verify") && strcmp(sub, "get") && strcmp(sub, "rubber-stamps"))
			fputs(FILTER_HELP, out);
		fputs(COMMON_HELP, out);
		return;
	}
	usage(out);
}

static int level_rank(const char *name)
{
	static const char *const levels[] = { "low", "medium", "high", "critical" };

	for (int i = 0; i < 4; i++)
		if (!strcasecmp(name, levels[i]))
			return i;
	return -1;
}

enum {
	OPT_LOG = 256, OPT_KEY, OPT_JSON, OPT_NO_HEAD, OPT_FORMAT, OPT_ACTION, OPT_VERDICT,
	OPT_AGENT, OPT_SINCE, OPT_UNTIL, OPT_REASON, OPT_MIN_RISK, OPT_MAX_SECONDS, OPT_NO_MAC,
	OPT_NO_SESSIONS, OPT_DB, OPT_NODE,
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "no-mac", no_argument, NULL, OPT_NO_MAC },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-head", no_argument, NULL, OPT_NO_HEAD },
	{ "no-sessions", no_argument, NULL, OPT_NO_SESSIONS },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "verdict", required_argument, NULL, OPT_VERDICT },
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "reason-prefix", required_argument, NULL, OPT_REASON },
	{ "min-risk", required_argument, NULL, OPT_MIN_RISK },
	{ "max-seconds", required_argument, NULL, OPT_MAX_SECONDS },
	{ "db", no_argument, NULL, OPT_DB },
	{ "node-id", required_argument, NULL, OPT_NODE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct audit_args {
	const char *config_path, *log_opt, *key_path;
	bool help;
};

/* --since / --until: what docs/audit.md documents, an ISO-8601 date or
 * date-time (YYYY-MM-DD, then optionally THH, :MM, :SS, a fraction, and a
 * zone Z or +HH:MM / -HH:MM); "Z" is written +00:00 as the entries are,
 * so the string comparison holds. Anything else ("yesterday", "7d",
 * "12/07/2026") is an error, never a filter that silently matches
 * nothing or everything. The result is in buf, or NULL. */
static const char *iso_filter(const char *opt, const char *arg, char *buf, size_t size)
{
	static const char date[] = "dddd-dd-dd", hm[] = "Tdd", sec[] = ":dd", zone[] = "+dd:dd";
	const char *p = arg;
	size_t i;

	for (i = 0; date[i]; i++, p++)
		if (date[i] == 'd' ? !(*p >= '0' && *p <= '9') : *p != date[i])
			goto bad;
	if (*p == 'T' || *p == ' ') {
		/* THH, THH:MM or THH:MM:SS[.fraction] */
		for (i = 0; hm[i]; i++, p++)
			if (hm[i] == 'd' ? !(*p >= '0' && *p <= '9') : i ? *p != hm[i] : (*p != 'T' && *p != ' '))
				goto bad;
		int parts = 0;

		for (; parts < 2 && *p == ':'; parts++)
			for (i = 0; sec[i]; i++, p++)
				if (sec[i] == 'd' ? !(*p >= '0' && *p <= '9') : *p != sec[i])
					goto bad;
		if (parts == 2 && *p == '.') {
			if (!(p[1] >= '0' && p[1] <= '9'))
				goto bad;
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		}
		if (*p == 'Z' && !p[1]) {
			if ((size_t)(p - arg) + sizeof("+00:00") > size)
				goto bad;
			snprintf(buf, size, "%.*s+00:00", (int)(p - arg), arg);
			buf[10] = 'T'; /* "2026-12-07 13:45" as the entries write it */
			return buf;
		}
		if (*p == '+' || *p == '-') {
			for (i = 0; zone[i]; i++, p++)
				if (zone[i] == 'd' ? !(*p >= '0' && *p <= '9') : i ? *p != zone[i] : 0)
					goto bad;
		}
	}
	if (*p || strlen(arg) >= size)
		goto bad;
	snprintf(buf, size, "%s", arg);
	if (buf[10] == ' ')
		buf[10] = 'T';
	return buf;
bad:
	fprintf(stderr, "attesta: invalid %s '%s': expected an ISO-8601 date or date-time "
		"(2026-12-07, 2026-12-07T13:45, 2026-12-07T13:45:00+00:00)\n", opt, arg);
	return NULL;
}

/* The options into cli and a; the operands (ID for get, then LOG) are
 * left at argv[optind..argc). 0 or an exit code. */
static int parse_options(const char *sub, int argc, char **argv, struct audit_cli *cli,
			 struct audit_args *a)
{
	static char since_buf[64], until_buf[64];
	char *end;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': a->config_path = optarg; break;
		case OPT_LOG: a->log_opt = optarg; break;
		case OPT_KEY: a->key_path = optarg; break;
		case OPT_NO_MAC: cli->no_mac = true; break;
		case OPT_JSON: cli->json = true; break;
		case OPT_NO_HEAD: cli->no_head = true; break;
		case OPT_NO_SESSIONS: cli->no_sessions = true; break;
		case OPT_DB: cli->db = true; break;
		case OPT_NODE: cli->node_id = optarg; break;
		case OPT_FORMAT: cli->format = optarg; break;
		case OPT_ACTION: cli->action = optarg; break;
		case OPT_VERDICT: cli->verdict = optarg; break;
		case OPT_AGENT: cli->agent = optarg; break;
		case OPT_SINCE:
			if (!(cli->since = iso_filter("--since", optarg, since_buf, sizeof(since_buf))))
				return CLI_EXIT_USAGE;
			break;
		case OPT_UNTIL:
			if (!(cli->until = iso_filter("--until", optarg, until_buf, sizeof(until_buf))))
				return CLI_EXIT_USAGE;
			break;
		case OPT_REASON: cli->reason_prefix = optarg; break;
		case OPT_MIN_RISK:
			if ((cli->min_risk = level_rank(optarg)) < 0) {
				fprintf(stderr, "attesta: unknown risk level '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_MAX_SECONDS:
			cli->max_seconds = strtod(optarg, &end);
			if (end == optarg || *end) {
				fprintf(stderr, "attesta: invalid --max-seconds '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			a->help = true;
			break;
		case ':':
			fprintf(stderr, "attesta: option '%s' needs a value\n", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		default:
			fprintf(stderr, "attesta: unknown option '%s'\n", argv[optind - 1]);
			sub_usage(sub, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

/* ID (get) and LOG from the operands. 0 or an exit code. */
static int take_operands(const char *sub, int argc, char **argv, struct audit_cli *cli,
			 const struct audit_args *a)
{
	int i = optind;

	if (!strcmp(sub, "get")) {
		if (i >= argc) {
			fprintf(stderr, "attesta: audit get needs an entry id\n");
			return CLI_EXIT_USAGE;
		}
		cli->id = argv[i++];
	}
	if (i < argc) {
		if (a->log_opt) {
			fprintf(stderr, "attesta: give the log once: --log '%s' or '%s'\n",
				a->log_opt, argv[i]);
			return CLI_EXIT_USAGE;
		}
		if (!*argv[i]) {
			fprintf(stderr, "attesta: empty log name\n");
			return CLI_EXIT_USAGE;
		}
		cli->log_path = argv[i++];
	} else {
		cli->log_path = a->log_opt;
	}
	if (i < argc) {
		fprintf(stderr, "attesta: unexpected argument '%s'\n", argv[i]);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int dispatch(const char *sub, struct audit_cli *cli)
{
	if (cli->db)
		return audit_cli_db(sub, cli);
	if (!strcmp(sub, "verify"))
		return audit_cli_verify(cli);
	if (!strcmp(sub, "export"))
		return audit_cli_export(cli);
	if (!strcmp(sub, "stats"))
		return audit_cli_stats(cli);
	if (!strcmp(sub, "get"))
		return audit_cli_get(cli);
	if (!strcmp(sub, "inspect"))
		return audit_cli_inspect(cli);
	return audit_cli_rubber_stamps(cli);
}

static bool known_sub(const char *sub)
{
	for (size_t i = 0; i < sizeof(sub_helps) / sizeof(sub_helps[0]); i++)
		if (!strcmp(sub, sub_helps[i].name))
			return true;
	return false;
}

int cmd_audit(int argc, char **argv)
{
	struct audit_cli cli = { .format = "jsonl", .min_risk = 2, .max_seconds = 5.0 };
	struct audit_args a = { 0 };
	struct pol_config *config = NULL;
	struct pol_diag diag = { 0 };
	const char *sub, *key_path;
	char msg[1200];
	int r, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	sub = argv[1];
	if (!strcmp(sub, "ship"))
		return audit_cli_ship(argc - 1, argv + 1);
	if (!known_sub(sub)) {
		fprintf(stderr, "attesta: unknown audit command '%s'\n", sub);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* argv + 1: getopt skips the subcommand as its argv[0] */
	if ((rc = parse_options(sub, argc - 1, argv + 1, &cli, &a)) != 0)
		return rc;
	if (a.help) {
		sub_usage(sub, stdout);
		return CLI_EXIT_OK;
	}
	if ((rc = take_operands(sub, argc - 1, argv + 1, &cli, &a)) != 0)
		return rc;
	if (strcmp(cli.format, "jsonl") && strcmp(cli.format, "json") && strcmp(cli.format, "csv")) {
		fprintf(stderr, "attesta: unknown export format '%s' (jsonl, json, csv)\n", cli.format);
		return CLI_EXIT_USAGE;
	}
	if ((cli.db && cli.log_path) || (cli.node_id && !cli.db)) {
		fprintf(stderr, "attesta: %s\n", cli.db ? "--db reads the fleet database: no LOG"
			: "--node-id goes with --db");
		return CLI_EXIT_USAGE;
	}
	if (cli.no_mac && a.key_path) {
		fprintf(stderr, "attesta: --no-mac and --key exclude each other\n");
		return CLI_EXIT_USAGE;
	}
	/* The same config attesta-run would use here (docs/config.md). */
	r = pol_config_load_or_default(a.config_path, &config, &diag);
	if (r < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: %s\n", diag.message[0] ? msg : strerror(-r));
		return CLI_EXIT_USAGE;
	}
	cli.database = config->fleet_database;
	if (!cli.log_path && !cli.db)
		cli.log_path = config->audit_path ? config->audit_path : ".attesta/audit.jsonl";
	key_path = a.key_path ? a.key_path : cli.no_mac ? NULL : config->audit_hmac_key_file;
	rc = AUDIT_EXIT_UNREADABLE;
	memset(&diag, 0, sizeof(diag));
	if (key_path && (r = pol_audit_key_load(key_path, &cli.key, &cli.key_len, &diag)) < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: %s\n", msg);
		goto out;
	}
	rc = dispatch(sub, &cli);
out:
	free(cli.key);
	pol_config_free(config);
	return rc;
}
