/*
 * attesta-run's command line: options, overrides and mode (run_args.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/action.h"
#include "supervisor/common/version.h"
#include "supervisor/run/launch.h"
#include "supervisor/run/notifyprobe.h"
#include "supervisor/run/run_args.h"

#define EXIT_OWN SUP_EXIT_INTERNAL

static const char usage_text[] =
	"usage: attesta-run [-c FILE] [--agent-id ID] [--env NAME] [--audit PATH]\n"
	"                   [--renderer auto|tty|socket|none] [--timeout S]\n"
	"                   [--attestation off|advisory|enforce] [--node-id ID]\n"
	"                   [--bundle FILE] [--kill-on-exit] [--quiet] [--mode auto|seccomp|shim]\n"
	"                   [--user NAME] [--unprotected-state] [--] PROG [ARG...]\n"
	"       attesta-run --help | --version\n"
	"\n"
	"Run PROG with its exec, file-removal and network calls gated by policy\n"
	"and written to the audit log. See attesta-run(1) / docs/attesta-run.md.\n"
	"--mode shim (also chosen by auto when seccomp user notification is\n"
	"unavailable) gates only calls made through the dynamic libc: see docs/shim.md.\n"
	"Fleet mode (docs/fleet.md): --attestation and --node-id, and from the config\n"
	"trust.backend, approvals.backend and audit.ship (the node's entries shipped to\n"
	"the fleet database); no fleet connection is made while PGPASSWORD is set.\n"
	"Exit status: PROG's; 125 attesta-run failed, 126 PROG denied or not runnable,\n"
	"127 PROG not found.\n";


int run_fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "attesta-run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_OWN;
}

int run_parse_args(int argc, char **argv, struct run_opts *o)
{
	enum { O_AGENT = 256, O_ENV, O_AUDIT, O_RENDERER, O_TIMEOUT, O_ATTEST, O_NODE,
	       O_BUNDLE, O_KILL, O_QUIET, O_HELP, O_MODE, O_USER, O_UNPROTECTED,
	       O_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "agent-id", required_argument, NULL, O_AGENT },
		{ "env", required_argument, NULL, O_ENV },
		{ "audit", required_argument, NULL, O_AUDIT },
		{ "renderer", required_argument, NULL, O_RENDERER },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "attestation", required_argument, NULL, O_ATTEST },
		{ "node-id", required_argument, NULL, O_NODE },
		{ "bundle", required_argument, NULL, O_BUNDLE },
		{ "kill-on-exit", no_argument, NULL, O_KILL },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "mode", required_argument, NULL, O_MODE },
		{ "user", required_argument, NULL, O_USER },
		{ "unprotected-state", no_argument, NULL, O_UNPROTECTED },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* '+': stop at PROG, its own options are its own. */
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; break;
		case O_AGENT: o->agent_id = optarg; break;
		case O_ENV: o->environment = optarg; break;
		case O_AUDIT: o->audit_path = optarg; break;
		case O_RENDERER: o->renderer = optarg; break;
		case O_TIMEOUT: o->timeout = optarg; break;
		case O_ATTEST: o->attestation = optarg; break;
		case O_NODE: o->node_id = optarg; break;
		case O_BUNDLE: o->bundle = optarg; break;
		case O_KILL: o->kill_on_exit = true; break;
		case O_QUIET: o->quiet = true; break;
		case O_MODE: o->mode = optarg; break;
		case O_USER: o->user = optarg; break;
		case O_UNPROTECTED: o->unprotected_state = true; break;
		case 'h':
		case O_HELP:
			fputs(usage_text, stdout);
			return -1;
		case O_VERSION:
			printf("attesta-run %s\n", ATTESTA_VERSION);
			return -1;
		default:
			fputs(usage_text, stderr);
			return EXIT_OWN;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_OWN;
	}
	o->prog_argv = argv + optind;
	return 0;
}

int run_apply_opts(const struct run_opts *o, struct pol_config *config)
{
	if (o->agent_id && (!*o->agent_id || pol_action_set(&config->agent_id, o->agent_id) < 0))
		return run_fail("invalid --agent-id '%s'", o->agent_id);
	if (o->environment &&
	    (!*o->environment || pol_action_set(&config->environment, o->environment) < 0))
		return run_fail("invalid --env '%s'", o->environment);
	if (o->renderer) {
		if (!strcmp(o->renderer, "none"))
			config->renderer = POL_RENDERER_NONE;
		else if (!strcmp(o->renderer, "auto"))
			config->renderer = POL_RENDERER_AUTO;
		else if (!strcmp(o->renderer, "tty") || !strcmp(o->renderer, "socket"))
			config->renderer = !strcmp(o->renderer, "tty") ? POL_RENDERER_TTY
								       : POL_RENDERER_SOCKET;
		else
			return run_fail("invalid --renderer '%s' (auto, tty, socket or none)",
				    o->renderer);
	}
	if (o->timeout) {
		char *end;
		errno = 0;
		double t = strtod(o->timeout, &end);
		if (errno || end == o->timeout || *end || !(t > 0) || t > 86400.0 * 365)
			return run_fail("invalid --timeout '%s' (seconds > 0)", o->timeout);
		config->timeout_seconds = t;
	}
	const char *attest = o->attestation ? o->attestation : getenv("ATTESTA_ATTESTATION_MODE");
	if (attest && *attest) {
		if (!strcmp(attest, "off"))
			config->attestation_mode = POL_ATTEST_OFF;
		else if (!strcmp(attest, "advisory") || !strcmp(attest, "enforce"))
			config->attestation_mode = !strcmp(attest, "advisory") ? POL_ATTEST_ADVISORY
									       : POL_ATTEST_ENFORCE;
		else
			return run_fail("invalid --attestation '%s' (off, advisory or enforce)",
				    attest);
	}
	return 0;
}

int run_choose_mode(const char *mode, bool *ret_shim)
{
	char why[256];
	int rc;

	if (mode && strcmp(mode, "auto") && strcmp(mode, "seccomp") && strcmp(mode, "shim"))
		return run_fail("invalid --mode '%s' (auto, seccomp or shim)", mode);
	if (mode && !strcmp(mode, "shim")) {
		*ret_shim = true;
		return 0;
	}
	rc = sup_notify_probe(why, sizeof why);
	if (rc == 0) {
		*ret_shim = false;
		return 0;
	}
	if (mode && !strcmp(mode, "seccomp"))
		return run_fail("%s (--mode seccomp)", why);
	fprintf(stderr, "attesta-run: %s: falling back to shim-only mode\n", why);
	*ret_shim = true;
	return 0;
}

void run_warn_shim_mode(void)
{
	fputs("attesta-run: ****************************************************************\n"
	      "attesta-run: WARNING: SHIM-ONLY MODE. Only calls made through the dynamic libc\n"
	      "attesta-run: (execve/system/popen/posix_spawn, unlink/rmdir/remove, connect,\n"
	      "attesta-run: sendto/sendmsg) are gated. NOT gated: static binaries, raw\n"
	      "attesta-run: syscalls, io_uring, Go programs, programs that clear LD_PRELOAD\n"
	      "attesta-run: or are set-id, and anything an agent does on purpose to avoid\n"
	      "attesta-run: the gate. This is not a sandbox. Audit entries say mode: shim.\n"
	      "attesta-run: ****************************************************************\n",
	      stderr);
}
