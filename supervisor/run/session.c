/*
 * Session-start and closing entries (session.h, docs/audit.md
 * "Sessions"). They carry every field of a call's entry (docs/audit.md shape:
 * the reference fields and the syscall fields) so readers of the log need
 * no special case; metadata names the writer (pid, /proc start time, boot
 * id) so the verifier can tell a dead supervisor from a running one.
 */
#include "supervisor/run/session.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/audit.h"
#include "supervisor/run/proc.h"
#include "supervisor/run/clock.h"
#include "supervisor/run/verdict_entry.h"

struct jb {
	struct pol_json_arena *arena;
	bool failed;
};

static void put(struct jb *b, struct pol_json *obj, const char *key, struct pol_json *v)
{
	if (!obj || !v || pol_json_add(b->arena, obj, key, v) < 0)
		b->failed = true;
}

static struct pol_json *str(struct jb *b, const char *s)
{
	return s ? pol_json_string_from_bytes(b->arena, s, strlen(s))
		 : pol_json_new(b->arena, POL_JSON_NULL);
}

static void put_str(struct jb *b, struct pol_json *obj, const char *key, const char *s)
{
	put(b, obj, key, str(b, s));
}

static void put_int(struct jb *b, struct pol_json *obj, const char *key, long long v)
{
	put(b, obj, key, pol_json_int(b->arena, v));
}

/* Everything but what differs between start and end. */
static struct pol_json *base_entry(struct jb *b, const struct sup_loop *loop, const char *name,
				   const char *verdict, const char *description,
				   const char *reason, struct pol_json *meta)
{
	struct pol_json *e = pol_json_new(b->arena, POL_JSON_OBJECT);
	char when[48];

	sup_iso_time(sup_now(), when, sizeof when);
	put_str(b, e, "action_name", name);
	put_str(b, e, "action_description", description);
	put_str(b, e, "agent_id", loop->gate->agent_id);
	put(b, e, "risk_score", pol_json_float(b->arena, 0.0));
	put_str(b, e, "risk_level", "");
	put_str(b, e, "challenge_type", "");
	put(b, e, "challenge_passed", pol_json_new(b->arena, POL_JSON_NULL));
	put(b, e, "approver_ids", pol_json_new(b->arena, POL_JSON_ARRAY));
	put_str(b, e, "verdict", verdict);
	put(b, e, "review_duration_seconds", pol_json_float(b->arena, 0.0));
	put(b, e, "min_review_met", pol_json_new(b->arena, POL_JSON_TRUE));
	put_str(b, e, "intercepted_at", when);
	put_str(b, e, "decided_at", when);
	put_str(b, e, "executed_at", "");
	put_str(b, e, "session_id", loop->gate->session_id);
	put_str(b, e, "environment", loop->gate->environment);
	/* How calls were held (docs/shim.md), as in a call's metadata. */
	put_str(b, meta, "mode", loop->gate->shim_mode ? "shim" : "seccomp");
	put_int(b, meta, "supervisor_pid", getpid());
	put(b, e, "metadata", meta);
	put_str(b, e, "action_class", "session");
	put_int(b, e, "pid", getpid());
	put_int(b, e, "ppid", getppid());
	put_str(b, e, "exe", NULL);
	put_str(b, e, "path", NULL);
	put_str(b, e, "address", NULL);
	put_str(b, e, "host", NULL);
	put(b, e, "host_verified", pol_json_new(b->arena, POL_JSON_FALSE));
	put_int(b, e, "errno", 0);
	put_str(b, e, "decision_source", "supervisor");
	put_str(b, e, "mode", sup_policy_mode_name(loop->gate->config->mode));
	put_str(b, e, "reason", reason);
	put(b, e, "factors", pol_json_new(b->arena, POL_JSON_ARRAY));
	return e;
}

static struct pol_json_arena *arena_of(struct sup_loop *loop)
{
	if (!loop->gate->entry_arena && !(loop->gate->entry_arena = pol_json_arena_new()))
		return NULL;
	pol_json_arena_reset(loop->gate->entry_arena);
	return loop->gate->entry_arena;
}

int sup_session_start(struct sup_loop *loop, char *const *prog_argv, const char *cwd)
{
	struct pol_audit_proc_id self;
	struct jb b = { .arena = arena_of(loop) };
	struct pol_json *meta, *argv, *e;
	char reason[128];
	int r;

	if (!b.arena)
		return -ENOMEM;
	/* SECURITY: the verifier's only way to tell a dead supervisor from a
	 * live one (docs/audit.md); without it, no session */
	if ((r = pol_audit_proc_identity(0, &self)) < 0)
		return r;
	meta = pol_json_new(b.arena, POL_JSON_OBJECT);
	put_int(&b, meta, "supervisor_start_ticks", (long long)self.start_ticks);
	put_str(&b, meta, "boot_id", self.boot_id);
	put_int(&b, meta, "prog_pid", loop->prog_pid);
	snprintf(reason, sizeof reason, "attesta-run (pid %d) started the session",
		 (int)getpid());
	e = base_entry(&b, loop, POL_AUDIT_SESSION_START, "started",
		       prog_argv[0] ? prog_argv[0] : "", reason, meta);
	argv = pol_json_new(b.arena, POL_JSON_ARRAY);
	for (size_t i = 0; prog_argv[i]; i++)
		put(&b, argv, NULL, str(&b, prog_argv[i]));
	put(&b, e, "argv", argv);
	put_str(&b, e, "cwd", cwd);
	if (b.failed || !e)
		return -ENOMEM;
	r = pol_audit_append_json(loop->gate->audit, e, POL_AUDIT_DEFERRED, NULL, 0);
	if (r == 0)
		loop->session_open = true;
	return r;
}

void sup_session_end(struct sup_loop *loop, const char *error, int exit_code)
{
	struct jb b;
	struct pol_json *meta, *e;
	char reason[256];
	int st = loop->prog_status, r;

	if (!loop->session_open || !loop->gate->audit)
		return;
	loop->session_open = false;
	b = (struct jb){ .arena = arena_of(loop) };
	if (!b.arena) {
		fprintf(stderr, "attesta-run: cannot write the closing audit entry: %s\n",
			strerror(ENOMEM));
		return;
	}
	meta = pol_json_new(b.arena, POL_JSON_OBJECT);
	if (error) {
		snprintf(reason, sizeof reason, "attesta-run stopped on its own error (exit %d): %s",
			 exit_code, error);
		put_str(&b, meta, "ended_by", "supervisor_error");
	} else if (loop->prog_exited && WIFSIGNALED(st)) {
		snprintf(reason, sizeof reason, "the program (pid %d) was killed by signal %d (%s)",
			 (int)loop->prog_pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
		put_str(&b, meta, "ended_by", "prog_killed");
		put_int(&b, meta, "prog_signal", WTERMSIG(st));
	} else {
		snprintf(reason, sizeof reason, "the program (pid %d) exited with status %d",
			 (int)loop->prog_pid, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		put_str(&b, meta, "ended_by", "prog_exited");
		put_int(&b, meta, "prog_status", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	exit_code = error ? exit_code : sup_proc_exit_code(st);
	put_int(&b, meta, "exit_code", exit_code);
	e = base_entry(&b, loop, POL_AUDIT_SESSION_END, "ended", reason, reason, meta);
	put(&b, e, "argv", pol_json_new(b.arena, POL_JSON_NULL));
	put_str(&b, e, "cwd", NULL);
	r = b.failed || !e ? -ENOMEM
			   : pol_audit_append_json(loop->gate->audit, e, POL_AUDIT_DEFERRED, NULL, 0);
	if (r < 0)
		fprintf(stderr, "attesta-run: cannot write the closing audit entry: %s\n",
			strerror(-r));
}
