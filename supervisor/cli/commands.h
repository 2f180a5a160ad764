/*
 * The `attesta` subcommands. Each takes argc/argv starting at its own name
 * and returns the process exit status: 0 ok, 1 invalid input (bad config,
 * bad context, broken log...), 2 usage or unsupported. Output goes to
 * stdout, one-line errors to stderr prefixed "attesta: ".
 */
#ifndef ATTESTA_CLI_COMMANDS_H
#define ATTESTA_CLI_COMMANDS_H

#define CLI_EXIT_OK 0
#define CLI_EXIT_INVALID 1
#define CLI_EXIT_USAGE 2

int cmd_init(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_pending(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_deny(int argc, char **argv);
/* The three above, or with --db the fleet approval queue (cmd_approve_db.c). */
int cmd_pending_any(int argc, char **argv);
int cmd_approve_any(int argc, char **argv);
int cmd_deny_any(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_attestation(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_attestation_report(int argc, char **argv);
int cmd_db(int argc, char **argv);
/* cmd_bundle_db.c: bundle push FILE / pull REF FILE (fleet database) */
int bundle_push(const char *config_path, const char *database, const char *pubkey,
		const char *path);
int bundle_pull(const char *config_path, const char *database, const char *pubkey,
		const char *ref, const char *out);

#endif
