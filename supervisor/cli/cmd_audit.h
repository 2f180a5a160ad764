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
	/* --db: the fleet database instead of a log (cmd_audit_db.c) */
	bool db;
	const char *node_id;      /* --node-id: one node (default: every node) */
	const char *database;     /* fleet.database, or NULL: libpq's environment */
	const char *log_label;    /* shown instead of log_path (--db), or NULL */
};

/* The log's name in messages. */
static inline const char *audit_cli_name(const struct audit_cli *cli)
{
	return cli->log_label ? cli->log_label : cli->log_path;
}

/* Exit codes of verify (and of an unreadable log). */
#define AUDIT_EXIT_BROKEN 1
#define AUDIT_EXIT_UNREADABLE 2

int audit_cli_verify(struct audit_cli *cli);
int audit_cli_export(struct audit_cli *cli);
int audit_cli_stats(struct audit_cli *cli);
int audit_cli_get(struct audit_cli *cli);
int audit_cli_inspect(struct audit_cli *cli);
int audit_cli_rubber_stamps(struct audit_cli *cli);
/* cmd_audit_db.c: `audit ship` (argv[0] is "ship"), and SUB --db */
int audit_cli_ship(int argc, char **argv);
int audit_cli_db(const char *sub, struct audit_cli *cli);

#endif
