/*
 * attesta-run: start PROG unmodified under the syscall gate (docs/ARCHITECTURE.md,
 * docs/attesta-run.md). Parses the command line (run_args.h), splits into the watcher and the
 * supervisor (watcher.h), loads the config, policy engine, audit
 * log and trust store, picks the gate (seccomp, or the shim-only mode
 * when user notification is unavailable or --mode shim), sets up the
 * preload shim, builds the seccomp filter, launches PROG and runs
 * the event loop; exits with PROG's status, 125 on its own errors, 126
 * when the first exec is denied or not executable, 127 when PROG is not
 * found. Trusts the user who runs it and the config they name; everything
 * from the sandbox goes through the decoders.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/audit.h"
#include "policy/config.h"
#include "policy/config_check.h"
#include "policy/engine.h"
#include "policy/trust.h"
#include "policy/warm.h"
#include "supervisor/run/approval.h"
#include "supervisor/run/attest.h"
#include "supervisor/run/decode_cache.h"
#include "supervisor/run/denials.h"
#include "supervisor/run/execcheck.h"
#include "supervisor/run/filter.h"
#include "supervisor/run/human.h"
#include "supervisor/run/launch.h"
#include "supervisor/run/loop.h"
#include "supervisor/run/proc.h"
#include "supervisor/run/run_args.h"
#include "supervisor/run/session.h"
#include "supervisor/run/shimloop.h"
#include "supervisor/run/statepaths.h"
#include "supervisor/run/shimrecv.h"
#include "supervisor/run/workers.h"
#include "supervisor/run/shipper.h"
#include "supervisor/run/state_protect.h"
#include "supervisor/run/trust_watch.h"
#include "supervisor/run/tty.h"
#include "supervisor/run/clock.h"
#include "supervisor/run/watcher.h"

#define EXIT_OWN SUP_EXIT_INTERNAL

static void new_session_id(char *buf, size_t size)
{
	unsigned char raw[16] = { 0 };
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		/* no entropy: still unique enough per host for a session label */
		pid_t pid = getpid();
		memcpy(raw, &pid, sizeof pid);
	}
	for (size_t i = 0; i < sizeof raw && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", raw[i]);
}

/* The policy modules' one-time set-up, on a helper thread while main()
 * loads the configuration and starts PROG (policy/warm.h). */
static void *warm_main(void *arg)
{
	(void)arg;
	pol_warm_up();
	return NULL;
}

int main(int argc, char **argv)
{
	struct run_opts o = { 0 };
	struct pol_config *config = NULL;
	struct pol_engine *engine = NULL;
	struct pol_audit_log *audit = NULL;
	struct pol_trust_store *trust = NULL;
	struct sup_execcheck *execcheck = NULL;
	struct sup_attest *attest = NULL;
	struct sup_shipper *shipper = NULL;
	struct sock_fprog filter = { 0 };
	struct sup_gate gate;
	struct sup_loop loop;
	struct pol_diag diag;
	char line[1200], reason[512];
	char *prog_path = NULL;
	char **prog_env = NULL;
	bool shim_mode = false;
	char cwd[4096];
	struct sup_state_plan plan;
	int code = EXIT_OWN, rc;

	memset(&plan, 0, sizeof plan);
	memset(&gate, 0, sizeof gate);
	memset(&loop, 0, sizeof loop);
	loop.gate = &gate;
	loop.ev.epfd = loop.sigfd = loop.timerfd = loop.listener = -1;

	rc = run_parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	/* First, before any thread: the process the user started stays as
	 * the watcher, and we go on as the supervisor in a session of our
	 * own (watcher.h). */
	if ((rc = sup_watcher_start()) < 0)
		return run_fail("cannot start the watcher: %s", strerror(-rc));
	/* Still one thread: the descriptor table grows for free now, and
	 * would stall every decision thread later (proc.h). */
	sup_proc_presize_fds();
	/* Only speed depends on it: without the thread, the first decision
	 * does the same work itself. */
	/* attesta-run needs SHA-256 and HMAC-SHA256 from OpenSSL's default
	 * provider: reading openssl.cnf took 1-3 ms of every start, and the
	 * exit-time cleanup of the library is work for a process that is
	 * about to exit anyway. First, before anything uses OpenSSL. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
	/* It blocks every signal: the loop reads them from a signalfd, and a
	 * thread with them unblocked could take (and lose) a SIGCHLD. */
	pthread_t warm;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool warming = pthread_create(&warm, NULL, warm_main, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	memset(&diag, 0, sizeof diag);
	/* -c FILE, else ./attesta.yaml, else the defaults: the one discovery
	 * every `attesta` command shares (docs/config.md) */
	rc = pol_config_load_or_default(o.config_path, &config, &diag);
	if (rc < 0) {
		pol_diag_format(&diag, line, sizeof line);
		fprintf(stderr, "attesta-run: %s\n", diag.message[0] ? line : strerror(-rc));
		goto out;
	}
	/* Fleet mode: with a signed bundle, its policy replaces the config
	 * (docs/fleet.md); then the command line applies. */
	{
		struct sup_attest_opts ao = { .config_path = o.config_path,
					      .mode = o.attestation, .node_id = o.node_id,
					      .bundle = o.bundle };
		if (sup_attest_setup(&ao, &config, &attest, reason, sizeof reason) < 0) {
			fprintf(stderr, "attesta-run: %s\n", reason);
			goto out;
		}
	}
	if ((code = run_apply_opts(&o, config)) != 0)
		goto out;
	code = EXIT_OWN;
	/* What `attesta config check` refuses too (policy/config_check.h). */
	memset(&diag, 0, sizeof diag);
	if ((rc = pol_config_check_run(config, &diag)) < 0) {
		pol_diag_format(&diag, line, sizeof line);
		fprintf(stderr, "attesta-run: %s\n", line);
		goto out;
	}

	if (!getcwd(cwd, sizeof cwd)) {
		fprintf(stderr, "attesta-run: cannot get the working directory: %m\n");
		goto out;
	}
	memset(&diag, 0, sizeof diag);
	if ((rc = pol_engine_new(config, &engine, &diag)) < 0) {
		pol_diag_format(&diag, line, sizeof line);
		fprintf(stderr, "attesta-run: %s\n", diag.message[0] ? line : strerror(-rc));
		goto out;
	}
	/* The gate's own files, by canonical path from here on: the agent
	 * must not reach them (state_protect.h). */
	if (sup_state_plan_paths(&plan, config, o.audit_path, o.unprotected_state, reason,
				 sizeof reason) < 0) {
		fprintf(stderr, "attesta-run: %s\n", reason);
		goto out;
	}
	memset(&diag, 0, sizeof diag);
	if ((rc = pol_audit_open(config, plan.audit_path, &audit, &diag)) < 0) {
		pol_diag_format(&diag, line, sizeof line);
		fprintf(stderr, "attesta-run: cannot open audit log: %s\n",
			diag.message[0] ? line : strerror(-rc));
		goto out;
	}
	sup_denials_audit_opened(audit, plan.audit_path, o.quiet);
	if (config->audit_sync == POL_SYNC_OFF)
		fprintf(stderr, "attesta-run: warning: audit.sync is off: entries are not "
			"made durable before calls are released\n");
	if (config->allow_io_uring)
		fprintf(stderr, "attesta-run: warning: gate.allow_io_uring is set: io_uring "
			"can unlink, connect and open files without a gated system call\n");
	/* A corrupt or unreadable trust store is an error, never a reset
	 * (a missing one is an empty store). */
	memset(&diag, 0, sizeof diag);
	if ((rc = pol_trust_store_load(NULL, config, &trust, &diag)) < 0) {
		pol_diag_format(&diag, line, sizeof line);
		fprintf(stderr, "attesta-run: cannot load trust store: %s\n",
			diag.message[0] ? line : strerror(-rc));
		trust = NULL;
		goto out;
	}
	/* tty: the terminal (required); auto: the terminal if stdin is one,
	 * else the socket; socket; none: no human, fail_mode at once. */
	bool use_tty = config->renderer == POL_RENDERER_TTY ||
		       (config->renderer == POL_RENDERER_AUTO && sup_tty_available());
	if (config->renderer == POL_RENDERER_TTY && !sup_tty_available()) {
		fprintf(stderr, "attesta-run: renderer 'tty' needs stdin to be a terminal "
			"(use --renderer socket or none)\n");
		goto out;
	}

	rc = sup_launch_resolve(o.prog_argv[0], &prog_path);
	if (rc < 0) {
		fprintf(stderr, "attesta-run: %s '%s': %s\n",
			rc == -ENOENT ? "command not found" : "cannot execute", o.prog_argv[0],
			strerror(-rc));
		code = rc == -ENOENT ? SUP_EXIT_NOT_FOUND : rc == -EACCES ? SUP_EXIT_CANNOT_EXEC
									 : EXIT_OWN;
		goto out;
	}

	if ((rc = sup_proc_prepare()) < 0) {
		fprintf(stderr, "attesta-run: cannot prepare supervisor: %s\n", strerror(-rc));
		goto out;
	}
	if ((code = run_choose_mode(o.mode, &shim_mode)) != 0)
		goto out;
	code = EXIT_OWN;
	if (shim_mode)
		run_warn_shim_mode();
	if ((rc = sup_filter_build(config, getpid(), &filter)) < 0) {
		fprintf(stderr, "attesta-run: cannot build the seccomp filter: %s\n",
			strerror(rc < 0 ? -rc : rc));
		goto out;
	}
	/* Exec verification needs us as the sandbox's tracer (execcheck.h).
	 * ATTESTA_EXEC_CHECK=off turns it off for diagnosis and benchmarks. */
	const char *ec = getenv("ATTESTA_EXEC_CHECK");
	/* Shim-only mode continues nothing: no exec to verify. */
	if (config->intercept_exec && !shim_mode && !(ec && !strcmp(ec, "off")) &&
	    (rc = sup_execcheck_new(&execcheck)) < 0) {
		fprintf(stderr, "attesta-run: %s\n", strerror(-rc));
		goto out;
	}
	if (!execcheck && config->intercept_exec && !shim_mode)
		fprintf(stderr, "attesta-run: warning: exec verification is off "
			"(ATTESTA_EXEC_CHECK=off)\n");
	if ((rc = sup_loop_init(&loop)) < 0) {
		fprintf(stderr, "attesta-run: cannot set up the event loop: %s\n", strerror(-rc));
		goto out;
	}

	/* The shim: annotations (host names, libc entry points) in both
	 * modes, the gate itself in shim-only mode. After sup_loop_init: its
	 * resolver threads must inherit the blocked signals. */
	{
		double t = config->timeout_seconds > 0 ? config->timeout_seconds : 300;
		unsigned gate_timeout = t < 86400.0 * 6 ? (unsigned)t + 60 : 86400u * 7;

		rc = sup_shimloop_open(&loop, shim_mode, gate_timeout, &prog_env, reason,
				       sizeof reason);
		if (rc < 0) {
			fprintf(stderr, "attesta-run: %s\n", reason);
			goto out;
		}
		if (rc > 0)
			fprintf(stderr, "attesta-run: warning: no host names or libc context: %s\n",
				reason);
	}

	gate.config = config;
	gate.engine = engine;
	gate.audit = audit;
	gate.trust = trust;
	gate.execcheck = execcheck;
	gate.agent_id = config->agent_id ? config->agent_id : "default";
	gate.environment = config->environment ? config->environment : "development";
	if (sup_trust_pg_setup(&gate, config) < 0) /* trust.backend postgres (trust_watch.h) */
		goto out;
	loop.kill_on_exit = o.kill_on_exit;
	loop.quiet = o.quiet;
	gate.decode_opts.workspace = config->workspace ? config->workspace : cwd;
	gate.decode_opts.env_vars = &config->env_vars;
	gate.decode_opts.supervisor_pid = getpid();
	new_session_id(gate.session_id, sizeof gate.session_id);
	if (config->renderer != POL_RENDERER_NONE) {
		if ((rc = sup_human_open(&loop, use_tty, reason, sizeof reason)) < 0) {
			fprintf(stderr, "attesta-run: %s\n", reason);
			goto out;
		}
		const char *sock = sup_approval_socket_path(gate.approval);
		fprintf(stderr, "attesta-run: approval socket: %s%s\n", sock ? sock : "(none)",
			use_tty ? " (prompts on this terminal)" : "");
	} else if (config->approvals_backend == POL_APPROVALS_POSTGRES) {
		/* nothing is held for a human, so nothing is published */
		fprintf(stderr, "attesta-run: warning: approvals.backend postgres is unused with "
			"renderer none: calls that need a human get fail_mode at once\n");
	}
	/* SECURITY: the gate's own files, resolved once, before the sandbox
	 * starts: renaming or removing them (or a directory above them) from
	 * inside is a hard rule (statepaths.h). The list is the state plan's
	 * canonical paths (state_protect.h), the files the sandbox binds
	 * read-only (profile directories are bound, not listed here). */
	{
		char *head = plan.audit_path ? pol_audit_head_path(plan.audit_path) : NULL;

		rc = sup_state_paths_add(plan.audit_path, "audit log");
		rc = rc ?: sup_state_paths_add(head, "audit head file");
		rc = rc ?: sup_state_paths_add(plan.key_path, "audit key file");
		rc = rc ?: sup_state_paths_add(plan.trust_path, "trust store");
		rc = rc ?: sup_state_paths_add(plan.config_path, "config file");
		rc = rc ?: sup_attest_protect(attest);
		rc = rc ?: sup_state_paths_add(gate.approval ? sup_approval_socket_path(gate.approval)
							     : NULL, "approval socket");
		free(head);
		if (rc < 0) {
			fprintf(stderr, "attesta-run: cannot record the gate's own files: %s\n",
				strerror(-rc));
			goto out;
		}
	}
	/* SECURITY: whatever the renderer, PROG never holds the user's
	 * terminal, where it could type into the user's shell (TIOCSTI) or
	 * read what is typed: with stdin a terminal it gets a pty of its own
	 * and the relay (docs/attesta-run.md, "Terminals"). Without a
	 * renderer that prompts there, the relay never pauses. */
	if (!loop.tty && sup_tty_available() &&
	    (rc = sup_tty_new(NULL, &loop.tty, reason, sizeof reason)) < 0) {
		fprintf(stderr, "attesta-run: %s\n", reason);
		goto out;
	}
	const char *run_user = o.user ? o.user : config->run_user;
	if (run_user && sup_state_plan_user(&plan, run_user, &prog_env, reason, sizeof reason) < 0) {
		fprintf(stderr, "attesta-run: %s\n", reason);
		goto out;
	}
	if (sup_state_plan_finish(&plan, audit, trust, gate.approval ?
				  sup_approval_socket_path(gate.approval) : NULL, shim_mode, reason,
				  sizeof reason) < 0) {
		fprintf(stderr, "attesta-run: %s\n", reason);
		goto out;
	}
	loop.defer_trust_save = plan.defer_trust;
	/* the account PROG becomes must be able to use its terminal */
	if (plan.sb.switch_user && loop.tty && fchown(sup_tty_slave_fd(loop.tty), plan.sb.uid,
						      (gid_t)-1) < 0) {
		fprintf(stderr, "attesta-run: cannot give the terminal to '%s': %m\n", run_user);
		goto out;
	}
	/* PROG has a session of its own (launch.c): the user's terminal is
	 * never handed to it. */
	loop.give_terminal = false;

	struct sup_launch_opts lo = {
		.path = prog_path,
		.argv = o.prog_argv,
		.filter = shim_mode ? NULL : &filter,
		.envp = prog_env,
		.shim = sup_shimloop_recv(&loop),
		.gate = sup_shimloop_gate(&loop),
		.give_terminal = loop.give_terminal,
		.trace = execcheck != NULL,
		.tty = loop.tty,
		.sandbox = &plan.sb,
	};
	struct sup_child child;
	if ((rc = sup_launch_start(&lo, &child, reason, sizeof reason)) < 0) {
		fprintf(stderr, "attesta-run: %s\n", reason);
		goto out;
	}
	sup_shimloop_after_fork(&loop);
	if (child.unprotected)
		fprintf(stderr, "attesta-run: %s\n", reason);
	sup_state_plan_warn(&plan, !child.unprotected);
	sup_proc_raise_nofile();
	/* The audit log's group commits, head file and lock release move to
	 * a helper thread (after the fork: the child must not inherit it), so
	 * an auto-approved decision costs no fdatasync, flock or timer on the
	 * loop. ATTESTA_AUDIT_THREAD=off keeps them on the loop (diagnosis
	 * and `make bench` comparisons). */
	const char *at = getenv("ATTESTA_AUDIT_THREAD");
	if (!(at && !strcmp(at, "off")) && (rc = pol_audit_background_sync(audit)) < 0) {
		fprintf(stderr, "attesta-run: cannot start the audit sync thread: %s\n",
			strerror(-rc));
		kill(-child.pid, SIGKILL);
		kill(child.pid, SIGKILL);
		goto out;
	}
	/* Audit shipping to the fleet database (shipper.h): a helper thread
	 * off the decision path, after the fork like the sync thread. */
	if ((rc = sup_shipper_start(config, o.node_id, plan.audit_path, &shipper, reason,
				    sizeof reason)) < 0) {
		fprintf(stderr, "attesta-run: %s\n", reason);
		kill(-child.pid, SIGKILL);
		kill(child.pid, SIGKILL);
		goto out;
	}
	if (!child.killable && !shim_mode)
		fprintf(stderr, "attesta-run: warning: kernel lacks "
			"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: signals restart held calls\n");
	if (execcheck && !child.traced) {
		fprintf(stderr, "attesta-run: warning: exec verification is off: cannot trace "
			"'%s': %s\n", o.prog_argv[0], strerror(child.trace_errno));
		sup_execcheck_free(execcheck);
		execcheck = NULL;
		gate.execcheck = NULL;
	}
	loop.tracing = child.traced;
	if (execcheck && child.traced && sup_execcheck_track(execcheck, child.pid) < 0) {
		fprintf(stderr, "attesta-run: out of memory\n");
		kill(child.pid, SIGKILL);
		goto out;
	}
	loop.killable_recv = child.killable;
	/* Every exec is seen at PTRACE_EVENT_EXEC: the exe name can be cached. */
	sup_tcache_track_exec(child.traced);
	/* Credentials read once per thread per epoch (decode_cache.h): only
	 * when every exec is traced and the filter sends every credential
	 * call (filter.c, with exec gated); else, or on a kernel without
	 * PIDFD_THREAD and PIDFD_GET_INFO, the status is read per decision.
	 * ATTESTA_CREDS_EPOCHS=off turns them off (diagnosis, benchmarks). */
	const char *ce = getenv("ATTESTA_CREDS_EPOCHS");
	sup_tcache_creds_epochs(child.traced && config->intercept_exec && !shim_mode &&
				!(ce && !strcmp(ce, "off")));
	/* The filter refuses chroot, namespaces and mounts (filter.c). */
	sup_tcache_roots_fixed(!shim_mode);
	loop.listener = child.listener;
	/* decision threads (workers.h): ATTESTA_DECISION_THREADS, else one per CPU */
	loop.decision_threads = sup_workers_wanted();
	loop.prog_pid = child.pid;
	/* Before PROG runs: no gated call is released before the session is
	 * in the log (docs/audit.md, "Sessions"); fail closed without it. */
	if ((rc = sup_session_start(&loop, o.prog_argv, cwd)) < 0) {
		fprintf(stderr, "attesta-run: cannot write the session-start audit entry: %s\n",
			strerror(-rc));
		kill(-child.pid, SIGKILL);
		kill(child.pid, SIGKILL);
		goto out;
	}
	/* The attestation predicate, evaluated now and on every change of
	 * the registry (attest.h); its first result is in the log before
	 * PROG runs. */
	if ((rc = sup_attest_start(attest, config)) < 0 ||
	    (gate.attest = sup_attest_active(attest) ? attest : NULL,
	     (rc = sup_attest_sync(&gate)) < 0)) {
		fprintf(stderr, "attesta-run: cannot start the attestation gate: %s\n",
			strerror(-rc));
		kill(-child.pid, SIGKILL);
		kill(child.pid, SIGKILL);
		goto out;
	}
	if ((rc = sup_launch_go(&child)) < 0) {
		fprintf(stderr, "attesta-run: cannot start '%s': %s\n", o.prog_argv[0],
			strerror(-rc));
		kill(child.pid, SIGKILL);
	} else if ((rc = sup_human_started(&loop)) < 0) {
		fprintf(stderr, "attesta-run: cannot start the terminal relay: %s\n",
			strerror(-rc));
		kill(-child.pid, SIGKILL);
	} else if ((rc = sup_proc_watch_watcher(&loop)) < 0) {
		fprintf(stderr, "attesta-run: cannot watch the watcher: %s\n", strerror(-rc));
		kill(-child.pid, SIGKILL);
	}
	if (warming) {
		pthread_join(warm, NULL);
		warming = false;
	}
	rc = sup_loop_run(&loop);
	if (rc < 0) {
		fprintf(stderr, "attesta-run: event loop failed: %s\n", strerror(-rc));
		kill(-child.pid, SIGKILL);
		code = EXIT_OWN;
		snprintf(reason, sizeof reason, "event loop failed: %s", strerror(-rc));
		sup_session_end(&loop, reason, code);
	} else {
		code = rc;
	}
	sup_denials_summary(&loop, plan.audit_path);
out:
	/* every exit after the session started is closed in the log */
	sup_session_end(&loop, "the reason is on its standard error", code);
	if (warming)
		pthread_join(warm, NULL);
	/* bound by file while the agent ran: saved now (state_protect.h) */
	if (trust && loop.defer_trust_save && loop.prog_pid > 0) {
		memset(&diag, 0, sizeof diag);
		if ((rc = pol_trust_store_save(trust, &diag)) < 0) {
			pol_diag_format(&diag, line, sizeof line);
			fprintf(stderr, "attesta-run: warning: cannot save trust store: %s\n",
				diag.message[0] ? line : strerror(-rc));
		}
	}
	sup_trust_pg_free(gate.trust_pg);
	sup_loop_release(&loop);
	sup_filter_release(&filter);
	sup_shimrecv_env_free(prog_env);
	free(prog_path);
	sup_execcheck_free(execcheck);
	pol_trust_store_free(trust);
	pol_audit_close(audit);
	sup_shipper_stop(shipper);
	pol_engine_free(engine);
	pol_config_free(config);
	sup_attest_free(attest);
	sup_state_plan_release(&plan);
	return code;
}
