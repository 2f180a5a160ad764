/*
 * Shared state of the `attesta audit` subcommands (cmd_audit.c parses the
 * options and runs verify; cmd_audit_query.c runs the readers).
 */
#ifndef ATTESTA_CLI_CMD_AUDIT_H
#define ATTESTA_CLI_CMD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

struct audit_cli {
	const char *log_path;
	unsigned char *key;       /* HMAC key, or NULL */
	size_t key_len;
	bool json;
	bool no_head;
	bool no_mac;              /* verify: skip MACs on purpose (--no-mac) */
	bool no_sessions;         /* verify: --no-sessions */
	const char *format;       /* export: jsonl | json | csv */
	/* filters */
	const char *action, *verdict, *agent, *since, *until, *reason_prefix;
	/* rubber-stamps */
	int min_risk;             /* 0 low .. 3 critical */
	double max_seconds;
	const char *id;           /* get */
};

/* Exit codes of verify (and of an unreadable log). */
#define AUDIT_EXIT_BROKEN 1
#define AUDIT_EXIT_UNREADABLE 2

int audit_cli_verify(struct audit_cli *cli);
int audit_cli_export(struct audit_cli *cli);
int audit_cli_stats(struct audit_cli *cli);
int audit_cli_get(struct audit_cli *cli);
int audit_cli_inspect(struct audit_cli *cli);
int audit_cli_rubber_stamps(struct audit_cli *cli);

#endif
