/*
 * `attesta`: the command-line front end. Dispatches to one subcommand per
 * file (cmd_*.c). Trusts its arguments no more than any user input.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "supervisor/common/version.h"

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* NULL: not supported yet */
	const char *summary;
	const char *instead; /* for a command that is not supported: what to use */
};

static int cmd_version(int argc, char **argv);

static const struct cli_command commands[] = {
	{ "init", cmd_init, "write a commented attesta.yaml template", NULL },
	{ "config", cmd_config, "config check [FILE]: validate a config", NULL },
	{ "score", cmd_score, "score an action as the gate would (dry run)", NULL },
	{ "audit", cmd_audit, "audit verify|export|rubber-stamps|stats|get|inspect", NULL },
	{ "trust", cmd_trust, "trust show|list|revoke|incident", NULL },
	{ "pending", cmd_pending_any, "list held calls waiting for a human", NULL },
	{ "approve", cmd_approve_any, "answer the challenge of a held call", NULL },
	{ "deny", cmd_deny_any, "deny a held call", NULL },
	{ "node", cmd_node, "node enroll|revoke|rollout", NULL },
	{ "attestation", cmd_attestation, "attestation status|eval|report", NULL },
	{ "bundle", cmd_bundle, "bundle keygen|pack|verify|push|pull", NULL },
	{ "db", cmd_db, "db init: the fleet database schema and roles", NULL },
	{ "metrics", cmd_metrics, "Prometheus metrics from the audit log and trust store", NULL },
	{ "doctor", cmd_doctor, "report what this kernel allows and what it means for protection", NULL },
	{ "version", cmd_version, "print the version", NULL },
	{ "wal", NULL, "the reference's write-ahead log",
	  "attesta keeps no separate WAL: every decision is an audit entry "
	  "(attesta audit export, attesta audit get ID, attesta audit inspect)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: attesta COMMAND [ARGS...]   (attesta COMMAND --help)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s%s\n", commands[i].name, commands[i].summary,
			commands[i].run ? "" : " (not supported yet)");
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("attesta %s\n", ATTESTA_VERSION);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (!commands[i].run) {
			if (commands[i].instead)
				fprintf(stderr, "attesta: not supported: 'attesta %s': %s\n", argv[1],
					commands[i].instead);
			else
				fprintf(stderr, "attesta: not supported: '%s' is not implemented in this version\n",
					argv[1]);
			return CLI_EXIT_USAGE;
		}
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "attesta: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
