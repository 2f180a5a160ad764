/*
 * Private to the built-in "agent" profile (agent_*.c): the syscall
 * analysis that turns an exec argv, an unlink path or a connect address
 * into findings with a severity. Everything here reads only the action
 * (bytes from the sandboxed program: untrusted) and the engine's home and
 * workspace; nothing touches the file system, so a path is judged by its
 * text, resolved lexically against the caller's cwd (symlinks were already
 * resolved in the target's view by the supervisor for unlink/rmdir).
 *
 * Severities map to a contribution that the domain step blends as
 * s + c(1-s); SAFE caps the score at 0.15 like a safe action, CRITICAL
 * floors it at 0.8 like a critical action (and skips the environment
 * multiplier).
 */
#ifndef ATTESTA_AGENT_H
#define ATTESTA_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "action.h"

enum agent_sev {
	SEV_NONE = 0, /* no opinion */
	SEV_SAFE,     /* known harmless: cap at 0.15 */
	SEV_NOTE,     /* c = 0.15 */
	SEV_MEDIUM,   /* c = 0.30 */
	SEV_HIGH,     /* c = 0.70 */
	SEV_SEVERE,   /* c = 0.85 */
	SEV_CRITICAL, /* c = 0.95, floor 0.8, no multiplier */
	SEV_COUNT
};
double agent_sev_contribution(enum agent_sev sev);
const char *agent_sev_name(enum agent_sev sev);

/* Where a path points, from harmless to catastrophic. */
enum agent_zone {
	Z_PSEUDO = 0,   /* /dev/null, /dev/zero, /dev/stdout ... */
	Z_TEMP,         /* under /tmp, /var/tmp, /dev/shm */
	Z_WORKSPACE,    /* under the workspace */
	Z_WS_ROOT,      /* the workspace itself, or everything in it */
	Z_OTHER,        /* anything else, or a path we cannot know ($X, $(..)) */
	Z_HOME,         /* under $HOME (outside the workspace) */
	Z_SECRET,       /* .env files, *.pem, *.key */
	Z_SYSTEM,       /* /etc, /usr, /var, /opt, other /dev ... */
	Z_HOME_ROOT,    /* $HOME itself or everything in it */
	Z_CREDENTIAL,   /* ~/.ssh, ~/.aws, ~/.gnupg, ~/.kube, /etc/shadow ... */
	Z_SYS_CRITICAL, /* /etc/passwd, /etc/sudoers, /boot ... */
	Z_DEVICE,       /* block devices: /dev/sd*, /dev/nvme* ... */
	Z_ROOT,         /* "/" or everything in it */
	Z_COUNT
};
const char *agent_zone_name(enum agent_zone zone);

/* What a command does to its operands; each has a zone -> severity table. */
enum agent_effect {
	E_NONE = 0,
	E_READ,      /* reads (exfiltration of credentials) */
	E_DELETE,    /* removes files */
	E_RDELETE,   /* removes trees */
	E_WRITE,     /* overwrites / creates */
	E_DEVWRITE,  /* writes raw devices, makes file systems */
	E_PERM,      /* recursive permission / ownership change */
	E_COUNT
};
enum agent_sev agent_effect_sev(enum agent_effect effect, enum agent_zone zone);

struct agent_env {
	const char *home;      /* "/home/u"; NULL unknown */
	const char *workspace; /* absolute; NULL: cwd */
	const char *cwd;       /* the caller's cwd */
};

/* Classify one path argument (text as the program would see it: ~, $HOME
 * and $PWD are expanded, relative paths resolved against cwd). Words
 * with other expansions are Z_OTHER. norm (may be NULL) receives the
 * normalized path. */
enum agent_zone agent_path_zone(const struct agent_env *env, const char *word,
				char *norm, size_t norm_size);

#define AGENT_MAX_FINDINGS 16

struct agent_finding {
	char rule[48];
	enum agent_sev sev;
	char evidence[200];
};

struct agent_result {
	struct agent_finding items[AGENT_MAX_FINDINGS];
	size_t n;
	unsigned visited;       /* argv / script nodes visited (cap) */
	unsigned commands;      /* leaf commands analyzed */
	unsigned safe_commands; /* of which known harmless */
};

/* Record a finding (the strongest AGENT_MAX_FINDINGS are kept). */
void agent_add(struct agent_result *res, const char *rule, enum agent_sev sev,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
enum agent_sev agent_max_sev(const struct agent_result *res);

/* exec: argv[0] is the program basename, argv[1..] its arguments. depth
 * counts wrapper / shell nesting. operands_unknown: the command gets
 * more operands from elsewhere (xargs). */
void agent_analyze_argv(const struct agent_env *env, const char *const *argv, size_t argc,
			unsigned depth, bool operands_unknown, struct agent_result *res);

/* A shell script string (sh -c STRING): split into pipelines of simple
 * commands, each analyzed with agent_analyze_argv, plus pipeline rules
 * (fetch | shell) and redirection targets. */
void agent_analyze_script(const struct agent_env *env, const char *script, unsigned depth,
			  struct agent_result *res);

/* Is this program a shell or interpreter that runs code it is fed
 * (sh, bash, python3 ...)? A fetcher (curl, wget ...)? */
bool agent_is_shell(const char *prog);
bool agent_is_interpreter(const char *prog);
bool agent_is_fetcher(const char *prog);

/* Wrappers (agent_wrap.c): is prog one, and analyze what it runs. Returns
 * true when the wrapper runs nothing harmful by itself (env alone,
 * command -v). */
bool agent_is_wrapper(const char *prog);
const char *agent_base_name(const char *path);
bool agent_unwrap(const struct agent_env *env, const char *prog, const char *const *args,
		  size_t nargs, unsigned depth, struct agent_result *res);
/* sh [options] -c STRING ...: the script, or NULL when the shell runs a
 * file or stdin. */
const char *agent_shell_script(const char *const *args, size_t nargs);

/* Whole action (dispatch by class). */
void agent_analyze(const struct agent_env *env, const struct pol_action *action,
		   struct agent_result *res);

#endif
