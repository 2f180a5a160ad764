/*
 * attesta-run's command line (docs/attesta-run.md): the options, their
 * checks, and the gate's mode. Every error is one line on standard error
 * and the exit code 125 (SUP_EXIT_INTERNAL).
 */
#ifndef ATTESTA_SUP_RUN_ARGS_H
#define ATTESTA_SUP_RUN_ARGS_H

#include <stdbool.h>

#include "policy/config.h"

struct run_opts {
	const char *config_path;
	const char *agent_id;
	const char *environment;
	const char *audit_path;
	const char *renderer;
	const char *timeout;
	const char *attestation;
	const char *node_id;
	const char *bundle;
	bool kill_on_exit;
	bool quiet;
	const char *mode;          /* auto (default), seccomp, shim */
	const char *user;          /* --user NAME (root only), else gate.user */
	bool unprotected_state;    /* --unprotected-state */
	char **prog_argv;
};

/* Print "attesta-run: " and the message; returns SUP_EXIT_INTERNAL. */
int run_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 0; -1 after --help or --version (exit 0); or an exit code after
 * printing why. */
int run_parse_args(int argc, char **argv, struct run_opts *o);

/* The command line's overrides of the config (the attestation ones are
 * resolved by sup_attest_setup, attest.h): 0 or an exit code. */
int run_apply_opts(const struct run_opts *o, struct pol_config *config);

/* --mode: seccomp (the kernel gate, required), shim (the shim-only
 * fallback), auto (seccomp if the kernel lets our children use user
 * notification, else shim). 0 with *ret_shim set, or an exit code. */
int run_choose_mode(const char *mode, bool *ret_shim);

/* Say it loudly: shim-only mode is a much weaker gate (docs/shim.md). */
void run_warn_shim_mode(void);

#endif
