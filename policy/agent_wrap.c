/*
 * Wrappers and shells for the agent profile's exec analysis: programs
 * that run another command (sudo, env, xargs, nice, timeout, nohup ...)
 * are looked through, recursively, to the command they run; shells and
 * su / flock / env -S / watch hand their script to agent_shell.c. The
 * argv is the sandboxed program's (untrusted); option tables say which
 * options take a value so that a value is never mistaken for the command.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "pol_limits.h"

/* --- wrappers and shells ------------------------------------------------ */

struct wrapper {
	const char *cmd;
	const char *short_with_arg;
	const char *long_with_arg;
	unsigned skip;        /* operands before the command (timeout DURATION) */
	bool assignments;     /* NAME=VALUE words before the command (env) */
	bool xargs;           /* the command gets more operands from stdin */
	bool privileged;      /* runs the command with more privileges */
	const char *script_opt; /* option whose value is a shell script (su -c) */
};

static const struct wrapper wrappers[] = {
	{ "sudo", "ugCDhprtUT", " user group chdir prompt role type close-from host other-user ", 0, true, false, true, NULL },
	{ "doas", "uC", "", 0, false, false, true, NULL },
	{ "pkexec", "", " user ", 0, false, false, true, NULL },
	{ "su", "gGsw", " group supp-group shell whitelist-environment ", 0, false, false, true, "c" },
	{ "runuser", "ugGsw", " user group supp-group shell ", 0, false, false, true, "c" },
	{ "env", "uCS", " unset chdir split-string ", 0, true, false, false, NULL },
	{ "xargs", "aEILnPsd", " arg-file eof replace max-lines max-args max-procs max-chars delimiter ", 0, false, true, false, NULL },
	{ "nice", "n", " adjustment ", 0, false, false, false, NULL },
	{ "ionice", "cnp", " class classdata pid ", 0, false, false, false, NULL },
	{ "nohup", "", "", 0, false, false, false, NULL },
	{ "timeout", "ks", " kill-after signal ", 1, false, false, false, NULL },
	{ "stdbuf", "ioe", " input output error ", 0, false, false, false, NULL },
	{ "time", "fo", " format output ", 0, false, false, false, NULL },
	{ "setsid", "", "", 0, false, false, false, NULL },
	{ "chroot", "", " userspec groups ", 1, false, false, true, NULL },
	{ "flock", "wE", " timeout conflict-exit-code ", 1, false, false, false, "c" },
	{ "taskset", "", "", 1, false, false, false, NULL },
	{ "command", "", "", 0, false, false, false, NULL },
	{ "exec", "a", "", 0, false, false, false, NULL },
	{ "busybox", "", "", 0, false, false, false, NULL },
	{ "toybox", "", "", 0, false, false, false, NULL },
	{ "unbuffer", "", "", 0, false, false, false, NULL },
	{ "proxychains", "f", "", 0, false, false, false, NULL },
	{ "proxychains4", "f", "", 0, false, false, false, NULL },
	{ "torsocks", "uapP", "", 0, false, false, false, NULL },
	{ "strace", "abeEIoOpPsSuUX", "", 0, false, false, false, NULL },
	{ "ltrace", "aAenopsSuw", "", 0, false, false, false, NULL },
	{ "nsenter", "tSGrwpUu", " target setuid setgid root wd ", 0, false, false, true, NULL },
	{ "unshare", "", "", 0, false, false, false, NULL },
	{ "watch", "nd", " interval ", 0, false, false, false, "" },
};

static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "rbash", "yash", "posh" };
static const char *const interpreters[] = { "python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php",
					    "lua", "tclsh", "Rscript", "osascript", "pwsh", "deno", "bun" };
static const char *const fetchers[] = { "curl", "wget", "fetch", "aria2c", "http", "xh", "nc", "ncat" };

static bool in_list(const char *const *list, size_t n, const char *prog)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], prog))
			return true;
	return false;
}

#define IN_LIST(list, prog) in_list(list, sizeof(list) / sizeof(list[0]), prog)

bool agent_is_shell(const char *prog)
{
	return IN_LIST(shells, prog);
}

bool agent_is_interpreter(const char *prog)
{
	char folded[32];
	size_t n = strnlen(prog, sizeof(folded) - 1);

	memcpy(folded, prog, n);
	folded[n] = '\0';
	while (n && ((folded[n - 1] >= '0' && folded[n - 1] <= '9') || folded[n - 1] == '.'))
		folded[--n] = '\0';
	return IN_LIST(interpreters, prog) || IN_LIST(interpreters, folded) || agent_is_shell(prog);
}

bool agent_is_fetcher(const char *prog)
{
	return IN_LIST(fetchers, prog);
}

const char *agent_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* sh [options] -c STRING [name [args]]: returns the script or NULL. */
const char *agent_shell_script(const char *const *args, size_t nargs)
{
	bool cflag = false;

	for (size_t i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (!strcmp(a, "--"))
			return cflag && i + 1 < nargs ? args[i + 1] : NULL;
		if (!strncmp(a, "--command=", 10))
			return a + 10;
		if (!strcmp(a, "--command"))
			return i + 1 < nargs ? args[i + 1] : NULL;
		if (!strcmp(a, "--rcfile") || !strcmp(a, "--init-file")) {
			i++;
			continue;
		}
		if (a[0] == '-' && a[1] == '-')
			continue;
		if ((a[0] == '-' || a[0] == '+') && a[1]) {
			if (a[0] == '-' && strchr(a, 'c'))
				cflag = true;
			if (strpbrk(a + 1, "oO"))
				i++;
			continue;
		}
		return cflag ? a : NULL;
	}
	return NULL;
}

bool agent_is_wrapper(const char *prog)
{
	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (!strcmp(wrappers[i].cmd, prog))
			return true;
	return false;
}

bool agent_unwrap(const struct agent_env *env, const char *prog, const char *const *args,
		  size_t nargs, unsigned depth, struct agent_result *res)
{
	const struct wrapper *w = NULL;
	size_t i = 0, skip;

	for (size_t k = 0; k < sizeof(wrappers) / sizeof(wrappers[0]) && !w; k++)
		if (!strcmp(wrappers[k].cmd, prog))
			w = &wrappers[k];
	if (!w)
		return false;
	skip = w->skip;

	if (!strcmp(w->cmd, "command"))
		for (size_t k = 0; k < nargs && args[k][0] == '-'; k++)
			if (strpbrk(args[k], "vV"))
				return true; /* command -v: a lookup, nothing runs */
	for (; i < nargs; i++) {
		const char *a = args[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] == '-' && a[1] == '-' && a[2]) {
			if (!strchr(a, '=')) {
				char key[80];

				snprintf(key, sizeof(key), " %s ", a + 2);
				if (strstr(w->long_with_arg, key))
					i++;
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			for (const char *c = a + 1; *c; c++) {
				if (w->script_opt && *c == 'c' && *w->script_opt == 'c') {
					const char *script = c[1] ? c + 1 : (i + 1 < nargs ? args[i + 1] : NULL);

					if (script)
						agent_analyze_script(env, script, depth + 1, res);
					return false;
				}
				if (strchr(w->short_with_arg, *c)) {
					if (*c == 'S' && !strcmp(w->cmd, "env")) {
						const char *script = c[1] ? c + 1 : (i + 1 < nargs ? args[i + 1] : NULL);

						if (script)
							agent_analyze_script(env, script, depth + 1, res);
						return false;
					}
					if (!c[1])
						i++;
					break;
				}
			}
			continue;
		}
		if (w->assignments && strchr(a, '=') && a[0] != '=')
			continue;
		if (skip) {
			skip--;
			continue;
		}
		break;
	}
	if (w->privileged)
		agent_add(res, "privileged", SEV_MEDIUM, "%s runs %s with other privileges", w->cmd,
			  i < nargs ? agent_base_name(args[i]) : "a shell");
	if (i >= nargs) {
		if (!strcmp(w->cmd, "env"))
			return true; /* env alone prints the environment */
		res->commands++;
		return false;
	}
	if (w->script_opt && !*w->script_opt) {
		/* watch: the rest is one script joined by spaces. */
		char script[4096];
		size_t len = 0;

		script[0] = '\0';
		for (size_t k = i; k < nargs; k++) {
			int n = snprintf(script + len, sizeof(script) - len, "%s%s", len ? " " : "", args[k]);

			if (n < 0 || (size_t)n >= sizeof(script) - len)
				break;
			len += (size_t)n;
		}
		agent_analyze_script(env, script, depth + 1, res);
		return false;
	}
	{
		const char *inner[POL_AGENT_MAX_ARGS];
		size_t n = 0;

		for (size_t k = i; k < nargs && n < POL_AGENT_MAX_ARGS; k++)
			inner[n++] = k == i ? agent_base_name(args[k]) : args[k];
		agent_analyze_argv(env, inner, n, depth + 1, w->xargs, res);
	}
	return false;
}

